//! What a case runs, in the child: one parser, or a whole pipeline the
//! way the command line runs it (a deadline, every part, every format).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use netlink_packet_core::Parseable;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::route::RouteMessage;

use hostlint::collect::{self, Scope};
use hostlint::report::audit_table::{self, Passes};
use hostlint::report::layout::DEFAULT_WIDTH;
use hostlint::report::table::{self, Part, Style};
use hostlint::report::{audit_json, diff_json, diff_table, json, junit, nagios, prometheus};
use hostlint::snapshot::RouteTable;
use hostlint::source::{
    Deadline, Manifest, Source, devmapper, ethtool, ethtool_text, iproute, rtnl,
};

use crate::case::{Case, Target};

/// The deadline each pipeline is given, as `--deadline` would.
pub const DEADLINE: Duration = Duration::from_secs(3);

/// The places a case runs in.
pub struct Workspace {
    /// The edited working copy of the tree.
    pub tree: PathBuf,
    /// The same tree unedited, the other side of a diff.
    pub pristine: PathBuf,
    /// Policies, the state file, a parser's input, archives.
    pub etc: PathBuf,
}

/// The parsers a [`Target::Parse`] case can name.
pub const PARSERS: &[&str] = &[
    "ip-link",
    "ip-addr",
    "ip-route-4",
    "ip-route-6",
    "ip-rule-4",
    "ip-rule-6",
    "ip-neigh",
    "ethtool",
    "ethtool-i",
    "bonding",
    "dmsetup",
    "mdstat",
    "mounts",
    "ata-identify",
    "manifest",
    "state",
    "netlink-link",
    "netlink-route",
    "ethtool-link-modes",
    "dm-reply",
    "dm-names",
    "lldp-neighbors",
    "cabling-csv",
    "cabling-yaml",
];

fn parse(parser: &str, input: &[u8], etc: &Path) {
    let text = std::str::from_utf8(input).ok();
    match (parser, text) {
        ("ip-link", _) => drop(iproute::parse_links(input)),
        ("ip-addr", _) => drop(iproute::parse_addresses(input)),
        ("ip-route-4", Some(t)) => drop(iproute::parse_routes(t, 4, &mut RouteTable::default())),
        ("ip-route-6", Some(t)) => drop(iproute::parse_routes(t, 6, &mut RouteTable::default())),
        ("ip-rule-4", _) => drop(iproute::parse_rules(input, 4)),
        ("ip-rule-6", _) => drop(iproute::parse_rules(input, 6)),
        ("ip-neigh", _) => drop(iproute::parse_neighbors(input)),
        ("ethtool", Some(t)) => drop(ethtool_text::parse_settings(t)),
        ("ethtool-i", Some(t)) => drop(ethtool_text::parse_driver(t)),
        ("bonding", Some(t)) => drop(hostlint::collect::bond::parse_proc("bond0", "bond0", t)),
        ("dmsetup", Some(t)) => {
            use hostlint::collect::storage::multipath;
            if let Ok(lines) = multipath::dm_lines(t) {
                for l in lines {
                    let _ = multipath::parse_status(l.params);
                    let _ = multipath::parse_table(l.params);
                }
            }
        }
        ("mdstat", Some(t)) => drop(hostlint::collect::storage::mdraid::parse_mdstat(
            "proc/mdstat",
            t,
        )),
        ("mounts", Some(t)) => drop(hostlint::collect::storage::mount::parse("proc/mounts", t)),
        ("ata-identify", Some(t)) => drop(hostlint::collect::storage::ata::max_from_identify(t)),
        ("lldp-neighbors", Some(t)) => {
            drop(hostlint::source::lldpcli::parse_neighbors(t, "lldpcli"))
        }
        ("cabling-csv", Some(t)) => drop(hostlint::policy::plan::parse_csv("plan.csv", t)),
        ("cabling-yaml", Some(t)) => drop(hostlint::policy::plan::parse_yaml("plan.yaml", t)),
        ("manifest", _) => drop(serde_json::from_slice::<Manifest>(input)),
        ("state", _) => {
            let path = etc.join("input");
            let _ = hostlint::state::load(&path);
        }
        ("netlink-link", _) => {
            let _ = LinkMessage::parse(input);
            let _ = rtnl::decode_link(input);
        }
        ("netlink-route", _) => drop(RouteMessage::parse(input)),
        ("ethtool-link-modes", _) => drop(ethtool::parse_link_modes(input)),
        ("dm-reply", _) => drop(devmapper::parse_targets(input)),
        ("dm-names", _) => drop(devmapper::parse_name_list(input)),
        // Text parsers are never handed bytes that are not UTF-8: the root
        // refuses them first.
        _ => {}
    }
}

