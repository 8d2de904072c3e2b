//! `infiniband`: InfiniBand and RoCE ports ACTIVE and LinkUp, at the rate
//! and width expected, error counters within bounds and not growing.

use super::select::{Decide, Each, Select, named_counters};
use super::{FieldDoc, Judgement, KindDoc, counter_judgements};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields};
use crate::policy::matcher::{Counter, Num, NumOr, Text, gbit_unit};
use crate::policy::yaml::Node;
use crate::snapshot::values::{AT_MAX, IB_LINK_LAYER_WORDS, IB_PHYS_STATE_WORDS, IB_PORT_STATES};
use crate::snapshot::{
    Fact, IB_COUNTERS, IB_ERROR_COUNTERS, IbDevice, IbPort, Missing, Reason, Snapshot, gbit_text,
    ib_counter_ceiling,
};
use crate::state;

pub const DOC: KindDoc = KindDoc {
    name: "infiniband",
    summary: "InfiniBand/RoCE ports: ACTIVE and LinkUp, at the expected rate and width, error counters",
    what: "Selects the ports of RDMA devices (`sys/class/infiniband`) by name (`mlx5_0/1`), \
           device, HCA type or link layer and checks the logical and physical state, the \
           active rate (a number in Gbit/s, or `at_max`), the width in lanes, the firmware, \
           and the port's counters: a number matcher on each, and with --state how much \
           each grew since the previous run. A counter at the maximum its width allows has \
           stopped counting (PMA counters saturate): its growth is unknown.",
    why: "A fabric port's cabling faults stay invisible to the hosts' IP monitoring: a 4X \
          cable that lost a lane trains at 1X, a marginal cable or optic trains at a slower \
          speed, and symbol errors, link error recoveries and link downs climb for days \
          before a job stalls or a storage path drops.",
    fields: &[
        FieldDoc {
            name: "select",
            doc: "which ports: `name` (mlx5_0/1, \"mlx5_*\"), `device` (mlx5_0), `hca_type` (MT4123), `link_layer` (InfiniBand, Ethernet); text matchers",
        },
        FieldDoc {
            name: "expect.state",
            doc: "the logical state: DOWN, INIT, ARMED, ACTIVE, ACTIVE_DEFER (text matcher); ACTIVE passes traffic",
        },
        FieldDoc {
            name: "expect.phys_state",
            doc: "the physical state: Sleep, Polling, Disabled, PortConfigurationTraining, LinkUp, LinkErrorRecovery, \"Phy Test\" (text matcher)",
        },
        FieldDoc {
            name: "expect.link_layer",
            doc: "InfiniBand or Ethernet (RoCE)",
        },
        FieldDoc {
            name: "expect.rate",
            doc: "the active rate in Gbit/s with its unit (`100G`, `{ min: 100G }`), or `at_max`: for a RoCE port, its network device at the best speed both ends advertise; an InfiniBand port's supported rates are not in sysfs (only the subnet manager knows them), so there `at_max` is UNKNOWN: give the rate",
        },
        FieldDoc {
            name: "expect.width",
            doc: "the active width in lanes (number matcher): `4` for a 4X cable; 1 after a lane failed",
        },
        FieldDoc {
            name: "expect.firmware",
            doc: "the device's firmware version (text matcher)",
        },
        FieldDoc {
            name: "expect.errors",
            doc: "a counter matcher applied to every error counter the port has (symbol_error, link_error_recovery, link_downed, port_rcv_errors, port_rcv_remote_physical_errors, port_rcv_switch_relay_errors, local_link_integrity_errors, excessive_buffer_overrun_errors, port_xmit_discards, port_xmit_constraint_errors, port_rcv_constraint_errors, VL15_dropped): `0`, or `{ max_increase: 0 }` with --state",
        },
        FieldDoc {
            name: "expect.counters",
            doc: "{COUNTER: counter matcher}: a number matcher, and with --state `max_increase` (growth since the previous run) and `max_rate` (per second), on the names of counters/ (symbol_error, link_downed, port_xmit_wait, port_rcv_data, ...; data counters count 4-octet words)",
        },
    ],
    example: r#"- id: fabric-ports
  description: Every HCA port ACTIVE at 4X HDR, no symbol errors since the previous run.
  infiniband:
    select: { link_layer: InfiniBand }
    expect:
      state: ACTIVE
      phys_state: LinkUp
      rate: { min: 200G }
      width: 4
      counters: { symbol_error: { max_increase: 0 }, link_downed: { max_increase: 0 } }"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone)]
pub enum Rate {
    AtMax,
    Is(Num),
}

#[derive(Debug, Clone)]
pub enum Expect {
    State(Text),
    PhysState(Text),
    LinkLayer(Text),
    Rate(Rate),
    Width(Num),
    Firmware(Text),
    Errors(Counter),
    Counter(String, Counter),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub select: Select,
    pub expect: Vec<Expect>,
}

const EXPECT_KEYS: &[&str] = &[
    "state",
    "phys_state",
    "link_layer",
    "rate",
    "width",
    "firmware",
    "errors",
    "counters",
];

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "an infiniband check", &["select", "expect"])?;
    let sel = f.required(ctx, "select", "an infiniband check");
    let exp = f.required(ctx, "expect", "an infiniband check");
    let select = Select::parse_with_words(
        ctx,
        sel?,
        "an infiniband selector",
        &["name", "device", "hca_type", "link_layer"],
        &[],
        &[("link_layer", &IB_LINK_LAYER_WORDS)],
    );
    let e = exp?;
    let x = Fields::new(ctx, e, "an infiniband expectation", EXPECT_KEYS)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        match key.name.as_str() {
            "state" => expect.extend(Text::parse_words(ctx, n, &IB_PORT_STATES).map(Expect::State)),
            "phys_state" => expect
                .extend(Text::parse_words(ctx, n, &IB_PHYS_STATE_WORDS).map(Expect::PhysState)),
            "link_layer" => expect
                .extend(Text::parse_words(ctx, n, &IB_LINK_LAYER_WORDS).map(Expect::LinkLayer)),
            "rate" => {
                let r = Num::parse_or_word(ctx, n, "an InfiniBand rate", Some(gbit_unit), &AT_MAX)
                    .map(|r| match r {
                        NumOr::Word(_) => Rate::AtMax,
                        NumOr::Num(m) => Rate::Is(m),
                    });
                expect.extend(r.map(Expect::Rate));
            }
            "width" => {
                expect.extend(Num::parse(ctx, n, "a width in lanes", None).map(Expect::Width))
            }
            "firmware" => {
                expect.extend(Text::parse(ctx, n, "a firmware version").map(Expect::Firmware))
            }
            "errors" => expect.extend(Counter::parse(ctx, n, "errors").map(Expect::Errors)),
            "counters" => expect.extend(
                named_counters(ctx, n, "InfiniBand counter", IB_COUNTERS)
                    .into_iter()
                    .map(|(name, m)| Expect::Counter(name, m)),
            ),
            _ => {}
        }
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "an infiniband expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec {
        select: select?,
        expect,
    })
}

