//! The key pair that signs the JWTs: the RSA private key (kept on the server) and the X.509
//! certificate whose public key Salesforce holds in the contact center's
//! `reqTelephonyIntegrationCertificate` (spec `scv.md` §3.2, §4.3).
//!
//! Loading checks what Salesforce would only reveal by refusing every call: the key is RSA, at
//! least 2048 bits, and matches the certificate. The private key is never shown: not in
//! `Debug`, not in errors (they name what is wrong, never quote the file), not in logs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The smallest RSA key accepted (Salesforce recommends 2048 bits and newer pages accept only
/// 2048 or 4096).
pub const MIN_KEY_BITS: usize = 2048;

/// The longest token lifetime Salesforce accepts: `exp` "within 24 hours" of `iat` (E30).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Which of the two files a [`KeyError::Read`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFile {
    /// The RSA private key (PEM).
    PrivateKey,
    /// The X.509 certificate (PEM).
    Certificate,
}

impl fmt::Display for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PrivateKey => "private key",
            Self::Certificate => "certificate",
        })
    }
}

/// Why key material was refused. The words name the problem; they never quote the files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A file could not be read.
    #[error("cannot read the {file} file {path}: {source}")]
    Read {
        /// Which file.
        file: KeyFile,
        /// Its path.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The certificate file holds a private key: the two paths are probably swapped.
    #[error(
        "the certificate file holds a private key: give the certificate alone (are the two paths swapped?)"
    )]
    CertificateIsPrivateKey,
    /// The certificate could not be read as a PEM X.509 certificate.
    #[error("the certificate is not a PEM X.509 certificate: {reason}")]
    CertificateUnreadable {
        /// What is wrong.
        reason: &'static str,
    },
    /// The certificate's key is not RSA (Salesforce's JWTs are RS256).
    #[error("the certificate's public key is not RSA: Salesforce verifies RS256 tokens")]
    CertificateNotRsa,
    /// The key is shorter than [`MIN_KEY_BITS`].
    #[error("the RSA key has {bits} bits; at least {MIN_KEY_BITS} are required")]
    KeyTooSmall {
        /// The key's size.
        bits: usize,
    },
    /// The private key could not be read as an unencrypted RSA private key in PEM.
    #[error("the private key is not usable: {reason}")]
    PrivateKeyUnreadable {
        /// What is wrong.
        reason: &'static str,
    },
    /// The private key is not the one whose public half the certificate holds: Salesforce
    /// would refuse every token.
    #[error(
        "the private key does not match the certificate ({certificate_subject}, SHA-256 {fingerprint}): Salesforce would refuse every token it signs"
    )]
    KeyMismatch {
        /// The certificate's subject.
        certificate_subject: String,
        /// The certificate's SHA-256 fingerprint.
        fingerprint: String,
    },
    /// A demo key pair could not be made.
    #[error("cannot generate a demo key pair: {reason}")]
    Generate {
        /// What failed.
        reason: String,
    },
}

/// A token could not be signed (never with key material that loaded: kept for completeness).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot sign the token: {reason}")]
pub struct SignError {
    /// What failed.
    pub reason: &'static str,
}

