//! Edge cases: one replicate, a one-point sweep, one step, the largest
//! organisation allowed, unicode names and paths, paths with spaces.

use std::path::Path;

use crate::util::{ideaflow, write};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn header(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect()
}

#[test]
fn one_replicate_leaves_sd_and_intervals_empty_not_nan() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "one.toml",
        "model = \"bass\"\nsteps = 10\nreplicates = 1\n[bass]\nagents = 100\n",
    );
    let out = tmp.path().join("out");
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    let summary = read(&out.join("summary.csv"));
    assert!(!summary.to_lowercase().contains("nan"));
    assert!(!summary.contains("inf"));
    let h = header(&summary);
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let recs = rows(&summary);
    assert_eq!(recs.len(), 11 * 4);
    for r in &recs {
        assert_eq!(r[col("n")], "1");
        assert!(!r[col("mean")].is_empty());
        assert_eq!(r[col("sd")], "");
        assert_eq!(r[col("ci95_low")], "");
        assert_eq!(r[col("ci95_high")], "");
    }
    for f in ["timeseries.csv", "runs.csv"] {
        assert!(!read(&out.join(f)).to_lowercase().contains("nan"), "{f}");
    }
}

#[test]
fn a_sweep_of_one_point_keeps_its_column() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "pt.toml",
        "model = \"bass\"\nsteps = 5\nreplicates = 3\n[bass]\nagents = 100\n[sweep]\n\"bass.q\" = [0.45]\n",
    );
    ideaflow()
        .args(["validate"])
        .arg(&s)
        .assert()
        .success()
        .stdout(predicates::str::contains("1 point x 3 replicates = 3 runs"));
    let out = tmp.path().join("out");
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    for f in ["timeseries.csv", "runs.csv", "summary.csv"] {
        let text = read(&out.join(f));
        let h = header(&text);
        let k = h.iter().position(|c| c == "bass.q").expect("bass.q column");
        assert!(rows(&text).iter().all(|r| r[k] == "0.45"), "{f}");
    }
}

#[test]
fn one_step_gives_rows_for_steps_zero_and_one() {
    let tmp = tempfile::tempdir().unwrap();
    for (model, table) in [
        ("bass", "[bass]\nagents = 50\n"),
        ("march", ""),
        ("climate", "[climate]\nburn_in = 0\n"),
    ] {
        let s = write(
            tmp.path(),
            &format!("{model}.toml"),
            &format!("model = \"{model}\"\nsteps = 1\nreplicates = 2\n{table}"),
        );
        let out = tmp.path().join(model);
        ideaflow()
            .args(["run", "-q", "--out"])
            .arg(&out)
            .arg(&s)
            .assert()
            .success();
        let ts = read(&out.join("timeseries.csv"));
        let h = header(&ts);
        let step = h.iter().position(|c| c == "step").unwrap();
        let steps: Vec<String> = rows(&ts).into_iter().map(|r| r[step].clone()).collect();
        assert_eq!(steps, ["0", "1", "0", "1"], "{model}");
        assert_eq!(rows(&read(&out.join("runs.csv"))).len(), 2, "{model}");
    }
}

#[test]
fn the_largest_organisation_allowed_runs() {
    // 100 departments x 6,666 teams x 15 employees = 9,999,000: just under
    // the limit of 10,000,000 employees; one more team is refused.
    let tmp = tempfile::tempdir().unwrap();
    let text = |teams: u64| {
        format!(
            "model = \"climate\"\nsteps = 1\nreplicates = 1\n[output]\ntimeseries = false\n\
             [climate]\nburn_in = 0\n[climate.organisation]\ndepartments = 100\n\
             teams_per_department = {teams}\nteam_size = 15\n"
        )
    };
    let over = write(tmp.path(), "over.toml", &text(6667));
    ideaflow()
        .args(["validate"])
        .arg(&over)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("at most 10,000,000 employees"));
    let s = write(tmp.path(), "largest.toml", &text(6666));
    let out = tmp.path().join("out");
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    let runs = read(&out.join("runs.csv"));
    let h = header(&runs);
    let recs = rows(&runs);
    assert_eq!(recs.len(), 1);
    let k = h.iter().position(|c| c == "ideas_generated").unwrap();
    let generated: f64 = recs[0][k].parse().unwrap();
    assert!(generated > 0.0);
}

#[test]
fn unicode_names_and_paths_with_spaces_work_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my scenarios ünïcødé 名前");
    std::fs::create_dir(&dir).unwrap();
    let s = write(
        &dir,
        "équipe α β.toml",
        "name = \"Équipe α·β — 試験 ✓\"\nmodel = \"bass\"\nsteps = 3\nreplicates = 2\n[bass]\nagents = 30\n",
    );
    ideaflow()
        .current_dir(tmp.path())
        .args(["validate"])
        .arg(&s)
        .assert()
        .success();
    ideaflow()
        .current_dir(tmp.path())
        .args(["run", "-q"])
        .arg(&s)
        .assert()
        .success();
    // The default folder is output/<name>.
    let out = tmp.path().join("output").join("Équipe α·β — 試験 ✓");
    assert!(out.join("runs.csv").exists(), "{}", out.display());
    let m: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(m["scenario"]["name"], "Équipe α·β — 試験 ✓");
    assert!(
        m["scenario"]["path"]
            .as_str()
            .unwrap()
            .contains("équipe α β.toml")
    );
    // An explicit output path with spaces and unicode, and the hint to
    // resume quotes it so it can be pasted into a shell.
    let out2 = tmp.path().join("résultats à part");
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out2)
        .arg(&s)
        .assert()
        .success();
    assert_eq!(
        read(&out.join("timeseries.csv")),
        read(&out2.join("timeseries.csv"))
    );
    // show and plot handle the same names.
    ideaflow()
        .args(["show"])
        .arg(&s)
        .assert()
        .success()
        .stdout(predicates::str::contains("Équipe α·β — 試験 ✓"));
    ideaflow().args(["plot"]).arg(&out2).assert().success();
}
