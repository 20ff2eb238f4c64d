//! Staff presence: shifts in work zones (clock-in to clock-out) and seat stays in the
//! canteen (sitting down to leaving). Opening one sends it to contact tracing through the
//! outbox (so colleagues still on shift are traced), closing it sends its end; opening a
//! new one closes one still open (someone who forgot to clock out or to scan out of a
//! seat).

use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Interval};
use hallguard_platform::validate::new_id;
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::contact_tracing::v1::PlaceKind;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::roster;

/// Where staff presence is kept: shifts (zones) or seat stays (canteen seats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A shift in a work zone.
    Shift,
    /// A seat in the canteen.
    Seat,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Shift => "shifts",
            Kind::Seat => "seat_stays",
        }
    }

    fn columns(self) -> (&'static str, &'static str, &'static str, &'static str) {
        // (id, place, start, end)
        match self {
            Kind::Shift => ("shift_id", "zone_id", "started_at", "ended_at"),
            Kind::Seat => ("stay_id", "seat_id", "sat_at", "left_at"),
        }
    }

    fn place_kind(self) -> PlaceKind {
        match self {
            Kind::Shift => PlaceKind::Zone,
            Kind::Seat => PlaceKind::CanteenSeat,
        }
    }
}

/// A closed stretch of presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// Shift or stay id.
    pub id: String,
    /// Zone or seat.
    pub place_id: String,
}

/// Opens presence of `kind` at `place_id`; the same key returns the first id.
pub async fn open(
    pool: &AnyPool,
    kind: Kind,
    site_id: &str,
    staff_id: &str,
    place_id: &str,
    at: i64,
    key: &str,
) -> Result<String> {
    let (id_column, place_column, start_column, _) = kind.columns();
    let table = kind.table();
    if let Some(row) = sqlx::query(&format!(
        "SELECT {id_column} AS id FROM {table} WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await?
    {
        return Ok(row.try_get("id")?);
    }
    let mut transaction = begin_write(pool).await?;
    roster::get(&mut *transaction, site_id, staff_id, "staff_id").await?;
    close_open(&mut transaction, kind, site_id, staff_id, at).await?;
    let id = new_id(match kind {
        Kind::Shift => "shift",
        Kind::Seat => "seat",
    });
    sqlx::query(&format!(
        "INSERT INTO {table} ({id_column}, idempotency_key, site_id, staff_id, {place_column}, {start_column})
         VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&id)
    .bind(key)
    .bind(site_id)
    .bind(staff_id)
    .bind(place_id)
    .bind(at)
    .execute(&mut *transaction)
    .await?;
    outbound::ingest_presence(
        &mut transaction,
        site_id,
        &[Interval {
            person_kind: PersonKind::Staff,
            person_id: staff_id.to_string(),
            kind: kind.place_kind(),
            place_id: place_id.to_string(),
            start: at,
            end: None,
            source_event_id: format!("staff-health/{table}/{id}"),
            queue_position: 0,
        }],
    )
    .await?;
    transaction.commit().await?;
    Ok(id)
}

/// Closes the staff member's open presence of `kind` at `at`.
pub async fn close(pool: &AnyPool, kind: Kind, site_id: &str, staff_id: &str, at: i64) -> Result<Closed> {
    let mut transaction = begin_write(pool).await?;
    roster::get(&mut *transaction, site_id, staff_id, "staff_id").await?;
    let closed = close_open(&mut transaction, kind, site_id, staff_id, at)
        .await?
        .ok_or_else(|| {
            ServiceError::precondition(match kind {
                Kind::Shift => format!("{staff_id} is not clocked in"),
                Kind::Seat => format!("{staff_id} is not seated"),
            })
        })?;
    transaction.commit().await?;
    Ok(closed)
}

async fn close_open(
    transaction: &mut Transaction<'_, Any>,
    kind: Kind,
    site_id: &str,
    staff_id: &str,
    at: i64,
) -> Result<Option<Closed>> {
    let (id_column, place_column, start_column, end_column) = kind.columns();
    let table = kind.table();
    let Some(row) = sqlx::query(&format!(
        "SELECT {id_column} AS id, {place_column} AS place, {start_column} AS start FROM {table}
         WHERE site_id = $1 AND staff_id = $2 AND {end_column} IS NULL"
    ))
    .bind(site_id)
    .bind(staff_id)
    .fetch_optional(&mut **transaction)
    .await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let place_id: String = row.try_get("place")?;
    let start: i64 = row.try_get("start")?;
    let end = at.max(start);
    sqlx::query(&format!(
        "UPDATE {table} SET {end_column} = $1 WHERE {id_column} = $2"
    ))
    .bind(end)
    .bind(&id)
    .execute(&mut **transaction)
    .await?;
    outbound::ingest_presence(
        transaction,
        site_id,
        &[Interval {
            person_kind: PersonKind::Staff,
            person_id: staff_id.to_string(),
            kind: kind.place_kind(),
            place_id: place_id.clone(),
            start,
            end: Some(end),
            source_event_id: format!("staff-health/{table}/{id}"),
            queue_position: 0,
        }],
    )
    .await?;
    Ok(Some(Closed { id, place_id }))
}
