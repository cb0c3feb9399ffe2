//! Builds every plugin crate of the workspace for wasm32 the way the project does and checks what the components
//! import and export.
//!
//! This is the SDK's promise to the sandbox: a plugin built with it is a component that exports exactly the
//! interface of its kind in the interface version its manifest names, and whose only imports come from that same
//! version (the `host` log function, when the plugin logs, and the type-only `types` instance the interfaces
//! share): a 0.2.0 segmenter imports nothing of 0.1.0, and a connector or a segmenter that stays on 0.1.0
//! (`export_segmenter_v0_1!`) nothing of 0.2.0. And a component importing anything else shows that import at the
//! top level, where the host's load-time check sees it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmparser::{Parser, Payload};

/// Where the workspace keeps its plugin crates, one directory each.
const PLUGIN_DIRS: [&str; 3] = ["connectors", "segmenters", "fixtures"];

/// The custom section `tools/wasm-ld` adds to a core module that went through wasm-opt.
const OPTIMISED_SECTION: &str = "cohort:wasm-opt";

/// The import of `hostile-import` that no version of the interface has.
const EVIL: &str = "cohort:evil/exfiltrate@0.1.0";

/// The `plugins/` workspace root.
fn workspace() -> PathBuf {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR"));
    sdk.parent()
        .expect("the SDK lives in plugins/sdk")
        .to_path_buf()
}

/// A plugin crate, as its `Cargo.toml` and `manifest.toml` describe it.
#[derive(Debug)]
struct Plugin {
    /// The package name (`good-segmenter`).
    package: String,
    /// `connector` or `segmenter`.
    kind: String,
    /// The interface version, from `interface = "cohort:plugin@<version>"`.
    version: String,
}

impl Plugin {
    /// The interface name `cohort:plugin/<interface>@<version>` of this plugin's version.
    fn interface(&self, interface: &str) -> String {
        format!("cohort:plugin/{interface}@{}", self.version)
    }
}

fn read_toml(path: &Path) -> toml::Table {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.parse()
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn text<'a>(table: &'a toml::Table, section: &str, key: &str, path: &Path) -> &'a str {
    table
        .get(section)
        .and_then(|section| section.get(key))
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("{}: no [{section}] {key}", path.display()))
}

/// Every plugin crate of the workspace, by directory name.
fn plugins() -> Vec<Plugin> {
    let mut plugins = Vec::new();
    for dir in PLUGIN_DIRS {
        let entries = std::fs::read_dir(workspace().join(dir)).expect("the plugin directory lists");
        for entry in entries {
            let crate_dir = entry.expect("the directory entry reads").path();
            let manifest_path = crate_dir.join("manifest.toml");
            if !manifest_path.is_file() {
                continue;
            }
            let cargo_path = crate_dir.join("Cargo.toml");
            let (cargo, manifest) = (read_toml(&cargo_path), read_toml(&manifest_path));
            let interface = text(&manifest, "plugin", "interface", &manifest_path);
            let version = interface
                .strip_prefix("cohort:plugin@")
                .unwrap_or_else(|| panic!("{}: interface {interface}", manifest_path.display()));
            plugins.push(Plugin {
                package: text(&cargo, "package", "name", &cargo_path).to_owned(),
                kind: text(&manifest, "plugin", "kind", &manifest_path).to_owned(),
                version: version.to_owned(),
            });
        }
    }
    plugins.sort_by(|a, b| a.package.cmp(&b.package));
    plugins
}

