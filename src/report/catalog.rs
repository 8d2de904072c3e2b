//! The check catalog: `hostlint rules` lists the kinds, `hostlint explain
//! KIND` documents one, both read from the registry in `check`.

use super::layout::{Cell, Table, hanging};
use super::table::Style;
use crate::check::{KINDS, KindDoc};

/// The kinds, one a row, laid out to the width.
pub fn rules(style: &Style) -> String {
    let mut out = String::new();
    hanging(
        &mut out,
        &Cell::new("Check kinds (hostlint explain KIND for the fields and an example):"),
        2,
        style,
    );
    out.push('\n');
    let mut t = Table::new(style, &["KIND", "WHAT IT CHECKS", "SEVERITY"]);
    for k in KINDS {
        t.add_row([k.name, k.summary, k.default_severity.as_str()]);
    }
    t.render(&mut out);
    out
}

fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub fn explain(k: &KindDoc) -> String {
    let mut out = format!("{}: {}\n\nWhat it does\n", k.name, k.summary);
    out.push_str(&wrap(k.what, "  ", 76));
    out.push_str("\nWhy\n");
    out.push_str(&wrap(k.why, "  ", 76));
    out.push_str(&format!(
        "\nDefault severity: {}\n\nFields\n",
        k.default_severity.as_str()
    ));
    for f in k.fields {
        out.push_str(&format!("  {}\n", f.name));
        out.push_str(&wrap(f.doc, "      ", 72));
    }
    out.push_str("\nExample (an entry of a policy's `checks:` list)\n\n");
    for line in k.example.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
