//! ethtool facts in the text form the `ethtool` command prints: how a
//! fixture stores link modes (`ethtool IFACE`) and driver information
//! (`ethtool -i IFACE`).
//!
//! The reader takes real `ethtool` output, including the error lines it
//! mixes in ("Cannot get wake-on-lan settings: ..."); the writer prints the
//! subset of lines hostlint models, in ethtool's layout.

use crate::snapshot::{DriverInfo, Duplex, Fact, LinkModes, LinkSettings, Missing, Reason};

/// The detail of a link whose driver reports no link settings, live and
/// replayed alike.
pub const NO_LINK_SETTINGS: &str = "ethtool reports no link settings";

/// A key with its value, continuation lines joined with spaces.
struct Entry {
    line: usize,
    key: String,
    value: String,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Splits `ethtool IFACE` output into the entries under "Settings for".
/// Lines outside the block (ethtool's error messages) are returned apart.
fn settings_entries(text: &str) -> Result<(Vec<Entry>, Vec<String>), String> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut messages = Vec::new();
    let mut header_indent = None;
    let mut key_indent = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let ind = indent(raw);
        let line = raw.trim();
        if line.starts_with("Settings for ") && line.ends_with(':') {
            header_indent = Some(ind);
            key_indent = None;
            continue;
        }
        let Some(h) = header_indent else {
            messages.push(line.to_owned());
            continue;
        };
        if ind <= h {
            // ethtool prints its complaints at the header's indentation.
            messages.push(line.to_owned());
            continue;
        }
        let k = *key_indent.get_or_insert(ind);
        if ind > k {
            match entries.last_mut() {
                Some(e) => {
                    e.value.push(' ');
                    e.value.push_str(line);
                }
                None => return Err(format!("line {line_no}: continuation without a key")),
            }
            continue;
        }
        match line.split_once(':') {
            Some((key, value)) => entries.push(Entry {
                line: line_no,
                key: key.trim().to_owned(),
                value: value.trim().to_owned(),
            }),
            None if line.starts_with("Cannot ") => messages.push(line.to_owned()),
            None => {
                return Err(format!(
                    "line {line_no}: expected \"key: value\", found {line:?}"
                ));
            }
        }
    }
    if header_indent.is_none() {
        return Err("no \"Settings for IFACE:\" line".to_owned());
    }
    Ok((entries, messages))
}

fn mode_list(value: &str) -> Vec<String> {
    if value == "Not reported" {
        return Vec::new();
    }
    value.split_whitespace().map(str::to_owned).collect()
}

/// The lines `ethtool IFACE` prints whenever it has a link's settings: the
/// kernel sends autoneg, speed, duplex and the mode sets in every reply, the
/// ioctl-era layout prints the same lines, and [`write_settings`] writes them.
const SETTINGS_LINES: [&str; 6] = [
    "Supported link modes",
    "Supports auto-negotiation",
    "Advertised link modes",
    "Speed",
    "Duplex",
    "Auto-negotiation",
];

/// Reads `ethtool IFACE`. Output without link settings (a loopback, a driver
/// without `get_link_ksettings`) is a link without link modes, with
/// ethtool's own message as the detail.
pub fn parse_settings(text: &str) -> Result<Fact<LinkSettings>, String> {
    let (entries, messages) = settings_entries(text)?;
    let find = |key: &str| entries.iter().find(|e| e.key == key);
    if SETTINGS_LINES.iter().all(|key| find(key).is_none()) {
        return Ok(Fact::Unknown(match messages.first() {
            None => Missing::new(Reason::NotSupported, NO_LINK_SETTINGS),
            Some(first) => Missing::new(
                reason_of_message(first),
                format!("ethtool: {}", messages.join("; ")),
            ),
        }));
    }
    // Some of the lines without the others: the output was cut off (a
    // truncated capture, a pasted excerpt). Reading a missing line as
    // "autoneg off" or "no modes" would make up values.
    let line =
        |key: &str| find(key).ok_or_else(|| format!("no \"{key}:\" line: the output is cut off"));
    let e = line("Speed")?;
    let speed_mbps = match e.value.strip_suffix("Mb/s").map(str::parse::<u32>) {
        Some(Ok(s)) if s > 0 => Fact::Known(s),
        _ if e.value.starts_with("Unknown") => {
            Fact::unknown(Reason::NotSupported, "the driver reports an unknown speed")
        }
        _ => return Err(format!("line {}: bad speed {:?}", e.line, e.value)),
    };
    let e = line("Duplex")?;
    let duplex = match e.value.as_str() {
        "Full" => Fact::Known(Duplex::Full),
        "Half" => Fact::Known(Duplex::Half),
        v if v.starts_with("Unknown") => {
            Fact::unknown(Reason::NotSupported, "the driver reports an unknown duplex")
        }
        v => return Err(format!("line {}: bad duplex {v:?}", e.line)),
    };
    let e = line("Auto-negotiation")?;
    let autoneg = match e.value.as_str() {
        "on" => true,
        "off" => false,
        v => return Err(format!("line {}: bad auto-negotiation {v:?}", e.line)),
    };
    let modes = |key: &str| line(key).map(|e| mode_list(&e.value));
    Ok(Fact::Known(LinkSettings {
        speed_mbps,
        duplex,
        modes: LinkModes {
            autoneg,
            supports_autoneg: line("Supports auto-negotiation")?
                .value
                .eq_ignore_ascii_case("yes"),
            supported: modes("Supported link modes")?,
            advertised: modes("Advertised link modes")?,
            // ethtool prints the partner's modes only when it has some.
            partner_advertised: find("Link partner advertised link modes")
                .map(|e| mode_list(&e.value))
                .unwrap_or_default(),
        },
    }))
}

