//! `link`: the state, speed, duplex, driver and PCIe link of the NICs a
//! selector picks.

use super::{
    FieldDoc, Judgement, KindDoc, counter_judgements, finding, nothing_selected, unreadable,
};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::{Counter, Num, NumOr, Text, speed_unit, word};
use crate::policy::yaml::{Node, Value};
use crate::snapshot::values::{
    AT_MAX, AT_SUPPORTED_MAX, BOND_MODE_WORDS, DUPLEXES, LINK_KINDS, OPERSTATES,
};
use crate::snapshot::{Counters, Duplex, Fact, Link, LinkModes, PciDevice, Reason, Snapshot};
use crate::state;

pub const DOC: KindDoc = KindDoc {
    name: "link",
    summary: "NIC state, negotiated speed and duplex, driver, firmware and PCIe link",
    what: "Selects network links by name, driver, kind, PCI ids, placement or master, and \
           checks each against the expectations given: operational state, carrier, speed \
           (a number, or at the best speed both ends of the cable support), duplex, \
           autonegotiation, MTU, driver and firmware, the PCIe link against the slowest \
           maximum on the way to the CPU, NUMA node, onboard or slot, counters.",
    why: "A link that is up but slow raises no alarm: a 10G port that renegotiated to 1G \
          after a cable fault, a 25G NIC on 10G optics, a NIC trained at x4 in an x8 slot. \
          Each halves or worse the capacity the host was sized for.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which links: `name` (glob or matcher), `driver`, `kind` (physical, bond, bridge, veth, ...), `vendor` and `device` (PCI ids such as 0x8086), `onboard` (true/false), `master`, `bond_mode` (members of a bond in that mode: 802.3ad), `operstate` (to check only the links that are up), `link_modes` (true: the NIC reports the link modes it supports, as a port with a PHY or optics does; a paravirtual NIC such as virtio_net reports none, and has no negotiated speed to judge). All given must match. A fact the link does not have (lo's driver, a virtual NIC's link modes) does not match; a link whose selected fact cannot be read gives an UNKNOWN finding, not a silent skip.",
        },
        FieldDoc {
            name: "expect.operstate",
            doc: "up, down, lowerlayerdown, unknown, dormant, ... (text matcher)",
        },
        FieldDoc {
            name: "expect.carrier",
            doc: "true or false",
        },
        FieldDoc {
            name: "expect.admin_up",
            doc: "true or false",
        },
        FieldDoc {
            name: "expect.speed",
            doc: "Mb/s or with a unit (10G, 100M), a number matcher ({min: 10G}), or `at_supported_max`: the negotiated speed equals the fastest mode both this side and the link partner advertise (this side's modes when the partner advertises none)",
        },
        FieldDoc {
            name: "expect.duplex",
            doc: "full or half",
        },
        FieldDoc {
            name: "expect.autoneg",
            doc: "true or false",
        },
        FieldDoc {
            name: "expect.mtu",
            doc: "a number matcher",
        },
        FieldDoc {
            name: "expect.driver",
            doc: "driver name (text matcher)",
        },
        FieldDoc {
            name: "expect.driver_version",
            doc: "text matcher",
        },
        FieldDoc {
            name: "expect.firmware",
            doc: "firmware version (text matcher)",
        },
        FieldDoc {
            name: "expect.pcie",
            doc: "`at_max`: the current speed and width equal the lowest maximum of the device and every PCIe port above it; or {speed: GT/s matcher, width: lanes matcher}",
        },
        FieldDoc {
            name: "expect.numa_node",
            doc: "a number matcher",
        },
        FieldDoc {
            name: "expect.onboard",
            doc: "true or false (a virtual link is not onboard)",
        },
        FieldDoc {
            name: "expect.kind",
            doc: "text matcher",
        },
        FieldDoc {
            name: "expect.master",
            doc: "the bond, bridge or VRF it belongs to (text matcher)",
        },
        FieldDoc {
            name: "expect.tx_queue_len",
            doc: "the transmit queue length in packets (number matcher): a physical NIC at 0 drops every burst its ring cannot hold",
        },
        FieldDoc {
            name: "expect.ifalias",
            doc: "the link's alias, the operator's description of what it faces (text matcher)",
        },
        FieldDoc {
            name: "expect.phys_switch_id",
            doc: "the switch ASIC a switchdev port belongs to, in hex (text matcher)",
        },
        FieldDoc {
            name: "expect.carrier_changes",
            doc: "a counter matcher on the carrier changes since boot: a number matcher, and with --state `max_increase` (flaps since the previous run) and `max_rate` (per second)",
        },
        FieldDoc {
            name: "expect.counters",
            doc: "{COUNTER: counter matcher}: rx_crc_errors, rx_missed_errors, tx_carrier_errors, rx_dropped, ... (the names of `hostlint show --format json`); with --state, `max_increase` and `max_rate` judge the growth since the previous run",
        },
        FieldDoc {
            name: "expect.utilization",
            doc: "with --state: the busier direction's byte rate since the previous run, as a percentage of the link speed (number matcher, e.g. {max: 80})",
        },
    ],
    example: r#"- id: uplinks-at-capability
  description: Uplink NICs run at the speed their optics and the switch support.
  link:
    select: { driver: { in: [ixgbe, i40e, ice, mlx5_core] } }
    expect:
      operstate: up
      speed: at_supported_max
      duplex: full
      pcie: at_max
      counters: { rx_crc_errors: { max: 0 } }"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone, Default)]
