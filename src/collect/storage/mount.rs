//! Mounts, from `proc/mounts`: source, mount point, type and options, as
//! the kernel prints them (`\040` for a space, `\011` tab, `\012` newline,
//! `\134` backslash in names; options may quote commas: SELinux
//! `context="...:c184,c371"`).

use crate::collect::file_missing;
use crate::snapshot::{Fact, Missing, Mount, Reason};
use crate::source::Source;

pub const MOUNTS: &str = "proc/mounts";

pub fn collect(source: &Source) -> Fact<Vec<Mount>> {
    match source.root().read(MOUNTS) {
        // Parsing tens of megabytes is work no read timeout ends.
        Ok(text) => parse_until(MOUNTS, &text, |lines| {
            source.stop_at_deadline(|| format!("parsing {MOUNTS} ({lines} lines read)"))
        })
        .into(),
        Err(e) => Fact::Unknown(file_missing(MOUNTS, &e)),
    }
}

/// Undoes the kernel's octal escapes (`mangle` in fs/proc_namespace.c).
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Options split at commas outside double quotes.
fn options(field: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in field.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.retain(|o| !o.is_empty());
    out
}

/// Parses `proc/mounts` (read from `rel`). A line that is not six fields
/// makes the whole list unknown, naming the line: the kernel never prints
/// one, so the copy is damaged.
pub fn parse(rel: &str, text: &str) -> Result<Vec<Mount>, Missing> {
    parse_until(rel, text, |_| None)
}

/// As [`parse`], asking `stop` every few thousand lines whether to stop
/// (the deadline has passed), with the lines read so far.
fn parse_until(
    rel: &str,
    text: &str,
    mut stop: impl FnMut(usize) -> Option<Missing>,
) -> Result<Vec<Mount>, Missing> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i % 4096 == 4095
            && let Some(m) = stop(i + 1)
        {
            return Err(m);
        }
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let [source, mountpoint, fstype, opts, dump, pass] = f.as_slice() else {
            return Err(Missing::new(
                Reason::Malformed,
                format!(
                    "{rel}:{}: {} fields where a mount has 6: {line:?}",
                    i + 1,
                    f.len()
                ),
            ));
        };
        if dump.parse::<u32>().is_err()
            || pass.parse::<u32>().is_err()
            || !mountpoint.starts_with('/')
        {
            return Err(Missing::new(
                Reason::Malformed,
                format!("{rel}:{}: not a mount line: {line:?}", i + 1),
            ));
        }
        out.push(Mount {
            source: unescape(source),
            mountpoint: unescape(mountpoint),
            fstype: unescape(fstype),
            options: options(opts),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_quoted_options() {
        let m = parse(
            MOUNTS,
            "/dev/sr0 /run/media/root/VMware\\040Tools iso9660 ro,nosuid 0 0\n\ntmpfs /x tmpfs rw,context=\"system_u:object_r:container_file_t:s0:c184,c371\",size=64000k 0 0\n",
        )
        .unwrap();
        assert_eq!(m[0].mountpoint, "/run/media/root/VMware Tools");
        assert_eq!(m[1].options.len(), 3);
        assert_eq!(
            m[1].options[1],
            "context=\"system_u:object_r:container_file_t:s0:c184,c371\""
        );
    }

    #[test]
    fn a_damaged_line_is_named() {
        let e = parse(
            MOUNTS,
            "proc /proc proc rw 0 0\nsysfs /sys sysfs rw,relatime\n",
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::Malformed);
        assert!(e.detail.starts_with("proc/mounts:2: 4 fields"), "{e}");
        assert_eq!(unescape("a\\134b\\9"), "a\\b\\9");
    }
}
