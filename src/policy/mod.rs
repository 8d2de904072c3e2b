//! The policy language: YAML files naming checks, parsed with their
//! positions and validated into types the evaluator trusts. Every mistake
//! is reported at its file, line and column; nothing is silently ignored.
//!
//! ```yaml
//! policy: lb-node
//! description: What a load balancer must look like.
//! include: [baseline.yaml]          # loaded as policies of their own
//! applies_to:
//!   hostname: "lb-*"
//!   kernel: { regex: "^6\\." }
//!   facts: { "links.*.driver.driver": i40e }
//! defaults:
//!   severity: critical
//! checks:
//!   - id: egress-via-10g
//!     description: Client traffic leaves through a 10G NIC.
//!     severity: critical
//!     route: { to: [0.0.0.0/0], egress: { speed: { min: 10G }, onboard: false } }
//! ```

pub mod facts;
pub mod fields;
pub mod matcher;
pub mod plan;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::check::{self, Spec};
use crate::collect::Scope;
use crate::finding::Severity;
use crate::snapshot::{Fact, Reason, Snapshot};
use crate::source::bounded;
use crate::source::guard::{Deadline, Guard};
pub use crate::source::limits::MAX_POLICY_BYTES;
use fields::{Ctx, Fields, PolicyError, boolean, one_or_many, string};
use matcher::{Num, Text};
use yaml::{Node, Pos, Value};

/// A validated check.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub allow_empty: bool,
    pub spec: Spec,
    /// The policy file, as given on the command line or included.
    pub policy: String,
    pub pos: Pos,
}

/// A condition on a snapshot fact, addressed by its path in the JSON
/// document (`host.kernel_release`, `links.*.driver.driver`).
#[derive(Debug, Clone)]
pub enum FactCondition {
    Text(Text),
    Num(Num),
    Bool(bool),
}

#[derive(Debug, Clone, Default)]
pub struct AppliesTo {
    pub hostname: Option<Text>,
    pub kernel: Option<Text>,
    pub facts: Vec<(String, FactCondition)>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub file: String,
    pub description: Option<String>,
    pub applies_to: AppliesTo,
    pub checks: Vec<Check>,
}

/// Whether a policy is for this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicability {
    Applies,
    /// It is for other hosts: the reason says which condition ruled it out.
    Not(String),
    /// A fact the condition needs could not be read.
    Unknown(String),
}

const TOP_KEYS: &[&str] = &[
    "policy",
    "description",
    "include",
    "applies_to",
    "defaults",
    "checks",
];
/// A check's own keys; the kind keys come from the registry.
const CHECK_KEYS: &[&str] = &["id", "description", "severity", "allow_empty"];

/// Loads policy files and everything they include. Either every policy
/// is valid, or every mistake found is returned.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Policy>, Vec<PolicyError>> {
    load_within(paths, None)
}

/// As [`load`], every file looked at and read where `deadline` can abandon
/// it (a policy on a network filesystem that stopped answering). Each is a
/// regular file of at most [`MAX_POLICY_BYTES`]: anything else is an error
/// naming it, never a read that blocks or does not end.
pub fn load_within(
    paths: &[PathBuf],
    deadline: Option<Deadline>,
) -> Result<Vec<Policy>, Vec<PolicyError>> {
    let mut loader = Loader {
        deadline,
        ..Loader::default()
    };
    for p in paths {
        loader.load_file(p, &[]);
    }
    let mut ids: BTreeMap<String, (String, Pos)> = BTreeMap::new();
    for policy in &loader.policies {
        for c in &policy.checks {
            if let Some((file, pos)) = ids.get(&c.id) {
                loader.errors.push(PolicyError {
                    file: c.policy.clone(),
                    pos: Some(c.pos),
                    message: format!(
                        "check id `{}` is already used at {file}:{}:{}: check ids are unique",
                        c.id, pos.line, pos.col
                    ),
                });
            } else {
                ids.insert(c.id.clone(), (c.policy.clone(), c.pos));
            }
        }
    }
    if loader.errors.is_empty() {
        Ok(loader.policies)
    } else {
        Err(loader.errors)
    }
}

