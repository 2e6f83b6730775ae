//! What the core tells the agent: a code and its parameters, never words. Each language has
//! one catalog (`cti-server/web/softphone/i18n/{language}.json`, key `msg.{code}`, parameters
//! written `{name}`), shared by the server and the page; a test checks every catalog has every
//! [`Code`]. Adding a language is one new catalog.

use std::collections::BTreeMap;

use serde::Serialize;

/// Everything the core can say: why a command is refused, what the agent should know, what went
/// wrong, the agent's state and another user's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::EnumIter, strum::IntoStaticStr,
)]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
#[non_exhaustive]
pub enum Code {
    // ----- refusals: the command is not possible now
    /// There is no call in progress.
    NoCall,
    /// A call is already in progress.
    CallInProgress,
    /// End the call first (a break, leaving or joining a campaign).
    EndCallFirst,
    /// The number has no digits to dial.
    NoDigits,
    /// DTMF digits are 0 to 9, `*` and `#`.
    BadDtmf,
    /// At most `max` DTMF digits at a time (typed but not sent yet included).
    DtmfTooLong,
    /// The same action is on its way to Neotel already: its answer comes first.
    AlreadySent,
    /// End the transfer in progress first.
    Consulting,
    /// Transfers to a campaign are direct only.
    AttendedCampaign,
    /// There is no attended transfer in progress.
    NoTransfer,
    /// The call is a conference already.
    ConferenceUp,
    /// There is no conference in progress.
    NoConference,
    /// Only a supervisor can monitor.
    NotSupervisor,
    /// That user cannot be monitored now (`user`).
    CannotMonitor,
    /// Not monitoring anyone.
    NotMonitoring,
    /// Text messages are not enabled (`allowTextMessage`).
    TextOff,
    /// A text message needs a number and a text.
    TextIncomplete,
    /// Width goes from 200 to 1920 px, height from 240 to 2560 px.
    BadSize,
    /// No catalog for that language (`language`).
    UnknownLanguage,
    /// There is no new record to sync.
    NothingToSync,
    /// There is no contact on screen.
    NoContact,
    /// That contact is no longer on screen.
    OtherContact,
    /// The contact was already released.
    AlreadyReleased,
    /// The release is on its way to Neotel.
    Releasing,
    /// Choose a category to release the contact (`allowContactRelease` is off).
    CategoryRequired,
    /// Categorizing is not enabled (`allowCategorization` is off).
    CategorizationOff,
    /// Choose the schedule's date and time.
    NoScheduleDate,
    /// The schedule is in the past.
    PastSchedule,
    /// Release or categorize the contact first.
    NotReleased,
    /// That record is not among the matches.
    UnknownRecord,
    /// Several records did not match: there is nothing to pick.
    NothingToPick,
    /// Release or schedule the contact first (a break, leaving or joining a campaign).
    ContactOnScreen,
    /// Not in a break.
    NotOnBreak,
    /// Already in a break.
    AlreadyOnBreak,
    /// Not in a campaign.
    NotInCampaign,
    /// Already in that campaign.
    AlreadyInCampaign,
    /// No such campaign (`campaign`).
    UnknownCampaign,
    /// The agent is available already: there is nothing to resume.
    NothingToResume,

    // ----- notices: what the agent should know
    /// Save the new record, then come back to the softphone to sync it.
    NewRecord,
    /// No record has the pre-filled `neoSyncId__c` yet (`id`).
    NoSyncRecord,
    /// Neotel has not confirmed the release yet; it is sent again until it does.
    Retrying,
    /// Neotel has not confirmed Play yet; it is sent again until it does.
    RetryingAvailable,
    /// Neotel cannot be reached; the session keeps asking.
    NeotelUnreachable,
    /// Salesforce did not save the call's activity; retrying.
    TaskRetrying,
    /// Neotel did not give some of the softphone's lists (categories, breaks…); asking again.
    ListsRetrying,
    /// The text message was sent.
    TextSent,
    /// The DTMF digits were sent (`digits`).
    DtmfSent,
    /// Neotel took the schedule (`at`: the agent's wall time).
    ScheduleAccepted,
    /// The call was transferred (`target`).
    TransferDone,
    /// The invitation went out (`extension`).
    InviteSent,
    /// The panel settings were saved.
    SettingsSaved,
    /// The record has no Neotel contact: calling without one.
    ContactNotFound,
    /// Neotel could not be asked for the contact: calling without one.
    ContactLookupFailed,
    /// The call center settings have problems; defaults are used (`count`).
    SettingsProblems,
    /// The softphone layout is unreadable (`error`).
    BadLayout,
    /// A Neotel list is unreadable (`error`).
    BadList,

