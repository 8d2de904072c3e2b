//! The words a text fact takes, as the kernel prints them, each set with
//! where it comes from. Policies are checked against them (`operstate:
//! upp` is a typo, not a state no link is in), and the snapshot document's
//! schema names them for the fact paths of `applies_to`.

use super::bond::{BOND_MODES, CHURN_STATES, XMIT_HASH_POLICIES};
use super::infiniband::{IB_LINK_LAYERS, IB_PHYS_STATES, IB_STATES};
use super::route::names::ROUTE_TYPES;
use super::storage::DM_KINDS;

/// A set of words one fact takes.
#[derive(Debug)]
pub struct Words {
    /// What one of them is, for messages: "an operational state".
    pub what: &'static str,
    pub words: &'static [&'static str],
}

impl Words {
    pub fn contains(&self, word: &str) -> bool {
        self.words.contains(&word)
    }
}

/// RFC 2863 operational states (`IF_OPER_*`), as `operstates[]` in the
/// kernel's net/core/net-sysfs.c and `ip` print them.
pub const OPERSTATES: Words = Words {
    what: "operational state",
    words: &[
        "unknown",
        "notpresent",
        "down",
        "lowerlayerdown",
        "testing",
        "dormant",
        "up",
    ],
};

/// `DUPLEX_HALF` and `DUPLEX_FULL` (include/uapi/linux/ethtool.h), as the
/// snapshot names them; an unknown duplex is no value at all.
pub const DUPLEXES: Words = Words {
    what: "duplex",
    words: &["half", "full"],
};

/// The kinds a link can be: `physical` (it has a parent device) and
/// `loopback` are hostlint's words for links without a kind of their own;
/// the others are `IFLA_INFO_KIND`, the `kind` of each `rtnl_link_ops` in
/// the kernel's drivers/net and net/ (as `ip -d link` prints it), and the
/// `DEVTYPE` a link's uevent names where a root holds only sysfs (its
/// `device_type` name: `wlan` of cfg80211, `gadget` of a USB gadget,
/// `l2tpeth`, `prp`), which may differ from the kind.
pub const LINK_KINDS: Words = Words {
    what: "link kind",
    words: &[
        "physical",
        "loopback",
        "amt",
        "bareudp",
        "batadv",
        "bond",
        "bridge",
        "can",
        "dsa",
        "dummy",
        "erspan",
        "gadget",
        "geneve",
        "gre",
        "gretap",
        "gtp",
        "hsr",
        "ifb",
        "ip6erspan",
        "ip6gre",
        "ip6gretap",
        "ip6tnl",
        "ipip",
        "ipoib",
        "ipvlan",
        "ipvtap",
        "l2tpeth",
        "lowpan",
        "macsec",
        "macvlan",
        "macvtap",
        "netdevsim",
        "netkit",
        "nlmon",
        "openvswitch",
        "ovpn",
        "pfcp",
        "ppp",
        "prp",
        "rmnet",
        "sit",
        "team",
        "tun",
        "vcan",
        "veth",
        "virt_wifi",
        "vlan",
        "vrf",
        "vsockmon",
        "vti",
        "vti6",
        "vxcan",
        "vxlan",
        "wireguard",
        "wlan",
        "wwan",
        "xfrm",
    ],
};

/// Bonding modes, as `bond_mode_tbl` in drivers/net/bonding/bond_options.c
/// names them (the names /proc/net/bonding and sysfs `mode` print).
pub const BOND_MODE_WORDS: Words = Words {
    what: "bond mode",
    words: &BOND_MODES,
};

/// Transmit hash policies, `bond_xmit_hashtype_tbl` in
/// drivers/net/bonding/bond_options.c (`vlan+srcmac` since 5.12).
pub const XMIT_HASH_POLICY_WORDS: Words = Words {
    what: "transmit hash policy",
    words: &XMIT_HASH_POLICIES,
};

/// A LACP port's churn states, `bond_3ad_churn_desc()` in
/// drivers/net/bonding/bond_3ad.c.
pub const CHURN_STATE_WORDS: Words = Words {
    what: "LACP churn state",
    words: &CHURN_STATES,
};

