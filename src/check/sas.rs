//! `sas`: SAS phys negotiated at their maximum rate, error counters within
//! bounds.

use super::select::{Decide, Each, Select};
use super::{FieldDoc, Judgement, KindDoc, counter_judgements};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::{Counter, Num, NumOr, gbit_unit};
use crate::policy::yaml::Node;
use crate::snapshot::values::{AT_MAX, SAS_DEVICE_TYPES};
use crate::snapshot::{Fact, SAS_ERROR_COUNTERS, SasPhy, Snapshot, gbit_text};
use crate::state;

pub const DOC: KindDoc = KindDoc {
    name: "sas",
    summary: "SAS phys: linked at their maximum rate, invalid dword / disparity / sync / reset counters",
    what: "Selects SAS phys of HBAs and expanders by name (`phy-2:4`, `phy-2:0:12`), SCSI \
           host, device type or whether they have a link, and checks that each has a link, \
           the negotiated rate (`at_max`: the phy's maximum; or Gbit/s), and the four error \
           counters SAS keeps per phy: invalid dwords, running disparity errors, loss of dword \
           synchronization and phy reset problems. The counters count since the phy was \
           reset: a bound of 0, the baseline found at the last maintenance, or with \
           `--state` no growth between runs (`max_increase: 0`).",
    why: "A SAS cable working loose between an HBA and a drive shelf shows as invalid dwords \
          and disparity errors climbing, then as a wide port renegotiated at a lower rate or \
          a phy without a link: the shelf stays reachable on fewer lanes until it is not.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which phys: `name`, `host` (the SCSI host: host2), `device_type` (end device, edge expander, fanout expander); text matchers; `linked` (true: only phys with a negotiated rate)",
        },
        FieldDoc {
            name: "expect.linked",
            doc: "true: the phy has negotiated a rate (a phy with nothing attached, or whose cable is out, has none)",
        },
        FieldDoc {
            name: "expect.linkrate",
            doc: "`at_max`: the negotiated rate equals the phy's maximum (a slower disk behind the phy fails it: then give Gbit/s, `{ min: 6G }`)",
        },
        FieldDoc {
            name: "expect.errors",
            doc: "a counter matcher applied to each of the four counters: `0`, or with --state `{ max_increase: 0 }` (none grew since the previous run) and `max_rate` (per second)",
        },
        FieldDoc {
            name: "expect.invalid_dword_count",
            doc: "counter matcher (likewise running_disparity_error_count, loss_of_dword_sync_count, phy_reset_problem_count)",
        },
    ],
    example: r#"- id: shelf-cables-clean
  description: Every linked phy toward the drive shelf at full rate without link errors.
  sas:
    select: { host: host2, linked: true }
    expect:
      linkrate: at_max
      errors: 0"#,
    default_severity: Severity::Warning,
};

#[derive(Debug, Clone)]
pub enum Rate {
    AtMax,
    Is(Num),
}

