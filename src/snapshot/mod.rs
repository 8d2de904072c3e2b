//! The data model of a host: plain, serializable, no I/O.
//!
//! Collectors fill a [`Snapshot`]; checks and reports only read it. The JSON
//! form is versioned by [`SCHEMA`]: a change that removes or renames a field
//! bumps it.

mod bond;
mod fact;
mod history;
mod host;
mod infiniband;
mod link;
mod lldp;
mod neighbor;
mod route;
pub mod schema;
mod storage;
pub mod values;

use schemars::JsonSchema;
use serde::Serialize;

pub use bond::{
    BOND_MODES, Bond, BondLacp, BondMember, CHURN_STATES, MemberLacp, XMIT_HASH_POLICIES,
    mode_has_active_member, mode_uses_xmit_hash,
};
pub use fact::{Fact, Missing, Reason, io_text};
pub use history::History;
pub use host::{Host, PstoreRecord, Taint, TaintFlag};
pub use infiniband::{
    IB_COUNTERS, IB_ERROR_COUNTERS, IB_LINK_LAYERS, IB_PHYS_STATES, IB_STATES, IbDevice, IbPort,
    ib_counter_ceiling,
};
pub use link::{
    Address, Counters, Device, DriverInfo, Duplex, Interface, Link, LinkModes, LinkSettings,
    Onboard, PciDevice, PcieLink, PciePort,
};
pub use lldp::{LldpId, LldpNeighbor, LldpPort, LldpVlan};
pub use neighbor::{Neighbor, nud_name, nud_names};
pub use route::{
    DevId, Family, Hop, NextHop, Prefix, Resolution, Route, RouteEntry, RouteError,
    RouteHeaderFields, RouteLookup, RouteTable, Rule, names, route_flag_names,
};
pub use storage::{
    AtaDevice, AtaLink, Attachment, BlockDevice, DmDevice, FC_ERROR_COUNTERS, FROM_SCSI,
    FROM_TARGET, FcHost, FileFacts, IscsiConnection, IscsiSession, MdArray, MdDisagreement,
    MdMember, MdSync, Mount, MountProbe, MultipathMap, MultipathPath, NvmeController,
    NvmeNamespace, NvmePath, NvmeSubsystem, PATH_ACTIVE, PATH_FAILED, PathGroup, ProbeAnswer,
    SAS_ERROR_COUNTERS, SasPhy, ScsiDevice, Storage, bytes_text, gbit_text, parse_gbit,
};

pub const SCHEMA: &str = "hostlint.snapshot/1";

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Snapshot {
    pub schema: &'static str,
    pub host: Host,
    pub links: Fact<Vec<Link>>,
    pub bonds: Fact<Vec<Bond>>,
    /// InfiniBand and RoCE ports, read with the links.
    pub infiniband: Fact<Vec<IbDevice>>,
    pub routes: Fact<RouteTable>,
    pub rules: Fact<Vec<Rule>>,
    pub neighbors: Fact<Vec<Neighbor>>,
    /// The LLDP neighbours of every interface, as the host's lldpd heard
    /// them; unknown as a whole when lldpd could not be asked.
    pub lldp: Fact<Vec<LldpNeighbor>>,
    pub storage: Storage,
    /// Lookups the audited policies asked for; none in a plain `show`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub route_lookups: Vec<RouteLookup>,
    /// Where the facts were read, for the evidence of findings; the same
    /// host live and captured has the same document, so this is not in it.
    #[serde(skip)]
    pub origin: Origin,
    /// The previous run's counters, when the audit keeps state.
    #[serde(skip)]
    pub history: Fact<History>,
}

/// Where each kind of fact came from: templates in which `{}` stands for
/// an interface name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub live: bool,
    /// What a relative file path is shown under: `/` live, the fixture
    /// directory otherwise.
    pub root: String,
    pub link: String,
    pub link_settings: String,
    pub driver: String,
    pub routes: String,
    pub rules: String,
    pub neighbors: String,
    /// The multipath target status lines: the device-mapper ioctl live,
    /// the `dmsetup status` text in a fixture.
    pub dm_status: String,
    /// The LLDP neighbours: the lldpcli command live, its output in a
    /// fixture.
    pub lldp: String,
}

impl Origin {
    pub fn file(&self, rel: &str) -> String {
        format!("{}/{}", self.root.trim_end_matches('/'), rel)
    }

    fn fill(template: &str, name: &str) -> String {
        template.replace("{}", name)
    }

    pub fn link(&self, name: &str) -> String {
        Self::fill(&self.link, name)
    }

    pub fn link_settings(&self, name: &str) -> String {
        Self::fill(&self.link_settings, name)
    }

    pub fn driver(&self, name: &str) -> String {
        Self::fill(&self.driver, name)
    }
}

impl Snapshot {
    /// Why nothing at all could be read, when that is so: a root that is
    /// not a capture (an empty directory, the wrong one) must not pass for
    /// a host without links, routes or storage. The reason is the links'.
    pub fn holds_nothing(&self) -> Option<&Missing> {
        let h = &self.host;
        let st = &self.storage;
        let parts = [
            h.hostname.missing(),
            h.kernel_release.missing(),
            h.uptime_seconds.missing(),
            h.boot_id.missing(),
            h.taint.missing(),
            h.pstore.missing(),
            self.bonds.missing(),
            self.routes.missing(),
            self.rules.missing(),
            self.neighbors.missing(),
            self.lldp.missing(),
            st.block.missing(),
            st.multipath.missing(),
            st.nvme.missing(),
            st.fc_hosts.missing(),
            st.iscsi.missing(),
            st.sas_phys.missing(),
            st.ata_links.missing(),
            st.md.missing(),
            st.mounts.missing(),
        ];
        let links = self.links.missing()?;
        parts.iter().all(Option::is_some).then_some(links)
    }

    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.known()?.iter().find(|l| l.iface.name == name)
    }

    pub fn bond(&self, name: &str) -> Option<&Bond> {
        self.bonds.known()?.iter().find(|b| b.name == name)
    }
}
