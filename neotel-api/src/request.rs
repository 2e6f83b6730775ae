//! One typed value per NeoApi call the connector makes: method name, parameters by
//! exact WSDL name and order, and what the call returns.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::password::{Password, REDACTED};

/// How many parameters `ExecuteTaskNN` can carry (`ExecuteTask00` … `ExecuteTask20`).
pub const MAX_TASK_PARAMS: usize = 20;

const TASK_METHODS: [&str; MAX_TASK_PARAMS + 1] = [
    "ExecuteTask00",
    "ExecuteTask01",
    "ExecuteTask02",
    "ExecuteTask03",
    "ExecuteTask04",
    "ExecuteTask05",
    "ExecuteTask06",
    "ExecuteTask07",
    "ExecuteTask08",
    "ExecuteTask09",
    "ExecuteTask10",
    "ExecuteTask11",
    "ExecuteTask12",
    "ExecuteTask13",
    "ExecuteTask14",
    "ExecuteTask15",
    "ExecuteTask16",
    "ExecuteTask17",
    "ExecuteTask18",
    "ExecuteTask19",
    "ExecuteTask20",
];

const TASK_PARAMS: [&str; MAX_TASK_PARAMS] = [
    "param1", "param2", "param3", "param4", "param5", "param6", "param7", "param8", "param9",
    "param10", "param11", "param12", "param13", "param14", "param15", "param16", "param17",
    "param18", "param19", "param20",
];

/// How NeoApi writes a `dateTime` parameter (server local time, no offset).
const WIRE_DATE: &str = "%Y-%m-%dT%H:%M:%S";

/// `FECHA_AGENDA` when `UpdateContact` schedules nothing: .NET's `DateTime.MinValue`.
/// The parameter is mandatory even then.
pub const NO_SCHEDULE_DATE: &str = "0001-01-01T00:00:00";

/// A request that cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// `ExecuteTaskNN` exists only up to 20 parameters.
    #[error("a per-install task takes at most {MAX_TASK_PARAMS} parameters, {count} given")]
    TooManyTaskParams {
        /// How many were given.
        count: usize,
    },
}

/// What a method answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReturnKind {
    /// Nothing: an empty body (form/GET) or an empty `<{Method}Response/>` (SOAP).
    Void,
    /// `<string>`.
    String,
    /// `<boolean>`.
    Boolean,
}

/// A decoded answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// A void method succeeded.
    Void,
    /// A string method's value (entities decoded).
    String(String),
    /// A boolean method's value.
    Boolean(bool),
}

impl Reply {
    /// The kind of this reply.
    #[must_use]
    pub fn kind(&self) -> ReturnKind {
        match self {
            Self::Void => ReturnKind::Void,
            Self::String(_) => ReturnKind::String,
            Self::Boolean(_) => ReturnKind::Boolean,
        }
    }
}

/// A callback requested with a disposition (`AGENDA=true`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// `FECHA_AGENDA`: when, in the Neotel server's local time.
    pub at: NaiveDateTime,
    /// `USUARIO_AGENDA`: the agent the callback goes to; empty lets the campaign choose.
    pub user: String,
    /// `TEL_AGENDA`: the number to call back; empty means the contact's number.
    pub phone: String,
}

/// A call of a per-install task, `ExecuteTaskNN` with NN = the number of parameters.
/// Built by [`Task::new`], which refuses more than 20 parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    id: i64,
    params: Vec<String>,
}

impl Task {
    /// Task `id` with `params` in the order the install configured.
    pub fn new(id: i64, params: Vec<String>) -> Result<Self, RequestError> {
        if params.len() > MAX_TASK_PARAMS {
            return Err(RequestError::TooManyTaskParams {
                count: params.len(),
            });
        }
        Ok(Self { id, params })
    }

    /// The task id (`idTask`).
    #[must_use]
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The parameters (`param1` …).
    #[must_use]
    pub fn params(&self) -> &[String] {
        &self.params
    }
}

