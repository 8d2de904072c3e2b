//! Storage paths: every way a Linux host reaches its disks, and the state of
//! each way. Block devices and the transport they hang off, device-mapper
//! multipath maps with the kernel's own state of every path, NVMe subsystems
//! with the ANA state of every path, Fibre Channel ports, iSCSI sessions,
//! SAS phys with their error counters, SATA links, md arrays and mounts.
//!
//! These are the facts behind the incident hostlint exists for: a drive
//! array cable working loose shows as paths failing and recovering (fail
//! counts), link error counters rising (SAS, FC), a map down to one path,
//! then a mount that stops answering.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::Fact;

/// Every storage fact of a host. Each part is read on its own: one that
/// cannot be read does not hide the others.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Storage {
    pub block: Fact<Vec<BlockDevice>>,
    pub multipath: Fact<Vec<MultipathMap>>,
    /// Every device-mapper device (LVM volumes, crypt devices, partitions
    /// of a map, the multipath maps themselves), with what it is built on.
    pub dm: Fact<Vec<DmDevice>>,
    pub nvme: Fact<Vec<NvmeSubsystem>>,
    pub fc_hosts: Fact<Vec<FcHost>>,
    pub iscsi: Fact<Vec<IscsiSession>>,
    pub sas_phys: Fact<Vec<SasPhy>>,
    pub ata_links: Fact<Vec<AtaLink>>,
    pub md: Fact<Vec<MdArray>>,
    pub mounts: Fact<Vec<Mount>>,
    /// Mount points the audited policies asked to probe; none in a `show`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mount_probes: Vec<MountProbe>,
    /// Files the audited policies asked about; none in a `show`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileFacts>,
}

impl Storage {
    /// Storage of which nothing was read, each part for the same reason.
    pub fn unread(m: &super::Missing) -> Storage {
        Storage {
            block: Fact::Unknown(m.clone()),
            multipath: Fact::Unknown(m.clone()),
            dm: Fact::Unknown(m.clone()),
            nvme: Fact::Unknown(m.clone()),
            fc_hosts: Fact::Unknown(m.clone()),
            iscsi: Fact::Unknown(m.clone()),
            sas_phys: Fact::Unknown(m.clone()),
            ata_links: Fact::Unknown(m.clone()),
            md: Fact::Unknown(m.clone()),
            mounts: Fact::Unknown(m.clone()),
            mount_probes: Vec::new(),
            files: Vec::new(),
        }
    }

    pub fn block_device(&self, name: &str) -> Option<&BlockDevice> {
        self.block.known()?.iter().find(|b| b.name == name)
    }
}

/// A block device of `sys/block`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BlockDevice {
    pub name: String,
    /// `MAJOR:MINOR`, as the kernel numbers it (`sys/block/NAME/dev`).
    pub dev: Fact<String>,
    pub size_bytes: Fact<u64>,
    /// Where the device hangs in the device tree, and what that tells.
    pub attachment: Fact<Attachment>,
    /// The SCSI device behind the disk; `null` for a device that is not
    /// SCSI (NVMe, virtio, device-mapper, md, loop).
    pub scsi: Fact<Option<ScsiDevice>>,
}

/// What the device's place in sysfs says about how it is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Attachment {
    /// The device's directory, relative to the root:
    /// `sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/host3/rport-3:0-0/target3:0:0/3:0:0:1/block/sdg`.
    pub device_path: String,
    /// `fc`, `iscsi`, `sas`, `sata`, `usb`, `scsi` (another SCSI transport),
    /// `nvme`, `virtio`, `mmc`, `dm`, `md`, `loop`, `virtual` or `other`.
    pub transport: String,
    /// The SCSI host (one HBA port, one iSCSI session) the device is reached
    /// through: `host3`. `null` for a device that is not SCSI.
    pub scsi_host: Option<String>,
    /// `host:channel:target:lun`.
    pub hctl: Option<String>,
    /// The PCI function of the adapter: `0000:3b:00.0`. `null` where the
    /// device hangs off no PCI device (iSCSI, virtual devices).
    pub adapter: Option<String>,
}

