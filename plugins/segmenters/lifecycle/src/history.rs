//! A profile's order history as the lifecycle rules see it: the sorted times of its completed orders. The
//! whole-day arithmetic on them is [`cohort_plugin_kit::commerce::days`].

use cohort_plugin_kit::commerce::ORDER_EVENT;
use cohort_plugin_sdk::Event;

/// Fills `times` with the times of the `order_completed` events at or before `now`, oldest first.
///
/// Events after `now` are ignored, so that a run "as of" an earlier date sees what was known then. The
/// buffer is reused between profiles to spare an allocation each.
pub fn order_times(events: &[Event], now: i64, times: &mut Vec<i64>) {
    times.clear();
    times.extend(
        events
            .iter()
            .filter(|e| e.event_type == ORDER_EVENT && e.at <= now)
            .map(|e| e.at),
    );
    times.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::Value;

    fn event(kind: &str, at: i64) -> Event {
        Event {
            event_type: kind.to_owned(),
            at,
            properties: vec![("total".to_owned(), Value::Number(1.0))],
        }
    }

    #[test]
    fn only_orders_up_to_now_sorted() {
        let events = [
            event(ORDER_EVENT, 30),
            event("page_viewed", 5),
            event(ORDER_EVENT, 10),
            event(ORDER_EVENT, 101),
            event(ORDER_EVENT, 100),
        ];
        let mut times = vec![999];
        order_times(&events, 100, &mut times);
        assert_eq!(times, [10, 30, 100]);
    }
}
