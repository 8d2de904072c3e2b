//! Running reads that can hang where a deadline can abandon them.
//!
//! A sysfs file behind a stuck driver, a FIFO with no writer, a path on a
//! dead NFS mount: the read blocks and the thread cannot be cancelled. So
//! each guarded read runs on a worker thread while the caller waits with a
//! timeout. When the wait runs out, the caller gets a `TimedOut` error and
//! goes on; the stuck worker is left behind (it dies with the process) and
//! the next read gets a fresh one.
//!
//! Two limits apply: one read may take `per_read`, so a single stuck file
//! costs that much and no more; and nothing starts after `end`, the
//! deadline of the whole run.

use std::io;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub end: Instant,
    pub per_read: Duration,
    /// The whole run's bound as given (`--deadline`), for messages.
    pub total: Duration,
}

impl Deadline {
    /// A deadline `total` from now, each read allowed a fraction of it.
    pub fn after(total: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + total,
            per_read: (total / 4).clamp(Duration::from_millis(100), Duration::from_secs(5)),
            total,
        }
    }

    pub fn total(&self) -> Duration {
        self.total
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        self.remaining().is_zero()
    }
}

pub struct Guard {
    deadline: Deadline,
    worker: Mutex<Option<Sender<Job>>>,
    /// Reads abandoned, and work stopped, at the deadline so far: a run
    /// that abandoned any says so.
    abandoned: Mutex<Vec<String>>,
    /// Reads not started because the deadline had passed.
    refused: Mutex<usize>,
}

fn spawn_worker() -> io::Result<Sender<Job>> {
    let (tx, rx): (Sender<Job>, Receiver<Job>) = mpsc::channel();
    thread::Builder::new()
        .name("hostlint-read".into())
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                job();
            }
        })?;
    Ok(tx)
}

/// The error of a read the deadline cut short. Like the system's own
/// errors it names no path: the caller names what it was reading, once.
pub fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "no answer before the deadline")
}

impl Guard {
    pub fn new(deadline: Deadline) -> Guard {
        Guard {
            deadline,
            worker: Mutex::new(None),
            abandoned: Mutex::new(Vec::new()),
            refused: Mutex::new(0),
        }
    }

    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// What the deadline cut short: reads abandoned, work stopped, and how
    /// many reads it kept from starting.
    pub fn abandoned(&self) -> Vec<String> {
        let mut out = self
            .abandoned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let refused = *self.refused.lock().unwrap_or_else(|p| p.into_inner());
        if refused > 0 {
            out.push(format!(
                "{refused} read(s) not started: the deadline had passed"
            ));
        }
        out
    }

    /// Counts a read not started because the deadline had passed.
    pub fn refuse(&self) {
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    }

    /// Records work that stopped because the deadline passed: a CPU-bound
    /// step (resolving destinations, parsing a large file, unpacking) that
    /// no read timeout would have ended.
    pub fn stop(&self, what: String) {
        self.record(what);
    }

    /// Adds `what` to the abandoned reads once: a file two parts read
    /// (multipath maps and DM devices both read a device's UUID) is one
    /// read that did not answer.
    fn record(&self, what: String) {
        let mut abandoned = self.abandoned.lock().unwrap_or_else(|p| p.into_inner());
        if !abandoned.contains(&what) {
            abandoned.push(what);
        }
    }

    /// Runs `read` on the worker and waits for it until the read's own
    /// limit or the deadline, whichever comes first. `what` names it among
    /// the abandoned reads; the error leaves naming it to the caller, as
    /// for any other failed read.
    pub fn run<T: Send + 'static>(
        &self,
        what: &str,
        read: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let wait = self.deadline.remaining().min(self.deadline.per_read);
        if wait.is_zero() {
            self.refuse();
            return Err(timed_out());
        }
        let (done_tx, done_rx): (SyncSender<io::Result<T>>, _) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = done_tx.send(read());
        });
        {
            let mut worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
            if worker.is_none() {
                *worker = Some(spawn_worker()?);
            }
            let sent = worker.as_ref().map(|w| w.send(job));
            if !matches!(sent, Some(Ok(()))) {
                *worker = None;
                return Err(io::Error::other("the reader thread is gone"));
            }
        }
        match done_rx.recv_timeout(wait) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                // The worker is stuck in this read: leave it, and let the
                // next read start a new one.
                *self.worker.lock().unwrap_or_else(|p| p.into_inner()) = None;
                self.record(what.to_owned());
                Err(timed_out())
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(io::Error::other("the reader thread stopped"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_read_is_abandoned_and_the_next_one_runs() {
        let g = Guard::new(Deadline {
            end: Instant::now() + Duration::from_secs(10),
            per_read: Duration::from_millis(100),
            total: Duration::from_secs(10),
        });
        let started = Instant::now();
        let err = g
            .run("hang", || -> io::Result<()> {
                thread::sleep(Duration::from_secs(3600));
                Ok(())
            })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(g.run("fine", || Ok(7)).unwrap(), 7);
        assert_eq!(g.abandoned(), ["hang"]);
    }

    #[test]
    fn a_file_read_twice_past_the_deadline_is_one_abandoned_read() {
        let g = Guard::new(Deadline {
            end: Instant::now() + Duration::from_secs(10),
            per_read: Duration::from_millis(50),
            total: Duration::from_secs(10),
        });
        for _ in 0..2 {
            let hang = || -> io::Result<()> {
                thread::sleep(Duration::from_secs(3600));
                Ok(())
            };
            assert!(g.run("sys/block/dm-2/dm/uuid", hang).is_err());
        }
        g.stop("resolving destinations".into());
        g.stop("resolving destinations".into());
        assert_eq!(
            g.abandoned(),
            ["sys/block/dm-2/dm/uuid", "resolving destinations"]
        );
    }

    #[test]
    fn nothing_starts_after_the_deadline() {
        let g = Guard::new(Deadline {
            end: Instant::now(),
            per_read: Duration::from_secs(1),
            total: Duration::from_secs(1),
        });
        assert_eq!(
            g.run("late", || Ok(1)).unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
        assert!(g.run("later", || Ok(1)).is_err());
        // A run whose reads the deadline kept from starting exceeded it.
        assert_eq!(
            g.abandoned(),
            ["2 read(s) not started: the deadline had passed"]
        );
        g.stop("resolving 100 destinations (40 done)".into());
        assert_eq!(g.abandoned().len(), 2);
    }
}
