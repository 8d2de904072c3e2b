//! Reads that a hung filesystem could block forever, run where a time limit
//! can abandon them.
//!
//! `stat()` on a hard NFS mount whose server is gone blocks in the kernel,
//! uninterruptibly, and no thread can be cancelled out of it. So each such
//! read runs on a detached thread of its own; the caller waits for its
//! answer until the time limit and then gives up on it: the fact is
//! unknown (`timeout`), the audit goes on, and the stuck thread ends with
//! the process. A file being hashed stops at its next chunk once given up.
//!
//! In a fixture the same reads go to the path inside the fixture: a
//! directory answers at once; a FIFO without a writer blocks the open as a
//! dead server does (a fixture replays a hung mount that way); a path the
//! fixture lacks is not captured.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::root::{Root, is_not_captured};
use super::sha256;
use crate::snapshot::{Fact, Missing, ProbeAnswer, Reason, io_text};

/// Work started on a thread of its own, to be waited for until its
/// deadline.
pub struct Pending<T> {
    rx: Receiver<T>,
    started: Instant,
    limit: Duration,
    give_up: Arc<AtomicBool>,
}

/// Starts `work` on a detached thread. The flag it is given turns true
/// when the caller gives up waiting, for work that can stop early.
pub fn start<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce(&AtomicBool) -> T + Send + 'static,
) -> io::Result<Pending<T>> {
    let (tx, rx) = mpsc::channel();
    let give_up = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&give_up);
    thread::Builder::new()
        .name("hostlint-probe".into())
        .spawn(move || {
            // The receiver may be gone (given up): nothing to tell then.
            let _ = tx.send(work(&flag));
        })?;
    Ok(Pending {
        rx,
        started: Instant::now(),
        limit,
        give_up,
    })
}

impl<T> Pending<T> {
    /// The answer, or `None` when the limit passed first (counted from the
    /// start, so that waiting for several in turn costs the longest limit,
    /// not their sum).
    pub fn wait(self) -> Option<(T, Duration)> {
        let left = self.limit.saturating_sub(self.started.elapsed());
        match self.rx.recv_timeout(left) {
            Ok(v) => Some((v, self.started.elapsed())),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                self.give_up.store(true, Ordering::Relaxed);
                None
            }
        }
    }
}

impl<T> Pending<T> {
    /// As [`Pending::wait`]; when the limit passes first, the work is told
    /// to stop and given `grace` more to wind down (an unpacking that
    /// removes what it wrote), its answer then thrown away.
    pub fn wait_or_wind_down(self, grace: Duration) -> Option<(T, Duration)> {
        let left = self.limit.saturating_sub(self.started.elapsed());
        match self.rx.recv_timeout(left) {
            Ok(v) => Some((v, self.started.elapsed())),
            Err(_) => {
                self.give_up.store(true, Ordering::Relaxed);
                let _ = self.rx.recv_timeout(grace);
                None
            }
        }
    }
}

/// `2s`, `1.5s`, `250ms`: a limit as a person reads it.
pub fn limit_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms > 1000 {
        format!("{}s", d.as_secs_f64())
    } else {
        format!("{ms}ms")
    }
}

fn errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!("{}: {}", super::errno_name(n), io_text(e)),
        None => io_text(e),
    }
}

/// What a failed probe step means: a reason to know nothing (no
/// permission, not in the fixture), or the mount's own answer (EIO,
/// ESTALE, ENOTCONN: it answered, badly).
fn probe_error(shown: &str, e: io::Error) -> Fact<ProbeAnswer> {
    if is_not_captured(&e) {
        return Fact::unknown(
            Reason::NotCaptured,
            format!("the fixture holds nothing at {shown} to probe"),
        );
    }
    match e.kind() {
        io::ErrorKind::PermissionDenied => Fact::Unknown(Missing::io(shown, &e)),
        _ => Fact::Known(ProbeAnswer {
            elapsed_ms: 0,
            error: Some(errno_text(&e)),
        }),
    }
}

