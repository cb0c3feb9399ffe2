//! The header row: which column holds which HubSpot property, found by its label.
//!
//! HubSpot exports name columns by property label, and the user picks the columns, so every column is optional
//! and looked up by label, ignoring case and extra spaces. When a label appears twice, the first column wins.

/// The properties this connector reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Property {
    RecordId,
    Email,
    Phone,
    Mobile,
    FirstName,
    LastName,
    LifecycleStage,
    CreateDate,
    CustomerSince,
    Country,
    State,
    City,
    PostalCode,
    BirthDate,
    Company,
    Unsubscribed,
    LegalBasis,
    LastModified,
    LoyaltyTier,
    PreferredChannel,
    Interest,
}

/// Labels of each property, lowercase with single spaces. "Contact ID" as the id header is unverified
/// (DOMAIN.md §2) and accepted beside "Record ID"; the last three are custom properties a shop commonly adds.
const LABELS: &[(Property, &[&str])] = &[
    (
        Property::RecordId,
        &["record id", "contact id", "hubspot id"],
    ),
    (Property::Email, &["email", "email address"]),
    (Property::Phone, &["phone number", "phone"]),
    (Property::Mobile, &["mobile phone number", "mobile phone"]),
    (Property::FirstName, &["first name"]),
    (Property::LastName, &["last name"]),
    (Property::LifecycleStage, &["lifecycle stage"]),
    (Property::CreateDate, &["create date", "created date"]),
    (Property::CustomerSince, &["became a customer date"]),
    (Property::Country, &["country/region", "country"]),
    (Property::State, &["state/region", "state"]),
    (Property::City, &["city"]),
    (Property::PostalCode, &["postal code", "zip", "zip code"]),
    (
        Property::BirthDate,
        &["date of birth", "birthdate", "birth date"],
    ),
    (Property::Company, &["company name", "company"]),
    (Property::Unsubscribed, &["unsubscribed from all email"]),
    (
        Property::LegalBasis,
        &["legal basis for processing contact's data"],
    ),
    (Property::LastModified, &["last modified date"]),
    (Property::LoyaltyTier, &["loyalty tier"]),
    (Property::PreferredChannel, &["preferred channel"]),
    (Property::Interest, &["interest", "interests"]),
];

/// The columns of one export.
#[derive(Debug)]
pub(crate) struct Columns {
    /// Number of columns in the header; every row must have as many.
    pub(crate) count: usize,
    /// The header labels as written, for naming a column in a diagnostic.
    labels: Vec<String>,
    /// Column of each property found, in [`LABELS`] order.
    found: Vec<(Property, usize)>,
}

impl Columns {
    /// Reads the header row. Fails when no column can identify a contact.
    pub(crate) fn from_header(header: &[String]) -> Result<Self, String> {
        let keys: Vec<String> = header.iter().map(|label| key(label)).collect();
        let found: Vec<(Property, usize)> = LABELS
            .iter()
            .filter_map(|(property, labels)| {
                keys.iter()
                    .position(|k| labels.contains(&k.as_str()))
                    .map(|column| (*property, column))
            })
            .collect();
        let columns = Self {
            count: header.len(),
            labels: header.iter().map(|label| label.trim().to_owned()).collect(),
            found,
        };
        let identifying = [
            Property::RecordId,
            Property::Email,
            Property::Phone,
            Property::Mobile,
        ];
        if identifying.iter().all(|p| columns.column(*p).is_none()) {
            return Err(
                "row 1: the header has no Record ID, Email, Phone Number or Mobile Phone Number column, so no \
                 contact can be identified; is this a HubSpot contacts export?"
                    .into(),
            );
        }
        Ok(columns)
    }

    /// The column of `property`, when the export has it.
    pub(crate) fn column(&self, property: Property) -> Option<usize> {
        self.found
            .iter()
            .find(|(p, _)| *p == property)
            .map(|(_, column)| *column)
    }

    /// The header label of `column`, as written.
    pub(crate) fn label(&self, column: usize) -> &str {
        self.labels.get(column).map_or("", String::as_str)
    }

    /// How many header columns this connector does not read (reported in the log, without their names).
    pub(crate) fn unread(&self) -> usize {
        self.count.saturating_sub(self.found.len())
    }
}

/// A label as a lookup key: trimmed, lowercase, runs of whitespace as one space, curly apostrophes straight.
fn key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('’', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(labels: &[&str]) -> Vec<String> {
        labels.iter().map(|l| (*l).to_owned()).collect()
    }

    #[test]
    fn labels_match_ignoring_case_and_spacing_and_the_first_duplicate_wins() {
        let columns = Columns::from_header(&header(&[
            "RECORD  ID",
            " email ",
            "Country/Region",
            "Email",
        ]))
        .unwrap();
        assert_eq!(columns.column(Property::RecordId), Some(0));
        assert_eq!(columns.column(Property::Email), Some(1));
        assert_eq!(columns.column(Property::Country), Some(2));
        assert_eq!(columns.column(Property::City), None);
        assert_eq!(columns.label(1), "email");
        assert_eq!(columns.unread(), 1);
    }

    #[test]
    fn contact_id_is_accepted_as_the_id_header() {
        let columns = Columns::from_header(&header(&["Contact ID"])).unwrap();
        assert_eq!(columns.column(Property::RecordId), Some(0));
    }

    #[test]
    fn a_header_without_any_identifying_column_is_refused() {
        assert!(Columns::from_header(&header(&["First Name", "City"])).is_err());
    }
}
