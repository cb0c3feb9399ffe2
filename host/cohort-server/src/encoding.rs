//! Request body content encodings: what `Content-Encoding` a request may carry and how it is undone. RudderStack's
//! SDKs gzip their batches by default and Segment's can be told to, so `gzip` is accepted next to no encoding at
//! all; anything else is refused. The decompressed size is bounded by the same limit as an uncompressed body, so
//! a small compressed body cannot expand into a large one (a "zip bomb").

use std::io::Read as _;

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No `Content-Encoding`, or `identity`.
    Identity,
    /// `gzip` (or its old alias `x-gzip`).
    Gzip,
}

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// A `Content-Encoding` other than gzip or identity, or several encodings stacked.
    #[error(
        "Content-Encoding {0:?} is not supported: send the body uncompressed or with Content-Encoding: gzip"
    )]
    Unsupported(String),
    /// The gzip stream is damaged or truncated.
    #[error("the body is not valid gzip: {0}")]
    Corrupt(String),
    /// The decompressed body is larger than the limit.
    #[error("the body is larger than {limit} bytes once decompressed; nothing was stored")]
    TooLarge {
        /// The limit, in decompressed bytes.
        limit: usize,
    },
}

/// Reads a `Content-Encoding` header value (`None`: the header is absent).
pub fn parse(header: Option<&[u8]>) -> Result<Encoding, DecodeError> {
    let Some(raw) = header else {
        return Ok(Encoding::Identity);
    };
    let value = String::from_utf8_lossy(raw);
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        _ => Err(DecodeError::Unsupported(value.trim().to_string())),
    }
}

/// Undoes `encoding` on `body`, refusing a result larger than `limit` bytes.
pub fn decode(encoding: Encoding, body: Vec<u8>, limit: usize) -> Result<Vec<u8>, DecodeError> {
    match encoding {
        Encoding::Identity => Ok(body),
        Encoding::Gzip => {
            // Several gzip members in a row are one valid stream (RFC 1952, 2.2); read them all.
            let decoder = flate2::read::MultiGzDecoder::new(body.as_slice());
            let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
            // One byte past the limit tells "exactly at the limit" from "over it" without reading the rest.
            decoder
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
            if out.len() > limit {
                return Err(DecodeError::TooLarge { limit });
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a panic is how a test fails.

    use super::*;
    use std::io::Write as _;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn headers_name_the_encoding_and_refuse_the_rest() {
        assert_eq!(parse(None), Ok(Encoding::Identity));
        assert_eq!(parse(Some(b"identity")), Ok(Encoding::Identity));
        assert_eq!(parse(Some(b" GZIP ")), Ok(Encoding::Gzip));
        assert_eq!(parse(Some(b"x-gzip")), Ok(Encoding::Gzip));
        for refused in ["br", "deflate", "gzip, gzip", "zstd"] {
            assert_eq!(
                parse(Some(refused.as_bytes())),
                Err(DecodeError::Unsupported(refused.to_string()))
            );
        }
    }

    #[test]
    fn gzip_round_trips_up_to_the_limit_and_not_past_it() {
        let data = br#"{"batch":[]}"#.repeat(100);
        assert_eq!(
            decode(Encoding::Gzip, gzip(&data), data.len()).unwrap(),
            data
        );
        assert_eq!(
            decode(Encoding::Gzip, gzip(&data), data.len() - 1),
            Err(DecodeError::TooLarge {
                limit: data.len() - 1
            })
        );
    }

    #[test]
    fn a_small_bomb_is_stopped_at_the_limit() {
        // 64 MiB of zeros compress to about 64 KiB.
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 128 << 10);
        assert_eq!(
            decode(Encoding::Gzip, bomb, 1 << 20),
            Err(DecodeError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn concatenated_members_are_one_body_and_damage_is_an_error() {
        let mut two = gzip(b"{\"a\":");
        two.extend(gzip(b"1}"));
        assert_eq!(decode(Encoding::Gzip, two, 100).unwrap(), b"{\"a\":1}");
        let mut damaged = gzip(b"{\"a\":1}");
        damaged.truncate(damaged.len() - 6);
        assert!(matches!(
            decode(Encoding::Gzip, damaged, 100),
            Err(DecodeError::Corrupt(_))
        ));
        assert!(matches!(
            decode(Encoding::Gzip, b"not gzip at all".to_vec(), 100),
            Err(DecodeError::Corrupt(_))
        ));
    }
}
