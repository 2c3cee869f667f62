//! Fuzzing the scenario loader (issue 7): the bundled scenarios, mutated at
//! random, must never make the loader panic; every rejection must render to
//! a clear message (the file, a line and column in that file, the field,
//! what was expected and what was found); every accepted scenario must
//! survive `ideaflow show` (its output loads again to the same parameters)
//! and, when small, its first steps must simulate without a panic or a
//! hang.
//!
//! Mutations: delete a byte range, insert random bytes or TOML-ish tokens,
//! duplicate, swap or drop lines, replace a number with an extreme one,
//! replace a key with another valid key or a near-miss spelling, replace a
//! string with another valid name or odd text, change the `extends` target,
//! truncate, append tables (mostly interventions at their extremes), set a
//! parameter to an edge of its range; sometimes with extreme overrides.
//! Practices (which extend scenarios/baseline.toml) are loaded from a copy
//! of scenarios/ so `extends` resolves, and sometimes their base is mutated
//! too.
//!
//! Inputs that once broke the loader or the model are kept in
//! tests/fuzz-corpus/ with hand-written nasty ones, and re-checked by
//! `fuzz_corpus_inputs_load_or_fail_clearly`. Each starts with a comment
//! `# fuzz-expect: ok` or `# fuzz-expect: error <text in the message>`.
//!
//! The case count is fixed (so CI time is predictable) and the seed too
//! (so failures reproduce); explore further with e.g.
//! `IDEAFLOW_FUZZ_CASES=200000 IDEAFLOW_FUZZ_SEED=7 cargo test --release --test tests fuzz`,
//! adding `IDEAFLOW_FUZZ_SURVEY=1` to list every distinct failure.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};

use ideaflow::engine::{self, run::RunId};
use ideaflow::model::ModelKind;
use ideaflow::model::climate::interventions as iv;
use ideaflow::scenario::value::Value;
use ideaflow::scenario::{self, Experiment, LoadError, Overrides, schema, show};

use crate::util::root;

/// Loader cases per shard; four shards run as separate tests so the test
/// harness spreads them over the cores.
const CASES_PER_SHARD: u32 = 2500;
const SHARDS: u64 = 4;

/// A run is simulated when its organisation is at most this many agents.
const MAX_SIM_AGENTS: u64 = 5000;
/// Steps simulated (after a burn-in capped to `SIM_BURN_IN`).
const SIM_STEPS: i64 = 8;
const SIM_BURN_IN: i64 = 4;
/// A short run that takes longer than this is reported as a hang.
const SIM_LIMIT_SECONDS: u64 = 60;
/// Marks a hang: the case is reported as it is, without shrinking (each
/// shrinking step would hang again).
const HANG: &str = "hang";

// ---------------------------------------------------------------------------
// The scenarios, copied to a temporary tree.

/// A copy of scenarios/ in a temporary folder; mutated files are written
/// beside the originals under other names, so `extends = "../baseline.toml"`
/// resolves and the originals stay intact.
struct Tree {
    _dir: tempfile::TempDir,
    scenarios: PathBuf,
    /// (path relative to scenarios/, text) of every bundled scenario.
    files: Vec<(String, Vec<u8>)>,
}

fn bundled_files() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("scenarios");
    let mut files = Vec::new();
    for sub in ["", "practices"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .expect("scenarios/ is readable")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        names.sort();
        for p in names {
            let rel = p.strip_prefix(&dir).expect("under scenarios/");
            files.push((
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read(&p).expect("read scenario"),
            ));
        }
    }
    assert!(
        files.len() >= 20,
        "bundled scenarios found: {}",
        files.len()
    );
    files
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().expect("temp dir");
        let scenarios = dir.path().join("scenarios");
        std::fs::create_dir_all(scenarios.join("practices")).expect("mkdir");
        let files = bundled_files();
        for (rel, text) in &files {
            std::fs::write(scenarios.join(rel), text).expect("copy scenario");
        }
        Tree {
            _dir: dir,
            scenarios,
            files,
        }
    }
}

// ---------------------------------------------------------------------------
// Mutations.

/// TOML-ish fragments inserted at random places.
const TOKENS: &[&str] = &[
    "=",
    " = ",
    "[",
    "]",
    "[[",
    "]]",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "{",
    "}",
    ",",
    ".",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "#",
    "\\",
    "\0",
    "\u{7f}",
    "\u{feff}",
    "é",
    "§",
    "😀",
    "\u{202e}",
    "true",
    "inf",
    "nan",
    "1979-05-27T07:32:00Z",
    "[]",
    "{}",
    "[sweep]\n",
    "[output]\n",
    "[bass]\n",
    "[march]\n",
    "[climate]\n",
    "[[interventions]]\n",
    "\n[[interventions]]\nkind = \"layoff\"\n",
    "\n[[interventions]]\nkind = \"external_partners\"\ncount = 100000\nties = 500\n",
    "\nkind = \"idea_session\"\n",
    "\n[sweep]\n\"steps\" = [1, 2]\n",
    "\n[sweep]\n\"interventions.0.at\" = [0, 1]\n",
    "\n[sweep]\n\"climate.lambda0\" = { from = 0, to = 10000, steps = 3 }\n",
    "\n[sweep]\n\"march.p1\" = { from = 0.1, to = 0.9, by = 0.3 }\n",
    "\"bass.p\" = 0.1\n",
    "a.b.c = 1\n",
    "x = 1\n",
    "model = \"bass\"\n",
    "model = \"march\"\n",
    "extends = \"../baseline.toml\"\n",
    "name = \"..\"\n",
];

