//! Builds fixture plugins for wasm32 the way the project does and checks what the components import and export.
//!
//! This is the SDK's promise to the sandbox: a plugin built with it is a component whose only imports come from
//! `cohort:plugin@0.1.0` (the `host` log function, when the plugin logs, and the type-only `types` instance the
//! interfaces share), that exports exactly the interface of its kind, and that a component importing anything else
//! shows that import at the top level, where the host's load-time check sees it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmparser::{Parser, Payload};

/// The WIT interfaces the host offers (`plugin.wit`, `since_v0.1.0`).
const TYPES: &str = "cohort:plugin/types@0.1.0";
const HOST: &str = "cohort:plugin/host@0.1.0";
const CONNECTOR: &str = "cohort:plugin/connector@0.1.0";
const SEGMENTER: &str = "cohort:plugin/segmenter@0.1.0";

/// The fixtures this test builds: one of each export kind, one that logs, one with an extra import.
const FIXTURES: [&str; 4] = [
    "good-segmenter",
    "spy-segmenter",
    "hostile-connector",
    "hostile-import",
];

/// The `plugins/` workspace root.
fn workspace() -> PathBuf {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR"));
    sdk.parent()
        .expect("the SDK lives in plugins/sdk")
        .to_path_buf()
}

/// Builds [`FIXTURES`] with the project's command and returns the directory of the components. Cargo makes this
/// cheap when the wasm build already ran (as `tests/run-all.sh` does first).
fn build_fixtures() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace()).args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    for fixture in FIXTURES {
        command.args(["-p", fixture]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building the fixtures for wasm32 failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace().join("target"), PathBuf::from);
    target.join("wasm32-unknown-unknown").join("release")
}

/// The names a component imports and exports at its top level. Nested core modules and components are skipped:
/// their imports are wired inside the component and never reach the host.
#[derive(Debug)]
struct Surface {
    imports: BTreeSet<String>,
    exports: BTreeSet<String>,
}

fn surface(path: &Path) -> Surface {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(
        Parser::is_component(&bytes),
        "{} is a core module, not a component",
        path.display()
    );
    let mut surface = Surface {
        imports: BTreeSet::new(),
        exports: BTreeSet::new(),
    };
    let mut depth = 0_usize;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.expect("the component parses") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(imports) if depth == 0 => {
                for import in imports {
                    surface
                        .imports
                        .insert(import.expect("import parses").name.0.to_owned());
                }
            }
            Payload::ComponentExportSection(exports) if depth == 0 => {
                for export in exports {
                    surface
                        .exports
                        .insert(export.expect("export parses").name.0.to_owned());
                }
            }
            _ => {}
        }
    }
    surface
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[test]
fn components_import_only_the_cohort_interfaces_and_export_their_kind() {
    let dir = build_fixtures();
    let component = |crate_name: &str| surface(&dir.join(format!("{crate_name}.wasm")));

    // A plugin that never logs does not even import the host's log function: the linker drops what is unused.
    let good = component("good_segmenter");
    assert_eq!(good.imports, set(&[TYPES]), "good-segmenter imports");
    assert_eq!(good.exports, set(&[SEGMENTER]), "good-segmenter exports");

    let spy = component("spy_segmenter");
    assert_eq!(
        spy.imports,
        set(&[TYPES, HOST]),
        "spy-segmenter (which logs) imports"
    );
    assert_eq!(spy.exports, set(&[SEGMENTER]), "spy-segmenter exports");

    let connector = component("hostile_connector");
    assert_eq!(
        connector.imports,
        set(&[TYPES]),
        "hostile-connector imports"
    );
    assert_eq!(
        connector.exports,
        set(&[CONNECTOR]),
        "hostile-connector exports"
    );

    let evil = component("hostile_import");
    assert_eq!(
        evil.imports,
        set(&[TYPES, "cohort:evil/exfiltrate@0.1.0"]),
        "hostile-import shows its extra import at the top level"
    );
    assert_eq!(evil.exports, set(&[SEGMENTER]), "hostile-import exports");
}
