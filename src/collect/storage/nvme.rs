//! NVMe subsystems (`sys/class/nvme-subsystem`) and their controllers
//! (`sys/class/nvme`): each controller of a subsystem is a path to its
//! namespaces, and with native NVMe multipath the kernel keeps each path's
//! ANA state.
//!
//! A subsystem directory lists its controllers (`nvme0`, links to the
//! controller devices that `sys/class/nvme` also lists) and, with native
//! multipath, the namespaces users see (`nvme0n1`, the "head"). Each path
//! of a head is a hidden disk under its controller's device, `nvme0c1n1`
//! (subsystem 0, controller 1, namespace 1), with its `ana_state`; since
//! 6.15 the head also links them in its `multipath/` directory. Without
//! native multipath there are no heads: each controller holds its own
//! namespace (`nvme1n1`), a path of its own.
//!
//! So the paths of a head are found through its `multipath/` directory
//! where the kernel has one, and otherwise through the controllers, as
//! kernels before 6.15 lay them out. A controller no subsystem lists (a
//! kernel older than 4.15, which had no subsystems) stands as a subsystem
//! of its own.

use std::collections::{BTreeMap, BTreeSet};

use super::{class_entries, numbered, optional_value};
use crate::collect::{absent_on_host, file_missing, read_parsed, read_value};
use crate::snapshot::{
    Fact, Missing, NvmeController, NvmeNamespace, NvmePath, NvmeSubsystem, Reason,
};
use crate::source::Source;

pub const SUBSYSTEMS: &str = "sys/class/nvme-subsystem";
pub const CONTROLLERS: &str = "sys/class/nvme";

/// The kernel's sector, the unit of every block device's `size`.
const SECTOR: u64 = 512;

pub fn collect(source: &Source) -> Fact<Vec<NvmeSubsystem>> {
    // Which subsystem a controller belongs to is known only from the
    // subsystems' listings: without them no controller stands alone.
    let names = match class_entries(source, SUBSYSTEMS) {
        Ok(n) => n,
        Err(m) => return Fact::Unknown(m),
    };
    // The controllers are read through the subsystems' links too: an
    // unreadable class/nvme only leaves lone controllers unseen.
    let classed: Vec<String> = class_entries(source, CONTROLLERS)
        .map(|names| names.into_iter().filter(|n| controller_name(n)).collect())
        .unwrap_or_default();
    let mut out: Vec<NvmeSubsystem> = names
        .iter()
        .map(|n| subsystem(source, n, &classed))
        .collect();
    // A subsystem whose controllers could not be listed may be the one a
    // controller belongs to: then none is known to stand alone.
    if out.iter().any(|s| s.controllers.known().is_none()) {
        return Fact::Known(out);
    }
    let listed: BTreeSet<&str> = out
        .iter()
        .filter_map(|s| s.controllers.known())
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    let lone: Vec<String> = classed
        .iter()
        .filter(|c| !listed.contains(c.as_str()))
        .cloned()
        .collect();
    out.extend(lone.iter().map(|c| lone_controller(source, c)));
    Fact::Known(out)
}

/// `nvme3`
fn controller_name(n: &str) -> bool {
    numbered(n, "nvme").is_some()
}

/// The parts of `nvme<a>c<b>n<c>` or `nvme<a>n<c>`: (controller instance,
/// namespace id); no controller part without native multipath.
pub fn path_parts(name: &str) -> Option<(Option<u32>, u32)> {
    let rest = name.strip_prefix("nvme")?;
    let (head, ns) = rest.rsplit_once('n')?;
    let nsid: u32 = ns.parse().ok()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match head.split_once('c') {
        Some((sub, ctrl)) if digits(sub) && digits(ctrl) => Some((ctrl.parse().ok(), nsid)),
        None if digits(head) => Some((None, nsid)),
        _ => None,
    }
}

/// A controller and the directories that hold its files: its entry in the
/// subsystem, then its entry in `sys/class/nvme`. On a host both are links
/// to the one device; a copy made by another tool may have split its
/// files between the two, and a file missing from one is looked for in
/// the other.
struct Ctrl {
    name: String,
    dirs: Vec<String>,
}

impl Ctrl {
    fn new(name: &str, subsystem_dir: Option<&str>, classed: &[String]) -> Ctrl {
        let mut dirs: Vec<String> = subsystem_dir
            .map(|d| format!("{d}/{name}"))
            .into_iter()
            .collect();
        if classed.iter().any(|c| c == name) {
            dirs.push(format!("{CONTROLLERS}/{name}"));
        }
        Ctrl {
            name: name.to_owned(),
            dirs,
        }
    }

