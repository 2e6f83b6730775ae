//! The simulator over real HTTP on loopback: the three bindings, faults, the WSDL and the
//! control API, checked on the bytes a real client would see.

use neotel_sim::{Scenario, SimServer};
use serde_json::{Value, json};

struct Sim {
    server: SimServer,
    http: reqwest::Client,
}

impl Sim {
    async fn start() -> Self {
        let mut scenario = Scenario::default_scenario();
        // Phones answer only when told: tests drive every step.
        scenario.settings.agent_answer_ms = 0;
        scenario.settings.customer_answer_ms = 0;
        scenario.settings.consult_answer_ms = 0;
        let server = SimServer::start("127.0.0.1:0".parse().unwrap(), scenario)
            .await
            .unwrap();
        Self {
            server,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// Form POST: `(status, body)`.
    async fn post(&self, method: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(self.url(&format!("/neoapi/webservice.asmx/{method}")))
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn ok(&self, method: &str, form: &[(&str, &str)]) -> String {
        let (status, body) = self.post(method, form).await;
        assert_eq!(status, 200, "{method}: {body}");
        body
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{path}: {v}");
        v
    }

    async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn position(&self, user: &str) -> String {
        let body = self.ok("Position", &[("USUARIO", user)]).await;
        let inner = body
            .split_once("<string xmlns=\"http://tempuri.org/\">")
            .unwrap()
            .1;
        inner.strip_suffix("</string>").unwrap().to_owned()
    }

    async fn login(&self, user: &str) {
        self.ok(
            "Login",
            &[
                ("DEVICE", &format!("SIP/{user}")),
                ("USUARIO", user),
                ("CLAVE", user),
            ],
        )
        .await;
    }
}

fn field<'a>(position: &'a str, key: &str) -> &'a str {
    position
        .split('|')
        .find_map(|i| i.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v))
        .unwrap_or_else(|| panic!("no {key}"))
}

#[tokio::test]
async fn a_form_post_position_after_login_is_the_real_wire_format() {
    let sim = Sim::start().await;
    let (status, body) = sim
        .post(
            "Login",
            &[
                ("DEVICE", "SIP/1001"),
                ("USUARIO", "1001"),
                ("CLAVE", "1001"),
            ],
        )
        .await;
    assert_eq!(
        (status, body.as_str()),
        (200, ""),
        "void methods answer an empty body"
    );
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx/Position"))
        .body("USUARIO=1001")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/xml; charset=utf-8");
    let body = r.text().await.unwrap();
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<string xmlns=\"http://tempuri.org/\">DEVICE=SIP/1001|"), "{body}");
    assert!(body.ends_with("|</string>"));
    let position = sim.position("1001").await;
    assert_eq!(
        position.matches('|').count(),
        52,
        "52 keys, each closed by |"
    );
    assert_eq!(field(&position, "USUARIO"), "1001");
    assert_eq!(field(&position, "ESTADO_CRM"), "Available");
    assert_eq!(field(&position, "SAL_CAMPAÑA_DEFAULT"), "0");
    assert!(
        field(&position, "INICIO_LOGIN").ends_with(".m."),
        "es-AR 12-hour culture by default"
    );
    assert_eq!(field(&position, "RINGING"), "01/01/0001 12:00:00 a.m.");
}

