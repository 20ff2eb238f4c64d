//! Merging two incidents of the same person (opened apart before one incident per
//! person, or by a source that did not know of the other): the merged one is closed
//! pointing at the one kept, which takes over its readings, source events, open tasks,
//! contacts with their holds, open disinfection orders and child incidents. Both audit
//! logs say who merged and why. Two person ids (a staff member also screened as a
//! visitor) merge only when the officer confirms they are one person.

use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::AnyPool;

use crate::contacts;
use crate::model::{ContactPerson, Incident};
use crate::store::audit::{self, Subject};
use crate::store::{self, disinfection, incidents, tasks};

/// What a duty officer asks to merge.
#[derive(Debug, Clone, Copy)]
pub struct MergeRequest<'a> {
    /// The incident kept.
    pub kept_id: &'a str,
    /// The incident merged into it.
    pub merged_id: &'a str,
    /// The officer's confirmation that two person ids are one person.
    pub same_person: bool,
    /// Why.
    pub reason: &'a str,
    /// Who merges.
    pub by: &'a str,
}

/// Merges one incident into another; repeating a merge done before answers it again.
pub async fn merge(pool: &AnyPool, request: MergeRequest<'_>) -> Result<Incident> {
    let MergeRequest {
        kept_id,
        merged_id,
        same_person,
        reason,
        by,
    } = request;
    if kept_id == merged_id {
        return Err(ServiceError::invalid(
            "merged_incident_id",
            "is the incident kept; name the other incident of the person",
        ));
    }
    let mut transaction = begin_write(pool).await?;
    let kept = incidents::load(&mut *transaction, kept_id).await?;
    let merged = incidents::load(&mut *transaction, merged_id)
        .await
        .map_err(|error| match error {
            ServiceError::NotFound(_) => ServiceError::not_found("merged_incident_id", "no such incident"),
            other => other,
        })?;
    if merged.merged.as_ref().is_some_and(|merge| merge.into == kept_id) {
        return Ok(kept);
    }
    if merged.site_id() != kept.site_id() {
        return Err(ServiceError::precondition("the incidents are of different halls"));
    }
    if merged.person != kept.person && !same_person {
        return Err(ServiceError::precondition(
            "the incidents are of different person ids; set same_person when they are one \
             person (a staff member screened as a visitor, a visitor first recorded by hand)",
        ));
    }
    for (incident, which) in [(&kept, "kept"), (&merged, "merged")] {
        if incident.progress.state() == 7 {
            return Err(ServiceError::precondition(format!(
                "the incident {which} ({}) is closed; only open incidents merge",
                incident.incident_id
            )));
        }
    }
    let now = now_millis();
    incidents::merge_into(&mut transaction, &merged, &kept, reason, now).await?;
    let (tasks_moved, tasks_done) =
        tasks::hand_over_open(&mut transaction, merged_id, kept_id, by, now).await?;
    let orders_moved = disinfection::hand_over_open(&mut transaction, merged_id, kept_id).await?;
    let (mut contacts_moved, mut contacts_on_both) = (0, 0);
    let why = format!("incident {merged_id} merged into {kept_id}");
    for contact in store::contacts::list(&mut *transaction, merged_id).await? {
        let known = match &contact.person {
            ContactPerson::Known(person) => Some(person),
            ContactPerson::ByHand { .. } => None,
        };
        if let Some(person) = known
            && store::contacts::find(&mut transaction, kept_id, person)
                .await?
                .is_some()
        {
            // Already followed up under the incident kept, whose hold stays.
            contacts::lift_holds(&mut transaction, &merged, person, &why).await?;
            contacts_on_both += 1;
            continue;
        }
        store::contacts::move_to(&mut transaction, &contact.contact_id, kept_id).await?;
        if let Some(person) = known {
            // The hold moves too: placed under the incident kept before the old one is lifted.
            contacts::place_holds(&mut transaction, &kept, person, contact.ring, &contact.evidence).await?;
            contacts::lift_holds(&mut transaction, &merged, person, &why).await?;
        }
        contacts_moved += 1;
    }
    let detail = serde_json::json!({
        "reason": reason,
        "kept": kept_id,
        "merged": merged_id,
        "same_person_confirmed": merged.person != kept.person,
        "readings": merged.readings.len(),
        "tasks_moved": tasks_moved,
        "tasks_done_as_duplicates": tasks_done,
        "contacts_moved": contacts_moved,
        "contacts_already_kept": contacts_on_both,
        "disinfection_orders_moved": orders_moved,
    });
    audit::append(
        &mut transaction,
        Subject::Incident(merged_id),
        by,
        "merged into",
        &detail,
    )
    .await?;
    audit::append(
        &mut transaction,
        Subject::Incident(kept_id),
        by,
        "merged in",
        &detail,
    )
    .await?;
    transaction.commit().await?;
    incidents::load(pool, kept_id).await
}
