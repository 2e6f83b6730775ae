//! A stored session's machine, from its snapshot (a restart, a takeover). A snapshot this build
//! cannot read is kept for an operator and the session starts afresh.

use super::hub::Sessions;
use super::machine::{Core, MachineStart};
use crate::clock;
use crate::store::SessionRow;

/// The row's machine from its snapshot. A snapshot this build cannot read (another version)
/// is kept beside the store for an operator, and the session starts afresh: the agent stays
/// logged in, and what it held is named in the log.
pub(crate) fn machine(sessions: &Sessions, row: &SessionRow) -> Option<Box<dyn Core>> {
    let start = |snapshot| {
        (sessions.machines)(MachineStart {
            config: &sessions.config,
            callcenter: &sessions.callcenter,
            user: &row.agent,
            device: &row.device,
            settings: sessions.registry.settings(&row.agent),
            now: clock::now(),
            wall: clock::wall(),
            snapshot,
            records: sessions.records(),
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
