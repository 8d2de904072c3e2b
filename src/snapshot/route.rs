//! Routes of every table and the policy rules that choose between tables.
//!
//! A host can carry a full Internet table or more (a million routes), so a
//! route is kept compact: 36 bytes for IPv4, device names interned, next hops
//! of multipath routes kept aside. Serialization expands it to what `ip -j
//! route` users expect.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use schemars::JsonSchema;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// An address with a prefix length: `10.0.0.0/8`, `::/0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    /// Parses `10.0.0.0/8`, or a bare address as a host prefix.
    pub fn parse(text: &str) -> Option<Prefix> {
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        (len <= max).then_some(Prefix { addr, len })
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.addr {
            // Written by hand: formatting a million IPv4 prefixes through
            // `fmt` was a tenth of `show routes --format json`.
            IpAddr::V4(a) => {
                fn digits(v: u8, text: &mut [u8; 20], n: &mut usize) {
                    if v >= 100 {
                        text[*n] = b'0' + v / 100;
                        *n += 1;
                    }
                    if v >= 10 {
                        text[*n] = b'0' + v / 10 % 10;
                        *n += 1;
                    }
                    text[*n] = b'0' + v % 10;
                    *n += 1;
                }
                let mut text = [0u8; 20];
                let mut n = 0;
                let [o1, o2, o3, o4] = a.octets();
                for (o, sep) in [(o1, b'.'), (o2, b'.'), (o3, b'.'), (o4, b'/')] {
                    digits(o, &mut text, &mut n);
                    text[n] = sep;
                    n += 1;
                }
                digits(self.len, &mut text, &mut n);
                s.serialize_str(std::str::from_utf8(&text[..n]).map_err(serde::ser::Error::custom)?)
            }
            IpAddr::V6(_) => s.collect_str(self),
        }
    }
}

/// Index of an interned device name in a [`RouteTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DevId(u32);

impl DevId {
    pub const NONE: DevId = DevId(u32::MAX);
}

/// Kernel route flags (`RTNH_F_*`) that can stand on a route or a next hop.
pub const ROUTE_FLAG_NAMES: &[(u8, &str)] = &[
    (1, "dead"),
    (2, "pervasive"),
    (4, "onlink"),
    (8, "offload"),
    (16, "linkdown"),
    (32, "unresolved"),
    (64, "trap"),
];

pub fn route_flag_names(flags: u8) -> impl Iterator<Item = &'static str> {
    ROUTE_FLAG_NAMES
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
}

/// An address family whose routes a [`RouteTable`] keeps in a vector of
/// their own, so that an IPv4 route does not pay for an IPv6 address.
pub trait Family: Copy {
    fn to_ip(self) -> IpAddr;
    fn from_ip(ip: IpAddr) -> Option<Self>;
    fn routes(table: &mut RouteTable) -> &mut Vec<Route<Self>>;
}

impl Family for Ipv4Addr {
    fn to_ip(self) -> IpAddr {
        IpAddr::V4(self)
    }
    fn from_ip(ip: IpAddr) -> Option<Self> {
        match ip {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(_) => None,
        }
    }
    fn routes(table: &mut RouteTable) -> &mut Vec<Route<Self>> {
        &mut table.ipv4
    }
}

impl Family for Ipv6Addr {
    fn to_ip(self) -> IpAddr {
        IpAddr::V6(self)
    }
    fn from_ip(ip: IpAddr) -> Option<Self> {
        match ip {
            IpAddr::V6(a) => Some(a),
            IpAddr::V4(_) => None,
        }
    }
    fn routes(table: &mut RouteTable) -> &mut Vec<Route<Self>> {
        &mut table.ipv6
    }
}

/// One route of one family. `A` is `Ipv4Addr` or `Ipv6Addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<A> {
    pub table: u32,
    pub metric: u32,
    pub dev: DevId,
    /// Index into the table's next-hop groups, or `u32::MAX`.
    group: u32,
    pub dst: A,
    pub gateway: Option<A>,
    pub pref_src: Option<A>,
    pub dst_len: u8,
    pub kind: u8,
    pub protocol: u8,
    pub scope: u8,
    pub flags: u8,
}

