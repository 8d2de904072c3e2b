//! Storage from the command line: `show storage`, the storage check kinds'
//! policy errors, the multipath fallback when the status line is missing,
//! the file check's checksum, mount probes that only run for policies that
//! apply, and fixtures that keep the device-mapper text on re-capture.

use std::fs;
use std::time::{Duration, Instant};

use crate::scenarios::prepare;
use crate::util::{
    copy_tree, fixture, hostlint, parse_json, path_str, run_expect, run_ok, tempdir,
};

/// A policy file in a temporary directory.
fn policy(dir: &std::path::Path, text: &str) -> String {
    let p = dir.join("p.yaml");
    fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn audit_json(root: &std::path::Path, policy: &str, code: i32) -> serde_json::Value {
    let out = run_expect(
        &mut hostlint(&[
            "audit",
            "-p",
            policy,
            "--root",
            path_str(root),
            "--format",
            "json",
        ]),
        code,
    );
    parse_json(&String::from_utf8_lossy(&out.stdout))
}

fn finding<'a>(doc: &'a serde_json::Value, check: &str, subject: &str) -> &'a serde_json::Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check && f["subject"] == subject)
        .unwrap_or_else(|| panic!("no finding {check} on {subject} in {doc}"))
}

#[test]
fn show_storage_keeps_only_storage_and_reads_like_the_tools() {
    let dir = fixture("san-cable-pull");
    let doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "storage",
        "--root",
        path_str(&dir),
        "--format",
        "json",
    ])));
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["schema", "storage"]);
    let table = run_ok(&mut hostlint(&[
        "show",
        "storage",
        "--root",
        path_str(&dir),
    ]));
    // What `multipath -ll` and `nvme list-subsys` would say.
    for text in [
        "mpatha (dm-0)",
        "1/2 active",
        "transport-offline",
        "1/2 live",
        "connecting",
        "Linkdown",
    ] {
        assert!(table.contains(text), "{text} missing:\n{table}");
    }
    // Storage only: not the links table.
    assert!(!table.contains("DRIVER"), "{table}");
}

#[test]
fn storage_policy_mistakes_point_at_the_line() {
    let tmp = tempdir();
    let p = policy(
        tmp.path(),
        "policy: t
checks:
  - id: a
    fc:
      select: { name: \"*\" }
      expect: { counters: { link_failure: 0 } }
  - id: b
    file:
      path: etc/cluster.conf
      expect: { sha256: abc }
  - id: c
    mount:
      path: /srv
      expect: { responsive: { within: 2 } }
  - id: d
    multipath:
      select: { nmae: x }
      expect: { active_path: 2 }
",
    );
    let out = run_expect(&mut hostlint(&["policy", "check", &p]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "p.yaml:6:29: unknown FC statistic `link_failure`: did you mean `link_failure_count`?",
        "p.yaml:9:13: \"etc/cluster.conf\": a file check reads one absolute path",
        "p.yaml:10:25: a SHA-256 is 64 hex digits",
        "p.yaml:14:39: expected a time limit: a duration with its unit",
        "p.yaml:17:17: unknown key `nmae` in a multipath selector: did you mean `name`?",
        "p.yaml:18:17: unknown key `active_path` in a multipath expectation: did you mean `active_paths`?",
    ] {
        assert!(err.contains(want), "{want}\nnot in:\n{err}");
    }
}

/// Without the multipath status line (an unprivileged capture, a copy of
/// sysfs), path states come from the SCSI devices and every finding says
/// so; the fail counts are unknown, not zero.
#[test]
fn without_the_status_line_the_multipath_check_says_where_states_came_from() {
    let tmp = tempdir();
    let copy = tmp.path().join("san");
    copy_tree(&fixture("san-cable-pull"), &copy);
    let manifest_path = copy.join("manifest.json");
    let mut manifest = parse_json(&fs::read_to_string(&manifest_path).unwrap());
    manifest["read_errors"]["cmd/dmsetup-status.txt"] = "EACCES".into();
    fs::write(&manifest_path, manifest.to_string()).unwrap();
    // The fixture holds each map's slaves, as a capture does (every DM
    // device's are read): the fallback's paths.
    let p = policy(
        tmp.path(),
        "policy: t\nchecks:\n  - id: luns\n    multipath:\n      select: { name: mpatha }\n      expect: { active_paths: { min: 2 }, fail_count: 0 }\n",
    );
    let doc = audit_json(&copy, &p, 2);
    let f = finding(&doc, "luns", "mpatha");
    let observed = f["observed"].as_str().unwrap();
    assert!(
        observed.starts_with("active paths 1 (sdg) [by SCSI device state; the multipath status line could not be read: permission"),
        "{observed}"
    );
    let json = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "storage",
        "--root",
        path_str(&copy),
        "--format",
        "json",
    ])));
    let map = &json["storage"]["multipath"][0];
    assert_eq!(map["path_states_from"], "scsi_device_state");
    assert_eq!(map["status"]["unknown"], "permission");
    assert_eq!(map["paths"][1]["state"], "failed");
    assert_eq!(map["paths"][1]["scsi_state"], "transport-offline");
    // Only the status line counts failures: unknown, not 0.
    assert_eq!(map["paths"][0]["fail_count"]["unknown"], "permission");
}

