//! The hardware behind a link: its device in sysfs, and for PCI devices the
//! ids, NUMA node, onboard-or-slot placement and the PCIe link of the
//! device and of every port above it.

use std::io;

use super::sysfs_net::basename;
use super::{absent_on_host, file_missing, parse_number};
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
            return if !root.is_dir(&dir) {
                Fact::Unknown(file_missing(&dir, &e))
            } else if absent_on_host(&e) {
                Fact::Known(None)
            } else {
                device_by_place(source, ifname, &dir, &link)
            };
        }
        Err(e) => return Fact::Unknown(file_missing(&link, &e)),
    }
    let path = match root.resolve(&link) {
        Ok(p) => p,
        Err(e) => return Fact::Unknown(file_missing(&link, &e)),
    };
    Fact::Known(Some(describe(source, ifname, path)))
}

/// The device of an interface whose copied tree lacks the `device` link.
/// Trees copied by other tools drop links (ghw keeps none), and a missing
/// link does not make a NIC virtual. The kernel puts an interface's
/// directory under its parent device (`<device>/net/<name>`), or under
/// `devices/virtual/net` when it has none, so the place still tells; a plain
/// `class/net/<name>` directory does not.
fn device_by_place(source: &Source, ifname: &str, dir: &str, link: &str) -> Fact<Option<Device>> {
    let resolved = match source.root().resolve(dir) {
        Ok(p) => p,
        Err(e) => return Fact::Unknown(file_missing(dir, &e)),
    };
    match resolved.strip_suffix(&format!("/net/{ifname}")) {
        Some("sys/devices/virtual") => Fact::Known(None),
        Some(parent) if parent.starts_with("sys/devices/") => {
            Fact::Known(Some(describe(source, ifname, parent.to_owned())))
        }
        _ => Fact::unknown(
            Reason::NotCaptured,
            format!("the fixture has no {link}, and {resolved} is not a directory under a device"),
        ),
    }
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
        .map_err(|e| file_missing(&rel, &e))
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
        // Trees copied by other tools drop the subsystem link (ghw, procfs'
        // test tree) yet keep the PCI files. A directory named by a PCI
        // address in a chain of them under a PCI root bus is a PCI function
        // whatever the copy kept; without this its ids and PCIe link would be
        // dropped as if it were on another bus.
        Err(m) if m.reason == Reason::NotCaptured && in_pci_tree(&path) => Some(path.clone()),
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

/// `sys/devices/pciDDDD:BB/DDDD:BB:DD.F[/DDDD:BB:DD.F...]`
fn in_pci_tree(path: &str) -> bool {
    let mut parts = path.split('/');
    parts.next() == Some("sys")
        && parts.next() == Some("devices")
        && parts.next().is_some_and(|bus| bus.starts_with("pci"))
        && {
            let mut functions = parts.peekable();
            functions.peek().is_some() && functions.all(is_pci_address)
        }
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
            .map_err(|e| file_missing(&rel, &e))
            .into()
    };
    let mut upstream = Vec::new();
    let mut above = parent(path);
    while let Some(port) = above.filter(|p| is_pci_address(basename(p))) {
        let link = match pcie_link(source, port) {
            Fact::Known(Some(link)) => Some(link),
            Fact::Known(None) => None,
            // A port whose link could not be read may still be the one that
            // holds the device back: keep it in the chain, unknown, rather
            // than let the chain look shorter than it is.
            Fact::Unknown(m) => Some(PcieLink {
                current_speed_gts: Fact::Unknown(m.clone()),
                current_width: Fact::Unknown(m.clone()),
                max_speed_gts: Fact::Unknown(m.clone()),
                max_width: Fact::Unknown(m),
            }),
        };
        if let Some(link) = link {
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
        Err(e) if absent_on_host(&e) => Fact::Known(None),
        Err(e) => Fact::Unknown(file_missing(&rel, &e)),
    }
}

/// `8.0 GT/s PCIe`, `2.5 GT/s`, `16 GT/s`.
fn parse_gts(text: &str) -> Option<f64> {
    let n = text.split_whitespace().next()?;
    n.parse::<f64>().ok().filter(|v| *v > 0.0)
}

/// The PCIe link of a device or port; `None` when a live device has no link
/// files (conventional PCI, an integrated device).
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
        // On the host no link files means no PCIe link. A copied tree may
        // just have left them out (ghw's does), and "no PCIe link" would let
        // a link check pass on a device it knows nothing of.
        return if files
            .iter()
            .all(|(_, r)| matches!(r, Err(e) if absent_on_host(e)))
        {
            Fact::Known(None)
        } else {
            Fact::unknown(
                Reason::NotCaptured,
                format!("the fixture has no {path}/current_link_speed nor the other link files"),
            )
        };
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
            Err(e) => Fact::Unknown(file_missing(rel, e)),
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
            Err(e) => Fact::Unknown(file_missing(rel, e)),
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
    // The first firmware file that could not be read for another reason
    // than being absent on the host: "no firmware data" may be concluded
    // only when there is none.
    let mut unread: Option<Missing> = None;
    let mut note = |rel: &str, e: &io::Error| {
        if !absent_on_host(e) && unread.is_none() {
            unread = Some(file_missing(rel, e));
        }
    };
    let mut value = |file: &str| {
        let rel = format!("{path}/{file}");
        root.read_value(&rel).map_err(|e| note(&rel, &e)).ok()
    };
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
    match root.read_dir(PCI_SLOTS) {
        Ok(slots) => {
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
        Err(e) => note(PCI_SLOTS, &e),
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
    match unread {
        Some(m) => Fact::Unknown(m),
        None => Fact::unknown(
            Reason::NotSupported,
            format!("firmware gives {address} no onboard index, label or slot"),
        ),
    }
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
    fn pci_tree_paths() {
        assert!(in_pci_tree(
            "sys/devices/pci0000:00/0000:00:01.3/0000:01:00.2/0000:03:00.0"
        ));
        assert!(in_pci_tree("sys/devices/pci0000:00/0000:00:1f.6"));
        assert!(!in_pci_tree("sys/devices/pci0000:00"));
        assert!(!in_pci_tree("sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"));
        assert!(!in_pci_tree("sys/devices/platform/soc/ethernet0"));
        assert!(!in_pci_tree("sys/class/net/eth0"));
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
