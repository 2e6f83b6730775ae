//! The core's boundary with Salesforce, in the core's own terms: what it asks the agent's
//! surface to do ([`CrmRequest`]) and the typed answers it takes ([`Answer`]), what the surface
//! shows continuously ([`SurfaceSet`]), and the call events ([`CallEvent`]) at the transitions
//! the core knows. Each Salesforce surface (Open CTI today, Salesforce Voice next) has an
//! adapter that translates these to its own calls and back; every decision stays here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sf_callcenter::{CallType, DialingOptions, Options, Problem, SearchMatch};

use crate::message::Message;
use crate::view::{AgentStatus, TransferView};

/// What a call's log says (W-ACTIVITY), whatever Salesforce object keeps it: a Task under
/// Open CTI, a VoiceCall under Salesforce Voice. Its words are messages the surface's adapter
/// words in the agent's language ([`CallLog::worded`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLog {
    /// `Llamada saliente 1144445555`, …
    pub subject: Message,
    /// Direction.
    pub call_type: CallType,
    /// Neotel call id (`IDLLAMADA`): what finds the log again.
    pub call_id: i64,
    /// The customer's number.
    pub phone: String,
    /// How long the call lasted.
    pub duration_secs: u64,
    /// `Category / Subcategory`, when categorized (F-RELEASE).
    pub category: Option<String>,
    /// When the customer is called back (F-AGENDA).
    pub callback: Option<Message>,
    /// With `useTaskDescriptionField` (X-TASK-DESC): that the agent dialed it (F-MANUAL).
    pub manual: Option<Message>,
    /// With `useTaskDescriptionField`: the agent's management notes.
    pub notes: Option<String>,
    /// The record it is about.
    pub record: Option<RecordRef>,
    /// With `campaignEntityName` (X-CAMPAIGN-ENTITY): the record of that object whose Neotel
    /// campaign id is the call's campaign.
    pub campaign_record: Option<RecordRef>,
    /// The call's date (the agent's local date).
    pub date: chrono::NaiveDate,
}

/// A call's log in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordedLog {
    /// The subject.
    pub subject: String,
    /// Category and callback, at most 255 characters.
    pub disposition: Option<String>,
    /// The manual call and the notes, at most 32,000 characters.
    pub description: Option<String>,
}

const DISPOSITION_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 32_000;

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl CallLog {
    /// The log in words: `words` words a message in the agent's language.
    #[must_use]
    pub fn worded(&self, words: &dyn Fn(&Message) -> String) -> WordedLog {
        let disposition = match (&self.category, &self.callback) {
            (Some(c), Some(at)) => Some(format!("{c} · {}", words(at))),
            (Some(c), None) => Some(c.clone()),
            (None, Some(at)) => Some(words(at)),
            (None, None) => None,
        };
        let mut description = self.manual.as_ref().map(words).unwrap_or_default();
        if let Some(notes) = self
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if !description.is_empty() {
                description.push('\n');
            }
            description.push_str(notes);
        }
        WordedLog {
            subject: words(&self.subject).trim_end().to_owned(),
            disposition: disposition.map(|d| cut(&d, DISPOSITION_MAX)),
            description: (!description.is_empty()).then(|| cut(&description, DESCRIPTION_MAX)),
        }
    }
}

/// The id a request's answer echoes (and an update's, which needs none). Requests, updates and
/// NeoApi calls share one sequence: an id names one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// A record in Salesforce: its Id and object (`Contact`, `Account`, `Lead`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordRef {
    /// Record Id.
    pub id: String,
    /// Object API name.
    pub object_type: String,
    /// Its name, when the surface gave it.
    pub name: Option<String>,
}

/// One thing the core asks of the surface, with the id its answer echoes.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmRequest {
    /// Echoed by the answer.
    pub id: RequestId,
    /// What is asked.
    pub ask: Ask,
}

