//! What the session asks for, and what each pending answer is for: NeoApi calls by [`ApiId`],
//! Salesforce requests by [`RequestId`], in one id sequence. The one owner of unanswered work:
//! a request waits here until a page runs it, and a page that goes away leaves its unanswered
//! requests here for the session to decide what runs again.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use neotel_api::Request;

use crate::crm::{Ask, CallLog, CrmRequest, RequestId, SurfaceSet, SurfaceUpdate};
use crate::io::{ApiId, Output};
use crate::message::{Code, Message};
use crate::view::{MonitorView, RecordView, TransferView};

use super::Session;
use super::lists::ListRead;
use super::permission::Act;
use super::write::WriteKind;

/// What a pending NeoApi call is for.
#[derive(Debug, Clone)]
pub(super) enum Pending {
    Poll,
    List(ListRead),
    /// A command whose answer only needs its fault said.
    Command,
    /// F-DIAL: a dial; a fault is said, and announced (a surface waits for the call).
    Dial,
    /// A command whose success is confirmed to the agent with this message.
    Confirm(Message),
    /// F-CONF: an invitation (the phone or the user invited).
    Invite(String),
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
    /// A write Neotel must get once (`write.rs`).
    Write(WriteKind),
    /// Whether an attempt of that write was applied.
    Check(WriteKind),
}

/// What a pending request is for.
#[derive(Debug, Clone)]
pub(super) enum Purpose {
    Settings,
    PopRules,
    Search,
    Pop,
    /// W-ACTIVITY: the contact's call's log (created or updated).
    Log,
    /// W-ACTIVITY: whether a log creation whose answer was lost happened after all; `create`
    /// is that creation, made once the surface says there is no such log.
    LogLookup {
        create: Box<CallLog>,
    },
    /// Its answer is not needed (a record's Neotel fields, a contactless call's log).
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
    /// X-CAMPAIGN-ENTITY: the campaign's record, for the call's log.
    CampaignRecord {
        object_type: String,
        campaign: i64,
    },
}

impl Purpose {
    /// Its answer is about the contact on screen when it was sent, and about no other.
    pub(super) fn is_about_the_contact(&self) -> bool {
        matches!(
            self,
            Self::Search | Self::Pop | Self::SyncPage | Self::SyncRecord { .. }
        )
    }
}

/// A request on its way, or waiting for a page to run it.
#[derive(Debug, Clone)]
pub(super) struct SentRequest {
    pub(super) why: Purpose,
    pub(super) ask: Ask,
    /// The handle of the contact on screen when it was asked.
    pub(super) contact: Option<u64>,
    /// When a page got it; `None` while no page ran requests.
    pub(super) sent: Option<Instant>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Outbox {
    outputs: VecDeque<Output>,
    next_id: u64,
    api: BTreeMap<u64, Pending>,
    /// The agent's action each pending NeoApi call was made for (none: the session's own).
    asked: BTreeMap<u64, Act>,
    /// The action whose command is being handled now: the calls it makes are its own.
    pub(super) cause: Option<Act>,
    /// Requests not answered yet: the one book of them (a page that goes away leaves its
    /// share here, and the next page gets what must run again).
    requests: BTreeMap<u64, SentRequest>,
    /// A page runs the requests now.
    pub(super) page: bool,
    /// The surface updates the page got and has not acknowledged (it answers every call it
    /// runs; only an answer for none of these nor a request is stale).
    updates: VecDeque<u64>,
    /// An input came from the agent or the page since the outputs were last drained: a resumed
    /// session would not get it again, so what it changed is stored before anything leaves.
    pub(super) told: bool,
}

impl Outbox {
    pub(super) fn next(&mut self) -> Option<Output> {
        let next = self.outputs.pop_front();
        if next.is_none() {
            self.told = false;
        }
        next
    }