/// Tables appended at the end of a file (where they are most likely to
/// parse), mostly interventions at their extremes; number mutations may then
/// push them further.
const TAILS: &[&str] = &[
    "\n[[interventions]]\nkind = \"layoff\"\nat = 1\nshare = 1.0\n",
    "\n[[interventions]]\nkind = \"layoff\"\nat = 0\nshare = 0.99\nrewire = 1\nscar = 1\n",
    "\n[[interventions]]\nkind = \"external_partners\"\nat = 0\ncount = 100\nties = 500\nrate = 1000\n",
    "\n[[interventions]]\nkind = \"idea_session\"\nat = 0\nparticipation = 1\nideas = 100\nfollow_up = true\n",
    "\n[[interventions]]\nkind = \"cross_functional_teams\"\nat = 0\nshare = 1\n",
    "\n[[interventions]]\nkind = \"reorganisation\"\nat = 0\nshare = 1\nrewire = 1\nrecovery = 0.001\n",
    "\n[[interventions]]\nkind = \"leadership\"\nname = \"n\"\nat = 0\nuntil = 0\nstyle = \"ambidextrous\"\ntarget = { departments = [0], teams = [0, 1], share = 0.0 }\n",
    "\n[[interventions]]\nkind = \"leadership\"\nat = 0\nramp = 100000000\nopenness = -1\nsupport = -1\ncontrol = 1\nfailure_tolerance = -1\ndelegation = 1\n",
    "\n[[interventions]]\nkind = \"turnover\"\nat = 0\nrate = 1\n",
    "\n[[interventions]]\nkind = \"turbulence\"\nat = 0\nrate = 1\n",
    "\n[[interventions]]\nkind = \"time_pressure\"\nat = 0\nchange = 1\n",
    "\n[[interventions]]\nkind = \"innovation_time\"\nat = 0\nshare = 0.99\nfocus = 1e300\n",
    "\n[[interventions]]\nkind = \"idea_platform\"\nat = 0\ncapacity = 1e300\nbeta0 = 1e300\n",
    "\n[[interventions]]\nkind = \"central_innovation_manager\"\nat = 0\ncapacity = 0\n",
    "\n[[interventions]]\nkind = \"self_steering_teams\"\nat = 0\ndelegation = 1\ncontrol = -1\n",
    "\n[[interventions]]\nkind = \"psych_safety_training\"\nat = 0\nboost = 1\n",
    "\n[[interventions]]\nkind = \"rewards\"\nat = 0\nlevel = 100\n",
    "\n[[interventions]]\nkind = \"rewards\"\n",
    "\n[sweep]\n\"steps\" = [1, 2]\n",
    "\n[sweep]\n\"interventions.0.at\" = [0, 1]\n\"interventions.0.until\" = [-1, 0]\n",
    "\n[sweep]\n\"interventions.training.ramp\" = { from = 0, to = 10, by = 5 }\n",
    "\n[sweep]\n\"climate.lambda0\" = { from = 0, to = 10000, steps = 3 }\n\"climate.organisation.team_size\" = [2, 3]\n",
    "\n[sweep]\n\"bass.p\" = { from = 0.1, to = 0.3, by = 0.1 }\n\"bass.network\" = [\"ring\", \"random\"]\n",
    "\n[sweep]\n\"march.p1\" = { from = 0.1, to = 0.9, by = 0.4 }\n\"march.dimensions\" = [1, 64]\n",
    "\n[climate.organisation]\ndepartments = 1\nteams_per_department = 1\nteam_size = 2\n",
    "\n[climate.organisation]\nteam_size_distribution = \"poisson\"\nteam_size_min = 2\nteam_size_max = 10000\n",
    "\n[climate.partners]\ncount = 1\nties = 1\nrate = 1000\n",
    "\n[climate.employees]\ndistribution = \"truncated_normal\"\npsych_safety_mean = 1\npsych_safety_sd = 0.499\n",
    "\n[climate.voice]\nbeta0 = 1e300\nbeta_habit = -1e300\nhabit_decay = 1e300\n",
    "\n[climate.review]\nmode = \"central\"\ncentral_capacity = 1e300\npatience = 1e-300\n",
    "\n[climate.experiment]\nduration = 1e-300\nconcurrency = 1e300\n",
    "\n[climate.leadership.mix]\nambidextrous = 1e308\nfacilitating = 1e308\n",
    "\n[output]\nteams = true\nmetrics = []\n",
    "\n[output]\nteams = true\nevery = 9223372036854775807\n",
];

/// Extreme numeric literals (some not valid TOML, some out of every range).
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "-0.0",
    "0.0",
    "0.5",
    "1.0",
    "1.5",
    "0.999999999999",
    "64",
    "65",
    "1e308",
    "-1e308",
    "1e309",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "4294967296",
    "2147483648",
    "100000000",
    "100000001",
    "10000000",
    "1000000",
    "1e-320",
    "4.9e-324",
    "2.2250738585072014e-308",
    "99999999999999999999999999999999999999999999999999999999999999999999",
    "0.000000000000000000000000000000000000000000000000000000000000000001",
    "1_000",
    "1__0",
    "0x10",
    "0o7",
    "0b1",
    "01",
    "+1",
    "1.",
    ".5",
    "1e",
    "1e+",
    "--1",
];

/// Replacement string contents (raw text between the quotes; `\` escapes
/// are TOML's).
const STRINGS: &[&str] = &[
    "",
    " ",
    "climate",
    "march",
    "bass",
    "BASS",
    "complete",
    "ring",
    "small_world",
    "small-world",
    "random",
    "jump",
    "stepwise",
    "performance",
    "beliefs",
    "fixed",
    "uniform",
    "poisson",
    "beta",
    "truncated_normal",
    "directive",
    "facilitating",
    "laissez_faire",
    "ambidextrous",
    "keep",
    "delegated",
    "central",
    "layoff",
    "idea_session",
    "external_partners",
    "turbulence",
    "leadership",
    "code_score",
    "ideas_voiced",
    "adoption_fraction",
    "headcount",
    ".",
    "..",
    "a/b",
    "a\\\\b",
    "\\n",
    "\\t",
    "\\u0000",
    "\\u00e9",
    "\\U0001F600",
    "\\x",
    "é",
    "😀",
    "\u{202e}",
    "\u{0}",
    "../baseline.toml",
    "training",
    "0",
    "x\\ny",
    "x\\r\\ny",
    "x\\u2028y",
    "x\\u0085y",
    "x\\u007fy",
    "x\\\"y",
    "x]]\\n[sweep]",
    "x#y",
];