/// What the core asks of the agent's Salesforce surface. The answer each expects is named;
/// [`Answer::Done`] for the rest.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// The connector's options as the surface keeps them (the call center definition):
    /// [`Answer::Settings`].
    Settings,
    /// The record pop rules per call type: [`Answer::PopRules`].
    PopRules,
    /// The records whose fields match `key` (W-SCREENPOP); nothing pops: the core decides.
    /// [`Answer::Records`].
    FindRecords {
        /// What to search.
        key: String,
        /// The call's direction.
        direction: CallType,
        /// A new record's defaults (`defaultNewRowData` with a fresh `neoSyncId__c`), for a
        /// surface that wants them with the search.
        new_record: Map<String, Value>,
    },
    /// Show a record's page.
    ShowRecord {
        /// Record Id.
        id: String,
    },
    /// Open a new record of `object_type` pre-filled with `fields` (W-SCREENPOP, W-SYNC).
    ShowNewRecord {
        /// The object.
        object_type: String,
        /// `defaultNewRowData` and `neoSyncId__c`.
        fields: Map<String, Value>,
    },
    /// Show the search page for `text` (several matches).
    ShowSearch {
        /// What to search.
        text: String,
    },
    /// Get out of the agent's way (F-CONFIG's automatic minimizing), on a surface that can.
    Minimize,
    /// A record's Neotel fields (`neoSyncId__c`, `neoCrmId__c`, `neoCrmData__c`…):
    /// [`Answer::Record`].
    ReadRecord {
        /// The record.
        record: RecordRef,
    },
    /// Write Neotel fields on a record (W-EXTERNAL).
    WriteRecord {
        /// Record Id.
        id: String,
        /// Field API name → value.
        fields: Map<String, Value>,
    },
    /// Log the call (W-ACTIVITY): create its log (`existing` is `None`: [`Answer::Logged`]),
    /// or update the one created (`existing` names it).
    LogCall {
        /// What the log says.
        log: Box<CallLog>,
        /// The log already created for this call.
        existing: Option<String>,
    },
    /// The log of call `call_id`, after a creation whose answer was lost: [`Answer::LogFound`].
    FindCallLog {
        /// Neotel call id.
        call_id: i64,
    },
    /// The record the agent is looking at (W-SYNC by hand): [`Answer::Current`].
    CurrentRecord,
    /// The record of `object_type` whose Neotel campaign id (`neoCampaignId__c`) is
    /// `campaign` (X-CAMPAIGN-ENTITY): [`Answer::Records`].
    FindCampaignRecord {
        /// The object `campaignEntityName` names.
        object_type: String,
        /// The call's Neotel campaign.
        campaign: i64,
    },
}

impl Ask {
    /// A log's creation: made once per call; a lost answer is looked up, never repeated blindly.
    #[must_use]
    pub fn creates_log(&self) -> bool {
        matches!(self, Self::LogCall { existing: None, .. })
    }
}

/// A typed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Done (nothing to say).
    Done,
    /// The connector's options and dialing prefixes, or every problem of the definition.
    Settings(Box<Result<(Options, DialingOptions), Vec<Problem>>>),
    /// The record pop rules, or why they cannot be read.
    PopRules(Box<Result<sf_callcenter::SoftphoneLayout, String>>),
    /// What the search found.
    Records(Vec<SearchMatch>),
    /// A record's fields by API name; `None`: no such record.
    Record(Option<Map<String, Value>>),
    /// The log created: its Id.
    Logged(Option<String>),
    /// The call's log, if there is one: its Id.
    LogFound(Option<String>),
    /// The record shown, if any.
    Current(Option<RecordRef>),
}

/// Why a request did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmError {
    /// Whether it may have happened anyway.
    pub outcome: Outcome,
    /// The surface's words.
    pub description: String,
}

/// Whether a request that failed was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was not (the surface refused it, or could not do it).
    NotApplied,
    /// Unknown: no answer came in time (it may still land).
    Unknown,
}

/// A request's answer.
pub type CrmResult = Result<Answer, CrmError>;

/// What the surface shows continuously: the latest wins. A new page starts from the surface's
/// defaults and gets the whole state; nothing of it is replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceUpdate {
    /// Echoed by a surface that answers (its answer is not needed).
    pub id: RequestId,
    /// What changes.
    pub set: SurfaceSet,
}

/// One aspect of what the surface shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurfaceSet {
    /// Phone fields dial through the connector (W-CLICK2DIAL), or stop.
    ClickToDial(bool),
    /// The panel's width in pixels (F-CONFIG).
    PanelWidth(u32),
    /// The panel's height in pixels (F-CONFIG).
    PanelHeight(u32),
    /// The agent's state in words (the surface words the message in the agent's language).
    Label(Message),
    /// The agent's state as an icon.
    Icon(AgentStatus),
}

