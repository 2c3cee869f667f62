//! Reading a shard's manifest as a stream, with `point_parameters`
//! skipped (it can be hundreds of megabytes for a large sweep, and merge
//! writes it again from the base parameters and the sweep); the rest is
//! limited to [`MAX_MANIFEST_BYTES`], and every object's keys must be
//! distinct. serde_json refuses nesting deeper than 128.

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::output::MANIFEST_FILE;

use super::shorten;

/// Most bytes of a manifest outside its `point_parameters` (what merge
/// keeps in memory). A sweep axis of the largest size the scenario loader
/// allows (10^7 values) takes about 320 MB.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// Most levels of nesting in `point_parameters` (serde_json skips it
/// without recursing, but keeps a byte per level; what it parses is
/// limited to 128 levels).
const MAX_SKIPPED_DEPTH: u32 = 128;

/// Counts the bytes read outside `point_parameters`, and the nesting of
/// what is skipped.
struct Budget {
    limit: u64,
    kept: Cell<u64>,
    skipping: Cell<bool>,
    depth: Cell<u32>,
    in_string: Cell<bool>,
    escape: Cell<bool>,
}

impl Budget {
    /// Follows the nesting of skipped bytes; false when too deep.
    fn skip(&self, bytes: &[u8]) -> bool {
        let (mut depth, mut in_string, mut escape) =
            (self.depth.get(), self.in_string.get(), self.escape.get());
        for &b in bytes {
            if in_string {
                if escape {
                    escape = false;
                } else if b == b'\\' {
                    escape = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'[' | b'{' => {
                        depth += 1;
                        if depth > MAX_SKIPPED_DEPTH {
                            return false;
                        }
                    }
                    b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        self.depth.set(depth);
        self.in_string.set(in_string);
        self.escape.set(escape);
        true
    }
}

/// Why a manifest is refused while it is read.
#[derive(Debug)]
enum TooBig {
    Large(u64),
    Deep,
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooBig::Large(limit) => write!(
                f,
                "over {limit} bytes outside `point_parameters` (ideaflow writes far less)"
            ),
            TooBig::Deep => write!(
                f,
                "`point_parameters` nested deeper than {MAX_SKIPPED_DEPTH} levels (ideaflow writes 3)"
            ),
        }
    }
}

impl std::error::Error for TooBig {}

struct Counted<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let b = &self.budget;
        if b.skipping.get() {
            if !b.skip(&buf[..n]) {
                return Err(std::io::Error::other(TooBig::Deep));
            }
        } else {
            let kept = b.kept.get() + n as u64;
            b.kept.set(kept);
            if kept > b.limit {
                return Err(std::io::Error::other(TooBig::Large(b.limit)));
            }
        }
        Ok(n)
    }
}

/// A JSON value like serde_json's, but with every object's keys distinct
/// (serde_json keeps the last of two equal keys: a manifest with two
/// would say two things).
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = a.next_element_seed(Strict)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = a.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{}` appears twice",
                    shorten(&key)
                )));
            }
            let v = a.next_value_seed(Strict)?;
            map.insert(key, v);
        }
        Ok(Value::Object(map))
    }
}

/// The top-level object, `point_parameters` skipped.
struct Top(Rc<Budget>);

impl<'de> DeserializeSeed<'de> for Top {
    type Value = Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a manifest (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = a.next_key::<String>()? {
            if map.contains_key(&key) || (key == "point_parameters" && self.0.skipping.get()) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{}` appears twice",
                    shorten(&key)
                )));
            }
            if key == "point_parameters" {
                self.0.depth.set(0);
                self.0.in_string.set(false);
                self.0.escape.set(false);
                self.0.skipping.set(true);
                let skipped = a.next_value::<IgnoredAny>();
                self.0.skipping.set(false);
                skipped?;
                // Remember it was there (for the duplicate check).
                map.insert(key, Value::Null);
            } else {
                let v = a.next_value_seed(Strict)?;
                map.insert(key, v);
            }
        }
        map.remove("point_parameters");
        Ok(map)
    }
}

/// Reads `dir/manifest.json` (None when there is none).
pub(in crate::merge) fn read_manifest(dir: &Path) -> Result<Option<Map<String, Value>>, String> {
    read_manifest_limited(dir, MAX_MANIFEST_BYTES)
}

/// [`read_manifest`] with `limit` bytes outside `point_parameters`.
fn read_manifest_limited(dir: &Path, limit: u64) -> Result<Option<Map<String, Value>>, String> {
    let path = dir.join(MANIFEST_FILE);
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot read it: {e}", path.display())),
    };
    if !meta.is_file() {
        return Err(format!(
            "{}: not a regular file (a manifest is a file ideaflow wrote)",
            path.display()
        ));
    }
    let file = std::fs::File::open(&path)
        .map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    let budget = Rc::new(Budget {
        limit,
        kept: Cell::new(0),
        skipping: Cell::new(false),
        depth: Cell::new(0),
        in_string: Cell::new(false),
        escape: Cell::new(false),
    });
    let reader = Counted {
        inner: BufReader::with_capacity(1 << 16, file),
        budget: Rc::clone(&budget),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = Top(budget).deserialize(&mut de).and_then(|m| {
        de.end()?;
        Ok(m)
    });
    parsed.map(Some).map_err(|e| {
        let too_big = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<TooBig>());
        match too_big {
            Some(why) => format!("{}: not a valid manifest: {why}", path.display()),
            None => format!("{}: not a valid manifest: {e}", path.display()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_is_limited_outside_point_parameters_and_in_depth() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("manifest.json"), text).unwrap();
        let big = format!(
            "{{\"point_parameters\": [\"{}\"], \"seed\": 1}}",
            "x".repeat(5000)
        );
        write(&big);
        let m = read_manifest_limited(dir.path(), 100).unwrap().unwrap();
        assert_eq!(m.get("seed"), Some(&Value::from(1)));
        assert!(m.get("point_parameters").is_none());
        write(&format!("{{\"seed\": \"{}\"}}", "x".repeat(5000)));
        let e = read_manifest_limited(dir.path(), 100).unwrap_err();
        assert!(
            e.contains("over 100 bytes outside `point_parameters`"),
            "{e}"
        );
        // Brackets inside strings do not count; real nesting does.
        write("{\"point_parameters\": [\"[[[[\\\"[[\", {\"a\": [1]}], \"seed\": 2}");
        let m = read_manifest_limited(dir.path(), 100).unwrap().unwrap();
        assert_eq!(m.get("seed"), Some(&Value::from(2)));
        write(&format!(
            "{{\"point_parameters\": {}{}}}",
            "[".repeat(129),
            "]".repeat(129)
        ));
        let e = read_manifest_limited(dir.path(), 100).unwrap_err();
        assert!(e.contains("nested deeper than 128"), "{e}");
    }
}
