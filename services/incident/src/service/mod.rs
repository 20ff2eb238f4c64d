//! The incident service's gRPC handlers, one file per gRPC service: [`incidents`] (the
//! response, its steps, tasks, audit, contacts and the duty desk) and [`hygiene`]
//! (disinfection rounds, supplies, thermometers). Each handler checks its request, calls
//! the module that owns the transaction and answers.

mod hygiene;
mod incidents;

pub use hygiene::HygieneService;
pub use incidents::IncidentService;

use hallguard_platform::error::{Result, ServiceError};

pub(crate) fn date(text: &str) -> Result<String> {
    hallguard_domain::time::parse_date(text)
        .map(hallguard_domain::time::format_date)
        .ok_or_else(|| ServiceError::invalid("date", "must be a date YYYY-MM-DD"))
}
