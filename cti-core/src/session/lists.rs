//! The lists the softphone offers, from the configuration or per-install tasks answering
//! `{"Table":[…]}`: break states, campaigns, queues and users at start; a contact's categories
//! and its campaign's transfer phones when it arrives. The users list is read again while a
//! list of users is offered (who is logged in changes), without the agent itself, each user's
//! state in words with whether it can take a transfer, an invitation or be monitored.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use neotel_api::{DecodeError, Reply, Retry, decode_table};
use serde_json::{Map, Value};

use crate::config::ListSource;
use crate::io::ApiResult;
use crate::message::{Code, Message};
use crate::view::{AgentChoice, Choice, Lists, Users};

use super::Session;
use super::notices::{self, Scope};
use super::outbox::Pending;
use super::timer::Timer;
use super::write::backoff;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListKind {
    Breaks,
    Campaigns,
    Categories,
    TransferPhones,
    Queues,
    Users,
}

/// One list read: which list, and the task and parameters that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ListRead {
    pub(super) kind: ListKind,
    task: i64,
    params: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ListState {
    /// Shared with the views: a view is built on every input and compared with the last, so
    /// the lists (hundreds of users on a big install) are counted, not copied.
    pub(super) lists: Arc<Lists>,
    /// The platform users as last read; the view lists them only while a panel listing them
    /// is open (`users_watched`): at login every agent would else be sent thousands of users.
    pub(super) users: Users,
    /// The users list says this session's user is a supervisor (F-MONITOR).
    pub(super) supervisor: bool,
    /// When the users list was last read.
    users_read_at: Option<Instant>,
    /// A panel listing the users is open on the page.
    users_watched: bool,
    /// Lists whose read failed for a reason that may pass, asked for again with a backoff
    /// (without them the agent could not categorize or take a break).
    failed: Vec<ListRead>,
    /// Failed rounds in a row.
    failures: u32,
}

