//! Visitor zone presence: entering and leaving zones during a visit. A visitor is in one
//! zone at a time: entering a zone closes a stay still open in another at that moment.
//! Every stay goes to contact tracing when it opens (so people still inside are traced)
//! and again with its end when it closes.

use hallguard_platform::db::begin_write;
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::contact_tracing::v1::PlaceKind;
use sqlx::{Any, AnyPool, Transaction};

use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Interval};
use hallguard_platform::validate::new_id;

use crate::store;
use crate::store::visits::NewStay;

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
    if let Some(stay_id) = store::visits::stay_by_key(pool, key).await? {
        return Ok(stay_id);
    }
    let mut transaction = begin_write(pool).await?;
    let visit = store::visits::open_visit(&mut transaction, site_id, person_id)
        .await?
        .ok_or_else(|| {
            ServiceError::FailedPrecondition("this person has no open visit: check in at a gate first".into())
        })?;
    if at < visit.checked_in_at {
        return Err(ServiceError::invalid(
            "entered_at",
            "is before the visit's check-in",
        ));
    }
    close_open_stays(&mut transaction, site_id, person_id, None, at).await?;
    let stay_id = new_id("stay");
    let stay = NewStay {
        stay_id: &stay_id,
        idempotency_key: key,
        site_id,
        zone_id,
        person_id,
        visit_id: &visit.visit_id,
        at,
    };
    store::visits::open_stay(&mut transaction, &stay).await?;
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
    match store::visits::stay_left_at(pool, site_id, person_id, zone_id, at).await? {
        Some(stay_id) => Ok(stay_id),
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
    let stays = store::visits::open_stays(transaction, site_id, person_id, zone_id).await?;
    let mut intervals = Vec::with_capacity(stays.len());
    let mut closed = Vec::with_capacity(stays.len());
    for stay in stays {
        if at < stay.entered_at && zone_id.is_some() {
            return Err(ServiceError::invalid("left_at", "is before the stay began"));
        }
        let left_at = at.max(stay.entered_at);
        store::visits::close_stay(transaction, &stay.stay_id, left_at).await?;
        intervals.push(Interval {
            person_kind: PersonKind::Visitor,
            person_id: person_id.to_string(),
            kind: PlaceKind::Zone,
            place_id: stay.zone_id,
            start: stay.entered_at,
            end: Some(left_at),
            source_event_id: format!("screening/zone-stay/{}", stay.stay_id),
            queue_position: 0,
        });
        closed.push(stay.stay_id);
    }
    outbound::ingest_presence(transaction, site_id, &intervals).await?;
    Ok(closed)
}

/// Closes every open stay in the hall at `at` (closing time) except those in the zones
/// still open (all day, or until later); returns how many.
pub async fn close_all_open_stays(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    still_open: &[&str],
    at: i64,
) -> Result<u32> {
    let open = store::visits::people_in_zones(transaction, site_id).await?;
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
