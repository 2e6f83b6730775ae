//! `[voice]`: what Salesforce Voice needs of this server, checked before an agent finds out.
//! The Telephony Integration API's key against the certificate the contact center holds (every
//! VoiceCall write would be refused otherwise), and the presence table (going available in
//! Salesforce ends a break or the wrap-up in Neotel only through it).

use super::report::Check;
use crate::config::Config;
use crate::telephony::Telephony;

/// The checks of `[voice]`; none when the server is not set up for Salesforce Voice (no org,
/// contact center or API configured).
pub(super) fn voice_checks(config: &Config) -> Vec<Check> {
    let voice = &config.voice;
    if voice.organization_id.is_none() && voice.call_center.is_none() && voice.scrt.is_none() {
        return Vec::new();
    }
    let mut checks = Vec::new();
    checks.push(match Telephony::from_config(config) {
        Ok(None) => Check::warn(
            "voicecall records",
            "voice.scrt_url is not set: calls get no VoiceCall of Neotel's (reports on VoiceCall \
             miss them)",
            "set voice.scrt_url, voice.key and voice.certificate (docs/salesforce-voice-install.md)",
        ),
        // The error names the file and what is wrong with it, never the key's contents.
        Err(e) => Check::fail(
            "voicecall records",
            e.to_string(),
            "give voice.key the private key of the certificate uploaded to the contact center \
             (cti-server callcenter generate --voice --certificate FILE shows which)",
        ),
        Ok(Some(_)) => Check::ok(
            "voicecall records",
            "the Telephony Integration API's key matches its certificate",
        ),
    });
    checks.push(match &voice.available_status {
        Some(id) => Check::ok(
            "voice presence",
            format!(
                "{id} is available for Neotel's calls; {} break(s) mapped",
                voice.break_statuses.len()
            ),
        ),
        None => Check::warn(
            "voice presence",
            "voice.available_status is not set: going available in Salesforce does not end a \
             break or the wrap-up in Neotel",
            "set voice.available_status (and voice.break_statuses) to the org's Omni-Channel \
             presence status ids",
        ),
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScrtSettings;
    use crate::doctor::report::Status;

    fn voice_config() -> Config {
        let mut config = Config::defaults();
        config.voice.organization_id = Some("00D000000000001".into());
        config.voice.call_center = Some("NeotelContactCenter".into());
        config
    }

    #[test]
    fn an_open_cti_server_gets_no_voice_check() {
        assert!(voice_checks(&Config::defaults()).is_empty());
    }

    #[test]
    fn a_key_that_matches_passes_and_another_fails_without_showing_it() {
        let dir = tempfile::tempdir().expect("a folder");
        let ours = sf_telephony::DemoKeyPair::generate("ours").expect("a pair");
        let other = sf_telephony::DemoKeyPair::generate("other").expect("a pair");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("written");
            path
        };
        let certificate = write("cert.pem", ours.certificate_pem());
        let mut config = voice_config();
        config.voice.available_status = Some("0N5000000000001".into());
        config.voice.scrt = Some(ScrtSettings {
            url: "https://example.my.salesforce-scrt.com".into(),
            key: write("key.pem", ours.private_key_pem()),
            certificate: certificate.clone(),
            provider_name: "neotel".into(),
        });
        let checks = voice_checks(&config);
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:?}");

        let wrong = write("other.pem", other.private_key_pem());
        if let Some(scrt) = config.voice.scrt.as_mut() {
            scrt.key = wrong;
        }
        let checks = voice_checks(&config);
        let records = &checks[0];
        assert_eq!(records.status, Status::Fail, "{checks:?}");
        let shown = format!("{records:?}");
        assert!(
            !shown.contains("PRIVATE KEY") && !shown.contains(&other.private_key_pem()[40..80]),
            "{shown}"
        );
    }

    #[test]
    fn no_api_and_no_presence_table_are_warned_of() {
        let checks = voice_checks(&voice_config());
        let statuses: Vec<Status> = checks.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Status::Warn, Status::Warn], "{checks:?}");
    }
}
