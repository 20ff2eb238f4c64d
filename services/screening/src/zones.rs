//! Visitor zone presence: entering and leaving zones during a visit. A visitor is in one
//! zone at a time: entering a zone closes a stay still open in another at that moment.
//! Every stay goes to contact tracing when it opens (so people still inside are traced)
//! and again with its end when it closes.

use hallguard_platform::db::begin_write;
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::contact_tracing::v1::PlaceKind;
use sqlx::{Any, AnyPool, Row, Transaction};

use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Interval};
use hallguard_platform::validate::new_id;

/// Opens a zone stay for a visitor inside the hall; returns its id (the first one's for
/// a retried key).
pub async fn enter(
    pool: &AnyPool,
    site_id: &str,
    zone_id: &str,
    person_id: &str,
    at: i64,
    key: &str,
) -> Result<String> {
    if let Some(row) = sqlx::query("SELECT stay_id FROM zone_stays WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?
    {
        return Ok(row.try_get("stay_id")?);
    }
    let mut transaction = begin_write(pool).await?;
    let visit = sqlx::query(
        "SELECT visit_id, checked_in_at FROM visits WHERE site_id = $1 AND person_id = $2 AND checked_out_at IS NULL",
    )
    .bind(site_id)
    .bind(person_id)
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| ServiceError::FailedPrecondition("this person has no open visit: check in at a gate first".into()))?;
    let visit_id: String = visit.try_get("visit_id")?;
    let checked_in_at: i64 = visit.try_get("checked_in_at")?;
    if at < checked_in_at {
        return Err(ServiceError::invalid(
            "entered_at",
            "is before the visit's check-in",
        ));
    }
    close_open_stays(&mut transaction, site_id, person_id, None, at).await?;
    let stay_id = new_id("stay");
    sqlx::query(
        "INSERT INTO zone_stays (stay_id, idempotency_key, site_id, zone_id, person_kind, person_id, visit_id, entered_at)
         VALUES ($1, $2, $3, $4, 'visitor', $5, $6, $7)",
    )
    .bind(&stay_id)
    .bind(key)
    .bind(site_id)
    .bind(zone_id)
    .bind(person_id)
    .bind(&visit_id)
    .bind(at)
    .execute(&mut *transaction)
    .await?;
    outbound::ingest_presence(
        &mut transaction,
        site_id,
        &[Interval {
            person_kind: PersonKind::Visitor,
            person_id: person_id.to_string(),
            kind: PlaceKind::Zone,
            place_id: zone_id.to_string(),
            start: at,
            end: None,
            source_event_id: format!("screening/zone-stay/{stay_id}"),
            queue_position: 0,
        }],
    )
    .await?;
    transaction.commit().await?;
    Ok(stay_id)
}

/// Closes the visitor's open stay in `zone_id`; returns its id. Leaving twice returns
/// the stay closed the first time.
pub async fn leave(pool: &AnyPool, site_id: &str, zone_id: &str, person_id: &str, at: i64) -> Result<String> {
    let mut transaction = begin_write(pool).await?;
    let closed = close_open_stays(&mut transaction, site_id, person_id, Some(zone_id), at).await?;
    transaction.commit().await?;
    if let Some(stay_id) = closed.into_iter().next() {
        return Ok(stay_id);
    }
    let last = sqlx::query(
        "SELECT stay_id FROM zone_stays WHERE site_id = $1 AND person_id = $2 AND zone_id = $3 AND left_at = $4",
    )
    .bind(site_id)
    .bind(person_id)
    .bind(zone_id)
    .bind(at)
    .fetch_optional(pool)
    .await?;
    match last {
        Some(row) => Ok(row.try_get("stay_id")?),
        None => Err(ServiceError::FailedPrecondition(format!(
            "this person is not in zone {zone_id:?}"
        ))),
    }
}

/// Closes the person's open stays (in one zone, or in any) at `at` and queues them for
/// contact tracing; returns the ids closed.
pub async fn close_open_stays(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    person_id: &str,
    zone_id: Option<&str>,
    at: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT stay_id, zone_id, entered_at FROM zone_stays
         WHERE site_id = $1 AND person_id = $2 AND left_at IS NULL AND ($3 = '' OR zone_id = $3)",
    )
    .bind(site_id)
    .bind(person_id)
    .bind(zone_id.unwrap_or(""))
    .fetch_all(&mut **transaction)
    .await?;
    let mut intervals = Vec::with_capacity(rows.len());
    for row in rows {
        let stay_id: String = row.try_get("stay_id")?;
        let entered_at: i64 = row.try_get("entered_at")?;
        if at < entered_at && zone_id.is_some() {
            return Err(ServiceError::invalid("left_at", "is before the stay began"));
        }
        let left_at = at.max(entered_at);
        sqlx::query("UPDATE zone_stays SET left_at = $1 WHERE stay_id = $2")
            .bind(left_at)
            .bind(&stay_id)
            .execute(&mut **transaction)
            .await?;
        intervals.push(Interval {
            person_kind: PersonKind::Visitor,
            person_id: person_id.to_string(),
            kind: PlaceKind::Zone,
            place_id: row.try_get("zone_id")?,
            start: entered_at,
            end: Some(left_at),
            source_event_id: format!("screening/zone-stay/{stay_id}"),
            queue_position: 0,
        });
    }
    outbound::ingest_presence(transaction, site_id, &intervals).await?;
    Ok(intervals
        .into_iter()
        .map(|i| {
            i.source_event_id
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect())
}

/// Closes every open stay in the hall at `at` (closing time) except those in the zones
/// still open (all day, or until later); returns how many.
pub async fn close_all_open_stays(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    still_open: &[&str],
    at: i64,
) -> Result<u32> {
    let open: Vec<(String, String)> = sqlx::query(
        "SELECT DISTINCT person_id, zone_id FROM zone_stays WHERE site_id = $1 AND left_at IS NULL",
    )
    .bind(site_id)
    .fetch_all(&mut **transaction)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("person_id")?, row.try_get("zone_id")?)))
    .collect::<std::result::Result<_, sqlx::Error>>()?;
    let mut closed = 0;
    for (person_id, zone_id) in open {
        if still_open.contains(&zone_id.as_str()) {
            continue;
        }
        // A person is in one zone at a time: this closes that one stay, and a stay that
        // began after `at` (a drifting clock) ends where it began.
        closed += close_open_stays(transaction, site_id, &person_id, None, at)
            .await?
            .len();
    }
    Ok(u32::try_from(closed).unwrap_or(u32::MAX))
}
