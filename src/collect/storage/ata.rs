//! SATA links (`sys/class/ata_link`) and the devices on them
//! (`sys/class/ata_device`): the negotiated speed, the limit libata
//! applies (it lowers it after link errors: "limiting SATA link speed"),
//! the controller's limit, and the fastest generation the device says it
//! supports in its IDENTIFY data.
//!
//! libata prints `<unknown>` for a link without a speed and for a limit
//! that limits nothing: both are `null` here.

use super::{class_entries, malformed};
use crate::collect::read_value;
use crate::snapshot::{AtaDevice, AtaLink, Fact, Missing, parse_gbit};
use crate::source::Source;

pub const LINKS: &str = "sys/class/ata_link";
pub const DEVICES: &str = "sys/class/ata_device";

/// IDENTIFY word 76, SATA capabilities: bits 1, 2, 3 are Gen1 (1.5 Gb/s),
/// Gen2 (3.0) and Gen3 (6.0).
const WORD_SATA_CAPS: usize = 76;
const ID_WORDS: usize = 256;

pub fn collect(source: &Source) -> Fact<Vec<AtaLink>> {
    let links = match class_entries(source, LINKS) {
        Ok(n) => n,
        Err(m) => return Fact::Unknown(m),
    };
    if links.is_empty() {
        return Fact::Known(Vec::new());
    }
    let devices = class_entries(source, DEVICES);
    Fact::Known(links.iter().map(|l| link(source, l, &devices)).collect())
}

/// `link1` → `ata1`, `link2.1` (behind a port multiplier) → `ata2`.
fn port_of(link: &str) -> String {
    let n = link.strip_prefix("link").unwrap_or(link);
    format!("ata{}", n.split('.').next().unwrap_or(n))
}

/// `dev1.0` → `link1`, `dev2.1.0` → `link2.1`.
fn link_of(device: &str) -> Option<String> {
    let n = device.strip_prefix("dev")?;
    let (link, _) = n.rsplit_once('.')?;
    Some(format!("link{link}"))
}

fn speed(rel: &str, t: &str) -> Result<Option<f64>, Missing> {
    if t == "<unknown>" {
        return Ok(None);
    }
    parse_gbit(t).map(Some).ok_or_else(|| malformed(rel, t))
}

fn link(source: &Source, name: &str, devices: &Result<Vec<String>, Missing>) -> AtaLink {
    let dir = format!("{LINKS}/{name}");
    let rate = |file: &str| -> Fact<Option<f64>> {
        let rel = format!("{dir}/{file}");
        read_value(source, &rel)
            .and_then(|t| speed(&rel, &t))
            .into()
    };
    let devs = match devices {
        Err(m) => Fact::Unknown(m.clone()),
        Ok(all) => Fact::Known(
            all.iter()
                .filter(|d| link_of(d).as_deref() == Some(name))
                .map(|d| device(source, d))
                .collect(),
        ),
    };
    AtaLink {
        name: name.to_owned(),
        port: port_of(name),
        negotiated_gbps: rate("sata_spd"),
        limit_gbps: rate("sata_spd_limit"),
        hw_limit_gbps: rate("hw_sata_spd_limit"),
        devices: devs,
    }
}

/// The fastest SATA generation in IDENTIFY data as libata prints it: 256
/// words in hex.
pub fn max_from_identify(text: &str) -> Result<Option<f64>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() != ID_WORDS {
        return Err(format!(
            "{} words where IDENTIFY has {ID_WORDS}",
            words.len()
        ));
    }
    let w = u16::from_str_radix(words[WORD_SATA_CAPS], 16)
        .map_err(|_| format!("word {WORD_SATA_CAPS} is {:?}", words[WORD_SATA_CAPS]))?;
    // All zeros or all ones: the field is not reported.
    if w == 0 || w == 0xffff {
        return Ok(None);
    }
    Ok([(3, 6.0), (2, 3.0), (1, 1.5)]
        .iter()
        .find(|(bit, _)| w & (1 << bit) != 0)
        .map(|(_, r)| *r))
}

fn device(source: &Source, name: &str) -> AtaDevice {
    let dir = format!("{DEVICES}/{name}");
    let class: Fact<String> = read_value(source, &format!("{dir}/class")).into();
    let id_rel = format!("{dir}/id");
    let max_gbps = match class.known().map(String::as_str) {
        // A port multiplier has no IDENTIFY data; an empty port no device.
        Some("pmp") | Some("none") => Fact::Known(None),
        _ => read_value(source, &id_rel)
            .and_then(|t| {
                max_from_identify(&t).map_err(|e| {
                    Missing::new(crate::snapshot::Reason::Malformed, format!("{id_rel}: {e}"))
                })
            })
            .into(),
    };
    AtaDevice {
        name: name.to_owned(),
        class,
        max_gbps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_ports_links_and_devices() {
        assert_eq!(port_of("link3"), "ata3");
        assert_eq!(port_of("link2.1"), "ata2");
        assert_eq!(link_of("dev3.0").as_deref(), Some("link3"));
        assert_eq!(link_of("dev2.1.0").as_deref(), Some("link2.1"));
        assert_eq!(link_of("dev3"), None);
    }

    #[test]
    fn identify_word_76_gives_the_fastest_generation() {
        let mut words = vec!["0000"; 256];
        words[76] = "010e";
        assert_eq!(max_from_identify(&words.join(" ")).unwrap(), Some(6.0));
        words[76] = "0006";
        assert_eq!(max_from_identify(&words.join("\n")).unwrap(), Some(3.0));
        words[76] = "ffff";
        assert_eq!(max_from_identify(&words.join(" ")).unwrap(), None);
        assert!(max_from_identify("0000 0001").is_err());
        words[76] = "xyz";
        assert!(max_from_identify(&words.join(" ")).is_err());
    }
}
