//! The audit reports: golden output of every format on hand-built audits
//! (all passing, a mix across two policies, no findings, values that need
//! escaping), each format checked against its own grammar (the Prometheus
//! exposition format, the Nagios plugin format, JUnit counts and its XML
//! schema), and the atomic file writer.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::process::Command;

use hostlint::finding::{
    Agent, Applies, Audit, Cause, EventSummary, Finding, PolicyRef, Refusal, Run, Severity, Span,
    Status, Verdict,
};
use hostlint::report::audit_table::{self, Passes};
use hostlint::report::output::{AtomicFile, write_atomic};
use hostlint::report::table::Style;
use hostlint::report::{Counts, audit_json, junit, nagios, prometheus};

use crate::util::{fixture, hostlint, parse_json, path_str, repo, tempdir, tool_ready};

#[allow(clippy::too_many_arguments)]
fn finding(
    policy: &str,
    check: &str,
    kind: &'static str,
    severity: Severity,
    status: Status,
    subject: &str,
    expected: &str,
    observed: &str,
    evidence: &[&str],
    remediation: &str,
) -> Finding {
    Finding {
        check: check.into(),
        kind,
        severity,
        status,
        subject: subject.into(),
        expected: expected.into(),
        observed: observed.into(),
        evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
        failing: if status == Status::Pass {
            vec![]
        } else {
            vec![Span::whole(observed)]
        },
        remediation: remediation.into(),
        policy: policy.into(),
    }
}

const LB: &str = "policies/lb.yaml";
const STORAGE: &str = "policies/storage.yaml";

/// A policy of the audit, by its file and name.
fn policy(file: &str, name: &str, applies: Applies) -> PolicyRef {
    PolicyRef {
        file: file.into(),
        name: Some(name.into()),
        applies: Some(applies),
    }
}

fn all_pass() -> Audit {
    use Severity::*;
    use Status::*;
    Audit {
        host: "lb-01".into(),
        source: "live".into(),
        policies: vec![policy(LB, "lb", Applies::Yes)],
        findings: vec![
            finding(
                LB,
                "uplinks-at-capability",
                "link",
                Warning,
                Pass,
                "ens1f0",
                "speed 10G (best common mode)",
                "10G full duplex",
                &["ethtool netlink LINKMODES_GET ens1f0"],
                "",
            ),
            finding(
                LB,
                "uplinks-at-capability",
                "link",
                Warning,
                Pass,
                "ens1f1",
                "speed 10G (best common mode)",
                "10G full duplex",
                &["ethtool netlink LINKMODES_GET ens1f1"],
                "",
            ),
            finding(
                LB,
                "egress-via-10g",
                "route",
                Critical,
                Pass,
                "0.0.0.0/0",
                "egress on a 10G slot NIC",
                "bond0 over ens1f0, ens1f1 (10G, slot)",
                &["RTM_GETROUTE 0.0.0.0"],
                "",
            ),
        ],
        notes: vec![],
        run: Run::default(),
        refused: None,
    }
}

fn mixed() -> Audit {
    use Severity::*;
    use Status::*;
    Audit {
        host: "lb-02".into(),
        source: "fixtures/lb-degraded".into(),
        policies: vec![
            policy(LB, "lb", Applies::Yes),
            policy(STORAGE, "storage", Applies::Yes),
        ],
        findings: vec![
            finding(
                LB,
                "egress-via-10g",
                "route",
                Critical,
                Fail,
                "0.0.0.0/0",
                "egress on a 10G slot NIC",
                "eno1 (1G, onboard)",
                &[
                    "RTM_GETROUTE 0.0.0.0: dev eno1 via 198.51.100.1",
                    "sys/class/net/eno1/device/acpi_index",
                ],
                "Route client traffic through bond0: check the default route's metric and the cabling of ens1f0/ens1f1.",
            ),
            finding(
                LB,
                "uplinks-at-capability",
                "link",
                Warning,
                Warn,
                "ens1f1",
                "carrier changes: at most 2 more",
                "14 more since the last run",
                &["RTM_NEWLINK ens1f1 IFLA_CARRIER_CHANGES"],
                "Reseat or replace the cable or optic of ens1f1.",
            ),
            finding(
                LB,
                "uplinks-at-capability",
                "link",
                Warning,
                Pass,
                "ens1f0",
                "carrier changes: at most 2 more",
                "0 more since the last run",
                &["RTM_NEWLINK ens1f0 IFLA_CARRIER_CHANGES"],
                "",
            ),
            finding(
                LB,
                "bond0-healthy",
                "bond",
                Critical,
                Unknown,
                "bond0",
                "mode 802.3ad, 2 members up",
                "not read: permission denied (sys/class/net/bond0/bonding/mode)",
                &["sys/class/net/bond0/bonding/mode"],
                "Run hostlint as root, or grant read access to the bonding files.",
            ),
            finding(
                STORAGE,
                "luns-redundant",
                "multipath",
                Critical,
                Fail,
                "mpathb",
                "active paths >= 2, failed paths 0",
                "1 active, 1 failed (sdc faulty)",
                &["dmsetup status mpathb", "sys/block/sdc/device/state"],
                "Check the SAS cable of the path through sdc.",
            ),
            finding(
                STORAGE,
                "luns-redundant",
                "multipath",
                Critical,
                Pass,
                "mpatha",
                "active paths >= 2, failed paths 0",
                "2 active, 0 failed",
                &["dmsetup status mpatha"],
                "",
            ),
        ],
        notes: vec!["fc: sys/class/fc_host could not be read: permission denied".into()],
        run: Run::default(),
        refused: None,
    }
}

