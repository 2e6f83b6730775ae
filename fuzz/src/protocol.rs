//! The browser protocol (`cti-server/docs/protocol.md`): the page's messages (`decode_up`), the
//! agent commands they carry (`cti_core::Command`, which the server reads from the `command`
//! value) and the server's messages (`decode_down`).
//!
//! A decoded message encodes and decodes back equal; a command reads the same from the text as
//! from the value the server forwards; an error is typed (`badMessage` or
//! `unsupportedVersion`) and never echoes the password of a `login`.

use std::path::Path;

use cti_core::Command;
use cti_server::protocol::{
    DecodeError, Down, ErrorCode, Up, decode_down, decode_up, encode_down, encode_up,
};
use serde_json::{Value, json};

use crate::neoapi::json as any_json;
use crate::{Rng, Target, same_json};

/// Messages from the page, and the commands inside them.
pub const UP: Target = Target {
    name: "protocol_up",
    check: check_up,
    generate: generate_up,
    dictionary: UP_WORDS,
    project_seeds: up_seeds,
};

/// Messages from the server.
pub const DOWN: Target = Target {
    name: "protocol_down",
    check: check_down,
    generate: generate_down,
    dictionary: DOWN_WORDS,
    project_seeds: down_seeds,
};

const UP_WORDS: &[&str] = &[
    "{\"v\":1,",
    "\"type\":",
    "\"login\"",
    "\"attach\"",
    "\"command\"",
    "\"effectResult\"",
    "\"event\"",
    "\"logout\"",
    "\"device\":",
    "\"user\":",
    "\"password\":",
    "\"token\":",
    "\"id\":",
    "\"ok\":",
    "\"value\":",
    "\"error\":",
    "\"code\":",
    "\"description\":",
    "\"clickToDial\"",
    "\"navigationChange\"",
    "\"number\":",
    "\"recordId\":",
    "\"url\":",
    "\"joinCampaign\"",
    "\"dial\"",
    "\"transfer\"",
    "\"target\":",
    "\"to\":",
    "\"draft\"",
    "\"release\"",
    "\"schedule\"",
    "\"at\":",
    "\"2026-11-25T10:30:00\"",
    "\"agentOffsetMinutes\":",
    "\"subcategory\":",
    "\"contact\":",
    "\"monitor\"",
    "\"sendText\"",
    "\"saveSettings\"",
    "\"widthPx\":",
    "\"setLanguage\"",
];

const DOWN_WORDS: &[&str] = &[
    "{\"v\":1,",
    "\"type\":",
    "\"session\"",
    "\"view\"",
    "\"effect\"",
    "\"error\"",
    "\"bye\"",
    "\"token\":",
    "\"expiresAt\":",
    "\"leader\":",
    "\"code\":",
    "\"message\":",
    "\"text\":",
    "\"params\":",
    "\"reason\":",
    "\"badMessage\"",
    "\"sessionEnded\"",
    "\"abuse\"",
];

/// The password every generated `login` carries (the check looks for it in errors).
const SECRET: &str = "Pw-0ne-Secr3t";

/// The page's message: decodes, encodes, decodes equal; its command reads the same both ways.
pub fn check_up(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // a WebSocket text frame is UTF-8 by the time it reaches the server
    };
    match decode_up(text) {
        Ok(up) => {
            let wire = encode_up(&up);
            let again = decode_up(&wire)
                .unwrap_or_else(|e| panic!("an encoded message does not decode: {e}\n{wire}"));
            let (a, b) = (to_json(&up), to_json(&again));
            assert!(same_json(&a, &b), "a message survives encode_up: {wire}");
            if let Up::Command { command } = &up {
                check_command(command);
            }
        }
        Err(e) => {
            check_decode_error(&e);
            check_no_echo(text, &e);
        }
    }
    // the command vocabulary on its own, as if this text were the `command` value
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        check_command(&value);
    }
}

/// Any serializable message as JSON, for comparing up to float noise.
fn to_json<T: serde::Serialize>(message: &T) -> Value {
    serde_json::to_value(message).expect("protocol types always serialize")
}

/// `serde_json::from_value` (what the server does with the forwarded value) and `from_str` of
/// its text agree; a refusal says something.
fn check_command(value: &Value) {
    let from_value = serde_json::from_value::<Command>(value.clone());
    let from_text = serde_json::from_str::<Command>(&value.to_string());
    match (&from_value, &from_text) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the command reads the same from text: {value}"),
        (Err(e), Err(_)) => assert!(!e.to_string().is_empty()),
        _ => panic!("value and text disagree: {from_value:?} vs {from_text:?} for {value}"),
    }
}

fn check_decode_error(e: &DecodeError) {
    assert!(matches!(
        e.code(),
        ErrorCode::BadMessage | ErrorCode::UnsupportedVersion
    ));
    assert!(!e.to_string().trim().is_empty(), "an error says something");
}

