//! Tables fit the width they are given. Every table-producing command
//! (`show`, `audit`, `diff`, `rules`) on every bundled fixture, at several
//! widths, prints no line wider than the width (in characters, not bytes)
//! and cuts no token; golden files at 80, 100 and 200 columns show how each
//! reads.

use std::collections::HashSet;
use std::process::Command;

use crate::util::{hostlint_bin, plain, repo};

/// A table-producing command on one fixture: a name for its golden file,
/// the arguments (relative to the repository root) and the exit code.
struct Case {
    name: String,
    args: Vec<String>,
    code: i32,
}

fn cases() -> Vec<Case> {
    let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut out = Vec::new();
    for (fixture, policies, code) in crate::scenarios::SCENARIOS {
        let root = format!("fixtures/{fixture}");
        out.push(Case {
            name: format!("show_{fixture}"),
            args: own(&["show", "--root", &root]),
            code: 0,
        });
        let mut audit = own(&["audit", "--root", &root, "--passes"]);
        for p in *policies {
            audit.extend(own(&["-p", p]));
        }
        out.push(Case {
            name: format!("audit_{fixture}"),
            args: audit,
            code: *code,
        });
    }
    for (after, code, _) in crate::diff::PAIRS {
        out.push(Case {
            name: format!("diff_lb-healthy_{after}"),
            args: own(&["diff", "fixtures/lb-healthy", &format!("fixtures/{after}")]),
            code: *code,
        });
    }
    for (before, after, code, _) in crate::diff::SAN_PAIRS {
        out.push(Case {
            name: format!("diff_{before}_{after}"),
            args: own(&[
                "diff",
                &format!("fixtures/{before}"),
                &format!("fixtures/{after}"),
                "-p",
                "policies/storage-paths.yaml",
            ]),
            code: *code,
        });
    }
    out.push(Case {
        name: "rules".into(),
        args: own(&["rules"]),
        code: 0,
    });
    out
}

fn run(case: &Case, columns: usize) -> String {
    if let Some(i) = case.args.iter().position(|a| a == "--root") {
        let fixture = case.args[i + 1].trim_start_matches("fixtures/");
        crate::scenarios::prepare(fixture);
    }
    let out = plain(&mut Command::new(hostlint_bin()))
        .current_dir(repo())
        .env("COLUMNS", columns.to_string())
        .args(&case.args)
        .output()
        .expect("hostlint runs");
    assert_eq!(
        out.status.code(),
        Some(case.code),
        "{} at {columns} columns: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The pieces a line may break between: words, cut again after each comma
/// and semicolon, without those (a folded list is joined by commas).
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .flat_map(|w| w.split_inclusive([',', ';']))
        .map(|t| t.trim_end_matches([',', ';']))
        .filter(|t| !t.is_empty())
}

/// Tokens of `narrow` that are no token of `wide` (the same report with
/// room for everything): the pieces of a token that was cut. A column
/// folded under its row is labelled with its header in lower case, so
/// those words count too.
fn cut_tokens(narrow: &str, wide: &str) -> Vec<String> {
    let known: HashSet<String> = tokens(wide)
        .flat_map(|t| [t.to_owned(), t.to_lowercase()])
        .collect();
    tokens(narrow)
        .filter(|t| !known.contains(*t))
        .map(str::to_owned)
        .collect()
}

fn too_wide(text: &str, width: usize) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.chars().count() > width)
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

#[test]
fn the_check_for_cut_tokens_finds_a_cut_token() {
    let wide = "eno1  up  fe80::3eec:efff:fe10:2001/64  mtu 1500,9000";
    let folded = "eno1  up\n      mtu 1500,\n      9000 fe80::3eec:efff:fe10:2001/64";
    assert!(cut_tokens(folded, wide).is_empty());
    let cut = "eno1  up  fe80::3eec:e\n          fff:fe10:2001/64";
    assert_eq!(cut_tokens(cut, wide), ["fe80::3eec:e", "fff:fe10:2001/64"]);
    assert_eq!(cut_tokens("mtu 15\n00,9000", wide), ["15", "00"]);
    assert_eq!(too_wide("ab\néé\nabc", 2), [(3, "abc".to_owned())]);
}

/// No line wider than the width and no token cut, for every command on
/// every fixture, from the narrowest width a terminal is taken as up.
#[test]
fn every_table_fits_its_width_without_cutting_a_token() {
    for case in cases() {
        let wide = run(&case, 100_000);
        for width in [40, 60, 80, 100, 120, 200] {
            let text = run(&case, width);
            let over = too_wide(&text, width);
            assert!(
                over.is_empty(),
                "{} at {width} columns: lines too wide: {over:#?}\n{text}",
                case.name
            );
            // At 40 columns a token may be longer than the room under its
            // row; from 60 on, none of these cases' is (other pairs of a
            // policy and a fixture hold longer ones: a path in a finding,
            // an NQN, cut below 65 columns).
            if width >= 60 {
                let cut = cut_tokens(&text, &wide);
                assert!(
                    cut.is_empty(),
                    "{} at {width} columns: cut tokens {cut:?}\n{text}",
                    case.name
                );
            }
        }
    }
}

/// At 100 columns, the default, the goldens are those of each command's
/// own tests (`show_table_*`, `fixtures/*/expected/`).
#[test]
fn goldens_at_80_and_200_columns() {
    for case in cases() {
        for width in [80, 200] {
            insta::assert_snapshot!(format!("{}_{width}", case.name), run(&case, width));
        }
    }
}

/// The first command of the README fits a mail reader and an 80-column
/// terminal, as the README promises.
#[test]
fn the_readme_command_fits_100_and_80_columns() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let first = readme
        .lines()
        .find_map(|l| l.strip_prefix("cargo run --release -- "))
        .expect("the README starts with a cargo run command");
    let args: Vec<String> = first
        .split('#')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let case = Case {
        name: "readme".into(),
        args,
        code: 0,
    };
    let wide = run(&case, 100_000);
    for width in [100, 80] {
        let text = run(&case, width);
        assert!(too_wide(&text, width).is_empty(), "{text}");
        assert!(cut_tokens(&text, &wide).is_empty(), "{text}");
    }
}
