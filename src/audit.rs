//! An audit: take the state file's lock, read the host, answer the route
//! lookups the policies ask for, compare counters with the previous run,
//! decide which policies apply, evaluate their checks, leave the counters
//! for the next run.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::check;
use crate::collect::{self, Scope};
use crate::finding::{Audit, Finding, Run, Severity, Status};
use crate::policy::{Applicability, Policy};
use crate::source::Source;
use crate::state::{self, LockError, Previous};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The previous run's counters, and this run's lock.
    pub state: Option<PathBuf>,
    /// The deadline the source was given, reported in the run.
    pub deadline: Option<Duration>,
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn source_name(source: &Source) -> String {
    if source.is_live() {
        "live".into()
    } else {
        source.shown_dir().display().to_string()
    }
}

pub fn run(source: &Source, policies: &[Policy], options: &Options) -> Audit {
    let started = Instant::now();
    let policy_names: Vec<String> = policies
        .iter()
        .map(|p| format!("{} ({})", p.name, p.file))
        .collect();
    let finish = |mut audit: Audit| {
        audit.run.finished_unix = now_unix();
        audit.run.duration_seconds = started.elapsed().as_secs_f64();
        audit.run.deadline_seconds = options.deadline.map(|d| d.as_secs_f64());
        audit
    };

    // A scheduled run that finds the previous one still going leaves at
    // once: waiting behind it is how checkers pile up.
    let _lock = match &options.state {
        Some(path) => match state::lock(path) {
            Ok(lock) => Some(lock),
            Err(e) => {
                let overlapped = matches!(e, LockError::Held(_));
                return finish(Audit {
                    host: "(not read)".into(),
                    source: source_name(source),
                    policies: policy_names,
                    findings: Vec::new(),
                    notes: vec![e.to_string()],
                    run: Run {
                        overlapped,
                        ..Run::default()
                    },
                });
            }
        },
        None => None,
    };

    let mut snapshot = collect::snapshot(source, Scope::ALL);
    let previous = match &options.state {
        Some(path) => state::load(path),
        None => Previous::None,
    };
    if options.state.is_some() {
        snapshot.history = state::history(&previous, &snapshot);
    }
    let flows = check::flows(policies.iter().flat_map(|p| &p.checks));
    snapshot.route_lookups = collect::route_lookups(source, &snapshot, &flows);
    // Mount probes and file reads only for the policies that apply: each
    // may cost its time limit on a host with a hung mount.
    let applying: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.applies_to.decide(&snapshot) == Applicability::Applies)
        .collect();
    let checks = || applying.iter().flat_map(|p| &p.checks);
    // A probe's own limit, but never past the run's deadline.
    let probes: Vec<_> = check::mount_probes(checks(), &snapshot)
        .into_iter()
        .map(|(m, limit)| (m, source.remaining().map_or(limit, |r| limit.min(r))))
        .collect();
    snapshot.storage.mount_probes = collect::mount_probes(source, &probes);
    let files = check::file_requests(checks());
    snapshot.storage.files = collect::file_facts(source, &snapshot, &files);

    let mut findings = Vec::new();
    let mut notes = Vec::new();
    if let (Previous::Unusable(why), Some(path)) = (&previous, &options.state) {
        findings.push(Finding {
            check: "state-file".into(),
            kind: "state",
            severity: Severity::Warning,
            status: Status::Warn,
            subject: path.display().to_string(),
            expected: "the previous run's state".into(),
            observed: why.clone(),
            evidence: vec![path.display().to_string()],
            remediation: "this run rebuilt it; if it happens again, look for another program writing the file".into(),
            policy: "(hostlint)".into(),
        });
    }
    for policy in policies {
        match policy.applies_to.decide(&snapshot) {
            Applicability::Applies => {
                for c in &policy.checks {
                    findings.extend(check::evaluate(c, &snapshot));
                }
            }
            Applicability::Not(why) => {
                notes.push(format!(
                    "policy {} ({}) does not apply: {why}",
                    policy.name, policy.file
                ));
            }
            // Not knowing whether a policy applies is not a reason to pass
            // its checks: each is unknown.
            Applicability::Unknown(why) => {
                for c in &policy.checks {
                    findings.push(Finding {
                        check: c.id.clone(),
                        kind: c.spec.kind(),
                        severity: c.severity,
                        status: Status::Unknown,
                        subject: "(policy)".into(),
                        expected: format!("to know whether policy {} applies", policy.name),
                        observed: why.clone(),
                        evidence: vec![],
                        remediation: "read the fact `applies_to` needs, or run on a host where it can be read".into(),
                        policy: c.policy.clone(),
                    });
                }
            }
        }
    }
    if findings.is_empty() {
        notes.push("no policy applies to this host: nothing was checked".into());
    }
    for (part, missing) in [
        ("links", snapshot.links.missing()),
        ("routes", snapshot.routes.missing()),
        ("rules", snapshot.rules.missing()),
        ("neighbours", snapshot.neighbors.missing()),
        ("bonds", snapshot.bonds.missing()),
    ] {
        if let Some(m) = missing {
            notes.push(format!("{part} could not be read: {m}"));
        }
    }
    let abandoned = source.abandoned();
    if !abandoned.is_empty() {
        notes.push(format!(
            "the deadline abandoned {} read(s): {}",
            abandoned.len(),
            abandoned.join(", ")
        ));
    }
    if let Some(path) = &options.state {
        match state::of(&snapshot) {
            Some(next) => {
                if let Err(e) = state::save(path, &next) {
                    notes.push(format!("the state could not be saved: {e}"));
                }
            }
            None => notes.push("the state was not saved: the uptime could not be read".into()),
        }
    }
    finish(Audit {
        host: snapshot
            .host
            .hostname
            .known()
            .cloned()
            .unwrap_or_else(|| "(unknown host)".into()),
        source: source_name(source),
        policies: policy_names,
        findings,
        notes,
        run: Run {
            deadline_exceeded: !abandoned.is_empty(),
            ..Run::default()
        },
    })
}
