//! An audit reads what its policies need and nothing else: a policy about
//! links dumps no routing table, one without storage checks reads no
//! storage. The decision must be exact: on every fixture, for every check
//! kind, the shipped policies and `applies_to` conditions on every part,
//! the audit that reads only what it needs gives the result of the audit
//! that reads everything.

use std::fs;
use std::path::{Path, PathBuf};

use hostlint::audit::{self, Options};
use hostlint::check::KINDS;
use hostlint::collect::Scope;
use hostlint::finding::Audit;
use hostlint::policy::{self, Policy};
use hostlint::source::Source;

use crate::util::{copy_tree, fixture, repo, tempdir};

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn load(dir: &Path, name: &str, text: &str) -> Vec<Policy> {
    let path = dir.join(format!("{name}.yaml"));
    fs::write(&path, text).unwrap();
    policy::load(&[path]).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// The example of each check kind, as a policy of its own.
fn kind_policies(dir: &Path) -> Vec<(String, Vec<Policy>)> {
    KINDS
        .iter()
        .map(|k| {
            let checks: String = k.example.lines().map(|l| format!("  {l}\n")).collect();
            let text = format!("policy: {0}-example\nchecks:\n{checks}", k.name);
            (k.name.to_owned(), load(dir, k.name, &text))
        })
        .collect()
}

/// A policy that applies only when a fact of `path` is `value`, with one
/// check that reads nothing of the host itself.
fn applies_to_policy(dir: &Path, n: usize, path: &str, value: &str) -> (String, Vec<Policy>) {
    let text = format!(
        "policy: facts-{n}\napplies_to:\n  facts: {{ \"{path}\": \"{value}\" }}\nchecks:\n  - id: facts-{n}-kernel\n    kernel: {{ expect: {{ tainted: false }} }}\n"
    );
    (
        format!("applies_to {path}"),
        load(dir, &format!("facts-{n}"), &text),
    )
}

fn shipped(name: &str) -> (String, Vec<Policy>) {
    let path = repo().join("policies").join(name);
    (name.to_owned(), policy::load(&[path]).unwrap())
}

/// The audit without what differs from run to run (when it ran, how long).
fn comparable(a: &Audit) -> String {
    format!(
        "host {}\nsource {}\npolicies {:?}\nfindings {:#?}\nnotes {:#?}\ndeadline exceeded {}\nrefused {:?}",
        a.host, a.source, a.policies, a.findings, a.notes, a.run.deadline_exceeded, a.refused
    )
}

#[test]
fn reading_what_the_policies_need_gives_the_audit_of_reading_everything() {
    let dir = tempdir();
    let mut cases = kind_policies(dir.path());
    for name in [
        "baseline.yaml",
        "lb-node.yaml",
        "bonded-uplink.yaml",
        "storage-paths.yaml",
    ] {
        cases.push(shipped(name));
    }
    for (n, (path, value)) in [
        ("host.hostname", "lb-*"),
        ("links.*.driver.driver", "ixgbe"),
        ("bonds.*.mode", "802.3ad"),
        ("routes.ipv4.*.dev", "bond0"),
        ("rules.*.table", "100"),
        ("neighbors.*.dev", "bond0"),
        ("storage.multipath.*.name", "mpatha"),
        ("storage.mounts.*.fstype", "nfs4"),
        ("storage.md.*.name", "md0"),
        ("storage.dm.*.name", "mpatha"),
        ("infiniband.*.hca_type", "MT4123"),
        ("storage.fc_hosts.*.port_state", "Online"),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(applies_to_policy(dir.path(), n, path, value));
    }
    let mut compared = 0;
    for fx in fixtures() {
        let name = fx.file_name().unwrap().to_string_lossy().into_owned();
        crate::scenarios::prepare(&name);
        for (what, policies) in &cases {
            let source = Source::fixture(&fx).unwrap();
            let scoped = audit::run(&source, policies, &Options::default());
            let source = Source::fixture(&fx).unwrap();
            let full = audit::run_reading(&source, policies, &Options::default(), Scope::ALL);
            assert_eq!(
                comparable(&scoped),
                comparable(&full),
                "{name}, {what}: the audit that read what it needs differs from the one that read everything"
            );
            compared += 1;
        }
    }
    assert!(compared >= 17 * (KINDS.len() + 4 + 12), "{compared}");
}

fn needs(text: &str, live: bool) -> Scope {
    let dir = tempdir();
    audit::needs(&load(dir.path(), "p", text), live)
}

#[test]
fn each_kind_reads_its_own_part() {
    let link = needs(
        "policy: p\nchecks:\n  - id: up\n    link: { select: { name: 'eth*' }, expect: { operstate: up } }\n",
        true,
    );
    assert_eq!(link, Scope::HOST.union(Scope::LINKS).union(Scope::BONDS));

    // Addresses live are asked of the kernel: no table, no rules.
    let lookups = "policy: p\nchecks:\n  - id: r\n    route: { to: [203.0.113.7, \"2001:db8::1\"], egress: { name: eth0 } }\n";
    assert_eq!(needs(lookups, true), Scope::HOST.union(Scope::LINKS));
    // A fixture has no kernel: the tables answer.
    let tables = needs(lookups, false);
    assert!(
        tables.route_table && tables.rules && !tables.neighbors,
        "{tables:?}"
    );
    // A prefix is resolved through the tables even live; a gateway's
    // reachability needs the neighbours.
    let prefix = needs(
        "policy: p\nchecks:\n  - id: r\n    route: { to: 0.0.0.0/0, gateway_reachable: true }\n",
        true,
    );
    assert!(prefix.route_table && prefix.rules && prefix.neighbors && prefix.links);
    assert_eq!(prefix.storage, Scope::NONE.storage);

    let storage = needs(
        &fs::read_to_string(repo().join("policies/storage-paths.yaml")).unwrap(),
        true,
    );
    assert!(!storage.route_table && !storage.rules && !storage.neighbors);
    assert!(storage.storage.multipath && storage.storage.block && storage.storage.mounts);

    let kernel = needs(
        "policy: p\nchecks:\n  - id: k\n    kernel: { expect: { tainted: false } }\n",
        true,
    );
    assert_eq!(kernel, Scope::HOST);
    let lldp = needs(
        "policy: p\napplies_to: { facts: { \"lldp.*.system_name\": sw1 } }\nchecks:\n  - id: k\n    kernel: { expect: { tainted: false } }\n",
        true,
    );
    assert_eq!(lldp, Scope::HOST.union(Scope::LLDP));
    // A fact path into a part this hostlint does not know (policies are
    // checked against the document's schema, so one only a newer snapshot
    // has) reads all.
    assert_eq!(Scope::of_fact_path("tape.*.state"), Scope::ALL);
    assert_eq!(Scope::of_fact_path("infiniband.*.hca_type"), Scope::LINKS);
    assert_eq!(Scope::of_fact_path("storage.tape.*.state"), Scope::STORAGE);
}

/// A fixture whose route file is damaged: an audit about links does not
/// read it (no note, every finding as on the intact host); one about
/// routes does, and says so.
#[test]
fn an_audit_about_links_does_not_read_the_routes() {
    let tmp = tempdir();
    let copy = tmp.path().join("lb");
    copy_tree(&fixture("lb-healthy"), &copy);
    fs::write(copy.join("cmd/ip-route-4.json"), "[{\"dst\": ").unwrap();
    let links = load(
        tmp.path(),
        "links",
        "policy: links\nchecks:\n  - id: up\n    link: { select: { name: 'en*' }, expect: { operstate: up } }\n",
    );
    let damaged = audit::run(
        &Source::fixture(&copy).unwrap(),
        &links,
        &Options::default(),
    );
    let intact = audit::run(
        &Source::fixture(&fixture("lb-healthy")).unwrap(),
        &links,
        &Options::default(),
    );
    assert!(damaged.notes.is_empty(), "{:?}", damaged.notes);
    let judged = |a: &Audit| -> Vec<(String, String, String)> {
        a.findings
            .iter()
            .map(|f| {
                (
                    f.subject.clone(),
                    format!("{:?}", f.status),
                    f.observed.clone(),
                )
            })
            .collect()
    };
    assert_eq!(judged(&damaged), judged(&intact));
    assert!(!damaged.findings.is_empty());

    let routes = load(
        tmp.path(),
        "routes",
        "policy: routes\nchecks:\n  - id: r\n    route: { to: 0.0.0.0/0, egress: { name: bond0 } }\n",
    );
    let read = audit::run(
        &Source::fixture(&copy).unwrap(),
        &routes,
        &Options::default(),
    );
    assert!(
        read.notes
            .iter()
            .any(|n| n.starts_with("routes could not be read: malformed")),
        "{:?}",
        read.notes
    );
    assert_eq!(read.findings[0].status, hostlint::finding::Status::Unknown);
}
