//! The shape of the snapshot document (`hostlint show --format json`) as a
//! JSON Schema, derived from the model's own types, so the fact paths a
//! policy may name (`applies_to.facts`) cannot drift from what the
//! document holds. Types that serialize by hand (a [`Fact`], a route
//! table) describe themselves here; the words a text fact takes come from
//! [`super::values::FACT_WORDS`].

use std::borrow::Cow;
use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value as Json;

use super::route::{ROUTE_FLAG_NAMES, names};
use super::{Fact, Prefix, Reason, RouteTable, Snapshot};

/// Every reason a fact can be unknown, as the document names them.
pub const REASONS: &[Reason] = &[
    Reason::NotSupported,
    Reason::LinkDown,
    Reason::Permission,
    Reason::Timeout,
    Reason::NotCaptured,
    Reason::Absent,
    Reason::Malformed,
    Reason::TooLarge,
    Reason::Failed,
    Reason::Reset,
    Reason::NotRunning,
];

// A new reason must be listed above: this match stops compiling until it is.
const _: fn(Reason) = |r| match r {
    Reason::NotSupported
    | Reason::LinkDown
    | Reason::Permission
    | Reason::Timeout
    | Reason::NotCaptured
    | Reason::Absent
    | Reason::Malformed
    | Reason::TooLarge
    | Reason::Failed
    | Reason::Reset
    | Reason::NotRunning => {}
};

/// A known fact is its bare value; an unknown one the object with its
/// reason and detail (see `Fact`'s `Serialize`).
impl<T: JsonSchema> JsonSchema for Fact<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Fact_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<T>();
        let reasons: Vec<&str> = REASONS.iter().map(|r| r.as_str()).collect();
        json_schema!({
            "anyOf": [
                value,
                {
                    "type": "object",
                    "properties": {
                        "unknown": { "type": "string", "enum": reasons },
                        "detail": { "type": "string" }
                    },
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl JsonSchema for Prefix {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Prefix".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

/// The routes as `RouteTable`'s `Serialize` expands them, like `ip -j
/// route`.
impl JsonSchema for RouteTable {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RouteTable".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let flags: Vec<&str> = ROUTE_FLAG_NAMES.iter().map(|(_, n)| *n).collect();
        let flags = json_schema!({ "type": "array", "items": { "type": "string", "enum": flags } });
        let text = json_schema!({ "type": "string" });
        let hop = json_schema!({
            "type": "object",
            "properties": {
                "gateway": text,
                "dev": text,
                "weight": { "type": "integer" },
                "flags": flags
            }
        });
        let route = json_schema!({
            "type": "object",
            "properties": {
                "table": text,
                "type": { "type": "string", "enum": names::ROUTE_TYPES },
                "dst": text,
                "gateway": text,
                "dev": text,
                "protocol": text,
                "scope": text,
                "metric": { "type": "integer" },
                "prefsrc": text,
                "flags": flags,
                "nexthops": { "type": "array", "items": hop }
            }
        });
        let routes = json_schema!({ "type": "array", "items": route });
        json_schema!({
            "type": "object",
            "properties": { "ipv4": routes, "ipv6": routes }
        })
    }
}

/// The schema of the snapshot document, every subschema inline (the model
/// has no recursive type), with the words of each enumerated text fact.
pub fn document() -> &'static Json {
    static DOCUMENT: OnceLock<Json> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = generated();
        for (path, words) in super::values::FACT_WORDS {
            let parts: Vec<&str> = path.split('.').collect();
            for leaf in nodes_at_mut(&mut doc, &parts) {
                if let Some(obj) = leaf.as_object_mut() {
                    obj.insert("enum".into(), Json::from(words.words.to_vec()));
                }
            }
        }
        doc
    })
}

/// The schema as the types give it, without the words of text facts.
fn generated() -> Json {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<Snapshot>()
        .to_value()
}

/// The alternatives a schema node stands for: itself, or each of its
/// `anyOf`/`oneOf` branches.
pub fn branches(schema: &Json) -> Vec<&Json> {
    let mut out = Vec::new();
    let mut todo = vec![schema];
    while let Some(s) = todo.pop() {
        let mut split = false;
        for key in ["anyOf", "oneOf"] {
            if let Some(Json::Array(items)) = s.get(key) {
                todo.extend(items.iter().rev());
                split = true;
            }
        }
        if !split {
            out.push(s);
        }
    }
    out
}

/// The type names a schema node allows (`string`, `object`, ...).
pub fn types(schema: &Json) -> Vec<&str> {
    match schema.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        // An object described by its fields alone.
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => Vec::new(),
    }
}

/// The schema nodes of the known values at a dotted path, for attaching
/// their words; `*` is an element of a list or a value of a map.
fn nodes_at_mut<'a>(schema: &'a mut Json, path: &[&str]) -> Vec<&'a mut Json> {
    let split = ["anyOf", "oneOf"]
        .into_iter()
        .find(|k| schema.get(*k).is_some());
    let Some((head, rest)) = path.split_first() else {
        if split.is_none() {
            return vec![schema];
        }
        // The known value, not the object an unknown one is.
        return match split.and_then(|k| schema.get_mut(k)) {
            Some(Json::Array(items)) => items
                .iter_mut()
                .filter(|item| item.get("properties").is_none())
                .flat_map(|item| nodes_at_mut(item, path))
                .collect(),
            _ => Vec::new(),
        };
    };
    if let Some(key) = split {
        return match schema.get_mut(key) {
            Some(Json::Array(items)) => items
                .iter_mut()
                .flat_map(|item| nodes_at_mut(item, path))
                .collect(),
            _ => Vec::new(),
        };
    }
    let Some(obj) = schema.as_object_mut() else {
        return Vec::new();
    };
    let next = if *head == "*" {
        if obj.get("items").is_some_and(Json::is_object) {
            obj.get_mut("items")
        } else {
            obj.get_mut("additionalProperties")
                .filter(|v| v.is_object())
        }
    } else {
        obj.get_mut("properties").and_then(|p| p.get_mut(*head))
    };
    next.map(|n| nodes_at_mut(n, rest)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_set_stands_on_a_text_fact_of_the_document() {
        let mut doc = generated();
        for (path, words) in super::super::values::FACT_WORDS {
            let parts: Vec<&str> = path.split('.').collect();
            let leaves = nodes_at_mut(&mut doc, &parts);
            assert!(!leaves.is_empty(), "{path} is not in the document");
            for leaf in leaves {
                assert!(types(leaf).contains(&"string"), "{path}: {leaf}");
            }
            assert!(!words.words.is_empty(), "{path}");
        }
    }

    #[test]
    fn the_words_of_a_serde_enum_are_the_policy_words() {
        let doc = document();
        let duplex = &doc["properties"]["links"]["anyOf"][0]["items"]["properties"]["duplex"];
        let known: Vec<&str> = branches(duplex)
            .iter()
            .filter_map(|b| b.get("enum"))
            .flat_map(|e| e.as_array().into_iter().flatten())
            .filter_map(Json::as_str)
            .filter(|w| !REASONS.iter().any(|r| r.as_str() == *w))
            .collect();
        assert_eq!(known, super::super::values::DUPLEXES.words);
    }
}
