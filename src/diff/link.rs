//! Links and the hardware behind them: state, speed and duplex, link
//! modes, driver and firmware, the PCI device and its PCIe link, carrier
//! flaps and counters.

use std::collections::BTreeSet;

use super::{At, Change, Ctx, Listed, Severity, Value, one_sided, part, speed};
use crate::snapshot::{
    Address, Counters, Device, DriverInfo, Duplex, Fact, Link, LinkModes, PcieLink, PciePort,
    Reason, Snapshot,
};

/// The state an operator reads, as `hostlint show` writes it: `up`,
/// `admin-down`, `down no-carrier`, `lowerlayerdown`, ...
pub(super) fn state(l: &Link) -> Fact<String> {
    let i = &l.iface;
    if i.admin_up.known() == Some(&false) {
        return Fact::Known("admin-down".into());
    }
    i.operstate.as_ref().map(|op| {
        if op == "up" || i.carrier.known() != Some(&false) {
            op.clone()
        } else {
            format!("{op} no-carrier")
        }
    })
}

fn duplex_text(d: &Duplex) -> String {
    match d {
        Duplex::Full => "full".into(),
        Duplex::Half => "half".into(),
    }
}

/// `10G full`, or as much of it as is known.
fn speed_duplex(l: &Link) -> Option<String> {
    let s = speed(*l.speed_mbps.known()?);
    Some(match l.duplex.known() {
        Some(d) => format!("{s} {}", duplex_text(d)),
        None => s,
    })
}

/// One line for a link that exists on one side only.
fn summary(l: &Link) -> String {
    let mut parts = vec![state(l).known().cloned().unwrap_or_else(|| "?".into())];
    parts.extend(speed_duplex(l));
    if let Some(d) = l.driver.known() {
        parts.push(d.driver.clone());
    }
    parts.join(", ")
}

/// ` (a member of bond0, ...)`: what the link belongs to, and `more`.
fn context(l: &Link, more: Option<String>) -> String {
    let mut facts: Vec<String> = match l.iface.master.known() {
        Some(Some(m)) => vec![format!("a member of {m}")],
        _ => Vec::new(),
    };
    facts.extend(more);
    if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join(", "))
    }
}

/// A link with its speed and placement, for the reasons egress changes
/// matter: `eno1 (1G, onboard)`.
pub(super) fn describe(s: &Snapshot, name: &str) -> String {
    let Some(l) = s.link(name) else {
        return name.to_owned();
    };
    let mut facts: Vec<String> = l
        .speed_mbps
        .known()
        .map(|m| speed(*m))
        .into_iter()
        .collect();
    if let Some(Some(dev)) = l.device.known()
        && let Some(pci) = &dev.pci
        && let Some(o) = pci.onboard.known()
    {
        facts.push(if o.onboard { "onboard" } else { "slot" }.into());
    }
    if facts.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({})", facts.join(", "))
    }
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = part(
        out,
        "links",
        Severity::Warning,
        &ctx.before.links,
        &ctx.after.links,
    ) else {
        return;
    };
    Listed::<Link> {
        kind: "link",
        field: "link",
        same: |b, a| b.iface.name == a.iface.name,
        subject: &|l| l.iface.name.clone(),
        value: |l| Value::known(summary(l)),
        gone: &|l| {
            Some((
                Severity::Critical,
                format!(
                    "the link is gone{}: the traffic it carried and the redundancy it gave \
                     are gone with it",
                    context(l, None)
                ),
            ))
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a new link: hardware or configuration was added".into(),
            ))
        },
    }
    .compare(before, after, out, |at, b, a, out| one(ctx, at, b, a, out));
}

