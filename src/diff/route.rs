//! Paths: where traffic to the default route and to each destination the
//! policies name leaves the host (the snapshots' route lookups), and the
//! routes of every table.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::link::describe;
use super::{At, Change, Ctx, Severity, Value, flow_name, one_sided, part};
use crate::collect::resolve::Flow;
use crate::snapshot::{Fact, Prefix, Resolution, RouteEntry, names, route_flag_names};

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let explained = egress(ctx, out);
    routes(ctx, &explained, out);
}

/// `bond0 via 198.51.100.1`, every next hop, or the kind of answer when
/// there is no next hop (`unreachable`, `local`).
fn resolution_text(r: &Resolution) -> String {
    let mut text = if r.hops.is_empty() {
        r.kind.clone()
    } else {
        r.hops
            .iter()
            .map(|h| match (&h.dev, h.gateway) {
                (Some(d), Some(g)) => format!("{d} via {g}"),
                (Some(d), None) => d.clone(),
                (None, Some(g)) => format!("via {g}"),
                (None, None) => "?".into(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(t) = r.table.as_deref().filter(|t| *t != "main") {
        text.push_str(&format!(" (table {t})"));
    }
    text
}

type HopSet = BTreeSet<(Option<String>, Option<std::net::IpAddr>)>;

fn hops(r: &Resolution) -> HopSet {
    r.hops.iter().map(|h| (h.dev.clone(), h.gateway)).collect()
}

fn devs(r: &Resolution) -> BTreeSet<String> {
    r.hops.iter().filter_map(|h| h.dev.clone()).collect()
}

/// Compares where each destination's traffic leaves, and returns the
/// routes (table, prefix) whose change an egress change already shows.
fn egress(ctx: &Ctx, out: &mut Vec<Change>) -> HashSet<(String, Prefix)> {
    let mut explained = HashSet::new();
    for lb in &ctx.before.route_lookups {
        let Some(la) = ctx
            .after
            .route_lookups
            .iter()
            .find(|l| l.to == lb.to && l.from == lb.from && l.fwmark == lb.fwmark)
        else {
            continue;
        };
        let flow = Flow {
            to: lb.to,
            from: lb.from,
            fwmark: lb.fwmark,
        };
        let subject = flow_name(&flow);
        let at = At {
            kind: "egress",
            subject: &subject,
        };
        let (x, y) = match (&lb.result, &la.result) {
            (Fact::Known(x), Fact::Known(y)) => (x, y),
            (Fact::Unknown(_), Fact::Unknown(_)) => continue,
            (b @ Fact::Known(_), a @ Fact::Unknown(m))
            | (b @ Fact::Unknown(m), a @ Fact::Known(_)) => {
                at.push(
                    out,
                    Severity::Warning,
                    "egress",
                    Value::of(b, resolution_text),
                    Value::of(a, resolution_text),
                    one_sided(b.known().is_none(), m),
                );
                continue;
            }
        };
        if x.kind == y.kind && hops(x) == hops(y) {
            continue;
        }
        let is_default = lb.to.len == 0;
        let traffic = if is_default && lb.from.is_none() && lb.fwmark.is_none() {
            format!("the default route ({})", lb.to)
        } else {
            format!("traffic to {subject}")
        };
        let (hx, hy) = (hops(x), hops(y));
        let (dx, dy) = (devs(x), devs(y));
        let name = |s: &crate::snapshot::Snapshot, d: &BTreeSet<String>| {
            d.iter()
                .map(|n| describe(s, n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (severity, why) = if !hx.is_empty() && hy.is_empty() {
            (
                Severity::Critical,
                format!("{traffic} has no way out now ({})", y.kind),
            )
        } else if !hy.is_empty() && hy.len() < hx.len() && hy.is_subset(&hx) {
            (
                Severity::Critical,
                "a next hop was lost: less capacity and no redundancy".to_owned(),
            )
        } else if dx != dy && !dx.is_empty() && !dy.is_empty() {
            let why = format!(
                "{traffic} leaves by {} now, not {}",
                name(ctx.after, &dy),
                name(ctx.before, &dx)
            );
            if is_default {
                (Severity::Critical, why)
            } else {
                (Severity::Warning, why)
            }
        } else if dx == dy && !dx.is_empty() {
            (
                Severity::Warning,
                format!("{traffic} goes through another gateway"),
            )
        } else {
            (Severity::Warning, format!("{traffic} goes another way"))
        };
        at.push(
            out,
            severity,
            "egress",
            Value::known(resolution_text(x)),
            Value::known(resolution_text(y)),
            why,
        );
        for r in [x, y] {
            if let (Some(t), Some(p)) = (&r.table, r.route) {
                explained.insert((t.clone(), p));
            }
        }
    }
    explained
}

fn route_text(e: &RouteEntry) -> String {
    let mut parts: Vec<String> = Vec::new();
    if e.kind != 1 {
        parts.push(names::route_type(e.kind));
    }
    if let Some(g) = e.gateway {
        parts.push(format!("via {g}"));
    }
    if let Some(d) = &e.dev {
        parts.push(format!("dev {d}"));
    }
    for (g, d, w, flags) in &e.nexthops {
        let mut hop = vec!["nexthop".to_owned()];
        if let Some(g) = g {
            hop.push(format!("via {g}"));
        }
        if let Some(d) = d {
            hop.push(format!("dev {d}"));
        }
        hop.push(format!("weight {w}"));
        hop.extend(route_flag_names(*flags).map(str::to_owned));
        parts.push(hop.join(" "));
    }
    parts.push(format!("proto {}", names::protocol(e.protocol)));
    if e.scope != 0 {
        parts.push(format!("scope {}", names::scope(e.scope)));
    }
    if let Some(s) = e.pref_src {
        parts.push(format!("src {s}"));
    }
    parts.extend(route_flag_names(e.flags).map(str::to_owned));
    parts.join(" ")
}

/// Routes the kernel makes by itself from addresses and links (connected
/// routes, the local table, IPv6 link-local and multicast): they change
/// with what made them, which is reported there.
fn routine(e: &RouteEntry) -> bool {
    const RTPROT_KERNEL: u8 = 2;
    const LOCAL_TABLE: u32 = 255;
    e.protocol == RTPROT_KERNEL || e.table == LOCAL_TABLE
}

fn subject(e: &RouteEntry) -> String {
    format!(
        "{} table {} metric {}",
        e.dst,
        names::table(e.table),
        e.metric
    )
}

fn hop_count(e: &RouteEntry) -> usize {
    e.nexthops.len().max(1)
}

type Key = (u32, Prefix, u32);

fn key(e: &RouteEntry) -> Key {
    (e.table, e.dst, e.metric)
}

/// Routes added, removed or changed, by table, prefix and metric (what
/// identifies a route to the kernel).
fn routes(ctx: &Ctx, explained: &HashSet<(String, Prefix)>, out: &mut Vec<Change>) {
    let Some((before, after)) = part(
        out,
        "routes",
        Severity::Warning,
        &ctx.before.routes,
        &ctx.after.routes,
    ) else {
        return;
    };
    let mut after_by_key: HashMap<Key, Vec<RouteEntry>> = HashMap::new();
    let mut after_order: Vec<Key> = Vec::new();
    for e in after.entries() {
        let k = key(&e);
        let slot = after_by_key.entry(k).or_default();
        if slot.is_empty() {
            after_order.push(k);
        }
        slot.push(e);
    }
    let mut before_by_key: HashMap<Key, Vec<RouteEntry>> = HashMap::new();
    let mut before_order: Vec<Key> = Vec::new();
    for e in before.entries() {
        let k = key(&e);
        let slot = before_by_key.entry(k).or_default();
        if slot.is_empty() {
            before_order.push(k);
        }
        slot.push(e);
    }
    let shown = |k: &Key| explained.contains(&(names::table(k.0), k.1));
    for k in &before_order {
        if shown(k) {
            continue;
        }
        let old = &before_by_key[k];
        let new = after_by_key.get(k).map_or(&[][..], Vec::as_slice);
        match (old.as_slice(), new) {
            ([x], [y]) => changed(x, y, out),
            _ => {
                let texts = |v: &[RouteEntry]| v.iter().map(route_text).collect::<Vec<_>>();
                let (tx, ty) = (texts(old), texts(new));
                for (e, t) in old.iter().zip(&tx) {
                    if !ty.contains(t) {
                        removed(e, out);
                    }
                }
                for (e, t) in new.iter().zip(&ty) {
                    if !tx.contains(t) {
                        added(e, out);
                    }
                }
            }
        }
    }
    for k in &after_order {
        if before_by_key.contains_key(k) || shown(k) {
            continue;
        }
        for e in &after_by_key[k] {
            added(e, out);
        }
    }
}

fn removed(e: &RouteEntry, out: &mut Vec<Change>) {
    let s = subject(e);
    let (severity, why) = if routine(e) {
        (Severity::Info, "a route the kernel derived went away")
    } else {
        (
            Severity::Warning,
            "a route was removed: its traffic follows a less specific route, or none",
        )
    };
    At {
        kind: "route",
        subject: &s,
    }
    .push(
        out,
        severity,
        "route",
        Value::known(route_text(e)),
        Value::Absent,
        why,
    );
}

fn added(e: &RouteEntry, out: &mut Vec<Change>) {
    let s = subject(e);
    let (severity, why) = if routine(e) {
        (Severity::Info, "the kernel derived a route")
    } else {
        (
            Severity::Warning,
            "a route was added: traffic to its prefix goes this way now",
        )
    };
    At {
        kind: "route",
        subject: &s,
    }
    .push(
        out,
        severity,
        "route",
        Value::Absent,
        Value::known(route_text(e)),
        why,
    );
}

fn changed(x: &RouteEntry, y: &RouteEntry, out: &mut Vec<Change>) {
    let (tx, ty) = (route_text(x), route_text(y));
    if tx == ty {
        return;
    }
    let flags_only = {
        let (mut a, mut b) = (x.clone(), y.clone());
        a.flags = 0;
        b.flags = 0;
        for h in a.nexthops.iter_mut().chain(b.nexthops.iter_mut()) {
            h.3 = 0;
        }
        a == b
    };
    let (severity, why) = if hop_count(y) < hop_count(x) {
        (
            Severity::Critical,
            "the multipath route lost a next hop: less capacity and no redundancy".to_owned(),
        )
    } else if flags_only {
        (
            Severity::Info,
            "the kernel flags routes through a link that is down (linkdown, dead)".to_owned(),
        )
    } else if routine(x) && routine(y) {
        (
            Severity::Info,
            "a route the kernel derived changed".to_owned(),
        )
    } else {
        (
            Severity::Warning,
            "the route changed: its traffic leaves another way".to_owned(),
        )
    };
    let s = subject(x);
    At {
        kind: "route",
        subject: &s,
    }
    .push(
        out,
        severity,
        "route",
        Value::known(tx),
        Value::known(ty),
        why,
    );
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn p(s: &str) -> Prefix {
        Prefix::parse(s).unwrap()
    }

    #[test]
    fn the_default_route_moving_is_one_critical_change() {
        let b = lb_healthy();
        let mut a = b.clone();
        map_routes(&mut a, |mut e| {
            if e.dst == p("0.0.0.0/0") && e.table == 254 {
                e.dev = Some("eno1".into());
                e.gateway = Some("192.0.2.1".parse().unwrap());
            }
            Some(e)
        });
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        let c = &changes[0];
        assert_eq!(
            (c.severity, c.kind, c.subject.as_str()),
            (Severity::Critical, "egress", "default (0.0.0.0/0)")
        );
        assert_eq!(c.before, Value::known("bond0 via 198.51.100.1"));
        assert_eq!(c.after, Value::known("eno1 via 192.0.2.1"));
        assert!(c.why.contains("eno1 (1G, onboard)"), "{}", c.why);
    }

    #[test]
    fn a_destination_without_a_route_is_critical() {
        let b = lb_healthy();
        let mut a = b.clone();
        map_routes(&mut a, |e| (e.dst != p("::/0")).then_some(e));
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "egress default (::/0)", "egress")]
        );
    }

    #[test]
    fn a_policy_destination_moving_is_a_warning() {
        let mut b = lb_healthy();
        b.route_lookups = crate::collect::table_lookups(
            &b,
            &[Flow {
                to: p("10.1.2.3"),
                from: None,
                fwmark: None,
            }],
        );
        let mut a = b.clone();
        map_routes(&mut a, |mut e| {
            if e.dst == p("10.0.0.0/8") {
                e.dev = Some("eno2".into());
            }
            Some(e)
        });
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "egress 10.1.2.3", "egress")]
        );
    }

    #[test]
    fn a_multipath_route_losing_a_hop_is_critical() {
        let hop = |g: &str, d: &str| (Some(g.parse().unwrap()), Some(d.to_owned()), 1u16, 0u8);
        let mut b = lb_healthy();
        map_routes(&mut b, Some);
        if let Fact::Known(t) = &mut b.routes {
            t.push(RouteEntry {
                table: 254,
                dst: p("172.16.0.0/12"),
                kind: 1,
                protocol: 4,
                scope: 0,
                flags: 0,
                metric: 0,
                gateway: None,
                pref_src: None,
                dev: None,
                nexthops: vec![hop("198.51.100.1", "bond0"), hop("192.0.2.1", "eno1")],
            })
            .unwrap();
        }
        let mut a = b.clone();
        map_routes(&mut a, |mut e| {
            if e.dst == p("172.16.0.0/12") {
                e.nexthops.truncate(1);
            }
            Some(e)
        });
        assert_eq!(
            rows(&b, &a),
            [row(
                Severity::Critical,
                "route 172.16.0.0/12 table main metric 0",
                "route"
            )]
        );
    }

    #[test]
    fn a_destination_losing_a_next_hop_is_critical() {
        let hop = |g: &str, d: &str| (Some(g.parse().unwrap()), Some(d.to_owned()), 1u16, 0u8);
        let mut b = lb_healthy();
        map_routes(&mut b, |mut e| {
            if e.dst == p("0.0.0.0/0") && e.table == 254 {
                e.gateway = None;
                e.dev = None;
                e.nexthops = vec![hop("198.51.100.1", "bond0"), hop("192.0.2.1", "eno1")];
            }
            Some(e)
        });
        let mut a = b.clone();
        map_routes(&mut a, |mut e| {
            if e.dst == p("0.0.0.0/0") && e.table == 254 {
                e.nexthops.truncate(1);
            }
            Some(e)
        });
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert_eq!(changes[0].severity, Severity::Critical);
        assert_eq!(
            changes[0].before,
            Value::known("bond0 via 198.51.100.1, eno1 via 192.0.2.1")
        );
        assert!(
            changes[0].why.contains("next hop was lost"),
            "{}",
            changes[0].why
        );
    }

    #[test]
    fn routes_added_and_removed_and_the_kernels_own() {
        let b = lb_healthy();
        let mut a = b.clone();
        // The management route goes, a kernel-made route goes with it.
        map_routes(&mut a, |e| {
            (e.dst != p("10.0.0.0/8") && e.dst != p("192.0.2.0/24")).then_some(e)
        });
        assert_eq!(
            rows(&b, &a),
            [
                row(
                    Severity::Warning,
                    "route 10.0.0.0/8 table main metric 0",
                    "route"
                ),
                row(
                    Severity::Info,
                    "route 192.0.2.0/24 table main metric 0",
                    "route"
                ),
            ]
        );
        let mut c = b.clone();
        map_routes(&mut c, |mut e| {
            e.flags = 16;
            Some(e)
        });
        assert!(
            rows(&b, &c).iter().all(|r| r.0 == Severity::Info),
            "{:?}",
            rows(&b, &c)
        );
    }
}
