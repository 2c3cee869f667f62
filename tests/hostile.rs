//! Hostile input (issue 12), by class: names that would leave the output
//! folder (2), links planted in it and files ideaflow did not write (3),
//! inputs that would make work unbounded (5), and input that was accepted
//! but meant nothing (6). Every case exits 2 with a message naming the
//! file or field, writes nothing outside the chosen folder, and never
//! panics. (Class 1 is in slurm_scripts.rs, class 4 in merge_hostile.rs.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{ideaflow, write};

/// A tiny valid scenario (a Bass run of a few steps).
const TINY: &str = "model = \"bass\"\nsteps = 3\nreplicates = 2\n[bass]\nagents = 60\n";

/// Runs ideaflow in `dir` and returns (exit code, stderr). A hang guard of
/// two minutes stops a run that would never end (the point of class 5);
/// nothing here asserts how long anything takes.
fn run_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = ideaflow()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("ideaflow runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "ideaflow panicked on {args:?}:\n{stderr}"
    );
    (out.status.code().unwrap_or(-1), stderr)
}

/// Writes `text` to `dir/name` and validates it: (exit code, stderr).
fn validate(dir: &Path, name: &str, text: &str) -> (i32, String) {
    let s = write(dir, name, text);
    run_in(dir, &["validate", s.to_str().unwrap()])
}

/// Every entry under `dir`, relative, sorted (to see what was written).
fn tree(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap_or(&p).to_path_buf());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// Class 2: a scenario's name, from its `name` or its file name, is one folder
// name inside the output folder.

#[test]
fn file_names_that_would_escape_or_break_the_output_folder_are_refused() {
    let hostile = [
        "...toml",                            // stem ".."
        "..toml",                             // stem "."
        ".hidden.toml",                       // stem ".hidden"
        "two\nlines.toml",                    // a line break in the folder name
        "tab\there.toml",                     // a control character
        "compare.csv.toml",                   // collides with compare's own file
        "manifest.json.toml",                 // collides with a result file
        "plots.toml",                         // collides with plot's folder
        &format!("{}.toml", "n".repeat(300)), // longer than a folder name may be
    ];
    for file in hostile {
        let tmp = tempfile::tempdir().unwrap();
        // A user's file in the current folder, which `run ... --force`
        // once deleted.
        write(tmp.path(), "teams.csv", "mine\n");
        let path = tmp.path().join(file);
        if std::fs::write(&path, TINY).is_err() {
            continue; // the file system refuses the name itself
        }
        let before = tree(tmp.path());
        for cmd in [
            vec!["validate", file],
            vec!["run", file, "--force"],
            vec!["compare", file, file],
        ] {
            let (code, stderr) = run_in(tmp.path(), &cmd);
            assert_eq!(code, 2, "{cmd:?}:\n{stderr}");
            assert!(stderr.contains("`name`"), "{cmd:?}:\n{stderr}");
            assert!(
                stderr.contains("set `name = \"...\"`"),
                "{cmd:?}:\n{stderr}"
            );
        }
        assert_eq!(tree(tmp.path()), before, "{file:?} wrote something");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("teams.csv")).unwrap(),
            "mine\n"
        );
    }
}