#[test]
fn the_file_check_hashes_and_bounds_the_replicated_configuration() {
    let tmp = tempdir();
    let conf = fixture("san-healthy").join("srv/clusterconf/cluster.conf");
    let sum = {
        let mut h = hostlint::source::sha256::Sha256::default();
        h.update(&fs::read(&conf).unwrap());
        hostlint::source::sha256::hex(&h.finish())
    };
    // The same digest as sha256sum gives, where it is installed.
    if let Ok(out) = std::process::Command::new("sha256sum").arg(&conf).output() {
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(&sum));
    }
    let text = format!(
        "policy: t
checks:
  - id: same
    file: {{ path: /srv/clusterconf/cluster.conf, expect: {{ sha256: {sum}, size: {{ max: 1K }}, age: {{ max: 10m }} }} }}
  - id: other
    file: {{ path: /srv/clusterconf/cluster.conf, expect: {{ sha256: \"{zero}\" }} }}
  - id: old
    file: {{ path: /srv/clusterconf/cluster.conf, expect: {{ age: {{ max: 5m }} }} }}
  - id: gone
    file: {{ path: /srv/clusterconf/old.conf, expect: {{ exists: true }} }}
",
        zero = "0".repeat(64)
    );
    let p = policy(tmp.path(), &text);
    // A file the fixture lacks is not captured, unless its manifest says
    // the host lacked it.
    let doc = audit_json(&fixture("san-healthy"), &p, 1);
    let gone = finding(&doc, "gone", "/srv/clusterconf/old.conf");
    assert_eq!(gone["status"], "UNKNOWN");
    assert!(
        gone["observed"].as_str().unwrap().contains("not_captured"),
        "{gone}"
    );
    let copy = tmp.path().join("san");
    copy_tree(&fixture("san-healthy"), &copy);
    let manifest_path = copy.join("manifest.json");
    let mut manifest = parse_json(&fs::read_to_string(&manifest_path).unwrap());
    manifest["absent"]
        .as_array_mut()
        .unwrap()
        .push("srv/clusterconf/old.conf".into());
    fs::write(&manifest_path, manifest.to_string()).unwrap();
    let doc = audit_json(&copy, &p, 1);
    let path = "/srv/clusterconf/cluster.conf";
    assert_eq!(finding(&doc, "same", path)["status"], "PASS");
    assert_eq!(finding(&doc, "other", path)["status"], "WARN");
    let old = finding(&doc, "old", path);
    assert_eq!(old["status"], "WARN");
    assert_eq!(old["observed"], "age 7m");
    let gone = finding(&doc, "gone", "/srv/clusterconf/old.conf");
    assert_eq!(gone["status"], "WARN");
    assert_eq!(gone["observed"], "exists false");
}

/// A policy that does not apply to the host probes nothing: a hung mount
/// costs it no time. One that applies and reads a file on the hung mount
/// does not read it (it would hang too): one limit, not two.
#[test]
fn only_applying_policies_probe_and_files_on_a_hung_mount_are_not_read() {
    prepare("san-mount-hung");
    let tmp = tempdir();
    let p = policy(
        tmp.path(),
        "policy: t\napplies_to: { hostname: \"lb-*\" }\nchecks:\n  - id: nfs\n    mount: { path: /srv/shared, expect: { responsive: { within: 3s } } }\n",
    );
    let started = Instant::now();
    run_expect(
        &mut hostlint(&[
            "audit",
            "-p",
            &p,
            "--root",
            path_str(&fixture("san-mount-hung")),
        ]),
        3,
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let p = policy(
        tmp.path(),
        "policy: t
checks:
  - id: nfs
    mount: { path: /srv/shared, expect: { responsive: { within: 1s } } }
  - id: conf
    file: { path: /srv/shared/cluster.conf, limit: 1s, expect: { exists: true } }
",
    );
    let started = Instant::now();
    let doc = audit_json(&fixture("san-mount-hung"), &p, 3);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1900), "{took:?}");
    let conf = finding(&doc, "conf", "/srv/shared/cluster.conf");
    assert_eq!(conf["status"], "UNKNOWN");
    let observed = conf["observed"].as_str().unwrap();
    assert!(
        observed.contains("not read: the mount /srv/shared it lies on did not answer within 1s"),
        "{observed}"
    );
}

#[test]
fn a_mount_point_with_nothing_mounted_fails_in_those_words() {
    let tmp = tempdir();
    let p = policy(
        tmp.path(),
        "policy: t\nchecks:\n  - id: conf\n    mount: { path: /srv/conf, expect: { type: xfs } }\n  - id: srvs\n    mount: { path: \"/srv/*\", expect: { options: [rw] } }\n",
    );
    let doc = audit_json(&fixture("san-healthy"), &p, 2);
    let f = finding(&doc, "conf", "/srv/conf");
    assert_eq!(f["status"], "FAIL");
    assert_eq!(f["observed"], "nothing mounted there");
    // A pattern checks every mount it matches.
    for m in [
        "/srv/backup",
        "/srv/clusterconf",
        "/srv/data",
        "/srv/scratch",
        "/srv/shared",
        "/srv/vm",
    ] {
        assert_eq!(finding(&doc, "srvs", m)["status"], "PASS", "{m}");
    }
}

/// A re-capture keeps the device-mapper text byte for byte, and what it
/// lacks (the probe targets, the recorded modification time) is what no
/// collector reads.
#[test]
fn a_recapture_keeps_the_device_mapper_text() {
    let tmp = tempdir();
    let again = tmp.path().join("again");
    run_ok(&mut hostlint(&[
        "capture",
        "--root",
        path_str(&fixture("san-healthy")),
        "-o",
        path_str(&again),
    ]));
    for f in [
        "cmd/dmsetup-status.txt",
        "cmd/dmsetup-table.txt",
        "proc/mdstat",
        "proc/mounts",
    ] {
        assert_eq!(
            fs::read(again.join(f)).unwrap(),
            fs::read(fixture("san-healthy").join(f)).unwrap(),
            "{f}"
        );
    }
    let manifest = parse_json(&fs::read_to_string(again.join("manifest.json")).unwrap());
    assert_eq!(
        manifest["commands"]["cmd/dmsetup-status.txt"],
        "dmsetup status --target multipath"
    );
    assert!(!again.join("srv").exists());
}

/// Every check shown in docs/policy.md is a valid check: the examples
/// people copy must load.
#[test]
fn every_check_in_the_policy_documentation_loads() {
    let doc = fs::read_to_string(crate::util::repo().join("docs/policy.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    let checks: Vec<&String> = blocks.iter().filter(|b| b.starts_with("- id:")).collect();
    assert!(checks.len() >= 13, "{} checks found", checks.len());
    let tmp = tempdir();
    // The cabling example names the plan shipped beside the policies.
    fs::copy(
        crate::util::repo().join("policies/lb-cabling.csv"),
        tmp.path().join("lb-cabling.csv"),
    )
    .unwrap();
    for (i, b) in checks.iter().enumerate() {
        let indented: String = b.lines().map(|l| format!("  {l}\n")).collect();
        let p = tmp.path().join(format!("doc{i}.yaml"));
        fs::write(&p, format!("policy: doc\nchecks:\n{indented}")).unwrap();
        run_ok(&mut hostlint(&["policy", "check", path_str(&p)]));
    }
}
