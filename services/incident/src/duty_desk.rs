//! The duty desk's live feed: the events every part of the service tells it (openings,
//! steps, overdue tasks, alerts, contacts added).

use hallguard_domain::time::now_millis;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::incident::v1 as pb;

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
