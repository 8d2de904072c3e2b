//! Tables an operator reads in seconds. A fact that could not be read shows
//! as `?` (or `n/a` when the hardware or driver does not provide it) with a
//! numbered footnote that says why; a fact that does not apply shows as `-`.
//! A link slower than both ends could run, or a PCIe link trained below
//! what its slot allows, is painted as the fault it is.

use super::layout::{Cell, Footnotes, Paint, Table};
use crate::check::bond::no_partner;
use crate::check::link::{best_common_speed, pcie_ceiling};
use crate::snapshot::{
    Bond, BondMember, Duplex, Fact, Link, MemberLacp, Missing, Reason, RouteTable, Snapshot,
    mode_has_active_member, names, route_flag_names,
};

pub use super::layout::Style;

/// Which parts of the snapshot to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Host,
    Links,
    Bonds,
    Routes,
    Storage,
    /// The LLDP neighbours with every TLV heard.
    Lldp,
}

/// More routes than this are summarised: a full table belongs in JSON.
pub const MAX_ROUTE_ROWS: usize = 200;

/// Numbered explanations of the cells that hold no value.
#[derive(Default)]
pub(super) struct Notes {
    notes: Footnotes,
}

impl Notes {
    pub(super) fn mark(&mut self, what: &str, m: &Missing) -> String {
        let n = self
            .notes
            .number(format!("{what}: {} ({})", m.reason, m.detail));
        let shown = if m.reason == Reason::NotSupported {
            "n/a"
        } else {
            "?"
        };
        format!("{shown}[{n}]")
    }

    pub(super) fn fact<T>(
        &mut self,
        what: &str,
        f: &Fact<T>,
        show: impl FnOnce(&T) -> String,
    ) -> String {
        match f {
            Fact::Known(v) => show(v),
            Fact::Unknown(m) => self.mark(what, m),
        }
    }
}

pub(super) fn new_table(style: &Style, header: &[&str]) -> Table {
    Table::new(style, header)
}

pub fn render(snapshot: &Snapshot, parts: &[Part], style: &Style) -> String {
    let mut out = String::new();
    let mut notes = Notes::default();
    for part in parts {
        if !out.is_empty() {
            out.push('\n');
        }
        match part {
            Part::Host => host(&mut out, snapshot, &mut notes, style),
            Part::Links => {
                links(&mut out, snapshot, &mut notes, style);
                out.push('\n');
                super::infiniband::render(&mut out, snapshot, &mut notes, style);
            }
            Part::Bonds => bonds(&mut out, snapshot, &mut notes, style),
            Part::Routes => routes(&mut out, snapshot, &mut notes, style),
            Part::Storage => super::storage::render(&mut out, snapshot, &mut notes, style),
            Part::Lldp => super::lldp::render(&mut out, snapshot, &mut notes, style),
        }
    }
    if !notes.notes.is_empty() {
        out.push('\n');
        notes.notes.render(&mut out, style);
    }
    out
}

/// A line of its own (a summary, a part that could not be read), wrapped
/// to the width with its continuation indented.
pub(super) fn line(out: &mut String, text: &str, style: &Style) {
    super::layout::hanging(out, &Cell::new(text), 2, style);
}

pub(super) fn push(out: &mut String, t: &Table) {
    t.render(out);
}

