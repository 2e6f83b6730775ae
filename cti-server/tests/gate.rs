//! The gate under abuse (issue 16), each over a real socket against the whole server in demo
//! mode: the login limit counts failures per user and address, sockets without a login and
//! slow requests are cut, connections are capped with a clear refusal, commands cannot be
//! amplified onto Neotel, and the smaller ones (user names, HSTS, the metrics listener, the
//! redirect's query). Issue 29: one account's failures are bounded whatever the addresses, in
//! the session store (across a restart, across servers), and two `Origin` headers are refused.

mod common;

use std::time::Duration;

use common::{TestServer, Ws};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn command(c: Value) -> Value {
    json!({"v":1,"type":"command","command":c})
}

/// The simulator's agents grown to `n` more (user = password, device `SIP/{user}`, from 2001).
async fn grow_agents(server: &TestServer, n: usize) -> Vec<String> {
    let mut scenario: Value = serde_json::from_str(neotel_sim::DEFAULT_SCENARIO_JSON).unwrap();
    let template = scenario["users"][0].clone();
    let names: Vec<String> = (0..n).map(|i| (2001 + i).to_string()).collect();
    for name in &names {
        let mut user = template.clone();
        user["user"] = json!(name);
        user["password"] = json!(name);
        scenario["users"].as_array_mut().unwrap().push(user);
        scenario["devices"]
            .as_array_mut()
            .unwrap()
            .push(json!(format!("SIP/{name}")));
    }
    scenario["settings"]["licenses"] = json!(n + 20);
    server.sim_post("/sim/scenario", scenario).await;
    names
}

/// How many `Login`s reached the simulated Neotel.
async fn neotel_logins(server: &TestServer) -> usize {
    server
        .methods()
        .await
        .iter()
        .filter(|m| *m == "Login")
        .count()
}

/// Whether the server closes `stream` within `wait` (reading and dropping what it sends).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A raw HTTP/1.1 exchange: the status line and the body.
async fn raw_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("an answer within 10 s")
        .expect("readable");
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn http_status(err: &tokio_tungstenite::tungstenite::Error) -> Option<u16> {
    match err {
        tokio_tungstenite::tungstenite::Error::Http(r) => Some(r.status().as_u16()),
        _ => None,
    }
}

// ----- 1. the login limit ---------------------------------------------------------------

/// A shift starts: 200 agents behind one office address log in at once, none refused (the
/// limit counted successes per address: 5 a minute, 40 minutes for the shift).
#[tokio::test]
async fn a_shift_of_200_agents_behind_one_address_logs_in_at_once() {
    let mut config = common::config();
    config.poll_interval = Duration::from_secs(30);
    let server = TestServer::start_with(config).await;
    let names = grow_agents(&server, 200).await;
    let logins = names.iter().map(|name| {
        let server = &server;
        async move {
            let mut ws = server.ws().await;
            let device = format!("SIP/{name}");
            ws.send(json!({"v":1,"type":"login","device":device,"user":name,"password":name}))
                .await;
            // Each login hashes its password (argon2, a few at a time): the last of 200 on a
            // busy 2-core machine may wait longer than the helper's 10 s.
            let answer = ws.try_recv(Duration::from_secs(120)).await;
            (answer.unwrap_or(Value::Null), ws)
        }
    });
    let answers = futures::future::join_all(logins).await;
    let refused: Vec<&Value> = answers
        .iter()
        .map(|(a, _)| a)
        .filter(|a| a["type"] != "session")
        .collect();
    assert!(
        refused.is_empty(),
        "{} refused: {:?}",
        refused.len(),
        &refused[..refused.len().min(3)]
    );
    drop(answers);
    server.stop().await;
}