const ALL_PARTS: &[Part] = &[
    Part::Host,
    Part::Links,
    Part::Bonds,
    Part::Routes,
    Part::Storage,
];

/// Tables as piped (the default width) or on a narrow terminal, by the case.
fn style(case: &Case) -> Style {
    Style {
        color: false,
        width: if case.ops.len().is_multiple_of(2) {
            60
        } else {
            DEFAULT_WIDTH
        },
    }
}

fn show(source: &Source, style: &Style) {
    let snapshot = collect::snapshot(source, Scope::ALL);
    let _ = table::render(&snapshot, ALL_PARTS, style);
    let mut out = Vec::new();
    let _ = json::write(&snapshot, ALL_PARTS, &mut out);
    let _ = out.flush();
}

fn policy_paths(case: &Case, etc: &Path) -> Vec<PathBuf> {
    case.policies.iter().map(|p| etc.join(p)).collect()
}

pub fn run(case: &Case, ws: &Workspace) {
    let deadline = Deadline::after(DEADLINE);
    let plain = || style(case);
    match case.target {
        Target::Parse => {
            let input = fs::read(ws.etc.join("input")).unwrap_or_default();
            parse(&case.parser, &input, &ws.etc);
        }
        Target::Show => {
            if let Ok(src) = Source::open_within(&ws.tree, deadline) {
                show(&src, &plain());
            }
        }
        Target::Policy => {
            let _ = hostlint::policy::load_within(&policy_paths(case, &ws.etc), Some(deadline));
        }
        Target::Audit => {
            let Ok(policies) =
                hostlint::policy::load_within(&policy_paths(case, &ws.etc), Some(deadline))
            else {
                return;
            };
            let Ok(src) = Source::open_within(&ws.tree, deadline) else {
                return;
            };
            let options = hostlint::audit::Options {
                state: Some(ws.etc.join("state.json")),
                deadline: Some(DEADLINE),
            };
            let audit = hostlint::audit::run(&src, &policies, &options);
            let _ = audit_table::render(&audit, &plain(), Passes::Show);
            let _ = audit_json::render(&audit);
            let _ = junit::render(&audit);
            let _ = nagios::render(&audit);
            let _ = prometheus::render(&audit, prometheus::MAX_SUBJECT_SERIES);
        }
        Target::Diff => {
            let policies =
                hostlint::policy::load_within(&policy_paths(case, &ws.etc), Some(deadline))
                    .unwrap_or_default();
            let checks: Vec<_> = policies.iter().flat_map(|p| &p.checks).collect();
            let (Ok(before), Ok(after)) = (
                Source::open_within(&ws.pristine, deadline),
                Source::open_within(&ws.tree, deadline),
            ) else {
                return;
            };
            let options = hostlint::diff::Options {
                all: true,
                other_host: true,
            };
            if let Ok(report) =
                hostlint::diff::run(("before", &before), ("after", &after), &checks, options)
            {
                let _ = diff_table::render(&report, &plain());
                let _ = diff_json::render(&report);
            }
        }
        Target::Archive => {
            let tar = fs::read(ws.etc.join("capture.tar")).unwrap_or_default();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = gz.write_all(&tar);
            let archive = ws.etc.join("capture.tar.gz");
            if gz.finish().and_then(|b| fs::write(&archive, b)).is_ok()
                && let Ok(src) = Source::open_within(&archive, deadline)
            {
                show(&src, &plain());
            }
        }
        Target::Capture => {
            let Ok(src) = Source::open_within(&ws.tree, deadline) else {
                return;
            };
            let out = ws.etc.join("recaptured.tar.gz");
            if hostlint::capture::capture(src, &out, Some("fuzz".into())).is_ok()
                && let Ok(back) = Source::open_within(&out, Deadline::after(DEADLINE))
            {
                show(&back, &plain());
            }
        }
    }
}
