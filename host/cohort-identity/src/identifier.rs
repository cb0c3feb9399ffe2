//! The result of normalisation: a kind, the canonical match value and what normalisation did to get there.
//!
//! The value is personal data, so `Debug` shows its length and never its content; only [`value`] hands it out,
//! for keyed hashing.
//!
//! [`value`]: NormalisedIdentifier::value

use std::fmt;

use crate::IdentifierKind;

/// An identifier in canonical match form, ready to be keyed-hashed together with its kind.
#[derive(Clone, PartialEq, Eq)]
pub struct NormalisedIdentifier {
    pub(crate) kind: IdentifierKind,
    pub(crate) value: String,
    pub(crate) extension: Option<String>,
    pub(crate) folded: bool,
    pub(crate) unparsed_phone: bool,
}

impl NormalisedIdentifier {
    /// Builds an identifier with no flags set.
    pub(crate) fn plain(kind: IdentifierKind, value: String) -> Self {
        Self {
            kind,
            value,
            extension: None,
            folded: false,
            unparsed_phone: false,
        }
    }

    /// The kind to hash with. A phone that could not be parsed comes back as [`IdentifierKind::PHONE_DIGITS`].
    pub fn kind(&self) -> &IdentifierKind {
        &self.kind
    }

    /// The canonical match value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The digits of a phone extension, kept apart from the match value so that the same line with and without an
    /// extension still matches.
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// Whether provider-specific email folding changed the address; the host records this on every merge it causes.
    pub fn folded(&self) -> bool {
        self.folded
    }

    /// Whether a phone value could not be parsed as a valid number and is matched on its digits alone.
    pub fn unparsed_phone(&self) -> bool {
        self.unparsed_phone
    }
}

impl fmt::Debug for NormalisedIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NormalisedIdentifier")
            .field("kind", &self.kind.as_str())
            .field(
                "value",
                &format_args!("<redacted, {} chars>", self.value.chars().count()),
            )
            .field("has_extension", &self.extension.is_some())
            .field("folded", &self.folded)
            .field("unparsed_phone", &self.unparsed_phone)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_value_or_extension() {
        let mut id = NormalisedIdentifier::plain(IdentifierKind::PHONE, "+14155550132".to_owned());
        id.extension = Some("9876".to_owned());
        let shown = format!("{id:?}");
        assert!(!shown.contains("4155550132"), "{shown}");
        assert!(!shown.contains("9876"), "{shown}");
        assert!(shown.contains("phone"), "{shown}");
    }
}