/// The error of a message holding a password does not hold the password: the same message with
/// another password of the same length gives the same error, but for that password.
fn check_no_echo(text: &str, e: &DecodeError) {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let Some(Value::String(password)) = map.get("password") else {
        return;
    };
    if password.chars().count() < 4 || !text.contains(password.as_str()) {
        return;
    }
    let shown = e.to_string();
    if !shown.contains(password.as_str()) {
        return;
    }
    // A stand-in found nowhere in the message, so only an echo of the field can show it.
    let other = (0_u32..)
        .map(|n| format!("swapped-password-{n}"))
        .find(|o| !text.contains(o.as_str()))
        .expect("some stand-in is not in the message");
    // Only the password field changes: the same characters elsewhere (a `type` of
    // `logi1001` beside the password `1001`) are the sender's own words, not the password.
    let mut swapped_map = map.clone();
    swapped_map.insert("password".into(), Value::String(other.clone()));
    let swapped = decode_up(&Value::Object(swapped_map).to_string());
    let echoed = match &swapped {
        Err(e2) => e2.to_string().contains(&other),
        Ok(_) => true,
    };
    assert!(!echoed, "the error echoes the password: {shown}");
}

/// The server's message: decodes, encodes, decodes equal.
pub fn check_down(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match decode_down(text) {
        Ok(down) => {
            let wire = encode_down(&down);
            let again = decode_down(&wire)
                .unwrap_or_else(|e| panic!("an encoded message does not decode: {e}\n{wire}"));
            assert!(
                same_json(&to_json(&down), &to_json(&again)),
                "a message survives encode_down: {wire}"
            );
        }
        Err(e) => check_decode_error(&e),
    }
}

/// A command of the vocabulary with values of the right type (mostly).
fn command(rng: &mut Rng) -> Value {
    let int = |rng: &mut Rng| -> Value {
        match rng.below(8) {
            0 => Value::String(rng.edgy().to_string()),
            1 => Value::Null,
            2 => json!(rng.edgy() as f64 + 0.5),
            _ => json!(rng.edgy()),
        }
    };
    let text = |rng: &mut Rng| -> Value {
        if rng.chance(1, 10) {
            json!(rng.edgy())
        } else {
            Value::String(rng.text(20))
        }
    };
    let at = |rng: &mut Rng| -> Value {
        match rng.below(4) {
            0 => Value::Null,
            1 => Value::String(rng.text(19)),
            _ => Value::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                rng.int(0, 10000),
                rng.int(0, 13),
                rng.int(0, 32),
                rng.int(0, 25),
                rng.int(0, 60),
                rng.int(0, 61)
            )),
        }
    };
    let mut c = match rng.below(24) {
        0 => json!({"command":"joinCampaign","campaign":int(rng)}),
        1 => json!({"command":"leaveCampaign"}),
        2 => json!({"command":"takeBreak","breakId":int(rng)}),
        3 => json!({"command":"endBreak"}),
        4 => json!({"command":"dial","number":text(rng)}),
        5 => json!({"command":"hangup"}),
        6 => json!({"command":"sendDtmf","digits":text(rng)}),
        7 => {
            let to = *rng.pick(&["phone", "user", "queue", "campaign", "bogus"]);
            let value = if matches!(to, "queue" | "campaign") {
                int(rng)
            } else {
                text(rng)
            };
            json!({"command":"transfer","target":{"to":to,"value":value},"attended":rng.chance(1,2)})
        }
        8 => json!({"command":"endTransfer"}),
        9 => json!({"command":"startConference"}),
        10 => json!({"command":"invite","extension":text(rng)}),
        11 => json!({"command":"endConference"}),
        12 => {
            json!({"command":"draft","contact":int(rng),"subcategory":int(rng),"notes":text(rng),"at":at(rng),"phone":text(rng)})
        }
        13 => {
            json!({"command":"release","subcategory":int(rng),"notes":text(rng),"contact":int(rng)})
        }
        14 => {
            json!({"command":"schedule","at":at(rng),"agentOffsetMinutes":int(rng),"subcategory":int(rng),"phone":text(rng),"notes":text(rng),"contact":int(rng)})
        }
        15 => json!({"command":"play"}),
        16 => json!({"command":"pickRecord","id":text(rng)}),
        17 => {
            json!({"command":"monitor","user":text(rng),"mode":*rng.pick(&["listen","assist","spy"])})
        }
        18 => json!({"command":"endMonitor"}),
        19 => {
            json!({"command":"sendText","channel":*rng.pick(&["sms","whatsapp","fax"]),"phone":text(rng),"text":text(rng)})
        }
        20 => {
            json!({"command":"saveSettings","widthPx":int(rng),"heightPx":int(rng),"minimizeOnNoMatch":rng.chance(1,2),"minimizeOnSeveral":rng.chance(1,2)})
        }
        21 => json!({"command":"setLanguage","language":*rng.pick(&["es","en","xx",""])}),
        22 => json!({"command":"syncRecord"}),
        _ => json!({"command":rng.word(10)}),
    };
    if rng.chance(1, 8)
        && let Value::Object(map) = &mut c
    {
        // a field too many, or one missing
        if rng.chance(1, 2) {
            map.insert(rng.word(6), any_json(rng, 2));
        } else if let Some(k) = map.keys().nth(rng.below(map.len())).cloned() {
            map.remove(&k);
        }
    }
    c
}

