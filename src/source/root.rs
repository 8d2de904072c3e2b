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
//!
//! Errors name no path, as the system's own name none: the caller names
//! the file it asked for, once (`proc/mounts: too large: ...`), where a path
//! here too would say it twice.
//!
//! Under a deadline, only the calls that can block go through the guard's
//! worker thread, because each trip there costs two thread wake-ups, and a
//! fixture of a host with a few hundred disks makes tens of thousands of
//! calls. On a live host, reading a sysfs or procfs attribute runs driver
//! code and is guarded; looking up, listing and reading links in sysfs and
//! procfs stay inside kernfs and procfs and are not. In a fixture on a
//! local filesystem only opening something other than a regular file (a
//! FIFO) is guarded; on a network or FUSE filesystem, everything is.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, FileType};
use std::io::{self, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::bounded::{kind_name, read_capped};
use super::guard::Guard;
use super::limits::{
    MAX_DIR_ENTRIES, MAX_FILE_BYTES, MAX_RECORDING_BYTES, MAX_TEXT_LINES, size_text,
};

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
    /// The bytes of `files`, held until the capture writes them.
    pub bytes: u64,
    /// A file that did not fit in [`MAX_RECORDING_BYTES`]: the capture
    /// cannot be complete.
    pub overflow: Option<String>,
}

impl Recording {
    fn keep_file(&mut self, rel: String, bytes: Vec<u8>) {
        self.keep_file_within(rel, bytes, MAX_RECORDING_BYTES);
    }

    fn keep_file_within(&mut self, rel: String, bytes: Vec<u8>, cap: u64) {
        // A file read again replaces its earlier copy.
        let replaced = self.files.get(&rel).map_or(0, |old| old.len() as u64);
        let total = self.bytes - replaced + bytes.len() as u64;
        if total > cap {
            self.overflow.get_or_insert(rel);
            return;
        }
        self.bytes = total;
        self.files.insert(rel, bytes);
    }
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
    /// When set, every filesystem call that can block runs where a
    /// deadline can abandon it.
    guard: Option<Arc<Guard>>,
    /// A fixture on a local filesystem, where only a non-regular file can
    /// block.
    local_fixture: bool,
    /// What resolving paths found, by relative path: the type, and a
    /// symlink's target. Resolution meets the same directories again and
    /// again; the tree does not change during a run.
    seen: Mutex<HashMap<String, (FileType, Option<String>)>>,
}

/// Filesystems whose calls do not wait on a network or a user process.
const LOCAL_FILESYSTEMS: &[i64] = &[
    0xEF53,     // ext2, ext3, ext4
    0x58465342, // xfs
    0x9123683E, // btrfs
    0x01021994, // tmpfs
    0x858458F6, // ramfs
    0x794C7630, // overlayfs
    0x2FC12FC1, // zfs
    0xF2F52010, // f2fs
    0x73717368, // squashfs
    0xE0F5E1E2, // erofs
    0xCA451A4E, // bcachefs
];

fn on_local_filesystem(dir: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a statfs the call fills.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type's width differs by arch
    LOCAL_FILESYSTEMS.contains(&(st.f_type as i64))
}

