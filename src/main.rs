//! The `hostlint` command: parse the command line, call the library, map
//! the outcome to an exit code (Nagios convention: 0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN, usage errors included).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use hostlint::capture;
use hostlint::collect::{self, Scope};
use hostlint::report::json;
use hostlint::report::table::{self, Part, Style};
use hostlint::source::Source;

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
    /// Show what hostlint reads of a host: links, bonds, routes, host facts
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
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowWhat {
    Links,
    Bonds,
    Routes,
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
                ShowWhat::Host => &[Part::Host],
                ShowWhat::All => &[Part::Host, Part::Links, Part::Bonds, Part::Routes],
            };
            let scope = Scope {
                host: parts.contains(&Part::Host),
                links: parts.contains(&Part::Links),
                bonds: parts.contains(&Part::Bonds),
                routes: parts.contains(&Part::Routes),
            };
            let snapshot = collect::snapshot(&source(root)?, scope);
            let mut out = io::stdout().lock();
            match format {
                ShowFormat::Json => json::write(&snapshot, parts, &mut out)?,
                ShowFormat::Table => {
                    let tty = io::stdout().is_terminal();
                    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                    let style = Style {
                        color: tty && !no_color,
                        width: None,
                    };
                    out.write_all(table::render(&snapshot, parts, &style).as_bytes())?;
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
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
