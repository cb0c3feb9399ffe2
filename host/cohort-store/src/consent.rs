//! The consent ledger of one subject: per purpose, the current state and the full history of consent events, in the
//! fields of an ISO/IEC TS 27560 consent record.
//!
//! The current state is the state of the event with the latest `at` (ties: the later recorded wins), so events
//! imported out of order still give the right answer. A purpose with no event is *not granted*: consent-based
//! purposes default to no.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A consent state, as in DPV's `hasConsentStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// `dpv:ConsentGiven`.
    Granted,
    /// `dpv:ConsentWithdrawn`.
    Withdrawn,
    /// `dpv:ConsentRefused`.
    Refused,
}

impl ConsentState {
    /// Parses `granted`, `withdrawn` or `refused`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "granted" => Some(Self::Granted),
            "withdrawn" => Some(Self::Withdrawn),
            "refused" => Some(Self::Refused),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Withdrawn => "withdrawn",
            Self::Refused => "refused",
        }
    }

    /// The DPV consent status term.
    pub fn dpv(self) -> &'static str {
        match self {
            Self::Granted => "dpv:ConsentGiven",
            Self::Withdrawn => "dpv:ConsentWithdrawn",
            Self::Refused => "dpv:ConsentRefused",
        }
    }
}

/// One consent event (an ISO/IEC TS 27560 "event").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    /// Random record id (`dct:identifier`).
    pub record_id: String,
    /// The new state (`dpv:hasConsentStatus`).
    pub state: ConsentState,
    /// When the person expressed it (`dct:date`, RFC 3339).
    pub at: String,
    /// Collection point (web_form, double_opt_in, call_centre, cli, ...).
    pub source: String,
    /// Privacy notice shown (`dpv:hasNotice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// How it was expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Language of the notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Id of the policy in force when recorded.
    pub policy_id: String,
    /// Version of that policy.
    pub policy_version: u32,
    /// When Cohort recorded it (RFC 3339).
    pub recorded_at: String,
}

/// State and history for one purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeConsent {
    /// Every event, in the order recorded.
    pub history: Vec<ConsentEvent>,
}

impl PurposeConsent {
    /// The state of the event with the latest `at` (ties: the later recorded). `None` when there is no event.
    pub fn current(&self) -> Option<&ConsentEvent> {
        // RFC 3339 timestamps in UTC with the same precision compare as strings; the ingest path normalises them.
        self.history
            .iter()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| a.at.cmp(&b.at).then(ia.cmp(ib)))
            .map(|(_, e)| e)
    }
}

/// A subject's consents, by purpose id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsentLedger(pub BTreeMap<String, PurposeConsent>);

impl ConsentLedger {
    /// Records an event for `purpose`; an identical event (same state, time and source) is not recorded twice.
    pub fn record(&mut self, purpose: &str, event: ConsentEvent) -> bool {
        let entry = self.0.entry(purpose.to_string()).or_default();
        let duplicate = entry
            .history
            .iter()
            .any(|e| e.state == event.state && e.at == event.at && e.source == event.source);
        if duplicate {
            return false;
        }
        entry.history.push(event);
        true
    }

    /// Whether consent for `purpose` is currently granted (no event means no).
    pub fn is_granted(&self, purpose: &str) -> bool {
        self.state(purpose) == Some(ConsentState::Granted)
    }

    /// The current state for `purpose`.
    pub fn state(&self, purpose: &str) -> Option<ConsentState> {
        self.0
            .get(purpose)
            .and_then(PurposeConsent::current)
            .map(|e| e.state)
    }

    /// Merges another ledger into this one (subject merge): histories are united without duplicates.
    pub fn merge(&mut self, other: ConsentLedger) {
        for (purpose, pc) in other.0 {
            for e in pc.history {
                self.record(&purpose, e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(state: ConsentState, at: &str, n: u32) -> ConsentEvent {
        ConsentEvent {
            record_id: format!("r{n}"),
            state,
            at: at.into(),
            source: "web_form".into(),
            notice: None,
            method: None,
            language: None,
            policy_id: "p".into(),
            policy_version: 1,
            recorded_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn defaults_to_not_granted() {
        let l = ConsentLedger::default();
        assert!(!l.is_granted("email_marketing"));
        assert_eq!(l.state("email_marketing"), None);
    }

    #[test]
    fn latest_event_wins_even_when_recorded_out_of_order() {
        let mut l = ConsentLedger::default();
        l.record("m", ev(ConsentState::Withdrawn, "2026-03-01T00:00:00Z", 1));
        l.record("m", ev(ConsentState::Granted, "2026-01-01T00:00:00Z", 2));
        assert_eq!(l.state("m"), Some(ConsentState::Withdrawn));
        l.record("m", ev(ConsentState::Granted, "2026-04-01T00:00:00Z", 3));
        assert!(l.is_granted("m"));
        assert_eq!(l.0["m"].history.len(), 3);
    }

    #[test]
    fn duplicates_are_not_recorded_and_merge_unites() {
        let mut a = ConsentLedger::default();
        assert!(a.record("m", ev(ConsentState::Granted, "2026-01-01T00:00:00Z", 1)));
        assert!(!a.record("m", ev(ConsentState::Granted, "2026-01-01T00:00:00Z", 2)));
        let mut b = ConsentLedger::default();
        b.record("m", ev(ConsentState::Granted, "2026-01-01T00:00:00Z", 3));
        b.record("p", ev(ConsentState::Refused, "2026-01-02T00:00:00Z", 4));
        a.merge(b);
        assert_eq!(a.0["m"].history.len(), 1);
        assert_eq!(a.state("p"), Some(ConsentState::Refused));
    }
}
