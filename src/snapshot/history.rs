//! What the previous run of a scheduled audit counted: the base for
//! increases and rates. Read from the state file (`--state`), not from the
//! host, so it is not part of the snapshot document.

use std::collections::BTreeMap;

use super::{Missing, Reason};

/// What the previous run left, as the checks see it.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Seconds of uptime between the previous run and this one.
    pub elapsed_seconds: f64,
    pub previous: BTreeMap<String, u64>,
}

impl History {
    /// How much `key` grew since the previous run: unknown when it was not
    /// counted then, or went back (reset).
    pub fn increase(&self, key: &str, now: u64) -> Result<u64, Missing> {
        match self.previous.get(key) {
            None => Err(Missing::new(
                Reason::NotCaptured,
                format!("{key} was not counted in the previous run"),
            )),
            Some(before) if now < *before => Err(Missing::new(
                Reason::Reset,
                format!("{key} went back from {before} to {now} (a driver reload or a wrap)"),
            )),
            Some(before) => Ok(now - before),
        }
    }
}
