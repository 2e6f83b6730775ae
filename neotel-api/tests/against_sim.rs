//! The client against the simulator over loopback HTTP, in all three bindings: Neotel's
//! documented agent flow, inbound with CLAVESF, every operation, every fault path.
//!
//! The simulator is driven through its `/sim/` control API (CONTRACTS.md §2) with
//! plain reqwest, as any test or demo would.

use std::time::Duration;

use neotel_api::{
    AgentState, Binding, Client, ContactRef, Direction, Error, FaultKind, HttpTransportBuilder,
    Password, Position, ReturnKind, Schedule,
};
use neotel_sim::{Scenario, SimServer};
use serde_json::{Value, json};

// The default scenario's agent, device, campaign and queue (neotel-sim/scenarios/default.json).
const USER: &str = "1001";
const DEVICE: &str = "SIP/1001";
const PASSWORD: &str = "1001";
const OTHER_USER: &str = "1002";
const OTHER_DEVICE: &str = "SIP/1002";
const OTHER_PASSWORD: &str = "1002";
const CAMPAIGN: i64 = 97;
const QUEUE: i64 = 200;
const SUBCATEGORY: i64 = 26;
const BREAK: i64 = 1;

/// A running simulator and a control-API client.
struct Sim {
    server: SimServer,
    http: reqwest::Client,
}

impl Sim {
    async fn start() -> Self {
        let server = SimServer::start(([127, 0, 0, 1], 0).into(), Scenario::default_scenario())
            .await
            .expect("the simulator binds loopback");
        Self {
            server,
            http: reqwest::Client::new(),
        }
    }

    fn client(&self, binding: Binding) -> Client {
        Client::new(
            HttpTransportBuilder::new(self.server.base_url())
                .timeout(Duration::from_secs(5))
                .build(binding)
                .expect("a valid transport"),
        )
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.server.base_url()))
            .json(&body)
            .send()
            .await
            .expect("the control API answers");
        let status = response.status();
        let value = response.json::<Value>().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path} {body} → {status} {value}");
        value
    }

    /// The agent's phone answers, then the customer (each only when it is its turn: a
    /// predictive call reaches the customer first, a manual one rings the agent first).
    async fn answer(&self, user: &str, call_id: Option<i64>) {
        let mut paths = vec![format!("/sim/agents/{user}/answer")];
        if let Some(id) = call_id {
            paths.push(format!("/sim/calls/{id}/answer"));
        }
        for path in paths {
            // a leg already up answers 4xx: that is fine here
            let _ = self
                .http
                .post(format!("{}{path}", self.server.base_url()))
                .json(&json!({}))
                .send()
                .await
                .expect("the control API answers");
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.server.base_url()))
            .send()
            .await
            .expect("the control API answers")
            .json()
            .await
            .expect("JSON")
    }

    /// A raw NeoApi call for a method the client has no variant for.
    async fn raw(&self, binding: Binding, method: &str) -> (u16, Vec<u8>) {
        let base = format!("{}/neoapi/webservice.asmx", self.server.base_url());
        let request = match binding {
            Binding::Form => self
                .http
                .post(format!("{base}/{method}"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("USUARIO=1001"),
            Binding::Get => self.http.get(format!("{base}/{method}?USUARIO=1001")),
            Binding::Soap => self
                .http
                .post(base)
                .header("Content-Type", "text/xml; charset=utf-8")
                .header("SOAPAction", format!("\"http://tempuri.org/{method}\""))
                .body(format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><{method} xmlns=\"http://tempuri.org/\"><USUARIO>1001</USUARIO></{method}></soap:Body></soap:Envelope>"
                )),
        };
        let response = request.send().await.expect("the simulator answers");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("a body").to_vec())
    }
}