/// Builds `plugins` with the project's command and returns the directory of the components. Cargo makes this
/// cheap when the wasm build already ran (as `tests/run-all.sh` does first).
fn build(plugins: &[Plugin]) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace()).args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    for plugin in plugins {
        command.args(["-p", &plugin.package]);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building the plugins for wasm32 failed:\n{}",
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
    /// Whether its core module carries the `cohort:wasm-opt` section that `tools/wasm-ld` adds after wasm-opt.
    optimised: bool,
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
        optimised: false,
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
            Payload::CustomSection(section) if section.name() == OPTIMISED_SECTION => {
                surface.optimised = true;
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

fn set<S: AsRef<str>>(names: &[S]) -> BTreeSet<String> {
    names.iter().map(|name| name.as_ref().to_owned()).collect()
}

#[test]
fn components_import_and_export_only_the_interface_version_of_their_manifest() {
    let plugins = plugins();
    let dir = build(&plugins);
    let surfaces: Vec<(&Plugin, Surface)> = plugins
        .iter()
        .map(|plugin| {
            let file = format!("{}.wasm", plugin.package.replace('-', "_"));
            (plugin, surface(&dir.join(file)))
        })
        .collect();
    let surface_of = |package: &str| {
        surfaces
            .iter()
            .find(|(plugin, _)| plugin.package == package)
            .map(|(_, surface)| surface)
            .unwrap_or_else(|| panic!("no plugin crate `{package}`"))
    };

    for (plugin, surface) in &surfaces {
        let name = &plugin.package;
        // Connectors have no 0.2.0; every segmenter is on 0.2.0 but the one that shows 0.1.0 still runs.
        let expected_version = match (plugin.kind.as_str(), name.as_str()) {
            ("connector", _) | ("segmenter", "legacy-segmenter") => "0.1.0",
            ("segmenter", _) => "0.2.0",
            (kind, _) => panic!("{name}: unknown kind {kind}"),
        };
        assert_eq!(
            plugin.version, expected_version,
            "{name}: manifest interface version"
        );
        assert_eq!(
            surface.exports,
            set(&[plugin.interface(&plugin.kind)]),
            "{name} exports"
        );
        // Its version's `host` and the type-only `types` at most. The SDK's glue registers the host's log function
        // whenever the host calls in, but a plugin in which nothing can reach `log` (a connector that never logs)
        // loses the import once wasm-opt (plugins/tools/wasm-ld) removes what nothing calls.
        let mut allowed = set(&[plugin.interface("types"), plugin.interface("host")]);
        if name == "hostile-import" {
            allowed.insert(EVIL.to_owned());
        }
        assert!(
            surface.imports.is_subset(&allowed),
            "{name} imports {:?}, beyond {allowed:?}",
            surface.imports
        );
    }

    // Named once more, the cases this test exists for: a 0.2.0 segmenter imports nothing of 0.1.0, and the same
    // logic on 0.1.0 (`export_segmenter_v0_1!`) nothing of 0.2.0, with a single export each.
    for (package, version) in [("good-segmenter", "0.2.0"), ("legacy-segmenter", "0.1.0")] {
        let surface = surface_of(package);
        let own = set(&[
            format!("cohort:plugin/types@{version}"),
            format!("cohort:plugin/host@{version}"),
        ]);
        assert!(
            surface.imports.is_subset(&own) && !surface.imports.is_empty(),
            "{package} imports {:?}, not only of {version}",
            surface.imports
        );
        assert_eq!(
            surface.exports,
            set(&[format!("cohort:plugin/segmenter@{version}")]),
            "{package} exports"
        );
    }
    assert!(
        surface_of("hostile-import").imports.contains(EVIL),
        "hostile-import shows its extra import at the top level"
    );
}

/// With wasm-opt installed (`tools/wasm-opt/install.sh`) and not switched off, every component went through it: a
/// component linked before the install, which cargo would otherwise keep as up to date, fails here.
#[test]
fn components_went_through_wasm_opt_when_it_is_installed() {
    let wasm_opt = workspace().join("tools/wasm-opt/node_modules/.bin/wasm-opt");
    let node = Command::new("node").arg("--version").output();
    let switched_off = std::env::var("COHORT_WASM_OPT").is_ok_and(|value| value == "off");
    if !wasm_opt.exists() || node.is_err() || switched_off {
        eprintln!(
            "wasm-opt is not installed or is switched off: the components are not optimised, nothing to check"
        );
        return;
    }
    let plugins = plugins();
    let dir = build(&plugins);
    let plain: Vec<&str> = plugins
        .iter()
        .filter(|plugin| {
            let file = format!("{}.wasm", plugin.package.replace('-', "_"));
            !surface(&dir.join(file)).optimised
        })
        .map(|plugin| plugin.package.as_str())
        .collect();
    assert!(
        plain.is_empty(),
        "not optimised, though wasm-opt is installed: {plain:?}"
    );
}
