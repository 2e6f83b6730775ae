//! cti-core's session behind the driver's seam ([`super::machine::Core`]): the server's
//! vocabulary (JSON from the page, NeoApi results with ids) translated to cti-core's inputs, and
//! its outputs to what the driver routes, through the Open CTI adapter (`sf-opencti`): the
//! page runs `sforce.opencti` calls, and their answers are read back in the core's terms.
//! [`factory`] is the production [`MachineFactory`].

use std::time::Instant;

use chrono::Offset as _;
use cti_core::{ApiId, Input, Output, RequestId, SalesforceEvent, SessionError};
use rand::TryRngCore as _;
use sf_opencti::SalesforceError;

use super::machine::{
    Core, CoreInput, CoreOutput, MachineFactory, MachineStart, PendingWrites, Refused,
};
use crate::config::ListSource;
use crate::protocol::PageEvent;

/// An agent's cti-core session.
pub(crate) struct CoreSession {
    session: cti_core::Session,
    /// The lists of the last view: the core shares them between views until they change.
    lists: Option<std::sync::Arc<cti_core::Lists>>,
}

/// The production machines: cti-core's session for each agent.
pub(crate) fn factory() -> MachineFactory {
    std::sync::Arc::new(|start| start_session(start).map(|s| Box::new(s) as Box<dyn Core>))
}

/// Creates the session of `start.user` from the server's configuration and the call center
/// options fallback.
fn start_session(start: MachineStart<'_>) -> Result<CoreSession, String> {
    let config = start.config;
    // The core derives wall times from instants; it needs the Neotel server's time at `now`.
    let neotel_now = start.wall.with_timezone(&config.timezone);
    let mut core = cti_core::Config::new(start.user, neotel_now.naive_local());
    core.neotel_utc_offset_minutes = i64::from(neotel_now.offset().fix().local_minus_utc() / 60);
    core.options = start.callcenter.options.clone();
    core.dialing = start.callcenter.dialing.clone();
    core.poll_interval = config.poll_interval;
    core.languages = crate::i18n::languages();
    // F-CONFIG: the user's settings from their last session on this server.
    if let Some(kept) = start.settings
        && let Ok(settings) = serde_json::from_value(kept)
    {
        core.settings = settings;
    }
    core.breaks = list("lists.breaks", &config.lists.breaks)?;
    core.campaigns = list("lists.campaigns", &config.lists.campaigns)?;
    core.queues = list("lists.queues", &config.lists.queues)?;
    core.users = list("lists.users", &config.lists.users)?;
    core.tasks = config.tasks.clone();
    core.lists_task = match &config.lists.categories {
        ListSource::Task(t) => Some(i64::from(t.task)),
        ListSource::Static(_) => None,
    };
    let mut seed = [0u8; 8];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| format!("no random seed: {e}"))?;
    core.sync_seed = u64::from_le_bytes(seed);
    let session = match start.snapshot {
        None => cti_core::Session::new(core, start.now),
        Some(json) => {
            let snapshot = serde_json::from_str::<cti_core::Snapshot>(json)
                .map_err(|e| format!("the stored session is unreadable: {e}"))?;
            cti_core::Session::restore(core, snapshot, start.now).map_err(|e| e.to_string())?
        }
    };
    Ok(CoreSession {
        session,
        lists: None,
    })
}

/// A configured list as the core takes it (static items were checked at start; a
/// configuration built in code is checked here).
fn list(key: &str, source: &ListSource) -> Result<cti_core::ListSource, String> {
    match source {
        ListSource::Task(t) => Ok(cti_core::ListSource::Task {
            id: i64::from(t.task),
            params: t.params.clone(),
        }),
        ListSource::Static(items) => items
            .iter()
            .map(|item| crate::config::choice(item).map_err(|why| format!("{key}: an item {why}")))
            .collect::<Result<Vec<_>, String>>()
            .map(cti_core::ListSource::Static),
    }
}

fn refused(e: SessionError) -> Refused {
    match e {
        SessionError::Refused(m) => Refused {
            // For logs and integrators; the page words it in the agent's language.
            message: crate::i18n::render("en", &m),
            text: Some(crate::protocol::AgentMessage {
                code: m.code.as_str().to_owned(),
                params: m
                    .params
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            }),
        },
        other => Refused::plain(other.to_string()),
    }
}

/// The lists of `new` that differ from `old`, by their protocol names; `None` when none do.
/// A call changes its categories and transfer phones; the users list (the big one) stays.
fn lists_delta(old: &cti_core::Lists, new: &cti_core::Lists) -> Option<serde_json::Value> {
    fn put<T: serde::Serialize + PartialEq>(
        delta: &mut serde_json::Map<String, serde_json::Value>,
        name: &str,
        old: &T,
        new: &T,
    ) {
        if old != new {
            let value = serde_json::to_value(new).expect("lists always serialize");
            delta.insert(name.to_owned(), value);
        }
    }
    let mut delta = serde_json::Map::new();
    put(&mut delta, "breaks", &old.breaks, &new.breaks);
    put(&mut delta, "campaigns", &old.campaigns, &new.campaigns);
    put(&mut delta, "categories", &old.categories, &new.categories);
    put(
        &mut delta,
        "transferPhones",
        &old.transfer_phones,
        &new.transfer_phones,
    );
    put(&mut delta, "queues", &old.queues, &new.queues);
    put(&mut delta, "users", &old.users, &new.users);
    (!delta.is_empty()).then_some(serde_json::Value::Object(delta))
}

