//! `cabling`: each host port faces the switch port the plan names, as the
//! switch itself says over LLDP; the members of a bond the plan spreads
//! over two switches (MLAG) really are on two; no switch port faces two
//! host ports.

use std::path::Path;

use super::{FieldDoc, Judgement, KindDoc, finding, nothing_selected, unreadable};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, one_or_many};
use crate::policy::matcher::Text;
use crate::policy::plan::{self, Cable};
use crate::policy::yaml::{Node, Value};
use crate::snapshot::{Fact, LldpNeighbor, Snapshot};

pub const DOC: KindDoc = KindDoc {
    name: "cabling",
    summary: "each port faces the switch port the cabling plan names (LLDP)",
    what: "Reads what each host port faces from the LLDP neighbours the host's lldpd heard \
           (the switch's SysName and port), and compares it with the plan: ports given in \
           the policy (globs allowed), or a cabling plan file as a DCIM such as NetBox exports \
           it (CSV or YAML: host, port, switch, switch port), whose rows for this host are \
           used. A bond whose members the plan puts on two switches (MLAG), or one named in \
           `mlag`, must have its members on two switches. No switch port may face two host \
           ports. Without lldpd running the facts are unknown, never \"no neighbour\".",
    why: "A cable in the wrong port is the fault behind traffic on the wrong NIC: speeds and \
          routes show the symptom, the neighbour shows the cause, before traffic moves. A \
          cable moved or loosened during maintenance of an adjacent device changes the \
          neighbour too, and two bond legs on one switch are one switch failure from an outage.",
    fields: &[
        FieldDoc {
            name: "ports",
            doc: "a mapping of host port to `{ switch: TEXT, port: TEXT }` (text matchers, globs allowed): \
                  the switch matches its SysName, the SysName's first label or its chassis id; \
                  the port its port id or its port description",
        },
        FieldDoc {
            name: "plan",
            doc: "a cabling plan file, relative to the policy: CSV with a header naming host, port, \
                  switch, switch_port (or NetBox's side_a_device, side_a_name, side_b_device, \
                  side_b_name, Side A, Termination A, ...), or YAML (.yaml) with a list of \
                  {host, port, switch, switch_port}; the rows whose host (either end) is this \
                  host's name, or its first label, are the plan; its names match exactly",
        },
        FieldDoc {
            name: "mlag",
            doc: "bonds (text matchers) whose members must face at least two switches; bonds \
                  the plan spreads over two switches are checked without being named",
        },
    ],
    example: r#"- id: uplinks-cabled-per-plan
  description: Each uplink faces the switch port the plan says; bond0 spans both switches.
  cabling:
    ports:
      enp65s0f0: { switch: "sw-a*", port: Ethernet17 }
      enp65s0f1: { switch: "sw-b*", port: Ethernet17 }
    mlag: [bond0]"#,
    default_severity: Severity::Critical,
};

/// What one host port must face.
#[derive(Debug, Clone)]
pub struct Expect {
    pub port: String,
    pub switch: Text,
    pub switch_port: Text,
}