#[tokio::test]
async fn the_get_binding_and_prefixes_and_case_are_accepted() {
    let sim = Sim::start().await;
    sim.login("1002").await;
    for path in [
        "/neoapi/webservice.asmx/Position",
        "/NEOAPI/WebService.asmx/Position",
        "/neotel/neoapi/webservice.asmx/Posicion",
    ] {
        let r = sim
            .http
            .get(sim.url(&format!("{path}?USUARIO=1002")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.text().await.unwrap().contains("USUARIO=1002|"));
    }
    // Ñ in a parameter name travels percent-encoded as UTF-8
    let r = sim
        .http
        .get(sim.url("/neoapi/webservice.asmx/Login_Campa%C3%B1a?USUARIO=1002&CAMPA%C3%91A=97"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        field(&sim.position("1002").await, "SAL_CAMPAÑA_DEFAULT"),
        "97"
    );
}

#[tokio::test]
async fn a_hand_built_soap_request_following_the_wsdl_gets_a_soap_answer() {
    let sim = Sim::start().await;
    sim.login("1003").await;
    let envelope = r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <Position xmlns="http://tempuri.org/">
      <USUARIO>1003</USUARIO>
    </Position>
  </soap:Body>
</soap:Envelope>"#;
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx"))
        .header("content-type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"http://tempuri.org/Position\"")
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("<soap:Body><PositionResponse xmlns=\"http://tempuri.org/\"><PositionResult>DEVICE=SIP/1003|"), "{body}");
    // a void method answers an empty Response element
    let logout = envelope.replace("Position", "Logout");
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx"))
        .header("SOAPAction", "\"http://tempuri.org/Logout\"")
        .body(logout.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<LogoutResponse xmlns=\"http://tempuri.org/\" />")
    );
    // and a fault is a soap:Fault with the ASP.NET faultstring
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx"))
        .header("SOAPAction", "\"http://tempuri.org/Logout\"")
        .body(logout)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body = r.text().await.unwrap();
    assert!(body.contains("<faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; User 1003 not logged.</faultstring>"), "{body}");
}

#[tokio::test]
async fn faults_are_http_500_with_the_messages_clients_match() {
    let sim = Sim::start().await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "Position",
            vec![("USUARIO", "1004")],
            "System.Exception: User 1004 not logged.",
        ),
        (
            "Login",
            vec![
                ("DEVICE", "SIP/nope"),
                ("USUARIO", "1004"),
                ("CLAVE", "1004"),
            ],
            "Position SIP/nope not found",
        ),
        (
            "Login",
            vec![
                ("DEVICE", "SIP/1004"),
                ("USUARIO", "1004"),
                ("CLAVE", "wrong"),
            ],
            "Invalid user or password",
        ),
        (
            "NoSuchMethod",
            vec![],
            "Request format is unrecognized for URL unexpectedly ending in '/NoSuchMethod'.",
        ),
    ];
    for (method, form, expected) in cases {
        let (status, body) = sim.post(method, &form).await;
        assert_eq!(status, 500, "{method}");
        assert!(body.contains(expected), "{method}: {body}");
    }
    sim.login("1004").await;
    let (status, body) = sim
        .post(
            "Login",
            &[
                ("DEVICE", "SIP/1004"),
                ("USUARIO", "1005"),
                ("CLAVE", "1005"),
            ],
        )
        .await;
    assert_eq!(status, 500);
    assert!(body.contains("Position SIP/1004 not free"), "{body}");
    let (status, body) = sim
        .post("Login_Campaign2", &[("USUARIO", "1004"), ("CAMPANA", "x")])
        .await;
    assert_eq!(status, 500);
    assert!(body.contains("Cannot convert x to System.Int32."), "{body}");
}