/// MII status of a bond and of its members: `bond_slave_link_status()` in
/// include/net/bonding.h (`BOND_LINK_UP`, `_FAIL`, `_DOWN`, `_BACK`).
pub const MII_STATUSES: Words = Words {
    what: "MII status",
    words: &["up", "going down", "down", "going back"],
};

/// `lacp_rate` of an 802.3ad bond (bond_options.c `bond_lacp_tbl`).
pub const LACP_RATES: Words = Words {
    what: "LACP rate",
    words: &["slow", "fast"],
};

/// NVMe ANA states as `nvme_ana_state_names[]` in
/// drivers/nvme/host/multipath.c prints them (the NVMe base
/// specification's Asymmetric Namespace Access states, and `invalid
/// state` for the reserved 0 a target may report).
pub const ANA_STATES: Words = Words {
    what: "ANA state",
    words: &[
        "optimized",
        "non-optimized",
        "inaccessible",
        "persistent-loss",
        "change",
        "invalid state",
    ],
};

/// NVMe controller states, `nvme_sysfs_show_state()` in
/// drivers/nvme/host/sysfs.c (core.c before 6.8), which prints `unknown
/// state` for a state outside its table.
pub const NVME_CONTROLLER_STATES: Words = Words {
    what: "NVMe controller state",
    words: &[
        "new",
        "live",
        "resetting",
        "connecting",
        "deleting",
        "deleting (no IO)",
        "dead",
        "unknown state",
    ],
};

/// NVMe transports, the `name` of each `nvme_ctrl_ops` in
/// drivers/nvme/host (pci.c, rdma.c, fc.c, tcp.c, apple.c) and
/// drivers/nvme/target/loop.c.
pub const NVME_TRANSPORTS: Words = Words {
    what: "NVMe transport",
    words: &["pcie", "rdma", "fc", "tcp", "loop", "apple-nvme"],
};

/// Native NVMe multipath I/O policies, `nvme_iopolicy_names[]` in
/// drivers/nvme/host/multipath.c (`queue-depth` since 6.11).
pub const NVME_IOPOLICIES: Words = Words {
    what: "NVMe I/O policy",
    words: &["numa", "round-robin", "queue-depth"],
};

/// Fibre Channel port states, `fc_port_state_names[]` in
/// drivers/scsi/scsi_transport_fc.c (`Marginal` since 5.10).
pub const FC_PORT_STATES: Words = Words {
    what: "FC port state",
    words: &[
        "Unknown",
        "Not Present",
        "Online",
        "Offline",
        "Blocked",
        "Bypassed",
        "Diagnostics",
        "Linkdown",
        "Error",
        "Loopback",
        "Deleted",
        "Marginal",
    ],
};

/// iSCSI session states, `iscsi_session_state_names[]` in
/// drivers/scsi/scsi_transport_iscsi.c.
pub const ISCSI_SESSION_STATES: Words = Words {
    what: "iSCSI session state",
    words: &["LOGGED_IN", "FAILED", "FREE"],
};

/// SAS device types, `sas_device_type_names[]` in
/// drivers/scsi/scsi_transport_sas.c.
pub const SAS_DEVICE_TYPES: Words = Words {
    what: "SAS device type",
    words: &["unused", "end device", "edge expander", "fanout expander"],
};

/// md array states, `array_states[]` in drivers/md/md.c (sysfs
/// `md/array_state`; mdstat's words are mapped to these).
pub const MD_ARRAY_STATES: Words = Words {
    what: "md array state",
    words: &[
        "clear",
        "inactive",
        "suspended",
        "readonly",
        "read-auto",
        "clean",
        "active",
        "write-pending",
        "active-idle",
        "broken",
    ],
};

