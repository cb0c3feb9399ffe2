//! Turns CSV bytes, pushed in chunks of any size, into complete rows of text fields.
//!
//! Parsing is `csv-core`'s (quoting, doubled quotes, line breaks inside quoted fields, CR, LF and CRLF line ends);
//! this module keeps the unfinished row between chunks, drops a byte order mark, decodes each finished row as UTF-8
//! and numbers rows as a person counts them in a spreadsheet: the header is row 1. Lines that are entirely empty
//! are skipped by the parser and not counted.

use csv_core::{ReadRecordResult, Reader};

use super::bom::BomSkipper;

/// Longest row accepted, in bytes. A HubSpot export with every property of a contact stays far below this; a
/// longer row is almost surely an unbalanced quote swallowing the rest of the file, which should fail fast.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// Most fields accepted in one row. HubSpot portals reach several hundred contact properties; this leaves room.
pub const MAX_FIELDS: usize = 4096;

/// Starting size of the field buffer; it doubles up to [`MAX_ROW_BYTES`] as rows need.
const FIRST_BUFFER_BYTES: usize = 4096;

/// Starting size of the field-end buffer; it doubles up to [`MAX_FIELDS`].
const FIRST_ENDS: usize = 64;

/// One finished row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvRow {
    /// The row's fields, decoded.
    Fields {
        /// Row number, from 1 for the header.
        row: u64,
        /// The fields, as written (quotes removed, not trimmed).
        fields: Vec<String>,
    },
    /// A field is not valid UTF-8.
    NotUtf8 {
        /// Row number.
        row: u64,
        /// Position of the first bad field, from 0.
        field: usize,
    },
    /// The row is longer than [`MAX_ROW_BYTES`] or has more than [`MAX_FIELDS`] fields; its content was dropped.
    TooLong {
        /// Row number.
        row: u64,
    },
}

/// The CSV state carried from one chunk to the next.
pub struct CsvRows {
    reader: Reader,
    bom: BomSkipper,
    /// Field bytes of the row being read; `len` bytes are filled.
    buffer: Vec<u8>,
    len: usize,
    /// Field end offsets of the row being read; `ends_len` are filled.
    ends: Vec<usize>,
    ends_len: usize,
    /// Whether the row being read outgrew the limits (its bytes are being discarded).
    too_long: bool,
    /// Number of the last finished row.
    row: u64,
}

impl Default for CsvRows {
    fn default() -> Self {
        Self {
            reader: Reader::new(),
            bom: BomSkipper::default(),
            buffer: vec![0; FIRST_BUFFER_BYTES],
            len: 0,
            ends: vec![0; FIRST_ENDS],
            ends_len: 0,
            too_long: false,
            row: 0,
        }
    }
}

impl CsvRows {
    /// Reads `chunk` and appends the rows it finishes to `rows`.
    pub fn push(&mut self, chunk: &[u8], rows: &mut Vec<CsvRow>) {
        let mut bom = std::mem::take(&mut self.bom);
        bom.strip(chunk, |bytes| self.read(bytes, rows));
        self.bom = bom;
    }

    /// Ends the input and appends the last row, when it has no line break after it.
    pub fn finish(&mut self, rows: &mut Vec<CsvRow>) {
        let mut bom = std::mem::take(&mut self.bom);
        bom.finish(|bytes| self.read(bytes, rows));
        self.bom = bom;
        // An empty input tells the parser the data has ended; it then returns the last row, then `End`.
        self.read(&[], rows);
    }

