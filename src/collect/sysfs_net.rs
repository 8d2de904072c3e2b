//! Interfaces read from `sys/class/net` alone: for roots that hold a copy of
//! sysfs but no rtnetlink data (a sosreport, a test tree). A live host and a
//! full capture never come here; netlink is cheaper and does not take the
//! RTNL lock the way sysfs `speed` and `carrier` do.

use std::collections::HashMap;
use std::io;

use super::link::link_down_reason;
use super::{absent_on_host, file_missing, parse_number, read_parsed, read_value};
use crate::snapshot::{Counters, DriverInfo, Duplex, Fact, Interface, Missing, Reason, io_text};
use crate::source::{Source, is_not_captured};

const CLASS_NET: &str = "sys/class/net";
const IFF_UP: u64 = 0x1;
const ARPHRD_LOOPBACK: u64 = 772;

pub fn interfaces(source: &Source) -> Result<Vec<Interface>, Missing> {
    let names = source
        .root()
        .read_dir(CLASS_NET)
        .map_err(|e| file_missing(CLASS_NET, &e))?;
    // `bonding_masters` and other files sit beside the interfaces.
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| source.root().is_dir(&format!("{CLASS_NET}/{n}")))
        .collect();
    let bonds = bond_members(source, &names);
    Ok(names
        .into_iter()
        .map(|name| interface(source, name, &bonds))
        .collect())
}

/// Member name → bond, from each bond's `bonding/slaves`.
fn bond_members(source: &Source, names: &[String]) -> HashMap<String, String> {
    let mut members = HashMap::new();
    for bond in names {
        if let Ok(list) = source.root().read_value(&attr(bond, "bonding/slaves")) {
            for member in list.split_whitespace() {
                members.insert(member.to_owned(), bond.clone());
            }
        }
    }
    members
}

