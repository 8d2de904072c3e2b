//! The audit for a person at a terminal: what needs action first, with what
//! was expected, what was seen and what to do about it, then a summary line
//! with the verdict. Passing findings are counted, not listed, unless asked
//! for: on a healthy host they would bury the one line that matters.

use super::layout::{Cell, Paint, Table, hanging};
use super::table::{Style, line};
use super::{Counts, checks};
use crate::finding::{Audit, Finding, PolicyRef, Status, Verdict};

/// Whether passing findings get a row each or only a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passes {
    Count,
    Show,
}

/// One row per finding (status, check, subject), what was expected, what
/// was observed and what to do on indented lines under it: free text gets
/// the whole width rather than a narrow column.
pub fn render(audit: &Audit, style: &Style, passes: Passes) -> String {
    let mut out = String::new();
    line(&mut out, &header(audit), style);

    let findings = audit.sorted_findings();
    let counts = Counts::of(&audit.findings);
    let mut t = Table::new(style, &["STATUS", "CHECK", "SUBJECT"]);
    for f in findings
        .iter()
        .filter(|f| passes == Passes::Show || f.status != Status::Pass)
    {
        t.add_row([
            Cell::new(f.status.as_str()).paint(status_paint(f.status)),
            Cell::new(&f.check),
            Cell::new(&f.subject),
        ]);
        t.add_detail("expected", Cell::new(&f.expected));
        t.add_detail("observed", observed(f));
        t.add_detail("remediation", Cell::new(&f.remediation));
    }
    if !t.is_empty() {
        t.render(&mut out);
    }
    // Without findings, the summary line below says why.
    if passes == Passes::Count && counts.pass > 0 {
        let shown = if counts.pass == counts.total() {
            format!("All {} findings pass (rows not shown).", counts.pass)
        } else {
            format!(
                "{} passing finding{} not shown.",
                counts.pass,
                plural(counts.pass)
            )
        };
        line(&mut out, &shown, style);
    }
    for note in &audit.notes {
        // A note of several lines stays visibly one note.
        hanging(&mut out, &Cell::new(format!("note: {note}")), 6, style);
    }
    hanging(&mut out, &summary(audit, counts), 2, style);
    out
}

/// What was observed, the facts that made the finding fail (or could not
/// be read) painted in its status's colour.
fn observed(f: &Finding) -> Cell {
    let paint = status_paint(f.status);
    let text = f.observed.as_str();
    let mut cell = Cell::default();
    let mut at = 0;
    for r in &f.failing {
        let valid = r.start >= at
            && r.start < r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end);
        if !valid {
            continue;
        }
        cell.push(&text[at..r.start], None);
        cell.push(&text[r.start..r.end], Some(paint));
        at = r.end;
    }
    cell.push(&text[at..], None);
    cell
}

fn header(audit: &Audit) -> String {
    let policies = if audit.policies.is_empty() {
        "no policy".to_owned()
    } else {
        let labels: Vec<String> = audit.policies.iter().map(PolicyRef::label).collect();
        labels.join(", ")
    };
    format!(
        "Audit of {} ({}) against {policies}",
        audit.host, audit.source
    )
}

/// `1 FAIL, 0 WARN, 2 UNKNOWN, 4 PASS of 7 findings in 3 checks: CRITICAL
/// (exit 2)`: every status always, so the line reads the same on every run.
/// An UNKNOWN says why: `UNKNOWN (exit 3): no policy applies to this host`.
fn summary(audit: &Audit, counts: Counts) -> Cell {
    let verdict = audit.verdict();
    let n = counts.total();
    let mut line = Cell::new(format!(
        "{} FAIL, {} WARN, {} UNKNOWN, {} PASS of {n} finding{} in {} check{}: ",
        counts.fail,
        counts.warn,
        counts.unknown,
        counts.pass,
        plural(n),
        checks(&audit.findings),
        plural(checks(&audit.findings)),
    ));
    let paint = match verdict {
        Verdict::Ok => Paint::VERDICT_OK,
        Verdict::Warning => Paint::VERDICT_WARNING,
        Verdict::Critical => Paint::VERDICT_CRITICAL,
        Verdict::Unknown => Paint::VERDICT_UNKNOWN,
    };
    line.push(verdict.as_str(), Some(paint));
    line.push(&format!(" (exit {})", verdict.code()), None);
    if verdict == Verdict::Unknown {
        line.push(&format!(": {}", audit.summary()), None);
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn status_paint(s: Status) -> Paint {
    match s {
        Status::Pass => Paint::GOOD,
        Status::Warn => Paint::WARN,
        Status::Fail => Paint::BAD,
        Status::Unknown => Paint::UNKNOWN,
    }
}
