//! rtnetlink dumps from the live kernel, decoded into the snapshot's types:
//! links, addresses, routes, rules and neighbours.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::Parseable;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteVia};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};

use super::iproute::address_flag_names;
use super::netlink::{Netlink, NetlinkError, checked_attrs, push_attr};
use crate::snapshot::{
    Address, Counters, DevId, Fact, Interface, Neighbor, NextHop, Prefix, Reason, RouteEntry,
    RouteHeaderFields, RouteTable, Rule, names, nud_names,
};

const RTM_GETLINK: u16 = 18;
const RTM_GETADDR: u16 = 22;
const RTM_GETROUTE: u16 = 26;
const RTM_GETNEIGH: u16 = 30;
const RTM_GETRULE: u16 = 34;
const AF_INET: u8 = libc::AF_INET as u8;
const AF_INET6: u8 = libc::AF_INET6 as u8;

fn not_reported<T>(what: &str) -> Fact<T> {
    Fact::unknown(Reason::NotSupported, format!("the kernel sent no {what}"))
}

fn decode_error(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// `RTM_GETLINK` dump.
pub fn dump_links(nl: &mut Netlink) -> Result<Vec<Interface>, NetlinkError> {
    let mut links = Vec::new();
    let mut masters: Vec<(usize, u32)> = Vec::new();
    nl.request(RTM_GETLINK, true, &[0u8; 16], &mut |_, body| {
        let (iface, master) = decode_link(body).map_err(|e| decode_error("link message", e))?;
        if let Some(m) = master {
            masters.push((links.len(), m));
        }
        links.push(iface);
        Ok(())
    })?;
    let names: HashMap<u32, String> = links
        .iter()
        .filter_map(|l| Some((*l.ifindex.known()?, l.name.clone())))
        .collect();
    for (at, master) in masters {
        let name = names
            .get(&master)
            .cloned()
            .unwrap_or_else(|| format!("if{master}"));
        links[at].master = Fact::Known(Some(name));
    }
    Ok(links)
}

// The `ifinfomsg` header and the `IFLA_*` attributes a link's facts come
// from (include/uapi/linux/if_link.h).
const IFINFOMSG_LEN: usize = 16;
const IFF_UP: u32 = 0x1;
const IFF_LOOPBACK: u32 = 0x8;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_MASTER: u16 = 10;
const IFLA_TXQLEN: u16 = 13;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
const IFLA_STATS64: u16 = 23;
const IFLA_CARRIER: u16 = 33;
const IFLA_PHYS_PORT_ID: u16 = 34;
const IFLA_CARRIER_CHANGES: u16 = 35;
const IFLA_PHYS_SWITCH_ID: u16 = 36;
const IFLA_PHYS_PORT_NAME: u16 = 38;
const IFLA_CARRIER_UP_COUNT: u16 = 47;
const IFLA_CARRIER_DOWN_COUNT: u16 = 48;
const IFLA_PERM_ADDRESS: u16 = 54;
const IFLA_PARENT_DEV_NAME: u16 = 56;
const IFLA_PARENT_DEV_BUS_NAME: u16 = 57;
const IFLA_INFO_KIND: u16 = 1;
/// `struct rtnl_link_stats64` as of Linux 5.19 (25 counters); an older
/// kernel's shorter struct reads as zeros past its end.
const STATS64_LEN: usize = 25 * 8;

fn attr_u8(value: &[u8], name: &str) -> Result<u8, String> {
    match value {
        [b] => Ok(*b),
        _ => Err(format!("invalid {name}: {} bytes, not 1", value.len())),
    }
}

fn attr_u32(value: &[u8], name: &str) -> Result<u32, String> {
    let bytes: [u8; 4] = value
        .try_into()
        .map_err(|_| format!("invalid {name}: {} bytes, not 4", value.len()))?;
    Ok(u32::from_ne_bytes(bytes))
}

/// A string attribute: one trailing NUL dropped, UTF-8 required.
fn attr_string(value: &[u8], name: &str) -> Result<String, String> {
    let text = value.strip_suffix(&[0]).unwrap_or(value);
    String::from_utf8(text.to_vec()).map_err(|e| format!("invalid {name}: {e}"))
}

fn counters(value: &[u8]) -> Counters {
    let mut raw = [0u8; STATS64_LEN];
    let n = value.len().min(STATS64_LEN);
    raw[..n].copy_from_slice(&value[..n]);
    let at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[i * 8..i * 8 + 8]);
        u64::from_ne_bytes(b)
    };
    Counters {
        rx_packets: at(0),
        tx_packets: at(1),
        rx_bytes: at(2),
        tx_bytes: at(3),
        rx_errors: at(4),
        tx_errors: at(5),
        rx_dropped: at(6),
        tx_dropped: at(7),
        multicast: at(8),
        collisions: at(9),
        rx_length_errors: at(10),
        rx_over_errors: at(11),
        rx_crc_errors: at(12),
        rx_frame_errors: at(13),
        rx_fifo_errors: at(14),
        rx_missed_errors: at(15),
        tx_aborted_errors: at(16),
        tx_carrier_errors: at(17),
        tx_fifo_errors: at(18),
        tx_heartbeat_errors: at(19),
        tx_window_errors: at(20),
    }
}

