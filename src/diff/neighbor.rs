//! Neighbour entries (ARP, NDP): they come, go and change state all the
//! time, so every change is routine (`--all`).

use super::{Change, Ctx, Listed, Severity, Value, part};
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
    Listed::<Neighbor> {
        kind: "neighbor",
        field: "neighbor",
        same: |b, a| b.address == a.address && b.dev == a.dev,
        subject: &|n| format!("{} dev {}", n.address, n.dev),
        value: |n| Value::known(text(n)),
        gone: &|_| Some((Severity::Info, "the entry expired or was flushed".into())),
        new: &|_| Some((Severity::Info, "a neighbour was resolved".into())),
    }
    .compare(before, after, out, |at, b, a, out| {
        if text(a) != text(b) {
            at.push(
                out,
                Severity::Info,
                "neighbor",
                Value::known(text(b)),
                Value::known(text(a)),
                "neighbour state changes as traffic comes and goes",
            );
        }
    });
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
