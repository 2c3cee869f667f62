//! `ideaflow merge` on hostile shards (issue 12, point 4): real shards
//! made with the CLI, then edited as a careless or hostile user would. Each
//! must be refused with exit code 2 and a message naming the shard's file
//! (and line, for a row), never a panic, and leave no output folder behind
//! (or leave it as it was).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::util::{ideaflow, write};

/// 4 sweep points (q x steps, steps swept) x 2 replicates = 8 runs in 3
/// shards: shard 1 holds runs 1, 4 and 7.
const BASS: &str = "model = \"bass\"\nsteps = 4\nreplicates = 2\nseed = 5\n[bass]\nagents = 20\n[sweep]\n\"bass.q\" = [0.2, 0.5]\nsteps = [3, 4]\n";

/// Teams: 2 teams, rows at steps 0, 3, 6; a swept intervention key; 2
/// points x 2 replicates in 2 shards (shard 0: runs 0 and 2).
const TEAMS: &str = "model = \"climate\"\nsteps = 6\nreplicates = 2\n[output]\nteams = true\nevery = 3\n[climate]\nburn_in = 2\n[climate.organisation]\ndepartments = 1\nteams_per_department = 2\n[[interventions]]\nkind = \"psych_safety_training\"\nat = 2\n[sweep]\n\"interventions.0.boost\" = [0.1, 0.25]\n";

/// Shards of a scenario, made once and copied for each test.
pub struct Template {
    _dir: tempfile::TempDir,
    /// The shard folders.
    pub shards: Vec<PathBuf>,
    single: PathBuf,
}

fn make(text: &str, n: u64) -> Template {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", text);
    let shards: Vec<PathBuf> = (0..n)
        .map(|i| {
            let out = dir.path().join(format!("shard-{i}"));
            ideaflow()
                .args(["run", "-q", "-j", "1", "--shard", &format!("{i}/{n}")])
                .arg(&s)
                .arg("--out")
                .arg(&out)
                .assert()
                .success();
            out
        })
        .collect();
    let single = dir.path().join("single");
    ideaflow()
        .args(["run", "-q", "-j", "1"])
        .arg(&s)
        .arg("--out")
        .arg(&single)
        .assert()
        .success();
    Template {
        _dir: dir,
        shards,
        single,
    }
}

/// The Bass shards.
pub fn bass() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| make(BASS, 3))
}

/// The climate shards with teams.csv.
pub fn teams() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| make(TEAMS, 2))
}

/// A fresh copy of a template's shards in `tmp/shards/shard-I`.
struct Case {
    tmp: tempfile::TempDir,
    dirs: Vec<PathBuf>,
}

