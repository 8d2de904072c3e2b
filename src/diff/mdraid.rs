//! md RAID arrays: an array degraded, stopped or without a member is
//! redundancy lost; a resync or rebuild that started says the array is
//! being rewritten. Its progress moving is routine.

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{Fact, MdArray, MdMember, MdSync};

/// Array states in which it serves I/O as usual: it moves between them
/// with every write (`clean` to `active` and back).
const RUNNING: &[&str] = &[
    "clean",
    "active",
    "active-idle",
    "write-pending",
    "read-auto",
    "auto-read-only",
];

/// Flags of a member that is not (or not yet) carrying its slot: failed,
/// a spare or a replacement being rebuilt, a journal.
const NOT_WORKING: &[&str] = &["faulty", "spare", "replacement", "journal"];

fn working(m: &MdMember) -> bool {
    !m.state.iter().any(|f| NOT_WORKING.contains(&f.as_str()))
}

fn flags_text(m: &MdMember) -> String {
    if m.state.is_empty() {
        "in_sync".into()
    } else {
        m.state.join(",")
    }
}

fn sync_text(s: &Option<MdSync>) -> String {
    match s {
        None => "idle".into(),
        Some(MdSync {
            action,
            done_percent: Some(p),
        }) => format!("{action} {p:.1}% done"),
        Some(MdSync { action, .. }) => format!("{action}, not started"),
    }
}

fn summary(a: &MdArray) -> String {
    format!(
        "{}, {}",
        a.level.known().map_or("?", |l| l.as_str()),
        a.state.known().map_or("?", |s| s.as_str())
    )
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "md arrays",
        &ctx.before.storage.md,
        &ctx.after.storage.md,
    ) else {
        return;
    };
    Listed::<MdArray> {
        kind: "md",
        field: "array",
        same: |b, a| b.name == a.name,
        subject: &|a| a.name.clone(),
        value: |a| Value::known(summary(a)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the array is gone (stopped): the file systems on it are unreachable".into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new array was assembled".into())),
    }
    .compare(before, after, out, |at, b, a, out| one(ctx, at, b, a, out));
}

fn one(ctx: &Ctx, at: &At, b: &MdArray, a: &MdArray, out: &mut Vec<Change>) {
    at.fact(
        out,
        "level",
        &b.level,
        &a.level,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the array was converted to another RAID level".into(),
            ))
        },
    );
    at.fact(
        out,
        "raid disks",
        &b.raid_disks,
        &a.raid_disks,
        u32::to_string,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the array was reshaped to another number of members".into(),
            ))
        },
    );
    at.fact(
        out,
        "state",
        &b.state,
        &a.state,
        String::clone,
        Severity::Warning,
        |x, y| {
            let running = |s: &str| RUNNING.contains(&s);
            Some(match (running(x), running(y)) {
                (true, true) => (
                    Severity::Info,
                    "the array moves between these states with its writes".into(),
                ),
                (true, false) => (
                    Severity::Critical,
                    format!("the array is {y}: it no longer serves I/O, or no writes"),
                ),
                (false, true) => (Severity::Warning, "the array runs again".into()),
                (false, false) => (Severity::Warning, "the array's state changed".into()),
            })
        },
    );
    members(at, b, a, out);
    sync(at, &b.sync, &a.sync, out);
    // Set back to 0 when a check starts: only growth since is news.
    at.counter(
        ctx,
        out,
        "mismatch count",
        &b.mismatch_count,
        &a.mismatch_count,
        0,
        |n| {
            format!(
                "a check found {n} more sectors whose copies disagree: a disk returning bad \
                 data, or writes lost in a crash"
            )
        },
    );
}

