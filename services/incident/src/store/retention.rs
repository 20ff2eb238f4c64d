//! What retention reads and rewrites in the incident tables: closed incidents past a
//! limit, their contacts' identities and the personal fields of their step and audit
//! details, and legal holds, which keep an incident out of every purge.

use sqlx::{Any, AnyPool, Transaction};

type Result<T> = std::result::Result<T, sqlx::Error>;

/// Which of an incident's personal data a purge removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Its follow-up contacts' identities and evidence, and the personal fields of its
    /// steps (but the upward report) and of its audit entries.
    Contacts,
    /// The personal fields of its upward report (step 5).
    Report,
}

impl Removal {
    fn column(self) -> &'static str {
        match self {
            Removal::Contacts => "contacts_removed_at",
            Removal::Report => "report_removed_at",
        }
    }
}

/// A hall's closed incidents, not under legal hold, whose last step record and last audit
/// entry are older than `cutoff` and whose `removal` has not been done.
pub async fn expired(pool: &AnyPool, site_id: &str, cutoff: i64, removal: Removal) -> Result<Vec<String>> {
    let statement = format!(
        "SELECT incident_id FROM incidents i
         WHERE site_id = $1 AND closed = 1 AND legal_hold_reason IS NULL AND {} IS NULL
           AND opened_at < $2
           AND NOT EXISTS (SELECT 1 FROM step_records s WHERE s.incident_id = i.incident_id AND s.recorded_at >= $2)
           AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.incident_id = i.incident_id AND a.at >= $2)
         ORDER BY incident_id",
        removal.column()
    );
    sqlx::query_scalar(&statement)
        .bind(site_id)
        .bind(cutoff)
        .fetch_all(pool)
        .await
}

/// Replaces each follow-up contact's person id by one derived from the contact's own id
/// and empties name, phone, note and evidence; returns how many contacts.
pub async fn remove_contact_identities(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE follow_up_contacts
         SET person_id = 'removed-' || contact_id, name = '', phone = '', note = '', evidence_json = '[]'
         WHERE incident_id = $1",
    )
    .bind(incident_id)
    .execute(&mut **transaction)
    .await?
    .rows_affected())
}

/// The step records of an incident as `(record_id, step, detail_json)`.
pub async fn step_details(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
) -> Result<Vec<(String, i64, String)>> {
    sqlx::query_as("SELECT record_id, step, detail_json FROM step_records WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_all(&mut **transaction)
        .await
}

/// Rewrites one step record's detail.
pub async fn set_step_detail(
    transaction: &mut Transaction<'_, Any>,
    record_id: &str,
    detail_json: &str,
) -> Result<()> {
    sqlx::query("UPDATE step_records SET detail_json = $1 WHERE record_id = $2")
        .bind(detail_json)
        .bind(record_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// The audit entries of an incident as `(entry_id, detail_json)`.
pub async fn audit_details(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
) -> Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT entry_id, detail_json FROM audit_log WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_all(&mut **transaction)
        .await
}

/// Rewrites one audit entry's detail (only retention does; the log is otherwise
/// append-only).
pub async fn set_audit_detail(
    transaction: &mut Transaction<'_, Any>,
    entry_id: &str,
    detail_json: &str,
) -> Result<()> {
    sqlx::query("UPDATE audit_log SET detail_json = $1 WHERE entry_id = $2")
        .bind(detail_json)
        .bind(entry_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// Marks `removal` done for an incident.
pub async fn mark_removed(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    removal: Removal,
    at: i64,
) -> Result<()> {
    let statement = format!(
        "UPDATE incidents SET {} = $1 WHERE incident_id = $2",
        removal.column()
    );
    sqlx::query(&statement)
        .bind(at)
        .bind(incident_id)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// Deletes a hall's audit entries older than `cutoff`, but those of incidents under
/// legal hold; entries written before they carried a hall go with any hall's limit.
pub async fn delete_old_audit(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    cutoff: i64,
) -> Result<u64> {
    let mut deleted = sqlx::query(
        "DELETE FROM audit_log WHERE (site_id = $1 OR site_id IS NULL) AND at < $2
           AND (incident_id IS NULL
                OR incident_id NOT IN (SELECT incident_id FROM incidents WHERE legal_hold_reason IS NOT NULL))",
    )
    .bind(site_id)
    .bind(cutoff)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    for statement in [
        "DELETE FROM disinfection_rounds WHERE site_id = $1 AND done_at < $2",
        "DELETE FROM stock_movements WHERE site_id = $1 AND moved_at < $2",
    ] {
        deleted += sqlx::query(statement)
            .bind(site_id)
            .bind(cutoff)
            .execute(&mut **transaction)
            .await?
            .rows_affected();
    }
    Ok(deleted)
}

/// Deletes a hall's duty rosters of days before `first_kept_date` (`YYYY-MM-DD`).
pub async fn delete_old_rosters(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    first_kept_date: &str,
) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM duty_rosters WHERE site_id = $1 AND duty_date < $2")
            .bind(site_id)
            .bind(first_kept_date)
            .execute(&mut **transaction)
            .await?
            .rows_affected(),
    )
}

/// Sets (reason, by, at) or clears an incident's legal hold.
pub async fn set_legal_hold(
    transaction: &mut Transaction<'_, Any>,
    incident_id: &str,
    hold: Option<(&str, &str, i64)>,
) -> Result<()> {
    let (reason, by, at) = match hold {
        Some((reason, by, at)) => (Some(reason), Some(by), Some(at)),
        None => (None, None, None),
    };
    sqlx::query(
        "UPDATE incidents SET legal_hold_reason = $1, legal_hold_by = $2, legal_hold_at = $3 WHERE incident_id = $4",
    )
    .bind(reason)
    .bind(by)
    .bind(at)
    .bind(incident_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
