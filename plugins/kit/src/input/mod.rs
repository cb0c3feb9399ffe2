//! Streaming input: export files arrive in chunks of any size, and these splitters turn them into complete rows
//! ([`csv`]) or JSON values ([`json`]) without holding the whole file, dropping a byte order mark ([`bom`]) on
//! the way. [`csv_table`] is the loop of a connector that reads one CSV table, header first, and
//! [`json_stream`] the loop of one that reads a stream of JSON values.

pub mod bom;
pub mod csv;
pub mod csv_table;
pub mod json;
pub mod json_stream;