fn empty() -> Audit {
    Audit {
        host: "db-07".into(),
        source: "live".into(),
        policies: vec![policy("policies/db.yaml", "db", Applies::No)],
        findings: vec![],
        notes: vec![],
        run: Run::default(),
        refused: None,
    }
}

/// Everything a host or a policy author could put in a string that a
/// format must escape.
fn escaping() -> Audit {
    use Severity::*;
    use Status::*;
    let weird = "odd<&\"check\">|'";
    Audit {
        host: "héte-<1>".into(),
        source: "fixtures/\"quoted\" & <odd>".into(),
        policies: vec![policy(
            "policies/ünïcode & <more>.yaml",
            "ünïcode <&>",
            Applies::Yes,
        )],
        findings: vec![
            finding(
                "policies/ünïcode & <more>.yaml",
                weird,
                "link",
                Critical,
                Fail,
                "eth<0>&\"x\"\nline2\u{1b}[31mred\u{7}|pipe",
                "speed \"10G\" & <up>",
                "1G\tcarrier\r\nflapping \\ back\\slash",
                &[
                    "sys/class/net/café日本/speed",
                    "]]> & <tag attr=\"v\"> \u{0}nul \u{1f}us \u{7f}del \u{9b}csi",
                ],
                "Replace the cable\u{1b}]0;title\u{7} of café → switch «A»",
            ),
            finding(
                "policies/ünïcode & <more>.yaml",
                weird,
                "link",
                Warning,
                Warn,
                "bond|0 'x'",
                "",
                "",
                &[],
                "",
            ),
            finding(
                "policies/ünïcode & <more>.yaml",
                "path\\check",
                "file",
                Warning,
                Unknown,
                "C:\\odd\\path \"q\"",
                "age < 1h",
                "unreadable: \u{1b}[2J",
                &[],
                "",
            ),
            finding(
                "policies/ünïcode & <more>.yaml",
                "path\\check",
                "file",
                Warning,
                Pass,
                "日本語",
                "age < 1h",
                "5m",
                &[],
                "",
            ),
        ],
        notes: vec!["a note with <markup> & \"quotes\"\nand a second line\u{1b}".into()],
        run: Run::default(),
        refused: None,
    }
}

/// `mixed` without its failures: the unknown finding decides.
fn mixed_unknown() -> Audit {
    let mut a = mixed();
    a.findings
        .retain(|f| matches!(f.status, Status::Pass | Status::Unknown));
    a
}

/// A run that audited nothing: the policy is invalid.
fn invalid_policy() -> Audit {
    Audit {
        host: "(not read)".into(),
        source: "live".into(),
        policies: vec![PolicyRef {
            file: LB.into(),
            name: None,
            applies: None,
        }],
        findings: vec![],
        notes: vec!["invalid policy: policies/lb.yaml:4:40: unknown key `sped` in a link expectation: did you mean `speed`?".into()],
        run: Run {
            finished_unix: 1_764_000_000.0,
            duration_seconds: 0.002,
            deadline_seconds: Some(20.0),
            deadline_exceeded: false,
            agent: None,
        },
        refused: Some(Refusal {
            cause: Cause::InvalidPolicy,
            detail: "policies/lb.yaml:4:40: unknown key `sped` in a link expectation: did you mean `speed`?".into(),
        }),
    }
}

/// Every finding passed, but the deadline abandoned a read.
fn deadline() -> Audit {
    let mut a = all_pass();
    a.run.deadline_exceeded = true;
    a.notes = vec![
        "the deadline abandoned 1 read(s): sys/class/net/ens1f0/device/current_link_width".into(),
    ];
    a
}

fn audits() -> Vec<(&'static str, Audit)> {
    vec![
        ("all_pass", all_pass()),
        ("mixed", mixed()),
        ("empty", empty()),
        ("escaping", escaping()),
        ("invalid_policy", invalid_policy()),
        ("deadline", deadline()),
    ]
}

fn plain() -> Style {
    Style {
        color: false,
        width: 120,
    }
}

// ---------------------------------------------------------------- golden

#[test]
fn golden_audit_table() {
    for (name, audit) in audits() {
        let out = audit_table::render(&audit, &plain(), Passes::Count);
        insta::assert_snapshot!(format!("audit_table_{name}"), out);
        let all = audit_table::render(&audit, &plain(), Passes::Show);
        insta::assert_snapshot!(format!("audit_table_all_{name}"), all);
    }
}

#[test]
fn golden_audit_json() {
    for (name, audit) in audits() {
        insta::assert_snapshot!(format!("audit_json_{name}"), audit_json::render(&audit));
    }
}

#[test]
fn golden_junit() {
    for (name, audit) in audits() {
        insta::assert_snapshot!(format!("junit_{name}"), junit::render(&audit));
    }
}

#[test]
fn golden_nagios() {
    for (name, audit) in audits() {
        insta::assert_snapshot!(format!("nagios_{name}"), nagios::render(&audit));
    }
}

#[test]
fn golden_prometheus() {
    for (name, audit) in audits() {
        let out = prometheus::render(&audit, prometheus::MAX_SUBJECT_SERIES);
        insta::assert_snapshot!(format!("prometheus_{name}"), out);
    }
}

