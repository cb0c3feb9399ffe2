//! An in-memory Bloom filter over the identity index, so that bulk ingest asks sled only about identifiers that
//! may already exist.
//!
//! Identity keys end in an HMAC-SHA256 output, which is uniformly random: its bytes serve directly as the filter's
//! hash values, no hashing needed. A false positive costs one sled lookup; there are no false negatives, because
//! every identity key written while the filter exists is added to it. Removals (erasure, merges) are not removed
//! from the filter: a stale positive is only a wasted lookup.

/// Bits per expected key (about 1% false positives with 4 probes).
const BITS_PER_KEY: usize = 10;
/// Probes per key.
const PROBES: usize = 4;
/// Smallest filter, so that a small store still gets room to grow into.
const MIN_KEYS: usize = 1 << 20;

/// The filter.
pub(crate) struct IdentityFilter {
    bits: Vec<u64>,
    mask: u64,
    keys: usize,
    capacity: usize,
}

impl IdentityFilter {
    /// An empty filter sized for `expected` keys (at least [`MIN_KEYS`]), rounded up to a power of two bits.
    pub(crate) fn with_capacity(expected: usize) -> Self {
        let capacity = expected.max(MIN_KEYS);
        let bits = (capacity * BITS_PER_KEY).next_power_of_two();
        Self {
            bits: vec![0; bits / 64],
            mask: bits as u64 - 1,
            keys: 0,
            capacity,
        }
    }

    fn probes(key: &[u8]) -> [u64; PROBES] {
        // The last 32 bytes of an identity key are the MAC; take four disjoint 8-byte words of it.
        let mac = &key[key.len().saturating_sub(32)..];
        let mut out = [0u64; PROBES];
        for (i, o) in out.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            let part = mac.get(i * 8..i * 8 + 8).unwrap_or(&[]);
            w[..part.len()].copy_from_slice(part);
            *o = u64::from_le_bytes(w);
        }
        out
    }

    /// Adds an identity key.
    pub(crate) fn insert(&mut self, key: &[u8]) {
        for p in Self::probes(key) {
            let bit = p & self.mask;
            self.bits[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.keys += 1;
    }

    /// Whether the key may be in the index (false: it certainly is not).
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        Self::probes(key).iter().all(|p| {
            let bit = p & self.mask;
            self.bits[(bit / 64) as usize] & (1 << (bit % 64)) != 0
        })
    }

    /// Whether the filter is so full that its false-positive rate has grown past its design.
    pub(crate) fn is_overfull(&self) -> bool {
        self.keys > self.capacity * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> Vec<u8> {
        // A realistic key: prefix, key id, then a pseudo-random 32-byte MAC.
        let mut k = vec![b'I', 0, 0, 0, 1];
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            k.extend_from_slice(&x.to_le_bytes());
        }
        k
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut f = IdentityFilter::with_capacity(100_000);
        for i in 0..100_000 {
            f.insert(&key(i));
        }
        assert!((0..100_000).all(|i| f.may_contain(&key(i))));
        let false_positives = (1_000_000..1_100_000)
            .filter(|i| f.may_contain(&key(*i)))
            .count();
        assert!(
            false_positives < 2_000,
            "{false_positives} false positives in 100,000"
        );
        assert!(!f.is_overfull());
    }
}
