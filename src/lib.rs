//! hostlint: audit a Linux host's network hardware and paths.
//!
//! Data flows one way: [`source`] (where facts live) → [`collect`] →
//! [`snapshot::Snapshot`] → checks → [`finding::Finding`]s → [`report`].
//! Two snapshots → [`diff`] → changes → [`report`]. [`watch`] runs audits
//! when the kernel reports a change. [`manual`] turns the command line's
//! definition into man pages and shell completions.

pub mod audit;
pub mod capture;
pub mod check;
pub mod collect;
pub mod diff;
pub mod finding;
pub mod manual;
pub mod policy;
pub mod report;
pub mod snapshot;
pub mod source;
pub mod state;
pub mod watch;
