//! `hostlint diff`: what changed in the hardware picture of a host between
//! two snapshots — a capture taken before maintenance and one taken after,
//! or the live host.
//!
//! A [`Change`] is a plain value (object, field, before, after, severity,
//! why it matters) produced by pure functions of the two snapshots, one
//! file per kind of object: `host`, `link` (with its PCIe link), `bond`,
//! `lldp` (what each port faces), `infiniband` (RDMA ports), `route`
//! (egress of the default route and of the policies' destinations,
//! and the routing tables), `rule`, `neighbor`; and the storage paths:
//! `multipath` (maps and their paths), `nvme` (subsystems, controllers,
//! ANA paths), `fc` (HBA ports), `iscsi` (sessions), `sas` (phys), `ata`
//! (SATA links), `mdraid` (md arrays), `mount` (mounts, and the answers of
//! the mount points a policy probes). Block devices are compared through
//! what uses them (paths, members, mounts); files a policy asks about are
//! not compared (see `mount`). Reporters (`report::diff_table`,
//! `report::diff_json`) only render a [`Diff`].
//!
//! Severity: [`Severity::Critical`] for what breaks redundancy or capacity,
//! [`Severity::Warning`] for the rest that matters (a fact that could be
//! read on one side only included: it is never taken as unchanged),
//! [`Severity::Info`] for routine noise, shown only when asked for.
//!
//! Adding a kind of object: a file with `pub(super) fn compare(ctx: &Ctx,
//! out: &mut Vec<Change>)`, called from [`compare`]; `part` for the list as
//! a whole (read on one side only; `storage_part` for a part of the
//! storage, which old captures do not hold), `Listed` to pair its objects
//! and say those on one side only, `At::fact` for each fact, and
//! `At::counter` for a counter, which subtracts only when `ctx.boot.same()`.

mod ata;
mod bond;
mod fc;
mod host;
mod infiniband;
mod iscsi;
mod link;
mod lldp;
mod mdraid;
mod mount;
mod multipath;
mod neighbor;
mod nvme;
mod route;
mod rule;
mod sas;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::check;
use crate::collect::resolve::Flow;
use crate::collect::{self, Scope};
use crate::policy::Check;
use crate::snapshot::{Fact, Missing, Prefix, Reason, Snapshot};
use crate::source::Source;

pub use host::boot;

/// How much a change matters. Ordered from the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Redundancy or capacity lost: a link down or gone, a speed drop, a
    /// bond member lost, the default route leaving by another interface.
    Critical,
    /// A change that matters but breaks nothing by itself, and every fact
    /// that could be read on one side only.
    Warning,
    /// Routine noise: traffic counters, uptime, neighbour churn, routes the
    /// kernel derives from addresses. Shown with `--all`.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One side of a change.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// The object does not exist on this side (a link added or gone).
    Absent,
    Known(String),
    /// The fact could not be read on this side, and why.
    Unknown(Missing),
}

impl Value {
    pub fn of<T>(fact: &Fact<T>, show: impl FnOnce(&T) -> String) -> Value {
        match fact {
            Fact::Known(v) => Value::Known(show(v)),
            Fact::Unknown(m) => Value::Unknown(m.clone()),
        }
    }

    pub fn known(text: impl Into<String>) -> Value {
        Value::Known(text.into())
    }
}

/// `null` when absent, the text when known, and an unknown fact the way a
/// snapshot writes it: `{"unknown": "link_down", "detail": "..."}`.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Absent => s.serialize_none(),
            Value::Known(text) => s.serialize_str(text),
            Value::Unknown(m) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("unknown", m.reason.as_str())?;
                map.serialize_entry("detail", &m.detail)?;
                map.end()
            }
        }
    }
}

/// A difference between the two sides that an operator should know of.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub severity: Severity,
    /// The kind of object: `host`, `link`, `pcie`, `bond`, `egress`,
    /// `route`, `rule`, `neighbor`, or a whole part (`links`, `routes`...).
    pub kind: &'static str,
    /// Which one: `enp65s0f1`, `bond0 member enp65s0f1`, `default
    /// (0.0.0.0/0)`, `0.0.0.0/0 table main metric 0`.
    pub subject: String,
    pub field: String,
    pub before: Value,
    pub after: Value,
    pub why: String,
}

