//! A blocking netlink client that can only ask.
//!
//! One request at a time, replies handed to a callback as they arrive, so a
//! million-route dump is never held twice in memory. The client refuses to
//! send anything but a read request: hostlint must never change the host.

use std::fmt;
use std::io;
use std::time::Instant;

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTIPART, NLM_F_REQUEST};
use netlink_sys::{Socket, SocketAddr};

pub use netlink_sys::protocols::{NETLINK_GENERIC, NETLINK_ROUTE};

use super::limits::{MAX_NETLINK_REPLY_BYTES, size_text};
use crate::snapshot::io_text;

const NLMSG_HDRLEN: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_OVERRUN: u16 = 4;
/// The error message carries extended-ack attributes after the request.
const NLM_F_ACK_TLVS: u16 = 0x200;
/// The error message echoes only the request's header, not its payload.
const NLM_F_CAPPED: u16 = 0x100;
const NLMSGERR_ATTR_MSG: u16 = 1;
const GENL_ID_CTRL: u16 = 16;
const CTRL_CMD_GETFAMILY: u8 = 3;

/// Large enough for any single datagram the kernel sends a dump reader
/// (it caps dump skbs at 32 KiB); a bigger one is reported, not truncated.
const RECV_BUFFER: usize = 64 * 1024;

#[derive(Debug)]
pub enum NetlinkError {
    /// The socket itself failed (open, send, receive).
    Io(io::Error),
    /// The kernel answered with an error; `message` is its extended ack.
    Kernel { errno: i32, message: Option<String> },
    /// A reply could not be decoded.
    Decode(String),
    /// The request would change state; it was not sent.
    Refused(String),
}

impl NetlinkError {
    pub fn errno(&self) -> Option<i32> {
        match self {
            NetlinkError::Io(e) => e.raw_os_error(),
            NetlinkError::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The error as an `io::Error`, keeping the errno where there is one,
    /// and the kind of a socket error that has none (a timeout is not
    /// malformed data).
    pub fn to_io(&self) -> io::Error {
        match (self.errno(), self) {
            (Some(n), _) => io::Error::from_raw_os_error(n),
            (None, NetlinkError::Io(e)) => io::Error::new(e.kind(), self.to_string()),
            (None, _) => io::Error::new(io::ErrorKind::InvalidData, self.to_string()),
        }
    }
}

impl fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetlinkError::Io(e) => write!(f, "netlink socket: {}", io_text(e)),
            NetlinkError::Kernel { errno, message } => {
                let err = io_text(&io::Error::from_raw_os_error(*errno));
                match message {
                    Some(m) => write!(f, "kernel: {err}: {m}"),
                    None => write!(f, "kernel: {err}"),
                }
            }
            NetlinkError::Decode(m) => write!(f, "undecodable netlink reply: {m}"),
            NetlinkError::Refused(m) => write!(f, "refused to send {m}"),
        }
    }
}

impl std::error::Error for NetlinkError {}

impl From<io::Error> for NetlinkError {
    fn from(e: io::Error) -> Self {
        NetlinkError::Io(e)
    }
}

/// Receives each reply's message type and payload; an error stops the
/// request and is reported as undecodable.
pub type OnReply<'a> = dyn FnMut(u16, &[u8]) -> Result<(), String> + 'a;

/// How a dump ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpStatus {
    /// The kernel flagged the dump as inconsistent: the table changed while
    /// it was being read.
    pub interrupted: bool,
}

pub struct Netlink {
    socket: Socket,
    protocol: isize,
    port: u32,
    seq: u32,
    buf: Vec<u8>,
    request: Vec<u8>,
    /// When the current timeout runs out: a dump that keeps answering
    /// must still end there, not only one that falls silent.
    ends: Option<Instant>,
}

