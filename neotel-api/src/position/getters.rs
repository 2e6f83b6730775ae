//! The typed accessors. Each reads a value checked at parse time or looks a key up as
//! text, so none can fail. Most keys need one line each (see the tables below); the
//! getters that interpret a value are written out.

use chrono::NaiveDateTime;

use super::keys::Key;
use super::{ContactRef, CrmState, DialerType, Direction, Position, PositionDate};

/// `name => Key;`: the key's raw text, `""` when absent.
macro_rules! text_getters {
    ($($(#[$doc:meta])* $name:ident => $key:ident;)+) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(&self) -> &str {
                self.text(Key::$key)
            }
        )+
    };
}

/// `name;`: an id checked at parse time, `None` for 0 (Neotel's "none").
macro_rules! id_getters {
    ($($(#[$doc:meta])* $name:ident;)+) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(&self) -> Option<i64> {
                non_zero(self.typed.$name)
            }
        )+
    };
}

/// `name;`: a number checked at parse time, as sent (0 when absent or empty).
macro_rules! number_getters {
    ($($(#[$doc:meta])* $name:ident;)+) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(&self) -> i64 {
                self.typed.$name
            }
        )+
    };
}

impl Position {
    fn text(&self, key: Key) -> &str {
        self.value(key).unwrap_or("")
    }

    text_getters! {
        /// `DEVICE`: the position (Asterisk peer) the user is logged on, e.g. `SIP/6000`.
        device => Device;
        /// `USUARIO`: the agent.
        user => User;
        /// `STATUS`: `OK` when the position is usable (SIP phone registered).
        status => Status;
        /// `SERVER`: the Neotel node.
        server => Server;
        /// `IP`: the SIP phone's address (`0.0.0.0` when not registered).
        ip => Ip;
        /// `CHANNEL`: the agent's current Asterisk channel.
        channel => Channel;
        /// `SUB_ESTADO`: the call leg state (`AGENT` once bridged to the agent).
        sub_state => SubState;
        /// `ANI`: the calling number of an inbound call.
        ani => Ani;
        /// `DNIS`: the called number of an inbound call.
        dnis => Dnis;
        /// `TELEFONO`: the number dialed on an outbound call.
        phone => Phone;
        /// `ANI_TELEFONO_ULT`: the remote number of the last call.
        phone_last => PhoneLast;
        /// `TIPO_LLAMADA`: `NotSet`, `Manual`, `OriginateExt` (a dialer call), …
        call_type => CallType;
        /// `ORIGEN_LLAMADA`: the call's reason/classification.
        origin => Origin;
        /// `DATA`: the delivered contact's key (`Clave_1`; inbound: the `CLAVESF`).
        data => Data;
        /// `CLAVE`: data keyed in the IVR (e.g. `RUT=6007453;ANI=223126917;DV=4;`). Not a password.
        clave => Clave;
    }

    id_getters! {
        /// `SAL_CAMPAÑA_DEFAULT`: the outbound campaign the user is logged into (`None` for 0).
        outbound_campaign;
        /// `SUBTIPO_DESCANSO`: the break state id while paused (`None` for 0).
        break_subtype;
        /// `IDLLAMADA`: the current call (`None` for 0: no call).
        call_id;
        /// `IDLLAMADA_ULT`: the last call (`None` for 0).
        call_id_last;
        /// `CAMPAÑA`: the campaign of the current call (`None` for 0).
        campaign;
        /// `CAMPAÑA_ULT`: the campaign of the last call (`None` for 0).
        campaign_last;
        /// `COLA`: the inbound queue of the current call (`None` for 0).
        queue;
        /// `COLA_ULT`: the queue of the last call (`None` for 0).
        queue_last;
    }

    number_getters! {
        /// `CRM`.
        crm;
        /// `BASE`: the contact base of the delivered contact.
        base;
        /// `IDCONTACTO`: the delivered contact (0 when none).
        contact_id;
        /// `SAL_CRM`: the CRM of the outbound campaign.
        outbound_crm;
        /// `SAL_BASE`: the contact base of the outbound campaign.
        outbound_base;
    }

    /// `PORT`: the SIP phone's port (`0` when not registered).
    #[must_use]
    pub fn port(&self) -> Option<i64> {
        self.typed.port
    }

    /// `ESTADO_CRM`.
    #[must_use]
    pub fn crm_state(&self) -> &CrmState {
        &self.typed.crm_state
    }

    /// `SAL_TIPO_DISCADOR`: the dial mode of the outbound campaign.
    #[must_use]
    pub fn dialer_type(&self) -> &DialerType {
        &self.typed.dialer_type
    }

    /// Whether the call is bridged to the agent (`SUB_ESTADO=AGENT`).
    #[must_use]
    pub fn is_bridged(&self) -> bool {
        self.sub_state().trim().eq_ignore_ascii_case("AGENT")
    }

    /// The customer's number: `TELEFONO` on an outbound call, `ANI` on an inbound one.
    #[must_use]
    pub fn customer_phone(&self) -> &str {
        match self.direction() {
            Some(Direction::Inbound) => self.ani(),
            _ if self.phone().is_empty() => self.ani(),
            _ => self.phone(),
        }
    }

    /// `DIRECCION`: `None` when empty.
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        let v = self.text(Key::Direction).trim();
        if v.is_empty() {
            None
        } else if v.eq_ignore_ascii_case("ENTRANTE") {
            Some(Direction::Inbound)
        } else if v.eq_ignore_ascii_case("SALIENTE") {
            Some(Direction::Outbound)
        } else {
            Some(Direction::Other(v.to_owned()))
        }
    }

    /// The delivered contact, when `IDCONTACTO` is not 0.
    #[must_use]
    pub fn contact(&self) -> Option<ContactRef> {
        (self.typed.contact_id != 0).then(|| ContactRef {
            crm: self.typed.crm,
            base: self.typed.base,
            id: self.typed.contact_id,
            data: self.data().to_owned(),
        })
    }

    /// `IDAGENDA`: the schedule (callback) this call comes from, if any.
    #[must_use]
    pub fn schedule_id(&self) -> Option<i64> {
        self.typed.schedule_id.and_then(non_zero)
    }

    /// `CONFERENCIA`: the conference the agent is in (`None` when empty or 0).
    #[must_use]
    pub fn conference(&self) -> Option<i64> {
        self.typed.conference.and_then(non_zero)
    }

    /// `GRABANDO=SI`: the call is being recorded.
    #[must_use]
    pub fn is_recording(&self) -> bool {
        self.text(Key::Recording).trim().eq_ignore_ascii_case("SI")
    }

    /// `GRABACION`: the recording's file name, when not empty.
    #[must_use]
    pub fn recording_file(&self) -> Option<&str> {
        Some(self.text(Key::RecordingFile)).filter(|f| !f.is_empty())
    }

    /// `CANALES_ASOCIADOS`: the call's other legs, each sent prefixed by `¦¦`.
    pub fn associated_channels(&self) -> impl Iterator<Item = &str> {
        self.text(Key::Channels)
            .split("\u{a6}\u{a6}")
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }

    /// A timestamp (Neotel server local time); `None` when absent or unset (`01/01/2000 …`, `01/01/0001 …`).
    #[must_use]
    pub fn date(&self, which: PositionDate) -> Option<NaiveDateTime> {
        self.typed.dates[which as usize]
    }
}

fn non_zero(v: i64) -> Option<i64> {
    (v != 0).then_some(v)
}
