//! `hostlint show` and `hostlint capture` on the bundled fixtures: golden
//! output for every fixture, the capture round trip, and the errors an
//! operator sees.

use std::fs;

use serde_json::Value;

use crate::util::{
    copy_tree, fixture, hostlint, json_diff, parse_json, path_str, repo, run_expect, run_ok,
    tempdir,
};

/// Every scenario under `fixtures/`.
fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(repo().join("fixtures"))
        .expect("fixtures/")
        .filter_map(|e| {
            let e = e.ok()?;
            e.file_type()
                .ok()?
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 2, "fixtures/ holds {names:?}");
    names
}

#[test]
fn show_table_of_every_fixture() {
    for name in fixtures() {
        let dir = fixture(&name);
        let out = run_ok(&mut hostlint(&["show", "--root", path_str(&dir)]));
        insta::assert_snapshot!(format!("show_table_{name}"), out);
    }
}

#[test]
fn show_json_of_every_fixture() {
    for name in fixtures() {
        let dir = fixture(&name);
        let out = run_ok(&mut hostlint(&[
            "show",
            "--root",
            path_str(&dir),
            "--format",
            "json",
        ]));
        let doc = parse_json(&out);
        assert_eq!(doc["schema"], "hostlint.snapshot/1");
        insta::assert_snapshot!(format!("show_json_{name}"), out);
    }
}

#[test]
fn show_parts_keep_only_what_was_asked() {
    let dir = fixture("lb-healthy");
    let out = run_ok(&mut hostlint(&[
        "show",
        "links",
        "--root",
        path_str(&dir),
        "--format",
        "json",
    ]));
    let doc = parse_json(&out);
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    // The LLDP neighbours are heard on the links, and the InfiniBand ports
    // are links of their own: both are shown with them.
    assert_eq!(keys, ["infiniband", "links", "lldp", "schema"]);
    let table = run_ok(&mut hostlint(&["show", "routes", "--root", path_str(&dir)]));
    assert!(
        table.contains("198.51.100.1") && !table.contains("LINK "),
        "{table}"
    );
    let host = run_ok(&mut hostlint(&["show", "host", "--root", path_str(&dir)]));
    assert!(
        host.contains("lb-01") && host.contains("6.8.0-45-generic"),
        "{host}"
    );
    let doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "bonds",
        "--root",
        path_str(&dir),
        "--format",
        "json",
    ])));
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["bonds", "schema"]);
    let bonds = run_ok(&mut hostlint(&["show", "bonds", "--root", path_str(&dir)]));
    assert!(
        bonds.contains("802.3ad, LACP fast")
            && bonds.contains("enp65s0f1")
            && bonds.contains("00:1c:73:00:00:01")
            && !bonds.contains("DRIVER"),
        "{bonds}"
    );
}

/// `show links bonds routes`: those parts, in that order, each once; the
/// JSON holds those parts only.
#[test]
fn show_takes_several_parts_in_the_order_named() {
    let root = fixture("lb-healthy");
    let table = run_ok(&mut hostlint(&[
        "show",
        "routes",
        "links",
        "bonds",
        "links",
        "--root",
        path_str(&root),
    ]));
    let at = |header: &str| {
        table
            .lines()
            .position(|l| l.starts_with(header))
            .unwrap_or_else(|| panic!("no {header} table:\n{table}"))
    };
    assert!(
        at("TABLE ") < at("LINK ") && at("LINK ") < at("BOND "),
        "{table}"
    );
    assert_eq!(table.lines().filter(|l| l.starts_with("LINK ")).count(), 1);
    for absent in ["HOST", "MULTIPATH"] {
        assert!(!table.contains(absent), "{absent} shown:\n{table}");
    }
    let doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "links",
        "routes",
        "--root",
        path_str(&root),
        "--format",
        "json",
    ])));
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        // InfiniBand ports are shown with the links.
        [
            "infiniband",
            "links",
            "lldp",
            "neighbors",
            "routes",
            "rules",
            "schema"
        ]
    );
    // `all` stands for every part, in its place.
    let everything = run_ok(&mut hostlint(&["show", "--root", path_str(&root)]));
    let all = run_ok(&mut hostlint(&[
        "show",
        "all",
        "links",
        "--root",
        path_str(&root),
    ]));
    assert_eq!(all, everything);
    let links_first = run_ok(&mut hostlint(&[
        "show",
        "links",
        "all",
        "--root",
        path_str(&root),
    ]));
    assert!(links_first.starts_with("LINK "), "{links_first}");
    assert!(links_first.contains("\nHOST\n"), "{links_first}");
}

