//! Links: rtnetlink's view of each interface joined with its addresses,
//! ethtool settings, driver and hardware.

use super::{pci, sysfs_net};
use crate::snapshot::{Duplex, Fact, Interface, Link, LinkModes, LinkSettings, Missing, Reason};
use crate::source::Source;
use crate::source::limits::MAX_LINKS;

/// Where the interface list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// rtnetlink, live or as `ip -j` output in a fixture.
    Kernel,
    /// Only a copy of sysfs (a sosreport, a test tree).
    Sysfs,
}

pub fn interfaces(source: &Source) -> Result<(Vec<Interface>, Origin), Missing> {
    let found = match source.interfaces() {
        Ok(v) => Ok((v, Origin::Kernel)),
        Err(m) if m.reason == Reason::NotCaptured => match sysfs_net::interfaces(source) {
            Ok(v) => Ok((v, Origin::Sysfs)),
            Err(sysfs) => Err(Missing::new(
                Reason::NotCaptured,
                format!("{}; {}", m.detail, sysfs.detail),
            )),
        },
        Err(m) => Err(m),
    }?;
    // Each costs a few KiB and several reads once collected.
    if found.0.len() > MAX_LINKS {
        return Err(Missing::new(
            Reason::Failed,
            format!(
                "too large: {} interfaces, more than the {MAX_LINKS} hostlint reads",
                found.0.len()
            ),
        ));
    }
    Ok(found)
}

pub fn collect(source: &Source, ifaces: &[Interface], origin: Origin) -> Vec<Link> {
    let names: Vec<&str> = ifaces.iter().map(|i| i.name.as_str()).collect();
    let (mut addresses, mut settings) = match origin {
        Origin::Kernel => (
            source.addresses(ifaces),
            source.link_settings(&names).into_iter(),
        ),
        // A root with a copy of sysfs may still hold the `ethtool`
        // outputs of its links.
        Origin::Sysfs => (
            Err(Missing::new(
                Reason::NotCaptured,
                "addresses come from rtnetlink (ip -j addr show), which this root lacks",
            )),
            source.link_settings(&names).into_iter(),
        ),
    };
    ifaces
        .iter()
        .map(|iface| {
            if let Some(m) = iface.name_unreadable() {
                // Skip this link's ethtool answer too, to keep the others
                // in step.
                if origin == Origin::Kernel {
                    settings.next();
                }
                return unreadable_by_name(iface, &m);
            }
            let addrs = match &mut addresses {
                Ok(map) => Fact::Known(map.remove(&iface.name).unwrap_or_default()),
                Err(m) => Fact::Unknown(m.clone()),
            };
            let device = pci::device(source, &iface.name);
            let mut iface = iface.clone();
            if iface.kind.known().is_none() && matches!(device, Fact::Known(Some(_))) {
                iface.kind = Fact::Known("physical".to_owned());
            }
            let (speed_mbps, duplex, link_modes, driver) = match origin {
                Origin::Kernel => {
                    let s = settings.next().unwrap_or_else(|| {
                        Fact::unknown(Reason::Failed, "no ethtool answer for this link")
                    });
                    let (speed, duplex, modes) = split_settings(s, &iface);
                    (speed, duplex, modes, source.driver_info(&iface.name))
                }
                Origin::Sysfs => {
                    let (speed, duplex, modes) = match settings.next() {
                        Some(Fact::Unknown(m)) if m.reason == Reason::NotCaptured => {
                            let (speed, duplex) = sysfs_net::speed_duplex(source, &iface);
                            let modes = Fact::unknown(
                                Reason::NotCaptured,
                                format!(
                                    "link modes come from ethtool: {}, and sysfs has none",
                                    m.detail
                                ),
                            );
                            (speed, duplex, modes)
                        }
                        Some(s) => split_settings(s, &iface),
                        None => {
                            let m = Missing::new(Reason::Failed, "no ethtool answer for this link");
                            (
                                Fact::Unknown(m.clone()),
                                Fact::Unknown(m.clone()),
                                Fact::Unknown(m),
                            )
                        }
                    };
                    let driver = match source.driver_info(&iface.name) {
                        Fact::Unknown(m) if m.reason == Reason::NotCaptured => {
                            sysfs_net::driver(source, &iface.name)
                        }
                        d => d,
                    };
                    (speed, duplex, modes, driver)
                }
            };
            Link {
                iface,
                addresses: addrs,
                speed_mbps,
                duplex,
                link_modes,
                driver,
                device,
            }
        })
        .collect()
}

/// A link whose name is not the kernel's own: what rtnetlink said of it
/// by its index, and every fact read by name unknown. Its name stands for
/// other links' names too (every byte that is not UTF-8 reads the same),
/// so nothing read by it can be trusted to be this link's.
fn unreadable_by_name(iface: &Interface, m: &Missing) -> Link {
    Link {
        iface: iface.clone(),
        addresses: Fact::Unknown(m.clone()),
        speed_mbps: Fact::Unknown(m.clone()),
        duplex: Fact::Unknown(m.clone()),
        link_modes: Fact::Unknown(m.clone()),
        driver: Fact::Unknown(m.clone()),
        device: Fact::Unknown(m.clone()),
    }
}

/// Splits ethtool's settings into the link's speed, duplex and modes. A
/// speed the driver cannot report on a link without carrier is down, not
/// unsupported.
fn split_settings(
    settings: Fact<LinkSettings>,
    iface: &Interface,
) -> (Fact<u32>, Fact<Duplex>, Fact<LinkModes>) {
    let refine = |m: Missing| link_down_reason(iface, m);
    match settings {
        Fact::Known(s) => (
            match s.speed_mbps {
                Fact::Unknown(m) => Fact::Unknown(refine(m)),
                known => known,
            },
            match s.duplex {
                Fact::Unknown(m) => Fact::Unknown(refine(m)),
                known => known,
            },
            Fact::Known(s.modes),
        ),
        Fact::Unknown(m) => (
            Fact::Unknown(m.clone()),
            Fact::Unknown(m.clone()),
            Fact::Unknown(m),
        ),
    }
}

/// A link without carrier, or administratively down, cannot report a speed:
/// say so rather than "not supported".
pub fn link_down_reason(iface: &Interface, m: Missing) -> Missing {
    let down =
        matches!(iface.carrier, Fact::Known(false)) || matches!(iface.admin_up, Fact::Known(false));
    if down && m.reason == Reason::NotSupported {
        Missing::new(
            Reason::LinkDown,
            format!("{} is down ({})", iface.name, m.detail),
        )
    } else {
        m
    }
}
