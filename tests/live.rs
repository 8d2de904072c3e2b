//! Live tests on a real kernel: a network namespace built from veths, a
//! bridge, macvlan and vxlan links, addresses, routes in several tables,
//! multipath routes, policy rules and neighbours. They prove that the live
//! snapshot and the snapshot of its capture are the same, that both agree
//! with iproute2 and ethtool, and that hostlint changed nothing.

use std::fs;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use crate::util::{
    Netns, json_diff, live_ready, parse_json, path_str, remove_path, run_ok, tempdir,
};

/// Settings that keep a test namespace quiet: no DAD, no router
/// solicitations, so counters stop moving soon after the links come up.
pub const QUIET: &[&str] = &[
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.router_solicitations=0",
    "net.ipv6.conf.default.router_solicitations=0",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.default.accept_ra=0",
];

/// A small host with one of each thing hostlint reads from netlink.
fn lab_host() -> Netns {
    let ns = Netns::new("lab");
    ns.sysctl(QUIET);
    for cmd in [
        "link set lo up",
        "link add uplink0 type veth peer name peer0",
        "link add uplink1 mtu 9000 type veth peer name peer1 mtu 9000",
        "link add down0 type veth peer name down1",
        "link add br0 type bridge",
        "link set peer0 master br0",
        "link set peer1 master br0",
        "link add mv0 link uplink0 type macvlan mode bridge",
        "link add vx0 type vxlan id 42 dstport 4789 local 10.1.0.1 dev uplink0",
        "link set uplink0 up",
        "link set uplink1 up",
        "link set peer0 up",
        "link set peer1 up",
        "link set br0 up",
        "link set mv0 up",
        "link set vx0 up",
        "link set down1 up",
        "addr add 10.1.0.1/24 dev uplink0",
        "addr add 10.1.0.9/24 dev uplink0",
        "addr add 10.2.0.1/24 dev uplink1",
        "addr add 192.168.50.1/24 dev br0",
        "addr add 10.3.0.1/24 dev mv0",
        "addr add 2001:db8:1::1/64 dev uplink0",
        "addr add 2001:db8:2::1/64 dev uplink1",
        "route add default via 10.1.0.254 dev uplink0",
        "route add 172.16.0.0/16 via 10.2.0.254 table 100",
        "route add default via 10.2.0.254 table 100",
        "route add 10.8.0.0/16 nexthop via 10.1.0.253 weight 2 nexthop via 10.2.0.253",
        "route add 10.7.0.0/16 via 10.9.9.9 dev uplink0 onlink metric 50 proto static",
        "route add 10.5.0.0/16 via inet6 fe80::1 dev uplink0",
        "route add blackhole 10.66.0.0/16",
        "route add unreachable 10.67.0.0/16 table 200",
        "-6 route add default via 2001:db8:1::fe metric 1024",
        "-6 route add 2001:db8:99::/48 nexthop via 2001:db8:1::fd dev uplink0 nexthop via 2001:db8:2::fd dev uplink1",
        "-6 route add 2001:db8:77::/48 via 2001:db8:2::fe table 100",
        "rule add from 10.2.0.0/24 table 100 pref 100",
        "rule add fwmark 0x10/0xff table 200 pref 110",
        "rule add iif br0 table 100 pref 120",
        "rule add not from 10.0.0.0/8 table main pref 130",
        "rule add ipproto tcp dport 443 table 100 pref 140",
        "rule add uidrange 1000-2000 table 200 pref 150",
        "rule add table main suppress_prefixlength 0 pref 160",
        "rule add from 10.99.0.0/16 blackhole pref 170",
        "-6 rule add from 2001:db8:2::/64 table 100 pref 100",
        "neigh add 10.1.0.254 lladdr 02:00:00:00:01:fe dev uplink0 nud permanent",
        "neigh add 10.2.0.254 lladdr 02:00:00:00:02:fe dev uplink1 nud stale",
        "-6 neigh add 2001:db8:1::fe lladdr 02:00:00:00:01:fe dev uplink0 nud permanent",
    ] {
        ns.ip(cmd);
    }
    ns
}