/// Where changes are being collected: the object they are about.
pub(crate) struct At<'a> {
    pub kind: &'static str,
    pub subject: &'a str,
}

impl At<'_> {
    pub fn push(
        &self,
        out: &mut Vec<Change>,
        severity: Severity,
        field: &str,
        before: Value,
        after: Value,
        why: impl Into<String>,
    ) {
        out.push(Change {
            severity,
            kind: self.kind,
            subject: self.subject.to_owned(),
            field: field.to_owned(),
            before,
            after,
            why: why.into(),
        });
    }

    /// Compares one fact on both sides. When both are known and differ,
    /// `judge` says how much that matters and why (`None`: not at all).
    /// Known on one side only is a change of `unknown` severity: whether
    /// the value changed cannot be told, which is not the same as equal.
    /// Unknown on both sides there is nothing to compare.
    #[allow(clippy::too_many_arguments)]
    pub fn fact<T: PartialEq>(
        &self,
        out: &mut Vec<Change>,
        field: &str,
        before: &Fact<T>,
        after: &Fact<T>,
        show: impl Fn(&T) -> String,
        unknown: Severity,
        judge: impl FnOnce(&T, &T) -> Option<(Severity, String)>,
    ) {
        match (before, after) {
            (Fact::Known(a), Fact::Known(b)) => {
                if a != b
                    && let Some((severity, why)) = judge(a, b)
                {
                    self.push(
                        out,
                        severity,
                        field,
                        Value::known(show(a)),
                        Value::known(show(b)),
                        why,
                    );
                }
            }
            (Fact::Unknown(_), Fact::Unknown(_)) => {}
            (Fact::Known(a), Fact::Unknown(m)) => self.push(
                out,
                unknown,
                field,
                Value::known(show(a)),
                Value::Unknown(m.clone()),
                one_sided(false, m),
            ),
            (Fact::Unknown(m), Fact::Known(b)) => self.push(
                out,
                unknown,
                field,
                Value::Unknown(m.clone()),
                Value::known(show(b)),
                one_sided(true, m),
            ),
        }
    }
}

impl At<'_> {
    /// Compares a counter that only grows while its device lives: errors
    /// since a port or phy was reset, a path's failures since its map was
    /// loaded. Within one boot only: a reboot starts it again. Growth
    /// beyond `explained` (what a change reported already took) is a
    /// warning, `why` given how much; a counter that went back was reset,
    /// which is routine.
    #[allow(clippy::too_many_arguments)]
    pub fn counter(
        &self,
        ctx: &Ctx,
        out: &mut Vec<Change>,
        field: &str,
        before: &Fact<u64>,
        after: &Fact<u64>,
        explained: u64,
        why: impl FnOnce(u64) -> String,
    ) {
        if !ctx.boot.same() {
            return;
        }
        match (before, after) {
            (Fact::Known(x), Fact::Known(y)) if y < x => self.push(
                out,
                Severity::Info,
                field,
                Value::known(x.to_string()),
                Value::known(y.to_string()),
                "the counter went backwards: it was reset",
            ),
            (Fact::Known(x), Fact::Known(y)) => {
                if y - x > explained {
                    self.push(
                        out,
                        Severity::Warning,
                        field,
                        Value::known(x.to_string()),
                        Value::known(y.to_string()),
                        why(y - x),
                    );
                }
            }
            _ => self.fact(
                out,
                field,
                before,
                after,
                u64::to_string,
                Severity::Warning,
                |_, _| None,
            ),
        }
    }
}

/// Why a fact read on one side only is reported.
pub(crate) fn one_sided(unknown_before: bool, m: &Missing) -> String {
    let side = if unknown_before { "before" } else { "after" };
    format!(
        "could not be read {side} ({}): whether it changed is unknown",
        m.reason
    )
}

