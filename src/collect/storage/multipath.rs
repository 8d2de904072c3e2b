//! Device-mapper multipath maps.
//!
//! A map is a DM device whose UUID starts with `mpath-` (LVM volumes start
//! `LVM-`, crypt devices `CRYPT-`: they are not maps). sysfs names the maps
//! (`sys/block/dm-N/dm/{name,uuid,suspended}`), their size and their
//! slaves. The state of each path is the kernel's, in the multipath
//! target's status line: live through the device-mapper ioctl, in a
//! fixture as the `dmsetup status` text (`cmd/dmsetup-status.txt`), parsed
//! here. The table line (`dmsetup table`) adds the features
//! (`queue_if_no_path`), the hardware handler and each group's path
//! selector.
//!
//! Where the status line cannot be read (no CAP_SYS_ADMIN, a fixture made
//! without it), a map's paths are its slaves and their state is their SCSI
//! device state: `running` counts as active. The map says so
//! (`path_states_from`), since a path the multipath checker failed while
//! its SCSI device still runs would look active.
//!
//! The status line (`dm-mpath.c`, `multipath_status`, STATUSTYPE_INFO):
//!
//! ```text
//! <#features> <queue_io> <pg_init_count> <#hw args> [<hw args>]
//! <#groups> <next group> then per group:
//!   <A|E|D> <#selector args> [<args>] <#paths> <#selector args per path>
//!   then per path: <major:minor> <A|F> <fail count> [<selector args>]
//! ```
//!
//! and the table line (STATUSTYPE_TABLE):
//!
//! ```text
//! <#features> [<features>] <#hw args> [<hw handler> <args>]
//! <#groups> <initial group> then per group:
//!   <selector> <#selector args> [<args>] <#paths> <#args per path>
//!   then per path: <major:minor> [<args>]
//! ```

use std::collections::{BTreeMap, HashMap};

use super::{block::BLOCK, named_entries};
use crate::collect::{read_parsed, read_value};
use crate::snapshot::{
    BlockDevice, FROM_SCSI, FROM_TARGET, Fact, Missing, MultipathMap, MultipathPath, PATH_ACTIVE,
    PATH_FAILED, PathGroup, Reason,
};
use crate::source::{Source, layout};

const UUID_PREFIX: &str = "mpath-";
const TARGET: &str = "multipath";

/// One line of `dmsetup status` or `dmsetup table`, located for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmLine<'a> {
    pub name: &'a str,
    pub start: u64,
    pub length: u64,
    pub target: &'a str,
    pub params: &'a str,
    pub line: usize,
}

/// Splits `dmsetup` output into its lines. Names may hold colons
/// (`docker-253:10-...`): the name ends at the first `": "` followed by a
/// number. `No devices found` is an empty list.
pub fn dm_lines(text: &str) -> Result<Vec<DmLine<'_>>, (usize, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim_end();
        if l.is_empty() || l == "No devices found" {
            continue;
        }
        let split = l.match_indices(": ").find(|(at, _)| {
            l[at + 2..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        });
        let Some((at, _)) = split else {
            return Err((
                line,
                format!("not \"NAME: START LENGTH TARGET ...\": {l:?}"),
            ));
        };
        let name = &l[..at];
        let mut rest = l[at + 2..].splitn(4, ' ');
        let mut num = |what: &str| -> Result<u64, (usize, String)> {
            rest.next()
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| (line, format!("{name}: no {what}")))
        };
        let start = num("start sector")?;
        let length = num("length")?;
        let target = rest
            .next()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| (line, format!("{name}: no target type")))?;
        out.push(DmLine {
            name,
            start,
            length,
            target,
            params: rest.next().unwrap_or("").trim(),
            line,
        });
    }
    Ok(out)
}

/// A multipath status line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpStatus {
    pub queue_io: bool,
    pub groups: Vec<StatusGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusGroup {
    /// `A` active, `E` enabled, `D` disabled (bypassed).
    pub state: char,
    pub paths: Vec<StatusPath>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPath {
    pub dev: String,
    pub active: bool,
    pub fail_count: u64,
}

/// A multipath table line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpTable {
    pub features: Vec<String>,
    pub hardware_handler: Option<String>,
    pub selectors: Vec<String>,
    pub paths: Vec<Vec<String>>,
}

struct Words<'a> {
    it: std::str::SplitWhitespace<'a>,
}