/// The probe itself: open the mount point (as `ls` does; blocks on a dead
/// server), `fstat` and `fstatfs` it, and read one directory entry.
fn touch(root: &Root, rel: &str) -> io::Result<()> {
    let path = root.locate(rel)?;
    let file = File::open(&path)?;
    let meta = file.metadata()?;
    // SAFETY: statfs is plain old data; fstatfs fills it for a valid fd.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: the descriptor is open for the duration of the call.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if meta.is_dir() {
        std::fs::read_dir(&path)?.next().transpose()?;
    }
    Ok(())
}

/// A mount probe under way.
pub struct MountProbeRun {
    shown: String,
    limit: Duration,
    pending: Result<Pending<io::Result<()>>, Missing>,
}

/// Starts probing `mountpoint` (an absolute path on the host).
pub fn start_mount_probe(root: &Root, mountpoint: &str, limit: Duration) -> MountProbeRun {
    let detached = root.detached();
    let rel = mountpoint.trim_start_matches('/').to_owned();
    let shown = if root.is_live() {
        mountpoint.to_owned()
    } else {
        root.dir().join(&rel).display().to_string()
    };
    let pending = start(limit, move |_| touch(&detached, &rel))
        .map_err(|e| Missing::io("starting a probe thread", &e));
    MountProbeRun {
        shown,
        limit,
        pending,
    }
}

impl MountProbeRun {
    pub fn finish(self) -> Fact<ProbeAnswer> {
        let pending = match self.pending {
            Ok(p) => p,
            Err(m) => return Fact::Unknown(m),
        };
        match pending.wait() {
            Some((Ok(()), took)) => Fact::Known(ProbeAnswer {
                elapsed_ms: took.as_millis() as u64,
                error: None,
            }),
            Some((Err(e), took)) => match probe_error(&self.shown, e) {
                Fact::Known(mut a) => {
                    a.elapsed_ms = took.as_millis() as u64;
                    Fact::Known(a)
                }
                unknown => unknown,
            },
            None => Fact::unknown(
                Reason::Timeout,
                format!(
                    "{} did not answer within {} (open, fstat, fstatfs, readdir); the probe was abandoned",
                    self.shown,
                    limit_text(self.limit)
                ),
            ),
        }
    }
}

/// Whether `mountpoint` answers within `limit`: the probe on its own, for
/// a caller with one mount point (and a deadline of its own to give it).
pub fn probe_mount(root: &Root, mountpoint: &str, limit: Duration) -> Fact<ProbeAnswer> {
    start_mount_probe(root, mountpoint, limit).finish()
}

/// What reading a file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
    pub sha256: Option<String>,
}

/// A file read under way.
pub struct FileReadRun {
    shown: String,
    limit: Duration,
    pending: Result<Pending<io::Result<FileRead>>, Missing>,
}

/// Starts reading `path` (absolute on the host): its size and modification
/// time, and its SHA-256 when `hash`.
pub fn start_file_read(root: &Root, path: &str, hash: bool, limit: Duration) -> FileReadRun {
    let detached = root.detached();
    let rel = path.trim_start_matches('/').to_owned();
    let shown = if root.is_live() {
        path.to_owned()
    } else {
        root.dir().join(&rel).display().to_string()
    };
    let pending = start(limit, move |stop: &AtomicBool| -> io::Result<FileRead> {
        let file = File::open(detached.locate(&rel)?)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let sha256 = if hash {
            Some(sha256::hex_of_reader(&file, stop)?)
        } else {
            None
        };
        Ok(FileRead {
            size: meta.len(),
            mtime: meta.mtime(),
            sha256,
        })
    })
    .map_err(|e| Missing::io("starting a reader thread", &e));
    FileReadRun {
        shown,
        limit,
        pending,
    }
}

