//! Agent sessions: the machine seam and its factory, the registry, login, and the one task per
//! agent that drives its machine.
//!
//! Layers inside: `machine` (the seam), `registry`, `leases` (what this instance holds) and
//! `budget` (the NeoApi budget the polls share) below `hub` (the shared services), below
//! `driver` (the task), below `resume` (a machine from a snapshot), below `takeover` (sessions
//! taken from the store), below `login`; `core` adapts cti-core to the seam.

mod budget;
#[cfg(test)]
mod budget_tests;
mod core;
mod driver;
mod hub;
mod leases;
mod login;
mod machine;
mod registry;
mod resume;
#[cfg(test)]
pub(crate) mod scripted;
mod takeover;
#[cfg(test)]
mod tests;

pub(crate) use self::core::factory as core_machines;
pub(crate) use hub::Sessions;
pub(crate) use login::login;
pub(crate) use machine::MachineFactory;
pub(crate) use registry::{Attachment, SessionHandle, ToSession, next_connection_id};
pub(crate) use takeover::{TokenError, by_token, keep as keep_leases, resume};
