//! Native test helpers: run a plugin's logic end to end without WebAssembly, as the host would drive it.
//!
//! Besides driving the calls, the helpers check the parts of the host's contract that need no manifest or policy:
//! every record is a JSON object, every assignment names a token it was given, a segment the plugin declared and a
//! score in [0, 1]. A plugin that passes its own tests therefore does not first fail in the host on those.

use std::collections::HashSet;

use crate::driver::{ConnectorSession, SegmenterRun};
use crate::{Assignment, Connector, Diagnostic, Profile, RunContext, Segmenter};

/// Page size [`run_segmenter`] drains with. Small, so that a test with a few dozen profiles already crosses
/// several pages; the host's own page size is its business and may differ.
pub const TEST_DRAIN_PAGE: usize = 16;

/// Runs connector `C` over `input` split into chunks of `chunk_size` bytes (the last may be shorter) and returns
/// every record, parsed back to JSON, and every diagnostic, in order.
///
/// Run it with several chunk sizes (1 byte splits every row and every multi-byte character) to prove the
/// connector handles rows split across chunks. A `chunk_size` of 0 is an error.
pub fn run_connector<C: Connector>(
    config: &str,
    input: &[u8],
    chunk_size: usize,
) -> Result<(Vec<serde_json::Value>, Vec<Diagnostic>), String> {
    if chunk_size == 0 {
        return Err("chunk_size must be at least 1".into());
    }
    run_connector_chunks::<C, _>(config, input.chunks(chunk_size))
}

/// Runs connector `C` over the given chunks, in order, and returns every record (parsed back to JSON) and every
/// diagnostic. Use it to split an input at chosen points, for instance from a `proptest` strategy.
pub fn run_connector_chunks<'a, C: Connector, I: IntoIterator<Item = &'a [u8]>>(
    config: &str,
    chunks: I,
) -> Result<(Vec<serde_json::Value>, Vec<Diagnostic>), String> {
    let mut session = ConnectorSession::<C>::start(config)?;
    let mut batches = Vec::new();
    for chunk in chunks {
        batches.push(session.push(chunk)?);
    }
    batches.push(session.finish()?);

    let mut records = Vec::new();
    let mut diagnostics = Vec::new();
    for batch in batches {
        for text in batch.records {
            records.push(parse_record(records.len(), &text)?);
        }
        diagnostics.extend(batch.diagnostics);
    }
    Ok((records, diagnostics))
}

/// Parses record number `index` (from 0) and checks that it is a JSON object, as the host will.
fn parse_record(index: usize, text: &str) -> Result<serde_json::Value, String> {
    let record: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| format!("record {index} is not JSON ({error}): {text}"))?;
    if !record.is_object() {
        return Err(format!("record {index} is not a JSON object: {text}"));
    }
    Ok(record)
}

/// Runs segmenter `S`: starts a run with `config` and `ctx`, adds `profiles` in chunks of `chunk` profiles,
/// finishes, and drains the rest in pages of [`TEST_DRAIN_PAGE`]. Returns the assignments from `add` followed by
/// those from `finish`, in order.
///
/// Fails when the plugin fails, when `chunk` is 0, or when an assignment names a token it was not given, a segment
/// that [`Segmenter::segments`] did not return for `config`, or a score outside [0, 1].
pub fn run_segmenter<S: Segmenter>(
    config: &str,
    ctx: RunContext,
    profiles: Vec<Profile>,
    chunk: usize,
) -> Result<Vec<Assignment>, String> {
    if chunk == 0 {
        return Err("chunk must be at least 1".into());
    }
    let declared: HashSet<String> = S::segments(config)?.into_iter().map(|def| def.id).collect();
    let tokens: HashSet<String> = profiles
        .iter()
        .map(|profile| profile.token.clone())
        .collect();

    let mut run = SegmenterRun::<S>::start(config, ctx)?;
    let mut assignments = Vec::new();
    let mut profiles = profiles.into_iter().peekable();
    while profiles.peek().is_some() {
        let batch: Vec<Profile> = profiles.by_ref().take(chunk).collect();
        assignments.extend(run.add(batch)?);
    }
    run.finish()?;
    loop {
        let page = run.drain(TEST_DRAIN_PAGE);
        if page.is_empty() {
            break;
        }
        assignments.extend(page);
    }

    for assignment in &assignments {
        check_assignment(assignment, &declared, &tokens)?;
    }
    Ok(assignments)
}

/// Checks one assignment against the segments declared and the tokens given.
fn check_assignment(
    assignment: &Assignment,
    declared: &HashSet<String>,
    tokens: &HashSet<String>,
) -> Result<(), String> {
    if !tokens.contains(&assignment.token) {
        return Err(format!(
            "assignment to `{}` names token `{}`, which was not in the input",
            assignment.segment, assignment.token
        ));
    }
    if !declared.contains(&assignment.segment) {
        return Err(format!(
            "assignment names segment `{}`, which segments() did not declare",
            assignment.segment
        ));
    }
    if !(0.0..=1.0).contains(&assignment.score) {
        return Err(format!(
            "assignment to `{}` has score {}, outside [0, 1]",
            assignment.segment, assignment.score
        ));
    }
    Ok(())
}
