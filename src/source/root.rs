//! Every file hostlint reads, read relative to a root directory: `/` on a
//! live host, a fixture folder otherwise.
//!
//! Paths are relative (`sys/class/net/eth0/operstate`), so a fact's evidence
//! reads the same live and in a fixture. In a fixture, symlinks are resolved
//! inside the root, never out of it. While capturing, every file, symlink and
//! directory read is recorded so that the capture holds exactly what the
//! collectors needed and nothing else, including the files they looked for
//! and did not find.
//!
//! A file missing from a fixture is ambiguous: absent on the captured host,
//! or never copied? A capture lists what was absent; any other missing file
//! reads as "not captured" (an error carrying [`NotCaptured`]), so that a
//! tree copied by another tool never passes for a host without the file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::guard::Guard;

/// A file larger than this is not a sysfs or procfs attribute: refuse it
/// rather than read a huge or endless file.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The limit for a fixture's own command output (`cmd/ip-route-4.json`),
/// which a host with a full routing table makes large: a million routes
/// take about 150 MB of `ip -j` text.
pub const MAX_CAPTURED_BYTES: u64 = 1024 * 1024 * 1024;
const MAX_SYMLINK_HOPS: usize = 40;

/// What a capture must reproduce: files with their content, symlinks with
/// their targets, directories listed, and reads that failed with an error
/// other than "not found".
#[derive(Debug, Default, Clone)]
pub struct Recording {
    pub files: BTreeMap<String, Vec<u8>>,
    pub symlinks: BTreeMap<String, String>,
    pub dirs: BTreeSet<String>,
    pub errors: BTreeMap<String, i32>,
    /// Paths looked for that did not exist.
    pub absent: BTreeSet<String>,
}

/// The cause of a "not found" error for a path a fixture does not hold and
/// does not list as absent on the captured host.
#[derive(Debug)]
pub struct NotCaptured;

impl std::fmt::Display for NotCaptured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not in the fixture")
    }
}

impl std::error::Error for NotCaptured {}

/// Whether `err` means "the fixture does not hold it", as opposed to "the
/// host does not have it".
pub fn is_not_captured(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|inner| inner.is::<NotCaptured>())
}

pub struct Root {
    dir: PathBuf,
    live: bool,
    /// Reads that must fail: a fixture's record of errors the live host gave.
    injected: BTreeMap<String, i32>,
    /// Paths a fixture records as absent on the captured host.
    absent: BTreeSet<String>,
    recording: Option<Mutex<Recording>>,
    /// When set, every filesystem call runs where a deadline can abandon it.
    guard: Option<Arc<Guard>>,
}

impl Root {
    /// The live host's root, `/`.
    pub fn live() -> Root {
        Root {
            dir: PathBuf::from("/"),
            live: true,
            injected: BTreeMap::new(),
            absent: BTreeSet::new(),
            recording: None,
            guard: None,
        }
    }

    /// A captured tree. `injected` maps relative paths to the errno their
    /// read fails with; `absent` lists paths that did not exist on the
    /// captured host.
    pub fn fixture(
        dir: impl Into<PathBuf>,
        injected: BTreeMap<String, i32>,
        absent: BTreeSet<String>,
    ) -> Root {
        Root {
            dir: dir.into(),
            live: false,
            injected,
            absent,
            recording: None,
            guard: None,
        }
    }

    /// Runs every filesystem call under `guard`: a call that hangs fails
    /// with `TimedOut` instead of hanging the run.
    pub fn guarded(mut self, guard: Arc<Guard>) -> Root {
        self.guard = Some(guard);
        self
    }

