//! `multipath`: every LUN on enough active paths, none failed, and the
//! paths spread over more than one HBA: all paths behind one cable are one
//! point of failure.

use std::collections::BTreeMap;

use super::select::{Decide, Each, Select, count, each_number};
use super::{FieldDoc, Judgement, KindDoc};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::Num;
use crate::policy::yaml::Node;
use crate::snapshot::{
    FROM_TARGET, Fact, Missing, MultipathMap, MultipathPath, PATH_ACTIVE, PATH_FAILED, Snapshot,
};

pub const DOC: KindDoc = KindDoc {
    name: "multipath",
    summary: "multipath maps: active paths, no failed path, paths over several HBAs, fail counts",
    what: "Selects device-mapper multipath maps by name, WWID, vendor or model and checks \
           the state of their paths as the kernel's multipath target reports it (the status \
           line `dmsetup status` prints): how many paths, how many active, how many failed, \
           how often each path failed, over how many HBAs (SCSI hosts) and adapters (PCI \
           functions) the active paths run, queue_if_no_path, and that the map is not \
           suspended. Where the status line cannot be read (no CAP_SYS_ADMIN), path states \
           come from the SCSI device state and the finding says so.",
    why: "A loose drive-array cable shows first as paths failing and recovering, then as a \
          map down to one path; the LUN still works, so nothing alarms, until the last path \
          goes and the array is offline. Paths that all run through one HBA or one cable \
          are a single point of failure even when all are up.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which maps: `name` (`mpatha`, \"mpath*\"), `wwid`, `vendor`, `model` (of the paths' SCSI devices); text matchers, all given must match",
        },
        FieldDoc {
            name: "expect.paths",
            doc: "how many paths the map has, whatever their state (number matcher)",
        },
        FieldDoc {
            name: "expect.active_paths",
            doc: "how many paths are active (number matcher): `{ min: 2 }`",
        },
        FieldDoc {
            name: "expect.failed_paths",
            doc: "how many paths are failed (number matcher): `0`",
        },
        FieldDoc {
            name: "expect.hbas",
            doc: "over how many HBA ports (SCSI hosts) the active paths run (number matcher): `{ min: 2 }`",
        },
        FieldDoc {
            name: "expect.adapters",
            doc: "over how many adapters (PCI functions) the active paths run (number matcher)",
        },
        FieldDoc {
            name: "expect.fail_count",
            doc: "each path's fail count since the map was loaded (number matcher): a path that fails and recovers again and again has a loose cable",
        },
        FieldDoc {
            name: "expect.queue_if_no_path",
            doc: "true or false: whether I/O waits when every path has failed",
        },
        FieldDoc {
            name: "expect.suspended",
            doc: "true or false (a suspended map holds all I/O)",
        },
    ],
    example: r#"- id: luns-redundant
  description: Every LUN on two active paths or more, through two HBAs, none failed.
  multipath:
    select: { name: "*" }
    expect:
      active_paths: { min: 2 }
      failed_paths: 0
      hbas: { min: 2 }
      fail_count: { max: 5 }
      suspended: false"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone)]
