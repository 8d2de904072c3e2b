//! Routes, policy rules and neighbours.

use crate::snapshot::{Fact, Interface, Neighbor, RouteTable, Rule};
use crate::source::Source;

pub fn collect(
    source: &Source,
    ifaces: &[Interface],
) -> (Fact<RouteTable>, Fact<Vec<Rule>>, Fact<Vec<Neighbor>>) {
    (
        source.routes(ifaces).into(),
        source.rules().into(),
        source.neighbors(ifaces).into(),
    )
}
