//! Multipath maps: a LUN on fewer active paths, or gone, is the drive-array
//! cable of the incident; a path whose fail count climbs is that cable
//! working loose before it lets go.

use std::collections::BTreeSet;

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{Fact, MultipathMap, MultipathPath, PATH_ACTIVE, PathGroup, bytes_text};

fn is_active(p: &MultipathPath) -> bool {
    p.state.known().is_some_and(|s| s == PATH_ACTIVE)
}

fn active_paths(paths: &[MultipathPath]) -> Vec<&MultipathPath> {
    paths.iter().filter(|p| is_active(p)).collect()
}

/// The active paths whose state is known on both sides.
fn surely_active<'a>(
    paths: &'a [MultipathPath],
    other: &[MultipathPath],
) -> Vec<&'a MultipathPath> {
    active_paths(paths)
        .into_iter()
        .filter(|p| !uncertain(p, other))
        .collect()
}

/// Whether a path on both sides has a state unknown on one of them: it
/// cannot be told to have left or joined the active ones, and is said on
/// its own, as read on one side only.
fn uncertain(p: &MultipathPath, other: &[MultipathPath]) -> bool {
    other
        .iter()
        .find(|q| q.device == p.device)
        .is_some_and(|q| p.state.known().is_none() || q.state.known().is_none())
}

/// `2 of 4 active: sdg sdh`
fn active_text(paths: &[MultipathPath]) -> String {
    let active = active_paths(paths);
    let names: Vec<&str> = active.iter().map(|p| p.device.as_str()).collect();
    if names.is_empty() {
        format!("0 of {} active", paths.len())
    } else {
        format!(
            "{} of {} active: {}",
            names.len(),
            paths.len(),
            names.join(" ")
        )
    }
}

fn summary(m: &MultipathMap) -> String {
    let size = m.size_bytes.known().map_or("?".into(), |b| bytes_text(*b));
    match m.paths.known() {
        Some(paths) => format!("{size}, {}", active_text(paths)),
        None => size,
    }
}

/// The HBA a path runs through, for the reasons: `host3`.
fn hba(p: &MultipathPath) -> Option<&str> {
    match p.scsi_host.known() {
        Some(Some(h)) => Some(h.as_str()),
        _ => None,
    }
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "multipath maps",
        &ctx.before.storage.multipath,
        &ctx.after.storage.multipath,
    ) else {
        return;
    };
    // A device that could not be told on one side may be any map missing
    // there: such a map is not known to be gone, nor another to be new.
    let untold = |maps: &[MultipathMap]| {
        let names: Vec<&str> = maps
            .iter()
            .filter(|m| m.untold.is_some())
            .map(|m| m.name.as_str())
            .collect();
        names.join(", ")
    };
    let (untold_before, untold_after) = (untold(before), untold(after));
    let cannot_tell = |m: &MultipathMap| {
        m.untold.as_ref().map(|why| {
            (
                Severity::Warning,
                format!(
                    "a device-mapper device that could not be told: {}",
                    why.detail
                ),
            )
        })
    };
    Listed::<MultipathMap> {
        kind: "multipath",
        field: "map",
        same: |b, a| b.name == a.name,
        subject: &|m| m.name.clone(),
        value: |m| Value::known(summary(m)),
        gone: &|m| {
            Some(cannot_tell(m).unwrap_or_else(|| {
                if untold_after.is_empty() {
                    (
                        Severity::Critical,
                        "the map is gone: the LUN is no longer reachable through multipath, \
                         and what used it (a mount, a VM, a database) has lost it"
                            .into(),
                    )
                } else {
                    (
                        Severity::Warning,
                        format!(
                            "not found after, where {untold_after} could not be told: it may \
                             be this map"
                        ),
                    )
                }
            }))
        },
        new: &|m| {
            Some(cannot_tell(m).unwrap_or_else(|| {
                if untold_before.is_empty() {
                    (
                        Severity::Warning,
                        "a new map: a LUN was presented to the host".into(),
                    )
                } else {
                    (
                        Severity::Warning,
                        format!(
                            "not found before, where {untold_before} could not be told: it may \
                             have been this map"
                        ),
                    )
                }
            }))
        },
    }
    .compare(before, after, out, |at, b, a, out| one(ctx, at, b, a, out));
}