/// The link's master, from its `master` link. Trees copied by other tools
/// drop links (node_exporter's bond members have none), so in a fixture a
/// missing link is not "no master": a bond that lists the link as a member
/// is its master, as the kernel keeps the two in step; otherwise the tree
/// does not say.
fn master(source: &Source, name: &str, bonds: &HashMap<String, String>) -> Fact<Option<String>> {
    let rel = attr(name, "master");
    match source.root().read_link(&rel) {
        Ok(target) => Fact::Known(Some(basename(&target).to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match bonds.get(name) {
            Some(bond) => Fact::Known(Some(bond.clone())),
            None if absent_on_host(&e) => Fact::Known(None),
            None => Fact::Unknown(file_missing(&rel, &e)),
        },
        Err(e) => Fact::Unknown(file_missing(&rel, &e)),
    }
}

fn attr(name: &str, file: &str) -> String {
    format!("{CLASS_NET}/{name}/{file}")
}

fn number(source: &Source, name: &str, file: &str) -> Fact<u64> {
    read_parsed(source, &attr(name, file), parse_number).into()
}

fn interface(source: &Source, name: String, bonds: &HashMap<String, String>) -> Interface {
    let flags = read_parsed(source, &attr(&name, "flags"), parse_number);
    let admin_up: Fact<bool> = flags.map(|f| f & IFF_UP != 0).into();
    let carrier = match source.root().read_value(&attr(&name, "carrier")) {
        Ok(v) if v == "1" => Fact::Known(true),
        Ok(v) if v == "0" => Fact::Known(false),
        Ok(v) => Fact::unknown(
            Reason::Malformed,
            format!("{}: {v:?}", attr(&name, "carrier")),
        ),
        // The kernel refuses to read carrier while the link is down.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Fact::unknown(
            Reason::LinkDown,
            format!(
                "{}: the link is administratively down",
                attr(&name, "carrier")
            ),
        ),
        Err(e) => Fact::Unknown(file_missing(&attr(&name, "carrier"), &e)),
    };
    Interface {
        ifindex: number(source, &name, "ifindex").and_then(|n| match u32::try_from(n) {
            Ok(i) => Fact::Known(i),
            Err(_) => Fact::unknown(Reason::Malformed, format!("ifindex {n} out of range")),
        }),
        kind: kind(source, &name),
        mac: read_value(source, &attr(&name, "address"))
            .map(|a| (!a.is_empty()).then_some(a))
            .into(),
        permanent_mac: Fact::unknown(
            Reason::NotCaptured,
            "the permanent address comes from rtnetlink, which this root lacks",
        ),
        admin_up,
        operstate: read_value(source, &attr(&name, "operstate")).into(),
        carrier,
        carrier_changes: number(source, &name, "carrier_changes"),
        carrier_up_count: number(source, &name, "carrier_up_count"),
        carrier_down_count: number(source, &name, "carrier_down_count"),
        mtu: number(source, &name, "mtu").and_then(|n| match u32::try_from(n) {
            Ok(m) => Fact::Known(m),
            Err(_) => Fact::unknown(Reason::Malformed, format!("mtu {n} out of range")),
        }),
        master: master(source, &name, bonds),
        phys_port_name: optional_id(source, &name, "phys_port_name"),
        phys_port_id: optional_id(source, &name, "phys_port_id"),
        phys_switch_id: optional_id(source, &name, "phys_switch_id"),
        ifalias: optional_id(source, &name, "ifalias"),
        tx_queue_len: number(source, &name, "tx_queue_len").and_then(|n| match u32::try_from(n) {
            Ok(q) => Fact::Known(q),
            Err(_) => Fact::unknown(Reason::Malformed, format!("tx_queue_len {n} out of range")),
        }),
        counters: counters(source, &name).into(),
        name,
    }
}

/// A name or identifier the driver may not give: empty, or refused with
/// EOPNOTSUPP, is none.
fn optional_id(source: &Source, name: &str, file: &str) -> Fact<Option<String>> {
    match source.root().read_value(&attr(name, file)) {
        Ok(v) => Fact::Known((!v.is_empty()).then_some(v)),
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Fact::Known(None),
        Err(e) => Fact::Unknown(file_missing(&attr(name, file), &e)),
    }
}

/// The link kind from what sysfs shows: a `DEVTYPE` in uevent (bond,
/// bridge, vlan, wlan), the loopback type. Physical links are recognised by
/// their device later.
fn kind(source: &Source, name: &str) -> Fact<String> {
    let rel = attr(name, "uevent");
    let uevent = source.root().read(&rel);
    if let Ok(uevent) = &uevent
        && let Some(t) = uevent.lines().find_map(|l| l.strip_prefix("DEVTYPE="))
    {
        return Fact::Known(t.trim().to_owned());
    }
    match read_parsed(source, &attr(name, "type"), parse_number) {
        Ok(ARPHRD_LOOPBACK) => Fact::Known("loopback".to_owned()),
        // Without the uevent the kind is unread, not absent: a copied tree
        // (node_exporter's bonds) may lack the file that names it.
        Ok(_) => match uevent {
            Err(e) if is_not_captured(&e) => Fact::Unknown(file_missing(&rel, &e)),
            _ => Fact::unknown(
                Reason::NotSupported,
                "sysfs names no link kind for this link",
            ),
        },
        Err(m) => Fact::Unknown(m),
    }
}

fn counters(source: &Source, name: &str) -> Result<Counters, Missing> {
    let get = |file: &str| {
        read_parsed(
            source,
            &attr(name, &format!("statistics/{file}")),
            parse_number,
        )
    };
    Ok(Counters {
        rx_bytes: get("rx_bytes")?,
        rx_packets: get("rx_packets")?,
        rx_errors: get("rx_errors")?,
        rx_dropped: get("rx_dropped")?,
        rx_over_errors: get("rx_over_errors")?,
        rx_crc_errors: get("rx_crc_errors")?,
        rx_frame_errors: get("rx_frame_errors")?,
        rx_fifo_errors: get("rx_fifo_errors")?,
        rx_length_errors: get("rx_length_errors")?,
        rx_missed_errors: get("rx_missed_errors")?,
        multicast: get("multicast")?,
        tx_bytes: get("tx_bytes")?,
        tx_packets: get("tx_packets")?,
        tx_errors: get("tx_errors")?,
        tx_dropped: get("tx_dropped")?,
        tx_carrier_errors: get("tx_carrier_errors")?,
        tx_aborted_errors: get("tx_aborted_errors")?,
        tx_fifo_errors: get("tx_fifo_errors")?,
        tx_window_errors: get("tx_window_errors")?,
        tx_heartbeat_errors: get("tx_heartbeat_errors")?,
        collisions: get("collisions")?,
    })
}

/// Speed and duplex from sysfs: `-1` and `unknown` are what drivers report
/// when they do not know, and a down link refuses the read (EINVAL).
pub fn speed_duplex(source: &Source, iface: &Interface) -> (Fact<u32>, Fact<Duplex>) {
    let name = &iface.name;
    let refuse = |file: &str, e: &io::Error| {
        let m = if e.raw_os_error() == Some(libc::EINVAL) {
            Missing::new(
                Reason::NotSupported,
                format!("{}: {}", attr(name, file), io_text(e)),
            )
        } else {
            file_missing(&attr(name, file), e)
        };
        link_down_reason(iface, m)
    };
    let speed = match source.root().read_value(&attr(name, "speed")) {
        Ok(v) => match v.parse::<i64>() {
            Ok(s) if s > 0 && s <= i64::from(u32::MAX) => Fact::Known(s as u32),
            Ok(_) => Fact::Unknown(link_down_reason(
                iface,
                Missing::new(Reason::NotSupported, "the driver reports an unknown speed"),
            )),
            Err(_) => Fact::unknown(Reason::Malformed, format!("{}: {v:?}", attr(name, "speed"))),
        },
        Err(e) => Fact::Unknown(refuse("speed", &e)),
    };
    let duplex = match source.root().read_value(&attr(name, "duplex")).as_deref() {
        Ok("full") => Fact::Known(Duplex::Full),
        Ok("half") => Fact::Known(Duplex::Half),
        Ok("unknown") => Fact::Unknown(link_down_reason(
            iface,
            Missing::new(Reason::NotSupported, "the driver reports an unknown duplex"),
        )),
        Ok(v) => Fact::unknown(
            Reason::Malformed,
            format!("{}: {v:?}", attr(name, "duplex")),
        ),
        Err(e) => Fact::Unknown(refuse("duplex", e)),
    };
    (speed, duplex)
}

/// The driver bound to the link's device. sysfs gives its name only; the
/// versions come from `ethtool -i`.
pub fn driver(source: &Source, name: &str) -> Fact<DriverInfo> {
    let rel = attr(name, "device/driver");
    match source.root().read_link(&rel) {
        Ok(target) => {
            let bus_info = source
                .root()
                .read_link(&attr(name, "device"))
                .ok()
                .map(|t| basename(&t).to_owned());
            Fact::Known(DriverInfo {
                driver: basename(&target).to_owned(),
                version: None,
                firmware_version: None,
                bus_info,
            })
        }
        // A copy that dropped the link may keep the device's uevent, which
        // names the driver bound to it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let uevent = attr(name, "device/uevent");
            match source.root().read(&uevent) {
                Ok(text) => match text.lines().find_map(|l| l.strip_prefix("DRIVER=")) {
                    Some(d) if !d.trim().is_empty() => Fact::Known(DriverInfo {
                        driver: d.trim().to_owned(),
                        version: None,
                        firmware_version: None,
                        bus_info: source
                            .root()
                            .read_link(&attr(name, "device"))
                            .ok()
                            .map(|t| basename(&t).to_owned()),
                    }),
                    _ => Fact::unknown(
                        Reason::NotSupported,
                        format!("no {rel}, and {uevent} names no DRIVER: no driver is bound"),
                    ),
                },
                Err(_) => Fact::unknown(
                    Reason::NotCaptured,
                    format!("no {rel}; for a virtual link the driver comes from ethtool -i"),
                ),
            }
        }
        Err(e) => Fact::Unknown(file_missing(&rel, &e)),
    }
}

pub fn basename(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}
