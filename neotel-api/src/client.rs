//! The typed async client: one method per NeoApi operation, over any [`Transport`].

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::codec::{decode_rows, decode_table};
use crate::error::{DecodeError, Error};
use crate::password::Password;
use crate::position::{ContactRef, Position};
use crate::request::{Reply, Request, ReturnKind, Schedule};
use crate::transport::Transport;

/// `name(args) => kind Variant;`: a typed call whose arguments go, owned, into the
/// `Request` variant's fields of the same names, answered as `void`, `string` or `boolean`.
macro_rules! operations {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) => $kind:ident $variant:ident;)+) => {
        $(
            $(#[$doc])*
            pub async fn $name(&self, $($arg: $ty),*) -> Result<reply!($kind), Error> {
                self.$kind(Request::$variant { $($arg: $arg.to_owned()),* }).await
            }
        )+
    };
}

/// What each kind of call answers with.
macro_rules! reply {
    (void) => {
        ()
    };
    (string) => {
        String
    };
    (boolean) => {
        bool
    };
}

/// A NeoApi client. Cheap to clone (one `Arc`); every call opens a `tracing` debug
/// span `neoapi` with the method and user (never the password).
#[derive(Clone, Debug)]
pub struct Client {
    transport: Arc<dyn Transport>,
}