impl Case {
    fn of(t: &Template) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = t
            .shards
            .iter()
            .map(|from| {
                let to = tmp.path().join("shards").join(from.file_name().unwrap());
                std::fs::create_dir_all(&to).unwrap();
                for e in std::fs::read_dir(from).unwrap() {
                    let e = e.unwrap();
                    std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
                }
                to
            })
            .collect();
        Case { tmp, dirs }
    }

    fn out(&self) -> PathBuf {
        self.tmp.path().join("merged")
    }

    fn file(&self, shard: usize, name: &str) -> PathBuf {
        self.dirs[shard].join(name)
    }

    /// Edits the manifest of shard `shard`.
    fn manifest(&self, shard: usize, edit: impl FnOnce(&mut Value)) {
        let path = self.file(shard, "manifest.json");
        let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut m);
        std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    }

    /// Edits every shard's manifest the same way.
    fn manifests(&self, edit: impl Fn(&mut Value)) {
        for i in 0..self.dirs.len() {
            self.manifest(i, &edit);
        }
    }

    /// Edits the lines (header = line 1 = index 0) of a shard's file.
    fn lines(&self, shard: usize, name: &str, edit: impl FnOnce(&mut Vec<String>)) {
        let path = self.file(shard, name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        edit(&mut lines);
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(&path, text).unwrap();
    }

    /// Replaces field `col` (0-based) of line `line` (1-based).
    fn field(&self, shard: usize, name: &str, line: usize, col: usize, value: &str) {
        self.lines(shard, name, |l| {
            let mut f: Vec<&str> = l[line - 1].split(',').collect();
            f[col] = value;
            l[line - 1] = f.join(",");
        });
    }

    /// Merges; returns the exit code and stderr.
    fn merge(&self, extra: &[&str]) -> (Option<i32>, String) {
        self.merge_dirs(&self.dirs, &self.out(), extra)
    }

    fn merge_dirs(&self, dirs: &[PathBuf], out: &Path, extra: &[&str]) -> (Option<i32>, String) {
        let o = ideaflow()
            .current_dir(self.tmp.path())
            .arg("merge")
            .args(
                dirs.iter()
                    .map(|d| d.strip_prefix(self.tmp.path()).unwrap()),
            )
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// Merges and expects a refusal naming every one of `needles`, and no
    /// output folder.
    fn refused(&self, extra: &[&str], needles: &[&str]) -> String {
        let (code, err) = self.merge(extra);
        refusal(code, &err, needles);
        assert!(
            !self.out().exists(),
            "the output folder was left behind: {:?}\n{err}",
            std::fs::read_dir(self.out()).map(|d| d.count())
        );
        err
    }
}

fn refusal(code: Option<i32>, err: &str, needles: &[&str]) {
    // Shown with --nocapture: the messages a user gets.
    eprintln!("{}", err.trim_end());
    assert!(!err.contains("panicked"), "a panic:\n{err}");
    assert_eq!(code, Some(2), "expected exit 2:\n{err}");
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in:\n{err}");
    }
}

fn seed(point: u64, replicate: u64) -> String {
    ideaflow::rng::run_seed(5, point, replicate).to_string()
}

#[test]
fn unedited_copies_merge_into_the_single_machine_files() {
    // The control for every test below.
    let c = Case::of(bass());
    let (code, err) = c.merge(&[]);
    assert_eq!(code, Some(0), "{err}");
    for f in ["timeseries.csv", "runs.csv", "summary.csv"] {
        assert_eq!(
            std::fs::read(c.out().join(f)).unwrap(),
            std::fs::read(bass().single.join(f)).unwrap(),
            "{f}"
        );
    }
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(c.out().join("manifest.json")).unwrap())
            .unwrap();
    let single: Value = serde_json::from_str(
        &std::fs::read_to_string(bass().single.join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["point_parameters"], single["point_parameters"]);
    let c = Case::of(teams());
    let (code, err) = c.merge(&[]);
    assert_eq!(code, Some(0), "{err}");
    for f in ["timeseries.csv", "runs.csv", "summary.csv", "teams.csv"] {
        assert_eq!(
            std::fs::read(c.out().join(f)).unwrap(),
            std::fs::read(teams().single.join(f)).unwrap(),
            "{f}"
        );
    }
}

// ---------------------------------------------------------------------------
// The shard block.

#[test]
fn a_shard_index_beyond_the_count_is_named_with_and_without_partial() {
    let c = Case::of(bass());
    c.manifest(1, |m| m["shard"]["index"] = json!(5));
    for extra in [&[][..], &["--partial"][..]] {
        c.refused(
            extra,
            &["shards/shard-1/manifest.json: shard.index: expected an integer from 0 to 2, found 5"],
        );
    }
}

#[test]
fn a_shard_count_of_zero_or_huge_is_refused() {
    for count in [json!(0), json!(1_000_000_000_000_000_000u64)] {
        let c = Case::of(bass());
        c.manifests(|m| m["shard"]["count"] = count.clone());
        let err = c.refused(
            &[],
            &[&format!(
                "shards/shard-0/manifest.json: shard.count: expected an integer from 1 to 1000000, found {count}"
            )],
        );
        assert!(
            err.contains("shards/shard-2/manifest.json: shard.count"),
            "{err}"
        );
    }
}

