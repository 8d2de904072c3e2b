//! Every verdict says why: each cause of an UNKNOWN is named on the
//! summary line of every format, a policy has one identity in every
//! report, and a run that abandoned reads at the deadline is never OK.

use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;

use hostlint::finding::Cause;

use crate::util::{
    audit_json, copy_tree, fixture, hostlint, parse_json, path_str, repo, table_summary, tempdir,
};

const FORMATS: &[&str] = &["table", "nagios", "json", "junit", "prometheus"];

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    path_str(&p).to_owned()
}

fn policy(name: &str) -> String {
    path_str(&repo().join("policies").join(name)).to_owned()
}

/// The line of a report that says the verdict, by format.
fn summary_line(format: &str, out: &str) -> String {
    match format {
        "table" => table_summary(out),
        "nagios" => out.lines().next().unwrap_or_default().to_owned(),
        "json" => {
            let doc = parse_json(out);
            format!("{} {}", doc["cause"], doc["summary"])
        }
        // The errored testcase of the run's own suite.
        "junit" => out
            .split("<testcase classname=\"hostlint\"")
            .nth(1)
            .and_then(|t| t.lines().find(|l| l.contains("<error type=\"UNKNOWN\"")))
            .unwrap_or_default()
            .to_owned(),
        "prometheus" => out
            .lines()
            .find(|l| l.starts_with("hostlint_audit_cause{"))
            .unwrap_or_default()
            .to_owned(),
        _ => unreachable!(),
    }
}

/// Runs `hostlint audit ARGS --format F` for every format and asserts
/// exit 3 and that the summary line names `cause`.
fn assert_cause(args: &[&str], cause: Cause) {
    for format in FORMATS {
        let mut full = vec!["audit"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--format", format]);
        let out = hostlint(&full).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{args:?} {format}:\n{stdout}");
        let line = summary_line(format, &stdout);
        let named = match *format {
            "json" | "prometheus" => cause.as_str(),
            _ => cause.describe(),
        };
        assert!(
            line.contains(named),
            "{args:?} --format {format}: the summary line does not say {named:?}:\n{line}\n{stdout}"
        );
    }
}

#[test]
fn every_unknown_names_its_cause_on_the_summary_line_of_every_format() {
    let dir = tempdir();
    let d = dir.path();
    let typo = write(
        d,
        "typo.yaml",
        "policy: t\nchecks:\n  - id: a\n    link: {select: {name: x}, expect: {sped: 1}}\n",
    );
    let no_checks = write(d, "none.yaml", "policy: none\nchecks: []\n");
    let lb = write(
        d,
        "lb.yaml",
        "policy: lb\napplies_to: {hostname: \"lb-*\"}\nchecks:\n  - id: k\n    kernel: {expect: {tainted: false}}\n",
    );
    // Applies everywhere, checks nothing of its own; what it includes is
    // for load balancers only.
    let wrapper = write(d, "wrapper.yaml", "policy: wrapper\ninclude: lb.yaml\n");
    fs::create_dir(d.join("empty")).unwrap();
    let empty = path_str(&d.join("empty")).to_owned();
    let missing = path_str(&d.join("missing")).to_owned();
    let san = path_str(&fixture("san-healthy")).to_owned();
    let storage = policy("storage-paths.yaml");

    assert_cause(&["-p", &typo, "--root", &san], Cause::InvalidPolicy);
    assert_cause(&["-p", &no_checks, "--root", &san], Cause::InvalidPolicy);
    assert_cause(&["-p", &storage, "--root", &missing], Cause::UnreadableRoot);
    assert_cause(&["-p", &storage, "--root", &empty], Cause::UnreadableRoot);
    assert_cause(&["-p", &lb, "--root", &san], Cause::NoPolicyApplies);
    assert_cause(&["-p", &wrapper, "--root", &san], Cause::NothingChecked);

    // Another run holds the state file's lock (this test, here).
    let state = d.join("state.json");
    let lock = fs::File::create(d.join("state.json.lock")).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    assert_cause(
        &["-p", &storage, "--root", &san, "--state", path_str(&state)],
        Cause::LockHeld,
    );
}

#[test]
fn a_policy_without_checks_is_a_policy_error() {
    let dir = tempdir();
    let p = write(dir.path(), "none.yaml", "policy: none\nchecks: []\n");
    let out = hostlint(&["policy", "check", &p]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none.yaml:2:9: a policy without checks checks nothing"),
        "{err}"
    );
}

#[test]
fn after_an_invalid_policy_the_prometheus_file_says_when_the_run_ended() {
    let dir = tempdir();
    let p = write(dir.path(), "none.yaml", "policy: none\nchecks: []\n");
    let prom = dir.path().join("hostlint.prom");
    let out = hostlint(&[
        "audit",
        "-p",
        &p,
        "--format",
        "prometheus",
        "--output",
        path_str(&prom),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = fs::read_to_string(&prom).unwrap();
    let ended: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("hostlint_last_run_timestamp_seconds "))
        .expect("the timestamp")
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - ended).abs() < 60.0, "ended {ended}, now {now}");
    assert!(
        text.contains("hostlint_audit_cause{cause=\"invalid_policy\"} 1"),
        "{text}"
    );
}