impl Client {
    /// A client over `transport`.
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// The transport underneath.
    #[must_use]
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// Any request, answered with its raw [`Reply`].
    pub async fn call(&self, request: &Request) -> Result<Reply, Error> {
        let span = tracing::debug_span!(
            "neoapi",
            method = request.method(),
            user = request.user().unwrap_or("")
        );
        async {
            let result = self.transport.call(request).await;
            match &result {
                Ok(_) => tracing::debug!("ok"),
                Err(e) => tracing::debug!(error = %e, "failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn expect(&self, request: Request, kind: ReturnKind) -> Result<Reply, Error> {
        let reply = self.call(&request).await?;
        if reply.kind() == kind {
            Ok(reply)
        } else {
            Err(Error::Decode(DecodeError::Unexpected {
                what: format!("{} reply", request.method()),
                expected: format!("{kind:?}"),
                found: format!("{:?}", reply.kind()),
            }))
        }
    }

    async fn void(&self, request: Request) -> Result<(), Error> {
        self.expect(request, ReturnKind::Void).await.map(|_| ())
    }

    async fn string(&self, request: Request) -> Result<String, Error> {
        match self.expect(request, ReturnKind::String).await? {
            Reply::String(s) => Ok(s),
            _ => unreachable!("expect() checked the reply kind"),
        }
    }

    async fn boolean(&self, request: Request) -> Result<bool, Error> {
        match self.expect(request, ReturnKind::Boolean).await? {
            Reply::Boolean(b) => Ok(b),
            _ => unreachable!("expect() checked the reply kind"),
        }
    }

    operations! {
        /// `Login`: logs `user` in on `device` (e.g. `SIP/6000`).
        login(device: &str, user: &str, password: &Password) => void Login;
        /// `Logout`.
        logout(user: &str) => void Logout;
        /// `Login_Campaign2`: joins an outbound campaign.
        login_campaign(user: &str, campaign: i64) => void LoginCampaign;
        /// `Logout_Campaign`.
        logout_campaign(user: &str) => void LogoutCampaign;
        /// `Pause`: enters break state `break_subtype`.
        pause(user: &str, break_subtype: i64) => void Pause;
        /// `Unpause`.
        unpause(user: &str) => void Unpause;
        /// `CRM_ShowingContact`: the CRM shows the contact the dialer delivered.
        crm_showing_contact(user: &str, base: i64, contact_id: i64, data: &str)
            => void CrmShowingContact;
        /// `CRM_Available`: ready for the next contact.
        crm_available(user: &str) => void CrmAvailable;
        /// `CRM_Unavailable`.
        crm_unavailable(user: &str) => boolean CrmUnavailable;
        /// `CloseContact`: no more dialing of this contact.
        close_contact(base: i64, contact_id: i64) => void CloseContact;
        /// `Dial`: click-to-call.
        dial(user: &str, phone: &str) => boolean Dial;
        /// `Hangup` (in an attended transfer: cuts the consulted leg).
        hangup(user: &str) => void Hangup;
        /// `SendDTMF`.
        send_dtmf(user: &str, digits: &str) => void SendDtmf;
        /// `BlindTransfer` to an extension, user or external number.
        blind_transfer(user: &str, extension: &str) => void BlindTransfer;
        /// `AttendedTransfer` to an extension, user or external number.
        attended_transfer(user: &str, extension: &str) => void AttendedTransfer;
        /// `BlindTransferQueue`.
        blind_transfer_queue(user: &str, queue: i64) => void BlindTransferQueue;
        /// `AttendedTransferQueue`.
        attended_transfer_queue(user: &str, queue: i64) => void AttendedTransferQueue;
        /// `BlindTransferCampaign`.
        blind_transfer_campaign(user: &str, campaign: i64) => void BlindTransferCampaign;
        /// `JoinConference`.
        join_conference(user: &str) => void JoinConference;
        /// `InviteParticipant`.
        invite_participant(user: &str, extension: &str) => void InviteParticipant;
        /// `CancelInvitation`.
        cancel_invitation(user: &str) => void CancelInvitation;
        /// `KickAll`: ends the conference (its id comes from `Position`).
        kick_all(user: &str, conference: i64) => void KickAll;
        /// `StartMonitor`.
        start_monitor(user: &str) => void StartMonitor;
        /// `StopMonitor`.
        stop_monitor(user: &str) => void StopMonitor;
    }

    /// `Position`, parsed.
    pub async fn position(&self, user: &str) -> Result<Position, Error> {
        let text = self
            .string(Request::Position {
                user: user.to_owned(),
            })
            .await?;
        Position::parse(&text).map_err(|e| Error::Decode(e.into()))
    }

    /// `UpdateContact`: the disposition (`subcategory`) of `contact`, with a schedule
    /// (callback) when given. `FECHA_AGENDA` is always sent.
    pub async fn update_contact(
        &self,
        user: &str,
        contact: &ContactRef,
        subcategory: i64,
        xml_update: &str,
        schedule: Option<Schedule>,
    ) -> Result<(), Error> {
        self.void(Request::UpdateContact {
            crm: contact.crm,
            user: user.to_owned(),
            base: contact.base,
            contact_id: contact.id,
            data: contact.data.clone(),
            subcategory,
            xml_update: xml_update.to_owned(),
            schedule,
        })
        .await
    }

    /// `AddScheduleCall`: schedules a callback at `at` (Neotel server time).
    pub async fn add_schedule_call(
        &self,
        user: &str,
        contact: &ContactRef,
        phone: &str,
        at: NaiveDateTime,
    ) -> Result<String, Error> {
        self.string(Request::AddScheduleCall {
            user: user.to_owned(),
            base: contact.base,
            contact_id: contact.id,
            data: contact.data.clone(),
            phone: phone.to_owned(),
            at,
        })
        .await
    }

    /// `ExecuteTaskNN`: a per-install task; NN is the number of `params` (at most 20).
    pub async fn execute_task(&self, id: i64, params: Vec<String>) -> Result<String, Error> {
        self.string(Request::execute_task(id, params)?).await
    }

    /// A per-install task whose result is `{"Table":[…]}`, as JSON rows.
    pub async fn execute_task_table(
        &self,
        id: i64,
        params: Vec<String>,
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, Error> {
        Ok(decode_table(&self.execute_task(id, params).await?)?)
    }

    /// A per-install task whose result is `{"Table":[…]}`, as the caller's row type.
    pub async fn execute_task_rows<T: DeserializeOwned>(
        &self,
        id: i64,
        params: Vec<String>,
    ) -> Result<Vec<T>, Error> {
        Ok(decode_rows(&self.execute_task(id, params).await?)?)
    }
}
