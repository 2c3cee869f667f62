//! The README followed top to bottom on a fresh clone: every `cargo run
//! --release -- ARGS` command of its `sh` blocks runs, in order, as the
//! built `ideaflow ARGS` in a temporary folder laid out like a fresh clone
//! (`scenarios/` copied, an empty `output/`), and succeeds; the Python
//! snippets then read what the commands wrote (when pandas is importable);
//! and a sample scenario shown in the README is the bundled file it names.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use crate::util::{ideaflow, root};

/// The prefix of the README's commands, run here as the built binary.
const CARGO_RUN: &str = "cargo run --release --";

/// Other commands the README shows, not run here (with the reason).
const NOT_RUN: &[(&str, &str)] = &[(
    "cargo test --release",
    "the test suite itself (this test is part of it)",
)];

/// A fenced code block: its info string and its text.
struct Block {
    lang: String,
    body: String,
    /// The text between the previous block and this one.
    before: String,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    let mut before = String::new();
    while let Some(line) = lines.next() {
        let Some(lang) = line.strip_prefix("```") else {
            before.push_str(line);
            before.push('\n');
            continue;
        };
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push(Block {
            lang: lang.trim().to_string(),
            body,
            before: std::mem::take(&mut before),
        });
    }
    out
}

/// The command lines of a shell block: continuation lines joined, comments
/// (a `#` at the start of a word, outside quotes) removed, blank lines
/// dropped.
fn command_lines(body: &str) -> Vec<String> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .into_iter()
        .map(|l| strip_comment(&l).trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn strip_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

/// Whether `name` matches the shell pattern `pattern` (`*` and `?`).
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            matches(&pattern[1..], name) || (!name.is_empty() && matches(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Expands a word with `*` or `?` in its last component as the shell does
/// (sorted matches; the word itself when nothing matches).
fn expand(word: &str, cwd: &Path) -> Vec<String> {
    if !word.contains(['*', '?']) {
        return vec![word.to_string()];
    }
    let (dir, pattern) = word.rsplit_once('/').unwrap_or(("", word));
    assert!(
        !dir.contains(['*', '?']),
        "README: a wildcard in a folder name ({word}) is not supported by this test"
    );
    let mut found: Vec<String> = std::fs::read_dir(cwd.join(dir))
        .unwrap_or_else(|e| panic!("README: {word}: {e}"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && matches(pattern.as_bytes(), n.as_bytes()))
        .map(|n| {
            if dir.is_empty() {
                n
            } else {
                format!("{dir}/{n}")
            }
        })
        .collect();
    found.sort();
    if found.is_empty() {
        vec![word.to_string()]
    } else {
        found
    }
}

/// Copies the regular files under `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for e in std::fs::read_dir(from).expect("read folder") {
        let e = e.expect("entry");
        let kind = e.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else if kind.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy file");
        }
    }
}

/// A folder laid out like a fresh clone, as far as the README's commands
/// read it: `scenarios/` and an `output/` holding only `.gitkeep`.
fn fresh_clone() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_tree(&root().join("scenarios"), &dir.path().join("scenarios"));
    std::fs::create_dir(dir.path().join("output")).expect("output folder");
    std::fs::write(dir.path().join("output/.gitkeep"), "").expect(".gitkeep");
    dir
}

