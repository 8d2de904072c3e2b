//! Where traffic to a destination goes, worked out from the rules and
//! tables of a snapshot the way the kernel's FIB lookup does: rules by
//! priority, longest prefix in the table a rule names, then the lowest
//! metric. Used for fixtures, and for prefixes (a question about a route,
//! which the kernel cannot be asked about an address).
//!
//! The lookup models locally originated traffic: no input interface but
//! `lo`, no output interface, TOS 0, uid 0, no ports, unless the policy
//! gives a source address and a firewall mark.

use std::net::IpAddr;

use crate::snapshot::{Prefix, Resolution, RouteEntry, RouteTable, Rule, names};

/// What the lookup is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub to: Prefix,
    pub from: Option<IpAddr>,
    pub fwmark: Option<u32>,
}

fn unspecified(v4: bool) -> IpAddr {
    if v4 {
        IpAddr::from([0u8; 4])
    } else {
        IpAddr::from([0u8; 16])
    }
}

fn host(addr: IpAddr) -> Prefix {
    Prefix {
        addr,
        len: if addr.is_ipv4() { 32 } else { 128 },
    }
}

/// Whether the rule's selector matches the flow (before `not`).
fn selects(rule: &Rule, flow: &Flow) -> bool {
    let v4 = flow.to.addr.is_ipv4();
    let src = flow.from.unwrap_or_else(|| unspecified(v4));
    rule.src.is_none_or(|p| p.contains(&host(src)))
        && rule.dst.is_none_or(|p| p.contains(&flow.to))
        && match (rule.fwmark, rule.fwmask) {
            (None, _) => true,
            (Some(mark), mask) => flow.fwmark.unwrap_or(0) & mask.unwrap_or(u32::MAX) == mark,
        }
        // Locally originated traffic enters through lo, leaves by no
        // interface chosen yet, carries no TOS and no ports.
        && rule.iif.as_deref().is_none_or(|i| i == "lo")
        && rule.oif.is_none()
        && rule.tos.is_none()
        && rule.ip_proto.is_none()
        && rule.sport.is_none()
        && rule.dport.is_none()
        && rule.uid_range.is_none_or(|(lo, hi)| lo == 0 || hi < lo)
        && !rule.l3mdev
}

/// The route of `table` that carries `to`: longest prefix, then lowest
/// metric; `None` when the table has none.
fn best_in_table(routes: &RouteTable, table: u32, to: &Prefix) -> Option<RouteEntry> {
    let mut best: Option<RouteEntry> = None;
    for e in routes.entries() {
        if e.table != table || !e.dst.contains(to) {
            continue;
        }
        let better = match &best {
            None => true,
            Some(b) => e.dst.len > b.dst.len || (e.dst.len == b.dst.len && e.metric < b.metric),
        };
        if better {
            best = Some(e);
        }
    }
    best
}

const RTN_THROW: u8 = 9;