/// Polls `Position` until `done` holds (at most 10 s at real speed).
async fn wait_for(
    client: &Client,
    user: &str,
    what: &str,
    done: impl Fn(&Position) -> bool,
) -> Position {
    let mut last = None;
    for _ in 0..200 {
        let p = client.position(user).await.expect("Position answers");
        if done(&p) {
            return p;
        }
        last = Some(p);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never reached {what}; last Position: {last:?}");
}

async fn logged_in(sim: &Sim, binding: Binding) -> Client {
    let client = sim.client(binding);
    client
        .login(DEVICE, USER, &Password::new(PASSWORD))
        .await
        .expect("the scenario's agent logs in");
    client
}

async fn agent_flow(binding: Binding) {
    let sim = Sim::start().await;
    let client = logged_in(&sim, binding).await;
    let p = client.position(USER).await.expect("Position");
    assert_eq!(p.user(), USER);
    assert_eq!(p.device(), DEVICE);
    assert_eq!(p.agent_state(), AgentState::NoCampaign);

    client
        .login_campaign(USER, CAMPAIGN)
        .await
        .expect("Login_Campaign2");
    let p = client.position(USER).await.expect("Position");
    assert_eq!(p.outbound_campaign(), Some(CAMPAIGN));
    assert_eq!(p.agent_state(), AgentState::Available);

    // the dialer hands a contact over
    let delivered = sim
        .post(
            "/sim/dialer/deliver",
            json!({"campaign": CAMPAIGN, "user": USER}),
        )
        .await;
    let p = wait_for(&client, USER, "GetContact", |p| {
        p.agent_state() == AgentState::ContactDelivered
    })
    .await;
    let contact = p.contact().expect("a delivered contact");
    assert_eq!(Value::from(contact.base), delivered["base"]);
    assert_eq!(Value::from(contact.id), delivered["contact_id"]);
    assert_eq!(Value::from(contact.data.clone()), delivered["data"]);

    client
        .crm_showing_contact(USER, contact.base, contact.id, &contact.data)
        .await
        .expect("CRM_ShowingContact");
    let p = client.position(USER).await.expect("Position");
    assert_ne!(p.agent_state(), AgentState::ContactDelivered);

    // the call comes up: the customer and the agent's phone answer
    let call_id = delivered["call_id"].as_i64();
    sim.answer(USER, call_id).await;
    let p = wait_for(&client, USER, "a bridged call", |p| {
        p.agent_state() == AgentState::OnCall { bridged: true }
    })
    .await;
    if let Some(id) = call_id {
        assert_eq!(p.call_id(), Some(id));
    }

    client.hangup(USER).await.expect("Hangup");
    let p = wait_for(&client, USER, "the call gone", |p| p.call_id().is_none()).await;
    assert!(
        matches!(p.agent_state(), AgentState::AfterCall | AgentState::Showing),
        "after the call, before CRM_Available: {:?}",
        p.agent_state()
    );

    client
        .update_contact(USER, &contact, SUBCATEGORY, "", None)
        .await
        .expect("UpdateContact");
    client.crm_available(USER).await.expect("CRM_Available");
    let p = client.position(USER).await.expect("Position");
    assert_eq!(p.agent_state(), AgentState::Available);

    let outcomes = sim.get("/sim/outcomes").await;
    let outcome = outcomes
        .as_array()
        .and_then(|all| all.iter().find(|o| o["contact_id"] == contact.id))
        .unwrap_or_else(|| panic!("the disposition is recorded: {outcomes}"));
    assert_eq!(outcome["user"], USER);

    let journal = sim.get("/sim/journal").await;
    let seen: Vec<&str> = journal
        .as_array()
        .expect("the journal is a list")
        .iter()
        .filter_map(|e| e["method"].as_str())
        .collect();
    for method in [
        "Login",
        "Login_Campaign2",
        "Position",
        "CRM_ShowingContact",
        "Hangup",
        "UpdateContact",
        "CRM_Available",
    ] {
        assert!(seen.contains(&method), "{method} missing from {seen:?}");
    }
    assert!(
        journal
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["binding"]
                == match binding {
                    Binding::Form => "post",
                    Binding::Get => "get",
                    Binding::Soap => "soap",
                }),
        "every call went by {binding}"
    );
    assert!(
        !journal
            .to_string()
            .contains(&format!("\"CLAVE\":\"{PASSWORD}\""))
    );

    client.logout(USER).await.expect("Logout");
    let e = client.position(USER).await.expect_err("logged out");
    assert_eq!(e.fault_kind(), Some(FaultKind::NotLogged), "{e}");
    sim.server.shutdown().await;
}

#[tokio::test]
async fn agent_flow_over_form() {
    agent_flow(Binding::Form).await;
}

#[tokio::test]
async fn agent_flow_over_get() {
    agent_flow(Binding::Get).await;
}

#[tokio::test]
async fn agent_flow_over_soap() {
    agent_flow(Binding::Soap).await;
}