/// Runs one README command line in `cwd`.
fn run_command(line: &str, cwd: &Path) {
    let Some(rest) = line.strip_prefix(CARGO_RUN) else {
        let known = NOT_RUN.iter().find(|(c, _)| *c == line);
        assert!(
            known.is_some(),
            "README runs `{line}`: this test runs only `{CARGO_RUN} ARGS` \
             (add the command to NOT_RUN with the reason if it cannot run here)"
        );
        return;
    };
    let words = shlex::split(rest).unwrap_or_else(|| panic!("README: cannot split `{line}`"));
    let mut args: Vec<String> = Vec::new();
    let mut stdout_to: Option<PathBuf> = None;
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        if w == ">" {
            let file = words
                .next()
                .unwrap_or_else(|| panic!("README: `>` without a file in `{line}`"));
            stdout_to = Some(cwd.join(file));
        } else {
            assert!(
                !w.starts_with(['>', '<', '|', '&', ';']) && !w.contains("$("),
                "README: `{line}` uses shell syntax this test does not support ({w})"
            );
            args.extend(expand(&w, cwd));
        }
    }
    let out = ideaflow()
        .current_dir(cwd)
        .args(&args)
        .timeout(Duration::from_secs(600))
        .output()
        .unwrap_or_else(|e| panic!("README: `{line}` did not run: {e}"));
    assert!(
        out.status.success(),
        "README: `{line}` failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(file) = stdout_to {
        std::fs::write(&file, &out.stdout).expect("write redirected output");
    }
}

/// Whether `python3` can import pandas.
fn pandas() -> bool {
    Process::new("python3")
        .args(["-c", "import pandas"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a Python snippet in `cwd`.
fn run_python(code: &str, cwd: &Path) {
    use std::io::Write;
    let mut child = Process::new("python3")
        .arg("-")
        .current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(code.as_bytes())
        .expect("write snippet");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "README: the Python snippet failed:\n{code}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_readme_works_top_to_bottom_on_a_fresh_clone() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README");
    let dir = fresh_clone();
    let python = pandas();
    let (mut commands, mut snippets) = (0, 0);
    for block in blocks(&readme) {
        match block.lang.as_str() {
            "sh" => {
                for line in command_lines(&block.body) {
                    run_command(&line, dir.path());
                    commands += usize::from(line.starts_with(CARGO_RUN));
                }
            }
            "python" if python => {
                run_python(&block.body, dir.path());
                snippets += 1;
            }
            "python" => {
                eprintln!("README: a Python snippet was not run (pandas is not importable)");
            }
            _ => {}
        }
    }
    assert!(commands >= 10, "README commands run: {commands}");
    if python {
        assert!(snippets >= 2, "README Python snippets run: {snippets}");
    }
    // What the snippets below the commands read was written by them.
    for folder in ["baseline", "kaizen", "bass-networks"] {
        assert!(
            dir.path()
                .join("output")
                .join(folder)
                .join("summary.csv")
                .exists(),
            "output/{folder}/summary.csv"
        );
    }
    assert!(dir.path().join("ideaflow.bash").metadata().unwrap().len() > 0);
}

#[test]
fn a_scenario_shown_in_the_readme_is_the_bundled_file_it_names() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README");
    let mut checked = 0;
    for block in blocks(&readme).iter().filter(|b| b.lang == "toml") {
        // The last `scenarios/....toml` named in the text before the block.
        let named = block
            .before
            .split('`')
            .rfind(|w| w.starts_with("scenarios/") && w.ends_with(".toml"));
        let Some(named) = named else {
            assert!(
                block.before.contains("sketch"),
                "a TOML sample in the README names no bundled file and is not labelled a sketch:\n{}",
                block.body
            );
            continue;
        };
        let shown: toml::Table = toml::from_str(&block.body).expect("README sample parses");
        let file = std::fs::read_to_string(root().join(named)).expect("read bundled scenario");
        let bundled: toml::Table = toml::from_str(&file).expect("bundled scenario parses");
        assert_eq!(
            shown, bundled,
            "the README's sample differs from {named} in its keys or values"
        );
        checked += 1;
    }
    assert!(checked >= 1, "the README shows a bundled scenario");
}

#[test]
fn readme_command_lines_are_read_as_the_shell_reads_them() {
    let lines = command_lines(
        "a b   # comment\n\ncargo run --release -- compare x \\\n    y # z\nc '#not' \"# no\"\n",
    );
    assert_eq!(
        lines,
        [
            "a b",
            "cargo run --release -- compare x      y",
            "c '#not' \"# no\""
        ]
    );
    assert!(matches(b"*.toml", b"baseline.toml"));
    assert!(!matches(b"*.toml", b"baseline.tom"));
    assert!(matches(b"a?c*", b"abcdef"));
}
