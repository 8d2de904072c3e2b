//! `bond`: a bond's mode, its members, their speeds and LACP aggregators.

use super::select::count_between;
use super::{
    FieldDoc, Judgement, KindDoc, counter_judgements, finding, nothing_selected, unreadable,
};
use crate::finding::{Finding, Severity};
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean};
use crate::policy::matcher::{Counter, Num, NumOr, Text, speed_unit};
use crate::policy::yaml::Node;
use crate::snapshot::values::{ALL, BOND_MODE_WORDS, XMIT_HASH_POLICY_WORDS};
use crate::snapshot::{Bond, BondMember, Fact, History, Missing, Reason, Snapshot};
use crate::state;

pub const DOC: KindDoc = KindDoc {
    name: "bond",
    summary: "bond mode, members up, equal speeds, one LACP aggregator, a live partner",
    what: "Selects bonds by name and checks the mode, the MII polling interval, the number \
           of members and how many are up, that the members run at one speed (and at a \
           given speed), that every member of an 802.3ad bond is in the bond's active \
           aggregator and sees an LACP partner, the active member, and link failure counts. \
           The facts come from /proc/net/bonding (sysfs when it is missing).",
    why: "A bond quietly running on one leg stays green everywhere: a member down, a member \
          renegotiated to a lower speed, a member with speed Unknown while MII says up, a \
          member in another aggregator because it is cabled to the wrong switch, or a \
          partner MAC of all zeros because no LACP partner answers.",
    fields: &[
        FieldDoc {
            name: "name",
            doc: "the bonds to check (text matcher: bond0, \"bond*\")",
        },
        FieldDoc {
            name: "mode",
            doc: "only the bonds in this mode (text matcher: 802.3ad): a policy for LACP bonds is not about an active-backup one. A bond whose mode cannot be read gives an UNKNOWN finding",
        },
        FieldDoc {
            name: "expect.mode",
            doc: "802.3ad, active-backup, balance-xor, ... (text matcher)",
        },
        FieldDoc {
            name: "expect.miimon",
            doc: "the MII polling interval in ms (number matcher); 0 is off",
        },
        FieldDoc {
            name: "expect.members",
            doc: "how many members (number matcher)",
        },
        FieldDoc {
            name: "expect.members_up",
            doc: "`all`, or how many must have MII up (number matcher)",
        },
        FieldDoc {
            name: "expect.same_speed",
            doc: "true: every member with MII up runs at one known speed (a speed Unknown while MII is up fails)",
        },
        FieldDoc {
            name: "expect.speed",
            doc: "each member's speed (number matcher, units allowed)",
        },
        FieldDoc {
            name: "expect.same_aggregator",
            doc: "true: every member is in the bond's active LACP aggregator (802.3ad); a member elsewhere is cabled to the wrong switch or port channel",
        },
        FieldDoc {
            name: "expect.lacp_partner",
            doc: "true: every member sees an LACP partner (a partner MAC not all zeros)",
        },
        FieldDoc {
            name: "expect.active_member",
            doc: "the member carrying traffic in active-backup, tlb and alb modes (text matcher)",
        },
        FieldDoc {
            name: "expect.link_failures",
            doc: "each member's link failure count (number matcher)",
        },
        FieldDoc {
            name: "expect.xmit_hash_policy",
            doc: "how traffic is spread over the members in the modes that hash: layer2, layer2+3, layer3+4, encap2+3, encap3+4, vlan+srcmac (text matcher); a mode that does not hash fails it",
        },
        FieldDoc {
            name: "expect.updelay",
            doc: "how long a member's link must stay up before the bond uses it, in ms (number matcher)",
        },
        FieldDoc {
            name: "expect.downdelay",
            doc: "how long a member's link must stay down before the bond drops it, in ms (number matcher)",
        },
        FieldDoc {
            name: "expect.arp_interval",
            doc: "how often the ARP monitor probes, in ms (number matcher); 0 is off",
        },
        FieldDoc {
            name: "expect.arp_targets",
            doc: "how many IPv4 addresses the ARP monitor probes (number matcher): one target is one router away from failing every member",
        },
        FieldDoc {
            name: "expect.primary",
            doc: "the member preferred as active in active-backup, tlb and alb modes (text matcher)",
        },
        FieldDoc {
            name: "expect.lacp_churn",
            doc: "false: no member's LACP port (ours or the partner's) is in churn state `churned`, the sign of a port that never agreed with the switch (802.3ad)",
        },
    ],
    example: r#"- id: bond0-healthy
  description: Both uplinks in one LACP aggregator, up, at 10G.
  bond:
    name: bond0
    expect:
      mode: 802.3ad
      members: { min: 2 }
      members_up: all
      same_speed: true
      speed: { min: 10G }
      same_aggregator: true
      lacp_partner: true"#,
    default_severity: Severity::Critical,
};

