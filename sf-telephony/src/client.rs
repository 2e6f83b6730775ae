//! The HTTP client: one method per call, one [`Outcome`] per request, no retries.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use crate::keys::{Claims, KeyMaterial, MAX_TOKEN_LIFETIME};
use crate::wire::{CreateVoiceCall, InitiationMethod, Pending, UpdateVoiceCall, VoiceCallCreated};

/// The most of an answer's body that is read (Salesforce's answers are a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// The most of a refusal's or server error's body kept in an [`Outcome`].
const MAX_KEPT_BODY: usize = 2048;

/// Where and as whom the client calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The org's Telephony Integration base URL, `https://{MyDomain}.my.salesforce-scrt.com`
    /// (the connector's `scrtUrl`); a trailing `/telephony/v1` is accepted too. Plain `http`
    /// is accepted only for a loopback host (the stand-in), since the token is a credential.
    pub base_url: String,
    /// The Salesforce org id (15 or 18 characters, `00D…`): the JWT's `iss`.
    pub org_id: String,
    /// The contact center's API name (its internal name): the JWT's `sub` and R1's
    /// `callCenterApiName`.
    pub call_center_api_name: String,
    /// The `Telephony-Provider-Name` header sent with every call (e.g. `neotel`).
    pub provider_name: String,
    /// How long each token is valid (default 5 minutes, at most 24 hours). Every request
    /// gets its own token with a fresh `jti`, so this only needs to cover the request.
    pub token_lifetime: Duration,
    /// The whole request's limit, connection included (default 10 seconds). A request that
    /// hits it after it may have been sent is an [`Unknown::TimedOut`].
    pub timeout: Duration,
    /// The limit for connecting (default 5 seconds): a [`NotSent::Unreachable`].
    pub connect_timeout: Duration,
}

impl ClientConfig {
    /// A configuration with the default lifetime and timeouts.
    pub fn new(
        base_url: impl Into<String>,
        org_id: impl Into<String>,
        call_center_api_name: impl Into<String>,
        provider_name: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            org_id: org_id.into(),
            call_center_api_name: call_center_api_name.into(),
            provider_name: provider_name.into(),
            token_lifetime: Duration::from_secs(5 * 60),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a [`ClientConfig`] was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL does not parse or has a query or fragment.
    #[error("the Telephony Integration base URL {url:?} is not usable: {reason}")]
    BaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `http://` to a host that is not loopback: the bearer token would travel in clear.
    #[error(
        "the Telephony Integration base URL {url:?} is plain http to a non-loopback host: use https"
    )]
    InsecureUrl {
        /// The URL given.
        url: String,
    },
    /// The org id is not 15 or 18 letters and digits starting with `00D`.
    #[error("the Salesforce org id {0:?} is not 15 or 18 letters and digits starting with 00D")]
    OrgId(String),
    /// The contact center's API name is empty or has spaces.
    #[error("the contact center API name {0:?} is empty or has spaces")]
    CallCenter(String),
    /// The provider name is empty or not a valid header value.
    #[error("the Telephony-Provider-Name {0:?} is empty or not a valid header value")]
    ProviderName(String),
    /// The token lifetime is zero or over 24 hours.
    #[error("the token lifetime must be more than 0 and at most 24 hours, not {0:?}")]
    TokenLifetime(Duration),
    /// A timeout is zero.
    #[error("the request and connect timeouts must be more than 0")]
    Timeout,
    /// The HTTP client could not be built (TLS roots).
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// What became of one request. The client never retries: it says what it knows, and the
/// caller decides.
///
/// | outcome | applied by Salesforce? | what a caller can do |
/// | --- | --- | --- |
/// | [`Accepted`](Self::Accepted) | yes | use the answer |
/// | [`Refused`](Self::Refused) | no (a 3xx/4xx answer) | fix the request or give up; resending the same request gets the same refusal, except for a 401/403 after the key or clock is fixed, or a 429 |
/// | [`Unknown`](Self::Unknown) | **maybe** | R2/R9: resend the same body (they overwrite by id). R1: do **not** resend blindly: whether a repeated `vendorCallKey` makes a second VoiceCall is undocumented (spec §7.7 q6) |
/// | [`NotSent`](Self::NotSent) | no: the request never left | resend whenever |
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Outcome<T> {
    /// A 2xx answer, read.
    Accepted(T),
    /// Salesforce answered that it did not apply the request.
    Refused(Refusal),
    /// The request may have reached Salesforce and been applied.
    Unknown(Unknown),
    /// The request never left this machine.
    NotSent(NotSent),
}

