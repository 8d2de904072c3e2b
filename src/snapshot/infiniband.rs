//! InfiniBand and RoCE ports: the state of each port of each RDMA device,
//! its rate, and the error counters its performance management agent
//! keeps. An HPC or storage fabric's cabling faults show here first: a
//! port that trained at 1X instead of 4X, or at a slower speed, symbol
//! errors and link recoveries climbing on a marginal cable.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::Fact;

/// An RDMA device (`sys/class/infiniband/DEVICE`): an HCA, or the RDMA
/// side of a RoCE NIC.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IbDevice {
    /// `mlx5_0`
    pub name: String,
    /// The adapter model: `MT4099`.
    pub hca_type: Fact<String>,
    pub board_id: Fact<String>,
    pub firmware_version: Fact<String>,
    pub ports: Fact<Vec<IbPort>>,
}

/// One port of an RDMA device (`ports/N`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IbPort {
    pub number: u32,
    /// The logical state: one of [`IB_STATES`]; `ACTIVE` passes traffic.
    pub state: Fact<String>,
    /// The physical link's state: one of [`IB_PHYS_STATES`]; `LinkUp` when
    /// the cable trained.
    pub phys_state: Fact<String>,
    /// `InfiniBand`, or `Ethernet` for RoCE.
    pub link_layer: Fact<String>,
    /// The active rate in Gbit/s: width times lane speed.
    pub rate_gbps: Fact<f64>,
    /// The active width in lanes (1, 2, 4, 8, 12): a 4X cable that lost a
    /// lane comes up at 1X.
    pub width: Fact<u32>,
    /// The lane speed's name: `SDR`, `DDR`, `QDR`, `FDR10`, `FDR`, `EDR`,
    /// `HDR`, `NDR`, `XDR`; `null` where the kernel names none.
    pub speed: Fact<Option<String>>,
    /// The network device of a RoCE port (from its first GID); `null` on
    /// an InfiniBand link layer.
    pub netdev: Fact<Option<String>>,
    /// The port's counters as `counters/` names them, raw: the data
    /// counters count 4-octet words, as the IBTA defines them. A counter
    /// the device keeps no agent for (`N/A (no PMA)`) is unknown.
    pub counters: Fact<BTreeMap<String, Fact<u64>>>,
}

/// `ib_port_state` names, as sysfs prints them after the number.
pub const IB_STATES: &[&str] = &["NOP", "DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER"];

/// `ib_port_phys_state` names, by number (0 has none).
pub const IB_PHYS_STATES: &[&str] = &[
    "<unknown>",
    "Sleep",
    "Polling",
    "Disabled",
    "PortConfigurationTraining",
    "LinkUp",
    "LinkErrorRecovery",
    "Phy Test",
];

pub const IB_LINK_LAYERS: &[&str] = &["InfiniBand", "Ethernet"];

/// The error counters of a port, with the width the IBTA gives each in
/// PortCounters: they stop at their maximum (they saturate, not wrap), so
/// a counter at its maximum no longer shows growth.
pub const IB_ERROR_COUNTERS: &[(&str, u32)] = &[
    ("symbol_error", 16),
    ("link_error_recovery", 8),
    ("link_downed", 8),
    ("port_rcv_errors", 16),
    ("port_rcv_remote_physical_errors", 16),
    ("port_rcv_switch_relay_errors", 16),
    ("local_link_integrity_errors", 4),
    ("excessive_buffer_overrun_errors", 4),
    ("port_xmit_discards", 16),
    ("port_xmit_constraint_errors", 8),
    ("port_rcv_constraint_errors", 8),
    ("VL15_dropped", 16),
];

/// The counters of `counters/` a port may have, errors first.
pub const IB_COUNTERS: &[&str] = &[
    "symbol_error",
    "link_error_recovery",
    "link_downed",
    "port_rcv_errors",
    "port_rcv_remote_physical_errors",
    "port_rcv_switch_relay_errors",
    "local_link_integrity_errors",
    "excessive_buffer_overrun_errors",
    "port_xmit_discards",
    "port_xmit_constraint_errors",
    "port_rcv_constraint_errors",
    "VL15_dropped",
    "port_xmit_wait",
    "port_xmit_data",
    "port_rcv_data",
    "port_xmit_packets",
    "port_rcv_packets",
    "unicast_xmit_packets",
    "unicast_rcv_packets",
    "multicast_xmit_packets",
    "multicast_rcv_packets",
];

/// The largest value a counter of the IBTA's fixed width can hold, where
/// it stops: `None` for the counters whose width the device chooses.
pub fn ib_counter_ceiling(name: &str) -> Option<u64> {
    if name == "port_xmit_wait" {
        return Some(u64::from(u32::MAX));
    }
    IB_ERROR_COUNTERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bits)| (1u64 << bits) - 1)
}

impl IbDevice {
    /// `mlx5_0/1`: how a port is named in findings and changes.
    pub fn port_name(&self, p: &IbPort) -> String {
        format!("{}/{}", self.name, p.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_of_the_fixed_width_counters() {
        assert_eq!(ib_counter_ceiling("symbol_error"), Some(65_535));
        assert_eq!(ib_counter_ceiling("link_downed"), Some(255));
        assert_eq!(ib_counter_ceiling("local_link_integrity_errors"), Some(15));
        assert_eq!(ib_counter_ceiling("port_xmit_wait"), Some(4_294_967_295));
        assert_eq!(ib_counter_ceiling("port_xmit_data"), None);
        assert!(
            IB_ERROR_COUNTERS
                .iter()
                .all(|(n, _)| IB_COUNTERS.contains(n))
        );
    }
}
