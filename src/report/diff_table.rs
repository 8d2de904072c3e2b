//! A diff for the operator at a terminal: both sides as they were
//! captured, then one row per change, the worst first — what was, what is,
//! and why it matters — and a closing line with the verdict and exit code.
//! A side that could not be read shows `?` with a numbered footnote.

use comfy_table::{Cell, Color};

use super::table::{Style, new_table};
use super::{MAX_CELL_WORD, escape_controls, shorten_words};
use crate::diff::{Change, Diff, Severity, SideInfo, Value};

#[derive(Default)]
struct Notes {
    lines: Vec<String>,
}

impl Notes {
    fn value(&mut self, side: &str, c: &Change, v: &Value) -> String {
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
                let line = format!("{side}: {what}: {} ({})", m.reason, m.detail);
                let n = match self.lines.iter().position(|l| *l == line) {
                    Some(i) => i + 1,
                    None => {
                        self.lines.push(line);
                        self.lines.len()
                    }
                };
                format!("?[{n}]")
            }
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
        line.push_str(&format!("\n{:<7}\"{l}\"", ""));
    }
    line
}

pub fn render(diff: &Diff, style: &Style) -> String {
    let mut out = String::new();
    for line in [
        side_line("before", &diff.before),
        side_line("after", &diff.after),
        format!("{:<7}{}: {}", "boot", diff.boot.as_str(), diff.boot.basis()),
        format!("{:<7}{}", "egress", diff.destinations.join(", ")),
    ] {
        out.push_str(&cell_text(&line));
        out.push('\n');
    }
    out.push('\n');
    let mut notes = Notes::default();
    if diff.changes.is_empty() && diff.hidden == 0 {
        out.push_str("Nothing changed.\n");
    } else if diff.changes.is_empty() {
        out.push_str("Nothing that matters changed.\n");
    } else {
        let mut t = new_table(
            style,
            &[
                "SEVERITY",
                "OBJECT",
                "FIELD",
                "BEFORE",
                "AFTER",
                "WHY IT MATTERS",
            ],
        );
        for c in &diff.changes {
            let before = notes.value("before", c, &c.before);
            let after = notes.value("after", c, &c.after);
            t.add_row(vec![
                severity_cell(c.severity, style.color),
                Cell::new(cell_text(&object(c))),
                Cell::new(cell_text(&c.field)),
                Cell::new(cell_text(&before)),
                Cell::new(cell_text(&after)),
                Cell::new(cell_text(&c.why)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
        for (i, l) in notes.lines.iter().enumerate() {
            out.push_str(&format!("[{}] {}\n", i + 1, cell_text(l)));
        }
    }
    out.push_str(&summary(diff, style.color));
    out.push('\n');
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
fn summary(diff: &Diff, color: bool) -> String {
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
    let verdict = diff.verdict();
    let word = if color {
        // Outside the table: its SGR sequence is written by hand.
        let sgr = match diff.exit_code() {
            2 => "1;31",
            1 => "1;33",
            _ => "1;32",
        };
        format!("\x1b[{sgr}m{verdict}\x1b[0m")
    } else {
        verdict.to_owned()
    };
    format!("{}: {word} (exit {})", parts.join(", "), diff.exit_code())
}

fn severity_cell(s: Severity, color: bool) -> Cell {
    let cell = Cell::new(s.as_str().to_uppercase());
    if !color {
        return cell;
    }
    cell.fg(match s {
        Severity::Critical => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Grey,
    })
}

/// Values come from the host (an interface name may hold an ESC byte):
/// every control character but a newline is shown escaped.
fn cell_text(s: &str) -> String {
    shorten_words(&escape_controls(s, |c| c == '\n'), MAX_CELL_WORD).into_owned()
}
