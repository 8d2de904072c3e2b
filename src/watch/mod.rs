//! `hostlint watch`: the agent that re-audits when the kernel reports a
//! change. One thread waits (`poll`) on everything at once: the event
//! subscriptions ([`crate::source::events`]), a signalfd for SIGHUP,
//! SIGTERM and SIGINT, the audit thread's "done", and the next time
//! something is due (an audit, a watchdog ping). Events only mark the host
//! dirty ([`coalesce`]); audits run one at a time on their own thread
//! through the same pipeline as `hostlint audit`; each one's findings are
//! compared with the previous ones ([`transition`]), every change printed
//! as a JSON line ([`crate::report::watch_json`]), and the textfile
//! rewritten atomically with the agent's counters in it.
//!
//! Synchronous on purpose: one loop, no runtime, nothing queued that can
//! grow. With `--root` the agent replays captures instead of listening,
//! one audit per capture in order, and ends: the same loop, driven
//! deterministically.

pub mod coalesce;
pub mod notify;
pub mod signals;
pub mod transition;
mod worker;

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::finding::{Agent, Audit, Cause};
use crate::policy::fields::PolicyError;
use crate::policy::{self, Policy};
use crate::report::{audit_json, output, prometheus, watch_json};
use crate::snapshot::io_text;
use crate::source::events::{Delivery, EventKind, Stream, Subscriptions};
use crate::source::is_capture;
use crate::source::lldpcli::LldpConfig;
use crate::state::{self, LockError};
use coalesce::{Coalescer, Reason};
use notify::Notifier;
use signals::{Signal, Signals};
use transition::Standing;
use worker::{Finished, Request, Worker};

/// How long a stop waits for an audit in flight before leaving it: the
/// agent is gone within a second of SIGTERM however long the audit takes.
const STOP_GRACE: Duration = Duration::from_millis(500);
/// Datagrams read from one socket before the loop looks at the others, so
/// a storm on one cannot starve the signals.
const DRAIN_BATCH: usize = 256;
/// How far past its deadline an audit may run before the watchdog is no
/// longer fed: an audit stuck beyond it means the agent is broken, and
/// systemd should restart it.
const WATCHDOG_SLACK: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Prometheus,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub policies: Vec<PathBuf>,
    /// Captures to replay, in order: each a capture or a directory of
    /// them (taken in name order). Empty: the live host.
    pub replay: Vec<PathBuf>,
    /// The textfile, rewritten atomically after each audit.
    pub output: Option<PathBuf>,
    pub format: Format,
    /// The counters between audits, and the lock held while the agent runs.
    pub state: Option<PathBuf>,
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Each audit's deadline.
    pub deadline: Duration,
    /// Where the live host's LLDP neighbours are asked.
    pub lldp: LldpConfig,
}

/// Why the agent could not start, or had to stop.
#[derive(Debug)]
pub enum WatchError {
    /// The command line, or the captures to replay, cannot be used.
    Usage(String),
    /// The policies are invalid at startup.
    Policy(Vec<PolicyError>),
    /// Another audit or agent holds the state file's lock, or it cannot
    /// be taken.
    Lock(LockError),
    /// The kernel refused the rtnetlink subscription, or the agent's own
    /// machinery (its thread, its descriptors) failed.
    Io(String),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Usage(m) | WatchError::Io(m) => write!(f, "{m}"),
            WatchError::Policy(errors) => write!(f, "{} error(s) in the policies", errors.len()),
            // Worded as `hostlint audit` words a refused run.
            WatchError::Lock(e @ LockError::Held(_)) => {
                write!(f, "{}: {e}", Cause::LockHeld.describe())
            }
            WatchError::Lock(e) => write!(f, "{}: {e}", Cause::LockFailed.describe()),
        }
    }
}

impl std::error::Error for WatchError {}