/// `mixed` as `hostlint watch` reports it: the audit a route change led
/// to, with the agent's counters.
fn agent() -> Audit {
    let mut audit = mixed();
    let zeros = |names: &[&'static str]| -> BTreeMap<&'static str, u64> {
        names.iter().map(|n| (*n, 0)).collect()
    };
    let mut events = zeros(&[
        "link",
        "address",
        "route",
        "rule",
        "neighbour",
        "ethtool",
        "block",
        "dm",
        "scsi",
        "nvme",
        "net",
        "infiniband",
        "replay",
    ]);
    events.insert("link", 20_004);
    events.insert("route", 2);
    let mut audits = zeros(&["start", "event", "overrun", "interval", "reload", "replay"]);
    audits.insert("start", 1);
    audits.insert("event", 5);
    audits.insert("overrun", 1);
    let mut overruns = zeros(&["rtnetlink", "ethtool", "uevent"]);
    overruns.insert("rtnetlink", 1);
    audit.run.agent = Some(Agent {
        started_unix: 1_796_000_000.25,
        audit: 7,
        reason: "event",
        answered: EventSummary {
            total: 2,
            counts: [("route", 2)].into_iter().collect(),
            first: Some("0.0.0.0/0 table main removed".into()),
            last: vec![
                "0.0.0.0/0 table main removed".into(),
                "0.0.0.0/0 table main added".into(),
            ],
            overrun: false,
            first_unix: Some(1_796_000_100.5),
        },
        events,
        routine_events: 31,
        audits,
        coalesced_bursts: 3,
        overruns,
        transitions: 12,
        reloads: 1,
        failed_reloads: 1,
        reload_error: Some("1 error(s) in the policies; the first: lb.yaml:3:1: \"x\"".into()),
        subscribed: [("rtnetlink", true), ("ethtool", false), ("uevent", true)]
            .into_iter()
            .collect(),
    });
    audit
}

#[test]
fn golden_agent_report() {
    let audit = agent();
    insta::assert_snapshot!(
        "prometheus_agent",
        prometheus::render(&audit, prometheus::MAX_SUBJECT_SERIES)
    );
    insta::assert_snapshot!("audit_json_agent", audit_json::render(&audit));
}

#[test]
fn the_agent_families_follow_the_exposition_format_and_others_ignore_them() {
    let audit = agent();
    let samples = parse_exposition(&prometheus::render(&audit, 500));
    for (name, labels, value) in [
        (
            "hostlint_agent_audits_total",
            vec![("reason", "event")],
            5.0,
        ),
        (
            "hostlint_agent_audits_total",
            vec![("reason", "interval")],
            0.0,
        ),
        (
            "hostlint_agent_events_total",
            vec![("kind", "link")],
            20_004.0,
        ),
        ("hostlint_agent_events_total", vec![("kind", "dm")], 0.0),
        ("hostlint_agent_coalesced_bursts_total", vec![], 3.0),
        (
            "hostlint_agent_overruns_total",
            vec![("subscription", "rtnetlink")],
            1.0,
        ),
        (
            "hostlint_agent_reloads_total",
            vec![("result", "failed")],
            1.0,
        ),
        ("hostlint_agent_reload_failed", vec![], 1.0),
        (
            "hostlint_agent_subscribed",
            vec![("subscription", "ethtool")],
            0.0,
        ),
        ("hostlint_agent_last_audit_events", vec![], 2.0),
        ("hostlint_agent_last_audit_overrun", vec![], 0.0),
    ] {
        assert_eq!(
            sample(&samples, name, &labels),
            Some(value),
            "{name} {labels:?}"
        );
    }
    // Everything of the audit itself is as without the agent.
    let plain = parse_exposition(&prometheus::render(&mixed(), 500));
    for (series, v) in &plain {
        if series.0 != "hostlint_last_run_timestamp_seconds" {
            assert_eq!(samples.get(series), Some(v), "{series:?}");
        }
    }
    let doc = parse_json(&audit_json::render(&audit));
    assert_eq!(doc["run"]["agent"]["answered"]["counts"]["route"], 2);
    assert!(
        parse_json(&audit_json::render(&mixed()))["run"]
            .get("agent")
            .is_none()
    );
    assert_eq!(nagios::render(&audit), nagios::render(&mixed()));
    assert_eq!(junit::render(&audit), junit::render(&mixed()));
}

// ---------------------------------------------------------------- table

#[test]
fn audit_table_puts_failures_first_and_colours_only_when_asked() {
    let audit = mixed();
    let out = audit_table::render(&audit, &plain(), Passes::Count);
    assert!(!out.contains('\u{1b}'), "{out}");
    let fail = out.find("FAIL").expect("a FAIL row");
    let warn = out.find("WARN").expect("a WARN row");
    let unknown = out.find("UNKNOWN").expect("an UNKNOWN row");
    assert!(fail < warn && warn < unknown, "{out}");
    assert!(
        !out.contains("\nPASS "),
        "passes are counted, not listed:\n{out}"
    );
    assert!(out.contains("2 passing findings not shown"), "{out}");
    assert!(
        out.contains("Reseat or replace the"),
        "the remediation is visible:\n{out}"
    );
    assert!(
        out.trim_end().ends_with(
            "2 FAIL, 1 WARN, 1 UNKNOWN, 2 PASS of 6 findings in 4 checks: CRITICAL (exit 2)"
        ),
        "{out}"
    );

    let shown = audit_table::render(&audit, &plain(), Passes::Show);
    assert!(shown.contains("\nPASS "), "{shown}");
    assert!(!shown.contains("not shown"), "{shown}");

    let coloured = audit_table::render(
        &audit,
        &Style {
            color: true,
            width: 120,
        },
        Passes::Count,
    );
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    assert!(
        coloured.contains("\u{1b}[1;31mCRITICAL\u{1b}[0m"),
        "{coloured}"
    );
}

#[test]
fn audit_table_never_prints_a_control_character_from_the_host() {
    let wide = Style {
        color: false,
        width: 400,
    };
    let out = audit_table::render(&escaping(), &wide, Passes::Show);
    for c in out.chars() {
        assert!(
            !c.is_control() || c == '\n',
            "{c:?} reached the terminal:\n{out}"
        );
    }
    assert!(out.contains("\\u{1b}[31mred\\u{7}"), "{out}");
}

// ---------------------------------------------------------------- JSON

#[test]
fn audit_json_is_versioned_complete_and_ordered() {
    for (name, audit) in audits() {
        let text = audit_json::render(&audit);
        let doc = parse_json(&text);
        assert_eq!(doc["schema"], "hostlint.audit/2", "{name}");
        let verdict = audit.verdict();
        assert_eq!(doc["verdict"], verdict.as_str(), "{name}");
        assert_eq!(doc["exit_code"], verdict.code(), "{name}");
        assert_eq!(doc["cause"], audit.cause().as_str(), "{name}");
        assert_eq!(doc["summary"], audit.summary(), "{name}");
        let c = Counts::of(&audit.findings);
        for (k, v) in [
            ("pass", c.pass),
            ("warn", c.warn),
            ("fail", c.fail),
            ("unknown", c.unknown),
        ] {
            assert_eq!(doc["counts"][k], v, "{name} {k}");
        }
        let findings = doc["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), audit.findings.len(), "{name}");
        for (j, f) in findings.iter().zip(&audit.findings) {
            assert_eq!(j["subject"], f.subject.as_str(), "values are kept as read");
            assert_eq!(j["status"], f.status.as_str());
            assert_eq!(
                j["evidence"].as_array().map(Vec::len),
                Some(f.evidence.len())
            );
        }
        // Top-level keys in their declared order (serde_json's Value sorts
        // keys, so read the order off the text).
        let keys = [
            "schema",
            "host",
            "source",
            "policies",
            "verdict",
            "exit_code",
            "cause",
            "summary",
            "counts",
            "checks",
            "findings",
            "notes",
        ];
        let at: Vec<usize> = keys
            .iter()
            .map(|k| {
                text.find(&format!("\n  \"{k}\":"))
                    .unwrap_or_else(|| panic!("{name}: no {k}"))
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{name}: {keys:?} out of order"
        );
    }
}

// ---------------------------------------------------------------- JUnit

/// The value of `name="..."` in a start tag (undecoded).
fn xml_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Every start tag of an element (up to its `>`). Text and attribute values
/// escape `<` and `>`, so a raw `<name` is always a tag.
fn start_tags<'a>(xml: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element} ");
    let mut tags = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let tail = &rest[i..];
        let end = tail.find('>').expect("a closed tag");
        tags.push(&tail[..=end]);
        rest = &tail[end..];
    }
    tags
}

fn count_attr(tag: &str, name: &str) -> usize {
    xml_attr(tag, name)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        .parse()
        .unwrap_or_else(|e| panic!("{name} in {tag}: {e}"))
}

#[test]
fn junit_counts_match_the_findings() {
    for (name, audit) in audits() {
        let xml = junit::render(&audit);
        let c = Counts::of(&audit.findings);
        // A verdict the run itself decided is one errored testcase.
        let none =
            usize::from(audit.verdict() == Verdict::Unknown && audit.cause() != Cause::FactUnknown);
        let root = start_tags(&xml, "testsuites");
        assert_eq!(root.len(), 1, "{name}");
        assert_eq!(count_attr(root[0], "tests"), c.total() + none, "{name}");
        assert_eq!(count_attr(root[0], "failures"), c.fail + c.warn, "{name}");
        assert_eq!(count_attr(root[0], "errors"), c.unknown + none, "{name}");

        // Each suite's counts agree with its own testcases.
        let mut sums = [0usize; 3];
        for chunk in xml.split("<testsuite ").skip(1) {
            let suite = chunk.split("</testsuite>").next().expect("a suite");
            let tag = &suite[..suite.find('>').expect("a start tag")];
            let tests = start_tags(suite, "testcase").len();
            let failures = start_tags(suite, "failure").len();
            let errors = start_tags(suite, "error").len();
            assert_eq!(count_attr(tag, "tests"), tests, "{name}: {tag}");
            assert_eq!(count_attr(tag, "failures"), failures, "{name}: {tag}");
            assert_eq!(count_attr(tag, "errors"), errors, "{name}: {tag}");
            assert_eq!(count_attr(tag, "skipped"), 0, "{name}: {tag}");
            sums[0] += tests;
            sums[1] += failures;
            sums[2] += errors;
        }
        assert_eq!(
            sums,
            [c.total() + none, c.fail + c.warn, c.unknown + none],
            "{name}"
        );

        // One suite per policy, in the audit's order.
        let suites: Vec<&str> = start_tags(&xml, "testsuite")
            .into_iter()
            .filter_map(|t| xml_attr(t, "name"))
            .collect();
        let policies: Vec<String> = audit
            .policies
            .iter()
            .map(|p| junit_escaped(&p.file))
            .collect();
        assert_eq!(&suites[..policies.len()], policies.as_slice(), "{name}");

        // Testcases: classname is the check, name the subject.
        let cases = start_tags(&xml, "testcase");
        for f in &audit.findings {
            assert!(
                cases.iter().any(|t| xml_attr(t, "classname")
                    == Some(junit_escaped(&f.check).as_str())
                    && xml_attr(t, "name").is_some()),
                "{name}: no testcase for {}",
                f.check
            );
        }
    }
}

/// The attribute form of a plain value (no control characters), to find
/// it in the document.
fn junit_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn junit_reports_unknown_as_an_error_and_an_empty_audit_is_not_green() {
    let xml = junit::render(&mixed());
    assert!(xml.contains("<error type=\"UNKNOWN\""), "{xml}");
    assert!(!xml.contains("<skipped"), "{xml}");
    assert!(xml.contains("<failure type=\"WARN\""), "{xml}");

    let xml = junit::render(&empty());
    let root = start_tags(&xml, "testsuites")[0];
    assert_eq!(count_attr(root, "errors"), 1, "{xml}");
    assert!(xml.contains("no policy applies to this host"), "{xml}");
}

#[test]
fn junit_validates_against_the_jenkins_schema() {
    let test = "junit_validates_against_the_jenkins_schema";
    if !tool_ready(test, "xmllint", "libxml2-utils") {
        return;
    }
    let schema = repo().join("tests/data/junit/junit-10.xsd");
    let dir = tempdir();
    let mut many = mixed();
    for i in 0..50 {
        let mut f = many.findings[0].clone();
        f.subject = format!("192.0.2.{i}/32");
        many.findings.push(f);
    }
    let mut cases = audits();
    cases.push(("many", many));
    for (name, audit) in cases {
        let file = dir.path().join(format!("{name}.xml"));
        fs::write(&file, junit::render(&audit)).expect("write the report");
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(&file)
            .output()
            .expect("run xmllint");
        assert!(
            out.status.success(),
            "{name}: xmllint rejects the report:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            junit::render(&audit)
        );
    }

    // What a reader decodes is the subject, control characters made
    // visible: the escaping round-trips.
    let file = dir.path().join("escaping.xml");
    let out = Command::new("xmllint")
        .arg("--xpath")
        .arg("string(//testcase[1]/@name)")
        .arg(&file)
        .output()
        .expect("run xmllint");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // xmllint ends what it prints with a line feed of its own.
    let decoded = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        decoded.strip_suffix('\n').unwrap_or(&decoded),
        "eth<0>&\"x\"\nline2\\u{1b}[31mred\\u{7}|pipe"
    );
}

