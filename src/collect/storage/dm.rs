//! Device-mapper devices of every kind (`sys/block/dm-N/dm`): LVM volumes,
//! crypt devices and the partitions kpartx makes of a map, besides the
//! multipath maps themselves, each with the devices it is built on. The
//! chain of slaves tells which multipath maps a volume rests on, so that a
//! file system on LVM on `mpatha` is known to take `mpatha`'s paths.

use std::collections::BTreeSet;

use super::{block::BLOCK, named_entries};
use crate::collect::{read_parsed, read_value};
use crate::snapshot::{BlockDevice, DmDevice, Fact, Missing, Reason};
use crate::source::Source;

/// UUID prefixes and the kind each names: the prefixes LVM, cryptsetup,
/// multipathd and kpartx give the devices they make.
const KINDS: &[(&str, &str)] = &[
    ("mpath-", "multipath"),
    ("LVM-", "lvm"),
    ("CRYPT-", "crypt"),
];

/// The kind of a DM device by its UUID.
pub fn kind_of(uuid: &str) -> &'static str {
    if uuid.is_empty() {
        return "none";
    }
    if let Some((_, kind)) = KINDS.iter().find(|(p, _)| uuid.starts_with(p)) {
        return kind;
    }
    // kpartx: `part1-mpath-3600...`.
    let partition = uuid
        .strip_prefix("part")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if partition { "partition" } else { "other" }
}

pub fn collect(source: &Source, block: &Fact<Vec<BlockDevice>>) -> Fact<Vec<DmDevice>> {
    let devices = match block {
        Fact::Known(d) => d,
        Fact::Unknown(m) => return Fact::Unknown(m.clone()),
    };
    let mut out: Vec<DmDevice> = devices
        .iter()
        .filter(|b| b.name.starts_with("dm-"))
        .map(|b| device(source, b))
        .collect();
    let maps: Vec<Fact<Vec<String>>> = out.iter().map(|d| maps_below(&out, d)).collect();
    for (d, m) in out.iter_mut().zip(maps) {
        d.multipath_maps = m;
    }
    Fact::Known(out)
}

fn device(source: &Source, b: &BlockDevice) -> DmDevice {
    let dir = format!("{BLOCK}/{}", b.name);
    let uuid: Fact<String> = read_value(source, &format!("{dir}/dm/uuid")).into();
    DmDevice {
        dm: b.name.clone(),
        name: read_value(source, &format!("{dir}/dm/name")).into(),
        kind: uuid.clone().map(|u| kind_of(&u).to_owned()),
        uuid,
        size_bytes: b.size_bytes.clone(),
        suspended: read_parsed(source, &format!("{dir}/dm/suspended"), |t| match t {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        })
        .into(),
        slaves: named_entries(source, &format!("{dir}/slaves")).into(),
        multipath_maps: Fact::Known(Vec::new()),
    }
}

/// The multipath maps under `d`, following its slaves through other DM
/// devices. A slave that is a DM device of unknown kind, or whose slaves
/// are unknown, leaves the answer unknown: the map may be below it.
fn maps_below(all: &[DmDevice], d: &DmDevice) -> Fact<Vec<String>> {
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![d];
    while let Some(cur) = todo.pop() {
        if !seen.insert(cur.dm.as_str()) {
            continue;
        }
        let slaves = match &cur.slaves {
            Fact::Known(s) => s,
            Fact::Unknown(m) => return Fact::Unknown(why(cur, m)),
        };
        for s in slaves {
            let Some(below) = all.iter().find(|x| x.dm == *s) else {
                continue;
            };
            match below.kind.known().map(String::as_str) {
                Some("multipath") => {
                    found.insert(
                        below
                            .name
                            .known()
                            .cloned()
                            .unwrap_or_else(|| below.dm.clone()),
                    );
                }
                Some(_) => todo.push(below),
                None => {
                    let m = below.kind.missing().cloned().unwrap_or_else(|| {
                        Missing::new(Reason::Failed, "the kind could not be read")
                    });
                    return Fact::Unknown(why(below, &m));
                }
            }
        }
    }
    Fact::Known(found.into_iter().collect())
}

