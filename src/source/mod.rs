//! Where facts live: a root directory for files (`/` live, a fixture
//! otherwise) and the kernel's netlink and ioctl interfaces, which a fixture
//! stores as the text `ip -j` and `ethtool` print.
//!
//! This is the only module that knows the difference between a live host and
//! a captured one; collectors ask the [`Source`] and get the same types back
//! either way.

pub mod archive;
pub mod bounded;
pub mod devmapper;
pub mod ethtool;
pub mod ethtool_text;
pub mod events;
pub mod guard;
pub mod iproute;
pub mod json_list;
pub mod limits;
pub mod lldpcli;
pub mod netlink;
pub mod probe;
mod root;
pub mod rtnl;
pub mod sha256;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::snapshot::{
    Address, DriverInfo, Fact, Interface, LinkSettings, Missing, Neighbor, Origin, Reason,
    RouteEntry, RouteTable, Rule, io_text,
};
use ethtool::IoctlSocket;
pub use guard::Deadline;
use guard::Guard;
pub use limits::MAX_FILE_BYTES;
use netlink::{NETLINK_GENERIC, NETLINK_ROUTE, Netlink, NetlinkError};
pub use root::{NotCaptured, Recording, Root, is_not_captured};

/// The files of a fixture that hold netlink and ioctl facts, with the
/// command that prints each: the fixture format's single definition.
pub mod layout {
    pub const MANIFEST: &str = "manifest.json";
    pub const LINKS: &str = "cmd/ip-link.json";
    pub const ADDRESSES: &str = "cmd/ip-addr.json";
    pub const ROUTES_V4: &str = "cmd/ip-route-4.json";
    pub const ROUTES_V6: &str = "cmd/ip-route-6.json";
    pub const RULES_V4: &str = "cmd/ip-rule-4.json";
    pub const RULES_V6: &str = "cmd/ip-rule-6.json";
    pub const NEIGHBORS: &str = "cmd/ip-neigh.json";
    pub const ETHTOOL_DIR: &str = "cmd/ethtool";
    pub const ETHTOOL_DRIVER_DIR: &str = "cmd/ethtool-i";
    /// The multipath maps' device-mapper table and status lines.
    pub const DM_TABLE: &str = "cmd/dmsetup-table.txt";
    pub const DM_STATUS: &str = "cmd/dmsetup-status.txt";
    /// A file's modification time for a `file` check (`stat -c %Y PATH`),
    /// which a copy of the file in a fixture cannot keep.
    pub const STAT_DIR: &str = "cmd/stat";
    /// The LLDP neighbours as lldpcli printed them.
    pub const LLDP: &str = "cmd/lldpcli-neighbors.json";

    /// Each file and the command whose output it is.
    pub const COMMANDS: &[(&str, &str)] = &[
        (LINKS, "ip -j -d -s -s link show"),
        (ADDRESSES, "ip -j addr show"),
        (ROUTES_V4, "ip -j -4 route show table all"),
        (ROUTES_V6, "ip -j -6 route show table all"),
        (RULES_V4, "ip -j -4 rule show"),
        (RULES_V6, "ip -j -6 rule show"),
        (NEIGHBORS, "ip -j neigh show nud all"),
        ("cmd/ethtool/IFACE", "ethtool IFACE"),
        ("cmd/ethtool-i/IFACE", "ethtool -i IFACE"),
        (DM_TABLE, "dmsetup table --target multipath"),
        (DM_STATUS, "dmsetup status --target multipath"),
        (LLDP, "lldpcli -f json show neighbors details"),
    ];

    pub fn ethtool(ifname: &str) -> String {
        format!("{ETHTOOL_DIR}/{ifname}")
    }

    pub fn ethtool_driver(ifname: &str) -> String {
        format!("{ETHTOOL_DRIVER_DIR}/{ifname}")
    }

    /// Where a fixture keeps the modification time of the file at `path`.
    pub fn stat(path: &str) -> String {
        format!("{STAT_DIR}/{}", path.trim_start_matches('/'))
    }
}

/// `manifest.json` of a fixture: where and when it was captured, and the
/// reads that failed on the live host (replayed as the same errors).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub hostlint_fixture: u32,
    #[serde(default)]
    pub hostlint_version: String,
    #[serde(default)]
    pub captured_at: String,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub kernel_release: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub commands: BTreeMap<String, String>,
    /// Relative path → errno name (`EINVAL`, `EOPNOTSUPP`, ...).
    #[serde(default)]
    pub read_errors: BTreeMap<String, String>,
    /// Paths hostlint looked for on the captured host and did not find.
    /// Any other path missing from the fixture is "not captured".
    #[serde(default)]
    pub absent: BTreeSet<String>,
}

pub const FIXTURE_FORMAT: u32 = 1;

