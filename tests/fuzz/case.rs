//! An input: what to run (a target) on what (a tree, policies, a state
//! file, one parser's text) and the concrete edits that made it, so that a
//! finding can be saved, minimized and replayed byte for byte.
//!
//! A case is applied to a workspace with two roots: `tree/`, a working
//! copy of a fixture or real sysfs/procfs tree, and `etc/`, where the
//! policies and the state file live. Every edit is undone after the run.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a case runs, in the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// One parser on the text of `etc/input`.
    Parse,
    /// `show`: every part, table and JSON.
    Show,
    /// `audit` with `etc/*.yaml` and `--state etc/state.json`, every format.
    Audit,
    /// `diff` of the pristine tree against the edited one, with policies.
    Diff,
    /// `policy check` of `etc/*.yaml`.
    Policy,
    /// The tree written as a capture archive from `etc/capture.tar`
    /// (compressed when run), opened and shown.
    Archive,
    /// `capture` of the tree to an archive, read back and shown.
    Capture,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Parse,
        Target::Show,
        Target::Audit,
        Target::Diff,
        Target::Policy,
        Target::Archive,
        Target::Capture,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Parse => "parse",
            Target::Show => "show",
            Target::Audit => "audit",
            Target::Diff => "diff",
            Target::Policy => "policy",
            Target::Archive => "archive",
            Target::Capture => "capture",
        }
    }
}

/// Bytes as they read best in a saved case: text when they are UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bytes {
    Text(String),
    Hex(String),
}

impl Bytes {
    pub fn of(bytes: &[u8]) -> Bytes {
        match std::str::from_utf8(bytes) {
            Ok(t) => Bytes::Text(t.to_owned()),
            Err(_) => Bytes::Hex(bytes.iter().map(|b| format!("{b:02x}")).collect()),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Bytes::Text(t) => t.as_bytes().to_vec(),
            Bytes::Hex(h) => (0..h.len() / 2)
                .filter_map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
                .collect(),
        }
    }
}

/// One edit of the workspace. Paths are relative to it (`tree/...`,
/// `etc/...`) and never climb out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Write {
        path: String,
        bytes: Bytes,
    },
    Remove {
        path: String,
    },
    Symlink {
        path: String,
        target: String,
    },
    Mkdir {
        path: String,
    },
    Fifo {
        path: String,
    },
    /// A file of `len` bytes of nothing (sparse: costs no disk).
    Sparse {
        path: String,
        len: u64,
    },
    /// `count` files `PREFIX0`, `PREFIX1`... in the directory `path`, each
    /// holding `bytes`: a directory far longer than real ones.
    Many {
        path: String,
        prefix: String,
        count: usize,
        bytes: Bytes,
    },
}

impl Op {
    pub fn path(&self) -> &str {
        match self {
            Op::Write { path, .. }
            | Op::Remove { path }
            | Op::Symlink { path, .. }
            | Op::Mkdir { path }
            | Op::Fifo { path }
            | Op::Sparse { path, .. }
            | Op::Many { path, .. } => path,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub target: Target,
    /// The tree, as `fixtures/NAME` (in the repository) or
    /// `realdata/PATH` (under `../shared/realdata`); empty for none.
    #[serde(default)]
    pub tree: String,
    /// The parser, for [`Target::Parse`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parser: String,
    /// The policies given on the command line, in `etc/`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    pub ops: Vec<Op>,
    /// What the run found, when saved.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub found: String,
}

/// `rel` as a path inside `root`, or an error when it would leave it.
pub fn inside(root: &Path, rel: &str) -> io::Result<PathBuf> {
    let mut out = root.to_owned();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{rel}: not a plain relative path"),
                ));
            }
        }
    }
    Ok(out)
}

/// Removes whatever is at `path` without following a symlink.
pub fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn mkfifo(path: &Path) -> io::Result<()> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The edits of a case applied to a workspace, undone when dropped: what
/// stood at each edited path is moved aside first and moved back after.
/// No edit writes into a file that exists (the working copies share their
/// files with the trees they come from: `seeds::link_tree`).
pub struct Applied {
    stash: PathBuf,
    /// In the order made: a path edited, with where what stood there was
    /// moved (a directory made on the way to one has nothing to restore).
    undo: Vec<(PathBuf, Option<PathBuf>)>,
}

impl Applied {
    pub fn apply(work: &Path, stash: &Path, ops: &[Op]) -> io::Result<Applied> {
        let mut applied = Applied {
            stash: stash.to_owned(),
            undo: Vec::new(),
        };
        fs::create_dir_all(stash)?;
        for op in ops {
            applied.one(work, op)?;
        }
        Ok(applied)
    }

    fn one(&mut self, work: &Path, op: &Op) -> io::Result<()> {
        let path = inside(work, op.path())?;
        if path == work {
            return Ok(());
        }
        // Every directory on the way must be a real one (an edit through a
        // symlink could land anywhere on this machine); one that does not
        // exist is made, and removed after. An edit below a file or a
        // symlink is skipped.
        let Ok(rel) = path.strip_prefix(work) else {
            return Ok(());
        };
        let mut dir = work.to_owned();
        let parents: Vec<_> = rel.components().collect();
        for c in &parents[..parents.len().saturating_sub(1)] {
            dir.push(c);
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(()),
                Err(_) => {
                    fs::create_dir(&dir)?;
                    self.undo.push((dir.clone(), None));
                }
            }
        }
        if let Op::Many {
            prefix,
            count,
            bytes,
            ..
        } = op
        {
            // Entries added beside what the directory holds, by plain name.
            if prefix.contains('/') || prefix.contains('\0') || prefix == "." || prefix == ".." {
                return Ok(());
            }
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(()),
                Err(_) => {
                    fs::create_dir(&path)?;
                    self.undo.push((path.clone(), None));
                }
            }
            let content = bytes.to_vec();
            for i in 0..*count {
                let entry = path.join(format!("{prefix}{i}"));
                if fs::symlink_metadata(&entry).is_err() {
                    fs::write(&entry, &content)?;
                    self.undo.push((entry, None));
                }
            }
            return Ok(());
        }
        let saved = if fs::symlink_metadata(&path).is_ok() {
            let to = self.stash.join(self.undo.len().to_string());
            fs::rename(&path, &to)?;
            Some(to)
        } else {
            None
        };
        self.undo.push((path.clone(), saved));
        match op {
            Op::Write { bytes, .. } => fs::write(&path, bytes.to_vec()),
            Op::Remove { .. } => Ok(()),
            Op::Symlink { target, .. } => symlink(target, &path),
            Op::Mkdir { .. } => fs::create_dir(&path),
            Op::Fifo { .. } => mkfifo(&path),
            Op::Sparse { len, .. } => fs::File::create(&path)?.set_len(*len),
            Op::Many { .. } => Ok(()),
        }
    }
}

impl Drop for Applied {
    fn drop(&mut self) {
        // Latest first, so that what an edit put inside something an
        // earlier edit moved aside is gone before that is moved back.
        for (path, saved) in self.undo.drain(..).rev() {
            let _ = remove_any(&path);
            if let Some(from) = saved {
                let _ = fs::rename(from, &path);
            }
        }
    }
}
