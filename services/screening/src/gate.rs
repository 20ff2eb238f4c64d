//! Check-in at entrance gates and check-out at exit gates, each one transaction with its
//! outbox messages.
//!
//! How the edges are handled:
//! - A retried request (same idempotency key) returns the first answer and stores nothing.
//! - Someone who checks in while a visit of theirs is still open left without checking
//!   out: that visit (and any open zone stay) is closed at the new check-in time, marked
//!   `re_entry`, and a new visit opens.
//! - Visits still open at closing time are closed by `CloseOpenVisits` at the closing
//!   time, marked `closing`.
//! - Queue positions count per gate and local day (a counter row per gate and day);
//!   two gates never share a queue.

use hallguard_domain::hall::{GateDirection, Hall};
use hallguard_platform::db::{begin_write, is_unique_violation};
use hallguard_platform::sealing::Sealer;
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::contact_tracing::v1::PlaceKind;
use hallguard_proto::incident::v1::IncidentSource;
use sqlx::{Any, AnyPool, Transaction};

use crate::decision::{self, CodeColour, GateCheck, Outcome, Reason};
use crate::model::{CheckInRecord, ClosedVisit};
use crate::risk::{self, Visit};
use crate::store::check_ins::CheckDetails;
use crate::store::visits::NewVisit;
use crate::{store, validate};
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Interval, SuspectedCase};
use hallguard_platform::validate::new_id;

/// A validated check-in.
#[derive(Debug, Clone)]
pub struct CheckIn {
    /// The hall.
    pub site_id: String,
    /// Entrance gate.
    pub gate_id: String,
    /// Pseudonymous person id.
    pub person_id: String,
    /// Name for the duty desk.
    pub display_name: String,
    /// For people without a code: their registration.
    pub registration_id: Option<String>,
    /// °C.
    pub temperature_celsius: f64,
    /// Colour shown.
    pub colour: CodeColour,
    /// The code's own colour value, for the incident's reading.
    pub colour_value: HealthCodeColour,
    /// Places on the itinerary.
    pub itinerary: Vec<Visit>,
    /// The itinerary code's own risk flag.
    pub itinerary_risk_flag: bool,
    /// Mask worn.
    pub mask_worn: bool,
    /// When.
    pub at: i64,
    /// Retry key.
    pub idempotency_key: String,
    /// Symptoms seen or reported at the gate, in words (`cough`).
    pub symptoms: Vec<String>,
}

/// Screens one person: decides, stores, and queues what the peers must hear. Returns the
/// record and whether it was new (false for a retry).
pub async fn check_in(
    pool: &AnyPool,
    sealer: &Sealer,
    hall: &Hall,
    check: &CheckIn,
) -> Result<(CheckInRecord, bool)> {
    validate::gate(hall, &check.gate_id, GateDirection::Entrance, "gate_id")?;
    if let Some(existing) = store::check_ins::by_key(pool, &check.idempotency_key).await? {
        return Ok((existing, false));
    }
    // Positions come from one counter row per gate and day, so concurrent check-ins wait
    // for each other; a unique violation here means the same key arrived twice at once.
    for _ in 0..3 {
        let mut transaction = begin_write(pool).await?;
        match try_check_in(&mut transaction, sealer, hall, check).await {
            Ok(record) => {
                transaction.commit().await?;
                return Ok((record, true));
            }
            Err(ServiceError::Database(error)) if is_unique_violation(&error) => {
                drop(transaction);
                if let Some(existing) = store::check_ins::by_key(pool, &check.idempotency_key).await? {
                    return Ok((existing, false));
                }
            }
            Err(error) => return Err(error),
        }
    }
    Err(ServiceError::FailedPrecondition(
        "the gate's queue is too busy; retry with the same idempotency key".into(),
    ))
}