/// md RAID levels: the names of the md personalities (drivers/md/md-linear.c,
/// raid0.c, raid1.c, raid5.c, raid10.c; multipath and faulty in kernels
/// before 6.8) and `container`, the level mdadm gives an external-metadata
/// container.
pub const MD_LEVELS: Words = Words {
    what: "RAID level",
    words: &[
        "linear",
        "raid0",
        "raid1",
        "raid4",
        "raid5",
        "raid6",
        "raid10",
        "multipath",
        "faulty",
        "container",
    ],
};

/// md sync actions, `action_show()` in drivers/md/md.c.
pub const MD_SYNC_ACTIONS: Words = Words {
    what: "md sync action",
    words: &[
        "idle", "frozen", "resync", "recover", "check", "repair", "reshape",
    ],
};

/// SCSI device states, `sdev_states[]` in drivers/scsi/scsi_sysfs.c.
pub const SCSI_DEVICE_STATES: Words = Words {
    what: "SCSI device state",
    words: &[
        "created",
        "running",
        "cancel",
        "deleted",
        "quiesce",
        "offline",
        "transport-offline",
        "blocked",
        "created-blocked",
    ],
};

/// A multipath path's state: the kernel's multipath target reports `A`
/// (active) or `F` (failed) for each path (drivers/md/dm-mpath.c).
pub const MULTIPATH_PATH_STATES: Words = Words {
    what: "multipath path state",
    words: &[super::PATH_ACTIVE, super::PATH_FAILED],
};

/// Route types, `RTN_*` (include/uapi/linux/rtnetlink.h), as `ip` names
/// them.
pub const ROUTE_TYPE_WORDS: Words = Words {
    what: "route type",
    words: ROUTE_TYPES,
};

/// Kernel taint flags, the letters of Documentation/admin-guide/tainted-kernels.rst
/// (the order of `taint_flags[]` in kernel/panic.c).
pub const TAINT_LETTERS: Words = Words {
    what: "taint flag",
    words: &[
        "P", "F", "S", "R", "M", "B", "U", "D", "A", "W", "C", "I", "O", "E", "L", "K", "X", "T",
        "N", "J",
    ],
};