fn host(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let h = &s.host;
    let mut t = new_table(style, &["HOST", ""]);
    t.add_row(vec![
        "hostname".to_owned(),
        notes.fact("hostname", &h.hostname, String::clone),
    ]);
    t.add_row(vec![
        "kernel".to_owned(),
        notes.fact("kernel release", &h.kernel_release, String::clone),
    ]);
    t.add_row(vec![
        "uptime".to_owned(),
        notes.fact("uptime", &h.uptime_seconds, |u| duration(*u)),
    ]);
    t.add_row(vec![
        "boot id".to_owned(),
        notes.fact("boot id", &h.boot_id, String::clone),
    ]);
    t.add_row(vec![
        "taint".to_owned(),
        notes.fact("taint", &h.taint, |taint| {
            if taint.flags.is_empty() {
                "none".to_owned()
            } else {
                taint
                    .flags
                    .iter()
                    .map(|f| format!("{} {}", f.letter, f.meaning))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }),
    ]);
    t.add_row(vec![
        "pstore".to_owned(),
        notes.fact("pstore", &h.pstore, |records| {
            if records.is_empty() {
                "no crash records".to_owned()
            } else {
                records
                    .iter()
                    .map(|r| format!("{} ({} bytes)", r.path, r.size))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }),
    ]);
    push(out, &t);
}

pub(super) fn duration(seconds: f64) -> String {
    let s = seconds as u64;
    let (d, h, m) = (s / 86400, s % 86400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h {m}m")
    } else {
        format!("{h}h {m}m {}s", s % 60)
    }
}

pub fn speed(mbps: u32) -> String {
    if mbps >= 1000 && mbps.is_multiple_of(1000) {
        format!("{}G", mbps / 1000)
    } else if mbps >= 1000 {
        format!("{:.1}G", f64::from(mbps) / 1000.0)
    } else {
        format!("{mbps}M")
    }
}

fn gts(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s) + "GT/s"
}

fn state_cell(l: &Link, notes: &mut Notes) -> Cell {
    let admin = l.iface.admin_up.known().copied();
    let text = match (admin, &l.iface.operstate) {
        (Some(false), _) => "admin-down".to_owned(),
        (_, Fact::Known(op)) => {
            if op == "up" || l.iface.carrier.known() != Some(&false) {
                op.clone()
            } else {
                format!("{op} no-carrier")
            }
        }
        (_, Fact::Unknown(m)) => notes.mark("state", m),
    };
    let paint = match text.as_str() {
        "up" => Paint::GOOD,
        "unknown" => Paint::WARN,
        _ => Paint::BAD,
    };
    Cell::new(text).paint(paint)
}

/// A speed below the best mode both ends advertise (the check's own
/// judgement of `speed: at_supported_max`) is a fault to see at a glance.
fn slower_than_capable(l: &Link) -> bool {
    match (&l.speed_mbps, &l.link_modes) {
        (Fact::Known(speed), Fact::Known(modes)) => {
            best_common_speed(modes).is_some_and(|(best, _)| *speed < best)
        }
        _ => false,
    }
}

fn links(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let links = match &s.links {
        Fact::Known(l) => l,
        Fact::Unknown(m) => {
            line(out, &format!("LINKS {}", notes.mark("links", m)), style);
            return;
        }
    };
    let mut t = new_table(
        style,
        &[
            "LINK",
            "ALIAS",
            "KIND",
            "STATE",
            "SPEED",
            "DRIVER",
            "PCI",
            "PCIe LINK",
            "PLACE",
            "FLAPS",
            "MASTER",
            "MTU/QLEN",
            "ADDRESSES",
            "NEIGHBOUR",
        ],
    )
    .fold(&[
        "ALIAS",
        "ADDRESSES",
        "FLAPS",
        "MTU/QLEN",
        "MASTER",
        "NEIGHBOUR",
        "PLACE",
        "KIND",
    ]);
    for l in links {
        let i = &l.iface;
        let name = i.name.as_str();
        let speed_text = speed_duplex(notes, &l.speed_mbps, &l.duplex);
        let driver = notes.fact("driver", &l.driver, |d| d.driver.clone());
        let mut downtrained = false;
        let (pci, pcie, place) = match &l.device {
            Fact::Unknown(m) => {
                let mark = notes.mark("device", m);
                (mark.clone(), mark.clone(), mark)
            }
            Fact::Known(None) => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            Fact::Known(Some(dev)) => match &dev.pci {
                None => (
                    format!(
                        "{} ({})",
                        dev.address,
                        dev.subsystem.known().map_or("?", |s| s.as_str())
                    ),
                    "-".to_owned(),
                    "-".to_owned(),
                ),
                Some(p) => {
                    let pcie = match &p.pcie {
                        Fact::Unknown(m) => notes.mark("PCIe link", m),
                        Fact::Known(None) => "-".to_owned(),
                        Fact::Known(Some(link)) => {
                            let cur_speed =
                                notes.fact("PCIe speed", &link.current_speed_gts, |v| gts(*v));
                            let max_speed =
                                notes.fact("PCIe max speed", &link.max_speed_gts, |v| gts(*v));
                            let cur_width =
                                notes.fact("PCIe width", &link.current_width, |v| format!("x{v}"));
                            let max_width =
                                notes.fact("PCIe max width", &link.max_width, |v| format!("x{v}"));
                            // Judged as the check judges `pcie: at_max`:
                            // against the narrowest maximum up to the root
                            // port, so a narrow slot is not a fault.
                            downtrained = match (
                                pcie_ceiling(p),
                                link.current_speed_gts.known(),
                                link.current_width.known(),
                            ) {
                                (Ok((s, w)), Some(cs), Some(cw)) => *cs < s || *cw < w,
                                _ => false,
                            };
                            if cur_speed == max_speed && cur_width == max_width {
                                format!("{cur_speed} {cur_width}")
                            } else {
                                format!("{cur_speed} {cur_width} of {max_speed} {max_width}")
                            }
                        }
                    };
                    let place = notes.fact("placement", &p.onboard, |o| {
                        if o.onboard {
                            "onboard".to_owned()
                        } else {
                            "slot".to_owned()
                        }
                    });
                    (p.address.clone(), pcie, place)
                }
            },
        };
        let flaps = notes.fact("carrier changes", &i.carrier_changes, u64::to_string);
        let master = notes.fact("master", &i.master, |m| {
            m.clone().unwrap_or_else(|| "-".to_owned())
        });
        let mtu = format!(
            "{}/{}",
            notes.fact("mtu", &i.mtu, u32::to_string),
            notes.fact("transmit queue length", &i.tx_queue_len, u32::to_string)
        );
        // The operator's own description of the port says what it faces:
        // free text, quoted, in a column of its own that folds first.
        let alias = match i.ifalias.known() {
            Some(Some(alias)) => format!("“{alias}”"),
            _ => String::new(),
        };
        let addrs = notes.fact("addresses", &l.addresses, |a| {
            a.iter()
                .map(|a| format!("{}/{}", a.address, a.prefix_len))
                .collect::<Vec<_>>()
                .join("\n")
        });
        let kind = notes.fact("kind", &i.kind, String::clone);
        let neighbour = super::lldp::neighbour_cell(s, name, notes);
        t.add_row(vec![
            Cell::new(name),
            Cell::new(alias),
            Cell::new(kind),
            state_cell(l, notes),
            Cell::new(speed_text).paint_if(slower_than_capable(l).then_some(Paint::BAD)),
            Cell::new(driver),
            Cell::new(pci),
            Cell::new(pcie).paint_if(downtrained.then_some(Paint::BAD)),
            Cell::new(place),
            Cell::new(flaps),
            Cell::new(master),
            Cell::new(mtu),
            Cell::new(addrs),
            Cell::new(neighbour),
        ]);
    }
    push(out, &t);
}

/// Speed with duplex, as the links table shows it: full duplex goes
/// without saying.
fn speed_duplex(notes: &mut Notes, mbps: &Fact<u32>, duplex: &Fact<Duplex>) -> String {
    let mut text = notes.fact("speed", mbps, |v| speed(*v));
    if let Fact::Known(Duplex::Half) = duplex {
        text.push_str(" half");
    } else if let Fact::Unknown(m) = duplex
        && mbps.known().is_some()
    {
        text.push(' ');
        text.push_str(&notes.mark("duplex", m));
    }
    text
}

fn mii_cell(notes: &mut Notes, mii: &Fact<String>) -> Cell {
    let text = notes.fact("MII status", mii, String::clone);
    let paint = mii
        .known()
        .map(|m| if m == "up" { Paint::GOOD } else { Paint::BAD });
    Cell::new(text).paint_if(paint)
}

fn bonds(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let bonds = match &s.bonds {
        Fact::Known(b) if b.is_empty() => {
            line(out, "BONDS none", style);
            return;
        }
        Fact::Known(b) => b,
        Fact::Unknown(m) => {
            line(out, &format!("BONDS {}", notes.mark("bonds", m)), style);
            return;
        }
    };
    for (i, b) in bonds.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        bond_table(out, b, notes, style);
    }
}

