//! Scheduled audits: state between runs (flaps, rates, reboots), the
//! deadline, the lock against overlapping runs, atomic files, and the
//! systemd units.

use std::fs;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{
    Netns, copy_tree, fixture, hostlint, live_ready, parse_json, path_str, run_expect, tempdir,
    tool_ready,
};

fn write_policy(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    path_str(&p).to_owned()
}

fn findings(out: &std::process::Output) -> Vec<serde_json::Value> {
    let doc = parse_json(&String::from_utf8_lossy(&out.stdout));
    doc["findings"].as_array().cloned().unwrap_or_default()
}

/// `hostlint audit` of a captured host with a state file, reporting JSON.
fn audit_with_state(policy: &str, root: &str, state: &Path) -> Command {
    hostlint(&[
        "audit",
        "-p",
        policy,
        "--root",
        root,
        "--state",
        path_str(state),
        "--format",
        "json",
    ])
}

#[test]
fn a_carrier_flap_between_two_runs_is_caught() {
    if !live_ready("a_carrier_flap_between_two_runs_is_caught") {
        return;
    }
    let ns = Netns::new("flap");
    ns.sysctl(&[
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
    ]);
    for cmd in [
        "link set lo up",
        "link add uplink0 type veth peer name peer0",
        "link set uplink0 up",
        "link set peer0 up",
    ] {
        ns.ip(cmd);
    }
    let dir = tempdir();
    let policy = write_policy(
        dir.path(),
        "flaps.yaml",
        "policy: flaps\nchecks:\n  - id: uplink0-stable\n    link:\n      select: {name: uplink0}\n      expect: {carrier_changes: {max_increase: 0}}\n",
    );
    let state = dir.path().join("state.json");
    let audit = |code| {
        run_expect(
            &mut ns.hostlint(&[
                "audit",
                "-p",
                &policy,
                "--state",
                path_str(&state),
                "--format",
                "json",
            ]),
            code,
        )
    };
    // The first run has nothing to compare with: it says so.
    let first = findings(&audit(3));
    assert!(
        first[0]["observed"]
            .as_str()
            .unwrap()
            .contains("no previous run"),
        "{first:?}"
    );
    let quiet = findings(&audit(0));
    assert!(
        quiet[0]["observed"].as_str().unwrap().contains("+0"),
        "{quiet:?}"
    );
    ns.ip("link set peer0 down");
    ns.ip("link set peer0 up");
    let flapped = findings(&audit(2));
    assert_eq!(flapped[0]["status"], "FAIL");
    assert!(
        flapped[0]["observed"]
            .as_str()
            .unwrap()
            .contains("carrier_changes +2"),
        "{flapped:?}"
    );
    assert!(dir.path().join("state.json.lock").exists());
}

