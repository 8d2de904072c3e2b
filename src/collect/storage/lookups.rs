//! Facts only a policy asks for, read after the snapshot: whether mount
//! points answer, and the size, age and checksum of files. Each read runs
//! under its own time limit (`source::probe`), all of them at once, so a
//! hung mount costs its limit once, not once per check; and never past
//! the run's deadline.

use std::collections::HashMap;
use std::time::Duration;

use crate::snapshot::{Fact, FileFacts, Missing, MountProbe, Reason, Snapshot};
use crate::source::probe::{limit_text, start_file_read, start_mount_probe};
use crate::source::{Source, layout};

/// A file a check wants to know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// Absolute path on the host.
    pub path: String,
    /// Whether its checksum is wanted (hashing reads the whole file).
    pub hash: bool,
    pub limit: Duration,
}

fn millis(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

/// A read's own limit, cut to what is left of the run's deadline.
fn within_deadline(source: &Source, limit: Duration) -> Duration {
    source.remaining().map_or(limit, |left| limit.min(left))
}

/// Probes each mount point once, with the longest limit asked for it.
pub fn mount_probes(source: &Source, requests: &[(String, Duration)]) -> Vec<MountProbe> {
    let mut merged: Vec<(String, Duration)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (m, limit) in requests {
        let limit = within_deadline(source, *limit);
        match at.get(m.as_str()) {
            Some(i) => merged[*i].1 = merged[*i].1.max(limit),
            None => {
                at.insert(m, merged.len());
                merged.push((m.clone(), limit));
            }
        }
    }
    let runs: Vec<_> = merged
        .iter()
        .map(|(m, limit)| (m, *limit, start_mount_probe(source.root(), m, *limit)))
        .collect();
    runs.into_iter()
        .map(|(m, limit, run)| MountProbe {
            mountpoint: m.clone(),
            limit_ms: millis(limit),
            answer: run.finish(),
        })
        .collect()
}

/// Whether `path` lies on the file system mounted at `mountpoint`.
fn under(path: &str, mountpoint: &str) -> bool {
    let m = mountpoint.trim_end_matches('/');
    m.is_empty() || path == m || path.strip_prefix(m).is_some_and(|r| r.starts_with('/'))
}

/// The modification time a fixture records for `path` (`stat -c %Y`).
fn fixture_mtime(source: &Source, path: &str) -> Result<i64, Missing> {
    let rel = layout::stat(path);
    let text = source.root().read_value(&rel).map_err(|e| {
        if crate::source::is_not_captured(&e) {
            Missing::new(
                Reason::NotCaptured,
                format!("the fixture has no {rel} (the output of `stat -c %Y {path}`): a copied file keeps no modification time"),
            )
        } else {
            Missing::io(&rel, &e)
        }
    })?;
    text.trim().parse().map_err(|_| {
        Missing::new(
            Reason::Malformed,
            format!("{rel}: {text:?} is not seconds since the epoch"),
        )
    })
}

/// Reads each file once (hashing it if any check wants the checksum). A
/// file on a mount that did not answer its probe is not read at all: it
/// would hang the same way.
pub fn file_facts(
    source: &Source,
    snapshot: &Snapshot,
    requests: &[FileRequest],
) -> Vec<FileFacts> {
    let mut merged: Vec<FileRequest> = Vec::new();
    for r in requests {
        let limit = within_deadline(source, r.limit);
        match merged.iter_mut().find(|x| x.path == r.path) {
            Some(x) => {
                x.hash |= r.hash;
                x.limit = x.limit.max(limit);
            }
            None => merged.push(FileRequest { limit, ..r.clone() }),
        }
    }
    let hung = |path: &str| -> Option<Missing> {
        snapshot
            .storage
            .mount_probes
            .iter()
            .filter(|p| under(path, &p.mountpoint))
            .max_by_key(|p| p.mountpoint.len())
            .and_then(|p| match &p.answer {
                Fact::Unknown(m) if m.reason == Reason::Timeout => Some(Missing::new(
                    Reason::Timeout,
                    format!(
                        "not read: the mount {} it lies on did not answer within {}",
                        p.mountpoint,
                        limit_text(Duration::from_millis(p.limit_ms))
                    ),
                )),
                _ => None,
            })
    };
    let now = source.now();
    let runs: Vec<_> = merged
        .iter()
        .map(|r| {
            let run = match hung(&r.path) {
                Some(m) => Err(m),
                None => Ok(start_file_read(source.root(), &r.path, r.hash, r.limit)),
            };
            (r, run)
        })
        .collect();
    runs.into_iter()
        .map(|(r, run)| {
            let read = run.and_then(|run| run.finish());
            let mtime = match (&read, source.is_live()) {
                (Ok(f), true) => Ok(f.mtime),
                (Ok(_), false) => fixture_mtime(source, &r.path),
                (Err(m), _) => Err(m.clone()),
            };
            let age = match (&now, &mtime) {
                (Ok(now), Ok(mtime)) => Fact::Known(now - mtime),
                (Err(m), _) | (_, Err(m)) => Fact::Unknown(m.clone()),
            };
            let (size, sha) = match read {
                Ok(f) => (Fact::Known(f.size), Fact::Known(f.sha256)),
                Err(m) => (Fact::Unknown(m.clone()), Fact::Unknown(m)),
            };
            FileFacts {
                path: r.path.clone(),
                limit_ms: millis(r.limit),
                size_bytes: size,
                age_seconds: age,
                sha256: if r.hash { sha } else { Fact::Known(None) },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::under;

    #[test]
    fn paths_under_mount_points() {
        assert!(under("/srv/conf/a.conf", "/srv/conf"));
        assert!(under("/srv/conf", "/srv/conf"));
        assert!(!under("/srv/confx/a", "/srv/conf"));
        assert!(under("/etc/x", "/"));
    }
}
