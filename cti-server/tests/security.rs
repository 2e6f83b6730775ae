//! Security over loopback with a real WebSocket client: each refusal has the right status or
//! error, and nothing reaches NeoApi (the simulator's journal stays empty).

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn a_foreign_origin_is_refused_with_403() {
    let server = TestServer::start().await;
    let err = server
        .ws_from("https://evil.example")
        .await
        .err()
        .expect("the upgrade is refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("expected HTTP 403, got {other}"),
    }
    // The stand-in's origin is allowed in demo mode.
    let standin = format!("http://localhost:{}", server.standin.port());
    assert!(server.ws_from(&standin).await.is_ok());
    assert!(server.methods().await.is_empty(), "nothing reached NeoApi");
    server.stop().await;
}

#[tokio::test]
async fn no_token_a_forged_token_and_bad_messages_reach_nothing() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    ws.send(json!({"v":1,"type":"command","command":{"command":"logoutCampaign"}}))
        .await;
    assert_eq!(ws.recv().await["code"], "notLoggedIn");
    ws.send(json!({"v":1,"type":"attach","token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}))
        .await;
    assert_eq!(ws.recv().await["code"], "invalidToken");
    ws.send(json!({"v":1,"type":"attach","token":"1001"})).await;
    assert_eq!(ws.recv().await["code"], "invalidToken");
    ws.send_raw("x".repeat(65 * 1024)).await;
    assert_eq!(ws.recv().await["code"], "messageTooLarge");
    ws.send_raw("{\"v\":1".into()).await;
    assert_eq!(ws.recv().await["code"], "badMessage");
    // The connection is kept.
    ws.send(json!({"v":1,"type":"logout"})).await;
    assert_eq!(ws.recv().await["code"], "notLoggedIn");
    assert!(server.methods().await.is_empty(), "nothing reached NeoApi");
    server.stop().await;
}

#[tokio::test]
async fn a_login_flood_is_cut_before_neoapi() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    for _ in 0..5 {
        let answer = ws.login("1001", "wrong", "SIP/1001").await;
        assert_eq!(answer["code"], "loginFailed", "{answer}");
    }
    for _ in 0..3 {
        let answer = ws.login("1001", "1001", "SIP/1001").await;
        assert_eq!(answer["code"], "rateLimited", "{answer}");
    }
    let logins = server
        .methods()
        .await
        .into_iter()
        .filter(|m| m == "Login")
        .count();
    assert_eq!(logins, 5, "the refused attempts never reached NeoApi");
    server.stop().await;
}

#[tokio::test]
async fn a_bad_password_and_an_unknown_device_are_refused_and_the_password_is_not_logged() {
    let server = TestServer::start().await;
    let mut ws = server.ws().await;
    let answer = ws.login("1001", "hunter2", "SIP/1001").await;
    assert_eq!(answer["code"], "loginFailed", "{answer}");
    assert!(!answer.to_string().contains("hunter2"));
    let answer = ws.login("1001", "1001", "SIP/9999").await;
    assert_eq!(answer["code"], "unknownDevice", "{answer}");
    let journal = server.journal().await;
    assert!(!serde_json::to_string(&journal).unwrap().contains("hunter2"));
    server.stop().await;
}

#[tokio::test]
async fn a_taken_position_is_refused_as_not_free() {
    let server = TestServer::start().await;
    // Another client holds SIP/1001.
    let transport = neotel_api::HttpTransportBuilder::new(server.sim.clone())
        .build(neotel_api::Binding::Form)
        .unwrap();
    let neotel = neotel_api::Client::new(transport);
    neotel
        .login("SIP/1001", "1002", &neotel_api::Password::new("1002"))
        .await
        .expect("the other client logs in");
    let mut ws = server.ws().await;
    let answer = ws.login("1001", "1001", "SIP/1001").await;
    assert_eq!(answer["code"], "positionNotFree", "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_refused_and_reaches_nothing() {
    let mut config = common::config();
    // Below the file's minimum of 60 s, so the test need not wait a minute.
    config.token_ttl = std::time::Duration::from_secs(1);
    let server = TestServer::start_with(config).await;
    let mut ws = server.ws().await;
    let session = ws.login("1001", "1001", "SIP/1001").await;
    assert_eq!(session["type"], "session", "{session}");
    let token = session["token"].as_str().unwrap().to_owned();

    // Used at once, the token works.
    let mut tab = server.ws().await;
    tab.send(json!({"v":1,"type":"attach","token":token})).await;
    assert_eq!(tab.recv().await["type"], "session");

    // Unused past its lifetime (polling is not use), it is dead. The server's clock is tokio's:
    // jump it forward instead of waiting.
    tokio::time::pause();
    tokio::time::advance(std::time::Duration::from_millis(2500)).await;
    tokio::time::resume();
    let before = server.methods().await;
    let mut late = server.ws().await;
    late.send(json!({"v":1,"type":"attach","token":token}))
        .await;
    assert_eq!(late.recv().await["code"], "invalidToken");
    late.send(json!({"v":1,"type":"command","command":{"command":"joinCampaign","campaign":97}}))
        .await;
    assert_eq!(late.recv().await["code"], "notLoggedIn");
    let after = server.methods().await;
    let acting: Vec<_> = after[before.len()..]
        .iter()
        .filter(|m| m.as_str() != "Position")
        .collect();
    assert!(acting.is_empty(), "only polling reached NeoApi: {acting:?}");
    server.stop().await;
}
