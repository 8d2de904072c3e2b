//! SATA links: a link that renegotiated slower, or that libata slowed down
//! after errors, is a cable or backplane going bad; a link gone down takes
//! its disk.

use super::{At, Change, Ctx, Listed, Severity, Value, storage_part};
use crate::snapshot::{AtaDevice, AtaLink, Fact, gbit_text};

fn speed_text(s: &Option<f64>) -> String {
    s.map_or("no link".into(), gbit_text)
}

fn limit_text(s: &Option<f64>) -> String {
    s.map_or("none".into(), gbit_text)
}

fn subject(l: &AtaLink) -> String {
    format!("{} ({})", l.name, l.port)
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let Some((before, after)) = storage_part(
        out,
        "ata links",
        &ctx.before.storage.ata_links,
        &ctx.after.storage.ata_links,
    ) else {
        return;
    };
    Listed::<AtaLink> {
        kind: "ata",
        field: "link",
        same: |b, a| b.name == a.name,
        subject: &subject,
        value: |l| Value::of(&l.negotiated_gbps, speed_text),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the SATA link is gone, with its controller: its disk went with it".into(),
            ))
        },
        new: &|_| {
            Some((
                Severity::Warning,
                "a new SATA link: a controller was added".into(),
            ))
        },
    }
    .compare(before, after, out, one);
}

fn one(at: &At, b: &AtaLink, a: &AtaLink, out: &mut Vec<Change>) {
    let mut went_down = false;
    at.fact(
        out,
        "speed",
        &b.negotiated_gbps,
        &a.negotiated_gbps,
        speed_text,
        Severity::Warning,
        |x, y| {
            Some(match (x, y) {
                (Some(x), Some(y)) if y < x => (
                    Severity::Critical,
                    format!(
                        "the link renegotiated down from {} to {}: link errors on a bad cable \
                         or backplane",
                        gbit_text(*x),
                        gbit_text(*y)
                    ),
                ),
                (Some(_), None) => {
                    went_down = true;
                    (
                        Severity::Critical,
                        "the link is down: its disk is unreachable".into(),
                    )
                }
                (None, Some(_)) => (Severity::Warning, "the link is up now".into()),
                _ => (Severity::Warning, "the link runs faster now".into()),
            })
        },
    );
    at.fact(
        out,
        "limit",
        &b.limit_gbps,
        &a.limit_gbps,
        limit_text,
        Severity::Warning,
        |x, y| {
            let lowered = match (x, y) {
                (None, Some(_)) => true,
                (Some(x), Some(y)) => y < x,
                _ => false,
            };
            Some((
                Severity::Warning,
                if lowered {
                    "libata lowered the link's speed limit: it saw errors at the faster speed"
                        .into()
                } else {
                    "the link's speed limit was raised or lifted".into()
                },
            ))
        },
    );
    at.fact(
        out,
        "controller limit",
        &b.hw_limit_gbps,
        &a.hw_limit_gbps,
        limit_text,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the controller's own limit changed: another controller".into(),
            ))
        },
    );
    if !went_down {
        devices(at, &b.devices, &a.devices, out);
    }
}

fn class(d: &AtaDevice) -> String {
    d.class.known().cloned().unwrap_or_else(|| "?".into())
}

/// The devices on the link; a link that went down lost them, and says so.
fn devices(at: &At, b: &Fact<Vec<AtaDevice>>, a: &Fact<Vec<AtaDevice>>, out: &mut Vec<Change>) {
    let (Fact::Known(bd), Fact::Known(ad)) = (b, a) else {
        at.fact(
            out,
            "devices",
            b,
            a,
            |d| d.len().to_string(),
            Severity::Warning,
            |_, _| None,
        );
        return;
    };
    Listed::<AtaDevice> {
        kind: "ata",
        field: "device",
        same: |d, e| d.name == e.name,
        subject: &|d| format!("{} {}", at.subject, d.name),
        value: |d| Value::known(class(d)),
        gone: &|_| {
            Some((
                Severity::Critical,
                "the device is gone from the link: the disk is unreachable".into(),
            ))
        },
        new: &|_| Some((Severity::Warning, "a new device on the link".into())),
    }
    .compare(bd, ad, out, |dat, d, e, out| {
        dat.fact(
            out,
            "class",
            &d.class,
            &e.class,
            String::clone,
            Severity::Warning,
            |_, y| {
                Some(if y == "none" {
                    (
                        Severity::Critical,
                        "the link no longer sees its device: the disk is unreachable".into(),
                    )
                } else {
                    (Severity::Warning, "another kind of device".into())
                })
            },
        )
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_slower_link_is_critical_a_lowered_limit_a_warning() {
        let b = san_healthy();
        let mut a = b.clone();
        if let Fact::Known(links) = &mut a.storage.ata_links {
            links[0].negotiated_gbps = Fact::Known(Some(3.0));
            links[0].limit_gbps = Fact::Known(Some(3.0));
        }
        assert_eq!(
            rows(&b, &a),
            [
                row(Severity::Critical, "ata link1 (ata1)", "speed"),
                row(Severity::Warning, "ata link1 (ata1)", "limit"),
            ]
        );
    }

    #[test]
    fn a_link_down_is_said_once() {
        let b = san_healthy();
        let mut a = b.clone();
        if let Fact::Known(links) = &mut a.storage.ata_links {
            links[1].negotiated_gbps = Fact::Known(None);
            links[1].devices = Fact::Known(vec![]);
        }
        assert_eq!(
            rows(&b, &a),
            [row(Severity::Critical, "ata link2 (ata2)", "speed")]
        );
    }
}
