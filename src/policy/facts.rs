//! The fact paths of `applies_to.facts` checked against the snapshot
//! document's schema (derived from the snapshot types): a path that cannot
//! exist there would make the policy silently not apply, so it is an
//! error, with the path probably meant.
//!
//! A path is dotted field names; `*` is every element of a list or every
//! value of a map, a number one element of a list:
//! `links.*.driver.driver`, `storage.fc_hosts.0.port_state`.

use serde_json::Value as Json;

use super::fields::nearest;
use crate::snapshot::schema::{branches, document, types};
use crate::snapshot::values::FACT_WORDS;

/// What a valid path leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// The JSON types a value there can have (`string`, `integer`,
    /// `number`, `boolean`).
    pub types: Vec<&'static str>,
    /// The words a text value there is one of, when they are known.
    pub words: Vec<&'static str>,
    /// What one of those words is, for messages.
    pub what: String,
}

impl Leaf {
    pub fn takes(&self, ty: &str) -> bool {
        self.types.contains(&ty)
    }

    pub fn takes_number(&self) -> bool {
        self.takes("integer") || self.takes("number")
    }
}

/// The schema nodes one step down from `nodes`.
fn step(nodes: &[&'static Json], seg: &str) -> Vec<&'static Json> {
    let mut out = Vec::new();
    for node in nodes {
        for b in branches(node) {
            let items = b.get("items").filter(|i| i.is_object());
            let map = b.get("additionalProperties").filter(|m| m.is_object());
            let next = if seg == "*" {
                items.or(map)
            } else if seg.bytes().all(|c| c.is_ascii_digit()) && items.is_some() {
                items
            } else {
                b.get("properties").and_then(|p| p.get(seg)).or(map)
            };
            out.extend(next);
        }
    }
    out
}

/// The field names the nodes' objects have.
fn fields(nodes: &[&'static Json]) -> Vec<&'static str> {
    let mut out: Vec<&str> = Vec::new();
    for node in nodes {
        for b in branches(node) {
            if let Some(Json::Object(props)) = b.get("properties") {
                for k in props.keys() {
                    if !out.contains(&k.as_str()) {
                        out.push(k);
                    }
                }
            }
        }
    }
    out
}

fn listing(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a fact path against the snapshot document's schema: what it
/// leads to, or why it cannot exist, with the path probably meant.
pub fn resolve(path: &str) -> Result<Leaf, String> {
    let segs: Vec<&str> = path.split('.').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return Err(format!(
            "`{path}` is not a fact path: write field names joined by dots, such as `links.*.driver.driver`"
        ));
    }
    let mut nodes: Vec<&'static Json> = vec![document()];
    let mut meant: Vec<String> = Vec::new();
    let mut misspelt = false;
    for seg in &segs {
        let next = step(&nodes, seg);
        if !next.is_empty() {
            nodes = next;
            meant.push((*seg).to_owned());
            continue;
        }
        misspelt = true;
        // A field of each element, named without the `*` before it.
        let elements = step(&nodes, "*");
        let through = step(&elements, seg);
        if !through.is_empty() {
            nodes = through;
            meant.push("*".to_owned());
            meant.push((*seg).to_owned());
            continue;
        }
        let keys = fields(&nodes);
        if let Some(k) = nearest(seg, &keys) {
            nodes = step(&nodes, k);
            meant.push(k.to_owned());
            continue;
        }
        let at = if meant.is_empty() {
            "the snapshot document".to_owned()
        } else {
            format!("`{}`", meant.join("."))
        };
        let expected = if keys.is_empty() {
            if elements.is_empty() {
                "it holds a value, not fields".to_owned()
            } else {
                "it is a list or a map: `*` walks its elements".to_owned()
            }
        } else {
            format!("its fields are {}", listing(&keys))
        };
        return Err(format!(
            "`{path}` is not a fact of the snapshot document (`hostlint show --format json`): {at} has no `{seg}`; {expected}"
        ));
    }
    let meant = meant.join(".");
    if misspelt {
        return Err(format!(
            "`{path}` is not a fact of the snapshot document (`hostlint show --format json`): did you mean `{meant}`?"
        ));
    }
    let mut leaf = Leaf {
        types: Vec::new(),
        words: Vec::new(),
        what: format!("value of `{meant}`"),
    };
    let mut groups = false;
    let mut lists = false;
    for node in &nodes {
        for b in branches(node) {
            let ts = types(b);
            for t in &ts {
                match *t {
                    "string" | "integer" | "number" | "boolean" if !leaf.takes(t) => {
                        leaf.types.push(t)
                    }
                    "object" if b.get("properties").is_some() => groups = true,
                    "array" => lists = true,
                    _ => {}
                }
            }
            if let Some(Json::Array(words)) = b.get("enum") {
                leaf.words.extend(words.iter().filter_map(Json::as_str));
            }
        }
    }
    if leaf.types.is_empty() {
        let keys = fields(&nodes)
            .into_iter()
            // The reason and detail of an unknown fact are not what a
            // group of facts is about.
            .filter(|k| !matches!(*k, "unknown" | "detail"))
            .collect::<Vec<_>>();
        return Err(if groups && !keys.is_empty() {
            format!(
                "`{path}` is a group of facts, not one: name one of its fields, {}",
                keys.iter()
                    .map(|k| format!("`{meant}.{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if lists {
            format!("`{path}` is a list: `{meant}.*` matches any of its elements")
        } else {
            format!("`{path}` holds nothing a condition can match")
        });
    }
    let normal: String = meant
        .split('.')
        .map(|s| {
            if s.bytes().all(|c| c.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join(".");
    if let Some((_, words)) = FACT_WORDS.iter().find(|(p, _)| *p == normal) {
        leaf.what = words.what.to_owned();
    }
    Ok(leaf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_of_the_document_leads_to_its_values() {
        let l = resolve("links.*.driver.driver").unwrap();
        assert_eq!(l.types, ["string"]);
        let l = resolve("host.taint.mask").unwrap();
        assert!(l.takes_number(), "{l:?}");
        let l = resolve("links.*.operstate").unwrap();
        assert!(l.words.contains(&"up") && l.words.contains(&"lowerlayerdown"));
        assert_eq!(l.what, "operational state");
        let l = resolve("links.*.duplex").unwrap();
        assert!(l.words.contains(&"full"), "{l:?}");
        assert!(resolve("links.0.speed_mbps").unwrap().takes_number());
        assert!(resolve("storage.fc_hosts.*.statistics.link_failure_count").is_ok());
        assert!(resolve("storage.fc_hosts.*.statistics.*").is_ok());
        assert!(resolve("links.*.speed_mbps.unknown").is_ok());
        assert!(resolve("routes.ipv4.*.dev").is_ok());
        // `flatten`ed: a link's own facts stand beside the interface's.
        assert!(resolve("links.*.name").is_ok());
    }

    #[test]
    fn a_misspelt_path_names_the_path_meant() {
        let e = resolve("lnks.*.driver.driver").unwrap_err();
        assert!(e.ends_with("did you mean `links.*.driver.driver`?"), "{e}");
        let e = resolve("links.driver.driver").unwrap_err();
        assert!(e.ends_with("did you mean `links.*.driver.driver`?"), "{e}");
        let e = resolve("links.*.colour").unwrap_err();
        assert!(e.contains("`links.*` has no `colour`"), "{e}");
        assert!(e.contains("`operstate`"), "{e}");
        let e = resolve("links.*.driver").unwrap_err();
        assert!(e.contains("a group of facts"), "{e}");
        assert!(e.contains("`links.*.driver.driver`"), "{e}");
        let e = resolve("links.*.link_modes.supported").unwrap_err();
        assert!(e.contains("is a list"), "{e}");
        assert!(resolve("links..name").is_err());
        assert!(resolve("host.hostname.first").is_err());
    }
}