/// A link's facts, and the ifindex of its master, which is named once the
/// whole dump is in.
///
/// Decoded straight from the message rather than through `LinkMessage`:
/// the crate turns every attribute of a link (IPv6 settings and counters,
/// XDP, the veth peer, ...) into owned values, and that was half of the
/// time hostlint took to read 1,000 links (see benches/). The attributes read
/// here are held to the crate's rules (exact integer sizes, UTF-8 names);
/// the ones not read are not decoded, so they can no longer fail the dump.
pub fn decode_link(body: &[u8]) -> Result<(Interface, Option<u32>), String> {
    if body.len() < IFINFOMSG_LEN {
        return Err(format!(
            "{} bytes, shorter than an ifinfomsg header",
            body.len()
        ));
    }
    let link_type = u16::from_ne_bytes([body[2], body[3]]);
    let ifindex = u32::from_ne_bytes([body[4], body[5], body[6], body[7]]);
    let flags = u32::from_ne_bytes([body[8], body[9], body[10], body[11]]);
    let mut name = None;
    let mut kind = None;
    let mut parent = false;
    let mut mac = None;
    let mut perm = None;
    let mut operstate = None;
    let mut carrier = None;
    let mut changes = None;
    let mut ups = None;
    let mut downs = None;
    let mut mtu = None;
    let mut master = None;
    let mut port_name = None;
    let mut port_id = None;
    let mut switch_id = None;
    let mut alias = None;
    let mut txqlen = None;
    let mut stats = None;
    for attr in checked_attrs(&body[IFINFOMSG_LEN..]) {
        let (attr_kind, value) = attr?;
        match attr_kind {
            // The kernel takes any bytes but `/`, `:` and white space as a
            // name: one that is not UTF-8 is kept with U+FFFD in place of
            // what is not, and that link's facts read by name are unknown
            // (`Interface::name_unreadable`); the others read as usual.
            IFLA_IFNAME => {
                let text = value.strip_suffix(&[0]).unwrap_or(value);
                name = Some(String::from_utf8_lossy(text).into_owned());
            }
            IFLA_LINKINFO => {
                if value.len() < 4 {
                    return Err("invalid IFLA_LINKINFO: too short".into());
                }
                for info in checked_attrs(value) {
                    let (info_kind, v) = info?;
                    if info_kind == IFLA_INFO_KIND {
                        kind = Some(attr_string(v, "IFLA_INFO_KIND")?);
                    }
                }
            }
            IFLA_PARENT_DEV_NAME | IFLA_PARENT_DEV_BUS_NAME => parent = true,
            IFLA_ADDRESS => mac = Some(hardware_address(value, link_type)),
            IFLA_PERM_ADDRESS => perm = Some(hardware_address(value, link_type)),
            IFLA_OPERSTATE => operstate = Some(operstate_name(attr_u8(value, "IFLA_OPERSTATE")?)),
            IFLA_CARRIER => carrier = Some(attr_u8(value, "IFLA_CARRIER")? != 0),
            IFLA_CARRIER_CHANGES => {
                changes = Some(u64::from(attr_u32(value, "IFLA_CARRIER_CHANGES")?))
            }
            IFLA_CARRIER_UP_COUNT => {
                ups = Some(u64::from(attr_u32(value, "IFLA_CARRIER_UP_COUNT")?))
            }
            IFLA_CARRIER_DOWN_COUNT => {
                downs = Some(u64::from(attr_u32(value, "IFLA_CARRIER_DOWN_COUNT")?))
            }
            IFLA_MTU => mtu = Some(attr_u32(value, "IFLA_MTU")?),
            IFLA_MASTER => master = Some(attr_u32(value, "IFLA_MASTER")?),
            IFLA_PHYS_PORT_NAME => port_name = Some(attr_string(value, "IFLA_PHYS_PORT_NAME")?),
            IFLA_PHYS_PORT_ID => port_id = Some(hex_id(value)),
            IFLA_PHYS_SWITCH_ID => switch_id = Some(hex_id(value)),
            IFLA_IFALIAS => alias = Some(attr_string(value, "IFLA_IFALIAS")?),
            IFLA_TXQLEN => txqlen = Some(attr_u32(value, "IFLA_TXQLEN")?),
            IFLA_STATS64 => stats = Some(counters(value)),
            _ => {}
        }
    }
    let kind = match kind {
        Some(k) => Fact::Known(k),
        None if flags & IFF_LOOPBACK != 0 => Fact::Known("loopback".to_owned()),
        None if parent => Fact::Known("physical".to_owned()),
        None => not_reported("link kind or parent device"),
    };
    let opt = |v: Option<u64>, what: &str| v.map_or_else(|| not_reported(what), Fact::Known);
    let iface = Interface {
        ifindex: Fact::Known(ifindex),
        name: name.unwrap_or_else(|| format!("if{ifindex}")),
        kind,
        mac: Fact::Known(mac),
        permanent_mac: Fact::Known(perm),
        admin_up: Fact::Known(flags & IFF_UP != 0),
        operstate: operstate.map_or_else(|| not_reported("operstate"), Fact::Known),
        carrier: carrier.map_or_else(|| not_reported("carrier"), Fact::Known),
        carrier_changes: opt(changes, "carrier change count"),
        carrier_up_count: opt(ups, "carrier up count"),
        carrier_down_count: opt(downs, "carrier down count"),
        mtu: mtu.map_or_else(|| not_reported("mtu"), Fact::Known),
        master: Fact::Known(None),
        phys_port_name: Fact::Known(port_name),
        phys_port_id: Fact::Known(port_id),
        phys_switch_id: Fact::Known(switch_id),
        ifalias: Fact::Known(alias.filter(|a| !a.is_empty())),
        tx_queue_len: txqlen.map_or_else(|| not_reported("transmit queue length"), Fact::Known),
        counters: stats.map_or_else(|| not_reported("64-bit statistics"), Fact::Known),
    };
    Ok((iface, master))
}

