//! An audit: take the state file's lock, read what the policies need of
//! the host (an audit about links dumps no routing table), answer the route
//! lookups the policies ask for, compare counters with the previous run,
//! decide which policies apply, evaluate their checks, leave the counters
//! for the next run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::check;
use crate::collect::{self, Scope};
use crate::finding::{
    Applies, Audit, Cause, Finding, OWN_FINDINGS, PolicyRef, Refusal, Run, Severity, Span, Status,
};
use crate::policy::{Applicability, Policy};
use crate::snapshot::io_text;
use crate::source::Source;
use crate::state::{self, Lock, LockError, Previous};

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

/// The report of a run that audited nothing, in every format, so that a
/// scheduler reading the file or the status line sees UNKNOWN and why.
/// `started` is when the run began: the report says when it ended.
pub fn refused(
    source: String,
    policies: Vec<PolicyRef>,
    refusal: Refusal,
    notes: Vec<String>,
    started: Instant,
    deadline: Option<Duration>,
) -> Audit {
    Audit {
        host: "(not read)".into(),
        source,
        policies,
        findings: Vec::new(),
        notes,
        run: Run {
            finished_unix: now_unix(),
            duration_seconds: started.elapsed().as_secs_f64(),
            deadline_seconds: deadline.map(|d| d.as_secs_f64()),
            deadline_exceeded: false,
            agent: None,
        },
        refused: Some(refusal),
    }
}

/// The policies given, before they could be read: their files.
pub fn unread_policies(files: &[std::path::PathBuf]) -> Vec<PolicyRef> {
    files
        .iter()
        .map(|f| PolicyRef {
            file: f.display().to_string(),
            name: None,
            applies: None,
        })
        .collect()
}

/// The policies loaded, before it is decided whether they apply.
pub fn policy_refs(policies: &[Policy]) -> Vec<PolicyRef> {
    policies
        .iter()
        .map(|p| PolicyRef {
            file: p.file.clone(),
            name: Some(p.name.clone()),
            applies: None,
        })
        .collect()
}

/// The state file's lock, taken where the run's deadline can abandon it
/// (a state directory on a filesystem that stopped answering).
fn lock_within(source: &Source, path: &Path) -> Result<Lock, LockError> {
    let owned = path.to_owned();
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    let lock = PathBuf::from(lock);
    source
        .bounded(&lock.display().to_string(), move || Ok(state::lock(&owned)))
        .unwrap_or_else(|e| Err(LockError::Io(lock, e)))
}

/// What an audit of `policies` must read of the host: the host facts (the
/// report names the host; `--state` counts time by its uptime), what each
/// policy's `applies_to` looks at, and what each check reads. Every policy
/// counts, applying or not: whether it applies is known only once read.
pub fn needs(policies: &[Policy], live: bool) -> Scope {
    policies.iter().fold(Scope::HOST, |scope, p| {
        p.checks
            .iter()
            .fold(scope.union(p.applies_to.reads()), |s, c| {
                s.union(check::reads(c, live))
            })
    })
}

/// Audits `source` against `policies`, reading only what they need.
pub fn run(source: &Source, policies: &[Policy], options: &Options) -> Audit {
    run_holding(source, policies, options, None, Scope::NONE)
}

/// An audit that reads `scope` of the host as well as what the policies
/// need ([`needs`]). Reading more changes nothing in the result: the tests
/// compare both ways on every fixture.
pub fn run_reading(source: &Source, policies: &[Policy], options: &Options, scope: Scope) -> Audit {
    run_holding(source, policies, options, None, scope)
}

/// An audit by a caller that holds the state file's lock across audits:
/// `hostlint watch` takes it once and keeps it for as long as it runs.
pub fn run_locked(
    source: &Source,
    policies: &[Policy],
    options: &Options,
    held: &state::Lock,
) -> Audit {
    run_holding(source, policies, options, Some(held), Scope::NONE)
}

