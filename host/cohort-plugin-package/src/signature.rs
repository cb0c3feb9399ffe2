//! The package signature: the exact message a publisher signs, and the signature section's JSON.
//!
//! The signed message is
//!
//! ```text
//! "cohort-plugin-signature/v1\n" ‖ SHA-256(manifest bytes) ‖ SHA-256(wasm bytes) ‖ publisher name (UTF-8)
//! ```
//!
//! The leading tag separates this use of a publisher key from any other (a key that signs packages can never be
//! tricked into signing something that verifies as a package, or the reverse) and names the version of the
//! scheme. The two digests have a fixed length, so the variable-length publisher name at the end cannot be
//! confused with either of them.
//!
//! The signature section is compact JSON:
//! `{"format":"cohort-plugin-signature/v1","publisher":"…","public_key":"ed25519:<base64>","signature":"<base64>"}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};

/// The domain-separation tag that starts every signed message, and the signature section's `format`.
pub const SIGNATURE_FORMAT: &str = "cohort-plugin-signature/v1";
/// Prefix of a public key written as text, as in policy files.
pub use cohort_crypto::named_key::ED25519_KEY_PREFIX;
/// Length of an Ed25519 public key.
const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
const SIGNATURE_LEN: usize = 64;

/// The message a publisher signs for a package with this manifest text, code and publisher name (see the module
/// documentation). Public so that a signer outside this crate (an HSM, a release pipeline) can produce it.
pub fn signed_message(manifest: &[u8], wasm: &[u8], publisher: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNATURE_FORMAT.len() + 1 + 64 + publisher.len());
    message.extend_from_slice(SIGNATURE_FORMAT.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(digest(&SHA256, manifest).as_ref());
    message.extend_from_slice(digest(&SHA256, wasm).as_ref());
    message.extend_from_slice(publisher.as_bytes());
    message
}

pub(crate) use cohort_crypto::named_key::{parse_public_key, public_key_text};

/// The signature section, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignatureDoc {
    pub(crate) format: String,
    pub(crate) publisher: String,
    pub(crate) public_key: String,
    pub(crate) signature: String,
}

/// A signature section that has the right shape; whether it verifies is decided by [`crate::Package::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signature {
    pub(crate) publisher: String,
    pub(crate) public_key: [u8; PUBLIC_KEY_LEN],
    pub(crate) signature: [u8; SIGNATURE_LEN],
}

impl Signature {
    /// Reads the signature section; the error says what is wrong with it.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let doc: SignatureDoc = serde_json::from_slice(bytes)
            .map_err(|e| format!("the signature section is not the expected JSON: {e}"))?;
        if doc.format != SIGNATURE_FORMAT {
            return Err(format!(
                "the signature format is `{}`, not `{SIGNATURE_FORMAT}`",
                doc.format
            ));
        }
        let public_key = parse_public_key(&doc.public_key)?;
        let signature = B64
            .decode(&doc.signature)
            .map_err(|_| "the signature is not standard base64".to_owned())?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(signature.as_slice()).map_err(|_| {
            format!(
                "the signature is {} bytes, not the {SIGNATURE_LEN} of an Ed25519 signature",
                signature.len()
            )
        })?;
        Ok(Self {
            publisher: doc.publisher,
            public_key,
            signature,
        })
    }

    /// The signature section's bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let doc = SignatureDoc {
            format: SIGNATURE_FORMAT.to_owned(),
            publisher: self.publisher.clone(),
            public_key: public_key_text(&self.public_key),
            signature: B64.encode(self.signature),
        };
        // Serialising four strings cannot fail; an empty section would read back as "unsigned", never as valid.
        serde_json::to_vec(&doc).unwrap_or_default()
    }

    /// True when the signature is valid for `message` under the embedded public key.
    pub(crate) fn verifies(&self, message: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &self.public_key)
            .verify(message, &self.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_binds_manifest_code_and_publisher() {
        let base = signed_message(b"m", b"w", "p");
        assert!(base.starts_with(b"cohort-plugin-signature/v1\n"));
        assert_eq!(base.len(), SIGNATURE_FORMAT.len() + 1 + 32 + 32 + 1);
        assert_ne!(base, signed_message(b"m2", b"w", "p"));
        assert_ne!(base, signed_message(b"m", b"w2", "p"));
        assert_ne!(base, signed_message(b"m", b"w", "q"));
        // Moving bytes from the manifest to the code changes the message: each part is hashed on its own.
        assert_ne!(
            signed_message(b"ab", b"c", "p"),
            signed_message(b"a", b"bc", "p")
        );
    }
}
