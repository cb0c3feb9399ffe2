//! The built-in plugins, embedded: the connectors and segmenters of `plugins/connectors` and `plugins/segmenters`,
//! compiled to WebAssembly components by this crate's build script, with their manifests.
//!
//! The bytes are unsigned: a host that runs them still signs them with a publisher key and trusts that key in its
//! policy like any other package (`cohort demo` does so with a key made for the run). Nothing here bypasses the
//! package checks.

use cohort_plugin_package::PluginKind;

/// One built-in plugin: the component and the manifest it ships with.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPlugin {
    /// Plugin id (`[plugin] id` of the manifest, also the cargo package name).
    pub id: &'static str,
    /// Connector or segmenter.
    pub kind: PluginKind,
    /// `manifest.toml`, as written in the plugin's folder.
    pub manifest: &'static str,
    /// The WebAssembly component (release build for `wasm32-unknown-unknown`).
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Every built-in plugin.
pub fn builtin() -> &'static [BuiltinPlugin] {
    BUILTIN
}

/// The built-in plugin with id `id`, if there is one.
pub fn find(id: &str) -> Option<&'static BuiltinPlugin> {
    BUILTIN.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_packages_with_its_own_manifest() {
        assert!(builtin().len() >= 8);
        for plugin in builtin() {
            let package =
                cohort_plugin_package::Package::build(plugin.manifest, plugin.wasm.to_vec())
                    .unwrap_or_else(|e| panic!("{}: {e}", plugin.id));
            assert_eq!(package.manifest().id(), plugin.id);
            assert_eq!(package.manifest().kind(), plugin.kind);
            assert!(
                plugin.wasm.starts_with(b"\0asm"),
                "{} is not Wasm",
                plugin.id
            );
        }
    }

    #[test]
    fn lookup_by_id() {
        assert_eq!(find("rfm").map(|p| p.kind), Some(PluginKind::Segmenter));
        assert_eq!(
            find("hubspot-contacts").map(|p| p.kind),
            Some(PluginKind::Connector)
        );
        assert!(find("no-such-plugin").is_none());
    }
}
