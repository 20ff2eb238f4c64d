//! Quarantine periods: a hold ends with its period (`Hall::quarantine_ends`: the hall's
//! `quarantine_days` from the last exposure), unless extended; the service lifts it then
//! and tells the duty desk.

use std::time::Duration;

use hallguard_domain::time::now_millis;
use hallguard_platform::feed::Feed;
use hallguard_platform::tasks::Task;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;
use sqlx::AnyPool;

use crate::{convert, store};

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
