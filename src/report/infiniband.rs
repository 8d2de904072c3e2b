//! The InfiniBand and RoCE ports of `hostlint show links`: each port's
//! state, physical state, rate and width, and the error counters that are
//! not zero.

use super::layout::{Cell, Paint, Table};
use super::table::{Notes, Style, line, new_table, push};
use crate::snapshot::{Fact, IB_ERROR_COUNTERS, IbDevice, Snapshot, gbit_text};

pub fn render(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let devices = match &s.infiniband {
        Fact::Known(d) if d.is_empty() => {
            line(out, "INFINIBAND none", style);
            return;
        }
        Fact::Known(d) => d,
        Fact::Unknown(m) => {
            let mark = notes.mark("InfiniBand ports", m);
            line(out, &format!("INFINIBAND {mark}"), style);
            return;
        }
    };
    let mut t = new_table(
        style,
        &[
            "IB PORT", "HCA", "STATE", "RATE", "LAYER", "FIRMWARE", "ERRORS",
        ],
    )
    .fold(&["FIRMWARE", "HCA", "LAYER"]);
    for d in devices {
        rows(&mut t, d, notes);
    }
    push(out, &t);
}

fn rows(t: &mut Table, d: &IbDevice, notes: &mut Notes) {
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
        t.add_row(vec![
            Cell::new(d.port_name(p)),
            Cell::new(&hca),
            Cell::new(state).paint(if good { Paint::GOOD } else { Paint::BAD }),
            Cell::new(rate),
            Cell::new(layer),
            Cell::new(&fw),
            Cell::new(errors),
        ]);
    }
}