fn one(ctx: &Ctx, at: &At, b: &MultipathMap, a: &MultipathMap, out: &mut Vec<Change>) {
    at.fact(
        out,
        "wwid",
        &b.wwid,
        &a.wwid,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another LUN under this name: what mounts or uses the name reaches other data"
                    .into(),
            ))
        },
    );
    at.fact(
        out,
        "size",
        &b.size_bytes,
        &a.size_bytes,
        |v| bytes_text(*v),
        Severity::Warning,
        |_, _| Some((Severity::Warning, "the LUN was resized".into())),
    );
    at.fact(
        out,
        "suspended",
        &b.suspended,
        &a.suspended,
        bool::to_string,
        Severity::Warning,
        |_, y| {
            Some(if *y {
                (
                    Severity::Critical,
                    "the map is suspended: every I/O to the LUN waits until it is resumed".into(),
                )
            } else {
                (Severity::Warning, "the map was resumed".into())
            })
        },
    );
    at.fact(
        out,
        "queue_if_no_path",
        &b.queue_if_no_path,
        &a.queue_if_no_path,
        bool::to_string,
        Severity::Warning,
        |_, y| {
            Some((
                Severity::Warning,
                if *y {
                    "I/O now waits when every path has failed, instead of failing up to the file \
                     system"
                        .into()
                } else {
                    "I/O now fails up to the file system when every path has failed".into()
                },
            ))
        },
    );
    at.fact(
        out,
        "hardware handler",
        &b.hardware_handler,
        &a.hardware_handler,
        |h| h.clone().unwrap_or_else(|| "none".into()),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another hardware handler: path groups fail over another way".into(),
            ))
        },
    );
    status(at, b, a, out);
    // Groups are known only with the status line: one side without it is
    // said once, by `status`.
    if let (Fact::Known(x), Fact::Known(y)) = (&b.groups, &a.groups) {
        let (x, y) = (active_group(x), active_group(y));
        if x != y {
            let text = |g: Option<u32>| g.map_or("none".into(), |n| n.to_string());
            at.push(
                out,
                Severity::Warning,
                "active group",
                Value::known(text(x)),
                Value::known(text(y)),
                match y {
                    Some(n) => format!(
                        "I/O moved to path group {n}: a failover, the array moved the LUN to \
                         another controller or the group's paths failed"
                    ),
                    None => "no path group is active".into(),
                },
            );
        }
    }
    let (Fact::Known(bp), Fact::Known(ap)) = (&b.paths, &a.paths) else {
        at.fact(
            out,
            "paths",
            &b.paths,
            &a.paths,
            |p| active_text(p),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    let said = active(at, bp, ap, out);
    // The queue filling when the last path went is said with the paths.
    let no_path_left = said && active_paths(ap).is_empty();
    if !no_path_left {
        at.fact(
            out,
            "queueing",
            &b.queueing,
            &a.queueing,
            bool::to_string,
            Severity::Warning,
            |_, y| {
                Some(if *y {
                    (
                        Severity::Critical,
                        "the map is queueing I/O: no path takes it, and its users hang".into(),
                    )
                } else {
                    (Severity::Warning, "the map stopped queueing I/O".into())
                })
            },
        );
    }
    paths(ctx, at, bp, ap, out);
}

fn active_group(groups: &[PathGroup]) -> Option<u32> {
    groups
        .iter()
        .find(|g| g.state == PATH_ACTIVE)
        .map(|g| g.number)
}

/// The status line read on one side only: path states then come from the
/// SCSI devices on the other, which cannot show a path the multipath
/// checker failed. A status text that changed is said path by path.
fn status(at: &At, b: &MultipathMap, a: &MultipathMap, out: &mut Vec<Change>) {
    let (side, m) = match (&b.status, &a.status) {
        (Fact::Unknown(m), Fact::Known(_)) => ("before", m),
        (Fact::Known(_), Fact::Unknown(m)) => ("after", m),
        _ => return,
    };
    at.push(
        out,
        Severity::Warning,
        "status",
        Value::of(&b.status, |_| "read".into()),
        Value::of(&a.status, |_| "read".into()),
        format!(
            "the multipath status could not be read {side} ({}): path states there come from \
             the SCSI devices, which miss a path the multipath checker failed",
            m.reason
        ),
    );
}

/// One row for the active paths when they changed: how many, which left
/// and how, and what is left to carry the LUN. Returns whether it said so.
fn active(at: &At, bp: &[MultipathPath], ap: &[MultipathPath], out: &mut Vec<Change>) -> bool {
    let names =
        |v: &[&MultipathPath]| -> BTreeSet<String> { v.iter().map(|p| p.device.clone()).collect() };
    let (was, now) = (surely_active(bp, ap), surely_active(ap, bp));
    let (was_names, now_names) = (names(&was), names(&now));
    if was_names == now_names {
        return false;
    }
    let lost: Vec<String> = was
        .iter()
        .filter(|p| !now_names.contains(&p.device))
        .map(|p| {
            let how = match ap.iter().find(|q| q.device == p.device) {
                None => "is gone".to_owned(),
                Some(q) => q.state.known().cloned().unwrap_or_default(),
            };
            match hba(p) {
                Some(h) => format!("{} ({h}) {how}", p.device),
                None => format!("{} {how}", p.device),
            }
        })
        .collect();
    let gained: Vec<&str> = now
        .iter()
        .filter(|p| !was_names.contains(&p.device))
        .map(|p| p.device.as_str())
        .collect();
    let hbas: BTreeSet<&str> = now.iter().filter_map(|p| hba(p)).collect();
    let (severity, why) = if now.len() < was.len() {
        let left = match (now.len(), hbas.len()) {
            (0, _) => "no active path is left: I/O to the LUN queues or fails".to_owned(),
            (n, 1) => format!(
                "the LUN runs on {n} of the {} paths it had, all through {}: one cable or HBA \
                 from going offline",
                was.len(),
                hbas.iter().next().copied().unwrap_or("one HBA")
            ),
            (n, _) => format!(
                "the LUN runs on {n} of the {} paths it had: less bandwidth, and less \
                 redundancy",
                was.len()
            ),
        };
        (Severity::Critical, format!("{}: {left}", lost.join(", ")))
    } else {
        let mut what = Vec::new();
        if !gained.is_empty() {
            what.push(format!("{} active now", gained.join(" ")));
        }
        if !lost.is_empty() {
            what.push(lost.join(", "));
        }
        (
            Severity::Warning,
            format!(
                "{}: the LUN runs on {} active paths",
                what.join("; "),
                now.len()
            ),
        )
    };
    at.push(
        out,
        severity,
        "active paths",
        Value::known(active_text(bp)),
        Value::known(active_text(ap)),
        why,
    );
    true
}

/// What the active-paths row does not say about each path: a failed path
/// removed or added, a fail count that grew beyond the failure seen, a
/// SCSI device state that changed under a path the target still counts.
fn paths(ctx: &Ctx, at: &At, bp: &[MultipathPath], ap: &[MultipathPath], out: &mut Vec<Change>) {
    // An active path that left or joined is said by the active-paths row.
    Listed::<MultipathPath> {
        kind: "multipath",
        field: "path",
        same: |p, q| p.device == q.device,
        subject: &|p| format!("{} path {}", at.subject, p.device),
        value: |p| Value::known(p.state.known().cloned().unwrap_or_else(|| "?".into())),
        gone: &|p| {
            (!is_active(p)).then(|| {
                (
                    Severity::Warning,
                    "the path was removed from the map (its device went away, or the map was \
                     reloaded without it)"
                        .into(),
                )
            })
        },
        new: &|q| (!is_active(q)).then(|| (Severity::Warning, "a new path, not active".into())),
    }
    .compare(bp, ap, out, |pat, p, q, out| {
        let flipped = !uncertain(p, ap) && is_active(p) != is_active(q);
        if !flipped {
            pat.fact(
                out,
                "state",
                &p.state,
                &q.state,
                String::clone,
                Severity::Warning,
                |_, _| Some((Severity::Warning, "the path's state changed".into())),
            );
            pat.fact(
                out,
                "scsi state",
                &p.scsi_state,
                &q.scsi_state,
                |s| s.clone().unwrap_or_else(|| "-".into()),
                Severity::Warning,
                |_, y| {
                    Some((
                        Severity::Warning,
                        format!(
                            "the path's SCSI device is {} now",
                            y.as_deref().unwrap_or("gone")
                        ),
                    ))
                },
            );
        }
        // A path that failed counted that failure: a count beyond it is
        // failing and recovering in between.
        let failed_once = u64::from(is_active(p) && !is_active(q));
        pat.counter(
            ctx,
            out,
            "fail count",
            &p.fail_count,
            &q.fail_count,
            failed_once,
            |n| {
                format!(
                    "the multipath target failed the path {n} times during the window: it \
                     fails and recovers, a loose cable or a flapping port"
                )
            },
        );
        pat.fact(
            out,
            "hba",
            &p.scsi_host,
            &q.scsi_host,
            |h| h.clone().unwrap_or_else(|| "-".into()),
            Severity::Warning,
            |_, _| {
                Some((
                    Severity::Warning,
                    "the path runs through another HBA port".into(),
                ))
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::{Missing, Reason};

    fn map<'a>(s: &'a mut crate::snapshot::Snapshot, name: &str) -> &'a mut MultipathMap {
        let Fact::Known(maps) = &mut s.storage.multipath else {
            panic!("maps unknown")
        };
        maps.iter_mut()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no map {name}"))
    }

    fn path<'a>(m: &'a mut MultipathMap, device: &str) -> &'a mut MultipathPath {
        let Fact::Known(paths) = &mut m.paths else {
            panic!("paths unknown")
        };
        paths
            .iter_mut()
            .find(|p| p.device == device)
            .unwrap_or_else(|| panic!("no path {device}"))
    }

    fn fail(p: &mut MultipathPath) {
        p.state = Fact::Known("failed".into());
        p.fail_count = p.fail_count.clone().map(|n| n + 1);
        p.scsi_state = Fact::Known(Some("transport-offline".into()));
    }

    #[test]
    fn a_path_failing_is_one_critical_row_naming_it() {
        let b = san_healthy();
        let mut a = b.clone();
        fail(path(map(&mut a, "mpatha"), "sdh"));
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        let c = &changes[0];
        assert_eq!(
            (c.severity, c.kind, c.subject.as_str(), c.field.as_str()),
            (Severity::Critical, "multipath", "mpatha", "active paths")
        );
        assert_eq!(c.before, Value::known("2 of 2 active: sdg sdh"));
        assert_eq!(c.after, Value::known("1 of 2 active: sdg"));
        assert!(
            c.why.contains("sdh (host4) failed") && c.why.contains("all through host3"),
            "{}",
            c.why
        );
        // Back again (its fail count stays): a warning.
        let mut c = a.clone();
        let p = path(map(&mut c, "mpatha"), "sdh");
        p.state = Fact::Known(PATH_ACTIVE.into());
        p.scsi_state = Fact::Known(Some("running".into()));
        assert_eq!(
            rows(&a, &c),
            [row(Severity::Warning, "multipath mpatha", "active paths")]
        );
    }

    #[test]
    fn a_map_gone_is_critical_a_new_one_a_warning() {
        let b = san_healthy();
        let mut a = b.clone();
        if let Fact::Known(maps) = &mut a.storage.multipath {
            maps.retain(|m| m.name != "mpathb");
        }
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "multipath mpathb", "map")]
        );
        assert_eq!(
            rows(&a, &b),
            [row(Severity::Warning, "multipath mpathb", "map")]
        );
    }

    /// mpathb's device could not be told after (its name unread): mpathb is
    /// not known to be gone, only not found.
    #[test]
    fn a_map_not_found_beside_a_device_that_could_not_be_told_is_no_map_gone() {
        let b = san_healthy();
        let mut a = b.clone();
        let m = map(&mut a, "mpathb");
        let why = Missing::new(
            Reason::Failed,
            "dm-1 is a multipath map whose name could not be read",
        );
        let dm = m.dm.clone().unwrap();
        *m = MultipathMap {
            name: dm.clone(),
            untold: Some(why),
            ..m.clone()
        };
        let untold = format!("multipath {dm}");
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "multipath mpathb", "map"),
                row(Severity::Warning, &untold, "map")
            ]
        );
        assert_eq!(
            rows(&a, &b),
            [
                row(Severity::Warning, &untold, "map"),
                row(Severity::Warning, "multipath mpathb", "map")
            ]
        );
    }

    #[test]
    fn fail_counts_grown_beyond_a_failure_within_one_boot() {
        let b = san_healthy();
        let mut a = b.clone();
        path(map(&mut a, "mpathc"), "sdk").fail_count = Fact::Known(3);
        assert_eq!(
            rows(&b, &a),
            [row(
                Severity::Warning,
                "multipath mpathc path sdk",
                "fail count"
            )]
        );
        // A path that failed once took one count: said by the active paths.
        let mut c = b.clone();
        fail(path(map(&mut c, "mpathc"), "sdk"));
        assert_eq!(
            rows(&b, &c),
            [row(Severity::Critical, "multipath mpathc", "active paths")]
        );
        // Another boot: the map was loaded again, its counts started again.
        reboot(&mut a);
        assert_eq!(rows(&b, &a), rebooted_rows());
    }

    #[test]
    fn the_last_path_gone_says_the_queue_once() {
        let b = san_healthy();
        let mut a = b.clone();
        let m = map(&mut a, "mpatha");
        fail(path(m, "sdg"));
        fail(path(m, "sdh"));
        m.queueing = Fact::Known(true);
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert!(
            changes[0].why.contains("no active path is left"),
            "{}",
            changes[0].why
        );
    }

    #[test]
    fn a_path_state_read_on_one_side_only_is_a_warning_not_a_path_lost() {
        let b = san_healthy();
        let mut a = b.clone();
        path(map(&mut a, "mpathb"), "sdj").state =
            Fact::Unknown(Missing::new(Reason::Failed, "sdj: state unreadable"));
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "multipath mpathb path sdj", "state")]
        );
    }

    #[test]
    fn a_status_read_on_one_side_only_is_said() {
        let b = san_healthy();
        let mut a = b.clone();
        map(&mut a, "mpathb").status =
            Fact::Unknown(Missing::new(Reason::Permission, "DM_TABLE_STATUS: EACCES"));
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "multipath mpathb", "status")]
        );
    }

    #[test]
    fn an_unreadable_part_is_a_warning_a_part_never_captured_is_not_compared() {
        let b = san_healthy();
        let mut a = b.clone();
        a.storage.multipath = Fact::unknown(Reason::Permission, "/dev/mapper/control");
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "multipath maps", "multipath maps")]
        );
        let mut none = b.clone();
        none.storage.multipath = Fact::unknown(Reason::NotCaptured, "no sys/block");
        assert_eq!(rows(&none, &none), []);
    }
}
