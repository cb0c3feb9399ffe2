//! Property: no change to a signed package's bytes goes unnoticed. Any flipped bits, anywhere (magic, length
//! fields, manifest, code, signature), make reading or verification fail; so do truncation and extra bytes.

use std::sync::LazyLock;

use cohort_plugin_package::Package;
use proptest::prelude::*;

use crate::common::{new_key, signed, valid_manifest};

/// One signed package, made once: the property is about its bytes, not about keys.
static SIGNED: LazyLock<Vec<u8>> =
    LazyLock::new(|| signed(&valid_manifest("rfm"), &new_key("cohort-builtin")).to_bytes());

fn accepted(bytes: &[u8]) -> bool {
    Package::from_bytes(bytes).and_then(Package::verify).is_ok()
}

#[test]
fn the_untouched_package_is_accepted() {
    assert!(accepted(&SIGNED));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_byte_flip_is_detected(index in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let mut bytes = SIGNED.clone();
        let at = index.index(bytes.len());
        bytes[at] ^= mask;
        prop_assert!(!accepted(&bytes), "flipping byte {} with {:#04x} went unnoticed", at, mask);
    }

    #[test]
    fn truncation_is_detected(index in any::<prop::sample::Index>()) {
        let len = index.index(SIGNED.len());
        prop_assert!(!accepted(&SIGNED[..len]));
    }

    #[test]
    fn extra_bytes_are_detected(extra in prop::collection::vec(any::<u8>(), 1..16)) {
        let bytes = [SIGNED.as_slice(), &extra].concat();
        prop_assert!(!accepted(&bytes));
    }
}
