//! NVMe subsystems: each controller is a path to the array, and each
//! namespace should keep an optimized (ANA) path; a controller that is no
//! longer live, or a namespace left on non-optimized paths, is a path lost.

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{Fact, NvmeController, NvmeNamespace, NvmePath, NvmeSubsystem, bytes_text};

const LIVE: &str = "live";
const OPTIMIZED: &str = "optimized";

fn ana_text(a: &Option<String>) -> String {
    a.clone().unwrap_or_else(|| "no ANA".into())
}

fn is_optimized(p: &NvmePath) -> bool {
    matches!(p.ana_state.known(), Some(Some(s)) if s == OPTIMIZED)
}

fn summary(s: &NvmeSubsystem) -> String {
    let model = s.model.known().map_or("?", |m| m.as_str());
    match s.controllers.known() {
        Some(c) => {
            let live = c
                .iter()
                .filter(|c| c.state.known().is_some_and(|s| s == LIVE))
                .count();
            format!("{model}, {live} of {} controllers live", c.len())
        }
        None => model.to_owned(),
    }
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "nvme subsystems",
        &ctx.before.storage.nvme,
        &ctx.after.storage.nvme,
    ) else {
        return;
    };
    Listed::<NvmeSubsystem> {
        kind: "nvme",
        field: "subsystem",
        same: |b, a| b.name == a.name,
        subject: &|s| s.name.clone(),
        value: |s| Value::known(summary(s)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the subsystem is gone: its namespaces are unreachable".into(),
            ))
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a new subsystem: storage was connected".into(),
            ))
        },
    }
    .compare(before, after, out, one);
}

fn one(at: &At, b: &NvmeSubsystem, a: &NvmeSubsystem, out: &mut Vec<Change>) {
    at.fact(
        out,
        "nqn",
        &b.nqn,
        &a.nqn,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another subsystem under this name: the kernel numbered them anew".into(),
            ))
        },
    );
    at.fact(
        out,
        "iopolicy",
        &b.iopolicy,
        &a.iopolicy,
        |p| p.clone().unwrap_or_else(|| "none".into()),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "native multipath spreads I/O over the controllers another way".into(),
            ))
        },
    );
    let gone_controllers = controllers(at, &b.controllers, &a.controllers, out);
    let (Fact::Known(bn), Fact::Known(an)) = (&b.namespaces, &a.namespaces) else {
        at.fact(
            out,
            "namespaces",
            &b.namespaces,
            &a.namespaces,
            |n| n.len().to_string(),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    Listed::<NvmeNamespace> {
        kind: "nvme",
        field: "namespace",
        same: |n, m| n.name == m.name,
        subject: &|n| format!("{} namespace {}", at.subject, n.name),
        value: |n| Value::known(format!("nsid {}", n.nsid)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the namespace is gone: what used it has lost it".into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new namespace".into())),
    }
    .compare(bn, an, out, |nat, n, m, out| {
        namespace(nat, n, m, &gone_controllers, a, out)
    });
}

/// The controllers, each a path; returns the names of those gone, whose
/// namespace paths went with them and are not said again.
fn controllers(
    at: &At,
    b: &Fact<Vec<NvmeController>>,
    a: &Fact<Vec<NvmeController>>,
    out: &mut Vec<Change>,
) -> Vec<String> {
    let (Fact::Known(bc), Fact::Known(ac)) = (b, a) else {
        at.fact(
            out,
            "controllers",
            b,
            a,
            |c| c.len().to_string(),
            Severity::Warning,
            |_, _| None,
        );
        return Vec::new();
    };
    Listed::<NvmeController> {
        kind: "nvme",
        field: "controller",
        same: |c, d| c.name == d.name,
        subject: &|c| format!("{} controller {}", at.subject, c.name),
        value: |c| Value::of(&c.state, String::clone),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the controller is gone: the paths through it are lost, and the namespaces \
                 run on fewer"
                    .into(),
            ))
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a new controller: another path to the array".into(),
            ))
        },
    }
    .compare(bc, ac, out, |cat, c, d, out| {
        cat.fact(
            out,
            "state",
            &c.state,
            &d.state,
            String::clone,
            Severity::Warning,
            |x, y| {
                Some(if x == LIVE {
                    (
                        Severity::Critical,
                        format!(
                            "the controller is {y}: the paths through it carry no I/O (a \
                             fabric link, port or cable fault)"
                        ),
                    )
                } else if y == LIVE {
                    (Severity::Warning, "the controller is live again".into())
                } else {
                    (Severity::Warning, "the controller's state changed".into())
                })
            },
        );
        for (field, x, y) in [
            ("transport", &c.transport, &d.transport),
            ("address", &c.address, &d.address),
        ] {
            cat.fact(
                out,
                field,
                x,
                y,
                String::clone,
                Severity::Warning,
                |_, _| {
                    Some((
                        Severity::Warning,
                        "the controller reaches the array another way".into(),
                    ))
                },
            );
        }
        cat.fact(
            out,
            "firmware",
            &c.firmware_rev,
            &d.firmware_rev,
            String::clone,
            Severity::Warning,
            |_, _| {
                Some((
                    Severity::Warning,
                    "the controller runs other firmware: an update, or another device under \
                     this name"
                        .into(),
                ))
            },
        );
    });
    bc.iter()
        .filter(|c| !ac.iter().any(|d| d.name == c.name))
        .map(|c| c.name.clone())
        .collect()
}

