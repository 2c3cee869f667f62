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
    /// 1-based line and column of the span's start.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let span = self.span.as_ref()?;
        let start = span.start.min(self.source.len());
        let before = &self.source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.source[line_start..start].chars().count() + 1;
        Some((line, col))
    }

    /// `file:line:col` (or just `file` when the problem has no place).
    pub fn location(&self) -> String {
        match self.line_col() {
            Some((l, c)) => format!("{}:{l}:{c}", self.file.display()),
            None => self.file.display().to_string(),
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
            let span = clamp_span(&self.source, span.clone());
            group = group.element(
                Snippet::source(&*self.source)
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(span)),
            );
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        Renderer::plain().render(&[group])
    }
}

fn clamp_span(source: &str, span: Range<usize>) -> Range<usize> {
    let start = span.start.min(source.len());
    let end = span.end.clamp(start, source.len());
    start..end
}

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
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", d.render())?;
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
    /// Problems found so far.
    pub items: Vec<Diagnostic>,
}

impl Collector {
    /// A collector for `file` whose text is `source`.
    pub fn new(file: &Path, source: &str) -> Self {
        Collector {
            file: file.to_path_buf(),
            source: Arc::from(source),
            items: Vec::new(),
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
        let dup = self
            .items
            .iter()
            .any(|d| d.span == span && d.field.as_deref() == field && d.message == message);
        if !dup {
            self.items.push(Diagnostic {
                file: self.file.clone(),
                source: self.source.clone(),
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
