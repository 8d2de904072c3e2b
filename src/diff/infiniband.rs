//! InfiniBand and RoCE ports: a port no longer ACTIVE or LinkUp, trained
//! slower or narrower, or counting errors during the window is a fabric
//! link lost or going bad.

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{Fact, IB_ERROR_COUNTERS, IbDevice, IbPort, gbit_text};

const ACTIVE: &str = "ACTIVE";
const LINK_UP: &str = "LinkUp";

fn summary(p: &IbPort) -> String {
    let state = p.state.known().map_or("?", |s| s.as_str());
    match (p.rate_gbps.known(), p.width.known()) {
        (Some(r), Some(w)) => format!("{state}, {} {w}X", gbit_text(*r)),
        _ => state.to_owned(),
    }
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    // Captures made before hostlint read RDMA devices hold none: as a
    // storage part, not compared then.
    let Some((before, after)) = storage_part(
        out,
        "infiniband",
        &ctx.before.infiniband,
        &ctx.after.infiniband,
    ) else {
        return;
    };
    Listed::<IbDevice> {
        kind: "infiniband",
        field: "device",
        same: |b, a| b.name == a.name,
        subject: &|d| d.name.clone(),
        value: |d| Value::of(&d.hca_type, String::clone),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the RDMA device is gone (its adapter or driver went away): every fabric path \
                 through it went with it"
                    .into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new RDMA device".into())),
    }
    .compare(before, after, out, |at, b, a, out| {
        device(ctx, at, b, a, out)
    });
}

fn device(ctx: &Ctx, at: &At, b: &IbDevice, a: &IbDevice, out: &mut Vec<Change>) {
    at.fact(
        out,
        "firmware",
        &b.firmware_version,
        &a.firmware_version,
        String::clone,
        Severity::Warning,
        |_, _| Some((Severity::Warning, "the adapter runs other firmware".into())),
    );
    let (Fact::Known(bp), Fact::Known(ap)) = (&b.ports, &a.ports) else {
        at.fact(
            out,
            "ports",
            &b.ports,
            &a.ports,
            |p| p.len().to_string(),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    Listed::<IbPort> {
        kind: "infiniband",
        field: "port",
        same: |p, q| p.number == q.number,
        subject: &|p| b.port_name(p),
        value: |p| Value::known(summary(p)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the port is gone: its fabric path went with it".into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new port".into())),
    }
    .compare(bp, ap, out, |pat, p, q, out| port(ctx, pat, p, q, out));
}

fn port(ctx: &Ctx, at: &At, b: &IbPort, a: &IbPort, out: &mut Vec<Change>) {
    for (field, x, y, good) in [
        ("state", &b.state, &a.state, ACTIVE),
        ("phys state", &b.phys_state, &a.phys_state, LINK_UP),
    ] {
        at.fact(
            out,
            field,
            x,
            y,
            String::clone,
            Severity::Warning,
            |x, y| {
                Some(if x == good {
                    (
                        Severity::Critical,
                        format!("the port is {y}: it carries no traffic (a cable, optic or switch port, or no subnet manager)"),
                    )
                } else if y == good {
                    (Severity::Warning, format!("the port is {good} again"))
                } else {
                    (Severity::Warning, "the port's state changed".into())
                })
            },
        );
    }
    at.fact(
        out,
        "rate",
        &b.rate_gbps,
        &a.rate_gbps,
        |r| gbit_text(*r),
        Severity::Warning,
        |x, y| {
            Some(if y < x {
                (
                    Severity::Critical,
                    format!(
                        "the port trained at {} instead of {}: less bandwidth, and a cable or optic to look at",
                        gbit_text(*y),
                        gbit_text(*x)
                    ),
                )
            } else {
                (Severity::Warning, "the port runs faster now".into())
            })
        },
    );
    at.fact(
        out,
        "width",
        &b.width,
        &a.width,
        |w| format!("{w}X"),
        Severity::Warning,
        |x, y| {
            Some(if y < x {
                (
                    Severity::Critical,
                    format!("the port lost lanes ({x}X to {y}X): a damaged cable or connector"),
                )
            } else {
                (Severity::Warning, "the port runs wider now".into())
            })
        },
    );
    at.fact(
        out,
        "link layer",
        &b.link_layer,
        &a.link_layer,
        String::clone,
        Severity::Warning,
        |_, _| Some((Severity::Warning, "the port runs another link layer".into())),
    );
    let (Fact::Known(bc), Fact::Known(ac)) = (&b.counters, &a.counters) else {
        return;
    };
    for (name, _) in IB_ERROR_COUNTERS {
        let (Some(x), Some(y)) = (bc.get(*name), ac.get(*name)) else {
            continue;
        };
        at.counter(ctx, out, name, x, y, 0, |d| {
            format!("{name} grew by {d} during the window: a marginal cable, connector or optic")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Snapshot;
    use std::collections::BTreeMap;

    fn with_port(s: &mut Snapshot, p: IbPort) {
        s.infiniband = Fact::Known(vec![IbDevice {
            name: "mlx5_0".into(),
            hca_type: Fact::Known("MT4123".into()),
            board_id: Fact::Known("MT_0000000223".into()),
            firmware_version: Fact::Known("20.31.1014".into()),
            ports: Fact::Known(vec![p]),
        }]);
    }

    fn port(state: &str, rate: f64, width: u32, symbol_errors: u64) -> IbPort {
        IbPort {
            number: 1,
            state: Fact::Known(state.into()),
            phys_state: Fact::Known("LinkUp".into()),
            link_layer: Fact::Known("InfiniBand".into()),
            rate_gbps: Fact::Known(rate),
            width: Fact::Known(width),
            speed: Fact::Known(Some("HDR".into())),
            netdev: Fact::Known(None),
            counters: Fact::Known(BTreeMap::from([(
                "symbol_error".to_owned(),
                Fact::Known(symbol_errors),
            )])),
        }
    }

    #[test]
    fn a_port_down_slower_narrower_or_counting_errors() {
        let mut b = san_healthy();
        let mut a = b.clone();
        with_port(&mut b, port("ACTIVE", 200.0, 4, 3));
        with_port(&mut a, port("ACTIVE", 50.0, 1, 40));
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "infiniband mlx5_0/1", "rate"),
                row(Severity::Critical, "infiniband mlx5_0/1", "width"),
                row(Severity::Warning, "infiniband mlx5_0/1", "symbol_error"),
            ]
        );
        with_port(&mut a, port("DOWN", 200.0, 4, 3));
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "infiniband mlx5_0/1", "state")]
        );
        // Across a reboot the counters started again: not compared.
        reboot(&mut a);
        with_port(&mut a, port("ACTIVE", 200.0, 4, 0));
        assert_eq!(rows(&b, &a), rebooted_rows());
    }
}
