//! Storage collectors and parsers on real data: the sysfs trees of
//! node_exporter and prometheus/procfs (multipath maps, NVMe subsystems, FC
//! ports, SAS phys, md arrays), and command outputs collected from hosts by
//! insights-core and telegraf (`dmsetup status`, `multipath -ll`,
//! /proc/mdstat, /proc/mounts). Every expected value was read from those
//! files by hand; `tests/data/realdata/README.md` says where each came from.

use std::fmt::Debug;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use hostlint::collect::storage::{mdraid, mount, multipath};
use hostlint::collect::{self, Scope};
use hostlint::snapshot::{Fact, MdArray, MdSync, Missing, MultipathMap, Reason, Snapshot, Storage};
use hostlint::source::Source;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/realdata")
        .join(rel)
}

fn sample(rel: &str) -> String {
    fs::read_to_string(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn storage(dir: &Path) -> Storage {
    let source = Source::fixture(dir).unwrap();
    let snap: Snapshot = collect::snapshot(&source, Scope::STORAGE);
    snap.storage
}

#[track_caller]
fn known<T: Debug>(f: &Fact<T>) -> &T {
    match f {
        Fact::Known(v) => v,
        Fact::Unknown(m) => panic!("expected a value, got unknown: {m}"),
    }
}

#[track_caller]
fn unknown<T: Debug>(f: &Fact<T>, reason: Reason) -> &Missing {
    match f {
        Fact::Known(v) => panic!("expected {reason}, got {v:?}"),
        Fact::Unknown(m) => {
            assert_eq!(m.reason, reason, "{m}");
            m
        }
    }
}

#[track_caller]
fn array<'a>(arrays: &'a [MdArray], name: &str) -> &'a MdArray {
    arrays
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[track_caller]
fn map<'a>(maps: &'a [MultipathMap], name: &str) -> &'a MultipathMap {
    maps.iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no map {name}"))
}

/// node_exporter's sysfs tree: two multipath maps and an LVM volume, md
/// arrays in sysfs and others only in mdstat, two FC ports, an NVMe/FC
/// subsystem with a dead controller.
mod node_exporter {
    use super::*;

    fn st() -> Storage {
        storage(&data("node_exporter"))
    }

    #[test]
    fn mpath_uuids_make_maps_and_lvm_does_not() {
        let st = st();
        let maps = known(&st.multipath);
        let names: Vec<&str> = maps.iter().map(|m| m.name.as_str()).collect();
        // dm-7 is vg0-root (LVM-...): not a map.
        assert_eq!(names, ["mpathA", "mpathB"]);
        let a = map(maps, "mpathA");
        assert_eq!(a.dm.as_deref(), Some("dm-5"));
        assert_eq!(known(&a.wwid), "3600508b1001c1234567890abcdef1234");
        assert_eq!(*known(&a.size_bytes), 104_857_600 * 512);
        assert!(!*known(&a.suspended));
        // No status line, and the tree has no slaves directory: the paths
        // are unknown, not zero.
        assert_eq!(a.path_states_from, "scsi_device_state");
        let m = unknown(&a.paths, Reason::NotCaptured);
        assert!(m.detail.contains("sys/block/dm-5/slaves"), "{m}");
        assert!(m.detail.contains("cmd/dmsetup-status.txt"), "{m}");
    }

