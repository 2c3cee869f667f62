//! The scripts of `ideaflow slurm` with hostile text in every place a user
//! controls (scenario name, scenario file name, `--out`, `--program`):
//! the scripts parse, they run with a fake `sbatch` and a fake ideaflow
//! without running any injected command, the programs they start receive
//! the exact paths as single arguments, comments stay single lines, the
//! printed hint is a correctly quoted command, and scripts are never
//! written through a planted link (issue 12, point 1).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{ideaflow, write};

/// Text that runs commands when a shell reads it unquoted or inside
/// double quotes: every injected command creates a file named `PWNED` in
/// the current folder.
const EVIL: &str = "x$(touch PWNED) `touch PWNED` \"it's\"; touch PWNED \\ $HOME";
/// The same without `\`, as a file stem that is also a valid name.
const EVIL_STEM: &str = "x$(touch PWNED) `touch PWNED` \"it's\"; touch PWNED $HOME";
/// The same with line breaks, which end a `#` comment.
const EVIL_LINES: &str = "a\n$(touch PWNED)\ntouch PWNED\n`touch PWNED` it's \"q\" \\ ; b";

const SCENARIO: &str = "model = \"bass\"\nsteps = 2\nreplicates = 2\n[bass]\nagents = 10\n";

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A folder holding a fake `sbatch` (records its arguments, NUL-separated,
/// one file per call in $FAKE_SBATCH_LOG, prints a job id), and a fake
/// ideaflow (in a folder with a hostile name) that records its arguments
/// in $FAKE_IDEAFLOW_LOG.
struct Fakes {
    bin: PathBuf,
    program: PathBuf,
    sbatch_log: PathBuf,
    ideaflow_log: PathBuf,
}

impl Fakes {
    fn new(root: &Path) -> Fakes {
        let bin = root.join("fake-bin");
        std::fs::create_dir(&bin).unwrap();
        executable(
            &bin.join("sbatch"),
            "#!/bin/sh\nn=$(ls \"$FAKE_SBATCH_LOG\" | wc -l)\nprintf '%s\\0' \"$@\" > \"$FAKE_SBATCH_LOG/call-$n\"\necho \"$((4711 + n))\"\n",
        );
        let prog_dir = root.join(format!("prog {EVIL_LINES}"));
        std::fs::create_dir(&prog_dir).unwrap();
        let program = prog_dir.join("ideaflow");
        executable(
            &program,
            "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"$FAKE_IDEAFLOW_LOG\"\n",
        );
        let sbatch_log = root.join("sbatch-calls");
        std::fs::create_dir(&sbatch_log).unwrap();
        Fakes {
            bin,
            program,
            sbatch_log,
            ideaflow_log: root.join("ideaflow-argv"),
        }
    }

    fn command(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        let mut c = Command::new(program);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.bin.clone()];
        dirs.extend(std::env::split_paths(&path));
        c.env("PATH", std::env::join_paths(dirs).unwrap())
            .env("FAKE_SBATCH_LOG", &self.sbatch_log)
            .env("FAKE_IDEAFLOW_LOG", &self.ideaflow_log)
            .current_dir(cwd);
        c
    }

    /// The arguments of each sbatch call so far, in order.
    fn sbatch_calls(&self) -> Vec<Vec<String>> {
        (0..)
            .map(|i| self.sbatch_log.join(format!("call-{i}")))
            .take_while(|p| p.exists())
            .map(|p| args(&std::fs::read(p).unwrap()))
            .collect()
    }

    /// The arguments the fake ideaflow received last.
    fn ideaflow_argv(&self) -> Vec<String> {
        args(&std::fs::read(&self.ideaflow_log).expect("the fake ideaflow ran"))
    }
}

/// NUL-terminated arguments.
fn args(bytes: &[u8]) -> Vec<String> {
    let mut words: Vec<String> = bytes
        .split(|&b| b == 0)
        .map(|a| String::from_utf8(a.to_vec()).unwrap())
        .collect();
    assert_eq!(words.pop().as_deref(), Some(""), "arguments end with NUL");
    words
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Every entry named PWNED under `dir` (what an injected command creates).
fn pwned(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_name() == "PWNED" {
                found.push(p.clone());
            }
            if e.file_type().unwrap().is_dir() {
                todo.push(p);
            }
        }
    }
    found
}

