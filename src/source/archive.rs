//! A capture as a single `.tar.gz`: one capture directory inside, symlinks
//! kept as symlinks, so that a host can be captured before maintenance and
//! the file carried elsewhere.
//!
//! Reading unpacks into a private temporary directory that is removed when
//! the [`Unpacked`] value is dropped. An archive comes from outside and is
//! trusted with nothing: an entry whose path is absolute or climbs with
//! `..`, that would be written through a symlink, or that is not a file, a
//! directory or a symlink is refused, and so is an archive larger than a
//! capture can be. Symlink targets are kept as written (sysfs links climb
//! with `..`); nothing is ever written through one, and hostlint resolves
//! them inside the fixture.
//!
//! What unpacking may cost is bounded ([`super::limits`]): each member
//! ([`member_limit`]) and the whole on disk, the number of entries, and what the tar reader keeps
//! in memory between two entries (a GNU long name or a pax header, which it
//! reads whole: a few bytes of gzip can inflate to gigabytes of one). A
//! caller with a deadline hands in a flag that stops the unpacking at its
//! next read. Writing an archive applies the same limits, so that every
//! capture hostlint writes, it reads.

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, symlink};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use tar::{Builder, EntryType, Header};

use super::limits::{
    MAX_ARCHIVE_BYTES, MAX_ARCHIVE_ENTRIES, MAX_ARCHIVE_METADATA_BYTES, MAX_FILE_BYTES,
    MAX_JSON_FILE_BYTES, size_text,
};
use crate::snapshot::io_text;

/// The most a member of a capture archive may hold: what hostlint reads of
/// one file, and for the `ip -j` lists of `cmd/` (routes above all, read
/// element by element) what it reads of one of those.
pub fn member_limit(path: &Path) -> u64 {
    let mut names = path.iter().rev();
    let file = names.next().and_then(|n| n.to_str()).unwrap_or("");
    let dir = names.next().and_then(|n| n.to_str()).unwrap_or("");
    if dir == "cmd" && file.starts_with("ip-") && file.ends_with(".json") {
        MAX_JSON_FILE_BYTES
    } else {
        MAX_FILE_BYTES
    }
}

/// What a capture's member (`name`, of `size` bytes) or the whole archive
/// (`total` bytes so far) may not exceed, on writing and on reading.
fn over_limit(name: &Path, size: u64, total: u64) -> Option<io::Error> {
    let limit = member_limit(name);
    if size > limit {
        return Some(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "{}: {size} bytes, too large: more than the {} hostlint reads of that file",
                name.display(),
                size_text(limit)
            ),
        ));
    }
    (total > MAX_ARCHIVE_BYTES).then(|| {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "more than {} unpacked: too large for a capture",
                size_text(MAX_ARCHIVE_BYTES)
            ),
        )
    })
}

/// Names that mark a capture archive rather than a capture directory.
const SUFFIXES: [&str; 2] = [".tar.gz", ".tgz"];

/// The capture directory's name inside an archive called `path`:
/// `lb-01-before.tar.gz` holds `lb-01-before/`. `None` when the name does
/// not end in `.tar.gz` or `.tgz` (or is nothing but the suffix).
pub fn archive_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|stem| !stem.is_empty() && !stem.starts_with('.'))
        .map(str::to_owned)
}

/// Writes the directory `dir` as a gzip-compressed tar to `out`, every
/// path under `top/`. Entries are sorted and their owners and modes
/// normalised, so the same capture gives the same archive contents. An
/// archive that would be refused on reading is not written.
pub fn pack(dir: &Path, top: &str, out: impl Write) -> io::Result<()> {
    let mtime = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut tar = Builder::new(GzEncoder::new(out, Compression::default()));
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    header.set_mtime(mtime);
    tar.append_data(&mut header, top, io::empty())?;
    let mut total = 0;
    pack_dir(&mut tar, dir, Path::new(top), mtime, &mut total)?;
    tar.into_inner()?.finish()?.flush()
}

