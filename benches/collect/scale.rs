//! What the scale cases of `benches/collect.rs` work on, besides the
//! namespaces: the 10,000 destinations resolved against the million
//! routes (the same for hostlint and for `ip -batch`), and two hosts too
//! big to build on this kernel, generated as captures: 100,000 links, and
//! 100,000 mounts.
//!
//! Generated at bench time from `fixtures/lb-healthy` and
//! `fixtures/san-healthy` rather than committed: tens of megabytes no one
//! would review. Each is written as it is generated, never held whole, so
//! that the benchmark driver stays small (its memory would be the floor of
//! every contender's peak RSS).

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Instant;

use hostlint::collect::resolve::Flow;
use hostlint::collect::{self, Scope};
use hostlint::snapshot::Prefix;
use hostlint::source::Source;
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, String>;

fn at<T>(path: &Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|e| format!("{}: {e}", path.display()))
}

/// The destinations resolved: 10,000 of the namespace's million /32 routes
/// (11.0.0.0 upwards), spread evenly over its four tables.
pub const DESTINATIONS: u32 = 10_000;
/// The routes of `benches/netns.sh`: 11.0.0.0 upwards, a quarter a table.
const NS_ROUTES: u32 = 1_000_000;

pub fn destination(i: u32) -> Ipv4Addr {
    Ipv4Addr::from((11u32 << 24) + i * (NS_ROUTES / DESTINATIONS))
}

/// `ip -batch` input asking the kernel for each destination.
pub fn write_route_get_batch(path: &Path) -> Result<()> {
    let mut text = String::new();
    for i in 0..DESTINATIONS {
        let _ = writeln!(text, "route get {}", destination(i));
    }
    at(path, fs::write(path, text))
}

/// hostlint's side of the `resolve` case, in the benchmark's child: the
/// capture read as `hostlint audit --root` reads it, then every
/// destination resolved through its rules and tables. Only the resolution
/// is the figure; the load is reported beside it.
pub fn resolve_child(capture: &Path) -> Result<Value> {
    let started = Instant::now();
    let source = Source::fixture(capture).map_err(|e| e.to_string())?;
    let snap = collect::snapshot(&source, Scope::ROUTES);
    let routes = snap
        .routes
        .known()
        .ok_or_else(|| format!("routes not read: {:?}", snap.routes.missing()))?;
    let loaded = started.elapsed();
    let flows: Vec<Flow> = (0..DESTINATIONS)
        .map(|i| Flow {
            to: Prefix {
                addr: destination(i).into(),
                len: 32,
            },
            from: None,
            fwmark: None,
        })
        .collect();
    let resolving = Instant::now();
    let cpu = thread_cpu();
    let lookups = collect::table_lookups(&snap, &flows);
    let (user, sys) = (thread_cpu().0 - cpu.0, thread_cpu().1 - cpu.1);
    let resolved = resolving.elapsed();
    let mut by_table = std::collections::BTreeMap::new();
    for l in &lookups {
        let found = l
            .result
            .known()
            .filter(|r| r.hops.iter().any(|h| h.dev.as_deref() == Some("hlr0")))
            .and_then(|r| r.table.clone())
            .unwrap_or_else(|| "none".into());
        *by_table.entry(found).or_insert(0u32) += 1;
    }
    Ok(json!({
        "ipv4": routes.ipv4.len(),
        "destinations": lookups.len(),
        "by_table": by_table,
        "load_s": loaded.as_secs_f64(),
        "phase_s": resolved.as_secs_f64(),
        "phase_user_s": user,
        "phase_sys_s": sys,
    }))
}

/// This thread's user and system CPU time so far, in seconds.
fn thread_cpu() -> (f64, f64) {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_THREAD with a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(u.ru_utime), secs(u.ru_stime))
}

/// Copies a fixture, leaving out its expected results.
fn copy_fixture(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        at(to, fs::remove_dir_all(to))?;
    }
    let status = std::process::Command::new("cp")
        .args(["-a"])
        .arg(from)
        .arg(to)
        .status()
        .map_err(|e| format!("cp: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cp -a {} {}: {status}",
            from.display(),
            to.display()
        ));
    }
    at(to, fs::remove_dir_all(to.join("expected")))
}

pub const LINKS: u32 = 100_000;

/// lb-healthy with 100,000 veth links more in its `ip -j link` (pairs
/// `hlva<i>`/`hlvb<i>`, up, with counters), as a host with that many
/// would be captured; their sysfs and ethtool files are not there, so
/// those facts are not captured, as for any link a copy lacks.
pub fn write_links_host(base: &Path, dst: &Path) -> Result<()> {
    copy_fixture(base, dst)?;
    let path = dst.join("cmd/ip-link.json");
    let original: Vec<Value> =
        serde_json::from_str(&at(&path, fs::read_to_string(&path))?).map_err(|e| e.to_string())?;
    let file = at(&path, fs::File::create(&path))?;
    let mut w = BufWriter::new(file);
    let mut put = |v: &Value, first: bool| -> Result<()> {
        let sep = if first { "[" } else { ",\n" };
        at(&path, write!(w, "{sep}{v}"))
    };
    for (i, l) in original.iter().enumerate() {
        put(l, i == 0)?;
    }
    for i in 0..LINKS {
        let (name, peer) = if i % 2 == 0 {
            (format!("hlva{}", i / 2), format!("hlvb{}", i / 2))
        } else {
            (format!("hlvb{}", i / 2), format!("hlva{}", i / 2))
        };
        let link = json!({
            "ifindex": 100 + i,
            "link": peer,
            "ifname": name,
            "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
            "mtu": 1500,
            "operstate": "UP",
            "link_type": "ether",
            "address": format!("02:00:{:02x}:{:02x}:{:02x}:{:02x}", i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255),
            "linkinfo": { "info_kind": "veth" },
            "stats64": {
                "rx": { "bytes": 516, "packets": 6, "errors": 0, "dropped": 0, "over_errors": 0, "multicast": 0,
                        "length_errors": 0, "crc_errors": 0, "frame_errors": 0, "fifo_errors": 0, "missed_errors": 0 },
                "tx": { "bytes": 596, "packets": 6, "errors": 0, "dropped": 0, "carrier_errors": 0, "collisions": 0,
                        "aborted_errors": 0, "fifo_errors": 0, "window_errors": 0, "heartbeat_errors": 0, "carrier_changes": 2 }
            }
        });
        put(&link, false)?;
    }
    at(&path, writeln!(w, "]"))?;
    at(&path, w.flush())
}

pub const MOUNTS: u32 = 100_000;

/// san-healthy with 100,000 NFS mounts more in its `proc/mounts`.
pub fn write_mounts_host(base: &Path, dst: &Path) -> Result<()> {
    copy_fixture(base, dst)?;
    let path = dst.join("proc/mounts");
    let mut text = at(&path, fs::read_to_string(&path))?;
    for i in 0..MOUNTS {
        let _ = writeln!(
            text,
            "nfs01.example.net:/export/vol{i:06} /srv/vol{i:06} nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys 0 0"
        );
    }
    at(&path, fs::write(&path, text))
}
