//! Assignments out: the plugin's [`Assignment`]s encoded as one 0.2.0 `assignments` page of columns.
//!
//! The segment table is built per page, each segment once in the order of first use, by a linear scan: a plugin
//! emits a handful of segments, so a scan beats hashing. Each assignment's token must be one the host gave, that
//! is 16 lowercase hex digits (see [`super::token`]); anything else is refused, since it has no number to leave as.

use super::token;
use super::wit;
use crate::Assignment;

/// An empty page: no assignments.
pub(super) fn none() -> wit::Assignments {
    wit::Assignments {
        segments: Vec::new(),
        tokens: Vec::new(),
        segment_indices: Vec::new(),
        scores: Vec::new(),
        reason_ends: Vec::new(),
        reason_text_ends: Vec::new(),
        reason_text: String::new(),
    }
}

/// Encodes `assignments`, in order. Fails on a token the host never gave, and on a page too large for the 32-bit
/// offsets (which a 32-bit plugin cannot reach).
pub(super) fn to_columns(assignments: Vec<Assignment>) -> Result<wit::Assignments, String> {
    let count = assignments.len();
    // One pass for both sizes: the reasons are the only part of a page whose length is not the assignment count.
    let (reason_count, reason_bytes) = assignments
        .iter()
        .flat_map(|a| &a.reasons)
        .fold((0, 0), |(count, bytes), reason| {
            (count + 1, bytes + reason.len())
        });
    let mut page = wit::Assignments {
        segments: Vec::new(),
        tokens: Vec::with_capacity(count),
        segment_indices: Vec::with_capacity(count),
        scores: Vec::with_capacity(count),
        reason_ends: Vec::with_capacity(count),
        reason_text_ends: Vec::with_capacity(reason_count),
        reason_text: String::with_capacity(reason_bytes),
    };
    for assignment in assignments {
        let Some(token) = token::from_text(&assignment.token) else {
            return Err(format!(
                "assignment for token `{}`, which the host never gave",
                abbreviated(&assignment.token)
            ));
        };
        page.tokens.push(token);
        page.segment_indices
            .push(segment_index(&mut page.segments, assignment.segment)?);
        page.scores.push(assignment.score);
        for reason in &assignment.reasons {
            page.reason_text.push_str(reason);
            page.reason_text_ends
                .push(offset(page.reason_text.len(), "reason-text")?);
        }
        page.reason_ends
            .push(offset(page.reason_text_ends.len(), "reason-text-ends")?);
    }
    Ok(page)
}

/// The index of `segment` in `segments`, added at the end on first use.
fn segment_index(segments: &mut Vec<String>, segment: String) -> Result<u32, String> {
    let index = match segments.iter().position(|known| *known == segment) {
        Some(index) => index,
        None => {
            segments.push(segment);
            segments.len() - 1
        }
    };
    offset(index, "segments")
}

/// `length` as a 32-bit offset into `column`.
fn offset(length: usize, column: &str) -> Result<u32, String> {
    u32::try_from(length)
        .map_err(|_| format!("a page of assignments too large: `{column}` passed 2^32"))
}

/// At most the first 40 characters of `text`, for a message: a wrong token may be anything.
fn abbreviated(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(token: &str, segment: &str, score: f64, reasons: &[&str]) -> Assignment {
        Assignment {
            token: token.into(),
            segment: segment.into(),
            score,
            reasons: reasons.iter().map(|&reason| reason.to_owned()).collect(),
        }
    }

    const A: &str = "00000000000000a1";
    const B: &str = "ffffffffffffffff";

    #[test]
    fn a_page_has_each_segment_once_in_first_use_order_and_every_reason_in_its_span() {
        let page = to_columns(vec![
            assignment(A, "late", 0.25, &["bought 5 times", "spent the most"]),
            assignment(B, "early", 1.0, &[]),
            assignment(A, "late", 0.5, &["Zürich"]),
            assignment(B, "vip", 0.0, &[]),
            assignment(B, "early", 0.75, &["", "x"]),
        ])
        .unwrap();
        assert_eq!(page.segments, ["late", "early", "vip"]);
        assert_eq!(page.tokens, [0xa1, u64::MAX, 0xa1, u64::MAX, u64::MAX]);
        assert_eq!(page.segment_indices, [0, 1, 0, 2, 1]);
        assert_eq!(page.scores, [0.25, 1.0, 0.5, 0.0, 0.75]);
        // Assignment i owns reasons reason_ends[i-1]..reason_ends[i].
        assert_eq!(page.reason_ends, [2, 2, 3, 3, 5]);
        assert_eq!(page.reason_text, "bought 5 timesspent the mostZürichx");
        // An empty reason owns an empty span.
        assert_eq!(page.reason_text_ends, [14, 28, 35, 35, 36]);
    }

    #[test]
    fn assignments_without_reasons_have_empty_reason_columns() {
        let page = to_columns(vec![
            assignment(A, "all", 1.0, &[]),
            assignment(B, "all", 1.0, &[]),
        ])
        .unwrap();
        assert_eq!(page.segments, ["all"]);
        assert_eq!(page.segment_indices, [0, 0]);
        assert_eq!(page.reason_ends, [0, 0]);
        assert!(page.reason_text_ends.is_empty());
        assert!(page.reason_text.is_empty());
    }

    #[test]
    fn no_assignments_is_an_empty_page() {
        let page = to_columns(Vec::new()).unwrap();
        for (name, length) in [
            ("segments", page.segments.len()),
            ("tokens", page.tokens.len()),
            ("segment-indices", page.segment_indices.len()),
            ("scores", page.scores.len()),
            ("reason-ends", page.reason_ends.len()),
            ("reason-text-ends", page.reason_text_ends.len()),
            ("reason-text", page.reason_text.len()),
        ] {
            assert_eq!(length, 0, "{name}");
        }
        let none = none();
        assert!(none.tokens.is_empty() && none.segments.is_empty() && none.reason_text.is_empty());
    }

    #[test]
    fn a_token_the_host_never_gave_is_refused() {
        for token in [
            "tok-1",
            "00000000000000A1",
            "0000000000000a1",
            "",
            "+000000000000a1",
        ] {
            let refused = to_columns(vec![
                assignment(A, "all", 1.0, &[]),
                assignment(token, "all", 1.0, &[]),
            ])
            .unwrap_err();
            assert_eq!(
                refused,
                format!("assignment for token `{token}`, which the host never gave")
            );
        }
        let long = "é".repeat(100);
        let refused = to_columns(vec![assignment(&long, "all", 1.0, &[])]).unwrap_err();
        assert!(
            refused.contains(&format!("`{}…`", "é".repeat(40))),
            "{refused}"
        );
    }
}