fn one(ctx: &Ctx, at: &At, b: &Link, a: &Link, out: &mut Vec<Change>) {
    let (bi, ai) = (&b.iface, &a.iface);
    let mut recreated = false;
    at.fact(
        out,
        "ifindex",
        &bi.ifindex,
        &ai.ifindex,
        u32::to_string,
        Severity::Info,
        |_, _| {
            recreated = true;
            Some((
                Severity::Warning,
                "the interface was created again (a driver reload, or deleted and added): its \
                 counters started again"
                    .into(),
            ))
        },
    );
    at.fact(
        out,
        "kind",
        &bi.kind,
        &ai.kind,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another kind of link under this name".into(),
            ))
        },
    );

    let (sb, sa) = (state(b), state(a));
    let state_changed = matches!((&sb, &sa), (Fact::Known(x), Fact::Known(y)) if x != y);
    at.fact(
        out,
        "state",
        &sb,
        &sa,
        String::clone,
        Severity::Warning,
        |x, y| {
            Some(if x == "up" {
                (
                    Severity::Critical,
                    format!(
                        "the link went down{}: its traffic and the redundancy it gave are gone",
                        context(b, speed_duplex(b).map(|s| format!("it ran at {s}")))
                    ),
                )
            } else if y == "up" {
                (
                    Severity::Warning,
                    format!(
                        "the link came up{}{}",
                        speed_duplex(a).map_or(String::new(), |s| format!(" at {s}")),
                        context(a, None)
                    ),
                )
            } else {
                (Severity::Warning, "the link's state changed".into())
            })
        },
    );

    // A link that went down (or came up) has no speed on that side; the
    // state change says so, with the speed it had.
    let down_side = |f: &Fact<u32>| f.missing().is_some_and(|m| m.reason == Reason::LinkDown);
    let folded = state_changed && (down_side(&b.speed_mbps) || down_side(&a.speed_mbps));
    if !folded {
        at.fact(
            out,
            "speed",
            &b.speed_mbps,
            &a.speed_mbps,
            |m| speed(*m),
            Severity::Warning,
            |x, y| {
                Some(if y < x && ai.kind.known().is_some_and(|k| k == "bond") {
                    (
                        Severity::Critical,
                        format!(
                            "the bond's capacity dropped from {} to {}: a member is slower, \
                             down or gone",
                            speed(*x),
                            speed(*y)
                        ),
                    )
                } else if y < x {
                    (
                        Severity::Critical,
                        format!(
                            "capacity dropped from {} to {}{}: renegotiated after a bad \
                             cable, optic or switch port",
                            speed(*x),
                            speed(*y),
                            context(a, None)
                        ),
                    )
                } else if ai.kind.known().is_some_and(|k| k == "bond") {
                    (
                        Severity::Warning,
                        format!(
                            "the bond's capacity grew from {} to {}",
                            speed(*x),
                            speed(*y)
                        ),
                    )
                } else {
                    (Severity::Warning, "the link runs faster now".into())
                })
            },
        );
        at.fact(
            out,
            "duplex",
            &b.duplex,
            &a.duplex,
            duplex_text,
            Severity::Warning,
            |_, y| {
                Some(if *y == Duplex::Half {
                    (
                        Severity::Critical,
                        "half duplex: collisions, and a fraction of the capacity".into(),
                    )
                } else {
                    (Severity::Warning, "full duplex now".into())
                })
            },
        );
    }
    at.fact(
        out,
        "mtu",
        &bi.mtu,
        &ai.mtu,
        u32::to_string,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another MTU: a mismatch with the switch or the peers drops large frames".into(),
            ))
        },
    );
    at.fact(
        out,
        "master",
        &bi.master,
        &ai.master,
        |m| m.clone().unwrap_or_else(|| "-".into()),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the link was moved to another bond, bridge or VRF".into(),
            ))
        },
    );
    let mac = |m: &Option<String>| m.clone().unwrap_or_else(|| "-".into());
    at.fact(
        out,
        "mac",
        &bi.mac,
        &ai.mac,
        mac,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another hardware address: switch port security and neighbours' caches see \
                 a new host"
                    .into(),
            ))
        },
    );
    at.fact(
        out,
        "permanent mac",
        &bi.permanent_mac,
        &ai.permanent_mac,
        mac,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another NIC under this name: its burnt-in address changed".into(),
            ))
        },
    );
    at.fact(
        out,
        "port name",
        &bi.phys_port_name,
        &ai.phys_port_name,
        mac,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another switch port or representor".into(),
            ))
        },
    );
    link_modes(at, &b.link_modes, &a.link_modes, state_changed, out);
    driver(at, &b.driver, &a.driver, out);
    device(at, &b.device, &a.device, out);
    addresses(at, &b.addresses, &a.addresses, out);
    if ctx.boot.same() && !recreated {
        flaps(at, b, a, out);
        counters(at, &bi.counters, &ai.counters, out);
    }
}

