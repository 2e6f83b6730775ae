//! Everything the stand-in decides, in one place: how it checks tokens and bodies, how it
//! keeps VoiceCalls, which fault a request meets, and the words of every answer. The HTTP
//! layer (`server.rs`) only moves requests in and answers out.
//!
//! What it copies from Salesforce's documentation (spec `scv.md` §3, E30, E32, E37) and what
//! it chose where the documentation is silent (marked *stand-in's choice*) — only a real org
//! can settle those (spec §7.1, §7.7):
//!
//! - Tokens: RS256 only, signed by the certificate's key; `iss` = the org id, `sub` = the
//!   contact center's API name, `exp` after now, `exp − iat` at most 24 hours, `iat` not
//!   ahead of now by more than the configured skew, a `jti` seen before refused. Every
//!   refusal is HTTP 401 with a reason (*stand-in's choice*: Salesforce's status and words
//!   for bad tokens are not documented; one report shows a 403). Whether Salesforce accepts a
//!   15- and an 18-character org id alike, and how much skew it allows, is unknown (§7.7 q10).
//! - R1: the documented required fields and enums; `Transfer` needs `parentVoiceCallId`;
//!   exactly one `END_USER` participant; `callAttributes` a string holding a JSON object;
//!   `callCenterApiName` = the configured contact center. Unknown fields are refused
//!   (*stand-in's choice*: stricter than Salesforce may be, to catch misspelt names).
//!   The id is `0LQ` + 12 base62 characters. A repeated `vendorCallKey` returns the same
//!   record when `dedupe` is on, a new one when off: Salesforce's behaviour is not documented
//!   (§7.7 q6). Names in `callAttributes` outside `knownCallAttributes` (when set) create the
//!   record and answer the documented sentence form of `errors`.
//! - R2: by `voiceCallId` or `vendorCallKey` (the newest record with that key); each body
//!   applied is kept, in order, so tests can count writes. An unknown id is a 404
//!   (*stand-in's choice*: Salesforce documents that R2 can also create a record after the
//!   fact, without saying how). Whether R2 by vendor key finds a Salesforce-created Outbound
//!   VoiceCall is unknown (§7.7 q5).
//! - R9: counted per record; answers `{"status":"pending"}` (*stand-in's choice*).
//! - Errors: `{"errorCode", "message"}` with 400, 401, 404, 415 (*stand-in's choice*: the
//!   real shapes are not documented).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// How the stand-in is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandInConfig {
    /// The org id tokens must carry as `iss`.
    pub org_id: String,
    /// The contact center's API name: tokens' `sub` and R1's `callCenterApiName`.
    pub call_center_api_name: String,
    /// The certificate (PEM) whose RSA key verifies the tokens: what Salesforce holds in the
    /// contact center's `reqTelephonyIntegrationCertificate`.
    pub certificate_pem: String,
    /// A repeated `vendorCallKey` in R1 returns the existing record (`true`) or creates another
    /// (`false`).
    pub dedupe: bool,
    /// How far ahead of the stand-in's clock a token's `iat` may be.
    pub clock_skew: Duration,
    /// When set, `callAttributes` names outside this set (besides Salesforce's standard
    /// `SourceType` and `CallerContactInfo`) make R1 answer the `errors` sentence.
    pub known_call_attributes: Option<BTreeSet<String>>,
}

impl StandInConfig {
    /// A configuration with `dedupe` off, 60 seconds of skew and any `callAttributes` names.
    pub fn new(
        org_id: impl Into<String>,
        call_center_api_name: impl Into<String>,
        certificate_pem: impl Into<String>,
    ) -> Self {
        Self {
            org_id: org_id.into(),
            call_center_api_name: call_center_api_name.into(),
            certificate_pem: certificate_pem.into(),
            dedupe: false,
            clock_skew: Duration::from_secs(60),
            known_call_attributes: None,
        }
    }
}

/// Why the stand-in cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StandInError {
    /// The certificate is not a PEM X.509 certificate with an RSA key.
    #[error("the stand-in's certificate is not usable: {0}")]
    Certificate(&'static str),
}

/// Which call a request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// R1, `POST /voiceCalls`.
    Create,
    /// R2, `PATCH /voiceCalls/{id}`.
    Update(String),
    /// R9, `PATCH /voiceCalls/{id}/clearRouting`.
    ClearRouting(String),
}

