//! Bindings for `cohort:plugin@0.1.0` (`plugins/wit/since_v0.1.0`), one module per world.
//!
//! Each `generate!` embeds only the imports of its world here; the world with its exports is embedded by the
//! `export!` macro where the plugin crate invokes it. A connector component therefore describes the connector
//! world alone, and a segmenter the segmenter world alone, although the SDK carries bindings for both.
#![allow(unsafe_code, missing_docs)]

/// The `connector-plugin` world.
pub mod connector_world {
    wit_bindgen::generate!({
        world: "connector-plugin",
        path: "../wit/since_v0.1.0",
        pub_export_macro: true,
        default_bindings_module: "cohort_plugin_sdk::__private::connector",
    });
}

/// The `segmenter-plugin` world.
pub mod segmenter_world {
    wit_bindgen::generate!({
        world: "segmenter-plugin",
        path: "../wit/since_v0.1.0",
        pub_export_macro: true,
        default_bindings_module: "cohort_plugin_sdk::__private::segmenter_v0_1",
    });
}
