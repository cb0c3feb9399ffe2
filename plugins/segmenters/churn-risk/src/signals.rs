//! Reduces one profile to the numbers the churn-risk components read: order history, spend and engagement
//! in two consecutive windows, and the NPS answer.
//!
//! The windows end at the run's `now`: "recent" is `(now − W, now]` and "previous" is `(now − 2W, now − W]`,
//! with `W = window_days` in seconds. An event exactly `W` days old is in the previous window. Events after
//! `now` are ignored, so that a run "as of" an earlier date sees what was known then.

use cohort_plugin_kit::commerce::ORDER_EVENT;
use cohort_plugin_kit::commerce::days::{SECONDS_PER_DAY, median_gap_days, whole_days};
use cohort_plugin_kit::commerce::spend::order_amount;
use cohort_plugin_sdk::{Profile, Value};

/// The event types that count as engagement.
pub const ENGAGEMENT_EVENTS: [&str; 2] = ["email_opened", "page_viewed"];

/// The attribute holding the customer's latest NPS answer (0–10).
pub const NPS_ATTRIBUTE: &str = "nps_score";

/// The highest NPS answer; anything outside 0–10 is not an NPS answer and counts as missing.
const NPS_MAX: f64 = 10.0;

/// What the churn-risk components know about one profile.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    /// Completed orders up to `now`.
    pub orders: u32,
    /// Whole days since the latest order; `None` without orders.
    pub days_since_last_order: Option<i64>,
    /// The median whole-day gap between consecutive orders; `None` with fewer than two orders.
    pub median_gap_days: Option<f64>,
    /// Orders in the recent window.
    pub orders_recent: u32,
    /// Orders in the previous window.
    pub orders_previous: u32,
    /// Spend in the recent window, by the spend rule of [`cohort_plugin_kit::commerce::spend`].
    pub spend_recent: f64,
    /// Spend in the previous window.
    pub spend_previous: f64,
    /// E-mail opens and page views in the recent window.
    pub engagement_recent: u32,
    /// E-mail opens and page views in the previous window.
    pub engagement_previous: u32,
    /// The NPS answer, when there is one in 0–10.
    pub nps: Option<f64>,
}

/// Which window an event falls in.
enum Window {
    Recent,
    Previous,
    Outside,
}

impl Signals {
    /// Reads the signals of `profile` as of `now` with windows of `window_days`. `times` is a buffer reused
    /// between profiles for the order times.
    pub fn of(profile: &Profile, now: i64, window_days: u32, times: &mut Vec<i64>) -> Self {
        let window = i64::from(window_days) * SECONDS_PER_DAY;
        let window_of = |at: i64| {
            if at > now {
                Window::Outside
            } else if at > now - window {
                Window::Recent
            } else if at > now - 2 * window {
                Window::Previous
            } else {
                Window::Outside
            }
        };
        let mut signals = Self::default();
        times.clear();
        for event in &profile.events {
            if event.at > now {
                continue;
            }
            if event.event_type == ORDER_EVENT {
                times.push(event.at);
                let amount = order_amount(&event.properties).unwrap_or(0.0);
                match window_of(event.at) {
                    Window::Recent => {
                        signals.orders_recent += 1;
                        signals.spend_recent += amount;
                    }
                    Window::Previous => {
                        signals.orders_previous += 1;
                        signals.spend_previous += amount;
                    }
                    Window::Outside => {}
                }
            } else if ENGAGEMENT_EVENTS.contains(&event.event_type.as_str()) {
                match window_of(event.at) {
                    Window::Recent => signals.engagement_recent += 1,
                    Window::Previous => signals.engagement_previous += 1,
                    Window::Outside => {}
                }
            }
        }
        times.sort_unstable();
        signals.orders = u32::try_from(times.len()).unwrap_or(u32::MAX);
        signals.days_since_last_order = times.last().map(|last| whole_days(*last, now));
        signals.median_gap_days = median_gap_days(times);
        signals.nps = profile.attr(NPS_ATTRIBUTE).and_then(nps_answer);
        signals
    }
}

/// An NPS answer from a number or a numeric string, when it lies in 0–10.
fn nps_answer(value: &Value) -> Option<f64> {
    let answer = match value {
        Value::Number(number) => *number,
        Value::Text(text) => text.trim().parse().ok()?,
        Value::Boolean(_) => return None,
    };
    (0.0..=NPS_MAX).contains(&answer).then_some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::{Attribute, Event};

    const NOW: i64 = 1_000 * SECONDS_PER_DAY;

    fn event(kind: &str, at: i64, total: f64) -> Event {
        Event {
            event_type: kind.to_owned(),
            at,
            properties: vec![("total".to_owned(), Value::Number(total))],
        }
    }

    #[test]
    fn events_fall_in_half_open_windows() {
        let w = 90 * SECONDS_PER_DAY;
        let profile = Profile {
            token: "t".to_owned(),
            attributes: vec![Attribute {
                name: NPS_ATTRIBUTE.to_owned(),
                value: Value::Text("4".to_owned()),
            }],
            events: vec![
                event(ORDER_EVENT, NOW, 1.0),             // recent (now itself)
                event(ORDER_EVENT, NOW - w + 1, 2.0),     // recent (one second inside)
                event(ORDER_EVENT, NOW - w, 4.0),         // previous (exactly W days old)
                event(ORDER_EVENT, NOW - 2 * w + 1, 8.0), // previous
                event(ORDER_EVENT, NOW - 2 * w, 16.0),    // outside, but still an order
                event(ORDER_EVENT, NOW + 1, 32.0),        // after now: ignored
                event("page_viewed", NOW - 1, 0.0),
                event("email_opened", NOW - w, 0.0),
                event("survey_answered", NOW - 1, 0.0),
            ],
        };
        let s = Signals::of(&profile, NOW, 90, &mut Vec::new());
        assert_eq!((s.orders, s.orders_recent, s.orders_previous), (5, 2, 2));
        assert_eq!((s.spend_recent, s.spend_previous), (3.0, 12.0));
        assert_eq!((s.engagement_recent, s.engagement_previous), (1, 1));
        assert_eq!(s.days_since_last_order, Some(0));
        assert_eq!(s.nps, Some(4.0));
        // Gaps between the five orders: 1 s, 90 days − 1 s, 1 s, 90 days − 1 s → whole days 0, 89, 0, 89,
        // sorted 0, 0, 89, 89 → (0 + 89) / 2.
        assert_eq!(s.median_gap_days, Some(44.5));
    }

    #[test]
    fn nps_outside_zero_to_ten_is_missing() {
        for (value, expected) in [
            (Value::Number(0.0), Some(0.0)),
            (Value::Number(10.0), Some(10.0)),
            (Value::Number(11.0), None),
            (Value::Number(-1.0), None),
            (Value::Text("nine".to_owned()), None),
            (Value::Boolean(true), None),
        ] {
            assert_eq!(nps_answer(&value), expected, "{value:?}");
        }
    }

    #[test]
    fn an_empty_profile_has_no_signals() {
        let profile = Profile {
            token: "t".to_owned(),
            attributes: vec![],
            events: vec![],
        };
        assert_eq!(
            Signals::of(&profile, NOW, 90, &mut Vec::new()),
            Signals::default()
        );
    }
}
