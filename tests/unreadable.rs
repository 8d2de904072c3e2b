//! An unreadable fact is never a FAIL and never a PASS. Every file of a
//! healthy fixture is made unreadable in turn (EIO through the manifest's
//! `read_errors`, as a capture records a read the kernel refused), and the
//! audit of every check kind is asserted: each check that still passes did
//! not need the file, each that changed is UNKNOWN, none fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hostlint::check::KINDS;
use hostlint::finding::{Audit, Cause, Status};
use hostlint::policy::{self, Policy};
use hostlint::source::{Deadline, Source};

use crate::util::{copy_tree, fixture, parse_json, repo, tempdir};

/// One check per field of every check kind, met by san-healthy...
const EVERY_EXPECTATION: &str = "tests/data/every-expectation.yaml";
/// ... and those san-healthy cannot meet (it holds no LLDP neighbours),
/// met by lb-healthy.
const EVERY_EXPECTATION_LB: &str = "tests/data/every-expectation-lb.yaml";

/// Fields of a kind that say which subjects a check is about or how to
/// read them, not what is judged: a selector's facts are covered by the
/// `KIND.select` checks.
const NOT_JUDGED: &[&str] = &[
    "select", "name", "target", "path", "to", "from", "fwmark", "limit",
];

/// Mount points the policies probe: an error there is the mount's answer
/// (a stale NFS handle, EIO from a dying disk), a fact that fails the
/// check, not a fact that could not be read.
const PROBED: &[&str] = &["srv/clusterconf", "srv/shared"];

/// How often an audit refused for a held lock is run again, 20 ms apart.
const LOCK_ATTEMPTS: usize = 250;

/// Fields no healthy fixture can meet, and why.
const NOT_COVERED: &[(&str, &str)] = &[
    (
        "bond.active_member",
        "only active-backup, tlb and alb bonds have an active member; the fixtures' bond is 802.3ad",
    ),
    (
        "bond.primary",
        "only active-backup, tlb and alb bonds have a primary; the fixtures' bond is 802.3ad",
    ),
    (
        "link.phys_switch_id",
        "only a switchdev port has a switch id; no fixture's link is one",
    ),
];

fn load(paths: &[&str]) -> Vec<Policy> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| repo().join(p)).collect();
    policy::load(&paths).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A finding's check and subject.
type Key = (String, String);

/// Findings by (check, subject) with their status.
type Statuses = BTreeMap<Key, Status>;

fn statuses(a: &Audit) -> Statuses {
    let mut out = Statuses::new();
    for f in &a.findings {
        let key = (f.check.clone(), f.subject.clone());
        assert!(
            out.insert(key.clone(), f.status).is_none(),
            "{key:?} reported twice"
        );
    }
    out
}

/// A copy of a fixture whose files can be made unreadable one at a time,
/// with a state file saying the previous run saw the same counters 60 s
/// earlier, so that increases, rates and utilization are judged too.
struct Bench {
    _dir: tempfile::TempDir,
    root: PathBuf,
    manifest: serde_json::Value,
    state: PathBuf,
    state_text: String,
}

impl Bench {
    fn new(name: &str, policies: &[Policy]) -> Bench {
        let dir = tempdir();
        let root = dir.path().join(name);
        copy_tree(&fixture(name), &root);
        let manifest = parse_json(&fs::read_to_string(root.join("manifest.json")).unwrap());
        let state = dir.path().join("state.json");
        let mut bench = Bench {
            _dir: dir,
            root,
            manifest,
            state,
            state_text: String::new(),
        };
        bench.audit(policies, None);
        let mut s = parse_json(&fs::read_to_string(&bench.state).unwrap());
        let uptime = s["uptime_seconds"].as_f64().unwrap();
        s["uptime_seconds"] = serde_json::json!(uptime - 60.0);
        bench.state_text = serde_json::to_string(&s).unwrap();
        bench
    }

