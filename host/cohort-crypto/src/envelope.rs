//! Envelope encryption: one random AES-256-GCM data key per subject, wrapped by a master key.
//!
//! Everything stored about a subject is sealed under its data key with associated data naming where the ciphertext
//! lives (subject id and record kind), so a ciphertext copied to another subject or another slot fails to open.
//! Destroying the wrapped data key makes every ciphertext of that subject unreadable: erasure is crypto-shredding.

use crate::{CryptoError, random_bytes};
use ring::aead::{self, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// Length of a data key in bytes.
const DATA_KEY_LEN: usize = 32;
/// Length of the GCM tag.
const TAG_LEN: usize = 16;
/// Length of a wrapped data key: nonce, encrypted key, tag.
pub const WRAPPED_KEY_LEN: usize = NONCE_LEN + DATA_KEY_LEN + TAG_LEN;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;
/// Domain separation for wrapping, so a wrapped key can never be confused with a sealed record.
const WRAP_DOMAIN: &[u8] = b"cohort-wrap/v1";

/// A subject's data key. Its bytes are zeroised when it is dropped.
pub struct DataKey {
    bytes: Zeroizing<[u8; DATA_KEY_LEN]>,
    key: LessSafeKey,
}

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        random_bytes(bytes.as_mut())?;
        Ok(Self::from_bytes(bytes))
    }

    fn from_bytes(bytes: Zeroizing<[u8; DATA_KEY_LEN]>) -> Self {
        // A 32-byte slice is always a valid AES-256 key, so this cannot fail.
        let unbound = match UnboundKey::new(&AES_256_GCM, bytes.as_ref()) {
            Ok(k) => k,
            Err(_) => unreachable!("AES-256 accepts every 32-byte key"),
        };
        Self {
            bytes,
            key: LessSafeKey::new(unbound),
        }
    }

    /// Encrypts `plaintext` bound to `aad`; the output is `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.key, aad, plaintext)
    }

    /// Decrypts what [`DataKey::seal`] produced with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        open_with(&self.key, aad, sealed)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

fn seal_with(key: &LessSafeKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    // Random 96-bit nonces: a subject's key seals at most a few thousand values in its life, far below the 2^32
    // messages per key that NIST SP 800-38D allows for random nonces.
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| CryptoError::Decrypt)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

fn open_with(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(CryptoError::Decrypt);
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
    let mut buf = rest.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| CryptoError::Decrypt)?;
    let len = plain.len();
    buf.truncate(len);
    Ok(buf)
}

/// A data key encrypted under a master key, with that master key's id.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The master key id that wraps it.
    pub master_key_id: u32,
    /// `nonce ‖ encrypted key ‖ tag`.
    pub bytes: [u8; WRAPPED_KEY_LEN],
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WrappedKey(master {})", self.master_key_id)
    }
}

/// The master wrapping keys of the key ring; new wraps use the newest.
pub struct MasterKeys {
    /// Newest first.
    keys: Vec<(u32, LessSafeKey)>,
}

impl MasterKeys {
    pub(crate) fn new(mut keys: Vec<(u32, LessSafeKey)>) -> Self {
        keys.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        Self { keys }
    }

    /// The id of the key new wraps use.
    pub fn current_id(&self) -> u32 {
        self.keys[0].0
    }

    /// Wraps `key` under the newest master key, bound to `context` (the subject id).
    pub fn wrap(&self, key: &DataKey, context: &[u8]) -> Result<WrappedKey, CryptoError> {
        let (id, master) = &self.keys[0];
        let aad = wrap_aad(*id, context);
        let sealed = seal_with(master, &aad, key.bytes.as_ref())?;
        let mut bytes = [0u8; WRAPPED_KEY_LEN];
        bytes.copy_from_slice(&sealed);
        Ok(WrappedKey {
            master_key_id: *id,
            bytes,
        })
    }

    /// Unwraps a data key wrapped for `context`.
    pub fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<DataKey, CryptoError> {
        let master = self
            .keys
            .iter()
            .find(|(id, _)| *id == wrapped.master_key_id)
            .map(|(_, k)| k)
            .ok_or(CryptoError::UnknownMasterKey(wrapped.master_key_id))?;
        let aad = wrap_aad(wrapped.master_key_id, context);
        let plain = Zeroizing::new(open_with(master, &aad, &wrapped.bytes)?);
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        if plain.len() != DATA_KEY_LEN {
            return Err(CryptoError::Decrypt);
        }
        bytes.copy_from_slice(&plain);
        Ok(DataKey::from_bytes(bytes))
    }
}

fn wrap_aad(master_key_id: u32, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_DOMAIN.len() + 4 + context.len());
    aad.extend_from_slice(WRAP_DOMAIN);
    aad.extend_from_slice(&master_key_id.to_be_bytes());
    aad.extend_from_slice(context);
    aad
}

/// Builds a master key from raw bytes (used by the key ring).
pub(crate) fn master_key(bytes: &[u8]) -> Option<LessSafeKey> {
    UnboundKey::new(&aead::AES_256_GCM, bytes)
        .ok()
        .map(LessSafeKey::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masters() -> MasterKeys {
        MasterKeys::new(vec![(1, master_key(&[9u8; 32]).unwrap())])
    }

    #[test]
    fn seal_open_round_trip_and_aad_binds() {
        let k = DataKey::generate().unwrap();
        let sealed = k.seal(b"subject-1/profile", b"country=DE").unwrap();
        assert_eq!(
            k.open(b"subject-1/profile", &sealed).unwrap(),
            b"country=DE"
        );
        assert!(k.open(b"subject-2/profile", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert!(k.open(b"subject-1/profile", &tampered).is_err());
        assert!(k.open(b"subject-1/profile", &sealed[..5]).is_err());
    }

    #[test]
    fn another_data_key_cannot_open() {
        let a = DataKey::generate().unwrap();
        let b = DataKey::generate().unwrap();
        let sealed = a.seal(b"x", b"secret").unwrap();
        assert!(b.open(b"x", &sealed).is_err());
    }

    #[test]
    fn wrap_unwrap_round_trip_bound_to_context() {
        let m = masters();
        let k = DataKey::generate().unwrap();
        let sealed = k.seal(b"ctx", b"hello").unwrap();
        let w = m.wrap(&k, b"subject-1").unwrap();
        let k2 = m.unwrap(&w, b"subject-1").unwrap();
        assert_eq!(k2.open(b"ctx", &sealed).unwrap(), b"hello");
        assert!(m.unwrap(&w, b"subject-2").is_err());
    }

    #[test]
    fn unknown_master_key_is_named() {
        let m = masters();
        let k = DataKey::generate().unwrap();
        let mut w = m.wrap(&k, b"s").unwrap();
        w.master_key_id = 7;
        assert!(matches!(
            m.unwrap(&w, b"s"),
            Err(CryptoError::UnknownMasterKey(7))
        ));
    }
}
