//! Per-install tasks (`ExecuteTaskNN`): lists, supervisor monitoring, text messages
//! and the contact search, each bound to the id the scenario gives it.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Fault, Params, Platform, Reply, fault, unknown_method};

/// A text message sent through the per-install task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Sender.
    pub user: String,
    /// Destination.
    pub phone: String,
    /// `sms` or `whatsapp`.
    pub channel: String,
    /// Body.
    pub text: String,
    /// Platform time.
    pub at: NaiveDateTime,
}

impl Platform {
    pub(super) fn execute_task(
        &mut self,
        method: &str,
        n: &str,
        p: &Params<'_>,
    ) -> Result<Reply, Fault> {
        // Only ExecuteTask00 … ExecuteTask20 exist.
        let count = match n.parse::<usize>() {
            Ok(count) if count <= 20 && n.len() == 2 => count,
            _ => return unknown_method(method),
        };
        // NN is the number of paramN: a paramK beyond it means the wrong method was called.
        if let Some(k) = p.0.iter().find_map(|(name, _)| {
            let lower = name.to_ascii_lowercase();
            let k: usize = lower.strip_prefix("param")?.parse().ok()?;
            (k == 0 || k > count).then_some(k)
        }) {
            return fault(format!(
                "{method} takes {count} parameters (param1..param{count}), not param{k}."
            ));
        }
        let task = p.int("idTask")?;
        let args: Vec<String> = (1..=count).map(|i| p.text(&format!("param{i}"))).collect();
        let tasks = self.scenario.tasks;
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
        let needs = |k: usize| -> Result<(), Fault> {
            if count < k {
                fault(format!(
                    "Task {task} needs {k} parameters, ExecuteTask{n} gives {count}"
                ))
            } else {
                Ok(())
            }
        };
        let text = if task == tasks.lists {
            needs(1)?;
            self.list(arg(0), arg(1))?
        } else if task == tasks.monitor_start {
            needs(3)?;
            self.monitor_start(arg(0), arg(1), arg(2))?
        } else if task == tasks.monitor_stop {
            needs(1)?;
            let sup = self.agent_named_mut(arg(0))?;
            match sup.monitoring.take() {
                Some(t) => format!("OK: fin del monitoreo de {t}"),
                None => return fault(format!("User {} is not monitoring", arg(0))),
            }
        } else if task == tasks.send_text {
            needs(4)?;
            self.send_text(arg(0), arg(1), arg(2), arg(3))?
        } else if task == tasks.find_contact {
            needs(2)?;
            let crm: i64 = arg(0)
                .parse()
                .or_else(|_| fault(format!("Cannot convert {} to System.Int32.", arg(0))))?;
            let bases: Vec<i64> = self.crm_bases(crm);
            let rows: Vec<Value> = self
                .contacts
                .values()
                .filter(|c| bases.contains(&c.base) && c.clave_1 == arg(1))
                .map(|c| json!({"BASE": c.base, "IDCONTACTO": c.id, "DATA": c.clave_1}))
                .collect();
            json!({ "Table": rows }).to_string()
        } else if task == tasks.contact_outcome {
            needs(2)?;
            let int = |v: &str| {
                v.parse::<i64>()
                    .or_else(|_| fault(format!("Cannot convert {v} to System.Int32.")))
            };
            let (base, id) = (int(arg(0))?, int(arg(1))?);
            let date = |d: NaiveDateTime| d.format("%Y-%m-%dT%H:%M:%S").to_string();
            let rows: Vec<Value> = self
                .outcomes
                .iter()
                .rev()
                .find(|o| o.base == base && o.contact_id == id && !o.closed)
                .map(|o| {
                    json!({"IDSUBCATEGORIA": o.subcategory_id, "XML_UPDATE": o.notes,
                        "AGENDA": o.schedule.is_some(), "FECHA_AGENDA": o.schedule.map(date),
                        "FECHA": date(o.at)})
                })
                .into_iter()
                .collect();
            json!({ "Table": rows }).to_string()
        } else {
            return fault(format!("Task {task} not found"));
        };
        Ok(Reply::String(text))
    }

