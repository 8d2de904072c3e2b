//! Netlink facts in iproute2's JSON form (`ip -j ...`): how a fixture stores
//! links, addresses, routes, rules and neighbours.
//!
//! The reader accepts what `ip -j` prints, so an operator can build a fixture
//! with standard tools; the writer prints the same shape, with every field
//! explicit, plus three keys `ip` does not print (`carrier`,
//! `carrier_up_count`, `carrier_down_count`). Unknown keys are ignored, since
//! every iproute2 release adds some.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::json_list::{LIMITS, ListError, parse_element, read_elements, read_list};
use super::limits::{MAX_LINKS, MAX_NEIGHBORS, MAX_RULES};
use crate::snapshot::{
    Address, Counters, Fact, Family, Interface, Prefix, Reason, Route, RouteHeaderFields,
    RouteTable, Rule, names, nud_name, route_flag_names,
};

// ---------------------------------------------------------------- links

#[derive(Debug, Default, Serialize, Deserialize)]
struct IpLink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ifindex: Option<u32>,
    ifname: String,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operstate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permaddr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    master: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    linkinfo: Option<IpLinkInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parentbus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phys_port_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phys_port_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phys_switch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ifalias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    txqlen: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier_changes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier_up_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier_down_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stats64: Option<IpStats64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IpLinkInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    info_kind: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IpStats64 {
    rx: IpRxStats,
    tx: IpTxStats,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IpRxStats {
    bytes: u64,
    packets: u64,
    errors: u64,
    dropped: u64,
    over_errors: u64,
    multicast: u64,
    length_errors: Option<u64>,
    crc_errors: Option<u64>,
    frame_errors: Option<u64>,
    fifo_errors: Option<u64>,
    missed_errors: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IpTxStats {
    bytes: u64,
    packets: u64,
    errors: u64,
    dropped: u64,
    carrier_errors: u64,
    collisions: u64,
    aborted_errors: Option<u64>,
    fifo_errors: Option<u64>,
    window_errors: Option<u64>,
    heartbeat_errors: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    carrier_changes: Option<u64>,
}

/// What a fact absent from `ip` output is missing for.
fn not_in_ip<T>(what: &str) -> Fact<T> {
    Fact::unknown(Reason::NotCaptured, format!("ip output has no {what}"))
}

/// Reads `ip -j -d -s -s link show`.
pub fn parse_links(input: impl Read) -> Result<Vec<Interface>, ListError> {
    let mut out = Vec::new();
    read_list(
        input,
        LIMITS.entries(MAX_LINKS, "interfaces"),
        |_, l: IpLink| {
            out.push(interface_from_ip(l));
            Ok(())
        },
    )?;
    Ok(out)
}

fn interface_from_ip(l: IpLink) -> Interface {
    let has = |flag: &str| l.flags.iter().any(|f| f == flag);
    let admin_up = has("UP");
    let kind = match (&l.linkinfo, l.parentbus.is_some(), has("LOOPBACK")) {
        (Some(IpLinkInfo { info_kind: Some(k) }), _, _) => Fact::Known(k.clone()),
        (_, _, true) => Fact::Known("loopback".to_owned()),
        (_, true, _) => Fact::Known("physical".to_owned()),
        _ => Fact::unknown(
            Reason::NotCaptured,
            "ip output names no link kind or parent device (capture with ip -d)",
        ),
    };
    // `ip` prints no carrier of its own; LOWER_UP is the carrier only while
    // the link is administratively up.
    let carrier = match l.carrier {
        Some(c) => Fact::Known(c),
        None if admin_up => Fact::Known(has("LOWER_UP")),
        None => Fact::unknown(
            Reason::NotCaptured,
            "ip shows carrier (LOWER_UP) only for links that are up",
        ),
    };
    let carrier_changes = l
        .carrier_changes
        .or(l.stats64.as_ref().and_then(|s| s.tx.carrier_changes))
        .map_or_else(
            || not_in_ip("carrier_changes (capture with ip -s -s)"),
            Fact::Known,
        );
    let counters = match &l.stats64 {
        Some(s) => counters_from_ip(s),
        None => not_in_ip("stats64 (capture with ip -s -s)"),
    };
    Interface {
        ifindex: l.ifindex.map_or_else(|| not_in_ip("ifindex"), Fact::Known),
        kind,
        mac: Fact::Known(l.address.clone()),
        permanent_mac: Fact::Known(l.permaddr.clone()),
        admin_up: Fact::Known(admin_up),
        operstate: l.operstate.as_deref().map_or_else(
            || not_in_ip("operstate"),
            |s| Fact::Known(s.to_ascii_lowercase()),
        ),
        carrier,
        carrier_changes,
        carrier_up_count: l
            .carrier_up_count
            .map_or_else(|| not_in_ip("carrier_up_count"), Fact::Known),
        carrier_down_count: l
            .carrier_down_count
            .map_or_else(|| not_in_ip("carrier_down_count"), Fact::Known),
        mtu: l.mtu.map_or_else(|| not_in_ip("mtu"), Fact::Known),
        master: Fact::Known(l.master.clone()),
        phys_port_name: Fact::Known(l.phys_port_name.clone()),
        // `ip` prints these only when the kernel gives them.
        phys_port_id: Fact::Known(l.phys_port_id.clone()),
        phys_switch_id: Fact::Known(l.phys_switch_id.clone()),
        ifalias: Fact::Known(l.ifalias.clone().filter(|a| !a.is_empty())),
        tx_queue_len: l.txqlen.map_or_else(|| not_in_ip("txqlen"), Fact::Known),
        counters,
        name: l.ifname,
    }
}

fn counters_from_ip(s: &IpStats64) -> Fact<Counters> {
    let detail = (|| {
        Some(Counters {
            rx_bytes: s.rx.bytes,
            rx_packets: s.rx.packets,
            rx_errors: s.rx.errors,
            rx_dropped: s.rx.dropped,
            rx_over_errors: s.rx.over_errors,
            rx_crc_errors: s.rx.crc_errors?,
            rx_frame_errors: s.rx.frame_errors?,
            rx_fifo_errors: s.rx.fifo_errors?,
            rx_length_errors: s.rx.length_errors?,
            rx_missed_errors: s.rx.missed_errors?,
            multicast: s.rx.multicast,
            tx_bytes: s.tx.bytes,
            tx_packets: s.tx.packets,
            tx_errors: s.tx.errors,
            tx_dropped: s.tx.dropped,
            tx_carrier_errors: s.tx.carrier_errors,
            tx_aborted_errors: s.tx.aborted_errors?,
            tx_fifo_errors: s.tx.fifo_errors?,
            tx_window_errors: s.tx.window_errors?,
            tx_heartbeat_errors: s.tx.heartbeat_errors?,
            collisions: s.tx.collisions,
        })
    })();
    detail.map_or_else(
        || not_in_ip("detailed error counters (capture with ip -s -s)"),
        Fact::Known,
    )
}

/// Writes links as `ip -j -d -s -s link show` does.
pub fn write_links(links: &[Interface]) -> String {
    let raw: Vec<IpLink> = links.iter().map(ip_from_interface).collect();
    to_json(&raw)
}

fn ip_from_interface(i: &Interface) -> IpLink {
    let known = |f: &Fact<Option<String>>| f.known().cloned().flatten();
    let admin_up = i.admin_up.known().copied().unwrap_or(false);
    let carrier = i.carrier.known().copied();
    let mut flags = Vec::new();
    if i.kind.known().map(String::as_str) == Some("loopback") {
        flags.push("LOOPBACK".to_owned());
    }
    if admin_up {
        flags.push("UP".to_owned());
        if carrier == Some(true) {
            flags.push("LOWER_UP".to_owned());
        }
    }
    // A physical link has no link kind: `ip` shows its parent device, which
    // the fixture's sysfs copy holds, and which tells the same on replay.
    let linkinfo = match i.kind.known().map(String::as_str) {
        Some("physical") | Some("loopback") | None => None,
        Some(k) => Some(IpLinkInfo {
            info_kind: Some(k.to_owned()),
        }),
    };
    IpLink {
        ifindex: i.ifindex.known().copied(),
        ifname: i.name.clone(),
        flags,
        mtu: i.mtu.known().copied(),
        operstate: i.operstate.known().map(|s| s.to_ascii_uppercase()),
        link_type: None,
        address: known(&i.mac),
        permaddr: known(&i.permanent_mac),
        master: known(&i.master),
        linkinfo,
        parentbus: None,
        phys_port_name: known(&i.phys_port_name),
        phys_port_id: known(&i.phys_port_id),
        phys_switch_id: known(&i.phys_switch_id),
        ifalias: known(&i.ifalias),
        txqlen: i.tx_queue_len.known().copied(),
        carrier,
        carrier_changes: None,
        carrier_up_count: i.carrier_up_count.known().copied(),
        carrier_down_count: i.carrier_down_count.known().copied(),
        stats64: i.counters.known().map(|c| IpStats64 {
            rx: IpRxStats {
                bytes: c.rx_bytes,
                packets: c.rx_packets,
                errors: c.rx_errors,
                dropped: c.rx_dropped,
                over_errors: c.rx_over_errors,
                multicast: c.multicast,
                length_errors: Some(c.rx_length_errors),
                crc_errors: Some(c.rx_crc_errors),
                frame_errors: Some(c.rx_frame_errors),
                fifo_errors: Some(c.rx_fifo_errors),
                missed_errors: Some(c.rx_missed_errors),
            },
            tx: IpTxStats {
                bytes: c.tx_bytes,
                packets: c.tx_packets,
                errors: c.tx_errors,
                dropped: c.tx_dropped,
                carrier_errors: c.tx_carrier_errors,
                collisions: c.collisions,
                aborted_errors: Some(c.tx_aborted_errors),
                fifo_errors: Some(c.tx_fifo_errors),
                window_errors: Some(c.tx_window_errors),
                heartbeat_errors: Some(c.tx_heartbeat_errors),
                carrier_changes: i.carrier_changes.known().copied(),
            },
        }),
    }
}

// ---------------------------------------------------------------- addresses

/// `IFA_F_*` bits and the key `ip -j` prints for each.
const ADDRESS_FLAGS: &[(u32, &str)] = &[
    (0x01, "secondary"),
    (0x02, "nodad"),
    (0x04, "optimistic"),
    (0x08, "dadfailed"),
    (0x10, "home"),
    (0x20, "deprecated"),
    (0x40, "tentative"),
    (0x100, "mngtmpaddr"),
    (0x200, "noprefixroute"),
    (0x400, "autojoin"),
    (0x800, "stable-privacy"),
];
const IFA_F_PERMANENT: u32 = 0x80;

/// The flag names of an address as `ip` shows them: `dynamic` stands for
/// the absence of `IFA_F_PERMANENT`, `temporary` for IPv6's secondary bit.
pub fn address_flag_names(flags: u32, ipv6: bool) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = ADDRESS_FLAGS
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(bit, name)| {
            if *bit == 0x01 && ipv6 {
                "temporary"
            } else {
                *name
            }
        })
        .collect();
    if flags & IFA_F_PERMANENT == 0 {
        out.push("dynamic");
    }
    out
}

