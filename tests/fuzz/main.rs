//! The fuzzing harness, on the stable toolchain.
//!
//! Without arguments (as `cargo test` runs it) it replays every case saved
//! under `tests/data/fuzz/`: each must now run to its end within the time
//! and memory limits. With `--fuzz` it makes new cases until the time is
//! up: structure-aware edits of the bundled fixtures, the real sysfs and
//! procfs trees, the policies and state files, run through one parser or
//! a whole `show`, `audit`, `diff`, `capture` or archive pipeline, each in
//! a forked child with its own limits. A crash, a hang or a memory
//! blow-up is confirmed, minimized and saved as a new case.
//!
//! ```sh
//! cargo test --test fuzz -- --fuzz --seconds 120          # what CI runs
//! nice -n 19 cargo test --release --test fuzz -- --fuzz --seconds 14400
//! cargo test --test fuzz -- --fuzz --target audit --seed 7 --seconds 60
//! ```

mod alloc;
mod case;
mod child;
mod generate;
mod minimize;
mod mutate;
#[path = "../shared/mutation.rs"]
mod mutation;
mod seeds;
mod targets;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use case::{Applied, Case, Op, Target, remove_any};
use child::{Limits, Outcome};
use seeds::Corpus;
use targets::Workspace;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

struct Options {
    fuzz: bool,
    seconds: u64,
    seed: u64,
    target: Option<Target>,
    save: PathBuf,
    verbose: bool,
    limits: Limits,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        fuzz: false,
        seconds: 120,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        target: None,
        save: repo().join("tests/data/fuzz"),
        verbose: false,
        // The pipeline's own deadline is 3 s: past the wall-clock limit it
        // did not honour it. A debug build runs the same work about ten
        // times slower.
        limits: Limits {
            wall: Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 20 }),
            cpu_seconds: if cfg!(debug_assertions) { 40 } else { 10 },
            memory: 512 << 20,
        },
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--fuzz" => o.fuzz = true,
            "--seconds" => {
                o.seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--target" => {
                let t = value("--target")?;
                o.target = Some(*Target::ALL.iter().find(|x| x.name() == t).ok_or(format!(
                    "--target: one of parse, show, audit, diff, policy, archive, capture, not {t}"
                ))?);
            }
            "--save" => o.save = PathBuf::from(value("--save")?),
            "--memory-mib" => {
                o.limits.memory = value("--memory-mib")?
                    .parse::<usize>()
                    .map_err(|e| format!("--memory-mib: {e}"))?
                    << 20;
            }
            "--wall-seconds" => {
                o.limits.wall = Duration::from_secs(
                    value("--wall-seconds")?
                        .parse()
                        .map_err(|e| format!("--wall-seconds: {e}"))?,
                );
            }
            "--verbose" => o.verbose = true,
            // What cargo passes every test binary (filters, libtest flags)
            // means nothing here.
            _ => {}
        }
    }
    Ok(o)
}

/// The working copies of the trees cases name, made on first use.
struct Trees {
    repo: PathBuf,
    scratch: PathBuf,
    made: BTreeMap<String, (PathBuf, PathBuf)>,
    empty: PathBuf,
}

impl Trees {
    fn get(&mut self, name: &str) -> Result<(PathBuf, PathBuf), String> {
        if name.is_empty() {
            return Ok((self.empty.clone(), self.empty.clone()));
        }
        if let Some(t) = self.made.get(name) {
            return Ok(t.clone());
        }
        let source = seeds::source_of(&self.repo, name)
            .ok_or_else(|| format!("the tree {name} is not on this machine"))?;
        let made = seeds::materialize(name, &source, &self.scratch)
            .map_err(|e| format!("copying {name}: {e}"))?;
        self.made.insert(name.to_owned(), made.clone());
        Ok(made)
    }
}

/// Runs one case in a child: its edits applied, then undone.
fn run_case(
    case: &Case,
    trees: &mut Trees,
    scratch: &Path,
    o: &Options,
) -> Result<Outcome, String> {
    let (work, pristine) = trees.get(&case.tree)?;
    let etc = scratch.join("etc");
    remove_any(&etc).map_err(|e| format!("clearing {}: {e}", etc.display()))?;
    seeds::copy_tree(&repo().join("policies"), &etc).map_err(|e| e.to_string())?;
    let split = |prefix: &str| -> Vec<Op> {
        case.ops
            .iter()
            .filter_map(|op| {
                let rest = op.path().strip_prefix(prefix)?.to_owned();
                let mut op = op.clone();
                match &mut op {
                    Op::Write { path, .. }
                    | Op::Remove { path }
                    | Op::Symlink { path, .. }
                    | Op::Mkdir { path }
                    | Op::Fifo { path }
                    | Op::Sparse { path, .. }
                    | Op::Many { path, .. } => *path = rest,
                }
                Some(op)
            })
            .collect()
    };
    let tree_ops = split("tree/");
    let etc_ops = split("etc/");
    let _tree = Applied::apply(&work, &scratch.join("stash-tree"), &tree_ops)
        .map_err(|e| format!("editing the tree: {e}"))?;
    let _etc = Applied::apply(&etc, &scratch.join("stash-etc"), &etc_ops)
        .map_err(|e| format!("editing etc: {e}"))?;
    let ws = Workspace {
        tree: work,
        pristine,
        etc,
    };
    let outcome = child::run(o.limits, o.verbose, || targets::run(case, &ws));
    Ok(amplified(case, outcome))
}

