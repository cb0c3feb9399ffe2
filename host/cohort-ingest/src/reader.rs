//! Reads a JSONL file line by line with hard limits: each line is bounded in size, must be UTF-8, and keeps its
//! 1-based line number for error messages. Blank lines are skipped.

use std::io::{BufRead, BufReader, Read};

/// The longest line accepted: 1 MiB. A canonical record with the schema's maxima (128 attributes of 1 KiB,
/// 1,000 small events) stays well below it; anything larger is refused rather than buffered without bound.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One line of input, or why it could not be read.
#[derive(Debug)]
pub enum Line {
    /// A UTF-8 line (without its newline).
    Text {
        /// 1-based line number.
        number: u64,
        /// The text.
        text: String,
    },
    /// A line longer than [`MAX_LINE_BYTES`].
    TooLong {
        /// 1-based line number.
        number: u64,
    },
    /// A line that is not valid UTF-8.
    NotUtf8 {
        /// 1-based line number.
        number: u64,
        /// Byte offset of the first invalid byte in the line.
        at_byte: usize,
    },
}

/// Iterates over the lines of a reader, enforcing the limits.
pub struct LineReader<R> {
    inner: BufReader<R>,
    number: u64,
    buf: Vec<u8>,
    /// Bytes consumed so far, for progress.
    pub bytes_read: u64,
}

impl<R: Read> LineReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        Self {
            inner: BufReader::with_capacity(256 * 1024, inner),
            number: 0,
            buf: Vec::with_capacity(4096),
            bytes_read: 0,
        }
    }

    /// The next non-blank line, `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            self.buf.clear();
            let (read, too_long) = self.read_bounded()?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            self.bytes_read += read as u64;
            if too_long {
                return Ok(Some(Line::TooLong {
                    number: self.number,
                }));
            }
            while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            // A UTF-8 byte-order mark at the start of the file is tolerated (Windows exports write one).
            let start = if self.number == 1 && self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                3
            } else {
                0
            };
            return Ok(Some(match std::str::from_utf8(&self.buf[start..]) {
                Ok(s) => Line::Text {
                    number: self.number,
                    text: s.to_string(),
                },
                Err(e) => Line::NotUtf8 {
                    number: self.number,
                    at_byte: e.valid_up_to() + start,
                },
            }));
        }
    }

    /// Reads up to and including the next newline into `buf`, keeping at most `MAX_LINE_BYTES` bytes of content.
    /// Returns the bytes consumed and whether the line was too long.
    fn read_bounded(&mut self) -> std::io::Result<(usize, bool)> {
        let mut consumed = 0;
        let mut content = 0;
        let mut too_long = false;
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                return Ok((consumed, too_long));
            }
            let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (&available[..=i], true),
                None => (available, false),
            };
            let n = chunk.len();
            // The newline does not count towards the limit; the bytes of an over-long line are not kept.
            content += n - usize::from(done);
            if content > MAX_LINE_BYTES {
                too_long = true;
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(chunk);
            }
            self.inner.consume(n);
            consumed += n;
            if done {
                return Ok((consumed, too_long));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Line> {
        let mut r = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(l);
        }
        out
    }

    #[test]
    fn numbers_lines_skips_blanks_and_tolerates_bom_and_crlf() {
        let out = lines(b"\xEF\xBB\xBF{\"a\":1}\r\n\n  \n{\"b\":2}");
        assert_eq!(out.len(), 2);
        assert!(matches!(&out[0], Line::Text { number: 1, text } if text == "{\"a\":1}"));
        assert!(matches!(&out[1], Line::Text { number: 4, text } if text == "{\"b\":2}"));
    }

    #[test]
    fn invalid_utf8_names_line_and_byte() {
        let out = lines(b"{}\n{\"a\":\"\xff\"}\n");
        assert!(matches!(
            out[1],
            Line::NotUtf8 {
                number: 2,
                at_byte: 6
            }
        ));
    }

    #[test]
    fn oversize_line_is_refused_and_the_next_line_still_reads() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\n{}\n");
        let out = lines(&input);
        assert!(
            matches!(out[0], Line::TooLong { number: 1 }),
            "{:?}",
            out.iter()
                .map(|l| match l {
                    Line::Text { number, text } => format!("text {number} {}", text.len()),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        );
        assert!(matches!(&out[1], Line::Text { number: 2, text } if text == "{}"));
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_accepted() {
        let mut input = vec![b' '; MAX_LINE_BYTES - 2];
        input.splice(0..0, b"{}".iter().copied());
        input.truncate(MAX_LINE_BYTES);
        input.push(b'\n');
        let out = lines(&input);
        assert!(matches!(&out[0], Line::Text { number: 1, .. }), "{out:?}");
    }
}
