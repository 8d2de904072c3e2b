//! `nvme`: NVMe subsystems reached through enough live controllers, and an
//! optimized ANA path to every namespace.

use super::select::{Decide, Each, Select, count, count_between};
use super::{FieldDoc, Judgement, KindDoc};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields};
use crate::policy::matcher::{Num, Text};
use crate::policy::yaml::Node;
use crate::snapshot::values::{NVME_CONTROLLER_STATES, NVME_IOPOLICIES, NVME_TRANSPORTS};
use crate::snapshot::{Fact, Missing, NvmeController, NvmeSubsystem, Snapshot};

pub const DOC: KindDoc = KindDoc {
    name: "nvme",
    summary: "NVMe subsystems: live controllers, an optimized ANA path to every namespace",
    what: "Selects NVMe subsystems by name, NQN or model and checks how many of their \
           controllers (each one a path) are live, how many there are, the transport and \
           the native multipath I/O policy, and that every namespace has enough paths in \
           the ANA state `optimized` through a live controller.",
    why: "With NVMe over fabrics each controller is a path to the array: a controller stuck \
          `connecting` after a cable or port fault leaves the namespace on fewer paths; a \
          namespace whose only optimized path is gone still works, slower, through a \
          non-optimized one, and fails with the next fault.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which subsystems: `name` (nvme-subsys0), `nqn`, `model`; text matchers",
        },
        FieldDoc {
            name: "expect.live_controllers",
            doc: "how many controllers are `live` (number matcher)",
        },
        FieldDoc {
            name: "expect.controllers",
            doc: "how many controllers the subsystem has (number matcher)",
        },
        FieldDoc {
            name: "expect.optimized_paths",
            doc: "on every namespace, how many paths are ANA `optimized` through a live controller (number matcher): `{ min: 1 }`",
        },
        FieldDoc {
            name: "expect.transport",
            doc: "every controller's transport: pcie, fc, tcp, rdma (text matcher)",
        },
        FieldDoc {
            name: "expect.firmware",
            doc: "every controller's firmware revision (text matcher): `{ not_in: [\"1B2QEXP7\"] }` for a revision known to be bad",
        },
        FieldDoc {
            name: "expect.controller_state",
            doc: "every controller's state: live, connecting, resetting, deleting, dead, new (text matcher)",
        },
        FieldDoc {
            name: "expect.iopolicy",
            doc: "the native multipath I/O policy: numa, round-robin, queue-depth (text matcher)",
        },
    ],
    example: r#"- id: nvme-fabric-paths
  description: Every NVMe namespace of the array on two live controllers, one optimized.
  nvme:
    select: { model: "*PowerStore*" }
    expect:
      live_controllers: { min: 2 }
      optimized_paths: { min: 1 }
      iopolicy: round-robin"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone)]
