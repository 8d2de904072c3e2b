//! md RAID arrays, from sysfs (`sys/block/mdN/md/`) and `proc/mdstat`.
//!
//! The two disagree in detail. sysfs gives each fact on its own, as the
//! md driver keeps it: `array_state` tells `clean` from `active`, `degraded`
//! counts the missing members, each member has its own flags (`in_sync`,
//! `faulty`, `spare`, ...), `sync_action` names the work under way and
//! `sync_completed` its progress in sectors. mdstat is the summary people
//! read: `active`/`inactive`, `[n/m] [UU_]`, members with (F)/(S) marks
//! only, progress in percent, and it calls a rebuild `recovery` where
//! sysfs says `recover`.
//!
//! **sysfs wins.** For every array that has a `md/` directory in sysfs,
//! every fact comes from there. mdstat is read for the arrays sysfs does
//! not show (a root holding only a copy of /proc, such as a sosreport
//! extract), and its words are mapped to sysfs's (`recovery` → `recover`,
//! `(read-only)` → `readonly`, `(auto-read-only)` → `read-auto`), so a
//! policy reads the same either way. A `[n/m]` that contradicts its own
//! `[UU_]` is malformed, not believed.

use std::collections::BTreeSet;

use super::{block::BLOCK, class_entries, malformed};
use crate::collect::{absent_on_host, file_missing, read_parsed, read_value};
use crate::snapshot::{
    BlockDevice, Fact, MdArray, MdDisagreement, MdMember, MdSync, Missing, Reason,
};
use crate::source::Source;

pub const MDSTAT: &str = "proc/mdstat";

/// Levels without redundancy: nothing to be degraded, nothing to sync.
fn without_redundancy(level: &str) -> bool {
    matches!(level, "raid0" | "linear" | "container" | "faulty" | "")
}

pub fn collect(source: &Source, block: &Fact<Vec<BlockDevice>>) -> Fact<Vec<MdArray>> {
    let mdstat = match source.root().read(MDSTAT) {
        Ok(text) => Some(parse_mdstat(MDSTAT, &text)),
        Err(e) if absent_on_host(&e) => Some(Ok(Vec::new())),
        Err(e) => {
            let m = file_missing(MDSTAT, &e);
            if block.known().is_none() {
                return Fact::Unknown(m);
            }
            None
        }
    };
    let mut arrays = Vec::new();
    let mut in_sysfs = BTreeSet::new();
    match block {
        Fact::Known(devices) => {
            for b in devices.iter().filter(|b| b.name.starts_with("md")) {
                let dir = format!("{BLOCK}/{}/md", b.name);
                if source.root().is_dir(&dir) {
                    in_sysfs.insert(b.name.clone());
                    arrays.push(from_sysfs(source, &b.name, &dir));
                }
            }
        }
        Fact::Unknown(m) => {
            if let Some(Err(e)) = &mdstat {
                return Fact::Unknown(Missing::new(
                    e.reason,
                    format!("{}; {}", m.detail, e.detail),
                ));
            }
        }
    }
    match mdstat {
        Some(Ok(list)) => {
            for a in list {
                match arrays
                    .iter_mut()
                    .find(|s| in_sysfs.contains(&s.name) && s.name == a.name)
                {
                    Some(sysfs) => sysfs.mdstat_disagrees = disagreements(&a, sysfs),
                    None => arrays.push(a),
                }
            }
        }
        // Unreadable or malformed mdstat: sysfs still names every array of
        // a live host; a fixture's sysfs copy is what it is.
        Some(Err(m)) if arrays.is_empty() => return Fact::Unknown(m),
        _ => {}
    }
    Fact::Known(arrays)
}