async fn inbound_with_clavesf(binding: Binding) {
    let sim = Sim::start().await;
    let client = logged_in(&sim, binding).await;
    client
        .login_campaign(USER, CAMPAIGN)
        .await
        .expect("Login_Campaign2");
    let placed = sim
        .post(
            "/sim/inbound",
            json!({"queue": QUEUE, "ani": "1144445555", "data": "003000000000001AAA"}),
        )
        .await;
    let clavesf = placed["clavesf"].as_str().expect("a CLAVESF").to_owned();
    assert!(clavesf.ends_with("-003000000000001AAA"), "{clavesf}");
    let p = wait_for(&client, USER, "the inbound call", |p| p.call_id().is_some()).await;
    sim.answer(USER, placed["call_id"].as_i64()).await;
    assert_eq!(p.direction(), Some(Direction::Inbound));
    assert_eq!(p.queue(), Some(QUEUE));
    assert_eq!(p.ani(), "1144445555");
    assert_eq!(p.customer_phone(), "1144445555");
    assert_eq!(p.data(), clavesf);
    client.hangup(USER).await.expect("Hangup");
    sim.server.shutdown().await;
}

#[tokio::test]
async fn inbound_with_clavesf_over_form() {
    inbound_with_clavesf(Binding::Form).await;
}

#[tokio::test]
async fn inbound_with_clavesf_over_get() {
    inbound_with_clavesf(Binding::Get).await;
}

#[tokio::test]
async fn inbound_with_clavesf_over_soap() {
    inbound_with_clavesf(Binding::Soap).await;
}

