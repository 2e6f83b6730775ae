//! The writes Neotel must get exactly once: the release (`UpdateContact`, with its category,
//! notes and schedule) and Play (`CRM_Available`). Each is kept until Neotel accepts it or
//! refuses it for good; a failure that may pass is sent again with backoff, for as long as it
//! takes; an answer lost after the request left (Neotel may have applied it) is checked against
//! what Neotel says now before anything is sent again. Which failure is which is
//! `neotel_api::Error::retry`'s decision.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{NaiveDateTime, Timelike};
use neotel_api::{CrmState, Position, Reply, Request, Retry};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::io::ApiResult;
use crate::message::{Code, Message};

use super::Session;
use super::notices::Scope;
use super::outbox::Pending;
use super::timer::Timer;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How long an attempt whose answer never came may still be on its way to Neotel (a client's
/// timeout does not stop the request at IIS): a check that finds it not applied is made once
/// more after this, before the write is sent again.
const SETTLE: Duration = Duration::from_secs(10);

/// How far Neotel's clock may be from the one the session derives: an outcome Neotel dates
/// this much before the write was first sent may still be the write's.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(2);

/// Which write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) enum WriteKind {
    /// F-RELEASE, F-AGENDA: `UpdateContact`.
    Release,
    /// F-PLAY: `CRM_Available`.
    Available,
}

/// A write not yet accepted by Neotel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Write {
    pub(super) request: Request,
    /// The handle of the contact it is for, if any.
    pub(super) contact: Option<u64>,
    /// The schedule in the agent's wall time (a release's callback), for the Task.
    pub(super) callback: Option<NaiveDateTime>,
    /// The contact Neotel held when it was sent (`BASE`, `IDCONTACTO`): Play is applied once
    /// Neotel holds it no more.
    held: Option<(i64, i64)>,
    /// Neotel's wall time when it was first sent.
    pub(super) since: NaiveDateTime,
    /// Times sent.
    pub(super) attempts: u32,
    /// Failures in a row (the backoff grows with them).
    failures: u32,
    /// An attempt may have been applied: Neotel is asked before it is sent again.
    unsure: bool,
    /// Neotel said "not applied" once since the last attempt; it is asked again after
    /// [`SETTLE`] before the write is sent again.
    #[serde(default)]
    rechecked: bool,
    /// Sent or being checked, its answer not yet in.
    #[serde(skip)]
    in_flight: bool,
}

/// The writes not yet accepted, by kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Writes(BTreeMap<WriteKind, Write>);

impl Writes {
    pub(super) fn get(&self, kind: WriteKind) -> Option<&Write> {
        self.0.get(&kind)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// When the oldest was first sent (Neotel's wall time).
    pub(super) fn oldest(&self) -> Option<NaiveDateTime> {
        self.0.values().map(|w| w.since).min()
    }

    /// A release is on its way (or waits to be sent again) for this contact.
    pub(super) fn releasing(&self, contact: u64) -> bool {
        self.get(WriteKind::Release)
            .is_some_and(|w| w.contact == Some(contact))
    }

    /// After a restart: any attempt may have been applied, and no answer will come.
    pub(super) fn restored(mut self) -> Self {
        for w in self.0.values_mut() {
            w.unsure |= w.attempts > 0;
            w.in_flight = false;
            w.failures = 0;
            // The settle wait starts again: a restart can follow the first "not applied" at
            // once, and a late attempt may still be on its way.
            w.rechecked = false;
        }
        self
    }
}

/// The backoff after `failures` failures in a row: 1 s, 2 s, 4 s … up to a minute.
pub(super) fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1 << failures.clamp(1, 6).saturating_sub(1)).min(MAX_BACKOFF)
}

