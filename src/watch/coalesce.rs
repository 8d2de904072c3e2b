//! When the agent audits. An event marks the host dirty and is added to a
//! bounded summary (counts by kind, the last few changes), never queued;
//! an audit then starts a short settle after the first event of a burst
//! (a route moved by a delete and an add is audited once, moved), at most
//! once per `--min-interval` however many events arrive, and at least once
//! per `--max-interval` for facts that change without an event (error
//! counters). Pure: time is passed in, so the schedule is tested without
//! waiting.

use std::time::{Duration, Instant};

use crate::finding::EventSummary;
use crate::source::events::{Event, EventKind};

/// How long after the first event of a burst the audit waits for the rest
/// of it: long enough for a command's few messages (a delete and an add,
/// a link's down and its carrier), short against the one second in which
/// a change must be reported.
pub const SETTLE: Duration = Duration::from_millis(100);
/// The changes a summary names; older ones are only counted.
pub const MAX_NAMED: usize = 8;

/// What started an audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The first audit.
    Start,
    /// Events arrived.
    Event,
    /// An event socket overflowed: anything may have changed.
    Overrun,
    /// `--max-interval` passed without an event.
    Interval,
    /// The policies were reloaded (or a reload failed, which the report
    /// then says).
    Reload,
    /// The next capture of a replay.
    Replay,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::Start,
        Reason::Event,
        Reason::Overrun,
        Reason::Interval,
        Reason::Reload,
        Reason::Replay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Start => "start",
            Reason::Event => "event",
            Reason::Overrun => "overrun",
            Reason::Interval => "interval",
            Reason::Reload => "reload",
            Reason::Replay => "replay",
        }
    }
}

/// Adds one event to a summary, keeping it bounded.
pub fn record(summary: &mut EventSummary, event: &Event, wall_unix: f64) {
    summary.total += 1;
    summary.first.get_or_insert_with(|| event.what.clone());
    *summary.counts.entry(event.kind.as_str()).or_default() += 1;
    if summary.last.len() == MAX_NAMED {
        summary.last.remove(0);
    }
    summary.last.push(event.what.clone());
    summary.first_unix.get_or_insert(wall_unix);
}

#[derive(Debug)]
pub struct Coalescer {
    min_interval: Duration,
    max_interval: Duration,
    last_start: Option<Instant>,
    dirty_since: Option<Instant>,
    forced: Option<Reason>,
    pending: EventSummary,
}

impl Coalescer {
    /// A schedule whose first audit is due at once.
    pub fn new(min_interval: Duration, max_interval: Duration) -> Coalescer {
        Coalescer {
            min_interval,
            max_interval,
            last_start: None,
            dirty_since: None,
            forced: Some(Reason::Start),
            pending: EventSummary::default(),
        }
    }

    pub fn record(&mut self, now: Instant, wall_unix: f64, event: &Event) {
        record(&mut self.pending, event, wall_unix);
        self.dirty_since.get_or_insert(now);
    }

    /// The kernel dropped events: the next audit answers that.
    pub fn overrun(&mut self, now: Instant, wall_unix: f64) {
        self.pending.overrun = true;
        self.pending.first_unix.get_or_insert(wall_unix);
        self.dirty_since.get_or_insert(now);
    }

    /// An audit for `reason` as soon as the minimum interval allows.
    pub fn force(&mut self, reason: Reason) {
        self.forced = Some(reason);
    }

    /// When the next audit is due (at or before `now`: due now).
    pub fn due_at(&self, now: Instant) -> Instant {
        let Some(last) = self.last_start else {
            return now;
        };
        let earliest = last + self.min_interval;
        if self.forced == Some(Reason::Replay) {
            now
        } else if self.forced.is_some() {
            earliest
        } else if let Some(since) = self.dirty_since {
            earliest.max(since + SETTLE)
        } else {
            last + self.max_interval
        }
    }

    /// Starts an audit if one is due at `now`: why, and what it answers.
    pub fn start(&mut self, now: Instant) -> Option<(Reason, EventSummary)> {
        if self.due_at(now) > now {
            return None;
        }
        let reason = self.forced.take().unwrap_or(if self.pending.overrun {
            Reason::Overrun
        } else if self.dirty_since.is_some() {
            Reason::Event
        } else {
            Reason::Interval
        });
        self.last_start = Some(now);
        self.dirty_since = None;
        Some((reason, std::mem::take(&mut self.pending)))
    }
}

