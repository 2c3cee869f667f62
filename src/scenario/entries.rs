//! The entries of a model's repeated tables (`[[interventions]]` for the
//! climate model), read through the table's declaration
//! ([`RepeatedTable`]): each entry's kind, then its keys against that
//! kind's fields, then its optional name (which sweep keys may use). The
//! reader knows no model: the table says what its kinds and keys are.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Collector;
use super::schema;
use super::values::check_value;
use super::walk::{Set, describe, join, key_text, quote_list};
use crate::param::{Field, RepeatedTable, Value};

/// One entry of a repeated table: its fields (paths
/// `<table>.<index>.<key>`) and its optional name.
pub(super) struct Decl {
    /// The table's key (`interventions`).
    pub table: &'static str,
    /// The entry's name, if it has one.
    pub name: Option<String>,
    /// Every field of the entry (of its kind).
    pub fields: Vec<&'static Field>,
}

/// Checks an entry's name, which sweep keys use as
/// `<table>.<name>.<key>`: one word, not a number (that would read as an
/// index), not the name of an earlier entry.
fn check_name(t: &RepeatedTable, name: &str, earlier: &[Decl], mine: &[Decl]) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let (key, entry) = (t.key, t.entry);
    if name.contains('.') || name.chars().any(char::is_whitespace) {
        return Some(format!(
            "expected a name without dots or spaces (sweep keys read {key}.<name>.<key>), found {name:?}"
        ));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "expected a name that is not a number ({key}.{name}.<key> names {entry} number {name}), found {name:?}"
        ));
    }
    if earlier
        .iter()
        .chain(mine)
        .any(|d| d.table == key && d.name.as_deref() == Some(name))
    {
        return Some(format!(
            "expected each {entry}'s name once (sweep keys would be ambiguous), found {name:?} a second time"
        ));
    }
    None
}

/// Checks every entry of the repeated table `t` (its value in the file is
/// `value`) against the keys of its kind, recording the values it sets.
/// `earlier` are the entries before these (a base scenario's): they
/// number first.
pub(super) fn walk(
    t: &'static RepeatedTable,
    c: &mut Collector,
    set: &mut Vec<Set>,
    value: &Spanned<DeValue<'_>>,
    earlier: &[Decl],
) -> Vec<Decl> {
    let first = earlier.iter().filter(|d| d.table == t.key).count();
    let Some(items) = value.get_ref().as_array() else {
        c.expected(
            Some(value.span()),
            t.key,
            &format!("an array of tables [[{}]]", t.key),
            &describe(value.get_ref()),
        );
        return Vec::new();
    };
    let mut decls = Vec::new();
    for (local, item) in items.iter().enumerate() {
        let index = first + local;
        let Some(table) = item.get_ref().as_table() else {
            c.expected(
                Some(item.span()),
                t.key,
                &format!("a table [[{}]]", t.key),
                &describe(item.get_ref()),
            );
            continue;
        };
        let Some((kind, fields)) = entry_kind(t, c, set, item, table, index) else {
            continue;
        };
        let prefix = format!("{}.{index}", t.key);
        let mut w = EntryWalk {
            t,
            fields: &fields,
            kind,
            name: None,
        };
        w.table(c, set, table, &prefix);
        let name = w.name;
        if let Some(n) = &name
            && let Some(problem) = check_name(t, n, earlier, &decls)
        {
            let span = table.get(t.name_key).map(|v| v.span());
            c.push(
                span,
                Some(&format!("{prefix}.{}", t.name_key)),
                problem,
                None,
            );
        }
        decls.push(Decl {
            table: t.key,
            name,
            fields,
        });
    }
    decls
}