fn modes_text(m: &[String]) -> String {
    if m.is_empty() {
        "none".into()
    } else {
        m.join(" ")
    }
}

fn link_modes(
    at: &At,
    b: &Fact<LinkModes>,
    a: &Fact<LinkModes>,
    state_changed: bool,
    out: &mut Vec<Change>,
) {
    let (Fact::Known(x), Fact::Known(y)) = (b, a) else {
        at.fact(
            out,
            "link modes",
            b,
            a,
            |m| modes_text(&m.advertised),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    let yes_no = |v: bool| if v { "on" } else { "off" }.to_owned();
    if x.autoneg != y.autoneg {
        at.push(
            out,
            Severity::Warning,
            "autoneg",
            Value::known(yes_no(x.autoneg)),
            Value::known(yes_no(y.autoneg)),
            "autonegotiation was switched: both ends must agree, or the link runs at a \
             fallback speed or duplex",
        );
    }
    for (field, bm, am, why) in [
        (
            "supported modes",
            &x.supported,
            &y.supported,
            "the hardware supports other modes: another NIC, optic or cable",
        ),
        (
            "advertised modes",
            &x.advertised,
            &y.advertised,
            "this side advertises other modes: the link may settle at another speed",
        ),
        (
            "partner modes",
            &x.partner_advertised,
            &y.partner_advertised,
            "the link partner advertises other modes: the switch port or its configuration changed",
        ),
    ] {
        // A link that went down stops hearing its partner: the state
        // change says it.
        if field == "partner modes" && state_changed {
            continue;
        }
        let set = |v: &Vec<String>| v.iter().cloned().collect::<BTreeSet<_>>();
        if set(bm) != set(am) {
            at.push(
                out,
                Severity::Warning,
                field,
                Value::known(modes_text(bm)),
                Value::known(modes_text(am)),
                why,
            );
        }
    }
}

fn driver(at: &At, b: &Fact<DriverInfo>, a: &Fact<DriverInfo>, out: &mut Vec<Change>) {
    let (Fact::Known(x), Fact::Known(y)) = (b, a) else {
        at.fact(
            out,
            "driver",
            b,
            a,
            |d| d.driver.clone(),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    for (field, bv, av, why) in [
        (
            "driver",
            Some(x.driver.clone()),
            Some(y.driver.clone()),
            "another driver runs the link",
        ),
        (
            "driver version",
            x.version.clone(),
            y.version.clone(),
            "the driver was updated or replaced",
        ),
        (
            "firmware",
            x.firmware_version.clone(),
            y.firmware_version.clone(),
            "the NIC's firmware changed",
        ),
        (
            "bus",
            x.bus_info.clone(),
            y.bus_info.clone(),
            "the driver sees the device at another bus address",
        ),
    ] {
        if bv != av {
            at.push(
                out,
                Severity::Warning,
                field,
                Value::known(opt(&bv)),
                Value::known(opt(&av)),
                why,
            );
        }
    }
}

fn device(at: &At, b: &Fact<Option<Device>>, a: &Fact<Option<Device>>, out: &mut Vec<Change>) {
    let addr = |d: &Option<Device>| d.as_ref().map_or("-".to_owned(), |d| d.address.clone());
    at.fact(
        out,
        "device",
        b,
        a,
        addr,
        Severity::Warning,
        |x, y| match (x, y) {
            (Some(x), Some(y)) if x.address == y.address => None,
            (Some(_), Some(_)) => Some((
                Severity::Warning,
                "the NIC sits at another bus address: moved to another slot, or replaced".into(),
            )),
            _ => Some((
                Severity::Warning,
                "the link has hardware on one side only".into(),
            )),
        },
    );
    let (Fact::Known(Some(x)), Fact::Known(Some(y))) = (b, a) else {
        return;
    };
    if x.address != y.address {
        return;
    }
    let (Some(px), Some(py)) = (&x.pci, &y.pci) else {
        return;
    };
    let subject = format!("{} {}", at.subject, px.address);
    let pci_at = At {
        kind: "pcie",
        subject: &subject,
    };
    let model = |p: &crate::snapshot::PciDevice| {
        format!(
            "{}:{}",
            p.vendor_id.known().map_or("?", |s| s.as_str()),
            p.device_id.known().map_or("?", |s| s.as_str())
        )
    };
    if (px.vendor_id.known(), px.device_id.known()) != (py.vendor_id.known(), py.device_id.known())
    {
        pci_at.push(
            out,
            Severity::Warning,
            "model",
            Value::known(model(px)),
            Value::known(model(py)),
            "another device model at this address: the NIC was replaced",
        );
    }
    pci_at.fact(
        out,
        "numa node",
        &px.numa_node,
        &py.numa_node,
        |n| n.map_or("-".into(), |n| n.to_string()),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another NUMA node: interrupts and memory now cross sockets unless tuned again"
                    .into(),
            ))
        },
    );
    pci_at.fact(
        out,
        "placement",
        &px.onboard,
        &py.onboard,
        |o| if o.onboard { "onboard" } else { "slot" }.to_owned(),
        Severity::Warning,
        |x, y| {
            (x.onboard != y.onboard).then(|| (Severity::Warning, "onboard or slot changed".into()))
        },
    );
    match (&px.pcie, &py.pcie) {
        (Fact::Known(Some(lx)), Fact::Known(Some(ly))) => pcie_link(&pci_at, lx, ly, out),
        (bx, by) => pci_at.fact(
            out,
            "pcie",
            bx,
            by,
            |l| l.as_ref().map_or("-".into(), |_| "PCIe".into()),
            Severity::Warning,
            |_, _| {
                Some((
                    Severity::Warning,
                    "the device has a PCIe link on one side only".into(),
                ))
            },
        ),
    }
    let moved = || {
        Some((
            Severity::Warning,
            "the PCIe path to the device changed: another slot or bridge".into(),
        ))
    };
    Listed::<PciePort> {
        kind: "pcie",
        field: "port",
        same: |p, q| p.address == q.address,
        subject: &|p| format!("{} port {}", at.subject, p.address),
        value: |p| Value::known(p.address.clone()),
        gone: &|_| moved(),
        new: &|_| moved(),
    }
    .compare(&px.upstream, &py.upstream, out, |port_at, p, q, out| {
        pcie_link(port_at, &p.link, &q.link, out)
    });
}

fn gts(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s) + "GT/s"
}

