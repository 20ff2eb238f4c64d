//! Visits (check-in to check-out) and the zone stays within them.

use hallguard_domain::person::Person;
use hallguard_platform::error::Result;
use sqlx::{Any, AnyPool, Transaction};

use super::corrupt;
use crate::model::{ClosedVisit, VisitorInside};

#[derive(sqlx::FromRow)]
struct VisitRow {
    visit_id: String,
    checked_in_at: i64,
}

impl From<VisitRow> for ClosedVisit {
    fn from(row: VisitRow) -> Self {
        ClosedVisit {
            visit_id: row.visit_id,
            checked_in_at: row.checked_in_at,
        }
    }
}

/// The person's open visit, if any.
pub async fn open_visit(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    person_id: &str,
) -> Result<Option<ClosedVisit>> {
    let row: Option<VisitRow> = sqlx::query_as(
        "SELECT visit_id, checked_in_at FROM visits WHERE site_id = $1 AND person_id = $2 AND checked_out_at IS NULL",
    )
    .bind(site_id)
    .bind(person_id)
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(row.map(ClosedVisit::from))
}

/// A visit opened by an admitted check.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    /// Id.
    pub visit_id: &'a str,
    /// The hall.
    pub site_id: &'a str,
    /// The visitor.
    pub person_id: &'a str,
    /// The check that admitted them.
    pub check_in_id: &'a str,
    /// The entrance gate.
    pub gate_id: &'a str,
    /// When, epoch ms.
    pub at: i64,
}

/// Opens a visit.
pub async fn open(transaction: &mut Transaction<'_, Any>, visit: &NewVisit<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO visits (visit_id, site_id, person_kind, person_id, check_in_id, entrance_gate_id, checked_in_at)
         VALUES ($1, $2, 'visitor', $3, $4, $5, $6)",
    )
    .bind(visit.visit_id)
    .bind(visit.site_id)
    .bind(visit.person_id)
    .bind(visit.check_in_id)
    .bind(visit.gate_id)
    .bind(visit.at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Closes a visit at `at`, through an exit gate with a retry key, or by `closed_by`.
pub async fn close(
    transaction: &mut Transaction<'_, Any>,
    visit_id: &str,
    at: i64,
    exit: Option<(&str, &str)>,
    closed_by: &str,
) -> Result<()> {
    let (exit_gate, key) = exit.unzip();
    sqlx::query(
        "UPDATE visits SET checked_out_at = $1, exit_gate_id = $2, check_out_key = $3, closed_by = $4
         WHERE visit_id = $5",
    )
    .bind(at)
    .bind(exit_gate)
    .bind(key)
    .bind(closed_by)
    .bind(visit_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The visit a check-out retry key closed, if any.
pub async fn closed_by_key(pool: &AnyPool, key: &str) -> Result<Option<ClosedVisit>> {
    let row: Option<VisitRow> =
        sqlx::query_as("SELECT visit_id, checked_in_at FROM visits WHERE check_out_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(ClosedVisit::from))
}

/// Closes every open visit of the hall at `at` (or at its start, if later) except of
/// those still in a zone; returns how many.
pub async fn close_all_at_closing(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    at: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE visits SET checked_out_at = CASE WHEN checked_in_at > $1 THEN checked_in_at ELSE $1 END,
                closed_by = 'closing'
         WHERE site_id = $2 AND checked_out_at IS NULL
           AND person_id NOT IN (SELECT person_id FROM zone_stays WHERE site_id = $2 AND left_at IS NULL)",
    )
    .bind(at)
    .bind(site_id)
    .execute(&mut **transaction)
    .await?
    .rows_affected())
}

/// A zone stay, open or closed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stay {
    /// Id.
    pub stay_id: String,
    /// The zone.
    pub zone_id: String,
    /// When entered, epoch ms.
    pub entered_at: i64,
}

/// The stay a retry key opened, if any.
pub async fn stay_by_key(pool: &AnyPool, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT stay_id FROM zone_stays WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?,
    )
}

