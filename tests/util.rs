//! Shared test harness: run the hostlint binary, compare JSON documents,
//! and build throwaway network namespaces for live tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

pub fn hostlint_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hostlint")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// Runs a command and returns its output, failing the test with the whole
/// story when it does not exit with `expect_code`.
pub fn run_expect(cmd: &mut Command, expect_code: i32) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert_eq!(
        out.status.code(),
        Some(expect_code),
        "{cmd:?} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn run_ok(cmd: &mut Command) -> String {
    String::from_utf8(run_expect(cmd, 0).stdout).expect("UTF-8 output")
}

/// `hostlint ARGS...` as a pipe sees it, whatever the test runner's
/// environment: no colour, and tables of the default width.
pub fn hostlint(args: &[&str]) -> Command {
    let mut c = Command::new(hostlint_bin());
    c.args(args);
    plain(&mut c);
    c
}

/// A copy of the hostlint binary in `dir`, made readable to every user
/// (the directory too): a test that runs it as an unprivileged user must
/// not depend on where the repository is checked out.
pub fn binary_for_anyone(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .expect("a directory anyone can enter");
    let bin = dir.join("hostlint");
    std::fs::copy(hostlint_bin(), &bin).expect("a copy of the binary");
    bin
}

/// `hostlint audit ARGS... --format json`: the exit code and the report.
pub fn audit_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = hostlint(&all).output().expect("hostlint runs");
    (
        out.status.code().unwrap_or(-1),
        parse_json(&String::from_utf8_lossy(&out.stdout)),
    )
}

/// The closing line of a table report (an audit's or a diff's verdict) as
/// one line: it wraps to the width, its continuation lines indented.
pub fn table_summary(out: &str) -> String {
    let lines: Vec<&str> = out.trim_end().lines().collect();
    let start = lines
        .iter()
        .rposition(|l| !l.starts_with(' '))
        .unwrap_or_default();
    lines[start..]
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// No colour and no `COLUMNS` from the environment the tests run in.
pub fn plain(c: &mut Command) -> &mut Command {
    c.env("NO_COLOR", "1").env_remove("COLUMNS")
}

/// The paths at which two JSON documents differ, with both values.
pub fn json_diff(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", a, b, &mut out);
    out
}

fn diff_at(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) => diff_at(&p, va, vb, out),
                    None => out.push(format!("{p}: {va} / (absent)")),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    out.push(format!("{path}.{k}: (absent) / {vb}"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff_at(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: {a} / {b}")),
    }
}

/// Whether live tests can run here. They need root and iproute2; when they
/// cannot run they say why on stderr, and `HOSTLINT_REQUIRE_LIVE=1` (set by
/// CI) turns the skip into a failure so CI never passes on a skipped test.
pub fn live_ready(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let why = if unsafe { libc::geteuid() } != 0 {
        Some("not running as root")
    } else if Command::new("ip").arg("-V").output().is_err() {
        Some("iproute2's `ip` is not installed")
    } else {
        None
    };
    match why {
        None => true,
        Some(why) => {
            if std::env::var_os("HOSTLINT_REQUIRE_LIVE").is_some_and(|v| v == "1") {
                panic!("{test}: live test required (HOSTLINT_REQUIRE_LIVE=1) but {why}");
            }
            skipped(
                test,
                &format!("{why}; live namespace tests need root and iproute2"),
            );
            false
        }
    }
}

/// Says a test was skipped where `cargo test` shows it: libtest captures
/// `eprintln!` of passing tests, not writes to the stderr handle.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// A network namespace that is deleted, by name, when dropped.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "hl-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        Netns { name }
    }

    /// Runs `ip -n NS ARGS...` and fails the test if it fails.
    pub fn ip(&self, args: &str) {
        let mut c = Command::new("ip");
        c.arg("-n").arg(&self.name).args(args.split_whitespace());
        run_ok(&mut c);
    }

    /// A command run inside the namespace (`ip netns exec`, which also
    /// remounts /sys for it).
    pub fn exec(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]).args(args);
        plain(&mut c);
        c
    }

    pub fn hostlint(&self, args: &[&str]) -> Command {
        self.exec(hostlint_bin(), args)
    }

    pub fn sysctl(&self, settings: &[&str]) {
        let mut args = vec!["-q", "-w"];
        args.extend_from_slice(settings);
        run_ok(&mut self.exec("sysctl", &args));
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

pub fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Removes a key at a dotted path (`host.uptime_seconds`).
pub fn remove_path(v: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().expect("a path");
    let mut cur = v;
    for p in parts {
        match cur.get_mut(p) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Value::Object(m) = cur {
        m.remove(last);
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Whether an external tool a test needs is installed. Without it the test
/// says so and passes, except under `HOSTLINT_REQUIRE_LIVE=1` (CI installs
/// it), where the test fails rather than pass without checking anything.
pub fn tool_ready(test: &str, program: &str, package: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    let why = format!("`{program}` is not installed (Debian package {package})");
    if std::env::var_os("HOSTLINT_REQUIRE_LIVE").is_some_and(|v| v == "1") {
        panic!("{test}: required (HOSTLINT_REQUIRE_LIVE=1) but {why}");
    }
    skipped(test, &why);
    false
}

/// A copy of a fixture whose manifest makes each of `paths` fail with
/// `errno`, as a capture records a read the kernel refused.
pub fn fixture_failing(name: &str, paths: &[&str], errno: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let copy = tmp.path().join(name);
    copy_tree(&fixture(name), &copy);
    let manifest_path = copy.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).expect("a manifest");
    let mut manifest = parse_json(&text);
    for path in paths {
        manifest["read_errors"][path] = errno.into();
    }
    std::fs::write(&manifest_path, manifest.to_string()).expect("a manifest written");
    (tmp, copy)
}

/// Copies a directory tree, symlinks kept as symlinks: a fixture as it
/// is, including files a capture would not copy.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory to copy into");
    for entry in std::fs::read_dir(from).expect("a directory to copy") {
        let entry = entry.expect("a directory entry");
        let kind = entry.file_type().expect("a file type");
        let dst = to.join(entry.file_name());
        if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("a symlink");
            std::os::unix::fs::symlink(target, &dst).expect("a new symlink");
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &dst);
        } else {
            std::fs::copy(entry.path(), &dst).expect("a copied file");
        }
    }
}