async fn try_check_in(
    transaction: &mut Transaction<'_, Any>,
    sealer: &Sealer,
    hall: &Hall,
    check: &CheckIn,
) -> Result<CheckInRecord> {
    let mut itinerary = check.itinerary.clone();
    let mut registration_paused = false;
    if let Some(registration_id) = &check.registration_id {
        let (paused, travel) =
            store::registrations::for_gate(&mut **transaction, &hall.site_id, registration_id)
                .await?
                .ok_or_else(|| {
                    ServiceError::not_found("visitor.registration_id", "no such registration in this hall")
                })?;
        registration_paused = paused;
        itinerary.extend(travel);
    }
    let listings = store::risk_areas::listings(&mut **transaction).await?;
    let risk_regions =
        risk::risk_regions_visited(&listings, &itinerary, check.at, hall.screening.risk_lookback_days);
    let on_hold = store::holds::active(&mut **transaction, &hall.site_id, &check.person_id, check.at).await?;
    let decision = decision::decide(
        &hall.screening,
        &GateCheck {
            temperature_celsius: check.temperature_celsius,
            colour: check.colour,
            risk_area_travel: check.itinerary_risk_flag || !risk_regions.is_empty(),
            mask_worn: check.mask_worn,
            on_hold,
            registration_paused,
            symptoms: !check.symptoms.is_empty(),
        },
    );
    let local_day = hall.local_day(check.at);
    // A person suspected again the same day is being re-measured, not queueing again.
    let remeasured = if decision.outcome == Outcome::SuspectedCase {
        store::check_ins::first_suspicion_of_day(transaction, &hall.site_id, &check.person_id, local_day)
            .await?
    } else {
        None
    };
    let position = match &remeasured {
        Some((_, position)) => i64::from(*position),
        None => {
            store::check_ins::next_queue_position(transaction, &hall.site_id, &check.gate_id, local_day)
                .await?
        }
    };
    let check_in_id = new_id("chk");

    let visit_id = if decision.outcome == Outcome::Admitted {
        close_open_visit(
            transaction,
            &hall.site_id,
            &check.person_id,
            check.at,
            None,
            "re_entry",
        )
        .await?;
        let visit_id = new_id("vis");
        let visit = NewVisit {
            visit_id: &visit_id,
            site_id: &hall.site_id,
            person_id: &check.person_id,
            check_in_id: &check_in_id,
            gate_id: &check.gate_id,
            at: check.at,
        };
        store::visits::open(transaction, &visit).await?;
        Some(visit_id)
    } else {
        None
    };
    let incident_source_event_id = if decision.outcome == Outcome::SuspectedCase {
        // The findings, and the symptoms themselves for the incident's readings.
        let findings: Vec<String> = decision
            .reasons
            .iter()
            .filter(|reason| **reason != Reason::Symptoms)
            .map(|r| r.name().replace('_', " "))
            .chain(check.symptoms.iter().map(|symptom| symptom.replace('_', " ")))
            .collect();
        let source_event_id = format!("screening/check-in/{check_in_id}");
        let summary = format!(
            "suspected case at gate {}: {}",
            check.gate_id,
            findings.join(", ")
        );
        outbound::open_incident(
            transaction,
            SuspectedCase {
                site_id: &hall.site_id,
                person_kind: PersonKind::Visitor,
                person_id: &check.person_id,
                source: IncidentSource::Screening,
                source_event_id: source_event_id.clone(),
                temperature_celsius: check.temperature_celsius,
                colour: check.colour_value,
                symptoms: findings,
                location_id: &check.gate_id,
                at: check.at,
                summary,
            },
        )
        .await?;
        Some(source_event_id)
    } else {
        None
    };
    let record = CheckInRecord {
        check_in_id,
        gate_id: check.gate_id.clone(),
        visit_id,
        outcome: decision.outcome,
        reasons: decision.reasons,
        rules_version: hall.screening.rules_version.clone(),
        queue_position: u32::try_from(position).unwrap_or(u32::MAX),
        person_id: check.person_id.clone(),
        incident_source_event_id,
        remeasurement_of: remeasured.map(|(check_in_id, _)| check_in_id),
        at: check.at,
        temperature_celsius: check.temperature_celsius,
    };
    let details = CheckDetails {
        site_id: &hall.site_id,
        idempotency_key: &check.idempotency_key,
        local_day,
        display_name: &check.display_name,
        colour: check.colour,
        mask_worn: check.mask_worn,
    };
    store::check_ins::insert(transaction, sealer, &record, &details).await?;
    if record.remeasurement_of.is_some() {
        return Ok(record);
    }
    // Queue neighbours are traced whatever the decision: the queue was shared before it.
    outbound::ingest_presence(
        transaction,
        &hall.site_id,
        &[Interval {
            person_kind: PersonKind::Visitor,
            person_id: check.person_id.clone(),
            kind: PlaceKind::EntryQueue,
            place_id: check.gate_id.clone(),
            start: check.at,
            end: Some(check.at),
            source_event_id: format!("screening/queue/{}", record.check_in_id),
            queue_position: record.queue_position,
        }],
    )
    .await?;
    Ok(record)
}