/// Wrong passwords for 1001 from one client address (behind the trusted proxy) slow that
/// address down; 1001 from its own desk logs in (the limit was per user, from everywhere).
#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let mut config = common::config();
    config.trusted_proxies.networks = vec!["127.0.0.1/32".parse().unwrap()];
    let server = TestServer::start_with(config).await;
    let origin = server.public_url.clone();
    let from = |address: &'static str| {
        [
            ("origin", origin.clone()),
            ("x-forwarded-for", address.to_owned()),
        ]
    };
    let attacker = from("203.0.113.5");
    let headers: Vec<(&str, &str)> = attacker.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut ws = server.ws_with(&headers).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            ws.login("1001", "guess", "SIP/1001").await["code"],
            "loginFailed"
        );
    }
    let answer = ws.login("1001", "1001", "SIP/1001").await;
    assert_eq!(answer["code"], "rateLimited", "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("try again in"),
        "{answer}"
    );

    let desk = from("198.51.100.9");
    let headers: Vec<(&str, &str)> = desk.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut real = server.ws_with(&headers).await.unwrap();
    let session = real.login("1001", "1001", "SIP/1001").await;
    assert_eq!(session["type"], "session", "{session}");
    let logins = neotel_logins(&server).await;
    assert_eq!(logins, 6, "the refused attempt never reached NeoApi");
    server.stop().await;
}

/// A forwarding header from a client that is not a trusted proxy is the client's word: a new
/// address in each attempt does not reset the limit.
#[tokio::test]
async fn a_forwarding_header_from_anyone_else_is_not_believed() {
    let server = TestServer::start().await;
    let origin = server.public_url.clone();
    for i in 0..6 {
        let forged = format!("203.0.113.{i}");
        let mut ws = server
            .ws_with(&[("origin", &origin), ("x-forwarded-for", &forged)])
            .await
            .unwrap();
        let answer = ws.login("1001", "guess", "SIP/1001").await;
        let expected = if i < 5 { "loginFailed" } else { "rateLimited" };
        assert_eq!(answer["code"], expected, "attempt {i}: {answer}");
    }
    server.stop().await;
}

/// `" 1001"`, `"1001\u{200B}"` and `"1001"` are one user: one limit bucket, and the name Neotel
/// gets is the normal one (they were separate buckets, sent as typed).
#[tokio::test]
async fn a_user_name_however_typed_is_one_user_and_one_bucket() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    let session = ws.login(" 1001\u{200B}", "1001", "SIP/1001").await;
    assert_eq!(session["type"], "session", "{session}");
    assert_eq!(session["user"], "1001");
    let journal = server.journal().await;
    assert!(
        !serde_json::to_string(&journal).unwrap().contains("\\u200b"),
        "Neotel got the normal name"
    );
    server.stop().await;

    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    for _ in 0..5 {
        assert_eq!(
            ws.login("1002", "guess", "SIP/1002").await["code"],
            "loginFailed"
        );
    }
    for typed in [" 1002", "1002\u{200B}", "\u{FEFF}1002 "] {
        let answer = ws.login(typed, "1002", "SIP/1002").await;
        assert_eq!(answer["code"], "rateLimited", "{typed:?}: {answer}");
    }
    server.stop().await;
}

// ----- 2. sockets and HTTP ----------------------------------------------------------------

