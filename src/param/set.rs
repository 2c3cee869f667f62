//! A resolved set of parameters: every field of the scenario's model with
//! the value the file gave, the sweep point chose, or the default.

use rustc_hash::FxHashMap;

use crate::param::value::Value;

/// Every parameter of one sweep point, by dotted path, in schema order
/// (with an index by path, so that a scenario with many interventions,
/// hence many parameters, is read in linear time).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamSet {
    values: Vec<(&'static str, Value)>,
    index: FxHashMap<&'static str, usize>,
}

impl ParamSet {
    /// An empty set.
    pub fn new() -> Self {
        ParamSet::default()
    }

    /// Sets (or replaces) a value.
    pub fn set(&mut self, path: &'static str, value: Value) {
        match self.index.get(path) {
            Some(&i) => self.values[i].1 = value,
            None => {
                self.index.insert(path, self.values.len());
                self.values.push((path, value));
            }
        }
    }

    /// The value at `path`, if present.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.index.get(path).map(|&i| &self.values[i].1)
    }

    /// All (path, value) pairs in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.values.iter().map(|(p, v)| (*p, v))
    }

    fn must(&self, path: &str) -> &Value {
        // Every field of the model is filled (from the file, the sweep or the
        // default) before a ParamSet is handed out, so a miss is a bug in
        // ideaflow, never a user error.
        self.get(path)
            .unwrap_or_else(|| panic!("internal error: parameter `{path}` was not resolved"))
    }

    /// A numeric parameter as a real number.
    pub fn f64(&self, path: &str) -> f64 {
        self.must(path)
            .as_f64()
            .unwrap_or_else(|| panic!("internal error: `{path}` is not numeric"))
    }

    /// An integer parameter.
    pub fn i64(&self, path: &str) -> i64 {
        self.must(path)
            .as_i64()
            .unwrap_or_else(|| panic!("internal error: `{path}` is not an integer"))
    }

    /// A non-negative integer parameter.
    pub fn u64(&self, path: &str) -> u64 {
        u64::try_from(self.i64(path))
            .unwrap_or_else(|_| panic!("internal error: `{path}` is negative"))
    }

    /// A string parameter.
    pub fn str(&self, path: &str) -> &str {
        self.must(path)
            .as_str()
            .unwrap_or_else(|| panic!("internal error: `{path}` is not a string"))
    }

    /// A boolean parameter.
    pub fn bool(&self, path: &str) -> bool {
        self.must(path)
            .as_bool()
            .unwrap_or_else(|| panic!("internal error: `{path}` is not a boolean"))
    }

    /// The parameters as a JSON object (for the manifest).
    pub fn to_json(&self) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .map(|(p, v)| (p.to_string(), v.to_json()))
            .collect();
        serde_json::Value::Object(map)
    }
}
