//! The header row: which column holds the NPS answer, the response id, the submission time and who answered.
//!
//! Survey tools have no standard export (DOMAIN.md §5), so columns are recognised by common header names. The NPS
//! column is the one configured as `nps_column`, else the first whose header mentions "recommend" (the standard
//! NPS question, "How likely are you to recommend us?") or has "NPS" as a word. Every other column (free-text
//! comments in particular, which may hold anything a respondent typed) is ignored.

use cohort_plugin_kit::text::compact;

/// Compacted headers of the response id. `#` (Typeform's CSV) compacts to nothing and is matched as written.
const RESPONSE_ID: &[&str] = &["responseid", "id", "submissionid", "respondentid", "token"];

/// Compacted headers of the submission time.
const SUBMITTED: &[&str] = &[
    "submittedat",
    "submitted",
    "submitdate",
    "submitdateutc",
    "submittedon",
    "completedat",
    "completed",
    "enddate",
    "responsedate",
    "timestamp",
    "date",
];

/// Compacted headers of the email address.
const EMAIL: &[&str] = &["email", "emailaddress", "mail"];

/// Compacted headers of the shop's own customer id.
const CRM_ID: &[&str] = &["customerid", "crmid", "customernumber"];

/// Compacted headers of the site's account id.
const USER_ID: &[&str] = &["userid"];

/// The columns of one export.
#[derive(Debug)]
pub(crate) struct Columns {
    /// Number of columns in the header; every row must have as many.
    pub(crate) count: usize,
    /// The header names as written (trimmed).
    names: Vec<String>,
    /// The NPS answer.
    pub(crate) nps: usize,
    /// The response id, used as the event id.
    pub(crate) response_id: Option<usize>,
    /// The submission time.
    pub(crate) submitted: Option<usize>,
    /// Whether the submission time column says it is UTC (`Submit Date (UTC)`).
    pub(crate) submitted_utc: bool,
    /// The respondent's email.
    pub(crate) email: Option<usize>,
    /// The respondent's customer id.
    pub(crate) crm_id: Option<usize>,
    /// The respondent's account id.
    pub(crate) user_id: Option<usize>,
}

impl Columns {
    /// Reads the header row; fails when no column is the NPS question or none identifies a respondent.
    pub(crate) fn from_header(header: &[String], nps_column: Option<&str>) -> Result<Self, String> {
        let names: Vec<String> = header.iter().map(|name| name.trim().to_owned()).collect();
        let keys: Vec<String> = names.iter().map(|name| compact(name)).collect();
        let find = |candidates: &[&str]| keys.iter().position(|k| candidates.contains(&k.as_str()));
        let nps = match nps_column {
            Some(wanted) => names
                .iter()
                .position(|name| name.eq_ignore_ascii_case(wanted.trim()))
                .ok_or_else(|| format!("row 1: no column is headed `{wanted}` (the configured `nps_column`)"))?,
            None => names.iter().position(|name| is_nps_question(name)).ok_or(
                "row 1: no column looks like the NPS question (a header mentioning \"recommend\" or \"NPS\"); \
                 name it with `nps_column` in the connector configuration",
            )?,
        };
        let submitted = find(SUBMITTED);
        let columns = Self {
            count: header.len(),
            nps,
            response_id: find(RESPONSE_ID).or_else(|| names.iter().position(|name| name == "#")),
            submitted,
            submitted_utc: submitted.is_some_and(|column| keys[column].contains("utc")),
            email: find(EMAIL).or_else(|| keys.iter().position(|k| k.contains("email"))),
            crm_id: find(CRM_ID),
            user_id: find(USER_ID),
            names,
        };
        if columns.email.is_none() && columns.crm_id.is_none() && columns.user_id.is_none() {
            return Err(
                "row 1: no column identifies the respondent (an email, customer_id or user_id column)".into(),
            );
        }
        Ok(columns)
    }

    /// The header name of `column`, as written.
    pub(crate) fn name(&self, column: usize) -> &str {
        self.names.get(column).map_or("", String::as_str)
    }
}

/// Whether a header is the NPS question: it mentions "recommend", or has "NPS" as a word.
fn is_nps_question(header: &str) -> bool {
    let lower = header.to_lowercase();
    lower.contains("recommend")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word == "nps")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_domain_example_header() {
        let columns = Columns::from_header(
            &header(&[
                "response_id",
                "submitted_at",
                "email",
                "How likely are you to recommend us? (0-10)",
                "Comment",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            (
                columns.response_id,
                columns.submitted,
                columns.email,
                columns.nps
            ),
            (Some(0), Some(1), Some(2), 3)
        );
        assert!(!columns.submitted_utc);
    }

    #[test]
    fn typeform_style_headers() {
        let columns = Columns::from_header(
            &header(&[
                "#",
                "NPS score",
                "Your e-mail address",
                "Submit Date (UTC)",
                "user_id",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(columns.response_id, Some(0));
        assert_eq!(columns.nps, 1);
        assert_eq!(columns.email, Some(2));
        assert_eq!(columns.submitted, Some(3));
        assert!(columns.submitted_utc);
        assert_eq!(columns.user_id, Some(4));
    }

    #[test]
    fn the_nps_column_is_found_by_word_or_by_configuration() {
        // "snps" is not the word NPS.
        assert!(Columns::from_header(&header(&["email", "snps"]), None).is_err());
        let columns = Columns::from_header(&header(&["email", "Score"]), Some("score")).unwrap();
        assert_eq!(columns.nps, 1);
        assert!(Columns::from_header(&header(&["email", "Score"]), Some("Rating")).is_err());
        assert!(Columns::from_header(&header(&["NPS", "Comment"]), None).is_err());
    }
}
