//! At start, the sessions the store kept that nobody holds (this server stopped or died; on
//! PostgreSQL, another instance stopped, or died and its lease ran out) come back: their tokens
//! (by hash), the agents' panel settings, and each session from its snapshot. The agents stay
//! logged in to Neotel meanwhile; each resumed session reads `Position` again, reconciles, and
//! sends the writes Neotel has not accepted. Their pages reattach with their tokens. A SQLite
//! store is this server's alone (it is locked): every session in it comes back at once.

use std::sync::Arc;

use super::hub::Sessions;
use super::lease::adopt;
use super::machine::{Core, MachineStart};
use crate::clock;
use crate::store::{SessionRow, StoreError};

/// Resumes every stored session nobody holds; how many.
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn resume(sessions: &Arc<Sessions>) -> Result<usize, StoreError> {
    let Some(store) = &sessions.store else {
        return Ok(0);
    };
    store.purge(clock::wall().timestamp()).await?;
    let leases = &sessions.leases;
    let asked = clock::now();
    let claimed = store
        .claim_free(&leases.owner, leases.lease, i64::MAX, store.is_sole())
        .await?;
    let mut resumed = 0;
    for c in claimed {
        if adopt(sessions, c, asked).await.is_some() {
            resumed += 1;
        }
    }
    if resumed > 0 {
        tracing::info!(resumed, "sessions resumed from the store");
    }
    Ok(resumed)
}

/// The row's machine from its snapshot. A snapshot this build cannot read (another version)
/// is kept beside the store for an operator, and the session starts afresh: the agent stays
/// logged in, and what it held is named in the log.
pub(crate) fn machine(sessions: &Sessions, row: &SessionRow) -> Option<Box<dyn Core>> {
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