#[derive(Debug, Clone)]
pub struct PlanFile {
    /// As the audit shows it: relative to where hostlint runs.
    pub path: String,
    pub cables: Vec<Cable>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub ports: Vec<Expect>,
    pub plan: Option<PlanFile>,
    pub mlag: Vec<Text>,
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a cabling check", &["ports", "plan", "mlag"])?;
    let mut ports = Vec::new();
    if let Some(p) = f.get("ports") {
        let Value::Map(entries) = &p.value else {
            ctx.error(
                p.pos,
                format!(
                    "expected a mapping of host port to what it faces, found {}",
                    p.value.kind()
                ),
            );
            return None;
        };
        for (key, body) in entries {
            let what = format!("what port {} faces", key.name);
            let Some(b) = Fields::new(ctx, body, &what, &["switch", "port"]) else {
                continue;
            };
            let switch = b
                .required(ctx, "switch", &what)
                .and_then(|n| Text::parse(ctx, n, "a switch name"));
            let switch_port = b
                .required(ctx, "port", &what)
                .and_then(|n| Text::parse(ctx, n, "a switch port"));
            if let (Some(switch), Some(switch_port)) = (switch, switch_port) {
                ports.push(Expect {
                    port: key.name.clone(),
                    switch,
                    switch_port,
                });
            }
        }
        if entries.is_empty() {
            ctx.error(p.pos, "`ports` is empty: there would be nothing to check");
        }
    }
    let plan = match f.get("plan") {
        None => None,
        Some(n) => {
            let Value::Str(rel) = &n.value else {
                ctx.error(
                    n.pos,
                    format!("expected a cabling plan file, found {}", n.value.kind()),
                );
                return None;
            };
            let path = Path::new(&ctx.file)
                .parent()
                .unwrap_or(Path::new(""))
                .join(rel);
            match plan::load(&path) {
                Ok(cables) => Some(PlanFile {
                    path: path.display().to_string(),
                    cables,
                }),
                Err(mut errors) => {
                    if errors.iter().all(|e| e.pos.is_none()) {
                        // The file itself could not be read: say where the
                        // policy names it.
                        for e in &mut errors {
                            e.message = format!("{}: {}", e.file, e.message);
                            e.file = ctx.file.clone();
                            e.pos = Some(n.pos);
                        }
                    }
                    ctx.errors.append(&mut errors);
                    return None;
                }
            }
        }
    };
    let mut mlag = Vec::new();
    if let Some(m) = f.get("mlag") {
        for item in one_or_many(m) {
            mlag.push(Text::parse(ctx, item, "a bond name")?);
        }
    }
    if ports.is_empty() && plan.is_none() {
        ctx.error(
            f.pos,
            "a cabling check needs `ports` or `plan`: there would be nothing to check",
        );
        return None;
    }
    Some(Spec { ports, plan, mlag })
}

/// A host port and what it must face, with where that was said.
struct Wanted<'a> {
    port: &'a str,
    switch: Text,
    switch_port: Text,
    from: String,
    /// The switch's name when the plan names one switch, for MLAG.
    planned_switch: Option<String>,
}

/// Whether a neighbour is the switch and port wanted. The switch is named
/// by its SysName (or that name's first label, as a DCIM often keeps it)
/// or its chassis id; its port by the port id or the port description.
fn faces(n: &LldpNeighbor, switch: &Text, port: &Text) -> bool {
    let names = [
        n.system_name.as_deref(),
        n.system_name.as_deref().and_then(|s| s.split('.').next()),
        n.chassis_id.as_ref().map(|c| c.value.as_str()),
    ];
    let ports = [
        n.port_id.as_ref().map(|p| p.value.as_str()),
        n.port_description.as_deref(),
    ];
    names.iter().flatten().any(|s| switch.matches(s))
        && ports.iter().flatten().any(|p| port.matches(p))
}

const HINT_WRONG: &str = "the cable is in another switch port than the plan says: move it (or correct the plan), then check the link, the bond and the switch port's configuration";
const HINT_NONE: &str = "nothing answers LLDP on this port: the cable is out or loose, the link is down, or the switch port does not send LLDP (enable it there)";
const HINT_NO_PORT: &str =
    "the plan names a port this host does not have: correct the plan or the port name";
const HINT_MLAG: &str = "both legs of the bond are on one switch: one switch failure or reboot takes the bond down; move one cable to the other switch of the pair";
const HINT_SHARED: &str = "two host ports hear the same switch port: something between them and the switch (a hub, a media converter, a bridge) or a looped cable; trace the cables";

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let mut evidence = vec![snap.origin.lldp.clone()];
    let mut out = Vec::new();
    let mut wanted: Vec<Wanted> = spec
        .ports
        .iter()
        .map(|e| Wanted {
            port: &e.port,
            switch: e.switch.clone(),
            switch_port: e.switch_port.clone(),
            from: check.policy.clone(),
            planned_switch: e.switch.literal_value().map(str::to_owned),
        })
        .collect();
    if let Some(p) = &spec.plan {
        evidence.push(p.path.clone());
        match &snap.host.hostname {
            Fact::Known(host) => {
                let rows: Vec<Wanted> = p
                    .cables
                    .iter()
                    .filter_map(|c| {
                        let (port, switch, switch_port) = c.from_host(host)?;
                        Some(Wanted {
                            port,
                            switch: Text::literal(switch),
                            switch_port: Text::literal(switch_port),
                            from: format!("{}:{}", p.path, c.line),
                            planned_switch: Some(switch.to_owned()),
                        })
                    })
                    .collect();
                if rows.is_empty() && wanted.is_empty() {
                    return vec![nothing_selected(
                        check,
                        "cable in the plan",
                        &format!("host {host}"),
                        evidence,
                    )];
                }
                wanted.extend(rows);
            }
            Fact::Unknown(m) => out.push(unreadable(
                check,
                "(cabling plan)",
                "the host name the plan is looked up by",
                m,
                evidence.clone(),
            )),
        }
    }
    let neighbours = match &snap.lldp {
        Fact::Known(n) => n,
        Fact::Unknown(m) => {
            for w in &wanted {
                out.push(unreadable(
                    check,
                    w.port,
                    "the LLDP neighbours",
                    m,
                    evidence.clone(),
                ));
            }
            for bond in mlag_bonds(spec, snap, &wanted) {
                out.push(unreadable(
                    check,
                    &bond,
                    "the LLDP neighbours",
                    m,
                    evidence.clone(),
                ));
            }
            return out;
        }
    };
    for w in &wanted {
        out.push(port_finding(check, snap, neighbours, w, &evidence));
    }
    out.extend(mlag_findings(
        check, spec, snap, neighbours, &wanted, &evidence,
    ));
    out.extend(shared_port_findings(check, neighbours, &evidence));
    out
}

