//! The response organisation (the leadership group, its office and the five working
//! groups) from the hall file, as edited over gRPC; and the duty roster per day for the
//! duty posts.

use hallguard_domain::hall::Hall;
use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_proto::incident::v1 as pb;
use sqlx::{AnyPool, Row};

use crate::store::audit;

/// The hall's groups: the stored version of each, else the hall file's.
pub async fn groups(pool: &AnyPool, hall: &Hall) -> Result<Vec<pb::Group>> {
    let stored =
        sqlx::query("SELECT group_id, name, leader, members FROM response_groups WHERE site_id = $1")
            .bind(&hall.site_id)
            .fetch_all(pool)
            .await?;
    let mut out = Vec::new();
    for group in &hall.groups {
        let edited = stored.iter().find(|row| {
            row.try_get::<String, _>("group_id")
                .is_ok_and(|id| id == group.id)
        });
        out.push(match edited {
            Some(row) => {
                let members: String = row.try_get("members")?;
                pb::Group {
                    group_id: group.id.clone(),
                    name: row.try_get("name")?,
                    leader: row.try_get("leader")?,
                    members: members
                        .split(',')
                        .filter(|m| !m.is_empty())
                        .map(str::to_string)
                        .collect(),
                }
            }
            None => pb::Group {
                group_id: group.id.clone(),
                name: group.name.clone(),
                leader: group.leader.clone(),
                members: group.members.clone(),
            },
        });
    }
    Ok(out)
}

/// Whether someone leads or belongs to a group.
pub async fn is_member(pool: &AnyPool, hall: &Hall, group_id: &str, staff_id: &str) -> Result<bool> {
    Ok(groups(pool, hall)
        .await?
        .iter()
        .find(|g| g.group_id == group_id)
        .is_some_and(|g| g.leader == staff_id || g.members.iter().any(|m| m == staff_id)))
}

/// Replaces one of the hall's groups.
pub async fn update(pool: &AnyPool, hall: &Hall, group: &pb::Group, by: &str) -> Result<pb::Group> {
    if !hall.groups.iter().any(|g| g.id == group.group_id) {
        return Err(ServiceError::not_found(
            "group.group_id",
            format!("no group {:?} in this hall's organisation", group.group_id),
        ));
    }
    let leader = group.leader.trim();
    if leader.is_empty() {
        return Err(ServiceError::invalid("group.leader", "is empty"));
    }
    if group.name.trim().is_empty() {
        return Err(ServiceError::invalid("group.name", "is empty"));
    }
    let members: Vec<String> = group
        .members
        .iter()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let mut transaction = begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO response_groups (site_id, group_id, name, leader, members, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (site_id, group_id) DO UPDATE SET name = excluded.name, leader = excluded.leader,
             members = excluded.members, updated_at = excluded.updated_at",
    )
    .bind(&hall.site_id)
    .bind(&group.group_id)
    .bind(group.name.trim())
    .bind(leader)
    .bind(members.join(","))
    .bind(now_millis())
    .execute(&mut *transaction)
    .await?;
    audit::append(
        &mut transaction,
        None,
        by,
        "group updated",
        &serde_json::json!({ "site_id": hall.site_id, "group_id": group.group_id, "leader": leader, "members": members }),
    )
    .await?;
    transaction.commit().await?;
    Ok(pb::Group {
        group_id: group.group_id.clone(),
        name: group.name.trim().to_string(),
        leader: leader.to_string(),
        members,
    })
}

/// Replaces a day's duty roster: each post at most once, every assignment named.
pub async fn set_roster(
    pool: &AnyPool,
    site_id: &str,
    date: &str,
    assignments: &[pb::DutyAssignment],
    by: &str,
) -> Result<Vec<pb::DutyAssignment>> {
    let mut seen = std::collections::HashSet::new();
    for (index, assignment) in assignments.iter().enumerate() {
        let post = pb::DutyPost::try_from(assignment.post).unwrap_or_default();
        if post == pb::DutyPost::Unspecified {
            return Err(ServiceError::invalid(
                format!("assignments[{index}].post"),
                "is not a duty post",
            ));
        }
        if assignment.staff_id.trim().is_empty() {
            return Err(ServiceError::invalid(
                format!("assignments[{index}].staff_id"),
                "is empty",
            ));
        }
        if !seen.insert(post) {
            return Err(ServiceError::invalid(
                format!("assignments[{index}].post"),
                "is assigned twice",
            ));
        }
    }
    let mut transaction = begin_write(pool).await?;
    sqlx::query("DELETE FROM duty_rosters WHERE site_id = $1 AND duty_date = $2")
        .bind(site_id)
        .bind(date)
        .execute(&mut *transaction)
        .await?;
    for assignment in assignments {
        sqlx::query("INSERT INTO duty_rosters (site_id, duty_date, post, staff_id) VALUES ($1, $2, $3, $4)")
            .bind(site_id)
            .bind(date)
            .bind(
                pb::DutyPost::try_from(assignment.post)
                    .unwrap_or_default()
                    .as_str_name(),
            )
            .bind(assignment.staff_id.trim())
            .execute(&mut *transaction)
            .await?;
    }
    audit::append(
        &mut transaction,
        None,
        by,
        "duty roster set",
        &serde_json::json!({ "site_id": site_id, "date": date, "posts": assignments.len() }),
    )
    .await?;
    transaction.commit().await?;
    roster(pool, site_id, date).await
}

/// A day's duty roster, in post order.
pub async fn roster(pool: &AnyPool, site_id: &str, date: &str) -> Result<Vec<pb::DutyAssignment>> {
    let rows = sqlx::query("SELECT post, staff_id FROM duty_rosters WHERE site_id = $1 AND duty_date = $2")
        .bind(site_id)
        .bind(date)
        .fetch_all(pool)
        .await?;
    let mut out: Vec<pb::DutyAssignment> = rows
        .iter()
        .map(|row| {
            let post: String = row.try_get("post")?;
            Ok(pb::DutyAssignment {
                post: pb::DutyPost::from_str_name(&post).unwrap_or_default() as i32,
                staff_id: row.try_get("staff_id")?,
            })
        })
        .collect::<Result<_>>()?;
    out.sort_by_key(|a| a.post);
    Ok(out)
}