/// A row's integer (a number, or a number written as text).
pub(super) fn int_of(row: &Map<String, Value>, key: &str) -> Option<i64> {
    row.get(key).and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

/// A row's text (a number is written out; null is nothing).
pub(super) fn text_of(row: &Map<String, Value>, key: &str) -> Option<String> {
    match row.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl Session {
    /// The lists every session needs, at start.
    pub(super) fn load_lists(&mut self) {
        for (kind, source) in [
            (ListKind::Breaks, self.config.breaks.clone()),
            (ListKind::Campaigns, self.config.campaigns.clone()),
            (ListKind::Queues, self.config.queues.clone()),
            (ListKind::Users, self.config.users.clone()),
        ] {
            match source {
                ListSource::Static(rows) => self.set_list(kind, rows),
                ListSource::Task { id, params } => {
                    if kind == ListKind::Users {
                        self.lists.users_read_at = Some(self.now());
                    }
                    self.read_list(kind, id, params);
                }
            }
        }
    }

    fn read_list(&mut self, kind: ListKind, task: i64, params: Vec<String>) {
        let read = ListRead {
            kind,
            task,
            params: params.clone(),
        };
        self.task(task, params, Pending::List(read));
    }

    /// A contact's categories (its CRM's) and its campaign's transfer phones.
    pub(super) fn load_contact_lists(&mut self, crm: i64, campaign: Option<i64>) {
        let Some(task) = self.config.lists_task else {
            return;
        };
        let categories = vec!["categories".into(), crm.to_string()];
        self.read_list(ListKind::Categories, task, categories);
        match campaign {
            Some(campaign) => {
                let phones = vec!["transferPhones".into(), campaign.to_string()];
                self.read_list(ListKind::TransferPhones, task, phones);
            }
            // A call of no campaign has no transfer phones (not the last contact's).
            None if !self.lists.lists.transfer_phones.is_empty() => {
                self.lists_mut().transfer_phones.clear();
            }
            None => {}
        }
    }

    /// The contact left: its lists go with it.
    pub(super) fn clear_contact_lists(&mut self) {
        let lists = self.lists_mut();
        lists.categories.clear();
        lists.transfer_phones.clear();
        self.lists
            .failed
            .retain(|r| !matches!(r.kind, ListKind::Categories | ListKind::TransferPhones));
        self.lists_settled();
    }

    pub(super) fn list_answered(&mut self, read: ListRead, result: ApiResult) {
        let kind = read.kind;
        match result {
            Ok(Reply::String(text)) if kind == ListKind::Users => match shared_users(&text) {
                Ok(users) => self.users_read(users),
                Err(e) => self.notify(
                    Message::new(Code::BadList).with("error", e.to_string()),
                    Scope::Session,
                ),
            },
            Ok(Reply::String(text)) => match decode_table(&text) {
                Ok(rows) => {
                    let rows = rows.iter().filter_map(|r| choice(kind, r)).collect();
                    self.set_list(kind, rows);
                }
                Err(e) => self.notify(
                    Message::new(Code::BadList).with("error", e.to_string()),
                    Scope::Session,
                ),
            },
            Ok(_) => {}
            Err(e) if e.retry() == Retry::Never => self.notify(notices::fault(&e), Scope::Session),
            Err(_) => {
                if !self.lists.failed.contains(&read) {
                    self.lists.failed.push(read);
                }
                if self.timers.get(Timer::Lists).is_none() {
                    self.lists.failures += 1;
                    let at = self.now() + backoff(self.lists.failures);
                    self.timers.set(Timer::Lists, at);
                }
                self.notify(Code::ListsRetrying, Scope::Session);
                return;
            }
        }
        self.lists.failed.retain(|r| *r != read);
        self.lists_settled();
    }

    /// Every list read that failed has been answered: nothing is being asked again.
    fn lists_settled(&mut self) {
        if self.lists.failed.is_empty() {
            self.lists.failures = 0;
            self.timers.stop(Timer::Lists);
            self.forget(Code::ListsRetrying);
        }
    }

    /// Asks again for the lists whose read failed; they stay failed until answered.
    pub(super) fn read_failed_lists(&mut self) {
        let in_flight = |p: &Pending, r: &ListRead| matches!(p, Pending::List(x) if x == r);
        for read in self.lists.failed.clone() {
            if !self.out.waiting(|p| in_flight(p, &read)) {
                self.task(read.task, read.params.clone(), Pending::List(read));
            }
        }
    }

    fn users_read(&mut self, all: Arc<[AgentChoice]>) {
        let users = Users::without(all, &self.config.user);
        self.lists.supervisor = users.own().is_some_and(|u| u.supervisor);
        self.lists.users = users;
        self.show_users();
    }

    /// The view lists the users while a panel listing them is open, and none otherwise.
    fn show_users(&mut self) {
        let shown = if self.lists.users_watched {
            self.lists.users.clone()
        } else {
            Users::default()
        };
        if self.lists.lists.users != shown {
            self.lists_mut().users = shown;
        }
    }

    fn set_list(&mut self, kind: ListKind, rows: Vec<Choice>) {
        let lists = self.lists_mut();
        match kind {
            ListKind::Breaks => lists.breaks = rows,
            ListKind::Campaigns => lists.campaigns = rows,
            ListKind::Categories => lists.categories = rows,
            ListKind::TransferPhones => lists.transfer_phones = rows,
            ListKind::Queues => lists.queues = rows,
            ListKind::Users => {
                // A fixed list says nothing of who is logged in: Neotel decides.
                let all = rows
                    .into_iter()
                    .map(|r| AgentChoice {
                        user: r.id.to_string(),
                        name: r.name,
                        supervisor: false,
                        state: Message::new(Code::UserOther).with("state", ""),
                        transfer: true,
                        invite: true,
                        monitor: true,
                    })
                    .collect();
                self.lists.users = Users::without(all, &self.config.user);
                self.show_users();
            }
        }
    }

    fn lists_mut(&mut self) -> &mut Lists {
        Arc::make_mut(&mut self.lists.lists)
    }

    /// Reads the users list again, unless a read is on its way.
    pub(super) fn read_users(&mut self) {
        let in_flight = self
            .out
            .waiting(|p| matches!(p, Pending::List(r) if r.kind == ListKind::Users));
        if let (ListSource::Task { id, params }, false) = (self.config.users.clone(), in_flight) {
            self.lists.users_read_at = Some(self.now());
            self.read_list(ListKind::Users, id, params);
        }
    }

    /// The agent opened or closed a panel listing the users: the view lists them while one is
    /// open, and one opened reads them again now (unless they have just been read).
    pub(super) fn watch_users(&mut self, watching: bool) {
        let opened = watching && !self.lists.users_watched;
        self.lists.users_watched = watching;
        self.show_users();
        let recent = self
            .lists
            .users_read_at
            .is_some_and(|at| self.now().duration_since(at) < USERS_RECENT);
        if opened && !recent {
            self.lists.users_read_at = None;
        }
    }

    /// While a list of users is offered and the agent looks at it, it is kept fresh: read
    /// again once it is older than the refresh period.
    pub(super) fn keep_users_fresh(&mut self, offered: bool) {
        if !offered || !self.lists.users_watched {
            self.timers.stop(Timer::Users);
            return;
        }
        let now = self.now();
        let period = self.config.users_refresh;
        let due = self.lists.users_read_at.map_or(now, |at| at + period);
        if due <= now {
            self.read_users();
            self.timers.set(Timer::Users, now + period);
        } else {
            self.timers.set(Timer::Users, due);
        }
    }
}

/// A users list read this recently is fresh enough for a panel just opened.
const USERS_RECENT: std::time::Duration = std::time::Duration::from_secs(2);

/// The users lists decoded lately, by their answer's text.
static DECODED_USERS: Mutex<Vec<(String, Weak<[AgentChoice]>)>> = Mutex::new(Vec::new());

/// How many distinct users answers [`DECODED_USERS`] remembers (one server reads one list; a
/// process may hold a few servers' sessions, as tests do).
const DECODED_USERS_KEPT: usize = 4;

/// The users list of `text`, decoded once for every session of the process that gets the same
/// answer while one of them still holds it: the server shares one read among its sessions,
/// and each keeps a pointer to one list instead of its own copy (at 2,000 users, about
/// 600 KiB a session). A cache of a pure function: what a session sees is the same.
fn shared_users(text: &str) -> Result<Arc<[AgentChoice]>, DecodeError> {
    let mut decoded = DECODED_USERS.lock().unwrap_or_else(PoisonError::into_inner);
    decoded.retain(|(_, users)| users.strong_count() > 0);
    if let Some(users) = decoded
        .iter()
        .find(|(t, _)| t == text)
        .and_then(|(_, users)| users.upgrade())
    {
        return Ok(users);
    }
    let users: Arc<[AgentChoice]> = decode_table(text)?
        .iter()
        .filter_map(agent_choice)
        .collect();
    if decoded.len() >= DECODED_USERS_KEPT {
        decoded.remove(0);
    }
    decoded.push((text.to_owned(), Arc::downgrade(&users)));
    Ok(users)
}

/// A user's `ESTADO` in words, and whether the user can take a transfer or an invitation
/// (free) and be monitored (logged in). The simulator's default list says `Conectado`,
/// `EnLlamada`, `Descanso` or `Desconectado`; another install's own words are shown as they
/// are and left for Neotel to judge.
fn user_state(raw: &str) -> (Message, bool, bool) {
    let norm: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match norm.as_str() {
        "conectado" | "disponible" | "available" | "libre" => (Code::UserFree.into(), true, true),
        "enllamada" | "oncall" | "ocupado" | "busy" => (Code::UserOnCall.into(), false, true),
        "descanso" | "endescanso" | "pausa" | "paused" | "onbreak" => {
            (Code::UserOnBreak.into(), false, true)
        }
        "desconectado" | "offline" | "loggedout" => (Code::UserOffline.into(), false, false),
        _ => (Message::new(Code::UserOther).with("state", raw), true, true),
    }
}

/// A row of the users list (`USUARIO`, `NOMBRE`, `SUPERVISOR`, `ESTADO`).
fn agent_choice(row: &Map<String, Value>) -> Option<AgentChoice> {
    let supervisor = match row.get("SUPERVISOR") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "si" | "sí")
        }
        _ => false,
    };
    let (state, free, logged_in) = user_state(&text_of(row, "ESTADO").unwrap_or_default());
    Some(AgentChoice {
        user: text_of(row, "USUARIO")?,
        name: text_of(row, "NOMBRE").unwrap_or_default(),
        supervisor,
        state,
        transfer: free,
        invite: free,
        monitor: logged_in,
    })
}

