//! Behaviour of `normalise` over tables of DOMAIN.md examples, plus property tests for idempotence and for the
//! rule that no error message ever contains the identifier.

use cohort_identity::{
    EMAIL_MAX_CHARS, EmailFolding, EmailProblem, ID_MAX_CHARS, IdentifierKind, IdentityError,
    NormalisationOptions, NormalisedIdentifier, PHONE_DIGITS_MIN, normalise,
};
use proptest::prelude::*;

fn opts(region: Option<&str>, folding: EmailFolding) -> NormalisationOptions {
    NormalisationOptions {
        email_folding: folding,
        default_phone_region: region.map(str::to_owned),
    }
}

/// One expected success: what comes out and which flags are set.
struct Case {
    kind: &'static str,
    raw: &'static str,
    region: Option<&'static str>,
    folding: EmailFolding,
    out_kind: &'static str,
    out_value: &'static str,
    extension: Option<&'static str>,
    folded: bool,
    unparsed_phone: bool,
}

const fn ok(kind: &'static str, raw: &'static str, out_value: &'static str) -> Case {
    Case {
        kind,
        raw,
        region: None,
        folding: EmailFolding::None,
        out_kind: kind,
        out_value,
        extension: None,
        folded: false,
        unparsed_phone: false,
    }
}

impl Case {
    const fn region(mut self, region: &'static str) -> Self {
        self.region = Some(region);
        self
    }
    const fn gmail(mut self) -> Self {
        self.folding = EmailFolding::Gmail;
        self
    }
    const fn folded(mut self) -> Self {
        self.folded = true;
        self
    }
    const fn extension(mut self, extension: &'static str) -> Self {
        self.extension = Some(extension);
        self
    }
    const fn unparsed(mut self) -> Self {
        self.out_kind = "phone_digits";
        self.unparsed_phone = true;
        self
    }
}

const SUCCESSES: &[Case] = &[
    // Phones: DOMAIN.md §9 examples and their `00` / `+` spellings.
    ok("phone", "(415) 555-0132", "+14155550132").region("US"),
    ok("phone", "415.555.0132", "+14155550132").region("us"),
    ok("phone", "1-415-555-0132", "+14155550132").region("US"),
    ok("phone", "020 7946 0018", "+442079460018").region("GB"),
    ok("phone", "+44 (0)20 7946 0018", "+442079460018"),
    ok("phone", "+49 151 1234 5678", "+4915112345678"),
    ok("phone", "0049 151 1234 5678", "+4915112345678"),
    // A `+` or `00` number ignores the default region: it names its own country.
    ok("phone", "0049 151 1234 5678", "+4915112345678").region("US"),
    ok("phone", " +1 415 555 0132 ", "+14155550132").region("GB"),
    ok("phone", "0151 1234 5678", "+4915112345678").region("DE"),
    // Extensions are kept apart from the match value.
    ok("phone", "(415) 555-0132 ext. 12", "+14155550132")
        .region("US")
        .extension("12"),
    ok("phone", "+1 415 555 0132 x345", "+14155550132").extension("345"),
    ok("phone", "+1 415 555 0132 EXT 9", "+14155550132").extension("9"),
    ok("phone", "+44 20 7946 0018 #7", "+442079460018").extension("7"),
    ok("phone", "+44 20 7946 0018 extension 70", "+442079460018").extension("70"),
    // Unparseable: no region for a national number, an unknown country code, an invalid number. Never guessed.
    ok("phone", "(415) 555-0132", "4155550132").unparsed(),
    ok("phone", "+999 1234 5678", "99912345678").unparsed(),
    // A `00` prefix still becomes `+` first, so its zeros are not part of the digits.
    ok("phone", "0049 000 0000", "490000000").unparsed(),
    ok("phone", "123-456", "123456").region("US").unparsed(),
    ok("phone", "123 456 x 78", "123456")
        .region("US")
        .unparsed()
        .extension("78"),
    // Digits given directly.
    ok("phone_digits", " 415-555-0132 ", "4155550132"),
    ok("phone_digits", "+44 20 7946 0018", "442079460018"),
    // Emails: trimmed and lowercased; folding only when asked for and only for Gmail.
    ok(
        "email",
        "  Jane.Doe+News@Example.COM ",
        "jane.doe+news@example.com",
    ),
    ok(
        "email",
        "Jane.Doe+News@Gmail.com",
        "jane.doe+news@gmail.com",
    ),
    ok("email", "Jane.Doe+News@Gmail.com", "janedoe@gmail.com")
        .gmail()
        .folded(),
    ok("email", "j.a.n.e@googlemail.com", "jane@gmail.com")
        .gmail()
        .folded(),
    ok("email", "jane@googlemail.com", "jane@gmail.com")
        .gmail()
        .folded(),
    ok("email", "jane@gmail.com", "jane@gmail.com").gmail(),
    ok(
        "email",
        "Jane.Doe+News@Example.com",
        "jane.doe+news@example.com",
    )
    .gmail(),
    ok("email", "ÉLODIE@Exemple.FR", "élodie@exemple.fr"),
    // Salesforce: DOMAIN.md §3 example both ways, and an 18-character id in any suffix case.
    ok("salesforce_id", "003Qe00000AbCdE", "003Qe00000AbCdEIAV"),
    ok(
        "salesforce_id",
        " 003Qe00000AbCdEIAV ",
        "003Qe00000AbCdEIAV",
    ),
    ok("salesforce_id", "003Qe00000AbCdEiav", "003Qe00000AbCdEIAV"),
    ok("salesforce_id", "001000000000000", "001000000000000AAA"),
    // Other kinds: trimmed, case preserved.
    ok("crm_id", "  AbC-123 ", "AbC-123"),
    ok("hubspot_id", "51234", "51234"),
    ok(
        "anonymous_id",
        "3f2b9c1e-7a4d-4e8f-9b0a-1c2d3e4f5a6b",
        "3f2b9c1e-7a4d-4e8f-9b0a-1c2d3e4f5a6b",
    ),
];

