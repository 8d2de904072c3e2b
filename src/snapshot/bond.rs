//! Bonds: how the bonding driver runs each bond, and what it sees of each
//! member. These are the facts behind "a bond quietly running on one leg":
//! a member down, at another speed, in another LACP aggregator, or facing no
//! LACP partner.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Duplex, Fact};

/// The kernel's names of the bonding modes, in mode-number order (0-6).
pub const BOND_MODES: [&str; 7] = [
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
];

/// The kernel's names of the transmit hash policies (`xmit_hash_policy`).
pub const XMIT_HASH_POLICIES: [&str; 6] = [
    "layer2",
    "layer3+4",
    "layer2+3",
    "encap2+3",
    "encap3+4",
    "vlan+srcmac",
];

/// The kernel's words for a LACP port's churn state: `churned` when the
/// port and its partner did not agree within the churn detection time
/// (60 s), which a port facing a switch port not in the port channel
/// shows.
pub const CHURN_STATES: [&str; 3] = ["monitoring", "none", "churned"];

/// Whether a mode spreads traffic by a transmit hash (the kernel prints
/// the policy for these; balance-tlb only without dynamic balancing).
pub fn mode_uses_xmit_hash(mode: &str) -> bool {
    matches!(mode, "802.3ad" | "balance-xor" | "balance-tlb")
}

/// Whether a mode has one active member at a time (the kernel's
/// `bond_uses_primary`): the others stand by or only receive.
pub fn mode_has_active_member(mode: &str) -> bool {
    matches!(mode, "active-backup" | "balance-tlb" | "balance-alb")
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Bond {
    pub name: String,
    /// What the facts were read from, relative to the root:
    /// `proc/net/bonding/BOND`, or `sys/class/net/BOND/bonding` where that
    /// file was missing.
    pub source: String,
    /// One of [`BOND_MODES`].
    pub mode: Fact<String>,
    /// How often the MII monitor polls the members; 0 when it is off (an
    /// ARP monitor, or nothing, watches the links instead).
    pub miimon_ms: Fact<u32>,
    /// How long a member's link must stay up (down) before the bond uses
    /// (stops using) it, in ms; 0: at once.
    pub up_delay_ms: Fact<u32>,
    pub down_delay_ms: Fact<u32>,
    /// How often the ARP monitor probes `arp_targets`, in ms; 0 when it is
    /// off.
    pub arp_interval_ms: Fact<u32>,
    /// The IPv4 addresses the ARP monitor probes; empty when it is off.
    pub arp_targets: Fact<Vec<String>>,
    /// How transmitted traffic is spread over the members: one of
    /// [`XMIT_HASH_POLICIES`]; `null` in the modes that do not hash.
    pub xmit_hash_policy: Fact<Option<String>>,
    /// The member preferred as the active one, in modes that have one;
    /// `null` when none is set, and in the other modes.
    pub primary: Fact<Option<String>>,
    /// The bond's own link state: `up` or `down`.
    pub mii_status: Fact<String>,
    /// The member carrying the traffic in modes that have one
    /// ([`mode_has_active_member`]); `null` when none is active, and in the
    /// other modes.
    pub active_member: Fact<Option<String>>,
    /// LACP state of an 802.3ad bond; `null` in the other modes.
    pub lacp: Fact<Option<BondLacp>>,
    pub members: Fact<Vec<BondMember>>,
}

/// The bond's side of LACP, and the aggregator it transmits on.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BondLacp {
    /// `slow` (a LACPDU every 30 s asked of the partner) or `fast` (1 s).
    pub rate: Fact<String>,
    /// The active aggregator; `null` when the bond has none.
    pub active_aggregator_id: Fact<Option<u32>>,
    /// The partner system of the active aggregator, as read (all zeros: no
    /// partner answers); `null` when the bond has no active aggregator.
    pub partner_mac: Fact<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BondMember {
    pub name: String,
    /// The bond's view of the member's link: `up`, `down`, `going down`,
    /// `going back`.
    pub mii_status: Fact<String>,
    /// Never 0: a speed the driver does not report is unknown.
    pub speed_mbps: Fact<u32>,
    pub duplex: Fact<Duplex>,
    /// How often the bond saw the member's link fail since it joined.
    pub link_failure_count: Fact<u64>,
    /// The member's own hardware address (the bond may have rewritten its
    /// current one); `null` for a device without one.
    pub permanent_mac: Fact<Option<String>>,
    /// The member's LACP port; `null` when the bond does not run 802.3ad.
    pub lacp: Fact<Option<MemberLacp>>,
}

/// One member's LACP port.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MemberLacp {
    /// The aggregator the port is attached to; `null` when it is attached
    /// to none. Members of a healthy bond share one.
    pub aggregator_id: Fact<Option<u32>>,
    /// The partner system MAC in the LACPDUs this port receives, kept as
    /// read: all zeros means no LACP partner answers on this port.
    pub partner_mac: Fact<String>,
    /// Churn detection of this port (our side) and of its partner: one of
    /// [`CHURN_STATES`].
    pub actor_churn: Fact<String>,
    pub partner_churn: Fact<String>,
    /// How often each side churned since the port joined the bond.
    pub actor_churned_count: Fact<u64>,
    pub partner_churned_count: Fact<u64>,
}
