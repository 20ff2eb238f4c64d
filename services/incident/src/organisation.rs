//! The response organisation (the leadership group, its office and the five working
//! groups) from the hall file, as edited over gRPC; and the duty roster per day for the
//! duty posts.

use hallguard_domain::hall::Hall;
use hallguard_platform::auth::Caller;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use sqlx::AnyPool;

use crate::model::{DutyAssignment, DutyPost, Group};
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

/// A name as compared: lower case, `-` and `_` as spaces, spaces trimmed.
fn normal(name: &str) -> String {
    name.trim().to_lowercase().replace(['-', '_'], " ")
}

/// Whether `name` is of the hall's organisation, so a request may act for it: a group
/// (by id or name), a duty post (`disinfection post`), or a staff id leading or in a
/// group or on a duty roster of the hall.
pub async fn knows(pool: &AnyPool, hall: &Hall, name: &str) -> Result<bool> {
    let wanted = normal(name);
    let in_groups = groups(pool, hall).await?.iter().any(|group| {
        [&group.group_id, &group.name, &group.leader]
            .into_iter()
            .chain(&group.members)
            .any(|known| normal(known) == wanted)
    });
    let a_post = DutyPost::ALL
        .iter()
        .any(|post| format!("{} post", normal(post.as_str())) == wanted);
    Ok(in_groups || a_post || store::organisation::on_a_roster(pool, &hall.site_id, name.trim()).await?)
}

/// The name a request acts for: the caller's own when `given` is empty; a given name
/// must be the caller's or of the hall's organisation ([`knows`]), else INVALID_ARGUMENT
/// naming `field`.
pub async fn acting_for(
    pool: &AnyPool,
    hall: &Hall,
    caller: Option<&Caller>,
    given: &str,
    field: &str,
) -> Result<String> {
    let given = given.trim();
    let caller_name = caller.map(|caller| caller.name.as_str());
    if given.is_empty() {
        return caller_name
            .map(str::to_string)
            .ok_or_else(|| ServiceError::invalid(field, "is empty"));
    }
    if caller_name == Some(given) || knows(pool, hall, given).await? {
        return Ok(given.to_string());
    }
    Err(ServiceError::invalid(
        field,
        format!(
            "{given:?} is on no group or duty roster of this hall: name a group, a duty post or a staff id of its organisation, or leave it empty to act as yourself"
        ),
    ))
}

/// The caller approving for the leadership group: it must be the caller itself (a name
/// given in `approved_by` is only checked against it) and a leader or member of the
/// group as edited.
pub async fn leadership_approver(
    pool: &AnyPool,
    hall: &Hall,
    caller: Option<&Caller>,
    approved_by: &str,
) -> Result<String> {
    let Some(caller) = caller else {
        return Err(ServiceError::Forbidden(
            "an approval needs an authenticated caller".into(),
        ));
    };
    let given = approved_by.trim();
    if !given.is_empty() && given != caller.name {
        return Err(ServiceError::Forbidden(format!(
            "approved_by: approvals are the caller's own; {} cannot approve as {given:?}",
            caller.name
        )));
    }
    let leadership = groups(pool, hall)
        .await?
        .into_iter()
        .find(|group| group.group_id == "leadership");
    let member =
        leadership.is_some_and(|group| group.leader == caller.name || group.members.contains(&caller.name));
    if !member {
        return Err(ServiceError::Forbidden(format!(
            "{} is not in the leadership group: statements are released only with its approval",
            caller.name
        )));
    }
    Ok(caller.name.clone())
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
