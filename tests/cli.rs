//! The command line: run with its options, show, validate, completions.

use predicates::prelude::*;

use crate::util::{bundled, ideaflow, root, write};

const SMALL: &str = r#"
model = "bass"
steps = 5
replicates = 2
[bass]
agents = 50
"#;

#[test]
fn default_output_folder_is_output_slash_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tiny-example.toml", SMALL);
    ideaflow()
        .current_dir(dir.path())
        .args(["run", "tiny-example.toml"])
        .assert()
        .success();
    assert!(dir.path().join("output/tiny-example/runs.csv").exists());
    // The name key, when set, names the folder.
    write(
        dir.path(),
        "other.toml",
        &format!("name = \"named\"\n{SMALL}"),
    );
    ideaflow()
        .current_dir(dir.path())
        .args(["run", "other.toml", "--quiet"])
        .assert()
        .success();
    assert!(dir.path().join("output/named/manifest.json").exists());
}

#[test]
fn existing_results_are_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = std::fs::read(out.join("runs.csv")).unwrap();
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "99"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("already holds results")
                .and(predicate::str::contains("--force")),
        );
    assert_eq!(
        std::fs::read(out.join("runs.csv")).unwrap(),
        before,
        "refused run must not touch results"
    );
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "99", "--force"])
        .assert()
        .success();
    assert_ne!(std::fs::read(out.join("runs.csv")).unwrap(), before);
}

#[test]
fn an_empty_existing_folder_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn overrides_replace_file_values() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .args([
            "--replicates",
            "3",
            "--steps",
            "7",
            "--seed",
            "4",
            "--quiet",
        ])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["replicates"], 3);
    assert_eq!(m["seed"], 4);
    assert_eq!(m["base_parameters"]["steps"], 7);
    assert_eq!(m["rows"]["timeseries"], 3 * 8);
}

#[test]
fn show_fills_every_default_and_reads_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let out = ideaflow()
        .arg("show")
        .arg(bundled("bass-networks.toml"))
        .assert()
        .success();
    let shown = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for key in [
        "rewire = 0.1",
        "initial_adopters = 0",
        "every = 5",
        "timeseries = true",
        "metrics = [\"time\"",
    ] {
        assert!(shown.contains(key), "show lacks {key}:\n{shown}");
    }
    assert!(shown.contains("(default)"));
    // What show prints is itself a valid scenario with the same parameters.
    let again = write(dir.path(), "bass-networks.toml", &shown);
    let reshown = ideaflow().arg("show").arg(&again).assert().success();
    let a = ideaflow::scenario::load(&bundled("bass-networks.toml"), &Default::default()).unwrap();
    let b = ideaflow::scenario::load(&again, &Default::default()).unwrap();
    assert_eq!(a.base, b.base);
    assert_eq!(a.points(), b.points());
    assert!(String::from_utf8_lossy(&reshown.get_output().stdout).contains("network"));
}

#[test]
fn validate_counts_runs_and_rows() {
    ideaflow()
        .arg("validate")
        .arg(bundled("bass-networks.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "4 points x 10 replicates = 40 runs",
        ))
        // 200 steps every 5: 41 rows per run.
        .stdout(predicate::str::contains("timeseries.csv 1640 rows ~"))
        .stdout(predicate::str::contains("runs.csv 40 rows ~"))
        .stdout(predicate::str::contains("summary.csv 656 rows ~"));
}

#[test]
fn every_bundled_scenario_is_valid() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2);
    ideaflow().arg("validate").args(&files).assert().success();
}

#[test]
fn completions_are_generated() {
    ideaflow()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ideaflow"));
    ideaflow().args(["completions", "zsh"]).assert().success();
}

#[test]
fn version_names_the_commit() {
    ideaflow()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("commit"));
}

#[test]
fn help_snapshot() {
    let out = ideaflow().args(["run", "--help"]).assert().success();
    insta::assert_snapshot!(String::from_utf8_lossy(&out.get_output().stdout));
}

#[test]
fn threads_must_be_positive() {
    ideaflow()
        .args(["run", "x.toml", "--threads", "0"])
        .assert()
        .code(2);
}

#[test]
fn docs_scenario_md_documents_every_key() {
    let doc = std::fs::read_to_string(root().join("docs/scenario.md")).unwrap();
    for model in ideaflow::model::ModelKind::ALL {
        for f in ideaflow::scenario::schema::fields_for(model) {
            let section = f.section();
            let heading = if section.is_empty() {
                "## Top level".to_string()
            } else {
                format!("## `[{section}]`")
            };
            let start = doc
                .find(&heading)
                .unwrap_or_else(|| panic!("docs/scenario.md lacks {heading}"));
            let body = &doc[start..];
            let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 3);
            assert!(
                body[..end].contains(&format!("| `{}` |", f.key())),
                "docs/scenario.md lacks `{}`",
                f.path
            );
        }
    }
}

#[test]
fn docs_scenario_md_documents_every_intervention_kind_and_key() {
    use ideaflow::model::climate::interventions::{COMMON, KINDS};
    let doc = std::fs::read_to_string(root().join("docs/scenario.md")).unwrap();
    for f in COMMON.iter() {
        assert!(
            doc.contains(&format!("| `{}` |", f.path)),
            "docs lack intervention key {}",
            f.path
        );
    }
    for kind in KINDS.iter() {
        let heading = format!("### `kind = \"{}\"`", kind.name);
        let start = doc
            .find(&heading)
            .unwrap_or_else(|| panic!("docs lack {heading}"));
        let body = &doc[start..];
        let end = body[4..].find("\n#").map_or(body.len(), |i| i + 4);
        for f in kind.fields.iter() {
            assert!(
                body[..end].contains(&format!("| `{}` |", f.path)),
                "docs lack {}.{}",
                kind.name,
                f.path
            );
        }
        assert!(
            doc.contains(&format!("- **`{}`**:", kind.name)),
            "docs lack the description of {}",
            kind.name
        );
    }
}

#[test]
fn plot_draws_svg_charts_of_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    ideaflow()
        .arg("plot")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("adoption_fraction.svg"));
    let svg = std::fs::read_to_string(out.join("plots/adoption_fraction.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("adoption_fraction") && svg.contains("<polyline")
    );
    ideaflow()
        .arg("plot")
        .arg(&out)
        .args(["--metric", "adopters"])
        .assert()
        .success();
    ideaflow()
        .arg("plot")
        .arg(&out)
        .args(["--metric", "nonsense"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no metric \"nonsense\""));
}

#[test]
fn progress_is_logged_as_lines_when_asked_and_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::util::write(
        dir.path(),
        "s.toml",
        "model = \"bass\"\nsteps = 3\nreplicates = 3\n[bass]\nagents = 50\n",
    );
    let out = ideaflow()
        .arg("run")
        .arg(&s)
        .args(["--out"])
        .arg(dir.path().join("a"))
        .args(["--progress", "log", "--progress-every", "0", "-j", "1"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("s: 1 of 3 runs (33.3 %), "), "{stderr}");
    assert!(stderr.contains("s: 3 of 3 runs (100.0 %), "), "{stderr}");
    assert!(
        stderr.contains("runs/s") && stderr.contains("elapsed"),
        "{stderr}"
    );
    // auto in a pipe: log lines every 10 s, so a short run prints none;
    // none prints none at all.
    for mode in ["auto", "none"] {
        let out = ideaflow()
            .arg("run")
            .arg(&s)
            .args(["--out"])
            .arg(dir.path().join(mode))
            .args(["--progress", mode])
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(!stderr.contains("of 3 runs"), "{mode}: {stderr}");
    }
}
