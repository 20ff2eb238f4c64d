//! The roster as stored.

use hallguard_domain::time::now_millis;
use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::{Any, AnyPool, Transaction};

use super::{texts, texts_json};
use crate::model::{RosterEntry, StaffMember};
use hallguard_platform::sealing::{SealedColumns, Sealer};

/// The sealed columns: names and phones never stored in clear.
pub const SEALED: SealedColumns = SealedColumns {
    table: "staff",
    key: &["site_id", "staff_id"],
    columns: &["name", "phone"],
};

#[derive(sqlx::FromRow)]
struct MemberRow {
    site_id: String,
    staff_id: String,
    name: String,
    department: String,
    job_role: String,
    work_zone_ids_json: String,
    phone: String,
}

impl MemberRow {
    fn open(self, sealer: &Sealer) -> std::result::Result<StaffMember, sqlx::Error> {
        Ok(StaffMember {
            work_zone_ids: texts(&self.work_zone_ids_json)?,
            name: sealer.open(&SEALED.context("name"), &self.name)?,
            phone: sealer.open(&SEALED.context("phone"), &self.phone)?,
            site_id: self.site_id,
            staff_id: self.staff_id,
            department: self.department,
            job_role: self.job_role,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    site_id: String,
    staff_id: String,
    department: String,
    work_zone_ids_json: String,
}

impl TryFrom<EntryRow> for RosterEntry {
    type Error = sqlx::Error;

    fn try_from(row: EntryRow) -> std::result::Result<Self, Self::Error> {
        Ok(RosterEntry {
            work_zone_ids: texts(&row.work_zone_ids_json)?,
            site_id: row.site_id,
            staff_id: row.staff_id,
            department: row.department,
        })
    }
}

const COLUMNS: &str = "site_id, staff_id, name, department, job_role, work_zone_ids_json, phone";
const ENTRY_COLUMNS: &str = "site_id, staff_id, department, work_zone_ids_json";

/// Adds or replaces a member, name and phone sealed.
pub async fn save(
    transaction: &mut Transaction<'_, Any>,
    sealer: &Sealer,
    member: &StaffMember,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO staff (site_id, staff_id, name, department, job_role, work_zone_ids_json, phone, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (site_id, staff_id) DO UPDATE SET name = excluded.name, department = excluded.department,
             job_role = excluded.job_role, work_zone_ids_json = excluded.work_zone_ids_json, phone = excluded.phone,
             updated_at = excluded.updated_at, left_at = NULL, left_reason = NULL",
    )
    .bind(&member.site_id)
    .bind(&member.staff_id)
    .bind(sealer.seal(&SEALED.context("name"), &member.name))
    .bind(&member.department)
    .bind(&member.job_role)
    .bind(texts_json(&member.work_zone_ids))
    .bind(sealer.seal(&SEALED.context("phone"), &member.phone))
    .bind(now_millis())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Takes a member off the roster (leaving, a transfer), keeping the row for history;
/// false when they were not on it.
pub async fn remove(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    staff_id: &str,
    reason: &str,
    at: i64,
) -> Result<bool> {
    let removed = sqlx::query(
        "UPDATE staff SET left_at = $1, left_reason = $2 WHERE site_id = $3 AND staff_id = $4 AND left_at IS NULL",
    )
    .bind(at)
    .bind(reason)
    .bind(site_id)
    .bind(staff_id)
    .execute(&mut **transaction)
    .await?
    .rows_affected();
    Ok(removed > 0)
}

/// One current member's roster entry, or NOT_FOUND naming `field`.
pub async fn get<'c, E>(executor: E, site_id: &str, staff_id: &str, field: &str) -> Result<RosterEntry>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row: EntryRow = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM staff WHERE site_id = $1 AND staff_id = $2 AND left_at IS NULL"
    ))
    .bind(site_id)
    .bind(staff_id)
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| {
        ServiceError::not_found(
            field,
            format!("no staff member {staff_id:?} on this hall's roster"),
        )
    })?;
    Ok(RosterEntry::try_from(row)?)
}

/// Every roster entry of a hall, by staff id.
pub async fn all(pool: &AnyPool, site_id: &str) -> Result<Vec<RosterEntry>> {
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM staff WHERE site_id = $1 AND left_at IS NULL ORDER BY staff_id"
    ))
    .bind(site_id)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, RosterEntry>(rows)?)
}

/// Every member of a hall with name and phone, by staff id.
pub async fn members(pool: &AnyPool, sealer: &Sealer, site_id: &str) -> Result<Vec<StaffMember>> {
    members_of(pool, sealer, site_id, "").await
}

async fn members_of(
    pool: &AnyPool,
    sealer: &Sealer,
    site_id: &str,
    department: &str,
) -> Result<Vec<StaffMember>> {
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff WHERE site_id = $1 AND ($2 = '' OR department = $2) AND left_at IS NULL
         ORDER BY staff_id"
    ))
    .bind(site_id)
    .bind(department)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| row.open(sealer))
        .collect::<std::result::Result<_, _>>()?)
}

/// A page of the roster matching a query (name, id or department, case-insensitive) and
/// a department. Names are sealed, so the hall's roster is opened and matched here (a
/// hall's roster is hundreds of people).
pub async fn search(
    pool: &AnyPool,
    sealer: &Sealer,
    site_id: &str,
    query: &str,
    department: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<StaffMember>> {
    let query = query.trim().to_lowercase();
    let matches = |member: &StaffMember| {
        [&member.name, &member.staff_id, &member.department]
            .iter()
            .any(|text| text.to_lowercase().contains(&query))
    };
    Ok(members_of(pool, sealer, site_id, department.trim())
        .await?
        .into_iter()
        .filter(matches)
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}
