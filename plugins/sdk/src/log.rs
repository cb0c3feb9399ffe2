//! Logging through the host: the one import a plugin has.
//!
//! Which import that is depends on the interface version the plugin exports: a 0.2.0 segmenter may import only
//! `cohort:plugin/host@0.2.0`, a connector only `cohort:plugin/host@0.1.0`. So [`log`] calls no bindings itself:
//! the glue of each version registers its own host function here when the host calls into the plugin (see
//! `crate::guest::host_log`), and only the glue a plugin exports is compiled into it, so the other version's import
//! never reaches the component.

#[cfg(any(target_arch = "wasm32", test))]
use std::sync::OnceLock;

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

/// A host log function of one interface version.
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) type HostLog = fn(LogLevel, &str);

/// The host log function of the version this plugin exports, once the host has called in. A plugin exports one
/// version, so the first registration is the only one; WebAssembly plugins are single-threaded, and `OnceLock`
/// keeps this sound anyway.
#[cfg(any(target_arch = "wasm32", test))]
static HOST_LOG: OnceLock<HostLog> = OnceLock::new();

/// Makes [`log`] write through `host_log`. Called by the glue at the start of every exported function, so a
/// repeat is the common case and costs one check.
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) fn register_host_log(host_log: HostLog) {
    if HOST_LOG.get().is_none() {
        // Only `None` can be replaced; a plugin never exports two versions, so there is no other value to lose.
        let _ = HOST_LOG.set(host_log);
    }
}

/// Writes a line to the host's log, tagged by the host with the plugin id.
///
/// Never log personal data: rows, values or tokens. The host truncates long messages and counts every message
/// against the plugin's output limit. In a native build (the plugin's own `cargo test`) this does nothing.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(any(target_arch = "wasm32", test))]
    if let Some(host_log) = HOST_LOG.get() {
        host_log(level, message);
    }
    #[cfg(not(any(target_arch = "wasm32", test)))]
    let _ = (level, message);
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// What the test host function received.
    static RECEIVED: Mutex<Vec<(LogLevel, String)>> = Mutex::new(Vec::new());

    fn test_host_log(level: LogLevel, message: &str) {
        if let Ok(mut received) = RECEIVED.lock() {
            received.push((level, message.to_owned()));
        }
    }

    /// Never called: registered after `test_host_log`, it must not replace it.
    fn other_host_log(_level: LogLevel, _message: &str) {
        panic!("a second registration replaced the first");
    }

    // The only test in this binary that registers: the registration is process-wide.
    #[test]
    fn log_writes_through_the_first_registered_host_function() {
        register_host_log(test_host_log);
        register_host_log(other_host_log);
        log(LogLevel::Warn, "first");
        log(LogLevel::Debug, "second");
        let received = RECEIVED.lock().unwrap();
        assert_eq!(
            *received,
            [
                (LogLevel::Warn, "first".to_owned()),
                (LogLevel::Debug, "second".to_owned())
            ]
        );
    }
}
