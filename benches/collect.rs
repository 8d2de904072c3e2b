//! Collection and audit benchmarks (SPEC section 8): hostlint against
//! iproute2 on the same namespace in the same run, as ratios, and a whole
//! audit against the budget of an every-minute run.
//!
//! `cargo bench --bench collect` (as root, after `benches/netns.sh up`) runs
//! each case and prints, for hostlint and for its baseline, the median wall
//! time and peak RSS of a child process, and their ratio. Results also go to
//! `target/bench-results.json`. The cases:
//! - `routes`, `links`: hostlint's collection through the library against
//!   the `ip` command that reads the same kernel objects.
//! - `audit-live`: the `hostlint` binary auditing a typical host's network
//!   (namespace `hlbench-typical`, policy `benches/typical.yaml`) against the
//!   `ip` commands an operator would run for the same facts, and against the
//!   budget.
//! - `audit-fixture`: the binary auditing a generated capture of the typical
//!   host with the bonds and multipath maps this kernel cannot build
//!   (`collect/typical_fixture.rs`), against the budget alone: no command
//!   reads the same facts from a capture.
//!
//! One binary plays three roles, chosen by its first argument:
//! - (none, or cargo's `--bench`): the driver. For each case it starts
//!   `ip netns exec NS <this binary> runner CASE RUNS WORK` (or, without a
//!   namespace, the runner itself) and reads back one JSON object.
//! - `runner CASE RUNS WORK`: runs inside the namespace (with its own sysfs,
//!   which `ip netns exec` mounts). It starts the contenders as direct
//!   children, alternating them, and measures each with `wait4`: wall time
//!   from spawn to reap, and `ru_maxrss`. Timing here rather than around `ip
//!   netns exec` keeps the namespace switch and sysfs remount out of all
//!   figures. `WORK` holds the audits' reports and the generated fixture.
//! - `child CASE`: hostlint's collection for the case through the library,
//!   printing what it collected. A count that is off fails the run: a
//!   benchmark that collected nothing must not look fast. The audit cases
//!   run the `hostlint` binary instead (the one cargo builds for this bench,
//!   with the bench profile, which is the release profile), so that their
//!   figures include process start, policy parsing and the report.

#[path = "shared/run.rs"]
mod run;
#[path = "collect/scale.rs"]
mod scale;
#[path = "collect/typical_fixture.rs"]
mod typical_fixture;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use hostlint::collect::{self, Scope};
use hostlint::source::Source;
use serde_json::{Value, json};

use run::{
    Sample, cpu_model, git_commit, loadavg, measure, median, read_trimmed, target_dir, utc_now,
};

const ROUTES_NS: &str = "hlbench-routes";
const LINKS_NS: &str = "hlbench-links";
const TYPICAL_NS: &str = "hlbench-typical";
/// What `benches/netns.sh up` builds.
const MIN_ROUTES: u64 = 1_000_000;
const MIN_VETH: u64 = 1_000;
const TYPICAL_LINKS: u64 = 10;
const TYPICAL_VETH: u64 = 8;
const TYPICAL_STATIC_ROUTES: u64 = 200;
const DEFAULT_RUNS: usize = 7;
const MIB: f64 = 1024.0 * 1024.0;
/// SPEC section 8: a typical host audit "in well under 50 ms and 15 MiB
/// peak memory".
const AUDIT_TIME: Duration = Duration::from_millis(50);
const AUDIT_RSS: u64 = 15 * 1024 * 1024;
/// Where the fixture of `audit-fixture` is generated from.
const FIXTURE_BASE: &str = "fixtures/san-healthy";
/// Issue 14's goals at a million routes: a capture and its replay in a
/// few dozen bytes a route, a live audit of lookups without the table.
const CAPTURE_RSS: u64 = 48 * 1024 * 1024;
const LOOKUPS_RSS: u64 = 16 * 1024 * 1024;
const LOOKUPS_TIME: Duration = Duration::from_millis(50);
const RESOLVE_TIME: Duration = Duration::from_millis(50);
/// The capture of `hlbench-routes` that `show-capture` and `resolve` read,
/// made once per run, under the work directory.
const ROUTES_CAPTURE: &str = "routes-capture";

/// What is measured as hostlint.
enum Hostlint {
    /// The library's collection, in `<bench> child CASE WORK`.
    Collect,
    /// The library's work in `<bench> child CASE WORK`, timed by the child
    /// itself: the figure is the phase it reports (`phase_s`), not the
    /// process (the `resolve` case: resolution, after the load).
    Phase,
    /// `hostlint audit` with these policies (paths in the crate) and a
    /// Prometheus report written to a file, as a scheduled run does; with
    /// `--root WORK/ROOT` (a generated capture) when `root` is set, live
    /// otherwise.
    Audit {
        policies: &'static [&'static str],
        root: Option<&'static str>,
    },
    /// The `hostlint` binary with these arguments (`{work}` stands for the
    /// work directory). `fresh`, under the work directory, is removed before
    /// each run, since the command writes it anew.
    Binary {
        args: &'static [&'static str],
        fresh: Option<&'static str>,
    },
}