    #[test]
    fn md_arrays_from_sysfs_win_and_mdstat_adds_the_others() {
        let st = st();
        let arrays = known(&st.md);
        // sys/block/md5: raid5, degraded 1, sdp faulty, sdaa spare.
        let md5 = array(arrays, "md5");
        assert_eq!(md5.source, "sys/block/md5/md");
        assert_eq!(*known(&md5.degraded), Some(1));
        let members = known(&md5.members);
        let sdp = members.iter().find(|m| m.device == "sdp").unwrap();
        assert_eq!(sdp.state, ["faulty"]);
        // md6 rebuilds onto its spare: recover, 1569888 of 2093056 sectors.
        let md6 = array(arrays, "md6");
        assert_eq!(
            known(&md6.sync).as_ref().unwrap(),
            &MdSync {
                action: "recover".into(),
                done_percent: Some(75.0)
            }
        );
        // md0 is raid0: nothing to degrade, no sync_action file.
        let md0 = array(arrays, "md0");
        assert_eq!(*known(&md0.degraded), None);
        assert_eq!(*known(&md0.sync), None);
        // md6 is in both: mdstat says raid1 [2/1] recovery 8.5%, sysfs
        // raid6; sysfs wins.
        assert_eq!(known(&md6.level), "raid6");
        // md7 is only in mdstat: raid6 [4/3] [U_UU].
        let md7 = array(arrays, "md7");
        assert_eq!(md7.source, "proc/mdstat");
        assert_eq!(*known(&md7.degraded), Some(1));
        // The mismatch count is sysfs's alone, and raid0 has none; this
        // tree's md directories do not carry the file.
        assert_eq!(
            md7.mismatch_count.missing().unwrap().reason,
            Reason::NotSupported
        );
        assert_eq!(
            md0.mismatch_count.missing().unwrap().reason,
            Reason::NotSupported
        );
        assert_eq!(
            md5.mismatch_count.missing().unwrap().reason,
            Reason::NotCaptured
        );
        assert_eq!(arrays.len(), 19);
        // md6 is in both, and mdstat says otherwise of nearly everything:
        // noted fact by fact, sysfs's values kept.
        let differs: Vec<(&str, &str, &str)> = md6
            .mdstat_disagrees
            .iter()
            .map(|d| (d.fact, d.mdstat.as_str(), d.sysfs.as_str()))
            .collect();
        assert_eq!(
            differs,
            [
                ("level", "raid1", "raid6"),
                ("raid_disks", "2", "4"),
                ("members", "sda2 sdb2(F) sdc(S)", "sdq sdr sds sdt(S)"),
            ]
        );
        // md1 is only in sysfs: nothing to disagree with.
        assert!(array(arrays, "md1").mdstat_disagrees.is_empty());
        // mdstat's raid0 md00 has one slot per member; md219, an inactive
        // container, has no count in mdstat at all.
        assert_eq!(*known(&array(arrays, "md00").raid_disks), 1);
        let m = unknown(&array(arrays, "md219").raid_disks, Reason::NotSupported);
        assert!(m.detail.contains("inactive"), "{m}");
    }

    #[test]
    fn fc_ports_with_hex_statistics_and_all_ones_unknown() {
        let st = st();
        let hosts = known(&st.fc_hosts);
        let h0 = &hosts[0];
        assert_eq!(h0.name, "host0");
        assert_eq!(known(&h0.port_state), "Online");
        assert_eq!(*known(&h0.speed_gbps), Some(16.0));
        assert_eq!(*known(&h0.supported_speeds_gbps), [4.0, 8.0, 16.0]);
        let stats = known(&h0.statistics);
        assert_eq!(*known(&stats["link_failure_count"]), 9);
        assert_eq!(*known(&stats["loss_of_sync_count"]), 0x10);
        let m = unknown(&stats["dumped_frames"], Reason::NotSupported);
        assert!(m.detail.contains("0xffffffffffffffff"), "{m}");
        // host1 in this tree has a speed and statistics only.
        let h1 = &hosts[1];
        assert_eq!(*known(&h1.speed_gbps), Some(8.0));
        unknown(&h1.port_name, Reason::NotCaptured);
        unknown(
            &known(&h1.statistics)["fcp_packet_aborts"],
            Reason::NotSupported,
        );
    }

    #[test]
    fn nvme_subsystem_with_a_dead_controller() {
        let st = st();
        let subs = known(&st.nvme);
        assert_eq!(subs.len(), 1);
        let s = &subs[0];
        assert_eq!(known(&s.model), "Dell PowerStore");
        assert_eq!(known(&s.iopolicy).as_deref(), Some("round-robin"));
        let states: Vec<(&str, &str)> = known(&s.controllers)
            .iter()
            .map(|c| (c.name.as_str(), known(&c.state).as_str()))
            .collect();
        assert_eq!(
            states,
            [
                ("nvme0", "live"),
                ("nvme1", "live"),
                ("nvme2", "live"),
                ("nvme3", "dead")
            ]
        );
        assert_eq!(known(&known(&s.controllers)[0].transport), "fc");
    }
}

/// prometheus/procfs's sysfs tree: multipath maps whose slaves are named
/// (one path offline, one map suspended), SAS phys behind an expander with
/// error counters, md arrays mid-reshape.
mod procfs {
    use super::*;