#[derive(Debug, Clone)]
pub enum MembersUp {
    All,
    Count(Num),
}

#[derive(Debug, Clone)]
pub enum Expect {
    Mode(Text),
    Miimon(Num),
    Members(Num),
    MembersUp(MembersUp),
    SameSpeed(bool),
    Speed(Num),
    SameAggregator(bool),
    LacpPartner(bool),
    ActiveMember(Text),
    LinkFailures(Counter),
    XmitHashPolicy(Text),
    UpDelay(Num),
    DownDelay(Num),
    ArpInterval(Num),
    ArpTargets(Num),
    Primary(Text),
    LacpChurn(bool),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub name: Text,
    /// Selects by mode too.
    pub mode: Option<Text>,
    pub expect: Vec<Expect>,
}

const EXPECT_KEYS: &[&str] = &[
    "mode",
    "miimon",
    "members",
    "members_up",
    "same_speed",
    "speed",
    "same_aggregator",
    "lacp_partner",
    "active_member",
    "link_failures",
    "xmit_hash_policy",
    "updelay",
    "downdelay",
    "arp_interval",
    "arp_targets",
    "primary",
    "lacp_churn",
];

pub fn parse(ctx: &mut Ctx, node: &Node) -> Option<Spec> {
    let f = Fields::new(ctx, node, "a bond check", &["name", "mode", "expect"])?;
    let name_node = f.required(ctx, "name", "a bond check")?;
    let name = Text::parse(ctx, name_node, "a bond name")?;
    let mode = match f.get("mode") {
        Some(n) => Some(Text::parse_words(ctx, n, &BOND_MODE_WORDS)?),
        None => None,
    };
    let e = f.required(ctx, "expect", "a bond check")?;
    let x = Fields::new(ctx, e, "a bond expectation", EXPECT_KEYS)?;
    let mut expect = Vec::new();
    for (key, n) in x.keys() {
        let parsed = match key.name.as_str() {
            "mode" => Text::parse_words(ctx, n, &BOND_MODE_WORDS).map(Expect::Mode),
            "miimon" => Num::parse(ctx, n, "miimon", None).map(Expect::Miimon),
            "members" => Num::parse(ctx, n, "members", None).map(Expect::Members),
            "members_up" => Num::parse_or_word(ctx, n, "members up", None, &ALL).map(|m| {
                Expect::MembersUp(match m {
                    NumOr::Word(_) => MembersUp::All,
                    NumOr::Num(m) => MembersUp::Count(m),
                })
            }),
            "same_speed" => boolean(ctx, n, "true or false").map(Expect::SameSpeed),
            "speed" => Num::parse(ctx, n, "speed", Some(speed_unit)).map(Expect::Speed),
            "same_aggregator" => boolean(ctx, n, "true or false").map(Expect::SameAggregator),
            "lacp_partner" => boolean(ctx, n, "true or false").map(Expect::LacpPartner),
            "active_member" => Text::parse(ctx, n, "a member name").map(Expect::ActiveMember),
            "link_failures" => Counter::parse(ctx, n, "link failures").map(Expect::LinkFailures),
            "xmit_hash_policy" => {
                Text::parse_words(ctx, n, &XMIT_HASH_POLICY_WORDS).map(Expect::XmitHashPolicy)
            }
            "updelay" => Num::parse(ctx, n, "updelay", None).map(Expect::UpDelay),
            "downdelay" => Num::parse(ctx, n, "downdelay", None).map(Expect::DownDelay),
            "arp_interval" => Num::parse(ctx, n, "arp_interval", None).map(Expect::ArpInterval),
            "arp_targets" => Num::parse(ctx, n, "arp_targets", None).map(Expect::ArpTargets),
            "primary" => Text::parse(ctx, n, "a member name").map(Expect::Primary),
            "lacp_churn" => boolean(ctx, n, "true or false").map(Expect::LacpChurn),
            _ => None,
        };
        expect.extend(parsed);
    }
    if x.keys().next().is_none() {
        ctx.error(
            e.pos,
            "a bond expectation is empty: there would be nothing to check",
        );
        return None;
    }
    Some(Spec { name, mode, expect })
}

