//! Block devices from `sys/block`: size, device number, where each sits in
//! the device tree (which gives its transport, SCSI host and adapter, the
//! way `lsblk` tells its TRAN column) and, for SCSI disks, the INQUIRY
//! vendor and model and the SCSI device state.

use super::{class_entries, is_scsi_host, link_target, malformed, pci_of, scsi_host_of};
use crate::collect::{read_parsed, read_value};
use crate::snapshot::{Attachment, BlockDevice, Fact, ScsiDevice};
use crate::source::Source;

pub const BLOCK: &str = "sys/block";

/// The kernel counts block device sizes in 512-byte sectors, whatever the
/// device's own block size.
const SECTOR: u64 = 512;

pub fn collect(source: &Source) -> Fact<Vec<BlockDevice>> {
    match class_entries(source, BLOCK) {
        Ok(names) => Fact::Known(names.iter().map(|n| device(source, n)).collect()),
        Err(m) => Fact::Unknown(m),
    }
}

fn device(source: &Source, name: &str) -> BlockDevice {
    let dir = format!("{BLOCK}/{name}");
    let attachment: Fact<Attachment> = link_target(source, &dir)
        .map(|path| attachment(name, path))
        .into();
    // `sd` names are the SCSI disk driver's, so a copy of sysfs that lost
    // the symlinks still says which devices are SCSI.
    let scsi = match attachment.known().map(|a| a.hctl.is_some()) {
        Some(true) => Fact::Known(Some(scsi(source, &dir))),
        Some(false) => Fact::Known(None),
        None if name.starts_with("sd") => Fact::Known(Some(scsi(source, &dir))),
        None => attachment.clone().map(|_| None),
    };
    BlockDevice {
        name: name.to_owned(),
        dev: read_parsed(source, &format!("{dir}/dev"), |t| {
            let (maj, min) = t.split_once(':')?;
            (maj.parse::<u32>().is_ok() && min.parse::<u32>().is_ok()).then(|| t.to_owned())
        })
        .into(),
        size_bytes: read_parsed(source, &format!("{dir}/size"), |t| {
            t.parse::<u64>().ok()?.checked_mul(SECTOR)
        })
        .into(),
        attachment,
        scsi,
    }
}

/// `0:0:0:0`
fn is_hctl(c: &str) -> bool {
    let parts: Vec<&str> = c.split(':').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn numbered_dir(c: &str, prefix: &str) -> bool {
    super::numbered(c, prefix).is_some()
}

/// The transport a device path shows, as lsblk names them.
pub fn attachment(name: &str, device_path: String) -> Attachment {
    let comps: Vec<&str> = device_path.split('/').collect();
    let hctl = comps
        .iter()
        .rev()
        .find(|c| is_hctl(c))
        .map(|c| (*c).to_owned());
    let any = |f: &dyn Fn(&str) -> bool| comps.iter().any(|c| f(c));
    let transport = if any(&|c| c == "nvme" || c.starts_with("nvme-")) {
        "nvme"
    } else if hctl.is_some() {
        if any(&|c| c.starts_with("rport-")) {
            "fc"
        } else if any(&|c| numbered_dir(c, "session")) {
            "iscsi"
        } else if any(&|c| c.starts_with("end_device-") || c.starts_with("expander-")) {
            "sas"
        } else if any(&|c| numbered_dir(c, "ata")) {
            "sata"
        } else if any(&|c| numbered_dir(c, "usb")) {
            "usb"
        } else {
            "scsi"
        }
    } else if any(&|c| c == "virtual") {
        if name.starts_with("dm-") {
            "dm"
        } else if name.starts_with("md") {
            "md"
        } else if name.starts_with("loop") {
            "loop"
        } else {
            "virtual"
        }
    } else if any(&|c| c.starts_with("virtio")) {
        "virtio"
    } else if any(&|c| c == "mmc_host" || c.starts_with("mmc")) {
        "mmc"
    } else {
        "other"
    };
    let scsi_host = hctl.as_ref().and_then(|_| scsi_host_of(&device_path));
    // The adapter is the PCI function above the SCSI host, or above the
    // device itself when it is not SCSI (NVMe, virtio).
    let adapter = match comps.iter().position(|c| is_scsi_host(c)) {
        Some(i) => pci_of(&comps[..i].join("/")),
        None => pci_of(&device_path),
    };
    Attachment {
        device_path,
        transport: transport.to_owned(),
        scsi_host,
        hctl,
        adapter,
    }
}

fn scsi(source: &Source, dir: &str) -> ScsiDevice {
    let text = |file: &str| -> Fact<String> {
        let rel = format!("{dir}/device/{file}");
        read_value(source, &rel)
            .and_then(|v| {
                // INQUIRY fields are blank-padded.
                let v = v.trim().to_owned();
                if v.is_empty() {
                    Err(malformed(&rel, &v))
                } else {
                    Ok(v)
                }
            })
            .into()
    };
    ScsiDevice {
        vendor: text("vendor"),
        model: text("model"),
        state: text("state"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, path: &str) -> (String, Option<String>, Option<String>, Option<String>) {
        let a = attachment(name, path.to_owned());
        (a.transport, a.scsi_host, a.hctl, a.adapter)
    }

    #[test]
    fn transports_from_device_paths() {
        assert_eq!(
            t(
                "sdg",
                "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/host3/rport-3:0-0/target3:0:0/3:0:0:1/block/sdg"
            ),
            (
                "fc".into(),
                Some("host3".into()),
                Some("3:0:0:1".into()),
                Some("0000:3b:00.0".into())
            )
        );
        assert_eq!(
            t(
                "sdo",
                "sys/devices/platform/host7/session1/target7:0:0/7:0:0:0/block/sdo"
            )
            .0,
            "iscsi"
        );
        assert_eq!(
            t("sdc", "sys/devices/pci0000:5d/0000:5d:00.0/0000:5e:00.0/host2/port-2:0/expander-2:0/port-2:0:0/end_device-2:0:0/target2:0:0/2:0:0:0/block/sdc").0,
            "sas"
        );
        let sata = t(
            "sda",
            "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda",
        );
        assert_eq!(
            (sata.0.as_str(), sata.3.as_deref()),
            ("sata", Some("0000:00:17.0"))
        );
        let nvme = t(
            "nvme0n1",
            "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1",
        );
        assert_eq!((nvme.0.as_str(), nvme.1), ("nvme", None));
        assert_eq!(
            t(
                "nvme1n1",
                "sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme1/nvme1n1"
            )
            .3
            .as_deref(),
            Some("0000:02:00.0")
        );
        assert_eq!(t("dm-3", "sys/devices/virtual/block/dm-3").0, "dm");
        assert_eq!(t("md0", "sys/devices/virtual/block/md0").0, "md");
        assert_eq!(
            t(
                "vda",
                "sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda"
            )
            .0,
            "virtio"
        );
        assert_eq!(t("zram0", "sys/devices/virtual/block/zram0").0, "virtual");
    }
}
