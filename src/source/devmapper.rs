//! Device-mapper tables and status lines from the live kernel, over the
//! ioctls of `/dev/mapper/control` (`include/uapi/linux/dm-ioctl.h`),
//! written as the text `dmsetup table` and `dmsetup status` print.
//!
//! The multipath target's status line is the kernel's own state of every
//! path (active or failed, and how often it failed): the one place that
//! says what multipathd's checker made of each path. hostlint sends three
//! commands, all of them queries: `DM_VERSION`, `DM_LIST_DEVICES` and
//! `DM_TABLE_STATUS` (with `DM_NOFLUSH_FLAG`, so that asking a thin pool
//! for its status never commits its metadata). Any other command is
//! refused before it reaches the kernel.
//!
//! The kernel answers only to CAP_SYS_ADMIN; without it the caller gets
//! `EACCES` and falls back to what sysfs shows.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The control device.
pub const CONTROL: &str = "/dev/mapper/control";

const DM_IOCTL: u32 = 0xfd;
const DM_VERSION_CMD: u32 = 0;
const DM_LIST_DEVICES_CMD: u32 = 2;
const DM_TABLE_STATUS_CMD: u32 = 12;

/// `struct dm_ioctl`: 312 bytes, laid out as below (natural alignment,
/// the 64-bit `dev` at 40).
const HEADER_LEN: usize = 312;
const OFF_VERSION: usize = 0;
const OFF_DATA_SIZE: usize = 12;
const OFF_DATA_START: usize = 16;
const OFF_TARGET_COUNT: usize = 20;
const OFF_FLAGS: usize = 28;
const OFF_NAME: usize = 48;
const NAME_LEN: usize = 128;

/// `struct dm_target_spec`: `sector_start` (u64), `length` (u64),
/// `status` (s32), `next` (u32), `target_type[16]`; the parameter string
/// follows it.
const SPEC_LEN: usize = 40;
const SPEC_OFF_NEXT: usize = 20;
const SPEC_OFF_TYPE: usize = 24;
const TYPE_LEN: usize = 16;

/// `struct dm_name_list`: `dev` (u64), `next` (u32), then the name.
const NAME_LIST_OFF_NEXT: usize = 8;
const NAME_LIST_OFF_NAME: usize = 12;

/// Ask for the target table rather than its status.
const DM_STATUS_TABLE_FLAG: u32 = 1 << 4;
/// Set by the kernel when the reply did not fit.
const DM_BUFFER_FULL_FLAG: u32 = 1 << 8;
/// A status query must not flush or commit anything (thin pools).
const DM_NOFLUSH_FLAG: u32 = 1 << 11;

/// The interface version this code speaks. The kernel accepts any request
/// of its major version and a minor it knows.
const VERSION: [u32; 3] = [4, 0, 0];

const FIRST_BUFFER: usize = 16 * 1024;
/// A reply larger than this is not believed: a sysfs-sized cap, as for files.
const MAX_BUFFER: usize = 4 * 1024 * 1024;

/// `_IOWR(DM_IOCTL, nr, struct dm_ioctl)`.
const fn iowr(nr: u32) -> u32 {
    (3 << 30) | ((HEADER_LEN as u32) << 16) | (DM_IOCTL << 8) | nr
}

/// The commands this module may send: queries only.
const QUERIES: [u32; 3] = [DM_VERSION_CMD, DM_LIST_DEVICES_CMD, DM_TABLE_STATUS_CMD];

/// A device-mapper device as `DM_LIST_DEVICES` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmDevice {
    pub name: String,
    /// `MAJOR:MINOR`
    pub dev: String,
}

/// One target of a device's table: `start length type params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub start: u64,
    pub length: u64,
    pub kind: String,
    pub params: String,
}

/// The open control device.
pub struct Control(File);

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

