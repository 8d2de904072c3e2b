//! The scenario fixtures under `fixtures/`: each is audited with the example
//! policies in every format, and the output must equal the expected result
//! kept next to the fixture (`fixtures/NAME/expected/`), exit code included.

use std::process::Command;

use crate::util::{hostlint_bin, parse_json, plain, repo};

/// Each scenario, the policies it is audited with, and the exit code an
/// operator must see.
pub const SCENARIOS: &[(&str, &[&str], i32)] = &[
    ("lb-healthy", LB, 0),
    ("lb-default-via-onboard", LB, 2),
    ("lb-uplink-1g", LB, 2),
    ("lb-bond-member-down", LB, 2),
    ("lb-lacp-other-aggregator", LB, 2),
    ("lb-pcie-x4", LB, 2),
    ("lb-tainted-pstore", LB, 1),
    ("lb-cable-swapped", LB_CABLING, 2),
    ("lb-no-lldpd", LB_CABLING, 3),
    ("netns-lab", &["policies/baseline.yaml"], 0),
    ("web-healthy", ANY_HOST, 0),
    ("san-healthy", STORAGE, 0),
    ("san-cable-pull", STORAGE, 2),
    ("san-fc-linkdown", STORAGE, 2),
    ("san-sas-errors", STORAGE, 1),
    ("san-md-rebuilding", STORAGE, 2),
    ("san-nvme-no-optimized", STORAGE, 2),
    ("san-nvme-no-optimized-pre-6.15", STORAGE, 2),
    ("san-mount-hung", STORAGE, 3),
    ("san-four-paths", STORAGE, 0),
    ("san-array-cable-loose", STORAGE, 2),
];

const LB: &[&str] = &["policies/lb-node.yaml", "policies/bonded-uplink.yaml"];
/// The load balancer with its cabling plan checked too.
const LB_CABLING: &[&str] = &[
    "policies/lb-node.yaml",
    "policies/bonded-uplink.yaml",
    "policies/lb-cabling.yaml",
];
const STORAGE: &[&str] = &["policies/storage-paths.yaml"];
/// The shipped policies for any server: on a host without bonds, each
/// has nothing to say but passes.
const ANY_HOST: &[&str] = &[
    "policies/baseline.yaml",
    "policies/bonded-uplink.yaml",
    "policies/lb-node.yaml",
];

/// Files git cannot keep, made before a scenario is audited: a FIFO
/// without a writer stands for a mount point that never answers.
const FIFOS: &[(&str, &str)] = &[("san-mount-hung", "srv/shared")];

/// Creates the FIFOs a scenario needs (once; tests run in parallel).
pub fn prepare(fixture: &str) {
    for (name, rel) in FIFOS.iter().filter(|(n, _)| *n == fixture) {
        let path = repo().join("fixtures").join(name).join(rel);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        let c = std::ffi::CString::new(path.to_str().expect("a UTF-8 path")).expect("no NUL");
        // SAFETY: a valid NUL-terminated path; EEXIST from a parallel test
        // is fine.
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
        assert!(
            rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EEXIST),
            "mkfifo {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        );
    }
}

const FORMATS: &[&str] = &["table", "json", "junit", "nagios", "prometheus"];

