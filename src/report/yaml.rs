//! The snapshot as YAML: the same document as [`json`](super::json), field
//! for field (`schema` first, an unreadable fact as `unknown` and
//! `detail`), for operators who read and diff YAML.

use std::io::{self, Write};

use super::json::View;
use super::table::Part;
use crate::snapshot::Snapshot;

/// Writes the parts asked for, with `schema` always first.
pub fn write(snapshot: &Snapshot, parts: &[Part], out: &mut impl Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(out);
    serde_saphyr::to_io_writer(&mut w, &View::of(snapshot, parts))
        .map_err(|e| io::Error::other(format!("writing YAML: {e}")))?;
    w.flush()
}