/// A NUL-terminated string within `b` from `at`; text up to the end of `b`
/// when there is no NUL (a reply cut short is refused by the caller).
fn c_str(b: &[u8], at: usize) -> Option<String> {
    let rest = b.get(at..)?;
    let end = rest.iter().position(|c| *c == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// `MAJOR:MINOR` of the kernel's `huge_encode_dev` form.
fn dev_text(dev: u64) -> String {
    let major = (dev >> 8) & 0xfff;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    format!("{major}:{minor}")
}

impl Control {
    pub fn open() -> io::Result<Control> {
        Control::open_at(Path::new(CONTROL))
    }

    /// Opens the control device at `path` read-only: the queries need no
    /// write access to it.
    pub fn open_at(path: &Path) -> io::Result<Control> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)?;
        Ok(Control(file))
    }

    /// Sends one query and returns the kernel's whole reply (header and
    /// data), growing the buffer while the kernel says it is full.
    fn query(&self, cmd: u32, name: Option<&str>, flags: u32) -> io::Result<Vec<u8>> {
        if !QUERIES.contains(&cmd) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("device-mapper command {cmd} is not a query: refused"),
            ));
        }
        if let Some(n) = name
            && (n.is_empty() || n.len() >= NAME_LEN || n.contains('\0'))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("device-mapper name {n:?} does not fit"),
            ));
        }
        let mut size = FIRST_BUFFER;
        loop {
            let mut buf = vec![0u8; size];
            for (i, v) in VERSION.iter().enumerate() {
                put_u32(&mut buf, OFF_VERSION + 4 * i, *v);
            }
            put_u32(&mut buf, OFF_DATA_SIZE, size as u32);
            put_u32(&mut buf, OFF_DATA_START, HEADER_LEN as u32);
            put_u32(&mut buf, OFF_FLAGS, flags);
            if let Some(n) = name {
                buf[OFF_NAME..OFF_NAME + n.len()].copy_from_slice(n.as_bytes());
            }
            // SAFETY: `buf` is a writable buffer of `size` bytes holding a
            // dm_ioctl header whose data_size says `size`; the kernel writes
            // no further than data_size.
            let rc = unsafe { libc::ioctl(self.0.as_raw_fd(), iowr(cmd) as _, buf.as_mut_ptr()) };
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
            let out_flags = get_u32(&buf, OFF_FLAGS).unwrap_or(0);
            if out_flags & DM_BUFFER_FULL_FLAG == 0 {
                return Ok(buf);
            }
            if size >= MAX_BUFFER {
                return Err(invalid(format!(
                    "device-mapper reply larger than {MAX_BUFFER} bytes"
                )));
            }
            size *= 4;
        }
    }

    /// Every device-mapper device, sorted by name.
    pub fn list(&self) -> io::Result<Vec<DmDevice>> {
        let reply = self.query(DM_LIST_DEVICES_CMD, None, 0)?;
        let mut devices = parse_name_list(payload(&reply)?)?;
        devices.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(devices)
    }

    /// The active table of a device (`dmsetup table NAME`).
    pub fn table(&self, name: &str) -> io::Result<Vec<Target>> {
        let reply = self.query(DM_TABLE_STATUS_CMD, Some(name), DM_STATUS_TABLE_FLAG)?;
        parse_targets(&reply)
    }

    /// The status of each target of a device (`dmsetup status NAME`).
    pub fn status(&self, name: &str) -> io::Result<Vec<Target>> {
        let reply = self.query(DM_TABLE_STATUS_CMD, Some(name), DM_NOFLUSH_FLAG)?;
        parse_targets(&reply)
    }
}

/// The data part of a reply, as the header places it.
fn payload(reply: &[u8]) -> io::Result<&[u8]> {
    let start = get_u32(reply, OFF_DATA_START).ok_or_else(|| invalid("short reply"))? as usize;
    let size = get_u32(reply, OFF_DATA_SIZE).ok_or_else(|| invalid("short reply"))? as usize;
    if start < HEADER_LEN || start > size || size > reply.len() {
        return Err(invalid(format!(
            "device-mapper reply with data from {start} to {size} in {} bytes",
            reply.len()
        )));
    }
    Ok(&reply[start..size])
}

