//! Neighbour (ARP / NDP) entries: whether a gateway answers.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Neighbor {
    pub address: IpAddr,
    pub dev: String,
    pub lladdr: Option<String>,
    /// NUD states as `ip neigh` prints them: `REACHABLE`, `STALE`, `FAILED`...
    pub state: Vec<&'static str>,
    pub router: bool,
}

/// Kernel NUD state bits and their `ip neigh` names.
pub const NUD_STATES: &[(u16, &str)] = &[
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
];

pub fn nud_names(state: u16) -> Vec<&'static str> {
    if state == 0 {
        return vec!["NONE"];
    }
    NUD_STATES
        .iter()
        .filter(|(bit, _)| state & bit != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// The interned name for a NUD state read from text, so that a state the
/// kernel reports and one read back from a fixture compare equal.
pub fn nud_name(text: &str) -> Option<&'static str> {
    if text == "NONE" {
        return Some("NONE");
    }
    NUD_STATES.iter().find(|(_, n)| *n == text).map(|(_, n)| *n)
}
