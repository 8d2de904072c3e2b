//! rtnetlink dumps from the live kernel, decoded into the snapshot's types:
//! links, addresses, routes, rules and neighbours.

use std::collections::HashMap;
use std::net::IpAddr;

use netlink_packet_core::Parseable;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteVia};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};

use super::iproute::address_flag_names;
use super::netlink::{Netlink, NetlinkError};
use crate::snapshot::{
    Address, Counters, DevId, Fact, Interface, Neighbor, NextHop, Prefix, Reason,
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
        let msg = LinkMessage::parse(body).map_err(|e| decode_error("link message", e))?;
        let (iface, master) = interface_from_netlink(&msg);
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

/// A link's facts, and the ifindex of its master, which is named once the
/// whole dump is in.
fn interface_from_netlink(msg: &LinkMessage) -> (Interface, Option<u32>) {
    let flags = msg.header.flags;
    let link_type = u16::from(msg.header.link_layer_type);
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
    let mut counters = None;
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
            LinkAttribute::ParentDevBusName(_) | LinkAttribute::ParentDevName(_) => parent = true,
            LinkAttribute::Address(a) => mac = Some(hardware_address(a, link_type)),
            LinkAttribute::PermAddress(a) => perm = Some(hardware_address(a, link_type)),
            LinkAttribute::OperState(s) => operstate = Some(operstate_name(*s)),
            LinkAttribute::Carrier(c) => carrier = Some(*c != 0),
            LinkAttribute::CarrierChanges(n) => changes = Some(u64::from(*n)),
            LinkAttribute::CarrierUpCount(n) => ups = Some(u64::from(*n)),
            LinkAttribute::CarrierDownCount(n) => downs = Some(u64::from(*n)),
            LinkAttribute::Mtu(m) => mtu = Some(*m),
            LinkAttribute::Controller(m) => master = Some(*m),
            LinkAttribute::PhysPortName(p) => port_name = Some(p.clone()),
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
        counters: counters.map_or_else(|| not_reported("64-bit statistics"), Fact::Known),
    };
    (iface, master)
}

fn operstate_name(s: State) -> String {
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
        _ => bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
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

/// The route dumps of both families, devices named from `ifnames`.
pub fn dump_routes(
    nl: &mut Netlink,
    ifnames: &HashMap<u32, String>,
) -> Result<RouteTable, NetlinkError> {
    let mut table = RouteTable::default();
    let mut devs: HashMap<u32, DevId> = HashMap::new();
    for family in [AF_INET, AF_INET6] {
        let mut req = [0u8; 12];
        req[0] = family;
        nl.request(RTM_GETROUTE, true, &req, &mut |_, body| {
            let msg = RouteMessage::parse(body).map_err(|e| decode_error("route message", e))?;
            add_route(&mut table, &mut devs, ifnames, &msg);
            Ok(())
        })?;
    }
    Ok(table)
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
) {
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
    match (h.address_family.into(), dst) {
        (AF_INET, dst) => {
            let dst = match dst {
                Some(IpAddr::V4(a)) => a,
                _ => std::net::Ipv4Addr::UNSPECIFIED,
            };
            let gw = match gateway {
                Some(IpAddr::V4(g)) => Some(g),
                Some(other) => {
                    // RFC 5549: an IPv4 route via an IPv6 next hop.
                    hops.push(NextHop {
                        gateway: Some(other),
                        dev,
                        weight: 1,
                        flags: 0,
                    });
                    None
                }
                None => None,
            };
            let src = match pref_src {
                Some(IpAddr::V4(s)) => Some(s),
                _ => None,
            };
            table.push_v4(header, dst, gw, src, dev, hops);
        }
        (AF_INET6, dst) => {
            let dst = match dst {
                Some(IpAddr::V6(a)) => a,
                _ => std::net::Ipv6Addr::UNSPECIFIED,
            };
            let gw = match gateway {
                Some(IpAddr::V6(g)) => Some(g),
                _ => None,
            };
            let src = match pref_src {
                Some(IpAddr::V6(s)) => Some(s),
                _ => None,
            };
            table.push_v6(header, dst, gw, src, dev, hops);
        }
        // Another family in an inet dump is not possible; skip it.
        _ => {}
    }
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
