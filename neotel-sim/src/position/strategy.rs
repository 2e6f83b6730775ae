//! Proptest strategies for arbitrary agent states, so other crates' property tests can
//! render any [`PositionView`] and check what they read back.

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
