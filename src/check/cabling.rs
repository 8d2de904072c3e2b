//! `cabling`: each host port faces the switch port the plan names, as the
//! switch itself says over LLDP; the members of a bond the plan spreads
//! over two switches (MLAG) really are on two; no switch port faces two
//! host ports.

use std::path::Path;

use super::{FieldDoc, Judgement, KindDoc, finding, nothing_selected, unreadable};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, one_or_many};
use crate::policy::matcher::{CaselessText, Text};
use crate::policy::plan::{self, Cable};
use crate::policy::yaml::{Node, Value};
use crate::snapshot::{Bond, BondMember, Fact, LldpNeighbor, Missing, Snapshot};

pub const DOC: KindDoc = KindDoc {
    name: "cabling",
    summary: "each port faces the switch port the cabling plan names (LLDP)",
    what: "Reads what each host port faces from the LLDP neighbours the host's lldpd heard \
           (the switch's SysName and port), and compares it with the plan: ports given in \
           the policy (globs allowed), or a cabling plan file as a DCIM such as NetBox exports \
           it (CSV or YAML: host, port, switch, switch port), whose rows for this host are \
           used. A bond whose members the plan puts on two switches (MLAG), or one named in \
           `mlag`, must have its members on two switches. No switch port may face two host \
           ports. Without lldpd running the facts are unknown, never \"no neighbour\"; a \
           neighbour whose chassis or port id cannot be read leaves its port UNKNOWN, and \
           unreadable bonds leave MLAG UNKNOWN where the plan spreads ports over two switches.",
    why: "A cable in the wrong port is the fault behind traffic on the wrong NIC: speeds and \
          routes show the symptom, the neighbour shows the cause, before traffic moves. A \
          cable moved or loosened during maintenance of an adjacent device changes the \
          neighbour too, and two bond legs on one switch are one switch failure from an outage.",
    fields: &[
        FieldDoc {
            name: "ports",
            doc: "a mapping of host port to `{ switch: TEXT, port: TEXT }` (text matchers, globs allowed, \
                  without regard to case as a plan's names): the switch matches its SysName, the \
                  SysName's first label or its chassis id; the port its port id or its port description",
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
    pub switch: CaselessText,
    pub switch_port: CaselessText,
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
                .and_then(|n| CaselessText::parse(ctx, n, "a switch name"));
            let switch_port = b
                .required(ctx, "port", &what)
                .and_then(|n| CaselessText::parse(ctx, n, "a switch port"));
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
            match plan::load(&path, ctx.deadline) {
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
    if f.get("ports").is_none() && f.get("plan").is_none() {
        ctx.error(
            f.pos,
            "a cabling check needs `ports` or `plan`: there would be nothing to check",
        );
        return None;
    }
    if ports.is_empty() && plan.is_none() {
        // Every port given was in error, and said so.
        return None;
    }
    Some(Spec { ports, plan, mlag })
}

/// A name as the policy gives it (a text matcher) or as a plan gives it
/// (exactly that name: a DCIM's names are not patterns). Both are
/// compared without regard to case: a switch's name is a host name (`SW-A`
/// and `sw-a` are one switch), a DCIM or a policy often keeps it in
/// another case than the switch sends it, and no switch has two ports
/// whose names differ only in case.
enum Name<'a> {
    Matcher(&'a CaselessText),
    Exact(&'a str),
}

impl Name<'_> {
    fn matches(&self, text: &str) -> bool {
        match self {
            Name::Matcher(m) => m.matches(text),
            Name::Exact(name) => name.eq_ignore_ascii_case(text),
        }
    }
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Name::Matcher(m) => m.fmt(f),
            Name::Exact(name) => f.write_str(name),
        }
    }
}

/// A host port and what it must face, with where that was said.
struct Wanted<'a> {
    port: &'a str,
    switch: Name<'a>,
    switch_port: Name<'a>,
    from: String,
    /// The switch's name when the plan names one switch, for MLAG.
    planned_switch: Option<String>,
}

