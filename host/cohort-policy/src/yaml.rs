//! Reads a policy file's YAML into a JSON value and records the line on which every node starts.
//!
//! The reader walks saphyr-parser's event stream itself instead of loading saphyr's `MarkedYaml` tree, for three
//! reasons: it records each object member on its *key's* line (where an author looks), it bounds nesting before
//! anything recursive sees the document, and it can refuse constructs that make a policy hard to audit.
//!
//! Choices, all deliberate:
//! - **Anchors and aliases are refused.** An auditor must be able to read each value where it applies; an alias
//!   would also make one line stand for many paths.
//! - **Duplicate keys are refused** (YAML 1.2 forbids them; silently keeping one would hide a change).
//! - **Tags other than the YAML core schema's (`!!str`, `!!int`, ...) are refused**, and keys must be text.
//! - Scalars resolve by the YAML 1.2 core schema (saphyr's rules): `yes` is text, `true` a boolean, `1e3` a number.
//! - Exactly one document per file.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::error::Diagnostic;
use crate::location::{self, LineMap};

/// Deepest nesting of sequences and mappings accepted. The policy format itself is at most five levels deep
/// (`/plugins/allow/0/purposes/0`); 32 leaves room for mistakes to reach the schema check, whose messages are
/// clearer, while keeping a hostile file of nested brackets from exhausting the stack of anything recursive
/// (serde, jsonschema, drop) further on.
pub const MAX_NESTING_DEPTH: usize = 32;

/// A policy document as JSON, with the line where each of its paths starts.
#[derive(Debug)]
pub(crate) struct YamlDocument {
    /// The document's content.
    pub(crate) value: Value,
    /// Line of each path in `value`.
    pub(crate) lines: LineMap,
}

/// Parses `text` as a single YAML document.
///
/// Returns every problem found before the first one that stops parsing (a syntax error stops it; a duplicate key
/// or an alias does not).
pub(crate) fn read(text: &str) -> Result<YamlDocument, Vec<Diagnostic>> {
    let mut builder = Builder::default();
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                if builder.on_event(event, span) == Flow::Stop {
                    break;
                }
            }
            Err(error) => {
                builder.diagnostics.push(Diagnostic::on_line(
                    "",
                    error.marker().line(),
                    format!("YAML syntax error: {}", error.info()),
                ));
                break;
            }
        }
    }
    builder.finish()
}

/// Whether the builder can go on after an event.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// A collection being built.
#[derive(Debug)]
enum Frame {
    Sequence {
        path: String,
        items: Vec<Value>,
    },
    Mapping {
        path: String,
        entries: Map<String, Value>,
        /// Line of each key seen so far, to name the first occurrence of a duplicate.
        key_lines: HashMap<String, usize>,
        /// The key whose value comes next, if a key has been read.
        pending: Option<PendingKey>,
    },
}

/// A mapping key waiting for its value.
#[derive(Debug)]
struct PendingKey {
    name: String,
    /// False when the key was refused (duplicate or not text): its value is read and dropped.
    keep: bool,
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    lines: LineMap,
    diagnostics: Vec<Diagnostic>,
    documents: usize,
}

