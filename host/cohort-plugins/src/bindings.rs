//! Host-side bindings generated from `plugins/wit/since_v0.1.0/plugin.wit`, one module per world.
//!
//! When a `cohort:plugin@0.2.0` appears, it gets its own modules here beside these, and the runtime picks the
//! bindings by the interface version in the manifest.

#![allow(missing_docs)] // Generated code.

/// The `connector-plugin` world.
pub mod connector {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit/since_v0.1.0",
        world: "connector-plugin",
    });
}

/// The `segmenter-plugin` world.
pub mod segmenter {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit/since_v0.1.0",
        world: "segmenter-plugin",
    });
}
