//! Tables an operator reads in seconds. A fact that could not be read shows
//! as `?` (or `n/a` when the hardware or driver does not provide it) with a
//! numbered footnote that says why; a fact that does not apply shows as `-`.

use std::borrow::Cow;

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{Cell, Color, ContentArrangement, Row, Table};

use super::{MAX_CELL_WORD, shorten_words};

use crate::snapshot::{
    Bond, BondMember, Duplex, Fact, Link, MemberLacp, Missing, Reason, RouteTable, Snapshot,
    mode_has_active_member, names, route_flag_names,
};

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
    lines: Vec<String>,
}

impl Notes {
    pub(super) fn mark(&mut self, what: &str, m: &Missing) -> String {
        let line = format!("{what}: {} ({})", m.reason, m.detail);
        let n = match self.lines.iter().position(|l| *l == line) {
            Some(i) => i + 1,
            None => {
                self.lines.push(line);
                self.lines.len()
            }
        };
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

    fn render(&self) -> String {
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| format!("[{}] {l}\n", i + 1))
            .collect()
    }
}

/// How to draw: colour only when the caller says so (a terminal and no
/// `NO_COLOR`), and the width when it is not the terminal's.
pub struct Style {
    pub color: bool,
    pub width: Option<u16>,
}

pub(super) fn new_table(style: &Style, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        t.set_width(w);
    }
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(Cell::new));
    t
}

/// The table as text. comfy-table wraps a word longer than a line in time
/// quadratic in its length and pads every row of a column to its widest
/// cell, so a host's value of one long token (a sysfs file of 50,000 `x`)
/// would hang the table or blow it up to megabytes: such a table is drawn
/// again with those words cut (and their cells' colour lost).
pub(super) fn draw(t: &Table, style: &Style) -> String {
    let too_long = |row: &Row| {
        row.cell_iter()
            .any(|c| matches!(shorten_words(&c.content(), MAX_CELL_WORD), Cow::Owned(_)))
    };
    if !t.header().into_iter().chain(t.row_iter()).any(too_long) {
        return t.to_string();
    }
    let cut_row = |row: &Row| -> Vec<String> {
        row.cell_iter()
            .map(|c| shorten_words(&c.content(), MAX_CELL_WORD).into_owned())
            .collect()
    };
    let header = t.header().map(cut_row).unwrap_or_default();
    let mut cut = new_table(
        style,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for row in t.row_iter() {
        cut.add_row(cut_row(row));
    }
    cut.to_string()
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
    if !notes.lines.is_empty() {
        out.push('\n');
        out.push_str(&notes.render());
    }
    out
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
    out.push_str(&draw(&t, style));
    out.push('\n');
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

fn state_cell(l: &Link, notes: &mut Notes, color: bool) -> Cell {
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
    let cell = Cell::new(&text);
    if !color {
        return cell;
    }
    let c = match text.as_str() {
        "up" => Color::Green,
        "unknown" => Color::Yellow,
        _ => Color::Red,
    };
    cell.fg(c)
}

fn links(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let links = match &s.links {
        Fact::Known(l) => l,
        Fact::Unknown(m) => {
            out.push_str(&format!("LINKS {}\n", notes.mark("links", m)));
            return;
        }
    };
    let mut t = new_table(
        style,
        &[
            "LINK",
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
    );
    for l in links {
        let i = &l.iface;
        let name = i.name.as_str();
        let speed_text = speed_duplex(notes, &l.speed_mbps, &l.duplex);
        let driver = notes.fact("driver", &l.driver, |d| d.driver.clone());
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
        // The operator's own description of the port says what it faces.
        let shown_name = match i.ifalias.known() {
            Some(Some(alias)) => format!("{name}\n“{alias}”"),
            _ => name.to_owned(),
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
            Cell::new(shown_name),
            Cell::new(kind),
            state_cell(l, notes, style.color),
            Cell::new(speed_text),
            Cell::new(driver),
            Cell::new(pci),
            Cell::new(pcie),
            Cell::new(place),
            Cell::new(flaps),
            Cell::new(master),
            Cell::new(mtu),
            Cell::new(addrs),
            Cell::new(neighbour),
        ]);
    }
    out.push_str(&draw(&t, style));
    out.push('\n');
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

fn mii_cell(notes: &mut Notes, mii: &Fact<String>, color: bool) -> Cell {
    let text = notes.fact("MII status", mii, String::clone);
    let cell = Cell::new(&text);
    match (color, mii.known().map(String::as_str)) {
        (false, _) | (_, None) => cell,
        (true, Some("up")) => cell.fg(Color::Green),
        (true, Some(_)) => cell.fg(Color::Red),
    }
}

fn bonds(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let bonds = match &s.bonds {
        Fact::Known(b) if b.is_empty() => {
            out.push_str("BONDS none\n");
            return;
        }
        Fact::Known(b) => b,
        Fact::Unknown(m) => {
            out.push_str(&format!("BONDS {}\n", notes.mark("bonds", m)));
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
    );
    // A file that was not the bonding driver's report, or a bond that
    // vanished while being read: one reason for every fact, said once.
    if let (Fact::Unknown(m), Fact::Unknown(members)) = (&b.mode, &b.members)
        && m == members
    {
        t.add_row(vec![b.name.clone(), notes.mark("bond", m)]);
        out.push_str(&draw(&t, style));
        out.push('\n');
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
        mii_cell(notes, &b.mii_status, style.color),
        Cell::new(active),
        Cell::new(""),
        Cell::new(""),
        Cell::new(aggregator),
        Cell::new(partner),
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
                t.add_row(member_row(m, notes, style));
            }
        }
    }
    out.push_str(&draw(&t, style));
    out.push('\n');
}

fn member_row(m: &BondMember, notes: &mut Notes, style: &Style) -> Vec<Cell> {
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
        mii_cell(notes, &m.mii_status, style.color),
        Cell::new(""),
        Cell::new(speed_duplex(notes, &m.speed_mbps, &m.duplex)),
        Cell::new(notes.fact("link failures", &m.link_failure_count, u64::to_string)),
        Cell::new(aggregator),
        Cell::new(partner),
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
        Fact::Unknown(m) => out.push_str(&format!("ROUTES {}\n", notes.mark("routes", m))),
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
            out.push_str(&draw(&t, style));
            out.push('\n');
        }
        Fact::Unknown(m) => out.push_str(&format!("RULES {}\n", notes.mark("rules", m))),
    }
    out.push('\n');
    match &s.neighbors {
        Fact::Known(neigh) => {
            let mut t = new_table(style, &["NEIGHBOUR", "DEV", "LLADDR", "STATE"]);
            for n in neigh {
                t.add_row(vec![
                    n.address.to_string(),
                    n.dev.clone(),
                    n.lladdr.clone().unwrap_or_else(|| "-".to_owned()),
                    n.state.join(","),
                ]);
            }
            out.push_str(&draw(&t, style));
            out.push('\n');
        }
        Fact::Unknown(m) => out.push_str(&format!("NEIGHBOURS {}\n", notes.mark("neighbours", m))),
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
    );
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
    out.push_str(&draw(&t, style));
    out.push('\n');
    if table.len() > MAX_ROUTE_ROWS {
        out.push_str(&format!(
            "{} more routes not shown ({} IPv4, {} IPv6 in all): use --format json\n",
            table.len() - MAX_ROUTE_ROWS,
            table.ipv4.len(),
            table.ipv6.len()
        ));
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
        assert_eq!(
            n.render(),
            "[1] a: not_captured (no file)\n[2] b: not_supported (x)\n"
        );
    }
}
