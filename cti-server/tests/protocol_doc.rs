//! Every JSON example in docs/protocol.md parses as its message type and serializes back to the
//! same JSON; every message type has an example.

use std::collections::BTreeSet;

use cti_server::protocol::{self, Down, Up};

const DOC: &str = include_str!("../docs/protocol.md");

fn json_blocks(doc: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("```json\n") {
        let body = &rest[start + "```json\n".len()..];
        let end = body.find("```").expect("every ```json block is closed");
        blocks.push(body[..end].trim());
        rest = &body[end..][3..];
    }
    blocks
}

const UP: &[&str] = &[
    "login",
    "attach",
    "command",
    "effectResult",
    "event",
    "logout",
];
const DOWN: &[&str] = &["session", "view", "effect", "error", "bye"];

#[test]
fn every_example_round_trips() {
    let mut seen = BTreeSet::new();
    let blocks = json_blocks(DOC);
    assert!(blocks.len() >= UP.len() + DOWN.len(), "too few examples");
    for block in blocks {
        let original: serde_json::Value =
            serde_json::from_str(block).unwrap_or_else(|e| panic!("not JSON: {e}\n{block}"));
        let kind = original["type"]
            .as_str()
            .expect("every example has a type")
            .to_owned();
        let again = if UP.contains(&kind.as_str()) {
            let up: Up = protocol::decode_up(block).unwrap_or_else(|e| panic!("{e}\n{block}"));
            protocol::encode_up(&up)
        } else if DOWN.contains(&kind.as_str()) {
            let down: Down =
                protocol::decode_down(block).unwrap_or_else(|e| panic!("{e}\n{block}"));
            protocol::encode_down(&down)
        } else {
            panic!("unknown message type {kind}");
        };
        let again: serde_json::Value = serde_json::from_str(&again).expect("we write JSON");
        assert_eq!(again, original, "round trip changed the example");
        seen.insert(kind);
    }
    for kind in UP.iter().chain(DOWN) {
        assert!(
            seen.contains(*kind),
            "docs/protocol.md has no example of `{kind}`"
        );
    }
}
