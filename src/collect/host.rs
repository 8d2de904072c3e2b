//! Host identity, uptime, kernel taint and crash records, from procfs and
//! pstore.

use super::{absent_on_host, file_missing, read_parsed, read_value};
use crate::snapshot::{Fact, Host, Missing, PstoreRecord, Reason, Taint};
use crate::source::Source;

/// A new random UUID at every boot; readable unprivileged.
const BOOT_ID: &str = "proc/sys/kernel/random/boot_id";
const PSTORE_DIR: &str = "sys/fs/pstore";
/// Where systemd-pstore moves records after boot, one directory per crash.
const ARCHIVED_PSTORE_DIR: &str = "var/lib/systemd/pstore";
/// Enough for every crash a host has kept; more is a sign of a loop.
const MAX_PSTORE_RECORDS: usize = 256;

pub fn collect(source: &Source) -> Host {
    Host {
        hostname: read_value(source, "proc/sys/kernel/hostname").into(),
        kernel_release: read_value(source, "proc/sys/kernel/osrelease").into(),
        uptime_seconds: read_parsed(source, "proc/uptime", |t| {
            t.split_whitespace().next()?.parse::<f64>().ok()
        })
        .into(),
        boot_id: read_parsed(source, BOOT_ID, |t| is_uuid(t).then(|| t.to_owned())).into(),
        taint: read_parsed(source, "proc/sys/kernel/tainted", |t| t.parse::<u64>().ok())
            .map(Taint::from_mask)
            .into(),
        pstore: pstore(source).into(),
    }
}

/// `8-4-4-4-12` hex digits, as the kernel prints a UUID: anything else
/// is not a boot id, and two of them must not compare as one boot.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn skipped(m: &Missing) -> Host {
    Host {
        hostname: Fact::Unknown(m.clone()),
        kernel_release: Fact::Unknown(m.clone()),
        uptime_seconds: Fact::Unknown(m.clone()),
        boot_id: Fact::Unknown(m.clone()),
        taint: Fact::Unknown(m.clone()),
        pstore: Fact::Unknown(m.clone()),
    }
}

/// Records in pstore and in systemd-pstore's archive. Neither place
/// existing means nothing can be said: pstore is not mounted.
fn pstore(source: &Source) -> Result<Vec<PstoreRecord>, Missing> {
    let root = source.root();
    let mut records = Vec::new();
    let mut looked = Vec::new();
    for dir in [PSTORE_DIR, ARCHIVED_PSTORE_DIR] {
        let names = match root.read_dir(dir) {
            Ok(n) => n,
            // Absent on the host is an answer; not copied into a fixture is
            // not, and must not read as "no crash records".
            Err(e) if absent_on_host(&e) => continue,
            Err(e) => return Err(file_missing(dir, &e)),
        };
        looked.push(dir);
        for name in names {
            let path = format!("{dir}/{name}");
            if dir == ARCHIVED_PSTORE_DIR && root.is_dir(&path) {
                let inner = root.read_dir(&path).map_err(|e| file_missing(&path, &e))?;
                for file in inner {
                    add_record(source, &mut records, format!("{path}/{file}"))?;
                }
            } else {
                add_record(source, &mut records, path)?;
            }
        }
    }
    if looked.is_empty() {
        return Err(Missing::new(
            Reason::NotSupported,
            format!("neither {PSTORE_DIR} (pstore not mounted) nor {ARCHIVED_PSTORE_DIR} exists"),
        ));
    }
    Ok(records)
}

fn add_record(
    source: &Source,
    records: &mut Vec<PstoreRecord>,
    path: String,
) -> Result<(), Missing> {
    if records.len() >= MAX_PSTORE_RECORDS {
        return Err(Missing::new(
            Reason::Failed,
            format!("more than {MAX_PSTORE_RECORDS} pstore records; clear them"),
        ));
    }
    // Reading the record (bounded) rather than stat-ing it lets a capture
    // carry it; they are small by construction.
    let bytes = source
        .root()
        .read_bytes(&path)
        .map_err(|e| file_missing(&path, &e))?;
    records.push(PstoreRecord {
        path,
        size: bytes.len() as u64,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_uuid;

    #[test]
    fn boot_ids_are_uuids() {
        assert!(is_uuid("550a22b1-0d4c-4ee0-b76f-b7ffa4d50820"));
        assert!(!is_uuid("550a22b1-0d4c-4ee0-b76f"));
        assert!(!is_uuid("550a22b1-0d4c-4ee0-b76f-b7ffa4d5082g"));
        assert!(!is_uuid(""));
    }
}
