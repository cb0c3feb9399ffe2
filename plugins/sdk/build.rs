//! Refuses a wasm32 build that would not produce a component.
//!
//! A plugin becomes a WebAssembly component only when it is linked by `wasm-component-ld`, which
//! `plugins/.cargo/config.toml` sets. Cargo reads that file from the directory it runs in, not from the manifest's,
//! so `cargo build --manifest-path plugins/Cargo.toml` run elsewhere would silently link plain core modules that
//! the host cannot load. Cargo tells build scripts the linker it resolved (`RUSTC_LINKER`); without the right one
//! the build stops here with a message that says what to do.

use std::env;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    let linker = env::var("RUSTC_LINKER").unwrap_or_default();
    let is_component_linker = std::path::Path::new(&linker)
        .file_stem()
        .is_some_and(|stem| stem == "wasm-component-ld");
    if !is_component_linker {
        let found = if linker.is_empty() {
            "the target's default".to_owned()
        } else {
            format!("`{linker}`")
        };
        println!(
            "cargo::error=plugins must be linked by wasm-component-ld to become components, but the linker is \
             {found}. Run cargo from the plugins/ directory (`cd plugins && cargo build --release --target \
             wasm32-unknown-unknown`) so that plugins/.cargo/config.toml applies."
        );
    }
}