fn page_event(rng: &mut Rng) -> Value {
    let opt = |rng: &mut Rng| -> Value {
        if rng.chance(1, 3) {
            Value::Null
        } else {
            Value::String(rng.text(18))
        }
    };
    if rng.chance(1, 2) {
        json!({"event":"clickToDial","number":rng.text(16),"recordId":opt(rng),"recordName":opt(rng),"objectType":opt(rng)})
    } else {
        json!({"event":"navigationChange","url":rng.text(30),"recordId":opt(rng),"recordName":opt(rng),"objectType":opt(rng)})
    }
}

fn generate_up(rng: &mut Rng) -> Vec<u8> {
    let mut m = match rng.below(7) {
        0 => {
            json!({"type":"login","device":format!("SIP/{}", rng.int(1000, 9999)),"user":rng.word(6),"password":SECRET})
        }
        1 => json!({"type":"attach","token":rng.word(43)}),
        2 | 3 => json!({"type":"command","command":command(rng)}),
        4 => {
            let ok = rng.chance(1, 2);
            let mut r = json!({"type":"effectResult","id":rng.edgy(),"ok":ok});
            if ok {
                r["value"] = any_json(rng, 3);
            } else {
                r["error"] = json!({"code":*rng.pick(&["INVALID_PARAM","GENERIC_ERROR","TIMEOUT"]),"description":rng.text(20)});
            }
            r
        }
        5 => json!({"type":"event","event":page_event(rng)}),
        _ => json!({"type":"logout"}),
    };
    m["v"] = match rng.below(12) {
        0 => json!(2),
        1 => json!("1"),
        2 => json!(256),
        _ => json!(1),
    };
    if rng.chance(1, 10) {
        // a login whose fields are of the wrong type, with the password still there
        m["user"] = any_json(rng, 1);
        m["password"] = json!(SECRET);
    }
    m.to_string().into_bytes()
}

fn generate_down(rng: &mut Rng) -> Vec<u8> {
    let message = match rng.below(5) {
        0 => Down::Session {
            token: rng.word(43),
            user: rng.word(6),
            expires_at: "2026-12-01T12:00:00Z".into(),
            leader: rng.chance(1, 2),
        },
        1 => Down::View {
            view: any_json(rng, 4).into(),
        },
        2 => Down::Effect {
            effect: json!({"kind":"screenPop","id":rng.edgy(),"params":any_json(rng, 2)}),
        },
        3 => Down::Error {
            code: *rng.pick(&[
                ErrorCode::BadMessage,
                ErrorCode::CommandRefused,
                ErrorCode::RateLimited,
            ]),
            message: rng.text(30),
            text: None,
        },
        _ => Down::Bye {
            reason: *rng.pick(&[
                cti_server::protocol::ByeReason::Logout,
                cti_server::protocol::ByeReason::Abuse,
                cti_server::protocol::ByeReason::SessionEnded,
                cti_server::protocol::ByeReason::Shutdown,
            ]),
        },
    };
    encode_down(&message).into_bytes()
}

/// Every example line of `cti-server/docs/protocol.md` (the ```json blocks), by direction.
fn doc_lines(root: &Path) -> Vec<String> {
    let doc = crate::read_text(&root.join("cti-server/docs/protocol.md"));
    let mut out = Vec::new();
    let mut inside = false;
    for line in doc.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            inside = t == "```json";
            continue;
        }
        if inside && t.starts_with('{') {
            out.push(t.to_owned());
        }
    }
    out
}

fn up_seeds(root: &Path) -> Vec<Vec<u8>> {
    let lines = doc_lines(root);
    let mut out: Vec<Vec<u8>> = lines
        .iter()
        .filter(|l| decode_down(l).is_err())
        .map(|l| l.clone().into_bytes())
        .collect();
    // the commands alone, as the server forwards them
    out.extend(lines.iter().filter_map(|l| {
        let v: Value = serde_json::from_str(l).ok()?;
        Some(v.get("command")?.to_string().into_bytes())
    }));
    out
}

fn down_seeds(root: &Path) -> Vec<Vec<u8>> {
    doc_lines(root)
        .into_iter()
        .filter(|l| decode_down(l).is_ok())
        .map(String::into_bytes)
        .collect()
}