/// `extends` targets: `SELF` is the mutated file itself.
const EXTENDS: &[&str] = &[
    "\"missing.toml\"",
    "\"SELF\"",
    "\".\"",
    "\"..\"",
    "\"\"",
    "\" \"",
    "\"/\"",
    "\"/nonexistent/dir/x.toml\"",
    "\"../baseline.toml\"",
    "\"baseline.toml\"",
    "\"../practices\"",
    "\"layoff-30.toml\"",
    "\"practices/layoff-30.toml\"",
    "\"../practices/layoff-30.toml\"",
    "\"../kaizen.toml\"",
    "\"../bass-networks.toml\"",
    "\"kaizen.toml\"",
    "\"march1991-fig1.toml\"",
    "\"\\u0000\"",
    "\"é/😀.toml\"",
    "5",
    "true",
    "[\"../baseline.toml\"]",
    "{ path = \"../baseline.toml\" }",
];

/// One change to a file.
#[derive(Clone, Debug)]
enum Mutation {
    Delete {
        at: Index,
        len: usize,
    },
    InsertBytes {
        at: Index,
        bytes: Vec<u8>,
    },
    InsertToken {
        at: Index,
        token: &'static str,
    },
    DuplicateLine {
        line: Index,
    },
    SwapLines {
        a: Index,
        b: Index,
    },
    DropLine {
        line: Index,
    },
    Number {
        which: Index,
        with: &'static str,
    },
    Key {
        which: Index,
        with: KeyWith,
    },
    Str {
        which: Index,
        with: &'static str,
    },
    Extends {
        to: &'static str,
    },
    Truncate {
        at: Index,
    },
    Append {
        tail: &'static str,
    },
    Edge {
        path: &'static str,
        value: &'static str,
    },
}

/// What replaces a key.
#[derive(Clone, Debug)]
enum KeyWith {
    /// Another key of the schema (of any table or model).
    Other(&'static str),
    /// The same key misspelt.
    Typo(Typo, Index),
}

#[derive(Clone, Copy, Debug)]
enum Typo {
    DropChar,
    DoubleChar,
    SwapChars,
    Upper,
    Underscore,
    Space,
}

/// Every key name of the schema, bare and dotted, and the tables.
fn key_names() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<&'static str> = Vec::new();
        let mut add = |k: &'static str| {
            if !keys.contains(&k) {
                keys.push(k);
            }
        };
        for f in schema::all_fields() {
            add(f.key());
            add(f.path);
            if !f.section().is_empty() {
                add(f.section());
            }
        }
        for f in iv::COMMON
            .iter()
            .chain(iv::KINDS.iter().flat_map(|k| k.fields))
        {
            add(f.path);
            add(f.key());
        }
        add("sweep");
        add("interventions");
        add("from");
        add("to");
        add("steps");
        add("by");
        keys
    })
}

/// Every sweepable parameter at the edges of its range: (path, value).
fn edges() -> &'static [(&'static str, &'static str)] {
    static EDGES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    EDGES.get_or_init(|| {
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let float = |x: f64| -> String {
            let s = format!("{x:?}");
            if s.contains(['.', 'e', 'E']) {
                s
            } else {
                format!("{s}.0")
            }
        };
        let mut fields: Vec<(String, schema::Kind)> = schema::all_fields()
            .filter(|f| f.sweepable)
            .map(|f| (f.path.to_string(), f.kind))
            .collect();
        for i in 0..2 {
            for f in iv::COMMON
                .iter()
                .chain(iv::KINDS.iter().flat_map(|k| k.fields))
            {
                if f.sweepable {
                    fields.push((format!("interventions.{i}.{}", f.path), f.kind));
                }
            }
        }
        let mut out = Vec::new();
        for (path, kind) in fields {
            let values: Vec<String> = match kind {
                schema::Kind::Int { min, max } => {
                    let mut v = vec![min.to_string(), (min + 1).to_string(), max.to_string()];
                    if max > 1_000_000 {
                        v.push("1000000".into());
                    }
                    v
                }
                schema::Kind::Float { min, max } => {
                    let lo = match min {
                        schema::Bound::Incl(b) => vec![float(b)],
                        schema::Bound::Excl(b) => {
                            vec![float(b + 1e-12_f64.max(b.abs() * 1e-12)), float(b + 1e-300)]
                        }
                        schema::Bound::Open => vec!["-1e300".into(), "-1e6".into()],
                    };
                    let hi = match max {
                        schema::Bound::Incl(b) => vec![float(b)],
                        schema::Bound::Excl(b) => vec![float(b - 1e-12_f64.max(b.abs() * 1e-12))],
                        schema::Bound::Open => vec!["1e300".into(), "1e6".into()],
                    };
                    lo.into_iter().chain(hi).collect()
                }
                schema::Kind::Choice(options) => {
                    options.iter().map(|o| format!("\"{o}\"")).collect()
                }
                schema::Kind::Bool => vec!["true".into(), "false".into()],
                _ => Vec::new(),
            };
            let path = leak(path);
            for v in values {
                out.push((path, leak(v)));
            }
        }
        out
    })
}

