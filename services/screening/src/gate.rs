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
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::contact_tracing::v1::PlaceKind;
use hallguard_proto::incident::v1::IncidentSource;
use hallguard_proto::screening::v1 as pb;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::decision::{self, CodeColour, GateCheck, Outcome, Reason};
use crate::risk::{self, Visit};
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
}

/// What a check-in decided, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInRecord {
    /// Id of the check.
    pub check_in_id: String,
    /// Gate.
    pub gate_id: String,
    /// Visit opened, if admitted.
    pub visit_id: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Reasons.
    pub reasons: Vec<Reason>,
    /// Rules version.
    pub rules_version: String,
    /// Place in the gate's queue.
    pub queue_position: u32,
    /// Pseudonymous person id.
    pub person_id: String,
    /// Incident source event, for a suspected case.
    pub incident_source_event_id: Option<String>,
    /// When.
    pub at: i64,
    /// °C.
    pub temperature_celsius: f64,
}

const CHECK_IN_COLUMNS: &str =
    "check_in_id, gate_id, visit_id, decision, reasons, rules_version, queue_position,
     person_id, incident_source_event_id, checked_at, temperature_celsius";

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<CheckInRecord> {
    let decision: String = row.try_get("decision")?;
    let reasons: String = row.try_get("reasons")?;
    let queue_position: i64 = row.try_get("queue_position")?;
    Ok(CheckInRecord {
        check_in_id: row.try_get("check_in_id")?,
        gate_id: row.try_get("gate_id")?,
        visit_id: row.try_get("visit_id")?,
        outcome: Outcome::from_name(&decision).unwrap_or(Outcome::Refused),
        reasons: reasons.split(',').filter_map(Reason::from_name).collect(),
        rules_version: row.try_get("rules_version")?,
        queue_position: u32::try_from(queue_position).unwrap_or(0),
        person_id: row.try_get("person_id")?,
        incident_source_event_id: row.try_get("incident_source_event_id")?,
        at: row.try_get("checked_at")?,
        temperature_celsius: row.try_get("temperature_celsius")?,
    })
}

async fn check_in_by_key(pool: &AnyPool, key: &str) -> Result<Option<CheckInRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {CHECK_IN_COLUMNS} FROM check_ins WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(record_from_row).transpose()
}

