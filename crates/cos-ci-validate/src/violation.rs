//! Validation failures: every violation names the parameter, the value, what is allowed and
//! the COS error code a server answers with.

use crate::ErrorCode;

/// One parameter that is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The parameter's wire name (or `ci-process`).
    pub param: String,
    /// The offending value as received or set (empty when missing).
    pub value: String,
    /// What is allowed, e.g. `an integer in 0..=5`.
    pub allowed: String,
    /// The error code a COS server answers with.
    pub code: ErrorCode,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: missing, expected {}", self.param, self.allowed)
        } else {
            write!(
                f,
                "{}: {:?} is not allowed, expected {}",
                self.param, self.value, self.allowed
            )
        }
    }
}

/// All violations found in one set of parameters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameters for {operation}: {}", list(.violations))]
pub struct ValidationError {
    /// The `ci-process` name.
    pub operation: String,
    /// Every problem, in parameter order.
    pub violations: Vec<Violation>,
}

impl ValidationError {
    /// The error code to answer with: the first violation's.
    pub fn code(&self) -> ErrorCode {
        self.violations
            .first()
            .map(|v| v.code)
            .unwrap_or(ErrorCode::InvalidArgument)
    }

    /// Whether a violation names `param`.
    pub fn names(&self, param: &str) -> bool {
        self.violations.iter().any(|v| v.param == param)
    }
}

fn list(violations: &[Violation]) -> String {
    let parts: Vec<String> = violations.iter().map(Violation::to_string).collect();
    parts.join("; ")
}
