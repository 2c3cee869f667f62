//! The documentation is complete and self-contained: no file of the
//! repository points to documents outside it, and every metric is
//! documented where the others are.

use std::path::{Path, PathBuf};

use ideaflow::model::ModelKind;

use crate::util::root;

/// Names of documents that live outside the repository (in the workspace
/// the project was started in), which a clone does not have. Built from
/// pieces so that this file does not name them itself.
fn outside_names() -> Vec<String> {
    let mut names: Vec<String> = ["MODEL", "DESIGN", "STYLE"]
        .iter()
        .map(|n| format!("{n}.md"))
        .collect();
    names.push(format!("..{}shared", '/'));
    names
}

/// Files that may name them, with the reason. None should.
const ALLOWED: &[(&str, &str)] = &[];

/// Every file of the repository, relative to the root: everything except
/// `.git`, build output (`target/` at any depth, which covers
/// `benches/peers/*/target`) and the contents of `output/` (run results,
/// not versioned).
fn repository_files() -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry"))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            let name = e.file_name();
            let kind = e.file_type().expect("file type");
            if kind.is_dir() {
                if name == ".git" || name == "target" || rel == Path::new("output") {
                    continue;
                }
                walk(root, &path, out);
            } else if kind.is_file() {
                out.push(rel);
            }
        }
    }
    let root = root();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

#[test]
fn no_file_refers_to_documents_outside_the_repository() {
    let names = outside_names();
    let files = repository_files();
    assert!(
        files.iter().any(|f| f == Path::new("docs/model.md")),
        "the walk found the repository's files"
    );
    let mut found = Vec::new();
    for rel in &files {
        if ALLOWED.iter().any(|(f, _)| Path::new(f) == rel) {
            continue;
        }
        let bytes = std::fs::read(root().join(rel)).expect("read file");
        for name in &names {
            let needle = name.as_bytes();
            for (i, w) in bytes.windows(needle.len()).enumerate() {
                if w == needle {
                    let line = 1 + bytes[..i].iter().filter(|&&b| b == b'\n').count();
                    found.push(format!("{}:{line}: {name}", rel.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "files refer to documents a clone does not have (cite docs/model.md or state the \
         convention instead):\n{}",
        found.join("\n")
    );
}

/// Metric names (and runs.csv's extra columns) of every model.
fn metric_names() -> Vec<&'static str> {
    let mut names = Vec::new();
    for model in ModelKind::ALL {
        names.extend(model.metrics().iter().filter(|m| !m.hidden).map(|m| m.name));
        names.extend(model.run_columns().iter().copied());
    }
    names
}

#[test]
fn every_metric_is_documented_in_the_readme_the_model_and_the_scenario_reference() {
    for doc in ["README.md", "docs/model.md", "docs/scenario.md"] {
        let text = std::fs::read_to_string(root().join(doc)).expect("read doc");
        let missing: Vec<_> = metric_names()
            .into_iter()
            .filter(|name| !text.contains(&format!("`{name}`")))
            .collect();
        assert!(missing.is_empty(), "{doc} does not document {missing:?}");
    }
}

#[test]
fn every_teams_csv_column_is_defined_in_the_model_reference() {
    let text = std::fs::read_to_string(root().join("docs/model.md")).expect("read doc");
    for model in ModelKind::ALL {
        for c in model.team_columns() {
            assert!(
                text.contains(&format!("`{}`", c.name)),
                "docs/model.md does not define teams.csv column {}",
                c.name
            );
        }
    }
}
