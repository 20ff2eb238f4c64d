//! Close contacts kept off duty: the incident service places a duty hold on a staff
//! member under follow-up and lifts it at release; until then, or until the quarantine
//! period ends, the morning check finds them unfit and clock-in refuses them.

use hallguard_domain::hall::Hall;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::staff_health::v1 as pb;
use sqlx::{Any, AnyPool};

use crate::model::DutyHold;
use crate::store;

/// Places a hold under `key` (the same key returns the first hold).
#[allow(clippy::too_many_arguments)]
pub async fn place(
    pool: &AnyPool,
    hall: &Hall,
    staff_id: &str,
    incident_id: &str,
    reason: &str,
    key: &str,
    now: i64,
    last_exposure_at: Option<i64>,
) -> Result<DutyHold> {
    store::staff::get(pool, &hall.site_id, staff_id, "staff_id").await?;
    let hold = DutyHold {
        site_id: hall.site_id.clone(),
        staff_id: staff_id.to_string(),
        incident_id: incident_id.to_string(),
        reason: reason.to_string(),
        placed_at: now,
        ends_at: hall.quarantine_ends(now, last_exposure_at),
        lifted_at: None,
    };
    store::duty_holds::place(pool, key, &hold).await
}

/// Lifts the hold placed with `key`, if its hall is the caller's; returns it.
pub async fn lift(pool: &AnyPool, key: &str, reason: &str, now: i64) -> Result<DutyHold> {
    let hold = store::duty_holds::get(pool, key).await?;
    hallguard_platform::jurisdiction::check(&hold.site_id, "idempotency_key")?;
    store::duty_holds::lift(pool, key, reason, now).await?;
    store::duty_holds::get(pool, key).await
}

/// Refuses duty to a staff member held at `at` (FAILED_PRECONDITION saying until when).
pub async fn refuse_if_held<'c, E>(executor: E, site_id: &str, staff_id: &str, at: i64) -> Result<()>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    match store::duty_holds::in_force(executor, site_id, staff_id, at).await? {
        Some(hold) => Err(ServiceError::precondition(format!(
            "{staff_id} is kept off duty as a close contact of {} until released or {}",
            hold.incident_id,
            hallguard_domain::time::format_date(hold.ends_at.div_euclid(hallguard_domain::time::DAY_MS))
        ))),
        None => Ok(()),
    }
}

/// Why a morning check finds the staff member unfit, when a hold is in force.
pub async fn unfit_reason<'c, E>(
    executor: E,
    site_id: &str,
    staff_id: &str,
    at: i64,
) -> Result<Option<String>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    Ok(store::duty_holds::in_force(executor, site_id, staff_id, at)
        .await?
        .map(|hold| {
            format!(
                "close contact of {} (kept off duty until released)",
                hold.incident_id
            )
        }))
}

/// A hold as the contracts show it.
pub fn message(hold: DutyHold) -> pb::DutyHold {
    pb::DutyHold {
        site_id: hold.site_id,
        staff_id: hold.staff_id,
        incident_id: hold.incident_id,
        reason: hold.reason,
        placed_at: Some(millis_to_timestamp(hold.placed_at)),
        ends_at: Some(millis_to_timestamp(hold.ends_at)),
        lifted_at: hold.lifted_at.map(millis_to_timestamp),
    }
}
