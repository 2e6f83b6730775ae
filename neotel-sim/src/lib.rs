//! The Neotel platform simulated.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
