//! The response organisation (the leadership group, its office and the five working
//! groups) from the hall file, as edited over gRPC; and the duty roster per day for the
//! duty posts.

use hallguard_domain::hall::Hall;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::AnyPool;

use crate::model::{DutyAssignment, Group};
use crate::store::audit::Subject;
use crate::store::{self, audit};

/// The hall's groups: the edited version of each, else the hall file's.
pub async fn groups(pool: &AnyPool, hall: &Hall) -> Result<Vec<Group>> {
    let edited = store::organisation::edited_groups(pool, &hall.site_id).await?;
    Ok(hall
        .groups
        .iter()
        .map(|group| {
            edited
                .iter()
                .find(|edit| edit.group_id == group.id)
                .cloned()
                .unwrap_or_else(|| Group {
                    group_id: group.id.clone(),
                    name: group.name.clone(),
                    leader: group.leader.clone(),
                    members: group.members.clone(),
                })
        })
        .collect())
}

/// Replaces one of the hall's groups (names trimmed, empty members dropped).
pub async fn update(pool: &AnyPool, hall: &Hall, group: &Group, by: &str) -> Result<Group> {
    if !hall.groups.iter().any(|g| g.id == group.group_id) {
        return Err(ServiceError::not_found(
            "group.group_id",
            format!("no group {:?} in this hall's organisation", group.group_id),
        ));
    }
    let group = Group {
        group_id: group.group_id.clone(),
        name: group.name.trim().to_string(),
        leader: group.leader.trim().to_string(),
        members: group
            .members
            .iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect(),
    };
    if group.leader.is_empty() {
        return Err(ServiceError::invalid("group.leader", "is empty"));
    }
    if group.name.is_empty() {
        return Err(ServiceError::invalid("group.name", "is empty"));
    }
    let mut transaction = begin_write(pool).await?;
    store::organisation::save_group(&mut transaction, &hall.site_id, &group).await?;
    audit::append(
        &mut transaction,
        Subject::Hall(&hall.site_id),
        by,
        "group updated",
        &serde_json::json!({ "site_id": hall.site_id, "group_id": group.group_id, "leader": group.leader, "members": group.members }),
    )
    .await?;
    transaction.commit().await?;
    Ok(group)
}

/// Replaces a day's duty roster: each post at most once, every assignment named.
pub async fn set_roster(
    pool: &AnyPool,
    site_id: &str,
    date: &str,
    assignments: &[DutyAssignment],
    by: &str,
) -> Result<Vec<DutyAssignment>> {
    let mut seen = std::collections::HashSet::new();
    for (index, assignment) in assignments.iter().enumerate() {
        if assignment.staff_id.trim().is_empty() {
            return Err(ServiceError::invalid(
                format!("assignments[{index}].staff_id"),
                "is empty",
            ));
        }
        if !seen.insert(assignment.post) {
            return Err(ServiceError::invalid(
                format!("assignments[{index}].post"),
                "is assigned twice",
            ));
        }
    }
    let trimmed: Vec<DutyAssignment> = assignments
        .iter()
        .map(|assignment| DutyAssignment {
            post: assignment.post,
            staff_id: assignment.staff_id.trim().to_string(),
        })
        .collect();
    let mut transaction = begin_write(pool).await?;
    store::organisation::replace_roster(&mut transaction, site_id, date, &trimmed).await?;
    audit::append(
        &mut transaction,
        Subject::Hall(site_id),
        by,
        "duty roster set",
        &serde_json::json!({ "site_id": site_id, "date": date, "posts": assignments.len() }),
    )
    .await?;
    transaction.commit().await?;
    store::organisation::roster(pool, site_id, date).await
}
