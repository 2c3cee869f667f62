//! Reading and checking the shards' manifests, before anything is written:
//! every field merge uses is checked for its type and range, the shards
//! must describe the same experiment, and the experiment they describe
//! becomes a [`Plan`] that says what every row of every shard must hold.
//!
//! A manifest is read as a stream with `point_parameters` skipped (it can
//! be hundreds of megabytes for a large sweep, and merge writes it again
//! from the base parameters and the sweep); the rest is limited to
//! [`MAX_MANIFEST_BYTES`]. serde_json refuses nesting deeper than 128.
//!
//! The files: [`read`] (the stream reader), [`fields`] (typed fields),
//! [`base`] (the base parameters against the model's schema), [`axis`]
//! (the sweep), [`plan`] (the experiment as a [`Plan`]) and [`shards`]
//! (the folders, as an [`Input`]).

mod axis;
mod base;
mod fields;
mod plan;
mod read;
mod shards;

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::Error;

pub use crate::engine::MAX_SHARDS;
pub(in crate::merge) use plan::Plan;
pub use read::MAX_MANIFEST_BYTES;
pub(in crate::merge) use shards::{Input, ShardIn, collect};

/// A merge error.
pub(super) fn bad(msg: impl Into<String>) -> Error {
    Error::Merge(msg.into())
}

/// A JSON value as a message shows it.
pub(super) fn describe(v: Option<&Value>) -> String {
    match v {
        None => "nothing (the field is missing)".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => format!("\"{}\"", shorten(s)),
        Some(Value::Array(a)) => format!("an array of {} items", a.len()),
        Some(Value::Object(_)) => "an object".into(),
    }
}

/// At most 60 characters of `s`, control characters escaped.
pub(super) fn shorten(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 60 {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// The value at `ptr` (a `/`-separated path) of `m`.
pub(super) fn pointer<'a>(m: &'a Map<String, Value>, ptr: &str) -> Option<&'a Value> {
    let mut parts = ptr.split('/');
    let first = parts.next()?;
    parts.try_fold(m.get(first)?, |v, p| v.get(p))
}
