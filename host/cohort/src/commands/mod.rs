//! One module per top-level command.

pub mod audit;
pub mod bench;
pub mod consent;
pub mod demo;
pub mod ingest;
pub mod init;
pub mod keys;
pub mod plugin;
pub mod policy;
pub mod retention;
pub mod scaffold;
pub mod segment;
pub mod store;
pub mod subject;
