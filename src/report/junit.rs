//! The audit as JUnit XML, the test-report format CI systems read
//! (Jenkins, GitLab, GitHub test-reporter actions).
//!
//! - `<testsuites>` holds one `<testsuite>` per policy, named by its file
//!   (what every finding names), in the order the audit lists its
//!   policies; a policy without findings is an empty suite, so a CI page
//!   shows that it was loaded, and its properties say whether it applies;
//! - a `<testcase>` per finding, in the audit's order: `classname` is the
//!   check id, `name` the subject;
//! - FAIL and WARN are `<failure type="FAIL|WARN">`: the check ran and the
//!   host did not meet it. `message` is what was expected and observed, the
//!   text the evidence and the remediation;
//! - UNKNOWN is `<error type="UNKNOWN">`, not `<skipped>`. A skipped test
//!   is a neutral result that CI systems count as neither passed nor failed
//!   and show in grey; an unknown finding is a fact that could not be read,
//!   which the audit never treats as a pass (the verdict is UNKNOWN, exit
//!   3). JUnit's error means exactly "the test could not reach a verdict
//!   because something went wrong", and every reader marks it red;
//! - an audit whose verdict is UNKNOWN for a cause of its own (an invalid
//!   policy, an unreadable host, the lock, no policy applying, the
//!   deadline) gets one errored testcase saying why in a suite named
//!   `hostlint`: an empty or all-passing report would read as a green
//!   build. The run's notes go to that suite's `<system-err>`, and
//!   hostlint's findings on its own run (a state file it rebuilt) are its
//!   testcases.
//!
//! The document validates against the Jenkins xUnit plugin's
//! `junit-10.xsd` (`tests/data/junit/`). That schema gives `<testsuites>`
//! no `skipped` attribute, so only the suites carry it (always 0).
//!
//! Everything is escaped for XML 1.0: `& < > "` as entities, tabs, line
//! feeds and carriage returns inside attributes as character references
//! (a parser would otherwise turn them into spaces), and every other
//! control character written as `\u{1b}` text: XML 1.0 forbids most of
//! them outright, even as references, and discourages the rest.

use std::fmt::Write as _;

use super::{Counts, escape_controls, expected_observed};
use crate::finding::{Audit, Cause, Finding, OWN_FINDINGS, PolicyRef, Status, Verdict};

/// The suite that holds what belongs to no policy.
const RUN_SUITE: &str = "hostlint";

pub fn render(audit: &Audit) -> String {
    let mut policies: Vec<(&str, Option<&PolicyRef>)> = audit
        .policies
        .iter()
        .map(|p| (p.file.as_str(), Some(p)))
        .collect();
    // hostlint's own findings (a state file it rebuilt) go to its suite.
    let own: Vec<&Finding> = audit
        .findings
        .iter()
        .filter(|f| f.policy == OWN_FINDINGS)
        .collect();
    for f in audit.findings.iter().filter(|f| f.policy != OWN_FINDINGS) {
        // A finding whose policy the audit does not list still gets a
        // suite: dropping it would make the counts lie.
        if !policies.iter().any(|(file, _)| *file == f.policy) {
            policies.push((&f.policy, None));
        }
    }

    let all = Counts::of(&audit.findings);
    let cause = audit.cause();
    // The verdict rests on the run itself, not on a finding: one errored
    // testcase says so.
    let run_error = cause.verdict() == Verdict::Unknown && cause != Cause::FactUnknown;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // No finding is timed; `time="0"` is written anyway because some
    // readers parse the attribute without checking that it is there.
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"0\">",
        attr(&format!("hostlint audit of {}", audit.host)),
        all.total() + usize::from(run_error),
        all.fail + all.warn,
        all.unknown + usize::from(run_error),
    );
    for (id, (file, policy)) in policies.iter().enumerate() {
        let findings: Vec<&Finding> = audit
            .findings
            .iter()
            .filter(|f| f.policy == *file)
            .collect();
        suite_open(&mut out, audit, id, file, *policy, &findings);
        for f in findings {
            testcase(&mut out, f);
        }
        out.push_str("  </testsuite>\n");
    }
    if run_error || !audit.notes.is_empty() || !own.is_empty() {
        let c = Counts::of(own.iter().copied());
        let n = usize::from(run_error);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{RUN_SUITE}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" \
             skipped=\"0\" time=\"0\" hostname=\"{}\" id=\"{}\">",
            c.total() + n,
            c.fail + c.warn,
            c.unknown + n,
            attr(&audit.host),
            policies.len()
        );
        properties(&mut out, audit, None);
        for f in &own {
            testcase(&mut out, f);
        }
        if run_error {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{RUN_SUITE}\" name=\"audit\" time=\"0\">\n      \
                 <error type=\"UNKNOWN\" message=\"{}\">{}</error>\n    </testcase>",
                attr(&audit.summary()),
                text(&format!("{} ({})", audit.summary(), cause.as_str())),
            );
        }
        if !audit.notes.is_empty() {
            out.push_str("    <system-err>");
            for note in &audit.notes {
                out.push_str(&text(note));
                out.push('\n');
            }
            out.push_str("</system-err>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite_open(
    out: &mut String,
    audit: &Audit,
    id: usize,
    file: &str,
    policy: Option<&PolicyRef>,
    findings: &[&Finding],
) {
    let c = Counts::of(findings.iter().copied());
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" \
         time=\"0\" hostname=\"{}\" id=\"{id}\">",
        attr(file),
        c.total(),
        c.fail + c.warn,
        c.unknown,
        attr(&audit.host),
    );
    properties(out, audit, policy);
}

