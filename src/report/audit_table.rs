//! The audit for a person at a terminal: what needs action first, with what
//! was expected, what was seen and what to do about it, then a summary line
//! with the verdict. Passing findings are counted, not listed, unless asked
//! for: on a healthy host they would bury the one line that matters.

use comfy_table::{Cell, Color};

use super::table::{Style, new_table};
use super::{Counts, MAX_CELL_WORD, checks, escape_controls, shorten_words};
use crate::finding::{Audit, PolicyRef, Status, Verdict};

/// Whether passing findings get a row each or only a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passes {
    Count,
    Show,
}

pub fn render(audit: &Audit, style: &Style, passes: Passes) -> String {
    let mut out = String::new();
    out.push_str(&cell_text(&header(audit)));
    out.push('\n');

    let findings = audit.sorted_findings();
    let counts = Counts::of(&audit.findings);
    let shown: Vec<_> = findings
        .iter()
        .filter(|f| passes == Passes::Show || f.status != Status::Pass)
        .collect();
    if !shown.is_empty() {
        let mut t = new_table(
            style,
            &[
                "STATUS",
                "CHECK",
                "SUBJECT",
                "EXPECTED",
                "OBSERVED",
                "REMEDIATION",
            ],
        );
        for f in shown {
            t.add_row(vec![
                status_cell(f.status, style.color),
                Cell::new(cell_text(&f.check)),
                Cell::new(cell_text(&f.subject)),
                Cell::new(cell_text(&f.expected)),
                Cell::new(cell_text(&f.observed)),
                Cell::new(cell_text(&f.remediation)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    // Without findings, the summary line below says why.
    if passes == Passes::Count && counts.pass > 0 {
        out.push_str(&if counts.pass == counts.total() {
            format!("All {} findings pass (rows not shown).\n", counts.pass)
        } else {
            format!(
                "{} passing finding{} not shown.\n",
                counts.pass,
                plural(counts.pass)
            )
        });
    }
    for note in &audit.notes {
        out.push_str("note: ");
        // A note of several lines stays visibly one note.
        out.push_str(&cell_text(note).replace('\n', "\n      "));
        out.push('\n');
    }
    out.push_str(&summary(audit, counts, style.color));
    out.push('\n');
    out
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
fn summary(audit: &Audit, counts: Counts, color: bool) -> String {
    let verdict = audit.verdict();
    let why = if verdict == Verdict::Unknown {
        format!(": {}", cell_text(&audit.summary()))
    } else {
        String::new()
    };
    let word = if color {
        // comfy-table styles cells only; this line is outside the table, so
        // it gets its SGR sequence by hand: bold and the verdict's colour.
        let sgr = match verdict {
            Verdict::Ok => "1;32",
            Verdict::Warning => "1;33",
            Verdict::Critical => "1;31",
            Verdict::Unknown => "1;35",
        };
        format!("\x1b[{sgr}m{}\x1b[0m", verdict.as_str())
    } else {
        verdict.as_str().to_owned()
    };
    let n = counts.total();
    format!(
        "{} FAIL, {} WARN, {} UNKNOWN, {} PASS of {n} finding{} in {} check{}: {word} (exit {}){why}",
        counts.fail,
        counts.warn,
        counts.unknown,
        counts.pass,
        plural(n),
        checks(&audit.findings),
        plural(checks(&audit.findings)),
        verdict.code()
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn status_cell(s: Status, color: bool) -> Cell {
    let cell = Cell::new(s.as_str());
    if !color {
        return cell;
    }
    cell.fg(match s {
        Status::Pass => Color::Green,
        Status::Warn => Color::Yellow,
        Status::Fail => Color::Red,
        Status::Unknown => Color::Magenta,
    })
}

/// Cells may span lines, so a newline stays; every other control
/// character is shown escaped (a tab would also throw the column widths).
fn cell_text(s: &str) -> String {
    shorten_words(&escape_controls(s, |c| c == '\n'), MAX_CELL_WORD).into_owned()
}
