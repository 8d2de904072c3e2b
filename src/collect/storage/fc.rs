//! Fibre Channel HBA ports (`sys/class/fc_host/hostN`): state, speed,
//! names, and the error statistics of the port. Statistics are printed in
//! hex (`0x1c`); a driver that does not keep a counter prints all ones
//! (`0xffffffffffffffff`), which is unknown here, never a count.

use std::collections::BTreeMap;

use super::{class_entries, link_target, malformed, pci_of};
use crate::collect::{parse_number, read_value};
use crate::snapshot::{Fact, FcHost, Missing, Reason, parse_gbit};
use crate::source::Source;

pub const FC_HOSTS: &str = "sys/class/fc_host";
/// Write-only: writing it resets the counters. Never read.
const RESET: &str = "reset_statistics";

pub fn collect(source: &Source) -> Fact<Vec<FcHost>> {
    match class_entries(source, FC_HOSTS) {
        Ok(names) => Fact::Known(names.iter().map(|n| host(source, n)).collect()),
        Err(m) => Fact::Unknown(m),
    }
}

/// `16 Gbit`; `unknown` and `Not Negotiated` are no speed.
fn speed(rel: &str, text: &str) -> Result<Option<f64>, Missing> {
    if text.eq_ignore_ascii_case("unknown") || text == "Not Negotiated" {
        return Ok(None);
    }
    parse_gbit(text)
        .map(Some)
        .ok_or_else(|| malformed(rel, text))
}

pub fn counter(rel: &str, text: &str) -> Fact<u64> {
    match parse_number(text) {
        Some(u64::MAX) => Fact::unknown(
            Reason::NotSupported,
            format!("{rel}: {text}: the driver does not keep this counter"),
        ),
        Some(v) => Fact::Known(v),
        None => Fact::Unknown(malformed(rel, text)),
    }
}

fn host(source: &Source, name: &str) -> FcHost {
    let dir = format!("{FC_HOSTS}/{name}");
    let text = |file: &str| -> Fact<String> { read_value(source, &format!("{dir}/{file}")).into() };
    let speed_rel = format!("{dir}/speed");
    let speeds_rel = format!("{dir}/supported_speeds");
    let stats_dir = format!("{dir}/statistics");
    let statistics = class_entries(source, &stats_dir).map(|names| {
        names
            .iter()
            .filter(|n| n.as_str() != RESET)
            .map(|n| {
                let rel = format!("{stats_dir}/{n}");
                let value =
                    read_value(source, &rel).map_or_else(Fact::Unknown, |t| counter(&rel, &t));
                (n.clone(), value)
            })
            .collect::<BTreeMap<_, _>>()
    });
    FcHost {
        name: name.to_owned(),
        port_name: text("port_name"),
        node_name: text("node_name"),
        port_state: text("port_state"),
        port_type: text("port_type"),
        speed_gbps: read_value(source, &speed_rel)
            .and_then(|t| speed(&speed_rel, &t))
            .into(),
        supported_speeds_gbps: read_value(source, &speeds_rel)
            .and_then(|t| {
                if t.eq_ignore_ascii_case("unknown") {
                    return Ok(Vec::new());
                }
                t.split(',')
                    .map(|s| parse_gbit(s).ok_or_else(|| malformed(&speeds_rel, &t)))
                    .collect()
            })
            .into(),
        fabric_name: text("fabric_name"),
        symbolic_name: text("symbolic_name"),
        adapter: link_target(source, &dir).map(|p| pci_of(&p)).into(),
        statistics: statistics.into(),
    }
}
