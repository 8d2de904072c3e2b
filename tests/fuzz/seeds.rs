//! The corpus: the bundled fixtures, the real sysfs and procfs trees of
//! `../shared/realdata` (its two `.tar.gz` trees unpacked) and their
//! copies in `tests/data/realdata`, the shipped policies, a state file
//! each tree leaves, and the text each parser reads. Trees are copied into
//! a scratch directory once; cases edit those copies, never the sources.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::case::remove_any;
use crate::child::{self, Limits};
use crate::mutation::{dm_multipath_status_reply, dm_name_list};

/// Where `../shared/realdata` is: `HOSTLINT_REALDATA`, or beside the
/// repository (CI's layout), or beside the worktrees' parent.
pub fn realdata_dir(repo: &Path) -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("HOSTLINT_REALDATA") {
        return Some(PathBuf::from(d));
    }
    [
        repo.join("../shared/realdata"),
        repo.join("../../shared/realdata"),
    ]
    .into_iter()
    .find(|d| d.is_dir())
}

/// What collecting a tree read of it, as a capture records it.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ReadSet {
    pub files: Vec<String>,
    pub symlinks: Vec<String>,
    pub dirs: Vec<String>,
}

pub struct Tree {
    /// As a case names it: `fixtures/NAME`, `realdata/PATH`,
    /// `tests/data/realdata/NAME`.
    pub name: String,
    pub work: PathBuf,
    pub pristine: PathBuf,
    pub reads: ReadSet,
    /// The state file an audit of it leaves, a seed for state cases.
    pub state: Option<Vec<u8>>,
    /// The tree as an uncompressed tar, for archive cases (small trees).
    pub tar: Option<Vec<u8>>,
}

pub struct Corpus {
    pub repo: PathBuf,
    pub scratch: PathBuf,
    pub trees: Vec<Tree>,
    /// The shipped policies, by file name.
    pub policies: BTreeMap<String, Vec<u8>>,
    pub parser_seeds: Vec<(&'static str, Vec<u8>)>,
}

/// Copies a tree, symlinks kept as symlinks; FIFOs and devices are not
/// copied (a fixture that needs one makes it).
pub fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    mirror(from, to, false)
}

/// Copies a tree as [`copy_tree`] does, its files hard-linked where the
/// filesystem allows: a working copy of a large tree in an instant. Safe
/// because no edit ever writes into a file that is there: it moves it
/// aside and writes a new one (`case::Applied`), and hostlint writes
/// nothing into a tree it reads.
pub fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    mirror(from, to, true)
}

fn mirror(from: &Path, to: &Path, link: bool) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dst = to.join(entry.file_name());
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, &dst)?;
        } else if kind.is_dir() {
            mirror(&entry.path(), &dst, link)?;
        } else if kind.is_file() && !(link && fs::hard_link(entry.path(), &dst).is_ok()) {
            fs::copy(entry.path(), &dst)?;
        }
    }
    Ok(())
}

/// The directory at or under `dir` (two levels down at most) that holds
/// `sys` or `proc`: the root of a copied tree.
fn tree_root(dir: &Path, depth: usize) -> Option<PathBuf> {
    if dir.join("sys").is_dir() || dir.join("proc").is_dir() {
        return Some(dir.to_owned());
    }
    if depth == 0 {
        return None;
    }
    let mut subdirs: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.is_symlink())
        .collect();
    subdirs.sort();
    subdirs.into_iter().find_map(|d| tree_root(&d, depth - 1))
}

/// Where each named tree's content comes from: a directory, or an archive
/// to unpack.
pub fn tree_sources(repo: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut fixtures: Vec<_> = fs::read_dir(repo.join("fixtures"))
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    fixtures.sort();
    for f in fixtures.into_iter().filter(|f| f.is_dir()) {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        out.push((format!("fixtures/{name}"), f));
    }
    if let Some(shared) = realdata_dir(repo) {
        for rel in [
            "node_exporter/sys-tree",
            "node_exporter/fixtures-plain",
            "prometheus-procfs/tree",
            "ghw",
            "telegraf/net-testdata",
            "node_exporter/sys-tree.tar.gz",
            "prometheus-procfs/fixtures.tar.gz",
        ] {
            let p = shared.join(rel);
            if p.exists() {
                out.push((format!("realdata/{rel}"), p));
            }
        }
    } else {
        for rel in ["ghw", "node_exporter", "prometheus-procfs", "telegraf"] {
            out.push((
                format!("tests/data/realdata/{rel}"),
                repo.join("tests/data/realdata").join(rel),
            ));
        }
    }
    out
}

/// The source of the tree a case names, if this machine has it.
pub fn source_of(repo: &Path, name: &str) -> Option<PathBuf> {
    if let Some(rel) = name.strip_prefix("realdata/") {
        return realdata_dir(repo)
            .map(|d| d.join(rel))
            .filter(|p| p.exists());
    }
    let p = repo.join(name);
    p.exists().then_some(p)
}