#[test]
fn table_of_successes() {
    for case in SUCCESSES {
        let label = format!(
            "{} {:?} region={:?} {:?}",
            case.kind, case.raw, case.region, case.folding
        );
        let id = normalise(case.kind, case.raw, &opts(case.region, case.folding))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(id.kind().as_str(), case.out_kind, "{label}");
        assert_eq!(id.value(), case.out_value, "{label}");
        assert_eq!(id.extension(), case.extension, "{label}");
        assert_eq!(id.folded(), case.folded, "{label}");
        assert_eq!(id.unparsed_phone(), case.unparsed_phone, "{label}");
    }
}

#[test]
fn salesforce_15_and_18_forms_match_and_15_char_case_variants_do_not() {
    let o = NormalisationOptions::default();
    let short = normalise("salesforce_id", "003Qe00000AbCdE", &o).unwrap();
    let long = normalise(
        "salesforce_id",
        "003QE00000ABCDEIAV".to_lowercase().as_str(),
        &o,
    );
    // Lowercasing an 18-character id changes its first 15 characters, which the suffix then no longer matches.
    assert_eq!(long, Err(IdentityError::SalesforceIdChecksum));
    let long = normalise("salesforce_id", "003Qe00000AbCdEIAV", &o).unwrap();
    assert_eq!(short.value(), long.value());
    // Two 15-character ids that differ only in case are different records.
    let other = normalise("salesforce_id", "003qe00000abcde", &o).unwrap();
    assert_ne!(short.value(), other.value());
}

fn email_err(problem: EmailProblem) -> IdentityError {
    IdentityError::InvalidEmail { problem }
}

