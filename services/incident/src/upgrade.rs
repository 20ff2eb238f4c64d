//! Carrying data written by earlier versions over to the current tables, at start and
//! before serving: incidents opened before migration 0103 kept their readings and
//! summary only inside a base64 protobuf (`opened_request`); they get columns of their
//! own. Idempotent: a row is done once its readings are stored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hallguard_proto::incident::v1 as pb;
use prost::Message;
use sqlx::AnyPool;

use crate::convert;
use crate::model::Reading;
use crate::store::incidents;

/// An `opened_request` that does not decode: the row is left as it is and the service
/// does not start, rather than show the incident without its readings.
#[derive(Debug, thiserror::Error)]
#[error("incident {incident_id}: opened_request is not a base64 OpenIncidentRequest")]
pub struct UndecodableIncident {
    /// The incident.
    pub incident_id: String,
}

/// Carries every row not yet carried over; returns how many.
pub async fn carry_over_incidents(pool: &AnyPool) -> Result<usize, sqlx::Error> {
    let rows = incidents::awaiting_upgrade(pool).await?;
    for (incident_id, encoded) in &rows {
        let request = BASE64
            .decode(encoded)
            .ok()
            .and_then(|bytes| pb::OpenIncidentRequest::decode(bytes.as_slice()).ok())
            .ok_or_else(|| {
                sqlx::Error::Decode(Box::new(UndecodableIncident {
                    incident_id: incident_id.clone(),
                }))
            })?;
        let readings: Vec<Reading> = request.readings.iter().map(convert::reading).collect();
        incidents::complete_upgrade(pool, incident_id, &readings, &request.summary).await?;
    }
    if !rows.is_empty() {
        tracing::info!(
            incidents = rows.len(),
            "incidents carried over to readings and summary columns"
        );
    }
    Ok(rows.len())
}
