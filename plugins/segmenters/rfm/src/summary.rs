//! Reduces one profile's events to the few numbers RFM needs, so that a run keeps a small, fixed-size
//! state per customer until every profile has arrived.

use cohort_plugin_kit::commerce::ORDER_EVENT;
use cohort_plugin_kit::commerce::days::whole_days;
use cohort_plugin_kit::commerce::spend::order_amount;
use cohort_plugin_sdk::Event;

/// What RFM knows about one customer's completed orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderSummary {
    /// When the latest order was placed, seconds since the epoch.
    pub last_order_at: i64,
    /// How many orders there were (at least 1 in a summary).
    pub orders: u32,
    /// Total spend over all orders, by the spend rule of [`cohort_plugin_kit::commerce::spend`]; finite and not negative.
    pub spend: f64,
    /// How many of the orders had no amount under the spend rule and added nothing to `spend`.
    pub unpriced: u32,
}

impl OrderSummary {
    /// Whole days from the latest order to `now` (0 = within the last 24 hours).
    pub fn recency_days(&self, now: i64) -> i64 {
        whole_days(self.last_order_at, now)
    }
}

/// Summarises the `order_completed` events of one profile as of `now`, or `None` when there is none.
///
/// Events after `now` are ignored, so that a run "as of" an earlier date sees what was known then.
pub fn summarise(events: &[Event], now: i64) -> Option<OrderSummary> {
    let mut summary: Option<OrderSummary> = None;
    for event in events {
        if event.event_type != ORDER_EVENT || event.at > now {
            continue;
        }
        let amount = order_amount(&event.properties);
        let entry = summary.get_or_insert(OrderSummary {
            last_order_at: event.at,
            orders: 0,
            spend: 0.0,
            unpriced: 0,
        });
        entry.last_order_at = entry.last_order_at.max(event.at);
        entry.orders = entry.orders.saturating_add(1);
        match amount {
            Some(amount) => entry.spend += amount,
            None => entry.unpriced = entry.unpriced.saturating_add(1),
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_kit::commerce::days::SECONDS_PER_DAY;
    use cohort_plugin_sdk::Value;

    fn order(at: i64, total: Option<f64>) -> Event {
        Event {
            event_type: ORDER_EVENT.to_owned(),
            at,
            properties: total
                .map(|t| vec![("total".to_owned(), Value::Number(t))])
                .unwrap_or_default(),
        }
    }

    #[test]
    fn counts_orders_sums_spend_and_keeps_the_latest_time() {
        let now = 100 * SECONDS_PER_DAY;
        let events = vec![
            order(now - 3 * SECONDS_PER_DAY, Some(10.0)),
            order(now - SECONDS_PER_DAY, Some(5.5)),
            order(now - 2 * SECONDS_PER_DAY, None),
            Event {
                event_type: "page_viewed".to_owned(),
                at: now,
                properties: vec![],
            },
        ];
        let summary = summarise(&events, now).unwrap();
        assert_eq!(summary.orders, 3);
        assert_eq!(summary.spend, 15.5);
        assert_eq!(summary.unpriced, 1);
        assert_eq!(summary.last_order_at, now - SECONDS_PER_DAY);
        assert_eq!(summary.recency_days(now), 1);
    }

    #[test]
    fn orders_after_now_are_not_seen() {
        let now = 50 * SECONDS_PER_DAY;
        assert_eq!(summarise(&[order(now + 1, Some(9.0))], now), None);
        let summary = summarise(&[order(now, Some(9.0)), order(now + 1, Some(1.0))], now).unwrap();
        assert_eq!((summary.orders, summary.spend), (1, 9.0));
    }

    #[test]
    fn recency_counts_whole_days() {
        let summary = OrderSummary {
            last_order_at: 0,
            orders: 1,
            spend: 0.0,
            unpriced: 0,
        };
        assert_eq!(summary.recency_days(SECONDS_PER_DAY - 1), 0);
        assert_eq!(summary.recency_days(SECONDS_PER_DAY), 1);
        assert_eq!(summary.recency_days(90 * SECONDS_PER_DAY + 5), 90);
    }
}
