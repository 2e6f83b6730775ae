//! Rendering an agent's `Position` string: `KEY=VALUE|…|` in the 52-key layout of current
//! installs or the 44-key layout of older ones, with dates in the install's culture.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::scenario::{DateCulture, PositionLayout};

/// Everything a `Position` string says, typed. The engine fills it from an agent's state;
/// [`render`] writes it. Unset dates are `None` (written as the platform's sentinels).
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)] // each field is the Position key of the same name
pub struct PositionView {
    pub device: String,
    pub ip: String,
    pub port: i64,
    pub status: String,
    pub server: String,
    pub user: String,
    pub login_at: Option<NaiveDateTime>,
    pub outbound_campaign: i64,
    pub campaign_login_at: Option<NaiveDateTime>,
    pub channel: String,
    pub sub_state: String,
    pub sub_state_last: String,
    pub ringing_at: Option<NaiveDateTime>,
    pub dialing_at: Option<NaiveDateTime>,
    pub agent_at: Option<NaiveDateTime>,
    pub call_state_at: Option<NaiveDateTime>,
    pub break_subtype: i64,
    pub break_at: Option<NaiveDateTime>,
    pub break_time: Option<NaiveDateTime>,
    pub crm_state: String,
    pub crm_at: Option<NaiveDateTime>,
    pub campaign: i64,
    pub campaign_last: i64,
    pub queue: i64,
    pub queue_last: i64,
    pub dnis: String,
    pub ani: String,
    pub phone: String,
    pub phone_last: String,
    pub call_type: String,
    pub call_type_last: String,
    pub origin: String,
    pub origin_last: String,
    pub direction: String,
    pub direction_last: String,
    pub crm: i64,
    pub base: i64,
    pub contact_id: i64,
    pub data: String,
    pub clave: String,
    pub search_field: String,
    pub schedule_id: Option<i64>,
    pub call_id: i64,
    pub call_id_last: i64,
    pub conference: Option<i64>,
    pub recording: bool,
    pub recording_file: String,
    pub forward_phone: String,
    pub dialer: String,
    pub outbound_crm: i64,
    pub outbound_base: i64,
    pub associated_channels: Vec<String>,
}

/// The 52 keys of current installs, in the platform's order.
pub const KEYS_52: [&str; 52] = [
    "DEVICE",
    "IP",
    "PORT",
    "STATUS",
    "SERVER",
    "USUARIO",
    "INICIO_LOGIN",
    "SAL_CAMPAÑA_DEFAULT",
    "INICIO_LOGIN_CAMPAÑA",
    "CHANNEL",
    "SUB_ESTADO",
    "SUB_ESTADO_ULT",
    "RINGING",
    "DIALING",
    "AGENT",
    "TIEMPO_LLAMADA",
    "SUBTIPO_DESCANSO",
    "INICIO_DESCANSO",
    "TIEMPO_DESCANSO",
    "ESTADO_CRM",
    "INICIO_CRM",
    "CAMPAÑA",
    "CAMPAÑA_ULT",
    "COLA",
    "COLA_ULT",
    "DNIS",
    "ANI",
    "TELEFONO",
    "ANI_TELEFONO_ULT",
    "TIPO_LLAMADA",
    "TIPO_LLAMADA_ULT",
    "ORIGEN_LLAMADA",
    "ORIGEN_LLAMADA_ULT",
    "DIRECCION",
    "DIRECCION_ULT",
    "CRM",
    "BASE",
    "IDCONTACTO",
    "DATA",
    "CLAVE",
    "CAMPO_BUSQUEDA",
    "IDAGENDA",
    "IDLLAMADA",
    "IDLLAMADA_ULT",
    "CONFERENCIA",
    "GRABANDO",
    "GRABACION",
    "TELEFONO_DESVIO",
    "SAL_TIPO_DISCADOR",
    "SAL_CRM",
    "SAL_BASE",
    "CANALES_ASOCIADOS",
];

