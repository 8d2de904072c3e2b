//! The hardware behind a link: its device in sysfs, and for PCI devices the
//! ids, NUMA node, onboard-or-slot placement and the PCIe link of the
//! device and of every port above it.

use std::io;

use super::sysfs_net::basename;
use super::{file_missing, parse_number};
use crate::snapshot::{Device, Fact, Missing, Onboard, PciDevice, PcieLink, PciePort, Reason};
use crate::source::Source;

const PCI_SLOTS: &str = "sys/bus/pci/slots";

/// The device of network interface `ifname`: `None` for a virtual link.
pub fn device(source: &Source, ifname: &str) -> Fact<Option<Device>> {
    let root = source.root();
    // Live, a virtual link is recognised by its class link alone: one cheap
    // readlink instead of a failed lookup of `device` plus a stat, both
    // through the symlink (15 µs a link, half of reading 1,000 veths; see
    // benches/). Not in a fixture or while capturing, where the general path
    // below reads (and records) what replay needs.
    if root.is_live()
        && !root.is_recording()
        && root
            .read_link(&format!("sys/class/net/{ifname}"))
            .is_ok_and(|target| is_parentless_class_link(&target, ifname))
    {
        return Fact::Known(None);
    }
    let link = format!("sys/class/net/{ifname}/device");
    match root.read_link(&link) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // No device link: a virtual interface, provided the interface
            // itself is there to have one.
            let dir = format!("sys/class/net/{ifname}");
            return if root.is_dir(&dir) {
                Fact::Known(None)
            } else {
                Fact::Unknown(file_missing(source, &dir, &e))
            };
        }
        Err(e) => return Fact::Unknown(file_missing(source, &link, &e)),
    }
    let path = match root.resolve(&link) {
        Ok(p) => p,
        Err(e) => return Fact::Unknown(file_missing(source, &link, &e)),
    };
    Fact::Known(Some(describe(source, ifname, path)))
}

/// Whether the target of `sys/class/net/IFNAME` is the directory the kernel
/// gives a net device without a parent device: such a device has no
/// `device` link (`device_add_class_symlinks` makes one only for a parent),
/// and a device with a parent always sits under its parent's directory, so
/// never here. Anything else is left to the general path.
fn is_parentless_class_link(target: &str, ifname: &str) -> bool {
    target
        .strip_prefix("../../devices/virtual/net/")
        .is_some_and(|name| name == ifname)
}

fn subsystem(source: &Source, path: &str) -> Result<String, Missing> {
    let rel = format!("{path}/subsystem");
    source
        .root()
        .read_link(&rel)
        .map(|t| basename(&t).to_owned())
        .map_err(|e| file_missing(source, &rel, &e))
}

fn describe(source: &Source, ifname: &str, path: String) -> Device {
    let bus = subsystem(source, &path);
    // A virtio NIC's device is the virtio function; the PCI device it runs
    // on is its parent. Other buses (USB) are not followed up: the USB host
    // controller's PCIe link is not the NIC's.
    let pci_path = match bus.as_deref() {
        Ok("pci") => Some(path.clone()),
        Ok("virtio") => parent(&path)
            .filter(|p| subsystem(source, p).as_deref() == Ok("pci"))
            .map(str::to_owned),
        _ => None,
    };
    Device {
        subsystem: bus.into(),
        address: basename(&path).to_owned(),
        pci: pci_path.map(|p| pci_device(source, ifname, &p)),
        path,
    }
}

fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(p, _)| p)
}

/// `DDDD:BB:DD.F`
fn is_pci_address(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 12
        && b[4] == b':'
        && b[7] == b':'
        && b[10] == b'.'
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10) || c.is_ascii_hexdigit())
}

fn pci_device(source: &Source, ifname: &str, path: &str) -> PciDevice {
    let id = |file: &str| -> Fact<String> {
        let rel = format!("{path}/{file}");
        source
            .root()
            .read_value(&rel)
            .map_err(|e| file_missing(source, &rel, &e))
            .into()
    };
    let mut upstream = Vec::new();
    let mut above = parent(path);
    while let Some(port) = above.filter(|p| is_pci_address(basename(p))) {
        if let Fact::Known(Some(link)) = pcie_link(source, port) {
            upstream.push(PciePort {
                address: basename(port).to_owned(),
                link,
            });
        }
        above = parent(port);
    }
    PciDevice {
        address: basename(path).to_owned(),
        vendor_id: id("vendor"),
        device_id: id("device"),
        subsystem_vendor_id: id("subsystem_vendor"),
        subsystem_device_id: id("subsystem_device"),
        numa_node: numa_node(source, path),
        onboard: onboard(source, ifname, path),
        pcie: pcie_link(source, path),
        upstream,
    }
}

fn numa_node(source: &Source, path: &str) -> Fact<Option<u32>> {
    let rel = format!("{path}/numa_node");
    match source.root().read_value(&rel) {
        Ok(v) => match v.parse::<i64>() {
            Ok(n) if n < 0 => Fact::Known(None),
            Ok(n) => u32::try_from(n).map_or_else(
                |_| Fact::unknown(Reason::Malformed, format!("{rel}: {v:?}")),
                |n| Fact::Known(Some(n)),
            ),
            Err(_) => Fact::unknown(Reason::Malformed, format!("{rel}: {v:?}")),
        },
        // A kernel built without NUMA has no such file.
        Err(e) if e.kind() == io::ErrorKind::NotFound && source.is_live() => Fact::Known(None),
        Err(e) => Fact::Unknown(file_missing(source, &rel, &e)),
    }
}

