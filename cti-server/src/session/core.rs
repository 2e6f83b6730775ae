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

use std::collections::VecDeque;

use super::machine::{
    Core, CoreInput, CoreOutput, MachineFactory, MachineStart, PendingWrites, Refused,
};
use crate::config::ListSource;
use crate::protocol::{Down, PageEvent, Surface};

/// An agent's cti-core session.
pub(crate) struct CoreSession {
    session: cti_core::Session,
    /// The lists of the last view: the core shares them between views until they change.
    lists: Option<std::sync::Arc<cti_core::Lists>>,
    /// The Salesforce Voice side, once a voice page attached (the calls it was told of).
    voice: Option<sf_voice::VoiceSession>,
    /// What it is made from.
    voice_config: sf_voice::VoiceConfig,
    /// The page that runs the requests, and its surface.
    leader: Option<(u64, Surface)>,
    /// Outputs ready for the driver (the voice side makes several of one core output).
    ready: VecDeque<CoreOutput>,
    /// The session's start, on both clocks (Salesforce Voice's timestamps are wall times).
    started: (Instant, chrono::DateTime<chrono::Utc>),
    /// The last input's instant: the outputs it made follow from it.
    now: Instant,
    /// What the core said of its outputs when they were taken into `ready`.
    repeatable: bool,
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
    let neotel = cti_core::NeotelTasks {
        breaks: list("lists.breaks", &config.lists.breaks)?,
        campaigns: list("lists.campaigns", &config.lists.campaigns)?,
        queues: list("lists.queues", &config.lists.queues)?,
        users: list("lists.users", &config.lists.users)?,
        lists_task: match &config.lists.categories {
            ListSource::Task(t) => Some(i64::from(t.task)),
            ListSource::Static(_) => None,
        },
        tasks: config.tasks.clone(),
    };
    let mut core = cti_core::Config::new(start.user, neotel, neotel_now.naive_local());
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
    let mut seed = [0u8; 8];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| format!("no random seed: {e}"))?;
    core.sync_seed = u64::from_le_bytes(seed);
    let voice = &config.voice;
    let voice_config = sf_voice::VoiceConfig {
        user: start.user.to_owned(),
        device: start.device.to_owned(),
        presence: sf_voice::Presence {
            available: voice.available_status.clone(),
            no_campaign: voice.no_campaign_status.clone(),
            breaks: voice.break_statuses.clone(),
        },
        label_namespace: voice.label_namespace.clone(),
        after_call_work: voice.after_call_work,
        options: core.options.clone(),
        dialing: core.dialing.clone(),
        pop_rules: voice_pop_rules(),
        catalogs: crate::i18n::catalogs_json(),
        records: start.records,
    };
    let (session, records) = match start.snapshot {
        None => (cti_core::Session::new(core, start.now), None),
        Some(json) => {
            let (snapshot, records) = read_snapshot(json)
                .map_err(|e| format!("the stored session is unreadable: {e}"))?;
            let session =
                cti_core::Session::restore(core, snapshot, start.now).map_err(|e| e.to_string())?;
            (session, records)
        }
    };
    let mut s = CoreSession {
        session,
        lists: None,
        voice: None,
        voice_config,
        leader: None,
        ready: VecDeque::new(),
        started: (start.now, start.wall),
        now: start.now,
        repeatable: true,
    };
    // A Salesforce Voice session resumes its side at once: its VoiceCalls' writes go on.
    if let Some(records) = records {
        let outs = s.voice(start.now).resume_records(records);
        s.run_voice(outs, start.now);
    }
    Ok(s)
}

/// The key under which a Salesforce Voice session's VoiceCalls ride in its snapshot (beside
/// the core's fields: the core ignores it, and a snapshot without it is an Open CTI session's).
const VOICE_CALLS: &str = "voiceCalls";

/// The core's snapshot and, for a Salesforce Voice session, its VoiceCalls.
fn read_snapshot(
    json: &str,
) -> Result<(cti_core::Snapshot, Option<sf_voice::Records>), serde_json::Error> {
    let mut value: serde_json::Value = serde_json::from_str(json)?;
    let records = match value.as_object_mut().and_then(|m| m.remove(VOICE_CALLS)) {
        Some(records) => Some(serde_json::from_value(records)?),
        None => None,
    };
    Ok((serde_json::from_value(value)?, records))
}

/// W-SCREENPOP under Salesforce Voice, which has no softphone layout: a match pops its record,
/// several the search page, none a new Contact (the softphone layout the seed recommends).
fn voice_pop_rules() -> sf_callcenter::SoftphoneLayout {
    use sf_callcenter::{PopRule, PopRules, SoftphoneLayout};
    SoftphoneLayout::uniform(PopRules {
        no_match: PopRule::PopToEntity("Contact".into()),
        single_match: PopRule::PopToEntity(String::new()),
        multiple_matches: PopRule::PopToSearch,
    })
}