    /// A filesystem call, guarded when a deadline is set.
    fn call<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        match &self.guard {
            Some(g) => g.run(what, f),
            None => f(),
        }
    }

    /// Starts recording every read, for `hostlint capture`.
    pub fn record(mut self) -> Root {
        self.recording = Some(Mutex::new(Recording::default()));
        self
    }

    pub fn take_recording(&self) -> Option<Recording> {
        let rec = self.recording.as_ref()?;
        let mut guard = rec.lock().unwrap_or_else(|p| p.into_inner());
        Some(std::mem::take(&mut *guard))
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Whether reads are being recorded for a capture.
    pub fn is_recording(&self) -> bool {
        self.recording.is_some()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn with_recording(&self, f: impl FnOnce(&mut Recording)) {
        if let Some(rec) = &self.recording {
            f(&mut rec.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    /// A "not found" for `rel`: recorded while capturing; in a fixture,
    /// marked as not captured unless the capture saw it absent.
    fn not_found(&self, rel: &str, err: io::Error) -> io::Error {
        self.not_found_within(rel, rel, err)
    }

    /// As [`Self::not_found`], for a path `missing` met while resolving
    /// `requested`: a fixture that lists either as absent means absent.
    fn not_found_within(&self, missing: &str, requested: &str, err: io::Error) -> io::Error {
        if err.kind() != io::ErrorKind::NotFound {
            return err;
        }
        let rel = missing;
        if self.live || self.absent.contains(missing) || self.absent.contains(requested) {
            // Re-capturing a fixture keeps what it knew absent, and only that.
            self.with_recording(|r| {
                r.absent.insert(rel.to_owned());
            });
            err
        } else {
            io::Error::new(io::ErrorKind::NotFound, NotCaptured)
        }
    }

    fn injected_error(&self, rel: &str) -> io::Result<()> {
        match self.injected.get(rel) {
            Some(errno) => Err(io::Error::from_raw_os_error(*errno)),
            None => Ok(()),
        }
    }

    /// The path to open for `rel`. Live and not recording, the kernel
    /// resolves symlinks itself (the fast path), and in procfs always;
    /// otherwise they are resolved here, inside the root, and recorded.
    fn open_path(&self, rel: &str) -> io::Result<(String, PathBuf)> {
        if self.live && (self.recording.is_none() || in_procfs(rel)) {
            let rel = rel.trim_start_matches('/').to_owned();
            let path = self.dir.join(&rel);
            return Ok((rel, path));
        }
        let resolved = self.resolve(rel)?;
        let path = self.dir.join(&resolved);
        Ok((resolved, path))
    }

    /// The same tree, read the same way, without recording: for reads that
    /// run on a thread of their own and may be abandoned (a mount probe, a
    /// file check), which a capture does not keep.
    pub fn detached(&self) -> Root {
        Root {
            dir: self.dir.clone(),
            live: self.live,
            injected: self.injected.clone(),
            absent: self.absent.clone(),
            recording: None,
            // Its caller bounds it with a time limit of its own.
            guard: None,
        }
    }

    /// The path on this machine that stands for `rel`: resolved inside the
    /// root in a fixture (a missing one is not captured unless listed as
    /// absent), left to the kernel live. A fixture's recorded error for
    /// `rel` is returned instead. Nothing is opened, and nothing recorded.
    pub fn locate(&self, rel: &str) -> io::Result<PathBuf> {
        let (rel, path) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        Ok(path)
    }

    /// Records a file that did not come from the root (the text form of an
    /// ioctl's answer) so that a capture writes it.
    pub fn record_file(&self, rel: &str, bytes: &[u8]) {
        self.with_recording(|r| {
            r.files.insert(rel.to_owned(), bytes.to_vec());
        });
    }

    /// Records how getting a fact that a capture would store at `rel`
    /// failed: an error replays as that error, "not found" as absent.
    pub fn record_failure(&self, rel: &str, err: &io::Error) {
        if err.kind() == io::ErrorKind::NotFound {
            self.with_recording(|r| {
                r.absent.insert(rel.to_owned());
            });
        } else {
            self.record_error(rel, err);
        }
    }

    /// Reads a whole file as bytes, refusing one larger than
    /// [`MAX_FILE_BYTES`].
    pub fn read_bytes(&self, rel: &str) -> io::Result<Vec<u8>> {
        self.read_bytes_up_to(rel, MAX_FILE_BYTES)
    }

    /// Reads a command's output kept in a fixture, up to
    /// [`MAX_CAPTURED_BYTES`].
    pub fn read_captured(&self, rel: &str) -> io::Result<String> {
        let bytes = self.read_bytes_up_to(rel, MAX_CAPTURED_BYTES)?;
        String::from_utf8(bytes).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{rel}: not UTF-8 text"))
        })
    }

    fn read_bytes_up_to(&self, rel: &str, limit: u64) -> io::Result<Vec<u8>> {
        let (rel, path) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        let result = self
            .call(&rel, move || read_bounded(&path, limit))
            .map_err(|e| self.not_found(&rel, e));
        match &result {
            Ok(bytes) => self.with_recording(|r| {
                r.files.insert(rel, bytes.clone());
            }),
            Err(e) => self.record_error(&rel, e),
        }
        result
    }

    /// Reads a text file.
    pub fn read(&self, rel: &str) -> io::Result<String> {
        let bytes = self.read_bytes(rel)?;
        String::from_utf8(bytes).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{rel}: not UTF-8 text"))
        })
    }

    /// Reads a one-value attribute file, without its trailing newline.
    pub fn read_value(&self, rel: &str) -> io::Result<String> {
        let mut s = self.read(rel)?;
        let trimmed_len = s.trim_end_matches(['\n', '\r', ' ', '\0']).len();
        s.truncate(trimmed_len);
        Ok(s)
    }

    fn record_error(&self, rel: &str, e: &io::Error) {
        if e.kind() == io::ErrorKind::NotFound {
            return;
        }
        if let Some(errno) = e.raw_os_error() {
            self.with_recording(|r| {
                r.errors.insert(rel.to_owned(), errno);
            });
        }
    }

    /// The target of a symlink, as written in the link. Symlinks on the way
    /// to it are followed (inside the root, and recorded, unless live).
    pub fn read_link(&self, rel: &str) -> io::Result<String> {
        let rel = rel.trim_start_matches('/');
        let rel = if self.live && self.recording.is_none() {
            rel.to_owned()
        } else {
            match rel.rsplit_once('/') {
                Some((parent, name)) => {
                    let parent = self.resolve(parent)?;
                    if parent.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{parent}/{name}")
                    }
                }
                None => rel.to_owned(),
            }
        };
        self.read_link_exact(&rel)
    }

    fn read_link_exact(&self, rel: &str) -> io::Result<String> {
        self.injected_error(rel)?;
        let path = self.dir.join(rel);
        let target = self
            .call(rel, move || fs::read_link(path))
            .map_err(|e| self.not_found(rel, e))?;
        let target = target.to_string_lossy().into_owned();
        self.with_recording(|r| {
            r.symlinks.insert(rel.to_owned(), target.clone());
        });
        Ok(target)
    }

    /// Whether `rel` is a directory. A capture keeps the directory even when
    /// nothing inside it is read, so that its existence replays.
    pub fn is_dir(&self, rel: &str) -> bool {
        let Ok((rel, path)) = self.open_path(rel) else {
            return false;
        };
        let is_dir = self.call(&rel, move || Ok(path.is_dir())).unwrap_or(false);
        if is_dir {
            self.with_recording(|r| {
                r.dirs.insert(rel);
            });
        }
        is_dir
    }

    /// The names in a directory, sorted. Hidden names are skipped: sysfs
    /// and procfs have none, and a fixture keeps an empty directory in git
    /// with a `.keep` file.
    pub fn read_dir(&self, rel: &str) -> io::Result<Vec<String>> {
        let (rel, path) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        let mut names = self
            .call(&rel, move || {
                let mut names = Vec::new();
                for entry in fs::read_dir(&path)? {
                    let name = entry?.file_name().to_string_lossy().into_owned();
                    if !name.starts_with('.') {
                        names.push(name);
                    }
                }
                Ok(names)
            })
            .inspect_err(|e| self.record_error(&rel, e))
            .map_err(|e| self.not_found(&rel, e))?;
        names.sort();
        self.with_recording(|r| {
            r.dirs.insert(rel);
        });
        Ok(names)
    }

    /// Resolves every symlink in `rel` inside the root and returns the
    /// canonical relative path. An absolute link target is taken relative to
    /// the root, and `..` stops at the root, as in a chroot.
    pub fn resolve(&self, rel: &str) -> io::Result<String> {
        let mut done: Vec<String> = Vec::new();
        let mut todo: Vec<String> = components(rel).rev().map(str::to_owned).collect();
        let mut hops = 0;
        while let Some(part) = todo.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = join(&done, &part);
            let path = self.dir.join(&candidate);
            let meta = self
                .call(&candidate, move || fs::symlink_metadata(path))
                .map_err(|e| self.not_found_within(&candidate, rel.trim_matches('/'), e))?;
            if !meta.file_type().is_symlink() {
                done.push(part);
                continue;
            }
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return Err(io::Error::other(format!(
                    "{rel}: more than {MAX_SYMLINK_HOPS} symlinks"
                )));
            }
            let target = self.read_link_exact(&candidate)?;
            if target.starts_with('/') {
                done.clear();
            }
            todo.extend(components(&target).rev().map(str::to_owned));
        }
        Ok(done.join("/"))
    }
}

