//! Contact lists kept current while an incident is open. A case is often traced while
//! people are still with them (the clerk at the window, colleagues on shift): they are
//! contacts then, and people who stay on keep becoming contacts. So every so often the
//! contacts of each open incident whose tracing step is recorded are asked again, with
//! the rings of that step: new contacts are added with their evidence (and held at the
//! gates like the others), the evidence of known ones is brought up to date, each change
//! is in the audit log, and the duty desk is told of new contacts.

use std::time::Duration;

use hallguard_platform::db::begin_write;
use hallguard_platform::error::Result;
use hallguard_platform::feed::Feed;
use hallguard_platform::sealing::Sealer;
use hallguard_platform::tasks::Task;
use hallguard_proto::incident::v1 as pb;
use serde_json::json;
use sqlx::AnyPool;

use crate::contacts::{self, NewContact};
use crate::model::{ADDED_BY_HAND, Incident};
use crate::peers::Tracing;
use crate::steps;
use crate::store::audit::Subject;
use crate::store::{self, audit, incidents};
use crate::workflow::Step;

/// Who the audit log names for changes made by the refresh.
const ACTOR: &str = "contact-refresh";

/// What one pass changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Incidents asked about.
    pub incidents: usize,
    /// Contacts added.
    pub added: usize,
    /// Contacts whose evidence changed.
    pub updated: usize,
}

/// The task that refreshes every `every`; a pass that fails (contact tracing down) is
/// logged and tried again at the next turn: nothing is lost, only delayed.
pub fn task(
    pool: AnyPool,
    sealer: Sealer,
    tracer: Tracing,
    feed: Feed<pb::DutyDeskEvent>,
    every: Duration,
) -> Task {
    let tracer = std::sync::Arc::new(tracer);
    Task::every("contact refresh", every, move || {
        let (pool, sealer, tracer, feed) = (pool.clone(), sealer.clone(), tracer.clone(), feed.clone());
        async move {
            match refresh_open_incidents(&pool, &sealer, &tracer, &feed).await {
                Ok(done) if done.added + done.updated > 0 => {
                    tracing::info!(
                        added = done.added,
                        updated = done.updated,
                        "contact lists refreshed"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "contact refresh failed; tried again next turn"),
            }
        }
    })
}

/// One pass over the open incidents that have been traced.
pub async fn refresh_open_incidents(
    pool: &AnyPool,
    sealer: &Sealer,
    tracer: &Tracing,
    feed: &Feed<pb::DutyDeskEvent>,
) -> Result<Refreshed> {
    let ids = incidents::open_ids(pool).await?;
    let mut done = Refreshed::default();
    for incident_id in ids {
        let incident = incidents::load(pool, &incident_id).await?;
        if !incident.progress.is_done(Step::Tracing) {
            continue;
        }
        done.incidents += 1;
        let rings = traced_rings(pool, &incident_id).await?;
        let (_, traced) = steps::traced_contacts(tracer, &incident, rings).await?;
        let (added, updated) = apply(pool, sealer, &incident, &traced).await?;
        done.added += added.len();
        done.updated += updated;
        if !added.is_empty() {
            feed.publish(
                incident.site_id(),
                crate::duty_desk::event(
                    "contacts_added",
                    &incident.incident_id,
                    format!("{} new contact(s) found while the incident is open", added.len()),
                ),
            );
        }
    }
    Ok(done)
}

/// The rings the tracing step asked for.
async fn traced_rings(pool: &AnyPool, incident_id: &str) -> Result<u32> {
    let records = incidents::steps_of(pool, incident_id).await?;
    let rings = records
        .iter()
        .rev()
        .find(|record| record.step == Step::Tracing)
        .and_then(|record| serde_json::from_str::<serde_json::Value>(&record.detail_json).ok())
        .and_then(|value| value.get("rings").and_then(serde_json::Value::as_u64))
        .unwrap_or(1);
    Ok(u32::try_from(rings).unwrap_or(1))
}

/// Adds the contacts not yet on the list and updates the evidence of those that are;
/// returns the ids added and how many were updated.
async fn apply(
    pool: &AnyPool,
    sealer: &Sealer,
    incident: &Incident,
    traced: &[NewContact],
) -> Result<(Vec<String>, usize)> {
    let mut transaction = begin_write(pool).await?;
    let mut added = Vec::new();
    let mut updated = 0;
    for contact in traced {
        let Some(person) = &contact.person else { continue };
        match store::contacts::find(&mut transaction, &incident.incident_id, person).await? {
            None => {
                let contact_id = contacts::add(&mut transaction, sealer, incident, contact).await?;
                audit::append(
                    &mut transaction,
                    Subject::Incident(&incident.incident_id),
                    ACTOR,
                    "contact_added",
                    &json!({ "contact_id": contact_id, "ring": contact.ring, "category": contact.category,
                             "evidence": serde_json::to_value(&contact.evidence).unwrap_or_default() }),
                )
                .await?;
                added.push(contact_id);
            }
            Some(known) => {
                // Contacts added by hand keep what the duty officer wrote.
                if known.category == ADDED_BY_HAND || known.evidence == contact.evidence {
                    continue;
                }
                let contact_id = known.contact_id;
                store::contacts::set_evidence(
                    &mut transaction,
                    &contact_id,
                    &contact.evidence,
                    &contact.category,
                )
                .await?;
                audit::append(
                    &mut transaction,
                    Subject::Incident(&incident.incident_id),
                    ACTOR,
                    "contact_evidence_updated",
                    &json!({ "contact_id": contact_id }),
                )
                .await?;
                updated += 1;
            }
        }
    }
    transaction.commit().await?;
    Ok((added, updated))
}
