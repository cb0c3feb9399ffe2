//! The header row: which column holds which Salesforce field, and whether the rows are Contacts or Leads.
//!
//! Data Loader and the API name columns by field API name (`MailingPostalCode`), report CSVs by field label
//! (`Mailing Zip/Postal Code`). Both are matched after reducing them to lowercase letters and digits, so
//! `HasOptedOutOfEmail` and its label `Email Opt Out` are both listed below, and `Contact ID` or `Lead ID` (report
//! labels) stand for `Id`. When a field appears twice, the first column wins.

use cohort_plugin_kit::text::compact;

use crate::config::ObjectChoice;

/// The fields this connector reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Id,
    Email,
    Phone,
    Mobile,
    FirstName,
    LastName,
    City,
    State,
    PostalCode,
    Country,
    Birthdate,
    LeadSource,
    Company,
    Status,
    Industry,
    IsConverted,
    ConvertedContactId,
    OptedOut,
    DoNotCall,
    CreatedDate,
    LastModified,
    IsDeleted,
}

/// Compacted API names and labels of each field, Contact's and Lead's.
const NAMES: &[(Field, &[&str])] = &[
    (Field::Id, &["id", "contactid", "leadid", "recordid"]),
    (Field::Email, &["email"]),
    (Field::Phone, &["phone"]),
    (Field::Mobile, &["mobilephone", "mobile"]),
    (Field::FirstName, &["firstname"]),
    (Field::LastName, &["lastname"]),
    (Field::City, &["mailingcity", "city"]),
    (
        Field::State,
        &[
            "mailingstate",
            "mailingstateprovince",
            "state",
            "stateprovince",
        ],
    ),
    (
        Field::PostalCode,
        &[
            "mailingpostalcode",
            "mailingzippostalcode",
            "postalcode",
            "zippostalcode",
        ],
    ),
    (Field::Country, &["mailingcountry", "country"]),
    (Field::Birthdate, &["birthdate"]),
    (Field::LeadSource, &["leadsource"]),
    (Field::Company, &["company"]),
    (Field::Status, &["status", "leadstatus"]),
    (Field::Industry, &["industry"]),
    (Field::IsConverted, &["isconverted", "converted"]),
    (Field::ConvertedContactId, &["convertedcontactid"]),
    (Field::OptedOut, &["hasoptedoutofemail", "emailoptout"]),
    (Field::DoNotCall, &["donotcall"]),
    (Field::CreatedDate, &["createddate"]),
    (Field::LastModified, &["lastmodifieddate", "systemmodstamp"]),
    (Field::IsDeleted, &["isdeleted", "deleted"]),
];

/// Header names only a Lead extract has.
const LEAD_ONLY: &[&str] = &[
    "leadid",
    "company",
    "status",
    "leadstatus",
    "isconverted",
    "converted",
    "convertedcontactid",
];

/// Header names only a Contact extract has.
const CONTACT_ONLY: &[&str] = &[
    "contactid",
    "accountid",
    "mailingcity",
    "mailingcountry",
    "mailingpostalcode",
    "birthdate",
];

/// Contact or Lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    Contact,
    Lead,
}

/// The columns of one extract.
#[derive(Debug)]
pub(crate) struct Columns {
    /// Number of columns in the header; every row must have as many.
    pub(crate) count: usize,
    /// What the rows are.
    pub(crate) object: Object,
    /// The header names as written, for naming a column in a diagnostic.
    names: Vec<String>,
    /// Column of each field found.
    found: Vec<(Field, usize)>,
}

impl Columns {
    /// Reads the header row. Fails when no column can identify a person.
    pub(crate) fn from_header(header: &[String], choice: ObjectChoice) -> Result<Self, String> {
        let keys: Vec<String> = header.iter().map(|name| compact(name)).collect();
        let found: Vec<(Field, usize)> = NAMES
            .iter()
            .filter_map(|(field, names)| {
                keys.iter()
                    .position(|k| names.contains(&k.as_str()))
                    .map(|column| (*field, column))
            })
            .collect();
        let has = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
        let object = match choice {
            ObjectChoice::Contact => Object::Contact,
            ObjectChoice::Lead => Object::Lead,
            // Contact signals win: a Contact extract may carry a `Status` custom field, a Lead one has no
            // `AccountId` or mailing address.
            ObjectChoice::Auto if has(LEAD_ONLY) && !has(CONTACT_ONLY) => Object::Lead,
            ObjectChoice::Auto => Object::Contact,
        };
        let columns = Self {
            count: header.len(),
            object,
            names: header.iter().map(|name| name.trim().to_owned()).collect(),
            found,
        };
        if [Field::Id, Field::Email, Field::Phone, Field::Mobile]
            .iter()
            .all(|f| columns.column(*f).is_none())
        {
            return Err(
                "row 1: the header has no Id, Email, Phone or MobilePhone column, so no person can be identified; \
                 is this a Salesforce Contact or Lead extract?"
                    .into(),
            );
        }
        Ok(columns)
    }

    /// The column of `field`, when the extract has it.
    pub(crate) fn column(&self, field: Field) -> Option<usize> {
        self.found
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, column)| *column)
    }

    /// The header name of `column`, as written.
    pub(crate) fn name(&self, column: usize) -> &str {
        self.names.get(column).map_or("", String::as_str)
    }

    /// How many header columns this connector does not read (reported in the log, without their names).
    pub(crate) fn unread(&self) -> usize {
        self.count.saturating_sub(self.found.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn api_names_and_labels_find_the_same_fields() {
        let api = Columns::from_header(
            &header(&["Id", "MailingPostalCode", "HasOptedOutOfEmail"]),
            ObjectChoice::Auto,
        )
        .unwrap();
        let labels = Columns::from_header(
            &header(&["Contact ID", "Mailing Zip/Postal Code", "Email Opt Out"]),
            ObjectChoice::Auto,
        )
        .unwrap();
        for columns in [api, labels] {
            assert_eq!(columns.column(Field::Id), Some(0));
            assert_eq!(columns.column(Field::PostalCode), Some(1));
            assert_eq!(columns.column(Field::OptedOut), Some(2));
            assert_eq!(columns.object, Object::Contact);
        }
    }

    #[test]
    fn the_object_comes_from_the_header_unless_configured() {
        let lead = header(&["Id", "Company", "Status", "Email"]);
        assert_eq!(
            Columns::from_header(&lead, ObjectChoice::Auto)
                .unwrap()
                .object,
            Object::Lead
        );
        assert_eq!(
            Columns::from_header(&lead, ObjectChoice::Contact)
                .unwrap()
                .object,
            Object::Contact
        );
        let contact_with_status = header(&["Id", "AccountId", "Status", "Email"]);
        assert_eq!(
            Columns::from_header(&contact_with_status, ObjectChoice::Auto)
                .unwrap()
                .object,
            Object::Contact
        );
        assert!(Columns::from_header(&header(&["FirstName"]), ObjectChoice::Auto).is_err());
    }
}