/// A PCIe link trained narrower or slower caps the NIC below line rate:
/// critical. Anything else about it is worth a look.
fn pcie_link(at: &At, b: &PcieLink, a: &PcieLink, out: &mut Vec<Change>) {
    at.fact(
        out,
        "width",
        &b.current_width,
        &a.current_width,
        |w| format!("x{w}"),
        Severity::Warning,
        |x, y| {
            Some(if y < x {
                (
                    Severity::Critical,
                    format!(
                        "the PCIe link trained narrower (x{x} to x{y}): the device gets a \
                         fraction of its bandwidth; reseat the card or check the slot"
                    ),
                )
            } else {
                (Severity::Warning, "the PCIe link trained wider".into())
            })
        },
    );
    at.fact(
        out,
        "speed",
        &b.current_speed_gts,
        &a.current_speed_gts,
        |v| gts(*v),
        Severity::Warning,
        |x, y| {
            Some(if y < x {
                (
                    Severity::Critical,
                    "the PCIe link trained slower: the device gets a fraction of its bandwidth"
                        .into(),
                )
            } else {
                (Severity::Warning, "the PCIe link trained faster".into())
            })
        },
    );
    at.fact(
        out,
        "max width",
        &b.max_width,
        &a.max_width,
        |w| format!("x{w}"),
        Severity::Warning,
        |_, _| Some((Severity::Warning, "another slot or device".into())),
    );
    at.fact(
        out,
        "max speed",
        &b.max_speed_gts,
        &a.max_speed_gts,
        |v| gts(*v),
        Severity::Warning,
        |_, _| Some((Severity::Warning, "another slot or device".into())),
    );
}

fn address_text(a: &Address) -> String {
    format!("{}/{}", a.address, a.prefix_len)
}

