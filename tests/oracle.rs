//! The oracle: node_exporter's own golden metrics for its test tree
//! (`e2e-output.txt`, the output its end-to-end test requires of
//! node_exporter itself), against `hostlint show all --format json` on the
//! same tree, fact by fact.
//!
//! The tree is unpacked from upstream's archive into a temporary root
//! (`sys/` of node_exporter's `collector/fixtures/sys.ttar`, with the
//! empty directories the plain copies lost), beside node_exporter's
//! `proc/mdstat`, exactly what its e2e test read. prometheus/procfs's
//! archive has no golden metrics to compare with: its trees are read whole
//! by the parser tests (`tests/realdata.rs`), not here. Every sample of the
//! families compared (links, bonds, FC, dm-multipath, md, NVMe, PCIe,
//! InfiniBand) is one of:
//!
//! - equal to what hostlint read, after the unit conversions named in
//!   `ours` (Mb/s to bytes per second, Gbit/s to bytes per second, IBTA
//!   4-octet words to bytes);
//! - in [`HOSTLINT_RIGHT`]: hostlint reads the file as the kernel
//!   documents it and node_exporter does not, with what hostlint must say
//!   instead and the documentation;
//! - in [`NOT_READ`]: a fact hostlint does not read at all, with why;
//! - a fact of an md array that sysfs also shows, where hostlint keeps
//!   sysfs's value and notes that `proc/mdstat` says otherwise: then that
//!   note must hold node_exporter's value.
//!
//! Anything else fails with both values. An entry of the two lists that no
//! sample needs fails too: the lists are reviewed, not blanket skips.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use hostlint::snapshot::{IB_PHYS_STATES, IB_STATES};
use serde_json::Value;

use crate::util::{hostlint, parse_json, path_str, run_ok};

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/realdata")
        .join(rel)
}

/// Unpacks an upstream test tree (a `.tar.gz` of `sys/`, or of
/// `fixtures/{sys,proc}`) into `root`.
pub fn unpack(archive: &str, root: &Path) {
    let file = fs::File::open(data(archive)).unwrap_or_else(|e| panic!("{archive}: {e}"));
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(root)
        .unwrap_or_else(|e| panic!("unpacking {archive}: {e}"));
}

/// The root node_exporter's e2e test read: its sys tree and its mdstat.
///
/// Two links are added, and nothing else: hostlint reads a PCIe link for
/// the device of a network link (and the ports above it), and this tree's
/// `class/net` reaches no PCI function node_exporter reports. `probe0` and
/// `probe1` are network links on the NVMe function `0000:01:00.0` (below
/// the port `0000:00:02.1`) and the igb function `0000:45:00.0` (below
/// `0000:40:01.3`), so that their PCIe links are read and compared.
fn oracle_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    unpack("node_exporter/sys-tree.tar.gz", root);
    fs::create_dir_all(root.join("proc")).unwrap();
    fs::copy(data("node_exporter/proc/mdstat"), root.join("proc/mdstat")).unwrap();
    for (probe, function) in [
        ("probe0", "pci0000:00/0000:00:02.1/0000:01:00.0"),
        ("probe1", "pci0000:40/0000:40:01.3/0000:45:00.0"),
    ] {
        let net = root.join("sys/class/net").join(probe);
        fs::create_dir_all(&net).unwrap();
        symlink(format!("../../../devices/{function}"), net.join("device")).unwrap();
    }
    dir
}

fn show_all(root: &Path) -> Value {
    parse_json(&run_ok(&mut hostlint(&[
        "show",
        "all",
        "--root",
        path_str(root),
        "--format",
        "json",
    ])))
}

/// One sample of the exposition text.
#[derive(Debug, Clone)]
struct Sample {
    family: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

impl Sample {
    fn label(&self, k: &str) -> &str {
        self.labels.get(k).map_or("", String::as_str)
    }

    /// `node_md_disks{device="md6",state="failed"}`
    fn id(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        format!("{}{{{}}}", self.family, labels.join(","))
    }
}

fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (head, value) = line.rsplit_once(' ').expect("NAME VALUE");
        let (family, labels) = match head.split_once('{') {
            Some((f, rest)) => (f, rest.strip_suffix('}').expect("a closing brace")),
            None => (head, ""),
        };
        let mut map = BTreeMap::new();
        let mut rest = labels;
        while let Some((k, after)) = rest.split_once("=\"") {
            let end = after.find('"').expect("a closing quote");
            map.insert(
                k.trim_start_matches(',').to_owned(),
                after[..end].to_owned(),
            );
            rest = &after[end + 1..];
        }
        out.push(Sample {
            family: family.to_owned(),
            labels: map,
            value: value.parse().expect("a number"),
        });
    }
    out
}

