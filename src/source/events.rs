//! The kernel's change events, for `hostlint watch`: the rtnetlink
//! multicast groups (links, addresses, routes, rules, neighbours), ethtool
//! netlink's `monitor` group where the kernel has it, and the kernel's
//! uevents for block, device-mapper, SCSI, NVMe, network and RDMA
//! devices, each decoded into what changed.
//!
//! These sockets only listen. Joining a multicast group is a socket option,
//! not a request, and nothing is ever sent on them; the one question asked
//! (the ethtool family's group id, `CTRL_CMD_GETFAMILY`) goes through the
//! ordinary client, which refuses anything but read requests.
//!
//! An event is only a hint that facts changed: the agent re-reads the host
//! rather than patching what it knew, so a decoded event needs no more than
//! a kind and a few words for people. A message that cannot be decoded is
//! still an event (something changed), never dropped. Changes no fact
//! depends on (a neighbour entry going from REACHABLE to STALE, a bridge's
//! forwarding database learning a MAC, a uevent of a USB device) are
//! `Routine`: counted, not re-audited.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, RawFd};

use netlink_sys::Socket;
use netlink_sys::protocols::{NETLINK_GENERIC, NETLINK_KOBJECT_UEVENT, NETLINK_ROUTE};

use super::netlink::{Netlink, checked_attrs};
use crate::snapshot::values::OPERSTATES;
use crate::snapshot::{io_text, names};

/// What changed, as the agent counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Link,
    Address,
    Route,
    Rule,
    Neighbour,
    /// ethtool settings: link modes, link information.
    Ethtool,
    /// A block device (a disk, a partition, an md array) added, removed or
    /// changed.
    Block,
    /// A device-mapper map changed: a multipath path failed or came back.
    Dm,
    /// SCSI devices, hosts and transports (FC, SAS, iSCSI).
    Scsi,
    Nvme,
    /// A network device added, removed, renamed.
    Net,
    /// An RDMA device (InfiniBand, RoCE) registered or gone. Its ports'
    /// state, rate and counters change without a uevent.
    Infiniband,
    /// A capture replayed in fixture mode, standing for whatever changed
    /// between it and the previous one.
    Replay,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::Link,
        EventKind::Address,
        EventKind::Route,
        EventKind::Rule,
        EventKind::Neighbour,
        EventKind::Ethtool,
        EventKind::Block,
        EventKind::Dm,
        EventKind::Scsi,
        EventKind::Nvme,
        EventKind::Net,
        EventKind::Infiniband,
        EventKind::Replay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Link => "link",
            EventKind::Address => "address",
            EventKind::Route => "route",
            EventKind::Rule => "rule",
            EventKind::Neighbour => "neighbour",
            EventKind::Ethtool => "ethtool",
            EventKind::Block => "block",
            EventKind::Dm => "dm",
            EventKind::Scsi => "scsi",
            EventKind::Nvme => "nvme",
            EventKind::Net => "net",
            EventKind::Infiniband => "infiniband",
            EventKind::Replay => "replay",
        }
    }
}

/// One change: its kind and what it was about, for people
/// (`uplink0 down`, `0.0.0.0/0 table main removed`, `change dm-0 (mpatha)
/// PATH_FAILED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub what: String,
}

/// What one message on a subscription meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Event(Event),
    /// A change no fact depends on.
    Routine,
    /// The socket's buffer overflowed (ENOBUFS): the kernel dropped events,
    /// so anything may have changed.
    Overrun,
}

/// The subscriptions, each a socket of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stream {
    Rtnetlink,
    Ethtool,
    Uevent,
}

impl Stream {
    pub const ALL: [Stream; 3] = [Stream::Rtnetlink, Stream::Ethtool, Stream::Uevent];

    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Rtnetlink => "rtnetlink",
            Stream::Ethtool => "ethtool",
            Stream::Uevent => "uevent",
        }
    }
}

// rtnetlink multicast groups (include/uapi/linux/rtnetlink.h, enum
// rtnetlink_groups): the numbers `NETLINK_ADD_MEMBERSHIP` takes.
const RTNLGRP_LINK: u32 = 1;
const RTNLGRP_NEIGH: u32 = 3;
const RTNLGRP_IPV4_IFADDR: u32 = 5;
const RTNLGRP_IPV4_ROUTE: u32 = 7;
const RTNLGRP_IPV4_RULE: u32 = 8;
const RTNLGRP_IPV6_IFADDR: u32 = 9;
const RTNLGRP_IPV6_ROUTE: u32 = 11;
const RTNLGRP_IPV6_RULE: u32 = 19;
const RTNL_GROUPS: [u32; 8] = [
    RTNLGRP_LINK,
    RTNLGRP_NEIGH,
    RTNLGRP_IPV4_IFADDR,
    RTNLGRP_IPV4_ROUTE,
    RTNLGRP_IPV4_RULE,
    RTNLGRP_IPV6_IFADDR,
    RTNLGRP_IPV6_ROUTE,
    RTNLGRP_IPV6_RULE,
];
/// The kernel's own uevents (group 2 carries udev's re-broadcasts).
const UEVENT_KERNEL_GROUP: u32 = 1;