/// A SCSI disk's own facts.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ScsiDevice {
    /// The INQUIRY vendor, trailing blanks removed: `3PARdata`.
    pub vendor: Fact<String>,
    pub model: Fact<String>,
    /// The SCSI mid-layer's state of the device: `running`, `offline`,
    /// `blocked`, `transport-offline`, `quiesce`, `created`, `cancel`,
    /// `deleted`.
    pub state: Fact<String>,
}

/// A device-mapper multipath map (a DM device whose UUID starts `mpath-`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MultipathMap {
    /// The map's name: `mpatha`, or the WWID when user-friendly names are off.
    /// The kernel's device (`dm-2`) when the name could not be read.
    pub name: String,
    /// Why this device could not be told: its UUID (is it a multipath map
    /// at all?) or its name (which map is it?) could not be read. Its
    /// other facts are unknown for the same reason; the maps that could
    /// be told are judged without it. Not in the document: each of its
    /// unknown facts says why.
    #[serde(skip)]
    pub untold: Option<super::Missing>,
    /// The kernel's block device: `dm-3`. `null` for a map named only by the
    /// status text (a fixture without a copy of `sys/block`).
    pub dm: Option<String>,
    pub wwid: Fact<String>,
    pub size_bytes: Fact<u64>,
    pub suspended: Fact<bool>,
    /// `queue_if_no_path` in the map's table: I/O waits (forever, or as
    /// multipathd's `no_path_retry` allows) when every path has failed,
    /// instead of failing up to the filesystem.
    pub queue_if_no_path: Fact<bool>,
    /// Whether the map is queueing I/O right now (the status line's
    /// `queue_io`): with no path left, a map that queues hangs its users.
    pub queueing: Fact<bool>,
    /// The hardware handler: `alua`, `rdac`, `emc`; `null` for none.
    pub hardware_handler: Fact<Option<String>>,
    /// The map's multipath target status line (`dmsetup status` without the
    /// name, start and length): the kernel's own state of every path.
    /// Unknown, with the reason, when it could not be read: then the path
    /// states come from the SCSI devices (`path_states_from`).
    pub status: Fact<String>,
    /// `multipath_target` (the status line) or `scsi_device_state` (a
    /// fallback when the status line could not be read: a path the
    /// multipath checker failed while its SCSI device still runs shows as
    /// active).
    pub path_states_from: &'static str,
    /// Path groups in priority order; unknown when only the fallback was
    /// read.
    pub groups: Fact<Vec<PathGroup>>,
    pub paths: Fact<Vec<MultipathPath>>,
}

/// A device-mapper device (`sys/block/dm-N`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DmDevice {
    /// `dm-7`
    pub dm: String,
    /// `vg0-root`, `mpatha`, `luks-...`
    pub name: Fact<String>,
    pub uuid: Fact<String>,
    /// What its UUID's prefix says it is, as the tools that made it name
    /// themselves: `multipath` (`mpath-`), `lvm` (`LVM-`), `crypt`
    /// (`CRYPT-`), `partition` (`part1-...`, kpartx), `other`; `none`
    /// for a device made without a UUID (`dmsetup create`).
    pub kind: Fact<String>,
    pub size_bytes: Fact<u64>,
    pub suspended: Fact<bool>,
    /// The block devices it is built on (`slaves/`), by name.
    pub slaves: Fact<Vec<String>>,
    /// The multipath maps below it, directly or through other DM devices
    /// (an LVM volume on a partition of mpatha): its I/O takes their paths.
    pub multipath_maps: Fact<Vec<String>>,
}

/// The kinds of [`DmDevice`].
pub const DM_KINDS: &[&str] = &["multipath", "lvm", "crypt", "partition", "other", "none"];

