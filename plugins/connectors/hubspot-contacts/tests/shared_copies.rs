//! The built-in connectors keep a few modules as identical copies (`src/shared/`), and the same test harnesses
//! (`tests/samples.rs`, apart from the line naming the connector type, and this file). This test fails when a copy
//! here differs from a sibling connector's copy, so a fix made in one connector is made in all of them.

// Clippy allows `unwrap` inside `#[test]` functions but not in the helpers they share here.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

/// The line of `tests/samples.rs` that names the connector, the only one allowed to differ.
const PLUGIN_LINE_PREFIX: &str = "type Plugin = ";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The other connector crates next to this one.
fn siblings() -> Vec<PathBuf> {
    let here = crate_dir();
    let mut dirs: Vec<PathBuf> = fs::read_dir(here.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("Cargo.toml").is_file() && *dir != here)
        .collect();
    dirs.sort();
    dirs
}

fn without_plugin_line(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with(PLUGIN_LINE_PREFIX))
        .collect::<Vec<_>>()
        .join("\n")
}

fn same(ours: &Path, theirs: &Path, normalise: fn(&str) -> String) -> bool {
    let read = |path: &Path| normalise(&fs::read_to_string(path).unwrap());
    read(ours) == read(theirs)
}

#[test]
fn shared_modules_are_identical_in_every_connector_that_has_them() {
    let mut compared = 0;
    for entry in fs::read_dir(crate_dir().join("src/shared")).unwrap() {
        let ours = entry.unwrap().path();
        for sibling in siblings() {
            let theirs = sibling.join("src/shared").join(ours.file_name().unwrap());
            if theirs.is_file() {
                assert!(
                    same(&ours, &theirs, str::to_owned),
                    "{} differs from {}",
                    ours.display(),
                    theirs.display()
                );
                compared += 1;
            }
        }
    }
    assert!(
        compared > 0,
        "no sibling shares a module with this connector"
    );
}

#[test]
fn the_test_harnesses_are_identical_in_every_connector() {
    for file in ["tests/samples.rs", "tests/shared_copies.rs"] {
        let ours = crate_dir().join(file);
        for sibling in siblings() {
            let theirs = sibling.join(file);
            assert!(
                same(&ours, &theirs, without_plugin_line),
                "{} differs from {}",
                ours.display(),
                theirs.display()
            );
        }
    }
}