impl Netlink {
    pub fn open(protocol: isize) -> io::Result<Netlink> {
        let mut socket = Socket::new(protocol)?;
        let addr = socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        // Best effort: older kernels lack them, and the client works without.
        let _ = socket.set_ext_ack(true);
        if protocol == NETLINK_ROUTE {
            // Strict checking makes the kernel honour the filters in dump
            // requests instead of silently dumping everything.
            let _ = socket.set_netlink_get_strict_chk(true);
        }
        Ok(Netlink {
            socket,
            protocol,
            port: addr.port_number(),
            seq: 0,
            buf: Vec::with_capacity(RECV_BUFFER),
            request: Vec::with_capacity(256),
            ends: None,
        })
    }

    /// Bounds every wait for a reply: past it a request fails with
    /// `TimedOut` (a kernel stuck on the RTNL lock must not hang the run).
    pub fn set_timeout(&mut self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        self.ends = timeout.map(|t| Instant::now() + t);
        use std::os::fd::AsRawFd;
        let tv = match timeout {
            // Zero would mean "no timeout" to the kernel.
            Some(t) => libc::timeval {
                tv_sec: t.as_secs() as libc::time_t,
                tv_usec: t.subsec_micros().max(1) as libc::suseconds_t,
            },
            None => libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
        };
        // SAFETY: setsockopt with a valid fd and a timeval of the size given.
        let rc = unsafe {
            libc::setsockopt(
                self.socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends a read request and hands the payload of every reply to `each`
    /// with its message type, until the kernel says the request is complete.
    pub fn request(
        &mut self,
        msg_type: u16,
        dump: bool,
        payload: &[u8],
        each: &mut OnReply<'_>,
    ) -> Result<DumpStatus, NetlinkError> {
        if !is_read_request(self.protocol, msg_type, payload) {
            return Err(NetlinkError::Refused(format!(
                "netlink message type {msg_type} (protocol {}): not a read request",
                self.protocol
            )));
        }
        self.seq = self.seq.wrapping_add(1);
        let flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK };
        let len = NLMSG_HDRLEN + payload.len();
        self.request.clear();
        self.request.extend_from_slice(&(len as u32).to_ne_bytes());
        self.request.extend_from_slice(&msg_type.to_ne_bytes());
        self.request.extend_from_slice(&flags.to_ne_bytes());
        self.request.extend_from_slice(&self.seq.to_ne_bytes());
        self.request.extend_from_slice(&self.port.to_ne_bytes());
        self.request.extend_from_slice(payload);
        self.socket.send(&self.request, 0)?;

        let mut status = DumpStatus::default();
        let mut received: u64 = 0;
        loop {
            if self.ends.is_some_and(|end| Instant::now() >= end) {
                return Err(NetlinkError::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the kernel's answer did not end before the deadline",
                )));
            }
            self.buf.clear();
            let n = self
                .socket
                .recv(&mut self.buf, libc::MSG_TRUNC)
                .map_err(|e| match e.kind() {
                    io::ErrorKind::WouldBlock => io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no answer from the kernel before the deadline",
                    ),
                    _ => e,
                })?;
            if n > self.buf.len() {
                return Err(NetlinkError::Decode(format!(
                    "datagram of {n} bytes exceeds the {RECV_BUFFER}-byte buffer"
                )));
            }
            received += n as u64;
            if received > MAX_NETLINK_REPLY_BYTES {
                return Err(NetlinkError::Io(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "too large: the kernel's answer passed {}, more than hostlint reads of one request",
                        size_text(MAX_NETLINK_REPLY_BYTES)
                    ),
                )));
            }
            let mut offset = 0;
            while offset + NLMSG_HDRLEN <= n {
                let data = &self.buf[offset..n];
                let msg_len = u32_at(data, 0) as usize;
                if msg_len < NLMSG_HDRLEN || msg_len > data.len() {
                    return Err(NetlinkError::Decode(format!(
                        "message length {msg_len} with {} bytes left",
                        data.len()
                    )));
                }
                let msg_type = u16_at(data, 4);
                let msg_flags = u16_at(data, 6);
                let seq = u32_at(data, 8);
                let port = u32_at(data, 12);
                let body = &data[NLMSG_HDRLEN..msg_len];
                offset += align4(msg_len);
                // A reply to an earlier request that timed out, or a message
                // not addressed to this socket: not ours to read.
                if seq != self.seq || (port != 0 && port != self.port) {
                    continue;
                }
                if msg_flags & NLM_F_DUMP_INTR != 0 {
                    status.interrupted = true;
                }
                match msg_type {
                    NLMSG_NOOP => continue,
                    NLMSG_OVERRUN => {
                        return Err(NetlinkError::Decode("kernel reported overrun".into()));
                    }
                    NLMSG_DONE => {
                        // A dump that failed part-way reports its error here.
                        if body.len() >= 4 {
                            let code = i32::from_ne_bytes([body[0], body[1], body[2], body[3]]);
                            if code < 0 {
                                return Err(NetlinkError::Kernel {
                                    errno: -code,
                                    message: ext_ack_message(msg_flags, &body[4.min(body.len())..]),
                                });
                            }
                        }
                        return Ok(status);
                    }
                    NLMSG_ERROR => {
                        if body.len() < 4 {
                            return Err(NetlinkError::Decode("short error message".into()));
                        }
                        let code = i32::from_ne_bytes([body[0], body[1], body[2], body[3]]);
                        if code == 0 {
                            return Ok(status);
                        }
                        let rest = &body[4..];
                        let after_request = if msg_flags & NLM_F_CAPPED != 0 {
                            NLMSG_HDRLEN
                        } else if rest.len() >= 4 {
                            align4(u32_at(rest, 0) as usize)
                        } else {
                            rest.len()
                        };
                        let tlvs = rest.get(after_request..).unwrap_or(&[]);
                        return Err(NetlinkError::Kernel {
                            errno: -code,
                            message: ext_ack_message(msg_flags, tlvs),
                        });
                    }
                    _ => {
                        each(msg_type, body).map_err(NetlinkError::Decode)?;
                        if !dump && msg_flags & NLM_F_MULTIPART == 0 {
                            // A single answer is followed by the ACK we asked
                            // for; keep reading until it arrives.
                            continue;
                        }
                    }
                }
            }
        }
    }

    /// Looks up the id of a generic netlink family (`ethtool`, ...), which the
    /// kernel assigns at boot.
    pub fn genl_family_id(&mut self, name: &str) -> Result<u16, NetlinkError> {
        Ok(self.genl_family(name)?.id)
    }

    /// A generic netlink family's id and its multicast groups, by name
    /// (`CTRL_CMD_GETFAMILY`, a read request). Both are assigned at boot.
    pub fn genl_family(&mut self, name: &str) -> Result<GenlFamily, NetlinkError> {
        let mut payload = vec![CTRL_CMD_GETFAMILY, 1, 0, 0];
        let mut value = name.as_bytes().to_vec();
        value.push(0);
        push_attr(&mut payload, CTRL_ATTR_FAMILY_NAME, &value);
        let mut family = None;
        self.request(GENL_ID_CTRL, false, &payload, &mut |_, body| {
            family = parse_family(body.get(4..).unwrap_or(&[]));
            Ok(())
        })?;
        family.ok_or_else(|| NetlinkError::Decode(format!("no id in the reply for family {name}")))
    }
}

