//! The files `cohort plugin new` writes: a standalone crate (its own cargo workspace) with a working example, a
//! manifest, native tests, and the linker setting that makes `cargo build --target wasm32-unknown-unknown` produce
//! a component.

use crate::cli::PluginKindArg;
use std::path::Path;

/// (relative path, contents) of every file of a new plugin.
pub fn files(
    name: &str,
    kind: PluginKindArg,
    sdk: &Path,
    publisher: &str,
) -> Vec<(String, String)> {
    let crate_name = name.replace('-', "_");
    let sdk = sdk.display().to_string().replace('\\', "/");
    let cargo = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
cohort-plugin-sdk = {{ path = "{sdk}" }}
serde_json = "1"

# A workspace of its own, so this crate builds wherever it lives.
[workspace]

# Small, fast components: a plugin has no use for unwinding or debug info.
[profile.release]
lto = true
codegen-units = 1
panic = "abort"
strip = true
"#
    );
    let cargo_config = r#"# `cargo build --release --target wasm32-unknown-unknown` from this folder links a WebAssembly *component*
# with the wasm-component-ld linker that ships with rustup. Run cargo from this folder: cargo reads this file from
# the directory it runs in.
[target.wasm32-unknown-unknown]
linker = "wasm-component-ld"
"#
    .to_string();
    let (manifest, lib, test) = match kind {
        PluginKindArg::Segmenter => (
            format!(
                r#"[plugin]
id = "{name}"
version = "0.1.0"
kind = "segmenter"
interface = "cohort:plugin@0.2.0"
publisher = "{publisher}"
description = "Frequent buyers: three or more orders."

[data]
attributes = []
event_types = ["order_completed"]
purposes = ["analytics"]

[[segments]]
id = "frequent_buyer"
description = "Three or more orders."

[config]
schema = '''{{"type": "object", "additionalProperties": false, "properties": {{"min_orders": {{"type": "integer", "minimum": 1}}}}}}'''
"#
            ),
            format!(
                r#"//! `{name}`: assigns profiles with at least `min_orders` orders (default 3) to `frequent_buyer`.

use cohort_plugin_sdk::{{Assignment, Profile, RunContext, SegmentDef, Segmenter}};

/// The segmenter.
pub struct FrequentBuyers {{
    min_orders: usize,
}}

impl Segmenter for FrequentBuyers {{
    fn segments(_config: &str) -> Result<Vec<SegmentDef>, String> {{
        Ok(vec![SegmentDef {{ id: "frequent_buyer".into(), description: "Three or more orders.".into() }}])
    }}

    fn start(config: &str, _ctx: RunContext) -> Result<Self, String> {{
        let config: serde_json::Value = serde_json::from_str(config).map_err(|e| format!("config: {{e}}"))?;
        let min_orders = config.get("min_orders").and_then(serde_json::Value::as_u64).unwrap_or(3) as usize;
        Ok(Self {{ min_orders }})
    }}

    fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String> {{
        for p in profiles {{
            let orders = p.events.iter().filter(|e| e.event_type == "order_completed").count();
            if orders >= self.min_orders {{
                out.push(Assignment {{
                    token: p.token,
                    segment: "frequent_buyer".into(),
                    score: 1.0,
                    reasons: vec![format!("{{orders}} orders (at least {{}})", self.min_orders)],
                }});
            }}
        }}
        Ok(())
    }}
}}

cohort_plugin_sdk::export_segmenter!(FrequentBuyers);
"#
            ),
            format!(
                r#"//! Native tests of the plugin's logic (no WebAssembly needed): `cargo test`.

use cohort_plugin_sdk::{{run_segmenter, Event, Profile, RunContext}};
use {crate_name}::FrequentBuyers;

fn profile(token: &str, orders: usize) -> Profile {{
    Profile {{
        token: token.into(),
        attributes: vec![],
        events: (0..orders)
            .map(|i| Event {{ event_type: "order_completed".into(), at: 1_700_000_000 + i as i64, properties: vec![] }})
            .collect(),
    }}
}}

#[test]
fn three_orders_make_a_frequent_buyer_two_do_not() {{
    let ctx = RunContext {{ purpose: "analytics".into(), now: 1_800_000_000 }};
    let out = run_segmenter::<FrequentBuyers>("{{}}", ctx, vec![profile("a", 3), profile("b", 2)], 1).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].token, "a");
    assert_eq!(out[0].segment, "frequent_buyer");
}}
"#
            ),
        ),
        PluginKindArg::Connector => (
            format!(
                r#"[plugin]
id = "{name}"
version = "0.1.0"
kind = "connector"
interface = "cohort:plugin@0.1.0"
publisher = "{publisher}"
description = "Reads lines of `email,country` into canonical records."

[output]
identifiers = ["email"]
attributes = ["country"]
event_types = []

[config]
schema = '''{{"type": "object", "additionalProperties": false, "properties": {{"source": {{"type": "string"}}}}}}'''
"#
            ),
            format!(
                r#"//! `{name}`: reads `email,country` lines (no header) into canonical records, streaming.

use cohort_plugin_sdk::{{Batch, Connector}};

/// The connector: keeps only the unfinished last line between chunks.
pub struct EmailCountry {{
    source: String,
    pending: Vec<u8>,
    row: u64,
}}

impl EmailCountry {{
    fn line(&mut self, line: &[u8], out: &mut Batch) {{
        self.row += 1;
        let Ok(text) = std::str::from_utf8(line) else {{
            out.diagnostic(self.row, None, "not UTF-8");
            return;
        }};
        let text = text.trim();
        if text.is_empty() {{
            return;
        }}
        match text.split_once(',') {{
            Some((email, country)) if !email.trim().is_empty() => out.push_record(&serde_json::json!({{
                "source": self.source,
                "identifiers": {{"email": email.trim()}},
                "attributes": {{"country": country.trim()}},
            }})),
            _ => out.diagnostic(self.row, Some("email"), "expected `email,country`"),
        }}
    }}
}}

impl Connector for EmailCountry {{
    fn start(config: &str) -> Result<Self, String> {{
        let config: serde_json::Value = serde_json::from_str(config).map_err(|e| format!("config: {{e}}"))?;
        let source = config.get("source").and_then(serde_json::Value::as_str).unwrap_or("{name}").to_string();
        Ok(Self {{ source, pending: Vec::new(), row: 0 }})
    }}

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {{
        self.pending.extend_from_slice(chunk);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {{
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            self.line(&line, out);
        }}
        Ok(())
    }}

    fn finish(&mut self, out: &mut Batch) -> Result<(), String> {{
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {{
            self.line(&rest, out);
        }}
        Ok(())
    }}
}}

cohort_plugin_sdk::export_connector!(EmailCountry);
"#
            ),
            format!(
                r#"//! Native tests of the plugin's logic (no WebAssembly needed): `cargo test`.

use {crate_name}::EmailCountry;

#[test]
fn lines_become_records_in_any_chunking() {{
    let input = b"ana@example.com,DE\nbad-line\nben@example.org,FR";
    for chunk in [1, 5, input.len()] {{
        let (records, diagnostics) = cohort_plugin_sdk::run_connector::<EmailCountry>("{{}}", input, chunk).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1]["attributes"]["country"], "FR");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].row, 2);
    }}
}}
"#
            ),
        ),
    };
    let readme = format!(
        "# {name}\n\nA Cohort plugin. See Cohort's `docs/plugin-guide.md`.\n\n```sh\ncargo test                                 # native tests\ncohort plugin build .                      # component + package (needs the wasm32-unknown-unknown target)\ncohort plugin test {name}-0.1.0.cohort-plugin --input SAMPLE\ncohort plugin sign {name}-0.1.0.cohort-plugin --key PUBLISHER.key\n```\n"
    );
    vec![
        ("Cargo.toml".into(), cargo),
        (".cargo/config.toml".into(), cargo_config),
        (".gitignore".into(), "/target\n*.cohort-plugin\n".into()),
        ("manifest.toml".into(), manifest),
        ("src/lib.rs".into(), lib),
        (format!("tests/{crate_name}.rs"), test),
        ("README.md".into(), readme),
    ]
}
