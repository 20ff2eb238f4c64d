//! Quarantine periods: a hold ends with its period (the hall's `quarantine_days` from
//! the last exposure), unless extended; the service lifts it then and tells the duty desk.

use std::time::Duration;

use hallguard_domain::hall::Hall;
use hallguard_domain::time::now_millis;
use hallguard_platform::feed::Feed;
use hallguard_platform::tasks::Task;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;
use sqlx::AnyPool;

use crate::{convert, store};

/// When a hold placed at `placed_at` ends: `quarantine_days` after the last exposure
/// when it is known, else after the hold.
pub fn ends_at(hall: &Hall, placed_at: i64, last_exposure_at: Option<i64>) -> i64 {
    hall.quarantine_ends(placed_at, last_exposure_at)
}

/// The task that lifts holds whose period ended, every `every`, and tells each hall's
/// duty desk; a round that fails waits for the next.
pub fn expiry_task(pool: AnyPool, feed: Feed<pb::DutyDeskEvent>, every: Duration) -> Task {
    Task::every("quarantine hold expiry", every, move || {
        let (pool, feed) = (pool.clone(), feed.clone());
        async move {
            match store::holds::end_due(&pool, now_millis()).await {
                Ok(ended) => {
                    for hold in ended {
                        let site_id = hold.person.site_id.clone();
                        let at = hold.lifted_at.unwrap_or_else(now_millis);
                        feed.publish(
                            &site_id,
                            pb::DutyDeskEvent {
                                occurred_at: Some(millis_to_timestamp(at)),
                                event: Some(pb::duty_desk_event::Event::HoldEnded(convert::hold_message(
                                    hold,
                                ))),
                                gate_id: String::new(),
                            },
                        );
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "ending quarantine holds failed; tried again next round")
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallguard_domain::time::DAY_MS;

    #[test]
    fn a_hold_ends_its_period_after_the_last_exposure_or_after_itself() {
        let hall = Hall::sample();
        let days = i64::from(hall.screening.quarantine_days);
        assert_eq!(days, 14);
        assert_eq!(ends_at(&hall, 10 * DAY_MS, Some(8 * DAY_MS)), (8 + days) * DAY_MS);
        assert_eq!(ends_at(&hall, 10 * DAY_MS, None), (10 + days) * DAY_MS);
    }
}