/// YAML is the JSON document in another syntax: the same values, for every
/// fixture.
#[test]
fn show_yaml_says_what_show_json_says() {
    for name in fixtures() {
        let dir = fixture(&name);
        let show = |format: &str| {
            run_ok(&mut hostlint(&[
                "show",
                "--root",
                path_str(&dir),
                "--format",
                format,
            ]))
        };
        let yaml = show("yaml");
        assert!(
            yaml.starts_with("schema: hostlint.snapshot/1\n"),
            "{name}:\n{yaml}"
        );
        let from_yaml: Value = serde_saphyr::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{name}: the YAML does not parse: {e}\n{yaml}"));
        let diffs = json_diff(&parse_json(&show("json")), &from_yaml);
        assert!(
            diffs.is_empty(),
            "{name}: YAML differs from JSON:\n{}",
            diffs.join("\n")
        );
    }
}

/// `--color always`: the fact that is wrong is painted, not only a state.
#[test]
fn show_paints_the_fact_that_is_wrong() {
    let red = |text: &str| format!("\u{1b}[31m{text}\u{1b}[0m");
    let show = |name: &str, part: &str| {
        run_ok(&mut hostlint(&[
            "show",
            part,
            "--root",
            path_str(&fixture(name)),
            "--color",
            "always",
        ]))
    };
    let pcie = show("lb-pcie-x4", "links");
    assert!(pcie.contains(&red("8GT/s x4 of 8GT/s x8")), "{pcie}");
    let healthy = show("lb-healthy", "links");
    assert!(!healthy.contains("\u{1b}[31m8GT/s"), "{healthy}");
    assert!(healthy.contains("\u{1b}[32mup\u{1b}[0m"), "{healthy}");
    let slow = show("lb-uplink-1g", "links");
    assert!(slow.contains(&red("1G")), "{slow}");
    assert!(!healthy.contains(&red("10G")), "{healthy}");
    let lacp = show("lb-lacp-other-aggregator", "bonds");
    assert!(lacp.contains(&red("2")), "{lacp}");
    // A healthy bond has nothing to paint red.
    let bond = show("lb-healthy", "bonds");
    assert!(!bond.contains("\u{1b}[31m"), "{bond}");
    // Never colour unless asked, whatever the other settings say.
    let plain = run_ok(&mut hostlint(&[
        "show",
        "--root",
        path_str(&fixture("lb-pcie-x4")),
        "--color",
        "never",
    ]));
    assert!(!plain.contains('\u{1b}'), "{plain}");
    let piped = run_ok(
        hostlint(&["show", "--root", path_str(&fixture("lb-pcie-x4"))]).env_remove("NO_COLOR"),
    );
    assert!(!piped.contains('\u{1b}'), "auto colours a pipe:\n{piped}");
}

/// A fixture re-captured reads back the same: the writers of every fixture
/// file and the readers agree, for hardware this machine does not have.
#[test]
fn recapturing_a_fixture_changes_nothing() {
    for name in fixtures() {
        let dir = fixture(&name);
        let tmp = tempdir();
        let again = tmp.path().join("again");
        run_ok(&mut hostlint(&[
            "capture",
            "--root",
            path_str(&dir),
            "-o",
            path_str(&again),
        ]));
        let show = |d: &std::path::Path| {
            parse_json(&run_ok(&mut hostlint(&[
                "show",
                "--root",
                path_str(d),
                "--format",
                "json",
            ])))
        };
        let diffs = json_diff(&show(&dir), &show(&again));
        assert!(
            diffs.is_empty(),
            "{name}: re-capture differs:\n{}",
            diffs.join("\n")
        );
    }
}

/// A copy of a fixture to break, made the way a user would: by capture.
fn editable_copy(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempdir();
    let copy = tmp.path().join(name);
    run_ok(&mut hostlint(&[
        "capture",
        "--root",
        path_str(&fixture(name)),
        "-o",
        path_str(&copy),
    ]));
    (tmp, copy)
}

