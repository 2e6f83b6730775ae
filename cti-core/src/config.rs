//! A session's configuration: the server builds it from its own and the call center's.

use std::time::Duration;

use chrono::NaiveDateTime;
use sf_callcenter::{DialingOptions, Options};

use crate::view::{Choice, PanelSettings};

/// Where a list comes from: the configuration, or a per-install `ExecuteTask`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSource {
    /// Fixed rows.
    Static(Vec<Choice>),
    /// `ExecuteTaskNN(id, params…)` answering `{"Table":[…]}`.
    Task {
        /// `idTask`.
        id: i64,
        /// Its parameters.
        params: Vec<String>,
    },
}

/// A session's configuration (the server builds it from its own and the call center's).
#[derive(Debug, Clone)]
pub struct Config {
    /// The Neotel user (`USUARIO`) the session acts as.
    pub user: String,
    /// The call center options to use until Salesforce sends its settings.
    pub options: Options,
    /// Dialing prefixes for click-to-dial.
    pub dialing: DialingOptions,
    /// The base of the `Position` poll cadence: a call's look at Neotel at its quickest, and one
    /// agent's share of the NeoApi budget (one poll per interval). See [`Cadence`].
    pub poll_interval: Duration,
    /// Break states.
    pub breaks: ListSource,
    /// Campaigns.
    pub campaigns: ListSource,
    /// Queues (transfer targets).
    pub queues: ListSource,
    /// Platform users (transfer, conference and monitoring targets); a static row's `id` is the
    /// user number.
    pub users: ListSource,
    /// The per-install task listing by name (`transferPhones` + campaign, `categories` + CRM).
    pub lists_task: Option<i64>,
    /// The per-install tasks behind monitoring, text messages and the click-to-dial search.
    pub tasks: Tasks,
    /// Wall clock at `Session::new`'s `now`, in the Neotel server's local time (schedules,
    /// Task dates); the core derives later wall times from the `Instant`s it is given.
    pub neotel_time_at_start: NaiveDateTime,
    /// The Neotel server's offset east of UTC, in minutes (schedules picked in the agent's zone
    /// are converted to Neotel's); 0 until the server sets it from `neotel.timezone`.
    pub neotel_utc_offset_minutes: i64,
    /// Seed of the `neoSyncId__c` numbers this session hands out (W-SYNC).
    pub sync_seed: u64,
    /// The agent's panel settings and language, as kept for this user (F-CONFIG).
    pub settings: PanelSettings,
    /// How often the users list is read again while a list of users is offered.
    pub users_refresh: Duration,
    /// The languages the server has a catalog for (`es`, `en`): the agent may pick one.
    pub languages: Vec<String>,
}

impl Config {
    /// The configuration of `user`'s session on the Neotel install whose tasks are `neotel`
    /// (there is no default: each install numbers its `ExecuteTask`s, and the simulator's
    /// numbers, [`NeotelTasks::simulator`], would call the wrong ones on a real install), with
    /// the seed's options and the rest at their defaults.
    pub fn new(
        user: impl Into<String>,
        neotel: NeotelTasks,
        neotel_time_at_start: NaiveDateTime,
    ) -> Self {
        let NeotelTasks {
            breaks,
            campaigns,
            queues,
            users,
            lists_task,
            tasks,
        } = neotel;
        Self {
            user: user.into(),
            options: Options::default(),
            dialing: DialingOptions::default(),
            poll_interval: Duration::from_secs(1),
            breaks,
            campaigns,
            queues,
            users,
            lists_task,
            tasks,
            neotel_time_at_start,
            neotel_utc_offset_minutes: 0,
            sync_seed: 0,
            settings: PanelSettings::default(),
            users_refresh: Duration::from_secs(15),
            languages: vec!["es".into(), "en".into()],
        }
    }
}

/// Where a Neotel install's lists come from and which of its `ExecuteTask`s do what: the
/// part of a [`Config`] that differs from one install to the next (Neotel's staff know it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeotelTasks {
    /// Break states.
    pub breaks: ListSource,
    /// Campaigns.
    pub campaigns: ListSource,
    /// Queues (transfer targets).
    pub queues: ListSource,
    /// Platform users (transfer, conference and monitoring targets).
    pub users: ListSource,
    /// The task listing by name (`transferPhones` + campaign, `categories` + CRM), if any.
    pub lists_task: Option<i64>,
    /// The tasks behind monitoring, text messages, the contact search and the release check.
    pub tasks: Tasks,
}

impl NeotelTasks {
    /// The mapping of `neotel-sim`'s default scenario (every list from task 1 by its name,
    /// [`Tasks::simulator`]): for the demo and tests, never a real install.
    #[must_use]
    pub fn simulator() -> Self {
        let list = |name: &str| ListSource::Task {
            id: 1,
            params: vec![name.into()],
        };
        Self {
            breaks: list("breaks"),
            campaigns: list("campaigns"),
            queues: list("queues"),
            users: list("users"),
            lists_task: Some(1),
            tasks: Tasks::simulator(),
        }
    }
}

/// How urgently a session needs its next look at Neotel (`Position`): what its state lets
/// Neotel change next, and how soon the agent would notice a late look. One function of the
/// session's state decides it (`Session::urgency`); the server shares its NeoApi budget by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Urgency {
    /// A contact or a call may come any moment: the agent is available (in a campaign or in
    /// none: a queue's call reaches either), a call
    /// is being set up (ringing, dialing, a consult leg), or a delivered contact waits for its
    /// search. Every moment of the poll's wait is the pop's.
    Delivery,
    /// A call is up: what matters is noticing its end (the wrap-up on screen within about a
    /// second).
    Call,
    /// Nothing can come: a break, a contact in wrap-up or released (it holds the agent until
    /// Play).
    Quiet,
}

