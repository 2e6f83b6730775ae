//! The agent's `Position`: the typed snapshot of its state, rendered as the platform
//! would answer it.

use super::calls::sub_state;
use super::{Fault, Platform};
use crate::position::{PositionView, render};
use crate::scenario::Scenario;

impl Platform {
    /// The agent's `Position` string, as the platform would answer it.
    pub fn position(&self, user: &str) -> Result<String, Fault> {
        let settings = &self.scenario.settings;
        Ok(render(
            &self.position_view(user)?,
            settings.position_layout,
            settings.date_culture,
        ))
    }

    /// The typed snapshot behind [`Platform::position`].
    pub fn position_view(&self, user: &str) -> Result<PositionView, Fault> {
        let a = self.agent(user)?;
        let outbound = self.campaign(a.outbound_campaign);
        let call = a.call.and_then(|id| self.calls.get(&id));
        let mut v = PositionView {
            device: a.device.clone(),
            ip: "127.0.0.1".into(),
            port: 5060,
            status: "OK".into(),
            server: settings_server(&self.scenario),
            user: a.user.clone(),
            login_at: Some(a.login_at),
            outbound_campaign: a.outbound_campaign,
            campaign_login_at: a.campaign_login_at,
            sub_state_last: a.last.sub_state.clone(),
            call_state_at: a.call_state_at,
            break_subtype: a.break_subtype,
            break_at: a.break_at,
            crm_state: a.crm_state.as_str().into(),
            crm_at: a.crm_at,
            campaign_last: a.last.campaign,
            queue_last: a.last.queue,
            phone_last: a.last.phone.clone(),
            call_type: "NotSet".into(),
            call_type_last: a.last.call_type.clone(),
            origin_last: a.last.origin.clone(),
            direction_last: a.last.direction.clone(),
            schedule_id: a.schedule_id,
            call_id_last: a.last.call_id,
            conference: a.conference.as_ref().map(|c| c.id),
            dialer: outbound.map_or("NotSet", |c| c.dialer.as_str()).into(),
            outbound_crm: outbound.map_or(0, |c| c.crm),
            outbound_base: outbound.map_or(0, |c| c.base),
            ..PositionView::default()
        };
        if let Some(c) = &a.contact {
            v.crm = c.crm;
            v.base = c.base;
            v.contact_id = c.id;
            v.data = c.data.clone();
            v.clave = c.clave.clone();
            v.search_field = c.search_field.clone();
        }
        if let Some(call) = call {
            v.call_id = call.id;
            v.channel = format!("{}-{:08x}", a.device, call.id);
            v.sub_state = sub_state(call).into();
            v.campaign = call.campaign;
            v.queue = call.queue;
            v.call_type = call.call_type.clone();
            v.origin = call.origin.clone();
            v.direction = call.direction().into();
            if call.inbound {
                v.ani = call.phone.clone();
                v.dnis = call.dnis.clone();
            } else {
                v.phone = call.phone.clone();
            }
            v.phone_last = call.phone.clone();
            v.ringing_at = Some(call.started_at);
            if call.customer_leg.is_some() {
                v.associated_channels
                    .push(format!("SIP/TRONCAL-{:08x}", call.id));
            }
            if let Some(consult) = &a.consult {
                v.associated_channels
                    .push(format!("SIP/{}-consulta", consult.target.replace(' ', "")));
            }
            if let Some(conf) = &a.conference {
                v.associated_channels
                    .extend(conf.participants.iter().map(|p| format!("SIP/{p}-conf")));
            }
            if call.recording {
                v.recording = true;
                v.recording_file = format!(
                    "{}-{}-{}.mp3",
                    call.phone,
                    call.id,
                    call.started_at.format("%Y%m%d%H%M%S")
                );
            }
        }
        Ok(v)
    }
}

fn settings_server(s: &Scenario) -> String {
    s.settings.server.clone()
}
