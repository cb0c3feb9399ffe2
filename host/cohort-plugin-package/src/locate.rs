//! TOML key paths (`plugin.id`, `segments[1].id`) and the lines they are on.
//!
//! Problems are found on the typed manifest, which has no positions; this module keeps a spanned parse of the same
//! text so that a key path can be turned into a line, and a parser error's byte offset into a key path.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A path to a value in a TOML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(Vec<Step>);

impl KeyPath {
    /// The document itself.
    pub(crate) fn root() -> Self {
        Self::default()
    }

    /// The value under `key` of the table at this path.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        Self(steps)
    }

    /// Item `index` of the array at this path.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        Self(steps)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => write!(f, "{key}")?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A spanned parse of manifest text, for locating keys.
pub(crate) struct Located<'a> {
    text: &'a str,
    doc: Spanned<DeTable<'a>>,
}

impl<'a> Located<'a> {
    /// Parses `text`; the error is the TOML syntax error.
    pub(crate) fn parse(text: &'a str) -> Result<Self, toml::de::Error> {
        Ok(Self {
            text,
            doc: DeTable::parse(text)?,
        })
    }

    /// The line of the key at `path` (or of the array item). When that key is absent (a required key that is
    /// missing), the line of its closest present ancestor; `None` when no part of the path is present.
    pub(crate) fn line_of(&self, path: &KeyPath) -> Option<usize> {
        let mut table = Some(self.doc.get_ref());
        let mut value: Option<&Spanned<DeValue<'a>>> = None;
        let mut start = None;
        for step in &path.0 {
            let found = match step {
                Step::Key(key) => {
                    let current = match value {
                        Some(v) => v.get_ref().as_table(),
                        None => table.take(),
                    };
                    current
                        .and_then(|t| t.get_key_value(key.as_str()))
                        .map(|(k, v)| (k.span().start, v))
                }
                Step::Index(index) => value
                    .and_then(|v| v.get_ref().as_array())
                    .and_then(|items| items.get(*index))
                    .map(|item| (item.span().start, item)),
            };
            let Some((offset, next)) = found else {
                break;
            };
            start = Some(offset);
            value = Some(next);
        }
        start.map(|offset| line_at(self.text, offset))
    }

    /// The string at a path of table keys, when there is one.
    pub(crate) fn string_at(&self, keys: &[&str]) -> Option<&str> {
        let (last, tables) = keys.split_last()?;
        let mut table = self.doc.get_ref();
        for key in tables {
            table = table.get(*key)?.get_ref().as_table()?;
        }
        table.get(*last)?.get_ref().as_str()
    }

    /// The path of the innermost key or array item whose text contains byte `offset`.
    ///
    /// A table opened by a header spans only its header, not the keys under it, so every node is searched rather
    /// than only those whose span contains the offset.
    pub(crate) fn path_at(&self, offset: usize) -> KeyPath {
        search_table(self.doc.get_ref(), &KeyPath::root(), offset).unwrap_or_default()
    }
}

/// The deepest path under `table` whose key or value text contains `offset`.
fn search_table(table: &DeTable<'_>, at: &KeyPath, offset: usize) -> Option<KeyPath> {
    table.iter().find_map(|(key, value)| {
        let path = at.key(key.get_ref());
        search_value(value.get_ref(), &path, offset).or_else(|| {
            (contains(key.span(), offset) || contains(value.span(), offset)).then_some(path)
        })
    })
}

/// The deepest path under `value` whose text contains `offset`; `None` for a scalar.
fn search_value(value: &DeValue<'_>, at: &KeyPath, offset: usize) -> Option<KeyPath> {
    match value {
        DeValue::Table(table) => search_table(table, at, offset),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let path = at.index(i);
            search_value(item.get_ref(), &path, offset)
                .or_else(|| contains(item.span(), offset).then_some(path))
        }),
        _ => None,
    }
}

fn contains(span: std::ops::Range<usize>, offset: usize) -> bool {
    span.contains(&offset)
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[plugin]\nid = \"rfm\"\n\n[[segments]]\nid = \"a\"\n\n[[segments]]\nid = \"b\"\n\n[data]\npurposes = [\"x\", \"y\"]\n";

    #[test]
    fn paths_print_as_toml_keys() {
        let path = KeyPath::root().key("segments").index(1).key("id");
        assert_eq!(path.to_string(), "segments[1].id");
        assert_eq!(KeyPath::root().to_string(), "");
    }

    #[test]
    fn lines_of_keys_and_items() {
        let located = Located::parse(TEXT).unwrap();
        let line = |p: KeyPath| located.line_of(&p);
        assert_eq!(line(KeyPath::root().key("plugin").key("id")), Some(2));
        assert_eq!(
            line(KeyPath::root().key("segments").index(1).key("id")),
            Some(8)
        );
        assert_eq!(
            line(KeyPath::root().key("data").key("purposes").index(1)),
            Some(11)
        );
        assert_eq!(line(KeyPath::root().key("output")), None);
        // A missing key is placed on its closest present ancestor.
        assert_eq!(
            line(KeyPath::root().key("data").key("attributes")),
            Some(10)
        );
    }

    #[test]
    fn offsets_map_back_to_paths() {
        let located = Located::parse(TEXT).unwrap();
        let offset = TEXT.find("\"b\"").unwrap();
        assert_eq!(located.path_at(offset).to_string(), "segments[1].id");
        let offset = TEXT.find("\"y\"").unwrap();
        assert_eq!(located.path_at(offset).to_string(), "data.purposes[1]");
    }
}
