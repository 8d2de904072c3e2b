//! ethtool facts from the live kernel: link modes over ethtool netlink, and
//! driver information over the `SIOCETHTOOL` ioctl.
//!
//! The link-mode reply is decoded here rather than with the `ethtool` crate:
//! its bitset parser keeps only the bits whose value is set, which drops the
//! supported-modes mask that a speed check needs (the kernel sends supported
//! modes as the mask and advertised modes as the value of one bitset).

use std::collections::HashMap;
use std::io;

use super::netlink::{Netlink, NetlinkError, attrs, push_attr};
use crate::snapshot::{DriverInfo, Duplex, Fact, LinkModes, LinkSettings, Reason};

pub const ETHTOOL_MSG_LINKMODES_GET: u8 = 4;
const ETHTOOL_GENL_VERSION: u8 = 1;
const NLA_F_NESTED: u16 = 0x8000;

const ETHTOOL_A_LINKMODES_HEADER: u16 = 1;
const ETHTOOL_A_LINKMODES_AUTONEG: u16 = 2;
const ETHTOOL_A_LINKMODES_OURS: u16 = 3;
const ETHTOOL_A_LINKMODES_PEER: u16 = 4;
const ETHTOOL_A_LINKMODES_SPEED: u16 = 5;
const ETHTOOL_A_LINKMODES_DUPLEX: u16 = 6;

const ETHTOOL_A_HEADER_DEV_INDEX: u16 = 1;
const ETHTOOL_A_HEADER_DEV_NAME: u16 = 2;
const ETHTOOL_A_HEADER_FLAGS: u16 = 3;

const ETHTOOL_A_BITSET_BITS: u16 = 3;
const ETHTOOL_A_BITSET_BITS_BIT: u16 = 1;
const ETHTOOL_A_BITSET_BIT_NAME: u16 = 2;
const ETHTOOL_A_BITSET_BIT_VALUE: u16 = 3;

const SPEED_UNKNOWN: u32 = u32::MAX;
const DUPLEX_HALF: u8 = 0;
const DUPLEX_FULL: u8 = 1;

/// Link modes of every link that reports them, keyed by interface name.
/// A link the kernel skips in the dump has no link-mode support.
pub fn dump_link_modes(
    genl: &mut Netlink,
    family: u16,
) -> Result<HashMap<String, LinkSettings>, NetlinkError> {
    let mut payload = vec![ETHTOOL_MSG_LINKMODES_GET, ETHTOOL_GENL_VERSION, 0, 0];
    // Flags 0: full bitsets, with the kernel's own names for every mode.
    let mut header = Vec::new();
    push_attr(&mut header, ETHTOOL_A_HEADER_FLAGS, &0u32.to_ne_bytes());
    push_attr(
        &mut payload,
        ETHTOOL_A_LINKMODES_HEADER | NLA_F_NESTED,
        &header,
    );
    let mut out = HashMap::new();
    genl.request(family, true, &payload, &mut |_, body| {
        let (name, modes) = parse_link_modes(body.get(4..).unwrap_or(&[]))?;
        out.insert(name, modes);
        Ok(())
    })?;
    Ok(out)
}

/// Decodes one `ETHTOOL_MSG_LINKMODES_GET_REPLY` (after the genetlink
/// header) into the interface name and its link modes.
pub fn parse_link_modes(body: &[u8]) -> Result<(String, LinkSettings), String> {
    let mut name = None;
    let mut autoneg = false;
    let mut speed = None;
    let mut duplex = None;
    let mut ours = BitSet::default();
    let mut peer = BitSet::default();
    for (kind, value) in attrs(body) {
        match kind {
            ETHTOOL_A_LINKMODES_HEADER => {
                for (k, v) in attrs(value) {
                    if k == ETHTOOL_A_HEADER_DEV_NAME {
                        name = Some(c_string(v));
                    } else if k == ETHTOOL_A_HEADER_DEV_INDEX && name.is_none() && v.len() >= 4 {
                        // Kept only as a fallback name; the kernel sends both.
                        let idx = u32::from_ne_bytes([v[0], v[1], v[2], v[3]]);
                        name = Some(format!("if{idx}"));
                    }
                }
            }
            ETHTOOL_A_LINKMODES_AUTONEG => autoneg = value.first() == Some(&1),
            ETHTOOL_A_LINKMODES_OURS => ours = BitSet::parse(value),
            ETHTOOL_A_LINKMODES_PEER => peer = BitSet::parse(value),
            ETHTOOL_A_LINKMODES_SPEED if value.len() >= 4 => {
                speed = Some(u32::from_ne_bytes([value[0], value[1], value[2], value[3]]));
            }
            ETHTOOL_A_LINKMODES_DUPLEX => duplex = value.first().copied(),
            _ => {}
        }
    }
    let name = name.ok_or("ethtool link-mode reply without a device name")?;
    let speed_mbps = match speed {
        Some(SPEED_UNKNOWN) | Some(0) => {
            Fact::unknown(Reason::NotSupported, "the driver reports an unknown speed")
        }
        Some(s) => Fact::Known(s),
        None => Fact::unknown(Reason::NotSupported, "no speed in the ethtool reply"),
    };
    let duplex = match duplex {
        Some(DUPLEX_FULL) => Fact::Known(Duplex::Full),
        Some(DUPLEX_HALF) => Fact::Known(Duplex::Half),
        _ => Fact::unknown(Reason::NotSupported, "the driver reports an unknown duplex"),
    };
    let settings = LinkSettings {
        speed_mbps,
        duplex,
        modes: LinkModes {
            autoneg,
            supports_autoneg: ours.set.iter().any(|n| n == "Autoneg"),
            supported: real_modes(&ours.set),
            advertised: real_modes(&ours.value),
            partner_advertised: real_modes(&peer.value),
        },
    };
    Ok((name, settings))
}

