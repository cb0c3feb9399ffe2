//! Generalisations applied on ingest (`store_as`): the raw value is replaced by a coarser one before it is stored.
//!
//! This is data minimisation (Art. 5(1)(c)) and data protection by design (Art. 25(1)): a birth date is never
//! stored when an age band is all a purpose needs.
//!
//! Errors never repeat the value that could not be generalised: it is personal data, and errors end up in logs.

use serde_json::Value;
use time::{Date, Month};

/// Oldest age accepted when computing an age band. The oldest verified human lived 122 years; a birth date
/// implying more than 130 is a data-entry error, not a person.
pub const MAX_PLAUSIBLE_AGE: i32 = 130;

/// How many characters of a postcode `postcode_prefix` keeps. Three characters name a delivery area of many
/// thousand addresses in DE (the first three digits), GB (outward code area and district) and NL.
pub const POSTCODE_PREFIX_CHARS: usize = 3;

/// A generalisation named by `store_as` in a policy.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Generalisation {
    /// A date of birth becomes an age band: `under-18`, `18-24`, `25-34`, `35-44`, `45-54`, `55-64`, `65+`.
    AgeBand,
    /// A date of birth becomes its year: `1990`.
    BirthYear,
    /// A date or date-time becomes its year and month: `2024-05`.
    YearMonth,
    /// A postcode keeps its first three characters, upper-cased, spaces removed: `SW1A 1AA` becomes `SW1`.
    PostcodePrefix,
}

/// Why a value could not be generalised. The value itself is left out: it is personal data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeneraliseError {
    /// The value has the wrong JSON type.
    #[error("`{generalisation}` needs {expected}, but the value is {found}")]
    WrongType {
        /// The generalisation that was applied.
        generalisation: Generalisation,
        /// What it accepts.
        expected: &'static str,
        /// The JSON type it got.
        found: &'static str,
    },
    /// The value is text but not a calendar date.
    #[error(
        "`{generalisation}` needs a date written YYYY-MM-DD (optionally followed by `T` or a space and a time), \
         but the value is not one"
    )]
    NotADate {
        /// The generalisation that was applied.
        generalisation: Generalisation,
    },
    /// A date of birth lies after the day of ingest.
    #[error("`{generalisation}` got a date of birth in the future")]
    BirthDateInFuture {
        /// The generalisation that was applied.
        generalisation: Generalisation,
    },
    /// A date of birth implies an age beyond [`MAX_PLAUSIBLE_AGE`].
    #[error("`{generalisation}` got a date of birth more than {MAX_PLAUSIBLE_AGE} years ago")]
    ImplausibleAge {
        /// The generalisation that was applied.
        generalisation: Generalisation,
    },
    /// A postcode with nothing but spaces.
    #[error("`postcode_prefix` got an empty postcode")]
    EmptyPostcode,
}

impl Generalisation {
    /// Every generalisation, in the order the reference documents them.
    pub const ALL: [Generalisation; 4] = [
        Generalisation::AgeBand,
        Generalisation::BirthYear,
        Generalisation::YearMonth,
        Generalisation::PostcodePrefix,
    ];

