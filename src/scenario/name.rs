//! What a scenario name may be. The name becomes a folder name
//! (`output/<name>/`, a compared scenario's `<out>/<name>/`, the
//! `<name>-run<ID>` and `<name>-shard-I-of-N` folders) and a job name, so a
//! name from a file's `name` key and one taken from its file name obey the
//! same rules: no path separators or control characters, no leading dot
//! (which covers `.` and `..` and hidden names such as `.ideaflow.lock`),
//! not one of the names ideaflow gives its own files and folders, and
//! short enough that every folder made from it fits a file system's limit
//! of 255 bytes per name.

/// Longest name, in bytes of UTF-8: with `-shard-I-of-N` (up to 48 more
/// bytes) or `compare-` added it stays well below 255.
pub const MAX_NAME_BYTES: usize = 100;

/// Folders ideaflow makes inside output folders.
const RESERVED: &[&str] = &["plots", "shards", "slurm"];

/// Endings of the files ideaflow writes into output folders.
const RESERVED_ENDINGS: &[&str] = &[".csv", ".json", ".partial", ".tmp", ".lock", ".svg"];

/// Checks a scenario name; the error says what is wrong with it.
pub fn check(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "it is {} bytes long (at most {MAX_NAME_BYTES})",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | '\\') || c.is_control())
    {
        return Err(format!(
            "it contains {}",
            match c {
                '/' | '\\' => format!("the path separator {c}"),
                c => format!("the control character {}", c.escape_unicode()),
            }
        ));
    }
    if name.starts_with('.') {
        return Err(
            "it begins with a dot (. and .. name folders; other names would be hidden)".into(),
        );
    }
    let lower = name.to_lowercase();
    if RESERVED.contains(&lower.as_str()) {
        return Err(format!(
            "`{name}` is a folder ideaflow makes in output folders"
        ));
    }
    if let Some(end) = RESERVED_ENDINGS.iter().find(|e| lower.ends_with(*e)) {
        return Err(format!(
            "it ends in {end}, like the files ideaflow writes into output folders"
        ));
    }
    Ok(())
}

/// What a valid name looks like, for messages.
pub const EXPECTED: &str =
    "a name without path separators or control characters that can be a folder name";

/// The rules, for help lines.
pub const RULES: &str = "a name has at most 100 bytes, no path separators or control characters, does not begin with a dot and does not end in .csv, .json, .partial, .tmp, .lock or .svg";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_leave_or_collide_with_the_output_folder_are_refused() {
        for bad in [
            "",
            " ",
            ".",
            "..",
            "...",
            ".ideaflow.lock",
            "a/b",
            "a\\b",
            "a\nb",
            "tab\there",
            "compare.csv",
            "manifest.json",
            "runs.csv.partial",
            "resume.json.tmp",
            "plots",
            "Shards",
            &"x".repeat(101),
            &"é".repeat(51),
        ] {
            assert!(check(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "baseline",
            "kaizen-2026",
            "étude v2",
            "a.b",
            "x$(touch F)",
            "quote\"s 'and' `ticks`",
            &"x".repeat(100),
        ] {
            assert!(check(good).is_ok(), "{good:?} refused: {:?}", check(good));
        }
    }
}
