//! Builds the built-in plugins in `plugins/` for `wasm32-unknown-unknown` and writes `builtin.rs` into `OUT_DIR`,
//! which embeds each component and its manifest.
//!
//! The nested cargo runs in `plugins/` (its own workspace and lock file) with the outer build's environment cleaned,
//! so the host target's flags and target directory do not leak into the Wasm build; its target directory stays
//! `plugins/target`, shared with the test build. The components and manifests are copied into `OUT_DIR` so the
//! embedded bytes cannot change under the compiler if another build rewrites `plugins/target` meanwhile.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// (cargo package, folder under `plugins/`, kind) of every built-in plugin. The package name is the plugin id.
const PLUGINS: &[(&str, &str, &str)] = &[
    ("hubspot-contacts", "connectors", "Connector"),
    ("salesforce-contacts", "connectors", "Connector"),
    ("segment-events", "connectors", "Connector"),
    ("ga4-events", "connectors", "Connector"),
    ("survey-csv", "connectors", "Connector"),
    ("typeform-responses", "connectors", "Connector"),
    ("rfm", "segmenters", "Segmenter"),
    ("lifecycle", "segmenters", "Segmenter"),
    ("churn-risk", "segmenters", "Segmenter"),
    ("rules", "segmenters", "Segmenter"),
];

/// What the plugins' build reads. Not `plugins/` as a whole: `plugins/target` changes on every build.
const WATCHED: &[&str] = &[
    "sdk",
    "kit",
    "wit",
    "connectors",
    "segmenters",
    "Cargo.lock",
    "Cargo.toml",
    // How the components are linked: the linker settings and the wasm-opt step (not `tools/` whole: its
    // node_modules would be scanned on every build).
    ".cargo/config.toml",
    "tools/wasm-ld",
    "tools/wasm-opt/package-lock.json",
];

/// Environment variables of the outer build that must not reach the nested one (besides `CARGO_*`, see
/// [`keep_cargo_var`]): flags for the host target, the build script's own context, the outer jobserver.
const REMOVED: &[&str] = &[
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_LINKER",
    "RUSTC_WORKSPACE_WRAPPER",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
    "MAKEFLAGS",
    "MFLAGS",
];

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));
    let plugins = manifest_dir.join("../../plugins");
    let plugins = plugins.canonicalize().unwrap_or_else(|e| {
        fail(&format!(
            "cannot find the plugins workspace at {}: {e}",
            plugins.display()
        ))
    });
    for watched in WATCHED {
        println!("cargo:rerun-if-changed={}", plugins.join(watched).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    build(&plugins);

    let release = plugins.join("target/wasm32-unknown-unknown/release");
    let mut table = String::from(
        "/// Every built-in plugin, in the order of `build.rs`.\nstatic BUILTIN: &[BuiltinPlugin] = &[\n",
    );
    for (package, folder, kind) in PLUGINS {
        let lib = package.replace('-', "_");
        let wasm = copy(
            &release.join(format!("{lib}.wasm")),
            &out_dir.join(format!("{lib}.wasm")),
        );
        let manifest = copy(
            &plugins.join(folder).join(package).join("manifest.toml"),
            &out_dir.join(format!("{lib}.manifest.toml")),
        );
        table.push_str(&format!(
            "    BuiltinPlugin {{\n        id: {package:?},\n        kind: PluginKind::{kind},\n        \
             manifest: include_str!({manifest:?}),\n        wasm: include_bytes!({wasm:?}),\n    }},\n",
            manifest = manifest.display().to_string(),
            wasm = wasm.display().to_string(),
        ));
    }
    table.push_str("];\n");
    let generated = out_dir.join("builtin.rs");
    if let Err(e) = std::fs::write(&generated, table) {
        fail(&format!("cannot write {}: {e}", generated.display()));
    }
}

/// Runs `cargo build --release --target wasm32-unknown-unknown --locked -p ...` in `plugins/`.
fn build(plugins: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command.args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "--locked",
    ]);
    for (package, _, _) in PLUGINS {
        command.args(["-p", package]);
    }
    command.current_dir(plugins);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if REMOVED.contains(&key) || (key.starts_with("CARGO_") && !keep_cargo_var(key)) {
            command.env_remove(key);
        }
    }
    command.env_remove("CARGO");
    // Cargo reads this build script's stdout for instructions; the nested build's messages go to stderr, which
    // cargo shows when the build fails.
    command.stdout(Stdio::null());
    let status = command.status().unwrap_or_else(|e| {
        fail(&format!(
            "cannot run `{cargo}` to build the built-in plugins in {}: {e}",
            plugins.display()
        ))
    });
    if !status.success() {
        fail(&format!(
            "building the built-in plugins failed (`cargo build --release --target wasm32-unknown-unknown --locked` \
             in {}, {status}; its messages are above). If the Wasm target is missing: \
             `rustup target add wasm32-unknown-unknown`.",
            plugins.display()
        ));
    }
}

/// `CARGO_*` variables that configure cargo itself for the user (where its home is, the network, the registries,
/// colours) and so still apply to the nested build; every other `CARGO_*` describes the outer build.
fn keep_cargo_var(key: &str) -> bool {
    key == "CARGO_HOME"
        || key == "CARGO_TERM_COLOR"
        || key.starts_with("CARGO_NET_")
        || key.starts_with("CARGO_HTTP_")
        || key.starts_with("CARGO_REGISTRIES_")
        || key.starts_with("CARGO_REGISTRY_")
}

/// Copies `from` to `to` and returns `to`.
fn copy(from: &Path, to: &Path) -> PathBuf {
    if let Err(e) = std::fs::copy(from, to) {
        fail(&format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ));
    }
    to.to_path_buf()
}

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| fail(&format!("cargo did not set {key}")))
}

/// Stops the build with `message`.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}
