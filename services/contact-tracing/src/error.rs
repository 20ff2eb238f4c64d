//! The contact-tracing error type and its one mapping to `tonic::Status`.

use hallguard_platform::status::{self, FieldViolation};

/// What can go wrong in a contact-tracing call.
#[derive(Debug, thiserror::Error)]
pub enum ContactTracingError {
    /// A request field is invalid.
    #[error("invalid {0}")]
    Invalid(FieldViolation),
    /// A request names something this deployment does not know (e.g. a site).
    #[error("not found: {0}")]
    NotFound(FieldViolation),
    /// A request names a hall outside the caller's jurisdiction.
    #[error(transparent)]
    OutsideJurisdiction(#[from] hallguard_platform::jurisdiction::OutsideJurisdiction),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A blocking engine task failed.
    #[error("engine task: {0}")]
    Engine(String),
    /// A query stopped: its deadline or the query budget passed, or its caller left.
    #[error(transparent)]
    Cancelled(#[from] hallguard_tracing_engine::Cancelled),
}

impl ContactTracingError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(FieldViolation::new(field, description))
    }
}

impl From<ContactTracingError> for tonic::Status {
    fn from(error: ContactTracingError) -> Self {
        match &error {
            ContactTracingError::Invalid(violation) => status::invalid_argument(violation),
            ContactTracingError::NotFound(violation) => status::not_found(violation),
            ContactTracingError::OutsideJurisdiction(outside) => outside.clone().into(),
            ContactTracingError::Database(cause) => status::from_sqlx(cause),
            ContactTracingError::Engine(_) => status::internal(&error),
            ContactTracingError::Cancelled(_) => tonic::Status::deadline_exceeded(
                "the query ran past its deadline or the query budget; narrow the window or the cases",
            ),
        }
    }
}
