//! An operation's own error codes (`errors:`), its `max_rules` and the error its stand-in
//! answers for a flat-colour image (`mock.flat_image_error`).

use super::*;

/// What [`op_errors`] hands the operation's IR.
pub struct OpErrors {
    /// The operation's own codes, in file order.
    pub errors: Vec<ir::OpError>,
    /// Its `max_rules`, else the service's.
    pub max_rules: u32,
    /// The code the stand-in answers for a flat-colour image.
    pub flat_image_error: Option<String>,
}

/// Whether `code` is an error code: dot-separated words of letters and digits, each starting
/// with an uppercase letter (`FailedOperation.NoObjectDetected`).
fn is_code(code: &str) -> bool {
    code.split('.').all(|word| {
        word.starts_with(|ch: char| ch.is_ascii_uppercase())
            && word.chars().all(|ch| ch.is_ascii_alphanumeric())
    })
}

/// Checks `errors`, `max_rules` and `mock.flat_image_error` of `op`.
pub fn op_errors(
    c: &mut Checker<'_>,
    op: &model::Operation,
    service: Option<&ir::Service>,
) -> OpErrors {
    let mut errors: Vec<ir::OpError> = Vec::new();
    for (code, def) in &op.errors {
        let path = format!("errors.{code}");
        if !is_code(code) {
            c.error(
                &path,
                format!("`{code}` is not an error code: dot-separated words of letters and digits, each starting with an uppercase letter"),
            );
            continue;
        }
        // One code, one meaning: a client reading `<Code>` must not have to ask which
        // operation answered to know its status.
        if service.is_some_and(|s| s.errors.iter().any(|(c, ..)| c == code)) {
            c.error(
                &path,
                format!("`{code}` is a code of service.yaml's `errors`; an operation declares only codes of its own"),
            );
            continue;
        }
        if !(300..=599).contains(&def.status) {
            c.error(
                &format!("{path}.status"),
                format!("{} is not an error status (300 to 599)", def.status),
            );
        }
        let variant: String = code.split('.').collect();
        if let Some(other) = errors.iter().find(|e| e.variant == variant) {
            c.error(
                &path,
                format!(
                    "`{code}` and `{}` give the same Rust variant `{variant}`",
                    other.code
                ),
            );
            continue;
        }
        errors.push(ir::OpError {
            code: code.clone(),
            variant,
            status: def.status,
            message: def.message.trim().to_string(),
        });
    }
    let service_max = service.map_or(u32::MAX, |s| s.max_rules);
    let max_rules = match op.max_rules {
        Some(n) if n == 0 || n > service_max => {
            c.error(
                "max_rules",
                format!("`max_rules` must be 1 to {service_max} (service.yaml's pic_operations.max_rules)"),
            );
            service_max
        }
        Some(n) => n,
        None => service_max,
    };
    let flat_image_error = op.mock.flat_image_error.clone();
    if let Some(code) = &flat_image_error {
        if !errors.iter().any(|e| &e.code == code) {
            c.error(
                "mock.flat_image_error",
                format!("`{code}` is not one of the operation's `errors`"),
            );
        }
    }
    OpErrors {
        errors,
        max_rules,
        flat_image_error,
    }
}