#[test]
fn a_negative_or_text_shard_index_is_refused() {
    let c = Case::of(bass());
    c.manifest(1, |m| m["shard"]["index"] = json!(-1));
    c.manifest(2, |m| m["shard"]["index"] = json!("2"));
    c.refused(
        &["--partial"],
        &[
            "shards/shard-1/manifest.json: shard.index: expected an integer from 0 to 2, found -1",
            "shards/shard-2/manifest.json: shard.index: expected an integer from 0 to 2, found \"2\"",
        ],
    );
}

#[test]
fn shard_blocks_that_disagree_are_named() {
    let c = Case::of(bass());
    c.manifest(2, |m| m["shard"] = json!({"index": 2, "count": 4}));
    c.refused(
        &["--partial"],
        &[
            "shards/shard-0 and shards/shard-2 are not shards of the same experiment",
            "number of shards (3 vs 4)",
        ],
    );
    let c = Case::of(bass());
    c.manifest(2, |m| m["shard"] = json!([2, 3]));
    c.refused(
        &[],
        &["shards/shard-2/manifest.json: shard: expected an object {\"index\": I, \"count\": N}, found an array of 2 items"],
    );
}

#[test]
fn a_shard_whose_run_count_is_edited_is_named() {
    let c = Case::of(bass());
    c.manifest(2, |m| m["runs"] = json!(3));
    c.refused(
        &[],
        &["shards/shard-2/manifest.json: runs: expected 2 (the runs of shard 2 of 3 in an experiment of 8 runs), found 3"],
    );
}

// ---------------------------------------------------------------------------
// The experiment's fields.

#[test]
fn zero_replicates_or_points_and_missing_fields_are_named() {
    let c = Case::of(bass());
    c.manifests(|m| {
        m["replicates"] = json!(0);
        m["points"] = json!(-4);
        m.as_object_mut().unwrap().remove("seed");
        m.as_object_mut().unwrap().remove("every");
    });
    c.refused(
        &[],
        &[
            "shards/shard-0/manifest.json: replicates: expected an integer >= 1, found 0",
            "shards/shard-0/manifest.json: points: expected an integer >= 1, found -4",
            "shards/shard-0/manifest.json: seed: expected an integer >= 0, found nothing (the field is missing)",
            "shards/shard-0/manifest.json: every: expected an integer >= 1, found nothing",
        ],
    );
}

#[test]
fn points_times_replicates_may_not_overflow_or_contradict_the_sweep() {
    let c = Case::of(bass());
    c.manifests(|m| {
        m["replicates"] = json!(u64::MAX);
        m["points"] = json!(4);
    });
    c.refused(&[], &["points x replicates: expected at most"]);
    let c = Case::of(bass());
    c.manifests(|m| m["points"] = json!(5));
    c.refused(
        &[],
        &["shards/shard-0/manifest.json: points: expected 4 (the product of the sweep's value counts 2 x 2), found 5"],
    );
}

#[test]
fn unknown_metrics_models_and_sweep_paths_are_named() {
    let c = Case::of(bass());
    c.manifests(|m| {
        m["metrics"][1] = json!("nope");
        m["sweep"][0]["path"] = json!("bass.nope");
        m["sweep"][1]["values"][0] = json!(-3);
    });
    c.refused(
        &[],
        &[
            "shards/shard-0/manifest.json: metrics[1]: expected a metric of model bass, found \"nope\"",
            "shards/shard-0/manifest.json: sweep[0].path: expected a parameter of model bass that can be swept, found \"bass.nope\"",
            "shards/shard-0/manifest.json: sweep[1].values[0]: expected integers from 1 to 100000000, found -3",
        ],
    );
    // An intervention key of an intervention the scenario does not have.
    let c = Case::of(teams());
    c.manifests(|m| m["sweep"][0]["path"] = json!("interventions.1.boost"));
    c.refused(
        &[],
        &["shards/shard-0/manifest.json: sweep[0].path: expected a parameter of model climate that can be swept, found \"interventions.1.boost\""],
    );
    let c = Case::of(bass());
    c.manifests(|m| m["scenario"]["model"] = json!("nope"));
    c.refused(
        &[],
        &["scenario.model: expected one of climate, march, bass, found \"nope\""],
    );
}