/// Mount options the kernel prints for every file system
/// (fs/proc_namespace.c `show_sb_opts`, `show_mnt_opts`, and `ro`/`rw`),
/// and those of NFS (fs/nfs/super.c `nfs_show_mount_options`), XFS
/// (fs/xfs/xfs_super.c `xfs_fs_show_options`) and ext4 (fs/ext4/super.c
/// `_ext4_show_options`), the file systems of shared storage; and those of
/// the file systems every host mounts or commonly does, whose options
/// are otherwise near misses of these (tmpfs `size` is one letter from
/// NFS `rsize`, cgroup `name` from `namlen`): tmpfs (mm/shmem.c
/// `shmem_show_options`), cgroup v1 and v2 (kernel/cgroup), procfs,
/// devpts, hugetlbfs, autofs, btrfs (fs/btrfs/super.c
/// `btrfs_show_options`), overlayfs (fs/overlayfs/params.c
/// `ovl_show_options`), FUSE (fs/fuse/inode.c `fuse_show_options`), SMB
/// (fs/smb/client/cifsfs.c `cifs_show_options`), FAT (fs/fat/inode.c
/// `fat_show_options`) and the SELinux context options. Other file
/// systems have options of their own, so this set is not closed: a policy
/// may name an option outside it unless it is a near miss of one in it.
pub const MOUNT_OPTIONS: Words = Words {
    what: "mount option",
    words: &[
        // Every file system.
        "ro",
        "rw",
        "sync",
        "dirsync",
        "mand",
        "lazytime",
        "nosuid",
        "nodev",
        "noexec",
        "noatime",
        "nodiratime",
        "relatime",
        "nosymfollow",
        "strictatime",
        // NFS.
        "vers",
        "rsize",
        "wsize",
        "bsize",
        "namlen",
        "hard",
        "soft",
        "softerr",
        "softreval",
        "posix",
        "cto",
        "nocto",
        "ac",
        "noac",
        "lock",
        "nolock",
        "acl",
        "noacl",
        "rdirplus",
        "nordirplus",
        "sharecache",
        "nosharecache",
        "resvport",
        "noresvport",
        "fsc",
        "lookupcache",
        "local_lock",
        "proto",
        "port",
        "timeo",
        "retrans",
        "sec",
        "addr",
        "clientaddr",
        "mountaddr",
        "mountvers",
        "mountport",
        "mountproto",
        "acregmin",
        "acregmax",
        "acdirmin",
        "acdirmax",
        "nconnect",
        "max_connect",
        "write",
        "trunkdiscovery",
        "notrunkdiscovery",
        "xprtsec",
        "fg",
        "bg",
        "intr",
        "nointr",
        "minorversion",
        // XFS.
        "wsync",
        "noalign",
        "swalloc",
        "nouuid",
        "norecovery",
        "inode64",
        "inode32",
        "attr2",
        "noattr2",
        "filestreams",
        "grpid",
        "nogrpid",
        "bsdgroups",
        "sysvgroups",
        "discard",
        "nodiscard",
        "dax",
        "largeio",
        "nolargeio",
        "allocsize",
        "logbufs",
        "logbsize",
        "logdev",
        "rtdev",
        "sunit",
        "swidth",
        "usrquota",
        "usrjquota",
        "grpquota",
        "grpjquota",
        "prjquota",
        "uquota",
        "gquota",
        "pquota",
        "uqnoenforce",
        "gqnoenforce",
        "pqnoenforce",
        "qnoenforce",
        "quota",
        "noquota",
        "ikeep",
        "noikeep",
        // ext4.
        "errors",
        "data",
        "barrier",
        "nobarrier",
        "commit",
        "journal_checksum",
        "journal_async_commit",
        "delalloc",
        "nodelalloc",
        "user_xattr",
        "nouser_xattr",
        "auto_da_alloc",
        "noauto_da_alloc",
        "block_validity",
        "noblock_validity",
        "dioread_nolock",
        "dioread_lock",
        "stripe",
        "resuid",
        "resgid",
        "sb",
        "noload",
        "nombcache",
        "prefetch_block_bitmaps",
        "init_itable",
        "noinit_itable",
        "max_batch_time",
        "min_batch_time",
        "journal_ioprio",
        "inode_readahead_blks",
        "i_version",
        "debug_want_extra_isize",
        "jqfmt",
        "test_dummy_encryption",
        "inlinecrypt",
        "mb_optimize_scan",
        "data_err",
        "abort",
        "orlov",
        "oldalloc",
        // tmpfs.
        "size",
        "nr_inodes",
        "mode",
        "uid",
        "gid",
        "huge",
        "mpol",
        "noswap",
        "usrquota_block_hardlimit",
        "usrquota_inode_hardlimit",
        "grpquota_block_hardlimit",
        "grpquota_inode_hardlimit",
        "casefold",
        "strict_encoding",
        // cgroup v1 (its controllers are options) and v2.
        "name",
        "none",
        "release_agent",
        "clone_children",
        "xattr",
        "cpuset_v2_mode",
        "cpu",
        "cpuacct",
        "cpuset",
        "memory",
        "blkio",
        "io",
        "devices",
        "freezer",
        "net_cls",
        "net_prio",
        "perf_event",
        "hugetlb",
        "pids",
        "rdma",
        "misc",
        "nsdelegate",
        "favordynmods",
        "memory_localevents",
        "memory_recursiveprot",
        "memory_hugetlb_accounting",
        "pids_localevents",
        // procfs, devpts, hugetlbfs, autofs.
        "hidepid",
        "subset",
        "ptmxmode",
        "max",
        "pagesize",
        "min_size",
        "fd",
        "pgrp",
        "timeout",
        "minproto",
        "maxproto",
        "direct",
        "indirect",
        "offset",
        "strictexpire",
        "ignore",
        "pipe_ino",
        // btrfs.
        "degraded",
        "datasum",
        "nodatasum",
        "datacow",
        "nodatacow",
        "max_inline",
        "thread_pool",
        "compress",
        "compress-force",
        "ssd",
        "nossd",
        "ssd_spread",
        "nossd_spread",
        "treelog",
        "notreelog",
        "nologreplay",
        "rescue",
        "flushoncommit",
        "noflushoncommit",
        "space_cache",
        "nospace_cache",
        "clear_cache",
        "user_subvol_rm_allowed",
        "enospc_debug",
        "noenospc_debug",
        "autodefrag",
        "noautodefrag",
        "skip_balance",
        "ref_verify",
        "fatal_errors",
        "subvolid",
        "subvol",
        "usebackuproot",
        "fragment",
        "device",
        // overlayfs.
        "lowerdir",
        "lowerdir+",
        "datadir+",
        "upperdir",
        "workdir",
        "default_permissions",
        "redirect_dir",
        "index",
        "uuid",
        "nfs_export",
        "xino",
        "metacopy",
        "volatile",
        "fsync",
        "userxattr",
        "verity",
        // FUSE.
        "user_id",
        "group_id",
        "allow_other",
        "max_read",
        "blksize",
        "rootmode",
        // SMB.
        "cache",
        "upcall_target",
        "multiuser",
        "username",
        "domain",
        "srcaddr",
        "forceuid",
        "noforceuid",
        "forcegid",
        "noforcegid",
        "file_mode",
        "dir_mode",
        "unix",
        "nounix",
        "posixpaths",
        "noposixpaths",
        "serverino",
        "noserverino",
        "rasize",
        "echo_interval",
        "actimeo",
        "closetimeo",
        "max_credits",
        "handletimeout",
        "snapshot",
        "nostrictsync",
        "noperm",
        "dynperm",
        "mfsymlinks",
        "mapchars",
        "nomapchars",
        "mapposix",
        "sfu",
        "nobrl",
        "nohandlecache",
        "cifsacl",
        "modefromsid",
        "idsfromsid",
        "noblocksend",
        "nocase",
        "seal",
        "resilienthandles",
        "persistenthandles",
        "iocharset",
        "nodfs",
        "cruid",
        "esize",
        "noautotune",
        "nosharesock",
        "multichannel",
        "max_channels",
        "max_cached_dirs",
        "nolease",
        "nativesocket",
        "symlink",
        "reparse",
        "witness",
        // FAT.
        "fmask",
        "dmask",
        "allow_utime",
        "codepage",
        "shortname",
        "utf8",
        "uni_xlate",
        "nonumtail",
        "usefree",
        "quiet",
        "showexec",
        "sys_immutable",
        "flush",
        "tz",
        "time_offset",
        "nfs",
        "dos1xfloppy",
        "check",
        "rodir",
        // SELinux.
        "seclabel",
        "context",
        "fscontext",
        "defcontext",
        "rootcontext",
    ],
};

