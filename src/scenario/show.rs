//! `ideaflow show`: the scenario with every default filled in and every key
//! documented, as a valid TOML file a student can copy and edit.

use std::fmt::Write as _;

use crate::scenario::Experiment;
use crate::scenario::schema::{self, Field};

/// The experiment as TOML with every key, its documentation, allowed range
/// and default. Sweeps are shown expanded into their lists of values.
pub fn to_toml(exp: &Experiment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Scenario \"{}\" ({}), every default filled in.",
        exp.name,
        exp.path.display()
    );
    let _ = writeln!(out, "# Keys marked (default) are not set in the file.");
    let mut section = "";
    for f in schema::fields_for(exp.model) {
        let s = f.section();
        if s != section {
            let _ = writeln!(out, "\n[{s}]");
            section = s;
        }
        write_field(&mut out, exp, f);
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
            let set = exp.set_in_file.contains(&f.path);
            let swept = exp.axes.iter().any(|a| a.path() == f.path);
            let note = match (set, swept) {
                (_, true) => " (swept: see [sweep])",
                (true, false) => "",
                (false, false) => " (default)",
            };
            let _ = writeln!(out, "# {}. {}.{note}", f.doc, capitalise(&f.expected()));
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
            let _ = writeln!(out, "\"{}\" = [{}]", a.path(), vals.join(", "));
        }
    }
    out
}

fn write_field(out: &mut String, exp: &Experiment, f: &Field) {
    let value = exp
        .base
        .get(f.path)
        .map(|v| v.to_toml())
        .unwrap_or_default();
    let set = exp.set_in_file.contains(&f.path);
    let swept = exp.axes.iter().any(|a| a.path() == f.path);
    let note = match (set, swept) {
        (_, true) => " (swept: see [sweep])",
        (true, false) => "",
        (false, false) => " (default)",
    };
    let _ = writeln!(out, "# {}. {}.{note}", f.doc, capitalise(&f.expected()));
    // An optional text left empty is shown commented out, so the output
    // reads back as a valid scenario.
    let unset = if value == "\"\"" { "# " } else { "" };
    let _ = writeln!(out, "{unset}{} = {value}", f.key());
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
