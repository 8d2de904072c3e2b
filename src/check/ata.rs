//! `ata`: SATA links at the speed both the device and the controller
//! support, and not slowed down by libata after errors.

use super::select::{Decide, Each, Select};
use super::{FieldDoc, Judgement, KindDoc};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::{Num, NumOr, gbit_unit};
use crate::policy::yaml::Node;
use crate::snapshot::values::AT_MAX;
use crate::snapshot::{AtaLink, Fact, Missing, Reason, Snapshot, gbit_text};

pub const DOC: KindDoc = KindDoc {
    name: "ata",
    summary: "SATA links: negotiated at the device's and the controller's best speed, no lowered limit",
    what: "Selects SATA links (`sys/class/ata_link`) by name or port, or only those with a \
           device attached, and checks the negotiated speed against the fastest the device \
           supports (its IDENTIFY data) and the controller allows (`at_max`), or a speed in \
           Gbit/s, and that libata has not lowered the link's speed limit after errors.",
    why: "After CRC and link errors libata slows a SATA link down (\"limiting SATA link speed \
          to 3.0 Gbps\") and the disk runs on, slower, on a cable or backplane that is \
          failing: the same signs as a loose cable elsewhere, on a boot disk.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which links: `name` (link1), `port` (ata1); text matchers; `attached` (true: only links with a device)",
        },
        FieldDoc {
            name: "expect.speed",
            doc: "`at_max`: the negotiated speed equals the lowest of the device's fastest generation and the controller's limit; or Gbit/s (`{ min: 6G }`)",
        },
        FieldDoc {
            name: "expect.limit_lowered",
            doc: "false: libata has not set the link's limit below the controller's",
        },
    ],
    example: r#"- id: boot-disks-at-6g
  description: The boot disks' SATA links at full speed, never slowed down after errors.
  ata:
    select: { attached: true }
    expect:
      speed: at_max
      limit_lowered: false"#,
    default_severity: Severity::Warning,
};

#[derive(Debug, Clone)]
pub enum Speed {
    AtMax,
    Is(Num),
}

