//! Quarantine holds as stored.

use hallguard_domain::person::Person;
use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool};

use super::corrupt;
use crate::model::QuarantineHold;

#[derive(sqlx::FromRow)]
struct HoldRow {
    hold_id: String,
    site_id: String,
    person_kind: String,
    person_id: String,
    incident_id: String,
    reason: String,
    placed_at: i64,
    lifted_at: Option<i64>,
    ends_at: Option<i64>,
}

impl TryFrom<HoldRow> for QuarantineHold {
    type Error = sqlx::Error;

    fn try_from(row: HoldRow) -> std::result::Result<Self, Self::Error> {
        Ok(QuarantineHold {
            hold_id: row.hold_id,
            person: Person {
                site_id: row.site_id,
                kind: row.person_kind.parse().map_err(corrupt)?,
                person_id: row.person_id,
            },
            incident_id: row.incident_id,
            reason: row.reason,
            placed_at: row.placed_at,
            lifted_at: row.lifted_at,
            ends_at: row.ends_at,
        })
    }
}

const COLUMNS: &str =
    "hold_id, site_id, person_kind, person_id, incident_id, reason, placed_at, lifted_at, ends_at";

/// Whether a hold is in force for the person at `now` (not lifted, its period not over).
pub async fn active<'c, E>(executor: E, site_id: &str, person_id: &str, now: i64) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let holds: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM quarantine_holds
         WHERE site_id = $1 AND person_id = $2 AND lifted_at IS NULL AND (ends_at IS NULL OR ends_at > $3)",
    )
    .bind(site_id)
    .bind(person_id)
    .bind(now)
    .fetch_one(executor)
    .await?;
    Ok(holds > 0)
}

/// Lifts every hold whose quarantine period ended by `now` (at its end, "quarantine
/// period ended") and returns them.
pub async fn end_due(pool: &AnyPool, now: i64) -> Result<Vec<QuarantineHold>> {
    let rows: Vec<HoldRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds WHERE lifted_at IS NULL AND ends_at IS NOT NULL AND ends_at <= $1"
    ))
    .bind(now)
    .fetch_all(pool)
    .await?;
    let mut ended = Vec::new();
    for row in rows {
        let mut hold = QuarantineHold::try_from(row)?;
        let at = hold.ends_at.unwrap_or(now);
        // Only if still open: a lift or an extension meanwhile wins.
        let changed = sqlx::query(
            "UPDATE quarantine_holds SET lifted_at = $1, lift_reason = 'quarantine period ended'
             WHERE hold_id = $2 AND lifted_at IS NULL AND ends_at = $1",
        )
        .bind(at)
        .bind(&hold.hold_id)
        .execute(pool)
        .await?
        .rows_affected();
        if changed > 0 {
            hold.lifted_at = Some(at);
            ended.push(hold);
        }
    }
    Ok(ended)
}

/// Moves a hold's end later, with the reason.
pub async fn extend(pool: &AnyPool, hold_id: &str, ends_at: i64, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE quarantine_holds SET ends_at = $1, extension_reason = $2 WHERE hold_id = $3 AND lifted_at IS NULL",
    )
    .bind(ends_at)
    .bind(reason)
    .bind(hold_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// One hold, by its id or by the idempotency key it was placed with.
pub async fn get(pool: &AnyPool, id_or_key: &str) -> Result<QuarantineHold> {
    let row: HoldRow = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds WHERE hold_id = $1 OR idempotency_key = $1"
    ))
    .bind(id_or_key)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("hold_id", "no such hold"))?;
    Ok(QuarantineHold::try_from(row)?)
}

/// Stores a hold unless its key placed one already; returns the hold under the key.
pub async fn place(
    pool: &AnyPool,
    person: &Person,
    incident_id: &str,
    reason: &str,
    key: &str,
    at: i64,
    ends_at: i64,
) -> Result<QuarantineHold> {
    sqlx::query(
        "INSERT INTO quarantine_holds (hold_id, idempotency_key, site_id, person_kind, person_id, incident_id, reason, placed_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(new_id("hold"))
    .bind(key)
    .bind(&person.site_id)
    .bind(person.kind.as_str())
    .bind(&person.person_id)
    .bind(incident_id)
    .bind(reason)
    .bind(at)
    .bind(ends_at)
    .execute(pool)
    .await?;
    let row: HoldRow = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_one(pool)
    .await?;
    Ok(QuarantineHold::try_from(row)?)
}

/// Lifts a hold (lifting twice keeps the first).
pub async fn lift(pool: &AnyPool, hold_id: &str, reason: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE quarantine_holds SET lifted_at = $1, lift_reason = $2 WHERE hold_id = $3 AND lifted_at IS NULL")
        .bind(at)
        .bind(reason)
        .bind(hold_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A page of a hall's holds, newest first; `active_only`: those in force at `now`.
pub async fn list(
    pool: &AnyPool,
    site_id: &str,
    active_only: bool,
    now: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<QuarantineHold>> {
    let rows: Vec<HoldRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds
         WHERE site_id = $1 AND ($2 = 0 OR (lifted_at IS NULL AND (ends_at IS NULL OR ends_at > $5)))
         ORDER BY placed_at DESC, hold_id LIMIT $3 OFFSET $4"
    ))
    .bind(site_id)
    .bind(i64::from(active_only))
    .bind(limit)
    .bind(offset)
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, QuarantineHold>(rows)?)
}
