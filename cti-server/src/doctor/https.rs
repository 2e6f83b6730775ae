//! `public_url` and the TLS certificate: https, the key pair, the name, the issuer, the expiry.

use super::report::Check;
use crate::config::{Config, TlsConfig};
use crate::tls::{self, LeafCertificate};

/// A certificate expiring sooner than this fails the check (time to renew it).
pub const CERT_MIN_DAYS_LEFT: i64 = 30;

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || unix.to_string(),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The `public_url` check and the host it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// The check.
    pub check: Check,
    /// The host (a name, or an IP address without brackets), when `public_url` is https.
    pub host: Option<String>,
}

/// `public_url` must be set and https: Lightning frames only https pages.
#[must_use]
pub fn public_url(url: Option<&str>) -> PublicUrl {
    const NAME: &str = "public_url";
    let Some(url) = url else {
        return PublicUrl {
            check: Check::fail(
                NAME,
                "not set: the softphone's address would be the listen address",
                "set public_url to the https origin agents' browsers use, e.g. https://cti.example.com",
            ),
            host: None,
        };
    };
    let parsed = reqwest::Url::parse(url).ok();
    // An IPv6 host comes in brackets; certificates name it without.
    let host = parsed.as_ref().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
    });
    match (parsed.as_ref().map(reqwest::Url::scheme), host) {
        (Some("https"), Some(host)) => PublicUrl {
            check: Check::ok(NAME, format!("{url} (https)")),
            host: Some(host),
        },
        _ => PublicUrl {
            check: Check::fail(
                NAME,
                format!("{url} is not https: Salesforce Lightning frames only https pages"),
                "set public_url to https://… and serve HTTPS (tls.cert and tls.key, or a reverse proxy)",
            ),
            host: None,
        },
    }
}

/// The TLS lines: the pair, the name, the issuer, the expiry.
pub(super) fn tls_checks(config: &Config, host: Option<&str>, now: i64) -> Vec<Check> {
    let Some(tls) = &config.tls else {
        return vec![tls_absent(config, host.is_some())];
    };
    let mut checks = vec![key_pair(tls)];
    // When the certificate cannot be read, the pair check has already failed naming the file.
    if let Ok(leaf) = LeafCertificate::load(&tls.cert) {
        checks.extend(certificate(&leaf, host, now));
    }
    checks
}

fn tls_absent(config: &Config, public_https: bool) -> Check {
    const NAME: &str = "tls";
    if !public_https {
        return Check::skip(NAME, "not configured (see public_url)");
    }
    if config.listen.ip().is_loopback() {
        Check::ok(
            NAME,
            "not served here: a reverse proxy in front terminates HTTPS for public_url",
        )
    } else {
        Check::warn(
            NAME,
            format!(
                "not served here, and listen = {} is reachable from other machines in plain HTTP",
                config.listen
            ),
            "behind a reverse proxy keep listen on loopback (127.0.0.1:8080); or set tls.cert and tls.key",
        )
    }
}

/// The certificate and key load as the server loads them, and match.
fn key_pair(tls: &TlsConfig) -> Check {
    const NAME: &str = "tls certificate and key";
    match tls::server_config(tls) {
        Ok(_) => Check::ok(
            NAME,
            format!(
                "{} and {} load and match",
                tls.cert.display(),
                tls.key.display()
            ),
        ),
        Err(tls::TlsError::Rustls(rustls::Error::InconsistentKeys(_))) => Check::fail(
            NAME,
            format!(
                "the key in {} does not match the certificate in {}",
                tls.key.display(),
                tls.cert.display()
            ),
            "use the private key the certificate was issued for (fullchain.pem goes with privkey.pem)",
        ),
        Err(e) => Check::fail(
            NAME,
            e.to_string(),
            "tls.cert must be the PEM chain (server certificate first) and tls.key its PEM private key, both readable by the server's user",
        ),
    }
}

