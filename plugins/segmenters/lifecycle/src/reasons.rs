//! Reasons a person can read for one profile's lifecycle stage.

use std::fmt::Write;

use crate::config::LifecycleConfig;
use crate::logic::{Classification, LapseWindow, Stage};

/// The attribute a CRM keeps its own lifecycle stage in; shown as context, never used to decide.
pub const CRM_STAGE_ATTRIBUTE: &str = "lifecycle_stage";

/// The reasons for `class`: the order history, the rule that decided, and the CRM's own stage if known.
///
/// Each line is written into one `String`, so that a large run makes one allocation per reason.
pub fn reasons(
    class: &Classification,
    config: &LifecycleConfig,
    crm_stage: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::with_capacity(3);
    let Some(days) = class.days_since_last else {
        out.push("no completed order yet".to_owned());
        if let Some(stage) = crm_stage {
            out.push(format!("CRM lifecycle stage: {stage}"));
        }
        return out;
    };
    let mut history = String::with_capacity(LINE_CAPACITY);
    match class.orders {
        1 => history.push_str("1 order, "),
        n => {
            let _ = write!(history, "{n} orders, the latest ");
        }
    }
    match days {
        0 => history.push_str("today"),
        1 => history.push_str("1 day ago"),
        n => {
            let _ = write!(history, "{n} days ago");
        }
    }
    out.push(history);

    let mut decided = String::with_capacity(LINE_CAPACITY);
    match class.stage {
        // Without orders the function returned above.
        Stage::NewLead => {}
        Stage::Churned => {
            let _ = write!(
                decided,
                "last order {days} days ago is more than the {}-day churn window",
                config.churned_after_days
            );
        }
        Stage::Lapsed => {
            let _ = write!(decided, "last order {days} days ago is more than ");
            lapse(&mut decided, class.lapse, config);
        }
        Stage::WinBack => {
            let _ = write!(
                decided,
                "ordered again after a {}-day gap, more than the {}-day churn window",
                class.gap_before_last.unwrap_or(0),
                config.churned_after_days
            );
        }
        Stage::Loyal => {
            let _ = write!(
                decided,
                "{} orders reach the loyal threshold of {}, and the latest is within ",
                class.orders, config.loyal_min_orders
            );
            lapse(&mut decided, class.lapse, config);
        }
        Stage::Repeat => {
            let _ = write!(
                decided,
                "{} orders, fewer than the {} that make a customer loyal; the latest is within ",
                class.orders, config.loyal_min_orders
            );
            lapse(&mut decided, class.lapse, config);
        }
        Stage::FirstTimeBuyer => {
            decided.push_str("the only order is within ");
            lapse(&mut decided, class.lapse, config);
        }
    }
    if !decided.is_empty() {
        out.push(decided);
    }
    if let Some(stage) = crm_stage {
        out.push(format!("CRM lifecycle stage: {stage}"));
    }
    out
}

/// Room for the usual reason line, so that most are written in one allocation.
const LINE_CAPACITY: usize = 96;

/// Appends "the 90-day lapse window", "the 42-day lapse window (median gap 21 days × 2)" or "the 30-day
/// lapse window (median gap 7 days × 2, raised to the 30-day minimum)".
fn lapse(line: &mut String, window: Option<LapseWindow>, config: &LifecycleConfig) {
    line.push_str("the ");
    match window {
        None => line.push_str("lapse window"),
        Some(LapseWindow::Fixed(days)) => {
            short(line, days);
            line.push_str("-day lapse window");
        }
        Some(LapseWindow::Personal {
            median_gap_days,
            days,
        }) => {
            short(line, days);
            line.push_str("-day lapse window (median gap ");
            short(line, median_gap_days);
            line.push_str(" days × ");
            short(line, config.lapsed_gap_factor);
            if median_gap_days * config.lapsed_gap_factor < days {
                let _ = write!(
                    line,
                    ", raised to the {}-day minimum",
                    config.lapsed_gap_min_days
                );
            }
            line.push(')');
        }
    }
}

/// Appends a day count with at most one decimal and no trailing ".0".
fn short(line: &mut String, days: f64) {
    let _ = write!(line, "{days:.1}");
    if line.ends_with(".0") {
        line.truncate(line.len() - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_day_counts() {
        for (days, expected) in [(42.0, "x42"), (22.5, "x22.5"), (10.0 / 3.0, "x3.3")] {
            let mut line = "x".to_owned();
            short(&mut line, days);
            assert_eq!(line, expected);
        }
    }
}