/// A copy of lb-healthy `seconds` later in the same boot, with the link
/// enp65s0f0 as `edit` leaves it in `ip -j -s -s link` terms.
pub fn lb_healthy_later(
    dir: &Path,
    name: &str,
    seconds: f64,
    mut edit: impl FnMut(&mut serde_json::Value),
) -> std::path::PathBuf {
    let to = dir.join(name);
    copy_tree(&fixture("lb-healthy"), &to);
    let uptime = fs::read_to_string(to.join("proc/uptime")).unwrap();
    let now: f64 = uptime.split_whitespace().next().unwrap().parse().unwrap();
    fs::write(
        to.join("proc/uptime"),
        format!("{:.2} 1.00\n", now + seconds),
    )
    .unwrap();
    let links = to.join("cmd/ip-link.json");
    let mut doc = parse_json(&fs::read_to_string(&links).unwrap());
    for l in doc.as_array_mut().unwrap() {
        if l["ifname"] == "enp65s0f0" {
            edit(l);
        }
    }
    fs::write(&links, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    to
}

/// lb-healthy `seconds` later, with `rx` more bytes received on
/// enp65s0f0, in another boot if `boot_id` says so.
fn later(dir: &Path, name: &str, seconds: f64, rx: u64, boot_id: Option<&str>) -> String {
    let to = lb_healthy_later(dir, name, seconds, |l| {
        let b = l["stats64"]["rx"]["bytes"].as_u64().unwrap();
        l["stats64"]["rx"]["bytes"] = serde_json::json!(b + rx);
    });
    if let Some(id) = boot_id {
        fs::write(to.join("proc/sys/kernel/random/boot_id"), format!("{id}\n")).unwrap();
    }
    path_str(&to).to_owned()
}

const UTILIZATION: &str = "policy: busy\nchecks:\n  - id: uplink-headroom\n    severity: warning\n    link:\n      select: {name: enp65s0f0}\n      expect: {utilization: {max: 80}, counters: {rx_bytes: {max_rate: 2000000000}}}\n";

#[test]
fn a_link_at_90_percent_of_its_speed_warns() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "busy.yaml", UTILIZATION);
    let state = dir.path().join("state.json");
    let audit = |root: &str, code| run_expect(&mut audit_with_state(&policy, root, &state), code);
    audit(path_str(&fixture("lb-healthy")), 3);
    // 90% of 10 Gb/s for 60 s: 67.5 GB.
    let busy = later(dir.path(), "busy", 60.0, 67_500_000_000, None);
    let f = findings(&audit(&busy, 1));
    assert_eq!(f[0]["status"], "WARN", "{f:?}");
    let observed = f[0]["observed"].as_str().unwrap();
    assert!(observed.contains("utilization 90 %"), "{observed}");
}

#[test]
fn a_reboot_between_runs_does_not_fire_rate_checks() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "busy.yaml", UTILIZATION);
    let state = dir.path().join("state.json");
    let audit = |root: &str, code| run_expect(&mut audit_with_state(&policy, root, &state), code);
    audit(path_str(&fixture("lb-healthy")), 3);
    // A new boot: the counters started again, lower than before, after
    // what the uptime would call a huge jump if it were the same boot.
    let rebooted = later(
        dir.path(),
        "rebooted",
        -1_000_000.0,
        0,
        Some("9e0c1b64-0000-4000-8000-000000000001"),
    );
    let f = findings(&audit(&rebooted, 3));
    assert!(f.iter().all(|x| x["status"] == "UNKNOWN"), "{f:?}");
    assert!(
        f[0]["observed"].as_str().unwrap().contains("rebooted"),
        "{f:?}"
    );
    // And the run after that judges again, from the new boot's counters.
    let next = later(
        dir.path(),
        "next",
        -999_940.0,
        0,
        Some("9e0c1b64-0000-4000-8000-000000000001"),
    );
    let f = findings(&audit(&next, 0));
    assert!(f.iter().all(|x| x["status"] == "PASS"), "{f:?}");
}

/// A copy of san-healthy `seconds` later, with `crc` invalid CRCs on FC
/// port host3, `dwords` invalid dwords on SAS phy-2:2 and `mismatches`
/// sectors found differing in md0.
fn san_later(dir: &Path, name: &str, seconds: f64, [crc, dwords, mismatches]: [u64; 3]) -> String {
    let to = dir.join(name);
    copy_tree(&fixture("san-healthy"), &to);
    let uptime = fs::read_to_string(to.join("proc/uptime")).unwrap();
    let now: f64 = uptime.split_whitespace().next().unwrap().parse().unwrap();
    fs::write(
        to.join("proc/uptime"),
        format!("{:.2} 1.00\n", now + seconds),
    )
    .unwrap();
    // Through the class links, so that the device tree's own layout does
    // not matter to the test.
    let fc = to.join("sys/class/fc_host/host3/statistics/invalid_crc_count");
    fs::write(fc, format!("{crc:#x}\n")).unwrap();
    let phy = to.join("sys/class/sas_phy/phy-2:2/invalid_dword_count");
    fs::write(phy, format!("{dwords}\n")).unwrap();
    let md = to.join("sys/block/md0/md/mismatch_cnt");
    fs::write(md, format!("{mismatches}\n")).unwrap();
    path_str(&to).to_owned()
}

