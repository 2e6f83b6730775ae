//! HTTPS on the main listener: rustls with the ring provider, as an axum [`Listener`].
//!
//! TLS handshakes run in their own tasks so a slow client cannot stall the accept loop.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::TlsConfig;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is missing or not PEM certificates.
    #[error("tls.cert {path}: {message}")]
    Cert {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The key file is missing or not a PEM private key.
    #[error("tls.key {path}: {message}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the pair (e.g. the key does not match the certificate).
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Builds the rustls server configuration from PEM files (ring provider, HTTP/1.1).
///
/// # Errors
/// A file cannot be read or parsed, or rustls refuses the pair.
pub fn server_config(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = load_certs(&tls.cert)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| TlsError::Key {
        path: tls.key.display().to_string(),
        message: e.to_string(),
    })?;
    config_of(certs, key)
}

/// A self-signed certificate for `names` (DNS names or IP addresses), made now and kept in
/// memory: the Salesforce Voice demo's, since the base accepts its host only over HTTPS. A
/// browser takes it only when told to ignore certificate errors (README.md).
///
/// # Errors
/// A name is neither a DNS name nor an IP address.
pub(crate) fn demo_config(names: &[String]) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let made = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?;
    let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
        .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_owned())))?;
    config_of(vec![made.cert.der().clone()], key)
}

fn config_of(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |message: String| TlsError::Cert {
        path: path.display().to_string(),
        message,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    Ok(certs)
}

/// The served certificate (the chain's first), as an operator needs to know it.
#[derive(Debug, Clone)]
pub struct LeafCertificate {
    der: CertificateDer<'static>,
    /// Not valid before (Unix seconds).
    pub not_before: i64,
    /// Not valid after (Unix seconds).
    pub not_after: i64,
    /// Its subject alternative names (DNS names and IP addresses), as written.
    pub names: Vec<String>,
    /// Issued by itself: browsers refuse it unless every agent's machine trusts it.
    pub self_issued: bool,
    /// Its issuer's distinguished name.
    pub issuer: String,
}

impl LeafCertificate {
    /// Reads the first certificate of a PEM chain.
    ///
    /// # Errors
    /// The file cannot be read, holds no certificate, or the first one is not X.509.
    pub fn load(path: &Path) -> Result<Self, TlsError> {
        let der = load_certs(path)?.swap_remove(0);
        let bad = |message: String| TlsError::Cert {
            path: path.display().to_string(),
            message,
        };
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|e| bad(format!("not an X.509 certificate: {e}")))?;
        let names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
                    x509_parser::extensions::GeneralName::IPAddress(ip) => ip_text(ip),
                    _ => None,
                })
                .collect(),
            Ok(None) => Vec::new(),
            Err(e) => return Err(bad(format!("subject alternative names: {e}"))),
        };
        let validity = cert.validity();
        Ok(Self {
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            names,
            self_issued: cert.issuer().as_raw() == cert.subject().as_raw(),
            issuer: cert.issuer().to_string(),
            der: der.clone(),
        })
    }

    /// Whether a browser would accept it for `host` (rustls's name rules: wildcards, IPs).
    #[must_use]
    pub fn is_valid_for(&self, host: &str) -> bool {
        let Ok(name) = rustls::pki_types::ServerName::try_from(host) else {
            return false;
        };
        rustls::server::ParsedCertificate::try_from(&self.der)
            .and_then(|cert| rustls::client::verify_server_name(&cert, &name))
            .is_ok()
    }
}

fn ip_text(octets: &[u8]) -> Option<String> {
    match octets.len() {
        4 => <[u8; 4]>::try_from(octets)
            .ok()
            .map(|o| std::net::Ipv4Addr::from(o).to_string()),
        16 => <[u8; 16]>::try_from(octets)
            .ok()
            .map(|o| std::net::Ipv6Addr::from(o).to_string()),
        _ => None,
    }
}

/// A TCP listener whose connections come out TLS-terminated.
#[derive(Debug)]
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Wraps a bound listener; handshakes run in spawned tasks and time out after 10 s.
    ///
    /// # Errors
    /// The listener has no local address.
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(64);
        let accept_task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            local,
            ready,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(pair) => pair,
            // The accept task only ends when aborted on drop, which cannot happen while borrowed.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}
