//! Readings from thermometers reported broken. The incident service's hygiene desk
//! records a thermometer's status and sends it here through its outbox; a check whose
//! reading came from one reported broken is not decided on that reading: it is refused
//! (measure again with another thermometer), the reading kept as untrusted (no person)
//! for the gate statistics, and the duty desk told.

use hallguard_domain::hall::Hall;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate;
use hallguard_proto::screening::v1 as pb;
use sqlx::AnyPool;

use crate::store::thermometers::{self, UntrustedReading};

/// The thermometer that took a reading at `gate_id`: the one named, or the gate's own.
pub fn of_reading(hall: &Hall, gate_id: &str, named: &str) -> Result<Option<String>> {
    if !named.trim().is_empty() {
        let id = validate::required(named, "thermometer_id")?;
        if id.len() > 64 {
            return Err(ServiceError::invalid(
                "thermometer_id",
                "is longer than 64 characters",
            ));
        }
        return Ok(Some(id.to_string()));
    }
    Ok(hall
        .gates
        .iter()
        .find(|gate| gate.id == gate_id)
        .and_then(|gate| gate.thermometer_id.clone()))
}

/// What a check's reading was taken with.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// The check's scoped retry key.
    pub idempotency_key: &'a str,
    /// The gate.
    pub gate_id: &'a str,
    /// The thermometer.
    pub thermometer_id: &'a str,
    /// °C.
    pub temperature_celsius: f64,
    /// When, epoch ms.
    pub read_at: i64,
}

/// When the reading's thermometer is reported broken: keeps the reading as untrusted
/// and answers it for the duty desk.
pub async fn untrusted(
    pool: &AnyPool,
    hall: &Hall,
    reading: Reading<'_>,
) -> Result<Option<pb::UntrustedReading>> {
    let Some(status) = thermometers::status(pool, &hall.site_id, reading.thermometer_id).await? else {
        return Ok(None);
    };
    if status.working != 0 {
        return Ok(None);
    }
    thermometers::record_untrusted(
        pool,
        &UntrustedReading {
            idempotency_key: reading.idempotency_key,
            site_id: &hall.site_id,
            gate_id: reading.gate_id,
            thermometer_id: reading.thermometer_id,
            temperature_celsius: reading.temperature_celsius,
            read_at: reading.read_at,
        },
    )
    .await?;
    Ok(Some(pb::UntrustedReading {
        gate_id: reading.gate_id.to_string(),
        thermometer_id: reading.thermometer_id.to_string(),
        temperature_celsius: reading.temperature_celsius,
        read_at: Some(millis_to_timestamp(reading.read_at)),
        note: status.note,
    }))
}

/// The refusal the gate gets: measure again with another thermometer.
pub fn refusal(untrusted: &pb::UntrustedReading) -> ServiceError {
    let why = if untrusted.note.is_empty() {
        String::new()
    } else {
        format!(" ({})", untrusted.note)
    };
    ServiceError::precondition(format!(
        "thermometer_id: {} is reported broken{why}; its reading is not used: measure again with \
         another thermometer and name it in thermometer_id",
        untrusted.thermometer_id
    ))
}
