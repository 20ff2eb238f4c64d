//! The focus-management list (重点管控): who is on it since when, their last symptom,
//! and their release.

use hallguard_platform::error::Result;
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool, Transaction};

use crate::model::FocusEntry;

/// Puts someone on focus management at `at`, or moves their last symptom to `at` when
/// they are on it already.
pub async fn mark_symptom(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    staff_id: &str,
    at: i64,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE focus_entries SET last_symptom_at = CASE WHEN last_symptom_at > $1 THEN last_symptom_at ELSE $1 END
         WHERE site_id = $2 AND staff_id = $3 AND released_at IS NULL",
    )
    .bind(at)
    .bind(site_id)
    .bind(staff_id)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO focus_entries (entry_id, site_id, staff_id, since, last_symptom_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(new_id("focus"))
        .bind(site_id)
        .bind(staff_id)
        .bind(at)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

/// Whether someone is on focus management.
pub async fn on_focus_management<'c, E>(executor: E, site_id: &str, staff_id: &str) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM focus_entries WHERE site_id = $1 AND staff_id = $2 AND released_at IS NULL",
    )
    .bind(site_id)
    .bind(staff_id)
    .fetch_one(executor)
    .await?;
    Ok(open > 0)
}

#[derive(sqlx::FromRow)]
struct FocusRow {
    staff_id: String,
    name: String,
    since: i64,
    last_symptom_at: i64,
    released_at: Option<i64>,
}

impl From<FocusRow> for FocusEntry {
    fn from(row: FocusRow) -> Self {
        FocusEntry {
            staff_id: row.staff_id,
            name: row.name,
            since: row.since,
            last_symptom_at: row.last_symptom_at,
            released_at: row.released_at,
        }
    }
}

const FOCUS_SELECT: &str = "SELECT f.staff_id, s.name, f.since, f.last_symptom_at, f.released_at
     FROM focus_entries f JOIN staff s ON s.site_id = f.site_id AND s.staff_id = f.staff_id";

/// The focus-management list, oldest first.
pub async fn focus_entries(pool: &AnyPool, site_id: &str, include_released: bool) -> Result<Vec<FocusEntry>> {
    let rows: Vec<FocusRow> = sqlx::query_as(&format!(
        "{FOCUS_SELECT} WHERE f.site_id = $1 AND ($2 = 1 OR f.released_at IS NULL) ORDER BY f.since, f.staff_id"
    ))
    .bind(site_id)
    .bind(i64::from(include_released))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(FocusEntry::from).collect())
}

/// Someone's open focus-management entry, if any.
pub async fn open_focus_entry(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    staff_id: &str,
) -> Result<Option<FocusEntry>> {
    let row: Option<FocusRow> = sqlx::query_as(&format!(
        "{FOCUS_SELECT} WHERE f.site_id = $1 AND f.staff_id = $2 AND f.released_at IS NULL"
    ))
    .bind(site_id)
    .bind(staff_id)
    .fetch_optional(&mut **transaction)
    .await?;
    Ok(row.map(FocusEntry::from))
}

/// Takes someone off focus management.
pub async fn release_focus(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    staff_id: &str,
    by: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE focus_entries SET released_at = $1, released_by = $2 WHERE site_id = $3 AND staff_id = $4 AND released_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(site_id)
    .bind(staff_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
