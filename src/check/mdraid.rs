//! `mdraid`: md arrays not degraded, not inactive, no faulty member.

use super::select::{Decide, Each, Select, count};
use super::{FieldDoc, Judgement, KindDoc, counter_judgements};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::{Counter, Num, Text};
use crate::policy::yaml::Node;
use crate::snapshot::values::{MD_ARRAY_STATES, MD_LEVELS};
use crate::snapshot::{Fact, MdArray, MdSync, Snapshot};
use crate::state;

pub const DOC: KindDoc = KindDoc {
    name: "mdraid",
    summary: "md RAID arrays: not degraded, not inactive, no faulty member, no rebuild under way",
    what: "Selects md arrays by name or level and checks that they are not degraded (a \
           rebuild under way counts as degraded until it ends), their state (not `inactive`), \
           how many members are faulty or spare, the level, whether a resync, rebuild or \
           reshape is running, and the mismatches the last scrub found. Facts come from sysfs where it has the array (it wins over \
           /proc/mdstat: see docs/policy.md).",
    why: "A RAID 1 that lost a disk keeps the host up on the other one: nothing fails until \
          the second disk does. A degraded array is one fault from data loss, and a rebuild \
          is the time that fault is likeliest.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which arrays: `name` (md0, \"md*\"), `level` (raid1, raid5, ...); text matchers",
        },
        FieldDoc {
            name: "expect.degraded",
            doc: "false: every member slot holds a working member (a level without redundancy, raid0 or linear, is never degraded)",
        },
        FieldDoc {
            name: "expect.state",
            doc: "the array state: clean, active, readonly, inactive, ... (text matcher): `{ not_in: [inactive, broken] }`",
        },
        FieldDoc {
            name: "expect.faulty",
            doc: "how many members are marked faulty (number matcher)",
        },
        FieldDoc {
            name: "expect.spares",
            doc: "how many spare members (number matcher)",
        },
        FieldDoc {
            name: "expect.syncing",
            doc: "false: no resync, recovery or reshape under way (a scheduled `check` is not syncing)",
        },
        FieldDoc {
            name: "expect.mismatch_cnt",
            doc: "a counter matcher on the sectors the last check or repair found to differ between copies (sysfs only): `0`, or with --state `{ max_increase: 0 }`",
        },
        FieldDoc {
            name: "expect.level",
            doc: "raid1, raid5, raid6, raid10, raid0, linear (text matcher)",
        },
    ],
    example: r#"- id: arrays-whole
  description: No md array degraded or stopped.
  mdraid:
    select: { name: "md*" }
    expect:
      degraded: false
      state: { not_in: [inactive, broken] }
      faulty: 0"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone)]
