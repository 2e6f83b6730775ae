//! Every JSON example in docs/protocol.md (one message per line) parses as its message type and
//! serializes back to the same JSON; every message type and every command has an example, and
//! each command example is one the core accepts.

use std::collections::BTreeSet;

use cti_server::protocol::{self, Down, Up};

const DOC: &str = include_str!("../docs/protocol.md");

fn json_blocks(doc: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("```json\n") {
        let body = &rest[start + "```json\n".len()..];
        let end = body.find("```").expect("every ```json block is closed");
        blocks.extend(body[..end].lines().map(str::trim).filter(|l| !l.is_empty()));
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
    "voiceCall",
];
const DOWN: &[&str] = &[
    "session",
    "view",
    "effect",
    "error",
    "bye",
    "voiceSetup",
    "voiceCalls",
    "voicePublish",
    "voiceResult",
];

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

/// Every command of cti-core's vocabulary.
const COMMANDS: &[&str] = &[
    "joinCampaign",
    "leaveCampaign",
    "takeBreak",
    "endBreak",
    "dial",
    "hangup",
    "sendDtmf",
    "transfer",
    "endTransfer",
    "startConference",
    "invite",
    "endConference",
    "draft",
    "release",
    "schedule",
    "play",
    "pickRecord",
    "monitor",
    "endMonitor",
    "sendText",
    "saveSettings",
    "setLanguage",
    "syncRecord",
    "watchUsers",
];

#[test]
fn every_command_has_an_example_the_core_accepts() {
    let mut seen = BTreeSet::new();
    for block in json_blocks(DOC) {
        let message: serde_json::Value = serde_json::from_str(block).expect("JSON");
        if message["type"] != "command" {
            continue;
        }
        let command = message["command"].clone();
        let name = command["command"]
            .as_str()
            .expect("a command name")
            .to_owned();
        assert!(COMMANDS.contains(&name.as_str()), "unknown command {name}");
        serde_json::from_value::<cti_core::Command>(command)
            .unwrap_or_else(|e| panic!("the core refuses the example: {e}\n{block}"));
        seen.insert(name);
    }
    for name in COMMANDS {
        assert!(
            seen.contains(*name),
            "docs/protocol.md has no example of the `{name}` command"
        );
    }
}

/// The keys of every object in `v`, as `a.b.c` paths (arrays: their first element).
fn key_paths(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                let path = format!("{prefix}{k}");
                out.insert(path.clone());
                key_paths(child, &format!("{path}."), out);
            }
        }
        serde_json::Value::Array(items) => {
            if let Some(first) = items.first() {
                key_paths(first, prefix, out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_view_example_has_the_views_shape() {
    let example = json_blocks(DOC)
        .into_iter()
        .map(|b| serde_json::from_str::<serde_json::Value>(b).expect("JSON"))
        .find(|m| m["type"] == "view")
        .expect("a view example");
    // A fresh session's view: every top-level field is there.
    let wall = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let mut session = cti_core::Session::new(
        cti_core::Config::new("1001", cti_core::NeotelTasks::simulator(), wall),
        std::time::Instant::now(),
    );
    let view = std::iter::from_fn(|| session.poll_output())
        .find_map(|o| match o {
            cti_core::Output::View(v) => Some(serde_json::to_value(*v).unwrap()),
            _ => None,
        })
        .expect("a new session draws its view");
    let top = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(top(&example["view"]), top(&view), "top-level fields");
    // Where both have a value, the example's nested fields are the real ones.
    let (mut documented, mut real) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&example["view"], "", &mut documented);
    key_paths(&view, "", &mut real);
    for path in &real {
        assert!(documented.contains(path), "the example lacks `{path}`");
    }
}