    /// A file of the controller, from the first directory that holds it.
    fn value(&self, source: &Source, file: &str) -> Fact<String> {
        first_captured(
            self.dirs
                .iter()
                .map(|d| read_value(source, &format!("{d}/{file}"))),
            || format!("no directory of {}", self.name),
        )
    }

    /// The entries of the controller's directories, each with the
    /// directory it is in.
    fn entries(&self, source: &Source) -> Result<Vec<(String, String)>, Missing> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut failed = None;
        for d in &self.dirs {
            match source.root().read_dir(d) {
                Ok(names) => {
                    for n in names {
                        if !out.iter().any(|(seen, _)| *seen == n) {
                            out.push((n, d.clone()));
                        }
                    }
                }
                Err(e) => {
                    failed.get_or_insert(file_missing(d, &e));
                }
            }
        }
        match failed {
            Some(m) if out.is_empty() => Err(m),
            _ => Ok(out),
        }
    }

    fn read(&self, source: &Source) -> NvmeController {
        NvmeController {
            name: self.name.clone(),
            model: self.value(source, "model"),
            serial: self.value(source, "serial"),
            firmware_rev: self.value(source, "firmware_rev"),
            state: self.value(source, "state"),
            transport: self.value(source, "transport"),
            address: self.value(source, "address"),
        }
    }

    /// The controller's instance number: 3 for `nvme3`.
    fn instance(&self) -> Option<u32> {
        numbered(&self.name, "nvme")
    }
}

fn subsystem(source: &Source, name: &str, classed: &[String]) -> NvmeSubsystem {
    let dir = format!("{SUBSYSTEMS}/{name}");
    let entries = source
        .root()
        .read_dir(&dir)
        .map_err(|e| file_missing(&dir, &e));
    let text = |file: &str| -> Fact<String> { read_value(source, &format!("{dir}/{file}")).into() };
    let (controllers, namespaces) = match &entries {
        Err(m) => (Fact::Unknown(m.clone()), Fact::Unknown(m.clone())),
        Ok(entries) => {
            let ctrls: Vec<Ctrl> = entries
                .iter()
                .filter(|e| controller_name(e))
                .map(|c| Ctrl::new(c, Some(&dir), classed))
                .collect();
            let heads: Vec<&String> = entries
                .iter()
                .filter(|e| matches!(path_parts(e), Some((None, _))))
                .collect();
            let namespaces = if heads.is_empty() {
                per_controller(source, &ctrls)
            } else {
                heads
                    .iter()
                    .map(|h| head_namespace(source, &dir, h, &ctrls))
                    .collect::<Result<Vec<_>, Missing>>()
                    .into()
            };
            (
                Fact::Known(ctrls.iter().map(|c| c.read(source)).collect()),
                namespaces,
            )
        }
    };
    NvmeSubsystem {
        name: name.to_owned(),
        nqn: text("subsysnqn"),
        model: text("model"),
        serial: text("serial"),
        iopolicy: optional_value(source, &format!("{dir}/iopolicy")),
        controllers,
        namespaces,
    }
}

/// A controller that no subsystem lists, as a subsystem of its own: the
/// identity a subsystem would give is the controller's own.
fn lone_controller(source: &Source, name: &str) -> NvmeSubsystem {
    let ctrl = Ctrl::new(name, None, &[name.to_owned()]);
    NvmeSubsystem {
        name: name.to_owned(),
        nqn: ctrl.value(source, "subsysnqn"),
        model: ctrl.value(source, "model"),
        serial: ctrl.value(source, "serial"),
        iopolicy: Fact::Known(None),
        namespaces: per_controller(source, std::slice::from_ref(&ctrl)),
        controllers: Fact::Known(vec![ctrl.read(source)]),
    }
}

/// A block device's `size` in bytes.
fn size_of(source: &Source, dir: &str) -> Result<u64, Missing> {
    let rel = format!("{dir}/size");
    read_parsed(source, &rel, |t| t.parse::<u64>().ok()?.checked_mul(SECTOR))
}

/// The size of a namespace from the first of `dirs` (the head, then its
/// paths: each is a disk of the same capacity) that a copy holds.
fn namespace_size(source: &Source, dirs: impl IntoIterator<Item = String>) -> Fact<u64> {
    first_captured(dirs.into_iter().map(|d| size_of(source, &d)), || {
        "no disk of the namespace to read a size from".to_owned()
    })
}