/// Runs from the repository root with relative paths, so that the expected
/// files name `fixtures/...` wherever the repository is checked out.
fn audit(fixture: &str, policies: &[&str], format: &str) -> (i32, String) {
    prepare(fixture);
    let mut cmd = Command::new(hostlint_bin());
    plain(&mut cmd).current_dir(repo()).arg("audit");
    for p in policies {
        cmd.args(["-p", p]);
    }
    cmd.args([
        "--root",
        &format!("fixtures/{fixture}"),
        "--format",
        format,
        "--passes",
    ]);
    let out = cmd.output().expect("hostlint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

#[test]
fn every_scenario_gives_its_expected_result_in_every_format() {
    for (fixture, policies, code) in SCENARIOS {
        for format in FORMATS {
            let (got, text) = audit(fixture, policies, format);
            assert_eq!(got, *code, "{fixture} --format {format}: exit code\n{text}");
            insta::with_settings!({
                snapshot_path => format!("../fixtures/{fixture}/expected"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                // When the run ended and how long it took differ every run.
                filters => vec![
                    (r"(hostlint_last_run_timestamp_seconds|hostlint_run_duration_seconds) [0-9.]+", "$1 [time]"),
                    (r#""(finished_unix|duration_seconds)": [0-9.e+-]+"#, r#""$1": "[time]""#),
                ],
            }, {
                insta::assert_snapshot!(format!("audit-{format}"), text);
            });
        }
        let (_, json) = audit(fixture, policies, "json");
        assert_eq!(parse_json(&json)["exit_code"], *code, "{fixture}");
    }
}

/// The findings of an audit that are not PASS, as (check, subject, status).
fn not_passing(fixture: &str, policies: &[&str]) -> Vec<(String, String, String)> {
    let (_, json) = audit(fixture, policies, "json");
    let doc = parse_json(&json);
    let mut v: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "PASS")
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn triples(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = v
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    v.sort();
    v
}

/// Each storage scenario fails exactly the checks its fault should, with
/// the status an operator must see.
#[test]
fn each_storage_fault_is_named_by_the_checks_that_guard_it() {
    assert_eq!(not_passing("san-healthy", STORAGE), triples(&[]));
    let pulled = [
        ("fc-links-clean", "host4", "WARN"),
        ("fc-ports-online", "host4", "FAIL"),
        ("luns-redundant", "mpatha", "FAIL"),
        ("luns-redundant", "mpathb", "FAIL"),
        ("nvme-namespaces-optimized", "nvme-subsys0", "FAIL"),
    ];
    assert_eq!(not_passing("san-cable-pull", STORAGE), triples(&pulled));
    assert_eq!(not_passing("san-fc-linkdown", STORAGE), triples(&pulled));
    assert_eq!(
        not_passing("san-sas-errors", STORAGE),
        triples(&[
            ("sas-links-clean", "phy-2:0:2", "WARN"),
            ("sas-links-clean", "phy-2:2", "WARN"),
        ])
    );
    assert_eq!(
        not_passing("san-md-rebuilding", STORAGE),
        triples(&[("arrays-whole", "md2", "FAIL")])
    );
    assert_eq!(
        not_passing("san-nvme-no-optimized", STORAGE),
        triples(&[("nvme-namespaces-optimized", "nvme-subsys0", "FAIL")])
    );
    // The same fault on a kernel before 6.15, whose head disk links no
    // paths: found under the controllers all the same, and the same
    // finding, not an UNKNOWN.
    assert_eq!(
        not_passing("san-nvme-no-optimized-pre-6.15", STORAGE),
        triples(&[("nvme-namespaces-optimized", "nvme-subsys0", "FAIL")])
    );
    assert_eq!(
        not_passing("san-mount-hung", STORAGE),
        triples(&[("shared-nfs-answering", "/srv/shared", "UNKNOWN")])
    );
    assert_eq!(not_passing("san-four-paths", STORAGE), triples(&[]));
    // Two active paths through two HBAs are left: only the failed paths,
    // their fail counts and the SAS lane's errors tell.
    assert_eq!(
        not_passing("san-array-cable-loose", STORAGE),
        triples(&[
            ("lun-paths-steady", "mpatha", "WARN"),
            ("luns-redundant", "mpatha", "FAIL"),
            ("sas-links-clean", "phy-2:0:1", "WARN"),
            ("sas-links-clean", "phy-2:1", "WARN"),
        ])
    );
}

/// The cabling scenarios fail, or cannot judge, exactly the ports the
/// plan names, and the healthy host passes them; a swapped cable is named
/// by both its ends.
#[test]
fn each_cabling_fault_is_named_by_the_ports_it_moved() {
    assert_eq!(not_passing("lb-healthy", LB_CABLING), triples(&[]));
    assert_eq!(
        not_passing("lb-cable-swapped", LB_CABLING),
        triples(&[
            ("lb-cabled-per-plan", "enp65s0f0", "FAIL"),
            ("lb-cabled-per-plan", "enp65s0f1", "FAIL"),
        ])
    );
    let (_, json) = audit("lb-cable-swapped", LB_CABLING, "json");
    let doc = parse_json(&json);
    let observed: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| f["observed"].as_str().unwrap())
        .collect();
    assert_eq!(
        observed,
        [
            "enp65s0f0 faces sw-b.dc1.example.net Ethernet17, plan says sw-a Ethernet17",
            "enp65s0f1 faces sw-a.dc1.example.net Ethernet17, plan says sw-b Ethernet17",
        ]
    );
    assert_eq!(
        not_passing("lb-no-lldpd", LB_CABLING),
        triples(&[
            ("lb-cabled-per-plan", "bond0", "UNKNOWN"),
            ("lb-cabled-per-plan", "eno1", "UNKNOWN"),
            ("lb-cabled-per-plan", "enp65s0f0", "UNKNOWN"),
            ("lb-cabled-per-plan", "enp65s0f1", "UNKNOWN"),
        ])
    );
    assert!(json_contains(
        "lb-no-lldpd",
        "not_running (lldpd is not running: its control socket does not exist)"
    ));
}

/// lb-healthy's lldpcli output edited the way odd switches send their
/// TLVs: a VLAN id 0 on enp65s0f0, an aggregation id that is no number on
/// enp65s0f1, and on eno1 a chassis whose id cannot be read.
fn lb_with_odd_tlvs(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("lb-odd-tlvs");
    crate::util::copy_tree(&crate::util::fixture("lb-healthy"), &root);
    let path = root.join("cmd/lldpcli-neighbors.json");
    let mut doc = parse_json(&std::fs::read_to_string(&path).unwrap());
    for entry in doc["lldp"]["interface"].as_array_mut().unwrap() {
        let (name, n) = entry.as_object_mut().unwrap().iter_mut().next().unwrap();
        match name.as_str() {
            "enp65s0f0" => n["vlan"]["vlan-id"] = "0".into(),
            "enp65s0f1" => n["port"]["aggregation"] = "n/a".into(),
            "eno1" => n["chassis"]["mgmt-sw3"]["id"] = "garbled".into(),
            _ => {}
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    root
}

#[test]
fn one_odd_tlv_leaves_its_field_unknown_and_every_other_port_judged() {
    let dir = crate::util::tempdir();
    let root = lb_with_odd_tlvs(dir.path());
    let policy = crate::util::repo().join("policies/lb-cabling.yaml");
    let (code, doc) = crate::util::audit_json(&[
        "-p",
        policy.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--passes",
    ]);
    let statuses: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["subject"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("eno1", "UNKNOWN"),
            ("enp65s0f0", "PASS"),
            ("enp65s0f1", "PASS"),
            ("bond0", "PASS"),
            ("(switch ports)", "UNKNOWN"),
        ],
        "{doc}"
    );
    assert_eq!(code, 3);
    let eno1 = &doc["findings"][0]["observed"];
    assert!(eno1.as_str().unwrap().contains("chassis id"), "{eno1}");

    // The odd fields are unknown with their reason, the rest kept.
    let out = crate::util::run_ok(&mut crate::util::hostlint(&[
        "show",
        "lldp",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let shown = parse_json(&out);
    let n = |iface: &str| {
        shown["lldp"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["iface"] == iface)
            .unwrap()
            .clone()
    };
    assert_eq!(n("enp65s0f0")["vlans"]["unknown"], "malformed");
    assert!(
        n("enp65s0f0")["vlans"]["detail"]
            .as_str()
            .unwrap()
            .contains("cmd/lldpcli-neighbors.json: interface enp65s0f0: vlan-id \"0\""),
        "{}",
        n("enp65s0f0")
    );
    assert_eq!(n("enp65s0f0")["aggregation_port_id"], 1000010);
    assert_eq!(
        n("enp65s0f1")["aggregation_port_id"]["unknown"],
        "malformed"
    );
    assert_eq!(n("enp65s0f1")["vlans"][0]["id"], 100);
    assert_eq!(n("eno1")["chassis_id"]["unknown"], "malformed");
    assert_eq!(n("eno1")["port_id"]["value"], "Gi1/0/12");
}

fn json_contains(fixture: &str, text: &str) -> bool {
    audit(fixture, LB_CABLING, "json").1.contains(text)
}

/// The paths a pre-6.15 kernel keeps under its controllers read as the
/// 6.15 layout's: the two snapshots' NVMe subsystems are the same.
#[test]
fn nvme_paths_read_alike_on_both_kernel_layouts() {
    let nvme = |fixture: &str| {
        let out = std::process::Command::new(hostlint_bin())
            .current_dir(repo())
            .args(["show", "storage", "--format", "json", "--root"])
            .arg(format!("fixtures/{fixture}"))
            .output()
            .expect("hostlint runs");
        parse_json(&String::from_utf8(out.stdout).expect("UTF-8"))["storage"]["nvme"].take()
    };
    let old = nvme("san-nvme-no-optimized-pre-6.15");
    assert_eq!(old, nvme("san-nvme-no-optimized"));
    let paths = &old[0]["namespaces"][0]["paths"];
    assert_eq!(paths[0]["ana_state"], "inaccessible");
    assert_eq!(paths[1]["ana_state"], "non-optimized");
    assert_eq!(old[0]["namespaces"][0]["size_bytes"], 536_870_912_000u64);
}

/// A mount that never answers does not stop the audit: it ends within the
/// probe's limit (2 s) and a little, not never, and says why.
#[test]
fn a_hung_mount_never_stops_an_audit() {
    let started = std::time::Instant::now();
    let (code, json) = audit("san-mount-hung", STORAGE, "json");
    let took = started.elapsed();
    assert_eq!(code, 3);
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_secs(8),
        "{took:?}"
    );
    let doc = parse_json(&json);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "/srv/shared")
        .unwrap();
    let observed = f["observed"].as_str().unwrap();
    assert!(
        observed.contains("timeout") && observed.contains("did not answer within 2s"),
        "{observed}"
    );
}

/// Each fault scenario fails exactly the checks its fault should fail, so
/// that a golden file cannot quietly bless a wrong result.
#[test]
fn each_fault_is_named_by_the_checks_that_guard_it() {
    let failing = |fixture: &str| -> Vec<(String, String)> {
        let (_, json) = audit(fixture, LB, "json");
        let doc = parse_json(&json);
        let mut v: Vec<(String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] != "PASS")
            .map(|f| {
                (
                    f["check"].as_str().unwrap().to_owned(),
                    f["subject"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = v
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(failing("lb-healthy"), pairs(&[]));
    assert_eq!(
        failing("lb-default-via-onboard"),
        pairs(&[("lb-egress-via-10g", "default (0.0.0.0/0)")])
    );
    assert_eq!(
        failing("lb-uplink-1g"),
        pairs(&[
            ("baseline-links-at-capability", "enp65s0f1"),
            ("bonded-uplink-lacp", "bond0"),
            ("bonded-uplink-members", "enp65s0f1"),
            ("lb-bond0-healthy", "bond0"),
            ("lb-uplinks-at-capability", "enp65s0f1"),
        ])
    );
    assert_eq!(
        failing("lb-bond-member-down"),
        pairs(&[
            ("bonded-uplink-lacp", "bond0"),
            ("bonded-uplink-members", "enp65s0f1"),
            ("lb-bond0-healthy", "bond0"),
            ("lb-uplinks-at-capability", "enp65s0f1"),
        ])
    );
    assert_eq!(
        failing("lb-lacp-other-aggregator"),
        pairs(&[
            ("bonded-uplink-lacp", "bond0"),
            ("lb-bond0-healthy", "bond0")
        ])
    );
    assert_eq!(
        failing("lb-pcie-x4"),
        pairs(&[
            ("bonded-uplink-members", "enp65s0f0"),
            ("bonded-uplink-members", "enp65s0f1"),
            ("lb-uplinks-at-capability", "enp65s0f0"),
            ("lb-uplinks-at-capability", "enp65s0f1"),
        ])
    );
    assert_eq!(
        failing("lb-tainted-pstore"),
        pairs(&[("baseline-kernel-clean", "kernel")])
    );
}

/// With colour, an audit paints the fact that failed, not its name nor the
/// facts that passed: the width of the PCIe link, the speed of the onboard
/// port the default route leaves by.
#[test]
fn the_fact_that_fails_is_what_is_highlighted() {
    let coloured = |fixture: &str| {
        let mut cmd = Command::new(hostlint_bin());
        plain(&mut cmd)
            .current_dir(repo())
            .args(["audit", "--color", "always"]);
        for p in LB {
            cmd.args(["-p", p]);
        }
        let out = cmd
            .args(["--root", &format!("fixtures/{fixture}")])
            .output()
            .expect("hostlint runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let red = |text: &str| format!("\u{1b}[31m{text}\u{1b}[0m");
    let pcie = coloured("lb-pcie-x4");
    assert!(
        pcie.contains(&format!("pcie 8 GT/s {}", red("x4"))),
        "{pcie}"
    );
    assert!(pcie.contains(&red("FAIL")), "{pcie}");
    let onboard = coloured("lb-default-via-onboard");
    assert!(
        onboard.contains(&format!("egress eno1 speed {}", red("1000 Mb/s"))),
        "{onboard}"
    );
    assert!(
        onboard.contains("egress eno1 onboard \u{1b}[31mtrue (SMBIOS"),
        "{onboard}"
    );
    // A warning is painted as one.
    let tainted = coloured("lb-tainted-pstore");
    assert!(
        tainted.contains("\u{1b}[33mW (kernel issued a warning)"),
        "{tainted}"
    );
}
