//! Check kinds: the registry, each kind declared once with its
//! documentation, example and default severity, and the evaluation of
//! validated checks against a snapshot. No I/O: a check reads the snapshot
//! and produces findings.

pub mod ata;
pub mod bond;
pub mod cabling;
pub mod fc;
pub mod file;
pub mod infiniband;
pub mod iscsi;
pub mod kernel;
pub mod link;
pub mod mdraid;
pub mod mount;
pub mod multipath;
pub mod nvme;
pub mod route;
pub mod sas;
mod select;

use std::fmt::Display;

use crate::collect::resolve::Flow;
use crate::collect::{Scope, StorageScope};
use crate::finding::{Finding, Severity, Span, Status};
use crate::policy::Check;
use crate::policy::fields::Ctx;
use crate::policy::yaml::Node;
use crate::snapshot::{Fact, Snapshot};

/// One key of a check kind, for `hostlint explain`.
pub struct FieldDoc {
    pub name: &'static str,
    pub doc: &'static str,
}

/// A check kind as `hostlint rules` and `hostlint explain` show it.
pub struct KindDoc {
    pub name: &'static str,
    pub summary: &'static str,
    /// What it checks.
    pub what: &'static str,
    /// Why it matters: the failure it catches.
    pub why: &'static str,
    pub fields: &'static [FieldDoc],
    /// A complete check, as it stands in a policy's `checks:` list.
    pub example: &'static str,
    pub default_severity: Severity,
}

/// Every check kind, in the order `hostlint rules` lists them.
pub const KINDS: &[&KindDoc] = &[
    &link::DOC,
    &route::DOC,
    &bond::DOC,
    &kernel::DOC,
    &multipath::DOC,
    &nvme::DOC,
    &fc::DOC,
    &iscsi::DOC,
    &sas::DOC,
    &ata::DOC,
    &mdraid::DOC,
    &mount::DOC,
    &file::DOC,
    &cabling::DOC,
    &infiniband::DOC,
];

pub fn kind(name: &str) -> Option<&'static KindDoc> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// A validated check body, by kind.
#[derive(Debug, Clone)]
pub enum Spec {
    Link(link::Spec),
    Route(route::Spec),
    Bond(bond::Spec),
    Kernel(kernel::Spec),
    Multipath(multipath::Spec),
    Nvme(nvme::Spec),
    Fc(fc::Spec),
    Iscsi(iscsi::Spec),
    Sas(sas::Spec),
    Ata(ata::Spec),
    Mdraid(mdraid::Spec),
    Mount(mount::Spec),
    File(file::Spec),
    Cabling(cabling::Spec),
    Infiniband(infiniband::Spec),
}

impl Spec {
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Link(_) => link::DOC.name,
            Spec::Route(_) => route::DOC.name,
            Spec::Bond(_) => bond::DOC.name,
            Spec::Kernel(_) => kernel::DOC.name,
            Spec::Multipath(_) => multipath::DOC.name,
            Spec::Nvme(_) => nvme::DOC.name,
            Spec::Fc(_) => fc::DOC.name,
            Spec::Iscsi(_) => iscsi::DOC.name,
            Spec::Sas(_) => sas::DOC.name,
            Spec::Ata(_) => ata::DOC.name,
            Spec::Mdraid(_) => mdraid::DOC.name,
            Spec::Mount(_) => mount::DOC.name,
            Spec::File(_) => file::DOC.name,
            Spec::Cabling(_) => cabling::DOC.name,
            Spec::Infiniband(_) => infiniband::DOC.name,
        }
    }
}

/// Reads the body of a check of `kind`.
pub fn parse_spec(ctx: &mut Ctx, kind: &str, node: &Node) -> Option<Spec> {
    match kind {
        "link" => link::parse(ctx, node).map(Spec::Link),
        "route" => route::parse(ctx, node).map(Spec::Route),
        "bond" => bond::parse(ctx, node).map(Spec::Bond),
        "kernel" => kernel::parse(ctx, node).map(Spec::Kernel),
        "multipath" => multipath::parse(ctx, node).map(Spec::Multipath),
        "nvme" => nvme::parse(ctx, node).map(Spec::Nvme),
        "fc" => fc::parse(ctx, node).map(Spec::Fc),
        "iscsi" => iscsi::parse(ctx, node).map(Spec::Iscsi),
        "sas" => sas::parse(ctx, node).map(Spec::Sas),
        "ata" => ata::parse(ctx, node).map(Spec::Ata),
        "mdraid" => mdraid::parse(ctx, node).map(Spec::Mdraid),
        "mount" => mount::parse(ctx, node).map(Spec::Mount),
        "file" => file::parse(ctx, node).map(Spec::File),
        "cabling" => cabling::parse(ctx, node).map(Spec::Cabling),
        "infiniband" => infiniband::parse(ctx, node).map(Spec::Infiniband),
        _ => None,
    }
}