pub struct Select {
    pub name: Option<Text>,
    pub driver: Option<Text>,
    pub kind: Option<Text>,
    pub vendor: Option<Text>,
    pub device: Option<Text>,
    pub onboard: Option<bool>,
    pub master: Option<Text>,
    pub bond_mode: Option<Text>,
    pub operstate: Option<Text>,
    pub link_modes: Option<bool>,
}

#[derive(Debug, Clone)]
pub enum Speed {
    AtSupportedMax,
    Is(Num),
}

#[derive(Debug, Clone)]
pub enum Pcie {
    AtMax,
    Is {
        speed: Option<Num>,
        width: Option<Num>,
    },
}

#[derive(Debug, Clone)]
pub enum Expect {
    Operstate(Text),
    Carrier(bool),
    AdminUp(bool),
    Speed(Speed),
    Duplex(Text),
    Autoneg(bool),
    Mtu(Num),
    Driver(Text),
    DriverVersion(Text),
    Firmware(Text),
    Pcie(Pcie),
    NumaNode(Num),
    Onboard(bool),
    Kind(Text),
    Master(Text),
    TxQueueLen(Num),
    Ifalias(Text),
    PhysSwitchId(Text),
    CarrierChanges(Counter),
    Counter(String, Counter),
    Utilization(Num),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

const SELECT_KEYS: &[&str] = &[
    "name",
    "driver",
    "kind",
    "vendor",
    "device",
    "onboard",
    "master",
    "bond_mode",
    "operstate",
    "link_modes",
];
pub const EXPECT_KEYS: &[&str] = &[
    "operstate",
    "carrier",
    "admin_up",
    "speed",
    "duplex",
    "autoneg",
    "mtu",
    "driver",
    "driver_version",
    "firmware",
    "pcie",
    "numa_node",
    "onboard",
    "kind",
    "master",
    "tx_queue_len",
    "ifalias",
    "phys_switch_id",
    "carrier_changes",
    "counters",
    "utilization",
];

fn counter_names() -> Vec<String> {
    match serde_json::to_value(Counters::default()) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a link check", &["select", "expect"])?;
    let select_node = f.required(ctx, "select", "a link check")?;
    let select = parse_select(ctx, select_node)?;
    let expect_node = f.required(ctx, "expect", "a link check")?;
    let expect = parse_expect(ctx, expect_node, "a link expectation")?;
    Some(Spec { select, expect })
}

pub fn parse_select(ctx: &mut Ctx, node: &Node) -> Option<Select> {
    let f = Fields::new(ctx, node, "a link selector", SELECT_KEYS)?;
    let text = |ctx: &mut Ctx, key: &str| f.get(key).and_then(|n| Text::parse(ctx, n, key));
    let s = Select {
        name: text(ctx, "name"),
        driver: text(ctx, "driver"),
        kind: f
            .get("kind")
            .and_then(|n| Text::parse_words(ctx, n, &LINK_KINDS)),
        vendor: text(ctx, "vendor"),
        device: text(ctx, "device"),
        onboard: f
            .get("onboard")
            .and_then(|n| boolean(ctx, n, "true or false")),
        master: text(ctx, "master"),
        bond_mode: f
            .get("bond_mode")
            .and_then(|n| Text::parse_words(ctx, n, &BOND_MODE_WORDS)),
        operstate: f
            .get("operstate")
            .and_then(|n| Text::parse_words(ctx, n, &OPERSTATES)),
        link_modes: f
            .get("link_modes")
            .and_then(|n| boolean(ctx, n, "true or false")),
    };
    if f.keys().next().is_none() {
        ctx.error(
            node.pos,
            "an empty selector: give at least `name: \"*\"` to select every link",
        );
        return None;
    }
    Some(s)
}

pub fn parse_expect(ctx: &mut Ctx, node: &Node, what: &str) -> Option<Vec<Expect>> {
    let before = ctx.errors.len();
    let f = Fields::new(ctx, node, what, EXPECT_KEYS)?;
    let mut out = Vec::new();
    for (key, n) in f.keys() {
        let k = key.name.as_str();
        let e = match k {
            "operstate" => Text::parse_words(ctx, n, &OPERSTATES).map(Expect::Operstate),
            "carrier" => boolean(ctx, n, "true or false").map(Expect::Carrier),
            "admin_up" => boolean(ctx, n, "true or false").map(Expect::AdminUp),
            "speed" => Num::parse_or_word(ctx, n, "speed", Some(speed_unit), &AT_SUPPORTED_MAX)
                .map(|s| match s {
                    NumOr::Word(_) => Expect::Speed(Speed::AtSupportedMax),
                    NumOr::Num(m) => Expect::Speed(Speed::Is(m)),
                }),
            "duplex" => Text::parse_words(ctx, n, &DUPLEXES).map(Expect::Duplex),
            "autoneg" => boolean(ctx, n, "true or false").map(Expect::Autoneg),
            "mtu" => Num::parse(ctx, n, k, None).map(Expect::Mtu),
            "driver" => Text::parse(ctx, n, k).map(Expect::Driver),
            "driver_version" => Text::parse(ctx, n, k).map(Expect::DriverVersion),
            "firmware" => Text::parse(ctx, n, k).map(Expect::Firmware),
            "pcie" => match &n.value {
                Value::Map(_) => {
                    let p = Fields::new(ctx, n, "a PCIe expectation", &["speed", "width"])?;
                    Some(Expect::Pcie(Pcie::Is {
                        speed: p
                            .get("speed")
                            .and_then(|s| Num::parse(ctx, s, "PCIe speed (GT/s)", None)),
                        width: p
                            .get("width")
                            .and_then(|w| Num::parse(ctx, w, "PCIe width (lanes)", None)),
                    }))
                }
                _ => word(ctx, n, "`at_max` or {speed, width} for pcie", &AT_MAX)
                    .map(|_| Expect::Pcie(Pcie::AtMax)),
            },
            "numa_node" => Num::parse(ctx, n, k, None).map(Expect::NumaNode),
            "onboard" => boolean(ctx, n, "true or false").map(Expect::Onboard),
            "kind" => Text::parse_words(ctx, n, &LINK_KINDS).map(Expect::Kind),
            "master" => Text::parse(ctx, n, k).map(Expect::Master),
            "tx_queue_len" => Num::parse(ctx, n, k, None).map(Expect::TxQueueLen),
            "ifalias" => Text::parse(ctx, n, k).map(Expect::Ifalias),
            "phys_switch_id" => Text::parse(ctx, n, k).map(Expect::PhysSwitchId),
            "carrier_changes" => Counter::parse(ctx, n, k).map(Expect::CarrierChanges),
            "utilization" => {
                Num::parse(ctx, n, "utilization (percent)", None).map(Expect::Utilization)
            }
            "counters" => {
                let names = counter_names();
                let known: Vec<&str> = names.iter().map(String::as_str).collect();
                let c = Fields::new(ctx, n, "counters", &known)?;
                for (ck, cn) in c.keys() {
                    if known.contains(&ck.name.as_str())
                        && let Some(m) = Counter::parse(ctx, cn, &ck.name)
                    {
                        out.push(Expect::Counter(ck.name.clone(), m));
                    }
                }
                continue;
            }
            _ => continue,
        };
        if let Some(e) = e {
            out.push(e);
        }
    }
    if out.is_empty() && ctx.errors.len() == before {
        ctx.error(
            node.pos,
            format!("{what} is empty: there would be nothing to check"),
        );
        return None;
    }
    Some(out)
}

/// Whether the NIC reports the link modes it supports: a port with a PHY
/// or optics lists them; a paravirtual NIC lists none, or has no link
/// settings at all.
fn reports_link_modes(l: &Link) -> Fact<bool> {
    match &l.link_modes {
        Fact::Known(m) => Fact::Known(!m.supported.is_empty()),
        Fact::Unknown(m) if m.reason == Reason::NotSupported => Fact::Known(false),
        Fact::Unknown(m) => Fact::Unknown(m.clone()),
    }
}

/// The mode of the bond a link is a member of; not supported for a link
/// that is no bond's member.
fn bond_mode_of<'s>(l: &Link, snap: &'s Snapshot) -> Fact<&'s str> {
    let master = match &l.iface.master {
        Fact::Known(Some(m)) => m,
        Fact::Known(None) => return Fact::unknown(Reason::NotSupported, "not a member of a bond"),
        Fact::Unknown(m) => return Fact::Unknown(m.clone()),
    };
    match &snap.bonds {
        Fact::Known(bonds) => match bonds.iter().find(|b| &b.name == master) {
            Some(b) => b.mode.as_ref().map(String::as_str),
            None => Fact::unknown(Reason::NotSupported, format!("{master} is not a bond")),
        },
        Fact::Unknown(m) => Fact::Unknown(m.clone()),
    }
}