    /// The audit with `unreadable` failing with EIO. A run refused or cut
    /// short by the deadline judged nothing, and counting its missing
    /// findings as "nothing became UNKNOWN" is how the sweep's result came
    /// to change with the machine's load: such a run is retried (a held
    /// lock) or fails the test (the deadline).
    fn audit(&self, policies: &[Policy], unreadable: Option<&str>) -> Audit {
        let mut m = self.manifest.clone();
        if let Some(rel) = unreadable {
            m["read_errors"][rel] = "EIO".into();
        }
        fs::write(self.root.join("manifest.json"), m.to_string()).unwrap();
        for _ in 0..LOCK_ATTEMPTS {
            if !self.state_text.is_empty() {
                fs::write(&self.state, &self.state_text).unwrap();
            }
            let deadline = Duration::from_secs(20);
            let source = Source::open(&self.root)
                .unwrap()
                .with_deadline(Deadline::after(deadline));
            let options = hostlint::audit::Options {
                state: Some(self.state.clone()),
                deadline: Some(deadline),
            };
            let audit = hostlint::audit::run(&source, policies, &options);
            match &audit.refused {
                // Only this bench locks its state file, but the lock is
                // an open file that a child another test is spawning
                // shares until it execs: it is released in a moment.
                Some(r) if r.cause == Cause::LockHeld => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Some(r) => panic!("{unreadable:?}: the audit was refused: {r:?}"),
                None => {}
            }
            assert!(
                !audit.run.deadline_exceeded,
                "{unreadable:?}: the deadline cut the audit short (the machine is too busy \
                 for a result that does not depend on it): {:?}",
                audit.notes
            );
            return audit;
        }
        panic!("{unreadable:?}: the state's lock stayed held for {LOCK_ATTEMPTS} attempts")
    }

    /// Every file, directory and symlink of the fixture, relative to it,
    /// but the manifest and what describes the fixture.
    fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.root, &self.root, &mut out);
        out.retain(|f| {
            f != "manifest.json"
                && !f.starts_with("expected")
                && f != "README.md"
                && !PROBED.contains(&f.as_str())
        });
        out.sort();
        out
    }
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if e.file_type().unwrap().is_dir() {
            walk(base, &e.path(), out);
        }
        out.push(rel);
    }
}

/// Makes each file unreadable in turn, on as many threads as there are
/// cores. Returns, for each finding, the files that made it UNKNOWN;
/// panics on any finding that an unreadable file turned into anything but
/// UNKNOWN.
fn sweep(name: &str, policies: &[Policy]) -> BTreeMap<Key, Vec<String>> {
    let first = Bench::new(name, policies);
    let healthy = statuses(&first.audit(policies, None));
    let not_passing: Vec<_> = healthy
        .iter()
        .filter(|(_, s)| **s != Status::Pass)
        .collect();
    assert!(
        not_passing.is_empty(),
        "{name} is not healthy: {not_passing:?}"
    );
    let files = first.files();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = files.len().div_ceil(threads);
    let results = std::thread::scope(|s| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let bench = Bench::new(name, policies);
                    let mut unknown = Vec::new();
                    let mut wrong = Vec::new();
                    for file in part {
                        for (key, status) in statuses(&bench.audit(policies, Some(file))) {
                            match status {
                                Status::Pass => {}
                                Status::Unknown => unknown.push((file.clone(), key)),
                                other => wrong.push(format!("{file}: {key:?} {}", other.as_str())),
                            }
                        }
                    }
                    (unknown, wrong)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    let mut made_unknown: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (unknown, w) in results {
        for (file, key) in unknown {
            made_unknown.entry(key).or_default().push(file);
        }
        wrong.extend(w);
    }
    for files in made_unknown.values_mut() {
        files.sort();
    }
    assert!(
        wrong.is_empty(),
        "{name}: an unreadable file failed a check:\n{}",
        wrong.join("\n")
    );
    made_unknown
}

/// The report of a sweep, for its golden file: each check, each subject,
/// and the files whose being unreadable made it UNKNOWN.
fn report(policies: &[Policy], made_unknown: &BTreeMap<Key, Vec<String>>) -> String {
    let mut out = String::new();
    for c in policies.iter().flat_map(|p| &p.checks) {
        let found: Vec<_> = made_unknown
            .iter()
            .filter(|((check, _), _)| *check == c.id)
            .collect();
        assert!(
            !found.is_empty(),
            "no unreadable file made {} UNKNOWN",
            c.id
        );
        out.push_str(&format!("{}\n", c.id));
        for ((_, subject), files) in found {
            out.push_str(&format!("  {subject}\n"));
            for f in files {
                out.push_str(&format!("    {f}\n"));
            }
        }
    }
    out
}

#[test]
fn every_check_kind_is_unknown_never_fail_or_pass_when_its_fact_is_unreadable() {
    let policies = load(&[EVERY_EXPECTATION, "policies/storage-paths.yaml"]);
    // The two policies cover every judged field of every kind.
    let lb = load(&[EVERY_EXPECTATION_LB]);
    let ids: BTreeSet<&str> = [&policies[0], &lb[0]]
        .iter()
        .flat_map(|p| &p.checks)
        .map(|c| c.id.as_str())
        .collect();
    for k in KINDS {
        for f in k.fields.iter().filter(|f| !NOT_JUDGED.contains(&f.name)) {
            let id = format!("{}.{}", k.name, f.name.trim_start_matches("expect."));
            if NOT_COVERED.iter().any(|(n, _)| *n == id) {
                continue;
            }
            assert!(
                ids.contains(id.as_str()),
                "{EVERY_EXPECTATION} or {EVERY_EXPECTATION_LB} lacks a check {id}"
            );
        }
    }
    let made_unknown = sweep("san-healthy", &policies);
    insta::assert_snapshot!(report(&policies, &made_unknown));
}

#[test]
fn the_load_balancer_policies_are_unknown_never_fail_when_a_fact_is_unreadable() {
    let policies = load(&[
        "policies/lb-node.yaml",
        "policies/bonded-uplink.yaml",
        "policies/lb-cabling.yaml",
        EVERY_EXPECTATION_LB,
    ]);
    let made_unknown = sweep("lb-healthy", &policies);
    insta::assert_snapshot!(report(&policies, &made_unknown));
}

#[test]
fn a_sweep_audit_refused_for_a_held_lock_is_run_again_not_counted_as_nothing_unknown() {
    let policies = load(&["policies/storage-paths.yaml"]);
    let bench = Bench::new("san-healthy", &policies);
    // The lock held from another descriptor for a moment, as a child of
    // another test holds it between fork and exec.
    let lock = hostlint::state::lock(&bench.state).unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(lock);
    });
    let audit = bench.audit(&policies, Some("sys/class/sas_phy/phy-2:5"));
    release.join().unwrap();
    let s = statuses(&audit);
    assert_eq!(
        s.get(&("sas-links-clean".to_owned(), "phy-2:5".to_owned())),
        Some(&Status::Unknown),
        "{s:?}"
    );
}

