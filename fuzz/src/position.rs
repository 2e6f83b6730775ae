//! `Position`: the `KEY=VALUE|…|` snapshot NeoApi answers on every poll.
//!
//! A parse that succeeds writes back (`Display`) to a text that parses to the same keys,
//! values and typed fields, and is a fixed point; an error names the item or the key at fault.
//! Every value that reads as a date also writes back (`format_date`, both cultures) and reads
//! again to the same instant.

use std::path::Path;

use neotel_api::{DateCulture, Position, PositionDate, PositionError, format_date, parse_date};
use neotel_sim::position::KEYS_ANY;

use crate::{Rng, Target};

/// The `position` target.
pub const TARGET: Target = Target {
    name: "position",
    check,
    generate,
    dictionary: &KEYS,
    project_seeds,
};

/// Every key of either layout (the simulator's list of what a real `Position` carries), and
/// the `N` spelling of `SAL_CAMPAÑA_DEFAULT` that some installs and proxies write.
const KEYS: [&str; KEYS_ANY.len() + 1] = {
    let mut keys = ["SAL_CAMPANA_DEFAULT"; KEYS_ANY.len() + 1];
    let mut i = 0;
    while i < KEYS_ANY.len() {
        keys[i] = KEYS_ANY[i];
        i += 1;
    }
    keys
};

const DATES: [PositionDate; 9] = [
    PositionDate::Login,
    PositionDate::CampaignLogin,
    PositionDate::Ringing,
    PositionDate::Dialing,
    PositionDate::Agent,
    PositionDate::CallState,
    PositionDate::BreakStart,
    PositionDate::BreakTime,
    PositionDate::CrmState,
];

/// Everything the typed accessors say, for comparing two parses.
fn typed(p: &Position) -> String {
    format!(
        "{:?}",
        (
            (p.agent_state(), p.contact(), p.crm_state(), p.dialer_type()),
            (p.port(), p.conference(), p.schedule_id(), p.direction()),
            (
                p.outbound_campaign(),
                p.break_subtype(),
                p.call_id(),
                p.call_id_last()
            ),
            (p.campaign(), p.campaign_last(), p.queue(), p.queue_last()),
            (
                p.crm(),
                p.base(),
                p.contact_id(),
                p.outbound_crm(),
                p.outbound_base()
            ),
            (
                p.is_bridged(),
                p.is_recording(),
                p.recording_file(),
                p.customer_phone()
            ),
            p.associated_channels().collect::<Vec<_>>(),
            DATES.map(|d| p.date(d)),
        )
    )
}

/// Parses, writes back, parses again; or checks that the error names its cause.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // Position takes text: the transport has decoded the body already
    };
    for value in text.split(['|', '=']) {
        check_date(value);
    }
    match Position::parse(text) {
        Ok(p) => {
            assert!(!p.is_empty(), "a parsed Position has keys");
            assert_eq!(p.len(), p.fields().len());
            for (k, v) in p.fields() {
                assert_eq!(k, k.trim(), "keys are trimmed");
                assert!(!k.contains(['|', '=']) && !v.contains('|'), "{k}={v}");
                assert!(p.get(k).is_some(), "{k} is found by name");
            }
            let wire = p.to_string();
            let again = Position::parse(&wire)
                .unwrap_or_else(|e| panic!("the written form does not parse: {e}\n{wire:?}"));
            assert_eq!(
                p.fields().collect::<Vec<_>>(),
                again.fields().collect::<Vec<_>>(),
                "keys and values survive a round trip"
            );
            assert_eq!(
                typed(&p),
                typed(&again),
                "typed fields survive a round trip"
            );
            assert_eq!(again.to_string(), wire, "the written form is a fixed point");
        }
        Err(e) => {
            let message = e.to_string();
            match &e {
                PositionError::NotKeyValue { item } => {
                    let item = item.trim_end_matches('…');
                    assert!(text.contains(item), "{message}: not an item of the input");
                    assert!(!item.contains('='), "{message}");
                }
                PositionError::MissingKey { key } => {
                    assert!(message.contains(key), "{message}");
                    let folded = key.replace('Ñ', "N");
                    let present = text
                        .split('|')
                        .filter_map(|i| i.split_once('='))
                        .any(|(k, _)| k.trim() == *key || k.trim() == folded);
                    assert!(!present, "{message}, but the input has it");
                }
                PositionError::NotANumber { key, value }
                | PositionError::NotADate { key, value } => {
                    assert!(message.contains(key), "{message}");
                    assert!(text.contains(value.trim_end_matches('…')), "{message}");
                }
                _ => assert!(!message.is_empty()),
            }
        }
    }
}