fn port_finding(
    check: &Check,
    snap: &Snapshot,
    neighbours: &[LldpNeighbor],
    w: &Wanted,
    evidence: &[String],
) -> Finding {
    let plan_says = format!("{} {}", w.switch, w.switch_port);
    let heard: Vec<&LldpNeighbor> = neighbours.iter().filter(|n| n.iface == w.port).collect();
    let (ok, observed, remediation) = if heard.is_empty() {
        match snap.links.known() {
            Some(links) if !links.iter().any(|l| l.iface.name == w.port) => (
                false,
                format!(
                    "this host has no interface {}, plan says it faces {plan_says}",
                    w.port
                ),
                HINT_NO_PORT,
            ),
            _ => {
                let state = snap
                    .link(w.port)
                    .and_then(|l| l.iface.operstate.known())
                    .map(|s| format!(" (link {s})"))
                    .unwrap_or_default();
                (
                    false,
                    format!(
                        "{} faces no LLDP neighbour{state}, plan says {plan_says}",
                        w.port
                    ),
                    HINT_NONE,
                )
            }
        }
    } else {
        let shown: Vec<String> = heard.iter().map(|n| n.shown()).collect();
        let ok = heard.iter().all(|n| faces(n, &w.switch, &w.switch_port));
        let observed = if ok {
            format!("{} faces {}", w.port, shown.join(" and "))
        } else {
            format!(
                "{} faces {}, plan says {plan_says}",
                w.port,
                shown.join(" and ")
            )
        };
        (ok, observed, HINT_WRONG)
    };
    let mut ev = evidence.to_vec();
    if !ev.contains(&w.from) {
        ev.push(w.from.clone());
    }
    finding(
        check,
        w.port,
        vec![Judgement {
            ok: Some(ok),
            expected: format!("{} faces {plan_says} ({})", w.port, w.from),
            observed,
            evidence: ev,
            remediation,
        }],
    )
}

/// The bonds whose members must be on two switches: named in `mlag`, or
/// spread over two switches by the plan.
fn mlag_bonds(spec: &Spec, snap: &Snapshot, wanted: &[Wanted]) -> Vec<String> {
    let Some(bonds) = snap.bonds.known() else {
        return Vec::new();
    };
    bonds
        .iter()
        .filter(|b| {
            if spec.mlag.iter().any(|m| m.matches(&b.name)) {
                return true;
            }
            let Some(members) = b.members.known() else {
                return false;
            };
            let mut switches: Vec<&str> = members
                .iter()
                .filter_map(|m| {
                    wanted
                        .iter()
                        .find(|w| w.port == m.name)
                        .and_then(|w| w.planned_switch.as_deref())
                })
                .collect();
            switches.sort();
            switches.dedup();
            switches.len() >= 2
        })
        .map(|b| b.name.clone())
        .collect()
}

