//! SIGHUP, SIGTERM and SIGINT as readable events (a `signalfd`), so the
//! agent's one wait covers them with its sockets and timers: no handler
//! runs in the middle of an audit, and none is lost while one runs.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP: reload the policies.
    Reload,
    /// SIGTERM or SIGINT: stop.
    Stop,
}

pub struct Signals {
    fd: OwnedFd,
}

impl Signals {
    /// Blocks the three signals for this thread, and so for every thread
    /// it starts afterwards (call it before starting any), and opens the
    /// descriptor that delivers them instead.
    pub fn take() -> io::Result<Signals> {
        // SAFETY: a sigset_t is plain data, initialised by sigemptyset
        // before use; the calls are given valid pointers to it.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in [libc::SIGHUP, libc::SIGTERM, libc::SIGINT] {
                libc::sigaddset(&mut set, s);
            }
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(Signals {
                fd: OwnedFd::from_raw_fd(fd),
            })
        }
    }

    pub fn descriptor(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The signals that arrived since the last call.
    pub fn read(&self) -> io::Result<Vec<Signal>> {
        let mut out = Vec::new();
        loop {
            // SAFETY: signalfd_siginfo is plain data; read fills at most
            // its size.
            let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
            let size = std::mem::size_of::<libc::signalfd_siginfo>();
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    (&mut info as *mut libc::signalfd_siginfo).cast(),
                    size,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(out),
                    io::ErrorKind::Interrupted => continue,
                    _ => Err(e),
                };
            }
            if n as usize != size {
                return Ok(out);
            }
            match info.ssi_signo as i32 {
                libc::SIGHUP => out.push(Signal::Reload),
                libc::SIGTERM | libc::SIGINT => out.push(Signal::Stop),
                _ => {}
            }
        }
    }
}
