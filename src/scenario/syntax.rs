//! TOML syntax errors as diagnostics, each with its place in the file.
//!
//! The TOML reader (the `toml` crate) gives every syntax error a span but
//! one: a dotted key of more parts than it reads (its "recursion limit",
//! 80 parts in toml 1.2) is reported without a place. The loader then finds
//! the place itself: the dotted key with the most parts, found by walking
//! the file's TOML events once (so keys inside strings and comments are not
//! counted). Found by the coverage-guided fuzzer (issue 12).

use std::ops::Range;

use toml_parser::parser::{Event, EventKind};

use crate::scenario::diagnostic::Collector;

/// The message of the reader's error for a dotted key of too many parts.
const KEY_LIMIT: &str = "recursion limit";

/// Records every syntax error of `text` (the file `c` collects for).
pub fn report(c: &mut Collector, text: &str, errors: &[toml::de::Error]) {
    for e in errors {
        let found = match e.span() {
            Some(span) => Some((span, String::new())),
            None if e.message() == KEY_LIMIT => longest_dotted_key(text)
                .map(|(span, parts)| (span, format!(" (a dotted key of {parts} parts)"))),
            None => None,
        };
        let (span, detail) = found.map_or((None, String::new()), |(s, d)| (Some(s), d));
        c.push(
            span,
            None,
            format!("malformed TOML: {}{detail}", e.message()),
            None,
        );
    }
}

/// The span and number of parts of the dotted key (in a table header,
/// a key-value pair or an inline table) with the most parts; the first of
/// equals. `None` when the text has no key.
fn longest_dotted_key(text: &str) -> Option<(Range<usize>, usize)> {
    let source = toml_parser::Source::new(text);
    let tokens = source.lex().into_vec();
    // The key being read: its span, its parts, and whether a `.` was just
    // read (so the next simple key continues it).
    let mut current: Option<(Range<usize>, usize)> = None;
    let mut after_dot = false;
    let mut best: Option<(Range<usize>, usize)> = None;
    let mut on_event = |ev: Event| match ev.kind() {
        EventKind::SimpleKey => {
            let span = ev.span();
            current = match current.take() {
                Some((range, parts)) if after_dot => Some((range.start..span.end(), parts + 1)),
                _ => Some((span.start()..span.end(), 1)),
            };
            after_dot = false;
            if let Some((range, parts)) = &current
                && best.as_ref().is_none_or(|(_, most)| parts > most)
            {
                best = Some((range.clone(), *parts));
            }
        }
        EventKind::KeySep => after_dot = true,
        EventKind::Whitespace => {}
        _ => {
            current = None;
            after_dot = false;
        }
    };
    toml_parser::parser::parse_document(&tokens, &mut on_event, &mut ());
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: usize) -> String {
        vec!["a"; parts].join(".")
    }

    #[test]
    fn finds_the_longest_dotted_key_outside_strings_and_comments() {
        let text = format!(
            "x = \"{}\"\n# {}\n[{}]\n{} = 1\ny = {{ {} = 2 }}\n",
            key(90),
            key(95),
            key(3),
            key(5),
            key(4)
        );
        let (span, parts) = longest_dotted_key(&text).expect("a key");
        assert_eq!(parts, 5);
        assert_eq!(&text[span], key(5));
    }

    #[test]
    fn spaces_around_dots_belong_to_the_key() {
        let text = "a . b .c = 1\nd = 2\n";
        let (span, parts) = longest_dotted_key(text).expect("a key");
        assert_eq!((parts, &text[span]), (3, "a . b .c"));
    }

    #[test]
    fn a_key_of_too_many_parts_gets_a_place() {
        for (text, at) in [
            (format!("x = 1\n{} = 1\n", key(200)), 6),
            (format!("x = 1\n[{}]\n", key(200)), 7),
            (format!("x = {{ {} = 1 }}\n", key(200)), 6),
        ] {
            let (_, errors) = toml::de::DeTable::parse_recoverable(&text);
            assert!(!errors.is_empty(), "{text}");
            let mut c = Collector::new("f.toml".as_ref(), &text);
            report(&mut c, &text, &errors);
            let d = &c.items[0];
            assert_eq!(
                d.span.as_ref().map(|s| s.start),
                Some(at),
                "{}",
                d.headline()
            );
            assert!(d.message.contains("200 parts"), "{}", d.message);
        }
    }
}