#[test]
fn facts_a_fixture_lacks_are_unknown_not_invented() {
    let (_tmp, copy) = editable_copy("lb-healthy");
    fs::remove_file(copy.join("cmd/ethtool/enp65s0f0")).unwrap();
    fs::remove_file(copy.join("cmd/ip-addr.json")).unwrap();
    fs::remove_file(
        copy.join("sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/current_link_width"),
    )
    .unwrap();
    let doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "--root",
        path_str(&copy),
        "--format",
        "json",
    ])));
    let link = doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "enp65s0f0")
        .unwrap();
    assert_eq!(link["speed_mbps"]["unknown"], "not_captured");
    assert_eq!(link["addresses"]["unknown"], "not_captured");
    assert_eq!(
        link["device"]["pci"]["pcie"]["current_width"]["unknown"],
        "not_captured"
    );
    assert_eq!(link["device"]["pci"]["pcie"]["max_width"], 8);
    let table = run_ok(&mut hostlint(&["show", "links", "--root", path_str(&copy)]));
    assert!(table.contains("?["), "{table}");
    assert!(
        table.contains("not_captured (the fixture has no cmd/ethtool/enp65s0f0)"),
        "{table}"
    );
}

#[test]
fn malformed_fixture_files_say_where() {
    let (_tmp, copy) = editable_copy("lb-healthy");
    fs::write(
        copy.join("cmd/ip-route-4.json"),
        "[{\"dst\": \"10.0.0.0/8\",\n \"table\": 7\n",
    )
    .unwrap();
    fs::write(
        copy.join("cmd/ethtool/eno1"),
        "Settings for eno1:\n\tSpeed: fast\n",
    )
    .unwrap();
    let bond = copy.join("proc/net/bonding/bond0");
    let text = fs::read_to_string(&bond).unwrap();
    fs::write(&bond, text.replacen("Speed: 10000 Mbps", "Speed: 10000", 1)).unwrap();
    let doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "--root",
        path_str(&copy),
        "--format",
        "json",
    ])));
    assert_eq!(doc["routes"]["unknown"], "malformed");
    let detail = doc["routes"]["detail"].as_str().unwrap();
    assert!(detail.starts_with("cmd/ip-route-4.json:"), "{detail}");
    let eno1 = doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "eno1")
        .unwrap();
    assert_eq!(eno1["speed_mbps"]["unknown"], "malformed");
    assert!(
        eno1["speed_mbps"]["detail"]
            .as_str()
            .unwrap()
            .contains("line 2: bad speed")
    );
    let member = &doc["bonds"][0]["members"][0];
    assert_eq!(member["speed_mbps"]["unknown"], "malformed");
    assert_eq!(
        member["speed_mbps"]["detail"],
        "proc/net/bonding/bond0:27: unexpected Speed \"10000\""
    );
    assert_eq!(doc["bonds"][0]["members"][1]["speed_mbps"], 10000);
}

fn bonds_json(dir: &std::path::Path) -> Value {
    let mut doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "bonds",
        "--root",
        path_str(dir),
        "--format",
        "json",
    ])));
    doc["bonds"].take()
}

/// lb-healthy's bond0 read from sysfs, as in a copy of /sys without /proc,
/// says what `proc/net/bonding/bond0` says, but the partner each member
/// sees and its churn, which only that file shows.
#[test]
fn bond_facts_from_sysfs_agree_with_proc_net_bonding() {
    let tmp = tempdir();
    let copy = tmp.path().join("lb");
    copy_tree(&fixture("lb-healthy"), &copy);
    let from_proc = bonds_json(&copy);
    fs::remove_file(copy.join("proc/net/bonding/bond0")).unwrap();
    let from_sysfs = bonds_json(&copy);
    assert_eq!(from_sysfs[0]["source"], "sys/class/net/bond0/bonding");
    assert_eq!(from_sysfs[0]["lacp"]["partner_mac"], "00:1c:73:00:00:01");
    let mut diffs = json_diff(&from_proc, &from_sysfs);
    diffs.sort();
    let expected = [
        "[0].members[0].lacp.actor_churn",
        "[0].members[0].lacp.actor_churned_count",
        "[0].members[0].lacp.partner_churn",
        "[0].members[0].lacp.partner_churned_count",
        "[0].members[0].lacp.partner_mac",
        "[0].members[1].lacp.actor_churn",
        "[0].members[1].lacp.actor_churned_count",
        "[0].members[1].lacp.partner_churn",
        "[0].members[1].lacp.partner_churned_count",
        "[0].members[1].lacp.partner_mac",
        "[0].source",
    ];
    assert_eq!(diffs.len(), expected.len(), "{diffs:#?}");
    for (d, e) in diffs.iter().zip(expected) {
        assert!(d.starts_with(&format!("{e}:")), "{d}");
    }
    let partner = &from_sysfs[0]["members"][0]["lacp"]["partner_mac"];
    assert_eq!(partner["unknown"], "not_captured");
    let detail = partner["detail"].as_str().unwrap();
    assert!(detail.contains("proc/net/bonding/bond0"), "{detail}");
}

