//! The snapshot as a versioned JSON document (`schema` names the version),
//! streamed to the writer: a full routing table is never built in memory a
//! second time.

use std::io::{self, Write};

use serde::Serialize;

use super::table::Part;
use crate::snapshot::{
    Bond, Fact, Host, IbDevice, Link, LldpNeighbor, Neighbor, RouteTable, Rule, Snapshot, Storage,
};

/// The parts of a snapshot a `show` asked for, as JSON and YAML write them.
#[derive(Serialize)]
pub(super) struct View<'a> {
    schema: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a Host>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<&'a Fact<Vec<Link>>>,
    /// RDMA ports, shown with the links.
    #[serde(skip_serializing_if = "Option::is_none")]
    infiniband: Option<&'a Fact<Vec<IbDevice>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bonds: Option<&'a Fact<Vec<Bond>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    routes: Option<&'a Fact<RouteTable>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<&'a Fact<Vec<Rule>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    neighbors: Option<&'a Fact<Vec<Neighbor>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lldp: Option<&'a Fact<Vec<LldpNeighbor>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<&'a Storage>,
}

impl<'a> View<'a> {
    pub(super) fn of(snapshot: &'a Snapshot, parts: &[Part]) -> View<'a> {
        let has = |p: Part| parts.contains(&p);
        View {
            schema: snapshot.schema,
            host: has(Part::Host).then_some(&snapshot.host),
            links: has(Part::Links).then_some(&snapshot.links),
            infiniband: has(Part::Links).then_some(&snapshot.infiniband),
            bonds: has(Part::Bonds).then_some(&snapshot.bonds),
            routes: has(Part::Routes).then_some(&snapshot.routes),
            rules: has(Part::Routes).then_some(&snapshot.rules),
            neighbors: has(Part::Routes).then_some(&snapshot.neighbors),
            // Heard on the links, shown with them.
            lldp: (has(Part::Links) || has(Part::Lldp)).then_some(&snapshot.lldp),
            storage: has(Part::Storage).then_some(&snapshot.storage),
        }
    }
}

/// Writes the parts asked for, with `schema` always first.
pub fn write(snapshot: &Snapshot, parts: &[Part], out: &mut impl Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut w, &View::of(snapshot, parts))?;
    w.write_all(b"\n")?;
    w.flush()
}
