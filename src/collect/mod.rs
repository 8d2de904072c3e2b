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
pub mod storage;
mod sysfs_net;

pub use lookup::{route_lookups, table_lookups};
pub use storage::lookups::{FileRequest, file_facts, mount_probes};

use std::io;

use crate::snapshot::{Fact, Missing, Reason, SCHEMA, Snapshot};
use crate::source::{Source, is_not_captured};

/// Which parts of the host to read. An audit reads what its policies'
/// checks and conditions look at (`check::reads`), `show` what it shows,
/// a capture everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub host: bool,
    pub links: bool,
    pub bonds: bool,
    /// Every route of every table: a million on a router with full tables.
    pub route_table: bool,
    pub rules: bool,
    pub neighbors: bool,
    /// The neighbours lldpd heard on each port (`lldpcli`).
    pub lldp: bool,
    pub storage: StorageScope,
}

/// Which storage parts to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StorageScope {
    pub block: bool,
    pub multipath: bool,
    pub dm: bool,
    pub nvme: bool,
    pub fc_hosts: bool,
    pub iscsi: bool,
    pub sas_phys: bool,
    pub ata_links: bool,
    pub md: bool,
    pub mounts: bool,
}

impl StorageScope {
    pub const NONE: StorageScope = StorageScope {
        block: false,
        multipath: false,
        dm: false,
        nvme: false,
        fc_hosts: false,
        iscsi: false,
        sas_phys: false,
        ata_links: false,
        md: false,
        mounts: false,
    };

    pub const ALL: StorageScope = StorageScope {
        block: true,
        multipath: true,
        dm: true,
        nvme: true,
        fc_hosts: true,
        iscsi: true,
        sas_phys: true,
        ata_links: true,
        md: true,
        mounts: true,
    };

    pub fn union(self, o: StorageScope) -> StorageScope {
        StorageScope {
            block: self.block || o.block,
            multipath: self.multipath || o.multipath,
            dm: self.dm || o.dm,
            nvme: self.nvme || o.nvme,
            fc_hosts: self.fc_hosts || o.fc_hosts,
            iscsi: self.iscsi || o.iscsi,
            sas_phys: self.sas_phys || o.sas_phys,
            ata_links: self.ata_links || o.ata_links,
            md: self.md || o.md,
            mounts: self.mounts || o.mounts,
        }
    }
}

impl Scope {
    pub const NONE: Scope = Scope {
        host: false,
        links: false,
        bonds: false,
        route_table: false,
        rules: false,
        neighbors: false,
        lldp: false,
        storage: StorageScope::NONE,
    };

    pub const ALL: Scope = Scope {
        host: true,
        links: true,
        bonds: true,
        route_table: true,
        rules: true,
        neighbors: true,
        lldp: true,
        storage: StorageScope::ALL,
    };

    pub const HOST: Scope = Scope {
        host: true,
        ..Scope::NONE
    };

    pub const LINKS: Scope = Scope {
        links: true,
        ..Scope::NONE
    };

    pub const BONDS: Scope = Scope {
        bonds: true,
        ..Scope::NONE
    };

    pub const LLDP: Scope = Scope {
        lldp: true,
        ..Scope::NONE
    };

    /// The routing picture: every table, the rules, the neighbours.
    pub const ROUTES: Scope = Scope {
        route_table: true,
        rules: true,
        neighbors: true,
        ..Scope::NONE
    };

    pub const STORAGE: Scope = Scope {
        storage: StorageScope::ALL,
        ..Scope::NONE
    };

    /// The parts a fact path of `applies_to.facts` looks into, by the
    /// snapshot document's keys: `links.*.driver.driver` the links,
    /// `storage.mounts.*.fstype` the mounts. A key this function does not
    /// know (a part added to the snapshot later) reads everything: reading
    /// too much costs time, reading too little would decide on a fact
    /// never read.
    pub fn of_fact_path(path: &str) -> Scope {
        let mut keys = path.split('.');
        let storage = |storage: StorageScope| Scope {
            storage,
            ..Scope::NONE
        };
        let none = StorageScope::NONE;
        match keys.next() {
            Some("schema") | Some("route_lookups") => Scope::NONE,
            Some("host") => Scope::HOST,
            // InfiniBand ports are read with the links (a RoCE port is one).
            Some("links") | Some("infiniband") => Scope::LINKS,
            Some("bonds") => Scope::BONDS,
            Some("routes") => Scope {
                route_table: true,
                ..Scope::NONE
            },
            Some("rules") => Scope {
                rules: true,
                ..Scope::NONE
            },
            Some("neighbors") => Scope {
                neighbors: true,
                ..Scope::NONE
            },
            Some("lldp") => Scope::LLDP,
            Some("storage") => match keys.next() {
                // Facts only checks ask for, read after the decision.
                Some("mount_probes") | Some("files") => Scope::NONE,
                Some("block") => storage(StorageScope {
                    block: true,
                    ..none
                }),
                Some("multipath") => storage(StorageScope {
                    block: true,
                    multipath: true,
                    ..none
                }),
                Some("nvme") => storage(StorageScope { nvme: true, ..none }),
                Some("fc_hosts") => storage(StorageScope {
                    fc_hosts: true,
                    ..none
                }),
                Some("iscsi") => storage(StorageScope {
                    iscsi: true,
                    ..none
                }),
                Some("sas_phys") => storage(StorageScope {
                    sas_phys: true,
                    ..none
                }),
                Some("ata_links") => storage(StorageScope {
                    ata_links: true,
                    ..none
                }),
                Some("md") => storage(StorageScope {
                    block: true,
                    md: true,
                    ..none
                }),
                Some("dm") => storage(StorageScope {
                    block: true,
                    dm: true,
                    ..none
                }),
                Some("mounts") => storage(StorageScope {
                    mounts: true,
                    ..none
                }),
                _ => Scope::STORAGE,
            },
            _ => Scope::ALL,
        }
    }

    pub fn union(self, o: Scope) -> Scope {
        Scope {
            host: self.host || o.host,
            links: self.links || o.links,
            bonds: self.bonds || o.bonds,
            route_table: self.route_table || o.route_table,
            rules: self.rules || o.rules,
            neighbors: self.neighbors || o.neighbors,
            lldp: self.lldp || o.lldp,
            storage: self.storage.union(o.storage),
        }
    }
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
    // Routes and neighbours name links, so the link dump is needed for them.
    let interfaces = if scope.links || scope.route_table || scope.neighbors {
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
    let ifaces = interfaces
        .as_ref()
        .map(|(i, _)| i.as_slice())
        .unwrap_or(&[]);
    let routes = if scope.route_table {
        source.routes(ifaces).into()
    } else {
        Fact::Unknown(skipped("routes"))
    };
    let rules = if scope.rules {
        source.rules().into()
    } else {
        Fact::Unknown(skipped("rules"))
    };
    let neighbors = if scope.neighbors {
        source.neighbors(ifaces).into()
    } else {
        Fact::Unknown(skipped("neighbours"))
    };
    let lldp = if scope.lldp {
        lldp::collect(source)
    } else {
        Fact::Unknown(skipped("LLDP neighbours"))
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
        storage: storage::collect(source, scope.storage),
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
