//! What a session must not lose across a restart: the contact on screen (its draft, record,
//! Task id, calls) and every write Neotel has not accepted. The server stores it; a new
//! session starts from it and reconciles with what Neotel says now.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::Config;

use super::Session;
use super::activity::TaskSave;
use super::calls_told::Announced;
use super::contact::ContactState;
use super::write::Writes;

/// A session's state worth keeping, in a form that can be stored (JSON through serde) and
/// given to [`Session::restore`]. Opaque: its fields are the core's business; its JSON changes
/// only with [`Snapshot::VERSION`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    version: u32,
    contact: Option<ContactState>,
    writes: Writes,
    contacts_seen: u64,
    sync_ids_handed_out: u64,
    /// What the surface was told of the calls (format 2; format 1 told nothing).
    #[serde(default)]
    announced: Option<Announced>,
}

/// [`Snapshot`] borrowed from the session: the same JSON, field for field, without copying it.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    contact: Option<&'a ContactState>,
    writes: &'a Writes,
    contacts_seen: u64,
    sync_ids_handed_out: u64,
    announced: Option<&'a Announced>,
}

/// A snapshot this build cannot restore.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a session stored by another version (format {found}, this build reads 1 to {expected})")]
pub struct SnapshotError {
    /// The stored format.
    pub found: u32,
    /// The newest format this build reads.
    pub expected: u32,
}

impl Snapshot {
    /// The format this build writes. It reads every format since 1: a deploy never logs an
    /// agent out of their screen.
    ///
    /// - 1: the contact, the writes Neotel has not confirmed, the handles and sync ids.
    /// - 2: and what the surface was told of the calls (`announced`); the contact may carry
    ///   the campaign's record (X-CAMPAIGN-ENTITY) and whether Play follows its release.
    pub const VERSION: u32 = 2;

    /// Writes Neotel has not accepted, kept in this snapshot.
    #[must_use]
    pub fn pending_writes(&self) -> usize {
        self.writes.len()
    }
}

/// The writes a session still owes Neotel, for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PendingWrites {
    /// How many.
    pub count: usize,
    /// How long ago the oldest was first sent.
    pub oldest: Option<Duration>,
}

impl Session {
    /// What must survive a restart. Cheap: the server takes one after every input and stores
    /// it when it changed.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: Snapshot::VERSION,
            contact: self.contact.clone(),
            writes: self.writes.clone(),
            contacts_seen: self.page.contacts_seen,
            sync_ids_handed_out: self.sync_ids.handed_out(),
            announced: Some(self.announced().clone()),
        }
    }

    /// [`Self::snapshot`] as the store keeps it, JSON written into `out` (cleared first) without
    /// copying the session: the server takes one after every input (thousands a second) and
    /// stores it when it differs from the last.
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        out.clear();
        let snapshot = SnapshotRef {
            version: Snapshot::VERSION,
            contact: self.contact.as_ref(),
            writes: &self.writes,
            contacts_seen: self.page.contacts_seen,
            sync_ids_handed_out: self.sync_ids.handed_out(),
            announced: Some(self.announced()),
        };
        serde_json::to_writer(out, &snapshot).expect("snapshots always serialize");
    }

    /// A session for an agent still logged in to Neotel, resumed from `snapshot` (taken by a
    /// server that stopped or died): the contact is back on screen, its lists are read again,
    /// `Position` says where Neotel stands, and every write not accepted is sent again, once
    /// Neotel says an earlier attempt was not applied.
    ///
    /// # Errors
    /// [`SnapshotError`] for a snapshot of another format; nothing of it is used.
    pub fn restore(
        config: Config,
        snapshot: Snapshot,
        now: Instant,
    ) -> Result<Self, SnapshotError> {
        // Format 1 lacks only what 2 added, each read as its default (serde).
        if !(1..=Snapshot::VERSION).contains(&snapshot.version) {
            return Err(SnapshotError {
                found: snapshot.version,
                expected: Snapshot::VERSION,
            });
        }
        let mut s = Self::new(config, now);
        s.page.contacts_seen = snapshot.contacts_seen;
        s.sync_ids.resume(snapshot.sync_ids_handed_out);
        if let Some(mut c) = snapshot.contact {
            // The call as it was: the first `Position` says whether it is still up.
            s.calls.call.clone_from(&c.call);
            let campaign = super::contact::call_campaign(&c.values, c.inbound);
            s.load_contact_lists(c.contact.crm, campaign);
            // A Task creation whose answer died with the server is looked up, not repeated.
            let lost = matches!(c.task, TaskSave::Creating | TaskSave::LookingUp);
            if lost {
                c.task = TaskSave::NotSaved;
            }
            let handle = c.handle;
            s.contact = Some(c);
            if lost {
                s.look_up_lost_task(handle);
            }
        }
        s.writes = snapshot.writes.restored();
        s.resume_writes();
        s.told_as_restored(snapshot.announced);
        s.refresh_view();
        Ok(s)
    }

    /// Work the session must not be ended with: a write Neotel has not accepted, or a contact
    /// awaiting its disposition (the server keeps such a session past its idle timeout).
    #[must_use]
    pub fn holds_work(&self) -> bool {
        !self.writes.is_empty() || self.contact.as_ref().is_some_and(|c| !c.released)
    }

    /// The writes Neotel has not accepted yet.
    #[must_use]
    pub fn pending_writes(&self) -> PendingWrites {
        PendingWrites {
            count: self.writes.len(),
            oldest: self
                .writes
                .oldest()
                .map(|since| (self.wall() - since).to_std().unwrap_or(Duration::ZERO)),
        }
    }
}
