//! `cohort federate count`: a federated count, asked of this host's own `cohort serve` (its coordinator endpoint
//! `POST /v1/federation/count`, with an analyst API key).
//!
//! The command is a client, not a second coordinator: the running server holds the store, the federation
//! identity, the replay cache and the outstanding requests, and a coordinator needs all four (a CLI process could
//! not even open the store while the server runs). So there is one coordinator per host, the server, and the
//! command and any other client get the same answer from it.

use crate::context::Ctx;
use crate::output::emit;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Duration;

/// The largest answer read: the merged table of the largest count a host releases, with room to spare.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Federated queries across this host and its peers.
#[derive(Debug, Subcommand)]
pub enum FederateCommand {
    /// Count a segment on this host and every peer it lists, merged under the largest threshold among them.
    /// Asks this host's running `cohort serve` (its `[serve]` address, or --server) with an analyst API key.
    Count {
        /// `plugin/segment`, or `segment` when one plugin emits it.
        segment: String,
        /// The purpose, which every host's policy must declare.
        #[arg(long)]
        purpose: String,
        /// Group by this attribute (up to two).
        #[arg(long = "by", value_name = "ATTR")]
        by: Vec<String>,
        /// Sum this measure (an attribute, or `event_type.property`; up to four).
        #[arg(long = "sum", value_name = "MEASURE")]
        sums: Vec<String>,
        /// Base URL of this host's `cohort serve`. Default: `http://` and cohort.toml's `[serve] listen`, else
        /// http://127.0.0.1:8080.
        #[arg(long, env = "COHORT_SERVER", value_name = "URL")]
        server: Option<String>,
        /// An API key with the analyst role (`cohort apikey create --role analyst`).
        #[arg(
            long,
            env = "COHORT_API_KEY",
            value_name = "KEY",
            hide_env_values = true
        )]
        api_key: String,
    },
}

pub fn run(ctx: &Ctx, command: FederateCommand) -> Result<()> {
    match command {
        FederateCommand::Count {
            segment,
            purpose,
            by,
            sums,
            server,
            api_key,
        } => count(ctx, &segment, &purpose, &by, &sums, server, &api_key),
    }
}

fn count(
    ctx: &Ctx,
    segment: &str,
    purpose: &str,
    by: &[String],
    sums: &[String],
    server: Option<String>,
    api_key: &str,
) -> Result<()> {
    let settings = cohort_server::Settings::from_config(&ctx.locations.serve_config());
    let base = server.unwrap_or_else(|| {
        let mut addr = settings.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    });
    let url = format!("{}/v1/federation/count", base.trim_end_matches('/'));
    let body = json!({"segment": segment, "purpose": purpose, "by": by, "sums": sums});
    let authorization = format!("Bearer {api_key}");
    // The server answers within its request timeout; a little more covers the connection.
    let response = cohort_server::client::post_json_blocking(
        &url,
        &[("authorization", &authorization)],
        body.to_string().into_bytes(),
        MAX_ANSWER_BYTES,
        settings.request_timeout + Duration::from_secs(5),
    )?;
    match response.status {
        200 => {}
        400 | 404 | 409 | 422 => {
            bail!(crate::exit::Invalid(format!(
                "{url}: {}",
                response.error_message()
            )))
        }
        status => bail!("{url}: HTTP {status}: {}", response.error_message()),
    }
    let answer: Value = serde_json::from_slice(&response.body)
        .map_err(|e| anyhow!("{url}: the answer is not JSON ({e})"))?;
    emit(ctx.json, &answer, || render(&answer))
}

/// The merged count as text: the rows, then every host's part, then the noise bounds.
fn render(m: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default()
    };
    let by = list(&m["by"]);
    let mut s = format!(
        "Federated count of {} for {}{} (k = {} after merging{})\n",
        text(&m["segment"]),
        text(&m["purpose"]),
        if by.is_empty() {
            String::new()
        } else {
            format!(" by {}", by.join(", "))
        },
        m["k"],
        if m["partial"].as_bool() == Some(true) {
            "; PARTIAL: not every host answered"
        } else {
            ""
        }
    );
    let sums = list(&m["sums"]);
    let _ = write!(s, "  {:<28} {:>12}", "group", "count");
    for name in &sums {
        let _ = write!(s, " {name:>24}");
    }
    s.push('\n');
    for row in m["rows"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let group = if row["kind"] == "total" {
            "total".to_owned()
        } else {
            list(&row["group"]).join(" / ")
        };
        let count = match row["count"].as_u64() {
            Some(n) => n.to_string(),
            None => format!("withheld ({})", text(&row["withheld"])),
        };
        let _ = write!(s, "  {group:<28} {count:>12}");
        for measure in row["measures"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let sum = measure["sum"]
                .as_i64()
                .map_or_else(|| "withheld".to_owned(), |n| n.to_string());
            let _ = write!(s, " {sum:>24}");
        }
        s.push('\n');
    }
    s.push_str("Hosts:\n");
    for host in m["hosts"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let detail = match host["status"].as_str() {
            Some("answered") => format!(
                "answered (k = {}{})",
                host["k"],
                if host["noisy"].as_bool() == Some(true) {
                    ", with noise"
                } else {
                    ""
                }
            ),
            Some("failed") => format!("failed: {}", text(&host["reason"])),
            Some("timed_out") => "timed out".to_owned(),
            _ => host["status"].to_string(),
        };
        let _ = writeln!(s, "  {:<20} {detail}", text(&host["host"]));
    }
    let noise = m["noise"].as_array().map(Vec::as_slice).unwrap_or_default();
    if !noise.is_empty() {
        s.push_str("Noise (95 % bounds, summed over the noisy hosts):");
        for n in noise {
            let _ = write!(s, " {} ±{}", text(&n["statistic"]), n["bound_95"]);
        }
        s.push('\n');
    }
    s
}
