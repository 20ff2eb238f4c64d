//! The append-only audit log: who did what, when. Entry ids are time-ordered, so the
//! log reads in the order it was written.

use hallguard_domain::time::now_millis;
use hallguard_platform::error::Result;
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool, Transaction};

use crate::model::AuditEntry;

/// Appends an entry in the caller's transaction.
pub async fn append(
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

#[derive(sqlx::FromRow)]
struct AuditRow {
    incident_id: Option<String>,
    actor: String,
    action: String,
    detail_json: String,
    at: i64,
}

/// A page of the log, of one incident or all (`incident_id` empty), in order.
pub async fn page(pool: &AnyPool, incident_id: &str, offset: i64, limit: i64) -> Result<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT incident_id, actor, action, detail_json, at FROM audit_log
         WHERE ($1 = '' OR incident_id = $1) ORDER BY entry_id LIMIT $2 OFFSET $3",
    )
    .bind(incident_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
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
        })
        .collect())
}
