//! Findings: what an audit concluded, check by check and subject by
//! subject. Checks produce them; reporters read them and nothing else.

use std::collections::BTreeMap;

use serde::Serialize;

/// How bad a failing check is, as its policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The result for one subject. A failing check of `warning` severity is
/// `Warn`, of `critical` severity `Fail`. A fact that could not be read is
/// `Unknown`, never `Pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Orders findings for people: what needs action first.
    pub fn rank(self) -> u8 {
        match self {
            Status::Fail => 0,
            Status::Warn => 1,
            Status::Unknown => 2,
            Status::Pass => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check's id in its policy.
    pub check: String,
    /// The check kind: `link`, `route`, `bond`, `kernel`, ...
    pub kind: &'static str,
    pub severity: Severity,
    pub status: Status,
    /// What the finding is about: `eth2`, `bond0`, `0.0.0.0/0`, `host`.
    pub subject: String,
    pub expected: String,
    pub observed: String,
    /// Where the observed facts came from: files, netlink objects, fixture
    /// paths.
    pub evidence: Vec<String>,
    /// Where in `observed` the facts are that made the finding fail (or,
    /// for an unknown one, that could not be read): byte ranges on
    /// character boundaries, in order, for a reporter to highlight. Empty
    /// for a pass.
    #[serde(skip)]
    pub failing: Vec<Span>,
    /// What an operator can do about it; empty for a pass.
    pub remediation: String,
    /// The policy file the check came from; [`OWN_FINDINGS`] for what
    /// hostlint says of its own run.
    pub policy: String,
}

/// The `policy` of a finding about hostlint's own run (a state file it
/// rebuilt), not about the host.
pub const OWN_FINDINGS: &str = "(hostlint)";
/// Where a fact is in a finding's `observed` text: a byte range on
/// character boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// All of the text.
    pub fn whole(text: &str) -> Span {
        Span {
            start: 0,
            end: text.len(),
        }
    }
}

/// The exit status of a run, by the Nagios plugin convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Verdict {
    /// The worst of the findings: a critical failure outranks a warning,
    /// which outranks a fact that could not be read; nothing but passes
    /// is OK. An audit without findings says nothing, which is not OK.
    pub fn of(findings: &[Finding]) -> Verdict {
        if findings.is_empty() {
            return Verdict::Unknown;
        }
        let has = |s: Status| findings.iter().any(|f| f.status == s);
        if has(Status::Fail) {
            Verdict::Critical
        } else if has(Status::Warn) {
            Verdict::Warning
        } else if has(Status::Unknown) {
            Verdict::Unknown
        } else {
            Verdict::Ok
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Warning => "WARNING",
            Verdict::Critical => "CRITICAL",
            Verdict::Unknown => "UNKNOWN",
        }
    }
}

/// Why an audit's verdict is what it is. Every report names it, so that an
/// UNKNOWN says whether a fact could not be read, the policies did not fit
/// the host, or the run did not audit at all; `docs/policy.md` has the
/// table of causes and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Every finding passed.
    AllPass,
    /// A check of `warning` severity failed, none of `critical`.
    WarningFailed,
    /// A check of `critical` severity failed.
    CriticalFailed,
    /// Nothing failed, and a fact a check needs could not be read.
    FactUnknown,
    /// Nothing failed or was unknown, but the deadline abandoned reads:
    /// the audit did not read everything it meant to.
    DeadlineExceeded,
    /// None of the policies is for this host (`applies_to`): nothing was
    /// checked.
    NoPolicyApplies,
    /// The policies that apply produced no finding.
    NothingChecked,
    /// A policy is invalid: nothing was audited.
    InvalidPolicy,
    /// The host could not be read (a fixture that cannot be opened, or
    /// a root that holds nothing hostlint reads): nothing was audited.
    UnreadableRoot,
    /// Another audit holds the state file's lock: this run did nothing
    /// and left the previous report alone.
    LockHeld,
    /// The state file's lock could not be taken: nothing was audited.
    LockFailed,
}