fn write_modes(out: &mut String, label: &str, modes: &[String]) {
    let key = format!("\t{label}:");
    out.push_str(&key);
    if modes.is_empty() {
        out.push_str(" Not reported\n");
        return;
    }
    let pad = " ".repeat(key.len() - 1 + 1);
    for (i, chunk) in modes.chunks(2).enumerate() {
        if i == 0 {
            out.push(' ');
        } else {
            out.push('\t');
            out.push_str(&pad);
        }
        out.push_str(&chunk.join(" "));
        out.push('\n');
    }
}

/// Writes `ethtool IFACE` output for a link: its modes, or ethtool's
/// message for a link without them.
pub fn write_settings(ifname: &str, settings: &Fact<LinkSettings>) -> String {
    let mut out = format!("Settings for {ifname}:\n");
    let s = match settings {
        Fact::Known(m) => m,
        Fact::Unknown(missing) => {
            // What ethtool itself prints for a link without settings is the
            // header alone; any other failure is kept as its message.
            if missing.detail != NO_LINK_SETTINGS {
                out.push_str(&format!("Cannot get link settings: {}\n", missing.detail));
            }
            return out;
        }
    };
    let m = &s.modes;
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    write_modes(&mut out, "Supported link modes", &m.supported);
    out.push_str(&format!(
        "\tSupports auto-negotiation: {}\n",
        yes_no(m.supports_autoneg)
    ));
    write_modes(&mut out, "Advertised link modes", &m.advertised);
    if !m.partner_advertised.is_empty() {
        write_modes(
            &mut out,
            "Link partner advertised link modes",
            &m.partner_advertised,
        );
    }
    match &s.speed_mbps {
        Fact::Known(s) => out.push_str(&format!("\tSpeed: {s}Mb/s\n")),
        Fact::Unknown(_) => out.push_str("\tSpeed: Unknown!\n"),
    }
    match &s.duplex {
        Fact::Known(Duplex::Full) => out.push_str("\tDuplex: Full\n"),
        Fact::Known(Duplex::Half) => out.push_str("\tDuplex: Half\n"),
        Fact::Unknown(_) => out.push_str("\tDuplex: Unknown! (255)\n"),
    }
    out.push_str(&format!(
        "\tAuto-negotiation: {}\n",
        if m.autoneg { "on" } else { "off" }
    ));
    out
}

/// The detail for a failed `ETHTOOL_GDRVINFO`, worded as `ethtool -i` words
/// it, so that a live failure and its replay read the same.
pub fn driver_info_error(err: &std::io::Error) -> Missing {
    Missing::new(
        Reason::from_io(err),
        format!(
            "ethtool: Cannot get driver information: {}",
            crate::snapshot::io_text(err)
        ),
    )
}

/// The reason behind one of ethtool's "Cannot get ...: <strerror>" lines.
fn reason_of_message(message: &str) -> Reason {
    let m = message.to_ascii_lowercase();
    if m.contains("not supported") {
        Reason::NotSupported
    } else if m.contains("not permitted") || m.contains("permission denied") {
        Reason::Permission
    } else {
        // "No such device" too, as `Reason::from_io` maps ENODEV, so live
        // and replay agree.
        Reason::Failed
    }
}

