//! What the page draws: a serializable description of everything the agent sees. Texts are
//! [`Message`]s (a code and its parameters): the page words them from its language's catalog.

use serde::{Deserialize, Serialize};

use sf_callcenter::SearchMatch;

use crate::message::{Code, Message};

/// The agent's state, as the softphone shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AgentStatus {
    /// Logged in, no outbound campaign.
    NoCampaign,
    /// Ready for the next contact.
    Available,
    /// In a break.
    OnBreak,
    /// On a call without a contact (a manual call, F-MANUAL).
    OnCall,
    /// A contact is on screen (the call may be ringing, dialing or up).
    WithContact,
    /// The call ended; the contact waits for its release or schedule.
    WrapUp,
    /// Released or scheduled; Play makes the agent available.
    Released,
}

impl AgentStatus {
    /// The state's name (the status line, the utility bar's label).
    #[must_use]
    pub fn label(self) -> Message {
        Message::new(match self {
            Self::NoCampaign => Code::StatusNoCampaign,
            Self::Available => Code::StatusAvailable,
            Self::OnBreak => Code::StatusOnBreak,
            Self::OnCall => Code::StatusOnCall,
            Self::WithContact => Code::StatusWithContact,
            Self::WrapUp => Code::StatusWrapUp,
            Self::Released => Code::StatusReleased,
        })
    }
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CallPhase {
    /// The agent's phone rings (or an inbound call waits to be answered).
    Ringing,
    /// The customer is being dialed.
    Dialing,
    /// The agent and the customer are talking.
    Talking,
}

/// Someone invited into the conference (F-CONF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The phone or the user invited.
    pub extension: String,
    /// The user's name, for a platform user.
    pub name: String,
}

/// The call in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallView {
    /// Neotel call id.
    pub id: i64,
    /// The customer's number.
    pub phone: String,
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// Ringing, dialing or talking.
    pub phase: CallPhase,
    /// Bridged to the agent (talking).
    pub bridged: bool,
    /// The queue an inbound call came through.
    pub queue: Option<i64>,
    /// The conference id, when in one.
    pub conference: Option<i64>,
    /// Who was invited into the conference (Neotel took the invitation).
    pub participants: Vec<Participant>,
}

/// The contact on screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    /// This contact's number in the session: commands about it (the draft, the release) carry
    /// it, so a command typed for one contact never lands on the next.
    pub handle: u64,
    /// What the agent has entered for its disposition so far (the wrap-up form shows this).
    pub draft: Draft,
    /// The Salesforce record it was matched to.
    pub record: Option<RecordView>,
    /// Several records and no rule: the agent picks one.
    pub candidates: Vec<SearchMatch>,
    /// No search was made (private number, W-PRIVATE).
    pub private: bool,
    /// Categorized or released.
    pub released: bool,
    /// Scheduled (no Play needed).
    pub scheduled: bool,
}

/// The disposition being entered for the contact on screen (F-RELEASE, F-AGENDA): empty for
/// every new contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The subcategory chosen.
    pub subcategory: Option<i64>,
    /// The management notes.
    pub notes: String,
    /// The callback's date and time, in the agent's wall time.
    pub schedule_at: Option<chrono::NaiveDateTime>,
    /// Another number for the callback.
    pub schedule_phone: String,
}

/// A Salesforce record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordView {
    /// Id.
    pub id: String,
    /// Object.
    pub object_type: String,
    /// Name, when known.
    pub name: String,
}

/// F-INFO.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InfoView {
    /// The call id while the call is up, 0 once it ends.
    pub last_call_id: i64,
    /// Neotel contact id.
    pub contact_id: i64,
    /// Neotel database (base) id.
    pub base_id: i64,
    /// Neotel CRM id.
    pub crm_id: i64,
    /// What was searched in Salesforce.
    pub search_key: String,
}

/// One row of a list (break states, campaigns, categories…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    /// Id to send back.
    pub id: i64,
    /// What the agent reads.
    pub name: String,
    /// For subcategories: their category's name; for transfer phones: the number to dial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// For subcategories: choosing it asks for a schedule.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub schedules: bool,
}