impl<'de> Deserialize<'de> for Task {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: i64,
            params: Vec<String>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Self::new(raw.id, raw.params).map_err(serde::de::Error::custom)
    }
}

/// One parameter on the wire. `Debug` hides secret values.
#[derive(Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// The exact WSDL name (`USUARIO`, `CAMPAÑA`, `param3`, …).
    pub name: &'static str,
    /// The value as sent.
    pub value: Cow<'a, str>,
    /// Whether the value is a password (never logged).
    pub secret: bool,
}

impl fmt::Debug for Param<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &str = if self.secret { REDACTED } else { &self.value };
        write!(f, "{}={value:?}", self.name)
    }
}

/// A NeoApi call the connector makes. Serializes (for logs and journals) with the wire
/// method name in `"method"` and the password as `***`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method")]
pub enum Request {
    /// `Login(DEVICE, USUARIO, CLAVE)` → void.
    Login {
        /// `DEVICE`: the position, e.g. `SIP/6000`.
        device: String,
        /// `USUARIO`.
        user: String,
        /// `CLAVE`.
        password: Password,
    },
    /// `Logout(USUARIO)` → void.
    Logout {
        /// `USUARIO`.
        user: String,
    },
    /// `Login_Campaign2(USUARIO, CAMPANA)` → void: join an outbound campaign.
    #[serde(rename = "Login_Campaign2")]
    LoginCampaign {
        /// `USUARIO`.
        user: String,
        /// `CAMPANA`.
        campaign: i64,
    },
    /// `Logout_Campaign(USUARIO)` → void.
    #[serde(rename = "Logout_Campaign")]
    LogoutCampaign {
        /// `USUARIO`.
        user: String,
    },
    /// `Pause(USUARIO, SUBTIPO_DESCANSO)` → void: enter a break state.
    Pause {
        /// `USUARIO`.
        user: String,
        /// `SUBTIPO_DESCANSO`: the break state id.
        break_subtype: i64,
    },
    /// `Unpause(USUARIO)` → void.
    Unpause {
        /// `USUARIO`.
        user: String,
    },
    /// `Position(USUARIO)` → string (see [`crate::Position`]).
    Position {
        /// `USUARIO`.
        user: String,
    },
    /// `CRM_ShowingContact(USUARIO, BASE, IDCONTACTO, DATA)` → void.
    #[serde(rename = "CRM_ShowingContact")]
    CrmShowingContact {
        /// `USUARIO`.
        user: String,
        /// `BASE`.
        base: i64,
        /// `IDCONTACTO`.
        contact_id: i64,
        /// `DATA`.
        data: String,
    },
    /// `CRM_Available(USUARIO)` → void.
    #[serde(rename = "CRM_Available")]
    CrmAvailable {
        /// `USUARIO`.
        user: String,
    },
    /// `CRM_Unavailable(USUARIO)` → boolean.
    #[serde(rename = "CRM_Unavailable")]
    CrmUnavailable {
        /// `USUARIO`.
        user: String,
    },
    /// `UpdateContact(CRM, USUARIO, BASE, IDCONTACTO, DATA, SUBCATEGORIA, XML_UPDATE,
    /// AGENDA, FECHA_AGENDA, USUARIO_AGENDA, TEL_AGENDA)` → void: the disposition, and
    /// a schedule when `schedule` is set. `FECHA_AGENDA` is always sent.
    UpdateContact {
        /// `CRM`.
        crm: i64,
        /// `USUARIO`.
        user: String,
        /// `BASE`.
        base: i64,
        /// `IDCONTACTO`.
        contact_id: i64,
        /// `DATA`.
        data: String,
        /// `SUBCATEGORIA`: the disposition (subcategory id).
        subcategory: i64,
        /// `XML_UPDATE`: contact fields to update (empty: none).
        xml_update: String,
        /// `AGENDA`, `FECHA_AGENDA`, `USUARIO_AGENDA`, `TEL_AGENDA`.
        schedule: Option<Schedule>,
    },
    /// `CloseContact(BASE, IDCONTACTO)` → void: no more dialing of this contact.
    CloseContact {
        /// `BASE`.
        base: i64,
        /// `IDCONTACTO`.
        contact_id: i64,
    },
    /// `AddScheduleCall(USUARIO, BASE, IDCONTACTO, DATA, TELEFONO, FECHA_AGENDA)` → string.
    AddScheduleCall {
        /// `USUARIO`.
        user: String,
        /// `BASE`.
        base: i64,
        /// `IDCONTACTO`.
        contact_id: i64,
        /// `DATA`.
        data: String,
        /// `TELEFONO`.
        phone: String,
        /// `FECHA_AGENDA`, Neotel server local time.
        at: NaiveDateTime,
    },
    /// `Dial(USUARIO, TELEFONO)` → boolean.
    Dial {
        /// `USUARIO`.
        user: String,
        /// `TELEFONO`.
        phone: String,
    },
    /// `Hangup(USUARIO)` → void. In an attended transfer it cuts the consulted leg.
    Hangup {
        /// `USUARIO`.
        user: String,
    },
    /// `SendDTMF(USUARIO, DIGITOS)` → void.
    #[serde(rename = "SendDTMF")]
    SendDtmf {
        /// `USUARIO`.
        user: String,
        /// `DIGITOS`.
        digits: String,
    },
    /// `BlindTransfer(USUARIO, EXTENSION)` → void.
    BlindTransfer {
        /// `USUARIO`.
        user: String,
        /// `EXTENSION`: a user, extension or external number.
        extension: String,
    },
    /// `AttendedTransfer(USUARIO, EXTENSION)` → void.
    AttendedTransfer {
        /// `USUARIO`.
        user: String,
        /// `EXTENSION`.
        extension: String,
    },
    /// `BlindTransferQueue(USUARIO, COLA)` → void.
    BlindTransferQueue {
        /// `USUARIO`.
        user: String,
        /// `COLA`.
        queue: i64,
    },
    /// `AttendedTransferQueue(USUARIO, COLA)` → void.
    AttendedTransferQueue {
        /// `USUARIO`.
        user: String,
        /// `COLA`.
        queue: i64,
    },
    /// `BlindTransferCampaign(USUARIO, CAMPAÑA)` → void.
    BlindTransferCampaign {
        /// `USUARIO`.
        user: String,
        /// `CAMPAÑA`.
        campaign: i64,
    },
    /// `JoinConference(USUARIO)` → void.
    JoinConference {
        /// `USUARIO`.
        user: String,
    },
    /// `InviteParticipant(USUARIO, EXTENSION)` → void.
    InviteParticipant {
        /// `USUARIO`.
        user: String,
        /// `EXTENSION`.
        extension: String,
    },
    /// `CancelInvitation(USUARIO)` → void.
    CancelInvitation {
        /// `USUARIO`.
        user: String,
    },
    /// `KickAll(USUARIO, CONFERENCIA)` → void.
    KickAll {
        /// `USUARIO`.
        user: String,
        /// `CONFERENCIA`: from `Position`.
        conference: i64,
    },
    /// `StartMonitor(USUARIO)` → void.
    StartMonitor {
        /// `USUARIO`.
        user: String,
    },
    /// `StopMonitor(USUARIO)` → void.
    StopMonitor {
        /// `USUARIO`.
        user: String,
    },
    /// `ExecuteTaskNN(idTask, param1 … paramNN)` → string.
    ExecuteTask(Task),
}

