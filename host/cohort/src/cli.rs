//! The command line, as clap types. Every command and flag carries its help text here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Cohort: a privacy-first, on-prem customer data platform host.
///
/// Stores profiles pseudonymised and encrypted, enforces consent and a GDPR policy file, and keeps a tamper-evident
/// audit log of every access. Start with `cohort demo`, or `cohort init` then `cohort ingest`.
#[derive(Debug, Parser)]
#[command(
    name = "cohort",
    version,
    propagate_version = true,
    max_term_width = 110
)]
pub struct Cli {
    /// Configuration file (TOML with data_dir, key_file, policy). Default: ./cohort.toml if present.
    #[arg(long, global = true, env = "COHORT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory created by `cohort init`.
    #[arg(long, global = true, env = "COHORT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Key file created by `cohort init`. Default: <data-dir>.keys.json beside the data directory.
    #[arg(long, global = true, env = "COHORT_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// GDPR policy file (YAML). See docs/policy-reference.md.
    #[arg(long, global = true, env = "COHORT_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Folder of installed plugin packages. Default: <data-dir>.plugins beside the data directory.
    #[arg(long, global = true, env = "COHORT_PLUGIN_DIR", value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, env = "COHORT_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// More log output (-v info, -vv debug). Logs never contain raw identifiers.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a data directory and a key file (identity, master and signing keys; mode 0600).
    Init,
    /// Run the end-to-end demo on built-in synthetic data in a temporary directory.
    Demo(DemoArgs),
    /// Ingest canonical records (JSONL, one record per line; see schemas/record.schema.json).
    Ingest(IngestArgs),
    /// Grant, withdraw, refuse or show a person's consent for a purpose.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Data-subject rights: export (Art. 15/20), erase (Art. 17), restrict (Art. 18), object (Art. 21).
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Check, explain (Art. 30 record) or diff policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Verify, checkpoint or list the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Apply the policy's retention periods (Art. 5(1)(e)).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Store maintenance: integrity check and statistics.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Key management.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write, build, sign, verify, install and test WebAssembly plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Run segmenters over the store and list segments.
    #[command(subcommand)]
    Segment(SegmentCommand),
    /// Measure performance against a baseline in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Serve the HTTP API: Segment-compatible ingestion, consent, subject rights, policy and audit.
    Serve(ServeArgs),
    /// Create, list and revoke API keys of the HTTP API.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Federation: this host's identity key and the `[[peers]]` entry other hosts add.
    #[command(subcommand)]
    Peer(crate::commands::peer::PeerCommand),
    /// Federated queries: one count across this host and its peers, asked of this host's `cohort serve`.
    #[command(subcommand)]
    Federate(crate::commands::federate::FederateCommand),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of synthetic customers.
    #[arg(long, default_value_t = 50_000)]
    pub customers: usize,
    /// Seed of the synthetic data (same seed and date, same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The day the synthetic data runs up to, YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Keep the demo's data directory here instead of a temporary one (must not exist).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Input file.
    pub file: PathBuf,
    /// Convert the input with this connector plugin first (an installed plugin id, or a package file).
    #[arg(long, value_name = "PLUGIN")]
    pub connector: Option<String>,
    /// The connector's configuration (a JSON file). (`--config` is the global cohort.toml.)
    #[arg(long = "plugin-config", value_name = "FILE", requires = "connector")]
    pub plugin_config: Option<PathBuf>,
    /// Input format.
    #[arg(long, value_enum, default_value_t = InputFormat::Jsonl)]
    pub format: InputFormat,
    /// Store the valid lines of a file that has invalid ones, reporting every skipped line.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Print one JSON line per commit on stdout ("committed through line N"), for supervisors and tests.
    #[arg(long)]
    pub progress_json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputFormat {
    /// Canonical records, one JSON object per line.
    Jsonl,
}

/// Who a command is about: one identifier that the policy declares.
#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = false)]
pub struct SubjectSelector {
    /// The person's email address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// The person's phone number.
    #[arg(long, value_name = "NUMBER")]
    pub phone: Option<String>,
    /// Any identifier, as KIND=VALUE (for example crm_id=H-1001).
    #[arg(long = "id", value_name = "KIND=VALUE")]
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Record that the person granted consent.
    Grant(ConsentArgs),
    /// Record that the person withdrew consent (Art. 7(3)).
    Withdraw(ConsentArgs),
    /// Record that the person refused consent.
    Refuse(ConsentArgs),
    /// Show the person's consent state and history per purpose (ISO/IEC TS 27560 fields).
    Show {
        #[command(flatten)]
        who: SubjectSelector,
    },
}

#[derive(Debug, Args)]
pub struct ConsentArgs {
    #[command(flatten)]
    pub who: SubjectSelector,
    /// Purpose id from the policy (must have legal_basis consent).
    #[arg(long)]
    pub purpose: String,
    /// Where the consent was collected.
    #[arg(long, default_value = "cli")]
    pub source: String,
    /// Privacy notice reference shown to the person.
    #[arg(long)]
    pub notice: Option<String>,
    /// When the person expressed it (RFC 3339). Default: now.
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SubjectCommand {
    /// Everything held about the person, decrypted, as JSON (Art. 15 access, Art. 20 portability).
    Export {
        #[command(flatten)]
        who: SubjectSelector,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase the person by crypto-shredding (Art. 17); a re-import is then refused.
    Erase {
        #[command(flatten)]
        who: SubjectSelector,
        /// Why (for the tombstone and the audit log), e.g. art17-1-a.
        #[arg(long)]
        reason: String,
        /// Request or ticket id. Default: a new random id.
        #[arg(long)]
        request_id: Option<String>,
    },
    /// Restrict processing (Art. 18): kept, but left out of every segment and export.
    Restrict {
        #[command(flatten)]
        who: SubjectSelector,
        /// Lift the restriction instead.
        #[arg(long)]
        lift: bool,
    },
    /// Record an objection (Art. 21): left out of legitimate-interest processing.
    Object {
        #[command(flatten)]
        who: SubjectSelector,
        /// Lift the objection instead.
        #[arg(long)]
        lift: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate policy files: schema, then semantic checks; errors name file, line and path.
    Check {
        /// Policy files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the record of processing activities (GDPR Art. 30) as Markdown.
    Explain {
        /// Policy file.
        file: PathBuf,
    },
    /// List what NEW widens or narrows compared with OLD, for an auditor's sign-off.
    Diff {
        /// The policy in force.
        old: PathBuf,
        /// The proposed policy.
        new: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the Merkle log and check every signed checkpoint; fails on any altered, missing or moved entry.
    Verify,
    /// Print the newest signed checkpoint (size, root, signature) and the public key to check it.
    Checkpoint,
    /// List audit entries.
    Log {
        /// Only the last N entries.
        #[arg(long, value_name = "N")]
        tail: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Drop events and inactive profiles older than the policy's retention allows.
    Sweep {
        /// Evaluate as of this date (YYYY-MM-DD) instead of today.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Open every subject and check every index entry; exits non-zero on any problem.
    Check,
    /// Counts of what the store holds (no personal data).
    Stats,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new key of a kind; new data uses it, old keys stay for reading.
    Rotate {
        /// Which key.
        #[arg(long, value_enum)]
        kind: KeyKindArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyKindArg {
    /// The HMAC key for pseudonyms (matches keep working: lookups try every identity key).
    Identity,
    /// The master key that wraps subject data keys.
    Master,
    /// The audit checkpoint signing key.
    Signing,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Records/s of validate + pseudonymise + encrypt + store, beside plain sled writing the same keys and bytes.
    Ingest {
        /// Records per run.
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// Runs of each side; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// POST /v1/batch on loopback (events/s, p50/p99 latency) beside the CLI ingest of the same events.
    Http {
        /// Events in all (one new person each).
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        /// Events per request.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Concurrent keep-alive connections (each waits for its answer before sending again).
        #[arg(long, default_value_t = 16)]
        clients: usize,
    },
    /// Plugin instantiation, a trivial call, and RFM over N profiles in Wasm beside the same crate run in process
    /// (host profiles in, host assignments out on both sides), and the native plugin alone.
    Plugins {
        /// Folder of the built components (`cd plugins && cargo build --release --target wasm32-unknown-unknown`).
        #[arg(long, value_name = "DIR")]
        wasm_dir: Option<PathBuf>,
        /// Profiles for the RFM comparison.
        #[arg(long, default_value_t = 1_000_000)]
        profiles: usize,
        /// Instantiations and trivial calls measured.
        #[arg(long, default_value_t = 5_000)]
        iterations: usize,
        /// Rounds of the RFM comparison, each running every side in turn; the best round of each side is reported
        /// (noise only ever adds time), and every round is listed.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        rounds: u32,
    },
}

/// `cohort serve`; every flag overrides the `[serve]` table of cohort.toml.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port). Default: 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Also write the bound address to this file (for supervisors and tests).
    #[arg(long, value_name = "FILE")]
    pub address_file: Option<PathBuf>,
    /// Largest request body in bytes (batch and API routes). Default: 524288.
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest body of a single Segment call in bytes. Default: 32768.
    #[arg(long, value_name = "BYTES")]
    pub max_call_bytes: Option<usize>,
    /// Seconds a whole request may take. Default: 30.
    #[arg(long, value_name = "SECS")]
    pub request_timeout: Option<u64>,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT. Default: 30.
    #[arg(long, value_name = "SECS")]
    pub shutdown_grace: Option<u64>,
    /// Average requests per second per API key. Default: 1000.
    #[arg(long, value_name = "N")]
    pub rate_per_second: Option<f64>,
    /// Requests per API key allowed at once above the average. Default: 2000.
    #[arg(long, value_name = "N")]
    pub rate_burst: Option<f64>,
    /// Connections served at once; past it the server accepts nothing until one closes. Default: 1024.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Failed authentications a client address may make at once before it gets 429 without its key being
    /// checked (one more every 5 s); 0 turns the limit off. Default: 20.
    #[arg(long, value_name = "N")]
    pub auth_failure_burst: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create a key with a role; the key is printed once and never stored.
    Create {
        /// ingest, analyst, marketer, dpo, auditor or admin.
        #[arg(long)]
        role: String,
        /// A name for people (which system uses it).
        #[arg(long)]
        name: String,
    },
    /// List keys (id, name, role, dates; never the secret).
    List,
    /// Revoke a key by id; it stops working at once.
    Revoke {
        /// The key id (the 16 hex digits after `ck_`).
        id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PluginKindArg {
    /// Assigns profiles to segments.
    Segmenter,
    /// Turns export files into canonical records.
    Connector,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Scaffold a new plugin crate that builds and passes its tests.
    New {
        /// Plugin id ([a-z][a-z0-9-]*); also the crate and folder name.
        name: String,
        /// What kind of plugin.
        #[arg(long, value_enum)]
        kind: PluginKindArg,
        /// Where to create it. Default: the current directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Path to the Cohort plugin SDK (plugins/sdk of a Cohort checkout).
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
        /// Publisher name written into the manifest.
        #[arg(long, default_value = "my-company")]
        publisher: String,
    },
    /// Build a plugin crate to a WebAssembly component and package it with its manifest (unsigned).
    Build {
        /// The plugin crate's folder (with Cargo.toml and manifest.toml).
        dir: PathBuf,
        /// Where to write the package. Default: <id>-<version>.cohort-plugin in the current directory.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Package this already built component instead of running cargo (a plugin written in another language,
        /// such as Python); DIR then needs only manifest.toml.
        #[arg(long, value_name = "FILE")]
        wasm: Option<PathBuf>,
    },
    /// Create a publisher signing key (Ed25519, 0600) and print the line to trust it in a policy.
    Keygen {
        /// Publisher name (as in the manifests it signs).
        #[arg(long)]
        name: String,
        /// Key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a package with a publisher key (in place).
    Sign {
        /// The package file.
        package: PathBuf,
        /// The publisher key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Check a package's signature, and with --policy whether that policy trusts it and for which purposes.
    Verify {
        /// The package file.
        package: PathBuf,
    },
    /// Verify a package against the policy and copy it into the plugin folder.
    Install {
        /// The package file.
        package: PathBuf,
    },
    /// List installed packages.
    List,
    /// Run a plugin locally under the production limits and print fuel, peak memory, time and output.
    Test {
        /// The package file (signed or not: this runs nothing against the store).
        package: PathBuf,
        /// Input: an export file for a connector; profiles as JSON lines for a segmenter.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// The plugin's configuration (a JSON file). (`--config` is the global cohort.toml.)
        #[arg(long = "plugin-config", value_name = "FILE")]
        plugin_config: Option<PathBuf>,
        /// Purpose passed to a segmenter.
        #[arg(long, default_value = "analytics")]
        purpose: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SegmentCommand {
    /// Run a segmenter over the store for a purpose and record the memberships.
    Run {
        /// Installed plugin id, or a package file.
        plugin: String,
        /// The purpose the run serves (the policy must allow the plugin for it).
        #[arg(long)]
        purpose: String,
        /// The plugin's configuration (a JSON file). (`--config` is the global cohort.toml.)
        #[arg(long = "plugin-config", value_name = "FILE")]
        plugin_config: Option<PathBuf>,
    },
    /// List every segment of the latest runs, with its plugin, purpose, last run and size (withheld under the
    /// policy's min_group_size).
    List,
    /// Count a segment's members, optionally by one or two attributes and with sums and means, under the policy's
    /// thresholds, noise and privacy budget.
    Count {
        /// The segment: `plugin/segment`, or `segment` when one plugin emits it under the purpose.
        segment: String,
        /// The purpose the count serves.
        #[arg(long)]
        purpose: String,
        /// An attribute to group by (the purpose must allow it); give twice for a two-way table with margins.
        #[arg(long = "by", value_name = "ATTR")]
        by: Vec<String>,
        /// A measure to sum and average: a numeric attribute, or `event_type.property` totalled per subject.
        #[arg(long = "sum", value_name = "MEASURE")]
        sums: Vec<String>,
        /// Show what the query would cost and the budget left, without releasing or charging anything.
        #[arg(long)]
        dry_run: bool,
        /// Whose privacy budget is charged (default: the operating-system user, as `cli:USER`).
        #[arg(long)]
        requester: Option<String>,
    },
    /// Export a segment's consenting members with the purpose's contact identifiers (per_subject purposes only).
    Export {
        /// The segment: `plugin/segment`, or `segment` when one plugin emits it under the purpose.
        segment: String,
        /// The purpose the export serves; it must be marked `per_subject`.
        #[arg(long)]
        purpose: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Write to this file (created private, mode 0600) instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Format of a segment export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// A JSON object with columns and rows.
    Json,
}
