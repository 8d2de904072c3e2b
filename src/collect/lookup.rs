//! Route lookups a policy asks for: the kernel's answer on a live host for
//! an address, the snapshot's rules and tables otherwise (a fixture, or a
//! prefix, which the kernel can only be asked about one address of).

use super::resolve::{Flow, Resolver};
use crate::snapshot::{Fact, Interface, Missing, Resolution, RouteLookup, Snapshot};
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

/// The snapshot's rules and tables, ready to resolve flows; or why they
/// cannot be. Built on first use: an audit whose destinations are all
/// asked of the kernel builds none.
struct Tables<'a> {
    snapshot: &'a Snapshot,
    resolver: Option<Result<Resolver<'a>, Missing>>,
}

impl<'a> Tables<'a> {
    fn new(snapshot: &'a Snapshot) -> Tables<'a> {
        Tables {
            snapshot,
            resolver: None,
        }
    }

    fn resolve(&mut self, flow: &Flow) -> Fact<Resolution> {
        let snapshot = self.snapshot;
        let resolver =
            self.resolver
                .get_or_insert_with(|| match (&snapshot.routes, &snapshot.rules) {
                    (Fact::Known(routes), Fact::Known(rules)) => Ok(Resolver::new(routes, rules)),
                    (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Err(m.clone()),
                });
        match resolver {
            Ok(r) => Fact::Known(r.resolve(flow)),
            Err(m) => Fact::Unknown(m.clone()),
        }
    }
}

/// Every flow resolved through the snapshot's rules and tables, never by
/// asking a kernel: the same method for a live host and a capture, so that
/// two snapshots' answers can be compared (`hostlint diff`).
pub fn table_lookups(snapshot: &Snapshot, flows: &[Flow]) -> Vec<RouteLookup> {
    let mut tables = Tables::new(snapshot);
    flows
        .iter()
        .map(|flow| RouteLookup {
            to: flow.to,
            from: flow.from,
            fwmark: flow.fwmark,
            method: "tables",
            result: tables.resolve(flow),
        })
        .collect()
}

/// The flows' answers: the kernel's for an address on a live host, the
/// snapshot's tables' otherwise. Resolving is work no read timeout ends,
/// so the deadline is checked for each flow: past it, the flows left are
/// unknown (timeout).
pub fn route_lookups(source: &Source, snapshot: &Snapshot, flows: &[Flow]) -> Vec<RouteLookup> {
    let ifaces: Vec<Interface> = snapshot
        .links
        .known()
        .map(|l| l.iter().map(|l| l.iface.clone()).collect())
        .unwrap_or_default();
    let mut tables = Tables::new(snapshot);
    let mut stopped: Option<Missing> = None;
    flows
        .iter()
        .enumerate()
        .map(|(done, flow)| {
            if stopped.is_none() {
                stopped = source.stop_at_deadline(|| {
                    format!(
                        "route lookups ({done} of {} destinations answered)",
                        flows.len()
                    )
                });
            }
            let (method, result) = if let Some(m) = &stopped {
                let kernel = source.is_live() && flow.to.is_host();
                (
                    if kernel { "kernel" } else { "tables" },
                    Fact::Unknown(m.clone()),
                )
            } else {
                let asked = if flow.to.is_host() {
                    source.route_get(&ifaces, flow.to.addr, flow.from, flow.fwmark)
                } else {
                    None
                };
                match asked {
                    Some(Ok(KernelRoute::Route(e))) => {
                        ("kernel", Fact::Known(Resolution::of_entry(&e)))
                    }
                    Some(Ok(KernelRoute::Refused { errno, .. })) => {
                        ("kernel", Fact::Known(no_route(refused_kind(errno))))
                    }
                    Some(Err(m)) => ("kernel", Fact::Unknown(m)),
                    None => ("tables", tables.resolve(flow)),
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::{self, Scope};
    use crate::snapshot::{Prefix, Reason};
    use crate::source::Deadline;
    use std::path::Path;
    use std::time::{Duration, Instant};

    fn flows(n: u32) -> Vec<Flow> {
        (0..n)
            .map(|i| Flow {
                to: Prefix::parse(&format!("10.{}.{}.1", i / 256, i % 256)).unwrap(),
                from: None,
                fwmark: None,
            })
            .collect()
    }

    #[test]
    fn resolving_stops_at_the_deadline_and_says_so() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lb-healthy");
        let source = crate::source::Source::fixture(&dir).unwrap();
        let snapshot = collect::snapshot(&source, Scope::ALL);
        let answered = route_lookups(&source, &snapshot, &flows(50));
        assert!(answered.iter().all(|l| l.result.known().is_some()));

        let late = crate::source::Source::fixture(&dir)
            .unwrap()
            .with_deadline(Deadline {
                end: Instant::now(),
                per_read: Duration::from_secs(1),
                total: Duration::ZERO,
            });
        let lookups = route_lookups(&late, &snapshot, &flows(50));
        assert_eq!(lookups.len(), 50);
        for l in &lookups {
            let m = l.result.missing().expect("unknown past the deadline");
            assert_eq!(m.reason, Reason::Timeout);
            assert!(m.detail.contains("0 of 50 destinations answered"), "{m}");
        }
        // Said once, however many destinations were left.
        let said: Vec<String> = late
            .abandoned()
            .into_iter()
            .filter(|a| a.starts_with("route lookups"))
            .collect();
        assert_eq!(said, ["route lookups (0 of 50 destinations answered)"]);
    }
}