/// What hostlint says of one fact.
#[derive(Debug, Clone, PartialEq)]
enum Ours {
    Num(f64),
    Text(String),
    /// Read, but unknown: the reason.
    Unknown(String),
    /// The object is not in hostlint's snapshot at all.
    Absent(String),
}

fn num(v: &Value) -> Ours {
    match v {
        Value::Number(n) => Ours::Num(n.as_f64().unwrap()),
        Value::Bool(b) => Ours::Num(f64::from(u8::from(*b))),
        Value::Object(m) if m.contains_key("unknown") => {
            Ours::Unknown(format!("{}: {}", m["unknown"], m["detail"]))
        }
        other => Ours::Unknown(format!("not a number: {other}")),
    }
}

fn text(v: &Value) -> Ours {
    match v {
        Value::String(s) => Ours::Text(s.clone()),
        Value::Null => Ours::Text(String::new()),
        Value::Object(m) if m.contains_key("unknown") => {
            Ours::Unknown(format!("{}: {}", m["unknown"], m["detail"]))
        }
        other => Ours::Text(other.to_string()),
    }
}

fn find<'a>(list: &'a Value, key: &str, name: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|x| x[key] == name)
}

fn scale(o: Ours, by: f64) -> Ours {
    match o {
        Ours::Num(v) => Ours::Num(v * by),
        other => other,
    }
}

/// Facts hostlint does not read, by family (or family and label), and why.
const NOT_READ: &[(&str, &str)] = &[
    (
        "node_network_address_assign_type",
        "sysfs addr_assign_type: not kept",
    ),
    ("node_network_device_id", "sysfs dev_id: not kept"),
    (
        "node_network_dormant",
        "sysfs dormant: not kept (operstate says dormant)",
    ),
    (
        "node_network_flags",
        "sysfs flags: only IFF_UP is kept, as admin_up (compared in node_network_info's adminstate)",
    ),
    ("node_network_iface_link", "sysfs iflink: not kept"),
    ("node_network_iface_link_mode", "sysfs link_mode: not kept"),
    (
        "node_network_name_assign_type",
        "sysfs name_assign_type: not kept",
    ),
    ("node_network_net_dev_group", "sysfs netdev_group: not kept"),
    (
        "node_network_protocol_type",
        "sysfs type: read only to tell a loopback",
    ),
    (
        "node_network_info.broadcast",
        "the broadcast address: not kept",
    ),
    (
        "node_network_receive_",
        "lo: not in this tree's sys/class/net; node_exporter took it from proc/net/dev, which hostlint does not read (its counters come from rtnetlink, or sysfs statistics/)",
    ),
    (
        "node_network_transmit_carrier_total",
        "lo, from proc/net/dev (see node_network_receive_)",
    ),
    (
        "node_network_transmit_colls_total",
        "lo, from proc/net/dev (see node_network_receive_)",
    ),
    (
        "node_network_transmit_compressed_total",
        "lo, from proc/net/dev (see node_network_receive_)",
    ),
    (
        "node_network_transmit_drop_total",
        "lo, from proc/net/dev (see node_network_receive_)",
    ),
    (
        "node_network_transmit_errs_total",
        "lo, from proc/net/dev (see node_network_receive_)",
    ),
    (
        "node_network_transmit_fifo_total",
        "lo, from proc/net/dev (see node_network_receive_)",
    ),
    (
        "node_fibrechannel_info.dev_loss_tmo",
        "the rport loss timeout: not kept",
    ),
    (
        "node_fibrechannel_info.port_id",
        "the port's fabric address: not kept",
    ),
    (
        "node_fibrechannel_info.supported_classes",
        "the service classes: not kept",
    ),
    (
        "node_md_blocks",
        "an array's size in blocks: hostlint keeps a sync's progress in percent, as mdstat prints it",
    ),
    (
        "node_md_blocks_synced",
        "blocks synced: hostlint keeps a sync's progress in percent",
    ),
    ("node_nvme_info.cntlid", "the controller id: not kept"),
    (
        "node_nvme_namespace_logical_block_size_bytes",
        "the namespace's block size: not kept (sizes are in bytes)",
    ),
    (
        "node_nvme_namespace_used_bytes",
        "the namespace's utilization (nuse): not kept",
    ),
    (
        "node_pcidevice_d3cold_allowed",
        "power management: not kept",
    ),
    ("node_pcidevice_power_state", "power management: not kept"),
    ("node_pcidevice_sriov_", "SR-IOV settings: not kept"),
    (
        "node_pcidevice_info.class_id",
        "the PCI class: read only to tell a bridge, not kept",
    ),
    ("node_pcidevice_info.revision", "the PCI revision: not kept"),
    (
        "node_pcidevice_info@port",
        "a PCIe port above a device: hostlint keeps its link only, not its ids or NUMA node",
    ),
    (
        "node_infiniband_legacy_",
        "counters_ext/: the 64-bit copies of the PMA counters; hostlint reads counters/, where the kernel puts the 64-bit values when the device has them",
    ),
];