/// A next hop of a multipath route, or the single hop of a route whose
/// gateway belongs to the other family (`via inet6 fe80::1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub gateway: Option<IpAddr>,
    pub dev: DevId,
    /// As `ip` shows it: the kernel's `rtnh_hops` plus one.
    pub weight: u16,
    pub flags: u8,
}

/// Route fields common to both families, as collectors hand them over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub table: u32,
    pub dst: Prefix,
    pub kind: u8,
    pub protocol: u8,
    pub scope: u8,
    pub flags: u8,
    pub metric: u32,
    pub gateway: Option<IpAddr>,
    pub pref_src: Option<IpAddr>,
    pub dev: Option<String>,
    pub nexthops: Vec<(Option<IpAddr>, Option<String>, u16, u8)>,
}

#[derive(Debug, Default, Clone)]
pub struct RouteTable {
    pub ipv4: Vec<Route<Ipv4Addr>>,
    pub ipv6: Vec<Route<Ipv6Addr>>,
    groups: Vec<Box<[NextHop]>>,
    devices: Vec<Box<str>>,
    device_index: HashMap<Box<str>, DevId>,
}

/// Why a route could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError(pub String);

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl RouteTable {
    pub fn len(&self) -> usize {
        self.ipv4.len() + self.ipv6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes every route out, keeping the device names interned: a table
    /// that hands routes on one at a time (a capture writing them as they
    /// are read) stays the size of one route.
    pub fn clear_routes(&mut self) {
        self.ipv4.clear();
        self.ipv6.clear();
        self.groups.clear();
    }

    pub fn intern(&mut self, name: &str) -> DevId {
        if let Some(id) = self.device_index.get(name) {
            return *id;
        }
        let id = DevId(self.devices.len() as u32);
        self.devices.push(name.into());
        self.device_index.insert(name.into(), id);
        id
    }

    pub fn device_name(&self, id: DevId) -> Option<&str> {
        self.devices.get(id.0 as usize).map(|n| &**n)
    }

    pub fn nexthops<A>(&self, route: &Route<A>) -> &[NextHop] {
        self.groups
            .get(route.group as usize)
            .map(|g| &**g)
            .unwrap_or(&[])
    }

    fn add_group(&mut self, hops: Vec<NextHop>) -> u32 {
        if hops.is_empty() {
            return u32::MAX;
        }
        self.groups.push(hops.into_boxed_slice());
        (self.groups.len() - 1) as u32
    }

    /// Adds a route whose device is already interned: the hot path of a
    /// full-table dump, with no allocation unless the route has next hops.
    /// A gateway of the other family (the kernel's RTA_VIA: an IPv4 route
    /// via an IPv6 next hop) becomes the route's single next hop.
    pub fn push_route<A: Family>(
        &mut self,
        header: RouteHeaderFields,
        dst: A,
        gateway: Option<IpAddr>,
        pref_src: Option<IpAddr>,
        dev: DevId,
        mut hops: Vec<NextHop>,
    ) -> Result<(), RouteError> {
        let gateway = match gateway {
            None => None,
            Some(g) => match A::from_ip(g) {
                Some(same) => Some(same),
                None if hops.is_empty() => {
                    hops.push(NextHop {
                        gateway: Some(g),
                        dev,
                        weight: 1,
                        flags: 0,
                    });
                    None
                }
                None => {
                    return Err(RouteError(format!(
                        "route to {}: gateway {g} of the other family on a multipath route",
                        dst.to_ip()
                    )));
                }
            },
        };
        let pref_src = match pref_src {
            None => None,
            Some(s) => Some(A::from_ip(s).ok_or_else(|| {
                RouteError(format!(
                    "route to {}: preferred source {s} of the other family",
                    dst.to_ip()
                ))
            })?),
        };
        let group = self.add_group(hops);
        A::routes(self).push(Route {
            table: header.table,
            metric: header.metric,
            dev,
            group,
            dst,
            gateway,
            pref_src,
            dst_len: header.dst_len,
            kind: header.kind,
            protocol: header.protocol,
            scope: header.scope,
            flags: header.flags,
        });
        Ok(())
    }

    /// Adds a route given in family-neutral form (tests).
    pub fn push(&mut self, entry: RouteEntry) -> Result<(), RouteError> {
        let header = RouteHeaderFields {
            table: entry.table,
            metric: entry.metric,
            dst_len: entry.dst.len,
            kind: entry.kind,
            protocol: entry.protocol,
            scope: entry.scope,
            flags: entry.flags,
        };
        let hops: Vec<_> = entry
            .nexthops
            .iter()
            .map(|(g, dev, w, f)| (*g, dev.as_deref(), *w, *f))
            .collect();
        self.push_named(
            header,
            entry.dst.addr,
            entry.gateway,
            entry.pref_src,
            entry.dev.as_deref(),
            &hops,
        )
    }

    /// Adds a route whose devices are named (a fixture's text): the names
    /// are interned here.
    pub fn push_named(
        &mut self,
        header: RouteHeaderFields,
        dst: IpAddr,
        gateway: Option<IpAddr>,
        pref_src: Option<IpAddr>,
        dev: Option<&str>,
        nexthops: &[(Option<IpAddr>, Option<&str>, u16, u8)],
    ) -> Result<(), RouteError> {
        let dev = dev.map_or(DevId::NONE, |name| self.intern(name));
        let hops: Vec<NextHop> = nexthops
            .iter()
            .map(|(gateway, dev, weight, flags)| NextHop {
                gateway: *gateway,
                dev: dev.map_or(DevId::NONE, |n| self.intern(n)),
                weight: *weight,
                flags: *flags,
            })
            .collect();
        match dst {
            IpAddr::V4(dst) => self.push_route(header, dst, gateway, pref_src, dev, hops),
            IpAddr::V6(dst) => self.push_route(header, dst, gateway, pref_src, dev, hops),
        }
    }

    /// Every route in family-neutral form, IPv4 first.
    pub fn entries(&self) -> impl Iterator<Item = RouteEntry> + '_ {
        let v4 = self.ipv4.iter().map(|r| self.entry(r));
        let v6 = self.ipv6.iter().map(|r| self.entry(r));
        v4.chain(v6)
    }

    /// One route in family-neutral form.
    pub fn entry<A: Family>(&self, r: &Route<A>) -> RouteEntry {
        let to_ip = A::to_ip;
        RouteEntry {
            table: r.table,
            dst: Prefix {
                addr: to_ip(r.dst),
                len: r.dst_len,
            },
            kind: r.kind,
            protocol: r.protocol,
            scope: r.scope,
            flags: r.flags,
            metric: r.metric,
            gateway: r.gateway.map(to_ip),
            pref_src: r.pref_src.map(to_ip),
            dev: self.device_name(r.dev).map(str::to_owned),
            nexthops: self
                .nexthops(r)
                .iter()
                .map(|h| {
                    (
                        h.gateway,
                        self.device_name(h.dev).map(str::to_owned),
                        h.weight,
                        h.flags,
                    )
                })
                .collect(),
        }
    }
}