/// Whether `rel` lies in procfs. Its links name the reading process
/// (`proc/net` → `self/net` → `<pid>/net`), so a capture keeps such a path
/// as asked: the fixture holds `proc/net/bonding/bond0`, not a pid that
/// means nothing on replay.
fn in_procfs(rel: &str) -> bool {
    rel.trim_start_matches('/').starts_with("proc/")
}

fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|p| !p.is_empty())
}

fn join(done: &[String], part: &str) -> String {
    if done.is_empty() {
        part.to_owned()
    } else {
        format!("{}/{}", done.join("/"), part)
    }
}

fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: larger than {limit} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(
            d.path()
                .join("sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/eth0"),
        )
        .unwrap();
        fs::create_dir_all(d.path().join("sys/class/net")).unwrap();
        fs::write(
            d.path()
                .join("sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/vendor"),
            "0x8086\n",
        )
        .unwrap();
        symlink(
            "../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/eth0/",
            d.path().join("sys/class/net/eth0"),
        )
        .unwrap();
        symlink(
            "../../../0000:03:00.0",
            d.path()
                .join("sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/eth0/device"),
        )
        .unwrap();
        // An absolute link must stay inside the root.
        symlink("/sys/class/net", d.path().join("escape")).unwrap();
        d
    }

    #[test]
    fn resolves_sysfs_style_links_inside_the_root() {
        let d = tree();
        let root = Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new());
        assert_eq!(
            root.resolve("sys/class/net/eth0/device").unwrap(),
            "sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0"
        );
        assert_eq!(
            root.read_value("sys/class/net/eth0/device/vendor").unwrap(),
            "0x8086"
        );
        assert_eq!(root.resolve("escape").unwrap(), "sys/class/net");
        assert_eq!(
            root.resolve("../../sys/class/net/eth0/../eth0").unwrap(),
            "sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/eth0"
        );
    }

    #[test]
    fn recording_keeps_links_and_files_at_their_real_place() {
        let d = tree();
        let root = Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new()).record();
        root.read_value("sys/class/net/eth0/device/vendor").unwrap();
        let rec = root.take_recording().unwrap();
        assert!(rec.symlinks.contains_key("sys/class/net/eth0"));
        assert!(
            rec.files
                .contains_key("sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/vendor")
        );
    }

    #[test]
    fn injected_errors_replay() {
        let d = tree();
        let mut inject = BTreeMap::new();
        inject.insert(
            "sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/vendor".to_owned(),
            libc::EIO,
        );
        let root = Root::fixture(d.path(), inject, BTreeSet::new());
        let err = root.read("sys/class/net/eth0/device/vendor").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EIO));
    }

    #[test]
    fn missing_files_are_not_captured_unless_recorded_absent() {
        let d = tree();
        let root = Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new());
        assert!(is_not_captured(
            &root.read("sys/class/net/eth0/device/label").unwrap_err()
        ));
        let absent = ["sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/label".to_owned()];
        let root = Root::fixture(d.path(), BTreeMap::new(), absent.into_iter().collect());
        let err = root.read("sys/class/net/eth0/device/label").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!is_not_captured(&err));
        // A capture records what it did not find, at its real place; a
        // re-capture of a fixture keeps what was known absent and does not
        // turn "not captured" into "absent".
        let absent = ["sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/label".to_owned()];
        let root = Root::fixture(d.path(), BTreeMap::new(), absent.into_iter().collect()).record();
        let _ = root.read("sys/class/net/eth0/device/label");
        let _ = root.read_link("sys/class/net/eth0/master");
        let rec = root.take_recording().unwrap();
        assert!(
            rec.absent
                .contains("sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/label")
        );
        assert_eq!(rec.absent.len(), 1, "{:?}", rec.absent);
        assert!(!is_not_captured(
            &Root::live().read("proc/hostlint-no-such-file").unwrap_err()
        ));
    }

    #[test]
    fn a_live_capture_keeps_procfs_paths_as_asked() {
        let root = Root::live().record();
        root.read("proc/net/dev").unwrap();
        let _ = root.read_dir("proc/net/hostlint-no-such-dir");
        let rec = root.take_recording().unwrap();
        assert!(
            rec.files.contains_key("proc/net/dev"),
            "{:?}",
            rec.files.keys()
        );
        assert!(rec.symlinks.is_empty(), "{:?}", rec.symlinks);
        assert!(rec.absent.contains("proc/net/hostlint-no-such-dir"));
    }

    #[test]
    fn oversized_files_are_refused() {
        let d = tree();
        let big = vec![b'x'; (MAX_FILE_BYTES + 1) as usize];
        fs::write(d.path().join("big"), big).unwrap();
        let root = Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new());
        assert_eq!(
            root.read("big").unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
