//! The audit in the Prometheus text exposition format, for node_exporter's
//! textfile collector (`--format prometheus --output DIR/hostlint.prom`,
//! written with [`super::output::write_atomic`]).
//!
//! Every family is a gauge, has `# HELP` and `# TYPE` before its samples
//! (and is left out when it has none: an audit without findings has no
//! per-check series), and carries no timestamp (the collector refuses them; its own
//! `node_textfile_mtime_seconds` says when the file was written). Label
//! values escape `\`, `"` and line feeds as the format requires; other
//! control characters are written `\u{1b}`, as in every hostlint report.
//! A status as a value is its Nagios code: 0 pass, 1 warn, 2 fail,
//! 3 unknown; "worst" follows the verdict's order (fail, warn, unknown,
//! pass), so 3 means nothing failed but something could not be read.
//!
//! | metric | labels | value |
//! | --- | --- | --- |
//! | `hostlint_audit_status` | | the verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also when there are no findings) |
//! | `hostlint_audit_cause` | `cause` | 1: why the verdict is what it is (`all_pass`, `fact_unknown`, `no_policy_applies`, `invalid_policy`, ...: the table in `docs/policy.md`) |
//! | `hostlint_audit_info` | `host`, `source` | 1: the host as it names itself, and `live` or the fixture |
//! | `hostlint_findings` | `status` (`pass`, `warn`, `fail`, `unknown`) | findings with that status; all four always present |
//! | `hostlint_notes` | | problems of the run not tied to a check (a part of the host that could not be read at all) |
//! | `hostlint_last_run_timestamp_seconds` | | when the run ended (Unix time), also for a run that audited nothing: alert when it grows stale |
//! | `hostlint_run_duration_seconds` | | how long the run took |
//! | `hostlint_deadline_exceeded` | | 1 when a read was abandoned at its limit or the deadline |
//! | `hostlint_audit_overlapped` | | 1 when another audit held the state file and this one did nothing (written to standard output only: such a run leaves `--output` alone) |
//! | `hostlint_check_status` | `check`, `kind`, `severity`, `policy` | the worst status of the check's findings |
//! | `hostlint_finding_status` | `check`, `subject`, `policy` | the worst status of the check on that subject |
//! | `hostlint_finding_series_dropped` | | per-subject series left out over the cap |
//!
//! `hostlint watch` adds its own families after these (the `_total` ones
//! are counters, since the agent started; the rest gauges):
//!
//! | metric | labels | value |
//! | --- | --- | --- |
//! | `hostlint_agent_start_timestamp_seconds` | | when the agent started (Unix time) |
//! | `hostlint_agent_audits_total` | `reason` (`start`, `event`, `overrun`, `interval`, `reload`, `replay`) | audits run, every reason present |
//! | `hostlint_agent_events_total` | `kind` (`link`, `address`, `route`, `rule`, `neighbour`, `ethtool`, `block`, `dm`, `scsi`, `nvme`, `net`, `infiniband`, `replay`) | change events received, every kind present |
//! | `hostlint_agent_routine_events_total` | | events no fact depends on, not re-audited |
//! | `hostlint_agent_coalesced_bursts_total` | | audits that answered more than one event |
//! | `hostlint_agent_overruns_total` | `subscription` (`rtnetlink`, `ethtool`, `uevent`) | event sockets overflowed (ENOBUFS), each answered by a full re-read |
//! | `hostlint_agent_transitions_total` | | findings whose status changed |
//! | `hostlint_agent_reloads_total` | `result` (`ok`, `failed`) | policy reloads (SIGHUP) |
//! | `hostlint_agent_reload_failed` | | 1 while the last reload failed and the previous policies still run |
//! | `hostlint_agent_subscribed` | `subscription` | 1 when the subscription is open, 0 when the kernel refused it |
//! | `hostlint_agent_last_audit_events` | | events the last audit answered |
//! | `hostlint_agent_last_audit_overrun` | | 1 when the last audit answered an overrun |
//!
//! Label cardinality: checks come from hand-written policies, so one series
//! per check is bounded by the policies. Subjects come from the host (a
//! route check over a full table could have a million), so
//! `hostlint_finding_status` holds at most the cap passed to [`render`]
//! ([`MAX_SUBJECT_SERIES`] by default), the worst first, and
//! `hostlint_finding_series_dropped` says how many were left out: a
//! dashboard can show that the list is incomplete instead of looking
//! complete. Alert on `hostlint_check_status == 2`, which no cap affects.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Counts, STATUSES, escape_controls, status_code, worse};
use crate::finding::{Agent, Audit, Cause, Status};

