//! `cohort policy`: check, explain and diff policy files, for operators and auditors.

use crate::cli::PolicyCommand;
use crate::context::{Ctx, load_policy};
use crate::output::emit;
use anyhow::{Result, anyhow};

pub fn run(ctx: &Ctx, command: PolicyCommand) -> Result<()> {
    match command {
        PolicyCommand::Check { files } => {
            let mut failures = Vec::new();
            let mut results = Vec::new();
            for f in &files {
                match cohort_policy::load_policy(f) {
                    Ok(p) => {
                        results.push(serde_json::json!({"file": f, "ok": true, "policy": p.id(),
                            "version": p.version(), "sha256": p.sha256_hex()}));
                        if !ctx.json {
                            println!(
                                "{}: ok (policy {} version {}, sha256 {})",
                                f.display(),
                                p.id(),
                                p.version(),
                                p.sha256_hex()
                            );
                        }
                    }
                    Err(e) => {
                        results.push(
                            serde_json::json!({"file": f, "ok": false, "errors": e.to_string()}),
                        );
                        failures.push(e.to_string());
                    }
                }
            }
            if ctx.json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            }
            if failures.is_empty() {
                Ok(())
            } else {
                Err(anyhow!(crate::exit::Invalid(failures.join("\n"))))
            }
        }
        PolicyCommand::Explain { file } => {
            let p = load_policy(&file)?;
            print!("{}", cohort_policy::explain_markdown(&p));
            Ok(())
        }
        PolicyCommand::Diff { old, new } => {
            let old = load_policy(&old)?;
            let new = load_policy(&new)?;
            let diff = cohort_policy::diff(&old, &new);
            emit(ctx.json, &diff, || diff.to_markdown())
        }
    }
}
