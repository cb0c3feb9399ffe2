//! API keys of the HTTP API (`K` keyspace): who may call which endpoint, by role.
//!
//! A key is `ck_<id>_<secret>`: `id` is 8 random bytes in hex (the lookup key, safe to show and log), `secret` is
//! 32 random bytes in hex. Only a tag of the secret is stored: HMAC-SHA256 under a fixed, public domain key
//! ([`TAG_DOMAIN`]), which for a secret of 256 random bits is as good as any password hash. Slow password hashes
//! (Argon2, scrypt) exist to make guessing *low-entropy* secrets expensive; nobody can enumerate 2^256 secrets, so a
//! fast preimage-resistant function loses nothing, and it keeps authentication at microseconds per request. The tag
//! is checked with `ring::hmac::verify`, which compares in constant time.
//!
//! A revoked key keeps its record (name, role, dates: the audit trail refers to it) but loses its tag, so no secret
//! can match it again. Creation and revocation are each one sled batch with their audit entry.

use crate::audit_log::{AuditRecord, append_to_batch};
use crate::keyspace;
use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// Domain key of the stored tag: public, it only separates these tags from any other SHA-256-based value.
pub const TAG_DOMAIN: &[u8] = b"cohort-api-key-tag/v1";
/// Prefix of every key, so that a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "ck_";
/// Longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What a key may do; each HTTP endpoint lists the roles it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sends events (the Segment-compatible `/v1/*` tracking endpoints).
    Ingest,
    /// Reads aggregate results under the policy's privacy rules.
    Analyst,
    /// Exports segments of consenting subjects.
    Marketer,
    /// The data protection officer: consent and data-subject requests.
    Dpo,
    /// Reads the policy and the audit log.
    Auditor,
    /// Operates the server: keys, metrics.
    Admin,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 6] = [
        Role::Ingest,
        Role::Analyst,
        Role::Marketer,
        Role::Dpo,
        Role::Auditor,
        Role::Admin,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Analyst => "analyst",
            Role::Marketer => "marketer",
            Role::Dpo => "dpo",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key's public record: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    /// The key id (16 hex digits), part of the key itself.
    pub id: String,
    /// A name for people ("shop-web-prod").
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// The stored value of a `K` entry.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    #[serde(flatten)]
    info: ApiKeyInfo,
    /// HMAC-SHA256 tag of the secret, hex; empty once revoked.
    tag: String,
}

/// A newly created key: the only time its secret exists outside the caller's hands.
pub struct NewApiKey {
    /// Its record.
    pub info: ApiKeyInfo,
    /// The whole key (`ck_<id>_<secret>`), to be shown once.
    pub key: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("info", &self.info)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Why a key could not be created or revoked.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    /// The name is empty, too long or has control characters.
    #[error("key name must be 1 to {MAX_NAME_CHARS} printable characters")]
    BadName,
    /// No key has that id.
    #[error("no API key has id `{0}`")]
    NoSuchKey(String),
    /// The key was already revoked.
    #[error("API key `{0}` is already revoked")]
    AlreadyRevoked(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn key_of(id: &str) -> Vec<u8> {
    let mut k = vec![keyspace::API_KEY];
    k.extend_from_slice(id.as_bytes());
    k
}

fn tag_of(secret: &str) -> ring::hmac::Tag {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, TAG_DOMAIN);
    ring::hmac::sign(&key, secret.as_bytes())
}

/// Splits `ck_<id>_<secret>`; `None` for anything else.
fn split_key(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex16 = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex16(id, 16) && hex16(secret, 64)).then_some((id, secret))
}

fn decode(v: &[u8]) -> Result<StoredKey, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(format!("API key record: {e}")))
}

fn encode(k: &StoredKey) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(k).map_err(|e| StoreError::Corrupt(format!("encoding API key: {e}")))
}

