//! LLDP neighbours from the host's running `lldpd`, asked through
//! `lldpcli -u SOCKET -f json show neighbors details`, and the parser of
//! that JSON, which a fixture keeps as lldpcli printed it.
//!
//! lldpcli only reads from lldpd here: `show` asks the daemon over its
//! control socket and changes nothing. It runs as a child process bounded
//! in time (killed and reaped when it does not answer) and in output.
//!
//! Before starting it, the control socket is probed with a non-blocking
//! `connect`: a socket that does not exist or refuses connections means
//! lldpd is not running, which is not "no neighbour" and must never read as
//! one. lldpcli's own error text cannot tell these apart (it drops its
//! privileges before connecting, so every failure can read "Permission
//! denied").
//!
//! lldpcli's JSON changes shape with the data: a list of one becomes the
//! element itself, an object holding only `value` becomes that string, and
//! an object with a `name` becomes `{NAME: rest}` (`-f json0` keeps lists
//! and `name` keys). The parser accepts every one of these shapes.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::limits::MAX_LLDP_OUTPUT_BYTES;
use crate::snapshot::{Fact, LldpId, LldpNeighbor, LldpVlan, Missing, Reason, io_text};

/// Where Debian's and upstream's lldpd listen by default.
pub const DEFAULT_SOCKET: &str = "/run/lldpd.socket";

/// lldpcli's arguments after `-u SOCKET`.
pub const ARGS: &[&str] = &["-f", "json", "show", "neighbors", "details"];

/// The longest lldpcli may take when the run has no deadline of its own,
/// and at most under one: it answers from lldpd's memory in milliseconds.
pub const LIMIT: Duration = Duration::from_secs(5);

/// More output than this is not a neighbour table.
pub const MAX_OUTPUT: u64 = MAX_LLDP_OUTPUT_BYTES;

const MAX_STDERR: u64 = 64 * 1024;

/// How long the rest of lldpcli's output may take once it has exited.
const GRACE: Duration = Duration::from_millis(200);

/// Where lldpcli is looked for besides `PATH`: a timer or cron job often
/// runs without the sbin directories in it.
const SBIN_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/local/sbin"];

/// How to reach lldpd: its control socket, and lldpcli (found on `PATH`
/// and in the sbin directories unless given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LldpConfig {
    pub socket: PathBuf,
    pub lldpcli: Option<PathBuf>,
}

impl Default for LldpConfig {
    fn default() -> LldpConfig {
        LldpConfig {
            socket: PathBuf::from(DEFAULT_SOCKET),
            lldpcli: None,
        }
    }
}

impl LldpConfig {
    /// The command line, for evidence.
    pub fn command(&self) -> String {
        format!("lldpcli -u {} {}", self.socket.display(), ARGS.join(" "))
    }
}

/// Why lldpd could not be asked, and the errno a capture records so that
/// the fixture replays the same reason (`None`: nothing to record, the
/// fixture then reads as not captured).
#[derive(Debug)]
pub struct Failure {
    pub missing: Missing,
    pub errno: Option<i32>,
}

/// The reason an errno about lldpd stands for, worded the same live and
/// when a fixture replays it, so that both give the same snapshot.
pub fn missing_for(err: &io::Error) -> Missing {
    match err.raw_os_error() {
        _ if err.kind() == io::ErrorKind::NotFound => Missing::new(
            Reason::NotRunning,
            "lldpd is not running: its control socket does not exist",
        ),
        Some(libc::ECONNREFUSED) => Missing::new(
            Reason::NotRunning,
            "lldpd is not running: its control socket refuses connections",
        ),
        Some(libc::EACCES) | Some(libc::EPERM) => Missing::new(
            Reason::Permission,
            "lldpd's control socket answers only to root and its group (_lldpd)",
        ),
        Some(libc::ETIMEDOUT) => Missing::new(Reason::Timeout, "lldpcli did not answer in time"),
        _ => Missing::new(Reason::from_io(err), format!("lldpcli: {}", io_text(err))),
    }
}

fn failure(err: io::Error) -> Failure {
    Failure {
        missing: missing_for(&err),
        errno: err.raw_os_error(),
    }
}