impl Urgency {
    /// Every urgency, the most urgent first.
    pub const ALL: [Self; 3] = [Self::Delivery, Self::Call, Self::Quiet];

    /// Its name in metrics and logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivery => "delivery",
            Self::Call => "call",
            Self::Quiet => "quiet",
        }
    }

    /// How many polls a session of this urgency makes at its quickest for each poll of a call,
    /// the one place the urgencies' rates are set: a delivery awaited ten times as often as a
    /// call (the pop waits half a look on average; a call's end, noticed within a look, can
    /// wait longer), a quiet agent a third as often.
    fn speed(self) -> f64 {
        match self {
            Self::Delivery => 10.0,
            Self::Call => 1.0,
            Self::Quiet => 1.0 / 3.0,
        }
    }
}

/// The `Position` poll interval at each [`Urgency`]. The server shares its NeoApi budget by
/// giving every session the same cadence: each urgency at its [quickest](Self::quickest), or,
/// when the sessions' polls at that pace would not fit the budget, all of them
/// [slowed](Self::slowed) alike; the urgencies keep their ratios either way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cadence {
    /// Interval at each urgency, in [`Urgency::ALL`]'s order.
    every: [Duration; 3],
}

impl Cadence {
    /// The most a budget ever slows the polls: a session still looks at Neotel within 20 times
    /// its quickest interval however short the budget (a quiet one once a minute at a 1 s
    /// `poll_interval`).
    pub const MAX_SLOWDOWN: f64 = 20.0;

    /// Each urgency at its quickest, for the base interval `every` (a call's look).
    #[must_use]
    pub fn quickest(every: Duration) -> Self {
        Self {
            every: Urgency::ALL.map(|u| every.div_f64(u.speed())),
        }
    }

    /// A session on its own (until the server gives it a share, and in tests): its quickest,
    /// but never more than one poll per `every` (one agent's share of the budget by default).
    #[must_use]
    pub fn alone(every: Duration) -> Self {
        Self {
            every: Self::quickest(every).every.map(|d| d.max(every)),
        }
    }

    /// Every interval `times` as long (`times` is taken between 1 and [`Self::MAX_SLOWDOWN`]).
    #[must_use]
    pub fn slowed(self, times: f64) -> Self {
        let times = if times.is_nan() {
            Self::MAX_SLOWDOWN
        } else {
            times.clamp(1.0, Self::MAX_SLOWDOWN)
        };
        Self {
            every: self.every.map(|d| d.mul_f64(times)),
        }
    }

    /// The poll interval at `urgency`.
    #[must_use]
    pub fn interval(&self, urgency: Urgency) -> Duration {
        self.every[urgency as usize]
    }

    /// Polls per second of one session at `urgency`.
    #[must_use]
    pub fn rate(&self, urgency: Urgency) -> f64 {
        1.0 / self.interval(urgency).as_secs_f64().max(1e-3)
    }
}

/// A per-install `ExecuteTask`: its id and its parameters in order, each the name of a value the
/// core fills (`supervisor`, `user`, `mode`, `phone`, `channel`, `text`, `crm`, `key`, `base`,
/// `contact`) or a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCall {
    /// `idTask`.
    pub id: i64,
    /// Parameter names or literals.
    pub params: Vec<String>,
}

impl TaskCall {
    pub(crate) fn new(id: i64, params: &[&str]) -> Self {
        Self {
            id,
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// The parameters with the named values filled in.
    pub(crate) fn fill(&self, values: &[(&str, &str)]) -> Vec<String> {
        self.params
            .iter()
            .map(|p| {
                values
                    .iter()
                    .find(|(name, _)| name == p)
                    .map_or_else(|| p.clone(), |(_, v)| (*v).to_owned())
            })
            .collect()
    }
}

/// The per-install tasks (F-MONITOR, F-SMS, W-CLICK2DIAL, the release's check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tasks {
    /// Start monitoring: supervisor, monitored user, mode.
    pub monitor_start: TaskCall,
    /// Stop monitoring: supervisor.
    pub monitor_stop: TaskCall,
    /// Send an SMS or WhatsApp message: user, phone, channel, text.
    pub send_text: TaskCall,
    /// Find a contact by CRM and key: `{"Table":[{BASE,IDCONTACTO,DATA}]}`.
    pub find_contact: TaskCall,
    /// A contact's last outcome by base and contact id (`base`, `contact`):
    /// `{"Table":[{IDSUBCATEGORIA,XML_UPDATE,AGENDA,FECHA_AGENDA,FECHA}]}`, empty when none.
    /// How a release whose answer was lost is checked before it is sent again.
    pub contact_outcome: TaskCall,
}

impl Tasks {
    /// The mapping of `neotel-sim`'s default scenario: for the demo and tests, never a real
    /// install.
    #[must_use]
    pub fn simulator() -> Self {
        Self {
            monitor_start: TaskCall::new(2, &["supervisor", "user", "mode"]),
            monitor_stop: TaskCall::new(3, &["supervisor"]),
            send_text: TaskCall::new(5, &["user", "phone", "channel", "text"]),
            find_contact: TaskCall::new(6, &["crm", "key"]),
            contact_outcome: TaskCall::new(7, &["base", "contact"]),
        }
    }
}