/// An event standing for a replayed capture.
pub fn replay_event(capture: &std::path::Path, step: usize, steps: usize) -> Event {
    Event {
        kind: EventKind::Replay,
        what: format!("capture {}/{steps}: {}", step + 1, capture.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(what: &str) -> Event {
        Event {
            kind: EventKind::Link,
            what: what.into(),
        }
    }

    const MIN: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(300);

    #[test]
    fn the_first_audit_is_at_once_and_a_quiet_host_waits_for_the_max_interval() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(MIN, MAX);
        let (reason, answered) = c.start(t0).unwrap();
        assert_eq!((reason, answered.total), (Reason::Start, 0));
        assert_eq!(c.start(t0 + Duration::from_secs(299)), None);
        assert_eq!(c.due_at(t0), t0 + MAX);
        assert_eq!(c.start(t0 + MAX).unwrap().0, Reason::Interval);
    }

    #[test]
    fn an_event_on_a_quiet_host_is_audited_after_the_settle() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(MIN, MAX);
        c.start(t0);
        let t1 = t0 + Duration::from_secs(10);
        c.record(t1, 0.0, &link("uplink0 down"));
        assert_eq!(c.due_at(t1), t1 + SETTLE);
        assert_eq!(c.start(t1 + SETTLE / 2), None);
        let (reason, answered) = c.start(t1 + SETTLE).unwrap();
        assert_eq!(reason, Reason::Event);
        assert_eq!(answered.last, ["uplink0 down"]);
        // Nothing pending: back to the max interval from this audit.
        assert_eq!(c.due_at(t1 + SETTLE), t1 + SETTLE + MAX);
    }

    #[test]
    fn a_storm_of_ten_thousand_events_costs_one_audit_per_min_interval() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(MIN, MAX);
        c.start(t0);
        let mut audits = Vec::new();
        // 10,000 flaps over 3 s, one every 300 µs.
        for i in 0..10_000u32 {
            let now = t0 + Duration::from_micros(300 * u64::from(i));
            c.record(now, 0.0, &link(&format!("uplink0 flap {i}")));
            if let Some((reason, answered)) = c.start(now) {
                audits.push((now, reason, answered));
            }
        }
        // And after the storm, the last of it is audited too.
        let end = t0 + Duration::from_secs(4);
        if let Some(a) = c.start(end) {
            audits.push((end, a.0, a.1));
        }
        assert!(audits.len() <= 4, "{} audits", audits.len());
        for pair in audits.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= MIN);
        }
        let answered: u64 = audits.iter().map(|a| a.2.total).sum();
        assert_eq!(answered, 10_000, "every event answered by some audit");
        for (_, reason, summary) in &audits {
            assert_eq!(*reason, Reason::Event);
            assert!(summary.last.len() <= MAX_NAMED);
        }
        assert_eq!(
            audits.last().unwrap().2.last.last().unwrap(),
            "uplink0 flap 9999"
        );
        assert_eq!(c.start(end + MIN), None, "nothing left to audit");
    }

    #[test]
    fn an_overrun_is_its_own_reason_and_flagged() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(MIN, MAX);
        c.start(t0);
        c.record(t0 + MIN, 0.0, &link("uplink0 down"));
        c.overrun(t0 + MIN, 0.0);
        let (reason, answered) = c.start(t0 + MIN + SETTLE).unwrap();
        assert_eq!(reason, Reason::Overrun);
        assert!(answered.overrun);
    }

    #[test]
    fn a_reload_waits_for_the_min_interval_and_a_replay_does_not() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(MIN, MAX);
        c.start(t0);
        c.force(Reason::Reload);
        assert_eq!(c.start(t0 + MIN / 2), None);
        assert_eq!(c.start(t0 + MIN).unwrap().0, Reason::Reload);
        c.force(Reason::Replay);
        assert_eq!(c.start(t0 + MIN).unwrap().0, Reason::Replay);
    }

    #[test]
    fn a_summary_names_the_last_few_and_counts_the_rest() {
        let mut s = EventSummary::default();
        for i in 0..100 {
            record(&mut s, &link(&format!("l{i}")), f64::from(i));
        }
        record(
            &mut s,
            &Event {
                kind: EventKind::Route,
                what: "0.0.0.0/0 table main removed".into(),
            },
            200.0,
        );
        assert_eq!(s.total, 101);
        assert_eq!(s.counts["link"], 100);
        assert_eq!(s.counts["route"], 1);
        assert_eq!(s.last.len(), MAX_NAMED);
        assert_eq!(s.last[0], "l93");
        assert_eq!(s.first.as_deref(), Some("l0"));
        assert_eq!(s.first_unix, Some(0.0));
    }
}
