//! HTTPS on the main listener (rustls, ring provider) with a generated certificate.

mod common;

use common::TestServer;

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("a self-signed certificate");
    let dir = std::env::temp_dir().join(format!("cti-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    let mut config = common::config();
    config.tls = Some(cti_server::config::TlsConfig {
        cert: cert_path,
        key: key_path,
    });
    let server = TestServer::start_with(config).await;
    assert!(
        server.public_url.starts_with("https://"),
        "{}",
        server.public_url
    );

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/healthz", server.addr.port());
    let response = client.get(&url).send().await.expect("a TLS answer");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");

    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(format!("http://{}/healthz", server.addr)).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unusable_files_are_named_in_the_error() {
    let dir = std::env::temp_dir().join(format!("cti-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, "not a certificate").unwrap();
    std::fs::write(&key, "not a key").unwrap();
    let err = cti_server::tls::server_config(&cti_server::config::TlsConfig { cert, key })
        .expect_err("garbage is refused");
    assert!(err.to_string().contains("tls.cert"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
