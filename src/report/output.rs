//! Writing a report to a file atomically (`--output FILE`): a reader sees
//! the old file or the new one, never a half-written one. This matters for
//! node_exporter's textfile collector, which reads `*.prom` whenever it is
//! scraped, and for anything that tails a JSON report.
//!
//! The report goes to a temporary file in the target's directory (a rename
//! is atomic only within one filesystem), named `.NAME.PID.N.tmp`: hidden,
//! and never ending in `.prom`, so the collector does not read it half
//! written. The file is flushed to disk, then renamed over the target, then
//! the directory is flushed so the rename survives a crash. On any failure
//! the temporary file is removed and the target keeps its old content.
//! A run killed while writing cannot remove its temporary file: the next
//! write of the same target by the same user removes those whose process
//! is gone.
//!
//! The new file has the default mode for new files (0666 less the umask),
//! not the old file's: the report is replaced, not edited.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::snapshot::io_text;

/// A file being written that replaces `target` only on [`commit`]
/// (`AtomicFile::commit`); dropped without it, it leaves no trace.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: File,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file beside `target`. Errors name the target
    /// and say what could not be done.
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a file name", target.display()),
            )
        })?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // The process id keeps two hostlint runs apart, the counter two
        // writes in one run; `create_new` refuses a stale file of the same
        // name rather than writing through a link someone left there.
        static N: AtomicU32 = AtomicU32::new(0);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".{}.{}.tmp",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let temp = dir.join(temp_name);
        remove_stale_temps(dir, name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| context(e, target, &format!("cannot create {}", temp.display())))?;
        Ok(AtomicFile {
            target: target.to_owned(),
            temp,
            file,
            committed: false,
        })
    }

    /// Where the content goes until the commit.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Flushes the content to disk and renames it over the target.
    pub fn commit(mut self) -> io::Result<()> {
        self.file
            .sync_all()
            .map_err(|e| context(e, &self.target, "cannot flush the new content to disk"))?;
        fs::rename(&self.temp, &self.target).map_err(|e| {
            context(
                e,
                &self.target,
                &format!("cannot rename {} over it", self.temp.display()),
            )
        })?;
        self.committed = true;
        // The rename is done and visible; flushing the directory only makes
        // it durable across a crash, and some filesystems refuse to fsync a
        // directory, so a failure here does not undo a good write.
        if let Some(dir) = self.temp.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file
            .write(buf)
            .map_err(|e| context(e, &self.target, "cannot write the new content"))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error that got us here is the one to report.
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Removes the temporary files of `name` that runs killed while writing
/// left in `dir`: regular files of this user's (in a shared directory a
/// file of another user's may only look like one) whose process no longer
/// exists. A live one's is being written; one of another user's process
/// cannot be told from a live one and stays. Best effort: a file that
/// cannot be removed costs only its space.
fn remove_stale_temps(dir: &Path, name: &std::ffi::OsStr) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let prefix = format!(".{}.", name.to_string_lossy());
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.split_once('.'))
            .filter(|(_, n)| n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|(pid, _)| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 sends nothing; it only asks whether
        // the process exists.
        let gone = pid > 0
            && unsafe { libc::kill(pid, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        // The entry's own metadata: a symbolic link is not followed.
        let ours = entry.metadata().is_ok_and(|m| m.is_file() && m.uid() == me);
        if gone && ours {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replaces `target` with `contents` atomically.
pub fn write_atomic(target: &Path, contents: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(contents)?;
    f.commit()
}

/// The error with the target named first, keeping its kind so a caller can
/// still tell (say) a permission problem from a missing directory.
fn context(e: io::Error, target: &Path, what: &str) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("{}: {what}: {}", target.display(), io_text(&e)),
    )
}