fn why(d: &DmDevice, m: &Missing) -> Missing {
    Missing::new(
        m.reason,
        format!("what {} is built on is not known: {}", d.dm, m.detail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::storage::block;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A crypt device on an LVM volume on a partition of mpatha, and an
    /// LVM volume on a local disk.
    #[test]
    fn a_volume_is_followed_down_to_the_multipath_map_it_rests_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let dm = |n: &str, name: &str, uuid: &str, slaves: &[&str]| {
            let d = root.join(format!("sys/devices/virtual/block/{n}"));
            fs::create_dir_all(d.join("dm")).unwrap();
            fs::create_dir_all(d.join("slaves")).unwrap();
            fs::write(d.join("dm/name"), format!("{name}\n")).unwrap();
            fs::write(d.join("dm/uuid"), format!("{uuid}\n")).unwrap();
            fs::write(d.join("dm/suspended"), "0\n").unwrap();
            fs::write(d.join("size"), "2048\n").unwrap();
            for s in slaves {
                symlink(format!("../../{s}"), d.join("slaves").join(s)).unwrap();
            }
            fs::create_dir_all(root.join("sys/block")).unwrap();
            symlink(
                format!("../devices/virtual/block/{n}"),
                root.join("sys/block").join(n),
            )
            .unwrap();
        };
        dm("dm-0", "mpatha", "mpath-3600a098038314357", &["sdb", "sdc"]);
        dm(
            "dm-1",
            "mpatha1",
            "part1-mpath-3600a098038314357",
            &["dm-0"],
        );
        dm("dm-2", "vg_data-lv_data", "LVM-abc", &["dm-1"]);
        dm("dm-3", "luks-data", "CRYPT-LUKS2-1234-luks-data", &["dm-2"]);
        dm("dm-4", "vg0-root", "LVM-def", &["sda"]);
        let source = Source::fixture(root).unwrap();
        let devices = collect(&source, &block::collect(&source));
        let devices = devices.known().unwrap();
        let row = |n: &str| devices.iter().find(|d| d.dm == n).unwrap();
        assert_eq!(row("dm-3").kind, Fact::Known("crypt".into()));
        assert_eq!(row("dm-3").slaves, Fact::Known(vec!["dm-2".to_owned()]));
        assert_eq!(
            row("dm-3").multipath_maps,
            Fact::Known(vec!["mpatha".to_owned()])
        );
        assert_eq!(
            row("dm-2").multipath_maps,
            Fact::Known(vec!["mpatha".to_owned()])
        );
        assert_eq!(row("dm-1").kind, Fact::Known("partition".into()));
        assert_eq!(row("dm-4").multipath_maps, Fact::Known(vec![]));
        assert_eq!(row("dm-0").size_bytes, Fact::Known(2048 * 512));
        // A copy without dm-2's slaves cannot say what dm-3 rests on.
        fs::remove_dir_all(root.join("sys/devices/virtual/block/dm-2/slaves")).unwrap();
        let source = Source::fixture(root).unwrap();
        let devices = collect(&source, &block::collect(&source));
        let dm3 = devices
            .known()
            .unwrap()
            .iter()
            .find(|d| d.dm == "dm-3")
            .unwrap();
        let m = dm3.multipath_maps.missing().unwrap();
        assert_eq!(m.reason, Reason::NotCaptured);
        assert!(m.detail.contains("dm-2"), "{m}");
    }

    #[test]
    fn kinds_by_uuid_prefix() {
        assert_eq!(kind_of("mpath-3600508b1001c1234"), "multipath");
        assert_eq!(kind_of("LVM-wbGqQEBL9SxrW2DLntJwgg8fAv946hw3"), "lvm");
        assert_eq!(
            kind_of("CRYPT-LUKS2-jolaulot80fy9zsiobkxyxo7y2dqeho2-x"),
            "crypt"
        );
        assert_eq!(kind_of("part1-mpath-3600508b1001c1234"), "partition");
        assert_eq!(kind_of("partx-1"), "other");
        assert_eq!(kind_of("stratis-1-private"), "other");
        assert_eq!(kind_of(""), "none");
    }
}