/// One API request, as the HTTP layer hands it over.
#[derive(Debug, Clone)]
pub struct ApiRequest<'a> {
    /// Which call.
    pub op: Op,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Telephony-Provider-Name` header.
    pub provider: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The body.
    pub body: Value,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({"errorCode": code, "message": message.into()}),
        }
    }
}

/// What the HTTP layer does with a request once decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Answer now.
    Answer(Reply),
    /// Hold the answer this long, then answer (the write, if any, is already applied).
    AnswerAfter(Duration, Reply),
    /// Close the connection without answering.
    Drop,
}

/// Faults for the API requests (control requests never meet them). Set through
/// `POST /_standin/faults`; a request that fails the token or body checks consumes none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Every API answer is held this long (ms) after its write is applied.
    pub latency_ms: u64,
    /// One-shot faults, each consumed by the first later API request it matches, in order.
    pub next: Vec<Fault>,
    /// Shares (0.0–1.0) of the other API requests that meet each fault at random, for soaks.
    pub rates: FaultRates,
    /// The seed of the random draws: the same plan over the same requests fails the same ones.
    pub seed: u64,
}

/// One one-shot fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Which requests it waits for (default: any).
    #[serde(default)]
    pub on: Target,
    /// For `serverError` and `drop`: whether the write is applied first (the request did
    /// reach Salesforce's database) or not at all.
    #[serde(default)]
    pub after_write: bool,
    /// For `serverError`: the status (default 503).
    #[serde(default = "default_server_error")]
    pub status: u16,
    /// For `delay`: how long the answer is held (ms), the write applied first.
    #[serde(default)]
    pub ms: u64,
}

fn default_server_error() -> u16 {
    503
}

impl Fault {
    /// A fault of `kind` on any request, before the write, status 503, no delay.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            on: Target::Any,
            after_write: false,
            status: default_server_error(),
            ms: 0,
        }
    }
}

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// Answer a 5xx (`status`).
    ServerError,
    /// Close the connection without an answer.
    Drop,
    /// Apply the write, then hold the answer `ms` milliseconds (past a client's timeout: the
    /// write is applied and the answer lost).
    Delay,
}

/// Which API requests a fault waits for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    /// Any.
    #[default]
    Any,
    /// R1.
    Create,
    /// R2.
    Update,
    /// R9.
    ClearRouting,
}

impl Target {
    fn matches(self, op: &Op) -> bool {
        matches!(
            (self, op),
            (Self::Any, _)
                | (Self::Create, Op::Create)
                | (Self::Update, Op::Update(_))
                | (Self::ClearRouting, Op::ClearRouting(_))
        )
    }
}

/// Shares of API requests that meet a fault at random.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultRates {
    /// 503 before the write.
    pub server_error: f64,
    /// 503 after the write.
    pub server_error_after_write: f64,
    /// Connection closed before the write.
    pub drop: f64,
    /// Connection closed after the write: the answer lost.
    pub drop_after_write: f64,
}

/// The settings a test can change while running (`POST /_standin/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// See [`StandInConfig::dedupe`].
    pub dedupe: bool,
    /// See [`StandInConfig::known_call_attributes`].
    #[serde(default)]
    pub known_call_attributes: Option<BTreeSet<String>>,
}

/// One VoiceCall the stand-in holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCall {
    /// The minted id (`0LQ…`).
    pub voice_call_id: String,
    /// R1's `vendorCallKey`.
    pub vendor_call_key: String,
    /// R1's `initiationMethod`.
    pub initiation_method: String,
    /// R1's `parentVoiceCallId`, if any.
    pub parent_voice_call_id: Option<String>,
    /// Whether the parent was a record the stand-in holds (`None` without a parent).
    pub parent_found: Option<bool>,
    /// How many R1 requests were answered with this record: 1, or more when a repeated
    /// `vendorCallKey` was deduplicated.
    pub create_requests: u32,
    /// The R1 body that created it.
    pub created_with: Value,
    /// Every R2 body applied to it, in order: `updates.len()` is the number of R2 writes.
    pub updates: Vec<Value>,
    /// The record as it stands: R1's fields overwritten by each R2's, with the custom fields
    /// of every `callAttributes` spread out by name (`NeoCallId__c`, …) as on a VoiceCall.
    pub fields: Map<String, Value>,
    /// How many R9 requests reached it.
    pub clear_routing: u32,
    /// The `errors` sentence R1 answered, if any.
    pub create_errors: Option<String>,
}

