//! What changed between two audits: each finding whose status is not what
//! it was. A finding is known by its policy, check and subject; a check
//! that reports one subject more than once (one finding per expectation)
//! stands at the worst of them, as `hostlint_finding_status` does. A
//! finding that appears comes from nothing (`from` is `None`: the first
//! audit reports every finding so), one that disappears (its link removed,
//! its check gone with a reload) goes to nothing.

use std::collections::BTreeMap;

use crate::finding::{Finding, Status};
use crate::report::worse;

/// (policy, check, subject)
pub type Key = (String, String, String);

/// Each finding's standing after an audit: the worst finding of its key.
pub type Standing = BTreeMap<Key, Finding>;

pub fn standing(findings: &[Finding]) -> Standing {
    let mut out = Standing::new();
    for f in findings {
        let key = (f.policy.clone(), f.check.clone(), f.subject.clone());
        match out.get_mut(&key) {
            Some(held) if worse(held.status, f.status) != held.status => *held = f.clone(),
            Some(_) => {}
            None => {
                out.insert(key, f.clone());
            }
        }
    }
    out
}

/// One change of status.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition<'a> {
    pub from: Option<Status>,
    pub to: Option<Status>,
    /// The finding now, or as last seen when it is gone.
    pub finding: &'a Finding,
}

/// The changes from `before` to `after`, in key order.
pub fn between<'a>(before: &'a Standing, after: &'a Standing) -> Vec<Transition<'a>> {
    let mut out = Vec::new();
    for (key, now) in after {
        let was = before.get(key).map(|f| f.status);
        if was != Some(now.status) {
            out.push((
                key,
                Transition {
                    from: was,
                    to: Some(now.status),
                    finding: now,
                },
            ));
        }
    }
    for (key, then) in before {
        if !after.contains_key(key) {
            out.push((
                key,
                Transition {
                    from: Some(then.status),
                    to: None,
                    finding: then,
                },
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(b.0));
    out.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    fn f(check: &str, subject: &str, status: Status, observed: &str) -> Finding {
        Finding {
            check: check.into(),
            kind: "link",
            severity: Severity::Critical,
            status,
            subject: subject.into(),
            expected: "operstate up".into(),
            observed: observed.into(),
            evidence: vec![],
            failing: vec![],
            remediation: String::new(),
            policy: "p.yaml".into(),
        }
    }

    #[test]
    fn only_changed_new_and_gone_findings_are_transitions() {
        use Status::*;
        let before = standing(&[
            f("up", "eno1", Pass, "up"),
            f("up", "eno2", Pass, "up"),
            f("up", "eno3", Fail, "down"),
        ]);
        let after = standing(&[
            f("up", "eno1", Fail, "down"),
            f("up", "eno2", Pass, "up"),
            f("up", "eno4", Pass, "up"),
        ]);
        let t = between(&before, &after);
        let got: Vec<_> = t
            .iter()
            .map(|t| (t.finding.subject.as_str(), t.from, t.to))
            .collect();
        assert_eq!(
            got,
            [
                ("eno1", Some(Pass), Some(Fail)),
                ("eno3", Some(Fail), None),
                ("eno4", None, Some(Pass)),
            ]
        );
        assert_eq!(t[0].finding.observed, "down");
        // The first audit: every finding from nothing.
        assert_eq!(between(&Standing::new(), &after).len(), 3);
        assert!(between(&after, &after).is_empty());
    }

    #[test]
    fn a_subject_reported_twice_stands_at_its_worst() {
        use Status::*;
        let s = standing(&[
            f("up", "eno1", Pass, "speed"),
            f("up", "eno1", Unknown, "duplex unknown"),
            f("up", "eno1", Warn, "mtu"),
            f("up", "eno1", Pass, "carrier"),
        ]);
        assert_eq!(s.len(), 1);
        let held = s.values().next().unwrap();
        assert_eq!((held.status, held.observed.as_str()), (Warn, "mtu"));
    }
}
