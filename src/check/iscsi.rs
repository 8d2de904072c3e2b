//! `iscsi`: every session to a target logged in, over enough portals.

use std::collections::BTreeMap;

use super::select::{Each, Select, count, count_between};
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
    /// Sessions whose target could not be read: any of them may be one of
    /// this target's.
    pub maybe: Vec<&'a IscsiSession>,
}

/// Whether a session is logged in, or why that cannot be told.
fn login(s: &IscsiSession) -> Result<bool, &Missing> {
    match &s.state {
        Fact::Known(v) => Ok(v == "LOGGED_IN"),
        Fact::Unknown(m) => Err(m),
    }
}

/// Why a session that may be logged in to the target, or may be the
/// target's at all, leaves a count open; `None` when it cannot change it.
fn open_login(s: &IscsiSession, ours: bool) -> Option<&Missing> {
    match (login(s), ours) {
        (Err(m), _) => Some(m),
        (Ok(true), false) => s.target.missing(),
        _ => None,
    }
}

fn judge(t: &Target<'_>, expect: &[Expect], ev: &str) -> Vec<Judgement> {
    let shown = t
        .sessions
        .iter()
        .chain(&t.maybe)
        .map(|s| format!("{} {}", s.name, s.state.known().map_or("?", |v| v.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    let sure = t.sessions.iter().filter(|s| login(s) == Ok(true)).count();
    let open: Vec<&Missing> = t
        .sessions
        .iter()
        .filter_map(|s| open_login(s, true))
        .chain(t.maybe.iter().filter_map(|s| open_login(s, false)))
        .collect();
    expect
        .iter()
        .map(|e| match e {
            Expect::LoggedIn(LoggedIn::Count(m)) => count_between(
                "sessions logged in",
                sure,
                open.len(),
                open.first().copied(),
                m,
                &shown,
                ev,
                HINT,
            ),
            Expect::LoggedIn(LoggedIn::All) => {
                let total = t.sessions.len();
                let out = t.sessions.iter().any(|s| login(s) == Ok(false));
                // A session of another target's or of this one's, not
                // logged in, leaves `all` open.
                let unsure = t
                    .sessions
                    .iter()
                    .filter_map(|s| login(s).err())
                    .chain(
                        t.maybe
                            .iter()
                            .filter(|s| login(s) != Ok(true))
                            .filter_map(|s| s.target.missing()),
                    )
                    .next();
                let (ok, tail) = match (out, unsure) {
                    (true, _) => (Some(false), String::new()),
                    (false, Some(m)) => (None, format!("; {m}")),
                    (false, None) => (Some(true), String::new()),
                };
                Judgement {
                    ok,
                    expected: "sessions logged in all".to_owned(),
                    observed: format!("sessions logged in {sure} of {total} ({shown}){tail}"),
                    evidence: vec![ev.to_owned()],
                    remediation: HINT,
                }
            }
            Expect::Portals(m) => portals(t, m, ev),
        })
        .collect()
}

/// The distinct portals of the target's logged-in sessions. A session
/// that may be logged in (or may be the target's) may add its portals.
fn portals(t: &Target<'_>, m: &Num, ev: &str) -> Judgement {
    let mut by: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut maybe_portals: Vec<Fact<&str>> = Vec::new();
    let mut why: Option<Missing> = None;
    let sessions = t
        .sessions
        .iter()
        .map(|s| (s, true))
        .chain(t.maybe.iter().map(|s| (s, false)));
    for (s, ours) in sessions {
        let open = open_login(s, ours);
        if open.is_none() && !(ours && login(s) == Ok(true)) {
            continue;
        }
        let connections = match &s.connections {
            Fact::Known(cs) => cs,
            Fact::Unknown(miss) => {
                return count(
                    "portals of logged-in sessions",
                    Fact::Unknown(miss.clone()),
                    m,
                    "",
                    ev,
                    HINT,
                );
            }
        };
        if let Some(o) = open {
            why.get_or_insert_with(|| o.clone());
        }
        for c in connections {
            match (&c.portal, open) {
                (Fact::Known(p), None) => by.entry(p.clone()).or_default().push(&s.name),
                (Fact::Known(p), Some(_)) => maybe_portals.push(Fact::Known(p)),
                (Fact::Unknown(miss), _) => {
                    why.get_or_insert_with(|| miss.clone());
                    maybe_portals.push(Fact::Unknown(miss.clone()));
                }
            }
        }
    }
    let mut extra: Vec<&str> = Vec::new();
    let mut unnamed = 0;
    for p in &maybe_portals {
        match p {
            Fact::Known(p) if !by.contains_key(*p) && !extra.contains(p) => extra.push(p),
            Fact::Known(_) => {}
            Fact::Unknown(_) => unnamed += 1,
        }
    }
    let shown = by
        .iter()
        .map(|(p, s)| format!("{p}: {}", s.join(" ")))
        .collect::<Vec<_>>()
        .join("; ");
    count_between(
        "portals of logged-in sessions",
        by.len(),
        extra.len() + unnamed,
        why.as_ref(),
        m,
        &shown,
        ev,
        HINT,
    )
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
        let unread: Vec<&IscsiSession> = sessions
            .iter()
            .filter(|s| s.target.known().is_none())
            .collect();
        by.into_iter()
            .map(|(iqn, sessions)| {
                let maybe = if sessions.iter().all(|s| s.target.known().is_some()) {
                    unread.clone()
                } else {
                    Vec::new()
                };
                Target {
                    iqn,
                    sessions,
                    maybe,
                }
            })
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