/// A capture keeps the bond files it read; a fixture without them does
/// not pass for a host without bonds unless its manifest says so.
#[test]
fn a_fixture_says_whether_the_host_had_bonds() {
    let (_tmp, copy) = editable_copy("lb-healthy");
    for file in ["proc/net/bonding/bond0", "sys/class/net/bonding_masters"] {
        assert_eq!(
            fs::read(copy.join(file)).unwrap(),
            fs::read(fixture("lb-healthy").join(file)).unwrap(),
            "{file}"
        );
    }
    // Read from proc: the sysfs bonding files were not needed.
    assert!(!copy.join("sys/class/net/bond0/bonding").exists());

    fs::remove_dir_all(copy.join("proc/net")).unwrap();
    fs::remove_file(copy.join("sys/class/net/bonding_masters")).unwrap();
    let bonds = bonds_json(&copy);
    assert_eq!(bonds["unknown"], "not_captured", "{bonds}");
    let detail = bonds["detail"].as_str().unwrap();
    assert!(
        detail.contains("proc/net/bonding") && detail.contains("bonding_masters"),
        "{detail}"
    );

    let manifest_path = copy.join("manifest.json");
    let mut manifest = parse_json(&fs::read_to_string(&manifest_path).unwrap());
    let absent = manifest["absent"].as_array_mut().unwrap();
    absent.push("proc/net/bonding".into());
    absent.push("sys/class/net/bonding_masters".into());
    fs::write(&manifest_path, manifest.to_string()).unwrap();
    assert_eq!(bonds_json(&copy), serde_json::json!([]));
}