fn live_json(ns: &Netns) -> Value {
    let mut v = parse_json(&run_ok(&mut ns.hostlint(&["show", "--format", "json"])));
    remove_path(&mut v, "host.uptime_seconds");
    v
}

/// The live snapshot once two in a row agree: multicast reports sent when
/// links come up stop after a few seconds.
fn quiet_snapshot(ns: &Netns) -> Value {
    let mut last = live_json(ns);
    for _ in 0..30 {
        sleep(Duration::from_millis(700));
        let now = live_json(ns);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the namespace {} never went quiet", ns.name);
}

fn replay_json(dir: &std::path::Path) -> Value {
    let mut v = parse_json(&run_ok(&mut crate::util::hostlint(&[
        "show",
        "--format",
        "json",
        "--root",
        path_str(dir),
    ])));
    remove_path(&mut v, "host.uptime_seconds");
    v
}

/// What iproute2 says of the namespace, to prove hostlint changed nothing.
/// Bridge timers tick on their own and are left out.
fn ip_state(ns: &Netns) -> Vec<String> {
    let mut out = Vec::new();
    for args in [
        "-d link show",
        "addr show",
        "route show table all",
        "-6 route show table all",
        "rule show",
        "-6 rule show",
        "neigh show nud all",
    ] {
        let mut c = Command::new("ip");
        c.arg("-n").arg(&ns.name).args(args.split_whitespace());
        for line in run_ok(&mut c).lines() {
            let mut words = Vec::new();
            let mut skip_value = false;
            for w in line.split_whitespace() {
                if skip_value {
                    skip_value = false;
                } else if w.ends_with("_timer") {
                    skip_value = true;
                } else {
                    words.push(w);
                }
            }
            out.push(words.join(" "));
        }
    }
    out
}

fn link<'a>(snapshot: &'a Value, name: &str) -> &'a Value {
    snapshot["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["name"] == name))
        .unwrap_or_else(|| panic!("no link {name} in the snapshot"))
}

