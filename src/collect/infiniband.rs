//! InfiniBand and RoCE ports, from `sys/class/infiniband`: each RDMA
//! device's model and firmware, and each port's state, physical state,
//! rate and counters, as `ibstat` and `perfquery` show them.
//!
//! sysfs writes a state as its number and name (`4: ACTIVE`,
//! `5: LinkUp`), a rate as `40 Gb/sec (4X QDR)`, and a counter the device
//! has no performance management agent for as `N/A (no PMA)`.

use std::collections::BTreeMap;

use super::storage::{class_entries, optional_value};
use super::{file_missing, parse_number, read_value};
use crate::snapshot::{Fact, IB_PHYS_STATES, IB_STATES, IbDevice, IbPort, Missing, Reason};
use crate::source::Source;

pub const CLASS: &str = "sys/class/infiniband";

pub fn collect(source: &Source) -> Fact<Vec<IbDevice>> {
    match class_entries(source, CLASS) {
        Ok(names) => Fact::Known(names.iter().map(|n| device(source, n)).collect()),
        Err(m) => Fact::Unknown(m),
    }
}

fn device(source: &Source, name: &str) -> IbDevice {
    let dir = format!("{CLASS}/{name}");
    let text = |file: &str| -> Fact<String> { read_value(source, &format!("{dir}/{file}")).into() };
    let ports_dir = format!("{dir}/ports");
    let ports = source
        .root()
        .read_dir(&ports_dir)
        .map_err(|e| file_missing(&ports_dir, &e))
        .map(|entries| {
            let mut numbers: Vec<u32> = entries.iter().filter_map(|e| e.parse().ok()).collect();
            numbers.sort_unstable();
            numbers
                .into_iter()
                .map(|n| port(source, &format!("{ports_dir}/{n}"), n))
                .collect()
        });
    IbDevice {
        name: name.to_owned(),
        hca_type: text("hca_type"),
        board_id: text("board_id"),
        firmware_version: text("fw_ver"),
        ports: ports.into(),
    }
}

/// `4: ACTIVE`: the name, which must be the one the kernel gives that
/// number.
pub fn parse_state(text: &str, names: &[&str]) -> Result<String, String> {
    let (number, name) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not \"NUMBER: NAME\""))?;
    let (number, name) = (number.trim(), name.trim());
    let n: usize = number
        .parse()
        .map_err(|_| format!("{text:?}: {number:?} is not a number"))?;
    match names.get(n) {
        Some(expected) if *expected == name => Ok(name.to_owned()),
        Some(expected) => Err(format!(
            "{text:?}: the kernel names {n} {expected}, not {name}"
        )),
        None => Err(format!("{text:?}: no state {n}")),
    }
}

/// `40 Gb/sec (4X QDR)`, `2.5 Gb/sec (1X SDR)`, `10 Gb/sec (4X)`: the rate
/// in Gbit/s, the width in lanes, and the lane speed's name.
pub fn parse_rate(text: &str) -> Option<(f64, u32, Option<String>)> {
    let (rate, rest) = text.trim().split_once(" Gb/sec")?;
    let rate: f64 = rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)?;
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    let mut words = inner.split_whitespace();
    let width: u32 = words.next()?.strip_suffix('X')?.parse().ok()?;
    let speed = words.next().map(str::to_owned);
    if words.next().is_some() || width == 0 {
        return None;
    }
    Some((rate, width, speed))
}

