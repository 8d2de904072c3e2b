//! `hostlint capture`: write a host as a fixture directory.
//!
//! The collectors run against a recording source, so the fixture holds a
//! copy of exactly the sysfs and procfs files they read (symlinks kept as
//! symlinks, failed reads kept as errors in the manifest), and the netlink
//! and ioctl facts in the text form `ip -j` and `ethtool` print. The
//! directory appears whole or not at all: it is written under a temporary
//! name and renamed. An output named `NAME.tar.gz` (or `.tgz`) is written
//! as one archive holding the directory `NAME`, the same way.

use std::fs;
use std::io::{self, BufWriter};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::collect::{self, Scope};
use crate::snapshot::{
    Fact, Interface, Link, LinkSettings, Missing, Reason, RouteTable, Snapshot, io_text,
};
use crate::source::archive::{self, archive_stem};
use crate::source::iproute::RouteWriter;
use crate::source::limits::{MAX_JSON_FILE_BYTES, MAX_RECORDING_BYTES, size_text};
use crate::source::{
    FIXTURE_FORMAT, Manifest, Recording, Source, errno_name, ethtool_text, iproute, layout,
};

#[derive(Debug)]
pub struct CaptureError(pub String);

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaptureError {}

#[derive(Debug)]
pub struct CaptureSummary {
    pub dir: PathBuf,
    pub files: usize,
    /// Facts that could not be captured, each with its reason.
    pub warnings: Vec<String>,
    /// Reads the deadline abandoned: kept in the capture as timeouts.
    pub abandoned: Vec<String>,
}

/// Captures `source` (the live host, or another fixture to re-capture it)
/// into the new directory `out`, or the new archive `out` when its name
/// ends in `.tar.gz` or `.tgz`.
pub fn capture(
    source: Source,
    out: &Path,
    label: Option<String>,
) -> Result<CaptureSummary, CaptureError> {
    if out.symlink_metadata().is_ok() {
        return Err(CaptureError(format!(
            "{}: already exists; a capture is written to a new directory or archive",
            out.display()
        )));
    }
    let Some(stem) = archive_stem(out) else {
        return capture_dir(source, out, label);
    };
    // The directory is captured next to the archive, so that a failure
    // leaves nothing behind but what the cleanup below removes.
    let staging = out.with_file_name(format!(".{stem}.capture-{}", std::process::id()));
    fs::create_dir(&staging)
        .map_err(|e| CaptureError(format!("creating {}: {}", staging.display(), io_text(&e))))?;
    let result = capture_dir(source, &staging.join(&stem), label).and_then(|summary| {
        archive::write_archive(&staging.join(&stem), &stem, out)
            .map_err(|e| CaptureError(format!("writing {}: {}", out.display(), io_text(&e))))?;
        Ok(CaptureSummary {
            dir: out.to_owned(),
            ..summary
        })
    });
    let _ = fs::remove_dir_all(&staging);
    result
}

