//! Sweeps across machines: `run --shard I/N`, `merge` (byte-identical to
//! a single-machine run), and the Slurm scripts of `ideaflow slurm`.

use std::path::{Path, PathBuf};

use crate::util::{ideaflow, write};

fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    ideaflow()
        .args(["run", "-q"])
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

fn shards(scenario: &Path, dir: &Path, n: u64) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let out = dir.join(format!("shard-{i}"));
            run(scenario, &out, &["--shard", &format!("{i}/{n}"), "-j", "1"]);
            out
        })
        .collect()
}

fn merge(dirs: &[PathBuf], out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    ideaflow()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
}

fn same_files(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (std::fs::read(a.join(f)), std::fs::read(b.join(f)));
        assert!(
            x.as_ref().ok() == y.as_ref().ok() && x.is_ok(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn merged_shards_are_byte_identical_to_a_single_run_for_every_model() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bass",
            "model = \"bass\"\nsteps = 30\nreplicates = 7\nseed = 3\n[bass]\nagents = 400\nnetwork = \"small_world\"\n[sweep]\n\"bass.q\" = [0.2, 0.5]\n\"bass.network\" = [\"ring\", \"random\"]\n",
            vec!["timeseries.csv", "runs.csv", "summary.csv"],
        ),
        (
            "march",
            "model = \"march\"\nsteps = 40\nreplicates = 5\n[sweep]\n\"march.p1\" = [0.1, 0.9]\n",
            vec!["timeseries.csv", "runs.csv", "summary.csv"],
        ),
        (
            // Teams on and time series off: the shards still write their
            // time series (the merge needs them for the summary), the
            // merged folder does not.
            "climate",
            "model = \"climate\"\nsteps = 12\nreplicates = 3\n[output]\nteams = true\ntimeseries = false\nevery = 4\n[climate]\nburn_in = 10\n[climate.organisation]\ndepartments = 2\nteams_per_department = 3\n",
            vec!["teams.csv", "runs.csv", "summary.csv"],
        ),
    ];
    for (name, text, files) in cases {
        let s = write(tmp.path(), &format!("{name}.toml"), text);
        let single = tmp.path().join(format!("{name}-single"));
        run(&s, &single, &[]);
        let dirs = shards(&s, &tmp.path().join(format!("{name}-shards")), 3);
        let merged = tmp.path().join(format!("{name}-merged"));
        // Any order of folders.
        let mut given = dirs.clone();
        given.reverse();
        merge(&given, &merged, &[]).success();
        same_files(&single, &merged, &files);
        if name == "climate" {
            assert!(dirs[0].join("timeseries.csv").exists());
            assert!(!merged.join("timeseries.csv").exists());
        }
        let m = manifest(&merged);
        assert_eq!(m["complete"], true, "{name}");
        assert_eq!(m["runs_written"], m["runs"], "{name}");
        assert!(m.get("shard").is_none());
        assert_eq!(m["merged"]["shards"], 3);
        let single_m = manifest(&single);
        assert_eq!(m["rows"], single_m["rows"], "{name}");
        assert_eq!(m["base_parameters"], single_m["base_parameters"]);
    }
}

#[test]
fn every_shard_holds_a_share_of_every_point() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "s.toml",
        "model = \"bass\"\nsteps = 2\nreplicates = 4\n[bass]\nagents = 20\n[sweep]\n\"bass.q\" = [0.1, 0.2, 0.3]\n",
    );
    let out = tmp.path().join("s1");
    run(&s, &out, &["--shard", "1/4"]);
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let ids: Vec<&str> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["1", "5", "9"]);
    let m = manifest(&out);
    assert_eq!(m["shard"]["index"], 1);
    assert_eq!(m["shard"]["count"], 4);
    assert_eq!(m["runs"], 3);
    ideaflow()
        .args(["run", "--shard", "4/4"])
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expected 0 <= I < N in I/N, found 4/4",
        ));
}

