//! Reports: render a snapshot, or the findings of an audit, for people and
//! programs. Reporters only read; they never collect.
//!
//! `show` renders a snapshot: [`table`], [`json`], [`yaml`]. An audit
//! renders as [`audit_table`] (a person at a terminal), [`audit_json`] (the log
//! pipeline), [`junit`] (CI test reporters), [`nagios`] (a plugin's output)
//! or [`prometheus`] (node_exporter's textfile collector); each is a pure
//! function of an [`Audit`](crate::finding::Audit). A diff renders as
//! [`diff_table`] or [`diff_json`]. `hostlint watch` prints its
//! transitions as [`watch_json`] lines. [`output`] writes any of them to a
//! file atomically. Every table is laid out to a width by [`layout`].

pub mod audit_json;
pub mod audit_table;
pub mod catalog;
pub mod diff_json;
pub mod diff_table;
mod infiniband;
pub mod json;
pub mod junit;
pub mod layout;
mod lldp;
pub mod nagios;
pub mod output;
pub mod prometheus;
mod storage;
pub mod table;
pub mod watch_json;
pub mod yaml;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::finding::{Finding, Status};

/// How many findings have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub unknown: usize,
}

impl Counts {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.status {
                Status::Pass => c.pass += 1,
                Status::Warn => c.warn += 1,
                Status::Fail => c.fail += 1,
                Status::Unknown => c.unknown += 1,
            }
        }
        c
    }

    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::Pass => self.pass,
            Status::Warn => self.warn,
            Status::Fail => self.fail,
            Status::Unknown => self.unknown,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.warn + self.fail + self.unknown
    }
}

/// Every status, in the order of their numeric values in the machine
/// formats (0 pass, 1 warn, 2 fail, 3 unknown: the Nagios codes).
pub const STATUSES: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Unknown];

/// The Nagios code of a status: what the verdict would be if this finding
/// were the only one.
pub fn status_code(s: Status) -> u8 {
    match s {
        Status::Pass => 0,
        Status::Warn => 1,
        Status::Fail => 2,
        Status::Unknown => 3,
    }
}

/// The worse of two statuses by the verdict's order: fail, warn, unknown,
/// pass (`Status::rank`).
pub fn worse(a: Status, b: Status) -> Status {
    if b.rank() < a.rank() { b } else { a }
}

/// How many checks produced findings. A check is its id within its policy:
/// the audit holds findings, not the checks that produced none.
pub fn checks(findings: &[Finding]) -> usize {
    findings
        .iter()
        .map(|f| (f.policy.as_str(), f.check.as_str()))
        .collect::<BTreeSet<_>>()
        .len()
}

/// `expected X, observed Y`, leaving out a side that is empty: the one
/// line that says what is wrong with a finding.
pub fn expected_observed(f: &Finding) -> String {
    match (f.expected.is_empty(), f.observed.is_empty()) {
        (false, false) => format!("expected {}, observed {}", f.expected, f.observed),
        (false, true) => format!("expected {}", f.expected),
        (true, false) => format!("observed {}", f.observed),
        (true, true) => String::new(),
    }
}

/// The text with every control character that `keep` refuses written as
/// `\u{1b}`. Subjects, evidence and observed values come from the host (an
/// interface name may hold an ESC byte): raw, they could drive a terminal,
/// break a one-line format or make an XML document ill-formed.
pub fn escape_controls(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() || c == '\u{fffe}' || c == '\u{ffff}') && !keep(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(escape_controls("eth0", |_| false), "eth0");
        assert_eq!(
            escape_controls("a\u{1b}[31mb\né\u{9b}", |c| c == '\n'),
            "a\\u{1b}[31mb\né\\u{9b}"
        );
        assert_eq!(escape_controls("\u{ffff}", |_| false), "\\u{ffff}");
    }

    #[test]
    fn the_worse_status_follows_the_verdict() {
        use Status::*;
        assert_eq!(worse(Pass, Unknown), Unknown);
        assert_eq!(worse(Unknown, Warn), Warn);
        assert_eq!(worse(Fail, Warn), Fail);
        assert_eq!(worse(Pass, Pass), Pass);
    }
}
