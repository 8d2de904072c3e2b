//! NVMe subsystems (`sys/class/nvme-subsystem`): each controller of a
//! subsystem is a path to its namespaces, and with native NVMe multipath
//! the kernel keeps each path's ANA state.
//!
//! A subsystem directory lists its controllers (`nvme0`, links to the
//! controller devices) and, with native multipath, the namespaces users see
//! (`nvme0n1`), each with a `multipath/` directory of its paths
//! (`nvme0c0n1`, `nvme0c1n1`: subsystem 0, controller 0 or 1, namespace 1)
//! and their `ana_state`. Without native multipath there are no such
//! namespaces: each controller holds its own (`nvme1n1`), a path of its own.

use std::collections::BTreeMap;

use super::{class_entries, optional_value};
use crate::collect::{file_missing, read_value};
use crate::snapshot::{Fact, Missing, NvmeController, NvmeNamespace, NvmePath, NvmeSubsystem};
use crate::source::Source;

pub const SUBSYSTEMS: &str = "sys/class/nvme-subsystem";

pub fn collect(source: &Source) -> Fact<Vec<NvmeSubsystem>> {
    match class_entries(source, SUBSYSTEMS) {
        Ok(names) => Fact::Known(names.iter().map(|n| subsystem(source, n)).collect()),
        Err(m) => Fact::Unknown(m),
    }
}

/// `nvme3`
fn controller_name(n: &str) -> bool {
    super::numbered(n, "nvme").is_some()
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

fn subsystem(source: &Source, name: &str) -> NvmeSubsystem {
    let dir = format!("{SUBSYSTEMS}/{name}");
    let entries = source
        .root()
        .read_dir(&dir)
        .map_err(|e| file_missing(&dir, &e));
    let text = |file: &str| -> Fact<String> {
        read_value(source, &format!("{dir}/{file}"))
            .map(|v| v.trim().to_owned())
            .into()
    };
    let (controllers, namespaces) = match &entries {
        Err(m) => (Fact::Unknown(m.clone()), Fact::Unknown(m.clone())),
        Ok(entries) => {
            let ctrls: Vec<&String> = entries.iter().filter(|e| controller_name(e)).collect();
            let heads: Vec<&String> = entries
                .iter()
                .filter(|e| matches!(path_parts(e), Some((None, _))))
                .collect();
            let controllers = ctrls
                .iter()
                .map(|c| {
                    let f = |file: &str| -> Fact<String> {
                        read_value(source, &format!("{dir}/{c}/{file}")).into()
                    };
                    NvmeController {
                        name: (*c).clone(),
                        state: f("state"),
                        transport: f("transport"),
                        address: f("address"),
                    }
                })
                .collect();
            let namespaces = if heads.is_empty() {
                per_controller(source, &dir, &ctrls)
            } else {
                heads
                    .iter()
                    .map(|h| multipath_namespace(source, &dir, h))
                    .collect::<Result<Vec<_>, Missing>>()
                    .into()
            };
            (Fact::Known(controllers), namespaces)
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

fn ana_state(source: &Source, rel: &str) -> Fact<Option<String>> {
    optional_value(source, rel)
}

/// A namespace of native multipath and its paths.
fn multipath_namespace(source: &Source, dir: &str, head: &str) -> Result<NvmeNamespace, Missing> {
    let nsid = path_parts(head).map_or(0, |(_, n)| n);
    let mp = format!("{dir}/{head}/multipath");
    let names = source
        .root()
        .read_dir(&mp)
        .map_err(|e| file_missing(&mp, &e))?;
    let paths = names
        .iter()
        .filter_map(|p| {
            let (ctrl, _) = path_parts(p)?;
            Some(NvmePath {
                name: p.clone(),
                controller: format!("nvme{}", ctrl?),
                ana_state: ana_state(source, &format!("{mp}/{p}/ana_state")),
            })
        })
        .collect();
    Ok(NvmeNamespace {
        name: head.to_owned(),
        nsid,
        paths,
    })
}

/// Namespaces found in each controller's directory, grouped by namespace
/// id: a kernel without native multipath, or a copy without the
/// subsystem's namespace directories.
fn per_controller(source: &Source, dir: &str, ctrls: &[&String]) -> Fact<Vec<NvmeNamespace>> {
    let mut by_nsid: BTreeMap<u32, NvmeNamespace> = BTreeMap::new();
    for c in ctrls {
        let cdir = format!("{dir}/{c}");
        let names = match source.root().read_dir(&cdir) {
            Ok(n) => n,
            Err(e) => return Fact::Unknown(file_missing(&cdir, &e)),
        };
        for n in names {
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
            let entry = by_nsid.entry(nsid).or_insert_with(|| NvmeNamespace {
                name: ns_name,
                nsid,
                paths: Vec::new(),
            });
            entry.paths.push(NvmePath {
                name: n.clone(),
                controller: (*c).clone(),
                ana_state: ana_state(source, &format!("{cdir}/{n}/ana_state")),
            });
        }
    }
    Fact::Known(by_nsid.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::path_parts;

    #[test]
    fn path_names() {
        assert_eq!(path_parts("nvme0c1n1"), Some((Some(1), 1)));
        assert_eq!(path_parts("nvme12n3"), Some((None, 3)));
        assert_eq!(path_parts("nvme0"), None);
        assert_eq!(path_parts("nvme-subsys0"), None);
        assert_eq!(path_parts("nvme0cxn1"), None);
    }
}
