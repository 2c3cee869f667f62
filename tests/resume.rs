//! Never losing work: interruption by real signals, `--resume` giving
//! byte-identical files, failed runs keeping the runs before them,
//! `--only-run`, and write errors leaving the last checkpoint or nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ideaflow::engine::{self, InjectedFault, RunOptions};
use ideaflow::scenario::{self, Overrides};

use crate::util::{ideaflow, write};

/// 800 Bass runs of 50,000 agents: about 5 s on one thread, so a signal
/// sent after the first checkpoint (1 s) lands mid-sweep.
const SWEEP: &str = r#"
name = "resume-sweep"
model = "bass"
steps = 100
replicates = 400
seed = 11
[bass]
agents = 50000
network = "small_world"
[sweep]
"bass.q" = [0.3, 0.45]
"#;

const FILES: &[&str] = &["timeseries.csv", "runs.csv", "summary.csv"];

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin!("ideaflow").to_path_buf()
}

/// The files of an uninterrupted run of SWEEP (computed once).
fn reference() -> &'static Vec<Vec<u8>> {
    static REF: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    REF.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let s = write(dir.path(), "s.toml", SWEEP);
        let out = dir.path().join("out");
        ideaflow()
            .args(["run", "-q", "--out"])
            .arg(&out)
            .arg(&s)
            .assert()
            .success();
        FILES
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap())
            .collect()
    })
}

fn assert_identical_to_reference(out: &Path) {
    for (f, want) in FILES.iter().zip(reference()) {
        let got = std::fs::read(out.join(f)).unwrap();
        assert!(got == *want, "{f} differs from the uninterrupted run's");
    }
}

fn spawn(args: &[&str], scenario: &Path, out: &Path) -> Child {
    Command::new(bin())
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ideaflow")
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill")
        .success();
    assert!(ok, "could not send SIG{sig}: the run finished too early");
}

/// Waits until `path` exists (the first checkpoint), failing after 60 s.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
}

fn data_rows(path: &Path) -> u64 {
    std::fs::read_to_string(path).unwrap().lines().count() as u64 - 1
}

#[cfg(unix)]
#[test]
fn sigint_mid_sweep_keeps_every_finished_run_and_resume_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SWEEP);
    let out = dir.path().join("out");
    let child = spawn(&["-q", "-j", "1", "--checkpoint-every", "1"], &s, &out);
    wait_for(&out.join("resume.json"));
    signal(&child, "INT");
    let res = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted:"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");

    // Every finished run is written under the final names; the manifest
    // says the experiment is incomplete.
    let m = manifest(&out);
    assert_eq!(m["complete"], false);
    assert_eq!(m["stopped"], "interrupted");
    let written = m["runs_written"].as_u64().unwrap();
    assert!(written > 0 && written < 800, "{written} runs written");
    assert_eq!(data_rows(&out.join("runs.csv")), written);
    assert_eq!(data_rows(&out.join("timeseries.csv")), written * 101);
    // Summary rows only for points whose replicates are all written.
    assert_eq!(
        data_rows(&out.join("summary.csv")),
        (written / 400) * 101 * 4
    );
    assert!(!out.join("runs.csv.partial").exists());

    // A plain run refuses the folder; --resume finishes it, on another
    // thread count, with the same bytes as an uninterrupted run.
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("holds an interrupted run"));
    // The printed hint is the command that resumes, runnable as it is
    // (the program as it was started, every word quoted).
    let hint = stderr
        .lines()
        .find_map(|l| l.strip_prefix("resume with: "))
        .expect("a resume hint");
    let words = shlex::split(hint).expect("a shell command");
    assert_eq!(
        std::path::Path::new(&words[0]),
        assert_cmd::cargo::cargo_bin("ideaflow"),
        "{hint}"
    );
    assert_cmd::Command::new(&words[0])
        .args(&words[1..])
        .args(["-j", "2"])
        .assert()
        .success()
        .stderr(predicates::str::contains("from earlier sessions"));
    assert_identical_to_reference(&out);
    let m = manifest(&out);
    assert_eq!(m["complete"], true);
    assert_eq!(m["sessions"], 2);
    assert!(!out.join("resume.json").exists());
}

