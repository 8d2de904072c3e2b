//! The matchers every check kind shares: equality, `min`/`max`,
//! `in`/`not_in`, globs and regular expressions.
//!
//! ```yaml
//! name: "enp*"                       # a glob (a plain string matches itself)
//! driver: { in: [ixgbe, i40e] }
//! driver: { not_in: [e1000e] }
//! name: { regex: "^enp[0-9]+s0f[01]$" }
//! mtu: 9000
//! mtu: { min: 1500, max: 9000 }
//! ```

use std::fmt;

use regex::Regex;

use super::fields::{Ctx, Fields, nearest, suggestion};
use super::yaml::{Node, Pos, Value};
use crate::snapshot::values::Words;

/// A shell-style pattern: `*`, `?` and `[...]` classes (`[!...]` negates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(pub String);

impl Glob {
    pub fn matches(&self, text: &str) -> bool {
        glob_match(self.0.as_bytes(), text.as_bytes())
    }

    pub fn is_literal(&self) -> bool {
        !self.0.contains(['*', '?', '['])
    }
}

fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the pattern after it, and the
    // text position it has swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(b'[') => {
                if let Some((matched, next)) = class_match(pat, p, text[t]) {
                    if matched {
                        p = next;
                        t += 1;
                        continue;
                    }
                } else if text[t] == b'[' {
                    // An unclosed bracket is a literal.
                    p += 1;
                    t += 1;
                    continue;
                }
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|c| *c == b'*')
}

