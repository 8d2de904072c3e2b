//! The agent's cost (`hostlint watch`, SPEC section 2): on a quiet host,
//! its CPU while idle, measured over minutes and scaled to an hour, and its
//! memory; then the cost of each re-audit an event starts, against one
//! `hostlint audit` process doing the same audit, in the same run.
//!
//! As root, in the namespace of the audit-live case, holding the bench
//! lock (the namespace is shared with `cargo bench --bench collect`):
//!
//! ```sh
//! sudo benches/netns.sh up typical
//! sudo flock /tmp/hostlint-bench.lock cargo bench --bench watch -- [--idle SECONDS] [--events N]
//! ```
//!
//! One binary, two roles. The driver (no argument but cargo's `--bench`)
//! starts `ip netns exec hlbench-typical <this binary> runner IDLE EVENTS
//! WORK`, prints the table and writes `target/bench-watch.json`. The runner,
//! inside the namespace, starts the agent (`hostlint watch -p
//! benches/typical.yaml --format json --output WORK/agent.json`, defaults
//! otherwise: `--min-interval 1s --max-interval 5m`) as its child and:
//!
//! 1. waits for its first audit, which must pass every finding (an agent
//!    that could not read the host did less work than it should), and for
//!    it to be quiet;
//! 2. idle: reads the agent's CPU time (`utime` + `stime` of
//!    `/proc/PID/stat`, in clock ticks, every thread's, the dead ones too)
//!    and memory (`VmRSS`, `VmHWM`), sleeps IDLE seconds and
//!    reads them again (600 s by default: two audits of `--max-interval
//!    5m` fall in it, and whatever events the host sends); the CPU figure
//!    scaled to an hour is reported with its resolution (one tick), beside
//!    the hour computed from the twelve audits of `--max-interval` at the
//!    cost of one re-audit measured in step 3;
//! 3. re-audits: EVENTS times (30 by default) changes the MTU of `hltst1`
//!    (a link event no check fails on), waits for the agent's audit, then
//!    runs one `hostlint audit` of the same policy as a timer would start
//!    it (`--format prometheus --output FILE`), measured with `wait4`, and
//!    waits out the minimum interval. The agent's CPU per re-audit is its
//!    tick count over the phase divided by the audits it ran; its audit
//!    time is each report's `run.duration_seconds`;
//! 4. stops the agent with SIGTERM and times its exit.

#[path = "shared/run.rs"]
mod run;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use run::{Result, Sample, cpu_model, git_commit, loadavg, measure, median, target_dir, utc_now};

const NAMESPACE: &str = "hlbench-typical";
const POLICY: &str = "benches/typical.yaml";
const DEFAULT_IDLE: u64 = 600;
const DEFAULT_EVENTS: usize = 30;
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The default `--max-interval`: audits an idle hour holds anyway.
const MAX_INTERVAL: Duration = Duration::from_secs(300);
const KIB: f64 = 1024.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("runner") => runner(&args[1..]),
        _ => driver(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench watch: {e}");
            ExitCode::FAILURE
        }
    }
}

// --------------------------------------------------------------- runner ---

/// What `/proc/PID` says of the agent.
#[derive(Clone, Copy, Debug)]
struct Usage {
    ticks: u64,
    rss_kib: u64,
    hwm_kib: u64,
}

fn usage(pid: u32) -> Result<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // The command name may hold spaces: fields count from after its ")".
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("/proc/PID/stat without a command name")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let tick = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("/proc/{pid}/stat: no field {}", i + 3))
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let kib = |key: &str| -> Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("/proc/{pid}/status has no {key}"))
    };
    Ok(Usage {
        ticks: tick(11)? + tick(12)?,
        rss_kib: kib("VmRSS:")?,
        hwm_kib: kib("VmHWM:")?,
    })
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if n > 0 { n as f64 } else { 100.0 }
}