const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

/// A generic netlink family as the controller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenlFamily {
    pub id: u16,
    /// Multicast groups by name (`monitor` for ethtool) and id.
    pub groups: Vec<(String, u32)>,
}

/// The family id and multicast groups of a `CTRL_CMD_NEWFAMILY` reply's
/// attributes; `None` without an id.
fn parse_family(body: &[u8]) -> Option<GenlFamily> {
    let mut id = None;
    let mut groups = Vec::new();
    for (kind, value) in attrs(body) {
        match kind {
            CTRL_ATTR_FAMILY_ID if value.len() >= 2 => {
                id = Some(u16::from_ne_bytes([value[0], value[1]]));
            }
            CTRL_ATTR_MCAST_GROUPS => {
                // A nest of nests, one per group, each typed by its index.
                for (_, group) in attrs(value) {
                    let mut name = None;
                    let mut gid = None;
                    for (k, v) in attrs(group) {
                        match k {
                            CTRL_ATTR_MCAST_GRP_NAME => {
                                let text = v.split(|b| *b == 0).next().unwrap_or(v);
                                name = Some(String::from_utf8_lossy(text).into_owned());
                            }
                            CTRL_ATTR_MCAST_GRP_ID if v.len() == 4 => {
                                gid = Some(u32_at(v, 0));
                            }
                            _ => {}
                        }
                    }
                    if let (Some(n), Some(g)) = (name, gid) {
                        groups.push((n, g));
                    }
                }
            }
            _ => {}
        }
    }
    Some(GenlFamily { id: id?, groups })
}