impl<T> Outcome<T> {
    /// A short label for logs and metrics: `accepted`, `refused`, `unknown`, `not_sent`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Refused(_) => "refused",
            Self::Unknown(_) => "unknown",
            Self::NotSent(_) => "not_sent",
        }
    }

    /// Whether Salesforce may have applied the request ([`Accepted`](Self::Accepted) or
    /// [`Unknown`](Self::Unknown)).
    pub fn may_have_applied(&self) -> bool {
        matches!(self, Self::Accepted(_) | Self::Unknown(_))
    }

    /// The answer, if accepted.
    pub fn accepted(self) -> Option<T> {
        match self {
            Self::Accepted(answer) => Some(answer),
            _ => None,
        }
    }
}

impl<T> fmt::Display for Outcome<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accepted(_) => f.write_str("accepted"),
            Self::Refused(refusal) => write!(f, "refused: {refusal}"),
            Self::Unknown(unknown) => write!(f, "outcome unknown: {unknown}"),
            Self::NotSent(not_sent) => write!(f, "not sent: {not_sent}"),
        }
    }
}

/// Salesforce's refusal: the status and the start of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status (3xx or 4xx).
    pub status: u16,
    /// The answer's body (at most 2 KiB of it), Salesforce's words.
    pub body: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.body)
    }
}

/// Why the outcome is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// No answer within [`ClientConfig::timeout`] once connected.
    TimedOut {
        /// The HTTP stack's words.
        detail: String,
    },
    /// The connection failed after the request may have been written: closed or reset before
    /// or during the answer.
    ConnectionLost {
        /// The HTTP stack's words.
        detail: String,
    },
    /// A 5xx answer: Salesforce may have failed after writing.
    ServerError {
        /// The HTTP status.
        status: u16,
        /// The answer's body (at most 2 KiB of it).
        body: String,
    },
    /// A 2xx answer whose body is not what the API documents (R1 without a `voiceCallId`).
    UnreadableAnswer {
        /// The HTTP status.
        status: u16,
        /// What is wrong with the body.
        detail: String,
    },
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut { detail } => write!(f, "timed out: {detail}"),
            Self::ConnectionLost { detail } => write!(f, "connection lost: {detail}"),
            Self::ServerError { status, body } => write!(f, "HTTP {status}: {body}"),
            Self::UnreadableAnswer { status, detail } => {
                write!(f, "HTTP {status} with an unreadable answer: {detail}")
            }
        }
    }
}

/// Why the request never left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// No connection: DNS, connection refused, TLS handshake, or the connect timeout.
    Unreachable {
        /// The HTTP stack's words.
        detail: String,
    },
    /// The request is not one the API takes (checked before sending).
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The token could not be signed.
    Token {
        /// What failed.
        reason: &'static str,
    },
}

impl fmt::Display for NotSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable { detail } => write!(f, "unreachable: {detail}"),
            Self::Invalid { reason } => write!(f, "invalid request: {reason}"),
            Self::Token { reason } => write!(f, "no token: {reason}"),
        }
    }
}