#[tokio::test]
async fn the_wsdl_is_the_2017_one_plus_login() {
    let sim = Sim::start().await;
    let body = sim
        .http
        .get(sim.url("/neoapi/webservice.asmx?WSDL"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("<wsdl:operation name=\"Login\">"));
    assert!(body.contains("<wsdl:operation name=\"ExecuteTask20\">"));
    assert!(body.contains(&format!(
        "location=\"{}/neoapi/webservice.asmx\"",
        sim.server.base_url()
    )));
}

#[tokio::test]
async fn neotels_documented_agent_flow_with_a_predictive_contact() {
    let sim = Sim::start().await;
    sim.login("1001").await;
    sim.ok("Login_Campaign2", &[("USUARIO", "1001"), ("CAMPANA", "97")])
        .await;
    let p = sim.position("1001").await;
    assert_eq!(
        (
            field(&p, "SAL_TIPO_DISCADOR"),
            field(&p, "SAL_CRM"),
            field(&p, "SAL_BASE")
        ),
        ("Predictive", "4", "134")
    );

    let d = sim
        .control("/sim/dialer/deliver", json!({"campaign": 97}))
        .await;
    let call_id = d["call_id"].as_i64().unwrap().to_string();
    let p = sim.position("1001").await;
    assert_eq!(field(&p, "ESTADO_CRM"), "GetContact");
    assert_eq!(field(&p, "IDLLAMADA"), call_id);
    assert_eq!(
        field(&p, "SUB_ESTADO"),
        "RINGING",
        "predictive: the customer is on, the agent's phone rings"
    );
    assert_eq!(field(&p, "TIPO_LLAMADA"), "OriginateExt");
    assert_eq!(field(&p, "ORIGEN_LLAMADA"), "NO PROCESADO");
    let (base, id, data) = (
        field(&p, "BASE").to_owned(),
        field(&p, "IDCONTACTO").to_owned(),
        field(&p, "DATA").to_owned(),
    );
    assert_eq!(data, d["data"].as_str().unwrap());
    assert!(
        data.starts_with("003") || data.starts_with("001") || data.starts_with("00Q"),
        "a Salesforce Id: {data}"
    );

    sim.control("/sim/agents/1001/answer", json!({})).await;
    assert_eq!(field(&sim.position("1001").await, "SUB_ESTADO"), "AGENT");
    sim.ok(
        "CRM_ShowingContact",
        &[
            ("USUARIO", "1001"),
            ("BASE", &base),
            ("IDCONTACTO", &id),
            ("DATA", &data),
        ],
    )
    .await;
    assert_eq!(
        field(&sim.position("1001").await, "ESTADO_CRM"),
        "ShowingContact"
    );
    sim.ok("SendDTMF", &[("USUARIO", "1001"), ("DIGITOS", "1")])
        .await;
    sim.ok("Hangup", &[("USUARIO", "1001")]).await;
    let p = sim.position("1001").await;
    assert_eq!(
        (field(&p, "IDLLAMADA"), field(&p, "IDLLAMADA_ULT")),
        ("0", call_id.as_str())
    );
    assert_eq!(
        field(&p, "ESTADO_CRM"),
        "ShowingContact",
        "the contact stays until CRM_Available"
    );
    sim.ok(
        "UpdateContact",
        &[
            ("CRM", "4"),
            ("USUARIO", "1001"),
            ("BASE", &base),
            ("IDCONTACTO", &id),
            ("DATA", &data),
            ("SUBCATEGORIA", "26"),
            ("XML_UPDATE", "cliente conforme"),
            ("AGENDA", "false"),
            ("FECHA_AGENDA", "2000-01-01T00:00:00"),
            ("USUARIO_AGENDA", ""),
            ("TEL_AGENDA", ""),
        ],
    )
    .await;
    sim.ok("CRM_Available", &[("USUARIO", "1001")]).await;
    let p = sim.position("1001").await;
    assert_eq!(
        (field(&p, "ESTADO_CRM"), field(&p, "IDCONTACTO")),
        ("Available", "0")
    );
    let outcomes = sim.get_json("/sim/outcomes").await;
    assert_eq!(outcomes[0]["subcategory"], "Venta concretada");
    assert_eq!(outcomes[0]["category"], "Venta");
    assert_eq!(outcomes[0]["notes"], "cliente conforme");
    let journal = sim.get_json("/sim/journal").await;
    let login = journal
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == "Login")
        .unwrap();
    assert_eq!(
        login["params"]["CLAVE"], "***",
        "the journal never keeps a password"
    );
    assert_eq!(login["binding"], "post");
}

#[tokio::test]
async fn inbound_calls_run_contacto_insert_salesforce() {
    let sim = Sim::start().await;
    sim.login("1005").await;
    // a known caller: DATA is a Salesforce Id already in base 135
    let scenario = Scenario::default_scenario();
    let known = scenario.contacts.iter().find(|c| c.base == 135).unwrap();
    let placed = sim
        .control(
            "/sim/inbound",
            json!({"queue": 200, "ani": "1144445555", "data": known.clave_1}),
        )
        .await;
    assert_eq!(placed["contact_id"], known.id);
    assert_eq!(placed["clavesf"], format!("{}-{}", known.id, known.clave_1));
    assert_eq!(placed["user"], "1005");
    let p = sim.position("1005").await;
    assert_eq!(field(&p, "DATA"), placed["clavesf"].as_str().unwrap());
    assert_eq!(
        (
            field(&p, "COLA"),
            field(&p, "DIRECCION"),
            field(&p, "ANI"),
            field(&p, "BASE")
        ),
        ("200", "ENTRANTE", "1144445555", "135")
    );
    sim.control(
        &format!("/sim/calls/{}/hangup", placed["call_id"]),
        json!({}),
    )
    .await;
    sim.ok("CRM_Available", &[("USUARIO", "1005")]).await;

    // a private number: DATA empty → a new contact and CLAVESF "idContacto-"
    let placed = sim
        .control("/sim/inbound", json!({"queue": 200, "ani": ""}))
        .await;
    let id = placed["contact_id"].as_i64().unwrap();
    assert_eq!(placed["clavesf"], format!("{id}-"));
    assert_eq!(field(&sim.position("1005").await, "DATA"), format!("{id}-"));
}

