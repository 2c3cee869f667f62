//! Same scenario and seed give byte-identical CSV whatever the thread count.

use crate::util::{bundled, ideaflow};

fn run(threads: u32, out: &std::path::Path, extra: &[&str]) {
    ideaflow()
        .arg("run")
        .arg(bundled("bass-networks.toml"))
        .arg("--out")
        .arg(out)
        .arg("--threads")
        .arg(threads.to_string())
        .args(extra)
        .assert()
        .success();
}

#[test]
fn one_and_two_threads_give_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("t1"), dir.path().join("t2"));
    run(1, &a, &[]);
    run(2, &b, &[]);
    for f in ["timeseries.csv", "runs.csv", "summary.csv"] {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between --threads 1 and --threads 2");
    }
}

#[test]
fn many_threads_on_many_small_runs_give_identical_files() {
    // More threads than cores and more runs than the write window, so runs
    // finish out of order and wait in the reorder buffer.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("t1"), dir.path().join("t7"));
    let extra = ["--replicates", "60", "--steps", "20"];
    run(1, &a, &extra);
    run(7, &b, &extra);
    for f in ["timeseries.csv", "runs.csv", "summary.csv"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("s1"), dir.path().join("s2"));
    run(2, &a, &["--seed", "1"]);
    run(2, &b, &["--seed", "2"]);
    assert!(
        std::fs::read(a.join("runs.csv")).unwrap() != std::fs::read(b.join("runs.csv")).unwrap()
    );
}

/// Runs `text` with one and with two threads and checks every CSV file.
fn same_on_one_and_two_threads(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::util::write(dir.path(), "s.toml", text);
    for threads in ["1", "2"] {
        ideaflow()
            .arg("run")
            .arg(&s)
            .args(["--threads", threads, "--out"])
            .arg(dir.path().join(threads))
            .assert()
            .success();
    }
    for f in ["timeseries.csv", "runs.csv", "summary.csv"] {
        let a = std::fs::read(dir.path().join("1").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("2").join(f)).unwrap();
        assert!(a == b, "{f} differs between one and two threads");
    }
}

#[test]
fn one_large_climate_run_is_identical_when_its_teams_run_in_parallel() {
    // 12,000 employees: several chunks of teams processed in parallel within
    // the single run, with interventions that move people between teams.
    same_on_one_and_two_threads(
        "steps = 30\nreplicates = 1\n[climate.organisation]\ndepartments = 6\nteams_per_department = 200\n\
         [climate.partners]\ncount = 50\n\
         [[interventions]]\nkind = \"cross_functional_teams\"\nat = 5\n\
         [[interventions]]\nkind = \"layoff\"\nat = 10\nshare = 0.2\n\
         [[interventions]]\nkind = \"idea_platform\"\nat = 2\n",
    );
}

#[test]
fn one_large_bass_run_is_identical_when_its_blocks_run_in_parallel() {
    same_on_one_and_two_threads(
        "model = \"bass\"\nsteps = 40\nreplicates = 1\n[bass]\nagents = 200000\nnetwork = \"random\"\n",
    );
}