/// The protocols lldpd hears neighbours by, as lldpcli names them in
/// `via` (`lldpd_protocol_map`, src/lib/atoms/port.c of lldpd; `unknown`
/// for a value outside the map).
pub const LLDP_PROTOCOLS: Words = Words {
    what: "LLDP protocol",
    words: &["LLDP", "CDPv1", "CDPv2", "EDP", "FDP", "SONMP", "unknown"],
};

/// Chassis and port id subtypes as lldpcli names them
/// (`chassis_id_subtype_map` and `port_id_subtype_map`,
/// src/lib/atoms/chassis.c and port.c of lldpd: the subtypes it does not
/// decode are `unhandled`, a value outside the map `unknown`).
pub const LLDP_ID_SUBTYPES: Words = Words {
    what: "LLDP id subtype",
    words: &[
        "ifname",
        "ifalias",
        "local",
        "mac",
        "ip",
        "unhandled",
        "unknown",
    ],
};

/// InfiniBand port states, `ib_port_state_to_str()` in
/// drivers/infiniband/core/sysfs.c (after the number, `4: ACTIVE`).
pub const IB_PORT_STATES: Words = Words {
    what: "InfiniBand port state",
    words: IB_STATES,
};

/// InfiniBand physical port states, `phys_state_to_str()` in
/// drivers/infiniband/core/sysfs.c (`5: LinkUp`).
pub const IB_PHYS_STATE_WORDS: Words = Words {
    what: "InfiniBand physical state",
    words: IB_PHYS_STATES,
};