/// The name, issuer and expiry of the served certificate, at `now` (Unix seconds).
#[must_use]
pub fn certificate(leaf: &LeafCertificate, host: Option<&str>, now: i64) -> Vec<Check> {
    let mut checks = Vec::new();
    let names = if leaf.names.is_empty() {
        "no subject alternative name".to_owned()
    } else {
        leaf.names.join(", ")
    };
    checks.push(match host {
        Some(host) if leaf.is_valid_for(host) => {
            Check::ok("tls name", format!("valid for {host} ({names})"))
        }
        Some(host) => Check::fail(
            "tls name",
            format!("not valid for {host}, public_url's host: it names {names}"),
            format!(
                "get a certificate for {host}, or set public_url to a name the certificate has"
            ),
        ),
        None => Check::skip("tls name", "public_url is not https (see public_url)"),
    });
    checks.push(if leaf.self_issued {
        Check::warn(
            "tls issuer",
            "self-signed: browsers refuse it unless every agent's machine trusts it",
            "use a certificate from a CA the agents' browsers trust",
        )
    } else {
        Check::ok("tls issuer", format!("issued by {}", leaf.issuer))
    });
    let days_left = (leaf.not_after - now).div_euclid(86_400);
    let renew = "renew the certificate, then restart the server (it reads the files at start)";
    checks.push(if leaf.not_after <= now {
        Check::fail(
            "tls expiry",
            format!("expired on {}", date(leaf.not_after)),
            renew,
        )
    } else if leaf.not_before > now {
        Check::fail(
            "tls expiry",
            format!("not valid before {}", date(leaf.not_before)),
            "check this machine's clock, or use a certificate valid now",
        )
    } else if days_left < CERT_MIN_DAYS_LEFT {
        Check::fail(
            "tls expiry",
            format!(
                "expires on {}, in {days_left} days (less than {CERT_MIN_DAYS_LEFT})",
                date(leaf.not_after)
            ),
            renew,
        )
    } else {
        Check::ok(
            "tls expiry",
            format!("valid until {} ({days_left} days)", date(leaf.not_after)),
        )
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::{Status, status_of};

    #[test]
    fn public_url_must_be_https() {
        let p = public_url(Some("https://cti.example.com:8443"));
        assert_eq!(p.check.status, Status::Ok);
        assert_eq!(p.host.as_deref(), Some("cti.example.com"));
        assert_eq!(
            public_url(Some("https://[::1]")).host.as_deref(),
            Some("::1")
        );
        let p = public_url(Some("http://cti.example.com"));
        assert_eq!(p.check.status, Status::Fail);
        assert!(p.check.detail.contains("not https"), "{}", p.check);
        assert_eq!(public_url(None).check.status, Status::Fail);
    }

    fn leaf(names: &[&str], not_before: i64, not_after: i64, self_signed: bool) -> LeafCertificate {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cti-doctor-leaf-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        let (y, m, d) = ymd(not_before);
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = ymd(not_after);
        params.not_after = rcgen::date_time_ymd(y, m, d);
        let key = rcgen::KeyPair::generate().unwrap();
        let pem = if self_signed {
            params.self_signed(&key).unwrap().pem()
        } else {
            let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            ca.distinguished_name
                .push(rcgen::DnType::CommonName, "Test CA");
            let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap())
                .unwrap();
            params.signed_by(&key, &ca).unwrap().pem()
        };
        let path = dir.join("cert.pem");
        std::fs::write(&path, pem).unwrap();
        let leaf = LeafCertificate::load(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        leaf
    }

    /// rcgen takes dates by day: every time here is a midnight.
    fn ymd(unix: i64) -> (i32, u8, u8) {
        use chrono::Datelike as _;
        let d = chrono::DateTime::from_timestamp(unix, 0).unwrap();
        (
            d.year(),
            u8::try_from(d.month()).unwrap(),
            u8::try_from(d.day()).unwrap(),
        )
    }

    const DAY: i64 = 86_400;
    /// 2027-01-01 00:00 UTC.
    const NOW: i64 = 1_798_761_600;

    #[test]
    fn a_certificate_for_the_host_valid_long_enough_passes() {
        let cert = leaf(&["cti.example.com"], NOW - DAY, NOW + 90 * DAY, false);
        let checks = certificate(&cert, Some("cti.example.com"), NOW);
        assert_eq!(status_of(&checks, "tls name").0, Status::Ok);
        assert_eq!(status_of(&checks, "tls issuer").0, Status::Ok);
        let (status, line) = status_of(&checks, "tls expiry");
        assert_eq!(status, Status::Ok, "{line}");
        assert!(line.contains("90 days"), "{line}");
    }

    #[test]
    fn wildcards_follow_the_browsers_rules() {
        let cert = leaf(&["*.example.com"], NOW - DAY, NOW + 90 * DAY, false);
        assert!(cert.is_valid_for("cti.example.com"));
        assert!(!cert.is_valid_for("a.cti.example.com"));
        assert!(!cert.is_valid_for("example.com"));
    }

    #[test]
    fn another_host_an_expiry_within_30_days_and_self_signed_are_named() {
        let cert = leaf(&["other.example.com"], NOW - DAY, NOW + 10 * DAY, true);
        let checks = certificate(&cert, Some("cti.example.com"), NOW);
        let (status, line) = status_of(&checks, "tls name");
        assert_eq!(status, Status::Fail);
        assert!(line.contains("not valid for cti.example.com"), "{line}");
        assert!(line.contains("other.example.com"), "{line}");
        let (status, line) = status_of(&checks, "tls expiry");
        assert_eq!(status, Status::Fail);
        assert!(line.contains("in 10 days"), "{line}");
        assert_eq!(status_of(&checks, "tls issuer").0, Status::Warn);
    }

    #[test]
    fn an_expired_or_future_certificate_fails() {
        let cert = leaf(&["cti.example.com"], NOW - 400 * DAY, NOW - DAY, false);
        let (status, line) = status_of(
            &certificate(&cert, Some("cti.example.com"), NOW),
            "tls expiry",
        );
        assert_eq!(status, Status::Fail);
        assert!(line.contains("expired on"), "{line}");
        let cert = leaf(&["cti.example.com"], NOW + DAY, NOW + 400 * DAY, false);
        let (status, line) = status_of(
            &certificate(&cert, Some("cti.example.com"), NOW),
            "tls expiry",
        );
        assert_eq!(status, Status::Fail);
        assert!(line.contains("not valid before"), "{line}");
    }
}
