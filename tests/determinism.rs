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
