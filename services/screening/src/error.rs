//! The screening error type and its one mapping to `tonic::Status`.

use hallguard_platform::status::{self, FieldViolation};

/// What can go wrong in a screening call.
#[derive(Debug, thiserror::Error)]
pub enum ScreeningError {
    /// A request field is invalid.
    #[error("invalid {0}")]
    Invalid(FieldViolation),
    /// A request names something that does not exist (site, gate, zone, record).
    #[error("not found: {0}")]
    NotFound(FieldViolation),
    /// The request is well formed but the state does not allow it (e.g. checking out at
    /// an entrance gate, or without an open visit).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl ScreeningError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(FieldViolation::new(field, description))
    }

    /// Something named by a field does not exist.
    pub fn not_found(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::NotFound(FieldViolation::new(field, description))
    }
}

impl From<ScreeningError> for tonic::Status {
    fn from(error: ScreeningError) -> Self {
        match &error {
            ScreeningError::Invalid(violation) => status::invalid_argument(violation),
            ScreeningError::NotFound(violation) => status::not_found(violation),
            ScreeningError::FailedPrecondition(message) => status::failed_precondition(message.clone()),
            ScreeningError::Database(cause) => status::from_sqlx(cause),
        }
    }
}

/// Shorthand for handler results.
pub type Result<T> = std::result::Result<T, ScreeningError>;
