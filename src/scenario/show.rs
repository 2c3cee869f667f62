//! `ideaflow show`: the scenario with every default filled in and every key
//! documented, as a valid TOML file a student can copy and edit.

use std::fmt::Write as _;

use rustc_hash::FxHashSet;

use crate::scenario::Experiment;
use crate::scenario::schema::{self, Field};
use crate::scenario::value::Value;

/// The experiment as TOML with every key, its documentation, allowed range
/// and default. Sweeps are shown expanded into their lists of values.
pub fn to_toml(exp: &Experiment) -> String {
    let mut out = String::new();
    // Escaped, so that a name or path with a line break cannot end the
    // comment and break the TOML.
    let _ = writeln!(
        out,
        "# Scenario {} ({}), every default filled in.",
        Value::Str(exp.name.clone()).to_toml(),
        without_controls(&exp.path.display().to_string())
    );
    let _ = writeln!(out, "# Keys marked (default) are not set in the file.");
    // Looked up once per field: a scenario may have many interventions.
    let set: FxHashSet<&str> = exp.set_in_file.iter().copied().collect();
    let swept: FxHashSet<&str> = exp.axes.iter().map(|a| a.path()).collect();
    let note = |path: &str| match (set.contains(path), swept.contains(path)) {
        (_, true) => " (swept: see [sweep])",
        (true, false) => "",
        (false, false) => " (default)",
    };
    let mut section = "";
    for f in schema::fields_for(exp.model) {
        let s = f.section();
        if s != section {
            let _ = writeln!(out, "\n[{s}]");
            section = s;
        }
        write_field(&mut out, exp, f, note(f.path));
    }
    for fields in &exp.intervention_fields {
        let _ = writeln!(out, "\n[[interventions]]");
        for f in fields {
            let value = exp
                .base
                .get(f.path)
                .map(|v| v.to_toml())
                .unwrap_or_default();
            let key = f.path.splitn(3, '.').nth(2).unwrap_or(f.path);
            let _ = writeln!(
                out,
                "# {}. {}.{}",
                f.doc,
                capitalise(&f.expected()),
                note(f.path)
            );
            let unset = if value == "\"\"" { "# " } else { "" };
            let _ = writeln!(out, "{unset}{key} = {value}");
        }
    }
    if !exp.axes.is_empty() {
        let _ = writeln!(out, "\n[sweep]");
        let _ = writeln!(
            out,
            "# {} points x {} replicates = {} runs",
            exp.points(),
            exp.replicates,
            exp.runs()
        );
        for a in &exp.axes {
            let vals: Vec<String> = a.values.iter().map(|v| v.to_toml()).collect();
            let _ = writeln!(out, "\"{}\" = [{}]", a.column(), vals.join(", "));
        }
    }
    out
}

fn write_field(out: &mut String, exp: &Experiment, f: &Field, note: &str) {
    let value = exp
        .base
        .get(f.path)
        .map(|v| v.to_toml())
        .unwrap_or_default();
    let _ = writeln!(out, "# {}. {}.{note}", f.doc, capitalise(&f.expected()));
    // An optional text left empty is shown commented out, so the output
    // reads back as a valid scenario. So is `extends`: the base's values
    // are all written out here, its interventions with this file's, and
    // extending the base again would add its interventions a second time.
    if f.path == "extends" && value != "\"\"" {
        let _ = writeln!(
            out,
            "# (merged in: every value below is in force, the base's interventions included)"
        );
    }
    let unset = if value == "\"\"" || f.path == "extends" {
        "# "
    } else {
        ""
    };
    let _ = writeln!(out, "{unset}{} = {value}", f.key());
}

/// `s` with control characters (a line break ends a TOML comment) escaped.
fn without_controls(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
