//! LLDP neighbours: what the switch port at the other end of each cable
//! says of itself, as the host's `lldpd` heard it, and which of them say
//! what a port faces.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Fact, Missing};

/// One neighbour heard on one of our interfaces. A port hearing two
/// devices (a switch and a hub behind it, LLDP and CDP from one switch) has
/// two entries. A TLV that cannot be read is unknown on its own: the rest
/// of the neighbour, and every other neighbour, is kept.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LldpNeighbor {
    /// Our interface.
    pub iface: String,
    /// The protocol it was heard by: `LLDP`, or `CDPv2`, `EDP`... when
    /// lldpd listens for those too.
    pub via: String,
    /// With the port id, which far end this is: unknown when it cannot be
    /// read, and then so is what the port faces.
    pub chassis_id: Fact<LldpId>,
    /// SysName: the switch's name.
    pub system_name: Option<String>,
    /// SysDescr: its model and software.
    pub system_description: Option<String>,
    pub management_addresses: Vec<String>,
    pub port_id: Fact<LldpId>,
    /// PortDescr: on Linux peers the interface name, on switches often the
    /// port's name or a description an operator typed.
    pub port_description: Option<String>,
    /// How long the neighbour's last announcement stays valid.
    pub ttl_seconds: Fact<Option<u32>>,
    /// Seconds since the neighbour was first heard or last changed; `None`
    /// when lldpd's clock went back since.
    pub age_seconds: Fact<Option<u64>>,
    /// The 802.1 VLAN TLVs the switch port sends, when it sends them.
    pub vlans: Fact<Vec<LldpVlan>>,
    /// The 802.3 link aggregation TLV: the aggregated port's id when the
    /// switch port is in a port channel (LAG, MLAG), `None` otherwise or
    /// when not sent.
    pub aggregation_port_id: Fact<Option<u32>>,
}

/// A chassis or port id with its LLDP subtype as lldpcli names it
/// (`mac`, `ifname`, `local`, `ip`, `ifalias`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LldpId {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LldpVlan {
    pub id: u16,
    pub name: Option<String>,
    /// The port's VLAN id for untagged frames.
    pub pvid: bool,
}

impl LldpNeighbor {
    /// The chassis id and port id that tell which switch port this is, or
    /// why they cannot be read.
    pub fn identity(&self) -> Result<(&LldpId, &LldpId), &Missing> {
        match (&self.chassis_id, &self.port_id) {
            (Fact::Known(c), Fact::Known(p)) => Ok((c, p)),
            (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Err(m),
        }
    }

    /// The switch as an operator names it: its SysName, else its chassis
    /// id.
    pub fn switch(&self) -> &str {
        self.system_name
            .as_deref()
            .or(self.chassis_id.known().map(|c| c.value.as_str()))
            .unwrap_or("?")
    }

    /// The switch port as an operator names it: the port id when it is a
    /// name (`ifname`, `local`, `ifalias` subtypes), else the port
    /// description (a Linux peer's interface name goes there, its id being
    /// a MAC address), else the id whatever it is.
    pub fn port(&self) -> &str {
        let named = |id: &&LldpId| matches!(id.kind.as_str(), "ifname" | "local" | "ifalias");
        self.port_id
            .known()
            .filter(named)
            .map(|id| id.value.as_str())
            .or(self.port_description.as_deref())
            .or(self.port_id.known().map(|id| id.value.as_str()))
            .unwrap_or("?")
    }

    /// `sw-a swp7`: what a finding and a table show.
    pub fn shown(&self) -> String {
        format!("{} {}", self.switch(), self.port())
    }

    /// Whether two entries are the same port of the same device: the
    /// chassis id and port id identify it, whatever the names say. An
    /// entry that cannot be told is the same as none.
    pub fn same_far_end(&self, other: &LldpNeighbor) -> bool {
        matches!((self.identity(), other.identity()), (Ok(a), Ok(b)) if a == b)
    }
}

/// How lldpcli names the protocol itself.
const LLDP: &str = "LLDP";

/// One host port and the neighbours that say what it faces.
pub struct LldpPort<'a> {
    pub iface: &'a str,
    pub heard: Vec<&'a LldpNeighbor>,
}

impl LldpNeighbor {
    /// The neighbours heard on a host port that say what it faces: those
    /// heard over LLDP when there are any. A switch that also speaks CDP,
    /// EDP or FDP (lldpd listens with `-c`, `-e`, `-f`) is heard once per
    /// protocol, under another name (`sw-a(FOX1234)` for CDP) and another
    /// chassis id: it is one far end, not a second neighbour or a second
    /// switch, and lldpd listening for CDP or not is no change of cabling.
    /// The `cabling` check and `diff` both judge a port by these.
    pub fn heard_on<'a>(neighbours: &'a [LldpNeighbor], iface: &str) -> Vec<&'a LldpNeighbor> {
        let all: Vec<&LldpNeighbor> = neighbours.iter().filter(|n| n.iface == iface).collect();
        if all.iter().any(|n| n.via == LLDP) {
            all.into_iter().filter(|n| n.via == LLDP).collect()
        } else {
            all
        }
    }

    /// Every port that hears a neighbour, once, in the order lldpd lists
    /// them, with what it faces ([`LldpNeighbor::heard_on`]).
    pub fn by_port(neighbours: &[LldpNeighbor]) -> Vec<LldpPort<'_>> {
        let mut ifaces: Vec<&str> = Vec::new();
        for n in neighbours {
            if !ifaces.contains(&n.iface.as_str()) {
                ifaces.push(&n.iface);
            }
        }
        ifaces
            .into_iter()
            .map(|iface| LldpPort {
                iface,
                heard: LldpNeighbor::heard_on(neighbours, iface),
            })
            .collect()
    }
}