/// A WebSocket that neither logs in nor attaches is told why and closed (500 idle sockets
/// once stayed open for 390 s).
#[tokio::test]
async fn a_socket_that_never_logs_in_is_closed_with_a_reason() {
    let mut config = common::config();
    config.limits.login_deadline = Duration::from_secs(1);
    let server = TestServer::start_with(config).await;
    let mut idle = server.ws().await;
    let bye = idle.recv().await;
    assert_eq!(bye["type"], "bye", "{bye}");
    assert_eq!(bye["reason"], "loginTimeout");
    assert_eq!(idle.closed().await, Some(1008));
    // One that logs in in time stays.
    let mut agent = server.ws().await;
    assert_eq!(
        agent.login("1001", "1001", "SIP/1001").await["type"],
        "session"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    agent.send(json!({"v":1,"type":"logout"})).await;
    assert_eq!(agent.recv_type("bye").await["reason"], "logout");
    server.stop().await;
}

/// Slowloris: headers a byte at a time, or no request at all on an open connection, are cut
/// at the header timeout.
#[tokio::test]
async fn slow_headers_and_silent_connections_are_cut() {
    let mut config = common::config();
    config.limits.header_read_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(config).await;

    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(10)).await,
        "a silent connection stays"
    );

    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let trickle = async {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if slow.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    };
    let cut = tokio::time::timeout(Duration::from_secs(10), trickle)
        .await
        .unwrap_or(false);
    assert!(
        cut || closed_within(&mut slow, Duration::from_secs(1)).await,
        "a trickle of headers stays"
    );

    // A keep-alive connection left idle after its answer is closed too.
    let mut kept = TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut kept, Duration::from_secs(10)).await,
        "an idle keep-alive stays"
    );
    server.stop().await;
}

/// A request head bigger than 16 KiB is refused with 431, not buffered (hyper's default let
/// each connection hold about 400 KiB of headers).
#[tokio::test]
async fn an_oversized_request_head_is_refused() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(32 * 1024)
    );
    // The server may close before reading it all.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let (status, _) = raw_get(server.addr, "/healthz").await;
    assert!(
        status.contains("200"),
        "a normal request still is: {status}"
    );
    server.stop().await;
}

