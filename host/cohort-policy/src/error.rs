//! The crate's error type and the diagnostics a policy author or auditor reads.
//!
//! Every problem found in a policy file becomes a [`Diagnostic`] that names the JSON-pointer-like path of the field
//! and, where the file has it, the 1-based line. [`PolicyError::Invalid`] carries all of them, sorted by line, so
//! that one `cohort policy check` run shows everything to fix.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while loading a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The policy file could not be read.
    #[error("cannot read policy file {}: {source}", .path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The policy file was read but is not a valid policy; every problem found is listed.
    #[error("{}", render_all(.source_name, .diagnostics))]
    Invalid {
        /// The name the file was loaded under (its path, or the name given to [`crate::parse_policy`]).
        source_name: String,
        /// The problems, sorted by line.
        diagnostics: Vec<Diagnostic>,
    },
}

impl PolicyError {
    /// The diagnostics of an invalid policy; empty for an I/O error.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Io { .. } => &[],
            Self::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

/// One problem in a policy file, located by path and line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// JSON-pointer-like path of the field, e.g. `/purposes/1/legal_basis`; empty for the whole document.
    pub path: String,
    /// 1-based line in the file, when the problem can be placed on one.
    pub line: Option<usize>,
    /// What is wrong, in words a policy author can act on.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic whose line is filled in later from the document's line map.
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// A diagnostic placed on a known line.
    pub(crate) fn on_line(
        path: impl Into<String>,
        line: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            line: Some(line),
            message: message.into(),
        }
    }

    /// The diagnostic as one line of `cohort policy check` output: `file:line: path: message`.
    ///
    /// The line is left out when unknown and the path when it is the whole document.
    pub fn render(&self, source_name: &str) -> String {
        let mut out = String::from(source_name);
        if let Some(line) = self.line {
            out.push(':');
            out.push_str(&line.to_string());
        }
        out.push_str(": ");
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Sorts diagnostics by line, those without a line last; ties keep the order in which the checks found them.
pub(crate) fn sort_by_line(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
}

fn render_all(source_name: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(source_name))
        .collect::<Vec<_>>()
        .join("\n")
}