fn typo() -> impl Strategy<Value = Typo> {
    prop_oneof![
        Just(Typo::DropChar),
        Just(Typo::DoubleChar),
        Just(Typo::SwapChars),
        Just(Typo::Upper),
        Just(Typo::Underscore),
        Just(Typo::Space),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop_oneof![
        3 => prop::collection::vec(prop::sample::select(b" =[]{},.\"'#\n\\-+0123456789eE_azAZ".to_vec()), 1..8),
        1 => prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        2 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (any::<Index>(), bytes).prop_map(|(at, bytes)| Mutation::InsertBytes { at, bytes }),
        2 => (any::<Index>(), prop::sample::select(TOKENS)).prop_map(|(at, token)| Mutation::InsertToken { at, token }),
        1 => any::<Index>().prop_map(|line| Mutation::DuplicateLine { line }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        1 => any::<Index>().prop_map(|line| Mutation::DropLine { line }),
        4 => (any::<Index>(), prop::sample::select(NUMBERS)).prop_map(|(which, with)| Mutation::Number { which, with }),
        2 => (any::<Index>(), prop::sample::select(key_names())).prop_map(|(which, k)| Mutation::Key { which, with: KeyWith::Other(k) }),
        1 => (any::<Index>(), typo(), any::<Index>()).prop_map(|(which, t, at)| Mutation::Key { which, with: KeyWith::Typo(t, at) }),
        2 => (any::<Index>(), prop::sample::select(STRINGS)).prop_map(|(which, with)| Mutation::Str { which, with }),
        1 => prop::sample::select(EXTENDS).prop_map(|to| Mutation::Extends { to }),
        1 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        2 => prop::sample::select(TAILS).prop_map(|tail| Mutation::Append { tail }),
        2 => prop::sample::select(edges()).prop_map(|(path, value)| Mutation::Edge { path, value }),
    ]
}

/// Mutations that keep the file well-formed TOML: values at extremes,
/// other names, other keys, appended tables; more of these cases load and
/// reach the model.
fn semantic_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), prop::sample::select(NUMBERS)).prop_map(|(which, with)| Mutation::Number { which, with }),
        1 => (any::<Index>(), prop::sample::select(STRINGS)).prop_map(|(which, with)| Mutation::Str { which, with }),
        1 => (any::<Index>(), prop::sample::select(key_names())).prop_map(|(which, k)| Mutation::Key { which, with: KeyWith::Other(k) }),
        2 => prop::sample::select(TAILS).prop_map(|tail| Mutation::Append { tail }),
        6 => prop::sample::select(edges()).prop_map(|(path, value)| Mutation::Edge { path, value }),
    ]
}

/// A fuzz case: which bundled file, its mutations, and (for a practice)
/// mutations of the base it extends.
#[derive(Clone, Debug)]
struct Case {
    file: Index,
    mutations: Vec<Mutation>,
    base_mutations: Vec<Mutation>,
    /// Command-line overrides (`--seed`, `--replicates`, `--steps`).
    overrides: (Option<u64>, Option<u64>, Option<u64>),
}

/// An override value: mostly none, else ordinary or extreme.
fn override_value() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        6 => Just(None),
        1 => prop::sample::select(vec![
            0,
            1,
            3,
            100_000_000,
            100_000_001,
            1_000_000_000,
            i64::MAX as u64,
            i64::MAX as u64 + 1,
            u64::MAX,
        ])
        .prop_map(Some),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<Index>(),
        prop_oneof![
            2 => prop::collection::vec(mutation(), 1..=4),
            1 => prop::collection::vec(semantic_mutation(), 1..=4),
        ],
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec(mutation(), 1..=3),
            1 => prop::collection::vec(semantic_mutation(), 1..=3),
        ],
        (override_value(), override_value(), override_value()),
    )
        .prop_map(|(file, mutations, base_mutations, overrides)| Case {
            file,
            mutations,
            base_mutations,
            overrides,
        })
}

/// Byte ranges of the lines of `text` (each with its newline).
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