/// Whether a link is selected: `Ok(true/false)`, or the fact that could
/// not be read to decide it. A fact the hardware or driver does not have
/// (lo's driver) cannot match and does not select.
fn selects(sel: &Select, l: &Link, snap: &Snapshot) -> Result<bool, String> {
    let mut undecided = None;
    let mut all = true;
    let mut text = |what: &str, fact: Fact<&str>, m: &Option<Text>| {
        let Some(m) = m else { return };
        match fact {
            Fact::Known(v) => all &= m.matches(v),
            Fact::Unknown(miss)
                if matches!(miss.reason, Reason::NotSupported | Reason::LinkDown) =>
            {
                all = false
            }
            Fact::Unknown(miss) => undecided = Some(format!("{what} unknown: {miss}")),
        }
    };
    let name = match l.iface.name_unreadable() {
        Some(m) => Fact::Unknown(m),
        None => Fact::Known(l.iface.name.as_str()),
    };
    text("name", name, &sel.name);
    text(
        "driver",
        l.driver.as_ref().map(|d| d.driver.as_str()),
        &sel.driver,
    );
    text("kind", l.iface.kind.as_ref().map(String::as_str), &sel.kind);
    text(
        "operstate",
        l.iface.operstate.as_ref().map(String::as_str),
        &sel.operstate,
    );
    let pci = pci_of(l);
    let pci_fact = |f: fn(&PciDevice) -> &Fact<String>| -> Fact<&str> {
        match &pci {
            Fact::Known(Some(p)) => f(p).as_ref().map(String::as_str),
            Fact::Known(None) => Fact::unknown(Reason::NotSupported, "not a PCI device"),
            Fact::Unknown(m) => Fact::Unknown(m.clone()),
        }
    };
    text("PCI vendor", pci_fact(|p| &p.vendor_id), &sel.vendor);
    text("PCI device", pci_fact(|p| &p.device_id), &sel.device);
    text("bond mode", bond_mode_of(l, snap), &sel.bond_mode);
    match &l.iface.master {
        Fact::Known(Some(m)) => text("master", Fact::Known(m.as_str()), &sel.master),
        Fact::Known(None) => {
            if sel.master.is_some() {
                all = false;
            }
        }
        Fact::Unknown(m) => text("master", Fact::Unknown(m.clone()), &sel.master),
    }
    if let Some(want) = sel.onboard {
        match onboard(l) {
            Fact::Known((is, _)) => all &= is == want,
            Fact::Unknown(m) => undecided = Some(format!("onboard unknown: {m}")),
        }
    }
    if let Some(want) = sel.link_modes {
        match reports_link_modes(l) {
            Fact::Known(has) => all &= has == want,
            Fact::Unknown(m) => undecided = Some(format!("link modes unknown: {m}")),
        }
    }
    match undecided {
        Some(why) if all => Err(why),
        _ => Ok(all),
    }
}

