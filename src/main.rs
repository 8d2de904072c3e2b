//! The `hostlint` command: parse the command line, call the library, map
//! the outcome to an exit code (Nagios convention: 0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN, usage errors included).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use hostlint::collect::{self, Scope};
use hostlint::finding::{Audit, Cause, Refusal};
use hostlint::report::audit_table::{self, Passes};
use hostlint::report::layout::{ColorChoice, Surroundings};
use hostlint::report::table::{self, Part, Style};
use hostlint::report::{
    audit_json, catalog, diff_json, diff_table, json, junit, nagios, output, prometheus, yaml,
};
use hostlint::snapshot::io_text;
use hostlint::source::lldpcli::LldpConfig;
use hostlint::source::probe::limit_text;
use hostlint::source::{Deadline, FixtureError, Source};
use hostlint::{capture, check, manual, policy};

const EXIT_UNKNOWN: u8 = 3;

#[derive(Parser)]
#[command(
    name = "hostlint",
    version,
    about = "Audit a Linux host's NICs, links, routes and storage paths"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// lldpd's control socket, for the LLDP neighbours of the live host
    #[arg(long, global = true, value_name = "PATH", default_value = hostlint::source::lldpcli::DEFAULT_SOCKET)]
    lldpd_socket: PathBuf,
    /// The lldpcli program (default: found on PATH or in /usr/sbin)
    #[arg(long, global = true, value_name = "PATH")]
    lldpcli: Option<PathBuf>,
    /// Colour in tables: `auto` on a terminal, unless NO_COLOR is set or
    /// TERM is dumb
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: ColorArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Show what hostlint reads of a host: links, bonds, routes, storage, host facts
    Show {
        /// The parts to show, in this order (`all`, or none named: every part)
        #[arg(value_enum, value_name = "PART")]
        what: Vec<ShowWhat>,
        /// Read a captured fixture (a directory or .tar.gz) instead of the live host
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: ShowFormat,
        /// Bound the run: a read that hangs becomes an unknown fact, named
        /// on stderr, and the exit code is 3
        #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
        deadline: Duration,
    },
    /// Audit the host against policies; the exit code is the worst finding
    /// (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
    Audit {
        /// Policy files (what they include is loaded too)
        #[arg(short = 'p', long = "policy", required = true, num_args = 1.., value_name = "POLICY")]
        policies: Vec<PathBuf>,
        /// Audit a captured fixture (a directory or .tar.gz) instead of the live host
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: AuditFormat,
        /// Write the report to FILE atomically (temporary file, then rename)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// List passing findings in the table too
        #[arg(long)]
        passes: bool,
        /// Keep counters between runs in FILE (increases, rates, flaps) and
        /// hold FILE.lock: a second audit on the same FILE exits at once
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Bound the run: a read that hangs becomes an UNKNOWN fact, and
        /// the audit ends on time (e.g. 20s, 1500ms, 1m)
        #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
        deadline: Duration,
    },
    /// Write the live host (or, with --root, a fixture) as a fixture
    /// directory or one .tar.gz
    Capture {
        /// The directory to create, or NAME.tar.gz for one archive holding
        /// the directory NAME; it must not exist
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Re-capture a fixture instead of the live host
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A note stored in the manifest, e.g. "before ticket 4711"
        #[arg(long)]
        label: Option<String>,
        /// Bound the run: a read that hangs is kept as a timeout in the
        /// capture, named on stderr, and the exit code is 3
        #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
        deadline: Duration,
    },
    /// Compare two captures, or a capture and the live host: the hardware
    /// and path changes, worst first (exit 2 critical, 1 warning, 0 nothing
    /// that matters changed)
    Diff {
        /// Before: a capture directory, a capture .tar.gz, or `live`
        #[arg(value_name = "BEFORE")]
        before: PathBuf,
        /// After: a capture directory, a capture .tar.gz, or `live`
        #[arg(value_name = "AFTER")]
        after: PathBuf,
        /// A policy whose route checks' destinations are compared too
        /// (the default routes always are), and whose mount checks' mount
        /// points are probed on both sides; repeat for more
        #[arg(short = 'p', long = "policy", value_name = "POLICY")]
        policies: Vec<PathBuf>,
        /// Show routine changes too: counters, uptime, neighbours, routes
        /// the kernel derives
        #[arg(long)]
        all: bool,
        /// Compare two different hosts (other host names, no boot id in
        /// common), which is refused otherwise
        #[arg(long)]
        other_host: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: DiffFormat,
        /// Write the report to FILE atomically (temporary file, then rename)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Bound the run, both sides and the probes together: a read that
        /// hangs becomes an unknown fact, named on stderr, and the exit
        /// code is 3
        #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
        deadline: Duration,
    },
    /// Run as an agent: audit again whenever the kernel reports a change,
    /// printing each finding that changes status as a JSON line
    ///
    /// Changes: links, addresses, routes, rules, neighbours, ethtool
    /// settings, block, device-mapper, SCSI, NVMe, network and RDMA devices.
    /// SIGHUP reloads the policies; SIGTERM and SIGINT stop it (exit 0).
    /// See docs/agent.md.
    Watch {
        /// Policy files (what they include is loaded too; SIGHUP loads
        /// them again)
        #[arg(short = 'p', long = "policy", required = true, num_args = 1.., value_name = "POLICY")]
        policies: Vec<PathBuf>,
        /// Replay captures instead of watching the live host: one audit
        /// each, in order, then exit. Repeat it, or give a directory of
        /// captures (taken in name order)
        #[arg(long, value_name = "DIR")]
        root: Vec<PathBuf>,
        /// Format of the --output file
        #[arg(long, value_enum, default_value = "prometheus")]
        format: WatchFormat,
        /// Rewrite FILE atomically after each audit, with the agent's
        /// counters of events, audits and coalesced bursts
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Keep counters between audits in FILE, and hold FILE.lock for as
        /// long as the agent runs (a timer's `hostlint audit` on the same
        /// FILE then exits at once)
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Audit at most once per DURATION, however many events arrive
        #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
        min_interval: Duration,
        /// Audit at least once per DURATION, for facts that change without
        /// an event (error counters)
        #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
        max_interval: Duration,
        /// Bound each audit: a read that hangs becomes an UNKNOWN fact
        #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
        deadline: Duration,
    },
    /// Work with policy files
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// List the check kinds
    Rules,
    /// Explain a check kind: what it checks, why, its fields and an example
    Explain {
        #[arg(value_name = "CHECK_KIND")]
        kind: String,
    },
    /// Write the man pages or the shell completions (bash, zsh, fish) into
    /// a directory, for a package or an install by hand
    Generate {
        #[arg(value_enum)]
        what: Generated,
        /// The directory to write into (created if missing)
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Generated {
    /// hostlint.1 and one page per subcommand (hostlint-audit.1, ...)
    Man,
    /// bash-completion/completions/hostlint, zsh/vendor-completions/_hostlint,
    /// fish/vendor_completions.d/hostlint.fish (as under /usr/share)
    Completions,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuditFormat {
    Table,
    Json,
    Junit,
    Nagios,
    Prometheus,
}

#[derive(Clone, Copy, ValueEnum)]
enum WatchFormat {
    Prometheus,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate policy files (and what they include) without auditing
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Bound the run: a policy file that does not answer is an error
        #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
        deadline: Duration,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShowWhat {
    Links,
    Bonds,
    /// Routes, rules and neighbours
    Routes,
    Storage,
    Host,
    /// The LLDP neighbours of each link, every TLV heard
    Lldp,
    All,
}

impl ShowWhat {
    /// What `all` shows, in its order.
    const ALL: &[Part] = &[
        Part::Host,
        Part::Links,
        Part::Lldp,
        Part::Bonds,
        Part::Routes,
        Part::Storage,
    ];

    fn parts(self) -> &'static [Part] {
        match self {
            ShowWhat::Links => &[Part::Links],
            ShowWhat::Bonds => &[Part::Bonds],
            ShowWhat::Routes => &[Part::Routes],
            ShowWhat::Storage => &[Part::Storage],
            ShowWhat::Host => &[Part::Host],
            ShowWhat::Lldp => &[Part::Lldp],
            ShowWhat::All => ShowWhat::ALL,
        }
    }
}

/// The parts named, each once, in the order first named; all of them when
/// none is.
fn show_parts(what: &[ShowWhat]) -> Vec<Part> {
    let named = if what.is_empty() {
        &[ShowWhat::All][..]
    } else {
        what
    };
    let mut parts = Vec::new();
    for p in named.iter().flat_map(|w| w.parts()) {
        if !parts.contains(p) {
            parts.push(*p);
        }
    }
    parts
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowFormat {
    Table,
    Json,
    Yaml,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_UNKNOWN)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A reader that went away (`hostlint show | head`) is not an error.
            if let Some(io) = e.downcast_ref::<io::Error>()
                && io.kind() == io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            match e.downcast_ref::<io::Error>() {
                Some(io) => eprintln!("hostlint: {}", io_text(io)),
                None => eprintln!("hostlint: {e}"),
            }
            ExitCode::from(EXIT_UNKNOWN)
        }
    }
}

