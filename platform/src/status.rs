//! Building `tonic::Status` values the same way everywhere: bad input names its field in
//! a google.rpc.BadRequest field violation; internal failures are logged here and sent to
//! the client without their details.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {description}")]
pub struct FieldViolation {
    /// Path of the field, e.g. `visitor.health_code.id_number`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`. Both texts are cut to [`MAX_VIOLATION_CHARS`]: a
    /// description may quote the caller's value, and a quoted 70 KB value would not fit
    /// in the response headers (the client would see a broken call, not the error).
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: shortened(field.into()),
            description: shortened(description.into()),
        }
    }
}

/// Longest field path or description sent back to a client, in characters.
pub const MAX_VIOLATION_CHARS: usize = 200;

fn shortened(text: String) -> String {
    match text.char_indices().nth(MAX_VIOLATION_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// INVALID_ARGUMENT with a BadRequest detail naming the field.
pub fn invalid_argument(violation: &FieldViolation) -> Status {
    with_field(Code::InvalidArgument, violation)
}

/// NOT_FOUND naming the field that referred to the missing thing.
pub fn not_found(violation: &FieldViolation) -> Status {
    with_field(Code::NotFound, violation)
}

/// FAILED_PRECONDITION: the request is well-formed but the state forbids it.
pub fn failed_precondition(message: impl Into<String>) -> Status {
    Status::new(Code::FailedPrecondition, message)
}

/// INTERNAL, with the cause logged and kept from the client.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %cause, "internal error");
    Status::internal("internal error; see the server log")
}

/// UNAVAILABLE for a database that cannot be reached or is busy; INVALID_ARGUMENT for
/// text the database cannot store (PostgreSQL refuses NUL characters, SQLSTATE 22021):
/// the checks at the edge refuse those naming the field, this is the net below them.
pub fn from_sqlx(error: &sqlx::Error) -> Status {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::warn!(%error, "database unavailable");
            Status::unavailable("database unavailable, retry later")
        }
        sqlx::Error::Database(database) if database.code().as_deref() == Some("22021") => {
            Status::invalid_argument("a text field holds a character that cannot be stored (NUL)")
        }
        other => internal(other),
    }
}

fn with_field(code: Code, violation: &FieldViolation) -> Status {
    Status::with_error_details(
        code,
        violation.to_string(),
        ErrorDetails::with_bad_request_violation(violation.field.clone(), violation.description.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_huge_value_is_cut_short() {
        let huge = "测".repeat(70_000);
        let violation = FieldViolation::new(format!("isolated_at[{huge}]"), format!("no hall {huge:?}"));
        assert_eq!(violation.field.chars().count(), MAX_VIOLATION_CHARS + 1);
        assert!(violation.description.ends_with('…'));
        assert_eq!(FieldViolation::new("site_id", "is empty").description, "is empty");
    }

    #[test]
    fn invalid_argument_carries_the_field_in_details() {
        let status = invalid_argument(&FieldViolation::new("temperature_celsius", "must be 30-45"));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad_request = details.bad_request().unwrap();
        assert_eq!(bad_request.field_violations[0].field, "temperature_celsius");
    }
}
