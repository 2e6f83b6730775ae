//! What each key holds: the view field and the kind of its value. The one table that
//! [`render`](super::render) writes from and [`parse_view`](super::parse_view) reads into.

use chrono::NaiveDateTime;

use super::{PositionView, format_date, parse_date, sentinel};
use crate::scenario::DateCulture;

/// How one kind of value is written into a `Position` string and read back.
trait Kind {
    type Value;
    fn write(value: &Self::Value, culture: DateCulture) -> String;
    /// `None`: the text is not a value of this kind.
    fn read(text: &str) -> Option<Self::Value>;
}

/// Free text, as sent.
struct Text;
/// A whole number.
struct Int;
/// A whole number, or nothing (empty).
struct OptInt;
/// A date, unset written as the sentinel of year `UNSET` (see [`sentinel`]).
struct Stamp<const UNSET: i32>;
/// An `INICIO_*`/`TIEMPO_*` date; unset is written `01/01/2000 …`.
type Date = Stamp<2000>;
/// A `RINGING`/`DIALING`/`AGENT` date; unset is written as .NET's `01/01/0001 …`.
type LegDate = Stamp<1>;
/// `SI` or `NO`.
struct Flag;
/// `CANALES_ASOCIADOS`: each channel prefixed by `¦¦`.
struct Channels;

impl Kind for Text {
    type Value = String;
    fn write(value: &String, _: DateCulture) -> String {
        value.clone()
    }
    fn read(text: &str) -> Option<String> {
        Some(text.to_owned())
    }
}

impl Kind for Int {
    type Value = i64;
    fn write(value: &i64, _: DateCulture) -> String {
        value.to_string()
    }
    fn read(text: &str) -> Option<i64> {
        text.parse().ok()
    }
}

impl Kind for OptInt {
    type Value = Option<i64>;
    fn write(value: &Option<i64>, _: DateCulture) -> String {
        value.map(|n| n.to_string()).unwrap_or_default()
    }
    fn read(text: &str) -> Option<Option<i64>> {
        if text.is_empty() {
            Some(None)
        } else {
            Int::read(text).map(Some)
        }
    }
}

impl<const UNSET: i32> Kind for Stamp<UNSET> {
    type Value = Option<NaiveDateTime>;
    fn write(value: &Option<NaiveDateTime>, culture: DateCulture) -> String {
        format_date(value.unwrap_or_else(|| sentinel(UNSET)), culture)
    }
    fn read(text: &str) -> Option<Option<NaiveDateTime>> {
        parse_date(text)
    }
}

impl Kind for Flag {
    type Value = bool;
    fn write(value: &bool, _: DateCulture) -> String {
        if *value { "SI" } else { "NO" }.to_owned()
    }
    fn read(text: &str) -> Option<bool> {
        Some(text == "SI")
    }
}

impl Kind for Channels {
    type Value = Vec<String>;
    fn write(value: &Vec<String>, _: DateCulture) -> String {
        value.iter().map(|c| format!("¦¦{c}")).collect()
    }
    fn read(text: &str) -> Option<Vec<String>> {
        Some(
            text.split("¦¦")
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

/// `"KEY" => field: Kind,` for every key of both layouts; generates `write_key` and
/// `read_key` from the one list.
macro_rules! key_table {
    ($($key:pat => $field:ident: $kind:ty,)+) => {
        /// The value of `key` (a key of [`KEYS_52`](super::KEYS_52) or
        /// [`KEYS_44`](super::KEYS_44)), written as the platform writes it.
        pub(super) fn write_key(view: &PositionView, key: &str, culture: DateCulture) -> String {
            match key {
                $($key => <$kind as Kind>::write(&view.$field, culture),)+
                other => unreachable!("no Position key {other} in the layouts"),
            }
        }

        /// Reads `text` into the field of `key`; unknown keys are ignored, and `Err`
        /// means the text is not what the key holds.
        pub(super) fn read_key(view: &mut PositionView, key: &str, text: &str) -> Result<(), ()> {
            match key {
                $($key => view.$field = <$kind as Kind>::read(text).ok_or(())?,)+
                _ => {}
            }
            Ok(())
        }
    };
}

key_table! {
    "DEVICE" => device: Text,
    "IP" => ip: Text,
    "PORT" => port: Int,
    "STATUS" => status: Text,
    "SERVER" => server: Text,
    "USUARIO" => user: Text,
    "INICIO_LOGIN" | "TIEMPO_LOGIN" => login_at: Date,
    "SAL_CAMPAÑA_DEFAULT" => outbound_campaign: Int,
    "INICIO_LOGIN_CAMPAÑA" => campaign_login_at: Date,
    "CHANNEL" => channel: Text,
    "SUB_ESTADO" => sub_state: Text,
    "SUB_ESTADO_ULT" => sub_state_last: Text,
    "RINGING" => ringing_at: LegDate,
    "DIALING" => dialing_at: LegDate,
    "AGENT" => agent_at: LegDate,
    "TIEMPO_LLAMADA" => call_state_at: Date,
    "SUBTIPO_DESCANSO" => break_subtype: Int,
    "INICIO_DESCANSO" => break_at: Date,
    "TIEMPO_DESCANSO" => break_time: Date,
    "ESTADO_CRM" => crm_state: Text,
    "INICIO_CRM" => crm_at: Date,
    "CAMPAÑA" => campaign: Int,
    "CAMPAÑA_ULT" => campaign_last: Int,
    "COLA" => queue: Int,
    "COLA_ULT" => queue_last: Int,
    "DNIS" => dnis: Text,
    "ANI" => ani: Text,
    "TELEFONO" => phone: Text,
    "ANI_TELEFONO_ULT" => phone_last: Text,
    "TIPO_LLAMADA" => call_type: Text,
    "TIPO_LLAMADA_ULT" => call_type_last: Text,
    "ORIGEN_LLAMADA" => origin: Text,
    "ORIGEN_LLAMADA_ULT" => origin_last: Text,
    "DIRECCION" => direction: Text,
    "DIRECCION_ULT" => direction_last: Text,
    "CRM" => crm: Int,
    "BASE" => base: Int,
    "IDCONTACTO" => contact_id: Int,
    "DATA" => data: Text,
    "CLAVE" => clave: Text,
    "CAMPO_BUSQUEDA" => search_field: Text,
    "IDAGENDA" => schedule_id: OptInt,
    "IDLLAMADA" => call_id: Int,
    "IDLLAMADA_ULT" => call_id_last: Int,
    "CONFERENCIA" => conference: OptInt,
    "GRABANDO" => recording: Flag,
    "GRABACION" => recording_file: Text,
    "TELEFONO_DESVIO" => forward_phone: Text,
    "SAL_TIPO_DISCADOR" => dialer: Text,
    "SAL_CRM" => outbound_crm: Int,
    "SAL_BASE" => outbound_base: Int,
    "CANALES_ASOCIADOS" => associated_channels: Channels,
}
