//! `route`: which interface traffic to a destination leaves by, and what
//! that interface is.

use std::collections::HashMap;
use std::net::IpAddr;

use super::link::{HINT_ONBOARD, HINT_SPEED, onboard};
use super::{FieldDoc, Judgement, KindDoc, finding};
use crate::collect::Scope;
use crate::collect::resolve::Flow;
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean, one_or_many, string};
use crate::policy::matcher::{Num, Text, speed_unit};
use crate::policy::yaml::{Node, Value};
use crate::snapshot::values::{LINK_KINDS, ROUTE_TYPE_WORDS};
use crate::snapshot::{Fact, Hop, Link, Prefix, RouteLookup, Snapshot};

pub const DOC: KindDoc = KindDoc {
    name: "route",
    summary: "the interface traffic to a destination leaves by, and its gateway",
    what: "For each destination, finds where its traffic goes: on a live host an address is \
           looked up by the kernel itself (RTM_GETROUTE with the FIB match, as `ip route get \
           fibmatch`), following policy rules, VRFs and every next hop of a multipath route; a \
           prefix, and every destination in a fixture, is resolved through the snapshot's rules \
           and tables (priority, longest prefix, metric). Each egress interface is then checked \
           against the expectations, and the gateway's neighbour entry for reachability.",
    why: "A configuration error that sends client traffic out of a 1G onboard port instead of \
          the installed 10G NIC goes unseen until a traffic spike saturates the small port; \
          reading the main table alone misses policy rules and VRFs.",
    fields: &[
        FieldDoc {
            name: "to",
            doc: "a destination or a list: addresses (203.0.113.7) or prefixes (0.0.0.0/0, ::/0); `default` is 0.0.0.0/0",
        },
        FieldDoc {
            name: "from",
            doc: "a source address the traffic has (selects `from` policy rules)",
        },
        FieldDoc {
            name: "fwmark",
            doc: "the firewall mark the traffic carries (selects `fwmark` rules)",
        },
        FieldDoc {
            name: "type",
            doc: "the route type expected (default unicast): a blackhole, unreachable or prohibit answer fails",
        },
        FieldDoc {
            name: "egress.name",
            doc: "the egress interface (text matcher)",
        },
        FieldDoc {
            name: "egress.kind",
            doc: "its kind: bond, physical, vlan, ... (text matcher)",
        },
        FieldDoc {
            name: "egress.speed",
            doc: "its speed in Mb/s or with a unit (number matcher); a bond's speed is its members' sum",
        },
        FieldDoc {
            name: "egress.driver",
            doc: "its driver (text matcher)",
        },
        FieldDoc {
            name: "egress.onboard",
            doc: "true or false, judged on the physical links behind the egress: a bond's or bridge's members",
        },
        FieldDoc {
            name: "egress.member_of",
            doc: "the egress is this interface or is enslaved to it (a bond, a bridge, a VRF)",
        },
        FieldDoc {
            name: "gateway_reachable",
            doc: "true: the gateway of every next hop has a neighbour entry that is not FAILED or INCOMPLETE",
        },
    ],
    example: r#"- id: egress-via-10g
  description: Client traffic must leave through a 10G NIC, never an onboard port.
  route:
    to: [0.0.0.0/0, "::/0"]
    egress: { speed: { min: 10G }, onboard: false }
    gateway_reachable: true"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone, Default)]
pub struct Egress {
    pub name: Option<Text>,
    pub kind: Option<Text>,
    pub speed: Option<Num>,
    pub driver: Option<Text>,
    pub onboard: Option<bool>,
    pub member_of: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub to: Vec<Prefix>,
    pub from: Option<IpAddr>,
    pub fwmark: Option<u32>,
    pub route_type: Text,
    pub egress: Option<Egress>,
    pub gateway_reachable: Option<bool>,
}

impl Spec {
    /// What evaluating the check reads: the links (the egress, and the
    /// names in the kernel's answers), the neighbours for
    /// `gateway_reachable`, and the routes and rules for every destination
    /// resolved through the tables: all of them in a fixture, prefixes
    /// live (the kernel is asked about addresses).
    pub fn reads(&self, live: bool) -> Scope {
        let by_tables = !live || self.to.iter().any(|p| !p.is_host());
        Scope {
            route_table: by_tables,
            rules: by_tables,
            neighbors: self.gateway_reachable == Some(true),
            ..Scope::LINKS
        }
    }

    pub fn flows(&self) -> Vec<Flow> {
        self.to
            .iter()
            .map(|to| Flow {
                to: *to,
                from: self.from,
                fwmark: self.fwmark,
            })
            .collect()
    }
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(
        ctx,
        node,
        "a route check",
        &[
            "to",
            "from",
            "fwmark",
            "type",
            "egress",
            "gateway_reachable",
        ],
    )?;
    let mut to = Vec::new();
    for item in one_or_many(f.required(ctx, "to", "a route check")?) {
        let s = string(ctx, item, "a destination address or prefix")?;
        let p = if s == "default" {
            Prefix::parse("0.0.0.0/0")
        } else {
            Prefix::parse(&s)
        };
        match p {
            Some(p) => to.push(p),
            None => ctx.error(item.pos, format!("{s:?} is not an address or a prefix")),
        }
    }
    if to.is_empty() {
        ctx.error(
            f.pos,
            "a route check needs at least one destination in `to`",
        );
        return None;
    }
    let from = match f.get("from") {
        Some(n) => {
            let s = string(ctx, n, "a source address")?;
            match s.parse::<IpAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    ctx.error(n.pos, format!("{s:?} is not an address"));
                    return None;
                }
            }
        }
        None => None,
    };
    let fwmark = match f.get("fwmark") {
        Some(n) => match &n.value {
            Value::Int(i) if *i >= 0 && *i <= i64::from(u32::MAX) => Some(*i as u32),
            Value::Str(s) if s.starts_with("0x") => match u32::from_str_radix(&s[2..], 16) {
                Ok(v) => Some(v),
                Err(_) => {
                    ctx.error(n.pos, format!("{s:?} is not a 32-bit mark"));
                    return None;
                }
            },
            _ => {
                ctx.error(
                    n.pos,
                    format!(
                        "expected a firewall mark (a number or 0x...), found {}",
                        n.value.kind()
                    ),
                );
                return None;
            }
        },
        None => None,
    };
    let route_type = match f.get("type") {
        Some(n) => Text::parse_words(ctx, n, &ROUTE_TYPE_WORDS)?,
        None => Text::literal("unicast"),
    };
    let egress = match f.get("egress") {
        Some(n) => {
            let e = Fields::new(
                ctx,
                n,
                "an egress expectation",
                &["name", "kind", "speed", "driver", "onboard", "member_of"],
            )?;
            if e.keys().next().is_none() {
                ctx.error(
                    n.pos,
                    "an empty egress expectation: there would be nothing to check",
                );
                return None;
            }
            Some(Egress {
                name: e.get("name").and_then(|x| Text::parse(ctx, x, "name")),
                kind: e
                    .get("kind")
                    .and_then(|x| Text::parse_words(ctx, x, &LINK_KINDS)),
                speed: e
                    .get("speed")
                    .and_then(|x| Num::parse(ctx, x, "speed", Some(speed_unit))),
                driver: e.get("driver").and_then(|x| Text::parse(ctx, x, "driver")),
                onboard: e
                    .get("onboard")
                    .and_then(|x| boolean(ctx, x, "true or false")),
                member_of: e
                    .get("member_of")
                    .and_then(|x| string(ctx, x, "an interface name")),
            })
        }
        None => None,
    };
    let gateway_reachable = f
        .get("gateway_reachable")
        .and_then(|n| boolean(ctx, n, "true or false"));
    Some(Spec {
        to,
        from,
        fwmark,
        route_type,
        egress,
        gateway_reachable,
    })
}

