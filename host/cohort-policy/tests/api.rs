//! The questions the rest of the host asks a policy, answered for the shipped example and small inline policies.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cohort_policy::{
    AttributeDisposition, Category, Effect, Generalisation, LegalBasis, Policy, PolicyError, diff,
    explain_markdown, load_policy, parse_policy,
};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/example-retail.yaml")
}

fn example() -> Policy {
    load_policy(&example_path()).expect("the example policy loads")
}

fn example_text() -> String {
    std::fs::read_to_string(example_path()).expect("the example policy is readable")
}

/// A small valid policy; `extra_attributes` and `purpose_attributes` vary the minimisation cases.
fn small_policy(extra_attributes: &str, purpose_attributes: &str) -> Policy {
    let text = format!(
        "policy: small\nversion: 1\ncontroller: {{ name: Small Ltd }}\npurposes:\n  - id: analytics\n    \
         description: stats\n    legal_basis: contract\n    attributes: [{purpose_attributes}]\n    \
         event_types: [order_completed]\n    outputs: aggregate_only\nattributes:\n  email: {{ category: identifier }}\n\
         {extra_attributes}events:\n  order_completed: {{ properties: [revenue] }}\n  page_viewed: {{ properties: [path] }}\n\
         aggregates: {{ min_group_size: 5, min_export_size: 5 }}\nretention: {{ events_days: 30, inactive_profile_days: 30 }}\n"
    );
    parse_policy("small.yaml", &text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn keep(
    stored_name: &str,
    generalisation: Option<Generalisation>,
    category: Category,
) -> AttributeDisposition {
    AttributeDisposition::Keep {
        stored_name: stored_name.to_owned(),
        generalisation,
        category,
    }
}

#[test]
fn attribute_disposition_on_the_example_policy() {
    let policy = example();
    let cases = [
        ("country", keep("country", None, Category::Personal)),
        ("first_name", keep("first_name", None, Category::Personal)),
        (
            "birth_date",
            keep(
                "age_band",
                Some(Generalisation::AgeBand),
                Category::Personal,
            ),
        ),
        (
            "postcode",
            keep(
                "postcode_prefix",
                Some(Generalisation::PostcodePrefix),
                Category::Personal,
            ),
        ),
        (
            "signup_date",
            keep(
                "year_month",
                Some(Generalisation::YearMonth),
                Category::Personal,
            ),
        ),
        ("email", AttributeDisposition::IsIdentifier),
        ("crm_id", AttributeDisposition::IsIdentifier),
        ("health_status", AttributeDisposition::DropNotAllowed),
        ("health_", AttributeDisposition::DropNotAllowed),
        ("salary", AttributeDisposition::DropNotListed),
        // A source sending the generalised name directly is not declared, so it is dropped.
        ("age_band", AttributeDisposition::DropNotListed),
        ("healthy", AttributeDisposition::DropNotListed),
    ];
    for (name, expected) in cases {
        assert_eq!(policy.attribute_disposition(name), expected, "{name}");
    }
}

#[test]
fn attribute_disposition_with_patterns_and_unused_declarations() {
    let policy = small_policy(
        "  city: { category: personal }\n  interest_*: { category: personal }\n  \
         interest_medical_*: { category: special, allowed: false }\n",
        "interest_golf",
    );
    assert_eq!(
        policy.attribute_disposition("interest_golf"),
        keep("interest_golf", None, Category::Personal)
    );
    // Matched by a pattern, but no purpose uses it: minimisation drops it.
    assert_eq!(
        policy.attribute_disposition("interest_chess"),
        AttributeDisposition::DropNotListed
    );
    // The longer refused pattern wins over the shorter permitted one.
    assert_eq!(
        policy.attribute_disposition("interest_medical_diabetes"),
        AttributeDisposition::DropNotAllowed
    );
    // Declared, but no purpose uses it.
    assert_eq!(
        policy.attribute_disposition("city"),
        AttributeDisposition::DropNotListed
    );
}

#[test]
fn identifiers_and_contact_kinds() {
    let policy = example();
    for kind in ["email", "phone", "crm_id", "anonymous_id", "user_id"] {
        assert!(policy.identifier_allowed(kind), "{kind}");
    }
    for kind in ["country", "health_id", "passport", ""] {
        assert!(!policy.identifier_allowed(kind), "{kind}");
    }
    let expected: BTreeSet<String> = ["email", "user_id"].map(String::from).into();
    assert_eq!(policy.contact_identifier_kinds(), expected);
}

#[test]
fn events_and_their_properties() {
    let policy = example();
    assert!(policy.event_allowed("order_completed"));
    assert!(policy.event_allowed("survey_answered"));
    assert!(!policy.event_allowed("refund"));
    assert!(policy.event_property_allowed("order_completed", "revenue"));
    assert!(policy.event_property_allowed("page_viewed", "referrer"));
    assert!(!policy.event_property_allowed("order_completed", "coupon"));
    assert!(!policy.event_property_allowed("refund", "revenue"));

    // Declared but used by no purpose: not stored.
    let small = small_policy("", "");
    assert!(small.event_allowed("order_completed"));
    assert!(!small.event_allowed("page_viewed"));
    assert!(!small.event_property_allowed("page_viewed", "path"));
}

#[test]
fn purposes_and_their_bases() {
    let policy = example();
    let ids: Vec<&str> = policy.purposes().iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["analytics", "email_marketing", "personalisation"]);
    let analytics = policy.purpose("analytics").unwrap();
    assert_eq!(analytics.legal_basis, LegalBasis::LegitimateInterest);
    assert!(!analytics.requires_consent());
    assert!(analytics.legitimate_interest_assessment.is_some());
    assert!(
        policy
            .purpose("email_marketing")
            .unwrap()
            .requires_consent()
    );
    assert!(policy.purpose("marketing").is_none());
    assert!(policy.plugins().is_allowed("rfm", "email_marketing"));
    assert!(!policy.plugins().is_allowed("rfm", "personalisation"));
    assert_eq!(
        policy.identity().default_phone_region.as_deref(),
        Some("DE")
    );
}

#[test]
fn sha256_covers_the_exact_bytes() {
    let text = example_text();
    let policy = parse_policy("a.yaml", &text).unwrap();
    let expected = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    assert_eq!(policy.sha256_hex(), hex::encode(expected));
    assert_eq!(policy.sha256_hex().len(), 64);
    // A comment changes nothing the policy allows, but it changes the file an auditor signed.
    let commented = parse_policy("a.yaml", &format!("{text}# reviewed\n")).unwrap();
    assert_ne!(commented.sha256_hex(), policy.sha256_hex());
    assert!(diff(&policy, &commented).is_empty());
}

#[test]
fn explain_lists_every_purpose_with_its_article() {
    let policy = example();
    let record = explain_markdown(&policy);
    assert!(record.contains("Art. 30(1)"));
    assert!(record.contains("Example Retail GmbH"));
    assert!(record.contains(policy.sha256_hex()));
    for purpose in policy.purposes() {
        assert!(
            record.contains(&format!("### Purpose `{}`", purpose.id)),
            "{}",
            purpose.id
        );
        assert!(record.contains(&purpose.description));
    }
    for basis in [LegalBasis::Consent, LegalBasis::LegitimateInterest] {
        assert!(record.contains(basis.article()), "{}", basis.article());
        assert!(record.contains(basis.dpv()), "{}", basis.dpv());
    }
    assert!(record.contains("`age_band` (personal; generalised on ingest from `birth_date`)"));
    assert!(record.contains("`birth_date` stored as `age_band`"));
    assert!(
        record.contains("`health_*` (special)"),
        "refused categories are listed"
    );
    assert!(record.contains("395 days"));
    assert!(record.contains("under 50 subjects"));
    assert!(record.contains("epsilon 0.5 per query"));
}

#[test]
fn load_policy_reports_io_encoding_and_size_problems() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    assert!(matches!(load_policy(&missing), Err(PolicyError::Io { .. })));

    let latin1 = dir.path().join("latin1.yaml");
    std::fs::write(
        &latin1,
        b"policy: a\nversion: 1\ncontroller: { name: M\xfcller }\n",
    )
    .unwrap();
    let error = load_policy(&latin1).unwrap_err();
    assert_eq!(error.diagnostics()[0].line, Some(3));
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:3: ", latin1.display())),
        "{error}"
    );

    let huge = dir.path().join("huge.yaml");
    std::fs::write(&huge, vec![b'#'; cohort_policy::MAX_POLICY_BYTES + 1]).unwrap();
    let error = load_policy(&huge).unwrap_err();
    assert!(error.to_string().contains("larger than"), "{error}");
}