/// Asks lldpd for its neighbours, waiting at most `limit`.
pub fn query(config: &LldpConfig, limit: Duration) -> Result<String, Failure> {
    probe(&config.socket).map_err(failure)?;
    let program = match &config.lldpcli {
        Some(p) => p.clone(),
        None => find_lldpcli().ok_or_else(|| Failure {
            missing: Missing::new(
                Reason::Failed,
                "lldpd's socket is there but lldpcli is not on PATH or in /usr/sbin (Debian package lldpd)",
            ),
            errno: None,
        })?,
    };
    let mut child = Command::new(&program)
        .arg("-u")
        .arg(&config.socket)
        .args(ARGS)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C")
        .spawn()
        .map_err(|e| Failure {
            missing: Missing::new(
                Reason::Failed,
                format!("{}: {}", program.display(), io_text(&e)),
            ),
            errno: None,
        })?;
    let stdout = child.stdout.take().map(|s| read_up_to(s, MAX_OUTPUT + 1));
    let stderr = child.stderr.take().map(|s| read_up_to(s, MAX_STDERR));
    let end = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= end => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(e);
            }
        }
    };
    let status = status.map_err(failure)?;
    // The pipes close with lldpcli, unless something it started holds
    // them: then its output never ends, which is a timeout too.
    let wait = end.saturating_duration_since(Instant::now()).max(GRACE);
    let out = match stdout.map(|rx| rx.recv_timeout(wait)) {
        Some(Ok(out)) => out,
        _ => return Err(failure(io::Error::from_raw_os_error(libc::ETIMEDOUT))),
    };
    let err = stderr
        .and_then(|rx| rx.recv_timeout(GRACE).ok())
        .unwrap_or_default();
    if out.len() as u64 > MAX_OUTPUT {
        return Err(Failure {
            missing: Missing::new(
                Reason::Malformed,
                format!("lldpcli printed more than {MAX_OUTPUT} bytes"),
            ),
            errno: Some(libc::EFBIG),
        });
    }
    if !status.success() {
        let said = String::from_utf8_lossy(&err);
        let said = said.lines().last().unwrap_or("").trim();
        return Err(Failure {
            missing: Missing::new(Reason::Failed, format!("lldpcli failed ({status}): {said}")),
            errno: Some(libc::EIO),
        });
    }
    String::from_utf8(out).map_err(|_| Failure {
        missing: Missing::new(Reason::Malformed, "lldpcli printed text that is not UTF-8"),
        errno: Some(libc::EILSEQ),
    })
}

/// Reads a pipe to its end (or `limit`) on a thread of its own, which a
/// caller that stops waiting leaves behind.
fn read_up_to(stream: impl Read + Send + 'static, limit: u64) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::sync_channel(1);
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stream.take(limit).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

fn find_lldpcli() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join("lldpcli"))
        .find(|p| p.is_file())
}

/// Connects to the control socket without waiting and hangs up: whether
/// lldpd is there to answer. A full backlog (lldpd busy) is left for
/// lldpcli to wait out under its limit.
fn probe(socket: &Path) -> io::Result<()> {
    let bytes = socket.as_os_str().as_encoded_bytes();
    // SAFETY: sockaddr_un is plain data; all zeros is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: plain socket(2) call; the descriptor is closed below.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `addr` is a valid sockaddr_un of the length given.
    let rc = unsafe {
        libc::connect(
            fd,
            (&addr as *const libc::sockaddr_un).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    };
    let err = io::Error::last_os_error();
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    if rc == 0 {
        return Ok(());
    }
    match err.raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EINPROGRESS) => Ok(()),
        _ => Err(err),
    }
}

/// What a document that is not a neighbour table is not.
const NOT_NEIGHBOURS: &str = "not what `lldpcli -f json show neighbors` prints";

/// Parses `lldpcli -f json show neighbors details` (or `-f json0`), read
/// from `origin` (a fixture's file, or lldpcli's output), which every
/// reason names.
///
/// The document must have the shape every lldpcli has printed (the
/// built-in JSON writer from 0.9.7 on, jansson's and json-c's before):
/// `{"lldp": {}}`, or `{"lldp": [{}]}` for json0 (and for json when lldpd
/// was built with `--enable-json0`), when no neighbour is heard; else
/// `lldp` holds `interface`, one entry per neighbour, each with the `via`
/// lldpcli always writes. Anything else (`{"lldp": null}`, `[]`, another
/// key, `show interfaces`' output) is an error, never "no neighbour".
///
/// Inside a neighbour, a TLV that cannot be read (a VLAN id 0, an
/// aggregation id that is no number) is unknown on its own, and a chassis
/// or port id that cannot be read leaves that neighbour's far end unknown:
/// the rest of the table stands.
pub fn parse_neighbors(text: &str, origin: &str) -> Result<Vec<LldpNeighbor>, String> {
    table(text, origin).map_err(|e| format!("{origin}: {e}"))
}