fn mlag_findings(
    check: &Check,
    spec: &Spec,
    snap: &Snapshot,
    neighbours: &[LldpNeighbor],
    wanted: &[Wanted],
    evidence: &[String],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let bonds = match &snap.bonds {
        Fact::Known(b) => b,
        Fact::Unknown(m) => {
            if !spec.mlag.is_empty() {
                out.push(unreadable(
                    check,
                    "(bonds)",
                    "the bonds",
                    m,
                    evidence.to_vec(),
                ));
            }
            return out;
        }
    };
    let names = mlag_bonds(spec, snap, wanted);
    for m in &spec.mlag {
        if !bonds.iter().any(|b| m.matches(&b.name)) {
            out.push(nothing_selected(
                check,
                "bond",
                &format!("mlag {m}"),
                evidence.to_vec(),
            ));
        }
    }
    for bond in bonds.iter().filter(|b| names.contains(&b.name)) {
        let members = match &bond.members {
            Fact::Known(m) => m,
            Fact::Unknown(m) => {
                out.push(unreadable(
                    check,
                    &bond.name,
                    "the bond's members",
                    m,
                    evidence.to_vec(),
                ));
                continue;
            }
        };
        // Each switch heard, by chassis, with the members facing it.
        let mut switches: Vec<(&LldpNeighbor, Vec<&str>)> = Vec::new();
        for member in members {
            for n in neighbours.iter().filter(|n| n.iface == member.name) {
                match switches
                    .iter_mut()
                    .find(|(s, _)| s.chassis_id == n.chassis_id && s.switch() == n.switch())
                {
                    Some((_, ports)) => ports.push(&member.name),
                    None => switches.push((n, vec![&member.name])),
                }
            }
        }
        let heard: Vec<String> = switches
            .iter()
            .map(|(s, ports)| format!("{} ({})", s.switch(), ports.join(", ")))
            .collect();
        let planned: Vec<&str> = {
            let mut p: Vec<&str> = members
                .iter()
                .filter_map(|m| {
                    wanted
                        .iter()
                        .find(|w| w.port == m.name)
                        .and_then(|w| w.planned_switch.as_deref())
                })
                .collect();
            p.sort();
            p.dedup();
            p
        };
        let expected = if planned.len() >= 2 {
            format!(
                "{}'s members on two switches (MLAG): the plan puts them on {}",
                bond.name,
                planned.join(" and ")
            )
        } else {
            format!("{}'s members on at least two switches (MLAG)", bond.name)
        };
        let observed = if heard.is_empty() {
            format!("{}'s members face no LLDP neighbour", bond.name)
        } else {
            format!("{}'s members face {}", bond.name, heard.join(" and "))
        };
        out.push(finding(
            check,
            &bond.name,
            vec![Judgement {
                ok: Some(switches.len() >= 2),
                expected,
                observed,
                evidence: evidence.to_vec(),
                remediation: HINT_MLAG,
            }],
        ));
    }
    out
}

fn shared_port_findings(
    check: &Check,
    neighbours: &[LldpNeighbor],
    evidence: &[String],
) -> Vec<Finding> {
    let mut groups: Vec<(&LldpNeighbor, Vec<&str>)> = Vec::new();
    for n in neighbours {
        match groups.iter_mut().find(|(g, _)| g.same_far_end(n)) {
            Some((_, ifaces)) => {
                if !ifaces.contains(&n.iface.as_str()) {
                    ifaces.push(&n.iface);
                }
            }
            None => groups.push((n, vec![&n.iface])),
        }
    }
    let shared: Vec<Finding> = groups
        .iter()
        .filter(|(_, ifaces)| ifaces.len() > 1)
        .map(|(n, ifaces)| {
            finding(
                check,
                n.shown(),
                vec![Judgement {
                    ok: Some(false),
                    expected: format!("one host port facing {}", n.shown()),
                    observed: format!("{} all face {}", ifaces.join(", "), n.shown()),
                    evidence: evidence.to_vec(),
                    remediation: HINT_SHARED,
                }],
            )
        })
        .collect();
    if !shared.is_empty() || neighbours.is_empty() {
        return shared;
    }
    vec![finding(
        check,
        "(switch ports)",
        vec![Judgement {
            ok: Some(true),
            expected: "each switch port facing one host port".to_owned(),
            observed: format!("{} switch ports heard, each on one host port", groups.len()),
            evidence: evidence.to_vec(),
            remediation: HINT_SHARED,
        }],
    )]
}
