//! Country names and codes as sources write them (`Germany`, `Deutschland`, `DEU`, `de`, `U.S.A.`), read into
//! ISO 3166-1 alpha-2 codes, the form the `country` attribute carries.
//!
//! The table covers the countries customers of a European or North American shop most often live in, with their
//! English names, common variants and native names. A value it does not know is kept as written (trimmed) rather
//! than guessed; the policy and the segmenters then see it as its own country.

/// Alpha-2 code, alpha-3 code, and names (lowercase, words separated by single spaces, no punctuation).
const COUNTRIES: &[(&str, &str, &[&str])] = &[
    ("AR", "ARG", &["argentina"]),
    ("AT", "AUT", &["austria", "osterreich", "österreich"]),
    ("AU", "AUS", &["australia"]),
    (
        "BE",
        "BEL",
        &["belgium", "belgie", "belgië", "belgique", "belgien"],
    ),
    ("BG", "BGR", &["bulgaria"]),
    ("BR", "BRA", &["brazil", "brasil"]),
    ("CA", "CAN", &["canada"]),
    (
        "CH",
        "CHE",
        &["switzerland", "schweiz", "suisse", "svizzera"],
    ),
    ("CL", "CHL", &["chile"]),
    ("CN", "CHN", &["china", "peoples republic of china"]),
    ("CO", "COL", &["colombia"]),
    ("CY", "CYP", &["cyprus"]),
    (
        "CZ",
        "CZE",
        &["czechia", "czech republic", "cesko", "česko"],
    ),
    (
        "DE",
        "DEU",
        &["germany", "deutschland", "federal republic of germany"],
    ),
    ("DK", "DNK", &["denmark", "danmark"]),
    ("EE", "EST", &["estonia", "eesti"]),
    ("EG", "EGY", &["egypt"]),
    ("ES", "ESP", &["spain", "espana", "españa"]),
    ("FI", "FIN", &["finland", "suomi"]),
    ("FR", "FRA", &["france"]),
    (
        "GB",
        "GBR",
        &[
            "united kingdom",
            "uk",
            "great britain",
            "britain",
            "england",
            "scotland",
            "wales",
            "northern ireland",
            "united kingdom of great britain and northern ireland",
        ],
    ),
    ("GR", "GRC", &["greece", "hellas"]),
    ("HK", "HKG", &["hong kong"]),
    ("HR", "HRV", &["croatia", "hrvatska"]),
    ("HU", "HUN", &["hungary", "magyarorszag", "magyarország"]),
    ("ID", "IDN", &["indonesia"]),
    (
        "IE",
        "IRL",
        &["ireland", "republic of ireland", "eire", "éire"],
    ),
    ("IL", "ISR", &["israel"]),
    ("IN", "IND", &["india"]),
    ("IS", "ISL", &["iceland"]),
    ("IT", "ITA", &["italy", "italia"]),
    ("JP", "JPN", &["japan"]),
    (
        "KR",
        "KOR",
        &[
            "south korea",
            "korea republic of",
            "republic of korea",
            "korea",
        ],
    ),
    ("LI", "LIE", &["liechtenstein"]),
    ("LT", "LTU", &["lithuania", "lietuva"]),
    ("LU", "LUX", &["luxembourg", "luxemburg"]),
    ("LV", "LVA", &["latvia", "latvija"]),
    ("MA", "MAR", &["morocco"]),
    ("MT", "MLT", &["malta"]),
    ("MX", "MEX", &["mexico", "méxico"]),
    ("MY", "MYS", &["malaysia"]),
    ("NG", "NGA", &["nigeria"]),
    ("NL", "NLD", &["netherlands", "holland", "nederland"]),
    ("NO", "NOR", &["norway", "norge"]),
    ("NZ", "NZL", &["new zealand"]),
    ("PE", "PER", &["peru"]),
    ("PH", "PHL", &["philippines"]),
    ("PL", "POL", &["poland", "polska"]),
    ("PT", "PRT", &["portugal"]),
    ("RO", "ROU", &["romania", "românia"]),
    ("RS", "SRB", &["serbia"]),
    ("RU", "RUS", &["russia", "russian federation"]),
    ("SA", "SAU", &["saudi arabia"]),
    ("SE", "SWE", &["sweden", "sverige"]),
    ("SG", "SGP", &["singapore"]),
    ("SI", "SVN", &["slovenia", "slovenija"]),
    ("SK", "SVK", &["slovakia", "slovensko"]),
    ("TH", "THA", &["thailand"]),
    ("TR", "TUR", &["turkey", "türkiye", "turkiye"]),
    ("TW", "TWN", &["taiwan"]),
    ("UA", "UKR", &["ukraine"]),
    ("AE", "ARE", &["united arab emirates", "uae"]),
    (
        "US",
        "USA",
        &[
            "united states",
            "united states of america",
            "usa",
            "us",
            "america",
        ],
    ),
    ("VN", "VNM", &["vietnam", "viet nam"]),
    ("ZA", "ZAF", &["south africa"]),
];

/// The ISO 3166-1 alpha-2 code of a country written as a code or a name the table knows.
pub fn alpha2(text: &str) -> Option<&'static str> {
    let key = simplify(text);
    if key.is_empty() {
        return None;
    }
    COUNTRIES
        .iter()
        .find(|(two, three, names)| {
            two.eq_ignore_ascii_case(&key)
                || three.eq_ignore_ascii_case(&key)
                || names.contains(&key.as_str())
        })
        .map(|(two, _, _)| *two)
}

/// The `country` attribute for a written value: its alpha-2 code when known, else the value as written (trimmed).
/// `None` for an empty value.
pub fn attribute(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    Some(alpha2(trimmed).map_or_else(|| trimmed.to_owned(), str::to_owned))
}

/// Lowercases, turns punctuation into spaces (dropping dots, so `U.S.A.` is `usa`), collapses spaces and drops a
/// leading `the`.
fn simplify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '.' || c == '\'' || c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let trimmed = out.trim_end();
    trimmed.strip_prefix("the ").unwrap_or(trimmed).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_variants_become_alpha2() {
        for (written, code) in [
            ("Germany", "DE"),
            ("  deutschland ", "DE"),
            ("DEU", "DE"),
            ("de", "DE"),
            ("United States", "US"),
            ("U.S.A.", "US"),
            ("United Kingdom", "GB"),
            ("UK", "GB"),
            ("The Netherlands", "NL"),
            ("Korea, Republic of", "KR"),
            ("Österreich", "AT"),
            ("Türkiye", "TR"),
        ] {
            assert_eq!(alpha2(written), Some(code), "{written}");
        }
    }

    #[test]
    fn unknown_values_are_kept_as_written() {
        assert_eq!(attribute(" Atlantis "), Some("Atlantis".into()));
        assert_eq!(attribute("France"), Some("FR".into()));
        assert_eq!(attribute("  "), None);
        assert_eq!(alpha2("XX"), None);
    }

    #[test]
    fn the_table_has_no_duplicate_codes_or_names() {
        let mut seen = std::collections::HashSet::new();
        for (two, three, names) in COUNTRIES {
            assert!(seen.insert(two.to_ascii_lowercase()), "{two}");
            assert!(seen.insert(three.to_ascii_lowercase()), "{three}");
            for name in *names {
                assert_eq!(simplify(name), *name, "{name} is not in simplified form");
                assert!(seen.insert((*name).to_owned()) || name.len() <= 3, "{name}");
            }
        }
    }
}
