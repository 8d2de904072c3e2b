//! `file`: a file's size, age and checksum: the replicated configuration
//! of the incident, which grew until its every-two-minutes check could no
//! longer finish in time.

use std::time::Duration;

use super::{FieldDoc, Judgement, KindDoc, finding};
use crate::collect::FileRequest;
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean, string};
use crate::policy::matcher::{Num, duration_unit, size_unit, time_limit};
use crate::policy::yaml::Node;
use crate::snapshot::{Fact, FileFacts, Missing, Reason, Snapshot};

pub const DOC: KindDoc = KindDoc {
    name: "file",
    summary: "a file's presence, size, age and SHA-256, read under a time limit",
    what: "Reads one file (an absolute path) when a policy asks: its size, its age (now \
           against its modification time; a fixture's capture time against the time the \
           fixture records in cmd/stat/PATH), and its SHA-256. The read runs where a hung \
           mount cannot stop the audit, and a file on a mount whose probe timed out is not \
           read at all.",
    why: "A replicated configuration file that grows past what its consumers can parse in \
          their period, that stops being replicated (it ages), or that differs from the \
          master's copy (its checksum) breaks a cluster quietly, node by node.",
    fields: &[
        FieldDoc {
            name: "path",
            doc: "the absolute path of the file",
        },
        FieldDoc {
            name: "limit",
            doc: "how long reading (and hashing) it may take: `2s` (default 5s)",
        },
        FieldDoc {
            name: "expect.exists",
            doc: "true or false",
        },
        FieldDoc {
            name: "expect.size",
            doc: "bytes with a binary unit, a number matcher: `{ max: 10M }`",
        },
        FieldDoc {
            name: "expect.age",
            doc: "since the last modification, with a unit (s, m, h, d), a number matcher: `{ max: 10m }`",
        },
        FieldDoc {
            name: "expect.sha256",
            doc: "the expected SHA-256, 64 hex digits",
        },
    ],
    example: r#"- id: cluster-conf-sane
  description: The replicated cluster configuration is fresh and small enough to check in time.
  file:
    path: /srv/clusterconf/cluster.conf
    limit: 2s
    expect:
      exists: true
      size: { max: 4M }
      age: { max: 1h }"#,
    default_severity: Severity::Warning,
};

pub const DEFAULT_LIMIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub enum Expect {
    Exists(bool),
    Size(Num),
    Age(Num),
    Sha256(String),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub path: String,
    pub limit: Duration,
    pub expect: Vec<Expect>,
}

impl Spec {
    pub fn request(&self) -> FileRequest {
        FileRequest {
            path: self.path.clone(),
            hash: self.expect.iter().any(|e| matches!(e, Expect::Sha256(_))),
            limit: self.limit,
        }
    }
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a file check", &["path", "limit", "expect"])?;
    let p = f.required(ctx, "path", "a file check");
    let exp = f.required(ctx, "expect", "a file check");
    let path = p.and_then(|n| {
        let s = string(ctx, n, "an absolute path")?;
        if !s.starts_with('/') || s.split('/').any(|c| c == "..") || s.contains(['*', '?', '[']) {
            ctx.error(
                n.pos,
                format!("{s:?}: a file check reads one absolute path, without `..` or patterns"),
            );
            return None;
        }
        Some(s)
    });
    let limit = match f.get("limit") {
        Some(n) => time_limit(ctx, n, "a time limit"),
        None => Some(DEFAULT_LIMIT),
    };
    let e = exp?;
    let x = Fields::new(
        ctx,
        e,
        "a file expectation",
        &["exists", "size", "age", "sha256"],
    )?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "exists" => boolean(ctx, n, "true or false").map(Expect::Exists),
            "size" => Num::parse(ctx, n, "a size", Some(size_unit)).map(Expect::Size),
            "age" => Num::parse(ctx, n, "an age", Some(duration_unit)).map(Expect::Age),
            "sha256" => string(ctx, n, "a SHA-256 in hex").and_then(|s| {
                let s = s.to_ascii_lowercase();
                if s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit()) {
                    Some(Expect::Sha256(s))
                } else {
                    ctx.error(n.pos, "a SHA-256 is 64 hex digits");
                    None
                }
            }),
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "a file expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        path: path?,
        limit: limit?,
        expect,
    })
}

