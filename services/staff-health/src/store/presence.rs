//! Shifts (clock-in to clock-out, in a work zone) and seat stays (sitting down to
//! leaving, at a canteen seat): one table each, the same shape.

use hallguard_platform::error::Result;
use sqlx::{Any, AnyPool, Transaction};

use crate::model::{Presence, PresenceKind};

/// The table of a kind of presence.
pub fn table(kind: PresenceKind) -> &'static str {
    match kind {
        PresenceKind::Shift => "shifts",
        PresenceKind::Seat => "seat_stays",
    }
}

/// (id, place, start, end) columns of a kind of presence.
fn columns(kind: PresenceKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        PresenceKind::Shift => ("shift_id", "zone_id", "started_at", "ended_at"),
        PresenceKind::Seat => ("stay_id", "seat_id", "sat_at", "left_at"),
    }
}

/// The presence a retry key opened, if any.
pub async fn by_key(pool: &AnyPool, kind: PresenceKind, key: &str) -> Result<Option<String>> {
    let (id_column, _, _, _) = columns(kind);
    Ok(sqlx::query_scalar(&format!(
        "SELECT {id_column} FROM {} WHERE idempotency_key = $1",
        table(kind)
    ))
    .bind(key)
    .fetch_optional(pool)
    .await?)
}

/// Opens presence.
pub async fn open(
    transaction: &mut Transaction<'_, Any>,
    kind: PresenceKind,
    presence: &Presence,
    key: &str,
    site_id: &str,
    staff_id: &str,
) -> Result<()> {
    let (id_column, place_column, start_column, _) = columns(kind);
    sqlx::query(&format!(
        "INSERT INTO {} ({id_column}, idempotency_key, site_id, staff_id, {place_column}, {start_column})
         VALUES ($1, $2, $3, $4, $5, $6)",
        table(kind)
    ))
    .bind(&presence.id)
    .bind(key)
    .bind(site_id)
    .bind(staff_id)
    .bind(&presence.place_id)
    .bind(presence.start)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The staff member's open presence of a kind, if any.
pub async fn open_one(
    transaction: &mut Transaction<'_, Any>,
    kind: PresenceKind,
    site_id: &str,
    staff_id: &str,
) -> Result<Option<Presence>> {
    #[derive(sqlx::FromRow)]
    struct PresenceRow {
        id: String,
        place: String,
        start: i64,
    }
    let (id_column, place_column, start_column, end_column) = columns(kind);
    let row: Option<PresenceRow> = sqlx::query_as(&format!(
        "SELECT {id_column} AS id, {place_column} AS place, {start_column} AS start FROM {}
         WHERE site_id = $1 AND staff_id = $2 AND {end_column} IS NULL",
        table(kind)
    ))
    .bind(site_id)
    .bind(staff_id)
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(row.map(|row| Presence {
        id: row.id,
        place_id: row.place,
        start: row.start,
    }))
}

/// Ends presence.
pub async fn close(
    transaction: &mut Transaction<'_, Any>,
    kind: PresenceKind,
    id: &str,
    end: i64,
) -> Result<()> {
    let (id_column, _, _, end_column) = columns(kind);
    sqlx::query(&format!(
        "UPDATE {} SET {end_column} = $1 WHERE {id_column} = $2",
        table(kind)
    ))
    .bind(end)
    .bind(id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Everyone clocked in at the hall now: `(staff_id, zone_id, since)`, longest on duty
/// first.
pub async fn on_duty(pool: &AnyPool, site_id: &str) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT staff_id, zone_id, started_at FROM shifts WHERE site_id = $1 AND ended_at IS NULL
         ORDER BY started_at, staff_id",
    )
    .bind(site_id)
    .fetch_all(pool)
    .await?)
}
