//! The data model of a host: plain, serializable, no I/O.
//!
//! Collectors fill a [`Snapshot`]; checks and reports only read it. The JSON
//! form is versioned by [`SCHEMA`]: a change that removes or renames a field
//! bumps it.

mod bond;
mod fact;
mod host;
mod link;
mod neighbor;
mod route;

use serde::Serialize;

pub use bond::{BOND_MODES, Bond, BondLacp, BondMember, MemberLacp, mode_has_active_member};
pub use fact::{Fact, Missing, Reason};
pub use host::{Host, PstoreRecord, Taint, TaintFlag};
pub use link::{
    Address, Counters, Device, DriverInfo, Duplex, Interface, Link, LinkModes, LinkSettings,
    Onboard, PciDevice, PcieLink, PciePort,
};
pub use neighbor::{Neighbor, nud_name, nud_names};
pub use route::{
    DevId, Family, NextHop, Prefix, Route, RouteEntry, RouteError, RouteHeaderFields, RouteTable,
    Rule, names, route_flag_names,
};

pub const SCHEMA: &str = "hostlint.snapshot/1";

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub schema: &'static str,
    pub host: Host,
    pub links: Fact<Vec<Link>>,
    pub bonds: Fact<Vec<Bond>>,
    pub routes: Fact<RouteTable>,
    pub rules: Fact<Vec<Rule>>,
    pub neighbors: Fact<Vec<Neighbor>>,
}

impl Snapshot {
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.known()?.iter().find(|l| l.iface.name == name)
    }

    pub fn bond(&self, name: &str) -> Option<&Bond> {
        self.bonds.known()?.iter().find(|b| b.name == name)
    }
}
