//! The native test helpers, through the public API as plugin authors use them: `run_connector` cuts the input
//! as asked and a connector that keeps partial rows gives the same result for every cut; `run_segmenter` feeds
//! profiles in chunks, drains `finish` in pages, and refuses assignments the host would refuse.

use cohort_plugin_sdk::{
    Assignment, Batch, Connector, Profile, RunContext, SegmentDef, Segmenter, TEST_DRAIN_PAGE,
    run_connector, run_connector_chunks, run_segmenter,
};
use proptest::prelude::*;
use serde_json::json;

/// A connector for `kind,value` lines that keeps an unfinished line (and a split UTF-8 character) across chunks.
struct Lines {
    partial: Vec<u8>,
    row: u64,
}

impl Lines {
    fn line(&mut self, line: &[u8], out: &mut Batch) {
        self.row += 1;
        let Ok(text) = std::str::from_utf8(line) else {
            out.diagnostic(self.row, None, "not UTF-8");
            return;
        };
        match text.split_once(',') {
            Some((kind, value)) if !value.is_empty() => out.push_record(&json!({
                "source": "lines",
                "identifiers": { kind: value },
            })),
            _ => out.diagnostic(self.row, Some("value"), "missing value"),
        }
    }
}

impl Connector for Lines {
    fn start(_config: &str) -> Result<Self, String> {
        Ok(Lines {
            partial: Vec::new(),
            row: 0,
        })
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
        self.partial.extend_from_slice(chunk);
        while let Some(end) = self.partial.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).take(end).collect();
            self.line(&line, out);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
        let rest = std::mem::take(&mut self.partial);
        if !rest.is_empty() {
            self.line(&rest, out);
        }
        Ok(())
    }
}

const LINES: &str = "email,zoë@example.com\nphone,+33 6 12 34 56 78\ncrm_id,\nuser_id,u-42";

#[test]
fn every_chunk_size_gives_the_same_records_and_diagnostics() {
    let whole = run_connector::<Lines>("{}", LINES.as_bytes(), LINES.len()).unwrap();
    assert_eq!(
        whole.0,
        [
            json!({"source": "lines", "identifiers": {"email": "zoë@example.com"}}),
            json!({"source": "lines", "identifiers": {"phone": "+33 6 12 34 56 78"}}),
            json!({"source": "lines", "identifiers": {"user_id": "u-42"}}),
        ]
    );
    assert_eq!(whole.1.len(), 1);
    assert_eq!(
        (whole.1[0].row, whole.1[0].field.as_deref()),
        (3, Some("value"))
    );
    // Chunk size 1 splits the two-byte `ë` too; sizes past the input length give one chunk.
    for chunk_size in 1..=LINES.len() + 3 {
        assert_eq!(
            run_connector::<Lines>("{}", LINES.as_bytes(), chunk_size).unwrap(),
            whole,
            "chunk size {chunk_size}"
        );
    }
}

/// Records the length of every chunk it is given.
struct ChunkSizes;

impl Connector for ChunkSizes {
    fn start(_config: &str) -> Result<Self, String> {
        Ok(ChunkSizes)
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
        out.push_record(&json!({ "len": chunk.len() }));
        Ok(())
    }

