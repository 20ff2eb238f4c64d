//! Quarantine holds, placed and lifted by the incident service (a close contact under
//! follow-up): a held person is refused at every gate until the hold is lifted.

use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{PersonKind, PersonRef};
use hallguard_proto::screening::v1 as pb;
use sqlx::{AnyPool, Row};

use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;

/// Whether a hold is in force for the person.
pub async fn active<'c, E>(executor: E, site_id: &str, person_id: &str) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT COUNT(*) AS holds FROM quarantine_holds WHERE site_id = $1 AND person_id = $2 AND lifted_at IS NULL",
    )
    .bind(site_id)
    .bind(person_id)
    .fetch_one(executor)
    .await?;
    let holds: i64 = row.try_get("holds")?;
    Ok(holds > 0)
}

const COLUMNS: &str = "hold_id, site_id, person_kind, person_id, incident_id, reason, placed_at, lifted_at";

fn hold_from_row(row: &sqlx::any::AnyRow) -> Result<pb::QuarantineHold> {
    let kind: String = row.try_get("person_kind")?;
    let lifted_at: Option<i64> = row.try_get("lifted_at")?;
    Ok(pb::QuarantineHold {
        hold_id: row.try_get("hold_id")?,
        person: Some(PersonRef {
            site_id: row.try_get("site_id")?,
            kind: PersonKind::from_str_name(&kind).unwrap_or(PersonKind::Unspecified) as i32,
            person_id: row.try_get("person_id")?,
        }),
        incident_id: row.try_get("incident_id")?,
        reason: row.try_get("reason")?,
        placed_at: Some(millis_to_timestamp(row.try_get("placed_at")?)),
        lifted_at: lifted_at.map(millis_to_timestamp),
    })
}

/// One hold.
pub async fn get(pool: &AnyPool, hold_id: &str) -> Result<pb::QuarantineHold> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds WHERE hold_id = $1"
    ))
    .bind(hold_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("hold_id", "no such hold"))?;
    hold_from_row(&row)
}

/// Places a hold; the same idempotency key returns the first hold.
pub async fn place(
    pool: &AnyPool,
    person: &PersonRef,
    incident_id: &str,
    reason: &str,
    key: &str,
    at: i64,
) -> Result<pb::QuarantineHold> {
    let hold_id = new_id("hold");
    let kind = PersonKind::try_from(person.kind).unwrap_or(PersonKind::Unspecified);
    let inserted = sqlx::query(
        "INSERT INTO quarantine_holds (hold_id, idempotency_key, site_id, person_kind, person_id, incident_id, reason, placed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&hold_id)
    .bind(key)
    .bind(&person.site_id)
    .bind(kind.as_str_name())
    .bind(&person.person_id)
    .bind(incident_id)
    .bind(reason)
    .bind(at)
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return get(pool, &hold_id).await;
    }
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_one(pool)
    .await?;
    hold_from_row(&row)
}

/// Lifts a hold, named by its id or by the idempotency key it was placed with (a peer
/// that placed it through its outbox never saw the id); lifting twice keeps the first.
pub async fn lift(pool: &AnyPool, hold_id: &str, reason: &str, at: i64) -> Result<pb::QuarantineHold> {
    let hold_id =
        match sqlx::query("SELECT hold_id FROM quarantine_holds WHERE hold_id = $1 OR idempotency_key = $1")
            .bind(hold_id)
            .fetch_optional(pool)
            .await?
        {
            Some(row) => row.try_get::<String, _>("hold_id")?,
            None => return Err(ServiceError::not_found("hold_id", "no such hold")),
        };
    let hold_id = hold_id.as_str();
    sqlx::query("UPDATE quarantine_holds SET lifted_at = $1, lift_reason = $2 WHERE hold_id = $3 AND lifted_at IS NULL")
        .bind(at)
        .bind(reason)
        .bind(hold_id)
        .execute(pool)
        .await?;
    get(pool, hold_id).await
}

/// A page of a hall's holds, newest first.
pub async fn list(
    pool: &AnyPool,
    site_id: &str,
    active_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<pb::QuarantineHold>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM quarantine_holds
         WHERE site_id = $1 AND ($2 = 0 OR lifted_at IS NULL)
         ORDER BY placed_at DESC, hold_id LIMIT $3 OFFSET $4"
    ))
    .bind(site_id)
    .bind(i64::from(active_only))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(hold_from_row).collect()
}
