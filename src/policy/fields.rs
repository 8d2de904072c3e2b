//! Reading a YAML tree into validated values, one complaint per mistake,
//! each at its file, line and column, with the nearest valid key suggested
//! for a misspelt one. Nothing is silently ignored.

use std::fmt;

use super::yaml::{Key, Node, Pos, Value};
use crate::source::guard::Deadline;

/// A mistake in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.file, p.line, p.col, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The file being read and the mistakes found so far.
pub struct Ctx {
    pub file: String,
    pub errors: Vec<PolicyError>,
    /// The run's deadline, for the files a policy names (a cabling plan).
    pub deadline: Option<Deadline>,
}

impl Ctx {
    pub fn new(file: impl Into<String>) -> Ctx {
        Ctx {
            file: file.into(),
            errors: Vec::new(),
            deadline: None,
        }
    }

    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(PolicyError {
            file: self.file.clone(),
            pos: Some(pos),
            message: message.into(),
        });
    }

    fn expected(&mut self, node: &Node, what: &str) {
        self.error(
            node.pos,
            format!("expected {what}, found {}", node.value.kind()),
        );
    }
}

/// Edit distance counting a swap of neighbours as one edit (optimal string
/// alignment), for suggesting the key that was probably meant.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The valid key `key` is probably a misspelling of, if any is close.
pub fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (distance(key, k), *k))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, k)| *d <= (key.len().max(k.len()) / 3).max(1))
        .map(|(_, k)| k)
}

/// "did you mean `speed`?" for a key close to a valid one, else the list.
pub fn suggestion(key: &str, known: &[&str]) -> String {
    match nearest(key, known) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!(
            "expected one of {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The entries of a mapping whose keys have all been checked against the
/// keys it may hold.
pub struct Fields<'n> {
    entries: &'n [(Key, Node)],
    pub pos: Pos,
}

impl<'n> Fields<'n> {
    /// Reads `node` as a mapping of `what` with keys from `known`; every
    /// other key is reported.
    pub fn new(ctx: &mut Ctx, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            ctx.expected(node, &format!("{what} (a mapping)"));
            return None;
        };
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                ctx.error(
                    key.pos,
                    format!(
                        "unknown key `{}` in {what}: {}",
                        key.name,
                        suggestion(&key.name, known)
                    ),
                );
            }
        }
        Some(Fields {
            entries,
            pos: node.pos,
        })
    }

    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| k.pos)
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> impl Iterator<Item = (&'n Key, &'n Node)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn required(&self, ctx: &mut Ctx, key: &str, what: &str) -> Option<&'n Node> {
        let v = self.get(key);
        if v.is_none() {
            ctx.error(self.pos, format!("{what} needs `{key}`"));
        }
        v
    }
}

pub fn string(ctx: &mut Ctx, node: &Node, what: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        _ => {
            ctx.expected(node, what);
            None
        }
    }
}

pub fn boolean(ctx: &mut Ctx, node: &Node, what: &str) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        Value::Str(s) if matches!(s.as_str(), "yes" | "no" | "on" | "off") => {
            ctx.error(
                node.pos,
                format!("expected {what}, found the string {s:?}: write true or false"),
            );
            None
        }
        _ => {
            ctx.expected(node, what);
            None
        }
    }
}

pub fn unsigned(ctx: &mut Ctx, node: &Node, what: &str) -> Option<u64> {
    match &node.value {
        Value::Int(i) if *i >= 0 => Some(*i as u64),
        _ => {
            ctx.expected(node, what);
            None
        }
    }
}

/// One item or a list of them: `to: 10.0.0.1` and `to: [10.0.0.1, ::/0]`.
pub fn one_or_many(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        let known = ["speed", "duplex", "operstate", "mtu"];
        assert_eq!(suggestion("sped", &known), "did you mean `speed`?");
        assert_eq!(suggestion("operstat", &known), "did you mean `operstate`?");
        assert_eq!(suggestion("mut", &known), "did you mean `mtu`?");
        assert!(suggestion("colour", &known).starts_with("expected one of `speed`"));
    }

    #[test]
    fn unknown_keys_are_errors_at_their_place() {
        let node = super::super::yaml::parse("speed: 1\nsped: 2\n").unwrap();
        let mut ctx = Ctx::new("p.yaml");
        let f = Fields::new(&mut ctx, &node, "a link expectation", &["speed"]).unwrap();
        assert!(f.get("speed").is_some());
        assert_eq!(ctx.errors.len(), 1);
        assert_eq!(
            ctx.errors[0].to_string(),
            "p.yaml:2:1: unknown key `sped` in a link expectation: did you mean `speed`?"
        );
    }
}
