//! Splits JSON text, pushed in chunks of any size, into the values a connector converts one at a time.
//!
//! Three layouts are recognised, so that no input forces the whole file into memory:
//!
//! - **JSON Lines**: one value per line. Each non-blank line is one item, numbered by its line.
//! - **A JSON array** (`[{…}, {…}]`, minified or pretty-printed): each element is one item, numbered from 1.
//! - **A wrapper object** whose member `stream_key` is an array (Typeform's `{"total_items": …, "items": […]}`):
//!   each element of that array is one item; the other members are skipped. Several wrappers may follow each
//!   other (one page per line); their elements are numbered from 1 across the whole input, so a number names
//!   one element of the file. An object without that member is one item of its own.
//!
//! A plain value (not an array or wrapper) that ends on the first line of the input makes the rest of it read as
//! JSON Lines, where a broken line spoils only itself; otherwise the scanner follows the nesting of brackets
//! (outside strings) to find where each value ends, so pretty-printed documents work too. Items longer than the connector's limit are reported, not
//! kept. A byte order mark at the start is dropped. The items' bytes are not validated here: `serde_json` does that
//! when the connector parses them.

use super::bom::BomSkipper;

/// How an item's number counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The line the item starts on, from 1 (JSON Lines and values at the top level).
    Line,
    /// The item's position in its array, from 1.
    Element,
}

impl Place {
    /// How to name the item in a message: `line 4` or `item 4`.
    pub fn name(self) -> &'static str {
        match self {
            Place::Line => "line",
            Place::Element => "item",
        }
    }
}

/// One item, or a problem where an item should have been.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonItem {
    /// The bytes of one value (not yet validated).
    Value {
        /// Line or position, as `place` says.
        row: u64,
        /// How `row` counts.
        place: Place,
        /// The value's text.
        bytes: Vec<u8>,
    },
    /// The value is longer than the limit; its bytes were dropped.
    TooLarge {
        /// Line or position.
        row: u64,
        /// How `row` counts.
        place: Place,
    },
    /// The input ended inside a value or an array.
    Truncated {
        /// Line or position where the unfinished value started.
        row: u64,
        /// How `row` counts.
        place: Place,
    },
}

/// The value being collected.
#[derive(Debug)]
struct Current {
    row: u64,
    place: Place,
    bytes: Vec<u8>,
    too_large: bool,
    /// A value that is not an object, array or string (a number, a literal, or garbage): it runs to the next
    /// separator and its bytes are kept without interpretation.
    bare: bool,
    /// Depth the value started at: it ends when the depth comes back to it.
    depth: u32,
}

/// Where the member keys of a top-level object are, for finding `stream_key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyState {
    /// Not inside a top-level object, or past the point where keys matter.
    Idle,
    /// The next string at depth 1 is a key.
    ExpectKey,
    /// Reading a key at depth 1.
    InKey,
    /// After a key: `matched` says whether it was `stream_key`.
    AfterKey { matched: bool },
    /// In the value of a member that is not streamed; a `,` at depth 1 makes the next string a key again.
    InValue,
    /// After the `:` of the matched key: a `[` starts the streamed array.
    AwaitStream,
}

/// The splitter's state carried from one chunk to the next.
pub struct JsonItems {
    max_bytes: usize,
    stream_key: Option<&'static [u8]>,
    bom: BomSkipper,
    /// Current line, from 1.
    line: u64,
    /// Whether the input switched to JSON Lines (after a first value that ended on line 1).
    lines_mode: bool,
    /// Whether the first top-level value has ended.
    first_done: bool,
    /// Open brackets (outside strings) in the structure being scanned.
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Depth at which items start: 0 at the top level, 1 inside a top-level array, 2 inside a streamed member;
    /// `None` while skipping the rest of a wrapper object after its streamed array.
    item_depth: Option<u32>,
    /// Where an open top-level array or wrapper started, to report it when the input ends inside it.
    container: Option<(u64, Place)>,
    /// Array elements started so far, in the whole input.
    ordinal: u64,
    key: KeyState,
    key_bytes: Vec<u8>,
    current: Option<Current>,
}

impl JsonItems {
    /// A splitter that reports items longer than `max_bytes`, and streams the elements of member `stream_key` of
    /// a top-level object when one is given.
    pub fn new(max_bytes: usize, stream_key: Option<&'static str>) -> Self {
        Self {
            max_bytes,
            stream_key: stream_key.map(str::as_bytes),
            bom: BomSkipper::default(),
            line: 1,
            lines_mode: false,
            first_done: false,
            depth: 0,
            in_string: false,
            escape: false,
            item_depth: Some(0),
            container: None,
            ordinal: 0,
            key: KeyState::Idle,
            key_bytes: Vec::new(),
            current: None,
        }
    }