#[cfg(unix)]
#[test]
fn a_second_process_on_the_same_folder_stops_and_leaves_the_first_alone() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SWEEP);
    let out = dir.path().join("out");
    let child = spawn(&["-q", "-j", "2", "--checkpoint-every", "1"], &s, &out);
    wait_for(&out.join("resume.json"));
    // Even --force must not touch the files of a run in progress (without
    // the lock it would remove the first run's partial files), and a
    // checkpointed run in progress is busy, not interrupted.
    for extra in [&[][..], &["--force"][..], &["--resume"][..]] {
        ideaflow()
            .args(["run", "-q", "--out"])
            .arg(&out)
            .arg(&s)
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "in use by another ideaflow process",
            ))
            .stderr(predicates::str::contains(format!("pid {}", child.id())));
    }
    let res = child.wait_with_output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_identical_to_reference(&out);
    assert!(
        !out.join(".ideaflow.lock").exists(),
        "lock file left behind"
    );
    // Once the first has finished, the folder is free again.
    ideaflow()
        .args(["run", "-q", "--force", "--steps", "3", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
}

#[cfg(unix)]
#[test]
fn an_interrupted_comparison_resumes_to_the_same_compare_csv() {
    // Two Bass scenarios of about 1.5 s each on one thread; compare runs
    // them one after the other.
    let scenario = |name: &str, q: f64| {
        format!(
            "name = \"{name}\"\nmodel = \"bass\"\nsteps = 100\nreplicates = 300\nseed = 3\n[bass]\nagents = 50000\nnetwork = \"small_world\"\nq = {q}\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.toml", &scenario("base", 0.3));
    let variant = write(dir.path(), "variant.toml", &scenario("variant", 0.5));
    let compare = |out: &Path, extra: &[&str]| {
        Command::new(bin())
            .arg("compare")
            .arg(&base)
            .arg(&variant)
            .arg("--out")
            .arg(out)
            .args(["-q", "-j", "1"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ideaflow")
    };
    let reference = dir.path().join("reference");
    assert!(compare(&reference, &[]).wait().unwrap().success());

    let out = dir.path().join("out");
    let child = compare(&out, &[]);
    // The baseline has finished once the variant's files appear.
    wait_for(&out.join("variant").join("runs.csv.partial"));
    signal(&child, "INT");
    let res = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("continue the comparison with:"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(!out.join("compare.csv").exists());

    let res = compare(&out, &["--resume"]).wait_with_output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(
        std::fs::read(out.join("compare.csv")).unwrap(),
        std::fs::read(reference.join("compare.csv")).unwrap()
    );
    for name in ["base", "variant"] {
        for f in FILES {
            assert_eq!(
                std::fs::read(out.join(name).join(f)).unwrap(),
                std::fs::read(reference.join(name).join(f)).unwrap(),
                "{name}/{f}"
            );
        }
    }
    // The baseline was finished before the interruption: only checked.
    assert_eq!(manifest(&out.join("base"))["sessions"], 1);
    assert_eq!(manifest(&out.join("variant"))["complete"], true);
}

#[cfg(unix)]
#[test]
fn sigkill_after_a_checkpoint_resumes_from_it_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.toml", SWEEP);
    let out = dir.path().join("out");
    let child = spawn(&["-q", "-j", "1", "--checkpoint-every", "1"], &s, &out);
    wait_for(&out.join("resume.json"));
    // Let it write past the checkpoint, then kill it without warning.
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "KILL");
    let res = child.wait_with_output().unwrap();
    assert_eq!(res.status.code(), None, "killed by a signal");
    assert!(!out.join("manifest.json").exists());
    assert!(out.join("runs.csv.partial").exists());

    ideaflow()
        .args(["run", "-q", "--resume", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    assert_identical_to_reference(&out);
    assert!(!out.join("runs.csv.partial").exists());
}

#[cfg(unix)]
#[test]
fn sigterm_exits_143_and_a_second_signal_drops_the_runs_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    // Two runs far too long to finish: only dropping them ends the process.
    let s = write(
        dir.path(),
        "slow.toml",
        "model = \"bass\"\nsteps = 10000000\nreplicates = 2\n[bass]\nagents = 200000\nnetwork = \"ring\"\np = 0.0000001\nq = 0.0000001\n",
    );
    let out = dir.path().join("out");
    let child = spawn(&["-j", "2"], &s, &out);
    std::thread::sleep(Duration::from_millis(800));
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "TERM");
    let res = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("dropping the runs in flight"), "{stderr}");
    let m = manifest(&out);
    assert_eq!(m["complete"], false);
    assert_eq!(m["runs_written"], 0);
    assert_eq!(data_rows(&out.join("runs.csv")), 0);
    assert!(out.join("resume.json").exists());
}

#[test]
fn resume_refuses_another_experiment_and_accepts_a_complete_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "s.toml",
        "model = \"bass\"\nsteps = 5\nreplicates = 3\n[bass]\nagents = 50\n",
    );
    let out = dir.path().join("out");
    // Nothing there yet.
    ideaflow()
        .args(["run", "--resume", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot resume"));
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    let before = std::fs::read(out.join("timeseries.csv")).unwrap();
    ideaflow()
        .args(["run", "--resume", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success()
        .stderr(predicates::str::contains("already complete"));
    assert_eq!(std::fs::read(out.join("timeseries.csv")).unwrap(), before);
    ideaflow()
        .args(["run", "--resume", "--seed", "99", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("parameters.seed: was 1, now 99"));
    ideaflow()
        .args(["run", "--resume", "--force", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));

    // A folder this user cannot write is still checked and found complete.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::File::create(out.join("probe")).is_err() {
            ideaflow()
                .args(["run", "--resume", "--out"])
                .arg(&out)
                .arg(&s)
                .assert()
                .success()
                .stderr(predicates::str::contains("already complete"));
            ideaflow()
                .args(["run", "--out"])
                .arg(&out)
                .arg(&s)
                .assert()
                .code(2)
                .stderr(predicates::str::contains("already holds results"));
        } // else running as root: permissions do not apply
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
        let _ = std::fs::remove_file(out.join("probe"));
    }

    // Results written by another build are not taken as this build's
    // (compare --resume would otherwise pair them with new ones).
    let path = out.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["program"]["git_commit"] = "0123abc".into();
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    ideaflow()
        .args(["run", "--resume", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("program: was"))
        .stderr(predicates::str::contains("0123abc"));
}

const SMALL: &str = r#"
model = "bass"
steps = 20
replicates = 4
seed = 5
[bass]
agents = 300
network = "random"
[sweep]
"bass.q" = [0.2, 0.5, 0.8]
"#;

fn small_reference(dir: &Path) -> PathBuf {
    let s = write(dir, "small.toml", SMALL);
    let out = dir.join("full");
    ideaflow()
        .args(["run", "-q", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    out
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_failed_run_keeps_the_runs_before_it_and_names_its_seed_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let full = small_reference(dir.path());
    let exp = scenario::load(&dir.path().join("small.toml"), &Overrides::default()).unwrap();
    for (fault, says) in [
        (InjectedFault::Panic, "injected failure"),
        (InjectedFault::NonFinite, "took the invalid value NaN"),
    ] {
        let out = dir.path().join(format!("{fault:?}"));
        let opts = RunOptions {
            threads: 2,
            fail_run: Some((6, fault)),
            ..RunOptions::new(&out)
        };
        let err = engine::run(&exp, &opts).unwrap_err();
        let msg = err.to_string();
        match &err {
            ideaflow::Error::RunFailed {
                run_id,
                point,
                replicate,
                seed,
                kept,
                ..
            } => {
                assert_eq!((*run_id, *point, *replicate, *kept), (6, 1, 2, 6));
                assert_eq!(*seed, ideaflow::rng::run_seed(5, 1, 2));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(msg.contains(says), "{msg}");
        assert!(msg.contains("bass.q = 0.5"), "{msg}");
        assert!(msg.contains("seed"), "{msg}");
        // The six runs before it are written, exactly as in a full run.
        let got = lines(&out.join("runs.csv"));
        let want = lines(&full.join("runs.csv"));
        assert_eq!(got.len(), 7);
        assert_eq!(got[..], want[..7]);
        let ts = lines(&out.join("timeseries.csv"));
        assert_eq!(ts[..], lines(&full.join("timeseries.csv"))[..ts.len()]);
        assert_eq!(ts.len(), 1 + 6 * 21);
        let m = manifest(&out);
        assert_eq!(m["complete"], false);
        assert!(m["stopped"].as_str().unwrap().starts_with("run 6 failed"));
    }
}

#[test]
fn only_run_reproduces_one_run_of_the_sweep_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let full = small_reference(dir.path());
    let out = dir.path().join("one");
    ideaflow()
        .args(["run", "-q", "--only-run", "9", "--out"])
        .arg(&out)
        .arg(dir.path().join("small.toml"))
        .assert()
        .success();
    let want: Vec<String> = lines(&full.join("runs.csv"))
        .into_iter()
        .filter(|l| l.starts_with("9,"))
        .collect();
    assert_eq!(want.len(), 1);
    assert_eq!(lines(&out.join("runs.csv"))[1..], want[..]);
    let want_ts: Vec<String> = lines(&full.join("timeseries.csv"))
        .into_iter()
        .filter(|l| l.starts_with("9,"))
        .collect();
    assert_eq!(lines(&out.join("timeseries.csv"))[1..], want_ts[..]);
    assert_eq!(manifest(&out)["only_run"], 9);
    ideaflow()
        .args(["run", "-q", "--only-run", "12", "--out"])
        .arg(dir.path().join("x"))
        .arg(dir.path().join("small.toml"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--only-run 12: the experiment has runs 0 to 11",
        ));
}

/// Runs ideaflow with its files limited to `limit` bytes (SIGXFSZ
/// ignored, so a write past it fails like a full disk).
#[cfg(target_os = "linux")]
fn run_limited(limit: u64, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "trap '' XFSZ; exec prlimit --fsize={limit} \"$0\" \"$@\""
        ))
        .arg(bin())
        .args(args);
    cmd.output().expect("run sh")
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_leaves_nothing_half_written_or_the_last_checkpoint() {
    use std::ffi::OsStr;
    let dir = tempfile::tempdir().unwrap();
    let full = small_reference(dir.path());
    let s = dir.path().join("small.toml");

    // No checkpoint yet: nothing at all is left.
    let out = dir.path().join("fresh");
    let res = run_limited(
        4000,
        &[
            OsStr::new("run"),
            s.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(stderr.contains("timeseries.csv"), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "{stderr}");

    // An interrupted experiment (a run failed after six were written)
    // resumed with too little room: it fails, and keeps the checkpoint.
    let out = dir.path().join("resumed");
    let exp = scenario::load(&s, &Overrides::default()).unwrap();
    let opts = RunOptions {
        fail_run: Some((6, InjectedFault::Panic)),
        ..RunOptions::new(&out)
    };
    engine::run(&exp, &opts).unwrap_err();
    let limit = std::fs::metadata(out.join("timeseries.csv")).unwrap().len() + 1500;
    let res = run_limited(
        limit,
        &[
            OsStr::new("run"),
            s.as_os_str(),
            OsStr::new("--resume"),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{stderr}");
    assert!(out.join("resume.json").exists());
    assert!(!out.join("manifest.json").exists());
    // With room again, --resume completes it exactly.
    ideaflow()
        .args(["run", "-q", "--resume", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    for f in FILES {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(full.join(f)).unwrap(),
            "{f}"
        );
    }
}
