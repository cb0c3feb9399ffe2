//! Integration tests of cohort-plugin-package, in one test binary so that it is linked once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

mod common;
mod manifests;
mod signing;
mod tamper;
mod trust;