const ERRNO_NAMES: &[(i32, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::EIO, "EIO"),
    (libc::ENXIO, "ENXIO"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::EACCES, "EACCES"),
    (libc::EBUSY, "EBUSY"),
    (libc::ENODEV, "ENODEV"),
    (libc::EINVAL, "EINVAL"),
    (libc::ENODATA, "ENODATA"),
    (libc::EOPNOTSUPP, "EOPNOTSUPP"),
    (libc::ETIMEDOUT, "ETIMEDOUT"),
    (libc::ENOTSUP, "ENOTSUP"),
    (libc::ENOENT, "ENOENT"),
    (libc::ESTALE, "ESTALE"),
    (libc::ENOTCONN, "ENOTCONN"),
    (libc::ECONNREFUSED, "ECONNREFUSED"),
    (libc::EFBIG, "EFBIG"),
    (libc::EILSEQ, "EILSEQ"),
    (libc::EHOSTDOWN, "EHOSTDOWN"),
    (libc::EREMOTEIO, "EREMOTEIO"),
];

pub fn errno_name(errno: i32) -> String {
    ERRNO_NAMES
        .iter()
        .find(|(n, _)| *n == errno)
        .map_or_else(|| errno.to_string(), |(_, name)| (*name).to_owned())
}

pub fn errno_from_name(name: &str) -> Option<i32> {
    ERRNO_NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(e, _)| *e)
        .or_else(|| name.parse().ok())
}

/// Whether `path` is one captured host: an archive (`.tar.gz`, `.tgz`), or
/// a directory holding a manifest or copies of sysfs, procfs or command
/// outputs (a sosreport is one too), rather than, say, a directory of
/// captures.
pub fn is_capture(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => archive::archive_stem(path).is_some(),
        Ok(m) if m.is_dir() => [layout::MANIFEST, "sys", "proc", "cmd"]
            .iter()
            .any(|entry| path.join(entry).exists()),
        _ => false,
    }
}

/// A fixture that cannot be used at all.
#[derive(Debug)]
pub struct FixtureError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for FixtureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for FixtureError {}

/// The kernel's answer to a route lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelRoute {
    Route(RouteEntry),
    /// No route: the errno (ENETUNREACH, EACCES for prohibit, EINVAL for
    /// blackhole) and the kernel's words.
    Refused {
        errno: i32,
        message: String,
    },
}

/// Live kernel handles, opened on first use.
#[derive(Default)]
struct LiveKernel {
    route: Option<Netlink>,
    genl: Option<Netlink>,
    ethtool_family: Option<u16>,
    ioctl: Option<Arc<IoctlSocket>>,
    guard: Option<Arc<Guard>>,
}

enum Kernel {
    Live(Box<Mutex<LiveKernel>>),
    Fixture,
}

pub struct Source {
    root: Root,
    kernel: Kernel,
    manifest: Option<Manifest>,
    guard: Option<Arc<Guard>>,
    /// The temporary directory an archive was unpacked into, removed when
    /// the source is dropped, and the archive's path as given.
    unpacked: Option<(archive::Unpacked, PathBuf)>,
    /// How to reach the live host's lldpd.
    lldp: lldpcli::LldpConfig,
}

/// What a JSON parser found wrong, without the "at line L column C" it
/// ends with: callers put the place first, as every error does.
pub fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&at).unwrap_or(&text).to_owned()
}

/// Where opening a capture has got to, so that a deadline that abandons it
/// can say what did not answer.
#[derive(Clone, Default)]
struct Progress(Arc<Mutex<Option<PathBuf>>>);

impl Progress {
    fn at(&self, path: &Path) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(path.to_owned());
    }

    fn last(&self) -> Option<PathBuf> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A netlink failure as the reason a fact is missing. A request the
/// deadline cut short (a dump still running when it passed, a kernel that
/// did not answer in time) is recorded, so that the run says it exceeded
/// its deadline.
fn netlink_missing(guard: &Option<Arc<Guard>>, what: &str, e: &NetlinkError) -> Missing {
    let reason = match e {
        NetlinkError::Decode(_) => Reason::Malformed,
        _ => Reason::from_io(&e.to_io()),
    };
    let m = Missing::new(reason, format!("{what}: {e}"));
    if let (Some(g), Reason::Timeout) = (guard, reason) {
        g.stop(m.detail.clone());
    }
    m
}

impl Source {
    /// The live host: files under `/`, facts from the running kernel.
    pub fn live() -> Source {
        Source {
            root: Root::live(),
            kernel: Kernel::Live(Box::default()),
            manifest: None,
            guard: None,
            unpacked: None,
            lldp: lldpcli::LldpConfig::default(),
        }
    }

    /// A captured host. A directory without a manifest (a sosreport, a copy
    /// of /sys and /proc) is read for what it holds.
    pub fn fixture(dir: &Path) -> Result<Source, FixtureError> {
        Source::fixture_reporting(dir, &Progress::default())
    }