/// Facts where hostlint reads the file as the kernel documents it and
/// node_exporter does not: each with what hostlint must say instead (a
/// number, or `unknown REASON`) and the documentation that says so.
const HOSTLINT_RIGHT: &[(&str, &str, &str)] = &[
    (
        "node_nvme_namespace_size_bytes{device=\"nvme0\",nsid=\"1\"}",
        "2000000000000",
        "Documentation/ABI/stable/sysfs-block: /sys/block/<disk>/size is \"[RO] Size of the block device in units of 512 bytes.\", whatever the device's block size; node_exporter multiplies it by the logical block size (4096): 3906250000 x 512 = 2e12 bytes, not 1.6e13",
    ),
    (
        "node_nvme_namespace_capacity_bytes{device=\"nvme0\",nsid=\"1\"}",
        "2000000000000",
        "the same size attribute (Documentation/ABI/stable/sysfs-block: units of 512 bytes), taken by node_exporter as the capacity in logical blocks",
    ),
    (
        "node_md_disks_required{device=\"md219\"}",
        "unknown not_supported",
        "md219 is inactive: the kernel prints [n/m] only for a running array (drivers/md/md.c, md_seq_show, through the personality's status; Documentation/admin-guide/md.rst), so mdstat has no slot count for it; node_exporter reports 0, hostlint an unknown with that reason",
    ),
    (
        "node_md_disks_required{device=\"md4\"}",
        "3",
        "md4 is inactive in mdstat, which then gives no slot count (drivers/md/md.c, md_seq_show): node_exporter's 0 is none; hostlint takes sysfs's md4, whose md/raid_disks says 3 (Documentation/admin-guide/md.rst: raid_disks, the number of devices in a fully functional array)",
    ),
];

/// Whether hostlint said what `HOSTLINT_RIGHT` says it must: an explained
/// difference is no pass for a fact hostlint failed to read.
fn says(ours: &Ours, want: &str) -> bool {
    match want.strip_prefix("unknown ") {
        Some(reason) => matches!(ours, Ours::Unknown(u) if u.starts_with(&format!("\"{reason}\""))),
        None => agrees(ours, want),
    }
}

/// What hostlint says of the fact `s` states, or why it does not say.
enum Verdict {
    Compare(Ours, String),
    NotRead(&'static str),
}

/// The entry for a family (or `family.label`): exactly, or by a prefix
/// ending in `_` for a group of families.
fn not_read(key: &str) -> Option<&'static str> {
    NOT_READ
        .iter()
        .find(|(k, _)| *k == key || (k.ends_with('_') && key.starts_with(k)))
        .map(|(_, why)| *why)
}

/// The facts an info metric states, one per label but those naming the
/// object (`skip`): each compared with what `ours` reads of it, or not
/// read, as [`NOT_READ`] says of `family.label`.
fn label_facts(
    s: &Sample,
    id: &str,
    skip: &[&str],
    ours: impl Fn(&str, &str) -> Ours,
) -> Vec<(String, Verdict)> {
    s.labels
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, theirs)| {
            let key = format!("{id}.{k}");
            match not_read(&format!("{}.{k}", s.family)) {
                Some(why) => (key, Verdict::NotRead(why)),
                None => (key, Verdict::Compare(ours(k, theirs), theirs.clone())),
            }
        })
        .collect()
}

