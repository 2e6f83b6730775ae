//! One agent's session: inputs in, outputs drained, time passed in.
//!
//! Laid out as quinn-proto's connection: this file holds the [`Session`], its entry points, the
//! commands' routing and its `poll_*` functions (`answers.rs` routes answers and timers); each
//! feature owns its sub-state in a file of its own, where a reader finds its F-/W- ids:
//!
//! | file | features |
//! | --- | --- |
//! | `neotel.rs` | the `Position` poll, its urgency and cadence, and what Neotel's snapshot says |
//! | `campaign.rs` | F-CAMPAIGN, F-BREAK |
//! | `call.rs` | F-DIAL, F-MANUAL, F-DTMF |
//! | `transfer.rs`, `conference.rs`, `monitor.rs`, `text.rs` | F-XFER, F-CONF, F-MONITOR, F-SMS |
//! | `contact.rs` | the contact on screen: W-PREDICTIVE, W-PREVIEW, W-INBOUND, W-PRIVATE |
//! | `screen_pop.rs` | W-SCREENPOP, W-EXTERNAL, `CRM_ShowingContact` |
//! | `sync.rs` | W-SYNC |
//! | `click_to_dial.rs` | W-CLICK2DIAL |
//! | `release.rs` | F-RELEASE, F-AGENDA, F-PLAY (the draft, `UpdateContact`, Play) |
//! | `write.rs` | the writes Neotel gets exactly once: kept, retried, checked after a lost answer |
//! | `activity.rs` | W-ACTIVITY (one Task per call) |
//! | `lists.rs` | the lists (breaks, campaigns, queues, users, categories, transfer phones) |
//! | `settings.rs`, `page.rs` | F-CONFIG, the language; the page's Salesforce side |
//! | `permission.rs` | whether the agent may do something now, and why not |
//! | `notices.rs`, `view.rs` | what the agent is told; the view |
//! | `outbox.rs`, `timer.rs` | outputs and their pending answers; the timer table |
//! | `answers.rs` | where each answer, event and timer goes |
//! | `snapshot.rs` | what survives a restart |

mod activity;
mod answers;
mod call;
mod calls_told;
mod campaign;
mod click_to_dial;
mod conference;
mod contact;
mod lists;
mod monitor;
mod neotel;
mod notices;
mod outbox;
mod page;
mod permission;
mod release;
mod screen_pop;
mod settings;
mod snapshot;
mod sync;
mod text;
mod timer;
mod transfer;
mod view;
mod write;

use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use neotel_api::Request;
use sf_callcenter::{Options, SoftphoneLayout};

use crate::command::Command;
use crate::config::Config;
use crate::io::{ApiId, Input, Output, SessionError};
use crate::message::Message;
use crate::view::{MonitorView, PanelSettings, TransferView};

use self::call::Calls;
pub use self::call::MAX_DTMF_DIGITS;
use self::contact::ContactState;
use self::lists::ListState;
use self::neotel::Neotel;
use self::notices::Notices;
use self::outbox::Outbox;
use self::page::Page;
use self::permission::Act;
pub use self::snapshot::{PendingWrites, Snapshot, SnapshotError};
use self::sync::SyncIds;
use self::timer::TimerTable;
use self::write::Writes;

/// How many times a Task Salesforce did not save is saved again.
const RETRY_LIMIT: u32 = 3;

/// One agent's connector session. Drive it with [`Session::handle_input`], then drain
/// [`Session::poll_output`] until `None`, then wait until [`Session::poll_timeout`].
#[derive(Debug, Clone)]
pub struct Session {
    config: Config,
    clock: Clock,
    /// The call center's options, as Salesforce sends them (the configuration's until then).
    options: Options,
    layout: SoftphoneLayout,
    out: Outbox,
    timers: TimerTable,
    neotel: Neotel,
    calls: Calls,
    /// The attended transfer in progress (F-XFER).
    transfer: Option<TransferView>,
    /// Whom this supervisor monitors (F-MONITOR).
    monitoring: Option<MonitorView>,
    /// F-CONFIG and the language.
    settings: PanelSettings,
    contact: Option<ContactState>,
    lists: ListState,
    notices: Notices,
    page: Page,
    sync_ids: SyncIds,
    /// The writes Neotel has not accepted yet.
    writes: Writes,
    /// Log creations whose answer was lost, waiting to be looked up.
    lost_logs: Vec<activity::LostLog>,
    /// X-CAMPAIGN-ENTITY: each campaign's record, as found (by object and campaign).
    campaign_records: std::collections::BTreeMap<(String, i64), Option<crate::crm::RecordRef>>,
    /// What the surface was last told of the calls (call events are announced once).
    announced: calls_told::Announced,
    /// Calls whose outcome became final during this input, told after its call events.
    closing: Vec<crate::crm::CallClosed>,
    ended: bool,
}

