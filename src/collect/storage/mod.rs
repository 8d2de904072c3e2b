//! Storage collectors: one file per object, each a function of the source.
//! Block devices are read first: multipath paths and md members are block
//! devices, and their transport, HBA and SCSI state come from there.

pub mod ata;
pub mod block;
pub mod dm;
pub mod fc;
pub mod iscsi;
pub mod lookups;
pub mod mdraid;
pub mod mount;
pub mod multipath;
pub mod nvme;
pub mod sas;

use std::io;

use super::StorageScope;
use super::{absent_on_host, file_missing};
use crate::snapshot::{Fact, Missing, Reason, Storage};
use crate::source::Source;

/// Reads the storage parts `scope` names; the others are marked as not
/// collected. Multipath maps, device-mapper devices and md arrays need the
/// block devices, which are then read (and kept) too.
pub fn collect(source: &Source, scope: StorageScope) -> Storage {
    fn part<T>(wanted: bool, what: &str, read: impl FnOnce() -> Fact<T>) -> Fact<T> {
        if wanted {
            read()
        } else {
            Fact::unknown(
                Reason::NotCaptured,
                format!("{what} not collected in this run"),
            )
        }
    }
    let block = part(
        scope.block || scope.multipath || scope.dm || scope.md,
        "block devices",
        || block::collect(source),
    );
    Storage {
        multipath: part(scope.multipath, "multipath maps", || {
            multipath::collect(source, &block)
        }),
        dm: part(scope.dm, "device-mapper devices", || {
            dm::collect(source, &block)
        }),
        md: part(scope.md, "md arrays", || mdraid::collect(source, &block)),
        block,
        nvme: part(scope.nvme, "NVMe subsystems", || nvme::collect(source)),
        fc_hosts: part(scope.fc_hosts, "FC ports", || fc::collect(source)),
        iscsi: part(scope.iscsi, "iSCSI sessions", || iscsi::collect(source)),
        sas_phys: part(scope.sas_phys, "SAS phys", || sas::collect(source)),
        ata_links: part(scope.ata_links, "SATA links", || ata::collect(source)),
        mounts: part(scope.mounts, "mounts", || mount::collect(source)),
        mount_probes: Vec::new(),
        files: Vec::new(),
    }
}

/// The entries of a class directory (`sys/class/fc_host`). A directory
/// absent on the host means the driver class is not loaded: none of them.
pub(crate) fn class_entries(source: &Source, dir: &str) -> Result<Vec<String>, Missing> {
    match source.root().read_dir(dir) {
        Ok(names) => Ok(names),
        Err(e) if absent_on_host(&e) => Ok(Vec::new()),
        Err(e) => Err(file_missing(dir, &e)),
    }
}

/// The entries of a directory whose names are the facts (`slaves/`), each
/// looked up as well: a capture keeps what was looked up, so the entries
/// a listing named replay too.
pub(crate) fn named_entries(source: &Source, dir: &str) -> Result<Vec<String>, Missing> {
    let names = class_entries(source, dir)?;
    for n in &names {
        source.root().is_dir(&format!("{dir}/{n}"));
    }
    Ok(names)
}

/// A file that may be absent on the host: `None` then, the value otherwise.
pub(crate) fn optional_value(source: &Source, rel: &str) -> Fact<Option<String>> {
    match source.root().read_value(rel) {
        Ok(v) => Fact::Known(Some(v)),
        Err(e) if absent_on_host(&e) => Fact::Known(None),
        Err(e) => Fact::Unknown(file_missing(rel, &e)),
    }
}

/// Where the symlink at `rel` points, as a path relative to the root
/// (`sys/devices/...`). A copy that made the link a directory or a file
/// lost that: not captured, with the reason.
pub(crate) fn link_target(source: &Source, rel: &str) -> Result<String, Missing> {
    match source.root().read_link(rel) {
        Ok(target) => Ok(normalize(rel, &target)),
        Err(e)
            if e.kind() == io::ErrorKind::InvalidInput
                || e.raw_os_error() == Some(libc::EINVAL) =>
        {
            Err(Missing::new(
                Reason::NotCaptured,
                format!(
                    "{rel} is not a symlink in this copy (the kernel makes it one): where the device sits is not known"
                ),
            ))
        }
        Err(e) => Err(file_missing(rel, &e)),
    }
}

/// The path a link at `link` with target `target` points to, relative to
/// the root: `sys/block/sda` + `../devices/x/block/sda` →
/// `sys/devices/x/block/sda`.
pub(crate) fn normalize(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = link.split('/').filter(|c| !c.is_empty()).collect();
        p.pop();
        p
    };
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// `host3`
pub(crate) fn is_scsi_host(c: &str) -> bool {
    c.strip_prefix("host")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The last `hostN` of a device path.
pub(crate) fn scsi_host_of(path: &str) -> Option<String> {
    path.split('/')
        .rev()
        .find(|c| is_scsi_host(c))
        .map(str::to_owned)
}

/// `0000:3b:00.0`
pub(crate) fn is_pci_address(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 12
        && b[4] == b':'
        && b[7] == b':'
        && b[10] == b'.'
        && c.bytes()
            .enumerate()
            .all(|(i, x)| matches!(i, 4 | 7 | 10) || x.is_ascii_hexdigit())
}

/// The PCI function a device path hangs off: the last PCI address in it.
pub(crate) fn pci_of(path: &str) -> Option<String> {
    path.split('/')
        .rev()
        .find(|c| is_pci_address(c))
        .map(str::to_owned)
}

/// Whether `name` is `prefix` followed by digits only.
pub(crate) fn numbered(name: &str, prefix: &str) -> Option<u32> {
    let n = name.strip_prefix(prefix)?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

pub(crate) fn malformed(rel: &str, text: &str) -> Missing {
    Missing::new(
        Reason::Malformed,
        format!("{rel}: unexpected value {text:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_are_joined_and_normalized() {
        assert_eq!(
            normalize(
                "sys/block/sda",
                "../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
            ),
            "sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
        );
        // An absolute target starts again from the root.
        assert_eq!(normalize("sys/class/x/y", "/devices/z/"), "devices/z");
        assert_eq!(normalize("a/b", "../../../../c"), "c");
    }

    #[test]
    fn names_in_device_paths() {
        let p = "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.1/host4/rport-4:0-1/target4:0:1/4:0:1:2/block/sdm";
        assert_eq!(scsi_host_of(p).as_deref(), Some("host4"));
        assert_eq!(pci_of(p).as_deref(), Some("0000:3b:00.1"));
        assert!(!is_scsi_host("hostx") && !is_scsi_host("host"));
        assert!(!is_pci_address("0000:3b:00") && is_pci_address("0000:3B:00.7"));
        assert_eq!(numbered("md127", "md"), Some(127));
        assert_eq!(numbered("md_d0", "md"), None);
    }
}