/// The run each suite came from, so a suite read on its own (readers merge
/// files) still says which host and which source; a policy's suite says
/// its name and whether it applies.
fn properties(out: &mut String, audit: &Audit, policy: Option<&PolicyRef>) {
    out.push_str("    <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attr(value)
        );
    };
    property("host", &audit.host);
    property("source", &audit.source);
    if let Some(p) = policy {
        if let Some(name) = &p.name {
            property("policy", name);
        }
        if let Some(a) = p.applies {
            property("applies", a.as_str());
        }
    }
    out.push_str("    </properties>\n");
}

fn testcase(out: &mut String, f: &Finding) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        attr(&f.check),
        attr(&f.subject)
    );
    let element = match f.status {
        Status::Pass => {
            out.push_str("/>\n");
            return;
        }
        Status::Warn | Status::Fail => "failure",
        Status::Unknown => "error",
    };
    let _ = write!(
        out,
        ">\n      <{element} type=\"{}\" message=\"{}\">",
        f.status.as_str(),
        attr(&message(f))
    );
    out.push_str(&text(&details(f)));
    let _ = writeln!(out, "</{element}>\n    </testcase>");
}

/// What was expected and observed, or the status when the check said
/// neither.
fn message(f: &Finding) -> String {
    let m = expected_observed(f);
    if m.is_empty() {
        f.status.as_str().to_owned()
    } else {
        m
    }
}

/// The body of a failure or error: what a person needs to act without
/// opening another report.
fn details(f: &Finding) -> String {
    let mut s = format!(
        "{} {} on {} ({} check, {} severity, policy {})\n",
        f.status.as_str(),
        f.check,
        f.subject,
        f.kind,
        f.severity.as_str(),
        f.policy,
    );
    if !f.expected.is_empty() {
        let _ = writeln!(s, "expected: {}", f.expected);
    }
    if !f.observed.is_empty() {
        let _ = writeln!(s, "observed: {}", f.observed);
    }
    if !f.evidence.is_empty() {
        s.push_str("evidence:\n");
        for e in &f.evidence {
            let _ = writeln!(s, "  {e}");
        }
    }
    if !f.remediation.is_empty() {
        let _ = writeln!(s, "remediation: {}", f.remediation);
    }
    s
}

/// The control characters XML 1.0 allows (as text or as references): tab,
/// line feed, carriage return. `escape_controls` also rewrites U+FFFE and
/// U+FFFF, which XML excludes too; surrogates cannot occur in a `str`.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
}

/// Character data. A carriage return is written as a reference: a parser
/// normalises a raw one into a line feed.
fn text(s: &str) -> String {
    let s = escape_controls(s, xml_allowed);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// A double-quoted attribute value. Whitespace other than a space is
/// written as a reference: attribute-value normalisation would turn a raw
/// tab or newline into a space.
fn attr(s: &str) -> String {
    let s = escape_controls(s, xml_allowed);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_and_text_are_escaped() {
        assert_eq!(
            attr("a<b>&\"c\"\t\n\r'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&#9;&#10;&#13;'"
        );
        assert_eq!(
            text("]]> & <x>\r\n\"q\""),
            "]]&gt; &amp; &lt;x&gt;&#13;\n\"q\""
        );
        assert_eq!(text("bell\u{7}"), "bell\\u{7}");
        assert_eq!(attr("esc\u{1b}é"), "esc\\u{1b}é");
    }
}
