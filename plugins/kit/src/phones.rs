//! Phone numbers written in national form (`(415) 555-0132`), put in international form when the row says which
//! country they belong to.
//!
//! The host normalises every phone number to E.164 with the policy's one default region (DOMAIN.md §9). A CRM
//! knows better for each contact: the contact's own country. So when a number has no `+` or `00` prefix and the
//! row's country (or the connector's configured default country) is in the table below, the connector writes
//! `+<calling code><national number without its trunk prefix>`; the host then validates that as E.164 and, if it
//! is not a valid number, matches it on its digits and flags it. Anything else is passed on as written, trimmed,
//! for the host to read with the policy's region: a country this table does not know is never guessed.

/// Alpha-2 region, country calling code, and trunk prefix (the digit dialled before a national number inside the
/// country and dropped in international form). Countries without a trunk prefix keep every digit (Italy keeps
/// its leading 0).
const REGIONS: &[(&str, &str, Option<char>)] = &[
    ("AT", "43", Some('0')),
    ("AU", "61", Some('0')),
    ("BE", "32", Some('0')),
    ("CA", "1", Some('1')),
    ("CH", "41", Some('0')),
    ("CZ", "420", None),
    ("DE", "49", Some('0')),
    ("DK", "45", None),
    ("ES", "34", None),
    ("FI", "358", Some('0')),
    ("FR", "33", Some('0')),
    ("GB", "44", Some('0')),
    ("GR", "30", None),
    ("IE", "353", Some('0')),
    ("IT", "39", None),
    ("LU", "352", None),
    ("NL", "31", Some('0')),
    ("NO", "47", None),
    ("NZ", "64", Some('0')),
    ("PL", "48", None),
    ("PT", "351", None),
    ("SE", "46", Some('0')),
    ("US", "1", Some('1')),
];

/// Fewest digits of a national number worth converting; shorter ones are extensions or typos.
const MIN_NATIONAL_DIGITS: usize = 6;

/// Digits in a North American national number (area code and subscriber number).
const NANP_DIGITS: usize = 10;

/// The number in international form when `region` (alpha-2) tells its country, else as written (trimmed).
pub fn international(written: &str, region: Option<&str>) -> String {
    let trimmed = written.trim();
    let as_written = || trimmed.to_owned();
    if trimmed.starts_with('+') || trimmed.starts_with("00") {
        return as_written();
    }
    let Some((_, code, trunk)) = region.and_then(|r| {
        REGIONS
            .iter()
            .find(|(known, _, _)| known.eq_ignore_ascii_case(r))
    }) else {
        return as_written();
    };
    // Separators people type; anything else (letters of an extension, `#`) leaves the number to the host.
    let mut digits = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return as_written(),
        }
    }
    let national = if *code == "1" {
        // North America: ten digits, optionally after the trunk prefix 1.
        match digits.len() {
            NANP_DIGITS => digits.as_str(),
            n if n == NANP_DIGITS + 1 && digits.starts_with('1') => &digits[1..],
            _ => return as_written(),
        }
    } else {
        match trunk {
            // Without its trunk prefix a number may lack its area code, so it is left to the host.
            Some(prefix) => match digits.strip_prefix(*prefix) {
                Some(rest) => rest,
                None => return as_written(),
            },
            None => digits.as_str(),
        }
    };
    if national.len() < MIN_NATIONAL_DIGITS || (trunk.is_some() && national.starts_with('0')) {
        return as_written();
    }
    format!("+{code}{national}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_get_the_country_code_of_their_region() {
        assert_eq!(international("(415) 555-0132", Some("US")), "+14155550132");
        assert_eq!(international("1-415-555-0132", Some("us")), "+14155550132");
        assert_eq!(international("020 7946 0018", Some("GB")), "+442079460018");
        assert_eq!(international("030 901820", Some("DE")), "+4930901820");
        assert_eq!(international("06 12 34 56 78", Some("FR")), "+33612345678");
        assert_eq!(international("06 1234 5678", Some("IT")), "+390612345678");
    }

    #[test]
    fn international_unknown_or_odd_numbers_are_left_to_the_host() {
        assert_eq!(
            international(" +49 30 901820 ", Some("US")),
            "+49 30 901820"
        );
        assert_eq!(
            international("0049 30 901820", Some("DE")),
            "0049 30 901820"
        );
        assert_eq!(international("030 901820", None), "030 901820");
        assert_eq!(international("030 901820", Some("BR")), "030 901820");
        assert_eq!(international("555-0142 x12", Some("US")), "555-0142 x12");
        assert_eq!(international("555-0142", Some("US")), "555-0142");
        assert_eq!(international("30 901820", Some("DE")), "30 901820");
        assert_eq!(international("00 12", Some("DE")), "00 12");
        assert_eq!(international("0", Some("GB")), "0");
    }
}
