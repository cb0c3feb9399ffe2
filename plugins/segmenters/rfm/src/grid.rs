//! The segments RFM emits, and the R × F grid of DOMAIN.md §6 that maps scores to them.
//!
//! | R \ F | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | 5 | new_customers | potential_loyalist | potential_loyalist | champions | champions |
//! | 4 | promising | potential_loyalist | potential_loyalist | loyal_customers | loyal_customers |
//! | 3 | about_to_sleep | about_to_sleep | need_attention | loyal_customers | loyal_customers |
//! | 2 | hibernating | hibernating | at_risk | at_risk | cant_lose_them |
//! | 1 | hibernating (`lost` when carved) | hibernating | at_risk | at_risk | cant_lose_them |
//!
//! The grid is a complete partition of the 25 cells, so every scored customer lands in exactly one segment.
//! `lost` (R1 F1) is carved out of `hibernating` when the configuration asks for it.

/// One segment of the RFM plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RfmSegment {
    /// R5, F4–5.
    Champions,
    /// R3–4, F4–5.
    LoyalCustomers,
    /// R4–5, F2–3.
    PotentialLoyalist,
    /// R5, F1.
    NewCustomers,
    /// R4, F1.
    Promising,
    /// R3, F3.
    NeedAttention,
    /// R3, F1–2.
    AboutToSleep,
    /// R1–2, F3–4.
    AtRisk,
    /// R1–2, F5.
    CantLoseThem,
    /// R1–2, F1–2 (without R1 F1 when `lost` is carved out).
    Hibernating,
    /// R1, F1, when carved out of `hibernating`.
    Lost,
    /// No completed order: not scored.
    NoOrders,
}

impl RfmSegment {
    /// Every segment, in the order of DOMAIN.md's table, then `lost` and `no_orders`.
    pub const ALL: [Self; 12] = [
        Self::Champions,
        Self::LoyalCustomers,
        Self::PotentialLoyalist,
        Self::NewCustomers,
        Self::Promising,
        Self::NeedAttention,
        Self::AboutToSleep,
        Self::AtRisk,
        Self::CantLoseThem,
        Self::Hibernating,
        Self::Lost,
        Self::NoOrders,
    ];

    /// The segment id, as declared in `manifest.toml`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Champions => "champions",
            Self::LoyalCustomers => "loyal_customers",
            Self::PotentialLoyalist => "potential_loyalist",
            Self::NewCustomers => "new_customers",
            Self::Promising => "promising",
            Self::NeedAttention => "need_attention",
            Self::AboutToSleep => "about_to_sleep",
            Self::AtRisk => "at_risk",
            Self::CantLoseThem => "cant_lose_them",
            Self::Hibernating => "hibernating",
            Self::Lost => "lost",
            Self::NoOrders => "no_orders",
        }
    }

    /// What the segment means, for people reading a segment list.
    pub fn description(self) -> &'static str {
        match self {
            Self::Champions => "Bought very recently and often (R5, F4-5).",
            Self::LoyalCustomers => "Buy often and fairly recently (R3-4, F4-5).",
            Self::PotentialLoyalist => "Recent customers with a few orders (R4-5, F2-3).",
            Self::NewCustomers => "Bought very recently, for the first time or rarely (R5, F1).",
            Self::Promising => "Bought recently but rarely (R4, F1).",
            Self::NeedAttention => "Middling recency and frequency (R3, F3).",
            Self::AboutToSleep => "Middling recency, few orders (R3, F1-2).",
            Self::AtRisk => "Used to buy fairly often, not for a long time (R1-2, F3-4).",
            Self::CantLoseThem => "Used to buy the most often, not for a long time (R1-2, F5).",
            Self::Hibernating => "Few orders, long ago (R1-2, F1-2).",
            Self::Lost => "The least recent and least frequent customers (R1, F1).",
            Self::NoOrders => "Known profiles without a completed order; not scored.",
        }
    }

    /// The grid cell of recency score `r` and second-axis score `x` (both 1–5).
    ///
    /// Scores outside 1–5 are clamped into it; [`crate::quintile`] never produces them.
    pub fn from_grid(r: u8, x: u8, lost_from_r1f1: bool) -> Self {
        match (r.clamp(1, 5), x.clamp(1, 5)) {
            (5, 4..=5) => Self::Champions,
            (3..=4, 4..=5) => Self::LoyalCustomers,
            (4..=5, 2..=3) => Self::PotentialLoyalist,
            (5, 1) => Self::NewCustomers,
            (4, 1) => Self::Promising,
            (3, 3) => Self::NeedAttention,
            (3, 1..=2) => Self::AboutToSleep,
            (1..=2, 5) => Self::CantLoseThem,
            (1..=2, 3..=4) => Self::AtRisk,
            (1, 1) if lost_from_r1f1 => Self::Lost,
            // R1–2 × 1–2: the only cells left after clamping.
            _ => Self::Hibernating,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DOMAIN.md §6's table, written out cell by cell (rows R5 to R1, columns F1 to F5).
    const TABLE: [[&str; 5]; 5] = [
        [
            "new_customers",
            "potential_loyalist",
            "potential_loyalist",
            "champions",
            "champions",
        ],
        [
            "promising",
            "potential_loyalist",
            "potential_loyalist",
            "loyal_customers",
            "loyal_customers",
        ],
        [
            "about_to_sleep",
            "about_to_sleep",
            "need_attention",
            "loyal_customers",
            "loyal_customers",
        ],
        [
            "hibernating",
            "hibernating",
            "at_risk",
            "at_risk",
            "cant_lose_them",
        ],
        [
            "hibernating",
            "hibernating",
            "at_risk",
            "at_risk",
            "cant_lose_them",
        ],
    ];

    #[test]
    fn grid_matches_the_domain_table() {
        for (row, cells) in TABLE.iter().enumerate() {
            let r = 5 - row as u8;
            for (column, expected) in cells.iter().enumerate() {
                let x = column as u8 + 1;
                assert_eq!(
                    RfmSegment::from_grid(r, x, false).id(),
                    *expected,
                    "R{r} F{x}"
                );
            }
        }
    }

    #[test]
    fn lost_is_only_r1_f1_and_only_when_carved() {
        for r in 1..=5 {
            for x in 1..=5 {
                let carved = RfmSegment::from_grid(r, x, true);
                let plain = RfmSegment::from_grid(r, x, false);
                if (r, x) == (1, 1) {
                    assert_eq!((carved, plain), (RfmSegment::Lost, RfmSegment::Hibernating));
                } else {
                    assert_eq!(carved, plain, "R{r} F{x}");
                }
            }
        }
    }

    #[test]
    fn ids_are_unique_snake_case() {
        let mut ids: Vec<&str> = RfmSegment::ALL.iter().map(|s| s.id()).collect();
        assert!(
            ids.iter()
                .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RfmSegment::ALL.len());
    }
}
