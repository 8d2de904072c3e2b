//! Every read bounded (issue 10): a policy, an include, a manifest, a
//! state file that is a FIFO, a device, a directory or too large is refused
//! at once by name; `show`, `capture`, `diff`, `audit` and `policy check`
//! end within `--deadline` on files that block, on a filesystem that does
//! not answer at all, and on an archive that inflates without end; and a
//! hostile input costs a bounded amount of memory.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{copy_tree, fixture, hostlint, parse_json, path_str, tempdir};

/// What a deadline may be overrun by: process start, the last read's
/// wind-down, a loaded machine.
const MARGIN: Duration = Duration::from_secs(2);

/// What one run of hostlint did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
    /// The child's peak resident memory.
    max_rss_kib: i64,
}

/// Runs `cmd` to its end, with its output in files (a full pipe would
/// block it) and its own resource usage from `wait4`, which reaps it.
#[allow(clippy::zombie_processes)]
fn run(cmd: &mut Command) -> Ran {
    let dir = tempdir();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::from(fs::File::create(&out).unwrap()))
        .stderr(Stdio::from(fs::File::create(&err).unwrap()))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    // A run that never ends fails the test instead of hanging it.
    // SAFETY: pidfd_open on our own child, not yet reaped.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as i32, 0) } as i32;
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        // SAFETY: signalling through a pidfd reaches that process or none.
        unsafe {
            libc::syscall(libc::SYS_pidfd_send_signal, pidfd, libc::SIGKILL, 0, 0);
            libc::close(pidfd);
        }
    });
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with live out-pointers.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(
        pid,
        child.id() as i32,
        "wait4: {}",
        std::io::Error::last_os_error()
    );
    Ran {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: fs::read_to_string(&out).unwrap_or_default(),
        stderr: fs::read_to_string(&err).unwrap_or_default(),
        took: started.elapsed(),
        max_rss_kib: usage.ru_maxrss,
    }
}

/// Runs `hostlint ARGS`, which must exit 3 within `deadline` plus the
/// margin and name `what` on stderr (or in its report).
fn unknown_within(args: &[&str], deadline: Duration, what: &str) -> Ran {
    let ran = run(&mut hostlint(args));
    assert_eq!(
        ran.code,
        Some(3),
        "hostlint {args:?}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        ran.code,
        ran.stdout,
        ran.stderr
    );
    assert!(
        ran.took < deadline + MARGIN,
        "hostlint {args:?} took {:?}, past its deadline {deadline:?}",
        ran.took
    );
    assert!(
        ran.stderr.contains(what) || ran.stdout.contains(what),
        "hostlint {args:?} does not name {what:?}:\nstdout:\n{}\nstderr:\n{}",
        ran.stdout,
        ran.stderr
    );
    ran
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path_str(path)).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {}",
        path.display()
    );
}

const PCIE: &str = "policy: pcie\nchecks:\n  - id: pcie-at-max\n    link:\n      select: {driver: i40e}\n      expect: {pcie: at_max}\n";

/// The files a policy must not be, each with the words its refusal says.
fn not_policies(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let fifo = dir.join("fifo.yaml");
    mkfifo(&fifo);
    let subdir = dir.join("dir.yaml");
    fs::create_dir(&subdir).unwrap();
    // A valid YAML comment, one byte past the cap.
    let huge = dir.join("huge.yaml");
    let mut text = PCIE.as_bytes().to_vec();
    text.resize(1024 * 1024 + 1, b'#');
    text[PCIE.len()] = b'#';
    fs::write(&huge, text).unwrap();
    vec![
        (fifo, "a FIFO, not a regular file"),
        (
            PathBuf::from("/dev/zero"),
            "a character device, not a regular file",
        ),
        (subdir, "a directory, not a regular file"),
        (huge, "too large: more than the 1 MiB a policy may have"),
    ]
}

