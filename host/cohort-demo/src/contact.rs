//! Identifiers: unique email addresses, fictional phone numbers, account and device ids, and
//! the differently written forms in which each source holds them.
//!
//! Every identifier handed out is claimed in a [`Registry`] under its match key (lowercase email,
//! E.164 phone), so no two people ever share one and identity resolution can only merge records
//! of the same person.

use std::collections::BTreeSet;

use rand::RngCore;

use crate::draw::{DemoRng, Weighted, between, chance};
use crate::vocab::{EMAIL_DOMAINS, GB_MOBILE, PhoneRange, PhoneStyle};

/// Tries at a fresh random number before an email falls back to the index-based form; with the
/// numbers growing each try, collisions after a handful of tries are already rare.
const EMAIL_ATTEMPTS: u32 = 12;

/// Tries at a free number in a fictional phone range before the person gets no phone. The
/// smallest ranges (US, 100 numbers per area code) fill up in datasets of tens of thousands.
const PHONE_ATTEMPTS: u32 = 8;

/// Share of UK customers whose number is a mobile (Ofcom's drama mobile range), per mille.
const GB_MOBILE_PER_MILLE: u32 = 400;

/// Identifiers already given to someone, by kind and match key.
#[derive(Default)]
pub(crate) struct Registry {
    taken: BTreeSet<String>,
}

impl Registry {
    /// Claims `key` of `kind`; false when someone already holds it.
    fn claim(&mut self, kind: &str, key: &str) -> bool {
        self.taken.insert(format!("{kind}:{key}"))
    }
}

/// How the local part of an address is built from the name and a number.
#[derive(Clone, Copy)]
enum LocalPart {
    /// `ana.keller42`
    FirstDotLast,
    /// `anakeller42`
    FirstLast,
    /// `akeller90`, the number being the two-digit birth year on the first try.
    InitialLastYear,
    /// `ana_keller42`
    FirstUnderscoreLast,
    /// `keller.ana42`
    LastDotFirst,
}

const LOCAL_PARTS: Weighted<LocalPart> = Weighted::new(&[
    (LocalPart::FirstDotLast, 40),
    (LocalPart::FirstLast, 15),
    (LocalPart::InitialLastYear, 20),
    (LocalPart::FirstUnderscoreLast, 10),
    (LocalPart::LastDotFirst, 15),
]);

/// A new unique lowercase email address for a person; always contains a number.
pub(crate) fn email(
    rng: &mut DemoRng,
    registry: &mut Registry,
    first: &str,
    last: &str,
    birth_year: i32,
    index: usize,
) -> String {
    let first = ascii_slug(first);
    let last = ascii_slug(last);
    let pattern = *LOCAL_PARTS.draw(rng);
    let domain = *EMAIL_DOMAINS.draw(rng);
    for attempt in 0..EMAIL_ATTEMPTS {
        let number = match (pattern, attempt) {
            (LocalPart::InitialLastYear, 0) => birth_year.rem_euclid(100).unsigned_abs(),
            (_, 0) => between(rng, 1, 99),
            // Widen the range on every retry so a crowded name still finds a free number.
            _ => between(rng, 1, 100 * 4u32.pow(attempt.min(6))),
        };
        let local = match pattern {
            LocalPart::FirstDotLast => format!("{first}.{last}{number}"),
            LocalPart::FirstLast => format!("{first}{last}{number}"),
            LocalPart::InitialLastYear => {
                let initial = first.get(..1).unwrap_or("x");
                format!("{initial}{last}{number:02}")
            }
            LocalPart::FirstUnderscoreLast => format!("{first}_{last}{number}"),
            LocalPart::LastDotFirst => format!("{last}.{first}{number}"),
        };
        let address = format!("{local}@{domain}");
        if registry.claim("email", &address) {
            return address;
        }
    }
    // No other pattern has two dots with `c` and digits after the second, so this form is
    // unique through the person's index alone.
    let address = format!("{first}.{last}.c{index}@{domain}");
    registry.claim("email", &address);
    address
}

/// An email address as another source writes it: same match key (trimmed, lowercased), but
/// with capitals, shouting or stray spaces, as exports and form fields really produce.
pub(crate) fn written_email(rng: &mut DemoRng, email: &str, exact_per_mille: u32) -> String {
    if chance(rng, exact_per_mille) {
        return email.to_owned();
    }
    match between(rng, 0, 9) {
        0..=5 => capitalise_parts(email),
        6..=8 => format!(" {} ", capitalise_parts(email)),
        _ => email.to_uppercase(),
    }
}

