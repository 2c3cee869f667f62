//! Quoting user text for the Slurm scripts: as one POSIX shell word
//! ([`shell_word`]), or as text that stays on one comment line
//! ([`comment_text`]). Every path, name and run option reaches a script
//! through one of these.

use std::path::Path;

/// `s` as one word of a POSIX shell command: as it is when every
/// character is one no shell treats specially, otherwise in single
/// quotes with each `'` written as `'\''`. Between single quotes every
/// character stands for itself (newlines, `$`, backticks, `\`, `"`), so
/// the word is `s` for every string without NUL, and no argument, path or
/// environment value can hold NUL.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-+./:,@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A path as one shell word (lossily for a path that is not UTF-8, which
/// [`write_scripts`] refuses).
pub(super) fn path_word(p: &Path) -> String {
    shell_word(&p.to_string_lossy())
}

/// `s` as text that stays on one comment line: `\` and control characters
/// (newline, carriage return, tab, escape, ...) and the Unicode line and
/// paragraph separators are written as Rust escapes (`\\`, `\n`, `\r`,
/// `\u{1b}`).
pub fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// Text a shell must take literally: command substitution, quotes of
    /// both kinds, escapes, separators, globs, expansions, line breaks.
    const HOSTILE: &[&str] = &[
        "",
        "plain/path-1.0_x+y:z,w@h%a",
        "x$(touch PWNED)",
        "`touch PWNED`",
        "a;touch PWNED;b",
        "it's",
        "'",
        "''",
        "'\\''",
        "\"$(touch PWNED)\"",
        "back\\slash\\",
        "line\nbreak\n$(touch PWNED)\n",
        "cr\rtab\tesc\u{1b}[31m",
        "$HOME ${HOME} $((1+1)) $'\\n'",
        "* ? [a] {a,b} ~ ~root !! #not-a-comment",
        "-n",
        "a=b",
        "x | touch PWNED & touch PWNED > PWNED < /dev/null",
        "sp ace\u{a0}nbsp\u{2028}ls",
        "\u{e9}t\u{e9} \u{1F600}",
    ];

    #[test]
    fn a_shell_word_is_read_back_as_the_same_text_by_a_real_shell() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for shell in ["sh", "bash"] {
            for s in HOSTILE {
                let word = shell_word(s);
                let out = Command::new(shell)
                    .arg("-c")
                    .arg(format!("printf '%s' {word}"))
                    .current_dir(dir)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{shell}: {word}");
                assert_eq!(String::from_utf8_lossy(&out.stdout), *s, "{shell}: {word}");
            }
        }
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        assert!(left.is_empty(), "a word ran a command: {left:?}");
    }

    #[test]
    fn a_shell_word_is_one_word_for_every_string() {
        for s in HOSTILE {
            assert_eq!(
                shlex::split(&shell_word(s)),
                Some(vec![s.to_string()]),
                "{s:?}"
            );
        }
        // Every character from U+0001 to U+02FF, and each next to a quote.
        for c in (1u32..0x300).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("'{c}'"), format!("a{c}'b")] {
                assert_eq!(
                    shlex::split(&shell_word(&s)),
                    Some(vec![s.clone()]),
                    "{s:?}"
                );
            }
        }
        assert_eq!(shell_word("/scratch/me/fig1"), "/scratch/me/fig1");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn comment_text_stays_on_one_line() {
        for s in HOSTILE {
            let c = comment_text(s);
            assert!(
                !c.chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
                "{c:?}"
            );
        }
        assert_eq!(comment_text("a\nb\\n\r"), r"a\nb\\n\r");
        assert_eq!(comment_text("/home/me/fig 1.toml"), "/home/me/fig 1.toml");
    }
}