/// The bytes a case puts in: what it writes, the files it makes.
fn input_bytes(case: &Case) -> usize {
    case.ops
        .iter()
        .map(|op| match op {
            Op::Write { bytes, .. } => bytes.to_vec().len(),
            Op::Sparse { len, .. } => (*len).min(hostlint::source::MAX_FILE_BYTES) as usize,
            Op::Many { count, bytes, .. } => count * (bytes.to_vec().len() + 64),
            _ => 0,
        })
        .sum()
}

/// A run that finished but held far more memory than its input can
/// explain: past 64 MiB, and more than a hundred times what it put in.
fn amplified(case: &Case, outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Ok { peak, .. } if peak > 64 << 20 && peak > 100 * input_bytes(case) => {
            Outcome::Memory(peak)
        }
        other => other,
    }
}

/// What makes two findings the same: the kind, and for a panic where it
/// was raised.
fn signature(case: &Case, outcome: &Outcome) -> String {
    let place = match outcome {
        Outcome::Panic(m) => m.rsplit(" at ").next().unwrap_or("").to_owned(),
        Outcome::Crash(m) => m.split(':').next().unwrap_or("").to_owned(),
        _ => String::new(),
    };
    format!(
        "{} {} {} {place}",
        outcome.kind(),
        case.target.name(),
        case.parser
    )
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn save(case: &Case, dir: &Path) -> std::io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let mut text = serde_json::to_string_pretty(case).map_err(std::io::Error::other)?;
    text.push('\n');
    let kind = case.found.split(':').next().unwrap_or("finding");
    let mut name = format!("{kind}-{}", case.target.name());
    if !case.parser.is_empty() {
        name.push('-');
        name.push_str(&case.parser);
    }
    let path = dir.join(format!("{name}-{:08x}.json", fnv(text.as_bytes()) as u32));
    fs::write(&path, text)?;
    Ok(path)
}

fn replay(o: &Options) -> i32 {
    let dir = repo().join("tests/data/fuzz");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.retain(|p| p.extension().is_some_and(|e| e == "json"));
    cases.sort();
    let scratch = scratch_dir("replay");
    let mut trees = Trees {
        repo: repo(),
        scratch: scratch.clone(),
        made: BTreeMap::new(),
        empty: scratch.join("empty"),
    };
    let _ = fs::create_dir_all(&trees.empty);
    let required = std::env::var_os("HOSTLINT_REQUIRE_LIVE").is_some_and(|v| v == "1");
    let mut failed = 0;
    match child::killed_child_leaves_no_temporary_directory() {
        Ok(()) => println!("harness: a killed child's temporary directory is removed ... ok"),
        Err(e) => {
            println!("harness: a killed child's temporary directory is removed ... FAILED ({e})");
            failed += 1;
        }
    }
    println!("\nrunning {} saved fuzz cases", cases.len());
    for path in &cases {
        let shown = path.file_name().unwrap_or_default().to_string_lossy();
        let case: Case = match fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                println!("replay {shown} ... FAILED (unreadable: {e})");
                failed += 1;
                continue;
            }
        };
        match run_case(&case, &mut trees, &scratch, o) {
            Ok(Outcome::Ok { took, .. }) => println!("replay {shown} ... ok ({took:.1?})"),
            Ok(other) => {
                println!(
                    "replay {shown} ... FAILED ({}; it was: {})",
                    other.describe(),
                    case.found
                );
                failed += 1;
            }
            Err(e) if e.contains("not on this machine") && !required => {
                println!("replay {shown} ... SKIPPED ({e})");
            }
            Err(e) => {
                println!("replay {shown} ... FAILED ({e})");
                failed += 1;
            }
        }
    }
    let _ = remove_any(&scratch);
    println!(
        "\nfuzz replay: {} passed; {failed} failed\n",
        cases.len() - failed
    );
    i32::from(failed > 0)
}

fn scratch_dir(tag: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    target.join(format!("fuzz-{tag}-{}", std::process::id()))
}