/// One table per bond: the bond's row, then a row per member.
fn bond_table(out: &mut String, b: &Bond, notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "BOND",
            "MODE",
            "MIIMON",
            "MII",
            "ACTIVE",
            "SPEED",
            "LINK FAILURES",
            "AGGREGATOR",
            "PARTNER MAC",
        ],
    )
    .fold(&["LINK FAILURES", "MIIMON", "ACTIVE"]);
    // A file that was not the bonding driver's report, or a bond that
    // vanished while being read: one reason for every fact, said once.
    if let (Fact::Unknown(m), Fact::Unknown(members)) = (&b.mode, &b.members)
        && m == members
    {
        t.add_row(vec![b.name.clone(), notes.mark("bond", m)]);
        push(out, &t);
        return;
    }
    let lacp = b.lacp.as_ref();
    let mut mode = notes.fact("mode", &b.mode, String::clone);
    if let Fact::Known(Some(l)) = &lacp {
        mode.push_str(", LACP ");
        mode.push_str(&notes.fact("LACP rate", &l.rate, String::clone));
    }
    match &b.xmit_hash_policy {
        Fact::Known(None) => {}
        f => {
            mode.push_str("\nhash ");
            mode.push_str(
                &notes.fact("transmit hash policy", f, |p| p.clone().unwrap_or_default()),
            );
        }
    }
    let ms = |v: &u32| format!("{v}ms");
    let mut miimon = notes.fact("miimon", &b.miimon_ms, |v| match v {
        0 => "off".to_owned(),
        v => ms(v),
    });
    if b.up_delay_ms.known() != Some(&0) || b.down_delay_ms.known() != Some(&0) {
        miimon.push_str(&format!(
            "\nup {} down {}",
            notes.fact("up delay", &b.up_delay_ms, ms),
            notes.fact("down delay", &b.down_delay_ms, ms)
        ));
    }
    if b.arp_interval_ms.known() != Some(&0) {
        miimon.push_str(&format!(
            "\narp {} to {}",
            notes.fact("ARP interval", &b.arp_interval_ms, ms),
            notes.fact("ARP targets", &b.arp_targets, |t| t.join(","))
        ));
    }
    let has_active = b.mode.known().map(|m| mode_has_active_member(m));
    let mut active = notes.fact("active member", &b.active_member, |a| {
        match (a, has_active) {
            (Some(name), _) => name.clone(),
            (None, Some(false)) => "-".to_owned(),
            (None, _) => "none".to_owned(),
        }
    });
    match &b.primary {
        Fact::Known(None) => {}
        f => active.push_str(&format!(
            "\nprimary {}",
            notes.fact("primary", f, |p| p.clone().unwrap_or_default())
        )),
    }
    let active_aggregator = match &lacp {
        Fact::Known(Some(l)) => l.active_aggregator_id.known().copied().flatten(),
        _ => None,
    };
    let (aggregator, partner) = match &lacp {
        Fact::Unknown(m) => {
            let mark = notes.mark("LACP", m);
            (mark.clone(), mark)
        }
        Fact::Known(None) => ("-".to_owned(), "-".to_owned()),
        Fact::Known(Some(l)) => (
            notes.fact("active aggregator", &l.active_aggregator_id, |id| {
                id.map_or("none".to_owned(), |id| id.to_string())
            }),
            notes.fact("partner MAC", &l.partner_mac, |mac| {
                mac.clone().unwrap_or_else(|| "none".to_owned())
            }),
        ),
    };
    t.add_row(vec![
        Cell::new(&b.name),
        Cell::new(mode),
        Cell::new(miimon),
        mii_cell(notes, &b.mii_status),
        Cell::new(active),
        Cell::new(""),
        Cell::new(""),
        Cell::new(aggregator),
        partner_cell(partner),
    ]);
    match &b.members {
        Fact::Unknown(m) => {
            t.add_row(vec!["  members".to_owned(), notes.mark("members", m)]);
        }
        Fact::Known(members) if members.is_empty() => {
            t.add_row(vec!["  no members"]);
        }
        Fact::Known(members) => {
            for m in members {
                t.add_row(member_row(m, active_aggregator, notes));
            }
        }
    }
    push(out, &t);
}

