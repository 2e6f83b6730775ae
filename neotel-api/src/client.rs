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

    /// `Login`: logs `user` in on `device` (e.g. `SIP/6000`).
    pub async fn login(&self, device: &str, user: &str, password: &Password) -> Result<(), Error> {
        self.void(Request::Login {
            device: device.to_owned(),
            user: user.to_owned(),
            password: password.clone(),
        })
        .await
    }

    /// `Logout`.
    pub async fn logout(&self, user: &str) -> Result<(), Error> {
        self.void(Request::Logout {
            user: user.to_owned(),
        })
        .await
    }

    /// `Login_Campaign2`: joins an outbound campaign.
    pub async fn login_campaign(&self, user: &str, campaign: i64) -> Result<(), Error> {
        self.void(Request::LoginCampaign {
            user: user.to_owned(),
            campaign,
        })
        .await
    }

    /// `Logout_Campaign`.
    pub async fn logout_campaign(&self, user: &str) -> Result<(), Error> {
        self.void(Request::LogoutCampaign {
            user: user.to_owned(),
        })
        .await
    }

    /// `Pause`: enters break state `break_subtype`.
    pub async fn pause(&self, user: &str, break_subtype: i64) -> Result<(), Error> {
        self.void(Request::Pause {
            user: user.to_owned(),
            break_subtype,
        })
        .await
    }

    /// `Unpause`.
    pub async fn unpause(&self, user: &str) -> Result<(), Error> {
        self.void(Request::Unpause {
            user: user.to_owned(),
        })
        .await
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

    /// `CRM_ShowingContact`: the CRM shows the contact the dialer delivered.
    pub async fn crm_showing_contact(
        &self,
        user: &str,
        base: i64,
        contact_id: i64,
        data: &str,
    ) -> Result<(), Error> {
        self.void(Request::CrmShowingContact {
            user: user.to_owned(),
            base,
            contact_id,
            data: data.to_owned(),
        })
        .await
    }

    /// `CRM_Available`: ready for the next contact.
    pub async fn crm_available(&self, user: &str) -> Result<(), Error> {
        self.void(Request::CrmAvailable {
            user: user.to_owned(),
        })
        .await
    }

    /// `CRM_Unavailable`.
    pub async fn crm_unavailable(&self, user: &str) -> Result<bool, Error> {
        self.boolean(Request::CrmUnavailable {
            user: user.to_owned(),
        })
        .await
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

    /// `CloseContact`: no more dialing of this contact.
    pub async fn close_contact(&self, base: i64, contact_id: i64) -> Result<(), Error> {
        self.void(Request::CloseContact { base, contact_id }).await
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

    /// `Dial`: click-to-call.
    pub async fn dial(&self, user: &str, phone: &str) -> Result<bool, Error> {
        self.boolean(Request::Dial {
            user: user.to_owned(),
            phone: phone.to_owned(),
        })
        .await
    }

    /// `Hangup` (in an attended transfer: cuts the consulted leg).
    pub async fn hangup(&self, user: &str) -> Result<(), Error> {
        self.void(Request::Hangup {
            user: user.to_owned(),
        })
        .await
    }

    /// `SendDTMF`.
    pub async fn send_dtmf(&self, user: &str, digits: &str) -> Result<(), Error> {
        self.void(Request::SendDtmf {
            user: user.to_owned(),
            digits: digits.to_owned(),
        })
        .await
    }

    /// `BlindTransfer` to an extension, user or external number.
    pub async fn blind_transfer(&self, user: &str, extension: &str) -> Result<(), Error> {
        self.void(Request::BlindTransfer {
            user: user.to_owned(),
            extension: extension.to_owned(),
        })
        .await
    }

    /// `AttendedTransfer` to an extension, user or external number.
    pub async fn attended_transfer(&self, user: &str, extension: &str) -> Result<(), Error> {
        self.void(Request::AttendedTransfer {
            user: user.to_owned(),
            extension: extension.to_owned(),
        })
        .await
    }

    /// `BlindTransferQueue`.
    pub async fn blind_transfer_queue(&self, user: &str, queue: i64) -> Result<(), Error> {
        self.void(Request::BlindTransferQueue {
            user: user.to_owned(),
            queue,
        })
        .await
    }

    /// `AttendedTransferQueue`.
    pub async fn attended_transfer_queue(&self, user: &str, queue: i64) -> Result<(), Error> {
        self.void(Request::AttendedTransferQueue {
            user: user.to_owned(),
            queue,
        })
        .await
    }

    /// `BlindTransferCampaign`.
    pub async fn blind_transfer_campaign(&self, user: &str, campaign: i64) -> Result<(), Error> {
        self.void(Request::BlindTransferCampaign {
            user: user.to_owned(),
            campaign,
        })
        .await
    }

    /// `JoinConference`.
    pub async fn join_conference(&self, user: &str) -> Result<(), Error> {
        self.void(Request::JoinConference {
            user: user.to_owned(),
        })
        .await
    }

    /// `InviteParticipant`.
    pub async fn invite_participant(&self, user: &str, extension: &str) -> Result<(), Error> {
        self.void(Request::InviteParticipant {
            user: user.to_owned(),
            extension: extension.to_owned(),
        })
        .await
    }

    /// `CancelInvitation`.
    pub async fn cancel_invitation(&self, user: &str) -> Result<(), Error> {
        self.void(Request::CancelInvitation {
            user: user.to_owned(),
        })
        .await
    }

    /// `KickAll`: ends the conference (its id comes from `Position`).
    pub async fn kick_all(&self, user: &str, conference: i64) -> Result<(), Error> {
        self.void(Request::KickAll {
            user: user.to_owned(),
            conference,
        })
        .await
    }

    /// `StartMonitor`.
    pub async fn start_monitor(&self, user: &str) -> Result<(), Error> {
        self.void(Request::StartMonitor {
            user: user.to_owned(),
        })
        .await
    }

    /// `StopMonitor`.
    pub async fn stop_monitor(&self, user: &str) -> Result<(), Error> {
        self.void(Request::StopMonitor {
            user: user.to_owned(),
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