#[derive(Default)]
struct Stats {
    runs: BTreeMap<&'static str, usize>,
    peak: (usize, String),
    slowest: (Duration, String),
    findings: Vec<(String, PathBuf)>,
    errors: usize,
}

fn campaign(o: &Options) -> i32 {
    let scratch = scratch_dir("campaign");
    let started = Instant::now();
    let corpus = match Corpus::build(&repo(), &scratch) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fuzz: building the corpus: {e}");
            return 2;
        }
    };
    println!(
        "fuzz: seed {}, {} trees, {} parser seeds, {} policies; corpus ready in {:.1?}",
        o.seed,
        corpus.trees.len(),
        corpus.parser_seeds.len(),
        corpus.policies.len(),
        started.elapsed()
    );
    let mut trees = Trees {
        repo: corpus.repo.clone(),
        scratch: corpus.scratch.clone(),
        made: corpus
            .trees
            .iter()
            .map(|t| (t.name.clone(), (t.work.clone(), t.pristine.clone())))
            .collect(),
        empty: scratch.join("empty"),
    };
    let _ = fs::create_dir_all(&trees.empty);
    let mut rng = mutate::Rng::new(o.seed);
    let mut stats = Stats::default();
    let mut seen: Vec<String> = Vec::new();
    let end = started + Duration::from_secs(o.seconds);
    let mut last_report = Instant::now();
    let total_start = Instant::now();
    stop_on_signals();
    while Instant::now() < end && !STOP.load(Ordering::Relaxed) {
        let case = generate::case(&mut rng, &corpus, o.target);
        let outcome = match run_case(&case, &mut trees, &scratch, o) {
            Ok(out) => out,
            Err(e) => {
                stats.errors += 1;
                if o.verbose {
                    eprintln!("fuzz: {e}");
                }
                continue;
            }
        };
        *stats.runs.entry(case.target.name()).or_default() += 1;
        if let Outcome::Ok { peak, took } = &outcome {
            let what = format!("{} {} {}", case.target.name(), case.tree, case.parser);
            if *peak > stats.peak.0 {
                stats.peak = (*peak, what.clone());
            }
            if *took > stats.slowest.0 {
                stats.slowest = (*took, what);
            }
        }
        if outcome.is_finding() {
            let sig = signature(&case, &outcome);
            // A hang is run again before it counts: a loaded machine can
            // starve a child that would have finished.
            let confirmed = match &outcome {
                Outcome::Hang(_) => matches!(
                    run_case(&case, &mut trees, &scratch, o),
                    Ok(Outcome::Hang(_))
                ),
                _ => true,
            };
            if confirmed && !seen.contains(&sig) {
                seen.push(sig.clone());
                println!("fuzz: found {} ({}), minimizing", outcome.describe(), sig);
                let mut budget = minimize::Budget {
                    runs: if matches!(outcome, Outcome::Hang(_)) {
                        6
                    } else {
                        400
                    },
                };
                let kind = outcome.kind();
                let mut fails = |c: &Case| {
                    run_case(c, &mut trees, &scratch, o)
                        .is_ok_and(|out| out.kind() == kind && signature(c, &out) == sig)
                };
                let mut small = minimize::minimize(&case, &mut budget, &mut fails);
                small.found = outcome.describe();
                match save(&small, &o.save) {
                    Ok(path) => {
                        println!("fuzz: saved {}", path.display());
                        stats.findings.push((sig, path));
                    }
                    Err(e) => eprintln!("fuzz: saving the case: {e}"),
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            report(&stats, total_start.elapsed(), false);
        }
    }
    report(&stats, total_start.elapsed(), true);
    let _ = remove_any(&scratch);
    i32::from(!stats.findings.is_empty())
}

/// Set by SIGINT or SIGTERM: the campaign ends after the case under way,
/// with its summary.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn stop_on_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int);
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
}

fn report(stats: &Stats, took: Duration, last: bool) {
    let total: usize = stats.runs.values().sum();
    let per: Vec<String> = stats.runs.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!(
        "fuzz: {total} inputs in {:.0?} ({}); {} finding(s); peak heap {:.1} MiB ({}); slowest {:.2?} ({}){}",
        took,
        per.join(", "),
        stats.findings.len(),
        stats.peak.0 as f64 / (1 << 20) as f64,
        stats.peak.1.trim(),
        stats.slowest.0,
        stats.slowest.1.trim(),
        if stats.errors > 0 {
            format!("; {} cases could not be set up", stats.errors)
        } else {
            String::new()
        }
    );
    if last {
        for (sig, path) in &stats.findings {
            println!("fuzz: finding {sig}: {}", path.display());
        }
    }
    let _ = std::io::stdout().flush();
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fuzz: {e}");
            std::process::exit(2);
        }
    };
    let code = if o.fuzz { campaign(&o) } else { replay(&o) };
    std::process::exit(code);
}