/// What evaluating `check` reads of the host: the parts of the snapshot an
/// audit must collect for it, and no more. `live`: an address is then asked
/// of the kernel, so a route check about addresses alone needs no route
/// table.
pub fn reads(check: &Check, live: bool) -> Scope {
    let storage = |storage: StorageScope| Scope {
        storage,
        ..Scope::NONE
    };
    let none = StorageScope::NONE;
    match &check.spec {
        // A link's bond mode (`bond_mode`) is its bond's.
        Spec::Link(_) => Scope::LINKS.union(Scope::BONDS),
        Spec::Route(r) => r.reads(live),
        Spec::Bond(_) => Scope::BONDS,
        Spec::Kernel(_) => Scope::HOST,
        // A map's paths are judged with their block devices' SCSI facts.
        Spec::Multipath(_) => storage(StorageScope {
            block: true,
            multipath: true,
            ..none
        }),
        Spec::Nvme(_) => storage(StorageScope { nvme: true, ..none }),
        Spec::Fc(_) => storage(StorageScope {
            fc_hosts: true,
            ..none
        }),
        Spec::Iscsi(_) => storage(StorageScope {
            iscsi: true,
            ..none
        }),
        Spec::Sas(_) => storage(StorageScope {
            sas_phys: true,
            ..none
        }),
        Spec::Ata(_) => storage(StorageScope {
            ata_links: true,
            ..none
        }),
        Spec::Mdraid(_) => storage(StorageScope {
            block: true,
            md: true,
            ..none
        }),
        Spec::Mount(_) => storage(StorageScope {
            mounts: true,
            ..none
        }),
        // The file is read on its own after the snapshot (`file_requests`).
        Spec::File(_) => Scope::NONE,
        // The neighbours heard on each port, the ports themselves, the
        // bonds a plan puts on two switches, the host's name in the plan.
        Spec::Cabling(_) => Scope {
            links: true,
            lldp: true,
            bonds: true,
            ..Scope::HOST
        },
        // A RoCE port's rate is judged on its network device's link modes.
        Spec::Infiniband(_) => Scope::LINKS,
    }
}

/// The route lookups the checks need answered before they are evaluated,
/// each once, in the order the checks ask.
pub fn flows<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Vec<Flow> {
    let mut out: Vec<Flow> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for check in checks {
        if let Spec::Route(r) = &check.spec {
            out.extend(r.flows().into_iter().filter(|f| seen.insert(*f)));
        }
    }
    out
}

pub fn evaluate(check: &Check, snapshot: &Snapshot) -> Vec<Finding> {
    match &check.spec {
        Spec::Link(s) => link::evaluate(check, s, snapshot),
        Spec::Route(s) => route::evaluate(check, s, snapshot),
        Spec::Bond(s) => bond::evaluate(check, s, snapshot),
        Spec::Kernel(s) => kernel::evaluate(check, s, snapshot),
        Spec::Multipath(s) => multipath::evaluate(check, s, snapshot),
        Spec::Nvme(s) => nvme::evaluate(check, s, snapshot),
        Spec::Fc(s) => fc::evaluate(check, s, snapshot),
        Spec::Iscsi(s) => iscsi::evaluate(check, s, snapshot),
        Spec::Sas(s) => sas::evaluate(check, s, snapshot),
        Spec::Ata(s) => ata::evaluate(check, s, snapshot),
        Spec::Mdraid(s) => mdraid::evaluate(check, s, snapshot),
        Spec::Mount(s) => mount::evaluate(check, s, snapshot),
        Spec::File(s) => file::evaluate(check, s, snapshot),
        Spec::Cabling(s) => cabling::evaluate(check, s, snapshot),
        Spec::Infiniband(s) => infiniband::evaluate(check, s, snapshot),
    }
}

