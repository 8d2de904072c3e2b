//! The manual pages (one per subcommand, `man hostlint-audit`) and the
//! shell completions, generated from the command line's own definition so
//! that they can never disagree with `--help`. A package build writes them
//! with `hostlint generate`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use clap::Command;
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

/// The shells completions are written for, with the file each expects,
/// relative to the directory the package installs them under
/// (`/usr/share`).
pub const COMPLETIONS: &[(Shell, &str)] = &[
    (Shell::Bash, "bash-completion/completions/hostlint"),
    (Shell::Zsh, "zsh/vendor-completions/_hostlint"),
    (Shell::Fish, "fish/vendor_completions.d/hostlint.fish"),
];

/// Writes `hostlint.1` and a page for every subcommand that is not hidden
/// (`hostlint-audit.1`, `hostlint-policy-check.1`, ...) into `dir`.
/// Returns the files written.
pub fn write_man_pages(cmd: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, &mut pages);
    let names: Vec<String> = pages.iter().map(page_name).collect();
    // Every page says which hostlint it documents, as the main page does.
    let source = format!("hostlint {}", cmd.get_version().unwrap_or_default());
    let mut written = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let mut text = Vec::new();
        let man = Man::new(page.clone())
            .source(&source)
            .manual("hostlint manual");
        man.render(&mut text)?;
        let mut extra = Roff::new();
        if i == 0 {
            top_level_sections(&mut extra);
        }
        // The main page lists every subcommand's; each of those, the main.
        let others = if i == 0 { &names[1..] } else { &names[..1] };
        extra.control("SH", ["SEE ALSO"]);
        let mut refs = Vec::new();
        for (k, n) in others.iter().enumerate() {
            if k > 0 {
                refs.push(roman(", "));
            }
            refs.push(bold(n.as_str()));
            refs.push(roman("(1)"));
        }
        extra.text(refs);
        extra.to_writer(&mut text)?;
        let path = dir.join(format!("{}.1", names[i]));
        fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// The command and every visible subcommand below it, depth first.
fn collect(cmd: &Command, out: &mut Vec<Command>) {
    out.push(cmd.clone());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out);
    }
}

/// `hostlint-policy-check` for `hostlint policy check`: the name clap
/// gives a subcommand when it builds the tree.
fn page_name(cmd: &Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned()
}

/// What `hostlint(1)` says beyond the options: the environment it reads,
/// its exit codes and where its files are.
fn top_level_sections(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, text) in [
        (
            "COLUMNS",
            "The width of tables when standard output is not a terminal (a terminal's own width wins). Without it, tables are 100 characters wide; never narrower than 40.",
        ),
        (
            "NO_COLOR",
            "When set and not empty, no colour with --color auto.",
        ),
        ("TERM", "Unset or dumb: no colour with --color auto."),
    ] {
        tagged(roff, name, text);
    }
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(
        "audit and diff follow the Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a fact could not be read, nothing was checked, or the policy or the command line is wrong). The other commands exit 0, or 3 on an error.",
    )]);
    roff.control("SH", ["FILES"]);
    for (path, text) in [
        (
            "/usr/share/hostlint/policies/",
            "Example policies: baseline, bonded uplinks, a load balancer and its cabling plan, SAN-attached storage paths, an RDMA fabric.",
        ),
        (
            "/usr/share/doc/hostlint/",
            "The policy language, the fixture format, scheduling and the maintenance checklist.",
        ),
        (
            "/usr/lib/systemd/system/hostlint.timer",
            "Runs hostlint.service, an audit for node_exporter's textfile collector, every minute.",
        ),
        (
            "/usr/lib/systemd/system/hostlint-watch.service",
            "hostlint watch: audits again whenever the kernel reports a change, instead of the timer.",
        ),
    ] {
        tagged(roff, path, text);
    }
}

/// One tagged paragraph: the name in bold, its text under it.
fn tagged(roff: &mut Roff, name: &str, text: &str) {
    roff.control("TP", []);
    roff.text([bold(name)]);
    roff.text([roman(text)]);
}

/// Writes the bash, zsh and fish completions under `dir` at the paths of
/// [`COMPLETIONS`]. Returns the files written.
pub fn write_completions(mut cmd: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (shell, rel) in COMPLETIONS {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut text = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "hostlint", &mut text);
        fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
