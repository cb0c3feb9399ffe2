//! The Merkle frontier (a compact range): the roots of the perfect subtrees that make up a tree of any size.
//!
//! A tree of `n` leaves splits into one perfect subtree per set bit of `n`, largest first. Keeping only those roots
//! lets the store append a leaf and read the current root in O(log n) time and space, without rereading the log.

use crate::AuditError;
use crate::merkle::{Hash, empty_root, node_hash};

/// The roots of the perfect subtrees of a log of `size` leaves, largest (leftmost) first.
///
/// Invariant: there is exactly one root per set bit of `size`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "StoredFrontier", into = "StoredFrontier")]
pub struct MerkleFrontier {
    size: u64,
    roots: Vec<Hash>,
}

impl MerkleFrontier {
    /// An empty frontier.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves have been pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash (see [`leaf_hash`](crate::leaf_hash)).
    pub fn push(&mut self, leaf: Hash) -> Result<(), AuditError> {
        let new_size = self.size.checked_add(1).ok_or(AuditError::FrontierFull)?;
        // Every trailing set bit of the old size is a perfect subtree of the same height as the one being built,
        // so they merge, like carries in binary addition.
        let mut carry = leaf;
        let mut bits = self.size;
        while bits & 1 == 1 {
            match self.roots.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                // Unreachable while the invariant holds; refusing keeps a corrupted frontier from going unnoticed.
                None => {
                    return Err(AuditError::InvalidFrontier {
                        reason: "fewer subtree roots than set bits in its size".to_owned(),
                    });
                }
            }
            bits >>= 1;
        }
        self.roots.push(carry);
        self.size = new_size;
        Ok(())
    }

    /// The RFC 6962 root of the leaves pushed so far; the empty tree's root when there are none.
    pub fn root(&self) -> Hash {
        // The tree hash splits off the largest perfect subtree first, so folding from the smallest (rightmost)
        // subtree leftwards rebuilds exactly the RFC 6962 shape.
        let mut rev = self.roots.iter().rev();
        match rev.next() {
            None => empty_root(),
            Some(last) => rev.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

/// How a frontier is persisted: its size and its subtree roots in hex.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFrontier {
    size: u64,
    subtree_roots: Vec<String>,
}

impl From<MerkleFrontier> for StoredFrontier {
    fn from(frontier: MerkleFrontier) -> Self {
        Self {
            size: frontier.size,
            subtree_roots: frontier.roots.iter().map(hex::encode).collect(),
        }
    }
}

impl TryFrom<StoredFrontier> for MerkleFrontier {
    type Error = AuditError;

    fn try_from(stored: StoredFrontier) -> Result<Self, Self::Error> {
        let expected = stored.size.count_ones() as usize;
        if stored.subtree_roots.len() != expected {
            return Err(AuditError::InvalidFrontier {
                reason: format!(
                    "size {} needs {expected} subtree roots, found {}",
                    stored.size,
                    stored.subtree_roots.len()
                ),
            });
        }
        let roots = stored
            .subtree_roots
            .iter()
            .enumerate()
            .map(|(i, root)| {
                decode_hash(root).ok_or_else(|| AuditError::InvalidFrontier {
                    reason: format!("subtree root {i} is not 64 lowercase hex digits"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            size: stored.size,
            roots,
        })
    }
}

/// Decodes exactly 64 lowercase hex digits, the only form this crate writes.
pub(crate) fn decode_hash(text: &str) -> Option<Hash> {
    let canonical =
        text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let mut out = [0u8; 32];
    (canonical && hex::decode_to_slice(text, &mut out).is_ok()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, merkle_root};
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u64).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    #[test]
    fn empty_frontier_has_the_empty_root() {
        assert_eq!(MerkleFrontier::new().root(), merkle_root(&[]));
        assert_eq!(MerkleFrontier::new().size(), 0);
    }

    #[test]
    fn keeps_one_root_per_set_bit() {
        let mut frontier = MerkleFrontier::new();
        for (i, leaf) in leaves(100).into_iter().enumerate() {
            frontier.push(leaf).unwrap();
            assert_eq!(frontier.roots.len(), (i as u64 + 1).count_ones() as usize);
        }
    }

    #[test]
    fn serde_round_trip_keeps_the_root_and_the_ability_to_grow() {
        let all = leaves(23);
        let mut frontier = MerkleFrontier::new();
        for leaf in &all[..13] {
            frontier.push(*leaf).unwrap();
        }
        let json = serde_json::to_string(&frontier).unwrap();
        let mut restored: MerkleFrontier = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, frontier);
        for leaf in &all[13..] {
            restored.push(*leaf).unwrap();
        }
        assert_eq!(restored.root(), merkle_root(&all));
    }

    #[test]
    fn rejects_stored_frontiers_that_break_the_invariant() {
        let root = hex::encode([0xabu8; 32]);
        let cases = [
            format!(r#"{{"size":3,"subtree_roots":["{root}"]}}"#),
            format!(r#"{{"size":0,"subtree_roots":["{root}"]}}"#),
            r#"{"size":1,"subtree_roots":["abcd"]}"#.to_owned(),
            format!(
                r#"{{"size":1,"subtree_roots":["{}"]}}"#,
                root.to_uppercase()
            ),
        ];
        for json in cases {
            let result: Result<MerkleFrontier, _> = serde_json::from_str(&json);
            let err = result.unwrap_err().to_string();
            assert!(
                err.contains("stored Merkle frontier is invalid"),
                "{json}: {err}"
            );
        }
    }

    #[test]
    fn a_full_frontier_refuses_another_leaf() {
        let json = format!(
            r#"{{"size":{},"subtree_roots":[{}]}}"#,
            u64::MAX,
            vec![format!("\"{}\"", hex::encode([1u8; 32])); 64].join(",")
        );
        let mut frontier: MerkleFrontier = serde_json::from_str(&json).unwrap();
        assert_eq!(frontier.push([0u8; 32]), Err(AuditError::FrontierFull));
        assert_eq!(frontier.size(), u64::MAX);
    }

    proptest! {
        #[test]
        fn frontier_root_equals_merkle_root(seeds in prop::collection::vec(any::<[u8; 8]>(), 0..300)) {
            let all: Vec<Hash> = seeds.iter().map(|s| leaf_hash(s)).collect();
            let mut frontier = MerkleFrontier::new();
            prop_assert_eq!(frontier.root(), merkle_root(&[]));
            for leaf in &all {
                frontier.push(*leaf).unwrap();
            }
            prop_assert_eq!(frontier.size(), all.len() as u64);
            prop_assert_eq!(frontier.root(), merkle_root(&all));
        }
    }
}