/// The part of each line before a comment (a rough cut: `#` outside quotes).
fn code_ranges(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    lines(text)
        .into_iter()
        .map(|r| {
            let mut quoted = false;
            let mut end = r.end;
            for i in r.clone() {
                match text[i] {
                    b'"' => quoted = !quoted,
                    b'#' if !quoted => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            r.start..end
        })
        .collect()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Numeric literals outside comments and strings.
fn numbers(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for r in code_ranges(text) {
        let mut quoted = false;
        let mut i = r.start;
        while i < r.end {
            let b = text[i];
            if b == b'"' {
                quoted = !quoted;
            }
            let starts = !quoted
                && (b.is_ascii_digit()
                    || ((b == b'-' || b == b'+') && i + 1 < r.end && text[i + 1].is_ascii_digit()))
                && (i == r.start || !is_word(text[i - 1]) && text[i - 1] != b'.');
            if starts {
                let mut j = i + 1;
                while j < r.end && (is_word(text[j]) || matches!(text[j], b'.' | b'+')) {
                    j += 1;
                }
                out.push(i..j);
                i = j;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Bare keys (before `=`) and table names (inside `[...]`).
fn keys(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for r in code_ranges(text) {
        let line = &text[r.clone()];
        let first = line.iter().position(|b| !b.is_ascii_whitespace());
        let Some(first) = first else { continue };
        let start = r.start + first;
        if line[first] == b'[' {
            // [table] or [[table]]: each dotted part is a key.
            let mut i = start;
            while i < r.end && text[i] == b'[' {
                i += 1;
            }
            let mut s = i;
            while i <= r.end {
                if i == r.end || matches!(text[i], b'.' | b']') {
                    if i > s {
                        out.push(s..i);
                    }
                    if i == r.end || text[i] == b']' {
                        break;
                    }
                    s = i + 1;
                }
                i += 1;
            }
        } else if let Some(eq) = line.iter().position(|&b| b == b'=') {
            let mut end = r.start + eq;
            while end > start && text[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            if end > start {
                out.push(start..end);
            }
        }
    }
    out
}

/// Basic string contents ("..." on one line) outside comments.
fn strings(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for r in code_ranges(text) {
        let mut open = None;
        let mut i = r.start;
        while i < r.end {
            match (text[i], open) {
                (b'\\', Some(_)) => i += 1,
                (b'"', None) => open = Some(i + 1),
                (b'"', Some(s)) => {
                    out.push(s..i);
                    open = None;
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

fn misspell(key: &[u8], t: Typo, at: Index) -> Vec<u8> {
    let mut k = key.to_vec();
    if k.is_empty() {
        return b"x".to_vec();
    }
    let i = at.index(k.len());
    match t {
        Typo::DropChar => {
            k.remove(i);
        }
        Typo::DoubleChar => k.insert(i, k[i]),
        Typo::SwapChars if k.len() > 1 => {
            let j = if i + 1 < k.len() { i + 1 } else { i - 1 };
            k.swap(i, j);
        }
        Typo::SwapChars => k.push(b'x'),
        Typo::Upper => k.make_ascii_uppercase(),
        Typo::Underscore => k.insert(i, b'_'),
        Typo::Space => k.insert(i, b' '),
    }
    k
}

fn splice(text: &mut Vec<u8>, range: std::ops::Range<usize>, with: &[u8]) {
    text.splice(range, with.iter().copied());
}

/// Applies `m` to `text`; `self_name` is the file's own name (for
/// `extends = SELF`).
fn apply(text: &mut Vec<u8>, m: &Mutation, self_name: &str) {
    let len = text.len();
    match m {
        Mutation::Delete { at, len: n } => {
            if len > 0 {
                let s = at.index(len);
                let e = (s + n).min(len);
                text.drain(s..e);
            }
        }
        Mutation::InsertBytes { at, bytes } => {
            let s = at.index(len + 1);
            splice(text, s..s, bytes);
        }
        Mutation::InsertToken { at, token } => {
            let s = at.index(len + 1);
            splice(text, s..s, token.as_bytes());
        }
        Mutation::DuplicateLine { line } => {
            let ls = lines(text);
            if !ls.is_empty() {
                let r = ls[line.index(ls.len())].clone();
                let mut copy = text[r.clone()].to_vec();
                if copy.last() != Some(&b'\n') {
                    copy.insert(0, b'\n');
                }
                splice(text, r.end..r.end, &copy);
            }
        }
        Mutation::SwapLines { a, b } => {
            let ls = lines(text);
            if ls.len() > 1 {
                let (mut i, mut j) = (a.index(ls.len()), b.index(ls.len()));
                if i > j {
                    std::mem::swap(&mut i, &mut j);
                }
                if i != j {
                    let (ri, rj) = (ls[i].clone(), ls[j].clone());
                    let mut li = text[ri.clone()].to_vec();
                    let mut lj = text[rj.clone()].to_vec();
                    // Keep line structure when the last line has no newline.
                    if lj.last() != Some(&b'\n') {
                        lj.push(b'\n');
                        if li.last() == Some(&b'\n') {
                            li.pop();
                        }
                    }
                    splice(text, rj, &li);
                    splice(text, ri, &lj);
                }
            }
        }
        Mutation::DropLine { line } => {
            let ls = lines(text);
            if !ls.is_empty() {
                let r = ls[line.index(ls.len())].clone();
                text.drain(r);
            }
        }
        Mutation::Number { which, with } => {
            let ns = numbers(text);
            if !ns.is_empty() {
                splice(text, ns[which.index(ns.len())].clone(), with.as_bytes());
            }
        }
        Mutation::Key { which, with } => {
            let ks = keys(text);
            if !ks.is_empty() {
                let r = ks[which.index(ks.len())].clone();
                let new = match with {
                    KeyWith::Other(k) => k.as_bytes().to_vec(),
                    KeyWith::Typo(t, at) => misspell(&text[r.clone()], *t, *at),
                };
                splice(text, r, &new);
            }
        }
        Mutation::Str { which, with } => {
            let ss = strings(text);
            if !ss.is_empty() {
                splice(text, ss[which.index(ss.len())].clone(), with.as_bytes());
            }
        }
        Mutation::Extends { to } => {
            // Drop every `extends` line, then set the new target first.
            let kept: Vec<u8> = lines(text)
                .into_iter()
                .filter(|r| !text[r.clone()].trim_ascii_start().starts_with(b"extends"))
                .flat_map(|r| text[r].to_vec())
                .collect();
            let to = to.replace("SELF", self_name);
            *text = format!("extends = {to}\n").into_bytes();
            text.extend(kept);
        }
        Mutation::Append { tail } => text.extend_from_slice(tail.as_bytes()),
        Mutation::Edge { path, value } => {
            // A one-value sweep sets any sweepable parameter, whether or not
            // its table is in the file.
            let line = format!("\"{path}\" = [{value}]\n");
            let at = lines(text)
                .into_iter()
                .find(|r| text[r.clone()].trim_ascii() == b"[sweep]")
                .map(|r| r.end);
            match at {
                Some(at) => splice(text, at..at, line.as_bytes()),
                None => text.extend_from_slice(format!("\n[sweep]\n{line}").as_bytes()),
            }
        }
        Mutation::Truncate { at } => {
            text.truncate(at.index(len + 1));
        }
    }
}

/// Writes the case's files into the tree and returns the path to load.
fn write_case(tree: &Tree, case: &Case) -> (PathBuf, Vec<u8>, Option<Vec<u8>>) {
    let (rel, original) = &tree.files[case.file.index(tree.files.len())];
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
    let fuzz_name = format!("fuzz-{name}");
    let path = tree.scenarios.join(dir).join(&fuzz_name);
    let mut text = original.clone();
    let mut base_text = None;
    if dir == "practices" && !case.base_mutations.is_empty() {
        let base = tree
            .files
            .iter()
            .find(|(r, _)| r == "baseline.toml")
            .map(|(_, t)| t.clone())
            .expect("baseline.toml is bundled");
        let mut b = base;
        for m in &case.base_mutations {
            apply(&mut b, m, "fuzzbase.toml");
        }
        std::fs::write(tree.scenarios.join("fuzzbase.toml"), &b).expect("write base");
        base_text = Some(b);
        text = String::from_utf8_lossy(&text)
            .replace("\"../baseline.toml\"", "\"../fuzzbase.toml\"")
            .into_bytes();
    }
    for m in &case.mutations {
        apply(&mut text, m, &fuzz_name);
    }
    std::fs::write(&path, &text).expect("write case");
    (path, text, base_text)
}

// ---------------------------------------------------------------------------
// Properties.

/// The message the `ideaflow` command prints for a load error (the same
/// rendering as main.rs: diagnostics as they are, other errors with their
/// cause chain).
fn render(e: LoadError) -> String {
    match e {
        LoadError::Invalid(d) => format!("{d}"),
        e => format!("error: {:#}", anyhow::Error::new(ideaflow::Error::from(e))),
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// Checks that a rejection is clear; returns the problem otherwise.
fn check_rejection(err: LoadError, path: &Path, base: Option<&Path>) -> Result<(), String> {
    let shown = path.display().to_string();
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
    let diagnostics = match &err {
        LoadError::Invalid(d) => Some(d.clone()),
        _ => None,
    };
    let msg = catch_unwind(AssertUnwindSafe(|| render(err)))
        .map_err(|e| format!("rendering the error panicked: {}", panic_message(&*e)))?;
    let Some(d) = diagnostics else {
        if !msg.contains(&shown) {
            return Err(format!("the error does not name {shown}: {msg}"));
        }
        return Ok(());
    };
    if d.is_empty() {
        return Err("rejected with no diagnostics".into());
    }
    for x in d.iter() {
        // The file named is the one loaded or the base it extends, and the
        // line and column refer to that file's text.
        let named = x.file.file_name().map(|n| n.to_string_lossy().into_owned());
        let ours = same_file(&x.file, path)
            || named.is_some_and(|n| text.contains(&n))
            || base.is_some_and(|b| same_file(&x.file, b));
        if !ours {
            return Err(format!("diagnostic names another file: {}", x.headline()));
        }
        if std::fs::read(&x.file).ok().as_deref() != Some(x.source.as_bytes()) {
            return Err(format!(
                "diagnostic quotes text that is not {}'s: {}",
                x.file.display(),
                x.headline()
            ));
        }
        if x.span.is_none() && x.message.starts_with("expected --") {
            // A command-line override out of range: it has no place in a file.
            continue;
        }
        let Some((line, col)) = x.line_col() else {
            return Err(format!(
                "diagnostic without line and column: {}",
                x.headline()
            ));
        };
        let lines = x.source.split('\n').count();
        if line > lines {
            return Err(format!(
                "line {line} past the end ({lines} lines): {}",
                x.headline()
            ));
        }
        let located = format!("{}:{line}:{col}", x.file.display());
        if !msg.contains(&located) {
            return Err(format!("message lacks {located}:\n{msg}"));
        }
        match x.message.strip_prefix("malformed TOML: ") {
            Some(rest) if rest.trim().is_empty() => {
                return Err(format!("empty TOML error: {}", x.headline()));
            }
            Some(_) => {}
            None => {
                if x.field.as_deref().is_none_or(str::is_empty) {
                    return Err(format!("diagnostic names no field: {}", x.headline()));
                }
                if !x.message.starts_with("expected ") {
                    return Err(format!(
                        "diagnostic does not say what was expected: {}",
                        x.headline()
                    ));
                }
                if !(x.message.contains("found") || x.message.contains("gives")) {
                    return Err(format!(
                        "diagnostic does not say what was found: {}",
                        x.headline()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// What must survive `ideaflow show` and loading its output again.
fn resolved(exp: &Experiment) -> String {
    let mut base = exp.base.to_json();
    // `show` writes `extends` as a comment: its values are all written out.
    if let Some(m) = base.as_object_mut() {
        m.remove("extends");
    }
    let axes: Vec<(String, Vec<String>)> = exp
        .axes
        .iter()
        .map(|a| {
            (
                a.path().to_string(),
                a.values.iter().map(Value::to_toml).collect(),
            )
        })
        .collect();
    let ivs: Vec<Vec<&str>> = exp
        .intervention_fields
        .iter()
        .map(|fs| fs.iter().map(|f| f.path).collect())
        .collect();
    format!(
        "name {:?}\nmodel {:?}\nseed {}\nreplicates {}\nsteps {}\nevery {}\ntimeseries {}\nteams {}\nmetrics {:?}\npoints {}\nbase {base}\naxes {axes:?}\ninterventions {ivs:?}",
        exp.name,
        exp.model,
        exp.seed,
        exp.replicates,
        exp.base
            .get("steps")
            .map(Value::to_toml)
            .unwrap_or_default(),
        exp.every,
        exp.timeseries,
        exp.teams,
        exp.metrics,
        exp.points(),
    )
}

fn check_show_round_trip(exp: &Experiment) -> Result<(), String> {
    let text = catch_unwind(AssertUnwindSafe(|| show::to_toml(exp)))
        .map_err(|e| format!("show panicked: {}", panic_message(&*e)))?;
    let again = catch_unwind(AssertUnwindSafe(|| {
        scenario::parse(&exp.path, &text, &Overrides::default())
    }))
    .map_err(|e| format!("loading show's output panicked: {}", panic_message(&*e)))?
    .map_err(|d| format!("show's output does not load:\n{d}\n--- show output ---\n{text}"))?;
    let (a, b) = (resolved(exp), resolved(&again));
    if a != b {
        return Err(format!(
            "show's output loads to other parameters:\n{}\n--- show output ---\n{text}",
            diff(&a, &b)
        ));
    }
    Ok(())
}

fn diff(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("- {x}\n+ {y}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn int(ps: &ideaflow::scenario::params::ParamSet, path: &str) -> u64 {
    ps.get(path).and_then(Value::as_i64).unwrap_or(0).max(0) as u64
}

/// Agents (or employees, or individuals) at sweep point 0, with partner
/// ties counted as agents; `None` when too big to simulate in a test.
fn small_enough(exp: &Experiment) -> bool {
    let ps = exp.point(0);
    let size = match exp.model {
        ModelKind::Bass => {
            let n = int(&ps, "bass.agents");
            let complete = ps.get("bass.network").and_then(Value::as_str) == Some("complete");
            if complete {
                n
            } else {
                n.saturating_mul(int(&ps, "bass.degree").max(1)) / 20
            }
        }
        ModelKind::March => int(&ps, "march.individuals"),
        ModelKind::Climate => {
            let teams = int(&ps, "climate.organisation.departments")
                .saturating_mul(int(&ps, "climate.organisation.teams_per_department"));
            let fixed = ps
                .get("climate.organisation.team_size_distribution")
                .and_then(Value::as_str)
                == Some("fixed");
            let size = if fixed {
                int(&ps, "climate.organisation.team_size")
            } else {
                int(&ps, "climate.organisation.team_size_max")
                    .max(int(&ps, "climate.organisation.team_size"))
            };
            let mut ties = int(&ps, "climate.partners.count")
                .saturating_mul(int(&ps, "climate.partners.ties"));
            for i in 0..exp.intervention_fields.len() {
                ties = ties.saturating_add(
                    int(&ps, &format!("interventions.{i}.count"))
                        .saturating_mul(int(&ps, &format!("interventions.{i}.ties"))),
                );
            }
            teams.saturating_mul(size).saturating_add(ties / 20)
        }
    };
    size <= MAX_SIM_AGENTS
}

/// The experiment cut down for a quick run: a few steps, a short burn-in,
/// interventions pulled forward so that they fire.
fn shrunk(exp: &Experiment) -> Experiment {
    let mut e = exp.clone();
    let cap = |path: &str| -> Option<i64> {
        if path == "steps" {
            Some(SIM_STEPS)
        } else if path == "climate.burn_in" {
            Some(SIM_BURN_IN)
        } else if path.starts_with("interventions.") && path.ends_with(".at") {
            Some(1)
        } else {
            None
        }
    };
    let paths: Vec<&'static str> = e.base.iter().map(|(p, _)| p).collect();
    for p in paths {
        if let (Some(c), Some(Value::Int(v))) = (cap(p), e.base.get(p)) {
            let v = (*v).min(c);
            e.base.set(p, Value::Int(v));
        }
    }
    for a in &mut e.axes {
        if let Some(c) = cap(a.path()) {
            for v in &mut a.values {
                if let Value::Int(x) = v {
                    *x = (*x).min(c);
                }
            }
        }
    }
    e
}

/// Simulates the first steps of run 0 when the experiment is small;
/// returns whether it did. The run happens on its own thread with a
/// generous limit (a few steps of a small organisation take milliseconds):
/// a parameter value that makes a step's work explode must be found, not
/// hang CI. This detects hangs; it is not a speed test.
fn check_simulation(exp: &Experiment) -> Result<bool, String> {
    if !small_enough(exp) {
        return Ok(false);
    }
    let e = shrunk(exp);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("fuzz-run".into())
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| {
                let layout = engine::layout(&e);
                engine::run::simulate(&e, &layout, RunId::of(&e, 0));
            }));
            let _ = tx.send(r.map_err(|p| panic_message(&*p)));
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    match rx.recv_timeout(std::time::Duration::from_secs(SIM_LIMIT_SECONDS)) {
        Ok(Ok(())) => Ok(true),
        Ok(Err(msg)) => Err(format!("run 0 panicked: {msg}")),
        Err(_) => Err(format!(
            "{HANG}: run 0 did not finish {SIM_STEPS} steps within {SIM_LIMIT_SECONDS} s"
        )),
    }
}

/// How a fuzz case ended, when every property held.
enum Outcome {
    /// Loaded; whether run 0 was simulated.
    Loaded(bool),
    /// Rejected, with the kind of rejection.
    Rejected(&'static str),
}

/// Loads `path` and checks every property; `Err` describes the failure.
fn check_file(path: &Path, base: Option<&Path>, overrides: &Overrides) -> Result<Outcome, String> {
    let loaded = catch_unwind(AssertUnwindSafe(|| scenario::load(path, overrides)))
        .map_err(|p| format!("the loader panicked: {}", panic_message(&*p)))?;
    match loaded {
        Err(e) => {
            let kind = match &e {
                LoadError::Read { .. } => "unreadable (e.g. not UTF-8)",
                LoadError::Invalid(d) if d.iter().any(|x| x.message.starts_with("malformed")) => {
                    "malformed TOML"
                }
                LoadError::Invalid(_) => "invalid",
                _ => "other",
            };
            check_rejection(e, path, base)?;
            Ok(Outcome::Rejected(kind))
        }
        Ok(exp) => {
            check_show_round_trip(&exp)?;
            let simulated = check_simulation(&exp)?;
            Ok(Outcome::Loaded(simulated))
        }
    }
}

/// `IDEAFLOW_FUZZ_SURVEY=1`: instead of stopping at (and shrinking) the
/// first failure, run every case and list each distinct failure once, with
/// a tally of outcomes and the slowest case: for finding bugs in bulk.
#[derive(Default)]
struct Survey {
    tally: std::collections::BTreeMap<&'static str, u64>,
    failures: std::collections::BTreeMap<String, String>,
    slowest: (f64, String),
}

impl Survey {
    fn record(&mut self, outcome: &Result<Outcome, String>, text: &str, seconds: f64) {
        if seconds > self.slowest.0 {
            self.slowest = (seconds, text.to_string());
        }
        let key = match outcome {
            Ok(Outcome::Loaded(true)) => "loaded and simulated",
            Ok(Outcome::Loaded(false)) => "loaded (too big to simulate)",
            Ok(Outcome::Rejected(kind)) => kind,
            Err(_) => "FAILED",
        };
        *self.tally.entry(key).or_insert(0) += 1;
        if let Err(why) = outcome {
            // Failures of one kind differ only in numbers and paths.
            let kind: String = why
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .take(90)
                .collect();
            self.failures
                .entry(kind)
                .or_insert_with(|| format!("{why}\n--- input ---\n{text}"));
        }
    }

    fn report(self) {
        eprintln!("outcomes: {:?}", self.tally);
        eprintln!("slowest case: {:.3} s:\n{}", self.slowest.0, self.slowest.1);
        for (kind, example) in &self.failures {
            eprintln!("==== {kind}\n{example}\n");
        }
        assert!(
            self.failures.is_empty(),
            "{} kinds of failure",
            self.failures.len()
        );
    }
}

fn fuzz_shard(shard: u64) {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("IDEAFLOW_FUZZ_CASES").map_or(CASES_PER_SHARD, |n| (n / SHARDS).max(1) as u32);
    let seed = env("IDEAFLOW_FUZZ_SEED").unwrap_or(0x1DEA_F10C);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(shard)),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let survey = std::env::var_os("IDEAFLOW_FUZZ_SURVEY")
        .is_some()
        .then(|| std::sync::Mutex::new(Survey::default()));
    let hung = std::sync::atomic::AtomicBool::new(false);
    let tree = Tree::new();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |c| {
        if hung.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(()); // no shrinking after a hang
        }
        let (path, text, base) = write_case(&tree, &c);
        let base_path = tree.scenarios.join(if base.is_some() {
            "fuzzbase.toml"
        } else {
            "baseline.toml"
        });
        let overrides = Overrides {
            seed: c.overrides.0,
            replicates: c.overrides.1,
            steps: c.overrides.2,
        };
        let clock = std::time::Instant::now();
        let outcome = check_file(&path, Some(&base_path), &overrides);
        if outcome.as_ref().is_err_and(|why| why.starts_with(HANG)) {
            hung.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let text = String::from_utf8_lossy(&text);
        if let Some(survey) = &survey {
            let seconds = clock.elapsed().as_secs_f64();
            survey.lock().unwrap().record(&outcome, &text, seconds);
            return Ok(());
        }
        outcome.map(|_| ()).map_err(|why| {
            let base_note = base
                .map(|b| {
                    format!(
                        "\n--- base (fuzzbase.toml) ---\n{}",
                        String::from_utf8_lossy(&b)
                    )
                })
                .unwrap_or_default();
            TestCaseError::fail(format!(
                "{why}\n--- input ({}) ---\n{text}{base_note}",
                path.display()
            ))
        })
    });
    if let Some(survey) = survey {
        survey.into_inner().unwrap().report();
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, c)) => panic!("fuzz case failed: {why}\nminimal case: {c:#?}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn fuzz_loader_shard_0() {
    fuzz_shard(0);
}

#[test]
fn fuzz_loader_shard_1() {
    fuzz_shard(1);
}

#[test]
fn fuzz_loader_shard_2() {
    fuzz_shard(2);
}

#[test]
fn fuzz_loader_shard_3() {
    fuzz_shard(3);
}

/// Every bundled scenario passes the properties unmutated (show round trip
/// and a short simulation included).
#[test]
fn fuzz_bundled_scenarios_pass_unmutated() {
    let tree = Tree::new();
    for (rel, _) in &tree.files {
        let path = tree.scenarios.join(rel);
        let outcome = check_file(&path, None, &Overrides::default())
            .unwrap_or_else(|why| panic!("{rel}: {why}"));
        assert!(
            matches!(outcome, Outcome::Loaded(..)),
            "{rel} does not load"
        );
    }
}

// ---------------------------------------------------------------------------
// The corpus of inputs that once failed, and hand-written nasty ones.

/// What a corpus file expects, from its first line.
enum Expect {
    Ok,
    Error(String),
}

fn expectation(text: &str) -> Expect {
    let first = text.lines().next().unwrap_or_default();
    let rest = first.strip_prefix("# fuzz-expect: ").unwrap_or_else(|| {
        panic!("corpus file must start with `# fuzz-expect: ok|error ...`, found {first:?}")
    });
    match rest.strip_prefix("error") {
        Some(msg) => Expect::Error(msg.trim().to_string()),
        None if rest.trim() == "ok" => Expect::Ok,
        None => panic!("bad expectation {rest:?}"),
    }
}

/// Loads every file of tests/fuzz-corpus/ as if it were in
/// scenarios/practices/ (so `extends = "../baseline.toml"` and siblings
/// resolve) and checks the properties and its expectation.
#[test]
fn fuzz_corpus_inputs_load_or_fail_clearly() {
    let tree = Tree::new();
    let corpus = root().join("tests").join("fuzz-corpus");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("tests/fuzz-corpus exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "corpus too small: {}", names.len());
    let dir = tree.scenarios.join("practices");
    for p in &names {
        std::fs::copy(p, dir.join(p.file_name().expect("name"))).expect("copy corpus file");
    }
    let mut failures = Vec::new();
    for p in &names {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        let bytes = std::fs::read(p).expect("read corpus file");
        let text = String::from_utf8_lossy(&bytes);
        let path = dir.join(&name);
        let base = tree.scenarios.join("baseline.toml");
        let outcome = check_file(&path, Some(&base), &Overrides::default());
        let problem = match (expectation(&text), outcome) {
            (_, Err(why)) => Some(why),
            (Expect::Ok, Ok(Outcome::Loaded(..))) => None,
            (Expect::Ok, Ok(Outcome::Rejected(_))) => {
                let e = scenario::load(&path, &Overrides::default())
                    .err()
                    .map(render);
                Some(format!(
                    "expected it to load, got:\n{}",
                    e.unwrap_or_default()
                ))
            }
            (Expect::Error(_), Ok(Outcome::Loaded(..))) => {
                Some("expected an error, it loaded".into())
            }
            (Expect::Error(want), Ok(Outcome::Rejected(_))) => {
                let msg = scenario::load(&path, &Overrides::default())
                    .err()
                    .map(render)
                    .unwrap_or_default();
                (!msg.contains(&want)).then(|| format!("message lacks {want:?}:\n{msg}"))
            }
        };
        if let Some(why) = problem {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