/// The default cap on `hostlint_finding_status` series.
pub const MAX_SUBJECT_SERIES: usize = 500;

/// The exposition text, each family in the order of the table above, at
/// most `max_subject_series` per-subject series.
pub fn render(audit: &Audit, max_subject_series: usize) -> String {
    let mut out = String::new();

    family(
        &mut out,
        "hostlint_audit_status",
        "The audit verdict as a Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    let cause = audit.cause();
    let _ = writeln!(out, "hostlint_audit_status {}", cause.verdict().code());

    family(
        &mut out,
        "hostlint_audit_cause",
        "Why the verdict is what it is (see the table of causes in hostlint's docs/policy.md).",
    );
    let _ = writeln!(
        out,
        "hostlint_audit_cause{{cause=\"{}\"}} 1",
        cause.as_str()
    );

    family(
        &mut out,
        "hostlint_audit_info",
        "The audited host and where its facts came from (live or a fixture directory).",
    );
    let _ = writeln!(
        out,
        "hostlint_audit_info{{host=\"{}\",source=\"{}\"}} 1",
        label(&audit.host),
        label(&audit.source)
    );

    family(
        &mut out,
        "hostlint_findings",
        "Findings of the audit by status.",
    );
    let counts = Counts::of(&audit.findings);
    for s in STATUSES {
        let _ = writeln!(
            out,
            "hostlint_findings{{status=\"{}\"}} {}",
            s.as_str().to_ascii_lowercase(),
            counts.get(s)
        );
    }

    let run = &audit.run;
    for (name, help, value) in [
        (
            "hostlint_last_run_timestamp_seconds",
            "When the audit run ended, in seconds since the Unix epoch.",
            format!("{:.3}", run.finished_unix),
        ),
        (
            "hostlint_run_duration_seconds",
            "How long the audit run took.",
            format!("{:.3}", run.duration_seconds),
        ),
        (
            "hostlint_deadline_exceeded",
            "1 when a read was abandoned at its limit or at the run's deadline.",
            u8::from(run.deadline_exceeded).to_string(),
        ),
        (
            "hostlint_audit_overlapped",
            "1 when another audit held the state file's lock and this run did nothing.",
            u8::from(cause == Cause::LockHeld).to_string(),
        ),
    ] {
        family(&mut out, name, help);
        let _ = writeln!(out, "{name} {value}");
    }

    family(
        &mut out,
        "hostlint_notes",
        "Problems of the run not tied to a check, such as a part of the host that could not be read.",
    );
    let _ = writeln!(out, "hostlint_notes {}", audit.notes.len());

    // Keyed by (policy, check): check ids are unique within a policy set,
    // but two policies audited together may reuse one, and two series must
    // never share a label set.
    let mut per_check: BTreeMap<(&str, &str), (Status, &str, &str)> = BTreeMap::new();
    for f in &audit.findings {
        per_check
            .entry((f.policy.as_str(), f.check.as_str()))
            .and_modify(|e| e.0 = worse(e.0, f.status))
            .or_insert((f.status, f.kind, f.severity.as_str()));
    }
    if !per_check.is_empty() {
        family(
            &mut out,
            "hostlint_check_status",
            "Worst status of a check's findings: 0 pass, 1 warn, 2 fail, 3 unknown.",
        );
    }
    for ((policy, check), (status, kind, severity)) in &per_check {
        let _ = writeln!(
            out,
            "hostlint_check_status{{check=\"{}\",kind=\"{}\",severity=\"{}\",policy=\"{}\"}} {}",
            label(check),
            label(kind),
            severity,
            label(policy),
            status_code(*status)
        );
    }

    // A check may report one subject more than once (one finding per
    // expectation); the series holds the worst of them.
    let mut per_subject: BTreeMap<(&str, &str, &str), Status> = BTreeMap::new();
    for f in &audit.findings {
        per_subject
            .entry((f.policy.as_str(), f.check.as_str(), f.subject.as_str()))
            .and_modify(|s| *s = worse(*s, f.status))
            .or_insert(f.status);
    }
    let mut subjects: Vec<_> = per_subject.into_iter().collect();
    // The worst first, so a cap drops passes before failures; ties keep the
    // key order, which makes the output the same on every run.
    subjects.sort_by_key(|(_, s)| s.rank());
    let dropped = subjects.len().saturating_sub(max_subject_series);
    subjects.truncate(max_subject_series);
    if !subjects.is_empty() {
        family(
            &mut out,
            "hostlint_finding_status",
            "Worst status of a check on one subject: 0 pass, 1 warn, 2 fail, 3 unknown (capped: see hostlint_finding_series_dropped).",
        );
    }
    for ((policy, check, subject), status) in &subjects {
        let _ = writeln!(
            out,
            "hostlint_finding_status{{check=\"{}\",subject=\"{}\",policy=\"{}\"}} {}",
            label(check),
            label(subject),
            label(policy),
            status_code(*status)
        );
    }
    family(
        &mut out,
        "hostlint_finding_series_dropped",
        "Per-subject series left out of hostlint_finding_status by the cap on their number.",
    );
    let _ = writeln!(out, "hostlint_finding_series_dropped {dropped}");
    if let Some(agent) = &run.agent {
        agent_families(&mut out, agent);
    }
    out
}

/// The families of `hostlint watch`, in the order of the second table.
fn agent_families(out: &mut String, agent: &Agent) {
    family(
        out,
        "hostlint_agent_start_timestamp_seconds",
        "When the agent started, in seconds since the Unix epoch.",
    );
    let _ = writeln!(
        out,
        "hostlint_agent_start_timestamp_seconds {:.3}",
        agent.started_unix
    );
    for (name, help, label_name, values) in [
        (
            "hostlint_agent_audits_total",
            "Audits the agent ran, by what started them.",
            "reason",
            &agent.audits,
        ),
        (
            "hostlint_agent_events_total",
            "Change events the agent received from the kernel, by kind.",
            "kind",
            &agent.events,
        ),
    ] {
        counter_family(out, name, help);
        for (value, n) in values {
            let _ = writeln!(out, "{name}{{{label_name}=\"{}\"}} {n}", label(value));
        }
    }
    for (name, help, value) in [
        (
            "hostlint_agent_routine_events_total",
            "Events no fact depends on (a neighbour refresh), counted and not re-audited.",
            agent.routine_events,
        ),
        (
            "hostlint_agent_coalesced_bursts_total",
            "Audits that answered more than one event.",
            agent.coalesced_bursts,
        ),
    ] {
        counter_family(out, name, help);
        let _ = writeln!(out, "{name} {value}");
    }
    counter_family(
        out,
        "hostlint_agent_overruns_total",
        "Event sockets that overflowed (ENOBUFS), each answered by a full re-read.",
    );
    for (subscription, n) in &agent.overruns {
        let _ = writeln!(
            out,
            "hostlint_agent_overruns_total{{subscription=\"{}\"}} {n}",
            label(subscription)
        );
    }
    counter_family(
        out,
        "hostlint_agent_transitions_total",
        "Findings whose status changed.",
    );
    let _ = writeln!(
        out,
        "hostlint_agent_transitions_total {}",
        agent.transitions
    );
    counter_family(
        out,
        "hostlint_agent_reloads_total",
        "Policy reloads (SIGHUP), by result.",
    );
    let _ = writeln!(
        out,
        "hostlint_agent_reloads_total{{result=\"ok\"}} {}",
        agent.reloads
    );
    let _ = writeln!(
        out,
        "hostlint_agent_reloads_total{{result=\"failed\"}} {}",
        agent.failed_reloads
    );
    family(
        out,
        "hostlint_agent_reload_failed",
        "1 while the last policy reload failed and the previous policies still run.",
    );
    let _ = writeln!(
        out,
        "hostlint_agent_reload_failed {}",
        u8::from(agent.reload_error.is_some())
    );
    family(
        out,
        "hostlint_agent_subscribed",
        "1 when the event subscription is open, 0 when the kernel refused it.",
    );
    for (subscription, open) in &agent.subscribed {
        let _ = writeln!(
            out,
            "hostlint_agent_subscribed{{subscription=\"{}\"}} {}",
            label(subscription),
            u8::from(*open)
        );
    }
    for (name, help, value) in [
        (
            "hostlint_agent_last_audit_events",
            "Events the last audit answered.",
            agent.answered.total,
        ),
        (
            "hostlint_agent_last_audit_overrun",
            "1 when the last audit answered an event socket overflow.",
            u64::from(agent.answered.overrun),
        ),
    ] {
        family(out, name, help);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// `# HELP` and `# TYPE` of a gauge. The help texts are constants without
/// backslashes or line feeds, the two characters HELP would need escaped.
fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

/// The same for a counter (its name ends in `_total`).
fn counter_family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
}

/// A label value: `\`, `"` and a line feed escaped as the format requires.
fn label(s: &str) -> String {
    let s = escape_controls(s, |c| c == '\n');
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_what_the_format_requires() {
        assert_eq!(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(label("esc\u{1b}é"), "esc\\\\u{1b}é");
    }
}