/// The requests hostlint may send: rtnetlink `RTM_GET*` and the generic
/// netlink queries it knows to be read-only. Everything else is refused
/// before it reaches the kernel.
pub fn is_read_request(protocol: isize, msg_type: u16, payload: &[u8]) -> bool {
    match protocol {
        // RTM_GETLINK=18, GETADDR=22, GETROUTE=26, GETNEIGH=30, GETRULE=34:
        // every rtnetlink family is NEW, DEL, GET, SET in that order.
        NETLINK_ROUTE => (16..=100).contains(&msg_type) && msg_type % 4 == 2,
        NETLINK_GENERIC => {
            let cmd = payload.first().copied();
            if msg_type == GENL_ID_CTRL {
                cmd == Some(CTRL_CMD_GETFAMILY)
            } else {
                // ethtool: the only command sent is LINKMODES_GET (4); the
                // family id is dynamic, so the command is what is checked.
                cmd == Some(super::ethtool::ETHTOOL_MSG_LINKMODES_GET)
            }
        }
        _ => false,
    }
}

fn ext_ack_message(flags: u16, tlvs: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    attrs(tlvs)
        .find(|(kind, _)| *kind == NLMSGERR_ATTR_MSG)
        .map(|(_, v)| {
            String::from_utf8_lossy(v.split(|b| *b == 0).next().unwrap_or(v)).into_owned()
        })
}

pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Appends a netlink attribute (type, length, value, padding).
pub fn push_attr(buf: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = 4 + value.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(value);
    buf.resize(buf.len() + align4(len) - len, 0);
}

/// Iterates the attributes of a buffer as (type without flags, value), each
/// checked: a malformed one is an error, and the end of the iteration.
pub fn checked_attrs(buf: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), String>> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = if rest.len() >= 4 {
            u16::from_ne_bytes([rest[0], rest[1]]) as usize
        } else {
            0
        };
        if len < 4 || len > rest.len() {
            let left = rest.len();
            rest = &[];
            return Some(Err(format!(
                "attribute of length {len} with {left} bytes left"
            )));
        }
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
        let value = &rest[4..len];
        rest = rest.get(align4(len)..).unwrap_or(&[]);
        Some(Ok((kind, value)))
    })
}