/// A body that trickles is cut at the body timeout with 408.
#[tokio::test]
async fn a_slow_body_is_cut() {
    let mut config = common::config();
    config.limits.body_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(config).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        .await
        .unwrap();
    let trickle = async {
        for _ in 0..50 {
            if slow.write_all(b"a").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    };
    let cut = tokio::time::timeout(Duration::from_secs(10), trickle)
        .await
        .unwrap_or(false);
    assert!(
        cut || closed_within(&mut slow, Duration::from_secs(1)).await,
        "a trickling body stays"
    );
    server.stop().await;
}

/// Over the per-address cap a WebSocket upgrade and a page get 503 with a text, while another
/// listener (the metrics one) still answers; a closed socket frees its place.
#[tokio::test]
async fn connections_are_capped_per_address_with_a_clear_refusal() {
    let mut config = common::config();
    config.limits.max_connections_per_address = 3;
    config.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
    let server = TestServer::start_with(config).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(server.ws().await);
    }
    let err = server
        .ws_from(&server.public_url)
        .await
        .err()
        .expect("refused");
    assert_eq!(http_status(&err), Some(503), "{err}");
    let (status, body) = raw_get(server.addr, "/healthz").await;
    assert!(status.contains("503"), "{status}");
    assert!(
        body.contains("too many connections from your address"),
        "{body}"
    );
    let metrics = server.metrics_addr.expect("a metrics listener");
    let (status, body) = raw_get(metrics, "/healthz").await;
    assert!(status.contains("200") && body == "ok", "{status} {body}");
    let (_, text) = raw_get(metrics, "/metrics").await;
    assert!(
        text.contains("cti_refused_total{kind=\"addressLimit\"} 2"),
        "{text}"
    );

    drop(open.pop());
    let mut admitted = None;
    for _ in 0..50 {
        if let Ok(ws) = server.ws_from(&server.public_url).await {
            admitted = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted.is_some(), "a closed socket frees its place");
    drop((open, admitted));
    server.stop().await;
}

/// Over the total cap, every address is refused with its own text.
#[tokio::test]
async fn connections_are_capped_in_total() {
    let mut config = common::config();
    config.limits.max_connections = 2;
    let server = TestServer::start_with(config).await;
    let held = [server.ws().await, server.ws().await];
    let (status, body) = raw_get(server.addr, "/softphone/").await;
    assert!(status.contains("503"), "{status}");
    assert!(body.contains("connection limit"), "{body}");
    drop(held);
    server.stop().await;
}

/// Past `max_agents` a new agent is told so, in words, and nothing else fails: the agents in
/// stay, the refused one's position stays free in Neotel, and it gets in once one logs out.
#[tokio::test]
async fn a_login_past_the_maximum_of_agents_is_refused_clearly() {
    let mut config = common::config();
    config.max_agents = 2;
    let server = TestServer::start_with(config).await;
    let names = grow_agents(&server, 3).await;
    let mut tabs = Vec::new();
    for name in &names[..2] {
        let mut ws = server.ws().await;
        let session = ws.login(name, name, &format!("SIP/{name}")).await;
        assert_eq!(session["type"], "session", "{session}");
        tabs.push(ws);
    }
    let logins = neotel_logins(&server).await;
    let mut third = server.ws().await;
    let refused = third
        .login(&names[2], &names[2], &format!("SIP/{}", names[2]))
        .await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "serverFull", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("maximum of 2 agents"),
        "{refused}"
    );
    let after = neotel_logins(&server).await;
    assert_eq!(after, logins, "a refused login never reaches Neotel");
    // A takeover of a running session is not a new agent: it is never refused for this.
    let mut again = server.ws().await;
    let taken = again
        .login(&names[0], &names[0], &format!("SIP/{}", names[0]))
        .await;
    assert_eq!(taken["type"], "session", "{taken}");
    tabs[1].send(json!({"v":1,"type":"logout"})).await;
    tabs[1].recv_type("bye").await;
    // The logged-out session goes once Neotel has its Logout: until then the server is full.
    let mut session = Value::Null;
    for _ in 0..50 {
        let mut retry = server.ws().await;
        session = retry
            .login(&names[2], &names[2], &format!("SIP/{}", names[2]))
            .await;
        if session["code"] != "serverFull" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(session["type"], "session", "{session}");
    server.stop().await;
}

// ----- 3. amplification onto Neotel -----------------------------------------------------

/// Logs 1001 in and joins campaign 97; returns the socket.
async fn in_campaign(server: &TestServer) -> Ws {
    let mut ws = server.ws().await;
    assert_eq!(
        ws.login("1001", "1001", "SIP/1001").await["type"],
        "session"
    );
    ws.send(command(json!({"command":"joinCampaign","campaign":97})))
        .await;
    ws.recv_until("campaign 97", |m| {
        m["type"] == "view" && m["view"]["campaign"] == 97
    })
    .await;
    ws
}

/// 500 `takeBreak` messages: the session's rate refuses the flood (and closes the socket as
/// abusive), the core refuses the repeats, and Neotel gets one `Pause`, not 500.
#[tokio::test]
async fn a_flood_of_commands_is_not_amplified_onto_neotel() {
    let server = TestServer::start().await;
    let mut ws = in_campaign(&server).await;
    // In step with the answers, as a page would: a socket closed on unread messages is reset,
    // and its last words lost.
    let (mut too_many, mut bye) = (0, None);
    for _ in 0..500 {
        if ws
            .try_send(command(json!({"command":"takeBreak","breakId":21})))
            .await
            .is_err()
        {
            break;
        }
        let Some(m) = ws.try_recv(Duration::from_secs(3)).await else {
            break;
        };
        if m["code"] == "tooManyCommands" {
            too_many += 1;
        }
        if m["type"] == "bye" {
            bye = Some(m["reason"].clone());
            break;
        }
    }
    while let Some(m) = ws.try_recv(Duration::from_secs(1)).await {
        if m["type"] == "bye" {
            bye = Some(m["reason"].clone());
        }
    }
    assert!(too_many > 0, "the session's rate refused some");
    assert_eq!(bye, Some(json!("abuse")), "a flood is closed");
    let pauses = server
        .methods()
        .await
        .iter()
        .filter(|m| *m == "Pause")
        .count();
    assert!(pauses <= 2, "{pauses} Pause calls for one break");
    server.stop().await;
}

/// One `sendDtmf` of 3,000 digits sends none and says the most; 32 go through.
#[tokio::test]
async fn one_huge_dtmf_message_sends_no_digit() {
    let server = TestServer::start().await;
    let mut ws = in_campaign(&server).await;
    server
        .sim_post("/sim/dialer/deliver", json!({"campaign":97,"user":"1001"}))
        .await;
    ws.recv_until("a bridged call", |m| {
        m["type"] == "view" && m["view"]["call"]["bridged"] == true
    })
    .await;
    ws.send(command(
        json!({"command":"sendDtmf","digits":"1".repeat(3000)}),
    ))
    .await;
    let refused = ws.recv_until("the refusal", |m| m["type"] == "error").await;
    assert_eq!(refused["code"], "commandRefused", "{refused}");
    assert_eq!(refused["text"]["code"], "dtmfTooLong", "{refused}");
    assert_eq!(refused["text"]["params"]["max"], "32", "{refused}");
    let digits = |methods: Vec<String>| methods.iter().filter(|m| *m == "SendDTMF").count();
    assert_eq!(digits(server.methods().await), 0);
    ws.send(command(
        json!({"command":"sendDtmf","digits":"1".repeat(32)}),
    ))
    .await;
    let mut sent = 0;
    for _ in 0..100 {
        sent = digits(server.methods().await);
        if sent == 32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 32);
    server.stop().await;
}

/// A message nested 30,000 deep (under the size limit) is a bad message, not a stack overflow:
/// the connection answers and stays.
#[tokio::test]
async fn a_deeply_nested_message_is_a_bad_message() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    for nested in [
        format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)),
        format!(
            "{{\"v\":1,\"type\":\"command\",\"command\":{}1{}}}",
            "{\"a\":".repeat(6_000),
            "}".repeat(6_000)
        ),
    ] {
        assert!(nested.len() < 64 * 1024);
        ws.send_raw(nested).await;
        assert_eq!(ws.recv().await["code"], "badMessage");
    }
    ws.send(json!({"v":1,"type":"logout"})).await;
    assert_eq!(ws.recv().await["code"], "notLoggedIn", "still open");
    server.stop().await;
}