fn address_flag(name: &str) -> Option<&'static str> {
    match name {
        "temporary" => Some("temporary"),
        "dynamic" => Some("dynamic"),
        _ => ADDRESS_FLAGS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(_, n)| *n),
    }
}

#[derive(Debug, Deserialize)]
struct IpAddrLink {
    ifname: String,
    #[serde(default)]
    addr_info: Vec<Map<String, Value>>,
}

/// Reads `ip -j addr show`: the addresses of each interface, by name.
pub fn parse_addresses(input: impl Read) -> Result<HashMap<String, Vec<Address>>, ListError> {
    let mut out = HashMap::new();
    let limits = LIMITS.entries(MAX_LINKS, "interfaces");
    read_list(input, limits, |index, link: IpAddrLink| {
        let mut addrs = Vec::new();
        for info in &link.addr_info {
            let local = info.get("local").and_then(Value::as_str).ok_or_else(|| {
                ListError::entry(index, &link.ifname, "an addr_info without \"local\"")
            })?;
            let address: IpAddr = local.parse().map_err(|_| {
                ListError::entry(index, &link.ifname, format!("bad address {local:?}"))
            })?;
            let prefix_len = info
                .get("prefixlen")
                .and_then(Value::as_u64)
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| ListError::entry(index, &link.ifname, "bad prefixlen"))?;
            let scope = match info.get("scope") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => "global".to_owned(),
            };
            let mut flags: Vec<&'static str> = info
                .iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .filter_map(|(k, _)| address_flag(k))
                .collect();
            flags.sort_by_key(|f| flag_order(f));
            addrs.push(Address {
                address,
                prefix_len,
                scope,
                flags,
            });
        }
        out.insert(link.ifname, addrs);
        Ok(())
    })?;
    Ok(out)
}