/// A file being loaded while the ones it includes are: the include that
/// led on from it names where, for an include cycle's chain.
#[derive(Clone)]
struct Including {
    canonical: PathBuf,
    shown: String,
    include: Pos,
}

#[derive(Default)]
struct Loader {
    policies: Vec<Policy>,
    loaded: Vec<PathBuf>,
    errors: Vec<PolicyError>,
    deadline: Option<Deadline>,
}

impl Loader {
    fn load_file(&mut self, path: &Path, stack: &[Including]) {
        let shown = path.display().to_string();
        let canonical =
            within(self.deadline, path, |p| p.canonicalize()).unwrap_or_else(|_| path.to_owned());
        if let Some(start) = stack.iter().position(|f| f.canonical == canonical) {
            let chain = &stack[start..];
            let mut links: Vec<String> = chain
                .windows(2)
                .map(|w| {
                    format!(
                        "{}:{}:{} includes {}",
                        w[0].shown, w[0].include.line, w[0].include.col, w[1].shown
                    )
                })
                .collect();
            let last = &chain[chain.len() - 1];
            links.push(format!(
                "{}:{}:{} includes {shown}",
                last.shown, last.include.line, last.include.col
            ));
            self.errors.push(PolicyError {
                file: last.shown.clone(),
                pos: Some(last.include),
                message: format!(
                    "an include cycle: {}; a policy cannot include itself, directly or through others",
                    links.join(", ")
                ),
            });
            return;
        }
        if self.loaded.contains(&canonical) {
            return;
        }
        self.loaded.push(canonical.clone());
        let text = match read_text(path, MAX_POLICY_BYTES, "a policy", self.deadline) {
            Ok(t) => t,
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::InvalidData => "cannot read: not UTF-8 text".to_owned(),
                    _ => format!("cannot read: {}", crate::snapshot::io_text(&e)),
                };
                // An included file that cannot be read is a mistake in the
                // include: said there, as one that does not exist is.
                self.errors.push(match stack.last() {
                    Some(including) => PolicyError {
                        file: including.shown.clone(),
                        pos: Some(including.include),
                        message: format!("{shown}: {why}"),
                    },
                    None => PolicyError {
                        file: shown,
                        pos: None,
                        message: why,
                    },
                });
                return;
            }
        };
        let node = match yaml::parse(&text) {
            Ok(n) => n,
            Err(e) => {
                self.errors.push(PolicyError {
                    file: shown,
                    pos: e.pos,
                    message: e.message,
                });
                return;
            }
        };
        let mut ctx = Ctx::new(shown.clone());
        ctx.deadline = self.deadline;
        let (policy, includes) = parse_policy(&mut ctx, &node);
        self.errors.append(&mut ctx.errors);
        for (inc, pos) in includes {
            let target = path.parent().unwrap_or(Path::new(".")).join(&inc);
            // Unanswered, it is read, and the read names what did not answer.
            if !within(self.deadline, &target, |p| Ok(p.exists())).unwrap_or(true) {
                self.errors.push(PolicyError {
                    file: shown.clone(),
                    pos: Some(pos),
                    message: format!("included file {} does not exist", target.display()),
                });
                continue;
            }
            let mut stack = stack.to_vec();
            stack.push(Including {
                canonical: canonical.clone(),
                shown: shown.clone(),
                include: pos,
            });
            self.load_file(&target, &stack);
        }
        if let Some(p) = policy {
            self.policies.push(p);
        }
    }
}

/// Runs a filesystem call on `path` where `deadline`, if any, can abandon
/// it, on a thread of its own.
fn within<T: Send + 'static>(
    deadline: Option<Deadline>,
    path: &Path,
    call: impl FnOnce(&Path) -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    let owned = path.to_owned();
    match deadline {
        Some(d) => Guard::new(d).run(&path.display().to_string(), move || call(&owned)),
        None => call(&owned),
    }
}