/// Fixtures need what git cannot keep: the hung mount's FIFO.
const FIFOS: &[(&str, &str)] = &[("fixtures/san-mount-hung", "srv/shared")];

/// Makes the working copy of a tree, `work` (edited by cases), and finds
/// `pristine`, the other side of a diff: the source itself (only read),
/// or for an archive what it unpacked to.
pub fn materialize(name: &str, source: &Path, scratch: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let base = scratch.join("trees").join(&safe);
    let _ = remove_any(&base);
    let unpacked = base.join("unpacked");
    let root = if source.is_file() {
        fs::create_dir_all(&unpacked)?;
        hostlint::source::archive::unpack_into(
            io::BufReader::new(fs::File::open(source)?),
            &unpacked,
        )?;
        tree_root(&unpacked, 2).unwrap_or(unpacked.clone())
    } else if name.starts_with("fixtures/") {
        source.to_owned()
    } else {
        tree_root(source, 2).unwrap_or(source.to_owned())
    };
    let work = base.join("work");
    link_tree(&root, &work)?;
    for (_, rel) in FIFOS.iter().filter(|(t, _)| *t == name) {
        let p = work.join(rel);
        let _ = remove_any(&p);
        crate::case::mkfifo(&p)?;
    }
    Ok((work, root))
}

const QUICK: Limits = Limits {
    wall: std::time::Duration::from_secs(60),
    cpu_seconds: 60,
    memory: 2 << 30,
};

/// What collecting `work` reads, and the state file an audit of it with
/// the baseline policy leaves: found in a child, as every run of
/// hostlint code is.
fn survey(work: &Path, meta: &Path, repo: &Path) -> (Option<ReadSet>, Option<Vec<u8>>) {
    let reads_file = meta.with_extension("reads.json");
    let state_file = meta.with_extension("state.json");
    let _ = fs::remove_file(&reads_file);
    let _ = fs::remove_file(&state_file);
    let baseline = repo.join("policies/baseline.yaml");
    let outcome = child::run(QUICK, false, || {
        use hostlint::collect::{self, Scope};
        use hostlint::source::Source;
        let Ok(src) = Source::fixture(work) else {
            return;
        };
        let src = src.recording();
        let _ = collect::snapshot(&src, Scope::ALL);
        let rec = src.root().take_recording().unwrap_or_default();
        let set = ReadSet {
            files: rec.files.keys().cloned().collect(),
            symlinks: rec.symlinks.keys().cloned().collect(),
            dirs: rec.dirs.iter().cloned().collect(),
        };
        let _ = fs::write(&reads_file, serde_json::to_vec(&set).unwrap_or_default());
        if let (Ok(policies), Ok(src)) =
            (hostlint::policy::load(&[baseline]), Source::fixture(work))
        {
            let options = hostlint::audit::Options {
                state: Some(state_file.clone()),
                deadline: None,
            };
            let _ = hostlint::audit::run(&src, &policies, &options);
        }
    });
    if outcome.is_finding() {
        eprintln!("fuzz: surveying {}: {}", work.display(), outcome.describe());
    }
    let reads = fs::read(&reads_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    (reads, fs::read(&state_file).ok())
}

/// The text each parser reads, from the trees and the realdata samples.
fn parser_seeds(repo: &Path, trees: &[(String, PathBuf)]) -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let mut add = |parser: &'static str, path: &Path| {
        if let Ok(b) = hostlint::source::bounded::read_regular(path, 1 << 20, "a seed")
            && out.iter().filter(|(p, _)| *p == parser).count() < 40
            && !out.iter().any(|(p, x)| *p == parser && *x == b)
        {
            out.push((parser, b));
        }
    };
    let files = [
        ("ip-link", "cmd/ip-link.json"),
        ("ip-addr", "cmd/ip-addr.json"),
        ("ip-route-4", "cmd/ip-route-4.json"),
        ("ip-route-6", "cmd/ip-route-6.json"),
        ("ip-rule-4", "cmd/ip-rule-4.json"),
        ("ip-rule-6", "cmd/ip-rule-6.json"),
        ("ip-neigh", "cmd/ip-neigh.json"),
        ("dmsetup", "cmd/dmsetup-status.txt"),
        ("dmsetup", "cmd/dmsetup-table.txt"),
        ("mdstat", "proc/mdstat"),
        ("mounts", "proc/mounts"),
        ("manifest", "manifest.json"),
        ("lldp-neighbors", "cmd/lldpcli-neighbors.json"),
    ];
    let dirs = [
        ("ethtool", "cmd/ethtool"),
        ("ethtool-i", "cmd/ethtool-i"),
        ("bonding", "proc/net/bonding"),
    ];
    for (name, dir) in trees.iter().filter(|(n, _)| n.starts_with("fixtures/")) {
        let _ = name;
        for (parser, rel) in files {
            add(parser, &dir.join(rel));
        }
        for (parser, rel) in dirs {
            for e in fs::read_dir(dir.join(rel)).into_iter().flatten().flatten() {
                add(parser, &e.path());
            }
        }
    }
    let ata = "fixtures/san-healthy/sys/devices/pci0000:00/0000:00:17.0/ata1/link1/dev1.0/ata_device/dev1.0/id";
    add("ata-identify", &repo.join(ata));
    add("cabling-csv", &repo.join("policies/lb-cabling.csv"));
    if let Some(shared) = realdata_dir(repo) {
        let samples = [
            ("bonding", "insights-core/samples/test_bond"),
            ("bonding", "telegraf/samples/bond"),
            ("mdstat", "insights-core/samples/test_mdstat"),
            ("mdstat", "telegraf/samples/mdstat"),
            ("dmsetup", "insights-core/samples/test_dmsetup"),
            ("ethtool", "insights-core/samples/test_ethtool"),
            ("mounts", "insights-core/samples/test_mount"),
        ];
        for (parser, rel) in samples {
            for e in fs::read_dir(shared.join(rel))
                .into_iter()
                .flatten()
                .flatten()
            {
                add(parser, &e.path());
            }
        }
        add(
            "mdstat",
            &shared.join("node_exporter/fixtures-plain/proc/mdstat"),
        );
        add(
            "mdstat",
            &shared.join("prometheus-procfs/tree/fixtures/proc/mdstat"),
        );
    }
    out.push((
        "cabling-yaml",
        b"cables:\n  - { host: lb-01, port: enp65s0f0, switch: sw-a, switch_port: swp7 }\n  \
          - host: lb-01\n    port: eno1\n    switch: mgmt\n    switch_port: \"12\"\n"
            .to_vec(),
    ));
    out.extend(binary_seeds());
    out
}