/// Every fact one sample states: an info metric states one per label.
fn facts(s: &Sample, doc: &Value) -> Vec<(String, Verdict)> {
    let f = s.family.as_str();
    let id = s.id();
    if let Some(why) = not_read(f) {
        return vec![(id, Verdict::NotRead(why))];
    }
    let v = s.value;
    let one = |ours: Ours| vec![(id.clone(), Verdict::Compare(ours, fmt(v)))];
    let links = &doc["links"];
    let storage = &doc["storage"];
    if let Some(field) = f.strip_prefix("node_network_") {
        let dev = s.label("device");
        let Some(l) = find(links, "name", dev) else {
            return one(Ours::Absent(format!("no link {dev}")));
        };
        return match field {
            "speed_bytes" => one(scale(num(&l["speed_mbps"]), 125_000.0)),
            "carrier" => one(num(&l["carrier"])),
            "carrier_changes_total" => one(num(&l["carrier_changes"])),
            "carrier_up_changes_total" => one(num(&l["carrier_up_count"])),
            "carrier_down_changes_total" => one(num(&l["carrier_down_count"])),
            "mtu_bytes" => one(num(&l["mtu"])),
            "transmit_queue_length" => one(num(&l["tx_queue_len"])),
            "iface_id" => one(num(&l["ifindex"])),
            "up" => one(match text(&l["operstate"]) {
                Ours::Text(t) => Ours::Num(f64::from(u8::from(t == "up"))),
                other => other,
            }),
            "info" => label_facts(s, &id, &["device"], |k, _| match k {
                "address" => text(&l["mac"]),
                "adminstate" => match &l["admin_up"] {
                    Value::Bool(b) => Ours::Text(if *b { "up" } else { "down" }.into()),
                    other => text(other),
                },
                "duplex" => text(&l["duplex"]),
                "ifalias" => text(&l["ifalias"]),
                "operstate" => text(&l["operstate"]),
                other => Ours::Absent(format!("no mapping for label {other}")),
            }),
            _ => one(Ours::Absent(format!("no mapping for {f}"))),
        };
    }
    if let Some(field) = f.strip_prefix("node_bonding_") {
        let Some(b) = find(&doc["bonds"], "name", s.label("master")) else {
            return one(Ours::Absent("no such bond".into()));
        };
        let members = b["members"].as_array().cloned().unwrap_or_default();
        return match field {
            "slaves" => one(Ours::Num(members.len() as f64)),
            "active" => one(Ours::Num(
                members.iter().filter(|m| m["mii_status"] == "up").count() as f64,
            )),
            _ => one(Ours::Absent(format!("no mapping for {f}"))),
        };
    }
    if let Some(field) = f.strip_prefix("node_fibrechannel_") {
        let Some(h) = find(&storage["fc_hosts"], "name", s.label("fc_host")) else {
            return one(Ours::Absent("no such FC host".into()));
        };
        if field == "info" {
            // node_exporter drops the 0x of the WWNs and writes an unread
            // file as "".
            let hex = |v: &Value| match text(v) {
                Ours::Text(t) => Ours::Text(t.strip_prefix("0x").unwrap_or(&t).to_owned()),
                other => other,
            };
            let gbit = |v: &Value| format!("{} Gbit", fmt(v.as_f64().unwrap_or(f64::NAN)));
            return label_facts(s, &id, &["fc_host"], |k, theirs| {
                let ours = match k {
                    "fabric_name" => hex(&h["fabric_name"]),
                    "port_name" => hex(&h["port_name"]),
                    "port_state" => text(&h["port_state"]),
                    "port_type" => text(&h["port_type"]),
                    "symbolic_name" => text(&h["symbolic_name"]),
                    "speed" => match &h["speed_gbps"] {
                        v @ Value::Number(_) => Ours::Text(gbit(v)),
                        other => text(other),
                    },
                    "supported_speeds" => match &h["supported_speeds_gbps"] {
                        Value::Array(a) => {
                            Ours::Text(a.iter().map(gbit).collect::<Vec<_>>().join(", "))
                        }
                        other => text(other),
                    },
                    other => Ours::Absent(format!("no mapping for label {other}")),
                };
                match ours {
                    Ours::Unknown(r) if theirs.is_empty() && r.starts_with("\"not_captured\"") => {
                        Ours::Text(String::new())
                    }
                    ours => ours,
                }
            });
        }
        let stat = match field.strip_suffix("_total").unwrap_or(field) {
            "invalid_crc" => "invalid_crc_count",
            "invalid_tx_words" => "invalid_tx_word_count",
            "link_failure" => "link_failure_count",
            "loss_of_signal" => "loss_of_signal_count",
            "loss_of_sync" => "loss_of_sync_count",
            "nos" => "nos_count",
            other => other,
        };
        return one(num(&h["statistics"][stat]));
    }
    if let Some(field) = f.strip_prefix("node_dmmultipath_") {
        let Some(m) = find(&storage["multipath"], "name", s.label("device")) else {
            return one(Ours::Absent("no such map".into()));
        };
        let paths = m["paths"].as_array().cloned().unwrap_or_default();
        let count =
            |state: &str| Ours::Num(paths.iter().filter(|p| p["state"] == state).count() as f64);
        return match field {
            "device_active" => one(match &m["suspended"] {
                Value::Bool(b) => Ours::Num(f64::from(u8::from(!b))),
                other => num(other),
            }),
            "device_info" => vec![
                (
                    format!("{id}.sysfs_name"),
                    Verdict::Compare(text(&m["dm"]), s.label("sysfs_name").to_owned()),
                ),
                (
                    format!("{id}.uuid"),
                    Verdict::Compare(
                        match text(&m["wwid"]) {
                            Ours::Text(w) => Ours::Text(format!("mpath-{w}")),
                            other => other,
                        },
                        s.label("uuid").to_owned(),
                    ),
                ),
            ],
            "device_paths" => one(match &m["paths"] {
                Value::Array(a) => Ours::Num(a.len() as f64),
                other => num(other),
            }),
            "device_paths_active" => one(count("active")),
            "device_paths_failed" => one(count("failed")),
            "device_size_bytes" => one(num(&m["size_bytes"])),
            "path_state" => {
                let p = paths.iter().find(|p| p["device"] == s.label("path"));
                vec![(
                    id.clone(),
                    Verdict::Compare(
                        p.map_or(Ours::Absent("no such path".into()), |p| {
                            text(&p["scsi_state"])
                        }),
                        s.label("state").to_owned(),
                    ),
                )]
            }
            _ => one(Ours::Absent(format!("no mapping for {f}"))),
        };
    }
    if let Some(field) = f.strip_prefix("node_md_") {
        return md(s, field, &id, storage);
    }
    if let Some(field) = f.strip_prefix("node_nvme_") {
        return nvme(s, field, &id, storage);
    }
    if let Some(field) = f.strip_prefix("node_pcidevice_") {
        return pci(s, field, &id, links);
    }
    if let Some(field) = f.strip_prefix("node_infiniband_") {
        return infiniband(s, field, &id, &doc["infiniband"]);
    }
    one(Ours::Absent(format!("no mapping for {f}")))
}

