//! The InfiniBand and RoCE ports of `hostlint show links`: each port's
//! state, physical state, rate and width, and the error counters that are
//! not zero.

use comfy_table::{Cell, Color};

use super::table::{Notes, Style, new_table};
use crate::snapshot::{Fact, IB_ERROR_COUNTERS, IbDevice, Snapshot, gbit_text};

pub fn render(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let devices = match &s.infiniband {
        Fact::Known(d) if d.is_empty() => {
            out.push_str("INFINIBAND none\n");
            return;
        }
        Fact::Known(d) => d,
        Fact::Unknown(m) => {
            out.push_str(&format!(
                "INFINIBAND {}\n",
                notes.mark("InfiniBand ports", m)
            ));
            return;
        }
    };
    let mut t = new_table(
        style,
        &[
            "IB PORT", "HCA", "STATE", "RATE", "LAYER", "FIRMWARE", "ERRORS",
        ],
    );
    for d in devices {
        rows(&mut t, d, notes, style);
    }
    out.push_str(&t.to_string());
    out.push('\n');
}

fn rows(t: &mut comfy_table::Table, d: &IbDevice, notes: &mut Notes, style: &Style) {
    let hca = notes.fact("HCA type", &d.hca_type, String::clone);
    let fw = notes.fact("firmware", &d.firmware_version, String::clone);
    let ports = match &d.ports {
        Fact::Known(p) => p,
        Fact::Unknown(m) => {
            t.add_row(vec![
                Cell::new(&d.name),
                Cell::new(hca),
                Cell::new(notes.mark("ports", m)),
            ]);
            return;
        }
    };
    for p in ports {
        let state = format!(
            "{} {}",
            notes.fact("port state", &p.state, String::clone),
            notes.fact("physical state", &p.phys_state, String::clone)
        );
        let good = p.state.known().is_some_and(|s| s == "ACTIVE")
            && p.phys_state.known().is_some_and(|s| s == "LinkUp");
        let rate = match (&p.rate_gbps, &p.width, &p.speed) {
            (Fact::Known(r), Fact::Known(w), Fact::Known(sp)) => format!(
                "{} {w}X{}",
                gbit_text(*r),
                sp.as_ref().map(|s| format!(" {s}")).unwrap_or_default()
            ),
            (r, _, _) => notes.fact("rate", r, |r| gbit_text(*r)),
        };
        let layer = notes.fact("link layer", &p.link_layer, |l| match p.netdev.known() {
            Some(Some(dev)) => format!("{l} ({dev})"),
            _ => l.clone(),
        });
        let errors = notes.fact("IB counters", &p.counters, |c| {
            let shown: Vec<String> = IB_ERROR_COUNTERS
                .iter()
                .filter_map(|(name, _)| match c.get(*name) {
                    Some(Fact::Known(v)) if *v > 0 => Some(format!("{name} {v}")),
                    _ => None,
                })
                .collect();
            if shown.is_empty() {
                "none".to_owned()
            } else {
                shown.join("\n")
            }
        });
        let state_cell = if style.color {
            Cell::new(&state).fg(if good { Color::Green } else { Color::Red })
        } else {
            Cell::new(&state)
        };
        t.add_row(vec![
            Cell::new(d.port_name(p)),
            Cell::new(&hca),
            state_cell,
            Cell::new(rate),
            Cell::new(layer),
            Cell::new(&fw),
            Cell::new(errors),
        ]);
    }
}