impl Store {
    /// Creates a key with `role`, audited as `apikey.create` by `actor`. The returned key is not stored anywhere.
    pub fn create_api_key(
        &self,
        name: &str,
        role: Role,
        actor: &str,
    ) -> Result<NewApiKey, ApiKeyError> {
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(ApiKeyError::BadName);
        }
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        cohort_crypto::random_bytes(&mut id).map_err(StoreError::from)?;
        cohort_crypto::random_bytes(&mut secret).map_err(StoreError::from)?;
        let id = hex::encode(id);
        let secret = hex::encode(secret);
        let info = ApiKeyInfo {
            id: id.clone(),
            name: name.to_string(),
            role,
            created_at: crate::rfc3339(time::OffsetDateTime::now_utc()),
            revoked_at: None,
        };
        let stored = StoredKey {
            info: info.clone(),
            tag: hex::encode(tag_of(&secret).as_ref()),
        };
        self.write_key_record(
            &stored,
            AuditRecord::new(actor, "apikey.create", None)
                .detail("key_id", id.clone())
                .detail("role", role.as_str()),
        )?;
        Ok(NewApiKey {
            info,
            key: format!("{KEY_PREFIX}{id}_{secret}"),
        })
    }

    /// Every key's record (revoked ones too), in id order.
    pub fn api_keys(&self) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.tree
            .scan_prefix([keyspace::API_KEY])
            .values()
            .map(|v| Ok(decode(&v?)?.info))
            .collect()
    }

    /// Revokes the key `id`, audited as `apikey.revoke` by `actor`.
    pub fn revoke_api_key(&self, id: &str, actor: &str) -> Result<ApiKeyInfo, ApiKeyError> {
        let Some(v) = self.tree.get(key_of(id)).map_err(StoreError::from)? else {
            return Err(ApiKeyError::NoSuchKey(id.to_string()));
        };
        let mut stored = decode(&v)?;
        if stored.info.revoked_at.is_some() {
            return Err(ApiKeyError::AlreadyRevoked(id.to_string()));
        }
        stored.info.revoked_at = Some(crate::rfc3339(time::OffsetDateTime::now_utc()));
        stored.tag.clear();
        self.write_key_record(
            &stored,
            AuditRecord::new(actor, "apikey.revoke", None)
                .detail("key_id", id.to_string())
                .detail("role", stored.info.role.as_str()),
        )?;
        Ok(stored.info)
    }

    /// The key a presented secret belongs to, if it is a valid, unrevoked key. Reads sled on every call, so a
    /// revocation takes effect at once.
    pub fn authenticate_api_key(&self, presented: &str) -> Result<Option<ApiKeyInfo>, StoreError> {
        let Some((id, secret)) = split_key(presented) else {
            return Ok(None);
        };
        let Some(v) = self.tree.get(key_of(id))? else {
            return Ok(None);
        };
        let stored = decode(&v)?;
        if stored.info.revoked_at.is_some() {
            return Ok(None);
        }
        let Ok(tag) = hex::decode(&stored.tag) else {
            return Ok(None);
        };
        let domain = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, TAG_DOMAIN);
        // Constant-time comparison of the recomputed tag with the stored one.
        Ok(ring::hmac::verify(&domain, secret.as_bytes(), &tag)
            .is_ok()
            .then_some(stored.info))
    }

    fn write_key_record(&self, stored: &StoredKey, record: AuditRecord) -> Result<(), StoreError> {
        let mut state = self.lock_settled()?;
        let mut batch = sled::Batch::default();
        batch.insert(key_of(&stored.info.id), encode(stored)?);
        let mut frontier = state.frontier.clone();
        append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_only_in_the_one_shape() {
        let good = format!("ck_{}_{}", "a".repeat(16), "b".repeat(64));
        assert!(split_key(&good).is_some());
        for bad in [
            "",
            "ck_",
            "wk_demo",
            &format!("ck_{}_{}", "a".repeat(15), "b".repeat(64)),
            &format!("ck_{}_{}", "a".repeat(16), "g".repeat(64)),
            &format!("xk_{}_{}", "a".repeat(16), "b".repeat(64)),
        ] {
            assert!(split_key(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
