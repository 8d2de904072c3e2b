//! `mount`: a file system mounted where expected, of the expected type and
//! source, with the options it needs, and answering within a time limit.

use std::collections::HashMap;
use std::time::Duration;

use super::select::{Each, Select};
use super::{FieldDoc, Judgement, KindDoc, finding};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean, string};
use crate::policy::matcher::{Text, open_word, time_limit};
use crate::policy::yaml::{Node, Value};
use crate::snapshot::values::MOUNT_OPTIONS;
use crate::snapshot::{Fact, Missing, Mount, MountProbe, Reason, Snapshot};
use crate::source::probe::limit_text;

pub const DOC: KindDoc = KindDoc {
    name: "mount",
    summary: "mounts: present, type, source, options, answering within a time limit",
    what: "Selects mounts by mount point (from /proc/mounts; the last mount on a point is the \
           one in use) and checks the file system type, the source, options that must be \
           there or must not, and whether the mount point answers: an open, fstat, fstatfs \
           and a directory read, run where a hung mount cannot stop the audit. No mount at a \
           plain path fails: the file system is not mounted.",
    why: "Shared configuration on a LUN or an NFS export is the last thing to notice a storage \
          fault: a mount that went read-only after I/O errors, a hard NFS mount whose server \
          is gone (every process touching it hangs), a soft one that returns errors to \
          applications. The probe tells a hung mount from a slow one without hanging itself.",
    fields: &[
        FieldDoc {
            name: "path",
            doc: "the mount point (text matcher): /srv/shared, \"/srv/*\"",
        },
        FieldDoc {
            name: "expect.type",
            doc: "the file system type: xfs, ext4, nfs4 (text matcher)",
        },
        FieldDoc {
            name: "expect.source",
            doc: "what is mounted: /dev/mapper/mpatha, nfs01:/export (text matcher)",
        },
        FieldDoc {
            name: "expect.options",
            doc: "options that must all be present: [rw, hard] (`vers` matches `vers=4.2`)",
        },
        FieldDoc {
            name: "expect.not_options",
            doc: "options that must all be absent: [ro, soft]",
        },
        FieldDoc {
            name: "expect.responsive",
            doc: "true (within 5s), or `{ within: 2s }`: the mount point answers in time; one that does not is UNKNOWN (timeout), and the audit goes on",
        },
    ],
    example: r#"- id: shared-config-mounted
  description: The cluster's shared configuration is mounted read-write and answers.
  mount:
    path: /srv/clusterconf
    expect:
      type: xfs
      options: [rw]
      responsive: { within: 2s }"#,
    default_severity: Severity::Critical,
};

/// How long a mount point may take to answer when the policy gives no
/// limit: longer than a loaded NFS server takes, shorter than a scheduler's
/// patience.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub enum Expect {
    Type(Text),
    Source(Text),
    Options(Vec<String>),
    NotOptions(Vec<String>),
    Responsive(Duration),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub path: Text,
    pub select: Select,
    pub expect: Vec<Expect>,
}

impl Spec {
    pub fn responsive(&self) -> Option<Duration> {
        self.expect.iter().find_map(|e| match e {
            Expect::Responsive(d) => Some(*d),
            _ => None,
        })
    }
}

fn names(ctx: &mut Ctx, node: &Node, what: &str) -> Option<Vec<String>> {
    let Value::Seq(items) = &node.value else {
        ctx.error(
            node.pos,
            format!("expected a list of {what}, found {}", node.value.kind()),
        );
        return None;
    };
    let mut out = Vec::new();
    for item in items {
        let option = string(ctx, item, "an option")?;
        // `vers=4.2` names the option `vers`.
        let name = option.split_once('=').map_or(option.as_str(), |(k, _)| k);
        if !open_word(ctx, item, name, &MOUNT_OPTIONS) {
            return None;
        }
        out.push(option);
    }
    Some(out)
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a mount check", &["path", "expect"])?;
    let p = f.required(ctx, "path", "a mount check");
    let exp = f.required(ctx, "expect", "a mount check");
    let path = Text::parse(ctx, p?, "a mount point");
    let e = exp?;
    let x = Fields::new(
        ctx,
        e,
        "a mount expectation",
        &["type", "source", "options", "not_options", "responsive"],
    )?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "type" => Text::parse(ctx, n, "a file system type").map(Expect::Type),
            "source" => Text::parse(ctx, n, "a mount source").map(Expect::Source),
            "options" => names(ctx, n, "options").map(Expect::Options),
            "not_options" => names(ctx, n, "options").map(Expect::NotOptions),
            "responsive" => match &n.value {
                Value::Map(_) => Fields::new(ctx, n, "responsive", &["within"])
                    .and_then(|r| r.required(ctx, "within", "responsive"))
                    .and_then(|w| time_limit(ctx, w, "a time limit"))
                    .map(Expect::Responsive),
                _ => match boolean(ctx, n, "true or { within: DURATION }") {
                    Some(true) => Some(Expect::Responsive(DEFAULT_LIMIT)),
                    Some(false) => {
                        ctx.error(
                            n.pos,
                            "responsive: false would pass a hung mount: leave it out",
                        );
                        None
                    }
                    None => None,
                },
            },
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "a mount expectation is empty: there would be nothing to check",
        );
        return None;
    }
    let path = path?;
    Some(Spec {
        select: Select {
            texts: vec![("path", path.clone())],
            flags: Vec::new(),
        },
        path,
        expect,
    })
}