/// The members, and the degraded count that follows them: one row for a
/// count that changed, naming the members that left or came back; a row
/// per member for the rest.
fn members(at: &At, b: &MdArray, a: &MdArray, out: &mut Vec<Change>) {
    let (Fact::Known(bm), Fact::Known(am)) = (&b.members, &a.members) else {
        degraded(at, b, a, &[], &[], out);
        at.fact(
            out,
            "members",
            &b.members,
            &a.members,
            |m| m.len().to_string(),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    let after_of = |m: &MdMember| am.iter().find(|n| n.device == m.device);
    let lost: Vec<String> = bm
        .iter()
        .filter(|m| working(m))
        .filter_map(|m| match after_of(m) {
            None => Some(format!("{} is gone", m.device)),
            Some(n) if !working(n) => Some(format!("{} is {}", m.device, flags_text(n))),
            Some(_) => None,
        })
        .collect();
    let back: Vec<String> = am
        .iter()
        .filter(|n| working(n))
        .filter(|n| !bm.iter().any(|m| m.device == n.device && working(m)))
        .map(|n| n.device.clone())
        .collect();
    let counted = degraded(at, b, a, &lost, &back, out);
    // A degraded count that changed named the working members that left or
    // joined: they are not said again.
    Listed::<MdMember> {
        kind: "md",
        field: "member",
        same: |m, n| m.device == n.device,
        subject: &|m| format!("{} member {}", at.subject, m.device),
        value: |m| Value::known(flags_text(m)),
        gone: &|m| match (working(m), counted) {
            (true, true) => None,
            (true, false) => Some((
                Severity::Critical,
                "the array lost the member: it runs with less redundancy".into(),
            )),
            (false, _) => Some((
                Severity::Warning,
                "a member that carried no slot (a spare, or failed) was removed".into(),
            )),
        },
        new: &|n| {
            (!(counted && working(n))).then(|| (Severity::Warning, "a member was added".into()))
        },
    }
    .compare(bm, am, out, |mat, m, n, out| {
        let flipped = working(m) != working(n);
        let said_with_degraded = flipped && counted;
        // sysfs and mdstat flag members differently: across them,
        // only a member leaving or joining its slot compares.
        let flags_changed = m.state != n.state && b.source == a.source;
        if said_with_degraded || !(flipped || flags_changed) {
            return;
        }
        let (severity, why) = if working(m) && !working(n) {
            (
                Severity::Critical,
                "the member no longer carries its slot: the array lost it",
            )
        } else if working(n) && !working(m) {
            (Severity::Warning, "the member carries its slot again")
        } else {
            (
                Severity::Warning,
                "the kernel's flags for the member changed",
            )
        };
        mat.push(
            out,
            severity,
            "member",
            Value::known(flags_text(m)),
            Value::known(flags_text(n)),
            why,
        );
    });
}

/// The degraded count, naming the members that left their slot (`lost`)
/// or came back to it (`back`); returns whether it changed.
fn degraded(
    at: &At,
    b: &MdArray,
    a: &MdArray,
    lost: &[String],
    back: &[String],
    out: &mut Vec<Change>,
) -> bool {
    let mut changed = false;
    at.fact(
        out,
        "degraded",
        &b.degraded,
        &a.degraded,
        |d| d.map_or("-".into(), |d| d.to_string()),
        Severity::Warning,
        |x, y| {
            changed = true;
            Some(degraded_change(*x, *y, lost, back, a))
        },
    );
    changed
}

fn degraded_change(
    before: Option<u32>,
    after: Option<u32>,
    lost: &[String],
    back: &[String],
    a: &MdArray,
) -> (Severity, String) {
    let slots = a
        .raid_disks
        .known()
        .map_or(String::new(), |n| format!(" of its {n}"));
    match (before, after) {
        (Some(x), Some(y)) if y > x => {
            let who = if lost.is_empty() {
                String::new()
            } else {
                format!("{}: ", lost.join(", "))
            };
            (
                Severity::Critical,
                format!(
                    "{who}the array is degraded, {y}{slots} slots without a working member: \
                     it runs with less redundancy, and a failure more can lose data"
                ),
            )
        }
        (Some(_), Some(0)) => (
            Severity::Warning,
            if back.is_empty() {
                "the array is whole again".into()
            } else {
                format!("the array is whole again: {} in sync", back.join(", "))
            },
        ),
        _ => (Severity::Warning, "the array's redundancy changed".into()),
    }
}

/// A resync, rebuild or reshape that started or ended matters; a check
/// (the scheduled scrub) and progress moving are routine.
fn sync(at: &At, b: &Fact<Option<MdSync>>, a: &Fact<Option<MdSync>>, out: &mut Vec<Change>) {
    at.fact(out, "sync", b, a, sync_text, Severity::Warning, |x, y| {
        let routine = |s: &MdSync| s.action == "check";
        Some(match (x, y) {
            (None, Some(s)) if routine(s) => (
                Severity::Info,
                "a consistency check started (the scheduled scrub)".into(),
            ),
            (None, Some(s)) => (Severity::Warning, started(&s.action)),
            (Some(s), None) if routine(s) => {
                (Severity::Info, "the consistency check finished".into())
            }
            (Some(s), None) => (Severity::Warning, format!("the {} finished", s.action)),
            (Some(s), Some(t)) if s.action == t.action => {
                (Severity::Info, format!("the {} moved on", s.action))
            }
            (Some(s), Some(t)) => (
                Severity::Warning,
                format!("the {} became a {}", s.action, t.action),
            ),
            (None, None) => return None,
        })
    });
}

fn started(action: &str) -> String {
    match action {
        "recover" => "a rebuild onto a spare started: the array is degraded until it ends, and \
                      its I/O is slower"
            .into(),
        "resync" => "a resync started (after an unclean shutdown, or a member added back): \
                     slower I/O until it ends"
            .into(),
        "reshape" => "a reshape started: slower I/O until it ends".into(),
        "repair" => "a repair started: a check found blocks that disagree".into(),
        other => format!("a {other} started"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Snapshot;

    fn array<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut MdArray {
        let Fact::Known(arrays) = &mut s.storage.md else {
            panic!("md unknown")
        };
        arrays
            .iter_mut()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no array {name}"))
    }

    #[test]
    fn a_rebuild_is_the_degraded_array_and_the_recovery_progress_is_routine() {
        let b = san_healthy();
        let mut a = b.clone();
        let md2 = array(&mut a, "md2");
        md2.degraded = Fact::Known(Some(1));
        md2.state = Fact::Known("active".into());
        md2.sync = Fact::Known(Some(MdSync {
            action: "recover".into(),
            done_percent: Some(26.1),
        }));
        if let Fact::Known(m) = &mut md2.members {
            m[3].state = vec!["spare".into()];
        }
        let changes = super::super::compare(&b, &a);
        assert_eq!(
            fields(&changes),
            [
                (Severity::Critical, "degraded"),
                (Severity::Warning, "sync"),
                (Severity::Info, "state"),
            ]
        );
        assert!(
            changes[0]
                .why
                .starts_with("sdf is spare: the array is degraded, 1 of its 4"),
            "{}",
            changes[0].why
        );
        let mut c = a.clone();
        if let Fact::Known(Some(s)) = &mut array(&mut c, "md2").sync {
            s.done_percent = Some(80.0);
        }
        assert_eq!(rows(&a, &c), [row(Severity::Info, "md md2", "sync")]);
    }

    #[test]
    fn mismatches_a_check_found_are_a_warning() {
        let b = san_healthy();
        let mut a = b.clone();
        array(&mut a, "md2").mismatch_count = Fact::Known(128);
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "md md2", "mismatch count")]
        );
        // The next check set it back to 0.
        assert_eq!(
            rows(&a, &b),
            [row(Severity::Info, "md md2", "mismatch count")]
        );
    }

    #[test]
    fn an_array_stopped_or_a_member_lost_is_critical() {
        let b = san_healthy();
        let mut a = b.clone();
        array(&mut a, "md0").state = Fact::Known("inactive".into());
        if let Fact::Known(m) = &mut array(&mut a, "md1").members {
            m[0].state = vec!["faulty".into()];
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "md md0", "state"),
                row(Severity::Critical, "md md1 member sda2", "member"),
            ]
        );
    }
}