fn run_holding(
    source: &Source,
    policies: &[Policy],
    options: &Options,
    held: Option<&state::Lock>,
    scope: Scope,
) -> Audit {
    let needed = needs(policies, source.is_live());
    let started = Instant::now();
    let mut refs = policy_refs(policies);
    let refuse = |refs: Vec<PolicyRef>, cause: Cause, detail: String| {
        refused(
            source_name(source),
            refs,
            Refusal { cause, detail },
            Vec::new(),
            started,
            options.deadline,
        )
    };

    // A scheduled run that finds the previous one still going leaves at
    // once: waiting behind it is how checkers pile up.
    let _lock = match (&options.state, held) {
        (Some(_), Some(_)) | (None, _) => None,
        (Some(path), None) => match lock_within(source, path) {
            Ok(lock) => Some(lock),
            Err(e @ LockError::Held(_)) => return refuse(refs, Cause::LockHeld, e.to_string()),
            Err(e) => return refuse(refs, Cause::LockFailed, e.to_string()),
        },
    };

    let mut snapshot = collect::snapshot(source, scope.union(needed));
    // A root that holds none of what the policies need may still hold
    // other parts: only one that holds nothing at all is refused.
    if snapshot.holds_nothing().is_some()
        && let Some(why) = collect::snapshot(source, Scope::ALL).holds_nothing()
    {
        return refuse(
            refs,
            Cause::UnreadableRoot,
            format!(
                "{} holds nothing hostlint reads: {}",
                source_name(source),
                why.detail
            ),
        );
    }
    let previous = match &options.state {
        Some(path) => {
            let owned = path.clone();
            source
                .bounded(&path.display().to_string(), move || Ok(state::load(&owned)))
                .unwrap_or_else(|e| {
                    Previous::Unusable(format!("{}: {}", path.display(), io_text(&e)))
                })
        }
        None => Previous::None,
    };
    if options.state.is_some() {
        snapshot.history = state::history(&previous, &snapshot);
    }
    let flows = check::flows(policies.iter().flat_map(|p| &p.checks));
    snapshot.route_lookups = collect::route_lookups(source, &snapshot, &flows);
    let decided: Vec<Applicability> = policies
        .iter()
        .map(|p| p.applies_to.decide(&snapshot))
        .collect();
    // Mount probes and file reads only for the policies that apply: each
    // may cost its time limit on a host with a hung mount.
    let applying = || {
        policies
            .iter()
            .zip(&decided)
            .filter(|(_, a)| **a == Applicability::Applies)
            .flat_map(|(p, _)| &p.checks)
    };
    let probes = check::mount_probes(applying(), &snapshot);
    snapshot.storage.mount_probes = collect::mount_probes(source, &probes);
    let files = check::file_requests(applying());
    snapshot.storage.files = collect::file_facts(source, &snapshot, &files);
    // Reads that would have started after the deadline were refused: the
    // facts they were for are unknown, whether a check needed them or not.
    let out_of_time = source.remaining().is_some_and(|r| r.is_zero());

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
            failing: vec![Span::whole(why)],
            remediation: "this run rebuilt it; if it happens again, look for another program writing the file".into(),
            policy: OWN_FINDINGS.into(),
        });
    }
    for ((policy, decision), r) in policies.iter().zip(&decided).zip(&mut refs) {
        match decision {
            Applicability::Applies => {
                r.applies = Some(Applies::Yes);
                for c in &policy.checks {
                    findings.extend(check::evaluate(c, &snapshot));
                }
            }
            Applicability::Not(why) => {
                r.applies = Some(Applies::No);
                notes.push(format!(
                    "policy {} ({}) does not apply: {why}",
                    policy.name, policy.file
                ));
            }
            // Not knowing whether a policy applies is not a reason to pass
            // its checks: each is unknown.
            Applicability::Unknown(why) => {
                r.applies = Some(Applies::Unknown);
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
                        failing: vec![Span::whole(why)],
                        remediation: "read the fact `applies_to` needs, or run on a host where it can be read".into(),
                        policy: c.policy.clone(),
                    });
                }
            }
        }
    }
    // Only about the parts the policies needed: the others were not read.
    for (part, needed, missing) in [
        ("links", needed.links, snapshot.links.missing()),
        ("routes", needed.route_table, snapshot.routes.missing()),
        ("rules", needed.rules, snapshot.rules.missing()),
        ("neighbours", needed.neighbors, snapshot.neighbors.missing()),
        ("bonds", needed.bonds, snapshot.bonds.missing()),
    ] {
        if let (true, Some(m)) = (needed, missing) {
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
    } else if out_of_time {
        notes.push("the deadline passed before every fact was read".into());
    }
    if let Some(path) = &options.state {
        match state::of(&snapshot) {
            Some(next) => {
                if let Err(e) = state::save(path, &next) {
                    notes.push(format!("the state could not be saved: {}", io_text(&e)));
                }
            }
            None => notes.push("the state was not saved: the uptime could not be read".into()),
        }
    }
    Audit {
        host: snapshot
            .host
            .hostname
            .known()
            .cloned()
            .unwrap_or_else(|| "(unknown host)".into()),
        source: source_name(source),
        policies: refs,
        findings,
        notes,
        run: Run {
            finished_unix: now_unix(),
            duration_seconds: started.elapsed().as_secs_f64(),
            deadline_seconds: options.deadline.map(|d| d.as_secs_f64()),
            deadline_exceeded: !abandoned.is_empty() || out_of_time,
            agent: None,
        },
        refused: None,
    }
}
