//! The host as a whole: identity, kernel, reboots, taint, crash records.

use super::{At, Boot, Change, Ctx, Severity, Value, one_sided};
use crate::snapshot::{Fact, Host, Taint};

/// Whether the two sides were read in one boot: by the kernel's boot id
/// when both have it, otherwise by uptime (a reboot starts it again; an
/// uptime that went on means the same boot, unless the host rebooted and
/// then ran longer than it had before, which a maintenance window does
/// not allow).
pub fn boot(before: &Host, after: &Host) -> Boot {
    if let (Fact::Known(a), Fact::Known(b)) = (&before.boot_id, &after.boot_id) {
        return if a == b {
            Boot::Same {
                basis: format!("boot id {a} on both sides"),
            }
        } else {
            Boot::Rebooted {
                basis: format!("boot id {a} before, {b} after"),
            }
        };
    }
    let ids = match (before.boot_id.known(), after.boot_id.known()) {
        (None, None) => "no boot id",
        _ => "a boot id on one side only",
    };
    match (&before.uptime_seconds, &after.uptime_seconds) {
        (Fact::Known(a), Fact::Known(b)) if b >= a => Boot::Same {
            basis: format!("{ids}; uptime {a:.0} s before, {b:.0} s after"),
        },
        (Fact::Known(a), Fact::Known(b)) => Boot::Rebooted {
            basis: format!("{ids}; uptime fell from {a:.0} s to {b:.0} s"),
        },
        _ => Boot::Unknown {
            basis: "neither the boot id nor the uptime was read on both sides".into(),
        },
    }
}

/// Whether the two sides are two different hosts: other host names, and
/// no boot id shared to say it is one host renamed. `None` when they may
/// be one host; otherwise what tells them apart.
pub fn other_host(before: &Host, after: &Host) -> Option<String> {
    let (Fact::Known(b), Fact::Known(a)) = (&before.hostname, &after.hostname) else {
        return None;
    };
    if a == b {
        return None;
    }
    let ids = match (&before.boot_id, &after.boot_id) {
        (Fact::Known(x), Fact::Known(y)) if x == y => return None,
        (Fact::Known(x), Fact::Known(y)) => format!("boot id {x} before, {y} after"),
        (Fact::Known(x), _) => format!("boot id {x} before, none after"),
        (_, Fact::Known(y)) => format!("no boot id before, {y} after"),
        _ => "no boot id on either side".to_owned(),
    };
    Some(format!("host {b} before, {a} after, {ids}"))
}

fn records(n: usize) -> String {
    if n == 1 {
        "1 record".into()
    } else {
        format!("{n} records")
    }
}

fn taint_text(t: &Taint) -> String {
    if t.flags.is_empty() {
        "none".into()
    } else {
        t.letters()
    }
}

