//! Whether a subject may be processed for a purpose, from its consent ledger and its Art. 18 / 21 flags.

use cohort_policy::{LegalBasis, Purpose};
use cohort_store::SubjectView;

/// Why a subject is left out of processing for a purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Art. 18: processing restricted.
    Restricted,
    /// Consent purpose without a granted consent (none, withdrawn or refused).
    NoConsent,
    /// Legitimate-interest purpose and the subject objected (Art. 21).
    Objected,
}

/// `Ok(())` when the subject may be processed for `purpose`, else why not.
pub fn lawful_basis(subject: &SubjectView, purpose: &Purpose) -> Result<(), Exclusion> {
    let flags = subject.header.flags;
    if flags.restricted {
        return Err(Exclusion::Restricted);
    }
    if purpose.requires_consent() {
        return if subject.body.consents.is_granted(&purpose.id) {
            Ok(())
        } else {
            Err(Exclusion::NoConsent)
        };
    }
    if matches!(purpose.legal_basis, LegalBasis::LegitimateInterest) && flags.objected {
        return Err(Exclusion::Objected);
    }
    Ok(())
}