/// A port's link layer, `link_layer_show()` in
/// drivers/infiniband/core/sysfs.c.
pub const IB_LINK_LAYER_WORDS: Words = Words {
    what: "link layer",
    words: IB_LINK_LAYERS,
};

/// What a device-mapper device is, by the UUID prefix the tool that made
/// it gives (multipathd, LVM, cryptsetup, kpartx).
pub const DM_KIND_WORDS: Words = Words {
    what: "device-mapper kind",
    words: DM_KINDS,
};

/// The keyword a speed takes for "the fastest both ends of the cable
/// support" (a link) in place of a number.
pub const AT_SUPPORTED_MAX: Words = Words {
    what: "speed keyword",
    words: &["at_supported_max"],
};

/// The keyword for "the fastest the hardware supports" (PCIe, FC, SAS,
/// SATA links) in place of a number.
pub const AT_MAX: Words = Words {
    what: "keyword",
    words: &["at_max"],
};

/// The keyword for "every one of them" in place of a count.
pub const ALL: Words = Words {
    what: "keyword",
    words: &["all"],
};

/// The text facts of the snapshot document whose values are one of a set
/// of words, by their path (`*` an element of a list); a path here that
/// is not in the document fails the schema's tests.
pub const FACT_WORDS: &[(&str, &Words)] = &[
    ("links.*.operstate", &OPERSTATES),
    ("links.*.kind", &LINK_KINDS),
    ("bonds.*.mode", &BOND_MODE_WORDS),
    ("bonds.*.mii_status", &MII_STATUSES),
    ("bonds.*.members.*.mii_status", &MII_STATUSES),
    ("bonds.*.lacp.rate", &LACP_RATES),
    ("bonds.*.xmit_hash_policy", &XMIT_HASH_POLICY_WORDS),
    ("bonds.*.members.*.lacp.actor_churn", &CHURN_STATE_WORDS),
    ("bonds.*.members.*.lacp.partner_churn", &CHURN_STATE_WORDS),
    ("storage.nvme.*.iopolicy", &NVME_IOPOLICIES),
    (
        "storage.nvme.*.controllers.*.state",
        &NVME_CONTROLLER_STATES,
    ),
    ("storage.nvme.*.controllers.*.transport", &NVME_TRANSPORTS),
    ("storage.nvme.*.namespaces.*.paths.*.ana_state", &ANA_STATES),
    ("storage.fc_hosts.*.port_state", &FC_PORT_STATES),
    ("storage.iscsi.*.state", &ISCSI_SESSION_STATES),
    ("storage.sas_phys.*.device_type", &SAS_DEVICE_TYPES),
    ("storage.md.*.state", &MD_ARRAY_STATES),
    ("storage.md.*.level", &MD_LEVELS),
    ("storage.md.*.sync.action", &MD_SYNC_ACTIONS),
    ("storage.block.*.scsi.state", &SCSI_DEVICE_STATES),
    ("storage.multipath.*.paths.*.state", &MULTIPATH_PATH_STATES),
    (
        "storage.multipath.*.paths.*.scsi_state",
        &SCSI_DEVICE_STATES,
    ),
    ("host.taint.flags.*.letter", &TAINT_LETTERS),
    ("lldp.*.via", &LLDP_PROTOCOLS),
    ("lldp.*.chassis_id.type", &LLDP_ID_SUBTYPES),
    ("lldp.*.port_id.type", &LLDP_ID_SUBTYPES),
    ("infiniband.*.ports.*.state", &IB_PORT_STATES),
    ("infiniband.*.ports.*.phys_state", &IB_PHYS_STATE_WORDS),
    ("infiniband.*.ports.*.link_layer", &IB_LINK_LAYER_WORDS),
    ("storage.dm.*.kind", &DM_KIND_WORDS),
];
