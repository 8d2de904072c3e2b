//! The policy language's guard against typos that would turn a check off
//! or green: fact paths checked against the snapshot document, values
//! checked against the words their facts take, and errors written for the
//! operator who reads them (`policy check` and `audit` alike).

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::{
    audit_json, copy_tree, fixture, fixture_failing, hostlint, parse_json, path_str, repo,
    run_expect, run_ok, tempdir,
};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// `policy check` and `audit` both refuse the policy, exit 3, and say `want`.
fn refused_with(policy: &str, root: &str, want: &[&str]) {
    let out = run_expect(&mut hostlint(&["policy", "check", policy]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    for w in want {
        assert!(err.contains(w), "policy check: {w}\nnot in:\n{err}");
    }
    let out = run_expect(
        &mut hostlint(&["audit", "-p", policy, "--root", root, "--format", "json"]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for w in want {
        assert!(err.contains(w), "audit: {w}\nnot in:\n{err}");
    }
    let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(doc["findings"], Value::Array(Vec::new()), "{doc}");
}

#[test]
fn applies_to_fact_path_typo_is_an_error() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "p.yaml",
        "policy: typo\napplies_to:\n  facts:\n    \"lnks.*.driver.driver\": i40e\n    \"links.*.driver\": i40e\n    \"links.*.carrier\": \"yes\"\nchecks:\n  - id: up\n    link: {select: {name: \"*\"}, expect: {operstate: up}}\n",
    );
    refused_with(
        &p,
        path_str(&fixture("lb-healthy")),
        &[
            "p.yaml:4:5: `lnks.*.driver.driver` is not a fact of the snapshot document (`hostlint show --format json`): did you mean `links.*.driver.driver`?",
            "p.yaml:5:5: `links.*.driver` is a group of facts, not one: name one of its fields, `links.*.driver.bus_info`, `links.*.driver.driver`",
            "p.yaml:6:24: `links.*.carrier` holds true or false, so a condition on text could never match it",
        ],
    );
}

/// Every path of every bundled fixture's document is one a policy may
/// name: the schema the paths are checked against is the document's own.
#[test]
fn every_fixture_fact_path_is_a_valid_applies_to_path() {
    fn paths(v: &Value, at: &str, out: &mut Vec<String>) {
        let join = |k: &str| {
            if at.is_empty() {
                k.to_owned()
            } else {
                format!("{at}.{k}")
            }
        };
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| paths(v, &join(k), out)),
            Value::Array(items) => items.iter().for_each(|v| paths(v, &join("*"), out)),
            // A null (no device, no value) is nothing a condition matches.
            Value::Null => {}
            _ => out.push(at.to_owned()),
        }
    }
    let mut checked = 0;
    for entry in fs::read_dir(repo().join("fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("manifest.json").exists() {
            continue;
        }
        let doc = parse_json(&run_ok(&mut hostlint(&[
            "show",
            "all",
            "--root",
            path_str(&dir),
            "--format",
            "json",
        ])));
        let mut found = Vec::new();
        paths(&doc, "", &mut found);
        found.sort();
        found.dedup();
        for path in &found {
            if let Err(why) = hostlint::policy::facts::resolve(path) {
                panic!("{}: {path}: {why}", dir.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} paths checked");
    assert!(hostlint::policy::facts::resolve("links.*.drivr.driver").is_err());
}

#[test]
fn enumerated_values_reject_typos_with_did_you_mean() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "p.yaml",
        r#"policy: typos
checks:
  - id: l
    link:
      select: { kind: phisical }
      expect: { operstate: upp, duplex: ful, speed: at_suported_max, pcie: at_mx }
  - id: b
    bond: { name: bond0, expect: { mode: 802.3da, members_up: al } }
  - id: f
    fc: { select: { name: "*" }, expect: { port_state: online, speed: at_mx } }
  - id: m
    mdraid: { select: { level: raid01 }, expect: { state: { not_in: [inactiv] } } }
  - id: n
    nvme: { select: { name: "*" }, expect: { iopolicy: round_robin, transport: tpc } }
  - id: r
    route: { to: 0.0.0.0/0, type: unicats }
  - id: r2
    route: { to: 0.0.0.0/0, egress: { kind: bnod } }
  - id: k
    kernel: { expect: { taint_flags: { not_in: [D, Q] } } }
  - id: s
    sas: { select: { device_type: end_device }, expect: { linkrate: at_max } }
  - id: i
    iscsi: { target: "*", expect: { logged_in: alll } }
  - id: t
    mount: { path: /srv, expect: { options: [rw, noatme], not_options: [sotf] } }
  - id: g
    link: { select: { operstate: "x*" }, expect: { kind: { in: ["vx*"] } } }
"#,
    );
    refused_with(
        &p,
        path_str(&fixture("san-healthy")),
        &[
            "p.yaml:5:23: unknown link kind `phisical`: did you mean `physical`?",
            "p.yaml:6:28: unknown operational state `upp`: did you mean `up`?",
            "p.yaml:6:41: unknown duplex `ful`: did you mean `full`?",
            "p.yaml:6:53: expected a number for speed (with its unit) or `at_supported_max`, found the string \"at_suported_max\": did you mean `at_supported_max`?",
            "p.yaml:6:76: expected `at_max` or {speed, width} for pcie, found the string \"at_mx\": did you mean `at_max`?",
            "unknown bond mode `802.3da`: did you mean `802.3ad`?",
            "found the string \"al\": did you mean `all`?",
            "unknown FC port state `online`: did you mean `Online`?",
            "found the string \"at_mx\": did you mean `at_max`?",
            "unknown RAID level `raid01`: did you mean `raid0`?",
            "unknown md array state `inactiv`: did you mean `inactive`?",
            "unknown NVMe I/O policy `round_robin`: did you mean `round-robin`?",
            "unknown NVMe transport `tpc`: did you mean `tcp`?",
            "unknown route type `unicats`: did you mean `unicast`?",
            "unknown link kind `bnod`: did you mean `bond`?",
            "unknown taint flag `Q`",
            "unknown SAS device type `end_device`: did you mean `end device`?",
            "found the string \"alll\": did you mean `all`?",
            "unknown mount option `noatme`: did you mean `noatime`?",
            "unknown mount option `sotf`: did you mean `soft`?",
            "`x*` matches no operational state",
        ],
    );
    // Globs and regular expressions that can match still work, and so do
    // options of file systems hostlint does not list.
    let ok = write(
        dir.path(),
        "ok.yaml",
        r#"policy: fine
checks:
  - id: g
    link: { select: { operstate: "u*" }, expect: { kind: { in: ["vx*", bond] }, duplex: { regex: "^f" } } }
  - id: t
    mount: { path: /srv, expect: { options: [rw, "vers=4.2", x-gvfs-show, nouuid] } }
"#,
    );
    run_ok(&mut hostlint(&["policy", "check", &ok]));
}

#[test]
fn applies_to_fact_values_are_checked_against_their_words() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "p.yaml",
        "policy: words\napplies_to:\n  facts:\n    \"links.*.operstate\": upp\n    \"storage.fc_hosts.*.port_state\": { in: [Online, Linkdwn] }\nchecks:\n  - id: up\n    link: {select: {name: \"*\"}, expect: {operstate: up}}\n",
    );
    refused_with(
        &p,
        path_str(&fixture("san-healthy")),
        &[
            "p.yaml:4:26: unknown operational state `upp`: did you mean `up`?",
            "p.yaml:5:53: unknown FC port state `Linkdwn`: did you mean `Linkdown`?",
        ],
    );
}

