//! Bonds and their members: a member lost, down, slower or in another
//! LACP aggregator is a bond running on fewer legs.

use super::link::state;
use super::{At, Change, Ctx, Listed, Severity, Value, part, speed};
use crate::snapshot::{Bond, BondLacp, BondMember, Duplex, Fact, MemberLacp, Snapshot};

const NO_PARTNER: &str = "00:00:00:00:00:00";

fn members_text(b: &Bond) -> String {
    match b.members.known() {
        Some(m) if m.is_empty() => "no members".into(),
        Some(m) => m
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => "?".into(),
    }
}

fn summary(b: &Bond) -> String {
    format!(
        "{}, members {}",
        b.mode.known().map_or("?", |m| m.as_str()),
        members_text(b)
    )
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = part(
        out,
        "bonds",
        Severity::Warning,
        &ctx.before.bonds,
        &ctx.after.bonds,
    ) else {
        return;
    };
    Listed::<Bond> {
        kind: "bond",
        field: "bond",
        same: |b, a| b.name == a.name,
        subject: &|b| b.name.clone(),
        value: |b| Value::known(summary(b)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the bond is gone: the traffic it carried has lost its redundant path".into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new bond".into())),
    }
    .compare(before, after, out, |at, b, a, out| one(ctx, at, b, a, out));
}

fn one(ctx: &Ctx, at: &At, b: &Bond, a: &Bond, out: &mut Vec<Change>) {
    at.fact(
        out,
        "mode",
        &b.mode,
        &a.mode,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another bonding mode: the switch side must match it".into(),
            ))
        },
    );
    at.fact(
        out,
        "miimon",
        &b.miimon_ms,
        &a.miimon_ms,
        |ms| format!("{ms}ms"),
        Severity::Warning,
        |_, y| {
            Some((
                Severity::Warning,
                if *y == 0 {
                    "the MII monitor was switched off: a member's failure may go unseen".into()
                } else {
                    "the MII monitor polls at another interval".into()
                },
            ))
        },
    );
    at.fact(
        out,
        "mii",
        &b.mii_status,
        &a.mii_status,
        String::clone,
        Severity::Warning,
        |x, _| {
            Some(if x == "up" {
                (
                    Severity::Critical,
                    "the bond is down: every path through it is gone".into(),
                )
            } else {
                (Severity::Warning, "the bond's state changed".into())
            })
        },
    );
    at.fact(
        out,
        "active member",
        &b.active_member,
        &a.active_member,
        |m| m.clone().unwrap_or_else(|| "none".into()),
        Severity::Warning,
        |_, y| {
            Some(match y {
                None => (
                    Severity::Critical,
                    "no member is active: the bond carries nothing".into(),
                ),
                Some(m) => (
                    Severity::Warning,
                    format!("the bond failed over: {m} carries the traffic now"),
                ),
            })
        },
    );
    config(at, b, a, out);
    lacp(at, &b.lacp, &a.lacp, out);
    let (Fact::Known(bm), Fact::Known(am)) = (&b.members, &a.members) else {
        at.fact(
            out,
            "members",
            &b.members,
            &a.members,
            |_| members_text(b),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    // The aggregator the bond transmits on after: a member in another one
    // carries nothing.
    let bond_aggregator = match a.lacp.known() {
        Some(Some(l)) => l.active_aggregator_id.known().copied().flatten(),
        _ => None,
    };
    Listed::<BondMember> {
        kind: "bond",
        field: "member",
        same: |m, n| m.name == n.name,
        subject: &|m| format!("{} member {}", b.name, m.name),
        value: |m| Value::known(m.mii_status.known().map_or("?", |s| s.as_str())),
        gone: &|m| {
            Some((
                Severity::Critical,
                format!(
                    "{} left {}: the bond runs on fewer legs, with less capacity and less \
                     redundancy",
                    m.name, b.name
                ),
            ))
        },
        new: &|n| Some((Severity::Warning, format!("{} joined {}", n.name, a.name))),
    }
    .compare(bm, am, out, |mat, m, n, out| {
        member(ctx, mat, m, n, bond_aggregator, out)
    });
}

/// The bond's settings: each one changed is a bond configured another way
/// than before the maintenance.
fn config(at: &At, b: &Bond, a: &Bond, out: &mut Vec<Change>) {
    fn why<T>(what: &'static str) -> impl FnOnce(&T, &T) -> Option<(Severity, String)> {
        move |_, _| Some((Severity::Warning, what.to_owned()))
    }
    at.fact(
        out,
        "xmit hash policy",
        &b.xmit_hash_policy,
        &a.xmit_hash_policy,
        |p| p.clone().unwrap_or_else(|| "none".into()),
        Severity::Warning,
        why("traffic is spread over the members another way: the switch's hashing may no longer match"),
    );
    for (field, x, y) in [
        ("updelay", &b.up_delay_ms, &a.up_delay_ms),
        ("downdelay", &b.down_delay_ms, &a.down_delay_ms),
        ("arp interval", &b.arp_interval_ms, &a.arp_interval_ms),
    ] {
        at.fact(
            out,
            field,
            x,
            y,
            |ms| format!("{ms}ms"),
            Severity::Warning,
            why("the bond reacts to a member's link on another schedule"),
        );
    }
    at.fact(
        out,
        "arp targets",
        &b.arp_targets,
        &a.arp_targets,
        |t| {
            if t.is_empty() {
                "none".into()
            } else {
                t.join(",")
            }
        },
        Severity::Warning,
        why("the ARP monitor probes other addresses"),
    );
    at.fact(
        out,
        "primary",
        &b.primary,
        &a.primary,
        |p| p.clone().unwrap_or_else(|| "none".into()),
        Severity::Warning,
        why("another member is preferred as the active one"),
    );
}

fn partner_text(m: &Option<String>) -> String {
    m.clone().unwrap_or_else(|| "none".into())
}

fn lacp(at: &At, b: &Fact<Option<BondLacp>>, a: &Fact<Option<BondLacp>>, out: &mut Vec<Change>) {
    let (Fact::Known(Some(x)), Fact::Known(Some(y))) = (b, a) else {
        at.fact(
            out,
            "lacp",
            b,
            a,
            |l| if l.is_some() { "802.3ad" } else { "-" }.into(),
            Severity::Warning,
            |_, _| Some((Severity::Warning, "LACP on one side only".into())),
        );
        return;
    };
    at.fact(
        out,
        "lacp rate",
        &x.rate,
        &y.rate,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another LACP rate: a failure is noticed at another speed".into(),
            ))
        },
    );
    at.fact(
        out,
        "aggregator",
        &x.active_aggregator_id,
        &y.active_aggregator_id,
        |id| id.map_or("none".into(), |id| id.to_string()),
        Severity::Warning,
        |_, y| {
            Some(match y {
                None => (
                    Severity::Critical,
                    "the bond has no active aggregator: it carries nothing".into(),
                ),
                Some(_) => (
                    Severity::Warning,
                    "the bond transmits on another aggregator".into(),
                ),
            })
        },
    );
    at.fact(
        out,
        "partner",
        &x.partner_mac,
        &y.partner_mac,
        partner_text,
        Severity::Warning,
        |_, y| Some(partner_change(y.as_deref())),
    );
}