/// The lists the softphone offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lists {
    /// Break states (F-BREAK).
    pub breaks: Vec<Choice>,
    /// Campaigns (F-CAMPAIGN).
    pub campaigns: Vec<Choice>,
    /// Subcategories of the contact's CRM, with their category (F-RELEASE).
    pub categories: Vec<Choice>,
    /// The call's campaign's transfer phones (F-XFER).
    pub transfer_phones: Vec<Choice>,
    /// Queues (F-XFER).
    pub queues: Vec<Choice>,
    /// Platform users (F-XFER, F-CONF, F-MONITOR) but the session's own, while a panel listing
    /// them is open ([`crate::Command::WatchUsers`]); none otherwise.
    pub users: Users,
}

/// The platform users a session offers: Neotel's whole list, one for every session that read
/// the same answer (thousands of agents on a big install would each keep their own copy of
/// thousands of users), less the session's own user, which is never listed.
#[derive(Debug, Clone, Default)]
pub struct Users {
    all: std::sync::Arc<[AgentChoice]>,
    /// The session's own user's place in `all`.
    own: Option<usize>,
}

impl Users {
    /// `all` less the entry of `user`.
    #[must_use]
    pub fn without(all: std::sync::Arc<[AgentChoice]>, user: &str) -> Self {
        let own = all.iter().position(|u| u.user == user);
        Self { all, own }
    }

    /// The session's own user as Neotel lists it, when it does.
    #[must_use]
    pub fn own(&self) -> Option<&AgentChoice> {
        self.own.map(|i| &self.all[i])
    }

    /// The users offered, in Neotel's order.
    pub fn iter(&self) -> impl Iterator<Item = &AgentChoice> {
        let own = self.own;
        self.all
            .iter()
            .enumerate()
            .filter(move |(i, _)| Some(*i) != own)
            .map(|(_, u)| u)
    }

    /// How many are offered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.all.len() - usize::from(self.own.is_some())
    }

    /// None is offered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Shares its list with `other` (the same answer decoded by another session).
    #[must_use]
    pub fn shares_list_with(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.all, &other.all)
    }
}

impl PartialEq for Users {
    fn eq(&self, other: &Self) -> bool {
        (self.shares_list_with(other) && self.own == other.own) || self.iter().eq(other.iter())
    }
}

impl Eq for Users {}

impl Serialize for Users {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Another platform user, as the transfer, conference and monitoring lists show it (the
/// session's own user is never listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentChoice {
    /// `USUARIO`.
    pub user: String,
    /// Name.
    pub name: String,
    /// A supervisor (may monitor).
    pub supervisor: bool,
    /// The user's state in words (Neotel's own value when it is not one the core knows).
    pub state: Message,
    /// A call can be transferred to this user now (logged in and free).
    pub transfer: bool,
    /// This user can be invited into a conference now (logged in and free).
    pub invite: bool,
    /// This user can be monitored now (logged in).
    pub monitor: bool,
}

/// Whom a supervisor monitors (F-MONITOR).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorView {
    /// The user monitored.
    pub user: String,
    /// Listen or assist.
    pub mode: crate::MonitorMode,
}

/// The agent's panel settings (F-CONFIG), kept per user by the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelSettings {
    /// Panel width, 200–1920 px.
    pub width_px: u32,
    /// Panel height, 240–2560 px.
    pub height_px: u32,
    /// Minimize when a call's record is new (the new-record window opens).
    pub minimize_on_no_match: bool,
    /// Minimize when a call matches several records (the search opens).
    pub minimize_on_several: bool,
    /// The agent's language: a catalog's code (`es`, `en`).
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "es".into()
}

impl Default for PanelSettings {
    /// The seed's call center size.
    fn default() -> Self {
        Self {
            width_px: 620,
            height_px: 420,
            minimize_on_no_match: false,
            minimize_on_several: false,
            language: default_language(),
        }
    }
}

impl PanelSettings {
    /// Within what a Salesforce panel allows.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        (200..=1920).contains(&self.width_px) && (240..=2560).contains(&self.height_px)
    }
}

/// The new record popped for the contact (W-SYNC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    /// The `neoSyncId__c` it was pre-filled with.
    pub sync_id: String,
    /// Saved and linked to the contact.
    pub linked: bool,
}