/// Reads `ethtool -i IFACE`.
pub fn parse_driver(text: &str) -> Result<Fact<DriverInfo>, String> {
    let mut fields = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("Cannot get driver information") {
            return Ok(Fact::Unknown(Missing::new(
                reason_of_message(line),
                format!("ethtool: {line}"),
            )));
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim(), v.trim()));
        }
    }
    // ethtool prints all four lines, empty values included; a missing line
    // means the output was cut or edited, and reading it as "none" would
    // claim the driver reports no version or bus address.
    let get = |key: &str| -> Result<Option<String>, String> {
        let value = fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("no \"{key}:\" line"))?;
        Ok((!value.is_empty()).then(|| value.to_owned()))
    };
    let driver = get("driver")?.ok_or("an empty \"driver:\" line")?;
    Ok(Fact::Known(DriverInfo {
        driver,
        version: get("version")?,
        firmware_version: get("firmware-version")?,
        bus_info: get("bus-info")?,
    }))
}

pub fn write_driver(info: &Fact<DriverInfo>) -> String {
    match info {
        Fact::Known(d) => {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            format!(
                "driver: {}\nversion: {}\nfirmware-version: {}\nbus-info: {}\n",
                d.driver,
                opt(&d.version),
                opt(&d.firmware_version),
                opt(&d.bus_info)
            )
        }
        Fact::Unknown(m) => {
            let message = m.detail.strip_prefix("ethtool: ").unwrap_or(&m.detail);
            if message.starts_with("Cannot get driver information") {
                format!("{message}\n")
            } else {
                format!("Cannot get driver information: {message}\n")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_link_modes() {
        let m = Fact::Known(LinkSettings {
            speed_mbps: Fact::Known(10000),
            duplex: Fact::Known(Duplex::Full),
            modes: LinkModes {
                autoneg: true,
                supports_autoneg: true,
                supported: vec![
                    "1000baseT/Full".into(),
                    "10000baseT/Full".into(),
                    "25000baseSR/Full".into(),
                ],
                advertised: vec!["10000baseT/Full".into()],
                partner_advertised: vec!["10000baseT/Full".into()],
            },
        });
        let text = write_settings("eth0", &m);
        assert_eq!(parse_settings(&text).unwrap(), m);
    }

    #[test]
    fn unknown_speed_round_trips_as_unknown() {
        let m = Fact::Known(LinkSettings {
            speed_mbps: Fact::unknown(Reason::NotSupported, "the driver reports an unknown speed"),
            duplex: Fact::unknown(Reason::NotSupported, "the driver reports an unknown duplex"),
            modes: LinkModes {
                autoneg: false,
                supports_autoneg: false,
                supported: vec![],
                advertised: vec![],
                partner_advertised: vec![],
            },
        });
        assert_eq!(parse_settings(&write_settings("br0", &m)).unwrap(), m);
    }

    #[test]
    fn a_link_without_settings_is_not_supported() {
        let f = parse_settings("Settings for lo:\n\tLink detected: yes\n").unwrap();
        assert_eq!(f.missing().unwrap().reason, Reason::NotSupported);
    }

    #[test]
    fn bad_lines_are_errors_with_their_line() {
        let text = "Settings for eth1:\n    Supported ports\n    Speed: 1000Mb/s\n";
        let err = parse_settings(text).unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(parse_settings("").is_err());
        let err = parse_settings("Settings for eth1:\n\tSpeed: fast\n").unwrap_err();
        assert!(err.contains("bad speed"), "{err}");
    }

    #[test]
    fn driver_info_and_its_errors() {
        let d =
            parse_driver("driver: veth\nversion: 1.0\nfirmware-version: \nbus-info: \n").unwrap();
        let d = d.known().unwrap();
        assert_eq!(d.driver, "veth");
        assert_eq!(d.firmware_version, None);
        let e = parse_driver("Cannot get driver information: Operation not supported\n").unwrap();
        assert_eq!(e.missing().unwrap().reason, Reason::NotSupported);
        // A live failure replays word for word.
        let live = Fact::Unknown(driver_info_error(&std::io::Error::from_raw_os_error(
            libc::EOPNOTSUPP,
        )));
        assert_eq!(parse_driver(&write_driver(&live)).unwrap(), live);
        // A device that is not there is a failed read, live and replayed.
        let gone = Fact::Unknown(driver_info_error(&std::io::Error::from_raw_os_error(
            libc::ENODEV,
        )));
        assert_eq!(gone.missing().unwrap().reason, Reason::Failed);
        assert_eq!(parse_driver(&write_driver(&gone)).unwrap(), gone);
        assert!(parse_driver("version: 1\n").is_err());
    }
}
