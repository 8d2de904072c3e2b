//! Collectors and parsers on real data: sysfs trees and command outputs from
//! other projects, copied under `tests/data/realdata` (its README says from
//! where). Every expected value below was read from those files by hand; a
//! comment names the file where the value is not obvious.

use std::fmt::Debug;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use hostlint::collect::{self, Scope};
use hostlint::snapshot::{Duplex, Fact, Link, Missing, PciDevice, PcieLink, Reason, Snapshot};
use hostlint::source::Source;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/realdata")
        .join(rel)
}

fn snapshot(dir: &Path) -> Snapshot {
    let source = Source::fixture(dir).unwrap();
    collect::snapshot(&source, Scope::ALL)
}

fn names(snap: &Snapshot) -> Vec<&str> {
    known(&snap.links)
        .iter()
        .map(|l| l.iface.name.as_str())
        .collect()
}

#[track_caller]
fn link<'a>(snap: &'a Snapshot, name: &str) -> &'a Link {
    snap.link(name)
        .unwrap_or_else(|| panic!("no link {name} in {:?}", names(snap)))
}

#[track_caller]
fn known<T: Debug>(fact: &Fact<T>) -> &T {
    match fact {
        Fact::Known(v) => v,
        Fact::Unknown(m) => panic!("expected a value, got unknown: {m}"),
    }
}

#[track_caller]
fn unknown<T: Debug>(fact: &Fact<T>, reason: Reason) -> &Missing {
    match fact {
        Fact::Known(v) => panic!("expected {reason}, got the value {v:?}"),
        Fact::Unknown(m) => {
            assert_eq!(m.reason, reason, "{m}");
            m
        }
    }
}

/// Unknown because the tree lacks `file`, which the detail names.
#[track_caller]
fn not_captured<T: Debug>(fact: &Fact<T>, file: &str) {
    let m = unknown(fact, Reason::NotCaptured);
    assert!(m.detail.contains(file), "{m} does not name {file}");
}

#[track_caller]
fn pci(link: &Link) -> &PciDevice {
    let device = known(&link.device)
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no device", link.iface.name));
    device
        .pci
        .as_ref()
        .unwrap_or_else(|| panic!("{} is not read as PCI", link.iface.name))
}

#[track_caller]
fn assert_pcie(link: &PcieLink, current: (f64, u32), max: (f64, u32)) {
    assert_eq!(*known(&link.current_speed_gts), current.0);
    assert_eq!(*known(&link.current_width), current.1);
    assert_eq!(*known(&link.max_speed_gts), max.0);
    assert_eq!(*known(&link.max_width), max.1);
}

#[track_caller]
fn assert_pcie_not_captured(link: &PcieLink) {
    not_captured(&link.current_speed_gts, "current_link_speed");
    not_captured(&link.current_width, "current_link_speed");
    not_captured(&link.max_speed_gts, "current_link_speed");
    not_captured(&link.max_width, "current_link_speed");
}

/// A copy of a test tree in a temporary directory, symlinks kept as
/// symlinks, to add what the upstream tree leaves out.
fn temp_copy(rel: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            let dst = to.join(entry.file_name());
            if kind.is_symlink() {
                symlink(fs::read_link(entry.path()).unwrap(), &dst).unwrap();
            } else if kind.is_dir() {
                fs::create_dir(&dst).unwrap();
                copy(&entry.path(), &dst);
            } else {
                fs::copy(entry.path(), &dst).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&data(rel), dir.path());
    dir
}

fn add_symlink(root: &Path, rel: &str, target: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    symlink(target, path).unwrap();
}

#[track_caller]
fn assert_is_symlink(path: PathBuf) {
    let meta = fs::symlink_metadata(&path).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "{} is no symlink",
        path.display()
    );
}

/// jaypipes/ghw: a real host. `class/net` holds symlinks and nothing else of
/// the interfaces but `addr_assign_type`; the PCI functions keep their ids
/// and NUMA node, not their `subsystem` links or PCIe link files.
mod ghw {
    use super::*;

    const PORTS: &str = "sys/devices/pci0000:00/0000:00:01.3/0000:01:00.2";

    fn snap() -> Snapshot {
        snapshot(&data("ghw"))
    }

    #[test]
    fn every_class_net_symlink_is_a_physical_link_on_its_pci_function() {
        for name in ["enp3s0", "enp6s0f0", "enp6s0f1", "enp8s0"] {
            assert_is_symlink(data("ghw/sys/class/net").join(name));
        }
        let snap = snap();
        assert_eq!(names(&snap), ["enp3s0", "enp6s0f0", "enp6s0f1", "enp8s0"]);
        for (name, path) in [
            ("enp3s0", "0000:02:00.0/0000:03:00.0"),
            ("enp6s0f0", "0000:02:04.0/0000:06:00.0"),
            ("enp6s0f1", "0000:02:04.0/0000:06:00.1"),
            ("enp8s0", "0000:02:06.0/0000:08:00.0"),
        ] {
            let l = link(&snap, name);
            // The tree has no `device` link: the device is the directory
            // the interface sits in, and it is not a virtual link.
            let device = known(&l.device).as_ref().unwrap();
            assert_eq!(device.path, format!("{PORTS}/{path}"));
            assert_eq!(known(&l.iface.kind), "physical");
            not_captured(&device.subsystem, "/subsystem");
        }
    }

    #[test]
    fn pci_ids_of_the_realtek_ports_and_the_dual_port_intel_card() {
        let snap = snap();
        for (name, address, vendor, device) in [
            ("enp3s0", "0000:03:00.0", "0x10ec", "0x8168"),
            ("enp6s0f0", "0000:06:00.0", "0x8086", "0x1521"),
            ("enp6s0f1", "0000:06:00.1", "0x8086", "0x1521"),
            ("enp8s0", "0000:08:00.0", "0x10ec", "0x8168"),
        ] {
            let p = pci(link(&snap, name));
            assert_eq!(p.address, address);
            assert_eq!(known(&p.vendor_id), vendor, "{name}");
            assert_eq!(known(&p.device_id), device, "{name}");
            // Only modalias carries the subsystem ids here; the files are
            // not in the tree.
            not_captured(&p.subsystem_vendor_id, "subsystem_vendor");
            not_captured(&p.subsystem_device_id, "subsystem_device");
            // numa_node holds -1: no NUMA affinity, not node 0.
            assert_eq!(*known(&p.numa_node), None, "{name}");
        }
    }

    #[test]
    fn both_ports_of_the_card_sit_behind_one_switch_port() {
        let snap = snap();
        let chain = |name: &str| -> Vec<String> {
            pci(link(&snap, name))
                .upstream
                .iter()
                .map(|p| p.address.clone())
                .collect()
        };
        let card = ["0000:02:04.0", "0000:01:00.2", "0000:00:01.3"];
        assert_eq!(chain("enp6s0f0"), card);
        assert_eq!(chain("enp6s0f1"), card);
        assert_eq!(
            chain("enp3s0"),
            ["0000:02:00.0", "0000:01:00.2", "0000:00:01.3"]
        );
        assert_eq!(
            chain("enp8s0"),
            ["0000:02:06.0", "0000:01:00.2", "0000:00:01.3"]
        );
    }