#[test]
fn junit_lists_each_policy_once_and_json_knows_a_policy_by_its_file() {
    let root = fixture("lb-healthy");
    let args = |format: &str| {
        hostlint(&[
            "audit",
            "-p",
            &policy("lb-node.yaml"),
            "-p",
            &policy("bonded-uplink.yaml"),
            "--root",
            path_str(&root),
            "--format",
            format,
        ])
        .output()
        .unwrap()
    };
    let json = parse_json(&String::from_utf8_lossy(&args("json").stdout));
    let files: Vec<&str> = json["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    // lb-node includes baseline: three policies.
    assert_eq!(files.len(), 3, "{files:?}");
    for f in json["findings"].as_array().unwrap() {
        let p = f["policy"].as_str().unwrap();
        assert!(files.contains(&p), "{p} is not one of {files:?}");
    }
    let xml = String::from_utf8_lossy(&args("junit").stdout).into_owned();
    let suites: Vec<&str> = xml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<testsuite name=\""))
        .map(|l| &l[..l.find('"').unwrap()])
        .collect();
    assert_eq!(suites, files, "{xml}");
}

/// lb-healthy with a fact no baseline check judges behind a FIFO nobody
/// writes (the PCIe width of enp65s0f0: a sysfs file behind a stuck
/// driver): the deadline abandons the read, every finding passes.
#[test]
fn a_run_whose_reads_the_deadline_abandoned_is_never_ok() {
    let dir = tempdir();
    let root = dir.path().join("hung");
    copy_tree(&fixture("lb-healthy"), &root);
    let file = root.join("sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/current_link_width");
    fs::remove_file(&file).unwrap();
    let c = std::ffi::CString::new(path_str(&file)).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    let (code, doc) = audit_json(&[
        "-p",
        &policy("baseline.yaml"),
        "--root",
        path_str(&root),
        "--deadline",
        "2s",
    ]);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "PASS"),
        "{doc}"
    );
    assert_eq!(doc["run"]["deadline_exceeded"], true, "{doc}");
    assert_eq!(doc["cause"], "deadline_exceeded", "{doc}");
    assert_eq!(code, 3, "{doc}");
}

#[test]
fn the_table_of_causes_in_the_docs_lists_every_cause_with_its_exit_code() {
    let doc = fs::read_to_string(repo().join("docs/policy.md")).unwrap();
    for c in Cause::ALL {
        let row = format!("| `{}` | {} |", c.as_str(), c.verdict().code());
        assert!(
            doc.lines().any(|l| l.starts_with(&row)),
            "docs/policy.md has no row {row:?}"
        );
    }
}

/// A state file hostlint rebuilt is a warning of its own, not a check of
/// the host: beside it, no policy applying is still UNKNOWN, exit 3.
#[test]
fn a_rebuilt_state_file_does_not_hide_that_no_policy_applies() {
    let dir = tempdir();
    let d = dir.path();
    let lb = write(
        d,
        "lb.yaml",
        "policy: lb\napplies_to: {hostname: \"lb-*\"}\nchecks:\n  - id: k\n    kernel: {expect: {tainted: false}}\n",
    );
    let state = d.join("state.json");
    fs::write(&state, "not a state file\n").unwrap();
    let san = fixture("san-healthy");
    let (code, doc) = audit_json(&[
        "-p",
        &lb,
        "--root",
        path_str(&san),
        "--state",
        path_str(&state),
    ]);
    assert_eq!(
        (code, doc["cause"].as_str()),
        (3, Some("no_policy_applies")),
        "{doc}"
    );
    // The warning is still reported.
    assert_eq!(doc["findings"][0]["check"], "state-file", "{doc}");
}

/// What hostlint says of its own run (the state file it rebuilt, the
/// run's cause and notes) is one suite, `hostlint`, not two.
#[test]
fn junit_has_one_suite_for_hostlints_own_run() {
    let dir = tempdir();
    let state = dir.path().join("state.json");
    fs::write(&state, "not a state file\n").unwrap();
    let out = hostlint(&[
        "audit",
        "-p",
        &policy("bonded-uplink.yaml"),
        "--root",
        path_str(&fixture("web-healthy")),
        "--state",
        path_str(&state),
        "--format",
        "junit",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&out.stdout);
    let suites: Vec<&str> = xml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<testsuite name=\""))
        .map(|l| &l[..l.find('"').unwrap()])
        .collect();
    assert_eq!(
        suites,
        [
            path_str(&repo().join("policies/bonded-uplink.yaml")),
            "hostlint"
        ],
        "{xml}"
    );
    let run_suite = xml.split("<testsuite name=\"hostlint\"").nth(1).unwrap();
    assert!(
        run_suite.starts_with(" tests=\"1\" failures=\"1\" errors=\"0\""),
        "{xml}"
    );
    assert!(
        run_suite.contains("<testcase classname=\"state-file\""),
        "{xml}"
    );
}
