//! Malformed input never panics: every parser of fixture text and kernel
//! messages is fed truncated, bit-flipped and spliced copies of real input
//! and random bytes. Each must answer with a value or an error.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};

use netlink_packet_core::Parseable;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::route::RouteMessage;

use hostlint::snapshot::RouteTable;
use hostlint::source::{ethtool, ethtool_text, iproute, rtnl};

use crate::mutation::{Rng, dm_multipath_status_reply, dm_name_list, mutate_bytes};
use crate::util::fixture;

/// Mutated copies of `seed`: truncations, flipped bytes, inserted bytes,
/// a duplicated slice.
fn mutants(seed: &[u8], rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    (0..count).map(|i| mutate_bytes(rng, seed, i)).collect()
}

fn never_panics(what: &str, input: &[u8], f: impl FnOnce(&[u8])) {
    let result = catch_unwind(AssertUnwindSafe(|| f(input)));
    assert!(
        result.is_ok(),
        "{what} panicked on input {:?}",
        String::from_utf8_lossy(input)
    );
}

type TextParser = fn(&str);

fn text_parsers() -> Vec<(&'static str, &'static str, TextParser)> {
    vec![
        ("cmd/ip-link.json", "ip-link", |t| {
            let _ = iproute::parse_links(t.as_bytes());
        }),
        ("cmd/ip-addr.json", "ip-addr", |t| {
            let _ = iproute::parse_addresses(t.as_bytes());
        }),
        ("cmd/ip-route-4.json", "ip-route-4", |t| {
            let _ = iproute::parse_routes(t, 4, &mut RouteTable::default());
        }),
        ("cmd/ip-route-6.json", "ip-route-6", |t| {
            let _ = iproute::parse_routes(t, 6, &mut RouteTable::default());
        }),
        ("cmd/ip-rule-4.json", "ip-rule", |t| {
            let _ = iproute::parse_rules(t.as_bytes(), 4);
        }),
        ("cmd/ip-neigh.json", "ip-neigh", |t| {
            let _ = iproute::parse_neighbors(t.as_bytes());
        }),
        ("cmd/ethtool/eno1", "ethtool", |t| {
            let _ = ethtool_text::parse_settings(t);
        }),
        ("cmd/ethtool-i/eno1", "ethtool -i", |t| {
            let _ = ethtool_text::parse_driver(t);
        }),
        ("proc/net/bonding/bond0", "proc/net/bonding", |t| {
            let _ = hostlint::collect::bond::parse_proc("bond0", "bond0", t);
        }),
    ]
}

#[test]
fn fixture_text_parsers_survive_mutation() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (file, what, parse) in text_parsers() {
        let seed = fs::read(fixture("lb-healthy").join(file)).unwrap();
        for m in mutants(&seed, &mut rng, 2000) {
            // The readers take text; invalid UTF-8 is refused before them.
            if let Ok(text) = std::str::from_utf8(&m) {
                never_panics(what, text.as_bytes(), |_| parse(text));
            }
        }
    }
}

/// Real messages, built by the crate as the kernel would send them, then
/// mutated and handed to the decoders hostlint runs on kernel replies.
#[test]
fn netlink_decoders_survive_mutation() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // An RTM_NEWLINK body and an RTM_NEWROUTE body with attributes.
    let seeds: Vec<Vec<u8>> = vec![
        vec![
            0, 0, 1, 0, 3, 0, 0, 0, 0x43, 0x10, 1, 0, 0, 0, 0, 0, // ifinfomsg
            8, 0, 3, 0, b'v', b'a', 0, 0, // IFLA_IFNAME
            8, 0, 4, 0, 0xdc, 5, 0, 0, // IFLA_MTU
            5, 0, 16, 0, 6, 0, 0, 0, // IFLA_OPERSTATE
            12, 0, 18, 0, 8, 0, 1, 0, b'v', b'e', b't', b'h', // IFLA_LINKINFO/KIND
        ],
        vec![
            2, 24, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0, // rtmsg
            8, 0, 1, 0, 10, 1, 0, 0, // RTA_DST
            8, 0, 5, 0, 10, 1, 0, 254, // RTA_GATEWAY
            8, 0, 4, 0, 3, 0, 0, 0, // RTA_OIF
            8, 0, 15, 0, 100, 0, 0, 0, // RTA_TABLE
            20, 0, 9, 0, 16, 0, 0, 1, 3, 0, 0, 0, 8, 0, 5, 0, 10, 1, 0, 253, // RTA_MULTIPATH
        ],
    ];
    for seed in &seeds {
        for m in mutants(seed, &mut rng, 3000) {
            never_panics("LinkMessage::parse", &m, |b| {
                let _ = LinkMessage::parse(b);
            });
            never_panics("rtnl::decode_link", &m, |b| {
                let _ = rtnl::decode_link(b);
            });
            never_panics("RouteMessage::parse", &m, |b| {
                let _ = RouteMessage::parse(b);
            });
            never_panics("ethtool link modes", &m, |b| {
                let _ = ethtool::parse_link_modes(b);
            });
        }
    }
    for _ in 0..3000 {
        let len = rng.below(96);
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        never_panics("ethtool link modes", &junk, |b| {
            let _ = ethtool::parse_link_modes(b);
        });
    }
}