/// Something Salesforce reported through the surface.
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
    /// A page runs the requests now: the first, or another after the last one reloaded,
    /// navigated away, closed or stopped answering. Requests the last one left unanswered are
    /// lost and run again here (a log's creation only once the surface says it did not
    /// happen); requests no page got yet go to this one; what the surface shows is set again
    /// in full.
    PageChanged,
    /// No page runs the requests any more (the last one went away): requests wait for the
    /// next.
    PageGone,
}

/// Where a call came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallOrigin {
    /// A dialer handed it over with a contact (W-PREDICTIVE, W-PREVIEW, a campaign's other
    /// dialers).
    Dialer,
    /// A customer called a queue (W-INBOUND).
    Queue,
    /// The agent dialed it (F-DIAL, F-MANUAL, W-CLICK2DIAL).
    Agent,
}

/// A call as the core announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStart {
    /// Neotel call id.
    pub id: i64,
    /// The customer's number (empty: private).
    pub phone: String,
    /// Direction.
    pub direction: CallType,
    /// Where it came from.
    pub origin: CallOrigin,
    /// The dialer's kind, for a dialer's call (`Predictive`, `Preview`, …).
    pub dialer: Option<String>,
    /// The campaign it belongs to.
    pub campaign: Option<i64>,
    /// The queue an inbound call came through.
    pub queue: Option<i64>,
    /// The Neotel contact it came with (`idContacto`), and what it is searched by.
    pub contact_id: Option<i64>,
    /// The search key (empty for W-PRIVATE).
    pub key: Option<String>,
}

/// A call whose outcome is final ([`CallEvent::Closed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallClosed {
    /// Neotel call id.
    pub id: i64,
    /// How long it lasted.
    pub duration_secs: u64,
    /// When it ended.
    pub ended: chrono::DateTime<chrono::Utc>,
    /// The category's name and the subcategory's (F-RELEASE), when categorized.
    pub category: Option<(Option<String>, String)>,
    /// The notes the agent released the contact with.
    pub notes: Option<String>,
    /// When the customer is called back (F-AGENDA).
    pub callback: Option<chrono::DateTime<chrono::Utc>>,
    /// When Neotel took the release; `None`: the contact left without one (or the call had no
    /// contact).
    pub released: Option<chrono::DateTime<chrono::Utc>>,
    /// The contact's base, CRM and the Salesforce field it was found by, as Neotel gave them
    /// (empty without a contact).
    pub contact: ClosedContact,
}

/// Neotel's data of a closed call's contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosedContact {
    /// The contact's base (`contactBaseId`).
    pub base_id: Option<String>,
    /// The contact's CRM (`crmId`).
    pub crm_id: Option<String>,
    /// The Salesforce field the contact was found by (`SearchBy`).
    pub search_by: Option<String>,
}

/// What happened to the calls, announced once at the transition the core saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// A call appeared (ringing, dialing, or already up).
    Started(CallStart),
    /// The agent and the customer are connected (Neotel bridged the call).
    Connected {
        /// Neotel call id.
        id: i64,
    },
    /// An attended transfer's consulted party is being called (F-XFER).
    ConsultStarted {
        /// The call.
        id: i64,
        /// Whom.
        target: TransferView,
    },
    /// The consultation ended (cut, or the transfer went through).
    ConsultEnded {
        /// The call.
        id: i64,
    },
    /// The call became a conference (F-CONF).
    Conferenced {
        /// The call.
        id: i64,
    },
    /// The call ended.
    Ended {
        /// Neotel call id.
        id: i64,
        /// How long it lasted.
        duration_secs: u64,
    },
    /// The contact's call ended: its disposition is due (F-RELEASE).
    WrapUpStarted {
        /// The call that ended.
        id: i64,
    },
    /// The wrap-up ended: released and freed, or scheduled (F-PLAY, F-AGENDA).
    WrapUpEnded {
        /// The call it was for.
        id: i64,
    },
    /// Neotel refused a dial the agent asked for (no call will come of it).
    DialFailed {
        /// Why, in the agent's terms.
        message: Message,
    },
    /// The call's outcome is final (once per call, after its [`CallEvent::Ended`]): its
    /// contact was released or scheduled, or left without a release, or it had no contact.
    /// What a surface that keeps a record of each call (Salesforce Voice's VoiceCall) writes
    /// at its end.
    Closed(Box<CallClosed>),
    /// The agent's state changed.
    Status {
        /// The state.
        status: AgentStatus,
        /// The break, when in one (F-BREAK).
        break_id: Option<i64>,
    },
}