/// Time: the `Instant`s the session is given, and the Neotel wall time they stand for.
#[derive(Debug, Clone)]
struct Clock {
    start: Instant,
    now: Instant,
    wall_at_start: NaiveDateTime,
}

impl Session {
    /// A session for an agent already logged in to Neotel (the server did `Login`).
    pub fn new(config: Config, now: Instant) -> Self {
        let mut s = Self {
            clock: Clock {
                start: now,
                now,
                wall_at_start: config.neotel_time_at_start,
            },
            options: config.options.clone(),
            layout: SoftphoneLayout::default(),
            out: Outbox::default(),
            timers: TimerTable::default(),
            neotel: Neotel::default(),
            calls: Calls::default(),
            transfer: None,
            monitoring: None,
            settings: config.settings.clone(),
            contact: None,
            lists: ListState::default(),
            notices: Notices::default(),
            page: Page::default(),
            sync_ids: SyncIds::new(config.sync_seed),
            writes: Writes::default(),
            lost_logs: Vec::new(),
            campaign_records: std::collections::BTreeMap::new(),
            announced: calls_told::Announced::default(),
            closing: Vec::new(),
            ended: false,
            config,
        };
        s.ask_salesforce_settings();
        s.load_lists();
        s.poll();
        s.refresh_view();
        s
    }