/// node_exporter's state of an array: `inactive`, the sync at work, or
/// `active` for a running array. hostlint keeps mdstat's `active` as
/// unknown (`not_supported`: mdstat does not tell clean from active), so
/// an array from mdstat with that reason is a running one.
fn md_state(a: &Value) -> Ours {
    let running = match &a["state"] {
        Value::String(st) => st != "inactive",
        Value::Object(m) => m["unknown"] == "not_supported" && a["source"] == "proc/mdstat",
        _ => false,
    };
    if !running {
        return text(&a["state"]);
    }
    match &a["sync"] {
        Value::Object(sync) if sync.contains_key("action") => {
            Ours::Text(match sync["action"].as_str().unwrap_or("") {
                "recover" => "recovering".into(),
                other => other.to_owned(),
            })
        }
        Value::Null => Ours::Text("active".into()),
        other => text(other),
    }
}

/// Counts of a member list as hostlint's mdstat note writes it: names,
/// `(F)` faulty, `(S)` spare.
fn note_counts(members: &str, state: &str) -> f64 {
    let words: Vec<&str> = members.split_whitespace().collect();
    let flagged = |m: &str| words.iter().filter(|w| w.ends_with(m)).count();
    (match state {
        "failed" => flagged("(F)"),
        "spare" => flagged("(S)"),
        _ => words.len() - flagged("(F)") - flagged("(S)"),
    }) as f64
}