#[tokio::test]
async fn a_schedule_comes_back_as_a_call_with_its_reason() {
    let sim = Sim::start().await;
    sim.control("/sim/clock", json!({"mode": "manual"})).await;
    sim.login("1006").await;
    sim.ok("Login_Campaign2", &[("USUARIO", "1006"), ("CAMPANA", "97")])
        .await;
    let d = sim
        .control("/sim/dialer/deliver", json!({"campaign": 97}))
        .await;
    let (base, id) = (d["base"].to_string(), d["contact_id"].to_string());
    sim.ok("Hangup", &[("USUARIO", "1006")]).await;
    let now = sim.control("/sim/clock", json!({})).await["now"]
        .as_str()
        .unwrap()
        .to_owned();
    let when = chrono::NaiveDateTime::parse_from_str(&now[..19], "%Y-%m-%dT%H:%M:%S").unwrap()
        + chrono::Duration::minutes(30);
    let when = when.format("%Y-%m-%dT%H:%M:%S").to_string();
    sim.ok(
        "UpdateContact",
        &[
            ("CRM", "4"),
            ("USUARIO", "1006"),
            ("BASE", &base),
            ("IDCONTACTO", &id),
            ("DATA", ""),
            ("SUBCATEGORIA", "28"),
            ("XML_UPDATE", ""),
            ("AGENDA", "true"),
            ("FECHA_AGENDA", &when),
            ("USUARIO_AGENDA", "1006"),
            ("TEL_AGENDA", "1155556666"),
        ],
    )
    .await;
    sim.ok("CRM_Available", &[("USUARIO", "1006")]).await;
    assert_eq!(field(&sim.position("1006").await, "IDLLAMADA"), "0");
    sim.control("/sim/clock", json!({"advance_ms": 31 * 60 * 1000}))
        .await;
    let p = sim.position("1006").await;
    assert_eq!(field(&p, "ESTADO_CRM"), "GetContact");
    assert_eq!(field(&p, "ORIGEN_LLAMADA"), "AGENDA");
    assert_eq!(field(&p, "IDCONTACTO"), id);
    assert_eq!(field(&p, "TELEFONO"), "1155556666");
    assert!(!field(&p, "IDAGENDA").is_empty());
}

#[tokio::test]
async fn attended_transfer_hangup_cuts_only_the_consulted_leg() {
    let sim = Sim::start().await;
    sim.login("1007").await;
    sim.ok("Dial", &[("USUARIO", "1007"), ("TELEFONO", "1144445555")])
        .await;
    let call = field(&sim.position("1007").await, "IDLLAMADA").to_owned();
    sim.control("/sim/agents/1007/answer", json!({})).await;
    assert_eq!(field(&sim.position("1007").await, "SUB_ESTADO"), "DIALING");
    sim.control(&format!("/sim/calls/{call}/answer"), json!({}))
        .await;
    assert_eq!(field(&sim.position("1007").await, "SUB_ESTADO"), "AGENT");
    sim.ok(
        "AttendedTransfer",
        &[("USUARIO", "1007"), ("EXTENSION", "1008")],
    )
    .await;
    assert!(
        field(&sim.position("1007").await, "CANALES_ASOCIADOS").contains("¦¦SIP/1008-consulta")
    );
    sim.ok("Hangup", &[("USUARIO", "1007")]).await;
    let p = sim.position("1007").await;
    assert_eq!(field(&p, "IDLLAMADA"), call, "back on the original call");
    assert!(!field(&p, "CANALES_ASOCIADOS").contains("consulta"));
    sim.ok(
        "BlindTransferQueue",
        &[("USUARIO", "1007"), ("COLA", "201")],
    )
    .await;
    assert_eq!(
        field(&sim.position("1007").await, "IDLLAMADA"),
        "0",
        "a blind transfer leaves the call"
    );
    let (status, body) = sim
        .post(
            "BlindTransferQueue",
            &[("USUARIO", "1007"), ("COLA", "999")],
        )
        .await;
    assert_eq!(status, 500, "{body}");
}