/// Runs a script with `shell`, failing with its output when it fails.
fn run_script(
    fakes: &Fakes,
    shell: &str,
    script: &Path,
    cwd: &Path,
    env: &[(&str, &str)],
) -> String {
    let mut c = fakes.command(shell, cwd);
    c.arg(script);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{shell} {} failed:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Case {
    label: &'static str,
    /// The scenario's file name.
    file: String,
    /// `name = ...` as TOML text, or none (the name is the file's stem).
    name: Option<&'static str>,
    /// `--out` (inside the case's folder), or none (output/<name>).
    out: Option<String>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            label: "hostile name, default --out (the name is in the output path)",
            file: "s.toml".into(),
            // TOML escapes: `"` and `\`; the loader refuses `\` and line
            // breaks in a name, so this is what a name can hold.
            name: Some(
                r#""x$(touch PWNED) `touch PWNED` \"it's\"; touch PWNED $HOME | touch PWNED &""#,
            ),
            out: None,
        },
        Case {
            label: "hostile scenario file name with line breaks",
            file: format!("{EVIL_LINES}.toml"),
            name: Some("\"plain\""),
            out: None,
        },
        Case {
            label: "hostile --out with line breaks",
            file: "s.toml".into(),
            name: Some("\"plain\""),
            out: Some(format!("out {EVIL_LINES}")),
        },
        Case {
            label: "hostile everything, name from a hostile stem",
            file: format!("{EVIL_STEM}.toml"),
            name: None,
            out: Some(format!("{EVIL_LINES}/{EVIL}")),
        },
        // Text that breaks nothing else, so that only the injection shows.
        Case {
            label: "the name of issue 12, default --out",
            file: "s.toml".into(),
            name: Some("\"x$(touch PWNED)\""),
            out: None,
        },
        Case {
            label: "a line break and a command in --out",
            file: "s.toml".into(),
            name: Some("\"plain\""),
            out: Some("o\ntouch PWNED\nx".into()),
        },
        Case {
            label: "plain paths",
            file: "s.toml".into(),
            name: Some("\"plain\""),
            out: Some("out".into()),
        },
    ]
}

/// The lines before `set -eu...`: the shebang, comments and #SBATCH
/// lines. A line break that escaped a comment would show up here as a
/// line that is not a comment.
fn head(script: &str) -> Vec<&str> {
    script
        .lines()
        .take_while(|l| !l.starts_with("set -eu"))
        .collect()
}