/// The per-route values that are the same whatever the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteHeaderFields {
    pub table: u32,
    pub metric: u32,
    pub dst_len: u8,
    pub kind: u8,
    pub protocol: u8,
    pub scope: u8,
    pub flags: u8,
}

/// Names shared with iproute2, so that `ip -j` output and ours read alike.
pub mod names {
    pub fn table(id: u32) -> String {
        table_word(id).map_or_else(|| id.to_string(), str::to_owned)
    }

    /// The table's name, for the tables that have one.
    pub fn table_word(id: u32) -> Option<&'static str> {
        match id {
            253 => Some("default"),
            254 => Some("main"),
            255 => Some("local"),
            _ => None,
        }
    }

    pub fn table_id(name: &str) -> Option<u32> {
        match name {
            "default" => Some(253),
            "main" => Some(254),
            "local" => Some(255),
            n => n.parse().ok(),
        }
    }

    pub const ROUTE_TYPES: &[&str] = &[
        "unspec",
        "unicast",
        "local",
        "broadcast",
        "anycast",
        "multicast",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "xresolve",
    ];

    pub fn route_type(kind: u8) -> String {
        route_type_word(kind).map_or_else(|| kind.to_string(), str::to_owned)
    }

    pub fn route_type_word(kind: u8) -> Option<&'static str> {
        ROUTE_TYPES.get(kind as usize).copied()
    }

    pub fn route_type_id(name: &str) -> Option<u8> {
        ROUTE_TYPES
            .iter()
            .position(|n| *n == name)
            .map(|i| i as u8)
            .or_else(|| name.parse().ok())
    }

    const PROTOCOLS: &[(u8, &str)] = &[
        (0, "unspec"),
        (1, "redirect"),
        (2, "kernel"),
        (3, "boot"),
        (4, "static"),
        (8, "gated"),
        (9, "ra"),
        (10, "mrt"),
        (11, "zebra"),
        (12, "bird"),
        (13, "dnrouted"),
        (14, "xorp"),
        (15, "ntk"),
        (16, "dhcp"),
        (17, "mrouted"),
        (18, "keepalived"),
        (42, "babel"),
        (99, "openr"),
        (186, "bgp"),
        (187, "isis"),
        (188, "ospf"),
        (189, "rip"),
        (192, "eigrp"),
    ];

    pub fn protocol(id: u8) -> String {
        protocol_word(id).map_or_else(|| id.to_string(), str::to_owned)
    }

    pub fn protocol_word(id: u8) -> Option<&'static str> {
        PROTOCOLS.iter().find(|(n, _)| *n == id).map(|(_, s)| *s)
    }

    pub fn protocol_id(name: &str) -> Option<u8> {
        PROTOCOLS
            .iter()
            .find(|(_, s)| *s == name)
            .map(|(n, _)| *n)
            .or_else(|| name.parse().ok())
    }

    pub fn scope(id: u8) -> String {
        scope_word(id).map_or_else(|| id.to_string(), str::to_owned)
    }

    pub fn scope_word(id: u8) -> Option<&'static str> {
        match id {
            0 => Some("global"),
            200 => Some("site"),
            253 => Some("link"),
            254 => Some("host"),
            255 => Some("nowhere"),
            _ => None,
        }
    }

    pub fn scope_id(name: &str) -> Option<u8> {
        match name {
            "global" | "universe" => Some(0),
            "site" => Some(200),
            "link" => Some(253),
            "host" => Some(254),
            "nowhere" => Some(255),
            n => n.parse().ok(),
        }
    }
}