#[test]
fn a_policy_that_is_not_a_regular_file_is_refused_by_name() {
    let dir = tempdir();
    let lb = fixture("lb-healthy");
    for (bad, why) in not_policies(dir.path()) {
        let shown = format!("{}: cannot read: {why}", bad.display());
        unknown_within(
            &["policy", "check", path_str(&bad), "--deadline", "2s"],
            Duration::from_secs(2),
            &shown,
        );
        unknown_within(
            &[
                "audit",
                "-p",
                path_str(&bad),
                "--root",
                path_str(&lb),
                "--deadline",
                "2s",
            ],
            Duration::from_secs(2),
            &shown,
        );
        unknown_within(
            &[
                "diff",
                path_str(&lb),
                path_str(&lb),
                "-p",
                path_str(&bad),
                "--deadline",
                "2s",
            ],
            Duration::from_secs(2),
            &shown,
        );
    }
}

#[test]
fn an_include_that_is_not_a_regular_file_is_refused_by_name() {
    let dir = tempdir();
    let lb = fixture("lb-healthy");
    for (bad, why) in not_policies(dir.path()) {
        let top = dir.path().join("top.yaml");
        fs::write(&top, format!("{PCIE}include: {}\n", bad.display())).unwrap();
        let shown = format!("{}: cannot read: {why}", bad.display());
        unknown_within(
            &["policy", "check", path_str(&top), "--deadline", "2s"],
            Duration::from_secs(2),
            &shown,
        );
        unknown_within(
            &[
                "audit",
                "-p",
                path_str(&top),
                "--root",
                path_str(&lb),
                "--deadline",
                "2s",
            ],
            Duration::from_secs(2),
            &shown,
        );
    }
}

#[test]
fn a_fifo_manifest_is_refused_at_once_by_show_audit_diff_and_capture() {
    let dir = tempdir();
    let root = dir.path().join("lb");
    copy_tree(&fixture("lb-healthy"), &root);
    fs::remove_file(root.join("manifest.json")).unwrap();
    mkfifo(&root.join("manifest.json"));
    let policy = dir.path().join("pcie.yaml");
    fs::write(&policy, PCIE).unwrap();
    let shown = format!(
        "{}: a FIFO, not a regular file",
        root.join("manifest.json").display()
    );
    let d = Duration::from_secs(2);
    show_diff_and_capture_within(&root, &dir.path().join("cap"), d, &shown);
    unknown_within(
        &[
            "audit",
            "-p",
            path_str(&policy),
            "--root",
            path_str(&root),
            "--deadline",
            "2s",
        ],
        d,
        &shown,
    );
    assert!(!dir.path().join("cap").exists());
}

/// Runs `show`, `diff` against lb-healthy and `capture` into `out` of
/// `root` under a deadline of `d`: each must end within it, exit 3 and
/// name `what`. Returns what `show` did.
fn show_diff_and_capture_within(root: &Path, out: &Path, d: Duration, what: &str) -> Ran {
    let deadline = format!("{}ms", d.as_millis());
    let shown = unknown_within(
        &["show", "--root", path_str(root), "--deadline", &deadline],
        d,
        what,
    );
    unknown_within(
        &[
            "diff",
            path_str(&fixture("lb-healthy")),
            path_str(root),
            "--deadline",
            &deadline,
        ],
        d,
        what,
    );
    unknown_within(
        &[
            "capture",
            "--root",
            path_str(root),
            "-o",
            path_str(out),
            "--deadline",
            &deadline,
        ],
        d,
        what,
    );
    shown
}

/// lb-healthy with enp65s0f0's PCIe width behind a FIFO nobody writes: a
/// read that never returns, as a file behind a stuck driver.
fn blocking_tree(dir: &Path) -> (PathBuf, &'static str) {
    let root = dir.join("hung");
    copy_tree(&fixture("lb-healthy"), &root);
    let rel = "sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0/current_link_width";
    fs::remove_file(root.join(rel)).unwrap();
    mkfifo(&root.join(rel));
    (root, rel)
}

