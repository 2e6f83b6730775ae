//! The pure engine in-process, with time passed in: dialers, the inbound rule, schedules,
//! transfers, conferences, breaks, licenses and per-install tasks, without a socket.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use neotel_sim::position::parse_view;
use neotel_sim::{DeliverRequest, Fault, InboundRequest, Platform, PositionView, Reply, Scenario};

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid date")
}

/// A platform on the default scenario, at `t0`, with its timings.
struct Neotel {
    p: Platform,
    now: NaiveDateTime,
}

impl Neotel {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(edit: impl FnOnce(&mut Scenario)) -> Self {
        let mut scenario = Scenario::default_scenario();
        edit(&mut scenario);
        Self {
            p: Platform::new(scenario, t0()),
            now: t0(),
        }
    }

    fn call(&mut self, method: &str, params: &[(&str, &str)]) -> Result<Reply, Fault> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.p.call(self.now, method, &params)
    }

    fn ok(&mut self, method: &str, params: &[(&str, &str)]) -> Reply {
        self.call(method, params)
            .unwrap_or_else(|f| panic!("{method}: {f}"))
    }

    fn fault(&mut self, method: &str, params: &[(&str, &str)]) -> String {
        match self.call(method, params) {
            Err(f) => f.message,
            Ok(r) => panic!("{method} should fail, answered {r:?}"),
        }
    }

    fn login(&mut self, user: &str) {
        let device = format!("SIP/{user}");
        self.ok(
            "Login",
            &[("DEVICE", &device), ("USUARIO", user), ("CLAVE", user)],
        );
    }

    fn join(&mut self, user: &str, campaign: &str) {
        self.login(user);
        self.ok(
            "Login_Campaign2",
            &[("USUARIO", user), ("CAMPANA", campaign)],
        );
    }

    fn view(&mut self, user: &str) -> PositionView {
        let Reply::String(text) = self.ok("Position", &[("USUARIO", user)]) else {
            panic!("Position answers a string");
        };
        parse_view(&text).expect("the engine's Position reads back")
    }

    fn wait(&mut self, ms: i64) {
        self.now += Duration::milliseconds(ms);
        self.p.advance(self.now);
    }

    fn update(&mut self, user: &str, v: &PositionView, sub: &str, schedule: Option<(&str, &str)>) {
        let (base, id) = (v.base.to_string(), v.contact_id.to_string());
        let (agenda, when, phone) = match schedule {
            Some((when, phone)) => ("true", when, phone),
            None => ("false", "2000-01-01T00:00:00", ""),
        };
        self.ok(
            "UpdateContact",
            &[
                ("CRM", "4"),
                ("USUARIO", user),
                ("BASE", &base),
                ("IDCONTACTO", &id),
                ("DATA", &v.data),
                ("SUBCATEGORIA", sub),
                ("XML_UPDATE", "<notas>ok</notas>"),
                ("AGENDA", agenda),
                ("FECHA_AGENDA", when),
                ("USUARIO_AGENDA", user),
                ("TEL_AGENDA", phone),
            ],
        );
    }
}