    /// The name used in policy files, which is also the default stored attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgeBand => "age_band",
            Self::BirthYear => "birth_year",
            Self::YearMonth => "year_month",
            Self::PostcodePrefix => "postcode_prefix",
        }
    }

    /// For generalisations of dates, how much of the date survives: a larger number reveals more. `None` for
    /// postcodes, which are not comparable with dates.
    pub fn date_precision(self) -> Option<u8> {
        match self {
            Self::AgeBand => Some(1),
            Self::BirthYear => Some(2),
            Self::YearMonth => Some(3),
            Self::PostcodePrefix => None,
        }
    }

    /// Generalises one raw value; `today` is the day of ingest, against which ages are computed.
    pub fn apply(&self, value: &Value, today: Date) -> Result<Value, GeneraliseError> {
        match self {
            Self::AgeBand => {
                let birth = self.date_of(value)?;
                Ok(Value::String(age_band(self.age(birth, today)?).to_owned()))
            }
            Self::BirthYear => {
                let birth = self.date_of(value)?;
                self.age(birth, today)?;
                Ok(Value::String(birth.year().to_string()))
            }
            Self::YearMonth => {
                let date = self.date_of(value)?;
                Ok(Value::String(format!(
                    "{:04}-{:02}",
                    date.year(),
                    u8::from(date.month())
                )))
            }
            Self::PostcodePrefix => {
                let Value::String(text) = value else {
                    return Err(GeneraliseError::WrongType {
                        generalisation: *self,
                        // A number would have lost leading zeros (01067 Dresden becomes 1067), so it is refused.
                        expected: "text (a postcode stored as a number has lost its leading zeros)",
                        found: json_type(value),
                    });
                };
                let prefix: String = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .take(POSTCODE_PREFIX_CHARS)
                    .flat_map(char::to_uppercase)
                    .collect();
                if prefix.is_empty() {
                    return Err(GeneraliseError::EmptyPostcode);
                }
                Ok(Value::String(prefix))
            }
        }
    }

    /// Reads a calendar date from `YYYY-MM-DD`, optionally followed by `T` or a space and a time. The date is taken
    /// as written, in whatever offset the time has: the day a person was born or signed up is the local day.
    fn date_of(&self, value: &Value) -> Result<Date, GeneraliseError> {
        let Value::String(text) = value else {
            return Err(GeneraliseError::WrongType {
                generalisation: *self,
                expected: "a date written as text",
                found: json_type(value),
            });
        };
        let not_a_date = GeneraliseError::NotADate {
            generalisation: *self,
        };
        let text = text.trim();
        let (date, rest) = text.split_at_checked(10).ok_or(not_a_date.clone())?;
        if !(rest.is_empty() || rest.starts_with(['T', 't', ' '])) {
            return Err(not_a_date);
        }
        let bytes = date.as_bytes();
        let digits_ok = bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
        if !digits_ok {
            return Err(not_a_date);
        }
        let year: i32 = date[0..4].parse().map_err(|_| not_a_date.clone())?;
        let month: u8 = date[5..7].parse().map_err(|_| not_a_date.clone())?;
        let day: u8 = date[8..10].parse().map_err(|_| not_a_date.clone())?;
        let month = Month::try_from(month).map_err(|_| not_a_date.clone())?;
        Date::from_calendar_date(year, month, day).map_err(|_| not_a_date)
    }

    /// Completed years of age on `today`. Someone born on 29 February turns a year older on 1 March in common
    /// years, because their birthday has not yet come on 28 February.
    fn age(&self, birth: Date, today: Date) -> Result<i32, GeneraliseError> {
        if birth > today {
            return Err(GeneraliseError::BirthDateInFuture {
                generalisation: *self,
            });
        }
        let had_birthday =
            (u8::from(today.month()), today.day()) >= (u8::from(birth.month()), birth.day());
        let age = today.year() - birth.year() - i32::from(!had_birthday);
        if age > MAX_PLAUSIBLE_AGE {
            return Err(GeneraliseError::ImplausibleAge {
                generalisation: *self,
            });
        }
        Ok(age)
    }
}

