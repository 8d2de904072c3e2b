//! A YAML document as a tree of nodes that remember where they stand in the
//! file, so that every later complaint can name file, line and column.
//!
//! serde-saphyr parses (pure Rust, located errors, duplicate keys refused,
//! an alias budget); booleans are strict, so `yes` stays the string "yes".

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Error as YamlError, MessageFormatter, Options, Spanned, UserMessageFormatter};

/// A place in a policy file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u64,
    pub col: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

impl Value {
    /// What the value is, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

fn pos_of(l: &serde_saphyr::Location) -> Pos {
    Pos {
        line: l.line(),
        col: l.column(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        let s = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            value: s.value,
            pos: pos_of(&s.referenced),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

/// Marks the error of a key that is not a name, which carries its place
/// itself: the parser knows none for the errors of a visitor.
const KEY_NOT_A_NAME: &str = "hostlint: key not a name at ";

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(node) = seq.next_element::<Node>()? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let name = match key.value {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                other => {
                    return Err(de::Error::custom(format!(
                        "{KEY_NOT_A_NAME}{}:{}:{}",
                        key.pos.line,
                        key.pos.col,
                        other.kind()
                    )));
                }
            };
            let value = map.next_value::<Node>()?;
            entries.push((Key { name, pos: key.pos }, value));
        }
        Ok(Value::Map(entries))
    }
}

/// A document that is not YAML, or not one the loader accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Option<Pos>,
    pub message: String,
}

/// Parses one YAML document.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut options = Options::default();
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        if let Some(bad_key) = key_not_a_name(&e) {
            return bad_key;
        }
        let pos = e.location().map(|l| pos_of(&l)).filter(|p| p.line > 0);
        SyntaxError {
            pos,
            message: operator_message(&e),
        }
    })
}

fn key_not_a_name(e: &YamlError) -> Option<SyntaxError> {
    let text = e.to_string();
    let rest = &text[text.find(KEY_NOT_A_NAME)? + KEY_NOT_A_NAME.len()..];
    let mut parts = rest.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    let kind = parts.next()?.lines().next()?.trim();
    Some(SyntaxError {
        pos: Some(Pos { line, col }),
        message: format!("a key must be a name, found {kind}"),
    })
}

/// What went wrong, for the person who wrote the file: without the
/// position (the caller puts it first) and without the parser's advice to
/// its programmer (which option to set, which function to call).
fn operator_message(e: &YamlError) -> String {
    match e {
        YamlError::WithSnippet { error, .. } | YamlError::AliasError { error, .. } => {
            operator_message(error)
        }
        YamlError::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("`{k}` is given twice in one mapping: give each key once"),
            None => "a key is given twice in one mapping: give each key once".to_owned(),
        },
        YamlError::Budget { .. }
        | YamlError::AliasReplayCounterOverflow { .. }
        | YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. } => {
            "the document's aliases (`*name`) expand to more than a policy can hold: \
             it is refused as an alias bomb"
                .to_owned()
        }
        YamlError::MultipleDocuments { .. } => {
            "a second YAML document (`---`): a policy file holds one policy; \
             put each in a file of its own"
                .to_owned()
        }
        YamlError::UnknownAnchor { .. } => {
            "an alias (`*name`) with no anchor (`&name`) before it".to_owned()
        }
        YamlError::Eof { .. } => "the file ends in the middle of a value".to_owned(),
        YamlError::InvalidUtf8Input => "the file is not UTF-8 text".to_owned(),
        other => {
            // The parser's own words are written for people, but may hold
            // control characters from the file.
            UserMessageFormatter
                .format_message(other)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_place() {
        let n = parse("policy: x\nchecks:\n  - id: a\n    link: {name: eth0}\n").unwrap();
        let Value::Map(top) = &n.value else { panic!() };
        assert_eq!(top[1].0.name, "checks");
        assert_eq!(top[1].0.pos, Pos { line: 2, col: 1 });
        let Value::Seq(checks) = &top[1].1.value else {
            panic!()
        };
        let Value::Map(check) = &checks[0].value else {
            panic!()
        };
        assert_eq!(check[1].0.name, "link");
        assert_eq!(check[1].0.pos.line, 4);
        assert_eq!(check[1].1.pos.line, 4);
    }

    #[test]
    fn booleans_are_strict_and_duplicates_refused() {
        let n = parse("a: yes\nb: true\n").unwrap();
        let Value::Map(m) = &n.value else { panic!() };
        assert_eq!(m[0].1.value, Value::Str("yes".into()));
        assert_eq!(m[1].1.value, Value::Bool(true));
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(2), "{e:?}");
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.is_some(), "{e:?}");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn an_alias_bomb_is_stopped() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse(&doc).is_err());
    }
}