/// The first of `reads` that a copy holds: a read that failed otherwise
/// than "not captured" is the answer, as on the host.
fn first_captured<T>(
    reads: impl IntoIterator<Item = Result<T, Missing>>,
    none: impl FnOnce() -> String,
) -> Fact<T> {
    let mut first = None;
    for r in reads {
        match r {
            Ok(v) => return Fact::Known(v),
            Err(m) if m.reason == Reason::NotCaptured => {
                first.get_or_insert(m);
            }
            Err(m) => return Fact::Unknown(m),
        }
    }
    Fact::Unknown(first.unwrap_or_else(|| Missing::new(Reason::NotCaptured, none())))
}

/// A path found in a directory, with that directory.
struct Found {
    path: NvmePath,
    dir: String,
}

fn path_in(source: &Source, dir: &str, name: &str, controller: String) -> Found {
    let at = format!("{dir}/{name}");
    Found {
        path: NvmePath {
            name: name.to_owned(),
            controller,
            ana_state: optional_value(source, &format!("{at}/ana_state")),
        },
        dir: at,
    }
}

/// The paths to namespace `nsid` under the controllers: `nvmeXcYnZ` under
/// controller Y with native multipath, `nvmeYnZ` without.
fn controller_paths(source: &Source, ctrls: &[Ctrl], nsid: u32) -> Result<Vec<Found>, Missing> {
    let mut out = Vec::new();
    for c in ctrls {
        for (entry, dir) in c.entries(source)? {
            let Some((via, n)) = path_parts(&entry) else {
                continue;
            };
            let mine = match via {
                Some(instance) => Some(instance) == c.instance(),
                None => true,
            };
            if n == nsid && mine {
                out.push(path_in(source, &dir, &entry, c.name.clone()));
            }
        }
    }
    Ok(out)
}

/// A namespace of native multipath and its paths: those its `multipath/`
/// directory links (6.15 and later), or, where there is none, those the
/// controllers hold.
fn head_namespace(
    source: &Source,
    dir: &str,
    head: &str,
    ctrls: &[Ctrl],
) -> Result<NvmeNamespace, Missing> {
    let nsid = path_parts(head).map_or(0, |(_, n)| n);
    let head_dir = format!("{dir}/{head}");
    let mp = format!("{head_dir}/multipath");
    let found = match source.root().read_dir(&mp) {
        Ok(names) => names
            .iter()
            .filter_map(|p| {
                let (ctrl, _) = path_parts(p)?;
                Some(path_in(source, &mp, p, format!("nvme{}", ctrl?)))
            })
            .collect(),
        Err(e) => {
            let absent = absent_on_host(&e);
            let why = file_missing(&mp, &e);
            if !absent && why.reason != Reason::NotCaptured {
                return Err(why);
            }
            let found = controller_paths(source, ctrls, nsid)?;
            // A head exists while it has paths: none found where a copy
            // lacks both places they are listed is not "no path".
            if found.is_empty() && !absent {
                return Err(Missing::new(
                    Reason::NotCaptured,
                    format!(
                        "{}; and no controller of the subsystem holds a path to namespace {nsid}",
                        why.detail
                    ),
                ));
            }
            found
        }
    };
    let size_bytes = namespace_size(
        source,
        std::iter::once(head_dir).chain(found.iter().map(|f| f.dir.clone())),
    );
    Ok(NvmeNamespace {
        name: head.to_owned(),
        nsid,
        size_bytes,
        paths: found.into_iter().map(|f| f.path).collect(),
    })
}