/// A policy file, mangled: the loader reports errors, it never panics.
#[test]
fn the_policy_loader_survives_mutation() {
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let seed = fs::read(crate::util::repo().join("policies/lb-node.yaml")).unwrap();
    let dir = crate::util::tempdir();
    let path = dir.path().join("p.yaml");
    for m in mutants(&seed, &mut rng, 1500) {
        fs::write(&path, &m).unwrap();
        never_panics("policy::load", &m, |_| {
            let _ = hostlint::policy::load(std::slice::from_ref(&path));
        });
    }
}

/// A capture archive whose tar stream is mangled (then compressed again,
/// so that the damage reaches the tar reader rather than gzip's checksum):
/// unpacking answers with a capture or an error, never panics, and writes
/// nothing outside the directory it unpacks into.
#[test]
fn the_archive_reader_survives_mutation() {
    use std::io::{Read, Write};

    let tmp = crate::util::tempdir();
    let archive = tmp.path().join("lb.tar.gz");
    crate::util::run_ok(&mut crate::util::hostlint(&[
        "capture",
        "--root",
        crate::util::path_str(&fixture("lb-healthy")),
        "-o",
        crate::util::path_str(&archive),
    ]));
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(&archive).unwrap())
        .read_to_end(&mut tar)
        .unwrap();
    let into = tmp.path().join("into");
    fs::create_dir(&into).unwrap();
    let mut rng = Rng(0x0bad_5eed_d00d_f00d);
    // Each unpack writes a whole capture: a few dozen mutants are what the
    // time allows; the unit tests cover each refusal.
    for (i, m) in mutants(&tar, &mut rng, 64).into_iter().enumerate() {
        // Stored, not compressed: deflate in a debug build would take
        // most of the test's time and test nothing more.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        gz.write_all(&m).unwrap();
        let bytes = gz.finish().unwrap();
        let dir = into.join(i.to_string());
        fs::create_dir(&dir).unwrap();
        never_panics("archive::unpack_into", &bytes, |b| {
            let _ = hostlint::source::archive::unpack_into(b, &dir);
        });
    }
    let mut beside: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["into", "lb.tar.gz"]);
    assert_eq!(fs::read_dir(&into).unwrap().count(), 64);
}

/// The storage text formats, seeded from the SAN fixture: the multipath
/// status and table lines, /proc/mdstat, /proc/mounts, ATA IDENTIFY data.
#[test]
fn storage_parsers_survive_mutation() {
    use hostlint::collect::storage::{ata, mdraid, mount, multipath};
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let dm = |t: &str| {
        if let Ok(lines) = multipath::dm_lines(t) {
            for l in lines {
                let _ = multipath::parse_status(l.params);
                let _ = multipath::parse_table(l.params);
            }
        }
    };
    let parsers: Vec<(&str, &str, TextParser)> = vec![
        ("cmd/dmsetup-status.txt", "dmsetup status", dm),
        ("cmd/dmsetup-table.txt", "dmsetup table", dm),
        ("proc/mdstat", "mdstat", |t| {
            let _ = mdraid::parse_mdstat("proc/mdstat", t);
        }),
        ("proc/mounts", "mounts", |t| {
            let _ = mount::parse("proc/mounts", t);
        }),
        (
            "sys/devices/pci0000:00/0000:00:17.0/ata1/link1/dev1.0/ata_device/dev1.0/id",
            "ATA IDENTIFY",
            |t| {
                let _ = ata::max_from_identify(t);
            },
        ),
    ];
    for (file, what, parse) in parsers {
        let seed = fs::read(fixture("san-healthy").join(file)).unwrap();
        for m in mutants(&seed, &mut rng, 2000) {
            if let Ok(text) = std::str::from_utf8(&m) {
                never_panics(what, text.as_bytes(), |_| parse(text));
            }
        }
    }
}

/// The device-mapper ioctl replies, laid out as the kernel writes them and
/// mutated: the decoders refuse or read them, never read out of bounds.
#[test]
fn device_mapper_replies_survive_mutation() {
    use hostlint::source::devmapper::{parse_name_list, parse_targets};
    let mut rng = Rng(0x1405_7b7e_f767_814f);
    let reply = dm_multipath_status_reply();
    assert_eq!(parse_targets(&reply).unwrap()[0].kind, "multipath");
    for m in mutants(&reply, &mut rng, 3000) {
        never_panics("DM_TABLE_STATUS reply", &m, |b| {
            let _ = parse_targets(b);
        });
    }
    let list = dm_name_list();
    for m in mutants(&list, &mut rng, 3000) {
        never_panics("DM_LIST_DEVICES payload", &m, |b| {
            let _ = parse_name_list(b);
        });
    }
}
