//! The roster as stored.

use hallguard_domain::time::now_millis;
use hallguard_platform::db::decode_all;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::{Any, AnyPool, Transaction};

use super::{texts, texts_json};
use crate::model::StaffMember;

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

impl TryFrom<MemberRow> for StaffMember {
    type Error = sqlx::Error;

    fn try_from(row: MemberRow) -> std::result::Result<Self, Self::Error> {
        Ok(StaffMember {
            work_zone_ids: texts(&row.work_zone_ids_json)?,
            site_id: row.site_id,
            staff_id: row.staff_id,
            name: row.name,
            department: row.department,
            job_role: row.job_role,
            phone: row.phone,
        })
    }
}

const COLUMNS: &str = "site_id, staff_id, name, department, job_role, work_zone_ids_json, phone";

/// Adds or replaces a member.
pub async fn save(transaction: &mut Transaction<'_, Any>, member: &StaffMember) -> Result<()> {
    sqlx::query(
        "INSERT INTO staff (site_id, staff_id, name, department, job_role, work_zone_ids_json, phone, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (site_id, staff_id) DO UPDATE SET name = excluded.name, department = excluded.department,
             job_role = excluded.job_role, work_zone_ids_json = excluded.work_zone_ids_json, phone = excluded.phone,
             updated_at = excluded.updated_at",
    )
    .bind(&member.site_id)
    .bind(&member.staff_id)
    .bind(&member.name)
    .bind(&member.department)
    .bind(&member.job_role)
    .bind(texts_json(&member.work_zone_ids))
    .bind(&member.phone)
    .bind(now_millis())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// One member, or NOT_FOUND naming `field`.
pub async fn get<'c, E>(executor: E, site_id: &str, staff_id: &str, field: &str) -> Result<StaffMember>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row: MemberRow = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff WHERE site_id = $1 AND staff_id = $2"
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
    Ok(StaffMember::try_from(row)?)
}

/// Every member of a hall, by staff id.
pub async fn all(pool: &AnyPool, site_id: &str) -> Result<Vec<StaffMember>> {
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff WHERE site_id = $1 ORDER BY staff_id"
    ))
    .bind(site_id)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, StaffMember>(rows)?)
}

/// A page of the roster matching a query (name, id or department, case-insensitive) and
/// a department.
pub async fn search(
    pool: &AnyPool,
    site_id: &str,
    query: &str,
    department: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<StaffMember>> {
    let pattern = format!("%{}%", query.trim().to_lowercase());
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM staff
         WHERE site_id = $1
           AND (LOWER(name) LIKE $2 OR LOWER(staff_id) LIKE $2 OR LOWER(department) LIKE $2)
           AND ($3 = '' OR department = $3)
         ORDER BY staff_id LIMIT $4 OFFSET $5"
    ))
    .bind(site_id)
    .bind(pattern)
    .bind(department.trim())
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok(decode_all::<_, StaffMember>(rows)?)
}
