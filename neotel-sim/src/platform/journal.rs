//! The journal: every NeoApi call the platform received, in order, with the password
//! redacted and the memory bounded.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::Platform;

/// How a NeoApi call reached the platform (for the journal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// HTTP POST with a form body.
    Post,
    /// HTTP GET with a query string.
    Get,
    /// SOAP 1.1.
    Soap,
    /// In-process, through [`Platform::call`].
    Direct,
}

/// One NeoApi call the platform received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Platform time.
    pub at: NaiveDateTime,
    /// How it came.
    pub binding: Binding,
    /// The method as called.
    pub method: String,
    /// Its parameters; `CLAVE` is redacted.
    pub params: BTreeMap<String, String>,
    /// 200 for success, 500 for a fault (0: the connection was dropped, injected).
    pub status: u16,
    /// The value or the fault message.
    pub reply: String,
}

impl Platform {
    /// Journals a call the server answered without reaching the engine: an injected fault
    /// (`status` 500) or a dropped connection (`status` 0).
    pub fn journal_injected(
        &mut self,
        now: NaiveDateTime,
        binding: Binding,
        method: &str,
        params: &[(String, String)],
        status: u16,
        reply: &str,
    ) {
        self.record(now, binding, method, params, status, reply.to_owned());
    }

    pub(super) fn record(
        &mut self,
        at: NaiveDateTime,
        binding: Binding,
        method: &str,
        params: &[(String, String)],
        status: u16,
        reply: String,
    ) {
        self.journal_seq += 1;
        let params = params
            .iter()
            .map(|(k, v)| {
                // The password never leaves the engine.
                let v = if k.eq_ignore_ascii_case("CLAVE") {
                    "***".to_owned()
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        self.journal.push(JournalEntry {
            seq: self.journal_seq,
            at,
            binding,
            method: method.to_owned(),
            params,
            status,
            reply,
        });
        // Bounded memory for long demo runs: drop the older half once past the limit.
        let limit = self.scenario.settings.journal_limit;
        if limit > 0 && self.journal.len() >= limit.saturating_mul(2) {
            self.journal.drain(..self.journal.len() - limit);
        }
    }

    /// Every NeoApi call received, in order.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }
}
