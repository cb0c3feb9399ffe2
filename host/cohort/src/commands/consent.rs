//! `cohort consent`: record and show consent per purpose (the logic is `cohort-rights`', shared with the HTTP API).

use crate::cli::{ConsentArgs, ConsentCommand};
use crate::context::{Ctx, who};
use crate::output::emit;
use anyhow::Result;
use cohort_rights::ConsentChange;
use cohort_store::ConsentState;

pub fn run(ctx: &Ctx, command: ConsentCommand) -> Result<()> {
    match command {
        ConsentCommand::Grant(a) => record(ctx, a, ConsentState::Granted),
        ConsentCommand::Withdraw(a) => record(ctx, a, ConsentState::Withdrawn),
        ConsentCommand::Refuse(a) => record(ctx, a, ConsentState::Refused),
        ConsentCommand::Show { who: selector } => {
            let (store, policy) = ctx.store_and_policy()?;
            let (id, records) =
                cohort_rights::consent_show(&store, &policy, &ctx.actor, &who(&selector)?)?;
            emit(ctx.json, &records, || {
                let mut s = format!("Consent of subject {id}\n");
                for r in &records {
                    s.push_str(&format!(
                        "  {:<20} {:<22} ({} event(s))\n",
                        r["purpose"].as_str().unwrap_or_default(),
                        r["state"].as_str().unwrap_or_default(),
                        r["history"].as_array().map_or(0, Vec::len)
                    ));
                }
                s
            })
        }
    }
}

fn record(ctx: &Ctx, args: ConsentArgs, state: ConsentState) -> Result<()> {
    let (store, policy) = ctx.store_and_policy()?;
    let change = ConsentChange {
        who: who(&args.who)?,
        purpose: args.purpose.clone(),
        state,
        source: args.source.clone(),
        notice: args.notice.clone(),
        method: "cli".into(),
        at: args.at.clone(),
    };
    let r = cohort_rights::record_consent(&store, &policy, &ctx.actor, &change)?;
    let out = serde_json::json!({"subject": r.subject, "purpose": r.purpose, "state": r.state, "at": r.at});
    emit(ctx.json, &out, || {
        format!(
            "Recorded: subject {}, purpose {}, {} at {}\n",
            r.subject, r.purpose, r.state, r.at
        )
    })
}