/// A port or switch identifier as `ip` and sysfs print it: hex, no
/// separators.
pub fn hex_id(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 2863 operational state (`IF_OPER_*`) as `ip` names it.
fn operstate_name(s: u8) -> String {
    match s {
        0 => "unknown".into(),
        1 => "notpresent".into(),
        2 => "down".into(),
        3 => "lowerlayerdown".into(),
        4 => "testing".into(),
        5 => "dormant".into(),
        6 => "up".into(),
        n => n.to_string(),
    }
}

/// Formats a link-layer address as `ip` does: tunnels carry IP addresses,
/// everything else is colon-separated hex.
pub fn hardware_address(bytes: &[u8], link_type: u16) -> String {
    const ARPHRD_TUNNEL: u16 = 768;
    const ARPHRD_TUNNEL6: u16 = 769;
    const ARPHRD_SIT: u16 = 776;
    const ARPHRD_IPGRE: u16 = 778;
    const ARPHRD_IP6GRE: u16 = 823;
    match (bytes.len(), link_type) {
        (4, ARPHRD_TUNNEL | ARPHRD_SIT | ARPHRD_IPGRE) => {
            IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]]).to_string()
        }
        (16, ARPHRD_TUNNEL6 | ARPHRD_IP6GRE) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            IpAddr::from(a).to_string()
        }
        _ => {
            // By hand rather than a format! per byte: two per link.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut s = String::with_capacity(bytes.len() * 3);
            for (i, b) in bytes.iter().enumerate() {
                if i > 0 {
                    s.push(':');
                }
                s.push(char::from(HEX[usize::from(b >> 4)]));
                s.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            s
        }
    }
}

/// `RTM_GETADDR` dump: addresses by ifindex, in the kernel's order.
pub fn dump_addresses(nl: &mut Netlink) -> Result<HashMap<u32, Vec<Address>>, NetlinkError> {
    let mut out: HashMap<u32, Vec<Address>> = HashMap::new();
    nl.request(RTM_GETADDR, true, &[0u8; 8], &mut |_, body| {
        let msg = AddressMessage::parse(body).map_err(|e| decode_error("address message", e))?;
        let mut local = None;
        let mut address = None;
        let mut flags = u32::from(msg.header.flags.bits());
        for attr in &msg.attributes {
            match attr {
                AddressAttribute::Local(a) => local = Some(*a),
                AddressAttribute::Address(a) => address = Some(*a),
                AddressAttribute::Flags(f) => flags = f.bits(),
                _ => {}
            }
        }
        let Some(addr) = local.or(address) else {
            return Ok(());
        };
        out.entry(msg.header.index).or_default().push(Address {
            address: addr,
            prefix_len: msg.header.prefix_len,
            scope: names::scope(u8::from(msg.header.scope)),
            flags: address_flag_names(flags, addr.is_ipv6()),
        });
        Ok(())
    })?;
    Ok(out)
}

/// The route dumps of both families, devices named from `ifnames`: each
/// route is added to `table` as its message arrives, then `each` sees the
/// table (and may take the route out again); an error from it ends the dump.
pub fn dump_routes(
    nl: &mut Netlink,
    ifnames: &HashMap<u32, String>,
    table: &mut RouteTable,
    each: &mut dyn FnMut(&mut RouteTable) -> Result<(), String>,
) -> Result<(), NetlinkError> {
    let mut devs: HashMap<u32, DevId> = HashMap::new();
    for family in [AF_INET, AF_INET6] {
        let mut req = [0u8; 12];
        req[0] = family;
        nl.request(RTM_GETROUTE, true, &req, &mut |_, body| {
            let msg = RouteMessage::parse(body).map_err(|e| decode_error("route message", e))?;
            add_route(table, &mut devs, ifnames, &msg)?;
            each(table)
        })?;
    }
    Ok(())
}