/// What hostlint is compared with.
enum Baseline {
    /// iproute2 commands that read the same kernel objects. With more than
    /// one, a sample runs them one after the other, each its own child, and
    /// is their sum (peak RSS: the larger).
    Ip(&'static [&'static [&'static str]]),
    /// A shell command line (`{work}` is the work directory, `{hostlint}`
    /// the binary measured): a pipeline, or output to a file. `wait4`
    /// counts the shell's children in its figures.
    Shell(&'static str),
    /// Nothing reads the same facts: the figures stand against the targets
    /// alone.
    Budget,
}

struct Case {
    name: &'static str,
    /// Where the runner runs; none for a case that reads no live host.
    namespace: Option<&'static str>,
    hostlint: Hostlint,
    baseline: Baseline,
    /// What the target allows: hostlint's median time over the baseline's.
    max_time_ratio: Option<f64>,
    /// The median time hostlint must stay under, if the target sets one.
    max_time: Option<Duration>,
    /// Peak RSS hostlint must stay under, if the target sets one.
    max_rss_bytes: Option<u64>,
    /// What the driver makes in the work directory before the case (a
    /// capture, a generated host, a batch file).
    prepare: Option<fn(&Path) -> Result<()>>,
    /// Times compared and judged as CPU time (user and system) rather than
    /// wall time: for a phase inside a process, tens of milliseconds long,
    /// whose wall time on a machine shared with other work is mostly the
    /// wait for a core.
    cpu: bool,
    what: &'static str,
}

/// A capture of `hlbench-routes` read back by `args`, against the live
/// `ip -j` of the same routes, under the capture's targets.
const fn replay_case(
    name: &'static str,
    args: &'static [&'static str],
    what: &'static str,
) -> Case {
    Case {
        name,
        namespace: Some(ROUTES_NS),
        hostlint: Hostlint::Binary { args, fresh: None },
        baseline: Baseline::Ip(&[&["ip", "-j", "-4", "route", "show", "table", "all"]]),
        max_time_ratio: Some(1.0),
        max_time: None,
        max_rss_bytes: Some(CAPTURE_RSS),
        prepare: Some(capture_routes),
        cpu: false,
        what,
    }
}

const CASES: &[Case] = &[
    Case {
        name: "routes",
        namespace: Some(ROUTES_NS),
        hostlint: Hostlint::Collect,
        baseline: Baseline::Ip(&[&["ip", "-4", "route", "show", "table", "all"]]),
        max_time_ratio: Some(1.0),
        max_time: None,
        max_rss_bytes: Some(64 * 1024 * 1024),
        prepare: None,
        cpu: false,
        what: "1,000,000 IPv4 routes: collect::snapshot(routes only) vs ip -4 route show table all",
    },
    Case {
        name: "links",
        namespace: Some(LINKS_NS),
        hostlint: Hostlint::Collect,
        baseline: Baseline::Ip(&[&["ip", "-j", "-d", "-s", "link", "show"]]),
        max_time_ratio: Some(2.0),
        max_time: None,
        max_rss_bytes: None,
        prepare: None,
        cpu: false,
        what: "1,000 veth links: collect::snapshot(links only) vs ip -j -d -s link show",
    },
    Case {
        name: "audit-live",
        namespace: Some(TYPICAL_NS),
        hostlint: Hostlint::Audit {
            policies: &["benches/typical.yaml"],
            root: None,
        },
        baseline: Baseline::Ip(&[
            &["ip", "-j", "-d", "-s", "link", "show"],
            &["ip", "-j", "route", "show", "table", "all"],
        ]),
        max_time_ratio: None,
        max_time: Some(AUDIT_TIME),
        max_rss_bytes: Some(AUDIT_RSS),
        prepare: None,
        cpu: false,
        what: "a typical host's network (10 links, 200 routes), live: hostlint audit -p \
               benches/typical.yaml --format prometheus --output FILE vs ip -j -d -s link show \
               then ip -j route show table all (two children, summed)",
    },
    Case {
        name: "audit-fixture",
        namespace: None,
        hostlint: Hostlint::Audit {
            policies: &[
                "policies/storage-paths.yaml",
                "policies/baseline.yaml",
                "policies/bonded-uplink.yaml",
            ],
            root: Some(TYPICAL_HOST),
        },
        baseline: Baseline::Budget,
        max_time_ratio: None,
        max_time: Some(AUDIT_TIME),
        max_rss_bytes: Some(AUDIT_RSS),
        prepare: Some(|work| {
            typical_fixture::generate(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE_BASE),
                &work.join(TYPICAL_HOST),
            )
        }),
        cpu: false,
        what: "a typical host (10 links, 2 bonds, 32 multipath maps of 4 paths, 200 static \
               routes) captured: hostlint audit --root FIXTURE -p storage-paths, baseline, \
               bonded-uplink --format prometheus --output FILE vs the budget of 50 ms and 15 MiB",
    },
    Case {
        name: "capture",
        namespace: Some(ROUTES_NS),
        hostlint: Hostlint::Binary {
            args: &["capture", "-o", "{work}/capture"],
            fresh: Some("capture"),
        },
        baseline: Baseline::Shell("ip -j -4 route show table all > {work}/ip-route-4.json"),
        max_time_ratio: Some(1.0),
        max_time: None,
        max_rss_bytes: Some(CAPTURE_RSS),
        prepare: None,
        cpu: false,
        what: "capture of 1,000,000 IPv4 routes: hostlint capture -o DIR (everything, the routes \
               written as they are dumped) vs ip -j -4 route show table all > FILE",
    },
    replay_case(
        "show-capture",
        &["show", "routes", "--root", "{work}/routes-capture"],
        "1,000,000 IPv4 routes replayed: hostlint show --root CAPTURE routes (links, routes, \
         rules, neighbours read from the capture) vs ip -j -4 route show table all (live)",
    ),
    // The table prints a screenful and a count, so it is matched too with
    // the same routes printed whole, as `ip -j` prints them.
    replay_case(
        "show-capture-json",
        &[
            "show",
            "routes",
            "--root",
            "{work}/routes-capture",
            "--format",
            "json",
        ],
        "1,000,000 IPv4 routes replayed and printed whole: hostlint show --root CAPTURE \
         routes --format json vs ip -j -4 route show table all (live)",
    ),
    Case {
        name: "resolve",
        namespace: Some(ROUTES_NS),
        hostlint: Hostlint::Phase,
        baseline: Baseline::Shell("ip -batch {work}/route-get.batch > /dev/null"),
        max_time_ratio: None,
        max_time: Some(RESOLVE_TIME),
        max_rss_bytes: None,
        prepare: Some(|work| {
            capture_routes(work)?;
            scale::write_route_get_batch(&work.join("route-get.batch"))
        }),
        cpu: true,
        what: "10,000 destinations resolved in a capture of 1,000,000 routes, after loading it \
               (rules, longest prefix, metric) vs ip -batch of 10,000 `route get` (the kernel, \
               live)",
    },
    Case {
        name: "audit-lookups",
        namespace: Some(ROUTES_NS),
        hostlint: Hostlint::Audit {
            policies: &["benches/lookups.yaml"],
            root: None,
        },
        baseline: Baseline::Ip(&[
            &["ip", "-j", "-d", "-s", "link", "show"],
            &["ip", "route", "get", "11.0.0.7"],
            &["ip", "route", "get", "11.4.1.2"],
            &["ip", "route", "get", "11.8.3.4"],
            &["ip", "route", "get", "11.14.66.1"],
        ]),
        max_time_ratio: None,
        max_time: Some(LOOKUPS_TIME),
        max_rss_bytes: Some(LOOKUPS_RSS),
        prepare: None,
        cpu: false,
        what: "a live audit whose checks need only kernel lookups, on a host of 1,000,000 routes: \
               hostlint audit -p benches/lookups.yaml --format prometheus --output FILE vs ip -j \
               -d -s link show and an ip route get per destination (five children, summed)",
    },
    Case {
        name: "capture-archive",
        namespace: Some(ROUTES_NS),
        hostlint: Hostlint::Binary {
            args: &["capture", "-o", "{work}/capture.tar.gz"],
            fresh: Some("capture.tar.gz"),
        },
        baseline: Baseline::Shell(
            "ip -j -4 route show table all | gzip > {work}/ip-route-4.json.gz",
        ),
        max_time_ratio: None,
        max_time: None,
        max_rss_bytes: Some(CAPTURE_RSS),
        prepare: None,
        cpu: false,
        what: "capture of 1,000,000 IPv4 routes as one .tar.gz, every run read back (show \
               --root ARCHIVE routes counts them) vs ip -j -4 route show table all | gzip > FILE",
    },
    Case {
        name: "links-table",
        namespace: None,
        hostlint: Hostlint::Binary {
            args: &["show", "links", "--root", "{work}/links-host"],
            fresh: None,
        },
        baseline: Baseline::Shell(
            "{hostlint} show links --root {work}/links-host --format json > /dev/null",
        ),
        max_time_ratio: None,
        max_time: None,
        max_rss_bytes: None,
        prepare: Some(|work| {
            scale::write_links_host(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lb-healthy"),
                &work.join("links-host"),
            )
        }),
        cpu: false,
        what: "show links as a table, 100,006 links (a generated capture) vs the same links as \
               JSON (streamed, linear)",
    },
    Case {
        name: "mounts",
        namespace: None,
        hostlint: Hostlint::Audit {
            policies: &["benches/mounts.yaml"],
            root: Some("mounts-host"),
        },
        baseline: Baseline::Shell(
            "findmnt -F {work}/mounts-host/proc/mounts -n -o TARGET,FSTYPE,OPTIONS > /dev/null",
        ),
        max_time_ratio: None,
        max_time: None,
        max_rss_bytes: None,
        prepare: Some(|work| {
            scale::write_mounts_host(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE_BASE),
                &work.join("mounts-host"),
            )
        }),
        cpu: false,
        what: "100,000 NFS mounts audited (a generated capture, benches/mounts.yaml judges every \
               one) vs findmnt reading the same mount table",
    },
];