    fn fixture_reporting(dir: &Path, progress: &Progress) -> Result<Source, FixtureError> {
        progress.at(dir);
        let meta = std::fs::metadata(dir).map_err(|e| FixtureError {
            path: dir.to_owned(),
            message: format!("cannot read the fixture: {}", io_text(&e)),
        })?;
        if !meta.is_dir() {
            return Err(FixtureError {
                path: dir.to_owned(),
                message: "a fixture is a directory (or a .tar.gz archive of one)".into(),
            });
        }
        let manifest_path = dir.join(layout::MANIFEST);
        progress.at(&manifest_path);
        let read = bounded::read_regular(&manifest_path, MAX_FILE_BYTES, "a fixture's manifest");
        let manifest = match read {
            Ok(text) => {
                let m: Manifest = serde_json::from_slice(&text).map_err(|e| FixtureError {
                    path: manifest_path.clone(),
                    message: format!(
                        "line {} column {}: {}",
                        e.line(),
                        e.column(),
                        json_message(&e)
                    ),
                })?;
                if m.hostlint_fixture != FIXTURE_FORMAT {
                    return Err(FixtureError {
                        path: manifest_path,
                        message: format!(
                            "fixture format {} is not {FIXTURE_FORMAT}, the one this hostlint reads",
                            m.hostlint_fixture
                        ),
                    });
                }
                Some(m)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(FixtureError {
                    path: manifest_path,
                    message: io_text(&e),
                });
            }
        };
        let mut injected = BTreeMap::new();
        for (path, name) in manifest.iter().flat_map(|m| &m.read_errors) {
            let errno = errno_from_name(name).ok_or_else(|| FixtureError {
                path: manifest_path.clone(),
                message: format!("read_errors: {path}: unknown errno {name:?}"),
            })?;
            injected.insert(path.clone(), errno);
        }
        let absent = manifest
            .as_ref()
            .map(|m| m.absent.clone())
            .unwrap_or_default();
        Ok(Source {
            root: Root::fixture(dir, injected, absent),
            kernel: Kernel::Fixture,
            manifest,
            guard: None,
            unpacked: None,
            lldp: lldpcli::LldpConfig::default(),
        })
    }

    /// Bounds the run: every file read and netlink request that would go
    /// past `deadline`, or hang on its own, fails with `TimedOut` and the
    /// fact becomes unknown.
    pub fn with_deadline(mut self, deadline: Deadline) -> Source {
        let guard = Arc::new(Guard::new(deadline));
        self.root = self.root.guarded(Arc::clone(&guard));
        if let Kernel::Live(k) = &self.kernel {
            k.lock().unwrap_or_else(|p| p.into_inner()).guard = Some(Arc::clone(&guard));
        }
        self.guard = Some(guard);
        self
    }

    /// Where the live host's lldpd listens and where lldpcli is (a
    /// fixture has its answer already).
    pub fn with_lldp(mut self, config: lldpcli::LldpConfig) -> Source {
        self.lldp = config;
        self
    }

    /// What is left of the run's deadline, if it has one.
    pub fn remaining(&self) -> Option<std::time::Duration> {
        self.guard.as_ref().map(|g| g.deadline().remaining())
    }