/// Whether a neighbour is the switch and port wanted. The switch is named
/// by its SysName (or that name's first label, as a DCIM often keeps it)
/// or its chassis id; its port by the port id or the port description.
fn faces(n: &LldpNeighbor, switch: &Name, port: &Name) -> bool {
    let names = [
        n.system_name.as_deref(),
        n.system_name.as_deref().and_then(|s| s.split('.').next()),
        n.chassis_id.known().map(|c| c.value.as_str()),
    ];
    let ports = [
        n.port_id.known().map(|p| p.value.as_str()),
        n.port_description.as_deref(),
    ];
    names.iter().flatten().any(|s| switch.matches(s))
        && ports.iter().flatten().any(|p| port.matches(p))
}

/// What a port hears that cannot be told (its chassis or port id
/// unreadable), for an observation: `what eno1 faces cannot be read:
/// malformed (...)`.
fn untold(iface: &str, m: &Missing) -> String {
    format!(
        "what {iface} faces cannot be read: {} ({})",
        m.reason, m.detail
    )
}

/// Splits the neighbours of a port into those whose far end is known and
/// what is said of those that cannot be told.
fn told<'a>(iface: &str, heard: &[&'a LldpNeighbor]) -> (Vec<&'a LldpNeighbor>, Vec<String>) {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for n in heard {
        match n.identity() {
            Ok(_) => known.push(*n),
            Err(m) => unknown.push(untold(iface, m)),
        }
    }
    (known, unknown)
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
            switch: Name::Matcher(&e.switch),
            switch_port: Name::Matcher(&e.switch_port),
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
                            switch: Name::Exact(switch),
                            switch_port: Name::Exact(switch_port),
                            from: format!("{}:{}", p.path, c.line),
                            planned_switch: Some(switch.to_owned()),
                        })
                    })
                    .collect();
                // A plan without this host's rows is a finding even beside
                // ports given in the policy: a host name the DCIM spells
                // otherwise must not turn the plan off.
                if rows.is_empty() {
                    out.push(nothing_selected(
                        check,
                        "cable in the plan",
                        &format!("host {host}"),
                        evidence.clone(),
                    ));
                    if wanted.is_empty() {
                        return out;
                    }
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
    let (mlag, undecided) = mlag_bonds(check, spec, snap, &wanted, &evidence);
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
            out.extend(undecided);
            for bond in mlag {
                out.push(unreadable(
                    check,
                    &bond.name,
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
    out.extend(undecided);
    out.extend(mlag_findings(check, &mlag, neighbours, &wanted, &evidence));
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
    let expected = format!("{} faces {plan_says} ({})", w.port, w.from);
    let heard = LldpNeighbor::heard_on(neighbours, w.port);
    let (known, unknown) = told(w.port, &heard);
    // A neighbour lldpd reports on an interface this host does not have
    // (an lldpd of another network namespace, asked through a shared
    // socket) says nothing of this host's cabling.
    let absent = snap
        .links
        .known()
        .is_some_and(|links| !links.iter().any(|l| l.iface.name == w.port));
    let mut ev = evidence.to_vec();
    if !ev.contains(&w.from) {
        ev.push(w.from.clone());
    }
    let judged = |ok: bool, observed: String, remediation| Judgement {
        ok: Some(ok),
        expected: expected.clone(),
        observed,
        evidence: ev.clone(),
        remediation,
    };
    let mut judgements = Vec::new();
    if absent {
        judgements.push(judged(
            false,
            format!(
                "this host has no interface {}, plan says it faces {plan_says}",
                w.port
            ),
            HINT_NO_PORT,
        ));
    } else if heard.is_empty() {
        let state = snap
            .link(w.port)
            .and_then(|l| l.iface.operstate.known())
            .map(|s| format!(" (link {s})"))
            .unwrap_or_default();
        judgements.push(judged(
            false,
            format!(
                "{} faces no LLDP neighbour{state}, plan says {plan_says}",
                w.port
            ),
            HINT_NONE,
        ));
    } else {
        if !known.is_empty() {
            let shown: Vec<String> = known.iter().map(|n| n.shown()).collect();
            let ok = known.iter().all(|n| faces(n, &w.switch, &w.switch_port));
            let observed = if ok {
                format!("{} faces {}", w.port, shown.join(" and "))
            } else {
                format!(
                    "{} faces {}, plan says {plan_says}",
                    w.port,
                    shown.join(" and ")
                )
            };
            judgements.push(judged(ok, observed, HINT_WRONG));
        }
        // A neighbour that cannot be told may be the planned one or not:
        // the port is unknown unless another neighbour already fails it.
        if !unknown.is_empty() {
            judgements.push(Judgement {
                ok: None,
                expected: expected.clone(),
                observed: unknown.join("; "),
                evidence: ev.clone(),
                remediation: HINT_WRONG,
            });
        }
    }
    finding(check, w.port, judgements)
}

/// Names of switches, each once whatever its case.
fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut switches: Vec<&str> = names.collect();
    switches.sort_by_key(|s| s.to_ascii_lowercase());
    switches.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    switches
}

/// The switches the plan puts a bond's members on, each once.
fn planned_switches<'a>(members: &[BondMember], wanted: &'a [Wanted]) -> Vec<&'a str> {
    distinct(members.iter().filter_map(|m| {
        wanted
            .iter()
            .find(|w| w.port == m.name)
            .and_then(|w| w.planned_switch.as_deref())
    }))
}

