//! The tasks each step gives its owner (a response group or duty post), with
//! deadlines; an overdue task is announced on the duty desk once.

use hallguard_domain::time::{MINUTE_MS, now_millis};
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool, Transaction};

use super::{audit, corrupt};
use crate::model::{Task, UnknownValue};
use crate::store::audit::Subject;
use crate::workflow::Step;

/// The task a step gives its owner, and how many minutes they have.
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

/// A step number as stored, read back.
pub(crate) fn step(number: i64) -> std::result::Result<Step, sqlx::Error> {
    u32::try_from(number)
        .ok()
        .and_then(Step::from_number)
        .ok_or_else(|| {
            corrupt(UnknownValue {
                column: "step",
                value: number.to_string(),
            })
        })
}

/// Creates the step's task unless the incident has one for that step already.
pub(crate) async fn create(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    step: Step,
    at: i64,
) -> Result<()> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE incident_id = $1 AND step = $2")
        .bind(incident_id)
        .bind(step as i64)
        .fetch_one(&mut **transaction)
        .await?;
    if existing > 0 {
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
    .bind(at + minutes * MINUTE_MS)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Marks the open tasks of a step done (the step was recorded).
pub(crate) async fn settle(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    step: Step,
    by: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE tasks SET done_at = $1, done_by = $2 WHERE incident_id = $3 AND step = $4 AND done_at IS NULL")
        .bind(at)
        .bind(by)
        .bind(incident_id)
        .bind(step as i64)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    task_id: String,
    incident_id: String,
    step: i64,
    owner: String,
    description: String,
    due_at: i64,
    done_at: Option<i64>,
}

impl TryFrom<TaskRow> for Task {
    type Error = sqlx::Error;

    fn try_from(row: TaskRow) -> std::result::Result<Self, Self::Error> {
        Ok(Task {
            step: step(row.step)?,
            task_id: row.task_id,
            incident_id: row.incident_id,
            owner: row.owner,
            description: row.description,
            due_at: row.due_at,
            done_at: row.done_at,
        })
    }
}

const COLUMNS: &str = "t.task_id, t.incident_id, t.step, t.owner, t.description, t.due_at, t.done_at";

/// A task row with its incident's hall.
#[derive(sqlx::FromRow)]
struct TaskOfHall {
    #[sqlx(flatten)]
    task: TaskRow,
    site_id: String,
}

/// Tasks by deadline, of one incident or all (`incident_id` empty), each with its
/// incident's hall.
pub async fn list(pool: &AnyPool, incident_id: &str, open_only: bool) -> Result<Vec<(Task, String)>> {
    let rows: Vec<TaskOfHall> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, i.site_id FROM tasks t JOIN incidents i ON i.incident_id = t.incident_id
         WHERE ($1 = '' OR t.incident_id = $1) AND ($2 = 0 OR t.done_at IS NULL)
         ORDER BY t.due_at, t.task_id"
    ))
    .bind(incident_id)
    .bind(i64::from(open_only))
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| Ok((Task::try_from(row.task)?, row.site_id)))
        .collect()
}

async fn one<'c, E>(executor: E, task_id: &str) -> Result<(Task, String)>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row: TaskOfHall = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, i.site_id FROM tasks t JOIN incidents i ON i.incident_id = t.incident_id
         WHERE t.task_id = $1"
    ))
    .bind(task_id)
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| ServiceError::not_found("task_id", "no such task"))?;
    Ok((Task::try_from(row.task)?, row.site_id))
}

/// A task and its incident's hall.
pub async fn get(pool: &AnyPool, task_id: &str) -> Result<(Task, String)> {
    one(pool, task_id).await
}

/// Marks a task done (once; doing it again changes nothing) and audits it.
pub async fn complete(pool: &AnyPool, task_id: &str, by: &str) -> Result<Task> {
    let now = now_millis();
    let mut transaction = begin_write(pool).await?;
    let (mut task, _) = one(&mut *transaction, task_id).await?;
    if task.done_at.is_none() {
        sqlx::query("UPDATE tasks SET done_at = $1, done_by = $2 WHERE task_id = $3")
            .bind(now)
            .bind(by)
            .bind(task_id)
            .execute(&mut *transaction)
            .await?;
        audit::append(
            &mut transaction,
            Subject::Incident(&task.incident_id),
            by,
            "task done",
            &serde_json::json!({ "task_id": task_id, "description": task.description }),
        )
        .await?;
        task.done_at = Some(now);
    }
    transaction.commit().await?;
    Ok(task)
}

/// Marks an incident's open tasks done (it was withdrawn); returns how many.
pub async fn close_open(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    by: &str,
    at: i64,
) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE tasks SET done_at = $1, done_by = $2 WHERE incident_id = $3 AND done_at IS NULL")
            .bind(at)
            .bind(by)
            .bind(incident_id)
            .execute(&mut **transaction)
            .await?
            .rows_affected(),
    )
}

/// Hands an incident's open tasks to another (a merge): one the other has open for the
/// same step and owner is done by `by`, the others move. Returns (moved, done).
pub async fn hand_over_open(
    transaction: &mut Transaction<'_, Any>,
    from: &str,
    to: &str,
    by: &str,
    at: i64,
) -> Result<(u64, u64)> {
    let done = sqlx::query(
        "UPDATE tasks SET done_at = $1, done_by = $2 WHERE incident_id = $3 AND done_at IS NULL
           AND EXISTS (SELECT 1 FROM tasks other WHERE other.incident_id = $4 AND other.done_at IS NULL
                         AND other.step = tasks.step AND other.owner = tasks.owner)",
    )
    .bind(at)
    .bind(by)
    .bind(from)
    .bind(to)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    let moved = sqlx::query("UPDATE tasks SET incident_id = $1 WHERE incident_id = $2 AND done_at IS NULL")
        .bind(to)
        .bind(from)
        .execute(&mut **transaction)
        .await?
        .rows_affected();
    Ok((moved, done))
}

/// Overdue tasks not announced yet, each with its incident's hall.
pub async fn overdue_unannounced(pool: &AnyPool, now: i64) -> Result<Vec<(Task, String)>> {
    let rows: Vec<TaskOfHall> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, i.site_id FROM tasks t JOIN incidents i ON i.incident_id = t.incident_id
         WHERE t.done_at IS NULL AND t.due_at < $1 AND t.overdue_announced = 0"
    ))
    .bind(now)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| Ok((Task::try_from(row.task)?, row.site_id)))
        .collect()
}

/// Records that a task's lateness was announced.
pub async fn mark_announced(pool: &AnyPool, task_id: &str) -> Result<()> {
    sqlx::query("UPDATE tasks SET overdue_announced = 1 WHERE task_id = $1")
        .bind(task_id)
        .execute(pool)
        .await?;
    Ok(())
}
