//! The export macros a plugin crate invokes once, and the hidden items they expand to.

/// Exports a [`Connector`](crate::Connector) impl as this crate's WebAssembly component: the WIT
/// `connector-plugin` world of `cohort:plugin@0.1.0` (connectors have no later version). The plugin's manifest says
/// `interface = "cohort:plugin@0.1.0"`.
///
/// Invoke it exactly once, at the top level of a plugin crate built with `crate-type = ["cdylib", "rlib"]`, and
/// never together with a segmenter export macro. In a native build it only checks that the type implements the
/// trait.
///
/// ```
/// # use cohort_plugin_sdk::{Batch, Connector};
/// struct Lines;
/// impl Connector for Lines {
///     fn start(_config: &str) -> Result<Self, String> { Ok(Lines) }
///     fn push(&mut self, _chunk: &[u8], _out: &mut Batch) -> Result<(), String> { Ok(()) }
///     fn finish(&mut self, _out: &mut Batch) -> Result<(), String> { Ok(()) }
/// }
/// cohort_plugin_sdk::export_connector!(Lines);
/// ```
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            type CohortConnectorExport = $crate::__private::ConnectorExport<$connector>;
            $crate::__private::connector::export!(
                CohortConnectorExport with_types_in $crate::__private::connector
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_connector::<$connector>;
    };
}

/// Exports a [`Segmenter`](crate::Segmenter) impl as this crate's WebAssembly component: the WIT
/// `segmenter-plugin` world of `cohort:plugin@0.2.0`, where profiles and assignments travel in columns. The
/// plugin's manifest says `interface = "cohort:plugin@0.2.0"`.
///
/// Invoke it exactly once, at the top level of a plugin crate built with `crate-type = ["cdylib", "rlib"]`, and
/// never together with [`export_connector!`](crate::export_connector!) or
/// [`export_segmenter_v0_1!`](crate::export_segmenter_v0_1!). In a native build it only checks that the type
/// implements the trait.
///
/// ```
/// # use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter};
/// struct Nobody;
/// impl Segmenter for Nobody {
///     fn segments(_config: &str) -> Result<Vec<SegmentDef>, String> { Ok(Vec::new()) }
///     fn start(_config: &str, _ctx: RunContext) -> Result<Self, String> { Ok(Nobody) }
///     fn add(&mut self, _profiles: Vec<Profile>, _out: &mut Vec<Assignment>) -> Result<(), String> { Ok(()) }
/// }
/// cohort_plugin_sdk::export_segmenter!(Nobody);
/// ```
#[macro_export]
macro_rules! export_segmenter {
    ($segmenter:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            type CohortSegmenterExport = $crate::__private::SegmenterV0_2Export<$segmenter>;
            $crate::__private::segmenter_v0_2::export!(
                CohortSegmenterExport with_types_in $crate::__private::segmenter_v0_2
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_segmenter::<$segmenter>;
    };
}

/// Exports a [`Segmenter`](crate::Segmenter) impl as the `segmenter-plugin` world of the older
/// `cohort:plugin@0.1.0`, where every profile and assignment is a record of strings and lists. For plugins that
/// must stay on 0.1.0 (the host runs 0.1.0 and 0.2.0 segmenters side by side); a new plugin uses
/// [`export_segmenter!`](crate::export_segmenter!), which is the same trait impl, faster. The plugin's manifest says
/// `interface = "cohort:plugin@0.1.0"`.
///
/// Invoke it exactly once, at the top level of a plugin crate built with `crate-type = ["cdylib", "rlib"]`, and
/// never together with another export macro. In a native build it only checks that the type implements the trait.
///
/// ```
/// # use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter};
/// struct Nobody;
/// impl Segmenter for Nobody {
///     fn segments(_config: &str) -> Result<Vec<SegmentDef>, String> { Ok(Vec::new()) }
///     fn start(_config: &str, _ctx: RunContext) -> Result<Self, String> { Ok(Nobody) }
///     fn add(&mut self, _profiles: Vec<Profile>, _out: &mut Vec<Assignment>) -> Result<(), String> { Ok(()) }
/// }
/// cohort_plugin_sdk::export_segmenter_v0_1!(Nobody);
/// ```
#[macro_export]
macro_rules! export_segmenter_v0_1 {
    ($segmenter:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            type CohortSegmenterExport = $crate::__private::SegmenterV0_1Export<$segmenter>;
            $crate::__private::segmenter_v0_1::export!(
                CohortSegmenterExport with_types_in $crate::__private::segmenter_v0_1
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_segmenter::<$segmenter>;
    };
}

/// What the export macros expand to. Not part of the API: names and contents change without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use crate::guest::v0_1_0::connector_world as connector;
    #[cfg(target_arch = "wasm32")]
    pub use crate::guest::v0_1_0::segmenter_world as segmenter_v0_1;
    #[cfg(target_arch = "wasm32")]
    pub use crate::guest::v0_2_0::segmenter_world as segmenter_v0_2;
    #[cfg(target_arch = "wasm32")]
    pub use crate::guest::{ConnectorExport, SegmenterV0_1Export, SegmenterV0_2Export};

    /// Compiles only when `C` is a connector; the native expansion of `export_connector!`.
    pub fn assert_connector<C: crate::Connector>() {}

    /// Compiles only when `S` is a segmenter; the native expansion of `export_segmenter!` and
    /// `export_segmenter_v0_1!`.
    pub fn assert_segmenter<S: crate::Segmenter>() {}
}
