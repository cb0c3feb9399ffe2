//! The protocol around a plugin's trait impl: call order and paging of assignments.
//!
//! Both the WebAssembly glue and the native test helpers drive plugins through these two types, so `cargo test`
//! exercises the same sequencing the host sees: a push after finish is an error, and assignments written in
//! `finish` leave in pages of at most the size the host asks for.

use std::collections::VecDeque;

use crate::{Assignment, Batch, Connector, Profile, RunContext, Segmenter};

/// One connector conversion: the plugin's state and whether the input has ended.
pub(crate) struct ConnectorSession<C> {
    connector: C,
    finished: bool,
}

impl<C: Connector> ConnectorSession<C> {
    /// Starts a conversion with `config`.
    pub(crate) fn start(config: &str) -> Result<Self, String> {
        Ok(Self {
            connector: C::start(config)?,
            finished: false,
        })
    }

    /// Feeds one chunk; refused once the input has ended.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<Batch, String> {
        if self.finished {
            return Err("push called after finish: the input has already ended".into());
        }
        let mut out = Batch::default();
        self.connector.push(chunk, &mut out)?;
        Ok(out)
    }

    /// Ends the input; refused the second time.
    pub(crate) fn finish(&mut self) -> Result<Batch, String> {
        if self.finished {
            return Err("finish called twice".into());
        }
        self.finished = true;
        let mut out = Batch::default();
        self.connector.finish(&mut out)?;
        Ok(out)
    }
}

/// One segmentation run: the plugin's state, whether the input has ended, and the assignments `finish` (or a
/// [`Segmenter::drain`] that wrote more than asked) wrote that the host has not drained yet.
pub(crate) struct SegmenterRun<S> {
    segmenter: S,
    finished: bool,
    pending: VecDeque<Assignment>,
    /// Set once the plugin's own `drain` added nothing: it is not asked again.
    exhausted: bool,
}

impl<S: Segmenter> SegmenterRun<S> {
    /// Starts a run with `config` and `ctx`.
    pub(crate) fn start(config: &str, ctx: RunContext) -> Result<Self, String> {
        Ok(Self {
            segmenter: S::start(config, ctx)?,
            finished: false,
            pending: VecDeque::new(),
            exhausted: false,
        })
    }

    /// Feeds one chunk of profiles; refused once the input has ended.
    pub(crate) fn add(&mut self, profiles: Vec<Profile>) -> Result<Vec<Assignment>, String> {
        if self.finished {
            return Err("add called after finish: the input has already ended".into());
        }
        let mut out = Vec::new();
        self.segmenter.add(profiles, &mut out)?;
        Ok(out)
    }