fn io_error(what: &str) -> impl Fn(io::Error) -> WatchError + '_ {
    move |e| WatchError::Io(format!("{what}: {}", io_text(&e)))
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The captures to replay, each directory of captures expanded in name
/// order.
fn replay_steps(paths: &[PathBuf]) -> Result<Vec<PathBuf>, WatchError> {
    let mut steps = Vec::new();
    for path in paths {
        if is_capture(path) {
            steps.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| {
            WatchError::Usage(format!(
                "{}: neither a capture nor a directory of captures: {}",
                path.display(),
                io_text(&e)
            ))
        })?;
        let mut inner = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                WatchError::Usage(format!("{}: cannot list: {}", path.display(), io_text(&e)))
            })?;
            if !entry.file_name().to_string_lossy().starts_with('.') {
                inner.push(entry.path());
            }
        }
        inner.sort();
        if inner.is_empty() {
            return Err(WatchError::Usage(format!(
                "{}: neither a capture nor a directory of captures: it is empty",
                path.display()
            )));
        }
        for p in inner {
            if !is_capture(&p) {
                return Err(WatchError::Usage(format!(
                    "{}: not a capture (a directory to replay holds captures only: directories \
                     with a manifest.json, or .tar.gz archives)",
                    p.display()
                )));
            }
            steps.push(p);
        }
    }
    Ok(steps)
}

/// Runs the agent until SIGTERM or SIGINT (exit 0), or with captures to
/// replay until the last is reported.
pub fn run(config: Config) -> Result<(), WatchError> {
    // First of all: the mask is inherited by every thread started later.
    let signals = Signals::take().map_err(io_error("signalfd"))?;
    if config.min_interval > config.max_interval {
        return Err(WatchError::Usage(format!(
            "--min-interval ({:?}) is longer than --max-interval ({:?})",
            config.min_interval, config.max_interval
        )));
    }
    let steps = replay_steps(&config.replay)?;
    let policies = policy::load(&config.policies).map_err(WatchError::Policy)?;
    let lock = match &config.state {
        Some(path) => Some(state::lock(path).map_err(WatchError::Lock)?),
        None => None,
    };
    let subscriptions = if steps.is_empty() {
        let (s, unsubscribed) = Subscriptions::open().map_err(io_error("subscribing"))?;
        for u in &unsubscribed {
            eprintln!(
                "hostlint watch: not subscribed to {} events ({}): those changes are seen with \
                 the next other event or at --max-interval",
                u.stream.as_str(),
                u.why
            );
        }
        Some(s)
    } else {
        None
    };
    let notifier = Notifier::from_env().unwrap_or_else(|e| {
        eprintln!("hostlint watch: not notifying systemd: {e}");
        None
    });
    let worker = Worker::start(
        config.state.clone(),
        config.deadline,
        config.lldp.clone(),
        lock,
    )
    .map_err(io_error("the audit thread"))?;
    let agent = Agent {
        started_unix: now_unix(),
        events: EventKind::ALL.iter().map(|k| (k.as_str(), 0)).collect(),
        audits: Reason::ALL.iter().map(|r| (r.as_str(), 0)).collect(),
        overruns: Stream::ALL.iter().map(|s| (s.as_str(), 0)).collect(),
        subscribed: Stream::ALL
            .iter()
            .map(|s| {
                let open = subscriptions.as_ref().is_some_and(|x| x.is_subscribed(*s));
                (s.as_str(), open)
            })
            .collect(),
        ..Agent::default()
    };
    let coalescer = Coalescer::new(config.min_interval, config.max_interval);
    let mut watcher = Watcher {
        config,
        policies: Arc::new(policies),
        agent,
        coalescer,
        standing: None,
        notifier,
        stdout_failed: false,
    };
    let result = watcher.run(&signals, subscriptions, worker, &steps);
    watcher.notify("STOPPING=1");
    result
}

struct Watcher {
    config: Config,
    policies: Arc<Vec<Policy>>,
    agent: Agent,
    coalescer: Coalescer,
    /// The findings of the last audit; `None` before the first.
    standing: Option<Standing>,
    notifier: Option<Notifier>,
    stdout_failed: bool,
}

/// What a descriptor in the wait is.
#[derive(Clone, Copy)]
enum Waited {
    Signals,
    Worker,
    Events(Stream),
}

