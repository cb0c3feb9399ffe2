//! `cohort serve`: the HTTP API. Settings come from the `[serve]` table of cohort.toml, overridden by flags; the
//! server itself is `cohort-server`.

use crate::cli::ServeArgs;
use crate::context::Ctx;
use anyhow::{Context as _, Result};
use std::io::Write as _;

pub fn run(ctx: &Ctx, args: &ServeArgs) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    let mut settings = cohort_server::Settings::from_config(&ctx.locations.serve_config());
    if let Some(l) = args.listen {
        settings.listen = l;
    }
    if let Some(n) = args.max_body_bytes {
        settings.max_body_bytes = n;
    }
    if let Some(n) = args.max_call_bytes {
        settings.max_call_bytes = n;
    }
    if let Some(s) = args.request_timeout {
        settings.request_timeout = std::time::Duration::from_secs(s);
    }
    if let Some(s) = args.shutdown_grace {
        settings.shutdown_grace = std::time::Duration::from_secs(s);
    }
    if let Some(n) = args.rate_per_second {
        settings.rate_per_second = n;
    }
    if let Some(n) = args.rate_burst {
        settings.rate_burst = n;
    }
    if let Some(n) = args.max_connections {
        settings.max_connections = n;
    }
    if let Some(n) = args.auth_failure_burst {
        settings.auth_failure_burst = n;
    }
    settings.peers = ctx.locations.peers()?;
    settings.plugin_dir = Some(ctx.locations.plugin_dir()?);
    let address_file = args.address_file.clone();
    let mut file_error = None;
    let signal = cohort_server::run(settings, store, policy, |addr| {
        // One JSON line on stdout, first thing: supervisors and tests read the bound port from it.
        println!("{}", serde_json::json!({"listening": addr.to_string()}));
        let _ = std::io::stdout().flush();
        if let Some(path) = &address_file
            && let Err(e) = std::fs::write(path, addr.to_string())
        {
            file_error = Some(anyhow::anyhow!("writing {}: {e}", path.display()));
        }
        tracing::info!("listening on http://{addr}");
    })
    .context("cohort serve")?;
    if let Some(e) = file_error {
        return Err(e);
    }
    eprintln!("cohort serve: {signal} received; in-flight requests drained, store flushed");
    Ok(())
}
