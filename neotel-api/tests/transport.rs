//! The HTTP transports against real loopback servers answering canned bytes:
//! what goes on the wire (path prefix, headers, body) and how size limits,
//! timeouts, statuses and dead servers come back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use neotel_api::{
    Binding, Client, Error, FaultKind, HttpTransportBuilder, Password, TransportError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Serves `response` to every connection and sends each raw request it read to the channel.
async fn canned(response: Vec<u8>) -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (tx, response) = (tx.clone(), response.clone());
            tokio::spawn(async move {
                let raw = read_request(&mut socket).await;
                let _ = tx.send(raw);
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (addr, rx)
}

/// Reads one request: headers, then `Content-Length` bytes of body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = socket.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn http(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn client(addr: SocketAddr, binding: Binding, path: &str) -> Client {
    Client::new(
        HttpTransportBuilder::new(format!("http://{addr}"))
            .path(path)
            .timeout(Duration::from_secs(5))
            .build(binding)
            .expect("valid transport"),
    )
}

#[tokio::test]
async fn soap_goes_to_the_prefix_with_its_action() {
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><DialResponse xmlns=\"http://tempuri.org/\"><DialResult>true</DialResult></DialResponse></soap:Body></soap:Envelope>";
    let (addr, mut seen) = canned(http("200 OK", "Content-Type: text/xml\r\n", body)).await;
    let c = client(addr, Binding::Soap, "/neotel/neoapi/webservice.asmx");
    assert!(c.dial("1001", "1144445555").await.expect("dial"));
    let raw = seen.recv().await.expect("one request");
    assert!(
        raw.starts_with("POST /neotel/neoapi/webservice.asmx HTTP/1.1"),
        "{raw}"
    );
    assert!(
        raw.to_lowercase()
            .contains("soapaction: \"http://tempuri.org/dial\""),
        "{raw}"
    );
    assert!(raw.contains("<Dial xmlns=\"http://tempuri.org/\"><USUARIO>1001</USUARIO><TELEFONO>1144445555</TELEFONO></Dial>"), "{raw}");
}

#[tokio::test]
async fn form_and_get_put_the_method_in_the_path() {
    let (addr, mut seen) = canned(http("200 OK", "", "")).await;
    client(addr, Binding::Form, "/NEOAPI/webservice.asmx")
        .blind_transfer_campaign("1001", 3)
        .await
        .expect("void");
    let raw = seen.recv().await.expect("one request");
    assert!(
        raw.starts_with("POST /NEOAPI/webservice.asmx/BlindTransferCampaign HTTP/1.1"),
        "{raw}"
    );
    assert!(
        raw.to_lowercase()
            .contains("content-type: application/x-www-form-urlencoded")
    );
    assert!(raw.ends_with("USUARIO=1001&CAMPA%C3%91A=3"), "{raw}");

    client(addr, Binding::Get, "/neoapi/webservice.asmx")
        .hangup("1001")
        .await
        .expect("void");
    let raw = seen.recv().await.expect("one request");
    assert!(
        raw.starts_with("GET /neoapi/webservice.asmx/Hangup?USUARIO=1001 HTTP/1.1"),
        "{raw}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let big = format!(
        "<string xmlns=\"http://tempuri.org/\">{}</string>",
        "x".repeat(10_000)
    );
    // announced by Content-Length
    let (addr, _seen) = canned(http("200 OK", "", &big)).await;
    let c = Client::new(Arc::new(
        HttpTransportBuilder::new(format!("http://{addr}"))
            .max_response_size(1024)
            .build_form()
            .expect("valid"),
    ));
    let e = c.execute_task(1, vec![]).await.expect_err("too large");
    assert!(
        matches!(
            e,
            Error::Transport(TransportError::TooLarge { limit: 1024 })
        ),
        "{e}"
    );
    // chunked, with no length announced
    let chunked = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let (addr, _seen) = canned(chunked.into_bytes()).await;
    let c = Client::new(Arc::new(
        HttpTransportBuilder::new(format!("http://{addr}"))
            .max_response_size(1024)
            .build_soap()
            .expect("valid"),
    ));
    let e = c.execute_task(1, vec![]).await.expect_err("too large");
    assert!(
        matches!(e, Error::Transport(TransportError::TooLarge { .. })),
        "{e}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket); // accept, never answer
        }
    });
    let c = Client::new(Arc::new(
        HttpTransportBuilder::new(format!("http://{addr}"))
            .timeout(Duration::from_millis(300))
            .build_form()
            .expect("valid"),
    ));
    let e = c.position("1001").await.expect_err("timeout");
    assert!(matches!(e, Error::Timeout), "{e}");
    hold.abort();
}

#[tokio::test]
async fn statuses_and_dead_servers_are_transport_errors_without_the_password() {
    let (addr, _seen) = canned(http("404 Not Found", "", "no such page")).await;
    let e = client(addr, Binding::Get, "/neoapi/webservice.asmx")
        .login("SIP/6000", "1001", &Password::new("hunter2"))
        .await
        .expect_err("404");
    assert!(
        matches!(
            e,
            Error::Transport(TransportError::Status { status: 404, .. })
        ),
        "{e}"
    );

    // nothing listens on this port any more
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr")
    };
    let e = client(addr, Binding::Get, "/neoapi/webservice.asmx")
        .login("SIP/6000", "1001", &Password::new("hunter2"))
        .await
        .expect_err("refused");
    // Nothing reached it: the one failure that is safe to send again as it is.
    assert!(
        matches!(e, Error::Transport(TransportError::NotSent(_))),
        "{e}"
    );
    assert_eq!(e.retry(), neotel_api::Retry::NotSent);
    let text = format!("{e} {e:?}");
    assert!(!text.contains("hunter2"), "the GET URL leaked: {text}");
}

#[tokio::test]
async fn a_500_text_body_is_a_classified_fault() {
    let body = "System.Exception: Position SIP/6000 not free\r\n   at NeoApi.WebService.Login(String DEVICE, String USUARIO, String CLAVE)\r\n";
    let (addr, _seen) = canned(http(
        "500 Internal Server Error",
        "Content-Type: text/plain\r\n",
        body,
    ))
    .await;
    let e = client(addr, Binding::Form, "/neoapi/webservice.asmx")
        .login("SIP/6000", "1001", &Password::new("x"))
        .await
        .expect_err("fault");
    assert_eq!(e.fault_kind(), Some(FaultKind::PositionNotFree));
    assert_eq!(
        e.fault().map(|f| f.message.as_str()),
        Some("Position SIP/6000 not free")
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("no writer panics while holding the lock")
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_output_names_method_and_user_but_never_the_password() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let body = "System.Exception: Invalid user or password\r\n   at NeoApi.WebService.Login(String DEVICE)";
    let (addr, _seen) = canned(http("500 Internal Server Error", "", body)).await;
    for binding in [Binding::Form, Binding::Get, Binding::Soap] {
        let e = client(addr, binding, "/neoapi/webservice.asmx")
            .login("SIP/6000", "1001", &Password::new("hunter2"))
            .await
            .expect_err("bad password");
        assert_eq!(e.fault_kind(), Some(FaultKind::LoginFailed));
    }
    let logs = String::from_utf8_lossy(&captured.0.lock().expect("not poisoned")).into_owned();
    assert!(logs.contains("method=\"Login\""), "{logs}");
    assert!(logs.contains("user=\"1001\""), "{logs}");
    assert!(logs.contains("Invalid user or password"), "{logs}");
    assert!(!logs.contains("hunter2"), "{logs}");
}
