//! Salesforce record ids: 15-character case-sensitive ids become the 18-character form with its checksum suffix.
//!
//! The suffix encodes, for each block of five characters, which of them are uppercase letters, so that the 18-character
//! form survives systems that fold case. Matching always uses the 18-character form; a 15-character id is never
//! compared case-insensitively.

use crate::text::{ID_MAX_CHARS, prepare};
use crate::{IdentifierKind, IdentityError, NormalisedIdentifier};

/// Length of the case-sensitive id shown in reports and UI URLs.
const SHORT_LEN: usize = 15;

/// Length of the case-insensitive id used by the API and Data Loader.
const LONG_LEN: usize = 18;

/// The alphabet that encodes one 5-bit block of the suffix.
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Normalises a Salesforce id to its canonical 18-character form.
pub(crate) fn normalise_salesforce_id(raw: &str) -> Result<NormalisedIdentifier, IdentityError> {
    let kind = IdentifierKind::SALESFORCE_ID;
    let trimmed = prepare(&kind, raw, ID_MAX_CHARS)?;
    if let Some(position) = trimmed.chars().position(|c| !c.is_ascii_alphanumeric()) {
        return Err(IdentityError::InvalidCharacter { kind, position });
    }
    // Only ASCII is left, so byte lengths and slices are character lengths and slices.
    let value = match trimmed.len() {
        SHORT_LEN => format!("{trimmed}{}", suffix(trimmed.as_bytes())),
        LONG_LEN => {
            let (short, given) = trimmed.split_at(SHORT_LEN);
            let expected = suffix(short.as_bytes());
            if !given.eq_ignore_ascii_case(&expected) {
                return Err(IdentityError::SalesforceIdChecksum);
            }
            format!("{short}{expected}")
        }
        len => return Err(IdentityError::SalesforceIdLength { len }),
    };
    Ok(NormalisedIdentifier::plain(kind, value))
}

/// Computes the 3-character suffix of a 15-character id: per block of five, bit `i` is set when character `i` is an
/// uppercase ASCII letter, and the 5-bit value indexes [`SUFFIX_ALPHABET`].
fn suffix(short: &[u8]) -> String {
    short
        .chunks(5)
        .map(|block| {
            let bits = block
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(SUFFIX_ALPHABET[bits])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_of_domain_example() {
        // DOMAIN.md §3: `003Qe00000AbCdE` → `003Qe00000AbCdEIAV`.
        assert_eq!(suffix(b"003Qe00000AbCdE"), "IAV");
    }

    #[test]
    fn suffix_extremes() {
        // No uppercase letters anywhere: every block is 0, `A`. All uppercase: every block is 31, `5`.
        assert_eq!(suffix(b"000000000000000"), "AAA");
        assert_eq!(suffix(b"ABCDEFGHIJKLMNO"), "555");
        // Only the last character of the second block is uppercase: bit 4 of block 2 is 16, `Q`.
        assert_eq!(suffix(b"00000abcdZ00000"), "AQA");
    }
}