#[test]
fn an_include_cycle_names_every_include_in_the_chain() {
    let dir = tempdir();
    let a = write(dir.path(), "a.yaml", "policy: a\ninclude: b.yaml\n");
    write(dir.path(), "b.yaml", "policy: b\ninclude: [c.yaml]\n");
    write(dir.path(), "c.yaml", "policy: c\ninclude:\n  - a.yaml\n");
    let out = run_expect(&mut hostlint(&["policy", "check", &a]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    let d = dir.path().display();
    let want = format!(
        "{d}/c.yaml:3:5: an include cycle: {d}/a.yaml:2:10 includes {d}/b.yaml, {d}/b.yaml:2:11 includes {d}/c.yaml, {d}/c.yaml:3:5 includes {d}/a.yaml"
    );
    assert!(err.contains(&want), "{want}\nnot in:\n{err}");
}

/// An include that cannot be read is a mistake at the include, as one that
/// does not exist is: said at its file:line:col, then what the file is.
#[test]
fn an_include_that_cannot_be_read_is_reported_at_its_include() {
    let dir = tempdir();
    fs::create_dir(dir.path().join("sub")).unwrap();
    let top = write(
        dir.path(),
        "top.yaml",
        "policy: top\ninclude: [/dev/zero, sub, none.yaml]\n",
    );
    let d = dir.path().display();
    refused_with(
        &top,
        path_str(&fixture("lb-healthy")),
        &[
            &format!(
                "{d}/top.yaml:2:11: /dev/zero: cannot read: a character device, not a regular file"
            ),
            &format!("{d}/top.yaml:2:22: {d}/sub: cannot read: a directory, not a regular file"),
            &format!("{d}/top.yaml:2:27: included file {d}/none.yaml does not exist"),
        ],
    );
}

#[test]
fn yaml_errors_name_the_mistake_not_the_parser_api() {
    let dir = tempdir();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(", ")
        ));
    }
    for (name, text, want) in [
        (
            "dup.yaml",
            "policy: a\npolicy: b\nchecks: []\n".to_owned(),
            "dup.yaml:2:1: `policy` is given twice in one mapping: give each key once",
        ),
        (
            "bomb.yaml",
            bomb,
            "expand to more than a policy can hold: it is refused as an alias bomb",
        ),
        (
            "two.yaml",
            "policy: a\n---\npolicy: b\n".to_owned(),
            "two.yaml:3:1: a second YAML document (`---`)",
        ),
        (
            "key.yaml",
            "? [a]\n: b\n".to_owned(),
            "key.yaml:1:3: a key must be a name, found a list",
        ),
        (
            "bracket.yaml",
            "policy: [a\n".to_owned(),
            "bracket.yaml:1:9: unclosed bracket",
        ),
    ] {
        let p = write(dir.path(), name, &text);
        let out = run_expect(&mut hostlint(&["policy", "check", &p]), 3);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{want}\nnot in:\n{err}");
        for leak in [
            "Options",
            "budget",
            "Nodes {",
            "from_str",
            "error: line",
            "column",
        ] {
            assert!(!err.contains(leak), "{name} says {leak:?}:\n{err}");
        }
    }
    let out = run_expect(
        &mut hostlint(&["policy", "check", path_str(&dir.path().join("none.yaml"))]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none.yaml: cannot read: No such file or directory\n"),
        "{err}"
    );
}

