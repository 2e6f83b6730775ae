//! W-SCREENPOP: when a delivered contact is searched (W-PREDICTIVE once the agent answers,
//! W-PREVIEW and inbound at once, W-PRIVATE never), which record pops (the pop rules and
//! `searchTypePriority`), W-EXTERNAL (the matched record takes the call's Neotel data), and
//! `CRM_ShowingContact` once the contact is on screen.

use neotel_api::{DialerType, Position, Request};
use serde_json::{Map, Value, json};
use sf_callcenter::{
    CallType, NeotelData, ScreenPop, SearchMatch, decide_screen_pop, pop_without_search,
};

use crate::crm::Ask;
use crate::message::{Code, Message};
use crate::view::RecordView;

use super::Session;
use super::notices::Scope;
use super::outbox::{Pending, Purpose};

impl Session {
    /// W-PREDICTIVE: search once the agent answers; W-PREVIEW and inbound: right away. A
    /// contact already released is not searched (nor shown) after the fact.
    pub(super) fn search_when_due(&mut self, p: &Position) {
        let predictive = matches!(p.dialer_type(), DialerType::Predictive);
        let due = self.contact.as_ref().is_some_and(|c| {
            !c.searched
                && !c.released
                && (!predictive || c.inbound || p.is_bridged() || self.calls.call.is_none())
        });
        if due {
            self.search();
        }
    }

    fn call_type(&self) -> CallType {
        if self.contact.as_ref().is_some_and(|c| c.inbound) {
            CallType::Inbound
        } else {
            CallType::Outbound
        }
    }

    fn search(&mut self) {
        let fields = self.new_record_fields();
        let call_type = self.call_type();
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        c.searched = true;
        if c.private {
            let pop = pop_without_search(&self.layout, call_type, &fields);
            self.apply_pop(pop);
            return;
        }
        let key = c.key.clone();
        let ask = Ask::FindRecords {
            key,
            direction: call_type,
            new_record: fields,
        };
        self.request(ask, Purpose::Search);
    }

    pub(super) fn search_answered(&mut self, matches: Vec<SearchMatch>) {
        let fields = self.new_record_fields();
        let call_type = self.call_type();
        let Some(search) = self.contact.as_ref().map(|c| c.key.clone()) else {
            return;
        };
        if let Some(c) = self.contact.as_mut() {
            c.values.insert(NeotelData::SearchData, search.clone());
            c.matches = matches
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
        // Salesforce's search page lists the matches, and so does the softphone: the agent
        // may pick there rather than open one in Salesforce (which links it too: W-SYNC).
        if matches!(pop, ScreenPop::SearchPage { .. })
            && matches.len() > 1
            && let Some(c) = self.contact.as_mut()
        {
            c.candidates = matches;
        }
        self.apply_pop(pop);
    }

    fn pop(&mut self, ask: Ask) {
        self.request(ask, Purpose::Pop);
    }

    /// F-CONFIG: the softphone gets out of the way when the agent asked it to.
    fn minimize(&mut self, asked: bool) {
        if asked {
            self.request(Ask::Minimize, Purpose::Other);
        }
    }

    fn apply_pop(&mut self, pop: ScreenPop) {
        match pop {
            ScreenPop::Nothing => {}
            ScreenPop::Record { id, object_type } => {
                let name = self
                    .contact
                    .as_ref()
                    .and_then(|c| c.matches.iter().find(|(i, _)| *i == id))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                if let Some(c) = self.contact.as_mut() {
                    c.record = Some(RecordView {
                        id: id.clone(),
                        object_type,
                        name,
                    });
                }
                self.pop(Ask::ShowRecord { id });
                self.write_external();
            }
            ScreenPop::NewRecord {
                object_type,
                fields,
            } => {
                if let Some(c) = self.contact.as_mut() {
                    c.sync_id = fields
                        .get("neoSyncId__c")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                }
                self.minimize(self.settings.minimize_on_no_match);
                self.pop(Ask::ShowNewRecord {
                    object_type,
                    fields,
                });
                self.notify(Code::NewRecord, Scope::Contact);
            }
            ScreenPop::SearchPage { search } => {
                self.minimize(self.settings.minimize_on_several);
                self.pop(Ask::ShowSearch { text: search });
            }
            ScreenPop::AgentPicks(candidates) => {
                if let Some(c) = self.contact.as_mut() {
                    c.candidates = candidates;
                }
            }
        }
        self.showing();
    }

    /// Several records matched: the agent picks one (it pops, and takes the Neotel data).
    pub(super) fn pick_record(&mut self, id: &str) -> Result<(), Message> {
        let c = self.contact_for(None)?;
        let Some(m) = c.candidates.iter().find(|m| m.id == id).cloned() else {
            return Err(Code::UnknownRecord.into());
        };
        c.candidates.clear();
        c.record = Some(RecordView {
            id: m.id.clone(),
            object_type: m.object_type.clone(),
            name: m.name,
        });
        self.pop(Ask::ShowRecord { id: m.id });
        self.write_external();
        self.update_saved_task();
        Ok(())
    }

    /// `CRM_ShowingContact` once the contact is on screen.
    pub(super) fn showing(&mut self) {
        let user = self.user();
        let releasing = self.contact.as_ref().is_some_and(|c| self.releasing(c));
        let Some(c) = self.contact.as_mut() else {
            return;
        };
        // Once released (or its release on its way), Neotel has moved past the contact:
        // showing it would undo that.
        if c.showing_sent || releasing || !c.delivered {
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
    pub(super) fn write_external(&mut self) {
        let Some(c) = &self.contact else { return };
        let Some(r) = &c.record else { return };
        let fields = self.options.external_data.apply(&c.values);
        if !fields.is_empty() {
            let id = r.id.clone();
            self.request(Ask::WriteRecord { id, fields }, Purpose::Other);
        }
    }

    /// `defaultNewRowData` for the contact, with a fresh `neoSyncId__c` (W-SYNC).
    fn new_record_fields(&mut self) -> Map<String, Value> {
        let mut fields = self
            .contact
            .as_ref()
            .map(|c| self.options.default_new_row.apply(&c.values))
            .unwrap_or_default();
        fields.insert("neoSyncId__c".into(), json!(self.sync_ids.next()));
        fields
    }
}
