//! The audit as a Nagios plugin's output (also read by Icinga, Naemon,
//! Sensu, Zabbix's Nagios checks, ...).
//!
//! ```text
//! HOSTLINT CRITICAL - 1 fail: egress-via-10g on 0.0.0.0/0; 1 warn, 1 unknown, 4 pass | 'pass'=4;;;0 'warn'=1;0;;0 'fail'=1;;0;0 'unknown'=1;;;0 'checks'=4;;;0
//! FAIL egress-via-10g on 0.0.0.0/0: expected ..., observed ...; remediation: ...
//! WARN ...
//! ```
//!
//! The first line is what pages and dashboards show: the verdict, then the
//! findings of the worst status by check and subject (at most
//! [`MAX_NAMED`], each name cut at [`MAX_NAME_CHARS`]), then how many of
//! each other status. An UNKNOWN starts with its cause (`a fact a check
//! needs could not be read: 1 unknown: ...`); when no finding decided it
//! (an invalid policy, no policy applying, the lock, the deadline), the
//! cause is the line. The perfdata counts findings per status and the
//! checks that produced them; the thresholds say what the verdict does
//! with them (any `fail` is critical: `;;0`, any `warn` a warning: `;0`),
//! so graphing add-ons draw them. Then the long output: one line per
//! non-passing finding, failures first (at most [`MAX_LONG_LINES`]: Nagios
//! keeps only the first 8 KiB of a plugin's output and would cut a line
//! anywhere), then the run's notes.
//!
//! A `|` in the text would start the perfdata, so it is written `¦`; a line
//! break would start the long output, so it is a space; other control
//! characters are escaped (`\u{1b}`).

use std::fmt::Write as _;

use super::{Counts, checks, escape_controls, expected_observed};
use crate::finding::{Audit, Cause, Finding, Status};

/// Findings named on the status line.
pub const MAX_NAMED: usize = 3;
/// A check id or subject longer than this is cut on the status line.
pub const MAX_NAME_CHARS: usize = 40;
/// Findings listed in the long output.
pub const MAX_LONG_LINES: usize = 50;

pub fn render(audit: &Audit) -> String {
    let verdict = audit.verdict();
    let counts = Counts::of(&audit.findings);
    let sorted = audit.sorted_findings();
    let mut out = format!(
        "HOSTLINT {} - {} | {}\n",
        verdict.as_str(),
        summary(audit, counts, &sorted, checks(&audit.findings)),
        perfdata(counts, checks(&audit.findings))
    );
    let failing: Vec<&&Finding> = sorted.iter().filter(|f| f.status != Status::Pass).collect();
    for f in failing.iter().take(MAX_LONG_LINES) {
        let mut line = format!("{} {} on {}", f.status.as_str(), f.check, f.subject);
        let what = expected_observed(f);
        if !what.is_empty() {
            let _ = write!(line, ": {what}");
        }
        if !f.remediation.is_empty() {
            let _ = write!(line, "; remediation: {}", f.remediation);
        }
        out.push_str(&one_line(&line));
        out.push('\n');
    }
    if failing.len() > MAX_LONG_LINES {
        let _ = writeln!(
            out,
            "... and {} more non-passing findings (the JSON report lists them all)",
            failing.len() - MAX_LONG_LINES
        );
    }
    for note in &audit.notes {
        out.push_str("NOTE ");
        out.push_str(&one_line(note));
        out.push('\n');
    }
    out
}

fn summary(audit: &Audit, counts: Counts, sorted: &[&Finding], checks: usize) -> String {
    let others = |except: Option<Status>| -> Vec<String> {
        [Status::Fail, Status::Warn, Status::Unknown, Status::Pass]
            .into_iter()
            .filter(|&st| Some(st) != except && counts.get(st) > 0)
            .map(|st| format!("{} {}", counts.get(st), word(st)))
            .collect()
    };
    let (worst, mut s) = match audit.cause() {
        Cause::AllPass => {
            return format!(
                "all {} findings pass ({checks} check{})",
                counts.pass,
                if checks == 1 { "" } else { "s" }
            );
        }
        Cause::CriticalFailed => (Status::Fail, String::new()),
        Cause::WarningFailed => (Status::Warn, String::new()),
        Cause::FactUnknown => (Status::Unknown, format!("{}: ", audit.summary())),
        // Nothing to name: the run's own cause is the news.
        _ => {
            let mut s = one_line(&audit.summary());
            let counted = others(None);
            if !counted.is_empty() {
                let _ = write!(s, "; {}", counted.join(", "));
            }
            return s;
        }
    };
    // `sorted` puts the worst status first, by check and subject.
    let named: Vec<String> = sorted
        .iter()
        .filter(|f| f.status == worst)
        .take(MAX_NAMED)
        .map(|f| format!("{} on {}", cut(&f.check), cut(&f.subject)))
        .collect();
    let n = counts.get(worst);
    let _ = write!(s, "{n} {}: {}", word(worst), named.join(", "));
    if n > named.len() {
        let _ = write!(s, " and {} more", n - named.len());
    }
    let others = others(Some(worst));
    if !others.is_empty() {
        let _ = write!(s, "; {}", others.join(", "));
    }
    one_line(&s)
}

fn word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Unknown => "unknown",
    }
}

/// `'label'=value;warn;crit;min` for each status and the checks. Labels
/// are quoted always, which the format allows, so none can be misread.
fn perfdata(c: Counts, checks: usize) -> String {
    format!(
        "'pass'={};;;0 'warn'={};0;;0 'fail'={};;0;0 'unknown'={};;;0 'checks'={checks};;;0",
        c.pass, c.warn, c.fail, c.unknown
    )
}

/// A name for the status line: at most `MAX_NAME_CHARS` characters.
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_NAME_CHARS {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(MAX_NAME_CHARS - 3).collect();
    t.push_str("...");
    t
}

/// Text made safe for one line of plugin output.
fn one_line(s: &str) -> String {
    let spaced: String = s
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            '|' => '¦',
            c => c,
        })
        .collect();
    escape_controls(&spaced, |_| false).into_owned()
}