// ----- 4. the smaller ones ------------------------------------------------------------------

/// `/softphone?x` and `/?x` redirect to the softphone with the query kept.
#[tokio::test]
async fn the_softphone_redirect_keeps_its_query() {
    let server = TestServer::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (from, to) in [
        (
            "/softphone?mode=lightning&x=1",
            "/softphone/?mode=lightning&x=1",
        ),
        ("/?x", "/softphone/?x"),
        ("/softphone", "/softphone/"),
    ] {
        let response = http.get(server.url(from)).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{from}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], to, "{from}");
    }
    server.stop().await;
}

/// A wrong password for an agent who is online is refused in the same words as for one who is
/// not, without NeoApi, and counts against the limit like any other (it used to answer
/// `alreadyLoggedIn`: anyone could tell who was online).
#[tokio::test]
async fn a_wrong_password_does_not_say_whether_the_agent_is_online() {
    let server = TestServer::start().await;
    let mut online = server.ws().await;
    assert_eq!(
        online.login("1001", "1001", "SIP/1001").await["type"],
        "session"
    );
    let logins = || neotel_logins(&server);
    let before = logins().await;
    let mut stranger = server.ws().await;
    let for_online = stranger.login("1001", "guess", "SIP/1001").await;
    assert_eq!(logins().await, before, "NeoApi is not asked");
    let for_offline = stranger.login("1002", "guess", "SIP/1002").await;
    assert_eq!(for_online["code"], "loginFailed", "{for_online}");
    assert_eq!(for_online, for_offline, "the same answer");
    for _ in 0..4 {
        assert_eq!(
            stranger.login("1001", "guess", "SIP/1001").await["code"],
            "loginFailed"
        );
    }
    let answer = stranger.login("1001", "1001", "SIP/1001").await;
    assert_eq!(answer["code"], "rateLimited", "{answer}");
    server.stop().await;
}

