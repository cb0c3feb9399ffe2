//! Identifier kind names: the validated label that says what an identifier is (`email`, `phone`, `crm_id`, ...).
//!
//! The kind is part of the keyed-hash input, so two kinds must never be confused: a kind can only be built from a
//! name that passes [`IdentifierKind::parse`] or from one of the well-known constants.

use std::borrow::Cow;
use std::fmt;

use crate::IdentityError;

/// Longest kind name in characters. Kind names are short labels used in policies and plugin manifests; 32 is
/// room for names like `salesforce_contact_id` while keeping the hash input and log lines short.
pub const KIND_MAX_CHARS: usize = 32;

/// The name of an identifier kind: `[a-z][a-z0-9_]{0,31}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdentifierKind(Cow<'static, str>);

impl IdentifierKind {
    /// An email address, matched on its lowercased (and optionally Gmail-folded) form.
    pub const EMAIL: IdentifierKind = IdentifierKind(Cow::Borrowed("email"));
    /// A phone number that parsed as a valid number, matched on its E.164 form.
    pub const PHONE: IdentifierKind = IdentifierKind(Cow::Borrowed("phone"));
    /// A phone number that could not be parsed, matched on its digits alone.
    pub const PHONE_DIGITS: IdentifierKind = IdentifierKind(Cow::Borrowed("phone_digits"));
    /// A Salesforce record id, matched on its 18-character form.
    pub const SALESFORCE_ID: IdentifierKind = IdentifierKind(Cow::Borrowed("salesforce_id"));

    /// Checks a kind name and returns it as a kind.
    pub fn parse(name: &str) -> Result<Self, IdentityError> {
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if name.chars().count() > KIND_MAX_CHARS {
            Some("it is longer than 32 characters")
        } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            Some("it must start with a lowercase ASCII letter")
        } else if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            Some("it may only contain lowercase ASCII letters, digits and `_`")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(IdentityError::InvalidKind {
                name: shorten_for_message(name),
                reason,
            }),
            None => Ok(Self::known(name).unwrap_or_else(|| Self(Cow::Owned(name.to_owned())))),
        }
    }

    /// The kind's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the constant for a well-known name, so that comparisons with the constants are cheap and clear.
    fn known(name: &str) -> Option<Self> {
        [
            Self::EMAIL,
            Self::PHONE,
            Self::PHONE_DIGITS,
            Self::SALESFORCE_ID,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// Kind names are configuration, not personal data, so they may appear in messages; an invalid one is cut short so
/// that a garbage argument cannot flood a log line.
fn shorten_for_message(name: &str) -> String {
    const SHOWN_CHARS: usize = KIND_MAX_CHARS + 8;
    let mut shown: String = name.chars().take(SHOWN_CHARS).collect();
    if name.chars().count() > SHOWN_CHARS {
        shown.push('…');
    }
    shown
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentifierKind({})", self.0)
    }
}

impl std::str::FromStr for IdentifierKind {
    type Err = IdentityError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse(name)
    }
}

impl TryFrom<String> for IdentifierKind {
    type Error = IdentityError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name)
    }
}

impl From<IdentifierKind> for String {
    fn from(kind: IdentifierKind) -> String {
        kind.0.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_names() {
        for name in [
            "email",
            "crm_id",
            "a",
            "hubspot_id",
            "x1_2",
            &"a".repeat(KIND_MAX_CHARS),
        ] {
            let kind = IdentifierKind::parse(name).unwrap();
            assert_eq!(kind.as_str(), name);
        }
    }

    #[test]
    fn well_known_names_equal_the_constants() {
        assert_eq!(
            IdentifierKind::parse("email").unwrap(),
            IdentifierKind::EMAIL
        );
        assert_eq!(
            IdentifierKind::parse("phone").unwrap(),
            IdentifierKind::PHONE
        );
        assert_eq!(
            IdentifierKind::parse("phone_digits").unwrap(),
            IdentifierKind::PHONE_DIGITS
        );
        assert_eq!(
            IdentifierKind::parse("salesforce_id").unwrap(),
            IdentifierKind::SALESFORCE_ID
        );
    }

    #[test]
    fn rejects_invalid_names_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("Email", "start with a lowercase"),
            ("1email", "start with a lowercase"),
            ("_id", "start with a lowercase"),
            ("crm-id", "may only contain"),
            ("crm id", "may only contain"),
            ("crmÏd", "may only contain"),
            (&"a".repeat(KIND_MAX_CHARS + 1), "longer than 32"),
        ];
        for (name, expected) in cases {
            let err = IdentifierKind::parse(name).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(expected), "{name:?}: {message}");
        }
    }

    #[test]
    fn long_invalid_names_are_cut_short_in_messages() {
        let name = "A".repeat(10_000);
        let message = IdentifierKind::parse(&name).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn serde_round_trip_validates() {
        let kind: IdentifierKind = serde_json_like_parse("crm_id").unwrap();
        assert_eq!(kind.as_str(), "crm_id");
        assert!(serde_json_like_parse("Bad Kind").is_err());
    }

    /// Deserialises through serde's `String` path without pulling a format crate into this crate's dependencies.
    fn serde_json_like_parse(name: &str) -> Result<IdentifierKind, String> {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StringDeserializer};
        let deserializer: StringDeserializer<Error> = name.to_owned().into_deserializer();
        IdentifierKind::deserialize(deserializer).map_err(|e| e.to_string())
    }
}
