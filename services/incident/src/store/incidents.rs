//! Incidents as stored: opening (once per source event), loading and listing, saving
//! progress, and the step records each step writes.

use std::collections::HashMap;

use hallguard_domain::person::Person;
use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool, Transaction};

use super::{audit, corrupt, tasks};
use crate::model::{Incident, Keeping, LegalHold, Merge, NewIncident, Reading, StepRecord};
use crate::store::audit::Subject;
use crate::workflow::{Progress, Step};

#[derive(sqlx::FromRow)]
struct IncidentRow {
    incident_id: String,
    site_id: String,
    person_kind: String,
    person_id: String,
    source: String,
    readings_json: Option<String>,
    location_id: String,
    occurred_at: i64,
    parent_incident_id: Option<String>,
    summary: Option<String>,
    isolation_room_id: Option<String>,
    steps_done_json: String,
    closed: i64,
    legal_hold_reason: Option<String>,
    legal_hold_by: Option<String>,
    legal_hold_at: Option<i64>,
    contacts_removed_at: Option<i64>,
    report_removed_at: Option<i64>,
    withdrawn_at: Option<i64>,
    withdrawn_reason: Option<String>,
    merged_into: Option<String>,
    merged_reason: Option<String>,
    merged_at: Option<i64>,
}

const COLUMNS: &str = "incident_id, site_id, person_kind, person_id, source, readings_json, location_id,
     occurred_at, parent_incident_id, summary, isolation_room_id, steps_done_json, closed,
     legal_hold_reason, legal_hold_by, legal_hold_at, contacts_removed_at, report_removed_at,
     withdrawn_at, withdrawn_reason, merged_into, merged_reason, merged_at";

/// A column the upgrade fills for old rows and every new row is written with: NULL is a
/// row the upgrade has not reached.
fn carried_over(value: Option<String>, column: &'static str) -> std::result::Result<String, sqlx::Error> {
    value.ok_or_else(|| {
        corrupt(crate::model::UnknownValue {
            column,
            value: "NULL".into(),
        })
    })
}

impl TryFrom<IncidentRow> for Incident {
    type Error = sqlx::Error;

    fn try_from(row: IncidentRow) -> std::result::Result<Self, Self::Error> {
        // Absent readings must not read as "no readings".
        let readings_json = carried_over(row.readings_json, "readings_json")?;
        let readings: Vec<Reading> = serde_json::from_str(&readings_json).map_err(corrupt)?;
        let numbers: Vec<u32> = serde_json::from_str(&row.steps_done_json).map_err(corrupt)?;
        let steps = numbers
            .iter()
            .map(|number| tasks::step(i64::from(*number)).map(|step| step as u32))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Incident {
            person: Person {
                site_id: row.site_id,
                kind: row.person_kind.parse().map_err(corrupt)?,
                person_id: row.person_id,
            },
            source: row.source.parse().map_err(corrupt)?,
            incident_id: row.incident_id,
            readings,
            location_id: row.location_id,
            occurred_at: row.occurred_at,
            parent_incident_id: row.parent_incident_id,
            summary: carried_over(row.summary, "summary")?,
            isolation_room_id: row.isolation_room_id,
            progress: Progress::from_numbers(&steps, row.closed != 0),
            keeping: Keeping {
                legal_hold: match (row.legal_hold_reason, row.legal_hold_by, row.legal_hold_at) {
                    (Some(reason), Some(placed_by), Some(placed_at)) => Some(LegalHold {
                        reason,
                        placed_by,
                        placed_at,
                    }),
                    _ => None,
                },
                contacts_removed_at: row.contacts_removed_at,
                report_removed_at: row.report_removed_at,
            },
            withdrawn: row.withdrawn_at.zip(row.withdrawn_reason),
            merged: match (row.merged_into, row.merged_reason, row.merged_at) {
                (Some(into), Some(reason), Some(at)) => Some(Merge { into, reason, at }),
                _ => None,
            },
        })
    }
}

/// What [`open`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A new incident.
    Created(String),
    /// The person's open incident, with this event's readings attached to it.
    Attached(String),
    /// The incident this source event opened or was attached to before (a retry).
    Repeated(String),
}

impl Opened {
    /// The incident.
    pub fn incident_id(&self) -> &str {
        match self {
            Opened::Created(id) | Opened::Attached(id) | Opened::Repeated(id) => id,
        }
    }
}