/// Where `audit-fixture`'s host is generated, under the work directory.
const TYPICAL_HOST: &str = "typical-host";

/// Captures `hlbench-routes` (with the binary measured) for the cases that
/// read a capture of it.
fn capture_routes(work: &Path) -> Result<()> {
    let dir = work.join(ROUTES_CAPTURE);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            ROUTES_NS,
            env!("CARGO_BIN_EXE_hostlint"),
            "capture",
            "-o",
        ])
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| format!("capturing {ROUTES_NS}: {e}"))?;
    if !out.success() {
        return Err(format!("capturing {ROUTES_NS}: {out}"));
    }
    Ok(())
}

fn case(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name == name)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("child") => child(
            args.get(1).map(String::as_str).unwrap_or(""),
            Path::new(args.get(2).map(String::as_str).unwrap_or(".")),
        ),
        Some("runner") => runner(&args[1..]),
        _ => driver(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench collect: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, String>;

// ---------------------------------------------------------------- child ---

/// hostlint's collection for one case, as `hostlint show` does it (or, for
/// `resolve`, the resolution of the destinations in the capture under
/// `work`). Prints what was collected as one JSON object.
fn child(name: &str, work: &Path) -> Result<ExitCode> {
    let source = Source::live();
    let counts = match name {
        "resolve" => scale::resolve_child(&work.join(ROUTES_CAPTURE))?,
        "routes" => {
            // Routes name their devices, so this scope dumps links too (a
            // handful here), then routes of both families, rules and
            // neighbours.
            let snap = collect::snapshot(&source, Scope::ROUTES);
            let routes = snap
                .routes
                .known()
                .ok_or_else(|| format!("routes not collected: {:?}", snap.routes.missing()))?;
            json!({ "ipv4": routes.ipv4.len(), "ipv6": routes.ipv6.len() })
        }
        "links" => {
            // Link dump, addresses, ethtool link modes, the driver-info
            // ioctl and the sysfs device check of every link.
            let snap = collect::snapshot(&source, Scope::LINKS);
            let links = snap
                .links
                .known()
                .ok_or_else(|| format!("links not collected: {:?}", snap.links.missing()))?;
            let count = |f: &dyn Fn(&hostlint::snapshot::Link) -> bool| {
                links.iter().filter(|l| f(l)).count()
            };
            json!({
                "links": links.len(),
                "veth": count(&|l| l.iface.kind.known().is_some_and(|k| k == "veth")),
                "addresses": links
                    .iter()
                    .filter_map(|l| l.addresses.known())
                    .map(Vec::len)
                    .sum::<usize>(),
                "link_modes": count(&|l| l.link_modes.known().is_some()),
                "speed": count(&|l| l.speed_mbps.known().is_some()),
                "driver": count(&|l| l.driver.known().is_some()),
                "device_checked": count(&|l| l.device.known().is_some()),
            })
        }
        other => return Err(format!("no case {other:?}")),
    };
    println!("{counts}");
    Ok(ExitCode::SUCCESS)
}

// --------------------------------------------------------------- runner ---

fn child_cmd(case: &Case, work: &Path) -> Result<Command> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["child", case.name]).arg(work);
    Ok(cmd)
}

/// `{work}` and `{hostlint}` filled in.
fn expand(text: &str, work: &Path) -> String {
    text.replace("{work}", &work.to_string_lossy())
        .replace("{hostlint}", env!("CARGO_BIN_EXE_hostlint"))
}

fn report_path(case: &Case, work: &Path) -> PathBuf {
    work.join(format!("{}.prom", case.name))
}