/// A row of a `{"Table":[…]}` list as a choice (the simulator's default columns).
fn choice(kind: ListKind, row: &Map<String, Value>) -> Option<Choice> {
    match kind {
        ListKind::Breaks | ListKind::Campaigns | ListKind::Queues | ListKind::Users => {
            Some(Choice {
                id: int_of(row, "ID")?,
                name: text_of(row, "NOMBRE")?,
                group: None,
                schedules: false,
            })
        }
        ListKind::Categories => Some(Choice {
            id: int_of(row, "IDSUBCATEGORIA")?,
            name: text_of(row, "SUBCATEGORIA")?,
            group: text_of(row, "CATEGORIA"),
            schedules: row.get("AGENDA").and_then(Value::as_bool).unwrap_or(false),
        }),
        ListKind::TransferPhones => Some(Choice {
            id: int_of(row, "INDICE")?,
            name: format!(
                "{} ({})",
                text_of(row, "NOMBRE")?,
                text_of(row, "TELEFONO")?
            ),
            group: text_of(row, "TELEFONO"),
            schedules: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"Table":[
        {"USUARIO":"1001","NOMBRE":"Ana","SUPERVISOR":0,"ESTADO":"Conectado"},
        {"USUARIO":"1002","NOMBRE":"Luis","SUPERVISOR":1,"ESTADO":"EnLlamada"}]}"#;

    /// Thousands of sessions reading one answer keep one list, each without its own user.
    #[test]
    fn sessions_with_the_same_answer_share_one_list() {
        let first = shared_users(ANSWER).unwrap();
        let again = shared_users(ANSWER).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let ana = Users::without(first.clone(), "1001");
        let luis = Users::without(again, "1002");
        assert!(ana.shares_list_with(&luis));
        let names = |u: &Users| u.iter().map(|c| c.user.clone()).collect::<Vec<_>>();
        assert_eq!(names(&ana), ["1002"]);
        assert_eq!(names(&luis), ["1001"]);
        assert!(luis.own().is_some_and(|u| u.supervisor));
        assert_eq!(serde_json::to_value(&ana).unwrap()[0]["user"], "1002");

        // Another answer (a state changed) is another list; the same users are equal.
        let changed = ANSWER.replace("EnLlamada", "Conectado");
        let other = shared_users(&changed).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert_ne!(ana, Users::without(other, "1001"));
        let copy: Arc<[AgentChoice]> = first.iter().cloned().collect();
        assert_eq!(ana, Users::without(copy, "1001"));
    }

    /// A list no session holds any more is not kept.
    #[test]
    fn a_list_nobody_holds_is_decoded_again() {
        let answer = ANSWER.replace("Ana", "Ana María");
        let weak = Arc::downgrade(&shared_users(&answer).unwrap());
        assert!(weak.upgrade().is_none());
        assert_eq!(shared_users(&answer).unwrap().len(), 2);
    }

    /// A malformed answer is an error naming why, not a list.
    #[test]
    fn a_malformed_answer_is_an_error() {
        assert!(shared_users("{\"Table\":").is_err());
    }
}
