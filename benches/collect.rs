//! Collection benchmarks: hostlint against iproute2 on the same namespace in
//! the same run, as ratios (SPEC section 8).
//!
//! `cargo bench --bench collect` (as root, after `benches/netns.sh up`) runs
//! each case in its namespace and prints, for hostlint's collection and for
//! the `ip` command that reads the same kernel objects, the median wall time
//! and peak RSS of a child process, and their ratio. Results also go to
//! `target/bench-results.json`.
//!
//! One binary plays three roles, chosen by its first argument:
//! - (none, or cargo's `--bench`): the driver. For each case it starts
//!   `ip netns exec NS <this binary> runner CASE RUNS` and reads back one
//!   JSON object.
//! - `runner CASE RUNS`: runs inside the namespace (with its own sysfs, which
//!   `ip netns exec` mounts). It starts the two contenders as direct children,
//!   alternating them, and measures each with `wait4`: wall time from spawn to
//!   reap, and `ru_maxrss`. Timing here rather than around `ip netns exec`
//!   keeps the namespace switch and sysfs remount out of both figures.
//! - `child CASE`: hostlint's collection for the case through the library,
//!   printing what it collected. A count that is off fails the run: a
//!   benchmark that collected nothing must not look fast.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hostlint::collect::{self, Scope};
use hostlint::source::Source;
use serde_json::{Value, json};

const ROUTES_NS: &str = "hlbench-routes";
const LINKS_NS: &str = "hlbench-links";
/// What `benches/netns.sh up` builds.
const MIN_ROUTES: u64 = 1_000_000;
const MIN_VETH: u64 = 1_000;
const DEFAULT_RUNS: usize = 7;
const MIB: f64 = 1024.0 * 1024.0;

struct Case {
    name: &'static str,
    namespace: &'static str,
    /// The iproute2 command that reads the same objects.
    ip: &'static [&'static str],
    /// What the target allows: hostlint's median time over ip's.
    max_time_ratio: f64,
    /// Peak RSS hostlint must stay under, if the target sets one.
    max_rss_bytes: Option<u64>,
    what: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "routes",
        namespace: ROUTES_NS,
        ip: &["ip", "-4", "route", "show", "table", "all"],
        max_time_ratio: 1.0,
        max_rss_bytes: Some(64 * 1024 * 1024),
        what: "1,000,000 IPv4 routes: collect::snapshot(routes only) vs ip -4 route show table all",
    },
    Case {
        name: "links",
        namespace: LINKS_NS,
        ip: &["ip", "-j", "-d", "-s", "link", "show"],
        max_time_ratio: 2.0,
        max_rss_bytes: None,
        what: "1,000 veth links: collect::snapshot(links only) vs ip -j -d -s link show",
    },
];

fn case(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name == name)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("child") => child(args.get(1).map(String::as_str).unwrap_or("")),
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

/// hostlint's collection for one case, as `hostlint show` does it. Prints
/// what was collected as one JSON object.
fn child(name: &str) -> Result<ExitCode> {
    let source = Source::live();
    let counts = match name {
        "routes" => {
            // Routes name their devices, so this scope dumps links too (a
            // handful here), then routes of both families, rules and
            // neighbours.
            let snap = collect::snapshot(
                &source,
                Scope {
                    host: false,
                    links: false,
                    bonds: false,
                    routes: true,
                    storage: false,
                },
            );
            let routes = snap
                .routes
                .known()
                .ok_or_else(|| format!("routes not collected: {:?}", snap.routes.missing()))?;
            json!({ "ipv4": routes.ipv4.len(), "ipv6": routes.ipv6.len() })
        }
        "links" => {
            // Link dump, addresses, ethtool link modes, the driver-info
            // ioctl and the sysfs device check of every link.
            let snap = collect::snapshot(
                &source,
                Scope {
                    host: false,
                    links: true,
                    bonds: false,
                    routes: false,
                    storage: false,
                },
            );
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

/// One measured child process.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    maxrss_bytes: u64,
    user: Duration,
    sys: Duration,
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

/// Runs `cmd` to completion and measures it with `wait4`. The child's
/// standard output is returned when `capture` is set (it must be small:
/// it is read only after the child exits), and goes to /dev/null otherwise.
fn measure(cmd: &mut Command, capture: bool) -> Result<(Sample, Vec<u8>)> {
    cmd.stdin(Stdio::null())
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("{cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own unreaped child; both pointers are valid.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 {cmd:?}: {err}"));
        }
    }
    let wall = start.elapsed();
    let mut out = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut out)
            .map_err(|e| format!("{cmd:?}: reading its output: {e}"))?;
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "{cmd:?} failed (wait status {status:#x}): {}",
            String::from_utf8_lossy(&out)
        ));
    }
    Ok((
        Sample {
            wall,
            // Linux reports ru_maxrss in KiB.
            maxrss_bytes: usage.ru_maxrss as u64 * 1024,
            user: timeval(usage.ru_utime),
            sys: timeval(usage.ru_stime),
        },
        out,
    ))
}

