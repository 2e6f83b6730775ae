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
    Actions, AgentChoice, AgentStatus, CallView, Choice, ContactView, InfoView, Lists, Message,
    MonitorView, PanelSettings, RecordView, SyncView, TransferView, View,
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
    /// F-RELEASE: with a subcategory, or none (allowContactRelease).
    Release {
        /// Subcategory id.
        subcategory: Option<i64>,
        /// Management notes.
        #[serde(default)]
        notes: String,
    },
    /// F-AGENDA: the agent's local date and time.
    Schedule {
        /// When, as the agent picked it (the agent's wall time).
        at: NaiveDateTime,
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
    SaveSettings(PanelSettings),
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
    Update {
        schedule: bool,
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
    Other,
    /// W-SYNC by hand: the page Salesforce shows.
    SyncPage,
    /// W-SYNC by hand: that record's fields.
    SyncRecord(RecordView),
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

#[derive(Debug, Clone)]
struct ContactState {
    contact: ContactRef,
    key: String,
    private: bool,
    inbound: bool,
    searched: bool,
    showing_sent: bool,
    record: Option<RecordView>,
    candidates: Vec<sf_callcenter::SearchMatch>,
    values: NeotelValues,
    /// The call this contact was delivered with, and its last state.
    call: Option<CallState>,
    last_call: Option<(i64, u64, String, bool)>,
    task_id: Option<String>,
    task_pending: bool,
    /// Failed Task saves retried so far (W-ACTIVITY).
    task_retries: u32,
    /// UpdateContact succeeded.
    released: bool,
    scheduled: bool,
    disposition: Option<String>,
    notes: String,
    retries: u32,
    last_update: Option<Request>,
    /// W-SYNC: the `neoSyncId__c` of the new record popped for this contact.
    sync_id: Option<String>,
    /// Names of the records the search found, by Id.
    candidate_names: Vec<(String, String)>,
}

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
    effects: BTreeMap<u64, PendingEffect>,
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
    /// Shared with the views: a view is built on every input and compared with the last, so
    /// the lists (hundreds of users on a big install) are counted, not copied.
    lists: Arc<Lists>,
    error: Option<Message>,
    warnings: Vec<Message>,
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
            settings: PanelSettings::default(),
            contact: None,
            lists: Arc::default(),
            error: None,
            warnings: Vec::new(),
            last_view: None,
            last_status: None,
            sync_counter: 0,
            ended: false,
        };
        s.effect(CrmAction::GetCallCenterSettings, PendingEffect::Settings);
        s.effect(CrmAction::GetSoftphoneLayout, PendingEffect::Layout);
        s.effect(CrmAction::EnableClickToDial, PendingEffect::Other);
        for (kind, source) in [
            (ListKind::Breaks, s.config.breaks.clone()),
            (ListKind::Campaigns, s.config.campaigns.clone()),
            (ListKind::Queues, s.config.queues.clone()),
            (ListKind::Users, s.config.users.clone()),
        ] {
            match source {
                ListSource::Static(rows) => s.set_list(kind, rows),
                ListSource::Task { id, params } => s.task(id, params, Pending::List(kind)),
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
        self.effects.insert(id, why);
        self.outputs.push_back(Output::Crm(CrmEffect {
            id: EffectId(id),
            action,
        }));
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
            Command::SaveSettings(settings) => {
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
            Command::Release { subcategory, notes } => self.release(subcategory, notes, None)?,
            Command::Schedule {
                at,
                agent_offset_minutes,
                subcategory,
                phone,
                notes,
            } => {
                // The agent's wall time → UTC → Neotel's wall time, which `FECHA_AGENDA` is in.
                let at = at - chrono::Duration::minutes(agent_offset_minutes)
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
                    Some(Schedule {
                        at,
                        user: user.clone(),
                        phone,
                    }),
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
            }
        }
        Ok(())
    }

    fn release(
        &mut self,
        subcategory: Option<i64>,
        notes: String,
        schedule: Option<Schedule>,
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
        c.notes.clone_from(&notes);
        let request = Request::UpdateContact {
            crm: c.contact.crm,
            user,
            base: c.contact.base,
            contact_id: c.contact.id,
            data: c.contact.data.clone(),
            subcategory: subcategory.unwrap_or(0),
            xml_update: notes,
            schedule: schedule.clone(),
        };
        c.last_update = Some(request.clone());
        c.retries = 0;
        self.timers.remove(&Timer::AutoRelease);
        self.api(
            request,
            Pending::Update {
                schedule: schedule.is_some(),
            },
        );
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
                        self.lists_mut().users = rows.iter().filter_map(agent_choice).collect();
                    }
                    Ok(rows) => {
                        let rows = rows.iter().filter_map(|r| choice(kind, r)).collect();
                        self.set_list(kind, rows);
                    }
                    Err(e) => self.warnings.push(Message::new(
                        "badList",
                        format!("Una lista de Neotel es ilegible: {e}"),
                        format!("A Neotel list is unreadable: {e}"),
                    )),
                },
                Ok(_) => {}
                Err(e) => self.warnings.push(fault_message(&e)),
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
                    self.warnings
                        .push(message("textSent", "Mensaje enviado.", "Message sent."));
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
                    _ if result.is_err() => self.warnings.push(message(
                        "contactLookupFailed",
                        "No se pudo consultar el contacto en Neotel: se llama sin contacto.",
                        "Neotel could not be asked for the contact: calling without one.",
                    )),
                    _ => self.warnings.push(message(
                        "contactNotFound",
                        "El registro no tiene un contacto en Neotel: se llama sin contacto.",
                        "The record has no Neotel contact: calling without one.",
                    )),
                }
                let _ = self.command(Command::Dial { number });
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
            Pending::Update { schedule } => self.update_result(result, schedule),
            Pending::Available => match result {
                Ok(_) => {
                    self.contact = None;
                    let lists = self.lists_mut();
                    lists.categories.clear();
                    lists.transfer_phones.clear();
                    self.poll();
                }
                Err(e) => self.error = Some(fault_message(&e)),
            },
        }
    }

    fn update_result(&mut self, result: ApiResult, schedule: bool) {
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        match result {
            Ok(_) => {
                c.released = true;
                c.scheduled = schedule;
                c.last_update = None;
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
                    self.warnings = vec![message(
                        "retrying",
                        "No se pudo guardar la gestión en Neotel; reintentando.",
                        "The disposition could not be saved in Neotel; retrying.",
                    )];
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
                lists.users = rows
                    .into_iter()
                    .map(|r| AgentChoice {
                        user: r.id.to_string(),
                        name: r.name,
                        supervisor: false,
                        state: String::new(),
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
        self.contact = Some(ContactState {
            contact,
            key,
            private,
            inbound,
            searched: false,
            showing_sent: false,
            record: None,
            candidates: Vec::new(),
            values,
            call: self.call.clone(),
            last_call: None,
            task_id: None,
            task_pending: false,
            task_retries: 0,
            released: false,
            scheduled: false,
            disposition: None,
            notes: String::new(),
            retries: 0,
            last_update: None,
            sync_id: None,
            candidate_names: Vec::new(),
        });
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
        self.contact = Some(ContactState {
            contact,
            key,
            private: false,
            inbound: false,
            searched: true,
            showing_sent: false,
            record: Some(record),
            candidates: Vec::new(),
            values,
            call: None,
            last_call: None,
            task_id: None,
            task_pending: false,
            task_retries: 0,
            released: false,
            scheduled: false,
            disposition: None,
            notes: String::new(),
            retries: 0,
            last_update: None,
            sync_id: None,
            candidate_names: Vec::new(),
        });
        self.showing();
    }

    /// W-SYNC: the record becomes the contact's; its Neotel data is written.
    fn link_record(&mut self, record: RecordView) {
        if let Some(c) = self.contact.as_mut() {
            c.record = Some(record);
        }
        self.warnings.retain(|w| w.key != "newRecord");
        self.write_external();
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
                    .and_then(|c| c.last_call.as_ref().map(|l| l.2.clone()))
            })
            .unwrap_or_default()
    }

    /// The session's user is a supervisor in the users list.
    fn is_supervisor(&self) -> bool {
        self.lists
            .users
            .iter()
            .any(|u| u.user == self.config.user && u.supervisor)
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
                self.warnings.push(message(
                    "newRecord",
                    "Guarde el registro nuevo y vuelva al softphone para sincronizarlo.",
                    "Save the new record, then come back to the softphone to sync it.",
                ));
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
        if c.showing_sent || c.released {
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
            c.last_call = Some((call.id, duration, call.phone.clone(), call.manual));
            c.call = None;
        }
        if self.contact.is_some() {
            self.save_task_for(call.id, duration, call.phone, call.inbound, call.manual);
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

    fn save_task_for(
        &mut self,
        call_id: i64,
        duration: u64,
        phone: String,
        inbound: bool,
        manual: bool,
    ) {
        if !self.options.save_activity_log {
            return;
        }
        let date = self.today();
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        let record = CallRecord {
            call_type: if inbound {
                CallType::Inbound
            } else {
                CallType::Outbound
            },
            call_id,
            phone,
            duration_secs: duration,
            disposition: c.disposition.clone(),
            notes: c.notes.clone(),
            manual,
            record: c.record.as_ref().map(|r| LinkedRecord {
                id: r.id.clone(),
                object_type: r.object_type.clone(),
            }),
            date,
        };
        // W-ACTIVITY: one Task per call; later edits update it.
        let value = match &c.task_id {
            Some(id) => task_update(id, &record, &self.options),
            None if c.task_pending => return,
            None => {
                c.task_pending = true;
                task_create(&record, &self.options)
            }
        };
        self.effect(CrmAction::SaveLog { value }, PendingEffect::Task);
    }

    /// W-ACTIVITY: a Task Salesforce did not save is tried again while its contact is on
    /// screen; when that is not safe or does not work, the agent is told, so the call can be
    /// checked or logged by hand.
    fn task_failed(&mut self, e: &CrmError) {
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        c.task_pending = false;
        // An update can always be sent again; a creation that timed out may have happened, and
        // a second one would break "one Task per call".
        let safe = c.task_id.is_some() || e.code != "TIMEOUT";
        if safe && c.task_retries < RETRY_LIMIT {
            c.task_retries += 1;
            let backoff = Duration::from_secs(1 << c.task_retries);
            self.timers.insert(Timer::RetryTask, self.now + backoff);
            self.warnings.retain(|w| w.key != "taskRetrying");
            self.warnings.push(message(
                "taskRetrying",
                "Salesforce no guardó la actividad de la llamada; reintentando.",
                "Salesforce did not save the call's activity; retrying.",
            ));
        } else {
            self.warnings.retain(|w| w.key != "taskRetrying");
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

    fn save_task(&mut self) {
        let Some((id, duration, phone, manual)) =
            self.contact.as_ref().and_then(|c| c.last_call.clone())
        else {
            return;
        };
        let inbound = self.contact.as_ref().is_some_and(|c| c.inbound);
        self.save_task_for(id, duration, phone, inbound, manual);
    }

    // ----- Salesforce ------------------------------------------------------------------

    fn crm_result(&mut self, id: EffectId, result: Result<Value, CrmError>) {
        let Some(why) = self.effects.remove(&id.0) else {
            return;
        };
        match (why, result) {
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
                    Err(problems) => self.warnings.push(Message::new(
                        "settings",
                        format!("La configuración del centro de llamadas tiene {} problema(s); se usan los valores por defecto.", problems.len()),
                        format!("The call center settings have {} problem(s); defaults are used.", problems.len()),
                    )),
                }
            }
            (PendingEffect::Layout, Ok(v)) => match SoftphoneLayout::from_json(&v) {
                Ok(layout) => self.layout = layout,
                Err(e) => self.warnings.push(Message::new(
                    "layout",
                    format!("Formato de softphone ilegible: {e}"),
                    format!("Unreadable softphone layout: {e}"),
                )),
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
                    self.warnings.push(sync_not_shown());
                } else {
                    let record = RecordView {
                        id,
                        object_type,
                        name: v["recordName"].as_str().unwrap_or_default().to_owned(),
                    };
                    self.read_record(&record, PendingEffect::SyncRecord(record.clone()));
                }
            }
            (PendingEffect::SyncRecord(record), Ok(v)) => {
                let ours = self.contact.as_ref().and_then(|c| c.sync_id.clone());
                let theirs = apex_record(&v).and_then(|r| match &r["neoSyncId__c"] {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => n.as_u64().map(|n| n.to_string()),
                    _ => None,
                });
                if ours.is_some() && ours == theirs {
                    self.link_record(record);
                } else {
                    self.warnings.push(sync_not_shown());
                }
            }
            (PendingEffect::ClickedRecord { number, record }, Ok(v)) => {
                let fields = apex_record(&v);
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
                        self.warnings.push(message(
                            "contactNotFound",
                            "El registro no tiene un contacto en Neotel: se llama sin contacto.",
                            "The record has no Neotel contact: calling without one.",
                        ));
                        let _ = self.command(Command::Dial { number });
                    }
                }
            }
            (PendingEffect::ClickedRecord { number, .. }, Err(_)) => {
                // The search is a nicety: the click still dials.
                let _ = self.command(Command::Dial { number });
            }
            (PendingEffect::Task, Ok(v)) => {
                let mut created = false;
                if let Some(c) = self.contact.as_mut() {
                    c.task_pending = false;
                    c.task_retries = 0;
                    if c.task_id.is_none()
                        && let Some(id) = v.as_str()
                    {
                        c.task_id = Some(id.to_owned());
                        created = true;
                    }
                }
                // A disposition chosen while the Task was being created goes in now.
                if created
                    && self
                        .contact
                        .as_ref()
                        .is_some_and(|c| c.released && c.disposition.is_some())
                {
                    self.save_task();
                }
            }
            (PendingEffect::Pop | PendingEffect::Other, Ok(_)) => {}
            (PendingEffect::Task, Err(e)) => self.task_failed(&e),
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

    fn salesforce_event(&mut self, e: SalesforceEvent) -> Result<(), SessionError> {
        match e {
            SalesforceEvent::ClickToDial {
                number,
                record_id: Some(id),
                object_type: Some(object_type),
            } if self.options.allow_click_to_dial_search
                && self.contact.is_none()
                && self.call.is_none()
                && is_neotel_object(&object_type) =>
            {
                // W-CLICK2DIAL search: the record's Neotel CRM id and key find the contact first.
                let record = RecordView {
                    id,
                    object_type,
                    name: String::new(),
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
                // W-SYNC: a record saved from the new-record pop becomes the contact's record.
                if self
                    .contact
                    .as_ref()
                    .is_some_and(|c| c.record.is_none() && c.candidates.is_empty())
                {
                    self.link_record(RecordView {
                        id,
                        object_type,
                        name: record_name.unwrap_or_default(),
                    });
                }
                Ok(())
            }
            SalesforceEvent::Navigation { .. } => Ok(()),
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
                    if self
                        .contact
                        .as_ref()
                        .is_some_and(|c| !c.released && c.last_update.is_none())
                    {
                        let _ = self.release(None, String::new(), None);
                    }
                }
                Timer::RetryTask => {
                    self.warnings.retain(|w| w.key != "taskRetrying");
                    self.save_task();
                }
                Timer::RetryUpdate => {
                    let request = self.contact.as_ref().and_then(|c| c.last_update.clone());
                    if let Some(r) = request {
                        let schedule = matches!(
                            &r,
                            Request::UpdateContact {
                                schedule: Some(_),
                                ..
                            }
                        );
                        self.api(r, Pending::Update { schedule });
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
            (None, _) if self.break_id.is_some() => AgentStatus::Paused,
            (None, _) if self.campaign.is_none() => AgentStatus::NoCampaign,
            (None, _) => AgentStatus::Available,
        }
    }

    fn refresh_view(&mut self) {
        let status = self.status();
        if self.last_status != Some(status) {
            self.last_status = Some(status);
            self.effect(
                CrmAction::SetSoftphoneItemLabel {
                    label: status.label().es,
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
                leave_campaign: self.contact.is_none() && self.campaign.is_some(),
                pause: self.contact.is_none() && self.break_id.is_none(),
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
            warnings: self.warnings.clone(),
            error: self.error.clone(),
        };
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

/// The record a `runApex` of `NeotelDataRetrieval` answered (`{"runApex": "[{…}]"}`).
fn apex_record(v: &Value) -> Option<Map<String, Value>> {
    let list = match &v["runApex"] {
        Value::String(s) => serde_json::from_str::<Value>(s).ok()?,
        other => other.clone(),
    };
    list.as_array()?.first()?.as_object().cloned()
}

fn sync_not_shown() -> Message {
    message(
        "syncNotShown",
        "Abra en Salesforce el registro nuevo ya guardado y vuelva a sincronizar.",
        "Open the saved new record in Salesforce, then sync again.",
    )
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
    Some(AgentChoice {
        user: text("USUARIO")?,
        name: text("NOMBRE").unwrap_or_default(),
        supervisor,
        state: text("ESTADO").unwrap_or_default(),
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