fn md(s: &Sample, field: &str, id: &str, storage: &Value) -> Vec<(String, Verdict)> {
    let name = s.label("device");
    let theirs = fmt(s.value);
    let Some(a) = find(&storage["md"], "name", name) else {
        return vec![(
            id.to_owned(),
            Verdict::Compare(Ours::Absent("no such array".into()), theirs),
        )];
    };
    // node_md_degraded and node_md_raid_disks come from sysfs, the others
    // from mdstat. For an array sysfs shows, hostlint keeps sysfs's facts
    // and notes where mdstat says otherwise: mdstat's value is that note's.
    let mdstat_note = |fact: &str| -> Option<String> {
        if !a["source"].as_str().unwrap_or("").starts_with("sys/") {
            return None;
        }
        a["mdstat_disagrees"]
            .as_array()?
            .iter()
            .find(|d| d["fact"] == fact)
            .and_then(|d| d["mdstat"].as_str().map(str::to_owned))
    };
    let members = a["members"].as_array().cloned().unwrap_or_default();
    let flagged = |flag: &str| {
        members
            .iter()
            .filter(|m| {
                m["state"]
                    .as_array()
                    .is_some_and(|st| st.iter().any(|x| x == flag))
            })
            .count() as f64
    };
    let (ours, theirs) = match field {
        "state" => {
            // One sample per state word: the one that is 1 names it.
            if s.value != 1.0 {
                return Vec::new();
            }
            let ours = match mdstat_note("state") {
                Some(word) if word == "inactive" => Ours::Text(word),
                _ => md_state(a),
            };
            (ours, s.label("state").to_owned())
        }
        "disks" => {
            let state = s.label("state");
            let ours = match mdstat_note("members") {
                Some(list) => Ours::Num(note_counts(&list, state)),
                None => Ours::Num(match state {
                    "failed" => flagged("faulty"),
                    "spare" => flagged("spare"),
                    _ => members.len() as f64 - flagged("faulty") - flagged("spare"),
                }),
            };
            (ours, theirs)
        }
        "disks_required" => match mdstat_note("raid_disks") {
            Some(n) => (Ours::Num(n.parse().unwrap()), theirs),
            None => (num(&a["raid_disks"]), theirs),
        },
        "raid_disks" => (num(&a["raid_disks"]), theirs),
        // No redundancy is nothing missing.
        "degraded" => (
            match &a["degraded"] {
                Value::Null => Ours::Num(0.0),
                d => num(d),
            },
            theirs,
        ),
        _ => (
            Ours::Absent(format!("no mapping for node_md_{field}")),
            theirs,
        ),
    };
    vec![(id.to_owned(), Verdict::Compare(ours, theirs))]
}

fn nvme(s: &Sample, field: &str, id: &str, storage: &Value) -> Vec<(String, Verdict)> {
    let dev = s.label("device");
    let subsystems = storage["nvme"].as_array().cloned().unwrap_or_default();
    let ctrl = subsystems.iter().find_map(|sub| {
        sub["controllers"]
            .as_array()?
            .iter()
            .find(|c| c["name"] == dev)
            .cloned()
    });
    let Some(c) = ctrl else {
        return vec![(
            id.to_owned(),
            Verdict::Compare(Ours::Absent(format!("no controller {dev}")), fmt(s.value)),
        )];
    };
    // The namespace reached through this controller with that nsid.
    let nsid: f64 = s.label("nsid").parse().unwrap_or(-1.0);
    let namespace = subsystems.iter().find_map(|sub| {
        sub["namespaces"].as_array()?.iter().find_map(|n| {
            let through = n["paths"]
                .as_array()?
                .iter()
                .find(|p| p["controller"] == dev)?;
            (n["nsid"].as_f64() == Some(nsid)).then(|| (n.clone(), through.clone()))
        })
    });
    match field {
        "info" => label_facts(s, id, &["device"], |k, _| match k {
            "firmware_revision" => text(&c["firmware_rev"]),
            "model" => text(&c["model"]),
            "serial" => text(&c["serial"]),
            "state" => text(&c["state"]),
            other => Ours::Absent(format!("no mapping for label {other}")),
        }),
        "namespace_info" => vec![(
            format!("{id}.ana_state"),
            Verdict::Compare(
                namespace.map_or(Ours::Absent("no such namespace".into()), |(_, p)| {
                    text(&p["ana_state"])
                }),
                s.label("ana_state").to_owned(),
            ),
        )],
        "namespace_size_bytes" | "namespace_capacity_bytes" => vec![(
            id.to_owned(),
            Verdict::Compare(
                namespace.map_or(Ours::Absent("no such namespace".into()), |(n, _)| {
                    num(&n["size_bytes"])
                }),
                fmt(s.value),
            ),
        )],
        _ => vec![(
            id.to_owned(),
            Verdict::Compare(
                Ours::Absent(format!("no mapping for node_nvme_{field}")),
                fmt(s.value),
            ),
        )],
    }
}