#[test]
fn predictive_the_customer_is_on_first_then_the_agent_answers() {
    let mut n = Neotel::new();
    n.join("1001", "97");
    let d =
        n.p.deliver_contact(
            n.now,
            &DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .unwrap();
    let v = n.view("1001");
    assert_eq!(
        (v.crm_state.as_str(), v.sub_state.as_str(), v.call_id),
        ("GetContact", "RINGING", d.call_id)
    );
    assert_eq!((v.crm, v.base, v.contact_id), (4, 134, d.contact_id));
    assert_eq!(v.dialer, "Predictive");
    // the softphone auto-answers after the scenario's delay
    let auto = n.p.next_event_at().expect("the agent's phone will answer");
    assert_eq!(auto, n.now + Duration::milliseconds(1500));
    n.wait(1500);
    assert_eq!(n.view("1001").sub_state, "AGENT");
}

#[test]
fn preview_the_agent_gets_the_contact_before_the_customer_answers() {
    let mut n = Neotel::new();
    n.join("1002", "98");
    let d =
        n.p.deliver_contact(
            n.now,
            &DeliverRequest {
                campaign: 98,
                ..Default::default()
            },
        )
        .unwrap();
    let v = n.view("1002");
    assert_eq!(
        (v.crm_state.as_str(), v.sub_state.as_str()),
        ("GetContact", "RINGING")
    );
    n.wait(1500);
    assert_eq!(
        n.view("1002").sub_state,
        "DIALING",
        "the customer is being dialed"
    );
    n.p.customer_answer(n.now, d.call_id).unwrap();
    assert_eq!(n.view("1002").sub_state, "AGENT");
    // a manual campaign has no dialer
    n.join("1003", "99");
    let err =
        n.p.deliver_contact(
            n.now,
            &DeliverRequest {
                campaign: 99,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.0.contains("manual"), "{err}");
}

#[test]
fn the_documented_handshake_and_the_outcome() {
    let mut n = Neotel::new();
    n.join("1001", "97");
    n.p.deliver_contact(
        n.now,
        &DeliverRequest {
            campaign: 97,
            ..Default::default()
        },
    )
    .unwrap();
    n.wait(1500);
    let v = n.view("1001");
    let (base, id) = (v.base.to_string(), v.contact_id.to_string());
    n.ok(
        "CRM_ShowingContact",
        &[
            ("USUARIO", "1001"),
            ("BASE", &base),
            ("IDCONTACTO", &id),
            ("DATA", &v.data),
        ],
    );
    assert_eq!(n.view("1001").crm_state, "ShowingContact");
    // the wrong contact is refused
    let msg = n.fault(
        "CRM_ShowingContact",
        &[
            ("USUARIO", "1001"),
            ("BASE", &base),
            ("IDCONTACTO", "999999"),
            ("DATA", ""),
        ],
    );
    assert!(msg.contains("not assigned"), "{msg}");
    n.ok("Hangup", &[("USUARIO", "1001")]);
    let after = n.view("1001");
    assert_eq!((after.call_id, after.call_id_last), (0, v.call_id));
    assert_eq!(
        after.crm_state, "ShowingContact",
        "wrap-up until CRM_Available"
    );
    n.update("1001", &v, "31", None);
    n.ok("CRM_Available", &[("USUARIO", "1001")]);
    let o = n.p.outcomes().last().unwrap();
    assert_eq!(
        (
            o.category.as_deref(),
            o.subcategory.as_deref(),
            o.notes.as_str()
        ),
        (
            Some("Número equivocado"),
            Some("Número equivocado"),
            "<notas>ok</notas>"
        )
    );
    assert_eq!(
        (o.base, o.contact_id, o.user.as_str()),
        (v.base, v.contact_id, "1001")
    );
    assert_eq!(n.view("1001").crm_state, "Available");
    assert_eq!(
        n.ok("CRM_Unavailable", &[("USUARIO", "1001")]),
        Reply::Boolean(true)
    );
    assert_eq!(n.view("1001").crm_state, "Unavailable");
}

#[test]
fn a_schedule_comes_back_as_agenda_and_a_dialer_contact_as_no_procesado() {
    let mut n = Neotel::new();
    n.join("1004", "97");
    n.p.deliver_contact(
        n.now,
        &DeliverRequest {
            campaign: 97,
            ..Default::default()
        },
    )
    .unwrap();
    let v = n.view("1004");
    assert_eq!(v.origin, "NO PROCESADO");
    n.ok("Hangup", &[("USUARIO", "1004")]);
    // parameters bind first: none at all is refused before anything is recorded
    let msg = n.call("UpdateContact", &[]).unwrap_err().message;
    assert!(
        msg.contains("Cannot convert") || msg.contains("Missing"),
        "{msg}"
    );
    let when = (n.now + Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    n.update("1004", &v, "28", Some((&when, "1155550000")));
    n.ok("CRM_Available", &[("USUARIO", "1004")]);
    assert_eq!(n.p.next_event_at(), Some(n.now + Duration::hours(2)));
    n.wait(2 * 3600 * 1000);
    let back = n.view("1004");
    assert_eq!(
        (
            back.origin.as_str(),
            back.contact_id,
            back.phone.as_str(),
            back.crm_state.as_str()
        ),
        ("AGENDA", v.contact_id, "1155550000", "GetContact")
    );
    assert!(back.schedule_id.is_some(), "IDAGENDA names the schedule");
    assert_eq!(n.p.outcomes().last().unwrap().schedule, Some(n.now));
}

#[test]
fn a_schedule_in_the_past_is_a_fault() {
    let mut n = Neotel::new();
    n.join("1004", "97");
    n.p.deliver_contact(
        n.now,
        &DeliverRequest {
            campaign: 97,
            ..Default::default()
        },
    )
    .unwrap();
    let v = n.view("1004");
    let (base, id) = (v.base.to_string(), v.contact_id.to_string());
    let msg = n.fault(
        "UpdateContact",
        &[
            ("CRM", "4"),
            ("USUARIO", "1004"),
            ("BASE", &base),
            ("IDCONTACTO", &id),
            ("DATA", ""),
            ("SUBCATEGORIA", "28"),
            ("XML_UPDATE", ""),
            ("AGENDA", "true"),
            ("FECHA_AGENDA", "2020-01-01T10:00:00"),
            ("USUARIO_AGENDA", ""),
            ("TEL_AGENDA", ""),
        ],
    );
    assert!(msg.contains("in the past"), "{msg}");
    let msg = n.fault(
        "UpdateContact",
        &[
            ("CRM", "4"),
            ("USUARIO", "1004"),
            ("BASE", &base),
            ("IDCONTACTO", &id),
            ("SUBCATEGORIA", "26"),
            ("AGENDA", "maybe"),
            ("FECHA_AGENDA", "2030-01-01T10:00:00"),
        ],
    );
    assert_eq!(msg, "Cannot convert maybe to System.Boolean.");
}

#[test]
fn inbound_finds_the_caller_anywhere_in_the_crm_or_inserts_into_the_queue_base() {
    let mut n = Neotel::new();
    n.login("1005");
    // a caller whose Clave_1 lives in the predictive campaign's base (134), same CRM
    let known =
        n.p.scenario()
            .contacts
            .iter()
            .find(|c| c.base == 134)
            .unwrap()
            .clone();
    let placed =
        n.p.place_inbound_call(
            n.now,
            &InboundRequest {
                queue: 200,
                ani: "1144445555".into(),
                data: Some(known.clave_1.clone()),
            },
        )
        .unwrap();
    assert_eq!((placed.base, placed.contact_id), (134, known.id));
    assert_eq!(placed.clavesf, format!("{}-{}", known.id, known.clave_1));
    assert_eq!(placed.user.as_deref(), Some("1005"));
    let v = n.view("1005");
    assert_eq!(
        (v.data.as_str(), v.clave.as_str()),
        (placed.clavesf.as_str(), placed.clavesf.as_str())
    );
    assert_eq!(v.search_field, "Clave_1");
    assert_eq!(
        (v.direction.as_str(), v.ani.as_str(), v.queue),
        ("ENTRANTE", "1144445555", 200)
    );
    n.p.customer_hangup(n.now, placed.call_id).unwrap();
    n.ok("CRM_Available", &[("USUARIO", "1005")]);

    // an unknown key: inserted into the queue's base (IDDATABASE), found the next time
    let req = InboundRequest {
        queue: 200,
        ani: "1150001111".into(),
        data: Some("00Q8d00000000ZZAAA".into()),
    };
    let first = n.p.place_inbound_call(n.now, &req).unwrap();
    assert_eq!(first.base, 135);
    let inserted = n.p.contact(135, first.contact_id).unwrap();
    assert_eq!(
        (inserted.clave_1.as_str(), inserted.phones.as_slice()),
        ("00Q8d00000000ZZAAA", &["1150001111".to_owned()][..])
    );
    n.p.customer_hangup(n.now, first.call_id).unwrap();
    n.ok("CRM_Available", &[("USUARIO", "1005")]);
    let again = n.p.place_inbound_call(n.now, &req).unwrap();
    assert_eq!(again.contact_id, first.contact_id);
    n.p.customer_hangup(n.now, again.call_id).unwrap();
    n.ok("CRM_Available", &[("USUARIO", "1005")]);

    // a private number: a new contact each time, CLAVESF "idContacto-"
    let private =
        n.p.place_inbound_call(
            n.now,
            &InboundRequest {
                queue: 200,
                ani: String::new(),
                data: None,
            },
        )
        .unwrap();
    assert_eq!(private.clavesf, format!("{}-", private.contact_id));
    assert_ne!(private.contact_id, first.contact_id);
}

#[test]
fn inbound_calls_wait_in_the_queue_until_an_agent_is_free() {
    let mut n = Neotel::new();
    n.login("1006");
    n.ok("Pause", &[("USUARIO", "1006"), ("SUBTIPO_DESCANSO", "12")]);
    let placed =
        n.p.place_inbound_call(
            n.now,
            &InboundRequest {
                queue: 201,
                ani: "1144445555".into(),
                data: None,
            },
        )
        .unwrap();
    assert_eq!(placed.user, None, "nobody free: queued");
    assert_eq!(n.view("1006").break_subtype, 12);
    n.ok("Unpause", &[("USUARIO", "1006")]);
    n.wait(200);
    assert_eq!(n.view("1006").call_id, placed.call_id);
}

#[test]
fn blind_transfers_reach_a_user_a_queue_and_a_campaign() {
    let mut n = Neotel::with(|s| s.settings.agent_answer_ms = 0);
    n.join("1001", "97");
    n.join("1002", "98");
    n.login("1003");
    let d =
        n.p.deliver_contact(
            n.now,
            &DeliverRequest {
                campaign: 97,
                ..Default::default()
            },
        )
        .unwrap();
    n.p.agent_answer(n.now, "1001").unwrap();
    // to a campaign: its free agent (1002 works in 98) gets the call with its contact
    n.ok(
        "BlindTransferCampaign",
        &[("USUARIO", "1001"), ("CAMPAÑA", "98")],
    );
    assert_eq!(
        n.view("1001").call_id,
        0,
        "the transferring agent leaves the call"
    );
    let v = n.view("1002");
    assert_ne!(v.call_id, 0);
    assert_eq!(
        (v.contact_id, v.crm_state.as_str(), v.campaign),
        (d.contact_id, "GetContact", 98)
    );
    n.p.agent_answer(n.now, "1002").unwrap();
    // to a queue: its next free agent (not the one transferring)
    n.ok(
        "BlindTransferQueue",
        &[("USUARIO", "1002"), ("COLA", "201")],
    );
    let v = n.view("1003");
    assert_eq!((v.queue, v.contact_id), (201, d.contact_id));
    n.p.agent_answer(n.now, "1003").unwrap();
    // to a platform user by extension
    n.ok("CRM_Available", &[("USUARIO", "1001")]);
    n.ok(
        "BlindTransfer",
        &[("USUARIO", "1003"), ("EXTENSION", "1001")],
    );
    assert_eq!(n.view("1001").contact_id, d.contact_id);
    // to an outside number: the call leaves the platform
    n.p.agent_answer(n.now, "1001").unwrap();
    n.ok(
        "BlindTransfer",
        &[("USUARIO", "1001"), ("EXTENSION", "1140001000")],
    );
    assert_eq!(n.view("1001").call_id, 0);
    let msg = n.fault(
        "BlindTransferCampaign",
        &[("USUARIO", "1003"), ("CAMPAÑA", "98")],
    );
    assert!(msg.contains("has no active call"), "{msg}");
    let msg = n.fault(
        "BlindTransferQueue",
        &[("USUARIO", "1003"), ("COLA", "cola")],
    );
    assert_eq!(msg, "Cannot convert cola to System.Int32.");
}

#[test]
fn attended_consult_hangup_returns_and_join_makes_a_three_way_call() {
    let mut n = Neotel::with(|s| s.settings.agent_answer_ms = 0);
    n.login("1007");
    n.ok("Dial", &[("USUARIO", "1007"), ("TELEFONO", "1144445555")]);
    let call = n.view("1007").call_id;
    n.p.agent_answer(n.now, "1007").unwrap();
    n.wait(4000);
    assert_eq!(
        n.view("1007").sub_state,
        "AGENT",
        "the customer answered after the delay"
    );
    n.ok(
        "AttendedTransferQueue",
        &[("USUARIO", "1007"), ("COLA", "200")],
    );
    assert!(
        n.view("1007")
            .associated_channels
            .iter()
            .any(|c| c.contains("consulta"))
    );
    n.ok("Hangup", &[("USUARIO", "1007")]);
    let v = n.view("1007");
    assert_eq!(v.call_id, call, "back on the original call");
    assert!(!v.associated_channels.iter().any(|c| c.contains("consulta")));
    n.ok(
        "AttendedTransfer",
        &[("USUARIO", "1007"), ("EXTENSION", "1008")],
    );
    n.ok("JoinConference", &[("USUARIO", "1007")]);
    let v = n.view("1007");
    let conference = v.conference.expect("CONFERENCIA set");
    assert!(
        v.associated_channels.iter().any(|c| c == "SIP/1008-conf"),
        "{v:?}"
    );
    let conf = conference.to_string();
    n.ok("KickAll", &[("USUARIO", "1007"), ("CONFERENCIA", &conf)]);
    assert_eq!(n.view("1007").conference, None);
    n.ok("Hangup", &[("USUARIO", "1007")]);
    assert_eq!(n.view("1007").call_id, 0);
}

#[test]
fn recording_dtmf_and_the_spanish_aliases() {
    let mut n = Neotel::with(|s| s.settings.agent_answer_ms = 0);
    n.login("1008");
    assert_eq!(
        n.ok("Dial", &[("USUARIO", "1008"), ("TELEFONO", "1144445555")]),
        Reply::Boolean(true)
    );
    let call = n.view("1008").call_id;
    assert!(!n.view("1008").recording);
    n.ok("Iniciar_Grabacion", &[("USUARIO", "1008")]);
    let v = n.view("1008");
    assert!(v.recording);
    assert!(v.recording_file.starts_with(&format!("1144445555-{call}-")));
    n.ok("Detener_Grabacion", &[("USUARIO", "1008")]);
    assert!(!n.view("1008").recording);
    n.ok("SendDTMF", &[("USUARIO", "1008"), ("DIGITOS", "12#")]);
    assert_eq!(n.p.dtmf(call).unwrap(), ["12#"]);
    let msg = n.fault("SendDTMF", &[("USUARIO", "1008"), ("DIGITOS", "x")]);
    assert!(msg.contains("DTMF"), "{msg}");
    n.ok("Cortar", &[("USUARIO", "1008")]);
    assert_eq!(n.view("1008").call_id, 0);
    n.ok("Discar", &[("USUARIO", "1008"), ("TELEFONO", "1144445555")]);
    n.ok("Hangup", &[("USUARIO", "1008")]);
    n.ok("Login_Campaña", &[("USUARIO", "1008"), ("CAMPAÑA", "97")]);
    assert_eq!(n.view("1008").outbound_campaign, 97);
    n.ok("Descanso", &[("USUARIO", "1008"), ("DESCANSO", "true")]);
    assert_eq!(n.view("1008").break_subtype, 1);
    n.ok("Descanso", &[("USUARIO", "1008"), ("DESCANSO", "false")]);
    n.ok(
        "Tiempo_Administrativo",
        &[("USUARIO", "1008"), ("TIEMPO_ADM", "true")],
    );
    assert_eq!(n.view("1008").break_subtype, 2);
    n.ok("CRM_No_Disponible", &[("USUARIO", "1008")]);
    n.ok("CRM_Disponible", &[("USUARIO", "1008")]);
    n.ok("Posicion", &[("USUARIO", "1008")]);
}

#[test]
fn breaks_custom_ones_included_and_unknown_subtypes_refused() {
    let mut n = Neotel::new();
    n.login("1009");
    n.ok("Pause", &[("USUARIO", "1009"), ("SUBTIPO_DESCANSO", "21")]);
    let v = n.view("1009");
    assert_eq!((v.break_subtype, v.break_at), (21, Some(n.now)));
    let msg = n.fault("Pause", &[("USUARIO", "1009"), ("SUBTIPO_DESCANSO", "77")]);
    assert!(msg.contains("77") && msg.contains("not found"), "{msg}");
    n.ok("Unpause", &[("USUARIO", "1009")]);
    assert_eq!(n.view("1009").break_subtype, 0);
}

#[test]
fn logins_positions_passwords_and_licenses() {
    let mut n = Neotel::with(|s| s.settings.licenses = 2);
    assert_eq!(
        n.fault("Position", &[("USUARIO", "1001")]),
        "User 1001 not logged."
    );
    assert_eq!(
        n.fault(
            "Login",
            &[
                ("DEVICE", "SIP/9999"),
                ("USUARIO", "1001"),
                ("CLAVE", "1001")
            ]
        ),
        "Position SIP/9999 not found"
    );
    let msg = n.fault(
        "Login",
        &[
            ("DEVICE", "SIP/1001"),
            ("USUARIO", "1001"),
            ("CLAVE", "secreto"),
        ],
    );
    assert_eq!(msg, "Invalid user or password");
    n.login("1001");
    assert_eq!(
        n.fault(
            "Login",
            &[
                ("DEVICE", "SIP/1001"),
                ("USUARIO", "1002"),
                ("CLAVE", "1002")
            ]
        ),
        "Position SIP/1001 not free"
    );
    n.login("1002");
    assert_eq!(
        n.fault(
            "Login",
            &[
                ("DEVICE", "SIP/1003"),
                ("USUARIO", "1003"),
                ("CLAVE", "1003")
            ]
        ),
        "No more API licenses."
    );
    n.ok("Logout", &[("USUARIO", "1002")]);
    n.login("1003");
    // the password is never kept
    assert!(
        n.p.journal()
            .iter()
            .all(|e| e.params.get("CLAVE").is_none_or(|c| c == "***"))
    );
    assert_eq!(
        n.fault("Position_Nueva", &[]),
        "Request format is unrecognized for URL unexpectedly ending in '/Position_Nueva'."
    );
}

#[test]
fn execute_task_nn_must_match_its_parameter_count() {
    let mut n = Neotel::new();
    n.login("1001");
    let Reply::String(table) = n.ok(
        "ExecuteTask02",
        &[("idTask", "1"), ("param1", "categories"), ("param2", "4")],
    ) else {
        panic!("a string");
    };
    let table: serde_json::Value = serde_json::from_str(&table).unwrap();
    let rows = table["Table"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["IDSUBCATEGORIA"] == 28 && r["AGENDA"] == true)
    );
    let msg = n.fault(
        "ExecuteTask01",
        &[("idTask", "1"), ("param1", "breaks"), ("param2", "x")],
    );
    assert!(msg.contains("ExecuteTask01 takes 1 parameters"), "{msg}");
    let msg = n.fault("ExecuteTask00", &[("idTask", "6")]);
    assert!(msg.contains("needs 2 parameters"), "{msg}");
    let Reply::String(none) = n.ok(
        "ExecuteTask02",
        &[("idTask", "6"), ("param1", "4"), ("param2", "nadie")],
    ) else {
        panic!("a string");
    };
    assert_eq!(none, r#"{"Table":[]}"#);
    let msg = n.fault("ExecuteTask01", &[("idTask", "99"), ("param1", "x")]);
    assert!(msg.contains("Task 99 not found"), "{msg}");
}

#[test]
fn the_journal_keeps_the_latest_calls_within_its_limit() {
    let mut n = Neotel::with(|s| s.settings.journal_limit = 10);
    n.login("1001");
    for _ in 0..100 {
        n.ok("Position", &[("USUARIO", "1001")]);
    }
    let j = n.p.journal();
    assert!(j.len() >= 10 && j.len() < 20, "{}", j.len());
    assert_eq!(j.last().unwrap().seq, 101, "sequence numbers keep counting");
}

#[test]
fn the_older_layout_and_24_hour_culture_are_scenario_options() {
    let mut n = Neotel::with(|s| {
        s.settings.position_layout = neotel_sim::PositionLayout::Older;
        s.settings.date_culture = neotel_sim::DateCulture::H24;
    });
    n.login("1001");
    let Reply::String(text) = n.ok("Position", &[("USUARIO", "1001")]) else {
        panic!("a string");
    };
    assert_eq!(text.matches('|').count(), 44);
    assert!(
        text.contains("|TIEMPO_LOGIN=24/11/2026 10:00:00|"),
        "{text}"
    );
}
