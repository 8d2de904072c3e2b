//! `hostlint watch`'s standard output: one JSON object per line, for a log
//! pipeline. `schema` (`hostlint.watch/1`) comes first and `type` second;
//! fields keep the order below.
//!
//! A `transition` line for each finding whose status changed, with the
//! events that led to the audit that saw it (`from` is `null` for a
//! finding that is new, the first audit's included; `to` is `null` for one
//! that is gone), and that audit's verdict and its cause:
//!
//! ```json
//! {"schema":"hostlint.watch/1","type":"transition","time_unix":1796217464.5,
//!  "host":"lb-01","audit":7,"subject":"eno1","check":"lb-egress-via-10g",
//!  "from":"PASS","to":"FAIL","policy":"policies/lb-node.yaml","kind":"route",
//!  "severity":"critical","expected":"...","observed":"...","evidence":["..."],
//!  "remediation":"...","reason":"event","verdict":"CRITICAL","cause":"critical_failed",
//!  "events":{"total":2,"counts":{"route":2},"first":"0.0.0.0/0 table main removed",
//!  "last":["0.0.0.0/0 table main removed","0.0.0.0/0 table main added"],
//!  "overrun":false,"first_unix":1796217464.3}}
//! ```
//!
//! A `reload` line for each SIGHUP: whether the policies loaded, and if
//! not, every error (the previous policies are still the ones audited):
//!
//! ```json
//! {"schema":"hostlint.watch/1","type":"reload","time_unix":1796217470.1,
//!  "ok":false,"policies":["/etc/hostlint/lb.yaml"],
//!  "errors":["/etc/hostlint/lb.yaml:4:5: ..."]}
//! ```

use serde::Serialize;

use crate::finding::{Agent, Audit, EventSummary, Finding, Status};

pub const SCHEMA: &str = "hostlint.watch/1";

#[derive(Serialize)]
struct TransitionLine<'a> {
    schema: &'static str,
    #[serde(rename = "type")]
    kind_of_line: &'static str,
    time_unix: f64,
    host: &'a str,
    audit: u64,
    subject: &'a str,
    check: &'a str,
    from: Option<&'static str>,
    to: Option<&'static str>,
    policy: &'a str,
    kind: &'a str,
    severity: &'static str,
    expected: &'a str,
    observed: &'a str,
    evidence: &'a [String],
    remediation: &'a str,
    reason: &'static str,
    verdict: &'static str,
    cause: &'static str,
    events: &'a EventSummary,
}

#[derive(Serialize)]
struct ReloadLine<'a> {
    schema: &'static str,
    #[serde(rename = "type")]
    kind_of_line: &'static str,
    time_unix: f64,
    ok: bool,
    policies: &'a [String],
    errors: &'a [String],
}

/// One transition line, with its newline: `finding` changed from `from`
/// to `to` in `audit`, which the agent ran for the reason and the events
/// `agent` says.
pub fn transition(
    audit: &Audit,
    agent: &Agent,
    from: Option<Status>,
    to: Option<Status>,
    finding: &Finding,
    time_unix: f64,
) -> String {
    let cause = audit.cause();
    line(&TransitionLine {
        schema: SCHEMA,
        kind_of_line: "transition",
        time_unix,
        host: &audit.host,
        audit: agent.audit,
        subject: &finding.subject,
        check: &finding.check,
        from: from.map(Status::as_str),
        to: to.map(Status::as_str),
        policy: &finding.policy,
        kind: finding.kind,
        severity: finding.severity.as_str(),
        expected: &finding.expected,
        observed: &finding.observed,
        evidence: &finding.evidence,
        remediation: &finding.remediation,
        reason: agent.reason,
        verdict: cause.verdict().as_str(),
        cause: cause.as_str(),
        events: &agent.answered,
    })
}

/// One reload line, with its newline.
pub fn reload(policies: &[String], errors: &[String], time_unix: f64) -> String {
    line(&ReloadLine {
        schema: SCHEMA,
        kind_of_line: "reload",
        time_unix,
        ok: errors.is_empty(),
        policies,
        errors,
    })
}

fn line(value: &impl Serialize) -> String {
    // Strings, numbers and maps with string keys: nothing that can fail to
    // serialise, and JSON escapes every control character itself.
    let mut text = serde_json::to_string(value).expect("a watch line serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    #[test]
    fn a_transition_is_one_line_with_its_fields_in_order() {
        let finding = Finding {
            check: "lb-egress-via-10g".into(),
            kind: "route",
            severity: Severity::Critical,
            status: Status::Fail,
            subject: "eno1\nspoofed".into(),
            expected: "egress speed >= 10000".into(),
            observed: "egress eno1 speed 1000 Mb/s".into(),
            evidence: vec!["rtnetlink RTM_GETROUTE".into()],
            failing: vec![],
            remediation: "move the default route".into(),
            policy: "lb.yaml".into(),
        };
        let mut agent = Agent {
            audit: 7,
            reason: "event",
            ..Agent::default()
        };
        agent.answered.total = 1;
        agent.answered.counts.insert("route", 1);
        agent
            .answered
            .last
            .push("0.0.0.0/0 table main removed".into());
        let audit = Audit {
            host: "lb-01".into(),
            source: "live".into(),
            policies: vec![],
            findings: vec![finding.clone()],
            notes: vec![],
            run: crate::finding::Run::default(),
            refused: None,
        };
        let text = transition(
            &audit,
            &agent,
            Some(Status::Pass),
            Some(Status::Fail),
            &finding,
            12.5,
        );
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with(
            "{\"schema\":\"hostlint.watch/1\",\"type\":\"transition\",\"time_unix\":12.5,\"host\":\"lb-01\",\"audit\":7,\"subject\":\"eno1\\nspoofed\",\"check\":\"lb-egress-via-10g\",\"from\":\"PASS\",\"to\":\"FAIL\","
        ), "{text}");
        assert!(text.ends_with(
            "\"reason\":\"event\",\"verdict\":\"CRITICAL\",\"cause\":\"critical_failed\",\"events\":{\"total\":1,\"counts\":{\"route\":1},\"first\":null,\"last\":[\"0.0.0.0/0 table main removed\"],\"overrun\":false,\"first_unix\":null}}\n"
        ), "{text}");
        let gone = transition(&audit, &agent, Some(Status::Fail), None, &finding, 1.0);
        assert!(gone.contains("\"from\":\"FAIL\",\"to\":null"), "{gone}");
    }

    #[test]
    fn a_failed_reload_lists_its_errors() {
        let text = reload(&["p.yaml".into()], &["p.yaml:3:1: bad".into()], 2.0);
        assert_eq!(
            text,
            "{\"schema\":\"hostlint.watch/1\",\"type\":\"reload\",\"time_unix\":2.0,\"ok\":false,\"policies\":[\"p.yaml\"],\"errors\":[\"p.yaml:3:1: bad\"]}\n"
        );
    }
}
