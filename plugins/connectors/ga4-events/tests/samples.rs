//! Data-driven tests over `samples/`: every sample export, whole and cut into chunks, must give exactly its
//! expected records and diagnostics, valid against the record schema and the manifest. The harness is
//! `cohort_plugin_kit::testing`, shared by every connector; adding a case is adding files.

cohort_plugin_kit::sample_tests!(ga4_events::Ga4Events);
