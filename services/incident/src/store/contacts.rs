//! Contacts under follow-up as stored: once per person per incident, with their
//! evidence, status and the incident a positive result opened.

use hallguard_domain::person::Person;
use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::sealing::{SealedColumns, Sealer};
use hallguard_platform::validate::new_id;
use sqlx::{Any, Transaction};

use super::corrupt;
use crate::model::{
    ContactPerson, ContactStatus, ExposureEvidence, FollowUpContact, NewContact, UnknownValue,
};

fn evidence_json(evidence: &[ExposureEvidence]) -> std::result::Result<String, sqlx::Error> {
    serde_json::to_string(evidence).map_err(corrupt)
}

/// The stored person kind of a contact added by hand.
const BY_HAND: &str = "by_hand";

#[derive(sqlx::FromRow)]
struct ContactRow {
    contact_id: String,
    incident_id: String,
    site_id: String,
    person_kind: String,
    person_id: String,
    ring: i64,
    status: String,
    evidence_json: String,
    category: String,
    linked_incident_id: Option<String>,
}

impl TryFrom<ContactRow> for FollowUpContact {
    type Error = sqlx::Error;

    fn try_from(row: ContactRow) -> std::result::Result<Self, Self::Error> {
        let person = if row.person_kind == BY_HAND {
            ContactPerson::ByHand {
                site_id: row.site_id,
                id: row.person_id,
            }
        } else {
            ContactPerson::Known(Person {
                site_id: row.site_id,
                kind: row.person_kind.parse().map_err(corrupt)?,
                person_id: row.person_id,
            })
        };
        Ok(FollowUpContact {
            contact_id: row.contact_id,
            incident_id: row.incident_id,
            person,
            ring: u32::try_from(row.ring).map_err(|_| {
                corrupt(UnknownValue {
                    column: "ring",
                    value: row.ring.to_string(),
                })
            })?,
            status: row.status.parse().map_err(corrupt)?,
            evidence: serde_json::from_str(&row.evidence_json).map_err(corrupt)?,
            category: row.category,
            linked_incident_id: row.linked_incident_id,
        })
    }
}

/// The contact's columns, with the hall from its incident.
const SELECT: &str =
    "SELECT c.contact_id, c.incident_id, i.site_id, c.person_kind, c.person_id, c.ring, c.status,
        c.evidence_json, c.category, c.linked_incident_id
     FROM follow_up_contacts c JOIN incidents i ON i.incident_id = c.incident_id";

/// A known person's contact on an incident, if they are on its list.
pub async fn find(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    person: &Person,
) -> Result<Option<FollowUpContact>> {
    let row: Option<ContactRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.incident_id = $1 AND c.person_kind = $2 AND c.person_id = $3"
    ))
    .bind(incident_id)
    .bind(person.kind.as_str())
    .bind(&person.person_id)
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(row.map(FollowUpContact::try_from).transpose()?)
}

/// Adds a contact to an incident's list (a known person once); returns its id and
/// whether this call added it.
pub async fn add(
    transaction: &mut Transaction<'_, Any>,
    sealer: &Sealer,
    incident_id: &str,
    contact: &NewContact,
) -> Result<(String, bool)> {
    let (kind, person_id) = match &contact.person {
        Some(person) => {
            if let Some(known) = find(transaction, incident_id, person).await? {
                return Ok((known.contact_id, false));
            }
            (person.kind.as_str(), person.person_id.clone())
        }
        None => (BY_HAND, new_id("manual")),
    };
    let contact_id = new_id("contact");
    sqlx::query(
        "INSERT INTO follow_up_contacts (contact_id, incident_id, person_kind, person_id, name, phone, ring, status,
             evidence_json, category, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&contact_id)
    .bind(incident_id)
    .bind(kind)
    .bind(&person_id)
    .bind(sealer.seal(&SEALED.context("name"), &contact.name))
    .bind(sealer.seal(&SEALED.context("phone"), &contact.phone))
    .bind(i64::from(contact.ring))
    .bind(ContactStatus::ToNotify.as_str())
    .bind(evidence_json(&contact.evidence)?)
    .bind(&contact.category)
    .bind(&contact.note)
    .execute(&mut **transaction)
    .await?;
    Ok((contact_id, true))
}

/// Moves a contact to another incident's list (a merge).
pub async fn move_to(
    transaction: &mut Transaction<'_, Any>,
    contact_id: &str,
    incident_id: &str,
) -> Result<()> {
    sqlx::query("UPDATE follow_up_contacts SET incident_id = $1 WHERE contact_id = $2")
        .bind(incident_id)
        .bind(contact_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// The sealed columns: the name and phone of a contact added by hand.
pub const SEALED: SealedColumns = SealedColumns {
    table: "follow_up_contacts",
    key: &["contact_id"],
    columns: &["name", "phone"],
};

/// An incident's contacts, ring 1 first.
pub async fn list<'c, E>(executor: E, incident_id: &str) -> Result<Vec<FollowUpContact>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let rows: Vec<ContactRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.incident_id = $1 ORDER BY c.ring, c.contact_id"
    ))
    .bind(incident_id)
    .fetch_all(executor)
    .await?;
    Ok(decode_all::<_, FollowUpContact>(rows)?)
}

/// One contact, or NOT_FOUND naming `contact_id`.
pub async fn load<'c, E>(executor: E, contact_id: &str) -> Result<FollowUpContact>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row: ContactRow = sqlx::query_as(&format!("{SELECT} WHERE c.contact_id = $1"))
        .bind(contact_id)
        .fetch_optional(executor)
        .await?
        .ok_or_else(|| ServiceError::not_found("contact_id", "no such contact"))?;
    Ok(FollowUpContact::try_from(row)?)
}

/// Moves a contact to `status` with the duty officer's note; a linked incident, once
/// set, stays.
pub async fn set_status(
    transaction: &mut Transaction<'_, Any>,
    contact_id: &str,
    status: ContactStatus,
    note: &str,
    linked_incident_id: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE follow_up_contacts SET status = $1, note = $2, linked_incident_id = COALESCE($3, linked_incident_id)
         WHERE contact_id = $4",
    )
    .bind(status.as_str())
    .bind(note)
    .bind(linked_incident_id)
    .bind(contact_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Replaces the evidence and category contact tracing gives for a contact.
pub async fn set_evidence(
    transaction: &mut Transaction<'_, Any>,
    contact_id: &str,
    evidence: &[ExposureEvidence],
    category: &str,
) -> Result<()> {
    sqlx::query("UPDATE follow_up_contacts SET evidence_json = $1, category = $2 WHERE contact_id = $3")
        .bind(evidence_json(evidence)?)
        .bind(category)
        .bind(contact_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