fn pack_dir<W: Write>(
    tar: &mut Builder<W>,
    dir: &Path,
    at: &Path,
    mtime: u64,
    total: &mut u64,
) -> io::Result<()> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = at.join(entry.file_name());
        let kind = entry.file_type()?;
        let mut header = Header::new_gnu();
        header.set_mtime(mtime);
        header.set_size(0);
        if kind.is_symlink() {
            header.set_entry_type(EntryType::Symlink);
            header.set_mode(0o777);
            tar.append_link(&mut header, &name, fs::read_link(&path)?)?;
        } else if kind.is_dir() {
            header.set_entry_type(EntryType::Directory);
            header.set_mode(0o755);
            tar.append_data(&mut header, &name, io::empty())?;
            pack_dir(tar, &path, &name, mtime, total)?;
        } else if kind.is_file() {
            let file = File::open(&path)?;
            let size = file.metadata()?.len();
            *total += size;
            if let Some(e) = over_limit(&name, size, *total) {
                return Err(e);
            }
            header.set_entry_type(EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(size);
            tar.append_data(&mut header, &name, file)?;
        } else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: neither a file, a directory nor a symlink",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Writes `dir` as the archive `out` atomically: a temporary file in the
/// same directory, renamed into place once complete.
pub fn write_archive(dir: &Path, top: &str, out: &Path) -> io::Result<()> {
    let name = out
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = out.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|file| {
            let mut w = io::BufWriter::new(file);
            pack(dir, top, &mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, out));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// A private directory under the system's temporary directory, removed
/// with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> io::Result<TempDir> {
        static N: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // `create` fails on a name that exists, so a name someone else
        // made (or a symlink planted there) is never used: try another.
        for _ in 0..100 {
            let path = base.join(format!(
                "hostlint-{tag}-{}-{}-{nanos:x}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            match DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary directory name",
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// An archive unpacked into a temporary directory, which lives as long as
/// this value.
#[derive(Debug)]
pub struct Unpacked {
    dir: TempDir,
    fixture: PathBuf,
}

impl Unpacked {
    /// The capture directory: the archive's single top directory, or the
    /// top of the archive when it holds more than one thing (an archive
    /// made with `tar -C DIR .`).
    pub fn fixture(&self) -> &Path {
        &self.fixture
    }

    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Unpacks the archive at `path`.
pub fn unpack(path: &Path) -> io::Result<Unpacked> {
    unpack_stopping(path, &AtomicBool::new(false))
}

/// As [`unpack`]; a `stop` that turns true ends the unpacking with
/// `TimedOut` at its next read.
pub fn unpack_stopping(path: &Path, stop: &AtomicBool) -> io::Result<Unpacked> {
    let file = File::open(path)?;
    let dir = TempDir::new("unpack")?;
    unpack_until(io::BufReader::new(file), dir.path(), stop)?;
    let mut top: Vec<PathBuf> = Vec::new();
    for entry in fs::read_dir(dir.path())? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            top.push(entry.path());
        }
    }
    let fixture = match top.as_slice() {
        [only] if fs::symlink_metadata(only)?.is_dir() => only.clone(),
        _ => dir.path().to_owned(),
    };
    Ok(Unpacked { dir, fixture })
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The entry's path as plain names: absolute paths and `..` are refused,
/// `.` dropped.
fn safe_relative(path: &Path) -> io::Result<Vec<&std::ffi::OsStr>> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(name) => parts.push(name),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(invalid(format!(
                    "{}: an absolute path in the archive",
                    path.display()
                )));
            }
            Component::ParentDir => {
                return Err(invalid(format!(
                    "{}: a path that climbs out with `..`",
                    path.display()
                )));
            }
        }
    }
    Ok(parts)
}

/// Makes sure every directory on the way to `parts` (but the last) exists
/// as a real directory under `root`, creating what is missing; a symlink
/// on the way is refused, so that nothing is written through one. `known`
/// holds the directories already made sure of: nothing is ever replaced
/// while unpacking, so a directory stays one.
fn parent_dirs(
    root: &Path,
    parts: &[&std::ffi::OsStr],
    known: &mut HashSet<PathBuf>,
) -> io::Result<PathBuf> {
    let mut at = root.to_owned();
    for name in parts.iter().take(parts.len().saturating_sub(1)) {
        at.push(name);
        if known.contains(&at) {
            continue;
        }
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(invalid(format!(
                    "{}: an entry below something that is not a directory",
                    at.strip_prefix(root).unwrap_or(&at).display()
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                DirBuilder::new().mode(0o755).create(&at)?;
            }
            Err(e) => return Err(e),
        }
        known.insert(at.clone());
    }
    Ok(at)
}

/// The decompressed stream as the tar reader sees it, allowed to read
/// only as far as the unpacking has said it may: so that a header, long
/// name or pax extension cannot make the tar reader take in more than
/// [`MAX_ARCHIVE_METADATA_BYTES`] beyond the members' own data.
struct Budgeted<'a, R> {
    inner: R,
    read: u64,
    allowed: Rc<Cell<u64>>,
    stop: &'a AtomicBool,
}

impl<R: Read> Read for Budgeted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "unpacking stopped at the deadline",
            ));
        }
        let left = self.allowed.get().saturating_sub(self.read);
        if left == 0 {
            return Err(invalid(format!(
                "tar headers, long names or pax extensions of more than {} between two entries",
                size_text(MAX_ARCHIVE_METADATA_BYTES)
            )));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Unpacks a gzip-compressed tar read from `input` into the existing
/// directory `root`.
pub fn unpack_into(input: impl Read, root: &Path) -> io::Result<()> {
    unpack_until(input, root, &AtomicBool::new(false))
}

/// As [`unpack_into`], ending with `TimedOut` once `stop` turns true.
pub fn unpack_until(input: impl Read, root: &Path, stop: &AtomicBool) -> io::Result<()> {
    let allowed = Rc::new(Cell::new(MAX_ARCHIVE_METADATA_BYTES));
    let budgeted = Budgeted {
        inner: GzDecoder::new(input),
        read: 0,
        allowed: Rc::clone(&allowed),
        stop,
    };
    let mut archive = tar::Archive::new(budgeted);
    let mut total: u64 = 0;
    let mut known = HashSet::new();
    let mut consumed: u64 = 0;
    for (n, entry) in archive.entries()?.enumerate() {
        if n >= MAX_ARCHIVE_ENTRIES {
            return Err(invalid(format!(
                "more than {MAX_ARCHIVE_ENTRIES} entries: not a capture"
            )));
        }
        let mut entry = entry?;
        // Every entry's data counts, whether it is unpacked below or
        // skipped by the tar reader (a pax global header's).
        let size = entry.size();
        total += size;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if let Some(e) = over_limit(Path::new(&name), size, total) {
            return Err(e);
        }
        // The next entry's headers may take the metadata allowance again,
        // counted from the end of this entry's data.
        consumed = consumed.max(entry.raw_file_position().saturating_add(size));
        allowed.set(consumed.saturating_add(MAX_ARCHIVE_METADATA_BYTES));
        let kind = entry.header().entry_type();
        let raw = entry.path()?.into_owned();
        let parts = safe_relative(&raw)?;
        if parts.is_empty() {
            continue;
        }
        let parent = parent_dirs(root, &parts, &mut known)?;
        let dest = parent.join(parts[parts.len() - 1]);
        match kind {
            EntryType::Directory => match fs::symlink_metadata(&dest) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(invalid(format!(
                        "{}: a directory over another entry",
                        raw.display()
                    )));
                }
                Err(_) => DirBuilder::new().mode(0o755).create(&dest)?,
            },
            EntryType::Regular | EntryType::Continuous => {
                // `create_new` neither overwrites an earlier entry nor
                // follows a symlink that an earlier entry placed here.
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .map_err(|e| {
                        io::Error::new(e.kind(), format!("{}: {}", raw.display(), io_text(&e)))
                    })?;
                let copied = io::copy(&mut (&mut entry).take(size), &mut file)?;
                if copied != size {
                    return Err(invalid(format!("{}: truncated", raw.display())));
                }
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name()?
                    .ok_or_else(|| invalid(format!("{}: a symlink to nothing", raw.display())))?;
                symlink(&*target, &dest).map_err(|e| {
                    io::Error::new(e.kind(), format!("{}: {}", raw.display(), io_text(&e)))
                })?;
            }
            // Metadata the tar reader has already applied or that a capture
            // does not need.
            EntryType::XGlobalHeader | EntryType::XHeader => {}
            other => {
                return Err(invalid(format!(
                    "{}: a {other:?} entry; a capture holds files, directories and symlinks",
                    raw.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz_tar(build: impl FnOnce(&mut Builder<GzEncoder<Vec<u8>>>)) -> Vec<u8> {
        let mut b = Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        build(&mut b);
        b.into_inner().unwrap().finish().unwrap()
    }

    fn file_header(size: u64) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(size);
        h
    }

    #[test]
    fn archive_names() {
        assert_eq!(
            archive_stem(Path::new("/tmp/lb-01-before.tar.gz")).as_deref(),
            Some("lb-01-before")
        );
        assert_eq!(archive_stem(Path::new("x.tgz")).as_deref(), Some("x"));
        assert_eq!(archive_stem(Path::new("dir")), None);
        assert_eq!(archive_stem(Path::new(".tar.gz")), None);
    }

    #[test]
    fn round_trip_keeps_files_dirs_and_symlinks() {
        let src = tempfile::tempdir().unwrap();
        let d = src.path();
        fs::create_dir_all(d.join("sys/devices/pci0000:00/0000:00:1c.0")).unwrap();
        fs::create_dir_all(d.join("sys/class/net")).unwrap();
        fs::create_dir_all(d.join("sys/fs/pstore")).unwrap();
        fs::write(d.join("sys/fs/pstore/.keep"), b"").unwrap();
        fs::write(
            d.join("sys/devices/pci0000:00/0000:00:1c.0/vendor"),
            "0x8086\n",
        )
        .unwrap();
        // A target longer than the 100 bytes of a plain tar header.
        let long = format!("../../devices/{}/0000:00:1c.0", "pci0000:00/".repeat(12));
        symlink(&long, d.join("sys/class/net/eth0")).unwrap();
        let mut bytes = Vec::new();
        pack(d, "cap", &mut bytes).unwrap();
        let out = tempfile::tempdir().unwrap();
        unpack_into(&bytes[..], out.path()).unwrap();
        let cap = out.path().join("cap");
        assert_eq!(
            fs::read_to_string(cap.join("sys/devices/pci0000:00/0000:00:1c.0/vendor")).unwrap(),
            "0x8086\n"
        );
        assert_eq!(
            fs::read_link(cap.join("sys/class/net/eth0")).unwrap(),
            PathBuf::from(&long)
        );
        assert!(cap.join("sys/fs/pstore/.keep").exists());
    }

    #[test]
    fn paths_out_of_the_directory_are_refused() {
        // The tar crate refuses to build these, so the header bytes are
        // written directly, as a hostile archive would have them.
        for bad in ["../evil", "/etc/evil", "a/../../evil"] {
            let bytes = gz_tar(|b| {
                let mut h = file_header(4);
                h.as_old_mut().name[..bad.len()].copy_from_slice(bad.as_bytes());
                h.set_cksum();
                b.append(&h, &b"evil"[..]).unwrap();
            });
            let out = tempfile::tempdir().unwrap();
            let err = unpack_into(&bytes[..], out.path()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{bad}: {err}");
        }
    }

    #[test]
    fn nothing_is_written_through_a_symlink() {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().to_str().unwrap().to_owned();
        let bytes = gz_tar(|b| {
            let mut h = Header::new_gnu();
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, "cap/link", &target).unwrap();
            let mut h = file_header(4);
            b.append_data(&mut h, "cap/link/evil", &b"evil"[..])
                .unwrap();
        });
        let out = tempfile::tempdir().unwrap();
        let err = unpack_into(&bytes[..], out.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(!outside.path().join("evil").exists());
        // Nor a file over a symlink of the same name.
        let bytes = gz_tar(|b| {
            let mut h = Header::new_gnu();
            h.set_entry_type(EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, "cap/f", format!("{target}/evil"))
                .unwrap();
            let mut h = file_header(4);
            b.append_data(&mut h, "cap/f", &b"evil"[..]).unwrap();
        });
        let out = tempfile::tempdir().unwrap();
        assert!(unpack_into(&bytes[..], out.path()).is_err());
        assert!(!outside.path().join("evil").exists());
    }

    #[test]
    fn devices_and_hard_links_are_refused() {
        let bytes = gz_tar(|b| {
            let mut h = Header::new_gnu();
            h.set_entry_type(EntryType::Link);
            h.set_size(0);
            b.append_link(&mut h, "cap/hard", "cap/other").unwrap();
        });
        let out = tempfile::tempdir().unwrap();
        assert!(unpack_into(&bytes[..], out.path()).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let out = tempfile::tempdir().unwrap();
        assert!(unpack_into(&b"not gzip at all"[..], out.path()).is_err());
        let mut truncated = Vec::new();
        let src = tempfile::tempdir().unwrap();
        fs::write(src.path().join("f"), vec![b'x'; 10_000]).unwrap();
        pack(src.path(), "cap", &mut truncated).unwrap();
        truncated.truncate(truncated.len() / 2);
        let out = tempfile::tempdir().unwrap();
        assert!(unpack_into(&truncated[..], out.path()).is_err());
    }

    #[test]
    fn long_names_and_pax_headers_past_a_megabyte_are_refused_not_kept() {
        for kind in [EntryType::GNULongName, EntryType::XHeader] {
            let bytes = gz_tar(|b| {
                let mut h = Header::new_gnu();
                h.set_entry_type(kind);
                h.set_size(2 << 20);
                h.set_cksum();
                b.append(&h, io::repeat(b'a').take(2 << 20)).unwrap();
                let mut h = file_header(1);
                b.append_data(&mut h, "cap/f", &b"x"[..]).unwrap();
            });
            let out = tempfile::tempdir().unwrap();
            let err = unpack_into(&bytes[..], out.path()).unwrap_err();
            assert!(
                err.to_string()
                    .contains("more than 1 MiB between two entries"),
                "{kind:?}: {err}"
            );
        }
    }

    #[test]
    fn a_member_over_its_limit_is_too_large_on_reading_and_on_writing() {
        // A header that claims more than hostlint reads of a sysfs copy:
        // refused before a byte of it is read.
        let bytes = gz_tar(|b| {
            let mut h = file_header(MAX_FILE_BYTES + 1);
            h.set_path("cap/proc/mounts").unwrap();
            h.set_cksum();
            b.append(&h, io::repeat(0).take(MAX_FILE_BYTES + 1))
                .unwrap();
        });
        let out = tempfile::tempdir().unwrap();
        let err = unpack_into(&bytes[..], out.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge, "{err}");
        assert!(err.to_string().contains("cap/proc/mounts"), "{err}");
        assert!(
            err.to_string()
                .contains("too large: more than the 64 MiB hostlint reads"),
            "{err}"
        );
        // A route list may be larger: it is read element by element.
        assert_eq!(
            member_limit(Path::new("cap/cmd/ip-route-4.json")),
            MAX_JSON_FILE_BYTES
        );
        assert_eq!(member_limit(Path::new("cap/proc/mounts")), MAX_FILE_BYTES);
        assert_eq!(
            member_limit(Path::new("cap/sys/cmd/ip-x.txt")),
            MAX_FILE_BYTES
        );

        // And what would be refused is not written either (a sparse file).
        let src = tempfile::tempdir().unwrap();
        fs::create_dir_all(src.path().join("proc")).unwrap();
        File::create(src.path().join("proc/mounts"))
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        let err = pack(src.path(), "cap", io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge, "{err}");
    }

    #[test]
    fn unpacking_stops_when_told_to() {
        let bytes = gz_tar(|b| {
            let mut h = file_header(4);
            b.append_data(&mut h, "cap/f", &b"data"[..]).unwrap();
        });
        let out = tempfile::tempdir().unwrap();
        let err = unpack_until(&bytes[..], out.path(), &AtomicBool::new(true)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    }

    #[test]
    fn temp_dirs_go_away() {
        let t = TempDir::new("test").unwrap();
        let p = t.path().to_owned();
        fs::write(p.join("f"), b"x").unwrap();
        drop(t);
        assert!(!p.exists());
    }
}