/// Kernel messages as the kernel lays them out: an RTM_NEWLINK and an
/// RTM_NEWROUTE body, a device-mapper table reply and name list.
fn binary_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let link = vec![
        0, 0, 1, 0, 3, 0, 0, 0, 0x43, 0x10, 1, 0, 0, 0, 0, 0, // ifinfomsg
        8, 0, 3, 0, b'v', b'a', 0, 0, // IFLA_IFNAME
        8, 0, 4, 0, 0xdc, 5, 0, 0, // IFLA_MTU
        5, 0, 16, 0, 6, 0, 0, 0, // IFLA_OPERSTATE
        12, 0, 18, 0, 8, 0, 1, 0, b'v', b'e', b't', b'h', // IFLA_LINKINFO/KIND
    ];
    let route = vec![
        2, 24, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0, // rtmsg
        8, 0, 1, 0, 10, 1, 0, 0, // RTA_DST
        8, 0, 5, 0, 10, 1, 0, 254, // RTA_GATEWAY
        8, 0, 4, 0, 3, 0, 0, 0, // RTA_OIF
        8, 0, 15, 0, 100, 0, 0, 0, // RTA_TABLE
        20, 0, 9, 0, 16, 0, 0, 1, 3, 0, 0, 0, 8, 0, 5, 0, 10, 1, 0, 253, // RTA_MULTIPATH
    ];
    vec![
        ("netlink-link", link),
        ("netlink-route", route.clone()),
        ("ethtool-link-modes", route),
        ("dm-reply", dm_multipath_status_reply()),
        ("dm-names", dm_name_list()),
    ]
}

impl Corpus {
    pub fn build(repo: &Path, scratch: &Path) -> io::Result<Corpus> {
        fs::create_dir_all(scratch.join("meta"))?;
        let sources = tree_sources(repo);
        let mut trees = Vec::new();
        for (name, source) in &sources {
            let (work, pristine) = match materialize(name, source, scratch) {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("fuzz: skipping {name}: {e}");
                    continue;
                }
            };
            let meta = scratch.join("meta").join(name.replace('/', "_"));
            let (reads, state) = survey(&work, &meta, repo);
            let small = name.starts_with("fixtures/lb-") || name == "fixtures/netns-lab";
            let tar = small.then(|| {
                let mut gz = Vec::new();
                let _ = hostlint::source::archive::pack(&pristine, "cap", &mut gz);
                let mut tar = Vec::new();
                let _ = io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut tar);
                tar
            });
            trees.push(Tree {
                name: name.clone(),
                work,
                pristine,
                reads: reads.unwrap_or_default(),
                state,
                tar,
            });
        }
        let mut policies = BTreeMap::new();
        for e in fs::read_dir(repo.join("policies"))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".yaml") {
                policies.insert(name, fs::read(e.path())?);
            }
        }
        Ok(Corpus {
            repo: repo.to_owned(),
            scratch: scratch.to_owned(),
            parser_seeds: parser_seeds(repo, &sources),
            trees,
            policies,
        })
    }
}