    /// Feeds bytes to the parser; an empty `input` means the end of the data.
    fn read(&mut self, mut input: &[u8], rows: &mut Vec<CsvRow>) {
        let at_end = input.is_empty();
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                input,
                &mut self.buffer[self.len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !at_end {
                        return;
                    }
                }
                ReadRecordResult::OutputFull => self.grow_buffer(),
                ReadRecordResult::OutputEndsFull => self.grow_ends(),
                ReadRecordResult::Record => rows.push(self.take_row()),
                ReadRecordResult::End => return,
            }
        }
    }

    /// Makes room for more field bytes, or starts discarding the row once it passes the limit.
    fn grow_buffer(&mut self) {
        if self.buffer.len() < MAX_ROW_BYTES {
            let size = (self.buffer.len() * 2).min(MAX_ROW_BYTES);
            self.buffer.resize(size, 0);
        } else {
            // The parser's own offsets keep counting; only the bytes are dropped, and the row is reported as a
            // whole once it ends.
            self.too_long = true;
            self.len = 0;
        }
    }

    /// Makes room for more field ends, or starts discarding the row once it passes the limit.
    fn grow_ends(&mut self) {
        if self.ends.len() < MAX_FIELDS {
            let size = (self.ends.len() * 2).min(MAX_FIELDS);
            self.ends.resize(size, 0);
        } else {
            self.too_long = true;
            self.ends_len = 0;
        }
    }

    /// Decodes the finished row and resets the buffers for the next one.
    fn take_row(&mut self) -> CsvRow {
        self.row += 1;
        let row = self.row;
        let too_long = std::mem::replace(&mut self.too_long, false);
        let (len, ends_len) = (self.len, self.ends_len);
        self.len = 0;
        self.ends_len = 0;
        if too_long {
            return CsvRow::TooLong { row };
        }
        let mut fields = Vec::with_capacity(ends_len);
        let mut start = 0;
        for (position, &end) in self.ends[..ends_len].iter().enumerate() {
            let bytes = self.buffer.get(start..end.min(len)).unwrap_or_default();
            match std::str::from_utf8(bytes) {
                Ok(text) => fields.push(text.to_owned()),
                Err(_) => {
                    return CsvRow::NotUtf8 {
                        row,
                        field: position,
                    };
                }
            }
            start = end;
        }
        CsvRow::Fields { row, fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rows_of(chunks: &[&[u8]]) -> Vec<CsvRow> {
        let mut csv = CsvRows::default();
        let mut rows = Vec::new();
        for chunk in chunks {
            csv.push(chunk, &mut rows);
        }
        csv.finish(&mut rows);
        rows
    }

    fn fields(row: u64, fields: &[&str]) -> CsvRow {
        CsvRow::Fields {
            row,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    #[test]
    fn quoting_line_breaks_in_fields_and_a_missing_final_newline() {
        let input = "\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n\nlast,row";
        assert_eq!(
            rows_of(&[input.as_bytes()]),
            [
                fields(1, &["a", "b"]),
                fields(2, &["x, \"y\"", "two\nlines"]),
                fields(3, &["last", "row"]),
            ]
        );
    }

    #[test]
    fn invalid_utf8_names_the_field() {
        assert_eq!(
            rows_of(&[b"a,b\nok,\xff\n"]),
            [fields(1, &["a", "b"]), CsvRow::NotUtf8 { row: 2, field: 1 }]
        );
    }

    #[test]
    fn an_overlong_row_is_reported_and_the_next_row_still_reads() {
        let mut input = b"h\n\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES + 10));
        input.extend_from_slice(b"\"\nnext\n");
        assert_eq!(
            rows_of(&[&input]),
            [
                fields(1, &["h"]),
                CsvRow::TooLong { row: 2 },
                fields(3, &["next"])
            ]
        );
    }

    #[test]
    fn too_many_fields_is_reported() {
        let mut input = b"h\n".to_vec();
        input.extend(std::iter::repeat_n(b',', MAX_FIELDS + 1));
        input.extend_from_slice(b"\nnext\n");
        assert_eq!(
            rows_of(&[&input]),
            [
                fields(1, &["h"]),
                CsvRow::TooLong { row: 2 },
                fields(3, &["next"])
            ]
        );
    }

    proptest! {
        /// However the input is cut, the rows are the same as when it arrives whole.
        #[test]
        fn chunking_does_not_change_rows(cuts in proptest::collection::vec(0usize..60, 0..8)) {
            let input = "\u{feff}id,note\n1,\"é, \"\"ü\"\"\nnext\"\r\n2,日本\n3,\"\"\n".as_bytes();
            let whole = rows_of(&[input]);
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for point in points {
                chunks.push(&input[start..point]);
                start = point;
            }
            chunks.push(&input[start..]);
            prop_assert_eq!(rows_of(&chunks), whole);
        }
    }
}
