//! `--state FILE`: the counters of the previous run, so that a scheduled
//! audit can see change over time: carrier flaps, error counters growing,
//! the bytes a link carried against its speed.
//!
//! Time is the host's own uptime, which no clock adjustment moves; the boot
//! id tells a reboot (every counter back to zero) from a counter that went
//! back on its own (a driver reload, a wrap). The file is JSON, written
//! atomically; a missing, corrupt or foreign one is reported and rebuilt,
//! never fatal. One audit at a time holds the state file's lock.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::output::write_atomic;
use crate::snapshot::{Fact, History, Reason, Snapshot, io_text};
use crate::source::limits::MAX_STATE_BYTES;

pub const SCHEMA: &str = "hostlint.state/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub schema: String,
    pub boot_id: Option<String>,
    pub uptime_seconds: f64,
    /// `link/eth0/rx_crc_errors`, `bond/bond0/enp65s0f1/link_failures`,
    /// `sas/phy-2:2/invalid_dword_count`, `fc/host3/invalid_crc_count`,
    /// `md/md0/mismatch_cnt`, `ib/mlx5_0/1/symbol_error`, ...
    pub counters: BTreeMap<String, u64>,
}

/// The counters of a snapshot, by key.
pub fn counters_of(snap: &Snapshot) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    // A link whose name is not the kernel's own shares its key with any
    // other such link: its counters are not kept.
    let links = snap.links.known().into_iter().flatten();
    for l in links.filter(|l| l.iface.name_unreadable().is_none()) {
        let name = &l.iface.name;
        for (field, fact) in [
            ("carrier_changes", &l.iface.carrier_changes),
            ("carrier_up_count", &l.iface.carrier_up_count),
            ("carrier_down_count", &l.iface.carrier_down_count),
        ] {
            if let Fact::Known(v) = fact {
                out.insert(format!("link/{name}/{field}"), *v);
            }
        }
        if let Fact::Known(c) = &l.iface.counters
            && let Ok(serde_json::Value::Object(m)) = serde_json::to_value(c)
        {
            for (field, v) in m {
                if let Some(v) = v.as_u64() {
                    out.insert(format!("link/{name}/{field}"), v);
                }
            }
        }
    }
    for b in snap.bonds.known().into_iter().flatten() {
        for m in b.members.known().into_iter().flatten() {
            if let Fact::Known(v) = &m.link_failure_count {
                out.insert(format!("bond/{}/{}/link_failures", b.name, m.name), *v);
            }
        }
    }
    for p in snap.storage.sas_phys.known().into_iter().flatten() {
        for (field, fact) in p.error_counters() {
            if let Fact::Known(v) = fact {
                out.insert(sas_key(&p.name, field), *v);
            }
        }
    }
    for h in snap.storage.fc_hosts.known().into_iter().flatten() {
        for (field, fact) in h.statistics.known().into_iter().flatten() {
            if let Fact::Known(v) = fact {
                out.insert(fc_key(&h.name, field), *v);
            }
        }
    }
    for d in snap.infiniband.known().into_iter().flatten() {
        for p in d.ports.known().into_iter().flatten() {
            for (counter, fact) in p.counters.known().into_iter().flatten() {
                if let Fact::Known(v) = fact {
                    out.insert(ib_key(&d.port_name(p), counter), *v);
                }
            }
        }
    }
    for a in snap.storage.md.known().into_iter().flatten() {
        if let Fact::Known(v) = &a.mismatch_count {
            out.insert(md_key(&a.name), *v);
        }
    }
    out
}

pub fn md_key(array: &str) -> String {
    format!("md/{array}/mismatch_cnt")
}

pub fn sas_key(phy: &str, counter: &str) -> String {
    format!("sas/{phy}/{counter}")
}

pub fn fc_key(host: &str, statistic: &str) -> String {
    format!("fc/{host}/{statistic}")
}

/// `ib/mlx5_0/1/symbol_error`: a counter of an InfiniBand port, named as
/// `mlx5_0/1`.
pub fn ib_key(port: &str, counter: &str) -> String {
    format!("ib/{port}/{counter}")
}

pub fn link_key(link: &str, counter: &str) -> String {
    format!("link/{link}/{counter}")
}

pub fn bond_member_key(bond: &str, member: &str) -> String {
    format!("bond/{bond}/{member}/link_failures")
}

/// The state file as found.
#[derive(Debug, Clone, PartialEq)]
pub enum Previous {
    /// There is none yet: the first run.
    None,
    /// It could not be used; it will be rebuilt.
    Unusable(String),
    Found(State),
}

pub fn load(path: &Path) -> Previous {
    let read = crate::source::bounded::read_regular(path, MAX_STATE_BYTES, "a state file");
    let text = match read {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Previous::None,
        Err(e) => return Previous::Unusable(format!("{}: {}", path.display(), io_text(&e))),
    };
    match serde_json::from_slice::<State>(&text) {
        Ok(s) if s.schema == SCHEMA => Previous::Found(s),
        Ok(s) => Previous::Unusable(format!(
            "{}: schema {:?}, not {SCHEMA}",
            path.display(),
            s.schema
        )),
        Err(e) => Previous::Unusable(format!(
            "{}: line {} column {}: {}",
            path.display(),
            e.line(),
            e.column(),
            crate::source::json_message(&e)
        )),
    }
}

