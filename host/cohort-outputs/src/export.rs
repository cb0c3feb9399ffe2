//! Per-subject exports: the only way a person's identifier leaves the host, and only for a purpose marked
//! `per_subject`, only for people who consented to it and neither objected nor asked for restriction, only the
//! contact identifiers that purpose lists, and only when the export is at least the policy's `min_export_size`.

use crate::OutputError;
use crate::members::lawful_members;
use crate::segment_ref::{SegmentRef, resolve};
use cohort_policy::{Outputs, Policy};
use cohort_store::{AuditRecord, Store};
use serde::Serialize;

/// What to export.
pub struct ExportRequest<'a> {
    /// The store.
    pub store: &'a Store,
    /// The policy in force.
    pub policy: &'a Policy,
    /// `plugin/segment` or `segment`.
    pub segment: &'a str,
    /// The purpose the export serves.
    pub purpose: &'a str,
    /// Who asks (recorded in the audit log).
    pub requester: &'a str,
}

/// An export: one row per consenting member, the purpose's contact identifiers only.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    /// `plugin/segment`.
    pub segment: String,
    /// The purpose.
    pub purpose: String,
    /// The run whose memberships were exported.
    pub run_id: String,
    /// Column names: the purpose's contact identifier kinds, in policy order.
    pub columns: Vec<String>,
    /// One row per member: a value per column (empty when the member has none of that kind).
    pub rows: Vec<Vec<String>>,
    /// The audit entry recording the export.
    pub audit_seq: u64,
}

impl Export {
    /// The export as CSV (RFC 4180 quoting), with a header row.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let line = |fields: &[String]| {
            fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push_str(&line(&self.columns));
        out.push_str("\r\n");
        for row in &self.rows {
            out.push_str(&line(row));
            out.push_str("\r\n");
        }
        out
    }
}

fn csv_field(f: &str) -> String {
    // A leading =, +, - or @ would be a formula to a spreadsheet: quote with a leading apostrophe (OWASP CSV
    // injection), so a hostile identifier cannot run code on the recipient's machine.
    let f = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// Exports the members of a segment under the rules above; refusals are audited.
pub fn export_segment(req: ExportRequest<'_>) -> Result<Export, OutputError> {
    let purpose = crate::purpose(req.policy, req.purpose)?;
    let refuse = |err: OutputError| -> Result<Export, OutputError> {
        req.store.audit(
            AuditRecord::new(
                req.requester,
                "segment.export_refused",
                Some(req.policy.sha256_hex()),
            )
            .purpose(req.purpose)
            .detail("segment", req.segment)
            .detail("reason", err.to_string()),
        )?;
        Err(err)
    };
    if purpose.outputs != Outputs::PerSubject {
        return refuse(OutputError::NotPerSubject {
            purpose: purpose.id.clone(),
        });
    }
    let segment: SegmentRef = resolve(req.store, req.purpose, req.segment)?;
    let (members, _excluded) = lawful_members(req.store, purpose, &segment)?;
    let columns = purpose.contact_identifiers.clone();
    let mut rows = Vec::with_capacity(members.len());
    for m in &members {
        // A per-subject purpose is consent-based (the policy check refuses anything else); an objection or a
        // restriction still takes the person out, whatever the consent says (Art. 18, Art. 21(2)-(3)).
        let flags = m.view.header.flags;
        if flags.objected || flags.restricted || !m.view.body.consents.is_granted(&purpose.id) {
            continue;
        }
        let row: Vec<String> = columns
            .iter()
            .map(|kind| {
                m.view
                    .body
                    .identifiers
                    .iter()
                    .find(|i| &i.kind == kind && i.value.is_some())
                    .and_then(|i| i.value.clone())
                    .unwrap_or_default()
            })
            .collect();
        if row.iter().all(String::is_empty) {
            // No contact identifier of a kind this purpose releases: nothing to export for this person.
            continue;
        }
        rows.push(row);
    }
    let min = req.policy.aggregates().min_export_size;
    if (rows.len() as u64) < min {
        return refuse(OutputError::ExportTooSmall {
            segment: segment.qualified(),
            min,
        });
    }
    let audit_seq = req.store.audit(
        AuditRecord::new(
            req.requester,
            "segment.export",
            Some(req.policy.sha256_hex()),
        )
        .purpose(req.purpose)
        .detail("segment", segment.qualified())
        .detail("run_id", segment.run.run_id.clone())
        .detail("columns", columns.join(","))
        .count("subjects_exported", rows.len() as u64),
    )?;
    Ok(Export {
        segment: segment.qualified(),
        purpose: purpose.id.clone(),
        run_id: segment.run.run_id.clone(),
        columns,
        rows,
        audit_seq,
    })
}