/// The checked key pair. Cheap to share behind an `Arc`; `Debug` shows the certificate's
/// subject, fingerprint and size, never the private key.
pub struct KeyMaterial {
    signing_key: EncodingKey,
    certificate_pem: String,
    subject: String,
    fingerprint: String,
    bits: usize,
    not_after: Option<DateTime<Utc>>,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("certificate_subject", &self.subject)
            .field("certificate_sha256", &self.fingerprint)
            .field("bits", &self.bits)
            .field("not_after", &self.not_after)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl KeyMaterial {
    /// Reads the private key and the certificate from their files and checks them
    /// ([`from_pem`](Self::from_pem)).
    pub fn load(private_key: &Path, certificate: &Path) -> Result<Self, KeyError> {
        let read = |file, path: &Path| {
            std::fs::read_to_string(path).map_err(|source| KeyError::Read {
                file,
                path: path.to_path_buf(),
                source,
            })
        };
        let certificate_pem = read(KeyFile::Certificate, certificate)?;
        let private_key_pem = read(KeyFile::PrivateKey, private_key)?;
        Self::from_pem(&private_key_pem, &certificate_pem)
    }

    /// Checks a private key (PEM: PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`,
    /// unencrypted) against a certificate (PEM; the first `CERTIFICATE` block counts): the
    /// certificate's key is RSA of at least [`MIN_KEY_BITS`], and the private key is its
    /// other half.
    pub fn from_pem(private_key_pem: &str, certificate_pem: &str) -> Result<Self, KeyError> {
        let certificate = Certificate::parse(certificate_pem)?;
        if certificate.bits < MIN_KEY_BITS {
            return Err(KeyError::KeyTooSmall {
                bits: certificate.bits,
            });
        }
        let pkcs1 = read_private_key(private_key_pem)?;
        let pair = aws_lc_rs::rsa::KeyPair::from_der(&pkcs1).map_err(|rejected| {
            KeyError::PrivateKeyUnreadable {
                reason: match rejected.description_() {
                    "TooSmall" => "the RSA key is shorter than 2048 bits",
                    "TooLarge" => "the RSA key is longer than 8192 bits",
                    _ => "the RSA key is malformed or inconsistent",
                },
            }
        })?;
        let public = pair.public_key();
        let matches = strip_zeros(public.modulus().big_endian_without_leading_zero())
            == strip_zeros(&certificate.modulus)
            && strip_zeros(public.exponent().big_endian_without_leading_zero())
                == strip_zeros(&certificate.exponent);
        if !matches {
            return Err(KeyError::KeyMismatch {
                certificate_subject: certificate.subject,
                fingerprint: certificate.fingerprint,
            });
        }
        Ok(Self {
            signing_key: EncodingKey::from_rsa_der(&pkcs1),
            certificate_pem: certificate.pem,
            subject: certificate.subject,
            fingerprint: certificate.fingerprint,
            bits: certificate.bits,
            not_after: certificate.not_after,
        })
    }

    /// The certificate, PEM (public: the text the contact center's
    /// `reqTelephonyIntegrationCertificate` holds).
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The certificate's subject (`CN=…`).
    pub fn certificate_subject(&self) -> &str {
        &self.subject
    }

    /// The certificate's SHA-256 fingerprint, lowercase hex with colons.
    pub fn certificate_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// When the certificate stops being valid (`None` if out of chrono's range). Whether
    /// Salesforce refuses tokens once it has expired is not documented.
    pub fn certificate_not_after(&self) -> Option<DateTime<Utc>> {
        self.not_after
    }

    /// The RSA key's size in bits.
    pub fn key_bits(&self) -> usize {
        self.bits
    }

    /// Signs `claims` into a compact RS256 JWT (header `{"typ":"JWT","alg":"RS256"}`).
    pub fn sign(&self, claims: &Claims) -> Result<String, SignError> {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &self.signing_key).map_err(
            |e| SignError {
                reason: match e.kind() {
                    jsonwebtoken::errors::ErrorKind::Json(_) => "the claims do not serialize",
                    _ => "the RSA key was refused by the signer",
                },
            },
        )
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The private key as PKCS#1 DER (what the signer takes), from PEM: PKCS#8 `PRIVATE KEY` or
/// PKCS#1 `RSA PRIVATE KEY`, unencrypted.
fn read_private_key(pem: &str) -> Result<Vec<u8>, KeyError> {
    let unreadable = |reason| KeyError::PrivateKeyUnreadable { reason };
    if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || pem.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(unreadable(
            "it is encrypted; store it unencrypted in a file only the server can read",
        ));
    }
    let block = x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
        .filter_map(Result::ok)
        .find(|block| block.label.ends_with("PRIVATE KEY"))
        .ok_or(unreadable(
            "no PEM `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1) block",
        ))?;
    match block.label.as_str() {
        "RSA PRIVATE KEY" => Ok(block.contents.clone()),
        "PRIVATE KEY" => pkcs1_inside_pkcs8(&block.contents).ok_or(unreadable(
            "the PKCS#8 `PRIVATE KEY` block does not hold an RSA key",
        )),
        _ => Err(unreadable(
            "not an RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`)",
        )),
    }
}

/// PKCS#8's `PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET
/// STRING }`: the octet string of an `rsaEncryption` key is the PKCS#1 `RSAPrivateKey`.
fn pkcs1_inside_pkcs8(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::der_parser::parse_der;
    let (_, info) = parse_der(der).ok()?;
    let fields = info.as_sequence().ok()?;
    let algorithm = fields.get(1)?.as_sequence().ok()?.first()?.as_oid().ok()?;
    if algorithm.to_id_string() != "1.2.840.113549.1.1.1" {
        return None;
    }
    Some(fields.get(2)?.as_slice().ok()?.to_vec())
}

/// What the checks need from the certificate.
struct Certificate {
    pem: String,
    subject: String,
    fingerprint: String,
    bits: usize,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    not_after: Option<DateTime<Utc>>,
}

impl Certificate {
    fn parse(text: &str) -> Result<Self, KeyError> {
        if text.contains("PRIVATE KEY-----") {
            // Refused before any parser sees it, so no parser's message can quote it.
            return Err(KeyError::CertificateIsPrivateKey);
        }
        let block = x509_parser::pem::Pem::iter_from_buffer(text.as_bytes())
            .filter_map(Result::ok)
            .find(|pem| pem.label == "CERTIFICATE")
            .ok_or(KeyError::CertificateUnreadable {
                reason: "no PEM `CERTIFICATE` block",
            })?;
        let cert = block
            .parse_x509()
            .map_err(|_| KeyError::CertificateUnreadable {
                reason: "the `CERTIFICATE` block is not a valid X.509 certificate",
            })?;
        let x509_parser::public_key::PublicKey::RSA(rsa) =
            cert.public_key()
                .parsed()
                .map_err(|_| KeyError::CertificateUnreadable {
                    reason: "its public key does not parse",
                })?
        else {
            return Err(KeyError::CertificateNotRsa);
        };
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &block.contents);
        let fingerprint = digest
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            wrap64(&base64::engine::general_purpose::STANDARD.encode(&block.contents))
        );
        Ok(Self {
            subject: cert.subject().to_string(),
            fingerprint,
            bits: rsa.key_size(),
            modulus: rsa.modulus.to_vec(),
            exponent: rsa.exponent.to_vec(),
            not_after: DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0),
            pem,
        })
    }
}

