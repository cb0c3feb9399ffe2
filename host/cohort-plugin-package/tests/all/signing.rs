//! Package files, signing and signature verification.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cohort_plugin_package::package::PACKAGE_MAGIC;
use cohort_plugin_package::signature::signed_message;
use cohort_plugin_package::{Package, PackageError, PublisherKey};
use ring::signature::KeyPair as _;

use crate::common::{
    fake_wasm, new_key, signed, valid_manifest, wasm_range, with_signature_section,
};

#[test]
fn a_signed_package_round_trips_through_its_bytes() {
    let key = new_key("cohort-builtin");
    let package = signed(&valid_manifest("rfm"), &key);
    assert_eq!(package.file_name(), "rfm-0.1.0.cohort-plugin");
    let bytes = package.to_bytes();
    assert!(bytes.starts_with(PACKAGE_MAGIC));

    let read = Package::from_bytes(&bytes).unwrap();
    assert_eq!(read.to_bytes(), bytes, "writing is deterministic");
    assert_eq!(read.manifest_text(), valid_manifest("rfm"));
    assert_eq!(read.wasm(), fake_wasm().as_slice());
    assert_eq!(read.sha256_hex(), package.sha256_hex());
    assert_eq!(read.claimed_signer(), Some("cohort-builtin"));

    let verified = read.verify().unwrap();
    assert_eq!(verified.publisher(), "cohort-builtin");
    assert_eq!(verified.public_key(), &key.public_key_bytes());
    assert_eq!(verified.public_key_text(), key.public_key());
    assert_eq!(verified.manifest().id(), "rfm");
}

#[test]
fn the_package_hash_covers_manifest_and_code_but_not_the_signature() {
    let manifest = valid_manifest("rfm");
    let unsigned = Package::build(&manifest, fake_wasm()).unwrap();
    let first = signed(&manifest, &new_key("cohort-builtin"));
    let second = signed(&manifest, &new_key("cohort-builtin"));
    assert_eq!(unsigned.sha256_hex(), first.sha256_hex());
    assert_eq!(first.sha256_hex(), second.sha256_hex());
    assert_eq!(first.sha256_hex().len(), 64);

    let mut other_code = fake_wasm();
    other_code.push(0);
    let changed = Package::build(&manifest, other_code).unwrap();
    assert_ne!(changed.sha256_hex(), unsigned.sha256_hex());
    let changed = Package::build(
        &manifest.replace("spent the most", "spent the mast"),
        fake_wasm(),
    )
    .unwrap();
    assert_ne!(changed.sha256_hex(), unsigned.sha256_hex());
}

#[test]
fn one_changed_byte_of_code_after_signing_is_refused() {
    let bytes = signed(&valid_manifest("rfm"), &new_key("cohort-builtin")).to_bytes();
    let range = wasm_range(&bytes);
    assert_eq!(&bytes[range.clone()], fake_wasm().as_slice());
    // Past the `\0asm` magic, so the package still reads and only the signature can catch the change.
    for at in [range.start + 4, range.start + 10, range.end - 1] {
        let mut tampered = bytes.clone();
        tampered[at] ^= 0x01;
        let package = Package::from_bytes(&tampered).unwrap();
        let error = package.verify().unwrap_err();
        assert!(
            matches!(error, PackageError::BadSignature { .. }),
            "{error}"
        );
        let message = error.to_string();
        assert!(message.contains("plugin `rfm` 0.1.0"), "{message}");
        assert!(message.contains("`cohort-builtin`"), "{message}");
    }
}

#[test]
fn one_changed_byte_of_the_manifest_after_signing_is_refused() {
    let bytes = signed(&valid_manifest("rfm"), &new_key("cohort-builtin")).to_bytes();
    // A change that keeps the manifest valid: only the signature can catch it.
    let at = bytes
        .windows(b"spent the most".len())
        .position(|w| w == b"spent the most")
        .unwrap()
        + "spent the m".len();
    let mut tampered = bytes.clone();
    tampered[at] = b'a';
    let package = Package::from_bytes(&tampered).unwrap();
    assert!(package.manifest_text().contains("spent the mast"));
    assert!(matches!(
        package.verify(),
        Err(PackageError::BadSignature { .. })
    ));
}

#[test]
fn an_unsigned_package_is_refused() {
    let package = Package::build(&valid_manifest("rfm"), fake_wasm()).unwrap();
    assert_eq!(package.claimed_signer(), None);
    let read = Package::from_bytes(&package.to_bytes()).unwrap();
    let error = read.verify().unwrap_err();
    assert!(matches!(error, PackageError::Unsigned { .. }), "{error}");
    assert!(
        error.to_string().contains("`rfm` 0.1.0 is not signed"),
        "{error}"
    );
}

#[test]
fn signing_with_another_publishers_key_is_refused() {
    let mut package = Package::build(&valid_manifest("rfm"), fake_wasm()).unwrap();
    let error = package.sign(&new_key("acme-plugins")).unwrap_err();
    assert!(
        matches!(error, PackageError::PublisherMismatch { .. }),
        "{error}"
    );
    assert_eq!(
        package.claimed_signer(),
        None,
        "a refused signature is not stored"
    );
}

/// A signature section written by hand from the documented format, so that the test does not trust the crate's
/// own writer.
fn signature_json(publisher: &str, public_key: &[u8], signature: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "format": "cohort-plugin-signature/v1",
        "publisher": publisher,
        "public_key": format!("ed25519:{}", B64.encode(public_key)),
        "signature": B64.encode(signature),
    }))
    .unwrap()
}