/// The agent's JSON textfile, once written.
fn report(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn audit_number(doc: &Value) -> u64 {
    doc["run"]["agent"]["audit"].as_u64().unwrap_or(0)
}

/// Waits for the agent's report to satisfy `done`.
fn wait_report(path: &Path, within: Duration, done: impl Fn(&Value) -> bool) -> Result<Value> {
    let end = Instant::now() + within;
    loop {
        if let Some(doc) = report(path)
            && done(&doc)
        {
            return Ok(doc);
        }
        if Instant::now() >= end {
            return Err(format!(
                "{}: not as expected within {within:?}",
                path.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// An audit whose findings all pass, with no note and nothing abandoned.
fn all_pass(doc: &Value, what: &str) -> Result<u64> {
    let findings = doc["findings"].as_array().map_or(0, Vec::len) as u64;
    let passing = doc["counts"]["pass"].as_u64().unwrap_or(0);
    let clean = doc["notes"].as_array().is_some_and(Vec::is_empty)
        && doc["run"]["deadline_exceeded"] == false;
    if findings == 0 || passing != findings || !clean {
        return Err(format!(
            "{what}: not every finding passes ({passing} of {findings}), notes {}",
            doc["notes"]
        ));
    }
    Ok(findings)
}

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The `hostlint` cargo built for this bench (the release profile), in the
/// crate's directory so that the policy path holds.
fn hostlint() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hostlint"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// Changes the MTU of `hltst1` (to 1400, or back to 1500): a link event
/// that no check of the policy fails on. A value it already has would
/// send no event, so the new one is read against the old.
fn toggle_mtu() -> Result<()> {
    let path = "/sys/class/net/hltst1/mtu";
    let now: u32 = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| format!("{path}: no MTU"))?;
    let next = if now == 1400 { 1500 } else { 1400 };
    let status = Command::new("ip")
        .args(["link", "set", "hltst1", "mtu", &next.to_string()])
        .status()
        .map_err(|e| format!("ip link set: {e}"))?;
    if !status.success() {
        return Err(format!("ip link set hltst1 mtu {next}: {status}"));
    }
    Ok(())
}

fn runner(args: &[String]) -> Result<ExitCode> {
    let idle_secs: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .ok_or("runner IDLE EVENTS WORK")?;
    let events: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .ok_or("runner IDLE EVENTS WORK")?;
    let work = PathBuf::from(args.get(2).ok_or("runner IDLE EVENTS WORK")?);
    let textfile = work.join("agent.json");
    let _ = std::fs::remove_file(&textfile);
    let lines = std::fs::File::create(work.join("agent.lines"))
        .map_err(|e| format!("{}: {e}", work.join("agent.lines").display()))?;
    let mut agent_cmd = hostlint();
    agent_cmd
        .args(["watch", "-p", POLICY, "--format", "json", "--output"])
        .arg(&textfile)
        .stdout(lines);
    let mut agent = Agent(
        agent_cmd
            .spawn()
            .map_err(|e| format!("hostlint watch: {e}"))?,
    );
    let pid = agent.0.id();

    // 1. The first audit, every finding passing, then quiet.
    let first = wait_report(&textfile, Duration::from_secs(30), |d| audit_number(d) >= 1)?;
    let findings = all_pass(&first, "the agent's first audit")?;
    let mut last = audit_number(&first);
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(50));
        let n = report(&textfile).map_or(last, |d| audit_number(&d));
        if n != last {
            (last, since) = (n, Instant::now());
        }
    }

    // 2. Idle.
    let before = usage(pid)?;
    let idle_doc_before = report(&textfile).ok_or("no report")?;
    std::thread::sleep(Duration::from_secs(idle_secs));
    let after = usage(pid)?;
    let idle_doc_after = report(&textfile).ok_or("no report")?;
    let tick = 1.0 / clock_ticks_per_second();
    let idle_ticks = after.ticks - before.ticks;
    let idle_audits = audit_number(&idle_doc_after) - audit_number(&idle_doc_before);
    let events_in = |d: &Value| -> u64 {
        d["run"]["agent"]["events"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
    };
    let idle_events = events_in(&idle_doc_after) - events_in(&idle_doc_before);

    // 3. Re-audits, each followed by one `hostlint audit` process.
    let prom = work.join("audit.prom");
    let mut audit_cmd = hostlint();
    audit_cmd
        .args(["audit", "-p", POLICY, "--format", "prometheus", "--output"])
        .arg(&prom);
    // One warm-up, as the agent had its first audit.
    measure(&mut audit_cmd, false)?;
    let start = usage(pid)?;
    let mut agent_audit_s = Vec::new();
    let mut process: Vec<Sample> = Vec::new();
    let mut n = audit_number(&report(&textfile).ok_or("no report")?);
    let first_reaudit = n + 1;
    for _ in 0..events {
        let started = Instant::now();
        toggle_mtu()?;
        let doc = wait_report(&textfile, Duration::from_secs(10), |d| audit_number(d) > n)?;
        n = audit_number(&doc);
        all_pass(&doc, "a re-audit")?;
        agent_audit_s.push(doc["run"]["duration_seconds"].as_f64().unwrap_or(0.0));
        let (sample, _) = measure(&mut audit_cmd, false)?;
        process.push(sample);
        let left = (MIN_INTERVAL + Duration::from_millis(100)).saturating_sub(started.elapsed());
        std::thread::sleep(left);
    }
    let end = usage(pid)?;
    let reaudits = n + 1 - first_reaudit;
    if reaudits < events as u64 {
        return Err(format!("{events} events, {reaudits} re-audits"));
    }
    let agent_cpu_per_audit = (end.ticks - start.ticks) as f64 * tick / reaudits as f64;
    let process_prom = std::fs::read_to_string(&prom).map_err(|e| format!("{e}"))?;
    if !process_prom.contains("hostlint_audit_status 0") {
        return Err("the audit process did not pass".into());
    }

    // 4. SIGTERM.
    let asked = Instant::now();
    // SAFETY: kill on our own unreaped child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let status = agent.0.wait().map_err(|e| format!("wait: {e}"))?;
    let stop_s = asked.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("the agent exited {status} on SIGTERM"));
    }

    let cpu = |s: &Sample| (s.user + s.sys).as_secs_f64();
    let result = json!({
        "findings": findings,
        "idle": {
            "seconds": idle_secs,
            "cpu_ticks": idle_ticks,
            "tick_s": tick,
            "cpu_s": idle_ticks as f64 * tick,
            "cpu_s_per_hour": idle_ticks as f64 * tick * 3600.0 / idle_secs as f64,
            "resolution_s_per_hour": tick * 3600.0 / idle_secs as f64,
            "audits": idle_audits,
            "events": idle_events,
            "rss_kib_before": before.rss_kib,
            "rss_kib_after": after.rss_kib,
            "hwm_kib": after.hwm_kib,
        },
        "reaudit": {
            "events": events,
            "audits": reaudits,
            "agent_cpu_s_per_audit": agent_cpu_per_audit,
            "agent_ticks": end.ticks - start.ticks,
            "agent_audit_s_median": median(agent_audit_s.clone()),
            "agent_rss_kib": end.rss_kib,
            "agent_hwm_kib": end.hwm_kib,
            "process_wall_s_median": median(process.iter().map(|s| s.wall.as_secs_f64()).collect()),
            "process_cpu_s_median": median(process.iter().map(cpu).collect()),
            "process_maxrss_kib": process.iter().map(|s| s.maxrss_bytes).max().unwrap_or(0) / 1024,
        },
        "stop_s": stop_s,
    });
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

// --------------------------------------------------------------- driver ---

fn driver(args: &[String]) -> Result<ExitCode> {
    let mut idle = DEFAULT_IDLE;
    let mut events = DEFAULT_EVENTS;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bench" => {}
            "--idle" => {
                idle = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v| *v > 0)
                    .ok_or("--idle needs a number of seconds")?;
            }
            "--events" => {
                events = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v| *v > 0)
                    .ok_or("--events needs a positive number")?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (--idle SECONDS, --events N)"
                ));
            }
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("run as root: the agent watches the namespace hlbench-typical".into());
    }
    if !Path::new("/run/netns").join(NAMESPACE).exists() {
        return Err(format!(
            "no namespace {NAMESPACE}: run `benches/netns.sh up typical` first"
        ));
    }
    let work = target_dir().join("bench-watch");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    eprintln!(
        "bench watch: idle for {idle} s, then {events} re-audits (about {} s)",
        events as u64 * 12 / 10
    );
    let load_before = loadavg();
    let out = Command::new("ip")
        .args(["netns", "exec", NAMESPACE])
        .arg(&exe)
        .args(["runner", &idle.to_string(), &events.to_string()])
        .arg(&work)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("ip netns exec: {e}"))?;
    if !out.status.success() {
        return Err(format!("the runner failed: {}", out.status));
    }
    let r: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("runner output: {e}"))?;
    let load_after = loadavg();

    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let idle_r = &r["idle"];
    let re = &r["reaudit"];
    let per_audit = f(&re["agent_cpu_s_per_audit"]);
    let interval_audits = 3600.0 / MAX_INTERVAL.as_secs_f64();
    let measured_hour = f(&idle_r["cpu_s_per_hour"]);
    let computed_hour = interval_audits * per_audit;
    let process_cpu = f(&re["process_cpu_s_median"]);
    let timer_hour = 60.0 * process_cpu;
    println!(
        "hostlint watch on {NAMESPACE} ({} findings, all passing), {}; load {load_before} -> {load_after}",
        r["findings"],
        utc_now()
    );
    println!();
    println!("| figure | agent | one `hostlint audit` | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| CPU per hour on a quiet host, measured: {} s ({} audits, {} events), scaled | {measured_hour:.3} s/h ({} ticks; one tick is {:.3} s/h) | a timer every minute: 60 x {:.2} ms = {timer_hour:.3} s/h | {:.3}x |",
        idle_r["seconds"],
        idle_r["audits"],
        idle_r["events"],
        idle_r["cpu_ticks"],
        f(&idle_r["resolution_s_per_hour"]),
        process_cpu * 1e3,
        measured_hour / timer_hour,
    );
    println!(
        "| CPU per hour on a quiet host, computed: {interval_audits} audits of --max-interval 5m x the CPU per re-audit | {computed_hour:.3} s/h | {timer_hour:.3} s/h | {:.3}x |",
        computed_hour / timer_hour,
    );
    println!(
        "| CPU per re-audit | {:.2} ms ({} ticks over {} audits) | {:.2} ms | {:.2}x |",
        per_audit * 1e3,
        re["agent_ticks"],
        re["audits"],
        process_cpu * 1e3,
        per_audit / process_cpu,
    );
    println!(
        "| time per re-audit (median) | {:.2} ms (the audit itself) | {:.2} ms (spawn to exit) | {:.2}x |",
        f(&re["agent_audit_s_median"]) * 1e3,
        f(&re["process_wall_s_median"]) * 1e3,
        f(&re["agent_audit_s_median"]) / f(&re["process_wall_s_median"]),
    );
    println!(
        "| memory | RSS {:.1} MiB idle ({:.1} MiB before), peak {:.1} MiB | peak RSS {:.1} MiB | {:.2}x |",
        f(&idle_r["rss_kib_after"]) / KIB,
        f(&idle_r["rss_kib_before"]) / KIB,
        f(&re["agent_hwm_kib"]) / KIB,
        f(&re["process_maxrss_kib"]) / KIB,
        f(&re["agent_hwm_kib"]) / f(&re["process_maxrss_kib"]),
    );
    println!(
        "| SIGTERM to exit | {:.1} ms | — | — |",
        f(&r["stop_s"]) * 1e3
    );
    let saved = json!({
        "date": utc_now(),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "load_before": load_before,
        "load_after": load_after,
        "result": r,
    });
    let path = target_dir().join("bench-watch.json");
    std::fs::write(&path, format!("{saved:#}\n"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\nresults: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