const HINT_MEMBER: &str =
    "a member is down or missing: check its cable, optic and switch port, and that it is enslaved";
const HINT_SPEED: &str = "members at different or unknown speeds: a member renegotiated down or its PHY cannot tell its speed; check the cable and optic";
const HINT_AGG: &str = "a member is in another LACP aggregator: it is cabled to another switch or its switch port is not in the port channel";
const HINT_PARTNER: &str = "no LACP partner answers on a member: the switch port is not configured for LACP, or the member faces the wrong port";
const HINT_CONFIG: &str = "the bond's configuration differs from the policy";

fn up(m: &BondMember) -> bool {
    m.mii_status.known().map(String::as_str) == Some("up")
}

/// A member's fact that is missing because the member has none to give
/// (its link is down; its driver cannot tell its speed while MII says up,
/// itself the fault): it does not meet an expectation on every member.
/// Any other reason is a fact that could not be read.
fn member_lacks(m: &Missing) -> bool {
    matches!(m.reason, Reason::NotSupported | Reason::LinkDown)
}

/// Every member against `meets`: false when one does not, unknown when
/// none fails and one's fact could not be read.
fn every_member(ms: &[BondMember], meets: impl Fn(&BondMember) -> Fact<bool>) -> Option<bool> {
    let mut unread = false;
    for m in ms {
        match meets(m) {
            Fact::Known(false) => return Some(false),
            Fact::Known(true) => {}
            Fact::Unknown(miss) if member_lacks(&miss) => return Some(false),
            Fact::Unknown(_) => unread = true,
        }
    }
    (!unread).then_some(true)
}

