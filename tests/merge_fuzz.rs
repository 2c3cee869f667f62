//! Fuzzing `ideaflow merge`'s readers (issue 12): real shards (those of
//! tests/merge_hostile.rs), one to three of their files mutated at random
//! (byte flips, inserted and deleted bytes, lines deleted, duplicated or
//! swapped, truncation, CSV fields and manifest fields replaced), then
//! merged in-process. Merge must never panic; it either fails with a
//! bad-input error (exit 2) whose message names the mutated shard's folder
//! and leaves no output folder, or succeeds with files whose identifying
//! columns (run, point, replicate, seed, step, swept values; and the
//! summary's point, step and metric) and manifest are those of the
//! unmutated merge: only metric values, which no check can recompute, may
//! differ (and the values of parameters no row depends on, edited alike in
//! every shard's manifest).
//!
//! The case count is fixed (CI time stays predictable) and so is the seed
//! (failures reproduce); run a larger campaign with e.g.
//! `IDEAFLOW_MERGE_FUZZ_CASES=100000 IDEAFLOW_MERGE_FUZZ_SEED=7 cargo test --release --test tests merge_fuzz`
//! (the count is split between the two fixtures).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};
use serde_json::Value;

use ideaflow::merge::{MergeOptions, merge};

use crate::merge_hostile::{Template, bass, teams};

/// Cases per fixture in the suite (about a second each).
const CASES: u32 = 1000;

/// Files of a shard that a mutation may target.
const FILES: &[&str] = &[
    "manifest.json",
    "timeseries.csv",
    "runs.csv",
    "teams.csv",
    "summary.csv",
];

#[derive(Clone, Debug)]
enum Mutation {
    Flip {
        at: Index,
        byte: u8,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Delete {
        at: Index,
        len: usize,
    },
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    Truncate(Index),
    /// A CSV field replaced (the manifest: a JSON value replaced).
    Field {
        line: Index,
        col: Index,
        with: With,
    },
}

#[derive(Clone, Debug)]
enum With {
    Text(String),
    /// The same column of another line (the manifest: another value).
    Other(Index),
    /// The field removed (the manifest: the key removed).
    Remove,
}

#[derive(Clone, Debug)]
struct Target {
    shard: Index,
    file: Index,
    mutation: Mutation,
}

fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"0123456789,\n\r\".-+eE :[]{}x".to_vec()),
        1 => any::<u8>(),
    ]
}

fn with() -> impl Strategy<Value = With> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "", "0", "1", "-1", "2", "3", "7", "00", "-0", "0.5", "1.0", "1e3", "NaN", "inf",
            "x", "\"", "18446744073709551615", "18446744073709551616", "1000000000000000000",
            "9007199254740993", "null", "true", "false", "[]", "{}", "\"2\"", "0.2", "0.30000000000000004",
        ])
        .prop_map(|s| With::Text(s.to_string())),
        2 => "-?[0-9]{1,20}(\\.[0-9]{1,6})?".prop_map(With::Text),
        3 => any::<Index>().prop_map(With::Other),
        1 => Just(With::Remove),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), byte()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        1 => (any::<Index>(), prop::collection::vec(byte(), 1..6)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<Index>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => any::<Index>().prop_map(Mutation::DeleteLine),
        2 => any::<Index>().prop_map(Mutation::DuplicateLine),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        8 => (any::<Index>(), any::<Index>(), with()).prop_map(|(line, col, with)| Mutation::Field { line, col, with }),
    ]
}

fn case() -> impl Strategy<Value = Vec<Target>> {
    prop::collection::vec(
        (any::<Index>(), any::<Index>(), mutation()).prop_map(|(shard, file, mutation)| Target {
            shard,
            file,
            mutation,
        }),
        1..=3,
    )
}