/// The mount points the checks want probed, with the limit for each:
/// decided on the snapshot's mounts, since a pattern names mounts only
/// once they are read.
pub fn mount_probes<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
    snapshot: &Snapshot,
) -> Vec<(String, std::time::Duration)> {
    let mut out = Vec::new();
    for check in checks {
        if let Spec::Mount(m) = &check.spec {
            out.extend(mount::probes(m, snapshot));
        }
    }
    out
}

/// The files the checks want read.
pub fn file_requests<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
) -> Vec<crate::collect::FileRequest> {
    checks
        .into_iter()
        .filter_map(|c| match &c.spec {
            Spec::File(f) => Some(f.request()),
            _ => None,
        })
        .collect()
}

/// One expectation judged on one subject.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// `Some(true)` met, `Some(false)` not met, `None` could not be judged.
    pub ok: Option<bool>,
    pub expected: String,
    pub observed: String,
    pub evidence: Vec<String>,
    pub remediation: &'static str,
}

impl Judgement {
    /// Judges a fact: unknown facts give an unjudged expectation, with the
    /// reason as what was observed.
    pub fn of<T>(
        what: &str,
        fact: &Fact<T>,
        expected: impl Display,
        evidence: impl Into<String>,
        remediation: &'static str,
        test: impl FnOnce(&T) -> bool,
        show: impl FnOnce(&T) -> String,
    ) -> Judgement {
        let (ok, observed) = match fact {
            Fact::Known(v) => (Some(test(v)), format!("{what} {}", show(v))),
            Fact::Unknown(m) => (None, format!("{what} unknown: {} ({})", m.reason, m.detail)),
        };
        Judgement {
            ok,
            expected: format!("{what} {expected}"),
            observed,
            evidence: vec![evidence.into()],
            remediation,
        }
    }

    /// A text fact against a text matcher.
    pub fn text(
        what: &str,
        fact: &Fact<String>,
        m: &crate::policy::matcher::Text,
        evidence: impl Into<String>,
        remediation: &'static str,
    ) -> Judgement {
        Judgement::of(
            what,
            fact,
            m,
            evidence,
            remediation,
            |v| m.matches(v),
            String::clone,
        )
    }

    /// A yes/no fact against the value wanted.
    pub fn flag(
        what: &str,
        fact: &Fact<bool>,
        want: bool,
        evidence: impl Into<String>,
        remediation: &'static str,
    ) -> Judgement {
        Judgement::of(
            what,
            fact,
            want,
            evidence,
            remediation,
            |v| *v == want,
            |v| v.to_string(),
        )
    }
}

/// The judgements of a counter: its value, and against the previous run its
/// increase and rate. A run without history, or after a reset, cannot
/// judge increases: they are unknown with that reason, never a pass.
pub fn counter_judgements(
    what: &str,
    now: &Fact<u64>,
    key: &str,
    m: &crate::policy::matcher::Counter,
    history: &Fact<crate::snapshot::History>,
    evidence: &str,
    remediation: &'static str,
) -> Vec<Judgement> {
    let mut out = Vec::new();
    if let Some(v) = &m.value {
        out.push(Judgement::of(
            what,
            now,
            v,
            evidence,
            remediation,
            |x| v.matches(*x as f64),
            |x| x.to_string(),
        ));
    }
    let growth = |out: &mut Vec<Judgement>,
                  expected: String,
                  judge: &dyn Fn(u64, f64) -> Option<(bool, String)>| {
        let (ok, observed) = match (now, history) {
            (Fact::Unknown(miss), _) => (None, format!("{what} unknown: {miss}")),
            (_, Fact::Unknown(miss)) => (None, format!("{what}: no increase to judge: {miss}")),
            (Fact::Known(v), Fact::Known(h)) => match h.increase(key, *v) {
                Ok(d) => match judge(d, h.elapsed_seconds) {
                    Some((ok, shown)) => (Some(ok), shown),
                    None => (
                        None,
                        format!("{what}: no time passed since the previous run"),
                    ),
                },
                Err(miss) => (None, format!("{what}: no increase to judge: {miss}")),
            },
        };
        out.push(Judgement {
            ok,
            expected,
            observed,
            evidence: vec![evidence.to_owned()],
            remediation,
        });
    };
    if let Some(max) = m.max_increase {
        growth(
            &mut out,
            format!("{what} to grow by at most {max} between runs"),
            &|d, secs| Some((d as f64 <= max, format!("{what} +{d} in {secs:.0} s"))),
        );
    }
    if let Some(max) = m.max_rate {
        growth(&mut out, format!("{what} at most {max}/s"), &|d, secs| {
            // Runs inside one tick of the uptime clock have no rate.
            (secs > 0.0).then(|| {
                let rate = d as f64 / secs;
                (rate <= max, format!("{what} {rate:.3}/s over {secs:.0} s"))
            })
        });
    }
    out
}

