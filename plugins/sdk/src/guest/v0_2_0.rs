//! Bindings for `cohort:plugin@0.2.0` (`plugins/wit/since_v0.2.0`): the `segmenter-plugin` world, the only world
//! that version has (connectors stay on 0.1.0, see [`super::v0_1_0`]).
//!
//! The world is generated under another name, `columnar-segmenter-plugin`, which includes it unchanged: wit-bindgen
//! names a crate-wide (`#[macro_export]`) macro after the world, and 0.1.0's world has the same name. A world's
//! name does not reach the component, whose imports and exports are named by interface
//! (`cohort:plugin/segmenter@0.2.0`), so the component is the same as with the original world.
//!
//! As in 0.1.0, `generate!` embeds only the world's imports here; the world with its export is embedded by the
//! `export!` macro where the plugin crate invokes it.
#![allow(unsafe_code, missing_docs)]

/// The `segmenter-plugin` world.
pub mod segmenter_world {
    wit_bindgen::generate!({
        inline: "
            package cohort:plugin-sdk;

            world columnar-segmenter-plugin {
                include cohort:plugin/segmenter-plugin@0.2.0;
            }
        ",
        path: "../wit/since_v0.2.0",
        world: "cohort:plugin-sdk/columnar-segmenter-plugin",
        // The interfaces are in `cohort:plugin`, not in the inline package: generate them all the same.
        generate_all,
        pub_export_macro: true,
        default_bindings_module: "cohort_plugin_sdk::__private::segmenter_v0_2",
    });
}
