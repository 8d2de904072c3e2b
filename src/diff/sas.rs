//! SAS phys: a lane of a wide port that lost its link or runs slower, and
//! error counters that grew, are the cable to a drive shelf or array
//! working loose.

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{SasPhy, gbit_text};

/// `12G`, or the kernel's word for a phy without a link: `no link
/// (Unknown)`, `no link (Phy disabled)`.
fn rate_text(p: &SasPhy, gbps: &Option<f64>) -> String {
    match gbps {
        Some(g) => gbit_text(*g),
        None => match p.negotiated_linkrate.known() {
            Some(t) => format!("no link ({t})"),
            None => "no link".into(),
        },
    }
}

fn linked(p: &SasPhy) -> bool {
    matches!(p.negotiated_gbps.known(), Some(Some(_)))
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "sas phys",
        &ctx.before.storage.sas_phys,
        &ctx.after.storage.sas_phys,
    ) else {
        return;
    };
    Listed::<SasPhy> {
        kind: "sas",
        field: "phy",
        same: |b, a| b.name == a.name,
        subject: &|p| p.name.clone(),
        value: |p| {
            Value::known(
                p.negotiated_gbps
                    .known()
                    .map_or("?".into(), |g| rate_text(p, g)),
            )
        },
        // A phy that had no link carried nothing.
        gone: &|p| {
            Some(if linked(p) {
                (
                    Severity::Critical,
                    "the phy is gone, with the HBA or expander it belonged to: what was \
                     attached through it went with it"
                        .into(),
                )
            } else {
                (
                    Severity::Warning,
                    "the phy is gone, with the HBA or expander it belonged to".into(),
                )
            })
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a new phy: an HBA or expander was added".into(),
            ))
        },
    }
    .compare(before, after, out, |at, b, a, out| one(ctx, at, b, a, out));
}

fn one(ctx: &Ctx, at: &At, b: &SasPhy, a: &SasPhy, out: &mut Vec<Change>) {
    // Each side's own words for a phy without a link: not a fact `at.fact`
    // can show alike on both sides.
    match (b.negotiated_gbps.known(), a.negotiated_gbps.known()) {
        (Some(x), Some(y)) if x != y => {
            let (severity, why) = match (x, y) {
                (Some(x), Some(y)) if y < x => (
                    Severity::Critical,
                    format!(
                        "the phy negotiated {} instead of {}: a marginal cable or connector",
                        gbit_text(*y),
                        gbit_text(*x)
                    ),
                ),
                (Some(_), None) => (
                    Severity::Critical,
                    "the phy lost its link: a lane of the wide port is down, or the device \
                     behind it is gone"
                        .into(),
                ),
                (None, Some(_)) => (Severity::Warning, "the phy has a link now".into()),
                _ => (Severity::Warning, "the phy runs faster now".into()),
            };
            at.push(
                out,
                severity,
                "rate",
                Value::known(rate_text(b, x)),
                Value::known(rate_text(a, y)),
                why,
            );
        }
        (Some(_), Some(_)) => {}
        _ => at.fact(
            out,
            "rate",
            &b.negotiated_gbps,
            &a.negotiated_gbps,
            |g| g.map_or("no link".into(), gbit_text),
            Severity::Warning,
            |_, _| None,
        ),
    }
    // The rate shows the other side of the phy, and with its own words
    // (`Phy disabled`): the switch itself is said only when the rate
    // did not change with it.
    let rate_changed = b.negotiated_gbps.known() != a.negotiated_gbps.known();
    if !rate_changed {
        at.fact(
            out,
            "enabled",
            &b.enabled,
            &a.enabled,
            bool::to_string,
            Severity::Warning,
            |_, y| {
                Some((
                    Severity::Warning,
                    if *y {
                        "the phy was enabled".into()
                    } else {
                        "the phy was disabled".into()
                    },
                ))
            },
        );
    }
    at.fact(
        out,
        "max rate",
        &b.maximum_gbps,
        &a.maximum_gbps,
        |g| gbit_text(*g),
        Severity::Warning,
        |_, _| Some((Severity::Warning, "the phy's rate limit was changed".into())),
    );
    at.fact(
        out,
        "sas address",
        &b.sas_address,
        &a.sas_address,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another HBA or expander under this name".into(),
            ))
        },
    );
    for ((field, x), (_, y)) in b.error_counters().into_iter().zip(a.error_counters()) {
        at.counter(ctx, out, field, x, y, 0, |n| {
            format!(
                "{n} more during the window: a loose or marginal cable or connector on this lane"
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::snapshot::{Fact, Snapshot};

    fn phy<'a>(s: &'a mut Snapshot, name: &str) -> &'a mut SasPhy {
        let Fact::Known(phys) = &mut s.storage.sas_phys else {
            panic!("sas unknown")
        };
        phys.iter_mut()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no phy {name}"))
    }

    #[test]
    fn errors_that_grew_are_warnings_within_one_boot() {
        let b = san_healthy();
        let mut a = b.clone();
        let p = phy(&mut a, "phy-2:2");
        p.invalid_dword_count = Fact::Known(4127);
        p.loss_of_dword_sync_count = Fact::Known(23);
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Warning, "sas phy-2:2", "invalid_dword_count"),
                row(Severity::Warning, "sas phy-2:2", "loss_of_dword_sync_count"),
            ]
        );
        // Reset since: routine.
        assert_eq!(
            rows(&a, &b),
            [
                row(Severity::Info, "sas phy-2:2", "invalid_dword_count"),
                row(Severity::Info, "sas phy-2:2", "loss_of_dword_sync_count"),
            ]
        );
        reboot(&mut a);
        assert_eq!(rows(&b, &a), rebooted_rows());
    }

    #[test]
    fn a_lane_slower_or_without_link_is_critical() {
        let b = san_healthy();
        let mut a = b.clone();
        phy(&mut a, "phy-2:1").negotiated_gbps = Fact::Known(Some(6.0));
        let p = phy(&mut a, "phy-2:3");
        p.negotiated_gbps = Fact::Known(None);
        p.negotiated_linkrate = Fact::Known("Phy disabled".into());
        p.enabled = Fact::Known(false);
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "sas phy-2:1", "rate"),
                row(Severity::Critical, "sas phy-2:3", "rate"),
            ]
        );
    }
}