fn pci_of(l: &Link) -> Fact<Option<&PciDevice>> {
    l.device
        .as_ref()
        .map(|d| d.as_ref().and_then(|d| d.pci.as_ref()))
}

/// Whether the link's hardware is on the board, and why hostlint thinks so.
/// A virtual link has no hardware, so it is not an onboard port.
pub fn onboard(l: &Link) -> Fact<(bool, String)> {
    match &l.device {
        Fact::Known(None) => Fact::Known((false, "a virtual link".to_owned())),
        Fact::Known(Some(d)) => match &d.pci {
            Some(p) => p.onboard.as_ref().map(|o| (o.onboard, o.basis.clone())),
            None => Fact::Known((
                false,
                format!(
                    "a {} device",
                    d.subsystem.known().map_or("non-PCI", |s| s.as_str())
                ),
            )),
        },
        Fact::Unknown(m) => Fact::Unknown(m.clone()),
    }
}

/// The speed of a link mode name: `25000baseSR/Full` → 25000.
fn mode_speed(mode: &str) -> Option<u32> {
    mode.split("base").next()?.parse().ok()
}

/// The fastest speed both ends advertise, and which modes it came from.
pub fn best_common_speed(m: &LinkModes) -> Option<(u32, &'static str)> {
    let ours: Vec<u32> = m.advertised.iter().filter_map(|s| mode_speed(s)).collect();
    if m.partner_advertised.is_empty() {
        return ours
            .iter()
            .max()
            .map(|s| (*s, "the best mode advertised; the partner advertises none"));
    }
    let theirs: Vec<u32> = m
        .partner_advertised
        .iter()
        .filter_map(|s| mode_speed(s))
        .collect();
    ours.iter()
        .filter(|s| theirs.contains(s))
        .max()
        .map(|s| (*s, "the best mode both ends advertise"))
}

