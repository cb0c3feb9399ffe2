//! Phone numbers: E.164 when the number parses as valid, otherwise its digits alone under their own kind.
//!
//! Separators (whitespace, `-`, `.`, brackets) are stripped and a leading `00` becomes `+`. A number without `+` is
//! read in the workspace's default region; without one, or when the number is not valid for its country, the value
//! is matched on its digits under [`IdentifierKind::PHONE_DIGITS`] and flagged, so that no country is ever guessed.
//! Extensions are split off first and kept apart from the match value.

use phonenumber::country;

use crate::text::{PHONE_MAX_CHARS, prepare};
use crate::{IdentifierKind, IdentityError, NormalisationOptions, NormalisedIdentifier};

/// Fewest digits an unparsed phone value may be matched on. A project limit: shorter digit strings (extensions,
/// short codes, fragments of a number) are shared by too many people to link two records safely, and a number that
/// short that is real is better left unmatched than merged with a stranger.
pub const PHONE_DIGITS_MIN: usize = 6;

/// Extension markers, compared case-insensitively; longer markers come first so that `ext` is not read as `x`.
const EXTENSION_MARKERS: &[&str] = &["extension", "ext", "x", "#"];

/// Normalises a phone number to E.164, or to its digits when it does not parse as a valid number.
pub(crate) fn normalise_phone(
    raw: &str,
    opts: &NormalisationOptions,
) -> Result<NormalisedIdentifier, IdentityError> {
    let kind = IdentifierKind::PHONE;
    let region = opts
        .default_phone_region
        .as_deref()
        .map(parse_region)
        .transpose()?;
    let trimmed = prepare(&kind, raw, PHONE_MAX_CHARS)?;
    let (number, extension) = split_extension(trimmed);
    let compact = strip_separators(number);
    let compact = match compact.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => compact,
    };

    let mut id = match to_e164(&compact, region) {
        Some(e164) => NormalisedIdentifier::plain(kind, e164),
        None => {
            let digits: String = compact.chars().filter(char::is_ascii_digit).collect();
            let count = digits.len();
            if count < PHONE_DIGITS_MIN {
                return Err(IdentityError::TooFewDigits {
                    kind,
                    digits: count,
                    min: PHONE_DIGITS_MIN,
                });
            }
            let mut id = NormalisedIdentifier::plain(IdentifierKind::PHONE_DIGITS, digits);
            id.unparsed_phone = true;
            id
        }
    };
    id.extension = extension;
    Ok(id)
}

/// Normalises a value given directly as `phone_digits` (typically the output of [`normalise_phone`] read back):
/// separators and a leading `+` are dropped and everything else must be a digit.
pub(crate) fn normalise_phone_digits(raw: &str) -> Result<NormalisedIdentifier, IdentityError> {
    let kind = IdentifierKind::PHONE_DIGITS;
    let trimmed = prepare(&kind, raw, PHONE_MAX_CHARS)?;
    let mut digits = String::with_capacity(trimmed.len());
    for (position, c) in trimmed.chars().enumerate() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !(is_separator(c) || (position == 0 && c == '+')) {
            return Err(IdentityError::InvalidCharacter { kind, position });
        }
    }
    if digits.len() < PHONE_DIGITS_MIN {
        return Err(IdentityError::TooFewDigits {
            kind,
            digits: digits.len(),
            min: PHONE_DIGITS_MIN,
        });
    }
    Ok(NormalisedIdentifier::plain(kind, digits))
}

/// Reads an ISO 3166-1 alpha-2 code in either case.
fn parse_region(region: &str) -> Result<country::Id, IdentityError> {
    let upper = region.trim().to_ascii_uppercase();
    let known = upper.len() == 2 && upper.chars().all(|c| c.is_ascii_uppercase());
    known
        .then(|| upper.parse::<country::Id>().ok())
        .flatten()
        .ok_or_else(|| IdentityError::UnknownRegion {
            region: region.chars().take(8).collect(),
        })
}

/// Splits at the first extension marker; the extension is the digits after it, if any.
fn split_extension(value: &str) -> (&str, Option<String>) {
    // ASCII lowercasing keeps every byte offset, so positions found in `lower` are valid in `value`.
    let lower = value.to_ascii_lowercase();
    for (at, _) in lower.char_indices() {
        let rest = &lower[at..];
        if let Some(marker) = EXTENSION_MARKERS.iter().find(|m| rest.starts_with(**m)) {
            let digits: String = value[at + marker.len()..]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            return (&value[..at], (!digits.is_empty()).then_some(digits));
        }
    }
    (value, None)
}

/// Whether a character is formatting between digit groups.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')
}

/// Removes formatting between digit groups.
fn strip_separators(value: &str) -> String {
    value.chars().filter(|&c| !is_separator(c)).collect()
}

/// Parses `+digits`, or `digits` in the default region, and formats it as E.164 when it is a valid number.
fn to_e164(compact: &str, region: Option<country::Id>) -> Option<String> {
    let digits = compact.strip_prefix('+');
    let national_only = digits.is_none();
    let digits = digits.unwrap_or(compact);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Without a `+` the country comes only from the workspace's configured region, never from a guess.
    let region = if national_only { Some(region?) } else { None };
    let number = phonenumber::parse(region, compact).ok()?;
    if !number.is_valid() {
        return None;
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    // Defensive: the formatter is trusted to return `+` and digits, but a match key must never carry anything else.
    let well_formed = e164
        .strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    well_formed.then_some(e164)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_extensions_on_every_marker() {
        let cases = [
            ("415 555 0132 ext. 12", "415 555 0132 ", Some("12")),
            ("415 555 0132 EXT 12", "415 555 0132 ", Some("12")),
            ("415 555 0132 extension 7", "415 555 0132 ", Some("7")),
            ("415 555 0132x12", "415 555 0132", Some("12")),
            ("415 555 0132 X 12", "415 555 0132 ", Some("12")),
            ("415 555 0132 #12", "415 555 0132 ", Some("12")),
            ("415 555 0132 ext", "415 555 0132 ", None),
            ("415 555 0132", "415 555 0132", None),
        ];
        for (raw, number, extension) in cases {
            let (n, e) = split_extension(raw);
            assert_eq!((n, e.as_deref()), (number, extension), "{raw:?}");
        }
    }

    #[test]
    fn regions_are_read_in_either_case_and_checked() {
        assert_eq!(parse_region("us").unwrap(), country::Id::US);
        assert_eq!(parse_region("GB").unwrap(), country::Id::GB);
        for bad in ["", "U", "USA", "ZZ", "1A"] {
            assert!(
                matches!(parse_region(bad), Err(IdentityError::UnknownRegion { .. })),
                "{bad:?}"
            );
        }
    }
}
