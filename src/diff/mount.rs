//! Mounts: a file system gone, another one in its place, or remounted
//! read-only (what a file system does after I/O errors); and, for the
//! mount points a policy probes, a mount that stopped answering.
//!
//! The kernel's own mounts (proc, sysfs, tmpfs, cgroup, nsfs...) come and
//! go with logins, containers and network namespaces: routine. Files a
//! policy asks about are not compared: a capture holds none (`capture`
//! takes no policy), and a file's content changing is its application at
//! work, not a change of the host's hardware or paths.

use std::collections::BTreeSet;

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::check::mount::effective;
use crate::snapshot::{Fact, Mount, MountProbe, ProbeAnswer, Reason};
use crate::source::probe::limit_text;

fn summary(m: &Mount) -> String {
    format!("{} {}", m.source, m.fstype)
}

/// `rw` or `ro`, as the options say.
fn access(m: &Mount) -> &'static str {
    if m.has_option("ro") { "ro" } else { "rw" }
}

/// The options but the access mode, which is compared on its own.
fn other_options(m: &Mount) -> BTreeSet<&str> {
    m.options
        .iter()
        .map(String::as_str)
        .filter(|o| *o != "ro" && *o != "rw")
        .collect()
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "mounts",
        &ctx.before.storage.mounts,
        &ctx.after.storage.mounts,
    ) else {
        return;
    };
    let (before, after) = (effective(before), effective(after));
    // The kernel's own mounts come and go with what runs: routine.
    Listed::<&Mount> {
        kind: "mount",
        field: "mount",
        same: |b, a| b.mountpoint == a.mountpoint,
        subject: &|m| m.mountpoint.clone(),
        value: |m| Value::known(summary(m)),
        gone: &|m| {
            Some(if m.holds_data() {
                (
                    Severity::Critical,
                    "the file system is no longer mounted here: its users fail, or write to the \
                     directory underneath"
                        .into(),
                )
            } else {
                (
                    Severity::Info,
                    "one of the kernel's own mounts went away".into(),
                )
            })
        },
        new: &|m| {
            Some(if m.holds_data() {
                (Severity::Warning, "a file system was mounted here".into())
            } else {
                (
                    Severity::Info,
                    "one of the kernel's own mounts appeared".into(),
                )
            })
        },
    }
    .compare(&before, &after, out, |at, b, a, out| {
        one(at, b, a, out);
        probe(
            at,
            probe_of(&ctx.before.storage.mount_probes, &b.mountpoint),
            probe_of(&ctx.after.storage.mount_probes, &a.mountpoint),
            out,
        );
    });
}

fn one(at: &At, b: &Mount, a: &Mount, out: &mut Vec<Change>) {
    let data = b.holds_data() || a.holds_data();
    // The kernel's own mounts change with what runs: only routine.
    let matters = |severity: Severity| if data { severity } else { Severity::Info };
    if b.source != a.source {
        at.push(
            out,
            matters(Severity::Warning),
            "source",
            Value::known(b.source.clone()),
            Value::known(a.source.clone()),
            "another device or export is mounted here: check that it is the one meant (not a \
             single path of a multipath LUN, not another server)",
        );
    }
    if b.fstype != a.fstype {
        at.push(
            out,
            matters(Severity::Warning),
            "type",
            Value::known(b.fstype.clone()),
            Value::known(a.fstype.clone()),
            "another kind of file system is mounted here",
        );
    }
    let (x, y) = (access(b), access(a));
    if x != y {
        let (severity, why) = if y == "ro" {
            (
                Severity::Critical,
                "the file system is read-only now: remounted after I/O errors (or by hand), and \
                 every write to it fails",
            )
        } else {
            (Severity::Warning, "the file system is writable again")
        };
        at.push(
            out,
            matters(severity),
            "access",
            Value::known(x),
            Value::known(y),
            why,
        );
    }
    let (xo, yo) = (other_options(b), other_options(a));
    if xo != yo {
        let mut what: Vec<String> = yo.difference(&xo).map(|o| format!("+{o}")).collect();
        what.extend(xo.difference(&yo).map(|o| format!("-{o}")));
        at.push(
            out,
            matters(Severity::Warning),
            "options",
            Value::known(b.options.join(",")),
            Value::known(a.options.join(",")),
            format!("mounted with other options: {}", what.join(" ")),
        );
    }
}

fn probe_of<'a>(probes: &'a [MountProbe], mountpoint: &str) -> Option<&'a MountProbe> {
    probes.iter().find(|p| p.mountpoint == mountpoint)
}

/// The time an answer took is left out: it differs from run to run, and
/// says something only when it changed a lot (then the reason gives it).
fn answer_text(a: &ProbeAnswer) -> String {
    match &a.error {
        None => "answered".into(),
        Some(e) => format!("error: {e}"),
    }
}