impl Watcher {
    fn run(
        &mut self,
        signals: &Signals,
        mut subscriptions: Option<Subscriptions>,
        mut worker: Worker,
        steps: &[PathBuf],
    ) -> Result<(), WatchError> {
        let mut waited = vec![
            (Waited::Signals, signals.descriptor()),
            (Waited::Worker, worker.descriptor()),
        ];
        for (stream, fd) in subscriptions.iter().flat_map(|s| s.descriptors()) {
            waited.push((Waited::Events(stream), fd));
        }
        let mut fds: Vec<libc::pollfd> = waited
            .iter()
            .map(|(_, fd)| libc::pollfd {
                fd: *fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let watchdog = notify::watchdog_interval().filter(|_| self.notifier.is_some());
        let mut next_ping = watchdog.map(|w| Instant::now() + w);
        let mut next_step = 0;
        let mut stopping: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let idle = worker.busy_since().is_none();
            if let Some(at) = stopping
                && (idle || now >= at + STOP_GRACE)
            {
                return Ok(());
            }
            if idle && stopping.is_none() {
                let replaying = !steps.is_empty();
                if replaying {
                    if next_step == steps.len() {
                        return Ok(());
                    }
                    let event = coalesce::replay_event(&steps[next_step], next_step, steps.len());
                    self.coalescer.record(now, now_unix(), &event);
                    self.coalescer.force(Reason::Replay);
                    self.agent
                        .events
                        .entry(EventKind::Replay.as_str())
                        .and_modify(|n| *n += 1);
                }
                if let Some((reason, answered)) = self.coalescer.start(now) {
                    worker
                        .submit(Request {
                            capture: steps.get(next_step).cloned().filter(|_| replaying),
                            policies: Arc::clone(&self.policies),
                            reason,
                            answered,
                        })
                        .map_err(io_error("audit"))?;
                    next_step += usize::from(replaying);
                }
            }

            let mut wake_at = None;
            if worker.busy_since().is_none() && stopping.is_none() {
                wake_at = Some(self.coalescer.due_at(now));
            }
            for t in [next_ping, stopping.map(|s| s + STOP_GRACE)]
                .into_iter()
                .flatten()
            {
                wake_at = Some(wake_at.map_or(t, |w: Instant| w.min(t)));
            }
            let timeout = wake_at.map_or(-1, |t| {
                // Rounded up: waking a little early would only spin.
                let ms = t.saturating_duration_since(now).as_micros().div_ceil(1000);
                i32::try_from(ms).unwrap_or(i32::MAX)
            });
            for f in &mut fds {
                f.revents = 0;
            }
            // SAFETY: poll reads and writes `fds.len()` pollfd structs of a
            // live Vec.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(WatchError::Io(format!("poll: {}", io_text(&e))));
            }

            for (i, (what, _)) in waited.iter().enumerate() {
                if fds[i].revents == 0 {
                    continue;
                }
                match what {
                    Waited::Signals => {
                        for s in signals.read().map_err(io_error("signalfd"))? {
                            match s {
                                Signal::Stop => {
                                    stopping.get_or_insert_with(Instant::now);
                                }
                                Signal::Reload => self.reload(),
                            }
                        }
                    }
                    Waited::Worker => {
                        if let Some(done) = worker.collect().map_err(io_error("audit"))? {
                            self.report(done);
                        }
                    }
                    Waited::Events(stream) => {
                        let Some(subs) = subscriptions.as_mut() else {
                            continue;
                        };
                        let now = Instant::now();
                        let wall = now_unix();
                        let (agent, coalescer) = (&mut self.agent, &mut self.coalescer);
                        subs.drain(*stream, DRAIN_BATCH, &mut |d| match d {
                            Delivery::Event(e) => {
                                agent.events.entry(e.kind.as_str()).and_modify(|n| *n += 1);
                                coalescer.record(now, wall, &e);
                            }
                            Delivery::Routine => agent.routine_events += 1,
                            Delivery::Overrun => {
                                agent
                                    .overruns
                                    .entry(stream.as_str())
                                    .and_modify(|n| *n += 1);
                                coalescer.overrun(now, wall);
                            }
                        })
                        .map_err(|e| WatchError::Io(io_text(&e)))?;
                    }
                }
            }

            if let (Some(at), Some(every)) = (next_ping, watchdog) {
                let now = Instant::now();
                if now >= at {
                    let healthy = worker
                        .busy_since()
                        .is_none_or(|s| now - s < self.config.deadline + WATCHDOG_SLACK);
                    if healthy {
                        self.notify("WATCHDOG=1");
                    }
                    next_ping = Some(now + every);
                }
            }
        }
    }

    fn notify(&self, state: &str) {
        if let Some(n) = &self.notifier
            && let Err(e) = n.send(state)
        {
            eprintln!("hostlint watch: {e}");
        }
    }

