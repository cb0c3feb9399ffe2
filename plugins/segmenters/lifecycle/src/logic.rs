//! The lifecycle rules in plain Rust: the host benchmarks [`classify`] natively against the Wasm build.
//!
//! # Stages and their precedence
//!
//! Every profile gets exactly one stage; the first rule that holds wins:
//!
//! 1. `new_lead` — no completed order (the profile is known to the shop, but has not bought).
//! 2. `churned` — the last order is more than `churned_after_days` whole days old.
//! 3. `lapsed` — the last order is more than the lapse window old: the customer's median gap between
//!    orders × `lapsed_gap_factor` (never below `lapsed_gap_min_days`) once they have
//!    `lapsed_gap_min_orders` orders, else `lapsed_after_days`.
//! 4. `win_back` — the last order came after a gap of more than `churned_after_days` since the one before:
//!    the customer had churned and came back. They stay `win_back` until their next order (or until they
//!    lapse again).
//! 5. `loyal` — at least `loyal_min_orders` orders.
//! 6. `repeat` — at least 2 orders.
//! 7. `first_time_buyer` — exactly 1 order.
//!
//! Inactivity comes before order counts because it is the newer fact: a customer with ten orders who has
//! not bought for a year is churned, not loyal. "More than N days" compares whole days: with the default
//! 90-day window a last order 90 days ago is still active and 91 days ago is lapsed.

use cohort_plugin_kit::commerce::days::{median_gap_days, whole_days};

use crate::config::LifecycleConfig;

/// A lifecycle stage: the segment ids of this plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Known, no completed order.
    NewLead,
    /// Exactly one order, recently enough.
    FirstTimeBuyer,
    /// Two or more orders, recently enough.
    Repeat,
    /// At least `loyal_min_orders` orders, recently enough.
    Loyal,
    /// No order within the lapse window.
    Lapsed,
    /// No order within the churn window.
    Churned,
    /// Bought again after a gap longer than the churn window.
    WinBack,
}

impl Stage {
    /// Every stage, in lifecycle order.
    pub const ALL: [Self; 7] = [
        Self::NewLead,
        Self::FirstTimeBuyer,
        Self::Repeat,
        Self::Loyal,
        Self::Lapsed,
        Self::Churned,
        Self::WinBack,
    ];

    /// The segment id, as declared in `manifest.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Self::NewLead => "new_lead",
            Self::FirstTimeBuyer => "first_time_buyer",
            Self::Repeat => "repeat",
            Self::Loyal => "loyal",
            Self::Lapsed => "lapsed",
            Self::Churned => "churned",
            Self::WinBack => "win_back",
        }
    }

    /// What the stage means, for people reading a segment list.
    pub fn description(self) -> &'static str {
        match self {
            Self::NewLead => "Known profiles without a completed order.",
            Self::FirstTimeBuyer => {
                "Customers with exactly one order, placed within the lapse window."
            }
            Self::Repeat => {
                "Customers with two or more orders, the latest within the lapse window."
            }
            Self::Loyal => {
                "Customers with many orders (loyal_min_orders, default 4), the latest within the lapse window."
            }
            Self::Lapsed => {
                "Customers whose last order is older than their lapse window but not yet churned."
            }
            Self::Churned => {
                "Customers whose last order is older than the churn window (default 180 days)."
            }
            Self::WinBack => {
                "Customers who ordered again after a gap longer than the churn window."
            }
        }
    }
}

/// Which lapse window applied to a customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LapseWindow {
    /// The configured `lapsed_after_days`.
    Fixed(f64),
    /// The customer's own rhythm: median gap × factor, floored at `lapsed_gap_min_days`.
    Personal {
        /// The median whole-day gap between the customer's orders.
        median_gap_days: f64,
        /// The window that resulted, in days.
        days: f64,
    },
}

impl LapseWindow {
    /// The window length in days.
    pub fn days(self) -> f64 {
        match self {
            Self::Fixed(days) | Self::Personal { days, .. } => days,
        }
    }
}

/// A profile's stage and the facts that decided it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classification {
    /// The stage.
    pub stage: Stage,
    /// How many completed orders the profile has.
    pub orders: usize,
    /// Whole days since the latest order; `None` without orders.
    pub days_since_last: Option<i64>,
    /// Whole days between the latest order and the one before; `None` with fewer than two orders.
    pub gap_before_last: Option<i64>,
    /// The lapse window that applied; `None` without orders.
    pub lapse: Option<LapseWindow>,
}

/// The lapse window for a customer with these order times (sorted, at least one).
pub fn lapse_window(order_times: &[i64], config: &LifecycleConfig) -> LapseWindow {
    let enough = order_times.len() >= config.lapsed_gap_min_orders as usize;
    match median_gap_days(order_times) {
        Some(median) if enough && config.lapsed_gap_factor > 0.0 => LapseWindow::Personal {
            median_gap_days: median,
            days: (median * config.lapsed_gap_factor).max(f64::from(config.lapsed_gap_min_days)),
        },
        _ => LapseWindow::Fixed(f64::from(config.lapsed_after_days)),
    }
}

/// Classifies one profile from its order times (sorted oldest first, none after `now`) as of `now`.
pub fn classify(now: i64, order_times: &[i64], config: &LifecycleConfig) -> Classification {
    let Some(&last) = order_times.last() else {
        return Classification {
            stage: Stage::NewLead,
            orders: 0,
            days_since_last: None,
            gap_before_last: None,
            lapse: None,
        };
    };
    let orders = order_times.len();
    let days_since_last = whole_days(last, now);
    let gap_before_last = order_times
        .len()
        .checked_sub(2)
        .map(|previous| whole_days(order_times[previous], last));
    let lapse = lapse_window(order_times, config);
    // Whole days are far below 2^53, exact in an f64.
    let idle = days_since_last as f64;
    let churned_after = i64::from(config.churned_after_days);
    let stage = if days_since_last > churned_after {
        Stage::Churned
    } else if idle > lapse.days() {
        Stage::Lapsed
    } else if gap_before_last.is_some_and(|gap| gap > churned_after) {
        Stage::WinBack
    } else if orders >= config.loyal_min_orders as usize {
        Stage::Loyal
    } else if orders >= 2 {
        Stage::Repeat
    } else {
        Stage::FirstTimeBuyer
    };
    Classification {
        stage,
        orders,
        days_since_last: Some(days_since_last),
        gap_before_last,
        lapse: Some(lapse),
    }
}
