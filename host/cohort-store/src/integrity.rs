//! `cohort store check`: walks the whole store and proves its structural invariants, without printing any
//! personal data. Used after a crash and by the crash tests: no subject is half-written.

use crate::keyspace;
use crate::{Store, StoreError};
use serde::Serialize;
use std::collections::HashSet;

/// What the check found.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Subjects that opened completely (key, body, every page).
    pub subjects_ok: u64,
    /// Identity index entries checked.
    pub identities_checked: u64,
    /// Every problem found, in words (subject ids only).
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    /// Checks every subject and every identity entry.
    pub fn check_integrity(&self) -> Result<IntegrityReport, StoreError> {
        let mut report = IntegrityReport::default();
        let mut live = HashSet::new();
        let mut slots = HashSet::new();
        let ids: Vec<_> = self.subject_ids().collect::<Result<_, _>>()?;
        for id in ids {
            live.insert(id);
            match self.subject(&id) {
                Ok(Some(view)) => {
                    if !slots.insert(view.header.vault_slot) {
                        report.problems.push(format!(
                            "subject {id}: vault slot {} shared",
                            view.header.vault_slot
                        ));
                    }
                    let mut all_indexed = true;
                    for ident in &view.body.identifiers {
                        let Some(p) = ident.pseudonym() else {
                            report
                                .problems
                                .push(format!("subject {id}: malformed identifier hash"));
                            continue;
                        };
                        let points_back = self
                            .tree
                            .get(keyspace::pseudonym_key(keyspace::IDENTITY, &p))?
                            .is_some_and(|v| &v[..] == id.bytes());
                        all_indexed &= points_back;
                    }
                    if !all_indexed {
                        report
                            .problems
                            .push(format!("subject {id}: an identifier is not indexed to it"));
                    }
                    if all_indexed {
                        report.subjects_ok += 1;
                    }
                }
                Ok(None) => {}
                Err(e) => report.problems.push(format!("subject {id}: {e}")),
            }
        }
        for item in self.tree.scan_prefix([keyspace::IDENTITY]) {
            let (_, v) = item?;
            report.identities_checked += 1;
            match keyspace::subject_id_at(&v, 0) {
                Some(s) if live.contains(&s) => {}
                Some(s) => report
                    .problems
                    .push(format!("identity entry points to missing subject {s}")),
                None => report.problems.push("malformed identity entry".into()),
            }
        }
        Ok(report)
    }
}