    #[test]
    fn link_files_firmware_files_and_attributes_not_in_the_tree_are_not_captured() {
        let snap = snap();
        for l in known(&snap.links) {
            let p = pci(l);
            // No *_link_speed files anywhere in ghw's tree: not "no PCIe
            // link", which would pass a PCIe check.
            not_captured(&p.pcie, "current_link_speed");
            for port in &p.upstream {
                assert_pcie_not_captured(&port.link);
            }
            // enp* names come from the bus path; the tree holds neither
            // acpi_index, label, index nor slots.
            not_captured(&p.onboard, "/label");
            let name = &l.iface.name;
            not_captured(&l.iface.operstate, &format!("{name}/operstate"));
            not_captured(&l.iface.carrier, &format!("{name}/carrier"));
            not_captured(&l.iface.mtu, &format!("{name}/mtu"));
            not_captured(&l.iface.master, &format!("{name}/master"));
            not_captured(&l.iface.counters, &format!("{name}/statistics/"));
            not_captured(&l.speed_mbps, &format!("{name}/speed"));
            not_captured(&l.driver, "device/driver");
        }
    }
}

/// prometheus/node_exporter's test tree: bonds as plain directories,
/// `bonding_masters` beside them, `eth0` a symlink into an empty PCI
/// directory; `ens10f0` (igb) and an NVMe function with its port hold real
/// PCI files but are not in `class/net`.
mod node_exporter {
    use super::*;

    fn snap() -> Snapshot {
        snapshot(&data("node_exporter"))
    }

    /// The tree with `class/net` entries for `ens10f0`, which upstream keeps
    /// under its PCI function only, and for `probe0`, an interface made up
    /// here and hung under the NVMe function 0000:01:00.0: the one device
    /// whose port above it has PCIe link files too. Everything read of them
    /// but `probe0`'s own directory is upstream's.
    fn extended() -> (tempfile::TempDir, Snapshot) {
        let dir = temp_copy("node_exporter");
        let root = dir.path();
        add_symlink(
            root,
            "sys/class/net/ens10f0",
            "../../devices/pci0000:40/0000:40:01.3/0000:45:00.0/net/ens10f0",
        );
        let nvme = "sys/devices/pci0000:00/0000:00:02.1/0000:01:00.0";
        add_symlink(
            root,
            &format!("{nvme}/net/probe0/device"),
            "../../../0000:01:00.0",
        );
        add_symlink(
            root,
            "sys/class/net/probe0",
            "../../devices/pci0000:00/0000:00:02.1/0000:01:00.0/net/probe0",
        );
        let snap = snapshot(root);
        (dir, snap)
    }

    #[test]
    fn bonding_masters_beside_the_interfaces_is_not_an_interface() {
        assert!(data("node_exporter/sys/class/net/bonding_masters").is_file());
        assert_eq!(names(&snap()), ["bond0", "dmz", "eth0", "int"]);
    }

    #[test]
    fn eth0_is_read_through_its_class_net_symlink() {
        assert_is_symlink(data("node_exporter/sys/class/net/eth0"));
        let snap = snap();
        let eth0 = link(&snap, "eth0");
        let i = &eth0.iface;
        assert_eq!(*known(&i.ifindex), 2);
        assert_eq!(known(&i.operstate), "up");
        assert!(*known(&i.carrier));
        // flags is hex: 0x1303 has IFF_UP.
        assert!(*known(&i.admin_up));
        assert_eq!(*known(&i.mtu), 1500);
        assert_eq!(*known(&i.carrier_changes), 2);
        assert_eq!(*known(&i.carrier_up_count), 1);
        assert_eq!(*known(&i.carrier_down_count), 1);
        assert_eq!(known(&i.mac).as_deref(), Some("01:01:01:01:01:01"));
        // An empty phys_port_name: the driver names no port.
        assert_eq!(*known(&i.phys_port_name), None);
        assert_eq!(*known(&eth0.speed_mbps), 1000);
        assert_eq!(*known(&eth0.duplex), Duplex::Full);
        not_captured(&i.counters, "eth0/statistics/rx_bytes");
        // The directory sits under 0000:03:00.0, which holds no file at all.
        let p = pci(eth0);
        assert_eq!(
            known(&eth0.device).as_ref().unwrap().path,
            "sys/devices/pci0000:00/0000:00:03.0/0000:03:00.0"
        );
        not_captured(&p.vendor_id, "0000:03:00.0/vendor");
        not_captured(&p.numa_node, "0000:03:00.0/numa_node");
        not_captured(&p.pcie, "0000:03:00.0/current_link_speed");
        assert_eq!(p.upstream.len(), 1);
        assert_eq!(p.upstream[0].address, "0000:00:03.0");
        assert_pcie_not_captured(&p.upstream[0].link);
    }

    #[test]
    fn a_bond_member_without_a_master_link_takes_the_bond_that_lists_it() {
        // dmz/bonding/slaves: "eth0 eth4"; eth0's directory has no master.
        let snap = snap();
        assert_eq!(
            known(&link(&snap, "eth0").iface.master).as_deref(),
            Some("dmz")
        );
        for bond in ["bond0", "dmz", "int"] {
            not_captured(&link(&snap, bond).iface.master, &format!("{bond}/master"));
        }
    }

    #[test]
    fn a_bond_speed_of_minus_one_is_unknown_not_zero() {
        let snap = snap();
        let bond0 = link(&snap, "bond0");
        // bond0/speed: -1 with carrier 1 and IFF_UP: the driver does not
        // know, the link is not down.
        assert!(*known(&bond0.iface.carrier));
        let m = unknown(&bond0.speed_mbps, Reason::NotSupported);
        assert!(m.detail.contains("unknown speed"), "{m}");
        assert_eq!(*known(&bond0.duplex), Duplex::Full);
        assert_eq!(*known(&link(&snap, "dmz").speed_mbps), 1000);
        assert_eq!(*known(&link(&snap, "int").speed_mbps), 1000);
    }

    #[test]
    fn bonds_without_uevent_or_device_say_so() {
        let snap = snap();
        let bond0 = link(&snap, "bond0");
        not_captured(&bond0.iface.kind, "bond0/uevent");
        // A plain class/net/bond0 directory does not show whether it has a
        // device.
        not_captured(&bond0.device, "bond0/device");
        not_captured(&bond0.iface.counters, "bond0/statistics/");
    }

    #[test]
    fn ens10f0_igb_on_pcie_gen2_x4_in_a_slot() {
        let (_dir, snap) = extended();
        let l = link(&snap, "ens10f0");
        let device = known(&l.device).as_ref().unwrap();
        assert_eq!(
            device.path,
            "sys/devices/pci0000:40/0000:40:01.3/0000:45:00.0"
        );
        assert_eq!(known(&device.subsystem), "pci");
        assert_eq!(known(&l.iface.kind), "physical");
        let p = pci(l);
        assert_eq!(p.address, "0000:45:00.0");
        assert_eq!(known(&p.vendor_id), "0x8086");
        assert_eq!(known(&p.device_id), "0x1521");
        assert_eq!(known(&p.subsystem_vendor_id), "0x8086");
        assert_eq!(known(&p.subsystem_device_id), "0x00a3");
        assert_eq!(*known(&p.numa_node), Some(0));
        // current_link_speed and max_link_speed: "5.0 GT/s PCIe"; widths 4.
        assert_pcie(known(&p.pcie).as_ref().unwrap(), (5.0, 4), (5.0, 4));
        // Port 0000:40:01.3 keeps ids but no link files.
        assert_eq!(p.upstream.len(), 1);
        assert_eq!(p.upstream[0].address, "0000:40:01.3");
        assert_pcie_not_captured(&p.upstream[0].link);
        // No firmware index or label; udev named it from a slot number.
        let onboard = known(&p.onboard);
        assert!(!onboard.onboard);
        assert!(onboard.basis.contains("ens10f0"), "{}", onboard.basis);
        let driver = known(&l.driver);
        assert_eq!(driver.driver, "igb");
        assert_eq!(driver.bus_info.as_deref(), Some("0000:45:00.0"));
        assert_eq!(driver.version, None);
    }