    /// The next output, until `None`.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.next()
    }

    /// The last view the session gave out (with its lists), for a page that attaches later.
    #[must_use]
    pub fn last_view(&self) -> Option<&crate::view::View> {
        self.page.last_view.as_ref()
    }

    /// Whether NeoApi call `id` reads a list every session reads alike (a per-install task
    /// with the same parameters for everyone: breaks, campaigns, queues, users, a CRM's
    /// categories, a campaign's transfer phones): the server may answer it with another
    /// session's recent read of the same call instead of asking Neotel again.
    #[must_use]
    pub fn shared_read(&self, id: ApiId) -> bool {
        self.out.reads_list(id.0)
    }

    /// The agent's language (the surface words the core's messages in it: the utility's
    /// label, a call's log).
    #[must_use]
    pub fn language(&self) -> &str {
        &self.settings.language
    }

    /// What request `id` asks, while it waits for its answer: an adapter reads the surface's
    /// answer by it.
    #[must_use]
    pub fn ask_of(&self, id: crate::crm::RequestId) -> Option<&crate::crm::Ask> {
        self.out.request(id)
    }

    /// Whether the answer of `id` is expected (a request's, or a surface update's): another is
    /// stale (its page went away, or it was never sent).
    #[must_use]
    pub fn expects_answer(&self, id: crate::crm::RequestId) -> bool {
        self.out.expects(id)
    }

    /// When the oldest request a page got and has not answered went to it: a page silent for
    /// long while another could take over is replaced by it (the server's call).
    #[must_use]
    pub fn oldest_unanswered(&self) -> Option<Instant> {
        self.out.oldest_unanswered()
    }

    /// Whether every output waiting in [`Self::poll_output`] may leave before the snapshot of
    /// the state they came with is stored: they follow only from Neotel's answers and the
    /// time, which a session resumed without that snapshot gets again, and it would only ask
    /// for them again (a `Position` poll, a list read, the search for the contact's record,
    /// the utility's label and icon, the view). The server then sends them first and stores
    /// after, so the pop does not wait for a disk. Anything else (a write, a command, a Task,
    /// a record pop with its `neoSyncId__c`, whatever follows the agent's or the page's
    /// input) waits until the snapshot that says it was asked is stored.
    #[must_use]
    pub fn outputs_repeatable(&self) -> bool {
        self.out.outputs_repeatable()
    }

    /// When the session wants [`Input::Timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.ended { None } else { self.timers.next() }
    }

    /// The request that logs the agent out (the server sends it on logout or idle).
    pub fn logout_request(&self) -> Request {
        Request::Logout {
            user: self.config.user.clone(),
        }
    }

    /// The agent logs out (the server then sends NeoApi's `Logout`): the surface stops
    /// dialing through the connector and says it is signed out; every later input is refused
    /// with [`SessionError::Ended`].
    pub fn log_out(&mut self, now: Instant) {
        if self.ended {
            return;
        }
        self.clock.now = self.clock.now.max(now);
        // A contact in its wrap-up leaves with the session: its call's outcome is final.
        self.close_contact_call();
        self.announce_calls();
        self.ended = true;
        self.show_now();
        self.timers.clear();
    }

    /// Neotel says the user is no longer logged in: the surface is told, then the server
    /// ([`Output::Ended`]).
    fn signed_out_by_neotel(&mut self) {
        self.close_contact_call();
        self.announce_calls();
        self.ended = true;
        self.show_now();
        self.timers.clear();
        self.out.push(Output::Ended);
    }

    /// Feeds one input. A command the state does not allow is refused with the reason.
    ///
    /// # Errors
    /// [`SessionError::Refused`] for a command the agent may not give now (the view disables
    /// exactly these), [`SessionError::Ended`] once the session is over.
    pub fn handle_input(&mut self, input: Input) -> Result<(), SessionError> {
        if self.ended {
            return Err(SessionError::Ended);
        }
        let now = match &input {
            Input::Command(t, _)
            | Input::NeoApi(t, _, _)
            | Input::Answered(t, _, _)
            | Input::Salesforce(t, _)
            | Input::Timeout(t) => *t,
        };
        // Time never goes back, whatever the caller passes.
        self.clock.now = self.clock.now.max(now);
        // Neotel's news and the time come again to a resumed session; the agent's and the
        // page's do not.
        self.out.told |= !matches!(input, Input::NeoApi(..) | Input::Timeout(_));
        let result = match input {
            Input::Command(_, c) => self.command(c),
            Input::NeoApi(_, id, r) => {
                self.neoapi_done(id, r);
                Ok(())
            }
            Input::Answered(_, id, r) => {
                self.answered(id, r);
                Ok(())
            }
            Input::Salesforce(_, e) => self.salesforce_event(e),
            Input::Timeout(_) => {
                self.timeouts();
                Ok(())
            }
        };
        self.announce_calls();
        // The next look at Neotel follows the state this input left.
        self.plan_poll();
        self.refresh_view();
        result.map_err(SessionError::Refused)
    }

    fn now(&self) -> Instant {
        self.clock.now
    }

    /// The Neotel server's wall time now.
    fn wall(&self) -> NaiveDateTime {
        let elapsed = self.clock.now.saturating_duration_since(self.clock.start);
        self.clock.wall_at_start + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    /// A Neotel wall time in UTC.
    fn utc(&self, at: NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
        (at - chrono::Duration::minutes(self.config.neotel_utc_offset_minutes)).and_utc()
    }

    /// Whole seconds from `from` (Neotel's wall time) to now.
    fn secs_since(&self, from: NaiveDateTime) -> u64 {
        u64::try_from((self.wall() - from).num_seconds()).unwrap_or_default()
    }

    fn today(&self) -> NaiveDate {
        self.wall().date()
    }

    fn user(&self) -> String {
        self.config.user.clone()
    }

    // ----- routing -----------------------------------------------------------------------

    fn command(&mut self, c: Command) -> Result<(), Message> {
        self.notices.error = None;
        let act = Act::of(&c);
        if let Some(act) = act {
            self.may(act)?;
        }
        // The NeoApi calls this command makes are its own until answered (permission.rs: the
        // same action is not sent again meanwhile).
        self.out.cause = act;
        let result = self.dispatch(c);
        self.out.cause = None;
        result
    }

    fn dispatch(&mut self, c: Command) -> Result<(), Message> {
        match c {
            Command::JoinCampaign { campaign } => self.join_campaign(campaign),
            Command::LeaveCampaign => self.leave_campaign(),
            Command::TakeBreak { break_id } => self.take_break(break_id),
            Command::EndBreak => self.end_break(),
            Command::Dial { number } => self.dial(&number),
            Command::Hangup => self.hangup(),
            Command::SendDtmf { digits } => self.send_dtmf(&digits),
            Command::Transfer { target, attended } => self.transfer(target, attended),
            Command::EndTransfer => self.end_transfer(),
            Command::StartConference => self.start_conference(),
            Command::Invite { extension } => self.invite(extension),
            Command::EndConference => self.end_conference(),
            Command::Monitor { user, mode } => self.monitor(user, mode),
            Command::EndMonitor => self.end_monitor(),
            Command::SendText {
                channel,
                phone,
                text,
            } => self.send_text(channel, &phone, &text),
            Command::SaveSettings {
                width_px,
                height_px,
                minimize_on_no_match,
                minimize_on_several,
            } => self.save_settings(
                width_px,
                height_px,
                minimize_on_no_match,
                minimize_on_several,
            ),
            Command::SetLanguage { language } => self.set_language(language),
            Command::WatchUsers { watching } => {
                self.watch_users(watching);
                Ok(())
            }
            Command::SyncRecord => self.sync_by_hand(),
            Command::Draft {
                contact,
                subcategory,
                notes,
                at,
                phone,
            } => self.edit_draft(contact, subcategory, notes, at, phone),
            Command::Release {
                subcategory,
                notes,
                contact,
            } => self.release_command(contact, subcategory, notes),
            Command::Schedule {
                at,
                agent_offset_minutes,
                subcategory,
                phone,
                notes,
                contact,
            } => self.schedule(contact, at, agent_offset_minutes, subcategory, phone, notes),
            Command::Play => self.play(),
            Command::EndAfterCallWork => self.end_after_call_work(),
            Command::PickRecord { id } => self.pick_record(&id),
        }
    }
}
