//! Normalises raw identifiers (email, phone, CRM ids) into the canonical form that is keyed-hashed for matching.
//!
//! This crate owns one step: a raw identifier of a given kind in, its canonical match form out. It never hashes,
//! stores or logs anything; the host keyed-hashes the result (see `cohort-crypto`'s pseudonyms).
//!
//! - [`kind`]: validated kind names and the well-known kinds.
//! - `email`, `phone`, `salesforce` (private modules): the per-kind rules; every
//!   other kind (`crm_id`, `user_id`, `anonymous_id`, ...) is an opaque, case-sensitive id that is only trimmed.
//! - [`error`]: errors that name the kind and the problem but never contain the identifier.

mod email;
pub mod error;
mod identifier;
pub mod kind;
mod options;
mod phone;
mod salesforce;
mod text;

pub use error::{EmailProblem, IdentityError};
pub use identifier::NormalisedIdentifier;
pub use kind::{IdentifierKind, KIND_MAX_CHARS};
pub use options::{EmailFolding, NormalisationOptions};
pub use phone::PHONE_DIGITS_MIN;
pub use text::{EMAIL_MAX_CHARS, ID_MAX_CHARS, PHONE_MAX_CHARS};

/// Turns `raw`, an identifier of kind `kind`, into its canonical match form.
///
/// Every value is trimmed and must be non-empty, within its kind's length limit and free of control characters.
/// Emails are lowercased (and Gmail-folded when `opts` asks for it); phones become E.164, or their digits under
/// [`IdentifierKind::PHONE_DIGITS`] when they do not parse; Salesforce ids become their 18-character form; any
/// other kind keeps its case. Normalising the result again with its own kind gives the same value.
pub fn normalise(
    kind: &str,
    raw: &str,
    opts: &NormalisationOptions,
) -> Result<NormalisedIdentifier, IdentityError> {
    let kind = IdentifierKind::parse(kind)?;
    if kind == IdentifierKind::EMAIL {
        email::normalise_email(raw, opts.email_folding)
    } else if kind == IdentifierKind::PHONE {
        phone::normalise_phone(raw, opts)
    } else if kind == IdentifierKind::PHONE_DIGITS {
        phone::normalise_phone_digits(raw)
    } else if kind == IdentifierKind::SALESFORCE_ID {
        salesforce::normalise_salesforce_id(raw)
    } else {
        let value = text::prepare(&kind, raw, ID_MAX_CHARS)?.to_owned();
        Ok(NormalisedIdentifier::plain(kind, value))
    }
}