/// A whole `hostlint audit`, as a timer would start it every minute.
fn audit_cmd(case: &Case, policies: &[&str], root: Option<&str>, work: &Path) -> Command {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hostlint"));
    cmd.arg("audit");
    for p in policies {
        cmd.arg("-p").arg(crate_dir.join(p));
    }
    if let Some(root) = root {
        cmd.arg("--root").arg(work.join(root));
    }
    cmd.args(["--format", "prometheus", "--output"])
        .arg(report_path(case, work));
    cmd
}

/// The figures of an audit's Prometheus report that say how it went.
fn audit_summary(report: &str) -> Result<Value> {
    let metric = |name: &str| {
        report.lines().find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    let mut summary = serde_json::Map::new();
    for (key, name) in [
        ("status", "hostlint_audit_status"),
        ("pass", "hostlint_findings{status=\"pass\"}"),
        ("warn", "hostlint_findings{status=\"warn\"}"),
        ("fail", "hostlint_findings{status=\"fail\"}"),
        ("unknown", "hostlint_findings{status=\"unknown\"}"),
        ("notes", "hostlint_notes"),
        ("deadline_exceeded", "hostlint_deadline_exceeded"),
    ] {
        let v = metric(name).ok_or_else(|| format!("the audit's report has no {name}"))?;
        summary.insert(key.into(), json!(v));
    }
    Ok(Value::Object(summary))
}

/// The routes `hostlint show routes` read, from its table's last line
/// (`N more routes not shown (X IPv4, Y IPv6 in all)`).
fn table_routes(out: &[u8]) -> Result<Value> {
    let text = String::from_utf8_lossy(out);
    let summary = text
        .lines()
        .rev()
        .find_map(|l| {
            l.split_once(" more routes not shown (")?
                .1
                .split_once(" IPv4, ")
        })
        .ok_or("hostlint show routes printed no summary of the routes it read")?;
    let ipv4: u64 = summary
        .0
        .parse()
        .map_err(|_| format!("not a route count: {:?}", summary.0))?;
    Ok(json!({ "ipv4": ipv4 }))
}

/// The IPv4 routes `show routes --format json` prints of the capture, from
/// a run of its own read a line at a time (the measured run's output went
/// to /dev/null, and the runner must stay small).
fn json_routes(work: &Path) -> Result<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hostlint"))
        .args(["show", "routes", "--format", "json", "--root"])
        .arg(work.join("routes-capture"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("show routes --format json: {e}"))?;
    let stdout = child.stdout.take().ok_or("show routes: no output pipe")?;
    // An IPv4 route is an object of the list under "ipv4", each naming its
    // table on a line of its own.
    let mut in_ipv4 = false;
    let mut ipv4 = 0u64;
    for line in std::io::BufReader::new(stdout).split(b'\n') {
        let line = line.map_err(|e| format!("show routes --format json: {e}"))?;
        let key = line.trim_ascii_start();
        if key.starts_with(b"\"ipv4\": [") {
            in_ipv4 = true;
        } else if key.starts_with(b"\"ipv6\"") {
            in_ipv4 = false;
        } else if in_ipv4 && key.starts_with(b"\"table\": ") {
            ipv4 += 1;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("show routes --format json failed: {status}"));
    }
    Ok(json!({ "ipv4": ipv4 }))
}

/// The routes and bytes of a capture's `cmd/ip-route-4.json`, read a line
/// at a time: the runner must stay small.
fn route_file(dir: &Path) -> Result<Value> {
    let path = dir.join("cmd/ip-route-4.json");
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = file.metadata().map_err(|e| e.to_string())?.len();
    let lines = std::io::BufReader::new(file)
        .split(b'\n')
        .filter(|l| {
            l.as_ref()
                .is_ok_and(|l| l.starts_with(b"[{") || l.starts_with(b"{"))
        })
        .count();
    Ok(json!({ "ipv4": lines, "bytes": bytes }))
}

/// What a run of the binary did, for the cases that run it.
fn binary_counts(case: &Case, work: &Path, out: &[u8]) -> Result<Value> {
    match case.name {
        "capture" => route_file(&work.join("capture")),
        // Every archive written must read back whole.
        "capture-archive" => {
            let out = Command::new(env!("CARGO_BIN_EXE_hostlint"))
                .args(["show", "routes", "--root"])
                .arg(work.join("capture.tar.gz"))
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("reading the archive back: {e}"))?;
            if !out.status.success() {
                return Err(format!("reading the archive back failed: {}", out.status));
            }
            table_routes(&out.stdout)
        }
        "show-capture" => table_routes(out),
        "show-capture-json" => json_routes(work),
        _ => Ok(Value::Null),
    }
}

/// Whether the case's binary prints little enough to be read for counts
/// (its output is read once it exits, so a large one would block it).
fn small_output(case: &Case) -> bool {
    case.name == "show-capture"
}

/// One measured hostlint run and what it collected (the child's counts) or
/// concluded (the audit report's summary).
fn run_hostlint(case: &Case, work: &Path) -> Result<(Sample, Value)> {
    match case.hostlint {
        Hostlint::Collect => {
            let (s, out) = measure(&mut child_cmd(case, work)?, true)?;
            let counts = serde_json::from_slice(&out)
                .map_err(|e| format!("hostlint child printed no counts: {e}"))?;
            Ok((s, counts))
        }
        Hostlint::Phase => {
            let (mut s, out) = measure(&mut child_cmd(case, work)?, true)?;
            let mut counts: Value = serde_json::from_slice(&out)
                .map_err(|e| format!("hostlint child printed no counts: {e}"))?;
            let phase = |key: &str| {
                counts[key]
                    .as_f64()
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| format!("hostlint child reported no {key}"))
            };
            s.wall = phase("phase_s")?;
            s.user = phase("phase_user_s")?;
            s.sys = phase("phase_sys_s")?;
            // Times of this run alone, not what the runs must agree on.
            if let Some(m) = counts.as_object_mut() {
                m.retain(|k, _| !k.starts_with("phase_") && k != "load_s");
            }
            Ok((s, counts))
        }
        Hostlint::Binary { args, fresh } => {
            if let Some(f) = fresh {
                let path = work.join(f);
                let gone = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                match gone {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("{}: {e}", path.display())),
                }
            }
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_hostlint"));
            cmd.args(args.iter().map(|a| expand(a, work)));
            let (s, out) = measure(&mut cmd, small_output(case))?;
            Ok((s, binary_counts(case, work, &out)?))
        }
        Hostlint::Audit { policies, root } => {
            let report = report_path(case, work);
            // A report left by an earlier run must not pass for this one's.
            match std::fs::remove_file(&report) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", report.display())),
            }
            let (s, _) =
                measure(&mut audit_cmd(case, policies, root, work), false).map_err(|e| {
                    format!(
                        "{e}\n(an audit exits non-zero when a finding does not pass: see {})",
                        report.display()
                    )
                })?;
            let text = std::fs::read_to_string(&report)
                .map_err(|e| format!("{}: {e}", report.display()))?;
            Ok((s, audit_summary(&text)?))
        }
    }
}