/// Screens one person: decides, stores, and queues what the peers must hear. Returns the
/// record and whether it was new (false for a retry).
pub async fn check_in(pool: &AnyPool, hall: &Hall, check: &CheckIn) -> Result<(CheckInRecord, bool)> {
    validate::gate(hall, &check.gate_id, GateDirection::Entrance, "gate_id")?;
    if let Some(existing) = check_in_by_key(pool, &check.idempotency_key).await? {
        return Ok((existing, false));
    }
    // Positions come from one counter row per gate and day, so concurrent check-ins wait
    // for each other; a unique violation here means the same key arrived twice at once.
    for _ in 0..3 {
        let mut transaction = begin_write(pool).await?;
        match try_check_in(&mut transaction, hall, check).await {
            Ok(record) => {
                transaction.commit().await?;
                return Ok((record, true));
            }
            Err(ServiceError::Database(error)) if is_unique_violation(&error) => {
                drop(transaction);
                if let Some(existing) = check_in_by_key(pool, &check.idempotency_key).await? {
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
    let on_hold = store::holds::active(&mut **transaction, &hall.site_id, &check.person_id).await?;
    let decision = decision::decide(
        &hall.screening,
        &GateCheck {
            temperature_celsius: check.temperature_celsius,
            colour: check.colour,
            risk_area_travel: check.itinerary_risk_flag || !risk_regions.is_empty(),
            mask_worn: check.mask_worn,
            on_hold,
            registration_paused,
        },
    );
    let local_day = hall.local_day(check.at);
    let position: i64 = sqlx::query(
        "INSERT INTO gate_queues (site_id, gate_id, local_day, last_position) VALUES ($1, $2, $3, 1)
         ON CONFLICT (site_id, gate_id, local_day) DO UPDATE SET last_position = gate_queues.last_position + 1
         RETURNING last_position",
    )
    .bind(&hall.site_id)
    .bind(&check.gate_id)
    .bind(local_day)
    .fetch_one(&mut **transaction)
    .await?
    .try_get("last_position")?;
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
        sqlx::query(
            "INSERT INTO visits (visit_id, site_id, person_kind, person_id, check_in_id, entrance_gate_id, checked_in_at)
             VALUES ($1, $2, 'visitor', $3, $4, $5, $6)",
        )
        .bind(&visit_id)
        .bind(&hall.site_id)
        .bind(&check.person_id)
        .bind(&check_in_id)
        .bind(&check.gate_id)
        .bind(check.at)
        .execute(&mut **transaction)
        .await?;
        Some(visit_id)
    } else {
        None
    };
    let incident_source_event_id = if decision.outcome == Outcome::SuspectedCase {
        let findings: Vec<String> = decision
            .reasons
            .iter()
            .map(|r| r.name().replace('_', " "))
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
    let reasons: Vec<&str> = decision.reasons.iter().map(|r| r.name()).collect();
    sqlx::query(
        "INSERT INTO check_ins (check_in_id, idempotency_key, site_id, gate_id, local_day, queue_position,
             person_kind, person_id, display_name, temperature_celsius, health_code_colour, mask_worn, decision,
             reasons, rules_version, visit_id, incident_source_event_id, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'visitor', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&check_in_id)
    .bind(&check.idempotency_key)
    .bind(&hall.site_id)
    .bind(&check.gate_id)
    .bind(local_day)
    .bind(position)
    .bind(&check.person_id)
    .bind(&check.display_name)
    .bind(check.temperature_celsius)
    .bind(check.colour_value.as_str_name())
    .bind(i64::from(check.mask_worn))
    .bind(decision.outcome.name())
    .bind(reasons.join(","))
    .bind(&hall.screening.rules_version)
    .bind(&visit_id)
    .bind(&incident_source_event_id)
    .bind(check.at)
    .execute(&mut **transaction)
    .await?;
    // Queue neighbours are traced whatever the decision: the queue was shared before it.
    let queue_position = u32::try_from(position).unwrap_or(u32::MAX);
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
            source_event_id: format!("screening/queue/{check_in_id}"),
            queue_position,
        }],
    )
    .await?;
    Ok(CheckInRecord {
        check_in_id,
        gate_id: check.gate_id.clone(),
        visit_id,
        outcome: decision.outcome,
        reasons: decision.reasons,
        rules_version: hall.screening.rules_version.clone(),
        queue_position,
        person_id: check.person_id.clone(),
        incident_source_event_id,
        at: check.at,
        temperature_celsius: check.temperature_celsius,
    })
}

/// A closed visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedVisit {
    /// The visit.
    pub visit_id: String,
    /// When it began.
    pub checked_in_at: i64,
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
    let Some(row) = sqlx::query(
        "SELECT visit_id, checked_in_at FROM visits
         WHERE site_id = $1 AND person_id = $2 AND checked_out_at IS NULL",
    )
    .bind(site_id)
    .bind(person_id)
    .fetch_optional(&mut **transaction)
    .await?
    else {
        return Ok(None);
    };
    let visit = ClosedVisit {
        visit_id: row.try_get("visit_id")?,
        checked_in_at: row.try_get("checked_in_at")?,
    };
    if at < visit.checked_in_at && exit.is_some() {
        return Err(ServiceError::invalid(
            "checked_out_at",
            "is before the visit's check-in",
        ));
    }
    // A late record from a gate that was offline must not end a visit before it began.
    let at = at.max(visit.checked_in_at);
    let (exit_gate, key) = exit.unzip();
    sqlx::query(
        "UPDATE visits SET checked_out_at = $1, exit_gate_id = $2, check_out_key = $3, closed_by = $4
         WHERE visit_id = $5",
    )
    .bind(at)
    .bind(exit_gate)
    .bind(key)
    .bind(closed_by)
    .bind(&visit.visit_id)
    .execute(&mut **transaction)
    .await?;
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
    let retried = sqlx::query("SELECT visit_id, checked_in_at FROM visits WHERE check_out_key = $1")
        .bind(&check.idempotency_key)
        .fetch_optional(pool)
        .await?;
    if let Some(row) = retried {
        return Ok(ClosedVisit {
            visit_id: row.try_get("visit_id")?,
            checked_in_at: row.try_get("checked_in_at")?,
        });
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
    let visits = sqlx::query(
        "UPDATE visits SET checked_out_at = CASE WHEN checked_in_at > $1 THEN checked_in_at ELSE $1 END,
                closed_by = 'closing'
         WHERE site_id = $2 AND checked_out_at IS NULL
           AND person_id NOT IN (SELECT person_id FROM zone_stays WHERE site_id = $2 AND left_at IS NULL)",
    )
    .bind(closed_at)
    .bind(site_id)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    transaction.commit().await?;
    Ok((u32::try_from(visits).unwrap_or(u32::MAX), stays))
}

/// The response message of a record.
pub fn response(record: &CheckInRecord) -> pb::CheckInResponse {
    pb::CheckInResponse {
        visit_id: record.visit_id.clone().unwrap_or_default(),
        decision: match record.outcome {
            Outcome::Admitted => pb::Decision::Admitted,
            Outcome::Refused => pb::Decision::Refused,
            Outcome::SuspectedCase => pb::Decision::SuspectedCase,
        } as i32,
        reasons: record.reasons.iter().map(|r| reason_message(*r) as i32).collect(),
        rules_version: record.rules_version.clone(),
        queue_position: record.queue_position,
        person_id: record.person_id.clone(),
        incident_source_event_id: record.incident_source_event_id.clone().unwrap_or_default(),
    }
}

/// The contract's value of a reason.
pub fn reason_message(reason: Reason) -> pb::DecisionReason {
    match reason {
        Reason::Fever => pb::DecisionReason::Fever,
        Reason::YellowCode => pb::DecisionReason::YellowCode,
        Reason::RedCode => pb::DecisionReason::RedCode,
        Reason::RiskAreaTravel => pb::DecisionReason::RiskAreaTravel,
        Reason::NoMask => pb::DecisionReason::NoMask,
        Reason::QuarantineHold => pb::DecisionReason::QuarantineHold,
        Reason::RegistrationPaused => pb::DecisionReason::RegistrationPaused,
    }
}
