//! One agent's session: inputs in, outputs drained, time passed in.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use neotel_api::{
    ContactRef, Direction, Fault, FaultKind, Position, Reply, Request, Schedule, decode_table,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sf_callcenter::{
    CallCenter, CallRecord, CallType, DialingOptions, LinkedRecord, NeotelData, NeotelValues,
    Options, ScreenPop, SoftphoneLayout, decide_screen_pop, normalize_number, parse_search_result,
    pop_without_search, record_update, task_create, task_update,
};

use crate::effect::{CrmAction, CrmEffect, EffectId};
use crate::view::{
    Actions, AgentChoice, AgentStatus, CallView, Choice, ContactView, Draft, InfoView, Language,
    Lists, Message, MonitorView, PanelSettings, RecordView, SyncView, TransferView, View,
};

/// The id a NeoApi answer echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiId(pub u64);

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
    /// `Position` poll interval while nothing happens.
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
}

impl Config {
    /// The simulator's default mapping and the seed's options, for `user`.
    pub fn new(user: impl Into<String>, neotel_time_at_start: NaiveDateTime) -> Self {
        Self {
            user: user.into(),
            options: Options::default(),
            dialing: DialingOptions::default(),
            poll_interval: Duration::from_secs(1),
            breaks: ListSource::Task {
                id: 1,
                params: vec!["breaks".into()],
            },
            campaigns: ListSource::Task {
                id: 1,
                params: vec!["campaigns".into()],
            },
            queues: ListSource::Task {
                id: 1,
                params: vec!["queues".into()],
            },
            users: ListSource::Task {
                id: 1,
                params: vec!["users".into()],
            },
            lists_task: Some(1),
            tasks: Tasks::default(),
            neotel_time_at_start,
            neotel_utc_offset_minutes: 0,
            sync_seed: 0,
            settings: PanelSettings::default(),
            users_refresh: Duration::from_secs(15),
        }
    }
}

/// A per-install `ExecuteTask`: its id and its parameters in order, each the name of a value the
/// core fills (`supervisor`, `user`, `mode`, `phone`, `channel`, `text`, `crm`, `key`) or a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCall {
    /// `idTask`.
    pub id: i64,
    /// Parameter names or literals.
    pub params: Vec<String>,
}

impl TaskCall {
    fn new(id: i64, params: &[&str]) -> Self {
        Self {
            id,
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// The parameters with the named values filled in.
    fn fill(&self, values: &[(&str, &str)]) -> Vec<String> {
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

/// The per-install tasks (F-MONITOR, F-SMS, W-CLICK2DIAL).
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
}

impl Default for Tasks {
    /// The simulator's default mapping.
    fn default() -> Self {
        Self {
            monitor_start: TaskCall::new(2, &["supervisor", "user", "mode"]),
            monitor_stop: TaskCall::new(3, &["supervisor"]),
            send_text: TaskCall::new(5, &["user", "phone", "channel", "text"]),
            find_contact: TaskCall::new(6, &["crm", "key"]),
        }
    }
}

/// How a supervisor monitors an agent (F-MONITOR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MonitorMode {
    /// Hear without being heard.
    Listen,
    /// Speak to the agent; the customer does not hear.
    Assist,
}

impl MonitorMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Listen => "listen",
            Self::Assist => "assist",
        }
    }
}

/// A text message's channel (F-SMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TextChannel {
    /// SMS.
    Sms,
    /// WhatsApp.
    Whatsapp,
}

/// Where a transfer goes (F-XFER).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", tag = "to", content = "value")]
pub enum TransferTarget {
    /// An external phone (typed, or one of the campaign's).
    Phone(String),
    /// A platform user.
    User(String),
    /// A queue.
    Queue(i64),
    /// Another campaign (blind only).
    Campaign(i64),
}

/// What the agent asks for (the F-* rows).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    tag = "command",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Command {
    /// F-CAMPAIGN.
    JoinCampaign {
        /// Campaign id.
        campaign: i64,
    },
    /// F-CAMPAIGN.
    LeaveCampaign,
    /// F-BREAK.
    Pause {
        /// Break state id.
        break_id: i64,
    },
    /// F-BREAK: back to work.
    Unpause,
    /// F-DIAL / F-MANUAL.
    Dial {
        /// The number as typed.
        number: String,
    },
    /// F-DIAL (in an attended transfer: end of transfer).
    Hangup,
    /// F-DTMF.
    SendDtmf {
        /// `0`–`9`, `*`, `#`.
        digits: String,
    },
    /// F-XFER.
    Transfer {
        /// Where.
        target: TransferTarget,
        /// Attended (the agent stays) or direct.
        attended: bool,
    },
    /// F-XFER: end of an attended transfer (cut the consulted leg, back to the customer).
    EndTransfer,
    /// F-CONF.
    StartConference,
    /// F-CONF.
    Invite {
        /// A phone or a platform user.
        extension: String,
    },
    /// F-CONF.
    EndConference,
    /// F-RELEASE, F-AGENDA: what the agent has entered so far for the contact's disposition
    /// (the wrap-up form), kept by the core so that every page shows it and nothing of one
    /// contact reaches the next.
    Draft {
        /// The contact's `handle` (from the view) the agent typed this for.
        contact: u64,
        /// Subcategory id.
        #[serde(default)]
        subcategory: Option<i64>,
        /// Management notes.
        #[serde(default)]
        notes: String,
        /// The callback's date and time (the agent's wall time).
        #[serde(default)]
        at: Option<NaiveDateTime>,
        /// Another number for the callback.
        #[serde(default)]
        phone: String,
    },
    /// F-RELEASE: with a subcategory, or none (allowContactRelease).
    Release {
        /// Subcategory id.
        subcategory: Option<i64>,
        /// Management notes.
        #[serde(default)]
        notes: String,
        /// The contact's `handle` (from the view); refused when another contact is on screen.
        #[serde(default)]
        contact: Option<u64>,
    },
    /// F-AGENDA: the agent's local date and time.
    Schedule {
        /// When, as the agent picked it (the agent's wall time); none: refused with words.
        #[serde(default)]
        at: Option<NaiveDateTime>,
        /// The agent's offset east of UTC at `at`, in minutes (a browser's
        /// `-getTimezoneOffset()`: −180 in Buenos Aires, +60 in Madrid in winter).
        #[serde(default)]
        agent_offset_minutes: i64,
        /// Subcategory id (a scheduling one).
        subcategory: Option<i64>,
        /// Another number for the callback.
        #[serde(default)]
        phone: String,
        /// Notes.
        #[serde(default)]
        notes: String,
        /// The contact's `handle` (from the view); refused when another contact is on screen.
        #[serde(default)]
        contact: Option<u64>,
    },
    /// F-PLAY.
    Play,
    /// Several records matched: the agent picks this one.
    PickRecord {
        /// Record Id.
        id: String,
    },
    /// F-MONITOR: a supervisor starts monitoring a user.
    Monitor {
        /// The user monitored.
        user: String,
        /// Listen or assist.
        mode: MonitorMode,
    },
    /// F-MONITOR: end.
    EndMonitor,
    /// F-SMS: a text to the customer (`allowTextMessage`).
    SendText {
        /// SMS or WhatsApp.
        channel: TextChannel,
        /// The number; empty: the call's or the contact's.
        #[serde(default)]
        phone: String,
        /// The message.
        text: String,
    },
    /// F-CONFIG: the agent's panel size and automatic minimizing.
    SaveSettings {
        /// Panel width, 200–1920 px.
        width_px: u32,
        /// Panel height, 240–2560 px.
        height_px: u32,
        /// Minimize when a call's record is new.
        #[serde(default)]
        minimize_on_no_match: bool,
        /// Minimize when a call matches several records.
        #[serde(default)]
        minimize_on_several: bool,
    },
    /// The agent's language, for the utility bar's label too.
    SetLanguage {
        /// `es` or `en`.
        language: Language,
    },
    /// W-SYNC: link the new record shown in Salesforce to the contact, by its `neoSyncId__c`.
    SyncRecord,
}

/// A NeoApi call that failed, as the core sees it.
pub type ApiResult = Result<Reply, neotel_api::Error>;

/// A Salesforce effect's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmError {
    /// `INVALID_PARAM`, `GENERIC_ERROR`, `SERVER_ERROR`, `SOFTPHONE_CONTAINER_ERROR`, `TIMEOUT`.
    pub code: String,
    /// Salesforce's words.
    pub description: String,
}

/// Something Salesforce reported through the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesforceEvent {
    /// A phone field was clicked (W-CLICK2DIAL).
    ClickToDial {
        /// The number as shown.
        number: String,
        /// The record it belongs to.
        record_id: Option<String>,
        /// Its object.
        object_type: Option<String>,
        /// Its name.
        record_name: Option<String>,
    },
    /// The agent moved to another page (W-SYNC).
    Navigation {
        /// The record shown, if any.
        record_id: Option<String>,
        /// Its object.
        object_type: Option<String>,
        /// Its name.
        record_name: Option<String>,
    },
    /// Another page now runs the effects (the last one reloaded, navigated away, closed or
    /// stopped answering). Effects it left unanswered are lost and run again there, a Task
    /// creation only once Salesforce says it did not happen; the new page's Salesforce side
    /// (click-to-dial, panel size, utility label) starts from its defaults and is set again.
    PageChanged,
}

/// Everything that can happen to a session; each carries `now`.
#[derive(Debug)]
pub enum Input {
    /// The agent's command.
    Command(Instant, Command),
    /// A NeoApi call finished.
    Api(Instant, ApiId, ApiResult),
    /// A Salesforce effect finished.
    Crm(Instant, EffectId, Result<Value, CrmError>),
    /// Salesforce reported something.
    Salesforce(Instant, SalesforceEvent),
    /// Time passed (at or after [`Session::poll_timeout`]).
    Timeout(Instant),
}

/// What the session asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Run this NeoApi call; answer with [`Input::Api`] and the same id.
    Api(ApiId, Request),
    /// Run this Salesforce effect on the leader page; answer with [`Input::Crm`].
    Crm(CrmEffect),
    /// Draw this (boxed: it is much larger than the other outputs).
    View(Box<View>),
    /// Neotel says the user is no longer logged in: the session is over.
    Ended,
}

/// Misuse of the session, or a command its state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The command is not possible now; the text says why, for the agent.
    #[error("{}", .0.en)]
    Refused(Message),
    /// The session ended.
    #[error("the session is over")]
    Ended,
}

/// The named timers (quinn's timer table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Poll,
    AutoRelease,
    RetryUpdate,
    RetryTask,
    /// Read the users list again (while a list of users is offered).
    Users,
    /// A brief notice expires.
    Notices,
}