/// `ana.keller42@example.com` → `Ana.Keller42@Example.com`: each word of the local part and
/// the domain's first letter, as autocorrecting form fields tend to do.
fn capitalise_parts(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let mut out = String::with_capacity(email.len());
    let mut start = true;
    for c in local.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '.' | '_');
    }
    if !domain.is_empty() {
        out.push('@');
        let mut chars = domain.chars();
        out.extend(chars.next().into_iter().flat_map(char::to_uppercase));
        out.push_str(chars.as_str());
    }
    out
}

/// A phone number as the CRM holds it, with its E.164 form.
pub(crate) struct Phone {
    /// As written in the record, in one of the country's usual styles.
    pub(crate) written: String,
    /// `+` and digits, the match key.
    pub(crate) e164: String,
}

/// A free fictional number for someone in a city with a landline range, written in one of the
/// country's styles; `None` when the range is used up.
pub(crate) fn phone(
    rng: &mut DemoRng,
    registry: &mut Registry,
    style: PhoneStyle,
    landline: &PhoneRange,
) -> Option<Phone> {
    let range = match style {
        PhoneStyle::British if chance(rng, GB_MOBILE_PER_MILLE) => &GB_MOBILE,
        _ => landline,
    };
    let variant = between(rng, 0, 4);
    let size = 10u32.pow(range.free_digits);
    for _ in 0..PHONE_ATTEMPTS {
        let n = between(rng, 0, size - 1);
        let tail = format!("{n:0width$}", width = range.free_digits as usize);
        let local = format!("{}{tail}", range.block);
        let e164 = format!("+{}{}{local}", range.country_code, range.area);
        if registry.claim("phone", &e164) {
            let written = write_phone(style, variant, range, &local, &tail);
            return Some(Phone { written, e164 });
        }
    }
    None
}

/// Writes a number in variant `variant` (0..=4) of `style`.
fn write_phone(
    style: PhoneStyle,
    variant: u32,
    range: &PhoneRange,
    local: &str,
    tail: &str,
) -> String {
    let area = range.area;
    match style {
        PhoneStyle::German => match variant {
            0 => format!("0{area} {local}"),
            1 => format!("+49 {area} {local}"),
            2 => format!("+49 (0){area} {}-{tail}", range.block),
            3 => format!("0049 {area} {local}"),
            _ => format!("0{area}/{local}"),
        },
        PhoneStyle::British => {
            // London numbers group 4+4 after `020`, other cities 3+4, mobiles keep six digits.
            let split = match area.len() {
                2 => 4,
                3 => 3,
                _ => local.len(),
            };
            let (head, rest) = local.split_at(split.min(local.len()));
            let grouped = if rest.is_empty() {
                head.to_owned()
            } else {
                format!("{head} {rest}")
            };
            match variant {
                0 | 4 => format!("0{area} {grouped}"),
                1 => format!("+44 {area} {grouped}"),
                2 => format!("+44 (0){area} {grouped}"),
                _ => format!("0{area}{local}"),
            }
        }
        PhoneStyle::American => {
            let (exchange, line) = local.split_at(3.min(local.len()));
            match variant {
                0 => format!("({area}) {exchange}-{line}"),
                1 => format!("{area}-{exchange}-{line}"),
                2 => format!("+1 {area} {exchange} {line}"),
                3 => format!("{area}.{exchange}.{line}"),
                _ => format!("1-{area}-{exchange}-{line}"),
            }
        }
    }
}

/// A new unique site account id, `u-` and seven digits.
pub(crate) fn user_id(rng: &mut DemoRng, registry: &mut Registry) -> String {
    loop {
        let id = format!("u-{}", between(rng, 1_000_000, 9_999_999));
        if registry.claim("user_id", &id) {
            return id;
        }
    }
}

/// A new unique device id shaped like the random (version 4) UUIDs analytics SDKs use.
pub(crate) fn anonymous_id(rng: &mut DemoRng, registry: &mut Registry) -> String {
    loop {
        let hi = rng.next_u64();
        let lo = rng.next_u64();
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0x0fff,
            ((lo >> 48) & 0x3fff) | 0x8000,
            lo & 0xffff_ffff_ffff
        );
        if registry.claim("anonymous_id", &id) {
            return id;
        }
    }
}