#[test]
fn storage_counters_that_grow_between_runs_are_caught() {
    let dir = tempdir();
    let policy = write_policy(
        dir.path(),
        "links.yaml",
        "policy: storage-links\nchecks:\n  - id: fc-clean\n    fc:\n      select: {name: host3}\n      expect: {counters: {invalid_crc_count: {max_increase: 0}}}\n  - id: sas-clean\n    sas:\n      select: {name: phy-2:2}\n      expect: {errors: {max_increase: 0}}\n  - id: md-scrub-clean\n    mdraid:\n      select: {name: md0}\n      expect: {mismatch_cnt: {max_increase: 0}}\n",
    );
    let state = dir.path().join("state.json");
    let audit = |root: &str, code| {
        findings(&run_expect(
            &mut audit_with_state(&policy, root, &state),
            code,
        ))
    };
    let first = audit(&san_later(dir.path(), "t0", 0.0, [12, 3, 0]), 3);
    assert!(first.iter().all(|f| f["status"] == "UNKNOWN"), "{first:?}");
    // Counters standing still at a non-zero value since the last
    // maintenance pass: growth, not the value, is judged.
    let quiet = audit(&san_later(dir.path(), "t1", 60.0, [12, 3, 0]), 0);
    assert!(quiet.iter().all(|f| f["status"] == "PASS"), "{quiet:?}");
    let grown = audit(&san_later(dir.path(), "t2", 120.0, [19, 40, 128]), 2);
    for (id, status, growth) in [
        ("fc-clean", "FAIL", "invalid_crc_count +7 in 60 s"),
        ("sas-clean", "WARN", "invalid_dword_count +37 in 60 s"),
        ("md-scrub-clean", "FAIL", "mismatch_cnt +128 in 60 s"),
    ] {
        let f = grown.iter().find(|f| f["check"] == id).unwrap();
        assert_eq!(f["status"], status, "{f:?}");
        assert!(f["observed"].as_str().unwrap().contains(growth), "{f:?}");
    }
    // A reset of the port's statistics is not growth, and not a pass.
    let reset = audit(&san_later(dir.path(), "t3", 180.0, [0, 40, 128]), 3);
    let fc = reset.iter().find(|f| f["check"] == "fc-clean").unwrap();
    assert_eq!(fc["status"], "UNKNOWN", "{fc:?}");
    assert!(
        fc["observed"].as_str().unwrap().contains("went back"),
        "{fc:?}"
    );
}

#[test]
fn a_corrupt_state_file_is_reported_and_rebuilt() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "busy.yaml", UTILIZATION);
    let state = dir.path().join("state.json");
    fs::write(&state, "{\"schema\": \"hostlint.state/1\", \"boot_").unwrap();
    let out = run_expect(
        &mut audit_with_state(&policy, path_str(&fixture("lb-healthy")), &state),
        1,
    );
    let f = findings(&out);
    let warn = f.iter().find(|x| x["check"] == "state-file").unwrap();
    assert_eq!(warn["status"], "WARN");
    let rebuilt = parse_json(&fs::read_to_string(&state).unwrap());
    assert_eq!(rebuilt["schema"], "hostlint.state/1");
}

/// lb-healthy with the PCIe width of enp65s0f0 behind a FIFO nobody writes:
/// a read that never returns, as a file behind a stuck driver does.
fn hung(dir: &Path) -> String {
    let to = dir.join("hung");
    copy_tree(&fixture("lb-healthy"), &to);
    let file = to.join("sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/current_link_width");
    fs::remove_file(&file).unwrap();
    let c = std::ffi::CString::new(path_str(&file)).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    path_str(&to).to_owned()
}

const PCIE: &str = "policy: pcie\nchecks:\n  - id: pcie-at-max\n    link:\n      select: {driver: i40e}\n      expect: {pcie: at_max}\n";

