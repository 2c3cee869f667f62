//! Bad input: every kind of mistake gets a message naming file, line and
//! column, the field, what was expected and what was found; the exit code is
//! 2 and no output is created.

use predicates::prelude::*;

use crate::util::{ideaflow, write};

const GOOD: &str = r#"model = "bass"
steps = 10
replicates = 2

[bass]
agents = 100
p = 0.03
q = 0.38
dt = 0.1
network = "ring"
degree = 4
"#;

/// Runs `ideaflow run` on `text` and checks the rejection: exit 2, the
/// location `line:col`, the field, what was expected and found, and no
/// output folder.
fn rejects(text: &str, location: &str, field: &str, expected: &str, found: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.toml", text);
    let out = dir.path().join("out");
    let assert = ideaflow()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let headline = format!("bad.toml:{location}: `{field}`: expected {expected}");
    assert!(
        stderr.contains(&headline),
        "missing {headline:?} in:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("found {found}")),
        "missing 'found {found}' in:\n{stderr}"
    );
    assert!(!out.exists(), "output folder created for bad input");
    // validate agrees, with the same message.
    let v = ideaflow().arg("validate").arg(&path).assert().code(2);
    assert!(String::from_utf8_lossy(&v.get_output().stderr).contains(&headline));
}

fn replace(key_line: &str, with: &str) -> String {
    assert!(GOOD.contains(key_line), "{key_line} not in GOOD");
    GOOD.replace(key_line, with)
}

#[test]
fn the_good_file_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.toml", GOOD);
    ideaflow()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("= 2 runs"));
}

#[test]
fn malformed_toml() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.toml", &replace("[bass]", "[bass"));
    let out = dir.path().join("out");
    ideaflow()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml:5:6: malformed TOML"));
    assert!(!out.exists());
}

#[test]
fn unknown_key_with_suggestion() {
    rejects(
        &replace("q = 0.38", "qq = 0.38"),
        "8:1",
        "bass.qq",
        "a known key in [bass]",
        "unknown key `qq`",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.toml", &replace("q = 0.38", "qq = 0.38"));
    ideaflow()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `q`?"));
}

#[test]
fn unknown_top_level_key_and_table() {
    rejects(
        &format!("stpes = 3\n{GOOD}"),
        "1:1",
        "stpes",
        "a known key at the top level",
        "unknown key `stpes`",
    );
    rejects(
        &format!("{GOOD}\n[bas]\nagents = 3\n"),
        "13:2",
        "bas",
        "a known key at the top level",
        "unknown key `bas`",
    );
}

#[test]
fn wrong_type() {
    rejects(
        &replace("q = 0.38", "q = \"high\""),
        "8:5",
        "bass.q",
        "a number >= 0",
        "the string \"high\"",
    );
    rejects(
        &replace("agents = 100", "agents = 100.5"),
        "6:10",
        "bass.agents",
        "an integer from 1",
        "the number 100.5",
    );
    rejects(
        &replace("steps = 10", "steps = true"),
        "2:9",
        "steps",
        "an integer from 1",
        "true",
    );
}

#[test]
fn out_of_range_values() {
    rejects(
        &replace("p = 0.03", "p = -0.03"),
        "7:5",
        "bass.p",
        "a number >= 0",
        "the number -0.03",
    );
    rejects(
        &replace("q = 0.38", "q = -1"),
        "8:5",
        "bass.q",
        "a number >= 0",
        "the integer -1",
    );
    rejects(
        &replace("dt = 0.1", "dt = 0"),
        "9:6",
        "bass.dt",
        "a number > 0",
        "the integer 0",
    );
    rejects(
        &replace("dt = 0.1", "dt = -0.5"),
        "9:6",
        "bass.dt",
        "a number > 0",
        "the number -0.5",
    );
    rejects(
        &replace("agents = 100", "agents = 0"),
        "6:10",
        "bass.agents",
        "an integer from 1",
        "the integer 0",
    );
    rejects(
        &format!("{GOOD}rewire = 1.5\n"),
        "12:10",
        "bass.rewire",
        "a number from 0 to 1",
        "the number 1.5",
    );
    rejects(
        &format!("{GOOD}rewire = -0.1\n"),
        "12:10",
        "bass.rewire",
        "a number from 0 to 1",
        "the number -0.1",
    );
    rejects(
        &replace("steps = 10", "steps = 0"),
        "2:9",
        "steps",
        "an integer from 1",
        "the integer 0",
    );
    rejects(
        &replace("replicates = 2", "replicates = 0"),
        "3:14",
        "replicates",
        "an integer from 1",
        "the integer 0",
    );
}

#[test]
fn degree_must_be_less_than_agents() {
    rejects(
        &replace("degree = 4", "degree = 100"),
        "11:10",
        "bass.degree",
        "a degree less than agents (100) for network \"ring\"",
        "degree = 100",
    );
}

#[test]
fn unknown_model_and_network() {
    rejects(
        &replace("model = \"bass\"", "model = \"bas\""),
        "1:9",
        "model",
        "one of \"climate\", \"march\", \"bass\"",
        "\"bas\"",
    );
    rejects(
        &replace("network = \"ring\"", "network = \"lattice\""),
        "10:11",
        "bass.network",
        "one of \"complete\", \"ring\", \"small_world\", \"random\"",
        "\"lattice\"",
    );
}

#[test]
fn empty_and_reversed_ranges() {
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.p\" = []\n"),
        "14:12",
        "bass.p",
        "a non-empty list of values",
        "an empty list",
    );
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.p\" = {{ from = 0.1, to = 0.2, steps = 0 }}\n"),
        "14:12",
        "bass.p",
        "steps >= 1",
        "steps = 0: the range is empty",
    );
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.p\" = {{ from = 0.5, to = 0.1, by = 0.1 }}\n"),
        "14:12",
        "bass.p",
        "from <= to",
        "a reversed range from 0.5 to 0.1",
    );
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.p\" = {{ from = 0.0, to = 1.0, by = 0.3 }}\n"),
        "14:12",
        "bass.p",
        "`by` to divide the range",
        "by = 0.3 which does not divide",
    );
}