impl Session {
    /// Sends `request` as the write `kind`, kept until Neotel answers for good.
    pub(super) fn send_write(
        &mut self,
        kind: WriteKind,
        request: Request,
        callback: Option<NaiveDateTime>,
    ) {
        // One write of a kind at a time: replacing one on its way would send it twice.
        if self.writes.0.contains_key(&kind) {
            return;
        }
        let held = self
            .contact
            .as_ref()
            .map(|c| (c.contact.base, c.contact.id));
        let write = Write {
            request,
            contact: self.contact_handle(),
            callback,
            held,
            since: self.wall(),
            attempts: 0,
            failures: 0,
            unsure: false,
            rechecked: false,
            in_flight: false,
        };
        self.writes.0.insert(kind, write);
        self.drive_write(kind);
    }

    /// Sends the write, or asks Neotel whether an earlier attempt was applied.
    pub(super) fn drive_write(&mut self, kind: WriteKind) {
        let Some(w) = self.writes.0.get_mut(&kind) else {
            return;
        };
        if w.in_flight {
            return;
        }
        w.in_flight = true;
        self.timers.stop(Timer::Write(kind));
        if w.unsure {
            let check = self.check_request(kind);
            match check {
                Ok((request, why)) => self.api(request, why),
                Err(why) => self.write_unknown(kind, why),
            }
        } else {
            w.attempts += 1;
            w.rechecked = false;
            let request = w.request.clone();
            self.api(request, Pending::Write(kind));
        }
    }

    /// How Neotel is asked whether the write was applied: a release by the contact's last
    /// outcome (the per-install task, as NeoApi has no such call), Play by `Position`.
    fn check_request(&self, kind: WriteKind) -> Result<(Request, Pending), String> {
        match (&self.writes.0[&kind].request, kind) {
            (
                Request::UpdateContact {
                    base, contact_id, ..
                },
                WriteKind::Release,
            ) => {
                let task = &self.config.tasks.contact_outcome;
                let (base, id) = (base.to_string(), contact_id.to_string());
                let params = task.fill(&[("base", &base), ("contact", &id)]);
                let request = Request::execute_task(task.id, params).map_err(|e| e.to_string())?;
                Ok((request, Pending::Check(kind)))
            }
            _ => Ok((
                Request::Position { user: self.user() },
                Pending::Check(kind),
            )),
        }
    }

    pub(super) fn write_answered(&mut self, kind: WriteKind, result: ApiResult) {
        let Some(w) = self.writes.0.get_mut(&kind) else {
            return;
        };
        w.in_flight = false;
        match result {
            Ok(_) => self.write_accepted(kind),
            Err(e) => match e.retry() {
                Retry::Never => {
                    self.writes.0.remove(&kind);
                    self.timers.stop(Timer::Write(kind));
                    self.forget(retrying(kind));
                    let code = match kind {
                        WriteKind::Release => Code::ReleaseRefused,
                        WriteKind::Available => Code::AvailableRefused,
                    };
                    self.notices.error = Some(Message::new(code).with("error", reason(&e)));
                }
                Retry::NotSent | Retry::Transient => self.write_later(kind),
                // Neotel may have applied it: asked after the backoff, before anything is
                // sent again.
                Retry::Unknown => {
                    w.unsure = true;
                    self.write_later(kind);
                }
            },
        }
    }

    /// Neotel's answer to "was it applied?".
    pub(super) fn check_answered(&mut self, kind: WriteKind, result: ApiResult) {
        let Some(w) = self.writes.0.get_mut(&kind) else {
            return;
        };
        w.in_flight = false;
        match result {
            Ok(reply) => match applied(w, &reply) {
                Ok(true) => self.write_accepted(kind),
                // The attempt may still arrive: asked once more when it would have.
                Ok(false) if !w.rechecked => {
                    w.rechecked = true;
                    let at = self.clock.now + SETTLE;
                    self.timers.set(Timer::Write(kind), at);
                }
                Ok(false) => {
                    w.unsure = false;
                    self.drive_write(kind);
                }
                Err(why) => self.write_unknown(kind, why),
            },
            // Reading is harmless: asked again while it may pass.
            Err(e) if e.retry() != Retry::Never => self.write_later(kind),
            Err(e) => self.write_unknown(kind, reason(&e)),
        }
    }