fn mbps(v: u32) -> String {
    format!("{v} Mb/s")
}

/// The lowest of the maxima from the device up to the root port.
pub fn pcie_ceiling(p: &PciDevice) -> Result<(f64, u32), String> {
    let Fact::Known(Some(link)) = &p.pcie else {
        return Err(match &p.pcie {
            Fact::Unknown(m) => format!("unknown: {m}"),
            _ => "no PCIe link".to_owned(),
        });
    };
    let mut speed = *link.max_speed_gts.known().ok_or("max speed unknown")?;
    let mut width = *link.max_width.known().ok_or("max width unknown")?;
    for port in &p.upstream {
        let s = port
            .link
            .max_speed_gts
            .known()
            .ok_or_else(|| format!("max speed of port {} unknown", port.address))?;
        let w = port
            .link
            .max_width
            .known()
            .ok_or_else(|| format!("max width of port {} unknown", port.address))?;
        speed = speed.min(*s);
        width = width.min(*w);
    }
    Ok((speed, width))
}

pub const HINT_STATE: &str = "check the cable, the transceiver and the switch port; `ip link show` and `ethtool` on the host";
pub const HINT_SPEED: &str = "the link runs slower than required: check the cable or optic, and the switch port's speed setting";
const HINT_AT_MAX: &str = "the link negotiated below what both ends support: a damaged cable, a wrong optic or a switch port forced to a lower speed";
const HINT_DUPLEX: &str = "half duplex on a modern link means autonegotiation failed on one side: let both sides autonegotiate";
const HINT_PCIE: &str = "the NIC trained below what its slot allows: reseat it or move it to a full-width slot, and check the BIOS PCIe settings";
const HINT_CONFIG: &str =
    "the configuration differs from the policy: change the host or the policy";
pub const HINT_ONBOARD: &str =
    "traffic on an onboard port: cable the add-in NIC and move the addresses and routes to it";
const HINT_DRIVER: &str = "install the driver or firmware version the policy requires";
const HINT_ERRORS: &str = "error counters grow with bad cables, dirty optics and failing ports: clean or replace the optic and cable";

