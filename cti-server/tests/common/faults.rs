//! Faults on the way to the database, and a record of what reaches Neotel, for the tests of
//! issue 30: a TCP proxy between one server and PostgreSQL that the test can cut, black-hole
//! or slow down ([`DbLink`]), and an HTTP relay between one server and the simulator that
//! notes every NeoApi call with its user and time ([`NeotelTap`]). Both run in the test's
//! process, on free loopback ports.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::process::free_port;

/// What the way from a server to PostgreSQL does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Passes everything.
    Up,
    /// Refuses: open connections are reset, new ones refused (a database host that is down,
    /// a firewall that rejects).
    Cut,
    /// Drops: connections are accepted and bytes taken, but nothing goes through either way,
    /// so the client hangs (a partition that drops packets). What was held goes through when
    /// the link is up again, as TCP would retransmit it.
    BlackHole,
    /// Every statement the server sends waits this long before PostgreSQL gets it.
    Slow(Duration),
}

/// A TCP proxy from a free loopback port to a PostgreSQL's port, whose [`Link`] the test sets.
pub struct DbLink {
    pub port: u16,
    link: watch::Sender<Link>,
    task: tokio::task::JoinHandle<()>,
}

impl DbLink {
    /// A proxy to `upstream` (PostgreSQL's port on loopback), up.
    pub async fn start(upstream: u16) -> Self {
        let port = free_port();
        let (link, watching) = watch::channel(Link::Up);
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the proxy binds its port");
        let task = tokio::spawn(serve(listener, port, upstream, watching));
        Self { port, link, task }
    }

    /// `url` (a PostgreSQL URL on loopback) through this proxy.
    pub fn url(&self, url: &str, upstream: u16) -> String {
        url.replace(&format!(":{upstream}/"), &format!(":{}/", self.port))
    }

    /// From now on the link does `link`.
    pub fn set(&self, link: Link) {
        self.link.send_replace(link);
    }
}

impl Drop for DbLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts while the link is not cut (the port is closed meanwhile: connections are refused).
async fn serve(
    mut listener: TcpListener,
    port: u16,
    upstream: u16,
    mut link: watch::Receiver<Link>,
) {
    loop {
        if *link.borrow() == Link::Cut {
            drop(listener);
            while *link.borrow_and_update() == Link::Cut {
                if link.changed().await.is_err() {
                    return;
                }
            }
            listener = loop {
                match TcpListener::bind(("127.0.0.1", port)).await {
                    Ok(l) => break l,
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            };
        }
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((client, _)) = accepted {
                    tokio::spawn(relay(client, upstream, link.clone()));
                }
            }
            changed = link.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// One connection: both ways pumped through the link, until either side closes or the link
/// is cut.
async fn relay(client: TcpStream, upstream: u16, link: watch::Receiver<Link>) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        // PostgreSQL refused: so does the link, as well as a proxy can (a reset).
        #[allow(deprecated)]
        let _ = client.set_linger(Some(Duration::ZERO));
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        () = pump(client_read, server_write, link.clone(), true) => {}
        () = pump(server_read, client_write, link, false) => {}
    }
}

/// Copies `from` to `to` chunk by chunk, each chunk waiting at the link's gate.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut link: watch::Receiver<Link>,
    statements: bool,
) {
    // A cut resets both sockets (no FIN: the peers see the connection die, as when a host
    // goes away). tokio deprecates SO_LINGER for blocking on close; a zero linger never blocks.
    #[allow(deprecated)]
    let reset = |from: &tokio::net::tcp::OwnedReadHalf, to: &tokio::net::tcp::OwnedWriteHalf| {
        let _ = from.as_ref().set_linger(Some(Duration::ZERO));
        let _ = to.as_ref().set_linger(Some(Duration::ZERO));
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            changed = link.changed() => {
                if changed.is_err() || *link.borrow() == Link::Cut {
                    return reset(&from, &to);
                }
                continue;
            }
        };
        loop {
            let now = *link.borrow_and_update();
            match now {
                Link::Up => break,
                Link::Cut => return reset(&from, &to),
                Link::Slow(each) if statements => {
                    tokio::time::sleep(each).await;
                    break;
                }
                Link::Slow(_) => break,
                Link::BlackHole => {
                    if link.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// One NeoApi call as it reached the tap.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When (Unix milliseconds: the clock PostgreSQL's lease history uses, on this machine).
    pub at_ms: i64,
    /// The method (the URL's last segment in the form binding).
    pub method: String,
    /// `USUARIO`, when the call names one.
    pub user: Option<String>,
}

/// An HTTP relay between one server and the simulator that keeps every call it passes.
pub struct NeotelTap {
    pub url: String,
    sent: Arc<Mutex<Vec<Sent>>>,
    task: tokio::task::JoinHandle<()>,
}

impl NeotelTap {
    /// A relay to the simulator at `sim` (its base URL).
    pub async fn start(sim: &str) -> Self {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the tap binds a port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let state = (sim.to_owned(), reqwest::Client::new(), sent.clone());
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::new(state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, sent, task }
    }

    /// Every call so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

impl Drop for NeotelTap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type TapState = Arc<(String, reqwest::Client, Arc<Mutex<Vec<Sent>>>)>;

async fn forward(
    axum::extract::State(state): axum::extract::State<TapState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let (sim, http, sent) = &*state;
    // The tests' users are digits: no percent-decoding needed.
    let form = uri.query().map_or_else(
        || String::from_utf8_lossy(&body).into_owned(),
        str::to_owned,
    );
    let user = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("USUARIO="))
        .map(str::to_owned);
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    sent.lock().unwrap().push(Sent {
        at_ms,
        method: uri.path().rsplit('/').next().unwrap_or_default().to_owned(),
        user,
    });
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = http.request(method, format!("{sim}{path}")).body(body);
    for name in [
        axum::http::header::CONTENT_TYPE,
        "soapaction".parse().unwrap(),
    ] {
        if let Some(v) = headers.get(&name) {
            request = request.header(name, v);
        }
    }
    match request.send().await {
        Ok(r) => {
            let status = r.status();
            let kind = r.headers().get(axum::http::header::CONTENT_TYPE).cloned();
            let bytes = r.bytes().await.unwrap_or_default();
            let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
            *response.status_mut() = status;
            if let Some(kind) = kind {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_TYPE, kind);
            }
            response
        }
        Err(_) => {
            let mut response = axum::response::Response::new(axum::body::Body::empty());
            *response.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
            response
        }
    }
}