    fn st() -> Storage {
        storage(&data("prometheus-procfs"))
    }

    #[test]
    fn every_dm_device_with_its_kind_and_slaves() {
        let st = st();
        let devices = known(&st.dm);
        let rows: Vec<(&str, &str, &str, Vec<String>)> = devices
            .iter()
            .map(|d| {
                (
                    d.dm.as_str(),
                    known(&d.name).as_str(),
                    known(&d.kind).as_str(),
                    known(&d.slaves).clone(),
                )
            })
            .collect();
        // The slaves are empty files upstream: named all the same.
        assert_eq!(
            rows,
            [
                ("dm-0", "vg0--lv_root", "lvm", vec!["sda".to_owned()]),
                (
                    "dm-1",
                    "mpathA",
                    "multipath",
                    vec!["sdb".into(), "sdc".into()]
                ),
                (
                    "dm-2",
                    "mpathB",
                    "multipath",
                    vec!["sdd".into(), "sde".into()]
                ),
            ]
        );
        // vg0's volume rests on a local disk, no map.
        assert!(known(&devices[0].multipath_maps).is_empty());
        assert!(*known(&devices[2].suspended));
    }

    #[test]
    fn without_the_status_line_paths_come_from_scsi_state_and_say_so() {
        let st = st();
        let maps = known(&st.multipath);
        assert_eq!(maps.len(), 2, "dm-0 is LVM");
        let a = map(maps, "mpathA");
        assert_eq!(a.path_states_from, "scsi_device_state");
        unknown(&a.status, Reason::NotCaptured);
        let paths: Vec<(&str, &str, Option<&str>)> = known(&a.paths)
            .iter()
            .map(|p| {
                (
                    p.device.as_str(),
                    known(&p.state).as_str(),
                    known(&p.scsi_state).as_deref(),
                )
            })
            .collect();
        // sdc's SCSI device is offline.
        assert_eq!(
            paths,
            [
                ("sdb", "active", Some("running")),
                ("sdc", "failed", Some("offline"))
            ]
        );
        // Only the status line counts failures.
        let m = unknown(&known(&a.paths)[0].fail_count, Reason::NotCaptured);
        assert!(m.detail.starts_with("only the status line"), "{m}");
        let b = map(maps, "mpathB");
        assert!(*known(&b.suspended));
    }

    #[test]
    fn sas_phys_behind_an_expander_renegotiated_with_errors() {
        let st = st();
        let phys = known(&st.sas_phys);
        assert_eq!(phys.len(), 12);
        let p = phys.iter().find(|p| p.name == "phy-11:0:2").unwrap();
        assert_eq!(known(&p.device_type), "edge expander");
        assert_eq!(known(&p.negotiated_linkrate), "6.0 Gbit");
        assert_eq!(*known(&p.negotiated_gbps), Some(6.0));
        assert_eq!(*known(&p.maximum_gbps), 12.0);
        assert_eq!(*known(&p.invalid_dword_count), 18);
        assert_eq!(*known(&p.running_disparity_error_count), 18);
        assert_eq!(*known(&p.loss_of_dword_sync_count), 1);
        assert_eq!(*known(&p.phy_reset_problem_count), 0);
        // Through the restored class symlink into host11's tree.
        assert_eq!(known(&p.scsi_host).as_deref(), Some("host11"));
        let host_phy = phys.iter().find(|p| p.name == "phy-11:10").unwrap();
        assert_eq!(known(&host_phy.sas_address), "0x500062b2047b51c4");
        assert!(*known(&host_phy.enabled));
    }

    #[test]
    fn md_reshape_container_and_mdstat_only_arrays() {
        let st = st();
        let arrays = known(&st.md);
        // sysfs md8: raid_disks "11 (10)" during the reshape.
        let md8 = array(arrays, "md8");
        assert_eq!(*known(&md8.raid_disks), 11);
        let sync = known(&md8.sync).as_ref().unwrap();
        assert_eq!((sync.action.as_str(), sync.done_percent), ("reshape", None));
        // md7 is an inactive container with no member slots.
        let md7 = array(arrays, "md7");
        assert_eq!(known(&md7.level), "container");
        assert_eq!(known(&md7.state), "inactive");
        unknown(&md7.raid_disks, Reason::NotSupported);
        assert_eq!(*known(&md7.degraded), None);
        // md42 only in mdstat: raid5 [3/2] reshape 56.1%.
        let md42 = array(arrays, "md42");
        assert_eq!(md42.source, "proc/mdstat");
        assert_eq!(*known(&md42.degraded), Some(1));
        assert_eq!(known(&md42.sync).as_ref().unwrap().done_percent, Some(56.1));
    }

