//! The machine seam: the agent's state machine seen through the server's vocabulary, so the
//! driver runs cti-core's session in production ([`super::core`]) and a scripted machine in the
//! crate's tests, each handed over as a [`MachineFactory`].

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use neotel_api::{Reply, Request};

use crate::config::Config;
use crate::protocol::{AgentMessage, Down, EffectResult, PageEvent, Surface};

/// What the driver feeds the agent's state machine.
#[derive(Debug)]
pub(crate) enum CoreInput {
    /// A page command (the core's command JSON).
    Command(serde_json::Value),
    /// The leader's answer to an effect.
    EffectResult(EffectResult),
    /// A Salesforce event.
    Event(PageEvent),
    /// A NeoApi call finished.
    Api {
        id: u64,
        result: Result<Reply, neotel_api::Error>,
    },
    /// The machine's timer fired.
    Timeout,
    /// A connection runs the effects now (the first, or the next after one went away or fell
    /// silent): the machine decides what runs again of what the last one left unanswered, and
    /// sends what no page got yet (to that connection's surface).
    PageChanged {
        /// The connection.
        conn: u64,
        /// Its Salesforce surface.
        surface: Surface,
    },
    /// No connection runs the effects any more: the machine keeps them for the next.
    PageGone,
    /// A Salesforce Voice page attached (after its `session`): it gets its setup.
    VoiceAttached {
        /// The connection.
        conn: u64,
    },
    /// A Salesforce Voice page went away.
    VoiceDetached {
        /// The connection.
        conn: u64,
    },
    /// A Telephony Integration API write finished.
    Telephony {
        /// Echoed from [`CoreOutput::Telephony`].
        id: u64,
        /// What became of it.
        written: sf_voice::Written,
    },
    /// A method Salesforce Voice called on a page.
    VoiceCall {
        /// The page.
        conn: u64,
        /// Echoed by the result.
        id: u64,
        /// The method.
        method: String,
        /// Its arguments.
        args: serde_json::Value,
    },
}

/// What the machine asks for.
#[derive(Debug)]
pub(crate) enum CoreOutput {
    /// Run this NeoApi call and feed back its result with `id`.
    Api {
        id: u64,
        request: Request,
        /// A list read every session makes alike: another session's recent answer will do.
        shared: bool,
    },
    /// Send this effect to the leader (there is one whenever the machine sends effects); its
    /// result comes back with `id`.
    Effect {
        id: u64,
        kind: String,
        effect: serde_json::Value,
    },
    /// The new view, without its `lists`; `lists` holds the lists that changed since the last
    /// view (all of them the first time).
    View {
        view: serde_json::Value,
        lists: Option<serde_json::Value>,
    },
    /// Neotel no longer has the user logged in: the session is over.
    Ended,
    /// For Salesforce Voice pages: to `conn`, or to every voice page (`None`).
    Voice {
        /// The page, or every voice page.
        conn: Option<u64>,
        /// The message.
        down: Down,
    },
    /// Send this VoiceCall write and feed back what became of it with `id` (stored first:
    /// a creation is never sent twice).
    Telephony {
        /// Echoed with the outcome.
        id: u64,
        /// The write.
        write: sf_voice::Write,
    },
    /// A VoiceCall record's news, for the logs and the metrics.
    VoiceCallNoted(sf_voice::Noted),
    /// Salesforce Voice asked to log out: `down` (its result) to `conn`, then the logout.
    LogOut {
        /// The page that asked.
        conn: u64,
        /// Its result.
        down: Down,
    },
}

/// A refused command: a text for logs and integrators, and the agent's words when the core
/// gave them.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Refused {
    pub(crate) message: String,
    pub(crate) text: Option<AgentMessage>,
}

impl Refused {
    /// A refusal without words for the agent (a malformed command).
    pub(crate) fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            text: None,
        }
    }
}

