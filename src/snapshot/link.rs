//! Network links: what rtnetlink says of each interface, what ethtool says of
//! its physical link, and where its hardware sits on the PCI bus.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

use super::Fact;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Link {
    #[serde(flatten)]
    pub iface: Interface,
    pub addresses: Fact<Vec<Address>>,
    pub speed_mbps: Fact<u32>,
    pub duplex: Fact<Duplex>,
    pub link_modes: Fact<LinkModes>,
    pub driver: Fact<DriverInfo>,
    /// The hardware behind the link; `null` for a virtual link.
    pub device: Fact<Option<Device>>,
}

/// What rtnetlink says of an interface (or sysfs, where no netlink data is
/// at hand).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Interface {
    pub ifindex: Fact<u32>,
    pub name: String,
    /// `veth`, `bridge`, `bond`, `vlan`, ...: the rtnetlink link kind; a link
    /// without one is `physical` when it has a parent device, `loopback` for lo.
    pub kind: Fact<String>,
    pub mac: Fact<Option<String>>,
    pub permanent_mac: Fact<Option<String>>,
    pub admin_up: Fact<bool>,
    /// RFC 2863 state as the kernel reports it: up, down, lowerlayerdown, ...
    pub operstate: Fact<String>,
    pub carrier: Fact<bool>,
    pub carrier_changes: Fact<u64>,
    pub carrier_up_count: Fact<u64>,
    pub carrier_down_count: Fact<u64>,
    pub mtu: Fact<u32>,
    /// The bond, bridge or VRF this link is enslaved to.
    pub master: Fact<Option<String>>,
    /// The switch port or representor name the driver gives (e.g. `p0`).
    pub phys_port_name: Fact<Option<String>>,
    /// The physical port's identifier, in hex: the same for every function
    /// and representor on one port; `null` when the driver gives none.
    pub phys_port_id: Fact<Option<String>>,
    /// The switch's identifier, in hex, for the ports of one switch ASIC
    /// (switchdev); `null` when the link is no switch port.
    pub phys_switch_id: Fact<Option<String>>,
    /// The description an operator gave the link (`ip link set X alias
    /// ...`); `null` when none.
    pub ifalias: Fact<Option<String>>,
    /// The transmit queue length in packets (0 for a device without a
    /// queue of its own).
    pub tx_queue_len: Fact<u32>,
    pub counters: Fact<Counters>,
}

impl Interface {
    /// Why the link's name is not the kernel's own: a name that is not
    /// UTF-8 is shown with U+FFFD in place of what is not, so every fact
    /// read by the name (ethtool, the driver, sysfs, addresses and counters
    /// by name) is unknown, and so is whether a selector by name matches.
    pub fn name_unreadable(&self) -> Option<super::Missing> {
        self.name.contains('\u{fffd}').then(|| {
            let index = self
                .ifindex
                .known()
                .map_or_else(String::new, |i| format!(" (ifindex {i})"));
            super::Missing::new(
                super::Reason::Malformed,
                format!(
                    "the kernel's name of this link{index} is not UTF-8 text: shown as {:?}, its facts read by name are unknown",
                    self.name
                ),
            )
        })
    }
}

/// The 64-bit interface counters (`struct rtnl_link_stats64`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Counters {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub rx_over_errors: u64,
    pub rx_crc_errors: u64,
    pub rx_frame_errors: u64,
    pub rx_fifo_errors: u64,
    pub rx_length_errors: u64,
    pub rx_missed_errors: u64,
    pub multicast: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
    pub tx_carrier_errors: u64,
    pub tx_aborted_errors: u64,
    pub tx_fifo_errors: u64,
    pub tx_window_errors: u64,
    pub tx_heartbeat_errors: u64,
    pub collisions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Address {
    pub address: IpAddr,
    pub prefix_len: u8,
    /// `global`, `link`, `host`, `site` or a number.
    pub scope: String,
    /// The states an operator acts on: `tentative`, `dadfailed`,
    /// `deprecated`, `permanent` (no lifetime), `secondary`.
    pub flags: Vec<&'static str>,
}

/// What ethtool's link settings say: the negotiated speed and duplex, and
/// the modes behind them.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSettings {
    pub speed_mbps: Fact<u32>,
    pub duplex: Fact<Duplex>,
    pub modes: LinkModes,
}

/// Autonegotiation and the link modes (`10000baseT/Full`) of each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LinkModes {
    pub autoneg: bool,
    pub supports_autoneg: bool,
    /// Link modes the hardware supports.
    pub supported: Vec<String>,
    /// Link modes this side advertises.
    pub advertised: Vec<String>,
    /// Link modes the link partner advertises; empty when it says none.
    pub partner_advertised: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duplex {
    Half,
    Full,
}

/// `ETHTOOL_GDRVINFO` (`ethtool -i IFACE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DriverInfo {
    pub driver: String,
    pub version: Option<String>,
    pub firmware_version: Option<String>,
    pub bus_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Device {
    /// `pci`, `usb`, `platform`, ...
    pub subsystem: Fact<String>,
    /// The device's name on its bus, e.g. `0000:03:00.0`.
    pub address: String,
    /// The device directory, relative to the root: the evidence for every
    /// fact below.
    pub path: String,
    pub pci: Option<PciDevice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PciDevice {
    /// The PCI function, e.g. `0000:03:00.0`.
    pub address: String,
    pub vendor_id: Fact<String>,
    pub device_id: Fact<String>,
    pub subsystem_vendor_id: Fact<String>,
    pub subsystem_device_id: Fact<String>,
    /// `null` when the platform gives the device no NUMA affinity (-1).
    pub numa_node: Fact<Option<u32>>,
    pub onboard: Fact<Onboard>,
    /// The PCIe link of the device itself; `null` for conventional PCI.
    pub pcie: Fact<Option<PcieLink>>,
    /// The PCIe ports between the device and the root complex, nearest first:
    /// a device cannot train faster or wider than the narrowest of them.
    pub upstream: Vec<PciePort>,
}

/// Whether the NIC is built into the board or sits in a slot, and why we
/// think so (the same firmware facts systemd uses for `eno`/`ens` names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Onboard {
    pub onboard: bool,
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PcieLink {
    pub current_speed_gts: Fact<f64>,
    pub current_width: Fact<u32>,
    pub max_speed_gts: Fact<f64>,
    pub max_width: Fact<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PciePort {
    pub address: String,
    pub link: PcieLink,
}
