//! systemd's readiness protocol (`sd_notify`): one datagram of
//! `KEY=VALUE` lines to the AF_UNIX socket named by `$NOTIFY_SOCKET`, a
//! path or, starting with `@`, a name in the abstract namespace. systemd
//! sets it for `Type=notify` units; without it the agent is not under
//! systemd and says nothing. `$WATCHDOG_USEC` (for this process, if
//! `$WATCHDOG_PID` says so) asks for `WATCHDOG=1` within that many
//! microseconds, again and again.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use crate::snapshot::io_text;

#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    to: SocketAddr,
    /// `$NOTIFY_SOCKET` as given, for errors.
    name: String,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET`: `None` when it is not set.
    pub fn from_env() -> Result<Option<Notifier>, String> {
        match std::env::var("NOTIFY_SOCKET") {
            Ok(name) if !name.is_empty() => Notifier::to(&name).map(Some),
            _ => Ok(None),
        }
    }

    /// A notifier to the socket `name` (a path, or `@name` for an abstract
    /// socket).
    pub fn to(name: &str) -> Result<Notifier, String> {
        let to = if let Some(abstract_name) = name.strip_prefix('@') {
            SocketAddr::from_abstract_name(abstract_name.as_bytes())
        } else if name.starts_with('/') {
            SocketAddr::from_pathname(name)
        } else {
            // systemd also hands out `vsock:` addresses, to virtual
            // machines; an agent on the host itself never gets one.
            return Err(format!(
                "NOTIFY_SOCKET={name:?}: neither a path nor an @abstract socket name"
            ));
        }
        .map_err(|e| format!("NOTIFY_SOCKET={name:?}: {}", io_text(&e)))?;
        let socket = UnixDatagram::unbound()
            .map_err(|e| format!("a socket for NOTIFY_SOCKET: {}", io_text(&e)))?;
        Ok(Notifier {
            socket,
            to,
            name: name.to_owned(),
        })
    }

    /// Sends `state` (`READY=1`, `WATCHDOG=1`, `STATUS=...`, newline
    /// separated).
    pub fn send(&self, state: &str) -> io::Result<()> {
        self.socket
            .send_to_addr(state.as_bytes(), &self.to)
            .map(|_| ())
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("NOTIFY_SOCKET={}: {}", self.name, io_text(&e)),
                )
            })
    }
}

/// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC` (as
/// `sd_watchdog_enabled` advises), when it is meant for this process.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec) / 2)
}

/// `CLOCK_MONOTONIC` in microseconds, which systemd wants with
/// `RELOADING=1` to tell this reload from an earlier one.
pub fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes a timespec into the pointer it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000 + (ts.tv_nsec as u64) / 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifies_a_path_and_an_abstract_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        Notifier::to(path.to_str().unwrap())
            .unwrap()
            .send("READY=1")
            .unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");

        let name = format!("hostlint-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        Notifier::to(&format!("@{name}"))
            .unwrap()
            .send("WATCHDOG=1")
            .unwrap();
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }

    #[test]
    fn an_address_it_cannot_use_is_an_error_not_a_panic() {
        assert!(
            Notifier::to("vsock:2:1234")
                .unwrap_err()
                .contains("vsock:2:1234")
        );
        // Nobody listening: the send fails and says where.
        let err = Notifier::to("/nonexistent/hostlint/notify")
            .unwrap()
            .send("READY=1")
            .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/hostlint/notify"),
            "{err}"
        );
    }
}