    /// SIGHUP: the policies again, from the same files. An invalid set
    /// keeps the running one; either way the next audit says what is in
    /// force.
    fn reload(&mut self) {
        self.notify(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}",
            notify::monotonic_usec()
        ));
        let files: Vec<String> = self
            .config
            .policies
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let errors: Vec<String> = match policy::load(&self.config.policies) {
            Ok(policies) => {
                let checks: usize = policies.iter().map(|p| p.checks.len()).sum();
                eprintln!(
                    "hostlint watch: policies reloaded: {} policies, {checks} checks",
                    policies.len()
                );
                self.policies = Arc::new(policies);
                self.agent.reloads += 1;
                self.agent.reload_error = None;
                Vec::new()
            }
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!(
                    "hostlint watch: the reload failed ({} error(s)): still auditing with the \
                     policies loaded before",
                    errors.len()
                );
                self.agent.failed_reloads += 1;
                self.agent.reload_error = Some(format!(
                    "{} error(s) in the policies; the first: {}",
                    errors.len(),
                    errors.first().map(ToString::to_string).unwrap_or_default()
                ));
                errors.iter().map(ToString::to_string).collect()
            }
        };
        self.print(&watch_json::reload(&files, &errors, now_unix()));
        self.coalescer.force(Reason::Reload);
        self.notify("READY=1");
    }

    /// An audit finished: its transitions, its report, and systemd told.
    fn report(&mut self, done: Finished) {
        let Finished {
            mut audit,
            reason,
            answered,
        } = done;
        let first = self.standing.is_none();
        self.agent.audit += 1;
        self.agent
            .audits
            .entry(reason.as_str())
            .and_modify(|n| *n += 1);
        if answered.total > 1 {
            self.agent.coalesced_bursts += 1;
        }
        self.agent.reason = reason.as_str();
        self.agent.answered = answered;

        let after = transition::standing(&audit.findings);
        let lines = {
            let empty = Standing::new();
            let changes = transition::between(self.standing.as_ref().unwrap_or(&empty), &after);
            self.agent.transitions += changes.len() as u64;
            let time = now_unix();
            let mut lines = String::new();
            for t in &changes {
                lines.push_str(&watch_json::transition(
                    &audit,
                    &self.agent,
                    t.from,
                    t.to,
                    t.finding,
                    time,
                ));
            }
            lines
        };
        self.standing = Some(after);

        audit.run.agent = Some(self.agent.clone());
        self.write_textfile(&audit);
        self.print(&lines);
        let status = status_line(&audit, &self.agent);
        if first {
            self.notify(&format!("READY=1\n{status}"));
        } else {
            self.notify(&status);
        }
    }

    fn write_textfile(&self, audit: &Audit) {
        let Some(path) = &self.config.output else {
            return;
        };
        let text = match self.config.format {
            Format::Prometheus => prometheus::render(audit, prometheus::MAX_SUBJECT_SERIES),
            Format::Json => audit_json::render(audit),
        };
        if let Err(e) = output::write_atomic(path, text.as_bytes()) {
            // The writer's error names the file already.
            eprintln!(
                "hostlint watch: the report could not be written: {}",
                io_text(&e)
            );
        }
    }

    /// Standard output, line by line as they come; a reader that went away
    /// is said once, and the agent goes on (the textfile is its report).
    fn print(&mut self, lines: &str) {
        if lines.is_empty() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(e) = out.write_all(lines.as_bytes()).and_then(|()| out.flush()) {
            if !self.stdout_failed {
                eprintln!(
                    "hostlint watch: standard output: {}; transitions are no longer printed",
                    io_text(&e)
                );
            }
            self.stdout_failed = true;
        }
    }
}

/// `STATUS=` for `systemctl status`: the verdict, its cause and what the
/// agent did.
fn status_line(audit: &Audit, agent: &Agent) -> String {
    let c = crate::report::Counts::of(&audit.findings);
    let events: u64 = agent.events.values().sum();
    let audits: u64 = agent.audits.values().sum();
    format!(
        "STATUS={} ({}): {} fail, {} warn, {} unknown, {} pass; {audits} audits, {events} events",
        audit.verdict().as_str(),
        audit.summary(),
        c.fail,
        c.warn,
        c.unknown,
        c.pass
    )
}