#[derive(Debug, Clone)]
pub enum Expect {
    Linked(bool),
    Linkrate(Rate),
    /// A counter by name, or every counter (`None`).
    Counter(Option<&'static str>, Counter),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a sas check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "a sas check");
    let exp = f.required(ctx, "expect", "a sas check");
    let select = Select::parse_with_words(
        ctx,
        sel?,
        "a sas selector",
        &["name", "host", "device_type"],
        &["linked"],
        &[("device_type", &SAS_DEVICE_TYPES)],
    );
    let e = exp?;
    let mut keys = vec!["linked", "linkrate", "errors"];
    keys.extend(SAS_ERROR_COUNTERS);
    let x = Fields::new(ctx, e, "a sas expectation", &keys)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "linked" => boolean(ctx, n, "true or false").map(Expect::Linked),
            "linkrate" => Num::parse_or_word(ctx, n, "a SAS link rate", Some(gbit_unit), &AT_MAX)
                .map(|m| {
                    Expect::Linkrate(match m {
                        NumOr::Word(_) => Rate::AtMax,
                        NumOr::Num(m) => Rate::Is(m),
                    })
                }),
            "errors" => Counter::parse(ctx, n, "errors").map(|m| Expect::Counter(None, m)),
            k => SAS_ERROR_COUNTERS
                .iter()
                .find(|c| **c == k)
                .and_then(|c| Counter::parse(ctx, n, c).map(|m| Expect::Counter(Some(c), m))),
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "a sas expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_LINK: &str = "the phy has no link or a slower one: reseat or replace the SAS cable (and check the expander or drive behind it)";
const HINT_ERRORS: &str = "the phy counts link errors: a loose or damaged SAS cable or connector; reseat or replace it before the link drops";

fn no_link(p: &SasPhy) -> String {
    format!(
        "no link ({})",
        p.negotiated_linkrate.known().map_or("?", |s| s.as_str())
    )
}

fn judge(p: &SasPhy, expect: &[Expect], snap: &Snapshot, ev: &str) -> Vec<Judgement> {
    let growth = |out: &mut Vec<Judgement>, name: &str, now: &Fact<u64>, m: &Counter| {
        out.extend(counter_judgements(
            name,
            now,
            &state::sas_key(&p.name, name),
            m,
            &snap.history,
            ev,
            HINT_ERRORS,
        ))
    };
    let mut out = Vec::new();
    for e in expect {
        match e {
            Expect::Linked(want) => out.push(Judgement::of(
                "link",
                &p.negotiated_gbps,
                if *want { "negotiated" } else { "none" },
                ev,
                HINT_LINK,
                |v| v.is_some() == *want,
                |v| v.map_or_else(|| no_link(p), gbit_text),
            )),
            Expect::Linkrate(Rate::Is(m)) => out.push(Judgement::of(
                "link rate",
                &p.negotiated_gbps,
                format!("{m} Gbit/s"),
                ev,
                HINT_LINK,
                |v| v.is_some_and(|v| m.matches(v)),
                |v| v.map_or_else(|| no_link(p), gbit_text),
            )),
            Expect::Linkrate(Rate::AtMax) => {
                let both = match (&p.negotiated_gbps, &p.maximum_gbps) {
                    (Fact::Known(n), Fact::Known(m)) => Fact::Known((*n, *m)),
                    (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Fact::Unknown(m.clone()),
                };
                let expected = p
                    .maximum_gbps
                    .known()
                    .map_or("the phy's maximum".into(), |m| {
                        format!("{} (the phy's maximum)", gbit_text(*m))
                    });
                out.push(Judgement::of(
                    "link rate",
                    &both,
                    expected,
                    ev,
                    HINT_LINK,
                    |(n, m)| n.is_some_and(|n| n >= *m),
                    |(n, m)| match n {
                        Some(n) if n < m => format!("{} of {}", gbit_text(*n), gbit_text(*m)),
                        Some(n) => gbit_text(*n),
                        None => no_link(p),
                    },
                ));
            }
            Expect::Counter(Some(name), m) => {
                if let Some((_, now)) = p.error_counters().into_iter().find(|(c, _)| c == name) {
                    growth(&mut out, name, now, m);
                }
            }
            Expect::Counter(None, m) => {
                // The bound on the value reads as one judgement over the
                // four counters; growth is judged per counter, each
                // against its own previous value.
                if let Some(v) = &m.value {
                    out.push(super::select::each_number(
                        "errors",
                        p.error_counters()
                            .into_iter()
                            .map(|(c, f)| (c, f.clone().map(|v| v as f64))),
                        v,
                        "",
                        ev,
                        HINT_ERRORS,
                    ));
                }
                let growth_only = Counter {
                    value: None,
                    ..m.clone()
                };
                for (name, now) in p.error_counters() {
                    growth(&mut out, name, now, &growth_only);
                }
            }
        }
    }
    out
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let each = Each {
        check,
        what: "SAS phy",
        items: &snap.storage.sas_phys,
        evidence: vec![snap.origin.file("sys/class/sas_phy")],
        select: &spec.select,
    };
    each.findings(
        |p| {
            Decide::new(&spec.select)
                .text("name", Fact::Known(&p.name))
                .text(
                    "host",
                    p.scsi_host.as_ref().and_then(|h| match h {
                        Some(h) => Fact::Known(h.as_str()),
                        None => {
                            Fact::unknown(crate::snapshot::Reason::NotSupported, "no SCSI host")
                        }
                    }),
                )
                .text("device_type", p.device_type.as_ref().map(String::as_str))
                .flag("linked", p.negotiated_gbps.as_ref().map(|v| v.is_some()))
                .result()
        },
        |p| p.name.clone(),
        |p| {
            judge(
                p,
                &spec.expect,
                snap,
                &snap.origin.file(&format!("sys/class/sas_phy/{}", p.name)),
            )
        },
    )
}