/// The Telephony Integration API client. Cheap to clone; share one per server.
///
/// It signs a fresh token (fresh `jti`) for every request, sends it once, and reports what it
/// knows as an [`Outcome`]. **It never retries**: when to resend, and whether resending is
/// safe, is the caller's decision (see [`Outcome`]).
#[derive(Debug, Clone)]
pub struct TelephonyClient {
    http: reqwest::Client,
    api: Url,
    config: ClientConfig,
    provider: HeaderValue,
    keys: Arc<KeyMaterial>,
}

impl TelephonyClient {
    /// Checks `config` and builds the client (HTTPS with rustls, no redirects followed).
    pub fn new(config: ClientConfig, keys: Arc<KeyMaterial>) -> Result<Self, ConfigError> {
        let api = api_url(&config.base_url)?;
        let org = &config.org_id;
        if !(org.len() == 15 || org.len() == 18)
            || !org.starts_with("00D")
            || !org.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::OrgId(org.clone()));
        }
        let center = &config.call_center_api_name;
        if center.is_empty() || center.chars().any(char::is_whitespace) {
            return Err(ConfigError::CallCenter(center.clone()));
        }
        let provider = HeaderValue::from_str(&config.provider_name)
            .ok()
            .filter(|_| !config.provider_name.trim().is_empty())
            .ok_or_else(|| ConfigError::ProviderName(config.provider_name.clone()))?;
        if config.token_lifetime.as_secs() == 0 || config.token_lifetime > MAX_TOKEN_LIFETIME {
            return Err(ConfigError::TokenLifetime(config.token_lifetime));
        }
        if config.timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(ConfigError::Timeout);
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // A redirect is an answer that nothing was applied; following one would carry the
            // token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sf-telephony/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(Self {
            http,
            api,
            config,
            provider,
            keys,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// R1, `POST /voiceCalls`: creates the VoiceCall of a starting call. Checked before
    /// sending (one end user, `Transfer` ⇒ `parentVoiceCallId`, the configured contact center,
    /// `callAttributes` a JSON object). Accepted with `errors` means the record exists and
    /// Salesforce met problems after creating it.
    ///
    /// An [`Outcome::Unknown`] here must not be resent blindly (see [`Outcome`]).
    pub async fn create_voice_call(&self, body: &CreateVoiceCall) -> Outcome<VoiceCallCreated> {
        if let Err(reason) = self.check_create(body) {
            return Outcome::NotSent(NotSent::Invalid { reason });
        }
        let url = self.endpoint(&[]);
        let outcome = self
            .send(Method::POST, url, Some(body), |status, bytes| {
                serde_json::from_slice::<VoiceCallCreated>(bytes)
                    .ok()
                    .filter(|created| !created.voice_call_id.is_empty())
                    .ok_or_else(|| Unknown::UnreadableAnswer {
                        status,
                        detail: "no voiceCallId in the answer".into(),
                    })
            })
            .await;
        tracing::debug!(
            vendor_call_key = %body.vendor_call_key,
            outcome = outcome.kind(),
            voice_call_id = match &outcome { Outcome::Accepted(c) => c.voice_call_id.as_str(), _ => "" },
            "telephony API: create VoiceCall"
        );
        outcome
    }

    /// R2, `PATCH /voiceCalls/{call_id}`: updates a VoiceCall named by its `voiceCallId` or
    /// the vendor's `vendorCallKey`. Salesforce overwrites by id, so resending the same body
    /// after an [`Outcome::Unknown`] leaves the same record.
    pub async fn update_voice_call(
        &self,
        call_id: &str,
        body: &UpdateVoiceCall,
    ) -> Outcome<Pending> {
        if let Err(reason) = check_call_id(call_id).and_then(|()| {
            body.call_attributes
                .as_deref()
                .map_or(Ok(()), check_call_attributes)
        }) {
            return Outcome::NotSent(NotSent::Invalid { reason });
        }
        let url = self.endpoint(&[call_id]);
        let outcome = self.send(Method::PATCH, url, Some(body), pending).await;
        tracing::debug!(
            call_id,
            outcome = outcome.kind(),
            "telephony API: update VoiceCall"
        );
        outcome
    }

    /// R9, `PATCH /voiceCalls/{call_id}/clearRouting`: deletes the call's pending routing
    /// (needed for missed or abandoned calls only when Omni-Channel flows routed them).
    pub async fn clear_routing(&self, call_id: &str) -> Outcome<Pending> {
        if let Err(reason) = check_call_id(call_id) {
            return Outcome::NotSent(NotSent::Invalid { reason });
        }
        let url = self.endpoint(&[call_id, "clearRouting"]);
        let outcome = self.send(Method::PATCH, url, None::<&()>, pending).await;
        tracing::debug!(
            call_id,
            outcome = outcome.kind(),
            "telephony API: clear routing"
        );
        outcome
    }

    fn check_create(&self, body: &CreateVoiceCall) -> Result<(), String> {
        if body.call_center_api_name != self.config.call_center_api_name {
            return Err(format!(
                "callCenterApiName {:?} is not the configured contact center {:?}",
                body.call_center_api_name, self.config.call_center_api_name
            ));
        }
        if body.vendor_call_key.trim().is_empty() {
            return Err("vendorCallKey is empty".into());
        }
        if body.participants.len() != 1 {
            return Err(format!(
                "participants must hold exactly one end user, not {}",
                body.participants.len()
            ));
        }
        if body.initiation_method == InitiationMethod::Transfer
            && body
                .parent_voice_call_id
                .as_deref()
                .is_none_or(str::is_empty)
        {
            return Err("a Transfer needs parentVoiceCallId".into());
        }
        body.call_attributes
            .as_deref()
            .map_or(Ok(()), check_call_attributes)
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.api.clone();
        url.path_segments_mut()
            .expect("checked at construction: an http(s) URL has a path")
            .push("voiceCalls")
            .extend(segments);
        url
    }

    async fn send<B: serde::Serialize + ?Sized, T>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        read: impl FnOnce(u16, &[u8]) -> Result<T, Unknown>,
    ) -> Outcome<T> {
        let claims = Claims::new(
            &self.config.org_id,
            &self.config.call_center_api_name,
            SystemTime::now(),
            self.config.token_lifetime,
        );
        let token = match self.keys.sign(&claims) {
            Ok(token) => token,
            Err(e) => return Outcome::NotSent(NotSent::Token { reason: e.reason }),
        };
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).expect("a JWT is base64url and dots");
        authorization.set_sensitive(true);
        let mut request = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, authorization)
            .header("Telephony-Provider-Name", self.provider.clone())
            .header(CONTENT_TYPE, "application/json");
        if let Some(body) = body {
            match serde_json::to_vec(body) {
                Ok(bytes) => request = request.body(bytes),
                Err(e) => {
                    return Outcome::NotSent(NotSent::Invalid {
                        reason: format!("the body does not serialize: {e}"),
                    });
                }
            }
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return failed(&e),
        };
        let status = response.status();
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_ANSWER_BYTES.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if bytes.len() >= MAX_ANSWER_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return failed(&e),
            }
        }
        classify(status, &bytes, read)
    }
}

