//! The thread audits run on. The agent's loop keeps waiting on its sockets
//! and signals while an audit runs (up to `--deadline` on a host with a
//! hung mount): events are drained instead of overflowing the sockets,
//! the watchdog is fed, and SIGTERM is answered within a second. One audit
//! at a time; the thread holds the state file's lock for as long as the
//! agent runs.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::audit;
use crate::finding::{Audit, Cause, EventSummary, Refusal};
use crate::policy::Policy;
use crate::source::lldpcli::LldpConfig;
use crate::source::{Deadline, Source};
use crate::state::Lock;

use super::coalesce::Reason;

/// An audit to run: of the live host, or of a capture.
pub struct Request {
    pub capture: Option<PathBuf>,
    pub policies: Arc<Vec<Policy>>,
    pub reason: Reason,
    pub answered: EventSummary,
}

pub struct Finished {
    pub audit: Audit,
    pub reason: Reason,
    pub answered: EventSummary,
}

pub struct Worker {
    requests: Sender<Request>,
    finished: Receiver<Finished>,
    /// An eventfd the thread signals when an audit is done, so that the
    /// loop's wait wakes for it.
    wake: Arc<OwnedFd>,
    busy_since: Option<Instant>,
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a descriptor this process just opened and owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn eventfd_add(fd: &OwnedFd) {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from a live buffer to an eventfd.
    unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
}

fn eventfd_clear(fd: &OwnedFd) {
    let mut buf = [0u8; 8];
    // SAFETY: reads at most 8 bytes into a live buffer; a non-blocking
    // eventfd at zero answers EAGAIN, which is fine.
    unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
}

impl Worker {
    pub fn start(
        state: Option<PathBuf>,
        deadline: Duration,
        lldp: LldpConfig,
        lock: Option<Lock>,
    ) -> io::Result<Worker> {
        let (requests, incoming) = mpsc::channel::<Request>();
        let (done, finished) = mpsc::channel::<Finished>();
        let wake = Arc::new(eventfd()?);
        let signal = Arc::clone(&wake);
        let options = audit::Options {
            state,
            deadline: Some(deadline),
        };
        thread::Builder::new()
            .name("hostlint-audit".into())
            .spawn(move || {
                // However the thread ends (a panic included), the loop
                // wakes and finds the channel closed, rather than wait
                // for an audit that never comes.
                let _wake = WakeOnExit(Arc::clone(&signal));
                while let Ok(r) = incoming.recv() {
                    let audit = run(&r, &options, deadline, &lldp, lock.as_ref());
                    let sent = done.send(Finished {
                        audit,
                        reason: r.reason,
                        answered: r.answered,
                    });
                    if sent.is_err() {
                        return;
                    }
                    eventfd_add(&signal);
                }
            })?;
        Ok(Worker {
            requests,
            finished,
            wake,
            busy_since: None,
        })
    }

    pub fn submit(&mut self, request: Request) -> io::Result<()> {
        self.requests
            .send(request)
            .map_err(|_| io::Error::other("the audit thread has stopped"))?;
        self.busy_since = Some(Instant::now());
        Ok(())
    }

    pub fn descriptor(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// Since when the audit in flight has been running, if there is one.
    pub fn busy_since(&self) -> Option<Instant> {
        self.busy_since
    }

    /// The audit that finished, once the descriptor said so; an error if
    /// the thread is gone.
    pub fn collect(&mut self) -> io::Result<Option<Finished>> {
        eventfd_clear(&self.wake);
        match self.finished.try_recv() {
            Ok(done) => {
                self.busy_since = None;
                Ok(Some(done))
            }
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => {
                Err(io::Error::other("the audit thread stopped"))
            }
        }
    }
}

struct WakeOnExit(Arc<OwnedFd>);

impl Drop for WakeOnExit {
    fn drop(&mut self) {
        eventfd_add(&self.0);
    }
}

fn run(
    r: &Request,
    options: &audit::Options,
    deadline: Duration,
    lldp: &LldpConfig,
    lock: Option<&Lock>,
) -> Audit {
    let started = Instant::now();
    let source = match &r.capture {
        None => Source::live().with_lldp(lldp.clone()),
        Some(path) => match Source::open(path) {
            Ok(s) => s,
            // As `hostlint audit --root` reports it: nothing audited, and
            // why.
            Err(e) => {
                return audit::refused(
                    path.display().to_string(),
                    audit::policy_refs(&r.policies),
                    Refusal {
                        cause: Cause::UnreadableRoot,
                        detail: e.to_string(),
                    },
                    Vec::new(),
                    started,
                    Some(deadline),
                );
            }
        },
    };
    let source = source.with_deadline(Deadline::after(deadline));
    match lock {
        Some(held) => audit::run_locked(&source, &r.policies, options, held),
        None => audit::run(&source, &r.policies, options),
    }
}