    #[test]
    fn ens10f0_attributes_master_and_counters() {
        let (_dir, snap) = extended();
        let l = link(&snap, "ens10f0");
        let i = &l.iface;
        assert_eq!(*known(&i.ifindex), 2);
        assert_eq!(known(&i.mac).as_deref(), Some("68:05:ca:f0:cb:12"));
        assert_eq!(known(&i.operstate), "up");
        assert!(*known(&i.carrier));
        assert!(*known(&i.admin_up));
        assert_eq!(*known(&i.mtu), 1500);
        assert_eq!(*known(&l.speed_mbps), 1000);
        assert_eq!(*known(&l.duplex), Duplex::Full);
        assert_eq!(*known(&i.carrier_changes), 2);
        // master -> ../../../../../virtual/net/vmbr0 (not in the tree).
        assert_eq!(known(&i.master).as_deref(), Some("vmbr0"));
        let c = known(&i.counters);
        assert_eq!(c.rx_bytes, 10_013_625_365);
        assert_eq!(c.rx_packets, 46_422_718);
        assert_eq!(c.rx_dropped, 29_220);
        assert_eq!(c.multicast, 656_633);
        assert_eq!(c.tx_bytes, 10_275_718_925);
        assert_eq!(c.tx_packets, 47_308_115);
        assert_eq!(
            (c.rx_errors, c.rx_crc_errors, c.rx_missed_errors),
            (0, 0, 0)
        );
        assert_eq!(
            (c.tx_errors, c.tx_dropped, c.tx_carrier_errors, c.collisions),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn pcie_link_of_a_device_trained_below_max_and_of_its_narrower_port() {
        let (_dir, snap) = extended();
        let l = link(&snap, "probe0");
        let p = pci(l);
        assert_eq!(p.address, "0000:01:00.0");
        assert_eq!(known(&p.vendor_id), "0xc0a9");
        assert_eq!(known(&p.device_id), "0x540a");
        assert_eq!(*known(&p.numa_node), None);
        // 0000:01:00.0: current "8.0 GT/s PCIe" x4, max "16.0 GT/s PCIe" x4.
        assert_pcie(known(&p.pcie).as_ref().unwrap(), (8.0, 4), (16.0, 4));
        // 0000:00:02.1: current "8.0 GT/s PCIe" x4, max "8.0 GT/s PCIe" x8.
        assert_eq!(p.upstream.len(), 1);
        assert_eq!(p.upstream[0].address, "0000:00:02.1");
        assert_pcie(&p.upstream[0].link, (8.0, 4), (8.0, 8));
    }
}

/// prometheus/procfs's test tree: `class/net/eth0` a plain directory with a
/// `device` link to a PCI function without `subsystem` link or PCIe link
/// files; `enp162s0f0np0` (ice, link down) under a function that has both.
mod procfs {
    use super::*;

    fn snap() -> Snapshot {
        snapshot(&data("prometheus-procfs"))
    }

    fn extended() -> (tempfile::TempDir, Snapshot) {
        let dir = temp_copy("prometheus-procfs");
        add_symlink(
            dir.path(),
            "sys/class/net/enp162s0f0np0",
            "../../devices/pci0000:a2/0000:a2:00.0/net/enp162s0f0np0",
        );
        let snap = snapshot(dir.path());
        (dir, snap)
    }

    #[test]
    fn eth0_hex_flags_and_empty_files() {
        let snap = snap();
        assert_eq!(names(&snap), ["eth0"]);
        let eth0 = link(&snap, "eth0");
        let i = &eth0.iface;
        assert!(*known(&i.admin_up)); // flags: 0x1303
        assert_eq!(known(&i.operstate), "up");
        assert!(*known(&i.carrier));
        assert_eq!(*known(&i.mtu), 1500);
        assert_eq!(*known(&i.ifindex), 2);
        assert_eq!(*known(&eth0.speed_mbps), 1000);
        assert_eq!(*known(&eth0.duplex), Duplex::Full);
        assert_eq!(*known(&i.phys_port_name), None); // an empty file
        // Empty files too: no identifier, no alias.
        assert_eq!(*known(&i.phys_port_id), None);
        assert_eq!(*known(&i.phys_switch_id), None);
        assert_eq!(*known(&i.ifalias), None);
        assert_eq!(*known(&i.tx_queue_len), 1000);
        not_captured(&i.master, "eth0/master");
        not_captured(&i.counters, "eth0/statistics/");
    }

    #[test]
    fn eth0_device_link_with_a_trailing_slash_reaches_its_pci_function() {
        assert_is_symlink(data("prometheus-procfs/sys/class/net/eth0/device"));
        let snap = snap();
        let eth0 = link(&snap, "eth0");
        let device = known(&eth0.device).as_ref().unwrap();
        assert_eq!(device.path, "sys/devices/pci0000:00/0000:00:1f.6");
        not_captured(&device.subsystem, "0000:00:1f.6/subsystem");
        assert_eq!(known(&eth0.iface.kind), "physical");
        let p = pci(eth0);
        assert_eq!(p.address, "0000:00:1f.6");
        assert_eq!(known(&p.vendor_id), "0x8086");
        assert_eq!(known(&p.device_id), "0x15d7");
        assert_eq!(known(&p.subsystem_vendor_id), "0x17aa");
        assert_eq!(known(&p.subsystem_device_id), "0x225a");
        assert_eq!(*known(&p.numa_node), None); // -1
        not_captured(&p.pcie, "0000:00:1f.6/current_link_speed");
        // On the root bus: no port above it.
        assert!(p.upstream.is_empty());
        not_captured(&p.onboard, "0000:00:1f.6");
        // The driver link is not there, but the device's uevent names
        // DRIVER=e1000e.
        let d = known(&eth0.driver);
        assert_eq!(d.driver, "e1000e");
        assert_eq!(d.bus_info.as_deref(), Some("0000:00:1f.6"));
        assert_eq!(d.version, None);
    }

    /// A sysfs copy with the `ethtool` and `ethtool -i` outputs of its
    /// link beside it, and no `ip -j` output: the settings and driver come
    /// from ethtool's text, and nothing says ethtool is missing.
    #[test]
    fn ethtool_outputs_are_read_without_the_netlink_captures() {
        let dir = temp_copy("prometheus-procfs");
        let put = |rel: &str, sample: &str| {
            let to = dir.path().join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(data("insights-core/test_ethtool").join(sample), to).unwrap();
        };
        put("cmd/ethtool/eth0", "TEST_ETHTOOL_DOCS.txt");
        put("cmd/ethtool-i/eth0", "TEST_ETHTOOL_I_GOOD.txt");
        let snap = snapshot(dir.path());
        let eth0 = link(&snap, "eth0");
        // sysfs says 1000 full; the ethtool output 100 full: ethtool's
        // answer is the one a capture keeps.
        assert_eq!(*known(&eth0.speed_mbps), 100);
        let modes = known(&eth0.link_modes);
        assert_eq!(modes.partner_advertised.len(), 4);
        // The -i output names virtio_net (the device's uevent, e1000e).
        let d = known(&eth0.driver);
        assert_eq!(d.driver, "virtio_net");
        assert_eq!(d.version.as_deref(), Some("1.0.0"));
        assert_eq!(d.bus_info.as_deref(), Some("0000:00:03.0"));
        // Without the outputs the modes are unknown, and say where they
        // were looked for.
        let snap = self::snap();
        let m = unknown(&link(&snap, "eth0").link_modes, Reason::NotCaptured);
        assert!(m.detail.contains("cmd/ethtool/eth0"), "{m}");
    }

    #[test]
    fn ice_port_down_with_empty_speed_and_duplex() {
        let (_dir, snap) = extended();
        let l = link(&snap, "enp162s0f0np0");
        let i = &l.iface;
        assert_eq!(*known(&i.ifindex), 4);
        assert_eq!(known(&i.mac).as_deref(), Some("30:3e:a7:01:1a:5a"));
        assert_eq!(known(&i.operstate), "down");
        assert!(!*known(&i.carrier));
        assert!(*known(&i.admin_up)); // flags: 0x1003
        assert_eq!(*known(&i.carrier_changes), 1);
        assert_eq!(*known(&i.carrier_up_count), 0);
        assert_eq!(*known(&i.carrier_down_count), 1);
        assert_eq!(known(&i.phys_port_name).as_deref(), Some("p0"));
        assert_eq!(*known(&i.counters), Default::default());
        // speed and duplex are empty files: neither a speed nor a duplex.
        let m = unknown(&l.speed_mbps, Reason::Malformed);
        assert!(m.detail.contains("enp162s0f0np0/speed"), "{m}");
        let m = unknown(&l.duplex, Reason::Malformed);
        assert!(m.detail.contains("enp162s0f0np0/duplex"), "{m}");
    }

    #[test]
    fn ice_on_pcie_gen4_x8_numa_node_1() {
        let (_dir, snap) = extended();
        let l = link(&snap, "enp162s0f0np0");
        let device = known(&l.device).as_ref().unwrap();
        assert_eq!(device.path, "sys/devices/pci0000:a2/0000:a2:00.0");
        // subsystem -> ../../../../../../../../bus/pci, above the root.
        assert_eq!(known(&device.subsystem), "pci");
        let p = pci(l);
        assert_eq!(known(&p.vendor_id), "0x8086");
        assert_eq!(known(&p.device_id), "0x159b");
        assert_eq!(known(&p.subsystem_vendor_id), "0x8086");
        assert_eq!(known(&p.subsystem_device_id), "0x0003");
        assert_eq!(*known(&p.numa_node), Some(1));
        // "16.0 GT/s PCIe", width 8, both current and max.
        assert_pcie(known(&p.pcie).as_ref().unwrap(), (16.0, 8), (16.0, 8));
        assert!(p.upstream.is_empty());
        let driver = known(&l.driver);
        assert_eq!(driver.driver, "ice");
        assert_eq!(driver.bus_info.as_deref(), Some("0000:a2:00.0"));
        not_captured(&p.onboard, "0000:a2:00.0");
        not_captured(&l.iface.master, "enp162s0f0np0/master");
    }
}

/// influxdata/telegraf's test tree: two interfaces, a `speed` file each.
mod telegraf {
    use super::*;

    fn snap() -> Snapshot {
        snapshot(&data("telegraf"))
    }

    #[test]
    fn speed_of_minus_one_is_unknown_with_a_reason_never_zero() {
        let snap = snap();
        assert_eq!(names(&snap), ["eth0", "eth1"]);
        assert_eq!(*known(&link(&snap, "eth0").speed_mbps), 100);
        let m = unknown(&link(&snap, "eth1").speed_mbps, Reason::NotSupported);
        assert!(m.detail.contains("unknown speed"), "{m}");
    }

    #[test]
    fn every_other_fact_is_not_captured() {
        let snap = snap();
        for name in ["eth0", "eth1"] {
            let l = link(&snap, name);
            let i = &l.iface;
            not_captured(&i.ifindex, &format!("{name}/ifindex"));
            not_captured(&i.kind, &format!("{name}/type"));
            not_captured(&i.mac, &format!("{name}/address"));
            not_captured(&i.admin_up, &format!("{name}/flags"));
            not_captured(&i.operstate, &format!("{name}/operstate"));
            not_captured(&i.carrier, &format!("{name}/carrier"));
            not_captured(&i.carrier_changes, &format!("{name}/carrier_changes"));
            not_captured(&i.mtu, &format!("{name}/mtu"));
            not_captured(&i.master, &format!("{name}/master"));
            not_captured(&i.phys_port_name, &format!("{name}/phys_port_name"));
            not_captured(&i.counters, &format!("{name}/statistics/rx_bytes"));
            not_captured(&l.duplex, &format!("{name}/duplex"));
            // A plain class/net directory without a device link: neither a
            // device nor "virtual".
            not_captured(&l.device, &format!("{name}/device"));
            not_captured(&l.driver, &format!("{name}/device/driver"));
        }
    }

    #[test]
    fn host_and_route_facts_the_tree_lacks_are_not_captured() {
        let snap = snap();
        not_captured(&snap.host.hostname, "proc/sys/kernel/hostname");
        not_captured(&snap.host.kernel_release, "proc/sys/kernel/osrelease");
        not_captured(&snap.host.uptime_seconds, "proc/uptime");
        not_captured(&snap.host.taint, "proc/sys/kernel/tainted");
        not_captured(&snap.host.pstore, "pstore");
        not_captured(&snap.routes, "ip-route");
        not_captured(&snap.neighbors, "ip-neigh");
    }
}

/// RedHatInsights/insights-core samples: `ethtool IFACE` and `ethtool -i
/// IFACE` outputs from hosts, and broken ones.
mod ethtool {
    use super::*;
    use hostlint::snapshot::{DriverInfo, LinkSettings};
    use hostlint::source::ethtool_text::{parse_driver, parse_settings};

    fn sample(name: &str) -> String {
        fs::read_to_string(data("insights-core/test_ethtool").join(name)).unwrap()
    }

    fn modes(list: &str) -> Vec<String> {
        list.split_whitespace().map(str::to_owned).collect()
    }

    fn settings(name: &str) -> LinkSettings {
        known(&parse_settings(&sample(name)).unwrap()).clone()
    }

    fn driver(name: &str) -> DriverInfo {
        known(&parse_driver(&sample(name)).unwrap()).clone()
    }

    #[test]
    fn settings_after_permission_errors_and_with_continuation_lines() {
        // Two "Cannot get ...: Operation not permitted" lines come first;
        // "Current message level" continues on a second line.
        let s = settings("ETHTOOL_INFO.txt");
        assert_eq!(*known(&s.speed_mbps), 1000);
        assert_eq!(*known(&s.duplex), Duplex::Full);
        assert!(s.modes.autoneg);
        assert!(s.modes.supports_autoneg);
        let all = modes("10baseT/Half 10baseT/Full 100baseT/Half 100baseT/Full 1000baseT/Full");
        assert_eq!(s.modes.supported, all);
        assert_eq!(s.modes.advertised, all);
        assert!(s.modes.partner_advertised.is_empty());
    }

    #[test]
    fn settings_indented_as_a_whole_with_partner_modes() {
        // Every line is indented by 8 more, and error lines sit between
        // the settings at the header's indentation.
        let s = settings("TEST_ETHTOOL_DOCS.txt");
        assert_eq!(*known(&s.speed_mbps), 100);
        assert_eq!(*known(&s.duplex), Duplex::Full);
        assert!(s.modes.autoneg);
        assert!(s.modes.supports_autoneg);
        let four = modes("10baseT/Half 10baseT/Full 100baseT/Half 100baseT/Full");
        assert_eq!(s.modes.supported, four);
        assert_eq!(s.modes.advertised, four);
        assert_eq!(s.modes.partner_advertised, four);
    }

    #[test]
    fn an_error_message_instead_of_settings_is_unknown_with_it() {
        // "Settings for dummy2:" then "No data available".
        let f = parse_settings(&sample("ETHTOOL_INFO_BAD_1.txt")).unwrap();
        let m = unknown(&f, Reason::Failed);
        assert!(m.detail.contains("No data available"), "{m}");
    }

    #[test]
    fn a_key_without_colon_is_an_error_naming_its_line() {
        // Line 3 is "    Supported ports" (line 1 is empty).
        let err = parse_settings(&sample("ETHTOOL_INFO_BAD_3.txt")).unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
    }

    #[test]
    fn settings_cut_short_are_an_error_not_defaults() {
        // Pause and autoneg support only: no speed, duplex, modes or
        // autoneg state. Not "no link settings", and not autoneg off.
        let err = parse_settings(&sample("ETHTOOL_INFO_TEST.txt")).unwrap_err();
        assert!(err.contains("cut off"), "{err}");
    }

    /// Cutting a good output anywhere gives an error, an unknown, or (once
    /// every setting is in) the whole output's settings: never other values.
    #[test]
    fn every_cut_of_a_good_output_is_refused_or_complete() {
        for name in ["ETHTOOL_INFO.txt", "TEST_ETHTOOL_DOCS.txt"] {
            let text = sample(name);
            let whole = parse_settings(&text).unwrap();
            for (cut, _) in text.char_indices() {
                match parse_settings(&text[..cut]) {
                    Err(_) | Ok(Fact::Unknown(_)) => {}
                    Ok(partial) => assert_eq!(partial, whole, "{name} cut at byte {cut}"),
                }
            }
        }
    }

    #[test]
    fn driver_info() {
        let d = driver("TEST_ETHTOOL_I_GOOD.txt");
        assert_eq!(d.driver, "virtio_net");
        assert_eq!(d.version.as_deref(), Some("1.0.0"));
        assert_eq!(d.firmware_version, None); // "firmware-version:" empty
        assert_eq!(d.bus_info.as_deref(), Some("0000:00:03.0"));
        let d = driver("TEST_ETHTOOL_I_DOCS.txt");
        assert_eq!(d.driver, "bonding");
        assert_eq!(d.version.as_deref(), Some("3.6.0"));
        assert_eq!(d.firmware_version.as_deref(), Some("2"));
        assert_eq!(d.bus_info, None); // "bus-info:" empty
    }

    #[test]
    fn driver_info_without_its_version_line_is_an_error() {
        // No "version:" line: the version is not known to be empty.
        let err = parse_driver(&sample("TEST_ETHTOOL_I_MISSING_KEYS.txt")).unwrap_err();
        assert!(err.contains("version"), "{err}");
    }

    #[test]
    fn every_cut_of_driver_info_is_refused_or_complete() {
        for name in ["TEST_ETHTOOL_I_GOOD.txt", "TEST_ETHTOOL_I_DOCS.txt"] {
            let text = sample(name);
            let whole = parse_driver(&text).unwrap();
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            for n in 0..lines.len() {
                match parse_driver(&lines[..n].concat()) {
                    Err(_) | Ok(Fact::Unknown(_)) => {}
                    Ok(partial) => assert_eq!(partial, whole, "{name} cut after line {n}"),
                }
            }
        }
    }

    #[test]
    fn other_commands_output_is_refused_by_both_parsers() {
        for name in [
            "ETHTOOL_K_BAD_ARGS.txt",
            "FAIL_ETHTOOL_A_2.txt",
            "TEST_ETHTOOL_I_GOOD.txt",
        ] {
            assert!(parse_settings(&sample(name)).is_err(), "{name}");
        }
        for name in [
            "ETHTOOL_K_BAD_ARGS.txt",
            "FAIL_ETHTOOL_A_2.txt",
            "ETHTOOL_INFO.txt",
            "TEST_ETHTOOL_DOCS.txt",
        ] {
            assert!(parse_driver(&sample(name)).is_err(), "{name}");
        }
    }
}

/// `/proc/net/bonding` files from RedHatInsights/insights-core (collected
/// from hosts: modes 0, 1, 2 and 4, one cut-off file) and
/// influxdata/telegraf (active-backup, LACP read without privileges, an
/// LACP member down); and node_exporter's sysfs bonds, read where the proc
/// file is missing.
mod bonding {
    use super::*;
    use hostlint::collect::bond::parse_proc;
    use hostlint::snapshot::{Bond, BondLacp, BondMember, MemberLacp};

    fn parse(rel: &str) -> Bond {
        let text = fs::read_to_string(data(rel)).unwrap();
        parse_proc("bond0", rel, &text)
    }

    #[track_caller]
    fn members(bond: &Bond) -> &[BondMember] {
        known(&bond.members).as_slice()
    }

    #[track_caller]
    fn lacp(bond: &Bond) -> &BondLacp {
        known(&bond.lacp).as_ref().expect("an 802.3ad bond")
    }

    #[track_caller]
    fn port(member: &BondMember) -> &MemberLacp {
        known(&member.lacp).as_ref().expect("an 802.3ad member")
    }

    /// Name, MII status, speed, duplex, link failures, permanent MAC.
    #[track_caller]
    fn assert_member(
        m: &BondMember,
        name: &str,
        mii: &str,
        speed: u32,
        failures: u64,
        mac: Option<&str>,
    ) {
        assert_eq!(m.name, name);
        assert_eq!(known(&m.mii_status), mii, "{name}");
        assert_eq!(*known(&m.speed_mbps), speed, "{name}");
        assert_eq!(*known(&m.duplex), Duplex::Full, "{name}");
        assert_eq!(*known(&m.link_failure_count), failures, "{name}");
        assert_eq!(known(&m.permanent_mac).as_deref(), mac, "{name}");
    }

    #[test]
    fn round_robin_and_xor_over_two_gigabit_ports() {
        for (file, mode) in [
            ("insights-core/test_bond/BONDINFO_1.txt", "balance-rr"),
            ("insights-core/test_bond/BONDINFO_MODE_2.txt", "balance-xor"),
        ] {
            let b = parse(file);
            assert_eq!(b.source, file);
            assert_eq!(known(&b.mode), mode);
            assert_eq!(*known(&b.miimon_ms), 100);
            assert_eq!(known(&b.mii_status), "up");
            // No active member in these modes, and no LACP.
            assert_eq!(*known(&b.active_member), None);
            assert!(known(&b.lacp).is_none());
            let [eno1, eno2] = members(&b) else {
                panic!("{:?}", b.members)
            };
            assert_member(eno1, "eno1", "up", 1000, 0, Some("2c:44:fd:80:5c:f8"));
            assert_member(eno2, "eno2", "up", 1000, 0, Some("2c:44:fd:80:5c:f9"));
            assert!(known(&eno1.lacp).is_none());
        }
    }

    #[test]
    fn active_backup_names_its_active_member() {
        let b = parse("insights-core/test_bond/BONDINFO_MODE_5.txt");
        assert_eq!(known(&b.mode), "active-backup");
        assert_eq!(known(&b.active_member).as_deref(), Some("enp17s0f0"));
        let [a, b2] = members(&b) else { panic!() };
        assert_member(a, "enp17s0f0", "up", 10000, 0, Some("00:1f:f3:af:d3:f0"));
        assert_member(b2, "enp17s0f1", "up", 10000, 0, Some("00:1f:f3:af:d3:f1"));
    }

    #[test]
    fn arp_monitored_active_backup_with_tens_of_thousands_of_failures() {
        // "MII Polling Interval (ms): 0": the ARP monitor watches instead;
        // "Primary Slave: em3 (primary_reselect failure)".
        let b = parse("insights-core/test_bond/BONDINFO_MODE_7.txt");
        assert_eq!(known(&b.mode), "active-backup");
        assert_eq!(*known(&b.miimon_ms), 0);
        assert_eq!(known(&b.active_member).as_deref(), Some("em3"));
        let [em3, p2p3] = members(&b) else { panic!() };
        // Both ports show one permanent address in the file: kept as read.
        assert_member(em3, "em3", "up", 1000, 92028, Some("00:1f:f3:af:d3:f1"));
        assert_member(p2p3, "p2p3", "up", 1000, 71524, Some("00:1f:f3:af:d3:f1"));
        assert_eq!(known(&b.primary).as_deref(), Some("em3"));
        assert_eq!(*known(&b.arp_interval_ms), 1000);
        assert_eq!(known(&b.arp_targets), &["10.152.1.1"]);
        assert_eq!(*known(&b.xmit_hash_policy), None);
    }

    #[test]
    fn active_backup_with_the_backup_down_and_mixed_speeds() {
        // The file starts with an empty line; "Permanent HW addr:" is
        // empty for both, and eth2's section ends without a queue ID.
        let b = parse("telegraf/bond/sampleTestAB.txt");
        assert_eq!(known(&b.mode), "active-backup");
        assert_eq!(known(&b.active_member).as_deref(), Some("eth2"));
        assert_eq!(known(&b.mii_status), "up");
        let [eth3, eth2] = members(&b) else { panic!() };
        // Down, yet the bond keeps the speed it last saw.
        assert_member(eth3, "eth3", "down", 1000, 2, None);
        assert_member(eth2, "eth2", "up", 100, 0, None);
    }

    #[test]
    fn lacp_with_a_member_down_in_an_aggregator_of_its_own_and_no_partner() {
        let file = "insights-core/test_bond/BOND_MODE_4.txt";
        let b = parse(file);
        assert_eq!(known(&b.mode), "802.3ad");
        assert_eq!(*known(&b.miimon_ms), 100);
        assert_eq!(*known(&b.active_member), None);
        let l = lacp(&b);
        assert_eq!(known(&l.rate), "slow");
        assert_eq!(*known(&l.active_aggregator_id), Some(1));
        assert_eq!(known(&l.partner_mac).as_deref(), Some("00:00:00:00:00:00"));
        let [up, down] = members(&b) else { panic!() };
        assert_member(up, "enp0s9", "up", 1000, 0, Some("08:00:27:99:a3:6b"));
        assert_eq!(*known(&port(up).aggregator_id), Some(1));
        // All zeros: no LACP partner answers. Kept as read.
        assert_eq!(known(&port(up).partner_mac), "00:00:00:00:00:00");
        assert_eq!(down.name, "enp0s8");
        assert_eq!(known(&down.mii_status), "down");
        // "Speed: Unknown" on line 52, "Duplex: Unknown" on 53.
        let m = unknown(&down.speed_mbps, Reason::LinkDown);
        assert!(m.detail.starts_with(&format!("{file}:52: ")), "{m}");
        let m = unknown(&down.duplex, Reason::LinkDown);
        assert!(m.detail.starts_with(&format!("{file}:53: ")), "{m}");
        assert_eq!(*known(&down.link_failure_count), 0);
        assert_eq!(
            known(&down.permanent_mac).as_deref(),
            Some("08:00:27:a2:8d:f5")
        );
        assert_eq!(*known(&port(down).aggregator_id), Some(2));
        assert_eq!(known(&port(down).partner_mac), "00:00:00:00:00:00");
        // The partner of enp0s9 churned once; enp0s8 churned on both sides.
        assert_eq!(known(&port(up).actor_churn), "none");
        assert_eq!(known(&port(up).partner_churn), "churned");
        assert_eq!(*known(&port(up).partner_churned_count), 1);
        assert_eq!(known(&port(down).actor_churn), "churned");
        assert_eq!(*known(&port(down).actor_churned_count), 1);
        // Up Delay 2000, Down Delay 1000.
        assert_eq!(
            (*known(&b.up_delay_ms), *known(&b.down_delay_ms)),
            (2000, 1000)
        );
        assert_eq!(known(&b.xmit_hash_policy).as_deref(), Some("layer2"));
    }

    #[test]
    fn lacp_of_an_old_kernel_and_a_stray_line_in_one_member() {
        // Driver v3.2.4: the active aggregator is shown, per-member LACPDU
        // details were not printed yet.
        let file = "insights-core/test_bond/BONDINFO_MODE_4.txt";
        let b = parse(file);
        assert_eq!(known(&b.mode), "802.3ad");
        assert_eq!(*known(&b.miimon_ms), 500);
        let l = lacp(&b);
        assert_eq!(known(&l.rate), "slow");
        assert_eq!(*known(&l.active_aggregator_id), Some(3));
        assert_eq!(known(&l.partner_mac).as_deref(), Some("00:00:00:00:00:00"));
        let [eth1, eth2] = members(&b) else { panic!() };
        assert_member(eth1, "eth1", "up", 1000, 0, Some("00:16:35:5e:42:fc"));
        assert_eq!(*known(&port(eth1).aggregator_id), Some(3));
        let m = unknown(&port(eth1).partner_mac, Reason::NotSupported);
        assert!(m.detail.contains("does not show"), "{m}");
        // Line 31 is a bare "Speed" after eth2's "Speed: 1000 Mbps": the
        // well-formed lines around it still read, and name aggregator 2
        // where eth1 is in 3 (a member cabled elsewhere).
        assert_member(eth2, "eth2", "up", 1000, 0, Some("00:16:35:5e:02:7e"));
        assert_eq!(*known(&port(eth2).aggregator_id), Some(2));
        // What eth2's part lacks may have been that line.
        let m = unknown(&port(eth2).partner_mac, Reason::Malformed);
        assert!(
            m.detail
                .starts_with(&format!("{file}:31: not a \"key: value\" line: \"Speed\"")),
            "{m}"
        );
        // The driver of 2008 prints the hash policy and the delays.
        assert_eq!(known(&b.xmit_hash_policy).as_deref(), Some("layer2"));
        assert_eq!((*known(&b.up_delay_ms), *known(&b.down_delay_ms)), (0, 0));
    }

    #[test]
    fn lacp_read_without_privileges_hides_aggregator_and_partners() {
        // telegraf's files have "Actor Churn State" but neither "System
        // priority" nor "Active Aggregator Info": a 4.x+ kernel read
        // without CAP_NET_ADMIN.
        for file in [
            "telegraf/bond/sampleTestLACP.txt",
            "telegraf/bond/sampleTestLACPFirstUpSecondDown.txt",
        ] {
            let b = parse(file);
            assert_eq!(known(&b.mode), "802.3ad");
            assert_eq!(*known(&b.miimon_ms), 100);
            let l = lacp(&b);
            assert_eq!(known(&l.rate), "fast");
            unknown(&l.active_aggregator_id, Reason::Permission);
            unknown(&l.partner_mac, Reason::Permission);
            let [eth0, eth1] = members(&b) else { panic!() };
            assert_member(eth0, "eth0", "up", 10000, 2, Some("3c:ec:ef:5e:71:58"));
            for m in [eth0, eth1] {
                assert_eq!(*known(&port(m).aggregator_id), Some(2));
                let miss = unknown(&port(m).partner_mac, Reason::Permission);
                assert!(miss.detail.contains("CAP_NET_ADMIN"), "{miss}");
            }
            assert_eq!(*known(&eth1.link_failure_count), 1);
        }
        let b = parse("telegraf/bond/sampleTestLACP.txt");
        assert_member(
            &members(&b)[1],
            "eth1",
            "up",
            10000,
            1,
            Some("3c:ec:ef:5e:71:59"),
        );
        // The same bond with eth1 down: "Speed: Unknown" on line 31 is a
        // link-down reason, not a speed of 0.
        let file = "telegraf/bond/sampleTestLACPFirstUpSecondDown.txt";
        let b = parse(file);
        let eth1 = &members(&b)[1];
        assert_eq!(known(&eth1.mii_status), "down");
        let m = unknown(&eth1.speed_mbps, Reason::LinkDown);
        assert!(m.detail.starts_with(&format!("{file}:31: ")), "{m}");
        unknown(&eth1.duplex, Reason::LinkDown);
    }

    #[test]
    fn a_corrupt_file_is_unknown_naming_file_and_line() {
        // Three member lines without the driver's banner or any section.
        let file = "insights-core/test_bond/BONDINFO_CORRUPT.txt";
        let b = parse(file);
        let m = unknown(&b.members, Reason::Malformed);
        assert!(m.detail.starts_with(&format!("{file}:1: ")), "{m}");
        assert!(m.detail.contains("Link Failure Count: 0"), "{m}");
        for f in [b.mode.missing(), b.mii_status.missing(), b.lacp.missing()] {
            assert_eq!(f, Some(m));
        }
        unknown(&b.miimon_ms, Reason::Malformed);
        unknown(&b.active_member, Reason::Malformed);
    }

    /// The collector lists `proc/net/bonding` and names each bond by its
    /// file.
    #[test]
    fn the_collector_reads_every_file_in_proc_net_bonding() {
        let dir = tempfile::tempdir().unwrap();
        let bonding = dir.path().join("proc/net/bonding");
        fs::create_dir_all(&bonding).unwrap();
        fs::copy(
            data("insights-core/test_bond/BOND_MODE_4.txt"),
            bonding.join("bond0"),
        )
        .unwrap();
        fs::copy(
            data("telegraf/bond/sampleTestAB.txt"),
            bonding.join("bond1"),
        )
        .unwrap();
        let snap = snapshot(dir.path());
        let bonds = known(&snap.bonds);
        assert_eq!(bonds.len(), 2);
        let bond1 = snap.bond("bond1").unwrap();
        assert_eq!(bond1.source, "proc/net/bonding/bond1");
        assert_eq!(known(&bond1.active_member).as_deref(), Some("eth2"));
        assert_eq!(known(&snap.bond("bond0").unwrap().mode), "802.3ad");
    }

    /// node_exporter's tree: `bonding_masters` names three bonds, each
    /// with `bonding/slaves` and `slave_M/bonding_slave/mii_status` of its
    /// members, and nothing else of the bonding driver.
    #[test]
    fn sysfs_bonds_of_node_exporter_where_proc_net_bonding_is_missing() {
        let snap = snapshot(&data("node_exporter"));
        let bonds = known(&snap.bonds);
        let names: Vec<&str> = bonds.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["bond0", "dmz", "int"]);
        let mii = |bond: &str| -> Vec<(String, String)> {
            members(snap.bond(bond).unwrap())
                .iter()
                .map(|m| (m.name.clone(), known(&m.mii_status).clone()))
                .collect()
        };
        // bond0/bonding/slaves is empty.
        assert!(mii("bond0").is_empty());
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        assert_eq!(mii("dmz"), pairs(&[("eth0", "up"), ("eth4", "up")]));
        // "eth5 eth1", in the bond's order; eth1 is down.
        assert_eq!(mii("int"), pairs(&[("eth5", "up"), ("eth1", "down")]));
        for b in bonds {
            let name = &b.name;
            assert_eq!(b.source, format!("sys/class/net/{name}/bonding"));
            not_captured(&b.mode, &format!("{name}/bonding/mode"));
            not_captured(&b.miimon_ms, &format!("{name}/bonding/miimon"));
            not_captured(&b.mii_status, &format!("{name}/bonding/mii_status"));
            not_captured(&b.active_member, &format!("{name}/bonding/active_slave"));
            // Whether it runs LACP depends on the mode, which is not there.
            not_captured(&b.lacp, &format!("{name}/bonding/mode"));
            for m in members(b) {
                let dir = format!("{name}/slave_{}", m.name);
                not_captured(&m.speed_mbps, &format!("{dir}/speed"));
                not_captured(&m.duplex, &format!("{dir}/duplex"));
                not_captured(
                    &m.link_failure_count,
                    &format!("{dir}/bonding_slave/link_failure_count"),
                );
                not_captured(
                    &m.permanent_mac,
                    &format!("{dir}/bonding_slave/perm_hwaddr"),
                );
                not_captured(&m.lacp, &format!("{name}/bonding/mode"));
            }
        }
    }
}

/// The whole trees, unpacked from their upstream archives (with the
/// empty directories the plain copies lost): InfiniBand ports, NVMe
/// controllers and namespaces.
mod archives {
    use super::*;
    use hostlint::snapshot::{IbDevice, IbPort, NvmeSubsystem};