/// A PCI function as hostlint read it: the device of a link, or a port
/// above one.
fn pci(s: &Sample, field: &str, id: &str, links: &Value) -> Vec<(String, Verdict)> {
    let address = format!(
        "{}:{}:{}.{}",
        s.label("segment"),
        s.label("bus"),
        s.label("device"),
        s.label("function")
    );
    let mut device = None;
    let mut port = None;
    for l in links.as_array().into_iter().flatten() {
        let p = &l["device"]["pci"];
        if p["address"] == address.as_str() {
            device = Some(p.clone());
        }
        for up in p["upstream"].as_array().into_iter().flatten() {
            if up["address"] == address.as_str() {
                port = Some(up.clone());
            }
        }
    }
    let pcie = device
        .as_ref()
        .map(|d| d["pcie"].clone())
        .or_else(|| port.as_ref().map(|p| p["link"].clone()));
    let compare = |ours: Ours| vec![(id.to_owned(), Verdict::Compare(ours, fmt(s.value)))];
    let link = |key: &str, by: f64| match &pcie {
        Some(l) => scale(num(&l[key]), by),
        None => Ours::Absent(format!("hostlint read no PCIe link of {address}")),
    };
    match field {
        "current_link_transfers_per_second" => compare(link("current_speed_gts", 1e9)),
        "max_link_transfers_per_second" => compare(link("max_speed_gts", 1e9)),
        "current_link_width" => compare(link("current_width", 1.0)),
        "max_link_width" => compare(link("max_width", 1.0)),
        "numa_node" => compare(match &device {
            Some(d) => num(&d["numa_node"]),
            None => Ours::Absent(format!("{address} is no link's device")),
        }),
        "info" => {
            let Some(d) = device else {
                return vec![(
                    format!("{id}.ids"),
                    Verdict::NotRead(not_read("node_pcidevice_info@port").unwrap()),
                )];
            };
            const PARENT: [&str; 4] = [
                "parent_segment",
                "parent_bus",
                "parent_device",
                "parent_function",
            ];
            label_facts(s, id, &["segment", "bus", "device", "function"], |k, _| {
                if let Some(i) = PARENT.iter().position(|p| *p == k) {
                    // The port above, nearest first.
                    let up = d["upstream"][0]["address"].as_str().unwrap_or("*");
                    let parts: Vec<&str> = up.split([':', '.']).collect();
                    return Ours::Text(parts.get(i).map_or("*", |p| p).to_owned());
                }
                match k {
                    "vendor_id" | "device_id" | "subsystem_vendor_id" | "subsystem_device_id" => {
                        text(&d[k])
                    }
                    other => Ours::Absent(format!("no mapping for label {other}")),
                }
            })
        }
        _ => compare(Ours::Absent(format!(
            "no mapping for node_pcidevice_{field}"
        ))),
    }
}