#[test]
fn a_blocked_read_ends_in_unknown_within_the_deadline() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let root = hung(dir.path());
    let started = Instant::now();
    let out = run_expect(
        &mut hostlint(&[
            "audit",
            "-p",
            &policy,
            "--root",
            &root,
            "--deadline",
            "2s",
            "--format",
            "json",
        ]),
        3,
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let doc = parse_json(&String::from_utf8_lossy(&out.stdout));
    let f = doc["findings"].as_array().unwrap();
    let stuck = f.iter().find(|x| x["subject"] == "enp65s0f0").unwrap();
    assert_eq!(stuck["status"], "UNKNOWN");
    assert!(
        stuck["observed"].as_str().unwrap().contains("timeout"),
        "{stuck}"
    );
    // The other port's facts were read, and judged.
    let other = f.iter().find(|x| x["subject"] == "enp65s0f1").unwrap();
    assert_eq!(other["status"], "PASS", "{other}");
    assert_eq!(doc["run"]["deadline_exceeded"], true);
}

#[test]
fn five_concurrent_runs_make_one_audit_and_four_immediate_exits() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let root = hung(dir.path());
    let state = dir.path().join("state.json");
    let started = Instant::now();
    let children: Vec<_> = (0..5)
        .map(|_| {
            hostlint(&[
                "audit",
                "-p",
                &policy,
                "--root",
                &root,
                "--state",
                path_str(&state),
                "--deadline",
                "3s",
                "--format",
                "json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut overlapped = 0;
    let mut audited = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let doc = parse_json(&String::from_utf8_lossy(&out.stdout));
        if doc["run"]["overlapped"] == true {
            overlapped += 1;
            assert_eq!(out.status.code(), Some(3));
            assert_eq!(doc["cause"], "lock_held");
            assert!(
                doc["summary"]
                    .as_str()
                    .unwrap()
                    .contains("another audit is running"),
                "{doc}"
            );
        } else {
            audited += 1;
        }
    }
    assert_eq!((audited, overlapped), (1, 4));
    assert!(started.elapsed() < Duration::from_secs(6));
}

#[test]
fn killing_a_run_leaves_the_previous_state_and_report_intact() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = dir.path().join("state.json");
    let report = dir.path().join("hostlint.prom");
    // A complete run first.
    run_expect(
        &mut hostlint(&[
            "audit",
            "-p",
            &policy,
            "--root",
            path_str(&fixture("lb-healthy")),
            "--state",
            path_str(&state),
            "--format",
            "prometheus",
            "--output",
            path_str(&report),
        ]),
        0,
    );
    let state_before = fs::read(&state).unwrap();
    let report_before = fs::read(&report).unwrap();
    // Then one killed while it hangs on a read.
    let root = hung(dir.path());
    let mut child = hostlint(&[
        "audit",
        "-p",
        &policy,
        "--root",
        &root,
        "--state",
        path_str(&state),
        "--deadline",
        "30s",
        "--format",
        "prometheus",
        "--output",
        path_str(&report),
    ])
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(fs::read(&state).unwrap(), state_before);
    assert_eq!(fs::read(&report).unwrap(), report_before);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The next run is not blocked by the dead one's lock.
    run_expect(
        &mut audit_with_state(&policy, path_str(&fixture("lb-healthy")), &state),
        0,
    );
}

/// Holds `state`'s lock, as a run still going would, until dropped.
fn hold_lock(state: &Path) -> fs::File {
    let lock = fs::File::create(format!("{}.lock", path_str(state))).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(rc, 0, "flock");
    lock
}

/// A prometheus audit of lb-healthy with a state file, writing `report`.
fn scheduled(policy: &str, state: &Path, report: &Path) -> Command {
    hostlint(&[
        "audit",
        "-p",
        policy,
        "--root",
        path_str(&fixture("lb-healthy")),
        "--state",
        path_str(state),
        "--format",
        "prometheus",
        "--output",
        path_str(report),
    ])
}

#[test]
fn a_run_refused_by_the_lock_leaves_the_previous_report_alone() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = dir.path().join("state.json");
    let report = dir.path().join("hostlint.prom");
    run_expect(&mut scheduled(&policy, &state, &report), 0);
    let before = fs::read(&report).unwrap();
    let state_before = fs::read(&state).unwrap();
    let held = hold_lock(&state);
    let out = run_expect(&mut scheduled(&policy, &state, &report), 3);
    drop(held);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another audit is running"), "{err}");
    assert!(
        err.contains(&format!("{} left as it was", path_str(&report))),
        "{err}"
    );
    assert_eq!(
        fs::read(&report).unwrap(),
        before,
        "the report was replaced"
    );
    assert_eq!(fs::read(&state).unwrap(), state_before);
}