/// What the checks may know of the previous run.
pub fn history(previous: &Previous, snap: &Snapshot) -> Fact<History> {
    let state = match previous {
        Previous::None => {
            return Fact::unknown(
                Reason::NotCaptured,
                "no previous run: this run records the counters the next one compares with",
            );
        }
        Previous::Unusable(why) => {
            return Fact::unknown(
                Reason::Malformed,
                format!("the state file could not be used ({why}); it is rebuilt"),
            );
        }
        Previous::Found(s) => s,
    };
    let Fact::Known(uptime) = &snap.host.uptime_seconds else {
        return Fact::unknown(Reason::Failed, "uptime unknown: no time between the runs");
    };
    if let (Some(then), Fact::Known(now)) = (&state.boot_id, &snap.host.boot_id)
        && then != now
    {
        return Fact::unknown(
            Reason::Reset,
            "the host rebooted since the previous run: every counter started again",
        );
    }
    let elapsed = uptime - state.uptime_seconds;
    if elapsed < 0.0 {
        return Fact::unknown(
            Reason::Reset,
            "uptime went back: the host rebooted since the previous run",
        );
    }
    Fact::Known(History {
        elapsed_seconds: elapsed,
        previous: state.counters.clone(),
    })
}

/// The state this run leaves for the next.
pub fn of(snap: &Snapshot) -> Option<State> {
    let uptime = *snap.host.uptime_seconds.known()?;
    Some(State {
        schema: SCHEMA.to_owned(),
        boot_id: snap.host.boot_id.known().cloned(),
        uptime_seconds: uptime,
        counters: counters_of(snap),
    })
}

pub fn save(path: &Path, state: &State) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(state).map_err(io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// The lock that keeps a second audit from running on the same state
/// file. It is an advisory `flock`: the kernel releases it when the
/// process dies, so a crashed run leaves nothing that blocks the next.
pub struct Lock {
    _file: File,
    pub path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another audit holds it.
    Held(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held(p) => write!(f, "it holds the lock {}", p.display()),
            LockError::Io(p, e) if e.raw_os_error() == Some(libc::ELOOP) => write!(
                f,
                "{} is a symbolic link: hostlint locks only a file of its own (remove the link)",
                p.display()
            ),
            LockError::Io(p, e) => write!(f, "cannot lock {}: {}", p.display(), io_text(e)),
        }
    }
}

/// The lock file, read-only, never through a symbolic link. Creating it
/// takes write access to the directory (`O_EXCL`, which follows no link
/// either); one that exists needs only read access to itself. Two runs
/// creating it at once: the second opens the first's. It is made readable
/// by everyone whatever the umask (it holds nothing): root's run from a
/// shell with umask 077 must not lock the service user out for good.
fn open_lock_file(path: &Path) -> io::Result<File> {
    let flags = libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let existing = || {
        OpenOptions::new()
            .read(true)
            .custom_flags(flags | libc::O_NONBLOCK)
            .open(path)
    };
    match existing() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(flags)
            .open(path)
        {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => existing(),
            Err(e) => Err(e),
            Ok(created) => {
                created.set_permissions(std::fs::Permissions::from_mode(0o644))?;
                Ok(created)
            }
        },
        opened => opened,
    }
}

/// Takes the lock of `state` without waiting: a scheduled run that finds
/// the previous one still running must not queue behind it. The lock file
/// is only read (`flock` needs no more), so one that root created does not
/// lock out the service user; a symbolic link planted in its place must
/// not make root create or open a file elsewhere, and a FIFO or a device
/// there is refused without blocking on it.
pub fn lock(state: &Path) -> Result<Lock, LockError> {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let io_err = |e| LockError::Io(path.clone(), e);
    let file = open_lock_file(&path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    // SAFETY: flock on a descriptor this function owns.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            LockError::Held(path)
        } else {
            LockError::Io(path, e)
        });
    }
    Ok(Lock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increases_and_resets() {
        let h = History {
            elapsed_seconds: 60.0,
            previous: [("link/eth0/rx_crc_errors".to_owned(), 5)]
                .into_iter()
                .collect(),
        };
        assert_eq!(h.increase("link/eth0/rx_crc_errors", 9).unwrap(), 4);
        assert_eq!(
            h.increase("link/eth0/rx_crc_errors", 2).unwrap_err().reason,
            Reason::Reset
        );
        assert_eq!(
            h.increase("link/eth1/rx_crc_errors", 2).unwrap_err().reason,
            Reason::NotCaptured
        );
    }

    #[test]
    fn a_corrupt_or_foreign_state_is_unusable_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        assert_eq!(load(&p), Previous::None);
        std::fs::write(&p, "{\"schema\": \"hostlint.state/1\", \"boot_id\": nul").unwrap();
        assert!(matches!(load(&p), Previous::Unusable(_)));
        std::fs::write(&p, "{\"something\": \"else\"}").unwrap();
        assert!(matches!(load(&p), Previous::Unusable(_)));
        std::fs::write(&p, "{\"schema\": \"hostlint.state/9\", \"boot_id\": null, \"uptime_seconds\": 1, \"counters\": {}}").unwrap();
        assert!(matches!(load(&p), Previous::Unusable(m) if m.contains("hostlint.state/9")));
    }

    #[test]
    fn one_lock_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let first = lock(&state).unwrap();
        assert!(matches!(lock(&state), Err(LockError::Held(_))));
        drop(first);
        assert!(lock(&state).is_ok());
    }
}