/// A directory that is not a capture is not a host without links,
/// routes or disks: one line, exit 3. A fixture lacking only the part
/// asked for shows that part as unknown.
#[test]
fn show_of_a_directory_that_holds_nothing_exits_3() {
    let tmp = tempdir();
    for what in ["all", "links", "storage", "host"] {
        let out = hostlint(&["show", what, "--root", path_str(tmp.path())])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{what}");
        assert!(out.stdout.is_empty(), "{what}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("holds nothing hostlint reads"), "{err}");
    }
    let out = hostlint(&["show", "storage", "--root", "fixtures/netns-lab"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn errors_exit_unknown_and_name_the_path() {
    let out = run_expect(
        &mut hostlint(&["show", "--root", "/nonexistent/fixture"]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/fixture"), "{err}");

    let out = run_expect(&mut hostlint(&["show", "--frobnicate"]), 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--frobnicate"));

    let tmp = tempdir();
    let out = run_expect(
        &mut hostlint(&[
            "capture",
            "--root",
            path_str(&fixture("lb-healthy")),
            "-o",
            path_str(tmp.path()),
        ]),
        3,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let bad = tmp.path().join("bad");
    fs::create_dir(&bad).unwrap();
    fs::write(
        bad.join("manifest.json"),
        "{\"hostlint_fixture\": 1, \"surprise\": true}",
    )
    .unwrap();
    let out = run_expect(&mut hostlint(&["show", "--root", path_str(&bad)]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("manifest.json") && err.contains("surprise"),
        "{err}"
    );

    run_ok(&mut hostlint(&["--help"]));
}

/// `capture -o NAME.tar.gz` writes one archive holding the directory NAME,
/// symlinks kept; `--root` reads it back as the same host, and leaves no
/// temporary directory behind.
#[test]
fn a_capture_archive_reads_back_like_its_directory() {
    let tmp = tempdir();
    for name in fixtures() {
        let archive = tmp.path().join(format!("{name}.tar.gz"));
        run_ok(&mut hostlint(&[
            "capture",
            "--root",
            path_str(&fixture(&name)),
            "-o",
            path_str(&archive),
            "--label",
            "before ticket 4711",
        ]));
        let show = |root: &std::path::Path| {
            parse_json(&run_ok(&mut hostlint(&[
                "show",
                "--root",
                path_str(root),
                "--format",
                "json",
            ])))
        };
        let diffs = json_diff(&show(&fixture(&name)), &show(&archive));
        assert!(diffs.is_empty(), "{name}: {}", diffs.join("\n"));

        let unpacked = hostlint::source::archive::unpack(&archive).unwrap();
        let dir = unpacked.fixture();
        assert_eq!(dir.file_name().unwrap().to_str(), Some(name.as_str()));
        let manifest = parse_json(&fs::read_to_string(dir.join("manifest.json")).unwrap());
        assert_eq!(manifest["label"], "before ticket 4711");
        let link = fs::symlink_metadata(dir.join("sys/class/net/lo"))
            .or_else(|_| fs::symlink_metadata(dir.join("sys/class/net/eno1")))
            .unwrap();
        assert!(link.file_type().is_symlink(), "{name}");
        let temp = unpacked.temp_dir().to_owned();
        drop(unpacked);
        assert!(!temp.exists());
    }
    // Evidence names the archive, not a temporary directory gone by then.
    let archive = tmp.path().join("lb-healthy.tar.gz");
    let audit = run_ok(&mut hostlint(&[
        "audit",
        "-p",
        path_str(&repo().join("policies/lb-node.yaml")),
        "--root",
        path_str(&archive),
        "--format",
        "json",
    ]));
    let shown = format!("{}/lb-healthy", path_str(&archive));
    let doc = parse_json(&audit);
    assert_eq!(doc["source"], shown.as_str());
    assert!(
        doc["findings"][0]["evidence"][0]
            .as_str()
            .unwrap()
            .starts_with(&shown),
        "{audit}"
    );
    // Only the archives: no staging directory or temporary file is left.
    let left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".tar.gz"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_broken_or_hostile_archive_is_refused() {
    let tmp = tempdir();
    let bad = tmp.path().join("bad.tar.gz");
    fs::write(&bad, b"not an archive").unwrap();
    let out = run_expect(&mut hostlint(&["show", "--root", path_str(&bad)]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.tar.gz") && err.contains("cannot unpack"),
        "{err}"
    );

    // An entry that climbs out of the directory, written byte by byte as a
    // hostile archive would be: refused, and nothing written beside it.
    let mut header = [0u8; 512];
    let name = b"../escaped";
    header[..name.len()].copy_from_slice(name);
    header[100..107].copy_from_slice(b"0000644");
    header[124..135].copy_from_slice(b"00000000004");
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = b'0';
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(b"evil");
    tar.resize(512 * 2 + 1024, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let hostile = tmp.path().join("hostile.tar.gz");
    fs::write(&hostile, gz.finish().unwrap()).unwrap();
    let out = run_expect(&mut hostlint(&["show", "--root", path_str(&hostile)]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("climbs out"), "{err}");
    assert!(!std::env::temp_dir().join("escaped").exists());
}

/// `ip -j` prints a name as the kernel holds it: one that is not UTF-8
/// makes that link unknown by name, and every other link reads.
#[test]
fn a_fixture_link_named_in_bytes_that_are_not_utf8_is_unknown_and_the_others_read() {
    let (_tmp, copy) = editable_copy("lb-healthy");
    let path = copy.join("cmd/ip-link.json");
    let text = fs::read(&path).unwrap();
    let at = text.windows(6).position(|w| w == b"\"eno2\"").unwrap();
    let mut bad = text.clone();
    bad.splice(at + 1..at + 5, b"eno\xff".iter().copied());
    fs::write(&path, bad).unwrap();
    let doc = parse_json(&run_ok(&mut hostlint(&[
        "show",
        "links",
        "--root",
        path_str(&copy),
        "--format",
        "json",
    ])));
    let links = doc["links"].as_array().unwrap();
    let bad = links.iter().find(|l| l["name"] == "eno\u{fffd}").unwrap();
    assert_eq!(bad["speed_mbps"]["unknown"], "malformed", "{bad:#}");
    assert_eq!(bad["device"]["unknown"], "malformed", "{bad:#}");
    let eno1 = links.iter().find(|l| l["name"] == "eno1").unwrap();
    assert_eq!(eno1["speed_mbps"], 1000, "{eno1:#}");
    assert_eq!(links.len(), 6);
}