const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const RTM_NEWNEIGH: u16 = 28;
const RTM_DELNEIGH: u16 = 29;
const RTM_NEWRULE: u16 = 32;
const RTM_DELRULE: u16 = 33;

const NLMSG_HDRLEN: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;

const ETHTOOL_MCGRP_MONITOR: &str = "monitor";
const ETHTOOL_MSG_LINKINFO_NTF: u8 = 3;
const ETHTOOL_MSG_LINKMODES_NTF: u8 = 5;
const ETHTOOL_A_HEADER: u16 = 1;
const ETHTOOL_A_HEADER_DEV_NAME: u16 = 2;

/// Asked of the kernel for each socket's receive buffer (it caps the
/// request at `net.core.rmem_max`): room for a burst of route changes
/// while an audit runs, before the kernel has to drop any.
const RECEIVE_BUFFER: usize = 1 << 20;
/// Larger than any datagram the kernel multicasts (a netlink notification
/// fits a page or two; a uevent, 2 KiB).
const DATAGRAM_BUFFER: usize = 64 * 1024;
/// Neighbours remembered as usable, to tell routine refreshes from an
/// entry that became usable again; past this the memory is dropped (and
/// the next refresh of each costs one re-audit), so it never grows with
/// a churning table.
const MAX_REMEMBERED_NEIGHBOURS: usize = 65_536;
/// The longest `what` kept: interface names, addresses and device names
/// are short; a malformed message is not allowed to be long.
const MAX_WHAT: usize = 96;

/// The agent's event sockets.
pub struct Subscriptions {
    rtnetlink: Socket,
    ethtool: Option<(Socket, u16)>,
    uevent: Option<Socket>,
    neighbours: NeighbourMemory,
    buf: Vec<u8>,
}

/// A subscription that could not be made, and why: its changes are then
/// seen at the next event of another kind or at `--max-interval`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribed {
    pub stream: Stream,
    pub why: String,
}

fn listener(protocol: isize, groups: &[u32]) -> io::Result<Socket> {
    let mut socket = Socket::new(protocol)?;
    socket.bind_auto()?;
    // Best effort: the kernel's default still works, and an overflow is
    // detected either way.
    let _ = socket.set_rx_buf_sz(RECEIVE_BUFFER);
    for g in groups {
        socket.add_membership(*g)?;
    }
    socket.set_non_blocking(true)?;
    Ok(socket)
}