/// The agent's state machine, as the driver needs it.
pub(crate) trait Core: Send + 'static {
    /// Feeds one input at `now`; a command the machine cannot take is refused, and so is the
    /// result of an effect it does not wait for.
    fn handle(&mut self, input: CoreInput, now: Instant) -> Result<(), Refused>;
    /// The next output, until `None`.
    fn poll_output(&mut self) -> Option<CoreOutput>;
    /// When the machine wants [`CoreInput::Timeout`].
    fn poll_timeout(&self) -> Option<Instant>;
    /// The request that logs the agent out of NeoApi.
    fn logout_request(&self) -> Request;
    /// The agent logs out: the machine's last effects say goodbye to the page's Salesforce
    /// side (the driver sends NeoApi `Logout` itself).
    fn log_out(&mut self, now: Instant);
    /// The last view with every list, for a connection's first view (later views carry only
    /// the lists that changed).
    fn view(&self) -> Option<serde_json::Value>;
    /// What must survive a restart, as the store keeps it (JSON), written into `out` (cleared
    /// first); `false` for a machine that keeps nothing. Taken after every input: into a
    /// buffer the driver reuses, compared with what was stored.
    fn write_snapshot(&self, out: &mut Vec<u8>) -> bool;
    /// [`Self::write_snapshot`] as a text of its own.
    fn snapshot(&self) -> Option<String> {
        let mut out = Vec::new();
        self.write_snapshot(&mut out)
            .then(|| String::from_utf8(out).expect("JSON is UTF-8"))
    }
    /// The writes Neotel has not accepted.
    fn pending_writes(&self) -> PendingWrites;
    /// When the oldest effect the leader got and did not answer went to it (the machine keeps
    /// the book of unanswered effects; the driver only times the leader out).
    fn oldest_unanswered(&self) -> Option<Instant>;
    /// Work the session must not be ended with (a write pending, a contact awaiting its
    /// disposition): the idle timeout waits.
    fn holds_work(&self) -> bool;
    /// Every output waiting may leave before the snapshot is stored (a session resumed
    /// without it would ask for them again): the driver stores after sending them.
    fn outputs_repeatable(&self) -> bool;
    /// How urgently the machine needs its next look at Neotel: the NeoApi budget is shared by
    /// it (a machine that does not poll by itself counts as awaiting a delivery).
    fn urgency(&self) -> cti_core::Urgency {
        cti_core::Urgency::Delivery
    }
    /// The poll intervals the NeoApi budget gives the machine at `now`.
    fn set_cadence(&mut self, _cadence: cti_core::Cadence, _now: Instant) {}
}

/// The writes a machine still owes Neotel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PendingWrites {
    pub(crate) count: usize,
    /// How long ago the oldest was first sent.
    pub(crate) oldest: Option<std::time::Duration>,
}

/// What a new session's machine is made from.
pub(crate) struct MachineStart<'a> {
    /// The server's configuration (lists, tasks, time zone, poll interval).
    pub(crate) config: &'a Config,
    /// The call center options used until Salesforce sends its own.
    pub(crate) callcenter: &'a sf_callcenter::Config,
    /// The agent (`USUARIO`).
    pub(crate) user: &'a str,
    /// The agent's device (`DEVICE`).
    pub(crate) device: &'a str,
    /// The user's panel settings from their last session on this server (F-CONFIG).
    pub(crate) settings: Option<serde_json::Value>,
    /// The session's start, on the server's clock.
    pub(crate) now: Instant,
    /// The same moment as a wall time.
    pub(crate) wall: DateTime<Utc>,
    /// A session resumed after a restart: what [`Core::snapshot`] said last.
    pub(crate) snapshot: Option<&'a str>,
    /// VoiceCall records are written (the Telephony Integration API is configured).
    pub(crate) records: Option<sf_voice::RecordsConfig>,
}

/// Makes the machine of each session NeoApi logged in (or resumes one from its snapshot); an
/// `Err` undoes the login.
pub(crate) type MachineFactory =
    Arc<dyn Fn(MachineStart<'_>) -> Result<Box<dyn Core>, String> + Send + Sync>;
