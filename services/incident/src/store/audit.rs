//! The append-only audit log: who did what, when. Entry ids are time-ordered, so the
//! log reads in the order it was written.

use std::collections::BTreeSet;

use hallguard_domain::time::now_millis;
use hallguard_platform::auth::current_caller;
use hallguard_platform::error::Result;
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool, Transaction};

use crate::model::AuditEntry;

/// What an audit entry is about: an incident (its hall is the incident's), or a hall's
/// hygiene and organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// An incident, by id; it must be stored (in this transaction, at least).
    Incident(&'a str),
    /// A hall, by site id.
    Hall(&'a str),
}

/// Appends an entry in the caller's transaction.
pub async fn append(
    transaction: &mut Transaction<'_, Any>,
    subject: Subject<'_>,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    let (statement, subject_id) = match subject {
        Subject::Incident(incident_id) => (
            "INSERT INTO audit_log (entry_id, incident_id, site_id, actor, action, detail_json, at, caller, caller_role)
             SELECT $1, incident_id, site_id, $3, $4, $5, $6, $7, $8 FROM incidents WHERE incident_id = $2",
            incident_id,
        ),
        Subject::Hall(site_id) => (
            "INSERT INTO audit_log (entry_id, incident_id, site_id, actor, action, detail_json, at, caller, caller_role)
             VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8)",
            site_id,
        ),
    };
    // The authenticated caller, whatever name the request gave.
    let caller = current_caller();
    let inserted = sqlx::query(statement)
        .bind(new_id("audit"))
        .bind(subject_id)
        .bind(actor)
        .bind(action)
        .bind(detail.to_string())
        .bind(now_millis())
        .bind(caller.as_ref().map(|caller| caller.name.clone()))
        .bind(caller.as_ref().map(|caller| caller.role.to_string()))
        .execute(&mut **transaction)
        .await?
        .rows_affected();
    if inserted == 0 {
        // An entry about an incident that is not stored would be lost silently.
        return Err(sqlx::Error::RowNotFound.into());
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    incident_id: Option<String>,
    actor: String,
    action: String,
    detail_json: String,
    at: i64,
    caller: Option<String>,
    caller_role: Option<String>,
}

/// A page of the log, of one incident or all (`incident_id` empty), in order; of the
/// given halls only when `halls` is given.
pub async fn page(
    pool: &AnyPool,
    incident_id: &str,
    halls: Option<&BTreeSet<String>>,
    offset: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let hall_filter = hallguard_platform::jurisdiction::sql_condition("site_id", 4, halls);
    let statement = format!(
        "SELECT incident_id, actor, action, detail_json, at, caller, caller_role FROM audit_log
         WHERE ($1 = '' OR incident_id = $1){hall_filter} ORDER BY entry_id LIMIT $2 OFFSET $3"
    );
    let mut query = sqlx::query_as::<_, AuditRow>(&statement)
        .bind(incident_id)
        .bind(limit)
        .bind(offset);
    for hall in halls.into_iter().flatten() {
        query = query.bind(hall.clone());
    }
    let rows = query.fetch_all(pool).await?;
    let first = u64::try_from(offset).unwrap_or_default() + 1;
    Ok(rows
        .into_iter()
        .zip(first..)
        .map(|(row, sequence)| AuditEntry {
            sequence,
            incident_id: row.incident_id,
            actor: row.actor,
            action: row.action,
            detail_json: row.detail_json,
            at: row.at,
            caller: row.caller,
            caller_role: row.caller_role,
        })
        .collect())
}
