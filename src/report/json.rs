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
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    let mut ser = serde_json::Serializer::with_formatter(&mut w, Pretty::default());
    View::of(snapshot, parts).serialize(&mut ser)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// serde_json's pretty layout (two spaces a level), with each line break
/// and its indentation written at once: a million routes are ten million
/// lines, and writing the indentation two spaces at a time was a fifth of
/// `show routes --format json`.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        const LINE: &[u8] = b"\n                                                                ";
        let mut spaces = self.depth * 2;
        let first = spaces.min(LINE.len() - 1);
        w.write_all(&LINE[..1 + first])?;
        spaces -= first;
        while spaces > 0 {
            let n = spaces.min(LINE.len() - 1);
            w.write_all(&LINE[1..1 + n])?;
            spaces -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_serde_jsons_pretty_one() {
        let deep = (0..40).fold(
            serde_json::json!(1),
            |v, i| serde_json::json!({ format!("k{i}"): [v, [], {}, "x"] }),
        );
        for v in [
            serde_json::json!({"a": [1, {"b": null, "c": []}, {}], "d": {"e": "f\"g"}}),
            serde_json::json!([]),
            serde_json::json!({}),
            deep,
        ] {
            let mut ours = Vec::new();
            v.serialize(&mut serde_json::Serializer::with_formatter(
                &mut ours,
                Pretty::default(),
            ))
            .unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string_pretty(&v).unwrap()
            );
        }
    }
}