/// A kernel bitset in its verbose form. `set` lists every bit the kernel
/// sent (for a masked bitset: the mask), `value` those flagged as set.
#[derive(Default)]
struct BitSet {
    set: Vec<String>,
    value: Vec<String>,
}

impl BitSet {
    fn parse(buf: &[u8]) -> BitSet {
        let mut out = BitSet::default();
        for (kind, bits) in attrs(buf) {
            if kind != ETHTOOL_A_BITSET_BITS {
                continue;
            }
            for (k, bit) in attrs(bits) {
                if k != ETHTOOL_A_BITSET_BITS_BIT {
                    continue;
                }
                let mut name = None;
                let mut value = false;
                for (a, v) in attrs(bit) {
                    match a {
                        ETHTOOL_A_BITSET_BIT_NAME => name = Some(c_string(v)),
                        ETHTOOL_A_BITSET_BIT_VALUE => value = true,
                        _ => {}
                    }
                }
                if let Some(name) = name {
                    if value {
                        out.value.push(name.clone());
                    }
                    out.set.push(name);
                }
            }
        }
        out
    }
}

/// Whether a kernel link-mode name is a speed/duplex mode (`25000baseSR/Full`)
/// rather than a port, pause, autoneg or FEC bit.
pub fn is_real_mode(name: &str) -> bool {
    name.contains("base") && (name.ends_with("/Full") || name.ends_with("/Half"))
}

fn real_modes(names: &[String]) -> Vec<String> {
    names.iter().filter(|n| is_real_mode(n)).cloned().collect()
}