/// A lowercase ASCII form of a name for email local parts: `Jürgen` → `juergen`, `de Jong` →
/// `dejong`, `Guðrún` → `gudrun`. Characters without a spelling here are left out.
pub(crate) fn ascii_slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'ä' | 'æ' => out.push_str("ae"),
            'ö' | 'ø' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'þ' => out.push_str("th"),
            'ð' => out.push('d'),
            'à' | 'á' | 'â' | 'å' | 'ą' => out.push('a'),
            'ç' | 'ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' => out.push('o'),
            'ś' => out.push('s'),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ź' | 'ż' => out.push('z'),
            _ => {}
        }
    }
    if out.is_empty() {
        "customer".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn slugs_are_ascii_transliterations() {
        assert_eq!(ascii_slug("Jürgen"), "juergen");
        assert_eq!(ascii_slug("de Jong"), "dejong");
        assert_eq!(ascii_slug("Guðrún"), "gudrun");
        assert_eq!(ascii_slug("Łukasz"), "lukasz");
        assert_eq!(ascii_slug("O'Brien"), "obrien");
        assert_eq!(ascii_slug("Þór"), "thor");
        assert_eq!(ascii_slug("???"), "customer");
    }

    #[test]
    fn written_emails_keep_the_match_key() {
        let mut rng = DemoRng::seed_from_u64(5);
        let email = "ana.keller42@example.com";
        let mut variants = BTreeSet::new();
        for _ in 0..200 {
            let written = written_email(&mut rng, email, 300);
            assert_eq!(written.trim().to_lowercase(), email);
            variants.insert(written);
        }
        assert!(
            variants.contains(" Ana.Keller42@Example.com "),
            "{variants:?}"
        );
        assert!(variants.len() >= 4, "{variants:?}");
    }

    #[test]
    fn crowded_names_still_get_unique_emails() {
        let mut rng = DemoRng::seed_from_u64(9);
        let mut registry = Registry::default();
        let mut seen = BTreeSet::new();
        for index in 0..3000 {
            let address = email(&mut rng, &mut registry, "Anna", "Müller", 1990, index);
            assert!(address.bytes().any(|b| b.is_ascii_digit()), "{address}");
            assert!(seen.insert(address.clone()), "duplicate {address}");
        }
    }

    #[test]
    fn phones_are_unique_and_run_out_gracefully() {
        let mut rng = DemoRng::seed_from_u64(11);
        let mut registry = Registry::default();
        let range = PhoneRange {
            country_code: "1",
            area: "415",
            block: "55501",
            free_digits: 2,
        };
        let phones: Vec<Phone> = (0..400)
            .filter_map(|_| phone(&mut rng, &mut registry, PhoneStyle::American, &range))
            .collect();
        let keys: BTreeSet<&str> = phones.iter().map(|p| p.e164.as_str()).collect();
        assert_eq!(keys.len(), phones.len(), "no number is handed out twice");
        assert!(
            phones.len() <= 100 && phones.len() > 80,
            "{} of 100 numbers used",
            phones.len()
        );
        assert!(
            keys.iter()
                .all(|k| k.starts_with("+141555501") && k.len() == 12)
        );
    }

    #[test]
    fn phone_styles_write_the_same_digits() {
        let london = PhoneRange {
            country_code: "44",
            area: "20",
            block: "79460",
            free_digits: 3,
        };
        let berlin = PhoneRange {
            country_code: "49",
            area: "30",
            block: "23125",
            free_digits: 3,
        };
        let sf = PhoneRange {
            country_code: "1",
            area: "415",
            block: "55501",
            free_digits: 2,
        };
        assert_eq!(
            write_phone(PhoneStyle::British, 0, &london, "79460018", "018"),
            "020 7946 0018"
        );
        assert_eq!(
            write_phone(PhoneStyle::German, 2, &berlin, "23125123", "123"),
            "+49 (0)30 23125-123"
        );
        assert_eq!(
            write_phone(PhoneStyle::American, 0, &sf, "5550132", "32"),
            "(415) 555-0132"
        );
        assert_eq!(
            write_phone(PhoneStyle::British, 0, &GB_MOBILE, "900123", "123"),
            "07700 900123"
        );
        for variant in 0..5 {
            let digits = |s: String| s.chars().filter(char::is_ascii_digit).collect::<String>();
            assert!(
                digits(write_phone(
                    PhoneStyle::German,
                    variant,
                    &berlin,
                    "23125123",
                    "123"
                ))
                .ends_with("3023125123")
            );
            assert!(
                digits(write_phone(
                    PhoneStyle::British,
                    variant,
                    &london,
                    "79460018",
                    "018"
                ))
                .ends_with("2079460018")
            );
            assert!(
                digits(write_phone(
                    PhoneStyle::American,
                    variant,
                    &sf,
                    "5550132",
                    "32"
                ))
                .ends_with("4155550132")
            );
        }
    }

    #[test]
    fn anonymous_ids_look_like_v4_uuids() {
        let mut rng = DemoRng::seed_from_u64(2);
        let mut registry = Registry::default();
        let id = anonymous_id(&mut rng, &mut registry);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }
}
