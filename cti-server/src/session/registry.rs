//! The running sessions by user, the logins in progress, each user's panel settings, and the
//! handles connections talk to their session task through.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use crate::protocol::{Down, EffectResult, PageEvent};

/// The running sessions, by USUARIO, the users whose login is in progress, and each user's
/// panel settings (F-CONFIG: kept per user, across sessions).
#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, SessionHandle>>,
    logging_in: Mutex<HashSet<String>>,
    settings: Mutex<HashMap<String, serde_json::Value>>,
}

/// Locks one of the registry's maps; no code panics while holding one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().expect("registry lock is never poisoned")
}

impl Registry {
    /// The settings `user`'s last view had (`settings` of the view), if any.
    pub(crate) fn settings(&self, user: &str) -> Option<serde_json::Value> {
        lock(&self.settings).get(user).cloned()
    }

    pub(crate) fn keep_settings(&self, user: &str, settings: &serde_json::Value) {
        let mut map = lock(&self.settings);
        if map.get(user) != Some(settings) {
            map.insert(user.to_owned(), settings.clone());
        }
    }

    pub(crate) fn get(&self, user: &str) -> Option<SessionHandle> {
        lock(&self.sessions)
            .get(user)
            .filter(|h| !h.tx.is_closed())
            .cloned()
    }

    /// How many sessions run here, with the logins in progress.
    pub(crate) fn count(&self) -> usize {
        lock(&self.sessions).len() + lock(&self.logging_in).len()
    }

    /// Reserves `user` for a login; `None` when it has a session or a login in progress.
    pub(crate) fn reserve(&self, user: &str) -> Option<Reservation<'_>> {
        if self.get(user).is_some() {
            return None;
        }
        lock(&self.logging_in)
            .insert(user.to_owned())
            .then(|| Reservation {
                registry: self,
                user: user.to_owned(),
            })
    }

    /// A login or a takeover of `user` is in progress here.
    pub(crate) fn reserved(&self, user: &str) -> bool {
        lock(&self.logging_in).contains(user)
    }

    /// A session resumed from the store.
    pub(crate) fn resume(&self, handle: SessionHandle) {
        lock(&self.sessions).insert(handle.user().to_owned(), handle);
    }

    /// Forgets `user`'s session, if it is still `session` (a newer one stays).
    pub(crate) fn remove(&self, user: &str, session: u64) {
        let mut map = lock(&self.sessions);
        if map.get(user).is_some_and(|h| h.session == session) {
            map.remove(user);
        }
    }
}

/// A login in progress; dropping it frees the user.
pub(crate) struct Reservation<'a> {
    registry: &'a Registry,
    user: String,
}

impl Reservation<'_> {
    pub(crate) fn register(self, handle: SessionHandle) {
        lock(&self.registry.sessions).insert(self.user.clone(), handle);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        lock(&self.registry.logging_in).remove(&self.user);
    }
}

/// A way to talk to one session task (made by the task's spawn: its task reads `tx`'s other
/// end).
#[derive(Clone)]
pub(crate) struct SessionHandle {
    pub(super) user: Arc<str>,
    /// The Neotel device it is logged in on.
    pub(super) device: Arc<str>,
    /// The password's argon2id verifier: a password login takes this session over when it
    /// matches.
    pub(super) verifier: Arc<str>,
    /// Its lease generation (0 without a store): every store write of the session names it.
    pub(super) generation: i64,
    pub(super) session: u64,
    /// Boxed: a channel's slots are allocated 32 at a time and kept, per session.
    pub(super) tx: mpsc::Sender<Box<ToSession>>,
}

impl SessionHandle {
    pub(crate) fn generation(&self) -> i64 {
        self.generation
    }

    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    pub(crate) fn device(&self) -> &str {
        &self.device
    }

    pub(crate) fn verifier(&self) -> &str {
        &self.verifier
    }

    /// Sends a message; `false` when the session has ended.
    pub(crate) async fn send(&self, message: ToSession) -> bool {
        self.tx.send(Box::new(message)).await.is_ok()
    }

    /// Sends a message if the session's queue has room; `false` when it has not or the
    /// session has ended.
    pub(crate) fn try_send(&self, message: ToSession) -> bool {
        self.tx.try_send(Box::new(message)).is_ok()
    }
}

/// A connection joining a session.
pub(crate) struct Attachment {
    pub(crate) conn: u64,
    /// Boxed: a channel's slots are allocated 32 at a time and kept, per connection.
    pub(crate) tx: mpsc::Sender<Box<Down>>,
    /// Cancelled when the session drops the connection for not keeping up (its queue is full,
    /// so no `bye` can reach it): the connection closes and the page connects again.
    pub(crate) dropped: tokio_util::sync::CancellationToken,
    pub(crate) token: String,
    pub(crate) expires_at: String,
    /// The page's Salesforce surface.
    pub(crate) surface: crate::protocol::Surface,
}

/// What connections tell their session.
pub(crate) enum ToSession {
    Attach(Attachment),
    Detach {
        conn: u64,
    },
    Command {
        conn: u64,
        command: serde_json::Value,
    },
    EffectResult {
        conn: u64,
        result: EffectResult,
    },
    Event {
        conn: u64,
        event: PageEvent,
    },
    Logout {
        conn: u64,
    },
    /// A method Salesforce Voice called on a voice page.
    VoiceCall {
        conn: u64,
        id: u64,
        method: String,
        args: serde_json::Value,
    },
    /// A password login took the session over: the tabs attached until now are told why and
    /// their tokens die.
    TakeOver,
    /// Another instance asks for the session (a browser of the agent reached it): finish what
    /// is in flight, store, let go.
    HandOff,
    /// Another instance took the session (this one's lease ran out): stop at once, writing
    /// nothing.
    LeaseLost,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A process-unique id for a connection or a session.
pub(crate) fn next_connection_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}
