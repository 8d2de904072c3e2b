//! Route lookups a policy asks for: the kernel's answer on a live host for
//! an address, the snapshot's rules and tables otherwise (a fixture, or a
//! prefix, which the kernel can only be asked about one address of).

use super::resolve::{Flow, resolve};
use crate::snapshot::{Fact, Interface, Resolution, RouteLookup, Snapshot};
use crate::source::{KernelRoute, Source};

/// What the kernel's refusal to route means, in route-type words.
fn refused_kind(errno: i32) -> &'static str {
    match errno {
        libc::EACCES | libc::EPERM => "prohibit",
        libc::EINVAL => "blackhole",
        _ => "unreachable",
    }
}

fn no_route(kind: &str) -> Resolution {
    Resolution {
        kind: kind.to_owned(),
        table: None,
        route: None,
        hops: Vec::new(),
    }
}

/// A flow resolved through the snapshot's own rules and tables.
fn by_tables(snapshot: &Snapshot, flow: &Flow) -> Fact<Resolution> {
    match (&snapshot.routes, &snapshot.rules) {
        (Fact::Known(routes), Fact::Known(rules)) => Fact::Known(resolve(routes, rules, flow)),
        (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Fact::Unknown(m.clone()),
    }
}

/// Every flow resolved through the snapshot's rules and tables, never by
/// asking a kernel: the same method for a live host and a capture, so that
/// two snapshots' answers can be compared (`hostlint diff`).
pub fn table_lookups(snapshot: &Snapshot, flows: &[Flow]) -> Vec<RouteLookup> {
    flows
        .iter()
        .map(|flow| RouteLookup {
            to: flow.to,
            from: flow.from,
            fwmark: flow.fwmark,
            method: "tables",
            result: by_tables(snapshot, flow),
        })
        .collect()
}

pub fn route_lookups(source: &Source, snapshot: &Snapshot, flows: &[Flow]) -> Vec<RouteLookup> {
    let ifaces: Vec<Interface> = snapshot
        .links
        .known()
        .map(|l| l.iter().map(|l| l.iface.clone()).collect())
        .unwrap_or_default();
    flows
        .iter()
        .map(|flow| {
            let asked = if flow.to.is_host() {
                source.route_get(&ifaces, flow.to.addr, flow.from, flow.fwmark)
            } else {
                None
            };
            let (method, result) = match asked {
                Some(Ok(KernelRoute::Route(e))) => {
                    ("kernel", Fact::Known(Resolution::of_entry(&e)))
                }
                Some(Ok(KernelRoute::Refused { errno, .. })) => {
                    ("kernel", Fact::Known(no_route(refused_kind(errno))))
                }
                Some(Err(m)) => ("kernel", Fact::Unknown(m)),
                None => ("tables", by_tables(snapshot, flow)),
            };
            RouteLookup {
                to: flow.to,
                from: flow.from,
                fwmark: flow.fwmark,
                method,
                result,
            }
        })
        .collect()
}
