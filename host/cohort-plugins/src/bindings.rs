//! Host-side bindings generated from the WIT packages in `plugins/wit/`, one module per world and version.
//!
//! `cohort:plugin@0.1.0` (`since_v0.1.0`) has both worlds; `cohort:plugin@0.2.0` (`since_v0.2.0`) revises the
//! segmenter only. The loader picks a segmenter's bindings by the interface version its component exports.

#![allow(missing_docs)] // Generated code.

/// The `connector-plugin` world of 0.1.0.
pub mod connector {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit/since_v0.1.0",
        world: "connector-plugin",
    });
}

/// The `segmenter-plugin` world of 0.1.0: profiles and assignments as records of strings and lists.
pub mod segmenter {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit/since_v0.1.0",
        world: "segmenter-plugin",
    });
}

/// The `segmenter-plugin` world of 0.2.0: profiles and assignments in columns.
pub mod segmenter_v0_2 {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit/since_v0.2.0",
        world: "segmenter-plugin",
    });
}