async fn every_operation(binding: Binding) {
    let sim = Sim::start().await;
    let client = logged_in(&sim, binding).await;
    let other = sim.client(binding);
    other
        .login(OTHER_DEVICE, OTHER_USER, &Password::new(OTHER_PASSWORD))
        .await
        .expect("a second agent logs in");
    client
        .login_campaign(USER, CAMPAIGN)
        .await
        .expect("Login_Campaign2");

    // breaks
    client.pause(USER, BREAK).await.expect("Pause");
    let p = client.position(USER).await.expect("Position");
    assert_eq!(
        p.agent_state(),
        AgentState::Paused {
            break_subtype: BREAK
        }
    );
    client.unpause(USER).await.expect("Unpause");
    assert_eq!(
        client
            .position(USER)
            .await
            .expect("Position")
            .break_subtype(),
        None
    );

    // CRM availability
    let _: bool = client.crm_unavailable(USER).await.expect("CRM_Unavailable");
    client.crm_available(USER).await.expect("CRM_Available");

    // a manual call and what can be done on it
    assert!(client.dial(USER, "1144445555").await.expect("Dial"));
    let p = wait_for(&client, USER, "the dialed call", |p| p.call_id().is_some()).await;
    assert_eq!(p.phone(), "1144445555");
    sim.answer(USER, p.call_id()).await;
    wait_for(&client, USER, "bridged", Position::is_bridged).await;
    client.send_dtmf(USER, "1234#").await.expect("SendDTMF");

    // conference
    client.join_conference(USER).await.expect("JoinConference");
    client
        .invite_participant(USER, OTHER_USER)
        .await
        .expect("InviteParticipant");
    client
        .cancel_invitation(USER)
        .await
        .expect("CancelInvitation");
    let conference = client
        .position(USER)
        .await
        .expect("Position")
        .conference()
        .expect("CONFERENCIA is set while in a conference");
    client.kick_all(USER, conference).await.expect("KickAll");
    assert_eq!(
        client.position(USER).await.expect("Position").conference(),
        None
    );

    // an attended transfer, cut back, then a blind one
    client
        .attended_transfer(USER, OTHER_USER)
        .await
        .expect("AttendedTransfer");
    client
        .hangup(USER)
        .await
        .expect("Hangup of the consulted leg");
    let p = client.position(USER).await.expect("Position");
    assert!(p.call_id().is_some(), "back on the original call");
    client
        .blind_transfer(USER, OTHER_USER)
        .await
        .expect("BlindTransfer");
    wait_for(&client, USER, "the call gone", |p| p.call_id().is_none()).await;

    // queue and campaign transfers, each on a new call
    for op in 0..3 {
        assert!(client.dial(USER, "1144445555").await.expect("Dial"));
        let p = wait_for(&client, USER, "the dialed call", |p| p.call_id().is_some()).await;
        sim.answer(USER, p.call_id()).await;
        match op {
            0 => client
                .blind_transfer_queue(USER, QUEUE)
                .await
                .expect("BlindTransferQueue"),
            1 => {
                client
                    .attended_transfer_queue(USER, QUEUE)
                    .await
                    .expect("AttendedTransferQueue");
                client
                    .hangup(USER)
                    .await
                    .expect("Hangup of the consulted leg");
                client.hangup(USER).await.expect("Hangup");
            }
            _ => client
                .blind_transfer_campaign(USER, CAMPAIGN)
                .await
                .expect("BlindTransferCampaign"),
        }
        wait_for(&client, USER, "the call gone", |p| p.call_id().is_none()).await;
    }

    // contacts and schedules
    let delivered = sim
        .post(
            "/sim/dialer/deliver",
            json!({"campaign": CAMPAIGN, "user": USER}),
        )
        .await;
    let contact = ContactRef {
        crm: delivered["crm"].as_i64().unwrap_or(0),
        base: delivered["base"].as_i64().expect("a base"),
        id: delivered["contact_id"].as_i64().expect("a contact id"),
        data: delivered["data"].as_str().unwrap_or("").to_owned(),
    };
    let tomorrow = chrono::Local::now().naive_local() + chrono::Duration::days(1);
    let at = tomorrow.date().and_hms_opt(10, 0, 0).expect("a valid time");
    let schedule_id = client
        .add_schedule_call(USER, &contact, "1144445555", at)
        .await
        .expect("AddScheduleCall");
    assert!(schedule_id.parse::<i64>().is_ok(), "{schedule_id:?}");
    client
        .update_contact(
            USER,
            &contact,
            SUBCATEGORY,
            "",
            Some(Schedule {
                at,
                user: USER.into(),
                phone: "1144445555".into(),
            }),
        )
        .await
        .expect("UpdateContact with a schedule");
    client
        .close_contact(contact.base, contact.id)
        .await
        .expect("CloseContact");
    let outcomes = sim.get("/sim/outcomes").await;
    let mine: Vec<&Value> = outcomes
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["contact_id"] == contact.id)
        .collect();
    assert!(
        mine.iter().any(|o| !o["schedule"].is_null()),
        "the schedule is recorded: {outcomes}"
    );
    assert!(
        mine.iter().any(|o| o["closed"] == true),
        "the close is recorded: {outcomes}"
    );

    // supervision and per-install tasks
    other.start_monitor(OTHER_USER).await.expect("StartMonitor");
    other.stop_monitor(OTHER_USER).await.expect("StopMonitor");
    let breaks = client
        .execute_task_table(1, vec!["breaks".into()])
        .await
        .expect("ExecuteTask01 lists the break states");
    assert!(breaks.iter().any(|b| b["ID"] == BREAK), "{breaks:?}");
    #[derive(serde::Deserialize)]
    struct Found {
        #[serde(rename = "BASE")]
        base: i64,
        #[serde(rename = "IDCONTACTO")]
        id: i64,
    }
    let found: Vec<Found> = client
        .execute_task_rows(6, vec!["4".into(), "0038d0000000001AAA".into()])
        .await
        .expect("ExecuteTask02 finds a contact by Clave_1");
    assert_eq!(
        found.iter().map(|f| (f.base, f.id)).collect::<Vec<_>>(),
        [(134, 1)]
    );
    let supervisor = sim.client(binding);
    supervisor
        .login("SIP/9000", "9000", &Password::new("9000"))
        .await
        .expect("the supervisor logs in");
    let text = client
        .execute_task(2, vec!["9000".into(), USER.into(), "listen".into()])
        .await
        .expect("ExecuteTask03 starts monitoring");
    assert!(text.contains(USER), "{text}");
    let text = client
        .execute_task(3, vec!["9000".into()])
        .await
        .expect("ExecuteTask01 stops monitoring");
    assert!(!text.is_empty());
    let e = client
        .execute_task(999, vec![])
        .await
        .expect_err("an unknown task");
    assert_eq!(e.fault_kind(), Some(FaultKind::Other), "{e}");
    supervisor.logout("9000").await.expect("Logout");

    client.logout_campaign(USER).await.expect("Logout_Campaign");
    assert_eq!(
        client
            .position(USER)
            .await
            .expect("Position")
            .outbound_campaign(),
        None
    );
    client.logout(USER).await.expect("Logout");
    other.logout(OTHER_USER).await.expect("Logout");
    sim.server.shutdown().await;
}

#[tokio::test]
async fn every_operation_over_form() {
    every_operation(Binding::Form).await;
}

#[tokio::test]
async fn every_operation_over_get() {
    every_operation(Binding::Get).await;
}

#[tokio::test]
async fn every_operation_over_soap() {
    every_operation(Binding::Soap).await;
}

