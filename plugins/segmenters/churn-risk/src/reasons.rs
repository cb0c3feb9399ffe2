//! Reasons a person can read for one profile's churn risk: the components that add the most, each with the
//! numbers behind it.

use std::fmt::Write;

use crate::config::ChurnConfig;
use crate::logic::{Assessment, Component, ComponentKind, ExpectedGap};
use crate::signals::Signals;

/// The reason for a profile without any data the components read.
pub const NO_DATA_REASON: &str = "no order, engagement or NPS data, so nothing signals a risk";

/// The reasons for `assessment`: up to `max_reasons` components that add to the score, largest first,
/// each as "name (+contribution): the numbers". When none adds anything, says so and describes the
/// components that had data instead.
pub fn reasons(assessment: &Assessment, signals: &Signals, config: &ChurnConfig) -> Vec<String> {
    let limit = config.max_reasons as usize;
    let mut ranked: Vec<&Component> = assessment.components.iter().collect();
    // A stable sort keeps the config's component order between equal contributions.
    ranked.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    let contributing: Vec<String> = ranked
        .iter()
        .filter(|c| c.contribution > 0.0)
        .take(limit)
        .map(|c| {
            let mut line = String::with_capacity(LINE_CAPACITY);
            let _ = write!(line, "{} (+{:.2}): ", c.kind.name(), c.contribution);
            detail(&mut line, c.kind, assessment, signals, config);
            line
        })
        .collect();
    if !contributing.is_empty() {
        return contributing;
    }
    let with_data: Vec<String> = assessment
        .components
        .iter()
        .filter(|c| c.risk.is_some())
        .take(limit)
        .map(|c| {
            let mut line = String::with_capacity(LINE_CAPACITY);
            let _ = write!(line, "{}: ", c.kind.name());
            detail(&mut line, c.kind, assessment, signals, config);
            line
        })
        .collect();
    if with_data.is_empty() {
        return vec![NO_DATA_REASON.to_owned()];
    }
    let mut out = Vec::with_capacity(with_data.len() + 1);
    out.push("no component signals a risk".to_owned());
    out.extend(with_data);
    out
}

/// Writes the numbers behind one component. Writing into one `String` per line (rather than formatting
/// pieces and joining them) keeps a large run to one allocation per reason.
fn detail(
    line: &mut String,
    kind: ComponentKind,
    assessment: &Assessment,
    s: &Signals,
    config: &ChurnConfig,
) {
    let window = config.window_days;
    match kind {
        ComponentKind::Recency => match (s.days_since_last_order, assessment.expected_gap) {
            (Some(days), Some(gap)) => {
                let source = match gap {
                    ExpectedGap::Median(_) => "the customer's median gap between orders",
                    ExpectedGap::Default(_) => "the default for customers with few orders",
                };
                // Whole days are far below 2^53, exact in an f64.
                let ratio = days as f64 / gap.days();
                let _ = write!(line, "last order {days} days ago, ");
                short(line, ratio);
                line.push_str("× the expected ");
                short(line, gap.days());
                let _ = write!(line, "-day gap ({source})");
            }
            _ => line.push_str("no order yet"),
        },
        ComponentKind::FrequencyTrend => {
            let noun = if s.orders_recent == 1 {
                "order"
            } else {
                "orders"
            };
            let _ = write!(
                line,
                "{} {noun} in the last {window} days against {} in the {window} days before",
                s.orders_recent, s.orders_previous
            );
            change(
                line,
                f64::from(s.orders_recent),
                f64::from(s.orders_previous),
            );
        }
        ComponentKind::SpendTrend => {
            let _ = write!(
                line,
                "{:.2} spent in the last {window} days against {:.2} in the {window} days before",
                s.spend_recent, s.spend_previous
            );
            change(line, s.spend_recent, s.spend_previous);
        }
        ComponentKind::EngagementTrend => {
            let noun = if s.engagement_recent == 1 {
                "e-mail open or page view"
            } else {
                "e-mail opens and page views"
            };
            let _ = write!(
                line,
                "{} {noun} in the last {window} days against {} in the {window} days before",
                s.engagement_recent, s.engagement_previous
            );
            change(
                line,
                f64::from(s.engagement_recent),
                f64::from(s.engagement_previous),
            );
        }
        ComponentKind::NpsDetractor => match s.nps {
            Some(nps) => {
                line.push_str("NPS answer ");
                short(line, nps);
                if nps <= config.nps_detractor_max {
                    line.push_str(", a detractor (0–");
                    short(line, config.nps_detractor_max);
                    line.push(')');
                } else {
                    line.push_str(", not a detractor");
                }
            }
            None => line.push_str("no NPS answer"),
        },
    }
}

/// Room for the usual reason line, so that most are written in one allocation.
const LINE_CAPACITY: usize = 128;

/// Appends ", down 75%" or ", up 20%" (nothing when unchanged or there is no previous value).
fn change(line: &mut String, recent: f64, previous: f64) {
    if previous <= 0.0 || recent == previous {
        return;
    }
    let percent = ((recent - previous) / previous * 100.0).round();
    if percent < 0.0 {
        let _ = write!(line, ", down {}%", -percent);
    } else {
        let _ = write!(line, ", up {percent}%");
    }
}

/// Appends a number with at most one decimal and no trailing ".0".
fn short(line: &mut String, value: f64) {
    let _ = write!(line, "{value:.1}");
    if line.ends_with(".0") {
        line.truncate(line.len() - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_rounded_percentages() {
        let written = |recent, previous| {
            let mut line = String::new();
            change(&mut line, recent, previous);
            line
        };
        assert_eq!(written(1.0, 4.0), ", down 75%");
        assert_eq!(written(6.0, 4.0), ", up 50%");
        assert_eq!(written(4.0, 4.0), "");
        assert_eq!(written(3.0, 0.0), "");
        assert_eq!(written(0.0, 3.0), ", down 100%");
    }

    #[test]
    fn short_numbers_drop_a_trailing_zero() {
        for (value, expected) in [(3.0, "x3"), (3.26, "x3.3"), (0.333, "x0.3"), (10.0, "x10")] {
            let mut line = "x".to_owned();
            short(&mut line, value);
            assert_eq!(line, expected);
        }
    }
}