impl Subscriptions {
    /// Joins every group. rtnetlink must work; ethtool's monitor group
    /// (absent before Linux 5.6) and uevents may be missing, each said why.
    pub fn open() -> io::Result<(Subscriptions, Vec<Unsubscribed>)> {
        let rtnetlink = listener(NETLINK_ROUTE, &RTNL_GROUPS).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("rtnetlink multicast groups: {}", io_text(&e)),
            )
        })?;
        let mut missing = Vec::new();
        let ethtool = match ethtool_monitor() {
            Ok(s) => Some(s),
            Err(why) => {
                missing.push(Unsubscribed {
                    stream: Stream::Ethtool,
                    why,
                });
                None
            }
        };
        let uevent = match listener(NETLINK_KOBJECT_UEVENT, &[UEVENT_KERNEL_GROUP]) {
            Ok(s) => Some(s),
            Err(e) => {
                missing.push(Unsubscribed {
                    stream: Stream::Uevent,
                    why: format!("kernel uevent socket: {}", io_text(&e)),
                });
                None
            }
        };
        Ok((
            Subscriptions {
                rtnetlink,
                ethtool,
                uevent,
                neighbours: NeighbourMemory::default(),
                buf: Vec::with_capacity(DATAGRAM_BUFFER),
            },
            missing,
        ))
    }

    /// The descriptor of each open subscription, to wait on.
    pub fn descriptors(&self) -> Vec<(Stream, RawFd)> {
        let mut out = vec![(Stream::Rtnetlink, self.rtnetlink.as_raw_fd())];
        if let Some((s, _)) = &self.ethtool {
            out.push((Stream::Ethtool, s.as_raw_fd()));
        }
        if let Some(s) = &self.uevent {
            out.push((Stream::Uevent, s.as_raw_fd()));
        }
        out
    }

    pub fn is_subscribed(&self, stream: Stream) -> bool {
        match stream {
            Stream::Rtnetlink => true,
            Stream::Ethtool => self.ethtool.is_some(),
            Stream::Uevent => self.uevent.is_some(),
        }
    }

    /// Reads what is waiting on `stream`, at most `max_datagrams` (so a
    /// storm on one socket cannot starve the rest of the loop), handing
    /// each message's meaning to `on`. True when more may be waiting.
    pub fn drain(
        &mut self,
        stream: Stream,
        max_datagrams: usize,
        on: &mut dyn FnMut(Delivery),
    ) -> io::Result<bool> {
        for _ in 0..max_datagrams {
            self.buf.clear();
            let received = match stream {
                Stream::Rtnetlink => self
                    .rtnetlink
                    .recv(&mut self.buf, libc::MSG_TRUNC)
                    .map(|n| (n, 0)),
                Stream::Ethtool => match &self.ethtool {
                    Some((s, _)) => s.recv(&mut self.buf, libc::MSG_TRUNC).map(|n| (n, 0)),
                    None => return Ok(false),
                },
                Stream::Uevent => match &self.uevent {
                    Some(s) => s
                        .recv_from(&mut self.buf, libc::MSG_TRUNC)
                        .map(|(n, from)| (n, from.port_number())),
                    None => return Ok(false),
                },
            };
            let (n, sender) = match received {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    if stream == Stream::Rtnetlink {
                        // Deletions may have been among the lost: what is
                        // remembered can no longer be trusted.
                        self.neighbours.forget();
                    }
                    on(Delivery::Overrun);
                    continue;
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("{} event socket: {}", stream.as_str(), io_text(&e)),
                    ));
                }
            };
            if n > self.buf.len() {
                on(Delivery::Event(Event {
                    kind: stream_kind(stream),
                    what: format!("a message of {n} bytes, cut to {}", self.buf.len()),
                }));
                continue;
            }
            let datagram = &self.buf[..n];
            match stream {
                Stream::Rtnetlink => {
                    for_each_message(datagram, EventKind::Link, on, &mut |t, body| {
                        decode_rtnetlink(t, body, &mut self.neighbours)
                    })
                }
                Stream::Ethtool => {
                    let family = self.ethtool.as_ref().map_or(0, |(_, f)| *f);
                    for_each_message(datagram, EventKind::Ethtool, on, &mut |t, body| {
                        if t == family {
                            decode_ethtool(body)
                        } else {
                            Delivery::Routine
                        }
                    })
                }
                // Only the kernel (port 0) sends on group 1; anything else
                // is not the kernel's word.
                Stream::Uevent if sender == 0 => on(decode_uevent(datagram)),
                Stream::Uevent => on(Delivery::Routine),
            }
        }
        Ok(true)
    }
}

fn stream_kind(stream: Stream) -> EventKind {
    match stream {
        Stream::Rtnetlink => EventKind::Link,
        Stream::Ethtool => EventKind::Ethtool,
        Stream::Uevent => EventKind::Block,
    }
}

/// The ethtool family's `monitor` group joined, with the family id its
/// notifications carry as their message type.
fn ethtool_monitor() -> Result<(Socket, u16), String> {
    let mut ctl =
        Netlink::open(NETLINK_GENERIC).map_err(|e| format!("generic netlink socket: {e}"))?;
    let _ = ctl.set_timeout(Some(std::time::Duration::from_secs(2)));
    let family = ctl
        .genl_family("ethtool")
        .map_err(|e| format!("ethtool netlink family: {e}"))?;
    let group = family
        .groups
        .iter()
        .find(|(name, _)| name == ETHTOOL_MCGRP_MONITOR)
        .map(|(_, id)| *id)
        .ok_or_else(|| "the ethtool netlink family has no monitor group".to_owned())?;
    let socket = listener(NETLINK_GENERIC, &[group])
        .map_err(|e| format!("ethtool monitor group {group}: {}", io_text(&e)))?;
    Ok((socket, family.id))
}