/// A whole part of the snapshot (links, bonds, routes...): both sides
/// when both could be read; otherwise a change that says which side could
/// not, and nothing to compare inside.
pub(crate) fn part<'a, T>(
    out: &mut Vec<Change>,
    kind: &'static str,
    severity: Severity,
    before: &'a Fact<T>,
    after: &'a Fact<T>,
) -> Option<(&'a T, &'a T)> {
    let at = At { kind, subject: "" };
    match (before, after) {
        (Fact::Known(a), Fact::Known(b)) => return Some((a, b)),
        (Fact::Unknown(a), Fact::Unknown(b)) => at.push(
            out,
            severity,
            kind,
            Value::Unknown(a.clone()),
            Value::Unknown(b.clone()),
            format!("{kind} could not be read on either side: not compared"),
        ),
        (Fact::Known(_), Fact::Unknown(m)) => at.push(
            out,
            severity,
            kind,
            Value::known("read"),
            Value::Unknown(m.clone()),
            format!("{kind} could not be read after: none of their changes can be seen"),
        ),
        (Fact::Unknown(m), Fact::Known(_)) => at.push(
            out,
            severity,
            kind,
            Value::Unknown(m.clone()),
            Value::known("read"),
            format!("{kind} could not be read before: none of their changes can be seen"),
        ),
    }
    None
}

/// A part of the storage (multipath maps, FC ports...), as [`part`] takes
/// it, except that a part neither side's capture holds is not compared and
/// not reported: a capture made before hostlint read storage (or a copy of
/// sysfs without it) holds none of it, and saying so for every part in
/// every diff of such a capture would bury what changed. Unreadable for
/// any other reason, or on one side only, it is reported.
pub(crate) fn storage_part<'a, T>(
    out: &mut Vec<Change>,
    kind: &'static str,
    before: &'a Fact<T>,
    after: &'a Fact<T>,
) -> Option<(&'a T, &'a T)> {
    let not_captured = |f: &Fact<T>| f.missing().is_some_and(|m| m.reason == Reason::NotCaptured);
    if not_captured(before) && not_captured(after) {
        return None;
    }
    part(out, kind, Severity::Warning, before, after)
}

/// Objects of one kind listed on both sides (links, multipath maps, the
/// paths of a map...), paired by `same`. An object on one side only is a
/// change of `field`, from or to its `value`, as much as `gone` or `new`
/// say it matters and why (`None`: not said, as a row about the whole
/// says it already); what a pair changed is left to the caller.
pub(crate) struct Listed<'a, T> {
    pub kind: &'static str,
    pub field: &'static str,
    pub same: fn(&T, &T) -> bool,
    pub subject: &'a dyn Fn(&T) -> String,
    pub value: fn(&T) -> Value,
    pub gone: &'a dyn Fn(&T) -> Option<(Severity, String)>,
    pub new: &'a dyn Fn(&T) -> Option<(Severity, String)>,
}

impl<T> Listed<'_, T> {
    /// Each object before, in its order (what `pair` says of it, or that
    /// it is gone), then the new ones in theirs: a stable sort by severity
    /// then keeps every object's changes in the order the host lists them.
    pub fn compare(
        &self,
        before: &[T],
        after: &[T],
        out: &mut Vec<Change>,
        mut pair: impl FnMut(&At, &T, &T, &mut Vec<Change>),
    ) {
        for b in before {
            let subject = (self.subject)(b);
            let at = At {
                kind: self.kind,
                subject: &subject,
            };
            match after.iter().find(|a| (self.same)(b, a)) {
                Some(a) => pair(&at, b, a, out),
                None => {
                    if let Some((severity, why)) = (self.gone)(b) {
                        at.push(
                            out,
                            severity,
                            self.field,
                            (self.value)(b),
                            Value::Absent,
                            why,
                        );
                    }
                }
            }
        }
        for a in after {
            if before.iter().any(|b| (self.same)(b, a)) {
                continue;
            }
            if let Some((severity, why)) = (self.new)(a) {
                let subject = (self.subject)(a);
                At {
                    kind: self.kind,
                    subject: &subject,
                }
                .push(
                    out,
                    severity,
                    self.field,
                    Value::Absent,
                    (self.value)(a),
                    why,
                );
            }
        }
    }
}

