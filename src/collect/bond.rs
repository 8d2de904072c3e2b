//! Bonds, from the bonding driver's report `proc/net/bonding/BOND`: the one
//! place that shows every member as the bond sees it (MII status, speed,
//! link failures, LACP aggregator and partner), and the place operators
//! read. Where a root has a bond's sysfs directory but not that file (a copy
//! of /sys without /proc), sysfs gives most of it; what sysfs does not give
//! is unknown, with the reason the file could not be read.

use std::collections::BTreeSet;
use std::io;

use super::{absent_on_host, file_missing, read_parsed, read_value};
use crate::snapshot::{
    BOND_MODES, Bond, BondLacp, BondMember, Duplex, Fact, MemberLacp, Missing, Reason,
    mode_has_active_member,
};
use crate::source::Source;

const PROC_DIR: &str = "proc/net/bonding";
/// The kernel's list of bonds in this network namespace. It exists from
/// the moment the bonding module is loaded, like `proc/net/bonding`.
const MASTERS: &str = "sys/class/net/bonding_masters";
const BANNER: &str = "Ethernet Channel Bonding Driver:";
const LACP_MODE: &str = "802.3ad";

/// `Bonding Mode:` texts (the kernel's `bond_mode_name`) and the mode each
/// stands for.
const MODE_TEXTS: [(&str, &str); 7] = [
    ("load balancing (round-robin)", "balance-rr"),
    ("fault-tolerance (active-backup)", "active-backup"),
    ("load balancing (xor)", "balance-xor"),
    ("fault-tolerance (broadcast)", "broadcast"),
    ("IEEE 802.3ad Dynamic link aggregation", "802.3ad"),
    ("transmit load balancing", "balance-tlb"),
    ("adaptive load balancing", "balance-alb"),
];

const ACTIVE_AGGREGATOR_ID: &str = "Active Aggregator Info/Aggregator ID";
const ACTIVE_PARTNER_MAC: &str = "Active Aggregator Info/Partner Mac Address";
const MEMBER_PARTNER_MAC: &str = "details partner lacp pdu/system mac address";
const CAP_NET_ADMIN_ONLY: &str = "the kernel shows it to readers with CAP_NET_ADMIN only";

/// What one of the two bond lists said.
enum Listing {
    Names(Vec<String>),
    /// Not on the host: the bonding module is not loaded.
    Absent,
    Unread(Missing),
}

impl Listing {
    fn of(result: io::Result<Vec<String>>, rel: &str) -> Listing {
        match result {
            Ok(names) => Listing::Names(names),
            Err(e) if absent_on_host(&e) => Listing::Absent,
            Err(e) => Listing::Unread(file_missing(rel, &e)),
        }
    }

    fn names(&self) -> &[String] {
        match self {
            Listing::Names(n) => n,
            _ => &[],
        }
    }
}

/// Every bond of the host. Each is named by `proc/net/bonding` or by sysfs'
/// `bonding_masters`: a root holding only one of the two (a copy of /sys, or
/// of /proc) still shows its bonds, and one holding neither says nothing.
pub fn collect(source: &Source) -> Fact<Vec<Bond>> {
    let root = source.root();
    let proc = Listing::of(root.read_dir(PROC_DIR), PROC_DIR);
    let masters = Listing::of(
        root.read_value(MASTERS).map(|list| {
            list.split_whitespace()
                // The kernel's mark of a list too long for one page.
                .filter(|n| *n != "++more++")
                .map(str::to_owned)
                .collect()
        }),
        MASTERS,
    );
    if let (Listing::Unread(p), Listing::Unread(m)) = (&proc, &masters) {
        return Fact::Unknown(Missing::new(
            p.reason,
            format!("{}; {}", p.detail, m.detail),
        ));
    }
    // Either list absent on the host means no bonding module, hence no bond,
    // unless the other one names some.
    let names: BTreeSet<&String> = proc.names().iter().chain(masters.names()).collect();
    Fact::Known(names.into_iter().map(|n| bond(source, n)).collect())
}

fn bond(source: &Source, name: &str) -> Bond {
    let rel = format!("{PROC_DIR}/{name}");
    match source.root().read(&rel) {
        Ok(text) => parse_proc(name, &rel, &text),
        Err(e) => {
            let why = file_missing(&rel, &e);
            let dir = format!("sys/class/net/{name}/bonding");
            if source.root().is_dir(&dir) {
                from_sysfs(source, name, &dir, &why)
            } else {
                unread(name, rel, &why)
            }
        }
    }
}