/// What an answer means, by status.
fn classify<T>(
    status: StatusCode,
    bytes: &[u8],
    read: impl FnOnce(u16, &[u8]) -> Result<T, Unknown>,
) -> Outcome<T> {
    let code = status.as_u16();
    if status.is_success() {
        match read(code, bytes) {
            Ok(answer) => Outcome::Accepted(answer),
            Err(unknown) => Outcome::Unknown(unknown),
        }
    } else if status.is_server_error() {
        Outcome::Unknown(Unknown::ServerError {
            status: code,
            body: kept(bytes),
        })
    } else {
        Outcome::Refused(Refusal {
            status: code,
            body: kept(bytes),
        })
    }
}

/// R2's and R9's answer: any 2xx is acceptance; the body is informative.
fn pending(_status: u16, bytes: &[u8]) -> Result<Pending, Unknown> {
    Ok(serde_json::from_slice(bytes).unwrap_or_default())
}

/// A failed exchange: before the request left (no connection), or after it may have.
fn failed<T>(error: &reqwest::Error) -> Outcome<T> {
    let detail = describe(error);
    if error.is_connect() {
        // The connector failed (DNS, TCP, TLS, connect timeout): nothing was written.
        Outcome::NotSent(NotSent::Unreachable { detail })
    } else if error.is_builder() {
        Outcome::NotSent(NotSent::Invalid { reason: detail })
    } else if error.is_timeout() {
        Outcome::Unknown(Unknown::TimedOut { detail })
    } else {
        Outcome::Unknown(Unknown::ConnectionLost { detail })
    }
}