/// The incident a source event opened or was attached to, if any (the one kept, for an
/// incident merged into another).
async fn by_source_event(pool: &AnyPool, source_event_id: &str) -> Result<Option<String>> {
    let opened: Option<String> = sqlx::query_scalar(
        "SELECT COALESCE(merged_into, incident_id) FROM incidents WHERE source_event_id = $1",
    )
    .bind(source_event_id)
    .fetch_optional(pool)
    .await?;
    if opened.is_some() {
        return Ok(opened);
    }
    Ok(
        sqlx::query_scalar("SELECT incident_id FROM incident_source_events WHERE source_event_id = $1")
            .bind(source_event_id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Opens an incident; or, while the person has one open, attaches the new readings to
/// it (one incident per person, whichever service reported the reading); or returns
/// what this source event did before.
pub async fn open(pool: &AnyPool, new: &NewIncident, actor: &str) -> Result<Opened> {
    if let Some(incident_id) = by_source_event(pool, &new.source_event_id).await? {
        return Ok(Opened::Repeated(incident_id));
    }
    let mut transaction = begin_write(pool).await?;
    let open_one: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT incident_id, readings_json FROM incidents
         WHERE site_id = $1 AND person_kind = $2 AND person_id = $3 AND closed = 0
         ORDER BY opened_at LIMIT 1",
    )
    .bind(&new.person.site_id)
    .bind(new.person.kind.as_str())
    .bind(&new.person.person_id)
    .fetch_optional(&mut *transaction)
    .await?;
    if let Some((incident_id, readings_json)) = open_one {
        let mut readings: Vec<Reading> =
            serde_json::from_str(&readings_json.unwrap_or_else(|| "[]".into())).map_err(corrupt)?;
        readings.extend(new.readings.iter().cloned());
        sqlx::query("UPDATE incidents SET readings_json = $1 WHERE incident_id = $2")
            .bind(serde_json::to_string(&readings).map_err(corrupt)?)
            .bind(&incident_id)
            .execute(&mut *transaction)
            .await?;
        let recorded = sqlx::query(
            "INSERT INTO incident_source_events (source_event_id, incident_id, attached_at) VALUES ($1, $2, $3)
             ON CONFLICT (source_event_id) DO NOTHING",
        )
        .bind(&new.source_event_id)
        .bind(&incident_id)
        .bind(now_millis())
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        if recorded == 0 {
            // The same event arrived twice at once: the other call attached it.
            drop(transaction);
            return Ok(Opened::Repeated(incident_id));
        }
        audit::append(
            &mut transaction,
            Subject::Incident(&incident_id),
            actor,
            "reading attached",
            &serde_json::json!({
                "source": new.source.as_str(),
                "source_event_id": new.source_event_id,
                "location_id": new.location_id,
                "readings": new.readings.len(),
                "summary": new.summary,
            }),
        )
        .await?;
        transaction.commit().await?;
        return Ok(Opened::Attached(incident_id));
    }
    let incident_id = new_id("inc");
    let now = now_millis();
    let readings = serde_json::to_string(&new.readings).map_err(corrupt)?;
    // `opened_request` held the request as base64 protobuf before readings and summary
    // had columns of their own; it stays empty.
    let inserted = sqlx::query(
        "INSERT INTO incidents (incident_id, source_event_id, site_id, person_kind, person_id, source, opened_request,
             readings_json, location_id, occurred_at, parent_incident_id, summary, steps_done_json, closed, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10, $11, '[]', 0, $12)
         ON CONFLICT DO NOTHING",
    )
    .bind(&incident_id)
    .bind(&new.source_event_id)
    .bind(&new.person.site_id)
    .bind(new.person.kind.as_str())
    .bind(&new.person.person_id)
    .bind(new.source.as_str())
    .bind(readings)
    .bind(&new.location_id)
    .bind(new.occurred_at.unwrap_or(now))
    .bind(&new.parent_incident_id)
    .bind(&new.summary)
    .bind(now)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if inserted == 0 {
        // Another request opened it, or another incident of the person (the unique
        // index on open incidents per person), between the look-up and the insert.
        drop(transaction);
        return Box::pin(open(pool, new, actor)).await;
    }
    audit::append(
        &mut transaction,
        Subject::Incident(&incident_id),
        actor,
        "open",
        &serde_json::json!({
            "source": new.source.as_str(),
            "source_event_id": new.source_event_id,
            "location_id": new.location_id,
            "parent_incident_id": new.parent_incident_id.clone().unwrap_or_default(),
            "summary": new.summary,
        }),
    )
    .await?;
    tasks::create(&mut transaction, &incident_id, Step::Report, now).await?;
    transaction.commit().await?;
    Ok(Opened::Created(incident_id))
}

/// Loads an incident, or NOT_FOUND naming `incident_id`.
pub async fn load<'c, E>(executor: E, incident_id: &str) -> Result<Incident>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row: IncidentRow = sqlx::query_as(&format!("SELECT {COLUMNS} FROM incidents WHERE incident_id = $1"))
        .bind(incident_id)
        .fetch_optional(executor)
        .await?
        .ok_or_else(|| ServiceError::not_found("incident_id", "no such incident"))?;
    Ok(Incident::try_from(row)?)
}