/// Read errors and malformed fixture files say what failed once: no Rust
/// "(os error N)", no position after the position.
#[test]
fn read_errors_are_worded_once_for_operators() {
    let (_tmp, copy) = fixture_failing("lb-healthy", &["cmd/ethtool-i/eno1"], "EIO");
    fs::write(copy.join("cmd/ip-neigh.json"), "{[ not json\n").unwrap();
    let show = run_ok(&mut hostlint(&[
        "show",
        "all",
        "--root",
        path_str(&copy),
        "--format",
        "json",
    ]));
    assert!(
        show.contains("cmd/ethtool-i/eno1: Input/output error\""),
        "{show}"
    );
    assert!(!show.contains("os error"), "{show}");
    let doc = parse_json(&show);
    let detail = doc["neighbors"]["detail"].as_str().unwrap();
    assert!(detail.starts_with("cmd/ip-neigh.json:1: "), "{detail}");
    assert!(!detail.contains("line 1"), "{detail}");
}

/// A file that is not text is named once, by the collector that read it.
#[test]
fn a_file_that_is_not_text_names_its_path_once() {
    let tmp = tempdir();
    let copy = tmp.path().join("lb");
    copy_tree(&fixture("lb-healthy"), &copy);
    fs::write(copy.join("proc/sys/kernel/hostname"), b"\xff\xfe\n").unwrap();
    let show = run_ok(&mut hostlint(&[
        "show",
        "host",
        "--root",
        path_str(&copy),
        "--format",
        "json",
    ]));
    assert_eq!(
        parse_json(&show)["host"]["hostname"]["detail"],
        "proc/sys/kernel/hostname: not UTF-8 text",
        "{show}"
    );
}

