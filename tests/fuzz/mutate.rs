//! Structure-aware mutation: JSON is edited as a tree of values, text as
//! lines and tokens, a tar archive as headers; bytes are flipped, cut and
//! spliced when nothing better applies. The values put in are the ones
//! parsers get wrong: empty, negative, past 32 and 64 bits, not numbers,
//! huge, nested, repeated thousands of times.

use serde_json::Value;

pub use crate::mutation::Rng;

/// What the harness draws beyond the shared generator's numbers: a seed
/// replays a run.
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// True once in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A count that is usually small and sometimes large: 1..=max, with
    /// each order of magnitude about as likely as the next.
    pub fn count(&mut self, max: usize) -> usize {
        let digits = (max as f64).log10().max(1.0);
        let e = (self.next() % 1000) as f64 / 1000.0 * digits;
        (10f64.powf(e) as usize).clamp(1, max)
    }
}

/// Tokens that parsers get wrong.
pub const TOKENS: &[&str] = &[
    "",
    "0",
    "-1",
    "-0",
    "1",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "0x",
    "0xffffffffffffffff",
    "0x10000000000000000",
    "0x7fffffff",
    "1e308",
    "1e999",
    "-1e999",
    "nan",
    "inf",
    "0.5",
    "1.",
    ".",
    "..",
    "/",
    "../../../..",
    "Unknown",
    "unknown",
    "none",
    "null",
    "up",
    "down",
    "UP",
    "LOWER_UP",
    "10000",
    "10000Mb/s",
    "Full",
    "yes",
    "no",
    "on",
    "off",
    "active",
    "failed",
    "eth0",
    "bond0",
    "mpatha",
    "md0",
    "sda",
    "8:0",
    "253:0",
    ":",
    "::",
    "::/0",
    "0.0.0.0/0",
    "0.0.0.0/33",
    "fe80::1%eth0",
    "10.0.0.1/",
    "00:00:00:00:00:00",
    "ff:ff:ff:ff:ff:ff:ff",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "\\",
    "%s%n",
    "\t",
    "\u{0}",
    "\u{fffd}",
    "é",
    "💥",
    "\u{202e}",
];

/// YAML-specific scalars and structures for policy text.
pub const YAML_TOKENS: &[&str] = &[
    "~",
    "null",
    "yes",
    "True",
    "0x10",
    "0o17",
    "1e3",
    ".inf",
    "-.nan",
    "!!str 5",
    "!!binary aGk=",
    "!!map {}",
    "&a x",
    "*a",
    "*nowhere",
    "[]",
    "{}",
    "[[[[[[[[[[]]]]]]]]]]",
    "{a: {b: {c: {d: {}}}}}",
    "\"\\u0000\"",
    "'",
    "|",
    ">-",
    "? x",
    "- x",
    "10G",
    "2.5G",
    "100M",
    "1T",
    "-5G",
    "2s",
    "0s",
    "1ms",
    "99999999999s",
    "\"*\"",
    "\"[\"",
    "\"eth[\"",
    "{regex: \"(\"}",
    "{regex: \"(a+)+$\"}",
    "{in: []}",
    "{min: 10, max: 1}",
    "{max_increase: -1}",
    "at_max",
    "at_supported_max",
    "all",
    "critical",
    "warning",
    "0.0.0.0/0",
    "\"::/0\"",
    "300.1.1.1",
];

pub fn interesting_token(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => "9".repeat(rng.count(5000)),
        1 => "x".repeat(rng.count(100_000)),
        2 => {
            let n = rng.count(64);
            (0..n)
                .map(|_| (rng.next() as u8 % 95 + 32) as char)
                .collect()
        }
        _ => (*rng.pick(TOKENS)).to_owned(),
    }
}

/// Mutates `data` a few times, the way its format suggests.
pub fn mutate(rng: &mut Rng, data: &[u8], yaml: bool) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(3) {
        out = match rng.below(10) {
            0..=3 if looks_like_json(&out) => {
                json(rng, &out).unwrap_or_else(|| text(rng, &out, yaml))
            }
            0..=6 => text(rng, &out, yaml),
            _ => bytes(rng, &out),
        };
    }
    out
}

fn looks_like_json(data: &[u8]) -> bool {
    matches!(
        data.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'[') | Some(b'{')
    )
}

// ------------------------------------------------------------------ JSON

fn json(rng: &mut Rng, data: &[u8]) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(data).ok()?;
    let count = nodes(&doc);
    let target = rng.below(count);
    let mut seen = 0;
    let donor = random_node(rng, &doc).cloned();
    edit_nth(&mut doc, target, &mut seen, rng, donor.as_ref());
    let mut out = if rng.one_in(2) {
        serde_json::to_vec_pretty(&doc).ok()?
    } else {
        serde_json::to_vec(&doc).ok()?
    };
    out.push(b'\n');
    Some(out)
}

