//! Resource guards: estimates before starting, refusal (without --yes) of
//! experiments that cannot fit, and clear errors for folders and files
//! that cannot be used, with nothing written.

use ideaflow::engine::{self, RunOptions, estimate};
use ideaflow::scenario::{self, Overrides};

use crate::util::{bundled, experiment, ideaflow, write};

fn dir_size(dir: &std::path::Path, name: &str) -> u64 {
    std::fs::metadata(dir.join(name)).map_or(0, |m| m.len())
}

#[test]
fn estimates_are_within_a_factor_of_two_of_what_is_written() {
    // Never under the truth (the guard must not let a sweep start that
    // cannot finish), never more than twice it.
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "bass-networks.toml",
        "baseline.toml",
        "march1991-turbulence.toml",
    ] {
        let exp = scenario::load(&bundled(name), &Overrides::default()).unwrap();
        let est = estimate::estimate(&exp, 2);
        let out = tmp.path().join(name);
        let opts = RunOptions {
            threads: 2,
            ..RunOptions::new(&out)
        };
        engine::run(&exp, &opts).unwrap();
        let mut total = 0;
        for (file, rows, bytes) in &est.files {
            let actual = dir_size(&out, file);
            total += actual;
            let lines = std::fs::read_to_string(out.join(file))
                .unwrap()
                .lines()
                .count() as u64;
            assert_eq!(*rows, lines - 1, "{name} {file} rows");
            let ratio = *bytes as f64 / actual as f64;
            assert!(
                (1.0..=2.0).contains(&ratio),
                "{name} {file}: estimated {bytes} bytes, wrote {actual}"
            );
        }
        let ratio = est.output_bytes() as f64 / total as f64;
        assert!((1.0..=2.0).contains(&ratio), "{name}: {ratio}");
    }
}

#[test]
fn validate_states_the_estimates() {
    ideaflow()
        .args(["validate"])
        .arg(bundled("march1991-fig1.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains("timeseries.csv 108000 rows ~"))
        .stdout(predicates::str::contains("output ~"))
        .stdout(predicates::str::contains("memory ~"));
}

#[test]
fn an_output_larger_than_the_free_disk_asks_for_yes_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // 10^9 runs x 1001 rows: tens of terabytes.
    let s = write(
        tmp.path(),
        "huge.toml",
        "model = \"bass\"\nsteps = 1000\nreplicates = 1000000000\n[bass]\nagents = 10\n",
    );
    let out = tmp.path().join("out");
    ideaflow()
        .args(["run", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("it would write about"))
        .stderr(predicates::str::contains("TB"))
        .stderr(predicates::str::contains("--yes"));
    assert!(!out.exists(), "nothing may be created");
    ideaflow()
        .args(["validate"])
        .arg(&s)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "warning: this experiment is too large",
        ));
}

#[test]
fn more_memory_than_the_machine_has_asks_for_yes() {
    let Some(machine) = estimate::machine_memory() else {
        return; // the platform does not say
    };
    // One 100-million-agent small-world run needs about 12.8 GB; enough
    // of them at once exceed any machine this runs on.
    let exp = experiment(
        "model = \"bass\"\nsteps = 1\nreplicates = 4096\n[bass]\nagents = 100000000\nnetwork = \"small_world\"\n",
    );
    let per_run = estimate::memory_per_run(exp.model, &exp.base);
    let threads = (machine / per_run + 2) as usize;
    let est = estimate::estimate(&exp, threads);
    assert!(est.memory > machine);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let opts = RunOptions {
        threads,
        ..RunOptions::new(&out)
    };
    let err = engine::run(&exp, &opts).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ideaflow::Error::TooBig(_)), "{msg}");
    assert!(msg.contains("of memory on"), "{msg}");
    assert!(msg.contains("--yes"), "{msg}");
    assert!(!out.exists());
}

#[test]
fn an_output_folder_that_cannot_be_made_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let s = bundled("bass-complete.toml");
    let file = write(tmp.path(), "a-file", "");
    ideaflow()
        .args(["run", "--out"])
        .arg(file.join("out"))
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot write to output folder"))
        .stderr(predicates::str::contains("a-file"));
    ideaflow()
        .args(["run", "--out"])
        .arg(&file)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("exists and is not a folder"));
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::File::create(ro.join("probe")).is_ok() {
        return; // running as root: permissions do not apply
    }
    ideaflow()
        .args(["run", "--out"])
        .arg(&ro)
        .arg(bundled("bass-complete.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot write to output folder"));
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
}

#[test]
fn a_missing_scenario_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    ideaflow()
        .current_dir(tmp.path())
        .args(["run", "no-such-scenario.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot read scenario file no-such-scenario.toml",
        ));
    assert!(!tmp.path().join("output").exists());
}
