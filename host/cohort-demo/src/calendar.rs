//! Dates and timestamps relative to the spec's `today`, and their canonical text forms.
//!
//! Nothing reads a clock: every date is `today` minus a drawn number of days, so the same spec
//! always gives the same dates. Arithmetic saturates at the ends of `time`'s range instead of
//! panicking, which only matters for absurd `today` values.

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

use crate::draw::{DemoRng, between};

/// Seconds in a day, for drawing a time of day.
const SECONDS_PER_DAY: u32 = 86_400;

/// The date `days` days before `today`.
pub(crate) fn days_before(today: Date, days: u32) -> Date {
    today.saturating_sub(Duration::days(i64::from(days)))
}

/// The date `days` days after `date`.
pub(crate) fn days_after(date: Date, days: u32) -> Date {
    date.saturating_add(Duration::days(i64::from(days)))
}

/// Whole days from `earlier` to `later`, zero when `later` is not after `earlier`.
pub(crate) fn days_between(earlier: Date, later: Date) -> u32 {
    let days = later.to_julian_day() - earlier.to_julian_day();
    u32::try_from(days).unwrap_or(0)
}

/// `date` at `second_of_day` seconds after midnight UTC (values past a day wrap into the day).
pub(crate) fn at(date: Date, second_of_day: u32) -> OffsetDateTime {
    let s = second_of_day % SECONDS_PER_DAY;
    // The components are in range by construction; midnight is a harmless fallback.
    let time = u8::try_from(s / 3600)
        .ok()
        .zip(u8::try_from(s / 60 % 60).ok())
        .zip(u8::try_from(s % 60).ok())
        .and_then(|((h, m), sec)| Time::from_hms(h, m, sec).ok())
        .unwrap_or(Time::MIDNIGHT);
    PrimitiveDateTime::new(date, time).assume_utc()
}

/// A time of day between `from_hour:00:00` and `to_hour:59:59`, as seconds after midnight.
pub(crate) fn time_of_day(rng: &mut DemoRng, from_hour: u32, to_hour: u32) -> u32 {
    between(rng, from_hour * 3600, to_hour * 3600 + 3599)
}

/// `YYYY-MM-DD`, the form of date attributes.
pub(crate) fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ`, an RFC 3339 UTC timestamp as records carry it.
pub(crate) fn format_stamp(stamp: OffsetDateTime) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(stamp.date()),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn formats_are_zero_padded_rfc3339() {
        let d = date!(2026 - 03 - 07);
        assert_eq!(format_date(d), "2026-03-07");
        assert_eq!(
            format_stamp(at(d, 3600 * 9 + 60 * 5 + 2)),
            "2026-03-07T09:05:02Z"
        );
        assert_eq!(
            format_stamp(at(d, SECONDS_PER_DAY + 1)),
            "2026-03-07T00:00:01Z"
        );
    }

    #[test]
    fn day_arithmetic_round_trips() {
        let today = date!(2026 - 11 - 01);
        assert_eq!(days_before(today, 365), date!(2025 - 11 - 01));
        assert_eq!(days_between(days_before(today, 730), today), 730);
        assert_eq!(days_between(today, days_before(today, 3)), 0);
        assert_eq!(days_after(date!(2026 - 02 - 27), 2), date!(2026 - 03 - 01));
    }
}
