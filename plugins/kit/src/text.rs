//! Small text rules the connectors share: header keys, snake_case names and yes/no values.

/// A header or name reduced to lowercase letters and digits: `Mailing Zip/Postal Code` and `MailingPostalCode`
/// differ, but `Email Opt Out`, `email_opt_out` and `EmailOptOut` all become `emailoptout`.
pub fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A label as a snake_case name: lowercase, each run of other characters one `_`, none at either end.
/// `Marketing Qualified Lead` becomes `marketing_qualified_lead`, `Working - Contacted` `working_contacted`.
pub fn snake_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// A yes/no value as exports and Salesforce's Data Loader write it: `yes`, `y`, `true`, `on`, `1` and `no`, `n`,
/// `false`, `off`, `0`, in any case. `None` for anything else (an empty cell is the caller's business).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "on" | "1" => Some(true),
        "no" | "n" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The text trimmed, or `None` when nothing is left.
pub fn non_empty(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_snake_case() {
        assert_eq!(compact("Mailing Zip/Postal Code"), "mailingzippostalcode");
        assert_eq!(compact("HasOptedOutOfEmail"), "hasoptedoutofemail");
        assert_eq!(
            snake_case(" Marketing Qualified Lead "),
            "marketing_qualified_lead"
        );
        assert_eq!(snake_case("Working - Contacted"), "working_contacted");
        assert_eq!(snake_case("Über-Kunde!"), "über_kunde");
        assert_eq!(snake_case("--"), "");
    }

    #[test]
    fn yes_no_values() {
        for yes in ["yes", "Y", "TRUE", "on", "1", " true "] {
            assert_eq!(parse_bool(yes), Some(true), "{yes}");
        }
        for no in ["no", "N", "False", "off", "0"] {
            assert_eq!(parse_bool(no), Some(false), "{no}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool(""), None);
    }
}
