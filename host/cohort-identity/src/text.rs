//! Checks shared by every kind: trimming, emptiness, length limits and invisible characters.
//!
//! The limits live here, next to the one function that enforces them, so that each is named once.

use crate::{IdentifierKind, IdentityError};

/// Longest email address in characters: RFC 5321 §4.5.3.1.1 and §4.5.3.1.2 allow a 64-octet local part and a
/// 255-octet domain, so 64 + 1 (`@`) + 255 = 320, the figure RFC 3696 §3 gives. RFC 3696 erratum 1690 points out
/// that the 256-octet path limit (RFC 5321 §4.5.3.1.3) makes 254 the longest address that can be delivered; we keep
/// the wider bound because this crate builds match keys, and an address another system already stored deserves a
/// key even if mail to it would bounce.
pub const EMAIL_MAX_CHARS: usize = 320;

/// Longest opaque id (CRM, user, anonymous, Salesforce, HubSpot ids) in characters. A project limit: Salesforce
/// ids have 18 characters, HubSpot ids are integers of at most 20 digits and UUIDs have 36; 64 leaves room for
/// prefixed ids (`cus_…`, `usr_…`) and rejects payloads passed off as ids.
pub const ID_MAX_CHARS: usize = 64;

/// Longest raw phone value in characters. ITU-T E.164 caps a number at 15 digits; the rest of this project limit
/// is room for a `+` or `00` prefix, spaces, dashes, brackets and an extension such as ` ext. 1234`.
pub const PHONE_MAX_CHARS: usize = 64;

/// Invisible formatting characters (Unicode category Cf) that commonly leak in from spreadsheets and web forms:
/// zero-width space, non-joiner and joiner, left-to-right and right-to-left marks, bidirectional embeddings and
/// overrides, word joiner and invisible operators, and the byte-order mark. They would make two identical-looking
/// identifiers hash differently, so they are refused like control characters.
const INVISIBLE_FORMATTING: &[char] = &[
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
    '\u{202D}', '\u{202E}', '\u{2060}', '\u{2061}', '\u{2062}', '\u{2063}', '\u{2064}', '\u{FEFF}',
];

/// Trims `raw` and checks it is non-empty, at most `max_chars` characters long and free of control and invisible
/// formatting characters.
pub(crate) fn prepare<'a>(
    kind: &IdentifierKind,
    raw: &'a str,
    max_chars: usize,
) -> Result<&'a str, IdentityError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(IdentityError::Empty { kind: kind.clone() });
    }
    // `nth` stops after `max_chars + 1` characters, so a huge input costs no more than a short one.
    if trimmed.chars().nth(max_chars).is_some() {
        return Err(IdentityError::TooLong {
            kind: kind.clone(),
            max: max_chars,
        });
    }
    if let Some(position) = trimmed
        .chars()
        .position(|c| c.is_control() || INVISIBLE_FORMATTING.contains(&c))
    {
        return Err(IdentityError::ControlCharacter {
            kind: kind.clone(),
            position,
        });
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts() {
        let kind = IdentifierKind::EMAIL;
        assert_eq!(prepare(&kind, " \t a b \n", 10).unwrap(), "a b");
    }

    #[test]
    fn length_limit_is_inclusive_and_counts_characters() {
        let kind = IdentifierKind::EMAIL;
        assert!(prepare(&kind, &"é".repeat(10), 10).is_ok());
        assert_eq!(
            prepare(&kind, &"é".repeat(11), 10),
            Err(IdentityError::TooLong { kind, max: 10 })
        );
    }

    #[test]
    fn rejects_empty_and_whitespace_only() {
        let kind = IdentifierKind::PHONE;
        for raw in ["", "   ", "\t\n"] {
            assert_eq!(
                prepare(&kind, raw, 10),
                Err(IdentityError::Empty { kind: kind.clone() })
            );
        }
    }

    #[test]
    fn rejects_control_and_invisible_characters_with_their_position() {
        let kind = IdentifierKind::EMAIL;
        for (raw, position) in [
            ("ab\u{0}c", 2),
            (" a\u{7f}", 1),
            ("\u{200B}abc", 0),
            ("ab\u{FEFF}", 2),
        ] {
            assert_eq!(
                prepare(&kind, raw, 10),
                Err(IdentityError::ControlCharacter {
                    kind: kind.clone(),
                    position
                }),
                "{raw:?}"
            );
        }
    }
}