    /// Runs `call`, a filesystem call outside the root that can block (the
    /// state file), where this source's deadline can abandon it; `what`
    /// names it among the abandoned reads, and the caller names it in the
    /// error.
    pub fn bounded<T: Send + 'static>(
        &self,
        what: &str,
        call: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        match &self.guard {
            Some(g) => g.run(what, call),
            None => call(),
        }
    }

    /// The reads the deadline abandoned.
    pub fn abandoned(&self) -> Vec<String> {
        self.guard
            .as_ref()
            .map(|g| g.abandoned())
            .unwrap_or_default()
    }

    /// A captured host in a `.tar.gz` (as `hostlint capture -o NAME.tar.gz`
    /// writes it), unpacked into a temporary directory for as long as the
    /// source lives.
    pub fn archive(path: &Path) -> Result<Source, FixtureError> {
        Source::archive_reporting(path, &AtomicBool::new(false), &Progress::default())
    }

    fn archive_reporting(
        path: &Path,
        stop: &AtomicBool,
        progress: &Progress,
    ) -> Result<Source, FixtureError> {
        progress.at(path);
        let unpacked = archive::unpack_stopping(path, stop).map_err(|e| FixtureError {
            path: path.to_owned(),
            message: format!("cannot unpack the capture archive: {}", io_text(&e)),
        })?;
        let mut source =
            Source::fixture_reporting(unpacked.fixture(), progress).map_err(|e| FixtureError {
                path: path.to_owned(),
                message: format!(
                    "{}: {}",
                    e.path
                        .strip_prefix(unpacked.temp_dir())
                        .unwrap_or(&e.path)
                        .display(),
                    e.message
                ),
            })?;
        source.unpacked = Some((unpacked, path.to_owned()));
        Ok(source)
    }

    /// A capture given on the command line: a `.tar.gz` (or `.tgz`) file
    /// is an archive, anything else a fixture directory.
    pub fn open(path: &Path) -> Result<Source, FixtureError> {
        Source::open_reporting(path, &AtomicBool::new(false), &Progress::default())
    }

    fn open_reporting(
        path: &Path,
        stop: &AtomicBool,
        progress: &Progress,
    ) -> Result<Source, FixtureError> {
        progress.at(path);
        let is_file = std::fs::metadata(path).is_ok_and(|m| m.is_file());
        if is_file && archive::archive_stem(path).is_some() {
            Source::archive_reporting(path, stop, progress)
        } else {
            Source::fixture_reporting(path, progress)
        }
    }

    /// A capture given on the command line, opened and then read within
    /// `deadline`. Looking at the path, reading `manifest.json` and
    /// unpacking an archive run on a thread of their own, which the
    /// deadline abandons (a capture on a network filesystem that stopped
    /// answering, an archive that takes too long to unpack) with an error
    /// naming the path it was at.
    pub fn open_within(path: &Path, deadline: Deadline) -> Result<Source, FixtureError> {
        let progress = Progress::default();
        let owned = path.to_owned();
        let shared = progress.clone();
        let pending = probe::start(deadline.remaining(), move |stop: &AtomicBool| {
            Source::open_reporting(&owned, stop, &shared)
        })
        .map_err(|e| FixtureError {
            path: path.to_owned(),
            message: format!("cannot start a reader thread: {}", io_text(&e)),
        })?;
        // An abandoned unpacking stops at its next read and removes what
        // it wrote, unless its filesystem does not answer either.
        match pending.wait_or_wind_down(deadline.per_read.min(Duration::from_millis(500))) {
            Some((opened, _)) => Ok(opened?.with_deadline(deadline)),
            None => Err(FixtureError {
                path: progress.last().unwrap_or_else(|| path.to_owned()),
                message: format!(
                    "no answer within the deadline ({}); opening the capture was abandoned",
                    probe::limit_text(deadline.total())
                ),
            }),
        }
    }

    /// Records every file read, for `hostlint capture`.
    pub fn recording(mut self) -> Source {
        self.root = self.root.record();
        self
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Where the files were read, for people: the fixture directory, or
    /// for an archive its path and the capture directory inside
    /// (`lb-01.tar.gz/lb-01`), not the temporary directory that is gone
    /// once hostlint exits.
    pub fn shown_dir(&self) -> PathBuf {
        match &self.unpacked {
            Some((u, archive)) => match u.fixture().strip_prefix(u.temp_dir()) {
                Ok(inner) if !inner.as_os_str().is_empty() => archive.join(inner),
                _ => archive.clone(),
            },
            None => self.root.dir().to_owned(),
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self.kernel, Kernel::Live(_))
    }

    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    fn route_socket(k: &mut LiveKernel) -> Result<&mut Netlink, Missing> {
        if k.route.is_none() {
            let nl =
                Netlink::open(NETLINK_ROUTE).map_err(|e| Missing::io("rtnetlink socket", &e))?;
            k.route = Some(nl);
        }
        let guard = k.guard.clone();
        timed(k.route.as_mut().expect("opened above"), &guard)
    }

    /// A fixture's `ip -j` list through the root, read as a stream by
    /// `read`, with a missing file as `NotCaptured`.
    fn captured<T>(
        &self,
        rel: &str,
        read: impl FnOnce(root::CapturedFile) -> Result<T, json_list::ListError>,
    ) -> Result<T, Missing> {
        let file = self.root.open_captured(rel).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Missing::new(Reason::NotCaptured, format!("the fixture has no {rel}"))
            } else {
                Missing::io(rel, &e)
            }
        })?;
        read(file).map_err(|e| {
            let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            Missing::new(e.reason, format!("{rel}{at}: {}", e.message))
        })
    }

    /// Where this source's facts come from, for evidence. `links_from_sysfs`
    /// when the interfaces had to be read from a copy of sysfs alone.
    pub fn origin(&self, links_from_sysfs: bool) -> Origin {
        let live = self.is_live();
        let root = if live {
            String::new()
        } else {
            self.shown_dir().display().to_string()
        };
        let file = |rel: &str| format!("{}/{rel}", root.trim_end_matches('/'));
        let (link, link_settings, driver) = if live {
            (
                "rtnetlink RTM_GETLINK {}".to_owned(),
                "ethtool netlink LINKMODES_GET {}".to_owned(),
                "ioctl SIOCETHTOOL ETHTOOL_GDRVINFO {}".to_owned(),
            )
        } else if links_from_sysfs {
            (
                file("sys/class/net/{}"),
                file("sys/class/net/{}/speed"),
                file("sys/class/net/{}/device/driver"),
            )
        } else {
            (
                format!("{} ({{}})", file(layout::LINKS)),
                file(&layout::ethtool("{}")),
                file(&layout::ethtool_driver("{}")),
            )
        };
        let (routes, rules, neighbors) = if live {
            (
                "rtnetlink RTM_GETROUTE".to_owned(),
                "rtnetlink RTM_GETRULE".to_owned(),
                "rtnetlink RTM_GETNEIGH".to_owned(),
            )
        } else {
            (
                format!(
                    "{} and {}",
                    file(layout::ROUTES_V4),
                    file(layout::ROUTES_V6)
                ),
                format!("{} and {}", file(layout::RULES_V4), file(layout::RULES_V6)),
                file(layout::NEIGHBORS),
            )
        };
        let dm_status = if live {
            format!(
                "device-mapper ioctl DM_TABLE_STATUS ({})",
                devmapper::CONTROL
            )
        } else {
            file(layout::DM_STATUS)
        };
        let lldp = if live {
            self.lldp.command()
        } else {
            file(layout::LLDP)
        };
        Origin {
            live,
            root,
            dm_status,
            lldp,
            link,
            link_settings,
            driver,
            routes,
            rules,
            neighbors,
        }
    }

    /// Every interface as rtnetlink describes it.
    pub fn interfaces(&self) -> Result<Vec<Interface>, Missing> {
        match &self.kernel {
            Kernel::Live(k) => with_kernel(k, |k| {
                rtnl::dump_links(Self::route_socket(k)?)
                    .map_err(|e| netlink_missing(&self.guard, "RTM_GETLINK", &e))
            }),
            Kernel::Fixture => self.captured(layout::LINKS, iproute::parse_links),
        }
    }

    /// Addresses by interface name.
    pub fn addresses(&self, links: &[Interface]) -> Result<HashMap<String, Vec<Address>>, Missing> {
        match &self.kernel {
            Kernel::Live(k) => with_kernel(k, |k| {
                let by_index = rtnl::dump_addresses(Self::route_socket(k)?)
                    .map_err(|e| netlink_missing(&self.guard, "RTM_GETADDR", &e))?;
                let names: HashMap<u32, &str> = links
                    .iter()
                    .filter_map(|l| Some((*l.ifindex.known()?, l.name.as_str())))
                    .collect();
                Ok(by_index
                    .into_iter()
                    .filter_map(|(idx, addrs)| names.get(&idx).map(|n| ((*n).to_owned(), addrs)))
                    .collect())
            }),
            Kernel::Fixture => self.captured(layout::ADDRESSES, iproute::parse_addresses),
        }
    }

    /// Routes of every table, both families.
    pub fn routes(&self, links: &[Interface]) -> Result<RouteTable, Missing> {
        let mut table = RouteTable::default();
        self.each_route(links, &mut table, &mut |_| Ok(()))?;
        Ok(table)
    }

    /// Routes of every table, IPv4 then IPv6, each added to `table` as it is
    /// read and then handed to `each`, which may take it out again (a
    /// capture writes routes as they come and keeps none). An error from
    /// `each` ends the read and is returned as it is; so is the deadline,
    /// checked as the routes come, since reading a million of them is work
    /// that no read timeout ends.
    pub fn each_route(
        &self,
        links: &[Interface],
        table: &mut RouteTable,
        each: &mut dyn FnMut(&mut RouteTable) -> Result<(), Missing>,
    ) -> Result<(), Missing> {
        const CHECK_EVERY: usize = 4096;
        let mut count = 0;
        let mut stopped: Option<Missing> = None;
        let mut each = |t: &mut RouteTable| -> Result<(), Missing> {
            count += 1;
            if count % CHECK_EVERY == 0
                && let Some(m) = self.stop_at_deadline(|| format!("reading routes ({count} read)"))
            {
                return Err(m);
            }
            each(t)
        };
        match &self.kernel {
            Kernel::Live(k) => with_kernel(k, |k| {
                let names = ifnames(links);
                rtnl::dump_routes(Self::route_socket(k)?, &names, table, &mut |t| {
                    each(t).map_err(|m| {
                        let shown = m.detail.clone();
                        stopped = Some(m);
                        shown
                    })
                })
                .map_err(|e| {
                    stopped
                        .take()
                        .unwrap_or_else(|| netlink_missing(&self.guard, "RTM_GETROUTE", &e))
                })
            }),
            Kernel::Fixture => {
                let mut read = |rel: &str, family: u8| {
                    self.captured(rel, |f| {
                        iproute::read_routes(f, family, table, &mut |t| {
                            each(t).map_err(|m| json_list::ListError {
                                reason: m.reason,
                                line: None,
                                message: m.detail,
                            })
                        })
                    })
                };
                read(layout::ROUTES_V4, 4)?;
                read(layout::ROUTES_V6, 6)
            }
        }
    }

    /// Whether the run's deadline has passed: if so the work `what` names
    /// is recorded as stopped by it (the run then says it exceeded its
    /// deadline) and comes back as the reason its result is missing.
    pub fn stop_at_deadline(&self, what: impl FnOnce() -> String) -> Option<Missing> {
        let guard = self.guard.as_ref()?;
        if !guard.deadline().passed() {
            return None;
        }
        let what = what();
        guard.stop(what.clone());
        Some(Missing::new(
            Reason::Timeout,
            format!("{what}: stopped at the deadline"),
        ))
    }

    pub fn rules(&self) -> Result<Vec<Rule>, Missing> {
        match &self.kernel {
            Kernel::Live(k) => with_kernel(k, |k| {
                rtnl::dump_rules(Self::route_socket(k)?)
                    .map_err(|e| netlink_missing(&self.guard, "RTM_GETRULE", &e))
            }),
            Kernel::Fixture => {
                let mut rules = self.captured(layout::RULES_V4, |f| iproute::parse_rules(f, 4))?;
                rules.extend(self.captured(layout::RULES_V6, |f| iproute::parse_rules(f, 6))?);
                Ok(rules)
            }
        }
    }

    pub fn neighbors(&self, links: &[Interface]) -> Result<Vec<Neighbor>, Missing> {
        match &self.kernel {
            Kernel::Live(k) => with_kernel(k, |k| {
                rtnl::dump_neighbors(Self::route_socket(k)?, &ifnames(links))
                    .map_err(|e| netlink_missing(&self.guard, "RTM_GETNEIGH", &e))
            }),
            Kernel::Fixture => self.captured(layout::NEIGHBORS, iproute::parse_neighbors),
        }
    }

    /// Asks the live kernel where traffic to `to` goes (`None` for a
    /// fixture, which has no kernel to ask). A route the kernel refuses to
    /// give (no route, a prohibit rule) is an answer, not a failure.
    pub fn route_get(
        &self,
        links: &[Interface],
        to: IpAddr,
        from: Option<IpAddr>,
        fwmark: Option<u32>,
    ) -> Option<Result<KernelRoute, Missing>> {
        let Kernel::Live(k) = &self.kernel else {
            return None;
        };
        Some(with_kernel(k, |k| {
            match rtnl::route_get(Self::route_socket(k)?, &ifnames(links), to, from, fwmark) {
                Ok(entry) => Ok(KernelRoute::Route(entry)),
                Err(NetlinkError::Kernel { errno, message }) => Ok(KernelRoute::Refused {
                    errno,
                    message: message
                        .unwrap_or_else(|| io::Error::from_raw_os_error(errno).to_string()),
                }),
                Err(e) => Err(netlink_missing(&self.guard, "RTM_GETROUTE", &e)),
            }
        }))
    }

    /// ethtool link settings of each named interface.
    pub fn link_settings(&self, ifnames: &[&str]) -> Vec<Fact<LinkSettings>> {
        match &self.kernel {
            Kernel::Live(k) => {
                let dumped = with_kernel(k, |k| {
                    if k.genl.is_none() {
                        let nl = Netlink::open(NETLINK_GENERIC)
                            .map_err(|e| Missing::io("generic netlink socket", &e))?;
                        k.genl = Some(nl);
                    }
                    let guard = k.guard.clone();
                    let genl = timed(k.genl.as_mut().expect("opened above"), &guard)?;
                    let family = match k.ethtool_family {
                        Some(f) => f,
                        None => {
                            let f = genl.genl_family_id("ethtool").map_err(|e| {
                                netlink_missing(&self.guard, "ethtool netlink family", &e)
                            })?;
                            k.ethtool_family = Some(f);
                            f
                        }
                    };
                    ethtool::dump_link_modes(genl, family)
                        .map_err(|e| netlink_missing(&self.guard, "ETHTOOL_MSG_LINKMODES_GET", &e))
                });
                ifnames
                    .iter()
                    .map(|name| match &dumped {
                        Ok(map) => map.get(*name).cloned().map_or_else(
                            || Fact::unknown(Reason::NotSupported, ethtool_text::NO_LINK_SETTINGS),
                            Fact::Known,
                        ),
                        Err(m) => Fact::Unknown(m.clone()),
                    })
                    .collect()
            }
            Kernel::Fixture => ifnames
                .iter()
                .map(|name| {
                    self.captured_text(&layout::ethtool(name), ethtool_text::parse_settings)
                })
                .collect(),
        }
    }

    /// `ETHTOOL_GDRVINFO` of one interface.
    pub fn driver_info(&self, ifname: &str) -> Fact<DriverInfo> {
        match &self.kernel {
            Kernel::Live(k) => with_kernel(k, |k| {
                if k.ioctl.is_none() {
                    k.ioctl = Some(Arc::new(
                        IoctlSocket::open().map_err(|e| Missing::io("ioctl socket", &e))?,
                    ));
                }
                let sock = Arc::clone(k.ioctl.as_ref().expect("opened above"));
                let name = ifname.to_owned();
                // The ioctl takes the RTNL lock: guarded, a stuck lock costs
                // one fact, not the run.
                let answer = match &self.guard {
                    Some(g) => g.run(&format!("ETHTOOL_GDRVINFO {ifname}"), move || {
                        sock.driver_info(&name)
                    }),
                    None => sock.driver_info(&name),
                };
                Ok(match answer {
                    Ok(info) => Fact::Known(info),
                    Err(e) => Fact::Unknown(ethtool_text::driver_info_error(&e)),
                })
            })
            .unwrap_or_else(Fact::Unknown),
            Kernel::Fixture => {
                self.captured_text(&layout::ethtool_driver(ifname), ethtool_text::parse_driver)
            }
        }
    }

    /// The table and status lines of every device-mapper multipath map, as
    /// `dmsetup table --target multipath` and `dmsetup status --target
    /// multipath` print them: asked of the kernel live (and kept for a
    /// capture), read from the fixture's files otherwise.
    pub fn dm_multipath(&self) -> (Result<String, Missing>, Result<String, Missing>) {
        match &self.kernel {
            Kernel::Live(_) => {
                let answer = devmapper::Control::open()
                    .map_err(|e| (devmapper::CONTROL, e))
                    .and_then(|ctl| {
                        devmapper::multipath_text(&ctl).map_err(|e| ("DM_TABLE_STATUS", e))
                    });
                match answer {
                    Ok(text) => {
                        self.root
                            .record_file(layout::DM_TABLE, text.table.as_bytes());
                        self.root
                            .record_file(layout::DM_STATUS, text.status.as_bytes());
                        (Ok(text.table), Ok(text.status))
                    }
                    Err((what, e)) => {
                        for rel in [layout::DM_TABLE, layout::DM_STATUS] {
                            self.root.record_failure(rel, &e);
                        }
                        let mut m = Missing::io(what, &e);
                        if e.kind() == io::ErrorKind::NotFound {
                            m.detail
                                .push_str(": the device-mapper driver is not loaded");
                        } else if m.reason == Reason::Permission {
                            m.detail
                                .push_str(": device-mapper answers only to CAP_SYS_ADMIN");
                        }
                        (Err(m.clone()), Err(m))
                    }
                }
            }
            Kernel::Fixture => {
                let read = |rel: &str| {
                    self.root.read(rel).map_err(|e| {
                        if is_not_captured(&e) {
                            Missing::new(Reason::NotCaptured, format!("the fixture has no {rel}"))
                        } else {
                            Missing::io(rel, &e)
                        }
                    })
                };
                (read(layout::DM_TABLE), read(layout::DM_STATUS))
            }
        }
    }

    /// The LLDP neighbours as `lldpcli -f json show neighbors details`
    /// prints them: asked of lldpd live (and kept for a capture, or how
    /// asking failed), read from the fixture otherwise.
    pub fn lldp_neighbors(&self) -> Result<String, Missing> {
        match &self.kernel {
            Kernel::Live(_) => {
                let limit = self
                    .remaining()
                    .map_or(lldpcli::LIMIT, |r| r.min(lldpcli::LIMIT));
                if limit.is_zero() {
                    return Err(Missing::new(
                        Reason::Timeout,
                        "lldpcli: the deadline has passed",
                    ));
                }
                match lldpcli::query(&self.lldp, limit) {
                    Ok(text) => {
                        self.root.record_file(layout::LLDP, text.as_bytes());
                        Ok(text)
                    }
                    Err(f) => {
                        if let Some(errno) = f.errno {
                            self.root
                                .record_failure(layout::LLDP, &io::Error::from_raw_os_error(errno));
                        }
                        Err(f.missing)
                    }
                }
            }
            Kernel::Fixture => self.root.read(layout::LLDP).map_err(|e| {
                if is_not_captured(&e) {
                    Missing::new(
                        Reason::NotCaptured,
                        format!("the fixture has no {}", layout::LLDP),
                    )
                } else if e.kind() == io::ErrorKind::NotFound || e.raw_os_error().is_some() {
                    // What asking lldpd did on the captured host.
                    lldpcli::missing_for(&e)
                } else {
                    Missing::io(layout::LLDP, &e)
                }
            }),
        }
    }

    /// The time of the run, in seconds since the epoch: now on a live host,
    /// the capture time (`captured_at` of the manifest) in a fixture.
    pub fn now(&self) -> Result<i64, Missing> {
        match &self.kernel {
            Kernel::Live(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .map_err(|e| Missing::new(Reason::Failed, format!("the clock: {e}"))),
            Kernel::Fixture => {
                let at = self
                    .manifest
                    .as_ref()
                    .map(|m| m.captured_at.as_str())
                    .unwrap_or("");
                if at.is_empty() {
                    return Err(Missing::new(
                        Reason::NotCaptured,
                        "the fixture's manifest has no captured_at to measure time against",
                    ));
                }
                parse_rfc3339(at).ok_or_else(|| {
                    Missing::new(
                        Reason::Malformed,
                        format!(
                            "{}: captured_at {at:?} is not YYYY-MM-DDTHH:MM:SSZ",
                            layout::MANIFEST
                        ),
                    )
                })
            }
        }
    }

    fn captured_text<T>(
        &self,
        rel: &str,
        parse: impl FnOnce(&str) -> Result<Fact<T>, String>,
    ) -> Fact<T> {
        let text = match self.root.read(rel) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Fact::unknown(Reason::NotCaptured, format!("the fixture has no {rel}"));
            }
            Err(e) => return Fact::Unknown(Missing::io(rel, &e)),
        };
        parse(&text).unwrap_or_else(|e| Fact::unknown(Reason::Malformed, format!("{rel}: {e}")))
    }
}