/// Flags in one order whatever order the JSON keys came in.
fn flag_order(name: &str) -> usize {
    match name {
        "temporary" => 0,
        "dynamic" => ADDRESS_FLAGS.len() + 1,
        _ => ADDRESS_FLAGS
            .iter()
            .position(|(_, n)| *n == name)
            .unwrap_or(ADDRESS_FLAGS.len()),
    }
}

/// Writes `ip -j addr show` for the given interfaces and their addresses.
pub fn write_addresses(links: &[(&Interface, &[Address])]) -> String {
    let raw: Vec<Value> = links
        .iter()
        .map(|(iface, addrs)| {
            let infos: Vec<Value> = addrs
                .iter()
                .map(|a| {
                    let mut m = Map::new();
                    let family = if a.address.is_ipv4() { "inet" } else { "inet6" };
                    m.insert("family".into(), json!(family));
                    m.insert("local".into(), json!(a.address.to_string()));
                    m.insert("prefixlen".into(), json!(a.prefix_len));
                    m.insert("scope".into(), json!(a.scope));
                    for f in &a.flags {
                        m.insert((*f).into(), json!(true));
                    }
                    Value::Object(m)
                })
                .collect();
            json!({"ifindex": iface.ifindex.known(), "ifname": iface.name, "addr_info": infos})
        })
        .collect();
    to_json(&raw)
}

// ---------------------------------------------------------------- routes

/// A route as `ip -j` prints it, its text borrowed from the element read
/// (a million routes would otherwise make several million strings).
#[derive(Debug, Deserialize)]
struct IpRoute<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dst: Cow<'a, str>,
    #[serde(default, borrow)]
    gateway: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    via: Option<IpVia<'a>>,
    #[serde(default, borrow)]
    dev: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    table: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    protocol: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    scope: Option<Cow<'a, str>>,
    #[serde(default)]
    metric: Option<u32>,
    #[serde(default, borrow)]
    prefsrc: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    flags: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    nexthops: Option<Vec<IpNextHop<'a>>>,
}

#[derive(Debug, Deserialize)]
struct IpVia<'a> {
    #[serde(borrow)]
    host: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct IpNextHop<'a> {
    #[serde(default, borrow)]
    gateway: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    via: Option<IpVia<'a>>,
    #[serde(default, borrow)]
    dev: Option<Cow<'a, str>>,
    #[serde(default)]
    weight: Option<u16>,
    #[serde(default, borrow)]
    flags: Vec<Cow<'a, str>>,
}

