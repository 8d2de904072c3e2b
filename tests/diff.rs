//! `hostlint diff`: each fault scenario against the healthy load balancer
//! it was made from (golden table and JSON next to the scenario, and the
//! exact changes it must name), a maintenance that changed nothing, the
//! reverse of a fault (a repair), the errors an operator sees, and a live
//! namespace changed between a capture and `live`.

use std::fs;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use crate::util::{
    Netns, fixture, hostlint, hostlint_bin, live_ready, parse_json, path_str, plain, repo,
    run_expect, run_ok, tempdir,
};

/// A change as (severity, kind, subject, field).
pub type Row<'a> = (&'a str, &'a str, &'a str, &'a str);
/// A scenario, the exit code of its diff, and every change it must report.
pub type Pair<'a> = (&'a str, i32, &'a [Row<'a>]);

/// Each scenario made from lb-healthy, the exit code of `diff lb-healthy
/// SCENARIO`, and every change it must report: nothing more, nothing less.
pub const PAIRS: &[Pair] = &[
    (
        "lb-uplink-1g",
        2,
        &[
            ("critical", "link", "enp65s0f1", "speed"),
            ("critical", "link", "bond0", "speed"),
        ],
    ),
    (
        "lb-default-via-onboard",
        2,
        &[("critical", "egress", "default (0.0.0.0/0)", "egress")],
    ),
    (
        "lb-bond-member-down",
        2,
        &[
            ("critical", "link", "enp65s0f1", "state"),
            ("critical", "link", "bond0", "speed"),
        ],
    ),
    (
        "lb-lacp-other-aggregator",
        2,
        &[
            ("critical", "link", "bond0", "speed"),
            ("critical", "bond", "bond0 member enp65s0f1", "aggregator"),
            ("warning", "bond", "bond0 member enp65s0f1", "partner"),
        ],
    ),
    (
        "lb-pcie-x4",
        2,
        &[
            ("critical", "pcie", "enp65s0f0 0000:41:00.0", "width"),
            ("critical", "pcie", "enp65s0f1 0000:41:00.1", "width"),
        ],
    ),
    (
        "lb-tainted-pstore",
        1,
        &[
            ("warning", "host", "lb-01", "taint"),
            ("warning", "host", "lb-01", "pstore"),
        ],
    ),
    (
        "lb-cable-swapped",
        2,
        &[
            ("critical", "lldp", "enp65s0f0", "neighbor"),
            ("critical", "lldp", "enp65s0f1", "neighbor"),
        ],
    ),
    // lldpd stopped: what each port faces cannot be seen, which is not
    // "every cable pulled".
    (
        "lb-no-lldpd",
        1,
        &[("warning", "lldp neighbours", "", "lldp neighbours")],
    ),
];