fn infiniband(s: &Sample, field: &str, id: &str, ib: &Value) -> Vec<(String, Verdict)> {
    let Some(d) = find(ib, "name", s.label("device")) else {
        return vec![(
            id.to_owned(),
            Verdict::Compare(Ours::Absent("no such RDMA device".into()), fmt(s.value)),
        )];
    };
    if field == "info" {
        return [
            ("board_id", "board_id"),
            ("firmware_version", "firmware_version"),
            ("hca_type", "hca_type"),
        ]
        .iter()
        .map(|(label, ours)| {
            (
                format!("{id}.{label}"),
                Verdict::Compare(text(&d[*ours]), s.label(label).to_owned()),
            )
        })
        .collect();
    }
    let number: f64 = s.label("port").parse().unwrap_or(-1.0);
    let port = d["ports"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["number"].as_f64() == Some(number)));
    let Some(p) = port else {
        return vec![(
            id.to_owned(),
            Verdict::Compare(Ours::Absent("no such port".into()), fmt(s.value)),
        )];
    };
    let state_id = |v: &Value, names: &[&str]| match text(v) {
        Ours::Text(t) => names
            .iter()
            .position(|n| *n == t)
            .map_or(Ours::Text(t), |i| Ours::Num(i as f64)),
        other => other,
    };
    let counter = |name: &str, by: f64| scale(num(&p["counters"][name]), by);
    let ours = match field {
        "state_id" => state_id(&p["state"], IB_STATES),
        "physical_state_id" => state_id(&p["phys_state"], IB_PHYS_STATES),
        // Gbit/s to bytes per second.
        "rate_bytes_per_second" => scale(num(&p["rate_gbps"]), 1e9 / 8.0),
        // The IBTA's data counters count 4-octet words.
        "port_data_received_bytes_total" => counter("port_rcv_data", 4.0),
        "port_data_transmitted_bytes_total" => counter("port_xmit_data", 4.0),
        "link_downed_total" => counter("link_downed", 1.0),
        "link_error_recovery_total" => counter("link_error_recovery", 1.0),
        "multicast_packets_received_total" => counter("multicast_rcv_packets", 1.0),
        "multicast_packets_transmitted_total" => counter("multicast_xmit_packets", 1.0),
        "unicast_packets_received_total" => counter("unicast_rcv_packets", 1.0),
        "unicast_packets_transmitted_total" => counter("unicast_xmit_packets", 1.0),
        "port_constraint_errors_received_total" => counter("port_rcv_constraint_errors", 1.0),
        "port_constraint_errors_transmitted_total" => counter("port_xmit_constraint_errors", 1.0),
        "port_discards_received_total" => counter("port_rcv_discards", 1.0),
        "port_discards_transmitted_total" => counter("port_xmit_discards", 1.0),
        "port_errors_received_total" => counter("port_rcv_errors", 1.0),
        "port_packets_received_total" => counter("port_rcv_packets", 1.0),
        "port_packets_transmitted_total" => counter("port_xmit_packets", 1.0),
        "port_transmit_wait_total" => counter("port_xmit_wait", 1.0),
        other => Ours::Absent(format!("no mapping for node_infiniband_{other}")),
    };
    vec![(id.to_owned(), Verdict::Compare(ours, fmt(s.value)))]
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e18 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn agrees(ours: &Ours, theirs: &str) -> bool {
    match ours {
        Ours::Num(a) => theirs
            .parse::<f64>()
            .is_ok_and(|b| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)),
        Ours::Text(t) => t == theirs,
        Ours::Unknown(_) | Ours::Absent(_) => false,
    }
}

const FAMILIES: &[&str] = &[
    "node_network_",
    "node_bonding_",
    "node_fibrechannel_",
    "node_dmmultipath_",
    "node_md_",
    "node_nvme_",
    "node_pcidevice_",
    "node_infiniband_",
];

#[test]
fn hostlint_agrees_with_node_exporter_on_every_fact_both_read() {
    let root = oracle_root();
    let doc = show_all(root.path());
    let text = fs::read_to_string(data("node_exporter/e2e-output-excerpt.txt")).unwrap();
    let samples: Vec<Sample> = parse_exposition(&text)
        .into_iter()
        .filter(|s| FAMILIES.iter().any(|f| s.family.starts_with(f)))
        .collect();
    let mut equal = 0;
    let mut right_used = BTreeSet::new();
    let mut not_read_used = BTreeSet::new();
    let mut failures = Vec::new();
    for s in &samples {
        for (key, verdict) in facts(s, &doc) {
            match verdict {
                Verdict::NotRead(why) => {
                    not_read_used.insert(why);
                }
                Verdict::Compare(ours, theirs) => {
                    let explained = HOSTLINT_RIGHT.iter().find(|(k, _, _)| *k == key);
                    match (agrees(&ours, &theirs), explained) {
                        (true, None) => equal += 1,
                        (false, Some((k, want, _))) if says(&ours, want) => {
                            right_used.insert(*k);
                        }
                        (false, Some((_, want, _))) => failures.push(format!(
                            "{key}: explained as hostlint right with {want}, but hostlint says {ours:?}"
                        )),
                        (true, Some(_)) => failures.push(format!(
                            "{key}: explained as a difference, but hostlint says {ours:?} as node_exporter does"
                        )),
                        (false, None) => failures.push(format!(
                            "{key}: node_exporter {theirs}, hostlint {ours:?}"
                        )),
                    }
                }
            }
        }
    }
    for (k, _, _) in HOSTLINT_RIGHT {
        if !right_used.contains(k) {
            failures.push(format!(
                "{k}: in HOSTLINT_RIGHT, but no sample differs there"
            ));
        }
    }
    for (k, why) in NOT_READ {
        if !not_read_used.contains(why) {
            failures.push(format!("{k}: in NOT_READ, but no sample needs it"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} facts equal; these are not:\n{}",
        equal,
        failures.join("\n")
    );
    // Every family that was compared at all was compared fact by fact.
    assert!(equal >= 261, "only {equal} facts compared");
}
