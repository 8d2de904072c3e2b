//! Every bound hostlint puts on what it reads, in one place, so that a
//! hostile or broken input (a policy that is `/dev/zero`, a fixture file
//! of gigabytes, an archive that inflates without end, a kernel dump that
//! never ends) costs a known amount of memory and time, and gives an error
//! or an UNKNOWN fact, never an exhausted host. `docs/limits.md` lists
//! them for operators; change both together.

/// A policy file, and each file it includes: hand-written YAML. The
/// largest shipped policy is under 8 KiB.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// One kernel text file (a sysfs or procfs attribute, `/proc/mounts`,
/// `/proc/net/bonding/*`) and one file of a fixture (its copies of those,
/// `manifest.json`, the `ethtool` and `dmsetup` text), an archive member
/// included. Far above any real host: `/proc/mounts` of a host with tens
/// of thousands of mounts is a few MiB. The `ip -j` lists of a fixture are
/// read as a stream instead, bounded per element.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One element of an `ip -j` list in a fixture's `cmd/ip-*.json` (a route
/// with its next hops, a link with its counters): such files are read
/// element by element (`source::json_list`), so what parsing holds and
/// costs follows this, not the file's size.
pub const MAX_JSON_ELEMENT_BYTES: u64 = 1024 * 1024;

/// A whole `cmd/ip-*.json` list, read element by element, in a fixture or
/// as an archive member: a million routes take about 70 MB as `ip -j`
/// prints them, so this admits some fifteen million.
pub const MAX_JSON_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// `--state FILE`: a few dozen bytes per counter; a host with a thousand
/// links keeps under 2 MiB.
pub const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;

/// A capture archive: what it may unpack to in all (written to a private
/// temporary directory, not kept in memory), and how many entries it may
/// have. More is not a capture, or is a decompression bomb. A capture of a
/// million routes unpacks to about 100 MB; a capture applies the same
/// bounds when it writes an archive, so every archive it writes, it reads.
pub const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
pub const MAX_ARCHIVE_ENTRIES: usize = 200_000;

/// What the tar reader may take in between two entries: headers, GNU long
/// names and pax extensions, which it keeps in memory whole.
pub const MAX_ARCHIVE_METADATA_BYTES: u64 = 1024 * 1024;

/// The replies to one netlink request, all datagrams together. A million
/// routes take about 100 MiB; each datagram is read into one 64 KiB
/// buffer and decoded at once, so what is kept is the decoded objects.
pub const MAX_NETLINK_REPLY_BYTES: u64 = 1024 * 1024 * 1024;

/// A capture keeps every file it read in memory until it writes them out
/// (the `ip -j` lists are written as they are read, not kept); past this
/// the capture is refused rather than the host's memory used up.
pub const MAX_RECORDING_BYTES: u64 = 512 * 1024 * 1024;

/// A cabling plan a `cabling` check names (CSV or YAML exported from an
/// inventory): a few hundred bytes a port.
pub const MAX_PLAN_BYTES: u64 = 4 * 1024 * 1024;

/// Interfaces, from the kernel, `ip -j` text or a sysfs copy: each costs
/// a few KiB once collected. A container host with ten thousand veths
/// fits, and so do the 100,000 links of the big-host bench.
pub const MAX_LINKS: usize = 128 * 1024;

/// Neighbour entries (the kernel keeps 1024 by default; a large L2
/// segment may raise gc_thresh3 to tens of thousands) and policy rules, as
/// `ip -j` prints them.
pub const MAX_NEIGHBORS: usize = 64 * 1024;
pub const MAX_RULES: usize = 64 * 1024;

/// The lines of one kernel text file (`/proc/mounts`, `/proc/mdstat`,
/// `/proc/net/bonding/*`, the device-mapper tables): each becomes a
/// mount, an array, a member or a map, a few hundred bytes apiece. The
/// 100,000 mounts of the big-host bench fit.
pub const MAX_TEXT_LINES: usize = 256 * 1024;

/// The names one directory listing may give (`sys/block`, `sys/class/net`):
/// each becomes an object with files of its own to read.
pub const MAX_DIR_ENTRIES: usize = 64 * 1024;

/// What `lldpcli -f json show neighbors details` may print: a few KiB a
/// neighbour.
pub const MAX_LLDP_OUTPUT_BYTES: u64 = 4 * 1024 * 1024;

/// `1 MiB`, `64 MiB`, `512 KiB`: a bound as a person reads it.
pub fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_read_as_written() {
        assert_eq!(size_text(MAX_POLICY_BYTES), "1 MiB");
        assert_eq!(size_text(MAX_FILE_BYTES), "64 MiB");
        assert_eq!(size_text(MAX_NETLINK_REPLY_BYTES), "1 GiB");
        assert_eq!(size_text(1536), "1536 bytes");
        assert_eq!(size_text(512 * 1024), "512 KiB");
    }
}