// ---------------------------------------------------------------- Nagios

/// A perfdata value or threshold: a number, or a Nagios range
/// (`[@][start:][end]`, `~` for minus infinity).
fn perf_number(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

fn perf_threshold(s: &str) -> bool {
    let s = s.strip_prefix('@').unwrap_or(s);
    match s.split_once(':') {
        None => s.is_empty() || perf_number(s),
        Some((a, b)) => {
            (a == "~" || a.is_empty() || perf_number(a)) && (b.is_empty() || perf_number(b))
        }
    }
}

/// Checks one `'label'=value[UOM];[warn];[crit];[min];[max]` item and
/// returns its label and value.
fn perf_item(item: &str) -> (String, f64) {
    let (label, rest) = if let Some(q) = item.strip_prefix('\'') {
        let end = q
            .find("'=")
            .unwrap_or_else(|| panic!("unterminated label: {item}"));
        (q[..end].to_owned(), &q[end + 2..])
    } else {
        let (l, r) = item
            .split_once('=')
            .unwrap_or_else(|| panic!("no '=': {item}"));
        (l.to_owned(), r)
    };
    assert!(!label.is_empty() && !label.contains('='), "{item}");
    let fields: Vec<&str> = rest.split(';').collect();
    assert!(fields.len() <= 5, "too many fields: {item}");
    let value = fields[0];
    let uom_at = value
        .find(|c: char| c.is_ascii_alphabetic() || c == '%')
        .unwrap_or(value.len());
    let (number, uom) = value.split_at(uom_at);
    assert!(perf_number(number), "value {number:?}: {item}");
    assert!(
        ["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"].contains(&uom),
        "UOM {uom:?}: {item}"
    );
    for t in &fields[1..fields.len().min(3)] {
        assert!(perf_threshold(t), "threshold {t:?}: {item}");
    }
    for m in fields.iter().skip(3) {
        assert!(m.is_empty() || perf_number(m), "min/max {m:?}: {item}");
    }
    (label, number.parse().expect("a number"))
}

#[test]
fn nagios_output_follows_the_plugin_format() {
    for (name, audit) in audits() {
        let out = nagios::render(&audit);
        let mut lines = out.lines();
        let first = lines.next().expect("a status line");
        let verdict = audit.verdict();
        let prefix = format!("HOSTLINT {} - ", verdict.as_str());
        assert!(first.starts_with(&prefix), "{name}: {first}");
        assert_eq!(first.matches('|').count(), 1, "{name}: {first}");
        assert!(
            first.len() < 400,
            "{name}: the status line is long: {first}"
        );
        let (text, perf) = first.split_once(" | ").expect("perfdata after ' | '");
        assert!(text.len() > prefix.len(), "{name}: no summary");
        let perf: BTreeMap<String, f64> = perf.split(' ').map(perf_item).collect();
        let c = Counts::of(&audit.findings);
        let expect = [
            ("pass", c.pass),
            ("warn", c.warn),
            ("fail", c.fail),
            ("unknown", c.unknown),
        ];
        for (label, n) in expect {
            assert_eq!(perf.get(label), Some(&(n as f64)), "{name}: {label}");
        }
        assert!(perf.contains_key("checks"), "{name}");

        // The long output: one line per non-passing finding, then notes;
        // never a `|`, which would start more perfdata.
        let rest: Vec<&str> = lines.collect();
        assert!(rest.iter().all(|l| !l.contains('|')), "{name}: {rest:?}");
        let failing = audit
            .findings
            .iter()
            .filter(|f| f.status != Status::Pass)
            .count();
        assert_eq!(rest.len(), failing + audit.notes.len(), "{name}: {rest:?}");
        assert!(
            out.chars().all(|c| !c.is_control() || c == '\n'),
            "{name}: a control character in {out:?}"
        );
    }
}

#[test]
fn nagios_status_line_names_what_failed_on_what() {
    let out = nagios::render(&mixed());
    let first = out.lines().next().expect("a line");
    assert!(
        first.starts_with(
            "HOSTLINT CRITICAL - 2 fail: egress-via-10g on 0.0.0.0/0, luns-redundant on mpathb; \
             1 warn, 1 unknown, 2 pass | "
        ),
        "{first}"
    );
    assert!(
        nagios::render(&all_pass()).starts_with("HOSTLINT OK - all 3 findings pass (2 checks) | "),
    );
    // An UNKNOWN says why.
    for (audit, line) in [
        (
            empty(),
            "HOSTLINT UNKNOWN - no policy applies to this host: nothing was checked | ",
        ),
        (
            mixed_unknown(),
            "HOSTLINT UNKNOWN - a fact a check needs could not be read: 1 unknown: bond0-healthy on bond0; 2 pass | ",
        ),
        (
            invalid_policy(),
            "HOSTLINT UNKNOWN - invalid policy: nothing was audited: policies/lb.yaml:4:40: unknown key `sped` in a link expectation: did you mean `speed`? | ",
        ),
        (
            deadline(),
            "HOSTLINT UNKNOWN - the deadline abandoned reads: not every fact was read; 3 pass | ",
        ),
    ] {
        let out = nagios::render(&audit);
        assert!(out.starts_with(line), "{out}");
    }

    // Many failures: the line names a few and counts the rest.
    let mut many = mixed();
    for i in 0..200 {
        let mut f = many.findings[0].clone();
        f.subject = format!("192.0.2.{i}/32-{}", "x".repeat(60));
        many.findings.push(f);
    }
    let out = nagios::render(&many);
    let first = out.lines().next().expect("a line");
    assert!(first.len() < 400, "{first}");
    assert!(
        first.contains("202 fail: ") && first.contains(" and 199 more"),
        "{first}"
    );
    assert!(out.contains("more non-passing findings"), "{out}");
    assert_eq!(
        out.lines().count(),
        1 + nagios::MAX_LONG_LINES + 1 + 1,
        "{out}"
    );
}

// ---------------------------------------------------------------- Prometheus

fn metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `{a="x",b="y"}` (the braces excluded) into decoded pairs,
/// refusing any escape but `\\`, `\"` and `\n`.
fn parse_labels(s: &str, line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let eq = rest
            .find("=\"")
            .unwrap_or_else(|| panic!("label without =\": {line}"));
        let name = &rest[..eq];
        assert!(label_name(name), "label name {name:?}: {line}");
        let mut value = String::new();
        let mut chars = rest[eq + 2..].char_indices();
        let end = loop {
            match chars.next() {
                None => panic!("unterminated label value: {line}"),
                Some((i, '"')) => break eq + 2 + i + 1,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => panic!("bad escape {other:?}: {line}"),
                },
                Some((_, '\n')) => panic!("raw line feed: {line}"),
                Some((_, c)) => value.push(c),
            }
        };
        pairs.push((name.to_owned(), value));
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else {
            assert!(rest.is_empty(), "junk after a label: {line}");
        }
    }
    pairs
}

