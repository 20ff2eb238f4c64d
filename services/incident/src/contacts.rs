//! Contacts under follow-up: found by tracing or added by hand, each with a status
//! (to notify, notified, tested, negative, positive, released). A contact under
//! follow-up is held at the gates (a quarantine hold at screening, through the outbox),
//! released lifts the hold, and a positive contact opens a linked incident, so that
//! transmission chains can be followed from incident to incident.

use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Outbound};
use hallguard_platform::validate::new_id;
use hallguard_proto::common::v1::{PersonKind, PersonRef};
use hallguard_proto::incident::v1 as pb;
use hallguard_proto::screening::v1 as screening;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::model::{Incident, IncidentSource, NewIncident};
use crate::store::{audit, incidents};

/// A contact to follow up.
#[derive(Debug, Clone)]
pub struct NewContact {
    /// Who, if known to the services.
    pub person: Option<PersonRef>,
    /// Name (manual contacts).
    pub name: String,
    /// Phone (manual contacts).
    pub phone: String,
    /// 1 or 2.
    pub ring: u32,
    /// Evidence from contact tracing, as JSON.
    pub evidence_json: String,
    /// Category.
    pub category: String,
    /// How they met.
    pub note: String,
}

fn hold_key(incident_id: &str, person: &PersonRef) -> String {
    format!("incident/{incident_id}/hold/{}/{}", person.kind, person.person_id)
}

/// Adds a contact (once per person per incident) and holds them at the gates; returns
/// its id.
pub async fn add(
    transaction: &mut Transaction<'_, Any>,
    incident: &Incident,
    contact: &NewContact,
) -> Result<String> {
    let (kind, person_id) = match &contact.person {
        Some(person) => (
            PersonKind::try_from(person.kind)
                .unwrap_or_default()
                .as_str_name()
                .to_string(),
            person.person_id.clone(),
        ),
        None => ("MANUAL".to_string(), new_id("manual")),
    };
    if let Some(row) = sqlx::query(
        "SELECT contact_id FROM follow_up_contacts WHERE incident_id = $1 AND person_kind = $2 AND person_id = $3",
    )
    .bind(&incident.incident_id)
    .bind(&kind)
    .bind(&person_id)
    .fetch_optional(&mut **transaction)
    .await?
    {
        return Ok(row.try_get("contact_id")?);
    }
    let contact_id = new_id("contact");
    sqlx::query(
        "INSERT INTO follow_up_contacts (contact_id, incident_id, person_kind, person_id, name, phone, ring, status,
             evidence_json, category, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'CONTACT_STATUS_TO_NOTIFY', $8, $9, $10)",
    )
    .bind(&contact_id)
    .bind(&incident.incident_id)
    .bind(&kind)
    .bind(&person_id)
    .bind(&contact.name)
    .bind(&contact.phone)
    .bind(i64::from(contact.ring))
    .bind(&contact.evidence_json)
    .bind(&contact.category)
    .bind(&contact.note)
    .execute(&mut **transaction)
    .await?;
    if let Some(person) = &contact.person {
        let request = screening::PlaceQuarantineHoldRequest {
            person: Some(person.clone()),
            incident_id: incident.incident_id.clone(),
            reason: format!("contact (ring {}) under follow-up", contact.ring),
            idempotency_key: hold_key(&incident.incident_id, person),
        };
        let key = request.idempotency_key.clone();
        outbound::queue(
            transaction,
            incident.site_id(),
            key,
            &Outbound::PlaceQuarantineHold(request),
        )
        .await?;
    }
    Ok(contact_id)
}

const COLUMNS: &str = "contact_id, incident_id, person_kind, person_id, ring, status, evidence_json, category, linked_incident_id";