const UNKNOWN_HINT: &str =
    "a fact the check needs could not be read: see what was observed, and read it by hand";

/// The finding for one subject from its judgements: any expectation not
/// met fails it; else any that could not be judged makes it unknown.
pub fn finding(check: &Check, subject: impl Into<String>, judgements: Vec<Judgement>) -> Finding {
    let failed: Vec<&Judgement> = judgements.iter().filter(|j| j.ok == Some(false)).collect();
    let unknown: Vec<&Judgement> = judgements.iter().filter(|j| j.ok.is_none()).collect();
    let (status, shown): (Status, Vec<&Judgement>) = if !failed.is_empty() {
        let status = match check.severity {
            Severity::Critical => Status::Fail,
            Severity::Warning => Status::Warn,
        };
        (status, failed)
    } else if !unknown.is_empty() {
        (Status::Unknown, unknown)
    } else if judgements.is_empty() {
        (Status::Unknown, Vec::new())
    } else {
        (Status::Pass, judgements.iter().collect())
    };
    let mut evidence: Vec<String> = Vec::new();
    for e in judgements.iter().flat_map(|j| &j.evidence) {
        if !evidence.contains(e) {
            evidence.push(e.clone());
        }
    }
    let mut remediation: Vec<&str> = Vec::new();
    if status != Status::Pass {
        for j in &shown {
            let hint = if j.ok.is_none() {
                UNKNOWN_HINT
            } else {
                j.remediation
            };
            if !remediation.contains(&hint) {
                remediation.push(hint);
            }
        }
    }
    let join =
        |f: fn(&Judgement) -> &str| shown.iter().map(|j| f(j)).collect::<Vec<_>>().join("; ");
    let mut failing = Vec::new();
    if status != Status::Pass {
        let mut at = 0;
        for j in &shown {
            let v = value_span(&j.expected, &j.observed);
            failing.push(Span {
                start: at + v.start,
                end: at + v.end,
            });
            at += j.observed.len() + "; ".len();
        }
    }
    Finding {
        check: check.id.clone(),
        kind: check.spec.kind(),
        severity: check.severity,
        status,
        subject: subject.into(),
        expected: if judgements.is_empty() {
            "something to judge".to_owned()
        } else {
            join(|j| &j.expected)
        },
        observed: if judgements.is_empty() {
            "nothing".to_owned()
        } else {
            join(|j| &j.observed)
        },
        evidence,
        failing,
        remediation: remediation.join("; "),
        policy: check.policy.clone(),
    }
}

/// Where the value is in what a judgement observed: after the words it
/// shares with what was expected (`egress eno1 speed` of `egress eno1 speed
/// 1000 Mb/s` against `egress eno1 speed >= 10000 Mb/s`), so a report can
/// highlight the fact itself rather than its name. At least the last word
/// is the value.
pub fn value_span(expected: &str, observed: &str) -> Span {
    let mut start = 0;
    let mut exp = expected.split(' ');
    for word in observed.split(' ') {
        let end = start + word.len();
        if end >= observed.len() || exp.next() != Some(word) {
            break;
        }
        start = end + 1;
    }
    Span {
        start,
        end: observed.len(),
    }
}

