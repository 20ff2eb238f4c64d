//! The duty desk's live feed: the events every part of the service tells it (openings,
//! steps, overdue tasks, alerts, contacts added).

use hallguard_domain::time::now_millis;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::incident::v1 as pb;

use crate::store::tasks;

/// The stream `WatchDutyDesk` answers with.
pub type DutyDeskStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::DutyDeskEvent, tonic::Status>> + Send + 'static>,
>;

/// A duty-desk event of `kind` about an incident, happening now.
pub fn event(kind: &str, incident_id: &str, summary: String) -> pb::DutyDeskEvent {
    pb::DutyDeskEvent {
        occurred_at: Some(millis_to_timestamp(now_millis())),
        kind: kind.to_string(),
        incident_id: incident_id.to_string(),
        summary,
    }
}

/// Every 30 seconds, announces newly overdue tasks on the duty-desk feed, once each.
pub fn announce_overdue_tasks(
    pool: sqlx::AnyPool,
    feed: hallguard_platform::feed::Feed<pb::DutyDeskEvent>,
) -> hallguard_platform::tasks::Task {
    hallguard_platform::tasks::Task::every("overdue tasks", std::time::Duration::from_secs(30), move || {
        let (pool, feed) = (pool.clone(), feed.clone());
        async move {
            if let Err(error) = announce_once(&pool, &feed).await {
                tracing::warn!(%error, "overdue task scan failed");
            }
        }
    })
}

async fn announce_once(
    pool: &sqlx::AnyPool,
    feed: &hallguard_platform::feed::Feed<pb::DutyDeskEvent>,
) -> hallguard_platform::error::Result<()> {
    for (task, site_id) in tasks::overdue_unannounced(pool, now_millis()).await? {
        tasks::mark_announced(pool, &task.task_id).await?;
        feed.publish(
            &site_id,
            event(
                "task_overdue",
                &task.incident_id,
                format!("overdue for {}: {}", task.owner, task.description),
            ),
        );
    }
    Ok(())
}