pub enum Expect {
    LiveControllers(Num),
    Controllers(Num),
    OptimizedPaths(Num),
    Transport(Text),
    Iopolicy(Text),
    Firmware(Text),
    ControllerState(Text),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

const EXPECT_KEYS: &[&str] = &[
    "live_controllers",
    "controllers",
    "optimized_paths",
    "transport",
    "iopolicy",
    "firmware",
    "controller_state",
];

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "an nvme check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "an nvme check");
    let exp = f.required(ctx, "expect", "an nvme check");
    let select = Select::parse(
        ctx,
        sel?,
        "an nvme selector",
        &["name", "nqn", "model"],
        &[],
    );
    let e = exp?;
    let x = Fields::new(ctx, e, "an nvme expectation", EXPECT_KEYS)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "live_controllers" => Num::parse(ctx, n, &key.name, None).map(Expect::LiveControllers),
            "controllers" => Num::parse(ctx, n, &key.name, None).map(Expect::Controllers),
            "optimized_paths" => Num::parse(ctx, n, &key.name, None).map(Expect::OptimizedPaths),
            "transport" => Text::parse_words(ctx, n, &NVME_TRANSPORTS).map(Expect::Transport),
            "iopolicy" => Text::parse_words(ctx, n, &NVME_IOPOLICIES).map(Expect::Iopolicy),
            "firmware" => Text::parse(ctx, n, "a firmware revision").map(Expect::Firmware),
            "controller_state" => {
                Text::parse_words(ctx, n, &NVME_CONTROLLER_STATES).map(Expect::ControllerState)
            }
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "an nvme expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_CTRL: &str = "a controller is not live: check the fabric path to that array port (cable, HBA or NIC port, switch), and `nvme list-subsys`";
const HINT_ANA: &str = "a namespace has too few optimized paths: the array's owning controller is unreachable or failing over; check `nvme list-subsys` and the array";
const HINT_CONFIG: &str = "the subsystem's configuration differs from the policy";
const HINT_FIRMWARE: &str = "a controller runs firmware the policy does not allow: update it (nvme fw-download, fw-commit) in a maintenance window, one path at a time";

/// Whether the subsystem's controller `name` is live, or the reason it
/// cannot be told. A path through a controller the subsystem does not list
/// is through none that is live.
fn live(s: &NvmeSubsystem, name: &str) -> Result<bool, Missing> {
    let cs = match &s.controllers {
        Fact::Known(cs) => cs,
        Fact::Unknown(m) => return Err(m.clone()),
    };
    match cs.iter().find(|c| c.name == name).map(|c| &c.state) {
        None => Ok(false),
        Some(Fact::Known(state)) => Ok(state == "live"),
        Some(Fact::Unknown(m)) => Err(m.clone()),
    }
}

/// `nvme0 live, nvme1 ?`: each controller with one of its facts.
fn controllers_shown(cs: &[NvmeController], fact: fn(&NvmeController) -> &Fact<String>) -> String {
    cs.iter()
        .map(|c| format!("{} {}", c.name, fact(c).known().map_or("?", |v| v.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn judge(s: &NvmeSubsystem, expect: &[Expect], ev: &str) -> Vec<Judgement> {
    expect
        .iter()
        .map(|e| match e {
            Expect::Controllers(n) => {
                let shown = s
                    .controllers
                    .known()
                    .map(|cs| controllers_shown(cs, |c| &c.state))
                    .unwrap_or_default();
                count(
                    "controllers",
                    s.controllers.as_ref().map(Vec::len),
                    n,
                    &shown,
                    ev,
                    HINT_CTRL,
                )
            }
            Expect::LiveControllers(n) => match &s.controllers {
                Fact::Unknown(m) => count(
                    "live controllers",
                    Fact::Unknown(m.clone()),
                    n,
                    "",
                    ev,
                    HINT_CTRL,
                ),
                Fact::Known(cs) => {
                    let live = cs
                        .iter()
                        .filter(|c| c.state.known().map(String::as_str) == Some("live"))
                        .count();
                    let unread: Vec<&Missing> =
                        cs.iter().filter_map(|c| c.state.missing()).collect();
                    count_between(
                        "live controllers",
                        live,
                        unread.len(),
                        unread.first().copied(),
                        n,
                        &controllers_shown(cs, |c| &c.state),
                        ev,
                        HINT_CTRL,
                    )
                }
            },
            Expect::OptimizedPaths(n) => optimized(s, n, ev),
            Expect::Transport(t) => {
                each_controller(s, "transport", t, |c| &c.transport, ev, HINT_CONFIG)
            }
            Expect::Firmware(t) => {
                each_controller(s, "firmware", t, |c| &c.firmware_rev, ev, HINT_FIRMWARE)
            }
            Expect::ControllerState(t) => {
                each_controller(s, "controller state", t, |c| &c.state, ev, HINT_CTRL)
            }
            Expect::Iopolicy(t) => Judgement::of(
                "iopolicy",
                &s.iopolicy,
                t,
                ev,
                HINT_CONFIG,
                |v| v.as_deref().is_some_and(|v| t.matches(v)),
                |v| {
                    v.clone()
                        .unwrap_or_else(|| "none (no native multipath)".into())
                },
            ),
        })
        .collect()
}

/// One text fact of every controller (its transport, firmware, state)
/// against a matcher: one that differs fails it, one that could not be
/// read leaves it unknown.
fn each_controller(
    s: &NvmeSubsystem,
    what: &str,
    t: &Text,
    fact: fn(&NvmeController) -> &Fact<String>,
    ev: &str,
    hint: &'static str,
) -> Judgement {
    let j = |ok, observed: String| Judgement {
        ok,
        expected: format!("{what} {t} on every controller"),
        observed: format!("{what} {observed}"),
        evidence: vec![ev.to_owned()],
        remediation: hint,
    };
    let cs = match &s.controllers {
        Fact::Known(cs) => cs,
        Fact::Unknown(m) => return j(None, format!("unknown: {m}")),
    };
    let shown = controllers_shown(cs, fact);
    if cs
        .iter()
        .any(|c| fact(c).known().is_some_and(|v| !t.matches(v)))
    {
        return j(Some(false), shown);
    }
    match cs.iter().find_map(|c| fact(c).missing()) {
        Some(m) => j(None, format!("{shown}; {m}")),
        None => j(Some(!cs.is_empty()), shown),
    }
}

/// On every namespace, the paths that are ANA `optimized` through a live
/// controller. A path whose ANA state or controller state could not be
/// read may be one: the namespace is judged only if it makes no
/// difference.
fn optimized(s: &NvmeSubsystem, n: &Num, ev: &str) -> Judgement {
    let j = |ok, observed: String| Judgement {
        ok,
        expected: format!("optimized paths {n} on every namespace"),
        observed: format!("optimized paths {observed}"),
        evidence: vec![ev.to_owned()],
        remediation: HINT_ANA,
    };
    let nss = match &s.namespaces {
        Fact::Known(n) => n,
        Fact::Unknown(m) => return j(None, format!("unknown: {m}")),
    };
    if nss.is_empty() {
        return j(Some(false), "none: the subsystem shows no namespace".into());
    }
    let mut bad = Vec::new();
    let mut shown = Vec::new();
    let mut unknown: Option<Missing> = None;
    for ns in nss {
        let mut good = Vec::new();
        let mut unsure: Vec<Missing> = Vec::new();
        let mut states = Vec::new();
        for p in &ns.paths {
            let ctrl = live(s, &p.controller);
            let ana = match &p.ana_state {
                Fact::Known(Some(a)) => Ok(a.as_str() == "optimized"),
                Fact::Known(None) => Ok(false),
                Fact::Unknown(m) => Err(m.clone()),
            };
            match (&ana, &ctrl) {
                (Ok(true), Ok(true)) => good.push(p.name.as_str()),
                (Ok(false), _) | (_, Ok(false)) => {}
                (Err(m), _) | (_, Err(m)) => unsure.push(m.clone()),
            }
            let ana_shown = match &p.ana_state {
                Fact::Known(Some(a)) => a.clone(),
                Fact::Known(None) => "no ANA".into(),
                Fact::Unknown(m) => format!("unknown ({})", m.reason),
            };
            let ctrl_shown = match ctrl {
                Ok(true) => "",
                Ok(false) => ", controller not live",
                Err(_) => ", controller state unknown",
            };
            states.push(format!("{} {ana_shown}{ctrl_shown}", p.name));
        }
        let text = if good.is_empty() {
            format!("{} 0", ns.name)
        } else {
            format!("{} {} ({})", ns.name, good.len(), good.join(" "))
        };
        let possible = good.len()..=good.len() + unsure.len();
        let verdicts: Vec<bool> = possible.map(|c| n.matches(c as f64)).collect();
        if verdicts.iter().all(|ok| !ok) {
            bad.push(format!("{text}: {}", states.join(", ")));
        } else if verdicts.iter().any(|ok| !ok) {
            unknown.get_or_insert_with(|| unsure[0].clone());
            shown.push(format!("{text}, {} unknown", unsure.len()));
            continue;
        }
        shown.push(text);
    }
    if !bad.is_empty() {
        return j(Some(false), bad.join("; "));
    }
    if let Some(m) = unknown {
        return j(None, format!("{}; {m}", shown.join(", ")));
    }
    j(Some(true), shown.join(", "))
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let each = Each {
        check,
        what: "NVMe subsystem",
        items: &snap.storage.nvme,
        evidence: vec![snap.origin.file("sys/class/nvme-subsystem")],
        select: &spec.select,
    };
    each.findings(
        |s| {
            Decide::new(&spec.select)
                .text("name", Fact::Known(&s.name))
                .text("nqn", s.nqn.as_ref().map(String::as_str))
                .text("model", s.model.as_ref().map(String::as_str))
                .result()
        },
        |s| s.name.clone(),
        |s| {
            judge(
                s,
                &spec.expect,
                &snap
                    .origin
                    .file(&format!("sys/class/nvme-subsystem/{}", s.name)),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Missing, NvmeController, Reason};

    fn controller(name: &str, transport: Fact<String>, fw: &str) -> NvmeController {
        NvmeController {
            name: name.into(),
            model: Fact::Known("PowerStore".into()),
            serial: Fact::Known("FNM1".into()),
            firmware_rev: Fact::Known(fw.into()),
            state: Fact::Known("live".into()),
            transport,
            address: Fact::Known("traddr=x".into()),
        }
    }

    fn subsystem(controllers: Vec<NvmeController>) -> NvmeSubsystem {
        NvmeSubsystem {
            name: "nvme-subsys0".into(),
            nqn: Fact::Known("nqn.x".into()),
            model: Fact::Known("PowerStore".into()),
            serial: Fact::Known("FNM1".into()),
            iopolicy: Fact::Known(Some("round-robin".into())),
            controllers: Fact::Known(controllers),
            namespaces: Fact::Known(Vec::new()),
        }
    }

    #[test]
    fn a_controller_whose_transport_is_unknown_leaves_the_check_unknown_not_failed() {
        let s = subsystem(vec![
            controller("nvme0", Fact::Known("fc".into()), "4.0"),
            controller(
                "nvme1",
                Fact::Unknown(Missing::new(Reason::NotCaptured, "no transport")),
                "4.0",
            ),
        ]);
        let j = judge(&s, &[Expect::Transport(Text::literal("fc"))], "ev");
        assert_eq!(j[0].ok, None, "{:?}", j[0]);
        let j = judge(&s, &[Expect::Transport(Text::literal("tcp"))], "ev");
        assert_eq!(j[0].ok, Some(false), "{:?}", j[0]);
        assert_eq!(j[0].observed, "transport nvme0 fc, nvme1 ?");
    }

    #[test]
    fn firmware_on_every_controller() {
        let s = subsystem(vec![
            controller("nvme0", Fact::Known("fc".into()), "4.0"),
            controller("nvme1", Fact::Known("fc".into()), "3.9"),
        ]);
        let j = judge(&s, &[Expect::Firmware(Text::literal("4.0"))], "ev");
        assert_eq!(
            (j[0].ok, j[0].observed.as_str()),
            (Some(false), "firmware nvme0 4.0, nvme1 3.9")
        );
        let s = subsystem(vec![controller("nvme0", Fact::Known("fc".into()), "4.0")]);
        let j = judge(&s, &[Expect::Firmware(Text::literal("4.0"))], "ev");
        assert_eq!(j[0].ok, Some(true));
    }
}
