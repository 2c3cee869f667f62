//! The output files: columns, row steps, counts summed between rows, totals,
//! summaries, empty fields for undefined values, the manifest.

use crate::util::{ideaflow, read_csv, write};

const SCENARIO: &str = r#"
model = "bass"
steps = 23
replicates = 3
seed = 5
[bass]
agents = 500
dt = 0.25
network = "small_world"
initial_adopters = 5
[output]
every = 5
[sweep]
"bass.q" = [0.2, 0.5]
"bass.network" = ["ring", "random"]
"#;

fn run_into(text: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "s.toml", text);
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    (dir, out)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn timeseries_has_rows_every_k_steps_and_the_last() {
    let (_d, out) = run_into(SCENARIO, &[]);
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    assert_eq!(
        h,
        [
            "run_id",
            "point_id",
            "replicate",
            "seed",
            "step",
            "bass.q",
            "bass.network",
            "time",
            "adopters",
            "adoption_fraction",
            "new_adopters"
        ]
    );
    // 2 x 2 points x 3 replicates = 12 runs; rows at 0, 5, 10, 15, 20, 23.
    assert_eq!(rows.len(), 12 * 6);
    let steps: Vec<&str> = rows[..6]
        .iter()
        .map(|r| r[col(&h, "step")].as_str())
        .collect();
    assert_eq!(steps, ["0", "5", "10", "15", "20", "23"]);
    // (point, replicate, step) order and the Cartesian product, last key fastest.
    let points: Vec<(&str, &str, &str)> = rows
        .iter()
        .step_by(18)
        .map(|r| {
            (
                r[col(&h, "point_id")].as_str(),
                r[col(&h, "bass.q")].as_str(),
                r[col(&h, "bass.network")].as_str(),
            )
        })
        .collect();
    assert_eq!(
        points,
        [
            ("0", "0.2", "ring"),
            ("1", "0.2", "random"),
            ("2", "0.5", "ring"),
            ("3", "0.5", "random")
        ]
    );
    let ids: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn counts_are_summed_between_rows_and_totals_match() {
    let (_d, out) = run_into(SCENARIO, &[]);
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let (rh, runs) = read_csv(&out.join("runs.csv"));
    for run in &runs {
        let id = &run[col(&rh, "run_id")];
        let mine: Vec<&Vec<String>> = rows.iter().filter(|r| &r[0] == id).collect();
        let adopters = |r: &Vec<String>| r[col(&h, "adopters")].parse::<i64>().unwrap();
        for w in mine.windows(2) {
            // New adopters in a row = growth in adopters since the previous row.
            let new: i64 = w[1][col(&h, "new_adopters")].parse().unwrap();
            assert_eq!(new, adopters(w[1]) - adopters(w[0]));
        }
        let sum: i64 = mine
            .iter()
            .map(|r| r[col(&h, "new_adopters")].parse::<i64>().unwrap())
            .sum();
        let total: i64 = run[col(&rh, "new_adopters_total")].parse().unwrap();
        assert_eq!(sum, total);
        assert_eq!(adopters(mine[0]), 5, "initial adopters at step 0");
        assert_eq!(total, adopters(mine.last().unwrap()) - 5);
        assert_eq!(
            run[col(&rh, "adopters")],
            mine.last().unwrap()[col(&h, "adopters")]
        );
    }
}

#[test]
fn runs_csv_has_one_row_per_run_with_seeds_and_totals() {
    let (_d, out) = run_into(SCENARIO, &[]);
    let (h, runs) = read_csv(&out.join("runs.csv"));
    assert_eq!(
        h,
        [
            "run_id",
            "point_id",
            "replicate",
            "seed",
            "bass.q",
            "bass.network",
            "time",
            "adopters",
            "adoption_fraction",
            "new_adopters",
            "new_adopters_total"
        ]
    );
    assert_eq!(runs.len(), 12);
    let seeds: std::collections::HashSet<&str> = runs.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(seeds.len(), 12, "every run has its own seed");
    assert!(
        runs.iter()
            .all(|r| r[3].parse::<u64>().unwrap() < (1u64 << 53))
    );
}

#[test]
fn summary_has_one_row_per_point_step_and_metric() {
    let (_d, out) = run_into(SCENARIO, &[]);
    let (h, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(
        h,
        [
            "point_id",
            "bass.q",
            "bass.network",
            "step",
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high"
        ]
    );
    assert_eq!(rows.len(), 4 * 6 * 4);
    // The summary agrees with the time series it summarises.
    let (th, ts) = read_csv(&out.join("timeseries.csv"));
    let xs: Vec<f64> = ts
        .iter()
        .filter(|r| r[col(&th, "point_id")] == "3" && r[col(&th, "step")] == "20")
        .map(|r| r[col(&th, "adoption_fraction")].parse().unwrap())
        .collect();
    assert_eq!(xs.len(), 3);
    let mean = xs.iter().sum::<f64>() / 3.0;
    let row = rows
        .iter()
        .find(|r| r[0] == "3" && r[3] == "20" && r[4] == "adoption_fraction")
        .unwrap();
    assert_eq!(row[5], "3");
    approx::assert_relative_eq!(row[6].parse::<f64>().unwrap(), mean, epsilon = 1e-12);
    let (lo, hi): (f64, f64) = (row[8].parse().unwrap(), row[9].parse().unwrap());
    assert!(lo <= mean && mean <= hi);
}

#[test]
fn one_replicate_leaves_sd_and_intervals_empty() {
    let (_d, out) = run_into(SCENARIO, &["--replicates", "1"]);
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(!text.to_lowercase().contains("nan"));
    let (_, rows) = read_csv(&out.join("summary.csv"));
    assert!(
        rows.iter()
            .all(|r| r[5] == "1" && r[7].is_empty() && r[8].is_empty() && r[9].is_empty())
    );
}

#[test]
fn metrics_can_be_limited() {
    let text = SCENARIO.replace(
        "every = 5",
        "every = 5\nmetrics = [\"new_adopters\", \"adopters\"]",
    );
    let (_d, out) = run_into(&text, &[]);
    let (h, _) = read_csv(&out.join("timeseries.csv"));
    assert_eq!(&h[7..], ["adopters", "new_adopters"]);
    let (h, _) = read_csv(&out.join("runs.csv"));
    assert_eq!(&h[6..], ["adopters", "new_adopters", "new_adopters_total"]);
}

#[test]
fn timeseries_can_be_switched_off() {
    let text = SCENARIO.replace("every = 5", "every = 5\ntimeseries = false");
    let (_d, out) = run_into(&text, &[]);
    assert!(!out.join("timeseries.csv").exists());
    assert!(out.join("runs.csv").exists() && out.join("summary.csv").exists());
}

#[test]
fn no_partial_files_remain_and_manifest_describes_the_run() {
    let (_d, out) = run_into(SCENARIO, &["--threads", "2"]);
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
    assert!(!names.iter().any(|n| n == ".ideaflow.lock"), "{names:?}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["program"]["name"], "ideaflow");
    assert!(m["program"]["git_commit"].is_string());
    assert_eq!(m["scenario"]["text"], SCENARIO);
    assert_eq!(m["seed"], 5);
    assert_eq!(m["threads"], 2);
    assert_eq!(m["runs"], 12);
    assert_eq!(m["complete"], true);
    assert_eq!(m["rows"]["timeseries"], 72);
    assert_eq!(m["rows"]["runs"], 12);
    assert_eq!(m["rows"]["summary"], 96);
    assert!(
        m["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--threads")
    );
    assert_eq!(m["point_parameters"].as_array().unwrap().len(), 4);
    assert_eq!(
        m["point_parameters"][3]["parameters"]["bass.network"],
        "random"
    );
    assert_eq!(m["point_parameters"][3]["parameters"]["bass.agents"], 500);
    assert!(m["started"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn csv_heads_snapshot() {
    let (_d, out) = run_into(SCENARIO, &[]);
    let head = |f: &str| {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .take(4)
            .collect::<Vec<_>>()
            .join("\n")
    };
    insta::assert_snapshot!("timeseries_head", head("timeseries.csv"));
    insta::assert_snapshot!("runs_head", head("runs.csv"));
    insta::assert_snapshot!("summary_head", head("summary.csv"));
}

#[test]
fn a_swept_intervention_key_keeps_the_name_the_user_wrote() {
    let text = "steps = 3\nreplicates = 1\n[climate]\nburn_in = 2\n[climate.organisation]\ndepartments = 1\nteams_per_department = 2\n[[interventions]]\nkind = \"psych_safety_training\"\nname = \"pst\"\nat = 1\n[[interventions]]\nkind = \"rewards\"\nat = 1\n[sweep]\n\"interventions.pst.boost\" = [0.1, 0.2]\n\"interventions.1.level\" = [0.1, 0.3]\n";
    let (_tmp, out) = run_into(text, &[]);
    for file in ["runs.csv", "timeseries.csv", "summary.csv"] {
        let (header, _) = read_csv(&out.join(file));
        assert!(
            header.contains(&"interventions.pst.boost".to_string())
                && header.contains(&"interventions.1.level".to_string()),
            "{file}: {header:?}"
        );
        assert!(!header.contains(&"interventions.0.boost".to_string()));
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["sweep"][0]["path"], "interventions.pst.boost");
    // `show` writes the sweep as it was written, and it loads again.
    let shown = ideaflow::scenario::show::to_toml(&crate::util::experiment(text));
    assert!(
        shown.contains("\"interventions.pst.boost\" = [0.1, 0.2]"),
        "{shown}"
    );
    crate::util::experiment(&shown);
}
