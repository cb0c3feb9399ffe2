//! Exit codes, so that scripts can tell a usage error from bad input from a failed verification.

/// Invalid input (policy, records): exit code 3.
#[derive(Debug)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Invalid {}

/// A verification failed (audit log, store integrity): exit code 4.
#[derive(Debug)]
pub struct VerificationFailed(pub String);

impl std::fmt::Display for VerificationFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for VerificationFailed {}

/// The process exit code for an error: 3 invalid input, 4 failed verification, 5 refused by the privacy rules
/// (a budget that would be overspent, an export too small or for an aggregate-only purpose), 1 otherwise.
pub fn code(err: &anyhow::Error) -> i32 {
    use cohort_outputs::OutputError;
    if let Some(e) = err.downcast_ref::<OutputError>() {
        return match e {
            OutputError::BudgetExceeded { .. }
            | OutputError::ExportTooSmall { .. }
            | OutputError::NotPerSubject { .. } => 5,
            OutputError::Invalid(_)
            | OutputError::UnknownPurpose { .. }
            | OutputError::UnknownSegment { .. }
            | OutputError::AmbiguousSegment { .. } => 3,
            _ => 1,
        };
    }
    if err.downcast_ref::<Invalid>().is_some() {
        3
    } else if err.downcast_ref::<VerificationFailed>().is_some() {
        4
    } else {
        1
    }
}