fn flag_bits(flags: &[Cow<'_, str>]) -> Result<u8, String> {
    let mut bits = 0;
    for f in flags {
        match crate::snapshot::route_flag_names(0xff).position(|n| n == f) {
            Some(i) => bits |= 1 << i,
            // `rt_offload` and friends come from the 32-bit rtm_flags: not
            // kept by hostlint.
            None if f.starts_with("rt_") => {}
            None => return Err(format!("unknown route flag {f:?}")),
        }
    }
    Ok(bits)
}

fn gateway_of(
    gateway: &Option<Cow<'_, str>>,
    via: &Option<IpVia<'_>>,
) -> Result<Option<IpAddr>, String> {
    let text = match (gateway, via) {
        (Some(g), _) => g,
        (None, Some(v)) => &v.host,
        (None, None) => return Ok(None),
    };
    text.parse()
        .map(Some)
        .map_err(|_| format!("bad gateway {text:?}"))
}

/// Reads `ip -j -4 route show table all` (family 4) or the `-6` form into
/// `table`.
pub fn parse_routes(text: &str, family: u8, table: &mut RouteTable) -> Result<(), ListError> {
    read_routes(text.as_bytes(), family, table, &mut |_| Ok(()))
}

/// Reads routes as [`parse_routes`] does, from a stream, one at a time:
/// each is added to `table`, then `each` sees the table (and may take the
/// route out of it again, to write it elsewhere).
pub fn read_routes(
    input: impl Read,
    family: u8,
    table: &mut RouteTable,
    each: &mut dyn FnMut(&mut RouteTable) -> Result<(), ListError>,
) -> Result<(), ListError> {
    read_elements(input, LIMITS, |index, text| {
        let r: IpRoute = parse_element(index, text)?;
        push_route(table, &r, family).map_err(|m| ListError::entry(index, &r.dst, m))?;
        each(table)
    })?;
    Ok(())
}

/// Adds a route as `ip -j` prints it to `table`.
fn push_route(table: &mut RouteTable, r: &IpRoute<'_>, family: u8) -> Result<(), String> {
    let dst = if r.dst == "default" {
        let any: IpAddr = if family == 4 {
            IpAddr::from([0u8; 4])
        } else {
            IpAddr::from([0u8; 16])
        };
        Prefix { addr: any, len: 0 }
    } else {
        Prefix::parse(&r.dst).ok_or_else(|| format!("bad destination {:?}", r.dst))?
    };
    if (family == 4) != dst.addr.is_ipv4() {
        return Err(format!(
            "an IPv{} route in an IPv{family} file",
            if dst.addr.is_ipv4() { 4 } else { 6 }
        ));
    }
    let named = |value: &Option<Cow<'_, str>>,
                 default: &str,
                 what: &str,
                 lookup: fn(&str) -> Option<u32>| {
        let v = value.as_deref().unwrap_or(default);
        lookup(v).ok_or_else(|| {
            format!("unknown {what} {v:?} (names other than iproute2's defaults need `ip -N`)")
        })
    };
    let header = RouteHeaderFields {
        table: named(&r.table, "main", "table", names::table_id)?,
        kind: named(&r.kind, "unicast", "route type", |s| {
            names::route_type_id(s).map(u32::from)
        })? as u8,
        protocol: named(&r.protocol, "boot", "protocol", |s| {
            names::protocol_id(s).map(u32::from)
        })? as u8,
        scope: named(&r.scope, "global", "scope", |s| {
            names::scope_id(s).map(u32::from)
        })? as u8,
        flags: flag_bits(&r.flags)?,
        metric: r.metric.unwrap_or(0),
        dst_len: dst.len,
    };
    let pref_src = match &r.prefsrc {
        Some(s) => Some(s.parse().map_err(|_| format!("bad prefsrc {s:?}"))?),
        None => None,
    };
    let mut hops = Vec::new();
    for h in r.nexthops.iter().flatten() {
        hops.push((
            gateway_of(&h.gateway, &h.via)?,
            h.dev.as_deref(),
            h.weight.unwrap_or(1),
            flag_bits(&h.flags)?,
        ));
    }
    table
        .push_named(
            header,
            dst.addr,
            gateway_of(&r.gateway, &r.via)?,
            pref_src,
            r.dev.as_deref(),
            &hops,
        )
        .map_err(|e| e.0)
}

/// Writes one family's routes as `ip -j route show table all` does.
pub fn write_routes(table: &RouteTable, family: u8) -> String {
    let mut w = RouteWriter::new(Vec::new(), family);
    // Writing to memory cannot fail.
    let _ = w.write_table(table);
    let bytes = w.finish().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Writes one family's routes as they come, in the compact form `ip -j
/// route show table all` prints: its keys in its order, the values it
/// leaves out when they are the default left out (type unicast, table
/// main, protocol boot, scope global, an IPv4 metric of 0), one route a
/// line so that an error, and a diff, point at the route.
pub struct RouteWriter<W: Write> {
    out: W,
    family: u8,
    routes: usize,
    bytes: u64,
}

impl<W: Write> RouteWriter<W> {
    pub fn new(out: W, family: u8) -> RouteWriter<W> {
        RouteWriter {
            out,
            family,
            routes: 0,
            bytes: 0,
        }
    }

    /// How many routes, and how many bytes, have been written so far.
    pub fn written(&self) -> (usize, u64) {
        (self.routes, self.bytes)
    }

    /// Writes every route of this writer's family in `table`.
    pub fn write_table(&mut self, table: &RouteTable) -> io::Result<()> {
        if self.family == 4 {
            table
                .ipv4
                .iter()
                .try_for_each(|r| self.write_route(table, r))
        } else {
            table
                .ipv6
                .iter()
                .try_for_each(|r| self.write_route(table, r))
        }
    }

    fn write_route<A: Family>(&mut self, table: &RouteTable, r: &Route<A>) -> io::Result<()> {
        let mut line = Vec::with_capacity(128);
        line.extend_from_slice(if self.routes == 0 { b"[" } else { b",\n" });
        route_json(&mut line, table, r, self.family)?;
        self.out.write_all(&line)?;
        self.routes += 1;
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// Ends the list and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let end: &[u8] = if self.routes == 0 { b"[]\n" } else { b"]\n" };
        self.out.write_all(end)?;
        self.bytes += end.len() as u64;
        Ok(self.out)
    }
}

/// A JSON object being written: keys separated as they come.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl Obj<'_> {
    fn open(out: &mut Vec<u8>) -> Obj<'_> {
        out.push(b'{');
        Obj { out, empty: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A string value, escaped as JSON needs (an interface name may hold
    /// a quote or a backslash).
    fn string(&mut self, key: &str, value: &str) -> io::Result<()> {
        serde_json::to_writer(&mut *self.key(key), value).map_err(io::Error::other)
    }

    /// A value that needs no escaping: an address, a number.
    fn plain(&mut self, key: &str, value: impl std::fmt::Display) -> io::Result<()> {
        write!(self.key(key), "\"{value}\"")
    }

    fn number(&mut self, key: &str, value: impl std::fmt::Display) -> io::Result<()> {
        write!(self.key(key), "{value}")
    }

    fn flags(&mut self, flags: u8) {
        let out = self.key("flags");
        out.push(b'[');
        for (i, name) in route_flag_names(flags).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
        out.push(b']');
    }

    /// `"gateway":"10.0.0.1"`, or for an address of the other family
    /// `"via":{"family":"inet6","host":"fe80::1"}`.
    fn gateway(&mut self, g: IpAddr, family: u8) -> io::Result<()> {
        if g.is_ipv4() == (family == 4) {
            self.plain("gateway", g)
        } else {
            let f = if g.is_ipv4() { "inet" } else { "inet6" };
            write!(self.key("via"), "{{\"family\":\"{f}\",\"host\":\"{g}\"}}")
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn route_json<A: Family>(
    out: &mut Vec<u8>,
    table: &RouteTable,
    r: &Route<A>,
    family: u8,
) -> io::Result<()> {
    const RTN_UNICAST: u8 = 1;
    const RT_TABLE_MAIN: u32 = 254;
    const RTPROT_BOOT: u8 = 3;
    const RT_SCOPE_UNIVERSE: u8 = 0;
    let hops = table.nexthops(r);
    // A route whose only next hop is its gateway (one of the other family)
    // is written as `ip` writes it: a `via` on the route itself.
    let single_hop_via = hops.len() == 1 && r.gateway.is_none();
    let mut o = Obj::open(out);
    if r.kind != RTN_UNICAST {
        o.plain("type", names::route_type(r.kind))?;
    }
    let dst = r.dst.to_ip();
    let host_len = if family == 4 { 32 } else { 128 };
    match r.dst_len {
        0 => o.plain("dst", "default")?,
        len if len == host_len => o.plain("dst", dst)?,
        len => o.plain("dst", format_args!("{dst}/{len}"))?,
    }
    let gateway = if single_hop_via {
        hops[0].gateway
    } else {
        r.gateway.map(A::to_ip)
    };
    if let Some(g) = gateway {
        o.gateway(g, family)?;
    }
    if let Some(dev) = table.device_name(r.dev) {
        o.string("dev", dev)?;
    }
    if r.table != RT_TABLE_MAIN {
        o.plain("table", names::table(r.table))?;
    }
    if r.protocol != RTPROT_BOOT {
        o.plain("protocol", names::protocol(r.protocol))?;
    }
    if r.scope != RT_SCOPE_UNIVERSE {
        o.plain("scope", names::scope(r.scope))?;
    }
    if let Some(src) = r.pref_src {
        o.plain("prefsrc", src.to_ip())?;
    }
    // The kernel sends an IPv4 route's metric only when it is not 0, an
    // IPv6 route's always.
    if r.metric != 0 || family == 6 {
        o.number("metric", r.metric)?;
    }
    o.flags(r.flags);
    if !single_hop_via && !hops.is_empty() {
        let list = o.key("nexthops");
        list.push(b'[');
        for (i, h) in hops.iter().enumerate() {
            if i > 0 {
                list.push(b',');
            }
            let mut hop = Obj::open(list);
            if let Some(g) = h.gateway {
                hop.gateway(g, family)?;
            }
            if let Some(dev) = table.device_name(h.dev) {
                hop.string("dev", dev)?;
            }
            hop.number("weight", h.weight)?;
            hop.flags(h.flags);
            hop.close();
        }
        list.push(b']');
    }
    o.close();
    Ok(())
}

// ---------------------------------------------------------------- rules

fn str_field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

fn u32_field(m: &Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    match m.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .or_else(|| v.as_str().and_then(parse_number))
            .map(Some)
            .ok_or_else(|| format!("bad {key} {v}")),
    }
}

/// `0x10` or `16`.
fn parse_number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

const IP_PROTOCOLS: &[(u8, &str)] = &[
    (1, "icmp"),
    (6, "tcp"),
    (17, "udp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "ipv6-icmp"),
    (132, "sctp"),
];

fn ip_proto_id(name: &str) -> Option<u8> {
    IP_PROTOCOLS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(id, _)| *id)
        .or_else(|| name.strip_prefix("ipproto-").unwrap_or(name).parse().ok())
}

fn ip_proto_name(id: u8) -> String {
    IP_PROTOCOLS
        .iter()
        .find(|(n, _)| *n == id)
        .map_or_else(|| id.to_string(), |(_, name)| (*name).to_owned())
}

fn port_range(m: &Map<String, Value>, key: &str) -> Result<Option<(u16, u16)>, String> {
    let as_port = |v: u32| u16::try_from(v).map_err(|_| format!("bad {key} {v}"));
    if let Some(p) = u32_field(m, key)? {
        let p = as_port(p)?;
        return Ok(Some((p, p)));
    }
    match (
        u32_field(m, &format!("{key}_start"))?,
        u32_field(m, &format!("{key}_end"))?,
    ) {
        (Some(a), Some(b)) => Ok(Some((as_port(a)?, as_port(b)?))),
        _ => Ok(None),
    }
}

fn selector(m: &Map<String, Value>, key: &str, family: u8) -> Result<Option<Prefix>, String> {
    let Some(addr) = str_field(m, key) else {
        return Ok(None);
    };
    if addr == "all" {
        return Ok(None);
    }
    let len = u32_field(m, &format!("{key}len"))?.unwrap_or(if family == 4 { 32 } else { 128 });
    Prefix::parse(&format!("{addr}/{len}"))
        .map(Some)
        .ok_or_else(|| format!("bad {key} {addr}/{len}"))
}

/// Reads `ip -j -4 rule show` or `ip -j -6 rule show`.
pub fn parse_rules(input: impl Read, family: u8) -> Result<Vec<Rule>, ListError> {
    let mut out = Vec::new();
    let limits = LIMITS.entries(MAX_RULES, "rules");
    read_list(input, limits, |index, m: Map<String, Value>| {
        let rule = rule_from_ip(&m, family).map_err(|e| {
            let prio = m.get("priority").map(Value::to_string).unwrap_or_default();
            ListError::entry(index, &format!("priority {prio}"), e)
        })?;
        out.push(rule);
        Ok(())
    })?;
    Ok(out)
}

fn rule_from_ip(m: &Map<String, Value>, family: u8) -> Result<Rule, String> {
    let priority = u32_field(m, "priority")?.unwrap_or(0);
    let (action, table, goto) = if let Some(t) = str_field(m, "table") {
        names::table_id(t).ok_or_else(|| format!("unknown table {t:?}"))?;
        ("lookup".to_owned(), Some(t.to_owned()), None)
    } else if let Some(target) = u32_field(m, "goto")? {
        ("goto".to_owned(), None, Some(target))
    } else if m.contains_key("nop") {
        ("nop".to_owned(), None, None)
    } else if let Some(a) = str_field(m, "action") {
        (a.to_owned(), None, None)
    } else {
        // An l3mdev rule looks up the VRF's table, chosen per packet.
        ("lookup".to_owned(), None, None)
    };
    let ip_proto = match str_field(m, "ipproto") {
        Some(p) => Some(ip_proto_id(p).ok_or_else(|| format!("unknown ipproto {p:?}"))?),
        None => None,
    };
    let uid_range = match (u32_field(m, "uid_start")?, u32_field(m, "uid_end")?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(Rule {
        family,
        priority,
        action,
        table,
        goto,
        invert: m.contains_key("not"),
        src: selector(m, "src", family)?,
        dst: selector(m, "dst", family)?,
        iif: str_field(m, "iif").map(str::to_owned),
        oif: str_field(m, "oif").map(str::to_owned),
        fwmark: u32_field(m, "fwmark")?,
        fwmask: u32_field(m, "fwmask")?,
        tos: u32_field(m, "tos")?.map(|t| t as u8),
        l3mdev: m.contains_key("l3mdev"),
        suppress_prefixlen: u32_field(m, "suppress_prefixlen")?,
        uid_range,
        ip_proto,
        sport: port_range(m, "sport")?,
        dport: port_range(m, "dport")?,
    })
}

/// Writes rules of one family as `ip -j rule show` does.
pub fn write_rules(rules: &[Rule], family: u8) -> String {
    let raw: Vec<Value> = rules
        .iter()
        .filter(|r| r.family == family)
        .map(|r| {
            let mut m = Map::new();
            m.insert("priority".into(), json!(r.priority));
            if r.invert {
                m.insert("not".into(), Value::Null);
            }
            let mut sel = |key: &str, p: &Option<Prefix>| match p {
                Some(p) => {
                    m.insert(key.into(), json!(p.addr.to_string()));
                    m.insert(format!("{key}len"), json!(p.len));
                }
                None if key == "src" => {
                    m.insert(key.into(), json!("all"));
                }
                None => {}
            };
            sel("src", &r.src);
            sel("dst", &r.dst);
            if let Some(t) = r.tos {
                m.insert("tos".into(), json!(format!("{t:#x}")));
            }
            if let Some(mark) = r.fwmark {
                m.insert("fwmark".into(), json!(format!("{mark:#x}")));
            }
            if let Some(mask) = r.fwmask {
                m.insert("fwmask".into(), json!(format!("{mask:#x}")));
            }
            if let Some(i) = &r.iif {
                m.insert("iif".into(), json!(i));
            }
            if let Some(o) = &r.oif {
                m.insert("oif".into(), json!(o));
            }
            if r.l3mdev {
                m.insert("l3mdev".into(), Value::Null);
            }
            if let Some((a, b)) = r.uid_range {
                m.insert("uid_start".into(), json!(a));
                m.insert("uid_end".into(), json!(b));
            }
            if let Some(p) = r.ip_proto {
                m.insert("ipproto".into(), json!(ip_proto_name(p)));
            }
            for (key, range) in [("sport", r.sport), ("dport", r.dport)] {
                match range {
                    Some((a, b)) if a == b => {
                        m.insert(key.into(), json!(a));
                    }
                    Some((a, b)) => {
                        m.insert(format!("{key}_start"), json!(a));
                        m.insert(format!("{key}_end"), json!(b));
                    }
                    None => {}
                }
            }
            match r.action.as_str() {
                "lookup" => {
                    if let Some(t) = &r.table {
                        m.insert("table".into(), json!(t));
                    }
                }
                "goto" => {
                    m.insert("goto".into(), json!(r.goto.unwrap_or(0)));
                }
                "nop" => {
                    m.insert("nop".into(), Value::Null);
                }
                other => {
                    m.insert("action".into(), json!(other));
                }
            }
            if let Some(n) = r.suppress_prefixlen {
                m.insert("suppress_prefixlen".into(), json!(n));
            }
            Value::Object(m)
        })
        .collect();
    to_json(&raw)
}

// ---------------------------------------------------------------- neighbours

use crate::snapshot::Neighbor;

/// Reads `ip -j neigh show nud all`.
pub fn parse_neighbors(input: impl Read) -> Result<Vec<Neighbor>, ListError> {
    let mut out = Vec::new();
    let limits = LIMITS.entries(MAX_NEIGHBORS, "neighbours");
    read_list(input, limits, |index, m: Map<String, Value>| {
        let dst = str_field(&m, "dst").unwrap_or_default();
        let fail = |msg: String| ListError::entry(index, dst, msg);
        let address = dst.parse().map_err(|_| fail(format!("bad dst {dst:?}")))?;
        let dev = str_field(&m, "dev")
            .ok_or_else(|| fail("no dev".into()))?
            .to_owned();
        let state = match m.get("state") {
            Some(Value::Array(states)) => states
                .iter()
                .map(|s| {
                    s.as_str()
                        .and_then(nud_name)
                        .ok_or_else(|| fail(format!("unknown state {s}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        out.push(Neighbor {
            address,
            dev,
            lladdr: str_field(&m, "lladdr").map(str::to_owned),
            state,
            router: m.contains_key("router"),
        });
        Ok(())
    })?;
    Ok(out)
}

pub fn write_neighbors(neighbors: &[Neighbor]) -> String {
    let raw: Vec<Value> = neighbors
        .iter()
        .map(|n| {
            let mut m = Map::new();
            m.insert("dst".into(), json!(n.address.to_string()));
            m.insert("dev".into(), json!(n.dev));
            if let Some(l) = &n.lladdr {
                m.insert("lladdr".into(), json!(l));
            }
            if n.router {
                m.insert("router".into(), Value::Null);
            }
            m.insert("state".into(), json!(n.state));
            Value::Object(m)
        })
        .collect();
    to_json(&raw)
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing plain data to a String cannot fail.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = r#"[{"ifindex":3,"link":"vb","ifname":"va","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],
        "mtu":1500,"operstate":"UP","link_type":"ether","address":"e2:b6:6b:be:d0:1c","master":"br0",
        "linkinfo":{"info_kind":"veth"},
        "stats64":{"rx":{"bytes":516,"packets":6,"errors":0,"dropped":0,"over_errors":0,"multicast":0,
        "length_errors":0,"crc_errors":0,"frame_errors":0,"fifo_errors":0,"missed_errors":0},
        "tx":{"bytes":596,"packets":6,"errors":0,"dropped":0,"carrier_errors":0,"collisions":0,
        "aborted_errors":0,"fifo_errors":0,"window_errors":0,"heartbeat_errors":0,"carrier_changes":2}}}]"#;

    #[test]
    fn reads_real_ip_link_output() {
        let l = &parse_links(LINK.as_bytes()).unwrap()[0];
        assert_eq!(l.name, "va");
        assert_eq!(l.kind, Fact::Known("veth".into()));
        assert_eq!(l.carrier, Fact::Known(true));
        assert_eq!(l.carrier_changes, Fact::Known(2));
        assert_eq!(l.master, Fact::Known(Some("br0".into())));
        assert_eq!(l.counters.known().unwrap().tx_bytes, 596);
        assert_eq!(
            l.carrier_up_count.missing().unwrap().reason,
            Reason::NotCaptured
        );
    }

    #[test]
    fn link_round_trips_through_the_writer() {
        let links = parse_links(LINK.as_bytes()).unwrap();
        let again = parse_links(write_links(&links).as_bytes()).unwrap();
        assert_eq!(links[0].counters, again[0].counters);
        assert_eq!(links[0].kind, again[0].kind);
        assert_eq!(links[0].carrier_changes, again[0].carrier_changes);
    }

    #[test]
    fn a_switch_ports_ids_and_alias_are_read_and_written_back() {
        let text = LINK.replace(
            r#""mtu":1500,"#,
            r#""mtu":1500,"phys_port_name":"p0","phys_port_id":"0c42a107","phys_switch_id":"0c42a1fffe07","ifalias":"uplink to sw1 swp7","#,
        );
        let links = parse_links(text.as_bytes()).unwrap();
        let again = parse_links(write_links(&links).as_bytes()).unwrap();
        for l in [&links[0], &again[0]] {
            assert_eq!(l.phys_port_name, Fact::Known(Some("p0".into())));
            assert_eq!(l.phys_port_id, Fact::Known(Some("0c42a107".into())));
            assert_eq!(l.phys_switch_id, Fact::Known(Some("0c42a1fffe07".into())));
            assert_eq!(l.ifalias, Fact::Known(Some("uplink to sw1 swp7".into())));
        }
    }

    #[test]
    fn without_detailed_stats_counters_are_unknown_not_zero() {
        let text = LINK.replace(r#""length_errors":0,"#, "");
        let l = &parse_links(text.as_bytes()).unwrap()[0];
        assert!(l.counters.missing().is_some());
    }

    #[test]
    fn reads_routes_with_defaults_and_via() {
        let text = r#"[
          {"type":"unreachable","dst":"10.66.0.0/16","table":"7","flags":[]},
          {"dst":"default","gateway":"10.2.0.254","dev":"va","flags":["onlink"]},
          {"dst":"10.5.0.0/16","via":{"family":"inet6","host":"fe80::1"},"dev":"va","flags":[]},
          {"type":"local","dst":"10.2.0.1","dev":"va","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.2.0.1","flags":[]},
          {"dst":"10.8.0.0/16","flags":[],"nexthops":[{"gateway":"10.1.0.2","dev":"va","weight":2,"flags":[]},{"gateway":"10.1.0.3","dev":"va","weight":1,"flags":[]}]}
        ]"#;
        let mut t = RouteTable::default();
        parse_routes(text, 4, &mut t).unwrap();
        let e: Vec<_> = t.entries().collect();
        assert_eq!(e[0].table, 7);
        assert_eq!(e[0].kind, 7);
        assert_eq!(e[1].dst.to_string(), "0.0.0.0/0");
        assert_eq!(e[1].protocol, 3, "absent protocol means boot");
        assert_eq!(e[1].flags, 4);
        assert_eq!(e[2].nexthops[0].0, Some("fe80::1".parse().unwrap()));
        assert_eq!(e[3].dst.len, 32);
        assert_eq!(e[3].scope, 254);
        assert_eq!(e[4].nexthops.len(), 2);
        // And back: the writer's output reads as the same table.
        let mut again = RouteTable::default();
        parse_routes(&write_routes(&t, 4), 4, &mut again).unwrap();
        assert_eq!(e, again.entries().collect::<Vec<_>>());
    }

    /// What `ip -j -4 route show table all` printed in a namespace (iproute2
    /// 6.1): a gateway route in table 100 with a metric, a connected route,
    /// an IPv4 route via an IPv6 next hop, a static link route, a
    /// multipath route, a blackhole, and the kernel's local table.
    const IP_ROUTES_4: &str = r#"[{"dst":"10.9.0.0/16","gateway":"10.1.0.2","dev":"a0","table":"100","metric":5,"flags":[]},{"dst":"10.1.0.0/24","dev":"a0","protocol":"kernel","scope":"link","prefsrc":"10.1.0.1","flags":[]},{"dst":"10.5.0.0/16","via":{"family":"inet6","host":"2001:db8::2"},"dev":"a0","flags":[]},{"dst":"10.7.0.0/16","dev":"a0","protocol":"static","scope":"link","prefsrc":"10.1.0.1","flags":[]},{"dst":"10.8.0.0/16","flags":[],"nexthops":[{"gateway":"10.1.0.2","dev":"a0","weight":2,"flags":[]},{"gateway":"10.1.0.3","dev":"a0","weight":1,"flags":[]}]},{"type":"blackhole","dst":"10.66.0.0/16","flags":[]},{"type":"local","dst":"10.1.0.1","dev":"a0","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.1.0.1","flags":[]},{"type":"broadcast","dst":"10.1.0.255","dev":"a0","table":"local","protocol":"kernel","scope":"link","prefsrc":"10.1.0.1","flags":[]},{"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]}]"#;

    /// And `ip -j -6 route show table all`, less the `pref` hostlint does
    /// not keep.
    const IP_ROUTES_6: &str = r#"[{"dst":"2001:db8::/64","dev":"a0","protocol":"kernel","metric":256,"flags":[]},{"dst":"fe80::/64","dev":"a1","protocol":"kernel","metric":256,"flags":[]},{"type":"local","dst":"::1","dev":"lo","table":"local","protocol":"kernel","metric":0,"flags":[]},{"type":"multicast","dst":"ff00::/8","dev":"a1","table":"local","protocol":"kernel","metric":256,"flags":[]}]"#;

    #[test]
    fn routes_are_written_as_ip_j_prints_them_one_a_line() {
        for (text, family) in [(IP_ROUTES_4, 4), (IP_ROUTES_6, 6)] {
            let mut t = RouteTable::default();
            parse_routes(text, family, &mut t).unwrap();
            let written = write_routes(&t, family);
            assert_eq!(written.lines().count(), t.len(), "{written}");
            assert_eq!(written.replace(",\n{", ",{"), format!("{text}\n"));
        }
        assert_eq!(write_routes(&RouteTable::default(), 4), "[]\n");
    }

    #[test]
    fn a_device_name_is_escaped_in_the_json() {
        let mut t = RouteTable::default();
        parse_routes(
            r#"[{"dst":"10.0.0.0/8","dev":"we\"ird\\","flags":[]}]"#,
            4,
            &mut t,
        )
        .unwrap();
        let written = write_routes(&t, 4);
        assert_eq!(
            written,
            "[{\"dst\":\"10.0.0.0/8\",\"dev\":\"we\\\"ird\\\\\",\"flags\":[]}]\n"
        );
        let mut again = RouteTable::default();
        parse_routes(&written, 4, &mut again).unwrap();
        assert_eq!(
            again.entries().next().unwrap().dev.as_deref(),
            Some("we\"ird\\")
        );
    }

    #[test]
    fn a_route_stream_hands_over_each_route_and_keeps_none_when_asked() {
        let mut t = RouteTable::default();
        let mut seen = Vec::new();
        read_routes(IP_ROUTES_4.as_bytes(), 4, &mut t, &mut |t| {
            seen.push(t.entries().next().unwrap().dst);
            t.clear_routes();
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 9);
        assert_eq!(seen[0].to_string(), "10.9.0.0/16");
        assert!(t.is_empty());
    }

    #[test]
    fn a_route_error_names_the_entry() {
        let mut t = RouteTable::default();
        let err = parse_routes(
            r#"[{"dst":"10.0.0.0/8","table":"customers","flags":[]}]"#,
            4,
            &mut t,
        )
        .unwrap_err();
        assert!(
            err.message.contains("entry 0 (10.0.0.0/8)"),
            "{}",
            err.message
        );
        assert!(err.message.contains("customers"), "{}", err.message);
        let err = parse_routes("[{\"dst\":", 4, &mut t).unwrap_err();
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn reads_every_kind_of_rule_ip_prints() {
        let text = r#"[{"priority":0,"src":"all","table":"local"},
          {"priority":10,"src":"10.0.0.0","srclen":8,"dst":"192.168.0.0","dstlen":16,"table":"100"},
          {"priority":11,"not":null,"src":"all","fwmark":"0x10","fwmask":"0xff","table":"101"},
          {"priority":13,"src":"all","oif":"va","action":"blackhole"},
          {"priority":15,"src":"all","uid_start":1000,"uid_end":2000,"table":"103"},
          {"priority":16,"src":"all","ipproto":"tcp","sport":80,"dport_start":1000,"dport_end":2000,"table":"104"},
          {"priority":17,"src":"all","table":"main","suppress_prefixlen":0},
          {"priority":18,"src":"all","l3mdev":null},
          {"priority":19,"src":"all","goto":100,"unresolved":null},
          {"priority":20,"src":"all","nop":null}]"#;
        let rules = parse_rules(text.as_bytes(), 4).unwrap();
        assert_eq!(rules[1].src.unwrap().to_string(), "10.0.0.0/8");
        assert!(rules[2].invert);
        assert_eq!(rules[2].fwmark, Some(16));
        assert_eq!(rules[3].action, "blackhole");
        assert_eq!(rules[4].uid_range, Some((1000, 2000)));
        assert_eq!(rules[5].sport, Some((80, 80)));
        assert_eq!(rules[5].dport, Some((1000, 2000)));
        assert_eq!(rules[5].ip_proto, Some(6));
        assert_eq!(rules[6].suppress_prefixlen, Some(0));
        assert!(rules[7].l3mdev);
        assert_eq!(rules[8].goto, Some(100));
        assert_eq!(rules[9].action, "nop");
        assert_eq!(
            parse_rules(write_rules(&rules, 4).as_bytes(), 4).unwrap(),
            rules
        );
    }

    #[test]
    fn reads_neighbours() {
        let text = r#"[{"dst":"10.1.0.2","dev":"va","lladdr":"02:00:00:00:00:02","router":null,"state":["PERMANENT"]},
                       {"dst":"fe80::1","dev":"va","state":["FAILED"]}]"#;
        let n = parse_neighbors(text.as_bytes()).unwrap();
        assert!(n[0].router);
        assert_eq!(n[1].state, ["FAILED"]);
        assert_eq!(n[1].lladdr, None);
        assert_eq!(parse_neighbors(write_neighbors(&n).as_bytes()).unwrap(), n);
    }

    #[test]
    fn reads_addresses_with_their_flags() {
        let text = r#"[{"ifindex":3,"ifname":"va","addr_info":[
            {"family":"inet","local":"10.1.0.1","prefixlen":24,"scope":"global","label":"va","valid_life_time":4294967295},
            {"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link","tentative":true,"dynamic":true}]}]"#;
        let a = parse_addresses(text.as_bytes()).unwrap();
        let va = &a["va"];
        assert_eq!(va[0].prefix_len, 24);
        assert!(va[0].flags.is_empty());
        assert_eq!(va[1].flags, ["tentative", "dynamic"]);
    }
}
