//! The whole server over loopback (real WebSocket, real simulator for Login/Logout) with the
//! scripted machine injected in place of cti-core: tabs, leadership, reload, logout, another
//! user.

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::Server;
use crate::config::Config;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Running {
    _data: tempfile::TempDir,
    url: String,
    sim: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), crate::ServeError>>,
}

async fn start() -> Running {
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.standin_listen = "127.0.0.1:0".parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    config.data_dir = data.path().to_owned();
    let server = Server::bind_with(config, crate::session::scripted::factory())
        .await
        .unwrap();
    let url = server.state().public_url().to_owned();
    let sim = server.sim_url().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Running {
        _data: data,
        url,
        sim,
        stop,
        task,
    }
}

async fn tab(url: &str) -> Socket {
    let mut request = format!("{}/ws", url.replacen("http://", "ws://", 1))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert("origin", url.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn send(socket: &mut Socket, v: Value) {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .unwrap();
}

async fn recv(socket: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("open")
            .expect("no socket error");
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

async fn nothing_for(socket: &mut Socket, wait: Duration) -> bool {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(Message::Text(_)))) => return false,
            Ok(_) => {}
        }
    }
}

async fn methods(sim: &str) -> Vec<(String, String)> {
    let journal: Vec<Value> = reqwest::get(format!("{sim}/sim/journal"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    journal
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or_default().to_owned(),
                e["params"]["USUARIO"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn tabs_share_one_session_one_leader_reload_and_logout() {
    let server = start().await;
    let mut first = tab(&server.url).await;
    send(
        &mut first,
        json!({"v":1,"type":"login","device":"SIP/1001","user":"1001","password":"1001"}),
    )
    .await;
    let session = recv(&mut first).await;
    assert_eq!(session["type"], "session", "{session}");
    assert_eq!(session["leader"], true);
    assert_eq!(session["user"], "1001");
    assert_eq!(recv(&mut first).await["type"], "view");
    let token = session["token"].as_str().unwrap().to_owned();

    // A second tab attaches with the token and mirrors the view.
    let mut second = tab(&server.url).await;
    send(&mut second, json!({"v":1,"type":"attach","token":token})).await;
    let s2 = recv(&mut second).await;
    assert_eq!(
        (s2["type"].clone(), s2["leader"].clone()),
        (json!("session"), json!(false))
    );
    assert_eq!(recv(&mut second).await["type"], "view");

    // One effect: the leader only.
    send(
        &mut second,
        json!({"v":1,"type":"command","command":{"emit":"effect"}}),
    )
    .await;
    let effect = recv(&mut first).await;
    assert_eq!(effect["type"], "effect");
    assert!(nothing_for(&mut second, Duration::from_millis(300)).await);

    // The same connection cannot log in as another user; nothing of 1002 reaches NeoApi.
    send(
        &mut first,
        json!({"v":1,"type":"login","device":"SIP/1002","user":"1002","password":"1002"}),
    )
    .await;
    assert_eq!(recv(&mut first).await["code"], "alreadyInSession");

    // The leader goes away unanswered: the second tab leads and gets the effect again (the
    // machine sends it anew).
    first.close(None).await.unwrap();
    let s = recv(&mut second).await;
    assert_eq!(
        (s["type"].clone(), s["leader"].clone()),
        (json!("session"), json!(true))
    );
    assert_eq!(recv(&mut second).await["type"], "view");
    let again = recv(&mut second).await;
    assert_eq!(again["effect"]["kind"], effect["effect"]["kind"], "{again}");

    // A reload reattaches with the newest token.
    let newest = s["token"].as_str().unwrap().to_owned();
    second.close(None).await.unwrap();
    let mut reloaded = tab(&server.url).await;
    send(&mut reloaded, json!({"v":1,"type":"attach","token":newest})).await;
    let s = recv(&mut reloaded).await;
    assert_eq!(
        (s["type"].clone(), s["leader"].clone()),
        (json!("session"), json!(true))
    );
    assert_eq!(recv(&mut reloaded).await["type"], "view");
    assert_eq!(
        recv(&mut reloaded).await["effect"]["kind"],
        effect["effect"]["kind"],
        "still unanswered"
    );

    // Logout: bye, NeoApi Logout, and every token dies.
    send(&mut reloaded, json!({"v":1,"type":"logout"})).await;
    assert_eq!(recv(&mut reloaded).await["reason"], "logout");
    let mut late = tab(&server.url).await;
    send(&mut late, json!({"v":1,"type":"attach","token":token})).await;
    assert_eq!(recv(&mut late).await["code"], "invalidToken");

    let calls = methods(&server.sim).await;
    assert!(
        calls.contains(&("Login".into(), "1001".into())),
        "{calls:?}"
    );
    assert!(
        calls.contains(&("Logout".into(), "1001".into())),
        "{calls:?}"
    );
    assert!(calls.iter().all(|(_, user)| user == "1001"), "{calls:?}");

    let _ = server.stop.send(());
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_a_going_away_close_frame() {
    let server = start().await;
    let mut socket = tab(&server.url).await;
    send(
        &mut socket,
        json!({"v":1,"type":"login","device":"SIP/1002","user":"1002","password":"1002"}),
    )
    .await;
    assert_eq!(recv(&mut socket).await["type"], "session");
    let _ = server.stop.send(());
    let mut close_code = None;
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        if let Ok(Message::Close(frame)) = m {
            close_code = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(close_code, Some(1001));
    server.task.await.unwrap().unwrap();
}
