//! Salesforce call center definition and Salesforce-side rules.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
