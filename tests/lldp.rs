//! Live LLDP: a host namespace cabled by two veths to a switch namespace,
//! an lldpd in each on a private control socket (announcing every second),
//! and the `cabling` check against what the host's lldpd hears: the right
//! neighbour passes, the cables swapped fail naming both ends, the
//! switch's lldpd stopped ages the neighbours out (FAIL, gone), and the
//! host's own lldpd stopped makes the facts unknown (UNKNOWN), never "no
//! neighbour". A capture keeps lldpcli's answer, or that lldpd was down.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Netns, live_ready, parse_json, path_str, run_expect, run_ok, tool_ready};

/// An lldpd in a namespace, stopped (SIGTERM, then SIGKILL) and reaped by
/// its PID when dropped.
struct Lldpd {
    child: Option<Child>,
    socket: PathBuf,
}

impl Lldpd {
    fn start(ns: &Netns, socket: &Path, ifaces: &str, system_name: &str) -> Lldpd {
        let child = ns
            .exec(
                "lldpd",
                &[
                    "-d",
                    "-u",
                    path_str(socket),
                    "-I",
                    ifaces,
                    "-O",
                    "/dev/null",
                ],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lldpd starts");
        let daemon = Lldpd {
            child: Some(child),
            socket: socket.to_owned(),
        };
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "lldpd in {} made no socket {}",
                ns.name,
                socket.display()
            );
            sleep(Duration::from_millis(50));
        }
        // Announce every second (a TTL of 4 s), under a name of its own:
        // namespaces share the machine's host name.
        daemon.lldpcli(&["configure", "lldp", "tx-interval", "1"]);
        daemon.lldpcli(&["configure", "system", "hostname", system_name]);
        // lldpd waits paused until its start-up configuration ran.
        daemon.lldpcli(&["resume"]);
        daemon
    }

    fn lldpcli(&self, args: &[&str]) {
        let mut c = Command::new("lldpcli");
        c.arg("-u").arg(&self.socket).args(args);
        run_ok(&mut c);
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // `ip netns exec` execs lldpd, so this is lldpd's own PID.
        // SAFETY: kill(2) on the PID of a child we have not reaped yet.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Lldpd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `hostlint ARGS` inside the host namespace, asking its lldpd.
fn hostlint(ns: &Netns, socket: &Path, args: &[&str]) -> Command {
    let mut c = ns.hostlint(args);
    c.arg("--lldpd-socket").arg(socket);
    c
}

/// The neighbours the host's lldpd reports, as (our port, "their system
/// name and port"). The name counts: lldpd announces the machine's host
/// name until the test's `configure system hostname` reaches it, and a
/// neighbour heard under that name is not yet the switch the plan names.
fn heard(ns: &Netns, socket: &Path) -> Vec<(String, String)> {
    let doc = parse_json(&run_ok(&mut hostlint(
        ns,
        socket,
        &["show", "lldp", "--format", "json"],
    )));
    let mut v: Vec<(String, String)> = doc["lldp"]
        .as_array()
        .unwrap_or_else(|| panic!("LLDP neighbours unknown: {doc}"))
        .iter()
        .map(|n| {
            (
                n["iface"].as_str().unwrap_or("").to_owned(),
                format!(
                    "{} {}",
                    n["system_name"].as_str().unwrap_or(""),
                    n["port_description"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    v.sort();
    v
}

/// Waits until the host hears exactly `want` (up to 20 s: lldpd notices
/// new links and announces every second).
fn wait_for(ns: &Netns, socket: &Path, want: &[(&str, &str)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let started = Instant::now();
    loop {
        let now = heard(ns, socket);
        if now == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the host hears {now:?}, not {want:?}"
        );
        sleep(Duration::from_millis(250));
    }
}

const POLICY: &str = "policy: live-cabling
checks:
  - id: cabled
    cabling:
      ports:
        h0: { switch: sw-a, port: s0 }
        h1: { switch: sw-a, port: s1 }
";

/// The audit's exit code and its findings as (subject, status, observed).
fn audit(ns: &Netns, socket: &Path, policy: &Path, code: i32) -> Vec<(String, String, String)> {
    let out = run_expect(
        &mut hostlint(
            ns,
            socket,
            &["audit", "-p", path_str(policy), "--format", "json"],
        ),
        code,
    );
    findings(&parse_json(&String::from_utf8_lossy(&out.stdout)))
}

/// The audit of a capture, as [`audit`] gives it.
fn replay(policy: &Path, capture: &Path, code: i32) -> Vec<(String, String, String)> {
    let out = run_expect(
        &mut crate::util::hostlint(&[
            "audit",
            "-p",
            path_str(policy),
            "--root",
            path_str(capture),
            "--format",
            "json",
        ]),
        code,
    );
    findings(&parse_json(&String::from_utf8_lossy(&out.stdout)))
}

fn findings(doc: &Value) -> Vec<(String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["subject"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
                f["observed"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn cable(host: &Netns, switch: &Netns, ours: &str, theirs: &str) {
    host.ip(&format!(
        "link add {ours} type veth peer name {theirs} netns {}",
        switch.name
    ));
    host.ip(&format!("link set {ours} up"));
    switch.ip(&format!("link set {theirs} up"));
}

#[test]
fn live_cabling_follows_the_cables_and_lldpd() {
    let test = "live_cabling_follows_the_cables_and_lldpd";
    if !live_ready(test)
        || !tool_ready(test, "lldpd", "lldpd")
        || !tool_ready(test, "lldpcli", "lldpd")
    {
        return;
    }
    let host = Netns::new("lh");
    let switch = Netns::new("ls");
    let dir = crate::util::tempdir();
    // Short paths: a socket's path has room for 107 bytes.
    let sockets = tempfile::Builder::new()
        .prefix("hl-lldp")
        .tempdir_in("/tmp")
        .expect("a socket directory");
    // lldpcli drops to lldpd's user before it connects.
    std::fs::set_permissions(
        sockets.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let (our_socket, their_socket) = (sockets.path().join("h"), sockets.path().join("s"));
    let policy = dir.path().join("cabling.yaml");
    std::fs::write(&policy, POLICY).unwrap();

    host.ip("link set lo up");
    cable(&host, &switch, "h0", "s0");
    cable(&host, &switch, "h1", "s1");
    let mut ours = Lldpd::start(&host, &our_socket, "h0,h1", "lb-live");
    let mut theirs = Lldpd::start(&switch, &their_socket, "s0,s1", "sw-a");

    // The right neighbours pass.
    wait_for(&host, &our_socket, &[("h0", "sw-a s0"), ("h1", "sw-a s1")]);
    let right = audit(&host, &our_socket, &policy, 0);
    assert!(
        right.contains(&("h0".into(), "PASS".into(), "h0 faces sw-a s0".into())),
        "{right:?}"
    );
    assert!(right.iter().all(|f| f.1 == "PASS"), "{right:?}");
    // A capture keeps what lldpcli printed, and replays to the same audit.
    let cap = dir.path().join("cap");
    run_ok(&mut hostlint(
        &host,
        &our_socket,
        &["capture", "-o", path_str(&cap)],
    ));
    let kept = std::fs::read_to_string(cap.join("cmd/lldpcli-neighbors.json")).unwrap();
    assert!(
        kept.contains("\"sw-a\"") && kept.contains("\"s1\""),
        "{kept}"
    );
    assert_eq!(replay(&policy, &cap, 0), right);

    // The cables swapped: each port fails, naming both ends. Unplugged
    // first, until the host's lldpd has dropped both ports: a port deleted
    // and made again under the same name before lldpd's next look at the
    // interfaces is taken by lldpd for the old one, and under load it
    // then went on hearing both switch ports on both of ours for 20 s.
    host.ip("link del h0");
    host.ip("link del h1");
    wait_for(&host, &our_socket, &[]);
    cable(&host, &switch, "h0", "s1");
    cable(&host, &switch, "h1", "s0");
    wait_for(&host, &our_socket, &[("h0", "sw-a s1"), ("h1", "sw-a s0")]);
    let swapped = audit(&host, &our_socket, &policy, 2);
    for (port, faces, plan) in [("h0", "s1", "s0"), ("h1", "s0", "s1")] {
        let want = (
            port.to_owned(),
            "FAIL".to_owned(),
            format!("{port} faces sw-a {faces}, plan says sw-a {plan}"),
        );
        assert!(swapped.contains(&want), "{want:?} not in {swapped:?}");
    }

    // The switch's lldpd stopped: the neighbours age out, the ports fail
    // as facing nothing.
    theirs.stop();
    wait_for(&host, &our_socket, &[]);
    let gone = audit(&host, &our_socket, &policy, 2);
    assert!(
        gone.contains(&(
            "h0".into(),
            "FAIL".into(),
            "h0 faces no LLDP neighbour (link up), plan says sw-a s0".into()
        )),
        "{gone:?}"
    );

    // Our own lldpd stopped: unknown, never "no neighbour".
    ours.stop();
    let unknown = audit(&host, &our_socket, &policy, 3);
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    for (_, status, observed) in &unknown {
        assert_eq!(status, "UNKNOWN");
        assert!(
            observed.contains("not_running (lldpd is not running"),
            "{observed}"
        );
    }
    // A capture says so too, and its replay is unknown the same way.
    let down = dir.path().join("down");
    run_ok(&mut hostlint(
        &host,
        &our_socket,
        &["capture", "-o", path_str(&down)],
    ));
    assert_eq!(replay(&policy, &down, 3), unknown);
}