#[test]
fn show_capture_and_diff_end_within_the_deadline_and_name_the_read_that_blocked() {
    let dir = tempdir();
    let (root, rel) = blocking_tree(dir.path());
    let d = Duration::from_secs(2);
    let named = format!("abandoned 1 read(s) that did not answer: {rel}");
    let out = dir.path().join("cap");
    let shown = show_diff_and_capture_within(&root, &out, d, &named);
    // What could be read is still shown.
    assert!(shown.stdout.contains("enp65s0f1"), "{}", shown.stdout);
    // The capture keeps the read that timed out as a timeout.
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains(&format!("\"{rel}\": \"ETIMEDOUT\"")),
        "{manifest}"
    );
    let again = run(&mut hostlint(&[
        "show",
        "links",
        "--root",
        path_str(&out),
        "--format",
        "json",
    ]));
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again.stdout.contains("\"unknown\": \"timeout\""),
        "{}",
        again.stdout
    );
}

/// A read the deadline abandoned is named once, by the reader that asked
/// for it: `links unknown: timeout (cmd/ip-link.json: no answer before the
/// deadline)`, not the path again from the guard that gave up on it.
#[test]
fn a_timeout_names_its_path_once() {
    let dir = tempdir();
    let root = dir.path().join("lb");
    copy_tree(&fixture("lb-healthy"), &root);
    let rel = "cmd/ip-link.json";
    fs::remove_file(root.join(rel)).unwrap();
    mkfifo(&root.join(rel));
    let policy = dir.path().join("pcie.yaml");
    fs::write(&policy, PCIE).unwrap();
    let once = format!("timeout ({rel}: no answer before the deadline)");
    let twice = format!("{rel}: {rel}");
    let d = Duration::from_secs(2);
    for args in [
        vec!["show", "--root", path_str(&root)],
        vec!["audit", "-p", path_str(&policy), "--root", path_str(&root)],
        vec![
            "capture",
            "--root",
            path_str(&root),
            "-o",
            path_str(&dir.path().join("cap")),
        ],
    ] {
        let args = [&args[..], &["--deadline", "2s"]].concat();
        let ran = unknown_within(&args, d, &once);
        assert!(
            !ran.stdout.contains(&twice) && !ran.stderr.contains(&twice),
            "hostlint {args:?} names {rel} twice:\nstdout:\n{}\nstderr:\n{}",
            ran.stdout,
            ran.stderr
        );
    }
}

#[test]
fn a_diff_cut_short_by_the_deadline_says_exit_3_in_its_report_too() {
    let dir = tempdir();
    let (root, rel) = blocking_tree(dir.path());
    let diff = |format: &str| {
        unknown_within(
            &[
                "diff",
                path_str(&fixture("lb-healthy")),
                path_str(&root),
                "--deadline",
                "2s",
                "--format",
                format,
            ],
            Duration::from_secs(2),
            rel,
        )
        .stdout
    };
    // The PCIe width unread on one side is a warning; the report said
    // WARNING (exit 1) while the process exited 3.
    let table = diff("table");
    assert!(
        table.contains("the deadline abandoned 1 read: UNKNOWN (exit 3)"),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&diff("json")).unwrap();
    assert_eq!(json["exit_code"], 3, "{json}");
    assert_eq!(json["verdict"], "UNKNOWN", "{json}");
    assert_eq!(json["abandoned"], serde_json::json!([rel]), "{json}");
}

#[test]
fn diff_probes_end_within_the_deadline_not_their_own_limits() {
    let dir = tempdir();
    let root = dir.path().join("hung");
    copy_tree(&fixture("san-healthy"), &root);
    let shared = root.join("srv/shared");
    let _ = fs::remove_dir_all(&shared);
    let _ = fs::remove_file(&shared);
    mkfifo(&shared);
    let policy = dir.path().join("probe.yaml");
    fs::write(
        &policy,
        "policy: probe\nchecks:\n  - id: shared-answers\n    mount:\n      path: /srv/shared\n      expect: { responsive: { within: 60s } }\n",
    )
    .unwrap();
    let ran = run(&mut hostlint(&[
        "diff",
        path_str(&fixture("san-healthy")),
        path_str(&root),
        "-p",
        path_str(&policy),
        "--deadline",
        "2s",
    ]));
    assert!(
        ran.took < Duration::from_secs(2) + MARGIN,
        "took {:?}",
        ran.took
    );
    assert!(
        ran.stdout.contains("/srv/shared"),
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
    // Let the abandoned probe's open go.
    let _ = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&shared);
}