/// Byte ranges of the lines of `text`, each with its line break.
fn lines(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Every value in a JSON document, by JSON pointer (the root excluded).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

/// Replaces (or removes) the value at `ptr`.
fn set_json(doc: &mut Value, ptr: &str, with: Option<Value>) {
    let Some((parent, key)) = ptr.rsplit_once('/') else {
        return;
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    let Some(p) = doc.pointer_mut(parent) else {
        return;
    };
    match (p, with) {
        (Value::Object(m), Some(v)) => {
            m.insert(key, v);
        }
        (Value::Object(m), None) => {
            m.remove(&key);
        }
        (Value::Array(a), w) => {
            if let Ok(i) = key.parse::<usize>()
                && i < a.len()
            {
                match w {
                    Some(v) => a[i] = v,
                    None => {
                        a.remove(i);
                    }
                }
            }
        }
        _ => {}
    }
}

fn apply(text: &mut Vec<u8>, m: &Mutation, json: bool) {
    let len = text.len();
    match m {
        Mutation::Flip { at, byte } => {
            if len > 0 {
                text[at.index(len)] = *byte;
            }
        }
        Mutation::Insert { at, bytes } => {
            let s = at.index(len + 1);
            text.splice(s..s, bytes.iter().copied());
        }
        Mutation::Delete { at, len: n } => {
            if len > 0 {
                let s = at.index(len);
                text.drain(s..(s + n).min(len));
            }
        }
        Mutation::DeleteLine(line) => {
            let ls = lines(text);
            if !ls.is_empty() {
                text.drain(ls[line.index(ls.len())].clone());
            }
        }
        Mutation::DuplicateLine(line) => {
            let ls = lines(text);
            if !ls.is_empty() {
                let r = ls[line.index(ls.len())].clone();
                let copy = text[r.clone()].to_vec();
                text.splice(r.start..r.start, copy);
            }
        }
        Mutation::SwapLines(a, b) => {
            let ls = lines(text);
            if ls.len() >= 2 {
                let (mut a, mut b) = (a.index(ls.len()), b.index(ls.len()));
                if a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                if a != b {
                    let (ra, rb) = (ls[a].clone(), ls[b].clone());
                    let mut out = text[..ra.start].to_vec();
                    out.extend_from_slice(&text[rb.clone()]);
                    out.extend_from_slice(&text[ra.end..rb.start]);
                    out.extend_from_slice(&text[ra]);
                    out.extend_from_slice(&text[rb.end..]);
                    *text = out;
                }
            }
        }
        Mutation::Truncate(at) => {
            let s = at.index(len + 1);
            text.truncate(s);
        }
        Mutation::Field { line, col, with } if json => {
            let Ok(mut doc) = serde_json::from_slice::<Value>(text) else {
                return;
            };
            let mut ptrs = Vec::new();
            pointers(&doc, String::new(), &mut ptrs);
            if ptrs.is_empty() {
                return;
            }
            let ptr = &ptrs[line.index(ptrs.len())];
            let value = match with {
                With::Text(t) => {
                    Some(serde_json::from_str(t).unwrap_or_else(|_| Value::from(t.as_str())))
                }
                With::Other(i) => {
                    let other = &ptrs[i.index(ptrs.len())];
                    doc.pointer(other).cloned()
                }
                With::Remove => None,
            };
            let _ = col;
            set_json(&mut doc, ptr, value);
            *text = serde_json::to_vec_pretty(&doc).unwrap_or_default();
            text.push(b'\n');
        }
        Mutation::Field { line, col, with } => {
            let ls = lines(text);
            if ls.is_empty() {
                return;
            }
            let fields_of = |r: &std::ops::Range<usize>| -> Vec<Vec<u8>> {
                let l = &text[r.clone()];
                let l = l.strip_suffix(b"\n").unwrap_or(l);
                l.split(|&b| b == b',').map(<[u8]>::to_vec).collect()
            };
            let r = ls[line.index(ls.len())].clone();
            let mut fields = fields_of(&r);
            let c = col.index(fields.len());
            match with {
                With::Text(t) => fields[c] = t.as_bytes().to_vec(),
                With::Other(i) => {
                    let other = fields_of(&ls[i.index(ls.len())]);
                    if let Some(f) = other.get(c) {
                        fields[c] = f.clone();
                    }
                }
                With::Remove => {
                    fields.remove(c);
                }
            }
            let mut new = fields.join(&b","[..]);
            if text[r.clone()].ends_with(b"\n") {
                new.push(b'\n');
            }
            text.splice(r, new);
        }
    }
}

/// A CSV file as records.
fn records(path: &Path) -> Vec<Vec<Vec<u8>>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("open");
    r.byte_records()
        .map(|x| x.expect("record").iter().map(<[u8]>::to_vec).collect())
        .collect()
}

/// The columns of each output file that no metric value can change.
fn identifying(file: &str, swept: usize) -> usize {
    match file {
        "timeseries.csv" | "teams.csv" => 5 + swept,
        "runs.csv" => 4 + swept,
        // point_id, swept, step, metric (n counts the defined values)
        _ => 3 + swept,
    }
}

/// The manifest fields that must not change.
const MANIFEST_KEYS: &[&str] = &[
    "runs",
    "runs_written",
    "complete",
    "rows",
    "seed",
    "replicates",
    "points",
    "every",
    "metrics",
    "sweep",
];

/// The base parameters merge uses. The others (and the scenario text)
/// describe the experiment but no row depends on them visibly: edited the
/// same way in every shard's manifest, they merge (as other metric values
/// do), but they must still all be there.
const USED_PARAMETERS: &[&str] = &["steps", "output.timeseries", "output.teams"];

struct Fixture {
    _dir: tempfile::TempDir,
    shards: Vec<PathBuf>,
    /// (path, original bytes) of every shard file.
    originals: Vec<(PathBuf, Vec<u8>)>,
    /// The merged files of the unmutated shards.
    reference: PathBuf,
    swept: usize,
    outputs: Vec<&'static str>,
    count: AtomicU64,
    /// Outcomes: merged identically, merged with other metric (or
    /// parameter) values, refused.
    tally: [AtomicU64; 3],
}

impl Fixture {
    fn new(t: &Template) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut originals = Vec::new();
        let shards: Vec<PathBuf> = t
            .shards
            .iter()
            .map(|from| {
                let to = dir.path().join("shards").join(from.file_name().unwrap());
                std::fs::create_dir_all(&to).unwrap();
                for e in std::fs::read_dir(from).unwrap() {
                    let e = e.unwrap();
                    let bytes = std::fs::read(e.path()).unwrap();
                    std::fs::write(to.join(e.file_name()), &bytes).unwrap();
                    originals.push((to.join(e.file_name()), bytes));
                }
                to
            })
            .collect();
        let reference = dir.path().join("reference");
        merge(&shards, &options(&reference)).expect("the unmutated shards merge");
        let m = manifest(&reference);
        let swept = m["sweep"].as_array().map_or(0, Vec::len);
        let outputs = ["timeseries.csv", "runs.csv", "summary.csv", "teams.csv"]
            .into_iter()
            .filter(|f| reference.join(f).exists())
            .collect();
        Fixture {
            _dir: dir,
            shards,
            originals,
            reference,
            swept,
            outputs,
            count: AtomicU64::new(0),
            tally: Default::default(),
        }
    }

    fn restore(&self) {
        for (p, bytes) in &self.originals {
            if std::fs::read(p).ok().as_deref() != Some(bytes.as_slice()) {
                std::fs::write(p, bytes).unwrap();
            }
        }
    }

    /// Applies the mutations, merges and checks the outcome.
    fn check(&self, targets: &[Target]) -> Result<(), String> {
        self.restore();
        let mut touched = Vec::new();
        for t in targets {
            let shard = t.shard.index(self.shards.len());
            let name = FILES[t.file.index(FILES.len())];
            let path = self.shards[shard].join(name);
            let Ok(mut text) = std::fs::read(&path) else {
                continue;
            };
            apply(&mut text, &t.mutation, name == "manifest.json");
            std::fs::write(&path, &text).unwrap();
            touched.push(shard);
        }
        let n = self
            .count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let out = self._dir.path().join(format!("out-{n}"));
        let result = catch_unwind(AssertUnwindSafe(|| merge(&self.shards, &options(&out))));
        let outcome = match result {
            Err(p) => Err(format!(
                "merge panicked: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
            Ok(Err(e)) => {
                let msg = e.to_string();
                if !e.is_bad_input() {
                    Err(format!("not a bad-input error (exit 1, not 2): {msg}"))
                } else if out.exists() {
                    Err(format!("failed and left {} behind: {msg}", out.display()))
                } else if !touched
                    .iter()
                    .any(|&s| msg.contains(self.shards[s].to_string_lossy().as_ref()))
                {
                    Err(format!("the message names no mutated shard: {msg}"))
                } else {
                    self.tally[2].fetch_add(1, Relaxed);
                    Ok(())
                }
            }
            Ok(Ok(_)) => self.same_as_reference(&out).map(|same| {
                self.tally[usize::from(!same)].fetch_add(1, Relaxed);
            }),
        };
        let _ = std::fs::remove_dir_all(&out);
        self.restore();
        outcome
    }

    /// Whether the merged files are the reference's (Ok(false): only in
    /// metric values or parameters no row depends on).
    fn same_as_reference(&self, out: &Path) -> Result<bool, String> {
        let mut same_bytes = true;
        for f in &self.outputs {
            let (a, b) = (self.reference.join(f), out.join(f));
            if std::fs::read(&a).ok() == std::fs::read(&b).ok() {
                continue;
            }
            same_bytes = false;
            let (ra, rb) = (records(&a), records(&b));
            if ra.len() != rb.len() {
                return Err(format!(
                    "merged, but {f} has {} rows instead of {}",
                    rb.len(),
                    ra.len()
                ));
            }
            let k = identifying(f, self.swept);
            for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
                let same = if i == 0 {
                    x == y
                } else {
                    x.len() == y.len() && x[..k.min(x.len())] == y[..k.min(y.len())]
                };
                if !same {
                    return Err(format!(
                        "merged a contradiction: {f} line {}: {:?} instead of {:?}",
                        i + 1,
                        String::from_utf8_lossy(&y.join(&b","[..])),
                        String::from_utf8_lossy(&x.join(&b","[..]))
                    ));
                }
            }
        }
        let (a, b) = (manifest(&self.reference), manifest(out));
        for key in MANIFEST_KEYS {
            if a.get(key) != b.get(key) {
                return Err(format!("merged, but the manifest's {key} changed"));
            }
        }
        let keys = |m: &Value| -> Vec<String> {
            m["base_parameters"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        if keys(&a) != keys(&b) {
            return Err("merged, but the manifest's parameters are not the model's".into());
        }
        for p in USED_PARAMETERS {
            if a["base_parameters"][p] != b["base_parameters"][p] {
                return Err(format!("merged, but the manifest's parameter {p} changed"));
            }
        }
        let same_params = a["base_parameters"] == b["base_parameters"];
        if a["point_parameters"].as_array().map(Vec::len)
            != b["point_parameters"].as_array().map(Vec::len)
        {
            return Err("merged, but the manifest lists other points".into());
        }
        if a["merged"]["shards"] != b["merged"]["shards"]
            || a["merged"]["missing"] != b["merged"]["missing"]
        {
            return Err("merged, but the manifest's shards changed".into());
        }
        Ok(same_bytes && same_params)
    }
}

fn options(out: &Path) -> MergeOptions {
    MergeOptions {
        out_dir: out.to_path_buf(),
        force: false,
        partial: false,
        command_line: vec!["ideaflow".into(), "merge".into()],
    }
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn fuzz(t: &Template, stream: u64) {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("IDEAFLOW_MERGE_FUZZ_CASES").map_or(CASES, |n| (n / 2).max(1) as u32);
    let seed = env("IDEAFLOW_MERGE_FUZZ_SEED").unwrap_or(0x3E26_E5EE);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(stream),
        ),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let fixture = Fixture::new(t);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |targets| {
        fixture.check(&targets).map_err(TestCaseError::fail)
    });
    let [same, values, refused] = fixture.tally.each_ref().map(|t| t.load(Relaxed));
    eprintln!(
        "merge fuzz (stream {stream}): {} cases: {same} merged identically, {values} merged with other metric or parameter values, {refused} refused",
        fixture.count.load(Relaxed)
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, c)) => {
            panic!("merge fuzz case failed: {why}\nminimal case: {c:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn fuzz_merge_of_bass_shards() {
    fuzz(bass(), 0);
}

#[test]
fn fuzz_merge_of_climate_shards_with_teams() {
    fuzz(teams(), 1);
}