impl Request {
    /// A per-install task call; more than 20 parameters is an error.
    pub fn execute_task(id: i64, params: Vec<String>) -> Result<Self, RequestError> {
        Task::new(id, params).map(Self::ExecuteTask)
    }

    /// The method name on the wire.
    #[must_use]
    pub fn method(&self) -> &'static str {
        match self {
            Self::Login { .. } => "Login",
            Self::Logout { .. } => "Logout",
            Self::LoginCampaign { .. } => "Login_Campaign2",
            Self::LogoutCampaign { .. } => "Logout_Campaign",
            Self::Pause { .. } => "Pause",
            Self::Unpause { .. } => "Unpause",
            Self::Position { .. } => "Position",
            Self::CrmShowingContact { .. } => "CRM_ShowingContact",
            Self::CrmAvailable { .. } => "CRM_Available",
            Self::CrmUnavailable { .. } => "CRM_Unavailable",
            Self::UpdateContact { .. } => "UpdateContact",
            Self::CloseContact { .. } => "CloseContact",
            Self::AddScheduleCall { .. } => "AddScheduleCall",
            Self::Dial { .. } => "Dial",
            Self::Hangup { .. } => "Hangup",
            Self::SendDtmf { .. } => "SendDTMF",
            Self::BlindTransfer { .. } => "BlindTransfer",
            Self::AttendedTransfer { .. } => "AttendedTransfer",
            Self::BlindTransferQueue { .. } => "BlindTransferQueue",
            Self::AttendedTransferQueue { .. } => "AttendedTransferQueue",
            Self::BlindTransferCampaign { .. } => "BlindTransferCampaign",
            Self::JoinConference { .. } => "JoinConference",
            Self::InviteParticipant { .. } => "InviteParticipant",
            Self::CancelInvitation { .. } => "CancelInvitation",
            Self::KickAll { .. } => "KickAll",
            Self::StartMonitor { .. } => "StartMonitor",
            Self::StopMonitor { .. } => "StopMonitor",
            Self::ExecuteTask(task) => TASK_METHODS[task.params.len()],
        }
    }

    /// What the method answers.
    #[must_use]
    pub fn returns(&self) -> ReturnKind {
        match self {
            Self::Position { .. } | Self::AddScheduleCall { .. } | Self::ExecuteTask(_) => {
                ReturnKind::String
            }
            Self::CrmUnavailable { .. } | Self::Dial { .. } => ReturnKind::Boolean,
            _ => ReturnKind::Void,
        }
    }

    /// The `USUARIO` the call acts as, when it names one.
    #[must_use]
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::Login { user, .. }
            | Self::Logout { user }
            | Self::LoginCampaign { user, .. }
            | Self::LogoutCampaign { user }
            | Self::Pause { user, .. }
            | Self::Unpause { user }
            | Self::Position { user }
            | Self::CrmShowingContact { user, .. }
            | Self::CrmAvailable { user }
            | Self::CrmUnavailable { user }
            | Self::UpdateContact { user, .. }
            | Self::AddScheduleCall { user, .. }
            | Self::Dial { user, .. }
            | Self::Hangup { user }
            | Self::SendDtmf { user, .. }
            | Self::BlindTransfer { user, .. }
            | Self::AttendedTransfer { user, .. }
            | Self::BlindTransferQueue { user, .. }
            | Self::AttendedTransferQueue { user, .. }
            | Self::BlindTransferCampaign { user, .. }
            | Self::JoinConference { user }
            | Self::InviteParticipant { user, .. }
            | Self::CancelInvitation { user }
            | Self::KickAll { user, .. }
            | Self::StartMonitor { user }
            | Self::StopMonitor { user } => Some(user),
            Self::CloseContact { .. } | Self::ExecuteTask(_) => None,
        }
    }

    /// The secret this request carries (the `Login` password), to scrub from any text.
    #[must_use]
    pub fn secret(&self) -> Option<&str> {
        match self {
            Self::Login { password, .. } => Some(password.expose()),
            _ => None,
        }
    }

    /// The parameters in WSDL order, by exact WSDL name.
    #[must_use]
    pub fn params(&self) -> Vec<Param<'_>> {
        fn p<'a>(name: &'static str, value: impl Into<Cow<'a, str>>) -> Param<'a> {
            Param {
                name,
                value: value.into(),
                secret: false,
            }
        }
        fn n(name: &'static str, value: i64) -> Param<'static> {
            p(name, value.to_string())
        }
        /// BASE, IDCONTACTO, DATA: the contact as three calls send it, in this order.
        fn contact(base: i64, id: i64, data: &str) -> Vec<Param<'_>> {
            vec![n("BASE", base), n("IDCONTACTO", id), p("DATA", data)]
        }
        fn concat<'a, const N: usize>(parts: [Vec<Param<'a>>; N]) -> Vec<Param<'a>> {
            parts.into_iter().flatten().collect()
        }
        let u = |user: &str| p("USUARIO", user.to_owned());
        match self {
            Self::Login {
                device,
                user,
                password,
            } => vec![
                p("DEVICE", device.as_str()),
                p("USUARIO", user.as_str()),
                Param {
                    name: "CLAVE",
                    value: password.expose().into(),
                    secret: true,
                },
            ],
            Self::Logout { user }
            | Self::LogoutCampaign { user }
            | Self::Unpause { user }
            | Self::Position { user }
            | Self::CrmAvailable { user }
            | Self::CrmUnavailable { user }
            | Self::Hangup { user }
            | Self::JoinConference { user }
            | Self::CancelInvitation { user }
            | Self::StartMonitor { user }
            | Self::StopMonitor { user } => vec![u(user)],
            Self::LoginCampaign { user, campaign } => vec![u(user), n("CAMPANA", *campaign)],
            Self::Pause {
                user,
                break_subtype,
            } => vec![u(user), n("SUBTIPO_DESCANSO", *break_subtype)],
            Self::CrmShowingContact {
                user,
                base,
                contact_id,
                data,
            } => concat([vec![u(user)], contact(*base, *contact_id, data)]),
            Self::UpdateContact {
                crm,
                user,
                base,
                contact_id,
                data,
                subcategory,
                xml_update,
                schedule,
            } => {
                let (agenda, at, agenda_user, agenda_phone) = match schedule {
                    Some(s) => (
                        "true",
                        Cow::Owned(s.at.format(WIRE_DATE).to_string()),
                        s.user.as_str(),
                        s.phone.as_str(),
                    ),
                    None => ("false", Cow::Borrowed(NO_SCHEDULE_DATE), "", ""),
                };
                concat([
                    vec![n("CRM", *crm), u(user)],
                    contact(*base, *contact_id, data),
                    vec![
                        n("SUBCATEGORIA", *subcategory),
                        p("XML_UPDATE", xml_update.as_str()),
                        p("AGENDA", agenda),
                        p("FECHA_AGENDA", at),
                        p("USUARIO_AGENDA", agenda_user),
                        p("TEL_AGENDA", agenda_phone),
                    ],
                ])
            }
            Self::CloseContact { base, contact_id } => {
                vec![n("BASE", *base), n("IDCONTACTO", *contact_id)]
            }
            Self::AddScheduleCall {
                user,
                base,
                contact_id,
                data,
                phone,
                at,
            } => concat([
                vec![u(user)],
                contact(*base, *contact_id, data),
                vec![
                    p("TELEFONO", phone.as_str()),
                    p("FECHA_AGENDA", at.format(WIRE_DATE).to_string()),
                ],
            ]),
            Self::Dial { user, phone } => vec![u(user), p("TELEFONO", phone.as_str())],
            Self::SendDtmf { user, digits } => vec![u(user), p("DIGITOS", digits.as_str())],
            Self::BlindTransfer { user, extension }
            | Self::AttendedTransfer { user, extension }
            | Self::InviteParticipant { user, extension } => {
                vec![u(user), p("EXTENSION", extension.as_str())]
            }
            Self::BlindTransferQueue { user, queue }
            | Self::AttendedTransferQueue { user, queue } => {
                vec![u(user), n("COLA", *queue)]
            }
            Self::BlindTransferCampaign { user, campaign } => {
                vec![u(user), n("CAMPAÑA", *campaign)]
            }
            Self::KickAll { user, conference } => vec![u(user), n("CONFERENCIA", *conference)],
            Self::ExecuteTask(task) => std::iter::once(n("idTask", task.id))
                .chain(
                    TASK_PARAMS
                        .iter()
                        .zip(&task.params)
                        .map(|(name, value)| p(name, value.as_str())),
                )
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(r: &Request) -> Vec<&'static str> {
        r.params().iter().map(|p| p.name).collect()
    }

    #[test]
    fn update_contact_always_sends_fecha_agenda() {
        let mut r = Request::UpdateContact {
            crm: 1,
            user: "1001".into(),
            base: 134,
            contact_id: 5,
            data: "003A".into(),
            subcategory: 26,
            xml_update: String::new(),
            schedule: None,
        };
        assert_eq!(
            names(&r),
            [
                "CRM",
                "USUARIO",
                "BASE",
                "IDCONTACTO",
                "DATA",
                "SUBCATEGORIA",
                "XML_UPDATE",
                "AGENDA",
                "FECHA_AGENDA",
                "USUARIO_AGENDA",
                "TEL_AGENDA"
            ]
        );
        assert_eq!(r.params()[8].value, NO_SCHEDULE_DATE);
        assert_eq!(r.params()[7].value, "false");
        if let Request::UpdateContact { schedule, .. } = &mut r {
            *schedule = Some(Schedule {
                at: chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
                    .and_then(|d| d.and_hms_opt(16, 0, 0))
                    .expect("valid"),
                user: "1001".into(),
                phone: "1144445555".into(),
            });
        }
        let params = r.params();
        assert_eq!(params[7].value, "true");
        assert_eq!(params[8].value, "2026-11-25T16:00:00");
        assert_eq!(params[10].value, "1144445555");
    }

    #[test]
    fn execute_task_names_and_limit() {
        let r =
            Request::execute_task(28, vec!["a".into(), "b".into(), "c".into()]).expect("3 params");
        assert_eq!(r.method(), "ExecuteTask03");
        assert_eq!(names(&r), ["idTask", "param1", "param2", "param3"]);
        assert_eq!(
            Request::execute_task(1, vec![]).expect("0 params").method(),
            "ExecuteTask00"
        );
        let twenty = Request::execute_task(1, vec![String::new(); 20]).expect("20 params");
        assert_eq!(twenty.method(), "ExecuteTask20");
        assert_eq!(
            Request::execute_task(1, vec![String::new(); 21]),
            Err(RequestError::TooManyTaskParams { count: 21 })
        );
        let e = serde_json::from_str::<Task>(&format!(
            "{{\"id\":1,\"params\":{}}}",
            serde_json::to_string(&vec![""; 21]).expect("json")
        ));
        assert!(e.is_err());
    }

    #[test]
    fn serializes_without_the_password() {
        let r = Request::Login {
            device: "SIP/6000".into(),
            user: "1001".into(),
            password: Password::new("s3cr3t"),
        };
        let json = serde_json::to_string(&r).expect("json");
        assert!(json.contains("\"method\":\"Login\""), "{json}");
        assert!(!json.contains("s3cr3t"), "{json}");
        assert!(!format!("{r:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", r.params()).contains("s3cr3t"));
        let json = serde_json::to_string(&Request::LoginCampaign {
            user: "1001".into(),
            campaign: 97,
        })
        .expect("json");
        assert_eq!(
            json,
            r#"{"method":"Login_Campaign2","user":"1001","campaign":97}"#
        );
    }

    #[test]
    fn campaign_transfer_uses_the_enye_name() {
        let r = Request::BlindTransferCampaign {
            user: "1".into(),
            campaign: 3,
        };
        assert_eq!(names(&r), ["USUARIO", "CAMPAÑA"]);
        assert_eq!(r.returns(), ReturnKind::Void);
        assert_eq!(
            Request::Dial {
                user: "1".into(),
                phone: "2".into()
            }
            .returns(),
            ReturnKind::Boolean
        );
    }
}
