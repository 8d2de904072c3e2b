//! The audit as a versioned JSON document for programs and log pipelines.
//!
//! `schema` names the version (`hostlint.audit/2`) and comes first. Fields
//! keep the order below whatever the order of `Finding`'s fields: the
//! document is declared here, so a change to the internal types cannot
//! reshape it silently. Findings keep the audit's order (policy, then
//! check, as evaluated), not the status order of the table: a finding that
//! changes status does not move in a diff between two runs. Values are
//! written as read: JSON escapes control characters itself, so nothing is
//! lost.
//!
//! A policy is known by its file everywhere: `policies[].file` is what
//! `findings[].policy` names. `cause` says why the verdict is what it is
//! (`fact_unknown`, `no_policy_applies`, `invalid_policy`, ...: the table
//! of `docs/policy.md`), `summary` the same in words.
//!
//! ```json
//! { "schema": "hostlint.audit/2", "host": "lb-01", "source": "live",
//!   "policies": [{ "file": "policies/lb.yaml", "name": "lb", "applies": "yes" }],
//!   "verdict": "CRITICAL", "exit_code": 2, "cause": "critical_failed",
//!   "summary": "a critical check failed",
//!   "counts": { "pass": 4, "warn": 1, "fail": 1, "unknown": 1 }, "checks": 3,
//!   "findings": [ { "check": "egress-via-10g", "kind": "route",
//!     "severity": "critical", "status": "FAIL", "subject": "0.0.0.0/0",
//!     "expected": "...", "observed": "...", "evidence": ["..."],
//!     "remediation": "...", "policy": "policies/lb.yaml" } ],
//!   "notes": [], "run": { ... } }
//! ```

use serde::Serialize;

use super::{Counts, checks};
use crate::finding::{Agent, Audit, Cause, Finding, PolicyRef};

pub const SCHEMA: &str = "hostlint.audit/2";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    host: &'a str,
    source: &'a str,
    policies: &'a [PolicyRef],
    verdict: &'static str,
    exit_code: u8,
    cause: &'static str,
    summary: String,
    counts: CountsView,
    checks: usize,
    findings: Vec<FindingView<'a>>,
    notes: &'a [String],
    run: RunView<'a>,
}

#[derive(Serialize)]
struct RunView<'a> {
    finished_unix: f64,
    duration_seconds: f64,
    deadline_seconds: Option<f64>,
    deadline_exceeded: bool,
    /// Another audit held the state file's lock, so this one did nothing.
    overlapped: bool,
    /// `hostlint watch`'s counters, in its reports only.
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a Agent>,
}

#[derive(Serialize)]
struct CountsView {
    pass: usize,
    warn: usize,
    fail: usize,
    unknown: usize,
}

#[derive(Serialize)]
struct FindingView<'a> {
    check: &'a str,
    kind: &'a str,
    severity: &'static str,
    status: &'static str,
    subject: &'a str,
    expected: &'a str,
    observed: &'a str,
    evidence: &'a [String],
    remediation: &'a str,
    policy: &'a str,
}

impl<'a> From<&'a Finding> for FindingView<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingView {
            check: &f.check,
            kind: f.kind,
            severity: f.severity.as_str(),
            status: f.status.as_str(),
            subject: &f.subject,
            expected: &f.expected,
            observed: &f.observed,
            evidence: &f.evidence,
            remediation: &f.remediation,
            policy: &f.policy,
        }
    }
}

/// The document, pretty-printed, with a final newline.
pub fn render(audit: &Audit) -> String {
    let cause = audit.cause();
    let verdict = cause.verdict();
    let c = Counts::of(&audit.findings);
    let run = &audit.run;
    let doc = Document {
        schema: SCHEMA,
        host: &audit.host,
        source: &audit.source,
        policies: &audit.policies,
        verdict: verdict.as_str(),
        exit_code: verdict.code(),
        cause: cause.as_str(),
        summary: audit.summary(),
        counts: CountsView {
            pass: c.pass,
            warn: c.warn,
            fail: c.fail,
            unknown: c.unknown,
        },
        checks: checks(&audit.findings),
        findings: audit.findings.iter().map(FindingView::from).collect(),
        notes: &audit.notes,
        run: RunView {
            finished_unix: run.finished_unix,
            duration_seconds: run.duration_seconds,
            deadline_seconds: run.deadline_seconds,
            deadline_exceeded: run.deadline_exceeded,
            overlapped: cause == Cause::LockHeld,
            agent: run.agent.as_ref(),
        },
    };
    // Serialising strings, string slices and integers into memory has no
    // way to fail: no map with non-string keys, no I/O.
    let mut text = serde_json::to_string_pretty(&doc).expect("the audit document serialises");
    text.push('\n');
    text
}
