//! RFC 6962 Merkle tree hashing: leaf and node hashes, the tree head of a list of leaves, and inclusion proofs.
//!
//! Leaves and interior nodes are hashed with different one-byte prefixes (`0x00` and `0x01`), so an interior node
//! can never be passed off as a leaf (RFC 6962 §2.1, carried into RFC 9162 §2.1.1). These functions work on whole
//! leaf lists and are the reference that [`MerkleFrontier`](crate::MerkleFrontier) must agree with.

use ring::digest;

use crate::AuditError;

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// Prefix of a leaf hash's input.
const LEAF_PREFIX: u8 = 0x00;

/// Prefix of an interior node hash's input.
const NODE_PREFIX: u8 = 0x01;

/// SHA-256 of the concatenation of `parts`.
fn sha256(parts: &[&[u8]]) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The hash of one log entry: `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    sha256(&[&[LEAF_PREFIX], entry])
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[NODE_PREFIX], left, right])
}

/// The root of an empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// The largest power of two strictly smaller than `n`; `n` must be at least 2.
fn split_point(n: usize) -> usize {
    let k = n.next_power_of_two() / 2;
    if k == n { n / 2 } else { k }
}

/// The Merkle tree hash of a list of leaf hashes (RFC 6962 §2.1 MTH): split at the largest power of two smaller
/// than the number of leaves and hash the two halves' roots.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [leaf] => *leaf,
        _ => {
            let (left, right) = leaves.split_at(split_point(leaves.len()));
            node_hash(&merkle_root(left), &merkle_root(right))
        }
    }
}

/// The audit path of leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1 PATH), nearest sibling first.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, AuditError> {
    let size = leaves.len() as u64;
    let out_of_range = AuditError::ProofIndexOutOfRange { index, size };
    let index = usize::try_from(index).map_err(|_| out_of_range.clone())?;
    if index >= leaves.len() {
        return Err(out_of_range);
    }
    let mut proof = Vec::new();
    path(leaves, index, &mut proof);
    Ok(proof)
}

/// Appends the audit path of `index` within `leaves`, deepest sibling first.
fn path(leaves: &[Hash], index: usize, proof: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split_point(leaves.len());
    let (left, right) = leaves.split_at(k);
    if index < k {
        path(left, index, proof);
        proof.push(merkle_root(right));
    } else {
        path(right, index - k, proof);
        proof.push(merkle_root(left));
    }
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`, given its audit path
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    // `node` is the position of the running hash at the current level and `last` the position of the last node
    // at that level; both halve as the walk climbs the tree.
    let mut node = index;
    let mut last = size - 1;
    let mut running = *leaf;
    for sibling in proof {
        if last == 0 {
            // The path is longer than the tree is tall.
            return false;
        }
        if node & 1 == 1 || node == last {
            // The sibling is on the left. When `node` is a left child that is the last node of its level it has
            // no right sibling here, so climb until it becomes a right child.
            running = node_hash(sibling, &running);
            while node & 1 == 0 && node != 0 {
                node >>= 1;
                last >>= 1;
            }
        } else {
            running = node_hash(&running, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    last == 0 && running == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The leaf inputs of the 8-leaf test tree used across Certificate Transparency implementations.
    fn ct_test_leaves() -> Vec<Hash> {
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        inputs.iter().map(|i| leaf_hash(i)).collect()
    }

    #[test]
    fn empty_tree_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(merkle_root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut concatenated = Vec::from(a);
        concatenated.extend_from_slice(&b);
        // The same bytes hashed as a leaf and as a node must differ, or a node could pose as an entry.
        assert_ne!(leaf_hash(&concatenated), node_hash(&a, &b));
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }

    #[test]
    fn split_point_is_largest_power_of_two_below_n() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (7, 4),
            (8, 4),
            (9, 8),
            (16, 8),
            (17, 16),
        ] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn roots_of_the_certificate_transparency_test_tree() {
        // Known answers published with RFC 6962 implementations for the trees of the first 1..=8 test leaves.
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_test_leaves();
        for (n, root) in expected.iter().enumerate() {
            assert_eq!(
                hex::encode(merkle_root(&leaves[..=n])),
                *root,
                "size {}",
                n + 1
            );
        }
    }

    #[test]
    fn root_of_three_follows_the_definition() {
        let l: Vec<Hash> = (0u8..3).map(|i| leaf_hash(&[i])).collect();
        let expected = node_hash(&node_hash(&l[0], &l[1]), &l[2]);
        assert_eq!(merkle_root(&l), expected);
    }

    #[test]
    fn every_proof_of_every_size_up_to_40_verifies() {
        // One leaf more than the largest tree, to check proofs against the next tree's root.
        let leaves: Vec<Hash> = (0u32..41).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for size in 1..=40 {
            let tree = &leaves[..size];
            let root = merkle_root(tree);
            for index in 0..size {
                let proof = inclusion_proof(tree, index as u64).unwrap();
                let (i, n) = (index as u64, size as u64);
                assert!(
                    verify_inclusion(&tree[index], i, n, &proof, &root),
                    "size {size} index {index}"
                );
                // The same proof must fail for another leaf, another index, another size or another root.
                let other_leaf = leaf_hash(b"not in the tree");
                assert!(!verify_inclusion(&other_leaf, i, n, &proof, &root));
                if size > 1 {
                    let other_index = (i + 1) % n;
                    assert!(
                        !verify_inclusion(&tree[index], other_index, n, &proof, &root),
                        "size {size} index {index} verified at {other_index}"
                    );
                }
                // A proof in one tree is no proof in the next one, which has another root.
                let next_root = merkle_root(&leaves[..=size]);
                assert!(!verify_inclusion(
                    &tree[index],
                    i,
                    n + 1,
                    &proof,
                    &next_root
                ));
                assert!(!verify_inclusion(&tree[index], i, n, &proof, &other_leaf));
                assert!(!verify_inclusion(&tree[index], n, n, &proof, &root));
                let mut longer = proof.clone();
                longer.push(root);
                assert!(!verify_inclusion(&tree[index], i, n, &longer, &root));
                if let Some((_, shorter)) = proof.split_last() {
                    assert!(!verify_inclusion(&tree[index], i, n, shorter, &root));
                }
            }
        }
    }

    #[test]
    fn proof_lengths_match_the_tree_height() {
        let leaves: Vec<Hash> = (0u8..8).map(|i| leaf_hash(&[i])).collect();
        assert!(inclusion_proof(&leaves[..1], 0).unwrap().is_empty());
        assert_eq!(inclusion_proof(&leaves, 5).unwrap().len(), 3);
        // In a tree of 5, leaf 4 hangs directly under the root next to the perfect subtree of the first 4.
        assert_eq!(
            inclusion_proof(&leaves[..5], 4).unwrap(),
            vec![merkle_root(&leaves[..4])]
        );
    }

    #[test]
    fn proof_index_out_of_range_is_an_error() {
        let leaves: Vec<Hash> = (0u8..3).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(
            inclusion_proof(&leaves, 3),
            Err(AuditError::ProofIndexOutOfRange { index: 3, size: 3 })
        );
        assert_eq!(
            inclusion_proof(&[], 0),
            Err(AuditError::ProofIndexOutOfRange { index: 0, size: 0 })
        );
    }
}