/// What a pending NeoApi call is for.
#[derive(Debug, Clone)]
enum Pending {
    Poll,
    List(ListKind),
    Command,
    /// An attended transfer: once Neotel takes it, the agent is consulting.
    Consult(TransferView),
    /// Monitoring starts (`Some`) or stops (`None`).
    Monitor(Option<MonitorView>),
    /// A text message.
    Text,
    /// One DTMF digit; the next waits for its answer.
    Dtmf,
    /// W-CLICK2DIAL: the Neotel contact of a clicked record.
    FindContact {
        number: String,
        record: RecordView,
        crm: i64,
    },
    Showing,
    /// The disposition; `callback` is the schedule in the agent's wall time, when scheduled.
    Update {
        callback: Option<NaiveDateTime>,
    },
    Available,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Breaks,
    Campaigns,
    Categories,
    TransferPhones,
    Queues,
    Users,
}

/// What a pending effect is for.
#[derive(Debug, Clone)]
enum PendingEffect {
    Settings,
    Layout,
    Search,
    Pop,
    Task,
    /// W-ACTIVITY: whether a Task creation whose answer was lost happened after all; `create`
    /// is that creation, made once Salesforce says there is no such Task.
    TaskLookup {
        create: Map<String, Value>,
    },
    Other,
    /// W-SYNC by hand: the page Salesforce shows.
    SyncPage,
    /// W-SYNC: a record's fields, to compare its `neoSyncId__c` with the one pre-filled.
    SyncRecord {
        record: RecordView,
        /// The agent pressed the sync button (a mismatch is then said).
        by_hand: bool,
    },
    /// W-CLICK2DIAL search: the clicked record's fields.
    ClickedRecord {
        number: String,
        record: RecordView,
    },
}

#[derive(Debug, Clone)]
struct CallState {
    id: i64,
    phone: String,
    inbound: bool,
    bridged: bool,
    manual: bool,
    conference: Option<i64>,
    started: Instant,
}

/// The contact's last call, once it ended (for its Task).
#[derive(Debug, Clone)]
struct LastCall {
    id: i64,
    duration_secs: u64,
    phone: String,
    manual: bool,
}

/// Where the call's Task stands (W-ACTIVITY: one Task per call).
#[derive(Debug, Clone, PartialEq, Eq)]
enum TaskSave {
    NotSaved,
    /// A creation is on its way.
    Creating,
    /// A creation's answer was lost: Salesforce is asked whether it happened.
    LookingUp,
    Saved(String),
    /// Whether the Task exists cannot be known: nothing more is written (the agent is told).
    Unknown,
}

#[derive(Debug, Clone)]
struct ContactState {
    /// The session's number for this contact (commands about it carry it).
    handle: u64,
    contact: ContactRef,
    key: String,
    private: bool,
    inbound: bool,
    /// Handed over by the dialer or a queue: Neotel waits for `CRM_ShowingContact`. A contact
    /// the click-to-dial search found is taken without it (Neotel never delivered it).
    delivered: bool,
    searched: bool,
    showing_sent: bool,
    record: Option<RecordView>,
    candidates: Vec<sf_callcenter::SearchMatch>,
    values: NeotelValues,
    /// The call this contact was delivered with, and its last state.
    call: Option<CallState>,
    last_call: Option<LastCall>,
    task: TaskSave,
    /// Failed Task saves retried so far (W-ACTIVITY).
    task_retries: u32,
    /// UpdateContact succeeded.
    released: bool,
    scheduled: bool,
    /// The callback Neotel accepted, in the agent's wall time (the Task says it).
    callback: Option<NaiveDateTime>,
    disposition: Option<String>,
    /// What the agent has entered for the disposition.
    draft: Draft,
    retries: u32,
    /// The `UpdateContact` on its way (and its callback in the agent's wall time), sent again
    /// while it fails for a reason that may pass.
    last_update: Option<(Request, Option<NaiveDateTime>)>,
    /// W-SYNC: the `neoSyncId__c` of the new record popped for this contact.
    sync_id: Option<String>,
    /// The records the search found (Id, name): the only records, besides the synced new one,
    /// this contact may be linked to.
    candidate_names: Vec<(String, String)>,
}

impl ContactState {
    fn new(handle: u64, contact: ContactRef, key: String, values: NeotelValues) -> Self {
        Self {
            handle,
            contact,
            key,
            private: false,
            inbound: false,
            delivered: true,
            searched: false,
            showing_sent: false,
            record: None,
            candidates: Vec::new(),
            values,
            call: None,
            last_call: None,
            task: TaskSave::NotSaved,
            task_retries: 0,
            released: false,
            scheduled: false,
            callback: None,
            disposition: None,
            draft: Draft::default(),
            retries: 0,
            last_update: None,
            sync_id: None,
            candidate_names: Vec::new(),
        }
    }
}

/// An effect on its way to the page.
#[derive(Debug, Clone)]
struct SentEffect {
    why: PendingEffect,
    action: CrmAction,
    /// The handle of the contact on screen when it was sent.
    contact: Option<u64>,
}

/// How long a notice stays: while its contact is on screen, for the session, or briefly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Contact,
    Session,
    Until(Instant),
}

#[derive(Debug, Clone)]
struct Notice {
    message: Message,
    scope: Scope,
}

/// How long a confirmation stays on screen.
const BRIEF: Duration = Duration::from_secs(8);

/// One agent's connector session. Drive it with [`Session::handle_input`], then drain
/// [`Session::poll_output`] until `None`, then wait until [`Session::poll_timeout`].
#[derive(Debug)]
pub struct Session {
    config: Config,
    start: Instant,
    now: Instant,
    options: Options,
    layout: SoftphoneLayout,
    outputs: VecDeque<Output>,
    next_id: u64,
    pending: BTreeMap<u64, Pending>,
    /// Effects sent and not answered yet, with what they ask (a lost one runs again).
    effects: BTreeMap<u64, SentEffect>,
    timers: BTreeMap<Timer, Instant>,
    poll_in_flight: bool,
    position: Option<Position>,
    campaign: Option<i64>,
    break_id: Option<i64>,
    call: Option<CallState>,
    /// The attended transfer in progress (F-XFER).
    transfer: Option<TransferView>,
    /// Whom this supervisor monitors (F-MONITOR).
    monitoring: Option<MonitorView>,
    /// F-DTMF: digits typed but not sent yet. NeoApi calls run concurrently, so each digit
    /// waits for the previous one's answer to keep their order.
    dtmf: VecDeque<char>,
    /// F-CONFIG.
    settings: PanelSettings,
    contact: Option<ContactState>,
    /// The last contact's handle.
    contact_seq: u64,
    /// The users list says this session's user is a supervisor (F-MONITOR).
    supervisor: bool,
    /// When the users list was last read (it is read again while it is offered).
    users_read_at: Option<Instant>,
    /// Shared with the views: a view is built on every input and compared with the last, so
    /// the lists (hundreds of users on a big install) are counted, not copied.
    lists: Arc<Lists>,
    error: Option<Message>,
    notices: Vec<Notice>,
    last_view: Option<View>,
    last_status: Option<AgentStatus>,
    sync_counter: u64,
    ended: bool,
}

const RETRY_LIMIT: u32 = 3;

fn message(key: &'static str, es: &str, en: &str) -> Message {
    Message::new(key, es, en)
}

fn fault_message(e: &neotel_api::Error) -> Message {
    match e.fault_kind() {
        Some(FaultKind::NotLogged) => message(
            "notLogged",
            "Neotel ya no tiene al usuario conectado.",
            "Neotel no longer has the user logged in.",
        ),
        Some(FaultKind::BadParameter) => message(
            "badParameter",
            "Neotel rechazó un dato de la operación.",
            "Neotel refused a value of the operation.",
        ),
        Some(_) => {
            let text = e
                .fault()
                .map(|f: &Fault| f.message.clone())
                .unwrap_or_default();
            Message::new(
                "neotelRefused",
                format!("Neotel no aceptó la operación: {text}"),
                format!("Neotel refused the operation: {text}"),
            )
        }
        None => message(
            "neotelUnavailable",
            "No hay comunicación con Neotel; se reintentará.",
            "Neotel cannot be reached; retrying.",
        ),
    }
}

impl Session {
    /// A session for an agent already logged in to Neotel (the server did `Login`).
    pub fn new(config: Config, now: Instant) -> Self {
        let options = config.options.clone();
        let settings = config.settings;
        let mut s = Self {
            config,
            start: now,
            now,
            options,
            layout: SoftphoneLayout::default(),
            outputs: VecDeque::new(),
            next_id: 1,
            pending: BTreeMap::new(),
            effects: BTreeMap::new(),
            timers: BTreeMap::new(),
            poll_in_flight: false,
            position: None,
            campaign: None,
            break_id: None,
            call: None,
            transfer: None,
            monitoring: None,
            dtmf: VecDeque::new(),
            settings,
            contact: None,
            contact_seq: 0,
            supervisor: false,
            users_read_at: None,
            lists: Arc::default(),
            error: None,
            notices: Vec::new(),
            last_view: None,
            last_status: None,
            sync_counter: 0,
            ended: false,
        };
        s.effect(CrmAction::GetCallCenterSettings, PendingEffect::Settings);
        s.effect(CrmAction::GetSoftphoneLayout, PendingEffect::Layout);
        s.page_state();
        for (kind, source) in [
            (ListKind::Breaks, s.config.breaks.clone()),
            (ListKind::Campaigns, s.config.campaigns.clone()),
            (ListKind::Queues, s.config.queues.clone()),
            (ListKind::Users, s.config.users.clone()),
        ] {
            match source {
                ListSource::Static(rows) => s.set_list(kind, rows),
                ListSource::Task { id, params } => {
                    if kind == ListKind::Users {
                        s.users_read_at = Some(now);
                    }
                    s.task(id, params, Pending::List(kind));
                }
            }
        }
        s.poll();
        s.refresh_view();
        s
    }