/// A selector that matched nothing: never a pass (a typo must not turn into
/// a green audit), unless the check allows it.
pub fn nothing_selected(
    check: &Check,
    what: &str,
    selector: &str,
    evidence: Vec<String>,
) -> Finding {
    let observed = format!("no {what} matched");
    let status = if check.allow_empty {
        Status::Pass
    } else {
        match check.severity {
            Severity::Critical => Status::Fail,
            Severity::Warning => Status::Warn,
        }
    };
    Finding {
        check: check.id.clone(),
        kind: check.spec.kind(),
        severity: check.severity,
        status,
        subject: format!("(no {what})"),
        expected: format!("at least one {what} matching {selector}"),
        failing: if check.allow_empty {
            vec![]
        } else {
            vec![Span::whole(&observed)]
        },
        observed,
        evidence,
        remediation: if check.allow_empty {
            String::new()
        } else {
            format!(
                "correct the selector (a misspelt name selects nothing), or set `allow_empty: true` if no {what} may match"
            )
        },
        policy: check.policy.clone(),
    }
}

/// A finding for a whole part of the host that could not be read.
pub fn unreadable(
    check: &Check,
    subject: &str,
    what: &str,
    m: &crate::snapshot::Missing,
    evidence: Vec<String>,
) -> Finding {
    let expected = format!("{what} to judge");
    let observed = format!("{what} unknown: {} ({})", m.reason, m.detail);
    Finding {
        check: check.id.clone(),
        kind: check.spec.kind(),
        severity: check.severity,
        status: Status::Unknown,
        subject: subject.to_owned(),
        failing: vec![value_span(&expected, &observed)],
        expected,
        observed,
        evidence,
        remediation: UNKNOWN_HINT.to_owned(),
        policy: check.policy.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_what_follows_the_words_shared_with_the_expectation() {
        let value = |e: &str, o: &'static str| {
            let s = value_span(e, o);
            &o[s.start..s.end]
        };
        assert_eq!(
            value(
                "egress eno1 speed >= 10000 Mb/s",
                "egress eno1 speed 1000 Mb/s"
            ),
            "1000 Mb/s"
        );
        assert_eq!(
            value("pcie 8 GT/s x8 (the lowest maximum)", "pcie 8 GT/s x4"),
            "x4"
        );
        assert_eq!(
            value(
                "speed 10000 Mb/s",
                "speed unknown: link_down (eno2 is down)"
            ),
            "unknown: link_down (eno2 is down)"
        );
        // The last word is the value even when every word is shared.
        assert_eq!(value("mode 802.3ad", "mode 802.3ad"), "802.3ad");
        assert_eq!(value("", "no link matched"), "no link matched");
        assert_eq!(value("x", ""), "");
    }

    #[test]
    fn a_failing_finding_marks_the_facts_not_met_in_what_it_observed() {
        let judged = |ok, expected: &str, observed: &str| Judgement {
            ok,
            expected: expected.into(),
            observed: observed.into(),
            evidence: vec![],
            remediation: "",
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.yaml");
        std::fs::write(
            &path,
            "policy: p\nchecks:\n  - id: c\n    kernel: { expect: { pstore_records: 0 } }\n",
        )
        .unwrap();
        let policy = crate::policy::load(&[path]).unwrap();
        let check = &policy[0].checks[0];
        let f = finding(
            check,
            "eth0",
            vec![
                judged(Some(true), "duplex full", "duplex full"),
                judged(Some(false), "speed >= 10000 Mb/s", "speed 1000 Mb/s"),
                judged(Some(false), "onboard false", "onboard true (SMBIOS)"),
            ],
        );
        assert_eq!(f.observed, "speed 1000 Mb/s; onboard true (SMBIOS)");
        let marked: Vec<&str> = f
            .failing
            .iter()
            .map(|s| &f.observed[s.start..s.end])
            .collect();
        assert_eq!(marked, ["1000 Mb/s", "true (SMBIOS)"]);
        let pass = finding(
            check,
            "eth0",
            vec![judged(Some(true), "duplex full", "duplex full")],
        );
        assert!(pass.failing.is_empty());
    }

    #[test]
    fn kind_names_are_unique_and_every_example_is_a_valid_check() {
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
        let dir = tempfile::tempdir().unwrap();
        for k in KINDS {
            let indented: String = k.example.lines().map(|l| format!("  {l}\n")).collect();
            let path = dir.path().join(format!("{}.yaml", k.name));
            std::fs::write(&path, format!("policy: example\nchecks:\n{indented}")).unwrap();
            let policies =
                crate::policy::load(&[path]).unwrap_or_else(|e| panic!("{}: {e:?}", k.name));
            assert_eq!(policies[0].checks[0].spec.kind(), k.name);
        }
    }
}