    /// Ends the input and keeps the plugin's remaining assignments for [`SegmenterRun::drain`].
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        if self.finished {
            return Err("finish called twice".into());
        }
        self.finished = true;
        let mut out = Vec::new();
        self.segmenter.finish(&mut out)?;
        // A deque, so that each page leaves from the front without moving the rest.
        self.pending = VecDeque::from(out);
        Ok(())
    }

    /// Up to `max` of the remaining assignments, in the order the plugin wrote them: first those `finish` wrote,
    /// then those the plugin's [`Segmenter::drain`] writes on demand. Empty when none remain (and before `finish`,
    /// when none can be known yet); once empty, it stays empty.
    pub(crate) fn drain(&mut self, max: usize) -> Vec<Assignment> {
        let take = max.min(self.pending.len());
        let mut page: Vec<Assignment> = self.pending.drain(..take).collect();
        if page.len() < max && self.finished && !self.exhausted {
            let want = max - page.len();
            let before = page.len();
            self.segmenter.drain(want, &mut page);
            if page.len() == before {
                self.exhausted = true;
            } else if page.len() > max {
                // More than asked: the surplus leaves with the next page, ahead of anything written later.
                self.pending.extend(page.drain(max..));
            }
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes each pushed chunk's length as a record, and counts pushes in `finish`.
    struct Counter {
        pushes: usize,
    }

    impl Connector for Counter {
        fn start(config: &str) -> Result<Self, String> {
            match config {
                "{}" => Ok(Self { pushes: 0 }),
                other => Err(format!("unexpected config {other}")),
            }
        }

        fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
            self.pushes += 1;
            out.push_record(&serde_json::json!(chunk.len()));
            Ok(())
        }

        fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
            out.diagnostic(0, None, format!("{} pushes", self.pushes));
            Ok(())
        }
    }

    #[test]
    fn a_connector_session_refuses_to_continue_after_finish() {
        assert_eq!(
            ConnectorSession::<Counter>::start("[]").err().as_deref(),
            Some("unexpected config []")
        );
        let mut session = ConnectorSession::<Counter>::start("{}").unwrap();
        assert_eq!(session.push(b"abc").unwrap().records, ["3"]);
        assert_eq!(session.finish().unwrap().diagnostics[0].message, "1 pushes");
        assert!(session.push(b"x").unwrap_err().contains("after finish"));
        assert!(session.finish().unwrap_err().contains("twice"));
    }

    /// Puts every profile in segment `late`, but only in `finish`.
    struct Late {
        seen: Vec<String>,
    }

    impl Segmenter for Late {
        fn segments(_config: &str) -> Result<Vec<crate::SegmentDef>, String> {
            Ok(Vec::new())
        }

        fn start(_config: &str, _ctx: RunContext) -> Result<Self, String> {
            Ok(Self { seen: Vec::new() })
        }

        fn add(
            &mut self,
            profiles: Vec<Profile>,
            _out: &mut Vec<Assignment>,
        ) -> Result<(), String> {
            self.seen
                .extend(profiles.into_iter().map(|profile| profile.token));
            Ok(())
        }

        fn finish(&mut self, out: &mut Vec<Assignment>) -> Result<(), String> {
            out.extend(self.seen.drain(..).map(|token| Assignment {
                token,
                segment: "late".into(),
                score: 1.0,
                reasons: Vec::new(),
            }));
            Ok(())
        }
    }

    /// Writes one assignment in `finish`, then the rest on demand in `drain`, deliberately `extra` more than
    /// asked each time, until every token has left.
    struct Lazy {
        seen: Vec<String>,
        next: usize,
        extra: usize,
        drain_calls: usize,
    }

    impl Segmenter for Lazy {
        fn segments(_config: &str) -> Result<Vec<crate::SegmentDef>, String> {
            Ok(Vec::new())
        }

        fn start(config: &str, _ctx: RunContext) -> Result<Self, String> {
            Ok(Self {
                seen: Vec::new(),
                next: 0,
                extra: config.len() - 2,
                drain_calls: 0,
            })
        }

        fn add(
            &mut self,
            profiles: Vec<Profile>,
            _out: &mut Vec<Assignment>,
        ) -> Result<(), String> {
            self.seen
                .extend(profiles.into_iter().map(|profile| profile.token));
            Ok(())
        }

        fn finish(&mut self, out: &mut Vec<Assignment>) -> Result<(), String> {
            if let Some(first) = self.seen.first() {
                out.push(assignment(first));
                self.next = 1;
            }
            Ok(())
        }

        fn drain(&mut self, max: usize, out: &mut Vec<Assignment>) {
            self.drain_calls += 1;
            assert!(max >= 1, "drain asked for nothing");
            let end = (self.next + max + self.extra).min(self.seen.len());
            out.extend(self.seen[self.next..end].iter().map(|t| assignment(t)));
            self.next = end;
        }
    }

    fn assignment(token: &str) -> Assignment {
        Assignment {
            token: token.into(),
            segment: "lazy".into(),
            score: 1.0,
            reasons: Vec::new(),
        }
    }

    fn profile(token: &str) -> Profile {
        Profile {
            token: token.into(),
            attributes: Vec::new(),
            events: Vec::new(),
        }
    }

    #[test]
    fn a_segmenter_run_pages_out_finish_in_order_and_then_stays_empty() {
        let ctx = RunContext {
            purpose: "analytics".into(),
            now: 0,
        };
        let mut run = SegmenterRun::<Late>::start("{}", ctx).unwrap();
        let tokens: Vec<String> = (0..7).map(|i| format!("t{i}")).collect();
        assert!(
            run.add(tokens.iter().map(|t| profile(t)).collect())
                .unwrap()
                .is_empty()
        );
        assert!(run.drain(10).is_empty(), "nothing to drain before finish");
        run.finish().unwrap();
        let pages: Vec<Vec<String>> = std::iter::from_fn(|| {
            let page = run.drain(3);
            (!page.is_empty()).then(|| page.into_iter().map(|a| a.token).collect())
        })
        .collect();
        assert_eq!(
            pages,
            [vec!["t0", "t1", "t2"], vec!["t3", "t4", "t5"], vec!["t6"]]
        );
        assert!(run.drain(3).is_empty());
        assert!(run.drain(0).is_empty());
        assert!(
            run.add(vec![profile("t7")])
                .unwrap_err()
                .contains("after finish")
        );
        assert!(run.finish().unwrap_err().contains("twice"));
    }

    fn pages_of(run: &mut SegmenterRun<Lazy>, max: usize) -> Vec<Vec<String>> {
        std::iter::from_fn(|| {
            let page = run.drain(max);
            assert!(page.len() <= max, "a page of {} for max {max}", page.len());
            (!page.is_empty()).then(|| page.into_iter().map(|a| a.token).collect())
        })
        .collect()
    }

    #[test]
    fn a_lazy_segmenter_pages_out_after_finish_and_is_asked_only_after_finish() {
        let ctx = RunContext {
            purpose: "analytics".into(),
            now: 0,
        };
        // "{}" asks for no surplus; every config longer by n characters makes drain write n more than asked.
        for (config, extra) in [("{}", 0), ("{ }", 1), ("{     }", 5)] {
            let mut run = SegmenterRun::<Lazy>::start(config, ctx.clone()).unwrap();
            let tokens: Vec<String> = (0..8).map(|i| format!("t{i}")).collect();
            run.add(tokens.iter().map(|t| profile(t)).collect())
                .unwrap();
            assert!(run.drain(3).is_empty(), "nothing before finish");
            assert_eq!(run.segmenter.drain_calls, 0);
            run.finish().unwrap();
            let pages = pages_of(&mut run, 3);
            let flat: Vec<String> = pages.concat();
            assert_eq!(flat, tokens, "every token once, in order (extra {extra})");
            assert!(pages[..pages.len() - 1].iter().all(|p| p.len() == 3));
            // Once the plugin's drain wrote nothing, it is not asked again.
            let calls = run.segmenter.drain_calls;
            assert!(run.drain(3).is_empty());
            assert_eq!(run.segmenter.drain_calls, calls);
        }
    }

    #[test]
    fn a_lazy_segmenter_without_profiles_drains_nothing() {
        let ctx = RunContext {
            purpose: "analytics".into(),
            now: 0,
        };
        let mut run = SegmenterRun::<Lazy>::start("{}", ctx).unwrap();
        run.finish().unwrap();
        assert!(pages_of(&mut run, 10).is_empty());
    }
}