#[test]
fn names_that_would_escape_or_collide_are_refused_before_anything_runs() {
    for name in [
        "..",
        ".ideaflow.lock",
        "compare.csv",
        "summary.csv",
        "runs.csv.partial",
        "x/../../y",
        &"n".repeat(101),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let base = write(tmp.path(), "base.toml", TINY);
        let text = format!("name = {:?}\n{TINY}", name);
        let variant = write(tmp.path(), "variant.toml", &text);
        let out = tmp.path().join("cmp");
        // The variant's folder would be cmp/<name>: refused before the
        // baseline runs.
        let (code, stderr) = run_in(
            tmp.path(),
            &[
                "compare",
                base.to_str().unwrap(),
                variant.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 2, "{name:?}:\n{stderr}");
        assert!(stderr.contains("variant.toml:1:8: `name`"), "{stderr}");
        assert!(!out.exists(), "{name:?}: compare started");
        let (code, _) = run_in(tmp.path(), &["validate", variant.to_str().unwrap()]);
        assert_eq!(code, 2, "{name:?} passed validate");
    }
}

#[test]
fn metric_names_read_from_a_summary_never_become_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    write(
        &dir,
        "summary.csv",
        "point_id,step,metric,n,mean,sd,ci95_low,ci95_high\n0,0,../../escaped,2,1,0,1,1\n",
    );
    let (code, stderr) = run_in(tmp.path(), &["plot", "out", "-m", "../../escaped"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("summary.csv"), "{stderr}");
    assert!(!tmp.path().join("escaped.svg").exists());
    assert!(!dir.join("plots").exists());
}

// ---------------------------------------------------------------------------
// Class 3: links planted in an output folder are never written through,
// and only files ideaflow wrote and recorded are ever replaced or removed.

#[cfg(unix)]
#[test]
fn links_planted_in_the_output_folder_are_refused_and_their_targets_untouched() {
    use std::os::unix::fs::symlink;
    for planted in [
        ".ideaflow.lock",
        ".ideaflow-write-test",
        "runs.csv.partial",
        "manifest.json.partial",
        "resume.json.tmp",
        "summary.csv",
        "resume.json",
    ] {
        for dangling in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let s = write(tmp.path(), "s.toml", TINY);
            let out = tmp.path().join("out");
            std::fs::create_dir(&out).unwrap();
            let target = tmp.path().join("target");
            if !dangling {
                std::fs::write(&target, "precious\n").unwrap();
            }
            symlink(&target, out.join(planted)).unwrap();
            for force in [false, true] {
                let mut args = vec!["run", s.to_str().unwrap(), "--out", "out"];
                if force {
                    args.push("--force");
                }
                let (code, stderr) = run_in(tmp.path(), &args);
                assert_eq!(code, 2, "{planted} (force {force}):\n{stderr}");
                assert!(stderr.contains(planted), "{planted}:\n{stderr}");
                if dangling {
                    assert!(!target.exists(), "{planted}: the link's target was created");
                } else {
                    assert_eq!(
                        std::fs::read_to_string(&target).unwrap(),
                        "precious\n",
                        "{planted}: written through"
                    );
                }
                assert!(
                    std::fs::symlink_metadata(out.join(planted)).is_ok(),
                    "{planted}: the link was removed"
                );
                assert!(!out.join("runs.csv").exists() || planted == "summary.csv");
            }
        }
    }
}

#[test]
fn files_ideaflow_did_not_write_are_never_replaced_or_removed() {
    for (user_file, force) in [
        ("teams.csv", true),
        ("runs.csv", true),
        ("manifest.json", true),
        ("summary.csv.partial", false),
        ("summary.csv.partial", true),
        ("timeseries.csv.tmp", false),
        ("resume.json.tmp", true),
        (".ideaflow-write-test", false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let s = write(tmp.path(), "s.toml", TINY);
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        write(&out, user_file, "the user's own\n");
        let mut args = vec!["run", s.to_str().unwrap(), "--out", "out"];
        if force {
            args.push("--force");
        }
        let (code, stderr) = run_in(tmp.path(), &args);
        assert_eq!(code, 2, "{user_file}:\n{stderr}");
        assert!(
            stderr.contains(user_file) && stderr.contains("only files it wrote itself"),
            "{user_file}:\n{stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(out.join(user_file)).unwrap(),
            "the user's own\n"
        );
        assert_eq!(tree(&out), vec![PathBuf::from(user_file)], "{user_file}");
    }
}

#[test]
fn ideaflow_replaces_its_own_results_and_removes_what_a_killed_run_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.toml", TINY);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", s.to_str().unwrap(), "--out", "out", "-q"];
        args.extend(extra);
        run_in(tmp.path(), &args)
    };
    assert_eq!(run(&[]).0, 0);
    let first = std::fs::read(tmp.path().join("out/runs.csv")).unwrap();
    // Its own results are refused without --force and replaced with it.
    assert_eq!(run(&[]).0, 2);
    assert_eq!(run(&["--force"]).0, 0);
    assert_eq!(
        std::fs::read(tmp.path().join("out/runs.csv")).unwrap(),
        first
    );
    // A run killed before its first checkpoint leaves partial files and its
    // lock file, whose journal lists them: the next run removes them.
    let out = tmp.path().join("out");
    write(&out, "runs.csv.partial", "half a run\n");
    write(&out, "timeseries.csv.partial", "half a run\n");
    write(
        &out,
        ".ideaflow.lock",
        "4242\nruns.csv.partial\ntimeseries.csv.partial\n../../etc/passwd\n",
    );
    assert_eq!(run(&["--force"]).0, 0, "{}", run(&["--force"]).1);
    assert_eq!(std::fs::read(out.join("runs.csv")).unwrap(), first);
    assert_eq!(
        tree(&out),
        ["manifest.json", "runs.csv", "summary.csv", "timeseries.csv"]
            .map(PathBuf::from)
            .to_vec()
    );
}

