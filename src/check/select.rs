//! What the storage check kinds share: a `select` of text matchers and
//! yes/no keys, deciding a subject with facts that may be unknown, counts
//! judged with number matchers, and the loop that turns selected subjects
//! into findings.

use super::{Judgement, finding, nothing_selected, unreadable};
use crate::finding::Finding;
use crate::policy::Check;
use crate::policy::fields::{Ctx, Fields, boolean, suggestion};
use crate::policy::matcher::{Counter, Num, Text};
use crate::policy::yaml::{Node, Value};
use crate::snapshot::values::Words;
use crate::snapshot::{Fact, Missing, Reason};

/// A parsed `select:` of text keys and yes/no keys.
#[derive(Debug, Clone, Default)]
pub struct Select {
    pub texts: Vec<(&'static str, Text)>,
    pub flags: Vec<(&'static str, bool)>,
}

impl Select {
    pub fn parse(
        ctx: &mut Ctx,
        node: &Node,
        what: &str,
        text_keys: &[&'static str],
        flag_keys: &[&'static str],
    ) -> Option<Select> {
        Select::parse_with_words(ctx, node, what, text_keys, flag_keys, &[])
    }

    /// As [`Select::parse`], the values of some text keys one of a set of
    /// words (`device_type: end device`).
    pub fn parse_with_words(
        ctx: &mut Ctx,
        node: &Node,
        what: &str,
        text_keys: &[&'static str],
        flag_keys: &[&'static str],
        words: &[(&str, &Words)],
    ) -> Option<Select> {
        let keys: Vec<&str> = text_keys.iter().chain(flag_keys).copied().collect();
        let before = ctx.errors.len();
        let f = Fields::new(ctx, node, what, &keys)?;
        let mut s = Select::default();
        for k in text_keys {
            if let Some(n) = f.get(k) {
                let text = match words.iter().find(|(key, _)| key == k) {
                    Some((_, w)) => Text::parse_words(ctx, n, w),
                    None => Text::parse(ctx, n, k),
                };
                s.texts.push((k, text?));
            }
        }
        for k in flag_keys {
            if let Some(n) = f.get(k) {
                s.flags.push((k, boolean(ctx, n, "true or false")?));
            }
        }
        // An empty selector is worth saying only when no misspelt key
        // already explains it.
        if s.texts.is_empty() && s.flags.is_empty() && ctx.errors.len() == before {
            ctx.error(
                node.pos,
                format!("{what} is empty: select with {}", keys.join(", ")),
            );
            return None;
        }
        if s.texts.is_empty() && s.flags.is_empty() {
            return None;
        }
        Some(s)
    }

    pub fn text(&self, key: &str) -> Option<&Text> {
        self.texts.iter().find(|(k, _)| *k == key).map(|(_, t)| t)
    }

    pub fn flag(&self, key: &str) -> Option<bool> {
        self.flags.iter().find(|(k, _)| *k == key).map(|(_, b)| *b)
    }

    pub fn describe(&self) -> String {
        self.texts
            .iter()
            .map(|(k, t)| format!("{k} {t}"))
            .chain(self.flags.iter().map(|(k, b)| format!("{k} {b}")))
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// Decides whether a subject is selected, key by key. A fact that does
/// not apply (not supported) does not match; one that could not be read
/// leaves the subject undecided: an UNKNOWN finding, never a silent skip.
pub struct Decide<'s> {
    sel: &'s Select,
    all: bool,
    undecided: Option<String>,
}

impl<'s> Decide<'s> {
    pub fn new(sel: &'s Select) -> Self {
        Decide {
            sel,
            all: true,
            undecided: None,
        }
    }

    pub fn text(&mut self, key: &str, fact: Fact<&str>) -> &mut Self {
        if let Some(m) = self.sel.text(key) {
            match fact {
                Fact::Known(v) => self.all &= m.matches(v),
                Fact::Unknown(miss) if miss.reason == Reason::NotSupported => self.all = false,
                Fact::Unknown(miss) => self.undecided = Some(format!("{key} unknown: {miss}")),
            }
        }
        self
    }

    pub fn flag(&mut self, key: &str, fact: Fact<bool>) -> &mut Self {
        if let Some(want) = self.sel.flag(key) {
            match fact {
                Fact::Known(v) => self.all &= v == want,
                Fact::Unknown(miss) => self.undecided = Some(format!("{key} unknown: {miss}")),
            }
        }
        self
    }

    pub fn result(&self) -> Result<bool, String> {
        match &self.undecided {
            Some(why) if self.all => Err(why.clone()),
            _ => Ok(self.all),
        }
    }
}

/// Findings for every subject of a part a selector picks.
pub struct Each<'a, T> {
    pub check: &'a Check,
    /// `multipath map`, `FC port`: what a subject is, for messages.
    pub what: &'a str,
    pub items: &'a Fact<Vec<T>>,
    /// Where the whole part is read from, for the evidence of a part that
    /// could not be read or selected nothing.
    pub evidence: Vec<String>,
    pub select: &'a Select,
}

impl<T> Each<'_, T> {
    pub fn findings(
        &self,
        decide: impl Fn(&T) -> Result<bool, String>,
        subject: impl Fn(&T) -> String,
        judge: impl Fn(&T) -> Vec<Judgement>,
    ) -> Vec<Finding> {
        let items = match self.items {
            Fact::Known(i) => i,
            Fact::Unknown(m) => {
                return vec![unreadable(
                    self.check,
                    &format!("({}s)", self.what),
                    &format!("{}s", self.what),
                    m,
                    self.evidence.clone(),
                )];
            }
        };
        let mut out = Vec::new();
        for item in items {
            match decide(item) {
                Ok(false) => {}
                Ok(true) => out.push(finding(self.check, subject(item), judge(item))),
                Err(why) => {
                    let mut f = finding(
                        self.check,
                        subject(item),
                        vec![Judgement {
                            ok: None,
                            expected: format!(
                                "{} selected by {}",
                                self.what,
                                self.select.describe()
                            ),
                            observed: format!("cannot tell whether it is selected: {why}"),
                            evidence: self.evidence.clone(),
                            remediation: "",
                        }],
                    );
                    f.remediation = "read the fact by hand, or select by name".into();
                    out.push(f);
                }
            }
        }
        if out.is_empty() {
            out.push(nothing_selected(
                self.check,
                self.what,
                &self.select.describe(),
                self.evidence.clone(),
            ));
        }
        out
    }
}

/// A mapping of counter names to counter matchers (`counters: {
/// invalid_crc_count: { max: 0 } }`), each name one of `names`: another is
/// an error with the nearest name suggested (`what` says what a name is:
/// "FC statistic").
pub fn named_counters(
    ctx: &mut Ctx,
    node: &Node,
    what: &str,
    names: &[&str],
) -> Vec<(String, Counter)> {
    let Value::Map(entries) = &node.value else {
        ctx.error(
            node.pos,
            format!("expected counters (a mapping), found {}", node.value.kind()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        if !names.contains(&k.name.as_str()) {
            ctx.error(
                k.pos,
                format!(
                    "unknown {what} `{}`: {}",
                    k.name,
                    suggestion(&k.name, names)
                ),
            );
            continue;
        }
        out.extend(Counter::parse(ctx, v, &k.name).map(|m| (k.name.clone(), m)));
    }
    out
}

/// A count of things judged with a number matcher; `shown` says which.
pub fn count(
    what: &str,
    n: Fact<usize>,
    m: &Num,
    shown: &str,
    evidence: &str,
    hint: &'static str,
) -> Judgement {
    Judgement::of(
        what,
        &n,
        m,
        evidence,
        hint,
        |n| m.matches(*n as f64),
        |n| {
            if shown.is_empty() {
                n.to_string()
            } else {
                format!("{n} ({shown})")
            }
        },
    )
}

/// A count of which `sure` things are certain and up to `unsure` more
/// could be, had a fact of theirs been read (`why`, the first such fact).
/// The facts read decide it when every count from `sure` to `sure +
/// unsure` gives the same answer (two optimized paths of three meet
/// `{ min: 1 }` whatever the third is); otherwise it is unknown, never
/// a guess either way.
#[allow(clippy::too_many_arguments)]
pub fn count_between(
    what: &str,
    sure: usize,
    unsure: usize,
    why: Option<&Missing>,
    m: &Num,
    shown: &str,
    evidence: &str,
    hint: &'static str,
) -> Judgement {
    let Some(why) = why.filter(|_| unsure > 0) else {
        return count(what, Fact::Known(sure), m, shown, evidence, hint);
    };
    let first = m.matches(sure as f64);
    let decided = (sure..=sure + unsure).all(|n| m.matches(n as f64) == first);
    let listed = if shown.is_empty() {
        String::new()
    } else {
        format!(" ({shown})")
    };
    Judgement {
        ok: decided.then_some(first),
        expected: format!("{what} {m}"),
        observed: format!(
            "{what} {sure} to {}{listed}: {unsure} unknown, {why}",
            sure + unsure
        ),
        evidence: vec![evidence.to_owned()],
        remediation: hint,
    }
}

/// Every element's fact against a number matcher: fails when one fails,
/// unknown when none fails and one is unknown.
pub fn each_number<'t>(
    what: &str,
    items: impl IntoIterator<Item = (&'t str, Fact<f64>)>,
    m: &Num,
    unit: &str,
    evidence: &str,
    hint: &'static str,
) -> Judgement {
    let mut bad = Vec::new();
    let mut unknown: Option<Missing> = None;
    let mut shown = Vec::new();
    let mut values = Vec::new();
    for (name, f) in items {
        match f {
            Fact::Known(v) => {
                values.push(v);
                shown.push(format!("{name} {}{unit}", fmt(v)));
                if !m.matches(v) {
                    bad.push(format!("{name} {}{unit}", fmt(v)));
                }
            }
            Fact::Unknown(miss) => {
                shown.push(format!("{name} unknown ({})", miss.reason));
                unknown.get_or_insert(miss);
            }
        }
    }
    let (ok, observed) = if !bad.is_empty() {
        (Some(false), bad.join(", "))
    } else if let Some(miss) = &unknown {
        (None, format!("{}; {}", shown.join(", "), miss))
    } else if shown.is_empty() {
        (Some(true), "none".to_owned())
    } else if let [first, rest @ ..] = values.as_slice()
        && !rest.is_empty()
        && rest.iter().all(|v| v == first)
    {
        (Some(true), format!("all {}{unit}", fmt(*first)))
    } else {
        (Some(true), shown.join(", "))
    };
    Judgement {
        ok,
        expected: format!("{what} {m}{unit} on each"),
        observed: format!("{what} {observed}"),
        evidence: vec![evidence.to_owned()],
        remediation: hint,
    }
}

pub fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}