/// A path counts as optimized where its ANA state says so and its
/// controller is not known to be down.
fn optimized_left(n: &NvmeNamespace, s: &NvmeSubsystem) -> usize {
    let down = |controller: &str| {
        s.controllers.known().is_some_and(|cs| {
            cs.iter()
                .any(|c| c.name == controller && c.state.known().is_some_and(|state| state != LIVE))
        })
    };
    n.paths
        .iter()
        .filter(|p| is_optimized(p) && !down(&p.controller))
        .count()
}

fn namespace(
    at: &At,
    n: &NvmeNamespace,
    m: &NvmeNamespace,
    gone_controllers: &[String],
    after: &NvmeSubsystem,
    out: &mut Vec<Change>,
) {
    at.fact(
        out,
        "size",
        &n.size_bytes,
        &m.size_bytes,
        |b| bytes_text(*b),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the namespace has another size: resized on the array, or another one under \
                 this name"
                    .into(),
            ))
        },
    );
    let optimized_after = optimized_left(m, after);
    Listed::<NvmePath> {
        kind: "nvme",
        field: "path",
        same: |p, q| p.name == q.name,
        subject: &|p| format!("{} path {}", at.subject, p.name),
        value: |p| Value::of(&p.ana_state, ana_text),
        gone: &|p| {
            (!gone_controllers.contains(&p.controller)).then(|| {
                (
                    Severity::Warning,
                    format!(
                        "the path through {} is gone: the namespace runs on fewer",
                        p.controller
                    ),
                )
            })
        },
        new: &|q| {
            Some((
                Severity::Warning,
                format!("a new path, through {}", q.controller),
            ))
        },
    }
    .compare(&n.paths, &m.paths, out, |pat, p, q, out| {
        pat.fact(
            out,
            "ana state",
            &p.ana_state,
            &q.ana_state,
            ana_text,
            Severity::Warning,
            |x, y| {
                let was_optimized = x.as_deref() == Some(OPTIMIZED);
                Some(if was_optimized && optimized_after == 0 {
                    (
                        Severity::Critical,
                        format!(
                            "no optimized path to {} is left: I/O goes the slow way, through \
                             a non-optimized controller, or not at all",
                            n.name
                        ),
                    )
                } else if was_optimized {
                    (
                        Severity::Warning,
                        "the path is no longer optimized: another one carries the I/O".into(),
                    )
                } else if y.as_deref() == Some(OPTIMIZED) {
                    (Severity::Warning, "the path is optimized now".into())
                } else {
                    (Severity::Warning, "the path's ANA state changed".into())
                })
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Snapshot;

    fn subsystem(s: &mut Snapshot) -> &mut NvmeSubsystem {
        let Fact::Known(subs) = &mut s.storage.nvme else {
            panic!("nvme unknown")
        };
        &mut subs[0]
    }

    fn ana(s: &mut Snapshot, path: &str, state: &str) {
        let Fact::Known(ns) = &mut subsystem(s).namespaces else {
            panic!("namespaces unknown")
        };
        for p in ns.iter_mut().flat_map(|n| n.paths.iter_mut()) {
            if p.name == path {
                p.ana_state = Fact::Known(Some(state.into()));
            }
        }
    }

    #[test]
    fn no_optimized_path_left_is_critical_a_failover_a_warning() {
        let b = san_healthy();
        let mut a = b.clone();
        ana(&mut a, "nvme0c0n1", "inaccessible");
        assert_eq!(
            rows(&b, &a),
            [row(
                Severity::Critical,
                "nvme nvme-subsys0 namespace nvme0n1 path nvme0c0n1",
                "ana state"
            )]
        );
        // The other path took over: an ANA failover.
        ana(&mut a, "nvme0c1n1", "optimized");
        assert_eq!(
            rows(&b, &a),
            [
                row(
                    Severity::Warning,
                    "nvme nvme-subsys0 namespace nvme0n1 path nvme0c0n1",
                    "ana state"
                ),
                row(
                    Severity::Warning,
                    "nvme nvme-subsys0 namespace nvme0n1 path nvme0c1n1",
                    "ana state"
                ),
            ]
        );
    }

    #[test]
    fn a_controller_not_live_or_gone_is_critical() {
        let b = san_healthy();
        let mut a = b.clone();
        if let Fact::Known(cs) = &mut subsystem(&mut a).controllers {
            cs[1].state = Fact::Known("connecting".into());
        }
        assert_eq!(
            rows(&b, &a),
            [row(
                Severity::Critical,
                "nvme nvme-subsys0 controller nvme1",
                "state"
            )]
        );
        // Gone, with its path: said once, by the controller.
        let mut c = b.clone();
        let s = subsystem(&mut c);
        if let Fact::Known(cs) = &mut s.controllers {
            cs.retain(|c| c.name != "nvme1");
        }
        if let Fact::Known(ns) = &mut s.namespaces {
            ns[0].paths.retain(|p| p.controller != "nvme1");
        }
        assert_eq!(
            rows(&b, &c),
            [row(
                Severity::Critical,
                "nvme nvme-subsys0 controller nvme1",
                "controller"
            )]
        );
    }
}
