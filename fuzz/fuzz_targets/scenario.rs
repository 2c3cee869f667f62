//! Coverage-guided fuzzing of the scenario loader (issue 12): libFuzzer's
//! bytes are a scenario file's text, handed to
//! `ideaflow::scenario::parse` as the file `scenarios/practices/fuzz.toml`
//! of a temporary tree (`$TMPDIR/ideaflow-fuzz/<pid>/`) holding a copy of
//! the bundled base, so `extends = "../baseline.toml"`
//! (what every practice says) resolves to the real scenarios/baseline.toml.
//!
//! An input may carry a base of its own after a line `#%base%`: the text
//! after it is written to `scenarios/fuzz-base.toml` before parsing, so
//! `extends = "../fuzz-base.toml"` fuzzes the base and its variant together
//! (without the line, no such file exists).
//!
//! Properties, each a crash (a panic) when broken:
//! - the loader never panics (libFuzzer also reports hangs and memory);
//! - a rejection renders (`to_string()`), and every problem points at a
//!   line and column of the file it names (the scenario or its base), names
//!   the field and says what was expected and what was found (a TOML
//!   syntax error says what is malformed);
//! - an accepted scenario renders through `show::to_toml`, and that text
//!   parses again to the same parameters, sweeps and interventions.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use ideaflow::scenario::diagnostic::{Diagnostics, MAX_SHOWN};
use ideaflow::scenario::value::Value;
use ideaflow::scenario::{self, Experiment, Overrides, show};
use libfuzzer_sys::fuzz_target;

/// The line that starts an input's own base scenario.
const BASE_MARK: &str = "\n#%base%\n";

struct Tree {
    /// scenarios/practices/fuzz.toml (never written: its text is the input).
    file: PathBuf,
    /// scenarios/fuzz-base.toml, the input's own base when it has one.
    own_base: PathBuf,
}

fn tree() -> &'static Tree {
    static TREE: OnceLock<Tree> = OnceLock::new();
    TREE.get_or_init(|| {
        // One tree per process (libFuzzer's -fork and -jobs run several);
        // scripts/fuzz.sh removes them all after a campaign.
        let dir = std::env::temp_dir()
            .join("ideaflow-fuzz")
            .join(std::process::id().to_string());
        let scenarios = dir.join("scenarios");
        std::fs::create_dir_all(scenarios.join("practices")).expect("create the fuzz tree");
        std::fs::write(
            scenarios.join("baseline.toml"),
            include_str!("../../scenarios/baseline.toml"),
        )
        .expect("write baseline.toml");
        Tree {
            file: scenarios.join("practices").join("fuzz.toml"),
            own_base: scenarios.join("fuzz-base.toml"),
        }
    })
}

/// Whether the last input wrote scenarios/fuzz-base.toml.
static OWN_BASE_WRITTEN: AtomicBool = AtomicBool::new(false);

fuzz_target!(|data: &[u8]| {
    // The loader reads text: a file that is not UTF-8 is refused by
    // `files::read_input_text` before `parse` sees it (tests/fuzz-corpus/011).
    // Invalid bytes become U+FFFD here, so every input is parsed.
    let input = String::from_utf8_lossy(data);
    let input = &*input;
    let tree = tree();
    let (text, own_base) = match input.split_once(BASE_MARK) {
        Some((text, base)) => (text, Some(base)),
        None => (input, None),
    };
    match own_base {
        Some(base) => {
            std::fs::write(&tree.own_base, base).expect("write fuzz-base.toml");
            OWN_BASE_WRITTEN.store(true, Ordering::Relaxed);
        }
        None => {
            if OWN_BASE_WRITTEN.swap(false, Ordering::Relaxed) {
                std::fs::remove_file(&tree.own_base).expect("remove fuzz-base.toml");
            }
        }
    }
    match scenario::parse(&tree.file, text, &Overrides::default()) {
        Ok(exp) => check_round_trip(&exp),
        Err(d) => check_rejection(&d, &tree.file, text),
    }
});

/// Every problem is rendered and points at a place of a file it names.
fn check_rejection(d: &Diagnostics, file: &Path, text: &str) {
    let msg = d.to_string();
    assert!(!d.is_empty(), "rejected with no diagnostics");
    for (i, x) in d.iter().enumerate() {
        let headline = x.headline();
        // The file is the scenario or a base it extends, and the text
        // quoted is that file's.
        if x.file == file {
            assert!(
                &*x.source == text,
                "diagnostic quotes other text: {headline}"
            );
        } else {
            let on_disk = std::fs::read(&x.file).ok();
            assert!(
                on_disk.as_deref() == Some(x.source.as_bytes()),
                "diagnostic names a file whose text it does not quote: {headline}"
            );
        }
        let Some((line, col)) = x.line_col() else {
            panic!("diagnostic without line and column: {headline}");
        };
        let lines = x.source.split('\n').count();
        assert!(
            line <= lines,
            "line {line} past the end ({lines} lines): {headline}"
        );
        if i < MAX_SHOWN {
            let located = format!("{}:{line}:{col}", x.file.display());
            assert!(msg.contains(&located), "message lacks {located}:\n{msg}");
        }
        match x.message.strip_prefix("malformed TOML: ") {
            Some(rest) => assert!(!rest.trim().is_empty(), "empty TOML error: {headline}"),
            None => {
                assert!(
                    x.field.as_deref().is_some_and(|f| !f.is_empty()),
                    "diagnostic names no field: {headline}"
                );
                assert!(
                    x.message.starts_with("expected "),
                    "diagnostic does not say what was expected: {headline}"
                );
                assert!(
                    x.message.contains("found") || x.message.contains("gives"),
                    "diagnostic does not say what was found: {headline}"
                );
            }
        }
    }
}

/// `show`'s text loads again to the same experiment.
fn check_round_trip(exp: &Experiment) {
    let text = show::to_toml(exp);
    let again = match scenario::parse(&exp.path, &text, &Overrides::default()) {
        Ok(again) => again,
        Err(d) => panic!("show's output does not load:\n{d}\n--- show output ---\n{text}"),
    };
    let (a, b) = (resolved(exp), resolved(&again));
    if a != b {
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .map(|(x, y)| format!("- {x}\n+ {y}"))
            .collect();
        panic!(
            "show's output loads to other parameters:\n{}\n--- show output ---\n{text}",
            diff.join("\n")
        );
    }
}

/// What must survive `show` and loading its output again (as in
/// tests/fuzz.rs): every parameter, the sweep, the interventions.
fn resolved(exp: &Experiment) -> String {
    let mut base = exp.base.to_json();
    // `show` writes `extends` as a comment: its values are all written out.
    if let Some(m) = base.as_object_mut() {
        m.remove("extends");
    }
    let axes: Vec<(&str, Vec<String>)> = exp
        .axes
        .iter()
        .map(|a| (a.path(), a.values.iter().map(Value::to_toml).collect()))
        .collect();
    let ivs: Vec<Vec<&str>> = exp
        .intervention_fields
        .iter()
        .map(|fs| fs.iter().map(|f| f.path).collect())
        .collect();
    format!(
        "name {:?}\nmodel {:?}\nseed {}\nreplicates {}\nevery {}\ntimeseries {}\nteams {}\nmetrics {:?}\npoints {}\nbase {base}\naxes {axes:?}\ninterventions {ivs:?}",
        exp.name,
        exp.model,
        exp.seed,
        exp.replicates,
        exp.every,
        exp.timeseries,
        exp.teams,
        exp.metrics,
        exp.points(),
    )
}