const HINT_SIZE: &str = "the file grew past its bound: whatever reads it may no longer finish in its period; find what made it grow";
const HINT_AGE: &str = "the file was not updated within the bound: its replication stopped; check the replication job and the storage under it";
const HINT_SUM: &str =
    "the file differs from the expected copy: replication diverged, or it was edited here";
const HINT_EXISTS: &str = "the file is missing (or present against the policy): check its replication and the mount it lives on";

fn human_size(b: u64) -> String {
    if b < 1024 {
        format!("{b} bytes")
    } else {
        format!("{b} bytes ({})", crate::snapshot::bytes_text(b))
    }
}

fn human_age(s: i64) -> String {
    let a = s.unsigned_abs();
    let text = if a >= 86_400 && a.is_multiple_of(86_400) {
        format!("{}d", a / 86_400)
    } else if a >= 3600 && a.is_multiple_of(3600) {
        format!("{}h", a / 3600)
    } else if a >= 60 && a.is_multiple_of(60) {
        format!("{}m", a / 60)
    } else if a < 120 {
        format!("{a}s")
    } else if a < 7200 {
        format!("{}m", a / 60)
    } else if a < 172_800 {
        format!("{}h", a / 3600)
    } else {
        format!("{}d", a / 86_400)
    };
    if s < 0 {
        format!("{text} in the future")
    } else {
        text
    }
}

fn size_text(m: &Num) -> String {
    m.display_with(|v| {
        let b = v as u64;
        if b < 1024 {
            format!("{b} bytes")
        } else {
            crate::snapshot::bytes_text(b)
        }
    })
}

fn age_text(m: &Num) -> String {
    m.display_with(|v| human_age(v as i64))
}

fn absent(f: &FileFacts) -> bool {
    matches!(&f.size_bytes, Fact::Unknown(m) if m.reason == Reason::Absent)
}

fn judge(f: &FileFacts, expect: &[Expect], ev: &str) -> Vec<Judgement> {
    let gone = absent(f);
    let missing_file = |what: &str, expected: String, hint| Judgement {
        ok: Some(false),
        expected: format!("{what} {expected}"),
        observed: format!("{what} unknown: the file does not exist"),
        evidence: vec![ev.to_owned()],
        remediation: hint,
    };
    expect
        .iter()
        .map(|e| match e {
            Expect::Exists(want) => {
                let exists: Fact<bool> = if gone {
                    Fact::Known(false)
                } else {
                    f.size_bytes.clone().map(|_| true)
                };
                Judgement::flag("exists", &exists, *want, ev, HINT_EXISTS)
            }
            Expect::Size(m) if gone => missing_file("size", size_text(m), HINT_EXISTS),
            Expect::Age(m) if gone => missing_file("age", age_text(m), HINT_EXISTS),
            Expect::Sha256(s) if gone => missing_file("sha256", s.clone(), HINT_EXISTS),
            Expect::Size(m) => Judgement::of(
                "size",
                &f.size_bytes,
                size_text(m),
                ev,
                HINT_SIZE,
                |v| m.matches(*v as f64),
                |v| human_size(*v),
            ),
            Expect::Age(m) => Judgement::of(
                "age",
                &f.age_seconds,
                age_text(m),
                ev,
                HINT_AGE,
                |v| m.matches(*v as f64),
                |v| human_age(*v),
            ),
            Expect::Sha256(want) => {
                let sum: Fact<String> = f.sha256.clone().and_then(|s| match s {
                    Some(s) => Fact::Known(s),
                    None => Fact::Unknown(Missing::new(
                        Reason::Failed,
                        "the checksum was not computed",
                    )),
                });
                Judgement::of(
                    "sha256",
                    &sum,
                    want,
                    ev,
                    HINT_SUM,
                    |v| v == want,
                    String::clone,
                )
            }
        })
        .collect()
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let ev = if snap.origin.live {
        spec.path.clone()
    } else {
        snap.origin.file(spec.path.trim_start_matches('/'))
    };
    let facts = snap.storage.files.iter().find(|f| f.path == spec.path);
    let judgements = match facts {
        Some(f) => judge(f, &spec.expect, &ev),
        None => vec![Judgement {
            ok: None,
            expected: format!("{} read", spec.path),
            observed: "not read in this run".into(),
            evidence: vec![ev],
            remediation: "",
        }],
    };
    vec![finding(check, &spec.path, judgements)]
}