/// Reads a policy or a file it names (a cabling plan): a regular file only
/// (a FIFO would block, `/dev/zero` never end, and opening a device can act
/// on it), of at most `cap` bytes, under `deadline`. `what` names the kind
/// of file in errors.
pub(crate) fn read_text(
    path: &Path,
    cap: u64,
    what: &'static str,
    deadline: Option<Deadline>,
) -> std::io::Result<String> {
    let bytes = within(deadline, path, move |p| bounded::read_regular(p, cap, what))?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

fn severity(ctx: &mut Ctx, node: &Node) -> Option<Severity> {
    let s = string(ctx, node, "a severity (critical or warning)")?;
    match s.as_str() {
        "critical" => Some(Severity::Critical),
        "warning" => Some(Severity::Warning),
        other => {
            ctx.error(
                node.pos,
                format!(
                    "unknown severity `{other}`: {}",
                    fields::suggestion(other, &["critical", "warning"])
                ),
            );
            None
        }
    }
}

fn parse_policy(ctx: &mut Ctx, node: &Node) -> (Option<Policy>, Vec<(String, Pos)>) {
    let Some(top) = Fields::new(ctx, node, "a policy", TOP_KEYS) else {
        return (None, Vec::new());
    };
    let name = top
        .required(ctx, "policy", "a policy")
        .and_then(|n| string(ctx, n, "the policy's name"));
    let description = top
        .get("description")
        .and_then(|n| string(ctx, n, "a description"));
    let mut includes = Vec::new();
    if let Some(n) = top.get("include") {
        for item in one_or_many(n) {
            if let Some(s) = string(ctx, item, "a file to include") {
                includes.push((s, item.pos));
            }
        }
    }
    let applies_to = top
        .get("applies_to")
        .map(|n| parse_applies_to(ctx, n))
        .unwrap_or_default();
    let mut default_severity = None;
    if let Some(n) = top.get("defaults")
        && let Some(d) = Fields::new(ctx, n, "defaults", &["severity"])
        && let Some(s) = d.get("severity")
    {
        default_severity = severity(ctx, s);
    }
    let mut checks = Vec::new();
    match top.get("checks") {
        Some(n) => match &n.value {
            // An audit of it would check nothing and say so every run: a
            // mistake in the policy, told where it is.
            Value::Seq(items) if items.is_empty() && includes.is_empty() => ctx.error(
                n.pos,
                "a policy without checks checks nothing: add checks, or include policies that have some",
            ),
            Value::Seq(items) => {
                for item in items {
                    if let Some(c) = parse_check(ctx, item, default_severity) {
                        checks.push(c);
                    }
                }
            }
            Value::Null if !includes.is_empty() => {}
            other => ctx.error(
                n.pos,
                format!("expected a list of checks, found {}", other.kind()),
            ),
        },
        None if includes.is_empty() => {
            ctx.error(top.pos, "a policy needs `checks` (or `include`)");
        }
        None => {}
    }
    let policy = name.map(|name| Policy {
        name,
        file: ctx.file.clone(),
        description,
        applies_to,
        checks,
    });
    (policy, includes)
}

fn parse_check(ctx: &mut Ctx, node: &Node, default_severity: Option<Severity>) -> Option<Check> {
    let keys: Vec<&str> = CHECK_KEYS
        .iter()
        .copied()
        .chain(check::KINDS.iter().map(|k| k.name))
        .collect();
    let f = Fields::new(ctx, node, "a check", &keys)?;
    let id = f.required(ctx, "id", "a check").and_then(|n| {
        let id = string(ctx, n, "a check id")?;
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            ctx.error(
                n.pos,
                format!("check id {id:?}: use letters, digits, `-`, `_` and `.`"),
            );
            return None;
        }
        Some(id)
    });
    let description = f
        .get("description")
        .and_then(|n| string(ctx, n, "a description"));
    let kinds: Vec<(&str, &Node)> = check::KINDS
        .iter()
        .filter_map(|k| f.get(k.name).map(|n| (k.name, n)))
        .collect();
    let (kind, body) = match kinds.as_slice() {
        [one] => *one,
        [] => {
            ctx.error(
                f.pos,
                format!(
                    "a check needs one kind: {}",
                    check::KINDS
                        .iter()
                        .map(|k| format!("`{}`", k.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return None;
        }
        [_, second, ..] => {
            ctx.error(
                second.1.pos,
                "a check has one kind; split it into several checks",
            );
            return None;
        }
    };
    let doc = check::kind(kind)?;
    let severity = match f.get("severity") {
        Some(n) => severity(ctx, n),
        None => Some(default_severity.unwrap_or(doc.default_severity)),
    };
    let allow_empty = match f.get("allow_empty") {
        Some(n) => boolean(ctx, n, "true or false"),
        None => Some(false),
    };
    let spec = check::parse_spec(ctx, kind, body);
    Some(Check {
        id: id?,
        description,
        severity: severity?,
        allow_empty: allow_empty?,
        spec: spec?,
        policy: ctx.file.clone(),
        pos: node.pos,
    })
}

fn parse_applies_to(ctx: &mut Ctx, node: &Node) -> AppliesTo {
    let mut a = AppliesTo::default();
    let Some(f) = Fields::new(ctx, node, "applies_to", &["hostname", "kernel", "facts"]) else {
        return a;
    };
    a.hostname = f
        .get("hostname")
        .and_then(|n| Text::parse(ctx, n, "a hostname"));
    a.kernel = f
        .get("kernel")
        .and_then(|n| Text::parse(ctx, n, "a kernel release"));
    if let Some(n) = f.get("facts") {
        let Value::Map(entries) = &n.value else {
            ctx.error(
                n.pos,
                format!(
                    "expected a mapping of fact paths to conditions, found {}",
                    n.value.kind()
                ),
            );
            return a;
        };
        for (key, cond) in entries {
            let leaf = match facts::resolve(&key.name) {
                Ok(leaf) => leaf,
                Err(why) => {
                    ctx.error(key.pos, why);
                    continue;
                }
            };
            let parsed = match &cond.value {
                Value::Bool(b) => Some(FactCondition::Bool(*b)),
                Value::Int(_) | Value::Float(_) => {
                    Num::parse(ctx, cond, &key.name, None).map(FactCondition::Num)
                }
                Value::Map(m)
                    if m.iter()
                        .any(|(k, _)| matches!(k.name.as_str(), "min" | "max")) =>
                {
                    Num::parse(ctx, cond, &key.name, None).map(FactCondition::Num)
                }
                _ => Text::parse(ctx, cond, &key.name).map(FactCondition::Text),
            };
            let Some(p) = parsed else { continue };
            let (fits, holds) = match &p {
                FactCondition::Bool(_) => (leaf.takes("boolean"), "true or false"),
                FactCondition::Num(_) => (leaf.takes_number(), "a number"),
                FactCondition::Text(_) => (leaf.takes("string") || leaf.takes_number(), "text"),
            };
            if !fits {
                ctx.error(
                    cond.pos,
                    format!(
                        "`{}` holds {}, so a condition on {holds} could never match it",
                        key.name,
                        leaf_kinds(&leaf)
                    ),
                );
                continue;
            }
            if matches!(p, FactCondition::Text(_)) {
                let before = ctx.errors.len();
                if !leaf.words.is_empty() {
                    matcher::check_words(ctx, cond, &leaf.what, &leaf.words);
                }
                if !leaf.takes("string") {
                    check_numeric_text(ctx, cond, &key.name);
                }
                if ctx.errors.len() != before {
                    continue;
                }
            }
            a.facts.push((key.name.clone(), p));
        }
    }
    a
}

/// A text condition on a fact that holds numbers only (`"9000"`, `{in:
/// ["1*"]}`): a name in it that is not a number (`"O"` for 0, `"9k"`)
/// could never match, and would turn the policy off without a word.
fn check_numeric_text(ctx: &mut Ctx, node: &Node, path: &str) {
    let items: Vec<&Node> = match &node.value {
        Value::Map(entries) => entries
            .iter()
            .filter(|(k, _)| matches!(k.name.as_str(), "in" | "not_in"))
            .flat_map(|(_, list)| match &list.value {
                Value::Seq(items) => items.iter().collect(),
                _ => Vec::new(),
            })
            .collect(),
        _ => vec![node],
    };
    for item in items {
        if let Value::Str(s) = &item.value
            && matcher::Glob(s.clone()).is_literal()
            && s.trim().parse::<f64>().is_err()
        {
            ctx.error(
                item.pos,
                format!("`{path}` holds a number, so {s:?} could never match it"),
            );
        }
    }
}

/// What a fact holds, for messages: "text", "a number or true or false".
fn leaf_kinds(leaf: &facts::Leaf) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for t in &leaf.types {
        let k = match *t {
            "string" => "text",
            "integer" | "number" => "a number",
            _ => "true or false",
        };
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds.join(" or ")
}

/// What a fact path finds in the snapshot document: the values there, and
/// whether a fact on the way could not be read, so that a condition no
/// value meets is undecided rather than false.
#[derive(Default)]
struct Found<'a> {
    values: Vec<&'a Json>,
    unread: bool,
}

/// The reason of an unknown fact as the document writes it,
/// `{"unknown": REASON, "detail": ...}`.
fn unknown_reason(v: &Json) -> Option<&str> {
    match v {
        Json::Object(m) if m.len() == 2 && m.contains_key("detail") => {
            m.get("unknown").and_then(Json::as_str)
        }
        _ => None,
    }
}

/// Walks a dotted path of the document; `*` is every element of a list
/// or every value of a map, a number one element of a list. An unknown
/// fact met on the way (or at the end) is unread, unless its path goes on
/// into the reason itself (`speed_mbps.unknown`), or the hardware does not
/// have that fact (`not_supported`: a loopback's driver), which no
/// condition can match.
fn values_at<'a>(doc: &'a Json, path: &[&str], found: &mut Found<'a>) {
    let head = path.first().copied();
    if let Some(reason) = unknown_reason(doc)
        && !matches!(head, Some("unknown" | "detail"))
    {
        if reason != Reason::NotSupported.as_str() {
            found.unread = true;
        }
        return;
    }
    let Some(head) = head else {
        found.values.push(doc);
        return;
    };
    let rest = &path[1..];
    match (head, doc) {
        ("*", Json::Array(items)) => items.iter().for_each(|i| values_at(i, rest, found)),
        ("*", Json::Object(m)) => m.values().for_each(|v| values_at(v, rest, found)),
        (key, Json::Object(m)) => {
            if let Some(v) = m.get(key) {
                values_at(v, rest, found);
            }
        }
        (key, Json::Array(items)) => {
            if let Some(v) = key.parse::<usize>().ok().and_then(|i| items.get(i)) {
                values_at(v, rest, found);
            }
        }
        _ => {}
    }
}

impl AppliesTo {
    /// What deciding reads of the host: the host facts, and the part of
    /// the snapshot each fact path starts in.
    pub fn reads(&self) -> Scope {
        self.facts.iter().fold(Scope::HOST, |s, (path, _)| {
            s.union(Scope::of_fact_path(path))
        })
    }

    pub fn decide(&self, snapshot: &Snapshot) -> Applicability {
        let text = |what: &str, fact: &Fact<String>, m: &Text| match fact {
            Fact::Known(v) if m.matches(v) => None,
            Fact::Known(v) => Some(Applicability::Not(format!("{what} {v} is not {m}"))),
            Fact::Unknown(miss) => Some(Applicability::Unknown(format!("{what} unknown: {miss}"))),
        };
        if let Some(m) = &self.hostname
            && let Some(a) = text("hostname", &snapshot.host.hostname, m)
        {
            return a;
        }
        if let Some(m) = &self.kernel
            && let Some(a) = text("kernel", &snapshot.host.kernel_release, m)
        {
            return a;
        }
        if self.facts.is_empty() {
            return Applicability::Applies;
        }
        let doc = serde_json::to_value(snapshot).unwrap_or(Json::Null);
        for (path, cond) in &self.facts {
            let parts: Vec<&str> = path.split('.').collect();
            let mut found = Found::default();
            values_at(&doc, &parts, &mut found);
            if found.values.iter().any(|v| cond_matches(cond, v)) {
                continue;
            }
            if found.unread {
                return Applicability::Unknown(format!("fact {path} could not be read"));
            }
            return Applicability::Not(format!("no fact {path} matches"));
        }
        Applicability::Applies
    }
}

fn cond_matches(cond: &FactCondition, v: &Json) -> bool {
    match (cond, v) {
        (FactCondition::Bool(b), Json::Bool(x)) => b == x,
        (FactCondition::Num(n), Json::Number(x)) => x.as_f64().is_some_and(|x| n.matches(x)),
        (FactCondition::Text(t), Json::String(s)) => t.matches(s),
        (FactCondition::Text(t), Json::Number(x)) => t.matches(&x.to_string()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Vec<Policy>, Vec<PolicyError>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.yaml");
        std::fs::write(&p, text).unwrap();
        load(&[p])
    }

    fn errors(text: &str) -> Vec<String> {
        load_text(text)
            .unwrap_err()
            .iter()
            .map(|e| {
                let s = e.to_string();
                s[s.find("p.yaml").unwrap()..].to_owned()
            })
            .collect()
    }

    #[test]
    fn a_valid_policy_loads() {
        let p = load_text(
            "policy: t\ndefaults: {severity: warning}\nchecks:\n  - id: up\n    link: {select: {name: 'eth*'}, expect: {operstate: up}}\n  - id: k\n    severity: critical\n    kernel: {expect: {tainted: false}}\n",
        )
        .unwrap();
        assert_eq!(p[0].checks.len(), 2);
        assert_eq!(p[0].checks[0].severity, Severity::Warning);
        assert_eq!(p[0].checks[1].severity, Severity::Critical);
    }

    #[test]
    fn mistakes_are_located_with_suggestions() {
        assert_eq!(
            errors(
                "policy: t\nchecks:\n  - id: a\n    link: {select: {name: x}, expect: {sped: 1}}\n"
            ),
            ["p.yaml:4:40: unknown key `sped` in a link expectation: did you mean `speed`?"]
        );
        assert_eq!(
            errors("policy: t\nchekcs: []\n"),
            [
                "p.yaml:2:1: unknown key `chekcs` in a policy: did you mean `checks`?",
                "p.yaml:1:1: a policy needs `checks` (or `include`)"
            ]
        );
        assert_eq!(
            errors(
                "policy: t\nchecks:\n  - id: a\n    severity: critcal\n    kernel: {expect: {tainted: false}}\n"
            ),
            ["p.yaml:4:15: unknown severity `critcal`: did you mean `critical`?"]
        );
        assert_eq!(
            errors(
                "policy: t\nchecks:\n  - id: a\n    allow_empty: yes\n    kernel: {expect: {tainted: false}}\n"
            ),
            ["p.yaml:4:18: expected true or false, found the string \"yes\": write true or false"]
        );
    }

    #[test]
    fn duplicate_ids_and_missing_kinds_are_errors() {
        let e = errors(
            "policy: t\nchecks:\n  - id: a\n    kernel: {expect: {tainted: false}}\n  - id: a\n    kernel: {expect: {tainted: false}}\n  - id: b\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("a check needs one kind"), "{e:?}");
        assert!(e[1].contains("check id `a` is already used at"), "{e:?}");
    }

    #[test]
    fn includes_load_once_and_cycles_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "policy: a\ninclude: b.yaml\nchecks:\n  - id: k1\n    kernel: {expect: {tainted: false}}\n").unwrap();
        std::fs::write(
            &b,
            "policy: b\nchecks:\n  - id: k2\n    kernel: {expect: {pstore_records: 0}}\n",
        )
        .unwrap();
        let p = load(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(p.len(), 2);
        std::fs::write(&b, "policy: b\ninclude: a.yaml\nchecks: []\n").unwrap();
        let e = load(&[a]).unwrap_err();
        assert!(e[0].message.contains("include cycle"), "{e:?}");
    }
}