/// The judgements of one link against expectations, shared with the
/// egress of a route check.
pub fn judge(l: &Link, expect: &[Expect], snap: &Snapshot) -> Vec<Judgement> {
    let name = l.iface.name.as_str();
    let o = &snap.origin;
    let ev_link = o.link(name);
    let ev_settings = o.link_settings(name);
    let ev_driver = o.driver(name);
    let ev_dev = match &l.device {
        Fact::Known(Some(d)) => o.file(&d.path),
        _ => o.file(&format!("sys/class/net/{name}/device")),
    };
    let mut out = Vec::new();
    for e in expect {
        let one = match e {
            Expect::CarrierChanges(m) => {
                out.extend(counter_judgements(
                    "carrier_changes",
                    &l.iface.carrier_changes,
                    &state::link_key(name, "carrier_changes"),
                    m,
                    &snap.history,
                    &ev_link,
                    HINT_STATE,
                ));
                continue;
            }
            Expect::Counter(c, m) => {
                let value: Fact<u64> = l.iface.counters.as_ref().and_then(|cs| {
                    match serde_json::to_value(cs)
                        .ok()
                        .and_then(|v| v.get(c).and_then(|x| x.as_u64()))
                    {
                        Some(v) => Fact::Known(v),
                        None => Fact::unknown(Reason::NotSupported, format!("no counter {c}")),
                    }
                });
                out.extend(counter_judgements(
                    c,
                    &value,
                    &state::link_key(name, c),
                    m,
                    &snap.history,
                    &ev_link,
                    HINT_ERRORS,
                ));
                continue;
            }
            Expect::Utilization(m) => utilization(l, m, snap, &ev_link),
            Expect::Operstate(m) => {
                Judgement::text("operstate", &l.iface.operstate, m, &ev_link, HINT_STATE)
            }
            Expect::Carrier(want) => {
                Judgement::flag("carrier", &l.iface.carrier, *want, &ev_link, HINT_STATE)
            }
            Expect::AdminUp(want) => {
                Judgement::flag("admin_up", &l.iface.admin_up, *want, &ev_link, HINT_CONFIG)
            }
            Expect::Speed(Speed::Is(m)) => Judgement::of(
                "speed",
                &l.speed_mbps,
                format!("{m} Mb/s"),
                &ev_settings,
                HINT_SPEED,
                |v| m.matches(f64::from(*v)),
                |v| mbps(*v),
            ),
            Expect::Speed(Speed::AtSupportedMax) => at_supported_max(l, &ev_settings),
            Expect::Duplex(m) => Judgement::of(
                "duplex",
                &l.duplex,
                m,
                &ev_settings,
                HINT_DUPLEX,
                |v| m.matches(duplex_name(*v)),
                |v| duplex_name(*v).to_owned(),
            ),
            Expect::Autoneg(want) => Judgement::of(
                "autoneg",
                &l.link_modes,
                want,
                &ev_settings,
                HINT_CONFIG,
                |v| v.autoneg == *want,
                |v| v.autoneg.to_string(),
            ),
            Expect::Mtu(m) => Judgement::of(
                "mtu",
                &l.iface.mtu,
                m,
                &ev_link,
                HINT_CONFIG,
                |v| m.matches(f64::from(*v)),
                |v| v.to_string(),
            ),
            Expect::Driver(m) => Judgement::of(
                "driver",
                &l.driver,
                m,
                &ev_driver,
                HINT_DRIVER,
                |d| m.matches(&d.driver),
                |d| d.driver.clone(),
            ),
            Expect::DriverVersion(m) => Judgement::of(
                "driver_version",
                &l.driver,
                m,
                &ev_driver,
                HINT_DRIVER,
                |d| d.version.as_deref().is_some_and(|v| m.matches(v)),
                |d| d.version.clone().unwrap_or_else(|| "none reported".into()),
            ),
            Expect::Firmware(m) => Judgement::of(
                "firmware",
                &l.driver,
                m,
                &ev_driver,
                HINT_DRIVER,
                |d| d.firmware_version.as_deref().is_some_and(|v| m.matches(v)),
                |d| {
                    d.firmware_version
                        .clone()
                        .unwrap_or_else(|| "none reported".into())
                },
            ),
            Expect::Pcie(p) => pcie(l, p, &ev_dev),
            Expect::NumaNode(m) => {
                let numa: Fact<Option<u32>> = pci_of(l).and_then(|p| match p {
                    Some(p) => p.numa_node.clone(),
                    None => Fact::unknown(Reason::NotSupported, "not a PCI device"),
                });
                Judgement::of(
                    "numa_node",
                    &numa,
                    m,
                    &ev_dev,
                    HINT_CONFIG,
                    |v| v.is_some_and(|n| m.matches(f64::from(n))),
                    |v| v.map_or("none".into(), |n| n.to_string()),
                )
            }
            Expect::Onboard(want) => Judgement::of(
                "onboard",
                &onboard(l),
                want,
                &ev_dev,
                HINT_ONBOARD,
                |(is, _)| is == want,
                |(is, basis)| format!("{is} ({basis})"),
            ),
            Expect::Kind(m) => Judgement::text("kind", &l.iface.kind, m, &ev_link, HINT_CONFIG),
            Expect::Master(m) => Judgement::of(
                "master",
                &l.iface.master,
                m,
                &ev_link,
                HINT_CONFIG,
                |v| v.as_deref().is_some_and(|v| m.matches(v)),
                |v| v.clone().unwrap_or_else(|| "none".into()),
            ),
            Expect::TxQueueLen(m) => Judgement::of(
                "tx_queue_len",
                &l.iface.tx_queue_len,
                m,
                &ev_link,
                HINT_CONFIG,
                |v| m.matches(f64::from(*v)),
                |v| v.to_string(),
            ),
            Expect::Ifalias(m) => Judgement::of(
                "ifalias",
                &l.iface.ifalias,
                m,
                &ev_link,
                HINT_CONFIG,
                |v| v.as_deref().is_some_and(|v| m.matches(v)),
                |v| v.clone().unwrap_or_else(|| "none".into()),
            ),
            Expect::PhysSwitchId(m) => Judgement::of(
                "phys_switch_id",
                &l.iface.phys_switch_id,
                m,
                &ev_link,
                HINT_CONFIG,
                |v| v.as_deref().is_some_and(|v| m.matches(v)),
                |v| {
                    v.clone()
                        .unwrap_or_else(|| "none (not a switch port)".into())
                },
            ),
        };
        out.push(one);
    }
    out
}

const HINT_UTILIZATION: &str = "the link runs near its line rate: move traffic to a faster link or add capacity before a spike saturates it";

