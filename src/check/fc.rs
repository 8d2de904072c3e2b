//! `fc`: Fibre Channel ports Online at the expected speed, error
//! statistics within bounds.

use super::select::{Decide, Each, Select, named_counters};
use super::{FieldDoc, Judgement, KindDoc, counter_judgements};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields};
use crate::policy::matcher::{Counter, Num, NumOr, Text, gbit_unit};
use crate::policy::yaml::Node;
use crate::snapshot::values::{AT_MAX, FC_PORT_STATES};
use crate::snapshot::{Fact, FcHost, Reason, Snapshot, gbit_text};
use crate::state;

pub const DOC: KindDoc = KindDoc {
    name: "fc",
    summary: "Fibre Channel ports: Online, at the expected speed, error counters",
    what: "Selects FC HBA ports (`sys/class/fc_host`) by SCSI host name, WWPN or symbolic \
           name and checks the port state, the negotiated speed (a number in Gbit/s, or \
           `at_max`: the fastest speed the port supports), the fabric it is logged into, and \
           its error statistics. A counter the driver does not keep (all ones) is unknown.",
    why: "An FC port that went Linkdown after a cable was knocked, or that came back at 8G \
          on a 32G fabric, leaves the host on the other fabric alone; rising loss-of-sync \
          and invalid-CRC counts announce a bad cable or SFP before the link drops.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which ports: `name` (host3), `port_name` (the WWPN), `symbolic_name`; text matchers",
        },
        FieldDoc {
            name: "expect.port_state",
            doc: "Online, Linkdown, Offline, Blocked, ... (text matcher)",
        },
        FieldDoc {
            name: "expect.speed",
            doc: "Gbit/s with its unit (`16G`, `{ min: 16G }`), or `at_max`: the fastest supported speed (a faster HBA on a slower switch port fails it: then give a number)",
        },
        FieldDoc {
            name: "expect.fabric_name",
            doc: "the fabric's WWN (text matcher); `0x0` on a point-to-point link",
        },
        FieldDoc {
            name: "expect.counters",
            doc: "{STATISTIC: counter matcher}: a number matcher, and with --state `max_increase` (growth since the previous run) and `max_rate` (per second); link_failure_count, loss_of_sync_count, loss_of_signal_count, prim_seq_protocol_err_count, invalid_tx_word_count, invalid_crc_count, error_frames, ... (the names in statistics/)",
        },
    ],
    example: r#"- id: fc-ports-online
  description: Both FC ports Online at 32G, no link failures.
  fc:
    select: { name: "*" }
    expect:
      port_state: Online
      speed: { min: 32G }
      counters: { link_failure_count: { max: 0 }, invalid_crc_count: { max: 0 } }"#,
    default_severity: Severity::Critical,
};

/// The statistics of `struct fc_host_statistics`, as sysfs names them.
pub const STATISTICS: &[&str] = &[
    "seconds_since_last_reset",
    "tx_frames",
    "tx_words",
    "rx_frames",
    "rx_words",
    "lip_count",
    "nos_count",
    "error_frames",
    "dumped_frames",
    "link_failure_count",
    "loss_of_sync_count",
    "loss_of_signal_count",
    "prim_seq_protocol_err_count",
    "invalid_tx_word_count",
    "invalid_crc_count",
    "fcp_input_requests",
    "fcp_output_requests",
    "fcp_control_requests",
    "fcp_input_megabytes",
    "fcp_output_megabytes",
    "fcp_packet_alloc_failures",
    "fcp_packet_aborts",
    "fcp_frame_alloc_failures",
    "fc_no_free_exch",
    "fc_no_free_exch_xid",
    "fc_xid_not_found",
    "fc_xid_busy",
    "fc_seq_not_found",
    "fc_non_bls_resp",
    "cn_sig_warn",
    "cn_sig_alarm",
];

#[derive(Debug, Clone)]
pub enum Speed {
    AtMax,
    Is(Num),
}