pub(super) fn compare(ctx: &Ctx, out: &mut Vec<Change>) {
    let (b, a) = (&ctx.before.host, &ctx.after.host);
    // The host by its name, as long as it has one: a new name is itself
    // a change.
    let name = a
        .hostname
        .known()
        .or(b.hostname.known())
        .map_or("", |h| h.as_str());
    let at = At {
        kind: "host",
        subject: name,
    };
    at.fact(
        out,
        "hostname",
        &b.hostname,
        &a.hostname,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "another host name: is this the same host?".into(),
            ))
        },
    );
    at.fact(
        out,
        "kernel",
        &b.kernel_release,
        &a.kernel_release,
        String::clone,
        Severity::Warning,
        |_, _| {
            Some((
                Severity::Warning,
                "the host runs another kernel: drivers changed with it".into(),
            ))
        },
    );
    match &ctx.boot {
        Boot::Same { .. } => {}
        Boot::Rebooted { basis } => at.push(
            out,
            Severity::Warning,
            "boot",
            Value::of(&b.boot_id, String::clone),
            Value::of(&a.boot_id, String::clone),
            format!(
                "the host rebooted ({basis}): counters started again, so carrier flaps and \
                 error growth during the window cannot be counted"
            ),
        ),
        Boot::Unknown { basis } => at.push(
            out,
            Severity::Warning,
            "boot",
            Value::of(&b.boot_id, String::clone),
            Value::of(&a.boot_id, String::clone),
            format!(
                "whether the host rebooted cannot be told ({basis}): carrier flaps and error \
                 growth are not counted"
            ),
        ),
    }
    at.fact(
        out,
        "uptime",
        &b.uptime_seconds,
        &a.uptime_seconds,
        |u| format!("{u:.0} s"),
        Severity::Info,
        |_, _| Some((Severity::Info, "time passed".into())),
    );
    at.fact(
        out,
        "taint",
        &b.taint,
        &a.taint,
        taint_text,
        Severity::Warning,
        |x, y| {
            let gained: Vec<String> = y
                .flags
                .iter()
                .filter(|f| !x.flags.contains(f))
                .map(|f| format!("{} ({})", f.letter, f.meaning))
                .collect();
            let why = if gained.is_empty() {
                "taint flags were cleared: the kernel was restarted".to_owned()
            } else {
                format!("the kernel was tainted: {}", gained.join(", "))
            };
            Some((Severity::Warning, why))
        },
    );
    // Records present after and not before: a crash during the window.
    match (&b.pstore, &a.pstore) {
        (Fact::Known(x), Fact::Known(y)) => {
            let new: Vec<&str> = y
                .iter()
                .filter(|r| !x.iter().any(|o| o.path == r.path))
                .map(|r| r.path.as_str())
                .collect();
            let gone = x.iter().filter(|r| !y.iter().any(|n| n.path == r.path));
            if !new.is_empty() {
                at.push(
                    out,
                    Severity::Warning,
                    "pstore",
                    Value::known(records(x.len())),
                    Value::known(new.join("\n")),
                    "the kernel left crash records: it panicked or oopsed during the window",
                );
            }
            if gone.count() > 0 && new.is_empty() {
                at.push(
                    out,
                    Severity::Info,
                    "pstore",
                    Value::known(records(x.len())),
                    Value::known(records(y.len())),
                    "crash records were cleared",
                );
            }
        }
        (Fact::Unknown(_), Fact::Unknown(_)) => {}
        (Fact::Known(x), Fact::Unknown(m)) => at.push(
            out,
            Severity::Warning,
            "pstore",
            Value::known(records(x.len())),
            Value::Unknown(m.clone()),
            one_sided(false, m),
        ),
        (Fact::Unknown(m), Fact::Known(y)) => at.push(
            out,
            Severity::Warning,
            "pstore",
            Value::Unknown(m.clone()),
            Value::known(records(y.len())),
            one_sided(true, m),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Missing, Reason};

    fn host(boot_id: Option<&str>, uptime: Option<f64>) -> Host {
        let m = Missing::new(Reason::NotCaptured, "test");
        Host {
            hostname: Fact::Known("lb-01".into()),
            kernel_release: Fact::Known("6.8.0".into()),
            uptime_seconds: uptime.map_or(Fact::Unknown(m.clone()), Fact::Known),
            boot_id: boot_id.map_or(Fact::Unknown(m.clone()), |b| Fact::Known(b.into())),
            taint: Fact::Known(Taint::from_mask(0)),
            pstore: Fact::Known(vec![]),
        }
    }

    #[test]
    fn the_boot_id_decides_and_uptime_stands_in_for_it() {
        assert!(boot(&host(Some("a"), Some(100.0)), &host(Some("a"), Some(50.0))).same());
        assert!(matches!(
            boot(&host(Some("a"), Some(100.0)), &host(Some("b"), Some(900.0))),
            Boot::Rebooted { .. }
        ));
        assert!(boot(&host(None, Some(100.0)), &host(Some("b"), Some(160.0))).same());
        assert!(matches!(
            boot(&host(None, Some(100.0)), &host(None, Some(20.0))),
            Boot::Rebooted { .. }
        ));
        assert!(matches!(
            boot(&host(None, None), &host(None, Some(20.0))),
            Boot::Unknown { .. }
        ));
    }
}