/// Whether the two snapshots were read in the same boot, which decides
/// whether counters (carrier changes, errors, bond link failures) can be
/// subtracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boot {
    Same { basis: String },
    Rebooted { basis: String },
    Unknown { basis: String },
}

impl Boot {
    pub fn same(&self) -> bool {
        matches!(self, Boot::Same { .. })
    }

    /// `same`, `rebooted` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Boot::Same { .. } => "same",
            Boot::Rebooted { .. } => "rebooted",
            Boot::Unknown { .. } => "unknown",
        }
    }

    pub fn basis(&self) -> &str {
        match self {
            Boot::Same { basis } | Boot::Rebooted { basis } | Boot::Unknown { basis } => basis,
        }
    }
}

/// What the comparisons need beyond the two objects they compare.
pub(crate) struct Ctx<'a> {
    pub before: &'a Snapshot,
    pub after: &'a Snapshot,
    pub boot: Boot,
}

/// Every change between two snapshots, the worst first; within a
/// severity, in the order host, links, bonds, egress, routes, rules,
/// storage (multipath maps, NVMe, FC, iSCSI, SAS, SATA, md, mounts),
/// neighbours. Pure: the snapshots' route lookups are compared as they
/// are (see [`run`] for how they are made).
pub fn compare(before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    let ctx = Ctx {
        before,
        after,
        boot: boot(&before.host, &after.host),
    };
    let mut out = Vec::new();
    host::compare(&ctx, &mut out);
    link::compare(&ctx, &mut out);
    lldp::compare(&ctx, &mut out);
    bond::compare(&ctx, &mut out);
    infiniband::compare(&ctx, &mut out);
    route::compare(&ctx, &mut out);
    rule::compare(&ctx, &mut out);
    multipath::compare(&ctx, &mut out);
    nvme::compare(&ctx, &mut out);
    fc::compare(&ctx, &mut out);
    iscsi::compare(&ctx, &mut out);
    sas::compare(&ctx, &mut out);
    ata::compare(&ctx, &mut out);
    mdraid::compare(&ctx, &mut out);
    mount::compare(&ctx, &mut out);
    neighbor::compare(&ctx, &mut out);
    // A stable sort keeps each object's changes together within a severity.
    out.sort_by_key(|c| c.severity);
    out
}

/// One side of a diff as the operator named it, with what its capture
/// says of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SideInfo {
    /// `live`, or the capture's path as given.
    pub source: String,
    pub hostname: Option<String>,
    /// When the capture was taken; for `live`, when it was read.
    pub captured_at: Option<String>,
    pub label: Option<String>,
}

impl SideInfo {
    pub fn of(shown: &str, source: &Source, snapshot: &Snapshot) -> SideInfo {
        let manifest = source.manifest();
        SideInfo {
            source: shown.to_owned(),
            hostname: snapshot
                .host
                .hostname
                .known()
                .cloned()
                .or_else(|| manifest.and_then(|m| m.hostname.clone())),
            captured_at: if source.is_live() {
                Some(crate::capture::rfc3339_now())
            } else {
                manifest
                    .map(|m| m.captured_at.clone())
                    .filter(|t| !t.is_empty())
            },
            label: manifest.and_then(|m| m.label.clone()),
        }
    }
}

/// A diff as reported: both sides, the boot, the destinations whose
/// egress was compared, and the changes shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub before: SideInfo,
    pub after: SideInfo,
    pub boot: Boot,
    /// The destinations whose egress was resolved on both sides.
    pub destinations: Vec<String>,
    pub changes: Vec<Change>,
    /// Routine (info) changes left out; `--all` shows them.
    pub hidden: usize,
    /// The reads of either side that the deadline abandoned.
    pub abandoned: Vec<String>,
}

impl Diff {
    /// 2 for a critical change; 3 when the deadline abandoned reads, since
    /// a side not read whole may hide a change, and its warnings may be no
    /// more than the unread facts; 1 for a warning; 0 when nothing that
    /// matters changed (routine changes never count).
    pub fn exit_code(&self) -> u8 {
        match self.changes.iter().map(|c| c.severity).min() {
            Some(Severity::Critical) => 2,
            _ if !self.abandoned.is_empty() => 3,
            Some(Severity::Warning) => 1,
            _ => 0,
        }
    }