/// A date that reads writes back in both cultures and reads again to the same instant.
fn check_date(value: &str) {
    if let Ok(Some(at)) = parse_date(value) {
        for culture in [DateCulture::Spanish12h, DateCulture::TwentyFourHour] {
            let written = format_date(Some(at), culture);
            assert_eq!(
                parse_date(&written),
                Ok(Some(at)),
                "{value:?} read as {at}, written {written:?}"
            );
        }
    }
}

/// A date as NeoApi writes it, or nearly.
fn date(rng: &mut Rng) -> String {
    let (d, m, y) = (
        rng.int(0, 32),
        rng.int(0, 13),
        *rng.pick(&[1, 2000, 2019, 2026, 9999, 10000, 0]),
    );
    let (h, mi, s) = (rng.int(0, 25), rng.int(0, 60), rng.int(0, 61));
    match rng.below(6) {
        0 => format!(
            "{d:02}/{m:02}/{y:04} {h:02}:{mi:02}:{s:02} {}",
            rng.pick(&["a.m.", "p.m.", "a. m.", "p. m.", "AM", "PM", "pm", "x.m."])
        ),
        1 => format!("{d:02}/{m:02}/{y:04} {h:02}:{mi:02}:{s:02}"),
        2 => rng
            .pick(&[
                "01/01/2000 12:00:00 a.m.",
                "01/01/0001 12:00:00 a.m.",
                "",
                " ",
                "01/01/2000 00:00:00",
            ])
            .to_string(),
        3 => format!(
            "{d}/{m}/{y}  {h}:{mi}:{s}\t{}",
            rng.pick(&["a.m.", "PM", ""])
        ),
        4 => format_date(None, DateCulture::Spanish12h),
        _ => rng.text(24),
    }
}

/// A `Position` from the real keys with values of their types (and some not).
fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut items: Vec<(String, String)> = Vec::new();
    for key in &KEYS {
        if rng.chance(1, 12) {
            continue;
        }
        let value = match *key {
            "PORT"
            | "SAL_CAMPAÑA_DEFAULT"
            | "SAL_CAMPANA_DEFAULT"
            | "SUBTIPO_DESCANSO"
            | "CAMPAÑA"
            | "CAMPAÑA_ULT"
            | "COLA"
            | "COLA_ULT"
            | "CRM"
            | "BASE"
            | "IDCONTACTO"
            | "IDAGENDA"
            | "IDLLAMADA"
            | "IDLLAMADA_ULT"
            | "CONFERENCIA"
            | "SAL_CRM"
            | "SAL_BASE" => match rng.below(5) {
                0 => String::new(),
                1 => rng.text(6),
                2 => format!(" {} ", rng.edgy()),
                _ => rng.edgy().to_string(),
            },
            k if k.starts_with("INICIO")
                || k.starts_with("TIEMPO")
                || ["RINGING", "DIALING", "AGENT"].contains(&k) =>
            {
                date(rng)
            }
            "ESTADO_CRM" => rng
                .pick(&[
                    "Available",
                    "GetContact",
                    "ShowingContact",
                    "Cancel",
                    "",
                    "x",
                ])
                .to_string(),
            "SAL_TIPO_DISCADOR" => rng
                .pick(&["Manual", "Preview", "Predictive", "Progressive", ""])
                .to_string(),
            "DIRECCION" | "DIRECCION_ULT" => rng.pick(&["ENTRANTE", "SALIENTE", ""]).to_string(),
            "GRABANDO" => rng.pick(&["SI", "NO", ""]).to_string(),
            "SUB_ESTADO" => rng
                .pick(&["AGENT", "RINGING", "DIALING", "HANGUP", ""])
                .to_string(),
            "CANALES_ASOCIADOS" => format!("¦¦SIP/{}¦{}", rng.word(8), rng.word(8)),
            "CLAVE" => format!("{}={}", rng.word(6), rng.word(6)),
            _ => rng.text(12).replace('|', ""),
        };
        items.push(((*key).to_owned(), value));
    }
    // shuffle a little: keys are read by name, never by place
    for _ in 0..rng.below(4) {
        let (a, b) = (rng.below(items.len()), rng.below(items.len()));
        items.swap(a, b);
    }
    if rng.chance(1, 4) {
        items.push((rng.word(10).to_uppercase(), rng.text(10).replace('|', "")));
    }
    let mut out = String::new();
    if rng.chance(1, 8) {
        out.push_str(" \r\n");
    }
    for (k, v) in &items {
        let pad = if rng.chance(1, 20) { " " } else { "" };
        out.push_str(&format!("{pad}{k}{pad}={v}|"));
    }
    if rng.chance(1, 4) {
        out.pop();
    }
    out.into_bytes()
}

/// The real `Position` strings of `shared/fixtures/position-samples.txt`.
fn project_seeds(root: &Path) -> Vec<Vec<u8>> {
    crate::read_text(&root.join("../shared/fixtures/position-samples.txt"))
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.as_bytes().to_vec())
        .collect()
}
