//! `cohort peer keygen`: creates this host's federation identity key and prints the `[[peers]]` entry that other
//! hosts add to their `cohort.toml` to list it; `cohort peer list`: the peers `cohort.toml` lists, checked. The key
//! file format, the entry and the checks are `cohort-federation`'s.

use crate::context::Ctx;
use crate::output::emit;
use anyhow::Result;
use clap::Subcommand;
use cohort_federation::{HostIdentity, peers_entry};
use std::path::{Path, PathBuf};

/// Federation peers.
#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Create this host's federation identity key (Ed25519, mode 0600, never overwritten) and print the
    /// `[[peers]]` entry other hosts add to their cohort.toml to list this host.
    Keygen {
        /// This host's name in federation: lower-case letters, digits and `-`, starting with a letter.
        #[arg(long)]
        name: String,
        /// Where to write the key file (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The base URL other hosts reach this host's API at, for the printed entry.
        #[arg(long, value_name = "URL", default_value = "https://HOST:PORT")]
        url: String,
    },
    /// List the peers of cohort.toml's `[[peers]]`, after checking every entry.
    List,
}

pub fn run(ctx: &Ctx, command: PeerCommand) -> Result<()> {
    match command {
        PeerCommand::Keygen { name, out, url } => keygen(ctx, &name, &out, &url),
        PeerCommand::List => list(ctx),
    }
}

fn list(ctx: &Ctx) -> Result<()> {
    let peers = ctx.locations.peers()?;
    let rows: Vec<serde_json::Value> = peers
        .iter()
        .map(
            |p| serde_json::json!({"name": p.name(), "url": p.url(), "public_key": p.public_key()}),
        )
        .collect();
    emit(ctx.json, &rows, || {
        if peers.is_empty() {
            return "No peers: add `[[peers]]` entries to cohort.toml (`cohort peer keygen` prints one).\n".into();
        }
        peers
            .iter()
            .map(|p| format!("{}  {}  {}\n", p.name(), p.url(), p.public_key()))
            .collect()
    })
}

fn keygen(ctx: &Ctx, name: &str, out: &Path, url: &str) -> Result<()> {
    let public = HostIdentity::create_file(out, name)?;
    let entry = peers_entry(name, url, &public);
    emit(
        ctx.json,
        &serde_json::json!({"key_file": out, "name": name, "public_key": public, "peers_entry": entry}),
        || {
            format!(
                "Created federation identity key {} (0600). Keep it secret; it is not the host's key file.\n\
                 Other hosts list this one by adding to their cohort.toml:\n\n{entry}",
                out.display()
            )
        },
    )
}
