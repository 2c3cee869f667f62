//! The walk of a scenario file's TOML table against the models' schemas:
//! every key is checked (unknown keys, wrong types, values out of range)
//! and every value the file sets is recorded with its place; `[sweep]` and
//! the models' repeated tables (`[[interventions]]`) are set aside for
//! their own readers.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Collector;
use super::schema;
use super::values::check_value;
use crate::model::ModelKind;
use crate::param::{Field, RepeatedTable, Value};

/// The repeated table (of any model) whose key is `key`.
pub(super) fn repeated_table(key: &str) -> Option<&'static RepeatedTable> {
    ModelKind::ALL
        .iter()
        .flat_map(|m| m.repeated_tables())
        .find(|t| t.key == key)
}

/// A field the file sets, with its value and where it is.
pub(super) struct Set {
    /// The field.
    pub field: &'static Field,
    /// Its value.
    pub value: Value,
    /// Where the value is in its file.
    pub span: Range<usize>,
    /// Set in the base scenario (`extends`), not in this file.
    pub from_base: bool,
}

/// A walk of one file's table: its problems, the fields it sets, and what
/// it sets aside for other readers.
pub(super) struct Walk<'a, 'i> {
    /// Problems found in the file.
    pub c: Collector,
    /// The fields the file sets.
    pub set: Vec<Set>,
    /// The `[sweep]` table.
    pub sweep: Option<&'a Spanned<DeValue<'i>>>,
    /// Repeated tables (`[[interventions]]`): their key, where the key
    /// is, and their value.
    pub repeated: Vec<(&'static str, Range<usize>, &'a Spanned<DeValue<'i>>)>,
}

/// A dotted path: `prefix.key` (or `key` at the top).
pub(super) fn join(prefix: &str, key: &str) -> String {
    let key = key_text(key);
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// A key as shown in messages: the empty key (`"" = 1`, valid TOML) as
/// `""`, so that it is not rendered as nothing.
pub(super) fn key_text(key: &str) -> String {
    if key.is_empty() {
        "\"\"".to_string()
    } else {
        key.to_string()
    }
}

impl<'a, 'i> Walk<'a, 'i> {
    /// A walk collecting into `c`.
    pub fn new(c: Collector) -> Self {
        Walk {
            c,
            set: Vec::new(),
            sweep: None,
            repeated: Vec::new(),
        }
    }

    /// Walks `table` (at `prefix`), checking every key against the schema.
    pub fn table(&mut self, table: &'a DeTable<'i>, prefix: &str) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            if key.get_ref().contains('.') {
                // A quoted key such as "bass.p" is one literal key in TOML,
                // not a path: accepting it would let two spellings of the
                // same parameter disagree silently.
                let (table_name, leaf) = key
                    .get_ref()
                    .rsplit_once('.')
                    .unwrap_or(("", key.get_ref()));
                let help = (!leaf.is_empty() && !table_name.is_empty()).then(|| {
                    format!(
                        "write `{leaf} = ...` under [{}] (quoted dotted paths are only for [sweep])",
                        join(prefix, table_name)
                    )
                });
                self.c.push(
                    Some(key.span()),
                    Some(&path),
                    format!(
                        "expected a plain key, found the quoted dotted key \"{}\"",
                        key.get_ref()
                    ),
                    help,
                );
                continue;
            }
            if prefix.is_empty()
                && let Some(t) = repeated_table(key.get_ref())
            {
                self.repeated.push((t.key, key.span(), value));
                continue;
            }
            if prefix.is_empty() && key.get_ref() == "sweep" {
                if value.get_ref().as_table().is_some() {
                    self.sweep = Some(value);
                } else {
                    self.c.expected(
                        Some(value.span()),
                        "sweep",
                        "a table [sweep]",
                        &describe(value.get_ref()),
                    );
                }
                continue;
            }
            if let Some(field) = schema::all_fields().find(|f| f.path == path) {
                if let Some(v) = check_value(&mut self.c, field, value) {
                    self.set.push(Set {
                        field,
                        value: v,
                        span: value.span(),
                        from_base: false,
                    });
                }
            } else if schema::is_table(&path) {
                match value.get_ref().as_table() {
                    Some(t) => self.table(t, &path),
                    None => self.c.expected(
                        Some(value.span()),
                        &path,
                        &format!("a table [{path}]"),
                        &describe(value.get_ref()),
                    ),
                }
            } else {
                let candidates = sibling_names(prefix);
                let hint = schema::suggestions(key.get_ref(), candidates.iter().copied());
                let help = if hint.is_empty() {
                    Some(format!("known keys here: {}", candidates.join(", ")))
                } else {
                    Some(format!("did you mean {}?", quote_list(&hint)))
                };
                let place = if prefix.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in [{prefix}]")
                };
                self.c.push(
                    Some(key.span()),
                    Some(&path),
                    format!(
                        "expected a known key {place}, found unknown key `{}`",
                        key_text(key.get_ref())
                    ),
                    help,
                );
            }
        }
    }
}

/// Keys and sub-tables that may appear in the table at `prefix`.
fn sibling_names(prefix: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for f in schema::all_fields() {
        let rest = if prefix.is_empty() {
            Some(f.path)
        } else {
            f.path
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
        };
        if let Some(rest) = rest {
            let first = rest.split('.').next().unwrap_or(rest);
            if !names.contains(&first) {
                names.push(first);
            }
        }
    }
    if prefix.is_empty() {
        names.push("sweep");
    }
    names
}

/// `a` or `b` or `c`, quoted as code.
pub(super) fn quote_list(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    q.join(" or ")
}

/// How a TOML value is described in "found ...".
pub(super) fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("the string \"{s}\""),
        DeValue::Integer(i) => format!("the integer {i}"),
        DeValue::Float(x) => format!("the number {x}"),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}
