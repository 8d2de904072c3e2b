//! `hostlint show storage`: the view an operator checks before touching a
//! rack. Multipath maps with their paths first (how many are active, through
//! which HBAs, how often each failed), then NVMe subsystems, FC ports,
//! iSCSI sessions, SAS phys with their error counters, SATA links, md
//! arrays, block devices and the mounts that hold data.

use super::layout::{Cell, Paint};
use super::table::{Notes, Style, line, new_table, push};
use crate::snapshot::{
    BlockDevice, DmDevice, FC_ERROR_COUNTERS, Fact, FcHost, MdArray, Mount, MultipathMap,
    NvmeSubsystem, PATH_ACTIVE, SasPhy, Snapshot, Storage, gbit_text,
};

pub fn render(out: &mut String, s: &Snapshot, notes: &mut Notes, style: &Style) {
    let st = &s.storage;
    let mut first = true;
    let mut section = |out: &mut String| {
        if !first {
            out.push('\n');
        }
        first = false;
    };
    section(out);
    part(
        out,
        "MULTIPATH",
        &st.multipath,
        notes,
        style,
        |out, maps, notes| multipath(out, maps, notes, style),
    );
    section(out);
    part(
        out,
        "DEVICE MAPPER",
        &st.dm,
        notes,
        style,
        |out, devices, notes| dm(out, devices, st, notes, style),
    );
    section(out);
    part(out, "NVME", &st.nvme, notes, style, |out, subs, notes| {
        nvme(out, subs, notes, style)
    });
    section(out);
    part(
        out,
        "FC HOSTS",
        &st.fc_hosts,
        notes,
        style,
        |out, hosts, notes| fc(out, hosts, notes, style),
    );
    section(out);
    part(
        out,
        "ISCSI",
        &st.iscsi,
        notes,
        style,
        |out, sessions, notes| {
            let mut t = new_table(style, &["ISCSI", "TARGET", "STATE", "PORTAL", "HOST"])
                .fold(&["HOST", "TARGET"]);
            for s in sessions {
                let portal = notes.fact("iSCSI connections", &s.connections, |c| {
                    c.iter()
                        .map(|c| {
                            let state = match &c.state {
                                Fact::Known(Some(st)) => format!(" {st}"),
                                _ => String::new(),
                            };
                            format!("{}{state}", c.portal.known().map_or("?", |p| p.as_str()))
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                t.add_row(vec![
                    s.name.clone(),
                    notes.fact("iSCSI target", &s.target, String::clone),
                    notes.fact("iSCSI session state", &s.state, String::clone),
                    portal,
                    notes.fact("SCSI host", &s.scsi_host, opt),
                ]);
            }
            push(out, &t);
        },
    );
    section(out);
    part(
        out,
        "SAS PHYS",
        &st.sas_phys,
        notes,
        style,
        |out, phys, notes| sas(out, phys, notes, style),
    );
    section(out);
    part(
        out,
        "ATA LINKS",
        &st.ata_links,
        notes,
        style,
        |out, links, notes| {
            let mut t = new_table(
                style,
                &["ATA LINK", "SPEED", "LIMIT", "DEVICE", "DEVICE MAX"],
            );
            for l in links {
                let speed = notes.fact("SATA speed", &l.negotiated_gbps, |v| {
                    v.map_or("no link".to_owned(), gbit_text)
                });
                let hw = notes.fact("SATA hardware limit", &l.hw_limit_gbps, |v| {
                    v.map_or("none".to_owned(), gbit_text)
                });
                let limit = notes.fact("SATA limit", &l.limit_gbps, |v| {
                    v.map_or("none".to_owned(), gbit_text)
                });
                let (devs, max) = match &l.devices {
                    Fact::Unknown(m) => {
                        let mark = notes.mark("ATA devices", m);
                        (mark.clone(), mark)
                    }
                    Fact::Known(d) if d.is_empty() => ("-".to_owned(), "-".to_owned()),
                    Fact::Known(d) => (
                        d.iter()
                            .map(|d| {
                                format!(
                                    "{} {}",
                                    d.name,
                                    d.class.known().map_or("?", |c| c.as_str())
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                        d.iter()
                            .map(|d| {
                                notes.fact("device SATA maximum", &d.max_gbps, |v| {
                                    v.map_or("-".to_owned(), gbit_text)
                                })
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                };
                let limit_text = if hw == "none" {
                    limit
                } else {
                    format!("{limit} (hw {hw})")
                };
                t.add_row(vec![
                    format!("{} ({})", l.name, l.port),
                    speed,
                    limit_text,
                    devs,
                    max,
                ]);
            }
            push(out, &t);
        },
    );
    section(out);
    part(out, "MD", &st.md, notes, style, |out, arrays, notes| {
        md(out, arrays, notes, style)
    });
    section(out);
    part(
        out,
        "BLOCK",
        &st.block,
        notes,
        style,
        |out, devices, notes| block(out, devices, notes, style),
    );
    section(out);
    part(
        out,
        "MOUNTS",
        &st.mounts,
        notes,
        style,
        |out, mounts, notes| self::mounts(out, mounts, notes, style),
    );
}

/// A part that is a list: its table, `none`, or why it could not be read.
fn part<T>(
    out: &mut String,
    title: &str,
    fact: &Fact<Vec<T>>,
    notes: &mut Notes,
    style: &Style,
    table: impl FnOnce(&mut String, &[T], &mut Notes),
) {
    match fact {
        Fact::Known(v) if v.is_empty() => line(out, &format!("{title} none"), style),
        Fact::Known(v) => table(out, v, notes),
        Fact::Unknown(m) => {
            let mark = notes.mark(&title.to_lowercase(), m);
            line(out, &format!("{title} {mark}"), style);
        }
    }
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".to_owned())
}

use crate::snapshot::bytes_text as size;

fn colored(text: String, good: bool) -> Cell {
    Cell::new(text).paint(if good { Paint::GOOD } else { Paint::BAD })
}

fn multipath(out: &mut String, maps: &[MultipathMap], notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "MULTIPATH",
            "SIZE",
            "WWID / DEV",
            "GROUP",
            "STATE",
            "FAILS",
            "HBA",
            "SCSI",
        ],
    )
    .fold(&["SCSI", "WWID / DEV", "SIZE", "GROUP"]);
    for m in maps {
        let name = match (&m.untold, &m.dm) {
            (Some(why), Some(dm)) => format!("{} ({dm})", notes.mark("multipath map name", why)),
            (_, Some(dm)) => format!("{} ({dm})", m.name),
            (_, None) => m.name.clone(),
        };
        let (summary, good, hbas) = match &m.paths {
            Fact::Unknown(miss) => (notes.mark("paths", miss), false, String::new()),
            Fact::Known(paths) => {
                let active = paths
                    .iter()
                    .filter(|p| p.state.known().map(String::as_str) == Some(PATH_ACTIVE))
                    .count();
                let mut hosts: Vec<&str> = paths
                    .iter()
                    .filter(|p| p.state.known().map(String::as_str) == Some(PATH_ACTIVE))
                    .filter_map(|p| p.scsi_host.known().and_then(|h| h.as_deref()))
                    .collect();
                hosts.sort();
                hosts.dedup();
                let mut s = format!("{active}/{} active", paths.len());
                if m.path_states_from != crate::snapshot::FROM_TARGET {
                    let why = m.status.missing().cloned().unwrap_or_else(|| {
                        crate::snapshot::Missing::new(crate::snapshot::Reason::Failed, "")
                    });
                    s.push_str(&format!(
                        " by SCSI state {}",
                        notes.mark("multipath status", &why)
                    ));
                }
                let hbas = match hosts.len() {
                    0 => "none".to_owned(),
                    1 => "1 HBA".to_owned(),
                    n => format!("{n} HBAs"),
                };
                (s, active == paths.len() && active >= 2, hbas)
            }
        };
        let mut state = summary;
        if m.suspended.known() == Some(&true) {
            state.push_str(", suspended");
        }
        if m.queueing.known() == Some(&true) {
            state.push_str(", queueing I/O");
        }
        if m.queue_if_no_path.known() == Some(&true) {
            state.push_str("\nqueue_if_no_path");
        }
        t.add_row(vec![
            Cell::new(name),
            Cell::new(notes.fact("size", &m.size_bytes, |b| size(*b))),
            Cell::new(notes.fact("WWID", &m.wwid, String::clone)),
            Cell::new(""),
            colored(state, good),
            Cell::new(""),
            Cell::new(hbas),
            Cell::new(""),
        ]);
        let groups = m.groups.known();
        if let Fact::Known(paths) = &m.paths {
            for p in paths {
                let group = match (p.group, groups) {
                    (Some(n), Some(gs)) => gs
                        .iter()
                        .find(|g| g.number == n)
                        .map_or(n.to_string(), |g| format!("{n} {}", g.state)),
                    (Some(n), None) => n.to_string(),
                    (None, _) => "-".to_owned(),
                };
                let state = notes.fact("path state", &p.state, String::clone);
                let good = p.state.known().map(String::as_str) == Some(PATH_ACTIVE);
                let hba = match (&p.scsi_host, &p.adapter) {
                    (Fact::Known(Some(h)), Fact::Known(Some(a))) => format!("{h} {a}"),
                    (Fact::Known(Some(h)), _) => h.clone(),
                    (h, _) => notes.fact("SCSI host", h, opt),
                };
                t.add_row(vec![
                    Cell::new(format!("  {}", p.device)),
                    Cell::new(""),
                    Cell::new(p.dev.clone().unwrap_or_default()),
                    Cell::new(group),
                    colored(state, good),
                    Cell::new(notes.fact("fail count", &p.fail_count, u64::to_string)),
                    Cell::new(hba),
                    Cell::new(notes.fact("SCSI state", &p.scsi_state, opt)),
                ]);
            }
        }
    }
    push(out, &t);
}

/// Every DM device, what it is built on, and the multipath maps (with
/// their active paths) its I/O goes through.
fn dm(out: &mut String, devices: &[DmDevice], st: &Storage, notes: &mut Notes, style: &Style) {
    let mut t = new_table(style, &["DM", "NAME", "KIND", "SIZE", "ON", "MULTIPATH"]);
    for d in devices {
        let kind = notes.fact("DM kind", &d.kind, String::clone);
        let mut state = kind;
        if d.suspended.known() == Some(&true) {
            state.push_str(", suspended");
        }
        let maps = notes.fact("multipath maps below", &d.multipath_maps, |maps| {
            if maps.is_empty() {
                return "-".to_owned();
            }
            maps.iter()
                .map(|name| {
                    let map = st
                        .multipath
                        .known()
                        .and_then(|ms| ms.iter().find(|m| m.name == *name));
                    match map.and_then(|m| m.paths.known()) {
                        Some(paths) => format!(
                                "{name} {}/{} active",
                                paths
                                    .iter()
                                    .filter(|p| p.state.known().map(String::as_str)
                                        == Some(PATH_ACTIVE))
                                    .count(),
                                paths.len()
                            ),
                        None => name.clone(),
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
        t.add_row(vec![
            Cell::new(&d.dm),
            Cell::new(notes.fact("DM name", &d.name, String::clone)),
            Cell::new(state),
            Cell::new(notes.fact("size", &d.size_bytes, |b| size(*b))),
            Cell::new(notes.fact("slaves", &d.slaves, |s| {
                if s.is_empty() {
                    "-".to_owned()
                } else {
                    s.join(" ")
                }
            })),
            Cell::new(maps),
        ]);
    }
    push(out, &t);
}

fn nvme(out: &mut String, subs: &[NvmeSubsystem], notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "NVME",
            "MODEL / PATH",
            "IOPOLICY",
            "STATE",
            "TRANSPORT",
            "ADDRESS / ANA",
        ],
    )
    .fold(&["ADDRESS / ANA", "IOPOLICY", "TRANSPORT"]);
    for s in subs {
        let (live, total) = match &s.controllers {
            Fact::Known(c) => (
                c.iter()
                    .filter(|c| c.state.known().map(String::as_str) == Some("live"))
                    .count(),
                c.len(),
            ),
            Fact::Unknown(_) => (0, 0),
        };
        t.add_row(vec![
            Cell::new(&s.name),
            Cell::new(notes.fact("model", &s.model, String::clone)),
            Cell::new(notes.fact("iopolicy", &s.iopolicy, opt)),
            colored(
                notes.fact("controllers", &s.controllers, |_| {
                    format!("{live}/{total} live")
                }),
                total > 0 && live == total,
            ),
            Cell::new(""),
            Cell::new(notes.fact("NQN", &s.nqn, String::clone)),
        ]);
        if let Fact::Known(ctrls) = &s.controllers {
            for c in ctrls {
                let state = notes.fact("controller state", &c.state, String::clone);
                let good = state == "live";
                let identity = format!(
                    "fw {}\nsn {}",
                    notes.fact("firmware revision", &c.firmware_rev, String::clone),
                    notes.fact("serial", &c.serial, String::clone)
                );
                t.add_row(vec![
                    Cell::new(format!("  {}", c.name)),
                    Cell::new(identity),
                    Cell::new(""),
                    colored(state, good),
                    Cell::new(notes.fact("transport", &c.transport, String::clone)),
                    Cell::new(notes.fact("address", &c.address, String::clone)),
                ]);
            }
        }
        match &s.namespaces {
            Fact::Unknown(m) => {
                t.add_row(vec!["  namespaces".to_owned(), notes.mark("namespaces", m)]);
            }
            Fact::Known(nss) => {
                for ns in nss {
                    let optimized = ns
                        .paths
                        .iter()
                        .filter(|p| {
                            p.ana_state.known().and_then(|a| a.as_deref()) == Some("optimized")
                        })
                        .count();
                    let paths = ns
                        .paths
                        .iter()
                        .map(|p| {
                            format!(
                                "{} {}",
                                p.name,
                                notes.fact("ANA state", &p.ana_state, |a| {
                                    a.clone().unwrap_or_else(|| "no ANA".to_owned())
                                })
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    let size = notes.fact("namespace size", &ns.size_bytes, |b| size(*b));
                    t.add_row(vec![
                        Cell::new(format!("  {} (nsid {})", ns.name, ns.nsid)),
                        Cell::new(match ns.paths.len() {
                            1 => format!("{size}, 1 path"),
                            n => format!("{size}, {n} paths"),
                        }),
                        Cell::new(""),
                        colored(format!("{optimized} optimized"), optimized > 0),
                        Cell::new(""),
                        Cell::new(paths),
                    ]);
                }
            }
        }
    }
    push(out, &t);
}

fn fc(out: &mut String, hosts: &[FcHost], notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "FC HOST",
            "PORT NAME",
            "STATE",
            "SPEED",
            "SUPPORTED",
            "FABRIC",
            "ADAPTER",
            "ERRORS",
        ],
    )
    .fold(&["SUPPORTED", "ADAPTER", "FABRIC", "PORT NAME"]);
    for h in hosts {
        let state = notes.fact("port state", &h.port_state, String::clone);
        let good = state == "Online";
        let errors = notes.fact("FC statistics", &h.statistics, |stats| {
            let mut shown = Vec::new();
            for name in FC_ERROR_COUNTERS {
                if let Some(Fact::Known(v)) = stats.get(*name)
                    && *v > 0
                {
                    shown.push(format!("{} {v}", name.trim_end_matches("_count")));
                }
            }
            if shown.is_empty() {
                "none".to_owned()
            } else {
                shown.join("\n")
            }
        });
        t.add_row(vec![
            Cell::new(&h.name),
            Cell::new(notes.fact("port name", &h.port_name, String::clone)),
            colored(state, good),
            Cell::new(notes.fact("speed", &h.speed_gbps, |v| {
                v.map_or("none".to_owned(), gbit_text)
            })),
            Cell::new(
                notes.fact("supported speeds", &h.supported_speeds_gbps, |v| {
                    v.iter()
                        .map(|s| gbit_text(*s))
                        .collect::<Vec<_>>()
                        .join(",")
                }),
            ),
            Cell::new(notes.fact("fabric", &h.fabric_name, String::clone)),
            Cell::new(notes.fact("adapter", &h.adapter, opt)),
            Cell::new(errors),
        ]);
    }
    push(out, &t);
}

fn sas(out: &mut String, phys: &[SasPhy], notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "SAS PHY",
            "TYPE",
            "RATE",
            "INVALID DWORD",
            "DISPARITY",
            "LOSS OF SYNC",
            "RESET PROBLEMS",
            "HOST",
        ],
    )
    .fold(&["HOST", "TYPE"]);
    for p in phys {
        let (rate, good) = match (&p.negotiated_gbps, &p.maximum_gbps) {
            (Fact::Known(Some(n)), Fact::Known(max)) if n < max => {
                (format!("{} of {}", gbit_text(*n), gbit_text(*max)), false)
            }
            (Fact::Known(Some(n)), _) => (gbit_text(*n), true),
            (Fact::Known(None), _) => (
                format!(
                    "no link ({})",
                    p.negotiated_linkrate.known().map_or("?", |s| s.as_str())
                ),
                true,
            ),
            (Fact::Unknown(m), _) => (notes.mark("negotiated link rate", m), true),
        };
        let device_type = notes.fact("device type", &p.device_type, String::clone);
        let host = notes.fact("SCSI host", &p.scsi_host, opt);
        let mut count = |what: &str, f: &Fact<u64>| -> Cell {
            let text = notes.fact(what, f, u64::to_string);
            let bad = f.known().is_some_and(|v| *v > 0);
            Cell::new(text).paint_if(bad.then_some(Paint::BAD))
        };
        let row = vec![
            Cell::new(&p.name),
            Cell::new(device_type),
            colored(rate, good),
            count("invalid dwords", &p.invalid_dword_count),
            count("running disparity errors", &p.running_disparity_error_count),
            count("loss of dword sync", &p.loss_of_dword_sync_count),
            count("phy reset problems", &p.phy_reset_problem_count),
            Cell::new(host),
        ];
        t.add_row(row);
    }
    push(out, &t);
}

fn md(out: &mut String, arrays: &[MdArray], notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &["MD", "LEVEL", "STATE", "MEMBERS", "DEGRADED", "SYNC"],
    );
    for a in arrays {
        let members = notes.fact("members", &a.members, |m| {
            m.iter()
                .map(|m| {
                    let marks: Vec<&str> = m
                        .state
                        .iter()
                        .filter_map(|s| match s.as_str() {
                            "faulty" => Some("F"),
                            "spare" => Some("S"),
                            "write_mostly" => Some("W"),
                            "replacement" => Some("R"),
                            _ => None,
                        })
                        .collect();
                    if marks.is_empty() {
                        m.device.clone()
                    } else {
                        format!("{}({})", m.device, marks.join(","))
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        });
        let degraded = match (&a.degraded, &a.raid_disks) {
            (Fact::Known(None), _) => "-".to_owned(),
            (Fact::Known(Some(0)), _) => "no".to_owned(),
            (Fact::Known(Some(n)), Fact::Known(d)) => format!("{n} of {d} missing"),
            (Fact::Known(Some(n)), _) => format!("{n} missing"),
            (Fact::Unknown(m), _) => notes.mark("degraded", m),
        };
        let good = matches!(a.degraded, Fact::Known(None) | Fact::Known(Some(0)))
            && a.state
                .known()
                .is_some_and(|s| s != "inactive" && s != "broken");
        let sync = notes.fact("sync", &a.sync, |s| match s {
            None => "idle".to_owned(),
            Some(s) => match s.done_percent {
                Some(p) => format!("{} {p:.1}%", s.action),
                None => s.action.clone(),
            },
        });
        t.add_row(vec![
            Cell::new(&a.name),
            Cell::new(notes.fact("level", &a.level, String::clone)),
            Cell::new(notes.fact("array state", &a.state, String::clone)),
            Cell::new(members),
            colored(degraded, good),
            Cell::new(sync),
        ]);
    }
    push(out, &t);
    for a in arrays.iter().filter(|a| !a.mdstat_disagrees.is_empty()) {
        let said: Vec<String> = a
            .mdstat_disagrees
            .iter()
            .map(|d| format!("{} {} (sysfs {})", d.fact, d.mdstat, d.sysfs))
            .collect();
        let text = format!(
            "{}: proc/mdstat says otherwise than sysfs, whose facts are shown: {}",
            a.name,
            said.join(", ")
        );
        line(out, &text, style);
    }
}

fn block(out: &mut String, devices: &[BlockDevice], notes: &mut Notes, style: &Style) {
    let mut t = new_table(
        style,
        &[
            "BLOCK",
            "SIZE",
            "TRANSPORT",
            "VENDOR MODEL",
            "STATE",
            "HCTL",
            "HOST",
            "ADAPTER",
        ],
    )
    .fold(&["ADAPTER", "HCTL", "HOST", "TRANSPORT"]);
    let mut empty = Vec::new();
    for d in devices {
        if d.size_bytes.known() == Some(&0) {
            empty.push(d.name.as_str());
            continue;
        }
        let (transport, hctl, host, adapter) = match &d.attachment {
            Fact::Known(a) => (
                a.transport.clone(),
                opt(&a.hctl),
                opt(&a.scsi_host),
                opt(&a.adapter),
            ),
            Fact::Unknown(m) => {
                let mark = notes.mark("device path", m);
                (mark.clone(), mark.clone(), mark.clone(), mark)
            }
        };
        let (model, state) = match &d.scsi {
            Fact::Known(Some(s)) => (
                format!(
                    "{} {}",
                    notes.fact("vendor", &s.vendor, String::clone),
                    notes.fact("model", &s.model, String::clone)
                ),
                notes.fact("SCSI state", &s.state, String::clone),
            ),
            Fact::Known(None) => ("-".to_owned(), "-".to_owned()),
            Fact::Unknown(m) => {
                let mark = notes.mark("SCSI device", m);
                (mark.clone(), mark)
            }
        };
        let good = state == "running" || state == "-";
        t.add_row(vec![
            Cell::new(&d.name),
            Cell::new(notes.fact("size", &d.size_bytes, |b| size(*b))),
            Cell::new(transport),
            Cell::new(model),
            colored(state, good),
            Cell::new(hctl),
            Cell::new(host),
            Cell::new(adapter),
        ]);
    }
    push(out, &t);
    if !empty.is_empty() {
        let text = format!(
            "{} empty devices not shown: {}",
            empty.len(),
            empty.join(" ")
        );
        line(out, &text, style);
    }
}

fn mounts(out: &mut String, mounts: &[Mount], _notes: &mut Notes, style: &Style) {
    let mut t = new_table(style, &["MOUNT", "SOURCE", "TYPE", "OPTIONS"]);
    let mut others = 0;
    for m in mounts {
        if !m.holds_data() {
            others += 1;
            continue;
        }
        t.add_row(vec![
            m.mountpoint.clone(),
            m.source.clone(),
            m.fstype.clone(),
            m.options.join(","),
        ]);
    }
    push(out, &t);
    if others > 0 {
        let text = format!(
            "{others} other mounts (proc, sysfs, tmpfs, cgroup, ...) not shown: --format json has all"
        );
        line(out, &text, style);
    }
}