/// Captures into the new directory `out`.
fn capture_dir(
    source: Source,
    out: &Path,
    label: Option<String>,
) -> Result<CaptureSummary, CaptureError> {
    let name = out
        .file_name()
        .ok_or_else(|| CaptureError(format!("{}: not a directory name", out.display())))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = parent.join(format!(
        ".{}.capture-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let source = source.recording();
    // The routes are written as they are read (below), never all held: a
    // capture of a million routes stays small.
    let snapshot = collect::snapshot(
        &source,
        Scope {
            route_table: false,
            ..Scope::ALL
        },
    );
    let recording = source.root().take_recording().unwrap_or_default();
    if let Some(rel) = &recording.overflow {
        return Err(CaptureError(format!(
            "{}: not captured: the files read reached {} at {rel}, more than a capture holds",
            out.display(),
            size_text(MAX_RECORDING_BYTES)
        )));
    }
    let written = fs::create_dir_all(&tmp)
        .and_then(|()| write_fixture(&tmp, &snapshot, &recording, label))
        .and_then(|(files, mut warnings)| {
            let routes = write_routes(&source, &snapshot, &tmp)?;
            warnings.extend(routes.as_ref().err().cloned());
            Ok((files + routes.map_or(0, |()| 2), warnings))
        })
        .and_then(|summary| fs::rename(&tmp, out).map(|()| summary));
    match written {
        Ok((files, warnings)) => Ok(CaptureSummary {
            dir: out.to_owned(),
            files,
            warnings,
            abandoned: source.abandoned(),
        }),
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(CaptureError(format!(
                "writing {}: {}",
                out.display(),
                io_text(&e)
            )))
        }
    }
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> io::Result<()> {
    let path = dir.join(rel);
    if let Some(p) = path.parent() {
        fs::create_dir_all(p)?;
    }
    fs::write(path, bytes)
}

/// Writes the fixture files for a snapshot (all but the routes, which
/// [`write_routes`] streams) and the reads that produced it. Returns the
/// number of files written and what could not be captured.
pub fn write_fixture(
    dir: &Path,
    snapshot: &Snapshot,
    recording: &Recording,
    label: Option<String>,
) -> io::Result<(usize, Vec<String>)> {
    let mut files = 0;
    let mut warnings = Vec::new();
    for d in &recording.dirs {
        fs::create_dir_all(dir.join(d))?;
    }
    for (rel, bytes) in &recording.files {
        write_file(dir, rel, bytes)?;
        files += 1;
    }
    for (rel, target) in &recording.symlinks {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        symlink(target, &path)?;
    }
    // git keeps no empty directory, and an empty one still says something
    // (a virtual link's device directory, an empty pstore).
    for d in &recording.dirs {
        let path = dir.join(d);
        if fs::read_dir(&path)?.next().is_none() {
            fs::write(path.join(".keep"), b"")?;
        }
    }

    let mut put = |rel: &str, text: String| -> io::Result<()> {
        files += 1;
        write_file(dir, rel, text.as_bytes())
    };
    let mut skip = |what: &str, m: &crate::snapshot::Missing| {
        warnings.push(format!("{what} not captured: {m}"));
    };
    match &snapshot.links {
        Fact::Known(links) => {
            let ifaces: Vec<_> = links.iter().map(|l| l.iface.clone()).collect();
            put(layout::LINKS, iproute::write_links(&ifaces))?;
            match links.iter().find_map(|l| l.addresses.missing()) {
                Some(m) => skip("addresses", m),
                None => {
                    let pairs: Vec<_> = links
                        .iter()
                        .filter_map(|l| Some((&l.iface, l.addresses.known()?.as_slice())))
                        .collect();
                    put(layout::ADDRESSES, iproute::write_addresses(&pairs))?;
                }
            }
            for link in links {
                let name = &link.iface.name;
                if link.link_modes.missing().map(|m| m.reason) != Some(Reason::NotCaptured) {
                    put(
                        &layout::ethtool(name),
                        ethtool_text::write_settings(name, &settings_of(link)),
                    )?;
                }
                if link.driver.missing().map(|m| m.reason) != Some(Reason::NotCaptured) {
                    put(
                        &layout::ethtool_driver(name),
                        ethtool_text::write_driver(&link.driver),
                    )?;
                }
            }
        }
        Fact::Unknown(m) => skip("links", m),
    }
    match &snapshot.rules {
        Fact::Known(r) => {
            put(layout::RULES_V4, iproute::write_rules(r, 4))?;
            put(layout::RULES_V6, iproute::write_rules(r, 6))?;
        }
        Fact::Unknown(m) => skip("rules", m),
    }
    match &snapshot.neighbors {
        Fact::Known(n) => put(layout::NEIGHBORS, iproute::write_neighbors(n))?,
        Fact::Unknown(m) => skip("neighbours", m),
    }

    // lldpd's answer, or how asking failed, is recorded as it comes; a
    // failure with nothing to record (no lldpcli) leaves it out.
    let lldp_recorded = recording.files.contains_key(layout::LLDP)
        || recording.errors.contains_key(layout::LLDP)
        || recording.absent.contains(layout::LLDP);
    if let (Fact::Unknown(m), false) = (&snapshot.lldp, lldp_recorded) {
        skip("LLDP neighbours", m);
    }

    let manifest = Manifest {
        hostlint_fixture: FIXTURE_FORMAT,
        hostlint_version: env!("CARGO_PKG_VERSION").to_owned(),
        captured_at: rfc3339_now(),
        hostname: snapshot.host.hostname.known().cloned(),
        kernel_release: snapshot.host.kernel_release.known().cloned(),
        label,
        commands: layout::COMMANDS
            .iter()
            .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
            .collect(),
        read_errors: recording
            .errors
            .iter()
            .map(|(p, e)| (p.clone(), errno_name(*e)))
            .collect(),
        absent: recording.absent.clone(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).map_err(io::Error::other)?;
    text.push('\n');
    write_file(dir, layout::MANIFEST, text.as_bytes())?;
    Ok((files + 1, warnings))
}

/// Writes the routes of both families as `source` reads them, one at a
/// time, into the fixture at `dir`. Routes that could not be read (or
/// would make a file larger than a capture may hold) are not captured:
/// the partial files are removed and the reason comes back, as for any
/// other fact. Only a failure to write fails the capture.
fn write_routes(
    source: &Source,
    snapshot: &Snapshot,
    dir: &Path,
) -> io::Result<Result<(), String>> {
    let ifaces: Vec<Interface> = snapshot
        .links
        .known()
        .map(|l| l.iter().map(|l| l.iface.clone()).collect())
        .unwrap_or_default();
    let create = |rel: &str, family: u8| -> io::Result<RouteWriter<BufWriter<fs::File>>> {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        Ok(RouteWriter::new(
            BufWriter::new(fs::File::create(path)?),
            family,
        ))
    };
    let mut v4 = create(layout::ROUTES_V4, 4)?;
    let mut v6 = create(layout::ROUTES_V6, 6)?;
    let mut failed_write: Option<io::Error> = None;
    let mut one = RouteTable::default();
    let read = source.each_route(&ifaces, &mut one, &mut |t| {
        let written = v4.write_table(t).and_then(|()| v6.write_table(t));
        t.clear_routes();
        if let Err(e) = written {
            let m = Missing::io("writing the routes", &e);
            failed_write = Some(e);
            return Err(m);
        }
        let bytes = v4.written().1.max(v6.written().1);
        if bytes > MAX_JSON_FILE_BYTES {
            return Err(Missing::new(
                Reason::TooLarge,
                format!(
                    "more than {} of routes in one file, more than a capture is read back with: too large",
                    size_text(MAX_JSON_FILE_BYTES)
                ),
            ));
        }
        Ok(())
    });
    if let Some(e) = failed_write {
        return Err(e);
    }
    match read {
        Ok(()) => {
            for w in [v4, v6] {
                w.finish()?
                    .into_inner()
                    .map_err(|e| e.into_error())?
                    .sync_all()?;
            }
            Ok(Ok(()))
        }
        Err(m) => {
            drop((v4, v6));
            for rel in [layout::ROUTES_V4, layout::ROUTES_V6] {
                fs::remove_file(dir.join(rel))?;
            }
            Ok(Err(format!("routes not captured: {m}")))
        }
    }
}

/// The ethtool settings a link's facts came from, put back together.
fn settings_of(link: &Link) -> Fact<LinkSettings> {
    link.link_modes.clone().map(|modes| LinkSettings {
        speed_mbps: link.speed_mbps.clone(),
        duplex: link.duplex.clone(),
        modes,
    })
}

/// The current UTC time as `2026-11-25T07:23:40Z`.
pub fn rfc3339_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Days-to-civil conversion (proleptic Gregorian), so that no date crate is
/// needed for one timestamp.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_591_420), "2026-11-25T07:23:40Z");
    }
}