    fn unpacked(archive: &str) -> (tempfile::TempDir, Snapshot) {
        let dir = tempfile::tempdir().unwrap();
        crate::oracle::unpack(archive, dir.path());
        let root = if dir.path().join("fixtures").is_dir() {
            dir.path().join("fixtures")
        } else {
            dir.path().to_owned()
        };
        let snap = snapshot(&root);
        (dir, snap)
    }

    fn port<'a>(devices: &'a [IbDevice], name: &str, n: u32) -> (&'a IbDevice, &'a IbPort) {
        let d = devices.iter().find(|d| d.name == name).unwrap();
        (d, known(&d.ports).iter().find(|p| p.number == n).unwrap())
    }

    fn subsystem<'a>(subs: &'a [NvmeSubsystem], name: &str) -> &'a NvmeSubsystem {
        subs.iter().find(|s| s.name == name).unwrap()
    }

    #[test]
    fn infiniband_ports_of_node_exporter_with_counters_missing_and_saturated() {
        let (_dir, snap) = unpacked("node_exporter/sys-tree.tar.gz");
        let devices = known(&snap.infiniband);
        let names: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["i40iw0", "mlx4_0"]);
        let (mlx4, p1) = port(devices, "mlx4_0", 1);
        assert_eq!(known(&mlx4.hca_type), "MT4099");
        assert_eq!(known(&mlx4.firmware_version), "2.31.5050");
        assert_eq!(
            (known(&p1.state).as_str(), known(&p1.phys_state).as_str()),
            ("ACTIVE", "LinkUp")
        );
        // "40 Gb/sec (4X QDR)"
        assert_eq!((*known(&p1.rate_gbps), *known(&p1.width)), (40.0, 4));
        assert_eq!(known(&p1.speed).as_deref(), Some("QDR"));
        let c = known(&p1.counters);
        assert_eq!(*known(&c["port_xmit_discards"]), 5);
        // 2^32 - 1: a 32-bit PMA counter that stopped counting.
        assert_eq!(*known(&c["port_xmit_wait"]), 4_294_967_295);
        // This tree's port has no symbol_error file at all.
        assert!(!c.contains_key("symbol_error"));
        // i40iw0: "10 Gb/sec (4X)" names no lane speed, and every counter
        // says "N/A (no PMA)".
        let (_, i40) = port(devices, "i40iw0", 1);
        assert_eq!(*known(&i40.speed), None);
        let m = unknown(&known(&i40.counters)["symbol_error"], Reason::NotSupported);
        assert!(m.detail.contains("N/A (no PMA)"), "{m}");
    }

    #[test]
    fn infiniband_ports_of_procfs_with_a_port_at_1x_and_a_state_out_of_its_number() {
        let (_dir, snap) = unpacked("prometheus-procfs/fixtures.tar.gz");
        let devices = known(&snap.infiniband);
        let (hfi, p) = port(devices, "hfi1_0", 1);
        not_captured(&hfi.hca_type, "hfi1_0/hca_type");
        assert_eq!((*known(&p.rate_gbps), *known(&p.width)), (100.0, 4));
        // "25 Gb/sec (1X EDR)": one lane.
        let (_, mlx5) = port(devices, "mlx5_0", 1);
        assert_eq!(*known(&mlx5.width), 1);
        // "4: ACTIVE" as a physical state: 4 is PortConfigurationTraining.
        let m = unknown(&mlx5.phys_state, Reason::Malformed);
        assert!(m.detail.contains("PortConfigurationTraining"), "{m}");
    }

    #[test]
    fn nvme_controllers_and_namespaces_of_both_trees() {
        // node_exporter: the head nvme0n1 has no multipath/ (before 6.15);
        // its path is the namespace under the controller's class entry,
        // whose model, serial and firmware are there too.
        let (_dir, snap) = unpacked("node_exporter/sys-tree.tar.gz");
        let subs = known(&snap.storage.nvme);
        let s = subsystem(subs, "nvme-subsys0");
        let c = &known(&s.controllers)[0];
        assert_eq!(known(&c.model), "Samsung SSD 970 PRO 512GB");
        assert_eq!(known(&c.serial), "S680HF8N190894I");
        assert_eq!(known(&c.firmware_rev), "1B2QEXP7");
        // The subsystem's entry of the same controller holds its transport.
        assert_eq!(known(&c.transport), "fc");
        let ns = &known(&s.namespaces)[0];
        assert_eq!((ns.name.as_str(), ns.nsid), ("nvme0n1", 1));
        // 3906250000 sectors of 512 bytes.
        assert_eq!(*known(&ns.size_bytes), 2_000_000_000_000);
        assert_eq!(ns.paths.len(), 1);
        assert_eq!(ns.paths[0].controller, "nvme0");
        assert_eq!(known(&ns.paths[0].ana_state).as_deref(), Some("optimized"));
        // procfs: heads without multipath/ and no path under any
        // controller: not captured, not "no path".
        let (_dir, snap) = unpacked("prometheus-procfs/fixtures.tar.gz");
        let subs = known(&snap.storage.nvme);
        let m = unknown(
            &subsystem(subs, "nvme-subsys1").namespaces,
            Reason::NotCaptured,
        );
        assert!(
            m.detail
                .contains("no controller of the subsystem holds a path"),
            "{m}"
        );
    }
}