#[test]
fn merge_names_missing_duplicate_foreign_and_incomplete_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "model = \"bass\"\nsteps = 10\nreplicates = 6\n[bass]\nagents = 50\n";
    let s = write(tmp.path(), "s.toml", text);
    let dirs = shards(&s, &tmp.path().join("sh"), 3);
    let single = tmp.path().join("single");
    run(&s, &single, &[]);

    // Missing: an error naming it; --partial merges the rest and says so.
    merge(&dirs[..2], &tmp.path().join("m1"), &[])
        .code(2)
        .stderr(predicates::str::contains("missing shard 2 of 3"))
        .stderr(predicates::str::contains("--partial"));
    assert!(!tmp.path().join("m1").join("runs.csv").exists());
    let partial = tmp.path().join("m2");
    merge(&dirs[..2], &partial, &["--partial"])
        .success()
        .stderr(predicates::str::contains("missing shards 2"));
    let m = manifest(&partial);
    assert_eq!(m["complete"], false);
    assert_eq!(m["merged"]["missing"], serde_json::json!([2]));
    assert_eq!(m["runs_written"], 4);
    let rows: Vec<String> = std::fs::read_to_string(partial.join("runs.csv"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let all: Vec<String> = std::fs::read_to_string(single.join("runs.csv"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let want: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || (i - 1) % 3 != 2)
        .map(|(_, l)| l.clone())
        .collect();
    assert_eq!(rows, want);

    // Duplicate.
    let dup = [
        dirs[0].clone(),
        dirs[0].clone(),
        dirs[1].clone(),
        dirs[2].clone(),
    ];
    merge(&dup, &tmp.path().join("m3"), &[])
        .code(2)
        .stderr(predicates::str::contains("shard 0 is given twice"));

    // Another experiment (seed).
    let other = tmp.path().join("other");
    run(&s, &other, &["--shard", "2/3", "--seed", "99"]);
    merge(
        &[dirs[0].clone(), dirs[1].clone(), other],
        &tmp.path().join("m4"),
        &[],
    )
    .code(2)
    .stderr(predicates::str::contains(
        "not shards of the same experiment",
    ))
    .stderr(predicates::str::contains("seed (1 vs 99)"));

    // Not a shard; not an output folder.
    merge(std::slice::from_ref(&single), &tmp.path().join("m5"), &[])
        .code(2)
        .stderr(predicates::str::contains("not a shard"));
    merge(&[tmp.path().to_path_buf()], &tmp.path().join("m6"), &[])
        .code(2)
        .stderr(predicates::str::contains("no manifest.json"));
}

#[test]
fn an_incomplete_shard_is_named_with_how_to_resume_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "s.toml",
        "model = \"bass\"\nsteps = 10\nreplicates = 6\n[bass]\nagents = 50\n",
    );
    let dirs = shards(&s, &tmp.path().join("sh"), 2);
    // Make shard 1 look interrupted, as a killed task leaves it.
    let exp = ideaflow::scenario::load(&s, &Default::default()).unwrap();
    let broken = tmp.path().join("broken");
    let opts = ideaflow::engine::RunOptions {
        shard: Some("1/2".parse().unwrap()),
        fail_run: Some((3, ideaflow::engine::InjectedFault::Panic)),
        ..ideaflow::engine::RunOptions::new(&broken)
    };
    ideaflow::engine::run(&exp, &opts).unwrap_err();
    merge(
        &[dirs[0].clone(), broken.clone()],
        &tmp.path().join("m"),
        &[],
    )
    .code(2)
    .stderr(predicates::str::contains(
        "shard 1 is incomplete (1 of 3 runs written)",
    ))
    .stderr(predicates::str::contains("--resume"));
    // Resumed, it merges into the single-machine files.
    run(&s, &broken, &["--shard", "1/2", "--resume"]);
    let merged = tmp.path().join("m");
    merge(&[dirs[0].clone(), broken], &merged, &[]).success();
    let single = tmp.path().join("single");
    run(&s, &single, &[]);
    same_files(
        &single,
        &merged,
        &["timeseries.csv", "runs.csv", "summary.csv"],
    );
}

#[test]
fn more_shards_than_runs_leaves_empty_shards_that_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "s.toml",
        "model = \"bass\"\nsteps = 3\nreplicates = 2\n[bass]\nagents = 10\n",
    );
    let dirs = shards(&s, &tmp.path().join("sh"), 4);
    let merged = tmp.path().join("m");
    merge(&dirs, &merged, &[]).success();
    let single = tmp.path().join("single");
    run(&s, &single, &[]);
    same_files(
        &single,
        &merged,
        &["timeseries.csv", "runs.csv", "summary.csv"],
    );
}

