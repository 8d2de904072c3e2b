//! A diff for the operator at a terminal: both sides as they were
//! captured, then one row per change, the worst first — what was, what is,
//! and why it matters — and a closing line with the verdict and exit code.
//! A side that could not be read shows `?` with a numbered footnote.

use super::layout::{Cell, Footnotes, Paint, Table, hanging};
use super::table::{Style, line};
use crate::diff::{Change, Diff, Severity, SideInfo, Value};

/// A side's value, or a numbered footnote saying why it could not be read.
fn value(notes: &mut Footnotes, side: &str, c: &Change, v: &Value) -> String {
    match v {
        Value::Absent => "absent".into(),
        Value::Known(text) => text.clone(),
        Value::Unknown(m) => {
            // A whole part (`nvme subsystems`) is its own field.
            let object = object(c);
            let what = if c.field == object {
                object
            } else {
                format!("{object} {}", c.field)
            };
            let n = notes.number(format!("{side}: {what}: {} ({})", m.reason, m.detail));
            format!("?[{n}]")
        }
    }
}

fn object(c: &Change) -> String {
    if c.subject.is_empty() {
        c.kind.to_owned()
    } else {
        format!("{} {}", c.kind, c.subject)
    }
}

fn side_line(word: &str, s: &SideInfo) -> String {
    let mut facts = Vec::new();
    if let Some(h) = &s.hostname {
        facts.push(h.clone());
    }
    if let Some(t) = &s.captured_at {
        facts.push(format!("captured {t}"));
    }
    let mut line = format!("{word:<7}{}", s.source);
    if !facts.is_empty() {
        line.push_str(&format!(" ({})", facts.join(", ")));
    }
    // The label on a line of its own: it is the operator's words.
    if let Some(l) = &s.label {
        line.push_str(&format!("\n\"{l}\""));
    }
    line
}

/// The sides, then one row per change (severity, object, field, before,
/// after) with why it matters on an indented line under it.
pub fn render(diff: &Diff, style: &Style) -> String {
    let mut out = String::new();
    for head in [
        side_line("before", &diff.before),
        side_line("after", &diff.after),
        format!("{:<7}{}: {}", "boot", diff.boot.as_str(), diff.boot.basis()),
        format!("{:<7}{}", "egress", diff.destinations.join(", ")),
    ] {
        hanging(&mut out, &Cell::new(head), 7, style);
    }
    out.push('\n');
    let mut notes = Footnotes::default();
    if diff.changes.is_empty() && diff.hidden == 0 {
        line(&mut out, "Nothing changed.", style);
    } else if diff.changes.is_empty() {
        line(&mut out, "Nothing that matters changed.", style);
    } else {
        let mut t = Table::new(style, &["SEVERITY", "OBJECT", "FIELD", "BEFORE", "AFTER"]);
        for c in &diff.changes {
            let before = value(&mut notes, "before", c, &c.before);
            let after = value(&mut notes, "after", c, &c.after);
            t.add_row([
                Cell::new(c.severity.as_str().to_uppercase()).paint(severity_paint(c.severity)),
                Cell::new(object(c)),
                Cell::new(&c.field),
                Cell::new(before),
                Cell::new(after),
            ]);
            t.add_detail("why", Cell::new(&c.why));
        }
        t.render(&mut out);
        notes.render(&mut out, style);
    }
    hanging(&mut out, &summary(diff), 2, style);
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `1 critical, 2 warnings, 5 routine changes not shown (--all shows
/// them): CRITICAL (exit 2)`.
fn summary(diff: &Diff) -> Cell {
    let mut parts = vec![
        format!("{} critical", diff.count(Severity::Critical)),
        plural(diff.count(Severity::Warning), "warning"),
    ];
    let info = diff.count(Severity::Info);
    if info > 0 {
        parts.push(format!("{info} routine"));
    }
    if diff.hidden > 0 {
        parts.push(format!(
            "{} not shown (--all shows them)",
            plural(diff.hidden, "routine change")
        ));
    }
    if !diff.abandoned.is_empty() {
        parts.push(format!(
            "the deadline abandoned {}",
            plural(diff.abandoned.len(), "read")
        ));
    }
    let paint = match diff.exit_code() {
        2 => Paint::VERDICT_CRITICAL,
        3 => Paint::VERDICT_UNKNOWN,
        1 => Paint::VERDICT_WARNING,
        _ => Paint::VERDICT_OK,
    };
    let mut line = Cell::new(format!("{}: ", parts.join(", ")));
    line.push(diff.verdict(), Some(paint));
    line.push(&format!(" (exit {})", diff.exit_code()), None);
    line
}

fn severity_paint(s: Severity) -> Paint {
    match s {
        Severity::Critical => Paint::BAD,
        Severity::Warning => Paint::WARN,
        Severity::Info => Paint::QUIET,
    }
}