impl<'a> Words<'a> {
    fn new(s: &'a str) -> Self {
        Words {
            it: s.split_whitespace(),
        }
    }

    fn word(&mut self, what: &str) -> Result<&'a str, String> {
        self.it.next().ok_or_else(|| format!("ends before {what}"))
    }

    fn count(&mut self, what: &str) -> Result<usize, String> {
        let w = self.word(what)?;
        w.parse::<usize>()
            .ok()
            .filter(|n| *n < 100_000)
            .ok_or_else(|| format!("{what}: {w:?} is not a count"))
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<Vec<&'a str>, String> {
        (0..n).map(|_| self.word(what)).collect()
    }

    fn done(&mut self) -> Result<(), String> {
        match self.it.next() {
            None => Ok(()),
            Some(w) => Err(format!("unexpected {w:?} after the last path")),
        }
    }
}

fn is_devno(w: &str) -> bool {
    w.split_once(':').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

pub fn parse_status(params: &str) -> Result<MpStatus, String> {
    let mut w = Words::new(params);
    let features = w.count("the feature count")?;
    let f = w.skip(features, "the features")?;
    // The status line's features are `queue_io pg_init_count`.
    let queue_io = match f.first() {
        Some(&"0") => false,
        Some(&"1") => true,
        Some(other) => return Err(format!("queue_io {other:?} is not 0 or 1")),
        None => return Err("no queue_io among the features".into()),
    };
    let hw = w.count("the hardware handler count")?;
    w.skip(hw, "the hardware handler")?;
    let ngroups = w.count("the group count")?;
    w.word("the next group")?;
    let mut groups = Vec::with_capacity(ngroups);
    for g in 1..=ngroups {
        let state = w.word("a group state")?;
        let state = match state {
            "A" | "E" | "D" => state.chars().next().unwrap_or('E'),
            other => return Err(format!("group {g}: state {other:?} is not A, E or D")),
        };
        let sel = w.count("the selector argument count")?;
        w.skip(sel, "the selector arguments")?;
        let npaths = w.count("the path count")?;
        let per_path = w.count("the per-path argument count")?;
        let mut paths = Vec::with_capacity(npaths);
        for _ in 0..npaths {
            let dev = w.word("a path")?;
            if !is_devno(dev) {
                return Err(format!("group {g}: path {dev:?} is not MAJOR:MINOR"));
            }
            let active = match w.word("a path state")? {
                "A" => true,
                "F" => false,
                other => return Err(format!("path {dev}: state {other:?} is not A or F")),
            };
            let fails = w.word("a fail count")?;
            let fail_count = fails
                .parse()
                .map_err(|_| format!("path {dev}: fail count {fails:?}"))?;
            w.skip(per_path, "the path's selector arguments")?;
            paths.push(StatusPath {
                dev: dev.to_owned(),
                active,
                fail_count,
            });
        }
        groups.push(StatusGroup { state, paths });
    }
    w.done()?;
    Ok(MpStatus { queue_io, groups })
}

pub fn parse_table(params: &str) -> Result<MpTable, String> {
    let mut w = Words::new(params);
    let nf = w.count("the feature count")?;
    let features = w
        .skip(nf, "the features")?
        .into_iter()
        .map(str::to_owned)
        .collect();
    let nhw = w.count("the hardware handler count")?;
    let hw = w.skip(nhw, "the hardware handler")?;
    let ngroups = w.count("the group count")?;
    w.word("the initial group")?;
    let mut selectors = Vec::new();
    let mut paths = Vec::new();
    for _ in 0..ngroups {
        selectors.push(w.word("a path selector")?.to_owned());
        let sel = w.count("the selector argument count")?;
        w.skip(sel, "the selector arguments")?;
        let npaths = w.count("the path count")?;
        let per_path = w.count("the per-path argument count")?;
        let mut group = Vec::new();
        for _ in 0..npaths {
            let dev = w.word("a path")?;
            if !is_devno(dev) {
                return Err(format!("path {dev:?} is not MAJOR:MINOR"));
            }
            group.push(dev.to_owned());
            w.skip(per_path, "the path's arguments")?;
        }
        paths.push(group);
    }
    w.done()?;
    Ok(MpTable {
        features,
        hardware_handler: hw.first().map(|h| (*h).to_owned()),
        selectors,
        paths,
    })
}

/// What a text (status or table) said of each map, by name.
struct Parsed<T> {
    /// Parse results by map name.
    maps: BTreeMap<String, Result<T, Missing>>,
    /// Why nothing could be read of it, for maps it does not name.
    whole: Option<Missing>,
    /// Where it came from, for messages: the fixture file or the ioctl.
    from: String,
}

impl<T: Clone> Parsed<T> {
    fn of(
        text: Result<String, Missing>,
        from: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Parsed<T> {
        let mut p = Parsed {
            maps: BTreeMap::new(),
            whole: None,
            from: from.to_owned(),
        };
        let text = match text {
            Ok(t) => t,
            Err(m) => {
                p.whole = Some(m);
                return p;
            }
        };
        match dm_lines(&text) {
            Err((line, what)) => {
                p.whole = Some(Missing::new(
                    Reason::Malformed,
                    format!("{from}:{line}: {what}"),
                ));
            }
            Ok(lines) => {
                for l in lines.iter().filter(|l| l.target == TARGET) {
                    let parsed = if p.maps.contains_key(l.name) {
                        Err(Missing::new(
                            Reason::Malformed,
                            format!(
                                "{from}:{}: a second multipath target for {}: a map has one",
                                l.line, l.name
                            ),
                        ))
                    } else {
                        parse(l.params).map_err(|e| {
                            Missing::new(
                                Reason::Malformed,
                                format!("{from}:{}: {}: {e}", l.line, l.name),
                            )
                        })
                    };
                    p.maps.insert(l.name.to_owned(), parsed);
                }
            }
        }
        p
    }

    fn get(&self, name: &str) -> Result<T, Missing> {
        if let Some(m) = &self.whole {
            return Err(m.clone());
        }
        match self.maps.get(name) {
            Some(r) => r.clone(),
            None => Err(Missing::new(
                Reason::NotCaptured,
                format!("{} has no multipath line for {name}", self.from),
            )),
        }
    }
}

/// A map as sysfs shows it.
struct SysMap {
    dm: String,
    name: String,
    wwid: Fact<String>,
    suspended: Fact<bool>,
}

/// The device-mapper devices of `sys/block` that are multipath maps, or
/// why that could not be told.
fn sysfs_maps(source: &Source, block: &[BlockDevice]) -> Vec<Result<SysMap, (String, Missing)>> {
    let mut out = Vec::new();
    for b in block.iter().filter(|b| b.name.starts_with("dm-")) {
        let dir = format!("{BLOCK}/{}/dm", b.name);
        let uuid = match read_value(source, &format!("{dir}/uuid")) {
            Ok(u) => u,
            Err(m) => {
                let why = format!("{} may be a multipath map: {}", b.name, m.detail);
                out.push(Err((b.name.clone(), Missing::new(m.reason, why))));
                continue;
            }
        };
        let Some(wwid) = uuid.strip_prefix(UUID_PREFIX) else {
            continue;
        };
        // A map is known by its name (the status lines and every policy
        // name it): one that cannot be named could be any of them.
        let name = match read_value(source, &format!("{dir}/name")) {
            Ok(n) => n,
            Err(m) => {
                let why = format!(
                    "{} is a multipath map whose name could not be read: {}",
                    b.name, m.detail
                );
                out.push(Err((b.name.clone(), Missing::new(m.reason, why))));
                continue;
            }
        };
        out.push(Ok(SysMap {
            dm: b.name.clone(),
            name,
            wwid: Fact::Known(wwid.to_owned()),
            suspended: read_parsed(source, &format!("{dir}/suspended"), |t| match t {
                "0" => Some(false),
                "1" => Some(true),
                _ => None,
            })
            .into(),
        }));
    }
    out
}

pub fn collect(source: &Source, block: &Fact<Vec<BlockDevice>>) -> Fact<Vec<MultipathMap>> {
    let devices: &[BlockDevice] = block.known().map(Vec::as_slice).unwrap_or(&[]);
    let sys = sysfs_maps(source, devices);
    // Nothing to ask the kernel about: no maps, and no device-mapper query.
    if sys.is_empty() && block.known().is_some() {
        return Fact::Known(Vec::new());
    }
    let (table_text, status_text) = source.dm_multipath();
    let (table_from, status_from) = if source.is_live() {
        (
            "DM_TABLE_STATUS (table)".to_owned(),
            "DM_TABLE_STATUS".to_owned(),
        )
    } else {
        (layout::DM_TABLE.to_owned(), layout::DM_STATUS.to_owned())
    };
    let status = Parsed::of(status_text, &status_from, |p| {
        parse_status(p).map(|s| (s, p.to_owned()))
    });
    let table = Parsed::of(table_text, &table_from, parse_table);
    let by_dev: HashMap<&str, &BlockDevice> = devices
        .iter()
        .filter_map(|b| Some((b.dev.known()?.as_str(), b)))
        .collect();
    let size_of = |dm: &str| {
        devices.iter().find(|b| b.name == dm).map_or_else(
            || Fact::unknown(Reason::Absent, format!("no {BLOCK}/{dm}")),
            |b| b.size_bytes.clone(),
        )
    };
    let mut maps = Vec::new();
    for s in &sys {
        // A device that may be a map, or a map without its name, is a map
        // of unknown facts: unknown on its own, not the whole part, so a
        // failure known of another map still fails.
        let s = match s {
            Ok(s) => s,
            Err((dm, why)) => {
                maps.push(untold(dm, why, size_of(dm)));
                continue;
            }
        };
        let name = s.name.clone();
        let size = size_of(&s.dm);
        let slaves = format!("{BLOCK}/{}/slaves", s.dm);
        maps.push(build(
            source,
            name,
            Some(s.dm.clone()),
            s.wwid.clone(),
            size,
            s.suspended.clone(),
            &status,
            &table,
            &by_dev,
            devices,
            &slaves,
        ));
    }
    // Maps only the status text names: a fixture without sysfs.
    if block.known().is_none() {
        if let Some(m) = &status.whole {
            return Fact::Unknown(Missing::new(
                m.reason,
                format!(
                    "{}; {}",
                    block.missing().map(|b| b.detail.as_str()).unwrap_or(""),
                    m.detail
                ),
            ));
        }
        for name in status.maps.keys() {
            let unread = block
                .missing()
                .cloned()
                .unwrap_or_else(|| Missing::new(Reason::NotCaptured, "no block devices were read"));
            maps.push(build(
                source,
                name.clone(),
                None,
                Fact::Unknown(unread.clone()),
                Fact::Unknown(unread.clone()),
                Fact::Unknown(unread),
                &status,
                &table,
                &by_dev,
                devices,
                "",
            ));
        }
    }
    Fact::Known(maps)
}

#[allow(clippy::too_many_arguments)]
fn build(
    source: &Source,
    name: String,
    dm: Option<String>,
    wwid: Fact<String>,
    size_bytes: Fact<u64>,
    suspended: Fact<bool>,
    status: &Parsed<(MpStatus, String)>,
    table: &Parsed<MpTable>,
    by_dev: &HashMap<&str, &BlockDevice>,
    devices: &[BlockDevice],
    slaves_dir: &str,
) -> MultipathMap {
    let table_fact = table.get(&name);
    let queue_if_no_path = match &table_fact {
        Ok(t) => Fact::Known(t.features.iter().any(|f| f == "queue_if_no_path")),
        Err(m) => Fact::Unknown(m.clone()),
    };
    let hardware_handler = match &table_fact {
        Ok(t) => Fact::Known(t.hardware_handler.clone()),
        Err(m) => Fact::Unknown(m.clone()),
    };
    let selectors: Option<&[String]> = table_fact.as_ref().ok().map(|t| t.selectors.as_slice());
    let (status_fact, raw) = match status.get(&name) {
        Ok((s, raw)) => (Ok(s), Fact::Known(raw)),
        Err(m) => (Err(m.clone()), Fact::Unknown(m)),
    };
    let (path_states_from, queueing, groups, paths) = match status_fact {
        Ok(s) => {
            let groups = s
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| PathGroup {
                    number: i as u32 + 1,
                    state: match g.state {
                        'A' => "active",
                        'D' => "disabled",
                        _ => "enabled",
                    }
                    .to_owned(),
                    selector: selectors.and_then(|s| s.get(i)).cloned(),
                })
                .collect();
            let paths = s
                .groups
                .iter()
                .enumerate()
                .flat_map(|(i, g)| g.paths.iter().map(move |p| (i as u32 + 1, p)))
                .map(|(group, p)| {
                    let device = by_dev.get(p.dev.as_str()).copied();
                    let mut path = from_device(
                        device,
                        device.map_or_else(|| p.dev.clone(), |d| d.name.clone()),
                        &format!("no block device {} in {BLOCK}", p.dev),
                    );
                    path.dev = Some(p.dev.clone());
                    path.group = Some(group);
                    path.state =
                        Fact::Known(if p.active { PATH_ACTIVE } else { PATH_FAILED }.to_owned());
                    path.fail_count = Fact::Known(p.fail_count);
                    path
                })
                .collect();
            (
                FROM_TARGET,
                Fact::Known(s.queue_io),
                Fact::Known(groups),
                Fact::Known(paths),
            )
        }
        Err(m) => {
            let paths = fallback_paths(source, slaves_dir, devices, &m);
            (FROM_SCSI, Fact::Unknown(m.clone()), Fact::Unknown(m), paths)
        }
    };
    MultipathMap {
        name,
        untold: None,
        dm,
        wwid,
        size_bytes,
        suspended,
        queue_if_no_path,
        queueing,
        hardware_handler,
        status: raw,
        path_states_from,
        groups,
        paths,
    }
}

/// A device-mapper device that could not be told to be a map, or which:
/// named by its kernel device, every fact but its size unknown for that.
fn untold(dm: &str, why: &Missing, size_bytes: Fact<u64>) -> MultipathMap {
    MultipathMap {
        name: dm.to_owned(),
        untold: Some(why.clone()),
        dm: Some(dm.to_owned()),
        wwid: Fact::Unknown(why.clone()),
        size_bytes,
        suspended: Fact::Unknown(why.clone()),
        queue_if_no_path: Fact::Unknown(why.clone()),
        queueing: Fact::Unknown(why.clone()),
        hardware_handler: Fact::Unknown(why.clone()),
        status: Fact::Unknown(why.clone()),
        path_states_from: FROM_TARGET,
        groups: Fact::Unknown(why.clone()),
        paths: Fact::Unknown(why.clone()),
    }
}

/// A path's facts from its block device; the multipath target's facts
/// are filled in by the caller.
fn from_device(device: Option<&BlockDevice>, name: String, why: &str) -> MultipathPath {
    let unknown = |why: &str| Missing::new(Reason::Absent, why.to_owned());
    let (scsi_state, scsi_host, adapter) = match device {
        None => (
            Fact::Unknown(unknown(why)),
            Fact::Unknown(unknown(why)),
            Fact::Unknown(unknown(why)),
        ),
        Some(d) => (
            d.scsi.as_ref().and_then(|s| match s {
                Some(s) => s.state.clone().map(Some),
                None => Fact::Known(None),
            }),
            d.attachment.as_ref().map(|a| a.scsi_host.clone()),
            d.attachment.as_ref().map(|a| a.adapter.clone()),
        ),
    };
    MultipathPath {
        device: name,
        dev: device.and_then(|d| d.dev.known().cloned()),
        group: None,
        state: Fact::unknown(Reason::NotCaptured, "set by the caller"),
        fail_count: Fact::unknown(Reason::NotCaptured, "set by the caller"),
        scsi_state,
        scsi_host,
        adapter,
    }
}

/// The map's slaves, each active when its SCSI device runs: what can be
/// said without the status line.
fn fallback_paths(
    source: &Source,
    slaves_dir: &str,
    devices: &[BlockDevice],
    why: &Missing,
) -> Fact<Vec<MultipathPath>> {
    if slaves_dir.is_empty() {
        return Fact::Unknown(why.clone());
    }
    let names = match named_entries(source, slaves_dir) {
        Ok(n) => n,
        Err(m) => {
            return Fact::Unknown(Missing::new(
                m.reason,
                format!("{}; and {}", why.detail, m.detail),
            ));
        }
    };
    let paths = names
        .into_iter()
        .map(|name| {
            let device = devices.iter().find(|d| d.name == name);
            let mut p = from_device(device, name.clone(), &format!("no {BLOCK}/{name}"));
            p.state = match &p.scsi_state {
                Fact::Known(Some(s)) if s == "running" => Fact::Known(PATH_ACTIVE.to_owned()),
                Fact::Known(Some(_)) => Fact::Known(PATH_FAILED.to_owned()),
                Fact::Known(None) => Fact::unknown(
                    Reason::NotSupported,
                    format!("{name} is not a SCSI device and the status line is unknown"),
                ),
                Fact::Unknown(m) => Fact::Unknown(m.clone()),
            };
            p.fail_count = Fact::Unknown(Missing::new(
                why.reason,
                format!("only the status line counts path failures: {}", why.detail),
            ));
            p
        })
        .collect();
    Fact::Known(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `multipath -v3` of a RHEL 5 host printed the status and table of
    /// map L004 (insights-core's MULTIPATH_V4_LL_INFO_RHEL_5 sample): the
    /// kernel's own text.
    const STATUS: &str = "2 0 1 0 2 1 A 0 2 0 8:160 A 0 8:240 A 0 E 0 2 0 8:80 A 0 65:64 A 0";
    const TABLE: &str = "1 queue_if_no_path 1 emc 2 1 round-robin 0 2 1 8:160 1000 8:240 1000 round-robin 0 2 1 8:80 1000 65:64 1000";

    #[test]
    fn a_status_line_of_two_groups() {
        let s = parse_status(STATUS).unwrap();
        assert!(!s.queue_io);
        assert_eq!(s.groups.len(), 2);
        assert_eq!(s.groups[0].state, 'A');
        assert_eq!(s.groups[1].state, 'E');
        assert_eq!(
            s.groups[1].paths[1],
            StatusPath {
                dev: "65:64".into(),
                active: true,
                fail_count: 0
            }
        );
    }

    #[test]
    fn a_table_line_with_features_and_a_handler() {
        let t = parse_table(TABLE).unwrap();
        assert_eq!(t.features, ["queue_if_no_path"]);
        assert_eq!(t.hardware_handler.as_deref(), Some("emc"));
        assert_eq!(t.selectors, ["round-robin", "round-robin"]);
        assert_eq!(t.paths, [vec!["8:160", "8:240"], vec!["8:80", "65:64"]]);
    }

    #[test]
    fn service_time_paths_carry_selector_arguments() {
        // A 6.x kernel: service-time reports in-flight size and relative
        // throughput per path; one path failed twice.
        let s = parse_status(
            "2 0 0 1 alua 2 1 A 0 2 2 8:96 A 0 0 1 65:0 F 2 0 1 E 0 2 2 8:112 A 0 0 1 65:16 A 0 0 1 ",
        )
        .unwrap();
        assert_eq!(s.groups[0].paths[1].fail_count, 2);
        assert!(!s.groups[0].paths[1].active);
        assert_eq!(s.groups[1].paths.len(), 2);
    }

    #[test]
    fn malformed_lines_say_what() {
        for (bad, what) in [
            ("", "ends before the feature count"),
            ("2 0 1 0 2 1 A 0 2 0 8:160 A 0", "ends before a path"),
            ("2 0 1 0 1 1 X 0 1 0 8:160 A 0", "state \"X\""),
            ("2 0 1 0 1 1 A 0 1 0 sdb A 0", "not MAJOR:MINOR"),
            ("2 0 1 0 1 1 A 0 1 0 8:16 A 0 extra", "unexpected \"extra\""),
            ("2 0 1 0 1 1 A 0 1 0 8:16 Q 0", "not A or F"),
        ] {
            let e = parse_status(bad).unwrap_err();
            assert!(e.contains(what), "{bad:?}: {e}");
        }
    }

    #[test]
    fn dmsetup_lines_with_colons_in_names() {
        let l = dm_lines("docker-253:10-1234567-0df13579: 0 20971520 thin 1922048 20971519\nNo devices found\n\nmpatha: 0 209715200 multipath 2 0 0 0 0 0\n").unwrap();
        assert_eq!(l[0].name, "docker-253:10-1234567-0df13579");
        assert_eq!(l[0].target, "thin");
        assert_eq!(
            (l[1].name, l[1].line, l[1].length),
            ("mpatha", 4, 209715200)
        );
        let e = dm_lines("rootvg-tanlv: 0 6291456\n").unwrap_err();
        assert_eq!(e.0, 1);
        assert!(e.1.contains("no target type"), "{e:?}");
    }

    /// Any cut of a status line is refused or parses to the same paths'
    /// prefix: never a path state from the middle of a word.
    #[test]
    fn every_cut_of_a_status_line_is_refused_or_whole() {
        let whole = parse_status(STATUS).unwrap();
        for cut in 0..STATUS.len() {
            if let Ok(s) = parse_status(&STATUS[..cut]) {
                assert_eq!(s, whole, "cut at {cut}");
            }
        }
    }
}
