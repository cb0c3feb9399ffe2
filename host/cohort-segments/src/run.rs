//! One segmentation run, from authorisation to audited memberships.

use crate::SegmentError;
use crate::lawful::{Exclusion, lawful_basis};
use crate::projection::{Scope, project};
use cohort_plugin_package::{TrustedPackage, authorise_purpose};
use cohort_plugins::{Assignment, Assignments, LoadedPlugin, Profile};
use cohort_policy::Policy;
use cohort_store::{
    AuditRecord, Membership, MembershipChange, PluginMemberships, Store, SubjectId,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Profiles per `add` call. Large enough to amortise the call, small enough that one chunk's canonical-ABI copy
/// stays a few MiB inside the plugin's memory.
pub const DEFAULT_CHUNK: usize = 2_000;

/// What to run.
pub struct RunRequest<'a> {
    /// The store.
    pub store: &'a Store,
    /// The policy in force.
    pub policy: &'a Policy,
    /// The trusted package (authorised for loading).
    pub package: &'a TrustedPackage,
    /// The loaded plugin of that package.
    pub plugin: &'a LoadedPlugin,
    /// The purpose the run serves.
    pub purpose: &'a str,
    /// The plugin configuration.
    pub config: &'a serde_json::Value,
    /// Who runs it.
    pub actor: &'a str,
    /// Analysis time.
    pub now: time::OffsetDateTime,
    /// Profiles per call.
    pub chunk: usize,
}

/// What a run did; every figure is safe to print.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Run id.
    pub run_id: String,
    /// `id@version`.
    pub plugin: String,
    /// SHA-256 of the package (manifest and wasm).
    pub package_sha256: String,
    /// The purpose.
    pub purpose: String,
    /// Subjects in the store.
    pub subjects_total: u64,
    /// Subjects the plugin saw.
    pub subjects_seen: u64,
    /// Subjects left out, by reason.
    pub excluded: BTreeMap<Exclusion, u64>,
    /// Attributes released to the plugin (manifest ∩ purpose).
    pub attributes_released: Vec<String>,
    /// Event types released.
    pub event_types_released: Vec<String>,
    /// Assignments recorded.
    pub assignments: u64,
    /// Members per segment (internal figures; outputs threshold them).
    pub by_segment: BTreeMap<String, u64>,
    /// Fuel the plugin used.
    pub fuel: u64,
    /// Its peak memory in bytes.
    pub peak_memory: usize,
    /// Time inside the plugin, in milliseconds.
    pub plugin_ms: u64,
    /// The audit entry.
    pub audit_seq: u64,
}