type Series = (String, Vec<(String, String)>);

/// Checks the text under the exposition format as node_exporter's textfile
/// collector reads it, and returns every sample.
fn parse_exposition(text: &str) -> BTreeMap<Series, f64> {
    assert!(text.ends_with('\n'), "the last line ends with a newline");
    let mut help = BTreeSet::new();
    let mut typed = BTreeSet::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "an empty line");
        if let Some(rest) = line.strip_prefix("# ") {
            let (keyword, rest) = rest.split_once(' ').expect("a keyword");
            let (name, arg) = rest.split_once(' ').expect("a name and an argument");
            assert!(metric_name(name), "{line}");
            assert!(!finished.contains(name), "{name} split in two: {line}");
            if current.as_deref() != Some(name) {
                finished.extend(current.replace(name.to_owned()));
            }
            match keyword {
                "HELP" => assert!(help.insert(name.to_owned()), "second HELP: {line}"),
                "TYPE" => {
                    assert!(help.contains(name), "TYPE before HELP: {line}");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg),
                        "{line}"
                    );
                    assert!(typed.insert(name.to_owned()), "second TYPE: {line}");
                }
                _ => panic!("unknown comment: {line}"),
            }
            continue;
        }
        assert!(!line.starts_with('#'), "{line}");
        // `name{labels} value`: a timestamp after the value would leave
        // `value` in `series` and fail the name or the closing brace.
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((n, l)) => (
                n,
                parse_labels(l.strip_suffix('}').expect("a closing brace"), line),
            ),
        };
        assert!(metric_name(name), "{line}");
        assert!(
            help.contains(name) && typed.contains(name),
            "no HELP and TYPE before {line}"
        );
        assert_eq!(
            current.as_deref(),
            Some(name),
            "{name} outside its family: {line}"
        );
        let v: f64 = value.parse().unwrap_or_else(|e| panic!("{e}: {line}"));
        let mut sorted = labels.clone();
        sorted.sort();
        let names: BTreeSet<&String> = sorted.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), sorted.len(), "a label twice: {line}");
        assert!(
            samples.insert((name.to_owned(), sorted), v).is_none(),
            "duplicate series: {line}"
        );
    }
    samples
}