/// The multipath target's state names, from `dm-mpath.c`.
pub const PATH_ACTIVE: &str = "active";
pub const PATH_FAILED: &str = "failed";
pub const FROM_TARGET: &str = "multipath_target";
pub const FROM_SCSI: &str = "scsi_device_state";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PathGroup {
    /// 1 for the first group, as `multipath -ll` counts.
    pub number: u32,
    /// `active` (I/O goes here now), `enabled` (ready to take over) or
    /// `disabled` (bypassed).
    pub state: String,
    /// The path selector: `round-robin`, `service-time`, `queue-length`;
    /// unknown without the table.
    pub selector: Option<String>,
}

/// One path of a map: a SCSI (or NVMe) device under it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MultipathPath {
    /// The block device: `sdg`; the `MAJOR:MINOR` the kernel gave where no
    /// device of that number is known.
    pub device: String,
    pub dev: Option<String>,
    /// The group it belongs to (its `number`); `null` in the fallback.
    pub group: Option<u32>,
    /// `active` or `failed`: the multipath target's state of the path, or,
    /// in the fallback, `active` for a SCSI device that is `running`.
    pub state: Fact<String>,
    /// How often the multipath target failed the path since the map was
    /// loaded: a path that fails and recovers again and again is a loose
    /// cable.
    pub fail_count: Fact<u64>,
    /// The SCSI device state of the path's disk; `null` when not SCSI.
    pub scsi_state: Fact<Option<String>>,
    /// The SCSI host (HBA port) the path runs through.
    pub scsi_host: Fact<Option<String>>,
    /// The adapter's PCI function.
    pub adapter: Fact<Option<String>>,
}

/// An NVMe subsystem: a storage system seen through one or more
/// controllers, each a path.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NvmeSubsystem {
    /// `nvme-subsys0`
    pub name: String,
    pub nqn: Fact<String>,
    pub model: Fact<String>,
    pub serial: Fact<String>,
    /// How native NVMe multipath spreads I/O over the controllers: `numa`,
    /// `round-robin`, `queue-depth`. `null` when the kernel runs without
    /// native multipath (no `iopolicy`).
    pub iopolicy: Fact<Option<String>>,
    pub controllers: Fact<Vec<NvmeController>>,
    pub namespaces: Fact<Vec<NvmeNamespace>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NvmeController {
    /// `nvme0`
    pub name: String,
    /// What the controller says it is (Identify Controller), trailing
    /// blanks removed.
    pub model: Fact<String>,
    pub serial: Fact<String>,
    /// The firmware revision it runs: `1B2QEXP7`.
    pub firmware_rev: Fact<String>,
    /// `live`, `connecting`, `resetting`, `deleting`, `dead`, `new`.
    pub state: Fact<String>,
    /// `pcie`, `fc`, `tcp`, `rdma`, `loop`.
    pub transport: Fact<String>,
    /// What the controller is reached at: `traddr=10.0.0.1,trsvcid=4420`,
    /// a PCI address for `pcie`.
    pub address: Fact<String>,
}

/// A namespace of a subsystem, with one path through each controller that
/// reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NvmeNamespace {
    /// The block device users see: `nvme0n1`.
    pub name: String,
    pub nsid: u32,
    /// Its capacity: the block device's `size`, which the kernel counts in
    /// 512-byte sectors whatever the namespace's block size.
    pub size_bytes: Fact<u64>,
    pub paths: Vec<NvmePath>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct NvmePath {
    /// `nvme0c1n1` with native multipath, `nvme1n1` without.
    pub name: String,
    /// The controller the path goes through: `nvme1`.
    pub controller: String,
    /// Asymmetric Namespace Access state: `optimized`, `non-optimized`,
    /// `inaccessible`, `persistent-loss`, `change`; `null` for a controller
    /// without ANA (a local SSD).
    pub ana_state: Fact<Option<String>>,
}