fn from_row(row: &sqlx::any::AnyRow, site_id: &str) -> Result<pb::FollowUpContact> {
    let kind: String = row.try_get("person_kind")?;
    let ring: i64 = row.try_get("ring")?;
    let status: String = row.try_get("status")?;
    let linked: Option<String> = row.try_get("linked_incident_id")?;
    Ok(pb::FollowUpContact {
        contact_id: row.try_get("contact_id")?,
        incident_id: row.try_get("incident_id")?,
        person: Some(PersonRef {
            site_id: site_id.to_string(),
            kind: PersonKind::from_str_name(&kind).unwrap_or_default() as i32,
            person_id: row.try_get("person_id")?,
        }),
        ring: u32::try_from(ring).unwrap_or_default(),
        status: pb::ContactStatus::from_str_name(&status).unwrap_or_default() as i32,
        evidence_json: row.try_get("evidence_json")?,
        category: row.try_get("category")?,
        linked_incident_id: linked.unwrap_or_default(),
    })
}

/// An incident's contacts, ring 1 first.
pub async fn list(pool: &AnyPool, incident: &Incident) -> Result<Vec<pb::FollowUpContact>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM follow_up_contacts WHERE incident_id = $1 ORDER BY ring, contact_id"
    ))
    .bind(&incident.incident_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| from_row(row, incident.site_id())).collect()
}

/// Whether a contact may move from one status to another.
pub fn may_move(from: pb::ContactStatus, to: pb::ContactStatus) -> bool {
    use pb::ContactStatus::*;
    matches!(
        (from, to),
        (ToNotify, Notified)
            | (Notified | Negative, Tested)
            | (Tested, Negative | Positive)
            | (ToNotify | Notified | Negative, Released)
    )
}

/// Moves a contact on; a positive contact opens a linked incident, a released one has
/// their hold lifted.
pub async fn update(
    pool: &AnyPool,
    contact_id: &str,
    status: pb::ContactStatus,
    note: &str,
    by: &str,
) -> Result<pb::FollowUpContact> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM follow_up_contacts WHERE contact_id = $1"
    ))
    .bind(contact_id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ServiceError::not_found("contact_id", "no such contact"))?;
    let incident_id: String = row.try_get("incident_id")?;
    let incident = incidents::load(pool, &incident_id).await?;
    let contact = from_row(&row, incident.site_id())?;
    let from = contact.status();
    if !may_move(from, status) {
        return Err(ServiceError::precondition(format!(
            "a contact cannot go from {} to {}",
            from.as_str_name(),
            status.as_str_name()
        )));
    }
    let person = contact.person.clone().unwrap_or_default();
    let linked = if status == pb::ContactStatus::Positive && person.kind != 0 {
        let new = NewIncident {
            person: crate::convert::person(&person, "contact.person")?,
            source: IncidentSource::PositiveContact,
            source_event_id: format!("incident/{incident_id}/contact/{contact_id}/positive"),
            readings: Vec::new(),
            location_id: incident.location_id.clone(),
            occurred_at: Some(hallguard_domain::time::now_millis()),
            parent_incident_id: Some(incident_id.clone()),
            summary: format!("contact of {incident_id} tested positive: {note}"),
        };
        Some(incidents::open(pool, &new, by).await?.0)
    } else {
        None
    };
    let mut transaction = begin_write(pool).await?;
    sqlx::query(
        "UPDATE follow_up_contacts SET status = $1, note = $2, linked_incident_id = COALESCE($3, linked_incident_id)
         WHERE contact_id = $4",
    )
    .bind(status.as_str_name())
    .bind(note)
    .bind(&linked)
    .bind(contact_id)
    .execute(&mut *transaction)
    .await?;
    if status == pb::ContactStatus::Released && person.kind != 0 {
        let request = screening::LiftQuarantineHoldRequest {
            hold_id: hold_key(&incident_id, &person),
            reason: format!("released from follow-up: {note}"),
        };
        let key = format!("{}/lift", request.hold_id);
        outbound::queue(
            &mut transaction,
            incident.site_id(),
            key,
            &Outbound::LiftQuarantineHold(request),
        )
        .await?;
    }
    audit::append(
        &mut transaction,
        Some(&incident_id),
        by,
        "contact status",
        &serde_json::json!({
            "contact_id": contact_id,
            "from": from.as_str_name(),
            "to": status.as_str_name(),
            "note": note,
            "linked_incident_id": linked,
        }),
    )
    .await?;
    transaction.commit().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM follow_up_contacts WHERE contact_id = $1"
    ))
    .bind(contact_id)
    .fetch_one(pool)
    .await?;
    from_row(&row, incident.site_id())
}
