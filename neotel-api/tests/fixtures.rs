//! Every real `Position` string of `shared/fixtures/position-samples.txt`, parsed, with
//! specific values checked and the agent state rule applied.

use chrono::{NaiveDate, NaiveDateTime};
use neotel_api::{AgentState, CrmState, DialerType, Direction, Position, PositionDate};

const SAMPLES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/position-samples.txt"
));

fn samples() -> Vec<Position> {
    SAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| Position::parse(l).unwrap_or_else(|e| panic!("fixture must parse: {e}\n{l}")))
        .collect()
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(y, mo, d).and_then(|x| x.and_hms_opt(h, mi, s))
}

#[test]
fn there_are_four_samples_in_both_layouts() {
    let lens: Vec<usize> = samples().iter().map(Position::len).collect();
    assert_eq!(lens, [52, 52, 52, 44]);
}

#[test]
fn argentina_2019_manual_outbound_call_recording() {
    let p = &samples()[0];
    assert_eq!(p.device(), "SIP/Credipaz0032");
    assert_eq!(p.ip(), "172.16.17.54");
    assert_eq!(p.port(), Some(48470));
    assert_eq!(p.status(), "OK");
    assert_eq!(p.server(), "NEO1");
    assert_eq!(p.user(), "1002");
    assert_eq!(p.outbound_campaign(), Some(3));
    assert_eq!(p.break_subtype(), None);
    assert_eq!(p.crm_state(), &CrmState::Available);
    assert_eq!(p.sub_state(), "AGENT");
    assert!(p.is_bridged());
    assert_eq!(p.call_id(), Some(1_159_449));
    assert_eq!(p.call_id_last(), Some(1_159_449));
    assert_eq!(p.campaign(), Some(3));
    assert_eq!(p.queue(), None);
    assert_eq!(p.phone(), "0348715366797");
    assert_eq!(p.customer_phone(), "0348715366797");
    assert_eq!(p.ani(), "");
    assert_eq!(p.dnis(), "");
    assert_eq!(p.call_type(), "Manual");
    assert_eq!(p.origin(), "");
    assert_eq!(p.direction(), Some(Direction::Outbound));
    assert_eq!((p.crm(), p.base(), p.contact_id()), (0, 0, 0));
    assert_eq!(p.contact(), None);
    assert_eq!(p.data(), "");
    assert_eq!(p.clave(), "");
    assert_eq!(p.conference(), None);
    assert!(p.is_recording());
    assert_eq!(
        p.recording_file(),
        Some("0348715366797-1159449-20190528145718.mp3")
    );
    assert_eq!(p.dialer_type(), &DialerType::Manual);
    assert_eq!((p.outbound_crm(), p.outbound_base()), (0, 0));
    assert_eq!(
        p.associated_channels().collect::<Vec<_>>(),
        ["SIP/TASA-00002667"]
    );
    assert_eq!(p.date(PositionDate::Login), at(2019, 5, 28, 14, 30, 34));
    assert_eq!(
        p.date(PositionDate::CampaignLogin),
        at(2019, 5, 28, 14, 30, 39)
    );
    assert_eq!(p.date(PositionDate::CallState), at(2019, 5, 28, 14, 57, 43));
    assert_eq!(p.date(PositionDate::Ringing), None, "01/01/0001 is unset");
    assert_eq!(
        p.date(PositionDate::BreakStart),
        None,
        "01/01/2000 is unset"
    );
    assert_eq!(p.agent_state(), AgentState::OnCall { bridged: true });
}

#[test]
fn chile_2014_idle_without_campaign() {
    let p = &samples()[1];
    assert_eq!(p.device(), "SIP/rmartnez_cs");
    assert_eq!(p.user(), "8000");
    assert_eq!(p.outbound_campaign(), None);
    assert_eq!(p.get("SAL_CAMPAÑA_DEFAULT"), Some("0"));
    assert_eq!(p.call_id(), None);
    assert_eq!(p.channel(), "");
    assert_eq!(p.call_type(), "NotSet");
    assert_eq!(p.direction(), None);
    assert!(!p.is_recording());
    assert_eq!(p.recording_file(), None);
    assert_eq!(p.dialer_type(), &DialerType::NotSet);
    assert_eq!(p.associated_channels().count(), 0);
    assert_eq!(p.date(PositionDate::Login), at(2014, 7, 14, 13, 56, 43));
    assert_eq!(p.date(PositionDate::CampaignLogin), None);
    assert_eq!(p.date(PositionDate::CallState), at(2014, 7, 14, 13, 59, 38));
    assert_eq!(p.agent_state(), AgentState::NoCampaign);
}