/// The 44 keys of older installs (2014), in the platform's order.
pub const KEYS_44: [&str; 44] = [
    "DEVICE",
    "IP",
    "PORT",
    "STATUS",
    "SERVER",
    "USUARIO",
    "SAL_CAMPAÑA_DEFAULT",
    "SUBTIPO_DESCANSO",
    "ESTADO_CRM",
    "TIEMPO_LOGIN",
    "TIEMPO_LLAMADA",
    "CHANNEL",
    "CAMPAÑA",
    "CAMPAÑA_ULT",
    "COLA",
    "COLA_ULT",
    "SUB_ESTADO",
    "SUB_ESTADO_ULT",
    "DNIS",
    "ANI",
    "TELEFONO",
    "ANI_TELEFONO_ULT",
    "TIPO_LLAMADA",
    "TIPO_LLAMADA_ULT",
    "ORIGEN_LLAMADA",
    "ORIGEN_LLAMADA_ULT",
    "DIRECCION",
    "DIRECCION_ULT",
    "CRM",
    "BASE",
    "IDCONTACTO",
    "DATA",
    "CLAVE",
    "CAMPO_BUSQUEDA",
    "IDLLAMADA",
    "IDLLAMADA_ULT",
    "CONFERENCIA",
    "GRABANDO",
    "GRABACION",
    "TELEFONO_DESVIO",
    "SAL_TIPO_DISCADOR",
    "SAL_CRM",
    "SAL_BASE",
    "CANALES_ASOCIADOS",
];

/// Unset `INICIO_*`/`TIEMPO_*` dates.
fn sentinel_2000() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
}

/// Unset `RINGING`/`DIALING`/`AGENT` dates (.NET `DateTime.MinValue`).
fn sentinel_0001() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid date")
}

/// Writes a date in the install's culture.
pub fn format_date(at: NaiveDateTime, culture: DateCulture) -> String {
    match culture {
        DateCulture::H24 => at.format("%d/%m/%Y %H:%M:%S").to_string(),
        DateCulture::EsAr12h => {
            let (pm, hour) = at.hour12();
            let suffix = if pm { "p.m." } else { "a.m." };
            format!(
                "{}{:02}:{:02}:{:02} {suffix}",
                at.format("%d/%m/%Y "),
                hour,
                at.minute(),
                at.second()
            )
        }
    }
}

/// Renders a `Position` string in the given layout and culture.
pub fn render(view: &PositionView, layout: PositionLayout, culture: DateCulture) -> String {
    let date = |d: Option<NaiveDateTime>| format_date(d.unwrap_or_else(sentinel_2000), culture);
    let leg_date = |d: Option<NaiveDateTime>| format_date(d.unwrap_or_else(sentinel_0001), culture);
    let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let value = |key: &str| -> String {
        match key {
            "DEVICE" => view.device.clone(),
            "IP" => view.ip.clone(),
            "PORT" => view.port.to_string(),
            "STATUS" => view.status.clone(),
            "SERVER" => view.server.clone(),
            "USUARIO" => view.user.clone(),
            "INICIO_LOGIN" | "TIEMPO_LOGIN" => date(view.login_at),
            "SAL_CAMPAÑA_DEFAULT" => view.outbound_campaign.to_string(),
            "INICIO_LOGIN_CAMPAÑA" => date(view.campaign_login_at),
            "CHANNEL" => view.channel.clone(),
            "SUB_ESTADO" => view.sub_state.clone(),
            "SUB_ESTADO_ULT" => view.sub_state_last.clone(),
            "RINGING" => leg_date(view.ringing_at),
            "DIALING" => leg_date(view.dialing_at),
            "AGENT" => leg_date(view.agent_at),
            "TIEMPO_LLAMADA" => date(view.call_state_at),
            "SUBTIPO_DESCANSO" => view.break_subtype.to_string(),
            "INICIO_DESCANSO" => date(view.break_at),
            "TIEMPO_DESCANSO" => date(view.break_time),
            "ESTADO_CRM" => view.crm_state.clone(),
            "INICIO_CRM" => date(view.crm_at),
            "CAMPAÑA" => view.campaign.to_string(),
            "CAMPAÑA_ULT" => view.campaign_last.to_string(),
            "COLA" => view.queue.to_string(),
            "COLA_ULT" => view.queue_last.to_string(),
            "DNIS" => view.dnis.clone(),
            "ANI" => view.ani.clone(),
            "TELEFONO" => view.phone.clone(),
            "ANI_TELEFONO_ULT" => view.phone_last.clone(),
            "TIPO_LLAMADA" => view.call_type.clone(),
            "TIPO_LLAMADA_ULT" => view.call_type_last.clone(),
            "ORIGEN_LLAMADA" => view.origin.clone(),
            "ORIGEN_LLAMADA_ULT" => view.origin_last.clone(),
            "DIRECCION" => view.direction.clone(),
            "DIRECCION_ULT" => view.direction_last.clone(),
            "CRM" => view.crm.to_string(),
            "BASE" => view.base.to_string(),
            "IDCONTACTO" => view.contact_id.to_string(),
            "DATA" => view.data.clone(),
            "CLAVE" => view.clave.clone(),
            "CAMPO_BUSQUEDA" => view.search_field.clone(),
            "IDAGENDA" => opt(view.schedule_id),
            "IDLLAMADA" => view.call_id.to_string(),
            "IDLLAMADA_ULT" => view.call_id_last.to_string(),
            "CONFERENCIA" => opt(view.conference),
            "GRABANDO" => if view.recording { "SI" } else { "NO" }.to_string(),
            "GRABACION" => view.recording_file.clone(),
            "TELEFONO_DESVIO" => view.forward_phone.clone(),
            "SAL_TIPO_DISCADOR" => view.dialer.clone(),
            "SAL_CRM" => view.outbound_crm.to_string(),
            "SAL_BASE" => view.outbound_base.to_string(),
            "CANALES_ASOCIADOS" => view
                .associated_channels
                .iter()
                .map(|c| format!("¦¦{c}"))
                .collect(),
            other => unreachable!("no Position key {other} in the layouts"),
        }
    };
    let keys: &[&str] = match layout {
        PositionLayout::Current => &KEYS_52,
        PositionLayout::Older => &KEYS_44,
    };
    let mut out = String::with_capacity(1024);
    for key in keys {
        out.push_str(key);
        out.push('=');
        // Neotel does not escape; the engine never puts `|` in a value (see `sanitize`).
        out.push_str(&sanitize(&value(key)));
        out.push('|');
    }
    out
}