/// Whether a live path lies in sysfs or procfs, where lookups and listings
/// never wait on a driver.
fn in_kernel_fs(rel: &str) -> bool {
    let rel = rel.trim_start_matches('/');
    rel.starts_with("sys/") || rel.starts_with("proc/") || rel == "sys" || rel == "proc"
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
            local_fixture: false,
            seen: Mutex::default(),
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
            local_fixture: false,
            seen: Mutex::default(),
        }
    }

    /// Runs every filesystem call under `guard`: a call that hangs fails
    /// with `TimedOut` instead of hanging the run.
    pub fn guarded(mut self, guard: Arc<Guard>) -> Root {
        if !self.live {
            // statfs itself waits on a dead network filesystem.
            let dir = self.dir.clone();
            self.local_fixture = guard
                .run("the fixture's filesystem", move || {
                    Ok(on_local_filesystem(&dir))
                })
                .unwrap_or(false);
        }
        self.guard = Some(guard);
        self
    }

    /// A filesystem call, guarded when a deadline is set and `may_block`.
    fn call<T: Send + 'static>(
        &self,
        what: &str,
        may_block: bool,
        f: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        match &self.guard {
            Some(g) if may_block => g.run(what, f),
            _ => f(),
        }
    }

    /// Whether looking up, listing or reading a link at `rel` can block.
    fn lookup_may_block(&self, rel: &str) -> bool {
        if self.live {
            !in_kernel_fs(rel)
        } else {
            !self.local_fixture
        }
    }

    /// Whether opening and reading `rel`, of type `kind` when known, can
    /// block.
    fn read_may_block(&self, kind: Option<FileType>) -> bool {
        self.live || !self.local_fixture || !kind.is_some_and(|k| k.is_file())
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
        // A read that failed on the captured host left no file behind: it
        // fails the same way, it was not "not captured".
        for rel in [missing, requested] {
            if let Err(e) = self.injected_error(rel) {
                return e;
            }
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

    /// The error a fixture recorded for `rel`, kept again by a capture of
    /// the fixture.
    fn injected_error(&self, rel: &str) -> io::Result<()> {
        match self.injected.get(rel) {
            Some(errno) => {
                self.with_recording(|r| {
                    r.errors.insert(rel.to_owned(), *errno);
                });
                Err(io::Error::from_raw_os_error(*errno))
            }
            None => Ok(()),
        }
    }

    /// The path to open for `rel`. Live and not recording, the kernel
    /// resolves symlinks itself (the fast path), and in procfs always;
    /// otherwise they are resolved here, inside the root, and recorded.
    /// The type of the file comes with it when resolving found it.
    fn open_path(&self, rel: &str) -> io::Result<(String, PathBuf, Option<FileType>)> {
        if self.live && (self.recording.is_none() || in_procfs(rel)) {
            let rel = rel.trim_start_matches('/').to_owned();
            let path = self.dir.join(&rel);
            return Ok((rel, path, None));
        }
        let (resolved, kind) = self.resolve_typed(rel)?;
        let path = self.dir.join(&resolved);
        Ok((resolved, path, kind))
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
            local_fixture: self.local_fixture,
            seen: Mutex::default(),
        }
    }

    /// The path on this machine that stands for `rel`: resolved inside the
    /// root in a fixture (a missing one is not captured unless listed as
    /// absent), left to the kernel live. A fixture's recorded error for
    /// `rel` is returned instead. Nothing is opened, and nothing recorded.
    pub fn locate(&self, rel: &str) -> io::Result<PathBuf> {
        let (rel, path, _) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        Ok(path)
    }

    /// Records a file that did not come from the root (the text form of an
    /// ioctl's answer) so that a capture writes it.
    pub fn record_file(&self, rel: &str, bytes: &[u8]) {
        self.with_recording(|r| r.keep_file(rel.to_owned(), bytes.to_vec()));
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

    /// Opens a command's output kept in a fixture (`cmd/ip-route-4.json`)
    /// to be read as a stream: such a file can be far larger than
    /// [`MAX_FILE_BYTES`], and its reader bounds it element by element.
    /// Not recorded: a capture writes these files from what was read.
    pub fn open_captured(&self, rel: &str) -> io::Result<CapturedFile> {
        let (rel, path, kind) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        self.refuse_device(kind)?;
        let may_block = self.read_may_block(kind);
        let file = self
            .call(&rel, may_block, move || fs::File::open(path))
            .map_err(|e| self.not_found(&rel, e))?;
        Ok(CapturedFile {
            file: Arc::new(Mutex::new(file)),
            guard: self.guard.clone(),
            may_block,
            rel,
        })
    }

    /// A device node in a fixture is not a copy of anything hostlint
    /// reads, and opening one can act on the hardware behind it.
    fn refuse_device(&self, kind: Option<FileType>) -> io::Result<()> {
        match kind.filter(|k| !self.live && !k.is_file() && !k.is_fifo()) {
            Some(k) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}, not a file a fixture holds", kind_name(k)),
            )),
            None => Ok(()),
        }
    }

    fn read_bytes_up_to(&self, rel: &str, limit: u64) -> io::Result<Vec<u8>> {
        let (rel, path, kind) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        self.refuse_device(kind)?;
        let result = self
            .call(&rel, self.read_may_block(kind), move || {
                read_bounded(&path, limit)
            })
            .map_err(|e| self.not_found(&rel, e));
        match result {
            Ok(bytes) => {
                if self.recording.is_some() {
                    self.with_recording(|r| r.keep_file(rel, bytes.clone()));
                }
                Ok(bytes)
            }
            Err(e) => {
                self.record_error(&rel, &e);
                Err(e)
            }
        }
    }

    /// Reads a text file, of at most [`MAX_TEXT_LINES`] lines: what it is
    /// parsed into grows with them.
    pub fn read(&self, rel: &str) -> io::Result<String> {
        let bytes = self.read_bytes(rel)?;
        if bytes.len() > MAX_TEXT_LINES
            && bytes.iter().filter(|b| **b == b'\n').count() > MAX_TEXT_LINES
        {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "too large: more than the {MAX_TEXT_LINES} lines hostlint reads of one file"
                ),
            ));
        }
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
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
        // A read the deadline abandoned replays as the timeout it was.
        let errno = match e.kind() {
            io::ErrorKind::TimedOut => Some(libc::ETIMEDOUT),
            _ => e.raw_os_error(),
        };
        if let Some(errno) = errno {
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
            .call(rel, self.lookup_may_block(rel), move || fs::read_link(path))
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
        let Ok((rel, path, kind)) = self.open_path(rel) else {
            return false;
        };
        let is_dir = match kind {
            Some(k) => k.is_dir(),
            None => self
                .call(&rel, self.lookup_may_block(&rel), move || Ok(path.is_dir()))
                .unwrap_or(false),
        };
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
        let (rel, path, _) = self.open_path(rel)?;
        self.injected_error(&rel)?;
        let mut names = self
            .call(&rel, self.lookup_may_block(&rel), move || {
                let mut names = Vec::new();
                for entry in fs::read_dir(&path)? {
                    let name = entry?.file_name().to_string_lossy().into_owned();
                    if !name.starts_with('.') {
                        names.push(name);
                    }
                    // Each name becomes an object with files of its own.
                    if names.len() > MAX_DIR_ENTRIES {
                        return Err(io::Error::new(
                            io::ErrorKind::FileTooLarge,
                            format!(
                                "too large: more than the {MAX_DIR_ENTRIES} entries hostlint lists of one directory"
                            ),
                        ));
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
        self.resolve_typed(rel).map(|(path, _)| path)
    }

    /// As [`Self::resolve`], with the type of what the path names (`None`
    /// for the root itself).
    fn resolve_typed(&self, rel: &str) -> io::Result<(String, Option<FileType>)> {
        let mut done: Vec<String> = Vec::new();
        let mut kind = None;
        let mut todo: Vec<String> = components(rel).rev().map(str::to_owned).collect();
        let mut hops = 0;
        while let Some(part) = todo.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    done.pop();
                    kind = None;
                    continue;
                }
                _ => {}
            }
            let candidate = join(&done, &part);
            let (file_type, target) = match self.lookup(&candidate) {
                Ok(found) => found,
                // A file whose read failed on the captured host has no
                // copy: its recorded error is the answer.
                Err(e) if todo.is_empty() && self.injected.contains_key(&candidate) => {
                    self.injected_error(&candidate)?;
                    return Err(e);
                }
                Err(e) => return Err(self.not_found_within(&candidate, rel.trim_matches('/'), e)),
            };
            let Some(target) = target else {
                done.push(part);
                kind = Some(file_type);
                continue;
            };
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return Err(io::Error::other(format!(
                    "more than {MAX_SYMLINK_HOPS} symlinks"
                )));
            }
            if target.starts_with('/') {
                done.clear();
            }
            kind = None;
            todo.extend(components(&target).rev().map(str::to_owned));
        }
        Ok((done.join("/"), kind))
    }

    /// The type of `rel` itself (not following a symlink), and a symlink's
    /// target; from what this run already saw where it can.
    fn lookup(&self, rel: &str) -> io::Result<(FileType, Option<String>)> {
        if let Some(known) = self.seen.lock().unwrap_or_else(|p| p.into_inner()).get(rel) {
            return Ok(known.clone());
        }
        let path = self.dir.join(rel);
        let file_type = self
            .call(rel, self.lookup_may_block(rel), move || {
                fs::symlink_metadata(path)
            })?
            .file_type();
        let target = if file_type.is_symlink() {
            Some(self.read_link_exact(rel)?)
        } else {
            None
        };
        let found = (file_type, target);
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rel.to_owned(), found.clone());
        Ok(found)
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
    // sysfs reports 4096 for every attribute: a hint, not a size.
    let len = file.metadata().map_or(0, |m| m.len());
    read_capped(file, len, limit).map_err(|e| match e.kind() {
        io::ErrorKind::FileTooLarge => io::Error::new(
            e.kind(),
            format!(
                "too large: more than the {} hostlint reads of one file",
                size_text(limit)
            ),
        ),
        _ => e,
    })
}