/// A bond of which nothing could be read but its name.
fn unread(name: &str, source: String, m: &Missing) -> Bond {
    Bond {
        name: name.to_owned(),
        source,
        mode: Fact::Unknown(m.clone()),
        miimon_ms: Fact::Unknown(m.clone()),
        mii_status: Fact::Unknown(m.clone()),
        active_member: Fact::Unknown(m.clone()),
        lacp: Fact::Unknown(m.clone()),
        members: Fact::Unknown(m.clone()),
    }
}

fn malformed(rel: &str, line: usize, what: &str) -> Missing {
    Missing::new(Reason::Malformed, format!("{rel}:{line}: {what}"))
}

/// One `key: value` line. Keys of an indented block carry the block's
/// name: `Active Aggregator Info/Aggregator ID`.
struct Entry<'a> {
    key: String,
    value: &'a str,
    line: usize,
}

/// The bond's part of the file, or one member's.
struct Section<'a> {
    /// Who the section describes, for messages: `bond0`, `member eth1`.
    label: String,
    /// The line the section starts at.
    line: usize,
    entries: Vec<Entry<'a>>,
    /// Lines the kernel prints without a value (`802.3ad info`).
    notes: Vec<&'a str>,
    /// The first line that could not be understood: every fact of the
    /// section is unknown, as none of it can be trusted to be what it says.
    error: Option<(usize, String)>,
}

impl<'a> Section<'a> {
    fn new(label: String, line: usize) -> Section<'a> {
        Section {
            label,
            line,
            entries: Vec::new(),
            notes: Vec::new(),
            error: None,
        }
    }

    fn add(&mut self, line: usize, text: &'a str, header: bool, block: &mut Option<&'a str>) {
        let indented = text.starts_with([' ', '\t']);
        let trimmed = text.trim();
        let Some((key, value)) = trimmed.split_once(':') else {
            let note = trimmed == "802.3ad info"
                || (trimmed.starts_with("bond ") && trimmed.ends_with(" has no active aggregator"));
            if header && !indented && note {
                self.notes.push(trimmed);
            } else {
                self.error = Some((line, format!("not a \"key: value\" line: {trimmed:?}")));
            }
            return;
        };
        let (key, value) = (key.trim_end(), value.trim());
        let key = if indented {
            match block {
                Some(b) => format!("{b}/{key}"),
                None => {
                    self.error = Some((
                        line,
                        format!("an indented line outside a block: {trimmed:?}"),
                    ));
                    return;
                }
            }
        } else {
            *block = value.is_empty().then_some(key);
            key.to_owned()
        };
        if self.entries.iter().any(|e| e.key == key) {
            self.error = Some((line, format!("a second \"{key}\" line")));
            return;
        }
        self.entries.push(Entry { key, value, line });
    }

    fn broken(&self, rel: &str) -> Option<Missing> {
        self.error
            .as_ref()
            .map(|(line, what)| malformed(rel, *line, what))
    }

    fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The value of `key` and its line.
    fn raw(&self, rel: &str, key: &str) -> Result<(&'a str, usize), Missing> {
        if let Some(m) = self.broken(rel) {
            return Err(m);
        }
        self.get(key).map(|e| (e.value, e.line)).ok_or_else(|| {
            malformed(
                rel,
                self.line,
                &format!("no \"{key}\" line for {}", self.label),
            )
        })
    }

    fn value<T>(&self, rel: &str, key: &str, parse: impl FnOnce(&str) -> Option<T>) -> Fact<T> {
        self.raw(rel, key)
            .and_then(|(v, line)| {
                parse(v).ok_or_else(|| malformed(rel, line, &format!("unexpected {key} {v:?}")))
            })
            .into()
    }
}

struct ProcFile<'a> {
    header: Section<'a>,
    members: Vec<(&'a str, Section<'a>)>,
}

/// Splits the file into the bond's section and one per member. Only a file
/// that is not the bonding driver's report at all fails as a whole.
fn sections<'a>(name: &str, text: &'a str) -> Result<ProcFile<'a>, (usize, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .skip_while(|(_, l)| l.trim().is_empty());
    let Some((first, banner)) = lines.next() else {
        return Err((1, "an empty file".to_owned()));
    };
    if !banner.starts_with(BANNER) {
        return Err((
            first,
            format!("not the bonding driver's report: {banner:?} where {BANNER:?} starts it"),
        ));
    }
    let mut file = ProcFile {
        header: Section::new(name.to_owned(), first),
        members: Vec::new(),
    };
    let mut block = None;
    for (line, text) in lines {
        if text.trim().is_empty() {
            block = None;
            continue;
        }
        if let Some(member) = text.strip_prefix("Slave Interface:") {
            let member = member.trim();
            let label = format!("member {member}");
            file.members.push((member, Section::new(label, line)));
            block = None;
            continue;
        }
        let (section, header) = match file.members.last_mut() {
            Some((_, s)) => (s, false),
            None => (&mut file.header, true),
        };
        if section.error.is_none() {
            section.add(line, text, header, &mut block);
        }
    }
    Ok(file)
}

