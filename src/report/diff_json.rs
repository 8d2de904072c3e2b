//! A diff as a versioned JSON document for programs.
//!
//! `schema` names the version (`hostlint.diff/1`) and comes first. The
//! document is declared here, so a change to the internal types cannot
//! reshape it silently. A side of a change is `null` when the object does
//! not exist there, the value as text when known, and `{"unknown": REASON,
//! "detail": ...}` when it could not be read.
//!
//! ```json
//! { "schema": "hostlint.diff/1",
//!   "before": { "source": "lb-01-before.tar.gz", "hostname": "lb-01",
//!               "captured_at": "2026-11-25T07:44:12Z", "label": "before ticket 4711" },
//!   "after": { "source": "live", ... },
//!   "boot": "same", "boot_basis": "boot id ... on both sides",
//!   "destinations": ["default (0.0.0.0/0)", "default (::/0)"],
//!   "verdict": "CRITICAL", "exit_code": 2,
//!   "counts": { "critical": 1, "warning": 0, "info": 0, "hidden": 4 },
//!   "changes": [ { "severity": "critical", "kind": "link", "subject": "enp65s0f1",
//!     "field": "speed", "before": "10G", "after": "1G", "why": "..." } ] }
//! ```

use serde::Serialize;

use crate::diff::{Change, Diff, Severity, SideInfo, Value};

pub const SCHEMA: &str = "hostlint.diff/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    before: SideView<'a>,
    after: SideView<'a>,
    boot: &'static str,
    boot_basis: &'a str,
    destinations: &'a [String],
    verdict: &'static str,
    exit_code: u8,
    /// The reads the deadline abandoned: the diff is of what was read.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    abandoned: &'a [String],
    counts: Counts,
    changes: Vec<ChangeView<'a>>,
}

#[derive(Serialize)]
struct SideView<'a> {
    source: &'a str,
    hostname: Option<&'a str>,
    captured_at: Option<&'a str>,
    label: Option<&'a str>,
}

#[derive(Serialize)]
struct Counts {
    critical: usize,
    warning: usize,
    info: usize,
    /// Routine changes left out (without `--all`).
    hidden: usize,
}

#[derive(Serialize)]
struct ChangeView<'a> {
    severity: Severity,
    kind: &'a str,
    subject: &'a str,
    field: &'a str,
    before: &'a Value,
    after: &'a Value,
    why: &'a str,
}

fn side(s: &SideInfo) -> SideView<'_> {
    SideView {
        source: &s.source,
        hostname: s.hostname.as_deref(),
        captured_at: s.captured_at.as_deref(),
        label: s.label.as_deref(),
    }
}

fn change(c: &Change) -> ChangeView<'_> {
    ChangeView {
        severity: c.severity,
        kind: c.kind,
        subject: &c.subject,
        field: &c.field,
        before: &c.before,
        after: &c.after,
        why: &c.why,
    }
}

pub fn render(diff: &Diff) -> String {
    let doc = Document {
        schema: SCHEMA,
        before: side(&diff.before),
        after: side(&diff.after),
        boot: diff.boot.as_str(),
        boot_basis: diff.boot.basis(),
        destinations: &diff.destinations,
        verdict: diff.verdict(),
        exit_code: diff.exit_code(),
        abandoned: &diff.abandoned,
        counts: Counts {
            critical: diff.count(Severity::Critical),
            warning: diff.count(Severity::Warning),
            info: diff.count(Severity::Info),
            hidden: diff.hidden,
        },
        changes: diff.changes.iter().map(change).collect(),
    };
    // Strings, numbers and maps with string keys: serializing cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).expect("the diff document serialises");
    text.push('\n');
    text
}