/// A fixture's command output opened for streaming (see
/// [`Root::open_captured`]). Under a deadline, reading stops once it has
/// passed (parsing a large file is work no read timeout ends), and on a
/// filesystem where reads can hang each chunk is read where the deadline
/// can abandon it.
pub struct CapturedFile {
    file: Arc<Mutex<fs::File>>,
    guard: Option<Arc<Guard>>,
    may_block: bool,
    rel: String,
}

impl Read for CapturedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(guard) = &self.guard else {
            return self
                .file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .read(buf);
        };
        if guard.deadline().passed() {
            guard.stop(format!("reading {}", self.rel));
            return Err(super::guard::timed_out());
        }
        if !self.may_block {
            return self
                .file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .read(buf);
        }
        let file = Arc::clone(&self.file);
        let want = buf.len();
        let chunk = guard.run(&self.rel, move || {
            let mut chunk = vec![0; want];
            let n = file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .read(&mut chunk)?;
            chunk.truncate(n);
            Ok(chunk)
        })?;
        buf[..chunk.len()].copy_from_slice(&chunk);
        Ok(chunk.len())
    }
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

    /// A read that failed live leaves no file in the capture: its error
    /// must replay, not read as "not captured", and a re-capture keeps it.
    #[test]
    fn an_injected_error_on_a_file_the_fixture_lacks_replays_and_is_kept() {
        let d = tree();
        let rel = "sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/label";
        let inject: BTreeMap<String, i32> = [(rel.to_owned(), libc::EACCES)].into();
        let root = Root::fixture(d.path(), inject.clone(), BTreeSet::new());
        let err = root.read("sys/class/net/eth0/device/label").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EACCES));
        let top: BTreeMap<String, i32> = [("cmd/x.json".to_owned(), libc::ECONNREFUSED)].into();
        let root = Root::fixture(d.path(), top, BTreeSet::new()).record();
        let err = root.read("cmd/x.json").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
        let rec = root.take_recording().unwrap();
        assert_eq!(rec.errors.get("cmd/x.json"), Some(&libc::ECONNREFUSED));
    }

    #[test]
    fn an_error_recorded_for_a_file_the_capture_could_not_copy_replays() {
        let d = tree();
        let mut inject = BTreeMap::new();
        inject.insert(
            "sys/devices/pci0000:00/0000:00:1c.0/0000:03:00.0/current_link_width".to_owned(),
            libc::ETIMEDOUT,
        );
        let root = Root::fixture(d.path(), inject, BTreeSet::new());
        let err = root
            .read("sys/class/net/eth0/device/current_link_width")
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ETIMEDOUT), "{err}");
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
    fn text_of_more_lines_and_directories_of_more_entries_than_parsed_are_refused() {
        let d = tree();
        fs::write(
            d.path().join("mounts"),
            "a /m x rw 0 0\n".repeat(MAX_TEXT_LINES + 1),
        )
        .unwrap();
        fs::write(
            d.path().join("fine"),
            "a /m x rw 0 0\n".repeat(MAX_TEXT_LINES),
        )
        .unwrap();
        fs::create_dir(d.path().join("many")).unwrap();
        for i in 0..=MAX_DIR_ENTRIES {
            fs::File::create(d.path().join(format!("many/{i}"))).unwrap();
        }
        let root = Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new());
        let e = root.read("mounts").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            e.to_string()
                .contains(&format!("more than the {MAX_TEXT_LINES} lines")),
            "{e}"
        );
        assert!(root.read("fine").is_ok());
        let e = root.read_dir("many").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("more than the 65536 entries"), "{e}");
    }

    #[test]
    fn a_recording_past_its_cap_keeps_no_more_and_says_where_it_stopped() {
        let mut rec = Recording::default();
        rec.keep_file_within("a".into(), vec![0; 60], 100);
        rec.keep_file_within("a".into(), vec![0; 70], 100);
        assert_eq!(rec.bytes, 70, "a file read again replaces itself");
        rec.keep_file_within("b".into(), vec![0; 40], 100);
        assert_eq!(rec.overflow.as_deref(), Some("b"));
        assert!(!rec.files.contains_key("b"));
    }

    #[test]
    fn oversized_files_are_refused() {
        let d = tree();
        // Sparse: a file one byte over the limit, written in no time.
        let big = fs::File::create(d.path().join("big")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        fs::write(d.path().join("at-limit"), b"").unwrap();
        fs::File::options()
            .write(true)
            .open(d.path().join("at-limit"))
            .unwrap()
            .set_len(MAX_FILE_BYTES)
            .unwrap();
        let root = Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new());
        let err = root.read_bytes("big").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            err.to_string()
                .contains("too large: more than the 64 MiB hostlint reads"),
            "{err}"
        );
        assert_eq!(
            root.read("big").unwrap_err().kind(),
            io::ErrorKind::FileTooLarge
        );
        assert_eq!(
            root.read_bytes("at-limit").unwrap().len() as u64,
            MAX_FILE_BYTES
        );
    }

    #[test]
    fn under_a_deadline_a_fixture_blocks_only_on_what_is_not_a_regular_file() {
        use super::super::guard::Deadline;
        use std::time::{Duration, Instant};
        let d = tree();
        let fifo =
            std::ffi::CString::new(d.path().join("fifo").into_os_string().into_encoded_bytes())
                .unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let guard = Arc::new(Guard::new(Deadline {
            end: Instant::now() + Duration::from_secs(30),
            per_read: Duration::from_millis(200),
            total: Duration::from_secs(30),
        }));
        let root =
            Root::fixture(d.path(), BTreeMap::new(), BTreeSet::new()).guarded(Arc::clone(&guard));
        assert!(
            root.local_fixture,
            "a temporary directory is on a local filesystem"
        );
        // Through the class link, twice: the second resolution is the
        // first's, from what the first found.
        let vendor = "sys/class/net/eth0/../../vendor";
        assert_eq!(root.read_value(vendor).unwrap(), "0x8086");
        assert_eq!(root.read_value(vendor).unwrap(), "0x8086");
        assert!(guard.abandoned().is_empty());
        let started = Instant::now();
        let err = root.read("fifo").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(guard.abandoned(), ["fifo"]);
    }

    #[test]
    fn procfs_is_not_a_local_filesystem_for_fixtures() {
        assert!(!on_local_filesystem(Path::new("/proc")));
        assert!(on_local_filesystem(tree().path()));
        assert!(in_kernel_fs("sys/class/net/eth0/speed"));
        assert!(in_kernel_fs("/proc/net/bonding/bond0"));
        assert!(!in_kernel_fs("srv/shared"));
        assert!(!in_kernel_fs("system/x"));
    }
}