impl Cause {
    /// Every cause, in the order of the table in `docs/policy.md`.
    pub const ALL: &'static [Cause] = &[
        Cause::AllPass,
        Cause::WarningFailed,
        Cause::CriticalFailed,
        Cause::FactUnknown,
        Cause::DeadlineExceeded,
        Cause::NoPolicyApplies,
        Cause::NothingChecked,
        Cause::InvalidPolicy,
        Cause::UnreadableRoot,
        Cause::LockHeld,
        Cause::LockFailed,
    ];

    pub fn verdict(self) -> Verdict {
        match self {
            Cause::AllPass => Verdict::Ok,
            Cause::WarningFailed => Verdict::Warning,
            Cause::CriticalFailed => Verdict::Critical,
            _ => Verdict::Unknown,
        }
    }

    /// The stable name programs read (JSON `cause`, the Prometheus label).
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::AllPass => "all_pass",
            Cause::WarningFailed => "warning_failed",
            Cause::CriticalFailed => "critical_failed",
            Cause::FactUnknown => "fact_unknown",
            Cause::DeadlineExceeded => "deadline_exceeded",
            Cause::NoPolicyApplies => "no_policy_applies",
            Cause::NothingChecked => "nothing_checked",
            Cause::InvalidPolicy => "invalid_policy",
            Cause::UnreadableRoot => "unreadable_root",
            Cause::LockHeld => "lock_held",
            Cause::LockFailed => "lock_failed",
        }
    }

    /// What it means, for the summary line of every report.
    pub fn describe(self) -> &'static str {
        match self {
            Cause::AllPass => "every finding passes",
            Cause::WarningFailed => "a warning check failed",
            Cause::CriticalFailed => "a critical check failed",
            Cause::FactUnknown => "a fact a check needs could not be read",
            Cause::DeadlineExceeded => "the deadline abandoned reads: not every fact was read",
            Cause::NoPolicyApplies => "no policy applies to this host: nothing was checked",
            Cause::NothingChecked => "the policies that apply checked nothing",
            Cause::InvalidPolicy => "invalid policy: nothing was audited",
            Cause::UnreadableRoot => "the host could not be read: nothing was audited",
            Cause::LockHeld => "another audit is running: this run did nothing",
            Cause::LockFailed => "the state file's lock could not be taken: nothing was audited",
        }
    }

    /// Whether the run stopped before auditing anything.
    pub fn refused(self) -> bool {
        matches!(
            self,
            Cause::InvalidPolicy | Cause::UnreadableRoot | Cause::LockHeld | Cause::LockFailed
        )
    }
}

/// Why a run audited nothing: the cause, and what an operator needs to
/// act on it (the first policy error, the root and its error, the lock).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub cause: Cause,
    pub detail: String,
}

/// Whether a policy is for the audited host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    Yes,
    No,
    /// A fact its `applies_to` needs could not be read: its checks are
    /// UNKNOWN.
    Unknown,
}

impl Applies {
    pub fn as_str(self) -> &'static str {
        match self {
            Applies::Yes => "yes",
            Applies::No => "no",
            Applies::Unknown => "unknown",
        }
    }
}

/// A policy of the audit. Its file is its identity in every report: the
/// findings name it, JUnit has a suite for it, Prometheus a `policy` label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyRef {
    /// The file, as given on the command line or as an include names it.
    pub file: String,
    /// Its `policy:` name; `None` when the run did not get to read it.
    pub name: Option<String>,
    /// `None` when the run did not get to decide it.
    pub applies: Option<Applies>,
}

impl PolicyRef {
    /// `lb-node (policies/lb-node.yaml)`, or the file alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.file),
            None => self.file.clone(),
        }
    }
}

/// Everything a reporter needs: the findings and the run they came from.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The host audited, as it names itself (or the fixture's name for it).
    pub host: String,
    /// `live`, or the fixture directory.
    pub source: String,
    pub policies: Vec<PolicyRef>,
    pub findings: Vec<Finding>,
    /// Problems of the run itself that are not tied to a check (a part of
    /// the host that could not be read at all).
    pub notes: Vec<String>,
    pub run: Run,
    /// Set when the run stopped before auditing.
    pub refused: Option<Refusal>,
}

/// How the run went, for schedulers and for alerts on the auditor itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Run {
    /// When the run ended, in seconds since the Unix epoch.
    pub finished_unix: f64,
    pub duration_seconds: f64,
    pub deadline_seconds: Option<f64>,
    /// Some read did not finish before its limit or the deadline.
    pub deadline_exceeded: bool,
    /// Set by `hostlint watch`: what led to this audit, and the agent's
    /// counters since it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<Agent>,
}

