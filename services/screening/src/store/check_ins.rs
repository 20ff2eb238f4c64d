//! Checks at the entrance gates, with the queue counter per gate and local day.

use hallguard_platform::error::Result;
use hallguard_platform::sealing::{SealedColumns, Sealer};
use sqlx::{Any, AnyPool, Transaction};

use super::corrupt;
use crate::decision::{CodeColour, Outcome, Reason};
use crate::model::{CheckInRecord, UnknownValue};

#[derive(sqlx::FromRow)]
struct CheckInRow {
    check_in_id: String,
    gate_id: String,
    visit_id: Option<String>,
    decision: String,
    reasons_json: String,
    rules_version: String,
    queue_position: i64,
    person_id: String,
    incident_source_event_id: Option<String>,
    remeasurement_of: Option<String>,
    checked_at: i64,
    temperature_celsius: f64,
}

fn outcome(name: &str) -> std::result::Result<Outcome, sqlx::Error> {
    Outcome::from_name(name).ok_or_else(|| {
        corrupt(UnknownValue {
            column: "decision",
            value: name.to_string(),
        })
    })
}

fn reasons(json: &str) -> std::result::Result<Vec<Reason>, sqlx::Error> {
    let names: Vec<String> = serde_json::from_str(json).map_err(corrupt)?;
    names
        .iter()
        .map(|name| {
            Reason::from_name(name).ok_or_else(|| {
                corrupt(UnknownValue {
                    column: "reasons_json",
                    value: name.clone(),
                })
            })
        })
        .collect()
}

impl TryFrom<CheckInRow> for CheckInRecord {
    type Error = sqlx::Error;

    fn try_from(row: CheckInRow) -> std::result::Result<Self, Self::Error> {
        Ok(CheckInRecord {
            outcome: outcome(&row.decision)?,
            reasons: reasons(&row.reasons_json)?,
            queue_position: u32::try_from(row.queue_position).map_err(corrupt)?,
            check_in_id: row.check_in_id,
            gate_id: row.gate_id,
            visit_id: row.visit_id,
            rules_version: row.rules_version,
            person_id: row.person_id,
            incident_source_event_id: row.incident_source_event_id,
            remeasurement_of: row.remeasurement_of,
            at: row.checked_at,
            temperature_celsius: row.temperature_celsius,
        })
    }
}

/// The check a retry key answered, if any.
pub async fn by_key(pool: &AnyPool, key: &str) -> Result<Option<CheckInRecord>> {
    let row: Option<CheckInRow> = sqlx::query_as(
        "SELECT check_in_id, gate_id, visit_id, decision, reasons_json, rules_version, queue_position,
                person_id, incident_source_event_id, remeasurement_of, checked_at, temperature_celsius
         FROM check_ins WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(CheckInRecord::try_from).transpose()?)
}

/// The person's first suspected check in the hall on a local day, if any: its id and
/// queue place (a later suspected reading that day re-measures it).
pub async fn first_suspicion_of_day(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    person_id: &str,
    local_day: i64,
) -> Result<Option<(String, u32)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT check_in_id, queue_position FROM check_ins
         WHERE site_id = $1 AND person_id = $2 AND local_day = $3 AND decision = $4
           AND remeasurement_of IS NULL
         ORDER BY checked_at, check_in_id LIMIT 1",
    )
    .bind(site_id)
    .bind(person_id)
    .bind(local_day)
    .bind(Outcome::SuspectedCase.name())
    .fetch_optional(&mut **transaction)
    .await?;
    row.map(|(id, position)| Ok((id, u32::try_from(position).map_err(corrupt)?)))
        .transpose()
}

/// The next place in a gate's queue on a local day (the counter row stays locked until
/// the transaction ends, so concurrent check-ins queue up).
pub async fn next_queue_position(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    gate_id: &str,
    local_day: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO gate_queues (site_id, gate_id, local_day, last_position) VALUES ($1, $2, $3, 1)
         ON CONFLICT (site_id, gate_id, local_day) DO UPDATE SET last_position = gate_queues.last_position + 1
         RETURNING last_position",
    )
    .bind(site_id)
    .bind(gate_id)
    .bind(local_day)
    .fetch_one(&mut **transaction)
    .await?)
}