fn c_string(v: &[u8]) -> String {
    let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GDRVINFO: u32 = 0x0000_0003;

#[repr(C)]
struct EthtoolDrvinfo {
    cmd: u32,
    driver: [u8; 32],
    version: [u8; 32],
    fw_version: [u8; 32],
    bus_info: [u8; 32],
    erom_version: [u8; 32],
    reserved2: [u8; 12],
    n_priv_flags: u32,
    n_stats: u32,
    testinfo_len: u32,
    eedump_len: u32,
    regdump_len: u32,
}

#[repr(C)]
struct IfreqData {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    // The kernel copies a whole `struct ifreq`; pad to its size.
    _pad: [u8; 16],
}

/// A socket to carry `SIOCETHTOOL`. AF_UNIX, because hardened service units
/// allow only AF_UNIX and AF_NETLINK, and the ioctl works on any socket.
pub struct IoctlSocket(libc::c_int);

impl IoctlSocket {
    pub fn open() -> io::Result<IoctlSocket> {
        // SAFETY: plain socket(2); the descriptor is owned by the result.
        let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(IoctlSocket(fd))
    }

    /// `ETHTOOL_GDRVINFO` for one interface (`ethtool -i`).
    pub fn driver_info(&self, ifname: &str) -> io::Result<DriverInfo> {
        let name = ifname.as_bytes();
        if name.is_empty() || name.len() >= libc::IFNAMSIZ {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("interface name {ifname:?} does not fit IFNAMSIZ"),
            ));
        }
        let mut info = EthtoolDrvinfo {
            cmd: ETHTOOL_GDRVINFO,
            driver: [0; 32],
            version: [0; 32],
            fw_version: [0; 32],
            bus_info: [0; 32],
            erom_version: [0; 32],
            reserved2: [0; 12],
            n_priv_flags: 0,
            n_stats: 0,
            testinfo_len: 0,
            eedump_len: 0,
            regdump_len: 0,
        };
        let mut req = IfreqData {
            name: [0; libc::IFNAMSIZ],
            data: (&mut info as *mut EthtoolDrvinfo).cast(),
            _pad: [0; 16],
        };
        req.name[..name.len()].copy_from_slice(name);
        // SAFETY: `req` is a valid ifreq whose data points at a live
        // ethtool_drvinfo of the size the kernel writes for GDRVINFO.
        let rc = unsafe { libc::ioctl(self.0, SIOCETHTOOL as _, &mut req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let text = |b: &[u8]| {
            let s = c_string(b);
            (!s.is_empty()).then_some(s)
        };
        Ok(DriverInfo {
            driver: c_string(&info.driver),
            version: text(&info.version),
            firmware_version: text(&info.fw_version),
            bus_info: text(&info.bus_info),
        })
    }
}

impl Drop for IoctlSocket {
    fn drop(&mut self) {
        // SAFETY: the descriptor was opened by `open` and is closed once.
        unsafe { libc::close(self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bit(buf: &mut Vec<u8>, name: &str, value: bool) {
        let mut b = Vec::new();
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        push_attr(&mut b, ETHTOOL_A_BITSET_BIT_NAME, &n);
        if value {
            push_attr(&mut b, ETHTOOL_A_BITSET_BIT_VALUE, &[]);
        }
        push_attr(buf, ETHTOOL_A_BITSET_BITS_BIT | NLA_F_NESTED, &b);
    }

    #[test]
    fn supported_is_the_mask_and_advertised_the_value() {
        let mut bits = Vec::new();
        bit(&mut bits, "1000baseT/Full", true);
        bit(&mut bits, "10000baseT/Full", false);
        bit(&mut bits, "Autoneg", true);
        bit(&mut bits, "TP", true);
        let mut ours = Vec::new();
        push_attr(&mut ours, ETHTOOL_A_BITSET_BITS | NLA_F_NESTED, &bits);
        let mut header = Vec::new();
        push_attr(&mut header, ETHTOOL_A_HEADER_DEV_NAME, b"eth0\0");
        let mut body = Vec::new();
        push_attr(
            &mut body,
            ETHTOOL_A_LINKMODES_HEADER | NLA_F_NESTED,
            &header,
        );
        push_attr(&mut body, ETHTOOL_A_LINKMODES_AUTONEG, &[1]);
        push_attr(&mut body, ETHTOOL_A_LINKMODES_OURS | NLA_F_NESTED, &ours);
        push_attr(&mut body, ETHTOOL_A_LINKMODES_SPEED, &1000u32.to_ne_bytes());
        push_attr(&mut body, ETHTOOL_A_LINKMODES_DUPLEX, &[DUPLEX_FULL]);
        let (name, m) = parse_link_modes(&body).unwrap();
        assert_eq!(name, "eth0");
        assert_eq!(m.modes.supported, ["1000baseT/Full", "10000baseT/Full"]);
        assert_eq!(m.modes.advertised, ["1000baseT/Full"]);
        assert!(m.modes.partner_advertised.is_empty());
        assert!(m.modes.autoneg && m.modes.supports_autoneg);
        assert_eq!(m.speed_mbps, Fact::Known(1000));
        assert_eq!(m.duplex, Fact::Known(Duplex::Full));
    }

    #[test]
    fn unknown_speed_is_not_zero() {
        let mut header = Vec::new();
        push_attr(&mut header, ETHTOOL_A_HEADER_DEV_NAME, b"eth1\0");
        let mut body = Vec::new();
        push_attr(
            &mut body,
            ETHTOOL_A_LINKMODES_HEADER | NLA_F_NESTED,
            &header,
        );
        push_attr(
            &mut body,
            ETHTOOL_A_LINKMODES_SPEED,
            &u32::MAX.to_ne_bytes(),
        );
        push_attr(&mut body, ETHTOOL_A_LINKMODES_DUPLEX, &[0xff]);
        let (_, m) = parse_link_modes(&body).unwrap();
        assert!(m.speed_mbps.missing().is_some());
        assert!(m.duplex.missing().is_some());
    }

    #[test]
    fn a_reply_without_a_name_is_an_error() {
        assert!(parse_link_modes(&[]).is_err());
    }
}
