//! Retention of the incident service's personal data. The official record survives:
//! once a closed incident's last record is older than `retention.incident_contacts_days`,
//! its contacts' identities and evidence go, and so do the personal fields of its steps
//! and audit entries, while the incident, its steps, counts and who did what remain;
//! the upward report's personal fields go after `retention.upward_reports_days`. An
//! incident under legal hold keeps everything. Audit entries and the records of who did
//! what (rounds, stock movements, duty rosters) are deleted after `retention.audit_days`.
//! Every purge is idempotent and leaves a deletion record.

use std::time::Duration;

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::retention::DataKind;
use hallguard_domain::time::{format_date, local_day};
use hallguard_platform::db::begin_write;
use hallguard_platform::retention::{self as platform, Action, Coverage, PLATFORM_PURGES, Removed, cutoff};
use hallguard_platform::tasks::Task;
use serde_json::Value;
use sqlx::AnyPool;

type Result<T> = std::result::Result<T, sqlx::Error>;

use crate::store::retention::{self as store, Removal};
use crate::workflow::Step;

/// The fields that name or describe a person, wherever they appear in a step's or an
/// audit entry's detail.
pub const PERSONAL_FIELDS: &[&str] = &["person_id", "name", "phone", "residence", "note", "evidence"];

/// How each of the incident service's tables leaves (checked against the database by a
/// test).
pub const COVERAGE: &[(&str, Coverage)] = &[
    (
        "incidents",
        Coverage::Kept("the official record of the response; see legal holds"),
    ),
    (
        "incident_source_events",
        Coverage::Kept("which source event attached a reading to which incident; ids only"),
    ),
    (
        "follow_up_contacts",
        Coverage::Pseudonymised(DataKind::IncidentContacts),
    ),
    (
        "step_records",
        Coverage::Pseudonymised(DataKind::IncidentContacts),
    ),
    ("audit_log", Coverage::Deleted(DataKind::Audit)),
    (
        "tasks",
        Coverage::Kept("the incident's record of which post did what; names posts and staff ids only"),
    ),
    (
        "disinfection_orders",
        Coverage::Kept("the incident's record of which zones were disinfected"),
    ),
    ("disinfection_rounds", Coverage::Deleted(DataKind::Audit)),
    ("stock_movements", Coverage::Deleted(DataKind::Audit)),
    ("duty_rosters", Coverage::Deleted(DataKind::Audit)),
    (
        "response_groups",
        Coverage::Kept("the current organisation, as edited"),
    ),
    ("supplies", Coverage::Kept("stock levels; names no one")),
    ("thermometers", Coverage::Kept("devices; names no one")),
];

