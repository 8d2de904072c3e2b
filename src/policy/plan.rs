//! Cabling plans: which switch port each host port is cabled to, as a
//! DCIM (NetBox, or a spreadsheet) exports its cables. A `cabling` check
//! names a plan file; it is read with the policy, through the same bounded
//! reader, and every mistake in it is an error at its line.
//!
//! CSV: a header row, then one cable a row. The columns are found by name:
//! `host`, `port`, `switch`, `switch_port`, or NetBox's cable export and
//! import names for the same (`side_a_device`, `side_a_name`,
//! `side_b_device`, `side_b_name`, or `Side A`, `Termination A`, ...); other
//! columns (type, status, label...) are not read. YAML: a list of
//! `{host, port, switch, switch_port}` mappings, alone or under `cables:`.
//!
//! A cable is unordered: a row whose switch side names the host is read the
//! other way round.

use std::path::Path;

use super::fields::{Ctx, Fields, PolicyError, string, suggestion};
use super::yaml::{self, Node, Pos, Value};
use crate::source::guard::Deadline;
use crate::source::limits::MAX_PLAN_BYTES;

/// One cable of the plan: a host port and the switch port at its other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cable {
    pub host: String,
    pub port: String,
    pub switch: String,
    pub switch_port: String,
    /// The line of the plan file it was read from.
    pub line: u64,
}

const FIELDS: &[&str] = &["host", "port", "switch", "switch_port"];

/// The column names each field is known by, compared without case,
/// spaces, dashes or underscores.
const ALIASES: &[(&str, &[&str])] = &[
    (
        "host",
        &["host", "device", "sideadevice", "sidea", "devicea"],
    ),
    (
        "port",
        &[
            "port",
            "interface",
            "sideaname",
            "terminationa",
            "interfacea",
            "porta",
        ],
    ),
    ("switch", &["switch", "sidebdevice", "sideb", "deviceb"]),
    (
        "switch_port",
        &[
            "switchport",
            "sidebname",
            "terminationb",
            "interfaceb",
            "portb",
        ],
    ),
];

fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads the plan at `path` (CSV, or YAML by its `.yaml`/`.yml` name).
pub fn load(path: &Path, deadline: Option<Deadline>) -> Result<Vec<Cable>, Vec<PolicyError>> {
    let shown = path.display().to_string();
    let text = super::read_text(path, MAX_PLAN_BYTES, "a cabling plan", deadline).map_err(|e| {
        vec![PolicyError {
            file: shown.clone(),
            pos: None,
            message: format!(
                "cannot read the cabling plan: {}",
                crate::snapshot::io_text(&e)
            ),
        }]
    })?;
    let is_yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if is_yaml {
        parse_yaml(&shown, &text)
    } else {
        parse_csv(&shown, &text)
    }
}

fn error(file: &str, line: u64, col: u64, message: impl Into<String>) -> PolicyError {
    PolicyError {
        file: file.to_owned(),
        pos: Some(Pos { line, col }),
        message: message.into(),
    }
}

