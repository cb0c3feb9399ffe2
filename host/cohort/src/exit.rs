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

/// The process exit code for an error.
pub fn code(err: &anyhow::Error) -> i32 {
    if err.downcast_ref::<Invalid>().is_some() {
        3
    } else if err.downcast_ref::<VerificationFailed>().is_some() {
        4
    } else {
        1
    }
}