use std::os::unix::fs::OpenOptionsExt;

#[test]
fn a_state_file_that_is_a_fifo_is_reported_and_rebuilt_not_waited_on() {
    let dir = tempdir();
    let policy = dir.path().join("pcie.yaml");
    fs::write(&policy, PCIE).unwrap();
    let state = dir.path().join("state.json");
    mkfifo(&state);
    let ran = run(&mut hostlint(&[
        "audit",
        "-p",
        path_str(&policy),
        "--root",
        path_str(&fixture("lb-healthy")),
        "--state",
        path_str(&state),
        "--deadline",
        "2s",
        "--format",
        "json",
    ]));
    assert!(
        ran.took < Duration::from_secs(2) + MARGIN,
        "took {:?}",
        ran.took
    );
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("a FIFO, not a regular file"),
        "{}",
        ran.stdout
    );
    // Rebuilt: a regular file now.
    assert!(fs::metadata(&state).unwrap().is_file());
}

// ------------------------------------------------------------ archives

/// Raw deflate with fixed Huffman codes, written bit by bit: enough to
/// make an archive that inflates to gigabytes from a few megabytes,
/// without spending the test's time compressing them.
struct Deflate {
    out: Vec<u8>,
    bits: u64,
    nbits: u32,
}

impl Deflate {
    fn new() -> Deflate {
        let mut d = Deflate {
            out: Vec::new(),
            bits: 0,
            nbits: 0,
        };
        d.put(0b011, 3); // the last block, fixed Huffman codes
        d
    }

    fn put(&mut self, value: u64, n: u32) {
        self.bits |= value << self.nbits;
        self.nbits += n;
        while self.nbits >= 8 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u64, n: u32) {
        let reversed = (0..n).fold(0, |acc, i| acc | (((code >> i) & 1) << (n - 1 - i)));
        self.put(reversed, n);
    }

    fn literal(&mut self, b: u8) {
        match b {
            0..=143 => self.code(0b0011_0000 + u64::from(b), 8),
            _ => self.code(0b1_1001_0000 + u64::from(b - 144), 9),
        }
    }

    /// `n` more bytes equal to the last one (after at least one literal).
    fn repeat_last(&mut self, mut n: u64) {
        while n >= 258 {
            self.code(0b1100_0101, 8); // length 258
            self.code(0, 5); // distance 1
            n -= 258;
        }
        for _ in 0..n {
            self.literal(0);
        }
    }

    fn gzip(mut self) -> Vec<u8> {
        self.code(0, 7); // end of block
        self.put(0, 7);
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        gz.extend_from_slice(&self.out);
        // No trailer: the reader is stopped long before the end.
        gz
    }
}