fn port(source: &Source, dir: &str, number: u32) -> IbPort {
    let state = |file: &str, names: &[&str]| -> Fact<String> {
        let rel = format!("{dir}/{file}");
        read_value(source, &rel)
            .and_then(|t| {
                parse_state(&t, names)
                    .map_err(|e| Missing::new(Reason::Malformed, format!("{rel}: {e}")))
            })
            .into()
    };
    let rate_rel = format!("{dir}/rate");
    let rate = read_value(source, &rate_rel).and_then(|t| {
        parse_rate(&t).ok_or_else(|| {
            Missing::new(
                Reason::Malformed,
                format!("{rate_rel}: {t:?} is not \"RATE Gb/sec (WIDTH SPEED)\""),
            )
        })
    });
    let link_layer: Fact<String> = read_value(source, &format!("{dir}/link_layer")).into();
    // A RoCE port's traffic goes through an Ethernet device, named by the
    // GID table; an InfiniBand port's GIDs name none.
    let netdev =
        match link_layer.known().map(String::as_str) {
            Some("Ethernet") => optional_value(source, &format!("{dir}/gid_attrs/ndevs/0")),
            Some(_) => Fact::Known(None),
            None => Fact::Unknown(link_layer.missing().cloned().unwrap_or_else(|| {
                Missing::new(Reason::Failed, "the link layer could not be read")
            })),
        };
    let phys_state = state("phys_state", IB_PHYS_STATES);
    // Without a trained link the kernel still prints a rate: the width and
    // speed it last had, or SDR for none. Not a negotiated rate.
    let rate: Fact<(f64, u32, Option<String>)> = match phys_state.known() {
        Some(p) if p != "LinkUp" => Fact::unknown(
            Reason::LinkDown,
            format!("{dir}: the physical link is {p}, so it has no negotiated rate"),
        ),
        _ => rate.into(),
    };
    IbPort {
        number,
        state: state("state", IB_STATES),
        phys_state,
        rate_gbps: rate.clone().map(|r| r.0),
        width: rate.clone().map(|r| r.1),
        speed: rate.map(|r| r.2),
        link_layer,
        netdev,
        counters: counters(source, &format!("{dir}/counters")).into(),
    }
}

/// Every counter in `counters/`.
fn counters(source: &Source, dir: &str) -> Result<BTreeMap<String, Fact<u64>>, Missing> {
    let names = class_entries(source, dir)?;
    Ok(names
        .into_iter()
        .map(|n| {
            let rel = format!("{dir}/{n}");
            let value = match read_value(source, &rel) {
                Ok(t) if t.starts_with("N/A") => Fact::unknown(
                    Reason::NotSupported,
                    format!(
                        "{rel}: {t:?}: the device keeps no performance management agent for it"
                    ),
                ),
                Ok(t) => parse_number(&t).map_or_else(
                    || Fact::unknown(Reason::Malformed, format!("{rel}: unexpected value {t:?}")),
                    Fact::Known,
                ),
                Err(m) => Fact::Unknown(m),
            };
            (n, value)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_rates_as_sysfs_prints_them() {
        assert_eq!(parse_state("4: ACTIVE", IB_STATES).unwrap(), "ACTIVE");
        assert_eq!(parse_state("5: LinkUp", IB_PHYS_STATES).unwrap(), "LinkUp");
        assert_eq!(
            parse_state("7: Phy Test", IB_PHYS_STATES).unwrap(),
            "Phy Test"
        );
        // prometheus/procfs's mlx5_0 says "4: ACTIVE" for its physical
        // state: 4 is PortConfigurationTraining there.
        let e = parse_state("4: ACTIVE", IB_PHYS_STATES).unwrap_err();
        assert!(e.contains("PortConfigurationTraining"), "{e}");
        assert!(parse_state("ACTIVE", IB_STATES).is_err());
        assert!(parse_state("9: ACTIVE", IB_STATES).is_err());
        assert_eq!(
            parse_rate("40 Gb/sec (4X QDR)"),
            Some((40.0, 4, Some("QDR".into())))
        );
        assert_eq!(
            parse_rate("2.5 Gb/sec (1X SDR)"),
            Some((2.5, 1, Some("SDR".into())))
        );
        assert_eq!(parse_rate("10 Gb/sec (4X)"), Some((10.0, 4, None)));
        assert_eq!(parse_rate("25 Gb/sec (1X EDR)").map(|r| r.1), Some(1));
        for bad in [
            "",
            "40 Gb/sec",
            "40 Gb/sec (X QDR)",
            "fast (4X QDR)",
            "0 Gb/sec (4X)",
        ] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
    }
}