/// A netlink socket whose waits, and whole replies, end at the deadline;
/// none left is a timeout (a request the deadline kept from starting).
fn timed<'a>(nl: &'a mut Netlink, guard: &Option<Arc<Guard>>) -> Result<&'a mut Netlink, Missing> {
    if let Some(g) = guard {
        let d = g.deadline();
        if d.passed() {
            g.refuse();
            return Err(Missing::new(
                Reason::Timeout,
                "netlink: the deadline has passed",
            ));
        }
        nl.set_timeout(Some(d.remaining()))
            .map_err(|e| Missing::io("netlink socket timeout", &e))?;
    }
    Ok(nl)
}

fn with_kernel<T>(
    lock: &Mutex<LiveKernel>,
    f: impl FnOnce(&mut LiveKernel) -> Result<T, Missing>,
) -> Result<T, Missing> {
    let mut k = lock.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut k)
}

fn ifnames(links: &[Interface]) -> HashMap<u32, String> {
    links
        .iter()
        .filter_map(|l| Some((*l.ifindex.known()?, l.name.clone())))
        .collect()
}

/// `2026-11-25T07:44:12Z` as seconds since the epoch (UTC only: what a
/// capture writes).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (proleptic Gregorian), the inverse of the capture's.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    /// A fixture whose `name` holds `text`, and its links.
    fn links_of(name: &str, text: &str) -> Result<Vec<Interface>, Missing> {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("cmd")).unwrap();
        std::fs::write(d.path().join(name), text).unwrap();
        let source = Source::fixture(d.path()).unwrap();
        if name == layout::LINKS {
            source.interfaces()
        } else {
            source.neighbors(&[]).map(|_| Vec::new())
        }
    }

    #[test]
    fn fixture_json_is_refused_past_its_entries_or_an_entry_past_its_size() {
        let link = r#"{"ifname": "e"},"#;
        let many = format!("[{}{{}}]", link.repeat(limits::MAX_LINKS));
        let m = links_of(layout::LINKS, &many).unwrap_err();
        assert_eq!(m.reason, Reason::TooLarge, "{m}");
        assert!(
            m.detail.contains(&format!(
                "more than the {} interfaces hostlint reads",
                limits::MAX_LINKS
            )),
            "{m}"
        );
        let fits = format!(
            "[{}{{\"ifname\": \"e\"}}]",
            link.repeat(limits::MAX_LINKS - 1)
        );
        assert_eq!(
            links_of(layout::LINKS, &fits).unwrap().len(),
            limits::MAX_LINKS
        );
        // What parsing one entry costs follows its text, bounded.
        let nested = format!(
            r#"[{{"dst": "10.0.0.1", "x": [{}[]]}}]"#,
            "[],".repeat(limits::MAX_JSON_ELEMENT_BYTES as usize / 3)
        );
        let m = links_of(layout::NEIGHBORS, &nested).unwrap_err();
        assert_eq!(m.reason, Reason::TooLarge, "{m}");
        assert!(m.detail.contains("one entry takes more than 1 MiB"), "{m}");
    }
}

#[cfg(test)]
mod time_tests {
    use super::parse_rfc3339;

    #[test]
    fn capture_times_parse_back() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("2026-11-25T07:23:40Z"), Some(1_795_591_420));
        for bad in [
            "2026-11-25 07:23:40Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T07:23:40",
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        for secs in [0u64, 86_399, 1_000_000_000, 1_795_591_420, 4_102_444_800] {
            let text = crate::capture::rfc3339(secs);
            assert_eq!(parse_rfc3339(&text), Some(secs as i64), "{text}");
        }
    }
}