/// The agent's side of an audit it ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Agent {
    /// When the agent started, in seconds since the Unix epoch.
    pub started_unix: f64,
    /// This audit's number since the start (the first is 1).
    pub audit: u64,
    /// Why it ran: `start`, `event`, `overrun`, `interval`, `reload` or
    /// `replay`.
    pub reason: &'static str,
    /// The events it answered.
    pub answered: EventSummary,
    /// Events since the start by kind, every kind present.
    pub events: BTreeMap<&'static str, u64>,
    /// Changes no fact depends on (a neighbour refresh, a USB device),
    /// counted and not re-audited.
    pub routine_events: u64,
    /// Audits since the start by reason, every reason present.
    pub audits: BTreeMap<&'static str, u64>,
    /// Audits that answered a burst: more than one event.
    pub coalesced_bursts: u64,
    /// Overflowed event sockets (ENOBUFS) by subscription, each answered
    /// by a full re-read.
    pub overruns: BTreeMap<&'static str, u64>,
    /// Findings whose status changed, since the start.
    pub transitions: u64,
    /// Policy reloads (SIGHUP) that succeeded, and those that failed.
    pub reloads: u64,
    pub failed_reloads: u64,
    /// While the last reload failed: why. The policies loaded before it
    /// are still the ones audited.
    pub reload_error: Option<String>,
    /// Each subscription and whether it is open.
    pub subscribed: BTreeMap<&'static str, bool>,
}

/// What happened between two audits, kept bounded however much happens:
/// counts by kind and the last few changes, never a queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventSummary {
    pub total: u64,
    /// By kind; only kinds that occurred.
    pub counts: BTreeMap<&'static str, u64>,
    /// The first change, most often the cause of the rest (`uplink0
    /// down`, before the routes and neighbours it took away).
    pub first: Option<String>,
    /// The last few changes, oldest first (`uplink0 down`,
    /// `0.0.0.0/0 table main removed`).
    pub last: Vec<String>,
    /// An event socket overflowed: the kernel dropped events, so the audit
    /// re-read everything rather than trust that nothing else changed.
    pub overrun: bool,
    /// When the first of them arrived, in seconds since the Unix epoch.
    pub first_unix: Option<f64>,
}

impl Audit {
    /// Why the verdict is what it is: a refusal, else the findings, else
    /// whether any policy applied; a run that passed everything it read
    /// but abandoned reads at the deadline is not OK.
    pub fn cause(&self) -> Cause {
        if let Some(r) = &self.refused {
            return r.cause;
        }
        // hostlint's word on its own run checks nothing of the host.
        if self.findings.iter().all(|f| f.policy == OWN_FINDINGS) {
            let applied = self
                .policies
                .iter()
                .any(|p| p.applies == Some(Applies::Yes));
            return if applied {
                Cause::NothingChecked
            } else {
                Cause::NoPolicyApplies
            };
        }
        match Verdict::of(&self.findings) {
            Verdict::Critical => Cause::CriticalFailed,
            Verdict::Warning => Cause::WarningFailed,
            Verdict::Unknown => Cause::FactUnknown,
            Verdict::Ok if self.run.deadline_exceeded => Cause::DeadlineExceeded,
            Verdict::Ok => Cause::AllPass,
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.cause().verdict()
    }

    /// The cause in words, with the refusal's detail: `invalid policy:
    /// nothing was audited: lb.yaml:3:5: unknown key ...`.
    pub fn summary(&self) -> String {
        let cause = self.cause().describe();
        match &self.refused {
            Some(r) if !r.detail.is_empty() => format!("{cause}: {}", r.detail),
            _ => cause.to_owned(),
        }
    }

    /// Findings for people: failures first, then by check and subject.
    pub fn sorted_findings(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.iter().collect();
        v.sort_by(|a, b| {
            (a.status.rank(), &a.check, &a.subject).cmp(&(b.status.rank(), &b.check, &b.subject))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(status: Status) -> Finding {
        Finding {
            check: "c".into(),
            kind: "link",
            severity: Severity::Critical,
            status,
            subject: "eth0".into(),
            expected: String::new(),
            observed: String::new(),
            evidence: vec![],
            failing: vec![],
            remediation: String::new(),
            policy: "p.yaml".into(),
        }
    }

    #[test]
    fn the_worst_finding_decides_the_exit_code() {
        use Status::*;
        assert_eq!(Verdict::of(&[finding(Pass)]), Verdict::Ok);
        assert_eq!(
            Verdict::of(&[finding(Pass), finding(Unknown)]),
            Verdict::Unknown
        );
        assert_eq!(
            Verdict::of(&[finding(Unknown), finding(Warn)]),
            Verdict::Warning
        );
        assert_eq!(
            Verdict::of(&[finding(Warn), finding(Fail), finding(Unknown)]),
            Verdict::Critical
        );
        assert_eq!(Verdict::of(&[]), Verdict::Unknown);
        assert_eq!(Verdict::Critical.code(), 2);
    }
}
