//! Where traffic to a destination goes, worked out from the rules and
//! tables of a snapshot the way the kernel's FIB lookup does: rules by
//! priority, longest prefix in the table a rule names, then the lowest
//! metric. Used for fixtures, and for prefixes (a question about a route,
//! which the kernel cannot be asked about an address).
//!
//! The lookup models locally originated traffic: no input interface but
//! `lo`, no output interface, TOS 0, uid 0, no ports, unless the policy
//! gives a source address and a firewall mark.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::snapshot::{Family, Prefix, Resolution, Route, RouteEntry, RouteTable, Rule, names};

/// What the lookup is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

const RTN_THROW: u8 = 9;

/// The walk of the rules for one flow: by priority, each rule that selects
/// it sends the lookup to a table (`best` finds the table's route for the
/// destination), jumps, or ends it.
fn walk(
    rules: &[&Rule],
    flow: &Flow,
    best: impl Fn(u32, &Prefix) -> Option<RouteEntry>,
) -> Resolution {
    let mut i = 0;
    while let Some(rule) = rules.get(i) {
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
                let Some(route) = best(table, &flow.to) else {
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
                    match rules.iter().position(|r| r.priority >= target) {
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

/// An address as the bits a prefix masks, and a route's place in a
/// table's index: by masked address, then the longer prefix first, which
/// is the order the kernel's own dump of a table comes in (its trie walk).
trait Bits: Family {
    type Key: Copy + Ord;
    const LEN: u8;
    fn key(self, len: u8) -> Self::Key;
}

impl Bits for Ipv4Addr {
    type Key = u64;
    const LEN: u8 = 32;
    fn key(self, len: u8) -> u64 {
        let bits = u32::from(self);
        let masked = if len == 0 {
            0
        } else {
            bits & (u32::MAX << (32 - u32::from(len)))
        };
        (u64::from(masked) << 8) | u64::from(u8::MAX - len)
    }
}

impl Bits for Ipv6Addr {
    type Key = (u128, u8);
    const LEN: u8 = 128;
    fn key(self, len: u8) -> (u128, u8) {
        let bits = u128::from(self);
        let masked = if len == 0 {
            0
        } else {
            bits & (u128::MAX << (128 - u32::from(len)))
        };
        (masked, u8::MAX - len)
    }
}

/// A multiply-and-rotate hash for the map from a route's table to its
/// index, looked up once a route: the standard hasher's DoS resistance
/// buys nothing for numbers the kernel gave, and costs a million times.
#[derive(Default)]
struct TableHasher(u64);

impl Hasher for TableHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// One table of one family: the prefixes it holds, sorted, each with the
/// route the kernel would pick among those with that very prefix (the
/// lowest metric, the first of equals); and the prefix lengths present,
/// longest first. Two arrays, 12 bytes an IPv4 route.
struct TableIndex<K> {
    lengths: Vec<u8>,
    keys: Vec<K>,
    routes: Vec<u32>,
}

/// The tables of one family that the rules look up.
struct FamilyIndex<K> {
    slot: HashMap<u32, usize, BuildHasherDefault<TableHasher>>,
    tables: Vec<TableIndex<K>>,
}

impl<K: Copy + Ord> FamilyIndex<K> {
    fn build<A: Bits<Key = K>>(routes: &[Route<A>], tables: &[u32]) -> FamilyIndex<K> {
        let slot: HashMap<u32, usize, BuildHasherDefault<TableHasher>> =
            tables.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        let mut counts = vec![0usize; tables.len()];
        for r in routes {
            if let Some(i) = slot.get(&r.table) {
                counts[*i] += 1;
            }
        }
        let mut seen = vec![[false; 129]; tables.len()];
        let mut built: Vec<(Vec<K>, Vec<u32>)> = counts
            .iter()
            .map(|n| (Vec::with_capacity(*n), Vec::with_capacity(*n)))
            .collect();
        for (i, r) in routes.iter().enumerate() {
            let Some(at) = slot.get(&r.table) else {
                continue;
            };
            let len = r.dst_len.min(A::LEN);
            seen[*at][usize::from(len)] = true;
            built[*at].0.push(r.dst.key(len));
            built[*at].1.push(i as u32);
        }
        let tables = built
            .into_iter()
            .zip(&seen)
            .map(|((keys, at), seen)| {
                let (keys, routes) = best_of_each(keys, at, |i| routes[i as usize].metric);
                TableIndex {
                    lengths: (0..=A::LEN)
                        .rev()
                        .filter(|l| seen[usize::from(*l)])
                        .collect(),
                    keys,
                    routes,
                }
            })
            .collect();
        FamilyIndex { slot, tables }
    }

    /// The route of `table` that carries `to`: the longest prefix holding
    /// it, then the lowest metric.
    fn best<A: Bits<Key = K>>(&self, table: u32, to: A, to_len: u8) -> Option<usize> {
        let t = &self.tables[*self.slot.get(&table)?];
        t.lengths
            .iter()
            .filter(|len| **len <= to_len)
            .find_map(|len| t.keys.binary_search(&to.key(*len)).ok())
            .map(|i| t.routes[i] as usize)
    }
}

/// The routes' keys sorted, each key once with the route of lowest metric
/// (the first of equals, in the table's order). A table dumped by the
/// kernel comes sorted already, and is kept in place; anything else is
/// sorted here.
fn best_of_each<K: Copy + Ord>(
    mut keys: Vec<K>,
    mut routes: Vec<u32>,
    metric: impl Fn(u32) -> u32,
) -> (Vec<K>, Vec<u32>) {
    if !keys.is_sorted() {
        let mut pairs: Vec<(K, u32)> = keys.into_iter().zip(routes).collect();
        // Stable: routes of one prefix stay in the table's order.
        pairs.sort_by_key(|(k, _)| *k);
        (keys, routes) = pairs.into_iter().unzip();
    }
    let mut kept = 0;
    for i in 0..keys.len() {
        if kept > 0 && keys[kept - 1] == keys[i] {
            if metric(routes[i]) < metric(routes[kept - 1]) {
                routes[kept - 1] = routes[i];
            }
        } else {
            keys[kept] = keys[i];
            routes[kept] = routes[i];
            kept += 1;
        }
    }
    keys.truncate(kept);
    routes.truncate(kept);
    (keys, routes)
}

/// A snapshot's rules and routes, ready to resolve flows the way the
/// kernel's FIB lookup does: rules by priority, then in each table the
/// longest prefix, then the lowest metric. The routes are indexed once
/// (only the tables some rule looks up), so that each flow costs a binary
/// search per prefix length present, not a scan of every route: 10,000
/// destinations against a million routes take milliseconds.
pub struct Resolver<'a> {
    routes: &'a RouteTable,
    rules_v4: Vec<&'a Rule>,
    rules_v6: Vec<&'a Rule>,
    v4: FamilyIndex<u64>,
    v6: FamilyIndex<(u128, u8)>,
}

impl<'a> Resolver<'a> {
    pub fn new(routes: &'a RouteTable, rules: &'a [Rule]) -> Resolver<'a> {
        let of_family = |family: u8| {
            let mut v: Vec<&Rule> = rules.iter().filter(|r| r.family == family).collect();
            v.sort_by_key(|r| r.priority);
            v
        };
        let (rules_v4, rules_v6) = (of_family(4), of_family(6));
        let looked_up = |rules: &[&Rule]| -> Vec<u32> {
            let mut t: Vec<u32> = rules
                .iter()
                .filter(|r| r.action == "lookup")
                .filter_map(|r| r.table.as_deref().and_then(names::table_id))
                .collect();
            t.sort_unstable();
            t.dedup();
            t
        };
        Resolver {
            routes,
            v4: FamilyIndex::build(&routes.ipv4, &looked_up(&rules_v4)),
            v6: FamilyIndex::build(&routes.ipv6, &looked_up(&rules_v6)),
            rules_v4,
            rules_v6,
        }
    }

    /// The route of `table` that carries `to`, if the table has one; for a
    /// table some rule of `to`'s family looks up (the others are not
    /// indexed: no lookup reaches them).
    fn best_in_table(&self, table: u32, to: &Prefix) -> Option<RouteEntry> {
        match to.addr {
            IpAddr::V4(a) => self
                .v4
                .best(table, a, to.len)
                .map(|i| self.routes.entry(&self.routes.ipv4[i])),
            IpAddr::V6(a) => self
                .v6
                .best(table, a, to.len)
                .map(|i| self.routes.entry(&self.routes.ipv6[i])),
        }
    }

    /// Where the flow's traffic goes.
    pub fn resolve(&self, flow: &Flow) -> Resolution {
        let rules = if flow.to.addr.is_ipv4() {
            &self.rules_v4
        } else {
            &self.rules_v6
        };
        walk(rules, flow, |table, to| self.best_in_table(table, to))
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
            {"priority":32767,"src":"all","table":"default"}]"#
                .as_bytes(),
            4,
        )
        .unwrap();
        (t, rules)
    }

    fn go(to: &str, from: Option<&str>, mark: Option<u32>) -> Resolution {
        let (t, r) = table();
        Resolver::new(&t, &r).resolve(&Flow {
            to: Prefix::parse(to).unwrap(),
            from: from.map(|f| f.parse().unwrap()),
            fwmark: mark,
        })
    }

    fn dev(r: &Resolution) -> &str {
        r.hops[0].dev.as_deref().unwrap()
    }

    #[test]
    fn local_blackhole_and_unreachable_hold_for_ipv6_too() {
        let mut t = RouteTable::default();
        parse_routes(
            r#"[{"dst":"2001:db8::/32","dev":"eno1","metric":1024,"flags":[]},
                {"dst":"2001:db8::/32","dev":"eno2","metric":100,"flags":[]},
                {"dst":"2001:db8:1::/48","dev":"bond0","metric":1024,"flags":[]},
                {"type":"local","dst":"2001:db8:1::1","dev":"bond0","table":"local","metric":0,"flags":[]}]"#,
            6,
            &mut t,
        )
        .unwrap();
        let rules = parse_rules(
            r#"[{"priority":0,"src":"all","table":"local"},{"priority":32766,"src":"all","table":"main"}]"#
                .as_bytes(),
            6,
        )
        .unwrap();
        let r = Resolver::new(&t, &rules);
        let go = |to: &str| {
            r.resolve(&Flow {
                to: Prefix::parse(to).unwrap(),
                from: None,
                fwmark: None,
            })
        };
        assert_eq!(go("2001:db8:2::9").hops[0].dev.as_deref(), Some("eno2"));
        assert_eq!(go("2001:db8:1::9").hops[0].dev.as_deref(), Some("bond0"));
        assert_eq!(go("2001:db8:1::1").kind, "local");
        assert_eq!(go("2001:db9::1").kind, "unreachable");
    }

    /// The scan the index replaced: every route of the table, the longest
    /// prefix holding the destination, then the lowest metric, the first
    /// of equals.
    fn scan(routes: &RouteTable, table: u32, to: &Prefix) -> Option<RouteEntry> {
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

    /// xorshift64*: random tables that are the same every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn pick<T: Copy>(&mut self, from: &[T]) -> T {
            from[(self.next() % from.len() as u64) as usize]
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    /// An address of a small space, so that prefixes overlap and collide.
    fn address(rng: &mut Rng, v4: bool) -> IpAddr {
        let low = rng.next() & 0xfff;
        if v4 {
            IpAddr::V4(Ipv4Addr::from(
                0x0a00_0000 | ((low as u32) << 8) | (rng.next() as u32 & 3),
            ))
        } else {
            IpAddr::V6(Ipv6Addr::from(
                (0x2001_0db8u128 << 96) | (u128::from(low) << 80) | u128::from(rng.next() & 3),
            ))
        }
    }

    fn prefix(rng: &mut Rng, v4: bool) -> Prefix {
        let len = if v4 {
            rng.pick(&[0, 8, 12, 16, 20, 22, 24, 30, 32])
        } else {
            rng.pick(&[0, 32, 36, 40, 44, 48, 64, 127, 128])
        };
        Prefix {
            addr: address(rng, v4),
            len,
        }
    }

    fn random_table(rng: &mut Rng, n: usize) -> RouteTable {
        let mut t = RouteTable::default();
        for _ in 0..n {
            let v4 = rng.chance(70);
            let hops = if rng.chance(15) {
                (0..2)
                    .map(|i| {
                        let weight = rng.pick(&[1, 2, 5]);
                        (Some(address(rng, v4)), Some(format!("hop{i}")), weight, 0)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            t.push(RouteEntry {
                table: rng.pick(&[254, 254, 254, 100, 101, 255, 7]),
                dst: prefix(rng, v4),
                kind: rng.pick(&[1, 1, 1, 1, 1, 2, 6, 7, 9]),
                protocol: 4,
                scope: 0,
                flags: 0,
                metric: rng.pick(&[0, 0, 5, 100, 1024]),
                gateway: if hops.is_empty() && rng.chance(50) {
                    Some(address(rng, v4))
                } else {
                    None
                },
                pref_src: None,
                dev: Some(rng.pick(&["eth0", "eth1", "bond0"]).to_owned()),
                nexthops: hops,
            })
            .unwrap();
        }
        t
    }

    fn random_rules(rng: &mut Rng) -> Vec<Rule> {
        let rule = |family: u8, priority: u32, action: &str, table: Option<&str>| Rule {
            family,
            priority,
            action: action.to_owned(),
            table: table.map(str::to_owned),
            goto: None,
            invert: false,
            src: None,
            dst: None,
            iif: None,
            oif: None,
            fwmark: None,
            fwmask: None,
            tos: None,
            l3mdev: false,
            suppress_prefixlen: None,
            uid_range: None,
            ip_proto: None,
            sport: None,
            dport: None,
        };
        let mut rules = Vec::new();
        for family in [4, 6] {
            rules.push(rule(family, 0, "lookup", Some("local")));
            rules.push(rule(family, 32766, "lookup", Some("main")));
            rules.push(rule(family, 32767, "lookup", Some("default")));
            for _ in 0..rng.next() % 6 {
                let priority = (rng.next() % 32000) as u32 + 1;
                let mut r = match rng.next() % 6 {
                    0 => rule(family, priority, "goto", None),
                    1 => rule(family, priority, "blackhole", None),
                    2 => rule(family, priority, "nop", None),
                    _ => rule(
                        family,
                        priority,
                        "lookup",
                        Some(rng.pick(&["100", "101", "main", "7"])),
                    ),
                };
                if r.action == "goto" {
                    r.goto = Some((rng.next() % 32767) as u32);
                }
                if rng.chance(30) {
                    r.src = Some(prefix(rng, family == 4));
                }
                if rng.chance(20) {
                    r.fwmark = Some(rng.pick(&[1, 2]));
                }
                if rng.chance(20) {
                    r.suppress_prefixlen = Some(rng.pick(&[0, 8, 24]));
                }
                r.invert = rng.chance(10);
                rules.push(r);
            }
        }
        rules
    }

    #[test]
    fn the_index_finds_what_a_scan_of_every_route_finds() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut resolved = 0;
        for _ in 0..30 {
            let n = 1 + (rng.next() % 300) as usize;
            let routes = random_table(&mut rng, n);
            let rules = random_rules(&mut rng);
            let resolver = Resolver::new(&routes, &rules);
            for _ in 0..150 {
                let v4 = rng.chance(60);
                let to = if rng.chance(70) {
                    host(address(&mut rng, v4))
                } else {
                    prefix(&mut rng, v4)
                };
                let flow = Flow {
                    to,
                    from: rng.chance(30).then(|| address(&mut rng, v4)),
                    fwmark: rng.chance(20).then(|| rng.pick(&[1, 2])),
                };
                let family = if v4 { 4 } else { 6 };
                // Every table a rule of the family looks up.
                for table in [254, 100, 101, 255, 7, 253] {
                    let named = rules.iter().any(|r| {
                        r.family == family
                            && r.action == "lookup"
                            && r.table.as_deref().and_then(names::table_id) == Some(table)
                    });
                    if named {
                        assert_eq!(
                            resolver.best_in_table(table, &to),
                            scan(&routes, table, &to),
                            "table {table}, {to}"
                        );
                    }
                }
                let mut ordered: Vec<&Rule> = rules.iter().filter(|r| r.family == family).collect();
                ordered.sort_by_key(|r| r.priority);
                let by_scan = walk(&ordered, &flow, |table, to| scan(&routes, table, to));
                assert_eq!(resolver.resolve(&flow), by_scan, "{flow:?}");
                resolved += 1;
            }
        }
        assert_eq!(resolved, 4_500);
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