/// The same as [`render`], under the name other crates look for.
pub fn render_position(
    view: &PositionView,
    layout: PositionLayout,
    culture: DateCulture,
) -> String {
    render(view, layout, culture)
}

/// A `Position` string that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text holds no `KEY=VALUE|` item.
    #[error("empty Position string")]
    Empty,
    /// An item without `=`.
    #[error("Position item {index} ({item:?}) has no '='")]
    NoEquals {
        /// 0-based position of the item.
        index: usize,
        /// The item as found.
        item: String,
    },
    /// A key's value is not what the key holds (a number, a date of the culture).
    #[error("Position key {key} has an unreadable value {value:?}")]
    BadValue {
        /// The key.
        key: String,
        /// Its value.
        value: String,
    },
}

/// Splits a `Position` string into its items, in order: `|`-separated, trailing `|`, each
/// item split on its first `=` (values may hold `=`).
pub fn parse_items(text: &str) -> Result<Vec<(&str, &str)>, ParseError> {
    let text = text.strip_suffix('|').unwrap_or(text);
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    text.split('|')
        .enumerate()
        .map(|(index, item)| {
            item.split_once('=').ok_or_else(|| ParseError::NoEquals {
                index,
                item: item.to_owned(),
            })
        })
        .collect()
}

/// Reads a date written by [`format_date`] in either culture; the sentinels read as `None`.
pub fn parse_date(text: &str) -> Option<Option<NaiveDateTime>> {
    let (body, pm) = match text.rsplit_once(' ') {
        Some((body, "p.m.")) => (body, Some(true)),
        Some((body, "a.m.")) => (body, Some(false)),
        _ => (text, None),
    };
    let mut at = NaiveDateTime::parse_from_str(body, "%d/%m/%Y %H:%M:%S").ok()?;
    if let Some(pm) = pm {
        let hour = match (at.hour(), pm) {
            (h, _) if !(1..=12).contains(&h) => return None,
            (12, false) => 0,
            (12, true) => 12,
            (h, false) => h,
            (h, true) => h + 12,
        };
        at = at.with_hour(hour)?;
    }
    Some((at != sentinel_2000() && at != sentinel_0001()).then_some(at))
}