fn partner_cell(mac: String) -> Cell {
    let bad = no_partner(&mac);
    Cell::new(mac).paint_if(bad.then_some(Paint::BAD))
}

/// A member: one outside the bond's active aggregator, or without an LACP
/// partner, carries no traffic, and is painted so.
fn member_row(m: &BondMember, active_aggregator: Option<u32>, notes: &mut Notes) -> Vec<Cell> {
    let elsewhere = match (&m.lacp, active_aggregator) {
        (Fact::Known(Some(l)), Some(active)) => {
            l.aggregator_id.known().copied().flatten() != Some(active)
        }
        _ => false,
    };
    let (aggregator, partner) = match &m.lacp {
        Fact::Unknown(miss) => {
            let mark = notes.mark("LACP", miss);
            (mark.clone(), mark)
        }
        Fact::Known(None) => ("-".to_owned(), "-".to_owned()),
        Fact::Known(Some(l)) => (
            notes.fact("aggregator", &l.aggregator_id, |id| {
                id.map_or("none".to_owned(), |id| id.to_string())
            }) + &churn(l, notes),
            notes.fact("partner MAC", &l.partner_mac, String::clone),
        ),
    };
    vec![
        Cell::new(format!("  {}", m.name)),
        Cell::new(""),
        Cell::new(""),
        mii_cell(notes, &m.mii_status),
        Cell::new(""),
        Cell::new(speed_duplex(notes, &m.speed_mbps, &m.duplex)),
        Cell::new(notes.fact("link failures", &m.link_failure_count, u64::to_string)),
        Cell::new(aggregator).paint_if(elsewhere.then_some(Paint::BAD)),
        partner_cell(partner),
    ]
}