/// What is stored of a check besides its record.
#[derive(Debug, Clone)]
pub struct CheckDetails<'a> {
    /// The hall.
    pub site_id: &'a str,
    /// The retry key.
    pub idempotency_key: &'a str,
    /// The local day of the check.
    pub local_day: i64,
    /// Name for the duty desk.
    pub display_name: &'a str,
    /// Colour shown.
    pub colour: CodeColour,
    /// Mask worn.
    pub mask_worn: bool,
}

/// The sealed column: the name a health code shows.
pub const SEALED: SealedColumns = SealedColumns {
    table: "check_ins",
    key: &["check_in_id"],
    columns: &["display_name"],
};

/// The latest name a visitor's check-ins gave in a hall, sealed, and when.
pub async fn latest_name(pool: &AnyPool, site_id: &str, person_id: &str) -> Result<Option<(String, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT display_name, checked_at FROM check_ins
         WHERE site_id = $1 AND person_id = $2 AND display_name <> ''
         ORDER BY checked_at DESC LIMIT 1",
    )
    .bind(site_id)
    .bind(person_id)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// Stores a visitor's check.
pub async fn insert(
    transaction: &mut Transaction<'_, Any>,
    sealer: &Sealer,
    record: &CheckInRecord,
    details: &CheckDetails<'_>,
) -> Result<()> {
    let reasons: Vec<&str> = record.reasons.iter().map(|reason| reason.name()).collect();
    sqlx::query(
        "INSERT INTO check_ins (check_in_id, idempotency_key, site_id, gate_id, local_day, queue_position,
             person_kind, person_id, display_name, temperature_celsius, health_code_colour, mask_worn, decision,
             reasons_json, rules_version, visit_id, incident_source_event_id, remeasurement_of, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'visitor', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&record.check_in_id)
    .bind(details.idempotency_key)
    .bind(details.site_id)
    .bind(&record.gate_id)
    .bind(details.local_day)
    .bind(i64::from(record.queue_position))
    .bind(&record.person_id)
    .bind(sealer.seal(&SEALED.context("display_name"), details.display_name))
    .bind(record.temperature_celsius)
    .bind(details.colour.name())
    .bind(i64::from(details.mask_worn))
    .bind(record.outcome.name())
    .bind(serde_json::to_string(&reasons).map_err(corrupt)?)
    .bind(&record.rules_version)
    .bind(&record.visit_id)
    .bind(&record.incident_source_event_id)
    .bind(&record.remeasurement_of)
    .bind(record.at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// What the gate statistics count of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSummary {
    /// The gate.
    pub gate_id: String,
    /// When, epoch ms.
    pub checked_at: i64,
    /// The decision.
    pub outcome: Outcome,
    /// Its reasons.
    pub reasons: Vec<Reason>,
    /// °C.
    pub temperature_celsius: f64,
    /// Whether it re-measured a person already suspected that day.
    pub remeasurement: bool,
}

/// A hall's checks in `[from, to)`.
pub async fn summaries(pool: &AnyPool, site_id: &str, from: i64, to: i64) -> Result<Vec<CheckSummary>> {
    #[derive(sqlx::FromRow)]
    struct SummaryRow {
        gate_id: String,
        checked_at: i64,
        decision: String,
        reasons_json: String,
        temperature_celsius: f64,
        remeasurement_of: Option<String>,
    }
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT gate_id, checked_at, decision, reasons_json, temperature_celsius, remeasurement_of FROM check_ins
         WHERE site_id = $1 AND checked_at >= $2 AND checked_at < $3",
    )
    .bind(site_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(CheckSummary {
                outcome: outcome(&row.decision)?,
                reasons: reasons(&row.reasons_json)?,
                gate_id: row.gate_id,
                checked_at: row.checked_at,
                temperature_celsius: row.temperature_celsius,
                remeasurement: row.remeasurement_of.is_some(),
            })
        })
        .collect()
}