/// Requests the stand-in answered with an error, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusals {
    /// Tokens refused (401), by reason (`expired`, `replayed`, …).
    pub auth: HashMap<String, u32>,
    /// Bodies or headers refused (400, 415).
    pub invalid: u32,
    /// R2/R9 naming no record (404).
    pub unknown_call: u32,
}

/// Everything the stand-in holds, for assertions (`GET /_standin/calls`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Every VoiceCall, in creation order.
    pub calls: Vec<StoredCall>,
    /// Requests refused.
    pub refused: Refusals,
    /// Faults injected so far, by kind (`serverError`, `drop`, `delay`; `…AfterWrite`).
    pub faults_injected: HashMap<String, u32>,
    /// API requests received (refused ones included).
    pub requests: u32,
}

impl Snapshot {
    /// The records with this `vendorCallKey`.
    pub fn by_key(&self, vendor_call_key: &str) -> Vec<&StoredCall> {
        self.calls
            .iter()
            .filter(|c| c.vendor_call_key == vendor_call_key)
            .collect()
    }

    /// The record with this `voiceCallId`.
    pub fn by_id(&self, voice_call_id: &str) -> Option<&StoredCall> {
        self.calls.iter().find(|c| c.voice_call_id == voice_call_id)
    }
}

/// The token's claims as the stand-in reads them: all optional, so a missing one is named.
#[derive(Debug, Deserialize)]
struct TokenClaims {
    iss: Option<String>,
    sub: Option<String>,
    iat: Option<u64>,
    exp: Option<u64>,
    jti: Option<String>,
}

/// The stand-in's state and rules.
#[derive(Debug)]
pub struct StandIn {
    org_id: String,
    call_center: String,
    key: DecodingKey,
    skew: u64,
    settings: Settings,
    seen_jti: HashMap<String, u64>,
    calls: Vec<StoredCall>,
    refused: Refusals,
    faults: FaultPlan,
    faults_rng: rand::rngs::StdRng,
    faults_injected: HashMap<String, u32>,
    requests: u32,
    ids: rand::rngs::StdRng,
}

const R1_FIELDS: &[&str] = &[
    "callCenterApiName",
    "vendorCallKey",
    "to",
    "from",
    "initiationMethod",
    "startTime",
    "participants",
    "parentVoiceCallId",
    "queue",
    "callOrigin",
    "callSubtype",
    "callAttributes",
];
const R2_TIMES: &[&str] = &["startTime", "endTime", "enqueueTime", "acceptTime"];
const R2_TEXTS: &[&str] = &["fromNumber", "queue", "agent", "recordingLocation"];
const R2_COUNTS: &[&str] = &[
    "totalHoldDuration",
    "longestHoldDuration",
    "numberOfHolds",
    "agentInteractionDuration",
    "totalRecordingDuration",
];
const CALL_ORIGINS: &[&str] = &["Preview", "Progressive", "Voicemail"];
const CALL_SUBTYPES: &[&str] = &["PSTN", "WebRTC"];
/// Salesforce's standard `callAttributes` names (E32).
const STANDARD_ATTRIBUTES: &[&str] = &["SourceType", "CallerContactInfo"];
const MAX_LIFETIME: u64 = 24 * 60 * 60;

impl StandIn {
    /// A stand-in with no records, verifying tokens with `config.certificate_pem`'s key.
    pub fn new(config: StandInConfig) -> Result<Self, StandInError> {
        let block = x509_parser::pem::Pem::iter_from_buffer(config.certificate_pem.as_bytes())
            .filter_map(Result::ok)
            .find(|pem| pem.label == "CERTIFICATE")
            .ok_or(StandInError::Certificate("no PEM `CERTIFICATE` block"))?;
        let cert = block
            .parse_x509()
            .map_err(|_| StandInError::Certificate("not an X.509 certificate"))?;
        let Ok(x509_parser::public_key::PublicKey::RSA(_)) = cert.public_key().parsed() else {
            return Err(StandInError::Certificate("its key is not RSA"));
        };
        // The certificate's subjectPublicKey is the PKCS#1 `RSAPublicKey` the verifier takes.
        let key = DecodingKey::from_rsa_der(&cert.public_key().subject_public_key.data);
        Ok(Self {
            org_id: config.org_id,
            call_center: config.call_center_api_name,
            key,
            skew: config.clock_skew.as_secs(),
            settings: Settings {
                dedupe: config.dedupe,
                known_call_attributes: config.known_call_attributes,
            },
            seen_jti: HashMap::new(),
            calls: Vec::new(),
            refused: Refusals::default(),
            faults: FaultPlan::default(),
            faults_rng: rand::rngs::StdRng::seed_from_u64(0),
            faults_injected: HashMap::new(),
            requests: 0,
            ids: rand::rngs::StdRng::from_os_rng(),
        })
    }

