//! Contacts under follow-up: found by tracing or added by hand, each with a status
//! (to notify, notified, tested, negative, positive, released). A contact under
//! follow-up is held at the gates (a quarantine hold at screening, through the outbox),
//! released lifts the hold, and a positive contact opens a linked incident, so that
//! transmission chains can be followed from incident to incident.

use hallguard_domain::person::{Person, PersonKind};
use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Outbound};
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as screening;
use hallguard_proto::staff_health::v1 as staff_health;
use sqlx::{Any, AnyPool, Transaction};

use crate::convert;
pub use crate::model::NewContact;
use crate::model::{
    ContactPerson, ContactStatus, ExposureEvidence, FollowUpContact, Incident, IncidentSource, NewIncident,
};
use crate::store::audit::Subject;
use crate::store::{self, audit, incidents};

/// The key of a contact's hold at screening: the same key lifts it.
fn hold_key(incident_id: &str, person: &Person) -> String {
    // The kind is the contract's number, as in holds placed by earlier versions.
    let kind = convert::person_ref(person).kind;
    format!("incident/{incident_id}/hold/{kind}/{}", person.person_id)
}

/// The end of the latest exposure span of a contact's evidence, if any ended.
fn last_exposure(evidence: &[ExposureEvidence]) -> Option<i64> {
    evidence
        .iter()
        .flat_map(|evidence| evidence.spans.iter().filter_map(|(_, end)| *end))
        .max()
}

/// Adds a contact (once per person per incident) and holds them at the gates; returns
/// its id.
pub async fn add(
    transaction: &mut Transaction<'_, Any>,
    sealer: &Sealer,
    incident: &Incident,
    contact: &NewContact,
) -> Result<String> {
    let (contact_id, added) =
        store::contacts::add(transaction, sealer, &incident.incident_id, contact).await?;
    if let (true, Some(person)) = (added, &contact.person) {
        place_holds(transaction, incident, person, contact.ring, &contact.evidence).await?;
    }
    Ok(contact_id)
}

/// Queues a contact's holds under the incident: at the gates, and off duty for staff.
pub async fn place_holds(
    transaction: &mut Transaction<'_, Any>,
    incident: &Incident,
    person: &Person,
    ring: u32,
    evidence: &[ExposureEvidence],
) -> Result<()> {
    let request = screening::PlaceQuarantineHoldRequest {
        person: Some(convert::person_ref(person)),
        incident_id: incident.incident_id.clone(),
        reason: format!("contact (ring {ring}) under follow-up"),
        idempotency_key: hold_key(&incident.incident_id, person),
        // The quarantine period counts from the last exposure the evidence shows.
        last_exposure_at: last_exposure(evidence).map(millis_to_timestamp),
    };
    let key = request.idempotency_key.clone();
    let last_exposure_at = request.last_exposure_at;
    outbound::queue(
        transaction,
        incident.site_id(),
        key.clone(),
        &Outbound::PlaceQuarantineHold(request),
    )
    .await?;
    // Staff are also kept off duty: the morning check and clock-in refuse them.
    if person.kind == PersonKind::Staff {
        let request = staff_health::PlaceDutyHoldRequest {
            site_id: person.site_id.clone(),
            staff_id: person.person_id.clone(),
            incident_id: incident.incident_id.clone(),
            reason: format!("close contact (ring {ring}) under follow-up"),
            idempotency_key: key.clone(),
            last_exposure_at,
        };
        outbound::queue(
            transaction,
            incident.site_id(),
            format!("{key}/duty"),
            &Outbound::PlaceDutyHold(request),
        )
        .await?;
    }
    Ok(())
}

/// Queues the lifting of a contact's holds: at the gates, and off duty for staff.
pub async fn lift_holds(
    transaction: &mut Transaction<'_, Any>,
    incident: &Incident,
    person: &Person,
    reason: &str,
) -> Result<()> {
    let hold_id = hold_key(&incident.incident_id, person);
    let key = format!("{hold_id}/lift");
    let request = screening::LiftQuarantineHoldRequest {
        hold_id: hold_id.clone(),
        reason: reason.to_string(),
    };
    outbound::queue(
        transaction,
        incident.site_id(),
        key.clone(),
        &Outbound::LiftQuarantineHold(request),
    )
    .await?;
    if person.kind == PersonKind::Staff {
        let request = staff_health::LiftDutyHoldRequest {
            idempotency_key: hold_id,
            reason: reason.to_string(),
        };
        outbound::queue(
            transaction,
            incident.site_id(),
            format!("{key}/duty"),
            &Outbound::LiftDutyHold(request),
        )
        .await?;
    }
    Ok(())
}

/// Moves a contact on (at `changed_at`, or now); a positive contact opens a linked
/// incident that occurred then, a released one has their hold lifted.
pub async fn update(
    pool: &AnyPool,
    contact_id: &str,
    status: ContactStatus,
    note: &str,
    by: &str,
    changed_at: Option<i64>,
) -> Result<FollowUpContact> {
    let contact = store::contacts::load(pool, contact_id).await?;
    let incident_id = contact.incident_id.clone();
    let incident = incidents::load(pool, &incident_id).await?;
    let from = contact.status;
    if !from.may_move_to(status) {
        return Err(ServiceError::precondition(format!(
            "a contact cannot go from {} to {}",
            from.as_str(),
            status.as_str()
        )));
    }
    let known = match &contact.person {
        ContactPerson::Known(person) => Some(person),
        ContactPerson::ByHand { .. } => None,
    };
    let linked = match known {
        Some(person) if status == ContactStatus::Positive => {
            let new = NewIncident {
                person: person.clone(),
                source: IncidentSource::PositiveContact,
                source_event_id: format!("incident/{incident_id}/contact/{contact_id}/positive"),
                readings: Vec::new(),
                location_id: incident.location_id.clone(),
                occurred_at: Some(changed_at.unwrap_or_else(now_millis)),
                parent_incident_id: Some(incident_id.clone()),
                summary: format!("contact of {incident_id} tested positive: {note}"),
            };
            Some(incidents::open(pool, &new, by).await?.incident_id().to_string())
        }
        _ => None,
    };
    let mut transaction = begin_write(pool).await?;
    store::contacts::set_status(&mut transaction, contact_id, status, note, linked.as_deref()).await?;
    if let (Some(person), ContactStatus::Released) = (known, status) {
        lift_holds(
            &mut transaction,
            &incident,
            person,
            &format!("released from follow-up: {note}"),
        )
        .await?;
    }
    audit::append(
        &mut transaction,
        Subject::Incident(&incident_id),
        by,
        "contact status",
        &serde_json::json!({
            "contact_id": contact_id,
            "from": from.as_str(),
            "to": status.as_str(),
            "note": note,
            "linked_incident_id": linked,
        }),
    )
    .await?;
    transaction.commit().await?;
    store::contacts::load(pool, contact_id).await
}