/// What the system said, in its words, without Rust's "(os error N)" after
/// them: a capture that is not there, a state file that cannot be locked
/// or saved, standard output that is full.
#[test]
fn io_errors_are_worded_without_rusts_error_numbers() {
    let dir = tempdir();
    let missing = dir.path().join("none");
    let none = path_str(&missing);
    let healthy = fixture("lb-healthy");
    let lb = path_str(&healthy);
    let policy = write(
        dir.path(),
        "p.yaml",
        "policy: p\nchecks:\n  - id: k\n    kernel: { expect: { tainted: false } }\n",
    );
    let stderr = |args: &[&str]| {
        let out = hostlint(args).output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let unreadable =
        format!("hostlint: {none}: cannot read the fixture: No such file or directory\n");
    assert_eq!(stderr(&["show", "--root", none]), unreadable);
    assert_eq!(stderr(&["diff", none, lb]), unreadable);

    let state = format!("{none}/s.json");
    let (code, doc) = audit_json(&["-p", &policy, "--root", lb, "--state", &state]);
    assert_eq!(code, 3, "{doc}");
    assert!(
        doc["summary"].as_str().unwrap().ends_with(&format!(
            "cannot lock {state}.lock: No such file or directory"
        )),
        "{doc}"
    );

    // A directory where the state file goes: the lock beside it is taken,
    // but the new state cannot be renamed over a directory.
    let state = dir.path().join("state");
    fs::create_dir(&state).unwrap();
    let (_, doc) = audit_json(&["-p", &policy, "--root", lb, "--state", path_str(&state)]);
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "the state could not be saved: {}: cannot rename ",
            state.display()
        )) && notes.contains(" over it: Is a directory\""),
        "{doc}"
    );
    assert!(!doc.to_string().contains("os error"), "{doc}");

    if let Ok(full) = fs::OpenOptions::new().write(true).open("/dev/full") {
        let out = hostlint(&["show", "--root", lb])
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "hostlint: standard output: No space left on device\n"
        );
    }
}

/// A whole part of the storage that one side could not read is named once
/// in the diff's footnote.
#[test]
fn a_part_unreadable_in_a_diff_is_named_once() {
    let (_tmp, copy) = fixture_failing("san-healthy", &["sys/class/nvme-subsystem"], "EIO");
    // Its exit code is not what this guards.
    let out = hostlint(&["diff", path_str(&fixture("san-healthy")), path_str(&copy)])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "[1] after: nvme subsystems: failed (sys/class/nvme-subsystem: Input/output error)"
        ),
        "{text}"
    );
}

/// `*` is every value of a map too, as the documentation says: a path the
/// policy check takes must not make the policy silently not apply.
#[test]
fn applies_to_star_walks_the_values_of_a_map() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "p.yaml",
        "policy: fc\napplies_to:\n  facts:\n    \"storage.fc_hosts.*.statistics.*\": { min: 0 }\nchecks:\n  - id: clean\n    kernel: { expect: { pstore_records: 0 } }\n",
    );
    let doc = audit_json(&["-p", &p, "--root", path_str(&fixture("san-healthy"))]).1;
    assert_eq!(doc["findings"][0]["check"], "clean", "{doc}");
}

/// A fact that could not be read on the way to the path's end (a link's
/// driver) leaves the condition undecided: the policy's checks are
/// UNKNOWN, not skipped as a policy that does not apply. A fact the
/// hardware does not have (the loopback's driver) matches nothing and
/// decides nothing.
#[test]
fn applies_to_fact_unread_on_the_way_is_unknown_not_a_policy_that_does_not_apply() {
    let (_tmp, copy) = fixture_failing(
        "lb-healthy",
        &["cmd/ethtool-i/enp65s0f0", "cmd/ethtool-i/enp65s0f1"],
        "EIO",
    );
    let policy = |dir: &Path, driver: &str| {
        write(
            dir,
            &format!("{driver}.yaml"),
            &format!(
                "policy: {driver}\napplies_to:\n  facts:\n    \"links.*.driver.driver\": {driver}\nchecks:\n  - id: {driver}-up\n    link: {{select: {{name: \"*\"}}, expect: {{operstate: up}}}}\n"
            ),
        )
    };
    let dir = tempdir();
    let (code, doc) = audit_json(&["-p", &policy(dir.path(), "i40e"), "--root", path_str(&copy)]);
    assert_eq!(code, 3, "{doc}");
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{doc}");
    assert!(findings.iter().all(|f| f["status"] == "UNKNOWN"), "{doc}");

    let ixgbe = policy(dir.path(), "ixgbe");
    let doc = audit_json(&["-p", &ixgbe, "--root", path_str(&fixture("lb-healthy"))]).1;
    assert_eq!(doc["findings"], Value::Array(Vec::new()), "{doc}");
    assert!(doc.to_string().contains("does not apply"), "{doc}");
}

