//! The scenario fixtures under `fixtures/`: each is audited with the example
//! policies in every format, and the output must equal the expected result
//! kept next to the fixture (`fixtures/NAME/expected/`), exit code included.

use std::process::Command;

use crate::util::{hostlint_bin, parse_json, repo};

/// Each scenario, the policies it is audited with, and the exit code an
/// operator must see.
const SCENARIOS: &[(&str, &[&str], i32)] = &[
    ("lb-healthy", LB, 0),
    ("lb-default-via-onboard", LB, 2),
    ("lb-uplink-1g", LB, 2),
    ("lb-bond-member-down", LB, 2),
    ("lb-lacp-other-aggregator", LB, 2),
    ("lb-pcie-x4", LB, 2),
    ("lb-tainted-pstore", LB, 1),
    ("netns-lab", &["policies/baseline.yaml"], 0),
];

const LB: &[&str] = &["policies/lb-node.yaml", "policies/bonded-uplink.yaml"];

const FORMATS: &[&str] = &["table", "json", "junit", "nagios", "prometheus"];

/// Runs from the repository root with relative paths, so that the expected
/// files name `fixtures/...` wherever the repository is checked out.
fn audit(fixture: &str, policies: &[&str], format: &str) -> (i32, String) {
    let mut cmd = Command::new(hostlint_bin());
    cmd.current_dir(repo()).env("NO_COLOR", "1").arg("audit");
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