/// A member's LACP churn, said only when a side churned or could not be
/// read: a healthy port has nothing to say here.
fn churn(l: &MemberLacp, notes: &mut Notes) -> String {
    let mut out = String::new();
    for (side, state, count) in [
        ("actor", &l.actor_churn, &l.actor_churned_count),
        ("partner", &l.partner_churn, &l.partner_churned_count),
    ] {
        match (state, count) {
            (Fact::Known(s), Fact::Known(0)) if s != "churned" => {}
            // A kernel that does not print churn at all: nothing to add.
            (Fact::Unknown(m), Fact::Unknown(_)) if m.reason == Reason::NotSupported => {}
            _ => out.push_str(&format!(
                "\n{side} {} ({}x)",
                notes.fact("churn state", state, String::clone),
                notes.fact("churn count", count, u64::to_string)
            )),
        }
    }
    out
}

fn routes(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    match &s.routes {
        Fact::Known(table) => route_table(out, table, style),
        Fact::Unknown(m) => line(out, &format!("ROUTES {}", notes.mark("routes", m)), style),
    }
    out.push('\n');
    match &s.rules {
        Fact::Known(rules) => {
            let mut t = new_table(style, &["RULE", "FAMILY", "SELECTOR", "ACTION"]);
            for r in rules {
                t.add_row(vec![
                    r.priority.to_string(),
                    format!("ipv{}", r.family),
                    r.selector(),
                    r.action_text(),
                ]);
            }
            push(out, &t);
        }
        Fact::Unknown(m) => line(out, &format!("RULES {}", notes.mark("rules", m)), style),
    }
    out.push('\n');
    match &s.neighbors {
        Fact::Known(neigh) => {
            let mut t = new_table(style, &["NEIGHBOUR", "DEV", "LLADDR", "STATE"]);
            for n in neigh {
                let unreachable = n.state.iter().any(|s| *s == "FAILED" || *s == "INCOMPLETE");
                t.add_row(vec![
                    Cell::new(n.address),
                    Cell::new(&n.dev),
                    Cell::new(n.lladdr.as_deref().unwrap_or("-")),
                    Cell::new(n.state.join(",")).paint_if(unreachable.then_some(Paint::BAD)),
                ]);
            }
            push(out, &t);
        }
        Fact::Unknown(m) => line(
            out,
            &format!("NEIGHBOURS {}", notes.mark("neighbours", m)),
            style,
        ),
    }
}

