//! The architecture, checked: which top-level module of the library may
//! use which, read from the `crate::` (and top-level `super::`) paths in
//! the code under src/, comments left out. No exceptions: a new edge is a
//! design change, made here on purpose.
//!
//! The layers, from the bottom: `param` (the parameter vocabulary), `rng`
//! and `files` are leaves; `model` knows only those two kinds of leaf;
//! `scenario` reads files against the models' schemas without knowing any
//! particular model; `output` writes files without knowing the engine;
//! `engine` runs experiments; the face features (`compare`, `merge`,
//! `slurm`, `plot`) use the layers below and never each other; the binary
//! (src/main.rs, src/cli/) may use everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::root;

/// The modules each top-level module may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("param", &[]),
    ("rng", &[]),
    ("files", &[]),
    ("model", &["param", "rng"]),
    ("scenario", &["param", "model", "files"]),
    ("error", &["scenario"]),
    ("output", &["param", "model", "files", "error"]),
    (
        "engine",
        &[
            "param", "model", "files", "error", "output", "rng", "scenario",
        ],
    ),
    (
        "compare",
        &[
            "param", "model", "files", "error", "output", "rng", "scenario", "engine",
        ],
    ),
    (
        "merge",
        &[
            "param", "model", "files", "error", "output", "rng", "scenario", "engine",
        ],
    ),
    (
        "slurm",
        &[
            "param", "model", "files", "error", "output", "rng", "scenario", "engine",
        ],
    ),
    (
        "plot",
        &[
            "param", "model", "files", "error", "output", "rng", "scenario", "engine",
        ],
    ),
];

/// The code of a Rust file without its comments (line comments, doc
/// comments, block comments); string contents are kept, which is fine for
/// finding paths.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_str, mut block) = (false, 0usize);
    while let Some(c) = chars.next() {
        if block > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block += 1;
            }
            continue;
        }
        if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block = 1;
            }
            // A char literal holding a quote must not start a string.
            '\'' if chars.peek() == Some(&'"') => {
                out.push(c);
                out.push(chars.next().unwrap_or('"'));
            }
            _ => out.push(c),
        }
    }
    out
}

/// The top-level modules named after `prefix` (`crate::` or `super::`)
/// in `code`, including those inside `prefix{a::b, c}` groups.
fn modules_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // part of a longer path, e.g. `a::crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// For each top-level module of the library, the top-level modules its
/// code uses (with the file that uses each, for the message).
fn edges() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        // The binary may use everything; lib.rs declares the modules.
        if parts[0] == "main.rs"
            || parts[0] == "cli"
            || parts[0] == "cli.rs"
            || parts[0] == "lib.rs"
        {
            continue;
        }
        let module = parts[0].trim_end_matches(".rs").to_string();
        let code = without_comments(&std::fs::read_to_string(&path).unwrap());
        let mut used = modules_after(&code, "crate::");
        // In src/x.rs and src/x/mod.rs, `super::` is the crate root.
        let top_level = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod.rs");
        if top_level {
            used.extend(modules_after(&code, "super::"));
        }
        for m in used {
            // Items at the crate root: the build's commit (a constant)
            // and `Error`, the error module's type.
            let m = match m.as_str() {
                "GIT_COMMIT" => continue,
                "Error" => "error".to_string(),
                _ => m,
            };
            if m != module {
                edges
                    .entry(module.clone())
                    .or_default()
                    .entry(m)
                    .or_insert_with(|| rel.display().to_string());
            }
        }
    }
    edges
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (module, uses) in edges() {
        let Some(ok) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "src/{module}: a top-level module missing from ALLOWED in tests/layers.rs"
            ));
            continue;
        };
        for (used, file) in uses {
            if !ok.contains(&used.as_str()) {
                wrong.push(format!("{module} -> {used} (in src/{file})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "module directions not allowed by tests/layers.rs:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_path_reader_sees_groups_and_skips_comments() {
    let code = without_comments(
        "use crate::{engine::run, output};\n// use crate::merge;\n/* crate::slurm */ let s = \"//\"; use super::plot;\nlet c = '\"'; crate::files::x();",
    );
    let found = modules_after(&code, "crate::");
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["engine", "files", "output"]
    );
    assert!(modules_after(&code, "super::").contains("plot"));
}

#[test]
fn the_scenario_reader_knows_no_particular_model() {
    let mut files = Vec::new();
    rust_files(&root().join("src/scenario"), &mut files);
    let mut wrong = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests may use particular models as examples.
        let code = without_comments(text.split("#[cfg(test)]").next().unwrap_or(""));
        for needle in [
            "model::climate",
            "model::bass",
            "model::march",
            "ModelKind::Climate",
            "ModelKind::Bass",
            "ModelKind::March",
            "\"interventions\"",
        ] {
            if code.contains(needle) {
                wrong.push(format!("{}: {needle}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