fn raw_key() -> ring::signature::Ed25519KeyPair {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

#[test]
fn a_hand_made_signature_over_the_documented_message_verifies() {
    let manifest = valid_manifest("rfm");
    let unsigned = Package::build(&manifest, fake_wasm()).unwrap().to_bytes();
    let pair = raw_key();
    let message = signed_message(manifest.as_bytes(), &fake_wasm(), "cohort-builtin");
    let section = signature_json(
        "cohort-builtin",
        pair.public_key().as_ref(),
        pair.sign(&message).as_ref(),
    );
    let package = Package::from_bytes(&with_signature_section(&unsigned, &section)).unwrap();
    let verified = package.verify().unwrap();
    assert_eq!(verified.public_key().as_slice(), pair.public_key().as_ref());
}

#[test]
fn a_valid_signature_by_a_publisher_other_than_the_manifests_is_refused() {
    let manifest = valid_manifest("rfm");
    let unsigned = Package::build(&manifest, fake_wasm()).unwrap().to_bytes();
    let pair = raw_key();
    // Mallory signs rfm's exact manifest and code under her own name: the signature is valid, the claim is not.
    let message = signed_message(manifest.as_bytes(), &fake_wasm(), "mallory");
    let section = signature_json(
        "mallory",
        pair.public_key().as_ref(),
        pair.sign(&message).as_ref(),
    );
    let package = Package::from_bytes(&with_signature_section(&unsigned, &section)).unwrap();
    let error = package.verify().unwrap_err();
    match &error {
        PackageError::PublisherMismatch {
            manifest_publisher,
            signature_publisher,
            ..
        } => {
            assert_eq!(manifest_publisher, "cohort-builtin");
            assert_eq!(signature_publisher, "mallory");
        }
        other => panic!("expected a publisher mismatch, got {other}"),
    }
}

#[test]
fn a_signature_checked_against_a_swapped_public_key_is_refused() {
    let manifest = valid_manifest("rfm");
    let unsigned = Package::build(&manifest, fake_wasm()).unwrap().to_bytes();
    let (signer, other) = (raw_key(), raw_key());
    let message = signed_message(manifest.as_bytes(), &fake_wasm(), "cohort-builtin");
    let section = signature_json(
        "cohort-builtin",
        other.public_key().as_ref(),
        signer.sign(&message).as_ref(),
    );
    let package = Package::from_bytes(&with_signature_section(&unsigned, &section)).unwrap();
    assert!(matches!(
        package.verify(),
        Err(PackageError::BadSignature { .. })
    ));
}

#[test]
fn a_malformed_signature_section_is_refused_when_read() {
    let unsigned = Package::build(&valid_manifest("rfm"), fake_wasm())
        .unwrap()
        .to_bytes();
    for (section, expected) in [
        (b"not json".to_vec(), "not the expected JSON"),
        (
            signature_json("cohort-builtin", &[1; 31], &[2; 64]),
            "31 bytes",
        ),
        (
            signature_json("cohort-builtin", &[1; 32], &[2; 63]),
            "63 bytes",
        ),
        (
            serde_json::to_vec(&serde_json::json!({"format": "cohort-plugin-signature/v0",
                "publisher": "x", "public_key": "ed25519:", "signature": ""}))
            .unwrap(),
            "cohort-plugin-signature/v0",
        ),
    ] {
        let error = Package::from_bytes(&with_signature_section(&unsigned, &section)).unwrap_err();
        assert!(
            matches!(error, PackageError::MalformedSignature { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn a_key_file_signs_packages_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cohort-builtin.key.json");
    let public_key = PublisherKey::create_file(&path, "cohort-builtin").unwrap();
    let key = PublisherKey::load(&path).unwrap();
    let verified = signed(&valid_manifest("survey-csv"), &key)
        .verify()
        .unwrap();
    assert_eq!(verified.public_key_text(), public_key);
}

#[test]
fn layout_errors_say_what_is_wrong() {
    let bytes = signed(&valid_manifest("rfm"), &new_key("cohort-builtin")).to_bytes();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (fake_wasm(), "bare WebAssembly file"),
        (b"COHORT-PLUGIN\0v2\n".to_vec(), "format version"),
        (
            b"PK\x03\x04".to_vec(),
            "does not start with the package magic",
        ),
        (bytes[..bytes.len() - 1].to_vec(), "only"),
        (
            bytes[..PACKAGE_MAGIC.len() + 2].to_vec(),
            "where the length of the manifest section",
        ),
        (
            [bytes.as_slice(), b"x"].concat(),
            "1 unexpected bytes follow the signature section",
        ),
    ];
    for (input, expected) in cases {
        let error = Package::from_bytes(&input).unwrap_err();
        assert!(matches!(error, PackageError::Malformed { .. }), "{error}");
        assert!(
            error.to_string().contains(expected),
            "{expected:?} not in: {error}"
        );
    }
}

#[test]
fn code_that_is_not_webassembly_is_refused() {
    let error = Package::build(&valid_manifest("rfm"), b"#!/bin/sh\n".to_vec()).unwrap_err();
    assert!(matches!(error, PackageError::NotWasm { .. }), "{error}");
}

#[test]
fn sections_over_their_limit_are_refused() {
    let too_big = vec![0u8; cohort_plugin_package::package::MAX_WASM_BYTES + 1];
    let mut wasm = b"\0asm".to_vec();
    wasm.extend_from_slice(&too_big);
    assert!(matches!(
        Package::build(&valid_manifest("rfm"), wasm),
        Err(PackageError::TooLarge {
            what: "WebAssembly component",
            ..
        })
    ));
    // A length field that claims more than the limit is refused before anything is allocated for it.
    let mut bytes = PACKAGE_MAGIC.to_vec();
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        Package::from_bytes(&bytes),
        Err(PackageError::TooLarge {
            what: "manifest",
            ..
        })
    ));
}