/// Applies a textual edit to the example policy and returns the effects at each changed path.
fn effects_of(from: &str, to: &str) -> Vec<(String, Effect)> {
    let text = example_text();
    assert!(
        text.contains(from),
        "the example no longer contains {from:?}"
    );
    let old = parse_policy("old.yaml", &text).expect("the example policy loads");
    let new = parse_policy(
        "new.yaml",
        &text
            .replacen(from, to, 1)
            .replacen("version: 1", "version: 2", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let result = diff(&old, &new);
    result
        .changes
        .into_iter()
        .filter(|c| c.path != "/version")
        .map(|c| (c.path, c.effect))
        .collect()
}

#[test]
fn diff_directions() {
    use Effect::{Narrows, Neutral, Widens};
    /// Name, text replaced, replacement, expected (path, effect) pairs.
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, Effect)]);
    let cases: &[Case<'_>] = &[
        (
            "retention longer widens",
            "events_days: 395",
            "events_days: 400",
            &[("/retention/events_days", Widens)],
        ),
        (
            "retention shorter narrows",
            "inactive_profile_days: 1095",
            "inactive_profile_days: 365",
            &[("/retention/inactive_profile_days", Narrows)],
        ),
        (
            "lower k widens",
            "min_group_size: 50",
            "min_group_size: 20",
            &[("/aggregates/min_group_size", Widens)],
        ),
        (
            "higher export size narrows",
            "min_export_size: 100",
            "min_export_size: 200",
            &[("/aggregates/min_export_size", Narrows)],
        ),
        (
            "higher epsilon widens",
            "epsilon_per_query: 0.5",
            "epsilon_per_query: 1.0",
            &[("/aggregates/differential_privacy/epsilon_per_query", Widens)],
        ),
        (
            "lower daily budget narrows",
            "budget_per_day: 5.0",
            "budget_per_day: 4.0",
            &[("/aggregates/differential_privacy/budget_per_day", Narrows)],
        ),
        (
            "removing the monthly cap widens",
            "    budget_per_month: 50.0\n",
            "",
            &[("/aggregates/differential_privacy/budget_per_month", Widens)],
        ),
        (
            "removing differential privacy widens",
            "  differential_privacy:                     # noise on counts, charged to a budget per requester\n    \
             epsilon_per_query: 0.5\n    budget_per_day: 5.0\n    budget_per_month: 50.0\n",
            "",
            &[("/aggregates/differential_privacy", Widens)],
        ),
        (
            "attribute added to a purpose widens",
            "attributes: [country, first_name,",
            "attributes: [country, city, first_name,",
            &[("/purposes/email_marketing/attributes", Widens)],
        ),
        (
            "event type removed from a purpose narrows",
            "event_types: [order_completed, email_opened]",
            "event_types: [order_completed]",
            &[("/purposes/email_marketing/event_types", Narrows)],
        ),
        (
            "per-subject to aggregate narrows and drops the contact identifiers",
            "    outputs: per_subject\n    contact_identifiers: [user_id]\n",
            "    outputs: aggregate_only\n",
            &[
                ("/purposes/personalisation/outputs", Narrows),
                ("/purposes/personalisation/contact_identifiers", Narrows),
            ],
        ),
        (
            "a contact identifier added widens",
            "contact_identifiers: [email]",
            "contact_identifiers: [email, phone]",
            &[("/purposes/email_marketing/contact_identifiers", Widens)],
        ),
        (
            "a move to consent narrows",
            "    legal_basis: legitimate_interest        # Art. 6(1)(f); data subjects may object (Art. 21)\n    \
             legitimate_interest_assessment: \"LIA-2026-01: segment statistics over groups of 50 or more customers\"\n",
            "    legal_basis: consent\n",
            &[
                ("/purposes/analytics/legal_basis", Narrows),
                (
                    "/purposes/analytics/legitimate_interest_assessment",
                    Neutral,
                ),
            ],
        ),
        (
            "a purpose removed narrows, and its plugin allows with it",
            "    - { plugin: rfm, purposes: [analytics, email_marketing] }\n",
            "",
            &[("/plugins/allow/rfm", Narrows)],
        ),
        (
            "lifting a refusal widens",
            "health_*: { category: special, allowed: false }",
            "health_*: { category: special, allowed: true }",
            &[("/attributes/health_*/allowed", Widens)],
        ),
        (
            // Kept under the same stored name so that the purposes still resolve.
            "a generalisation revealing more of the date widens",
            "birth_date: { category: personal, store_as: age_band }",
            "birth_date: { category: personal, store_as: birth_year, stored_name: age_band }",
            &[("/attributes/birth_date/store_as", Widens)],
        ),
        (
            "an event property removed narrows",
            "properties: [order_id, revenue, currency, items]",
            "properties: [order_id, revenue, currency]",
            &[("/events/order_completed/properties", Narrows)],
        ),
        (
            "re-import becoming stricter narrows",
            "reimport: with_new_consent",
            "reimport: never",
            &[("/erasure/reimport", Narrows)],
        ),
        (
            "gmail folding widens",
            "email_folding: none",
            "email_folding: gmail",
            &[("/identity/email_folding", Widens)],
        ),
        (
            "a trusted publisher added widens",
            "trusted_publishers: []",
            "trusted_publishers: [ { name: acme, key: \"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\" } ]",
            &[("/plugins/trusted_publishers/acme", Widens)],
        ),
        (
            "a new wording is neutral",
            "Newsletters and offers by email",
            "Newsletters and vouchers by email",
            &[("/purposes/email_marketing/description", Neutral)],
        ),
    ];
    for (name, from, to, expected) in cases {
        let actual = effects_of(from, to);
        let expected: Vec<(String, Effect)> = expected
            .iter()
            .map(|(p, e)| ((*p).to_owned(), *e))
            .collect();
        assert_eq!(actual, expected, "{name}");
    }
}