/// Words the kernel prints are never refused as typos of the words
/// hostlint lists: options every host mounts with (tmpfs `size`, cgroup
/// `name`, near NFS's `rsize` and `namlen`), those of btrfs, overlayfs,
/// FUSE and SMB, and the link kinds of rtnetlink and of a sysfs root.
#[test]
fn kernel_words_are_not_taken_for_typos_of_listed_ones() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "p.yaml",
        r#"policy: words
checks:
  - id: t
    mount: { path: /run, expect: { options: [rw, size, nr_inodes, mode, inode64] } }
  - id: c
    mount: { path: /sys/fs/cgroup/*, expect: { options: [name, devices, memory, nsdelegate, seclabel] } }
  - id: b
    mount: { path: /srv, expect: { not_options: [nossd, space_cache, degraded, uuid, userxattr, blksize, actimeo, rasize, esize] } }
  - id: k
    allow_empty: true
    link: { select: { kind: { in: [vsockmon, wlan, gadget, l2tpeth, prp] } }, expect: { operstate: up } }
"#,
    );
    run_ok(&mut hostlint(&["policy", "check", &p]));
    // What nvme_sysfs_show_state() and nvme_ana_state_names[] print for a
    // state outside their tables.
    let p = write(
        dir.path(),
        "nvme.yaml",
        r#"policy: nvme-words
applies_to:
  facts:
    "storage.nvme.*.controllers.*.state": { not_in: ["unknown state"] }
    "storage.nvme.*.namespaces.*.paths.*.ana_state": { not_in: ["invalid state"] }
checks:
  - id: k
    kernel: { expect: { pstore_records: 0 } }
"#,
    );
    run_ok(&mut hostlint(&["policy", "check", &p]));
}

/// A text condition that can never match the fact it names is a typo,
/// not a policy that silently does not apply: a word outside an LLDP
/// fact's set, or a name that is not a number on a number.
#[test]
fn applies_to_conditions_that_can_never_match_are_errors() {
    let dir = tempdir();
    let p = write(
        dir.path(),
        "p.yaml",
        "policy: never\napplies_to:\n  facts:\n    \"lldp.*.via\": LDDP\n    \"lldp.*.port_id.type\": ifnme\n    \"host.taint.mask\": \"O\"\n    \"links.*.mtu\": { in: [\"9000\", \"9k\"] }\nchecks:\n  - id: k\n    kernel: { expect: { pstore_records: 0 } }\n",
    );
    refused_with(
        &p,
        path_str(&fixture("lb-healthy")),
        &[
            "p.yaml:4:19: unknown LLDP protocol `LDDP`: did you mean `LLDP`?",
            "p.yaml:5:28: unknown LLDP id subtype `ifnme`: did you mean `ifname`?",
            "p.yaml:6:24: `host.taint.mask` holds a number, so \"O\" could never match it",
            "p.yaml:7:35: `links.*.mtu` holds a number, so \"9k\" could never match it",
        ],
    );
    let ok = write(
        dir.path(),
        "ok.yaml",
        "policy: fine\napplies_to:\n  facts:\n    \"lldp.*.via\": LLDP\n    \"lldp.*.chassis_id.type\": mac\n    \"links.*.mtu\": { in: [\"1500\", \"9*\"] }\nchecks:\n  - id: k\n    kernel: { expect: { pstore_records: 0 } }\n",
    );
    let doc = audit_json(&["-p", &ok, "--root", path_str(&fixture("lb-healthy"))]).1;
    assert_eq!(doc["findings"][0]["check"], "k", "{doc}");
}