fn ip_cmd(argv: &[&str]) -> Command {
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    cmd
}

/// One sample of the baseline: its commands one after the other, summed.
fn run_baseline(baseline: &Baseline, work: &Path) -> Result<Sample> {
    let mut total = Sample::default();
    let mut add = |s: Sample| {
        total.wall += s.wall;
        total.user += s.user;
        total.sys += s.sys;
        total.maxrss_bytes = total.maxrss_bytes.max(s.maxrss_bytes);
    };
    match baseline {
        Baseline::Ip(commands) => {
            for argv in *commands {
                add(measure(&mut ip_cmd(argv), false)?.0);
            }
        }
        Baseline::Shell(line) => {
            let mut sh = Command::new("sh");
            sh.args(["-c", &expand(line, work)]);
            add(measure(&mut sh, false)?.0);
        }
        Baseline::Budget => {}
    }
    Ok(total)
}

/// Runs `ip -n NS ARGS` and returns its output. Run by the driver, so that
/// the runner, whose memory is the floor of every child's peak RSS (below),
/// never holds the output.
fn ip_in(namespace: &str, argv: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(argv[0])
        .args(["-n", namespace])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{argv:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{argv:?} in {namespace} failed: {}", out.status));
    }
    Ok(out.stdout)
}

fn lines(out: &[u8]) -> usize {
    out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count()
}

fn json_list(what: &str, out: &[u8]) -> Result<Vec<Value>> {
    serde_json::from_slice(out).map_err(|e| format!("{what}: not a JSON list: {e}"))
}

/// What `ip` shows of the namespace, counted: IPv4 route lines, links and
/// veth links.
fn ip_count(case: &Case) -> Result<Value> {
    let ns = case.namespace.ok_or("no namespace to count in")?;
    let count_links = || -> Result<(usize, usize)> {
        // `-d` is what shows the kind.
        let argv = ["ip", "-j", "-d", "link", "show"];
        let links = json_list("ip -j -d link show", &ip_in(ns, &argv)?)?;
        let veth = links
            .iter()
            .filter(|l| l["linkinfo"]["info_kind"] == "veth")
            .count();
        Ok((links.len(), veth))
    };
    let ipv4 = || -> Result<usize> {
        Ok(lines(&ip_in(
            ns,
            &["ip", "-4", "route", "show", "table", "all"],
        )?))
    };
    Ok(match case.name {
        "routes" | "show-capture" | "show-capture-json" | "capture-archive" | "resolve"
        | "audit-lookups" => {
            json!({ "ipv4": ipv4()? })
        }
        // What a capture's route file is compared with: ip's own JSON.
        "capture" => {
            let text = ip_in(ns, &["ip", "-j", "-4", "route", "show", "table", "all"])?;
            json!({ "ipv4": ipv4()?, "bytes": text.len() })
        }
        "links" => {
            let (links, veth) = count_links()?;
            json!({ "links": links, "veth": veth })
        }
        _ => {
            let (links, veth) = count_links()?;
            let boot = lines(&ip_in(
                ns,
                &["ip", "-4", "route", "show", "table", "all", "proto", "boot"],
            )?);
            json!({ "links": links, "veth": veth, "ipv4": ipv4()?, "static_routes": boot })
        }
    })
}

/// What hostlint reads of the host the audit cases audit, counted from
/// `hostlint show --format json` run once before the measured runs: the
/// audit's own report says how findings went, not how much was read.
fn show_count(case: &Case, work: &Path) -> Result<Value> {
    let bin = env!("CARGO_BIN_EXE_hostlint");
    let mut cmd = match case.namespace {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, bin]);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(["show", "--format", "json"]);
    if let Hostlint::Audit {
        root: Some(root), ..
    } = case.hostlint
    {
        cmd.arg("--root").arg(work.join(root));
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", out.status));
    }
    let snap: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("{cmd:?}: not JSON: {e}"))?;
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let links = list(&snap["links"]);
    let ipv4 = list(&snap["routes"]["ipv4"]);
    let bonds = list(&snap["bonds"]);
    let maps = list(&snap["storage"]["multipath"]);
    let kind = |k: &str| links.iter().filter(|l| l["kind"] == k).count();
    // A map counts when every path is active and its paths run through
    // the number of SCSI hosts (FC HBAs) the fixture gives them.
    let whole_maps = maps
        .iter()
        .filter(|m| {
            let paths = list(&m["paths"]);
            let mut hosts: Vec<&str> = paths
                .iter()
                .filter_map(|p| p["scsi_host"].as_str())
                .collect();
            hosts.sort_unstable();
            hosts.dedup();
            paths.len() == typical_fixture::PATHS_PER_MAP
                && paths.iter().all(|p| p["state"] == "active")
                && hosts.len() == typical_fixture::FC_HBAS
        })
        .count();
    Ok(json!({
        "links": links.len(),
        "veth": kind("veth"),
        "bonds": bonds.len(),
        "bond_members": bonds.iter().map(|b| list(&b["members"]).len()).sum::<usize>(),
        "ipv4": ipv4.len(),
        "static_routes": ipv4.iter().filter(|r| r["protocol"] == "static" || r["protocol"] == "boot").count(),
        "multipath_maps": maps.len(),
        "multipath_paths": maps.iter().map(|m| list(&m["paths"]).len()).sum::<usize>(),
        "whole_maps": whole_maps,
    }))
}

/// The links `show links --root` reads of the generated host, counted in
/// its JSON (one `"ifindex"` a link, whatever the indentation of the
/// document's layout) by a pipeline, never held.
fn links_shown(work: &Path) -> Result<Value> {
    let line = expand(
        "{hostlint} show links --root {work}/links-host --format json | grep -c '^ *\"ifindex\": '",
        work,
    );
    let out = Command::new("sh")
        .args(["-c", &line])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{line}: {e}"))?;
    let n: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| format!("{line}: no count"))?;
    Ok(json!({ "links": n }))
}