    /// Scans `chunk` and appends the items it finishes to `items`.
    pub fn push(&mut self, chunk: &[u8], items: &mut Vec<JsonItem>) {
        let mut bom = std::mem::take(&mut self.bom);
        bom.strip(chunk, |bytes| {
            for &byte in bytes {
                self.byte(byte, items);
            }
        });
        self.bom = bom;
    }

    /// Ends the input: a last line without a line break is an item; a value or array left open is reported.
    pub fn finish(&mut self, items: &mut Vec<JsonItem>) {
        let mut bom = std::mem::take(&mut self.bom);
        bom.finish(|bytes| {
            for &byte in bytes {
                self.byte(byte, items);
            }
        });
        self.bom = bom;
        if let Some(current) = self.current.take() {
            if current.bare || self.lines_mode {
                self.emit(current, items);
            } else {
                items.push(JsonItem::Truncated {
                    row: current.row,
                    place: current.place,
                });
            }
        } else if let Some((row, place)) = self.container.take() {
            items.push(JsonItem::Truncated { row, place });
        }
    }

    fn byte(&mut self, byte: u8, items: &mut Vec<JsonItem>) {
        if self.lines_mode {
            self.line_byte(byte, items);
        } else {
            self.scan_byte(byte, items);
        }
        if byte == b'\n' {
            self.line += 1;
        }
    }

    /// JSON Lines: everything up to a line break is one item; blank lines are skipped.
    fn line_byte(&mut self, byte: u8, items: &mut Vec<JsonItem>) {
        if byte == b'\n' {
            if let Some(current) = self.current.take() {
                self.emit(current, items);
            }
            return;
        }
        if self.current.is_none() {
            if byte.is_ascii_whitespace() {
                return;
            }
            self.current = Some(Current {
                row: self.line,
                place: Place::Line,
                bytes: Vec::new(),
                too_large: false,
                bare: true,
                depth: 0,
            });
        }
        self.collect(byte);
    }