fn sample(samples: &BTreeMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut key: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    key.sort();
    samples.get(&(name.to_owned(), key)).copied()
}

#[test]
fn prometheus_output_follows_the_exposition_format() {
    for (name, audit) in audits() {
        let text = prometheus::render(&audit, prometheus::MAX_SUBJECT_SERIES);
        let samples = parse_exposition(&text);
        assert_eq!(
            sample(&samples, "hostlint_audit_status", &[]),
            Some(f64::from(audit.verdict().code())),
            "{name}"
        );
        assert_eq!(
            sample(
                &samples,
                "hostlint_audit_cause",
                &[("cause", audit.cause().as_str())]
            ),
            Some(1.0),
            "{name}"
        );
        let c = Counts::of(&audit.findings);
        for (s, n) in [
            ("pass", c.pass),
            ("warn", c.warn),
            ("fail", c.fail),
            ("unknown", c.unknown),
        ] {
            assert_eq!(
                sample(&samples, "hostlint_findings", &[("status", s)]),
                Some(n as f64),
                "{name}: {s}"
            );
        }
        assert!(
            samples.keys().all(|(n, _)| n.starts_with("hostlint_")),
            "{name}"
        );
        // Each finding's subject is a series, decoded back to the value
        // (control characters made visible).
        for f in &audit.findings {
            let subject = f
                .subject
                .replace('\u{1b}', "\\u{1b}")
                .replace('\u{7}', "\\u{7}");
            let v = sample(
                &samples,
                "hostlint_finding_status",
                &[
                    ("check", &f.check),
                    ("subject", &subject),
                    ("policy", &f.policy),
                ],
            );
            assert!(v.is_some(), "{name}: no series for {subject:?}");
        }
        assert_eq!(
            sample(&samples, "hostlint_finding_series_dropped", &[]),
            Some(0.0),
            "{name}"
        );
    }
}