/// A page of a hall's incidents, newest first, in one query.
pub async fn list(
    pool: &AnyPool,
    site_id: &str,
    open_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<Incident>> {
    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM incidents WHERE site_id = $1 AND ($2 = 0 OR closed = 0)
         ORDER BY opened_at DESC, incident_id LIMIT $3 OFFSET $4"
    ))
    .bind(site_id)
    .bind(i64::from(open_only))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, Incident>(rows)?)
}

/// The incidents whose parent is `parent_id`, by occurrence.
pub async fn children(pool: &AnyPool, parent_id: &str) -> Result<Vec<Incident>> {
    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM incidents WHERE parent_incident_id = $1 ORDER BY occurred_at, incident_id"
    ))
    .bind(parent_id)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, Incident>(rows)?)
}

/// The other incidents whose person is in an isolation room.
pub async fn in_isolation_room(
    transaction: &mut Transaction<'_, Any>,
    room_id: &str,
    except_incident_id: &str,
) -> Result<Vec<Incident>> {
    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM incidents WHERE isolation_room_id = $1 AND incident_id <> $2"
    ))
    .bind(room_id)
    .bind(except_incident_id)
    .fetch_all(&mut **transaction)
    .await?;
    Ok(decode_all::<_, Incident>(rows)?)
}

/// Open incidents (of every hall), oldest first.
pub async fn open_ids(pool: &AnyPool) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT incident_id FROM incidents WHERE closed = 0 ORDER BY opened_at, incident_id",
    )
    .fetch_all(pool)
    .await?)
}

/// The step records of one incident, in order.
pub async fn steps_of(pool: &AnyPool, incident_id: &str) -> Result<Vec<StepRecord>> {
    Ok(step_records(pool, &[incident_id])
        .await?
        .remove(incident_id)
        .unwrap_or_default())
}

#[derive(sqlx::FromRow)]
struct StepRow {
    incident_id: String,
    step: i64,
    detail_json: String,
    recorded_by: String,
    recorded_at: i64,
}

/// The step records of several incidents in one query, each incident's in order.
pub async fn step_records(pool: &AnyPool, incident_ids: &[&str]) -> Result<HashMap<String, Vec<StepRecord>>> {
    let mut by_incident: HashMap<String, Vec<StepRecord>> = HashMap::new();
    if incident_ids.is_empty() {
        return Ok(by_incident);
    }
    let placeholders: Vec<String> = (1..=incident_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT incident_id, step, detail_json, recorded_by, recorded_at FROM step_records
         WHERE incident_id IN ({}) ORDER BY incident_id, record_id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, StepRow>(&sql);
    for id in incident_ids {
        query = query.bind(*id);
    }
    for row in query.fetch_all(pool).await? {
        by_incident.entry(row.incident_id).or_default().push(StepRecord {
            step: tasks::step(row.step)?,
            detail_json: row.detail_json,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
        });
    }
    Ok(by_incident)
}

/// Records a step's substance (and the step as done when `completes`), settles its
/// tasks, creates the tasks of the steps it opens, and writes the audit entry.
pub async fn record_step(
    transaction: &mut Transaction<'_, Any>,
    incident: &mut Incident,
    step: Step,
    detail: serde_json::Value,
    by: &str,
    completes: bool,
) -> Result<()> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO step_records (record_id, incident_id, step, detail_json, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id("step"))
    .bind(&incident.incident_id)
    .bind(step as i64)
    .bind(detail.to_string())
    .bind(by)
    .bind(now)
    .execute(&mut **transaction)
    .await?;
    audit::append(
        transaction,
        Subject::Incident(&incident.incident_id),
        by,
        &format!("step {} ({})", step as u32, step.name()),
        &detail,
    )
    .await?;
    if completes && !incident.progress.is_done(step) {
        incident.progress.complete(step);
        tasks::settle(transaction, &incident.incident_id, step, by, now).await?;
        for next in Step::ALL {
            if !incident.progress.is_done(next) && incident.progress.check(next).is_ok() {
                tasks::create(transaction, &incident.incident_id, next, now).await?;
            }
        }
    }
    save(transaction, incident).await
}