/// Addresses added or removed. Link-local and host-scope ones come and go
/// with the link itself (IPv6 drops them when a link goes down): routine.
fn addresses(at: &At, b: &Fact<Vec<Address>>, a: &Fact<Vec<Address>>, out: &mut Vec<Change>) {
    let (Fact::Known(x), Fact::Known(y)) = (b, a) else {
        at.fact(
            out,
            "addresses",
            b,
            a,
            |v| v.iter().map(address_text).collect::<Vec<_>>().join(" "),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    let routine = |addr: &Address| matches!(addr.scope.as_str(), "link" | "host");
    for old in x {
        if !y
            .iter()
            .any(|n| n.address == old.address && n.prefix_len == old.prefix_len)
        {
            let (severity, why) = if routine(old) {
                (Severity::Info, "a link-local address went away")
            } else {
                (
                    Severity::Warning,
                    "an address was removed: traffic to and from it has no path here",
                )
            };
            at.push(
                out,
                severity,
                "address",
                Value::known(address_text(old)),
                Value::Absent,
                why,
            );
        }
    }
    for new in y {
        if !x
            .iter()
            .any(|o| o.address == new.address && o.prefix_len == new.prefix_len)
        {
            let (severity, why) = if routine(new) {
                (Severity::Info, "a link-local address appeared")
            } else {
                (
                    Severity::Warning,
                    "an address was added: it draws traffic to this link",
                )
            };
            at.push(
                out,
                severity,
                "address",
                Value::Absent,
                Value::known(address_text(new)),
                why,
            );
        }
    }
}

/// Carrier changes during the window, beyond the one a link that went
/// down or came up needs to get there.
fn flaps(at: &At, b: &Link, a: &Link, out: &mut Vec<Change>) {
    let (bi, ai) = (&b.iface, &a.iface);
    let (x, y) = match (&bi.carrier_changes, &ai.carrier_changes) {
        (Fact::Known(x), Fact::Known(y)) => (*x, *y),
        (bf, af) => {
            at.fact(
                out,
                "carrier changes",
                bf,
                af,
                u64::to_string,
                Severity::Warning,
                |_, _| None,
            );
            return;
        }
    };
    if y < x {
        at.push(
            out,
            Severity::Info,
            "carrier changes",
            Value::known(x.to_string()),
            Value::known(y.to_string()),
            "the counter went backwards: the device was reset",
        );
        return;
    }
    let explained =
        u64::from(matches!((bi.carrier.known(), ai.carrier.known()), (Some(p), Some(q)) if p != q));
    let delta = y - x;
    if delta <= explained {
        return;
    }
    let downs = match (bi.carrier_down_count.known(), ai.carrier_down_count.known()) {
        (Some(p), Some(q)) if q >= p => format!(", down {} times", q - p),
        _ => String::new(),
    };
    at.push(
        out,
        Severity::Warning,
        "carrier changes",
        Value::known(x.to_string()),
        Value::known(y.to_string()),
        format!(
            "the carrier changed {delta} times during the window{downs}: a loose cable, a \
             failing optic or a bouncing switch port"
        ),
    );
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CounterClass {
    /// Errors: a cable, optic, port or ring overflowing.
    Error,
    /// Drops: the kernel drops frames for many routine reasons.
    Drop,
    /// Bytes and packets: traffic.
    Traffic,
}

fn counter_fields(c: &Counters) -> [(&'static str, u64, CounterClass); 21] {
    use CounterClass::*;
    [
        ("rx_errors", c.rx_errors, Error),
        ("rx_crc_errors", c.rx_crc_errors, Error),
        ("rx_frame_errors", c.rx_frame_errors, Error),
        ("rx_fifo_errors", c.rx_fifo_errors, Error),
        ("rx_length_errors", c.rx_length_errors, Error),
        ("rx_missed_errors", c.rx_missed_errors, Error),
        ("rx_over_errors", c.rx_over_errors, Error),
        ("tx_errors", c.tx_errors, Error),
        ("tx_carrier_errors", c.tx_carrier_errors, Error),
        ("tx_aborted_errors", c.tx_aborted_errors, Error),
        ("tx_fifo_errors", c.tx_fifo_errors, Error),
        ("tx_window_errors", c.tx_window_errors, Error),
        ("tx_heartbeat_errors", c.tx_heartbeat_errors, Error),
        ("collisions", c.collisions, Error),
        ("rx_dropped", c.rx_dropped, Drop),
        ("tx_dropped", c.tx_dropped, Drop),
        ("rx_bytes", c.rx_bytes, Traffic),
        ("rx_packets", c.rx_packets, Traffic),
        ("tx_bytes", c.tx_bytes, Traffic),
        ("tx_packets", c.tx_packets, Traffic),
        ("multicast", c.multicast, Traffic),
    ]
}

/// Error counters that grew matter; drops and traffic are routine.
fn counters(at: &At, b: &Fact<Counters>, a: &Fact<Counters>, out: &mut Vec<Change>) {
    let (x, y) = match (b, a) {
        (Fact::Known(x), Fact::Known(y)) => (x, y),
        (Fact::Unknown(_), Fact::Unknown(_)) => return,
        (Fact::Known(_), Fact::Unknown(m)) | (Fact::Unknown(m), Fact::Known(_)) => {
            at.push(
                out,
                Severity::Warning,
                "counters",
                Value::of(b, |_| "read".into()),
                Value::of(a, |_| "read".into()),
                one_sided(b.known().is_none(), m),
            );
            return;
        }
    };
    for ((name, p, class), (_, q, _)) in counter_fields(x).into_iter().zip(counter_fields(y)) {
        // Traffic gets one row for all its counters, below.
        if p == q || class == CounterClass::Traffic {
            continue;
        }
        let (severity, why) = if q < p {
            (
                Severity::Info,
                "the counter went backwards: the driver reset its statistics".to_owned(),
            )
        } else {
            match class {
                CounterClass::Error => (
                    Severity::Warning,
                    format!(
                        "{} more during the window: a bad cable, optic or port, or a \
                         receive ring overflowing",
                        q - p
                    ),
                ),
                CounterClass::Drop => (
                    Severity::Info,
                    format!("{} more dropped during the window", q - p),
                ),
                CounterClass::Traffic => continue,
            }
        };
        at.push(
            out,
            severity,
            name,
            Value::known(p.to_string()),
            Value::known(q.to_string()),
            why,
        );
    }
    let text = |c: &Counters| {
        format!(
            "rx {} B {} pkts, tx {} B {} pkts",
            c.rx_bytes, c.rx_packets, c.tx_bytes, c.tx_packets
        )
    };
    let moved = [
        (x.rx_bytes, y.rx_bytes),
        (x.rx_packets, y.rx_packets),
        (x.tx_bytes, y.tx_bytes),
        (x.tx_packets, y.tx_packets),
        (x.multicast, y.multicast),
    ];
    if moved.iter().any(|(p, q)| p != q) {
        let why = if moved.iter().any(|(p, q)| q < p) {
            "the counters went backwards: the driver reset its statistics".to_owned()
        } else {
            format!(
                "traffic: {} packets received, {} sent during the window",
                y.rx_packets - x.rx_packets,
                y.tx_packets - x.tx_packets
            )
        };
        at.push(
            out,
            Severity::Info,
            "traffic",
            Value::known(text(x)),
            Value::known(text(y)),
            why,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::{Missing, Reason};

    #[test]
    fn a_link_gone_is_critical_and_a_new_one_a_warning() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(links) = &mut a.links {
            let mut new = links[0].clone();
            new.iface.name = "eth9".into();
            links.retain(|l| l.iface.name != "eno2");
            links.push(new);
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "link eno2", "link"),
                row(Severity::Warning, "link eth9", "link"),
            ]
        );
    }

    #[test]
    fn speed_down_is_critical_speed_up_a_warning() {
        let b = lb_healthy();
        let mut a = b.clone();
        link(&mut a, "eno1").speed_mbps = Fact::Known(100);
        link(&mut a, "enp65s0f0").duplex = Fact::Known(Duplex::Half);
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "link eno1", "speed"),
                row(Severity::Critical, "link enp65s0f0", "duplex"),
            ]
        );
        assert_eq!(
            rows(&a, &b),
            [
                row(Severity::Warning, "link eno1", "speed"),
                row(Severity::Warning, "link enp65s0f0", "duplex"),
            ]
        );
    }

    #[test]
    fn a_link_that_went_down_is_one_change_with_the_speed_it_had() {
        let b = lb_healthy();
        let mut a = b.clone();
        let l = link(&mut a, "eno1");
        l.iface.operstate = Fact::Known("down".into());
        l.iface.carrier = Fact::Known(false);
        l.iface.carrier_changes = l.iface.carrier_changes.clone().map(|n| n + 1);
        l.speed_mbps = Fact::unknown(Reason::LinkDown, "no carrier");
        l.duplex = Fact::unknown(Reason::LinkDown, "no carrier");
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert_eq!(changes[0].severity, Severity::Critical);
        assert_eq!(changes[0].after, Value::known("down no-carrier"));
        assert!(changes[0].why.contains("1G full"), "{}", changes[0].why);
        // Coming back up says at what speed.
        let mut c = b.clone();
        let l = link(&mut c, "eno1");
        l.iface.carrier_changes = l.iface.carrier_changes.clone().map(|n| n + 2);
        let back = super::super::compare(&a, &c);
        assert_eq!(back.len(), 1, "{back:#?}");
        assert_eq!(back[0].severity, Severity::Warning);
        assert!(
            back[0].why.contains("came up at 1G full"),
            "{}",
            back[0].why
        );
    }

    #[test]
    fn known_on_one_side_only_is_never_equal() {
        let b = lb_healthy();
        let mut a = b.clone();
        link(&mut a, "eno1").speed_mbps = Fact::Unknown(Missing::new(Reason::Permission, "x"));
        link(&mut a, "eno1").driver = Fact::Unknown(Missing::new(Reason::NotCaptured, "y"));
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "link eno1", "speed"),
                row(Severity::Warning, "link eno1", "driver"),
            ]
        );
        // Unknown on both sides: nothing to compare (eno2 has no cable).
        let mut c = a.clone();
        link(&mut c, "eno1").iface.mtu = Fact::Known(1500);
        assert_eq!(rows(&a, &c), []);
    }

    #[test]
    fn driver_firmware_and_pcie() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(d) = &mut link(&mut a, "enp65s0f0").driver {
            d.firmware_version = Some("9.99 0x80000000 1.0.0".into());
        }
        if let Fact::Known(Some(dev)) = &mut link(&mut a, "enp65s0f0").device
            && let Some(pci) = &mut dev.pci
            && let Fact::Known(Some(pcie)) = &mut pci.pcie
        {
            pcie.current_speed_gts = Fact::Known(2.5);
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "pcie enp65s0f0 0000:41:00.0", "speed"),
                row(Severity::Warning, "link enp65s0f0", "firmware"),
            ]
        );
    }

    #[test]
    fn flaps_and_errors_count_within_one_boot() {
        let b = lb_healthy();
        let mut a = b.clone();
        let l = link(&mut a, "enp65s0f1");
        l.iface.carrier_changes = l.iface.carrier_changes.clone().map(|n| n + 4);
        if let Fact::Known(c) = &mut l.iface.counters {
            c.rx_crc_errors += 12;
            c.rx_bytes += 1_000_000;
            c.rx_dropped += 3;
        }
        let changes = super::super::compare(&b, &a);
        assert_eq!(
            fields(&changes),
            [
                (Severity::Warning, "carrier changes"),
                (Severity::Warning, "rx_crc_errors"),
                (Severity::Info, "rx_dropped"),
                (Severity::Info, "traffic"),
            ]
        );
        assert!(
            changes[0].why.contains("changed 4 times"),
            "{}",
            changes[0].why
        );
        assert!(changes[1].why.starts_with("12 more"), "{}", changes[1].why);

        // Another boot: the counters started again and are not compared.
        a.host.boot_id = Fact::Known("00000000-0000-4000-8000-000000000000".into());
        assert_eq!(rows(&b, &a), [row(Severity::Warning, "host lb-01", "boot")]);
    }

    #[test]
    fn a_link_created_again_restarts_its_counters() {
        let b = lb_healthy();
        let mut a = b.clone();
        let l = link(&mut a, "eno1");
        l.iface.ifindex = Fact::Known(99);
        if let Fact::Known(c) = &mut l.iface.counters {
            *c = Counters::default();
        }
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "link eno1", "ifindex")]
        );
    }

    #[test]
    fn global_addresses_matter_link_local_ones_are_routine() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(addrs) = &mut link(&mut a, "bond0").addresses {
            addrs.retain(|x| x.scope != "global" || !x.address.is_ipv6());
            addrs.push(Address {
                address: "fe80::99".parse().unwrap(),
                prefix_len: 64,
                scope: "link".into(),
                flags: vec![],
            });
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "link bond0", "address"),
                row(Severity::Info, "link bond0", "address"),
            ]
        );
    }
}
