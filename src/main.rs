//! The `hostlint` command: parse the command line, call the library, map
//! the outcome to an exit code (Nagios convention: 0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN, usage errors included).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use hostlint::collect::{self, Scope};
use hostlint::finding::Audit;
use hostlint::report::audit_table::{self, Passes};
use hostlint::report::json;
use hostlint::report::table::{self, Part, Style};
use hostlint::report::{audit_json, catalog, junit, nagios, output, prometheus};
use hostlint::source::Source;
use hostlint::{capture, check, policy};

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
}

#[derive(Subcommand)]
enum Command {
    /// Show what hostlint reads of a host: links, bonds, routes, storage, host facts
    Show {
        /// Which part to show
        #[arg(value_enum, default_value = "all")]
        what: ShowWhat,
        /// Read a captured fixture directory instead of the live host
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: ShowFormat,
    },
    /// Audit the host against policies; the exit code is the worst finding
    /// (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
    Audit {
        /// Policy files (what they include is loaded too)
        #[arg(short = 'p', long = "policy", required = true, num_args = 1.., value_name = "POLICY")]
        policies: Vec<PathBuf>,
        /// Audit a captured fixture directory instead of the live host
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
    },
    /// Write the live host (or, with --root, a fixture) as a fixture directory
    Capture {
        /// The directory to create; it must not exist
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Re-capture a fixture instead of the live host
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// A note stored in the manifest, e.g. "before ticket 4711"
        #[arg(long)]
        label: Option<String>,
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
}

#[derive(Clone, Copy, ValueEnum)]
enum AuditFormat {
    Table,
    Json,
    Junit,
    Nagios,
    Prometheus,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate policy files (and what they include) without auditing
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowWhat {
    Links,
    Bonds,
    Routes,
    Storage,
    Host,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowFormat {
    Table,
    Json,
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
            eprintln!("hostlint: {e}");
            ExitCode::from(EXIT_UNKNOWN)
        }
    }
}

fn source(root: Option<PathBuf>) -> Result<Source, Box<dyn std::error::Error>> {
    Ok(match root {
        Some(dir) => Source::fixture(&dir)?,
        None => Source::live(),
    })
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Show { what, root, format } => {
            let parts: &[Part] = match what {
                ShowWhat::Links => &[Part::Links],
                ShowWhat::Bonds => &[Part::Bonds],
                ShowWhat::Routes => &[Part::Routes],
                ShowWhat::Storage => &[Part::Storage],
                ShowWhat::Host => &[Part::Host],
                ShowWhat::All => &[
                    Part::Host,
                    Part::Links,
                    Part::Bonds,
                    Part::Routes,
                    Part::Storage,
                ],
            };
            let scope = Scope {
                host: parts.contains(&Part::Host),
                links: parts.contains(&Part::Links),
                bonds: parts.contains(&Part::Bonds),
                routes: parts.contains(&Part::Routes),
                storage: parts.contains(&Part::Storage),
            };
            let snapshot = collect::snapshot(&source(root)?, scope);
            let mut out = io::stdout().lock();
            match format {
                ShowFormat::Json => json::write(&snapshot, parts, &mut out)?,
                ShowFormat::Table => {
                    let style = terminal_style(true);
                    out.write_all(table::render(&snapshot, parts, &style).as_bytes())?;
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            policies,
            root,
            format,
            output,
            passes,
        } => audit(&policies, root, format, output, passes),
        Command::Policy {
            command: PolicyCommand::Check { files },
        } => match policy::load(&files) {
            Ok(policies) => {
                for p in &policies {
                    println!(
                        "{}: policy {} with {} checks: valid",
                        p.file,
                        p.name,
                        p.checks.len()
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
        Command::Rules => {
            print!("{}", catalog::rules());
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
        } => {
            let summary = capture::capture(source(root)?, &output, label)?;
            for w in &summary.warnings {
                eprintln!("hostlint: warning: {w}");
            }
            println!(
                "captured {} files into {}",
                summary.files,
                summary.dir.display()
            );
            Ok(ExitCode::SUCCESS)
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

/// Colour only on a terminal, and never with NO_COLOR set.
fn terminal_style(to_stdout: bool) -> Style {
    let tty = to_stdout && io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: tty && !no_color,
        width: None,
    }
}

fn audit(
    policy_files: &[PathBuf],
    root: Option<PathBuf>,
    format: AuditFormat,
    output: Option<PathBuf>,
    passes: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // A run that cannot audit still reports, in the format asked for, so a
    // scheduler reading the file or the status line sees UNKNOWN and why.
    let failed = |notes: Vec<String>, source: String| Audit {
        host: "(not read)".into(),
        source,
        policies: policy_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        findings: Vec::new(),
        notes,
    };
    let shown_source = root
        .as_ref()
        .map_or("live".to_owned(), |r| r.display().to_string());
    let report = match policy::load(policy_files) {
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            failed(
                errors
                    .iter()
                    .map(|e| format!("invalid policy: {e}"))
                    .collect(),
                shown_source,
            )
        }
        Ok(policies) => match source(root) {
            Err(e) => {
                eprintln!("hostlint: {e}");
                failed(vec![e.to_string()], shown_source)
            }
            Ok(src) => hostlint::audit::run(&src, &policies),
        },
    };
    let style = terminal_style(output.is_none());
    let text = render_audit(&report, format, passes, &style);
    match output {
        Some(path) => output::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("writing {}: {e}", path.display()))?,
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::from(report.verdict().code()))
}