impl FileReadRun {
    pub fn finish(self) -> Result<FileRead, Missing> {
        match self.pending?.wait() {
            Some((Ok(r), _)) => Ok(r),
            Some((Err(e), _)) if is_not_captured(&e) => Err(Missing::new(
                Reason::NotCaptured,
                format!("the fixture holds no {}", self.shown),
            )),
            Some((Err(e), _)) => Err(Missing::io(&self.shown, &e)),
            None => Err(Missing::new(
                Reason::Timeout,
                format!(
                    "{} could not be read within {}; the read was abandoned",
                    self.shown,
                    limit_text(self.limit)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::ffi::CString;

    fn fixture(dir: &std::path::Path) -> Root {
        Root::fixture(dir, BTreeMap::new(), BTreeSet::new())
    }

    fn mkfifo(path: &std::path::Path) {
        let c = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    /// Lets a probe blocked on `fifo` go, so the test leaves no thread
    /// behind.
    fn release(fifo: &std::path::Path) {
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo);
    }

    use std::os::unix::fs::OpenOptionsExt;

    #[test]
    fn a_directory_answers_and_a_fifo_without_a_writer_times_out() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("srv/ok")).unwrap();
        std::fs::write(d.path().join("srv/ok/file"), "x").unwrap();
        mkfifo(&d.path().join("srv/hung"));
        let root = fixture(d.path());
        let ok = probe_mount(&root, "/srv/ok", Duration::from_secs(5));
        assert_eq!(ok.known().and_then(|a| a.error.clone()), None, "{ok:?}");
        let started = Instant::now();
        let hung = probe_mount(&root, "/srv/hung", Duration::from_millis(300));
        let took = started.elapsed();
        let m = hung.missing().expect("no answer");
        assert_eq!(m.reason, Reason::Timeout, "{m}");
        assert!(m.detail.contains("did not answer within 300ms"), "{m}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        release(&d.path().join("srv/hung"));
    }

    #[test]
    fn probes_wait_in_parallel_not_in_turn() {
        let d = tempfile::tempdir().unwrap();
        for n in ["a", "b", "c"] {
            mkfifo(&d.path().join(n));
        }
        let root = fixture(d.path());
        let started = Instant::now();
        let runs: Vec<_> = ["/a", "/b", "/c"]
            .iter()
            .map(|p| start_mount_probe(&root, p, Duration::from_millis(400)))
            .collect();
        for r in runs {
            assert_eq!(
                r.finish().missing().map(|m| m.reason),
                Some(Reason::Timeout)
            );
        }
        assert!(started.elapsed() < Duration::from_millis(1100));
        for n in ["a", "b", "c"] {
            release(&d.path().join(n));
        }
    }

    #[test]
    fn missing_targets_and_injected_errors() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("stale")).unwrap();
        let root = fixture(d.path());
        let m = probe_mount(&root, "/nowhere", Duration::from_secs(1));
        assert_eq!(m.missing().map(|m| m.reason), Some(Reason::NotCaptured));
        let mut inject = BTreeMap::new();
        inject.insert("stale".to_owned(), libc::ESTALE);
        let root = Root::fixture(d.path(), inject, BTreeSet::new());
        let a = probe_mount(&root, "/stale", Duration::from_secs(1));
        let err = a.known().and_then(|a| a.error.clone()).unwrap();
        assert!(err.contains("Stale file handle"), "{err}");
    }

    #[test]
    fn file_reads_size_time_and_checksum() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("etc/cluster.conf"), "abc").unwrap();
        let root = fixture(d.path());
        let r = start_file_read(&root, "/etc/cluster.conf", true, Duration::from_secs(5))
            .finish()
            .unwrap();
        assert_eq!(r.size, 3);
        assert_eq!(
            r.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let e = start_file_read(&root, "/etc", false, Duration::from_secs(5))
            .finish()
            .unwrap_err();
        assert!(e.detail.contains("not a regular file"), "{e}");
        mkfifo(&d.path().join("etc/fifo"));
        let e = start_file_read(&root, "/etc/fifo", true, Duration::from_millis(200))
            .finish()
            .unwrap_err();
        assert_eq!(e.reason, Reason::Timeout);
        release(&d.path().join("etc/fifo"));
    }

    #[test]
    fn limits_read_like_policies() {
        assert_eq!(limit_text(Duration::from_secs(2)), "2s");
        assert_eq!(limit_text(Duration::from_millis(1500)), "1.5s");
        assert_eq!(limit_text(Duration::from_millis(300)), "300ms");
    }
}