#[test]
fn hostile_paths_and_names_never_run_as_commands_in_the_slurm_scripts() {
    let tmp = tempfile::tempdir().unwrap();
    // As the current folder names it (the default --out is made absolute).
    let root = tmp.path().canonicalize().unwrap();
    let fakes = Fakes::new(&root);
    for (k, case) in cases().into_iter().enumerate() {
        let label = case.label;
        let dir = root.join(format!("case-{k}"));
        std::fs::create_dir(&dir).unwrap();
        let text = match case.name {
            Some(n) => format!("name = {n}\n{SCENARIO}"),
            None => SCENARIO.to_string(),
        };
        let scenario = write(&dir, &case.file, &text);
        let name = ideaflow::scenario::load(&scenario, &Default::default())
            .unwrap_or_else(|e| panic!("{label}: {e}"))
            .name;
        let out = match &case.out {
            Some(o) => {
                let o = dir.join(o);
                std::fs::create_dir_all(o.parent().unwrap()).unwrap();
                o
            }
            None => dir.join("output").join(&name),
        };
        let mut cmd = ideaflow();
        cmd.current_dir(&dir)
            .args(["slurm", "--shards", "2", "--seed", "5", "--program"])
            .arg(&fakes.program);
        if case.out.is_some() {
            cmd.arg("--out").arg(&out);
        }
        let res = cmd.arg(&scenario).output().unwrap();
        let stderr = String::from_utf8_lossy(&res.stderr).into_owned();
        assert!(res.status.success(), "{label}: {stderr}");

        let slurm = out.join("slurm");
        let logs = slurm.join("logs");
        let paths = ["shards.sbatch", "merge.sbatch", "submit.sh"].map(|f| slurm.join(f));
        let texts = paths
            .clone()
            .map(|p| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{label}: {e}")));

        // (a) Each script parses.
        for (shell, p) in [("bash", &paths[0]), ("bash", &paths[1]), ("sh", &paths[2])] {
            let ok = Command::new(shell)
                .arg("-n")
                .arg(p)
                .status()
                .unwrap()
                .success();
            assert!(ok, "{label}: {} is not valid {shell}", p.display());
        }

        // Comments are single lines: every line before the commands is a
        // comment, the scenario's path is in the first one with its line
        // breaks written as \n, and sbatch sees every #SBATCH line (it
        // stops at the first line that is not a comment).
        // (The only characters to escape in these paths are `\` and newline.)
        let escaped = s(&scenario).replace('\\', r"\\").replace('\n', r"\n");
        let written = format!("for scenario {escaped}.");
        for t in &texts {
            let h = head(t);
            assert!(h[0].starts_with("#!/bin/"), "{label}");
            assert!(
                h.iter().all(|l| l.starts_with('#')),
                "{label}: a comment line broke:\n{t}"
            );
            assert!(h[1].ends_with(&written), "{label}: {}", h[1]);
        }
        assert!(
            head(&texts[0]).contains(&"#SBATCH --requeue"),
            "{label}:\n{}",
            texts[0]
        );
        // #SBATCH --output only for a path sbatch can read unquoted.
        let plain = s(&logs)
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/+-".contains(c));
        // (Cases 0, 2, 3, 4 and 5 put hostile text in the output path.)
        assert!(!(plain && matches!(k, 0 | 2..=5)), "{label}");
        assert_eq!(
            texts[0].contains("#SBATCH --output="),
            plain,
            "{label}:\n{}",
            texts[0]
        );

        // The printed hint is one correctly quoted command naming submit.sh.
        // It is the last thing on stderr; it spans lines when the path
        // holds line breaks.
        let at = stderr
            .find("submit with: ")
            .unwrap_or_else(|| panic!("{label}: no hint in {stderr}"));
        let hint = stderr[at + "submit with: ".len()..].trim_end_matches('\n');
        assert_eq!(
            shlex::split(hint),
            Some(vec!["sh".to_string(), s(&paths[2])]),
            "{label}: {hint}"
        );

        // (b) Run the hint as printed (submit.sh with a fake sbatch).
        let before = fakes.sbatch_calls().len();
        let res = fakes
            .command("sh", &dir)
            .arg("-c")
            .arg(hint)
            .output()
            .unwrap();
        let stdout = String::from_utf8(res.stdout).unwrap();
        assert!(
            res.status.success(),
            "{label}: {stdout}{}",
            String::from_utf8_lossy(&res.stderr)
        );
        let calls = fakes.sbatch_calls();
        let id = 4711 + before;
        assert_eq!(
            calls[before..],
            [
                vec![
                    "--parsable".to_string(),
                    "--array=0,1".into(),
                    format!("--output={}/shard-%a.log", s(&logs)),
                    s(&paths[0]),
                ],
                vec![
                    "--parsable".to_string(),
                    format!("--dependency=afterok:{id}"),
                    "--kill-on-invalid-dep=yes".into(),
                    format!("--output={}/merge.log", s(&logs)),
                    s(&paths[1]),
                ],
            ],
            "{label}"
        );
        assert!(
            stdout.ends_with(&format!(
                "follow with: squeue --me; logs in {}/\n",
                s(&logs)
            )),
            "{label}: {stdout}"
        );

        // The array task and the merge start the program with the exact
        // paths, each as one argument.
        let shard_dir = |i: u64| s(&out.join("shards").join(format!("shard-{i}")));
        let task = [("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_CPUS_PER_TASK", "3")];
        run_script(&fakes, "bash", &paths[0], &dir, &task);
        let want: Vec<String> = [
            "run",
            &s(&scenario),
            "--seed",
            "5",
            "--shard",
            "1/2",
            "--out",
            &shard_dir(1),
            "--threads",
            "3",
            "--quiet",
        ]
        .map(str::to_string)
        .to_vec();
        assert_eq!(fakes.ideaflow_argv(), want, "{label}");
        // A task that finds its checkpoint resumes.
        std::fs::create_dir_all(out.join("shards").join("shard-1")).unwrap();
        std::fs::write(out.join("shards").join("shard-1").join("resume.json"), "{}").unwrap();
        run_script(&fakes, "bash", &paths[0], &dir, &task);
        let mut resumed = want.clone();
        resumed.push("--resume".into());
        assert_eq!(fakes.ideaflow_argv(), resumed, "{label}");

        run_script(&fakes, "bash", &paths[1], &dir, &[]);
        assert_eq!(
            fakes.ideaflow_argv(),
            [
                "merge",
                &shard_dir(0),
                &shard_dir(1),
                "--out",
                &s(&out),
                "--force"
            ],
            "{label}"
        );

        // A shard that is complete is not submitted again.
        std::fs::create_dir_all(out.join("shards").join("shard-0")).unwrap();
        std::fs::write(
            out.join("shards").join("shard-0").join("manifest.json"),
            "{\"complete\": true}",
        )
        .unwrap();
        run_script(&fakes, "sh", &paths[2], &dir, &[]);
        let calls = fakes.sbatch_calls();
        assert_eq!(calls[calls.len() - 2][1], "--array=1", "{label}");

        assert_eq!(
            pwned(tmp.path()),
            Vec::<PathBuf>::new(),
            "{label}: a command ran"
        );
    }
    assert_eq!(pwned(tmp.path()), Vec::<PathBuf>::new());
}

#[test]
fn slurm_options_that_would_break_an_sbatch_line_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "s.toml", SCENARIO);
    for (flag, value, expected) in [
        (
            "--partition",
            "compute\n#SBATCH --uid=0",
            "--partition: expected",
        ),
        ("--partition", "a$(touch PWNED)", "--partition: expected"),
        ("--time", "1:00\ntouch PWNED", "--time: expected"),
        ("--mem", "4G `touch PWNED`", "--mem: expected"),
        ("--mem", "", "--mem: expected"),
    ] {
        ideaflow()
            .current_dir(tmp.path())
            .args(["slurm", "--shards", "2", flag, value, "--out"])
            .arg(tmp.path().join("out"))
            .arg(&scenario)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(expected));
    }
    assert!(!tmp.path().join("out").join("slurm").exists());
    // A path that is not UTF-8 would be written as another path.
    let out = tmp.path().join(OsStr::from_bytes(b"out-\xff"));
    ideaflow()
        .args(["slurm", "--shards", "2", "--out"])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--out: expected a path that is valid UTF-8",
        ));
    assert!(!out.exists());
    assert_eq!(pwned(tmp.path()), Vec::<PathBuf>::new());
}