/// The kernel's own answer to "where does traffic to `to` go", as `ip route
/// get fibmatch` asks it: the whole FIB entry that matched (every next hop
/// of a multipath route, and its real table), not one cached next hop.
pub fn route_get(
    nl: &mut Netlink,
    ifnames: &HashMap<u32, String>,
    to: IpAddr,
    from: Option<IpAddr>,
    fwmark: Option<u32>,
) -> Result<RouteEntry, NetlinkError> {
    const RTA_DST: u16 = 1;
    const RTA_SRC: u16 = 2;
    const RTA_MARK: u16 = 16;
    const RTM_F_LOOKUP_TABLE: u32 = 0x1000;
    const RTM_F_FIB_MATCH: u32 = 0x2000;
    let octets = |a: IpAddr| match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    };
    let bits = if to.is_ipv4() { 32 } else { 128 };
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope,
    // type, flags. Everything else zero: strict checking refuses more.
    let mut req = vec![
        if to.is_ipv4() { AF_INET } else { AF_INET6 },
        bits,
        if from.is_some() { bits } else { 0 },
        0,
        0,
        0,
        0,
        0,
    ];
    // Without LOOKUP_TABLE an IPv4 answer names table main whatever table a
    // rule sent the lookup to. IPv6 names the real table anyway, and under
    // strict checking refuses every flag but FIB_MATCH.
    let flags = if to.is_ipv4() {
        RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE
    } else {
        RTM_F_FIB_MATCH
    };
    req.extend_from_slice(&flags.to_ne_bytes());
    push_attr(&mut req, RTA_DST, &octets(to));
    if let Some(src) = from {
        push_attr(&mut req, RTA_SRC, &octets(src));
    }
    if let Some(mark) = fwmark {
        push_attr(&mut req, RTA_MARK, &mark.to_ne_bytes());
    }
    let mut table = RouteTable::default();
    let mut devs = HashMap::new();
    nl.request(RTM_GETROUTE, false, &req, &mut |_, body| {
        let msg = RouteMessage::parse(body).map_err(|e| decode_error("route message", e))?;
        add_route(&mut table, &mut devs, ifnames, &msg)
    })?;
    table
        .entries()
        .next()
        .ok_or_else(|| NetlinkError::Decode("RTM_GETROUTE answered without a route".into()))
}

fn dev_id(
    table: &mut RouteTable,
    devs: &mut HashMap<u32, DevId>,
    ifnames: &HashMap<u32, String>,
    ifindex: u32,
) -> DevId {
    if let Some(id) = devs.get(&ifindex) {
        return *id;
    }
    let id = match ifnames.get(&ifindex) {
        Some(name) => table.intern(name),
        None => table.intern(&format!("if{ifindex}")),
    };
    devs.insert(ifindex, id);
    id
}