pub fn parse_csv(file: &str, text: &str) -> Result<Vec<Cable>, Vec<PolicyError>> {
    let rows = csv_rows(text).map_err(|(line, m)| vec![error(file, line, 1, m)])?;
    let mut rows = rows.into_iter();
    let Some((header_line, header)) = rows.next() else {
        return Err(vec![error(
            file,
            1,
            1,
            "the cabling plan is empty: expected a header row naming host, port, switch, switch_port",
        )]);
    };
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    for (field, aliases) in ALIASES {
        match header
            .iter()
            .position(|h| aliases.contains(&squash(h).as_str()))
        {
            Some(i) => columns.push(i),
            None => {
                let near = header
                    .iter()
                    .map(|h| squash(h))
                    .filter(|h| !h.is_empty())
                    .map(|h| (suggestion(&h, aliases), h))
                    .find(|(s, _)| s.starts_with("did you mean"));
                let hint = match near {
                    Some((s, h)) => format!(": column `{h}` is close ({s})"),
                    None => format!(" (also known as {})", aliases.join(", ")),
                };
                errors.push(error(
                    file,
                    header_line,
                    1,
                    format!("the header names no `{field}` column{hint}"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut cables = Vec::new();
    for (line, row) in rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| row.get(columns[i]).map(|c| c.trim().to_owned());
        let values: Vec<Option<String>> = (0..4).map(cell).collect();
        if let Some(i) = values
            .iter()
            .position(|v| v.as_deref().is_none_or(str::is_empty))
        {
            errors.push(error(
                file,
                line,
                1,
                format!(
                    "this cable has no {} (column {})",
                    FIELDS[i],
                    columns[i] + 1
                ),
            ));
            continue;
        }
        let [host, port, switch, switch_port] =
            <[Option<String>; 4]>::try_from(values).expect("four fields");
        cables.push(Cable {
            host: host.unwrap_or_default(),
            port: port.unwrap_or_default(),
            switch: switch.unwrap_or_default(),
            switch_port: switch_port.unwrap_or_default(),
            line,
        });
    }
    if errors.is_empty() {
        Ok(cables)
    } else {
        Err(errors)
    }
}

/// RFC 4180 rows with the line each starts on: commas, quoted fields with
/// `""` for a quote and line breaks inside, CRLF or LF.
/// A CSV row with the line it starts on.
type Row = (u64, Vec<String>);

fn csv_rows(text: &str) -> Result<Vec<Row>, (u64, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut line = 1u64;
    let mut row_line = 1u64;
    let mut quoted = false;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => {
                quoted = true;
                quote_line = line;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err((quote_line, "a quoted field is never closed".to_owned()));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((row_line, row));
    }
    Ok(rows)
}

pub fn parse_yaml(file: &str, text: &str) -> Result<Vec<Cable>, Vec<PolicyError>> {
    let node = yaml::parse(text).map_err(|e| {
        vec![PolicyError {
            file: file.to_owned(),
            pos: e.pos,
            message: e.message,
        }]
    })?;
    let mut ctx = Ctx::new(file);
    let list = match &node.value {
        Value::Map(_) => Fields::new(&mut ctx, &node, "a cabling plan", &["cables"])
            .and_then(|f| f.required(&mut ctx, "cables", "a cabling plan")),
        _ => Some(&node),
    };
    let mut cables = Vec::new();
    match list.map(|n| &n.value) {
        Some(Value::Seq(items)) => {
            for item in items {
                if let Some(c) = yaml_cable(&mut ctx, item) {
                    cables.push(c);
                }
            }
        }
        Some(other) => ctx.error(
            list.map_or(node.pos, |n| n.pos),
            format!("expected a list of cables, found {}", other.kind()),
        ),
        None => {}
    }
    if ctx.errors.is_empty() {
        Ok(cables)
    } else {
        Err(ctx.errors)
    }
}

fn yaml_cable(ctx: &mut Ctx, node: &Node) -> Option<Cable> {
    let f = Fields::new(ctx, node, "a cable", FIELDS)?;
    let mut get = |key: &str| {
        let n = f.required(ctx, key, "a cable")?;
        match &n.value {
            Value::Int(i) => Some(i.to_string()),
            _ => string(ctx, n, &format!("the cable's {key} (a name)")),
        }
    };
    let (host, port, switch, switch_port) =
        (get("host"), get("port"), get("switch"), get("switch_port"));
    Some(Cable {
        host: host?,
        port: port?,
        switch: switch?,
        switch_port: switch_port?,
        line: node.pos.line,
    })
}

/// Whether a plan's host name is this host: the same name ignoring case,
/// or a short name that is the other's first label (`lb-01` and
/// `lb-01.dc1.example.net`). Two full names in different domains are two
/// hosts: `lb-01.dc2.example.net` is not `lb-01.dc1.example.net`.
pub fn same_host(plan: &str, hostname: &str) -> bool {
    let short_of = |short: &str, full: &str| {
        !short.contains('.')
            && full
                .split('.')
                .next()
                .is_some_and(|label| label.eq_ignore_ascii_case(short))
    };
    plan.eq_ignore_ascii_case(hostname) || short_of(plan, hostname) || short_of(hostname, plan)
}

impl Cable {
    /// This cable seen from `hostname`: `(port, switch, switch_port)` when
    /// one of its ends is the host, with the host's end first.
    pub fn from_host(&self, hostname: &str) -> Option<(&str, &str, &str)> {
        if same_host(&self.host, hostname) {
            Some((&self.port, &self.switch, &self.switch_port))
        } else if same_host(&self.switch, hostname) {
            Some((&self.switch_port, &self.host, &self.port))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netbox_exports_and_plain_headers_read_alike() {
        let plain = "host,port,switch,switch_port\nlb-01,enp65s0f0,sw-a,swp7\n";
        let netbox = "ID,Label,Side A,Termination A,Side B,Termination B,Status\n\
                      12,,lb-01,enp65s0f0,sw-a,swp7,Connected\n";
        let import = "side_a_device,side_a_type,side_a_name,side_b_device,side_b_type,side_b_name\r\n\
                      lb-01,dcim.interface,enp65s0f0,sw-a,dcim.interface,swp7\r\n";
        for text in [plain, netbox, import] {
            let c = parse_csv("plan.csv", text).unwrap();
            assert_eq!(c.len(), 1, "{text}");
            assert_eq!(
                (c[0].host.as_str(), c[0].port.as_str(), c[0].switch.as_str()),
                ("lb-01", "enp65s0f0", "sw-a")
            );
            assert_eq!(c[0].switch_port, "swp7");
            assert_eq!(c[0].line, 2);
        }
    }

    #[test]
    fn quoted_fields_and_lines_are_counted_right() {
        let text = "host,port,switch,switch_port,label\n\
                    lb-01,eno1,\"mgmt, rack 3\",\"Gi1/0/12\",\"two\nlines\"\n\
                    \n\
                    lb-01,eno2,sw,\"say \"\"hi\"\"\",x\n";
        let c = parse_csv("p.csv", text).unwrap();
        assert_eq!(c[0].switch, "mgmt, rack 3");
        assert_eq!(c[1].switch_port, "say \"hi\"");
        assert_eq!(c[1].line, 5);
    }

    #[test]
    fn mistakes_name_the_file_line_and_column() {
        let err = |text: &str| -> Vec<String> {
            parse_csv("plan.csv", text)
                .unwrap_err()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            err("host,port,swich,switch_port\n"),
            [
                "plan.csv:1:1: the header names no `switch` column: column `swich` is close (did you mean `switch`?)"
            ]
        );
        assert_eq!(
            err("host,port,switch,switch_port\nlb-01,eno1,,x\n"),
            ["plan.csv:2:1: this cable has no switch (column 3)"]
        );
        assert_eq!(
            err("host,port,switch,switch_port\nlb-01,\"eno1\n"),
            ["plan.csv:2:1: a quoted field is never closed"]
        );
        assert!(err("")[0].contains("the cabling plan is empty"));
    }

    #[test]
    fn yaml_plans_are_strict() {
        let ok = "cables:\n  - { host: lb-01, port: enp65s0f0, switch: sw-a, switch_port: swp7 }\n";
        let c = parse_yaml("p.yaml", ok).unwrap();
        assert_eq!(c[0].switch_port, "swp7");
        assert_eq!(c[0].line, 2);
        let bare = "- { host: lb-01, port: eno1, switch: m, switch_port: 12 }\n";
        assert_eq!(parse_yaml("p.yaml", bare).unwrap()[0].switch_port, "12");
        let e = parse_yaml(
            "p.yaml",
            "- { host: lb-01, prot: eno1, switch: m, switch_port: 1 }\n",
        )
        .unwrap_err();
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(
            e[0].contains("p.yaml:1:") && e[0].contains("did you mean `port`?"),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m.contains("a cable needs `port`")),
            "{e:?}"
        );
    }

    #[test]
    fn a_cable_is_read_from_whichever_end_is_the_host() {
        let c = Cable {
            host: "sw-a".into(),
            port: "swp7".into(),
            switch: "LB-01.dc1.example.net".into(),
            switch_port: "enp65s0f0".into(),
            line: 2,
        };
        assert_eq!(c.from_host("lb-01"), Some(("enp65s0f0", "sw-a", "swp7")));
        assert_eq!(c.from_host("lb-02"), None);
    }

    #[test]
    fn a_host_of_the_same_name_in_another_domain_is_another_host() {
        assert!(same_host("lb-01", "lb-01.dc1.example.net"));
        assert!(same_host("LB-01.dc1.example.net", "lb-01"));
        assert!(same_host("lb-01.DC1.example.net", "lb-01.dc1.example.net"));
        assert!(!same_host("lb-01.dc2.example.net", "lb-01.dc1.example.net"));
        assert!(!same_host("lb-01.dc2", "lb-01.dc1.example.net"));
        assert!(!same_host("lb-0", "lb-01"));
    }
}