/// The error and its causes on one line (reqwest's own text stops at the first).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn kept(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(MAX_KEPT_BODY) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

fn check_call_id(call_id: &str) -> Result<(), String> {
    if call_id.trim().is_empty() {
        Err("the call id (voiceCallId or vendorCallKey) is empty".into())
    } else {
        Ok(())
    }
}

fn check_call_attributes(text: &str) -> Result<(), String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err("callAttributes must be a string holding a JSON object".into()),
    }
}

/// `https://host[/…]` → `https://host[/…]/telephony/v1`, checked.
fn api_url(base: &str) -> Result<Url, ConfigError> {
    let refuse = |reason| ConfigError::BaseUrl {
        url: base.to_owned(),
        reason,
    };
    let mut url = Url::parse(base.trim()).map_err(|_| refuse("it does not parse"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("it has a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it carries a user name or password"));
    }
    let host = url.host_str().ok_or_else(|| refuse("it has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = bare.eq_ignore_ascii_case("localhost")
                || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(ConfigError::InsecureUrl {
                    url: base.to_owned(),
                });
            }
        }
        _ => return Err(refuse("its scheme is not https")),
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/telephony/v1").unwrap_or(path);
    let path = format!("{path}/telephony/v1");
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_url_is_the_base_plus_telephony_v1_whatever_the_base_ends_with() {
        for base in [
            "https://acme.my.salesforce-scrt.com",
            "https://acme.my.salesforce-scrt.com/",
            "https://acme.my.salesforce-scrt.com/telephony/v1",
            "https://acme.my.salesforce-scrt.com/telephony/v1/",
        ] {
            assert_eq!(
                api_url(base).unwrap().as_str(),
                "https://acme.my.salesforce-scrt.com/telephony/v1",
                "{base}"
            );
        }
        assert!(api_url("http://127.0.0.1:9000").is_ok());
        assert!(api_url("http://[::1]:9000").is_ok());
        assert!(api_url("http://localhost:9000").is_ok());
        assert!(matches!(
            api_url("http://acme.my.salesforce-scrt.com"),
            Err(ConfigError::InsecureUrl { .. })
        ));
        assert!(matches!(
            api_url("ftp://acme"),
            Err(ConfigError::BaseUrl { .. })
        ));
        assert!(matches!(
            api_url("https://acme?x=1"),
            Err(ConfigError::BaseUrl { .. })
        ));
    }

    #[test]
    fn statuses_sort_into_accepted_refused_and_unknown() {
        let read = |_: u16, b: &[u8]| Ok(b.len());
        assert_eq!(classify(StatusCode::OK, b"{}", read), Outcome::Accepted(2));
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, b"no", read),
            Outcome::Refused(Refusal { status: 400, .. })
        ));
        assert!(matches!(
            classify(StatusCode::FOUND, b"", read),
            Outcome::Refused(Refusal { status: 302, .. })
        ));
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, b"down", read),
            Outcome::Unknown(Unknown::ServerError { status: 503, .. })
        ));
        assert_eq!(kept(&[b'x'; 5000]).chars().count(), MAX_KEPT_BODY + 1);
    }
}
