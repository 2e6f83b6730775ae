//! The contact on screen: delivered by Neotel (W-PREDICTIVE, W-PREVIEW, W-INBOUND with its
//! CLAVESF split, W-PRIVATE when it carries no key) or taken by the click-to-dial search, with
//! the Neotel data its records get. Each contact gets a handle; commands about a contact carry
//! it, so one typed for a contact never lands on the next.

use serde::{Deserialize, Serialize};

use neotel_api::{ContactRef, CrmState, Direction, Position};
use sf_callcenter::{NeotelData, NeotelValues, SearchMatch};

use crate::crm::RecordRef;
use crate::message::{Code, Message};
use crate::view::{Draft, RecordView};

use super::Session;
use super::activity::TaskSave;
use super::call::CallState;

/// The contact's last call, once it ended (for its Task).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct LastCall {
    pub(super) id: i64,
    pub(super) duration_secs: u64,
    pub(super) phone: String,
    pub(super) manual: bool,
    pub(super) inbound: bool,
    /// When it ended (the wrap-up's start; Neotel's wall time).
    pub(super) ended: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ContactState {
    /// The session's number for this contact (commands about it carry it).
    pub(super) handle: u64,
    pub(super) contact: ContactRef,
    /// What is searched in Salesforce (the key, after the CLAVESF split).
    pub(super) key: String,
    /// No key (W-PRIVATE): no search.
    pub(super) private: bool,
    pub(super) inbound: bool,
    /// Handed over by the dialer or a queue: Neotel waits for `CRM_ShowingContact`. A contact
    /// the click-to-dial search found is taken without it (Neotel never delivered it).
    pub(super) delivered: bool,
    pub(super) searched: bool,
    pub(super) showing_sent: bool,
    pub(super) record: Option<RecordView>,
    /// Several records and no rule: the agent picks one.
    pub(super) candidates: Vec<SearchMatch>,
    /// Its Neotel data, for `externalData` and `defaultNewRowData`.
    pub(super) values: NeotelValues,
    /// The call this contact was delivered with, and its last state.
    pub(super) call: Option<CallState>,
    pub(super) last_call: Option<LastCall>,
    pub(super) task: TaskSave,
    /// Failed Task saves retried so far (W-ACTIVITY).
    pub(super) task_retries: u32,
    /// `UpdateContact` succeeded.
    pub(super) released: bool,
    pub(super) scheduled: bool,
    /// The callback Neotel accepted, in the agent's wall time (the Task says it).
    pub(super) callback: Option<chrono::NaiveDateTime>,
    /// The chosen subcategory's name, `Category / Subcategory` (the Task's `CallDisposition`).
    pub(super) category_name: Option<String>,
    /// What the agent has entered for the release.
    pub(super) draft: Draft,
    /// W-SYNC: the `neoSyncId__c` of the new record popped for this contact.
    pub(super) sync_id: Option<String>,
    /// The records the search found (Id, name): the only records, besides the synced new one,
    /// this contact may be linked to.
    pub(super) matches: Vec<(String, String)>,
    /// X-CAMPAIGN-ENTITY: the record of `campaignEntityName`'s object whose Neotel campaign
    /// id is the call's campaign; the call's log is related to it.
    #[serde(default)]
    pub(super) campaign_record: Option<RecordRef>,
    /// The surface ended the after-call work: Play follows the release.
    #[serde(default)]
    pub(super) play_on_release: bool,
    /// The release sent last, for the call's record once Neotel has it: the category's and
    /// subcategory's names, the notes, the callback (UTC).
    #[serde(default)]
    pub(super) outcome: Option<ReleaseSent>,
    /// The call's outcome was told ([`crate::CallEvent::Closed`]).
    #[serde(default)]
    pub(super) closed: bool,
}

/// What a release said, for the call's record ([`crate::CallClosed`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct ReleaseSent {
    pub(super) category: Option<(Option<String>, String)>,
    pub(super) notes: String,
    pub(super) callback: Option<chrono::DateTime<chrono::Utc>>,
}

impl ContactState {
    fn new(contact: ContactRef, key: String, values: NeotelValues) -> Self {
        Self {
            handle: 0,
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
            category_name: None,
            draft: Draft::default(),
            sync_id: None,
            matches: Vec::new(),
            campaign_record: None,
            play_on_release: false,
            outcome: None,
            closed: false,
        }
    }
}

impl Session {
    /// Released, or its release on its way: nothing more is entered for it.
    pub(super) fn releasing(&self, c: &ContactState) -> bool {
        c.released || self.writes.releasing(c.handle)
    }

    pub(super) fn contact_handle(&self) -> Option<u64> {
        self.contact.as_ref().map(|c| c.handle)
    }