fn get(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// Whether an audit's counts show every finding passing: no warning,
/// failure, unknown, status problem, note or abandoned read.
fn clean(audit: &Value) -> bool {
    [
        "warn",
        "fail",
        "unknown",
        "status",
        "notes",
        "deadline_exceeded",
    ]
    .iter()
    .all(|k| get(audit, k) == 0)
}

/// Checks that hostlint collected what the host holds and what `ip`
/// printed, and that an audit judged it; anything else fails the benchmark.
fn check_counts(case: &Case, hostlint: &Value, ip: &Value) -> Result<()> {
    let fail = |what: String| {
        Err(format!(
            "{}: {what} (hostlint {hostlint}, ip {ip})",
            case.name
        ))
    };
    match case.name {
        // Every route the kernel holds, in the capture, read back, and
        // resolved: a run that lost some must not look fast.
        "capture" | "show-capture" | "show-capture-json" | "capture-archive" => {
            let n = get(hostlint, "ipv4");
            if n < MIN_ROUTES || n != get(ip, "ipv4") {
                return fail(format!(
                    "{n} IPv4 routes captured or read back, ip lists {}",
                    get(ip, "ipv4")
                ));
            }
        }
        "resolve" => {
            if get(hostlint, "ipv4") < MIN_ROUTES || get(hostlint, "ipv4") != get(ip, "ipv4") {
                return fail("the capture does not hold the namespace's routes".into());
            }
            let per_table = u64::from(scale::DESTINATIONS) / 4;
            for t in ["100", "101", "102", "103"] {
                if get(&hostlint["by_table"], t) != per_table {
                    return fail(format!(
                        "expected {per_table} destinations found in table {t} via hlr0"
                    ));
                }
            }
        }
        "audit-lookups" => {
            if !clean(hostlint) || get(hostlint, "pass") < 4 {
                return fail(
                    "the audit did not pass cleanly, with a finding per destination".into(),
                );
            }
        }
        "mounts" => {
            if !clean(hostlint) || get(hostlint, "pass") != u64::from(scale::MOUNTS) {
                return fail(format!(
                    "expected {} mounts judged, all passing",
                    scale::MOUNTS
                ));
            }
        }
        "links-table" => {
            let want = u64::from(scale::LINKS);
            if get(&hostlint["collected"], "links") < want {
                return fail(format!("expected at least {want} links shown"));
            }
        }
        "routes" => {
            let n = get(hostlint, "ipv4");
            if n < MIN_ROUTES {
                return fail(format!(
                    "{n} IPv4 routes collected, expected at least {MIN_ROUTES}"
                ));
            }
            if n != get(ip, "ipv4") {
                return fail("hostlint and ip count different IPv4 routes".into());
            }
        }
        "links" => {
            let links = get(hostlint, "links");
            let veth = get(hostlint, "veth");
            if veth < MIN_VETH {
                return fail(format!(
                    "{veth} veth links collected, expected at least {MIN_VETH}"
                ));
            }
            if links != get(ip, "links") || veth != get(ip, "veth") {
                return fail("hostlint and ip count different links".into());
            }
            // Every link must have gone through every per-link read: the
            // veth driver answers each of them.
            for key in ["link_modes", "speed", "driver", "device_checked"] {
                if get(hostlint, key) < veth {
                    return fail(format!("{key} read for only {} links", get(hostlint, key)));
                }
            }
            if get(hostlint, "addresses") < veth {
                return fail("fewer addresses than veth links".into());
            }
        }
        _ => {
            let read = &hostlint["collected"];
            let audit = &hostlint["audit"];
            let (want_links, want_routes) = match case.namespace {
                Some(_) => (TYPICAL_LINKS, TYPICAL_STATIC_ROUTES),
                None => (
                    typical_fixture::LINKS as u64,
                    typical_fixture::STATIC_ROUTES as u64,
                ),
            };
            let links = get(read, "links");
            if links != want_links {
                return fail(format!("{links} links read, expected {want_links}"));
            }
            let routes = get(read, "static_routes");
            if routes != want_routes {
                return fail(format!(
                    "{routes} static routes read, expected {want_routes}"
                ));
            }
            // Findings: every one a pass, and at least as many as the
            // objects each policy judges one by one.
            let judged = if case.namespace.is_some() {
                let veth = get(read, "veth");
                if veth != TYPICAL_VETH {
                    return fail(format!("{veth} veth links read, expected {TYPICAL_VETH}"));
                }
                if links != get(ip, "links")
                    || veth != get(ip, "veth")
                    || get(read, "ipv4") != get(ip, "ipv4")
                    || routes != get(ip, "static_routes")
                {
                    return fail("hostlint and ip count different links or routes".into());
                }
                // typical-links-clean judges every link but lo.
                links - 1
            } else {
                let maps = typical_fixture::MAPS as u64;
                let bonds = typical_fixture::BONDS as u64;
                let paths = maps * typical_fixture::PATHS_PER_MAP as u64;
                if get(read, "bonds") != bonds || get(read, "bond_members") != 2 * bonds {
                    return fail(format!("expected {bonds} bonds of 2 members"));
                }
                if get(read, "multipath_maps") != maps
                    || get(read, "multipath_paths") != paths
                    || get(read, "whole_maps") != maps
                {
                    return fail(format!(
                        "expected {maps} multipath maps, each on {} active paths over {} HBAs ({paths} paths)",
                        typical_fixture::PATHS_PER_MAP,
                        typical_fixture::FC_HBAS
                    ));
                }
                // luns-redundant and lun-paths-steady judge every map,
                // bonded-uplink-lacp every bond.
                2 * maps + bonds
            };
            if !clean(audit) {
                return fail("the audit did not pass cleanly".into());
            }
            if get(audit, "pass") < judged {
                return fail(format!(
                    "{} findings, expected at least {judged}",
                    get(audit, "pass")
                ));
            }
        }
    }
    Ok(())
}

fn sample_json(s: &Sample) -> Value {
    json!({
        "wall_s": s.wall.as_secs_f64(),
        "maxrss_bytes": s.maxrss_bytes,
        "user_s": s.user.as_secs_f64(),
        "sys_s": s.sys.as_secs_f64(),
    })
}

/// The high-water mark of this process's own memory (`VmHWM`). Not
/// `getrusage(RUSAGE_SELF)`: that also holds what the processes that exec'd
/// into this one (`ip netns exec`, and the driver before it) had used.
fn own_memory_high_water() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| "/proc/self/status has no VmHWM".into())
}