/// The mounts in use: for a mount point mounted over, the last one; in the
/// order of those last mounts. Linear: a host with 50,000 mounts has them.
pub fn effective(mounts: &[Mount]) -> Vec<&Mount> {
    let last: HashMap<&str, usize> = mounts
        .iter()
        .enumerate()
        .map(|(i, m)| (m.mountpoint.as_str(), i))
        .collect();
    mounts
        .iter()
        .enumerate()
        .filter(|(i, m)| last.get(m.mountpoint.as_str()) == Some(i))
        .map(|(_, m)| m)
        .collect()
}

/// The probes of this run by mount point.
fn probes_by_point(snap: &Snapshot) -> HashMap<&str, &MountProbe> {
    snap.storage
        .mount_probes
        .iter()
        .map(|p| (p.mountpoint.as_str(), p))
        .collect()
}

/// The mount points this check wants probed, with their limit.
pub fn probes(spec: &Spec, snap: &Snapshot) -> Vec<(String, Duration)> {
    let (Some(limit), Fact::Known(mounts)) = (spec.responsive(), &snap.storage.mounts) else {
        return Vec::new();
    };
    effective(mounts)
        .into_iter()
        .filter(|m| spec.path.matches(&m.mountpoint))
        .map(|m| (m.mountpoint.clone(), limit))
        .collect()
}

const HINT_CONFIG: &str =
    "the mount differs from the policy: see /etc/fstab (or the automounter map) and remount";
const HINT_HUNG: &str = "the mount point does not answer: a hung NFS server or a storage path down; processes touching it hang. Check the server or the LUN's paths (`multipath -ll`) before touching the mount";

fn judge(
    m: &Mount,
    expect: &[Expect],
    snap: &Snapshot,
    probes: &HashMap<&str, &MountProbe>,
    ev: &str,
) -> Vec<Judgement> {
    expect
        .iter()
        .map(|e| match e {
            Expect::Type(t) => {
                Judgement::text("type", &Fact::Known(m.fstype.clone()), t, ev, HINT_CONFIG)
            }
            Expect::Source(t) => {
                Judgement::text("source", &Fact::Known(m.source.clone()), t, ev, HINT_CONFIG)
            }
            Expect::Options(want) | Expect::NotOptions(want) => {
                let present = matches!(e, Expect::Options(_));
                let (verb, wrong_verb) = if present {
                    ("include", "lack")
                } else {
                    ("exclude", "include")
                };
                let wrong: Vec<&str> = want
                    .iter()
                    .filter(|o| m.has_option(o) != present)
                    .map(String::as_str)
                    .collect();
                Judgement {
                    ok: Some(wrong.is_empty()),
                    expected: format!("options {verb} {}", want.join(", ")),
                    observed: if wrong.is_empty() {
                        format!("options {verb} {}", want.join(", "))
                    } else {
                        format!(
                            "options {wrong_verb} {} ({})",
                            wrong.join(", "),
                            m.options.join(",")
                        )
                    },
                    evidence: vec![ev.to_owned()],
                    remediation: HINT_CONFIG,
                }
            }
            Expect::Responsive(limit) => {
                let answer = match probes.get(m.mountpoint.as_str()) {
                    Some(p) => p.answer.clone(),
                    None => Fact::Unknown(Missing::new(
                        Reason::NotCaptured,
                        format!("{} was not probed in this run", m.mountpoint),
                    )),
                };
                let mut evidence = vec![ev.to_owned()];
                evidence.push(if snap.origin.live {
                    format!("open/fstat/fstatfs/readdir {}", m.mountpoint)
                } else {
                    snap.origin.file(m.mountpoint.trim_start_matches('/'))
                });
                let mut j = Judgement::of(
                    "mount point",
                    &answer,
                    format!("answering within {}", limit_text(*limit)),
                    "",
                    HINT_HUNG,
                    |a| a.error.is_none(),
                    |a| match &a.error {
                        None => "answered".to_owned(),
                        Some(e) => format!("answered with an error: {e}"),
                    },
                );
                j.evidence = evidence;
                j
            }
        })
        .collect()
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let mounts: Fact<Vec<&Mount>> = snap.storage.mounts.as_ref().map(|ms| effective(ms));
    let ev = snap.origin.file("proc/mounts");
    // A plain path that nothing is mounted on: the file system is not
    // mounted, said in those words.
    if let (Some(path), Fact::Known(ms)) = (spec.path.literal_value(), &mounts)
        && !ms.iter().any(|m| m.mountpoint == path)
    {
        let mut f = finding(
            check,
            path,
            vec![Judgement {
                ok: Some(false),
                expected: format!("a file system mounted at {path}"),
                observed: "nothing mounted there".to_owned(),
                evidence: vec![ev.clone()],
                remediation: "mount it (see /etc/fstab), and find out why it was not mounted",
            }],
        );
        if check.allow_empty {
            f.status = crate::finding::Status::Pass;
            f.remediation.clear();
        }
        return vec![f];
    }
    let probes = probes_by_point(snap);
    let each = Each {
        check,
        what: "mount",
        items: &mounts,
        evidence: vec![ev.clone()],
        select: &spec.select,
    };
    let mut out = each.findings(
        |m| Ok(spec.path.matches(&m.mountpoint)),
        |m| m.mountpoint.clone(),
        |m| judge(m, &spec.expect, snap, &probes, &ev),
    );
    // A mount point that did not answer is unknown, like any fact that
    // could not be read, but what to do about it is known.
    for f in &mut out {
        let timed_out = probes
            .get(f.subject.as_str())
            .is_some_and(|p| p.answer.missing().map(|m| m.reason) == Some(Reason::Timeout));
        if f.status == crate::finding::Status::Unknown && timed_out {
            f.remediation = HINT_TIMEOUT.to_owned();
        }
    }
    out
}

const HINT_TIMEOUT: &str = "the mount point did not answer in time: a hung NFS server or a storage path down, and every process touching it hangs too; check the server (or `multipath -ll` for a LUN) from another shell, and do not `ls` it";