/// Each storage scenario, the capture it was made from, the exit code of
/// `diff BEFORE SCENARIO -p policies/storage-paths.yaml` (whose mount
/// checks have both sides probe their mount points), and every change it
/// must report. The incident's loosened array cable needs a LUN on four
/// paths before: `san-four-paths`, `san-healthy` with two paths more.
pub const SAN_PAIRS: &[(&str, &str, i32, &[Row])] = &[
    (
        "san-healthy",
        "san-cable-pull",
        2,
        &[
            ("critical", "multipath", "mpatha", "active paths"),
            ("critical", "multipath", "mpathb", "active paths"),
            ("critical", "nvme", "nvme-subsys0 controller nvme1", "state"),
            ("critical", "fc", "host4", "port state"),
        ],
    ),
    (
        "san-healthy",
        "san-fc-linkdown",
        2,
        &[
            ("critical", "multipath", "mpatha", "active paths"),
            ("critical", "multipath", "mpathb", "active paths"),
            (
                "critical",
                "nvme",
                "nvme-subsys0 controller nvme1",
                "controller",
            ),
            ("critical", "fc", "host4", "port state"),
        ],
    ),
    (
        "san-healthy",
        "san-sas-errors",
        1,
        &[
            ("warning", "sas", "phy-2:2", "invalid_dword_count"),
            ("warning", "sas", "phy-2:2", "running_disparity_error_count"),
            ("warning", "sas", "phy-2:2", "loss_of_dword_sync_count"),
            ("warning", "sas", "phy-2:0:2", "invalid_dword_count"),
            (
                "warning",
                "sas",
                "phy-2:0:2",
                "running_disparity_error_count",
            ),
            ("warning", "sas", "phy-2:0:2", "loss_of_dword_sync_count"),
        ],
    ),
    (
        "san-healthy",
        "san-md-rebuilding",
        2,
        &[
            ("critical", "md", "md2", "degraded"),
            ("warning", "md", "md2", "sync"),
        ],
    ),
    (
        "san-healthy",
        "san-nvme-no-optimized",
        2,
        &[(
            "critical",
            "nvme",
            "nvme-subsys0 namespace nvme0n1 path nvme0c0n1",
            "ana state",
        )],
    ),
    (
        "san-healthy",
        "san-mount-hung",
        2,
        &[("critical", "mount", "/srv/shared", "answers")],
    ),
    (
        "san-four-paths",
        "san-array-cable-loose",
        2,
        &[
            ("critical", "multipath", "mpatha", "active paths"),
            ("warning", "multipath", "mpatha path sdm", "fail count"),
            ("warning", "multipath", "mpatha path sdn", "fail count"),
            ("warning", "sas", "phy-2:1", "invalid_dword_count"),
            ("warning", "sas", "phy-2:1", "running_disparity_error_count"),
            ("warning", "sas", "phy-2:1", "loss_of_dword_sync_count"),
            ("warning", "sas", "phy-2:0:1", "invalid_dword_count"),
            (
                "warning",
                "sas",
                "phy-2:0:1",
                "running_disparity_error_count",
            ),
            ("warning", "sas", "phy-2:0:1", "loss_of_dword_sync_count"),
        ],
    ),
];

const STORAGE_POLICY: &str = "policies/storage-paths.yaml";

/// `hostlint diff ARGS...` from the repository root, with relative paths,
/// so that golden files name `fixtures/...` wherever the tree is.
fn diff(args: &[&str]) -> (i32, String, String) {
    let out = plain(&mut Command::new(hostlint_bin()))
        .current_dir(repo())
        .arg("diff")
        .args(args)
        .output()
        .expect("hostlint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The changes of a JSON diff as (severity, kind, subject, field).
fn changes(doc: &Value) -> Vec<(String, String, String, String)> {
    doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("severity"), s("kind"), s("subject"), s("field"))
        })
        .collect()
}

fn owned(v: &[Row]) -> Vec<(String, String, String, String)> {
    v.iter()
        .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
        .collect()
}

#[test]
fn each_fault_diffs_from_lb_healthy_as_expected() {
    for (scenario, code, expected) in PAIRS {
        let after = format!("fixtures/{scenario}");
        for format in ["table", "json"] {
            let (got, text, err) = diff(&["fixtures/lb-healthy", &after, "--format", format]);
            assert_eq!(got, *code, "{scenario} --format {format}\n{text}{err}");
            insta::with_settings!({
                snapshot_path => format!("../fixtures/{scenario}/expected"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("diff-from-lb-healthy-{format}"), text);
            });
        }
        let (_, json, _) = diff(&["fixtures/lb-healthy", &after, "--format", "json"]);
        let doc = parse_json(&json);
        assert_eq!(doc["schema"], "hostlint.diff/1");
        assert_eq!(doc["exit_code"], *code, "{scenario}");
        assert_eq!(doc["boot"], "same", "{scenario}");
        assert_eq!(changes(&doc), owned(expected), "{scenario}");
        // The policy's destinations are the default routes: the same diff.
        let (_, with_policy, _) = diff(&[
            "fixtures/lb-healthy",
            &after,
            "--format",
            "json",
            "-p",
            "policies/lb-node.yaml",
        ]);
        assert_eq!(changes(&parse_json(&with_policy)), owned(expected));
    }
}