/// Removes the personal fields from a detail, at any depth; true when any went.
pub fn strip_personal(detail: &mut Value) -> bool {
    match detail {
        Value::Object(fields) => {
            let before = fields.len();
            fields.retain(|key, _| !PERSONAL_FIELDS.contains(&key.as_str()));
            let mut changed = fields.len() != before;
            for value in fields.values_mut() {
                changed |= strip_personal(value);
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| strip_personal(item) | changed),
        _ => false,
    }
}

fn stripped(detail_json: &str) -> Option<String> {
    // A detail that is not JSON is left alone rather than lost.
    let mut detail: Value = serde_json::from_str(detail_json).ok()?;
    strip_personal(&mut detail).then(|| detail.to_string())
}

/// Removes `removal` from one incident; returns how many contacts (or, for the report,
/// records) lost their personal fields.
async fn remove(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    incident_id: &str,
    removal: Removal,
    now: i64,
) -> Result<u64> {
    let report = i64::from(Step::UpwardReport as u32);
    let mut removed = 0;
    if removal == Removal::Contacts {
        removed += store::remove_contact_identities(transaction, incident_id).await?;
        for (entry_id, detail) in store::audit_details(transaction, incident_id).await? {
            if let Some(detail) = stripped(&detail) {
                store::set_audit_detail(transaction, &entry_id, &detail).await?;
            }
        }
    }
    for (record_id, step, detail) in store::step_details(transaction, incident_id).await? {
        if (step == report) != (removal == Removal::Report) {
            continue;
        }
        if let Some(detail) = stripped(&detail) {
            store::set_step_detail(transaction, &record_id, &detail).await?;
            if removal == Removal::Report {
                removed += 1;
            }
        }
    }
    store::mark_removed(transaction, incident_id, removal, now).await?;
    Ok(removed)
}

/// Applies one removal to every expired incident of a hall, each in its own transaction
/// with its deletion record (a period and a count, never a person).
async fn purge_incidents(pool: &AnyPool, hall: &Hall, removal: Removal, now: i64) -> Result<u64> {
    let kind = match removal {
        Removal::Contacts => DataKind::IncidentContacts,
        Removal::Report => DataKind::UpwardReports,
    };
    let older_than = cutoff(hall, kind, now);
    let mut total = 0;
    for incident_id in store::expired(pool, &hall.site_id, older_than, removal).await? {
        let mut transaction = begin_write(pool).await?;
        let removed = remove(&mut transaction, &incident_id, removal, now).await?;
        let removed_fields = Removed {
            hall,
            kind,
            action: Action::Pseudonymised,
            older_than,
            count: removed,
        };
        platform::record(&mut transaction, &removed_fields, now).await?;
        transaction.commit().await?;
        total += removed;
    }
    Ok(total)
}

/// Deletes a hall's audit entries and records of who did what past its audit limit.
async fn purge_audit(pool: &AnyPool, hall: &Hall, now: i64) -> Result<u64> {
    let older_than = cutoff(hall, DataKind::Audit, now);
    let mut transaction = begin_write(pool).await?;
    let mut removed = store::delete_old_audit(&mut transaction, &hall.site_id, older_than).await?;
    let first_kept_date = format_date(local_day(older_than, hall.utc_offset_minutes));
    removed += store::delete_old_rosters(&mut transaction, &hall.site_id, &first_kept_date).await?;
    let removed_rows = Removed {
        hall,
        kind: DataKind::Audit,
        action: Action::Deleted,
        older_than,
        count: removed,
    };
    platform::record(&mut transaction, &removed_rows, now).await?;
    transaction.commit().await?;
    Ok(removed)
}

/// One round over every hall; returns how many rows lost personal data or went.
pub async fn purge(pool: &AnyPool, halls: &Halls, now: i64) -> Result<u64> {
    let mut total = 0;
    for hall in halls.iter() {
        total += purge_incidents(pool, hall, Removal::Contacts, now).await?;
        total += purge_incidents(pool, hall, Removal::Report, now).await?;
        total += purge_audit(pool, hall, now).await?;
    }
    total += platform::purge(pool, halls, now, &PLATFORM_PURGES).await?;
    Ok(total)
}

/// Purges now, and returns the task that purges every `interval`.
pub async fn start(pool: AnyPool, halls: Halls, interval: Duration) -> Result<Task> {
    platform::start_with(
        crate::NAME,
        pool,
        halls,
        interval,
        |pool, halls, now| async move { purge(&pool, &halls, now).await },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_fields_go_at_any_depth_and_the_rest_stays() {
        let mut report = json!({
            "incident_id": "inc-1",
            "person": { "site_id": "hall", "kind": "VISITOR", "person_id": "p-9" },
            "contacts": [
                { "person_id": "p-1", "ring": 1, "category": "close", "status": "HELD" },
                { "person_id": "p-2", "ring": 2, "category": "secondary", "evidence": [{ "zone": "a" }] },
            ],
            "timeline": [{ "step": 1, "recorded_by": "duty-1", "detail": { "note": "called Mr Li" } }],
        });
        assert!(strip_personal(&mut report));
        assert_eq!(
            report,
            json!({
                "incident_id": "inc-1",
                "person": { "site_id": "hall", "kind": "VISITOR" },
                "contacts": [
                    { "ring": 1, "category": "close", "status": "HELD" },
                    { "ring": 2, "category": "secondary" },
                ],
                "timeline": [{ "step": 1, "recorded_by": "duty-1", "detail": {} }],
            })
        );
        assert!(!strip_personal(&mut report), "a second pass finds nothing");
        assert_eq!(stripped("not json"), None);
    }
}
