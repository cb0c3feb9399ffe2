//! `cohort policy diff`: what a new policy version widens or narrows, for an auditor's sign-off.
//!
//! "Widens" means the new version allows more processing, more data, longer storage or weaker safeguards; such a
//! change needs a fresh look at the legal basis and, for consent purposes, possibly fresh consent (Art. 7, Art. 6(4)
//! compatibility). Paths name purposes by id rather than index, so reordering a file is not a change.
//!
//! Every rule is symmetric: comparing the versions the other way round swaps widens and narrows, and keeps neutral.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Display, Write as _};

use serde::Serialize;

use crate::generalise::Generalisation;
use crate::location::child;
use crate::model::{DifferentialPrivacy, Purpose};
use crate::policy::Policy;
use crate::vocabulary::{EmailFolding, LegalBasis, Outputs, Reimport};

/// The direction of one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allows more than before: more data, more purposes, longer storage, weaker safeguards.
    Widens,
    /// Allows less than before.
    Narrows,
    /// Neither, but worth reading (wording, names, contacts).
    Neutral,
}

impl Effect {
    /// The effect of the same change made the other way round.
    pub fn reversed(self) -> Self {
        match self {
            Self::Widens => Self::Narrows,
            Self::Narrows => Self::Widens,
            Self::Neutral => Self::Neutral,
        }
    }

    /// The lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Widens => "widens",
            Self::Narrows => "narrows",
            Self::Neutral => "neutral",
        }
    }
}

impl Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between two policy versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Where, with purposes, attributes, events and plugins named by id: `/purposes/analytics/attributes`.
    pub path: String,
    /// Whether it widens or narrows what the policy allows.
    pub effect: Effect,
    /// What changed, in words.
    pub description: String,
}

/// Which file a side of the comparison is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyVersion {
    /// Policy id.
    pub id: String,
    /// Policy version.
    pub version: u32,
    /// SHA-256 of the file, so a sign-off names the exact bytes compared.
    pub sha256_hex: String,
}

/// The differences between two policy versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    /// The version compared from.
    pub old: PolicyVersion,
    /// The version compared to.
    pub new: PolicyVersion,
    /// Every change, in the order of the policy's sections.
    pub changes: Vec<Change>,
}

impl PolicyDiff {
    /// True when any change widens what the policy allows.
    pub fn widens(&self) -> bool {
        self.changes.iter().any(|c| c.effect == Effect::Widens)
    }