#[test]
fn sweep_key_naming_no_parameter() {
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.qq\" = [0.1, 0.2]\n"),
        "14:1",
        "bass.qq",
        "a sweep key naming a parameter",
        "`bass.qq`, which names none",
    );
}

#[test]
fn swept_values_are_range_checked() {
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.q\" = [0.2, -0.2]\n"),
        "14:18",
        "bass.q",
        "a number >= 0",
        "the number -0.2",
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let text = replace("p = 0.03", "p = -1")
        .replace("dt = 0.1", "dt = 0")
        .replace("degree = 4", "degre = 4");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.toml", &text);
    ideaflow()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`bass.p`"))
        .stderr(predicate::str::contains("`bass.dt`"))
        .stderr(predicate::str::contains("`bass.degre`"))
        .stderr(predicate::str::contains("3 problems in 1 file"));
}

#[test]
fn validate_reports_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", &replace("p = 0.03", "p = -1"));
    let b = write(dir.path(), "b.toml", GOOD);
    let c = write(dir.path(), "c.toml", &replace("q = 0.38", "q = -1"));
    ideaflow()
        .arg("validate")
        .args([&a, &b, &c])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a.toml:7:5"))
        .stderr(predicate::str::contains("c.toml:8:5"))
        .stdout(predicate::str::contains("ok: ").and(predicate::str::contains("b.toml")));
}

#[test]
fn missing_scenario_file() {
    let dir = tempfile::tempdir().unwrap();
    ideaflow()
        .arg("run")
        .arg(dir.path().join("nope.toml"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot read scenario file")
                .and(predicate::str::contains("nope.toml")),
        );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn error_message_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.toml",
        &replace("network = \"ring\"", "network = \"rnig\""),
    );
    let out = ideaflow()
        .current_dir(dir.path())
        .arg("validate")
        .arg("bad.toml")
        .assert()
        .code(2);
    let _ = path;
    insta::assert_snapshot!(String::from_utf8_lossy(&out.get_output().stderr));
}

#[test]
fn command_line_overrides_are_range_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.toml", GOOD);
    for (flag, value, expected) in [
        (
            "--steps",
            "100000000000",
            "expected --steps to be an integer from 1 to 100000000, found 100000000000",
        ),
        (
            "--replicates",
            "5000000000",
            "expected --replicates to be an integer from 1 to 1000000000",
        ),
        (
            "--seed",
            "18446744073709551615",
            "expected --seed to be an integer from 0 to 2^63 - 1",
        ),
    ] {
        let out = dir.path().join("out");
        ideaflow()
            .arg("run")
            .arg(&path)
            .args([flag, value, "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
        assert!(!out.exists());
    }
}

#[test]
fn quoted_dotted_keys_are_not_paths_outside_sweep() {
    rejects(
        &format!("\"bass.p\" = 0.1\n{GOOD}"),
        "1:1",
        "bass.p",
        "a plain key",
        "the quoted dotted key \"bass.p\"",
    );
}

#[test]
fn names_cannot_escape_the_output_folder() {
    rejects(
        &format!("name = \"..\"\n{GOOD}"),
        "1:8",
        "name",
        "a name without path separators",
        "\"..\"",
    );
    rejects(
        &format!("name = \"a/b\"\n{GOOD}"),
        "1:8",
        "name",
        "a name without path separators",
        "\"a/b\"",
    );
    // A newline or other control character would make a folder name that
    // breaks shell scripts and listings.
    rejects(
        &format!("name = \"two\\nlines\"\n{GOOD}"),
        "1:8",
        "name",
        "a name without path separators or control characters",
        "\"two\\nlines\"",
    );
}

#[test]
fn values_that_would_exhaust_the_machine_are_rejected() {
    let climate = |body: &str| format!("model = \"climate\"\n{body}");
    let dir = tempfile::tempdir().unwrap();
    for (text, field) in [
        (
            climate("[climate.turnover]\nmotivation_effect = 2000\n"),
            "climate.turnover.motivation_effect",
        ),
        (climate("[climate]\nlambda0 = 1e12\n"), "climate.lambda0"),
        (
            climate("[climate]\nmotivation_ref = 0\n"),
            "climate.motivation_ref",
        ),
        (
            climate("[climate.diffusion]\nq = 1e9\n"),
            "climate.diffusion.q",
        ),
        (
            climate("[climate.partners]\ncount = 100000\nties = 100000\n"),
            "climate.partners.count",
        ),
        (
            GOOD.replace("agents = 100", "agents = 100000000")
                .replace("degree = 4", "degree = 50"),
            "bass.degree",
        ),
    ] {
        let path = write(dir.path(), "big.toml", &text);
        ideaflow()
            .arg("validate")
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("`{field}`")));
    }
}

#[test]
fn sweep_steps_larger_than_the_range_are_refused() {
    rejects(
        &format!("{GOOD}\n[sweep]\n\"bass.p\" = {{ from = 0.1, to = 0.5, by = 1e300 }}\n"),
        "14:12",
        "bass.p",
        "`by` to divide the range",
        "by = 1e300",
    );
}