/// Closes the person's open visit (and open zone stays) at `at`, if any, sending the
/// closed zone stays to contact tracing.
pub async fn close_open_visit(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    person_id: &str,
    at: i64,
    exit: Option<(&str, &str)>,
    closed_by: &str,
) -> Result<Option<ClosedVisit>> {
    let Some(visit) = store::visits::open_visit(transaction, site_id, person_id).await? else {
        return Ok(None);
    };
    if at < visit.checked_in_at && exit.is_some() {
        return Err(ServiceError::invalid(
            "checked_out_at",
            "is before the visit's check-in",
        ));
    }
    // A late record from a gate that was offline must not end a visit before it began.
    let at = at.max(visit.checked_in_at);
    store::visits::close(transaction, &visit.visit_id, at, exit, closed_by).await?;
    crate::zones::close_open_stays(transaction, site_id, person_id, None, at).await?;
    Ok(Some(visit))
}

/// A validated check-out.
#[derive(Debug, Clone)]
pub struct CheckOut {
    /// Exit gate.
    pub gate_id: String,
    /// Pseudonymous person id.
    pub person_id: String,
    /// When.
    pub at: i64,
    /// Retry key.
    pub idempotency_key: String,
}

/// Closes the person's visit at an exit gate.
pub async fn check_out(pool: &AnyPool, hall: &Hall, check: &CheckOut) -> Result<ClosedVisit> {
    validate::gate(hall, &check.gate_id, GateDirection::Exit, "gate_id")?;
    if let Some(closed) = store::visits::closed_by_key(pool, &check.idempotency_key).await? {
        return Ok(closed);
    }
    let mut transaction = begin_write(pool).await?;
    let closed = close_open_visit(
        &mut transaction,
        &hall.site_id,
        &check.person_id,
        check.at,
        Some((&check.gate_id, &check.idempotency_key)),
        "exit",
    )
    .await?
    .ok_or_else(|| {
        ServiceError::FailedPrecondition("no open visit for this person: check in first".into())
    })?;
    transaction.commit().await?;
    Ok(closed)
}

/// Closes every visit (and zone stay) still open in the hall at `closed_at`; returns
/// (visits, zone stays) closed.
pub async fn close_open_visits(pool: &AnyPool, hall: &Hall, closed_at: i64) -> Result<(u32, u32)> {
    let site_id = hall.site_id.as_str();
    // Zones open all day, or closing later than this, keep the people in them.
    let still_open = hall.zones_open_at(closed_at);
    let mut transaction = begin_write(pool).await?;
    let stays = crate::zones::close_all_open_stays(&mut transaction, site_id, &still_open, closed_at).await?;
    // Whoever is still in a zone that is still open stays inside, visit and all.
    let visits = store::visits::close_all_at_closing(&mut transaction, site_id, closed_at).await?;
    transaction.commit().await?;
    Ok((u32::try_from(visits).unwrap_or(u32::MAX), stays))
}
