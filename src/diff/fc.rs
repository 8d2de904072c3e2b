//! Fibre Channel ports: a port no longer Online, or slower, takes every
//! path through it; error counters that grew are a cable or optic going
//! bad.

use std::collections::BTreeMap;

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{FC_ERROR_COUNTERS, Fact, FcHost, gbit_text};

const ONLINE: &str = "Online";

fn speed_text(s: &Option<f64>) -> String {
    s.map_or("none".into(), gbit_text)
}

fn summary(h: &FcHost) -> String {
    let state = h.port_state.known().map_or("?", |s| s.as_str());
    match h.speed_gbps.known() {
        Some(Some(s)) => format!("{state}, {}", gbit_text(*s)),
        _ => state.to_owned(),
    }
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "fc ports",
        &ctx.before.storage.fc_hosts,
        &ctx.after.storage.fc_hosts,
    ) else {
        return;
    };
    Listed::<FcHost> {
        kind: "fc",
        field: "port",
        same: |b, a| b.name == a.name,
        subject: &|h| h.name.clone(),
        value: |h| Value::known(summary(h)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the FC port is gone (its HBA or driver went away): every path through it went \
                 with it"
                    .into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new FC port".into())),
    }
    .compare(before, after, out, |at, b, a, out| one(ctx, at, b, a, out));
}

fn one(ctx: &Ctx, at: &At, b: &FcHost, a: &FcHost, out: &mut Vec<Change>) {
    let state_changed =
        matches!((b.port_state.known(), a.port_state.known()), (Some(x), Some(y)) if x != y);
    // What the errors counted while the port went down belongs to that
    // change, and is said with it.
    let counted = if state_changed {
        errors_grown(ctx, b, a)
    } else {
        Vec::new()
    };
    at.fact(
        out,
        "port state",
        &b.port_state,
        &a.port_state,
        String::clone,
        Severity::Warning,
        |x, y| {
            let during = if counted.is_empty() {
                String::new()
            } else {
                format!("; it counted {} during the window", counted.join(", "))
            };
            Some(if x == ONLINE {
                (
                    Severity::Critical,
                    format!(
                        "the port is {y}: every path through it is down (a cable, optic or \
                         switch port){during}"
                    ),
                )
            } else if y == ONLINE {
                (
                    Severity::Warning,
                    format!("the port is online again{during}"),
                )
            } else {
                (
                    Severity::Warning,
                    format!("the port's state changed{during}"),
                )
            })
        },
    );
    // A port that went down has no speed: its state says so.
    let folded = state_changed
        && matches!(
            (b.speed_gbps.known(), a.speed_gbps.known()),
            (Some(None), _) | (_, Some(None))
        );
    if !folded {
        at.fact(
            out,
            "speed",
            &b.speed_gbps,
            &a.speed_gbps,
            speed_text,
            Severity::Warning,
            |x, y| {
                Some(match (x, y) {
                    (Some(x), Some(y)) if y < x => (
                        Severity::Critical,
                        format!(
                            "the port negotiated {} instead of {}: less capacity, after a bad \
                             cable, optic or switch port",
                            gbit_text(*y),
                            gbit_text(*x)
                        ),
                    ),
                    (Some(_), None) => (
                        Severity::Critical,
                        "the port negotiated no speed: it carries nothing".into(),
                    ),
                    _ => (Severity::Warning, "the port runs faster now".into()),
                })
            },
        );
    }
    at.fact(
        out,
        "port name",
        &b.port_name,
        &a.port_name,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another WWPN under this host: the HBA was replaced or the hosts renumbered; \
                 zoning and LUN masking follow the WWPN"
                    .into(),
            ))
        },
    );
    if !state_changed {
        at.fact(
            out,
            "fabric",
            &b.fabric_name,
            &a.fabric_name,
            String::clone,
            Severity::Warning,
            |_, _| {
                Some((
                    Severity::Warning,
                    "the port is on another fabric: check that the HBA ports still reach the \
                     array through two fabrics"
                        .into(),
                ))
            },
        );
    }
    at.fact(
        out,
        "adapter",
        &b.adapter,
        &a.adapter,
        |d| d.clone().unwrap_or_else(|| "-".into()),
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the port sits on another PCI function: moved or replaced".into(),
            ))
        },
    );
    if !state_changed {
        statistics(ctx, at, b, a, out);
    }
}

