//! The `cohort` binary: parses the command line and calls the libraries. No domain logic lives here.

mod cli;
mod commands;
mod config;
mod context;
mod exit;
mod output;

use clap::Parser as _;
use cli::{Cli, Command, LogFormat};

/// mimalloc rather than the system allocator: see the workspace Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    init_tracing(cli.log_format, cli.verbose);
    let json = cli.json;
    if let Err(err) = run(cli) {
        if json {
            let v = serde_json::json!({"error": format!("{err:#}")});
            println!("{v}");
        } else {
            eprintln!("error: {err:#}");
        }
        std::process::exit(exit::code(&err));
    }
}

fn init_tracing(format: LogFormat, verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COHORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let locations = config::Locations::resolve(config::Flags {
        config: cli.config,
        data_dir: cli.data_dir,
        key_file: cli.key_file,
        policy: cli.policy,
        plugin_dir: cli.plugin_dir,
    })?;
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let ctx = context::Ctx {
        locations,
        json: cli.json,
        actor: format!("cli:{user}"),
    };
    match cli.command {
        Command::Init => commands::init::run(&ctx),
        Command::Demo(args) => commands::demo::run(&ctx, &args),
        Command::Ingest(args) => commands::ingest::run(&ctx, &args),
        Command::Consent(c) => commands::consent::run(&ctx, c),
        Command::Subject(c) => commands::subject::run(&ctx, c),
        Command::Policy(c) => commands::policy::run(&ctx, c),
        Command::Audit(c) => commands::audit::run(&ctx, c),
        Command::Retention(c) => commands::retention::run(&ctx, c),
        Command::Store(c) => commands::store::run(&ctx, c),
        Command::Keys(c) => commands::keys::run(&ctx, c),
        Command::Bench(c) => commands::bench::run(&ctx, c),
        Command::Plugin(c) => commands::plugin::run(&ctx, c),
        Command::Segment(c) => commands::segment::run(&ctx, c),
        Command::Serve(args) => commands::serve::run(&ctx, &args),
        Command::Apikey(c) => commands::apikey::run(&ctx, c),
        Command::Peer(c) => commands::peer::run(&ctx, c),
        Command::Federate(c) => commands::federate::run(&ctx, c),
    }
}
