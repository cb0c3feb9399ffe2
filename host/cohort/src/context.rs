//! Opens what a command needs (key ring, store, policy) from the resolved locations, with errors that say what to do.

use crate::cli::SubjectSelector;
use crate::config::Locations;
use anyhow::{Context as _, Result, anyhow, bail};
use cohort_crypto::{KeyRing, Pseudonym};
use cohort_identity::{NormalisationOptions, normalise};
use cohort_policy::Policy;
use cohort_store::{Store, SubjectId};

/// Shared state of one command run.
pub struct Ctx {
    pub locations: Locations,
    pub json: bool,
    pub actor: String,
}

impl Ctx {
    pub fn keys(&self) -> Result<KeyRing> {
        let path = self.locations.key_file()?;
        if !path.exists() {
            bail!(
                "key file {} does not exist; create a data directory and its key file with `cohort init`, \
                 or pass --key-file",
                path.display()
            );
        }
        Ok(KeyRing::load(&path)?)
    }

    pub fn store(&self) -> Result<Store> {
        let dir = self.locations.data_dir()?;
        let keys = self.keys()?;
        Store::open(&dir, keys).with_context(|| format!("opening data directory {}", dir.display()))
    }

    pub fn policy(&self) -> Result<Policy> {
        let path = self.locations.policy()?;
        load_policy(&path)
    }

    /// Opens the store and the policy, and records a `policy.load` audit entry if the policy changed.
    pub fn store_and_policy(&self) -> Result<(Store, Policy)> {
        let policy = self.policy()?;
        let store = self.store()?;
        store.note_policy(
            policy.sha256_hex(),
            policy.id(),
            policy.version(),
            &self.actor,
        )?;
        Ok((store, policy))
    }
}

pub fn load_policy(path: &std::path::Path) -> Result<Policy> {
    cohort_policy::load_policy(path).map_err(|e| anyhow!(crate::exit::Invalid(e.to_string())))
}

/// The normalisation options the policy asks for.
pub fn normalisation(policy: &Policy) -> NormalisationOptions {
    let rules = policy.identity();
    NormalisationOptions {
        email_folding: match rules.email_folding {
            cohort_policy::EmailFolding::None => cohort_identity::EmailFolding::None,
            cohort_policy::EmailFolding::Gmail => cohort_identity::EmailFolding::Gmail,
        },
        default_phone_region: rules.default_phone_region.clone(),
    }
}

/// The kind and raw value a selector names.
pub fn selector_parts(who: &SubjectSelector) -> Result<(String, String)> {
    if let Some(e) = &who.email {
        return Ok(("email".into(), e.clone()));
    }
    if let Some(p) = &who.phone {
        return Ok(("phone".into(), p.clone()));
    }
    if let Some(id) = &who.id {
        let (k, v) = id
            .split_once('=')
            .ok_or_else(|| anyhow!("--id takes KIND=VALUE, for example crm_id=H-1001"))?;
        return Ok((k.trim().to_string(), v.to_string()));
    }
    bail!("name the person with --email, --phone or --id KIND=VALUE")
}

/// The selector as `cohort-rights` takes it.
pub fn who(selector: &SubjectSelector) -> Result<cohort_rights::Who> {
    let (kind, value) = selector_parts(selector)?;
    Ok(cohort_rights::Who { kind, value })
}

/// Every pseudonym of the selected identifier.
pub fn selector_pseudonyms(
    who: &SubjectSelector,
    policy: &Policy,
    keys: &KeyRing,
) -> Result<Vec<Pseudonym>> {
    let (kind, raw) = selector_parts(who)?;
    if !policy.identifier_allowed(&kind) {
        bail!(
            "identifier kind `{kind}` is not declared in policy `{}` (attributes with category: identifier)",
            policy.id()
        );
    }
    let n = normalise(&kind, &raw, &normalisation(policy))?;
    Ok(keys
        .pseudonymiser()
        .pseudonymise_all(n.kind().as_str(), n.value()))
}

/// Finds the selected subject, or explains why there is none.
pub fn find_subject(store: &Store, policy: &Policy, who: &SubjectSelector) -> Result<SubjectId> {
    let pseudonyms = selector_pseudonyms(who, policy, store.keys())?;
    if let Some(id) = store.find_subject(&pseudonyms)? {
        return Ok(id);
    }
    if store.is_suppressed(&pseudonyms)? {
        bail!("this person was erased; only a tombstone and the suppressed identifier hash remain");
    }
    bail!("no subject is known by that identifier")
}