#[test]
fn table_of_failures() {
    let too_long_email = format!("{}@example.com", "a".repeat(EMAIL_MAX_CHARS));
    let too_long_id = "x".repeat(ID_MAX_CHARS + 1);
    let cases: Vec<(&str, &str, Option<&str>, EmailFolding, IdentityError)> = vec![
        (
            "Email",
            "a@b.c",
            None,
            EmailFolding::None,
            IdentityError::InvalidKind {
                name: "Email".into(),
                reason: "it must start with a lowercase ASCII letter",
            },
        ),
        (
            "email",
            "  ",
            None,
            EmailFolding::None,
            IdentityError::Empty {
                kind: IdentifierKind::EMAIL,
            },
        ),
        (
            "email",
            &too_long_email,
            None,
            EmailFolding::None,
            IdentityError::TooLong {
                kind: IdentifierKind::EMAIL,
                max: EMAIL_MAX_CHARS,
            },
        ),
        (
            "email",
            "jane\u{0}@example.com",
            None,
            EmailFolding::None,
            IdentityError::ControlCharacter {
                kind: IdentifierKind::EMAIL,
                position: 4,
            },
        ),
        (
            "email",
            "jane.example.com",
            None,
            EmailFolding::None,
            email_err(EmailProblem::NoAt),
        ),
        (
            "email",
            "jane@doe@example.com",
            None,
            EmailFolding::None,
            email_err(EmailProblem::SeveralAt),
        ),
        (
            "email",
            "@example.com",
            None,
            EmailFolding::None,
            email_err(EmailProblem::EmptyLocalPart),
        ),
        (
            "email",
            "jane@localhost",
            None,
            EmailFolding::None,
            email_err(EmailProblem::DomainWithoutDot),
        ),
        (
            "email",
            "jane@example..com",
            None,
            EmailFolding::None,
            email_err(EmailProblem::EmptyDomainLabel),
        ),
        (
            "email",
            "jane@.example.com",
            None,
            EmailFolding::None,
            email_err(EmailProblem::EmptyDomainLabel),
        ),
        (
            "email",
            "jane@exa mple.com",
            None,
            EmailFolding::None,
            email_err(EmailProblem::WhitespaceInDomain),
        ),
        (
            "email",
            ".+news@gmail.com",
            None,
            EmailFolding::Gmail,
            email_err(EmailProblem::EmptyLocalPartAfterFolding),
        ),
        (
            "phone",
            "12-34-5",
            Some("US"),
            EmailFolding::None,
            IdentityError::TooFewDigits {
                kind: IdentifierKind::PHONE,
                digits: 5,
                min: PHONE_DIGITS_MIN,
            },
        ),
        (
            "phone",
            "n/a",
            None,
            EmailFolding::None,
            IdentityError::TooFewDigits {
                kind: IdentifierKind::PHONE,
                digits: 0,
                min: PHONE_DIGITS_MIN,
            },
        ),
        (
            "phone",
            "+1 415 555 0132",
            Some("XX"),
            EmailFolding::None,
            IdentityError::UnknownRegion {
                region: "XX".into(),
            },
        ),
        (
            "phone_digits",
            "415 555 O132",
            None,
            EmailFolding::None,
            IdentityError::InvalidCharacter {
                kind: IdentifierKind::PHONE_DIGITS,
                position: 8,
            },
        ),
        (
            "phone_digits",
            "12345",
            None,
            EmailFolding::None,
            IdentityError::TooFewDigits {
                kind: IdentifierKind::PHONE_DIGITS,
                digits: 5,
                min: PHONE_DIGITS_MIN,
            },
        ),
        (
            "salesforce_id",
            "003Qe00000AbCd",
            None,
            EmailFolding::None,
            IdentityError::SalesforceIdLength { len: 14 },
        ),
        (
            "salesforce_id",
            "003Qe00000AbCdEIA",
            None,
            EmailFolding::None,
            IdentityError::SalesforceIdLength { len: 17 },
        ),
        (
            "salesforce_id",
            "003Qe00000AbCdEIAW",
            None,
            EmailFolding::None,
            IdentityError::SalesforceIdChecksum,
        ),
        (
            "salesforce_id",
            "003Qe0000-AbCdE",
            None,
            EmailFolding::None,
            IdentityError::InvalidCharacter {
                kind: IdentifierKind::SALESFORCE_ID,
                position: 9,
            },
        ),
        (
            "crm_id",
            &too_long_id,
            None,
            EmailFolding::None,
            IdentityError::TooLong {
                kind: IdentifierKind::parse("crm_id").unwrap(),
                max: ID_MAX_CHARS,
            },
        ),
        (
            "crm_id",
            "ab\tcd",
            None,
            EmailFolding::None,
            IdentityError::ControlCharacter {
                kind: IdentifierKind::parse("crm_id").unwrap(),
                position: 2,
            },
        ),
    ];
    for (kind, raw, region, folding, expected) in cases {
        let result = normalise(kind, raw, &opts(region, folding));
        assert_eq!(result, Err(expected), "{kind} {raw:?}");
    }
}

/// Asserts that neither the error's `Display` nor its `Debug` shows the identifier or its digits.
fn assert_error_hides(err: &IdentityError, raw: &str) {
    let trimmed = raw.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(trimmed), "{shown:?} shows {trimmed:?}");
        assert!(
            !shown.to_lowercase().contains(&trimmed.to_lowercase()),
            "{shown:?} shows {trimmed:?}"
        );
        if digits.len() >= 4 {
            assert!(
                !shown.contains(&digits),
                "{shown:?} shows the digits of {trimmed:?}"
            );
        }
    }
}

#[test]
fn errors_never_contain_the_identifier() {
    let cases = [
        ("email", "secret.person@nodot"),
        ("email", "secret.person@@example.com"),
        ("email", "secret.person.example.com"),
        ("email", "secret\u{1}person@example.com"),
        ("phone", "98765"),
        ("phone", "9-8-7-6-5"),
        ("phone_digits", "98765x4321"),
        ("salesforce_id", "003Qe00000SeCrETZZZ"),
        ("salesforce_id", "003Qe00000SeCrEZZZ"),
        ("crm_id", &format!("SECRET{}", "9".repeat(ID_MAX_CHARS))),
    ];
    for (kind, raw) in cases {
        let err = normalise(kind, raw, &NormalisationOptions::default())
            .expect_err(&format!("{kind} {raw:?} should fail"));
        assert_error_hides(&err, raw);
    }
}

