//! The response groups as edited over gRPC, and the duty roster per day.

use hallguard_domain::time::now_millis;
use hallguard_platform::error::Result;
use sqlx::{Any, AnyPool, Transaction};

use super::corrupt;
use crate::model::{DutyAssignment, Group};

#[derive(sqlx::FromRow)]
struct GroupRow {
    group_id: String,
    name: String,
    leader: String,
    members_json: String,
}

/// The groups of a hall that were edited (the others are as the hall file says).
pub async fn edited_groups(pool: &AnyPool, site_id: &str) -> Result<Vec<Group>> {
    let rows: Vec<GroupRow> =
        sqlx::query_as("SELECT group_id, name, leader, members_json FROM response_groups WHERE site_id = $1")
            .bind(site_id)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Group {
                members: serde_json::from_str(&row.members_json).map_err(corrupt)?,
                group_id: row.group_id,
                name: row.name,
                leader: row.leader,
            })
        })
        .collect()
}

/// Stores a group's new version.
pub async fn save_group(transaction: &mut Transaction<'_, Any>, site_id: &str, group: &Group) -> Result<()> {
    sqlx::query(
        "INSERT INTO response_groups (site_id, group_id, name, leader, members_json, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (site_id, group_id) DO UPDATE SET name = excluded.name, leader = excluded.leader,
             members_json = excluded.members_json, updated_at = excluded.updated_at",
    )
    .bind(site_id)
    .bind(&group.group_id)
    .bind(&group.name)
    .bind(&group.leader)
    .bind(serde_json::to_string(&group.members).map_err(corrupt)?)
    .bind(now_millis())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Whether `staff_id` holds a duty post of the hall on any day.
pub async fn on_a_roster(pool: &AnyPool, site_id: &str, staff_id: &str) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM duty_rosters WHERE site_id = $1 AND staff_id = $2 LIMIT 1")
            .bind(site_id)
            .bind(staff_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Replaces a day's roster.
pub async fn replace_roster(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    date: &str,
    assignments: &[DutyAssignment],
) -> Result<()> {
    sqlx::query("DELETE FROM duty_rosters WHERE site_id = $1 AND duty_date = $2")
        .bind(site_id)
        .bind(date)
        .execute(&mut **transaction)
        .await?;
    for assignment in assignments {
        sqlx::query("INSERT INTO duty_rosters (site_id, duty_date, post, staff_id) VALUES ($1, $2, $3, $4)")
            .bind(site_id)
            .bind(date)
            .bind(assignment.post.as_str())
            .bind(&assignment.staff_id)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    post: String,
    staff_id: String,
}

/// A day's roster, in post order.
pub async fn roster(pool: &AnyPool, site_id: &str, date: &str) -> Result<Vec<DutyAssignment>> {
    let rows: Vec<AssignmentRow> =
        sqlx::query_as("SELECT post, staff_id FROM duty_rosters WHERE site_id = $1 AND duty_date = $2")
            .bind(site_id)
            .bind(date)
            .fetch_all(pool)
            .await?;
    let mut roster = rows
        .into_iter()
        .map(|row| {
            Ok(DutyAssignment {
                post: row.post.parse().map_err(corrupt)?,
                staff_id: row.staff_id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    roster.sort_by_key(|assignment| assignment.post);
    Ok(roster)
}