/// `policies/rdma-fabric.yaml` on node_exporter's tree: the port at 10G
/// fails, and with `--state` a link down between two runs is a warning
/// naming how many.
mod rdma_policy {
    use crate::util::{hostlint, parse_json, path_str, run_expect};

    fn audit(root: &std::path::Path, state: &std::path::Path, code: i32) -> serde_json::Value {
        let policy =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/rdma-fabric.yaml");
        let out = run_expect(
            &mut hostlint(&[
                "audit",
                "-p",
                path_str(&policy),
                "--root",
                path_str(root),
                "--state",
                path_str(state),
                "--format",
                "json",
            ]),
            code,
        );
        parse_json(&String::from_utf8(out.stdout).unwrap())
    }

    fn status(doc: &serde_json::Value, check: &str, subject: &str) -> (String, String) {
        let f = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check && f["subject"] == subject)
            .unwrap_or_else(|| panic!("no {check} {subject}"));
        (
            f["status"].as_str().unwrap().to_owned(),
            f["observed"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn a_slow_port_fails_and_a_link_down_between_runs_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("host");
        crate::oracle::unpack("node_exporter/sys-tree.tar.gz", &root);
        std::fs::create_dir_all(root.join("proc")).unwrap();
        std::fs::write(root.join("proc/uptime"), "1000.00 3900.00\n").unwrap();
        let state = dir.path().join("state.json");
        let first = audit(&root, &state, 2);
        assert_eq!(status(&first, "rdma-ports-at-rate", "i40iw0/1").0, "FAIL");
        assert_eq!(status(&first, "rdma-ports-at-rate", "mlx4_0/1").0, "PASS");
        assert_eq!(status(&first, "rdma-ports-up", "mlx4_0/2").0, "PASS");
        // No previous run: growth unknown, never a pass.
        assert_eq!(status(&first, "rdma-links-clean", "mlx4_0/2").0, "UNKNOWN");
        // A minute later, port 2 went down twice and recovered.
        std::fs::write(root.join("proc/uptime"), "1060.00 4000.00\n").unwrap();
        std::fs::write(
            root.join("sys/class/infiniband/mlx4_0/ports/2/counters/link_downed"),
            "2\n",
        )
        .unwrap();
        let second = audit(&root, &state, 2);
        let (st, observed) = status(&second, "rdma-links-clean", "mlx4_0/2");
        assert_eq!(st, "WARN");
        assert!(observed.contains("link_downed +2 in 60 s"), "{observed}");
    }
}