    /// Bracket scanning for arrays, wrapper objects and pretty-printed values.
    fn scan_byte(&mut self, byte: u8, items: &mut Vec<JsonItem>) {
        if let Some(current) = &self.current
            && current.bare
        {
            let ends = if current.depth == 0 {
                byte == b'\n'
            } else {
                matches!(byte, b',' | b']' | b'}')
            };
            if !ends {
                self.collect(byte);
                return;
            }
            if let Some(done) = self.current.take() {
                let top = done.depth == 0;
                self.emit(done, items);
                if top {
                    self.after_top_value(true);
                }
            }
            if byte == b'\n' {
                return;
            }
        }

        if self.in_string {
            self.collect(byte);
            if self.key == KeyState::InKey && !self.escape && byte != b'"' {
                self.key_bytes.push(byte);
            }
            if self.escape {
                self.escape = false;
            } else if byte == b'\\' {
                self.escape = true;
            } else if byte == b'"' {
                self.in_string = false;
                if self.key == KeyState::InKey {
                    let matched = self.stream_key == Some(self.key_bytes.as_slice());
                    self.key = KeyState::AfterKey { matched };
                }
                self.complete_if_ended(items);
            }
            return;
        }

        match byte {
            b'"' => {
                self.start_value(false);
                if self.depth == 1 {
                    match self.key {
                        KeyState::ExpectKey => {
                            self.key = KeyState::InKey;
                            self.key_bytes.clear();
                        }
                        KeyState::AwaitStream => self.key = KeyState::InValue,
                        _ => {}
                    }
                }
                self.collect(byte);
                self.in_string = true;
            }
            b'{' | b'[' => {
                if self.depth == 0 && byte == b'[' && self.current.is_none() {
                    // A top-level array holds the items; it is not an item itself.
                    self.container = Some((self.line, Place::Line));
                    self.item_depth = Some(1);
                    self.depth = 1;
                    return;
                }
                if self.depth == 1 && self.key == KeyState::AwaitStream && byte == b'[' {
                    // The wrapper's streamed array: drop the wrapper collected so far and read its elements.
                    self.current = None;
                    self.key = KeyState::Idle;
                    self.item_depth = Some(2);
                    self.depth = 2;
                    return;
                }
                if self.depth == 1 && self.key == KeyState::AwaitStream {
                    self.key = KeyState::InValue;
                }
                let top_object = self.depth == 0 && byte == b'{' && self.current.is_none();
                self.start_value(false);
                self.collect(byte);
                self.depth += 1;
                if top_object && self.stream_key.is_some() {
                    self.key = KeyState::ExpectKey;
                    self.container = Some((self.line, Place::Line));
                }
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    // A closing bracket with nothing open: garbage, reported with the rest of its line.
                    self.start_value(true);
                    self.collect(byte);
                    return;
                }
                self.collect(byte);
                self.depth -= 1;
                if self.item_depth == Some(self.depth + 1) && self.current.is_none() {
                    // The array holding the items closed.
                    self.item_depth = if self.depth == 0 { Some(0) } else { None };
                    if self.depth == 0 {
                        self.container = None;
                        self.after_top_value(false);
                    }
                    return;
                }
                if self.depth == 0 && self.item_depth.is_none() {
                    // The end of a wrapper object whose array was streamed.
                    self.item_depth = Some(0);
                    self.container = None;
                    self.key = KeyState::Idle;
                    self.after_top_value(false);
                    return;
                }
                self.complete_if_ended(items);
            }
            b',' => {
                self.collect(byte);
                if self.depth == 1 && self.key != KeyState::Idle {
                    self.key = KeyState::ExpectKey;
                }
            }
            b':' => {
                self.collect(byte);
                if self.depth == 1
                    && let KeyState::AfterKey { matched } = self.key
                {
                    self.key = if matched {
                        KeyState::AwaitStream
                    } else {
                        KeyState::InValue
                    };
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => self.collect(byte),
            _ => {
                if self.depth == 1 && self.key == KeyState::AwaitStream {
                    self.key = KeyState::InValue;
                }
                if self.current.is_some() {
                    self.collect(byte);
                } else {
                    self.start_value(true);
                    self.collect(byte);
                }
            }
        }
    }

    /// Starts an item when a value begins where items live and none is being collected.
    fn start_value(&mut self, bare: bool) {
        if self.current.is_some() || self.item_depth != Some(self.depth) {
            return;
        }
        let (row, place) = if self.depth == 0 {
            (self.line, Place::Line)
        } else {
            self.ordinal += 1;
            (self.ordinal, Place::Element)
        };
        self.current = Some(Current {
            row,
            place,
            bytes: Vec::new(),
            too_large: false,
            bare,
            depth: self.depth,
        });
    }

    /// Adds a byte to the item being collected, up to the limit.
    fn collect(&mut self, byte: u8) {
        if let Some(current) = &mut self.current
            && !current.too_large
        {
            if current.bytes.len() < self.max_bytes {
                current.bytes.push(byte);
            } else {
                current.too_large = true;
                current.bytes = Vec::new();
            }
        }
    }

    /// Finishes the current item when the bracket or quote just read closed it.
    fn complete_if_ended(&mut self, items: &mut Vec<JsonItem>) {
        let ended = matches!(&self.current, Some(c) if !c.bare && c.depth == self.depth);
        if ended && let Some(current) = self.current.take() {
            let top = current.depth == 0;
            self.emit(current, items);
            if top {
                self.key = KeyState::Idle;
                self.container = None;
                self.after_top_value(true);
            }
        }
    }

    /// After a top-level value: a `plain` one (not an array or a streamed wrapper) that ended on the first line
    /// makes the rest of the input JSON Lines.
    fn after_top_value(&mut self, plain: bool) {
        if !self.first_done {
            self.first_done = true;
            self.lines_mode = plain && self.line == 1;
        }
    }

    fn emit(&self, current: Current, items: &mut Vec<JsonItem>) {
        let Current {
            row,
            place,
            bytes,
            too_large,
            ..
        } = current;
        if too_large {
            items.push(JsonItem::TooLarge { row, place });
        } else if !bytes.iter().all(u8::is_ascii_whitespace) {
            items.push(JsonItem::Value { row, place, bytes });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(input: &str, key: Option<&'static str>, max: usize, chunk: usize) -> Vec<JsonItem> {
        let mut splitter = JsonItems::new(max, key);
        let mut items = Vec::new();
        for piece in input.as_bytes().chunks(chunk.max(1)) {
            splitter.push(piece, &mut items);
        }
        splitter.finish(&mut items);
        items
    }

    fn value(row: u64, place: Place, text: &str) -> JsonItem {
        JsonItem::Value {
            row,
            place,
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn json_lines_are_items_numbered_by_line_and_a_broken_line_spoils_only_itself() {
        let input = "{\"a\":1}\n\n{\"b\": [1, 2\n{\"c\":\"}\"}\r\nnot json\n[1]";
        assert_eq!(
            split(input, None, 100, 64),
            [
                value(1, Place::Line, "{\"a\":1}"),
                value(3, Place::Line, "{\"b\": [1, 2"),
                value(4, Place::Line, "{\"c\":\"}\"}\r"),
                value(5, Place::Line, "not json"),
                value(6, Place::Line, "[1]"),
            ]
        );
    }

    #[test]
    fn array_elements_are_items_numbered_by_position() {
        let input =
            "\u{feff}[\n  {\"a\": [1, {\"x\": \"]\"}]},\n  {\"b\": \"\\\"\"}, oops ,\"s\"\n]\n";
        assert_eq!(
            split(input, None, 100, 1),
            [
                value(1, Place::Element, "{\"a\": [1, {\"x\": \"]\"}]}"),
                value(2, Place::Element, "{\"b\": \"\\\"\"}"),
                value(3, Place::Element, "oops "),
                value(4, Place::Element, "\"s\""),
            ]
        );
    }

    #[test]
    fn a_wrapper_streams_its_member_and_skips_the_rest() {
        let input = "{\"total_items\": 2, \"note\": \"items\", \"items\": [{\"id\": 1}, {\"id\": [2]}], \"page_count\": 1}";
        assert_eq!(
            split(input, Some("items"), 100, 3),
            [
                value(1, Place::Element, "{\"id\": 1}"),
                value(2, Place::Element, "{\"id\": [2]}"),
            ]
        );
    }

    #[test]
    fn pages_one_per_line_number_their_elements_across_the_input() {
        let input = "{\"items\": [{\"id\": 1}, {\"id\": 2}]}\n{\"items\": [{\"id\": 3}]}\n";
        assert_eq!(
            split(input, Some("items"), 100, 3),
            [
                value(1, Place::Element, "{\"id\": 1}"),
                value(2, Place::Element, "{\"id\": 2}"),
                value(3, Place::Element, "{\"id\": 3}"),
            ]
        );
    }

    #[test]
    fn an_object_without_the_member_is_an_item_and_later_lines_are_json_lines() {
        let input = "{\"response_id\": \"r1\", \"answers\": []}\n{\"response_id\": \"r2\"}\n";
        assert_eq!(
            split(input, Some("items"), 100, 5),
            [
                value(1, Place::Line, "{\"response_id\": \"r1\", \"answers\": []}"),
                value(2, Place::Line, "{\"response_id\": \"r2\"}"),
            ]
        );
    }

    #[test]
    fn a_pretty_printed_object_is_one_item() {
        let input = "{\n  \"batch\": [\n    {\"type\": \"track\"}\n  ]\n}\n";
        assert_eq!(
            split(input, None, 100, 2),
            [value(1, Place::Line, input.trim_end())]
        );
    }

    #[test]
    fn overlong_items_are_reported_and_the_next_item_still_reads() {
        let long = format!("[{{\"a\": \"{}\"}}, {{\"b\": 1}}]", "x".repeat(50));
        assert_eq!(
            split(&long, None, 20, 7),
            [
                JsonItem::TooLarge {
                    row: 1,
                    place: Place::Element
                },
                value(2, Place::Element, "{\"b\": 1}"),
            ]
        );
    }

    #[test]
    fn truncated_input_is_reported_where_the_value_started() {
        assert_eq!(
            split("[{\"a\": 1}, {\"b\":", None, 100, 4),
            [
                value(1, Place::Element, "{\"a\": 1}"),
                JsonItem::Truncated {
                    row: 2,
                    place: Place::Element
                }
            ]
        );
        assert_eq!(
            split("[{\"a\": 1}\n", None, 100, 4),
            [
                value(1, Place::Element, "{\"a\": 1}"),
                JsonItem::Truncated {
                    row: 1,
                    place: Place::Line
                }
            ]
        );
        assert_eq!(
            split("{\n\"a\": 1\n", None, 100, 4),
            [JsonItem::Truncated {
                row: 1,
                place: Place::Line
            }]
        );
    }

    #[test]
    fn stray_closing_brackets_do_not_underflow() {
        assert_eq!(
            split("}\n{\"a\":1}\n", None, 100, 1),
            [
                value(1, Place::Line, "}"),
                value(2, Place::Line, "{\"a\":1}")
            ]
        );
    }

    proptest! {
        /// However the input is cut, the items are the same as when it arrives whole.
        #[test]
        fn chunking_does_not_change_items(chunk in 1usize..40, max in 8usize..64) {
            for input in [
                "{\"a\":\"é\"}\n{\"b\":[1,2]}\n\nnot json\n",
                "[\n {\"a\": \"日本\"},\n {\"b\": {\"c\": [\"]\"]}}\n]",
                "{\"total_items\": 1, \"items\": [{\"x\": \"\\\"\"}, 3, \"s\"]}\n",
            ] {
                let whole = split(input, Some("items"), max, input.len());
                prop_assert_eq!(split(input, Some("items"), max, chunk), whole);
            }
        }
    }
}
