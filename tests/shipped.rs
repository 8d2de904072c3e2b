//! The shipped policies on ordinary hosts: a plain virtual machine (this
//! one, live, as root and as an unprivileged user) and a bare-metal server
//! without bonds give exit 0. A fact the hardware does not have (a
//! paravirtual NIC's negotiated speed) is not one that could not be read:
//! a policy selects the links it is about, and a port that should report a
//! speed and does not is still judged. The fault scenarios keep their
//! verdicts (tests/scenarios.rs).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::util::{audit_json, copy_tree, fixture, live_ready, path_str, repo, tempdir};

/// The shipped policies that make sense on any host.
const ANY_HOST: &[&str] = &["baseline.yaml", "bonded-uplink.yaml", "lb-node.yaml"];

fn policy(name: &str) -> String {
    path_str(&repo().join("policies").join(name)).to_owned()
}

/// `hostlint audit -p POLICY --root ROOT --format json`: exit code and
/// document.
fn audit(policy: &str, root: &Path) -> (i32, serde_json::Value) {
    audit_json(&["-p", policy, "--root", path_str(root)])
}

/// The subjects of a report's findings, in its order.
fn subjects(doc: &serde_json::Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect()
}

#[test]
fn the_shipped_policies_pass_on_this_plain_vm_as_root_and_as_nobody() {
    if !live_ready("the_shipped_policies_pass_on_this_plain_vm_as_root_and_as_nobody") {
        return;
    }
    // The binary and the policies where an unprivileged user can read
    // them, wherever the repository is checked out.
    let dir = tempdir();
    let bin = crate::util::binary_for_anyone(dir.path());
    for p in ANY_HOST {
        fs::copy(repo().join("policies").join(p), dir.path().join(p)).unwrap();
    }
    for p in ANY_HOST {
        let file = dir.path().join(p);
        for user in [None, Some("65534")] {
            let mut cmd = match user {
                None => Command::new(&bin),
                Some(id) => {
                    let mut c = Command::new("setpriv");
                    c.arg(format!("--reuid={id}"))
                        .arg(format!("--regid={id}"))
                        .arg("--clear-groups")
                        .arg(&bin);
                    c
                }
            };
            let out = cmd
                .args(["audit", "-p"])
                .arg(&file)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{p} live as {}:\n{}{}",
                user.unwrap_or("root"),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn the_shipped_policies_pass_on_a_healthy_server_without_bonds() {
    for p in ANY_HOST {
        let (code, doc) = audit(&policy(p), &fixture("web-healthy"));
        assert_eq!(code, 0, "{p}: {doc}");
    }
}

#[test]
fn bonded_uplink_is_not_unknown_on_a_host_without_a_bond() {
    let (code, doc) = audit(&policy("bonded-uplink.yaml"), &fixture("web-healthy"));
    assert_eq!(
        (code, doc["cause"].as_str()),
        (0, Some("all_pass")),
        "{doc}"
    );
    assert_eq!(subjects(&doc), ["(no bond)", "(no link)"], "{doc}");
}

/// web-healthy with `iface`'s settings as `ethtool` prints them for a NIC
/// without link modes (virtio_net) or for a port that has them but no
/// speed.
fn with_settings(dir: &Path, iface: &str, link_modes: bool) -> std::path::PathBuf {
    let root = dir.join("host");
    if !root.exists() {
        copy_tree(&fixture("web-healthy"), &root);
    }
    let modes = if link_modes {
        "1000baseX/Full\n\t                        10000baseSR/Full"
    } else {
        "Not reported"
    };
    fs::write(
        root.join("cmd/ethtool").join(iface),
        format!(
            "Settings for {iface}:\n\tSupported ports: [  ]\n\tSupported link modes:   {modes}\n\
             \tSupported pause frame use: No\n\tSupports auto-negotiation: No\n\
             \tSupported FEC modes: Not reported\n\tAdvertised link modes:  {modes}\n\
             \tAdvertised pause frame use: No\n\tAdvertised auto-negotiation: No\n\
             \tAdvertised FEC modes: Not reported\n\tSpeed: Unknown!\n\tDuplex: Unknown! (255)\n\
             \tAuto-negotiation: off\n\tPort: Other\n\tPHYAD: 0\n\tTransceiver: internal\n\
             \tLink detected: yes\n"
        ),
    )
    .unwrap();
    root
}

#[test]
fn a_nic_without_link_modes_is_not_judged_but_a_port_that_lost_its_speed_is() {
    let dir = tempdir();
    // A paravirtual NIC: no link modes, no speed, nothing negotiated.
    let root = with_settings(dir.path(), "enp65s0f1", false);
    let (code, doc) = audit(&policy("baseline.yaml"), &root);
    assert_eq!(code, 0, "{doc}");
    let judged: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "baseline-links-at-capability")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(judged, ["eno1", "enp65s0f0"], "{doc}");
    // A port that reports its link modes and no speed while up: judged,
    // and not a pass.
    let root = with_settings(dir.path(), "enp65s0f0", true);
    let (code, doc) = audit(&policy("baseline.yaml"), &root);
    assert_eq!(code, 3, "{doc}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "enp65s0f0")
        .unwrap();
    assert_eq!(f["status"], "UNKNOWN", "{f}");
    assert!(
        f["observed"].as_str().unwrap().contains("speed unknown"),
        "{f}"
    );
}

/// A policy for LACP bonds is not about an active-backup one, and only
/// the members of LACP bonds are its links.
#[test]
fn bonded_uplink_checks_only_lacp_bonds_and_their_members() {
    let dir = tempdir();
    let root = dir.path().join("ab");
    copy_tree(&fixture("lb-healthy"), &root);
    let proc_bond = root.join("proc/net/bonding/bond0");
    let text = fs::read_to_string(&proc_bond).unwrap();
    let text = text.replace(
        "Bonding Mode: IEEE 802.3ad Dynamic link aggregation",
        "Bonding Mode: fault-tolerance (active-backup)",
    );
    fs::write(&proc_bond, text).unwrap();
    let (code, doc) = audit(&policy("bonded-uplink.yaml"), &root);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(subjects(&doc), ["(no bond)", "(no link)"], "{doc}");
}

/// The finding of `check` on `subject`.
fn finding<'d>(doc: &'d serde_json::Value, check: &str, subject: &str) -> &'d serde_json::Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check && f["subject"] == subject)
        .unwrap_or_else(|| panic!("no {check} on {subject} in {doc}"))
}

/// ENODEV is the kernel saying the device is not there (gone mid-read,
/// detached by PCIe error recovery, being removed), not that it lacks the
/// feature: a NIC whose ethtool answers fail so is judged and UNKNOWN,
/// never left out of a check as a NIC without link modes or a driver.
#[test]
fn a_nic_whose_ethtool_answers_no_such_device_is_unknown_not_left_out() {
    for (fixture, file, policy_file, check) in [
        (
            "web-healthy",
            "cmd/ethtool/enp65s0f0",
            "baseline.yaml",
            "baseline-links-at-capability",
        ),
        (
            "lb-healthy",
            "cmd/ethtool-i/enp65s0f0",
            "lb-node.yaml",
            "lb-uplinks-at-capability",
        ),
    ] {
        let (_tmp, root) = crate::util::fixture_failing(fixture, &[file], "ENODEV");
        let (code, doc) = audit(&policy(policy_file), &root);
        assert_eq!(code, 3, "{file}: {doc}");
        let f = finding(&doc, check, "enp65s0f0");
        assert_eq!(f["status"], "UNKNOWN", "{file}: {f}");
    }
}
