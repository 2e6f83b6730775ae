//! A scripted machine for the crate's tests, injected through the [`MachineFactory`] in place
//! of cti-core, and the sessions the tests run it in (NeoApi a closed port: calls fail fast).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use neotel_api::Request;

use super::hub::Sessions;
use super::machine::{Core, CoreInput, CoreOutput, MachineFactory, Refused};
use crate::config::{Binding, Config, NeoApiConfig};
use crate::neoapi::NeoApi;

/// Scripted by the commands it gets: `{"emit":"effect"|"view"|"end"}`, `{"refuse":…}`.
/// Like cti-core, it keeps its effects while no page leads, sends those a gone page left
/// unanswered again (with new ids) to the next, and refuses a result it does not wait for.
pub(crate) struct Scripted {
    /// Every input it got, as a label, and the driver's logout calls.
    pub(crate) seen: Arc<Mutex<Vec<String>>>,
    out: std::collections::VecDeque<CoreOutput>,
    /// The last view polled.
    view: Option<serde_json::Value>,
    next_effect: u64,
    /// Sent to a page and not answered.
    unanswered: Vec<u64>,
    /// Made while no page led.
    waiting: Vec<u64>,
    page: bool,
    user: String,
}

impl Scripted {
    /// A machine for `user` whose first output is a view.
    pub(crate) fn new(user: &str) -> Self {
        Self {
            seen: Arc::new(Mutex::new(Vec::new())),
            out: [CoreOutput::View {
                view: serde_json::json!({"user": user}),
                lists: None,
            }]
            .into(),
            view: None,
            next_effect: 0,
            unanswered: Vec::new(),
            waiting: Vec::new(),
            page: false,
            user: user.to_owned(),
        }
    }
}

impl Scripted {
    fn emit_effect(&mut self) {
        self.next_effect += 1;
        let id = self.next_effect;
        if self.page {
            self.send(id);
        } else {
            self.waiting.push(id);
        }
    }

    fn send(&mut self, id: u64) {
        self.unanswered.push(id);
        self.out.push_back(CoreOutput::Effect {
            id,
            kind: "screenPop".into(),
            effect: serde_json::json!({"kind":"screenPop","id":id}),
        });
    }
}

impl Core for Scripted {
    fn handle(&mut self, input: CoreInput, _now: Instant) -> Result<(), Refused> {
        let label = match &input {
            CoreInput::Command(c) => format!("command {c}"),
            CoreInput::EffectResult(r) => format!("effectResult {}", r.id),
            CoreInput::Event(e) => format!("event {e:?}"),
            CoreInput::Api { id, result } => format!("api {id} ok={}", result.is_ok()),
            CoreInput::Timeout => "timeout".to_owned(),
            CoreInput::PageChanged { .. } => "pageChanged".to_owned(),
            CoreInput::PageGone => "pageGone".to_owned(),
            CoreInput::VoiceAttached { conn } => format!("voiceAttached {conn}"),
            CoreInput::Telephony { id, .. } => format!("telephony {id}"),
            CoreInput::VoiceDetached { conn } => format!("voiceDetached {conn}"),
            CoreInput::VoiceCall { method, .. } => format!("voiceCall {method}"),
        };
        self.seen.lock().unwrap().push(label);
        if let CoreInput::EffectResult(r) = &input {
            if !self.unanswered.contains(&r.id) {
                return Err(Refused::plain(format!("no effect {} is waiting", r.id)));
            }
            self.unanswered.retain(|id| *id != r.id);
        }
        if matches!(input, CoreInput::PageChanged { .. }) {
            self.page = true;
            for _ in std::mem::take(&mut self.unanswered) {
                self.emit_effect();
            }
            for id in std::mem::take(&mut self.waiting) {
                self.send(id);
            }
        }
        if matches!(input, CoreInput::PageGone) {
            self.page = false;
        }
        if let CoreInput::Command(c) = input {
            if let Some(why) = c.get("refuse") {
                return Err(Refused::plain(why.to_string()));
            }
            match c.get("emit").and_then(|e| e.as_str()) {
                Some("effect") => self.emit_effect(),
                Some("view") => self.out.push_back(CoreOutput::View {
                    view: serde_json::json!({"n": self.seen.lock().unwrap().len()}),
                    lists: None,
                }),
                Some("end") => self.out.push_back(CoreOutput::Ended),
                Some("api") => self.out.push_back(CoreOutput::Api {
                    id: 7,
                    request: Request::Position {
                        user: "1001".into(),
                    },
                    shared: false,
                }),
                Some("api-other-user") => self.out.push_back(CoreOutput::Api {
                    id: 8,
                    request: Request::Position {
                        user: "1002".into(),
                    },
                    shared: false,
                }),
                _ => {}
            }
        }
        Ok(())
    }
    fn poll_output(&mut self) -> Option<CoreOutput> {
        let output = self.out.pop_front();
        if let Some(CoreOutput::View { view, .. }) = &output {
            self.view = Some(view.clone());
        }
        output
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn view(&self) -> Option<serde_json::Value> {
        self.view.clone()
    }
    fn write_snapshot(&self, out: &mut Vec<u8>) -> bool {
        out.clear();
        false
    }
    fn pending_writes(&self) -> super::machine::PendingWrites {
        super::machine::PendingWrites::default()
    }
    fn holds_work(&self) -> bool {
        false
    }
    fn oldest_unanswered(&self) -> Option<Instant> {
        None
    }
    fn outputs_repeatable(&self) -> bool {
        // Its scripts stand for any output: each waits for the store.
        false
    }
    fn logout_request(&self) -> Request {
        self.seen.lock().unwrap().push("logout".into());
        Request::Logout {
            user: self.user.clone(),
        }
    }
    fn log_out(&mut self, _now: Instant) {
        self.seen.lock().unwrap().push("logOut".into());
    }
}

/// A factory of scripted machines, one per login.
pub(crate) fn factory() -> MachineFactory {
    Arc::new(|start| Ok(Box::new(Scripted::new(start.user)) as Box<dyn Core>))
}

/// Sessions of `config` whose NeoApi is a closed port, with scripted machines.
pub(crate) fn sessions(config: Config) -> Arc<Sessions> {
    let neoapi = NeoApi::new(&NeoApiConfig {
        url: "http://127.0.0.1:9".into(),
        binding: Binding::Form,
        path: "/neoapi/webservice.asmx".into(),
        timeout: Duration::from_millis(200),
    })
    .expect("a plain URL makes a client");
    let callcenter = crate::callcenter::fallback(&config).expect("the seed's call center is valid");
    Sessions::new(config, neoapi, callcenter, factory(), None, None)
}