/// Entry `index`'s kind and the fields of that kind (recording the kind
/// as a value set), or None when its kind is missing or unknown (reported).
fn entry_kind(
    t: &RepeatedTable,
    c: &mut Collector,
    set: &mut Vec<Set>,
    item: &Spanned<DeValue<'_>>,
    table: &DeTable<'_>,
    index: usize,
) -> Option<(&'static str, Vec<&'static Field>)> {
    let kind_field = (t.kind_field)(index);
    let Some(k) = table.get(t.kind_key) else {
        c.push(
            Some(item.span()),
            Some(kind_field.path),
            format!(
                "expected `{} = \"...\"` in [[{}]] number {}, found none",
                t.kind_key,
                t.key,
                index + 1
            ),
            Some(format!("kinds: {}", t.kinds.join(", "))),
        );
        return None;
    };
    let Some(Value::Str(name)) = check_value(c, kind_field, k) else {
        return None;
    };
    let kind = t.kinds.iter().copied().find(|n| *n == name)?;
    let fields = (t.fields)(index, kind)?;
    set.push(Set {
        field: kind_field,
        value: Value::Str(name),
        span: k.span(),
        from_base: false,
    });
    Some((kind, fields))
}

/// One entry being read: its table, the fields of its kind, and the name
/// found so far.
struct EntryWalk<'t> {
    t: &'t RepeatedTable,
    fields: &'t [&'static Field],
    kind: &'static str,
    name: Option<String>,
}

impl EntryWalk<'_> {
    /// Checks the keys of the entry (or of a table inside it, at
    /// `prefix`) against the fields of its kind.
    fn table(&mut self, c: &mut Collector, set: &mut Vec<Set>, table: &DeTable<'_>, prefix: &str) {
        let entry_level = prefix.matches('.').count() == 1;
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            if entry_level && key.get_ref() == self.t.kind_key {
                continue;
            }
            if let Some(&f) = self.fields.iter().find(|f| f.path == path) {
                if let Some(v) = check_value(c, f, value) {
                    if entry_level
                        && key.get_ref() == self.t.name_key
                        && let Value::Str(n) = &v
                    {
                        self.name = Some(n.clone());
                    }
                    set.push(Set {
                        field: f,
                        value: v,
                        span: value.span(),
                        from_base: false,
                    });
                }
            } else if self
                .fields
                .iter()
                .any(|f| f.path.starts_with(&format!("{path}.")))
            {
                match value.get_ref().as_table() {
                    Some(sub) => self.table(c, set, sub, &path),
                    None => c.expected(
                        Some(value.span()),
                        &path,
                        &format!("a table `{}`", key.get_ref()),
                        &describe(value.get_ref()),
                    ),
                }
            } else {
                self.unknown_key(c, key, &path, prefix);
            }
        }
    }

    /// Reports a key that no field of the entry's kind has.
    fn unknown_key(
        &self,
        c: &mut Collector,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        path: &str,
        prefix: &str,
    ) {
        let keys: Vec<&str> = self
            .fields
            .iter()
            .filter_map(|f| {
                f.path
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('.'))
            })
            .map(|r| r.split('.').next().unwrap_or(r))
            .collect();
        let hint = schema::suggestions(key.get_ref(), keys.iter().copied());
        let (kind, entry) = (self.kind, self.t.entry);
        let help = if hint.is_empty() {
            format!("keys of a {kind} {entry}: {}", keys.join(", "))
        } else {
            format!("did you mean {}?", quote_list(&hint))
        };
        c.push(
            Some(key.span()),
            Some(path),
            format!(
                "expected a key of a `{kind}` {entry}, found unknown key `{}`",
                key_text(key.get_ref())
            ),
            Some(help),
        );
    }
}

/// The field a sweep key names in an entry: `<table>.<index or
/// name>.<key>`.
pub(super) fn field_of_sweep_key(path: &str, decls: &[Decl]) -> Option<&'static Field> {
    let (table, rest) = path.split_once('.')?;
    let (who, key) = rest.split_once('.')?;
    let mut mine = decls.iter().filter(|d| d.table == table);
    let decl = match who.parse::<usize>() {
        Ok(i) => mine.nth(i)?,
        Err(_) => mine.find(|d| d.name.as_deref() == Some(who))?,
    };
    let suffix = format!(".{key}");
    decl.fields.iter().copied().find(|f| {
        f.path.ends_with(&suffix) && f.path.matches('.').count() == key.matches('.').count() + 2
    })
}
