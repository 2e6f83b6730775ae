//! The `Position` parser's unit tests: both date cultures, splitting, errors, the
//! folded `Ñ` and the agent-state precedence.

use chrono::{NaiveDate, NaiveDateTime};

use super::*;

fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|x| x.and_hms_opt(h, mi, s))
        .expect("test dates are valid")
}

const MINIMAL: &str = "SAL_CAMPAÑA_DEFAULT=3|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|IDLLAMADA=0|";

#[test]
fn dates_in_both_cultures() {
    for (text, at) in [
        ("28/05/2019 02:30:34 p.m.", dt(2019, 5, 28, 14, 30, 34)),
        ("28/05/2019 12:05:00 a.m.", dt(2019, 5, 28, 0, 5, 0)),
        ("28/05/2019 12:05:00 p. m.", dt(2019, 5, 28, 12, 5, 0)),
        ("12/08/2021 13:59:09", dt(2021, 8, 12, 13, 59, 9)),
        ("12/08/2021 01:59:09 PM", dt(2021, 8, 12, 13, 59, 9)),
    ] {
        assert_eq!(parse_date(text), Ok(Some(at)), "{text}");
    }
    for unset in [
        "01/01/2000 12:00:00 a.m.",
        "01/01/0001 12:00:00 a.m.",
        "01/01/0001 00:00:00",
        "",
    ] {
        assert_eq!(parse_date(unset), Ok(None), "{unset}");
    }
    for bad in [
        "31/02/2019 10:00:00",
        "2019-05-28T10:00:00",
        "28/05/2019 13:00:00 p.m.",
        "28/05/2019 10:00",
        "28/05/2019",
        "28/05/2019 10:00:00 xx",
    ] {
        assert_eq!(parse_date(bad), Err(()), "{bad}");
    }
}

#[test]
fn formats_round_trip() {
    let at = dt(2019, 5, 28, 14, 30, 34);
    for culture in [DateCulture::Spanish12h, DateCulture::TwentyFourHour] {
        assert_eq!(parse_date(&format_date(Some(at), culture)), Ok(Some(at)));
        assert_eq!(parse_date(&format_date(None, culture)), Ok(None));
    }
    assert_eq!(
        format_date(Some(at), DateCulture::Spanish12h),
        "28/05/2019 02:30:34 p.m."
    );
}

#[test]
fn splits_on_first_equals_and_keeps_unknown_keys() {
    let p =
        Position::parse(&format!("{MINIMAL}CLAVE=RUT=1;DV=4;|NUEVA=x=y|VACIO=|")).expect("valid");
    assert_eq!(p.clave(), "RUT=1;DV=4;");
    assert_eq!(p.get("NUEVA"), Some("x=y"));
    assert_eq!(p.get("VACIO"), Some(""));
    assert_eq!(p.get("AUSENTE"), None);
    assert_eq!(p.fields().last(), Some(("VACIO", "")));
    assert_eq!(p.to_string().parse::<Position>(), Ok(p));
}

#[test]
fn errors_name_the_key() {
    let e = Position::parse("SAL_CAMPAÑA_DEFAULT=3|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|")
        .expect_err("no IDLLAMADA");
    assert_eq!(e, PositionError::MissingKey { key: "IDLLAMADA" });
    let e = Position::parse(&format!("{MINIMAL}IDLLAMADA_ULT=12a|")).expect_err("bad number");
    assert_eq!(
        e,
        PositionError::NotANumber {
            key: "IDLLAMADA_ULT",
            value: "12a".into()
        }
    );
    let e = Position::parse(&format!("{MINIMAL}RINGING=ayer|")).expect_err("bad date");
    assert!(e.to_string().contains("RINGING"), "{e}");
    let e = Position::parse("garbage").expect_err("no '='");
    assert!(matches!(e, PositionError::NotKeyValue { .. }));
}

#[test]
fn folded_enye_keys_still_match() {
    let p = Position::parse(
        "SAL_CAMPANA_DEFAULT=7|SUBTIPO_DESCANSO=0|ESTADO_CRM=Available|IDLLAMADA=0|",
    )
    .expect("valid");
    assert_eq!(p.outbound_campaign(), Some(7));
}

#[test]
fn state_rule_precedence() {
    let state = |extra: &str| {
        let mut keys: Vec<(String, String)> = [
            ("SAL_CAMPAÑA_DEFAULT", "3"),
            ("SUBTIPO_DESCANSO", "0"),
            ("ESTADO_CRM", "Available"),
            ("IDLLAMADA", "0"),
            ("SUB_ESTADO", ""),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for item in extra.split('|').filter(|i| !i.is_empty()) {
            let (k, v) = item.split_once('=').expect("test items are KEY=VALUE");
            keys.retain(|(name, _)| name != k);
            keys.push((k.to_owned(), v.to_owned()));
        }
        let text: String = keys.iter().map(|(k, v)| format!("{k}={v}|")).collect();
        Position::parse(&text).expect("valid").agent_state()
    };
    assert_eq!(state(""), AgentState::Available);
    assert_eq!(state("SAL_CAMPAÑA_DEFAULT=0"), AgentState::NoCampaign);
    assert_eq!(
        state("SUBTIPO_DESCANSO=8"),
        AgentState::Paused { break_subtype: 8 }
    );
    assert_eq!(
        state("ESTADO_CRM=GetContact|IDLLAMADA=5"),
        AgentState::ContactDelivered
    );
    assert_eq!(state("ESTADO_CRM=ShowingContact"), AgentState::Showing);
    assert_eq!(
        state("ESTADO_CRM=ShowingContact|IDLLAMADA=5|SUB_ESTADO=AGENT"),
        AgentState::OnCall { bridged: true }
    );
    assert_eq!(
        state("IDLLAMADA=5|SUB_ESTADO=RINGING"),
        AgentState::OnCall { bridged: false }
    );
    assert_eq!(state("ESTADO_CRM=Unavailable"), AgentState::AfterCall);
    assert_eq!(state("ESTADO_CRM=Wrapup"), AgentState::AfterCall);
}