    /// The exit code in words, as Nagios plugins write it.
    pub fn verdict(&self) -> &'static str {
        match self.exit_code() {
            2 => "CRITICAL",
            3 => "UNKNOWN",
            1 => "WARNING",
            _ => "OK",
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == severity)
            .count()
    }
}

/// The destinations every diff resolves: the default routes.
pub fn default_flows() -> Vec<Flow> {
    ["0.0.0.0/0", "::/0"]
        .iter()
        .filter_map(|p| Prefix::parse(p))
        .map(|to| Flow {
            to,
            from: None,
            fwmark: None,
        })
        .collect()
}

/// How a destination is named in a change.
pub fn flow_name(flow: &Flow) -> String {
    let mut s = if flow.to.len == 0 {
        format!("default ({})", flow.to)
    } else if flow.to.is_host() {
        flow.to.addr.to_string()
    } else {
        flow.to.to_string()
    };
    if let Some(from) = flow.from {
        s.push_str(&format!(" from {from}"));
    }
    if let Some(mark) = flow.fwmark {
        s.push_str(&format!(" fwmark {mark:#x}"));
    }
    s
}

/// Reads both sides and compares them. The policies' `checks` add to
/// what is compared: the destinations of their route checks (besides the
/// default routes), and the mount points their mount checks probe.
///
/// Both sides resolve the destinations the same way, through their own
/// rules and tables ([`collect::table_lookups`]): a capture has no kernel
/// to ask, and comparing the live kernel's answer with a table walk would
/// report the difference between two methods as a change on the host.
/// Each side probes its own mount points (a capture keeps no answer, and
/// is then not compared): a mount that stopped answering is the last
/// fault of the incident.
/// Why two sides are not compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A side holds nothing hostlint reads: every change would be "could
    /// not be read".
    Empty { side: String, why: String },
    /// The sides are two different hosts (other names, no boot id in
    /// common): their differences are not a maintenance's changes.
    OtherHost {
        before: String,
        after: String,
        why: String,
    },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Empty { side, why } => {
                write!(
                    f,
                    "{side} holds nothing hostlint reads ({why}): not compared"
                )
            }
            Refused::OtherHost { before, after, why } => write!(
                f,
                "{before} and {after} are two different hosts ({why}): not compared; \
                 give --other-host to compare them anyway"
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// What `run` may compare.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Show routine changes too.
    pub all: bool,
    /// Compare two different hosts rather than refuse.
    pub other_host: bool,
}

pub fn run(
    before: (&str, &Source),
    after: (&str, &Source),
    checks: &[&Check],
    options: Options,
) -> Result<Diff, Refused> {
    let mut wanted = default_flows();
    for f in check::flows(checks.iter().copied()) {
        if !wanted.contains(&f) {
            wanted.push(f);
        }
    }
    let read = |source: &Source| {
        let mut s = collect::snapshot(source, Scope::ALL);
        s.route_lookups = collect::table_lookups(&s, &wanted);
        let probes = check::mount_probes(checks.iter().copied(), &s);
        s.storage.mount_probes = collect::mount_probes(source, &probes);
        s
    };
    let (b, a) = (read(before.1), read(after.1));
    for ((side, _), snap) in [(before, &b), (after, &a)] {
        if let Some(m) = snap.holds_nothing() {
            return Err(Refused::Empty {
                side: side.to_owned(),
                why: m.detail.clone(),
            });
        }
    }
    if let (Some(why), false) = (host::other_host(&b.host, &a.host), options.other_host) {
        return Err(Refused::OtherHost {
            before: before.0.to_owned(),
            after: after.0.to_owned(),
            why,
        });
    }
    let mut changes = compare(&b, &a);
    let total = changes.len();
    if !options.all {
        changes.retain(|c| c.severity != Severity::Info);
    }
    Ok(Diff {
        before: SideInfo::of(before.0, before.1, &b),
        after: SideInfo::of(after.0, after.1, &a),
        boot: boot(&b.host, &a.host),
        destinations: wanted.iter().map(flow_name).collect(),
        hidden: total - changes.len(),
        changes,
        abandoned: [before.1.abandoned(), after.1.abandoned()].concat(),
    })
}