#[test]
fn prometheus_check_status_is_the_worst_of_its_findings() {
    let text = prometheus::render(&mixed(), prometheus::MAX_SUBJECT_SERIES);
    let samples = parse_exposition(&text);
    let check = |check: &str, kind: &str, severity: &str, policy: &str| {
        sample(
            &samples,
            "hostlint_check_status",
            &[
                ("check", check),
                ("kind", kind),
                ("severity", severity),
                ("policy", policy),
            ],
        )
    };
    assert_eq!(check("egress-via-10g", "route", "critical", LB), Some(2.0));
    assert_eq!(
        check("uplinks-at-capability", "link", "warning", LB),
        Some(1.0)
    );
    assert_eq!(check("bond0-healthy", "bond", "critical", LB), Some(3.0));
    assert_eq!(
        check("luns-redundant", "multipath", "critical", STORAGE),
        Some(2.0)
    );
    assert_eq!(sample(&samples, "hostlint_notes", &[]), Some(1.0));
    let all = parse_exposition(&prometheus::render(&all_pass(), 500));
    assert_eq!(
        sample(
            &all,
            "hostlint_check_status",
            &[
                ("check", "egress-via-10g"),
                ("kind", "route"),
                ("severity", "critical"),
                ("policy", LB)
            ]
        ),
        Some(0.0)
    );
}

#[test]
fn prometheus_caps_per_subject_series_and_counts_the_dropped() {
    let mut audit = all_pass();
    audit.findings.clear();
    for i in 0..600 {
        let mut f = all_pass().findings[2].clone();
        f.subject = format!("10.{}.{}.0/24", i / 256, i % 256);
        f.status = if i % 100 == 7 {
            Status::Fail
        } else {
            Status::Pass
        };
        audit.findings.push(f);
    }
    let text = prometheus::render(&audit, prometheus::MAX_SUBJECT_SERIES);
    let samples = parse_exposition(&text);
    let per_subject: Vec<f64> = samples
        .iter()
        .filter(|((n, _), _)| n == "hostlint_finding_status")
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(per_subject.len(), 500);
    assert_eq!(
        per_subject.iter().filter(|v| **v == 2.0).count(),
        6,
        "failures are kept"
    );
    assert_eq!(
        sample(&samples, "hostlint_finding_series_dropped", &[]),
        Some(100.0)
    );
    // The totals do not depend on the cap.
    assert_eq!(
        sample(&samples, "hostlint_findings", &[("status", "pass")]),
        Some(594.0)
    );
}