    /// The next output, until `None`.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the session wants [`Input::Timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.ended {
            None
        } else {
            self.timers.values().min().copied()
        }
    }

    /// The request that logs the agent out (the server sends it on logout or idle).
    pub fn logout_request(&self) -> Request {
        Request::Logout {
            user: self.config.user.clone(),
        }
    }

    /// Feeds one input. A command the state does not allow is refused with the reason.
    pub fn handle_input(&mut self, input: Input) -> Result<(), SessionError> {
        if self.ended {
            return Err(SessionError::Ended);
        }
        let now = match &input {
            Input::Command(t, _)
            | Input::Api(t, _, _)
            | Input::Crm(t, _, _)
            | Input::Salesforce(t, _)
            | Input::Timeout(t) => *t,
        };
        // Time never goes back, whatever the caller passes.
        self.now = self.now.max(now);
        let result = match input {
            Input::Command(_, c) => self.command(c),
            Input::Api(_, id, r) => {
                self.api_result(id, r);
                Ok(())
            }
            Input::Crm(_, id, r) => {
                self.crm_result(id, r);
                Ok(())
            }
            Input::Salesforce(_, e) => self.salesforce_event(e),
            Input::Timeout(_) => {
                self.timeouts();
                Ok(())
            }
        };
        self.refresh_view();
        result
    }

    // ----- outputs ---------------------------------------------------------------------

    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn api(&mut self, request: Request, why: Pending) {
        let id = self.id();
        self.pending.insert(id, why);
        self.outputs.push_back(Output::Api(ApiId(id), request));
    }

    fn task(&mut self, task: i64, params: Vec<String>, why: Pending) {
        match Request::execute_task(task, params) {
            Ok(r) => self.api(r, why),
            Err(e) => {
                self.error = Some(Message::new(
                    "taskConfig",
                    format!("Tarea mal configurada: {e}"),
                    format!("Task misconfigured: {e}"),
                ));
            }
        }
    }

    fn effect(&mut self, action: CrmAction, why: PendingEffect) {
        let id = self.id();
        let contact = self.contact.as_ref().map(|c| c.handle);
        self.effects.insert(
            id,
            SentEffect {
                why,
                action: action.clone(),
                contact,
            },
        );
        self.outputs.push_back(Output::Crm(CrmEffect {
            id: EffectId(id),
            action,
        }));
    }

    /// What the page's Salesforce side must have set for this session: phone fields dial
    /// through the softphone, the panel has the agent's size, the utility bar says the state
    /// (on the next view). Sent at start and again to every new page.
    fn page_state(&mut self) {
        self.effect(CrmAction::EnableClickToDial, PendingEffect::Other);
        let defaults = PanelSettings::default();
        if self.settings.width_px != defaults.width_px {
            self.effect(
                CrmAction::SetSoftphonePanelWidth {
                    width_px: self.settings.width_px,
                },
                PendingEffect::Other,
            );
        }
        if self.settings.height_px != defaults.height_px {
            self.effect(
                CrmAction::SetSoftphonePanelHeight {
                    height_px: self.settings.height_px,
                },
                PendingEffect::Other,
            );
        }
        self.last_status = None;
    }

    /// Another page runs the effects now: what the last one left unanswered runs again there,
    /// except what [`Self::page_state`] sets anew and a Task creation, which runs again only
    /// once Salesforce says it did not happen.
    fn page_changed(&mut self) {
        let lost = std::mem::take(&mut self.effects);
        let current = self.contact.as_ref().map(|c| c.handle);
        for e in lost.into_values() {
            match (&e.why, e.action) {
                (_, a) if a.is_page_state() => {}
                (_, CrmAction::SaveLog { value }) if is_task_creation(&value) => {
                    self.look_up_task(e.contact, value);
                }
                // Updates by Id can always run again; they may be a finished contact's last
                // words (its Task's disposition).
                (_, action @ CrmAction::SaveLog { .. })
                | (PendingEffect::Settings | PendingEffect::Layout, action) => {
                    self.effect(action, e.why);
                }
                // A pop or a read for a contact no longer on screen has nothing left to do.
                (_, action) if e.contact == current => self.effect(action, e.why),
                _ => {}
            }
        }
        self.page_state();
    }

    fn poll(&mut self) {
        if !self.poll_in_flight {
            self.poll_in_flight = true;
            self.api(
                Request::Position {
                    user: self.config.user.clone(),
                },
                Pending::Poll,
            );
        }
        self.timers.remove(&Timer::Poll);
    }

    /// The poll cadence: faster while a call is being set up, slower in a break.
    fn poll_delay(&self) -> Duration {
        let base = self.config.poll_interval;
        if self.call.as_ref().is_some_and(|c| !c.bridged)
            || self.contact.as_ref().is_some_and(|c| !c.searched)
        {
            base / 2
        } else if self.break_id.is_some() {
            base * 3
        } else {
            base
        }
    }

    fn wall(&self) -> NaiveDateTime {
        let elapsed = self.now.saturating_duration_since(self.start);
        self.config.neotel_time_at_start + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    fn today(&self) -> NaiveDate {
        self.wall().date()
    }

    // ----- commands --------------------------------------------------------------------

    fn refuse<T>(key: &'static str, es: &str, en: &str) -> Result<T, SessionError> {
        Err(SessionError::Refused(message(key, es, en)))
    }

    /// Refuses a command that needs a call in progress.
    fn need_call(&self) -> Result<(), SessionError> {
        if self.call.is_none() {
            return Self::refuse(
                "noCall",
                "No hay un llamado en curso.",
                "There is no call in progress.",
            );
        }
        Ok(())
    }

    /// Sends the next typed DTMF digit unless one is on its way.
    fn send_next_digit(&mut self) {
        let in_flight = self.pending.values().any(|p| matches!(p, Pending::Dtmf));
        if in_flight || self.call.is_none() {
            return;
        }
        if let Some(d) = self.dtmf.pop_front() {
            let user = self.config.user.clone();
            self.api(
                Request::SendDtmf {
                    user,
                    digits: d.to_string(),
                },
                Pending::Dtmf,
            );
        }
    }

    fn command(&mut self, c: Command) -> Result<(), SessionError> {
        let user = self.config.user.clone();
        self.error = None;
        match c {
            Command::JoinCampaign { campaign } => {
                self.api(Request::LoginCampaign { user, campaign }, Pending::Command);
            }
            Command::LeaveCampaign => {
                self.no_call("leaveInCall")?;
                if self.contact.is_some() {
                    return Self::refuse(
                        "contactHeld",
                        "Primero libere el contacto.",
                        "Release the contact first.",
                    );
                }
                self.api(Request::LogoutCampaign { user }, Pending::Command);
            }
            Command::Pause { break_id } => {
                self.no_call("pauseInCall")?;
                // A break would strand the contact on screen: release or schedule it first.
                if self.contact.is_some() {
                    return Self::refuse(
                        "contactOnScreen",
                        "Libere o agende el contacto antes del descanso.",
                        "Release or schedule the contact before the break.",
                    );
                }
                self.api(
                    Request::Pause {
                        user,
                        break_subtype: break_id,
                    },
                    Pending::Command,
                );
            }
            Command::Unpause => self.api(Request::Unpause { user }, Pending::Command),
            Command::Dial { number } => {
                if self.call.is_some() {
                    return Self::refuse(
                        "busy",
                        "Ya hay un llamado en curso.",
                        "A call is already in progress.",
                    );
                }
                let phone = normalize_number(&number, &self.config.dialing).or_else(|_| {
                    Self::refuse(
                        "noDigits",
                        "El número no tiene dígitos para discar.",
                        "The number has no digits to dial.",
                    )
                })?;
                self.api(Request::Dial { user, phone }, Pending::Command);
                self.poll();
            }
            Command::Hangup => {
                self.need_call()?;
                self.api(Request::Hangup { user }, Pending::Command);
                self.poll();
            }
            Command::SendDtmf { digits } => {
                self.need_call()?;
                if digits.is_empty()
                    || !digits
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    return Self::refuse(
                        "badDtmf",
                        "Los dígitos DTMF son 0 a 9, * y #.",
                        "DTMF digits are 0 to 9, * and #.",
                    );
                }
                // Sent one by one, as the seed asks, in the order typed.
                self.dtmf.extend(digits.chars());
                self.send_next_digit();
            }
            Command::Transfer { target, attended } => {
                self.need_call()?;
                if self.transfer.is_some() {
                    return Self::refuse(
                        "consulting",
                        "Termine la transferencia en curso primero.",
                        "End the transfer in progress first.",
                    );
                }
                let consulted = TransferView::of(&target, attended);
                let request = match (target, attended) {
                    (TransferTarget::Phone(ext) | TransferTarget::User(ext), false) => {
                        Request::BlindTransfer {
                            user,
                            extension: ext,
                        }
                    }
                    (TransferTarget::Phone(ext) | TransferTarget::User(ext), true) => {
                        Request::AttendedTransfer {
                            user,
                            extension: ext,
                        }
                    }
                    (TransferTarget::Queue(queue), false) => {
                        Request::BlindTransferQueue { user, queue }
                    }
                    (TransferTarget::Queue(queue), true) => {
                        Request::AttendedTransferQueue { user, queue }
                    }
                    (TransferTarget::Campaign(campaign), false) => {
                        Request::BlindTransferCampaign { user, campaign }
                    }
                    (TransferTarget::Campaign(_), true) => {
                        return Self::refuse(
                            "attendedCampaign",
                            "A otra campaña sólo se transfiere en forma directa.",
                            "Transfers to a campaign are direct only.",
                        );
                    }
                };
                let pending = if attended {
                    Pending::Consult(consulted)
                } else {
                    Pending::Command
                };
                self.api(request, pending);
            }
            Command::EndTransfer => {
                if self.transfer.is_none() {
                    return Self::refuse(
                        "noTransfer",
                        "No hay una transferencia asistida en curso.",
                        "There is no attended transfer in progress.",
                    );
                }
                // Neotel's Hangup during a consultation cuts only the consulted leg.
                self.transfer = None;
                self.api(Request::Hangup { user }, Pending::Command);
                self.poll();
            }
            Command::StartConference => {
                self.need_call()?;
                self.api(Request::JoinConference { user }, Pending::Command);
            }
            Command::Invite { extension } => self.api(
                Request::InviteParticipant { user, extension },
                Pending::Command,
            ),
            Command::EndConference => {
                let Some(conference) = self.call.as_ref().and_then(|c| c.conference) else {
                    return Self::refuse(
                        "noConference",
                        "No hay una conferencia en curso.",
                        "There is no conference in progress.",
                    );
                };
                self.api(Request::KickAll { user, conference }, Pending::Command);
            }
            Command::Monitor {
                user: monitored,
                mode,
            } => {
                if !self.is_supervisor() {
                    return Self::refuse(
                        "notSupervisor",
                        "Sólo un supervisor puede monitorear.",
                        "Only a supervisor can monitor.",
                    );
                }
                if self.monitoring.is_some() || self.call.is_some() || monitored == user {
                    return Self::refuse(
                        "cannotMonitor",
                        "Ahora no puede monitorear a ese usuario.",
                        "You cannot monitor that user now.",
                    );
                }
                let params = self.config.tasks.monitor_start.fill(&[
                    ("supervisor", &user),
                    ("user", &monitored),
                    ("mode", mode.as_str()),
                ]);
                let id = self.config.tasks.monitor_start.id;
                self.task(
                    id,
                    params,
                    Pending::Monitor(Some(MonitorView {
                        user: monitored,
                        mode,
                    })),
                );
            }
            Command::EndMonitor => {
                if self.monitoring.is_none() {
                    return Self::refuse(
                        "notMonitoring",
                        "No está monitoreando a nadie.",
                        "You are not monitoring anyone.",
                    );
                }
                let params = self
                    .config
                    .tasks
                    .monitor_stop
                    .fill(&[("supervisor", &user)]);
                let id = self.config.tasks.monitor_stop.id;
                self.task(id, params, Pending::Monitor(None));
            }
            Command::SendText {
                channel,
                phone,
                text,
            } => {
                if !self.options.allow_text_message {
                    return Self::refuse(
                        "textOff",
                        "Los mensajes de texto no están habilitados.",
                        "Text messages are not enabled.",
                    );
                }
                let phone = if phone.trim().is_empty() {
                    self.customer_phone()
                } else {
                    phone.trim().to_owned()
                };
                if phone.is_empty() || text.trim().is_empty() {
                    return Self::refuse(
                        "textIncomplete",
                        "Falta el número o el texto del mensaje.",
                        "The message needs a number and a text.",
                    );
                }
                let channel = match channel {
                    TextChannel::Sms => "sms",
                    TextChannel::Whatsapp => "whatsapp",
                };
                let params = self.config.tasks.send_text.fill(&[
                    ("user", &user),
                    ("phone", &phone),
                    ("channel", channel),
                    ("text", &text),
                ]);
                let id = self.config.tasks.send_text.id;
                self.task(id, params, Pending::Text);
            }
            Command::SaveSettings {
                width_px,
                height_px,
                minimize_on_no_match,
                minimize_on_several,
            } => {
                let settings = PanelSettings {
                    width_px,
                    height_px,
                    minimize_on_no_match,
                    minimize_on_several,
                    language: self.settings.language,
                };
                if !settings.is_valid() {
                    return Self::refuse(
                        "badSize",
                        "El ancho va de 200 a 1920 px y el alto de 240 a 2560 px.",
                        "Width goes from 200 to 1920 px and height from 240 to 2560 px.",
                    );
                }
                if settings.width_px != self.settings.width_px {
                    self.effect(
                        CrmAction::SetSoftphonePanelWidth {
                            width_px: settings.width_px,
                        },
                        PendingEffect::Other,
                    );
                }
                if settings.height_px != self.settings.height_px {
                    self.effect(
                        CrmAction::SetSoftphonePanelHeight {
                            height_px: settings.height_px,
                        },
                        PendingEffect::Other,
                    );
                }
                self.settings = settings;
            }
            Command::SetLanguage { language } => {
                self.settings.language = language;
                // The utility bar's label is in the agent's language too.
                self.last_status = None;
            }
            Command::SyncRecord => {
                if !self
                    .contact
                    .as_ref()
                    .is_some_and(|c| c.sync_id.is_some() && c.record.is_none())
                {
                    return Self::refuse(
                        "nothingToSync",
                        "No hay un registro nuevo para sincronizar.",
                        "There is no new record to sync.",
                    );
                }
                self.effect(CrmAction::GetAppViewInfo, PendingEffect::SyncPage);
            }
            Command::Draft {
                contact,
                subcategory,
                notes,
                at,
                phone,
            } => {
                let c = self.contact_for(Some(contact))?;
                if c.released || c.last_update.is_some() {
                    return Self::refuse(
                        "alreadyReleased",
                        "El contacto ya fue liberado.",
                        "The contact was already released.",
                    );
                }
                c.draft = Draft {
                    subcategory,
                    notes,
                    schedule_at: at,
                    schedule_phone: phone,
                };
            }
            Command::Release {
                subcategory,
                notes,
                contact,
            } => {
                let c = self.contact_for(contact)?;
                if !c.released && c.last_update.is_none() {
                    c.draft.subcategory = subcategory;
                    c.draft.notes.clone_from(&notes);
                }
                self.release(subcategory, notes, None)?;
            }
            Command::Schedule {
                at,
                agent_offset_minutes,
                subcategory,
                phone,
                notes,
                contact,
            } => {
                let c = self.contact_for(contact)?;
                if !c.released && c.last_update.is_none() {
                    c.draft = Draft {
                        subcategory,
                        notes: notes.clone(),
                        schedule_at: at,
                        schedule_phone: phone.clone(),
                    };
                }
                let Some(agent_at) = at else {
                    return Self::refuse(
                        "noScheduleDate",
                        "Elija la fecha y la hora de la agenda.",
                        "Choose the schedule's date and time.",
                    );
                };
                // The agent's wall time → UTC → Neotel's wall time, which `FECHA_AGENDA` is in.
                let at = agent_at - chrono::Duration::minutes(agent_offset_minutes)
                    + chrono::Duration::minutes(self.config.neotel_utc_offset_minutes);
                if at <= self.wall() {
                    return Self::refuse(
                        "pastSchedule",
                        "La fecha de la agenda ya pasó.",
                        "The schedule is in the past.",
                    );
                }
                self.release(
                    subcategory,
                    notes,
                    Some((
                        Schedule {
                            at,
                            user: user.clone(),
                            phone,
                        },
                        agent_at,
                    )),
                )?;
            }
            Command::Play => {
                if let Some(c) = &self.contact
                    && !c.released
                {
                    return Self::refuse(
                        "notReleased",
                        "Libere o categorice el contacto antes de continuar.",
                        "Release or categorize the contact first.",
                    );
                }
                self.api(Request::CrmAvailable { user }, Pending::Available);
            }
            Command::PickRecord { id } => {
                let Some(c) = self.contact.as_mut() else {
                    return Self::refuse(
                        "noContact",
                        "No hay un contacto en pantalla.",
                        "There is no contact on screen.",
                    );
                };
                let Some(m) = c.candidates.iter().find(|m| m.id == id).cloned() else {
                    return Self::refuse(
                        "unknownRecord",
                        "Ese registro no está entre los encontrados.",
                        "That record is not among the matches.",
                    );
                };
                c.candidates.clear();
                c.record = Some(RecordView {
                    id: m.id.clone(),
                    object_type: m.object_type.clone(),
                    name: m.name,
                });
                self.effect(
                    CrmAction::ScreenPop {
                        pop_type: "sobject",
                        params: json!({ "recordId": m.id }),
                    },
                    PendingEffect::Pop,
                );
                self.write_external();
                self.update_saved_task();
            }
        }
        Ok(())
    }

    /// Refuses a command during a call.
    fn no_call(&self, key: &'static str) -> Result<(), SessionError> {
        if self.call.is_some() {
            return Self::refuse(key, "Termine el llamado primero.", "End the call first.");
        }
        Ok(())
    }

    /// The contact on screen, when it is the one `handle` names (a command typed for one
    /// contact never lands on the next); no handle: whichever is on screen.
    fn contact_for(&mut self, handle: Option<u64>) -> Result<&mut ContactState, SessionError> {
        match self.contact.as_mut() {
            None => Self::refuse(
                "noContact",
                "No hay un contacto en pantalla.",
                "There is no contact on screen.",
            ),
            Some(c) if handle.is_some_and(|h| h != c.handle) => Self::refuse(
                "otherContact",
                "Ese contacto ya no está en pantalla.",
                "That contact is no longer on screen.",
            ),
            Some(c) => Ok(c),
        }
    }

    fn release(
        &mut self,
        subcategory: Option<i64>,
        notes: String,
        schedule: Option<(Schedule, NaiveDateTime)>,
    ) -> Result<(), SessionError> {
        let user = self.config.user.clone();
        let allow_plain = self.options.allow_contact_release;
        let categories = self.lists.categories.clone();
        let Some(c) = self.contact.as_mut() else {
            return Self::refuse(
                "noContact",
                "No hay un contacto para liberar.",
                "There is no contact to release.",
            );
        };
        if c.released {
            return Self::refuse(
                "alreadyReleased",
                "El contacto ya fue liberado.",
                "The contact was already released.",
            );
        }
        if c.last_update.is_some() {
            return Self::refuse(
                "releasing",
                "La liberación está en curso.",
                "The release is in progress.",
            );
        }
        if subcategory.is_none() && schedule.is_none() && !allow_plain {
            return Self::refuse(
                "categoryRequired",
                "Elija una categoría para liberar el contacto.",
                "Choose a category to release the contact.",
            );
        }
        c.disposition = subcategory
            .and_then(|id| categories.iter().find(|ch| ch.id == id))
            .map(|ch| match &ch.group {
                Some(g) => format!("{g} / {}", ch.name),
                None => ch.name.clone(),
            });
        let (schedule, callback) = schedule.unzip();
        let request = Request::UpdateContact {
            crm: c.contact.crm,
            user,
            base: c.contact.base,
            contact_id: c.contact.id,
            data: c.contact.data.clone(),
            subcategory: subcategory.unwrap_or(0),
            xml_update: notes,
            schedule,
        };
        c.last_update = Some((request.clone(), callback));
        c.retries = 0;
        self.timers.remove(&Timer::AutoRelease);
        self.api(request, Pending::Update { callback });
        Ok(())
    }

    // ----- NeoApi answers --------------------------------------------------------------

    fn api_result(&mut self, id: ApiId, result: ApiResult) {
        let Some(why) = self.pending.remove(&id.0) else {
            return;
        };
        match why {
            Pending::Poll => {
                self.poll_in_flight = false;
                let delay = self.poll_delay();
                self.timers.insert(Timer::Poll, self.now + delay);
                match result {
                    Ok(Reply::String(text)) => match Position::parse(&text) {
                        Ok(p) => self.position(p),
                        Err(e) => {
                            self.error = Some(Message::new(
                                "badPosition",
                                format!("Respuesta de Neotel ilegible: {e}"),
                                format!("Unreadable answer from Neotel: {e}"),
                            ));
                        }
                    },
                    Ok(other) => {
                        self.error = Some(Message::new(
                            "badPosition",
                            format!("Respuesta de Neotel inesperada: {other:?}"),
                            format!("Unexpected answer from Neotel: {other:?}"),
                        ));
                    }
                    Err(e) if e.fault_kind() == Some(FaultKind::NotLogged) => {
                        self.ended = true;
                        self.timers.clear();
                        self.outputs.push_back(Output::Ended);
                    }
                    Err(e) => self.error = Some(fault_message(&e)),
                }
            }
            Pending::List(kind) => match result {
                Ok(Reply::String(text)) => match decode_table(&text) {
                    Ok(rows) if kind == ListKind::Users => {
                        let me = self.config.user.clone();
                        let mut users = Vec::with_capacity(rows.len());
                        for row in &rows {
                            match agent_choice(row) {
                                Some(u) if u.user == me => self.supervisor = u.supervisor,
                                Some(u) => users.push(u),
                                None => {}
                            }
                        }
                        let users: Arc<[AgentChoice]> = users.into();
                        if *self.lists.users != *users {
                            self.lists_mut().users = users;
                        }
                    }
                    Ok(rows) => {
                        let rows = rows.iter().filter_map(|r| choice(kind, r)).collect();
                        self.set_list(kind, rows);
                    }
                    Err(e) => self.notify(
                        Message::new(
                            "badList",
                            format!("Una lista de Neotel es ilegible: {e}"),
                            format!("A Neotel list is unreadable: {e}"),
                        ),
                        Scope::Session,
                    ),
                },
                Ok(_) => {}
                Err(e) => self.notify(fault_message(&e), Scope::Session),
            },
            Pending::Command => {
                if let Err(e) = result {
                    self.error = Some(fault_message(&e));
                }
                self.poll();
            }
            Pending::Monitor(next) => match result {
                Ok(_) => self.monitoring = next,
                // The fault names the monitored user, not this session's.
                Err(e) if e.fault_kind() == Some(FaultKind::NotLogged) => {
                    self.error = Some(message(
                        "monitoredNotLogged",
                        "Ese usuario no está conectado a Neotel.",
                        "That user is not logged into Neotel.",
                    ));
                }
                Err(e) => self.error = Some(fault_message(&e)),
            },
            Pending::Dtmf => match result {
                Ok(_) => self.send_next_digit(),
                Err(e) => {
                    let unsent: String = self.dtmf.drain(..).collect();
                    let why = fault_message(&e);
                    self.error = Some(if unsent.is_empty() {
                        why
                    } else {
                        Message::new(
                            "dtmfNotSent",
                            format!("{} No se enviaron los dígitos {unsent}.", why.es),
                            format!("{} Digits {unsent} were not sent.", why.en),
                        )
                    });
                }
            },
            Pending::Text => match result {
                Ok(_) => {
                    let until = Scope::Until(self.now + BRIEF);
                    self.notify(
                        message("textSent", "Mensaje enviado.", "Message sent."),
                        until,
                    );
                }
                Err(e) => self.error = Some(fault_message(&e)),
            },
            Pending::FindContact {
                number,
                record,
                crm,
            } => {
                let found = match &result {
                    Ok(Reply::String(text)) => decode_table(text)
                        .ok()
                        .and_then(|rows| rows.into_iter().next())
                        .and_then(|row| {
                            let int = |k: &str| {
                                row.get(k).and_then(|v| {
                                    v.as_i64()
                                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                                })
                            };
                            Some(ContactRef {
                                crm,
                                base: int("BASE")?,
                                id: int("IDCONTACTO")?,
                                data: row
                                    .get("DATA")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_owned(),
                            })
                        }),
                    _ => None,
                };
                match found {
                    Some(contact) if self.contact.is_none() => self.take_contact(contact, record),
                    // The call matters more than the contact: it is dialed either way.
                    _ if result.is_err() => self.notify(
                        message(
                            "contactLookupFailed",
                            "No se pudo consultar el contacto en Neotel: se llama sin contacto.",
                            "Neotel could not be asked for the contact: calling without one.",
                        ),
                        Scope::Until(self.now + BRIEF),
                    ),
                    _ => self.notify(contact_not_found(), Scope::Until(self.now + BRIEF)),
                }
                self.dial_clicked(number);
            }
            Pending::Consult(transfer) => {
                match result {
                    Ok(_) if self.call.is_some() => self.transfer = Some(transfer),
                    Ok(_) => {}
                    Err(e) => self.error = Some(fault_message(&e)),
                }
                self.poll();
            }
            Pending::Showing => {
                if let Err(e) = result {
                    self.error = Some(fault_message(&e));
                }
            }
            Pending::Update { callback } => self.update_result(result, callback),
            Pending::Available => match result {
                Ok(_) => {
                    self.contact = None;
                    self.notices.retain(|n| n.scope != Scope::Contact);
                    let lists = self.lists_mut();
                    lists.categories.clear();
                    lists.transfer_phones.clear();
                    self.poll();
                }
                Err(e) => self.error = Some(fault_message(&e)),
            },
        }
    }

    fn update_result(&mut self, result: ApiResult, callback: Option<NaiveDateTime>) {
        let schedule = callback.is_some();
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        match result {
            Ok(_) => {
                c.released = true;
                c.scheduled = schedule;
                c.callback = callback;
                c.last_update = None;
                self.forget("retrying");
                self.save_task();
                // A scheduled contact needs no Play (F-AGENDA, F-PLAY): the core frees the agent.
                if schedule {
                    let user = self.config.user.clone();
                    self.api(Request::CrmAvailable { user }, Pending::Available);
                }
            }
            Err(e) => {
                let retryable = e.fault().is_none();
                if retryable && c.retries < RETRY_LIMIT {
                    c.retries += 1;
                    let backoff = Duration::from_secs(1 << c.retries);
                    self.timers.insert(Timer::RetryUpdate, self.now + backoff);
                    self.notify(
                        message(
                            "retrying",
                            "No se pudo guardar la gestión en Neotel; reintentando.",
                            "The disposition could not be saved in Neotel; retrying.",
                        ),
                        Scope::Contact,
                    );
                } else {
                    // Nothing is dropped: the contact stays, the agent sees why and can retry.
                    c.last_update = None;
                    self.error = Some(fault_message(&e));
                }
            }
        }
    }

    fn set_list(&mut self, kind: ListKind, rows: Vec<Choice>) {
        let lists = self.lists_mut();
        match kind {
            ListKind::Breaks => lists.breaks = rows,
            ListKind::Campaigns => lists.campaigns = rows,
            ListKind::Categories => lists.categories = rows,
            ListKind::TransferPhones => lists.transfer_phones = rows,
            ListKind::Queues => lists.queues = rows,
            ListKind::Users => {
                // A fixed list says nothing of who is logged in: Neotel decides.
                lists.users = rows
                    .into_iter()
                    .map(|r| AgentChoice {
                        user: r.id.to_string(),
                        name: r.name,
                        supervisor: false,
                        state: Message::new("userState", "", ""),
                        transfer: true,
                        invite: true,
                        monitor: true,
                    })
                    .collect();
            }
        }
    }

    fn lists_mut(&mut self) -> &mut Lists {
        Arc::make_mut(&mut self.lists)
    }

    // ----- Position --------------------------------------------------------------------

    fn position(&mut self, p: Position) {
        self.campaign = p.outbound_campaign();
        self.break_id = p.break_subtype();
        // The call: up, or gone.
        match p.call_id() {
            Some(id) => {
                let inbound = matches!(p.direction(), Some(Direction::Inbound));
                let started = self
                    .call
                    .as_ref()
                    .filter(|c| c.id == id)
                    .map_or(self.now, |c| c.started);
                let manual = self
                    .contact
                    .as_ref()
                    .is_none_or(|c| c.call.as_ref().is_none_or(|cc| cc.id != id))
                    && p.contact().is_none();
                self.call = Some(CallState {
                    id,
                    phone: p.customer_phone().to_owned(),
                    inbound,
                    bridged: p.is_bridged(),
                    manual,
                    conference: p.conference(),
                    started,
                });
            }
            None => {
                self.transfer = None;
                if let Some(ended) = self.call.take() {
                    self.call_ended(ended);
                }
            }
        }
        // The contact the dialer delivered.
        if let Some(contact) = p.contact()
            && matches!(
                p.crm_state(),
                neotel_api::CrmState::GetContact | neotel_api::CrmState::ShowingContact
            )
            && self
                .contact
                .as_ref()
                .is_none_or(|c| c.contact.id != contact.id || c.contact.base != contact.base)
        {
            self.contact_delivered(&p, contact);
        }
        if let (Some(c), Some(call)) = (self.contact.as_mut(), self.call.as_ref())
            && !c.released
        {
            c.call = Some(call.clone());
        }
        // W-PREDICTIVE: search once the agent answers; W-PREVIEW and inbound: right away.
        let predictive = matches!(p.dialer_type(), neotel_api::DialerType::Predictive);
        if let Some(c) = &self.contact
            && !c.searched
            // A contact already released is not searched (nor shown) after the fact.
            && !c.released
            && (!predictive || c.inbound || p.is_bridged() || self.call.is_none())
        {
            self.search();
        }
        self.position = Some(p);
    }

    fn contact_delivered(&mut self, p: &Position, contact: ContactRef) {
        let inbound = matches!(p.direction(), Some(Direction::Inbound)) || p.queue().is_some();
        // W-INBOUND: CLAVESF = idContacto-Data, split at the first '-'. W-PRIVATE: nothing after it.
        let (key, private) = if inbound {
            match contact.data.split_once('-') {
                Some((_, rest)) => (rest.to_owned(), rest.is_empty()),
                None => (contact.data.clone(), contact.data.is_empty()),
            }
        } else {
            (contact.data.clone(), contact.data.is_empty())
        };
        let mut values = NeotelValues::new();
        let mut put = |d: NeotelData, v: String| {
            if !v.is_empty() && v != "0" {
                values.insert(d, v);
            }
        };
        put(
            NeotelData::CallCampaign,
            p.campaign().map(|c| c.to_string()).unwrap_or_default(),
        );
        put(NeotelData::CallDialer, p.dialer_type().as_str().to_owned());
        put(
            NeotelData::CallId,
            p.call_id().map(|c| c.to_string()).unwrap_or_default(),
        );
        put(
            NeotelData::CallQueue,
            p.queue().map(|c| c.to_string()).unwrap_or_default(),
        );
        put(NeotelData::CallReason, p.origin().to_owned());
        put(NeotelData::PhoneNumber, p.customer_phone().to_owned());
        put(NeotelData::ContactBaseId, contact.base.to_string());
        put(NeotelData::CampaignCrmId, p.outbound_crm().to_string());
        put(NeotelData::CampaignBaseId, p.outbound_base().to_string());
        put(
            NeotelData::UserOutCampaign,
            p.outbound_campaign()
                .map(|c| c.to_string())
                .unwrap_or_default(),
        );
        put(NeotelData::CrmId, contact.crm.to_string());
        put(NeotelData::ContactId, contact.id.to_string());
        put(NeotelData::CrmKey, key.clone());
        if let Some(lists) = self.config.lists_task {
            self.task(
                lists,
                vec!["categories".into(), contact.crm.to_string()],
                Pending::List(ListKind::Categories),
            );
            if let Some(campaign) = p.campaign().or(p.outbound_campaign()) {
                self.task(
                    lists,
                    vec!["transferPhones".into(), campaign.to_string()],
                    Pending::List(ListKind::TransferPhones),
                );
            }
        }
        self.new_contact(ContactState {
            private,
            inbound,
            call: self.call.clone(),
            ..ContactState::new(0, contact, key, values)
        });
    }

    /// A new contact on screen: nothing of the last one stays (its notices, its draft).
    fn new_contact(&mut self, mut c: ContactState) {
        self.contact_seq += 1;
        c.handle = self.contact_seq;
        self.notices.retain(|n| n.scope != Scope::Contact);
        self.contact = Some(c);
    }

    /// The contact W-CLICK2DIAL's search found: held like a delivered one, its record known.
    fn take_contact(&mut self, contact: ContactRef, record: RecordView) {
        let key = contact.data.clone();
        let mut values = NeotelValues::default();
        values.insert(NeotelData::ContactId, contact.id.to_string());
        values.insert(NeotelData::ContactBaseId, contact.base.to_string());
        values.insert(NeotelData::CrmId, contact.crm.to_string());
        values.insert(NeotelData::CrmKey, key.clone());
        if let Some(lists) = self.config.lists_task {
            self.task(
                lists,
                vec!["categories".into(), contact.crm.to_string()],
                Pending::List(ListKind::Categories),
            );
        }
        // Neotel did not deliver it: no CRM_ShowingContact (Neotel refuses it for a contact
        // its dialer did not hand over); UpdateContact names the contact itself.
        self.new_contact(ContactState {
            delivered: false,
            searched: true,
            candidate_names: vec![(record.id.clone(), record.name.clone())],
            record: Some(record),
            ..ContactState::new(0, contact, key, values)
        });
    }

    /// The record becomes the contact's (W-SYNC, or one of the search's matches opened in
    /// Salesforce): its Neotel data is written, and the call's Task, if saved, is filed under it.
    fn link_record(&mut self, record: RecordView) {
        if let Some(c) = self.contact.as_mut() {
            c.candidates.clear();
            c.record = Some(record);
        }
        self.forget("newRecord");
        self.forget("noSyncRecord");
        self.write_external();
        self.update_saved_task();
    }

    /// The contact may be linked to `record` at once: it is one of the records the search
    /// found. The new record popped for it is linked only once its `neoSyncId__c` is read.
    fn may_link(&self, record_id: &str) -> bool {
        self.contact.as_ref().is_some_and(|c| {
            c.record.is_none()
                && !c.released
                && c.candidate_names.iter().any(|(id, _)| id == record_id)
        })
    }

    /// Reads a record's fields through `NeotelDataRetrieval.get{Object}ById`.
    fn read_record(&mut self, record: &RecordView, why: PendingEffect) {
        self.effect(
            CrmAction::RunApex {
                apex_class: "NeotelDataRetrieval",
                method_name: format!("get{}ById", record.object_type),
                method_params: format!("Id={}", record.id),
            },
            why,
        );
    }

    /// Whom the customer is: the call's number, else the contact's.
    fn customer_phone(&self) -> String {
        self.call
            .as_ref()
            .map(|c| c.phone.clone())
            .or_else(|| {
                self.contact
                    .as_ref()
                    .and_then(|c| c.last_call.as_ref().map(|l| l.phone.clone()))
            })
            .unwrap_or_default()
    }

    /// The session's user is a supervisor in the users list.
    fn is_supervisor(&self) -> bool {
        self.supervisor
    }

    fn new_record_fields(&mut self) -> Map<String, Value> {
        let mut fields = self
            .contact
            .as_ref()
            .map(|c| self.options.default_new_row.apply(&c.values))
            .unwrap_or_default();
        // W-SYNC: a fresh neoSyncId__c, deterministic from the session's seed.
        self.sync_counter += 1;
        let sync = self
            .config
            .sync_seed
            .wrapping_mul(1_000_000)
            .wrapping_add(self.sync_counter)
            % 1_000_000_000_000_000_000;
        fields.insert("neoSyncId__c".into(), json!(sync.to_string()));
        fields
    }

    fn search(&mut self) {
        let fields = self.new_record_fields();
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        c.searched = true;
        let call_type = if c.inbound {
            CallType::Inbound
        } else {
            CallType::Outbound
        };
        if c.private {
            let pop = pop_without_search(&self.layout, call_type, &fields);
            self.apply_pop(pop);
            return;
        }
        let search = c.key.clone();
        self.effect(
            CrmAction::SearchAndScreenPop {
                search_params: search,
                call_type: call_type.as_str(),
                default_field_values: fields,
                deferred: true,
            },
            PendingEffect::Search,
        );
    }

    fn apply_pop(&mut self, pop: ScreenPop) {
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        match pop {
            ScreenPop::Nothing => {}
            ScreenPop::Record { id, object_type } => {
                let name = c
                    .candidate_names
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                c.record = Some(RecordView {
                    id: id.clone(),
                    object_type,
                    name,
                });
                self.effect(
                    CrmAction::ScreenPop {
                        pop_type: "sobject",
                        params: json!({ "recordId": id }),
                    },
                    PendingEffect::Pop,
                );
                self.write_external();
            }
            ScreenPop::NewRecord {
                object_type,
                fields,
            } => {
                c.sync_id = fields
                    .get("neoSyncId__c")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if self.settings.minimize_on_no_match {
                    self.effect(
                        CrmAction::SetSoftphonePanelVisibility { visible: false },
                        PendingEffect::Other,
                    );
                }
                self.effect(
                    CrmAction::ScreenPop {
                        pop_type: "newRecord",
                        params: json!({ "entityName": object_type, "defaultFieldValues": fields }),
                    },
                    PendingEffect::Pop,
                );
                self.notify(
                    message(
                        "newRecord",
                        "Guarde el registro nuevo y vuelva al softphone para sincronizarlo.",
                        "Save the new record, then come back to the softphone to sync it.",
                    ),
                    Scope::Contact,
                );
            }
            ScreenPop::SearchPage { search } => {
                if self.settings.minimize_on_several {
                    self.effect(
                        CrmAction::SetSoftphonePanelVisibility { visible: false },
                        PendingEffect::Other,
                    );
                }
                self.effect(
                    CrmAction::ScreenPop {
                        pop_type: "search",
                        params: json!({ "searchString": search }),
                    },
                    PendingEffect::Pop,
                );
            }
            ScreenPop::AgentPicks(candidates) => c.candidates = candidates,
        }
        self.showing();
    }

    /// `CRM_ShowingContact` once the contact is on screen.
    fn showing(&mut self) {
        let user = self.config.user.clone();
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        // Once released, Neotel has moved past the contact: showing it would undo that.
        if c.showing_sent || c.released || !c.delivered {
            return;
        }
        c.showing_sent = true;
        let request = Request::CrmShowingContact {
            user,
            base: c.contact.base,
            contact_id: c.contact.id,
            data: c.contact.data.clone(),
        };
        self.api(request, Pending::Showing);
    }

    /// W-EXTERNAL: the matched record takes the call's Neotel data.
    fn write_external(&mut self) {
        let Some(c) = &self.contact else { return };
        let Some(r) = &c.record else { return };
        if let Some(value) = record_update(&r.id, &self.options.external_data, &c.values) {
            self.effect(CrmAction::SaveLog { value }, PendingEffect::Other);
        }
    }

    fn call_ended(&mut self, call: CallState) {
        // Digits typed for this call are not for the next one.
        self.dtmf.clear();
        let duration = self.now.saturating_duration_since(call.started).as_secs();
        if let Some(c) = self.contact.as_mut()
            && c.call.as_ref().is_some_and(|cc| cc.id == call.id)
        {
            c.last_call = Some(LastCall {
                id: call.id,
                duration_secs: duration,
                phone: call.phone.clone(),
                manual: call.manual,
            });
            c.call = None;
        }
        if self.contact.is_some() {
            self.save_task();
            if let Some(secs) = self.options.automatic_release {
                self.timers.insert(
                    Timer::AutoRelease,
                    self.now + Duration::from_secs(u64::from(secs)),
                );
            }
        } else if self.options.save_activity_log {
            // A manual call without a contact still leaves its Task (F-MANUAL).
            let record = CallRecord {
                call_type: if call.inbound {
                    CallType::Inbound
                } else {
                    CallType::Outbound
                },
                call_id: call.id,
                phone: call.phone,
                duration_secs: duration,
                disposition: None,
                notes: String::new(),
                manual: call.manual,
                record: None,
                date: self.today(),
            };
            self.effect(
                CrmAction::SaveLog {
                    value: task_create(&record, &self.options),
                },
                PendingEffect::Other,
            );
        }
    }

    /// The call's Task as it stands (W-ACTIVITY), or `None` before the call ended.
    fn call_record(&self) -> Option<CallRecord> {
        let c = self.contact.as_ref()?;
        let call = c.last_call.as_ref()?;
        let mut disposition = c.disposition.clone();
        if let Some(at) = c.callback {
            // The Task says when the customer is called back, whatever the description setting.
            let when = format!("Agenda {}", at.format("%d/%m/%Y %H:%M"));
            disposition = Some(match disposition {
                Some(d) => format!("{d} · {when}"),
                None => when,
            });
        }
        Some(CallRecord {
            call_type: if c.inbound {
                CallType::Inbound
            } else {
                CallType::Outbound
            },
            call_id: call.id,
            phone: call.phone.clone(),
            duration_secs: call.duration_secs,
            disposition,
            notes: c.draft.notes.clone(),
            manual: call.manual,
            record: c.record.as_ref().map(|r| LinkedRecord {
                id: r.id.clone(),
                object_type: r.object_type.clone(),
            }),
            date: self.today(),
        })
    }

    /// W-ACTIVITY: creates the call's Task, or updates it once created; one Task per call.
    fn save_task(&mut self) {
        if !self.options.save_activity_log {
            return;
        }
        let Some(record) = self.call_record() else {
            return;
        };
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        let value = match &c.task {
            TaskSave::Saved(id) => task_update(id, &record, &self.options),
            // The answer of the creation (or of its look-up) brings the id, then the update.
            TaskSave::Creating | TaskSave::LookingUp | TaskSave::Unknown => return,
            TaskSave::NotSaved => {
                c.task = TaskSave::Creating;
                task_create(&record, &self.options)
            }
        };
        self.effect(CrmAction::SaveLog { value }, PendingEffect::Task);
    }

    /// After the contact's record changed: the Task, if saved, follows it.
    fn update_saved_task(&mut self) {
        if self
            .contact
            .as_ref()
            .is_some_and(|c| matches!(c.task, TaskSave::Saved(_)))
        {
            self.save_task();
        }
    }

    /// A Task creation whose answer was lost may have happened: Salesforce is asked (through
    /// `NeotelDataRetrieval.getTaskByCallObject`) before `create` runs again. `contact` is the
    /// handle of the contact it was for, when it was for one.
    fn look_up_task(&mut self, contact: Option<u64>, create: Map<String, Value>) {
        let call = create
            .get("CallObject")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(c) = self.contact.as_mut().filter(|c| Some(c.handle) == contact) {
            c.task = TaskSave::LookingUp;
        }
        self.effect(
            CrmAction::RunApex {
                apex_class: "NeotelDataRetrieval",
                method_name: "getTaskByCallObject".into(),
                method_params: format!("CallObject={call}"),
            },
            PendingEffect::TaskLookup { create },
        );
    }

    /// W-ACTIVITY: a Task Salesforce did not save is tried again while its contact is on
    /// screen; a creation whose answer was lost is first looked up; when nothing works the
    /// agent is told, so the call can be checked or logged by hand.
    fn task_failed(&mut self, e: &CrmError, sent: &SentEffect) {
        let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        else {
            return;
        };
        let creating = c.task == TaskSave::Creating;
        if creating {
            c.task = TaskSave::NotSaved;
        }
        if let (true, "TIMEOUT", CrmAction::SaveLog { value }) =
            (creating, e.code.as_str(), &sent.action)
        {
            let (handle, value) = (c.handle, value.clone());
            self.look_up_task(Some(handle), value);
            return;
        }
        if c.task_retries < RETRY_LIMIT {
            c.task_retries += 1;
            let backoff = Duration::from_secs(1 << c.task_retries);
            self.timers.insert(Timer::RetryTask, self.now + backoff);
            self.notify(
                message(
                    "taskRetrying",
                    "Salesforce no guardó la actividad de la llamada; reintentando.",
                    "Salesforce did not save the call's activity; retrying.",
                ),
                Scope::Contact,
            );
        } else {
            self.forget("taskRetrying");
            self.error = Some(Message::new(
                "taskNotSaved",
                format!(
                    "Salesforce no guardó la actividad de la llamada ({}); regístrela a mano.",
                    e.description
                ),
                format!(
                    "Salesforce did not save the call's activity ({}); log it by hand.",
                    e.description
                ),
            ));
        }
    }

    /// The look-up of a Task creation whose answer was lost.
    fn task_looked_up(
        &mut self,
        result: Result<Value, CrmError>,
        sent: &SentEffect,
        create: Map<String, Value>,
    ) {
        let found = result.as_ref().ok().map(|v| {
            apex_records(v)
                .into_iter()
                .find_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
        });
        let Some(c) = self
            .contact
            .as_mut()
            .filter(|c| Some(c.handle) == sent.contact)
        else {
            // Its contact is gone: the creation is made if it never happened, and that is all.
            if found == Some(None) {
                self.effect(CrmAction::SaveLog { value: create }, PendingEffect::Other);
            }
            return;
        };
        match found {
            Some(Some(id)) => {
                // It happened: that Task is the call's; it gets the latest fields.
                c.task = TaskSave::Saved(id);
                self.save_task();
            }
            Some(None) => {
                c.task = TaskSave::NotSaved;
                self.save_task();
            }
            None => {
                c.task = TaskSave::Unknown;
                let why = result.err().map(|e| e.description).unwrap_or_default();
                self.error = Some(Message::new(
                    "taskUnknown",
                    format!(
                        "No se pudo saber si Salesforce guardó la actividad de la llamada ({why}); revísela."
                    ),
                    format!(
                        "Whether Salesforce saved the call's activity is unknown ({why}); check it."
                    ),
                ));
            }
        }
    }

    // ----- Salesforce ------------------------------------------------------------------

    fn crm_result(&mut self, id: EffectId, result: Result<Value, CrmError>) {
        let Some(sent) = self.effects.remove(&id.0) else {
            return;
        };
        // An answer about a contact no longer on screen (a search, a sync read) is not about
        // the one on screen now.
        let current = self.contact.as_ref().map(|c| c.handle);
        if matches!(
            sent.why,
            PendingEffect::Search
                | PendingEffect::Pop
                | PendingEffect::SyncPage
                | PendingEffect::SyncRecord { .. }
        ) && sent.contact != current
        {
            return;
        }
        // A Task creation without its contact (a manual call's) is still one per call.
        if let (PendingEffect::Other, Err(e), CrmAction::SaveLog { value }) =
            (&sent.why, &result, &sent.action)
            && e.code == "TIMEOUT"
            && is_task_creation(value)
        {
            let value = value.clone();
            self.look_up_task(None, value);
            return;
        }
        match (sent.why.clone(), result) {
            (PendingEffect::Settings, Ok(v)) => {
                let map: BTreeMap<String, String> = v
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                // Only the connector's sections matter here: Salesforce already accepted the rest.
                match CallCenter::from_settings(&map).and_then(|cc| cc.connector_options()) {
                    Ok((options, dialing)) => {
                        self.options = options;
                        self.config.dialing = dialing;
                    }
                    Err(problems) => self.notify(Message::new(
                        "settings",
                        format!("La configuración del centro de llamadas tiene {} problema(s); se usan los valores por defecto.", problems.len()),
                        format!("The call center settings have {} problem(s); defaults are used.", problems.len()),
                    ), Scope::Session),
                }
            }
            (PendingEffect::Layout, Ok(v)) => match SoftphoneLayout::from_json(&v) {
                Ok(layout) => self.layout = layout,
                Err(e) => self.notify(
                    Message::new(
                        "layout",
                        format!("Formato de softphone ilegible: {e}"),
                        format!("Unreadable softphone layout: {e}"),
                    ),
                    Scope::Session,
                ),
            },
            (PendingEffect::Search, Ok(v)) => {
                let fields = self.new_record_fields();
                let (call_type, search) = match &self.contact {
                    Some(c) => (
                        if c.inbound {
                            CallType::Inbound
                        } else {
                            CallType::Outbound
                        },
                        c.key.clone(),
                    ),
                    None => return,
                };
                match parse_search_result(&v) {
                    Ok(matches) => {
                        if let Some(c) = self.contact.as_mut() {
                            c.values.insert(NeotelData::SearchData, search.clone());
                            c.candidate_names = matches
                                .iter()
                                .map(|m| (m.id.clone(), m.name.clone()))
                                .collect();
                        }
                        let pop = decide_screen_pop(
                            &matches,
                            &self.layout,
                            call_type,
                            &self.options.search_priority,
                            &search,
                            &fields,
                        );
                        self.apply_pop(pop);
                    }
                    Err(e) => {
                        self.error = Some(Message::new(
                            "search",
                            format!("La búsqueda en Salesforce falló: {e}"),
                            format!("The Salesforce search failed: {e}"),
                        ));
                        self.showing();
                    }
                }
            }
            (PendingEffect::SyncPage, Ok(v)) => {
                let id = v["recordId"].as_str().unwrap_or_default().to_owned();
                let object_type = v["objectType"].as_str().unwrap_or_default().to_owned();
                if id.is_empty() || !is_neotel_object(&object_type) {
                    self.no_sync_record();
                } else {
                    let record = RecordView {
                        id,
                        object_type,
                        name: v["recordName"].as_str().unwrap_or_default().to_owned(),
                    };
                    self.read_record(
                        &record,
                        PendingEffect::SyncRecord {
                            record: record.clone(),
                            by_hand: true,
                        },
                    );
                }
            }
            (PendingEffect::SyncRecord { record, by_hand }, Ok(v)) => {
                let c = self.contact.as_ref();
                let ours = c
                    .filter(|c| c.record.is_none() && !c.released)
                    .and_then(|c| c.sync_id.clone());
                let theirs = apex_records(&v)
                    .first()
                    .and_then(|r| match &r["neoSyncId__c"] {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
                        _ => None,
                    });
                if ours.is_some() && ours == theirs {
                    self.link_record(record);
                } else if by_hand {
                    self.no_sync_record();
                }
            }
            (PendingEffect::ClickedRecord { number, record }, Ok(v)) => {
                let fields = apex_records(&v).into_iter().next();
                let crm = fields.as_ref().and_then(|r| match &r["neoCrmId__c"] {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                });
                let key = fields
                    .as_ref()
                    .and_then(|r| r["neoCrmData__c"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                match crm {
                    Some(crm) if !key.is_empty() => {
                        let params = self
                            .config
                            .tasks
                            .find_contact
                            .fill(&[("crm", &crm.to_string()), ("key", &key)]);
                        let id = self.config.tasks.find_contact.id;
                        self.task(
                            id,
                            params,
                            Pending::FindContact {
                                number,
                                record,
                                crm,
                            },
                        );
                    }
                    _ => {
                        self.notify(contact_not_found(), Scope::Until(self.now + BRIEF));
                        self.dial_clicked(number);
                    }
                }
            }
            (PendingEffect::ClickedRecord { number, .. }, Err(_)) => {
                // The search is a nicety: the click still dials.
                self.dial_clicked(number);
            }
            (PendingEffect::Task, Ok(v)) => {
                let mut created = false;
                if let Some(c) = self
                    .contact
                    .as_mut()
                    .filter(|c| Some(c.handle) == sent.contact)
                {
                    c.task_retries = 0;
                    if c.task == TaskSave::Creating
                        && let Some(id) = v.as_str()
                    {
                        c.task = TaskSave::Saved(id.to_owned());
                        created = true;
                    }
                }
                self.forget("taskRetrying");
                // A disposition chosen while the Task was being created goes in now.
                if created && self.contact.as_ref().is_some_and(|c| c.released) {
                    self.save_task();
                }
            }
            (PendingEffect::TaskLookup { create }, result) => {
                self.task_looked_up(result, &sent, create);
            }
            (PendingEffect::Pop | PendingEffect::Other, Ok(_)) => {}
            (PendingEffect::Task, Err(e)) => self.task_failed(&e, &sent),
            (kind, Err(e)) => {
                if matches!(kind, PendingEffect::Search) {
                    self.showing();
                }
                self.error = Some(Message::new(
                    "salesforce",
                    format!(
                        "Salesforce no pudo completar la operación: {}",
                        e.description
                    ),
                    format!(
                        "Salesforce could not complete the operation: {}",
                        e.description
                    ),
                ));
            }
        }
    }

    /// The number a click (or a click-to-dial search) dials: a refusal is said, not dropped.
    fn dial_clicked(&mut self, number: String) {
        if let Err(SessionError::Refused(m)) = self.command(Command::Dial { number }) {
            self.error = Some(m);
        }
    }

    /// W-SYNC: no saved record carries the pre-filled `neoSyncId__c` yet.
    fn no_sync_record(&mut self) {
        // It says what the new-record notice said, and more.
        self.forget("newRecord");
        let id = self
            .contact
            .as_ref()
            .and_then(|c| c.sync_id.clone())
            .unwrap_or_default();
        self.notify(
            Message::new(
                "noSyncRecord",
                format!(
                    "Todavía no hay un registro con neoSyncId__c {id}: guarde el registro nuevo, ábralo en Salesforce y vuelva a sincronizar."
                ),
                format!(
                    "No record has neoSyncId__c {id} yet: save the new record, open it in Salesforce and sync again."
                ),
            ),
            Scope::Contact,
        );
    }

    fn salesforce_event(&mut self, e: SalesforceEvent) -> Result<(), SessionError> {
        match e {
            SalesforceEvent::ClickToDial {
                number,
                record_id: Some(id),
                object_type: Some(object_type),
                record_name,
            } if self.options.allow_click_to_dial_search
                && self.contact.is_none()
                && self.call.is_none()
                && is_neotel_object(&object_type) =>
            {
                // W-CLICK2DIAL search: the record's Neotel CRM id and key find the contact first.
                let record = RecordView {
                    id,
                    object_type,
                    name: record_name.unwrap_or_default(),
                };
                self.read_record(
                    &record,
                    PendingEffect::ClickedRecord {
                        number,
                        record: record.clone(),
                    },
                );
                Ok(())
            }
            SalesforceEvent::ClickToDial { number, .. } => self.command(Command::Dial { number }),
            SalesforceEvent::Navigation {
                record_id: Some(id),
                object_type: Some(object_type),
                record_name,
            } => {
                let record = RecordView {
                    id,
                    object_type,
                    name: record_name.unwrap_or_default(),
                };
                let syncing = self
                    .contact
                    .as_ref()
                    .is_some_and(|c| c.record.is_none() && !c.released && c.sync_id.is_some());
                if self.may_link(&record.id) {
                    // One of the search's matches, opened from the search page.
                    self.link_record(record);
                } else if syncing && is_neotel_object(&record.object_type) {
                    // W-SYNC: linked only if it is the new record, by its neoSyncId__c; any
                    // other record the agent opens is never linked or written.
                    self.read_record(
                        &record,
                        PendingEffect::SyncRecord {
                            record: record.clone(),
                            by_hand: false,
                        },
                    );
                }
                Ok(())
            }
            SalesforceEvent::Navigation { .. } => Ok(()),
            SalesforceEvent::PageChanged => {
                self.page_changed();
                Ok(())
            }
        }
    }

    // ----- timers ----------------------------------------------------------------------

    fn timeouts(&mut self) {
        let due: Vec<Timer> = self
            .timers
            .iter()
            .filter(|(_, at)| **at <= self.now)
            .map(|(t, _)| *t)
            .collect();
        for t in due {
            self.timers.remove(&t);
            match t {
                Timer::Poll => self.poll(),
                Timer::AutoRelease => {
                    // A plain release, with the notes the agent typed for this contact.
                    let notes = self
                        .contact
                        .as_ref()
                        .filter(|c| !c.released && c.last_update.is_none())
                        .map(|c| c.draft.notes.clone());
                    if let Some(notes) = notes
                        && let Err(SessionError::Refused(m)) = self.release(None, notes, None)
                    {
                        self.error = Some(m);
                    }
                }
                Timer::RetryTask => self.save_task(),
                Timer::Users => self.read_users(),
                Timer::Notices => {
                    let now = self.now;
                    self.notices
                        .retain(|n| !matches!(n.scope, Scope::Until(t) if t <= now));
                }
                Timer::RetryUpdate => {
                    let request = self.contact.as_ref().and_then(|c| c.last_update.clone());
                    if let Some((r, callback)) = request {
                        self.api(r, Pending::Update { callback });
                    }
                }
            }
        }
    }

    // ----- the view --------------------------------------------------------------------

    fn status(&self) -> AgentStatus {
        match (&self.contact, &self.call) {
            (Some(c), _) if c.released => AgentStatus::Released,
            (Some(_), Some(_)) => AgentStatus::WithContact,
            (Some(_), None) => AgentStatus::WrapUp,
            (None, Some(_)) => AgentStatus::OnCall,
            (None, None) if self.break_id.is_some() => AgentStatus::Paused,
            (None, None) if self.campaign.is_none() => AgentStatus::NoCampaign,
            (None, None) => AgentStatus::Available,
        }
    }

    /// Shows `message` (replacing any with its key) for as long as `scope` says.
    fn notify(&mut self, message: Message, scope: Scope) {
        self.notices.retain(|n| n.message.key != message.key);
        self.notices.push(Notice { message, scope });
        if let Some(at) = self
            .notices
            .iter()
            .filter_map(|n| match n.scope {
                Scope::Until(t) => Some(t),
                _ => None,
            })
            .min()
        {
            self.timers.insert(Timer::Notices, at);
        }
    }

    fn forget(&mut self, key: &str) {
        self.notices.retain(|n| n.message.key != key);
    }

    /// Reads the users list again (F-XFER, F-CONF, F-MONITOR: who is logged in changes).
    fn read_users(&mut self) {
        let in_flight = self
            .pending
            .values()
            .any(|p| matches!(p, Pending::List(ListKind::Users)));
        if let (ListSource::Task { id, params }, false) = (self.config.users.clone(), in_flight) {
            self.users_read_at = Some(self.now);
            self.task(id, params, Pending::List(ListKind::Users));
        }
    }

    /// While a list of users is offered it is kept fresh: read again once it is older than
    /// the refresh period.
    fn keep_users_fresh(&mut self, offered: bool) {
        if !offered {
            self.timers.remove(&Timer::Users);
            return;
        }
        let due = self
            .users_read_at
            .map_or(self.now, |at| at + self.config.users_refresh);
        if due <= self.now {
            self.read_users();
            self.timers
                .insert(Timer::Users, self.now + self.config.users_refresh);
        } else {
            self.timers.insert(Timer::Users, due);
        }
    }

    fn refresh_view(&mut self) {
        let status = self.status();
        if self.last_status != Some(status) {
            self.last_status = Some(status);
            self.effect(
                CrmAction::SetSoftphoneItemLabel {
                    label: status.label().text(self.settings.language).to_owned(),
                },
                PendingEffect::Other,
            );
            self.effect(
                CrmAction::SetSoftphoneItemIcon { key: status.icon() },
                PendingEffect::Other,
            );
        }
        let c = self.contact.as_ref();
        let releasable =
            c.is_some_and(|c| !c.released && c.last_update.is_none()) && self.call.is_none();
        let view = View {
            user: self.config.user.clone(),
            status,
            status_label: status.label(),
            campaign: self.campaign,
            break_id: self.break_id,
            call: self.call.as_ref().map(|call| CallView {
                id: call.id,
                phone: call.phone.clone(),
                direction: if call.inbound { "inbound" } else { "outbound" },
                bridged: call.bridged,
                conference: call.conference,
            }),
            contact: c.map(|c| ContactView {
                handle: c.handle,
                draft: c.draft.clone(),
                record: c.record.clone(),
                candidates: c.candidates.clone(),
                private: c.private,
                released: c.released,
                scheduled: c.scheduled,
            }),
            info: InfoView {
                last_call_id: self.call.as_ref().map_or(0, |c| c.id),
                contact_id: c.map_or(0, |c| c.contact.id),
                base_id: c.map_or(0, |c| c.contact.base),
                crm_id: c.map_or(0, |c| c.contact.crm),
                search_key: c.map(|c| c.key.clone()).unwrap_or_default(),
            },
            lists: self.lists.clone(),
            actions: Actions {
                join_campaign: self.contact.is_none(),
                leave_campaign: self.contact.is_none()
                    && self.call.is_none()
                    && self.campaign.is_some(),
                pause: self.contact.is_none() && self.call.is_none() && self.break_id.is_none(),
                unpause: self.break_id.is_some(),
                dial: self.call.is_none(),
                hangup: self.call.is_some(),
                dtmf: self.call.is_some(),
                categorize: releasable && self.options.allow_categorization,
                release: releasable && self.options.allow_contact_release,
                schedule: releasable,
                // Play once the contact is released, or whenever Neotel holds the agent's CRM
                // (after a reload, say); not while the agent is already available.
                play: self.campaign.is_some()
                    && c.is_none_or(|c| c.released)
                    && (c.is_some()
                        || self.position.as_ref().is_none_or(|p| {
                            !matches!(p.crm_state(), neotel_api::CrmState::Available)
                        })),
                transfer: self.call.is_some() && self.transfer.is_none(),
                end_transfer: self.transfer.is_some(),
                start_conference: self.call.as_ref().is_some_and(|c| c.conference.is_none()),
                invite: self.call.as_ref().is_some_and(|c| c.conference.is_some()),
                end_conference: self.call.as_ref().is_some_and(|c| c.conference.is_some()),
                monitor: self.is_supervisor() && self.monitoring.is_none() && self.call.is_none(),
                end_monitor: self.monitoring.is_some(),
                send_text: self.options.allow_text_message && (self.call.is_some() || c.is_some()),
                sync: c.is_some_and(|c| c.sync_id.is_some() && c.record.is_none()),
            },
            transfer: self.transfer.clone(),
            monitoring: self.monitoring.clone(),
            settings: self.settings,
            sync: c.and_then(|c| {
                c.sync_id.as_ref().map(|id| SyncView {
                    sync_id: id.clone(),
                    linked: c.record.is_some(),
                })
            }),
            auto_release_in_secs: self
                .timers
                .get(&Timer::AutoRelease)
                .map(|at| at.saturating_duration_since(self.now).as_secs()),
            warnings: self.notices.iter().map(|n| n.message.clone()).collect(),
            error: self.error.clone(),
        };
        let a = view.actions;
        self.keep_users_fresh(a.transfer || a.invite || a.monitor);
        if self.last_view.as_ref() != Some(&view) {
            self.last_view = Some(view.clone());
            self.outputs.push_back(Output::View(Box::new(view)));
        }
    }
}

/// The objects `NeotelDataRetrieval` reads.
fn is_neotel_object(object_type: &str) -> bool {
    matches!(object_type, "Contact" | "Account" | "Lead" | "Opportunity")
}

/// The records a `runApex` of `NeotelDataRetrieval` answered (`{"runApex": "[{…}]"}`).
fn apex_records(v: &Value) -> Vec<Map<String, Value>> {
    let list = match &v["runApex"] {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or_default(),
        other => other.clone(),
    };
    list.as_array()
        .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default()
}

/// A `saveLog` that creates a Task (not an update by Id, not a record's Neotel fields).
fn is_task_creation(value: &Map<String, Value>) -> bool {
    !value.contains_key("Id") && value.get("entityApiName").and_then(Value::as_str) == Some("Task")
}

fn contact_not_found() -> Message {
    message(
        "contactNotFound",
        "El registro no tiene un contacto en Neotel: se llama sin contacto.",
        "The record has no Neotel contact: calling without one.",
    )
}

/// A user's `ESTADO` in words, and whether the user can take a transfer or an invitation
/// (free) and be monitored (logged in). The simulator's default list says `Conectado`,
/// `EnLlamada`, `Descanso` or `Desconectado`; another install's own words are shown as they
/// are and left for Neotel to judge.
fn user_state(raw: &str) -> (Message, bool, bool) {
    let norm: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match norm.as_str() {
        "conectado" | "disponible" | "available" | "libre" => {
            (message("free", "Disponible", "Available"), true, true)
        }
        "enllamada" | "oncall" | "ocupado" | "busy" => {
            (message("onCall", "En llamada", "On a call"), false, true)
        }
        "descanso" | "endescanso" | "pausa" | "paused" | "onbreak" => {
            (message("onBreak", "En descanso", "On break"), false, true)
        }
        "desconectado" | "offline" | "loggedout" => {
            (message("offline", "Desconectado", "Offline"), false, false)
        }
        _ => (Message::new("userState", raw, raw), true, true),
    }
}

/// A row of the users list (`USUARIO`, `NOMBRE`, `SUPERVISOR`, `ESTADO`).
fn agent_choice(row: &Map<String, Value>) -> Option<AgentChoice> {
    let text = |k: &str| {
        row.get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    };
    let supervisor = match row.get("SUPERVISOR") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "si" | "sí")
        }
        _ => false,
    };
    let (state, free, logged_in) = user_state(&text("ESTADO").unwrap_or_default());
    Some(AgentChoice {
        user: text("USUARIO")?,
        name: text("NOMBRE").unwrap_or_default(),
        supervisor,
        state,
        transfer: free,
        invite: free,
        monitor: logged_in,
    })
}

/// A row of a `{"Table":[…]}` list as a choice (the simulator's default columns).
fn choice(kind: ListKind, row: &Map<String, Value>) -> Option<Choice> {
    let int = |k: &str| {
        row.get(k).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let text = |k: &str| {
        row.get(k)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
    };
    match kind {
        ListKind::Breaks | ListKind::Campaigns | ListKind::Queues | ListKind::Users => {
            Some(Choice {
                id: int("ID")?,
                name: text("NOMBRE")?,
                group: None,
                schedules: false,
            })
        }
        ListKind::Categories => Some(Choice {
            id: int("IDSUBCATEGORIA")?,
            name: text("SUBCATEGORIA")?,
            group: text("CATEGORIA"),
            schedules: row.get("AGENDA").and_then(Value::as_bool).unwrap_or(false),
        }),
        ListKind::TransferPhones => Some(Choice {
            id: int("INDICE")?,
            name: format!("{} ({})", text("NOMBRE")?, text("TELEFONO")?),
            group: text("TELEFONO"),
            schedules: false,
        }),
    }
}