#[derive(Debug, Clone)]
pub enum Expect {
    PortState(Text),
    Speed(Speed),
    FabricName(Text),
    Counter(String, Counter),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

const EXPECT_KEYS: &[&str] = &["port_state", "speed", "fabric_name", "counters"];

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "an fc check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "an fc check");
    let exp = f.required(ctx, "expect", "an fc check");
    let select = Select::parse(
        ctx,
        sel?,
        "an fc selector",
        &["name", "port_name", "symbolic_name"],
        &[],
    );
    let e = exp?;
    let x = Fields::new(ctx, e, "an fc expectation", EXPECT_KEYS)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        match key.name.as_str() {
            "port_state" => {
                expect.extend(Text::parse_words(ctx, n, &FC_PORT_STATES).map(Expect::PortState))
            }
            "fabric_name" => {
                expect.extend(Text::parse(ctx, n, "a fabric name").map(Expect::FabricName))
            }
            "speed" => {
                let s =
                    Num::parse_or_word(ctx, n, "an FC speed", Some(gbit_unit), &AT_MAX).map(|s| {
                        match s {
                            NumOr::Word(_) => Speed::AtMax,
                            NumOr::Num(m) => Speed::Is(m),
                        }
                    });
                expect.extend(s.map(Expect::Speed));
            }
            "counters" => expect.extend(
                named_counters(ctx, n, "FC statistic", STATISTICS)
                    .into_iter()
                    .map(|(name, m)| Expect::Counter(name, m)),
            ),
            _ => {}
        }
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "an fc expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_STATE: &str =
    "the port is not Online: check its cable and SFP, the switch port, and the zoning";
const HINT_SPEED: &str =
    "the port negotiated below its speed: a damaged cable or SFP, or a switch port set slower";
const HINT_ERRORS: &str = "the port counts link errors: a dirty or damaged cable, connector or SFP; clean or replace it before the link drops";
const HINT_FABRIC: &str = "the port is logged into another fabric than expected: check the cabling";

fn judge(h: &FcHost, expect: &[Expect], snap: &Snapshot, ev: &str) -> Vec<Judgement> {
    let mut out = Vec::new();
    for e in expect {
        let one = match e {
            Expect::PortState(t) => Judgement::text("port state", &h.port_state, t, ev, HINT_STATE),
            Expect::FabricName(t) => Judgement::text("fabric", &h.fabric_name, t, ev, HINT_FABRIC),
            Expect::Speed(Speed::Is(m)) => Judgement::of(
                "speed",
                &h.speed_gbps,
                format!("{m} Gbit/s"),
                ev,
                HINT_SPEED,
                |v| v.is_some_and(|v| m.matches(v)),
                |v| {
                    v.map_or("none negotiated".into(), |v| {
                        format!("{} Gbit/s", super::select::fmt(v))
                    })
                },
            ),
            Expect::Speed(Speed::AtMax) => {
                let both = match (&h.speed_gbps, &h.supported_speeds_gbps) {
                    (Fact::Known(s), Fact::Known(sup)) => Fact::Known((*s, sup.clone())),
                    (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Fact::Unknown(m.clone()),
                };
                let max = both
                    .known()
                    .and_then(|(_, sup)| sup.iter().cloned().reduce(f64::max));
                let both = match (&both, max) {
                    (Fact::Known(_), None) => Fact::unknown(
                        Reason::NotSupported,
                        format!("{} lists no supported speeds", h.name),
                    ),
                    _ => both,
                };
                let expected = max.map_or("the fastest supported speed".into(), |m| {
                    format!("{} (the fastest supported)", gbit_text(m))
                });
                Judgement::of(
                    "speed",
                    &both,
                    expected,
                    ev,
                    HINT_SPEED,
                    |(s, _)| matches!((s, max), (Some(s), Some(m)) if *s >= m),
                    |(s, _)| s.map_or("none negotiated".into(), gbit_text),
                )
            }
            Expect::Counter(name, m) => {
                let v = h
                    .statistics
                    .as_ref()
                    .and_then(|stats| match stats.get(name) {
                        Some(f) => f.clone(),
                        None => Fact::unknown(
                            Reason::NotSupported,
                            format!("{} has no statistics/{name}", h.name),
                        ),
                    });
                out.extend(counter_judgements(
                    name,
                    &v,
                    &state::fc_key(&h.name, name),
                    m,
                    &snap.history,
                    ev,
                    HINT_ERRORS,
                ));
                continue;
            }
        };
        out.push(one);
    }
    out
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let each = Each {
        check,
        what: "FC port",
        items: &snap.storage.fc_hosts,
        evidence: vec![snap.origin.file("sys/class/fc_host")],
        select: &spec.select,
    };
    each.findings(
        |h| {
            Decide::new(&spec.select)
                .text("name", Fact::Known(&h.name))
                .text("port_name", h.port_name.as_ref().map(String::as_str))
                .text(
                    "symbolic_name",
                    h.symbolic_name.as_ref().map(String::as_str),
                )
                .result()
        },
        |h| h.name.clone(),
        |h| {
            judge(
                h,
                &spec.expect,
                snap,
                &snap.origin.file(&format!("sys/class/fc_host/{}", h.name)),
            )
        },
    )
}