#[test]
fn the_lock_never_follows_a_symlink() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = dir.path().join("state.json");
    let report = dir.path().join("hostlint.prom");
    // Planted where root's run would create its lock: a link to a file
    // that does not exist yet, and one to a file that does.
    let elsewhere = dir.path().join("elsewhere");
    symlink(&elsewhere, dir.path().join("state.json.lock")).unwrap();
    let out = run_expect(&mut scheduled(&policy, &state, &report), 3);
    assert!(!elsewhere.exists(), "the lock followed the link");
    let text = fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("hostlint_audit_cause{cause=\"lock_failed\"} 1"),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a symbolic link"), "{err}");
    fs::write(&elsewhere, "precious\n").unwrap();
    run_expect(&mut scheduled(&policy, &state, &report), 3);
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "precious\n");
}

#[test]
fn a_lock_file_root_created_does_not_lock_out_the_service_user() {
    if !live_ready("a_lock_file_root_created_does_not_lock_out_the_service_user") {
        return;
    }
    let dir = tempdir();
    // The service's state directory, owned by its user; root ran an audit
    // in it by hand first, leaving a lock file and a state file of its own.
    let state_dir = dir.path().join("state");
    fs::create_dir(&state_dir).unwrap();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = state_dir.join("state.json");
    let report = state_dir.join("hostlint.prom");
    run_expect(&mut scheduled(&policy, &state, &report), 0);
    let lock = state_dir.join("state.json.lock");
    assert_eq!(fs::metadata(&lock).unwrap().uid(), 0);
    std::os::unix::fs::chown(&state_dir, Some(65534), Some(65534)).unwrap();
    // The binary and the fixture where the user can read them.
    let bin = crate::util::binary_for_anyone(dir.path());
    let root = dir.path().join("lb-healthy");
    copy_tree(&fixture("lb-healthy"), &root);
    let mut as_nobody = Command::new("setpriv");
    as_nobody
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin)
        .args(["audit", "-p", &policy, "--root"])
        .arg(&root)
        .arg("--state")
        .arg(&state)
        .args(["--format", "prometheus", "--output"])
        .arg(&report);
    run_expect(&mut as_nobody, 0);
    assert_eq!(fs::metadata(&report).unwrap().uid(), 65534);
}

/// A hardened root shell or cron has umask 077 or 027: the lock file it
/// creates must still open for the service user, or every later run of
/// theirs is `lock_failed`.
#[test]
fn a_lock_file_made_under_a_strict_umask_stays_readable_by_every_user() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = dir.path().join("state.json");
    let report = dir.path().join("hostlint.prom");
    let cmd = scheduled(&policy, &state, &report);
    let mut strict = Command::new("sh");
    strict
        .arg("-c")
        .arg("umask 077 && exec \"$0\" \"$@\"")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    run_expect(&mut strict, 0);
    let lock = dir.path().join("state.json.lock");
    let mode = fs::metadata(&lock).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o644, "{mode:o}");
}

/// The pid of a process that has exited: it names no process now.
fn exited_pid() -> u32 {
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    pid
}

