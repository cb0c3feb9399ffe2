//! Streaming input: export files arrive in chunks of any size, and these splitters turn them into complete rows
//! ([`csv`]) or JSON values ([`json`]) without holding the whole file, dropping a byte order mark ([`bom`]) on
//! the way.

pub mod bom;
pub mod csv;
pub mod json;
