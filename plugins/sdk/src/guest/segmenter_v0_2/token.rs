//! Tokens: 64-bit numbers in the 0.2.0 interface, text in the SDK's [`Profile`](crate::Profile) and
//! [`Assignment`](crate::Assignment). The text is always exactly 16 lowercase hex digits (`format!("{:016x}")`),
//! so a token leaves as the number it arrived as, and anything else is a token the host never gave.

/// The number of hex digits of a token's text.
const DIGITS: usize = 16;

/// The digits, by value.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The token as its text: 16 lowercase hex digits, the same as `format!("{token:016x}")` without the formatting
/// machinery (it runs for every profile).
pub(super) fn to_text(token: u64) -> String {
    // The digits go into a fixed array and the string is made in one copy: pushing them one by one into a
    // `String` checks its capacity 16 times, a million times per large run.
    let mut digits = [0u8; DIGITS];
    for (at, digit) in digits.iter_mut().enumerate() {
        let nibble = (token >> ((DIGITS - 1 - at) * 4)) & 0xf;
        // `nibble` is below 16: the index is in range.
        *digit = HEX[nibble as usize];
    }
    // Hex digits are ASCII, so this is never the empty default.
    std::str::from_utf8(&digits).unwrap_or_default().to_owned()
}

/// The token whose text is `text`, when it is one: exactly 16 lowercase hex digits (no sign, no `0x`, no
/// uppercase), as [`to_text`] writes them.
pub(super) fn from_text(text: &str) -> Option<u64> {
    if text.len() != DIGITS {
        return None;
    }
    text.bytes().try_fold(0_u64, |token, byte| {
        let nibble = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            _ => return None,
        };
        Some(token << 4 | u64::from(nibble))
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_text_is_sixteen_lowercase_hex_digits() {
        assert_eq!(to_text(0), "0000000000000000");
        assert_eq!(to_text(0xdead_beef), "00000000deadbeef");
        assert_eq!(to_text(u64::MAX), "ffffffffffffffff");
        assert_eq!(from_text("00000000deadbeef"), Some(0xdead_beef));
        assert_eq!(from_text("ffffffffffffffff"), Some(u64::MAX));
    }

    #[test]
    fn anything_but_sixteen_lowercase_hex_digits_is_not_a_token() {
        for text in [
            "",
            "tok-1",
            "00000000DEADBEEF",
            "0000000deadbeef",
            "000000000deadbeef",
            "+000000000000001",
            "0x00000000000001",
            " 00000000000001 ",
            "000000000000000g",
            "00000000000000é",
        ] {
            assert_eq!(from_text(text), None, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn every_token_leaves_as_it_arrived(token in any::<u64>()) {
            let text = to_text(token);
            prop_assert_eq!(&text, &format!("{token:016x}"));
            prop_assert_eq!(from_text(&text), Some(token));
        }
    }
}
