//! Incidents as stored: opening (once per source event), loading, saving progress,
//! step records, the append-only audit log and the tasks each step creates.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_platform::validate::new_id;
use hallguard_proto::common::v1::{PersonKind, PersonRef};
use hallguard_proto::incident::v1 as pb;
use prost::Message;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::workflow::{Progress, Step};

/// An incident as the handlers work on it.
#[derive(Debug, Clone)]
pub struct IncidentRow {
    /// Id.
    pub incident_id: String,
    /// The hall.
    pub site_id: String,
    /// The person.
    pub person: PersonRef,
    /// The request that opened it (person, source, readings, location, time).
    pub opened: pb::OpenIncidentRequest,
    /// Isolation room in use.
    pub isolation_room_id: Option<String>,
    /// Steps done.
    pub progress: Progress,
}

/// The task a step gives its owner, and how long they have.
fn task_for(step: Step) -> (&'static str, &'static str, i64) {
    match step {
        Step::Report => (
            "general-coordination",
            "report to the emergency team and the leadership group; man the duty posts",
            5,
        ),
        Step::Isolation => (
            "on-site handling",
            "take the person to an isolation room; tell the community and the epidemic-prevention center; disinfect the spot",
            15,
        ),
        Step::Transfer => (
            "external liaison",
            "arrange the transfer to the fever clinic: family, else 120, else the epidemic command's escort",
            60,
        ),
        Step::Tracing => (
            "assessment-handling",
            "trace close and secondary contacts, check every staff member on duty, order tests",
            120,
        ),
        Step::UpwardReport => (
            "general-coordination",
            "send the report to the leadership group, the city epidemic command and the CDC",
            120,
        ),
        Step::Disinfection => (
            "disinfection",
            "disinfect the isolation room and every zone on the person's trajectory",
            240,
        ),
        Step::Aftermath => (
            "general-coordination",
            "record the aftermath; release statements only after leadership approval",
            24 * 60,
        ),
    }
}

/// Appends to the audit log.
pub async fn audit(
    transaction: &mut Transaction<'_, Any>,
    incident_id: Option<&str>,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (entry_id, incident_id, actor, action, detail_json, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id("audit"))
        .bind(incident_id)
        .bind(actor)
        .bind(action)
        .bind(detail.to_string())
        .bind(now_millis())
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

async fn create_task(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    step: Step,
    at: i64,
) -> Result<()> {
    let open = sqlx::query("SELECT COUNT(*) AS open FROM tasks WHERE incident_id = $1 AND step = $2")
        .bind(incident_id)
        .bind(step as i64)
        .fetch_one(&mut **transaction)
        .await?;
    if open.try_get::<i64, _>("open")? > 0 {
        return Ok(());
    }
    let (owner, description, minutes) = task_for(step);
    sqlx::query(
        "INSERT INTO tasks (task_id, incident_id, step, owner, description, due_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id("task"))
    .bind(incident_id)
    .bind(step as i64)
    .bind(owner)
    .bind(description)
    .bind(at + minutes * 60_000)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Opens an incident, or returns the one its source event already opened.
pub async fn open(pool: &AnyPool, request: &pb::OpenIncidentRequest, actor: &str) -> Result<(String, bool)> {
    if let Some(row) = sqlx::query("SELECT incident_id FROM incidents WHERE source_event_id = $1")
        .bind(&request.source_event_id)
        .fetch_optional(pool)
        .await?
    {
        return Ok((row.try_get("incident_id")?, false));
    }
    let person = request.person.clone().unwrap_or_default();
    let incident_id = new_id("inc");
    let now = now_millis();
    let mut transaction = begin_write(pool).await?;
    let inserted = sqlx::query(
        "INSERT INTO incidents (incident_id, source_event_id, site_id, person_kind, person_id, source, opened_request,
             location_id, occurred_at, parent_incident_id, steps_done, closed, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', 0, $11)
         ON CONFLICT (source_event_id) DO NOTHING",
    )
    .bind(&incident_id)
    .bind(&request.source_event_id)
    .bind(&person.site_id)
    .bind(PersonKind::try_from(person.kind).unwrap_or_default().as_str_name())
    .bind(&person.person_id)
    .bind(pb::IncidentSource::try_from(request.source).unwrap_or_default().as_str_name())
    .bind(BASE64.encode(request.encode_to_vec()))
    .bind(&request.location_id)
    .bind(request.occurred_at.as_ref().map_or(now, timestamp_to_millis))
    .bind((!request.parent_incident_id.is_empty()).then_some(&request.parent_incident_id))
    .bind(now)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if inserted == 0 {
        drop(transaction);
        return Box::pin(open(pool, request, actor)).await;
    }
    audit(
        &mut transaction,
        Some(&incident_id),
        actor,
        "open",
        &serde_json::json!({
            "source": pb::IncidentSource::try_from(request.source).unwrap_or_default().as_str_name(),
            "source_event_id": request.source_event_id,
            "location_id": request.location_id,
            "parent_incident_id": request.parent_incident_id,
            "summary": request.summary,
        }),
    )
    .await?;
    create_task(&mut transaction, &incident_id, Step::Report, now).await?;
    transaction.commit().await?;
    Ok((incident_id, true))
}

/// Loads an incident, or NOT_FOUND naming `incident_id`.
pub async fn load<'c, E>(executor: E, incident_id: &str) -> Result<IncidentRow>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT incident_id, site_id, opened_request, isolation_room_id, steps_done, closed FROM incidents WHERE incident_id = $1",
    )
    .bind(incident_id)
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| ServiceError::not_found("incident_id", "no such incident"))?;
    let encoded: String = row.try_get("opened_request")?;
    let opened = BASE64
        .decode(encoded)
        .ok()
        .and_then(|bytes| pb::OpenIncidentRequest::decode(bytes.as_slice()).ok())
        .unwrap_or_default();
    let steps: String = row.try_get("steps_done")?;
    let closed: i64 = row.try_get("closed")?;
    let numbers: Vec<u32> = steps.split(',').filter_map(|n| n.parse().ok()).collect();
    Ok(IncidentRow {
        incident_id: row.try_get("incident_id")?,
        site_id: row.try_get("site_id")?,
        person: opened.person.clone().unwrap_or_default(),
        opened,
        isolation_room_id: row.try_get("isolation_room_id")?,
        progress: Progress::from_numbers(&numbers, closed != 0),
    })
}