/// A Fibre Channel HBA port (`sys/class/fc_host/hostN`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FcHost {
    /// The SCSI host: `host3`.
    pub name: String,
    /// The port's WWPN: `0x10000090fa8f1234`.
    pub port_name: Fact<String>,
    pub node_name: Fact<String>,
    /// `Online`, `Linkdown`, `Offline`, `Blocked`, `Bypassed`,
    /// `Diagnostics`, `Error`, `Loopback`, `Marginal`, `NotPresent`,
    /// `Unknown`.
    pub port_state: Fact<String>,
    pub port_type: Fact<String>,
    /// The negotiated speed in Gbit/s; `null` when none is negotiated (the
    /// kernel says `unknown`).
    pub speed_gbps: Fact<Option<f64>>,
    pub supported_speeds_gbps: Fact<Vec<f64>>,
    /// The fabric's WWN; `0x0` on a point-to-point link.
    pub fabric_name: Fact<String>,
    pub symbolic_name: Fact<String>,
    /// The adapter's PCI function.
    pub adapter: Fact<Option<String>>,
    /// The port's statistics (`statistics/`), hex in sysfs; a counter of all
    /// ones is one the driver does not keep, unknown rather than huge.
    pub statistics: Fact<BTreeMap<String, Fact<u64>>>,
}

/// FC statistics that count errors (a cable, an optic or a port going
/// bad), in the order they are shown; the others count traffic.
pub const FC_ERROR_COUNTERS: &[&str] = &[
    "link_failure_count",
    "loss_of_sync_count",
    "loss_of_signal_count",
    "prim_seq_protocol_err_count",
    "invalid_tx_word_count",
    "invalid_crc_count",
    "error_frames",
];

/// An iSCSI session (`sys/class/iscsi_session/sessionN`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IscsiSession {
    /// `session1`
    pub name: String,
    /// The target's IQN.
    pub target: Fact<String>,
    /// `LOGGED_IN`, `FAILED` (the connection dropped; recovery runs until
    /// `recovery_tmo`) or `FREE`.
    pub state: Fact<String>,
    /// The SCSI host the session created: `host7`.
    pub scsi_host: Fact<Option<String>>,
    pub connections: Fact<Vec<IscsiConnection>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IscsiConnection {
    /// `connection1:0`
    pub name: String,
    /// The portal logged into: `10.20.0.11:3260`.
    pub portal: Fact<String>,
    /// `up`, `down`, `failed`, `bound`; `null` on kernels without the
    /// attribute.
    pub state: Fact<Option<String>>,
}

/// A SAS phy of an HBA or an expander (`sys/class/sas_phy/phy-H:P`,
/// `phy-H:E:P`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SasPhy {
    pub name: String,
    pub sas_address: Fact<String>,
    /// `end device` (a host phy), `edge expander`, `fanout expander`.
    pub device_type: Fact<String>,
    pub enabled: Fact<bool>,
    /// As the kernel prints it: `12.0 Gbit`, or a state: `Unknown` (nothing
    /// attached), `Phy disabled`, `Link Rate failed`, `Spin-up hold`.
    pub negotiated_linkrate: Fact<String>,
    /// The negotiated rate in Gbit/s; `null` when the phy has no link.
    pub negotiated_gbps: Fact<Option<f64>>,
    /// The highest rate the phy is set to use, and can use.
    pub maximum_gbps: Fact<f64>,
    pub maximum_hw_gbps: Fact<f64>,
    /// Error counters since the phy was reset: each rises with a marginal
    /// or loose cable.
    pub invalid_dword_count: Fact<u64>,
    pub running_disparity_error_count: Fact<u64>,
    pub loss_of_dword_sync_count: Fact<u64>,
    pub phy_reset_problem_count: Fact<u64>,
    /// The SCSI host (HBA) the phy belongs to, directly or behind expanders.
    pub scsi_host: Fact<Option<String>>,
}

/// The error counters a SAS phy keeps, by their sysfs names.
pub const SAS_ERROR_COUNTERS: [&str; 4] = [
    "invalid_dword_count",
    "running_disparity_error_count",
    "loss_of_dword_sync_count",
    "phy_reset_problem_count",
];