async fn faults(binding: Binding) {
    let sim = Sim::start().await;
    let client = sim.client(binding);
    let kind = |r: Result<(), Error>| r.expect_err("a fault").fault_kind();

    // not logged
    let e = client.position(USER).await.expect_err("not logged in yet");
    assert_eq!(e.fault_kind(), Some(FaultKind::NotLogged), "{e}");
    assert_eq!(kind(client.hangup(USER).await), Some(FaultKind::NotLogged));

    // unknown device
    let e = client
        .login("SIP/nope", USER, &Password::new(PASSWORD))
        .await
        .expect_err("unknown device");
    assert_eq!(e.fault_kind(), Some(FaultKind::DeviceNotFound), "{e}");
    assert!(e.to_string().contains("SIP/nope"), "{e}");

    // bad password, never echoed
    let e = client
        .login(DEVICE, USER, &Password::new("wrong-secret"))
        .await
        .expect_err("bad password");
    assert_eq!(e.fault_kind(), Some(FaultKind::LoginFailed), "{e}");
    assert!(!format!("{e} {e:?}").contains("wrong-secret"));

    // position taken by another user
    client
        .login(DEVICE, USER, &Password::new(PASSWORD))
        .await
        .expect("login");
    let e = client
        .login(DEVICE, OTHER_USER, &Password::new(OTHER_PASSWORD))
        .await
        .expect_err("taken");
    assert_eq!(e.fault_kind(), Some(FaultKind::PositionNotFree), "{e}");

    // unknown method: raw call, decoded by the codec
    let (status, body) = sim.raw(binding, "NoSuchMethod").await;
    assert_eq!(status, 500);
    let fault = match binding {
        Binding::Soap => neotel_api::codec::decode_soap("NoSuchMethod", ReturnKind::Void, &body)
            .expect_err("a SOAP fault")
            .fault()
            .cloned()
            .expect("a platform fault"),
        _ => neotel_api::codec::text_fault("NoSuchMethod", &body),
    };
    assert_eq!(fault.kind, FaultKind::UnknownMethod, "{fault}");

    // injected fault on one method
    sim.post(
        "/sim/faults",
        json!({"method": "Dial", "error_rate": 1.0, "message": "No more API licenses."}),
    )
    .await;
    let e = client.dial(USER, "1").await.expect_err("injected");
    assert_eq!(e.fault_kind(), Some(FaultKind::NoLicenses), "{e}");
    sim.server.shutdown().await;
}

#[tokio::test]
async fn faults_over_form() {
    faults(Binding::Form).await;
}

#[tokio::test]
async fn faults_over_get() {
    faults(Binding::Get).await;
}

#[tokio::test]
async fn faults_over_soap() {
    faults(Binding::Soap).await;
}

/// An older install: 44-key `Position`, 24-hour dates.
#[tokio::test]
async fn older_layout_and_24_hour_dates() {
    let mut scenario = Scenario::default_scenario();
    scenario.settings.position_layout = neotel_sim::PositionLayout::Older;
    scenario.settings.date_culture = neotel_sim::DateCulture::H24;
    let server = SimServer::start(([127, 0, 0, 1], 0).into(), scenario)
        .await
        .expect("the simulator binds loopback");
    let sim = Sim {
        server,
        http: reqwest::Client::new(),
    };
    for binding in [Binding::Form, Binding::Get, Binding::Soap] {
        let client = logged_in(&sim, binding).await;
        client
            .login_campaign(USER, 99)
            .await
            .expect("Login_Campaign2");
        let p = client.position(USER).await.expect("Position");
        assert_eq!(p.len(), 44);
        assert_eq!(p.get("INICIO_LOGIN"), None);
        assert!(
            p.date(neotel_api::PositionDate::Login).is_some(),
            "TIEMPO_LOGIN read in 24-hour culture: {:?}",
            p.get("TIEMPO_LOGIN")
        );
        assert_eq!(p.agent_state(), AgentState::Available);
        assert!(client.dial(USER, "1144445555").await.expect("Dial"));
        let p = wait_for(&client, USER, "the call", |p| p.call_id().is_some()).await;
        sim.answer(USER, p.call_id()).await;
        wait_for(&client, USER, "bridged", |p| {
            p.agent_state() == AgentState::OnCall { bridged: true }
        })
        .await;
        client.hangup(USER).await.expect("Hangup");
        client.logout(USER).await.expect("Logout");
    }
    sim.server.shutdown().await;
}
