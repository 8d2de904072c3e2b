//! LLDP neighbours: what each port faces. A port that no longer hears its
//! switch port, hears another, or hears one where it heard none is a cable
//! pulled, moved or plugged: critical. The same far end with other VLANs
//! or another port channel is a switch port reconfigured; its names and
//! the neighbour's age are routine.

use super::{Change, Ctx, Listed, Severity, Value, part, storage_part};
use crate::snapshot::{Fact, LldpNeighbor, LldpPort};

/// The whole of them, when a side could not read them.
const PART: &str = "lldp neighbours";

/// What a port faces, or why that cannot be read when a neighbour it hears
/// cannot be told.
fn shown(p: &LldpPort) -> Value {
    if let Some(m) = p.heard.iter().find_map(|n| n.identity().err()) {
        return Value::Unknown(m.clone());
    }
    Value::known(
        p.heard
            .iter()
            .map(|n| n.shown())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn same_far_ends(b: &LldpPort, a: &LldpPort) -> bool {
    b.heard.len() == a.heard.len()
        && b.heard
            .iter()
            .all(|x| a.heard.iter().any(|y| x.same_far_end(y)))
}

fn vlans(n: &LldpNeighbor) -> Value {
    Value::of(&n.vlans, |vlans| {
        if vlans.is_empty() {
            return "none".to_owned();
        }
        vlans
            .iter()
            .map(|v| {
                let mut s = v.id.to_string();
                if v.pvid {
                    s.push_str(" (pvid)");
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn aggregation(n: &LldpNeighbor) -> Value {
    Value::of(&n.aggregation_port_id, |a| {
        a.map_or_else(|| "not aggregated".to_owned(), |a| format!("port {a}"))
    })
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let (b, a) = (&ctx.before.lldp, &ctx.after.lldp);
    // A host without lldpd on both sides has nothing to compare: routine,
    // not a warning in every diff of such a host.
    let both = if let (Fact::Unknown(x), Fact::Unknown(y)) = (b, a)
        && x.reason != crate::snapshot::Reason::NotCaptured
        && x.reason == y.reason
    {
        part(out, PART, Severity::Info, b, a)
    } else {
        storage_part(out, PART, b, a)
    };
    let Some((before, after)) = both else {
        return;
    };
    // Each port by what it faces, as the cabling check judges it: lldpd
    // hearing CDP beside LLDP, or no longer, is no cable moved.
    let (before, after) = (LldpNeighbor::by_port(before), LldpNeighbor::by_port(after));
    Listed::<LldpPort> {
        kind: "lldp",
        field: "neighbor",
        same: |b, a| b.iface == a.iface,
        subject: &|p| p.iface.to_owned(),
        value: shown,
        gone: &|p| {
            Some((
                Severity::Critical,
                format!(
                    "{} no longer hears its switch port: the cable is out or loose, the link or the switch port down",
                    p.iface
                ),
            ))
        },
        new: &|p| {
            Some((
                Severity::Critical,
                format!(
                    "{} hears a switch port it did not: a cable was plugged in or moved here",
                    p.iface
                ),
            ))
        },
    }
    .compare(&before, &after, out, |at, b, a, out| {
        let (was, is) = (shown(b), shown(a));
        if matches!(was, Value::Unknown(_)) || matches!(is, Value::Unknown(_)) {
            // A far end that cannot be told on one side is no cable moved,
            // nor proof that none was.
            if was != is {
                at.push(
                    out,
                    Severity::Warning,
                    "neighbor",
                    was,
                    is,
                    format!(
                        "what {} faces could not be read on one side: whether its cable moved cannot be seen",
                        b.iface
                    ),
                );
            }
            return;
        }
        if !same_far_ends(b, a) {
            at.push(
                out,
                Severity::Critical,
                "neighbor",
                was,
                is,
                format!(
                    "{} faces another switch port: the cable was moved, and the switch port's configuration (VLANs, port channel) no longer serves it",
                    b.iface
                ),
            );
            return;
        }
        for x in &b.heard {
            let Some(y) = a.heard.iter().find(|y| x.same_far_end(y)) else {
                continue;
            };
            let mut field = |name: &str, severity, show: fn(&LldpNeighbor) -> Value, why: &str| {
                let (was, is) = (show(x), show(y));
                if was == is {
                    return;
                }
                if matches!(was, Value::Unknown(_)) || matches!(is, Value::Unknown(_)) {
                    let why = format!("{name} could not be read on one side: its changes cannot be seen");
                    at.push(out, Severity::Warning, name, was, is, why);
                } else {
                    at.push(out, severity, name, was, is, why);
                }
            };
            field(
                "vlans",
                Severity::Warning,
                vlans,
                "the switch port's VLANs changed: traffic of a VLAN no longer carried is dropped",
            );
            field(
                "aggregation",
                Severity::Warning,
                aggregation,
                "the switch port joined or left a port channel: the bond's LACP partner changes",
            );
            field(
                "switch",
                Severity::Info,
                |n| Value::known(n.switch()),
                "the switch was renamed",
            );
            field(
                "port_description",
                Severity::Info,
                |n| Value::known(n.port_description.clone().unwrap_or_default()),
                "the switch port's description changed",
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::{LldpVlan, Missing, Reason};

    fn neighbours(s: &mut crate::snapshot::Snapshot) -> &mut Vec<LldpNeighbor> {
        match &mut s.lldp {
            Fact::Known(n) => n,
            Fact::Unknown(m) => panic!("lb-healthy has LLDP neighbours: {m}"),
        }
    }

    #[test]
    fn a_cable_moved_pulled_or_plugged_is_critical() {
        let b = lb_healthy();
        let mut swapped = b.clone();
        let n = neighbours(&mut swapped);
        let (f0, f1) = (
            n.iter().position(|n| n.iface == "enp65s0f0").unwrap(),
            n.iter().position(|n| n.iface == "enp65s0f1").unwrap(),
        );
        n.swap(f0, f1);
        n[f0].iface = "enp65s0f0".into();
        n[f1].iface = "enp65s0f1".into();
        assert_eq!(
            rows(&b, &swapped),
            [
                row(Severity::Critical, "lldp enp65s0f0", "neighbor"),
                row(Severity::Critical, "lldp enp65s0f1", "neighbor"),
            ]
        );
        let changes = crate::diff::compare(&b, &swapped);
        assert_eq!(
            changes[0].before,
            Value::known("sw-a.dc1.example.net Ethernet17")
        );
        assert_eq!(
            changes[0].after,
            Value::known("sw-b.dc1.example.net Ethernet17")
        );

        let mut pulled = b.clone();
        neighbours(&mut pulled).retain(|n| n.iface != "eno1");
        assert_eq!(
            rows(&b, &pulled),
            [row(Severity::Critical, "lldp eno1", "neighbor")]
        );
        let gone = &crate::diff::compare(&b, &pulled)[0];
        assert_eq!(gone.after, Value::Absent);
        // Plugged back in: new.
        let back = &crate::diff::compare(&pulled, &b)[0];
        assert_eq!(
            (back.severity, &back.before),
            (Severity::Critical, &Value::Absent)
        );
    }

    #[test]
    fn lldpd_hearing_cdp_too_is_no_change_of_what_a_port_faces() {
        // lldpd restarted with `-c` between the captures: each switch is
        // heard over CDP beside LLDP, under another name and chassis id.
        let b = lb_healthy();
        let mut a = b.clone();
        let cdp: Vec<LldpNeighbor> = neighbours(&mut a)
            .iter()
            .map(|n| LldpNeighbor {
                via: "CDPv2".into(),
                chassis_id: Fact::Known(crate::snapshot::LldpId {
                    kind: "local".into(),
                    value: format!("{}(FOX1234ABCD)", n.switch()),
                }),
                system_name: Some(format!("{}(FOX1234ABCD)", n.switch())),
                ..n.clone()
            })
            .collect();
        neighbours(&mut a).extend(cdp);
        assert_eq!(rows(&b, &a), []);
        assert_eq!(rows(&a, &b), []);
    }

    #[test]
    fn a_far_end_or_tlv_unreadable_on_one_side_warns_and_is_no_moved_cable() {
        let b = lb_healthy();
        let mut a = b.clone();
        for n in neighbours(&mut a) {
            if n.iface == "enp65s0f0" {
                n.port_id = Fact::Unknown(Missing::new(Reason::Malformed, "no port id"));
            }
            if n.iface == "enp65s0f1" {
                n.vlans = Fact::Unknown(Missing::new(Reason::Malformed, "vlan-id \"0\""));
            }
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "lldp enp65s0f0", "neighbor"),
                row(Severity::Warning, "lldp enp65s0f1", "vlans"),
            ]
        );
        let changes = crate::diff::compare(&b, &a);
        assert_eq!(
            changes[0].after,
            Value::Unknown(Missing::new(Reason::Malformed, "no port id"))
        );
        // The same unreadable TLV on both sides is no change.
        assert_eq!(rows(&a, &a.clone()), []);
    }

    #[test]
    fn a_reconfigured_switch_port_warns_and_its_age_is_nothing() {
        let b = lb_healthy();
        let mut a = b.clone();
        for n in neighbours(&mut a) {
            n.age_seconds = n.age_seconds.clone().map(|s| s.map(|s| s + 600));
            if n.iface == "enp65s0f0" {
                if let Fact::Known(vlans) = &mut n.vlans {
                    vlans.push(LldpVlan {
                        id: 200,
                        name: None,
                        pvid: false,
                    });
                }
                n.aggregation_port_id = Fact::Known(None);
                n.port_description = Some("spare".into());
            }
        }
        assert_eq!(
            fields(&crate::diff::compare(&b, &a)),
            [
                (Severity::Warning, "vlans"),
                (Severity::Warning, "aggregation"),
                (Severity::Info, "port_description"),
            ]
        );
    }

    #[test]
    fn lldpd_down_on_one_side_is_said_and_captures_without_lldp_are_not_compared() {
        let b = lb_healthy();
        let mut a = b.clone();
        a.lldp = Fact::Unknown(Missing::new(Reason::NotRunning, "lldpd is not running"));
        assert_eq!(rows(&b, &a), [row(Severity::Warning, PART, PART)]);
        let mut old = b.clone();
        old.lldp = Fact::Unknown(Missing::new(Reason::NotCaptured, "the fixture has no x"));
        assert_eq!(rows(&old, &old.clone()), []);
        let changes = crate::diff::compare(&a, &a.clone());
        assert_eq!(fields(&changes), [(Severity::Info, PART)]);
    }
}
