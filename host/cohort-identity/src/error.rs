//! The crate's error type.
//!
//! **Invariant:** no message ever contains the raw or normalised identifier. Identifiers are personal data and the
//! host logs these errors, so a message names the kind and what is wrong (a position, a count, a limit) and nothing
//! of the value itself.

use crate::IdentifierKind;

/// Everything that can go wrong while normalising an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The kind name is not `[a-z][a-z0-9_]{0,31}`.
    #[error("identifier kind `{name}` is invalid: {reason}")]
    InvalidKind {
        /// The offending name (configuration, not personal data), shortened when very long.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Nothing is left after trimming.
    #[error("{kind} identifier is empty")]
    Empty {
        /// The identifier's kind.
        kind: IdentifierKind,
    },
    /// The trimmed value is longer than the kind allows.
    #[error("{kind} identifier is longer than {max} characters")]
    TooLong {
        /// The identifier's kind.
        kind: IdentifierKind,
        /// The limit in characters.
        max: usize,
    },
    /// The value contains a control character (after trimming).
    #[error("{kind} identifier contains a control character at character {position}")]
    ControlCharacter {
        /// The identifier's kind.
        kind: IdentifierKind,
        /// Zero-based character position in the trimmed value.
        position: usize,
    },
    /// The value is not a usable email address.
    #[error("email identifier {problem}")]
    InvalidEmail {
        /// What is wrong with it.
        problem: EmailProblem,
    },
    /// The configured default phone region is not an ISO 3166-1 alpha-2 code known to the phone metadata.
    #[error(
        "default phone region `{region}` is not an ISO 3166-1 alpha-2 region known to the phone number metadata"
    )]
    UnknownRegion {
        /// The configured region (configuration, not personal data), shortened when very long.
        region: String,
    },
    /// The phone value did not parse and has too few digits to be matched on its digits alone.
    #[error(
        "{kind} identifier has {digits} digits; at least {min} are needed to match on digits alone"
    )]
    TooFewDigits {
        /// The identifier's kind (`phone` or `phone_digits`).
        kind: IdentifierKind,
        /// How many digits it has.
        digits: usize,
        /// The minimum.
        min: usize,
    },
    /// A character that does not belong in the kind's canonical form.
    #[error("{kind} identifier contains a character that is not allowed at character {position}")]
    InvalidCharacter {
        /// The identifier's kind.
        kind: IdentifierKind,
        /// Zero-based character position in the trimmed value.
        position: usize,
    },
    /// A Salesforce id that is neither 15 nor 18 characters long.
    #[error("salesforce_id identifier has {len} characters; a Salesforce id has 15 or 18")]
    SalesforceIdLength {
        /// Its length in characters.
        len: usize,
    },
    /// An 18-character Salesforce id whose last three characters do not match its first fifteen.
    #[error(
        "salesforce_id identifier has 18 characters but its 3-character suffix does not match its first 15 \
         (the id was altered or mistyped)"
    )]
    SalesforceIdChecksum,
}

/// What is wrong with an email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailProblem {
    /// No `@`.
    #[error("has no `@`")]
    NoAt,
    /// More than one `@` (quoted local parts are not supported).
    #[error("has more than one `@`")]
    SeveralAt,
    /// Nothing before the `@`.
    #[error("has an empty local part")]
    EmptyLocalPart,
    /// Gmail folding left nothing of the local part (it was only dots and a `+tag`).
    #[error("has an empty local part after Gmail folding")]
    EmptyLocalPartAfterFolding,
    /// The domain has no dot.
    #[error("has a domain without a dot")]
    DomainWithoutDot,
    /// The domain starts or ends with a dot or has two dots in a row.
    #[error("has a domain with an empty label")]
    EmptyDomainLabel,
    /// The domain contains whitespace.
    #[error("has whitespace in its domain")]
    WhitespaceInDomain,
}