fn wrap64(text: &str) -> String {
    text.as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The JWT's claims (spec §3.2, E30): no `aud` (the current documentation has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The Salesforce org id where the contact center and its certificate live.
    pub iss: String,
    /// The contact center's API name.
    pub sub: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, seconds since the Unix epoch; at most 24 hours after `iat`.
    pub exp: u64,
    /// The token's unique id: Salesforce refuses a `jti` it has seen before, so a token with
    /// one is good for one request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Claims {
    /// Claims issued at `now`, valid for `lifetime` (clamped to [`MAX_TOKEN_LIFETIME`]), with
    /// a fresh random `jti`.
    pub fn new(
        org_id: &str,
        call_center_api_name: &str,
        now: SystemTime,
        lifetime: Duration,
    ) -> Self {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        Self {
            iss: org_id.to_owned(),
            sub: call_center_api_name.to_owned(),
            iat,
            exp: iat + lifetime.min(MAX_TOKEN_LIFETIME).as_secs(),
            jti: Some(fresh_jti()),
        }
    }
}

/// 128 random bits as 32 hex digits.
fn fresh_jti() -> String {
    let bits: u128 = rand::random();
    format!("{bits:032x}")
}

/// A fresh RSA key pair and a self-signed certificate for it, **for the demo and tests
/// only**: a real install makes its own key where the server runs and imports the certificate
/// into the contact center (the private key never leaves that machine). `Debug` hides the
/// private key.
pub struct DemoKeyPair {
    private_key_pem: String,
    certificate_pem: String,
}

impl fmt::Debug for DemoKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoKeyPair")
            .field("certificate_pem", &self.certificate_pem)
            .field("private_key_pem", &"[redacted]")
            .finish()
    }
}

impl DemoKeyPair {
    /// Makes a 2048-bit RSA key (PKCS#8) and a self-signed certificate with `common_name`.
    pub fn generate(common_name: &str) -> Result<Self, KeyError> {
        let failed = |reason: &str| KeyError::Generate {
            reason: reason.to_owned(),
        };
        use aws_lc_rs::encoding::AsDer;
        let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| failed("RSA key generation failed"))?;
        let pkcs8 = key
            .as_der()
            .map_err(|_| failed("the key does not serialize"))?;
        let signer = rcgen::KeyPair::try_from(pkcs8.as_ref())
            .map_err(|_| failed("the certificate signer refused the key"))?;
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let certificate = params
            .self_signed(&signer)
            .map_err(|e| failed(&format!("the certificate cannot be made: {e}")))?;
        Ok(Self {
            private_key_pem: signer.serialize_pem(),
            certificate_pem: certificate.pem(),
        })
    }

    /// The private key, PEM (PKCS#8). Write it only where the demo server reads it.
    pub fn private_key_pem(&self) -> &str {
        &self.private_key_pem
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The pair, checked, ready to sign.
    pub fn key_material(&self) -> Result<KeyMaterial, KeyError> {
        KeyMaterial::from_pem(&self.private_key_pem, &self.certificate_pem)
    }
}
