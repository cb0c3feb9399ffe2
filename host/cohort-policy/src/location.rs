//! Paths into a policy document and the lines they start on.
//!
//! Paths are JSON pointers (RFC 6901): `/purposes/1/legal_basis`, with `~` written `~0` and `/` written `~1`, so
//! that the paths jsonschema reports and the paths this crate builds are the same strings.

use std::collections::HashMap;

/// Appends one object key or array index to a JSON pointer.
pub(crate) fn child(parent: &str, segment: &str) -> String {
    let mut out = String::with_capacity(parent.len() + segment.len() + 1);
    out.push_str(parent);
    out.push('/');
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            other => out.push(other),
        }
    }
    out
}

/// Appends an array index to a JSON pointer.
pub(crate) fn index(parent: &str, index: usize) -> String {
    format!("{parent}/{index}")
}

/// Where each node of a parsed policy document starts: JSON pointer to 1-based line.
///
/// An object member is placed on its key's line (that is where an author looks for `legal_basis:`), an array item
/// on the line where the item starts.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineMap {
    lines: HashMap<String, usize>,
}

impl LineMap {
    /// Records the line of a path; the first record for a path wins.
    pub(crate) fn record(&mut self, path: &str, line: usize) {
        self.lines.entry(path.to_owned()).or_insert(line);
    }

    /// The line of `path`, or of its nearest ancestor that is in the document (for a missing field: the object
    /// that lacks it).
    pub(crate) fn line_of(&self, path: &str) -> Option<usize> {
        let mut current = path;
        loop {
            if let Some(line) = self.lines.get(current) {
                return Some(*line);
            }
            match current.rfind('/') {
                Some(cut) => current = &current[..cut],
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_escapes_tilde_and_slash() {
        assert_eq!(child("/attributes", "a/b~c"), "/attributes/a~1b~0c");
        assert_eq!(child("", "purposes"), "/purposes");
        assert_eq!(index("/purposes", 3), "/purposes/3");
    }

    #[test]
    fn missing_path_falls_back_to_nearest_ancestor() {
        let mut map = LineMap::default();
        map.record("", 1);
        map.record("/purposes", 4);
        map.record("/purposes/0", 5);
        assert_eq!(map.line_of("/purposes/0/legal_basis"), Some(5));
        assert_eq!(map.line_of("/retention"), Some(1));
        assert_eq!(map.line_of("/purposes"), Some(4));
    }
}
