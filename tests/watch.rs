//! `hostlint watch`, the agent: replayed captures drive it step by step
//! (transitions, a directory of captures, counters across captures, the
//! state lock, readiness, a stop during a stuck audit, startup errors),
//! and live in namespaces it reports a link going down and up, a moved
//! default route and a policy rule each within a second, a counter that
//! grew without an event at `--max-interval`, stays flat
//! through 10,000 link flaps, answers an overflowed socket with a full
//! re-read, reloads policies on SIGHUP (keeping the old ones when the new
//! are broken) and exits 0 within a second of SIGTERM. Its systemd unit
//! is checked by systemd itself.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::live::QUIET;
use crate::schedule::{assert_systemd_accepts, install_unit, lb_healthy_later};
use crate::util::{
    Netns, copy_tree, fixture, hostlint, live_ready, parse_json, path_str, run_expect, tempdir,
    tool_ready,
};

/// A running `hostlint watch`, its standard output read line by line as
/// it comes; killed by its PID if still running when dropped.
struct Agent {
    child: Child,
    lines: Receiver<(Instant, Value)>,
    seen: Vec<Value>,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn spawn(mut cmd: Command) -> Agent {
        let dir = tempdir();
        let stderr = dir.path().join("stderr");
        cmd.stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr).unwrap());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let v = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                if tx.send((Instant::now(), v)).is_err() {
                    return;
                }
            }
        });
        Agent {
            child,
            lines,
            seen: Vec::new(),
            stderr,
            _dir: dir,
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill on the PID of a child this test started and has not
        // reaped.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0, "kill");
    }

    fn story(&self) -> String {
        let lines: Vec<String> = self.seen.iter().map(|v| v.to_string()).collect();
        format!(
            "lines so far:\n{}\nstderr:\n{}",
            lines.join("\n"),
            fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }

    /// The first line from now on that `want` accepts, and when it came.
    fn wait_for(&mut self, within: Duration, want: impl Fn(&Value) -> bool) -> (Instant, Value) {
        let end = Instant::now() + within;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, v)) => {
                    self.seen.push(v.clone());
                    if want(&v) {
                        return (at, v);
                    }
                }
                Err(_) => panic!("no such line within {within:?}\n{}", self.story()),
            }
        }
    }

    /// The lines that came until standard output closed.
    fn rest(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok((_, v)) = self.lines.recv_timeout(Duration::from_secs(30)) {
            self.seen.push(v.clone());
            out.push(v);
        }
        out
    }

    fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + within;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn transition(v: &Value, check: &str, subject: &str, to: &str) -> bool {
    v["type"] == "transition" && v["check"] == check && v["subject"] == subject && v["to"] == to
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// The agent's part of the JSON textfile, once it exists.
fn agent_report(textfile: &Path) -> Option<Value> {
    let text = fs::read_to_string(textfile).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    Some(doc)
}

/// Waits until no audit has started for `quiet` (the agent's audit number
/// stands still), and returns the textfile then: a change made now is the
/// only one the next audit answers, and it may start at once.
fn wait_quiet(agent: &Agent, textfile: &Path, quiet: Duration) -> Value {
    let end = Instant::now() + Duration::from_secs(30);
    let mut last: Option<(u64, Instant)> = None;
    loop {
        if let Some(doc) = agent_report(textfile)
            && let Some(n) = doc["run"]["agent"]["audit"].as_u64()
        {
            match last {
                Some((m, since)) if m == n => {
                    if since.elapsed() >= quiet {
                        return doc;
                    }
                }
                _ => last = Some((n, Instant::now())),
            }
        }
        assert!(
            Instant::now() < end,
            "the agent never went quiet\n{}",
            agent.story()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ------------------------------------------------------------ replayed

#[test]
fn a_replayed_sequence_reports_each_transition_and_ends() {
    let dir = tempdir();
    let textfile = dir.path().join("agent.json");
    let lb = "policies/lb-node.yaml";
    let mut cmd = hostlint(&["watch", "-p", lb, "--format", "json", "-o"]);
    cmd.arg(&textfile).current_dir(crate::util::repo());
    for f in ["lb-healthy", "lb-default-via-onboard", "lb-healthy"] {
        cmd.arg("--root").arg(format!("fixtures/{f}"));
    }
    let mut agent = Agent::spawn(cmd);
    let lines = agent.rest();
    let status = agent.wait_exit(Duration::from_secs(30)).unwrap();
    assert!(status.success(), "{status:?}\n{}", agent.story());
    // The first audit: every finding, from nothing.
    let first: Vec<&Value> = lines.iter().filter(|l| l["audit"] == 1).collect();
    assert_eq!(first.len(), 10, "{lines:#?}");
    assert!(
        first
            .iter()
            .all(|l| l["from"].is_null() && l["to"] == "PASS")
    );
    // Then exactly the route moved to the onboard port, and back.
    let later: Vec<(u64, &str, &str, &str, &str)> = lines
        .iter()
        .filter(|l| l["audit"] != 1)
        .map(|l| {
            (
                l["audit"].as_u64().unwrap(),
                l["check"].as_str().unwrap(),
                l["subject"].as_str().unwrap(),
                l["from"].as_str().unwrap(),
                l["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        later,
        [
            (
                2,
                "lb-egress-via-10g",
                "default (0.0.0.0/0)",
                "PASS",
                "FAIL"
            ),
            (
                3,
                "lb-egress-via-10g",
                "default (0.0.0.0/0)",
                "FAIL",
                "PASS"
            ),
        ]
    );
    let moved = lines.iter().find(|l| l["audit"] == 2).unwrap();
    assert!(
        moved["observed"].as_str().unwrap().contains("egress eno1"),
        "{moved}"
    );
    assert_eq!(moved["reason"], "replay");
    assert_eq!(moved["verdict"], "CRITICAL", "{moved}");
    assert_eq!(moved["cause"], "critical_failed", "{moved}");
    assert_eq!(
        moved["events"]["last"][0],
        "capture 2/3: fixtures/lb-default-via-onboard"
    );
    let doc = parse_json(&fs::read_to_string(&textfile).unwrap());
    let a = &doc["run"]["agent"];
    assert_eq!(
        (a["audit"].as_u64(), a["audits"]["replay"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(a["transitions"], 12);
    assert_eq!(doc["verdict"], "OK");
}

#[test]
fn a_directory_of_captures_replays_in_name_order() {
    let dir = tempdir();
    let steps = dir.path().join("steps");
    fs::create_dir(&steps).unwrap();
    std::os::unix::fs::symlink(fixture("lb-healthy"), steps.join("1-before")).unwrap();
    // A capture archive, as `hostlint capture -o NAME.tar.gz` writes it.
    run_expect(
        &mut hostlint(&[
            "capture",
            "--root",
            path_str(&fixture("lb-uplink-1g")),
            "-o",
            path_str(&steps.join("2-during.tar.gz")),
        ]),
        0,
    );
    std::os::unix::fs::symlink(fixture("lb-healthy"), steps.join("3-after")).unwrap();
    let policy = crate::util::repo().join("policies/lb-node.yaml");
    let mut agent = Agent::spawn(hostlint(&[
        "watch",
        "-p",
        path_str(&policy),
        "--root",
        path_str(&steps),
    ]));
    let lines = agent.rest();
    assert!(agent.wait_exit(Duration::from_secs(30)).unwrap().success());
    let changed: Vec<(u64, &str)> = lines
        .iter()
        .filter(|l| l["audit"] != 1)
        .map(|l| (l["audit"].as_u64().unwrap(), l["to"].as_str().unwrap()))
        .collect();
    assert!(!changed.is_empty(), "{lines:#?}");
    assert!(
        changed
            .iter()
            .all(|(n, to)| (*n == 2 && *to != "PASS") || (*n == 3 && *to == "PASS")),
        "{changed:?}"
    );
    let during = lines.iter().find(|l| l["audit"] == 2).unwrap();
    assert!(
        during["events"]["last"][0]
            .as_str()
            .unwrap()
            .ends_with("2-during.tar.gz"),
        "{during}"
    );

    // Anything else in the directory is refused, by name, before any audit.
    fs::write(steps.join("4-notes.txt"), "not a capture").unwrap();
    let out = run_expect(
        &mut hostlint(&["watch", "-p", path_str(&policy), "--root", path_str(&steps)]),
        3,
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4-notes.txt: not a capture"), "{err}");
}

/// lb-healthy `seconds` later, with uplink enp65s0f0's carrier changed
/// `flaps` times more.
fn flapped(dir: &Path, name: &str, seconds: f64, flaps: u64) -> PathBuf {
    lb_healthy_later(dir, name, seconds, |l| {
        let n = l["stats64"]["tx"]["carrier_changes"].as_u64().unwrap();
        l["stats64"]["tx"]["carrier_changes"] = serde_json::json!(n + flaps);
    })
}

#[test]
fn a_replay_with_state_judges_change_between_captures_and_holds_the_lock() {
    let dir = tempdir();
    let policy = write(
        dir.path(),
        "flaps.yaml",
        "policy: flaps\nchecks:\n  - id: uplink-stable\n    link:\n      select: {name: enp65s0f0}\n      expect: {carrier_changes: {max_increase: 0}}\n",
    );
    let state = dir.path().join("state.json");
    let mut cmd = hostlint(&[
        "watch",
        "-p",
        path_str(&policy),
        "--state",
        path_str(&state),
    ]);
    for (name, at, flaps) in [
        ("t0", 0.0, 0),
        ("t1", 60.0, 0),
        ("t2", 120.0, 2),
        ("t3", 180.0, 2),
    ] {
        cmd.arg("--root").arg(flapped(dir.path(), name, at, flaps));
    }
    // While another audit holds the lock, the agent does not start.
    let held = hostlint::state::lock(&state).unwrap();
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another audit is running"), "{err}");
    drop(held);

    let mut agent = Agent::spawn(cmd);
    let lines = agent.rest();
    assert!(agent.wait_exit(Duration::from_secs(30)).unwrap().success());
    let story: Vec<(u64, Option<&str>, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["audit"].as_u64().unwrap(),
                l["from"].as_str(),
                l["to"].as_str().unwrap(),
            )
        })
        .collect();
    // No previous run (UNKNOWN), quiet (PASS), two flaps (FAIL), quiet.
    assert_eq!(
        story,
        [
            (1, None, "UNKNOWN"),
            (2, Some("UNKNOWN"), "PASS"),
            (3, Some("PASS"), "FAIL"),
            (4, Some("FAIL"), "PASS"),
        ],
        "{lines:#?}"
    );
    assert!(
        lines[2]["observed"]
            .as_str()
            .unwrap()
            .contains("carrier_changes +2 in 60 s"),
        "{}",
        lines[2]
    );
}

#[test]
fn readiness_is_notified_after_the_first_audit_on_a_path_and_an_abstract_socket() {
    let dir = tempdir();
    let path = dir.path().join("notify");
    let name = format!("hostlint-watch-test-{}", std::process::id());
    let by_path = UnixDatagram::bind(&path).unwrap();
    let addr =
        <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(
            name.as_bytes(),
        )
        .unwrap();
    let by_name = UnixDatagram::bind_addr(&addr).unwrap();
    let policy = crate::util::repo().join("policies/lb-node.yaml");
    for (socket, env) in [
        (&by_path, path_str(&path).to_owned()),
        (&by_name, format!("@{name}")),
    ] {
        socket
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut cmd = hostlint(&[
            "watch",
            "-p",
            path_str(&policy),
            "--root",
            path_str(&fixture("lb-healthy")),
        ]);
        cmd.env("NOTIFY_SOCKET", &env);
        let mut agent = Agent::spawn(cmd);
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).unwrap();
        let first = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(
            first.starts_with("READY=1\nSTATUS=OK (every finding passes): 0 fail"),
            "{env}: {first}"
        );
        // Ready after the audit, whose lines came first.
        let lines = agent.rest();
        assert_eq!(lines.len(), 10, "{env}");
        let n = socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1", "{env}");
        assert!(agent.wait_exit(Duration::from_secs(10)).unwrap().success());
    }
}

/// SIGTERM: exit 0, within a second.
fn assert_stops_within_a_second(agent: &mut Agent) {
    let asked = Instant::now();
    agent.signal(libc::SIGTERM);
    let status = agent
        .wait_exit(Duration::from_secs(5))
        .expect("the agent exits");
    let took = asked.elapsed();
    let _ = writeln!(std::io::stderr(), "watch: SIGTERM to exit {took:?}");
    assert!(took < Duration::from_secs(1), "exited after {took:?}");
    assert_eq!(status.code(), Some(0), "{}", agent.story());
}

/// lb-healthy with the PCIe width of enp65s0f0 behind a FIFO nobody
/// writes: an audit of it hangs on that read until the deadline.
fn hung(dir: &Path) -> PathBuf {
    let to = dir.join("hung");
    copy_tree(&fixture("lb-healthy"), &to);
    let file = to.join("sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/current_link_width");
    fs::remove_file(&file).unwrap();
    let c = std::ffi::CString::new(path_str(&file)).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    to
}

#[test]
fn sigterm_during_a_stuck_audit_exits_0_within_a_second() {
    let dir = tempdir();
    let policy = crate::util::repo().join("policies/lb-node.yaml");
    let notify = dir.path().join("notify");
    let ready = UnixDatagram::bind(&notify).unwrap();
    ready
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut cmd = hostlint(&[
        "watch",
        "-p",
        path_str(&policy),
        "--deadline",
        "60s",
        "--root",
        path_str(&fixture("lb-healthy")),
    ]);
    cmd.arg("--root").arg(hung(dir.path()));
    cmd.env("NOTIFY_SOCKET", &notify);
    let mut agent = Agent::spawn(cmd);
    let mut buf = [0u8; 512];
    ready.recv(&mut buf).unwrap();
    // The second audit is now stuck on the FIFO (for 5 s a read).
    std::thread::sleep(Duration::from_millis(300));
    assert!(agent.child.try_wait().unwrap().is_none(), "still running");
    assert_stops_within_a_second(&mut agent);
}

#[test]
fn bad_policies_and_intervals_are_refused_at_start() {
    let dir = tempdir();
    let broken = write(
        dir.path(),
        "broken.yaml",
        "policy: broken\nchecks:\n  - id: x\n    link:\n      selct: {name: eth0}\n",
    );
    let out = run_expect(&mut hostlint(&["watch", "-p", path_str(&broken)]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:5:"), "{err}");
    let policy = crate::util::repo().join("policies/lb-node.yaml");
    let out = run_expect(
        &mut hostlint(&[
            "watch",
            "-p",
            path_str(&policy),
            "--min-interval",
            "10s",
            "--max-interval",
            "5s",
        ]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--min-interval"), "{err}");
    let out = run_expect(
        &mut hostlint(&[
            "watch",
            "-p",
            path_str(&policy),
            "--root",
            "/nonexistent/capture",
        ]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/capture"), "{err}");
}

// ------------------------------------------------------------ live

/// A host with a "10G" uplink and an "onboard" port, each a veth with a
/// gateway behind it (permanent neighbours: nothing answers ARP), the
/// default route via the uplink and table 100 via the onboard port.
fn lab() -> Netns {
    let ns = Netns::new("watch");
    ns.sysctl(QUIET);
    for cmd in [
        "link set lo up",
        "link add uplink0 type veth peer name uplink0p",
        "link add onboard0 type veth peer name onboard0p",
        "link set uplink0 up",
        "link set uplink0p up",
        "link set onboard0 up",
        "link set onboard0p up",
        "addr add 10.1.0.1/24 dev uplink0",
        "addr add 10.1.0.9/24 dev uplink0",
        "addr add 10.2.0.1/24 dev onboard0",
        "neigh add 10.1.0.254 lladdr 02:00:00:00:01:fe dev uplink0 nud permanent",
        "neigh add 10.2.0.254 lladdr 02:00:00:00:02:fe dev onboard0 nud permanent",
        "route add default via 10.1.0.254 dev uplink0",
        "route add default via 10.2.0.254 dev onboard0 table 100",
    ] {
        ns.ip(cmd);
    }
    ns
}

const LAB_POLICY: &str = "policy: lab
checks:
  - id: uplink-up
    link:
      select: {name: uplink0}
      expect: {operstate: up}
  - id: clients-via-uplink
    route:
      to: [default]
      egress: {name: uplink0}
  - id: source-via-uplink
    route:
      to: [203.0.113.7]
      from: 10.1.0.9
      egress: {name: uplink0}
";

/// The lab, a directory for the test and the lab's policy in it; `None`
/// when live tests cannot run here (said on standard error).
fn live_lab(test: &str) -> Option<(Netns, tempfile::TempDir, PathBuf)> {
    if !live_ready(test) {
        return None;
    }
    let ns = lab();
    let dir = tempdir();
    let policy = write(dir.path(), "lab.yaml", LAB_POLICY);
    Some((ns, dir, policy))
}

/// The agent in the namespace with a JSON textfile, started and past its
/// first audit.
fn start(ns: &Netns, dir: &Path, policy: &Path) -> (Agent, PathBuf) {
    start_with(ns, dir, policy, &[])
}

/// As `start`, with more options.
fn start_with(ns: &Netns, dir: &Path, policy: &Path, options: &[&str]) -> (Agent, PathBuf) {
    let textfile = dir.join("agent.json");
    let mut args = vec![
        "watch",
        "-p",
        path_str(policy),
        "--format",
        "json",
        "-o",
        path_str(&textfile),
    ];
    args.extend_from_slice(options);
    let mut agent = Agent::spawn(ns.hostlint(&args));
    agent.wait_for(Duration::from_secs(30), |l| l["audit"] == 1);
    (agent, textfile)
}

/// Makes a change on a quiet host and waits for its transition: how long
/// after the change the line came.
fn reported_after(
    agent: &mut Agent,
    textfile: &Path,
    change: impl FnOnce(),
    want: impl Fn(&Value) -> bool,
) -> (Duration, Value) {
    // At least --min-interval (1 s) since the last audit: the change
    // alone decides when the next one starts.
    wait_quiet(agent, textfile, Duration::from_millis(1200));
    let t0 = Instant::now();
    change();
    let (at, line) = agent.wait_for(Duration::from_secs(10), want);
    (at - t0, line)
}

#[test]
fn a_link_down_and_back_up_are_each_reported_within_a_second() {
    let Some((ns, dir, policy)) =
        live_lab("a_link_down_and_back_up_are_each_reported_within_a_second")
    else {
        return;
    };
    let (mut agent, textfile) = start(&ns, dir.path(), &policy);
    let (down, line) = reported_after(
        &mut agent,
        &textfile,
        || ns.ip("link set uplink0 down"),
        |l| transition(l, "uplink-up", "uplink0", "FAIL"),
    );
    assert_eq!(line["from"], "PASS");
    assert_eq!(line["reason"], "event");
    assert_eq!(line["events"]["first"], "uplink0 down", "{line}");
    let (up, _) = reported_after(
        &mut agent,
        &textfile,
        || ns.ip("link set uplink0 up"),
        |l| transition(l, "uplink-up", "uplink0", "PASS"),
    );
    let _ = writeln!(
        std::io::stderr(),
        "watch: link down reported after {down:?}, up after {up:?}"
    );
    assert!(
        down < Duration::from_secs(1),
        "down reported after {down:?}"
    );
    assert!(up < Duration::from_secs(1), "up reported after {up:?}");
}

#[test]
fn a_moved_default_route_and_a_policy_rule_are_each_reported_within_a_second() {
    let Some((ns, dir, policy)) =
        live_lab("a_moved_default_route_and_a_policy_rule_are_each_reported_within_a_second")
    else {
        return;
    };
    let (mut agent, textfile) = start(&ns, dir.path(), &policy);
    for check in ["clients-via-uplink", "source-via-uplink"] {
        let first = |l: &Value| l["audit"] == 1 && l["check"] == check && l["to"] == "PASS";
        if !agent.seen.iter().any(first) {
            agent.wait_for(Duration::from_secs(10), first);
        }
    }
    let (moved, line) = reported_after(
        &mut agent,
        &textfile,
        || ns.ip("route replace default via 10.2.0.254 dev onboard0"),
        |l| l["check"] == "clients-via-uplink" && l["to"] == "FAIL",
    );
    assert!(
        line["observed"].as_str().unwrap().contains("onboard0"),
        "{line}"
    );
    ns.ip("route replace default via 10.1.0.254 dev uplink0");
    agent.wait_for(Duration::from_secs(10), |l| {
        l["check"] == "clients-via-uplink" && l["to"] == "PASS"
    });
    // A rule that sends one source's traffic out of the onboard port.
    let (ruled, line) = reported_after(
        &mut agent,
        &textfile,
        || ns.ip("rule add from 10.1.0.9 table 100 pref 100"),
        |l| l["check"] == "source-via-uplink" && l["to"] == "FAIL",
    );
    assert!(
        line["events"]["counts"]["rule"].as_u64().unwrap() >= 1,
        "{line}"
    );
    // The default route of everyone else stayed.
    let doc = agent_report(&textfile).unwrap();
    let others = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "clients-via-uplink")
        .unwrap()
        .clone();
    assert_eq!(others["status"], "PASS", "{others}");
    let _ = writeln!(
        std::io::stderr(),
        "watch: moved default route reported after {moved:?}, policy rule after {ruled:?}"
    );
    assert!(
        moved < Duration::from_secs(1),
        "route reported after {moved:?}"
    );
    assert!(
        ruled < Duration::from_secs(1),
        "rule reported after {ruled:?}"
    );
}

#[test]
fn a_counter_that_grows_without_an_event_is_reported_at_the_max_interval() {
    let Some((ns, dir, _)) =
        live_lab("a_counter_that_grows_without_an_event_is_reported_at_the_max_interval")
    else {
        return;
    };
    // Packets sent add to a link's counters and the kernel announces
    // nothing: only the audit of --max-interval can see them.
    let link = parse_json(&String::from_utf8_lossy(
        &run_expect(
            Command::new("ip").args(["-n", &ns.name, "-j", "-s", "link", "show", "uplink0"]),
            0,
        )
        .stdout,
    ));
    let sent = link[0]["stats64"]["tx"]["packets"]
        .as_u64()
        .unwrap_or_else(|| panic!("no tx packets in {link}"));
    let limit = sent + 100;
    let policy = write(
        dir.path(),
        "counters.yaml",
        &format!(
            "policy: lab\nchecks:\n  - id: uplink-sent\n    link:\n      select: {{name: uplink0}}\n      expect:\n        counters: {{tx_packets: {{max: {limit}}}}}\n"
        ),
    );
    let (mut agent, textfile) = start_with(&ns, dir.path(), &policy, &["--max-interval", "2s"]);
    let first = |l: &Value| transition(l, "uplink-sent", "uplink0", "PASS");
    if !agent.seen.iter().any(first) {
        agent.wait_for(Duration::from_secs(10), first);
    }
    wait_quiet(&agent, &textfile, Duration::from_millis(1200));
    // 200 datagrams (bash's /dev/udp) to the gateway's permanent
    // neighbour entry: no neighbour event either. Nothing answers; they
    // count as sent all the same.
    run_expect(
        &mut ns.exec(
            "bash",
            &[
                "-c",
                "for i in $(seq 200); do echo x >/dev/udp/10.1.0.254/9; done",
            ],
        ),
        0,
    );
    let pinged = Instant::now();
    let (at, line) = agent.wait_for(Duration::from_secs(10), |l| {
        transition(l, "uplink-sent", "uplink0", "FAIL")
    });
    assert_eq!(line["reason"], "interval", "{}", agent.story());
    assert_eq!(line["events"]["total"], 0, "{line}");
    assert!(
        at - pinged <= Duration::from_secs(3),
        "reported {:?} after the packets, with --max-interval 2s",
        at - pinged
    );
}

fn resident_kib(pid: i32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

fn counter(doc: &Value, group: &str, key: &str) -> u64 {
    doc["run"]["agent"][group][key].as_u64().unwrap_or(0)
}

/// `ip -batch` lines: `flaps` times down and up, then `last` if given.
fn flap_batch(dir: &Path, flaps: usize, last: Option<&str>) -> PathBuf {
    let mut text = "link set uplink0 down\nlink set uplink0 up\n".repeat(flaps);
    if let Some(l) = last {
        text.push_str(l);
        text.push('\n');
    }
    write(dir, "flaps.batch", &text)
}

#[test]
fn ten_thousand_link_flaps_keep_memory_flat_and_audits_at_one_per_min_interval() {
    let Some((ns, dir, policy)) =
        live_lab("ten_thousand_link_flaps_keep_memory_flat_and_audits_at_one_per_min_interval")
    else {
        return;
    };
    let (agent, textfile) = start(&ns, dir.path(), &policy);
    let before = wait_quiet(&agent, &textfile, Duration::from_millis(1200));
    let rss_before = resident_kib(agent.pid());
    let batch = flap_batch(dir.path(), 10_000, None);
    let started = Instant::now();
    run_expect(
        Command::new("ip")
            .args(["-n", &ns.name, "-batch"])
            .arg(&batch),
        0,
    );
    let storm = started.elapsed();
    let after = wait_quiet(&agent, &textfile, Duration::from_millis(1500));
    let spanned = started.elapsed() - Duration::from_millis(1500);
    let rss_after = resident_kib(agent.pid());
    let audits = |d: &Value| -> u64 {
        d["run"]["agent"]["audits"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    let ran = audits(&after) - audits(&before);
    let links = counter(&after, "events", "link") - counter(&before, "events", "link");
    let overruns = counter(&after, "overruns", "rtnetlink");
    let _ = writeln!(
        std::io::stderr(),
        "watch: 10,000 flaps in {storm:?}: {links} link events, {overruns} overruns, {ran} audits \
         in {spanned:?}; RSS {rss_before} KiB before, {rss_after} KiB after"
    );
    // At most one audit per --min-interval (1 s) over the time they span,
    // and the one after the storm.
    let bound = spanned.as_secs_f64().ceil() as u64 + 1;
    assert!(ran >= 1 && ran <= bound, "{ran} audits in {spanned:?}");
    assert!(links >= 10_000 || overruns > 0, "{links} link events");
    assert!(
        rss_after <= rss_before + 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    // The end state is right: up, and passing; and every finding is what
    // an audit started now finds (the last "down" took the default route
    // via uplink0 with it, whatever order the events came in).
    let f = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "uplink-up")
        .unwrap();
    assert_eq!(f["status"], "PASS", "{f}");
    assert_eq!(f["observed"], "operstate up");
    let out = ns
        .hostlint(&["audit", "-p", path_str(&policy), "--format", "json"])
        .output()
        .unwrap();
    let fresh = parse_json(&String::from_utf8_lossy(&out.stdout));
    let judged = |doc: &Value| -> Vec<(String, String, String, String)> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                (s("check"), s("subject"), s("status"), s("observed"))
            })
            .collect()
    };
    assert_eq!(judged(&after), judged(&fresh), "{after}\n{fresh}");
}

#[test]
fn an_overflowed_event_socket_is_answered_by_a_full_reread() {
    let Some((ns, dir, policy)) =
        live_lab("an_overflowed_event_socket_is_answered_by_a_full_reread")
    else {
        return;
    };
    let (mut agent, textfile) = start(&ns, dir.path(), &policy);
    wait_quiet(&agent, &textfile, Duration::from_millis(1200));
    // Stopped, the agent reads nothing: the kernel fills its socket, then
    // drops what follows, the final "down" among it.
    agent.signal(libc::SIGSTOP);
    let batch = flap_batch(dir.path(), 5_000, Some("link set uplink0 down"));
    let ran = Command::new("ip")
        .args(["-n", &ns.name, "-batch"])
        .arg(&batch)
        .output();
    agent.signal(libc::SIGCONT);
    assert!(ran.unwrap().status.success());
    let (_, line) = agent.wait_for(Duration::from_secs(10), |l| {
        transition(l, "uplink-up", "uplink0", "FAIL")
    });
    assert_eq!(line["from"], "PASS");
    let doc = wait_quiet(&agent, &textfile, Duration::from_millis(1200));
    assert!(counter(&doc, "overruns", "rtnetlink") >= 1, "{doc}");
    assert!(counter(&doc, "audits", "overrun") >= 1, "{doc}");
    // The transition says it came of an overflow, not of the events seen.
    let overrun_seen = agent
        .seen
        .iter()
        .any(|l| l["type"] == "transition" && l["events"]["overrun"] == true);
    assert!(overrun_seen, "{}", agent.story());
}

#[test]
fn sighup_with_a_broken_policy_keeps_the_old_one_and_sigterm_exits_0_within_a_second() {
    let Some((ns, dir, policy)) = live_lab(
        "sighup_with_a_broken_policy_keeps_the_old_one_and_sigterm_exits_0_within_a_second",
    ) else {
        return;
    };
    let (mut agent, textfile) = start(&ns, dir.path(), &policy);
    wait_quiet(&agent, &textfile, Duration::from_millis(1200));

    fs::write(
        &policy,
        "policy: lab\nchecks:\n  - id: uplink-up\n    link:\n      select: {name: uplink0}\n      expct: {operstate: up}\n",
    )
    .unwrap();
    agent.signal(libc::SIGHUP);
    let (_, reload) = agent.wait_for(Duration::from_secs(10), |l| l["type"] == "reload");
    assert_eq!(reload["ok"], false, "{reload}");
    assert!(
        reload["errors"][0]
            .as_str()
            .unwrap()
            .contains("lab.yaml:6:"),
        "{reload}"
    );
    let doc = wait_quiet(&agent, &textfile, Duration::from_millis(1200));
    let a = &doc["run"]["agent"];
    assert_eq!(a["failed_reloads"], 1);
    assert!(a["reload_error"].as_str().unwrap().contains("lab.yaml:6:"));
    // The old policies still run: all three checks, and a change is seen.
    ns.ip("link set uplink0 down");
    agent.wait_for(Duration::from_secs(10), |l| {
        transition(l, "uplink-up", "uplink0", "FAIL")
    });
    ns.ip("link set uplink0 up");
    agent.wait_for(Duration::from_secs(10), |l| {
        transition(l, "uplink-up", "uplink0", "PASS")
    });

    // A valid new set replaces it: its checks appear, the dropped ones go.
    fs::write(
        &policy,
        "policy: lab\nchecks:\n  - id: uplink-mtu\n    link:\n      select: {name: uplink0}\n      expect: {mtu: 1500}\n",
    )
    .unwrap();
    agent.signal(libc::SIGHUP);
    let (_, reload) = agent.wait_for(Duration::from_secs(10), |l| l["type"] == "reload");
    assert_eq!(reload["ok"], true, "{reload}");
    // Its audit's lines come in key order; the dropped uplink-up is last.
    let reloaded = agent.seen.len();
    let (_, last) = agent.wait_for(Duration::from_secs(10), |l| {
        l["check"] == "uplink-up" && l["to"].is_null()
    });
    let audit = last["audit"].clone();
    let changes: Vec<(&str, Option<&str>)> = agent.seen[reloaded..]
        .iter()
        .filter(|l| l["audit"] == audit)
        .map(|l| (l["check"].as_str().unwrap(), l["to"].as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("clients-via-uplink", None),
            ("source-via-uplink", None),
            ("uplink-mtu", Some("PASS")),
            ("uplink-up", None),
        ],
        "{}",
        agent.story()
    );
    assert_eq!(last["reason"], "reload");
    let doc = wait_quiet(&agent, &textfile, Duration::from_millis(1200));
    assert!(doc["run"]["agent"]["reload_error"].is_null(), "{doc}");

    assert_stops_within_a_second(&mut agent);
}

#[test]
fn the_agent_holds_the_state_lock_and_feeds_the_watchdog() {
    let Some((ns, dir, policy)) = live_lab("the_agent_holds_the_state_lock_and_feeds_the_watchdog")
    else {
        return;
    };
    let state = dir.path().join("state.json");
    let notify = dir.path().join("notify");
    let systemd = UnixDatagram::bind(&notify).unwrap();
    systemd
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut cmd = ns.hostlint(&[
        "watch",
        "-p",
        path_str(&policy),
        "--state",
        path_str(&state),
    ]);
    // As systemd starts it with WatchdogSec=200ms.
    cmd.env("NOTIFY_SOCKET", &notify)
        .env("WATCHDOG_USEC", "200000");
    let agent = Agent::spawn(cmd);
    let mut buf = [0u8; 512];
    // Pings may come before READY, while the first audit runs.
    loop {
        let n = systemd.recv(&mut buf).unwrap();
        if buf[..n].starts_with(b"READY=1\n") {
            break;
        }
        assert_eq!(&buf[..n], b"WATCHDOG=1", "{}", agent.story());
    }
    let started = Instant::now();
    let mut pings = 0;
    while pings < 5 {
        let n = systemd.recv(&mut buf).unwrap();
        if &buf[..n] == b"WATCHDOG=1" {
            pings += 1;
        }
    }
    // Every 100 ms, half the watchdog period.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "5 pings took {:?}",
        started.elapsed()
    );

    // A timer's audit on the same state exits at once, as overlapped.
    let out = run_expect(
        &mut ns.hostlint(&[
            "audit",
            "-p",
            path_str(&policy),
            "--state",
            path_str(&state),
            "--format",
            "json",
        ]),
        3,
    );
    let doc = parse_json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(doc["cause"], "lock_held", "{doc}");
    assert_eq!(doc["run"]["overlapped"], true, "{doc}");
    // So does a second agent.
    let out = run_expect(
        &mut ns.hostlint(&[
            "watch",
            "-p",
            path_str(&policy),
            "--state",
            path_str(&state),
        ]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another audit is running"), "{err}");
    drop(agent);
}

// ------------------------------------------------------------ systemd

#[test]
fn systemd_accepts_the_agent_unit() {
    if !tool_ready(
        "systemd_accepts_the_agent_unit",
        "systemd-analyze",
        "systemd",
    ) {
        return;
    }
    let dir = tempdir();
    let (unit, installed) = install_unit(dir.path(), "hostlint-watch.service");
    assert_systemd_accepts(
        &[&installed],
        &unit,
        &[
            // By name, as the Debian package's units: systemd finds it in
            // /usr/local/bin or /usr/bin.
            "ExecStart=hostlint watch ",
            "Type=notify\n",
            "WatchdogSec=",
            "ExecReload=/bin/kill -HUP $MAINPID",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=\n",
            "AmbientCapabilities=\n",
            "ProtectSystem=strict",
            "MemoryMax=",
            "RestrictAddressFamilies=AF_NETLINK AF_UNIX\n",
            "User=hostlint",
            "--state /var/lib/hostlint/state.json",
        ],
    );
    // The watchdog must outlast an audit that runs to its deadline.
    let seconds = |key: &str| -> u64 {
        let line = unit.lines().find(|l| l.contains(key)).unwrap();
        let at = line.find(key).unwrap() + key.len();
        line[at..]
            .trim_start_matches(['=', ' '])
            .trim_end_matches(['s', ' ', '\\'])
            .parse()
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    };
    assert!(seconds("WatchdogSec") > seconds("--deadline"));
    // systemd's own judgement of the sandbox: "OK" (below 2.0) or better.
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(&installed)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for hostlint-watch.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    assert!(exposure < 2.0, "exposure {exposure}:\n{text}");
}