/// The state's main action: the page draws it as its biggest button, always in sight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Primary {
    /// Join a campaign (none joined).
    JoinCampaign,
    /// Back to work (on a break).
    EndBreak,
    /// Hang up (on a call).
    Hangup,
    /// End the attended transfer (consulting).
    EndTransfer,
    /// Release with a category (wrap-up, `allowCategorization`).
    Categorize,
    /// Release without one (wrap-up).
    Release,
    /// Schedule (wrap-up, when releasing is not allowed otherwise).
    Schedule,
    /// Available again (released).
    Play,
}

/// What the agent may do now (buttons enabled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actions {
    /// Join or change campaign (one of [`View::join_targets`]).
    pub join_campaign: bool,
    /// Leave the campaign.
    pub leave_campaign: bool,
    /// Take a break.
    pub take_break: bool,
    /// End the break, back to work.
    pub end_break: bool,
    /// Dial a number.
    pub dial: bool,
    /// Hang up.
    pub hangup: bool,
    /// Send DTMF digits.
    pub dtmf: bool,
    /// Release with a category.
    pub categorize: bool,
    /// Release without a category.
    pub release: bool,
    /// Schedule a callback.
    pub schedule: bool,
    /// Back to available.
    pub play: bool,
    /// Transfer the call (F-XFER).
    pub transfer: bool,
    /// End the attended transfer in progress (F-XFER).
    pub end_transfer: bool,
    /// Make the call a conference (F-CONF).
    pub start_conference: bool,
    /// Invite a phone or a user into the conference (F-CONF).
    pub invite: bool,
    /// End the conference (F-CONF).
    pub end_conference: bool,
    /// Start monitoring a user (F-MONITOR; supervisors).
    pub monitor: bool,
    /// End monitoring (F-MONITOR).
    pub end_monitor: bool,
    /// Send a text message (F-SMS).
    pub send_text: bool,
    /// Sync the new record by hand (W-SYNC).
    pub sync: bool,
}

/// An attended transfer in progress: the agent talks with the consulted party (F-XFER).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    /// `phone`, `user`, `queue`.
    pub to: &'static str,
    /// The number, user or queue consulted.
    pub value: String,
    /// Always true while shown: direct transfers leave the call at once.
    pub attended: bool,
    /// The consulted leg is up or ringing.
    pub consulting: bool,
}

impl TransferView {
    pub(crate) fn of(target: &crate::TransferTarget, attended: bool) -> Self {
        use crate::TransferTarget;
        let (to, value) = match target {
            TransferTarget::Phone(p) => ("phone", p.clone()),
            TransferTarget::User(u) => ("user", u.clone()),
            TransferTarget::Queue(q) => ("queue", q.to_string()),
            TransferTarget::Campaign(c) => ("campaign", c.to_string()),
        };
        Self {
            to,
            value,
            attended,
            consulting: attended,
        }
    }
}

/// Everything the softphone shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct View {
    /// The Neotel user.
    pub user: String,
    /// The agent's state.
    pub status: AgentStatus,
    /// Its name (the status line).
    pub status_label: Message,
    /// The outbound campaign joined.
    pub campaign: Option<i64>,
    /// The break state, when paused.
    pub break_id: Option<i64>,
    /// The call in progress.
    pub call: Option<CallView>,
    /// The contact on screen.
    pub contact: Option<ContactView>,
    /// F-INFO.
    pub info: InfoView,
    /// Lists.
    pub lists: std::sync::Arc<Lists>,
    /// Enabled actions: exactly what the session accepts now.
    pub actions: Actions,
    /// An action the agent took is on its way to Neotel: the buttons that would repeat it wait
    /// for the answer, and a panel open for it stays open.
    pub sending: bool,
    /// The campaigns the agent may join now (not the one it is in).
    pub join_targets: Vec<i64>,
    /// The state's main action, when it has one the agent may take.
    pub primary: Option<Primary>,
    /// The attended transfer in progress.
    pub transfer: Option<TransferView>,
    /// Whom this supervisor monitors.
    pub monitoring: Option<MonitorView>,
    /// The panel settings in force.
    pub settings: PanelSettings,
    /// The new record popped for the contact, while there is one.
    pub sync: Option<SyncView>,
    /// Seconds until the automatic release, while it runs.
    pub auto_release_in_secs: Option<u64>,
    /// Seconds in the current state (the call, the break, the wrap-up): the page counts on.
    pub since_secs: Option<u64>,
    /// Things the agent should know.
    pub warnings: Vec<Message>,
    /// The last thing that went wrong, in words an agent understands.
    pub error: Option<Message>,
}