const HINT_ROUTE: &str = "the traffic takes the wrong path: fix the routes or policy rules so it leaves by the interface the policy names";
const HINT_DROPPED: &str = "traffic to this destination is dropped: add or fix the route";
const HINT_NEIGHBOUR: &str =
    "the gateway does not answer ARP/NDP on that interface: check the cabling and the gateway";

/// The links carrying traffic that leaves by `link`: a bond's or bridge's
/// members, recursively; the link itself when it has none.
fn physical<'a>(link: &'a Link, links: &'a [Link], depth: u8) -> Vec<&'a Link> {
    let members: Vec<&Link> = links
        .iter()
        .filter(|l| {
            l.iface.master.known().and_then(|m| m.as_deref()) == Some(link.iface.name.as_str())
        })
        .collect();
    if members.is_empty() || depth > 4 {
        return vec![link];
    }
    members
        .into_iter()
        .flat_map(|m| physical(m, links, depth + 1))
        .collect()
}

fn egress_judgements(hop: &Hop, e: &Egress, snap: &Snapshot, links: &[Link]) -> Vec<Judgement> {
    let Some(dev) = hop.dev.as_deref() else {
        return vec![Judgement {
            ok: Some(false),
            expected: "an egress interface".into(),
            observed: "a next hop without an interface".into(),
            evidence: vec![snap.origin.routes.clone()],
            remediation: HINT_ROUTE,
        }];
    };
    let Some(link) = links.iter().find(|l| l.iface.name == dev) else {
        return vec![Judgement {
            ok: None,
            expected: format!("egress {dev} among the links"),
            observed: format!("egress {dev} not found among the links"),
            evidence: vec![snap.origin.link(dev)],
            remediation: HINT_ROUTE,
        }];
    };
    let ev = snap.origin.link(dev);
    let mut out = Vec::new();
    let via = format!("egress {dev}");
    if let Some(m) = &e.name {
        out.push(Judgement {
            // A name that is not the kernel's own cannot be judged.
            ok: link
                .iface
                .name_unreadable()
                .map_or(Some(m.matches(dev)), |_| None),
            expected: format!("egress {m}"),
            observed: via.clone(),
            evidence: vec![ev.clone()],
            remediation: HINT_ROUTE,
        });
    }
    if let Some(m) = &e.kind {
        out.push(Judgement::of(
            &format!("{via} kind"),
            &link.iface.kind,
            m,
            &ev,
            HINT_ROUTE,
            |k| m.matches(k),
            String::clone,
        ));
    }
    if let Some(m) = &e.speed {
        out.push(Judgement::of(
            &format!("{via} speed"),
            &link.speed_mbps,
            format!("{m} Mb/s"),
            snap.origin.link_settings(dev),
            HINT_SPEED,
            |v| m.matches(f64::from(*v)),
            |v| format!("{v} Mb/s"),
        ));
    }
    if let Some(m) = &e.driver {
        out.push(Judgement::of(
            &format!("{via} driver"),
            &link.driver,
            m,
            snap.origin.driver(dev),
            HINT_ROUTE,
            |d| m.matches(&d.driver),
            |d| d.driver.clone(),
        ));
    }
    if let Some(want) = e.onboard {
        for p in physical(link, links, 0) {
            let ev = match &p.device {
                Fact::Known(Some(d)) => snap.origin.file(&d.path),
                _ => snap.origin.file(&format!("sys/class/net/{}", p.iface.name)),
            };
            let what = if p.iface.name == dev {
                format!("{via} onboard")
            } else {
                format!("{via} member {} onboard", p.iface.name)
            };
            out.push(Judgement::of(
                &what,
                &onboard(p),
                want,
                ev,
                HINT_ONBOARD,
                |(is, _)| *is == want,
                |(is, basis)| format!("{is} ({basis})"),
            ));
        }
    }
    if let Some(bond) = &e.member_of {
        let master = link.iface.master.known().and_then(|m| m.as_deref());
        out.push(Judgement {
            ok: if dev == bond || master == Some(bond.as_str()) {
                Some(true)
            } else if link.iface.master.known().is_some() {
                Some(false)
            } else {
                None
            },
            expected: format!("egress {bond} or one of its members"),
            observed: format!(
                "{via}{}",
                master
                    .map(|m| format!(" (member of {m})"))
                    .unwrap_or_default()
            ),
            evidence: vec![ev.clone()],
            remediation: HINT_ROUTE,
        });
    }
    out
}

