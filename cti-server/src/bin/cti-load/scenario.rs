//! The simulator's scenario grown to N agents, with contacts enough for the whole run.

use serde_json::{Value, json};

use crate::agent::post;

/// Contacts added to the campaign's base per agent (each call closes one).
const CONTACTS_PER_AGENT: usize = 40;

/// The simulator's agents, grown to `n` by copying the first one (user = password, device
/// `SIP/{user}`), loaded with `POST /sim/scenario`.
pub(crate) async fn grow(
    http: &reqwest::Client,
    sim: &str,
    n: usize,
    campaign: i64,
) -> Result<Vec<String>, String> {
    let mut scenario: Value =
        serde_json::from_str(neotel_sim::DEFAULT_SCENARIO_JSON).map_err(|e| e.to_string())?;
    let users = scenario["users"]
        .as_array()
        .ok_or("the scenario has no `users` list")?;
    let template = users.first().cloned().ok_or("the scenario has no user")?;
    let mut names: Vec<String> = users
        .iter()
        .filter(|u| u["supervisor"] != json!(true))
        .filter_map(|u| u["user"].as_str().map(str::to_owned))
        .collect();
    let mut added = Vec::new();
    let mut next = 2001;
    while names.len() < n {
        let name = next.to_string();
        let mut user = template.clone();
        user["user"] = json!(name);
        user["password"] = json!(name);
        user["name"] = json!(format!("Agente {name}"));
        added.push(user);
        names.push(name);
        next += 1;
    }
    for user in added {
        let name = user["user"].as_str().unwrap_or_default().to_owned();
        if let Some(list) = scenario["users"].as_array_mut() {
            list.push(user);
        }
        if let Some(list) = scenario["devices"].as_array_mut() {
            list.push(json!(format!("SIP/{name}")));
        }
    }
    // Enough contacts in the campaign's base that the dialer never runs dry: an UpdateContact
    // closes the contact it categorizes.
    let base = scenario["campaigns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == json!(campaign)))
        .and_then(|c| c["base"].as_i64())
        .ok_or(format!("the scenario has no campaign {campaign}"))?;
    if let Some(contacts) = scenario["contacts"].as_array_mut() {
        let first = contacts
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .max()
            .unwrap_or(0)
            + 1;
        for i in 0..n * CONTACTS_PER_AGENT {
            let id = first + i64::try_from(i).unwrap_or(i64::MAX - first);
            contacts.push(json!({
                "base": base,
                "id": id,
                "clave_1": format!("LOAD{id:08}"),
                "name": format!("Cliente {id}"),
                "phones": [format!("11{:08}", id % 100_000_000)],
            }));
        }
    }
    if let Some(settings) = scenario["settings"].as_object_mut() {
        // The journal is for tests; keep the simulator's memory out of the server's figures.
        settings.insert("journal_limit".into(), json!(2000));
        // Every agent holds an API license.
        settings.insert("licenses".into(), json!(n + 10));
    }
    names.truncate(n);
    post(http, &format!("{sim}/sim/scenario"), scenario).await?;
    Ok(names)
}