/// Runs a segmenter over the store under the policy, records memberships and audits the run.
pub fn run_segmenter(req: RunRequest<'_>) -> Result<RunReport, SegmentError> {
    if let Err(e) = authorise_purpose(req.package, req.policy, req.purpose) {
        req.store.audit(
            AuditRecord::new(req.actor, "plugin.refused", Some(req.policy.sha256_hex()))
                .purpose(req.purpose)
                .detail("plugin", req.plugin.name().to_string())
                .detail("package_sha256", req.plugin.sha256().to_string())
                .detail("reason", "not_allowed_for_purpose"),
        )?;
        return Err(e.into());
    }
    let purpose = req.policy.purpose(req.purpose).ok_or_else(|| {
        SegmentError::Invalid(format!("purpose `{}` is not in the policy", req.purpose))
    })?;
    let manifest = req.package.manifest();
    if let Err(problems) = manifest.validate_config(req.config) {
        req.store.audit(
            AuditRecord::new(req.actor, "plugin.refused", Some(req.policy.sha256_hex()))
                .purpose(req.purpose)
                .detail("plugin", req.plugin.name().to_string())
                .detail("package_sha256", req.plugin.sha256().to_string())
                .detail("reason", "bad_config"),
        )?;
        return Err(SegmentError::Invalid(format!(
            "configuration of `{}`: {}",
            req.plugin.name(),
            problems.join("; ")
        )));
    }
    manifest.validate_config(req.config).map_err(|problems| {
        SegmentError::Invalid(format!(
            "configuration of `{}`: {}",
            req.plugin.name(),
            problems.join("; ")
        ))
    })?;
    let data = manifest.data().ok_or_else(|| {
        SegmentError::Invalid(format!("`{}` is not a segmenter", req.plugin.name()))
    })?;
    // The plugin's own list of segments under this config must stay within its manifest (checked by `segments`).
    req.plugin.segments(&req.config.to_string())?;
    let scope = Scope::new(
        &data.attributes,
        &data.event_types,
        &purpose.attributes,
        &purpose.event_types,
    );
    let run_id = run_id()?;
    let tokens = RunTokens::new()?;
    let config_text = req.config.to_string();
    let policy_sha = req.policy.sha256_hex().to_string();

    let result = drive(&req, &scope, &tokens, &config_text);
    let (assigned, seen, excluded_ids, excluded, stats) = match result {
        Ok(r) => r,
        Err(e) => {
            // Audit the failure: kind and call only, never the plugin's own message (it could echo data).
            let mut record = AuditRecord::new(req.actor, "plugin.failed", Some(&policy_sha))
                .purpose(req.purpose)
                .detail("plugin", req.plugin.name().to_string())
                .detail("package_sha256", req.plugin.sha256().to_string())
                .detail("run_id", run_id.clone());
            if let SegmentError::Plugin(p) = &e {
                record = record.detail("error_kind", p.kind().to_string());
            }
            req.store.audit(record)?;
            return Err(e);
        }
    };

    // Memberships: one sealed value per assigned subject; everyone else of this plugin loses theirs.
    let at = cohort_store::rfc3339(req.now);
    let mut per_subject: HashMap<SubjectId, Vec<Membership>> = HashMap::new();
    let mut by_segment = BTreeMap::new();
    for (subject, a) in &assigned {
        *by_segment.entry(a.segment.clone()).or_insert(0u64) += 1;
        per_subject.entry(*subject).or_default().push(Membership {
            segment: a.segment.clone(),
            score: a.score,
            reasons: a.reasons.clone(),
        });
    }
    let mut changes: Vec<MembershipChange> =
        Vec::with_capacity(per_subject.len() + excluded_ids.len());
    for id in seen.iter().chain(excluded_ids.iter()) {
        let m = per_subject.remove(id).map(|segments| PluginMemberships {
            plugin: req.plugin.id().to_string(),
            run_id: run_id.clone(),
            purpose: req.purpose.to_string(),
            at: at.clone(),
            segments,
        });
        changes.push((*id, m));
    }
    let report = RunReport {
        run_id: run_id.clone(),
        plugin: req.plugin.name().to_string(),
        package_sha256: req.plugin.sha256().to_string(),
        purpose: req.purpose.to_string(),
        subjects_total: (seen.len() + excluded_ids.len()) as u64,
        subjects_seen: seen.len() as u64,
        excluded,
        attributes_released: scope.attributes.iter().cloned().collect(),
        event_types_released: scope.event_types.iter().cloned().collect(),
        assignments: assigned.len() as u64,
        by_segment,
        fuel: stats.fuel,
        peak_memory: stats.peak_memory,
        plugin_ms: stats.micros / 1000,
        audit_seq: 0,
    };
    let run_record = serde_json::json!({
        "run_id": run_id, "plugin": report.plugin, "plugin_id": req.plugin.id(),
        "package_sha256": report.package_sha256, "purpose": report.purpose, "at": at,
        "config_sha256": cohort_crypto::sha256_hex(config_text.as_bytes()),
        "subjects_seen": report.subjects_seen, "by_segment": report.by_segment,
        "policy_sha256": policy_sha,
    });
    let mut record = AuditRecord::new(req.actor, "segment.run", Some(&policy_sha))
        .purpose(req.purpose)
        .detail("plugin", report.plugin.clone())
        .detail("package_sha256", report.package_sha256.clone())
        .detail("run_id", run_id.clone())
        .detail("attributes_released", report.attributes_released.join(","))
        .detail(
            "event_types_released",
            report.event_types_released.join(","),
        )
        .count("subjects_seen", report.subjects_seen)
        .count("assignments", report.assignments)
        .count("fuel", report.fuel);
    for (why, n) in &report.excluded {
        let name = serde_json::to_value(why)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        record = record.count(&format!("excluded_{name}"), *n);
    }
    let seq = req.store.write_memberships(
        req.plugin.id(),
        req.purpose,
        &changes,
        &run_id,
        &run_record,
        record,
    )?;
    Ok(RunReport {
        audit_seq: seq,
        ..report
    })
}

type Driven = (
    Vec<(SubjectId, Assignment)>,
    Vec<SubjectId>,
    Vec<SubjectId>,
    BTreeMap<Exclusion, u64>,
    cohort_plugins::CallStats,
);