/// Splits a datagram into its netlink messages and hands each one's
/// meaning to `on`. A damaged datagram is one event of `kind`: it came
/// from the kernel, so something changed.
fn for_each_message(
    datagram: &[u8],
    kind: EventKind,
    on: &mut dyn FnMut(Delivery),
    decode: &mut dyn FnMut(u16, &[u8]) -> Delivery,
) {
    let mut rest = datagram;
    while rest.len() >= NLMSG_HDRLEN {
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            on(Delivery::Event(Event {
                kind,
                what: format!("a malformed message (length {len}, {} bytes)", rest.len()),
            }));
            return;
        }
        let msg_type = u16::from_ne_bytes([rest[4], rest[5]]);
        let body = &rest[NLMSG_HDRLEN..len];
        if !matches!(msg_type, NLMSG_NOOP | NLMSG_ERROR | NLMSG_DONE) {
            on(decode(msg_type, body));
        }
        rest = rest.get(super::netlink::align4(len)..).unwrap_or(&[]);
    }
}

fn event(kind: EventKind, what: String) -> Delivery {
    let mut what = what;
    if what.len() > MAX_WHAT {
        let mut cut = MAX_WHAT;
        while !what.is_char_boundary(cut) {
            cut -= 1;
        }
        what.truncate(cut);
        what.push('…');
    }
    Delivery::Event(Event { kind, what })
}

fn malformed(kind: EventKind, why: &str) -> Delivery {
    event(
        kind,
        format!("a malformed {} message: {why}", kind.as_str()),
    )
}

fn added(new: bool) -> &'static str {
    if new { "added" } else { "removed" }
}

/// An address attribute as text: IPv4, IPv6, or hex for anything else.
fn ip_text(bytes: &[u8]) -> String {
    if let Ok(b) = <[u8; 4]>::try_from(bytes) {
        Ipv4Addr::from(b).to_string()
    } else if let Ok(b) = <[u8; 16]>::try_from(bytes) {
        Ipv6Addr::from(b).to_string()
    } else {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn text_attr(value: &[u8]) -> String {
    let value = value.split(|b| *b == 0).next().unwrap_or(value);
    String::from_utf8_lossy(value).into_owned()
}

fn u32_attr(value: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(value.try_into().ok()?))
}

/// The attributes after a fixed header of `header` bytes, or why not.
fn attributes(body: &[u8], header: usize) -> Result<Vec<(u16, &[u8])>, String> {
    let rest = body.get(header..).ok_or_else(|| {
        format!(
            "{} bytes, shorter than its {header}-byte header",
            body.len()
        )
    })?;
    checked_attrs(rest).collect()
}

/// One rtnetlink notification.
pub fn decode_rtnetlink(msg_type: u16, body: &[u8], neighbours: &mut NeighbourMemory) -> Delivery {
    match msg_type {
        RTM_NEWLINK | RTM_DELLINK => link(msg_type == RTM_NEWLINK, body),
        RTM_NEWADDR | RTM_DELADDR => address(msg_type == RTM_NEWADDR, body),
        RTM_NEWROUTE | RTM_DELROUTE => route(msg_type == RTM_NEWROUTE, body),
        RTM_NEWRULE | RTM_DELRULE => rule(msg_type == RTM_NEWRULE, body),
        RTM_NEWNEIGH | RTM_DELNEIGH => neighbour(msg_type == RTM_NEWNEIGH, body, neighbours),
        // Other groups' messages cannot arrive on this socket's groups;
        // one that does says the kernel changed something.
        other => event(EventKind::Link, format!("rtnetlink message type {other}")),
    }
}

const IFLA_IFNAME: u16 = 3;
const IFLA_OPERSTATE: u16 = 16;

fn link(new: bool, body: &[u8]) -> Delivery {
    let attrs = match attributes(body, 16) {
        Ok(a) => a,
        Err(why) => return malformed(EventKind::Link, &why),
    };
    let index = u32_attr(&body[4..8]).unwrap_or(0);
    let name = attrs
        .iter()
        .find(|(k, _)| *k == IFLA_IFNAME)
        .map_or_else(|| format!("if{index}"), |(_, v)| text_attr(v));
    let state = if new {
        attrs
            .iter()
            .find(|(k, _)| *k == IFLA_OPERSTATE)
            .and_then(|(_, v)| v.first())
            .map_or("changed", |s| {
                // Listed in the kernel's order: IF_OPER_* is the index.
                OPERSTATES
                    .words
                    .get(usize::from(*s))
                    .copied()
                    .unwrap_or("changed")
            })
    } else {
        "removed"
    };
    event(EventKind::Link, format!("{name} {state}"))
}

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;

fn address(new: bool, body: &[u8]) -> Delivery {
    let attrs = match attributes(body, 8) {
        Ok(a) => a,
        Err(why) => return malformed(EventKind::Address, &why),
    };
    let find = |kind| attrs.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v);
    let prefix_len = body[1];
    let index = u32_attr(&body[4..8]).unwrap_or(0);
    let addr = find(IFA_LOCAL)
        .or(find(IFA_ADDRESS))
        .map_or_else(|| "an address".to_owned(), ip_text);
    let on = find(IFA_LABEL).map_or_else(|| format!("if{index}"), text_attr);
    event(
        EventKind::Address,
        format!("{addr}/{prefix_len} on {on} {}", added(new)),
    )
}

