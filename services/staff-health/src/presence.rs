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
use hallguard_proto::staff_health::v1 as pb;
use sqlx::{Any, AnyPool, Transaction};

use crate::model::Presence;
pub use crate::model::PresenceKind as Kind;
use crate::store;

fn place_kind(kind: Kind) -> PlaceKind {
    match kind {
        Kind::Shift => PlaceKind::Zone,
        Kind::Seat => PlaceKind::CanteenSeat,
    }
}

/// The source event id of a stretch of presence: the same for its open and its end.
fn source_event_id(kind: Kind, id: &str) -> String {
    format!("staff-health/{}/{id}", store::presence::table(kind))
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
    if let Some(id) = store::presence::by_key(pool, kind, key).await? {
        return Ok(id);
    }
    let mut transaction = begin_write(pool).await?;
    store::staff::get(&mut *transaction, site_id, staff_id, "staff_id").await?;
    if kind == Kind::Shift {
        crate::duty_holds::refuse_if_held(&mut *transaction, site_id, staff_id, at).await?;
    }
    close_open(&mut transaction, kind, site_id, staff_id, at).await?;
    let presence = Presence {
        id: new_id(match kind {
            Kind::Shift => "shift",
            Kind::Seat => "seat",
        }),
        place_id: place_id.to_string(),
        start: at,
    };
    store::presence::open(&mut transaction, kind, &presence, key, site_id, staff_id).await?;
    outbound::ingest_presence(
        &mut transaction,
        site_id,
        &[Interval {
            person_kind: PersonKind::Staff,
            person_id: staff_id.to_string(),
            kind: place_kind(kind),
            place_id: place_id.to_string(),
            start: at,
            end: None,
            source_event_id: source_event_id(kind, &presence.id),
            queue_position: 0,
        }],
    )
    .await?;
    transaction.commit().await?;
    Ok(presence.id)
}

/// Closes the staff member's open presence of `kind` at `at`.
pub async fn close(pool: &AnyPool, kind: Kind, site_id: &str, staff_id: &str, at: i64) -> Result<Closed> {
    let mut transaction = begin_write(pool).await?;
    store::staff::get(&mut *transaction, site_id, staff_id, "staff_id").await?;
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

/// Ends whatever shift or seat stay the staff member has open (they left the roster).
pub async fn end_all(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    staff_id: &str,
    at: i64,
) -> Result<()> {
    close_open(transaction, Kind::Shift, site_id, staff_id, at).await?;
    close_open(transaction, Kind::Seat, site_id, staff_id, at).await?;
    Ok(())
}

async fn close_open(
    transaction: &mut Transaction<'_, Any>,
    kind: Kind,
    site_id: &str,
    staff_id: &str,
    at: i64,
) -> Result<Option<Closed>> {
    let Some(open) = store::presence::open_one(transaction, kind, site_id, staff_id).await? else {
        return Ok(None);
    };
    let end = at.max(open.start);
    store::presence::close(transaction, kind, &open.id, end).await?;
    outbound::ingest_presence(
        transaction,
        site_id,
        &[Interval {
            person_kind: PersonKind::Staff,
            person_id: staff_id.to_string(),
            kind: place_kind(kind),
            place_id: open.place_id.clone(),
            start: open.start,
            end: Some(end),
            source_event_id: source_event_id(kind, &open.id),
            queue_position: 0,
        }],
    )
    .await?;
    Ok(Some(Closed {
        id: open.id,
        place_id: open.place_id,
    }))
}

/// The staff on duty now, as the contracts show them.
pub async fn on_duty(pool: &AnyPool, site_id: &str) -> Result<Vec<pb::StaffOnDuty>> {
    Ok(store::presence::on_duty(pool, site_id)
        .await?
        .into_iter()
        .map(|(staff_id, zone_id, since)| pb::StaffOnDuty {
            staff_id,
            zone_id,
            since: Some(hallguard_platform::timestamps::millis_to_timestamp(since)),
        })
        .collect())
}
