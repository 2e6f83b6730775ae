//! Operations over loopback: the binary serves the demo and prints its URL, health and metrics
//! answer, every page carries the framing policy, the stand-in is served in demo mode.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestServer;

/// The binary in demo mode on free ports, as `cargo run` starts it.
struct Demo {
    child: std::process::Child,
    /// What it printed first.
    line: String,
    /// The stand-in's origin, as the page's browser sees it.
    standin: String,
    /// The server's base URL (the softphone's adapter URL without `/softphone/`).
    base: String,
    /// Its data directory (the demo's sessions), removed with it.
    _data: tempfile::TempDir,
}

impl Demo {
    async fn start(rust_log: &str, stderr: Stdio) -> Self {
        Self::start_limited(rust_log, stderr, None).await
    }

    /// [`start`](Self::start) with the open-files limit (soft and hard) set to `open_files`.
    async fn start_limited(rust_log: &str, stderr: Stdio, open_files: Option<u32>) -> Self {
        let data = tempfile::tempdir().expect("a temporary data directory");
        let bin = env!("CARGO_BIN_EXE_cti-server");
        let mut command = match open_files {
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), bin]);
                c
            }
            None => Command::new(bin),
        };
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--standin-listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data.path())
            .env_remove("CTI_NEOAPI_URL")
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("a line on stdout");
        let port: u16 = line
            .strip_prefix("Open http://localhost:")
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(port, _)| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        // The stand-in sends the browser to itself with the softphone's URL.
        let location = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect("the stand-in answers");
        assert!(location.status().is_redirection(), "{}", location.status());
        let location = location.headers()["location"].to_str().unwrap().to_owned();
        let adapter = percent_encoding::percent_decode_str(
            location
                .strip_prefix("/?adapter=")
                .expect("redirect to ?adapter="),
        )
        .decode_utf8()
        .unwrap()
        .into_owned();
        let base = adapter
            .strip_suffix("/softphone/")
            .expect("the adapter URL is the softphone")
            .to_owned();
        Self {
            child,
            line,
            standin: format!("http://localhost:{port}"),
            base,
            _data: data,
        }
    }

    /// SIGTERM, then waits (15 s at most) for a clean exit.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                assert!(status.success(), "exit status {status}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[tokio::test]
async fn the_binary_serves_the_demo_prints_its_url_and_stops_on_sigterm() {
    let demo = Demo::start("warn", Stdio::null()).await;
    assert!(
        demo.line
            .trim_end()
            .ends_with("/ — log in as 1001 / 1001 on SIP/1001"),
        "{}",
        demo.line
    );
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/healthz", demo.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let metrics = common::get_text(&http, &format!("{}/metrics", demo.base)).await;
    assert!(metrics.contains("cti_sessions"), "{metrics}");
    demo.stop();
}

