//! Drops a UTF-8 byte order mark at the very start of an input, even when it arrives split across chunks.

/// The UTF-8 encoding of U+FEFF, which spreadsheet programs write at the start of "UTF-8 with BOM" files.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Watches the first bytes of an input and drops them when they are a byte order mark.
#[derive(Debug, Default)]
pub struct BomSkipper {
    /// How many leading bytes matched the mark so far (held back, not yet passed on).
    matched: usize,
    /// Whether the start of the input is behind us.
    done: bool,
}

impl BomSkipper {
    /// Passes `chunk` on to `feed` without a leading byte order mark. Bytes that looked like the start of a mark
    /// but were not are passed on before the rest of the chunk, so nothing is lost. `feed` is never called with
    /// an empty slice (the CSV parser reads one as the end of the data).
    pub fn strip(&mut self, chunk: &[u8], mut feed: impl FnMut(&[u8])) {
        let mut feed = |bytes: &[u8]| {
            if !bytes.is_empty() {
                feed(bytes);
            }
        };
        if self.done {
            feed(chunk);
            return;
        }
        let mut rest = chunk;
        while let Some((&byte, tail)) = rest.split_first() {
            if byte == BOM[self.matched] {
                self.matched += 1;
                rest = tail;
                if self.matched == BOM.len() {
                    self.done = true;
                    break;
                }
            } else {
                self.done = true;
                feed(&BOM[..self.matched]);
                break;
            }
        }
        if self.done {
            feed(rest);
        }
    }

    /// Ends the input: a partial mark at the very end was data after all.
    pub fn finish(&mut self, mut feed: impl FnMut(&[u8])) {
        if !self.done {
            self.done = true;
            if self.matched > 0 {
                feed(&BOM[..self.matched]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut skipper = BomSkipper::default();
        let mut out = Vec::new();
        let mut feed = |bytes: &[u8]| {
            assert!(!bytes.is_empty(), "fed an empty slice");
            out.extend_from_slice(bytes);
        };
        for chunk in chunks {
            skipper.strip(chunk, &mut feed);
        }
        skipper.finish(&mut feed);
        out
    }

    #[test]
    fn a_mark_split_over_chunks_is_dropped() {
        assert_eq!(run(&[b"\xef", b"\xbb", b"\xbfa,b"]), b"a,b");
        assert_eq!(run(&[b"\xef\xbb\xbfa", b",b"]), b"a,b");
    }

    #[test]
    fn a_mark_later_in_the_input_is_kept() {
        assert_eq!(run(&[b"a", b"\xef\xbb\xbf"]), b"a\xef\xbb\xbf");
    }

    #[test]
    fn bytes_that_only_start_like_a_mark_are_kept() {
        assert_eq!(run(&[b"\xef", b"\xbbx"]), b"\xef\xbbx");
        assert_eq!(run(&[b"\xef\xbb"]), b"\xef\xbb");
        assert_eq!(run(&[b"", b"xy"]), b"xy");
    }
}
