//! Findings: what an audit concluded, check by check and subject by
//! subject. Checks produce them; reporters read them and nothing else.

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
    /// What an operator can do about it; empty for a pass.
    pub remediation: String,
    /// The policy file the check came from.
    pub policy: String,
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

/// Everything a reporter needs: the findings and the run they came from.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The host audited, as it names itself (or the fixture's name for it).
    pub host: String,
    /// `live`, or the fixture directory.
    pub source: String,
    pub policies: Vec<String>,
    pub findings: Vec<Finding>,
    /// Problems of the run itself that are not tied to a check (a part of
    /// the host that could not be read at all).
    pub notes: Vec<String>,
    pub run: Run,
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
    /// Another audit held the state file's lock, so this one did nothing.
    pub overlapped: bool,
}

impl Audit {
    pub fn verdict(&self) -> Verdict {
        Verdict::of(&self.findings)
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
