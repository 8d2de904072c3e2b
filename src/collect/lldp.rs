//! LLDP neighbours: lldpcli's JSON through the source, parsed.

use crate::snapshot::{Fact, LldpNeighbor, Missing, Reason};
use crate::source::{Source, layout, lldpcli};

pub(super) fn collect(source: &Source) -> Fact<Vec<LldpNeighbor>> {
    let text = match source.lldp_neighbors() {
        Ok(t) => t,
        Err(m) => return Fact::Unknown(m),
    };
    let what = if source.is_live() {
        "lldpcli's output"
    } else {
        layout::LLDP
    };
    match lldpcli::parse_neighbors(&text, what) {
        Ok(n) => Fact::Known(n),
        Err(e) => Fact::Unknown(Missing::new(Reason::Malformed, e)),
    }
}