fn nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(nodes).sum(),
        Value::Object(m) => m.values().map(nodes).sum(),
        _ => 0,
    }
}

fn random_node<'a>(rng: &mut Rng, v: &'a Value) -> Option<&'a Value> {
    let n = rng.below(nodes(v));
    nth(v, n, &mut 0)
}

fn nth<'a>(v: &'a Value, n: usize, seen: &mut usize) -> Option<&'a Value> {
    if *seen == n {
        return Some(v);
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter().find_map(|x| nth(x, n, seen)),
        Value::Object(m) => m.values().find_map(|x| nth(x, n, seen)),
        _ => None,
    }
}

fn interesting_value(rng: &mut Rng, donor: Option<&Value>) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => serde_json::json!(-1),
        3 => serde_json::json!(0),
        4 => serde_json::json!(u64::MAX),
        5 => serde_json::json!(i64::MIN),
        6 => serde_json::json!(4_294_967_296u64),
        7 => serde_json::json!(1e308),
        8 => serde_json::json!(0.5),
        9 => Value::Array(Vec::new()),
        10 => Value::Object(Default::default()),
        11 => donor.cloned().unwrap_or(Value::Null),
        _ => Value::String(interesting_token(rng)),
    }
}

fn edit_nth(
    v: &mut Value,
    n: usize,
    seen: &mut usize,
    rng: &mut Rng,
    donor: Option<&Value>,
) -> bool {
    if *seen == n {
        edit(v, rng, donor);
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| edit_nth(x, n, seen, rng, donor)),
        Value::Object(m) => m.values_mut().any(|x| edit_nth(x, n, seen, rng, donor)),
        _ => false,
    }
}

fn edit(v: &mut Value, rng: &mut Rng, donor: Option<&Value>) {
    match v {
        Value::Array(a) if !a.is_empty() && rng.one_in(2) => match rng.below(4) {
            // Repeat an element: lists a thousand times longer than real.
            0 => {
                let i = rng.below(a.len());
                let copies = rng.count(20_000);
                let x = a[i].clone();
                a.splice(i..i, std::iter::repeat_n(x, copies));
            }
            1 => {
                a.remove(rng.below(a.len()));
            }
            2 => {
                let (i, j) = (rng.below(a.len()), rng.below(a.len()));
                a.swap(i, j);
            }
            _ => a.push(interesting_value(rng, donor)),
        },
        Value::Object(m) if !m.is_empty() && rng.one_in(2) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(4) {
                0 => {
                    m.remove(&key);
                }
                1 => {
                    if let Some(x) = m.remove(&key) {
                        let other = rng.pick(&keys).clone();
                        m.insert(format!("{other}{}", rng.pick(&["", "_", "x"])), x);
                    }
                }
                2 => {
                    let x = interesting_value(rng, donor);
                    m.insert(interesting_token(rng), x);
                }
                _ => {
                    if let Some(x) = m.get_mut(&key) {
                        *x = interesting_value(rng, donor);
                    }
                }
            }
        }
        _ => {
            *v = match rng.below(5) {
                0 => {
                    // Nest: deep enough to find recursion without a bound.
                    let mut x = v.take();
                    for _ in 0..rng.count(200) {
                        x = Value::Array(vec![x]);
                    }
                    x
                }
                _ => interesting_value(rng, donor),
            };
        }
    }
}

// ------------------------------------------------------------------ text

fn text(rng: &mut Rng, data: &[u8], yaml: bool) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    let i = rng.below(lines.len());
    match rng.below(9) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let copies = rng.count(20_000);
            let line = lines[i].clone();
            lines.splice(i..i, std::iter::repeat_n(line, copies));
        }
        2 => {
            let j = rng.below(lines.len());
            lines.swap(i, j);
        }
        3 => {
            let cut = rng.below(lines[i].len() + 1);
            lines[i].truncate(cut);
        }
        4 => {
            // Indentation is structure in YAML and in /proc/net/bonding.
            let pad = if rng.one_in(2) { b' ' } else { b'\t' };
            let n = rng.below(9);
            lines[i].splice(0..0, std::iter::repeat_n(pad, n));
        }
        _ => {
            let token = if yaml && rng.one_in(2) {
                (*rng.pick(YAML_TOKENS)).to_owned()
            } else {
                interesting_token(rng)
            };
            replace_token(rng, &mut lines[i], token.as_bytes());
        }
    }
    lines.join(&b'\n')
}