    /// Decides one API request at `now` (seconds since the Unix epoch): checks, applies,
    /// and says how to answer.
    pub fn handle(&mut self, request: &ApiRequest<'_>, now: u64) -> Delivery {
        self.requests += 1;
        if let Err(reason) = self.authorize(request.authorization, now) {
            *self
                .refused
                .auth
                .entry(reason.key().to_owned())
                .or_default() += 1;
            tracing::info!(reason = %reason, "stand-in: token refused");
            return Delivery::Answer(Reply::error(401, "INVALID_AUTH", reason.to_string()));
        }
        if let Err(reply) = self.check(request) {
            return Delivery::Answer(reply);
        }
        let fault = self.next_fault(&request.op);
        if let Some(fault) = &fault {
            *self.faults_injected.entry(fault_key(fault)).or_default() += 1;
            tracing::info!(?fault, op = ?request.op, "stand-in: injecting a fault");
            if !fault.after_write {
                match fault.kind {
                    FaultKind::Drop => return Delivery::Drop,
                    FaultKind::ServerError => {
                        return Delivery::Answer(server_error(fault.status));
                    }
                    FaultKind::Delay => {}
                }
            }
        }
        let reply = self.apply(request);
        let hold = Duration::from_millis(self.faults.latency_ms);
        match fault {
            Some(Fault {
                kind: FaultKind::Drop,
                ..
            }) => Delivery::Drop,
            Some(Fault {
                kind: FaultKind::ServerError,
                status,
                ..
            }) => Delivery::Answer(server_error(status)),
            Some(Fault {
                kind: FaultKind::Delay,
                ms,
                ..
            }) => Delivery::AnswerAfter(hold + Duration::from_millis(ms), reply),
            None if hold.is_zero() => Delivery::Answer(reply),
            None => Delivery::AnswerAfter(hold, reply),
        }
    }

