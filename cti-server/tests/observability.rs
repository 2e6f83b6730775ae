//! The operator's alerting rules (`ops/prometheus/`) and dashboard (`ops/grafana/`) name only
//! metrics a running server really exports, the dashboard charts every one, and Prometheus's
//! own `promtool` accepts the rules and fires each alert on its unit-test series.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use common::TestServer;
use serde_json::{Value, json};

fn ops_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../ops")).join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(ops_file(name)).unwrap_or_else(|e| panic!("ops/{name}: {e}"))
}

/// The series names a Prometheus scraping `text` can query: a gauge by its name, a counter
/// with `_total`, a histogram's `_bucket`, `_sum` and `_count`.
fn exported(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        match kind {
            "counter" => {
                names.insert(format!("{name}_total"));
            }
            "histogram" => {
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
            _ => {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

/// The server's metric names a text mentions (`cti_…` words).
fn mentioned(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while let Some(at) = text[i..].find("cti_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && word(bytes[end]) {
            end += 1;
        }
        if start == 0 || !word(bytes[start - 1]) {
            names.insert(text[start..end].to_owned());
        }
        i = end.max(start + 1);
    }
    names
}

/// Every PromQL expression of a Grafana dashboard (panels, nested rows, variables).
fn dashboard_exprs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr" | "query" | "definition", Value::String(s)) => out.push(s.clone()),
                    _ => dashboard_exprs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| dashboard_exprs(v, out)),
        _ => {}
    }
}

/// A refused login, an agent logged in, one effect answered and a flood of commands: every
/// family has a sample.
async fn traffic(server: &TestServer) {
    let mut refused = server.ws().await;
    assert_eq!(
        refused.login("1002", "wrong", "SIP/1002").await["code"],
        "loginFailed"
    );
    let mut ws = server.ws().await;
    let answer = ws.login("1001", "1001", "SIP/1001").await;
    assert_eq!(answer["type"], "session", "{answer}");
    let effect = ws.recv_type("effect").await;
    ws.send(json!({"v":1,"type":"effectResult","id":effect["effect"]["id"],"ok":true,"value":{}}))
        .await;
    // More commands at once than a session takes: the gate refuses some.
    for _ in 0..50 {
        ws.send(json!({"v":1,"type":"command","command":{"command":"leaveCampaign"}}))
            .await;
    }
    ws.recv_until("a command refused by the rate", |m| {
        m["code"] == "tooManyCommands"
    })
    .await;
    // At least one Position poll (every 200 ms here).
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn the_rules_and_the_dashboard_name_only_exported_metrics_and_chart_every_one() {
    let server = TestServer::start().await;
    traffic(&server).await;
    let metrics = server.metrics().await;
    let exported = exported(&metrics);
    for family in [
        "cti_sessions",
        "cti_neoapi_errors_total",
        "cti_effects_total",
        "cti_logins_total",
        "cti_refused_total",
        "cti_pending_writes",
        "cti_pop_latency_seconds_bucket",
        "cti_tls_cert_expiry_timestamp_seconds",
    ] {
        assert!(
            exported.contains(family),
            "{family} is not in /metrics:\n{metrics}"
        );
    }

    let dashboard: Value =
        serde_json::from_str(&read("grafana/cti-server.json")).expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() > 10, "{exprs:?}");
    let charted: BTreeSet<String> = exprs.iter().flat_map(|e| mentioned(e)).collect();

    for (file, names) in [
        (
            "prometheus/cti-server-alerts.yml",
            mentioned(&read("prometheus/cti-server-alerts.yml")),
        ),
        (
            "prometheus/cti-server-alerts.test.yml",
            mentioned(&read("prometheus/cti-server-alerts.test.yml")),
        ),
        ("grafana/cti-server.json", charted.clone()),
    ] {
        assert!(!names.is_empty(), "{file} names no metric");
        let unknown: Vec<&String> = names.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "ops/{file} names metrics the server does not export: {unknown:?}\nexported: {exported:?}"
        );
    }
    // Every family on the dashboard (a histogram by its buckets or count).
    for name in &exported {
        let family = name
            .strip_suffix("_bucket")
            .or_else(|| name.strip_suffix("_sum"))
            .or_else(|| name.strip_suffix("_count"))
            .unwrap_or(name);
        assert!(
            charted.iter().any(|c| c.starts_with(family)),
            "the dashboard charts nothing of {family}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn the_certificate_expiry_metric_is_the_served_certificates() {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_after = rcgen::date_time_ymd(2031, 5, 17);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = std::env::temp_dir().join(format!("cti-observability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let mut config = common::config();
    config.tls = Some(cti_server::config::TlsConfig {
        cert: cert_path,
        key: key_path,
    });
    let server = TestServer::start_with(config).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    let metrics = common::get_text(
        &client,
        &format!("https://localhost:{}/metrics", server.addr.port()),
    )
    .await;
    // 2031-05-17 00:00:00 UTC.
    assert!(
        metrics.contains("cti_tls_cert_expiry_timestamp_seconds 1936742400"),
        "{metrics}"
    );
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// `promtool`, when installed (`scripts/install-test-deps` installs Debian's `prometheus`; CI
/// must have it).
fn promtool() -> Option<&'static str> {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "promtool is missing: scripts/install-test-deps installs it (Debian's prometheus)"
    );
    if !found {
        eprintln!("promtool is not installed: the rules' promtool checks are skipped");
    }
    found.then_some("promtool")
}

#[test]
fn promtool_accepts_the_rules_and_each_alert_fires_on_its_series() {
    let Some(promtool) = promtool() else { return };
    for args in [
        ["check", "rules", "cti-server-alerts.yml"],
        ["test", "rules", "cti-server-alerts.test.yml"],
    ] {
        let out = std::process::Command::new(promtool)
            .args(args)
            .current_dir(ops_file("prometheus"))
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_name_extraction_finds_whole_words_only() {
    assert_eq!(
        mentioned("rate(cti_a_total[5m]) / xcti_b + cti_c{x=\"cti-server\"}"),
        BTreeSet::from(["cti_a_total".to_owned(), "cti_c".to_owned()])
    );
    assert_eq!(
        exported("# TYPE cti_x counter\n# TYPE cti_h histogram\n# TYPE cti_g gauge\n"),
        BTreeSet::from(
            [
                "cti_x_total",
                "cti_h_bucket",
                "cti_h_sum",
                "cti_h_count",
                "cti_g"
            ]
            .map(str::to_owned)
        )
    );
}
