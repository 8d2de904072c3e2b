//! SAS phys of HBAs and expanders (`sys/class/sas_phy`): the negotiated
//! link rate against the phy's maximum, and the four error counters SAS
//! keeps per phy. A loose or marginal cable shows as invalid dwords,
//! running disparity errors and loss of dword sync rising, and as a link
//! that renegotiates at a lower rate.
//!
//! Reading an expander phy's counters makes the kernel ask the expander
//! (an SMP REPORT PHY ERROR LOG request): a query, but one that crosses
//! the cable it is about.

use super::{class_entries, link_target, malformed, scsi_host_of};
use crate::collect::{read_parsed, read_value};
use crate::snapshot::{Fact, SasPhy, parse_gbit};
use crate::source::Source;

pub const PHYS: &str = "sys/class/sas_phy";

pub fn collect(source: &Source) -> Fact<Vec<SasPhy>> {
    match class_entries(source, PHYS) {
        Ok(mut names) => {
            names.sort_by_key(|n| order(n));
            Fact::Known(names.iter().map(|n| phy(source, n)).collect())
        }
        Err(m) => Fact::Unknown(m),
    }
}

/// The order an operator reads phys in: the HBA's (`phy-2:3`) before the
/// expanders' (`phy-2:0:11`), each by number rather than as text.
fn order(name: &str) -> (usize, Vec<u64>, String) {
    let nums: Vec<u64> = name
        .trim_start_matches("phy-")
        .split(':')
        .map(|n| n.parse().unwrap_or(u64::MAX))
        .collect();
    (nums.len(), nums, name.to_owned())
}

fn phy(source: &Source, name: &str) -> SasPhy {
    let dir = format!("{PHYS}/{name}");
    let text = |file: &str| -> Fact<String> { read_value(source, &format!("{dir}/{file}")).into() };
    let count = |file: &str| -> Fact<u64> {
        read_parsed(source, &format!("{dir}/{file}"), |t| t.parse().ok()).into()
    };
    let rate = |file: &str| -> Fact<f64> {
        read_parsed(source, &format!("{dir}/{file}"), parse_gbit).into()
    };
    let negotiated_rel = format!("{dir}/negotiated_linkrate");
    let negotiated_linkrate: Fact<String> = read_value(source, &negotiated_rel).into();
    // A rate, or a state of a phy without a link: the kernel's
    // `sas_linkspeed_names`.
    let negotiated_gbps = negotiated_linkrate
        .clone()
        .and_then(|t| match parse_gbit(&t) {
            Some(r) => Fact::Known(Some(r)),
            None if matches!(
                t.as_str(),
                "Unknown" | "Phy disabled" | "Link Rate failed" | "Spin-up hold"
            ) =>
            {
                Fact::Known(None)
            }
            None => Fact::Unknown(malformed(&negotiated_rel, &t)),
        });
    SasPhy {
        name: name.to_owned(),
        sas_address: text("sas_address"),
        device_type: text("device_type"),
        enabled: read_parsed(source, &format!("{dir}/enable"), |t| match t {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        })
        .into(),
        negotiated_linkrate,
        negotiated_gbps,
        maximum_gbps: rate("maximum_linkrate"),
        maximum_hw_gbps: rate("maximum_linkrate_hw"),
        invalid_dword_count: count("invalid_dword_count"),
        running_disparity_error_count: count("running_disparity_error_count"),
        loss_of_dword_sync_count: count("loss_of_dword_sync_count"),
        phy_reset_problem_count: count("phy_reset_problem_count"),
        scsi_host: link_target(source, &dir).map(|p| scsi_host_of(&p)).into(),
    }
}
