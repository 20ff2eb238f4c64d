//! The error type the services' handlers share, and its one mapping to `tonic::Status`.

use crate::status::{self, FieldViolation};

/// What can go wrong in a service call.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
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
    /// A peer service this call needs is down; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// The caller may not do this, whatever its role allows (an approval by someone not
    /// in the approving group).
    #[error("{0}")]
    Forbidden(String),
    /// The request names a hall outside the caller's jurisdiction.
    #[error(transparent)]
    OutsideJurisdiction(#[from] crate::jurisdiction::OutsideJurisdiction),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl ServiceError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(FieldViolation::new(field, description))
    }

    /// The state does not allow the request.
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::FailedPrecondition(message.into())
    }

    /// Something named by a field does not exist.
    pub fn not_found(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::NotFound(FieldViolation::new(field, description))
    }
}

impl From<ServiceError> for tonic::Status {
    fn from(error: ServiceError) -> Self {
        match &error {
            ServiceError::Invalid(violation) => status::invalid_argument(violation),
            ServiceError::NotFound(violation) => status::not_found(violation),
            ServiceError::FailedPrecondition(message) => status::failed_precondition(message.clone()),
            ServiceError::Unavailable(message) => tonic::Status::unavailable(message.clone()),
            ServiceError::Forbidden(message) => tonic::Status::permission_denied(message.clone()),
            ServiceError::OutsideJurisdiction(outside) => outside.clone().into(),
            ServiceError::Database(cause) => status::from_sqlx(cause),
        }
    }
}

/// Shorthand for handler results.
pub type Result<T> = std::result::Result<T, ServiceError>;