fn table(text: &str, origin: &str) -> Result<Vec<LldpNeighbor>, String> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| format!("line {} column {}: {e}", e.line(), e.column()))?;
    let root = doc.as_object().ok_or_else(|| {
        format!(
            "the document is {}, not an object: {NOT_NEIGHBOURS}",
            kind(&doc)
        )
    })?;
    let lldp = root
        .get("lldp")
        .ok_or_else(|| format!("no `lldp` object: {NOT_NEIGHBOURS}"))?;
    if let Some(key) = root.keys().find(|k| *k != "lldp") {
        return Err(format!("`{key}` beside `lldp`: {NOT_NEIGHBOURS}"));
    }
    let section = match lldp {
        Value::Object(m) => m,
        Value::Array(list) => match list.as_slice() {
            [Value::Object(m)] => m,
            _ => {
                return Err(format!(
                    "`lldp` is a list of {} (json0 prints one object): {NOT_NEIGHBOURS}",
                    list.len()
                ));
            }
        },
        other => return Err(format!("`lldp` is {}: {NOT_NEIGHBOURS}", kind(other))),
    };
    if let Some(key) = section.keys().find(|k| *k != "interface") {
        return Err(format!(
            "`lldp` holds `{key}`, where lldpcli lists only `interface`: {NOT_NEIGHBOURS}"
        ));
    }
    let Some(ifaces) = section.get("interface") else {
        return Ok(Vec::new());
    };
    if !(ifaces.is_object() || ifaces.as_array().is_some_and(|a| !a.is_empty())) {
        return Err(format!(
            "`interface` is {}: lldpcli lists one neighbour as an object, several as a list",
            kind(ifaces)
        ));
    }
    let mut out = Vec::new();
    for (name, body) in entries(ifaces, INTERFACE_KEYS)? {
        let name = name.ok_or("an interface without a name")?;
        out.push(neighbor(name, body, origin)?);
    }
    Ok(out)
}

/// A JSON value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(a) if a.is_empty() => "an empty list",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

const INTERFACE_KEYS: &[&str] = &[
    "via",
    "rid",
    "age",
    "chassis",
    "port",
    "vlan",
    "ppvid",
    "pi",
    "lldp-med",
    "unknown-tlvs",
    "ttl",
];
const CHASSIS_KEYS: &[&str] = &["id", "descr", "mgmt-ip", "mgmt-iface", "capability"];
const PORT_KEYS: &[&str] = &[
    "id",
    "descr",
    "ttl",
    "mfs",
    "aggregation",
    "auto-negotiation",
    "power",
];

fn field<'a>(m: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a Value> {
    m.and_then(|m| m.get(key))
}

/// One neighbour. Only an entry that is no neighbour at all (no `via`:
/// `show interfaces` lists this host's own ports so) fails the table;
/// whatever else cannot be read is unknown in the neighbour, with why.
fn neighbor(iface: &str, body: &Map<String, Value>, origin: &str) -> Result<LldpNeighbor, String> {
    let via = body.get("via").and_then(text).ok_or_else(|| {
        format!("interface {iface}: no `via`: not a neighbour ({NOT_NEIGHBOURS})")
    })?;
    let odd = |what: String| {
        Missing::new(
            Reason::Malformed,
            format!("{origin}: interface {iface}: {what}"),
        )
    };
    let chassis = part(body, "chassis", CHASSIS_KEYS);
    let port = part(body, "port", PORT_KEYS);
    let system_name = chassis.as_ref().ok().and_then(|(name, m)| {
        name.map(str::to_owned)
            .or_else(|| m.get("name").and_then(text))
    });
    let chassis_id = chassis
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|(_, m)| id(m, "chassis"));
    let port_id = port
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|(_, m)| id(m, "port"));
    let (chassis, port) = (chassis.ok().map(|(_, m)| m), port.ok().map(|(_, m)| m));
    let ttl = field(port, "ttl")
        .or_else(|| body.get("ttl"))
        .map(|t| match t {
            Value::Object(m) if m.contains_key("ttl") => &m["ttl"],
            other => other,
        })
        .and_then(text);
    let ttl_seconds = match ttl {
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| odd(format!("ttl {t:?} is not a number of seconds")))
            .into(),
        None => Fact::Known(None),
    };
    let age_seconds = match body.get("age").and_then(text) {
        Some(a) => age(&a)
            .ok_or_else(|| odd(format!("age {a:?} is not `N days, HH:MM:SS`")))
            .into(),
        None => Fact::Known(None),
    };
    let aggregation_port_id = match field(port, "aggregation").and_then(text) {
        Some(a) => a
            .parse()
            .map(Some)
            .map_err(|_| odd(format!("aggregation port id {a:?} is not a number")))
            .into(),
        None => Fact::Known(None),
    };
    Ok(LldpNeighbor {
        iface: iface.to_owned(),
        via,
        chassis_id: chassis_id.map_err(odd).into(),
        system_name,
        system_description: field(chassis, "descr").and_then(text),
        management_addresses: field(chassis, "mgmt-ip").map(texts).unwrap_or_default(),
        port_id: port_id.map_err(odd).into(),
        port_description: field(port, "descr").and_then(text),
        ttl_seconds,
        age_seconds,
        vlans: vlans(body).map_err(odd).into(),
        aggregation_port_id,
    })
}

