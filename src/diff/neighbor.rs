//! Neighbour entries (ARP, NDP): they come, go and change state all the
//! time, so every change is routine (`--all`).

use super::{At, Change, Ctx, Severity, Value, part};
use crate::snapshot::Neighbor;

fn text(n: &Neighbor) -> String {
    let mut s = n.lladdr.clone().unwrap_or_else(|| "-".into());
    s.push(' ');
    s.push_str(&n.state.join(","));
    if n.router {
        s.push_str(" router");
    }
    s
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = part(
        out,
        "neighbors",
        Severity::Info,
        &ctx.before.neighbors,
        &ctx.after.neighbors,
    ) else {
        return;
    };
    let same = |a: &Neighbor, b: &Neighbor| a.address == b.address && a.dev == b.dev;
    for b in before {
        let s = format!("{} dev {}", b.address, b.dev);
        let at = At {
            kind: "neighbor",
            subject: &s,
        };
        match after.iter().find(|a| same(a, b)) {
            None => at.push(
                out,
                Severity::Info,
                "neighbor",
                Value::known(text(b)),
                Value::Absent,
                "the entry expired or was flushed",
            ),
            Some(a) if text(a) != text(b) => at.push(
                out,
                Severity::Info,
                "neighbor",
                Value::known(text(b)),
                Value::known(text(a)),
                "neighbour state changes as traffic comes and goes",
            ),
            Some(_) => {}
        }
    }
    for a in after {
        if !before.iter().any(|b| same(a, b)) {
            let s = format!("{} dev {}", a.address, a.dev);
            At {
                kind: "neighbor",
                subject: &s,
            }
            .push(
                out,
                Severity::Info,
                "neighbor",
                Value::Absent,
                Value::known(text(a)),
                "a neighbour was resolved",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Fact;

    #[test]
    fn neighbour_churn_is_routine() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(n) = &mut a.neighbors {
            n[0].state = vec!["STALE"];
            n.remove(1);
        }
        let rows = rows(&b, &a);
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r.0 == Severity::Info), "{rows:?}");
    }
}
