//! One input, run in a forked child under a time and a memory limit.
//!
//! The parent stays single-threaded (it never runs hostlint itself), so
//! forking it is safe; the child runs the input, with whatever threads the
//! pipeline starts, and reports on a pipe that is also its stderr: a
//! panic's message, the memory it peaked at, or what the runtime printed
//! before an abort (a stack overflow). A child that passes the wall-clock
//! limit is killed; one that passes the CPU limit gets SIGXCPU.
//!
//! A killed child runs no destructor, so whatever temporary directory it
//! had made (an unpacked archive) would stay in /tmp for good: each child
//! gets a temporary directory of its own as TMPDIR, which the parent
//! removes once the child is reaped.

use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::alloc;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub wall: Duration,
    pub cpu_seconds: u64,
    pub memory: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished: the heap's peak beyond the baseline, and how long it took.
    Ok {
        peak: usize,
        took: Duration,
    },
    Panic(String),
    /// Killed by a signal it raised itself (SIGSEGV, SIGABRT), with what
    /// it printed.
    Crash(String),
    /// Went over the memory budget (bytes live when it did).
    Memory(usize),
    /// Still running at the wall-clock limit, or out of CPU time.
    Hang(String),
}

impl Outcome {
    pub fn is_finding(&self) -> bool {
        !matches!(self, Outcome::Ok { .. })
    }

    /// The kind of finding, for file names and the summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Ok { .. } => "ok",
            Outcome::Panic(_) | Outcome::Crash(_) => "crash",
            Outcome::Memory(_) => "memory",
            Outcome::Hang(_) => "hang",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Outcome::Ok { peak, took } => format!("ok: peak {peak} bytes in {took:?}"),
            Outcome::Panic(m) => format!("panic: {m}"),
            Outcome::Crash(m) => format!("crash: {m}"),
            Outcome::Memory(n) => format!("memory: over the budget at {n} bytes"),
            Outcome::Hang(m) => format!("hang: {m}"),
        }
    }
}

const RESULT: &[u8] = b"\x1eRESULT ";

fn write_all(fd: i32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing from a live buffer to an open descriptor.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

fn result_line(text: &str) {
    let mut line = RESULT.to_vec();
    line.extend_from_slice(text.replace('\n', " | ").as_bytes());
    line.push(b'\n');
    write_all(2, &line);
}

/// Runs `work` in a child process under `limits`.
pub fn run(limits: Limits, verbose: bool, work: impl FnOnce()) -> Outcome {
    let tmp = match tempfile::Builder::new().prefix("hostlint-fuzz-").tempdir() {
        Ok(t) => t,
        Err(e) => return Outcome::Crash(format!("a temporary directory: {e}")),
    };
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills the two descriptors of the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Outcome::Crash(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    let started = Instant::now();
    // SAFETY: the harness process is single-threaded when it forks (the
    // parent never starts a thread), so the child may run ordinary code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Outcome::Crash(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: the child has one thread (fork copies only the caller),
        // so nothing reads the environment while it changes.
        unsafe { std::env::set_var("TMPDIR", tmp.path()) };
        child(limits, verbose, read_end, write_end, work);
    }
    // SAFETY: the parent's copy of the write end is not needed.
    unsafe { libc::close(write_end) };
    let (status, text, timed_out) = wait(pid, read_end, limits.wall);
    // SAFETY: closing the parent's read end, used no more.
    unsafe { libc::close(read_end) };
    drop(tmp);
    classify(status, &text, timed_out, started.elapsed(), limits)
}

fn child(limits: Limits, verbose: bool, read_end: i32, write_end: i32, work: impl FnOnce()) -> ! {
    // SAFETY: plain descriptor and rlimit calls on this process.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
        libc::close(read_end);
        libc::dup2(write_end, 2);
        if !verbose {
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            libc::dup2(null, 1);
        }
        let cpu = libc::rlimit {
            rlim_cur: limits.cpu_seconds,
            rlim_max: limits.cpu_seconds + 5,
        };
        libc::setrlimit(libc::RLIMIT_CPU, &cpu);
        let core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &core);
    }
    panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        result_line(&format!("panic {msg}{at}"));
    }));
    alloc::arm(limits.memory);
    let code = match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(()) => {
            result_line(&format!("ok {}", alloc::peak()));
            0
        }
        Err(_) => 101,
    };
    // SAFETY: leaving the child without running the parent's destructors
    // or flushing buffers it shares with the parent.
    unsafe { libc::_exit(code) }
}

