//! The LLDP neighbours in `show`: a cell for each link of the links table,
//! and the `lldp` part, every TLV heard.

use super::table::{Notes, Style, line, new_table, push};
use crate::snapshot::{Fact, LldpId, LldpNeighbor, Snapshot};

/// What a link faces, for the links table: `sw-a swp7`, `-` when nothing
/// is heard on it.
pub(super) fn neighbour_cell(s: &Snapshot, iface: &str, notes: &mut Notes) -> String {
    match &s.lldp {
        Fact::Unknown(m) => notes.mark("LLDP neighbours", m),
        Fact::Known(all) => {
            let shown: Vec<String> = LldpNeighbor::heard_on(all, iface)
                .into_iter()
                .map(|n| match n.identity() {
                    Ok(_) => n.shown(),
                    Err(m) => notes.mark(&format!("{iface}'s LLDP neighbour"), m),
                })
                .collect();
            if shown.is_empty() {
                "-".to_owned()
            } else {
                shown.join("\n")
            }
        }
    }
}

fn id(i: &LldpId) -> String {
    format!("{} {}", i.kind, i.value)
}

fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".to_owned())
}

pub(super) fn render(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let neighbours = match &s.lldp {
        Fact::Known(n) if n.is_empty() => {
            line(out, "LLDP NEIGHBOURS none heard", style);
            return;
        }
        Fact::Known(n) => n,
        Fact::Unknown(m) => {
            let text = format!("LLDP NEIGHBOURS {}", notes.mark("LLDP neighbours", m));
            line(out, &text, style);
            return;
        }
    };
    let mut t = new_table(
        style,
        &[
            "LINK",
            "VIA",
            "SWITCH",
            "PORT",
            "CHASSIS ID",
            "PORT ID",
            "PORT DESCRIPTION",
            "MANAGEMENT",
            "VLANS",
            "LAG",
            "AGE",
            "SYSTEM",
        ],
    )
    .fold(&[
        "SYSTEM",
        "AGE",
        "LAG",
        "VLANS",
        "MANAGEMENT",
        "PORT DESCRIPTION",
        "CHASSIS ID",
        "PORT ID",
        "VIA",
    ]);
    for n in neighbours {
        let what = |field: &str| format!("{} of {}'s LLDP neighbour", field, n.iface);
        let vlans = notes.fact(&what("the VLANs"), &n.vlans, |vlans| {
            let shown: Vec<String> = vlans
                .iter()
                .map(|v| {
                    let mut s = v.id.to_string();
                    if v.pvid {
                        s.push_str(" pvid");
                    }
                    if let Some(name) = &v.name {
                        s.push(' ');
                        s.push_str(name);
                    }
                    s
                })
                .collect();
            if shown.is_empty() {
                "-".to_owned()
            } else {
                shown.join("\n")
            }
        });
        t.add_row(vec![
            n.iface.clone(),
            n.via.clone(),
            n.switch().to_owned(),
            n.port().to_owned(),
            notes.fact(&what("the chassis id"), &n.chassis_id, id),
            notes.fact(&what("the port id"), &n.port_id, id),
            or_dash(&n.port_description),
            if n.management_addresses.is_empty() {
                "-".to_owned()
            } else {
                n.management_addresses.join("\n")
            },
            vlans,
            notes.fact(&what("the aggregation TLV"), &n.aggregation_port_id, |a| {
                a.map_or_else(|| "-".to_owned(), |a| format!("port {a}"))
            }),
            notes.fact(&what("the age"), &n.age_seconds, |a| {
                a.map_or_else(|| "-".to_owned(), |a| super::table::duration(a as f64))
            }),
            or_dash(&n.system_description),
        ]);
    }
    push(out, &t);
}
