//! `hostlint audit`, `policy check`, `rules` and `explain` from the command
//! line: exit codes, errors that point at the mistake, and a live route
//! policy that passes, then fails when the default route moves.

use std::fs;

use crate::util::{Netns, hostlint, live_ready, parse_json, path_str, run_expect, run_ok, tempdir};

const QUIET: &[&str] = &[
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.router_solicitations=0",
    "net.ipv6.conf.default.router_solicitations=0",
];

const ROUTE_POLICY: &str = r#"policy: uplink-routes
checks:
  - id: default-via-uplink0
    description: Client traffic leaves by uplink0, at 10G, through a gateway that answers.
    route:
      to: [203.0.113.7, 0.0.0.0/0]
      egress: { name: uplink0, speed: { min: 10G } }
      gateway_reachable: true
  - id: replies-from-uplink1
    description: Traffic from uplink1's address goes back out of uplink1 (policy rule).
    route:
      to: 198.51.100.9
      from: 10.2.0.1
      egress: { name: uplink1 }
"#;

#[test]
fn live_route_policy_passes_then_names_the_wrong_interface() {
    if !live_ready("live_route_policy_passes_then_names_the_wrong_interface") {
        return;
    }
    let ns = Netns::new("route");
    ns.sysctl(QUIET);
    for cmd in [
        "link set lo up",
        "link add uplink0 type veth peer name peer0",
        "link add uplink1 type veth peer name peer1",
        "link add mv0 link uplink1 type macvlan mode bridge",
        "link set uplink0 up",
        "link set uplink1 up",
        "link set peer0 up",
        "link set peer1 up",
        "link set mv0 up",
        "addr add 10.1.0.1/24 dev uplink0",
        "addr add 10.2.0.1/24 dev uplink1",
        "addr add 10.3.0.1/24 dev mv0",
        "route add default via 10.1.0.254 dev uplink0",
        "route add default via 10.2.0.254 dev uplink1 table 100",
        "rule add from 10.2.0.0/24 table 100 pref 100",
        "neigh add 10.1.0.254 lladdr 02:00:00:00:01:fe dev uplink0 nud permanent",
        "neigh add 10.3.0.254 lladdr 02:00:00:00:03:fe dev mv0 nud permanent",
    ] {
        ns.ip(cmd);
    }
    let dir = tempdir();
    let policy = dir.path().join("routes.yaml");
    fs::write(&policy, ROUTE_POLICY).unwrap();
    let audit = |code: i32| {
        let out = run_expect(
            &mut ns.hostlint(&["audit", "-p", path_str(&policy), "--format", "json"]),
            code,
        );
        parse_json(&String::from_utf8(out.stdout).unwrap())
    };

    let good = audit(0);
    let findings = good["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{good:#}");
    assert!(findings.iter().all(|f| f["status"] == "PASS"), "{good:#}");
    let by_kernel = findings
        .iter()
        .find(|f| f["subject"] == "203.0.113.7")
        .unwrap();
    assert!(
        by_kernel["evidence"][0]
            .as_str()
            .unwrap()
            .contains("RTM_GETROUTE"),
        "an address is asked of the kernel: {by_kernel:#}"
    );

    // The default route moves to the macvlan: the audit must fail and say
    // where the traffic goes now.
    ns.ip("route replace default via 10.3.0.254 dev mv0");
    let bad = audit(2);
    let failing: Vec<&serde_json::Value> = bad["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .collect();
    assert_eq!(failing.len(), 2, "{bad:#}");
    for f in &failing {
        assert_eq!(f["check"], "default-via-uplink0");
        let observed = f["observed"].as_str().unwrap();
        assert!(observed.contains("egress mv0"), "{observed}");
    }
    let rule = bad["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "replies-from-uplink1")
        .unwrap();
    assert_eq!(
        rule["status"], "PASS",
        "the policy rule still sends it by uplink1: {rule:#}"
    );
    // And the kernel's answer names the table the rule chose.
    let observed = rule["observed"].as_str().unwrap();
    assert!(observed.contains("table 100"), "{observed}");

    let nagios = run_expect(
        &mut ns.hostlint(&["audit", "-p", path_str(&policy), "--format", "nagios"]),
        2,
    );
    let first = String::from_utf8(nagios.stdout).unwrap();
    assert!(first.starts_with("HOSTLINT CRITICAL - "), "{first}");
}

#[test]
fn policy_mistakes_exit_unknown_and_point_at_the_line() {
    let dir = tempdir();
    let p = dir.path().join("bad.yaml");
    fs::write(
        &p,
        "policy: bad\nchecks:\n  - id: a\n    link:\n      select: {name: eth0}\n      expect: {sped: 10G, duplex: yes}\n",
    )
    .unwrap();
    let out = run_expect(&mut hostlint(&["policy", "check", path_str(&p)]), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "bad.yaml:6:16: unknown key `sped` in a link expectation: did you mean `speed`?"
        ),
        "{err}"
    );
    // A wrong type is an error too, and an audit with a broken policy
    // does not run: it reports UNKNOWN in the format asked for.
    let out = run_expect(
        &mut hostlint(&[
            "audit",
            "-p",
            path_str(&p),
            "--root",
            path_str(&crate::util::fixture("lb-healthy")),
            "--format",
            "nagios",
        ]),
        3,
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HOSTLINT UNKNOWN"));
}

#[test]
fn a_typo_in_a_selector_is_never_green() {
    let dir = tempdir();
    let p = dir.path().join("typo.yaml");
    fs::write(
        &p,
        "policy: typo\nchecks:\n  - id: uplink-up\n    link: {select: {name: enp65s0f9}, expect: {operstate: up}}\n",
    )
    .unwrap();
    let fixture = crate::util::fixture("lb-healthy");
    let out = run_expect(
        &mut hostlint(&[
            "audit",
            "-p",
            path_str(&p),
            "--root",
            path_str(&fixture),
            "--format",
            "json",
        ]),
        2,
    );
    let doc = parse_json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(doc["findings"][0]["observed"], "no link matched");
    // Unless the check allows it.
    fs::write(
        &p,
        "policy: typo\nchecks:\n  - id: uplink-up\n    allow_empty: true\n    link: {select: {name: enp65s0f9}, expect: {operstate: up}}\n",
    )
    .unwrap();
    run_expect(
        &mut hostlint(&["audit", "-p", path_str(&p), "--root", path_str(&fixture)]),
        0,
    );
}

#[test]
fn rules_and_explain_read_the_registry() {
    let rules = run_ok(&mut hostlint(&["rules"]));
    for kind in ["link", "route", "kernel"] {
        assert!(rules.contains(kind), "{rules}");
    }
    let route = run_ok(&mut hostlint(&["explain", "route"]));
    assert!(
        route.contains("What it does")
            && route.contains("egress.onboard")
            && route.contains("- id: egress-via-10g"),
        "{route}"
    );
    let out = run_expect(&mut hostlint(&["explain", "rute"]), 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `route`?"));
}