impl SasPhy {
    /// The error counters, named as in [`SAS_ERROR_COUNTERS`].
    pub fn error_counters(&self) -> [(&'static str, &Fact<u64>); 4] {
        let [a, b, c, d] = SAS_ERROR_COUNTERS;
        [
            (a, &self.invalid_dword_count),
            (b, &self.running_disparity_error_count),
            (c, &self.loss_of_dword_sync_count),
            (d, &self.phy_reset_problem_count),
        ]
    }
}

/// A SATA link (`sys/class/ata_link/linkN`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AtaLink {
    /// `link1`, `link2.1` behind a port multiplier.
    pub name: String,
    /// The ATA port: `ata1`.
    pub port: String,
    /// The negotiated SATA speed in Gbit/s; `null` without a link.
    pub negotiated_gbps: Fact<Option<f64>>,
    /// The speed limit libata applies now; lowered below the hardware's
    /// after link errors. `null`: no limit.
    pub limit_gbps: Fact<Option<f64>>,
    /// The controller's limit; `null`: no limit.
    pub hw_limit_gbps: Fact<Option<f64>>,
    pub devices: Fact<Vec<AtaDevice>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AtaDevice {
    /// `dev1.0`
    pub name: String,
    /// `ata`, `atapi`, `pmp`, `none`, ...
    pub class: Fact<String>,
    /// The fastest SATA generation the device says it supports (IDENTIFY
    /// word 76), in Gbit/s; `null` when it says none.
    pub max_gbps: Fact<Option<f64>>,
}

/// An md RAID array.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MdArray {
    /// `md0`
    pub name: String,
    /// What the facts were read from: `sys/block/md0/md` (which wins where
    /// both exist) or `proc/mdstat`.
    pub source: String,
    /// `raid1`, `raid5`, `raid6`, `raid10`, `raid0`, `linear`, `container`.
    pub level: Fact<String>,
    /// sysfs `array_state` (`clean`, `active`, `active-idle`, `readonly`,
    /// `read-auto`, `inactive`, `suspended`, `broken`, ...); from mdstat
    /// `active`, `inactive`, `read-only` or `auto-read-only`.
    pub state: Fact<String>,
    /// Member slots the array has.
    pub raid_disks: Fact<u32>,
    /// How many slots have no working member; `null` for a level without
    /// redundancy (raid0, linear, a container).
    pub degraded: Fact<Option<u32>>,
    pub members: Fact<Vec<MdMember>>,
    /// A resync, recovery, reshape, check or repair in progress; `null` when
    /// idle.
    pub sync: Fact<Option<MdSync>>,
    /// Sectors the last `check` or `repair` found to differ between copies
    /// (sysfs `mismatch_cnt`); set back to 0 when the next one starts.
    pub mismatch_count: Fact<u64>,
    /// Where `proc/mdstat` says otherwise of an array read from sysfs (on
    /// a host both come from the same driver state, so a difference means
    /// a copy edited by hand or taken at two moments). sysfs's facts are
    /// the ones above.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mdstat_disagrees: Vec<MdDisagreement>,
}

/// One fact of an array on which `proc/mdstat` and sysfs disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MdDisagreement {
    /// `level`, `state`, `raid_disks`, `degraded`, `members`, `sync`.
    pub fact: &'static str,
    pub mdstat: String,
    pub sysfs: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MdMember {
    /// The component device: `sda1`.
    pub device: String,
    /// The kernel's flags for it: `in_sync`, `faulty`, `spare`,
    /// `write_mostly`, `replacement`, `blocked`, ...
    pub state: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MdSync {
    /// `resync`, `recover` (rebuilding onto a spare), `reshape`, `check`,
    /// `repair`; or `resync` pending or delayed.
    pub action: String,
    /// How far it is: `null` when it waits to start (`resync=DELAYED`,
    /// `PENDING`) or the kernel gives no figure.
    pub done_percent: Option<f64>,
}

/// A mounted filesystem, from `proc/mounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Mount {
    pub source: String,
    pub mountpoint: String,
    pub fstype: String,
    pub options: Vec<String>,
}