/// Matches `c` against the class starting at `pat[start] == b'['`; returns
/// whether it matched and where the pattern continues, or `None` for an
/// unclosed class.
fn class_match(pat: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(pat.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        if pat[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            if pat[i] <= c && c <= pat[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if pat[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// A matcher for text facts (names, drivers, states).
#[derive(Debug, Clone)]
pub struct Text {
    any_of: Vec<Glob>,
    none_of: Vec<Glob>,
    regex: Option<Regex>,
}

impl Text {
    pub fn literal(s: &str) -> Text {
        Text {
            any_of: vec![Glob(s.to_owned())],
            none_of: Vec::new(),
            regex: None,
        }
    }

    /// The one text this matcher matches, when it is a plain name rather
    /// than a pattern.
    pub fn literal_value(&self) -> Option<&str> {
        match self.any_of.as_slice() {
            [one] if one.is_literal() && self.none_of.is_empty() && self.regex.is_none() => {
                Some(&one.0)
            }
            _ => None,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        (self.any_of.is_empty() || self.any_of.iter().any(|g| g.matches(text)))
            && !self.none_of.iter().any(|g| g.matches(text))
            && self.regex.as_ref().is_none_or(|r| r.is_match(text))
    }

    /// Accepts a string, or `{in: [...]}`, `{not_in: [...]}`, `{regex: ...}`
    /// (together they must all hold). Numbers are taken as their text, so
    /// `table: 100` works.
    pub fn parse(ctx: &mut Ctx, node: &Node, what: &str) -> Option<Text> {
        match &node.value {
            Value::Str(s) => Some(Text::literal(s)),
            Value::Int(i) => Some(Text::literal(&i.to_string())),
            Value::Map(_) => {
                let f = Fields::new(ctx, node, what, &["in", "not_in", "regex"])?;
                let mut t = Text {
                    any_of: Vec::new(),
                    none_of: Vec::new(),
                    regex: None,
                };
                if let Some(n) = f.get("in") {
                    t.any_of = globs(ctx, n, what)?;
                    if t.any_of.is_empty() {
                        ctx.error(
                            n.pos,
                            format!("`in` of {what} is empty: nothing could match"),
                        );
                    }
                }
                if let Some(n) = f.get("not_in") {
                    t.none_of = globs(ctx, n, what)?;
                }
                if let Some(n) = f.get("regex") {
                    let Value::Str(r) = &n.value else {
                        ctx.error(
                            n.pos,
                            format!("expected a regular expression, found {}", n.value.kind()),
                        );
                        return None;
                    };
                    match Regex::new(r) {
                        Ok(re) => t.regex = Some(re),
                        Err(e) => {
                            ctx.error(n.pos, format!("invalid regular expression: {e}"));
                            return None;
                        }
                    }
                }
                if f.get("in").is_none() && f.get("not_in").is_none() && f.get("regex").is_none() {
                    ctx.error(node.pos, format!("{what} needs `in`, `not_in` or `regex`"));
                    return None;
                }
                Some(t)
            }
            other => {
                ctx.error(
                    node.pos,
                    format!(
                        "expected {what} (a name, a glob, or in/not_in/regex), found {}",
                        other.kind()
                    ),
                );
                None
            }
        }
    }
}

/// A text matcher on names that no device tells apart by case (a
/// switch's, which is a DNS name, and its ports'): it matches without
/// regard to ASCII case, and shows as written.
#[derive(Debug, Clone)]
pub struct CaselessText {
    written: Text,
    /// The same, its globs in lower case and its regular expression
    /// ignoring case, matched against the text in lower case.
    folded: Text,
}

impl CaselessText {
    pub fn parse(ctx: &mut Ctx, node: &Node, what: &str) -> Option<CaselessText> {
        let written = Text::parse(ctx, node, what)?;
        let fold = |globs: &[Glob]| -> Vec<Glob> {
            globs
                .iter()
                .map(|g| Glob(g.0.to_ascii_lowercase()))
                .collect()
        };
        let regex = match &written.regex {
            None => None,
            Some(r) => match regex::RegexBuilder::new(r.as_str())
                .case_insensitive(true)
                .build()
            {
                Ok(r) => Some(r),
                Err(e) => {
                    ctx.error(node.pos, format!("invalid regular expression: {e}"));
                    return None;
                }
            },
        };
        let folded = Text {
            any_of: fold(&written.any_of),
            none_of: fold(&written.none_of),
            regex,
        };
        Some(CaselessText { written, folded })
    }

    pub fn matches(&self, text: &str) -> bool {
        self.folded.matches(&text.to_ascii_lowercase())
    }

    /// The one name this matcher matches, as written, when it is a plain
    /// name rather than a pattern.
    pub fn literal_value(&self) -> Option<&str> {
        self.written.literal_value()
    }
}

impl fmt::Display for CaselessText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.written.fmt(f)
    }
}

impl Text {
    /// A text matcher on a fact whose values are `words`: a name outside
    /// them, or a glob that matches none of them, is an error with the
    /// nearest word suggested. A regular expression is taken as written:
    /// it is the way to match a value hostlint does not know.
    pub fn parse_words(ctx: &mut Ctx, node: &Node, words: &Words) -> Option<Text> {
        let before = ctx.errors.len();
        let text = Text::parse(ctx, node, words.what)?;
        check_words(ctx, node, words.what, words.words);
        (ctx.errors.len() == before).then_some(text)
    }
}

/// Checks the names and globs of a text matcher's `node` against the
/// words its fact takes (`what` one of them, for messages).
pub fn check_words(ctx: &mut Ctx, node: &Node, what: &str, words: &[&str]) {
    let check = |ctx: &mut Ctx, item: &Node| match &item.value {
        Value::Str(s) => check_word(ctx, item.pos, s, what, words),
        Value::Int(i) => check_word(ctx, item.pos, &i.to_string(), what, words),
        _ => {}
    };
    match &node.value {
        Value::Map(entries) => {
            for (key, list) in entries {
                if let ("in" | "not_in", Value::Seq(items)) = (key.name.as_str(), &list.value) {
                    for item in items {
                        check(ctx, item);
                    }
                }
            }
        }
        _ => check(ctx, node),
    }
}

fn check_word(ctx: &mut Ctx, pos: Pos, text: &str, what: &str, words: &[&str]) {
    let glob = Glob(text.to_owned());
    if glob.is_literal() {
        if !words.contains(&text) {
            ctx.error(
                pos,
                format!("unknown {what} `{text}`: {}", suggestion(text, words)),
            );
        }
    } else if !words.iter().any(|w| glob.matches(w)) {
        ctx.error(
            pos,
            format!("`{text}` matches no {what}: {}", suggestion(text, words)),
        );
    }
}

/// A word of a set that is not closed (mount options: each file system
/// has options of its own): a word outside it is taken, unless it is a
/// near miss of one in it (`noatme`). Words of three letters or fewer are
/// too close to each other to tell a typo.
pub fn open_word(ctx: &mut Ctx, node: &Node, text: &str, words: &Words) -> bool {
    if words.contains(text) || text.chars().count() < 4 {
        return true;
    }
    match nearest(text, words.words) {
        Some(near) => {
            ctx.error(
                node.pos,
                format!("unknown {} `{text}`: did you mean `{near}`?", words.what),
            );
            false
        }
        None => true,
    }
}

/// One word of `words`, where a value may be nothing else (`pcie:
/// at_max`); a near miss gets the word suggested.
pub fn word(ctx: &mut Ctx, node: &Node, what: &str, words: &Words) -> Option<&'static str> {
    let found = match &node.value {
        Value::Str(s) => words.words.iter().find(|w| **w == s.as_str()).copied(),
        _ => None,
    };
    if found.is_none() {
        let seen = match &node.value {
            Value::Str(s) => format!("the string {s:?}: {}", suggestion(s, words.words)),
            other => other.kind().to_owned(),
        };
        ctx.error(node.pos, format!("expected {what}, found {seen}"));
    }
    found
}

/// A number matcher, or a keyword that stands in for one.
#[derive(Debug, Clone)]
pub enum NumOr {
    Word(&'static str),
    Num(Num),
}

impl Num {
    /// A number matcher (`unit` as for [`Num::parse`]) or one of `words`
    /// (`at_max`); a string that is neither gets the nearest word
    /// suggested when it is close to one.
    pub fn parse_or_word(
        ctx: &mut Ctx,
        node: &Node,
        what: &str,
        unit: Option<fn(&str) -> Option<f64>>,
        words: &Words,
    ) -> Option<NumOr> {
        if let Value::Str(s) = &node.value {
            if let Some(w) = words.words.iter().find(|w| **w == s.as_str()) {
                return Some(NumOr::Word(w));
            }
            if unit.and_then(|u| u(s)).is_none() {
                let keywords = words
                    .words
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                let hint = match suggestion(s, words.words) {
                    d if d.starts_with("did you mean") => format!(": {d}"),
                    _ => String::new(),
                };
                ctx.error(
                    node.pos,
                    format!(
                        "expected a number for {what}{} or {keywords}, found the string {s:?}{hint}",
                        if unit.is_some() { " (with its unit)" } else { "" }
                    ),
                );
                return None;
            }
        }
        Num::parse(ctx, node, what, unit).map(NumOr::Num)
    }
}

fn globs(ctx: &mut Ctx, node: &Node, what: &str) -> Option<Vec<Glob>> {
    let Value::Seq(items) = &node.value else {
        ctx.error(
            node.pos,
            format!("expected a list for {what}, found {}", node.value.kind()),
        );
        return None;
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => out.push(Glob(s.clone())),
            Value::Int(i) => out.push(Glob(i.to_string())),
            other => {
                ctx.error(
                    item.pos,
                    format!(
                        "expected a name in the list for {what}, found {}",
                        other.kind()
                    ),
                );
                return None;
            }
        }
    }
    Some(out)
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match self.any_of.as_slice() {
            [] => {}
            [one] => parts.push(one.0.clone()),
            many => parts.push(format!(
                "one of {}",
                many.iter()
                    .map(|g| g.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        if !self.none_of.is_empty() {
            parts.push(format!(
                "not {}",
                self.none_of
                    .iter()
                    .map(|g| g.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(r) = &self.regex {
            parts.push(format!("matching /{}/", r.as_str()));
        }
        f.write_str(&parts.join(" and "))
    }
}

/// A matcher for numbers (speeds, MTUs, counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub any_of: Vec<f64>,
    pub none_of: Vec<f64>,
}

impl Num {
    pub fn exactly(v: f64) -> Num {
        Num {
            min: None,
            max: None,
            any_of: vec![v],
            none_of: Vec::new(),
        }
    }

    pub fn at_most(v: f64) -> Num {
        Num {
            min: None,
            max: Some(v),
            any_of: Vec::new(),
            none_of: Vec::new(),
        }
    }

    pub fn matches(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m)
            && self.max.is_none_or(|m| v <= m)
            && (self.any_of.is_empty() || self.any_of.contains(&v))
            && !self.none_of.contains(&v)
    }

    /// Accepts a number, or `{min, max, in, not_in}`. `unit` turns a
    /// string such as `10G` into a number (speeds); without it a string is
    /// an error.
    pub fn parse(
        ctx: &mut Ctx,
        node: &Node,
        what: &str,
        unit: Option<fn(&str) -> Option<f64>>,
    ) -> Option<Num> {
        let number = |ctx: &mut Ctx, n: &Node| -> Option<f64> {
            match &n.value {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                Value::Str(s) => match unit.and_then(|u| u(s)) {
                    Some(v) => Some(v),
                    None => {
                        ctx.error(
                            n.pos,
                            format!("expected a number for {what}, found the string {s:?}"),
                        );
                        None
                    }
                },
                other => {
                    ctx.error(
                        n.pos,
                        format!("expected a number for {what}, found {}", other.kind()),
                    );
                    None
                }
            }
        };
        match &node.value {
            Value::Map(_) => {
                let f = Fields::new(ctx, node, what, &["min", "max", "in", "not_in"])?;
                let mut m = Num {
                    min: None,
                    max: None,
                    any_of: Vec::new(),
                    none_of: Vec::new(),
                };
                if let Some(n) = f.get("min") {
                    m.min = Some(number(ctx, n)?);
                }
                if let Some(n) = f.get("max") {
                    m.max = Some(number(ctx, n)?);
                }
                for (key, list) in [("in", &mut m.any_of), ("not_in", &mut m.none_of)] {
                    if let Some(n) = f.get(key) {
                        let Value::Seq(items) = &n.value else {
                            ctx.error(
                                n.pos,
                                format!("expected a list for `{key}`, found {}", n.value.kind()),
                            );
                            return None;
                        };
                        for item in items {
                            list.push(number(ctx, item)?);
                        }
                    }
                }
                if let (Some(lo), Some(hi)) = (m.min, m.max)
                    && lo > hi
                {
                    ctx.error(
                        node.pos,
                        format!("{what}: min {lo} is above max {hi}: nothing could match"),
                    );
                }
                if m.min.is_none() && m.max.is_none() && m.any_of.is_empty() && m.none_of.is_empty()
                {
                    ctx.error(
                        node.pos,
                        format!("{what} needs `min`, `max`, `in` or `not_in`"),
                    );
                    return None;
                }
                Some(m)
            }
            _ => number(ctx, node).map(Num::exactly),
        }
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Num {
    /// The matcher as text, each number shown by `show` (a size in binary
    /// units, a duration).
    pub fn display_with(&self, show: impl Fn(f64) -> String) -> String {
        let mut parts = Vec::new();
        match self.any_of.as_slice() {
            [] => {}
            [one] => parts.push(show(*one)),
            many => parts.push(format!(
                "one of {}",
                many.iter().map(|v| show(*v)).collect::<Vec<_>>().join(", ")
            )),
        }
        if let Some(m) = self.min {
            parts.push(format!(">= {}", show(m)));
        }
        if let Some(m) = self.max {
            parts.push(format!("<= {}", show(m)));
        }
        if !self.none_of.is_empty() {
            parts.push(format!(
                "not {}",
                self.none_of
                    .iter()
                    .map(|v| show(*v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        parts.join(" and ")
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_with(fmt_num))
    }
}

/// A matcher for a counter: its value now, and with `--state`, how much it
/// may grow between two runs (`max_increase`) and how fast, per second
/// (`max_rate`).
///
/// ```yaml
/// carrier_changes: { max_increase: 0 }        # no flap since the last run
/// rx_crc_errors: { max: 100, max_rate: 1 }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub value: Option<Num>,
    pub max_increase: Option<f64>,
    pub max_rate: Option<f64>,
}

impl Counter {
    pub fn parse(ctx: &mut Ctx, node: &Node, what: &str) -> Option<Counter> {
        let Value::Map(entries) = &node.value else {
            return Num::parse(ctx, node, what, None).map(|n| Counter {
                value: Some(n),
                max_increase: None,
                max_rate: None,
            });
        };
        let f = Fields::new(
            ctx,
            node,
            what,
            &["min", "max", "in", "not_in", "max_increase", "max_rate"],
        )?;
        let bound = |ctx: &mut Ctx, key: &str| -> Option<Option<f64>> {
            match f.get(key) {
                None => Some(None),
                Some(n) => match &n.value {
                    Value::Int(i) if *i >= 0 => Some(Some(*i as f64)),
                    Value::Float(x) if *x >= 0.0 => Some(Some(*x)),
                    other => {
                        ctx.error(
                            n.pos,
                            format!(
                                "expected a number of at least 0 for `{key}`, found {}",
                                other.kind()
                            ),
                        );
                        None
                    }
                },
            }
        };
        let max_increase = bound(ctx, "max_increase")?;
        let max_rate = bound(ctx, "max_rate")?;
        let plain: Vec<_> = entries
            .iter()
            .filter(|(k, _)| matches!(k.name.as_str(), "min" | "max" | "in" | "not_in"))
            .cloned()
            .collect();
        let value = if plain.is_empty() {
            None
        } else {
            let sub = Node {
                value: Value::Map(plain),
                pos: node.pos,
            };
            Some(Num::parse(ctx, &sub, what, None)?)
        };
        if value.is_none() && max_increase.is_none() && max_rate.is_none() {
            ctx.error(
                node.pos,
                format!("{what} needs a value bound, `max_increase` or `max_rate`"),
            );
            return None;
        }
        Some(Counter {
            value,
            max_increase,
            max_rate,
        })
    }
}

/// `10000`, `10G`, `25G`, `100M`, `2.5G`: a link speed in Mb/s.
pub fn speed_unit(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix('G') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('M') {
        (n, 1.0)
    } else {
        return None;
    };
    num.parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0)
        .map(|v| v * mult)
}

/// `16G`, `1.5G`, `12`: a storage link rate in Gbit/s (FC, SAS, SATA).
pub fn gbit_unit(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, div) = if let Some(n) = t.strip_suffix('G') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('M') {
        (n, 1000.0)
    } else {
        return None;
    };
    num.parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && v.is_finite())
        .map(|v| v / div)
}

/// `10M`, `512K`, `2G`, `1T`: a size in bytes, binary units (`10M` is
/// 10 MiB).
pub fn size_unit(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last()? {
        (i, 'K') => (&t[..i], 1024.0),
        (i, 'M') => (&t[..i], 1024.0 * 1024.0),
        (i, 'G') => (&t[..i], 1024.0 * 1024.0 * 1024.0),
        (i, 'T') => (&t[..i], 1024.0 * 1024.0 * 1024.0 * 1024.0),
        (i, 'B') => (&t[..i], 1.0),
        _ => return None,
    };
    num.parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0 && v.is_finite())
        .map(|v| (v * mult).round())
}

/// `500ms`, `2s`, `1.5s`, `10m`, `2h`, `1d`: a duration in seconds.
pub fn duration_unit(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = t.strip_suffix('d') {
        (n, 86_400.0)
    } else {
        return None;
    };
    num.parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0 && v.is_finite())
        .map(|v| v * mult)
}

/// A time limit: a duration with its unit (`2s`, `500ms`), above zero and
/// at most an hour.
pub fn time_limit(ctx: &mut Ctx, node: &Node, what: &str) -> Option<std::time::Duration> {
    let secs = match &node.value {
        Value::Str(s) => duration_unit(s),
        _ => None,
    };
    match secs {
        Some(s) if s > 0.0 && s <= 3600.0 => Some(std::time::Duration::from_secs_f64(s)),
        _ => {
            ctx.error(
                node.pos,
                format!("expected {what}: a duration with its unit, such as 2s or 500ms, above 0 and at most 1h"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::yaml::parse;

    #[test]
    fn globs() {
        let g = |p: &str, t: &str| Glob(p.into()).matches(t);
        assert!(g("enp*", "enp65s0f0"));
        assert!(g("eno?", "eno1"));
        assert!(!g("eno?", "eno12"));
        assert!(g("*s0f[01]", "enp65s0f1"));
        assert!(!g("*s0f[01]", "enp65s0f2"));
        assert!(g("eth[!0]", "eth1"));
        assert!(!g("eth[!0]", "eth0"));
        assert!(g("*", ""));
        assert!(g("bond0", "bond0"));
        assert!(!g("bond0", "bond01"));
        assert!(g("a*b*c", "axxbyyc"));
        assert!(!g("a*b*c", "axxbyy"));
        assert!(g("x[", "x["));
        assert!(g("lb-*", "lb-01"));
    }

    fn text(yaml: &str) -> Text {
        let node = parse(yaml).unwrap();
        let mut ctx = Ctx::new("t");
        let t = Text::parse(&mut ctx, &node, "driver").unwrap();
        assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
        t
    }

    #[test]
    fn caseless_text_matches_names_in_any_case_and_shows_as_written() {
        let t = |yaml: &str| {
            let mut ctx = Ctx::new("t");
            let t = CaselessText::parse(&mut ctx, &parse(yaml).unwrap(), "a switch name");
            assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
            t.unwrap()
        };
        let glob = t("SW-[A-B]*");
        assert!(glob.matches("sw-a.dc1.example.net") && glob.matches("SW-B"));
        assert!(!glob.matches("sw-c"));
        assert_eq!(glob.to_string(), "SW-[A-B]*");
        let set = t("{ in: [Ethernet17], not_in: [ETH*18] }");
        assert!(set.matches("ETHERNET17") && !set.matches("ethernet18"));
        let re = t("{ regex: \"^Gi1/0/[0-9]+$\" }");
        assert!(re.matches("gi1/0/12") && !re.matches("Te1/0/12"));
        assert_eq!(t("Sw-A").literal_value(), Some("Sw-A"));
        assert_eq!(glob.literal_value(), None);
    }

    #[test]
    fn text_matchers() {
        assert!(text("ixgbe").matches("ixgbe"));
        assert!(!text("ixgbe").matches("igb"));
        let t = text("{in: [ixgbe, i40e, 'mlx5*']}");
        assert!(t.matches("i40e") && t.matches("mlx5_core") && !t.matches("igb"));
        assert_eq!(t.to_string(), "one of ixgbe, i40e, mlx5*");
        let t = text("{not_in: [e1000e]}");
        assert!(t.matches("igb") && !t.matches("e1000e"));
        let t = text("{regex: '^enp[0-9]+s0f[01]$'}");
        assert!(t.matches("enp65s0f1") && !t.matches("enp65s0f2"));
    }

    #[test]
    fn bad_text_matchers_are_errors() {
        let node = parse("{regex: '(['}").unwrap();
        let mut ctx = Ctx::new("t");
        assert!(Text::parse(&mut ctx, &node, "name").is_none());
        assert!(
            ctx.errors[0]
                .message
                .starts_with("invalid regular expression")
        );
        let node = parse("{inn: [a]}").unwrap();
        let mut ctx = Ctx::new("t");
        let _ = Text::parse(&mut ctx, &node, "name");
        assert!(
            ctx.errors[0].message.contains("did you mean `in`?"),
            "{:?}",
            ctx.errors
        );
    }

    fn num(yaml: &str) -> Num {
        let node = parse(yaml).unwrap();
        let mut ctx = Ctx::new("t");
        let n = Num::parse(&mut ctx, &node, "speed", Some(speed_unit)).unwrap();
        assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
        n
    }

    #[test]
    fn storage_units() {
        assert_eq!(gbit_unit("16G"), Some(16.0));
        assert_eq!(gbit_unit("1.5G"), Some(1.5));
        assert_eq!(gbit_unit("16"), None);
        assert_eq!(size_unit("10M"), Some(10_485_760.0));
        assert_eq!(size_unit("512K"), Some(524_288.0));
        assert_eq!(size_unit("12"), None);
        assert_eq!(duration_unit("10m"), Some(600.0));
        assert_eq!(duration_unit("500ms"), Some(0.5));
        assert_eq!(duration_unit("1d"), Some(86_400.0));
        assert_eq!(duration_unit("soon"), None);
    }

    #[test]
    fn number_matchers() {
        assert!(num("10000").matches(10000.0));
        assert!(num("10G").matches(10000.0));
        assert!(num("{min: 10G}").matches(25000.0));
        assert!(!num("{min: 10G}").matches(1000.0));
        assert_eq!(
            num("{min: 1500, max: 9000}").to_string(),
            ">= 1500 and <= 9000"
        );
        assert!(num("{in: [10G, 25G]}").matches(25000.0));
        assert!(!num("{not_in: [1000]}").matches(1000.0));
        let node = parse("{min: 9000, max: 1500}").unwrap();
        let mut ctx = Ctx::new("t");
        let _ = Num::parse(&mut ctx, &node, "mtu", None);
        assert!(ctx.errors[0].message.contains("nothing could match"));
        let node = parse("fast").unwrap();
        let mut ctx = Ctx::new("t");
        assert!(Num::parse(&mut ctx, &node, "speed", Some(speed_unit)).is_none());
    }
}