/// Records a step's substance (and the step as done when `completes`), settles its
/// tasks, creates the tasks of the steps it opens, and writes the audit entry.
pub async fn record_step(
    transaction: &mut Transaction<'_, Any>,
    incident: &mut IncidentRow,
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
    audit(
        transaction,
        Some(&incident.incident_id),
        by,
        &format!("step {} ({})", step as u32, step.name()),
        &detail,
    )
    .await?;
    if completes && !incident.progress.is_done(step) {
        incident.progress.complete(step);
        sqlx::query("UPDATE tasks SET done_at = $1, done_by = $2 WHERE incident_id = $3 AND step = $4 AND done_at IS NULL")
            .bind(now)
            .bind(by)
            .bind(&incident.incident_id)
            .bind(step as i64)
            .execute(&mut **transaction)
            .await?;
        for next in Step::ALL {
            if !incident.progress.is_done(next) && incident.progress.check(next).is_ok() {
                create_task(transaction, &incident.incident_id, next, now).await?;
            }
        }
    }
    save(transaction, incident).await
}

/// Saves progress and the isolation room.
pub async fn save(transaction: &mut Transaction<'_, Any>, incident: &IncidentRow) -> Result<()> {
    let steps: Vec<String> = incident.progress.numbers().iter().map(u32::to_string).collect();
    sqlx::query(
        "UPDATE incidents SET steps_done = $1, closed = $2, isolation_room_id = $3 WHERE incident_id = $4",
    )
    .bind(steps.join(","))
    .bind(i64::from(incident.progress.state() == 7))
    .bind(&incident.isolation_room_id)
    .bind(&incident.incident_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The incident as the contract shows it, with its step records.
pub async fn message(pool: &AnyPool, incident: &IncidentRow) -> Result<pb::Incident> {
    let steps = sqlx::query(
        "SELECT step, detail_json, recorded_by, recorded_at FROM step_records WHERE incident_id = $1 ORDER BY record_id",
    )
    .bind(&incident.incident_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let step: i64 = row.try_get("step")?;
        Ok(pb::StepRecord {
            step: u32::try_from(step).unwrap_or_default(),
            detail_json: row.try_get("detail_json")?,
            recorded_by: row.try_get("recorded_by")?,
            recorded_at: Some(millis_to_timestamp(row.try_get("recorded_at")?)),
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(pb::Incident {
        incident_id: incident.incident_id.clone(),
        person: Some(incident.person.clone()),
        source: incident.opened.source,
        state: i32::try_from(incident.progress.state()).unwrap_or_default(),
        readings: incident.opened.readings.clone(),
        location_id: incident.opened.location_id.clone(),
        occurred_at: incident.opened.occurred_at,
        parent_incident_id: incident.opened.parent_incident_id.clone(),
        steps,
        isolation_room_id: incident.isolation_room_id.clone().unwrap_or_default(),
    })
}

/// A page of a hall's incidents, newest first.
pub async fn list(
    pool: &AnyPool,
    site_id: &str,
    open_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<IncidentRow>> {
    let ids: Vec<String> = sqlx::query(
        "SELECT incident_id FROM incidents WHERE site_id = $1 AND ($2 = 0 OR closed = 0)
         ORDER BY opened_at DESC, incident_id LIMIT $3 OFFSET $4",
    )
    .bind(site_id)
    .bind(i64::from(open_only))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| row.try_get("incident_id"))
    .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(load(pool, &id).await?);
    }
    Ok(out)
}

fn task_from_row(row: &sqlx::any::AnyRow, now: i64) -> Result<pb::Task> {
    let step: i64 = row.try_get("step")?;
    let due_at: i64 = row.try_get("due_at")?;
    let done_at: Option<i64> = row.try_get("done_at")?;
    Ok(pb::Task {
        task_id: row.try_get("task_id")?,
        incident_id: row.try_get("incident_id")?,
        step: u32::try_from(step).unwrap_or_default(),
        owner: row.try_get("owner")?,
        description: row.try_get("description")?,
        due_at: Some(millis_to_timestamp(due_at)),
        done_at: done_at.map(millis_to_timestamp),
        overdue: done_at.is_none() && due_at < now,
    })
}

const TASK_COLUMNS: &str = "task_id, incident_id, step, owner, description, due_at, done_at";

/// Tasks by deadline, of one incident or all.
pub async fn tasks(pool: &AnyPool, incident_id: &str, open_only: bool) -> Result<Vec<pb::Task>> {
    let now = now_millis();
    let rows = sqlx::query(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE ($1 = '' OR incident_id = $1) AND ($2 = 0 OR done_at IS NULL)
         ORDER BY due_at, task_id"
    ))
    .bind(incident_id)
    .bind(i64::from(open_only))
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| task_from_row(row, now)).collect()
}

/// Marks a task done.
pub async fn complete_task(pool: &AnyPool, task_id: &str, by: &str) -> Result<pb::Task> {
    let now = now_millis();
    let mut transaction = begin_write(pool).await?;
    let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE task_id = $1"))
        .bind(task_id)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| ServiceError::not_found("task_id", "no such task"))?;
    let task = task_from_row(&row, now)?;
    if task.done_at.is_none() {
        sqlx::query("UPDATE tasks SET done_at = $1, done_by = $2 WHERE task_id = $3")
            .bind(now)
            .bind(by)
            .bind(task_id)
            .execute(&mut *transaction)
            .await?;
        audit(
            &mut transaction,
            Some(&task.incident_id),
            by,
            "task done",
            &serde_json::json!({ "task_id": task_id, "description": task.description }),
        )
        .await?;
    }
    transaction.commit().await?;
    let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE task_id = $1"))
        .bind(task_id)
        .fetch_one(pool)
        .await?;
    task_from_row(&row, now)
}

/// A page of the audit log, in order.
pub async fn audit_log(
    pool: &AnyPool,
    incident_id: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<pb::AuditEntry>> {
    let rows = sqlx::query(
        "SELECT incident_id, actor, action, detail_json, at FROM audit_log
         WHERE ($1 = '' OR incident_id = $1) ORDER BY entry_id LIMIT $2 OFFSET $3",
    )
    .bind(incident_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let incident: Option<String> = row.try_get("incident_id")?;
            Ok(pb::AuditEntry {
                sequence: u64::try_from(offset).unwrap_or_default() + index as u64 + 1,
                incident_id: incident.unwrap_or_default(),
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                detail_json: row.try_get("detail_json")?,
                at: Some(millis_to_timestamp(row.try_get("at")?)),
            })
        })
        .collect()
}

/// Every 30 seconds, announces newly overdue tasks on the duty-desk feed, once each.
pub fn announce_overdue_tasks(
    pool: AnyPool,
    feed: hallguard_platform::feed::Feed<pb::DutyDeskEvent>,
) -> hallguard_platform::tasks::Task {
    hallguard_platform::tasks::Task::every("overdue tasks", std::time::Duration::from_secs(30), move || {
        let (pool, feed) = (pool.clone(), feed.clone());
        async move {
            if let Err(error) = announce_once(&pool, &feed).await {
                tracing::warn!(%error, "overdue task scan failed");
            }
        }
    })
}

async fn announce_once(
    pool: &AnyPool,
    feed: &hallguard_platform::feed::Feed<pb::DutyDeskEvent>,
) -> Result<()> {
    let now = now_millis();
    let rows = sqlx::query(
        "SELECT t.task_id, t.incident_id, t.owner, t.description, i.site_id FROM tasks t
         JOIN incidents i ON i.incident_id = t.incident_id
         WHERE t.done_at IS NULL AND t.due_at < $1 AND t.overdue_announced = 0",
    )
    .bind(now)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let task_id: String = row.try_get("task_id")?;
        let incident_id: String = row.try_get("incident_id")?;
        let owner: String = row.try_get("owner")?;
        let description: String = row.try_get("description")?;
        let site_id: String = row.try_get("site_id")?;
        sqlx::query("UPDATE tasks SET overdue_announced = 1 WHERE task_id = $1")
            .bind(&task_id)
            .execute(pool)
            .await?;
        feed.publish(
            &site_id,
            crate::duty_desk::event(
                "task_overdue",
                &incident_id,
                format!("overdue for {owner}: {description}"),
            ),
        );
    }
    Ok(())
}