#[test]
fn temporary_files_a_killed_run_left_are_removed_by_the_next() {
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = dir.path().join("state.json");
    let report = dir.path().join("hostlint.prom");
    let dead = exited_pid();
    let stale = [
        dir.path().join(format!(".hostlint.prom.{dead}.0.tmp")),
        dir.path().join(format!(".state.json.{dead}.1.tmp")),
    ];
    // One of a run still going (this test's own process) stays.
    let live = dir
        .path()
        .join(format!(".hostlint.prom.{}.0.tmp", std::process::id()));
    for f in stale.iter().chain([&live]) {
        fs::write(f, "half a report").unwrap();
    }
    run_expect(&mut scheduled(&policy, &state, &report), 0);
    for f in &stale {
        assert!(!f.exists(), "{} was left behind", f.display());
    }
    assert!(live.exists(), "a live run's file was removed");
}

/// Stale-file removal takes only files of this user's runs: in a shared
/// directory (/tmp, a group-writable textfile directory) a file of
/// another user's that only looks like a killed run's stays.
#[test]
fn another_users_file_named_like_a_stale_temporary_is_left_alone() {
    if !live_ready("another_users_file_named_like_a_stale_temporary_is_left_alone") {
        return;
    }
    let dir = tempdir();
    let policy = write_policy(dir.path(), "pcie.yaml", PCIE);
    let state = dir.path().join("state.json");
    let report = dir.path().join("hostlint.prom");
    let dead = exited_pid();
    let theirs = dir.path().join(format!(".hostlint.prom.{dead}.0.tmp"));
    let ours = dir.path().join(format!(".hostlint.prom.{dead}.1.tmp"));
    fs::write(&theirs, "another user's file").unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    fs::write(&ours, "half a report").unwrap();
    run_expect(&mut scheduled(&policy, &state, &report), 0);
    assert!(theirs.exists(), "another user's file was removed");
    assert!(!ours.exists(), "this user's stale file was left behind");
}

/// A unit of `contrib/systemd` as installed in `dir`, its ExecStart
/// pointed at this build (`systemd-analyze verify` checks that the program
/// exists), whether the unit names it bare or by its path: the text as
/// shipped, and where the installed copy is.
pub fn install_unit(dir: &Path, name: &str) -> (String, std::path::PathBuf) {
    let unit = fs::read_to_string(crate::util::repo().join("contrib/systemd").join(name)).unwrap();
    let installed = dir.join(name);
    let bin = crate::util::hostlint_bin();
    fs::write(
        &installed,
        unit.replace("ExecStart=hostlint ", &format!("ExecStart={bin} "))
            .replace("/usr/local/bin/hostlint", bin),
    )
    .unwrap();
    (unit, installed)
}

/// `systemd-analyze verify` passes the units without a word, and each
/// sets what `must` lists and none of what no hostlint unit may set.
pub fn assert_systemd_accepts(units: &[&Path], service: &str, must: &[&str]) {
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(units)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for m in must {
        assert!(service.contains(m), "the unit lacks {m:?}");
    }
    // PrivateNetwork= would show only lo; ProcSubset=pid hides /proc/net
    // and /proc/mounts.
    for never in ["PrivateNetwork=", "ProcSubset="] {
        assert!(
            !service.lines().any(|l| l.starts_with(never)),
            "the unit must not set {never}"
        );
    }
}

#[test]
fn systemd_accepts_the_units() {
    if !tool_ready("systemd_accepts_the_units", "systemd-analyze", "systemd") {
        return;
    }
    let dir = tempdir();
    let (service, installed) = install_unit(dir.path(), "hostlint.service");
    let timer = dir.path().join("hostlint.timer");
    symlink(
        crate::util::repo().join("contrib/systemd/hostlint.timer"),
        &timer,
    )
    .unwrap();
    assert_systemd_accepts(
        &[&installed, &timer],
        &service,
        &[
            "TimeoutStartSec=",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=\n",
            "ProtectSystem=strict",
            "RestrictAddressFamilies=AF_NETLINK AF_UNIX",
            "User=hostlint",
        ],
    );
}