#[test]
fn chile_2014_unregistered_device() {
    let p = &samples()[2];
    assert_eq!(p.device(), "SIP/soporte_mok");
    assert_eq!(p.ip(), "0.0.0.0");
    assert_eq!(p.port(), Some(0));
    assert_eq!(p.status(), "");
    assert_eq!(p.server(), "");
    assert_eq!(p.user(), "");
    assert_eq!(p.get("USUARIO"), Some(""), "present but empty");
    assert_eq!(p.date(PositionDate::Login), None);
    assert_eq!(p.date(PositionDate::CallState), None);
    assert_eq!(p.agent_state(), AgentState::NoCampaign);
}

#[test]
fn chile_2014_older_layout_inbound_call_with_ivr_data() {
    let p = &samples()[3];
    assert_eq!(p.device(), "SIP/CLSH4156");
    assert_eq!(p.server(), "NEO2");
    assert_eq!(p.user(), "2621");
    assert_eq!(p.outbound_campaign(), Some(109));
    assert_eq!(p.crm_state(), &CrmState::Available);
    assert_eq!(p.campaign(), Some(109));
    assert_eq!(p.queue(), Some(3));
    assert_eq!(p.queue_last(), Some(3));
    assert_eq!(p.dnis(), "9992");
    assert_eq!(p.ani(), "50038");
    assert_eq!(p.phone(), "");
    assert_eq!(p.customer_phone(), "50038");
    assert_eq!(p.phone_last(), "50038");
    assert_eq!(p.direction(), Some(Direction::Inbound));
    assert_eq!(
        p.clave(),
        "RUT=6007453;ANI=223126917;DV=4;",
        "split on the first '='"
    );
    assert_eq!(p.call_id(), Some(26_396_268));
    assert_eq!(p.recording_file(), Some("50038-26396268-201407141707.mp3"));
    assert_eq!(p.dialer_type(), &DialerType::Manual);
    assert_eq!(p.associated_channels().collect::<Vec<_>>(), ["Zap/126-1"]);
    // the older layout has TIEMPO_LOGIN instead of INICIO_LOGIN, and no INICIO_CRM
    assert_eq!(p.get("INICIO_LOGIN"), None);
    assert_eq!(p.date(PositionDate::Login), at(2014, 7, 14, 16, 1, 50));
    assert_eq!(p.date(PositionDate::CrmState), None);
    assert_eq!(p.date(PositionDate::CallState), at(2014, 7, 14, 17, 7, 30));
    assert_eq!(p.agent_state(), AgentState::OnCall { bridged: true });
}

#[test]
fn keys_keep_their_order_and_print_back_identically() {
    for (p, line) in samples().iter().zip(
        SAMPLES
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#')),
    ) {
        assert_eq!(p.to_string(), line);
        assert_eq!(p.fields().next().map(|(k, _)| k), Some("DEVICE"));
        assert_eq!(p.fields().last().map(|(k, _)| k), Some("CANALES_ASOCIADOS"));
    }
}

#[test]
fn the_2021_predictive_delivery_in_24_hour_dates() {
    // The 2021 Colombian mock of neoapi-evidence.md §4, rebuilt in the 52-key layout.
    let line = SAMPLES
        .lines()
        .find(|l| l.starts_with("DEVICE=SIP/Credipaz0032"))
        .expect("the 2019 sample is there");
    let mut text = String::new();
    for item in line.split('|').filter(|i| !i.is_empty()) {
        let (k, v) = item.split_once('=').expect("KEY=VALUE");
        let v = match k {
            "ESTADO_CRM" => "GetContact",
            "COLA" => "200019",
            "TIPO_LLAMADA" => "OriginateExt",
            "ORIGEN_LLAMADA" => "NO PROCESADO",
            "CRM" | "SAL_CRM" => "-1",
            "BASE" | "SAL_BASE" => "134",
            "IDCONTACTO" => "641175",
            "DATA" => "1785",
            "SAL_TIPO_DISCADOR" => "Predictive",
            "INICIO_CRM" | "TIEMPO_LLAMADA" => "12/08/2021 13:59:09",
            "CANALES_ASOCIADOS" => "\u{a6}\u{a6}SIP/IPLAN-00002c81",
            _ => v,
        };
        text.push_str(&format!("{k}={v}|"));
    }
    let p = Position::parse(&text).expect("valid");
    assert_eq!(p.agent_state(), AgentState::ContactDelivered);
    let c = p.contact().expect("a delivered contact");
    assert_eq!(
        (c.crm, c.base, c.id, c.data.as_str()),
        (-1, 134, 641_175, "1785")
    );
    assert_eq!(p.dialer_type(), &DialerType::Predictive);
    assert_eq!(p.origin(), "NO PROCESADO");
    assert_eq!((p.outbound_crm(), p.outbound_base()), (-1, 134));
    assert_eq!(p.date(PositionDate::CrmState), at(2021, 8, 12, 13, 59, 9));
    assert_eq!(
        p.associated_channels().collect::<Vec<_>>(),
        ["SIP/IPLAN-00002c81"]
    );
}
