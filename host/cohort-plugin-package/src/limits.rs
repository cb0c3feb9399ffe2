//! Resource limits: what a manifest may request (`[limits]`), the host's maxima and defaults, and the effective
//! limits the sandbox applies to every call into a plugin.
//!
//! A manifest may ask for less or more than the default but never more than the host maximum: a request above it
//! is a manifest problem, reported when the package is built or read, rather than silently capped at run time.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Most fuel one call may burn. Wasmtime charges about one unit of fuel per WebAssembly instruction, and a core
/// runs on the order of 10^9 simple instructions a second, so 10^10 is several seconds of pure computation: enough
/// for a segmenter's `finish` that sorts a million profiles, while the wall-clock limit stops anything slower.
pub const MAX_FUEL_PER_CALL: u64 = 10_000_000_000;
/// Fuel per call when the manifest asks for none: about a second of computation, ample for one input chunk or
/// one batch of profiles.
pub const DEFAULT_FUEL_PER_CALL: u64 = 1_000_000_000;

/// Largest linear memory of one instance, in MiB. A segmenter that needs every profile before it can answer
/// (quintiles, percentiles) keeps roughly a hundred bytes per profile, so a million profiles fit several times
/// over, while two or three instances at the maximum still fit beside the host on an ordinary server.
pub const MAX_MEMORY_MB: u64 = 512;
/// Memory when the manifest asks for none, in MiB: room for a connector's parser state and a batch of output.
pub const DEFAULT_MEMORY_MB: u64 = 64;

/// Largest output of one call, in bytes. The host holds a call's whole output in memory and validates every
/// record before storing anything, so this bounds what one call can make the host hold.
pub const MAX_OUTPUT_BYTES: u64 = 64 * 1024 * 1024;
/// Output per call when the manifest asks for none (16 MiB, the figure in the plugin spec's example).
pub const DEFAULT_OUTPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Longest one call may run, in milliseconds. Ingest and segment runs wait on the call; a minute is longer than
/// any well-behaved chunk needs and short enough that a stuck plugin is reported while someone is still watching.
pub const MAX_WALL_CLOCK_MS: u64 = 60_000;
/// Wall-clock limit per call when the manifest asks for none (10 s, the figure in the plugin spec's example).
pub const DEFAULT_WALL_CLOCK_MS: u64 = 10_000;

/// Bytes in a MiB, for `memory_mb`.
const MIB: u64 = 1024 * 1024;

/// The optional `[limits]` section of a manifest: what the plugin asks for. Absent values take the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRequests {
    /// Fuel per call, at most [`MAX_FUEL_PER_CALL`].
    #[serde(default)]
    pub fuel_per_call: Option<u64>,
    /// Linear memory in MiB, at most [`MAX_MEMORY_MB`].
    #[serde(default)]
    pub memory_mb: Option<u64>,
    /// Output bytes per call, at most [`MAX_OUTPUT_BYTES`].
    #[serde(default)]
    pub output_bytes: Option<u64>,
    /// Wall-clock milliseconds per call, at most [`MAX_WALL_CLOCK_MS`].
    #[serde(default)]
    pub wall_clock_ms: Option<u64>,
}

impl LimitRequests {
    /// Each request that is zero or above the host maximum, as (key, problem).
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let checks = [
            ("fuel_per_call", self.fuel_per_call, MAX_FUEL_PER_CALL, ""),
            ("memory_mb", self.memory_mb, MAX_MEMORY_MB, " MiB"),
            (
                "output_bytes",
                self.output_bytes,
                MAX_OUTPUT_BYTES,
                " bytes",
            ),
            (
                "wall_clock_ms",
                self.wall_clock_ms,
                MAX_WALL_CLOCK_MS,
                " ms",
            ),
        ];
        let mut problems = Vec::new();
        for (key, requested, max, unit) in checks {
            match requested {
                Some(0) => problems.push((
                    key,
                    "must be at least 1: a zero limit would stop every call".to_owned(),
                )),
                Some(value) if value > max => problems.push((
                    key,
                    format!("asks for {value}{unit}, more than this host's maximum of {max}{unit}"),
                )),
                _ => {}
            }
        }
        problems
    }

    /// The limits applied: each request, or the default when absent, never above the host maximum.
    pub fn effective(&self) -> Limits {
        let pick =
            |requested: Option<u64>, default: u64, max: u64| requested.unwrap_or(default).min(max);
        let memory_mb = pick(self.memory_mb, DEFAULT_MEMORY_MB, MAX_MEMORY_MB);
        let output_bytes = pick(self.output_bytes, DEFAULT_OUTPUT_BYTES, MAX_OUTPUT_BYTES);
        Limits {
            fuel_per_call: pick(self.fuel_per_call, DEFAULT_FUEL_PER_CALL, MAX_FUEL_PER_CALL),
            // Both values are capped far below 4 GiB, so they fit a usize on every target the host builds for.
            memory_bytes: usize::try_from(memory_mb * MIB).unwrap_or(usize::MAX),
            output_bytes: usize::try_from(output_bytes).unwrap_or(usize::MAX),
            wall_clock: Duration::from_millis(pick(
                self.wall_clock_ms,
                DEFAULT_WALL_CLOCK_MS,
                MAX_WALL_CLOCK_MS,
            )),
        }
    }
}

/// The limits the sandbox applies to every call into one plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Fuel one call may burn.
    pub fuel_per_call: u64,
    /// Largest linear memory of an instance, in bytes.
    pub memory_bytes: usize,
    /// Largest output of one call, in bytes.
    pub output_bytes: usize,
    /// Longest one call may run.
    pub wall_clock: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_requests_take_the_defaults() {
        let limits = LimitRequests::default().effective();
        assert_eq!(limits.fuel_per_call, DEFAULT_FUEL_PER_CALL);
        assert_eq!(limits.memory_bytes as u64, DEFAULT_MEMORY_MB * MIB);
        assert_eq!(limits.output_bytes as u64, DEFAULT_OUTPUT_BYTES);
        assert_eq!(
            limits.wall_clock,
            Duration::from_millis(DEFAULT_WALL_CLOCK_MS)
        );
        assert!(LimitRequests::default().problems().is_empty());
    }

    #[test]
    fn requests_are_used_and_checked_against_the_maxima() {
        let requests = LimitRequests {
            fuel_per_call: Some(5),
            memory_mb: Some(MAX_MEMORY_MB),
            output_bytes: Some(MAX_OUTPUT_BYTES + 1),
            wall_clock_ms: Some(0),
        };
        let limits = requests.effective();
        assert_eq!(limits.fuel_per_call, 5);
        assert_eq!(limits.memory_bytes as u64, MAX_MEMORY_MB * MIB);
        assert_eq!(limits.output_bytes as u64, MAX_OUTPUT_BYTES);
        let keys: Vec<&str> = requests.problems().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["output_bytes", "wall_clock_ms"]);
    }
}