    fn finish(&mut self, _out: &mut Batch) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn run_connector_cuts_the_input_into_chunks_of_the_size_asked() {
    let lens = |input: &[u8], chunk_size| -> Vec<u64> {
        let (records, _) = run_connector::<ChunkSizes>("{}", input, chunk_size).unwrap();
        records
            .iter()
            .map(|record| record["len"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(lens(b"0123456789", 4), [4, 4, 2]);
    assert_eq!(lens(b"0123456789", 10), [10]);
    assert_eq!(
        lens(b"", 3),
        Vec::<u64>::new(),
        "an empty input is only finished"
    );
    assert!(
        run_connector::<ChunkSizes>("{}", b"abc", 0)
            .unwrap_err()
            .contains("chunk_size")
    );
}

/// Emits whatever record text its configuration holds, as is.
struct Raw {
    text: String,
}

impl Connector for Raw {
    fn start(config: &str) -> Result<Self, String> {
        Ok(Raw {
            text: config.to_owned(),
        })
    }

    fn push(&mut self, _chunk: &[u8], _out: &mut Batch) -> Result<(), String> {
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
        out.records.push(self.text.clone());
        Ok(())
    }
}

#[test]
fn records_that_are_not_json_objects_fail_the_run() {
    assert!(run_connector::<Raw>(r#"{"source":"x"}"#, b"", 1).is_ok());
    assert!(
        run_connector::<Raw>("{not json", b"", 1)
            .unwrap_err()
            .contains("record 0 is not JSON")
    );
    assert!(
        run_connector::<Raw>("[1, 2]", b"", 1)
            .unwrap_err()
            .contains("not a JSON object")
    );
}

proptest! {
    #[test]
    fn any_split_of_the_input_gives_the_same_result(cuts in proptest::collection::vec(0..=LINES.len(), 0..12)) {
        let input = LINES.as_bytes();
        let mut cuts = cuts;
        cuts.push(0);
        cuts.push(input.len());
        cuts.sort_unstable();
        let chunks: Vec<&[u8]> = cuts.windows(2).map(|pair| &input[pair[0]..pair[1]]).collect();
        let split = run_connector_chunks::<Lines, _>("{}", chunks).unwrap();
        let whole = run_connector::<Lines>("{}", input, input.len()).unwrap();
        prop_assert_eq!(split, whole);
    }
}

/// Assigns half the profiles in `add` (segment `early`) and the rest in `finish` (segment `late`), and records
/// the size of every chunk it was given in the reasons. Its configuration can make it misbehave.
struct Halves {
    chunk_sizes: Vec<usize>,
    held: Vec<String>,
    misbehave: String,
}

impl Segmenter for Halves {
    fn segments(_config: &str) -> Result<Vec<SegmentDef>, String> {
        Ok(["early", "late"]
            .map(|id| SegmentDef {
                id: id.into(),
                description: String::new(),
            })
            .into())
    }

    fn start(config: &str, _ctx: RunContext) -> Result<Self, String> {
        Ok(Halves {
            chunk_sizes: Vec::new(),
            held: Vec::new(),
            misbehave: config.to_owned(),
        })
    }

    fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String> {
        self.chunk_sizes.push(profiles.len());
        for profile in profiles {
            if profile.token.ends_with(['0', '2', '4', '6', '8']) {
                out.push(assignment(&profile.token, "early", 0.5));
            } else {
                self.held.push(profile.token);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<Assignment>) -> Result<(), String> {
        for token in self.held.drain(..) {
            out.push(assignment(&token, "late", 1.0));
        }
        match self.misbehave.as_str() {
            "stranger" => out.push(assignment("nobody", "late", 1.0)),
            "undeclared" => out.push(assignment("p1", "secret", 1.0)),
            "score" => out.push(assignment("p1", "late", 1.5)),
            "nan" => out.push(assignment("p1", "late", f64::NAN)),
            _ => {}
        }
        let sizes = self
            .chunk_sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        if let Some(first) = out.first_mut() {
            first.reasons.push(format!("chunks {sizes}"));
        }
        Ok(())
    }
}

fn assignment(token: &str, segment: &str, score: f64) -> Assignment {
    Assignment {
        token: token.into(),
        segment: segment.into(),
        score,
        reasons: Vec::new(),
    }
}

fn profiles(count: usize) -> Vec<Profile> {
    (0..count)
        .map(|i| Profile {
            token: format!("p{i}"),
            attributes: Vec::new(),
            events: Vec::new(),
        })
        .collect()
}

fn ctx() -> RunContext {
    RunContext {
        purpose: "analytics".into(),
        now: 1_767_225_600,
    }
}

#[test]
fn run_segmenter_feeds_chunks_and_returns_add_then_finish_in_order_across_pages() {
    // More `late` profiles than one drain page holds, so the finish assignments cross page boundaries.
    let count = TEST_DRAIN_PAGE * 4 + 1;
    let assignments = run_segmenter::<Halves>("", ctx(), profiles(count), 7).unwrap();
    let even: Vec<String> = (0..count).step_by(2).map(|i| format!("p{i}")).collect();
    let odd: Vec<String> = (1..count).step_by(2).map(|i| format!("p{i}")).collect();
    let (early, late): (Vec<&Assignment>, Vec<&Assignment>) =
        assignments.iter().partition(|a| a.segment == "early");
    assert_eq!(
        early.iter().map(|a| &a.token).collect::<Vec<_>>(),
        even.iter().collect::<Vec<_>>()
    );
    assert_eq!(
        late.iter().map(|a| &a.token).collect::<Vec<_>>(),
        odd.iter().collect::<Vec<_>>()
    );
    assert!(
        assignments[..even.len()]
            .iter()
            .all(|a| a.segment == "early"),
        "add's output comes first"
    );
    // Chunks of 7, the last one shorter.
    let sizes: Vec<String> = (0..count)
        .step_by(7)
        .map(|start| (count - start).min(7).to_string())
        .collect();
    assert_eq!(late[0].reasons, [format!("chunks {}", sizes.join(","))]);
}

#[test]
fn run_segmenter_refuses_what_the_host_would_refuse() {
    let refused =
        |config: &str| run_segmenter::<Halves>(config, ctx(), profiles(3), 2).unwrap_err();
    assert!(refused("stranger").contains("token `nobody`"));
    assert!(refused("undeclared").contains("segment `secret`"));
    assert!(refused("score").contains("score 1.5"));
    assert!(refused("nan").contains("score NaN"));
    assert!(
        run_segmenter::<Halves>("", ctx(), profiles(3), 0)
            .unwrap_err()
            .contains("chunk")
    );
    assert_eq!(
        run_segmenter::<Halves>("", ctx(), Vec::new(), 3).unwrap(),
        Vec::new()
    );
}