fn hostlint_cmd(case: &Case) -> Result<Command> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["child", case.name]);
    Ok(cmd)
}

fn ip_cmd(case: &Case) -> Command {
    let mut cmd = Command::new(case.ip[0]);
    cmd.args(&case.ip[1..]);
    cmd
}

/// What `ip` prints for the case, counted: route lines, or entries of the
/// JSON link list. Run by the driver with `ip -n NS`, so that the runner,
/// whose memory is the floor of every child's peak RSS (below), never holds
/// the output.
fn ip_count(case: &Case) -> Result<Value> {
    let out = Command::new(case.ip[0])
        .args(["-n", case.namespace])
        .args(&case.ip[1..])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{:?}: {e}", case.ip))?;
    if !out.status.success() {
        return Err(format!("{:?} failed: {}", case.ip, out.status));
    }
    Ok(match case.name {
        "routes" => json!({
            "ipv4": out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count()
        }),
        _ => {
            let links: Vec<Value> = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("{:?}: not a JSON list: {e}", case.ip))?;
            let veth = links
                .iter()
                .filter(|l| l["linkinfo"]["info_kind"] == "veth")
                .count();
            json!({ "links": links.len(), "veth": veth })
        }
    })
}

fn get(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// Checks that hostlint collected what the namespace holds and what `ip`
/// printed; anything else fails the benchmark.
fn check_counts(case: &Case, hostlint: &Value, ip: &Value) -> Result<()> {
    let fail = |what: String| {
        Err(format!(
            "{}: {what} (hostlint {hostlint}, ip {ip})",
            case.name
        ))
    };
    match case.name {
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
        _ => {
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

/// Inside the namespace: a warm-up of each contender, then `runs` measured
/// rounds, alternating which goes first. Every hostlint run must collect
/// what the warm-up did.
///
/// A child's `ru_maxrss` can never be below the runner's own peak RSS: at
/// `execve` the kernel folds the high-water mark of the memory the child
/// leaves (the runner's, shared by vfork or copied by fork) into the child's
/// maximum. So the runner keeps nothing large, and reports its own peak as
/// the floor of both contenders' figures.
fn runner(args: &[String]) -> Result<ExitCode> {
    let name = args.first().map(String::as_str).unwrap_or("");
    let case = case(name).ok_or_else(|| format!("no case {name:?}"))?;
    let runs: usize = args
        .get(1)
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .ok_or("runner: a run count is needed")?;

    let (_, out) = measure(&mut hostlint_cmd(case)?, true)?;
    let counts: Value = serde_json::from_slice(&out)
        .map_err(|e| format!("hostlint child printed no counts: {e}"))?;
    // The warm-up of ip, whose output goes nowhere like the measured runs'.
    measure(&mut ip_cmd(case), false)?;

    let mut hostlint = Vec::new();
    let mut ip = Vec::new();
    for round in 0..runs {
        for turn in 0..2 {
            if (round + turn) % 2 == 0 {
                let (s, out) = measure(&mut hostlint_cmd(case)?, true)?;
                let got: Value = serde_json::from_slice(&out)
                    .map_err(|e| format!("hostlint child printed no counts: {e}"))?;
                if got != counts {
                    return Err(format!(
                        "{}: run {round} collected {got}, the warm-up {counts}",
                        case.name
                    ));
                }
                hostlint.push(s);
            } else {
                ip.push(measure(&mut ip_cmd(case), false)?.0);
            }
        }
    }
    let result = json!({
        "counts": counts,
        "runner_maxrss_bytes": own_memory_high_water()?,
        "hostlint": hostlint.iter().map(sample_json).collect::<Vec<_>>(),
        "ip": ip.iter().map(sample_json).collect::<Vec<_>>(),
    });
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

// --------------------------------------------------------------- driver ---

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn field(samples: &Value, key: &str) -> Vec<f64> {
    samples
        .as_array()
        .map(|a| a.iter().filter_map(|s| s[key].as_f64()).collect())
        .unwrap_or_default()
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|e| format!("({path}: {e})"))
}

fn loadavg() -> String {
    read_trimmed("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The commit measured, `+dirty` with uncommitted changes.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            format!("{commit}{}", if dirty { "+dirty" } else { "" })
        }
        None => "unknown".into(),
    }
}

fn ip_version() -> String {
    Command::new("ip")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for now.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    hostlint::capture::rfc3339(secs)
}

fn results_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-results.json")
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
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo bench --bench collect -- \
                     [routes] [links] [--runs N] [--check]"
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
    for c in &cases {
        if !Path::new("/run/netns").join(c.namespace).exists() {
            return Err(format!(
                "namespace {} is missing: run `sudo benches/netns.sh up` first",
                c.namespace
            ));
        }
    }
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;

    let machine = json!({
        "kernel": read_trimmed("/proc/sys/kernel/osrelease"),
        "cpu": cpu_model(),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "iproute2": ip_version(),
    });
    let date = utc_now();
    println!(
        "hostlint collection benchmark, {date}\nkernel {}, {} x {}, {}\n{runs} runs per contender, median wall time and peak RSS of a child process\n",
        machine["kernel"].as_str().unwrap_or(""),
        machine["cpus"],
        machine["cpu"].as_str().unwrap_or(""),
        machine["iproute2"].as_str().unwrap_or(""),
    );

    let mut results = Vec::new();
    let mut missed = Vec::new();
    println!(
        "{:<7} {:<9} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}  {:<15} counts",
        "case", "who", "median", "min", "max", "peak RSS", "user", "sys", "load before"
    );
    for c in cases {
        let load_before = loadavg();
        let out = Command::new("ip")
            .args(["netns", "exec", c.namespace])
            .arg(&exe)
            .args(["runner", c.name, &runs.to_string()])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("ip netns exec {}: {e}", c.namespace))?;
        if !out.status.success() {
            return Err(format!(
                "case {}: the runner in {} failed ({})",
                c.name, c.namespace, out.status
            ));
        }
        let load_after = loadavg();
        let r: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("case {}: runner output: {e}", c.name))?;
        let counts = json!({ "hostlint": r["counts"], "ip": ip_count(c)? });
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
            })
        };
        let hl = summary("hostlint");
        let ip = summary("ip");
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let time_ratio = f(&hl, "median_s") / f(&ip, "median_s");
        let rss_ratio = f(&hl, "median_maxrss_bytes") / f(&ip, "median_maxrss_bytes");

        for (who, s, counts) in [
            ("hostlint", &hl, &counts["hostlint"]),
            ("ip", &ip, &counts["ip"]),
        ] {
            println!(
                "{:<7} {:<9} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>6.1}MiB {:>7.1}ms {:>7.1}ms  {:<15} {}",
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
        let mut verdicts = Vec::new();
        let time_ok = time_ratio <= c.max_time_ratio;
        verdicts.push(format!(
            "time {time_ratio:.2}x (target <= {:.1}x: {})",
            c.max_time_ratio,
            if time_ok { "met" } else { "MISSED" }
        ));
        if !time_ok {
            missed.push(format!("{} time {time_ratio:.2}x", c.name));
        }
        let peak = f(&hl, "max_maxrss_bytes");
        // The peak over all runs, not the median: a limit is a limit.
        let rss_ok = c.max_rss_bytes.map(|limit| peak < limit as f64);
        match (c.max_rss_bytes, rss_ok) {
            (Some(limit), Some(ok)) => {
                verdicts.push(format!(
                    "peak RSS {:.1} MiB, {rss_ratio:.1}x ip (target < {} MiB: {})",
                    peak / MIB,
                    limit / (1024 * 1024),
                    if ok { "met" } else { "MISSED" }
                ));
                if !ok {
                    missed.push(format!("{} peak RSS {:.1} MiB", c.name, peak / MIB));
                }
            }
            _ => verdicts.push(format!(
                "peak RSS {:.1} MiB, {rss_ratio:.1}x ip",
                peak / MIB
            )),
        }
        println!(
            "{:<7} ratio     {}; load after {load_after}; RSS floor {:.1} MiB\n",
            c.name,
            verdicts.join("; "),
            r["runner_maxrss_bytes"].as_f64().unwrap_or(f64::NAN) / MIB
        );
        results.push(json!({
            "case": c.name,
            "what": c.what,
            "namespace": c.namespace,
            "ip_command": c.ip.join(" "),
            "load_before": load_before,
            "load_after": load_after,
            "counts": counts,
            "rss_floor_bytes": r["runner_maxrss_bytes"],
            "hostlint": hl,
            "ip": ip,
            "time_ratio": time_ratio,
            "maxrss_ratio": rss_ratio,
            "target_time_ratio": c.max_time_ratio,
            "target_maxrss_bytes": c.max_rss_bytes,
            "time_target_met": time_ok,
            "maxrss_target_met": rss_ok,
            "samples": { "hostlint": r["hostlint"], "ip": r["ip"] },
        }));
    }

    let doc = json!({
        "date": date,
        "hostlint_commit": git_commit(),
        "machine": machine,
        "runs": runs,
        "cases": results,
    });
    let path = results_path();
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