fn judge(b: &Bond, expect: &[Expect], ev: &str, history: &Fact<History>) -> Vec<Judgement> {
    let members = &b.members;
    let each = |what: &str,
                hint: &'static str,
                m: &Num,
                value: fn(&BondMember) -> Fact<f64>,
                unit: &str|
     -> Judgement {
        let mut j = Judgement::of(
            what,
            members,
            format!("{m}{unit} on every member"),
            ev,
            hint,
            |_| true,
            |ms| {
                ms.iter()
                    .map(|x| match value(x) {
                        Fact::Known(v) => format!("{} {v}{unit}", x.name),
                        Fact::Unknown(miss) => format!("{} unknown ({})", x.name, miss.reason),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        if let Fact::Known(ms) = members {
            j.ok = every_member(ms, |x| value(x).map(|v| m.matches(v)));
        }
        j
    };
    let mut out = Vec::new();
    for e in expect {
        let one = match e {
            Expect::LinkFailures(m) => {
                if let Some(v) = &m.value {
                    out.push(each(
                        "link failures",
                        HINT_MEMBER,
                        v,
                        |x| x.link_failure_count.clone().map(|v| v as f64),
                        "",
                    ));
                }
                if m.max_increase.is_some() || m.max_rate.is_some() {
                    let growth = Counter {
                        value: None,
                        ..m.clone()
                    };
                    match members {
                        Fact::Known(ms) => {
                            for x in ms {
                                out.extend(counter_judgements(
                                    &format!("{} link failures", x.name),
                                    &x.link_failure_count,
                                    &state::bond_member_key(&b.name, &x.name),
                                    &growth,
                                    history,
                                    ev,
                                    HINT_MEMBER,
                                ));
                            }
                        }
                        Fact::Unknown(miss) => out.push(Judgement {
                            ok: None,
                            expected: "link failures of every member".into(),
                            observed: format!("members unknown: {miss}"),
                            evidence: vec![ev.to_owned()],
                            remediation: HINT_MEMBER,
                        }),
                    }
                }
                continue;
            }
            Expect::Mode(m) => Judgement::text("mode", &b.mode, m, ev, HINT_CONFIG),
            Expect::Miimon(m) => Judgement::of(
                "miimon",
                &b.miimon_ms,
                format!("{m} ms"),
                ev,
                HINT_CONFIG,
                |v| m.matches(f64::from(*v)),
                |v| format!("{v} ms"),
            ),
            Expect::Members(m) => Judgement::of(
                "members",
                members,
                m,
                ev,
                HINT_MEMBER,
                |ms| m.matches(ms.len() as f64),
                |ms| {
                    format!(
                        "{} ({})",
                        ms.len(),
                        ms.iter()
                            .map(|x| x.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            ),
            Expect::MembersUp(want) => {
                let expected = match want {
                    MembersUp::All => "all".to_owned(),
                    MembersUp::Count(m) => m.to_string(),
                };
                let mut j = Judgement::of(
                    "members up",
                    members,
                    expected,
                    ev,
                    HINT_MEMBER,
                    |_| true,
                    |ms| {
                        let down: Vec<String> = ms
                            .iter()
                            .filter(|x| !up(x))
                            .map(|x| match &x.mii_status {
                                Fact::Known(s) => format!("{} MII {s}", x.name),
                                Fact::Unknown(miss) => {
                                    format!("{} MII unknown ({})", x.name, miss.reason)
                                }
                            })
                            .collect();
                        let n = ms.iter().filter(|x| up(x)).count();
                        if down.is_empty() {
                            format!("{n} of {}", ms.len())
                        } else {
                            format!("{n} of {}: {}", ms.len(), down.join(", "))
                        }
                    },
                );
                if let Fact::Known(ms) = members {
                    let n = ms.iter().filter(|x| up(x)).count();
                    j.ok = match want {
                        MembersUp::All if ms.is_empty() => Some(false),
                        MembersUp::All => {
                            every_member(ms, |x| x.mii_status.as_ref().map(|s| s == "up"))
                        }
                        // A member whose MII status could not be read may
                        // be up.
                        MembersUp::Count(m) => {
                            let unread: Vec<&Missing> =
                                ms.iter().filter_map(|x| x.mii_status.missing()).collect();
                            let (sure, unsure) = (n, unread.len());
                            let why = unread.first().copied();
                            count_between("members up", sure, unsure, why, m, "", ev, HINT_MEMBER)
                                .ok
                        }
                    };
                }
                j
            }
            Expect::SameSpeed(want) => same_speed(b, *want, ev),
            Expect::Speed(m) => each(
                "speed",
                HINT_SPEED,
                m,
                |x| x.speed_mbps.clone().map(f64::from),
                " Mb/s",
            ),
            Expect::SameAggregator(want) => same_aggregator(b, *want, ev),
            Expect::XmitHashPolicy(m) => Judgement::of(
                "xmit_hash_policy",
                &b.xmit_hash_policy,
                m,
                ev,
                HINT_CONFIG,
                |v| v.as_deref().is_some_and(|v| m.matches(v)),
                |v| {
                    v.clone()
                        .unwrap_or_else(|| "none (the mode does not hash)".into())
                },
            ),
            Expect::UpDelay(m) => milliseconds("updelay", &b.up_delay_ms, m, ev),
            Expect::DownDelay(m) => milliseconds("downdelay", &b.down_delay_ms, m, ev),
            Expect::ArpInterval(m) => milliseconds("arp_interval", &b.arp_interval_ms, m, ev),
            Expect::ArpTargets(m) => Judgement::of(
                "arp_targets",
                &b.arp_targets,
                m,
                ev,
                HINT_CONFIG,
                |t| m.matches(t.len() as f64),
                |t| {
                    if t.is_empty() {
                        "0".to_owned()
                    } else {
                        format!("{} ({})", t.len(), t.join(", "))
                    }
                },
            ),
            Expect::Primary(m) => Judgement::of(
                "primary",
                &b.primary,
                m,
                ev,
                HINT_CONFIG,
                |v| v.as_deref().is_some_and(|v| m.matches(v)),
                |v| v.clone().unwrap_or_else(|| "none".into()),
            ),
            Expect::LacpChurn(want) => lacp_churn(b, *want, ev),
            Expect::LacpPartner(want) => lacp_partner(b, *want, ev),
            Expect::ActiveMember(m) => Judgement::of(
                "active member",
                &b.active_member,
                m,
                ev,
                HINT_MEMBER,
                |v| v.as_deref().is_some_and(|v| m.matches(v)),
                |v| v.clone().unwrap_or_else(|| "none".into()),
            ),
        };
        out.push(one);
    }
    out
}

fn milliseconds(what: &str, fact: &Fact<u32>, m: &Num, ev: &str) -> Judgement {
    Judgement::of(
        what,
        fact,
        format!("{m} ms"),
        ev,
        HINT_CONFIG,
        |v| m.matches(f64::from(*v)),
        |v| format!("{v} ms"),
    )
}

const HINT_CHURN: &str = "a member's LACP port churned: it and the switch port never agreed (the switch port is not in the port channel, or runs another LACP key); check the switch configuration and the cabling";

fn lacp_churn(b: &Bond, want: bool, ev: &str) -> Judgement {
    let j = |ok, observed: String| Judgement {
        ok,
        expected: if want {
            "a member in LACP churn"
        } else {
            "no member in LACP churn"
        }
        .to_owned(),
        observed,
        evidence: vec![ev.to_owned()],
        remediation: HINT_CHURN,
    };
    let members = match &b.members {
        Fact::Known(m) => m,
        Fact::Unknown(m) => return j(None, format!("members unknown: {m}")),
    };
    let mut churned = Vec::new();
    let mut unjudged = Vec::new();
    for m in members {
        match &m.lacp {
            Fact::Known(Some(l)) => {
                for (side, state) in [("actor", &l.actor_churn), ("partner", &l.partner_churn)] {
                    match state {
                        Fact::Known(s) if s == "churned" => {
                            churned.push(format!("{} {side} churned", m.name))
                        }
                        Fact::Known(_) => {}
                        Fact::Unknown(miss) => {
                            unjudged.push(format!("{} {side} unknown ({})", m.name, miss.reason))
                        }
                    }
                }
            }
            Fact::Known(None) => {
                let mode = b.mode.known().map_or("unknown", |s| s.as_str());
                return j(Some(false), format!("mode {mode}: no LACP ports"));
            }
            Fact::Unknown(miss) => unjudged.push(format!("{} unknown ({})", m.name, miss.reason)),
        }
    }
    if !churned.is_empty() {
        return j(Some(want), churned.join(", "));
    }
    if !unjudged.is_empty() {
        return j(None, unjudged.join(", "));
    }
    j(
        Some(!want),
        format!("no churn on all {} members", members.len()),
    )
}

fn same_speed(b: &Bond, want: bool, ev: &str) -> Judgement {
    let j = |ok, observed: String| Judgement {
        ok,
        expected: if want {
            "members at one speed"
        } else {
            "members at different speeds"
        }
        .to_owned(),
        observed,
        evidence: vec![ev.to_owned()],
        remediation: HINT_SPEED,
    };
    let members = match &b.members {
        Fact::Known(m) => m,
        Fact::Unknown(m) => return j(None, format!("members unknown: {m}")),
    };
    let mut speeds = Vec::new();
    let mut shown = Vec::new();
    let mut unjudged = false;
    for m in members.iter().filter(|m| up(m)) {
        match &m.speed_mbps {
            Fact::Known(s) => {
                speeds.push(Some(*s));
                shown.push(format!("{} {s} Mb/s", m.name));
            }
            // A driver that cannot tell a member's speed while MII says
            // the link is up is itself the fault.
            Fact::Unknown(miss) if miss.reason == Reason::NotSupported => {
                speeds.push(None);
                shown.push(format!("{} speed unknown while MII up", m.name));
            }
            Fact::Unknown(miss) => {
                unjudged = true;
                shown.push(format!("{} speed unknown ({})", m.name, miss.reason));
            }
        }
    }
    let one = speeds.iter().all(|s| s.is_some()) && speeds.windows(2).all(|w| w[0] == w[1]);
    let observed = format!(
        "members at {}",
        if shown.is_empty() {
            "no speed: none up".into()
        } else {
            shown.join(", ")
        }
    );
    if unjudged && one {
        return j(None, observed);
    }
    j(Some(one == want), observed)
}

fn same_aggregator(b: &Bond, want: bool, ev: &str) -> Judgement {
    let j = |ok, observed: String| Judgement {
        ok,
        expected: if want {
            "every member in the bond's active aggregator"
        } else {
            "members in different aggregators"
        }
        .to_owned(),
        observed,
        evidence: vec![ev.to_owned()],
        remediation: HINT_AGG,
    };
    let lacp = match &b.lacp {
        Fact::Known(Some(l)) => l,
        Fact::Known(None) => {
            let mode = b.mode.known().map_or("unknown", |m| m.as_str());
            return j(Some(!want), format!("mode {mode}: no LACP aggregators"));
        }
        Fact::Unknown(m) => return j(None, format!("LACP unknown: {m}")),
    };
    let active = match &lacp.active_aggregator_id {
        Fact::Known(Some(a)) => *a,
        Fact::Known(None) => return j(Some(!want), "the bond has no active aggregator".into()),
        Fact::Unknown(m) => return j(None, format!("active aggregator unknown: {m}")),
    };
    let members = match &b.members {
        Fact::Known(m) => m,
        Fact::Unknown(m) => return j(None, format!("members unknown: {m}")),
    };
    let mut elsewhere = Vec::new();
    let mut unjudged = Vec::new();
    for m in members {
        match m
            .lacp
            .as_ref()
            .map(|l| l.as_ref().map(|l| &l.aggregator_id))
        {
            Fact::Known(Some(Fact::Known(Some(id)))) if *id == active => {}
            Fact::Known(Some(Fact::Known(Some(id)))) => {
                elsewhere.push(format!("{} in aggregator {id}", m.name))
            }
            Fact::Known(Some(Fact::Known(None))) | Fact::Known(None) => {
                elsewhere.push(format!("{} in no aggregator", m.name))
            }
            Fact::Known(Some(Fact::Unknown(miss))) => {
                unjudged.push(format!("{} unknown ({})", m.name, miss.reason))
            }
            Fact::Unknown(miss) => unjudged.push(format!("{} unknown ({})", m.name, miss.reason)),
        }
    }
    let observed = if elsewhere.is_empty() && unjudged.is_empty() {
        format!("all {} members in aggregator {active}", members.len())
    } else {
        format!(
            "active aggregator {active}; {}",
            elsewhere
                .iter()
                .chain(&unjudged)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if !elsewhere.is_empty() {
        return j(Some(!want), observed);
    }
    if !unjudged.is_empty() {
        return j(None, observed);
    }
    j(Some(want), observed)
}

/// A partner MAC of all zeros: no LACP partner answers on that port.
pub fn no_partner(mac: &str) -> bool {
    mac.split(':').all(|octet| octet.chars().all(|c| c == '0'))
}

fn lacp_partner(b: &Bond, want: bool, ev: &str) -> Judgement {
    let j = |ok, observed: String| Judgement {
        ok,
        expected: if want {
            "an LACP partner on every member"
        } else {
            "a member without an LACP partner"
        }
        .to_owned(),
        observed,
        evidence: vec![ev.to_owned()],
        remediation: HINT_PARTNER,
    };
    let members = match &b.members {
        Fact::Known(m) => m,
        Fact::Unknown(m) => return j(None, format!("members unknown: {m}")),
    };
    let mut missing = Vec::new();
    let mut unjudged = Vec::new();
    // The active aggregator's partner is the partner of every port in it:
    // it stands for a member whose own view the kernel does not print.
    let (active, aggregator_partner) = match &b.lacp {
        Fact::Known(Some(l)) => {
            match &l.partner_mac {
                Fact::Known(Some(mac)) if no_partner(mac) => {
                    missing.push(format!("the active aggregator's partner {mac}"))
                }
                Fact::Known(None) => missing.push("the bond has no active aggregator".to_owned()),
                _ => {}
            }
            (
                l.active_aggregator_id.known().copied().flatten(),
                l.partner_mac.known().cloned().flatten(),
            )
        }
        _ => (None, None),
    };
    for m in members {
        match &m.lacp {
            Fact::Known(Some(l)) => match &l.partner_mac {
                Fact::Known(mac) if no_partner(mac) => {
                    missing.push(format!("{} partner {mac}", m.name))
                }
                Fact::Known(_) => {}
                Fact::Unknown(miss) => {
                    let in_active =
                        active.is_some() && l.aggregator_id.known().copied().flatten() == active;
                    match &aggregator_partner {
                        // Judged above, through the aggregator.
                        Some(_) if in_active && miss.reason == Reason::NotSupported => {}
                        _ => unjudged.push(format!("{} unknown ({})", m.name, miss.reason)),
                    }
                }
            },
            Fact::Known(None) => missing.push(format!("{} not in LACP", m.name)),
            Fact::Unknown(miss) => unjudged.push(format!("{} unknown ({})", m.name, miss.reason)),
        }
    }
    if !missing.is_empty() {
        return j(Some(!want), missing.join(", "));
    }
    if !unjudged.is_empty() {
        return j(None, unjudged.join(", "));
    }
    j(
        Some(want),
        format!("a partner on all {} members", members.len()),
    )
}

pub fn evaluate(check: &Check, spec: &Spec, snap: &Snapshot) -> Vec<Finding> {
    let bonds = match &snap.bonds {
        Fact::Known(b) => b,
        Fact::Unknown(m) => {
            return vec![unreadable(
                check,
                "(bonds)",
                "bonds",
                m,
                vec![snap.origin.file("proc/net/bonding")],
            )];
        }
    };
    let mut selector = format!("name {}", spec.name);
    if let Some(m) = &spec.mode {
        selector.push_str(&format!(", mode {m}"));
    }
    let mut out = Vec::new();
    for b in bonds.iter().filter(|b| spec.name.matches(&b.name)) {
        let ev = snap.origin.file(&b.source);
        match (&spec.mode, &b.mode) {
            (None, _) => {}
            (Some(m), Fact::Known(mode)) if m.matches(mode) => {}
            (Some(_), Fact::Known(_)) => continue,
            (Some(_), Fact::Unknown(miss)) => {
                let mut f = finding(
                    check,
                    &b.name,
                    vec![Judgement {
                        ok: None,
                        expected: format!("a bond {selector}"),
                        observed: format!(
                            "cannot tell whether it is selected: mode unknown: {miss}"
                        ),
                        evidence: vec![ev],
                        remediation: "",
                    }],
                );
                f.remediation = "read the bond's mode by hand, or select it by name".into();
                out.push(f);
                continue;
            }
        }
        out.push(finding(
            check,
            &b.name,
            judge(b, &spec.expect, &ev, &snap.history),
        ));
    }
    if out.is_empty() {
        out.push(nothing_selected(
            check,
            "bond",
            &selector,
            vec![snap.origin.file("proc/net/bonding")],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::bond::parse_proc;
    use crate::snapshot::Missing;

    const REL: &str = "proc/net/bonding/bond0";

    /// A 3.2-era 802.3ad bond: the active aggregator and its partner are
    /// printed, the members' own LACPDU details and churn are not.
    const OLD_LACP: &str = "Ethernet Channel Bonding Driver: v3.2.4 (January 28, 2008)

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: layer2 (0)
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0

802.3ad info
LACP rate: slow
Active Aggregator Info:
\tAggregator ID: 3
\tNumber of ports: 2
\tActor Key: 17
\tPartner Key: 1
\tPartner Mac Address: 00:00:00:00:00:00

Slave Interface: eth1
MII Status: up
Speed: 1000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 00:16:35:5e:42:fc
Aggregator ID: 3

Slave Interface: eth2
MII Status: up
Speed: 1000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 00:16:35:5e:42:fd
Aggregator ID: 3
";

    fn history() -> Fact<History> {
        Fact::Unknown(Missing::new(Reason::NotCaptured, "no state"))
    }

    fn one(b: &Bond, e: Expect) -> Judgement {
        let mut j = judge(b, &[e], REL, &history());
        assert_eq!(j.len(), 1);
        j.remove(0)
    }

    #[test]
    fn a_zero_partner_of_the_active_aggregator_fails_where_members_show_none() {
        let b = parse_proc("bond0", REL, OLD_LACP);
        let j = one(&b, Expect::LacpPartner(true));
        assert_eq!(j.ok, Some(false), "{j:?}");
        assert!(
            j.observed
                .contains("the active aggregator's partner 00:00:00:00:00:00"),
            "{j:?}"
        );
        // A partner that answers, seen through the aggregator, passes every
        // member in it.
        let b = parse_proc(
            "bond0",
            REL,
            &OLD_LACP.replace(
                "Partner Mac Address: 00:00:00:00:00:00",
                "Partner Mac Address: 00:1c:73:00:00:01",
            ),
        );
        assert_eq!(one(&b, Expect::LacpPartner(true)).ok, Some(true));
        // A member in another aggregator has a partner the file does not
        // show: unknown, not a pass.
        let b = parse_proc(
            "bond0",
            REL,
            &OLD_LACP
                .replace(
                    "Partner Mac Address: 00:00:00:00:00:00",
                    "Partner Mac Address: 00:1c:73:00:00:01",
                )
                .replace("42:fd\nAggregator ID: 3", "42:fd\nAggregator ID: 4"),
        );
        assert_eq!(one(&b, Expect::LacpPartner(true)).ok, None);
    }

    #[test]
    fn churn_hash_policy_and_delays() {
        let text = OLD_LACP.replace(
            "42:fd\nAggregator ID: 3\n",
            "42:fd\nAggregator ID: 3\nActor Churn State: none\nPartner Churn State: churned\nActor Churned Count: 0\nPartner Churned Count: 2\n",
        );
        let b = parse_proc("bond0", REL, &text);
        // eth2 churned; eth1's part shows no churn at all: still a fail,
        // the churned port is known.
        let j = one(&b, Expect::LacpChurn(false));
        assert_eq!(j.ok, Some(false), "{j:?}");
        assert_eq!(j.observed, "eth2 partner churned");
        // Without the churned port, eth1's unknown churn leaves it unjudged.
        let b = parse_proc(
            "bond0",
            REL,
            &text.replace("Partner Churn State: churned", "Partner Churn State: none"),
        );
        assert_eq!(one(&b, Expect::LacpChurn(false)).ok, None);
        let j = one(&b, Expect::XmitHashPolicy(Text::literal("layer3+4")));
        assert_eq!(
            (j.ok, j.observed.as_str()),
            (Some(false), "xmit_hash_policy layer2")
        );
        assert_eq!(one(&b, Expect::UpDelay(Num::exactly(0.0))).ok, Some(true));
        assert_eq!(
            one(
                &b,
                Expect::ArpTargets(Num {
                    min: Some(1.0),
                    max: None,
                    any_of: vec![],
                    none_of: vec![]
                })
            )
            .ok,
            Some(false)
        );
        // An active-backup bond has no hash policy to match.
        let ab = parse_proc("bond0", REL, &OLD_LACP.replace("IEEE 802.3ad Dynamic link aggregation\nTransmit Hash Policy: layer2 (0)", "fault-tolerance (active-backup)\nPrimary Slave: None\nCurrently Active Slave: eth1"));
        assert_eq!(
            one(&ab, Expect::XmitHashPolicy(Text::literal("layer2"))).ok,
            Some(false)
        );
        assert_eq!(
            one(&ab, Expect::Primary(Text::literal("eth1"))).ok,
            Some(false)
        );
        assert_eq!(one(&ab, Expect::LacpChurn(false)).ok, Some(false));
    }

    #[test]
    fn enumerated_words_are_checked_with_a_suggestion() {
        let node = crate::policy::yaml::parse("name: bond0\nexpect: { mode: 802.3da, xmit_hash_policy: { in: [layer34, \"encap*\"] } }\n").unwrap();
        let mut ctx = Ctx::new("p.yaml");
        assert!(parse(&mut ctx, &node).is_some());
        let errors: Vec<String> = ctx.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [
                "p.yaml:2:17: unknown bond mode `802.3da`: did you mean `802.3ad`?",
                "p.yaml:2:51: unknown transmit hash policy `layer34`: did you mean `layer3+4`?",
            ]
        );
    }
}