impl Serialize for RouteTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("ipv4", &Routes(self, &self.ipv4))?;
        map.serialize_entry("ipv6", &Routes(self, &self.ipv6))?;
        map.end()
    }
}

struct Routes<'a, A>(&'a RouteTable, &'a [Route<A>]);

impl<A: Family> Serialize for Routes<'_, A> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Routes(table, routes) = *self;
        let mut seq = s.serialize_seq(Some(routes.len()))?;
        for r in routes {
            seq.serialize_element(&RouteView(table, r))?;
        }
        seq.end()
    }
}

/// A kernel number by its iproute2 name, or the number itself as text,
/// written without building a string for each of a million routes.
struct Named(Option<&'static str>, u32);

impl Serialize for Named {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(word) => s.serialize_str(word),
            None => s.collect_str(&self.1),
        }
    }
}

struct RouteView<'a, A>(&'a RouteTable, &'a Route<A>);

impl<A: Family> Serialize for RouteView<'_, A> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let RouteView(table, r) = *self;
        let to_ip = A::to_ip;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("table", &Named(names::table_word(r.table), r.table))?;
        map.serialize_entry(
            "type",
            &Named(names::route_type_word(r.kind), r.kind.into()),
        )?;
        let dst = Prefix {
            addr: to_ip(r.dst),
            len: r.dst_len,
        };
        map.serialize_entry("dst", &dst)?;
        if let Some(g) = r.gateway {
            map.serialize_entry("gateway", &to_ip(g))?;
        }
        if let Some(dev) = table.device_name(r.dev) {
            map.serialize_entry("dev", dev)?;
        }
        map.serialize_entry(
            "protocol",
            &Named(names::protocol_word(r.protocol), r.protocol.into()),
        )?;
        map.serialize_entry("scope", &Named(names::scope_word(r.scope), r.scope.into()))?;
        map.serialize_entry("metric", &r.metric)?;
        if let Some(src) = r.pref_src {
            map.serialize_entry("prefsrc", &to_ip(src))?;
        }
        let flags: Vec<&str> = route_flag_names(r.flags).collect();
        map.serialize_entry("flags", &flags)?;
        let hops = table.nexthops(r);
        if !hops.is_empty() {
            let hops: Vec<HopView> = hops.iter().map(|h| HopView(table, h)).collect();
            map.serialize_entry("nexthops", &hops)?;
        }
        map.end()
    }
}