    #[test]
    fn nvme_over_tcp_and_rdma_with_a_connecting_controller() {
        let st = st();
        let subs = known(&st.nvme);
        let s1 = subs.iter().find(|s| s.name == "nvme-subsys1").unwrap();
        assert_eq!(known(&s1.iopolicy).as_deref(), Some("numa"));
        let c = known(&s1.controllers);
        assert_eq!(known(&c[1].state), "connecting");
        assert_eq!(known(&c[1].address), "traddr=10.0.0.2,trsvcid=4420");
    }
}

/// `dmsetup status` and `multipath -ll` as insights-core collected them.
mod dmsetup {
    use super::*;

    #[test]
    fn lvm_thin_and_snapshot_targets_are_not_multipath() {
        let text = sample("insights-core/test_dmsetup/DMSETUP_STATUS_1.txt");
        let lines = multipath::dm_lines(&text).unwrap();
        assert_eq!(lines.len(), 12);
        // Names with colons, as docker's thin devices have.
        assert_eq!(lines[3].name, "docker-253:10-1234567-0df13579");
        assert_eq!(lines[3].target, "thin");
        assert!(lines.iter().all(|l| l.target != "multipath"));
    }

    #[test]
    fn a_line_without_its_target_is_refused_with_its_line() {
        let text = sample("insights-core/test_dmsetup/DMSETUP_STATUS_2.txt");
        let (line, what) = multipath::dm_lines(&text).unwrap_err();
        assert_eq!(line, 1);
        assert!(what.contains("rootvg-tanlv: no target type"), "{what}");
    }