#[test]
fn each_storage_fault_diffs_from_its_healthy_host_as_expected() {
    for (before, scenario, code, expected) in SAN_PAIRS {
        crate::scenarios::prepare(scenario);
        let (b, a) = (format!("fixtures/{before}"), format!("fixtures/{scenario}"));
        for format in ["table", "json"] {
            let (got, text, err) = diff(&[&b, &a, "--format", format, "-p", STORAGE_POLICY]);
            assert_eq!(got, *code, "{scenario} --format {format}\n{text}{err}");
            insta::with_settings!({
                snapshot_path => format!("../fixtures/{scenario}/expected"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("diff-from-{before}-{format}"), text);
            });
        }
        let (_, json, _) = diff(&[&b, &a, "--format", "json", "-p", STORAGE_POLICY]);
        let doc = parse_json(&json);
        assert_eq!(doc["exit_code"], *code, "{scenario}");
        assert_eq!(doc["boot"], "same", "{scenario}");
        assert_eq!(changes(&doc), owned(expected), "{scenario}");
        // Without the policy nothing is probed: the same changes, but a
        // mount that stopped answering, which /proc/mounts still lists.
        let (_, json, _) = diff(&[&b, &a, "--format", "json"]);
        let unprobed: Vec<_> = owned(expected)
            .into_iter()
            .filter(|c| c.3 != "answers")
            .collect();
        assert_eq!(changes(&parse_json(&json)), unprobed, "{scenario}");
    }
}