    /// Everything held, for assertions.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            calls: self.calls.clone(),
            refused: self.refused.clone(),
            faults_injected: self.faults_injected.clone(),
            requests: self.requests,
        }
    }

    /// The fault plan in force (one-shot faults already consumed are gone).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// Replaces the fault plan.
    pub fn set_faults(&mut self, plan: FaultPlan) {
        self.faults_rng = rand::rngs::StdRng::seed_from_u64(plan.seed);
        self.faults = plan;
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Replaces the settings.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// Forgets every record, count and fault (seen `jti`s stay: a token is good once).
    pub fn reset(&mut self) {
        self.calls.clear();
        self.refused = Refusals::default();
        self.faults_injected.clear();
        self.requests = 0;
        self.set_faults(FaultPlan::default());
    }

    fn authorize(&mut self, header: Option<&str>, now: u64) -> Result<(), AuthRefusal> {
        let header = header.ok_or(AuthRefusal::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(AuthRefusal::NotBearer)?
            .trim();
        // The header's alg, read before verifying, so `none` and HS256 are named as such.
        let alg = token
            .split('.')
            .next()
            .and_then(|h| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(h)
                    .ok()
            })
            .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
            .and_then(|h| h.get("alg").and_then(Value::as_str).map(str::to_owned))
            .ok_or(AuthRefusal::Malformed)?;
        if alg != "RS256" {
            return Err(AuthRefusal::Algorithm(alg));
        }
        let mut validation = Validation::new(Algorithm::RS256);
        // The claims are checked below against the stand-in's own clock, with its own words.
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<TokenClaims>(token, &self.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => AuthRefusal::Signature,
                _ => AuthRefusal::Malformed,
            })?
            .claims;
        let iss = claims.iss.ok_or(AuthRefusal::MissingClaim("iss"))?;
        let sub = claims.sub.ok_or(AuthRefusal::MissingClaim("sub"))?;
        let iat = claims.iat.ok_or(AuthRefusal::MissingClaim("iat"))?;
        let exp = claims.exp.ok_or(AuthRefusal::MissingClaim("exp"))?;
        if iss != self.org_id {
            return Err(AuthRefusal::Issuer(iss));
        }
        if sub != self.call_center {
            return Err(AuthRefusal::Subject(sub));
        }
        if exp <= now {
            return Err(AuthRefusal::Expired);
        }
        if exp.saturating_sub(iat) > MAX_LIFETIME {
            return Err(AuthRefusal::TooLong);
        }
        if iat > now + self.skew {
            return Err(AuthRefusal::FromTheFuture);
        }
        if let Some(jti) = claims.jti {
            if self.seen_jti.contains_key(&jti) {
                return Err(AuthRefusal::Replayed);
            }
            if self.seen_jti.len() >= 4096 {
                self.seen_jti.retain(|_, exp| *exp > now);
            }
            self.seen_jti.insert(jti, exp);
        }
        Ok(())
    }

    /// Headers, body and the record named: the refusals that need no fault.
    fn check(&mut self, request: &ApiRequest<'_>) -> Result<(), Reply> {
        let refusal = if !request
            .content_type
            .is_some_and(|t| t.trim_start().starts_with("application/json"))
        {
            Some(Reply::error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Content-Type must be application/json",
            ))
        } else if request.provider.is_none_or(|p| p.trim().is_empty()) {
            Some(Reply::error(
                400,
                "INVALID_INPUT",
                "the Telephony-Provider-Name header is missing",
            ))
        } else {
            let checked = match &request.op {
                Op::Create => parse_object(request.body).and_then(|body| self.check_create(&body)),
                Op::Update(_) => parse_object(request.body).and_then(|body| check_update(&body)),
                Op::ClearRouting(_) => Ok(()),
            };
            checked
                .err()
                .map(|message| Reply::error(400, "INVALID_INPUT", message))
        };
        if let Some(reply) = refusal {
            self.refused.invalid += 1;
            tracing::info!(op = ?request.op, reply = %reply.body, "stand-in: request refused");
            return Err(reply);
        }
        if let Op::Update(id) | Op::ClearRouting(id) = &request.op
            && self.find(id).is_none()
        {
            self.refused.unknown_call += 1;
            return Err(Reply::error(
                404,
                "NOT_FOUND",
                format!("no VoiceCall has the id or vendorCallKey {id:?}"),
            ));
        }
        Ok(())
    }

    fn check_create(&self, body: &Map<String, Value>) -> Result<(), String> {
        if let Some(unknown) = body.keys().find(|k| !R1_FIELDS.contains(&k.as_str())) {
            return Err(format!("unknown field {unknown:?}"));
        }
        let text = |name: &str| -> Result<Option<&str>, String> {
            match body.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(format!("{name} must be a string")),
            }
        };
        let required = |name: &str| -> Result<&str, String> {
            text(name)?
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| format!("{name} is required"))
        };
        let center = required("callCenterApiName")?;
        if center != self.call_center {
            return Err(format!(
                "callCenterApiName {center:?} is not this org's contact center"
            ));
        }
        required("vendorCallKey")?;
        required("to")?;
        required("from")?;
        match required("initiationMethod")? {
            "Inbound" => {}
            "Transfer" => {
                required("parentVoiceCallId")
                    .map_err(|_| "a Transfer needs parentVoiceCallId".to_owned())?;
            }
            "Outbound" => return Err("Outbound calls aren't supported".into()),
            other => {
                return Err(format!(
                    "initiationMethod {other:?} is not Inbound or Transfer"
                ));
            }
        }
        check_utc(required("startTime")?, "startTime")?;
        let participants = body
            .get("participants")
            .and_then(Value::as_array)
            .ok_or("participants is required")?;
        let [participant] = participants.as_slice() else {
            return Err("participants must hold exactly one end user".into());
        };
        if participant.get("type").and_then(Value::as_str) != Some("END_USER") {
            return Err("the participant's type must be END_USER".into());
        }
        if participant
            .get("participantKey")
            .and_then(Value::as_str)
            .is_none_or(|k| k.trim().is_empty())
        {
            return Err("the participant needs a participantKey".into());
        }
        text("queue")?;
        text("parentVoiceCallId")?;
        one_of(text("callOrigin")?, "callOrigin", CALL_ORIGINS)?;
        one_of(text("callSubtype")?, "callSubtype", CALL_SUBTYPES)?;
        if let Some(attributes) = text("callAttributes")? {
            call_attributes(attributes)?;
        }
        Ok(())
    }

    /// Applies a checked request.
    fn apply(&mut self, request: &ApiRequest<'_>) -> Reply {
        let body = parse_object(request.body).unwrap_or_default();
        match &request.op {
            Op::Create => self.create(body),
            Op::Update(id) => {
                let call = self.find_mut(id).expect("checked: the call exists");
                merge(&mut call.fields, &body);
                call.updates.push(Value::Object(body));
                Reply::ok(json!({"status": "pending"}))
            }
            Op::ClearRouting(id) => {
                self.find_mut(id)
                    .expect("checked: the call exists")
                    .clear_routing += 1;
                Reply::ok(json!({"status": "pending"}))
            }
        }
    }

    fn create(&mut self, body: Map<String, Value>) -> Reply {
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        let key = text("vendorCallKey").unwrap_or_default();
        if self.settings.dedupe
            && let Some(call) = self
                .calls
                .iter_mut()
                .rev()
                .find(|c| c.vendor_call_key == key)
        {
            call.create_requests += 1;
            return Reply::ok(json!({"voiceCallId": call.voice_call_id, "errors": []}));
        }
        let errors = self.settings.known_call_attributes.as_ref().and_then(|known| {
            let attributes = call_attributes(text("callAttributes").as_deref()?).ok()?;
            let unknown: Vec<&String> = attributes
                .keys()
                .filter(|k| !known.contains(*k) && !STANDARD_ATTRIBUTES.contains(&k.as_str()))
                .collect();
            (!unknown.is_empty()).then(|| {
                format!(
                    "We created your voice call but there were some errors : No such column {} on entity 'VoiceCall'.",
                    unknown
                        .iter()
                        .map(|k| format!("'{k}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        });
        let parent = text("parentVoiceCallId");
        let parent_found = parent.as_deref().map(|p| self.find(p).is_some());
        let id = self.mint_id();
        self.calls.push(StoredCall {
            voice_call_id: id.clone(),
            vendor_call_key: key,
            initiation_method: text("initiationMethod").unwrap_or_default(),
            parent_voice_call_id: parent,
            parent_found,
            create_requests: 1,
            fields: {
                let mut fields = Map::new();
                merge(&mut fields, &body);
                fields
            },
            created_with: Value::Object(body),
            updates: Vec::new(),
            clear_routing: 0,
            create_errors: errors.clone(),
        });
        match errors {
            Some(sentence) => Reply::ok(json!({"voiceCallId": id, "errors": sentence})),
            None => Reply::ok(json!({"voiceCallId": id, "errors": []})),
        }
    }

    /// By `voiceCallId`, else the newest record with that `vendorCallKey`.
    fn find(&self, id: &str) -> Option<&StoredCall> {
        self.calls
            .iter()
            .find(|c| c.voice_call_id == id)
            .or_else(|| self.calls.iter().rev().find(|c| c.vendor_call_key == id))
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut StoredCall> {
        let index = self
            .calls
            .iter()
            .position(|c| c.voice_call_id == id)
            .or_else(|| self.calls.iter().rposition(|c| c.vendor_call_key == id))?;
        self.calls.get_mut(index)
    }

    fn mint_id(&mut self) -> String {
        const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        loop {
            let id: String = "0LQ"
                .chars()
                .chain((0..12).map(|_| char::from(BASE62[self.ids.random_range(0..BASE62.len())])))
                .collect();
            if !self.calls.iter().any(|c| c.voice_call_id == id) {
                return id;
            }
        }
    }

    fn next_fault(&mut self, op: &Op) -> Option<Fault> {
        if let Some(index) = self.faults.next.iter().position(|f| f.on.matches(op)) {
            return Some(self.faults.next.remove(index));
        }
        let rates = &self.faults.rates;
        let roll: f64 = self.faults_rng.random();
        let mut edge = 0.0;
        for (rate, kind, after_write) in [
            (rates.server_error, FaultKind::ServerError, false),
            (rates.server_error_after_write, FaultKind::ServerError, true),
            (rates.drop, FaultKind::Drop, false),
            (rates.drop_after_write, FaultKind::Drop, true),
        ] {
            edge += rate;
            if roll < edge {
                return Some(Fault {
                    after_write,
                    ..Fault::new(kind)
                });
            }
        }
        None
    }
}

fn fault_key(fault: &Fault) -> String {
    let kind = match fault.kind {
        FaultKind::ServerError => "serverError",
        FaultKind::Drop => "drop",
        FaultKind::Delay => return "delay".into(),
    };
    if fault.after_write {
        format!("{kind}AfterWrite")
    } else {
        kind.into()
    }
}

/// Writes a checked body's fields into a record's: `callAttributes` spread out by name.
fn merge(fields: &mut Map<String, Value>, body: &Map<String, Value>) {
    for (name, value) in body {
        match (name.as_str(), value.as_str().map(call_attributes)) {
            ("callAttributes", Some(Ok(attributes))) => fields.extend(attributes),
            _ => {
                fields.insert(name.clone(), value.clone());
            }
        }
    }
}

fn server_error(status: u16) -> Reply {
    Reply::error(
        status,
        "SERVER_ERROR",
        "injected by the stand-in: the request may or may not have been applied",
    )
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

fn check_update(body: &Map<String, Value>) -> Result<(), String> {
    for (name, value) in body {
        let name = name.as_str();
        let ok = if R2_TIMES.contains(&name) {
            value
                .as_str()
                .ok_or_else(|| format!("{name} must be a string"))
                .and_then(|t| check_utc(t, name))?;
            true
        } else if R2_TEXTS.contains(&name) {
            value.is_string()
        } else if R2_COUNTS.contains(&name) {
            value.as_u64().is_some_and(|n| n <= i32::MAX as u64)
        } else {
            match name {
                "callOrigin" => {
                    one_of(value.as_str(), name, CALL_ORIGINS)?;
                    value.is_string()
                }
                "callAttributes" => {
                    call_attributes(value.as_str().ok_or("callAttributes must be a string")?)?;
                    true
                }
                "isActiveCall" => value.is_boolean(),
                "disconnectReason" => {
                    value.get("value").is_some_and(Value::is_string)
                        && value.get("isError").is_none_or(Value::is_boolean)
                        && value
                            .as_object()
                            .is_some_and(|o| o.keys().all(|k| k == "value" || k == "isError"))
                }
                _ => return Err(format!("unknown field {name:?}")),
            }
        };
        if !ok {
            return Err(format!("{name} has the wrong type"));
        }
    }
    Ok(())
}

fn check_utc(text: &str, name: &str) -> Result<(), String> {
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|_| format!("{name} {text:?} is not an ISO-8601 date and time"))?;
    if time.offset().local_minus_utc() != 0 {
        return Err(format!("{name} {text:?} is not in UTC"));
    }
    Ok(())
}

fn one_of(value: Option<&str>, name: &str, allowed: &[&str]) -> Result<(), String> {
    match value {
        Some(v) if !allowed.contains(&v) => {
            Err(format!("{name} {v:?} is not one of {}", allowed.join(", ")))
        }
        _ => Ok(()),
    }
}

/// `callAttributes`: a string holding a JSON object.
fn call_attributes(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err("callAttributes must be a string holding a JSON object".into()),
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum AuthRefusal {
    #[error("no Authorization header")]
    Missing,
    #[error("the Authorization header is not `Bearer <token>`")]
    NotBearer,
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token's algorithm is {0:?}; only RS256 is accepted")]
    Algorithm(String),
    #[error("the token's signature does not verify with the contact center's certificate")]
    Signature,
    #[error("the token has no {0} claim")]
    MissingClaim(&'static str),
    #[error("the token's issuer {0:?} is not this org's id")]
    Issuer(String),
    #[error("the token's subject {0:?} is not this org's contact center")]
    Subject(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is valid for more than 24 hours")]
    TooLong,
    #[error("the token is issued in the future")]
    FromTheFuture,
    #[error("the token's jti was used before")]
    Replayed,
}

impl AuthRefusal {
    /// The reason's key in [`Refusals::auth`].
    fn key(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::NotBearer => "notBearer",
            Self::Malformed => "malformed",
            Self::Algorithm(_) => "algorithm",
            Self::Signature => "signature",
            Self::MissingClaim(_) => "missingClaim",
            Self::Issuer(_) => "issuer",
            Self::Subject(_) => "subject",
            Self::Expired => "expired",
            Self::TooLong => "tooLong",
            Self::FromTheFuture => "fromTheFuture",
            Self::Replayed => "replayed",
        }
    }
}
