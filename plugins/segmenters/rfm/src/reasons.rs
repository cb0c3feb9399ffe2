//! Reasons a person can read for one customer's RFM assignment.
//!
//! A run writes four reasons for every customer, a million customers in a large run, so the lines are
//! assembled with `push_str` and small integer writers instead of `format!`: the formatting machinery
//! cost more than the whole quintile step.

use crate::config::{GridAxis, RfmConfig};
use crate::grid::RfmSegment;
use crate::logic::RfmScore;
use crate::summary::OrderSummary;

/// The reason given to a profile without orders.
pub const NO_ORDERS_REASON: &str = "no completed order as of the analysis time, so no RFM score";

/// Room for the usual length of each reason line (recency, frequency, monetary, grid cell), so that most lines
/// are built in one allocation without much unused memory (the component's lowering shrinks each line to its
/// length before it leaves, which is free when both sizes fall in the same block size of the SDK's allocator).
const LINE_CAPACITY: [usize; 4] = [48, 40, 48, 32];

/// The reasons for `score`: one line per dimension with the number behind it, then the grid cell.
pub fn reasons(score: &RfmScore, customer: &OrderSummary, config: &RfmConfig) -> Vec<String> {
    let mut recency = String::with_capacity(LINE_CAPACITY[0]);
    recency.push_str("last order ");
    match score.recency_days {
        0 => recency.push_str("today"),
        1 => recency.push_str("1 day ago"),
        days => {
            push_int(&mut recency, days);
            recency.push_str(" days ago");
        }
    }
    push_score(&mut recency, "recency", score.r);

    let mut frequency = String::with_capacity(LINE_CAPACITY[1]);
    push_count(&mut frequency, customer.orders, "order", "orders");
    push_score(&mut frequency, "frequency", score.f);

    let mut monetary = String::with_capacity(LINE_CAPACITY[2]);
    monetary.push_str("spent ");
    push_amount(&mut monetary, customer.spend);
    monetary.push_str(" in total");
    if customer.unpriced > 0 {
        monetary.push_str(", ");
        push_count(&mut monetary, customer.unpriced, "order", "orders");
        monetary.push_str(" without an amount counted as 0");
    }
    push_score(&mut monetary, "monetary", score.m);

    let mut cell = String::with_capacity(LINE_CAPACITY[3]);
    cell.push('R');
    push_int(&mut cell, i64::from(score.r));
    match config.grid_axis {
        GridAxis::Frequency => {
            cell.push_str(" × F");
            push_int(&mut cell, i64::from(score.f));
        }
        GridAxis::FrequencyMonetary => {
            cell.push_str(" × FM");
            push_int(&mut cell, i64::from(score.axis));
            cell.push_str(" (mean of F");
            push_int(&mut cell, i64::from(score.f));
            cell.push_str(" and M");
            push_int(&mut cell, i64::from(score.m));
            cell.push_str(", halves rounded up)");
        }
    }
    cell.push_str(" is ");
    cell.push_str(score.segment.id());
    if score.segment == RfmSegment::Lost {
        cell.push_str(" (carved out of hibernating)");
    }
    vec![recency, frequency, monetary, cell]
}

/// Appends " (<dimension> score <n> of 5)".
fn push_score(line: &mut String, dimension: &str, score: u8) {
    line.push_str(" (");
    line.push_str(dimension);
    line.push_str(" score ");
    push_int(line, i64::from(score));
    line.push_str(" of 5)");
}

/// Appends "1 order" or "<n> orders".
fn push_count(line: &mut String, n: u32, one: &str, many: &str) {
    push_int(line, i64::from(n));
    line.push(' ');
    line.push_str(if n == 1 { one } else { many });
}

/// Appends a decimal integer.
fn push_int(line: &mut String, n: i64) {
    if n < 0 {
        line.push('-');
    }
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        // The remainder of a division by 10 is a single digit, so the cast cannot truncate.
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for digit in &digits[start..] {
        line.push(char::from(*digit));
    }
}

/// The largest amount written through the integer fast path: cents must fit an f64 exactly (2^53).
const MAX_FAST_AMOUNT: f64 = 9.0e13;

/// Appends an amount with two decimals, like `format!("{:.2}")` does for these values.
fn push_amount(line: &mut String, amount: f64) {
    if !(0.0..MAX_FAST_AMOUNT).contains(&amount) {
        line.push_str(&format!("{amount:.2}"));
        return;
    }
    // Amounts are finite and below 9e13 here, so the cents fit an i64 exactly.
    let cents = (amount * 100.0).round() as i64;
    push_int(line, cents / 100);
    line.push('.');
    let fraction = cents % 100;
    if fraction < 10 {
        line.push('0');
    }
    push_int(line, fraction);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reasons_name_the_numbers_and_scores() {
        let score = RfmScore {
            recency_days: 12,
            r: 5,
            f: 4,
            m: 3,
            axis: 4,
            segment: RfmSegment::Champions,
            score: 9.0 / 12.0,
        };
        let customer = OrderSummary {
            last_order_at: 0,
            orders: 3,
            spend: 245.5,
            unpriced: 1,
        };
        let got = reasons(&score, &customer, &RfmConfig::default());
        assert_eq!(
            got,
            [
                "last order 12 days ago (recency score 5 of 5)",
                "3 orders (frequency score 4 of 5)",
                "spent 245.50 in total, 1 order without an amount counted as 0 (monetary score 3 of 5)",
                "R5 × F4 is champions",
            ]
        );
    }

    #[test]
    fn lost_and_the_mean_axis_say_so() {
        let score = RfmScore {
            recency_days: 0,
            r: 1,
            f: 1,
            m: 1,
            axis: 1,
            segment: RfmSegment::Lost,
            score: 0.0,
        };
        let customer = OrderSummary {
            last_order_at: 0,
            orders: 1,
            spend: 5.0,
            unpriced: 0,
        };
        let config = RfmConfig {
            grid_axis: GridAxis::FrequencyMonetary,
            ..RfmConfig::default()
        };
        let got = reasons(&score, &customer, &config);
        assert_eq!(got[0], "last order today (recency score 1 of 5)");
        assert_eq!(got[1], "1 order (frequency score 1 of 5)");
        assert_eq!(got[2], "spent 5.00 in total (monetary score 1 of 5)");
        assert_eq!(
            got[3],
            "R1 × FM1 (mean of F1 and M1, halves rounded up) is lost (carved out of hibernating)"
        );
    }

    #[test]
    fn integers_are_written_like_display() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, -7, i64::MAX, i64::MIN] {
            let mut line = String::new();
            push_int(&mut line, n);
            assert_eq!(line, n.to_string());
        }
    }

    proptest! {
        /// The fast amount writer agrees with `{:.2}` wherever the two round the same way; they differ only
        /// when the value lies within a rounding error of a half cent.
        #[test]
        fn amounts_are_written_like_two_decimal_display(cents in 0u64..10_000_000_000, extra in 0.0f64..0.0049) {
            let amount = cents as f64 / 100.0 + extra / 100.0;
            let mut line = String::new();
            push_amount(&mut line, amount);
            prop_assert_eq!(line, format!("{amount:.2}"));
        }

        #[test]
        fn huge_amounts_fall_back_to_display(amount in 9.0e13f64..1.0e300) {
            let mut line = String::new();
            push_amount(&mut line, amount);
            prop_assert_eq!(line, format!("{amount:.2}"));
        }
    }
}