/// A copy of the fixture `name` with `rel` unreadable: EIO in the
/// manifest, or a FIFO no one writes (a sysfs file behind a stuck driver,
/// abandoned at the deadline).
fn with_unreadable(name: &str, dir: &Path, rel: &str, fifo: bool) -> PathBuf {
    let root = dir.join(name);
    copy_tree(&fixture(name), &root);
    if fifo {
        let file = root.join(rel);
        fs::remove_file(&file).unwrap();
        let c = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    } else {
        let path = root.join("manifest.json");
        let mut m = parse_json(&fs::read_to_string(&path).unwrap());
        m["read_errors"][rel] = "EIO".into();
        fs::write(&path, m.to_string()).unwrap();
    }
    root
}

/// The storage policy's exit code and JSON audit of a copy of the fixture
/// `name` with `rel` unreadable.
fn storage_audit_of(name: &str, rel: &str, fifo: bool) -> (i32, serde_json::Value) {
    let dir = tempdir();
    let root = with_unreadable(name, dir.path(), rel, fifo);
    crate::util::audit_json(&[
        "-p",
        repo().join("policies/storage-paths.yaml").to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--deadline",
        "2s",
    ])
}

/// The storage policy's verdict and the finding of `check` on a copy of
/// san-healthy with `rel` unreadable.
fn storage_audit(rel: &str, fifo: bool, check: &str) -> (i32, serde_json::Value) {
    let (code, doc) = storage_audit_of("san-healthy", rel, fifo);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {doc}"))
        .clone();
    (code, f)
}

#[test]
fn an_unreadable_nvme_ana_or_controller_state_is_unknown_not_critical() {
    const CTL: &str = "sys/devices/virtual/nvme-fabrics/ctl/nvme0";
    for (rel, fifo) in [
        (format!("{CTL}/nvme0c0n1/ana_state"), false),
        (format!("{CTL}/state"), false),
        (format!("{CTL}/nvme0c0n1/ana_state"), true),
    ] {
        let (code, f) = storage_audit(&rel, fifo, "nvme-namespaces-optimized");
        assert_eq!(
            (code, f["status"].as_str()),
            (3, Some("UNKNOWN")),
            "{rel} (FIFO: {fifo}): {f}"
        );
    }
}