fn route_ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn via_ip(v: &RouteVia) -> Option<IpAddr> {
    match v {
        RouteVia::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteVia::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn add_route(
    table: &mut RouteTable,
    devs: &mut HashMap<u32, DevId>,
    ifnames: &HashMap<u32, String>,
    msg: &RouteMessage,
) -> Result<(), String> {
    let h = &msg.header;
    let mut header = RouteHeaderFields {
        table: u32::from(h.table),
        metric: 0,
        dst_len: h.destination_prefix_length,
        kind: u8::from(h.kind),
        protocol: u8::from(h.protocol),
        scope: u8::from(h.scope),
        // The low byte holds the RTNH_F_* flags; the rest are RTM_F_* bits
        // about the message, not the route.
        flags: (h.flags.bits() & 0xff) as u8,
    };
    let mut dst = None;
    let mut gateway = None;
    let mut pref_src = None;
    let mut dev = DevId::NONE;
    let mut hops = Vec::new();
    for attr in &msg.attributes {
        match attr {
            RouteAttribute::Destination(a) => dst = route_ip(a),
            RouteAttribute::Gateway(a) => gateway = route_ip(a),
            RouteAttribute::Via(v) => gateway = via_ip(v),
            RouteAttribute::PrefSource(a) => pref_src = route_ip(a),
            RouteAttribute::Oif(i) => dev = dev_id(table, devs, ifnames, *i),
            RouteAttribute::Priority(m) => header.metric = *m,
            RouteAttribute::Table(t) => header.table = *t,
            RouteAttribute::MultiPath(nhs) => {
                for nh in nhs {
                    let mut gw = None;
                    for a in &nh.attributes {
                        match a {
                            RouteAttribute::Gateway(g) => gw = route_ip(g),
                            RouteAttribute::Via(v) => gw = via_ip(v),
                            _ => {}
                        }
                    }
                    hops.push(NextHop {
                        gateway: gw,
                        dev: if nh.interface_index == 0 {
                            DevId::NONE
                        } else {
                            dev_id(table, devs, ifnames, nh.interface_index)
                        },
                        weight: u16::from(nh.hops) + 1,
                        flags: nh.flags.bits(),
                    });
                }
            }
            _ => {}
        }
    }
    // No RTA_DST is the default route. A destination of the other family
    // cannot come from the kernel; refuse it rather than file it wrongly.
    let result = match (u8::from(h.address_family), dst) {
        (AF_INET, None) => {
            table.push_route(header, Ipv4Addr::UNSPECIFIED, gateway, pref_src, dev, hops)
        }
        (AF_INET, Some(IpAddr::V4(d))) => table.push_route(header, d, gateway, pref_src, dev, hops),
        (AF_INET6, None) => {
            table.push_route(header, Ipv6Addr::UNSPECIFIED, gateway, pref_src, dev, hops)
        }
        (AF_INET6, Some(IpAddr::V6(d))) => {
            table.push_route(header, d, gateway, pref_src, dev, hops)
        }
        (family, dst) => {
            return Err(format!("route of family {family} with destination {dst:?}"));
        }
    };
    result.map_err(|e| e.to_string())
}

/// `RTM_GETRULE` dumps of both families.
pub fn dump_rules(nl: &mut Netlink) -> Result<Vec<Rule>, NetlinkError> {
    let mut rules = Vec::new();
    for family in [AF_INET, AF_INET6] {
        let mut req = [0u8; 12];
        req[0] = family;
        nl.request(RTM_GETRULE, true, &req, &mut |_, body| {
            let msg = RuleMessage::parse(body).map_err(|e| decode_error("rule message", e))?;
            rules.push(rule_from_netlink(
                &msg,
                if family == AF_INET { 4 } else { 6 },
            ));
            Ok(())
        })?;
    }
    Ok(rules)
}

fn rule_from_netlink(msg: &RuleMessage, family: u8) -> Rule {
    let h = &msg.header;
    let mut rule = Rule {
        family,
        priority: 0,
        action: String::new(),
        table: None,
        goto: None,
        invert: h.flags.contains(RuleFlags::Invert),
        src: None,
        dst: None,
        iif: None,
        oif: None,
        fwmark: None,
        fwmask: None,
        tos: (h.tos != 0).then_some(h.tos),
        l3mdev: false,
        suppress_prefixlen: None,
        uid_range: None,
        ip_proto: None,
        sport: None,
        dport: None,
    };
    let mut table = u32::from(h.table);
    for attr in &msg.attributes {
        match attr {
            RuleAttribute::Priority(p) => rule.priority = *p,
            RuleAttribute::Source(a) if h.src_len > 0 => {
                rule.src = Some(Prefix {
                    addr: *a,
                    len: h.src_len,
                })
            }
            RuleAttribute::Destination(a) if h.dst_len > 0 => {
                rule.dst = Some(Prefix {
                    addr: *a,
                    len: h.dst_len,
                })
            }
            RuleAttribute::Iifname(n) => rule.iif = Some(n.clone()),
            RuleAttribute::Oifname(n) => rule.oif = Some(n.clone()),
            RuleAttribute::FwMark(m) if *m != 0 => rule.fwmark = Some(*m),
            // ip shows a mask only when it is not the implicit all-ones.
            RuleAttribute::FwMask(m) if *m != u32::MAX => rule.fwmask = Some(*m),
            RuleAttribute::Table(t) => table = *t,
            RuleAttribute::Goto(g) => rule.goto = Some(*g),
            RuleAttribute::L3MDev(on) => rule.l3mdev = *on,
            // The kernel sends -1 for "not set"; ip shows nothing then.
            RuleAttribute::SuppressPrefixLen(n) if *n != u32::MAX => {
                rule.suppress_prefixlen = Some(*n)
            }
            RuleAttribute::UidRange(r) => rule.uid_range = Some((r.start, r.end)),
            RuleAttribute::IpProtocol(p) => rule.ip_proto = Some(u8::from(*p)),
            RuleAttribute::SourcePortRange(r) => rule.sport = Some((r.start, r.end)),
            RuleAttribute::DestinationPortRange(r) => rule.dport = Some((r.start, r.end)),
            _ => {}
        }
    }
    // A mark with an explicit zero mask still shows as a mark in `ip`.
    if rule.fwmask.is_some() && rule.fwmark.is_none() {
        rule.fwmark = Some(0);
    }
    rule.action = match h.action {
        RuleAction::ToTable => {
            rule.table = (table != 0).then(|| names::table(table));
            "lookup".to_owned()
        }
        RuleAction::Goto => "goto".to_owned(),
        RuleAction::Nop => "nop".to_owned(),
        other => names::route_type(u8::from(other)),
    };
    rule
}

/// `RTM_GETNEIGH` dumps of IPv4 (ARP) and IPv6 (NDP) entries.
pub fn dump_neighbors(
    nl: &mut Netlink,
    ifnames: &HashMap<u32, String>,
) -> Result<Vec<Neighbor>, NetlinkError> {
    let mut out = Vec::new();
    for family in [AF_INET, AF_INET6] {
        let mut req = [0u8; 12];
        req[0] = family;
        nl.request(RTM_GETNEIGH, true, &req, &mut |_, body| {
            let msg =
                NeighbourMessage::parse(body).map_err(|e| decode_error("neighbour message", e))?;
            let mut address = None;
            let mut lladdr = None;
            for attr in &msg.attributes {
                match attr {
                    NeighbourAttribute::Destination(NeighbourAddress::Inet(a)) => {
                        address = Some(IpAddr::V4(*a))
                    }
                    NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)) => {
                        address = Some(IpAddr::V6(*a))
                    }
                    NeighbourAttribute::LinkLayerAddress(b) => {
                        lladdr = Some(hardware_address(b, 1))
                    }
                    _ => {}
                }
            }
            let Some(address) = address else {
                return Ok(());
            };
            let ifindex = msg.header.ifindex;
            out.push(Neighbor {
                address,
                dev: ifnames
                    .get(&ifindex)
                    .cloned()
                    .unwrap_or_else(|| format!("if{ifindex}")),
                lladdr,
                state: nud_names(u16::from(msg.header.state)),
                router: msg.header.flags.contains(NeighbourFlags::Router),
            });
            Ok(())
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::netlink::{NETLINK_ROUTE, push_attr};
    use netlink_packet_core::Emitable;
    use netlink_packet_route::link::{
        InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage, LinkPhysId,
        State, Stats64,
    };

    /// How a link read before `decode_link`: parsed by the crate,
    /// then converted. The decoder must agree with it.
    fn reference(msg: &LinkMessage) -> (Interface, Option<u32>) {
        let flags = msg.header.flags;
        let link_type = u16::from(msg.header.link_layer_type);
        let (mut name, mut kind, mut parent, mut mac, mut perm) = (None, None, false, None, None);
        let (mut operstate, mut carrier, mut changes, mut ups, mut downs) =
            (None, None, None, None, None);
        let (mut mtu, mut master, mut port_name, mut counters) = (None, None, None, None);
        let (mut port_id, mut switch_id, mut alias, mut txqlen) = (None, None, None, None);
        for attr in &msg.attributes {
            match attr {
                LinkAttribute::IfName(n) => name = Some(n.clone()),
                LinkAttribute::LinkInfo(infos) => {
                    for info in infos {
                        if let LinkInfo::Kind(k) = info {
                            kind = Some(k.to_string());
                        }
                    }
                }
                LinkAttribute::ParentDevBusName(_) | LinkAttribute::ParentDevName(_) => {
                    parent = true
                }
                LinkAttribute::Address(a) => mac = Some(hardware_address(a, link_type)),
                LinkAttribute::PermAddress(a) => perm = Some(hardware_address(a, link_type)),
                LinkAttribute::OperState(s) => operstate = Some(old_operstate_name(*s)),
                LinkAttribute::Carrier(c) => carrier = Some(*c != 0),
                LinkAttribute::CarrierChanges(n) => changes = Some(u64::from(*n)),
                LinkAttribute::CarrierUpCount(n) => ups = Some(u64::from(*n)),
                LinkAttribute::CarrierDownCount(n) => downs = Some(u64::from(*n)),
                LinkAttribute::Mtu(m) => mtu = Some(*m),
                LinkAttribute::Controller(m) => master = Some(*m),
                LinkAttribute::PhysPortName(p) => port_name = Some(p.clone()),
                LinkAttribute::PhysPortId(p) => port_id = Some(hex_id(&p.id[..p.len])),
                LinkAttribute::PhysSwitchId(p) => switch_id = Some(hex_id(&p.id[..p.len])),
                LinkAttribute::IfAlias(a) => alias = Some(a.clone()),
                LinkAttribute::TxQueueLen(q) => txqlen = Some(*q),
                LinkAttribute::Stats64(s) => {
                    counters = Some(Counters {
                        rx_bytes: s.rx_bytes,
                        rx_packets: s.rx_packets,
                        rx_errors: s.rx_errors,
                        rx_dropped: s.rx_dropped,
                        rx_over_errors: s.rx_over_errors,
                        rx_crc_errors: s.rx_crc_errors,
                        rx_frame_errors: s.rx_frame_errors,
                        rx_fifo_errors: s.rx_fifo_errors,
                        rx_length_errors: s.rx_length_errors,
                        rx_missed_errors: s.rx_missed_errors,
                        multicast: s.multicast,
                        tx_bytes: s.tx_bytes,
                        tx_packets: s.tx_packets,
                        tx_errors: s.tx_errors,
                        tx_dropped: s.tx_dropped,
                        tx_carrier_errors: s.tx_carrier_errors,
                        tx_aborted_errors: s.tx_aborted_errors,
                        tx_fifo_errors: s.tx_fifo_errors,
                        tx_window_errors: s.tx_window_errors,
                        tx_heartbeat_errors: s.tx_heartbeat_errors,
                        collisions: s.collisions,
                    })
                }
                _ => {}
            }
        }
        let ifindex = msg.header.index;
        let kind = match kind {
            Some(k) => Fact::Known(k),
            None if flags.contains(LinkFlags::Loopback) => Fact::Known("loopback".to_owned()),
            None if parent => Fact::Known("physical".to_owned()),
            None => not_reported("link kind or parent device"),
        };
        let opt = |v: Option<u64>, what: &str| v.map_or_else(|| not_reported(what), Fact::Known);
        let iface = Interface {
            ifindex: Fact::Known(ifindex),
            name: name.unwrap_or_else(|| format!("if{ifindex}")),
            kind,
            mac: Fact::Known(mac),
            permanent_mac: Fact::Known(perm),
            admin_up: Fact::Known(flags.contains(LinkFlags::Up)),
            operstate: operstate.map_or_else(|| not_reported("operstate"), Fact::Known),
            carrier: carrier.map_or_else(|| not_reported("carrier"), Fact::Known),
            carrier_changes: opt(changes, "carrier change count"),
            carrier_up_count: opt(ups, "carrier up count"),
            carrier_down_count: opt(downs, "carrier down count"),
            mtu: mtu.map_or_else(|| not_reported("mtu"), Fact::Known),
            master: Fact::Known(None),
            phys_port_name: Fact::Known(port_name),
            phys_port_id: Fact::Known(port_id),
            phys_switch_id: Fact::Known(switch_id),
            ifalias: Fact::Known(alias.filter(|a| !a.is_empty())),
            tx_queue_len: txqlen.map_or_else(|| not_reported("transmit queue length"), Fact::Known),
            counters: counters.map_or_else(|| not_reported("64-bit statistics"), Fact::Known),
        };
        (iface, master)
    }

    fn old_operstate_name(s: State) -> String {
        match s {
            State::Unknown => "unknown".into(),
            State::NotPresent => "notpresent".into(),
            State::Down => "down".into(),
            State::LowerLayerDown => "lowerlayerdown".into(),
            State::Testing => "testing".into(),
            State::Dormant => "dormant".into(),
            State::Up => "up".into(),
            State::Other(n) => n.to_string(),
            _ => "unknown".into(),
        }
    }

    fn emitted(msg: &LinkMessage) -> Vec<u8> {
        let mut buf = vec![0; msg.buffer_len()];
        msg.emit(&mut buf);
        buf
    }

    fn agrees(msg: &LinkMessage) -> (Interface, Option<u32>) {
        let bytes = emitted(msg);
        let decoded = decode_link(&bytes).unwrap();
        // The crate reads back what it wrote, so the comparison is fair.
        let parsed = LinkMessage::parse(&bytes).unwrap();
        assert_eq!(decoded, reference(&parsed));
        decoded
    }

    #[test]
    fn a_bond_port_decodes_as_the_crate_reads_it() {
        let mut msg = LinkMessage::default();
        msg.header.index = 7;
        msg.header.link_layer_type = LinkLayerType::Ether;
        msg.header.flags = LinkFlags::Up | LinkFlags::LowerUp;
        let mut stats = Stats64::default();
        stats.rx_bytes = 1 << 40;
        stats.tx_packets = 12;
        stats.rx_crc_errors = 3;
        stats.tx_window_errors = 9;
        stats.collisions = 2;
        msg.attributes = vec![
            LinkAttribute::IfName("eno1".into()),
            LinkAttribute::Mtu(9000),
            LinkAttribute::Controller(3),
            LinkAttribute::OperState(State::LowerLayerDown),
            LinkAttribute::Carrier(0),
            LinkAttribute::CarrierChanges(5),
            LinkAttribute::CarrierUpCount(2),
            LinkAttribute::CarrierDownCount(3),
            LinkAttribute::Address(vec![0x02, 0, 0, 0xab, 0xcd, 0xef]),
            LinkAttribute::PermAddress(vec![0x0c, 0x42, 0xa1, 0, 0, 1]),
            LinkAttribute::PhysPortName("p0".into()),
            LinkAttribute::PhysPortId(
                LinkPhysId::parse(&[0x0c, 0x42, 0xa1, 0x07][..]).expect("an id"),
            ),
            LinkAttribute::PhysSwitchId(
                LinkPhysId::parse(&[0x0c, 0x42, 0xa1, 0xff, 0xfe, 0x07][..]).expect("an id"),
            ),
            LinkAttribute::IfAlias("uplink to sw1 swp7".into()),
            LinkAttribute::TxQueueLen(1000),
            LinkAttribute::ParentDevName("0000:03:00.0".into()),
            LinkAttribute::ParentDevBusName("pci".into()),
            LinkAttribute::Stats64(stats),
        ];
        let (iface, master) = agrees(&msg);
        assert_eq!(master, Some(3));
        assert_eq!(iface.name, "eno1");
        assert_eq!(iface.kind, Fact::Known("physical".to_owned()));
        assert_eq!(iface.mac, Fact::Known(Some("02:00:00:ab:cd:ef".into())));
        assert_eq!(iface.operstate, Fact::Known("lowerlayerdown".into()));
        assert_eq!(iface.counters.known().unwrap().rx_bytes, 1 << 40);
        assert_eq!(iface.counters.known().unwrap().tx_window_errors, 9);
        assert_eq!(iface.phys_port_id, Fact::Known(Some("0c42a107".into())));
        assert_eq!(
            iface.phys_switch_id,
            Fact::Known(Some("0c42a1fffe07".into()))
        );
        assert_eq!(
            iface.ifalias,
            Fact::Known(Some("uplink to sw1 swp7".into()))
        );
        assert_eq!(iface.tx_queue_len, Fact::Known(1000));
    }

    #[test]
    fn kinds_tunnels_loopback_and_missing_facts_decode_as_the_crate_reads_them() {
        let mut gre = LinkMessage::default();
        gre.header.index = 9;
        gre.header.link_layer_type = LinkLayerType::Ipgre;
        gre.attributes = vec![
            LinkAttribute::IfName("gre1".into()),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::GreTun)]),
            LinkAttribute::Address(vec![10, 0, 0, 1]),
            LinkAttribute::OperState(State::Other(9)),
        ];
        let (iface, _) = agrees(&gre);
        assert_eq!(iface.kind, Fact::Known("gre".into()));
        assert_eq!(iface.mac, Fact::Known(Some("10.0.0.1".into())));
        assert_eq!(iface.operstate, Fact::Known("9".into()));

        let mut lo = LinkMessage::default();
        lo.header.index = 1;
        lo.header.link_layer_type = LinkLayerType::Loopback;
        lo.header.flags = LinkFlags::Up | LinkFlags::Loopback;
        lo.attributes = vec![LinkAttribute::OperState(State::Unknown)];
        let (iface, _) = agrees(&lo);
        assert_eq!(iface.name, "if1");
        assert_eq!(iface.kind, Fact::Known("loopback".into()));
        assert!(iface.mtu.missing().is_some());

        let mut other = LinkMessage::default();
        other.header.index = 4;
        other.attributes = vec![LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Other("newkind".into()),
        )])];
        assert_eq!(agrees(&other).0.kind, Fact::Known("newkind".into()));
    }

    #[test]
    fn malformed_link_facts_fail_the_message() {
        assert!(decode_link(&[0; 8]).is_err());
        let mut body = vec![0u8; IFINFOMSG_LEN];
        push_attr(&mut body, IFLA_MTU, &[0, 5]);
        assert!(decode_link(&body).is_err());
        // An attribute running past the message.
        let mut body = vec![0u8; IFINFOMSG_LEN];
        body.extend_from_slice(&[40, 0, 3, 0, b'x', 0, 0, 0]);
        assert!(decode_link(&body).is_err());
        // Attributes hostlint does not read are not judged.
        let mut body = vec![0u8; IFINFOMSG_LEN];
        push_attr(&mut body, 26, &[1, 2]);
        assert!(decode_link(&body).is_ok());
    }

    #[test]
    fn a_link_name_that_is_not_utf8_fails_only_that_link() {
        let mut body = vec![0u8; IFINFOMSG_LEN];
        body[4] = 7;
        push_attr(&mut body, IFLA_IFNAME, b"eth\xff\xfe\0");
        push_attr(&mut body, IFLA_MTU, &1500u32.to_ne_bytes());
        let (iface, _) = decode_link(&body).unwrap();
        assert_eq!(iface.name, "eth\u{fffd}\u{fffd}");
        assert_eq!(iface.mtu, Fact::Known(1500));
        let why = iface.name_unreadable().unwrap();
        assert_eq!(why.reason, Reason::Malformed);
        assert!(why.detail.contains("ifindex 7"), "{why}");
    }

    #[test]
    fn live_links_decode_as_the_crate_reads_them() {
        let Ok(mut nl) = Netlink::open(NETLINK_ROUTE) else {
            eprintln!("skipped: no netlink socket here");
            return;
        };
        let mut seen = 0;
        nl.request(RTM_GETLINK, true, &[0u8; 16], &mut |_, body| {
            let decoded = decode_link(body)?;
            let parsed = LinkMessage::parse(body).map_err(|e| e.to_string())?;
            assert_eq!(decoded, reference(&parsed));
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert!(seen > 0, "not even lo");
    }
}