    /// Failed for a reason that may pass: again after the backoff, the agent told so.
    fn write_later(&mut self, kind: WriteKind) {
        let Some(w) = self.writes.0.get_mut(&kind) else {
            return;
        };
        w.failures += 1;
        let at = self.clock.now + backoff(w.failures);
        self.timers.set(Timer::Write(kind), at);
        self.notify(retrying(kind), Scope::Session);
    }

    fn write_accepted(&mut self, kind: WriteKind) {
        let Some(w) = self.writes.0.remove(&kind) else {
            return;
        };
        self.timers.stop(Timer::Write(kind));
        self.forget(retrying(kind));
        self.outdate_poll();
        // What went wrong with an earlier attempt is over.
        if self
            .notices
            .error
            .as_ref()
            .is_some_and(|m| matches!(m.code, Code::NeotelUnavailable | Code::NeotelRefused))
        {
            self.notices.error = None;
        }
        match kind {
            WriteKind::Release => self.released(&w),
            WriteKind::Available => self.freed(&w),
        }
    }

    /// Whether an attempt was applied cannot be known: nothing is sent again on a guess (it
    /// could be twice); the agent is told, and may send it again.
    fn write_unknown(&mut self, kind: WriteKind, why: String) {
        self.writes.0.remove(&kind);
        self.timers.stop(Timer::Write(kind));
        self.forget(retrying(kind));
        let code = match kind {
            WriteKind::Release => Code::ReleaseUnknown,
            WriteKind::Available => Code::AvailableUnknown,
        };
        self.notices.error = Some(Message::new(code).with("error", why));
    }

    /// Restored after a restart: each write is driven again (checked first when sent before).
    pub(super) fn resume_writes(&mut self) {
        let kinds: Vec<WriteKind> = self.writes.0.keys().copied().collect();
        for kind in kinds {
            self.notify(retrying(kind), Scope::Session);
            self.drive_write(kind);
        }
    }
}

fn retrying(kind: WriteKind) -> Code {
    match kind {
        WriteKind::Release => Code::Retrying,
        WriteKind::Available => Code::RetryingAvailable,
    }
}

/// Neotel's words for a failure.
fn reason(e: &neotel_api::Error) -> String {
    e.fault()
        .map_or_else(|| e.to_string(), |f| f.message.clone())
}

/// Whether Neotel's answer shows the write applied; an answer that cannot tell, why.
fn applied(w: &Write, reply: &Reply) -> Result<bool, String> {
    let bad = |what: String| format!("unreadable answer: {what}");
    let Reply::String(text) = reply else {
        return Err(bad(format!("{reply:?}")));
    };
    match &w.request {
        Request::UpdateContact {
            subcategory,
            xml_update,
            schedule,
            ..
        } => {
            let rows: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            let Some(row) = rows["Table"].as_array().and_then(|t| t.first()) else {
                return Ok(false);
            };
            let when = date(&row["FECHA"]).ok_or_else(|| bad("FECHA".into()))?;
            let same_schedule = match schedule {
                None => !truthy(&row["AGENDA"]),
                // The wire carries whole seconds.
                Some(s) => {
                    truthy(&row["AGENDA"])
                        && date(&row["FECHA_AGENDA"]).map(whole_seconds)
                            == Some(whole_seconds(s.at))
                }
            };
            Ok(when >= w.since - CLOCK_SKEW
                && number(&row["IDSUBCATEGORIA"]) == Some(*subcategory)
                && row["XML_UPDATE"].as_str().unwrap_or_default() == xml_update
                && same_schedule)
        }
        _ => {
            let p = Position::parse(text).map_err(|e| bad(e.to_string()))?;
            // Neotel freed the CRM, or has already handed over the next contact.
            let next = p.contact().filter(|c| Some((c.base, c.id)) != w.held);
            Ok(match p.crm_state() {
                CrmState::Available => true,
                CrmState::GetContact | CrmState::ShowingContact => next.is_some(),
                _ => false,
            })
        }
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() != Some(0),
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true"),
        _ => false,
    }
}

fn whole_seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

fn date(v: &Value) -> Option<NaiveDateTime> {
    let s = v.as_str()?.trim();
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}
