//! Running a connector: input bytes in, canonical record lines and row diagnostics out, streaming in chunks.

use crate::PluginError;
use crate::bindings::connector as wit;
use crate::host::HostState;
use crate::loaded::{CallStats, LoadedPlugin, Pre, guarded, instantiate};
use wasmtime::Store;
use wasmtime::component::ResourceAny;

/// What one connector step produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectorOutput {
    /// Canonical records as JSON text (not yet validated: the caller validates against the record schema and the
    /// manifest before anything is ingested).
    pub records: Vec<String>,
    /// Row-numbered problems.
    pub diagnostics: Vec<(u64, Option<String>, String)>,
}

/// One conversion inside one plugin instance.
pub struct ConnectorSession<'p> {
    plugin: &'p LoadedPlugin,
    store: Store<HostState>,
    bindings: wit::ConnectorPlugin,
    session: ResourceAny,
    failed: bool,
    /// Cost of every call so far.
    pub stats: CallStats,
}

impl LoadedPlugin {
    /// Starts a conversion with a validated `config`.
    pub fn start_connector(&self, config: &str) -> Result<ConnectorSession<'_>, PluginError> {
        let Pre::Connector(pre) = &self.pre else {
            return Err(PluginError::Protocol {
                plugin: self.name.clone(),
                message: "is a segmenter, not a connector".into(),
            });
        };
        let mut store = self.new_store();
        let (bindings, mut stats) = instantiate!(self, &mut store, pre)?;
        let (result, s) = guarded(&mut store, &self.limits, &self.name, "start", |st| {
            bindings.cohort_plugin_connector().call_start(st, config)
        })?;
        stats.fuel += s.fuel;
        stats.micros += s.micros;
        let session = result.map_err(|m| self.reported("start", m))?;
        Ok(ConnectorSession {
            plugin: self,
            store,
            bindings,
            session,
            failed: false,
            stats,
        })
    }
}

impl ConnectorSession<'_> {
    fn step(
        &mut self,
        call: &'static str,
        chunk: Option<&[u8]>,
    ) -> Result<ConnectorOutput, PluginError> {
        if self.failed {
            return Err(PluginError::Protocol {
                plugin: self.plugin.name.clone(),
                message: "the session already failed; start a new one".into(),
            });
        }
        let (bindings, session) = (&self.bindings, self.session);
        let result = guarded(
            &mut self.store,
            &self.plugin.limits,
            &self.plugin.name,
            call,
            |s| match chunk {
                Some(c) => bindings
                    .cohort_plugin_connector()
                    .session()
                    .call_push(s, session, c),
                None => bindings
                    .cohort_plugin_connector()
                    .session()
                    .call_finish(s, session),
            },
        );
        let (result, stats) = result.inspect_err(|_| self.failed = true)?;
        self.stats.fuel += stats.fuel;
        self.stats.micros += stats.micros;
        self.stats.peak_memory = self.stats.peak_memory.max(stats.peak_memory);
        let batch = result.map_err(|m| {
            self.failed = true;
            self.plugin.reported(call, m)
        })?;
        let bytes: usize = batch.records.iter().map(String::len).sum::<usize>()
            + batch
                .diagnostics
                .iter()
                .map(|d| 16 + d.message.len())
                .sum::<usize>();
        if bytes > self.plugin.limits.output_bytes {
            self.failed = true;
            return Err(PluginError::OutputTooLarge {
                plugin: self.plugin.name.clone(),
                call,
                bytes,
                limit: self.plugin.limits.output_bytes,
            });
        }
        Ok(ConnectorOutput {
            records: batch.records,
            diagnostics: batch
                .diagnostics
                .into_iter()
                .map(|d| {
                    let mut m = d.message;
                    m.truncate(500);
                    (d.row, d.field, m)
                })
                .collect(),
        })
    }

    /// Feeds the next chunk of input.
    pub fn push(&mut self, chunk: &[u8]) -> Result<ConnectorOutput, PluginError> {
        self.step("push", Some(chunk))
    }

    /// Ends the input.
    pub fn finish(&mut self) -> Result<ConnectorOutput, PluginError> {
        self.step("finish", None)
    }
}