/// The session store (what survives a restart) holds neither the password nor the token: a
/// token's SHA-256 and the password's argon2id verifier only, so a copy of the data directory
/// opens no session and gives no password.
#[tokio::test]
async fn the_data_directory_holds_no_password_and_no_token() {
    let data = tempfile::tempdir().unwrap();
    let mut config = common::config();
    config.data_dir = data.path().to_owned();
    let server = TestServer::start_with(config).await;
    let mut scenario: Value = serde_json::from_str(neotel_sim::DEFAULT_SCENARIO_JSON).unwrap();
    let password = "Clave-Del-Agente-2001";
    let mut agent = scenario["users"][0].clone();
    agent["user"] = json!("2001");
    agent["password"] = json!(password);
    scenario["users"].as_array_mut().unwrap().push(agent);
    scenario["devices"]
        .as_array_mut()
        .unwrap()
        .push(json!("SIP/2001"));
    server.sim_post("/sim/scenario", scenario).await;
    let mut ws = server.ws().await;
    let session = ws.login("2001", password, "SIP/2001").await;
    let token = session["token"].as_str().expect("a session").to_owned();
    // A second tab attaches: the token was kept, and is checked against what was kept.
    let mut tab = server.ws().await;
    tab.send(json!({"v":1,"type":"attach","token":token})).await;
    assert_eq!(tab.recv().await["type"], "session");
    server.stop().await;
    let mut files = 0;
    for entry in std::fs::read_dir(data.path()).unwrap().flatten() {
        // SQLite's `-wal` and `-shm` files go when the store closes, which may be just now.
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(password),
            "{:?} holds the password",
            entry.path()
        );
        assert!(!text.contains(&token), "{:?} holds the token", entry.path());
        files += 1;
    }
    assert!(files > 0, "the store wrote something");
}

/// `/metrics` on its own listener leaves the main one; an allow list refuses other clients.
#[tokio::test]
async fn metrics_on_their_own_listener_and_for_allowed_clients_only() {
    let mut config = common::config();
    config.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
    let server = TestServer::start_with(config).await;
    let (status, _) = raw_get(server.addr, "/metrics").await;
    assert!(status.contains("404"), "the main listener: {status}");
    let metrics = server.metrics_addr.expect("a metrics listener");
    let (status, text) = raw_get(metrics, "/metrics").await;
    assert!(
        status.contains("200") && text.contains("cti_sessions"),
        "{status}"
    );
    server.stop().await;

    let mut config = common::config();
    config.metrics.allowed_clients = vec!["192.0.2.0/24".parse().unwrap()];
    let server = TestServer::start_with(config).await;
    let (status, _) = raw_get(server.addr, "/metrics").await;
    assert!(status.contains("403"), "127.0.0.1 is not allowed: {status}");
    server.stop().await;

    let mut config = common::config();
    config.metrics.allowed_clients = vec!["127.0.0.1/32".parse().unwrap()];
    let server = TestServer::start_with(config).await;
    let (status, _) = raw_get(server.addr, "/metrics").await;
    assert!(status.contains("200"), "{status}");
    server.stop().await;
}

/// Under TLS every answer carries Strict-Transport-Security; over plain HTTP none does.
#[tokio::test]
async fn hsts_under_tls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("cti-gate-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut config = common::config();
    config.tls = Some(cti_server::config::TlsConfig {
        cert: cert_path,
        key: key_path,
    });
    let server = TestServer::start_with(config).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    for path in ["/healthz", "/softphone/"] {
        let url = format!("https://localhost:{}{path}", server.addr.port());
        let response = client.get(&url).send().await.expect("a TLS answer");
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);

    let server = TestServer::start().await;
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    server.stop().await;
}

// ----- 5. a guesser with many addresses (issue 29) ----------------------------------------

