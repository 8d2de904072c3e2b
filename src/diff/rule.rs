//! Policy routing rules: a rule added or removed sends traffic to another
//! table.

use super::{At, Change, Ctx, Severity, Value, part};
use crate::snapshot::Rule;

/// The rule as `ip rule` reads: `from 10.2.0.0/24 lookup 100`.
fn rule_text(r: &Rule) -> String {
    format!("{} {}", r.selector(), r.action_text())
}

fn subject(r: &Rule) -> String {
    format!("ipv{} priority {}", r.family, r.priority)
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = part(
        out,
        "rules",
        Severity::Warning,
        &ctx.before.rules,
        &ctx.after.rules,
    ) else {
        return;
    };
    for r in before {
        if !after.contains(r) {
            let s = subject(r);
            At {
                kind: "rule",
                subject: &s,
            }
            .push(
                out,
                Severity::Warning,
                "rule",
                Value::known(rule_text(r)),
                Value::Absent,
                "a policy rule was removed: the traffic it chose goes by the tables after it",
            );
        }
    }
    for r in after {
        if !before.contains(r) {
            let s = subject(r);
            At {
                kind: "rule",
                subject: &s,
            }
            .push(
                out,
                Severity::Warning,
                "rule",
                Value::Absent,
                Value::known(rule_text(r)),
                "a policy rule was added: the traffic it selects goes by another table",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::Fact;

    #[test]
    fn rules_added_and_removed() {
        let b = lb_healthy();
        let mut a = b.clone();
        if let Fact::Known(rules) = &mut a.rules {
            let mut r = rules[0].clone();
            r.priority = 100;
            r.src = crate::snapshot::Prefix::parse("192.0.2.0/24");
            r.table = Some("100".into());
            rules.push(r);
        }
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Warning, "rule ipv4 priority 100", "rule")]
        );
        let changes = super::super::compare(&b, &a);
        assert_eq!(
            changes[0].after,
            Value::known("from 192.0.2.0/24 lookup 100")
        );
    }
}