/// A stay opened in a zone.
#[derive(Debug, Clone)]
pub struct NewStay<'a> {
    /// Id.
    pub stay_id: &'a str,
    /// Retry key.
    pub idempotency_key: &'a str,
    /// The hall.
    pub site_id: &'a str,
    /// The zone.
    pub zone_id: &'a str,
    /// The visitor.
    pub person_id: &'a str,
    /// Their visit.
    pub visit_id: &'a str,
    /// When, epoch ms.
    pub at: i64,
}

/// Opens a stay.
pub async fn open_stay(transaction: &mut Transaction<'_, Any>, stay: &NewStay<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO zone_stays (stay_id, idempotency_key, site_id, zone_id, person_kind, person_id, visit_id, entered_at)
         VALUES ($1, $2, $3, $4, 'visitor', $5, $6, $7)",
    )
    .bind(stay.stay_id)
    .bind(stay.idempotency_key)
    .bind(stay.site_id)
    .bind(stay.zone_id)
    .bind(stay.person_id)
    .bind(stay.visit_id)
    .bind(stay.at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The person's open stays, in one zone or any.
pub async fn open_stays(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    person_id: &str,
    zone_id: Option<&str>,
) -> Result<Vec<Stay>> {
    Ok(sqlx::query_as(
        "SELECT stay_id, zone_id, entered_at FROM zone_stays
         WHERE site_id = $1 AND person_id = $2 AND left_at IS NULL AND ($3 = '' OR zone_id = $3)",
    )
    .bind(site_id)
    .bind(person_id)
    .bind(zone_id.unwrap_or(""))
    .fetch_all(&mut **transaction)
    .await?)
}

/// Ends a stay.
pub async fn close_stay(transaction: &mut Transaction<'_, Any>, stay_id: &str, left_at: i64) -> Result<()> {
    sqlx::query("UPDATE zone_stays SET left_at = $1 WHERE stay_id = $2")
        .bind(left_at)
        .bind(stay_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// The stay closed in a zone at exactly `left_at`, if any (a repeated leave).
pub async fn stay_left_at(
    pool: &AnyPool,
    site_id: &str,
    person_id: &str,
    zone_id: &str,
    left_at: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT stay_id FROM zone_stays WHERE site_id = $1 AND person_id = $2 AND zone_id = $3 AND left_at = $4",
    )
    .bind(site_id)
    .bind(person_id)
    .bind(zone_id)
    .bind(left_at)
    .fetch_optional(pool)
    .await?)
}

/// Everyone with an open stay in the hall: `(person_id, zone_id)`.
pub async fn people_in_zones(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT person_id, zone_id FROM zone_stays WHERE site_id = $1 AND left_at IS NULL",
    )
    .bind(site_id)
    .fetch_all(&mut **transaction)
    .await?)
}

/// Everyone with an open visit in the hall, longest inside first, each with the zone of
/// their latest open zone stay.
pub async fn inside(pool: &AnyPool, site_id: &str) -> Result<Vec<VisitorInside>> {
    #[derive(sqlx::FromRow)]
    struct InsideRow {
        person_kind: String,
        person_id: String,
        checked_in_at: i64,
        entrance_gate_id: String,
        zone_id: Option<String>,
        entered_at: Option<i64>,
    }
    let rows: Vec<InsideRow> = sqlx::query_as(
        "SELECT v.person_kind, v.person_id, v.checked_in_at, v.entrance_gate_id, s.zone_id, s.entered_at
         FROM visits v LEFT JOIN zone_stays s ON s.visit_id = v.visit_id AND s.left_at IS NULL
         WHERE v.site_id = $1 AND v.checked_out_at IS NULL
         ORDER BY v.checked_in_at, v.person_id, s.entered_at DESC",
    )
    .bind(site_id)
    .fetch_all(pool)
    .await?;
    let mut inside: Vec<VisitorInside> = Vec::new();
    for row in rows {
        // Rows of one visit come together, the latest zone stay first.
        if inside
            .last()
            .is_some_and(|last| last.person.person_id == row.person_id)
        {
            continue;
        }
        inside.push(VisitorInside {
            person: Person {
                site_id: site_id.to_string(),
                kind: row.person_kind.parse().map_err(corrupt)?,
                person_id: row.person_id,
            },
            checked_in_at: row.checked_in_at,
            entrance_gate_id: row.entrance_gate_id,
            zone: row.zone_id.zip(row.entered_at),
        });
    }
    Ok(inside)
}
