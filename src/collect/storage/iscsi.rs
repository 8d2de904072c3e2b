//! iSCSI sessions (`sys/class/iscsi_session/sessionN`) and their
//! connections (`sys/class/iscsi_connection/connectionN:C`, N the
//! session's number).

use super::{class_entries, link_target, optional_value, scsi_host_of};
use crate::collect::read_value;
use crate::snapshot::{Fact, IscsiConnection, IscsiSession};
use crate::source::Source;

pub const SESSIONS: &str = "sys/class/iscsi_session";
pub const CONNECTIONS: &str = "sys/class/iscsi_connection";

pub fn collect(source: &Source) -> Fact<Vec<IscsiSession>> {
    let sessions = match class_entries(source, SESSIONS) {
        Ok(n) => n,
        Err(m) => return Fact::Unknown(m),
    };
    if sessions.is_empty() {
        return Fact::Known(Vec::new());
    }
    let connections = class_entries(source, CONNECTIONS);
    Fact::Known(
        sessions
            .iter()
            .map(|s| session(source, s, &connections))
            .collect(),
    )
}

fn session(
    source: &Source,
    name: &str,
    connections: &Result<Vec<String>, crate::snapshot::Missing>,
) -> IscsiSession {
    let dir = format!("{SESSIONS}/{name}");
    let number = name.strip_prefix("session").unwrap_or(name);
    let conns = match connections {
        Err(m) => Fact::Unknown(m.clone()),
        Ok(all) => Fact::Known(
            all.iter()
                .filter(|c| {
                    c.strip_prefix("connection")
                        .and_then(|r| r.split_once(':'))
                        .is_some_and(|(sid, _)| sid == number)
                })
                .map(|c| connection(source, c))
                .collect(),
        ),
    };
    IscsiSession {
        name: name.to_owned(),
        target: read_value(source, &format!("{dir}/targetname")).into(),
        state: read_value(source, &format!("{dir}/state")).into(),
        scsi_host: link_target(source, &dir).map(|p| scsi_host_of(&p)).into(),
        connections: conns,
    }
}

fn connection(source: &Source, name: &str) -> IscsiConnection {
    let dir = format!("{CONNECTIONS}/{name}");
    let address = read_value(source, &format!("{dir}/persistent_address"));
    let port = read_value(source, &format!("{dir}/persistent_port"));
    let portal = address.and_then(|a| {
        port.map(|p| {
            // An IPv6 portal is written as iscsiadm writes it: [addr]:port.
            if a.contains(':') {
                format!("[{a}]:{p}")
            } else {
                format!("{a}:{p}")
            }
        })
    });
    IscsiConnection {
        name: name.to_owned(),
        portal: portal.into(),
        state: optional_value(source, &format!("{dir}/state")),
    }
}
