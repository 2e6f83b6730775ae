//! One agent's connector session as a sans-IO state machine.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
