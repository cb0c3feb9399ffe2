//! Retention (GDPR Art. 5(1)(e)): dropping events older than the policy allows and profiles inactive for longer.
//!
//! Inactive profiles are erased exactly like an erasure request (crypto-shredded first) but without suppression:
//! the person did not object, so a later record may bring them back as a new subject.

use crate::audit_log::AuditRecord;
use crate::erase::ErasureRequest;
use crate::subject::SubjectId;
use crate::{Store, StoreError};
use serde::Serialize;

/// The cut-offs a sweep applies, computed from the policy and today's date by the caller.
#[derive(Debug, Clone)]
pub struct RetentionCutoffs {
    /// Events before this instant (RFC 3339, UTC) are dropped.
    pub events_before: String,
    /// Profiles last seen before this day number are erased.
    pub inactive_before_day: u32,
}

/// What a sweep removed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    /// Subjects examined.
    pub subjects_examined: u64,
    /// Inactive profiles erased.
    pub profiles_erased: u64,
    /// Events dropped from the remaining profiles.
    pub events_dropped: u64,
}

impl Store {
    /// Applies the retention cut-offs. Each touched subject is committed on its own batch so a long sweep can be
    /// interrupted safely; one summary audit entry closes it.
    pub fn retention_sweep(
        &self,
        cutoffs: &RetentionCutoffs,
        record: AuditRecord,
    ) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let headers: Vec<_> = self.subject_headers().collect::<Result<_, _>>()?;
        for (id, header) in headers {
            report.subjects_examined += 1;
            if header.last_seen_day < cutoffs.inactive_before_day {
                let mut audit = record.clone();
                audit.action = "retention.erase_inactive".into();
                self.erase(
                    &id,
                    ErasureRequest {
                        request_id: "retention".into(),
                        reason: "inactive_profile_retention".into(),
                        suppress: false,
                        audit,
                    },
                )?;
                report.profiles_erased += 1;
                continue;
            }
            report.events_dropped += self.drop_events_before(&id, &cutoffs.events_before)?;
        }
        self.audit(
            record
                .count("subjects_examined", report.subjects_examined)
                .count("profiles_erased", report.profiles_erased)
                .count("events_dropped", report.events_dropped)
                .detail("events_before", cutoffs.events_before.clone())
                .detail(
                    "inactive_before_day",
                    cutoffs.inactive_before_day.to_string(),
                ),
        )?;
        Ok(report)
    }

    fn drop_events_before(&self, id: &SubjectId, before: &str) -> Result<u64, StoreError> {
        let Some(view) = self.subject(id)? else {
            return Ok(0);
        };
        let old = view
            .body
            .events
            .iter()
            .filter(|e| e.at.as_str() < before)
            .count() as u64;
        if old == 0 {
            return Ok(0);
        }
        self.rewrite_events(id, &view, |e| e.at.as_str() >= before)?;
        Ok(old)
    }
}
