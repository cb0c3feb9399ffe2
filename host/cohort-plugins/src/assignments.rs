//! Assignments as they come back from a segmenter: checked, and kept in columns, as interface 0.2.0 sends them.
//!
//! A run of a million profiles returns about a million assignments; keeping them as a few flat buffers per page
//! (tokens, segment indices, scores, one reason text) instead of a million records of strings is what lets the
//! host take them in with a handful of copies, and keeping the pages as they came (appending one moves it, it does
//! not copy its text into a growing buffer) keeps it that way for a caller that collects a whole run.
//! [`Assignments::iter`] reads them one by one; [`AssignmentRef::to_owned`] makes a self-contained [`Assignment`]
//! where a caller needs one.
//!
//! Every page upholds the invariants that [`Assignments::from_v0_2`] checks: the per-assignment columns have one
//! entry each, every `ends` column never decreases and stays in bounds, every segment index names an entry of the
//! segment table, and every reason span lies on character boundaries. So reading one never panics.

use crate::bindings::segmenter as v0_1;
use crate::bindings::segmenter_v0_2 as v0_2;

/// One membership a segmenter assigned, self-contained.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assignment {
    /// The profile's token.
    pub token: u64,
    /// The segment id (declared in the manifest).
    pub segment: String,
    /// Score in [0, 1].
    pub score: f64,
    /// Reasons a person can read.
    pub reasons: Vec<String>,
}

/// The most assignments [`Assignments::push`] puts in one page.
const PUSHED_PAGE_LIMIT: usize = 1 << 16;
/// The reason text, in bytes, past which [`Assignments::push`] starts a new page: far below the 4 GiB that a
/// page's 32-bit offsets can address, whatever one assignment adds.
const PUSHED_TEXT_LIMIT: usize = 1 << 30;

/// Checked assignments, in the order the plugin returned them: the pages as they came.
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    /// Non-empty pages, in order.
    pages: Vec<Columns>,
    /// Assignments in all pages.
    len: usize,
}

/// One checked page, in the columns of interface 0.2.0.
#[derive(Debug, Clone, Default)]
struct Columns {
    segments: Vec<String>,
    tokens: Vec<u64>,
    segment_indices: Vec<u32>,
    scores: Vec<f64>,
    /// Per assignment: the end of its reasons in `reason_text_ends`.
    reason_ends: Vec<u32>,
    /// Per reason: the end of its text in `reason_text`.
    reason_text_ends: Vec<u32>,
    reason_text: String,
}

/// One assignment, borrowed from [`Assignments`].
#[derive(Debug, Clone)]
pub struct AssignmentRef<'a> {
    /// The profile's token.
    pub token: u64,
    /// The segment id.
    pub segment: &'a str,
    /// Score in [0, 1].
    pub score: f64,
    from: &'a Columns,
    reasons: std::ops::Range<usize>,
}

impl<'a> AssignmentRef<'a> {
    /// Its reasons, in order.
    pub fn reasons(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let from = self.from;
        self.reasons.clone().map(move |r| {
            let span = span(&from.reason_text_ends, r);
            &from.reason_text[span]
        })
    }

    /// A self-contained copy.
    pub fn to_owned(&self) -> Assignment {
        Assignment {
            token: self.token,
            segment: self.segment.to_owned(),
            score: self.score,
            reasons: self.reasons().map(str::to_owned).collect(),
        }
    }
}

/// Entries `ends[i-1]..ends[i]` (from 0 for the first).
fn span(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    start..ends[i] as usize
}

/// Why a plugin's assignments were refused.
pub(crate) type Malformed = String;

/// Checks that `ends` never decreases and ends within `len`.
fn check_ends(column: &str, ends: &[u32], len: usize) -> Result<(), Malformed> {
    let mut last = 0u32;
    for (i, &e) in ends.iter().enumerate() {
        if e < last || e as usize > len {
            return Err(format!(
                "returned malformed assignments: `{column}` entry {i} is {e}, after {last}, with {len} entries to end in"
            ));
        }
        last = e;
    }
    Ok(())
}

impl Columns {
    fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The `i`-th assignment, for `i < len()` (the invariants keep every other index in bounds).
    fn at(&self, i: usize) -> AssignmentRef<'_> {
        AssignmentRef {
            token: self.tokens[i],
            segment: &self.segments[self.segment_indices[i] as usize],
            score: self.scores[i],
            from: self,
            reasons: span(&self.reason_ends, i),
        }
    }

    /// Appends one assignment. A score that is not a number becomes 0; others are clamped to [0, 1].
    fn push<'r>(
        &mut self,
        token: u64,
        segment: &str,
        score: f64,
        reasons: impl IntoIterator<Item = &'r str>,
    ) {
        let index = match self.segments.iter().position(|s| s == segment) {
            Some(i) => i,
            None => {
                self.segments.push(segment.to_owned());
                self.segments.len() - 1
            }
        };
        self.tokens.push(token);
        self.segment_indices.push(index as u32);
        self.scores.push(clamped(score));
        for reason in reasons {
            self.reason_text.push_str(reason);
            self.reason_text_ends.push(self.reason_text.len() as u32);
        }
        self.reason_ends.push(self.reason_text_ends.len() as u32);
    }
}