/// Mount types that hold data on a network or a cluster.
const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "ceph",
    "glusterfs",
    "lustre",
    "gpfs",
    "ocfs2",
    "gfs2",
];

impl Mount {
    /// Whether the mount holds data (a block device, a network or cluster
    /// file system, FUSE) rather than being one of the kernel's own (proc,
    /// sysfs, tmpfs, cgroup, nsfs...), which come and go with logins,
    /// containers and namespaces.
    pub fn holds_data(&self) -> bool {
        self.source.starts_with("/dev/")
            || NETWORK_FS.contains(&self.fstype.as_str())
            || self.fstype.starts_with("fuse.")
    }

    pub fn has_option(&self, name: &str) -> bool {
        self.options
            .iter()
            .any(|o| o == name || o.split_once('=').is_some_and(|(k, _)| k == name))
    }
}

/// Whether a mount point answered: a `stat`, `statfs` and a directory read
/// of it, bounded by a time limit a hung mount cannot stretch.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MountProbe {
    pub mountpoint: String,
    pub limit_ms: u64,
    /// Unknown with `timeout` when it did not answer within the limit.
    pub answer: Fact<ProbeAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ProbeAnswer {
    pub elapsed_ms: u64,
    /// An error the mount answered with (`ESTALE: Stale file handle`);
    /// `null` when it answered well.
    pub error: Option<String>,
}

/// A file a policy asks about: the replicated configuration of the
/// incident, which grew until its checker could not keep up.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FileFacts {
    /// The absolute path on the host.
    pub path: String,
    pub limit_ms: u64,
    pub size_bytes: Fact<u64>,
    /// Seconds since the last modification, against the time of the run
    /// (a fixture's capture time).
    pub age_seconds: Fact<i64>,
    /// Hex SHA-256 of the content; `null` when no check asked for it.
    pub sha256: Fact<Option<String>>,
}

/// A rate as the kernel prints SAS and SATA rates: `12.0 Gbit`,
/// `6.0 Gbps`, `16 Gbit`. `None` for any other text.
pub fn parse_gbit(text: &str) -> Option<f64> {
    let t = text.trim();
    let num = t
        .strip_suffix("Gbit")
        .or_else(|| t.strip_suffix("Gbps"))?
        .trim();
    num.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// `12`, `6`, `1.5`: a rate as people write it.
pub fn gbit_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}G")
    } else {
        format!("{v}G")
    }
}

/// Bytes in binary units, as lsblk prints sizes: `100G`, `1.8T`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v >= 10.0 || v.fract() == 0.0 {
        format!("{:.0}{}", v, UNITS[u])
    } else {
        format!("{:.1}{}", v, UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_rates() {
        assert_eq!(parse_gbit("12.0 Gbit"), Some(12.0));
        assert_eq!(parse_gbit("1.5 Gbps\n"), Some(1.5));
        assert_eq!(parse_gbit("16 Gbit"), Some(16.0));
        assert_eq!(parse_gbit("Unknown"), None);
        assert_eq!(parse_gbit("<unknown>"), None);
        assert_eq!(parse_gbit("0 Gbit"), None);
        assert_eq!(gbit_text(12.0), "12G");
        assert_eq!(gbit_text(1.5), "1.5G");
    }

    #[test]
    fn sizes_read_like_lsblk() {
        assert_eq!(bytes_text(107_374_182_400), "100G");
        assert_eq!(bytes_text(2_000_398_934_016), "1.8T");
        assert_eq!(bytes_text(512), "512B");
        assert_eq!(bytes_text(0), "0B");
    }

    #[test]
    fn mount_options_by_name() {
        let m = Mount {
            source: "nfs:/x".into(),
            mountpoint: "/x".into(),
            fstype: "nfs4".into(),
            options: vec!["rw".into(), "vers=4.2".into()],
        };
        assert!(m.has_option("rw") && m.has_option("vers") && !m.has_option("ro"));
    }
}