/// Whether the mount point answered, on both sides a policy had it
/// probed. A side that holds no answer (a capture keeps none) is not
/// compared; the time an answer took is routine.
fn probe(at: &At, b: Option<&MountProbe>, a: Option<&MountProbe>, out: &mut Vec<Change>) {
    let (Some(b), Some(a)) = (b, a) else {
        return;
    };
    let not_captured =
        |f: &Fact<ProbeAnswer>| f.missing().is_some_and(|m| m.reason == Reason::NotCaptured);
    if not_captured(&b.answer) || not_captured(&a.answer) {
        return;
    }
    let timed_out =
        |f: &Fact<ProbeAnswer>| f.missing().is_some_and(|m| m.reason == Reason::Timeout);
    let answered_well = |f: &Fact<ProbeAnswer>| f.known().is_some_and(|x| x.error.is_none());
    let (severity, why) = match (&b.answer, &a.answer) {
        (Fact::Known(x), Fact::Known(y)) if x.error == y.error => {
            // Milliseconds of jitter are no change at all; an answer
            // several times slower (or faster) is routine still: the
            // policy's limit judges it.
            let (fast, slow) = (
                x.elapsed_ms.min(y.elapsed_ms),
                x.elapsed_ms.max(y.elapsed_ms),
            );
            if slow - fast < 100 || slow < 2 * fast {
                return;
            }
            (
                Severity::Info,
                format!(
                    "the mount point answers {}: in {} ms, {} ms before",
                    if y.elapsed_ms > x.elapsed_ms {
                        "slower"
                    } else {
                        "faster"
                    },
                    y.elapsed_ms,
                    x.elapsed_ms
                ),
            )
        }
        (before, after) if answered_well(before) && timed_out(after) => (
            Severity::Critical,
            format!(
                "the mount point stopped answering within {}: processes touching it hang (a \
                 server gone, a LUN without a path)",
                limit_text(std::time::Duration::from_millis(a.limit_ms))
            ),
        ),
        (before, Fact::Known(y)) if answered_well(before) => (
            Severity::Critical,
            format!(
                "the mount point answers with an error now: {}",
                y.error.as_deref().unwrap_or("?")
            ),
        ),
        (_, after) if answered_well(after) => (
            Severity::Warning,
            "the mount point answers again".to_owned(),
        ),
        (Fact::Unknown(_), Fact::Unknown(_)) => return,
        _ => (
            Severity::Warning,
            "the mount point answers another way".to_owned(),
        ),
    };
    at.push(
        out,
        severity,
        "answers",
        Value::of(&b.answer, answer_text),
        Value::of(&a.answer, answer_text),
        why,
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Snapshot;

    fn mounts(s: &mut Snapshot) -> &mut Vec<Mount> {
        let Fact::Known(m) = &mut s.storage.mounts else {
            panic!("mounts unknown")
        };
        m
    }

    #[test]
    fn a_data_mount_gone_or_read_only_is_critical_the_kernels_are_routine() {
        let b = san_healthy();
        let mut a = b.clone();
        let m = mounts(&mut a);
        m.retain(|m| m.mountpoint != "/srv/vm" && m.mountpoint != "/dev/shm");
        for x in m.iter_mut().filter(|m| m.mountpoint == "/srv/clusterconf") {
            x.options[0] = "ro".into();
        }
        for x in m.iter_mut().filter(|m| m.mountpoint == "/srv/shared") {
            x.options.retain(|o| o != "hard");
            x.options.push("soft".into());
        }
        m.push(Mount {
            source: "nsfs".into(),
            mountpoint: "/run/netns/x".into(),
            fstype: "nsfs".into(),
            options: vec!["rw".into()],
        });
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "mount /srv/clusterconf", "access"),
                row(Severity::Critical, "mount /srv/vm", "mount"),
                row(Severity::Warning, "mount /srv/shared", "options"),
                row(Severity::Info, "mount /dev/shm", "mount"),
                row(Severity::Info, "mount /run/netns/x", "mount"),
            ]
        );
    }

    #[test]
    fn another_source_mounted_over_is_the_one_compared() {
        let b = san_healthy();
        let mut a = b.clone();
        mounts(&mut a).push(Mount {
            source: "/dev/sdg".into(),
            mountpoint: "/srv/clusterconf".into(),
            fstype: "xfs".into(),
            options: vec!["rw".into()],
        });
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "mount /srv/clusterconf", "source"),
                row(Severity::Warning, "mount /srv/clusterconf", "options"),
            ]
        );
    }

    #[test]
    fn a_mount_point_that_stopped_answering_is_critical_slower_answers_are_routine() {
        let probe = |answer: Fact<ProbeAnswer>| MountProbe {
            mountpoint: "/srv/shared".into(),
            limit_ms: 2000,
            answer,
        };
        let fine = |ms| {
            Fact::Known(ProbeAnswer {
                elapsed_ms: ms,
                error: None,
            })
        };
        let mut b = san_healthy();
        b.storage.mount_probes = vec![probe(fine(1))];
        let mut a = b.clone();
        a.storage.mount_probes = vec![probe(Fact::unknown(Reason::Timeout, "no answer"))];
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "mount /srv/shared", "answers")]
        );
        assert_eq!(
            rows(&a, &b),
            [row(Severity::Warning, "mount /srv/shared", "answers")]
        );
        a.storage.mount_probes = vec![probe(fine(7))];
        assert_eq!(rows(&b, &a), []);
        a.storage.mount_probes = vec![probe(fine(900))];
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Info, "mount /srv/shared", "answers")]
        );
        // A capture keeps no answer: nothing to compare.
        a.storage.mount_probes = vec![probe(Fact::unknown(Reason::NotCaptured, "no srv/shared"))];
        assert_eq!(rows(&b, &a), []);
    }
}