#[tokio::test]
async fn health_readiness_metrics_and_the_framing_policy() {
    let server = TestServer::start().await;
    let http = &server.http;
    let r = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!(
            "frame-ancestors 'self' http://localhost:{port} http://127.0.0.1:{port}",
            port = server.standin.port()
        )),
        "{csp}"
    );
    assert!(r.headers().get("x-frame-options").is_none());

    let r = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "the simulator is NeoApi here");

    let r = http.get(server.url("/softphone/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.headers().contains_key("content-security-policy"));

    let r = http.get(server.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // One refused login makes the NeoApi and login families appear.
    let mut ws = server.ws().await;
    assert_eq!(
        ws.login("1001", "wrong", "SIP/1001").await["code"],
        "loginFailed"
    );
    let metrics = server.metrics().await;
    for family in [
        "cti_sessions",
        "cti_connections",
        "cti_position_polls_total",
        "cti_neoapi_request_duration_seconds",
        "cti_neoapi_errors_total{kind=\"loginFailed\"} 1",
        "cti_logins_total{outcome=\"refused\"} 1",
    ] {
        assert!(metrics.contains(family), "no {family} in\n{metrics}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_standin_serves_its_dataset_callcenter_and_proxies_the_simulator() {
    let server = TestServer::start().await;
    let base = format!("http://127.0.0.1:{}", server.standin.port());
    let http = &server.http;
    let dataset: serde_json::Value = http
        .get(format!("{base}/standin/dataset.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(dataset["salesforce"]["records"].is_array());
    let xml = http
        .get(format!("{base}/standin/callcenter.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(&format!("{}/softphone/", server.public_url)),
        "{xml}"
    );
    // The simulator's control API, same-origin for the demo panel.
    let journal = http
        .get(format!("{base}/sim/journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(journal.status(), 200);
    let _: Vec<serde_json::Value> = journal.json().await.unwrap();
    // The stand-in is not on the main listener.
    let r = http
        .get(server.url("/standin/dataset.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;
}

#[test]
fn callcenter_generate_then_check_and_every_problem_of_a_bad_file() {
    let bin = env!("CARGO_BIN_EXE_cti-server");
    let out = Command::new(bin)
        .args([
            "callcenter",
            "generate",
            "--adapter-url",
            "https://cti.example.com/softphone/",
            "--width",
            "700",
        ])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("https://cti.example.com/softphone/"));
    assert!(xml.contains(">700<"));

    let dir = std::env::temp_dir().join(format!("cti-cc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.xml");
    std::fs::write(&good, &xml).unwrap();
    let out = Command::new(bin)
        .args(["callcenter", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let options: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("typed options as JSON");
    assert_eq!(options["general"]["width"], 700);

    let bad = dir.join("bad.xml");
    std::fs::write(
        &bad,
        xml.replace("https://cti", "http://cti")
            .replace(">700<", ">5000<"),
    )
    .unwrap();
    let out = Command::new(bin)
        .args(["callcenter", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        2,
        "every problem, one per line:\n{text}"
    );

    let out = Command::new(bin)
        .args([
            "callcenter",
            "generate",
            "--adapter-url",
            "http://insecure/softphone/",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(dir);

    let out = Command::new(bin).arg("--version").output().unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("cti-server ")
    );
}

#[test]
fn a_bad_configuration_names_its_key_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_cti-server"))
        .args(["--poll-interval-ms", "5", "--neoapi-url", "ftp://x"])
        .env("CTI_NEOTEL_TIMEZONE", "Mars/Base")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    for needle in [
        "poll_interval_ms",
        "--poll-interval-ms",
        "neoapi.url",
        "neotel.timezone",
        "CTI_NEOTEL_TIMEZONE",
    ] {
        assert!(err.contains(needle), "{needle} missing in:\n{err}");
    }
}

#[tokio::test]
async fn a_password_or_a_token_never_reaches_the_log_even_at_trace_level() {
    let log = std::env::temp_dir().join(format!("cti-log-{}.txt", std::process::id()));
    let demo = Demo::start(
        "trace",
        std::fs::File::create(&log).expect("a log file").into(),
    )
    .await;
    let ws_url = format!("{}/ws", demo.base).replacen("http://", "ws://", 1);
    let mut ws = common::Ws::connect(&ws_url, &demo.standin).await;
    let answer = ws.login("1001", "Clave-Secreta-77", "SIP/1001").await;
    assert_eq!(answer["code"], "loginFailed", "{answer}");
    // Nor does a session's token, which is as good as the password while it lives.
    let session = ws.login("1001", "1001", "SIP/1001").await;
    let token = session["token"].as_str().expect("a token").to_owned();
    drop(ws);
    demo.stop();
    let text = std::fs::read_to_string(&log).expect("the log was written");
    let _ = std::fs::remove_file(&log);
    assert!(
        text.contains("Login"),
        "the trace log shows the call was made"
    );
    assert!(
        !text.contains("Clave-Secreta-77"),
        "the password reached the log"
    );
    assert!(!text.contains(&token), "the token reached the log");
}

/// At a low open-files limit (systemd's default is 1,024) a crowd of idle sockets once made
/// `accept` fail ("Too many open files") and `/healthz` time out. The server fits its connection
/// cap under the limit, says so, answers the crowd's excess 503 with a text, and serves again
/// once the crowd leaves.
#[tokio::test]
async fn at_the_open_files_limit_the_crowd_is_refused_with_a_text_not_a_failed_accept() {
    let log = std::env::temp_dir().join(format!("cti-nofile-{}.txt", std::process::id()));
    let file = std::fs::File::create(&log).expect("a log file");
    let demo = Demo::start_limited("warn", file.into(), Some(400)).await;
    let addr = demo
        .base
        .strip_prefix("http://")
        .expect("plain HTTP")
        .to_owned();
    // 400 files less the 256 kept for the rest: 144 connections. 450 idle ones would take every
    // descriptor; past the cap they are refused or closed at once.
    let mut crowd = Vec::new();
    for _ in 0..450 {
        crowd.push(
            tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connects"),
        );
    }
    // The refusals of the crowd's idle excess give up within a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let refused = http
        .get(format!("{}/healthz", demo.base))
        .send()
        .await
        .expect("an answer, not a failed accept");
    assert_eq!(refused.status(), 503);
    let text = refused.text().await.unwrap();
    assert!(text.contains("connection limit"), "{text}");
    drop(crowd);
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{}/healthz", demo.base)).send().await
            && r.status() == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server serves again once the crowd leaves");
    demo.stop();
    let text = std::fs::read_to_string(&log).expect("the log was written");
    let _ = std::fs::remove_file(&log);
    assert!(
        text.contains("limits.max_connections lowered to fit the open-files limit"),
        "{text}"
    );
    assert!(!text.contains("Too many open files"), "{text}");
}