const RTA_DST: u16 = 1;
const RTA_TABLE: u16 = 15;
/// A cached clone (IPv6 exceptions, PMTU): not in the routing tables.
const RTM_F_CLONED: u32 = 0x200;

fn route(new: bool, body: &[u8]) -> Delivery {
    let attrs = match attributes(body, 12) {
        Ok(a) => a,
        Err(why) => return malformed(EventKind::Route, &why),
    };
    let flags = u32_attr(&body[8..12]).unwrap_or(0);
    if flags & RTM_F_CLONED != 0 {
        return Delivery::Routine;
    }
    let (family, dst_len) = (body[0], body[1]);
    let find = |kind| attrs.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v);
    let table = find(RTA_TABLE)
        .and_then(u32_attr)
        .unwrap_or(u32::from(body[4]));
    let dst = find(RTA_DST).map_or_else(
        || {
            if i32::from(family) == libc::AF_INET6 {
                "::".to_owned()
            } else {
                "0.0.0.0".to_owned()
            }
        },
        ip_text,
    );
    event(
        EventKind::Route,
        format!(
            "{dst}/{dst_len} table {} {}",
            names::table(table),
            added(new)
        ),
    )
}

const FRA_PRIORITY: u16 = 6;
const FRA_TABLE: u16 = 15;

fn rule(new: bool, body: &[u8]) -> Delivery {
    let attrs = match attributes(body, 12) {
        Ok(a) => a,
        Err(why) => return malformed(EventKind::Rule, &why),
    };
    let find = |kind| {
        attrs
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, v)| u32_attr(v))
    };
    let pref = find(FRA_PRIORITY).map_or_else(|| "0".to_owned(), |p| p.to_string());
    let table = find(FRA_TABLE).unwrap_or(u32::from(body[4]));
    let family = if i32::from(body[0]) == libc::AF_INET6 {
        "IPv6 "
    } else {
        ""
    };
    event(
        EventKind::Rule,
        format!(
            "{family}rule {pref} (table {}) {}",
            names::table(table),
            added(new)
        ),
    )
}

const NDA_DST: u16 = 1;
const NUD_INCOMPLETE: u16 = 0x01;
const NUD_FAILED: u16 = 0x20;
const AF_BRIDGE: u8 = libc::AF_BRIDGE as u8;

/// Neighbour entries last seen usable (not FAILED, INCOMPLETE or NONE),
/// by interface and address: the route check asks only whether a
/// gateway's entry exists and is usable, so a refresh of a usable entry
/// (REACHABLE, STALE, DELAY, PROBE: every few seconds on a busy host) is
/// routine, while an entry becoming usable, unusable or gone is not.
#[derive(Debug, Default)]
pub struct NeighbourMemory {
    usable: HashSet<(u32, Vec<u8>)>,
}

impl NeighbourMemory {
    fn forget(&mut self) {
        self.usable = HashSet::new();
    }
}

fn neighbour(new: bool, body: &[u8], memory: &mut NeighbourMemory) -> Delivery {
    let attrs = match attributes(body, 12) {
        Ok(a) => a,
        Err(why) => return malformed(EventKind::Neighbour, &why),
    };
    // A bridge's forwarding database, which the snapshot does not hold.
    if body[0] == AF_BRIDGE {
        return Delivery::Routine;
    }
    let index = u32_attr(&body[4..8]).unwrap_or(0);
    let state = u16::from_ne_bytes([body[8], body[9]]);
    let Some(dst) = attrs.iter().find(|(k, _)| *k == NDA_DST).map(|(_, v)| *v) else {
        return malformed(EventKind::Neighbour, "no destination");
    };
    let key = (index, dst.to_vec());
    let usable = new && state != 0 && state & (NUD_INCOMPLETE | NUD_FAILED) == 0;
    let what = if new {
        format!(
            "{} on if{index} {}",
            ip_text(dst),
            crate::snapshot::nud_names(state).join(",")
        )
    } else {
        format!("{} on if{index} removed", ip_text(dst))
    };
    if usable {
        if memory.usable.contains(&key) {
            return Delivery::Routine;
        }
        if memory.usable.len() >= MAX_REMEMBERED_NEIGHBOURS {
            memory.forget();
        }
        memory.usable.insert(key);
    } else {
        memory.usable.remove(&key);
    }
    event(EventKind::Neighbour, what)
}

