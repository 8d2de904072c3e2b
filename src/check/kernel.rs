//! `kernel`: taint flags, crash records, release.

use super::{FieldDoc, Judgement, KindDoc, finding};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::{Num, Text};
use crate::policy::yaml::Node;
use crate::snapshot::Snapshot;
use crate::snapshot::values::TAINT_LETTERS;

pub const DOC: KindDoc = KindDoc {
    name: "kernel",
    summary: "kernel taint flags and crash records left in pstore",
    what: "Checks the kernel's taint flags (all clear, or none of the given letters), the \
           number of crash records pstore kept (and systemd-pstore archived), and the release.",
    why: "A kernel that died (D), hit a machine check (M), a soft lockup (L) or warned (W) \
          since boot, or left a panic record in pstore, is the host whose NIC driver fell over \
          under load; it should not go back into rotation unexamined.",
    fields: &[
        FieldDoc {
            name: "expect.tainted",
            doc: "false: no taint flag set at all",
        },
        FieldDoc {
            name: "expect.taint_flags",
            doc: "a text matcher every set flag letter must satisfy, e.g. {not_in: [D, M, L, W]}",
        },
        FieldDoc {
            name: "expect.pstore_records",
            doc: "a number matcher on the crash records kept, e.g. 0",
        },
        FieldDoc {
            name: "expect.release",
            doc: "the kernel release (text matcher)",
        },
    ],
    example: r#"- id: kernel-clean
  description: No crash, lockup or machine check since boot, and no panic record left.
  kernel:
    expect:
      taint_flags: { not_in: [D, M, L, W] }
      pstore_records: 0"#,
    default_severity: Severity::Warning,
};

#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub tainted: Option<bool>,
    pub taint_flags: Option<Text>,
    pub pstore_records: Option<Num>,
    pub release: Option<Text>,
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a kernel check", &["expect"])?;
    let e = f.required(ctx, "expect", "a kernel check")?;
    let x = Fields::new(
        ctx,
        e,
        "a kernel expectation",
        &["tainted", "taint_flags", "pstore_records", "release"],
    )?;
    let spec = Spec {
        tainted: x
            .get("tainted")
            .and_then(|n| boolean(ctx, n, "true or false")),
        taint_flags: x
            .get("taint_flags")
            .and_then(|n| Text::parse_words(ctx, n, &TAINT_LETTERS)),
        pstore_records: x
            .get("pstore_records")
            .and_then(|n| Num::parse(ctx, n, "pstore records", None)),
        release: x
            .get("release")
            .and_then(|n| Text::parse(ctx, n, "a kernel release")),
    };
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "a kernel expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(spec)
}

const HINT_TAINT: &str =
    "find why the kernel is tainted (dmesg, journalctl -k) before the host takes traffic again";
const HINT_PSTORE: &str = "the kernel crashed and left a record: read it (journalctl, /var/lib/systemd/pstore), then clear it";
const HINT_RELEASE: &str = "boot the kernel release the policy requires";

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let h = &snap.host;
    let o = &snap.origin;
    let mut j = Vec::new();
    let letters = |t: &crate::snapshot::Taint| {
        if t.flags.is_empty() {
            "none".to_owned()
        } else {
            t.flags
                .iter()
                .map(|f| format!("{} ({})", f.letter, f.meaning))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if let Some(want) = spec.tainted {
        j.push(Judgement::of(
            "tainted",
            &h.taint,
            want,
            o.file("proc/sys/kernel/tainted"),
            HINT_TAINT,
            |t| (t.mask != 0) == want,
            |t| letters(t),
        ));
    }
    if let Some(m) = &spec.taint_flags {
        j.push(Judgement::of(
            "taint flags",
            &h.taint,
            format!("each {m}"),
            o.file("proc/sys/kernel/tainted"),
            HINT_TAINT,
            |t| t.flags.iter().all(|f| m.matches(&f.letter.to_string())),
            |t| letters(t),
        ));
    }
    if let Some(m) = &spec.pstore_records {
        j.push(Judgement::of(
            "pstore records",
            &h.pstore,
            m,
            o.file("sys/fs/pstore"),
            HINT_PSTORE,
            |r| m.matches(r.len() as f64),
            |r| {
                if r.is_empty() {
                    "0".to_owned()
                } else {
                    format!(
                        "{} ({})",
                        r.len(),
                        r.iter()
                            .map(|x| x.path.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            },
        ));
    }
    if let Some(m) = &spec.release {
        j.push(Judgement::of(
            "release",
            &h.kernel_release,
            m,
            o.file("proc/sys/kernel/osrelease"),
            HINT_RELEASE,
            |r| m.matches(r),
            String::clone,
        ));
    }
    vec![finding(check, "kernel", j)]
}
