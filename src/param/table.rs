//! Repeated tables of a scenario file, such as the climate model's
//! `[[interventions]]`: a list of entries, each of a kind (`kind = "..."`)
//! with the keys of its kind. A model declares its repeated tables with
//! [`RepeatedTable`]; the scenario reader walks them without knowing the
//! model. Entry `i`'s keys are parameters at `<key>.<i>.<field>` (and, for
//! sweeps, `<key>.<name>.<field>` when the entry has a name).

use crate::param::Field;

/// One repeated table of a model's scenario files.
#[derive(Clone, Copy, Debug)]
pub struct RepeatedTable {
    /// The table's key (`interventions` for `[[interventions]]`).
    pub key: &'static str,
    /// What one entry is called in messages (`intervention`).
    pub entry: &'static str,
    /// The key naming an entry's kind (`kind`).
    pub kind_key: &'static str,
    /// The key of an entry's optional name (sweep keys may use it).
    pub name_key: &'static str,
    /// The kinds, by name.
    pub kinds: &'static [&'static str],
    /// The field of entry `index`'s kind key.
    pub kind_field: fn(index: usize) -> &'static Field,
    /// Every field of entry `index` of kind `kind` (its kind key first),
    /// with paths `<key>.<index>.<field>`; `None` for a kind that is not
    /// one of `kinds`.
    pub fields: fn(index: usize, kind: &str) -> Option<Vec<&'static Field>>,
}