#[test]
fn prometheus_one_series_per_subject_when_a_check_reports_it_twice() {
    let mut audit = mixed();
    let mut again = audit.findings[2].clone(); // ens1f0, PASS
    again.status = Status::Warn;
    again.expected = "duplex full".into();
    audit.findings.push(again);
    let samples = parse_exposition(&prometheus::render(&audit, 500));
    assert_eq!(
        sample(
            &samples,
            "hostlint_finding_status",
            &[
                ("check", "uplinks-at-capability"),
                ("subject", "ens1f0"),
                ("policy", LB)
            ]
        ),
        Some(1.0)
    );
}

// ---------------------------------------------------------------- verdict

#[test]
fn every_format_agrees_on_the_verdict() {
    for (name, audit) in audits() {
        let v = audit.verdict();
        assert!(nagios::render(&audit).starts_with(&format!("HOSTLINT {} ", v.as_str())));
        let doc = parse_json(&audit_json::render(&audit));
        assert_eq!(doc["exit_code"], v.code(), "{name}");
        assert_eq!(doc["cause"], audit.cause().as_str(), "{name}");
        let table = audit_table::render(&audit, &plain(), Passes::Count);
        let last = crate::util::table_summary(&table);
        let verdict = format!("{} (exit {})", v.as_str(), v.code());
        // An UNKNOWN names its cause after the verdict.
        let expected = if v == Verdict::Unknown {
            format!("{verdict}: {}", audit.summary())
        } else {
            verdict
        };
        assert!(last.ends_with(&expected), "{name}: {table}");
    }
    assert_eq!(empty().verdict(), Verdict::Unknown);
}

// ---------------------------------------------------------------- output

#[test]
fn atomic_write_keeps_the_old_file_until_the_rename() {
    let dir = tempdir();
    let target = dir.path().join("hostlint.prom");
    fs::write(&target, "old\n").expect("the old report");

    let mut f = AtomicFile::create(&target).expect("a temporary file");
    let temp = f.temp_path().to_owned();
    assert_eq!(temp.parent(), target.parent(), "beside the target");
    let temp_name = temp.file_name().and_then(|n| n.to_str()).expect("a name");
    assert!(
        !temp_name.ends_with(".prom"),
        "the textfile collector would read {temp_name}"
    );
    use std::io::Write;
    f.write_all(b"new\n").expect("write");
    assert_eq!(fs::read_to_string(&target).expect("read"), "old\n");
    f.commit().expect("commit");
    assert_eq!(fs::read_to_string(&target).expect("read"), "new\n");
    assert!(!temp.exists(), "{} left behind", temp.display());

    write_atomic(&target, b"newer\n").expect("write_atomic");
    assert_eq!(fs::read_to_string(&target).expect("read"), "newer\n");
    let names: Vec<String> = fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["hostlint.prom"], "nothing but the report is left");

    // Dropped without a commit: no trace, the target untouched.
    let mut f = AtomicFile::create(&target).expect("a temporary file");
    let temp = f.temp_path().to_owned();
    f.write_all(b"abandoned").expect("write");
    drop(f);
    assert!(!temp.exists());
    assert_eq!(fs::read_to_string(&target).expect("read"), "newer\n");
}

#[test]
fn atomic_write_errors_name_the_path_and_leave_nothing_behind() {
    let dir = tempdir();
    let missing = dir.path().join("no-such-dir").join("hostlint.prom");
    let e = write_atomic(&missing, b"x").expect_err("a missing directory");
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "the error names the path: {e}"
    );

    // A rename that fails (the target is a non-empty directory) removes the
    // temporary file and leaves the target as it was.
    let target = dir.path().join("report.json");
    fs::create_dir(&target).expect("a directory in the way");
    fs::write(target.join("keep"), "x").expect("a file in it");
    let e = write_atomic(&target, b"{}").expect_err("cannot replace a directory");
    assert!(e.to_string().contains("report.json"), "{e}");
    let names: Vec<String> = fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.json"], "no temporary file left: {names:?}");
    assert!(target.join("keep").exists());

    let e = write_atomic(std::path::Path::new("/"), b"x").expect_err("no file name");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

/// `--output` to a directory that is not there: the report file is named
/// once (the writer's error names it), and the system's words end the
/// message, without Rust's "(os error 2)".
#[test]
fn a_report_that_cannot_be_written_names_its_file_once() {
    let dir = tempdir();
    let missing = dir.path().join("no-such-dir");
    let target = missing.join("r.prom");
    let out = hostlint(&[
        "audit",
        "--root",
        path_str(&fixture("lb-healthy")),
        "-p",
        path_str(&repo().join("policies/lb-node.yaml")),
        "--format",
        "prometheus",
        "--output",
        path_str(&target),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    let prefix = format!(
        "hostlint: the report could not be written: {}: cannot create {}/.r.prom.",
        target.display(),
        missing.display()
    );
    assert!(
        err.starts_with(&prefix) && err.ends_with(".tmp: No such file or directory\n"),
        "{err}"
    );
    assert_eq!(err.matches(path_str(&target)).count(), 1, "{err}");
}