/// A neighbour's chassis or port: the one object lldpcli writes for it.
fn part<'a>(body: &'a Map<String, Value>, key: &str, known: &[&str]) -> Result<Named<'a>, String> {
    let v = body.get(key).ok_or_else(|| format!("no {key}"))?;
    let mut found = entries(v, known)
        .map_err(|e| format!("{key}: {e}"))?
        .into_iter();
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(format!("no {key}")),
        (Some(_), Some(_)) => Err(format!("more than one {key}")),
    }
}

/// The chassis or port id, which with the other tells the far end.
fn id(m: &Map<String, Value>, what: &str) -> Result<LldpId, String> {
    let v = m.get("id").ok_or_else(|| format!("no {what} id"))?;
    let id = lldp_id(v).ok_or_else(|| format!("{what} id {v}: expected a type and a value"))?;
    if id.value.is_empty() {
        return Err(format!("the {what} id is empty"));
    }
    Ok(id)
}

fn vlans(body: &Map<String, Value>) -> Result<Vec<LldpVlan>, String> {
    let mut out = Vec::new();
    for v in body.get("vlan").map(items).unwrap_or_default() {
        let id = v
            .get("vlan-id")
            .and_then(text)
            .ok_or("a VLAN without a vlan-id")?;
        let id = id
            .parse()
            .ok()
            .filter(|v| (1..=4094).contains(v))
            .ok_or_else(|| format!("vlan-id {id:?} is not a VLAN id (1 to 4094)"))?;
        out.push(LldpVlan {
            id,
            name: v.get("value").and_then(text).filter(|n| !n.is_empty()),
            pvid: v
                .get("pvid")
                .is_some_and(|p| text(p).as_deref() == Some("yes")),
        });
    }
    Ok(out)
}

/// The elements of a list, or the one element a list of one became.
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// An object of lldpcli's and its name, when it has one.
type Named<'a> = (Option<&'a str>, &'a Map<String, Value>);

/// Named objects in any of lldpcli's shapes: `[{"name": N, ...}]` (json0),
/// `[{N: {...}}]`, `{N: {...}}`, or an object without a name. An object
/// of one key is `{N: {...}}` when that key is not one the object itself
/// holds (`known`), or when what it holds has such keys: a chassis named
/// `id` is still told from a nameless chassis holding only its `id`.
fn entries<'a>(v: &'a Value, known: &[&str]) -> Result<Vec<Named<'a>>, String> {
    let mut out = Vec::new();
    for item in items(v) {
        let Value::Object(m) = item else {
            return Err(format!("expected an object, found {item}"));
        };
        if let Some(Value::String(name)) = m.get("name") {
            out.push((Some(name.as_str()), m));
            continue;
        }
        let mut only = m.iter();
        if let (Some((key, Value::Object(inner))), None) = (only.next(), only.next())
            && (!known.contains(&key.as_str()) || inner.keys().any(|k| known.contains(&k.as_str())))
        {
            out.push((Some(key.as_str()), inner));
            continue;
        }
        out.push((None, m));
    }
    Ok(out)
}

/// A single text value in any shape: `"x"`, `{"value": "x"}`,
/// `[{"value": "x"}]`. lldpcli turns the words yes/on and no/off into
/// booleans; they come back as `yes` and `no`.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(m) => m.get("value").and_then(text),
        Value::Array(a) => a.first().and_then(text),
        Value::Null => None,
    }
}

fn texts(v: &Value) -> Vec<String> {
    items(v).into_iter().filter_map(text).collect()
}

fn lldp_id(v: &Value) -> Option<LldpId> {
    let m = items(v).into_iter().next()?.as_object()?;
    Some(LldpId {
        kind: m.get("type").and_then(text).unwrap_or_default(),
        value: m.get("value").and_then(text)?,
    })
}

