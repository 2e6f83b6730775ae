//! What the agent asks for: the F-* rows as commands, with their arguments.

use chrono::NaiveDateTime;
use serde::Deserialize;

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
    pub(crate) fn as_str(self) -> &'static str {
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
    #[serde(deserialize_with = "crate::user::deserialize")]
    User(String),
    /// A queue.
    Queue(i64),
    /// Another campaign (blind only).
    Campaign(i64),
}

/// What the agent asks for (the F-* rows).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
#[serde(rename_all_fields = "camelCase")]
pub enum Command {
    /// F-CAMPAIGN.
    JoinCampaign {
        /// Campaign id.
        campaign: i64,
    },
    /// F-CAMPAIGN.
    LeaveCampaign,
    /// F-BREAK: into a break state.
    TakeBreak {
        /// Break state id.
        break_id: i64,
    },
    /// F-BREAK: back to work.
    EndBreak,
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
    /// The surface says the agent's after-call work is over (Salesforce Voice ends it when
    /// the agent closes the call's tab or goes available): a contact not released yet is
    /// released without a category where `allowContactRelease` allows it, then Play (none is
    /// needed after a schedule).
    EndAfterCallWork,
    /// Several records matched: the agent picks this one.
    PickRecord {
        /// Record Id.
        id: String,
    },
    /// F-MONITOR: a supervisor starts monitoring a user.
    Monitor {
        /// The user monitored.
        #[serde(deserialize_with = "crate::user::deserialize")]
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
        /// Panel width, 200–1920 px (anything else, negative included, is refused with the
        /// allowed range).
        width_px: i64,
        /// Panel height, 240–2560 px.
        height_px: i64,
        /// Minimize when a call's record is new.
        #[serde(default)]
        minimize_on_no_match: bool,
        /// Minimize when a call matches several records.
        #[serde(default)]
        minimize_on_several: bool,
    },
    /// The agent's language (one of the catalogs'), for the utility bar's label too.
    SetLanguage {
        /// A catalog's language code: `es`, `en`.
        language: String,
    },
    /// W-SYNC: link the new record shown in Salesforce to the contact, by its `neoSyncId__c`.
    SyncRecord,
    /// F-XFER, F-CONF, F-MONITOR: the agent opened (`true`) or closed a panel that lists the
    /// platform users. Their states are read again at once and kept fresh only while one is
    /// open: thousands of agents in calls would otherwise each be sent every user's state at
    /// every refresh.
    WatchUsers {
        /// A panel listing the users is open.
        watching: bool,
    },
}
