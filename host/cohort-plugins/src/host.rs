//! What a plugin's store holds: its limits, its resource limiter, and the one host function it may call (`log`).

use crate::bindings::{connector, segmenter, segmenter_v0_2};
use wasmtime::ResourceLimiter;

/// Longest log message kept; longer ones are cut. Logs are for diagnostics, not for data.
const MAX_LOG_MESSAGE: usize = 1024;
/// Log lines a plugin may write per call before further ones are dropped (and counted).
const MAX_LOG_LINES_PER_CALL: u32 = 100;

/// Per-store state.
pub(crate) struct HostState {
    pub(crate) plugin: String,
    pub(crate) memory_cap: usize,
    /// Set when the limiter refused a memory growth, so the trap that follows is reported as a memory limit.
    pub(crate) memory_denied: bool,
    pub(crate) peak_memory: usize,
    pub(crate) log_lines: u32,
    pub(crate) logs_dropped: u32,
    /// Bytes of log messages in the current call; they count against the call's output limit.
    pub(crate) log_bytes: usize,
}

impl HostState {
    pub(crate) fn new(plugin: String, memory_cap: usize) -> Self {
        Self {
            plugin,
            memory_cap,
            memory_denied: false,
            peak_memory: 0,
            log_lines: 0,
            logs_dropped: 0,
            log_bytes: 0,
        }
    }

    fn log(&mut self, level: &str, message: &str) {
        self.log_bytes = self.log_bytes.saturating_add(message.len());
        if self.log_lines >= MAX_LOG_LINES_PER_CALL {
            self.logs_dropped += 1;
            return;
        }
        self.log_lines += 1;
        let mut end = message.len().min(MAX_LOG_MESSAGE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let text = &message[..end];
        match level {
            "error" => tracing::error!(plugin = %self.plugin, "{text}"),
            "warn" => tracing::warn!(plugin = %self.plugin, "{text}"),
            "info" => tracing::info!(plugin = %self.plugin, "{text}"),
            _ => tracing::debug!(plugin = %self.plugin, "{text}"),
        }
    }
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.memory_denied = true;
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; 100k entries is far beyond any real plugin.
        Ok(desired <= 100_000)
    }
}

/// Implements one world's `host` and `types` interfaces (each world and version has its own generated traits) by
/// forwarding to [`HostState::log`].
macro_rules! host_interface {
    ($world:ident) => {
        impl $world::cohort::plugin::types::Host for HostState {}

        impl $world::cohort::plugin::host::Host for HostState {
            fn log(&mut self, level: $world::cohort::plugin::types::LogLevel, message: String) {
                use $world::cohort::plugin::types::LogLevel as L;
                let level = match level {
                    L::Debug => "debug",
                    L::Info => "info",
                    L::Warn => "warn",
                    L::Error => "error",
                };
                HostState::log(self, level, &message);
            }
        }
    };
}

host_interface!(connector);
host_interface!(segmenter);
host_interface!(segmenter_v0_2);
