//! Big hosts, end to end: work that once grew with the square of the input
//! (mount evaluation, resolving destinations by scanning every route) is
//! run at a size where that would take many minutes, under a bound far
//! above what linear work takes even in a debug build on a loaded machine.
//! Not timings (benches/ measures those): a wall that a return of the
//! quadratic behaviour runs into. And every capture hostlint writes, it
//! reads back, at a size past the old limits.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{fixture, hostlint_bin, parse_json, path_str, run_ok, tempdir};

/// Linear work at these sizes takes a few seconds in a debug build; the
/// quadratic kind took minutes in a release build.
const BOUND: Duration = Duration::from_secs(90);

/// Runs hostlint with `args`, killing it past [`BOUND`].
fn bounded(args: &[&str]) -> Output {
    let started = Instant::now();
    let mut child = Command::new(hostlint_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hostlint runs");
    // Read the output while waiting: a full pipe would stall the child.
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut { stdout }, &mut out).map(|_| out)
    });
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let stdout = reader.join().expect("reader").expect("stdout");
            let mut stderr = Vec::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_end(&mut e, &mut stderr);
            }
            return Output {
                status,
                stdout,
                stderr,
            };
        }
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "hostlint {} ran past {BOUND:?}: quadratic work again?",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `hostlint audit` of `host` against the policy `text` (written under
/// `dir`), reporting JSON, with `more` arguments.
fn audit_json(dir: &Path, text: &str, host: &Path, more: &[&str]) -> Output {
    let path = dir.join("many.yaml");
    fs::write(&path, text).unwrap();
    let mut args = vec![
        "audit",
        "-p",
        path_str(&path),
        "--root",
        path_str(host),
        "--format",
        "json",
    ];
    args.extend_from_slice(more);
    bounded(&args)
}

/// A copy of a fixture whose files can be replaced.
fn copy_of(name: &str, into: &Path) -> std::path::PathBuf {
    let dir = into.join(name);
    crate::util::copy_tree(&fixture(name), &dir);
    dir
}

/// `n` IPv4 /32 routes from 11.0.0.0 up, a quarter in each of the tables
/// 100-103, one a line as `hostlint capture` writes them.
fn routes_json(n: u32) -> String {
    let mut out = String::with_capacity(n as usize * 80);
    out.push('[');
    for i in 0..n {
        let a = std::net::Ipv4Addr::from((11u32 << 24) + i);
        let table = 100 + i / n.div_ceil(4);
        if i > 0 {
            out.push_str(",\n");
        }
        let _ = write!(
            out,
            r#"{{"dst":"{a}","gateway":"192.0.2.1","dev":"eno1","table":"{table}","flags":[]}}"#
        );
    }
    out.push_str("]\n");
    out
}

/// A rule looking up each of the tables 100-103 after local, then main.
const RULES: &str = r#"[{"priority":0,"src":"all","table":"local"},
{"priority":1000,"src":"all","table":"100"},{"priority":1001,"src":"all","table":"101"},
{"priority":1002,"src":"all","table":"102"},{"priority":1003,"src":"all","table":"103"},
{"priority":32766,"src":"all","table":"main"},{"priority":32767,"src":"all","table":"default"}]
"#;