#[cfg(unix)]
#[test]
fn plot_never_writes_through_links() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.toml", TINY);
    assert_eq!(
        run_in(
            tmp.path(),
            &["run", s.to_str().unwrap(), "--out", "out", "-q"]
        )
        .0,
        0
    );
    let target = tmp.path().join("target.svg");
    std::fs::write(&target, "precious\n").unwrap();
    std::fs::create_dir(tmp.path().join("out/plots")).unwrap();
    symlink(&target, tmp.path().join("out/plots/adoption_fraction.svg")).unwrap();
    let (code, stderr) = run_in(tmp.path(), &["plot", "out"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    let svg = std::fs::read_to_string(tmp.path().join("out/plots/adoption_fraction.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg:.80}");
    // A link in place of the plots folder is refused.
    std::fs::remove_dir_all(tmp.path().join("out/plots")).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    symlink(&elsewhere, tmp.path().join("out/plots")).unwrap();
    let (code, stderr) = run_in(tmp.path(), &["plot", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("plots"), "{stderr}");
    assert!(tree(&elsewhere).is_empty());
}

#[cfg(unix)]
#[test]
fn a_dangling_output_link_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.toml", TINY);
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), tmp.path().join("out")).unwrap();
    let (code, stderr) = run_in(tmp.path(), &["run", s.to_str().unwrap(), "--out", "out"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is a symbolic link to") && stderr.contains("which does not exist"),
        "{stderr}"
    );
    assert!(!tmp.path().join("nowhere").exists());
}

// ---------------------------------------------------------------------------
// Class 5: every input a file can name is a regular file under a size limit,
// every check is bounded, every loop over user-sized input linear.

#[cfg(unix)]
#[test]
fn files_that_are_not_regular_files_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut named = vec![("/dev/zero", "a device"), ("/tmp", "a folder")];
    if made.is_ok_and(|s| s.success()) {
        named.push(("fifo.toml", "a FIFO"));
    }
    for (target, what) in named {
        let s = write(tmp.path(), "s.toml", &format!("extends = {target:?}\n"));
        let (code, stderr) = run_in(tmp.path(), &["validate", s.to_str().unwrap()]);
        assert_eq!(code, 2, "{target}:\n{stderr}");
        assert!(
            stderr.contains("s.toml:1:11: `extends`") && stderr.contains(what),
            "{target}:\n{stderr}"
        );
        // Named on the command line, likewise.
        let (code, stderr) = run_in(tmp.path(), &["run", target]);
        assert_eq!(code, 2, "{target}:\n{stderr}");
        assert!(stderr.contains(what), "{stderr}");
    }
    // A scenario file larger than any hand-written organisation.
    let big = tmp.path().join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(ideaflow::files::MAX_SCENARIO_BYTES + 1).unwrap();
    let (code, stderr) = run_in(tmp.path(), &["validate", "big.toml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("at most"), "{stderr}");
}

#[test]
fn ten_thousand_problems_or_interventions_are_handled_in_linear_time() {
    let tmp = tempfile::tempdir().unwrap();
    let mut unknown = String::from(TINY);
    for i in 0..10_000 {
        unknown.push_str(&format!("unknown_key_{i} = {i}\n"));
    }
    let s = write(tmp.path(), "unknown.toml", &unknown);
    let (code, stderr) = run_in(tmp.path(), &["validate", s.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown.toml:6:1: `bass.unknown_key_0`"),
        "{stderr:.400}"
    );
    assert!(
        stderr.contains("10000 problems in 1 file"),
        "{}",
        &stderr[stderr.len() - 300..]
    );
    assert!(stderr.contains("and 9800 more problems"));
    assert!(stderr.len() < 200_000, "{} bytes of messages", stderr.len());

    let mut many = String::from("steps = 4\nreplicates = 1\n[climate]\nburn_in = 2\n");
    for i in 0..10_000 {
        many.push_str(&format!(
            "[[interventions]]\nkind = \"rewards\"\nname = \"r{i}\"\nat = {}\nlevel = 0.1\n",
            i % 4
        ));
    }
    many.push_str("[sweep]\n\"interventions.r9999.level\" = [0.1, 0.2]\n");
    let s = write(tmp.path(), "many.toml", &many);
    let (code, stderr) = run_in(tmp.path(), &["validate", s.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = run_in(
        tmp.path(),
        &["run", s.to_str().unwrap(), "--out", "many", "-q"],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn huge_sweeps_are_checked_by_the_axes_each_check_reads_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // 10^12 points over parameters no cross-field check reads: one check.
    let free = "steps = 2\n[output]\ntimeseries = false\n[sweep]\n\"climate.voice.beta0\" = { from = -2, to = 0, steps = 10000 }\n\"climate.voice.beta_psi\" = { from = 0, to = 2, steps = 10000 }\n\"climate.voice.beta_open\" = { from = 0, to = 2, steps = 10000 }\n";
    let s = write(tmp.path(), "free.toml", free);
    let (code, stderr) = run_in(tmp.path(), &["validate", s.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    // Checked axes whose combinations are too many to check: refused,
    // naming them, for the climate and the Bass model.
    for (text, names) in [
        (
            "steps = 2\n[sweep]\n\"climate.organisation.departments\" = { from = 1, to = 1000, steps = 1000 }\n\"climate.organisation.teams_per_department\" = { from = 1, to = 1000, steps = 1000 }\n\"climate.voice.beta0\" = { from = -2, to = 0, steps = 1000000 }\n",
            "climate.organisation.departments, climate.organisation.teams_per_department",
        ),
        (
            "model = \"bass\"\nsteps = 2\n[sweep]\n\"bass.agents\" = { from = 1000, to = 1000999, steps = 1000000 }\n\"bass.initial_adopters\" = { from = 0, to = 999, steps = 1000 }\n\"bass.p\" = { from = 0.01, to = 0.02, steps = 1000 }\n",
            "bass.agents, bass.initial_adopters",
        ),
    ] {
        let s = write(tmp.path(), "checked.toml", text);
        let (code, stderr) = run_in(tmp.path(), &["validate", s.to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(names) && stderr.contains("combinations"),
            "{stderr}"
        );
    }
}

#[test]
fn thousands_of_threads_are_capped() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.toml", TINY);
    let (code, stderr) = run_in(
        tmp.path(),
        &[
            "run",
            s.to_str().unwrap(),
            "--out",
            "out",
            "--threads",
            "4096",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let cap = ideaflow::engine::max_threads();
    assert!(stderr.contains(&format!("on {cap} threads")), "{stderr}");
    assert!(stderr.contains("--threads 4096"), "{stderr}");
}

#[test]
fn plot_draws_extreme_values_on_a_finite_axis() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    write(
        &dir,
        "summary.csv",
        "point_id,step,metric,n,mean,sd,ci95_low,ci95_high\n0,0,adopters,2,1e308,,-1e308,1e308\n0,1,adopters,2,-1.7976931348623157e308,0,-1.7976931348623157e308,1.7976931348623157e308\n0,2,adopters,2,5,0,inf,-inf\n0,3,adopters,2,nan,,,\n",
    );
    let (code, stderr) = run_in(tmp.path(), &["plot", "out", "-m", "adopters"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(dir.join("plots/adopters.svg").exists());
}

#[test]
fn a_closed_pipe_ends_plot_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.toml", TINY);
    assert_eq!(
        run_in(
            tmp.path(),
            &["run", s.to_str().unwrap(), "--out", "out", "-q"]
        )
        .0,
        0
    );
    // `plot out | head -0`: stdout closed before plot writes to it.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ideaflow"))
        .current_dir(tmp.path())
        .args(["plot", "out"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Class 6: what was accepted but meant nothing is an error naming the field.

#[test]
fn an_intervention_after_the_last_step_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(
        tmp.path(),
        "late.toml",
        "steps = 10\n[[interventions]]\nkind = \"rewards\"\nat = 10\n",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("late.toml:4:6: `interventions.0.at`: expected at < steps (10)"),
        "{stderr}"
    );
    // At the last step it takes effect in the last step: fine.
    let s = write(
        tmp.path(),
        "ok.toml",
        "steps = 10\n[[interventions]]\nkind = \"rewards\"\nat = 9\n",
    );
    assert_eq!(run_in(tmp.path(), &["validate", s.to_str().unwrap()]).0, 0);
    // --steps shorter than an intervention's `at`, likewise.
    let (code, stderr) = run_in(tmp.path(), &["run", s.to_str().unwrap(), "--steps", "5"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("expected at < steps (5)"), "{stderr}");
}

#[test]
fn a_fixed_team_size_is_not_checked_against_the_unused_maximum() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(
        tmp.path(),
        "fixed.toml",
        "steps = 1\n[climate.organisation]\ndepartments = 1000\nteams_per_department = 1000\nteam_size = 5\nteam_size_max = 10000\n",
    );
    assert_eq!(code, 0, "{stderr}");
    // Drawn sizes are bounded by the maximum.
    let (code, stderr) = validate(
        tmp.path(),
        "drawn.toml",
        "steps = 1\n[climate.organisation]\ndepartments = 1000\nteams_per_department = 1000\nteam_size = 5\nteam_size_distribution = \"uniform\"\nteam_size_min = 2\nteam_size_max = 10000\n",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("at most 10,000,000 employees"), "{stderr}");
}

#[test]
fn range_messages_say_what_is_missing_or_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(
        tmp.path(),
        "ranges.toml",
        "model = \"bass\"\n[sweep]\n\"bass.p\" = { from = nan, to = 0.5, steps = 3 }\n\"bass.q\" = { from = 0.1, steps = 3 }\n\"bass.dt\" = { from = -1e308, to = 1e308, by = 3 }\n",
    );
    assert_eq!(code, 2);
    for expected in [
        "ranges.toml:3:12: `bass.p`: expected `from` to be a finite number, found from = NaN",
        "ranges.toml:4:12: `bass.q`: expected a range with both `from` and `to`, found a range with no `to`",
        "ranges.toml:5:13: `bass.dt`: expected `by` to divide the range",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?}:\n{stderr}");
    }
    assert!(!stderr.contains("( steps)") && !stderr.contains("missing one"));
}

#[test]
fn intervention_names_that_would_make_sweep_keys_ambiguous_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (names, expected) in [
        (
            ["r", "r"],
            "interventions.1.name`: expected each intervention's name once",
        ),
        (
            ["0", "x"],
            "interventions.0.name`: expected a name that is not a number",
        ),
        (
            ["a.b", "x"],
            "interventions.0.name`: expected a name without dots or spaces",
        ),
    ] {
        let text = format!(
            "steps = 5\n[[interventions]]\nkind = \"rewards\"\nname = {:?}\nat = 1\n[[interventions]]\nkind = \"rewards\"\nname = {:?}\nat = 2\n",
            names[0], names[1]
        );
        let s = write(tmp.path(), "names.toml", &text);
        let (code, stderr) = run_in(tmp.path(), &["validate", s.to_str().unwrap()]);
        assert_eq!(code, 2, "{names:?}: {stderr}");
        assert!(stderr.contains(expected), "{names:?}: {stderr}");
    }
    // A variant may not reuse a name of its base's interventions either.
    write(
        tmp.path(),
        "base.toml",
        "steps = 5\n[[interventions]]\nkind = \"rewards\"\nname = \"r\"\nat = 1\n",
    );
    let (code, stderr) = validate(
        tmp.path(),
        "variant.toml",
        "extends = \"base.toml\"\n[[interventions]]\nkind = \"rewards\"\nname = \"r\"\nat = 2\n",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("variant.toml:4:8: `interventions.1.name`"),
        "{stderr}"
    );
}

#[test]
fn a_comparison_can_be_run_again_into_its_own_folder_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write(tmp.path(), "base.toml", TINY);
    let variant = write(
        tmp.path(),
        "variant.toml",
        "model = \"bass\"\nsteps = 3\nreplicates = 2\n[bass]\nagents = 60\np = 0.1\n",
    );
    let args = |extra: &'static [&'static str]| {
        let mut a = vec![
            "compare".to_string(),
            base.display().to_string(),
            variant.display().to_string(),
            "--out".into(),
            "cmp".into(),
            "-q".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra| {
        let a = args(extra);
        run_in(
            tmp.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    assert_eq!(run(&[]).0, 0);
    let first = std::fs::read(tmp.path().join("cmp/compare.csv")).unwrap();
    let (code, stderr) = run(&["--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read(tmp.path().join("cmp/compare.csv")).unwrap(),
        first
    );
    // A compare.csv that is not ideaflow's is still refused.
    std::fs::write(tmp.path().join("cmp/compare.csv"), "mine\n").unwrap();
    let (code, stderr) = run(&["--force"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("compare.csv"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("cmp/compare.csv")).unwrap(),
        "mine\n"
    );
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.toml", TINY);
    let s = s.to_str().unwrap();
    // `ideaflow ... | head -0`: stdout closed before the command writes.
    for args in [
        vec!["completions", "bash"],
        vec!["show", s],
        vec!["slurm", s, "--shards", "2", "--out", "sl"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ideaflow"))
            .current_dir(tmp.path())
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