    /// The `params = ` and `status = ` lines `multipath -v3` printed for
    /// map L004 (RHEL 5 sample): the kernel's table and status text.
    fn l004() -> (String, String) {
        let text = sample("insights-core/test_multipath_v4_ll/MULTIPATH_V4_LL_INFO_RHEL_5.txt");
        let get = |prefix: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap()
                .to_owned()
        };
        (get("params = "), get("status = "))
    }

    #[test]
    fn the_status_and_table_of_l004_parse_as_multipath_ll_shows_them() {
        let (params, status) = l004();
        let s = multipath::parse_status(&status).unwrap();
        let t = multipath::parse_table(&params).unwrap();
        // multipath -ll: `\_ round-robin 0 [prio=1][active]` with 8:160 and
        // 8:240, then `[enabled]` with 8:80 and 65:64, all [active][ready].
        assert_eq!(s.groups[0].state, 'A');
        assert_eq!(s.groups[1].state, 'E');
        let devs: Vec<Vec<&str>> = s
            .groups
            .iter()
            .map(|g| g.paths.iter().map(|p| p.dev.as_str()).collect())
            .collect();
        assert_eq!(devs, [vec!["8:160", "8:240"], vec!["8:80", "65:64"]]);
        assert!(s.groups.iter().flat_map(|g| &g.paths).all(|p| p.active));
        // [features=1 queue_if_no_path][hwhandler=1 emc]
        assert_eq!(t.features, ["queue_if_no_path"]);
        assert_eq!(t.hardware_handler.as_deref(), Some("emc"));
        assert_eq!(t.paths, devs);
    }

    /// L004 as a host shows it: the sample's status and table in a
    /// fixture, with the four SCSI disks `multipath -ll` lists (sdk and
    /// sdp through host3 and host5, 3:0:1:4 and 5:0:0:4, ...).
    #[test]
    fn l004_through_the_collector_reads_as_multipath_ll_lists_it() {
        let (params, status) = l004();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let w = |rel: &str, text: &str| {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        };
        w(
            "cmd/dmsetup-status.txt",
            &format!("L004: 0 209715200 multipath {status}\n"),
        );
        w(
            "cmd/dmsetup-table.txt",
            &format!("L004: 0 209715200 multipath {params}\n"),
        );
        fs::create_dir_all(root.join("sys/block")).unwrap();
        symlink("../devices/virtual/block/dm-9", root.join("sys/block/dm-9")).unwrap();
        let dm = "sys/devices/virtual/block/dm-9";
        w(&format!("{dm}/dev"), "253:9\n");
        w(&format!("{dm}/size"), "209715200\n");
        w(&format!("{dm}/dm/name"), "L004\n");
        w(
            &format!("{dm}/dm/uuid"),
            "mpath-360060160ade32800f2e3baf47665e211\n",
        );
        w(&format!("{dm}/dm/suspended"), "0\n");
        for (name, hctl, dev) in [
            ("sdk", "3:0:1:4", "8:160"),
            ("sdp", "5:0:0:4", "8:240"),
            ("sdf", "3:0:0:4", "8:80"),
            ("sdu", "5:0:1:4", "65:64"),
        ] {
            let host = hctl.split(':').next().unwrap();
            let t = hctl.rsplit_once(':').unwrap().0;
            let path = format!(
                "devices/pci0000:00/0000:00:03.0/0000:0{host}:00.0/host{host}/rport-{host}:0-0/target{t}/{hctl}/block/{name}"
            );
            symlink(format!("../{path}"), root.join(format!("sys/block/{name}"))).unwrap();
            let d = format!("sys/{path}");
            w(&format!("{d}/dev"), &format!("{dev}\n"));
            w(&format!("{d}/size"), "209715200\n");
            w(&format!("{d}/device/vendor"), "DGC     \n");
            w(&format!("{d}/device/model"), "RAID 5          \n");
            w(&format!("{d}/device/state"), "running\n");
        }
        let st = storage(root);
        let maps = known(&st.multipath);
        let m = map(maps, "L004");
        assert_eq!(known(&m.wwid), "360060160ade32800f2e3baf47665e211");
        assert_eq!(m.path_states_from, "multipath_target");
        assert!(*known(&m.queue_if_no_path));
        assert_eq!(known(&m.hardware_handler).as_deref(), Some("emc"));
        let groups: Vec<(u32, &str, Option<&str>)> = known(&m.groups)
            .iter()
            .map(|g| (g.number, g.state.as_str(), g.selector.as_deref()))
            .collect();
        assert_eq!(
            groups,
            [
                (1, "active", Some("round-robin")),
                (2, "enabled", Some("round-robin"))
            ]
        );
        type Row<'a> = (&'a str, Option<u32>, &'a str, u64, Option<&'a str>);
        let paths: Vec<Row<'_>> = known(&m.paths)
            .iter()
            .map(|p| {
                (
                    p.device.as_str(),
                    p.group,
                    known(&p.state).as_str(),
                    *known(&p.fail_count),
                    known(&p.scsi_host).as_deref(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                ("sdk", Some(1), "active", 0, Some("host3")),
                ("sdp", Some(1), "active", 0, Some("host5")),
                ("sdf", Some(2), "active", 0, Some("host3")),
                ("sdu", Some(2), "active", 0, Some("host5")),
            ]
        );
        let sdk = st.block_device("sdk").unwrap();
        assert_eq!(known(&sdk.attachment).transport, "fc");
        assert_eq!(known(&known(&sdk.scsi).as_ref().unwrap().vendor), "DGC");

        // The other map of the sample is not in this status text: its
        // status is not captured, and it falls back.
        w(
            "cmd/dmsetup-status.txt",
            &sample("insights-core/test_dmsetup/DMSETUP_STATUS_1.txt"),
        );
        let st = storage(root);
        let m = map(known(&st.multipath).as_slice(), "L004");
        let miss = unknown(&m.status, Reason::NotCaptured);
        assert_eq!(
            miss.detail,
            "cmd/dmsetup-status.txt has no multipath line for L004"
        );
        assert_eq!(m.path_states_from, "scsi_device_state");
    }
}

/// /proc/mdstat samples from insights-core and telegraf, read straight by
/// the parser.
mod mdstat {
    use super::*;

    fn parse(rel: &str) -> Result<Vec<MdArray>, Missing> {
        mdraid::parse_mdstat("proc/mdstat", &sample(rel))
    }