#[derive(Debug, Clone)]
pub enum Expect {
    Speed(Speed),
    LimitLowered(bool),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "an ata check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "an ata check");
    let exp = f.required(ctx, "expect", "an ata check");
    let select = Select::parse(
        ctx,
        sel?,
        "an ata selector",
        &["name", "port"],
        &["attached"],
    );
    let e = exp?;
    let x = Fields::new(ctx, e, "an ata expectation", &["speed", "limit_lowered"])?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "speed" => {
                Num::parse_or_word(ctx, n, "a SATA speed", Some(gbit_unit), &AT_MAX).map(|m| {
                    Expect::Speed(match m {
                        NumOr::Word(_) => Speed::AtMax,
                        NumOr::Num(m) => Speed::Is(m),
                    })
                })
            }
            "limit_lowered" => boolean(ctx, n, "true or false").map(Expect::LimitLowered),
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "an ata expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_SPEED: &str = "the link runs below what the disk and controller support: replace the SATA cable or check the backplane; see the kernel log for link errors";

/// Whether a device (not an empty port) is on the link.
fn attached(l: &AtaLink) -> Fact<bool> {
    l.devices.as_ref().and_then(|ds| {
        if ds.is_empty() {
            return Fact::Known(false);
        }
        match ds.iter().find_map(|d| d.class.missing()) {
            Some(m) => Fact::Unknown(m.clone()),
            None => Fact::Known(
                ds.iter()
                    .any(|d| d.class.known().is_some_and(|c| c != "none")),
            ),
        }
    })
}

/// The speed the link should run at: the lowest of the device's best
/// generation and the controller's limit.
fn best(l: &AtaLink) -> Fact<(f64, String)> {
    let devs = match &l.devices {
        Fact::Known(d) => d,
        Fact::Unknown(m) => return Fact::Unknown(m.clone()),
    };
    let Some(dev) = devs
        .iter()
        .find(|d| d.class.known().is_some_and(|c| c == "ata" || c == "atapi"))
    else {
        return Fact::unknown(
            Reason::NotSupported,
            format!("{} has no ATA device", l.name),
        );
    };
    let device_max = match &dev.max_gbps {
        Fact::Known(Some(m)) => *m,
        Fact::Known(None) => {
            return Fact::unknown(
                Reason::NotSupported,
                format!(
                    "{} reports no SATA generation in its IDENTIFY data",
                    dev.name
                ),
            );
        }
        Fact::Unknown(m) => return Fact::Unknown(m.clone()),
    };
    match &l.hw_limit_gbps {
        Fact::Known(Some(hw)) if *hw < device_max => {
            Fact::Known((*hw, format!("{} (the controller's limit)", gbit_text(*hw))))
        }
        Fact::Known(_) => Fact::Known((
            device_max,
            format!("{} (the device's best)", gbit_text(device_max)),
        )),
        Fact::Unknown(m) => Fact::Unknown(m.clone()),
    }
}

fn judge(l: &AtaLink, expect: &[Expect], ev: &str) -> Vec<Judgement> {
    let shown = |v: &Option<f64>| v.map_or("no link".to_owned(), gbit_text);
    expect
        .iter()
        .map(|e| match e {
            Expect::Speed(Speed::Is(m)) => Judgement::of(
                "SATA speed",
                &l.negotiated_gbps,
                format!("{m} Gbit/s"),
                ev,
                HINT_SPEED,
                |v| v.is_some_and(|v| m.matches(v)),
                shown,
            ),
            Expect::Speed(Speed::AtMax) => {
                let target = best(l);
                let both: Fact<(Option<f64>, (f64, String))> = match (&l.negotiated_gbps, &target) {
                    (Fact::Known(n), Fact::Known(t)) => Fact::Known((*n, t.clone())),
                    (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Fact::Unknown(m.clone()),
                };
                let expected = target
                    .known()
                    .map_or("the best both ends support".into(), |(_, t)| t.clone());
                Judgement::of(
                    "SATA speed",
                    &both,
                    expected,
                    ev,
                    HINT_SPEED,
                    |(n, (t, _))| n.is_some_and(|n| n >= *t),
                    |(n, _)| shown(n),
                )
            }
            Expect::LimitLowered(want) => {
                let lowered: Fact<(bool, String)> = match (&l.limit_gbps, &l.hw_limit_gbps) {
                    (Fact::Known(None), _) => Fact::Known((false, "no limit".into())),
                    (Fact::Known(Some(lim)), Fact::Known(hw)) => {
                        let low = hw.is_none_or(|hw| *lim < hw);
                        Fact::Known((low, format!("limited to {}", gbit_text(*lim))))
                    }
                    (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => {
                        Fact::<(bool, String)>::Unknown(Missing::clone(m))
                    }
                };
                Judgement::of(
                    "speed limit lowered",
                    &lowered,
                    want,
                    ev,
                    HINT_SPEED,
                    |(low, _)| low == want,
                    |(low, text)| format!("{low} ({text})"),
                )
            }
        })
        .collect()
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let each = Each {
        check,
        what: "ATA link",
        items: &snap.storage.ata_links,
        evidence: vec![snap.origin.file("sys/class/ata_link")],
        select: &spec.select,
    };
    each.findings(
        |l| {
            Decide::new(&spec.select)
                .text("name", Fact::Known(&l.name))
                .text("port", Fact::Known(&l.port))
                .flag("attached", attached(l))
                .result()
        },
        |l| l.name.clone(),
        |l| {
            let mut js = judge(
                l,
                &spec.expect,
                &snap.origin.file(&format!("sys/class/ata_link/{}", l.name)),
            );
            for j in &mut js {
                j.evidence.push(snap.origin.file("sys/class/ata_device"));
            }
            js
        },
    )
}