/// Saves progress and the isolation room.
pub async fn save(transaction: &mut Transaction<'_, Any>, incident: &Incident) -> Result<()> {
    let steps = serde_json::to_string(&incident.progress.numbers()).map_err(corrupt)?;
    sqlx::query(
        "UPDATE incidents SET steps_done_json = $1, closed = $2, isolation_room_id = $3 WHERE incident_id = $4",
    )
    .bind(steps)
    .bind(i64::from(incident.progress.state() == 7))
    .bind(&incident.isolation_room_id)
    .bind(&incident.incident_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Marks an incident withdrawn (it is closed with it).
pub async fn mark_withdrawn(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    reason: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE incidents SET withdrawn_at = $1, withdrawn_reason = $2, closed = 1 WHERE incident_id = $3",
    )
    .bind(at)
    .bind(reason)
    .bind(incident_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Closes `merged` as merged into `kept`: `kept` holds both's readings by time (refused
/// when a reading reached `kept` after it was loaded, so none is lost), and the source
/// events and child incidents of `merged` point at `kept`.
pub async fn merge_into(
    transaction: &mut Transaction<'_, Any>,
    merged: &Incident,
    kept: &Incident,
    reason: &str,
    at: i64,
) -> Result<()> {
    let mut readings = kept.readings.clone();
    readings.extend(merged.readings.iter().cloned());
    readings.sort_by_key(|reading| reading.taken_at);
    let updated =
        sqlx::query("UPDATE incidents SET readings_json = $1 WHERE incident_id = $2 AND readings_json = $3")
            .bind(serde_json::to_string(&readings).map_err(corrupt)?)
            .bind(&kept.incident_id)
            .bind(serde_json::to_string(&kept.readings).map_err(corrupt)?)
            .execute(&mut **transaction)
            .await?
            .rows_affected();
    if updated == 0 {
        return Err(ServiceError::precondition(
            "a reading reached the incident kept during the merge; merge again",
        ));
    }
    sqlx::query(
        "UPDATE incidents SET merged_into = $1, merged_reason = $2, merged_at = $3, closed = 1 WHERE incident_id = $4",
    )
    .bind(&kept.incident_id)
    .bind(reason)
    .bind(at)
    .bind(&merged.incident_id)
    .execute(&mut **transaction)
    .await?;
    for statement in [
        "UPDATE incident_source_events SET incident_id = $1 WHERE incident_id = $2",
        // Never the kept incident itself: it may be a child of the one merged.
        "UPDATE incidents SET parent_incident_id = $1 WHERE parent_incident_id = $2 AND incident_id <> $1",
        "UPDATE follow_up_contacts SET linked_incident_id = $1 WHERE linked_incident_id = $2",
    ] {
        sqlx::query(statement)
            .bind(&kept.incident_id)
            .bind(&merged.incident_id)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// The incident a source event opened, or was attached to.
pub async fn of_source_event(pool: &AnyPool, source_event_id: &str) -> Result<Option<String>> {
    by_source_event(pool, source_event_id).await
}

/// Rows whose readings and summary were not carried over from `opened_request` yet:
/// `(incident_id, opened_request)`.
pub async fn awaiting_upgrade(pool: &AnyPool) -> std::result::Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT incident_id, opened_request FROM incidents WHERE readings_json IS NULL")
        .fetch_all(pool)
        .await
}

/// Stores what the upgrade read from `opened_request`, and empties it.
pub async fn complete_upgrade(
    pool: &AnyPool,
    incident_id: &str,
    readings: &[Reading],
    summary: &str,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE incidents SET readings_json = $1, summary = $2, opened_request = '' WHERE incident_id = $3",
    )
    .bind(serde_json::to_string(readings).map_err(corrupt)?)
    .bind(summary)
    .bind(incident_id)
    .execute(pool)
    .await?;
    Ok(())
}