    #[test]
    fn empty_and_personalities_only_files_have_no_arrays() {
        for rel in [
            "insights-core/test_mdstat/MDSTAT_TEST_3.txt",
            "insights-core/test_mdstat/NO_MD_DEVICES.txt",
            "insights-core/test_mdstat/PERSONALITIES_TEST.txt",
            "telegraf/mdstat/mdStatFileEmpty.txt",
        ] {
            assert!(parse(rel).unwrap().is_empty(), "{rel}");
        }
    }

    #[test]
    fn counts_that_contradict_their_slots_are_malformed() {
        // [5/5] with six U; [2/2] with [U_] and [_U]: hand-edited upstream.
        let a = parse("insights-core/test_mdstat/MDSTAT_TEST_1.txt").unwrap();
        let m = unknown(&a[0].degraded, Reason::Malformed);
        assert!(m.detail.contains("[5/5] contradicts [UUUUUU]"), "{m}");
        let a = parse("insights-core/test_mdstat/MDSTAT_TEST_2.txt").unwrap();
        assert_eq!(*known(&a[0].degraded), Some(0));
        unknown(&a[1].degraded, Reason::Malformed);
        let md0 = &a[2];
        unknown(&md0.degraded, Reason::Malformed);
        assert_eq!(known(&md0.members)[0].state, ["faulty"]);
    }

    #[test]
    fn a_failed_disk_a_check_and_an_inactive_imsm_container() {
        let a = parse("telegraf/mdstat/mdStatFileFailedDisk.txt").unwrap();
        assert_eq!(*known(&a[0].degraded), Some(1));
        assert_eq!(*known(&a[0].raid_disks), 4);
        let a = parse("telegraf/mdstat/mdStatFileFull.txt").unwrap();
        assert_eq!(known(&a[0].level), "raid10");
        assert_eq!(
            known(&a[0].sync).as_ref().unwrap(),
            &MdSync {
                action: "check".into(),
                done_percent: Some(94.3)
            }
        );
        let a = parse("insights-core/test_mdstat/MDSTAT_TEST_4.txt").unwrap();
        assert_eq!(known(&a[0].state), "inactive");
        assert_eq!(known(&a[0].members).len(), 2);
        let a = parse("insights-core/test_mdstat/MD_DOC.txt").unwrap();
        assert_eq!(known(&a[2].members).len(), 10);
        assert_eq!(*known(&a[2].degraded), Some(0));
    }

    #[test]
    fn an_invalid_file_is_refused_at_its_line() {
        let e = parse("telegraf/mdstat/mdStatFileInvalid.txt").unwrap_err();
        assert_eq!(e.reason, Reason::Malformed);
        assert_eq!(
            e.detail,
            "proc/mdstat:4: not an array line: \"mdf1: testman actve\""
        );
    }
}

/// /proc/mounts samples from insights-core.
mod mounts {
    use super::*;

    #[test]
    fn nfs_mounts_and_quoted_selinux_contexts() {
        let m = mount::parse(
            "proc/mounts",
            &sample("insights-core/test_mount/PROC_MOUNT.txt"),
        )
        .unwrap();
        let nfs = m.iter().find(|m| m.mountpoint == "/sa/net").unwrap();
        assert_eq!(
            (nfs.source.as_str(), nfs.fstype.as_str()),
            ("/vol/vol3/wpsanet", "nfs")
        );
        assert!(nfs.has_option("soft") && nfs.has_option("vers") && nfs.has_option("rw"));
        let m = mount::parse(
            "proc/mounts",
            &sample("insights-core/test_mount/PROC_MOUNT_QUOTES.txt"),
        )
        .unwrap();
        assert_eq!(m.len(), 5);
        assert!(m[1].options.iter().any(|o| o.ends_with("c184,c371\"")));
    }

    #[test]
    fn damaged_lines_are_named() {
        let e = mount::parse(
            "proc/mounts",
            &sample("insights-core/test_mount/PROCMOUNT_ERR_DATA.txt"),
        )
        .unwrap_err();
        assert!(e.detail.starts_with("proc/mounts:2: 4 fields"), "{e}");
        // An unescaped space in a mount point: the kernel writes \040.
        let e = mount::parse(
            "proc/mounts",
            &sample("insights-core/test_mount/PROC_MOUNT_DOC.txt"),
        )
        .unwrap_err();
        assert!(e.detail.starts_with("proc/mounts:4: 7 fields"), "{e}");
    }
}
