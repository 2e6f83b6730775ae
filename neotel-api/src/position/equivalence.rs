//! The one-pass parser against the one it replaced (`reference`) and against a naive split:
//! the real fixtures, then arbitrary `KEY=VALUE|…` strings and dates.

use proptest::prelude::*;

use super::keys::Key;
use super::*;

const SAMPLES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/position-samples.txt"
));

/// What a reader can see of a parse: the items in order and the typed values, or the error.
fn seen(p: Result<Position, PositionError>) -> Result<reference::Parsed, PositionError> {
    p.map(|p| {
        let fields = p
            .fields()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        (fields, p.typed)
    })
}

/// Every key name worth asking for: the known ones (both spellings), the ones sent, and
/// their `N` spellings.
fn asked(fields: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = Key::ALL.iter().map(|k| k.name().to_owned()).collect();
    names.extend(fields.iter().map(|(k, _)| k.clone()));
    names.extend(fields.iter().map(|(k, _)| k.replace('N', "Ñ")));
    names.push("AUSENTE".into());
    names
}

fn same_as_reference(text: &str) {
    let new = Position::parse(text);
    let old = reference::parse(text);
    if let (Ok(p), Ok((fields, _))) = (&new, &old) {
        for name in asked(fields) {
            assert_eq!(
                p.get(&name),
                reference::lookup(fields, &name),
                "{name} in {text:?}"
            );
        }
    }
    assert_eq!(seen(new), old, "{text:?}");
}

#[test]
fn every_fixture_parses_as_before() {
    let lines: Vec<&str> = SAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(lines.len(), 4);
    for line in lines {
        same_as_reference(line);
        // and with the variations the wire allows: no trailing '|', spaces around, folded Ñ
        same_as_reference(line.trim_end_matches('|'));
        same_as_reference(&format!("  {line}\n"));
        same_as_reference(&line.replace('Ñ', "N"));
        same_as_reference(&line.replace('|', "||"));
    }
}

#[test]
fn keys_sent_after_254_items_are_found() {
    // a slot holds a byte: a key first sent as the 255th item or later is found by a search
    let filler = |n: usize| (0..n).map(|i| format!("X{i}=v|")).collect::<String>();
    let folded_and_twice =
        "SAL_CAMPANA_DEFAULT=7|COLA=1|COLA=2|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|IDLLAMADA=0|";
    let tails = SAMPLES.lines().filter(|l| l.starts_with("DEVICE="));
    for tail in tails.chain([folded_and_twice]) {
        for n in [253, 254, 255, 300] {
            same_as_reference(&format!("{}{tail}", filler(n)));
            same_as_reference(&format!("COLA=5|{}{tail}", filler(n)));
        }
    }
}

#[test]
fn the_key_table_agrees_with_itself() {
    for key in Key::ALL {
        assert_eq!(Key::of(key.name()), Some(key));
        let folded = key.name().replace('Ñ', "N");
        assert_eq!(
            key.folded(),
            (folded != key.name()).then(|| Key::of(&folded)).flatten(),
            "{key:?}"
        );
    }
    let old = [
        "INICIO_LOGIN",
        "INICIO_LOGIN_CAMPAÑA",
        "RINGING",
        "DIALING",
        "AGENT",
        "TIEMPO_LLAMADA",
        "INICIO_DESCANSO",
        "TIEMPO_DESCANSO",
        "INICIO_CRM",
    ];
    assert_eq!(PositionDate::ALL.map(PositionDate::key), old);
}

#[test]
fn the_date_marker_reads_as_before_for_every_character() {
    // only letters count in the marker; every other character is skipped the same way
    let letters = (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|c| c.is_alphabetic());
    for c in letters {
        for text in [
            format!("01/02/2019 01:02:03 {c}m"),
            format!("01/02/2019 01:02:03 a{c}"),
        ] {
            assert_eq!(parse_date(&text), reference::parse_date(&text), "{text:?}");
        }
    }
}

/// A key: a known one (either spelling), one like them with spaces around, or any.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(Key::ALL.to_vec()).prop_map(|k| k.name().to_owned()),
        1 => proptest::sample::select(Key::ALL.to_vec()).prop_map(|k| format!(" {} ", k.name())),
        1 => "[A-ZÑ_ \t]{0,12}",
        1 => "[^|=]{0,6}",
    ]
}

/// A value: numbers, dates in both cultures and the sentinels, text with `=`, anything.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{0,12}",
        " ?[0-9]{1,3} ?",
        "[0-3][0-9]/[01][0-9]/(2019|2000|0001) [0-2][0-9]:[0-5][0-9]:[0-5][0-9]( (a|p)\\. ?m\\.| AM| PM)?",
        "(Available|GetContact|ShowingContact|Unavailable|NotSet|Predictive|[a-z]{0,5})",
        "[A-Z]{1,4}=[0-9;=]{0,10}",
        "[^|]{0,12}",
    ]
}

/// An item: `KEY=VALUE`, now and then one with no `=` or an empty one.
fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => (key(), value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => "[^|=]{1,6}",
        1 => Just(String::new()),
    ]
}

/// A `Position` string, with the keys the state rule needs first most of the time so that
/// most strings get past them.
fn position() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::collection::vec(item(), 0..60),
        any::<bool>(),
    )
        .prop_map(|(required, items, trailing)| {
            let mut text = String::new();
            if required {
                text.push_str(
                    "SAL_CAMPAÑA_DEFAULT=3|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|IDLLAMADA=0|",
                );
            }
            text.push_str(&items.join("|"));
            if trailing {
                text.push('|');
            }
            text
        })
}

/// The plain reading of the wire form: split on `|`, skip empty items, split each on its
/// first `=`, trim the key.
fn naive(text: &str) -> Vec<(String, String)> {
    text.trim()
        .split('|')
        .filter(|i| !i.is_empty())
        .filter_map(|i| i.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_parse_as_before(text in position()) {
        same_as_reference(&text);
    }

    #[test]
    fn arbitrary_strings_give_the_values_of_a_naive_split(text in position()) {
        if let Ok(p) = Position::parse(&text) {
            let items = naive(&text);
            let fields: Vec<(String, String)> =
                p.fields().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            prop_assert_eq!(&fields, &items);
            for (k, _) in &items {
                let first = items.iter().find(|(name, _)| name == k).map(|(_, v)| v.as_str());
                prop_assert_eq!(p.get(k), first);
            }
            // printed back, it reads the same (the text may differ: keys were trimmed)
            let again = Position::parse(&p.to_string()).map(|q| q.fields().eq(p.fields()));
            prop_assert_eq!(again, Ok(true));
        }
    }

    #[test]
    fn arbitrary_dates_read_as_before(text in prop_oneof![
        "[0-3]?[0-9]/[01]?[0-9]/[0-9]{1,5}[ \t]{1,2}[0-2]?[0-9]:[0-5][0-9]:[0-6][0-9]( ?[aApP]\\.? ?[mM]\\.?)?",
        "[ 0-9/:apm.]{0,30}",
        ".{0,30}",
    ]) {
        prop_assert_eq!(parse_date(&text), reference::parse_date(&text));
    }
}