/// `link_failure_count +1` for each error counter that grew.
fn errors_grown(ctx: &Ctx, b: &FcHost, a: &FcHost) -> Vec<String> {
    let (Fact::Known(x), Fact::Known(y)) = (&b.statistics, &a.statistics) else {
        return Vec::new();
    };
    if !ctx.boot.same() {
        return Vec::new();
    }
    FC_ERROR_COUNTERS
        .iter()
        .filter_map(|name| match (x.get(*name), y.get(*name)) {
            (Some(Fact::Known(p)), Some(Fact::Known(q))) if q > p => {
                Some(format!("{name} +{}", q - p))
            }
            _ => None,
        })
        .collect()
}

/// Error counters that grew are warnings, one row each; every other
/// counter (frames, words, megabytes, requests, time since reset) is
/// traffic, one routine row for all.
fn statistics(ctx: &Ctx, at: &At, b: &FcHost, a: &FcHost, out: &mut Vec<Change>) {
    if !ctx.boot.same() {
        return;
    }
    let (x, y) = match (&b.statistics, &a.statistics) {
        (Fact::Known(x), Fact::Known(y)) => (x, y),
        (bs, as_) => {
            at.fact(
                out,
                "statistics",
                bs,
                as_,
                |_| "read".into(),
                Severity::Warning,
                |_, _| None,
            );
            return;
        }
    };
    let unknown = Fact::unknown(crate::snapshot::Reason::Absent, "no such counter");
    let get = |m: &BTreeMap<String, Fact<u64>>, name: &str| m.get(name).unwrap_or(&unknown).clone();
    for name in FC_ERROR_COUNTERS {
        at.counter(ctx, out, name, &get(x, name), &get(y, name), 0, |n| {
            format!(
                "{n} more during the window: a dirty or damaged optic or cable, or a bad switch \
                 port"
            )
        });
    }
    let moved: Vec<&str> = x
        .iter()
        .filter(|(name, _)| !FC_ERROR_COUNTERS.contains(&name.as_str()))
        .filter(|(name, v)| match (v, y.get(name.as_str())) {
            (Fact::Known(p), Some(Fact::Known(q))) => p != q,
            _ => false,
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if !moved.is_empty() {
        let frames = |m: &BTreeMap<String, Fact<u64>>| {
            let n = |k: &str| {
                m.get(k)
                    .and_then(|v| v.known())
                    .map_or("?".into(), u64::to_string)
            };
            format!("rx {} frames, tx {} frames", n("rx_frames"), n("tx_frames"))
        };
        at.push(
            out,
            Severity::Info,
            "traffic",
            Value::known(frames(x)),
            Value::known(frames(y)),
            format!("routine counters moved: {}", moved.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Snapshot;

    fn port<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut FcHost {
        let Fact::Known(hosts) = &mut s.storage.fc_hosts else {
            panic!("fc unknown")
        };
        hosts
            .iter_mut()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no port {name}"))
    }

    fn bump(h: &mut FcHost, counter: &str, by: u64) {
        if let Fact::Known(stats) = &mut h.statistics
            && let Some(Fact::Known(v)) = stats.get_mut(counter)
        {
            *v += by;
        }
    }

    #[test]
    fn a_port_down_is_one_critical_row_with_what_it_counted() {
        let b = san_healthy();
        let mut a = b.clone();
        let h = port(&mut a, "host4");
        h.port_state = Fact::Known("Linkdown".into());
        h.speed_gbps = Fact::Known(None);
        bump(h, "link_failure_count", 1);
        bump(h, "rx_frames", 1000);
        let changes = super::super::compare(&b, &a);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert_eq!(changes[0].severity, Severity::Critical);
        assert!(
            changes[0].why.contains("link_failure_count +1"),
            "{}",
            changes[0].why
        );
    }

    #[test]
    fn slower_is_critical_errors_are_warnings_traffic_is_routine() {
        let b = san_healthy();
        let mut a = b.clone();
        let h = port(&mut a, "host3");
        h.speed_gbps = Fact::Known(Some(16.0));
        bump(h, "invalid_crc_count", 7);
        bump(h, "rx_frames", 1000);
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "fc host3", "speed"),
                row(Severity::Warning, "fc host3", "invalid_crc_count"),
                row(Severity::Info, "fc host3", "traffic"),
            ]
        );
    }
}