/// `8.0 GT/s PCIe`, `2.5 GT/s`, `16 GT/s`.
fn parse_gts(text: &str) -> Option<f64> {
    let n = text.split_whitespace().next()?;
    n.parse::<f64>().ok().filter(|v| *v > 0.0)
}

/// The PCIe link of a device or port; `None` when it has no link files
/// (conventional PCI, an integrated device).
fn pcie_link(source: &Source, path: &str) -> Fact<Option<PcieLink>> {
    let root = source.root();
    let read = |file: &str| {
        let rel = format!("{path}/{file}");
        (rel.clone(), root.read_value(&rel))
    };
    let files = [
        read("current_link_speed"),
        read("current_link_width"),
        read("max_link_speed"),
        read("max_link_width"),
    ];
    if files
        .iter()
        .all(|(_, r)| matches!(r, Err(e) if e.kind() == io::ErrorKind::NotFound))
    {
        return Fact::Known(None);
    }
    let speed = |(rel, r): &(String, io::Result<String>)| -> Fact<f64> {
        match r {
            Ok(v) if v.starts_with("Unknown") => Fact::unknown(
                Reason::NotSupported,
                format!("{rel}: the kernel reports an unknown link speed"),
            ),
            Ok(v) => parse_gts(v).map_or_else(
                || Fact::unknown(Reason::Malformed, format!("{rel}: {v:?}")),
                Fact::Known,
            ),
            Err(e) => Fact::Unknown(file_missing(source, rel, e)),
        }
    };
    let width = |(rel, r): &(String, io::Result<String>)| -> Fact<u32> {
        match r {
            Ok(v) => parse_number(v)
                .and_then(|n| u32::try_from(n).ok())
                .map_or_else(
                    || Fact::unknown(Reason::Malformed, format!("{rel}: {v:?}")),
                    Fact::Known,
                ),
            Err(e) => Fact::Unknown(file_missing(source, rel, e)),
        }
    };
    Fact::Known(Some(PcieLink {
        current_speed_gts: speed(&files[0]),
        current_width: width(&files[1]),
        max_speed_gts: speed(&files[2]),
        max_width: width(&files[3]),
    }))
}

/// Onboard or slot, from the firmware facts systemd uses to name a NIC
/// `eno*` or `ens*`. Without any of them, nothing is claimed.
fn onboard(source: &Source, ifname: &str, path: &str) -> Fact<Onboard> {
    let root = source.root();
    let value = |file: &str| root.read_value(&format!("{path}/{file}")).ok();
    let label = value("label")
        .map(|l| format!(", label {l:?}"))
        .unwrap_or_default();
    if let Some(index) = value("acpi_index") {
        return Fact::Known(Onboard {
            onboard: true,
            basis: format!("ACPI onboard index {index}{label}"),
        });
    }
    if let Some(index) = value("index") {
        return Fact::Known(Onboard {
            onboard: true,
            basis: format!("SMBIOS onboard device index {index}{label}"),
        });
    }
    let address = basename(path);
    // Slots are listed by domain:bus:device, without the function.
    let slot_address = address.rsplit_once('.').map_or(address, |(a, _)| a);
    if let Ok(slots) = root.read_dir(PCI_SLOTS) {
        for slot in slots {
            if root
                .read_value(&format!("{PCI_SLOTS}/{slot}/address"))
                .ok()
                .as_deref()
                == Some(slot_address)
            {
                return Fact::Known(Onboard {
                    onboard: false,
                    basis: format!("PCI slot {slot}{label}"),
                });
            }
        }
    }
    if ifname.starts_with("eno") {
        return Fact::Known(Onboard {
            onboard: true,
            basis: format!("named {ifname} by udev from firmware onboard data"),
        });
    }
    if ifname.starts_with("ens") {
        return Fact::Known(Onboard {
            onboard: false,
            basis: format!("named {ifname} by udev from a firmware slot number"),
        });
    }
    Fact::unknown(
        Reason::NotSupported,
        format!("firmware gives {address} no onboard index, label or slot"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_virtual_net_directory_means_no_parent() {
        assert!(is_parentless_class_link(
            "../../devices/virtual/net/veth0",
            "veth0"
        ));
        assert!(!is_parentless_class_link(
            "../../devices/virtual/net/veth0",
            "veth1"
        ));
        // A device whose parent is itself virtual (mac80211_hwsim) has one.
        assert!(!is_parentless_class_link(
            "../../devices/virtual/mac80211_hwsim/hwsim0/net/wlan0",
            "wlan0"
        ));
        assert!(!is_parentless_class_link(
            "../../devices/virtual/net/br0/net/veth0",
            "veth0"
        ));
        assert!(!is_parentless_class_link(
            "../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0",
            "eth0"
        ));
    }

    #[test]
    fn pci_addresses() {
        assert!(is_pci_address("0000:03:00.0"));
        assert!(is_pci_address("0000:af:1f.7"));
        assert!(!is_pci_address("pci0000:00"));
        assert!(!is_pci_address("virtio0"));
        assert!(!is_pci_address("0000:03:00"));
    }

    #[test]
    fn link_speeds_as_the_kernel_writes_them() {
        assert_eq!(parse_gts("8.0 GT/s PCIe"), Some(8.0));
        assert_eq!(parse_gts("2.5 GT/s"), Some(2.5));
        assert_eq!(parse_gts("16 GT/s"), Some(16.0));
        assert_eq!(parse_gts("Unknown"), None);
        assert_eq!(parse_gts(""), None);
    }
}
