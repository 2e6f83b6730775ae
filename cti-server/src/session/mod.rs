//! Agent sessions: the machine seam and its factory, the registry, login, and the one task per
//! agent that drives its machine.
//!
//! Layers inside: `machine` (the seam) and `registry` below `hub` (the shared services), below
//! `driver` (the task), below `login`; `core` adapts cti-core to the seam.

mod core;
mod driver;
mod hub;
mod login;
mod machine;
mod registry;
mod resume;
#[cfg(test)]
pub(crate) mod scripted;
#[cfg(test)]
mod tests;

pub(crate) use self::core::factory as core_machines;
pub(crate) use hub::Sessions;
pub(crate) use login::login;
pub(crate) use machine::MachineFactory;
pub(crate) use registry::{Attachment, SessionHandle, ToSession, next_connection_id};
pub(crate) use resume::resume;