#[test]
fn a_removed_purpose_narrows_and_an_added_one_widens() {
    let text = example_text();
    let start = text.find("  # Personalisation has to reach").unwrap();
    let end = text.find("# Art. 5(1)(c) minimisation: anything").unwrap();
    let without = text[..start].to_owned() + &text[end..];
    let with_all = parse_policy("old.yaml", &text).unwrap();
    let without = parse_policy("new.yaml", &without).unwrap();
    let removed = diff(&with_all, &without);
    assert!(
        removed
            .changes
            .iter()
            .any(|c| c.path == "/purposes/personalisation" && c.effect == Effect::Narrows)
    );
    assert!(!removed.widens());
    let added = diff(&without, &with_all);
    assert!(added.widens());
    let markdown = added.to_markdown();
    assert!(markdown.contains("## Widens"));
    assert!(markdown.contains("`/purposes/personalisation`: purpose `personalisation` added"));
    assert!(
        markdown.contains("the version should increase"),
        "same version on both sides: {markdown}"
    );
}

#[test]
fn diff_serialises_for_scripts() {
    let old = example();
    let new = parse_policy(
        "new.yaml",
        &example_text().replace("events_days: 395", "events_days: 30"),
    )
    .unwrap();
    let json = serde_json::to_value(diff(&old, &new)).unwrap();
    assert_eq!(json["changes"][0]["path"], "/retention/events_days");
    assert_eq!(json["changes"][0]["effect"], "narrows");
    assert_eq!(json["old"]["version"], 1);
}
