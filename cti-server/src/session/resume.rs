//! At start, the sessions the store kept (the server stopped or died) come back: their tokens
//! (by hash), the agents' panel settings, and each session from its snapshot. The agents stay
//! logged in to Neotel meanwhile; each resumed session reads `Position` again, reconciles, and
//! sends the writes Neotel has not accepted. Their pages reattach with their tokens.

use std::sync::Arc;
use std::time::Duration;

use super::driver;
use super::hub::Sessions;
use super::machine::{Core, MachineStart};
use crate::clock;
use crate::store::{SessionRow, StoreError};

/// Resumes every stored session; how many.
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn resume(sessions: &Arc<Sessions>) -> Result<usize, StoreError> {
    let Some(store) = &sessions.store else {
        return Ok(0);
    };
    for (agent, settings) in store.settings().await? {
        if let Ok(settings) = serde_json::from_str(&settings) {
            sessions.registry.keep_settings(&agent, &settings);
        }
    }
    let now_unix = clock::wall().timestamp();
    let now = clock::now();
    for t in store.tokens(now_unix).await? {
        let left = u64::try_from(t.expires_at - now_unix).unwrap_or_default();
        sessions
            .tokens
            .restore(&t.hash, &t.agent, now + Duration::from_secs(left));
    }
    let rows = store.sessions().await?;
    let mut resumed = 0;
    for row in &rows {
        let Some(core) = machine(sessions, row) else {
            continue;
        };
        let handle = driver::spawn(
            sessions,
            driver::Start {
                user: &row.agent,
                device: &row.device,
                verifier: &row.verifier,
                core,
                now: clock::now(),
            },
        );
        sessions.registry.resume(handle);
        resumed += 1;
    }
    if resumed > 0 {
        tracing::info!(resumed, "sessions resumed from the store");
    }
    Ok(resumed)
}

/// The row's machine from its snapshot. A snapshot this build cannot read (another version)
/// is kept beside the store for an operator, and the session starts afresh: the agent stays
/// logged in, and what it held is named in the log.
fn machine(sessions: &Sessions, row: &SessionRow) -> Option<Box<dyn Core>> {
    let start = |snapshot| {
        (sessions.machines)(MachineStart {
            config: &sessions.config,
            callcenter: &sessions.callcenter,
            user: &row.agent,
            settings: sessions.registry.settings(&row.agent),
            now: clock::now(),
            wall: clock::wall(),
            snapshot,
        })
    };
    let snapshot = Some(row.snapshot.as_str()).filter(|s| *s != "null");
    match start(snapshot) {
        Ok(core) => Some(core),
        Err(why) => {
            let kept = keep_unreadable(sessions, row);
            tracing::error!(
                agent = %row.agent,
                pending_writes = row.pending_writes,
                %why,
                kept = %kept,
                "a stored session cannot be resumed: starting it afresh"
            );
            start(None)
                .map_err(
                    |why| tracing::error!(agent = %row.agent, %why, "cannot start the session"),
                )
                .ok()
        }
    }
}

/// Writes the row's snapshot to `data_dir/unreadable/`; where (or why not).
fn keep_unreadable(sessions: &Sessions, row: &SessionRow) -> String {
    let dir = sessions.config.data_dir.join("unreadable");
    let file = dir.join(format!("{}-{}.json", row.agent, clock::wall().timestamp()));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, &row.snapshot)) {
        Ok(()) => file.display().to_string(),
        Err(e) => format!("not kept: {e}"),
    }
}