const HINT_STATE: &str = "the port is not ACTIVE and LinkUp: check the cable and its seating on both ends, the switch port, and that a subnet manager runs (a port stuck in INIT has no SM)";
const HINT_RATE: &str = "the port trained below the rate or width expected: a lane lost (1X instead of 4X) or a slower speed points at the cable or optic; reseat or replace it";
const HINT_ERRORS: &str = "the port counts link errors: symbol errors and link recoveries grow with a marginal cable, a dirty connector or a failing optic; replace it before the link drops (clear the counters with perfquery -R after the fix)";
const HINT_CONFIG: &str = "the port or device differs from the policy";

/// A port, or a device whose ports could not be read.
pub struct Subject<'a> {
    device: &'a IbDevice,
    port: Fact<&'a IbPort>,
}

impl Subject<'_> {
    fn name(&self) -> String {
        match &self.port {
            Fact::Known(p) => self.device.port_name(p),
            Fact::Unknown(_) => format!("{}/*", self.device.name),
        }
    }

    fn dir(&self) -> String {
        match &self.port {
            Fact::Known(p) => format!(
                "sys/class/infiniband/{}/ports/{}",
                self.device.name, p.number
            ),
            Fact::Unknown(_) => format!("sys/class/infiniband/{}/ports", self.device.name),
        }
    }

    fn fact<T: Clone>(&self, f: impl FnOnce(&IbPort) -> &Fact<T>) -> Fact<T> {
        match &self.port {
            Fact::Known(p) => f(p).clone(),
            Fact::Unknown(m) => Fact::Unknown(m.clone()),
        }
    }
}