impl Core for CoreSession {
    fn handle(&mut self, input: CoreInput, now: Instant) -> Result<(), Refused> {
        let input = match input {
            CoreInput::Command(json) => {
                let command: cti_core::Command = serde_json::from_value(json)
                    .map_err(|e| Refused::plain(format!("not a command: {e}")))?;
                Input::Command(now, command)
            }
            CoreInput::EffectResult(r) => {
                let id = RequestId(r.id);
                let Some(ask) = self.session.ask_of(id).cloned() else {
                    return Err(Refused::plain(format!(
                        "no effect {} is waiting for an answer",
                        r.id
                    )));
                };
                let result = if r.ok {
                    Ok(r.value.unwrap_or(serde_json::Value::Null))
                } else {
                    let e = r.error.unwrap_or(crate::protocol::EffectError {
                        code: "GENERIC_ERROR".into(),
                        description: String::new(),
                    });
                    Err(SalesforceError {
                        code: e.code,
                        description: e.description,
                    })
                };
                Input::Answered(now, id, sf_opencti::answer(&ask, result))
            }
            CoreInput::Event(event) => Input::Salesforce(
                now,
                match event {
                    PageEvent::ClickToDial { number, record } => SalesforceEvent::ClickToDial {
                        number,
                        record_id: record.record_id,
                        object_type: record.object_type,
                        record_name: record.record_name,
                    },
                    PageEvent::NavigationChange { record, .. } => SalesforceEvent::Navigation {
                        record_id: record.record_id,
                        object_type: record.object_type,
                        record_name: record.record_name,
                    },
                },
            ),
            CoreInput::Api { id, result } => Input::NeoApi(now, ApiId(id), result),
            CoreInput::Timeout => Input::Timeout(now),
            CoreInput::PageChanged => Input::Salesforce(now, SalesforceEvent::PageChanged),
            CoreInput::PageGone => Input::Salesforce(now, SalesforceEvent::PageGone),
        };
        self.session.handle_input(input).map_err(refused)
    }

    fn poll_output(&mut self) -> Option<CoreOutput> {
        // The call's Task is written in the agent's language.
        let language = self.session.language().to_owned();
        let words = |m: &cti_core::Message| crate::i18n::render(&language, m);
        let effect = |effect: sf_opencti::SalesforceEffect| CoreOutput::Effect {
            id: effect.id.0,
            kind: effect.action.kind().to_owned(),
            effect: serde_json::to_value(&effect).expect("effects always serialize"),
        };
        Some(match self.session.poll_output()? {
            Output::NeoApi(ApiId(id), request) => CoreOutput::Api {
                id,
                request,
                shared: self.session.shared_read(ApiId(id)),
            },
            Output::Crm(request) => effect(sf_opencti::effect(&request, &words)),
            Output::Surface(update) => effect(sf_opencti::surface_effect(&update)),
            // The Open CTI page follows the views, not the call events.
            Output::Call(_) => return self.poll_output(),
            Output::View(mut view) => {
                let lists = std::mem::take(&mut view.lists);
                let lists_json = match &self.lists {
                    Some(last) if std::sync::Arc::ptr_eq(last, &lists) => None,
                    Some(last) => lists_delta(last, &lists),
                    None => Some(serde_json::to_value(&*lists).expect("lists always serialize")),
                };
                self.lists = Some(lists);
                let mut view = serde_json::to_value(&view).expect("views always serialize");
                if let Some(map) = view.as_object_mut() {
                    map.remove("lists");
                }
                CoreOutput::View {
                    view,
                    lists: lists_json,
                }
            }
            Output::Ended => CoreOutput::Ended,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    fn logout_request(&self) -> neotel_api::Request {
        self.session.logout_request()
    }

    fn log_out(&mut self, now: Instant) {
        self.session.log_out(now);
    }

    fn write_snapshot(&self, out: &mut Vec<u8>) -> bool {
        self.session.write_snapshot(out);
        true
    }

    fn pending_writes(&self) -> PendingWrites {
        let p = self.session.pending_writes();
        PendingWrites {
            count: p.count,
            oldest: p.oldest,
        }
    }

    fn holds_work(&self) -> bool {
        self.session.holds_work()
    }

    fn oldest_unanswered(&self) -> Option<Instant> {
        self.session.oldest_unanswered()
    }

    fn outputs_repeatable(&self) -> bool {
        self.session.outputs_repeatable()
    }

    fn view(&self) -> Option<serde_json::Value> {
        let view = self.session.last_view()?;
        Some(serde_json::to_value(view).expect("views always serialize"))
    }
}