/// The defaults, behind a trusted proxy on loopback: each test's client address is the
/// `X-Forwarded-For` it sends.
fn behind_the_proxy() -> cti_server::config::Config {
    let mut config = common::config();
    config.trusted_proxies.networks = vec!["127.0.0.1/32".parse().unwrap()];
    config
}

/// A WebSocket from client `address`, as the trusted proxy forwards it.
async fn from(server: &TestServer, address: &str) -> Ws {
    server
        .ws_with(&[
            ("origin", server.public_url.as_str()),
            ("x-forwarded-for", address),
        ])
        .await
        .expect("the upgrade is accepted")
}

/// `user` logs in at `address` and logs out: the account knows this device and address from
/// now on. Returns once the session is gone (a later login asks NeoApi again).
async fn a_day_at_the_desk(server: &TestServer, user: &str, address: &str) {
    let mut tab = from(server, address).await;
    let session = tab.login(user, user, &format!("SIP/{user}")).await;
    assert_eq!(session["type"], "session", "{session}");
    tab.send(json!({"v":1,"type":"logout"})).await;
    tab.recv_type("bye").await;
    for _ in 0..100 {
        if server.metrics().await.contains("cti_sessions 0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the session did not end");
}

/// The `code` of the answer to a login of `user` with `password` from `address`.
async fn login_from(server: &TestServer, address: &str, user: &str, password: &str) -> Value {
    from(server, address)
        .await
        .login(user, password, &format!("SIP/{user}"))
        .await
}

/// 200 wrong passwords for 1001, one after the other as fast as the answers come, each from an
/// address of its own (before, all 200 reached NeoApi): the account's bound holds them back
/// whatever the addresses, so at most 100 (a handful, with the growing delays) reach NeoApi and
/// the others are answered `rateLimited` without it. Meanwhile 1001 logs in at the desk and
/// device it used before, and 1002 from the guesser's addresses is not slowed.
#[tokio::test]
async fn a_guesser_with_200_addresses_is_bounded_and_the_agent_still_logs_in() {
    let server = TestServer::start_with(behind_the_proxy()).await;
    let desk = "198.51.100.9";
    a_day_at_the_desk(&server, "1001", desk).await;
    let before = neotel_logins(&server).await;

    let addresses: Vec<String> = (0..200)
        .map(|i| format!("203.0.{}.{}", 113 + i / 100, 1 + i % 100))
        .collect();
    let mut codes = Vec::new();
    for address in &addresses {
        codes.push(login_from(&server, address, "1001", "guess").await["code"].clone());
    }
    let failed = codes.iter().filter(|c| *c == "loginFailed").count();
    let throttled = codes.iter().filter(|c| *c == "rateLimited").count();
    assert_eq!(failed + throttled, 200, "{codes:?}");
    let reached = neotel_logins(&server).await - before;
    assert_eq!(reached, failed, "a throttled guess never reaches NeoApi");
    assert!(reached <= 100, "{reached} guesses reached NeoApi");

    // The agent, at the desk and device it logged in from before: in at once.
    let session = login_from(&server, desk, "1001", "1001").await;
    assert_eq!(session["type"], "session", "{session}");

    // Another agent from the guesser's addresses: its own mistypes reach NeoApi, and it logs in.
    for address in &addresses[..5] {
        let answer = login_from(&server, address, "1002", "mistyped").await;
        assert_eq!(answer["code"], "loginFailed", "{answer}");
    }
    let session = login_from(&server, &addresses[199], "1002", "1002").await;
    assert_eq!(session["type"], "session", "{session}");

    let metrics = server.metrics().await;
    assert!(
        metrics.contains(&format!(
            "cti_logins_total{{outcome=\"throttled\"}} {throttled}"
        )),
        "{metrics}"
    );
    server.stop().await;
}

/// The account's bucket and the devices it knows live in the session store: after a restart a
/// stranger is still held back (even with the right password), NeoApi is not asked, and the
/// agent's desk still logs in.
#[tokio::test]
async fn the_account_bound_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = behind_the_proxy();
        config.data_dir = data.path().to_owned();
        // 10 an hour: strangers fill four of the bucket's five, then wait a leak (12 minutes).
        config.login_failures_per_account_per_hour = 10;
        config
    };
    let server = TestServer::start_with(config()).await;
    a_day_at_the_desk(&server, "1001", "198.51.100.9").await;
    for i in 1..=4 {
        let answer = login_from(&server, &format!("203.0.113.{i}"), "1001", "guess").await;
        assert_eq!(answer["code"], "loginFailed", "{answer}");
    }
    let answer = login_from(&server, "203.0.113.5", "1001", "guess").await;
    assert_eq!(answer["code"], "rateLimited", "{answer}");
    server.stop().await;

    let server = TestServer::start_with(config()).await;
    let answer = login_from(&server, "203.0.113.6", "1001", "1001").await;
    assert_eq!(answer["code"], "rateLimited", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("too many failed logins for this user"),
        "{answer}"
    );
    assert_eq!(neotel_logins(&server).await, 0, "NeoApi is not asked");
    let session = login_from(&server, "198.51.100.9", "1001", "1001").await;
    assert_eq!(session["type"], "session", "{session}");
    server.stop().await;
}

