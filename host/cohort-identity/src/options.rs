//! Per-workspace normalisation settings: opt-in email folding and the default region for national phone numbers.

/// How a workspace normalises identifiers. The default folds nothing and knows no phone region.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NormalisationOptions {
    /// Provider-specific email folding; off unless the workspace opts in, because it merges addresses that
    /// other providers treat as different mailboxes.
    pub email_folding: EmailFolding,
    /// ISO 3166-1 alpha-2 region (`US`, `GB`, ...) for phone numbers written without a country code, typically the
    /// source's portal country. Without it such numbers are matched on their digits alone, never on a guess.
    pub default_phone_region: Option<String>,
}

/// Which provider rules fold email local parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailFolding {
    /// Only trimming and lowercasing.
    #[default]
    None,
    /// For `gmail.com` and `googlemail.com`: drop dots and any `+tag` from the local part and write the domain as
    /// `gmail.com`, because Gmail delivers all of these spellings to the same mailbox.
    Gmail,
}