#[test]
fn base_parameters_missing_unknown_out_of_range_or_twice_are_named() {
    let c = Case::of(bass());
    c.manifests(|m| {
        let base = m["base_parameters"].as_object_mut().unwrap();
        base.remove("bass.p");
        base.insert("bass.nope".into(), json!(1));
        base.insert("bass.agents".into(), json!(0));
    });
    c.refused(
        &[],
        &[
            "shards/shard-0/manifest.json: base_parameters.bass.p: expected a number >= 0, found nothing (the field is missing)",
            "shards/shard-0/manifest.json: base_parameters.bass.agents: expected an integer from 1 to",
            "found 0",
            "shards/shard-0/manifest.json: base_parameters: expected the parameters of model bass, found 1 more: `bass.nope`",
        ],
    );
    // A key twice inside an object (serde_json would keep the last).
    let c = Case::of(bass());
    let path = c.file(1, "manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen(
            "\"bass.p\": 0.03,",
            "\"bass.p\": 0.03,\n    \"bass.p\": 0.5,",
            1,
        ),
    )
    .unwrap();
    c.refused(
        &[],
        &["shards/shard-1/manifest.json: not a valid manifest: the key `bass.p` appears twice"],
    );
}

#[test]
fn a_manifest_seed_or_sweep_edited_in_every_shard_contradicts_the_rows() {
    let c = Case::of(bass());
    c.manifests(|m| m["seed"] = json!(6));
    c.refused(
        &[],
        &[&format!(
            "shards/shard-0/timeseries.csv:2: seed: expected {} (the seed of run 0), found {}",
            ideaflow::rng::run_seed(6, 0, 0),
            seed(0, 0)
        )],
    );
    let c = Case::of(bass());
    c.manifests(|m| m["sweep"][0]["values"][0] = json!(0.3));
    c.refused(
        &[],
        &["shards/shard-0/timeseries.csv:2: bass.q: expected 0.3 (its value at point 0), found 0.2"],
    );
}

// ---------------------------------------------------------------------------
// Manifests that are not manifests.