    pub(super) fn list(&self, name: &str, id: &str) -> Result<String, Fault> {
        let s = &self.scenario;
        let rows: Vec<Value> = match name {
            "breaks" => s.breaks.iter().map(|b| json!({"ID": b.id, "NOMBRE": b.name})).collect(),
            "campaigns" => s
                .campaigns
                .iter()
                .map(|c| json!({"ID": c.id, "NOMBRE": c.name, "DISCADOR": c.dialer.as_str(), "CRM": c.crm, "BASE": c.base}))
                .collect(),
            "queues" => s.queues.iter().map(|q| json!({"ID": q.id, "NOMBRE": q.name})).collect(),
            "users" => s
                .users
                .iter()
                .map(|u| {
                    let state = match self.agents.get(&u.user) {
                        None => "Desconectado",
                        Some(a) if a.call.is_some() => "EnLlamada",
                        Some(a) if a.break_subtype != 0 => "Descanso",
                        Some(_) => "Conectado",
                    };
                    json!({"USUARIO": u.user, "NOMBRE": u.name, "SUPERVISOR": u.supervisor, "ESTADO": state})
                })
                .collect(),
            "transferPhones" => {
                let c: i64 = id.parse().or_else(|_| fault(format!("Cannot convert {id} to System.Int32.")))?;
                let campaign = self.campaign(c).map_or_else(|| fault(format!("Campaign {c} not found")), Ok)?;
                campaign
                    .transfer_phones
                    .iter()
                    .enumerate()
                    .map(|(i, t)| json!({"INDICE": i + 1, "TELEFONO": t.phone, "NOMBRE": t.label}))
                    .collect()
            }
            "categories" => {
                let crm: i64 = id.parse().or_else(|_| fault(format!("Cannot convert {id} to System.Int32.")))?;
                s.categories
                    .iter()
                    .filter(|c| c.crm == crm)
                    .flat_map(|c| {
                        c.subcategories.iter().map(move |sc| {
                            json!({"IDCATEGORIA": c.id, "CATEGORIA": c.name, "IDSUBCATEGORIA": sc.id, "SUBCATEGORIA": sc.name, "AGENDA": sc.schedules})
                        })
                    })
                    .collect()
            }
            other => return fault(format!("List {other} not found")),
        };
        Ok(json!({ "Table": rows }).to_string())
    }

    fn monitor_start(&mut self, supervisor: &str, user: &str, mode: &str) -> Result<String, Fault> {
        if !matches!(mode, "listen" | "assist") {
            return fault(format!("Monitoring mode {mode} not valid (listen, assist)"));
        }
        if !self
            .scenario
            .users
            .iter()
            .any(|u| u.user == supervisor && u.supervisor)
        {
            return fault(format!("User {supervisor} is not a supervisor"));
        }
        self.agent(user)?;
        let sup = self.agent_named_mut(supervisor)?;
        sup.monitoring = Some(format!("{user} ({mode})"));
        Ok(format!("OK: monitoreando a {user} ({mode})"))
    }

    fn send_text(
        &mut self,
        user: &str,
        phone: &str,
        channel: &str,
        text: &str,
    ) -> Result<String, Fault> {
        self.agent(user)?;
        if !matches!(channel, "sms" | "whatsapp") {
            return fault(format!("Channel {channel} not valid (sms, whatsapp)"));
        }
        if !phone.chars().any(|c| c.is_ascii_digit()) {
            return fault(format!("Invalid phone number {phone}"));
        }
        if text.trim().is_empty() {
            return fault("Empty message");
        }
        self.texts.push(TextMessage {
            user: user.into(),
            phone: phone.into(),
            channel: channel.into(),
            text: text.into(),
            at: self.now,
        });
        Ok(format!("OK: mensaje {} enviado", self.texts.len()))
    }

    /// Text messages sent.
    pub fn texts(&self) -> &[TextMessage] {
        &self.texts
    }
}