/// The incident's loosened array cable, as an operator reads it: the map
/// down from four active paths to two, naming the two that failed, and
/// the SAS lane's errors.
#[test]
fn the_loosened_array_cable_names_the_paths_and_the_lane() {
    let (code, json, _) = diff(&[
        "fixtures/san-four-paths",
        "fixtures/san-array-cable-loose",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    let doc = parse_json(&json);
    let map = &doc["changes"][0];
    assert_eq!(map["before"], "4 of 4 active: sdg sdm sdh sdn");
    assert_eq!(map["after"], "2 of 4 active: sdg sdh");
    let why = map["why"].as_str().unwrap_or_default();
    assert!(
        why.contains("sdm (host3) failed") && why.contains("sdn (host4) failed"),
        "{why}"
    );
    let lane = &doc["changes"][3];
    assert_eq!(
        (&lane["before"], &lane["after"]),
        (&"0".into(), &"1840".into())
    );
}

/// Storage that did not change diffs empty, even with --all and the
/// policy's probes: the host against itself and re-captured (a capture
/// keeps no probe answer, which is then not compared).
#[test]
fn a_no_op_storage_maintenance_diffs_empty() {
    let tmp = tempdir();
    let mut afters = vec!["fixtures/san-healthy".to_owned()];
    for name in ["again", "again.tar.gz"] {
        let again = tmp.path().join(name);
        run_ok(&mut hostlint(&[
            "capture",
            "--root",
            path_str(&fixture("san-healthy")),
            "-o",
            path_str(&again),
        ]));
        afters.push(path_str(&again).to_owned());
    }
    for after in &afters {
        for policy in [false, true] {
            let mut args = vec!["fixtures/san-healthy", after, "--format", "json", "--all"];
            if policy {
                args.extend(["-p", STORAGE_POLICY]);
            }
            let (code, json, err) = diff(&args);
            assert_eq!(code, 0, "{after}: {json}{err}");
            let doc = parse_json(&json);
            assert_eq!(doc["changes"], serde_json::json!([]), "{after}: {json}");
            assert_eq!(doc["counts"]["hidden"], 0);
        }
    }
}

/// A capture made before hostlint read storage (the load balancer's)
/// against one of the same host that has it (san-healthy is lb-healthy's
/// network with storage; here under lb-healthy's name): every storage
/// part is known on one side only. The storage node's capture holds no
/// LLDP neighbours, the load balancer's does: that is one-sided too.
#[test]
fn storage_read_on_one_side_only_is_a_warning() {
    let tmp = tempdir();
    let after = tmp.path().join("after");
    crate::util::copy_tree(&fixture("san-healthy"), &after);
    fs::write(after.join("proc/sys/kernel/hostname"), "lb-01\n").unwrap();
    let (code, json, _) = diff(&["fixtures/lb-healthy", path_str(&after), "--format", "json"]);
    assert_eq!(code, 1, "{json}");
    let parts: Vec<_> = changes(&parse_json(&json))
        .into_iter()
        .filter(|c| c.2.is_empty())
        .collect();
    let expected: Vec<_> = [
        "lldp neighbours",
        "multipath maps",
        "nvme subsystems",
        "fc ports",
        "iscsi sessions",
        "sas phys",
        "ata links",
        "md arrays",
        "mounts",
    ]
    .iter()
    .map(|p| {
        (
            "warning".to_owned(),
            (*p).to_owned(),
            String::new(),
            (*p).to_owned(),
        )
    })
    .collect();
    assert_eq!(parts, expected);
}

/// Putting a fault right is a change too, and a diff cannot know which
/// side was right: each diffs back with warnings (a link up again, more
/// speed, a member back in the aggregator), except the default route
/// moving, which is critical whichever way it moves.
#[test]
fn a_repair_diffs_back() {
    let back: &[Pair] = &[
        (
            "lb-uplink-1g",
            1,
            &[
                ("warning", "link", "enp65s0f1", "speed"),
                ("warning", "link", "bond0", "speed"),
            ],
        ),
        (
            "lb-default-via-onboard",
            2,
            &[("critical", "egress", "default (0.0.0.0/0)", "egress")],
        ),
        (
            "lb-bond-member-down",
            1,
            &[
                ("warning", "link", "enp65s0f1", "state"),
                ("warning", "link", "bond0", "speed"),
            ],
        ),
        (
            "lb-lacp-other-aggregator",
            1,
            &[
                ("warning", "link", "bond0", "speed"),
                ("warning", "bond", "bond0 member enp65s0f1", "aggregator"),
                ("warning", "bond", "bond0 member enp65s0f1", "partner"),
            ],
        ),
        (
            "lb-pcie-x4",
            1,
            &[
                ("warning", "pcie", "enp65s0f0 0000:41:00.0", "width"),
                ("warning", "pcie", "enp65s0f1 0000:41:00.1", "width"),
            ],
        ),
        // The records cleared are routine; the taint cleared is not.
        (
            "lb-tainted-pstore",
            1,
            &[("warning", "host", "lb-01", "taint")],
        ),
        (
            "lb-cable-swapped",
            2,
            &[
                ("critical", "lldp", "enp65s0f0", "neighbor"),
                ("critical", "lldp", "enp65s0f1", "neighbor"),
            ],
        ),
        (
            "lb-no-lldpd",
            1,
            &[("warning", "lldp neighbours", "", "lldp neighbours")],
        ),
    ];
    assert_eq!(back.len(), PAIRS.len());
    for (scenario, code, expected) in back {
        let (got, json, err) = diff(&[
            &format!("fixtures/{scenario}"),
            "fixtures/lb-healthy",
            "--format",
            "json",
        ]);
        assert_eq!(got, *code, "{scenario}: {json}{err}");
        assert_eq!(changes(&parse_json(&json)), owned(expected), "{scenario}");
    }
}

/// A maintenance that changed nothing: the host re-captured (as a
/// directory and as an archive) diffs empty, exit 0, even with --all.
#[test]
fn a_no_op_maintenance_diffs_empty() {
    let tmp = tempdir();
    for name in ["again", "again.tar.gz"] {
        let again = tmp.path().join(name);
        run_ok(&mut hostlint(&[
            "capture",
            "--root",
            path_str(&fixture("lb-healthy")),
            "-o",
            path_str(&again),
            "--label",
            "after ticket 4711",
        ]));
        for all in [false, true] {
            let mut args = vec!["fixtures/lb-healthy", path_str(&again), "--format", "json"];
            if all {
                args.push("--all");
            }
            let (code, json, err) = diff(&args);
            assert_eq!(code, 0, "{json}{err}");
            let doc = parse_json(&json);
            assert_eq!(doc["changes"], serde_json::json!([]), "{json}");
            assert_eq!(doc["counts"]["hidden"], 0);
            assert_eq!(doc["after"]["label"], "after ticket 4711");
        }
    }
    let again = tmp.path().join("again.tar.gz");
    let (code, table, _) = diff(&["fixtures/lb-healthy", path_str(&again)]);
    assert_eq!(code, 0);
    // The capture's own path and time are the run's: shown as placeholders.
    let captured = table
        .lines()
        .find(|l| l.starts_with("after"))
        .and_then(|l| l.split("captured ").nth(1))
        .and_then(|t| t.split(')').next())
        .expect("a capture time")
        .to_owned();
    let table = table
        .replace(path_str(&again), "TMP/again.tar.gz")
        .replace(&captured, "CAPTURED_AT");
    insta::assert_snapshot!("diff_no_op_table", table);
}

#[test]
fn unreadable_sides_and_bad_policies_exit_3() {
    let (code, _, err) = diff(&["fixtures/lb-healthy", "/nonexistent/capture"]);
    assert_eq!(code, 3);
    assert!(err.contains("/nonexistent/capture"), "{err}");

    let tmp = tempdir();
    let bad = tmp.path().join("bad.tar.gz");
    fs::write(&bad, "not an archive").unwrap();
    let (code, _, err) = diff(&[path_str(&bad), "fixtures/lb-healthy"]);
    assert_eq!(code, 3);
    assert!(err.contains("bad.tar.gz"), "{err}");

    let policy = tmp.path().join("p.yaml");
    fs::write(
        &policy,
        "policy: p\nchecks:\n  - id: x\n    route: { too: 10.0.0.1 }\n",
    )
    .unwrap();
    let (code, _, err) = diff(&[
        "fixtures/lb-healthy",
        "fixtures/lb-healthy",
        "-p",
        path_str(&policy),
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("too"), "{err}");

    let out = run_expect(&mut hostlint(&["diff", "fixtures/lb-healthy"]), 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("AFTER"));
}

/// An empty directory (a capture that went elsewhere, a wrong path) is
/// not a host on which everything disappeared.
#[test]
fn a_side_that_holds_nothing_is_refused_in_one_line() {
    let tmp = tempdir();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    for args in [
        [path_str(&empty), "fixtures/lb-healthy"],
        ["fixtures/lb-healthy", path_str(&empty)],
    ] {
        let (code, out, err) = diff(&args);
        assert_eq!(code, 3, "{args:?}: {out}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "{} holds nothing hostlint reads",
                path_str(&empty)
            )),
            "{err}"
        );
    }
}

/// lb-01 against san-01 is not a maintenance: refused unless asked for.
/// The same host renamed (one boot id on both sides) is compared, and its
/// new name is a change.
#[test]
fn a_diff_of_two_different_hosts_is_refused_unless_other_host() {
    let (code, out, err) = diff(&["fixtures/lb-healthy", "fixtures/san-healthy"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("are two different hosts (host lb-01 before, san-01 after")
            && err.contains("--other-host"),
        "{err}"
    );
    let (code, out, _) = diff(&[
        "fixtures/lb-healthy",
        "fixtures/san-healthy",
        "--other-host",
    ]);
    assert_eq!(code, 1, "{out}");

    let tmp = tempdir();
    let renamed = tmp.path().join("renamed");
    crate::util::copy_tree(&fixture("lb-healthy"), &renamed);
    fs::write(renamed.join("proc/sys/kernel/hostname"), "lb-01a\n").unwrap();
    let (code, json, err) = diff(&[
        "fixtures/lb-healthy",
        path_str(&renamed),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{json}{err}");
    let rows = changes(&parse_json(&json));
    assert!(rows.iter().any(|c| c.3 == "hostname"), "{rows:?}");
}

/// A policy's own destinations are resolved on both sides: a management
/// route moved to another port changes the egress of an address inside it.
#[test]
fn policy_destinations_are_compared() {
    let tmp = tempdir();
    let after = tmp.path().join("after");
    crate::util::copy_tree(&fixture("lb-healthy"), &after);
    let routes = after.join("cmd/ip-route-4.json");
    let text = fs::read_to_string(&routes).unwrap();
    let mut doc = parse_json(&text);
    for r in doc.as_array_mut().unwrap() {
        if r["dst"] == "10.0.0.0/8" {
            r["dev"] = "eno2".into();
        }
    }
    fs::write(&routes, doc.to_string()).unwrap();
    let policy = tmp.path().join("mgmt.yaml");
    fs::write(
        &policy,
        "policy: mgmt\nchecks:\n  - id: mgmt-egress\n    route:\n      to: 10.20.30.40\n      egress: { name: eno1 }\n",
    )
    .unwrap();
    let (code, json, err) = diff(&[
        "fixtures/lb-healthy",
        path_str(&after),
        "--format",
        "json",
        "-p",
        path_str(&policy),
    ]);
    assert_eq!(code, 1, "{json}{err}");
    let doc = parse_json(&json);
    assert_eq!(
        changes(&doc),
        owned(&[("warning", "egress", "10.20.30.40", "egress")])
    );
    assert_eq!(doc["changes"][0]["before"], "eno1 via 192.0.2.1");
    assert_eq!(doc["changes"][0]["after"], "eno2 via 192.0.2.1");
    // Without the policy the route itself is the change.
    let (code, json, _) = diff(&["fixtures/lb-healthy", path_str(&after), "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        changes(&parse_json(&json)),
        owned(&[(
            "warning",
            "route",
            "10.0.0.0/8 table main metric 0",
            "route"
        )])
    );
}

#[test]
fn the_report_can_be_written_to_a_file() {
    let tmp = tempdir();
    let out = tmp.path().join("diff.json");
    let (code, stdout, _) = diff(&[
        "fixtures/lb-healthy",
        "fixtures/lb-pcie-x4",
        "--format",
        "json",
        "-o",
        path_str(&out),
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(
        parse_json(&fs::read_to_string(&out).unwrap())["exit_code"],
        2
    );
}

/// Settings that keep a test namespace quiet (as in the live tests).
const QUIET: &[&str] = &[
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.router_solicitations=0",
    "net.ipv6.conf.default.router_solicitations=0",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.default.accept_ra=0",
];

/// A host whose three uplinks are cabled to a switch (another namespace,
/// so that the far ends stay out of the host's picture).
fn cabled_host() -> (Netns, Netns) {
    let host = Netns::new("dh");
    let switch = Netns::new("ds");
    host.sysctl(QUIET);
    switch.sysctl(QUIET);
    for (port, peer) in [("up0", "sw0"), ("up1", "sw1"), ("mgmt0", "swm")] {
        host.ip(&format!(
            "link add {port} type veth peer name {peer} netns {}",
            switch.name
        ));
        host.ip(&format!("link set {port} up"));
        switch.ip(&format!("link set {peer} up"));
    }
    for cmd in [
        "link set lo up",
        "addr add 10.1.0.1/24 dev up0",
        "addr add 10.2.0.1/24 dev up1",
        "addr add 10.3.0.1/24 dev mgmt0",
        "route add default via 10.1.0.254 dev up0",
        "route add 172.16.0.0/16 via 10.2.0.254",
    ] {
        host.ip(cmd);
    }
    (host, switch)
}

/// Waits until every link of the namespace but `lo` reads `UP`: the
/// kernel settles a link's state asynchronously (linkwatch), and a capture
/// taken before that would see a state change that nobody made.
fn settle(ns: &Netns) {
    for _ in 0..50 {
        let out = run_ok(Command::new("ip").args(["-n", &ns.name, "-j", "link", "show"]));
        let links = parse_json(&out);
        let up = links.as_array().is_some_and(|l| {
            l.iter()
                .filter(|l| l["ifname"] != "lo")
                .all(|l| l["operstate"] == "UP")
        });
        if up {
            return;
        }
        sleep(Duration::from_millis(100));
    }
    panic!("the links of {} never came up", ns.name);
}

fn live_diff(ns: &Netns, capture: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["diff", path_str(capture), "live", "--format", "json"];
    args.extend_from_slice(extra);
    let out = ns.hostlint(&args).output().expect("hostlint runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    (out.status.code().unwrap_or(-1), parse_json(&text))
}

/// Captured before maintenance, then a veth moved to another namespace
/// and the default route moved to the management port: `diff CAPTURE
/// live` names exactly those changes, not counters or neighbours.
#[test]
fn live_diff_names_exactly_what_changed() {
    if !live_ready("live_diff_names_exactly_what_changed") {
        return;
    }
    let (host, _switch) = cabled_host();
    let away = Netns::new("da");
    settle(&host);
    let tmp = tempdir();
    let capture = tmp.path().join("before.tar.gz");
    run_ok(&mut host.hostlint(&[
        "capture",
        "-o",
        path_str(&capture),
        "--label",
        "before ticket 4711",
    ]));

    // Nothing done yet: nothing that matters changed.
    let (code, doc) = live_diff(&host, &capture, &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["changes"], serde_json::json!([]), "{doc:#}");
    assert_eq!(doc["boot"], "same");

    host.ip(&format!("link set up1 netns {}", away.name));
    host.ip("route replace default via 10.3.0.254 dev mgmt0");

    let (code, doc) = live_diff(&host, &capture, &[]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(
        changes(&doc),
        owned(&[
            ("critical", "link", "up1", "link"),
            ("critical", "egress", "default (0.0.0.0/0)", "egress"),
            // The kernel removed the route through up1 with it.
            (
                "warning",
                "route",
                "172.16.0.0/16 table main metric 0",
                "route"
            ),
        ]),
        "{doc:#}"
    );
    let egress = &doc["changes"][1];
    assert_eq!(egress["before"], "up0 via 10.1.0.254");
    assert_eq!(egress["after"], "mgmt0 via 10.3.0.254");
    assert_eq!(doc["before"]["label"], "before ticket 4711");
    assert_eq!(doc["after"]["source"], "live");
    // The routine changes (the kernel's own routes and addresses of up1,
    // counters) are there, and only with --all.
    assert!(doc["counts"]["hidden"].as_u64().unwrap_or(0) > 0, "{doc:#}");
    let (_, all) = live_diff(&host, &capture, &["--all"]);
    let routine: Vec<_> = changes(&all)
        .into_iter()
        .filter(|c| c.0 == "info")
        .collect();
    assert!(!routine.is_empty());

    // A policy's destination inside the route that went is compared too.
    let policy = tmp.path().join("p.yaml");
    fs::write(
        &policy,
        "policy: p\nchecks:\n  - id: backend-egress\n    route:\n      to: 172.16.1.1\n      egress: { name: up1 }\n",
    )
    .unwrap();
    let (code, doc) = live_diff(&host, &capture, &["-p", path_str(&policy)]);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&doc),
        owned(&[
            ("critical", "link", "up1", "link"),
            ("critical", "egress", "default (0.0.0.0/0)", "egress"),
            ("warning", "egress", "172.16.1.1", "egress"),
        ]),
        "{doc:#}"
    );

    // The table an operator reads says the same.
    let out = host
        .hostlint(&["diff", path_str(&capture), "live"])
        .output()
        .expect("hostlint runs");
    assert_eq!(out.status.code(), Some(2));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("before ticket 4711") && table.contains("CRITICAL (exit 2)"),
        "{table}"
    );
}

/// A cable knocked during the window: the far end bounced twice, the link
/// is up again at the end, and the diff names the flaps and nothing else.
#[test]
fn live_diff_counts_carrier_flaps() {
    if !live_ready("live_diff_counts_carrier_flaps") {
        return;
    }
    let (host, switch) = cabled_host();
    settle(&host);
    let tmp = tempdir();
    let capture = tmp.path().join("before");
    run_ok(&mut host.hostlint(&["capture", "-o", path_str(&capture)]));
    for _ in 0..2 {
        switch.ip("link set sw0 down");
        switch.ip("link set sw0 up");
    }
    let expected = owned(&[("warning", "link", "up0", "carrier changes")]);
    // The kernel settles a link's state asynchronously (linkwatch): wait
    // for up0 to read up again.
    let mut last = Value::Null;
    for _ in 0..20 {
        let (code, doc) = live_diff(&host, &capture, &[]);
        if changes(&doc) == expected {
            assert_eq!(code, 1);
            let why = doc["changes"][0]["why"].as_str().unwrap_or_default();
            assert!(
                why.contains("changed 4 times") && why.contains("down 2 times"),
                "{why}"
            );
            return;
        }
        last = doc;
        sleep(Duration::from_millis(250));
    }
    panic!("expected only the flaps of up0:\n{last:#}");
}