fn partner_change(after: Option<&str>) -> (Severity, String) {
    match after {
        None | Some(NO_PARTNER) => (
            Severity::Critical,
            "no LACP partner answers: the switch side is not aggregating".into(),
        ),
        Some(_) => (
            Severity::Warning,
            "another LACP partner: the link faces another switch".into(),
        ),
    }
}

/// Whether the member's link (by name) shows the same change of `field`
/// in the link comparison, which then says it once.
fn link_says<T: PartialEq>(
    s: (&Snapshot, &Snapshot),
    name: &str,
    get: impl Fn(&crate::snapshot::Link) -> &Fact<T>,
    before: &Fact<T>,
    after: &Fact<T>,
) -> bool {
    match (s.0.link(name), s.1.link(name)) {
        (Some(lb), Some(la)) => {
            get(lb).known().is_some()
                && get(la).known().is_some()
                && get(lb).known() == before.known()
                && get(la).known() == after.known()
        }
        _ => false,
    }
}

fn member(
    ctx: &Ctx,
    at: &At,
    b: &BondMember,
    a: &BondMember,
    bond_aggregator: Option<u32>,
    out: &mut Vec<Change>,
) {
    // Whether a side is up: a member (or link) that went down or came up
    // changed everything else with it.
    let up = |s: &str| s == "up";
    let flipped = |x: Option<&String>, y: Option<&String>| matches!((x, y), (Some(x), Some(y)) if up(x) != up(y));
    let went_down_or_up = flipped(b.mii_status.known(), a.mii_status.known());
    let went_down = went_down_or_up && b.mii_status.known().is_some_and(|s| up(s));
    let name = b.name.as_str();
    // The member's own link going down (or up) says the same, once,
    // naming the bond.
    let link_flipped = match (ctx.before.link(name), ctx.after.link(name)) {
        (Some(lb), Some(la)) => flipped(state(lb).known(), state(la).known()),
        _ => false,
    };
    if !(went_down_or_up && link_flipped) {
        at.fact(
            out,
            "mii",
            &b.mii_status,
            &a.mii_status,
            String::clone,
            Severity::Warning,
            |x, y| {
                Some(if up(x) {
                    (
                        Severity::Critical,
                        format!("the bond lost {name}: it runs on fewer legs"),
                    )
                } else if up(y) {
                    (Severity::Warning, format!("the bond has {name} back"))
                } else {
                    (Severity::Warning, format!("the bond sees {name} as {y}"))
                })
            },
        );
    }
    // A member that went down has no speed, duplex or LACP partner (and
    // one that came up has them again): the state says it. A speed that
    // the link itself shows changed is said there, once.
    let snaps = (ctx.before, ctx.after);
    if !went_down_or_up {
        let said = link_says(snaps, name, |l| &l.speed_mbps, &b.speed_mbps, &a.speed_mbps);
        if !said {
            at.fact(
                out,
                "speed",
                &b.speed_mbps,
                &a.speed_mbps,
                |m| speed(*m),
                Severity::Warning,
                |x, y| {
                    Some(if y < x {
                        (
                            Severity::Critical,
                            format!(
                                "the bond sees {name} at {} instead of {}: less capacity",
                                speed(*y),
                                speed(*x)
                            ),
                        )
                    } else {
                        (Severity::Warning, format!("{name} runs faster now"))
                    })
                },
            );
        }
        let said = link_says(snaps, name, |l| &l.duplex, &b.duplex, &a.duplex);
        if !said {
            at.fact(
                out,
                "duplex",
                &b.duplex,
                &a.duplex,
                |d| match d {
                    Duplex::Full => "full".into(),
                    Duplex::Half => "half".into(),
                },
                Severity::Warning,
                |_, y| {
                    Some(if *y == Duplex::Half {
                        (Severity::Critical, "half duplex".into())
                    } else {
                        (Severity::Warning, "full duplex now".into())
                    })
                },
            );
        }
        member_lacp(at, &b.lacp, &a.lacp, bond_aggregator, out);
    }
    at.fact(
        out,
        "permanent mac",
        &b.permanent_mac,
        &a.permanent_mac,
        |m| m.clone().unwrap_or_else(|| "-".into()),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another NIC under this name: it was replaced".into(),
            ))
        },
    );
    if ctx.boot.same()
        && let (Fact::Known(x), Fact::Known(y)) = (&b.link_failure_count, &a.link_failure_count)
        && y > x
        && y - x > u64::from(went_down)
    {
        at.push(
            out,
            Severity::Warning,
            "link failures",
            Value::known(x.to_string()),
            Value::known(y.to_string()),
            format!(
                "the bond saw {name}'s link fail {} times during the window",
                y - x
            ),
        );
    }
}