/// `0 day, 00:00:40`, `3 days, 01:02:03` as seconds; `Some(None)` when
/// lldpd's clock went back since it heard the neighbour (lldpcli prints
/// the negative age it then computes, `0 day, -1:-1:-40`): no age, which
/// is no reason to distrust the rest of the table.
fn age(text: &str) -> Option<Option<u64>> {
    let (days, clock) = text.split_once(',')?;
    let days: i64 = days.split_whitespace().next()?.parse().ok()?;
    let mut parts = clock.trim().split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || m.abs() > 59 || s.abs() > 59 || h.abs() > 23 {
        return None;
    }
    let seconds = days
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + s)?;
    Some(u64::try_from(seconds).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_PORTS: &str = include_str!("../../tests/data/lldpcli/two-ports.json");
    const TWO_PORTS_JSON0: &str = include_str!("../../tests/data/lldpcli/two-ports.json0");
    const ONE_PORT: &str = include_str!("../../tests/data/lldpcli/one-port-vlans-lag.json");
    const NONE: &str = include_str!("../../tests/data/lldpcli/none.json");
    const NONE_JSON0: &str = include_str!("../../tests/data/lldpcli/none.json0");

    #[test]
    fn a_real_two_port_output_names_both_far_ends() {
        let n = parse_neighbors(TWO_PORTS, "OUT").unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].iface, "i13xa0");
        assert_eq!(n[0].via, "LLDP");
        assert_eq!(n[0].system_name.as_deref(), Some("vm"));
        assert_eq!(n[0].system_description.as_deref(), Some("sw-b switch"));
        assert_eq!(
            n[0].chassis_id,
            Fact::Known(LldpId {
                kind: "mac".into(),
                value: "aa:11:8c:07:bd:44".into()
            })
        );
        assert_eq!(
            n[0].management_addresses,
            ["192.0.2.2", "fe80::a811:8cff:fe07:bd44"]
        );
        assert_eq!(n[0].port_description.as_deref(), Some("i13xb0"));
        assert_eq!(n[0].ttl_seconds, Fact::Known(Some(4)));
        assert_eq!(n[0].age_seconds, Fact::Known(Some(3)));
        // A Linux peer sends its MAC as the port id: the name is in the
        // description.
        assert_eq!(n[0].shown(), "vm i13xb0");
        assert_eq!(n[1].shown(), "vm i13xb1");
        assert_eq!(n[0].vlans, Fact::Known(vec![]));
        assert_eq!(n[0].aggregation_port_id, Fact::Known(None));
    }

    #[test]
    fn json0_reads_the_same_as_json() {
        // Printed five seconds apart.
        let ageless = |text| {
            let mut n = parse_neighbors(text, "OUT").unwrap();
            for x in &mut n {
                assert!(matches!(x.age_seconds, Fact::Known(Some(_))));
                x.age_seconds = Fact::Known(None);
            }
            n
        };
        assert_eq!(ageless(TWO_PORTS_JSON0), ageless(TWO_PORTS));
    }

    #[test]
    fn one_interface_one_value_shapes_and_the_vlan_and_lag_tlvs() {
        let n = parse_neighbors(ONE_PORT, "OUT").unwrap();
        assert_eq!(n.len(), 1);
        let n = &n[0];
        assert_eq!(n.iface, "enp65s0f0");
        assert_eq!(n.system_name.as_deref(), Some("sw-a.dc1.example.net"));
        assert_eq!(n.management_addresses, ["10.0.0.11"]);
        assert_eq!(n.shown(), "sw-a.dc1.example.net swp7");
        assert_eq!(
            n.age_seconds,
            Fact::Known(Some(12 * 86_400 + 3 * 3600 + 4 * 60 + 5))
        );
        assert_eq!(n.aggregation_port_id, Fact::Known(Some(1007)));
        assert_eq!(
            n.vlans.known().unwrap(),
            &[
                LldpVlan {
                    id: 100,
                    name: Some("clients".into()),
                    pvid: true
                },
                LldpVlan {
                    id: 200,
                    name: Some("storage".into()),
                    pvid: false
                },
                LldpVlan {
                    id: 300,
                    name: None,
                    pvid: false
                },
            ]
        );
    }

    #[test]
    fn only_the_shapes_lldpcli_prints_without_neighbours_mean_none() {
        // What lldpcli prints with no neighbour, in every JSON writer it
        // has had: the built-in one (1.0 and later, 0.9.7 on) with `-f json`
        // and `-f json0` (also `-f json` when built with --enable-json0),
        // and jansson's and json-c's before it (0.7 to 0.9.6).
        for real in [
            NONE,
            NONE_JSON0,
            "{\n  \"lldp\": {}\n}\n",
            "{ \"lldp\": { } }\n",
            "{\n  \"lldp\": [\n    {}\n  ]\n}\n",
        ] {
            assert_eq!(parse_neighbors(real, "OUT").unwrap(), [], "{real}");
        }
        // No lldpcli prints these: not "no neighbour" but malformed.
        for odd in [
            r#"{"lldp": null}"#,
            r#"{"lldp": []}"#,
            r#"{"lldp": [{}, {}]}"#,
            r#"{"lldp": [null]}"#,
            r#"{"lldp": {"interface": null}}"#,
            r#"{"lldp": {"interface": []}}"#,
            r#"{"lldp": {"interfaces": {"eth0": {"via": "LLDP"}}}}"#,
            r#"{"lldp": {}, "more": 1}"#,
            r#"[{"lldp": {}}]"#,
            r#"null"#,
            // `show interfaces`: this host's own ports, not neighbours.
            r#"{"lldp": {"interface": {"eth0": {"status": "RX and TX",
                "chassis": {"vm": {"id": {"type": "mac", "value": "02:00:00:00:00:01"}}},
                "port": {"id": {"type": "mac", "value": "02:00:00:00:00:01"}}}}}}"#,
        ] {
            let read = parse_neighbors(odd, "OUT");
            assert!(read.is_err(), "{odd} read as {read:?}");
        }
    }

    #[test]
    fn a_chassis_without_a_name_and_several_neighbours_on_one_port() {
        let text = r#"{"lldp": {"interface": [
            {"eth0": {"via": "LLDP", "chassis": {"id": {"type": "mac", "value": "00:00:00:00:00:02"}},
                      "port": {"id": {"type": "local", "value": "Gi1/0/7"}}}},
            {"eth0": {"via": "CDPv2", "chassis": {"id": {"id": {"type": "local", "value": "x"}, "descr": "named id"}},
                      "port": {"id": {"type": "ifname", "value": "Gi1/0/7"}, "descr": "GigabitEthernet1/0/7"}}}
        ]}}"#;
        let n = parse_neighbors(text, "OUT").unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].system_name, None);
        assert_eq!(n[0].shown(), "00:00:00:00:00:02 Gi1/0/7");
        // A chassis whose SysName is `id` is still a name.
        assert_eq!(n[1].system_name.as_deref(), Some("id"));
        assert_eq!(n[1].via, "CDPv2");
    }

    /// A neighbour as lldpcli prints one, `vlan` and `port` fields given.
    fn one(extra: &str, port: &str) -> String {
        format!(
            r#"{{"lldp": {{"interface": [
                {{"eth0": {{"via": "LLDP", "age": "0 day, 00:01:00",
                  "chassis": {{"sw-a": {{"id": {{"type": "mac", "value": "00:00:00:00:00:01"}}}}}},
                  "port": {{"id": {{"type": "ifname", "value": "swp7"}}{port}}}{extra}}}}},
                {{"eth1": {{"via": "LLDP",
                  "chassis": {{"sw-b": {{"id": {{"type": "mac", "value": "00:00:00:00:00:02"}}}}}},
                  "port": {{"id": {{"type": "ifname", "value": "swp7"}}, "aggregation": "12"}},
                  "vlan": {{"vlan-id": "100", "pvid": true}}}}}}
            ]}}}}"#
        )
    }

    #[test]
    fn an_odd_tlv_is_unknown_on_its_own_and_the_rest_is_kept() {
        fn malformed<T>(f: &Fact<T>) -> Option<(Reason, String)> {
            f.missing().map(|m| (m.reason, m.detail.clone()))
        }
        for (extra, port, field, says) in [
            (
                r#", "vlan": {"vlan-id": "0", "value": "x"}"#,
                "",
                "vlans",
                "vlan-id \"0\" is not a VLAN id (1 to 4094)",
            ),
            (
                r#", "vlan": [{"vlan-id": "10"}, {"vlan-id": "ten"}]"#,
                "",
                "vlans",
                "vlan-id \"ten\" is not a VLAN id (1 to 4094)",
            ),
            (
                r#", "vlan": {"pvid": true}"#,
                "",
                "vlans",
                "a VLAN without a vlan-id",
            ),
            (
                "",
                r#", "aggregation": "n/a""#,
                "aggregation",
                "aggregation port id \"n/a\" is not a number",
            ),
            (
                "",
                r#", "ttl": "forever""#,
                "ttl",
                "ttl \"forever\" is not a number of seconds",
            ),
            (
                r#", "age": "soon""#,
                "",
                "age",
                "age \"soon\" is not `N days, HH:MM:SS`",
            ),
        ] {
            let text = one(extra, port);
            let n = parse_neighbors(&text, "OUT").unwrap_or_else(|e| panic!("{text}: {e}"));
            let got = match field {
                "vlans" => malformed(&n[0].vlans),
                "aggregation" => malformed(&n[0].aggregation_port_id),
                "ttl" => malformed(&n[0].ttl_seconds),
                _ => malformed(&n[0].age_seconds),
            };
            assert_eq!(
                got,
                Some((Reason::Malformed, format!("OUT: interface eth0: {says}"))),
                "{text}"
            );
            // The far end is still told, and the other neighbour whole.
            assert_eq!(n[0].shown(), "sw-a swp7");
            assert!(n[0].identity().is_ok());
            assert_eq!(n[1].aggregation_port_id, Fact::Known(Some(12)));
            assert_eq!(n[1].vlans.known().map(Vec::len), Some(1));
        }
    }

    #[test]
    fn a_neighbour_whose_chassis_or_port_cannot_be_read_is_unknown_alone() {
        for (body, says) in [
            (
                r#""port": {"id": {"type": "ifname", "value": "swp7"}}"#,
                "no chassis",
            ),
            (
                r#""chassis": "sw-a", "port": {"id": {"type": "ifname", "value": "swp7"}}"#,
                "chassis: expected an object, found \"sw-a\"",
            ),
            (
                r#""chassis": {"sw-a": {"descr": "x"}}, "port": {"id": {"type": "ifname", "value": "swp7"}}"#,
                "no chassis id",
            ),
            (
                r#""chassis": {"sw-a": {"id": "garbled"}}, "port": {"id": {"type": "ifname", "value": "swp7"}}"#,
                "chassis id \"garbled\": expected a type and a value",
            ),
            (
                r#""chassis": {"sw-a": {"id": {"type": "mac", "value": ""}}}, "port": {"id": {"type": "ifname", "value": "swp7"}}"#,
                "the chassis id is empty",
            ),
            (
                r#""chassis": {"sw-a": {"id": {"type": "mac", "value": "00:00:00:00:00:01"}}}"#,
                "no port",
            ),
            (
                r#""chassis": {"sw-a": {"id": {"type": "mac", "value": "00:00:00:00:00:01"}}}, "port": {"descr": "swp7"}"#,
                "no port id",
            ),
            (
                r#""chassis": {"sw-a": {"id": {"type": "mac", "value": "00:00:00:00:00:01"}}}, "port": [{"id": {"type": "ifname", "value": "a"}}, {"id": {"type": "ifname", "value": "b"}}]"#,
                "more than one port",
            ),
        ] {
            let text = format!(
                r#"{{"lldp": {{"interface": [{{"eth0": {{"via": "LLDP", {body}}}}},
                    {{"eth1": {{"via": "LLDP", "chassis": {{"sw-b": {{"id": {{"type": "mac", "value": "00:00:00:00:00:02"}}}}}},
                              "port": {{"id": {{"type": "ifname", "value": "swp7"}}}}}}}}]}}}}"#
            );
            let n = parse_neighbors(&text, "OUT").unwrap_or_else(|e| panic!("{text}: {e}"));
            let m = n[0].identity().expect_err(&text);
            assert_eq!(m.reason, Reason::Malformed);
            assert_eq!(m.detail, format!("OUT: interface eth0: {says}"), "{text}");
            assert!(!n[0].same_far_end(&n[0]), "an unknown far end is no match");
            assert_eq!(n[1].shown(), "sw-b swp7");
        }
    }

    #[test]
    fn malformed_outputs_are_errors_that_say_where() {
        for (text, says) in [
            ("", "line 1 column 0"),
            ("{\"lldp\": ", "line 1"),
            ("{}", "no `lldp` object"),
            ("{\"lldp\": [3]}", "`lldp` is a list of 1"),
            ("{\"lldp\": null}", "`lldp` is null"),
            (
                r#"{"lldp": {"interface": {"eth0": {"age": "soon"}}}}"#,
                "interface eth0: no `via`: not a neighbour",
            ),
            (
                r#"{"lldp": {"interface": "eth0"}}"#,
                "`interface` is a string",
            ),
            (
                r#"{"lldp": {"interface": [3]}}"#,
                "expected an object, found 3",
            ),
            (
                r#"{"lldp": {"interface": []}}"#,
                "`interface` is an empty list",
            ),
        ] {
            let err = parse_neighbors(text, "OUT").unwrap_err();
            assert!(
                err.starts_with("OUT: ") && err.contains(says),
                "{text}: {err}"
            );
        }
        // Deep nesting is an error, not a stack overflow.
        let deep = format!("{{\"lldp\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_neighbors(&deep, "OUT").is_err());
    }

    #[test]
    fn ages_parse_as_lldpcli_prints_them() {
        assert_eq!(age("0 day, 00:00:40"), Some(Some(40)));
        assert_eq!(age("2 days, 01:02:03"), Some(Some(2 * 86_400 + 3723)));
        assert_eq!(age("too much"), None);
        assert_eq!(age("1 day, 00:61:00"), None);
    }

    #[test]
    fn a_negative_age_after_a_clock_step_is_no_age_not_a_malformed_table() {
        assert_eq!(age("0 day, 00:00:-5"), Some(None));
        assert_eq!(age("-1 day, -1:-1:-40"), Some(None));
        let text = r#"{"lldp": {"interface": {"eth0": {"via": "LLDP", "age": "0 day, -1:-1:-40",
            "chassis": {"sw-a": {"id": {"type": "mac", "value": "00:00:00:00:00:01"}}},
            "port": {"id": {"type": "ifname", "value": "swp7"}}}}}}"#;
        let n = parse_neighbors(text, "OUT").unwrap();
        assert_eq!(
            (n[0].shown().as_str(), &n[0].age_seconds),
            ("sw-a swp7", &Fact::Known(None))
        );
        // Too many days is malformed, not an overflow.
        let huge = format!("{} days, 00:00:00", i64::MAX);
        assert_eq!(age(&huge), None);
        assert_eq!(age(&format!("{} days, 00:00:00", u64::MAX)), None);
    }

    #[test]
    fn an_absent_or_refusing_socket_means_lldpd_is_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let config = LldpConfig {
            socket: dir.path().join("lldpd.socket"),
            lldpcli: Some(PathBuf::from("/nonexistent/lldpcli")),
        };
        let f = query(&config, LIMIT).unwrap_err();
        assert_eq!(f.missing.reason, Reason::NotRunning);
        assert_eq!(f.errno, Some(libc::ENOENT));
        // A socket bound but not listening: what a daemon that died leaves.
        let bound = bound_socket(&config.socket);
        let f = query(&config, LIMIT).unwrap_err();
        assert_eq!(f.missing.reason, Reason::NotRunning, "{:?}", f.missing);
        assert!(f.missing.detail.contains("refuses connections"));
        // SAFETY: our own descriptor, closed once.
        unsafe { libc::close(bound) };
    }

    fn bound_socket(path: &Path) -> i32 {
        // SAFETY: plain socket(2) and bind(2) on a sockaddr_un filled in
        // within its bounds.
        unsafe {
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            assert!(fd >= 0);
            let mut addr: libc::sockaddr_un = std::mem::zeroed();
            addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
            for (d, s) in addr
                .sun_path
                .iter_mut()
                .zip(path.as_os_str().as_encoded_bytes())
            {
                *d = *s as libc::c_char;
            }
            let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
            assert_eq!(
                libc::bind(fd, (&addr as *const libc::sockaddr_un).cast(), len),
                0
            );
            fd
        }
    }

    /// A fake lldpcli: a script run with the socket lldpd would have.
    fn fake(dir: &Path, body: &str) -> LldpConfig {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("lldpcli");
        std::fs::write(&script, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        LldpConfig {
            socket: dir.join("lldpd.socket"),
            lldpcli: Some(script),
        }
    }

    #[test]
    fn lldpcli_is_bounded_in_time_and_output_and_its_failures_named() {
        let dir = tempfile::tempdir().unwrap();
        let _listening =
            std::os::unix::net::UnixListener::bind(dir.path().join("lldpd.socket")).unwrap();

        let config = fake(dir.path(), "exec sleep 60");
        let started = Instant::now();
        let f = query(&config, Duration::from_millis(300)).unwrap_err();
        assert_eq!(f.missing.reason, Reason::Timeout);
        assert!(started.elapsed() < Duration::from_secs(5));

        let config = fake(dir.path(), "head -c 5000000 /dev/zero");
        let f = query(&config, LIMIT).unwrap_err();
        assert_eq!(f.missing.reason, Reason::Malformed);
        assert!(f.missing.detail.contains("more than"), "{}", f.missing);

        // Exited, but something it started still holds its output open.
        let config = fake(dir.path(), "sleep 2 &\necho '{\"lldp\": {}}'");
        let started = Instant::now();
        let f = query(&config, Duration::from_millis(300)).unwrap_err();
        assert_eq!(f.missing.reason, Reason::Timeout);
        assert!(started.elapsed() < Duration::from_secs(2));

        let config = fake(dir.path(), "echo 'cannot talk to lldpd' >&2; exit 1");
        let f = query(&config, LIMIT).unwrap_err();
        assert_eq!(f.missing.reason, Reason::Failed);
        assert!(
            f.missing.detail.contains("cannot talk to lldpd"),
            "{}",
            f.missing
        );

        // An lldpcli that cannot be started, and an errno a capture
        // replays, are worded for an operator: no Rust error number.
        let missing = LldpConfig {
            lldpcli: Some(dir.path().join("no-such-lldpcli")),
            ..fake(dir.path(), "true")
        };
        let f = query(&missing, LIMIT).unwrap_err();
        assert!(
            f.missing
                .detail
                .ends_with("no-such-lldpcli: No such file or directory"),
            "{}",
            f.missing
        );
        let replayed = missing_for(&io::Error::from_raw_os_error(libc::EIO));
        assert_eq!(replayed.detail, "lldpcli: Input/output error");

        // The arguments are lldpcli's, with the socket asked for.
        let config = fake(dir.path(), "echo \"$@\"");
        let out = query(&config, LIMIT).unwrap();
        assert_eq!(
            out.trim(),
            format!(
                "-u {} -f json show neighbors details",
                dir.path().join("lldpd.socket").display()
            )
        );
    }
}