/// A score in [0, 1]; one that is not a number becomes 0.
fn clamped(score: f64) -> f64 {
    if score.is_finite() {
        score.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

impl Assignments {
    /// No assignments.
    pub fn new() -> Self {
        Self::default()
    }

    fn one_page(page: Columns) -> Self {
        let mut out = Self::new();
        out.push_page(page);
        out
    }

    fn push_page(&mut self, page: Columns) {
        if page.len() > 0 {
            self.len += page.len();
            self.pages.push(page);
        }
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th assignment.
    pub fn get(&self, mut i: usize) -> Option<AssignmentRef<'_>> {
        for page in &self.pages {
            if i < page.len() {
                return Some(page.at(i));
            }
            i -= page.len();
        }
        None
    }

    /// Every assignment, in order.
    pub fn iter(&self) -> impl Iterator<Item = AssignmentRef<'_>> + '_ {
        self.pages
            .iter()
            .flat_map(|page| (0..page.len()).map(move |i| page.at(i)))
    }

    /// The segment ids these assignments use (once per page that uses them).
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.pages
            .iter()
            .flat_map(|page| page.segments.iter().map(String::as_str))
    }

    /// Self-contained copies of every assignment.
    pub fn to_vec(&self) -> Vec<Assignment> {
        self.iter().map(|a| a.to_owned()).collect()
    }

    /// Takes a 0.2.0 page after checking it (see the module docs). Scores are clamped to [0, 1]; one that is not
    /// a number becomes 0.
    pub(crate) fn from_v0_2(
        page: v0_2::exports::cohort::plugin::segmenter::Assignments,
    ) -> Result<Self, Malformed> {
        let n = page.tokens.len();
        for (column, len) in [
            ("segment-indices", page.segment_indices.len()),
            ("scores", page.scores.len()),
            ("reason-ends", page.reason_ends.len()),
        ] {
            if len != n {
                return Err(format!(
                    "returned malformed assignments: {n} tokens but {len} `{column}`"
                ));
            }
        }
        check_ends(
            "reason-ends",
            &page.reason_ends,
            page.reason_text_ends.len(),
        )?;
        check_ends(
            "reason-text-ends",
            &page.reason_text_ends,
            page.reason_text.len(),
        )?;
        if let Some(e) = page
            .reason_text_ends
            .iter()
            .find(|&&e| !page.reason_text.is_char_boundary(e as usize))
        {
            return Err(format!(
                "returned malformed assignments: a reason ends at byte {e}, inside a character"
            ));
        }
        if let Some(i) = page
            .segment_indices
            .iter()
            .find(|&&i| i as usize >= page.segments.len())
        {
            return Err(format!(
                "returned malformed assignments: segment index {i}, with {} segments",
                page.segments.len()
            ));
        }
        let mut scores = page.scores;
        for s in &mut scores {
            *s = clamped(*s);
        }
        Ok(Self::one_page(Columns {
            segments: page.segments,
            tokens: page.tokens,
            segment_indices: page.segment_indices,
            scores,
            reason_ends: page.reason_ends,
            reason_text_ends: page.reason_text_ends,
            reason_text: page.reason_text,
        }))
    }

    /// Takes a 0.1.0 page. A token that is not one the host could have given is refused.
    pub(crate) fn from_v0_1(
        page: Vec<v0_1::exports::cohort::plugin::segmenter::Assignment>,
    ) -> Result<Self, Malformed> {
        let mut columns = Columns::default();
        for a in page {
            let token = crate::profile::token_from_text(&a.token)
                .ok_or_else(|| "assigned a token it was never given".to_string())?;
            columns.push(
                token,
                &a.segment,
                a.score,
                a.reasons.iter().map(String::as_str),
            );
        }
        Ok(Self::one_page(columns))
    }

    /// Appends one assignment, to the last page, or to a new one once the last holds 65,536 assignments or 1 GiB
    /// of reasons (so that its 32-bit offsets never wrap). For a host
    /// that runs a segmenter in process and converts what it returns (the native side of `cohort bench plugins`);
    /// a plugin's pages come through the runtime, checked. A score that is not a number becomes 0; others are
    /// clamped to [0, 1].
    pub fn push<'r>(
        &mut self,
        token: u64,
        segment: &str,
        score: f64,
        reasons: impl IntoIterator<Item = &'r str>,
    ) {
        let full = |page: &Columns| {
            page.len() >= PUSHED_PAGE_LIMIT || page.reason_text.len() >= PUSHED_TEXT_LIMIT
        };
        if self.pages.last().is_none_or(full) {
            self.pages.push(Columns::default());
        }
        if let Some(page) = self.pages.last_mut() {
            page.push(token, segment, score, reasons);
            self.len += 1;
        }
    }

    /// Moves every assignment of `other` to the end of `self`: its pages move, nothing is copied.
    pub fn append(&mut self, other: Self) {
        for page in other.pages {
            self.push_page(page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use v0_2::exports::cohort::plugin::segmenter::Assignments as Page;

    fn page() -> Page {
        Page {
            segments: vec!["champions".into(), "lost".into()],
            tokens: vec![7, 8, 9],
            segment_indices: vec![1, 0, 1],
            scores: vec![0.5, 2.0, f64::NAN],
            reason_ends: vec![2, 2, 3],
            reason_text_ends: vec![3, 5, 10],
            reason_text: "abcdeélan".into(),
        }
    }

    #[test]
    fn a_page_reads_back_with_its_reasons_and_clamped_scores() {
        let got = Assignments::from_v0_2(page()).expect("well-formed");
        let owned = got.to_vec();
        assert_eq!(
            owned,
            vec![
                Assignment {
                    token: 7,
                    segment: "lost".into(),
                    score: 0.5,
                    reasons: vec!["abc".into(), "de".into()]
                },
                Assignment {
                    token: 8,
                    segment: "champions".into(),
                    score: 1.0,
                    reasons: vec![]
                },
                Assignment {
                    token: 9,
                    segment: "lost".into(),
                    score: 0.0,
                    reasons: vec!["élan".into()]
                },
            ]
        );
    }

    #[test]
    fn every_malformation_is_refused_with_the_column_named() {
        type Breakage = fn(&mut Page);
        let cases: Vec<(Breakage, &str)> = vec![
            (|p| p.scores.truncate(2), "`scores`"),
            (|p| p.reason_ends[1] = 1, "`reason-ends` entry 1"),
            (|p| p.reason_ends[2] = 4, "`reason-ends` entry 2"),
            (|p| p.reason_text_ends[2] = 11, "`reason-text-ends` entry 2"),
            (|p| p.reason_text_ends[1] = 6, "inside a character"),
            (|p| p.segment_indices[0] = 2, "segment index 2"),
        ];
        for (break_it, expected) in cases {
            let mut p = page();
            break_it(&mut p);
            let err = Assignments::from_v0_2(p).expect_err(expected);
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
    }

    #[test]
    fn appending_remaps_segments_and_offsets() {
        let one = |token, segment, score, reasons: &[&str]| {
            let mut page = Assignments::new();
            page.push(token, segment, score, reasons.iter().copied());
            page
        };
        let mut all = Assignments::new();
        all.append(one(1, "lost", 0.25, &["gone"]));
        all.append(Assignments::from_v0_2(page()).expect("well-formed"));
        all.append(one(2, "new", 1.0, &["fresh", "x"]));
        let tokens: Vec<(u64, &str, Vec<&str>)> = all
            .iter()
            .map(|a| (a.token, a.segment, a.reasons().collect()))
            .collect();
        assert_eq!(
            tokens,
            vec![
                (1, "lost", vec!["gone"]),
                (7, "lost", vec!["abc", "de"]),
                (8, "champions", vec![]),
                (9, "lost", vec!["élan"]),
                (2, "new", vec!["fresh", "x"]),
            ]
        );
        assert_eq!(
            all.segments().collect::<Vec<_>>(),
            ["lost", "champions", "lost", "new"],
            "each page's own table"
        );
        assert_eq!(all.len(), 5);
        assert_eq!(all.get(4).map(|a| a.token), Some(2));
        assert!(all.get(5).is_none());

        // A push joins the last page, with that page's segment table.
        all.push(3, "lost", f64::NAN, ["é"]);
        all.push(4, "new", 7.0, []);
        let last: Vec<(u64, &str, f64, Vec<&str>)> = all
            .iter()
            .skip(5)
            .map(|a| (a.token, a.segment, a.score, a.reasons().collect()))
            .collect();
        assert_eq!(
            last,
            vec![(3, "lost", 0.0, vec!["é"]), (4, "new", 1.0, vec![])]
        );
        assert_eq!(all.len(), 7);
        assert_eq!(
            all.segments().count(),
            5,
            "\"lost\" joins the last page's table"
        );
    }

    #[test]
    fn pushing_starts_a_new_page_when_the_last_is_full() {
        let mut all = Assignments::new();
        for token in 0..=PUSHED_PAGE_LIMIT as u64 {
            all.push(token, "all", 1.0, ["r"]);
        }
        assert_eq!(all.len(), PUSHED_PAGE_LIMIT + 1);
        assert_eq!(all.pages.len(), 2);
        assert_eq!(all.pages[0].len(), PUSHED_PAGE_LIMIT);
        assert_eq!(
            all.get(PUSHED_PAGE_LIMIT).map(|a| (a.token, a.segment)),
            Some((PUSHED_PAGE_LIMIT as u64, "all"))
        );
    }

    #[test]
    fn a_v0_1_page_with_a_foreign_token_is_refused() {
        use v0_1::exports::cohort::plugin::segmenter::Assignment as Old;
        let old = |token: &str| Old {
            token: token.into(),
            segment: "all".into(),
            score: 1.0,
            reasons: vec!["r".into()],
        };
        let got = Assignments::from_v0_1(vec![old("000000000000002a")]).expect("a host token");
        assert_eq!(got.get(0).map(|a| a.token), Some(42));
        assert!(Assignments::from_v0_1(vec![old("someone@example.com")]).is_err());
    }
}