/// Namespaces found in each controller's directory, grouped by namespace
/// id: a kernel without native multipath, or a copy without the
/// subsystem's namespace directories.
fn per_controller(source: &Source, ctrls: &[Ctrl]) -> Fact<Vec<NvmeNamespace>> {
    let mut by_nsid: BTreeMap<u32, (String, Vec<Found>)> = BTreeMap::new();
    for c in ctrls {
        let entries = match c.entries(source) {
            Ok(e) => e,
            Err(m) => return Fact::Unknown(m),
        };
        for (n, dir) in entries {
            let Some((ctrl, nsid)) = path_parts(&n) else {
                continue;
            };
            let ns_name = match ctrl {
                // nvme0c1n1 is a path of nvme0n1.
                Some(_) => n
                    .split_once('c')
                    .and_then(|(sub, _)| Some(format!("{sub}n{}", n.rsplit_once('n')?.1)))
                    .unwrap_or_else(|| n.clone()),
                None => n.clone(),
            };
            by_nsid
                .entry(nsid)
                .or_insert_with(|| (ns_name, Vec::new()))
                .1
                .push(path_in(source, &dir, &n, c.name.clone()));
        }
    }
    Fact::Known(
        by_nsid
            .into_iter()
            .map(|(nsid, (name, found))| NvmeNamespace {
                name,
                nsid,
                size_bytes: namespace_size(source, found.iter().map(|f| f.dir.clone())),
                paths: found.into_iter().map(|f| f.path).collect(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A PCIe SSD as a kernel before 4.15 shows it: a controller in
    /// `class/nvme`, no subsystems at all, the namespace under it.
    fn old_kernel(root: &std::path::Path, manifest_extra: &str) {
        let c = root.join("sys/class/nvme/nvme0");
        fs::create_dir_all(c.join("nvme0n1")).unwrap();
        for (f, v) in [
            ("model", "SAMSUNG MZ1LB1T9HALS-00007"),
            ("serial", "S3EWNX0K123456"),
            ("firmware_rev", "EDA7602Q"),
            ("state", "live"),
            ("transport", "pcie"),
            ("address", "0000:5e:00.0"),
            (
                "subsysnqn",
                "nqn.2014.08.org.nvmexpress:144d144dS3EWNX0K123456",
            ),
            ("nvme0n1/size", "3750748848"),
        ] {
            fs::write(c.join(f), format!("{v}\n")).unwrap();
        }
        fs::write(
            root.join("manifest.json"),
            format!("{{\"hostlint_fixture\": 1, {manifest_extra}}}"),
        )
        .unwrap();
    }

    #[test]
    fn a_controller_no_subsystem_lists_stands_as_its_own() {
        let dir = tempfile::tempdir().unwrap();
        // A local SSD has no ANA: the capture saw no ana_state.
        old_kernel(
            dir.path(),
            "\"absent\": [\"sys/class/nvme-subsystem\", \"sys/class/nvme/nvme0/nvme0n1/ana_state\"]",
        );
        let source = Source::fixture(dir.path()).unwrap();
        let subs = collect(&source);
        let subs = subs.known().unwrap();
        assert_eq!(subs.len(), 1);
        let s = &subs[0];
        assert_eq!(s.name, "nvme0");
        assert_eq!(s.model, Fact::Known("SAMSUNG MZ1LB1T9HALS-00007".into()));
        assert_eq!(s.iopolicy, Fact::Known(None));
        let ns = &s.namespaces.known().unwrap()[0];
        assert_eq!((ns.name.as_str(), ns.nsid), ("nvme0n1", 1));
        assert_eq!(ns.size_bytes, Fact::Known(3_750_748_848 * 512));
        assert_eq!(ns.paths[0].ana_state, Fact::Known(None));
    }

    /// Found by tests/unreadable.rs: san-healthy's subsystem directory
    /// unreadable made its two controllers subsystems of their own, each
    /// failing a check on live controllers.
    #[test]
    fn an_unreadable_subsystem_makes_none_of_its_controllers_lone() {
        let dir = tempfile::tempdir().unwrap();
        old_kernel(
            dir.path(),
            "\"read_errors\": {\"sys/class/nvme-subsystem/nvme-subsys0\": \"EIO\"}",
        );
        fs::create_dir_all(dir.path().join("sys/class/nvme-subsystem/nvme-subsys0")).unwrap();
        let source = Source::fixture(dir.path()).unwrap();
        let subs = collect(&source);
        let subs = subs.known().unwrap();
        assert_eq!(subs.len(), 1, "{subs:?}");
        assert_eq!(subs[0].name, "nvme-subsys0");
        assert!(subs[0].controllers.missing().is_some());
    }

    #[test]
    fn an_unreadable_subsystem_listing_makes_no_lone_controllers() {
        let dir = tempfile::tempdir().unwrap();
        old_kernel(
            dir.path(),
            "\"read_errors\": {\"sys/class/nvme-subsystem\": \"EIO\"}",
        );
        fs::create_dir_all(dir.path().join("sys/class/nvme-subsystem")).unwrap();
        let source = Source::fixture(dir.path()).unwrap();
        let m = collect(&source).missing().cloned().unwrap();
        assert_eq!(m.reason, Reason::Failed, "{m}");
    }

    #[test]
    fn path_names() {
        assert_eq!(path_parts("nvme0c1n1"), Some((Some(1), 1)));
        assert_eq!(path_parts("nvme12n3"), Some((None, 3)));
        assert_eq!(path_parts("nvme0"), None);
        assert_eq!(path_parts("nvme-subsys0"), None);
        assert_eq!(path_parts("nvme0cxn1"), None);
    }
}
