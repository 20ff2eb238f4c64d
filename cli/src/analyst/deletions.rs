//! `hallguard deletions`: what retention removed from every service's database (counts
//! and periods, never a person), newest first. Admins only.

use hallguard_proto::platform::v1::retention_admin_client::RetentionAdminClient;
use hallguard_proto::platform::v1::{DeletionRecord, ListDeletionRecordsRequest};

use super::*;

/// `deletions` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DeletionsArgs {
    /// Only this hall's records.
    #[arg(long)]
    site: Option<String>,
    /// Only this kind's: presence, registrations, staff_health, incident_contacts,
    /// upward_reports, audit or delivered_messages.
    #[arg(long)]
    kind: Option<String>,
    /// At most this many records per service.
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn deletions(args: DeletionsArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let request = ListDeletionRecordsRequest {
        site_id: args.site.clone().unwrap_or_default(),
        kind: args.kind.clone().unwrap_or_default(),
        since: None,
        limit: args.limit,
    };
    let records = connection
        .ask_every_service(
            |channel| {
                let request = request.clone();
                async move {
                    let answer = RetentionAdminClient::new(channel)
                        .list_deletion_records(request)
                        .await?;
                    Ok(answer.into_inner().records)
                }
            },
            |record: &DeletionRecord| record.at.as_ref().map_or(0, timestamp_to_millis),
        )
        .await?;
    let offset = connection.utc_offset_minutes;
    let time = |timestamp: Option<&prost_types::Timestamp>| {
        timestamp
            .map(|t| local_time(timestamp_to_millis(t), offset))
            .unwrap_or_default()
    };
    Ok(match args.format {
        PlainFormat::Json => {
            let json: Vec<serde_json::Value> = records
                .iter()
                .map(|(service, r)| {
                    serde_json::json!({
                        "service": service.name(), "site_id": r.site_id, "kind": r.kind,
                        "action": r.action, "removed": r.removed, "policy": r.policy,
                        "older_than": time(r.older_than.as_ref()), "at": time(r.at.as_ref()),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        PlainFormat::Table => tabular::grid(
            [
                "at",
                "service",
                "hall",
                "kind",
                "action",
                "removed",
                "older than",
                "policy",
            ],
            records.iter().map(|(service, r)| {
                vec![
                    time(r.at.as_ref()),
                    service.name().to_string(),
                    r.site_id.clone(),
                    r.kind.clone(),
                    r.action.clone(),
                    r.removed.to_string(),
                    time(r.older_than.as_ref()),
                    r.policy.clone(),
                ]
            }),
        ),
    })
}