#[tokio::test]
async fn conference_id_is_in_position_and_kickall_ends_it() {
    let sim = Sim::start().await;
    sim.login("1008").await;
    sim.ok("Dial", &[("USUARIO", "1008"), ("TELEFONO", "1144445555")])
        .await;
    sim.ok("JoinConference", &[("USUARIO", "1008")]).await;
    let conf = field(&sim.position("1008").await, "CONFERENCIA").to_owned();
    assert!(!conf.is_empty());
    sim.ok(
        "InviteParticipant",
        &[("USUARIO", "1008"), ("EXTENSION", "1140001000")],
    )
    .await;
    sim.ok(
        "InviteParticipant",
        &[("USUARIO", "1008"), ("EXTENSION", "1009")],
    )
    .await;
    assert!(field(&sim.position("1008").await, "CANALES_ASOCIADOS").contains("¦¦SIP/1009-conf"));
    sim.ok("CancelInvitation", &[("USUARIO", "1008")]).await;
    sim.ok("KickAll", &[("USUARIO", "1008"), ("CONFERENCIA", &conf)])
        .await;
    assert_eq!(field(&sim.position("1008").await, "CONFERENCIA"), "");
}

#[tokio::test]
async fn per_install_tasks_list_monitor_text_and_find() {
    let sim = Sim::start().await;
    sim.login("1009").await;
    sim.login("9000").await;
    let body = sim
        .ok("ExecuteTask01", &[("idTask", "1"), ("param1", "breaks")])
        .await;
    assert!(
        body.contains(
            r#"<string xmlns="http://tempuri.org/">{"Table":[{"ID":1,"NOMBRE":"Descanso"}"#
        ),
        "{body}"
    );
    let body = sim
        .ok(
            "ExecuteTask02",
            &[
                ("idTask", "1"),
                ("param1", "transferPhones"),
                ("param2", "97"),
            ],
        )
        .await;
    assert!(body.contains("1140001000"));
    let body = sim
        .ok(
            "ExecuteTask03",
            &[
                ("idTask", "2"),
                ("param1", "9000"),
                ("param2", "1009"),
                ("param3", "listen"),
            ],
        )
        .await;
    assert!(body.contains("monitoreando a 1009"));
    sim.ok("ExecuteTask01", &[("idTask", "3"), ("param1", "9000")])
        .await;
    let (status, _) = sim
        .post(
            "ExecuteTask03",
            &[
                ("idTask", "2"),
                ("param1", "1009"),
                ("param2", "1001"),
                ("param3", "listen"),
            ],
        )
        .await;
    assert_eq!(status, 500, "only supervisors monitor");
    sim.ok(
        "ExecuteTask04",
        &[
            ("idTask", "5"),
            ("param1", "1009"),
            ("param2", "1144445555"),
            ("param3", "whatsapp"),
            ("param4", "Hola"),
        ],
    )
    .await;
    assert_eq!(sim.get_json("/sim/texts").await[0]["channel"], "whatsapp");
    let key = &Scenario::default_scenario().contacts[0];
    let body = sim
        .ok(
            "ExecuteTask02",
            &[("idTask", "6"), ("param1", "4"), ("param2", &key.clave_1)],
        )
        .await;
    assert!(
        body.contains(&format!("\"IDCONTACTO\":{}", key.id)),
        "{body}"
    );
    let (status, body) = sim.post("ExecuteTask21", &[("idTask", "1")]).await;
    assert_eq!(status, 500, "{body}");
}

