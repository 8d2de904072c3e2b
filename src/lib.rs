//! hostlint: audit a Linux host's network hardware and paths.
//!
//! Data flows one way: [`source`] (where facts live) → [`collect`] →
//! [`snapshot::Snapshot`] → [`report`].

pub mod capture;
pub mod collect;
pub mod report;
pub mod snapshot;
pub mod source;