/// The bonds whose members must be on two switches: named in `mlag`, or
/// spread over two switches by the plan; and the findings on what keeps
/// that from being known: a name in `mlag` that matches no bond, and the
/// bonds, or a bond's members, unreadable where the policy names bonds or
/// the plan puts this host's ports on two switches (then any two of them
/// may be one bond's legs, and only the bonds can say).
fn mlag_bonds<'s>(
    check: &Check,
    spec: &Spec,
    snap: &'s Snapshot,
    wanted: &[Wanted],
    evidence: &[String],
) -> (Vec<&'s Bond>, Vec<Finding>) {
    let spread = distinct(wanted.iter().filter_map(|w| w.planned_switch.as_deref())).len() >= 2;
    let bonds = match &snap.bonds {
        Fact::Known(b) => b,
        Fact::Unknown(m) => {
            let needed = !spec.mlag.is_empty() || spread;
            let undecided = needed
                .then(|| unreadable(check, "(bonds)", "the bonds", m, evidence.to_vec()))
                .into_iter()
                .collect();
            return (Vec::new(), undecided);
        }
    };
    let undecided = spec
        .mlag
        .iter()
        .filter(|m| !bonds.iter().any(|b| m.matches(&b.name)))
        .map(|m| nothing_selected(check, "bond", &format!("mlag {m}"), evidence.to_vec()))
        .collect();
    let selected = bonds
        .iter()
        .filter(|b| {
            spec.mlag.iter().any(|m| m.matches(&b.name))
                || match &b.members {
                    Fact::Known(members) => planned_switches(members, wanted).len() >= 2,
                    // Unread members are judged (unknown) where the plan
                    // spreads ports: they may be the spread ones.
                    Fact::Unknown(_) => spread,
                }
        })
        .collect();
    (selected, undecided)
}