pub enum Expect {
    Paths(Num),
    ActivePaths(Num),
    FailedPaths(Num),
    Hbas(Num),
    Adapters(Num),
    FailCount(Num),
    QueueIfNoPath(bool),
    Suspended(bool),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

const EXPECT_KEYS: &[&str] = &[
    "paths",
    "active_paths",
    "failed_paths",
    "hbas",
    "adapters",
    "fail_count",
    "queue_if_no_path",
    "suspended",
];

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a multipath check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "a multipath check");
    let exp = f.required(ctx, "expect", "a multipath check");
    let select = Select::parse(
        ctx,
        sel?,
        "a multipath selector",
        &["name", "wwid", "vendor", "model"],
        &[],
    );
    let e = exp?;
    let x = Fields::new(ctx, e, "a multipath expectation", EXPECT_KEYS)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let num = |ctx: &mut Ctx| Num::parse(ctx, n, &key.name, None);
        let parsed = match key.name.as_str() {
            "paths" => num(ctx).map(Expect::Paths),
            "active_paths" => num(ctx).map(Expect::ActivePaths),
            "failed_paths" => num(ctx).map(Expect::FailedPaths),
            "hbas" => num(ctx).map(Expect::Hbas),
            "adapters" => num(ctx).map(Expect::Adapters),
            "fail_count" => num(ctx).map(Expect::FailCount),
            "queue_if_no_path" => boolean(ctx, n, "true or false").map(Expect::QueueIfNoPath),
            "suspended" => boolean(ctx, n, "true or false").map(Expect::Suspended),
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "a multipath expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_PATHS: &str = "a path is down: check the cable, SFP and switch port of its HBA, the array port it reaches, and `multipath -ll`";
const HINT_SPREAD: &str = "the active paths run through too few HBAs: one cable or HBA failing takes the LUN offline; cable and zone both HBAs to the array";
const HINT_FAILS: &str = "a path keeps failing and recovering: a loose or damaged cable or SFP; reseat or replace it before it stays down";
const HINT_CONFIG: &str =
    "the map's configuration differs from the policy: see multipath.conf and `multipath -ll`";

fn state(p: &MultipathPath) -> Option<&str> {
    p.state.known().map(String::as_str)
}

/// The paths, with what the finding must say about where their states
/// came from.
fn paths_of(m: &MultipathMap) -> Fact<(&[MultipathPath], String)> {
    m.paths.as_ref().map(|p| {
        let note = if m.path_states_from == FROM_TARGET {
            String::new()
        } else {
            let why = m
                .status
                .missing()
                .map_or(String::new(), |w| format!(": {w}"));
            format!(" [by SCSI device state; the multipath status line could not be read{why}]")
        };
        (p.as_slice(), note)
    })
}

/// Paths counted by a predicate: unknown when a path's state is unknown.
/// Returns the count, the paths counted, and the note on where the states
/// came from.
fn counted(
    m: &MultipathMap,
    keep: impl Fn(&MultipathPath) -> bool,
) -> (Fact<usize>, String, String) {
    match paths_of(m) {
        Fact::Unknown(miss) => (Fact::Unknown(miss), String::new(), String::new()),
        Fact::Known((paths, note)) => {
            if let Some(p) = paths.iter().find(|p| p.state.known().is_none()) {
                let miss = p.state.missing().cloned().unwrap_or_else(|| {
                    Missing::new(crate::snapshot::Reason::Failed, "unknown path state")
                });
                return (Fact::Unknown(miss), String::new(), note);
            }
            let kept: Vec<&str> = paths
                .iter()
                .filter(|p| keep(p))
                .map(|p| p.device.as_str())
                .collect();
            (Fact::Known(kept.len()), kept.join(", "), note)
        }
    }
}

/// A count of paths judged, with the note on where their states came from.
fn paths_count(
    what: &str,
    (n, shown, note): (Fact<usize>, String, String),
    m: &Num,
    ev: &str,
    hint: &'static str,
) -> Judgement {
    let mut j = count(what, n, m, &shown, ev, hint);
    j.observed.push_str(&note);
    j
}

/// The distinct HBAs (or adapters) the active paths run through.
fn spread(
    m: &MultipathMap,
    of: fn(&MultipathPath) -> &Fact<Option<String>>,
) -> (Fact<usize>, String, String) {
    let (paths, note) = match paths_of(m) {
        Fact::Unknown(miss) => return (Fact::Unknown(miss), String::new(), String::new()),
        Fact::Known(p) => p,
    };
    let mut by: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for p in paths.iter().filter(|p| state(p) == Some(PATH_ACTIVE)) {
        match of(p) {
            Fact::Known(Some(h)) => by.entry(h.clone()).or_default().push(&p.device),
            Fact::Known(None) => by.entry("(none)".into()).or_default().push(&p.device),
            Fact::Unknown(miss) => return (Fact::Unknown(miss.clone()), String::new(), note),
        }
    }
    by.remove("(none)");
    let shown = by
        .iter()
        .map(|(h, ps)| format!("{h}: {}", ps.join(" ")))
        .collect::<Vec<_>>()
        .join("; ");
    (Fact::Known(by.len()), shown, note)
}

fn judge(m: &MultipathMap, expect: &[Expect], snap: &Snapshot) -> Vec<Judgement> {
    let ev = snap.origin.dm_status.as_str();
    let sysfs =
        m.dm.as_ref()
            .map(|dm| snap.origin.file(&format!("sys/block/{dm}")));
    let mut out: Vec<Judgement> = expect
        .iter()
        .map(|e| match e {
            Expect::Paths(n) => paths_count("paths", counted(m, |_| true), n, ev, HINT_PATHS),
            Expect::ActivePaths(n) => paths_count(
                "active paths",
                counted(m, |p| state(p) == Some(PATH_ACTIVE)),
                n,
                ev,
                HINT_PATHS,
            ),
            Expect::FailedPaths(n) => paths_count(
                "failed paths",
                counted(m, |p| state(p) == Some(PATH_FAILED)),
                n,
                ev,
                HINT_PATHS,
            ),
            Expect::Hbas(n) => paths_count(
                "HBAs carrying active paths",
                spread(m, |p| &p.scsi_host),
                n,
                ev,
                HINT_SPREAD,
            ),
            Expect::Adapters(n) => paths_count(
                "adapters carrying active paths",
                spread(m, |p| &p.adapter),
                n,
                ev,
                HINT_SPREAD,
            ),
            Expect::FailCount(n) => match &m.paths {
                Fact::Known(paths) => each_number(
                    "path fail count",
                    paths
                        .iter()
                        .map(|p| (p.device.as_str(), p.fail_count.clone().map(|v| v as f64))),
                    n,
                    "",
                    ev,
                    HINT_FAILS,
                ),
                Fact::Unknown(miss) => Judgement::of(
                    "path fail count",
                    &Fact::<()>::Unknown(miss.clone()),
                    n,
                    ev,
                    HINT_FAILS,
                    |_| false,
                    |_| String::new(),
                ),
            },
            Expect::QueueIfNoPath(want) => Judgement::flag(
                "queue_if_no_path",
                &m.queue_if_no_path,
                *want,
                ev,
                HINT_CONFIG,
            ),
            Expect::Suspended(want) => {
                Judgement::flag("suspended", &m.suspended, *want, ev, HINT_CONFIG)
            }
        })
        .collect();
    if let Some(s) = sysfs {
        for j in &mut out {
            j.evidence.push(s.clone());
        }
    }
    out
}

/// The vendor or model of a map's paths, as the first path with a SCSI
/// device says.
fn path_fact(
    m: &MultipathMap,
    f: fn(&crate::snapshot::ScsiDevice) -> &Fact<String>,
    snap: &Snapshot,
) -> Fact<String> {
    let Fact::Known(paths) = &m.paths else {
        return Fact::Unknown(
            m.paths
                .missing()
                .cloned()
                .unwrap_or_else(|| Missing::new(crate::snapshot::Reason::Failed, "no paths")),
        );
    };
    if let Fact::Unknown(m) = &snap.storage.block {
        return Fact::Unknown(m.clone());
    }
    for p in paths {
        if let Some(b) = snap.storage.block_device(&p.device) {
            match &b.scsi {
                Fact::Known(Some(scsi)) => return f(scsi).clone(),
                Fact::Known(None) => {}
                Fact::Unknown(m) => return Fact::Unknown(m.clone()),
            }
        }
    }
    Fact::unknown(
        crate::snapshot::Reason::NotSupported,
        format!("{} has no SCSI path to tell it", m.name),
    )
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let each = Each {
        check,
        what: "multipath map",
        items: &snap.storage.multipath,
        evidence: vec![
            snap.origin.file("sys/block/dm-*/dm/uuid"),
            snap.origin.dm_status.clone(),
        ],
        select: &spec.select,
    };
    each.findings(
        |m| {
            if let Some(why) = &m.untold {
                return Err(format!("name unknown: {why}"));
            }
            let vendor = path_fact(m, |s| &s.vendor, snap);
            let model = path_fact(m, |s| &s.model, snap);
            Decide::new(&spec.select)
                .text("name", Fact::Known(&m.name))
                .text("wwid", m.wwid.as_ref().map(String::as_str))
                .text("vendor", vendor.as_ref().map(String::as_str))
                .text("model", model.as_ref().map(String::as_str))
                .result()
        },
        |m| m.name.clone(),
        |m| judge(m, &spec.expect, snap),
    )
}
