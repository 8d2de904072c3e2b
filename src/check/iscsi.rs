//! `iscsi`: every session to a target logged in, over enough portals.

use std::collections::BTreeMap;

use super::select::{Each, Select, count};
use super::{FieldDoc, Judgement, KindDoc};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields};
use crate::policy::matcher::{Num, NumOr};
use crate::policy::yaml::Node;
use crate::snapshot::values::ALL;
use crate::snapshot::{Fact, IscsiSession, Missing, Snapshot};

pub const DOC: KindDoc = KindDoc {
    name: "iscsi",
    summary: "iSCSI targets: sessions logged in, over several portals",
    what: "Groups iSCSI sessions by target (IQN), selects targets with a text matcher, and \
           checks how many sessions to each are LOGGED_IN (or that all are) and over how \
           many distinct portals the logged-in sessions run.",
    why: "An iSCSI session whose connection dropped stays FAILED while the initiator \
          retries; the LUN runs on the other session alone, or queues I/O until \
          `replacement_timeout` and then fails it up to the filesystem.",
    fields: &[
        FieldDoc {
            name: "target",
            doc: "which targets (text matcher on the IQN): \"iqn.2001-05.com.example:*\"",
        },
        FieldDoc {
            name: "expect.logged_in",
            doc: "`all`, or how many sessions to the target are LOGGED_IN (number matcher)",
        },
        FieldDoc {
            name: "expect.portals",
            doc: "over how many distinct portals the logged-in sessions run (number matcher)",
        },
    ],
    example: r#"- id: backup-target-sessions
  description: The backup array's target on two logged-in sessions through two portals.
  iscsi:
    target: "iqn.2002-03.com.example:backup*"
    expect:
      logged_in: all
      portals: { min: 2 }"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone)]
pub enum LoggedIn {
    All,
    Count(Num),
}

#[derive(Debug, Clone)]
pub enum Expect {
    LoggedIn(LoggedIn),
    Portals(Num),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "an iscsi check", &["target", "expect"])?;
    let t = f.required(ctx, "target", "an iscsi check");
    let exp = f.required(ctx, "expect", "an iscsi check");
    let target = crate::policy::matcher::Text::parse(ctx, t?, "a target IQN");
    let e = exp?;
    let x = Fields::new(ctx, e, "an iscsi expectation", &["logged_in", "portals"])?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "logged_in" => Num::parse_or_word(ctx, n, "logged_in", None, &ALL).map(|m| {
                Expect::LoggedIn(match m {
                    NumOr::Word(_) => LoggedIn::All,
                    NumOr::Num(m) => LoggedIn::Count(m),
                })
            }),
            "portals" => Num::parse(ctx, n, "portals", None).map(Expect::Portals),
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "an iscsi expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: Select {
            texts: vec![("target", target?)],
            flags: Vec::new(),
        },
        expect,
    })
}

const HINT: &str = "a session to the target is not logged in: check the network path to its portal and `iscsiadm -m session -P 1`";

/// The sessions of one target.
pub struct Target<'a> {
    pub iqn: String,
    pub sessions: Vec<&'a IscsiSession>,
}

fn logged_in(s: &IscsiSession) -> bool {
    s.state.known().map(String::as_str) == Some("LOGGED_IN")
}

fn judge(t: &Target<'_>, expect: &[Expect], ev: &str) -> Vec<Judgement> {
    let state_unknown: Option<Missing> = t.sessions.iter().find_map(|s| s.state.missing().cloned());
    let shown = t
        .sessions
        .iter()
        .map(|s| format!("{} {}", s.name, s.state.known().map_or("?", |v| v.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    let up = match &state_unknown {
        Some(m) => Fact::Unknown(m.clone()),
        None => Fact::Known(t.sessions.iter().filter(|s| logged_in(s)).count()),
    };
    expect
        .iter()
        .map(|e| match e {
            Expect::LoggedIn(LoggedIn::Count(m)) => {
                count("sessions logged in", up.clone(), m, &shown, ev, HINT)
            }
            Expect::LoggedIn(LoggedIn::All) => Judgement::of(
                "sessions logged in",
                &up,
                "all",
                ev,
                HINT,
                |n| *n == t.sessions.len(),
                |n| format!("{n} of {} ({shown})", t.sessions.len()),
            ),
            Expect::Portals(m) => {
                let mut portals: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                let mut unknown = None;
                for s in t.sessions.iter().filter(|s| logged_in(s)) {
                    match &s.connections {
                        Fact::Known(cs) => {
                            for c in cs {
                                match &c.portal {
                                    Fact::Known(p) => {
                                        portals.entry(p.clone()).or_default().push(&s.name)
                                    }
                                    Fact::Unknown(miss) => unknown = Some(miss.clone()),
                                }
                            }
                        }
                        Fact::Unknown(miss) => unknown = Some(miss.clone()),
                    }
                }
                let n = match unknown {
                    Some(m) => Fact::Unknown(m),
                    None => Fact::Known(portals.len()),
                };
                let shown = portals
                    .iter()
                    .map(|(p, s)| format!("{p}: {}", s.join(" ")))
                    .collect::<Vec<_>>()
                    .join("; ");
                count("portals of logged-in sessions", n, m, &shown, ev, HINT)
            }
        })
        .collect()
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    // Sessions whose target could not be read are grouped under it: a
    // finding says so rather than leaving them out.
    let targets: Fact<Vec<Target<'_>>> = snap.storage.iscsi.as_ref().map(|sessions| {
        let mut by: BTreeMap<String, Vec<&IscsiSession>> = BTreeMap::new();
        for s in sessions {
            let iqn = match &s.target {
                Fact::Known(t) => t.clone(),
                Fact::Unknown(m) => format!("(unknown target of {}: {})", s.name, m.reason),
            };
            by.entry(iqn).or_default().push(s);
        }
        by.into_iter()
            .map(|(iqn, sessions)| Target { iqn, sessions })
            .collect()
    });
    let each = Each {
        check,
        what: "iSCSI target",
        items: &targets,
        evidence: vec![snap.origin.file("sys/class/iscsi_session")],
        select: &spec.select,
    };
    each.findings(
        |t| {
            let known = t.sessions.iter().all(|s| s.target.known().is_some());
            let mut d = super::select::Decide::new(&spec.select);
            if known {
                d.text("target", Fact::Known(&t.iqn));
            } else if let Some(m) = t.sessions.iter().find_map(|s| s.target.missing()) {
                d.text("target", Fact::Unknown(m.clone()));
            }
            d.result()
        },
        |t| t.iqn.clone(),
        |t| {
            judge(
                t,
                &spec.expect,
                &snap.origin.file("sys/class/iscsi_session"),
            )
        },
    )
}
