//! iSCSI sessions: each is a path to the target, through one portal; a
//! session gone or no longer logged in is a path lost.

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{Fact, IscsiConnection, IscsiSession};

const LOGGED_IN: &str = "LOGGED_IN";

fn portals(s: &IscsiSession) -> String {
    match s.connections.known() {
        Some(c) => c
            .iter()
            .map(|c| c.portal.known().map_or("?", |p| p.as_str()))
            .collect::<Vec<_>>()
            .join(" "),
        None => "?".into(),
    }
}

fn summary(s: &IscsiSession) -> String {
    format!(
        "{} via {}",
        s.state.known().map_or("?", |s| s.as_str()),
        portals(s)
    )
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "iscsi sessions",
        &ctx.before.storage.iscsi,
        &ctx.after.storage.iscsi,
    ) else {
        return;
    };
    Listed::<IscsiSession> {
        kind: "iscsi",
        field: "session",
        same: |b, a| b.name == a.name,
        subject: &|s| s.name.clone(),
        value: |s| Value::known(summary(s)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the session is gone (logged out, or its recovery timed out): the LUN paths \
                 through it are lost"
                    .into(),
            ))
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a new session: another path to a target".into(),
            ))
        },
    }
    .compare(before, after, out, one);
}

fn one(at: &At, b: &IscsiSession, a: &IscsiSession, out: &mut Vec<Change>) {
    at.fact(
        out,
        "target",
        &b.target,
        &a.target,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the session leads to another target".into(),
            ))
        },
    );
    let state_changed = matches!((b.state.known(), a.state.known()), (Some(x), Some(y)) if x != y);
    at.fact(
        out,
        "state",
        &b.state,
        &a.state,
        String::clone,
        Severity::Warning,
        |x, y| {
            Some(if x == LOGGED_IN {
                (
                    Severity::Critical,
                    format!(
                        "the session is {y}: the LUN paths through it carry no I/O while the \
                         initiator tries to recover it"
                    ),
                )
            } else if y == LOGGED_IN {
                (Severity::Warning, "the session is logged in again".into())
            } else {
                (Severity::Warning, "the session's state changed".into())
            })
        },
    );
    connections(at, &b.connections, &a.connections, state_changed, out);
}

/// The connections of a session: a portal changed, a connection gone or
/// down. A session that left (or came back to) LOGGED_IN took its
/// connections' states along, and says it.
fn connections(
    at: &At,
    b: &Fact<Vec<IscsiConnection>>,
    a: &Fact<Vec<IscsiConnection>>,
    state_changed: bool,
    out: &mut Vec<Change>,
) {
    let (Fact::Known(bc), Fact::Known(ac)) = (b, a) else {
        at.fact(
            out,
            "connections",
            b,
            a,
            |c| c.len().to_string(),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    Listed::<IscsiConnection> {
        kind: "iscsi",
        field: "connection",
        same: |c, d| c.name == d.name,
        subject: &|c| format!("{} {}", at.subject, c.name),
        value: |c| Value::of(&c.portal, String::clone),
        gone: &|_| Some((Severity::Warning, "the connection is gone".into())),
        new: &|_| Some((Severity::Warning, "a new connection".into())),
    }
    .compare(bc, ac, out, |cat, c, d, out| {
        cat.fact(
            out,
            "portal",
            &c.portal,
            &d.portal,
            String::clone,
            Severity::Warning,
            |_, _| {
                Some((
                    Severity::Warning,
                    "the connection goes to another portal: check that the sessions still use \
                     two networks"
                        .into(),
                ))
            },
        );
        if !state_changed {
            cat.fact(
                out,
                "state",
                &c.state,
                &d.state,
                |s| s.clone().unwrap_or_else(|| "-".into()),
                Severity::Warning,
                |_, _| Some((Severity::Warning, "the connection's state changed".into())),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_session_gone_or_failed_is_critical() {
        let b = san_healthy();
        let mut a = b.clone();
        if let Fact::Known(s) = &mut a.storage.iscsi {
            s[1].state = Fact::Known("FAILED".into());
            if let Fact::Known(c) = &mut s[1].connections {
                c[0].state = Fact::Known(Some("failed".into()));
            }
        }
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "iscsi session2", "state")]
        );
        assert_eq!(
            rows(&a, &b),
            [row(Severity::Warning, "iscsi session2", "state")]
        );
        if let Fact::Known(s) = &mut a.storage.iscsi {
            s.retain(|s| s.name != "session1");
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "iscsi session1", "session"),
                row(Severity::Critical, "iscsi session2", "state"),
            ]
        );
    }
}