    /// True when the two versions allow the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The diff as Markdown for a sign-off: widening changes first.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_markdown(&mut out);
        out
    }

    fn write_markdown(&self, out: &mut String) -> fmt::Result {
        writeln!(
            out,
            "# Policy diff: `{}` version {} to `{}` version {}\n",
            self.old.id, self.old.version, self.new.id, self.new.version
        )?;
        writeln!(
            out,
            "Old file SHA-256 `{}`, new file SHA-256 `{}`.\n",
            self.old.sha256_hex, self.new.sha256_hex
        )?;
        if self.changes.is_empty() {
            return writeln!(out, "No changes.");
        }
        let widening = self
            .changes
            .iter()
            .filter(|c| c.effect == Effect::Widens)
            .count();
        if widening > 0 {
            writeln!(
                out,
                "**This version widens processing: {widening} change(s) need sign-off, and consent purposes may \
                 need fresh consent.**\n"
            )?;
        } else {
            writeln!(out, "This version does not widen processing.\n")?;
        }
        for (effect, heading) in [
            (Effect::Widens, "Widens"),
            (Effect::Narrows, "Narrows"),
            (Effect::Neutral, "Neutral"),
        ] {
            let changes: Vec<&Change> =
                self.changes.iter().filter(|c| c.effect == effect).collect();
            if changes.is_empty() {
                continue;
            }
            writeln!(out, "## {heading}\n")?;
            for change in changes {
                writeln!(out, "- `{}`: {}", change.path, change.description)?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

/// Compares two versions of a policy.
pub fn diff(old: &Policy, new: &Policy) -> PolicyDiff {
    let mut d = Differ::default();
    if old.id() != new.id() {
        d.push(
            "/policy",
            Effect::Neutral,
            format!("policy id `{}` became `{}`", old.id(), new.id()),
        );
    }
    diff_controller(&mut d, old, new);
    diff_identity(&mut d, old, new);
    diff_purposes(&mut d, old, new);
    diff_attributes(&mut d, old, new);
    diff_events(&mut d, old, new);
    diff_aggregates(&mut d, old, new);
    d.number(
        "/retention/events_days",
        "event retention (days)",
        old.retention().events_days,
        new.retention().events_days,
        Effect::Widens,
    );
    d.number(
        "/retention/inactive_profile_days",
        "inactive profile retention (days)",
        old.retention().inactive_profile_days,
        new.retention().inactive_profile_days,
        Effect::Widens,
    );
    let (old_reimport, new_reimport) = (old.erasure().reimport, new.erasure().reimport);
    if old_reimport != new_reimport {
        let effect = if new_reimport == Reimport::WithNewConsent {
            Effect::Widens
        } else {
            Effect::Narrows
        };
        d.push(
            "/erasure/reimport",
            effect,
            format!("re-import after erasure `{old_reimport}` became `{new_reimport}`"),
        );
    }
    diff_plugins(&mut d, old, new);
    if old.version() != new.version() || !d.changes.is_empty() {
        let description = if new.version() > old.version() {
            format!("version {} became {}", old.version(), new.version())
        } else {
            format!(
                "version {} became {}; the version should increase with every change, since consents record it",
                old.version(),
                new.version()
            )
        };
        d.push("/version", Effect::Neutral, description);
    }
    let side = |p: &Policy| PolicyVersion {
        id: p.id().to_owned(),
        version: p.version(),
        sha256_hex: p.sha256_hex().to_owned(),
    };
    PolicyDiff {
        old: side(old),
        new: side(new),
        changes: d.changes,
    }
}

/// Collects changes.
#[derive(Default)]
struct Differ {
    changes: Vec<Change>,
}

impl Differ {
    fn push(&mut self, path: impl Into<String>, effect: Effect, description: String) {
        self.changes.push(Change {
            path: path.into(),
            effect,
            description,
        });
    }

    /// A number that changed; `when_larger` is the effect of the new value being larger.
    fn number<T: PartialOrd + Display>(
        &mut self,
        path: &str,
        what: &str,
        old: T,
        new: T,
        when_larger: Effect,
    ) {
        if new > old {
            self.push(
                path,
                when_larger,
                format!("{what} raised from {old} to {new}"),
            );
        } else if new < old {
            self.push(
                path,
                when_larger.reversed(),
                format!("{what} lowered from {old} to {new}"),
            );
        }
    }

    /// A set of names; `when_added` is the effect of a name being added.
    fn names(
        &mut self,
        path: &str,
        what: &str,
        old: &[String],
        new: &[String],
        when_added: Effect,
    ) {
        let old: BTreeSet<&String> = old.iter().collect();
        let new: BTreeSet<&String> = new.iter().collect();
        let added: Vec<String> = new.difference(&old).map(|n| format!("`{n}`")).collect();
        let removed: Vec<String> = old.difference(&new).map(|n| format!("`{n}`")).collect();
        if !added.is_empty() {
            self.push(
                path,
                when_added,
                format!("{what} added: {}", added.join(", ")),
            );
        }
        if !removed.is_empty() {
            self.push(
                path,
                when_added.reversed(),
                format!("{what} removed: {}", removed.join(", ")),
            );
        }
    }

    fn text(&mut self, path: &str, what: &str, old: Option<&str>, new: Option<&str>) {
        if old != new {
            let show =
                |v: Option<&str>| v.map_or_else(|| "(none)".to_owned(), |v| format!("\"{v}\""));
            self.push(
                path,
                Effect::Neutral,
                format!("{what} {} became {}", show(old), show(new)),
            );
        }
    }
}

fn diff_controller(d: &mut Differ, old: &Policy, new: &Policy) {
    let (o, n) = (old.controller(), new.controller());
    d.text(
        "/controller/name",
        "controller name",
        Some(&o.name),
        Some(&n.name),
    );
    d.text(
        "/controller/dpo",
        "DPO contact",
        o.dpo.as_deref(),
        n.dpo.as_deref(),
    );
    d.text(
        "/controller/contact",
        "contact",
        o.contact.as_deref(),
        n.contact.as_deref(),
    );
    d.text(
        "/controller/representative",
        "representative",
        o.representative.as_deref(),
        n.representative.as_deref(),
    );
}

fn diff_identity(d: &mut Differ, old: &Policy, new: &Policy) {
    let (o, n) = (old.identity(), new.identity());
    if o.email_folding != n.email_folding {
        // Folding merges addresses that would otherwise stay apart, linking more records to one subject.
        let effect = if n.email_folding == EmailFolding::None {
            Effect::Narrows
        } else {
            Effect::Widens
        };
        d.push(
            "/identity/email_folding",
            effect,
            format!(
                "email folding `{}` became `{}`",
                o.email_folding, n.email_folding
            ),
        );
    }
    d.text(
        "/identity/default_phone_region",
        "default phone region",
        o.default_phone_region.as_deref(),
        n.default_phone_region.as_deref(),
    );
}

fn diff_purposes(d: &mut Differ, old: &Policy, new: &Policy) {
    let by_id = |p: &Policy| -> BTreeMap<String, Purpose> {
        p.purposes()
            .iter()
            .map(|p| (p.id.clone(), p.clone()))
            .collect()
    };
    let (old_purposes, new_purposes) = (by_id(old), by_id(new));
    for id in old_purposes.keys() {
        if !new_purposes.contains_key(id) {
            d.push(
                child("/purposes", id),
                Effect::Narrows,
                format!("purpose `{id}` removed"),
            );
        }
    }
    for (id, n) in &new_purposes {
        let path = child("/purposes", id);
        let Some(o) = old_purposes.get(id) else {
            d.push(
                path,
                Effect::Widens,
                format!(
                    "purpose `{id}` added ({}, {}, {})",
                    n.legal_basis,
                    n.legal_basis.article(),
                    n.outputs
                ),
            );
            continue;
        };
        if o.description != n.description {
            d.push(
                child(&path, "description"),
                Effect::Neutral,
                format!(
                    "description \"{}\" became \"{}\"; check the new wording describes a purpose compatible with \
                     the original one (Art. 6(4), Art. 5(1)(b))",
                    o.description, n.description
                ),
            );
        }
        if o.legal_basis != n.legal_basis {
            let effect = if n.legal_basis == LegalBasis::Consent {
                Effect::Narrows
            } else if o.legal_basis == LegalBasis::Consent {
                Effect::Widens
            } else {
                Effect::Neutral
            };
            d.push(
                child(&path, "legal_basis"),
                effect,
                format!(
                    "legal basis `{}` ({}) became `{}` ({})",
                    o.legal_basis,
                    o.legal_basis.article(),
                    n.legal_basis,
                    n.legal_basis.article()
                ),
            );
        }
        d.text(
            &child(&path, "legitimate_interest_assessment"),
            "legitimate interest assessment",
            o.legitimate_interest_assessment.as_deref(),
            n.legitimate_interest_assessment.as_deref(),
        );
        d.names(
            &child(&path, "attributes"),
            "attributes",
            &o.attributes,
            &n.attributes,
            Effect::Widens,
        );
        d.names(
            &child(&path, "event_types"),
            "event types",
            &o.event_types,
            &n.event_types,
            Effect::Widens,
        );
        if o.outputs != n.outputs {
            let effect = if n.outputs == Outputs::PerSubject {
                Effect::Widens
            } else {
                Effect::Narrows
            };
            d.push(
                child(&path, "outputs"),
                effect,
                format!("outputs `{}` became `{}`", o.outputs, n.outputs),
            );
        }
        d.names(
            &child(&path, "contact_identifiers"),
            "contact identifiers",
            &o.contact_identifiers,
            &n.contact_identifiers,
            Effect::Widens,
        );
        if o.explicit_consent != n.explicit_consent {
            let effect = if n.explicit_consent {
                Effect::Narrows
            } else {
                Effect::Widens
            };
            d.push(
                child(&path, "explicit_consent"),
                effect,
                format!(
                    "explicit consent {} became {}",
                    o.explicit_consent, n.explicit_consent
                ),
            );
        }
        d.names(
            &child(&path, "recipients"),
            "recipients",
            &o.recipients,
            &n.recipients,
            Effect::Widens,
        );
    }
}

fn diff_attributes(d: &mut Differ, old: &Policy, new: &Policy) {
    let (o_all, n_all) = (old.attributes(), new.attributes());
    for (name, o) in o_all {
        if !n_all.contains_key(name) {
            // Removing a refusal widens; removing a permission narrows.
            let effect = if o.allowed {
                Effect::Narrows
            } else {
                Effect::Widens
            };
            d.push(
                child("/attributes", name),
                effect,
                format!(
                    "attribute `{name}` ({}{}) no longer declared",
                    o.category,
                    if o.allowed { "" } else { ", refused" }
                ),
            );
        }
    }
    for (name, n) in n_all {
        let path = child("/attributes", name);
        let Some(o) = o_all.get(name) else {
            let effect = if n.allowed {
                Effect::Widens
            } else {
                Effect::Narrows
            };
            d.push(
                path,
                effect,
                format!(
                    "attribute `{name}` ({}{}) declared",
                    n.category,
                    if n.allowed { "" } else { ", refused" }
                ),
            );
            continue;
        };
        if o.category != n.category {
            d.push(
                child(&path, "category"),
                Effect::Neutral,
                format!("category `{}` became `{}`", o.category, n.category),
            );
        }
        if o.allowed != n.allowed {
            let effect = if n.allowed {
                Effect::Widens
            } else {
                Effect::Narrows
            };
            d.push(
                child(&path, "allowed"),
                effect,
                format!("allowed {} became {}", o.allowed, n.allowed),
            );
        }
        if o.store_as != n.store_as {
            d.push(
                child(&path, "store_as"),
                generalisation_effect(o.store_as, n.store_as),
                format!(
                    "store_as {} became {}",
                    show_generalisation(o.store_as),
                    show_generalisation(n.store_as)
                ),
            );
        }
        if o.stored_name_for(name) != n.stored_name_for(name) {
            d.push(
                child(&path, "stored_name"),
                Effect::Neutral,
                format!(
                    "stored name `{}` became `{}`",
                    o.stored_name_for(name),
                    n.stored_name_for(name)
                ),
            );
        }
    }
}

/// Keeping the raw value widens; generalising narrows; between date generalisations, the one revealing more of
/// the date widens.
fn generalisation_effect(old: Option<Generalisation>, new: Option<Generalisation>) -> Effect {
    match (old, new) {
        (Some(_), None) => Effect::Widens,
        (None, Some(_)) => Effect::Narrows,
        (Some(o), Some(n)) => match (o.date_precision(), n.date_precision()) {
            (Some(op), Some(np)) if np > op => Effect::Widens,
            (Some(op), Some(np)) if np < op => Effect::Narrows,
            _ => Effect::Neutral,
        },
        (None, None) => Effect::Neutral,
    }
}

fn show_generalisation(g: Option<Generalisation>) -> String {
    g.map_or_else(|| "(none: raw value)".to_owned(), |g| format!("`{g}`"))
}

fn diff_events(d: &mut Differ, old: &Policy, new: &Policy) {
    let (o_all, n_all) = (old.events(), new.events());
    for name in o_all.keys() {
        if !n_all.contains_key(name) {
            d.push(
                child("/events", name),
                Effect::Narrows,
                format!("event type `{name}` no longer declared"),
            );
        }
    }
    for (name, n) in n_all {
        let path = child("/events", name);
        match o_all.get(name) {
            None => d.push(
                path,
                Effect::Widens,
                format!("event type `{name}` declared"),
            ),
            Some(o) => d.names(
                &child(&path, "properties"),
                "properties",
                &o.properties,
                &n.properties,
                Effect::Widens,
            ),
        }
    }
}

fn diff_aggregates(d: &mut Differ, old: &Policy, new: &Policy) {
    let (o, n) = (old.aggregates(), new.aggregates());
    d.number(
        "/aggregates/min_group_size",
        "min_group_size",
        o.min_group_size,
        n.min_group_size,
        Effect::Narrows,
    );
    d.number(
        "/aggregates/min_export_size",
        "min_export_size",
        o.min_export_size,
        n.min_export_size,
        Effect::Narrows,
    );
    let path = "/aggregates/differential_privacy";
    match (&o.differential_privacy, &n.differential_privacy) {
        (None, None) => {}
        (Some(_), None) => d.push(
            path,
            Effect::Widens,
            "differential privacy removed".to_owned(),
        ),
        (None, Some(dp)) => d.push(
            path,
            Effect::Narrows,
            format!("differential privacy added ({})", describe_dp(dp)),
        ),
        (Some(o), Some(n)) => {
            d.number(
                &child(path, "epsilon_per_query"),
                "epsilon per query",
                o.epsilon_per_query,
                n.epsilon_per_query,
                Effect::Widens,
            );
            d.number(
                &child(path, "budget_per_day"),
                "daily privacy budget",
                o.budget_per_day,
                n.budget_per_day,
                Effect::Widens,
            );
            let month_path = child(path, "budget_per_month");
            match (o.budget_per_month, n.budget_per_month) {
                (Some(om), Some(nm)) => {
                    d.number(
                        &month_path,
                        "monthly privacy budget",
                        om,
                        nm,
                        Effect::Widens,
                    );
                }
                (Some(om), None) => d.push(
                    month_path,
                    Effect::Widens,
                    format!("monthly privacy budget {om} removed"),
                ),
                (None, Some(nm)) => d.push(
                    month_path,
                    Effect::Narrows,
                    format!("monthly privacy budget {nm} added"),
                ),
                (None, None) => {}
            }
            if o.mechanism != n.mechanism || o.delta != n.delta {
                // Laplace is pure epsilon-DP; Gaussian adds a failure probability delta, so moving to it, or
                // raising delta, widens what a release may reveal.
                let widens = n.delta.unwrap_or(0.0) > o.delta.unwrap_or(0.0);
                d.push(
                    child(path, "mechanism"),
                    if widens {
                        Effect::Widens
                    } else {
                        Effect::Narrows
                    },
                    format!(
                        "mechanism {} → {}",
                        describe_mechanism(o),
                        describe_mechanism(n)
                    ),
                );
            }
            for (field, label, ov, nv) in [
                (
                    "host_budget_per_day",
                    "host daily privacy budget",
                    o.host_budget_per_day,
                    n.host_budget_per_day,
                ),
                (
                    "host_budget_per_month",
                    "host monthly privacy budget",
                    o.host_budget_per_month,
                    n.host_budget_per_month,
                ),
            ] {
                let at = child(path, field);
                match (ov, nv) {
                    (Some(ov), Some(nv)) => d.number(&at, label, ov, nv, Effect::Widens),
                    (Some(ov), None) => d.push(at, Effect::Widens, format!("{label} {ov} removed")),
                    (None, Some(nv)) => d.push(at, Effect::Narrows, format!("{label} {nv} added")),
                    (None, None) => {}
                }
            }
        }
    }
    for (measure, ob) in &o.sum_bounds {
        let at = child("/aggregates/sum_bounds", measure);
        match n.sum_bounds.get(measure) {
            None => d.push(
                at,
                Effect::Narrows,
                format!("sum bounds of `{measure}` removed (no DP sums of it)"),
            ),
            Some(nb) if nb != ob => d.push(
                at,
                if nb.sensitivity() > ob.sensitivity() {
                    Effect::Widens
                } else {
                    Effect::Narrows
                },
                format!(
                    "sum bounds of `{measure}` [{}, {}] → [{}, {}]",
                    ob.min, ob.max, nb.min, nb.max
                ),
            ),
            Some(_) => {}
        }
    }
    for (measure, nb) in &n.sum_bounds {
        if !o.sum_bounds.contains_key(measure) {
            d.push(
                child("/aggregates/sum_bounds", measure),
                Effect::Widens,
                format!(
                    "sums of `{measure}` allowed, clamped to [{}, {}]",
                    nb.min, nb.max
                ),
            );
        }
    }
}

fn describe_mechanism(dp: &DifferentialPrivacy) -> String {
    match dp.delta {
        Some(delta) => format!("{} (delta {delta})", dp.mechanism.as_str()),
        None => dp.mechanism.as_str().to_owned(),
    }
}

fn describe_dp(dp: &DifferentialPrivacy) -> String {
    let month = dp
        .budget_per_month
        .map_or_else(String::new, |m| format!(", {m} per month"));
    format!(
        "epsilon {} per query, {} per day{month}",
        dp.epsilon_per_query, dp.budget_per_day
    )
}

fn diff_plugins(d: &mut Differ, old: &Policy, new: &Policy) {
    let keys = |p: &Policy| -> BTreeMap<String, String> {
        p.plugins()
            .trusted_publishers
            .iter()
            .map(|t| (t.name.clone(), t.key.clone()))
            .collect()
    };
    let (o_keys, n_keys) = (keys(old), keys(new));
    for (name, key) in &o_keys {
        if n_keys.get(name) != Some(key) {
            d.push(
                child("/plugins/trusted_publishers", name),
                Effect::Narrows,
                format!("publisher `{name}` with key `{key}` no longer trusted"),
            );
        }
    }
    for (name, key) in &n_keys {
        if o_keys.get(name) != Some(key) {
            d.push(
                child("/plugins/trusted_publishers", name),
                Effect::Widens,
                format!("publisher `{name}` with key `{key}` now trusted"),
            );
        }
    }
    let allows = |p: &Policy| -> BTreeMap<String, Vec<String>> {
        p.plugins()
            .allow
            .iter()
            .map(|a| (a.plugin.clone(), a.purposes.clone()))
            .collect()
    };
    let (o_allow, n_allow) = (allows(old), allows(new));
    for plugin in o_allow.keys() {
        if !n_allow.contains_key(plugin) {
            d.push(
                child("/plugins/allow", plugin),
                Effect::Narrows,
                format!("plugin `{plugin}` no longer allowed"),
            );
        }
    }
    for (plugin, purposes) in &n_allow {
        let path = child("/plugins/allow", plugin);
        match o_allow.get(plugin) {
            None => d.push(
                path,
                Effect::Widens,
                format!("plugin `{plugin}` allowed for {}", purposes.join(", ")),
            ),
            Some(old_purposes) => d.names(
                &child(&path, "purposes"),
                "purposes",
                old_purposes,
                purposes,
                Effect::Widens,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalisations_compare_by_how_much_of_the_date_survives() {
        use Generalisation::{AgeBand, BirthYear, PostcodePrefix, YearMonth};
        assert_eq!(
            generalisation_effect(Some(AgeBand), Some(YearMonth)),
            Effect::Widens
        );
        assert_eq!(
            generalisation_effect(Some(YearMonth), Some(BirthYear)),
            Effect::Narrows
        );
        assert_eq!(generalisation_effect(Some(AgeBand), None), Effect::Widens);
        assert_eq!(
            generalisation_effect(None, Some(PostcodePrefix)),
            Effect::Narrows
        );
        assert_eq!(
            generalisation_effect(Some(PostcodePrefix), Some(AgeBand)),
            Effect::Neutral
        );
        for old in Generalisation::ALL.map(Some).into_iter().chain([None]) {
            for new in Generalisation::ALL.map(Some).into_iter().chain([None]) {
                assert_eq!(
                    generalisation_effect(old, new),
                    generalisation_effect(new, old).reversed()
                );
            }
        }
    }
}
