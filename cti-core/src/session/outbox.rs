//! What the session asks for, and what each pending answer is for: NeoApi calls by [`ApiId`],
//! Salesforce effects by [`EffectId`], in one id sequence.

use std::collections::{BTreeMap, VecDeque};

use neotel_api::Request;
use serde_json::{Map, Value};

use crate::effect::{EffectId, SalesforceAction, SalesforceEffect};
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

/// What a pending effect is for.
#[derive(Debug, Clone)]
pub(super) enum PendingEffect {
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

impl PendingEffect {
    /// Its answer is about the contact on screen when it was sent, and about no other.
    pub(super) fn is_about_the_contact(&self) -> bool {
        matches!(
            self,
            Self::Search | Self::Pop | Self::SyncPage | Self::SyncRecord { .. }
        )
    }
}

/// An effect on its way to the page.
#[derive(Debug, Clone)]
pub(super) struct SentEffect {
    pub(super) why: PendingEffect,
    pub(super) action: SalesforceAction,
    /// The handle of the contact on screen when it was sent.
    pub(super) contact: Option<u64>,
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
    effects: BTreeMap<u64, SentEffect>,
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

    pub(super) fn effect_answered(&mut self, id: EffectId) -> Option<SentEffect> {
        self.effects.remove(&id.0)
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
                Output::Salesforce(effect) => {
                    effect.action.is_page_state()
                        || matches!(
                            self.effects.get(&effect.id.0),
                            Some(SentEffect {
                                why: PendingEffect::Search,
                                ..
                            })
                        )
                }
                Output::View(_) => true,
                Output::Ended => false,
            })
    }

    pub(super) fn waiting(&self, what: impl Fn(&Pending) -> bool) -> bool {
        self.api.values().any(what)
    }

    /// Every effect not answered: the page that had them is gone.
    pub(super) fn lose_effects(&mut self) -> Vec<SentEffect> {
        std::mem::take(&mut self.effects).into_values().collect()
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

    /// Asks the leader page to run a Salesforce effect.
    pub(super) fn effect(&mut self, action: SalesforceAction, why: PendingEffect) {
        let id = self.out.id();
        let contact = self.contact_handle();
        self.out.effects.insert(
            id,
            SentEffect {
                why,
                action: action.clone(),
                contact,
            },
        );
        self.out.push(Output::Salesforce(SalesforceEffect {
            id: EffectId(id),
            action,
        }));
    }
}
