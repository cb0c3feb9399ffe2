//! Dates and date-times as export files write them, read into `time` values and written back as RFC 3339 UTC.
//!
//! One lenient reader covers the formats of DOMAIN.md §1–5: ISO 8601 with `T` or a space, with or without seconds,
//! fractions, `Z`, `+01:00`, `+0100` or `+01`; a named zone after a space (`PST`, `GMT-08:00`); month-first or
//! day-first dates with slashes and an optional 12-hour clock (`3/5/2024, 9:41 AM`); and one- or two-digit months
//! and days (Segment's own example writes `2015-2-02`, which is read as 2 February: coerced on purpose). Text with
//! no zone is read at a zone offset the connector is configured with. Messages never repeat the text: dates of
//! birth are personal data.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// What a date or date-time text held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// A calendar date alone (a birthday, a date property).
    Date(Date),
    /// An instant, at the offset it was written in (or the configured one when it named none).
    Instant(OffsetDateTime),
}

impl Stamp {
    /// The calendar date as written: a date alone, or the local date of an instant. Right for dates of birth,
    /// which a zone must never shift.
    pub fn written_date(self) -> Date {
        match self {
            Stamp::Date(date) => date,
            Stamp::Instant(instant) => instant.date(),
        }
    }

    /// The UTC calendar date: a date alone as written, an instant's date in UTC. Right for sign-up dates.
    pub fn utc_date(self) -> Date {
        match self {
            Stamp::Date(date) => date,
            Stamp::Instant(instant) => instant
                .checked_to_offset(UtcOffset::UTC)
                .map_or(instant.date(), OffsetDateTime::date),
        }
    }

    /// The instant; a date alone is read as midnight at `offset`.
    pub fn instant(self, offset: UtcOffset) -> OffsetDateTime {
        match self {
            Stamp::Date(date) => PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(offset),
            Stamp::Instant(instant) => instant,
        }
    }
}

/// How a date written with slashes orders its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SlashOrder {
    /// `3/5/2024` is 5 March (United States locales, Salesforce's default).
    #[default]
    MonthFirst,
    /// `3/5/2024` is 3 May (most other locales).
    DayFirst,
}

/// Why a text is not a date. The text itself is left out: it may be personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateError {
    /// The text does not have the shape of a date or date-time.
    Shape,
    /// The numbers are out of range (month 13, 31 April, hour 25, ...).
    Range,
    /// The text names a time zone this reader does not know.
    Zone,
}

impl DateError {
    /// A sentence for a diagnostic.
    pub fn message(self) -> &'static str {
        match self {
            DateError::Shape => {
                "is not a date or date-time (expected e.g. 2024-03-05, 2024-03-05 14:07 or 2024-03-05T14:07:00Z)"
            }
            DateError::Range => "is not a valid calendar date or time of day",
            DateError::Zone => {
                "names a time zone that is not known; write an offset such as +01:00"
            }
        }
    }
}

/// Reads a zone offset as a configuration writes it: `Z`, `UTC`, `GMT`, `+01:00`, `-0800` or `+01`.
pub fn parse_offset(text: &str) -> Option<UtcOffset> {
    let mut cursor = Cursor::new(text.trim());
    let offset = cursor.zone().ok().flatten()?;
    cursor.at_end().then_some(offset)
}

/// Reads a date or date-time. `offset` is used when the text names no zone; `order` reads dates with slashes.
pub fn parse(text: &str, offset: UtcOffset, order: SlashOrder) -> Result<Stamp, DateError> {
    let mut cursor = Cursor::new(text.trim());
    let date = cursor.date(order)?;
    if cursor.at_end() {
        return Ok(Stamp::Date(date));
    }
    // A date and its time are separated by `T`, a space, or (in report CSVs) a comma and a space.
    if !(cursor.eat(b'T') || cursor.eat(b't')) {
        cursor.eat(b',');
        if !cursor.skip_spaces() {
            return Err(DateError::Shape);
        }
    }
    let time = cursor.time()?;
    cursor.skip_spaces();
    let zone = cursor.zone()?;
    if !cursor.at_end() {
        return Err(DateError::Shape);
    }
    let instant = PrimitiveDateTime::new(date, time).assume_offset(zone.unwrap_or(offset));
    // An instant must also exist in UTC (31 December 9999 at 23:00 -05:00 does not), so that converting it later
    // cannot fail.
    instant
        .checked_to_offset(UtcOffset::UTC)
        .ok_or(DateError::Range)?;
    Ok(Stamp::Instant(instant))
}

