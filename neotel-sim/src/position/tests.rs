//! The renderer's unit tests: dates in both cultures, the fixture lines, both layouts.

use super::*;

/// Real `Position` lines, one a line.
const FIXTURE: &str = include_str!("../../../../shared/fixtures/position-samples.txt");

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2019, 5, 28)
        .unwrap()
        .and_hms_opt(h, m, s)
        .unwrap()
}

#[test]
fn dates_follow_the_culture_of_the_fixtures() {
    for (at, culture, text) in [
        (
            at(14, 30, 34),
            DateCulture::EsAr12h,
            "28/05/2019 02:30:34 p.m.",
        ),
        (
            at(0, 5, 0),
            DateCulture::EsAr12h,
            "28/05/2019 12:05:00 a.m.",
        ),
        (
            at(12, 0, 0),
            DateCulture::EsAr12h,
            "28/05/2019 12:00:00 p.m.",
        ),
        (at(13, 59, 9), DateCulture::H24, "28/05/2019 13:59:09"),
        (
            sentinel(1),
            DateCulture::EsAr12h,
            "01/01/0001 12:00:00 a.m.",
        ),
    ] {
        assert_eq!(format_date(at, culture), text);
    }
}

#[test]
fn an_idle_agent_renders_like_the_2014_fixture() {
    let view = PositionView {
        device: "SIP/rmartnez_cs".into(),
        ip: "172.16.2.111".into(),
        port: 33182,
        status: "OK".into(),
        server: "NEO1".into(),
        user: "8000".into(),
        login_at: Some(
            NaiveDate::from_ymd_opt(2014, 7, 14)
                .unwrap()
                .and_hms_opt(13, 56, 43)
                .unwrap(),
        ),
        call_state_at: Some(
            NaiveDate::from_ymd_opt(2014, 7, 14)
                .unwrap()
                .and_hms_opt(13, 59, 38)
                .unwrap(),
        ),
        crm_state: "Available".into(),
        call_type: "NotSet".into(),
        call_type_last: "NotSet".into(),
        dialer: "NotSet".into(),
        ..PositionView::default()
    };
    let expected = "DEVICE=SIP/rmartnez_cs|IP=172.16.2.111|PORT=33182|STATUS=OK|SERVER=NEO1|USUARIO=8000|INICIO_LOGIN=14/07/2014 01:56:43 p.m.|SAL_CAMPAÑA_DEFAULT=0|INICIO_LOGIN_CAMPAÑA=01/01/2000 12:00:00 a.m.|CHANNEL=|SUB_ESTADO=|SUB_ESTADO_ULT=|RINGING=01/01/0001 12:00:00 a.m.|DIALING=01/01/0001 12:00:00 a.m.|AGENT=01/01/0001 12:00:00 a.m.|TIEMPO_LLAMADA=14/07/2014 01:59:38 p.m.|SUBTIPO_DESCANSO=0|INICIO_DESCANSO=01/01/2000 12:00:00 a.m.|TIEMPO_DESCANSO=01/01/2000 12:00:00 a.m.|ESTADO_CRM=Available|INICIO_CRM=01/01/2000 12:00:00 a.m.|CAMPAÑA=0|CAMPAÑA_ULT=0|COLA=0|COLA_ULT=0|DNIS=|ANI=|TELEFONO=|ANI_TELEFONO_ULT=|TIPO_LLAMADA=NotSet|TIPO_LLAMADA_ULT=NotSet|ORIGEN_LLAMADA=|ORIGEN_LLAMADA_ULT=|DIRECCION=|DIRECCION_ULT=|CRM=0|BASE=0|IDCONTACTO=0|DATA=|CLAVE=|CAMPO_BUSQUEDA=|IDAGENDA=|IDLLAMADA=0|IDLLAMADA_ULT=0|CONFERENCIA=|GRABANDO=NO|GRABACION=|TELEFONO_DESVIO=|SAL_TIPO_DISCADOR=NotSet|SAL_CRM=0|SAL_BASE=0|CANALES_ASOCIADOS=|";
    assert_eq!(
        render(&view, PositionLayout::Current, DateCulture::EsAr12h),
        expected
    );
    // and it is exactly the fixture line
    assert!(FIXTURE.lines().any(|l| l == expected));
}

#[test]
fn both_layouts_are_the_keys_of_the_fixture_lines_in_order() {
    let keys_of = |line: &str| -> Vec<String> {
        line.trim_end_matches('|')
            .split('|')
            .map(|i| i.split_once('=').unwrap().0.to_owned())
            .collect()
    };
    let layouts: Vec<Vec<String>> = FIXTURE
        .lines()
        .filter(|l| l.starts_with("DEVICE="))
        .map(keys_of)
        .collect();
    assert!(layouts.iter().any(|k| k == &KEYS_52));
    assert!(layouts.iter().any(|k| k == &KEYS_44));
}

#[test]
fn keys_any_is_every_key_of_either_layout_once() {
    let mut want: Vec<&str> = KEYS_52.iter().chain(&KEYS_44).copied().collect();
    want.sort_unstable();
    want.dedup();
    let mut any = KEYS_ANY.to_vec();
    any.sort_unstable();
    assert_eq!(any, want);
    assert_eq!(KEYS_ANY[..52], KEYS_52);
}

#[test]
fn the_older_layout_has_44_keys_in_order() {
    let text = render(
        &PositionView::default(),
        PositionLayout::Older,
        DateCulture::H24,
    );
    let keys: Vec<&str> = text
        .trim_end_matches('|')
        .split('|')
        .map(|i| i.split_once('=').unwrap().0)
        .collect();
    assert_eq!(keys, KEYS_44);
}

#[test]
fn channels_are_prefixed_and_pipes_never_leak_into_values() {
    let view = PositionView {
        associated_channels: vec!["SIP/TASA-00002667".into()],
        clave: "RUT=1|2".into(),
        ..PositionView::default()
    };
    let text = render(&view, PositionLayout::Current, DateCulture::H24);
    assert!(text.ends_with("CANALES_ASOCIADOS=¦¦SIP/TASA-00002667|"));
    assert!(text.contains("|CLAVE=RUT=1/2|"));
    assert_eq!(text.matches('|').count(), 52);
}