pub enum Expect {
    Degraded(bool),
    State(Text),
    Faulty(Num),
    Spares(Num),
    Syncing(bool),
    Level(Text),
    MismatchCount(Counter),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

const EXPECT_KEYS: &[&str] = &[
    "degraded",
    "state",
    "faulty",
    "spares",
    "syncing",
    "level",
    "mismatch_cnt",
];

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "an mdraid check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "an mdraid check");
    let exp = f.required(ctx, "expect", "an mdraid check");
    let select = Select::parse_with_words(
        ctx,
        sel?,
        "an mdraid selector",
        &["name", "level"],
        &[],
        &[("level", &MD_LEVELS)],
    );
    let e = exp?;
    let x = Fields::new(ctx, e, "an mdraid expectation", EXPECT_KEYS)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "degraded" => boolean(ctx, n, "true or false").map(Expect::Degraded),
            "state" => Text::parse_words(ctx, n, &MD_ARRAY_STATES).map(Expect::State),
            "faulty" => Num::parse(ctx, n, "faulty", None).map(Expect::Faulty),
            "spares" => Num::parse(ctx, n, "spares", None).map(Expect::Spares),
            "syncing" => boolean(ctx, n, "true or false").map(Expect::Syncing),
            "level" => Text::parse_words(ctx, n, &MD_LEVELS).map(Expect::Level),
            "mismatch_cnt" => Counter::parse(ctx, n, "mismatch_cnt").map(Expect::MismatchCount),
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "an mdraid expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_DEGRADED: &str = "the array runs without redundancy: replace the failed disk and add it back (`mdadm --manage ... --add`); watch the rebuild in /proc/mdstat";
const HINT_STATE: &str =
    "the array is not running as it should: see `mdadm --detail` and the kernel log";
const HINT_SYNC: &str =
    "a resync, rebuild or reshape is under way: the array is at risk and slow until it ends";
const HINT_CONFIG: &str = "the array's configuration differs from the policy";
const HINT_MISMATCH: &str = "the copies of the array differ: a disk or controller returning bad data, or writes lost in a crash; see `mdadm --detail`, the disks' SMART data, then `echo repair > md/sync_action`";

fn sync_text(s: &Option<MdSync>) -> String {
    match s {
        None => "idle".into(),
        Some(MdSync {
            action,
            done_percent: Some(p),
        }) => format!("{action} {p:.1}% done"),
        Some(MdSync { action, .. }) => format!("{action}, no progress figure"),
    }
}

fn flagged(a: &MdArray, flag: &str) -> (Fact<usize>, String) {
    match &a.members {
        Fact::Known(ms) => {
            let hit: Vec<&str> = ms
                .iter()
                .filter(|m| m.state.iter().any(|s| s == flag))
                .map(|m| m.device.as_str())
                .collect();
            (Fact::Known(hit.len()), hit.join(", "))
        }
        Fact::Unknown(m) => (Fact::Unknown(m.clone()), String::new()),
    }
}

fn judge(a: &MdArray, expect: &[Expect], snap: &Snapshot, ev: &str) -> Vec<Judgement> {
    let mut out = Vec::new();
    for e in expect {
        let one = match e {
            Expect::Degraded(want) => {
                let level = a.level.known().cloned().unwrap_or_default();
                let both: Fact<(Option<u32>, String)> = a.degraded.clone().map(|d| {
                    let sync = a.sync.known().map(sync_text).unwrap_or_default();
                    (d, sync)
                });
                Judgement::of(
                    "degraded",
                    &both,
                    want,
                    ev,
                    HINT_DEGRADED,
                    |(d, _)| (d.unwrap_or(0) > 0) == *want,
                    |(d, sync)| match d {
                        None => format!("false (no redundancy: {level})"),
                        Some(0) => "false".into(),
                        Some(n) => {
                            let disks = a
                                .raid_disks
                                .known()
                                .map_or(String::new(), |d| format!(" of {d}"));
                            let sync = if sync.is_empty() || sync == "idle" {
                                String::new()
                            } else {
                                format!("; {sync}")
                            };
                            format!("true ({n}{disks} members missing{sync})")
                        }
                    },
                )
            }
            Expect::State(t) => Judgement::text("state", &a.state, t, ev, HINT_STATE),
            Expect::Level(t) => Judgement::text("level", &a.level, t, ev, HINT_CONFIG),
            Expect::Faulty(n) => {
                let (c, shown) = flagged(a, "faulty");
                count("faulty members", c, n, &shown, ev, HINT_DEGRADED)
            }
            Expect::Spares(n) => {
                let (c, shown) = flagged(a, "spare");
                count("spare members", c, n, &shown, ev, HINT_DEGRADED)
            }
            Expect::Syncing(want) => Judgement::of(
                "syncing",
                &a.sync,
                want,
                ev,
                HINT_SYNC,
                |s| {
                    let busy = s.as_ref().is_some_and(|s| {
                        matches!(s.action.as_str(), "resync" | "recover" | "reshape")
                    });
                    busy == *want
                },
                sync_text,
            ),
            Expect::MismatchCount(m) => {
                out.extend(counter_judgements(
                    "mismatch_cnt",
                    &a.mismatch_count,
                    &state::md_key(&a.name),
                    m,
                    &snap.history,
                    ev,
                    HINT_MISMATCH,
                ));
                continue;
            }
        };
        out.push(one);
    }
    out
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let each = Each {
        check,
        what: "md array",
        items: &snap.storage.md,
        evidence: vec![snap.origin.file("proc/mdstat")],
        select: &spec.select,
    };
    each.findings(
        |a| {
            Decide::new(&spec.select)
                .text("name", Fact::Known(&a.name))
                .text("level", a.level.as_ref().map(String::as_str))
                .result()
        },
        |a| a.name.clone(),
        |a| judge(a, &spec.expect, snap, &snap.origin.file(&a.source)),
    )
}