/// How long `pid`'s main thread has waited to be given a CPU, from its
/// schedstat (CPU time, run-queue wait, slices).
fn run_queue_wait(pid: i32) -> Duration {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/schedstat"))
        .ok()
        .and_then(|t| t.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Waits for `pid` until `wall`, reading what it writes meanwhile (a
/// child blocked on a full pipe would look hung). Time the child spent
/// waiting for a CPU does not count: on a loaded machine (the long
/// campaign runs at nice 19) a child that is only starved is not hung;
/// ten times `wall` is the limit all the same. Returns its wait status,
/// its output and whether it had to be killed.
fn wait(pid: i32, read_end: i32, wall: Duration) -> (i32, Vec<u8>, bool) {
    const KEEP: usize = 64 * 1024;
    let started = Instant::now();
    let mut text = Vec::new();
    // SAFETY: pidfd_open on our own child.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    loop {
        let elapsed = started.elapsed();
        let effective = elapsed.saturating_sub(run_queue_wait(pid));
        if effective >= wall || elapsed >= wall * 10 {
            break;
        }
        let left = wall - effective;
        let mut fds = [
            libc::pollfd {
                fd: pidfd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: read_end,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = left.as_millis().clamp(1, 1000) as i32;
        // SAFETY: polling two descriptors in a live array.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if n < 0 {
            continue;
        }
        if fds[1].revents & (libc::POLLIN | libc::POLLHUP) != 0 && !drain(read_end, &mut text, KEEP)
        {
            // The write end closed: the child is gone or going.
            fds[0].revents |= libc::POLLIN;
        }
        if pidfd < 0 || fds[0].revents & libc::POLLIN != 0 {
            let mut status = 0;
            // SAFETY: waiting for our own child; blocks only briefly once
            // its end of the pipe is closed.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r == pid {
                while drain(read_end, &mut text, KEEP) {}
                if pidfd >= 0 {
                    // SAFETY: closing the pidfd opened above.
                    unsafe { libc::close(pidfd) };
                }
                return (status, text, false);
            }
        }
    }
    // SAFETY: killing and reaping our own child.
    let mut status = 0;
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, &mut status, 0);
        if pidfd >= 0 {
            libc::close(pidfd);
        }
    }
    let _ = drain(read_end, &mut text, KEEP);
    (status, text, true)
}

/// Reads what is there; false at the end of the stream (or on an error).
fn drain(fd: i32, into: &mut Vec<u8>, keep: usize) -> bool {
    let mut buf = [0u8; 4096];
    // SAFETY: non-blocking by poll's word; reading into a live buffer.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n <= 0 {
        return false;
    }
    let n = n as usize;
    if into.len() < keep {
        into.extend_from_slice(&buf[..n.min(keep - into.len())]);
    }
    true
}

fn classify(status: i32, text: &[u8], timed_out: bool, took: Duration, limits: Limits) -> Outcome {
    let text = String::from_utf8_lossy(text);
    let result = text
        .lines()
        .filter_map(|l| l.strip_prefix("\u{1e}RESULT "))
        .next_back()
        .map(str::to_owned);
    if timed_out {
        return Outcome::Hang(format!("still running after {:?}", limits.wall));
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        if sig == libc::SIGXCPU {
            return Outcome::Hang(format!("more than {} s of CPU", limits.cpu_seconds));
        }
        let printed: String = text.chars().take(2000).collect();
        return Outcome::Crash(format!("signal {sig}: {}", printed.trim()));
    }
    let code = libc::WEXITSTATUS(status);
    match (code, result.as_deref()) {
        (0, Some(r)) if r.starts_with("ok ") => Outcome::Ok {
            peak: r[3..].trim().parse().unwrap_or(0),
            took,
        },
        (alloc::EXIT_MEMORY, Some(r)) if r.starts_with("memory ") => {
            Outcome::Memory(r[7..].trim().parse().unwrap_or(0))
        }
        (_, Some(r)) if r.starts_with("panic ") => Outcome::Panic(r[6..].to_owned()),
        _ => Outcome::Crash(format!(
            "exit {code}: {}",
            text.chars().take(2000).collect::<String>().trim()
        )),
    }
}

/// The guard of the harness's own hygiene, run before the saved cases: a
/// child killed at the wall-clock limit (as a hang is) while it holds a
/// temporary directory leaves none behind.
pub fn killed_child_leaves_no_temporary_directory() -> Result<(), String> {
    let told = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let told_path = told.path().to_owned();
    let limits = Limits {
        wall: Duration::from_millis(300),
        cpu_seconds: 10,
        memory: 64 << 20,
    };
    let outcome = run(limits, false, || {
        let Ok(dir) = tempfile::tempdir() else {
            return;
        };
        let _ = std::fs::write(&told_path, dir.path().as_os_str().as_encoded_bytes());
        std::thread::sleep(Duration::from_secs(30));
    });
    if !matches!(outcome, Outcome::Hang(_)) {
        return Err(format!(
            "the sleeping child was not killed: {}",
            outcome.describe()
        ));
    }
    let made = std::fs::read_to_string(&told_path).map_err(|e| e.to_string())?;
    if made.is_empty() {
        return Err("the child made no temporary directory".into());
    }
    if std::path::Path::new(&made).exists() {
        return Err(format!("{made} is still there"));
    }
    Ok(())
}
