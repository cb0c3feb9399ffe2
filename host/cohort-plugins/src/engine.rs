//! The wasmtime engine, configured once per process: pooling allocator, fuel, epoch interruption, and the ticker
//! thread that advances epochs so that wall-clock deadlines fire.

use crate::PluginError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// How often the epoch advances. Deadlines are whole ticks, so a call may overrun its limit by up to one tick.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Plugin instances that may be alive at once in one process (each run or session holds one).
const MAX_LIVE_INSTANCES: u32 = 64;
/// Core module instances one component may create. A Rust plugin needs 2 to 4; a Python plugin built by
/// componentize-py (CPython and its support libraries as separate modules) needs 38. The pool holds
/// `MAX_LIVE_INSTANCES * 4` core instances in all, so at most six such plugins are live at once.
const MAX_CORE_INSTANCES_PER_COMPONENT: u32 = 64;
/// The largest linear memory any plugin may have; per-plugin caps (manifest, at most this) are enforced by the
/// store's resource limiter. Matches `cohort_plugin_package::limits::MAX_MEMORY_MB`.
pub(crate) const MAX_MEMORY_BYTES: usize = 512 << 20;
/// Wasm stack per call. Deep but bounded recursion fits; unbounded recursion traps instead of taking the host's
/// thread down.
const MAX_WASM_STACK: usize = 1 << 20;

/// Frames kept in a trap's backtrace.
const BACKTRACE_FRAMES: usize = 256;

/// The plugin runtime: one per process, shared by every plugin.
pub struct Runtime {
    pub(crate) engine: Engine,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtime")
    }
}

impl Runtime {
    /// Builds the engine and starts the epoch ticker.
    pub fn new() -> Result<Self, PluginError> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(MAX_LIVE_INSTANCES)
            .total_core_instances(MAX_LIVE_INSTANCES * 4)
            .total_memories(MAX_LIVE_INSTANCES * 2)
            .total_tables(MAX_LIVE_INSTANCES * 4)
            .max_memory_size(MAX_MEMORY_BYTES)
            .max_core_instances_per_component(MAX_CORE_INSTANCES_PER_COMPONENT)
            .max_memories_per_component(2)
            .max_tables_per_component(8);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(MAX_WASM_STACK)
            // Deep enough to recognise runaway recursion in a trap's backtrace (see `loaded::looks_like_recursion`).
            .wasm_backtrace_max_frames(std::num::NonZeroUsize::new(BACKTRACE_FRAMES))
            .cranelift_opt_level(OptLevel::Speed)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(format!("{e:#}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("cohort-plugin-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| PluginError::Engine(format!("starting the epoch ticker: {e}")))?;
        }
        Ok(Self { engine, stop })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