/// The well-formed attributes of a buffer, stopping at the first malformed
/// one rather than reading past it: for replies where a damaged tail should
/// cost that tail, not the whole reply.
pub fn attrs(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    checked_attrs(buf).map_while(Result::ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_read_requests_pass() {
        // RTM_GETLINK, RTM_GETROUTE, RTM_GETRULE
        for t in [18, 26, 34, 30, 22] {
            assert!(is_read_request(NETLINK_ROUTE, t, &[]), "{t}");
        }
        // RTM_NEWLINK, RTM_DELLINK, RTM_SETLINK, RTM_NEWROUTE, RTM_DELRULE
        for t in [16, 17, 19, 24, 33] {
            assert!(!is_read_request(NETLINK_ROUTE, t, &[]), "{t}");
        }
        assert!(is_read_request(
            NETLINK_GENERIC,
            GENL_ID_CTRL,
            &[CTRL_CMD_GETFAMILY]
        ));
        // CTRL_CMD_NEWFAMILY, ETHTOOL_MSG_LINKMODES_SET
        assert!(!is_read_request(NETLINK_GENERIC, GENL_ID_CTRL, &[1]));
        assert!(!is_read_request(NETLINK_GENERIC, 21, &[5]));
    }

    #[test]
    fn a_write_request_is_never_sent() {
        let Ok(mut nl) = Netlink::open(NETLINK_ROUTE) else {
            eprintln!("skipped: no netlink socket here");
            return;
        };
        // RTM_NEWLINK with an empty ifinfomsg.
        let err = nl
            .request(16, false, &[0; 16], &mut |_, _| Ok(()))
            .unwrap_err();
        assert!(matches!(err, NetlinkError::Refused(_)), "{err}");
    }

    #[test]
    fn a_family_reply_gives_its_id_and_multicast_groups() {
        let mut group = Vec::new();
        push_attr(&mut group, CTRL_ATTR_MCAST_GRP_ID, &5u32.to_ne_bytes());
        push_attr(&mut group, CTRL_ATTR_MCAST_GRP_NAME, b"monitor\0");
        let mut groups = Vec::new();
        push_attr(&mut groups, 1, &group);
        let mut body = Vec::new();
        push_attr(&mut body, CTRL_ATTR_FAMILY_NAME, b"ethtool\0");
        push_attr(&mut body, CTRL_ATTR_FAMILY_ID, &21u16.to_ne_bytes());
        push_attr(&mut body, CTRL_ATTR_MCAST_GROUPS, &groups);
        assert_eq!(
            parse_family(&body),
            Some(GenlFamily {
                id: 21,
                groups: vec![("monitor".into(), 5)]
            })
        );
        // No id: no family, whatever else the reply holds.
        let mut no_id = Vec::new();
        push_attr(&mut no_id, CTRL_ATTR_FAMILY_NAME, b"ethtool\0");
        push_attr(&mut no_id, CTRL_ATTR_MCAST_GROUPS, &groups);
        assert_eq!(parse_family(&no_id), None);
    }

    #[test]
    fn a_timeout_stays_a_timeout_not_malformed_data() {
        let e = NetlinkError::Io(io::Error::new(io::ErrorKind::TimedOut, "no answer"));
        assert_eq!(e.to_io().kind(), io::ErrorKind::TimedOut);
        let e = NetlinkError::Decode("short".into());
        assert_eq!(e.to_io().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_dump_that_keeps_answering_still_ends_at_the_deadline() {
        let Ok(mut nl) = Netlink::open(NETLINK_ROUTE) else {
            eprintln!("skipped: no netlink socket here");
            return;
        };
        nl.set_timeout(Some(std::time::Duration::ZERO)).unwrap();
        // RTM_GETLINK dump with an empty ifinfomsg: the kernel would answer.
        let err = nl
            .request(18, true, &[0; 16], &mut |_, _| Ok(()))
            .unwrap_err();
        assert_eq!(err.to_io().kind(), io::ErrorKind::TimedOut, "{err}");
    }

    #[test]
    fn attrs_stop_at_truncation() {
        let mut buf = Vec::new();
        push_attr(&mut buf, 3, b"abc");
        push_attr(&mut buf, 4, &7u32.to_ne_bytes());
        let got: Vec<_> = attrs(&buf).collect();
        assert_eq!(got, vec![(3, &b"abc"[..]), (4, &7u32.to_ne_bytes()[..])]);
        // Cut the last attribute short: it is dropped, not over-read.
        let got: Vec<_> = attrs(&buf[..buf.len() - 2]).collect();
        assert_eq!(got.len(), 1);
    }
}