fn route_table(out: &mut String, table: &RouteTable, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "TABLE",
            "TYPE",
            "DESTINATION",
            "GATEWAY",
            "DEV",
            "PROTO",
            "METRIC",
            "FLAGS",
        ],
    )
    .fold(&["FLAGS", "PROTO", "METRIC", "TYPE"]);
    for e in table.entries().take(MAX_ROUTE_ROWS) {
        let hops: Vec<String> = e
            .nexthops
            .iter()
            .map(|(g, d, w, _)| {
                format!(
                    "{} dev {} weight {w}",
                    g.map_or("-".to_owned(), |g| g.to_string()),
                    d.as_deref().unwrap_or("-")
                )
            })
            .collect();
        let gateway = match (e.gateway, hops.is_empty()) {
            (Some(g), _) => g.to_string(),
            (None, false) => hops.join("\n"),
            (None, true) => "-".to_owned(),
        };
        t.add_row(vec![
            names::table(e.table),
            names::route_type(e.kind),
            if e.dst.len == 0 {
                "default".to_owned()
            } else {
                e.dst.to_string()
            },
            gateway,
            e.dev.clone().unwrap_or_else(|| "-".to_owned()),
            names::protocol(e.protocol),
            e.metric.to_string(),
            route_flag_names(e.flags).collect::<Vec<_>>().join(","),
        ]);
    }
    push(out, &t);
    if table.len() > MAX_ROUTE_ROWS {
        let more = format!(
            "{} more routes not shown ({} IPv4, {} IPv6 in all): use --format json",
            table.len() - MAX_ROUTE_ROWS,
            table.ipv4.len(),
            table.ipv6.len()
        );
        line(out, &more, style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_read_like_nic_datasheets() {
        assert_eq!(speed(10000), "10G");
        assert_eq!(speed(2500), "2.5G");
        assert_eq!(speed(100), "100M");
    }

    /// 100,000 links, each with a reason of its own for an unknown speed (a
    /// footnote each), laid out as a table. Quadratic work (a footnote
    /// looked up by scanning those before it, a layout that re-measures
    /// every row) takes minutes here; linear work is within a small factor
    /// of writing the same links as JSON, which the bound compares with so
    /// that a loaded machine slows both alike.
    #[test]
    fn a_table_of_100k_links_takes_linear_time() {
        use std::time::Instant;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lb-healthy");
        let source = crate::source::Source::open(&root).expect("the fixture opens");
        let mut snap = crate::collect::snapshot(&source, crate::collect::Scope::ALL);
        let Fact::Known(base) = &snap.links else {
            panic!("lb-healthy has links");
        };
        let links: Vec<Link> = (0..100_000)
            .map(|i| {
                let mut l = base[i % base.len()].clone();
                l.iface.name = format!("eth{i}");
                l.speed_mbps =
                    Fact::Unknown(Missing::new(Reason::LinkDown, format!("eth{i} is down")));
                l
            })
            .collect();
        snap.links = Fact::Known(links);
        let started = Instant::now();
        let mut json = Vec::new();
        super::super::json::write(&snap, &[Part::Links], &mut json).expect("JSON");
        let json_time = started.elapsed();
        let started = Instant::now();
        let table = render(&snap, &[Part::Links], &Style::PLAIN);
        let table_time = started.elapsed();
        eprintln!("table {table_time:?}, JSON {json_time:?}");
        assert!(table.contains("] speed: link_down (eth99999 is down)\n"));
        assert!(
            table
                .lines()
                .all(|l| l.chars().count() <= Style::PLAIN.width)
        );
        assert!(
            table_time < json_time * 3 + std::time::Duration::from_secs(2),
            "the table took {table_time:?}, the same links as JSON {json_time:?}"
        );
    }

    #[test]
    fn the_same_reason_is_footnoted_once() {
        let mut n = Notes::default();
        let m = Missing::new(Reason::NotCaptured, "no file");
        assert_eq!(n.mark("a", &m), "?[1]");
        assert_eq!(n.mark("a", &m), "?[1]");
        assert_eq!(
            n.mark("b", &Missing::new(Reason::NotSupported, "x")),
            "n/a[2]"
        );
        let mut out = String::new();
        n.notes.render(&mut out, &Style::PLAIN);
        assert_eq!(
            out,
            "[1] a: not_captured (no file)\n[2] b: not_supported (x)\n"
        );
    }
}