impl std::fmt::Display for Generalisation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The band an age falls in. The bands follow the usual market-research cut points; under-18s are one band so
/// that minors are never split finer.
fn age_band(age: i32) -> &'static str {
    match age {
        ..18 => "under-18",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use time::macros::date;

    fn band(birth: &str, today: Date) -> String {
        Generalisation::AgeBand
            .apply(&json!(birth), today)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn age_band_changes_on_the_birthday_not_the_day_before() {
        let today = date!(2026 - 05 - 10);
        assert_eq!(band("2008-05-10", today), "18-24", "18th birthday today");
        assert_eq!(
            band("2008-05-11", today),
            "under-18",
            "18th birthday tomorrow"
        );
        assert_eq!(band("2001-05-10", today), "25-34", "25th birthday today");
        assert_eq!(band("2001-05-11", today), "18-24", "25th birthday tomorrow");
        assert_eq!(band("1961-05-10", today), "65+");
        assert_eq!(band("1961-05-11", today), "55-64");
        assert_eq!(band("2026-05-10", today), "under-18", "born today");
    }

    #[test]
    fn leap_day_birthdays_count_from_first_of_march_in_common_years() {
        // Born 2008-02-29: 18 on 2026-03-01, since 2026 has no 29 February.
        assert_eq!(band("2008-02-29", date!(2026 - 02 - 28)), "under-18");
        assert_eq!(band("2008-02-29", date!(2026 - 03 - 01)), "18-24");
        // In a leap year the birthday itself counts. No band boundary (18, 25, 35, ...) is a multiple of four
        // years, so this is visible in the age rather than in a band.
        let age = |birth, today| Generalisation::AgeBand.age(birth, today).unwrap();
        assert_eq!(age(date!(2000 - 02 - 29), date!(2024 - 02 - 28)), 23);
        assert_eq!(age(date!(2000 - 02 - 29), date!(2024 - 02 - 29)), 24);
        assert_eq!(age(date!(2000 - 02 - 29), date!(2023 - 02 - 28)), 22);
        assert_eq!(age(date!(2000 - 02 - 29), date!(2023 - 03 - 01)), 23);
    }

    #[test]
    fn age_band_refuses_impossible_and_implausible_dates() {
        let today = date!(2026 - 05 - 10);
        let apply = |v: Value| Generalisation::AgeBand.apply(&v, today);
        assert!(matches!(
            apply(json!("2026-05-11")),
            Err(GeneraliseError::BirthDateInFuture { .. })
        ));
        assert!(matches!(
            apply(json!("1890-01-01")),
            Err(GeneraliseError::ImplausibleAge { .. })
        ));
        assert!(matches!(
            apply(json!("2001-02-29")),
            Err(GeneraliseError::NotADate { .. })
        ));
        assert!(matches!(
            apply(json!("12/05/1990")),
            Err(GeneraliseError::NotADate { .. })
        ));
        assert!(matches!(
            apply(json!("1990-05-12x")),
            Err(GeneraliseError::NotADate { .. })
        ));
        assert!(matches!(
            apply(json!(1990)),
            Err(GeneraliseError::WrongType {
                found: "a number",
                ..
            })
        ));
    }

    #[test]
    fn errors_do_not_repeat_the_value() {
        let error = Generalisation::AgeBand
            .apply(&json!("1990-13-45"), date!(2026 - 01 - 01))
            .unwrap_err();
        assert!(!error.to_string().contains("1990"), "{error}");
    }

    #[test]
    fn birth_year_and_year_month() {
        let today = date!(2026 - 05 - 10);
        assert_eq!(
            Generalisation::BirthYear
                .apply(&json!("1990-04-12"), today)
                .unwrap(),
            json!("1990")
        );
        assert_eq!(
            Generalisation::YearMonth
                .apply(&json!("2024-05-02T10:15:00.000Z"), today)
                .unwrap(),
            json!("2024-05")
        );
        assert_eq!(
            Generalisation::YearMonth
                .apply(&json!("2024-12-31 23:59"), today)
                .unwrap(),
            json!("2024-12")
        );
        assert_eq!(
            Generalisation::YearMonth
                .apply(&json!("0999-01-05"), today)
                .unwrap(),
            json!("0999-01")
        );
        assert!(
            Generalisation::BirthYear
                .apply(&json!("2030-01-01"), today)
                .is_err()
        );
    }

    #[test]
    fn postcode_prefix_keeps_three_characters_upper_cased() {
        let today = date!(2026 - 05 - 10);
        let apply = |v: Value| Generalisation::PostcodePrefix.apply(&v, today);
        assert_eq!(apply(json!("sw1a 1aa")).unwrap(), json!("SW1"));
        assert_eq!(apply(json!(" 1 0115")).unwrap(), json!("101"));
        assert_eq!(apply(json!("01067")).unwrap(), json!("010"));
        assert_eq!(apply(json!("AB")).unwrap(), json!("AB"));
        assert_eq!(apply(json!("   ")), Err(GeneraliseError::EmptyPostcode));
        assert!(matches!(
            apply(json!(1067)),
            Err(GeneraliseError::WrongType { .. })
        ));
    }

    /// The n-th anniversary of a date, with 29 February falling on 1 March in common years.
    fn anniversary(birth: Date, years: i32) -> Date {
        let year = birth.year() + years;
        Date::from_calendar_date(year, birth.month(), birth.day())
            .unwrap_or_else(|_| Date::from_calendar_date(year, Month::March, 1).unwrap())
    }

    const BANDS: [&str; 7] = [
        "under-18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+",
    ];

    proptest! {
        /// The band agrees with an age counted by anniversaries, and never goes down as time passes.
        #[test]
        fn age_band_follows_anniversaries(birth_days in 0i32..45_000, age_days in 0i32..47_000, later in 0i64..4_000) {
            let birth = date!(1900 - 01 - 01) + time::Duration::days(i64::from(birth_days));
            let today = birth + time::Duration::days(i64::from(age_days));
            let years = (0..=140).take_while(|n| anniversary(birth, *n) <= today).last().unwrap();
            let result = Generalisation::AgeBand.apply(&json!(birth.to_string()), today);
            if years > MAX_PLAUSIBLE_AGE {
                prop_assert!(result.is_err());
            } else {
                let band = result.unwrap();
                prop_assert_eq!(band.as_str().unwrap(), age_band(years));
                let later_band = Generalisation::AgeBand
                    .apply(&json!(birth.to_string()), today + time::Duration::days(later));
                if let Ok(later_band) = later_band {
                    let rank = |v: &Value| BANDS.iter().position(|b| Some(*b) == v.as_str()).unwrap();
                    prop_assert!(rank(&later_band) >= rank(&band));
                }
            }
        }
    }
}
