//! Any `Position` the simulator can emit parses back, through the real client's parser
//! (`neotel-api`), to the same values: the two sides of the wire agree.

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use neotel_api::{Position, PositionDate};
use neotel_sim::position::{PositionView, render};
use neotel_sim::{DateCulture, PositionLayout};
use proptest::prelude::*;

fn date() -> impl Strategy<Value = Option<NaiveDateTime>> {
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

/// Free text as Neotel values hold it: anything but the item separator.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ÑñáéíóúÁÉÍÓÚ =;:/._@#*+-]{0,24}"
}

fn view() -> impl Strategy<Value = PositionView> {
    (
        (
            text(),
            text(),
            0i64..100_000,
            prop::bool::ANY,
            text(),
            date(),
            0i64..1000,
            date(),
        ),
        (
            prop_oneof![
                Just("Available"),
                Just("GetContact"),
                Just("ShowingContact"),
                Just("Unavailable")
            ],
            0i64..30,
            date(),
            0i64..10_000_000,
            0i64..10_000_000,
        ),
        (
            0i64..10_000,
            0i64..1_000_000,
            text(),
            text(),
            prop::option::of(1i64..10_000),
            prop::collection::vec("[A-Za-z0-9/_-]{1,20}", 0..3),
        ),
        (
            prop_oneof![Just("AGENT"), Just("RINGING"), Just("DIALING"), Just("")],
            prop_oneof![
                Just("Predictive"),
                Just("Preview"),
                Just("Manual"),
                Just("NotSet")
            ],
            date(),
            date(),
        ),
    )
        .prop_map(
            |(
                (device, user, port, recording, clave, login_at, campaign, crm_at),
                (crm_state, brk, break_at, call_id, call_id_last),
                (base, contact_id, data, ani, conference, channels),
                (sub_state, dialer, agent_at, ringing_at),
            )| PositionView {
                device,
                user,
                port,
                recording,
                clave,
                login_at,
                outbound_campaign: campaign,
                crm_at,
                crm_state: crm_state.into(),
                break_subtype: brk,
                break_at,
                call_id,
                call_id_last,
                base,
                contact_id,
                data,
                ani,
                conference,
                associated_channels: channels,
                sub_state: sub_state.into(),
                dialer: dialer.into(),
                agent_at,
                ringing_at,
                ..PositionView::default()
            },
        )
}

fn non_zero(n: i64) -> Option<i64> {
    (n != 0).then_some(n)
}

proptest! {
    #[test]
    fn every_rendered_position_parses_back_to_the_same_values(
        v in view(),
        layout in prop_oneof![Just(PositionLayout::Current), Just(PositionLayout::Older)],
        culture in prop_oneof![Just(DateCulture::EsAr12h), Just(DateCulture::H24)],
    ) {
        let text = render(&v, layout, culture);
        let p = Position::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(p.len(), if layout == PositionLayout::Current { 52 } else { 44 });
        prop_assert_eq!(p.device(), v.device.as_str());
        prop_assert_eq!(p.user(), v.user.as_str());
        prop_assert_eq!(p.clave(), v.clave.as_str());
        prop_assert_eq!(p.data(), v.data.as_str());
        prop_assert_eq!(p.ani(), v.ani.as_str());
        prop_assert_eq!(p.outbound_campaign(), non_zero(v.outbound_campaign));
        prop_assert_eq!(p.break_subtype(), non_zero(v.break_subtype));
        prop_assert_eq!(p.crm_state().as_str(), v.crm_state.as_str());
        prop_assert_eq!(p.call_id(), non_zero(v.call_id));
        prop_assert_eq!(p.call_id_last(), non_zero(v.call_id_last));
        prop_assert_eq!(p.base(), v.base);
        prop_assert_eq!(p.contact_id(), v.contact_id);
        prop_assert_eq!(p.conference(), v.conference);
        prop_assert_eq!(p.is_recording(), v.recording);
        prop_assert_eq!(p.sub_state(), v.sub_state.as_str());
        prop_assert_eq!(p.dialer_type().as_str(), v.dialer.as_str());
        prop_assert_eq!(p.associated_channels().collect::<Vec<_>>(), v.associated_channels.iter().map(String::as_str).collect::<Vec<_>>());
        let seconds = |d: Option<NaiveDateTime>| d.map(|d| d.with_nanosecond(0).unwrap());
        prop_assert_eq!(p.date(PositionDate::Login), seconds(v.login_at));
        // the older layout has no INICIO_CRM, INICIO_DESCANSO, RINGING or AGENT
        if layout == PositionLayout::Current {
            prop_assert_eq!(p.date(PositionDate::CrmState), seconds(v.crm_at));
            prop_assert_eq!(p.date(PositionDate::BreakStart), seconds(v.break_at));
            prop_assert_eq!(p.date(PositionDate::Agent), seconds(v.agent_at));
            prop_assert_eq!(p.date(PositionDate::Ringing), seconds(v.ringing_at));
        }
    }
}