/// A MAC address as the kernel prints one (`%pM`).
fn is_mac(v: &str) -> bool {
    v.split(':').count() == 6 && is_hw_addr(v)
}

/// A hardware address of any length (`%*phC`: 20 bytes for InfiniBand).
fn is_hw_addr(v: &str) -> bool {
    v.split(':')
        .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn mode_of(text: &str) -> Option<String> {
    // Active-backup may go on with " (fail_over_mac active)".
    MODE_TEXTS.iter().find_map(|(t, mode)| {
        let rest = text.strip_prefix(t)?;
        (rest.is_empty() || rest.starts_with(" (")).then(|| (*mode).to_owned())
    })
}

fn nonempty(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// Parses `proc/net/bonding/NAME` (its text `text`, read from `rel`). A line
/// that cannot be understood makes the facts of its section (the bond's, or
/// one member's) unknown, naming the file and line.
pub fn parse_proc(name: &str, rel: &str, text: &str) -> Bond {
    let file = match sections(name, text) {
        Ok(f) => f,
        Err((line, what)) => return unread(name, rel.to_owned(), &malformed(rel, line, &what)),
    };
    let h = &file.header;
    let mode = h.value(rel, "Bonding Mode", mode_of);
    let uses_active = mode.known().map(|m| mode_has_active_member(m));
    let active_member = if h.get("Currently Active Slave").is_some() || uses_active != Some(false) {
        h.value(rel, "Currently Active Slave", |v| match v {
            "" => None,
            "None" => Some(None),
            n => Some(Some(n.to_owned())),
        })
    } else {
        Fact::Known(None)
    };
    // Kernels that check CAP_NET_ADMIN hide the active aggregator and the
    // members' LACPDU details together; older ones always print the
    // aggregator (or that there is none). So a file with the aggregator but
    // no details comes from a kernel that does not print details, and one
    // with neither from a reader without the capability.
    let no_aggregator = h
        .notes
        .iter()
        .any(|n| n.ends_with("has no active aggregator"));
    let privileged_shown = no_aggregator || h.get(ACTIVE_AGGREGATOR_ID).is_some();
    let lacp = mode.clone().map(|m| {
        (m == LACP_MODE).then(|| BondLacp {
            rate: h.value(rel, "LACP rate", |v| {
                matches!(v, "slow" | "fast").then(|| v.to_owned())
            }),
            active_aggregator_id: if no_aggregator {
                Fact::Known(None)
            } else if privileged_shown {
                h.value(rel, ACTIVE_AGGREGATOR_ID, |v| v.parse().ok().map(Some))
            } else {
                Fact::unknown(
                    Reason::Permission,
                    format!("{rel} shows no active aggregator: {CAP_NET_ADMIN_ONLY}"),
                )
            },
            partner_mac: if no_aggregator {
                Fact::Known(None)
            } else if privileged_shown {
                h.value(rel, ACTIVE_PARTNER_MAC, |v| {
                    is_mac(v).then(|| Some(v.to_owned()))
                })
            } else {
                Fact::unknown(
                    Reason::Permission,
                    format!("{rel} shows no LACP partner: {CAP_NET_ADMIN_ONLY}"),
                )
            },
        })
    });
    let members = file
        .members
        .iter()
        .map(|(member, s)| proc_member(rel, member, s, &mode, privileged_shown))
        .collect();
    Bond {
        name: name.to_owned(),
        source: rel.to_owned(),
        miimon_ms: h.value(rel, "MII Polling Interval (ms)", |v| v.parse().ok()),
        mii_status: h.value(rel, "MII Status", nonempty),
        active_member,
        lacp,
        mode,
        members: Fact::Known(members),
    }
}

/// Why a member has no speed or duplex: its link is down, or (MII up) the
/// driver does not say, which leaves the bond unable to balance by speed.
fn unreported(mii: &Fact<String>, member: &str, what: &str, at: String) -> Missing {
    match mii.known().map(String::as_str) {
        Some(state) if state != "up" => Missing::new(
            Reason::LinkDown,
            format!("{at}: {member} is {state}, so the bond knows no {what}"),
        ),
        Some(_) => Missing::new(
            Reason::NotSupported,
            format!("{at}: the driver reports no {what} for {member}, though its MII status is up"),
        ),
        None => Missing::new(
            Reason::NotSupported,
            format!("{at}: the driver reports no {what} for {member}"),
        ),
    }
}

fn proc_member(
    rel: &str,
    name: &str,
    s: &Section<'_>,
    mode: &Fact<String>,
    privileged_shown: bool,
) -> BondMember {
    let mii_status = s.value(rel, "MII Status", nonempty);
    let speed_mbps = match s.raw(rel, "Speed") {
        Err(m) => Fact::Unknown(m),
        Ok((v, line)) => match v.strip_suffix(" Mbps").map(str::parse::<i64>) {
            Some(Ok(n)) if n > 0 && n <= i64::from(u32::MAX) => Fact::Known(n as u32),
            // Kernels before "Unknown" printed SPEED_UNKNOWN as -1.
            Some(Ok(_)) => Fact::Unknown(unreported(
                &mii_status,
                name,
                "speed",
                format!("{rel}:{line}"),
            )),
            _ if v.eq_ignore_ascii_case("unknown") => Fact::Unknown(unreported(
                &mii_status,
                name,
                "speed",
                format!("{rel}:{line}"),
            )),
            _ => Fact::Unknown(malformed(rel, line, &format!("unexpected Speed {v:?}"))),
        },
    };
    let duplex = match s.raw(rel, "Duplex") {
        Err(m) => Fact::Unknown(m),
        Ok(("full", _)) => Fact::Known(Duplex::Full),
        Ok(("half", _)) => Fact::Known(Duplex::Half),
        Ok((v, line)) if v.eq_ignore_ascii_case("unknown") => Fact::Unknown(unreported(
            &mii_status,
            name,
            "duplex",
            format!("{rel}:{line}"),
        )),
        Ok((v, line)) => Fact::Unknown(malformed(rel, line, &format!("unexpected Duplex {v:?}"))),
    };
    let lacp = mode.clone().map(|m| {
        (m == LACP_MODE).then(|| {
            let aggregator_id = s.value(rel, "Aggregator ID", |v| match v {
                "N/A" => Some(None),
                n => n.parse().ok().map(Some),
            });
            let partner_mac = match (s.broken(rel), s.get(MEMBER_PARTNER_MAC)) {
                (Some(m), _) => Fact::Unknown(m),
                (None, Some(e)) if is_mac(e.value) => Fact::Known(e.value.to_owned()),
                (None, Some(e)) => Fact::Unknown(malformed(
                    rel,
                    e.line,
                    &format!("unexpected partner system mac address {:?}", e.value),
                )),
                (None, None) if matches!(aggregator_id, Fact::Known(None)) => Fact::unknown(
                    Reason::NotSupported,
                    format!("{rel}: {name} is in no aggregator, and the kernel shows the LACP partner of aggregated ports only"),
                ),
                (None, None) if !privileged_shown => Fact::unknown(
                    Reason::Permission,
                    format!("{rel} shows no LACP partner of {name}: {CAP_NET_ADMIN_ONLY}"),
                ),
                (None, None) => Fact::unknown(
                    Reason::NotSupported,
                    format!("{rel}: this kernel does not show the LACP partner of each member"),
                ),
            };
            MemberLacp {
                aggregator_id,
                partner_mac,
            }
        })
    });
    BondMember {
        name: name.to_owned(),
        speed_mbps,
        duplex,
        link_failure_count: s.value(rel, "Link Failure Count", |v| v.parse().ok()),
        permanent_mac: s.value(rel, "Permanent HW addr", |v| match v {
            "" => Some(None),
            a => is_hw_addr(a).then(|| Some(a.to_owned())),
        }),
        lacp,
        mii_status,
    }
}

/// A bond from its sysfs directory `dir` (`sys/class/net/NAME/bonding`),
/// because `proc/net/bonding/NAME` could not be read (`proc`).
fn from_sysfs(source: &Source, name: &str, dir: &str, proc: &Missing) -> Bond {
    let attr = |file: &str| format!("{dir}/{file}");
    // `mode` and `lacp_rate` read "802.3ad 4", "fast 1": name and number.
    let first_word_of = |file: &str, allowed: &[&str]| -> Fact<String> {
        read_parsed(source, &attr(file), |t| {
            let word = t.split_whitespace().next()?;
            allowed.contains(&word).then(|| word.to_owned())
        })
        .into()
    };
    let mode = first_word_of("mode", &BOND_MODES);
    let lacp = mode.clone().map(|m| {
        (m == LACP_MODE).then(|| {
            // 0 when the bond has no active aggregator; ids start at 1.
            let active_aggregator_id: Fact<Option<u32>> =
                read_parsed(source, &attr("ad_aggregator"), |t| {
                    t.parse::<u32>().ok().map(|n| (n != 0).then_some(n))
                })
                .into();
            let partner = attr("ad_partner_mac");
            let partner_mac = match read_value(source, &partner) {
                Ok(v) if v.is_empty() => match active_aggregator_id {
                    Fact::Known(None) => Fact::Known(None),
                    _ => Fact::unknown(
                        Reason::Permission,
                        format!("{partner} is empty: {CAP_NET_ADMIN_ONLY}"),
                    ),
                },
                Ok(v) if is_mac(&v) => Fact::Known(Some(v)),
                Ok(v) => Fact::unknown(Reason::Malformed, format!("{partner}: {v:?}")),
                Err(m) => Fact::Unknown(m),
            };
            BondLacp {
                rate: first_word_of("lacp_rate", &["slow", "fast"]),
                active_aggregator_id,
                partner_mac,
            }
        })
    });
    let members = read_value(source, &attr("slaves")).map(|list| {
        list.split_whitespace()
            .map(|m| sysfs_member(source, name, m, &mode, proc))
            .collect()
    });
    Bond {
        name: name.to_owned(),
        source: dir.to_owned(),
        miimon_ms: read_parsed(source, &attr("miimon"), |t| t.parse().ok()).into(),
        mii_status: read_parsed(source, &attr("mii_status"), nonempty).into(),
        // Empty in modes without an active member, and when none is active.
        active_member: read_value(source, &attr("active_slave"))
            .map(|v| (!v.is_empty()).then_some(v))
            .into(),
        lacp,
        mode,
        members: members.into(),
    }
}

/// The member's directory as the bond links it: `lower_M` since the kernel
/// links upper and lower devices (3.x), `slave_M` before (and in some test
/// trees). The file names read under it are the same.
fn member_dir(source: &Source, bond: &str, member: &str) -> String {
    let lower = format!("sys/class/net/{bond}/lower_{member}");
    let slave = format!("sys/class/net/{bond}/slave_{member}");
    if !source.root().is_dir(&lower) && source.root().is_dir(&slave) {
        slave
    } else {
        lower
    }
}

fn sysfs_member(
    source: &Source,
    bond: &str,
    name: &str,
    mode: &Fact<String>,
    proc: &Missing,
) -> BondMember {
    let dir = member_dir(source, bond, name);
    let file = |f: &str| format!("{dir}/{f}");
    let mii_status: Fact<String> =
        read_parsed(source, &file("bonding_slave/mii_status"), nonempty).into();
    let (speed_mbps, duplex) = sysfs_speed_duplex(source, &dir, name, &mii_status);
    let lacp =
        mode.clone().map(|m| {
            (m == LACP_MODE).then(|| MemberLacp {
                aggregator_id: read_parsed(source, &file("bonding_slave/ad_aggregator_id"), |t| {
                    match t {
                        "N/A" => Some(None),
                        n => n.parse().ok().map(Some),
                    }
                })
                .into(),
                partner_mac: Fact::unknown(
                    proc.reason,
                    format!(
                        "{}; sysfs does not show the LACP partner a member sees",
                        proc.detail
                    ),
                ),
            })
        });
    BondMember {
        name: name.to_owned(),
        speed_mbps,
        duplex,
        link_failure_count: read_parsed(source, &file("bonding_slave/link_failure_count"), |t| {
            t.parse().ok()
        })
        .into(),
        permanent_mac: read_parsed(source, &file("bonding_slave/perm_hwaddr"), |t| match t {
            "" => Some(None),
            a => is_hw_addr(a).then(|| Some(a.to_owned())),
        })
        .into(),
        lacp,
        mii_status,
    }
}

/// The member's own speed and duplex files: the same ethtool answer the
/// bond keeps for it. `-1` and `unknown` mean the driver does not say; a
/// link that is not running refuses the read (EINVAL).
fn sysfs_speed_duplex(
    source: &Source,
    dir: &str,
    name: &str,
    mii: &Fact<String>,
) -> (Fact<u32>, Fact<Duplex>) {
    let read = |file: &str| {
        let rel = format!("{dir}/{file}");
        match source.root().read_value(&rel) {
            Ok(v) => Ok((v, rel)),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                Err(unreported(mii, name, file, rel))
            }
            Err(e) => Err(file_missing(&rel, &e)),
        }
    };
    let speed = match read("speed") {
        Err(m) => Fact::Unknown(m),
        Ok((v, rel)) => match v.parse::<i64>() {
            Ok(s) if s > 0 && s <= i64::from(u32::MAX) => Fact::Known(s as u32),
            Ok(_) => Fact::Unknown(unreported(mii, name, "speed", rel)),
            Err(_) => Fact::unknown(Reason::Malformed, format!("{rel}: {v:?}")),
        },
    };
    let duplex = match read("duplex") {
        Err(m) => Fact::Unknown(m),
        Ok((v, rel)) => match v.as_str() {
            "full" => Fact::Known(Duplex::Full),
            "half" => Fact::Known(Duplex::Half),
            "unknown" => Fact::Unknown(unreported(mii, name, "duplex", rel)),
            _ => Fact::unknown(Reason::Malformed, format!("{rel}: {v:?}")),
        },
    };
    (speed, duplex)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REL: &str = "proc/net/bonding/bond0";

    /// What a 6.x kernel prints for a privileged reader: an 802.3ad bond
    /// whose second member is down and sits in an aggregator of its own.
    const LACP: &str = "Ethernet Channel Bonding Driver: v6.8.0

Bonding Mode: IEEE 802.3ad Dynamic link aggregation
Transmit Hash Policy: layer2 (0)
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 0
Down Delay (ms): 0
Peer Notification Delay (ms): 0

802.3ad info
LACP active: on
LACP rate: fast
Min links: 0
Aggregator selection policy (ad_select): stable
System priority: 65535
System MAC address: 02:00:00:00:00:01
Active Aggregator Info:
\tAggregator ID: 1
\tNumber of ports: 1
\tActor Key: 15
\tPartner Key: 10
\tPartner Mac Address: 02:00:00:00:00:99

Slave Interface: eth0
MII Status: up
Speed: 10000 Mbps
Duplex: full
Link Failure Count: 0
Permanent HW addr: 02:00:00:00:00:01
Slave queue ID: 0
Aggregator ID: 1
details partner lacp pdu:
    system priority: 32768
    system mac address: 02:00:00:00:00:99
    oper key: 10

Slave Interface: eth1
MII Status: down
Speed: Unknown
Duplex: Unknown
Link Failure Count: 3
Permanent HW addr: 02:00:00:00:00:02
Slave queue ID: 0
Aggregator ID: 2
details partner lacp pdu:
    system priority: 65535
    system mac address: 00:00:00:00:00:00
    oper key: 1
";

    fn known<T: std::fmt::Debug>(f: &Fact<T>) -> &T {
        f.known().unwrap_or_else(|| panic!("unknown: {f:?}"))
    }

    fn missing<T: std::fmt::Debug>(f: &Fact<T>, reason: Reason) -> &Missing {
        match f {
            Fact::Unknown(m) if m.reason == reason => m,
            other => panic!("expected {reason}, got {other:?}"),
        }
    }

    fn members(b: &Bond) -> &[BondMember] {
        known(&b.members).as_slice()
    }

    fn member_lacp(m: &BondMember) -> &MemberLacp {
        known(&m.lacp).as_ref().expect("an 802.3ad member")
    }

    #[test]
    fn an_lacp_bond_with_one_member_down() {
        let b = parse_proc("bond0", REL, LACP);
        assert_eq!(b.source, REL);
        assert_eq!(known(&b.mode), "802.3ad");
        assert_eq!(*known(&b.miimon_ms), 100);
        assert_eq!(known(&b.mii_status), "up");
        assert_eq!(*known(&b.active_member), None);
        let lacp = known(&b.lacp).as_ref().unwrap();
        assert_eq!(known(&lacp.rate), "fast");
        assert_eq!(*known(&lacp.active_aggregator_id), Some(1));
        assert_eq!(
            known(&lacp.partner_mac).as_deref(),
            Some("02:00:00:00:00:99")
        );
        let [eth0, eth1] = members(&b) else {
            panic!("{:?}", b.members)
        };
        assert_eq!(eth0.name, "eth0");
        assert_eq!(*known(&eth0.speed_mbps), 10000);
        assert_eq!(*known(&eth0.duplex), Duplex::Full);
        assert_eq!(*known(&member_lacp(eth0).aggregator_id), Some(1));
        assert_eq!(known(&member_lacp(eth0).partner_mac), "02:00:00:00:00:99");
        assert_eq!(known(&eth1.mii_status), "down");
        assert_eq!(*known(&eth1.link_failure_count), 3);
        // Down, so no speed: a link-down reason naming the line, never 0.
        let m = missing(&eth1.speed_mbps, Reason::LinkDown);
        assert!(m.detail.starts_with(&format!("{REL}:40:")), "{m}");
        missing(&eth1.duplex, Reason::LinkDown);
        assert_eq!(*known(&member_lacp(eth1).aggregator_id), Some(2));
        // An all-zero partner is kept: it is the sign of no partner.
        assert_eq!(known(&member_lacp(eth1).partner_mac), "00:00:00:00:00:00");
    }

    #[test]
    fn speed_unknown_while_mii_is_up_is_not_supported_not_link_down() {
        let text = LACP.replace("MII Status: down", "MII Status: up");
        let b = parse_proc("bond0", REL, &text);
        let m = missing(&members(&b)[1].speed_mbps, Reason::NotSupported);
        assert!(m.detail.contains("MII status is up"), "{m}");
        // Kernels before "Unknown" printed -1.
        let text = LACP.replace("Speed: Unknown", "Speed: -1 Mbps");
        let b = parse_proc("bond0", REL, &text);
        missing(&members(&b)[1].speed_mbps, Reason::LinkDown);
    }

    #[test]
    fn modes_by_their_kernel_names() {
        for (text, mode) in MODE_TEXTS {
            let file = LACP.replace("IEEE 802.3ad Dynamic link aggregation", text);
            let b = parse_proc("bond0", REL, &file);
            assert_eq!(known(&b.mode), mode);
            // Only 802.3ad has LACP state, for the bond and each member.
            assert_eq!(known(&b.lacp).is_some(), mode == "802.3ad");
            assert_eq!(known(&members(&b)[0].lacp).is_some(), mode == "802.3ad");
        }
        assert_eq!(
            mode_of("fault-tolerance (active-backup) (fail_over_mac active)").as_deref(),
            Some("active-backup")
        );
        assert_eq!(mode_of("load balancing (round-robin)x"), None);
        let b = parse_proc("bond0", REL, &LACP.replace("IEEE 802.3ad", "IEEE 802.1AX"));
        let m = missing(&b.mode, Reason::Malformed);
        assert!(m.detail.starts_with(&format!("{REL}:3: ")), "{m}");
    }

    #[test]
    fn active_backup_without_an_active_member() {
        let text = LACP
            .replace(
                "IEEE 802.3ad Dynamic link aggregation",
                "fault-tolerance (active-backup)",
            )
            .replace(
                "MII Status: up\nMII Polling",
                "Primary Slave: None\nCurrently Active Slave: None\nMII Status: up\nMII Polling",
            );
        let b = parse_proc("bond0", REL, &text);
        assert_eq!(*known(&b.active_member), None);
        let text = text.replace("Active Slave: None", "Active Slave: eth0");
        let b = parse_proc("bond0", REL, &text);
        assert_eq!(known(&b.active_member).as_deref(), Some("eth0"));
        // The mode has one: a file without the line does not say "none".
        let text = text.replace("Currently Active Slave: eth0\n", "");
        missing(
            &parse_proc("bond0", REL, &text).active_member,
            Reason::Malformed,
        );
    }

    #[test]
    fn no_active_aggregator_and_a_port_in_none() {
        let text = LACP
            .replace(
                "Active Aggregator Info:\n\tAggregator ID: 1\n\tNumber of ports: 1\n\tActor Key: 15\n\tPartner Key: 10\n\tPartner Mac Address: 02:00:00:00:00:99\n",
                "bond bond0 has no active aggregator\n",
            )
            .replace("Aggregator ID: 2\ndetails partner lacp pdu:\n    system priority: 65535\n    system mac address: 00:00:00:00:00:00\n    oper key: 1\n", "Aggregator ID: N/A\n");
        let b = parse_proc("bond0", REL, &text);
        let lacp = known(&b.lacp).as_ref().unwrap();
        assert_eq!(*known(&lacp.active_aggregator_id), None);
        assert_eq!(*known(&lacp.partner_mac), None);
        let eth1 = member_lacp(&members(&b)[1]);
        assert_eq!(*known(&eth1.aggregator_id), None);
        missing(&eth1.partner_mac, Reason::NotSupported);
    }

    #[test]
    fn an_unprivileged_read_lacks_the_aggregator_and_partners() {
        let mut text = String::new();
        let mut skip = false;
        for line in LACP.lines() {
            skip = match line {
                "System priority: 65535" | "details partner lacp pdu:" => true,
                "" | "Slave Interface: eth1" => false,
                _ => skip,
            };
            if !skip {
                text.push_str(line);
                text.push('\n');
            }
        }
        let b = parse_proc("bond0", REL, &text);
        let lacp = known(&b.lacp).as_ref().unwrap();
        assert_eq!(known(&lacp.rate), "fast");
        missing(&lacp.active_aggregator_id, Reason::Permission);
        missing(&lacp.partner_mac, Reason::Permission);
        let eth0 = member_lacp(&members(&b)[0]);
        assert_eq!(*known(&eth0.aggregator_id), Some(1));
        let m = missing(&eth0.partner_mac, Reason::Permission);
        assert!(m.detail.contains("CAP_NET_ADMIN"), "{m}");
    }

    #[test]
    fn a_bad_line_makes_its_section_unknown_and_names_it() {
        // In the bond's part: the bond's facts, and what depends on the
        // mode; the members' own facts still read.
        let b = parse_proc("bond0", REL, &LACP.replace("Up Delay (ms): 0", "Up Delay"));
        let m = missing(&b.mode, Reason::Malformed);
        assert_eq!(
            m.detail,
            format!("{REL}:7: not a \"key: value\" line: \"Up Delay\"")
        );
        missing(&b.miimon_ms, Reason::Malformed);
        missing(&b.lacp, Reason::Malformed);
        assert_eq!(*known(&members(&b)[0].speed_mbps), 10000);
        missing(&members(&b)[0].lacp, Reason::Malformed);
        // In a member's: that member only.
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Link Failure Count: 3", "Link Failure"),
        );
        assert_eq!(*known(&b.miimon_ms), 100);
        assert_eq!(*known(&members(&b)[0].link_failure_count), 0);
        let eth1 = &members(&b)[1];
        assert_eq!(eth1.name, "eth1");
        let m = missing(&eth1.mii_status, Reason::Malformed);
        assert!(m.detail.starts_with(&format!("{REL}:42:")), "{m}");
        // A repeated key, and an indented line outside a block.
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Duplex: full", "Speed: 1000 Mbps"),
        );
        let m = missing(&members(&b)[0].speed_mbps, Reason::Malformed);
        assert!(m.detail.contains(":28: a second \"Speed\" line"), "{m}");
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Duplex: full", "  Duplex: full"),
        );
        missing(&members(&b)[0].duplex, Reason::Malformed);
    }

    #[test]
    fn bad_values_and_missing_lines_name_their_line() {
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Speed: 10000 Mbps", "Speed: fast"),
        );
        let m = missing(&members(&b)[0].speed_mbps, Reason::Malformed);
        assert_eq!(m.detail, format!("{REL}:27: unexpected Speed \"fast\""));
        let b = parse_proc("bond0", REL, &LACP.replace("Duplex: full\n", ""));
        let m = missing(&members(&b)[0].duplex, Reason::Malformed);
        assert_eq!(
            m.detail,
            format!("{REL}:25: no \"Duplex\" line for member eth0")
        );
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("02:00:00:00:00:99", "02:00:00:00:00"),
        );
        missing(
            &known(&b.lacp).as_ref().unwrap().partner_mac,
            Reason::Malformed,
        );
        missing(&member_lacp(&members(&b)[0]).partner_mac, Reason::Malformed);
    }

    #[test]
    fn a_file_that_is_not_a_bonding_report_is_unknown_as_a_whole() {
        for (text, line) in [("", 1), ("\n\nMII Status: up\n", 3), ("garbage", 1)] {
            let b = parse_proc("bond0", REL, text);
            let m = missing(&b.members, Reason::Malformed);
            assert!(m.detail.starts_with(&format!("{REL}:{line}: ")), "{m}");
            assert_eq!(b.mode.missing(), Some(m));
        }
    }

    #[test]
    fn an_empty_permanent_address_is_none() {
        let text = LACP.replace("Permanent HW addr: 02:00:00:00:00:01", "Permanent HW addr:");
        let b = parse_proc("bond0", REL, &text);
        assert_eq!(*known(&members(&b)[0].permanent_mac), None);
        // InfiniBand members have 20-byte addresses.
        let ib = ["80"; 20].join(":");
        let text = LACP.replace("02:00:00:00:00:01\nSlave", &format!("{ib}\nSlave"));
        let b = parse_proc("bond0", REL, &text);
        assert_eq!(known(&members(&b)[0].permanent_mac).as_deref(), Some(&*ib));
    }

    /// Any cut of the file, as a truncated copy would give, reads without
    /// a panic, and never makes a known speed other than the whole file's.
    #[test]
    fn every_cut_reads_without_inventing_a_speed() {
        let whole = parse_proc("bond0", REL, LACP);
        for (cut, _) in LACP.char_indices() {
            let b = parse_proc("bond0", REL, &LACP[..cut]);
            if let Fact::Known(members) = &b.members {
                for (m, w) in members.iter().zip(known(&whole.members)) {
                    if let Fact::Known(s) = m.speed_mbps {
                        assert_eq!(Fact::Known(s), w.speed_mbps, "cut at {cut}");
                    }
                }
            }
        }
    }
}