/// Inside the namespace (if the case has one): a warm-up of each contender,
/// then `runs` measured rounds, alternating which goes first. Every hostlint
/// run must collect, or conclude, what the warm-up did.
///
/// A child's `ru_maxrss` can never be below the runner's own peak RSS: at
/// `execve` the kernel folds the high-water mark of the memory the child
/// leaves (the runner's, shared by vfork or copied by fork) into the child's
/// maximum. So the runner keeps nothing large, and reports its own peak as
/// the floor of all contenders' figures.
fn runner(args: &[String]) -> Result<ExitCode> {
    let name = args.first().map(String::as_str).unwrap_or("");
    let case = case(name).ok_or_else(|| format!("no case {name:?}"))?;
    let runs: usize = args
        .get(1)
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .ok_or("runner: a run count is needed")?;
    let work = PathBuf::from(args.get(2).ok_or("runner: a work directory is needed")?);
    let baseline_runs = !matches!(case.baseline, Baseline::Budget);

    let (_, counts) = run_hostlint(case, &work)?;
    // The warm-up of the baseline, whose output goes where the measured
    // runs' goes.
    if baseline_runs {
        run_baseline(&case.baseline, &work)?;
    }

    let mut hostlint = Vec::new();
    let mut baseline = Vec::new();
    for round in 0..runs {
        for turn in 0..2 {
            if (round + turn) % 2 == 0 {
                let (s, got) = run_hostlint(case, &work)?;
                if got != counts {
                    return Err(format!(
                        "{}: run {round} gave {got}, the warm-up {counts}",
                        case.name
                    ));
                }
                hostlint.push(s);
            } else if baseline_runs {
                baseline.push(run_baseline(&case.baseline, &work)?);
            }
        }
    }
    let result = json!({
        "counts": counts,
        "runner_maxrss_bytes": own_memory_high_water()?,
        "hostlint": hostlint.iter().map(sample_json).collect::<Vec<_>>(),
        "baseline": baseline.iter().map(sample_json).collect::<Vec<_>>(),
    });
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

// --------------------------------------------------------------- driver ---

fn field(samples: &Value, key: &str) -> Vec<f64> {
    samples
        .as_array()
        .map(|a| a.iter().filter_map(|s| s[key].as_f64()).collect())
        .unwrap_or_default()
}

fn ip_version() -> String {
    Command::new("ip")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn driver(args: &[String]) -> Result<ExitCode> {
    let mut runs = DEFAULT_RUNS;
    let mut check = false;
    let mut only = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            // Passed by `cargo bench`.
            "--bench" => {}
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|r| r.parse().ok())
                    .filter(|r| *r > 0)
                    .ok_or("--runs needs a positive number")?;
            }
            "--check" => check = true,
            name if case(name).is_some() => only.push(name.to_owned()),
            other => {
                let names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo bench --bench collect -- \
                     [CASE...] [--runs N] [--check], CASE one of {}",
                    names.join(", ")
                ));
            }
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("must run as root: the benchmark enters network namespaces \
                    (sudo benches/netns.sh up && sudo cargo bench --bench collect)"
            .into());
    }
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|c| only.is_empty() || only.iter().any(|o| o == c.name))
        .collect();
    for ns in cases.iter().filter_map(|c| c.namespace) {
        if !Path::new("/run/netns").join(ns).exists() {
            return Err(format!(
                "namespace {ns} is missing: run `sudo benches/netns.sh up` first"
            ));
        }
    }
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let work = target_dir().join("bench-audit");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;

    let machine = json!({
        "kernel": read_trimmed("/proc/sys/kernel/osrelease"),
        "cpu": cpu_model(),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "iproute2": ip_version(),
    });
    let date = utc_now();
    println!(
        "hostlint collection and audit benchmark, {date}\nkernel {}, {} x {}, {}\n{runs} runs per contender, median wall time and peak RSS of a child process\n",
        machine["kernel"].as_str().unwrap_or(""),
        machine["cpus"],
        machine["cpu"].as_str().unwrap_or(""),
        machine["iproute2"].as_str().unwrap_or(""),
    );

    let mut results = Vec::new();
    let mut missed = Vec::new();
    println!(
        "{:<13} {:<9} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}  {:<15} counts",
        "case", "who", "median", "min", "max", "peak RSS", "user", "sys", "load before"
    );
    for c in cases {
        if let Some(prepare) = c.prepare {
            prepare(&work)?;
        }
        // What a case reads, counted once before it is timed, where its
        // runs do not say.
        let collected = match c.name {
            "audit-live" | "audit-fixture" => Some(show_count(c, &work)?),
            "links-table" => Some(links_shown(&work)?),
            _ => None,
        };
        let load_before = loadavg();
        let mut runner = match c.namespace {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns]).arg(&exe);
                cmd
            }
            None => Command::new(&exe),
        };
        let out = runner
            .args(["runner", c.name, &runs.to_string()])
            .arg(&work)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("{runner:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "case {}: the runner failed ({})",
                c.name, out.status
            ));
        }
        let load_after = loadavg();
        let r: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("case {}: runner output: {e}", c.name))?;
        let hostlint_counts = match collected {
            Some(read) => json!({ "collected": read, "audit": r["counts"] }),
            None => r["counts"].clone(),
        };
        let ip_counts = match c.namespace {
            Some(_) => ip_count(c)?,
            None => Value::Null,
        };
        let counts = json!({ "hostlint": hostlint_counts, "ip": ip_counts });
        check_counts(c, &counts["hostlint"], &counts["ip"])?;

        let summary = |who: &str| {
            let wall = field(&r[who], "wall_s");
            let rss = field(&r[who], "maxrss_bytes");
            json!({
                "median_s": median(wall.clone()),
                "min_s": wall.iter().copied().fold(f64::INFINITY, f64::min),
                "max_s": wall.iter().copied().fold(0.0, f64::max),
                "median_maxrss_bytes": median(rss.clone()),
                "max_maxrss_bytes": rss.iter().copied().fold(0.0, f64::max),
                "median_user_s": median(field(&r[who], "user_s")),
                "median_sys_s": median(field(&r[who], "sys_s")),
                "median_cpu_s": median(
                    field(&r[who], "user_s")
                        .iter()
                        .zip(field(&r[who], "sys_s"))
                        .map(|(u, s)| u + s)
                        .collect()
                ),
            })
        };
        let time_key = if c.cpu { "median_cpu_s" } else { "median_s" };
        let time_word = if c.cpu { "cpu time" } else { "time" };
        let hl = summary("hostlint");
        let (bl, who, commands) = match c.baseline {
            Baseline::Ip(commands) => (
                Some(summary("baseline")),
                if commands.len() == 1 { "ip" } else { "ip+ip" },
                commands.iter().map(|a| a.join(" ")).collect(),
            ),
            Baseline::Shell(line) => (Some(summary("baseline")), "baseline", vec![line.to_owned()]),
            Baseline::Budget => (None, "budget", Vec::new()),
        };
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let time_ratio = bl.as_ref().map(|b| f(&hl, time_key) / f(b, time_key));
        let rss_ratio = bl
            .as_ref()
            .map(|b| f(&hl, "median_maxrss_bytes") / f(b, "median_maxrss_bytes"));

        let mut rows = vec![("hostlint", &hl, &counts["hostlint"])];
        if let Some(b) = &bl {
            rows.push((who, b, &counts["ip"]));
        }
        for (who, s, counts) in rows {
            println!(
                "{:<13} {:<9} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>6.1}MiB {:>7.1}ms {:>7.1}ms  {:<15} {}",
                c.name,
                who,
                f(s, "median_s") * 1e3,
                f(s, "min_s") * 1e3,
                f(s, "max_s") * 1e3,
                f(s, "max_maxrss_bytes") / MIB,
                f(s, "median_user_s") * 1e3,
                f(s, "median_sys_s") * 1e3,
                load_before,
                counts
            );
        }

        let met = |ok: bool| if ok { "met" } else { "MISSED" };
        let mut verdicts = Vec::new();
        let mut time_ok: Option<bool> = None;
        if let Some(ratio) = time_ratio {
            match c.max_time_ratio {
                Some(max) => {
                    let ok = ratio <= max;
                    verdicts.push(format!(
                        "{time_word} {ratio:.2}x {who} (target <= {max:.1}x: {})",
                        met(ok)
                    ));
                    if !ok {
                        missed.push(format!("{} time {ratio:.2}x", c.name));
                    }
                    time_ok = Some(ok);
                }
                None => verdicts.push(format!("{time_word} {ratio:.2}x {who}")),
            }
        }
        let median_s = f(&hl, time_key);
        let time_budget_ratio = c.max_time.map(|t| median_s / t.as_secs_f64());
        if let (Some(limit), Some(share)) = (c.max_time, time_budget_ratio) {
            let ok = median_s < limit.as_secs_f64();
            verdicts.push(format!(
                "median {time_word} {:.1} ms, {share:.2}x the budget (target < {} ms: {})",
                median_s * 1e3,
                limit.as_millis(),
                met(ok)
            ));
            if !ok {
                missed.push(format!("{} median {:.1} ms", c.name, median_s * 1e3));
            }
            time_ok = Some(time_ok.unwrap_or(true) && ok);
        }
        // The peak over all runs, not the median: a limit is a limit.
        let peak = f(&hl, "max_maxrss_bytes");
        let mut rss = format!("peak RSS {:.1} MiB", peak / MIB);
        if let Some(ratio) = rss_ratio {
            rss.push_str(&format!(", {ratio:.1}x {who}"));
        }
        let rss_budget_ratio = c.max_rss_bytes.map(|limit| peak / limit as f64);
        let rss_ok = c.max_rss_bytes.map(|limit| peak < limit as f64);
        if let (Some(limit), Some(share), Some(ok)) = (c.max_rss_bytes, rss_budget_ratio, rss_ok) {
            rss.push_str(&format!(
                ", {share:.2}x the budget (target < {} MiB: {})",
                limit / (1024 * 1024),
                met(ok)
            ));
            if !ok {
                missed.push(format!("{} peak RSS {:.1} MiB", c.name, peak / MIB));
            }
        }
        verdicts.push(rss);
        // A capture's route file against what `ip -j` prints of the same
        // routes: compact, not pretty-printed.
        let bytes_ratio = (c.name == "capture")
            .then(|| get(&counts["hostlint"], "bytes") as f64 / get(&counts["ip"], "bytes") as f64);
        if let Some(r) = bytes_ratio {
            verdicts.push(format!("route file {r:.3}x the bytes of ip -j's"));
        }
        println!(
            "{:<13} ratio     {}; load after {load_after}; RSS floor {:.1} MiB\n",
            c.name,
            verdicts.join("; "),
            r["runner_maxrss_bytes"].as_f64().unwrap_or(f64::NAN) / MIB
        );
        results.push(json!({
            "case": c.name,
            "what": c.what,
            "namespace": c.namespace,
            "baseline_commands": commands,
            "load_before": load_before,
            "load_after": load_after,
            "counts": counts,
            "rss_floor_bytes": r["runner_maxrss_bytes"],
            "hostlint": hl,
            "baseline": bl,
            "time_ratio": time_ratio,
            "maxrss_ratio": rss_ratio,
            "time_budget_ratio": time_budget_ratio,
            "maxrss_budget_ratio": rss_budget_ratio,
            "target_time_ratio": c.max_time_ratio,
            "target_time_s": c.max_time.map(|t| t.as_secs_f64()),
            "target_maxrss_bytes": c.max_rss_bytes,
            "route_file_bytes_ratio": bytes_ratio,
            "time_target_met": time_ok,
            "maxrss_target_met": rss_ok,
            "samples": { "hostlint": r["hostlint"], "baseline": r["baseline"] },
        }));
    }

    let doc = json!({
        "date": date,
        "hostlint_commit": git_commit(),
        "machine": machine,
        "runs": runs,
        "cases": results,
    });
    let path = target_dir().join("bench-results.json");
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    println!("results written to {}", path.display());
    if missed.is_empty() {
        println!("all targets met");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("targets missed: {}", missed.join(", "));
        Ok(if check {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }
}