fn mlag_findings(
    check: &Check,
    bonds: &[&Bond],
    neighbours: &[LldpNeighbor],
    wanted: &[Wanted],
    evidence: &[String],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for bond in bonds {
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
        let mut unknown = Vec::new();
        for member in members {
            let heard = LldpNeighbor::heard_on(neighbours, &member.name);
            let (known, untold) = told(&member.name, &heard);
            unknown.extend(untold);
            for n in known {
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
        let planned = planned_switches(members, wanted);
        let expected = if planned.len() >= 2 {
            format!(
                "{}'s members on two switches (MLAG): the plan puts them on {}",
                bond.name,
                planned.join(" and ")
            )
        } else {
            format!("{}'s members on at least two switches (MLAG)", bond.name)
        };
        let mut observed = if heard.is_empty() {
            format!("{}'s members face no LLDP neighbour", bond.name)
        } else {
            format!("{}'s members face {}", bond.name, heard.join(" and "))
        };
        // One switch heard and a member that cannot be told: that member
        // may be on the other switch.
        let ok = if switches.len() >= 2 {
            Some(true)
        } else if unknown.is_empty() {
            Some(false)
        } else {
            observed = format!("{observed}; {}", unknown.join("; "));
            None
        };
        out.push(finding(
            check,
            &bond.name,
            vec![Judgement {
                ok,
                expected,
                observed,
                evidence: evidence.to_vec(),
                remediation: HINT_MLAG,
            }],
        ));
    }
    out
}

/// No switch port faces two host ports, each port judged by what it
/// faces ([`LldpNeighbor::heard_on`]): a switch port heard over LLDP and
/// CDP is one switch port.
fn shared_port_findings(
    check: &Check,
    neighbours: &[LldpNeighbor],
    evidence: &[String],
) -> Vec<Finding> {
    let mut groups: Vec<(&LldpNeighbor, Vec<&str>)> = Vec::new();
    let mut unknown = Vec::new();
    for port in LldpNeighbor::by_port(neighbours) {
        let (known, untold) = told(port.iface, &port.heard);
        unknown.extend(untold);
        for n in known {
            match groups.iter_mut().find(|(g, _)| g.same_far_end(n)) {
                Some((_, ifaces)) => {
                    if !ifaces.contains(&port.iface) {
                        ifaces.push(port.iface);
                    }
                }
                None => groups.push((n, vec![port.iface])),
            }
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
    let expected = "each switch port facing one host port".to_owned();
    let mut judgements = vec![Judgement {
        ok: Some(true),
        expected: expected.clone(),
        observed: format!("{} switch ports heard, each on one host port", groups.len()),
        evidence: evidence.to_vec(),
        remediation: HINT_SHARED,
    }];
    // A neighbour that cannot be told may be a switch port another host
    // port faces too.
    if !unknown.is_empty() {
        judgements.push(Judgement {
            ok: None,
            expected,
            observed: unknown.join("; "),
            evidence: evidence.to_vec(),
            remediation: HINT_SHARED,
        });
    }
    vec![finding(check, "(switch ports)", judgements)]
}

#[cfg(test)]
mod tests {
    use crate::diff::testing::{bond, lb_healthy};
    use crate::finding::{Finding, Status};
    use crate::policy;
    use crate::snapshot::{Fact, LldpNeighbor, Missing, Reason, Snapshot};

    /// Loads a policy of one cabling check (files beside it) and audits
    /// the snapshot with it: (subject, status, observed) of each finding.
    fn audit(body: &str, files: &[(&str, &str)], snap: &Snapshot) -> Vec<(String, Status, String)> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let path = dir.path().join("p.yaml");
        std::fs::write(
            &path,
            format!("policy: p\nchecks:\n  - id: c\n    cabling:\n{body}"),
        )
        .unwrap();
        let policies = policy::load(&[path]).unwrap_or_else(|e| panic!("{e:?}"));
        let findings: Vec<Finding> = super::super::evaluate(&policies[0].checks[0], snap);
        findings
            .into_iter()
            .map(|f| (f.subject, f.status, f.observed))
            .collect()
    }

    fn neighbours(s: &mut Snapshot) -> &mut Vec<LldpNeighbor> {
        match &mut s.lldp {
            Fact::Known(n) => n,
            Fact::Unknown(m) => panic!("{m}"),
        }
    }

    fn port_id(n: &mut LldpNeighbor) -> &mut crate::snapshot::LldpId {
        match &mut n.port_id {
            Fact::Known(id) => id,
            Fact::Unknown(m) => panic!("{m}"),
        }
    }

    fn status_of(r: &[(String, Status, String)], subject: &str) -> (Status, String) {
        r.iter()
            .find(|(s, _, _)| s == subject)
            .map(|(_, st, o)| (*st, o.clone()))
            .unwrap_or_else(|| panic!("no finding on {subject}: {r:?}"))
    }

    const PORTS: &str = "      ports:\n        enp65s0f0: { switch: \"sw-a*\", port: Ethernet17 }\n        enp65s0f1: { switch: { in: [sw-b, sw-c] }, port: \"Ethernet1?\" }\n";

    #[test]
    fn ports_in_the_policy_pass_with_globs_and_fail_naming_both_ends() {
        let snap = lb_healthy();
        let r = audit(PORTS, &[], &snap);
        assert_eq!(status_of(&r, "enp65s0f0").0, Status::Pass, "{r:?}");
        assert_eq!(status_of(&r, "enp65s0f1").0, Status::Pass, "{r:?}");
        assert_eq!(status_of(&r, "(switch ports)").0, Status::Pass);

        let mut moved = snap.clone();
        for n in neighbours(&mut moved) {
            if n.iface == "enp65s0f0" {
                port_id(n).value = "Ethernet7".into();
                n.port_description = Some("spare".into());
            }
        }
        let r = audit(PORTS, &[], &moved);
        assert_eq!(
            status_of(&r, "enp65s0f0"),
            (
                Status::Fail,
                "enp65s0f0 faces sw-a.dc1.example.net Ethernet7, plan says sw-a* Ethernet17".into()
            )
        );
    }

    #[test]
    fn a_port_that_hears_nothing_or_does_not_exist_fails() {
        let mut snap = lb_healthy();
        neighbours(&mut snap).retain(|n| n.iface != "enp65s0f1");
        let body = "      ports:\n        enp65s0f1: { switch: sw-b, port: Ethernet17 }\n        eth9: { switch: sw-b, port: Ethernet18 }\n";
        let r = audit(body, &[], &snap);
        assert_eq!(
            status_of(&r, "enp65s0f1"),
            (
                Status::Fail,
                "enp65s0f1 faces no LLDP neighbour (link up), plan says sw-b Ethernet17".into()
            )
        );
        assert_eq!(
            status_of(&r, "eth9"),
            (
                Status::Fail,
                "this host has no interface eth9, plan says it faces sw-b Ethernet18".into()
            )
        );
    }

    #[test]
    fn a_neighbour_on_an_interface_this_host_lacks_is_no_pass() {
        let mut snap = lb_healthy();
        let a = neighbours(&mut snap)[0].clone();
        neighbours(&mut snap).push(LldpNeighbor {
            iface: "eth9".into(),
            ..a.clone()
        });
        let body = format!(
            "      ports:\n        eth9: {{ switch: \"{}\", port: \"{}\" }}\n",
            a.switch(),
            a.port()
        );
        assert_eq!(status_of(&audit(&body, &[], &snap), "eth9").0, Status::Fail);
    }

    #[test]
    fn lldpd_not_running_is_unknown_never_a_failure() {
        let mut snap = lb_healthy();
        snap.lldp = Fact::Unknown(Missing::new(Reason::NotRunning, "lldpd is not running"));
        let r = audit(PORTS, &[], &snap);
        assert_eq!(r.len(), 2, "{r:?}");
        for (_, status, observed) in &r {
            assert_eq!(*status, Status::Unknown);
            assert!(observed.contains("not_running"), "{observed}");
        }
    }

    const PLAN: &str = "Side A,Termination A,Side B,Termination B\n\
                        lb-01,enp65s0f0,sw-a,Ethernet17\n\
                        sw-b,Ethernet17,lb-01,enp65s0f1\n\
                        lb-02,enp65s0f0,sw-a,Ethernet18\n";

    #[test]
    fn a_plan_file_is_read_for_this_host_from_either_end() {
        let snap = lb_healthy();
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &snap);
        let subjects: Vec<&str> = r.iter().map(|(s, _, _)| s.as_str()).collect();
        assert_eq!(
            subjects,
            ["enp65s0f0", "enp65s0f1", "bond0", "(switch ports)"],
            "{r:?}"
        );
        assert!(r.iter().all(|(_, s, _)| *s == Status::Pass), "{r:?}");

        let mut other = snap.clone();
        other.host.hostname = Fact::Known("db-07".into());
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &other);
        assert_eq!(status_of(&r, "(no cable in the plan)").0, Status::Fail);

        let mut nameless = snap.clone();
        nameless.host.hostname = Fact::unknown(Reason::Permission, "hostname unreadable");
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &nameless);
        assert_eq!(status_of(&r, "(cabling plan)").0, Status::Unknown);
    }

    /// lb-healthy with bond0's second leg moved to sw-a Ethernet18, beside
    /// the first.
    fn both_legs_on_sw_a() -> Snapshot {
        let mut snap = lb_healthy();
        let a = neighbours(&mut snap)
            .iter()
            .find(|n| n.iface == "enp65s0f0")
            .cloned()
            .unwrap();
        for n in neighbours(&mut snap) {
            if n.iface == "enp65s0f1" {
                *n = LldpNeighbor {
                    iface: "enp65s0f1".into(),
                    ..a.clone()
                };
                port_id(n).value = "Ethernet18".into();
            }
        }
        snap
    }

    #[test]
    fn an_mlag_bond_with_both_legs_on_one_switch_fails() {
        let mut snap = both_legs_on_sw_a();
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &snap);
        assert_eq!(
            status_of(&r, "bond0"),
            (
                Status::Fail,
                "bond0's members face sw-a.dc1.example.net (enp65s0f0, enp65s0f1)".into()
            )
        );
        // Named in `mlag`, with ports that say nothing of switches.
        let body =
            "      ports:\n        enp65s0f0: { switch: \"*\", port: \"*\" }\n      mlag: bond0\n";
        assert_eq!(status_of(&audit(body, &[], &snap), "bond0").0, Status::Fail);
        // A bond named in `mlag` that does not exist selects nothing.
        bond(&mut snap, "bond0").name = "bond1".into();
        let r = audit(body, &[], &snap);
        assert_eq!(status_of(&r, "(no bond)").0, Status::Fail);
    }

    #[test]
    fn plan_names_match_switches_and_ports_without_regard_to_case() {
        let plan = "host,port,switch,switch_port\n\
                    LB-01,eno1,MGMT-SW3,gi1/0/12\n\
                    lb-01,enp65s0f0,SW-A,ETHERNET17\n\
                    lb-01,enp65s0f1,Sw-B.DC1.example.net,Ethernet17\n";
        let r = audit(
            "      plan: plan.csv\n",
            &[("plan.csv", plan)],
            &lb_healthy(),
        );
        assert!(r.iter().all(|(_, s, _)| *s == Status::Pass), "{r:?}");
        assert_eq!(r.len(), 5, "{r:?}");
    }

    #[test]
    fn a_plan_without_this_host_is_a_finding_beside_ports_too() {
        let body = "      ports:\n        enp65s0f0: { switch: \"sw-a*\", port: Ethernet17 }\n      plan: plan.csv\n";
        let plan = "host,port,switch,switch_port\nlb-99,eno1,mgmt-sw3,Gi1/0/12\n";
        let r = audit(body, &[("plan.csv", plan)], &lb_healthy());
        assert_eq!(
            status_of(&r, "(no cable in the plan)").0,
            Status::Fail,
            "{r:?}"
        );
        assert_eq!(status_of(&r, "enp65s0f0").0, Status::Pass, "{r:?}");
    }

    /// The far end as a Cisco NX-OS switch names itself over CDP when
    /// lldpd also listens for CDP (`lldpd -c`).
    fn over_cdp(n: &LldpNeighbor) -> LldpNeighbor {
        let name = format!("{}(FOX1234ABCD)", n.switch().split('.').next().unwrap());
        LldpNeighbor {
            via: "CDPv2".into(),
            chassis_id: Fact::Known(crate::snapshot::LldpId {
                kind: "local".into(),
                value: name.clone(),
            }),
            system_name: Some(name),
            ..n.clone()
        }
    }

    #[test]
    fn a_switch_heard_over_lldp_and_cdp_is_one_far_end_and_one_switch() {
        let mut snap = lb_healthy();
        let cdp: Vec<LldpNeighbor> = neighbours(&mut snap).iter().map(over_cdp).collect();
        neighbours(&mut snap).extend(cdp);
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &snap);
        assert!(r.iter().all(|(_, s, _)| *s == Status::Pass), "{r:?}");

        // Both legs on sw-a: two protocols are not two switches.
        let mut one_switch = both_legs_on_sw_a();
        let cdp: Vec<LldpNeighbor> = neighbours(&mut one_switch).iter().map(over_cdp).collect();
        neighbours(&mut one_switch).extend(cdp);
        let body =
            "      ports:\n        enp65s0f0: { switch: \"*\", port: \"*\" }\n      mlag: bond0\n";
        let r = audit(body, &[], &one_switch);
        assert_eq!(
            status_of(&r, "bond0"),
            (
                Status::Fail,
                "bond0's members face sw-a.dc1.example.net (enp65s0f0, enp65s0f1)".into()
            )
        );
    }

    #[test]
    fn unreadable_bonds_are_unknown_when_the_plan_spreads_ports_over_two_switches() {
        // The plan puts lb-01's uplinks on sw-a and sw-b: whether they are
        // one bond (an MLAG pair to judge) only the bonds can say.
        let mut snap = lb_healthy();
        snap.bonds = Fact::Unknown(Missing::new(
            Reason::Permission,
            "proc/net/bonding: Permission denied",
        ));
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &snap);
        let (status, observed) = status_of(&r, "(bonds)");
        assert_eq!(status, Status::Unknown, "{r:?}");
        assert!(observed.contains("permission"), "{observed}");
        // So is a bond whose members cannot be read.
        let mut snap = lb_healthy();
        bond(&mut snap, "bond0").members =
            Fact::Unknown(Missing::new(Reason::Failed, "bonding/slaves: I/O error"));
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &snap);
        assert_eq!(status_of(&r, "bond0").0, Status::Unknown, "{r:?}");
        // Ports planned on one switch need no bond to be judged.
        let mut snap = lb_healthy();
        snap.bonds = Fact::Unknown(Missing::new(Reason::Permission, "denied"));
        let body = "      ports:\n        enp65s0f0: { switch: sw-a, port: Ethernet17 }\n        eno1: { switch: sw-a, port: \"*\" }\n";
        let r = audit(body, &[], &snap);
        assert!(r.iter().all(|(s, _, _)| s != "(bonds)"), "{r:?}");
    }

    #[test]
    fn policy_ports_match_switches_and_ports_without_regard_to_case() {
        let body = "      ports:\n        enp65s0f0: { switch: \"SW-A*\", port: ethernet17 }\n        enp65s0f1: { switch: { in: [SW-B.DC1.example.net] }, port: { regex: \"^ETHERNET1[0-9]$\" } }\n        eno1: { switch: Mgmt-Sw3, port: { not_in: [\"GI1/0/12\", \"gigabitethernet*\"] } }\n";
        let r = audit(body, &[], &lb_healthy());
        assert_eq!(status_of(&r, "enp65s0f0").0, Status::Pass, "{r:?}");
        assert_eq!(status_of(&r, "enp65s0f1").0, Status::Pass, "{r:?}");
        // `not_in` ignores case too: Gi1/0/12 (its port id) and
        // GigabitEthernet1/0/12 (its description) are excluded.
        assert_eq!(
            status_of(&r, "eno1"),
            (
                Status::Fail,
                "eno1 faces mgmt-sw3 Gi1/0/12, plan says Mgmt-Sw3 not GI1/0/12, gigabitethernet*"
                    .into()
            )
        );
    }

    #[test]
    fn one_switch_port_heard_over_lldp_and_cdp_is_one_switch_port() {
        let mut snap = lb_healthy();
        let cdp: Vec<LldpNeighbor> = neighbours(&mut snap).iter().map(over_cdp).collect();
        neighbours(&mut snap).extend(cdp);
        let r = audit(PORTS, &[], &snap);
        assert_eq!(
            status_of(&r, "(switch ports)"),
            (
                Status::Pass,
                "3 switch ports heard, each on one host port".into()
            )
        );
    }

    #[test]
    fn a_neighbour_that_cannot_be_told_is_unknown_on_its_port_only() {
        let mut snap = lb_healthy();
        for n in neighbours(&mut snap) {
            if n.iface == "enp65s0f1" {
                n.chassis_id = Fact::Unknown(Missing::new(Reason::Malformed, "no chassis id"));
            }
        }
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &snap);
        assert_eq!(status_of(&r, "enp65s0f0").0, Status::Pass, "{r:?}");
        assert_eq!(
            status_of(&r, "enp65s0f1"),
            (
                Status::Unknown,
                "what enp65s0f1 faces cannot be read: malformed (no chassis id)".into()
            )
        );
        // One leg heard on sw-a, the other may be on sw-b or not.
        assert_eq!(
            status_of(&r, "bond0"),
            (
                Status::Unknown,
                "bond0's members face sw-a.dc1.example.net (enp65s0f0); what enp65s0f1 faces cannot be read: malformed (no chassis id)".into()
            )
        );
        assert_eq!(status_of(&r, "(switch ports)").0, Status::Unknown);

        // Beside a neighbour that is not the planned one, it fails.
        let mut wrong = snap.clone();
        let mut sw_a = neighbours(&mut wrong)[1].clone();
        assert_eq!(sw_a.iface, "enp65s0f0");
        sw_a.iface = "enp65s0f1".into();
        port_id(&mut sw_a).value = "Ethernet18".into();
        neighbours(&mut wrong).push(sw_a);
        let r = audit("      plan: plan.csv\n", &[("plan.csv", PLAN)], &wrong);
        assert_eq!(
            status_of(&r, "enp65s0f1"),
            (
                Status::Fail,
                "enp65s0f1 faces sw-a.dc1.example.net Ethernet18, plan says sw-b Ethernet17".into()
            )
        );
    }

    #[test]
    fn two_host_ports_on_one_switch_port_fail() {
        let mut snap = lb_healthy();
        let a = neighbours(&mut snap)
            .iter()
            .find(|n| n.iface == "enp65s0f0")
            .cloned()
            .unwrap();
        neighbours(&mut snap).push(LldpNeighbor {
            iface: "eno2".into(),
            ..a
        });
        let r = audit(PORTS, &[], &snap);
        assert_eq!(
            status_of(&r, "sw-a.dc1.example.net Ethernet17"),
            (
                Status::Fail,
                "enp65s0f0, eno2 all face sw-a.dc1.example.net Ethernet17".into()
            )
        );
    }

    #[test]
    fn policy_mistakes_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let load = |body: &str| -> Vec<String> {
            let path = dir.path().join("p.yaml");
            std::fs::write(
                &path,
                format!("policy: p\nchecks:\n  - id: c\n    cabling:\n{body}"),
            )
            .unwrap();
            policy::load(&[path])
                .unwrap_err()
                .iter()
                .map(|e| {
                    e.to_string()
                        .replace(&dir.path().display().to_string(), "D")
                })
                .collect()
        };
        assert_eq!(
            load("      ports:\n        eth0: { swtch: a, port: b }\n"),
            [
                "D/p.yaml:6:17: unknown key `swtch` in what port eth0 faces: did you mean `switch`?",
                "D/p.yaml:6:15: what port eth0 faces needs `switch`",
            ]
        );
        assert_eq!(
            load("      plan: missing.csv\n"),
            [
                "D/p.yaml:5:13: D/missing.csv: cannot read the cabling plan: No such file or directory"
            ]
        );
        std::fs::write(dir.path().join("bad.csv"), "host,port,switch\nx,y,z\n").unwrap();
        let e = load("      plan: bad.csv\n");
        assert!(
            e[0].starts_with("D/bad.csv:1:1: the header names no `switch_port` column"),
            "{e:?}"
        );
        assert!(load("      mlag: [bond0]\n")[0].contains("needs `ports` or `plan`"));
        // A FIFO is not a plan: refused, not waited on.
        let fifo = dir.path().join("fifo.csv");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(load("      plan: fifo.csv\n")[0].contains("not a regular file"));
    }
}