/// Reads microseconds since the Unix epoch (GA4's `event_timestamp`).
pub fn from_unix_micros(micros: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
}

/// Writes an instant as RFC 3339 in UTC: `2024-05-02T10:15:00Z`, with a fraction only when there is one (three,
/// six or nine digits, the fewest that hold it). `None` when the year does not fit four digits.
pub fn rfc3339_utc(instant: OffsetDateTime) -> Option<String> {
    let utc = instant.checked_to_offset(UtcOffset::UTC)?;
    if !(0..=9999).contains(&utc.year()) {
        return None;
    }
    let nanos = utc.nanosecond();
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1000 == 0 {
        format!(".{:06}", nanos / 1000)
    } else {
        format!(".{nanos:09}")
    };
    Some(format!(
        "{}T{:02}:{:02}:{:02}{fraction}Z",
        date_text(utc.date()),
        utc.hour(),
        utc.minute(),
        utc.second()
    ))
}

/// Writes a calendar date as `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Named zones seen in export files, with their offsets in minutes. Abbreviations that name several zones
/// (`IST`: India, Ireland, Israel) are left out on purpose: an unknown zone is an error, never a guess.
const NAMED_ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("MET", 60),
    ("MEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("EST", -300),
    ("EDT", -240),
    ("CST", -360),
    ("CDT", -300),
    ("MST", -420),
    ("MDT", -360),
    ("PST", -480),
    ("PDT", -420),
    ("AKST", -540),
    ("AKDT", -480),
    ("HST", -600),
    ("JST", 540),
    ("AEST", 600),
    ("AEDT", 660),
];

