//! An audit: read the host, answer the route lookups the policies ask for,
//! decide which policies apply, evaluate their checks.

use crate::check;
use crate::collect::{self, Scope};
use crate::finding::{Audit, Finding, Status};
use crate::policy::{Applicability, Policy};
use crate::source::Source;

pub fn run(source: &Source, policies: &[Policy]) -> Audit {
    let mut snapshot = collect::snapshot(source, Scope::ALL);
    let flows = check::flows(policies.iter().flat_map(|p| &p.checks));
    snapshot.route_lookups = collect::route_lookups(source, &snapshot, &flows);
    // Mount probes and file reads only for the policies that apply: each
    // may cost its time limit on a host with a hung mount.
    let applying: Vec<&Policy> = policies
        .iter()
        .filter(|p| p.applies_to.decide(&snapshot) == Applicability::Applies)
        .collect();
    let checks = || applying.iter().flat_map(|p| &p.checks);
    let probes = check::mount_probes(checks(), &snapshot);
    snapshot.storage.mount_probes = collect::mount_probes(source, &probes);
    let files = check::file_requests(checks());
    snapshot.storage.files = collect::file_facts(source, &snapshot, &files);

    let mut findings = Vec::new();
    let mut notes = Vec::new();
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
    ] {
        if let Some(m) = missing {
            notes.push(format!("{part} could not be read: {m}"));
        }
    }
    Audit {
        host: snapshot
            .host
            .hostname
            .known()
            .cloned()
            .unwrap_or_else(|| "(unknown host)".into()),
        source: if source.is_live() {
            "live".into()
        } else {
            source.root().dir().display().to_string()
        },
        policies: policies
            .iter()
            .map(|p| format!("{} ({})", p.name, p.file))
            .collect(),
        findings,
        notes,
    }
}
