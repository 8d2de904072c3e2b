//! `hostlint generate`: the man pages and shell completions a package
//! installs, generated from the command line itself.

use std::fs;
use std::process::Command;

use crate::util::{hostlint, path_str, run_ok, tempdir, tool_ready};

/// Every subcommand `--help` lists, `hostlint policy check` included.
const PAGES: &[&str] = &[
    "hostlint",
    "hostlint-show",
    "hostlint-audit",
    "hostlint-capture",
    "hostlint-diff",
    "hostlint-policy",
    "hostlint-policy-check",
    "hostlint-rules",
    "hostlint-explain",
    "hostlint-generate",
    "hostlint-watch",
];

#[test]
fn a_man_page_for_every_subcommand() {
    let dir = tempdir();
    let listed = run_ok(&mut hostlint(&[
        "generate",
        "man",
        "-o",
        path_str(dir.path()),
    ]));
    let mut written: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = PAGES.iter().map(|p| format!("{p}.1")).collect();
    expected.sort();
    assert_eq!(written, expected);
    assert_eq!(listed.lines().count(), PAGES.len(), "{listed}");
    let audit = fs::read_to_string(dir.path().join("hostlint-audit.1")).unwrap();
    assert!(audit.contains(".TH hostlint-audit 1"), "{audit}");
    for must in [
        "\\-\\-policy",
        "\\-\\-deadline",
        "\\-\\-color",
        "\\fBhostlint\\fR(1)",
    ] {
        assert!(
            audit.contains(must),
            "hostlint-audit.1 lacks {must}:\n{audit}"
        );
    }
    let main = fs::read_to_string(dir.path().join("hostlint.1")).unwrap();
    for must in [
        "ENVIRONMENT",
        "COLUMNS",
        "NO_COLOR",
        "EXIT STATUS",
        "hostlint\\-audit",
    ] {
        assert!(main.contains(must), "hostlint.1 lacks {must}:\n{main}");
    }
    if !tool_ready("a_man_page_for_every_subcommand", "man", "man-db") {
        return;
    }
    let out = Command::new("man")
        .env("MANWIDTH", "80")
        .args(["-P", "cat", "-l"])
        .arg(dir.path().join("hostlint-audit.1"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("--policy"), "{text}");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let dir = tempdir();
    run_ok(&mut hostlint(&[
        "generate",
        "completions",
        "-o",
        path_str(dir.path()),
    ]));
    let read = |rel: &str| fs::read_to_string(dir.path().join(rel)).unwrap();
    let bash = read("bash-completion/completions/hostlint");
    assert!(
        bash.contains("complete -F _hostlint") && bash.contains("audit"),
        "{bash}"
    );
    let zsh = read("zsh/vendor-completions/_hostlint");
    assert!(zsh.starts_with("#compdef hostlint"), "{zsh}");
    let fish = read("fish/vendor_completions.d/hostlint.fish");
    assert!(
        fish.contains("complete -c hostlint") && fish.contains("storage"),
        "{fish}"
    );
    // The part names of `show` complete.
    assert!(bash.contains("links") && bash.contains("bonds"), "{bash}");
}

#[test]
fn generate_says_where_it_could_not_write() {
    let dir = tempdir();
    let file = dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    let out = crate::util::run_expect(
        &mut hostlint(&["generate", "man", "-o", path_str(&file)]),
        3,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("writing into {}", file.display())),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
}