/// Normalises a result again with its own kind.
fn renormalise(id: &NormalisedIdentifier, o: &NormalisationOptions) -> NormalisedIdentifier {
    normalise(id.kind().as_str(), id.value(), o)
        .unwrap_or_else(|e| panic!("normalising {:?} again failed: {e}", id))
}

fn region_strategy() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(vec![
        "US", "GB", "DE", "FR", "IT", "JP", "BR", "IN", "AU", "NZ",
    ]))
    .prop_map(|r| r.map(str::to_owned))
}

fn folding_strategy() -> impl Strategy<Value = EmailFolding> {
    prop::sample::select(vec![EmailFolding::None, EmailFolding::Gmail])
}

proptest! {
    #[test]
    fn email_normalisation_is_idempotent(
        local in "[A-Za-z0-9.+_ÄéİK-]{1,20}",
        domain in prop::sample::select(vec!["Gmail.com", "googlemail.COM", "example.org", "Exämple.de", "a.b.c"]),
        pad in "[ \t]{0,2}",
        folding in folding_strategy(),
    ) {
        let o = opts(None, folding);
        let raw = format!("{pad}{local}@{domain}{pad}");
        if let Ok(first) = normalise("email", &raw, &o) {
            let second = renormalise(&first, &o);
            prop_assert_eq!(second.value(), first.value());
            prop_assert_eq!(second.kind(), first.kind());
            prop_assert!(!second.folded(), "folding an already folded address changed it");
        }
    }

    #[test]
    fn phone_normalisation_is_idempotent(
        prefix in prop::sample::select(vec!["", "+", "00", "0", "1", "+44 ", "+1 ", "+49-", "+39 0", "(", "+81 "]),
        digits in "[0-9]{4,13}",
        separator in prop::sample::select(vec!["", " ", "-", ".", ") "]),
        extension in prop::option::of("[0-9]{1,5}"),
        region in region_strategy(),
    ) {
        let o = NormalisationOptions { default_phone_region: region, ..Default::default() };
        let (head, tail) = digits.split_at(digits.len() / 2);
        let ext = extension.map(|e| format!(" ext {e}")).unwrap_or_default();
        let raw = format!("{prefix}{head}{separator}{tail}{ext}");
        if let Ok(first) = normalise("phone", &raw, &o) {
            let second = renormalise(&first, &o);
            prop_assert_eq!(second.value(), first.value());
            prop_assert_eq!(second.kind(), first.kind());
            prop_assert_eq!(second.extension(), None);
            if first.kind() == &IdentifierKind::PHONE {
                prop_assert!(first.value().starts_with('+'));
                prop_assert!(first.value().len() <= 16, "E.164 has at most 15 digits");
            } else {
                prop_assert!(first.unparsed_phone());
                prop_assert!(first.value().chars().all(|c| c.is_ascii_digit()));
            }
        }
    }

    #[test]
    fn salesforce_normalisation_is_idempotent_and_accepts_its_own_output_in_any_suffix_case(
        short in "[A-Za-z0-9]{15}",
    ) {
        let o = NormalisationOptions::default();
        let first = normalise("salesforce_id", &short, &o).unwrap();
        prop_assert_eq!(first.value().len(), 18);
        prop_assert_eq!(&first.value()[..15], short.as_str());
        let second = renormalise(&first, &o);
        prop_assert_eq!(second.value(), first.value());
        let lower_suffix = format!("{short}{}", first.value()[15..].to_lowercase());
        let third = normalise("salesforce_id", &lower_suffix, &o).unwrap();
        prop_assert_eq!(third.value(), first.value());
    }

    #[test]
    fn salesforce_suffix_detects_a_case_change_in_the_first_15(
        short in "[A-Za-z]{15}",
        at in 0usize..15,
    ) {
        let o = NormalisationOptions::default();
        let long = normalise("salesforce_id", &short, &o).unwrap();
        let mut flipped: Vec<char> = long.value().chars().collect();
        flipped[at] = if flipped[at].is_ascii_uppercase() {
            flipped[at].to_ascii_lowercase()
        } else {
            flipped[at].to_ascii_uppercase()
        };
        let flipped: String = flipped.into_iter().collect();
        prop_assert_eq!(normalise("salesforce_id", &flipped, &o), Err(IdentityError::SalesforceIdChecksum));
    }

    #[test]
    fn errors_never_contain_random_identifiers(
        kind in prop::sample::select(vec!["email", "phone", "phone_digits", "salesforce_id", "crm_id"]),
        raw in "[ -~\u{0}\u{7f}éİ]{10,80}",
        region in region_strategy(),
        folding in folding_strategy(),
    ) {
        prop_assume!(raw.trim().chars().count() >= 10);
        let o = NormalisationOptions { email_folding: folding, default_phone_region: region };
        if let Err(err) = normalise(kind, &raw, &o) {
            assert_error_hides(&err, &raw);
        }
    }
}
