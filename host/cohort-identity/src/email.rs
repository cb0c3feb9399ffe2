//! Email addresses: trimmed and lowercased as a whole, with optional Gmail folding.
//!
//! RFC 5321 calls the local part case-sensitive but providers fold case and senders do not rely on it, so the
//! whole address is lowercased. Only the shape needed for a useful match key is checked (one `@`, a local part, a
//! dotted domain); this is not an RFC 5322 validator, and quoted local parts containing `@` are refused.

use crate::text::{EMAIL_MAX_CHARS, prepare};
use crate::{EmailFolding, EmailProblem, IdentifierKind, IdentityError, NormalisedIdentifier};

/// Domains whose mailboxes ignore dots and `+tag`s in the local part.
const GMAIL_DOMAINS: &[&str] = &["gmail.com", "googlemail.com"];

/// The domain Gmail folding writes for every [`GMAIL_DOMAINS`] entry.
const GMAIL_CANONICAL_DOMAIN: &str = "gmail.com";

/// Normalises an email address.
pub(crate) fn normalise_email(
    raw: &str,
    folding: EmailFolding,
) -> Result<NormalisedIdentifier, IdentityError> {
    let kind = IdentifierKind::EMAIL;
    let lowered = prepare(&kind, raw, EMAIL_MAX_CHARS)?.to_lowercase();
    let invalid = |problem| IdentityError::InvalidEmail { problem };

    let Some((local, domain)) = lowered.split_once('@') else {
        return Err(invalid(EmailProblem::NoAt));
    };
    if domain.contains('@') {
        return Err(invalid(EmailProblem::SeveralAt));
    }
    if local.is_empty() {
        return Err(invalid(EmailProblem::EmptyLocalPart));
    }
    if domain.chars().any(char::is_whitespace) {
        return Err(invalid(EmailProblem::WhitespaceInDomain));
    }
    if !domain.contains('.') {
        return Err(invalid(EmailProblem::DomainWithoutDot));
    }
    if domain.split('.').any(str::is_empty) {
        return Err(invalid(EmailProblem::EmptyDomainLabel));
    }

    let (local, domain, folded) = match folding {
        EmailFolding::Gmail if GMAIL_DOMAINS.contains(&domain) => {
            let folded_local = fold_gmail_local(local);
            if folded_local.is_empty() {
                return Err(invalid(EmailProblem::EmptyLocalPartAfterFolding));
            }
            let changed = folded_local != local || domain != GMAIL_CANONICAL_DOMAIN;
            (folded_local, GMAIL_CANONICAL_DOMAIN, changed)
        }
        EmailFolding::Gmail | EmailFolding::None => (local.to_owned(), domain, false),
    };

    let value = format!("{local}@{domain}");
    // Lowercasing can lengthen a string (`İ` becomes two characters), so the limit is checked again on the result;
    // otherwise normalising the output a second time could fail.
    if value.chars().nth(EMAIL_MAX_CHARS).is_some() {
        return Err(IdentityError::TooLong {
            kind,
            max: EMAIL_MAX_CHARS,
        });
    }
    let mut id = NormalisedIdentifier::plain(kind, value);
    id.folded = folded;
    Ok(id)
}

/// Drops everything from the first `+` and every dot.
fn fold_gmail_local(local: &str) -> String {
    let untagged = local.split('+').next().unwrap_or_default();
    untagged.chars().filter(|&c| c != '.').collect()
}