fn from_sysfs(source: &Source, name: &str, dir: &str) -> MdArray {
    let text = |file: &str| -> Fact<String> { read_value(source, &format!("{dir}/{file}")).into() };
    let level = text("level");
    let redundant = level.known().map(|l| !without_redundancy(l));
    let degraded = match redundant {
        Some(false) => Fact::Known(None),
        Some(true) => read_parsed(source, &format!("{dir}/degraded"), |t| {
            t.parse().ok().map(Some)
        })
        .into(),
        None => level.clone().map(|_| None),
    };
    let raid_disks_rel = format!("{dir}/raid_disks");
    // During a reshape: `new (old)`.
    let raid_disks = match read_value(source, &raid_disks_rel) {
        Ok(t) if t.is_empty() => Fact::unknown(
            Reason::NotSupported,
            format!("{raid_disks_rel} is empty: the array has no member slots"),
        ),
        Ok(t) => t
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .map_or_else(
                || Fact::Unknown(malformed(&raid_disks_rel, &t)),
                Fact::Known,
            ),
        Err(m) => Fact::Unknown(m),
    };
    // A member whose flags cannot be read may be the faulty one: the
    // members are unknown then, not a member without flags.
    let members = class_entries(source, dir).and_then(|names| {
        names
            .iter()
            .filter_map(|n| n.strip_prefix("dev-"))
            .map(|dev| {
                read_value(source, &format!("{dir}/dev-{dev}/state")).map(|s| MdMember {
                    device: dev.to_owned(),
                    state: s
                        .split(',')
                        .map(str::to_owned)
                        .filter(|s| !s.is_empty())
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, Missing>>()
    });
    let sync = match redundant {
        Some(false) => Fact::Known(None),
        _ => read_value(source, &format!("{dir}/sync_action"))
            .and_then(|action| {
                if action == "idle" || action == "frozen" {
                    return Ok(None);
                }
                let done_rel = format!("{dir}/sync_completed");
                let done = read_value(source, &done_rel)?;
                Ok(Some(MdSync {
                    action,
                    done_percent: progress(&done),
                }))
            })
            .into(),
    };
    let mismatch_count = match redundant {
        Some(false) => Fact::unknown(
            Reason::NotSupported,
            format!("{name} has no redundancy to compare: no mismatch count"),
        ),
        _ => read_parsed(source, &format!("{dir}/mismatch_cnt"), |t| t.parse().ok()).into(),
    };
    MdArray {
        name: name.to_owned(),
        source: dir.to_owned(),
        level,
        state: text("array_state"),
        raid_disks,
        degraded,
        members: members.into(),
        sync,
        mismatch_count,
        mdstat_disagrees: Vec::new(),
    }
}

/// The mdstat word for a sysfs `array_state`: mdstat says only whether an
/// array runs, and whether read-only.
fn mdstat_state(sysfs: &str) -> &str {
    match sysfs {
        "inactive" | "clear" => "inactive",
        "readonly" | "read-auto" => sysfs,
        _ => "active",
    }
}

/// Where mdstat's array `m` says otherwise than sysfs's `s`, fact by fact,
/// for the facts both read.
fn disagreements(m: &MdArray, s: &MdArray) -> Vec<MdDisagreement> {
    let mut out = Vec::new();
    let mut differ = |fact: &'static str, mdstat: Option<String>, sysfs: Option<String>| {
        if let (Some(mdstat), Some(sysfs)) = (mdstat, sysfs)
            && mdstat != sysfs
        {
            out.push(MdDisagreement {
                fact,
                mdstat,
                sysfs,
            });
        }
    };
    differ("level", m.level.known().cloned(), s.level.known().cloned());
    differ(
        "state",
        m.state.known().cloned(),
        s.state.known().map(|st| mdstat_state(st).to_owned()),
    );
    differ(
        "raid_disks",
        m.raid_disks.known().map(u32::to_string),
        s.raid_disks.known().map(u32::to_string),
    );
    let degraded = |a: &MdArray| {
        a.degraded
            .known()
            .map(|d| d.map_or("-".to_owned(), |n| n.to_string()))
    };
    differ("degraded", degraded(m), degraded(s));
    // By name, with mdstat's marks of a faulty (F) or spare (S) member.
    let members = |a: &MdArray| {
        a.members.known().map(|ms| {
            let mut names: Vec<String> = ms
                .iter()
                .map(|m| {
                    let mut n = m.device.clone();
                    for (flag, mark) in [("faulty", "(F)"), ("spare", "(S)")] {
                        if m.state.iter().any(|s| s == flag) {
                            n.push_str(mark);
                        }
                    }
                    n
                })
                .collect();
            names.sort_unstable();
            names.join(" ")
        })
    };
    differ("members", members(m), members(s));
    let sync = |a: &MdArray| {
        a.sync
            .known()
            .map(|s| s.as_ref().map_or("idle".to_owned(), |s| s.action.clone()))
    };
    differ("sync", sync(m), sync(s));
    out
}

/// `sync_completed`: `done / total` sectors, or `none`, `delayed`. In
/// tenths of a percent, cut rather than rounded, as mdstat prints it, so
/// that both say the same.
fn progress(text: &str) -> Option<f64> {
    let (done, total) = text.split_once('/')?;
    let done: u128 = done.trim().parse().ok()?;
    let total: u128 = total.trim().parse().ok()?;
    (total > 0).then(|| (done * 1000 / total) as f64 / 10.0)
}

fn bad(rel: &str, line: usize, what: impl std::fmt::Display) -> Missing {
    Missing::new(Reason::Malformed, format!("{rel}:{line}: {what}"))
}

/// `sda1[0](F)`: the device and its flags.
fn member(token: &str) -> Option<MdMember> {
    let open = token.find('[')?;
    let close = open + token[open..].find(']')?;
    token[open + 1..close].parse::<u32>().ok()?;
    let device = &token[..open];
    if device.is_empty() {
        return None;
    }
    let mut rest = &token[close + 1..];
    let mut state = Vec::new();
    while let Some(r) = rest.strip_prefix('(') {
        let (flag, after) = r.split_once(')')?;
        state.push(
            match flag {
                "F" => "faulty",
                "S" => "spare",
                "W" => "write_mostly",
                "R" => "replacement",
                "J" => "journal",
                _ => return None,
            }
            .to_owned(),
        );
        rest = after;
    }
    rest.is_empty().then(|| MdMember {
        device: device.to_owned(),
        state,
    })
}

/// Parses `proc/mdstat` (read from `rel`). One malformed array makes the
/// whole file unknown, naming the line: an array that cannot be read is
/// not an array that is fine.
pub fn parse_mdstat(rel: &str, text: &str) -> Result<Vec<MdArray>, Missing> {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (n, l) = lines[i];
        i += 1;
        let t = l.trim();
        if t.is_empty() || t.starts_with("Personalities") || t.starts_with("unused devices") {
            continue;
        }
        let Some((name, rest)) = t.split_once(" : ") else {
            return Err(bad(rel, n, format!("not an array line: {t:?}")));
        };
        if !name.starts_with("md") || name.contains(' ') {
            return Err(bad(rel, n, format!("not an md array: {name:?}")));
        }
        let mut words = rest.split_whitespace().peekable();
        let mut state = match words.next() {
            Some("active") => "active",
            Some("inactive") => "inactive",
            other => {
                return Err(bad(
                    rel,
                    n,
                    format!("state {other:?} is not active or inactive"),
                ));
            }
        };
        match words.peek() {
            Some(&"(read-only)") => {
                state = "readonly";
                words.next();
            }
            Some(&"(auto-read-only)") => {
                state = "read-auto";
                words.next();
            }
            _ => {}
        }
        // An inactive array may print no level.
        let level = match words.peek() {
            Some(w) if !w.contains('[') => words.next().map(str::to_owned),
            _ => None,
        };
        let mut members = Vec::new();
        for w in words {
            members.push(member(w).ok_or_else(|| bad(rel, n, format!("member {w:?}")))?);
        }
        // The detail lines: indented, up to the next array or blank line.
        let mut counts: Option<(u32, u32, String, usize)> = None;
        let mut sync = None;
        while i < lines.len()
            && lines[i].1.starts_with([' ', '\t'])
            && !lines[i].1.trim().is_empty()
        {
            let (dn, dl) = lines[i];
            i += 1;
            let d = dl.trim();
            if d.contains(" blocks") {
                counts = slot_counts(d).map(|(a, b, s)| (a, b, s, dn));
            } else if let Some(s) = sync_line(d) {
                sync = Some(s.map_err(|e| bad(rel, dn, e))?);
            } else if !d.starts_with("bitmap:") {
                return Err(bad(rel, dn, format!("unexpected detail {d:?}")));
            }
        }
        let level_text = level.clone().unwrap_or_default();
        let redundant = !without_redundancy(&level_text);
        // The kernel prints `[n/m]` only for a running array (the
        // personality's status): a count beside an inactive one is not
        // the kernel's, and raid0 and linear print none, every member
        // being a slot.
        let counts = if state == "inactive" { None } else { counts };
        let (raid_disks, degraded) = match (&counts, redundant) {
            (None, _) if state == "inactive" => {
                let why = format!(
                    "{rel}:{n}: {name} is inactive, and mdstat counts the slots of running arrays only (sysfs md/raid_disks has them)"
                );
                (
                    Fact::unknown(Reason::NotSupported, why.clone()),
                    if redundant {
                        Fact::unknown(Reason::NotSupported, why)
                    } else {
                        Fact::Known(None)
                    },
                )
            }
            (None, false)
                if state != "inactive" && matches!(level_text.as_str(), "raid0" | "linear") =>
            {
                (Fact::Known(members.len() as u32), Fact::Known(None))
            }
            (Some((disks, working, slots, dn)), _) => {
                let down = slots.chars().filter(|c| *c == '_').count() as u32;
                let up = slots.chars().filter(|c| *c == 'U').count() as u32;
                if working > disks
                    || slots.len() as u32 != *disks
                    || up != *working
                    || up + down != *disks
                {
                    let m = bad(
                        rel,
                        *dn,
                        format!("[{disks}/{working}] contradicts [{slots}]"),
                    );
                    (Fact::Known(*disks), Fact::Unknown(m))
                } else {
                    (Fact::Known(*disks), Fact::Known(Some(disks - working)))
                }
            }
            (None, false) => (
                Fact::unknown(
                    Reason::NotSupported,
                    format!("{rel}:{n}: mdstat gives no slot count for {level_text}"),
                ),
                Fact::Known(None),
            ),
            (None, true) => {
                let m = bad(rel, n, format!("no [n/m] slot count for {name}"));
                (Fact::Unknown(m.clone()), Fact::Unknown(m))
            }
        };
        out.push(MdArray {
            name: name.to_owned(),
            source: rel.to_owned(),
            level: level.map_or_else(
                || {
                    Fact::unknown(
                        Reason::NotSupported,
                        format!("{rel}:{n}: no level for the inactive {name}"),
                    )
                },
                Fact::Known,
            ),
            // mdstat's `active` is sysfs's clean, active, write-pending,
            // ...: a policy's `state: clean` cannot be judged from it.
            state: if state == "active" {
                Fact::unknown(
                    Reason::NotSupported,
                    format!("{rel}:{n}: mdstat says {name} is active (running); only sysfs md/array_state tells clean from active"),
                )
            } else {
                Fact::Known(state.to_owned())
            },
            raid_disks,
            degraded,
            members: Fact::Known(members),
            sync: Fact::Known(if redundant { sync } else { None }),
            mismatch_count: Fact::unknown(
                Reason::NotSupported,
                format!("{rel} has no mismatch count: sysfs md/mismatch_cnt has it"),
            ),
            mdstat_disagrees: Vec::new(),
        });
    }
    Ok(out)
}

/// `... [4/3] [U_UU]` → (4, 3, "U_UU").
fn slot_counts(line: &str) -> Option<(u32, u32, String)> {
    let groups: Vec<&str> = line
        .split('[')
        .skip(1)
        .filter_map(|g| g.split_once(']').map(|(inside, _)| inside))
        .collect();
    let [.., counts, slots] = groups.as_slice() else {
        return None;
    };
    let (a, b) = counts.split_once('/')?;
    if !slots.chars().all(|c| c == 'U' || c == '_') {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?, (*slots).to_owned()))
}

/// `[=>....]  recovery =  8.5% (…) finish=17.0min speed=…K/sec` or
/// `resync=DELAYED`; `None` for a line that is neither.
fn sync_line(line: &str) -> Option<Result<MdSync, String>> {
    let body = if line.starts_with('[') {
        line.split_once(']')?.1.trim()
    } else {
        line
    };
    let (word, rest) = body.split_once('=')?;
    let word = word.trim();
    let action = match word {
        "recovery" => "recover",
        "resync" | "reshape" | "check" | "repair" => word,
        _ => return None,
    };
    let rest = rest.trim();
    let done_percent = if rest == "DELAYED" || rest == "PENDING" {
        None
    } else {
        match rest
            .split_whitespace()
            .next()
            .and_then(|p| p.strip_suffix('%'))
            .and_then(|p| p.parse::<f64>().ok())
        {
            Some(p) => Some(p),
            None => return Some(Err(format!("{word}: no progress in {rest:?}"))),
        }
    };
    Some(Ok(MdSync {
        action: action.to_owned(),
        done_percent,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Personalities : [raid1] [raid6] [raid5] [raid4]
md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]
      195310144 blocks [2/1] [U_]
      [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec

md9 : active raid1 sdc2[2] sdd2[3]
      523968 blocks super 1.2 [2/2] [UU]
      resync=DELAYED

md10 : active raid0 sda1[0] sdb1[1]
       314159265 blocks 64k chunks

md219 : inactive sdb[2](S) sdc[1](S) sda[0](S)
        7932 blocks super external:imsm

unused devices: <none>
";

    #[test]
    fn arrays_of_mdstat() {
        let a = parse_mdstat(MDSTAT, TEXT).unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].name, "md6");
        assert_eq!(a[0].degraded, Fact::Known(Some(1)));
        assert_eq!(
            a[0].sync,
            Fact::Known(Some(MdSync {
                action: "recover".into(),
                done_percent: Some(8.5)
            }))
        );
        let m = a[0].members.known().unwrap();
        assert_eq!(m[0].state, ["faulty"]);
        assert!(m[2].state.is_empty());
        assert_eq!(
            a[1].sync.known().unwrap().as_ref().unwrap().done_percent,
            None
        );
        assert_eq!(a[2].degraded, Fact::Known(None));
        assert_eq!(a[3].state, Fact::Known("inactive".into()));
        assert_eq!(
            a[3].level.missing().map(|m| m.reason),
            Some(Reason::NotSupported)
        );
    }

    #[test]
    fn slot_counts_of_raid0_and_of_inactive_arrays() {
        let a = parse_mdstat(MDSTAT, TEXT).unwrap();
        // raid0 prints no [n/m]: every member is a slot.
        assert_eq!(
            (a[2].name.as_str(), a[2].raid_disks.clone()),
            ("md10", Fact::Known(2))
        );
        // An inactive array has no count in mdstat, and a [n/m] beside one
        // (which the kernel never prints) is not taken for one.
        let m = a[3].raid_disks.missing().unwrap();
        assert_eq!(m.reason, Reason::NotSupported);
        assert!(m.detail.contains("md219 is inactive"), "{m}");
        let text = "md4 : inactive raid1 sda3[0](F) sdb3[1](S)\n      4883648 blocks [2/2] [UU]\n";
        let a = parse_mdstat(MDSTAT, text).unwrap();
        assert_eq!(
            a[0].raid_disks.missing().map(|m| m.reason),
            Some(Reason::NotSupported)
        );
        assert_eq!(
            a[0].degraded.missing().map(|m| m.reason),
            Some(Reason::NotSupported)
        );
        let a = parse_mdstat(
            MDSTAT,
            "md120 : active linear sda1[1] sdb1[0]\n        2095104 blocks super 1.2 0k rounding\n",
        )
        .unwrap();
        assert_eq!(a[0].raid_disks, Fact::Known(2));
    }

    #[test]
    fn mdstat_saying_otherwise_than_sysfs_is_noted_fact_by_fact() {
        let m = &parse_mdstat(MDSTAT, TEXT).unwrap()[0];
        let mut s = m.clone();
        s.level = Fact::Known("raid6".into());
        s.state = Fact::Known("clean".into());
        s.raid_disks = Fact::Known(4);
        let d = disagreements(m, &s);
        let facts: Vec<(&str, &str, &str)> = d
            .iter()
            .map(|d| (d.fact, d.mdstat.as_str(), d.sysfs.as_str()))
            .collect();
        // clean is a running array: mdstat's "active".
        assert_eq!(
            facts,
            [("level", "raid1", "raid6"), ("raid_disks", "2", "4")]
        );
        assert!(disagreements(m, m).is_empty());
    }

    #[test]
    fn contradicting_counts_are_malformed_and_name_the_line() {
        let a = parse_mdstat(MDSTAT, &TEXT.replace("[2/1] [U_]", "[2/2] [U_]")).unwrap();
        let m = a[0].degraded.missing().unwrap();
        assert_eq!(m.detail, "proc/mdstat:3: [2/2] contradicts [U_]");
        let e = parse_mdstat(MDSTAT, &TEXT.replace("sda2[0]", "sda2[x]")).unwrap_err();
        assert!(e.detail.starts_with("proc/mdstat:2: member"), "{e}");
        let e =
            parse_mdstat(MDSTAT, &TEXT.replace("recovery =  8.5%", "recovery = soon")).unwrap_err();
        assert!(e.detail.starts_with("proc/mdstat:4:"), "{e}");
    }

    #[test]
    fn every_cut_of_mdstat_reads_or_is_refused_without_panic() {
        for (cut, _) in TEXT.char_indices() {
            let _ = parse_mdstat(MDSTAT, &TEXT[..cut]);
        }
    }

    #[test]
    fn sync_progress_in_sectors() {
        assert_eq!(progress("1569888 / 2093056"), Some(75.0));
        assert_eq!(progress("none"), None);
        assert_eq!(progress("0 / 0"), None);
    }
}