/// Two servers on one PostgreSQL store share each account's bucket and the devices it knows:
/// guesses through one hold strangers back on the other, where the agent's desk logs in.
#[tokio::test]
async fn two_servers_share_the_account_bound() {
    let pg = common::cluster::Postgres::start().await;
    let config = || {
        let mut config = behind_the_proxy();
        config.store_url = Some(pg.url.clone());
        config.login_failures_per_account_per_hour = 10;
        config
    };
    let (a, b) = (
        TestServer::start_with(config()).await,
        TestServer::start_with(config()).await,
    );
    a_day_at_the_desk(&a, "1001", "198.51.100.9").await;
    for i in 1..=4 {
        let answer = login_from(&a, &format!("203.0.113.{i}"), "1001", "guess").await;
        assert_eq!(answer["code"], "loginFailed", "{answer}");
    }
    let answer = login_from(&b, "203.0.113.5", "1001", "1001").await;
    assert_eq!(answer["code"], "rateLimited", "{answer}");
    assert_eq!(neotel_logins(&b).await, 0, "B's NeoApi is not asked");
    let session = login_from(&b, "198.51.100.9", "1001", "1001").await;
    assert_eq!(session["type"], "session", "{session}");
    a.stop().await;
    b.stop().await;
}

/// A WebSocket upgrade or a page request with two `Origin` headers is refused (400), even when
/// both name the server's own origin: which one a check would read is not the sender's choice.
#[tokio::test]
async fn a_request_with_two_origin_headers_is_refused() {
    let server = TestServer::start().await;
    let own = server.public_url.clone();
    for second in [own.as_str(), "https://evil.example"] {
        let err = server
            .ws_with(&[("origin", own.as_str()), ("origin", second)])
            .await
            .err()
            .expect("refused");
        assert_eq!(http_status(&err), Some(400), "{err}");
    }
    let page = |origins: usize| {
        let own = own.clone();
        async move {
            let mut stream = TcpStream::connect(server.addr).await.unwrap();
            let headers = format!("Origin: {own}\r\n").repeat(origins);
            let request = format!(
                "GET /softphone/ HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer
        }
    };
    let refused = page(2).await;
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    assert!(refused.contains("more than one Origin header"), "{refused}");
    assert!(page(1).await.starts_with("HTTP/1.1 200"));
    assert!(page(0).await.starts_with("HTTP/1.1 200"));
    // The one allowed origin still opens the WebSocket.
    drop(server.ws().await);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("cti_refused_total{kind=\"severalOrigins\"} 3"),
        "{metrics}"
    );
    server.stop().await;
}
