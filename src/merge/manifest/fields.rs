//! [`Fields`]: the fields of one manifest read with their types and
//! ranges checked, every problem naming the file and the field.

use serde_json::{Map, Value};

use super::{describe, pointer};

/// Problems found in one manifest, each naming the file and the field.
pub(in crate::merge) struct Fields<'a> {
    /// The manifest's path, as messages show it.
    pub file: String,
    /// The manifest.
    pub m: &'a Map<String, Value>,
    /// Where problems go.
    pub problems: &'a mut Vec<String>,
}

impl<'a> Fields<'a> {
    /// The value at `ptr` (a `/`-separated path).
    pub fn get(&self, ptr: &str) -> Option<&'a Value> {
        pointer(self.m, ptr)
    }

    /// Records that `field` holds `found` where `expected` was.
    pub fn problem(&mut self, field: &str, expected: &str, found: Option<&Value>) {
        let found = describe(found);
        self.problems.push(format!(
            "{}: {field}: expected {expected}, found {found}",
            self.file
        ));
    }

    /// An integer in `min..=max` at `ptr` (a `/`-separated path).
    pub fn uint(&mut self, ptr: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.get(ptr);
        match v.and_then(Value::as_u64) {
            Some(x) if (min..=max).contains(&x) => Some(x),
            _ => {
                let expected = if max == u64::MAX {
                    format!("an integer >= {min}")
                } else {
                    format!("an integer from {min} to {max}")
                };
                let v = v.cloned();
                self.problem(&ptr.replace('/', "."), &expected, v.as_ref());
                None
            }
        }
    }

    /// A boolean at `ptr`.
    pub fn boolean(&mut self, ptr: &str) -> Option<bool> {
        let v = self.get(ptr);
        match v.and_then(Value::as_bool) {
            Some(b) => Some(b),
            None => {
                let v = v.cloned();
                self.problem(&ptr.replace('/', "."), "true or false", v.as_ref());
                None
            }
        }
    }
}