fn neighbour(hop: &Hop, snap: &Snapshot) -> Option<Judgement> {
    let gw = hop.gateway?;
    let dev = hop.dev.as_deref().unwrap_or("?");
    let expected = format!("gateway {gw} reachable on {dev}");
    let evidence = vec![snap.origin.neighbors.clone()];
    let neigh = match &snap.neighbors {
        Fact::Known(n) => n,
        Fact::Unknown(m) => {
            return Some(Judgement {
                ok: None,
                expected,
                observed: format!("neighbours unknown: {m}"),
                evidence,
                remediation: HINT_NEIGHBOUR,
            });
        }
    };
    let entry = neigh
        .iter()
        .find(|n| n.address == gw && Some(n.dev.as_str()) == hop.dev.as_deref());
    Some(match entry {
        None => Judgement {
            ok: None,
            expected,
            observed: format!("no neighbour entry for {gw} on {dev}: never resolved, or expired"),
            evidence,
            remediation: HINT_NEIGHBOUR,
        },
        Some(n) => Judgement {
            ok: Some(
                !n.state
                    .iter()
                    .any(|s| matches!(*s, "FAILED" | "INCOMPLETE" | "NONE")),
            ),
            expected,
            observed: format!("gateway {gw} on {dev} {}", n.state.join(",")),
            evidence,
            remediation: HINT_NEIGHBOUR,
        },
    })
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let links: &[Link] = snap.links.known().map(Vec::as_slice).unwrap_or(&[]);
    // The first answer to each flow, found in one pass: a check may name
    // thousands of destinations.
    let mut lookups: HashMap<Flow, &RouteLookup> = HashMap::new();
    for l in &snap.route_lookups {
        let flow = Flow {
            to: l.to,
            from: l.from,
            fwmark: l.fwmark,
        };
        lookups.entry(flow).or_insert(l);
    }
    spec.flows()
        .into_iter()
        .map(|flow| {
            let subject = if flow.to.len == 0 {
                format!("default ({})", flow.to)
            } else if flow.to.is_host() {
                flow.to.addr.to_string()
            } else {
                flow.to.to_string()
            };
            let lookup = lookups.get(&flow).copied();
            let evidence = |method: &str| {
                if method == "kernel" {
                    format!("rtnetlink RTM_GETROUTE {} (fibmatch)", flow.to.addr)
                } else {
                    snap.origin.routes.clone()
                }
            };
            let Some(lookup) = lookup else {
                return finding(
                    check,
                    subject,
                    vec![Judgement {
                        ok: None,
                        expected: "a route lookup".into(),
                        observed: "the destination was not looked up".into(),
                        evidence: vec![],
                        remediation: "",
                    }],
                );
            };
            let res = match &lookup.result {
                Fact::Known(r) => r,
                Fact::Unknown(m) => {
                    return finding(
                        check,
                        subject,
                        vec![Judgement {
                            ok: None,
                            expected: "a route to judge".into(),
                            observed: format!("route unknown: {m}"),
                            evidence: vec![evidence(lookup.method)],
                            remediation: "",
                        }],
                    );
                }
            };
            let found = match (&res.table, &res.route) {
                (Some(t), Some(r)) => format!(" (route {r}, table {t})"),
                _ => String::new(),
            };
            let mut judgements = vec![Judgement {
                ok: Some(spec.route_type.matches(&res.kind)),
                expected: format!("route type {}", spec.route_type),
                observed: format!("route type {}{found}", res.kind),
                evidence: vec![evidence(lookup.method)],
                remediation: HINT_DROPPED,
            }];
            for hop in &res.hops {
                if let Some(e) = &spec.egress {
                    judgements.extend(egress_judgements(hop, e, snap, links));
                }
                if spec.gateway_reachable == Some(true)
                    && let Some(j) = neighbour(hop, snap)
                {
                    judgements.push(j);
                }
            }
            finding(check, subject, judgements)
        })
        .collect()
}