/// A Salesforce Voice page's message, as the protocol sends it.
fn voice_down(message: sf_voice::PageMessage) -> Down {
    use sf_voice::PageMessage;
    match message {
        PageMessage::Setup {
            agent_config,
            capabilities,
            active_calls,
            missed,
        } => Down::VoiceSetup {
            agent_config,
            capabilities,
            active_calls,
            missed: missed
                .into_iter()
                .map(|(event_type, payload)| crate::protocol::VoiceEvent {
                    event_type: event_type.to_owned(),
                    payload,
                })
                .collect(),
        },
        PageMessage::Calls(active_calls) => Down::VoiceCalls { active_calls },
        PageMessage::Publish {
            event_type,
            payload,
        } => Down::VoicePublish {
            event_type: event_type.to_owned(),
            payload,
        },
        PageMessage::Result { id, result } => match result {
            Ok(result) => Down::VoiceResult {
                id,
                ok: true,
                result,
                error: None,
            },
            Err(error) => Down::VoiceResult {
                id,
                ok: false,
                result: None,
                error: Some(error),
            },
        },
    }
}

impl CoreSession {
    /// Salesforce Voice's timestamps: the wall time at `now`.
    fn wall(&self, now: Instant) -> chrono::DateTime<chrono::Utc> {
        let (at, wall) = self.started;
        wall + chrono::Duration::from_std(now.saturating_duration_since(at)).unwrap_or_default()
    }

    /// The voice side, made when a first voice page attaches: told of the call in progress.
    fn voice(&mut self, now: Instant) -> &mut sf_voice::VoiceSession {
        if self.voice.is_none() {
            let mut voice = sf_voice::VoiceSession::new(self.voice_config.clone());
            if let Some((start, connected)) = self.session.current_call() {
                voice.known_call(start, connected, self.wall(now));
            }
            // The view so far: a page attaching after the agent's login would otherwise have none
            // (the components' hello gets the latest view) until the core's next change. No
            // component said hello yet, so this sends nothing.
            if let Some(view) = self.session.last_view() {
                let whole = serde_json::to_value(view).expect("views always serialize");
                let none = voice.view(view, &whole);
                debug_assert!(none.is_empty());
            }
            self.voice = Some(voice);
        }
        self.voice.as_mut().expect("made above")
    }

    /// Gives the core what the voice side asked, and the voice side how it went.
    fn input_then(
        &mut self,
        input: Input,
        then: sf_voice::Then,
        now: Instant,
    ) -> Vec<sf_voice::Out> {
        let outcome = match self.session.handle_input(input) {
            Ok(()) => Ok(()),
            Err(SessionError::Refused(m)) => Err(m),
            Err(SessionError::Ended) => {
                Err(cti_core::Message::new(cti_core::Code::NeotelNotLogged))
            }
        };
        let language = self.session.language().to_owned();
        let words = |m: &cti_core::Message| crate::i18n::render(&language, m);
        self.voice(now).commanded(then, outcome, &words)
    }

    /// Carries out what the voice side wants: messages for its pages, commands and answers for
    /// the core (whose outcomes it is told).
    fn run_voice(&mut self, outs: Vec<sf_voice::Out>, now: Instant) {
        use sf_voice::Out;
        let mut outs: VecDeque<Out> = outs.into();
        while let Some(out) = outs.pop_front() {
            match out {
                Out::To(conn, message) => self.ready.push_back(CoreOutput::Voice {
                    conn,
                    down: voice_down(message),
                }),
                Out::Command(command, then) => {
                    let more = self.input_then(Input::Command(now, command), then, now);
                    outs.extend(more);
                }
                Out::ClickToDial(event, then) => {
                    let more = self.input_then(Input::Salesforce(now, event), then, now);
                    outs.extend(more);
                }
                Out::Answer(id, result) => {
                    let _ = self.session.handle_input(Input::Answered(now, id, result));
                }
                Out::ComponentAnswer(id, message) => {
                    if let Some(ask) = self.session.ask_of(id).cloned() {
                        let result = sf_voice::read_answer(&ask, &message);
                        let _ = self.session.handle_input(Input::Answered(now, id, result));
                    }
                }
                Out::Event(event) => {
                    let _ = self.session.handle_input(Input::Salesforce(now, event));
                }
                Out::Telephony { id, write } => {
                    self.ready.push_back(CoreOutput::Telephony { id, write });
                }
                Out::Noted(noted) => self.ready.push_back(CoreOutput::VoiceCallNoted(noted)),
                Out::LogOut(asked) => self.ready.push_back(CoreOutput::LogOut {
                    conn: asked.page,
                    down: voice_down(match sf_voice::VoiceSession::logged_out(asked) {
                        Out::To(_, m) => m,
                        _ => unreachable!("a page's message"),
                    }),
                }),
            }
        }
    }