struct HopView<'a>(&'a RouteTable, &'a NextHop);

impl Serialize for HopView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let HopView(table, h) = *self;
        let mut map = s.serialize_map(None)?;
        if let Some(g) = h.gateway {
            map.serialize_entry("gateway", &g)?;
        }
        if let Some(dev) = table.device_name(h.dev) {
            map.serialize_entry("dev", dev)?;
        }
        map.serialize_entry("weight", &h.weight)?;
        let flags: Vec<&str> = route_flag_names(h.flags).collect();
        map.serialize_entry("flags", &flags)?;
        map.end()
    }
}

/// A policy routing rule (`ip rule`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Rule {
    /// 4 or 6.
    pub family: u8,
    pub priority: u32,
    /// `lookup`, `goto`, `nop`, `blackhole`, `unreachable`, `prohibit`.
    pub action: String,
    /// The table a `lookup` rule sends to, by name as `ip` prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goto: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub invert: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<Prefix>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst: Option<Prefix>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iif: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oif: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmask: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos: Option<u8>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub l3mdev: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_prefixlen: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid_range: Option<(u32, u32)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_proto: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sport: Option<(u16, u16)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dport: Option<(u16, u16)>,
}

impl Rule {
    /// What the rule matches, as `ip rule` prints it: `not from 10.2.0.0/24
    /// fwmark 0x1`.
    pub fn selector(&self) -> String {
        let mut sel = Vec::new();
        if self.invert {
            sel.push("not".to_owned());
        }
        sel.push(format!(
            "from {}",
            self.src.map_or("all".to_owned(), |p| p.to_string())
        ));
        if let Some(d) = self.dst {
            sel.push(format!("to {d}"));
        }
        if let Some(i) = &self.iif {
            sel.push(format!("iif {i}"));
        }
        if let Some(o) = &self.oif {
            sel.push(format!("oif {o}"));
        }
        if let Some(m) = self.fwmark {
            sel.push(match self.fwmask {
                Some(mask) => format!("fwmark {m:#x}/{mask:#x}"),
                None => format!("fwmark {m:#x}"),
            });
        }
        if let Some(t) = self.tos {
            sel.push(format!("tos {t:#x}"));
        }
        if let Some(p) = self.ip_proto {
            sel.push(format!("ipproto {p}"));
        }
        if let Some((lo, hi)) = self.sport {
            sel.push(format!("sport {lo}-{hi}"));
        }
        if let Some((lo, hi)) = self.dport {
            sel.push(format!("dport {lo}-{hi}"));
        }
        if let Some((lo, hi)) = self.uid_range {
            sel.push(format!("uidrange {lo}-{hi}"));
        }
        sel.join(" ")
    }

    /// What the rule does: `lookup 100 suppress_prefixlength 0`.
    pub fn action_text(&self) -> String {
        let action = match (self.action.as_str(), &self.table, self.goto) {
            ("lookup", Some(t), _) => format!("lookup {t}"),
            ("lookup", None, _) if self.l3mdev => "lookup l3mdev-table".to_owned(),
            ("goto", _, Some(g)) => format!("goto {g}"),
            (a, _, _) => a.to_owned(),
        };
        match self.suppress_prefixlen {
            Some(n) => format!("{action} suppress_prefixlength {n}"),
            None => action,
        }
    }
}

