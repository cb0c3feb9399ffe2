//! Keyed pseudonyms of identifiers: HMAC-SHA256 under the identity key, never a plain hash.
//!
//! A plain SHA-256 of an email can be reversed by hashing a list of known emails; an HMAC cannot without the key,
//! which lives in the key file, outside the data directory. The identifier kind is part of the MAC input, so the
//! same string used as an email and as a CRM id gives two unrelated pseudonyms.

use ring::hmac;

/// Length of a pseudonym's MAC in bytes.
pub const PSEUDONYM_LEN: usize = 32;

/// Domain separation for version 1 of the pseudonym construction.
const DOMAIN: &[u8] = b"cohort-pseudonym/v1";

/// A keyed hash of one normalised identifier, with the id of the key that made it.
///
/// It can only be made by a [`Pseudonymiser`], so a raw identifier can never be passed where a pseudonym is expected.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym {
    key_id: u32,
    mac: [u8; PSEUDONYM_LEN],
}

impl Pseudonym {
    /// The identity key id that made this pseudonym.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The MAC bytes.
    pub fn mac(&self) -> &[u8; PSEUDONYM_LEN] {
        &self.mac
    }

    /// Rebuilds a pseudonym read back from storage.
    pub fn from_stored(key_id: u32, mac: [u8; PSEUDONYM_LEN]) -> Self {
        Self { key_id, mac }
    }

    /// A short, non-reversible token for logs and plugin inputs (first 8 bytes of the MAC, hex).
    pub fn short_hex(&self) -> String {
        hex::encode(&self.mac[..8])
    }
}

impl std::fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonym(k{}:{})", self.key_id, self.short_hex())
    }
}

/// Makes pseudonyms with every identity key of the key ring; new pseudonyms use the newest key.
pub struct Pseudonymiser {
    /// Newest key first.
    keys: Vec<(u32, hmac::Key)>,
}

impl Pseudonymiser {
    pub(crate) fn new(mut keys: Vec<(u32, hmac::Key)>) -> Self {
        keys.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        Self { keys }
    }

    /// The pseudonym under the newest identity key.
    pub fn pseudonymise(&self, kind: &str, normalised_value: &str) -> Pseudonym {
        let (id, key) = &self.keys[0];
        Self::with_key(*id, key, kind, normalised_value)
    }

    /// The pseudonyms under every identity key, newest first: lookups try them all so that a key rotation does not
    /// lose matches with identifiers stored under an older key.
    pub fn pseudonymise_all(&self, kind: &str, normalised_value: &str) -> Vec<Pseudonym> {
        self.keys
            .iter()
            .map(|(id, key)| Self::with_key(*id, key, kind, normalised_value))
            .collect()
    }

    fn with_key(key_id: u32, key: &hmac::Key, kind: &str, value: &str) -> Pseudonym {
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(DOMAIN);
        ctx.update(&[0]);
        ctx.update(kind.as_bytes());
        ctx.update(&[0]);
        ctx.update(value.as_bytes());
        let tag = ctx.sign();
        let mut mac = [0u8; PSEUDONYM_LEN];
        mac.copy_from_slice(tag.as_ref());
        Pseudonym { key_id, mac }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &[byte; 32])
    }

    #[test]
    fn same_input_same_pseudonym_and_kind_separates() {
        let p = Pseudonymiser::new(vec![(1, key(7))]);
        let a = p.pseudonymise("email", "ana@example.com");
        assert_eq!(a, p.pseudonymise("email", "ana@example.com"));
        assert_ne!(a, p.pseudonymise("crm_id", "ana@example.com"));
        assert_ne!(a, p.pseudonymise("email", "ana@example.org"));
    }

    #[test]
    fn kind_and_value_boundary_is_unambiguous() {
        let p = Pseudonymiser::new(vec![(1, key(7))]);
        assert_ne!(p.pseudonymise("ab", "c"), p.pseudonymise("a", "bc"));
    }

    #[test]
    fn newest_key_is_used_and_all_keys_are_tried() {
        let p = Pseudonymiser::new(vec![(1, key(1)), (2, key(2))]);
        assert_eq!(p.pseudonymise("email", "x@example.com").key_id(), 2);
        let all = p.pseudonymise_all("email", "x@example.com");
        assert_eq!(
            all.iter().map(Pseudonym::key_id).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert_ne!(all[0].mac(), all[1].mac());
    }

    #[test]
    fn debug_does_not_show_the_whole_mac() {
        let p = Pseudonymiser::new(vec![(1, key(1))]);
        let s = format!("{:?}", p.pseudonymise("email", "x@example.com"));
        assert!(s.len() < 40, "{s}");
    }
}
