//! Reading a file whole, with a bound on what it may cost.
//!
//! The files a person names — a policy and what it includes, a fixture's
//! `manifest.json`, a state file — must be regular files: a FIFO would
//! block the read until someone writes to it, `/dev/zero` never ends, and
//! opening a device at all can act on the hardware (a watchdog starts
//! counting when opened). So the path is looked at before it is opened,
//! and anything but a regular file is refused by name; the open itself is
//! non-blocking, and what was opened is checked again. Every read stops at
//! a size bound ([`super::limits`]) and says so, rather than read without
//! end.

use std::fs::{self, FileType, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::limits::size_text;

/// What a file that is not a regular file is, for an error message.
pub fn kind_name(kind: FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}

fn not_regular(kind: FileType, what: &str, cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{}, not a regular file ({what} is a regular file of at most {})",
            kind_name(kind),
            size_text(cap)
        ),
    )
}

/// The error for input past its bound: `FileTooLarge`, so that it reads as
/// "too large" and not as malformed.
pub fn too_large(what: &str, cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "too large: more than the {} {what} may have",
            size_text(cap)
        ),
    )
}

/// Reads the regular file at `path` whole, refusing anything else and
/// anything larger than `cap` bytes. `what` names the kind of file in
/// errors ("a policy").
pub fn read_regular(path: &Path, cap: u64, what: &str) -> io::Result<Vec<u8>> {
    let looked = fs::metadata(path)?;
    if !looked.is_file() {
        return Err(not_regular(looked.file_type(), what, cap));
    }
    if looked.len() > cap {
        return Err(too_large(what, cap));
    }
    // O_NONBLOCK: should the path have become a FIFO since it was looked
    // at, the open returns at once rather than wait for a writer.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(not_regular(opened.file_type(), what, cap));
    }
    if (opened.dev(), opened.ino()) != (looked.dev(), looked.ino()) {
        return Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "replaced by another file while being opened",
        ));
    }
    read_capped(file, opened.len(), cap).map_err(|e| match e.kind() {
        io::ErrorKind::FileTooLarge => too_large(what, cap),
        _ => e,
    })
}

/// Reads `file` to its end, up to `cap` bytes; `len` is its size as far as
/// known, to allocate once. A file that grows past `cap` while being read
/// is refused (`FileTooLarge`), not truncated.
pub fn read_capped(file: impl Read, len: u64, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(len.min(cap) as usize + 1);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("too large: more than {}", size_text(cap)),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let d = tempfile::tempdir().unwrap();
        let ok = d.path().join("ok.yaml");
        fs::write(&ok, "policy: x\n").unwrap();
        assert_eq!(read_regular(&ok, 100, "a policy").unwrap(), b"policy: x\n");

        let big = d.path().join("big.yaml");
        fs::write(&big, vec![b'#'; 101]).unwrap();
        let e = read_regular(&big, 100, "a policy").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            e.to_string(),
            "too large: more than the 100 bytes a policy may have"
        );

        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let e = read_regular(&fifo, 100, "a policy").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a FIFO, not a regular file (a policy is a regular file of at most 100 bytes)"
        );
        let e = read_regular(d.path(), 100, "a policy").unwrap_err();
        assert!(e.to_string().starts_with("a directory, not"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 100, "a policy").unwrap_err();
        assert!(e.to_string().starts_with("a character device, not"), "{e}");
        let e = read_regular(&d.path().join("none"), 100, "a policy").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_stream_longer_than_the_cap_is_refused_not_truncated() {
        let zeros = io::repeat(0);
        let e = read_capped(zeros, 0, 1000).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(read_capped(&b"abc"[..], 3, 3).unwrap(), b"abc");
    }
}