/// The busier direction's share of the link speed since the previous run.
fn utilization(l: &Link, m: &Num, snap: &Snapshot, evidence: &str) -> Judgement {
    let name = l.iface.name.as_str();
    let judged = |ok, observed: String| Judgement {
        ok,
        expected: format!("utilization {m} %"),
        observed,
        evidence: vec![evidence.to_owned(), snap.origin.link_settings(name)],
        remediation: HINT_UTILIZATION,
    };
    let history = match &snap.history {
        Fact::Known(h) => h,
        Fact::Unknown(miss) => {
            return judged(None, format!("utilization: no rate to judge: {miss}"));
        }
    };
    let speed = match &l.speed_mbps {
        Fact::Known(s) => *s,
        Fact::Unknown(miss) => return judged(None, format!("utilization: speed unknown: {miss}")),
    };
    let counters = match &l.iface.counters {
        Fact::Known(c) => c,
        Fact::Unknown(miss) => {
            return judged(None, format!("utilization: counters unknown: {miss}"));
        }
    };
    if history.elapsed_seconds <= 0.0 {
        return judged(
            None,
            "utilization: no time passed since the previous run".into(),
        );
    }
    let rate = |counter: &str, now: u64| -> Result<f64, String> {
        history
            .increase(&state::link_key(name, counter), now)
            .map(|d| d as f64 * 8.0 / history.elapsed_seconds)
            .map_err(|miss| miss.to_string())
    };
    match (
        rate("rx_bytes", counters.rx_bytes),
        rate("tx_bytes", counters.tx_bytes),
    ) {
        (Ok(rx), Ok(tx)) => {
            let line = f64::from(speed) * 1e6;
            let pct = rx.max(tx) / line * 100.0;
            judged(
                Some(m.matches(pct.round())),
                format!(
                    "utilization {:.0} % (rx {:.2} Gb/s, tx {:.2} Gb/s of {} Mb/s over {:.0} s)",
                    pct,
                    rx / 1e9,
                    tx / 1e9,
                    speed,
                    history.elapsed_seconds
                ),
            )
        }
        (Err(e), _) | (_, Err(e)) => judged(None, format!("utilization: no rate to judge: {e}")),
    }
}

fn duplex_name(d: Duplex) -> &'static str {
    match d {
        Duplex::Full => "full",
        Duplex::Half => "half",
    }
}

pub(super) fn at_supported_max(l: &Link, evidence: &str) -> Judgement {
    let unjudged = |observed: String| Judgement {
        ok: None,
        expected: "speed at the best both ends support".to_owned(),
        observed,
        evidence: vec![evidence.to_owned()],
        remediation: HINT_AT_MAX,
    };
    let speed = match &l.speed_mbps {
        Fact::Known(s) => *s,
        Fact::Unknown(m) => return unjudged(format!("speed unknown: {m}")),
    };
    let modes = match &l.link_modes {
        Fact::Known(m) => m,
        Fact::Unknown(m) => return unjudged(format!("link modes unknown: {m}")),
    };
    match best_common_speed(modes) {
        None => unjudged(format!(
            "speed {} with no link modes reported to compare it with",
            mbps(speed)
        )),
        Some((best, basis)) => Judgement {
            ok: Some(speed >= best),
            expected: format!("speed {} ({basis})", mbps(best)),
            observed: format!("speed {}", mbps(speed)),
            evidence: vec![evidence.to_owned()],
            remediation: HINT_AT_MAX,
        },
    }
}

fn pcie(l: &Link, want: &Pcie, evidence: &str) -> Judgement {
    let judged = |ok: Option<bool>, expected: String, observed: String| Judgement {
        ok,
        expected,
        observed,
        evidence: vec![evidence.to_owned()],
        remediation: HINT_PCIE,
    };
    let pci = match pci_of(l) {
        Fact::Known(Some(p)) => p,
        Fact::Known(None) => {
            return judged(None, "a PCIe link".into(), "pcie: not a PCI device".into());
        }
        Fact::Unknown(m) => {
            return judged(None, "a PCIe link".into(), format!("pcie unknown: {m}"));
        }
    };
    let link = match &pci.pcie {
        Fact::Known(Some(link)) => link,
        Fact::Known(None) => {
            return judged(
                None,
                "a PCIe link".into(),
                format!("pcie: {} has no PCIe link", pci.address),
            );
        }
        Fact::Unknown(m) => {
            return judged(None, "a PCIe link".into(), format!("pcie unknown: {m}"));
        }
    };
    let cur_s = match &link.current_speed_gts {
        Fact::Known(v) => v,
        Fact::Unknown(m) => {
            return judged(
                None,
                "a PCIe link".into(),
                format!("pcie current speed unknown: {m}"),
            );
        }
    };
    let cur_w = match &link.current_width {
        Fact::Known(v) => v,
        Fact::Unknown(m) => {
            return judged(
                None,
                "a PCIe link".into(),
                format!("pcie current width unknown: {m}"),
            );
        }
    };
    let observed = format!("pcie {cur_s} GT/s x{cur_w}");
    match want {
        Pcie::AtMax => match pcie_ceiling(pci) {
            Ok((s, w)) => judged(
                Some(*cur_s >= s && *cur_w >= w),
                format!("pcie {s} GT/s x{w} (the lowest maximum from the device to the root port)"),
                observed,
            ),
            Err(why) => judged(
                None,
                "pcie at its maximum".into(),
                format!("{observed}, maximum {why}"),
            ),
        },
        Pcie::Is { speed, width } => {
            let ok = speed.as_ref().is_none_or(|m| m.matches(*cur_s))
                && width.as_ref().is_none_or(|m| m.matches(f64::from(*cur_w)));
            let mut exp = Vec::new();
            if let Some(m) = speed {
                exp.push(format!("speed {m} GT/s"));
            }
            if let Some(m) = width {
                exp.push(format!("width {m}"));
            }
            judged(Some(ok), format!("pcie {}", exp.join(", ")), observed)
        }
    }
}