#[tokio::test]
async fn injected_faults_fail_and_drop_calls_then_clear() {
    let sim = Sim::start().await;
    sim.login("1010").await;
    sim.control(
        "/sim/faults",
        json!({"method": "Position", "fail_next": 2, "message": "Timeout expired."}),
    )
    .await;
    for _ in 0..2 {
        let (status, body) = sim.post("Position", &[("USUARIO", "1010")]).await;
        assert_eq!(status, 500);
        assert!(body.contains("Timeout expired."));
    }
    assert_eq!(sim.post("Position", &[("USUARIO", "1010")]).await.0, 200);
    // a rule for one method wins over the rule for all: clear it first
    sim.http
        .delete(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap();
    sim.control("/sim/faults", json!({"method": "*", "drop_rate": 1.0}))
        .await;
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx/Position"))
        .form(&[("USUARIO", "1010")])
        .send()
        .await;
    let dropped = match r {
        Err(_) => true,
        Ok(resp) => resp.text().await.is_err(),
    };
    assert!(dropped, "the connection is cut without an answer");
    sim.http
        .delete(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.post("Position", &[("USUARIO", "1010")]).await.0, 200);
}

/// `lose_answer_rate`: the call is applied and then its answer is lost, the case a client must
/// not repeat blindly; the journal says both.
#[tokio::test]
async fn a_lost_answer_is_applied_and_journaled() {
    let sim = Sim::start().await;
    sim.post(
        "Login",
        &[
            ("DEVICE", "SIP/1009"),
            ("USUARIO", "1009"),
            ("CLAVE", "1009"),
        ],
    )
    .await;
    sim.control(
        "/sim/faults",
        json!({"method": "Login_Campaign2", "lose_answer_rate": 1.0}),
    )
    .await;
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx/Login_Campaign2"))
        .form(&[("USUARIO", "1009"), ("CAMPANA", "97")])
        .send()
        .await;
    let lost = match r {
        Err(_) => true,
        Ok(resp) => resp.text().await.is_err(),
    };
    assert!(lost, "no answer reaches the client");
    sim.http
        .delete(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap();
    let (_, position) = sim.post("Position", &[("USUARIO", "1009")]).await;
    assert!(
        position.contains("SAL_CAMPAÑA_DEFAULT=97")
            || position.contains("SAL_CAMPA&#209;A_DEFAULT=97"),
        "the write was applied: {position}"
    );
    let journal: Vec<Value> = sim
        .http
        .get(sim.url("/sim/journal"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<u64> = journal
        .iter()
        .filter(|e| e["method"] == "Login_Campaign2")
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 0], "applied, then the answer lost");
    // The shares must add up to no more than everything.
    let r = sim
        .http
        .post(sim.url("/sim/faults"))
        .json(&json!({"method": "*", "drop_rate": 0.6, "lose_answer_rate": 0.6}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

/// `lose_next`: the next call is applied and its answer lost, the one after answers; the
/// applied counts say each write happened once.
#[tokio::test]
async fn the_next_answer_can_be_lost_and_applied_writes_are_counted() {
    let sim = Sim::start().await;
    sim.control("/sim/faults", json!({"method": "Login", "lose_next": 1}))
        .await;
    let login = [
        ("DEVICE", "SIP/1008"),
        ("USUARIO", "1008"),
        ("CLAVE", "1008"),
    ];
    let first = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx/Login"))
        .form(&login)
        .send()
        .await;
    let lost = match first {
        Err(_) => true,
        Ok(resp) => resp.text().await.is_err(),
    };
    assert!(lost, "the first answer is lost");
    let (_, position) = sim.post("Position", &[("USUARIO", "1008")]).await;
    assert!(
        position.contains("DEVICE=SIP/1008"),
        "it was applied: {position}"
    );
    sim.post("Logout", &[("USUARIO", "1008")]).await;
    sim.post("Login", &login).await;
    let applied: Value = sim
        .http
        .get(sim.url("/sim/applied"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(applied["login"], 2, "{applied}");
    assert_eq!(applied["logout"], 1, "{applied}");
}

#[tokio::test]
async fn control_errors_are_json_with_a_4xx() {
    let sim = Sim::start().await;
    let r = sim
        .http
        .post(sim.url("/sim/dialer/deliver"))
        .json(&json!({"campaign": 97}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "no available agent in campaign 97");
    let r = sim
        .http
        .post(sim.url("/sim/scenario"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// A SOAP 1.1 call built by hand as the WSDL describes it: `(status, body)`.
async fn soap(sim: &Sim, method: &str, params: &[(&str, &str)]) -> (u16, String) {
    let children: String = params
        .iter()
        .map(|(k, v)| format!("<{k}>{v}</{k}>"))
        .collect();
    let envelope = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><{method} xmlns="http://tempuri.org/">{children}</{method}></soap:Body></soap:Envelope>"#
    );
    let r = sim
        .http
        .post(sim.url("/neoapi/webservice.asmx"))
        .header("content-type", "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"http://tempuri.org/{method}\""))
        .body(envelope)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn soap_envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

#[tokio::test]
async fn every_bindings_success_and_fault_bodies_are_byte_exact() {
    let sim = Sim::start().await;
    sim.login("1002").await;
    let get = |path: String| {
        let http = sim.http.clone();
        let url = sim.url(&format!("/neoapi/webservice.asmx/{path}"));
        async move {
            let r = http.get(url).send().await.unwrap();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), ct, r.text().await.unwrap())
        }
    };
    const XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n";

    // form POST and GET: void, boolean, string
    assert_eq!(
        sim.post("CRM_Available", &[("USUARIO", "1002")]).await,
        (200, String::new())
    );
    assert_eq!(get("CRM_Available?USUARIO=1002".into()).await.2, "");
    assert_eq!(
        sim.post("CRM_Unavailable", &[("USUARIO", "1002")]).await,
        (
            200,
            format!("{XML}<boolean xmlns=\"http://tempuri.org/\">true</boolean>")
        )
    );
    let (status, ct, body) =
        get("ExecuteTask02?idTask=6&param1=4&param2=nadie%20%26%20%3Cotro%3E".into()).await;
    assert_eq!(
        (status, ct.as_deref(), body.as_str()),
        (
            200,
            Some("text/xml; charset=utf-8"),
            format!("{XML}<string xmlns=\"http://tempuri.org/\">{{\"Table\":[]}}</string>")
                .as_str()
        )
    );
    // form POST and GET faults: HTTP 500, text/plain, the .NET exception and its frame
    let expected =
        "System.Exception: User 1004 not logged.\r\n   at NeoApi.WebService.Position()\r\n";
    assert_eq!(
        sim.post("Position", &[("USUARIO", "1004")]).await,
        (500, expected.to_owned())
    );
    let (status, ct, body) = get("Position?USUARIO=1004".into()).await;
    assert_eq!(
        (status, ct.as_deref(), body.as_str()),
        (500, Some("text/plain; charset=utf-8"), expected)
    );
    assert_eq!(
        get("Nada?USUARIO=1002".into()).await.2,
        "System.InvalidOperationException: Request format is unrecognized for URL unexpectedly ending in '/Nada'.\r\n   at System.Web.Services.Protocols.WebServiceHandlerFactory.CoreGetHandler(Type type, HttpContext context, HttpRequest request, HttpResponse response)\r\n"
    );
    assert_eq!(
        sim.post("Pause", &[("USUARIO", "1002"), ("SUBTIPO_DESCANSO", "uno")])
            .await
            .1,
        "System.ArgumentException: Cannot convert uno to System.Int32.\r\n   at System.Web.Services.Protocols.ScalarFormatter.FromString(String value, Type type)\r\n"
    );

    // SOAP 1.1: void, boolean, string, fault
    assert_eq!(
        soap(&sim, "CRM_Available", &[("USUARIO", "1002")]).await,
        (
            200,
            soap_envelope(r#"<CRM_AvailableResponse xmlns="http://tempuri.org/" />"#)
        )
    );
    assert_eq!(
        soap(&sim, "CRM_Unavailable", &[("USUARIO", "1002")]).await,
        (
            200,
            soap_envelope(
                r#"<CRM_UnavailableResponse xmlns="http://tempuri.org/"><CRM_UnavailableResult>true</CRM_UnavailableResult></CRM_UnavailableResponse>"#
            )
        )
    );
    assert_eq!(
        soap(
            &sim,
            "ExecuteTask02",
            &[("idTask", "6"), ("param1", "4"), ("param2", "x &amp; y")]
        )
        .await,
        (
            200,
            soap_envelope(
                r#"<ExecuteTask02Response xmlns="http://tempuri.org/"><ExecuteTask02Result>{"Table":[]}</ExecuteTask02Result></ExecuteTask02Response>"#
            )
        )
    );
    assert_eq!(
        soap(&sim, "Position", &[("USUARIO", "1004")]).await,
        (
            500,
            soap_envelope(
                "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; User 1004 not logged.</faultstring><detail /></soap:Fault>"
            )
        )
    );
    // the journal names each binding
    let journal = sim.get_json("/sim/journal").await;
    let bindings: std::collections::BTreeSet<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["binding"].as_str().unwrap())
        .collect();
    assert_eq!(bindings, ["get", "post", "soap"].into_iter().collect());
}

#[tokio::test]
async fn injected_error_rates_are_reproducible_and_journaled() {
    let sim = Sim::start().await;
    sim.login("1003").await;
    let rule = json!({"method": "position", "error_rate": 0.5, "seed": 7, "message": "Thread was being aborted."});
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.control("/sim/faults", rule.clone()).await;
        let mut run = Vec::new();
        for _ in 0..24 {
            run.push(sim.post("Position", &[("USUARIO", "1003")]).await.0);
        }
        runs.push(run);
    }
    assert_eq!(
        runs[0], runs[1],
        "the same rule and seed fail the same calls"
    );
    assert!(
        runs[0].contains(&500) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );
    // other methods are untouched, and the injected failures are in the journal
    sim.ok("CRM_Available", &[("USUARIO", "1003")]).await;
    let journal = sim.get_json("/sim/journal").await;
    let injected = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == 500 && e["reply"] == "Thread was being aborted.")
        .count();
    assert_eq!(
        injected,
        runs.iter().flatten().filter(|s| **s == 500).count()
    );
    // latency delays but answers
    sim.control("/sim/faults", json!({"method": "*", "latency_ms": 20}))
        .await;
    sim.http
        .delete(sim.url("/sim/faults"))
        .send()
        .await
        .unwrap();
    sim.control("/sim/faults", json!({"method": "*", "latency_ms": 20}))
        .await;
    assert_eq!(sim.post("Position", &[("USUARIO", "1003")]).await.0, 200);
    let rules = sim.get_json("/sim/faults").await;
    assert_eq!(rules[0]["latency_ms"], 20);
}

#[tokio::test]
async fn the_manual_clock_drives_auto_answer_and_the_agent_endpoint_shows_it() {
    // the shipped timings: phones answer by themselves
    let server = SimServer::start("127.0.0.1:0".parse().unwrap(), Scenario::default_scenario())
        .await
        .unwrap();
    let sim = Sim {
        server,
        http: reqwest::Client::new(),
    };
    let r = sim
        .http
        .post(sim.url("/sim/clock"))
        .json(&json!({"advance_ms": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "the real clock cannot be advanced");
    sim.control("/sim/clock", json!({"mode": "manual"})).await;
    sim.login("1001").await;
    sim.ok("Login_Campaign2", &[("USUARIO", "1001"), ("CAMPANA", "97")])
        .await;
    sim.control(
        "/sim/dialer/deliver",
        json!({"campaign": 97, "user": "1001", "contact": {"base": 134, "id": 3}}),
    )
    .await;
    let agent = sim.get_json("/sim/agents/1001").await;
    let position = agent["position"].as_str().unwrap();
    assert_eq!(field(position, "SUB_ESTADO"), "RINGING");
    assert_eq!(field(position, "IDCONTACTO"), "3");
    assert_eq!(agent["call"]["contact"]["id"], 3);
    sim.control("/sim/clock", json!({"advance_ms": 1500})).await;
    let agent = sim.get_json("/sim/agents/1001").await;
    assert_eq!(
        field(agent["position"].as_str().unwrap(), "SUB_ESTADO"),
        "AGENT"
    );
    let r = sim
        .http
        .get(sim.url("/sim/agents/1009"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    sim.server.shutdown().await;
}

#[tokio::test]
async fn a_posted_scenario_replaces_the_platform() {
    let sim = Sim::start().await;
    sim.login("1001").await;
    let mut scenario = Scenario::default_scenario();
    scenario.settings.position_layout = neotel_sim::PositionLayout::Older;
    sim.control("/sim/scenario", serde_json::to_value(&scenario).unwrap())
        .await;
    let (status, body) = sim.post("Position", &[("USUARIO", "1001")]).await;
    assert_eq!(status, 500, "nobody is logged in any more: {body}");
    sim.login("1001").await;
    assert_eq!(sim.position("1001").await.matches('|').count(), 44);
}
