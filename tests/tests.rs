//! The integration tests: one binary, a module per area.

mod audit;
mod bounds;
mod diff;
mod live;
mod lldp;
mod manual;
#[path = "shared/mutation.rs"]
mod mutation;
mod oracle;
mod policy;
mod realdata;
mod realdata_storage;
mod report;
mod robustness;
mod scale;
mod scenarios;
mod schedule;
mod scope;
mod shipped;
mod show;
mod storage;
mod unreadable;
mod util;
mod verdict;
mod watch;
mod width;