    /// The core's next output, for the driver (the voice side may make several, or none).
    fn next_output(&mut self, now: Instant) -> Option<CoreOutput> {
        loop {
            if let Some(out) = self.ready.pop_front() {
                return Some(out);
            }
            let output = self.session.poll_output()?;
            if let Some(out) = self.translate(output, now) {
                return Some(out);
            }
        }
    }
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
        let result = self.take(input, now);
        // The core's outputs go through the surface's adapter now, so what they lead to (a
        // VoiceCall write, which must never be sent twice) is known before the driver decides
        // whether the snapshot goes first.
        self.repeatable = self.ready.is_empty() && self.session.outputs_repeatable();
        while let Some(output) = self.session.poll_output() {
            if let Some(out) = self.translate(output, self.now) {
                self.ready.push_back(out);
            }
        }
        result
    }

    fn poll_output(&mut self) -> Option<CoreOutput> {
        // Outputs follow the input that made them: their time is that input's.
        self.next_output(self.now)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let retry = self
            .voice
            .as_ref()
            .and_then(sf_voice::VoiceSession::next_retry)
            .map(|at| self.instant(at));
        match (self.session.poll_timeout(), retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn logout_request(&self) -> neotel_api::Request {
        self.session.logout_request()
    }

    fn log_out(&mut self, now: Instant) {
        self.session.log_out(now);
    }

    fn write_snapshot(&self, out: &mut Vec<u8>) -> bool {
        self.session.write_snapshot(out);
        // A Salesforce Voice session's VoiceCalls beside the core's fields (the core's
        // snapshot is a JSON object: its closing brace makes room for them).
        if let Some(voice) = &self.voice
            && out.last() == Some(&b'}')
        {
            out.pop();
            out.extend_from_slice(format!(",\"{VOICE_CALLS}\":").as_bytes());
            serde_json::to_writer(&mut *out, voice.records()).expect("records serialize");
            out.push(b'}');
        }
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
        // A Salesforce Voice page's messages, and above all a VoiceCall write, leave only
        // once the snapshot that knows of them is stored.
        self.repeatable
            && self.ready.iter().all(|o| {
                !matches!(
                    o,
                    CoreOutput::Voice { .. }
                        | CoreOutput::Telephony { .. }
                        | CoreOutput::LogOut { .. }
                )
            })
    }

    fn urgency(&self) -> cti_core::Urgency {
        self.session.urgency()
    }

    fn set_cadence(&mut self, cadence: cti_core::Cadence, now: Instant) {
        self.session.set_cadence(cadence, now);
    }

    fn view(&self) -> Option<serde_json::Value> {
        let view = self.session.last_view()?;
        Some(serde_json::to_value(view).expect("views always serialize"))
    }
}

impl CoreSession {
    /// The instant of wall time `at` (Salesforce Voice's retries are planned in wall time).
    fn instant(&self, at: chrono::DateTime<chrono::Utc>) -> Instant {
        let (start, wall) = self.started;
        let after = (at - wall).to_std().unwrap_or_default();
        start + after
    }

    /// One input, through the voice side when it is Salesforce Voice's.
    fn take(&mut self, input: CoreInput, now: Instant) -> Result<(), Refused> {
        self.now = self.now.max(now);
        let input = match input {
            CoreInput::Command(json) => {
                let command: cti_core::Command = serde_json::from_value(json)
                    .map_err(|e| Refused::plain(format!("not a command: {e}")))?;
                Input::Command(now, command)
            }
            CoreInput::EffectResult(r) => {
                let id = RequestId(r.id);
                if !self.session.expects_answer(id) {
                    return Err(Refused::plain(format!(
                        "no effect {} is waiting for an answer",
                        r.id
                    )));
                }
                // A surface update's answer changes nothing.
                let Some(ask) = self.session.ask_of(id).cloned() else {
                    let _ = self.session.handle_input(Input::Answered(
                        now,
                        id,
                        Ok(cti_core::Answer::Done),
                    ));
                    return Ok(());
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
            CoreInput::Timeout => {
                let wall = self.wall(now);
                if let Some(voice) = self.voice.as_mut() {
                    let outs = voice.due(wall);
                    self.run_voice(outs, now);
                }
                Input::Timeout(now)
            }
            CoreInput::Telephony { id, written } => {
                let wall = self.wall(now);
                let language = self.session.language().to_owned();
                let words = |m: &cti_core::Message| crate::i18n::render(&language, m);
                if let Some(voice) = self.voice.as_mut() {
                    let outs = voice.written(id, written, wall, &words);
                    self.run_voice(outs, now);
                }
                return Ok(());
            }
            CoreInput::PageChanged { conn, surface } => {
                self.leader = Some((conn, surface));
                let voice_leads = (surface == Surface::Voice).then_some(conn);
                if let Some(voice) = self.voice.as_mut() {
                    voice.leads(voice_leads);
                } else if voice_leads.is_some() {
                    self.voice(now).leads(voice_leads);
                }
                Input::Salesforce(now, SalesforceEvent::PageChanged)
            }
            CoreInput::PageGone => {
                self.leader = None;
                if let Some(voice) = self.voice.as_mut() {
                    voice.leads(None);
                }
                Input::Salesforce(now, SalesforceEvent::PageGone)
            }
            CoreInput::VoiceAttached { conn } => {
                let outs = self.voice(now).setup(conn);
                self.run_voice(outs, now);
                return Ok(());
            }
            CoreInput::VoiceDetached { conn } => {
                if let Some(voice) = self.voice.as_mut() {
                    voice.page_gone(conn);
                }
                return Ok(());
            }
            CoreInput::VoiceCall {
                conn,
                id,
                method,
                args,
            } => {
                let wall = self.wall(now);
                let asked = sf_voice::Asked { page: conn, id };
                let outs = self.voice(now).method(asked, &method, &args, wall);
                self.run_voice(outs, now);
                return Ok(());
            }
        };
        self.session.handle_input(input).map_err(refused)
    }
}

impl CoreSession {
    /// One core output for the driver, through the page's surface: the Open CTI page's calls,
    /// or the voice side's messages (`None`: nothing for the driver, or queued in `ready`).
    fn translate(&mut self, output: Output, now: Instant) -> Option<CoreOutput> {
        // The call's Task is written in the agent's language.
        let language = self.session.language().to_owned();
        let words = |m: &cti_core::Message| crate::i18n::render(&language, m);
        let effect = |effect: sf_opencti::SalesforceEffect| CoreOutput::Effect {
            id: effect.id.0,
            kind: effect.action.kind().to_owned(),
            effect: serde_json::to_value(&effect).expect("effects always serialize"),
        };
        let voice_leads = matches!(self.leader, Some((_, Surface::Voice)));
        Some(match output {
            Output::NeoApi(ApiId(id), request) => CoreOutput::Api {
                id,
                request,
                shared: self.session.shared_read(ApiId(id)),
            },
            Output::Crm(request) if voice_leads => {
                let outs = self.voice(now).request(&request, &words);
                self.run_voice(outs, now);
                return None;
            }
            Output::Crm(request) => effect(sf_opencti::effect(&request, &words)),
            // What the Open CTI page shows; Salesforce Voice shows its own.
            Output::Surface(_) if voice_leads => return None,
            Output::Surface(update) => effect(sf_opencti::surface_effect(&update)),
            Output::Call(event) => {
                // The Open CTI page follows the views, not the call events.
                let wall = self.wall(now);
                if let Some(voice) = self.voice.as_mut() {
                    let outs = voice.event(&event, wall, &words);
                    self.run_voice(outs, now);
                }
                return None;
            }
            Output::View(mut view) => {
                let lists = std::mem::take(&mut view.lists);
                let lists_json = match &self.lists {
                    Some(last) if std::sync::Arc::ptr_eq(last, &lists) => None,
                    Some(last) => lists_delta(last, &lists),
                    None => Some(serde_json::to_value(&*lists).expect("lists always serialize")),
                };
                self.lists = Some(lists.clone());
                let mut json = serde_json::to_value(&*view).expect("views always serialize");
                // The voice side reads the lists (its phone book): it keeps the view whole.
                view.lists = lists.clone();
                if let Some(voice) = self.voice.as_mut() {
                    // The components get the whole view, lists included.
                    let mut whole = json.clone();
                    whole["lists"] = serde_json::to_value(&*lists).expect("lists serialize");
                    let outs = voice.view(&view, &whole);
                    self.run_voice(outs, now);
                }
                if let Some(map) = json.as_object_mut() {
                    map.remove("lists");
                }
                // The voice side's messages (if any) go first: they are about the same change.
                self.ready.push_back(CoreOutput::View {
                    view: json,
                    lists: lists_json,
                });
                return None;
            }
            Output::Ended => CoreOutput::Ended,
        })
    }
}