    /// The contact on screen, when it is the one `handle` names; no handle: whichever is on
    /// screen.
    pub(super) fn contact_for(
        &mut self,
        handle: Option<u64>,
    ) -> Result<&mut ContactState, Message> {
        match self.contact.as_mut() {
            None => Err(Code::NoContact.into()),
            Some(c) if handle.is_some_and(|h| h != c.handle) => Err(Code::OtherContact.into()),
            Some(c) => Ok(c),
        }
    }

    /// A contact `Position` shows as delivered (or being shown, after a reload) that is not
    /// the one on screen.
    pub(super) fn contact_from_position(&mut self, p: &Position) {
        let Some(contact) = p.contact() else {
            return;
        };
        let delivered = matches!(
            p.crm_state(),
            CrmState::GetContact | CrmState::ShowingContact
        );
        let new = self
            .contact
            .as_ref()
            .is_none_or(|c| c.contact.id != contact.id || c.contact.base != contact.base);
        if delivered && new {
            self.contact_delivered(p, contact);
        }
    }

    fn contact_delivered(&mut self, p: &Position, contact: ContactRef) {
        let inbound = matches!(p.direction(), Some(Direction::Inbound)) || p.queue().is_some();
        // W-INBOUND: CLAVESF = idContacto-Data, split at the first '-'. W-PRIVATE: nothing after it.
        let (key, private) = match contact.data.split_once('-') {
            Some((_, rest)) if inbound => (rest.to_owned(), rest.is_empty()),
            _ => (contact.data.clone(), contact.data.is_empty()),
        };
        let mut values = NeotelValues::new();
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        for (datum, value) in [
            (NeotelData::CallCampaign, number(p.campaign())),
            (NeotelData::CallDialer, p.dialer_type().as_str().to_owned()),
            (NeotelData::CallId, number(p.call_id())),
            (NeotelData::CallQueue, number(p.queue())),
            (NeotelData::CallReason, p.origin().to_owned()),
            (NeotelData::PhoneNumber, p.customer_phone().to_owned()),
            (NeotelData::ContactBaseId, contact.base.to_string()),
            (NeotelData::CampaignCrmId, p.outbound_crm().to_string()),
            (NeotelData::CampaignBaseId, p.outbound_base().to_string()),
            (NeotelData::UserOutCampaign, number(p.outbound_campaign())),
            (NeotelData::CrmId, contact.crm.to_string()),
            (NeotelData::ContactId, contact.id.to_string()),
            (NeotelData::CrmKey, key.clone()),
        ] {
            if !value.is_empty() && value != "0" {
                values.insert(datum, value);
            }
        }
        let campaign = call_campaign(&values, inbound);
        self.load_contact_lists(contact.crm, campaign);
        self.new_contact(ContactState {
            private,
            inbound,
            call: self.calls.call.clone(),
            ..ContactState::new(contact, key, values)
        });
        if let Some(campaign) = campaign {
            self.find_campaign_record(campaign);
        }
    }

    /// A new contact on screen: nothing of the last one stays (its notices, its draft).
    fn new_contact(&mut self, mut c: ContactState) {
        // The last contact leaves without a release: its call's outcome is final as it is.
        self.close_contact_call();
        self.page.contacts_seen += 1;
        c.handle = self.page.contacts_seen;
        self.forget_contact_notices();
        self.contact = Some(c);
    }

    /// The contact W-CLICK2DIAL's search found: held like a delivered one, its record known.
    pub(super) fn take_contact(&mut self, contact: ContactRef, record: RecordView) {
        let key = contact.data.clone();
        let mut values = NeotelValues::default();
        values.insert(NeotelData::ContactId, contact.id.to_string());
        values.insert(NeotelData::ContactBaseId, contact.base.to_string());
        values.insert(NeotelData::CrmId, contact.crm.to_string());
        values.insert(NeotelData::CrmKey, key.clone());
        self.load_contact_lists(contact.crm, None);
        // Neotel did not deliver it: no CRM_ShowingContact (Neotel refuses it for a contact
        // its dialer did not hand over); UpdateContact names the contact itself.
        self.new_contact(ContactState {
            delivered: false,
            searched: true,
            matches: vec![(record.id.clone(), record.name.clone())],
            record: Some(record),
            ..ContactState::new(contact, key, values)
        });
    }
}

/// The campaign a contact's call belongs to (its transfer phones, its campaign's record): a
/// dialer's or manual call's campaign; none for a queue call, whose `CAMPAÑA` is the agent's own
/// campaign (the real 44-key sample: `COLA=3`, `CAMPAÑA=109` = `SAL_CAMPAÑA_DEFAULT`).
pub(super) fn call_campaign(values: &NeotelValues, inbound: bool) -> Option<i64> {
    if values.contains_key(&NeotelData::CallQueue) {
        return None;
    }
    let number = |datum| values.get(&datum).and_then(|v| v.parse().ok());
    if inbound {
        number(NeotelData::CallCampaign)
    } else {
        number(NeotelData::CallCampaign).or_else(|| number(NeotelData::UserOutCampaign))
    }
}