#[test]
fn slurm_scripts_are_never_written_through_a_planted_link() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write(tmp.path(), "s.toml", SCENARIO);
    let victim = write(tmp.path(), "victim.txt", "precious\n");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let slurm = |out: &Path| {
        ideaflow()
            .args(["slurm", "--shards", "2", "--out"])
            .arg(out)
            .arg(&scenario)
            .assert()
    };
    let refused = |out: &Path, what: &Path, kind: &str| {
        slurm(out).code(2).stderr(predicates::str::contains(format!(
            "{} is {kind}: expected",
            what.display()
        )));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    };

    // A link in place of each script (pointing to a user's file), of the
    // scripts' folder and of the logs folder (pointing to another folder).
    for f in ["shards.sbatch", "merge.sbatch", "submit.sh"] {
        let out = tmp.path().join(format!("link-{f}"));
        std::fs::create_dir_all(out.join("slurm")).unwrap();
        let link = out.join("slurm").join(f);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        refused(&out, &link, "a symbolic link");
        // No script was written: the check comes before any.
        assert_eq!(std::fs::read_dir(out.join("slurm")).unwrap().count(), 2);
    }
    let out = tmp.path().join("link-dir");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("slurm")).unwrap();
    refused(&out, &out.join("slurm"), "a symbolic link");
    let out = tmp.path().join("link-logs");
    std::fs::create_dir_all(out.join("slurm")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("slurm").join("logs")).unwrap();
    refused(&out, &out.join("slurm").join("logs"), "a symbolic link");
    // A dangling link is refused too (it would create its target).
    let out = tmp.path().join("dangling");
    std::fs::create_dir_all(out.join("slurm")).unwrap();
    let link = out.join("slurm").join("submit.sh");
    std::os::unix::fs::symlink(elsewhere.join("created"), &link).unwrap();
    refused(&out, &link, "a symbolic link");

    // A folder or a FIFO in place of a script; a file in place of a folder.
    let out = tmp.path().join("folder");
    std::fs::create_dir_all(out.join("slurm").join("merge.sbatch")).unwrap();
    refused(&out, &out.join("slurm").join("merge.sbatch"), "a folder");
    let out = tmp.path().join("fifo");
    std::fs::create_dir_all(out.join("slurm")).unwrap();
    let fifo = out.join("slurm").join("shards.sbatch");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    refused(&out, &fifo, "neither a file nor a folder");
    let out = tmp.path().join("file");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("slurm"), "a file").unwrap();
    refused(&out, &out.join("slurm"), "a file");

    // Scripts written before are replaced (executable, nothing left
    // behind); other files in the folder are kept.
    let out = tmp.path().join("again");
    slurm(&out).success();
    let dir = out.join("slurm");
    std::fs::write(dir.join("submit.sh"), "old").unwrap();
    std::fs::set_permissions(
        dir.join("submit.sh"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    slurm(&out).success();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "logs",
            "merge.sbatch",
            "notes.txt",
            "shards.sbatch",
            "submit.sh"
        ]
    );
    for f in ["shards.sbatch", "merge.sbatch", "submit.sh"] {
        let m = std::fs::symlink_metadata(dir.join(f)).unwrap();
        assert!(m.file_type().is_file());
        assert_eq!(m.permissions().mode() & 0o777, 0o755, "{f}");
    }
    assert!(
        std::fs::read_to_string(dir.join("submit.sh"))
            .unwrap()
            .starts_with("#!/bin/sh")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
}