fn tar_header(name: &str, size: u64, kind: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    let size_field = format!("{size:011o}\0");
    h[124..136].copy_from_slice(size_field.as_bytes());
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// An archive of `members` files of `size` zero bytes each.
fn zeros_archive(members: usize, size: u64, long_name: Option<u64>) -> Vec<u8> {
    let mut d = Deflate::new();
    if let Some(len) = long_name {
        for b in tar_header("././@LongLink", len, b'L') {
            d.literal(b);
        }
        d.literal(b'a');
        d.repeat_last(len - 1);
    }
    for i in 0..members {
        for b in tar_header(&format!("cap/f{i}"), size, b'0') {
            d.literal(b);
        }
        d.repeat_last(size);
    }
    d.gzip()
}

#[test]
fn a_long_name_bomb_costs_a_megabyte_not_gigabytes() {
    let dir = tempdir();
    // One long name of 256 MiB of `a`: the tar reader would keep it whole.
    let bomb = dir.path().join("bomb.tar.gz");
    fs::write(&bomb, zeros_archive(1, 1, Some(256 << 20))).unwrap();
    let ran = unknown_within(
        &["show", "--root", path_str(&bomb), "--deadline", "20s"],
        Duration::from_secs(20),
        "long names or pax extensions of more than 1 MiB",
    );
    assert!(ran.stderr.contains(path_str(&bomb)), "{}", ran.stderr);
    assert!(
        ran.max_rss_kib < 64 * 1024,
        "peak RSS {} KiB",
        ran.max_rss_kib
    );
}

#[test]
fn an_archive_that_inflates_without_end_stops_at_the_deadline_and_leaves_nothing() {
    let dir = tempdir();
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    // Forty members of 60 MiB of zeros: 2.3 GiB from 16 MB.
    let bomb = dir.path().join("bomb.tar.gz");
    fs::write(&bomb, zeros_archive(40, 60 << 20, None)).unwrap();
    let ran = {
        let mut cmd = hostlint(&["show", "--root", path_str(&bomb), "--deadline", "1s"]);
        cmd.env("TMPDIR", &tmp);
        run(&mut cmd)
    };
    assert_eq!(ran.code, Some(3), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.took < Duration::from_secs(1) + MARGIN,
        "took {:?}",
        ran.took
    );
    // It stops at the deadline or at the 2 GiB a capture may unpack to,
    // whichever comes first, and removes what it wrote.
    assert!(
        ran.stderr.contains("no answer within the deadline (1s)")
            || ran.stderr.contains("more than 2 GiB unpacked"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains(path_str(&bomb)), "{}", ran.stderr);
    assert!(
        ran.max_rss_kib < 64 * 1024,
        "peak RSS {} KiB",
        ran.max_rss_kib
    );
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

// -------------------------------------------------------------- memory

#[test]
fn a_fixture_file_of_gigabytes_costs_its_cap_not_its_size() {
    let dir = tempdir();
    let root = dir.path().join("lb");
    copy_tree(&fixture("lb-healthy"), &root);
    // Sparse: 8 GiB of nothing that costs no disk.
    for rel in ["cmd/ip-link.json", "proc/sys/kernel/hostname"] {
        fs::File::create(root.join(rel))
            .unwrap()
            .set_len(8 << 30)
            .unwrap();
    }
    let ran = run(&mut hostlint(&[
        "show",
        "--root",
        path_str(&root),
        "--format",
        "json",
    ]));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stdout
            .contains("too large: more than the 64 MiB hostlint reads of one file"),
        "{}",
        ran.stdout
    );
    // One file's cap at a time, and a little more.
    assert!(
        ran.max_rss_kib < 100 * 1024,
        "peak RSS {} KiB",
        ran.max_rss_kib
    );
}

/// A file past its cap is named once, as the collector that read it names
/// it, not again with the fixture's directory in front.
#[test]
fn a_file_too_large_names_its_path_once() {
    let dir = tempdir();
    let root = dir.path().join("san");
    copy_tree(&fixture("san-healthy"), &root);
    fs::File::create(root.join("proc/mounts"))
        .unwrap()
        .set_len(8 << 30)
        .unwrap();
    let ran = run(&mut hostlint(&[
        "show",
        "storage",
        "--root",
        path_str(&root),
        "--format",
        "json",
    ]));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let doc = parse_json(&ran.stdout);
    assert_eq!(
        doc["storage"]["mounts"]["detail"],
        "proc/mounts: too large: more than the 64 MiB hostlint reads of one file",
        "{}",
        ran.stdout
    );
}

// ------------------------------------------------- a filesystem that hangs

/// A FUSE filesystem whose server never answers, mounted in a private
/// mount namespace of the one hostlint process that meets it: every
/// lookup under it blocks, as on a hard NFS mount whose server died, and
/// nothing else on the machine sees it. Each run gets a connection of its
/// own, which ends when the run's namespace goes and the test drops its
/// descriptor.
struct HungMount {
    point: PathBuf,
}

fn open_fuse() -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
}

impl HungMount {
    fn new(test: &str, dir: &Path) -> Option<HungMount> {
        if !crate::util::live_ready(test) {
            return None;
        }
        if let Err(e) = open_fuse() {
            if std::env::var_os("HOSTLINT_REQUIRE_LIVE").is_some_and(|v| v == "1") {
                panic!("{test}: required (HOSTLINT_REQUIRE_LIVE=1) but /dev/fuse: {e}");
            }
            crate::util::skipped(test, &format!("/dev/fuse: {e}"));
            return None;
        }
        let point = dir.join("hung");
        fs::create_dir(&point).unwrap();
        Some(HungMount { point })
    }

    /// `hostlint ARGS` in a mount namespace of its own with the mount,
    /// and the connection's server end, to keep until the run ends.
    fn hostlint(&self, args: &[&str]) -> (Command, fs::File) {
        use std::os::fd::AsRawFd;
        let fuse = open_fuse().expect("/dev/fuse");
        let mut cmd = hostlint(args);
        let point = std::ffi::CString::new(path_str(&self.point)).unwrap();
        let opts = std::ffi::CString::new(format!(
            "fd={},rootmode=40000,user_id=0,group_id=0",
            fuse.as_raw_fd()
        ))
        .unwrap();
        // SAFETY: between fork and exec only system calls on data made
        // before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if libc::unshare(libc::CLONE_NEWNS) != 0
                    || libc::mount(
                        std::ptr::null(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ) != 0
                    || libc::mount(
                        c"hostlint-hung".as_ptr(),
                        point.as_ptr(),
                        c"fuse".as_ptr(),
                        libc::MS_NOSUID | libc::MS_NODEV,
                        opts.as_ptr().cast(),
                    ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        (cmd, fuse)
    }

    fn at(&self, rel: &str) -> String {
        path_str(&self.point.join(rel)).to_owned()
    }
}

fn unknown_within_in(mount: &HungMount, args: &[&str], what: &str) -> Ran {
    let (mut cmd, server) = mount.hostlint(args);
    let ran = run(&mut cmd);
    drop(server);
    assert_eq!(
        ran.code,
        Some(3),
        "hostlint {args:?}:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    assert!(
        ran.took < Duration::from_secs(2) + MARGIN,
        "hostlint {args:?} took {:?}",
        ran.took
    );
    assert!(
        ran.stderr.contains(what) || ran.stdout.contains(what),
        "hostlint {args:?} does not name {what:?}:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    ran
}

#[test]
fn the_deadline_bounds_policies_includes_captures_and_state_on_a_filesystem_that_hangs() {
    let dir = tempdir();
    let Some(mount) = HungMount::new(
        "the_deadline_bounds_policies_includes_captures_and_state_on_a_filesystem_that_hangs",
        dir.path(),
    ) else {
        return;
    };
    let lb = path_str(&fixture("lb-healthy")).to_owned();
    let ok = dir.path().join("ok.yaml");
    fs::write(&ok, PCIE).unwrap();
    let top = dir.path().join("top.yaml");
    fs::write(&top, format!("{PCIE}include: {}\n", mount.at("inc.yaml"))).unwrap();
    let policy = mount.at("p.yaml");
    let d = "2s";
    unknown_within_in(
        &mount,
        &["policy", "check", &policy, "--deadline", d],
        &format!("{policy}: cannot read"),
    );
    unknown_within_in(
        &mount,
        &[
            "audit",
            "-p",
            path_str(&top),
            "--root",
            &lb,
            "--deadline",
            d,
        ],
        &format!("{}: cannot read", mount.at("inc.yaml")),
    );
    for capture in [mount.at("lb"), mount.at("lb.tar.gz")] {
        unknown_within_in(
            &mount,
            &["show", "--root", &capture, "--deadline", d],
            &format!("{capture}: no answer within the deadline (2s)"),
        );
        unknown_within_in(
            &mount,
            &["diff", &lb, &capture, "--deadline", d],
            &format!("{capture}: no answer within the deadline (2s)"),
        );
    }
    unknown_within_in(
        &mount,
        &[
            "audit",
            "-p",
            path_str(&ok),
            "--root",
            &lb,
            "--state",
            &mount.at("state.json"),
            "--deadline",
            d,
        ],
        &format!("cannot lock {}.lock", mount.at("state.json")),
    );
}