/// Decodes a `DM_LIST_DEVICES` payload: records chained by `next`, each
/// relative to its own start; a first record with device 0 means none.
pub fn parse_name_list(data: &[u8]) -> io::Result<Vec<DmDevice>> {
    let mut out = Vec::new();
    if data.len() < NAME_LIST_OFF_NAME || get_u64(data, 0) == Some(0) {
        return Ok(out);
    }
    let mut at = 0usize;
    loop {
        let dev = get_u64(data, at).ok_or_else(|| invalid("device list cut short"))?;
        let next = get_u32(data, at + NAME_LIST_OFF_NEXT)
            .ok_or_else(|| invalid("device list cut short"))? as usize;
        let name = c_str(data, at + NAME_LIST_OFF_NAME)
            .ok_or_else(|| invalid("device name without its end"))?;
        out.push(DmDevice {
            name,
            dev: dev_text(dev),
        });
        if next == 0 {
            return Ok(out);
        }
        // `next` only moves forward, so the walk ends.
        at = at
            .checked_add(next)
            .filter(|a| *a < data.len())
            .ok_or_else(|| invalid("device list points past its end"))?;
    }
}

/// Decodes a `DM_TABLE_STATUS` reply: `target_count` specs, each followed
/// by its parameter string; `next` is relative to the start of the data.
pub fn parse_targets(reply: &[u8]) -> io::Result<Vec<Target>> {
    let count = get_u32(reply, OFF_TARGET_COUNT).ok_or_else(|| invalid("short reply"))?;
    let data = payload(reply)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    for i in 0..count {
        let spec = data
            .get(at..at + SPEC_LEN)
            .ok_or_else(|| invalid(format!("target {i} lies past the reply's end")))?;
        let start = get_u64(spec, 0).unwrap_or(0);
        let length = get_u64(spec, 8).unwrap_or(0);
        let next = get_u32(spec, SPEC_OFF_NEXT).unwrap_or(0) as usize;
        let kind = c_str(&spec[..SPEC_OFF_TYPE + TYPE_LEN], SPEC_OFF_TYPE)
            .unwrap_or_else(|| String::from_utf8_lossy(&spec[SPEC_OFF_TYPE..]).into_owned());
        let params = c_str(data, at + SPEC_LEN)
            .ok_or_else(|| invalid(format!("target {i}'s parameters without their end")))?;
        out.push(Target {
            start,
            length,
            kind,
            params,
        });
        if i + 1 < count {
            if next <= at {
                return Err(invalid(format!("target {i} points back to {next}")));
            }
            at = next;
        }
    }
    Ok(out)
}

/// The table and status text of every multipath map, as `dmsetup table
/// --target multipath` and `dmsetup status --target multipath` print them.
pub struct MultipathText {
    pub table: String,
    pub status: String,
}

/// One line of `dmsetup table` or `dmsetup status` output.
pub fn dmsetup_line(out: &mut String, name: &str, t: &Target) {
    let _ = write!(out, "{name}: {} {} {}", t.start, t.length, t.kind);
    let params = t.params.trim_end();
    if !params.is_empty() {
        out.push(' ');
        out.push_str(params);
    }
    out.push('\n');
}