#[test]
fn manifests_that_are_not_json_are_all_named_at_once() {
    let c = Case::of(bass());
    std::fs::write(c.file(0, "manifest.json"), "{\"seed\": 5,").unwrap();
    // Nested deeper than any manifest.
    std::fs::write(
        c.file(1, "manifest.json"),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    // A key twice.
    std::fs::write(c.file(2, "manifest.json"), "{\"shard\": 1, \"shard\": 2}").unwrap();
    c.refused(
        &[],
        &[
            "shards/shard-0/manifest.json: not a valid manifest: EOF while parsing",
            "shards/shard-1/manifest.json: not a valid manifest: invalid type: sequence",
            "shards/shard-2/manifest.json: not a valid manifest: the key `shard` appears twice",
        ],
    );
    let c = Case::of(bass());
    std::fs::write(
        c.file(1, "manifest.json"),
        format!(
            "{{\"point_parameters\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    )
    .unwrap();
    c.refused(
        &[],
        &["shards/shard-1/manifest.json: not a valid manifest: `point_parameters` nested deeper than 128 levels"],
    );
}

#[test]
fn a_huge_manifest_is_refused_at_its_first_byte() {
    let c = Case::of(bass());
    // 64 GiB of zeros (a sparse file: nothing is written).
    let f = std::fs::File::create(c.file(1, "manifest.json")).unwrap();
    f.set_len(64 << 30).unwrap();
    c.refused(
        &[],
        &["shards/shard-1/manifest.json: not a valid manifest: expected value at line 1 column 1"],
    );
}

#[cfg(unix)]
#[test]
fn a_manifest_or_csv_file_that_is_a_device_is_refused() {
    let c = Case::of(bass());
    std::fs::remove_file(c.file(1, "manifest.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", c.file(1, "manifest.json")).unwrap();
    c.refused(&[], &["shards/shard-1/manifest.json: not a regular file"]);
    let c = Case::of(bass());
    std::fs::remove_file(c.file(2, "runs.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", c.file(2, "runs.csv")).unwrap();
    c.refused(&[], &["shards/shard-2/runs.csv: not a regular file"]);
}

// ---------------------------------------------------------------------------
// Rows that contradict their manifest.

#[test]
fn a_seed_changed_in_timeseries_or_runs_is_named_with_its_line() {
    let c = Case::of(bass());
    c.field(1, "timeseries.csv", 3, 3, "99");
    c.refused(
        &[],
        &[&format!(
            "shards/shard-1/timeseries.csv:3: seed: expected {} (the seed of run 1), found 99",
            seed(0, 1)
        )],
    );
    let c = Case::of(bass());
    c.field(1, "runs.csv", 3, 3, "99");
    c.refused(
        &[],
        &[&format!(
            "shards/shard-1/runs.csv:3: seed: expected {} (the seed of run 4), found 99",
            seed(2, 0)
        )],
    );
}

#[test]
fn a_swept_value_changed_is_named() {
    let c = Case::of(bass());
    c.field(1, "timeseries.csv", 7, 5, "0.2");
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:7: bass.q: expected 0.5 (its value at point 2), found 0.2"],
    );
    let c = Case::of(bass());
    c.field(2, "runs.csv", 2, 5, "3");
    c.refused(
        &[],
        &["shards/shard-2/runs.csv:2: steps: expected 4 (its value at point 1), found 3"],
    );
}

#[test]
fn a_point_id_run_id_or_replicate_changed_is_named() {
    let c = Case::of(bass());
    c.field(1, "timeseries.csv", 2, 1, "1");
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:2: point_id: expected 0 (the point of run 1), found 1"],
    );
    let c = Case::of(bass());
    c.field(1, "runs.csv", 2, 2, "0");
    c.refused(
        &[],
        &["shards/shard-1/runs.csv:2: replicate: expected 1 (the replicate of run 1), found 0"],
    );
    let c = Case::of(bass());
    c.field(0, "timeseries.csv", 6, 0, "4");
    c.refused(
        &[],
        &["shards/shard-0/timeseries.csv:6: run_id: expected 3 (the row of run 3 at step 0 comes next), found 4"],
    );
}

#[test]
fn a_step_changed_is_named() {
    let c = Case::of(bass());
    c.field(1, "timeseries.csv", 4, 4, "7");
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:4: step: expected 2 (the next output step of run 1), found 7"],
    );
}

#[test]
fn rows_deleted_duplicated_or_swapped_are_named() {
    let c = Case::of(bass());
    c.lines(1, "timeseries.csv", |l| {
        l.remove(2);
    });
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:3: step: expected 1 (the next output step of run 1), found 2"],
    );
    let c = Case::of(bass());
    c.lines(1, "timeseries.csv", |l| {
        let dup = l[4].clone();
        l.insert(4, dup);
    });
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:6: run_id: expected 4 (the row of run 4 at step 0 comes next), found 1"],
    );
    let c = Case::of(bass());
    c.lines(1, "timeseries.csv", |l| l.swap(2, 3));
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:3: step: expected 1 (the next output step of run 1), found 2"],
    );
    // Whole runs out of order.
    let c = Case::of(bass());
    c.lines(1, "runs.csv", |l| l.swap(1, 2));
    c.refused(
        &[],
        &["shards/shard-1/runs.csv:2: run_id: expected 1 (the row of run 1 comes next), found 4"],
    );
    // The last row gone, or one too many.
    let c = Case::of(bass());
    c.lines(2, "runs.csv", |l| {
        l.pop();
    });
    c.refused(
        &[],
        &["shards/shard-2/runs.csv:3: expected the row of run 5, found the end of the file"],
    );
    let c = Case::of(bass());
    c.lines(2, "timeseries.csv", |l| {
        let last = l[l.len() - 1].clone();
        l.push(last);
    });
    c.refused(
        &[],
        &["shards/shard-2/timeseries.csv:11: expected the end of the file (the shard's last run is 5), found a row of run 5"],
    );
}