    // ----- errors: what went wrong
    /// Neotel no longer has the user logged in.
    NeotelNotLogged,
    /// Neotel refused a value of the operation.
    NeotelBadParameter,
    /// Neotel refused the operation (`text`: Neotel's words).
    NeotelRefused,
    /// Neotel cannot be reached.
    NeotelUnavailable,
    /// Neotel refused the release for good; the draft is kept (`error`: Neotel's words).
    ReleaseRefused,
    /// Neotel refused Play (`error`).
    AvailableRefused,
    /// Whether Neotel applied the release cannot be known; nothing is sent twice (`error`).
    ReleaseUnknown,
    /// Whether Neotel applied Play cannot be known (`error`).
    AvailableUnknown,
    /// Neotel's `Position` answer is unreadable (`error`).
    BadPosition,
    /// A per-install task is misconfigured (`error`).
    TaskMisconfigured,
    /// Salesforce did not save the call's activity; log it by hand (`error`).
    TaskNotSaved,
    /// Whether Salesforce saved the call's activity is unknown; check it (`error`).
    TaskUnknown,
    /// The Salesforce search failed (`error`).
    SearchFailed,
    /// Salesforce could not complete the operation (`error`).
    SalesforceFailed,
    /// The monitored user is not logged into Neotel.
    MonitoredNotLogged,
    /// These DTMF digits were not sent (`digits`; `text`: why).
    DtmfNotSent,

    // ----- the agent's state (the status line and the utility bar's label)
    /// Logged in, no outbound campaign.
    StatusNoCampaign,
    /// Ready for the next contact.
    StatusAvailable,
    /// In a break.
    StatusOnBreak,
    /// On a call without a contact.
    StatusOnCall,
    /// The agent's phone rings, or an inbound call waits to be answered (`phone`).
    StatusRinging,
    /// The customer is being dialed (`phone`).
    StatusDialing,
    /// Talking with the customer (`phone`).
    StatusTalking,
    /// Talking with a customer who called a queue (`phone`, `queue`).
    StatusInbound,
    /// Consulting the other end of an attended transfer (`target`).
    StatusConsulting,
    /// In a conference (`count`: the participants invited).
    StatusConference,
    /// A contact is on screen.
    StatusWithContact,
    /// The call ended; the contact waits for its release.
    StatusWrapUp,
    /// Released; Play makes the agent available.
    StatusReleased,
    /// Signed out of Neotel: the softphone waits for a login.
    StatusSignedOut,
    /// A supervisor listens to a user's call (`user`).
    StatusListening,
    /// A supervisor assists a user, the customer not hearing (`user`).
    StatusAssisting,

    // ----- a call's log (the Task's words, in the agent's language)
    /// An inbound call's subject (`phone`).
    TaskInbound,
    /// An outbound call's subject (`phone`).
    TaskOutbound,
    /// An internal call's subject (`phone`).
    TaskInternal,
    /// The agent dialed it (`phone`).
    TaskManual,
    /// When the customer is called back (`at`).
    TaskCallback,

    // ----- another user's state (the users lists)
    /// Logged in and free.
    UserFree,
    /// On a call.
    UserOnCall,
    /// In a break.
    UserOnBreak,
    /// Not logged in.
    UserOffline,
    /// A state the core does not know (`state`: the install's own word).
    UserOther,
}

impl Code {
    /// The code as the catalogs key it (`msg.{code}`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every code (a catalog must word each).
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A code with its parameters (`{"code":"noSyncRecord","params":{"id":"7"}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// What is said.
    pub code: Code,
    /// The values its words name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<&'static str, String>,
}

impl Message {
    /// `code` with no parameters.
    #[must_use]
    pub fn new(code: Code) -> Self {
        Self {
            code,
            params: BTreeMap::new(),
        }
    }

    /// With the parameter `name` set to `value`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.insert(name, value.to_string());
        self
    }

    /// A parameter's value.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

impl From<Code> for Message {
    fn from(code: Code) -> Self {
        Self::new(code)
    }
}

impl std::fmt::Display for Message {
    /// The code and its parameters (the words are the catalogs').
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code.as_str())?;
        for (k, v) in &self.params {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}