fn describe_select(s: &Select) -> String {
    let mut parts = Vec::new();
    let mut add = |k: &str, v: &Option<Text>| {
        if let Some(m) = v {
            parts.push(format!("{k} {m}"));
        }
    };
    add("name", &s.name);
    add("driver", &s.driver);
    add("kind", &s.kind);
    add("vendor", &s.vendor);
    add("device", &s.device);
    add("master", &s.master);
    add("bond_mode", &s.bond_mode);
    add("operstate", &s.operstate);
    if let Some(o) = s.onboard {
        parts.push(format!("onboard {o}"));
    }
    if let Some(m) = s.link_modes {
        parts.push(format!("link_modes {m}"));
    }
    parts.join(", ")
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let links = match &snap.links {
        Fact::Known(l) => l,
        Fact::Unknown(m) => {
            return vec![unreadable(
                check,
                "(links)",
                "links",
                m,
                vec![snap.origin.link("*")],
            )];
        }
    };
    let mut out = Vec::new();
    let mut selected = 0;
    for l in links {
        match (selects(&spec.select, l, snap), l.iface.name_unreadable()) {
            (Ok(false), _) => {}
            // What rtnetlink gave by index is known, but this link cannot
            // be told from another whose name reads the same: unknown.
            (Ok(true), Some(m)) => {
                selected += 1;
                out.push(unreadable(
                    check,
                    &l.iface.name,
                    "the link",
                    &m,
                    vec![snap.origin.link(&l.iface.name)],
                ));
            }
            (Ok(true), None) => {
                selected += 1;
                out.push(finding(check, &l.iface.name, judge(l, &spec.expect, snap)));
            }
            (Err(why), _) => {
                selected += 1;
                let mut f = finding(
                    check,
                    &l.iface.name,
                    vec![Judgement {
                        ok: None,
                        expected: format!("a link {}", describe_select(&spec.select)),
                        observed: format!("cannot tell whether it is selected: {why}"),
                        evidence: vec![snap.origin.link(&l.iface.name)],
                        remediation: "",
                    }],
                );
                f.remediation = "read the fact by hand, or select the link by name".into();
                out.push(f);
            }
        }
    }
    if selected == 0 {
        out.push(nothing_selected(
            check,
            "link",
            &describe_select(&spec.select),
            vec![snap.origin.link("*")],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modes(adv: &[&str], partner: &[&str]) -> LinkModes {
        LinkModes {
            autoneg: true,
            supports_autoneg: true,
            supported: adv.iter().map(|s| s.to_string()).collect(),
            advertised: adv.iter().map(|s| s.to_string()).collect(),
            partner_advertised: partner.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn best_common_speed_needs_both_ends() {
        let m = modes(
            &["1000baseT/Full", "10000baseT/Full"],
            &["1000baseT/Full", "10000baseT/Full"],
        );
        assert_eq!(best_common_speed(&m).unwrap().0, 10000);
        // A partner that only does 1G caps the link at 1G: not a fault here.
        let m = modes(
            &["1000baseT/Full", "10000baseT/Full"],
            &["100baseT/Full", "1000baseT/Full"],
        );
        assert_eq!(best_common_speed(&m).unwrap().0, 1000);
        let m = modes(&["1000baseX/Full", "10000baseSR/Full"], &[]);
        assert_eq!(best_common_speed(&m).unwrap().0, 10000);
        assert_eq!(best_common_speed(&modes(&[], &[])), None);
        assert_eq!(mode_speed("100000baseSR4/Full"), Some(100000));
    }
}