/// A failed write to standard output, said as one: a reader that went
/// away stays the `BrokenPipe` that `main` does not report.
fn on_stdout(e: io::Error) -> Box<dyn std::error::Error> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        e.into()
    } else {
        format!("standard output: {}", io_text(&e)).into()
    }
}

/// The host to read, bounded by `deadline`.
fn source(
    root: Option<PathBuf>,
    lldp: &LldpConfig,
    deadline: Deadline,
) -> Result<Source, FixtureError> {
    match root {
        Some(dir) => Source::open_within(&dir, deadline),
        None => Ok(Source::live()
            .with_lldp(lldp.clone())
            .with_deadline(deadline)),
    }
}

/// Says on stderr which reads the deadline abandoned, if any: what was
/// shown, captured or compared is incomplete, and exit 3 says so.
fn abandoned(deadline: &Deadline, reads: &[String]) -> bool {
    if reads.is_empty() {
        return false;
    }
    eprintln!(
        "hostlint: the deadline ({}) abandoned {} read(s) that did not answer: {}",
        limit_text(deadline.total()),
        reads.len(),
        reads.join(", ")
    );
    true
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let lldp = LldpConfig {
        socket: cli.lldpd_socket,
        lldpcli: cli.lldpcli,
    };
    let color = match cli.color {
        ColorArg::Auto => ColorChoice::Auto,
        ColorArg::Always => ColorChoice::Always,
        ColorArg::Never => ColorChoice::Never,
    };
    match cli.command {
        Command::Show {
            what,
            root,
            format,
            deadline,
        } => {
            let deadline = Deadline::after(deadline);
            let parts = &show_parts(&what)[..];
            // LLDP neighbours are shown with the links they were heard on.
            let scope = parts.iter().fold(Scope::NONE, |scope, part| {
                scope.union(match part {
                    Part::Host => Scope::HOST,
                    Part::Links | Part::Lldp => Scope::LINKS.union(Scope::LLDP),
                    Part::Bonds => Scope::BONDS,
                    Part::Routes => Scope::ROUTES,
                    Part::Storage => Scope::STORAGE,
                })
            });
            let shown = root
                .as_ref()
                .map_or("the live host".to_owned(), |r| r.display().to_string());
            let source = source(root, &lldp, deadline)?;
            let snapshot = collect::snapshot(&source, scope);
            // A directory that is not a capture must not pass for a host
            // without links, routes or disks; one that holds other parts
            // than those asked for shows what it lacks.
            if snapshot.holds_nothing().is_some()
                && let Some(m) = collect::snapshot(&source, Scope::ALL).holds_nothing()
            {
                return Err(format!("{shown} holds nothing hostlint reads ({})", m.detail).into());
            }
            let mut out = io::stdout().lock();
            match format {
                ShowFormat::Json => json::write(&snapshot, parts, &mut out).map_err(on_stdout)?,
                ShowFormat::Yaml => yaml::write(&snapshot, parts, &mut out).map_err(on_stdout)?,
                ShowFormat::Table => {
                    let style = terminal_style(color, true);
                    out.write_all(table::render(&snapshot, parts, &style).as_bytes())
                        .and_then(|()| out.flush())
                        .map_err(on_stdout)?;
                }
            }
            Ok(if abandoned(&deadline, &source.abandoned()) {
                ExitCode::from(EXIT_UNKNOWN)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Audit {
            policies,
            root,
            format,
            output,
            passes,
            state,
            deadline,
        } => {
            let style = terminal_style(color, output.is_none());
            audit(
                &policies, root, &lldp, format, output, passes, state, deadline, &style,
            )
        }
        Command::Policy {
            command: PolicyCommand::Check { files, deadline },
        } => match policy::load_within(&files, Some(Deadline::after(deadline))) {
            Ok(policies) => {
                for p in &policies {
                    let n = p.checks.len();
                    println!(
                        "{}: policy {} with {n} check{}: valid",
                        p.file,
                        p.name,
                        if n == 1 { "" } else { "s" }
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!("hostlint: {} error(s) in the policies", errors.len());
                Ok(ExitCode::from(EXIT_UNKNOWN))
            }
        },
        Command::Diff {
            before,
            after,
            policies,
            all,
            other_host,
            format,
            output,
            deadline,
        } => {
            let options = hostlint::diff::Options { all, other_host };
            let deadline = Deadline::after(deadline);
            let style = terminal_style(color, output.is_none());
            diff(
                &before, &after, &lldp, &policies, options, format, output, deadline, &style,
            )
        }
        Command::Generate { what, output } => {
            let written = match what {
                Generated::Man => manual::write_man_pages(Cli::command(), &output),
                Generated::Completions => manual::write_completions(Cli::command(), &output),
            }
            .map_err(|e| format!("writing into {}: {}", output.display(), io_text(&e)))?;
            for path in written {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch {
            policies,
            root,
            format,
            output,
            state,
            min_interval,
            max_interval,
            deadline,
        } => {
            let config = hostlint::watch::Config {
                policies,
                replay: root,
                output,
                format: match format {
                    WatchFormat::Prometheus => hostlint::watch::Format::Prometheus,
                    WatchFormat::Json => hostlint::watch::Format::Json,
                },
                state,
                min_interval,
                max_interval,
                deadline,
                lldp,
            };
            match hostlint::watch::run(config) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(hostlint::watch::WatchError::Policy(errors)) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    eprintln!("hostlint: {} error(s) in the policies", errors.len());
                    Ok(ExitCode::from(EXIT_UNKNOWN))
                }
                Err(e) => {
                    eprintln!("hostlint: {e}");
                    Ok(ExitCode::from(EXIT_UNKNOWN))
                }
            }
        }
        Command::Rules => {
            print!("{}", catalog::rules(&terminal_style(color, true)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { kind } => match check::kind(&kind) {
            Some(k) => {
                print!("{}", catalog::explain(k));
                Ok(ExitCode::SUCCESS)
            }
            None => {
                let names: Vec<&str> = check::KINDS.iter().map(|k| k.name).collect();
                eprintln!(
                    "hostlint: no check kind `{kind}`: {}",
                    policy::fields::suggestion(&kind, &names)
                );
                Ok(ExitCode::from(EXIT_UNKNOWN))
            }
        },
        Command::Capture {
            output,
            root,
            label,
            deadline,
        } => {
            let deadline = Deadline::after(deadline);
            let summary = capture::capture(source(root, &lldp, deadline)?, &output, label)?;
            for w in &summary.warnings {
                eprintln!("hostlint: warning: {w}");
            }
            println!(
                "captured {} files into {}",
                summary.files,
                summary.dir.display()
            );
            Ok(if abandoned(&deadline, &summary.abandoned) {
                ExitCode::from(EXIT_UNKNOWN)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn render_audit(a: &Audit, format: AuditFormat, passes: bool, style: &Style) -> String {
    match format {
        AuditFormat::Table => {
            let passes = if passes { Passes::Show } else { Passes::Count };
            audit_table::render(a, style, passes)
        }
        AuditFormat::Json => audit_json::render(a),
        AuditFormat::Junit => junit::render(a),
        AuditFormat::Nagios => nagios::render(a),
        AuditFormat::Prometheus => prometheus::render(a, prometheus::MAX_SUBJECT_SERIES),
    }
}

/// How tables are drawn, from `--color` and what standard output, the
/// terminal, `COLUMNS`, `NO_COLOR` and `TERM` say.
fn terminal_style(color: ColorChoice, to_stdout: bool) -> Style {
    let terminal = to_stdout && io::stdout().is_terminal();
    let var = |name: &str| std::env::var(name).ok();
    Style::choose(
        color,
        &Surroundings {
            terminal,
            terminal_columns: if terminal { terminal_columns() } else { None },
            columns: var("COLUMNS"),
            no_color: var("NO_COLOR").is_some_and(|v| !v.is_empty()),
            term: var("TERM"),
        },
    )
}

/// The width of the terminal on standard output, if it says.
fn terminal_columns() -> Option<u16> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a `winsize` into the pointer it is given,
    // which points to one that lives for the call.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(size.ws_col)
}

/// `20s`, `1500ms`, `2m`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (20s, 1500ms, 2m)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (ms, s or m)")),
    };
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "{text:?}: a duration is more than 0 and at most a day"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[allow(clippy::too_many_arguments)]
fn audit(
    policy_files: &[PathBuf],
    root: Option<PathBuf>,
    lldp: &LldpConfig,
    format: AuditFormat,
    output: Option<PathBuf>,
    passes: bool,
    state: Option<PathBuf>,
    deadline: Duration,
    style: &Style,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let deadline_at = Deadline::after(deadline);
    let shown_source = root
        .as_ref()
        .map_or("live".to_owned(), |r| r.display().to_string());
    // A run that cannot audit still reports, in the format asked for, so a
    // scheduler reading the file or the status line sees UNKNOWN and why.
    let refused = |policies, cause, detail, notes| {
        hostlint::audit::refused(
            shown_source.clone(),
            policies,
            Refusal { cause, detail },
            notes,
            started,
            Some(deadline),
        )
    };
    let report = match policy::load_within(policy_files, Some(deadline_at)) {
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            let mut detail = errors.first().map(ToString::to_string).unwrap_or_default();
            if errors.len() > 1 {
                detail.push_str(&format!(" (and {} more)", errors.len() - 1));
            }
            refused(
                hostlint::audit::unread_policies(policy_files),
                Cause::InvalidPolicy,
                detail,
                errors
                    .iter()
                    .map(|e| format!("invalid policy: {e}"))
                    .collect(),
            )
        }
        Ok(policies) => match source(root, lldp, deadline_at) {
            Err(e) => {
                let mut a = refused(
                    hostlint::audit::policy_refs(&policies),
                    Cause::UnreadableRoot,
                    e.to_string(),
                    Vec::new(),
                );
                // Opening a capture (unpacking an archive) stops at the
                // deadline.
                a.run.deadline_exceeded = deadline_at.passed();
                a
            }
            Ok(src) => {
                let options = hostlint::audit::Options {
                    state,
                    deadline: Some(deadline),
                };
                hostlint::audit::run(&src, &policies, &options)
            }
        },
    };
    let cause = report.cause();
    // Policy errors were printed in full above.
    if cause.refused() && cause != Cause::InvalidPolicy {
        eprintln!("hostlint: {}", report.summary());
    }
    // The report of the run that holds the lock is the one to keep: an
    // empty one in its place would reset every alert's timer.
    if let (Cause::LockHeld, Some(path)) = (cause, &output) {
        eprintln!("hostlint: {} left as it was", path.display());
        return Ok(ExitCode::from(cause.verdict().code()));
    }
    let text = render_audit(&report, format, passes, style);
    match output {
        // The writer's error names the file already: said here too, it
        // would be said twice.
        Some(path) => output::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("the report could not be written: {}", io_text(&e)))?,
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(on_stdout)?;
        }
    }
    Ok(ExitCode::from(cause.verdict().code()))
}

/// A side of `hostlint diff`: `live` is the running host; anything else a
/// capture (a `./live` directory is named with its path).
fn diff_side(
    arg: &std::path::Path,
    lldp: &LldpConfig,
    deadline: Deadline,
) -> Result<Source, FixtureError> {
    let root = (arg != std::path::Path::new("live")).then(|| arg.to_owned());
    source(root, lldp, deadline)
}

#[allow(clippy::too_many_arguments)]
fn diff(
    before: &std::path::Path,
    after: &std::path::Path,
    lldp: &LldpConfig,
    policy_files: &[PathBuf],
    options: hostlint::diff::Options,
    format: DiffFormat,
    output: Option<PathBuf>,
    deadline: Deadline,
    style: &Style,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let policies = if policy_files.is_empty() {
        Vec::new()
    } else {
        match policy::load_within(policy_files, Some(deadline)) {
            Ok(policies) => policies,
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!("hostlint: {} error(s) in the policies", errors.len());
                return Ok(ExitCode::from(EXIT_UNKNOWN));
            }
        }
    };
    let checks: Vec<_> = policies.iter().flat_map(|p| &p.checks).collect();
    let (b, a) = (
        diff_side(before, lldp, deadline)?,
        diff_side(after, lldp, deadline)?,
    );
    let report = hostlint::diff::run(
        (&before.display().to_string(), &b),
        (&after.display().to_string(), &a),
        &checks,
        options,
    )?;
    let text = match format {
        DiffFormat::Table => diff_table::render(&report, style),
        DiffFormat::Json => diff_json::render(&report),
    };
    match output {
        // The writer's error names the file already: said here too, it
        // would be said twice.
        Some(path) => output::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("the report could not be written: {}", io_text(&e)))?,
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(on_stdout)?;
        }
    }
    abandoned(&deadline, &report.abandoned);
    Ok(ExitCode::from(report.exit_code()))
}