/// Replaces one whitespace- or punctuation-delimited token of `line`, or
/// inserts `with` when the line has none.
fn replace_token(rng: &mut Rng, line: &mut Vec<u8>, with: &[u8]) {
    let is_sep = |b: u8| b.is_ascii_whitespace() || b":=,[]{}\"'()".contains(&b);
    let mut spans = Vec::new();
    let mut start = None;
    for (i, b) in line.iter().enumerate() {
        match (start, is_sep(*b)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, line.len()));
    }
    if spans.is_empty() || rng.one_in(6) {
        let at = rng.below(line.len() + 1);
        line.splice(at..at, with.iter().copied());
    } else {
        let (s, e) = *rng.pick(&spans);
        line.splice(s..e, with.iter().copied());
    }
}

// ------------------------------------------------------------------ bytes

pub fn bytes(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let how = rng.below(4);
    crate::mutation::mutate_bytes(rng, data, how)
}

// ------------------------------------------------------------------ tar

const BLOCK: usize = 512;

fn header_checksum(h: &[u8]) -> u32 {
    h.iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum()
}

fn set_checksum(h: &mut [u8]) {
    let sum = header_checksum(h);
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
}

fn is_header(h: &[u8]) -> bool {
    let stored = std::str::from_utf8(&h[148..156])
        .ok()
        .and_then(|t| u32::from_str_radix(t.trim_matches(|c: char| c == '\0' || c == ' '), 8).ok());
    h.iter().any(|b| *b != 0) && stored == Some(header_checksum(h))
}

fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    let text = &text.as_bytes()[text.len().saturating_sub(width)..];
    field[..text.len()].copy_from_slice(text);
    field[width] = 0;
}

/// A header block of an extension entry (`L` long name, `x` pax) that
/// claims `size` bytes of data, followed by `data`.
fn extension(kind: u8, size: u64, data: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; BLOCK];
    h[..13].copy_from_slice(b"././@LongLink");
    octal(&mut h[100..108], 0o644);
    octal(&mut h[124..136], size);
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar ");
    h[263..265].copy_from_slice(b" \0");
    set_checksum(&mut h);
    let mut out = h;
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

/// Mutates an uncompressed tar: a header's fields (size, type, name, link
/// target), an extension entry put in, blocks cut or repeated.
pub fn tar(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut m = data.to_vec();
    let headers: Vec<usize> = (0..m.len() / BLOCK)
        .map(|i| i * BLOCK)
        .filter(|at| is_header(&m[*at..*at + BLOCK]))
        .collect();
    if headers.is_empty() || rng.one_in(8) {
        return bytes(rng, &m);
    }
    let at = *rng.pick(&headers);
    match rng.below(7) {
        0 => {
            let size = *rng.pick(&[
                0u64,
                1,
                511,
                513,
                1 << 20,
                64 << 20,
                (64 << 20) + 1,
                1 << 33,
            ]);
            octal(&mut m[at + 124..at + 136], size);
        }
        1 => m[at + 156] = *rng.pick(b"0123456LKxgSDMV\0z"),
        2 => {
            let names: [&[u8]; 6] = [
                b"../escape",
                b"/etc/escape",
                b"cap/sys/../../x",
                b"",
                b".",
                b"cap/proc/mounts",
            ];
            let name = *rng.pick(&names);
            m[at..at + 100].fill(0);
            m[at..at + name.len()].copy_from_slice(name);
        }
        3 => {
            let links: [&[u8]; 5] = [b"/", b"..", b"../../../../etc", b"self", b""];
            let link = *rng.pick(&links);
            m[at + 157..at + 257].fill(0);
            m[at + 157..at + 157 + link.len()].copy_from_slice(link);
        }
        4 => {
            // Extension entries the tar reader keeps in memory whole.
            let ext = match rng.below(3) {
                0 => extension(b'L', 1 << 30, &vec![b'a'; rng.count(4 * BLOCK)]),
                1 => extension(b'x', 1 << 30, b"30 path=aaaaaaaaaaaaaaaaaaaaa\n"),
                _ => extension(b'x', 40, b"40 size=99999999999999999999999999999\n"),
            };
            m.splice(at..at, ext);
            return m;
        }
        5 => {
            let n = rng.count(64) * BLOCK;
            let from = rng.below(m.len() / BLOCK) * BLOCK;
            let slice = m[from..(from + n).min(m.len())].to_vec();
            m.splice(at..at, slice);
            return m;
        }
        _ => {
            m.truncate(at + rng.below(3 * BLOCK));
            return m;
        }
    }
    if !rng.one_in(5) {
        set_checksum(&mut m[at..at + BLOCK]);
    }
    m
}