/// Reads every device's table and, for the maps with a multipath target,
/// the status. A device removed between the list and the query is skipped.
pub fn multipath_text(ctl: &Control) -> io::Result<MultipathText> {
    let mut text = MultipathText {
        table: String::new(),
        status: String::new(),
    };
    for device in ctl.list()? {
        let gone = |e: &io::Error| e.raw_os_error() == Some(libc::ENXIO);
        let table = match ctl.table(&device.name) {
            Ok(t) => t,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        if !table.iter().any(|t| t.kind == "multipath") {
            continue;
        }
        let status = match ctl.status(&device.name) {
            Ok(s) => s,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        for t in table.iter().filter(|t| t.kind == "multipath") {
            dmsetup_line(&mut text.table, &device.name, t);
        }
        for t in status.iter().filter(|t| t.kind == "multipath") {
            dmsetup_line(&mut text.status, &device.name, t);
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_are_the_kernels() {
        // As strace prints them for dmsetup.
        assert_eq!(iowr(DM_VERSION_CMD), 0xc138_fd00);
        assert_eq!(iowr(DM_LIST_DEVICES_CMD), 0xc138_fd02);
        assert_eq!(iowr(DM_TABLE_STATUS_CMD), 0xc138_fd0c);
    }

    #[test]
    fn only_queries_are_sent() {
        let null = Control::open_at(Path::new("/dev/null")).unwrap();
        // DM_DEV_REMOVE_CMD (4) and DM_TABLE_LOAD_CMD (9) change state.
        for cmd in [1, 3, 4, 5, 6, 9, 10, 14] {
            let e = null.query(cmd, Some("x"), 0).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{cmd}");
        }
    }

    #[test]
    fn a_missing_control_device_is_not_found_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let e = Control::open_at(&dir.path().join("control")).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    /// A reply laid out as the kernel lays one out.
    fn reply(count: u32, data: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN];
        put_u32(&mut b, OFF_DATA_START, HEADER_LEN as u32);
        put_u32(&mut b, OFF_DATA_SIZE, (HEADER_LEN + data.len()) as u32);
        put_u32(&mut b, OFF_TARGET_COUNT, count);
        b.extend_from_slice(data);
        b
    }

    fn spec(start: u64, len: u64, next: u32, kind: &str, params: &str) -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(&start.to_ne_bytes());
        s.extend_from_slice(&len.to_ne_bytes());
        s.extend_from_slice(&0i32.to_ne_bytes());
        s.extend_from_slice(&next.to_ne_bytes());
        let mut t = [0u8; TYPE_LEN];
        t[..kind.len()].copy_from_slice(kind.as_bytes());
        s.extend_from_slice(&t);
        s.extend_from_slice(params.as_bytes());
        s.push(0);
        while s.len() % 8 != 0 {
            s.push(0);
        }
        s
    }

    #[test]
    fn targets_follow_next_from_the_start_of_the_data() {
        let first = spec(0, 2048, 0, "linear", "8:16 0");
        let second = spec(2048, 4096, 0, "linear", "8:32 2048");
        let mut data = first.clone();
        // `next` of the first spec: where the second starts.
        data[SPEC_OFF_NEXT..SPEC_OFF_NEXT + 4].copy_from_slice(&(first.len() as u32).to_ne_bytes());
        data.extend_from_slice(&second);
        let t = parse_targets(&reply(2, &data)).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[1].start, t[1].length, t[1].kind.as_str()),
            (2048, 4096, "linear")
        );
        assert_eq!(t[1].params, "8:32 2048");
        let mut line = String::new();
        dmsetup_line(&mut line, "vg-lv", &t[0]);
        assert_eq!(line, "vg-lv: 0 2048 linear 8:16 0\n");
    }

    #[test]
    fn a_reply_cut_short_or_pointing_back_is_refused() {
        let one = spec(0, 1, 0, "multipath", "2 0 0 0 1 1 A 0 1 0 8:16 A 0 ");
        assert!(parse_targets(&reply(1, &one)).is_ok());
        assert!(parse_targets(&reply(2, &one)).is_err());
        assert!(parse_targets(&reply(1, &one[..30])).is_err());
        let mut bad = reply(1, &one);
        put_u32(&mut bad, OFF_DATA_SIZE, 10_000);
        assert!(parse_targets(&bad).is_err());
    }

    #[test]
    fn device_lists_chain_records_and_mark_none_with_device_zero() {
        assert!(parse_name_list(&[0u8; 16]).unwrap().is_empty());
        let mut data = Vec::new();
        // 253:3 and 253:260 (minor above 255 uses the high bits).
        let encode =
            |major: u64, minor: u64| (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
        data.extend_from_slice(&encode(253, 3).to_ne_bytes());
        data.extend_from_slice(&24u32.to_ne_bytes());
        data.extend_from_slice(b"mpatha\0\0\0\0\0\0");
        data.extend_from_slice(&encode(253, 260).to_ne_bytes());
        data.extend_from_slice(&0u32.to_ne_bytes());
        data.extend_from_slice(b"vg0-root\0\0\0\0");
        let list = parse_name_list(&data).unwrap();
        assert_eq!(
            list,
            [
                DmDevice {
                    name: "mpatha".into(),
                    dev: "253:3".into()
                },
                DmDevice {
                    name: "vg0-root".into(),
                    dev: "253:260".into()
                }
            ]
        );
        let mut looping = data.clone();
        looping[8..12].copy_from_slice(&100u32.to_ne_bytes());
        assert!(parse_name_list(&looping).is_err());
    }
}