#[test]
fn fifty_thousand_mounts_are_evaluated_well_within_bounds() {
    let tmp = tempdir();
    let host = copy_of("san-healthy", tmp.path());
    let mounts = host.join("proc/mounts");
    let mut text = fs::read_to_string(&mounts).unwrap();
    for i in 0..50_000 {
        let _ = writeln!(
            text,
            "nfs01.example.net:/export/vol{i:05} /srv/vol{i:05} nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys 0 0"
        );
    }
    // Past the 4 MiB that once made every mount "malformed".
    assert!(text.len() > 4 * 1024 * 1024, "{}", text.len());
    fs::write(&mounts, text).unwrap();
    let policy = tmp.path().join("mounts.yaml");
    fs::write(
        &policy,
        "policy: vols\nchecks:\n  - id: vols-rw\n    mount:\n      path: \"/srv/vol*\"\n      expect: { type: nfs4, options: [rw, hard], not_options: [ro] }\n",
    )
    .unwrap();
    let out = bounded(&[
        "audit",
        "-p",
        path_str(&policy),
        "--root",
        path_str(&host),
        "--format",
        "json",
    ]);
    let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(doc["counts"]["pass"], 50_000, "{}", doc["notes"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn ten_thousand_destinations_against_two_hundred_thousand_routes() {
    let tmp = tempdir();
    let host = copy_of("lb-healthy", tmp.path());
    fs::write(host.join("cmd/ip-route-4.json"), routes_json(200_000)).unwrap();
    fs::write(host.join("cmd/ip-rule-4.json"), RULES).unwrap();
    let mut policy = String::from(
        "policy: many\nchecks:\n  - id: many-via-eno1\n    route:\n      egress: { name: eno1 }\n      to:\n",
    );
    for i in 0..10_000u32 {
        let a = std::net::Ipv4Addr::from((11u32 << 24) + i * 20);
        let _ = writeln!(policy, "        - {a}");
    }
    let out = audit_json(tmp.path(), &policy, &host, &[]);
    let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(doc["counts"]["pass"], 10_000, "{}", doc["notes"]);
    // Each found in the table its rule sent it to.
    let findings = doc["findings"].as_array().unwrap();
    let in_table = |t: &str| {
        findings
            .iter()
            .filter(|f| {
                f["observed"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("table {t})"))
            })
            .count()
    };
    for t in ["100", "101", "102", "103"] {
        assert_eq!(in_table(t), 2_500, "table {t}");
    }
}

/// A capture of a host with more routes than the old 4 MiB archive member
/// limit held is written and read back, every route; so is a directory.
#[test]
fn a_capture_of_a_hundred_thousand_routes_reads_back_from_its_archive() {
    let tmp = tempdir();
    let host = copy_of("lb-healthy", tmp.path());
    fs::write(host.join("cmd/ip-route-4.json"), routes_json(100_000)).unwrap();
    let archive = tmp.path().join("big.tar.gz");
    run_ok(Command::new(hostlint_bin()).args([
        "capture",
        "--root",
        path_str(&host),
        "-o",
        path_str(&archive),
    ]));
    let count = |root: &Path| {
        let out = bounded(&[
            "show",
            "routes",
            "--root",
            path_str(root),
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
        doc["routes"]["ipv4"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| panic!("no routes: {}", doc["routes"]))
    };
    let original = count(&host);
    assert_eq!(original, 100_000);
    assert_eq!(count(&archive), original);
    // The route file inside is the compact form, one route a line.
    let unpacked = hostlint::source::archive::unpack(&archive).unwrap();
    let routes = fs::read_to_string(unpacked.fixture().join("cmd/ip-route-4.json")).unwrap();
    assert_eq!(routes.lines().count(), original);
    assert!(routes.len() < original * 90, "{} bytes", routes.len());
}

/// Parsing a large capture and resolving thousands of destinations is work
/// no read timeout ends: it stops at `--deadline`, its facts unknown
/// (timeout), and the run says it exceeded the deadline.
#[test]
fn reading_and_resolving_a_big_capture_stop_at_the_deadline() {
    let tmp = tempdir();
    let host = copy_of("lb-healthy", tmp.path());
    fs::write(host.join("cmd/ip-route-4.json"), routes_json(400_000)).unwrap();
    let mut policy = String::from(
        "policy: many\nchecks:\n  - id: many-via-eno1\n    route:\n      egress: { name: eno1 }\n      to:\n",
    );
    for i in 0..100u32 {
        let _ = writeln!(
            policy,
            "        - {}",
            std::net::Ipv4Addr::from((11u32 << 24) + i)
        );
    }
    let out = audit_json(tmp.path(), &policy, &host, &["--deadline", "50ms"]);
    let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(out.status.code(), Some(3), "{doc:#}");
    assert_eq!(doc["run"]["deadline_exceeded"], true, "{doc:#}");
    assert_eq!(doc["counts"]["pass"], 0, "{doc:#}");
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["status"], "UNKNOWN", "{f:#}");
        assert!(f["observed"].as_str().unwrap().contains("timeout"), "{f:#}");
    }
}

/// `proc/mounts` (live or in a fixture) past the 64 MiB hostlint reads of
/// a file: the mounts are unknown as too large, never "malformed".
#[test]
fn a_mount_table_past_the_limit_is_too_large_not_malformed() {
    let tmp = tempdir();
    let host = copy_of("san-healthy", tmp.path());
    // Sparse: one byte past the limit, written in no time.
    fs::File::create(host.join("proc/mounts"))
        .unwrap()
        .set_len(hostlint::source::MAX_FILE_BYTES + 1)
        .unwrap();
    let out = bounded(&[
        "show",
        "storage",
        "--root",
        path_str(&host),
        "--format",
        "json",
    ]);
    let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
    let mounts = &doc["storage"]["mounts"];
    assert_eq!(mounts["unknown"], "too_large", "{mounts}");
    assert!(
        mounts["detail"]
            .as_str()
            .unwrap()
            .contains("too large: more than the 64 MiB hostlint reads of one file"),
        "{mounts}"
    );
}
