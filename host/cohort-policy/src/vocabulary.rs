//! The fixed words of the policy format: legal bases, output kinds, attribute categories and the small switches.
//!
//! Each enum spells its values exactly as policy files do (`snake_case`) and knows the GDPR article it stands for,
//! so that `explain`, `diff` and diagnostics cite the same text.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A lawful basis for processing, Art. 6(1)(a)–(f).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(a): the data subject has given consent for this purpose.
    Consent,
    /// Art. 6(1)(b): necessary for a contract with the data subject.
    Contract,
    /// Art. 6(1)(c): necessary to comply with a legal obligation.
    LegalObligation,
    /// Art. 6(1)(d): necessary to protect someone's vital interests.
    VitalInterests,
    /// Art. 6(1)(e): a task in the public interest or in the exercise of official authority.
    PublicTask,
    /// Art. 6(1)(f): the controller's legitimate interests, after a balancing test; subjects may object (Art. 21).
    LegitimateInterest,
}

impl LegalBasis {
    /// Every legal basis, in the order of Art. 6(1).
    pub const ALL: [LegalBasis; 6] = [
        Self::Consent,
        Self::Contract,
        Self::LegalObligation,
        Self::VitalInterests,
        Self::PublicTask,
        Self::LegitimateInterest,
    ];

    /// The value as written in policy files, e.g. `legitimate_interest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Contract => "contract",
            Self::LegalObligation => "legal_obligation",
            Self::VitalInterests => "vital_interests",
            Self::PublicTask => "public_task",
            Self::LegitimateInterest => "legitimate_interest",
        }
    }

    /// The article that grants it, e.g. `Art. 6(1)(f)`.
    pub fn article(self) -> &'static str {
        match self {
            Self::Consent => "Art. 6(1)(a)",
            Self::Contract => "Art. 6(1)(b)",
            Self::LegalObligation => "Art. 6(1)(c)",
            Self::VitalInterests => "Art. 6(1)(d)",
            Self::PublicTask => "Art. 6(1)(e)",
            Self::LegitimateInterest => "Art. 6(1)(f)",
        }
    }

    /// The W3C Data Privacy Vocabulary term (`dpv:` = `https://w3id.org/dpv#`).
    pub fn dpv(self) -> &'static str {
        match self {
            Self::Consent => "dpv:Consent",
            Self::Contract => "dpv:Contract",
            Self::LegalObligation => "dpv:LegalObligation",
            Self::VitalInterests => "dpv:VitalInterest",
            Self::PublicTask => "dpv:PublicInterest",
            Self::LegitimateInterest => "dpv:LegitimateInterest",
        }
    }

    /// The DPV EU-GDPR legal-basis term (`eu-gdpr:` = `https://w3id.org/dpv/legal/eu/gdpr#`).
    pub fn eu_gdpr(self) -> &'static str {
        match self {
            Self::Consent => "eu-gdpr:A6-1-a",
            Self::Contract => "eu-gdpr:A6-1-b",
            Self::LegalObligation => "eu-gdpr:A6-1-c",
            Self::VitalInterests => "eu-gdpr:A6-1-d",
            Self::PublicTask => "eu-gdpr:A6-1-e",
            Self::LegitimateInterest => "eu-gdpr:A6-1-f",
        }
    }

    /// A plain-language name for records read by people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Contract => "performance of a contract",
            Self::LegalObligation => "legal obligation",
            Self::VitalInterests => "vital interests",
            Self::PublicTask => "public task or official authority",
            Self::LegitimateInterest => "legitimate interests",
        }
    }
}

/// What a purpose may release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outputs {
    /// Only thresholded aggregates: counts and sums over groups of at least `min_group_size` subjects.
    AggregateOnly,
    /// Membership lists naming subjects, for subjects with a granted consent only.
    PerSubject,
}

impl Outputs {
    /// The value as written in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AggregateOnly => "aggregate_only",
            Self::PerSubject => "per_subject",
        }
    }
}

/// The category of a declared attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// An identifier kind used for matching (email, phone, CRM id); kept only as a keyed hash, and encrypted for
    /// consented exports.
    Identifier,
    /// Ordinary personal data (Art. 4(1)).
    Personal,
    /// A special category of personal data (Art. 9(1)): health, ethnicity, beliefs, sex life, and the like.
    Special,
    /// Data derived from other data, e.g. a segment a plugin computed.
    Derived,
}

impl Category {
    /// The value as written in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identifier => "identifier",
            Self::Personal => "personal",
            Self::Special => "special",
            Self::Derived => "derived",
        }
    }
}

/// How email addresses are folded before matching.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailFolding {
    /// Trim and lower-case only.
    #[default]
    None,
    /// Also drop dots and `+tag` in Gmail local parts and treat `googlemail.com` as `gmail.com`.
    Gmail,
}

impl EmailFolding {
    /// The value as written in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gmail => "gmail",
        }
    }
}

/// Whether an erased person may come back through a later import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reimport {
    /// Never: the suppressed identifier hashes block every later import (Art. 17).
    #[default]
    Never,
    /// Only with a consent grant dated after the erasure.
    WithNewConsent,
}

impl Reimport {
    /// The value as written in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::WithNewConsent => "with_new_consent",
        }
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(LegalBasis, Outputs, Category, EmailFolding, Reimport);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_bases_spell_like_policy_files_and_cite_their_letter() {
        for (basis, letter) in LegalBasis::ALL
            .into_iter()
            .zip(['a', 'b', 'c', 'd', 'e', 'f'])
        {
            let json = serde_json::to_string(&basis).unwrap();
            assert_eq!(json, format!("\"{}\"", basis.as_str()));
            assert_eq!(basis.article(), format!("Art. 6(1)({letter})"));
            assert_eq!(basis.eu_gdpr(), format!("eu-gdpr:A6-1-{letter}"));
            assert!(basis.dpv().starts_with("dpv:"));
        }
    }
}
