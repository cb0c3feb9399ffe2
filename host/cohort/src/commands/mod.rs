//! One module per top-level command.

pub mod apikey;
pub mod audit;
pub mod bench;
pub mod bench_http;
pub mod bench_plugins;
pub mod consent;
pub mod count_view;
pub mod demo;
pub mod federate;
pub mod ingest;
pub mod init;
pub mod keys;
pub mod peer;
pub mod plugin;
pub mod policy;
pub mod retention;
pub mod scaffold;
pub mod segment;
pub mod serve;
pub mod store;
pub mod subject;