fn member_lacp(
    at: &At,
    b: &Fact<Option<MemberLacp>>,
    a: &Fact<Option<MemberLacp>>,
    bond_aggregator: Option<u32>,
    out: &mut Vec<Change>,
) {
    let (Fact::Known(Some(x)), Fact::Known(Some(y))) = (b, a) else {
        at.fact(
            out,
            "lacp",
            b,
            a,
            |l| if l.is_some() { "802.3ad" } else { "-" }.into(),
            Severity::Warning,
            |_, _| Some((Severity::Warning, "LACP on one side only".into())),
        );
        return;
    };
    at.fact(
        out,
        "aggregator",
        &x.aggregator_id,
        &y.aggregator_id,
        |id| id.map_or("none".into(), |id| id.to_string()),
        Severity::Warning,
        |_, y| {
            Some(if y.is_some() && *y == bond_aggregator {
                (
                    Severity::Warning,
                    "the member is in the bond's active aggregator now: it carries traffic again"
                        .into(),
                )
            } else {
                (
                    Severity::Critical,
                    "the member moved to another aggregator: it carries no traffic with the \
                     others"
                        .into(),
                )
            })
        },
    );
    at.fact(
        out,
        "partner",
        &x.partner_mac,
        &y.partner_mac,
        String::clone,
        Severity::Warning,
        |_, y| Some(partner_change(Some(y.as_str()))),
    );
    for (field, p, q) in [
        ("actor churn", &x.actor_churn, &y.actor_churn),
        ("partner churn", &x.partner_churn, &y.partner_churn),
    ] {
        at.fact(
            out,
            field,
            p,
            q,
            String::clone,
            Severity::Warning,
            |_, y| {
                Some(if y == "churned" {
                    (
                        Severity::Critical,
                        "the port churned: it and the switch port no longer agree, and it \
                         carries nothing"
                            .into(),
                    )
                } else {
                    (Severity::Info, "the port's churn detection moved on".into())
                })
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_churned_port_is_critical_and_the_hash_policy_a_warning() {
        let b = lb_healthy();
        let mut a = b.clone();
        let bond0 = bond(&mut a, "bond0");
        bond0.xmit_hash_policy = Fact::Known(Some("layer2".into()));
        if let Fact::Known(m) = &mut bond0.members
            && let Fact::Known(Some(l)) = &mut m[1].lacp
        {
            l.partner_churn = Fact::Known("churned".into());
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(
                    Severity::Critical,
                    "bond bond0 member enp65s0f1",
                    "partner churn"
                ),
                row(Severity::Warning, "bond bond0", "xmit hash policy"),
            ]
        );
    }

    #[test]
    fn a_member_lost_or_in_another_aggregator_is_critical() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(m) = &mut bond(&mut a, "bond0").members {
            m.retain(|m| m.name != "enp65s0f1");
        }
        assert_eq!(
            rows(&b, &a),
            [row(
                Severity::Critical,
                "bond bond0 member enp65s0f1",
                "member"
            )]
        );
        assert_eq!(
            rows(&a, &b),
            [row(
                Severity::Warning,
                "bond bond0 member enp65s0f1",
                "member"
            )]
        );

        let mut a = b.clone();
        if let Fact::Known(m) = &mut bond(&mut a, "bond0").members
            && let Fact::Known(Some(l)) = &mut m[1].lacp
        {
            l.aggregator_id = Fact::Known(Some(2));
            l.partner_mac = Fact::Known(NO_PARTNER.into());
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(
                    Severity::Critical,
                    "bond bond0 member enp65s0f1",
                    "aggregator"
                ),
                row(Severity::Critical, "bond bond0 member enp65s0f1", "partner"),
            ]
        );
    }

    #[test]
    fn a_member_down_is_said_once_by_its_link_or_by_the_bond() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(m) = &mut bond(&mut a, "bond0").members {
            m[1].mii_status = Fact::Known("down".into());
            m[1].link_failure_count = m[1].link_failure_count.clone().map(|n| n + 1);
        }
        // The bond sees the member down while its link still looks up (an
        // ARP monitor, a driver that lies): the bond says it.
        assert_eq!(
            rows(&b, &a),
            [row(
                Severity::Critical,
                "bond bond0 member enp65s0f1",
                "mii"
            )]
        );
        // The link went down too: the link says it, naming the bond.
        link(&mut a, "enp65s0f1").iface.operstate = Fact::Known("down".into());
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert_eq!(
            (changes[0].kind, changes[0].subject.as_str()),
            ("link", "enp65s0f1")
        );
        assert!(
            changes[0].why.contains("a member of bond0"),
            "{}",
            changes[0].why
        );
    }

    #[test]
    fn failovers_and_link_failures() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(m) = &mut bond(&mut a, "bond0").members {
            m[0].link_failure_count = m[0].link_failure_count.clone().map(|n| n + 2);
        }
        bond(&mut a, "bond0").miimon_ms = Fact::Known(0);
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "bond bond0", "miimon"),
                row(
                    Severity::Warning,
                    "bond bond0 member enp65s0f0",
                    "link failures"
                ),
            ]
        );
    }

    #[test]
    fn a_bond_gone_is_critical() {
        let b = lb_healthy();
        let mut a = b.clone();
        a.bonds = Fact::Known(vec![]);
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "bond bond0", "bond")]
        );
    }
}