/// Where traffic to a destination goes, as a policy asked it: the kernel's
/// own answer on a live host (for an address), or hostlint's walk of the
/// rules and tables (for a prefix, and in a fixture).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RouteLookup {
    pub to: Prefix,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    /// `kernel` (RTM_GETROUTE) or `tables` (rules, longest prefix, metric).
    pub method: &'static str,
    pub result: super::Fact<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Resolution {
    /// `unicast`, `local`, `blackhole`, `unreachable`, `prohibit`, ...
    pub kind: String,
    /// The table the route was found in; none when no route matched.
    pub table: Option<String>,
    /// The route that matched, e.g. `0.0.0.0/0`.
    pub route: Option<Prefix>,
    /// Every next hop traffic may take.
    pub hops: Vec<Hop>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Hop {
    pub dev: Option<String>,
    pub gateway: Option<IpAddr>,
}

impl Resolution {
    /// The resolution of a route entry that matched.
    pub fn of_entry(e: &RouteEntry) -> Resolution {
        let hops = if e.nexthops.is_empty() {
            vec![Hop {
                dev: e.dev.clone(),
                gateway: e.gateway,
            }]
        } else {
            e.nexthops
                .iter()
                .map(|(gateway, dev, _, _)| Hop {
                    dev: dev.clone(),
                    gateway: *gateway,
                })
                .collect()
        };
        let delivers = matches!(e.kind, 1..=5);
        Resolution {
            kind: names::route_type(e.kind),
            table: Some(names::table(e.table)),
            route: Some(e.dst),
            hops: if delivers { hops } else { Vec::new() },
        }
    }
}

impl Prefix {
    /// Whether every address of `other` is inside `self`.
    pub fn contains(&self, other: &Prefix) -> bool {
        if self.addr.is_ipv4() != other.addr.is_ipv4() || other.len < self.len {
            return false;
        }
        mask(other.addr, self.len) == mask(self.addr, self.len)
    }

    /// A prefix as long as its family allows: a single address.
    pub fn is_host(&self) -> bool {
        self.len == if self.addr.is_ipv4() { 32 } else { 128 }
    }
}

/// `addr` with all but the first `len` bits cleared.
fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn a_prefix_serializes_as_it_displays() {
        for text in [
            "0.0.0.0/0",
            "10.1.22.255/32",
            "192.0.2.0/24",
            "100.64.9.10/10",
            "2001:db8::/32",
            "::/0",
        ] {
            let p = Prefix::parse(text).unwrap();
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
            assert_eq!(p.to_string(), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_route_stays_compact() {
        // The million-route target depends on this staying small.
        assert!(std::mem::size_of::<Route<Ipv4Addr>>() <= 36);
    }

    #[test]
    fn prefixes_contain_prefixes() {
        let p = |s: &str| Prefix::parse(s).unwrap();
        assert!(p("0.0.0.0/0").contains(&p("203.0.113.7")));
        assert!(p("10.0.0.0/8").contains(&p("10.1.0.0/16")));
        assert!(!p("10.1.0.0/16").contains(&p("10.0.0.0/8")));
        assert!(!p("10.0.0.0/8").contains(&p("11.0.0.1")));
        assert!(p("2001:db8::/32").contains(&p("2001:db8:1::1")));
        assert!(!p("::/0").contains(&p("10.0.0.1")));
        assert!(p("203.0.113.7").is_host());
    }

    #[test]
    fn prefix_parses_bare_addresses_as_host_routes() {
        assert_eq!(Prefix::parse("10.0.0.1").unwrap().len, 32);
        assert_eq!(Prefix::parse("2001:db8::/32").unwrap().len, 32);
        assert!(Prefix::parse("10.0.0.0/33").is_none());
        assert!(Prefix::parse("default").is_none());
    }

    #[test]
    fn foreign_family_gateway_becomes_a_next_hop() {
        let mut t = RouteTable::default();
        t.push(RouteEntry {
            table: 254,
            dst: Prefix::parse("0.0.0.0/0").unwrap(),
            kind: 1,
            protocol: 4,
            scope: 0,
            flags: 0,
            metric: 0,
            gateway: Some("fe80::1".parse().unwrap()),
            pref_src: None,
            dev: Some("eth0".into()),
            nexthops: vec![],
        })
        .unwrap();
        let e = t.entries().next().unwrap();
        assert_eq!(e.gateway, None);
        assert_eq!(
            e.nexthops,
            vec![(Some("fe80::1".parse().unwrap()), Some("eth0".into()), 1, 0)]
        );
    }
}
