//! The host's log function of each interface version, which the glue of that version registers with
//! [`log`](fn@crate::log) at the start of every exported function.
//!
//! A component may import only the `host` interface of the version it exports. These functions are referenced only
//! from the generic glue, which is compiled into a plugin only for the world its export macro exports, so the
//! linker drops the other version's import (the SDK's component test checks it).

use super::v0_1_0::connector_world::cohort::plugin::{host as host_v0_1, types as types_v0_1};
use super::v0_2_0::segmenter_world::cohort::plugin::{host as host_v0_2, types as types_v0_2};
use crate::LogLevel;
use crate::log::register_host_log;

/// Makes [`log`](fn@crate::log) write to `cohort:plugin/host@0.1.0`: the connector and 0.1.0 segmenter glue call
/// it.
pub(super) fn use_v0_1_0() {
    register_host_log(log_v0_1_0);
}

/// Makes [`log`](fn@crate::log) write to `cohort:plugin/host@0.2.0`: the 0.2.0 segmenter glue calls it.
pub(super) fn use_v0_2_0() {
    register_host_log(log_v0_2_0);
}

fn log_v0_1_0(level: LogLevel, message: &str) {
    let level = match level {
        LogLevel::Debug => types_v0_1::LogLevel::Debug,
        LogLevel::Info => types_v0_1::LogLevel::Info,
        LogLevel::Warn => types_v0_1::LogLevel::Warn,
        LogLevel::Error => types_v0_1::LogLevel::Error,
    };
    host_v0_1::log(level, message);
}

fn log_v0_2_0(level: LogLevel, message: &str) {
    let level = match level {
        LogLevel::Debug => types_v0_2::LogLevel::Debug,
        LogLevel::Info => types_v0_2::LogLevel::Info,
        LogLevel::Warn => types_v0_2::LogLevel::Warn,
        LogLevel::Error => types_v0_2::LogLevel::Error,
    };
    host_v0_2::log(level, message);
}