    pub(super) fn push(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// What the answer `id` is for; `None` for an answer nobody waits for.
    pub(super) fn answered(&mut self, id: ApiId) -> Option<Pending> {
        self.asked.remove(&id.0);
        self.api.remove(&id.0)
    }

    /// Whether a NeoApi call any action of the agent made is on its way.
    pub(super) fn sending(&self) -> bool {
        !self.asked.is_empty()
    }

    /// Whether a NeoApi call the agent's `act` made is on its way.
    pub(super) fn asked(&self, act: Act) -> bool {
        self.asked.values().any(|a| *a == act)
    }

    pub(super) fn request_answered(&mut self, id: RequestId) -> Option<SentRequest> {
        if let Some(at) = self.updates.iter().position(|u| *u == id.0) {
            self.updates.remove(at);
        }
        self.requests.remove(&id.0)
    }

    /// Whether an answer for `id` is expected: a request's, or a surface update's.
    pub(super) fn expects(&self, id: RequestId) -> bool {
        self.requests.contains_key(&id.0) || self.updates.contains(&id.0)
    }

    /// What request `id` asks, while it waits for its answer.
    pub(super) fn request(&self, id: RequestId) -> Option<&Ask> {
        self.requests.get(&id.0).map(|r| &r.ask)
    }

    /// When the oldest request a page got and did not answer went to it.
    pub(super) fn oldest_unanswered(&self) -> Option<Instant> {
        self.requests.values().filter_map(|r| r.sent).min()
    }

    /// Whether a NeoApi call for this purpose is on its way.
    /// NeoApi call `id` is on its way and reads a list.
    pub(super) fn reads_list(&self, id: u64) -> bool {
        matches!(self.api.get(&id), Some(Pending::List(_)))
    }

    /// See [`Session::outputs_repeatable`].
    pub(super) fn outputs_repeatable(&self) -> bool {
        !self.told
            && self.outputs.iter().all(|output| match output {
                Output::NeoApi(id, _) => {
                    matches!(self.api.get(&id.0), Some(Pending::Poll | Pending::List(_)))
                }
                Output::Crm(request) => matches!(
                    self.requests.get(&request.id.0),
                    Some(SentRequest {
                        why: Purpose::Search,
                        ..
                    })
                ),
                // A resumed session announces the same again (the surface takes a call it
                // knows once).
                Output::Surface(_) | Output::Call(_) | Output::View(_) => true,
                Output::Ended => false,
            })
    }

    pub(super) fn waiting(&self, what: impl Fn(&Pending) -> bool) -> bool {
        self.api.values().any(what)
    }

    /// A new page runs the requests: those the last page got and left unanswered are lost
    /// (returned, for the session to decide what runs again); those no page got yet go to
    /// this one now, in order.
    pub(super) fn page_changed(&mut self, now: Instant) -> Vec<SentRequest> {
        self.page = true;
        self.updates.clear();
        let lost: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.sent.is_some())
            .map(|(id, _)| *id)
            .collect();
        let lost = lost
            .into_iter()
            .filter_map(|id| self.requests.remove(&id))
            .collect();
        for (id, r) in &mut self.requests {
            r.sent = Some(now);
            self.outputs.push_back(Output::Crm(CrmRequest {
                id: RequestId(*id),
                ask: r.ask.clone(),
            }));
        }
        lost
    }
}

impl Session {
    /// Asks NeoApi.
    pub(super) fn api(&mut self, request: Request, why: Pending) {
        let id = self.out.id();
        self.out.api.insert(id, why);
        if let Some(act) = self.out.cause {
            self.out.asked.insert(id, act);
        }
        self.out.push(Output::NeoApi(ApiId(id), request));
    }

    /// Runs a per-install `ExecuteTaskNN`.
    pub(super) fn task(&mut self, task: i64, params: Vec<String>, why: Pending) {
        match Request::execute_task(task, params) {
            Ok(r) => self.api(r, why),
            Err(e) => {
                self.notices.error =
                    Some(Message::new(Code::TaskMisconfigured).with("error", e.to_string()));
            }
        }
    }

    /// Asks the surface about the contact on screen; the request waits for a page when none
    /// runs them now.
    pub(super) fn request(&mut self, ask: Ask, why: Purpose) {
        let contact = self.contact_handle();
        self.request_about(contact, ask, why);
    }

    /// Asks the surface about the contact `contact` (its handle), which may have left.
    pub(super) fn request_about(&mut self, contact: Option<u64>, ask: Ask, why: Purpose) {
        let id = self.out.id();
        let sent = self.out.page.then(|| self.now());
        if sent.is_some() {
            self.out.push(Output::Crm(CrmRequest {
                id: RequestId(id),
                ask: ask.clone(),
            }));
        }
        self.out.requests.insert(
            id,
            SentRequest {
                why,
                ask,
                contact,
                sent,
            },
        );
    }

    /// Sets what the surface shows (its answer changes nothing).
    pub(super) fn surface_set(&mut self, set: SurfaceSet) {
        /// A page that never acknowledges keeps only this many in the book.
        const KEPT: usize = 64;
        let id = RequestId(self.out.id());
        if self.out.updates.len() == KEPT {
            self.out.updates.pop_front();
        }
        self.out.updates.push_back(id.0);
        self.out.push(Output::Surface(SurfaceUpdate { id, set }));
    }
}