/// The snapshot really holds what the namespace was built with, so that the
/// equality tests below cannot pass on two empty documents.
fn assert_lab_contents(s: &Value) {
    // This kernel has no bonding module: no bonds, known as none.
    assert_eq!(s["bonds"], serde_json::json!([]));
    let up0 = link(s, "uplink0");
    assert_eq!(up0["kind"], "veth");
    assert_eq!(up0["speed_mbps"], 10000);
    assert_eq!(up0["duplex"], "full");
    assert_eq!(up0["driver"]["driver"], "veth");
    assert_eq!(up0["device"], Value::Null);
    assert_eq!(up0["operstate"], "up");
    let addrs: Vec<&str> = up0["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    assert!(
        addrs.contains(&"10.1.0.9") && addrs.contains(&"2001:db8:1::1"),
        "{addrs:?}"
    );
    assert_eq!(link(s, "uplink1")["mtu"], 9000);
    assert_eq!(link(s, "peer0")["master"], "br0");
    assert_eq!(link(s, "br0")["kind"], "bridge");
    assert_eq!(link(s, "mv0")["kind"], "macvlan");
    assert_eq!(link(s, "vx0")["kind"], "vxlan");
    let down = link(s, "down0");
    assert_eq!(down["admin_up"], false);
    assert_eq!(down["operstate"], "down");

    let v4 = s["routes"]["ipv4"].as_array().unwrap();
    let find = |table: &str, dst: &str| {
        v4.iter()
            .find(|r| r["table"] == table && r["dst"] == dst)
            .unwrap_or_else(|| panic!("no route {dst} in table {table}"))
    };
    assert_eq!(find("main", "0.0.0.0/0")["gateway"], "10.1.0.254");
    assert_eq!(find("100", "172.16.0.0/16")["dev"], "uplink1");
    assert_eq!(
        find("main", "10.8.0.0/16")["nexthops"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(find("main", "10.8.0.0/16")["nexthops"][0]["weight"], 2);
    assert_eq!(find("main", "10.7.0.0/16")["flags"][0], "onlink");
    assert_eq!(find("main", "10.66.0.0/16")["type"], "blackhole");
    assert_eq!(find("200", "10.67.0.0/16")["type"], "unreachable");
    assert_eq!(
        find("main", "10.5.0.0/16")["nexthops"][0]["gateway"],
        "fe80::1"
    );
    let v6 = s["routes"]["ipv6"].as_array().unwrap();
    assert!(v6.iter().any(
        |r| r["dst"] == "2001:db8:99::/48" && r["nexthops"].as_array().map(Vec::len) == Some(2)
    ));
    assert!(
        v6.iter()
            .any(|r| r["dst"] == "2001:db8:77::/48" && r["table"] == "100")
    );

    let rules = s["rules"].as_array().unwrap();
    let rule = |p: u64, fam: u64| {
        rules
            .iter()
            .find(|r| r["priority"] == p && r["family"] == fam)
            .unwrap_or_else(|| panic!("no rule {p}"))
    };
    assert_eq!(rule(100, 4)["src"], "10.2.0.0/24");
    assert_eq!(rule(110, 4)["fwmark"], 16);
    assert_eq!(rule(110, 4)["fwmask"], 255);
    assert_eq!(rule(120, 4)["iif"], "br0");
    assert_eq!(rule(130, 4)["invert"], true);
    assert_eq!(rule(140, 4)["dport"], serde_json::json!([443, 443]));
    assert_eq!(rule(150, 4)["uid_range"], serde_json::json!([1000, 2000]));
    assert_eq!(rule(160, 4)["suppress_prefixlen"], 0);
    assert_eq!(rule(170, 4)["action"], "blackhole");
    assert_eq!(rule(100, 6)["table"], "100");

    let neigh = s["neighbors"].as_array().unwrap();
    assert!(
        neigh
            .iter()
            .any(|n| n["address"] == "10.1.0.254" && n["state"][0] == "PERMANENT")
    );
    assert!(
        neigh
            .iter()
            .any(|n| n["address"] == "10.2.0.254" && n["state"][0] == "STALE")
    );
}

#[test]
fn live_snapshot_equals_the_snapshot_of_its_capture() {
    if !live_ready("live_snapshot_equals_the_snapshot_of_its_capture") {
        return;
    }
    let ns = lab_host();
    let before = ip_state(&ns);
    let live = quiet_snapshot(&ns);
    assert_lab_contents(&live);

    let dir = tempdir();
    let cap = dir.path().join("capture");
    run_ok(&mut ns.hostlint(&["capture", "-o", path_str(&cap), "--label", "live test"]));
    let replay = replay_json(&cap);
    let after = live_json(&ns);

    let diffs = json_diff(&live, &replay);
    let diffs_after = json_diff(&after, &replay);
    assert!(
        diffs.is_empty() || diffs_after.is_empty(),
        "live and replayed snapshots differ:\n{}",
        diffs.join("\n")
    );
    // Nothing hostlint did changed the host.
    let after_state = ip_state(&ns);
    let changed: Vec<_> = before
        .iter()
        .zip(&after_state)
        .filter(|(a, b)| a != b)
        .collect();
    assert!(
        changed.is_empty() && before.len() == after_state.len(),
        "the namespace changed while hostlint read it: {changed:#?}"
    );
    let manifest = parse_json(&fs::read_to_string(cap.join("manifest.json")).unwrap());
    assert_eq!(manifest["label"], "live test");
    assert_eq!(manifest["hostlint_fixture"], 1);
    // Absent where the collector looked, not behind procfs' per-process
    // links (proc/net -> self/net -> <pid>/net): those would replay only
    // by the accident of the links being copied, and name a dead pid.
    let absent = manifest["absent"].as_array().unwrap();
    for path in ["proc/net/bonding", "sys/class/net/bonding_masters"] {
        assert!(absent.iter().any(|a| a == path), "{path} not in {absent:?}");
    }
    assert!(fs::symlink_metadata(cap.join("proc/net")).is_err());
    assert!(fs::symlink_metadata(cap.join("proc/self")).is_err());
}

/// Runs `ethtool` in the namespace; its errors go to stderr, which a
/// fixture keeps too (`ethtool -i lo` only complains).
fn ethtool(ns: &Netns, args: &[&str]) -> String {
    let out = ns.exec("ethtool", args).output().expect("ethtool runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

/// Fields iproute2 6.1 and ethtool do not print, which a fixture made with
/// them therefore lacks. Anything else that differs is a disagreement.
fn not_printed_by_standard_tools(path: &str, std_value: &str) -> bool {
    std_value.contains("\"not_captured\"")
        && (path.ends_with(".carrier_up_count") || path.ends_with(".carrier_down_count")
            // `ip` prints no carrier for a link that is administratively down.
            || path.ends_with(".carrier"))
}

#[test]
fn live_snapshot_agrees_with_iproute2_and_ethtool() {
    let test = "live_snapshot_agrees_with_iproute2_and_ethtool";
    if !live_ready(test) {
        return;
    }
    if Command::new("ethtool").arg("--version").output().is_err() {
        if std::env::var_os("HOSTLINT_REQUIRE_LIVE").is_some_and(|v| v == "1") {
            panic!("{test}: ethtool is not installed");
        }
        crate::util::skipped(test, "ethtool is not installed");
        return;
    }
    let ns = lab_host();
    let live = quiet_snapshot(&ns);

    // A fixture made with the standard tools: the sysfs and procfs copies
    // of a capture, and every netlink and ioctl fact from ip and ethtool.
    let dir = tempdir();
    let cap = dir.path().join("capture");
    run_ok(&mut ns.hostlint(&["capture", "-o", path_str(&cap)]));
    fs::remove_dir_all(cap.join("cmd")).unwrap();
    let cmd = cap.join("cmd");
    fs::create_dir_all(cmd.join("ethtool")).unwrap();
    fs::create_dir_all(cmd.join("ethtool-i")).unwrap();
    for (file, args) in [
        ("ip-link.json", "-j -d -s -s link show"),
        ("ip-addr.json", "-j addr show"),
        ("ip-route-4.json", "-j -4 route show table all"),
        ("ip-route-6.json", "-j -6 route show table all"),
        ("ip-rule-4.json", "-j -4 rule show"),
        ("ip-rule-6.json", "-j -6 rule show"),
        ("ip-neigh.json", "-j neigh show nud all"),
    ] {
        let args: Vec<&str> = args.split_whitespace().collect();
        fs::write(cmd.join(file), run_ok(&mut ns.exec("ip", &args))).unwrap();
    }
    for l in live["links"].as_array().unwrap() {
        let name = l["name"].as_str().unwrap();
        fs::write(cmd.join("ethtool").join(name), ethtool(&ns, &[name])).unwrap();
        fs::write(
            cmd.join("ethtool-i").join(name),
            ethtool(&ns, &["-i", name]),
        )
        .unwrap();
    }
    let standard = replay_json(&cap);
    assert_lab_contents(&standard);

    let mut unexplained = Vec::new();
    let mut not_printed = 0;
    for d in json_diff(&live, &standard) {
        let (path, values) = d.split_once(": ").unwrap();
        let std_value = values.rsplit_once(" / ").map_or("", |(_, s)| s);
        if not_printed_by_standard_tools(path, std_value) {
            not_printed += 1;
        } else {
            unexplained.push(d);
        }
    }
    assert!(
        unexplained.is_empty(),
        "hostlint and iproute2/ethtool disagree:\n{}",
        unexplained.join("\n")
    );
    // Two counters for each link iproute2 6.1 does not print, and the
    // carrier of the admin-down link; no more.
    let links = live["links"].as_array().unwrap().len();
    assert!(
        not_printed <= 2 * links + 1,
        "{not_printed} fields not compared"
    );
}

/// A link whose name is not UTF-8 (the kernel takes any bytes but `/`, `:`
/// and white space): that link's facts read by name are unknown, and so is
/// any finding about it; every other link reads as usual, live and in the
/// capture.
#[test]
fn a_link_named_in_bytes_that_are_not_utf8_is_unknown_and_the_others_read() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    if !live_ready("a_link_named_in_bytes_that_are_not_utf8_is_unknown_and_the_others_read") {
        return;
    }
    let ns = Netns::new("badname");
    ns.sysctl(QUIET);
    run_ok(
        Command::new("ip")
            .args(["-n", &ns.name, "link", "add", "name"])
            .arg(OsStr::from_bytes(b"hl\xffx"))
            .args(["type", "veth", "peer", "name", "okpeer"]),
    );
    ns.ip("link add okv0 type veth peer name okv1");
    for l in ["okpeer", "okv0", "okv1"] {
        ns.ip(&format!("link set {l} up"));
    }
    let check = |snap: &Value, what: &str| {
        let links = snap["links"].as_array().unwrap();
        let bad = links
            .iter()
            .find(|l| l["name"] == "hl\u{fffd}x")
            .unwrap_or_else(|| panic!("{what}: no link named hl\\u{{fffd}}x: {snap:#}"));
        assert_eq!(bad["speed_mbps"]["unknown"], "malformed", "{what}: {bad:#}");
        assert_eq!(bad["driver"]["unknown"], "malformed", "{what}");
        assert!(
            bad["mtu"].is_u64(),
            "{what}: rtnetlink's facts by index stay: {bad:#}"
        );
        for good in ["okpeer", "okv0", "okv1"] {
            let l = links.iter().find(|l| l["name"] == good).unwrap();
            assert_eq!(l["driver"]["driver"], "veth", "{what}: {l:#}");
            assert!(l["speed_mbps"].is_u64(), "{what}: {l:#}");
        }
    };
    let live = parse_json(&run_ok(
        &mut ns.hostlint(&["show", "links", "--format", "json"]),
    ));
    check(&live, "live");

    let dir = tempdir();
    let cap = dir.path().join("capture");
    run_ok(&mut ns.hostlint(&["capture", "-o", path_str(&cap)]));
    let replay = parse_json(&run_ok(&mut ns.hostlint(&[
        "show",
        "links",
        "--root",
        path_str(&cap),
        "--format",
        "json",
    ])));
    check(&replay, "capture");

    let policy = dir.path().join("veth.yaml");
    fs::write(
        &policy,
        "policy: veth\nchecks:\n  - id: veth-up\n    link: { select: { kind: veth }, expect: { mtu: 1500 } }\n",
    )
    .unwrap();
    let out = ns
        .hostlint(&["audit", "-p", path_str(&policy), "--format", "json"])
        .output()
        .unwrap();
    let audit = parse_json(&String::from_utf8(out.stdout).unwrap());
    let findings = audit["findings"].as_array().unwrap();
    let status = |subject: &str| {
        findings
            .iter()
            .find(|f| f["subject"] == subject)
            .map(|f| f["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        status("hl\u{fffd}x").as_deref(),
        Some("UNKNOWN"),
        "{audit:#}"
    );
    for good in ["okpeer", "okv0", "okv1"] {
        assert_eq!(status(good).as_deref(), Some("PASS"), "{audit:#}");
    }
}
