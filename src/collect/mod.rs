//! Collectors: read facts through a [`Source`] and assemble the
//! [`Snapshot`]. One file per object; every fact that cannot be read comes
//! back as a reason, never as a guess.

pub mod bond;
mod host;
pub mod infiniband;
mod link;
mod lldp;
mod lookup;
mod pci;
pub mod resolve;
mod route;
pub mod storage;
mod sysfs_net;

pub use lookup::{route_lookups, table_lookups};
pub use storage::lookups::{FileRequest, file_facts, mount_probes};

use std::io;

use crate::snapshot::{Fact, Missing, Reason, SCHEMA, Snapshot};
use crate::source::{Source, is_not_captured};

/// Which parts of the host to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub host: bool,
    pub links: bool,
    pub bonds: bool,
    pub routes: bool,
    pub storage: bool,
}

impl Scope {
    pub const ALL: Scope = Scope {
        host: true,
        links: true,
        bonds: true,
        routes: true,
        storage: true,
    };
}

/// Reads the host. Parts outside `scope` are marked as not collected.
pub fn snapshot(source: &Source, scope: Scope) -> Snapshot {
    let skipped = |what: &str| {
        Missing::new(
            Reason::NotCaptured,
            format!("{what} not collected in this run"),
        )
    };
    let host = if scope.host {
        host::collect(source)
    } else {
        host::skipped(&skipped("host facts"))
    };
    // Routes and neighbours name links, so the link dump is needed for both.
    let interfaces = if scope.links || scope.routes {
        link::interfaces(source)
    } else {
        Err(skipped("links"))
    };
    let links = if scope.links {
        match &interfaces {
            Ok((ifaces, origin)) => Fact::Known(link::collect(source, ifaces, *origin)),
            Err(m) => Fact::Unknown(m.clone()),
        }
    } else {
        Fact::Unknown(skipped("links"))
    };
    let infiniband = if scope.links {
        infiniband::collect(source)
    } else {
        Fact::Unknown(skipped("InfiniBand ports"))
    };
    let bonds = if scope.bonds {
        bond::collect(source)
    } else {
        Fact::Unknown(skipped("bonds"))
    };
    let (routes, rules, neighbors) = if scope.routes {
        let ifaces = interfaces
            .as_ref()
            .map(|(i, _)| i.as_slice())
            .unwrap_or(&[]);
        route::collect(source, ifaces)
    } else {
        (
            Fact::Unknown(skipped("routes")),
            Fact::Unknown(skipped("rules")),
            Fact::Unknown(skipped("neighbours")),
        )
    };
    // The neighbours belong with the links they were heard on.
    let lldp = if scope.links {
        lldp::collect(source)
    } else {
        Fact::Unknown(skipped("LLDP neighbours"))
    };
    let storage = if scope.storage {
        storage::collect(source)
    } else {
        crate::snapshot::Storage::unread(&skipped("storage"))
    };
    Snapshot {
        schema: SCHEMA,
        host,
        links,
        bonds,
        infiniband,
        routes,
        rules,
        neighbors,
        lldp,
        storage,
        route_lookups: Vec::new(),
        history: Fact::unknown(
            Reason::NotCaptured,
            "increases and rates need the previous run's counters: audit with --state FILE",
        ),
        origin: source.origin(matches!(interfaces, Ok((_, link::Origin::Sysfs)))),
    }
}

/// The reason a file read failed. A file a fixture does not hold (and did
/// not see absent on the captured host) was not captured.
pub(crate) fn file_missing(rel: &str, err: &io::Error) -> Missing {
    if is_not_captured(err) {
        return Missing::new(Reason::NotCaptured, format!("the fixture has no {rel}"));
    }
    Missing::io(rel, err)
}

/// Whether a read failed because the host has no such file (live, or seen
/// absent by the capture), which is often a fact in itself.
pub(crate) fn absent_on_host(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::NotFound && !is_not_captured(err)
}

/// A one-value file as a fact.
pub(crate) fn read_value(source: &Source, rel: &str) -> Result<String, Missing> {
    source
        .root()
        .read_value(rel)
        .map_err(|e| file_missing(rel, &e))
}

/// A one-value file parsed with `parse`; text it cannot parse is malformed.
pub(crate) fn read_parsed<T>(
    source: &Source,
    rel: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, Missing> {
    let text = read_value(source, rel)?;
    parse(&text).ok_or_else(|| {
        Missing::new(
            Reason::Malformed,
            format!("{rel}: unexpected value {text:?}"),
        )
    })
}

/// Parses a sysfs number: decimal, or hex with a `0x` prefix.
pub(crate) fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn sysfs_numbers_are_decimal_or_prefixed_hex() {
        assert_eq!(parse_number("1003"), Some(1003));
        assert_eq!(parse_number("0x1003"), Some(0x1003));
        assert_eq!(parse_number(" 0x90\n"), Some(0x90));
        assert_eq!(parse_number("0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("0xzz"), None);
        assert_eq!(parse_number(""), None);
    }
}