impl Builder {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Flow {
        let line = span.start.line();
        let is_mapping = matches!(event, Event::MappingStart(..));
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {
                Flow::Continue
            }
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.diagnostics.push(Diagnostic::on_line(
                        "",
                        line,
                        "a policy file holds exactly one YAML document, but a second one starts here",
                    ));
                    return Flow::Stop;
                }
                Flow::Continue
            }
            Event::Alias(_) => {
                if self.expects_key() {
                    self.diagnostics.push(Diagnostic::on_line(
                        self.current_path(),
                        line,
                        "an alias cannot be a mapping key",
                    ));
                    return Flow::Stop;
                }
                let path = self.next_child_path();
                self.lines.record(&path, line);
                self.diagnostics.push(Diagnostic::on_line(
                    path,
                    line,
                    "YAML aliases (`*name`) are not supported: write the value out so that it can be read where it \
                     applies",
                ));
                self.insert(Value::Null);
                Flow::Continue
            }
            Event::Scalar(text, style, anchor, tag) => {
                if self.expects_key() {
                    self.on_key(&text, style, anchor, tag.as_ref(), line);
                } else {
                    let path = self.next_child_path();
                    self.lines.record(&path, line);
                    self.check_anchor(&path, anchor, line);
                    let value = self.resolve_scalar(&path, text, style, tag.as_ref(), line);
                    self.insert(value);
                }
                Flow::Continue
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if self.expects_key() {
                    self.diagnostics.push(Diagnostic::on_line(
                        self.current_path(),
                        line,
                        "mapping keys must be plain text, not sequences or mappings",
                    ));
                    return Flow::Stop;
                }
                let path = self.next_child_path();
                self.lines.record(&path, line);
                self.check_anchor(&path, anchor, line);
                if let Some(tag) = tag.as_ref().filter(|tag| !tag.is_yaml_core_schema()) {
                    self.refuse_tag(&path, tag, line);
                }
                if self.stack.len() >= MAX_NESTING_DEPTH {
                    self.diagnostics.push(Diagnostic::on_line(
                        path,
                        line,
                        format!("nesting deeper than {MAX_NESTING_DEPTH} levels is not a policy"),
                    ));
                    return Flow::Stop;
                }
                self.stack.push(if is_mapping {
                    Frame::Mapping {
                        path,
                        entries: Map::new(),
                        key_lines: HashMap::new(),
                        pending: None,
                    }
                } else {
                    Frame::Sequence {
                        path,
                        items: Vec::new(),
                    }
                });
                Flow::Continue
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Sequence { items, .. }) => Value::Array(items),
                    Some(Frame::Mapping { entries, .. }) => Value::Object(entries),
                    // The parser only emits an end after its start; an unbalanced stream has nothing to close.
                    None => return Flow::Continue,
                };
                self.insert(value);
                Flow::Continue
            }
        }
    }

    /// Turns the parse into a document, or the problems found.
    fn finish(self) -> Result<YamlDocument, Vec<Diagnostic>> {
        if !self.diagnostics.is_empty() {
            return Err(self.diagnostics);
        }
        match self.root {
            Some(value) if !value.is_null() => Ok(YamlDocument {
                value,
                lines: self.lines,
            }),
            _ => Err(vec![Diagnostic::on_line(
                "",
                1,
                "the policy file is empty; it must be a YAML mapping starting with `policy:`",
            )]),
        }
    }

    /// True when the next node is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Mapping { pending: None, .. })
        )
    }

    /// Path of the innermost open collection.
    fn current_path(&self) -> String {
        match self.stack.last() {
            Some(Frame::Sequence { path, .. } | Frame::Mapping { path, .. }) => path.clone(),
            None => String::new(),
        }
    }

    /// Path the next value will have.
    fn next_child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Sequence { path, items }) => location::index(path, items.len()),
            Some(Frame::Mapping { path, pending, .. }) => match pending {
                Some(key) => location::child(path, &key.name),
                None => path.clone(),
            },
        }
    }

    /// Places a finished value into the innermost collection, or makes it the document.
    fn insert(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Sequence { items, .. }) => items.push(value),
            Some(Frame::Mapping {
                entries, pending, ..
            }) => {
                if let Some(key) = pending.take()
                    && key.keep
                {
                    entries.insert(key.name, value);
                }
            }
        }
    }

    fn on_key(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Cow<'_, Tag>>,
        line: usize,
    ) {
        let parent = self.current_path();
        let resolved = Scalar::parse_from_cow_and_metadata(Cow::Borrowed(text), style, tag);
        let (name, mut keep) = match resolved {
            Some(Scalar::String(name)) => (name.into_owned(), true),
            _ => {
                self.diagnostics.push(Diagnostic::on_line(
                    parent.clone(),
                    line,
                    format!("mapping key `{text}` is not text; quote it if it is meant as a name"),
                ));
                (text.to_owned(), false)
            }
        };
        let path = location::child(&parent, &name);
        self.check_anchor(&path, anchor, line);
        if let Some(tag) = tag.filter(|tag| !tag.is_yaml_core_schema()) {
            self.refuse_tag(&path, tag, line);
        }
        if let Some(Frame::Mapping {
            key_lines, pending, ..
        }) = self.stack.last_mut()
        {
            if keep {
                if let Some(first) = key_lines.get(&name) {
                    self.diagnostics.push(Diagnostic::on_line(
                        path.clone(),
                        line,
                        format!("duplicate key `{name}`; it is already set on line {first}"),
                    ));
                    keep = false;
                } else {
                    key_lines.insert(name.clone(), line);
                    self.lines.record(&path, line);
                }
            }
            *pending = Some(PendingKey { name, keep });
        }
    }

    fn resolve_scalar(
        &mut self,
        path: &str,
        text: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&Cow<'_, Tag>>,
        line: usize,
    ) -> Value {
        if let Some(tag) = tag.filter(|tag| !tag.is_yaml_core_schema()) {
            self.refuse_tag(path, tag, line);
        }
        let shown = text.clone().into_owned();
        match Scalar::parse_from_cow_and_metadata(text, style, tag) {
            Some(Scalar::Null) => Value::Null,
            Some(Scalar::Boolean(b)) => Value::Bool(b),
            Some(Scalar::Integer(i)) => Value::from(i),
            Some(Scalar::FloatingPoint(f)) => match Number::from_f64(f.0) {
                Some(number) => Value::Number(number),
                None => {
                    self.diagnostics.push(Diagnostic::on_line(
                        path,
                        line,
                        format!("`{shown}` is not a finite number"),
                    ));
                    Value::Null
                }
            },
            Some(Scalar::String(s)) => Value::String(s.into_owned()),
            None => {
                self.diagnostics.push(Diagnostic::on_line(
                    path,
                    line,
                    format!("`{shown}` does not match its YAML tag"),
                ));
                Value::Null
            }
        }
    }

    fn check_anchor(&mut self, path: &str, anchor: usize, line: usize) {
        // saphyr-parser numbers anchors from 1; 0 means the node has none.
        if anchor != 0 {
            self.diagnostics.push(Diagnostic::on_line(
                path,
                line,
                "YAML anchors (`&name`) are not supported: write each value out where it applies",
            ));
        }
    }

    fn refuse_tag(&mut self, path: &str, tag: &Tag, line: usize) {
        self.diagnostics.push(Diagnostic::on_line(
            path,
            line,
            format!("YAML tag `{tag}` is not supported in a policy"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines_of(text: &str, paths: &[&str]) -> Vec<Option<usize>> {
        let doc = read(text).unwrap();
        paths.iter().map(|p| doc.lines.line_of(p)).collect()
    }

    #[test]
    fn converts_block_and_flow_yaml_to_json() {
        let doc = read(
            "policy: acme\nversion: 3\nratio: 0.5\nflag: true\nnothing: ~\nlist: [a, 'b', 1]\nmap:\n  k: v\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"policy": "acme", "version": 3, "ratio": 0.5, "flag": true, "nothing": null,
                   "list": ["a", "b", 1], "map": {"k": "v"}})
        );
    }

    #[test]
    fn records_key_lines_and_item_lines() {
        let text = "policy: acme\npurposes:\n  - id: a\n    legal_basis: consent\n  - id: b\n    \
                    attributes:\n      - country\n      - city\nretention: { events_days: 1 }\n";
        assert_eq!(
            lines_of(
                text,
                &[
                    "",
                    "/policy",
                    "/purposes",
                    "/purposes/0",
                    "/purposes/0/legal_basis",
                    "/purposes/1",
                    "/purposes/1/attributes",
                    "/purposes/1/attributes/1",
                    "/retention/events_days",
                    "/retention/missing",
                ]
            ),
            [1, 1, 2, 3, 4, 5, 6, 8, 9, 9].map(Some).to_vec()
        );
    }

    #[test]
    fn windows_line_endings_and_a_byte_order_mark_are_accepted() {
        let doc = read("\u{feff}policy: a\r\nlist:\r\n  - x\r\n  - y\r\n").unwrap();
        assert_eq!(doc.value, json!({"policy": "a", "list": ["x", "y"]}));
        assert_eq!(doc.lines.line_of("/list/1"), Some(4));
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_lines() {
        let errors = read("policy: a\nversion: 1\npolicy: b\n").unwrap_err();
        assert_eq!(
            errors,
            vec![Diagnostic::on_line(
                "/policy",
                3,
                "duplicate key `policy`; it is already set on line 1"
            )]
        );
    }

    #[test]
    fn anchors_and_aliases_are_refused() {
        let errors = read("a: &x [1]\nb: *x\n").unwrap_err();
        let located: Vec<_> = errors.iter().map(|d| (d.path.as_str(), d.line)).collect();
        assert_eq!(located, [("/a", Some(1)), ("/b", Some(2))]);
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let errors = read("policy: a\nversion: [1, 2\nother: x\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.starts_with("YAML syntax error"),
            "{errors:?}"
        );
        assert!(errors[0].line.is_some());
    }

    #[test]
    fn non_text_keys_custom_tags_and_non_finite_numbers_are_refused() {
        let errors = read("1: a\nb: !custom x\nc: .nan\n").unwrap_err();
        let located: Vec<_> = errors.iter().map(|d| (d.path.as_str(), d.line)).collect();
        assert_eq!(located, [("", Some(1)), ("/b", Some(2)), ("/c", Some(3))]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // saphyr-parser itself stops flow nesting at a few hundred levels; the builder stops far earlier.
        let text = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let errors = read(&text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("nesting deeper than 32"),
            "{errors:?}"
        );
        let block: String = (0..40)
            .map(|depth| format!("{}k{depth}:\n", "  ".repeat(depth)))
            .collect();
        let errors = read(&format!("{block}{}v: 1\n", "  ".repeat(40))).unwrap_err();
        assert_eq!(errors[0].line, Some(33), "{errors:?}");
        let within = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH),
            "]".repeat(MAX_NESTING_DEPTH)
        );
        assert!(read(&within).is_ok());
    }

    #[test]
    fn empty_files_and_second_documents_are_refused() {
        assert_eq!(read("").unwrap_err()[0].line, Some(1));
        assert_eq!(read("# only a comment\n").unwrap_err().len(), 1);
        let errors = read("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(errors[0].line, Some(2));
    }
}