/// A position in the text being read.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Consumes `byte` when it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    /// Consumes spaces; says whether there were any.
    fn skip_spaces(&mut self) -> bool {
        let start = self.at;
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
        self.at > start
    }

    /// Reads between `min` and `max` decimal digits.
    fn number(&mut self, min: usize, max: usize) -> Result<u32, DateError> {
        let mut value = 0u32;
        let mut count = 0;
        while count < max {
            match self.peek() {
                Some(digit @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(digit - b'0');
                    self.at += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        if count < min {
            return Err(DateError::Shape);
        }
        Ok(value)
    }

    fn expect(&mut self, byte: u8) -> Result<(), DateError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(DateError::Shape)
        }
    }

    /// `YYYY-M-D` (one or two digits for month and day) or `M/D/YYYY` / `D/M/YYYY`.
    fn date(&mut self, order: SlashOrder) -> Result<Date, DateError> {
        let first = self.number(1, 4)?;
        let (year, month, day) = if self.at == 4 && self.eat(b'-') {
            let month = self.number(1, 2)?;
            self.expect(b'-')?;
            let day = self.number(1, 2)?;
            (first, month, day)
        } else if self.at <= 2 && self.eat(b'/') {
            let second = self.number(1, 2)?;
            self.expect(b'/')?;
            let year = self.number(4, 4)?;
            match order {
                SlashOrder::MonthFirst => (year, first, second),
                SlashOrder::DayFirst => (year, second, first),
            }
        } else {
            return Err(DateError::Shape);
        };
        let year = i32::try_from(year).map_err(|_| DateError::Range)?;
        let month = u8::try_from(month)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .ok_or(DateError::Range)?;
        let day = u8::try_from(day).map_err(|_| DateError::Range)?;
        Date::from_calendar_date(year, month, day).map_err(|_| DateError::Range)
    }

    /// `H:MM`, `H:MM:SS` or `H:MM:SS.fraction`, then an optional `AM`/`PM`.
    fn time(&mut self) -> Result<Time, DateError> {
        let mut hour = self.number(1, 2)?;
        self.expect(b':')?;
        let minute = self.number(2, 2)?;
        let mut second = 0;
        let mut nanos = 0;
        if self.eat(b':') {
            second = self.number(2, 2)?;
            if self.eat(b'.') || self.eat(b',') {
                let start = self.at;
                let digits = self.number(1, 9)?;
                let written = self.at - start;
                // Digits beyond nanoseconds are dropped.
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.at += 1;
                }
                nanos = digits * 10u32.pow(u32::try_from(9 - written).unwrap_or(0));
            }
        }
        let checkpoint = self.at;
        self.skip_spaces();
        match self.meridiem() {
            Some(pm) => {
                if !(1..=12).contains(&hour) {
                    return Err(DateError::Range);
                }
                hour = hour % 12 + if pm { 12 } else { 0 };
            }
            None => self.at = checkpoint,
        }
        let field = |v: u32| u8::try_from(v).map_err(|_| DateError::Range);
        Time::from_hms_nano(field(hour)?, field(minute)?, field(second)?, nanos)
            .map_err(|_| DateError::Range)
    }

    /// `AM` or `PM` (any case): `Some(true)` for PM.
    fn meridiem(&mut self) -> Option<bool> {
        let rest = self.bytes.get(self.at..self.at + 2)?;
        let pm = if rest.eq_ignore_ascii_case(b"AM") {
            false
        } else if rest.eq_ignore_ascii_case(b"PM") {
            true
        } else {
            return None;
        };
        self.at += 2;
        Some(pm)
    }

    /// An optional zone: `Z`, `±HH:MM`, `±HHMM`, `±HH`, or a name optionally followed by an offset
    /// (`GMT-08:00`, `UTC+2`). `Ok(None)` when the text ends here.
    fn zone(&mut self) -> Result<Option<UtcOffset>, DateError> {
        let Some(next) = self.peek() else {
            return Ok(None);
        };
        let minutes = match next {
            b'+' | b'-' => self.signed_offset()?,
            b'A'..=b'Z' | b'a'..=b'z' => {
                let start = self.at;
                while matches!(self.peek(), Some(b'A'..=b'Z' | b'a'..=b'z')) {
                    self.at += 1;
                }
                let name = &self.bytes[start..self.at];
                let base = NAMED_ZONES
                    .iter()
                    .find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(name))
                    .map(|(_, minutes)| *minutes)
                    .ok_or(DateError::Zone)?;
                if base == 0 && matches!(self.peek(), Some(b'+' | b'-')) {
                    self.signed_offset()?
                } else {
                    base
                }
            }
            _ => return Err(DateError::Shape),
        };
        UtcOffset::from_whole_seconds(minutes * 60)
            .map(Some)
            .map_err(|_| DateError::Range)
    }

    /// `±HH:MM`, `±HHMM` or `±HH`, in minutes.
    fn signed_offset(&mut self) -> Result<i32, DateError> {
        let negative = match self.peek() {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return Err(DateError::Shape),
        };
        self.at += 1;
        let hours = self.number(1, 2)?;
        let minutes = if self.eat(b':') || matches!(self.peek(), Some(b'0'..=b'9')) {
            self.number(2, 2)?
        } else {
            0
        };
        if hours > 23 || minutes > 59 {
            return Err(DateError::Range);
        }
        let total = i32::try_from(hours * 60 + minutes).map_err(|_| DateError::Range)?;
        Ok(if negative { -total } else { total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn utc(text: &str) -> Result<String, DateError> {
        parse(text, UtcOffset::UTC, SlashOrder::MonthFirst)
            .map(|stamp| rfc3339_utc(stamp.instant(UtcOffset::UTC)).unwrap_or_default())
    }

    #[test]
    fn iso_variants_read_to_the_same_instant() {
        for text in [
            "2024-03-05T09:41:07Z",
            "2024-03-05T09:41:07.000Z",
            "2024-03-05T09:41:07.000+0000",
            "2024-03-05T09:41:07+00:00",
            "2024-03-05T01:41:07.000 PST",
            "2024-03-05T01:41:07.000 GMT-08:00",
            "2024-03-05T01:41:07.000-0800",
            "2024-03-05 10:41:07+01",
            "2024-3-5T09:41:07Z",
            "  2024-03-05 09:41:07  ",
        ] {
            assert_eq!(utc(text), Ok("2024-03-05T09:41:07Z".into()), "{text}");
        }
    }

    #[test]
    fn fractions_keep_the_fewest_digits_that_hold_them() {
        assert_eq!(
            utc("2015-2-02T00:30:08.276Z"),
            Ok("2015-02-02T00:30:08.276Z".into())
        );
        assert_eq!(
            utc("2024-05-02T10:15:00.123456Z"),
            Ok("2024-05-02T10:15:00.123456Z".into())
        );
        assert_eq!(
            utc("2024-05-02T10:15:00.1234567891Z"),
            Ok("2024-05-02T10:15:00.123456789Z".into())
        );
    }

    #[test]
    fn zone_less_text_is_read_at_the_configured_offset() {
        let offset = parse_offset("+02:00").unwrap();
        let stamp = parse("2024-03-05 14:07", offset, SlashOrder::MonthFirst).unwrap();
        assert_eq!(
            rfc3339_utc(stamp.instant(offset)),
            Some("2024-03-05T12:07:00Z".into())
        );
        assert_eq!(
            parse("2024-03-05 01:07", offset, SlashOrder::MonthFirst)
                .unwrap()
                .utc_date(),
            date!(2024 - 03 - 04)
        );
    }

    #[test]
    fn dates_alone_stay_calendar_dates() {
        let stamp = parse("1990-04-12", UtcOffset::UTC, SlashOrder::MonthFirst).unwrap();
        assert_eq!(stamp, Stamp::Date(date!(1990 - 04 - 12)));
        let written = parse(
            "1990-04-12T00:00:00+02:00",
            UtcOffset::UTC,
            SlashOrder::MonthFirst,
        )
        .unwrap();
        assert_eq!(written.written_date(), date!(1990 - 04 - 12));
        assert_eq!(written.utc_date(), date!(1990 - 04 - 11));
    }

    #[test]
    fn report_dates_with_slashes_and_a_twelve_hour_clock() {
        let stamp = parse("3/5/2024, 9:41 PM", UtcOffset::UTC, SlashOrder::MonthFirst).unwrap();
        assert_eq!(stamp, Stamp::Instant(datetime!(2024-03-05 21:41 UTC)));
        let stamp = parse("3/5/2024 12:05 am", UtcOffset::UTC, SlashOrder::DayFirst).unwrap();
        assert_eq!(stamp, Stamp::Instant(datetime!(2024-05-03 00:05 UTC)));
        assert_eq!(
            parse("12/31/1999", UtcOffset::UTC, SlashOrder::MonthFirst),
            Ok(Stamp::Date(date!(1999 - 12 - 31)))
        );
    }

    #[test]
    fn bad_text_says_what_is_wrong_without_repeating_it() {
        let read = |t| parse(t, UtcOffset::UTC, SlashOrder::MonthFirst);
        assert_eq!(read("yesterday"), Err(DateError::Shape));
        assert_eq!(read("2024-13-01"), Err(DateError::Range));
        assert_eq!(read("2024-02-30"), Err(DateError::Range));
        assert_eq!(read("2024-02-03 25:00"), Err(DateError::Range));
        assert_eq!(read("2024-02-03 13:00 PM"), Err(DateError::Range));
        assert_eq!(read("2024-02-03 10:00 IST"), Err(DateError::Zone));
        assert_eq!(read("2024-02-03 10:00 +25:00"), Err(DateError::Range));
        assert_eq!(read("2024-02-03x"), Err(DateError::Shape));
        assert_eq!(read("24-02-03"), Err(DateError::Shape));
        assert_eq!(read("9999-12-31T23:00:00-05:00"), Err(DateError::Range));
        assert_eq!(read(""), Err(DateError::Shape));
    }

    #[test]
    fn configured_offsets() {
        assert_eq!(parse_offset("Z"), Some(UtcOffset::UTC));
        assert_eq!(parse_offset("utc"), Some(UtcOffset::UTC));
        assert_eq!(parse_offset("-0800").map(|o| o.whole_minutes()), Some(-480));
        assert_eq!(parse_offset("+05:30").map(|o| o.whole_minutes()), Some(330));
        assert_eq!(parse_offset("Europe/Berlin"), None);
        assert_eq!(parse_offset("+01:00 junk"), None);
    }

    #[test]
    fn microseconds_since_the_epoch() {
        let instant = from_unix_micros(1_714_644_900_123_456).unwrap();
        assert_eq!(
            rfc3339_utc(instant),
            Some("2024-05-02T10:15:00.123456Z".into())
        );
    }
}
