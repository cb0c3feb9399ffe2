//! Logging through the host: the one import a plugin has.

/// How serious a log message is (WIT `types.log-level`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Detail for whoever debugs the plugin.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected that the plugin worked around.
    Warn,
    /// Something that failed.
    Error,
}

/// Writes a line to the host's log, tagged by the host with the plugin id.
///
/// Never log personal data: rows, values or tokens. The host truncates long messages and counts every message
/// against the plugin's output limit. In a native build (the plugin's own `cargo test`) this does nothing.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::guest::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}
