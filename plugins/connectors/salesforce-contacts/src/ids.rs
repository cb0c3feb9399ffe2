//! Salesforce record ids: the 15-character case-sensitive form and the 18-character form whose 3-character suffix
//! records which of the first 15 characters are uppercase (DOMAIN.md §3).
//!
//! Every id leaves this connector in the 18-character form, so a Contact from a report (15 characters) and the
//! same Contact from Data Loader (18 characters) are one identifier. An 18-character id whose first 15 characters
//! lost their case (some tools fold it) is restored from its suffix, which is what the suffix is for.

/// Length of the case-sensitive id shown in reports and UI URLs.
const SHORT_LEN: usize = 15;

/// Length of the case-insensitive id used by the API and Data Loader.
const LONG_LEN: usize = 18;

/// Characters per suffix block: each suffix character covers five id characters.
const BLOCK: usize = 5;

/// The alphabet that writes one 5-bit block of the suffix.
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Why a text is not a Salesforce id. The id itself is left out of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdError {
    /// Not 15 or 18 characters.
    Length,
    /// A character other than an ASCII letter or digit.
    Character,
    /// The 18-character suffix does not match the id.
    Checksum,
}

impl IdError {
    /// A sentence for a diagnostic.
    pub(crate) fn message(self) -> &'static str {
        match self {
            IdError::Length => "is not a Salesforce id (15 or 18 letters and digits)",
            IdError::Character => "is not a Salesforce id (letters and digits only)",
            IdError::Checksum => {
                "is not a Salesforce id: its 3-character suffix does not match (a mistyped id?)"
            }
        }
    }
}

/// The 18-character form of a 15- or 18-character id.
pub(crate) fn to_18(id: &str) -> Result<String, IdError> {
    let id = id.trim();
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(IdError::Character);
    }
    // Only ASCII is left, so byte positions are character positions.
    match id.len() {
        SHORT_LEN => Ok(format!("{id}{}", suffix(id.as_bytes()))),
        LONG_LEN => {
            let (short, given) = id.split_at(SHORT_LEN);
            let expected = suffix(short.as_bytes());
            if expected.eq_ignore_ascii_case(given) {
                return Ok(format!("{short}{expected}"));
            }
            // A mismatch is only a folded case when every letter has the same case; with mixed case the id was
            // mistyped, and restoring would turn it into some other record's id.
            let letters = || short.bytes().filter(u8::is_ascii_alphabetic);
            let folded = letters().all(|c| c.is_ascii_lowercase())
                || letters().all(|c| c.is_ascii_uppercase());
            if !folded {
                return Err(IdError::Checksum);
            }
            let restored = restore_case(short.as_bytes(), given.as_bytes())?;
            Ok(format!("{restored}{}", suffix(restored.as_bytes())))
        }
        _ => Err(IdError::Length),
    }
}

/// The suffix of a 15-character id: per block of five, bit `i` is set when character `i` is an uppercase letter.
fn suffix(short: &[u8]) -> String {
    short
        .chunks(BLOCK)
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

/// Sets the case of each letter of `short` as the suffix says; fails when the suffix marks a digit as uppercase or
/// is not written in the suffix alphabet.
fn restore_case(short: &[u8], given: &[u8]) -> Result<String, IdError> {
    let mut restored = String::with_capacity(SHORT_LEN);
    for (block, code) in short.chunks(BLOCK).zip(given) {
        let bits = SUFFIX_ALPHABET
            .iter()
            .position(|c| c.eq_ignore_ascii_case(code))
            .ok_or(IdError::Checksum)?;
        for (i, &c) in block.iter().enumerate() {
            let upper = bits & (1 << i) != 0;
            if upper && !c.is_ascii_alphabetic() {
                return Err(IdError::Checksum);
            }
            restored.push(char::from(if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }));
        }
    }
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_example() {
        // DOMAIN.md §3: `003Qe00000AbCdE` → `003Qe00000AbCdEIAV`.
        assert_eq!(to_18("003Qe00000AbCdE"), Ok("003Qe00000AbCdEIAV".into()));
        assert_eq!(to_18("003Qe00000AbCdEIAV"), Ok("003Qe00000AbCdEIAV".into()));
    }

    #[test]
    fn a_case_folded_18_character_id_is_restored_by_its_suffix() {
        assert_eq!(to_18("003qe00000abcdeiav"), Ok("003Qe00000AbCdEIAV".into()));
        assert_eq!(to_18("003QE00000ABCDEIAV"), Ok("003Qe00000AbCdEIAV".into()));
    }

    #[test]
    fn bad_ids_say_why() {
        assert_eq!(to_18("003Qe00000AbCd"), Err(IdError::Length));
        assert_eq!(to_18("003Qe00000AbCd-"), Err(IdError::Character));
        // The suffix marks the first character (a digit) as uppercase.
        assert_eq!(to_18("003Qe00000AbCdEBAV"), Err(IdError::Checksum));
        assert_eq!(to_18("003Qe00000AbCdE9AV"), Err(IdError::Checksum));
        // Mixed case that disagrees with the suffix is a typo, not a folded id.
        assert_eq!(to_18("003Qe00000AbCdEAAA"), Err(IdError::Checksum));
    }

    proptest! {
        /// The 18-character form of any 15-character id keeps the id and reads back to itself, whatever case the
        /// 18 characters are later folded to.
        #[test]
        fn round_trip(short in "[0-9A-Za-z]{15}") {
            let long = to_18(&short).unwrap();
            prop_assert_eq!(&long[..15], short.as_str());
            prop_assert_eq!(to_18(&long).unwrap(), long.clone());
            prop_assert_eq!(to_18(&long.to_ascii_lowercase()).unwrap(), long.clone());
            prop_assert_eq!(to_18(&long.to_ascii_uppercase()).unwrap(), long);
        }
    }
}
