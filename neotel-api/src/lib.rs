//! Client for Neotel's NeoApi web service.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