/// One ethtool notification (the generic netlink header first). Only link
/// information and link modes are facts hostlint reads.
pub fn decode_ethtool(body: &[u8]) -> Delivery {
    let Some(&cmd) = body.first() else {
        return malformed(EventKind::Ethtool, "no generic netlink header");
    };
    let what = match cmd {
        ETHTOOL_MSG_LINKINFO_NTF => "link information",
        ETHTOOL_MSG_LINKMODES_NTF => "link modes",
        _ => return Delivery::Routine,
    };
    let attrs = match attributes(body, 4) {
        Ok(a) => a,
        Err(why) => return malformed(EventKind::Ethtool, &why),
    };
    let name = attrs
        .iter()
        .find(|(k, _)| *k == ETHTOOL_A_HEADER)
        .and_then(|(_, header)| {
            checked_attrs(header)
                .map_while(Result::ok)
                .find(|(k, _)| *k == ETHTOOL_A_HEADER_DEV_NAME)
                .map(|(_, v)| text_attr(v))
        })
        .unwrap_or_else(|| "a link".to_owned());
    event(EventKind::Ethtool, format!("{name} {what}"))
}

/// One kernel uevent: `ACTION@DEVPATH`, then `KEY=VALUE` strings, each
/// NUL-terminated.
pub fn decode_uevent(datagram: &[u8]) -> Delivery {
    let mut fields = datagram.split(|b| *b == 0);
    let Some(head) = fields.next() else {
        return Delivery::Routine;
    };
    if !head.contains(&b'@') {
        // Not the kernel's format (udev's re-broadcasts start "libudev").
        return Delivery::Routine;
    }
    let mut action = None;
    let mut devpath = None;
    let mut subsystem = None;
    let mut devname = None;
    let mut dm_name = None;
    let mut dm_action = None;
    for f in fields {
        let Some(eq) = f.iter().position(|b| *b == b'=') else {
            continue;
        };
        let (key, value) = (&f[..eq], text_attr(&f[eq + 1..]));
        match key {
            b"ACTION" => action = Some(value),
            b"DEVPATH" => devpath = Some(value),
            b"SUBSYSTEM" => subsystem = Some(value),
            b"DEVNAME" => devname = Some(value),
            b"DM_NAME" => dm_name = Some(value),
            b"DM_ACTION" => dm_action = Some(value),
            _ => {}
        }
    }
    let Some(subsystem) = subsystem else {
        return Delivery::Routine;
    };
    let kind = match subsystem.as_str() {
        "block" if dm_name.is_some() || dm_action.is_some() => EventKind::Dm,
        "block" => EventKind::Block,
        "scsi" | "scsi_device" | "scsi_disk" | "scsi_host" | "fc_host" | "fc_remote_ports"
        | "fc_transport" | "sas_phy" | "sas_port" | "sas_device" | "sas_end_device"
        | "iscsi_host" | "iscsi_session" | "iscsi_connection" => EventKind::Scsi,
        "nvme" | "nvme-subsystem" | "nvme-generic" => EventKind::Nvme,
        "net" => EventKind::Net,
        "infiniband" => EventKind::Infiniband,
        _ => return Delivery::Routine,
    };
    let device = devname
        .map(|d| d.rsplit('/').next().unwrap_or(&d).to_owned())
        .or_else(|| {
            devpath
                .as_deref()
                .and_then(|p| p.rsplit('/').next())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| subsystem.clone());
    let mut what = format!("{} {device}", action.as_deref().unwrap_or("change"));
    if let Some(name) = dm_name {
        what.push_str(&format!(" ({name})"));
    }
    if let Some(a) = dm_action {
        what.push(' ');
        what.push_str(&a);
    }
    event(kind, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::netlink::push_attr;

    fn deliveries(datagram: &[u8], memory: &mut NeighbourMemory) -> Vec<Delivery> {
        let mut out = Vec::new();
        for_each_message(
            datagram,
            EventKind::Link,
            &mut |d| out.push(d),
            &mut |t, b| decode_rtnetlink(t, b, memory),
        );
        out
    }

    fn message(msg_type: u16, body: &[u8]) -> Vec<u8> {
        let len = NLMSG_HDRLEN + body.len();
        let mut m = Vec::new();
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&msg_type.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(body);
        m.resize(crate::source::netlink::align4(m.len()), 0);
        m
    }

    fn what(d: &Delivery) -> (&'static str, &str) {
        match d {
            Delivery::Event(e) => (e.kind.as_str(), &e.what),
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn link_messages_name_the_link_and_its_state() {
        let mut body = vec![0u8; 16];
        body[4..8].copy_from_slice(&7u32.to_ne_bytes());
        push_attr(&mut body, IFLA_IFNAME, b"uplink0\0");
        push_attr(&mut body, IFLA_OPERSTATE, &[2]);
        let mut datagram = message(RTM_NEWLINK, &body);
        datagram.extend(message(RTM_DELLINK, &body[..16]));
        let got = deliveries(&datagram, &mut NeighbourMemory::default());
        assert_eq!(what(&got[0]), ("link", "uplink0 down"));
        assert_eq!(what(&got[1]), ("link", "if7 removed"));
    }

    #[test]
    fn routes_rules_and_addresses_say_what_and_where() {
        let mut memory = NeighbourMemory::default();
        let mut r = vec![libc::AF_INET as u8, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
        push_attr(&mut r, 4, &3u32.to_ne_bytes());
        let mut v6 = vec![libc::AF_INET6 as u8, 48, 0, 0, 100, 3, 0, 1, 0, 0, 0, 0];
        push_attr(
            &mut v6,
            RTA_DST,
            &"2001:db8:99::".parse::<Ipv6Addr>().unwrap().octets(),
        );
        let mut rule = vec![libc::AF_INET as u8, 0, 24, 0, 100, 0, 0, 1, 0, 0, 0, 0];
        push_attr(&mut rule, FRA_PRIORITY, &100u32.to_ne_bytes());
        let mut addr = vec![libc::AF_INET as u8, 24, 0, 0];
        addr.extend_from_slice(&3u32.to_ne_bytes());
        push_attr(&mut addr, IFA_LOCAL, &[10, 1, 0, 9]);
        push_attr(&mut addr, IFA_LABEL, b"uplink0\0");
        let mut d = message(RTM_DELROUTE, &r);
        d.extend(message(RTM_NEWROUTE, &v6));
        d.extend(message(RTM_NEWRULE, &rule));
        d.extend(message(RTM_DELADDR, &addr));
        let got = deliveries(&d, &mut memory);
        assert_eq!(what(&got[0]), ("route", "0.0.0.0/0 table main removed"));
        assert_eq!(what(&got[1]), ("route", "2001:db8:99::/48 table 100 added"));
        assert_eq!(what(&got[2]), ("rule", "rule 100 (table 100) added"));
        assert_eq!(what(&got[3]), ("address", "10.1.0.9/24 on uplink0 removed"));
    }

    #[test]
    fn a_cached_route_clone_is_routine() {
        let mut r = vec![libc::AF_INET6 as u8, 128, 0, 0, 254, 0, 0, 1];
        r.extend_from_slice(&RTM_F_CLONED.to_ne_bytes());
        let got = deliveries(&message(RTM_NEWROUTE, &r), &mut NeighbourMemory::default());
        assert_eq!(got, [Delivery::Routine]);
    }

    fn neigh(family: u8, state: u16) -> Vec<u8> {
        let mut n = vec![family, 0, 0, 0];
        n.extend_from_slice(&3u32.to_ne_bytes());
        n.extend_from_slice(&state.to_ne_bytes());
        n.extend_from_slice(&[0, 1]);
        push_attr(&mut n, NDA_DST, &[10, 1, 0, 254]);
        n
    }

    #[test]
    fn neighbour_refreshes_are_routine_but_becoming_usable_again_is_not() {
        const REACHABLE: u16 = 0x02;
        const STALE: u16 = 0x04;
        let mut memory = NeighbourMemory::default();
        let inet = libc::AF_INET as u8;
        let mut seq = |msg_type, family, state| {
            deliveries(&message(msg_type, &neigh(family, state)), &mut memory).remove(0)
        };
        // First sight of a usable entry: it may be new.
        assert_eq!(
            what(&seq(RTM_NEWNEIGH, inet, REACHABLE)),
            ("neighbour", "10.1.0.254 on if3 REACHABLE")
        );
        assert_eq!(seq(RTM_NEWNEIGH, inet, STALE), Delivery::Routine);
        assert_eq!(seq(RTM_NEWNEIGH, inet, REACHABLE), Delivery::Routine);
        assert_eq!(
            what(&seq(RTM_NEWNEIGH, inet, NUD_FAILED)),
            ("neighbour", "10.1.0.254 on if3 FAILED")
        );
        // Usable again after FAILED: the route check's answer changes.
        assert!(matches!(
            seq(RTM_NEWNEIGH, inet, REACHABLE),
            Delivery::Event(_)
        ));
        assert!(matches!(seq(RTM_DELNEIGH, inet, STALE), Delivery::Event(_)));
        assert!(matches!(seq(RTM_NEWNEIGH, inet, STALE), Delivery::Event(_)));
        // A bridge learning a MAC address.
        assert_eq!(seq(RTM_NEWNEIGH, AF_BRIDGE, REACHABLE), Delivery::Routine);
    }

    #[test]
    fn a_damaged_message_is_still_an_event() {
        let mut memory = NeighbourMemory::default();
        // A link message shorter than its header.
        let got = deliveries(&message(RTM_NEWLINK, &[0; 6]), &mut memory);
        assert!(
            what(&got[0]).1.contains("malformed link message"),
            "{got:?}"
        );
        // A length field pointing past the datagram.
        let mut d = message(RTM_NEWLINK, &[0; 16]);
        d[0] = 200;
        let got = deliveries(&d, &mut memory);
        assert!(what(&got[0]).1.contains("malformed message"), "{got:?}");
        // An attribute running past the message.
        let mut body = vec![0u8; 16];
        body.extend_from_slice(&[40, 0, 3, 0, b'x']);
        let got = deliveries(&message(RTM_NEWLINK, &body), &mut memory);
        assert!(
            what(&got[0]).1.contains("malformed link message"),
            "{got:?}"
        );
    }

    #[test]
    fn ethtool_link_mode_notifications_name_the_link() {
        let mut header = Vec::new();
        push_attr(&mut header, ETHTOOL_A_HEADER_DEV_NAME, b"eno1\0");
        let mut body = vec![ETHTOOL_MSG_LINKMODES_NTF, 1, 0, 0];
        push_attr(&mut body, ETHTOOL_A_HEADER | 0x8000, &header);
        assert_eq!(what(&decode_ethtool(&body)), ("ethtool", "eno1 link modes"));
        // ETHTOOL_MSG_FEATURES_NTF: offloads are no fact hostlint reads.
        assert_eq!(decode_ethtool(&[13, 1, 0, 0]), Delivery::Routine);
    }

    #[test]
    fn uevents_of_storage_network_and_rdma_devices_are_events() {
        let path_failed = b"change@/devices/virtual/block/dm-0\0ACTION=change\0DEVPATH=/devices/virtual/block/dm-0\0SUBSYSTEM=block\0DM_NAME=mpatha\0DM_ACTION=PATH_FAILED\0DEVNAME=dm-0\0SEQNUM=4242\0";
        assert_eq!(
            what(&decode_uevent(path_failed)),
            ("dm", "change dm-0 (mpatha) PATH_FAILED")
        );
        let offline = b"offline@/devices/pci0000:00/host2/target2:0:0/2:0:0:3\0ACTION=offline\0DEVPATH=/devices/pci0000:00/host2/target2:0:0/2:0:0:3\0SUBSYSTEM=scsi\0";
        assert_eq!(what(&decode_uevent(offline)), ("scsi", "offline 2:0:0:3"));
        let disk = b"remove@/block/sdc\0ACTION=remove\0SUBSYSTEM=block\0DEVNAME=/dev/sdc\0";
        assert_eq!(what(&decode_uevent(disk)), ("block", "remove sdc"));
        let rdma = b"remove@/devices/pci0000:00/0000:00:02.0/infiniband/mlx5_0\0ACTION=remove\0DEVPATH=/devices/pci0000:00/0000:00:02.0/infiniband/mlx5_0\0SUBSYSTEM=infiniband\0NAME=mlx5_0\0";
        assert_eq!(what(&decode_uevent(rdma)), ("infiniband", "remove mlx5_0"));
        let usb = b"add@/devices/usb1/1-1\0ACTION=add\0SUBSYSTEM=usb\0";
        assert_eq!(decode_uevent(usb), Delivery::Routine);
        assert_eq!(
            decode_uevent(b"libudev\0\xfe\xed\xca\xfe"),
            Delivery::Routine
        );
        assert_eq!(decode_uevent(b""), Delivery::Routine);
    }

    #[test]
    fn a_long_description_is_cut() {
        let long = format!("change@/x\0SUBSYSTEM=block\0DEVNAME={}\0", "é".repeat(200));
        let cut = decode_uevent(long.as_bytes());
        let (_, w) = what(&cut);
        assert!(
            w.len() <= MAX_WHAT + '…'.len_utf8() && w.ends_with('…'),
            "{w}"
        );
    }
}