fn drive(
    req: &RunRequest<'_>,
    scope: &Scope,
    tokens: &RunTokens,
    config: &str,
) -> Result<Driven, SegmentError> {
    let purpose = req.policy.purpose(req.purpose).ok_or_else(|| {
        SegmentError::Invalid(format!("purpose `{}` is not in the policy", req.purpose))
    })?;
    let mut run = req
        .plugin
        .start_segmenter(config, req.purpose, req.now.unix_timestamp())?;
    let mut by_token: HashMap<u64, SubjectId> = HashMap::new();
    let mut seen = Vec::new();
    let mut excluded_ids = Vec::new();
    let mut excluded: BTreeMap<Exclusion, u64> = BTreeMap::new();
    let mut assigned = Vec::new();
    let mut chunk: Vec<Profile> = Vec::with_capacity(req.chunk.max(1));
    let plugin_name = req.plugin.name().to_string();
    // A token the plugin was never given is a protocol breach, not something to skip silently.
    let resolve = |out: Assignments,
                   by_token: &HashMap<u64, SubjectId>,
                   assigned: &mut Vec<(SubjectId, Assignment)>|
     -> Result<(), SegmentError> {
        for a in out.iter() {
            let id =
                by_token
                    .get(&a.token)
                    .ok_or_else(|| cohort_plugins::PluginError::Protocol {
                        plugin: plugin_name.clone(),
                        message: "assigned a token it was never given".into(),
                    })?;
            assigned.push((*id, a.to_owned()));
        }
        Ok(())
    };
    for id in req.store.subject_ids() {
        let id = id?;
        let Some(view) = req.store.subject(&id)? else {
            continue;
        };
        match lawful_basis(&view, purpose) {
            Err(why) => {
                *excluded.entry(why).or_insert(0) += 1;
                excluded_ids.push(id);
            }
            Ok(()) => {
                let token = tokens.unused_token(&id, &by_token).ok_or_else(|| {
                    // 256 collisions in a row cannot happen with a sound HMAC; refuse rather than merge two people.
                    SegmentError::Invalid(
                        "could not give every profile its own token; run again".into(),
                    )
                })?;
                by_token.insert(token, id);
                seen.push(id);
                chunk.push(project(&view, scope, token));
                if chunk.len() >= req.chunk.max(1) {
                    let out = run.add(&std::mem::take(&mut chunk))?;
                    resolve(out, &by_token, &mut assigned)?;
                }
            }
        }
    }
    if !chunk.is_empty() {
        let out = run.add(&chunk)?;
        resolve(out, &by_token, &mut assigned)?;
    }
    let out = run.finish()?;
    resolve(out, &by_token, &mut assigned)?;
    Ok((assigned, seen, excluded_ids, excluded, run.stats))
}

/// Run-scoped pseudonymous tokens: HMAC of the subject id under a key that exists only for this run, cut to 64
/// bits, so a plugin cannot link profiles across runs or to stored ids.
struct RunTokens {
    key: ring::hmac::Key,
}

impl RunTokens {
    fn new() -> Result<Self, SegmentError> {
        let mut k = [0u8; 32];
        cohort_crypto::random_bytes(&mut k).map_err(cohort_store::StoreError::from)?;
        Ok(Self {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &k),
        })
    }

    /// The token of `id` under salt `salt`.
    fn token(&self, id: &SubjectId, salt: u8) -> u64 {
        let mut ctx = ring::hmac::Context::with_key(&self.key);
        ctx.update(id.bytes());
        ctx.update(&[salt]);
        let tag = ctx.sign();
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        u64::from_le_bytes(first)
    }

    /// The token of `id`, re-derived under the next salt in the rare case (about 1 in 3 * 10^7 for a million
    /// profiles) that another subject of this run already has it, so that every token names one subject.
    /// `None` only if all 256 salts collide.
    fn unused_token<V>(&self, id: &SubjectId, taken: &HashMap<u64, V>) -> Option<u64> {
        (0..=u8::MAX)
            .map(|salt| self.token(id, salt))
            .find(|token| !taken.contains_key(token))
    }
}

fn run_id() -> Result<String, SegmentError> {
    let mut b = [0u8; 8];
    cohort_crypto::random_bytes(&mut b).map_err(cohort_store::StoreError::from)?;
    let now = time::OffsetDateTime::now_utc();
    Ok(format!("run-{}-{}", now.unix_timestamp(), hex::encode(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_token_is_re_derived_and_tokens_differ_between_runs() {
        let (run, other_run) = (
            RunTokens::new().expect("key"),
            RunTokens::new().expect("key"),
        );
        let (a, b) = (
            SubjectId::random().expect("id"),
            SubjectId::random().expect("id"),
        );
        let none: HashMap<u64, ()> = HashMap::new();
        let first = run.unused_token(&a, &none).expect("a token");
        assert_eq!(
            run.unused_token(&a, &none),
            Some(first),
            "stable within a run"
        );
        assert_ne!(run.unused_token(&b, &none), Some(first));
        assert_ne!(
            other_run.unused_token(&a, &none),
            Some(first),
            "a new key per run"
        );
        // Another subject already holds `first`: `a` gets the next salt's token instead.
        let taken: HashMap<u64, ()> = [(first, ())].into();
        let second = run.unused_token(&a, &taken).expect("a token");
        assert_ne!(second, first);
        assert_eq!(second, run.token(&a, 1));
    }
}