/// A counter's value, and for judging growth the same value unless it sits
/// at the maximum its width allows, where it stopped counting.
fn counter_of(s: &Subject, name: &str) -> (Fact<u64>, Fact<u64>) {
    let now = s.fact(|p| &p.counters).and_then(|c| match c.get(name) {
        Some(f) => f.clone(),
        None => Fact::unknown(
            Reason::NotSupported,
            format!("{} has no counters/{name}", s.name()),
        ),
    });
    let growth = match (&now, ib_counter_ceiling(name)) {
        (Fact::Known(v), Some(max)) if *v >= max => Fact::unknown(
            Reason::NotSupported,
            format!(
                "{name} is at {v}, the most it holds: it stopped counting, so its growth cannot be seen (clear it with perfquery -R)"
            ),
        ),
        _ => now.clone(),
    };
    (now, growth)
}

fn counter(
    s: &Subject,
    name: &str,
    m: &Counter,
    snap: &Snapshot,
    ev: &str,
    out: &mut Vec<Judgement>,
) {
    let (now, growth) = counter_of(s, name);
    let key = state::ib_key(&s.name(), name);
    if m.value.is_some() {
        let value = Counter {
            max_increase: None,
            max_rate: None,
            ..m.clone()
        };
        out.extend(counter_judgements(
            name,
            &now,
            &key,
            &value,
            &snap.history,
            ev,
            HINT_ERRORS,
        ));
    }
    if m.max_increase.is_some() || m.max_rate.is_some() {
        let grown = Counter {
            value: None,
            ..m.clone()
        };
        out.extend(counter_judgements(
            name,
            &growth,
            &key,
            &grown,
            &snap.history,
            ev,
            HINT_ERRORS,
        ));
    }
}

fn rate(s: &Subject, want: &Rate, snap: &Snapshot, ev: &str) -> Judgement {
    match want {
        Rate::Is(m) => Judgement::of(
            "rate",
            &s.fact(|p| &p.rate_gbps),
            format!("{m} Gbit/s"),
            ev,
            HINT_RATE,
            |v| m.matches(*v),
            |v| gbit_text(*v),
        ),
        Rate::AtMax => {
            let unjudged = |observed: String| Judgement {
                ok: None,
                expected: "rate at the best both ends support".into(),
                observed,
                evidence: vec![ev.to_owned()],
                remediation: HINT_RATE,
            };
            let layer = s.fact(|p| &p.link_layer);
            match layer.known().map(String::as_str) {
                Some("Ethernet") => match s.fact(|p| &p.netdev) {
                    Fact::Known(Some(dev)) => match snap.link(&dev) {
                        Some(l) => {
                            let mut j = super::link::at_supported_max(l, &snap.origin.link_settings(&dev));
                            j.observed = format!("{} (RoCE on {dev})", j.observed);
                            j.evidence.push(ev.to_owned());
                            j
                        }
                        None => unjudged(format!("rate: its network device {dev} is not among the links read")),
                    },
                    Fact::Known(None) => unjudged("rate: the RoCE port names no network device".into()),
                    Fact::Unknown(m) => unjudged(format!("rate: network device unknown: {m}")),
                },
                Some(_) => unjudged(
                    "rate: the kernel shows an InfiniBand port's active rate only; the rates it and its peer support are known to the subnet manager (ibportstate), not sysfs: give the rate expected".into(),
                ),
                None => unjudged(format!(
                    "rate: link layer unknown: {}",
                    layer.missing().cloned().unwrap_or_else(|| Missing::new(Reason::Failed, "?"))
                )),
            }
        }
    }
}

