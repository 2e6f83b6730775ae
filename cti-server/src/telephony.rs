//! VoiceCall records at the edge: the Telephony Integration API client the sessions' writes go
//! through (`[voice]` `scrt_url`, `key`, `certificate`), its key material loaded and matched
//! once at start, and each write's outcome read for the adapter ([`sf_voice::Written`]). What
//! to write and when is `sf-voice`'s; this only sends.

use std::sync::Arc;
use std::time::Duration;

use sf_telephony::{ClientConfig, KeyMaterial, Outcome, TelephonyClient};
use sf_voice::{RecordsConfig, Write, Written};

use crate::config::Config;

/// An R1 waits for its answer before Salesforce hears of the call: longer would hold the
/// agent's softphone, so a slower answer leaves the call unlinked.
const TIMEOUT: Duration = Duration::from_secs(4);

/// Why VoiceCall records cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum TelephonyError {
    /// The key or the certificate cannot be read, or they do not match.
    #[error("voice.key / voice.certificate: {0}")]
    Keys(#[from] sf_telephony::KeyError),
    /// The client cannot be built with this configuration.
    #[error("voice.scrt_url: {0}")]
    Client(#[from] sf_telephony::ConfigError),
    /// The org or the contact center is missing.
    #[error("{0} is needed to write VoiceCall records")]
    Missing(&'static str),
}

/// The API client with what every record names.
#[derive(Debug, Clone)]
pub struct Telephony {
    client: TelephonyClient,
    records: RecordsConfig,
}

impl Telephony {
    /// From `[voice]`, when `scrt_url` is set: the key and the certificate are loaded and
    /// matched now (a key that does not match the certificate Salesforce holds would have
    /// every write refused).
    ///
    /// # Errors
    /// The key material or the configuration is not usable.
    pub fn from_config(config: &Config) -> Result<Option<Self>, TelephonyError> {
        let voice = &config.voice;
        let Some(scrt) = &voice.scrt else {
            return Ok(None);
        };
        let keys = KeyMaterial::load(&scrt.key, &scrt.certificate)?;
        let org = voice
            .organization_id
            .clone()
            .ok_or(TelephonyError::Missing("voice.organization_id"))?;
        let call_center = voice
            .call_center
            .clone()
            .ok_or(TelephonyError::Missing("voice.call_center"))?;
        tracing::info!(
            certificate = keys.certificate_subject(),
            fingerprint = keys.certificate_fingerprint(),
            "VoiceCall records: the Telephony Integration API's key matches its certificate"
        );
        let number = voice.contact_center_number.clone();
        Self::new(
            &scrt.url,
            &org,
            &call_center,
            &scrt.provider_name,
            keys,
            number,
        )
        .map(Some)
    }

    /// A client for `base_url` signing as `org` and `call_center` with `keys`.
    ///
    /// # Errors
    /// The client refuses the configuration.
    pub fn new(
        base_url: &str,
        org: &str,
        call_center: &str,
        provider: &str,
        keys: KeyMaterial,
        contact_center_number: Option<String>,
    ) -> Result<Self, TelephonyError> {
        let mut client_config = ClientConfig::new(base_url, org, call_center, provider);
        client_config.timeout = TIMEOUT;
        client_config.connect_timeout = TIMEOUT;
        let client = TelephonyClient::new(client_config, Arc::new(keys))?;
        Ok(Self {
            client,
            records: RecordsConfig {
                call_center: call_center.to_owned(),
                contact_center_number: contact_center_number
                    .unwrap_or_else(|| call_center.to_owned()),
            },
        })
    }

    /// What the sessions' records name.
    pub(crate) fn records(&self) -> &RecordsConfig {
        &self.records
    }

    /// Sends `write` once and says what became of it.
    pub(crate) async fn send(&self, write: &Write) -> (&'static str, Written) {
        match write {
            Write::Create(body) => {
                let outcome = self.client.create_voice_call(body).await;
                let kind = outcome.kind();
                if let Outcome::Accepted(created) = &outcome
                    && !created.errors.is_empty()
                {
                    // Salesforce made the record and said what its automation did not like.
                    tracing::warn!(
                        key = body.vendor_call_key,
                        errors = ?created.errors.messages(),
                        "VoiceCall created with errors"
                    );
                }
                (kind, written(outcome, |c| Some(c.voice_call_id)))
            }
            Write::Update { call, body } => {
                let outcome = self.client.update_voice_call(call, body).await;
                (outcome.kind(), written(outcome, |_| None))
            }
        }
    }
}

fn written<T>(outcome: Outcome<T>, id: impl FnOnce(T) -> Option<String>) -> Written {
    match outcome {
        Outcome::Accepted(answer) => Written::Done(id(answer)),
        Outcome::Refused(r) => Written::Refused(r.to_string()),
        Outcome::Unknown(u) => Written::Unknown(u.to_string()),
        Outcome::NotSent(n) => Written::NotSent(n.to_string()),
    }
}