/// Resolves a flow against a snapshot's rules and routes.
pub fn resolve(routes: &RouteTable, rules: &[Rule], flow: &Flow) -> Resolution {
    let family = if flow.to.addr.is_ipv4() { 4 } else { 6 };
    let mut ordered: Vec<&Rule> = rules.iter().filter(|r| r.family == family).collect();
    ordered.sort_by_key(|r| r.priority);
    let mut i = 0;
    while let Some(rule) = ordered.get(i) {
        i += 1;
        if selects(rule, flow) == rule.invert {
            continue;
        }
        match rule.action.as_str() {
            "lookup" => {
                let Some(table) = rule.table.as_deref().and_then(names::table_id) else {
                    // An l3mdev rule's table depends on the VRF of an
                    // interface this lookup does not have.
                    continue;
                };
                let Some(route) = best_in_table(routes, table, &flow.to) else {
                    continue;
                };
                if rule
                    .suppress_prefixlen
                    .is_some_and(|n| u32::from(route.dst.len) <= n)
                {
                    continue;
                }
                if route.kind == RTN_THROW {
                    continue;
                }
                return Resolution::of_entry(&route);
            }
            "goto" => {
                if let Some(target) = rule.goto {
                    match ordered.iter().position(|r| r.priority >= target) {
                        Some(at) if at > i - 1 => i = at,
                        _ => {}
                    }
                }
            }
            "nop" => {}
            action => {
                return Resolution {
                    kind: action.to_owned(),
                    table: None,
                    route: None,
                    hops: Vec::new(),
                };
            }
        }
    }
    Resolution {
        kind: "unreachable".to_owned(),
        table: None,
        route: None,
        hops: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::iproute::{parse_routes, parse_rules};

    fn table() -> (RouteTable, Vec<Rule>) {
        let mut t = RouteTable::default();
        parse_routes(
            r#"[
            {"dst":"default","gateway":"198.51.100.1","dev":"bond0","flags":[]},
            {"dst":"default","gateway":"192.0.2.1","dev":"eno1","metric":100,"flags":[]},
            {"dst":"10.0.0.0/8","gateway":"192.0.2.1","dev":"eno1","flags":[]},
            {"dst":"10.9.0.0/16","gateway":"192.0.2.9","dev":"eno2","flags":[]},
            {"type":"local","dst":"192.0.2.10","dev":"eno1","table":"local","flags":[]},
            {"dst":"default","gateway":"192.0.2.254","dev":"eno1","table":"100","flags":[]},
            {"type":"throw","dst":"172.16.0.0/12","table":"100","flags":[]},
            {"type":"blackhole","dst":"203.0.113.0/24","flags":[]}
        ]"#,
            4,
            &mut t,
        )
        .unwrap();
        let rules = parse_rules(
            r#"[{"priority":0,"src":"all","table":"local"},
            {"priority":50,"src":"all","table":"main","suppress_prefixlen":0},
            {"priority":100,"src":"192.0.2.10","srclen":32,"table":"100"},
            {"priority":110,"src":"all","fwmark":"0x10","table":"100"},
            {"priority":32766,"src":"all","table":"main"},
            {"priority":32767,"src":"all","table":"default"}]"#,
            4,
        )
        .unwrap();
        (t, rules)
    }

    fn go(to: &str, from: Option<&str>, mark: Option<u32>) -> Resolution {
        let (t, r) = table();
        resolve(
            &t,
            &r,
            &Flow {
                to: Prefix::parse(to).unwrap(),
                from: from.map(|f| f.parse().unwrap()),
                fwmark: mark,
            },
        )
    }

    fn dev(r: &Resolution) -> &str {
        r.hops[0].dev.as_deref().unwrap()
    }

    #[test]
    fn longest_prefix_then_metric() {
        assert_eq!(dev(&go("0.0.0.0/0", None, None)), "bond0");
        assert_eq!(dev(&go("198.18.0.7", None, None)), "bond0");
        assert_eq!(dev(&go("10.1.2.3", None, None)), "eno1");
        assert_eq!(dev(&go("10.9.2.3", None, None)), "eno2");
        // A /8 question is answered by the /8 route, not the /16 inside it.
        assert_eq!(dev(&go("10.0.0.0/8", None, None)), "eno1");
    }

    #[test]
    fn rules_pick_the_table() {
        let r = go("8.8.8.8", Some("192.0.2.10"), None);
        assert_eq!((dev(&r), r.table.as_deref()), ("eno1", Some("100")));
        assert_eq!(
            go("8.8.8.8", None, Some(0x10)).table.as_deref(),
            Some("100")
        );
        // `throw` in table 100 falls through to the next rule (main).
        let r = go("172.16.1.1", Some("192.0.2.10"), None);
        assert_eq!((dev(&r), r.table.as_deref()), ("bond0", Some("main")));
    }

    #[test]
    fn local_blackhole_and_unreachable() {
        assert_eq!(go("192.0.2.10", None, None).kind, "local");
        let r = go("203.0.113.0/24", None, None);
        assert_eq!(r.kind, "blackhole");
        assert!(r.hops.is_empty());
        assert_eq!(go("::/0", None, None).kind, "unreachable");
    }
}
