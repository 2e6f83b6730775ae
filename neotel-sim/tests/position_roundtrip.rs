//! Any `Position` the simulator can emit has its layout's keys in the fixtures' order and
//! parses back to the same values, through this crate's own reader and through the real
//! client's parser (`neotel-api`): the two sides of the wire agree.

use chrono::{NaiveDateTime, Timelike};
use neotel_api::{Position, PositionDate};
use neotel_sim::PositionLayout;
use neotel_sim::position::{
    KEYS_44, KEYS_52, PositionView, parse_items, parse_view, render, strategy,
};
use proptest::prelude::*;

/// What the older layout keeps of a view (it has no INICIO_*, RINGING/DIALING/AGENT,
/// TIEMPO_DESCANSO, INICIO_CRM or IDAGENDA).
fn as_older(v: &PositionView) -> PositionView {
    PositionView {
        campaign_login_at: None,
        ringing_at: None,
        dialing_at: None,
        agent_at: None,
        break_at: None,
        break_time: None,
        crm_at: None,
        schedule_id: None,
        ..v.clone()
    }
}

proptest! {
    #[test]
    fn every_rendered_position_has_the_layouts_keys_in_order_and_reads_back(
        v in strategy::position_view(),
        layout in strategy::layout(),
        culture in strategy::culture(),
    ) {
        let text = render(&v, layout, culture);
        let keys: Vec<&str> = parse_items(&text).unwrap().into_iter().map(|(k, _)| k).collect();
        match layout {
            PositionLayout::Current => prop_assert_eq!(keys, KEYS_52.to_vec()),
            PositionLayout::Older => prop_assert_eq!(keys, KEYS_44.to_vec()),
        }
        let back = parse_view(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        match layout {
            PositionLayout::Current => prop_assert_eq!(back, v),
            PositionLayout::Older => prop_assert_eq!(back, as_older(&v)),
        }
    }
}

fn non_zero(n: i64) -> Option<i64> {
    (n != 0).then_some(n)
}

proptest! {
    #[test]
    fn every_rendered_position_parses_back_to_the_same_values(
        v in strategy::position_view(),
        layout in strategy::layout(),
        culture in strategy::culture(),
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