#[test]
fn an_iscsi_session_of_unreadable_state_or_target_is_unknown_not_logged_out() {
    const SESSION: &str = "sys/devices/platform/host5/session1/iscsi_session/session1";
    for file in ["state", "targetname"] {
        let (code, f) = storage_audit(&format!("{SESSION}/{file}"), false, "iscsi-sessions-up");
        assert_eq!(code, 3, "{file}: {f}");
        assert_ne!(f["status"], "FAIL", "{file}: {f}");
    }
}

/// A bond read from sysfs (a root without /proc/net/bonding, as a copy of
/// /sys is) with one member's MII status, speed or link failure count
/// unreadable: every expectation on every member is UNKNOWN, not "a member
/// is down" or "slower than 10G" (CRITICAL).
#[test]
fn an_unreadable_fact_of_one_bond_member_is_unknown_not_critical() {
    const MEMBER: &str = "sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/net/enp65s0f0";
    let dir = tempdir();
    let policy = dir.path().join("members.yaml");
    fs::write(
        &policy,
        "policy: members\nchecks:\n  - id: up\n    bond: {name: bond0, expect: {members_up: all}}\n  \
         - id: up-count\n    bond: {name: bond0, expect: {members_up: {min: 2}}}\n  \
         - id: speed\n    bond: {name: bond0, expect: {speed: {min: 10G}}}\n  \
         - id: failures\n    bond: {name: bond0, expect: {link_failures: {max: 5}}}\n",
    )
    .unwrap();
    for file in [
        "bonding_slave/mii_status",
        "speed",
        "bonding_slave/link_failure_count",
    ] {
        let root = dir.path().join("lb");
        if root.exists() {
            fs::remove_dir_all(&root).unwrap();
        }
        copy_tree(&fixture("lb-healthy"), &root);
        let path = root.join("manifest.json");
        let mut m = parse_json(&fs::read_to_string(&path).unwrap());
        m["read_errors"]["proc/net/bonding/bond0"] = "EACCES".into();
        m["read_errors"][format!("{MEMBER}/{file}")] = "EIO".into();
        fs::write(&path, m.to_string()).unwrap();
        let (code, doc) = crate::util::audit_json(&[
            "-p",
            policy.to_str().unwrap(),
            "--root",
            root.to_str().unwrap(),
        ]);
        let statuses: Vec<(&str, &str)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["check"].as_str().unwrap(), f["status"].as_str().unwrap()))
            .collect();
        assert!(
            statuses.iter().all(|(_, s)| *s != "FAIL"),
            "{file}: {statuses:?}"
        );
        assert!(
            statuses.iter().any(|(_, s)| *s == "UNKNOWN"),
            "{file}: {statuses:?}"
        );
        for f in doc["findings"].as_array().unwrap() {
            if f["status"] == "UNKNOWN" {
                let observed = f["observed"].as_str().unwrap();
                assert!(observed.contains("unknown (failed"), "{file}: {f}");
            }
        }
        assert_eq!(code, 3, "{file}: {doc}");
    }
}

/// The incident's loosened array cable (mpatha down to 2 of 4 paths) with
/// another map's device-mapper name or UUID unreadable: that device is
/// UNKNOWN on its own, and mpatha still fails. One unreadable file made
/// every map unknown, so the CRITICAL became a WARNING (other checks) or
/// an UNKNOWN.
#[test]
fn a_known_failure_of_one_map_survives_an_unreadable_device_of_another() {
    const DM: &str = "sys/devices/virtual/block";
    let mut cases: Vec<(String, bool)> = ["dm-1", "dm-2"]
        .iter()
        .flat_map(|dm| ["name", "uuid"].map(|f| (format!("{DM}/{dm}/dm/{f}"), false)))
        .collect();
    cases.push((format!("{DM}/dm-2/dm/uuid"), true));
    for (rel, fifo) in cases {
        let (code, doc) = storage_audit_of("san-array-cable-loose", &rel, fifo);
        let status = |subject: &str| {
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["check"] == "luns-redundant" && f["subject"] == subject)
                .map(|f| f["status"].clone())
        };
        let dm = rel.split('/').nth(4).unwrap();
        assert_eq!(code, 2, "{rel} (FIFO: {fifo}): {doc}");
        assert_eq!(status("mpatha"), Some("FAIL".into()), "{rel}: {doc}");
        assert_eq!(status(dm), Some("UNKNOWN".into()), "{rel}: {doc}");
    }
}