#[test]
fn slurm_writes_an_array_a_dependent_merge_and_a_resubmission_script() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "my sweep.toml",
        "name = \"sweep\"\nmodel = \"bass\"\nsteps = 3\nreplicates = 8\n[bass]\nagents = 10\n",
    );
    let out = tmp.path().join("out dir");
    ideaflow()
        .args([
            "slurm",
            "--shards",
            "4",
            "--partition",
            "short",
            "--time",
            "00:10:00",
            "--mem",
            "1G",
            "--cpus-per-task",
            "2",
            "--seed",
            "5",
            "--out",
        ])
        .arg(&out)
        .arg(&s)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "8 runs in 4 shards of about 2 runs",
        ));
    let slurm = out.join("slurm");
    let shards = std::fs::read_to_string(slurm.join("shards.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-3",
        "#SBATCH --partition=short",
        "#SBATCH --time=00:10:00",
        "#SBATCH --mem=1G",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --requeue",
        "--shard \"$SHARD/4\"",
        "--seed 5",
        "--resume",
    ] {
        assert!(
            shards.contains(line),
            "shards.sbatch lacks {line}:\n{shards}"
        );
    }
    let merge = std::fs::read_to_string(slurm.join("merge.sbatch")).unwrap();
    assert!(merge.contains(" merge "), "{merge}");
    let submit = std::fs::read_to_string(slurm.join("submit.sh")).unwrap();
    assert!(submit.contains("--dependency=\"afterok:$ARRAY\" --kill-on-invalid-dep=yes"));
    assert!(slurm.join("logs").is_dir());
    for (shell, f) in [
        ("bash", "shards.sbatch"),
        ("bash", "merge.sbatch"),
        ("sh", "submit.sh"),
    ] {
        let ok = std::process::Command::new(shell)
            .arg("-n")
            .arg(slurm.join(f))
            .status()
            .unwrap()
            .success();
        assert!(ok, "{f} is not valid {shell}");
    }
    // Options that would break the script are refused.
    ideaflow()
        .args(["slurm", "--shards", "2", "--time", "1h; rm -rf /", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--time: expected something like"));
    // Shards of another shard count in the folder are refused.
    run(
        &s,
        &out.join("shards").join("shard-0"),
        &["--shard", "0/3", "--seed", "5"],
    );
    ideaflow()
        .args(["slurm", "--shards", "4", "--seed", "5", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "holds a shard of 3 shards, not 4",
        ));
}

/// A private single-node Slurm started by scripts/slurm-local.sh, stopped
/// when dropped (also when the test fails).
#[cfg(target_os = "linux")]
struct LocalSlurm {
    conf: String,
}

#[cfg(target_os = "linux")]
impl LocalSlurm {
    fn start() -> LocalSlurm {
        let script = crate::util::root().join("scripts").join("slurm-local.sh");
        let out = std::process::Command::new(&script)
            .arg("start")
            .output()
            .expect("run scripts/slurm-local.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "could not start a local Slurm (this test needs one; it installs Debian's slurmctld, slurmd, slurm-client and munge as root):\n{}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let conf = stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("export SLURM_CONF="))
            .expect("slurm-local.sh prints the SLURM_CONF line")
            .trim_matches('\'')
            .to_string();
        LocalSlurm { conf }
    }

    /// Checks with `ss -ltnp` that every TCP socket our slurmctld and
    /// slurmd (the processes slurm-local.sh recorded) listen on is on
    /// 127.0.0.1, and that each listens on one at least; returns their
    /// lines of `ss -ltnp`.
    fn assert_listens_on_loopback_only(&self) -> String {
        let run = Path::new(&self.conf)
            .parent()
            .expect("SLURM_CONF names a file in a folder")
            .join("run");
        let ss = std::process::Command::new("ss")
            .arg("-Hltnp")
            .output()
            .expect("run ss -ltnp (iproute2)");
        assert!(ss.status.success(), "ss -ltnp failed");
        let text = String::from_utf8_lossy(&ss.stdout).into_owned();
        let mut ours = String::new();
        for d in ["slurmctld", "slurmd"] {
            let record = std::fs::read_to_string(run.join(format!("{d}.pid")))
                .unwrap_or_else(|e| panic!("{d}'s pid record: {e}"));
            let pid = record.split_whitespace().next().expect("a pid");
            let owner = format!("((\"{d}\",pid={pid},");
            let lines: Vec<&str> = text.lines().filter(|l| l.contains(&owner)).collect();
            assert!(
                !lines.is_empty(),
                "{d} (pid {pid}) listens on no TCP port:\n{text}"
            );
            for l in lines {
                let local = l.split_whitespace().nth(3).unwrap_or_default();
                assert!(
                    local.starts_with("127.0.0.1:"),
                    "{d} (pid {pid}) listens on {local}, not on the loopback address 127.0.0.1 only:\n{text}"
                );
                ours.push_str(l);
                ours.push('\n');
            }
        }
        ours
    }

    fn cmd(&self, program: &str) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    /// Waits until the jobs have left the queue; returns each job's final
    /// states (one per array task).
    fn wait(&self, jobs: &[&str]) -> Vec<String> {
        let start = std::time::Instant::now();
        loop {
            let q = self
                .cmd("squeue")
                .args(["-h", "-j", &jobs.join(",")])
                .output()
                .expect("squeue");
            if q.status.success() && q.stdout.is_empty() {
                break;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(180),
                "jobs {jobs:?} still queued after 180 s:\n{}",
                String::from_utf8_lossy(&q.stdout)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        jobs.iter()
            .flat_map(|j| {
                let out = self
                    .cmd("scontrol")
                    .args(["show", "job", "-o", j])
                    .output()
                    .expect("scontrol");
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| {
                        l.split_whitespace()
                            .find_map(|w| w.strip_prefix("JobState="))
                            .map(str::to_string)
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

#[cfg(target_os = "linux")]
impl Drop for LocalSlurm {
    fn drop(&mut self) {
        let script = crate::util::root().join("scripts").join("slurm-local.sh");
        let _ = std::process::Command::new(script).arg("stop").output();
    }
}

/// The job ids `ideaflow slurm --submit` printed: (array, merge).
#[cfg(target_os = "linux")]
fn job_ids(stdout: &str) -> (Option<String>, String) {
    let array = stdout.lines().find_map(|l| {
        l.split_once(": job array ")
            .map(|(_, id)| id.trim().to_string())
    });
    let merge = stdout
        .lines()
        .find_map(|l| l.strip_prefix("merge: job "))
        .and_then(|r| r.split_whitespace().next())
        .expect("merge job id")
        .to_string();
    (array, merge)
}

#[cfg(target_os = "linux")]
#[test]
fn a_sweep_on_a_real_slurm_merges_into_the_single_machine_files() {
    let slurm = LocalSlurm::start();
    // The test cluster is reachable from this machine only.
    eprintln!("ss -ltnp:\n{}", slurm.assert_listens_on_loopback_only());
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "s.toml",
        "name = \"slurm-test\"\nmodel = \"bass\"\nsteps = 40\nreplicates = 10\nseed = 8\n[bass]\nagents = 2000\nnetwork = \"small_world\"\n[sweep]\n\"bass.q\" = [0.3, 0.5]\n",
    );
    let single = tmp.path().join("single");
    run(&s, &single, &[]);
    let out = tmp.path().join("cluster");
    let files = ["timeseries.csv", "runs.csv", "summary.csv"];

    let submit = || {
        let res = ideaflow()
            .env("SLURM_CONF", &slurm.conf)
            .args([
                "slurm", "--shards", "4", "--time", "00:05:00", "--submit", "--out",
            ])
            .arg(&out)
            .arg(&s)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&res.stdout).into_owned();
        assert!(
            res.status.success(),
            "ideaflow slurm --submit failed:\n{stdout}{}",
            String::from_utf8_lossy(&res.stderr)
        );
        (stdout.clone(), job_ids(&stdout))
    };

    // Shard 1 cannot write its folder (a file is in the way): its task
    // fails, and the merge that depends on it is cancelled, not left
    // pending.
    std::fs::create_dir_all(out.join("shards")).unwrap();
    std::fs::write(out.join("shards").join("shard-1"), "in the way").unwrap();
    let (stdout, (array, merge)) = submit();
    assert!(stdout.contains("shards 0-3 of 4"), "{stdout}");
    let array = array.expect("an array job");
    let states = slurm.wait(&[&array, &merge]);
    let logs = || {
        std::fs::read_dir(out.join("slurm").join("logs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["CANCELLED", "COMPLETED", "COMPLETED", "COMPLETED", "FAILED"],
        "logs:\n{}",
        logs()
    );
    assert!(!out.join("runs.csv").exists());
    assert!(logs().contains("exists and is not a folder"), "{}", logs());
    // Still only on the loopback address after running jobs.
    slurm.assert_listens_on_loopback_only();

    // Submitting again after the cause is removed reruns only shard 1; the
    // merge then writes the single-machine files.
    std::fs::remove_file(out.join("shards").join("shard-1")).unwrap();
    let (stdout, (array, merge)) = submit();
    assert!(stdout.contains("shards 1 of 4"), "{stdout}");
    let array = array.expect("an array job");
    let states = slurm.wait(&[&array, &merge]);
    assert_eq!(states, ["COMPLETED", "COMPLETED"], "logs:\n{}", logs());
    same_files(&single, &out, &files);
    assert_eq!(manifest(&out)["merged"]["shards"], 4);
}

#[test]
fn shards_of_a_sweep_over_a_named_intervention_key_merge_byte_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(
        tmp.path(),
        "named.toml",
        "steps = 6\nreplicates = 2\n[output]\nteams = true\n[climate]\nburn_in = 2\n[climate.organisation]\ndepartments = 1\nteams_per_department = 2\n[[interventions]]\nkind = \"psych_safety_training\"\nname = \"pst\"\nat = 2\n[sweep]\n\"interventions.pst.boost\" = [0.1, 0.25]\n",
    );
    let single = tmp.path().join("single");
    run(&s, &single, &[]);
    let dirs = shards(&s, tmp.path(), 3);
    let merged = tmp.path().join("merged");
    merge(&dirs, &merged, &[]).success();
    same_files(
        &single,
        &merged,
        &["timeseries.csv", "teams.csv", "runs.csv", "summary.csv"],
    );
    let (header, _) = crate::util::read_csv(&merged.join("runs.csv"));
    assert!(
        header.contains(&"interventions.pst.boost".to_string()),
        "{header:?}"
    );
}