fn judge(s: &Subject, expect: &[Expect], snap: &Snapshot) -> Vec<Judgement> {
    let dir = snap.origin.file(&s.dir());
    let counters_ev = format!("{dir}/counters");
    let mut out = Vec::new();
    for e in expect {
        let one = match e {
            Expect::State(t) => {
                Judgement::text("state", &s.fact(|p| &p.state), t, &dir, HINT_STATE)
            }
            Expect::PhysState(t) => Judgement::text(
                "phys_state",
                &s.fact(|p| &p.phys_state),
                t,
                &dir,
                HINT_STATE,
            ),
            Expect::LinkLayer(t) => Judgement::text(
                "link_layer",
                &s.fact(|p| &p.link_layer),
                t,
                &dir,
                HINT_CONFIG,
            ),
            Expect::Rate(r) => rate(s, r, snap, &dir),
            Expect::Width(m) => Judgement::of(
                "width",
                &s.fact(|p| &p.width),
                format!("{m} lanes"),
                &dir,
                HINT_RATE,
                |w| m.matches(f64::from(*w)),
                |w| format!("{w}X"),
            ),
            Expect::Firmware(t) => Judgement::text(
                "firmware",
                &s.device.firmware_version,
                t,
                snap.origin
                    .file(&format!("sys/class/infiniband/{}/fw_ver", s.device.name)),
                HINT_CONFIG,
            ),
            Expect::Errors(m) => {
                let present: Vec<&str> = match s.fact(|p| &p.counters) {
                    Fact::Known(c) => IB_ERROR_COUNTERS
                        .iter()
                        .map(|(n, _)| *n)
                        .filter(|n| c.contains_key(*n))
                        .collect(),
                    Fact::Unknown(miss) => {
                        out.push(Judgement {
                            ok: None,
                            expected: "error counters to judge".into(),
                            observed: format!("counters unknown: {miss}"),
                            evidence: vec![counters_ev.clone()],
                            remediation: HINT_ERRORS,
                        });
                        continue;
                    }
                };
                if present.is_empty() {
                    out.push(Judgement {
                        ok: None,
                        expected: "error counters to judge".into(),
                        observed: format!("{} has none of the error counters", s.name()),
                        evidence: vec![counters_ev.clone()],
                        remediation: HINT_ERRORS,
                    });
                }
                for name in present {
                    counter(s, name, m, snap, &counters_ev, &mut out);
                }
                continue;
            }
            Expect::Counter(name, m) => {
                counter(s, name, m, snap, &counters_ev, &mut out);
                continue;
            }
        };
        out.push(one);
    }
    out
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let subjects: Fact<Vec<Subject>> = snap.infiniband.as_ref().map(|devices| {
        devices
            .iter()
            .flat_map(|d| match &d.ports {
                Fact::Known(ports) => ports
                    .iter()
                    .map(|p| Subject {
                        device: d,
                        port: Fact::Known(p),
                    })
                    .collect::<Vec<_>>(),
                Fact::Unknown(m) => vec![Subject {
                    device: d,
                    port: Fact::Unknown(m.clone()),
                }],
            })
            .collect()
    });
    let each = Each {
        check,
        what: "InfiniBand port",
        items: &subjects,
        evidence: vec![snap.origin.file("sys/class/infiniband")],
        select: &spec.select,
    };
    each.findings(
        |s| {
            let name = s.name();
            let name_fact = match &s.port {
                Fact::Known(_) => Fact::Known(name.as_str()),
                Fact::Unknown(m) => Fact::Unknown(m.clone()),
            };
            let layer = s.fact(|p| &p.link_layer);
            Decide::new(&spec.select)
                .text("name", name_fact)
                .text("device", Fact::Known(&s.device.name))
                .text("hca_type", s.device.hca_type.as_ref().map(String::as_str))
                .text("link_layer", layer.as_ref().map(String::as_str))
                .result()
        },
        Subject::name,
        |s| judge(s, &spec.expect, snap),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::History;
    use std::collections::BTreeMap;

    fn port(counters: &[(&str, u64)]) -> IbPort {
        IbPort {
            number: 1,
            state: Fact::Known("ACTIVE".into()),
            phys_state: Fact::Known("LinkUp".into()),
            link_layer: Fact::Known("InfiniBand".into()),
            rate_gbps: Fact::Known(100.0),
            width: Fact::Known(4),
            speed: Fact::Known(Some("EDR".into())),
            netdev: Fact::Known(None),
            counters: Fact::Known(
                counters
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), Fact::Known(*v)))
                    .collect::<BTreeMap<_, _>>(),
            ),
        }
    }

    fn device(p: IbPort) -> IbDevice {
        IbDevice {
            name: "mlx5_0".into(),
            hca_type: Fact::Known("MT4115".into()),
            board_id: Fact::Known("MT_2180110032".into()),
            firmware_version: Fact::Known("12.28.2006".into()),
            ports: Fact::Known(vec![p]),
        }
    }

    fn snapshot_with(history: BTreeMap<String, u64>) -> Snapshot {
        let mut s = crate::diff::testing::san_healthy();
        s.history = Fact::Known(History {
            elapsed_seconds: 60.0,
            previous: history,
        });
        s
    }

    fn grow(name: &str) -> Expect {
        Expect::Counter(
            name.into(),
            Counter {
                value: None,
                max_increase: Some(0.0),
                max_rate: None,
            },
        )
    }

    #[test]
    fn a_saturated_counter_shows_no_growth_and_is_unknown_not_a_pass() {
        let d = device(port(&[("symbol_error", 65_535), ("link_downed", 2)]));
        let Fact::Known(ports) = &d.ports else {
            unreachable!()
        };
        let s = Subject {
            device: &d,
            port: Fact::Known(&ports[0]),
        };
        let snap = snapshot_with(BTreeMap::from([
            ("ib/mlx5_0/1/symbol_error".to_owned(), 65_535),
            ("ib/mlx5_0/1/link_downed".to_owned(), 1),
        ]));
        let j = judge(&s, &[grow("symbol_error"), grow("link_downed")], &snap);
        assert_eq!(j[0].ok, None, "{:?}", j[0]);
        assert!(j[0].observed.contains("stopped counting"), "{:?}", j[0]);
        assert_eq!(j[1].ok, Some(false), "{:?}", j[1]);
        // Its value is known all the same: at least that many errors.
        let j = judge(
            &s,
            &[Expect::Errors(Counter {
                value: Some(Num::exactly(0.0)),
                max_increase: None,
                max_rate: None,
            })],
            &snap,
        );
        assert_eq!(j.iter().filter(|j| j.ok == Some(false)).count(), 2);
    }

    #[test]
    fn at_max_of_an_infiniband_port_is_unknown_with_the_reason() {
        let d = device(port(&[]));
        let Fact::Known(ports) = &d.ports else {
            unreachable!()
        };
        let s = Subject {
            device: &d,
            port: Fact::Known(&ports[0]),
        };
        let snap = snapshot_with(BTreeMap::new());
        let j = judge(&s, &[Expect::Rate(Rate::AtMax)], &snap);
        assert_eq!(j[0].ok, None);
        assert!(j[0].observed.contains("subnet manager"), "{:?}", j[0]);
        let j = judge(&s, &[Expect::Width(Num::exactly(4.0))], &snap);
        assert_eq!(j[0].ok, Some(true));
    }

    /// A RoCE device whose one port runs over the network device `netdev`.
    fn roce_device(netdev: &str) -> IbDevice {
        let mut p = port(&[]);
        p.link_layer = Fact::Known("Ethernet".into());
        p.netdev = Fact::Known(Some(netdev.into()));
        device(p)
    }

    fn first_port(d: &IbDevice) -> Subject<'_> {
        let Fact::Known(ports) = &d.ports else {
            unreachable!()
        };
        Subject {
            device: d,
            port: Fact::Known(&ports[0]),
        }
    }

    #[test]
    fn at_max_of_a_roce_port_is_judged_on_its_network_device() {
        let d = roce_device("enp65s0f0");
        let s = first_port(&d);
        let snap = snapshot_with(BTreeMap::new());
        let j = judge(&s, &[Expect::Rate(Rate::AtMax)], &snap);
        assert_eq!(j[0].ok, Some(true), "{:?}", j[0]);
        assert!(j[0].observed.contains("(RoCE on enp65s0f0)"), "{:?}", j[0]);
        // A device not among the links read leaves the rate unjudged.
        let d = roce_device("nosuch0");
        let s = first_port(&d);
        let j = judge(&s, &[Expect::Rate(Rate::AtMax)], &snap);
        assert_eq!(j[0].ok, None, "{:?}", j[0]);
        assert!(
            j[0].observed
                .contains("nosuch0 is not among the links read"),
            "{:?}",
            j[0]
        );
    }

    #[test]
    fn counter_names_and_states_are_checked_with_a_suggestion() {
        let node = crate::policy::yaml::parse(
            "select: { name: \"*\" }\nexpect: { state: ACTIV, counters: { symbol_errors: 0 } }\n",
        )
        .unwrap();
        let mut ctx = Ctx::new("p.yaml");
        let _ = parse(&mut ctx, &node);
        let errors: Vec<String> = ctx.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [
                "p.yaml:2:18: unknown InfiniBand port state `ACTIV`: did you mean `ACTIVE`?",
                "p.yaml:2:37: unknown InfiniBand counter `symbol_errors`: did you mean `symbol_error`?",
            ]
        );
    }
}