/// Reads a `Position` string of either layout and culture back into a [`PositionView`]
/// (keys the layout lacks stay at their defaults; unknown keys are ignored).
pub fn parse_view(text: &str) -> Result<PositionView, ParseError> {
    let mut v = PositionView::default();
    for (key, value) in parse_items(text)? {
        let bad = || ParseError::BadValue {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let int = || value.parse::<i64>().map_err(|_| bad());
        let opt_int = || {
            if value.is_empty() {
                Ok(None)
            } else {
                int().map(Some)
            }
        };
        let date = || parse_date(value).ok_or_else(bad);
        let text = || value.to_owned();
        match key {
            "DEVICE" => v.device = text(),
            "IP" => v.ip = text(),
            "PORT" => v.port = int()?,
            "STATUS" => v.status = text(),
            "SERVER" => v.server = text(),
            "USUARIO" => v.user = text(),
            "INICIO_LOGIN" | "TIEMPO_LOGIN" => v.login_at = date()?,
            "SAL_CAMPAÑA_DEFAULT" => v.outbound_campaign = int()?,
            "INICIO_LOGIN_CAMPAÑA" => v.campaign_login_at = date()?,
            "CHANNEL" => v.channel = text(),
            "SUB_ESTADO" => v.sub_state = text(),
            "SUB_ESTADO_ULT" => v.sub_state_last = text(),
            "RINGING" => v.ringing_at = date()?,
            "DIALING" => v.dialing_at = date()?,
            "AGENT" => v.agent_at = date()?,
            "TIEMPO_LLAMADA" => v.call_state_at = date()?,
            "SUBTIPO_DESCANSO" => v.break_subtype = int()?,
            "INICIO_DESCANSO" => v.break_at = date()?,
            "TIEMPO_DESCANSO" => v.break_time = date()?,
            "ESTADO_CRM" => v.crm_state = text(),
            "INICIO_CRM" => v.crm_at = date()?,
            "CAMPAÑA" => v.campaign = int()?,
            "CAMPAÑA_ULT" => v.campaign_last = int()?,
            "COLA" => v.queue = int()?,
            "COLA_ULT" => v.queue_last = int()?,
            "DNIS" => v.dnis = text(),
            "ANI" => v.ani = text(),
            "TELEFONO" => v.phone = text(),
            "ANI_TELEFONO_ULT" => v.phone_last = text(),
            "TIPO_LLAMADA" => v.call_type = text(),
            "TIPO_LLAMADA_ULT" => v.call_type_last = text(),
            "ORIGEN_LLAMADA" => v.origin = text(),
            "ORIGEN_LLAMADA_ULT" => v.origin_last = text(),
            "DIRECCION" => v.direction = text(),
            "DIRECCION_ULT" => v.direction_last = text(),
            "CRM" => v.crm = int()?,
            "BASE" => v.base = int()?,
            "IDCONTACTO" => v.contact_id = int()?,
            "DATA" => v.data = text(),
            "CLAVE" => v.clave = text(),
            "CAMPO_BUSQUEDA" => v.search_field = text(),
            "IDAGENDA" => v.schedule_id = opt_int()?,
            "IDLLAMADA" => v.call_id = int()?,
            "IDLLAMADA_ULT" => v.call_id_last = int()?,
            "CONFERENCIA" => v.conference = opt_int()?,
            "GRABANDO" => v.recording = value == "SI",
            "GRABACION" => v.recording_file = text(),
            "TELEFONO_DESVIO" => v.forward_phone = text(),
            "SAL_TIPO_DISCADOR" => v.dialer = text(),
            "SAL_CRM" => v.outbound_crm = int()?,
            "SAL_BASE" => v.outbound_base = int()?,
            "CANALES_ASOCIADOS" => {
                v.associated_channels = value
                    .split("¦¦")
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            _ => {}
        }
    }
    Ok(v)
}

/// Proptest strategies for arbitrary agent states, so other crates' property tests can
/// render any [`PositionView`] and check what they read back.
#[cfg(feature = "proptest")]
pub mod strategy {
    use chrono::{NaiveDate, NaiveDateTime};
    use proptest::prelude::*;

    use super::PositionView;
    use crate::scenario::{DateCulture, PositionLayout};

    /// A `Position` date: unset, or a whole second between 2001 and 2030.
    pub fn date() -> impl Strategy<Value = Option<NaiveDateTime>> {
        prop_oneof![
            Just(None),
            (
                2001i32..2030,
                1u32..=12,
                1u32..=28,
                0u32..24,
                0u32..60,
                0u32..60
            )
                .prop_map(|(y, mo, d, h, mi, s)| NaiveDate::from_ymd_opt(y, mo, d)
                    .and_then(|d| d.and_hms_opt(h, mi, s))),
        ]
    }

    /// Free text as Neotel values hold it (`=` and `Ñ` included): anything but `|` and `¦`.
    pub fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9ÑñáéíóúÁÉÍÓÚ =;:/._@#*+-]{0,24}"
    }

    /// A non-negative id as the platform numbers things.
    fn id() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), 1i64..10_000_000]
    }

    /// Either layout.
    pub fn layout() -> impl Strategy<Value = PositionLayout> {
        prop_oneof![Just(PositionLayout::Current), Just(PositionLayout::Older)]
    }

    /// Either date culture.
    pub fn culture() -> impl Strategy<Value = DateCulture> {
        prop_oneof![Just(DateCulture::EsAr12h), Just(DateCulture::H24)]
    }

    fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(values).prop_map(str::to_owned)
    }

    /// Any agent state, every one of the 52 keys varied.
    pub fn position_view() -> impl Strategy<Value = PositionView> {
        let identity = (
            text(),
            text(),
            0i64..65_536,
            one_of(&["OK", ""]),
            text(),
            text(),
        );
        let times = (
            date(),
            date(),
            date(),
            date(),
            date(),
            date(),
            date(),
            date(),
            date(),
            date(),
        );
        let states = (
            one_of(&["", "RINGING", "DIALING", "AGENT"]),
            one_of(&["", "RINGING", "DIALING", "AGENT"]),
            0i64..30,
            one_of(&["Available", "GetContact", "ShowingContact", "Unavailable"]),
            one_of(&["NotSet", "Manual", "Predictive", "Preview", "Progressive"]),
            text(),
        );
        let call = (
            (id(), id(), id(), id(), id(), id()),
            (text(), text(), text(), text()),
            (
                one_of(&["NotSet", "Manual", "OriginateExt"]),
                one_of(&["NotSet", "Manual", "OriginateExt"]),
                one_of(&["", "NO PROCESADO", "AGENDA"]),
                one_of(&["", "NO PROCESADO", "AGENDA"]),
                one_of(&["", "ENTRANTE", "SALIENTE"]),
                one_of(&["", "ENTRANTE", "SALIENTE"]),
            ),
        );
        let contact = (
            (-1i64..10, id(), id(), text(), text(), text()),
            (
                prop::option::of(1i64..100_000),
                id(),
                id(),
                prop::option::of(1i64..10_000),
            ),
            (any::<bool>(), text(), text(), -1i64..10, id()),
            prop::collection::vec("[A-Za-z0-9/_-]{1,20}", 0..3),
        );
        (identity, times, states, call, contact).prop_map(
            |(
                (device, ip, port, status, server, user),
                (login, campaign_login, ringing, dialing, agent, call_state, brk, brk_time, crm, _),
                (sub_state, sub_state_last, break_subtype, crm_state, dialer, channel),
                (
                    (outbound_campaign, campaign, campaign_last, queue, queue_last, _),
                    (dnis, ani, phone, phone_last),
                    (call_type, call_type_last, origin, origin_last, direction, direction_last),
                ),
                (
                    (crm_id, base, contact_id, data, clave, search_field),
                    (schedule_id, call_id, call_id_last, conference),
                    (recording, recording_file, forward_phone, outbound_crm, outbound_base),
                    associated_channels,
                ),
            )| PositionView {
                device,
                ip,
                port,
                status,
                server,
                user,
                login_at: login,
                outbound_campaign,
                campaign_login_at: campaign_login,
                channel,
                sub_state,
                sub_state_last,
                ringing_at: ringing,
                dialing_at: dialing,
                agent_at: agent,
                call_state_at: call_state,
                break_subtype,
                break_at: brk,
                break_time: brk_time,
                crm_state,
                crm_at: crm,
                campaign,
                campaign_last,
                queue,
                queue_last,
                dnis,
                ani,
                phone,
                phone_last,
                call_type,
                call_type_last,
                origin,
                origin_last,
                direction,
                direction_last,
                crm: crm_id,
                base,
                contact_id,
                data,
                clave,
                search_field,
                schedule_id,
                call_id,
                call_id_last,
                conference,
                recording,
                recording_file,
                forward_phone,
                dialer,
                outbound_crm,
                outbound_base,
                associated_channels,
            },
        )
    }
}

