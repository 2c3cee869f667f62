//! Parameter values as read from a scenario, and how they are written back
//! (to CSV columns, to TOML for `ideaflow show`, to JSON for the manifest).

use std::fmt::Write as _;

/// One parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A real number (always finite).
    Float(f64),
    /// A string: a choice from a fixed set, or free text.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A list of strings (e.g. `[output] metrics`).
    StrList(Vec<String>),
    /// A list of integers (e.g. the departments an intervention targets).
    IntList(Vec<i64>),
}

impl Value {
    /// The value as a real number, if it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            _ => None,
        }
    }

    /// The value as an integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value as it appears in a CSV field: shortest round-trip numbers,
    /// booleans as 0/1, strings verbatim (the CSV writer quotes if needed).
    pub fn to_field(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(x) => format_f64(*x),
            Value::Str(s) => s.clone(),
            Value::Bool(b) => u8::from(*b).to_string(),
            Value::StrList(v) => v.join(" "),
            Value::IntList(v) => v
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// The value as a TOML literal.
    pub fn to_toml(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(x) => {
                let s = format_f64(*x);
                if s.contains(['.', 'e', 'E']) {
                    s
                } else {
                    format!("{s}.0")
                }
            }
            Value::Str(s) => toml_string(s),
            Value::Bool(b) => b.to_string(),
            Value::IntList(v) => {
                let items: Vec<String> = v.iter().map(|i| i.to_string()).collect();
                format!("[{}]", items.join(", "))
            }
            Value::StrList(v) => {
                let mut out = String::from("[");
                for (i, s) in v.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&toml_string(s));
                }
                out.push(']');
                out
            }
        }
    }

    /// The value as JSON (for the manifest).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(x) => serde_json::Value::from(*x),
            Value::Str(s) => serde_json::Value::from(s.as_str()),
            Value::Bool(b) => serde_json::Value::from(*b),
            Value::StrList(v) => serde_json::Value::from(v.clone()),
            Value::IntList(v) => serde_json::Value::from(v.clone()),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_toml())
    }
}

/// Shortest decimal that reads back as the same double (ryu); an empty
/// string for a non-finite value, which CSV readers take as missing.
pub fn format_f64(x: f64) -> String {
    if x.is_finite() {
        let mut b = ryu::Buffer::new();
        let s = b.format_finite(x);
        s.strip_suffix(".0").unwrap_or(s).to_string()
    } else {
        String::new()
    }
}

/// Rounds to 12 significant digits, so that a range such as
/// `from = 0.1, by = 0.1` gives 0.3 and not 0.30000000000000004.
pub fn round_sig12(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let s = format!("{x:.11e}");
    s.parse().unwrap_or(x)
}

fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_shortest_and_integral_floats_lose_the_point() {
        assert_eq!(format_f64(0.3312), "0.3312");
        assert_eq!(format_f64(1.0), "1");
        assert_eq!(format_f64(f64::NAN), "");
        assert_eq!(Value::Float(1.0).to_toml(), "1.0");
        assert_eq!(Value::Float(1e-7).to_toml(), "1e-7");
    }

    #[test]
    fn rounding_removes_binary_noise() {
        assert_eq!(format_f64(round_sig12(0.1 + 0.2)), "0.3");
        assert_eq!(format_f64(round_sig12(0.01 + 2.0 * 0.01)), "0.03");
        assert_eq!(format_f64(round_sig12(-5.0)), "-5");
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(Value::Str("a\"b".into()).to_toml(), r#""a\"b""#);
    }
}