#[test]
fn a_cut_off_last_line_is_refused() {
    let c = Case::of(bass());
    let path = c.file(1, "timeseries.csv");
    let text = std::fs::read(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 3]).unwrap();
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv: its last line is cut off (the file does not end with a line break)"],
    );
}

#[test]
fn an_extra_or_missing_column_is_named() {
    let c = Case::of(bass());
    c.lines(1, "timeseries.csv", |l| l[4].push_str(",0"));
    c.refused(
        &[],
        &["shards/shard-1/timeseries.csv:5: expected 11 columns (as the header), found 12"],
    );
    let c = Case::of(bass());
    c.lines(0, "runs.csv", |l| {
        l[0] = l[0].replace("bass.q", "bass.p");
    });
    c.refused(
        &[],
        &["shards/shard-0/runs.csv:1: column 5: expected `bass.q`, found `bass.p`"],
    );
}

#[test]
fn values_not_written_as_ideaflow_writes_them_are_named() {
    for (value, what) in [
        ("abc", "an integer"),
        ("1.0", "an integer"),
        ("", "a count (never an empty field)"),
    ] {
        let c = Case::of(bass());
        c.field(1, "timeseries.csv", 4, 10, value);
        c.refused(
            &[],
            &[&format!(
                "shards/shard-1/timeseries.csv:4: new_adopters: expected {what}, found"
            )],
        );
    }
    for value in ["NaN", "inf", "0.050"] {
        // Each is refused, with what it should have been.
        let c = Case::of(bass());
        c.field(1, "timeseries.csv", 4, 9, value);
        c.refused(
            &[],
            &["shards/shard-1/timeseries.csv:4: adoption_fraction: expected a number"],
        );
    }
}

#[test]
fn a_runs_row_that_disagrees_with_the_time_series_is_named() {
    // A level at the last step.
    let c = Case::of(bass());
    c.field(1, "runs.csv", 2, 7, "3");
    c.refused(
        &[],
        &["shards/shard-1/runs.csv:2: adopters: expected 2 (its value at the last step, shards/shard-1/timeseries.csv:5), found 3"],
    );
    // A count's total.
    let c = Case::of(bass());
    c.field(1, "runs.csv", 2, 10, "5");
    c.refused(
        &[],
        &["shards/shard-1/runs.csv:2: new_adopters_total: expected 2 (the sum of run 1's rows in shards/shard-1/timeseries.csv), found 5"],
    );
}

#[test]
fn a_row_without_line_breaks_is_refused_without_reading_it_whole() {
    let c = Case::of(bass());
    let path = c.file(1, "timeseries.csv");
    let mut text = std::fs::read(&path).unwrap();
    text.truncate(text.len() - 1);
    text.extend(std::iter::repeat_n(b'7', 3 << 20));
    text.push(b'\n');
    std::fs::write(&path, text).unwrap();
    c.refused(
        &[],
        &[
            "shards/shard-1/timeseries.csv:14: expected a row of at most",
            "found a longer one",
        ],
    );
}

#[test]
fn a_missing_shard_file_is_named() {
    let c = Case::of(bass());
    std::fs::remove_file(c.file(2, "timeseries.csv")).unwrap();
    c.refused(
        &[],
        &["shards/shard-2/timeseries.csv: missing (its manifest says the shard is complete)"],
    );
}