/// A value must not contain the item separator; the platform has no escaping, so the
/// simulator replaces it rather than emit a string no client could read.
fn sanitize(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains('|') {
        value.replace('|', "/").into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2019, 5, 28)
            .unwrap()
            .and_hms_opt(h, m, s)
            .unwrap()
    }

    #[test]
    fn dates_follow_the_culture_of_the_fixtures() {
        assert_eq!(
            format_date(at(14, 30, 34), DateCulture::EsAr12h),
            "28/05/2019 02:30:34 p.m."
        );
        assert_eq!(
            format_date(at(0, 5, 0), DateCulture::EsAr12h),
            "28/05/2019 12:05:00 a.m."
        );
        assert_eq!(
            format_date(at(12, 0, 0), DateCulture::EsAr12h),
            "28/05/2019 12:00:00 p.m."
        );
        assert_eq!(
            format_date(at(13, 59, 9), DateCulture::H24),
            "28/05/2019 13:59:09"
        );
        assert_eq!(
            format_date(sentinel_0001(), DateCulture::EsAr12h),
            "01/01/0001 12:00:00 a.m."
        );
    }

    #[test]
    fn an_idle_agent_renders_like_the_2014_fixture() {
        let view = PositionView {
            device: "SIP/rmartnez_cs".into(),
            ip: "172.16.2.111".into(),
            port: 33182,
            status: "OK".into(),
            server: "NEO1".into(),
            user: "8000".into(),
            login_at: Some(
                NaiveDate::from_ymd_opt(2014, 7, 14)
                    .unwrap()
                    .and_hms_opt(13, 56, 43)
                    .unwrap(),
            ),
            call_state_at: Some(
                NaiveDate::from_ymd_opt(2014, 7, 14)
                    .unwrap()
                    .and_hms_opt(13, 59, 38)
                    .unwrap(),
            ),
            crm_state: "Available".into(),
            call_type: "NotSet".into(),
            call_type_last: "NotSet".into(),
            dialer: "NotSet".into(),
            ..PositionView::default()
        };
        let expected = "DEVICE=SIP/rmartnez_cs|IP=172.16.2.111|PORT=33182|STATUS=OK|SERVER=NEO1|USUARIO=8000|INICIO_LOGIN=14/07/2014 01:56:43 p.m.|SAL_CAMPAÑA_DEFAULT=0|INICIO_LOGIN_CAMPAÑA=01/01/2000 12:00:00 a.m.|CHANNEL=|SUB_ESTADO=|SUB_ESTADO_ULT=|RINGING=01/01/0001 12:00:00 a.m.|DIALING=01/01/0001 12:00:00 a.m.|AGENT=01/01/0001 12:00:00 a.m.|TIEMPO_LLAMADA=14/07/2014 01:59:38 p.m.|SUBTIPO_DESCANSO=0|INICIO_DESCANSO=01/01/2000 12:00:00 a.m.|TIEMPO_DESCANSO=01/01/2000 12:00:00 a.m.|ESTADO_CRM=Available|INICIO_CRM=01/01/2000 12:00:00 a.m.|CAMPAÑA=0|CAMPAÑA_ULT=0|COLA=0|COLA_ULT=0|DNIS=|ANI=|TELEFONO=|ANI_TELEFONO_ULT=|TIPO_LLAMADA=NotSet|TIPO_LLAMADA_ULT=NotSet|ORIGEN_LLAMADA=|ORIGEN_LLAMADA_ULT=|DIRECCION=|DIRECCION_ULT=|CRM=0|BASE=0|IDCONTACTO=0|DATA=|CLAVE=|CAMPO_BUSQUEDA=|IDAGENDA=|IDLLAMADA=0|IDLLAMADA_ULT=0|CONFERENCIA=|GRABANDO=NO|GRABACION=|TELEFONO_DESVIO=|SAL_TIPO_DISCADOR=NotSet|SAL_CRM=0|SAL_BASE=0|CANALES_ASOCIADOS=|";
        assert_eq!(
            render(&view, PositionLayout::Current, DateCulture::EsAr12h),
            expected
        );
        // and it is exactly the fixture line
        let fixture = include_str!("../../../shared/fixtures/position-samples.txt");
        assert!(fixture.lines().any(|l| l == expected));
    }

    #[test]
    fn the_older_layout_has_44_keys_in_order() {
        let text = render(
            &PositionView::default(),
            PositionLayout::Older,
            DateCulture::H24,
        );
        let keys: Vec<&str> = text
            .trim_end_matches('|')
            .split('|')
            .map(|i| i.split_once('=').unwrap().0)
            .collect();
        assert_eq!(keys, KEYS_44);
    }

    #[test]
    fn channels_are_prefixed_and_pipes_never_leak_into_values() {
        let view = PositionView {
            associated_channels: vec!["SIP/TASA-00002667".into()],
            clave: "RUT=1|2".into(),
            ..PositionView::default()
        };
        let text = render(&view, PositionLayout::Current, DateCulture::H24);
        assert!(text.ends_with("CANALES_ASOCIADOS=¦¦SIP/TASA-00002667|"));
        assert!(text.contains("|CLAVE=RUT=1/2|"));
        assert_eq!(text.matches('|').count(), 52);
    }
}
