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
    BOND_MODES, Bond, BondLacp, BondMember, CHURN_STATES, Duplex, Fact, MemberLacp, Missing,
    Reason, XMIT_HASH_POLICIES, mode_has_active_member, mode_uses_xmit_hash,
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
        up_delay_ms: Fact::Unknown(m.clone()),
        down_delay_ms: Fact::Unknown(m.clone()),
        arp_interval_ms: Fact::Unknown(m.clone()),
        arp_targets: Fact::Unknown(m.clone()),
        xmit_hash_policy: Fact::Unknown(m.clone()),
        primary: Fact::Unknown(m.clone()),
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
    /// Lines that could not be understood. The well-formed lines around
    /// them still say what they say; a fact whose line is not among them
    /// may have been the bad line, so it is unknown, naming that line.
    errors: Vec<(usize, String)>,
    /// Keys given twice: which of the two holds is not known.
    repeated: Vec<(String, usize)>,
}

impl<'a> Section<'a> {
    fn new(label: String, line: usize) -> Section<'a> {
        Section {
            label,
            line,
            entries: Vec::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            repeated: Vec::new(),
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
                self.errors
                    .push((line, format!("not a \"key: value\" line: {trimmed:?}")));
            }
            return;
        };
        let (key, value) = (key.trim_end(), value.trim());
        let key = if indented {
            match block {
                Some(b) => format!("{b}/{key}"),
                None => {
                    self.errors.push((
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
            self.repeated.push((key, line));
            return;
        }
        self.entries.push(Entry { key, value, line });
    }

    /// Why a line the section lacks cannot be told absent: the first line
    /// that could not be read.
    fn unreadable(&self, rel: &str, key: &str) -> Option<Missing> {
        self.errors.first().map(|(line, what)| {
            malformed(
                rel,
                *line,
                &format!(
                    "{what}, so whether {} has a \"{key}\" line is not known",
                    self.label
                ),
            )
        })
    }

    /// The line of `key`, if there is exactly one; a repeated key is
    /// malformed.
    fn entry(&self, rel: &str, key: &str) -> Result<Option<&Entry<'a>>, Missing> {
        if let Some((_, line)) = self.repeated.iter().find(|(k, _)| k == key) {
            return Err(malformed(rel, *line, &format!("a second \"{key}\" line")));
        }
        Ok(self.entries.iter().find(|e| e.key == key))
    }

    fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The value of `key` and its line.
    fn raw(&self, rel: &str, key: &str) -> Result<(&'a str, usize), Missing> {
        match self.entry(rel, key)? {
            Some(e) => Ok((e.value, e.line)),
            None => Err(self.unreadable(rel, key).unwrap_or_else(|| {
                malformed(
                    rel,
                    self.line,
                    &format!("no \"{key}\" line for {}", self.label),
                )
            })),
        }
    }

    /// The value of a line the kernel prints only in some cases: `absent`
    /// when the section does not have it (and has no unreadable line that
    /// could have been it).
    fn optional<T>(
        &self,
        rel: &str,
        key: &str,
        absent: T,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Fact<T> {
        match self.entry(rel, key) {
            Err(m) => Fact::Unknown(m),
            Ok(None) => match self.unreadable(rel, key) {
                Some(m) => Fact::Unknown(m),
                None => Fact::Known(absent),
            },
            Ok(Some(e)) => parse(e.value).map_or_else(
                || {
                    Fact::Unknown(malformed(
                        rel,
                        e.line,
                        &format!("unexpected {key} {:?}", e.value),
                    ))
                },
                Fact::Known,
            ),
        }
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
        section.add(line, text, header, &mut block);
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

/// `layer3+4 (1)`: the policy's name, as sysfs also prints it.
fn hash_policy(v: &str) -> Option<String> {
    let name = v.split_whitespace().next()?;
    XMIT_HASH_POLICIES.contains(&name).then(|| name.to_owned())
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
    // Not shown to this reader, unless a line that could not be read was
    // the one that showed it.
    let hidden = |what: &str, key: &str| -> Missing {
        h.unreadable(rel, key).unwrap_or_else(|| {
            Missing::new(
                Reason::Permission,
                format!("{rel} shows no {what}: {CAP_NET_ADMIN_ONLY}"),
            )
        })
    };
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
                Fact::Unknown(hidden("active aggregator", ACTIVE_AGGREGATOR_ID))
            },
            partner_mac: if no_aggregator {
                Fact::Known(None)
            } else if privileged_shown {
                h.value(rel, ACTIVE_PARTNER_MAC, |v| {
                    is_mac(v).then(|| Some(v.to_owned()))
                })
            } else {
                Fact::Unknown(hidden("LACP partner", ACTIVE_PARTNER_MAC))
            },
        })
    });
    let xmit_hash_policy = match mode.known().map(String::as_str) {
        Some("802.3ad" | "balance-xor") => {
            h.value(rel, "Transmit Hash Policy", |v| hash_policy(v).map(Some))
        }
        Some(_) => h.optional(rel, "Transmit Hash Policy", None, |v| {
            hash_policy(v).map(Some)
        }),
        None => Fact::Unknown(
            mode.missing()
                .cloned()
                .unwrap_or_else(|| malformed(rel, h.line, "no mode, so no transmit hash policy")),
        ),
    };
    let primary = if h.get("Primary Slave").is_some() || uses_active != Some(false) {
        h.value(rel, "Primary Slave", |v| {
            // `em3 (primary_reselect failure)`
            match v.split(" (").next().unwrap_or(v) {
                "" => None,
                "None" => Some(None),
                n => Some(Some(n.to_owned())),
            }
        })
    } else {
        Fact::Known(None)
    };
    let arp_interval_ms = h.optional(rel, "ARP Polling Interval (ms)", 0, |v| v.parse().ok());
    let arp_targets = h.optional(rel, "ARP IP target/s (n.n.n.n form)", Vec::new(), |v| {
        v.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.parse::<std::net::Ipv4Addr>().ok().map(|a| a.to_string()))
            .collect()
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
        up_delay_ms: h.value(rel, "Up Delay (ms)", |v| v.parse().ok()),
        down_delay_ms: h.value(rel, "Down Delay (ms)", |v| v.parse().ok()),
        arp_interval_ms,
        arp_targets,
        xmit_hash_policy,
        primary,
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
            let in_none = matches!(aggregator_id, Fact::Known(None));
            // Why a member line the kernel prints only sometimes is not
            // there: a line that could not be read, no aggregator, or a
            // kernel that does not print it.
            let lacks = |key: &str, what: &str, hidden_unprivileged: bool| -> Missing {
                if let Err(m) = s.entry(rel, key) {
                    return m;
                }
                if let Some(m) = s.unreadable(rel, key) {
                    return m;
                }
                if in_none {
                    return Missing::new(
                        Reason::NotSupported,
                        format!("{rel}: {name} is in no aggregator, and the kernel shows the {what} of aggregated ports only"),
                    );
                }
                if hidden_unprivileged && !privileged_shown {
                    return Missing::new(
                        Reason::Permission,
                        format!("{rel} shows no {what} of {name}: {CAP_NET_ADMIN_ONLY}"),
                    );
                }
                Missing::new(
                    Reason::NotSupported,
                    format!("{rel}: this kernel does not show the {what} of each member"),
                )
            };
            let partner_mac = match s.entry(rel, MEMBER_PARTNER_MAC) {
                Ok(Some(e)) if is_mac(e.value) => Fact::Known(e.value.to_owned()),
                Ok(Some(e)) => Fact::Unknown(malformed(
                    rel,
                    e.line,
                    &format!("unexpected partner system mac address {:?}", e.value),
                )),
                _ => Fact::Unknown(lacks(MEMBER_PARTNER_MAC, "LACP partner", true)),
            };
            let churn = |key: &str| -> Fact<String> {
                match s.entry(rel, key) {
                    Ok(Some(e)) if CHURN_STATES.contains(&e.value) => {
                        Fact::Known(e.value.to_owned())
                    }
                    Ok(Some(e)) => Fact::Unknown(malformed(
                        rel,
                        e.line,
                        &format!("unexpected {key} {:?}", e.value),
                    )),
                    _ => Fact::Unknown(lacks(key, "LACP churn state", false)),
                }
            };
            let churned = |key: &str| -> Fact<u64> {
                match s.entry(rel, key) {
                    Ok(Some(e)) => e.value.parse().map_or_else(
                        |_| {
                            Fact::Unknown(malformed(
                                rel,
                                e.line,
                                &format!("unexpected {key} {:?}", e.value),
                            ))
                        },
                        Fact::Known,
                    ),
                    _ => Fact::Unknown(lacks(key, "LACP churn count", false)),
                }
            };
            MemberLacp {
                aggregator_id,
                partner_mac,
                actor_churn: churn("Actor Churn State"),
                partner_churn: churn("Partner Churn State"),
                actor_churned_count: churned("Actor Churned Count"),
                partner_churned_count: churned("Partner Churned Count"),
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
    let ms =
        |file: &str| -> Fact<u32> { read_parsed(source, &attr(file), |t| t.parse().ok()).into() };
    // sysfs shows a policy in every mode; it matters in those that hash.
    let xmit_hash_policy = mode.clone().and_then(|m| {
        if mode_uses_xmit_hash(&m) {
            read_parsed(source, &attr("xmit_hash_policy"), hash_policy)
                .map(Some)
                .into()
        } else {
            Fact::Known(None)
        }
    });
    Bond {
        name: name.to_owned(),
        source: dir.to_owned(),
        miimon_ms: ms("miimon"),
        up_delay_ms: ms("updelay"),
        down_delay_ms: ms("downdelay"),
        arp_interval_ms: ms("arp_interval"),
        arp_targets: read_parsed(source, &attr("arp_ip_target"), |t| {
            t.split_whitespace()
                .map(|a| a.parse::<std::net::Ipv4Addr>().ok().map(|a| a.to_string()))
                .collect()
        })
        .into(),
        xmit_hash_policy,
        // Empty when none is set; the modes without an active member have
        // none.
        primary: read_value(source, &attr("primary"))
            .map(|v| (!v.is_empty()).then_some(v))
            .into(),
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

/// A fact only `proc/net/bonding` shows, unknown for the reason that file
/// could not be read.
fn not_in_sysfs<T>(proc: &Missing, what: &str) -> Fact<T> {
    Fact::unknown(
        proc.reason,
        format!("{}; sysfs does not show {what}", proc.detail),
    )
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
                partner_mac: not_in_sysfs(proc, "the LACP partner a member sees"),
                actor_churn: not_in_sysfs(proc, "a member's LACP churn"),
                partner_churn: not_in_sysfs(proc, "a member's LACP churn"),
                actor_churned_count: not_in_sysfs(proc, "a member's LACP churn"),
                partner_churned_count: not_in_sysfs(proc, "a member's LACP churn"),
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
    fn a_bad_line_costs_only_the_facts_it_could_have_been() {
        // In the bond's part: the delay whose line it was is unknown,
        // naming the line; the well-formed lines around it still hold.
        let b = parse_proc("bond0", REL, &LACP.replace("Up Delay (ms): 0", "Up Delay"));
        let m = missing(&b.up_delay_ms, Reason::Malformed);
        assert_eq!(
            m.detail,
            format!(
                "{REL}:7: not a \"key: value\" line: \"Up Delay\", so whether bond0 has a \"Up Delay (ms)\" line is not known"
            )
        );
        assert_eq!(known(&b.mode), "802.3ad");
        assert_eq!(*known(&b.miimon_ms), 100);
        assert_eq!(*known(&b.down_delay_ms), 0);
        assert!(known(&b.lacp).is_some());
        assert_eq!(*known(&members(&b)[0].speed_mbps), 10000);
        assert_eq!(*known(&member_lacp(&members(&b)[0]).aggregator_id), Some(1));
        // A line printed only sometimes (the ARP monitor's) cannot be told
        // absent beside a line that could not be read.
        missing(&b.arp_interval_ms, Reason::Malformed);
        // In a member's: that member's facts only, and of those only the
        // one whose line is missing.
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Link Failure Count: 3", "Link Failure"),
        );
        assert_eq!(*known(&b.miimon_ms), 100);
        assert_eq!(*known(&members(&b)[0].link_failure_count), 0);
        let eth1 = &members(&b)[1];
        assert_eq!(eth1.name, "eth1");
        assert_eq!(known(&eth1.mii_status), "down");
        let m = missing(&eth1.link_failure_count, Reason::Malformed);
        assert!(m.detail.starts_with(&format!("{REL}:42:")), "{m}");
        assert_eq!(*known(&member_lacp(eth1).aggregator_id), Some(2));
        // A repeated key is malformed: which of the two holds is unknown.
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Duplex: full", "Speed: 1000 Mbps"),
        );
        let m = missing(&members(&b)[0].speed_mbps, Reason::Malformed);
        assert!(m.detail.contains(":28: a second \"Speed\" line"), "{m}");
        // An indented line outside a block: the line it should have been.
        let b = parse_proc(
            "bond0",
            REL,
            &LACP.replace("Duplex: full", "  Duplex: full"),
        );
        missing(&members(&b)[0].duplex, Reason::Malformed);
        assert_eq!(known(&members(&b)[0].mii_status), "up");
    }

    #[test]
    fn hash_policy_delays_and_lacp_churn() {
        let text = LACP
            .replace("Up Delay (ms): 0", "Up Delay (ms): 200")
            .replace("Down Delay (ms): 0", "Down Delay (ms): 100")
            .replace("Transmit Hash Policy: layer2 (0)", "Transmit Hash Policy: layer3+4 (1)")
            .replace(
                "Aggregator ID: 2\n",
                "Aggregator ID: 2\nActor Churn State: churned\nPartner Churn State: churned\nActor Churned Count: 1\nPartner Churned Count: 3\n",
            );
        let b = parse_proc("bond0", REL, &text);
        assert_eq!(known(&b.xmit_hash_policy).as_deref(), Some("layer3+4"));
        assert_eq!(
            (*known(&b.up_delay_ms), *known(&b.down_delay_ms)),
            (200, 100)
        );
        // No ARP monitor: its lines are not printed.
        assert_eq!(*known(&b.arp_interval_ms), 0);
        assert!(known(&b.arp_targets).is_empty());
        // 802.3ad has no primary.
        assert_eq!(*known(&b.primary), None);
        let eth1 = member_lacp(&members(&b)[1]);
        assert_eq!(known(&eth1.actor_churn), "churned");
        assert_eq!(known(&eth1.partner_churn), "churned");
        assert_eq!(*known(&eth1.partner_churned_count), 3);
        // eth0's part prints no churn: a kernel without churn detection.
        let m = missing(
            &member_lacp(&members(&b)[0]).actor_churn,
            Reason::NotSupported,
        );
        assert!(
            m.detail.contains("does not show the LACP churn state"),
            "{m}"
        );
        // The policy line is required where the mode hashes.
        let b = parse_proc(
            "bond0",
            REL,
            &text.replace("Transmit Hash Policy: layer3+4 (1)\n", ""),
        );
        missing(&b.xmit_hash_policy, Reason::Malformed);
        let b = parse_proc("bond0", REL, &text.replace("layer3+4 (1)", "layer9 (9)"));
        missing(&b.xmit_hash_policy, Reason::Malformed);
        let m = missing(
            &member_lacp(
                &members(&parse_proc(
                    "bond0",
                    REL,
                    &text.replace("Actor Churn State: churned", "Actor Churn State: stuck"),
                ))[1],
            )
            .actor_churn,
            Reason::Malformed,
        )
        .clone();
        assert!(m.detail.contains("\"stuck\""), "{m}");
    }

    #[test]
    fn an_arp_monitor_and_a_primary_in_active_backup() {
        let text = LACP
            .replace(
                "IEEE 802.3ad Dynamic link aggregation\nTransmit Hash Policy: layer2 (0)",
                "fault-tolerance (active-backup)\nPrimary Slave: eth1 (primary_reselect failure)\nCurrently Active Slave: eth0",
            )
            .replace(
                "Peer Notification Delay (ms): 0\n",
                "Peer Notification Delay (ms): 0\nARP Polling Interval (ms): 1000\nARP IP target/s (n.n.n.n form): 10.0.0.1, 10.0.0.254\n",
            );
        let b = parse_proc("bond0", REL, &text);
        assert_eq!(known(&b.mode), "active-backup");
        assert_eq!(known(&b.primary).as_deref(), Some("eth1"));
        assert_eq!(known(&b.active_member).as_deref(), Some("eth0"));
        assert_eq!(*known(&b.xmit_hash_policy), None);
        assert_eq!(*known(&b.arp_interval_ms), 1000);
        assert_eq!(known(&b.arp_targets), &["10.0.0.1", "10.0.0.254"]);
        let b = parse_proc("bond0", REL, &text.replace("10.0.0.254", "10.0.0"));
        missing(&b.arp_targets, Reason::Malformed);
        let b = parse_proc(
            "bond0",
            REL,
            &text.replace("eth1 (primary_reselect failure)", "None"),
        );
        assert_eq!(*known(&b.primary), None);
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
