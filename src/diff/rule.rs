//! Policy routing rules: a rule added or removed sends traffic to another
//! table.

use super::{Change, Ctx, Listed, Severity, Value, part};
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
    // A rule is all its fields: one that changed is one removed and one added.
    Listed::<Rule> {
        kind: "rule",
        field: "rule",
        same: |b, a| b == a,
        subject: &subject,
        value: |r| Value::known(rule_text(r)),
        gone: &|_| {
            Some((
                Severity::Warning,
                "a policy rule was removed: the traffic it chose goes by the tables after it"
                    .into(),
            ))
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a policy rule was added: the traffic it selects goes by another table".into(),
            ))
        },
    }
    .compare(before, after, out, |_, _, _, _| {});
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