/// Speed as NIC datasheets write it: `10G`, `2.5G`, `100M`.
pub(crate) fn speed(mbps: u32) -> String {
    match mbps {
        m if m >= 1000 && m % 1000 == 0 => format!("{}G", m / 1000),
        m if m >= 1000 => format!("{:.1}G", f64::from(m) / 1000.0),
        m => format!("{m}M"),
    }
}

/// Snapshots to compare in unit tests: the bundled healthy load balancer,
/// read as `hostlint diff` reads a side, and changed in code.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use super::{Change, Severity, compare, default_flows};
    use crate::collect::{self, Scope};
    use crate::snapshot::{Bond, Fact, Link, RouteEntry, RouteTable, Snapshot};
    use crate::source::Source;

    pub fn lb_healthy() -> Snapshot {
        fixture("lb-healthy")
    }

    /// The bundled healthy SAN-attached node: multipath, NVMe, FC, iSCSI,
    /// SAS, SATA, md and mounts.
    pub fn san_healthy() -> Snapshot {
        fixture("san-healthy")
    }

    fn fixture(name: &str) -> Snapshot {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        let source = Source::fixture(&dir).expect("a bundled fixture");
        let mut s = collect::snapshot(&source, Scope::ALL);
        s.route_lookups = collect::table_lookups(&s, &default_flows());
        s
    }

    /// Recomputes the route lookups after a test changed routes or rules.
    pub fn relookup(s: &mut Snapshot) {
        let flows: Vec<_> = s
            .route_lookups
            .iter()
            .map(|l| crate::collect::resolve::Flow {
                to: l.to,
                from: l.from,
                fwmark: l.fwmark,
            })
            .collect();
        s.route_lookups = collect::table_lookups(s, &flows);
    }

    pub fn link<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut Link {
        let Fact::Known(links) = &mut s.links else {
            panic!("links unknown")
        };
        links
            .iter_mut()
            .find(|l| l.iface.name == name)
            .unwrap_or_else(|| panic!("no link {name}"))
    }

    pub fn bond<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut Bond {
        let Fact::Known(bonds) = &mut s.bonds else {
            panic!("bonds unknown")
        };
        bonds
            .iter_mut()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no bond {name}"))
    }

    /// The routes rewritten by `f` (`None` drops a route).
    pub fn map_routes(s: &mut Snapshot, f: impl Fn(RouteEntry) -> Option<RouteEntry>) {
        let Fact::Known(old) = &s.routes else {
            panic!("routes unknown")
        };
        let mut t = RouteTable::default();
        for e in old.entries() {
            if let Some(e) = f(e) {
                t.push(e).expect("a valid route");
            }
        }
        s.routes = Fact::Known(t);
        relookup(s);
    }

    /// Each change as (severity, "kind subject", field).
    pub fn rows(before: &Snapshot, after: &Snapshot) -> Vec<(Severity, String, String)> {
        compare(before, after)
            .into_iter()
            .map(|c: Change| {
                let object = if c.subject.is_empty() {
                    c.kind.to_owned()
                } else {
                    format!("{} {}", c.kind, c.subject)
                };
                (c.severity, object, c.field)
            })
            .collect()
    }

    /// Each change as (severity, field), for a test that changed one object.
    pub fn fields(changes: &[Change]) -> Vec<(Severity, &str)> {
        changes
            .iter()
            .map(|c| (c.severity, c.field.as_str()))
            .collect()
    }

    pub fn row(severity: Severity, object: &str, field: &str) -> (Severity, String, String) {
        (severity, object.to_owned(), field.to_owned())
    }

    /// san-healthy rebooted: it keeps no boot id, so its uptime says so.
    pub fn reboot(s: &mut Snapshot) {
        s.host.uptime_seconds = Fact::Known(600.0);
    }

    /// What a reboot of san-healthy shows, and nothing else: no counter
    /// is compared across it.
    pub fn rebooted_rows() -> Vec<(Severity, String, String)> {
        vec![
            row(Severity::Warning, "host san-01", "boot"),
            row(Severity::Info, "host san-01", "uptime"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn a_snapshot_against_itself_changes_nothing() {
        let s = lb_healthy();
        assert_eq!(compare(&s, &s), vec![]);
    }

    #[test]
    fn the_worst_comes_first_and_routine_last() {
        let b = lb_healthy();
        let mut a = b.clone();
        a.host.uptime_seconds = Fact::Known(1_728_600.0);
        link(&mut a, "eno1").iface.mtu = Fact::Known(9000);
        link(&mut a, "enp65s0f0").speed_mbps = Fact::Known(1000);
        let severities: Vec<Severity> = compare(&b, &a).iter().map(|c| c.severity).collect();
        assert_eq!(
            severities,
            [Severity::Critical, Severity::Warning, Severity::Info]
        );
    }

    #[test]
    fn exit_codes_follow_the_worst_change_shown() {
        let b = lb_healthy();
        let diff = |changes: Vec<Change>| Diff {
            before: SideInfo {
                source: "a".into(),
                hostname: None,
                captured_at: None,
                label: None,
            },
            after: SideInfo {
                source: "b".into(),
                hostname: None,
                captured_at: None,
                label: None,
            },
            boot: boot(&b.host, &b.host),
            destinations: vec![],
            changes,
            hidden: 0,
            abandoned: vec![],
        };
        let change = |severity| Change {
            severity,
            kind: "link",
            subject: "x".into(),
            field: "f".into(),
            before: Value::Absent,
            after: Value::Absent,
            why: String::new(),
        };
        assert_eq!(diff(vec![]).exit_code(), 0);
        assert_eq!(diff(vec![change(Severity::Info)]).exit_code(), 0);
        assert_eq!(diff(vec![change(Severity::Warning)]).exit_code(), 1);
        assert_eq!(
            diff(vec![change(Severity::Warning), change(Severity::Critical)]).exit_code(),
            2
        );
        let cut_short = |changes| Diff {
            abandoned: vec!["sys/class/net/eno1/speed".into()],
            ..diff(changes)
        };
        assert_eq!(cut_short(vec![]).exit_code(), 3);
        assert_eq!(cut_short(vec![change(Severity::Warning)]).exit_code(), 3);
        assert_eq!(
            cut_short(vec![change(Severity::Warning)]).verdict(),
            "UNKNOWN"
        );
        assert_eq!(cut_short(vec![change(Severity::Critical)]).exit_code(), 2);
    }

    #[test]
    fn unknown_values_serialize_with_their_reason() {
        let v = Value::Unknown(Missing::new(crate::snapshot::Reason::LinkDown, "eno2"));
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"unknown":"link_down","detail":"eno2"}"#
        );
        assert_eq!(serde_json::to_string(&Value::Absent).unwrap(), "null");
        assert_eq!(
            serde_json::to_string(&Value::known("10G")).unwrap(),
            "\"10G\""
        );
    }

    #[test]
    fn a_part_read_on_one_side_only_is_reported() {
        let b = lb_healthy();
        let mut a = b.clone();
        a.routes = Fact::unknown(crate::snapshot::Reason::Permission, "RTM_GETROUTE");
        a.neighbors = Fact::unknown(crate::snapshot::Reason::Permission, "RTM_GETNEIGH");
        relookup(&mut a);
        let rows = rows(&b, &a);
        assert!(
            rows.contains(&row(Severity::Warning, "routes", "routes")),
            "{rows:?}"
        );
        // The lookups were made from the unreadable table: unknown too.
        assert!(
            rows.contains(&row(
                Severity::Warning,
                "egress default (0.0.0.0/0)",
                "egress"
            )),
            "{rows:?}"
        );
        assert!(
            rows.contains(&row(Severity::Info, "neighbors", "neighbors")),
            "{rows:?}"
        );
    }
}