#[test]
fn team_rows_deleted_or_reordered_are_named() {
    let c = Case::of(teams());
    // Run 0: teams 0 and 1 at steps 0, 3 and 6 (lines 2-7).
    c.lines(0, "teams.csv", |l| l.swap(3, 4));
    c.refused(
        &[],
        &["shards/shard-0/teams.csv:4: team: expected 0 (a step's team rows are in team order), found 1"],
    );
    let c = Case::of(teams());
    c.lines(0, "teams.csv", |l| {
        l.remove(4);
    });
    c.refused(
        &[],
        &["shards/shard-0/teams.csv:5: step: expected 3 (run 0 has 2 team rows at each output step), found 6"],
    );
    let c = Case::of(teams());
    c.field(1, "teams.csv", 2, 3, "12");
    c.refused(&[], &["shards/shard-1/teams.csv:2: seed: expected"]);
}

// ---------------------------------------------------------------------------
// What is left behind.

#[test]
fn a_failed_merge_leaves_an_existing_folder_as_it_was_and_makes_none() {
    let c = Case::of(bass());
    c.field(2, "timeseries.csv", 9, 3, "1");
    // An existing folder with a user's file.
    let out = c.tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep").unwrap();
    let (code, err) = c.merge_dirs(&c.dirs, &out, &[]);
    refusal(code, &err, &["shards/shard-2/timeseries.csv:9: seed"]);
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["notes.txt"]);
    // Folders the merge would have made, several levels deep.
    let deep = c.tmp.path().join("a").join("b").join("c");
    let (code, err) = c.merge_dirs(&c.dirs, &deep, &[]);
    refusal(code, &err, &["shards/shard-2/timeseries.csv:9: seed"]);
    assert!(!c.tmp.path().join("a").exists());
    // --force on a folder of results: they stay as they were.
    let results = c.tmp.path().join("results");
    let good = Case::of(bass());
    assert_eq!(good.merge_dirs(&good.dirs, &results, &[]).0, Some(0));
    let before: Vec<Vec<u8>> = ["runs.csv", "summary.csv", "manifest.json"]
        .iter()
        .map(|f| std::fs::read(results.join(f)).unwrap())
        .collect();
    let (code, err) = c.merge_dirs(&c.dirs, &results, &["--force"]);
    refusal(code, &err, &["shards/shard-2/timeseries.csv:9: seed"]);
    let after: Vec<Vec<u8>> = ["runs.csv", "summary.csv", "manifest.json"]
        .iter()
        .map(|f| std::fs::read(results.join(f)).unwrap())
        .collect();
    assert!(before == after, "the results changed");
    let mut names: Vec<_> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["manifest.json", "runs.csv", "summary.csv", "timeseries.csv"]
    );
}

#[test]
fn with_partial_a_bad_shard_is_named_and_a_good_subset_merges() {
    let c = Case::of(bass());
    c.field(1, "runs.csv", 2, 0, "x");
    // Without shard 1 the others merge.
    let (code, err) = c.merge_dirs(
        &[c.dirs[0].clone(), c.dirs[2].clone()],
        &c.out(),
        &["--partial"],
    );
    assert_eq!(code, Some(0), "{err}");
    std::fs::remove_dir_all(c.out()).unwrap();
    // With it, it is named, with or without --partial.
    for extra in [&[][..], &["--partial"][..]] {
        c.refused(
            extra,
            &["shards/shard-1/runs.csv:2: run_id: expected 1 (the row of run 1 comes next), found x"],
        );
    }
    // Not given at all: the message names the missing shard.
    let (code, err) = c.merge_dirs(&[c.dirs[0].clone(), c.dirs[2].clone()], &c.out(), &[]);
    refusal(code, &err, &["missing shard 1 of 3", "--partial"]);
    assert!(!c.out().exists());
}
