//! Problems found in a scenario file, each pointing at file, line and column,
//! naming the field and saying what was expected and what was found.
//! Rendered like compiler messages (annotate-snippets) so a student sees the
//! offending line with a caret under the value.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// One problem in one scenario file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The scenario file.
    pub file: PathBuf,
    /// The file's text (shared between the diagnostics of one file).
    pub source: Arc<str>,
    /// Byte offsets where the file's lines start (shared likewise).
    pub line_starts: Arc<[usize]>,
    /// Byte range of the offending text, when the problem has a place.
    pub span: Option<Range<usize>>,
    /// The dotted path of the field concerned, if any.
    pub field: Option<String>,
    /// What is wrong: usually "expected ..., found ...".
    pub message: String,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// 1-based line and column of the span's start (a binary search in
    /// the line index: no scan of the file per problem).
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let span = self.span.as_ref()?;
        let start = floor_char_boundary(&self.source, span.start.min(self.source.len()));
        let line = self.line_starts.partition_point(|&s| s <= start).max(1);
        let line_start = self.line_starts[line - 1];
        let col = self.source[line_start..start].chars().count() + 1;
        Some((line, col))
    }

    /// `file:line:col` (or just `file` when the problem has no place).
    pub fn location(&self) -> String {
        let file = shown_path(&self.file);
        match self.line_col() {
            Some((l, c)) => format!("{file}:{l}:{c}"),
            None => file,
        }
    }

    /// The one-line summary: `file:line:col: field: message`.
    pub fn headline(&self) -> String {
        match &self.field {
            Some(f) => format!("{}: `{f}`: {}", self.location(), self.message),
            None => format!("{}: {}", self.location(), self.message),
        }
    }

    /// The full report with the source line and a caret under the problem.
    pub fn render(&self) -> String {
        let headline = self.headline();
        let path = self.file.display().to_string();
        let mut group = Group::with_title(Level::ERROR.primary_title(headline.as_str()));
        if let Some(span) = &self.span {
            // Only the lines the span covers are handed to the renderer, so
            // a report costs the size of its lines, not of the whole file.
            let span = clamp_span(&self.source, span.clone());
            let first = self
                .line_starts
                .partition_point(|&s| s <= span.start)
                .max(1);
            let from = self.line_starts[first - 1];
            let to = self.source[span.end..]
                .find('\n')
                .map_or(self.source.len(), |i| span.end + i);
            // A span over many lines is shown by its first 20 lines.
            let to = self.line_starts.get(first + 19).map_or(to, |&l| to.min(l));
            let end = span.end.min(to);
            group = group.element(
                Snippet::source(&self.source[from..to])
                    .line_start(first)
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(span.start - from..end - from)),
            );
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        Renderer::plain().render(&[group])
    }
}

/// A path as shown in messages: control characters (a line break in a
/// file name) escaped, so a message is never split or spoofed by one.
pub fn shown_path(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars().any(char::is_control) {
        s.chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect()
    } else {
        s
    }
}

fn clamp_span(source: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
    start..end
}

/// The largest char boundary at or below `i`.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offsets where the lines of `text` start.
fn line_starts(text: &str) -> Arc<[usize]> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Most problems shown in full; the rest are counted.
pub const MAX_SHOWN: usize = 200;

/// Every problem found in one or more scenario files.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.0.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", d.render())?;
        }
        if self.0.len() > MAX_SHOWN {
            write!(
                f,
                "\n... and {} more problems, not shown (fix these first)",
                self.0.len() - MAX_SHOWN
            )?;
        }
        let files: std::collections::BTreeSet<&Path> =
            self.0.iter().map(|d| d.file.as_path()).collect();
        let n = self.0.len();
        write!(
            f,
            "\n{n} problem{} in {} file{}",
            if n == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        )
    }
}

/// Collects diagnostics for one file.
#[derive(Debug)]
pub struct Collector {
    file: PathBuf,
    source: Arc<str>,
    line_starts: Arc<[usize]>,
    /// Problems found so far.
    pub items: Vec<Diagnostic>,
    /// (span, field, message) of the problems recorded, to record each
    /// once in constant time.
    seen: std::collections::HashSet<(Option<Range<usize>>, Option<String>, String)>,
}

impl Collector {
    /// A collector for `file` whose text is `source`.
    pub fn new(file: &Path, source: &str) -> Self {
        Collector {
            file: file.to_path_buf(),
            source: Arc::from(source),
            line_starts: line_starts(source),
            items: Vec::new(),
            seen: std::collections::HashSet::new(),
        }
    }

    /// Records a problem. Identical problems (same place, field and message)
    /// are recorded once, which matters when the same check fails at many
    /// sweep points.
    pub fn push(
        &mut self,
        span: Option<Range<usize>>,
        field: Option<&str>,
        message: String,
        help: Option<String>,
    ) {
        let key = (span.clone(), field.map(str::to_string), message.clone());
        if self.seen.insert(key) {
            self.items.push(Diagnostic {
                file: self.file.clone(),
                source: self.source.clone(),
                line_starts: self.line_starts.clone(),
                span,
                field: field.map(str::to_string),
                message,
                help,
            });
        }
    }

    /// Records "expected X, found Y".
    pub fn expected(
        &mut self,
        span: Option<Range<usize>>,
        field: &str,
        expected: &str,
        found: &str,
    ) {
        self.push(
            span,
            Some(field),
            format!("expected {expected}, found {found}"),
            None,
        );
    }

    /// Whether problems were found.
    pub fn has_errors(&self) -> bool {
        !self.items.is_empty()
    }
}
