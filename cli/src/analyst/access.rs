//! `hallguard access-log`: who read whose personal data at every service, newest first:
//! "who looked at this person?" (`--person`) or "what did this caller read?"
//! (`--caller`). Admins only.

use hallguard_proto::platform::v1::access_admin_client::AccessAdminClient;
use hallguard_proto::platform::v1::{AccessEntry, ListAccessRequest};

use super::*;

/// `access-log` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessLogArgs {
    /// Only reads that showed this person (with --site, and --staff for a staff id).
    #[arg(long)]
    person: Option<String>,
    /// The person is staff (a visitor otherwise).
    #[arg(long, requires = "person")]
    staff: bool,
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// Only this caller's reads (a token's name or a signed-in subject).
    #[arg(long)]
    caller: Option<String>,
    /// At most this many entries per service.
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn access_log(args: AccessLogArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let request = ListAccessRequest {
        person: args.person.as_ref().map(|person_id| PersonRef {
            site_id: args.site.clone(),
            kind: if args.staff {
                PersonKind::Staff
            } else {
                PersonKind::Visitor
            } as i32,
            person_id: person_id.clone(),
        }),
        caller: args.caller.clone().unwrap_or_default(),
        site_id: args.site.clone(),
        since: None,
        limit: args.limit,
    };
    let at = |entry: &AccessEntry| entry.at.as_ref().map_or(0, timestamp_to_millis);
    let entries = connection
        .ask_every_service(
            |channel| {
                let request = request.clone();
                async move {
                    let answer = AccessAdminClient::new(channel).list_access(request).await?;
                    Ok(answer.into_inner().entries)
                }
            },
            at,
        )
        .await?;
    let offset = connection.utc_offset_minutes;
    let time = |entry: &AccessEntry| local_time(at(entry), offset);
    Ok(match args.format {
        PlainFormat::Json => {
            let json: Vec<serde_json::Value> = entries
                .iter()
                .map(|(service, e)| {
                    serde_json::json!({
                        "service": service.name(), "at": time(e), "caller": e.caller, "role": e.role,
                        "rpc": e.rpc, "site_id": e.site_id, "people": e.people, "purpose": e.purpose,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        PlainFormat::Table => tabular::grid(
            ["at", "service", "caller", "role", "rpc", "people", "purpose"],
            entries.iter().map(|(service, e)| {
                vec![
                    time(e),
                    service.name().to_string(),
                    e.caller.clone(),
                    e.role.clone(),
                    e.rpc.rsplit('/').next().unwrap_or_default().to_string(),
                    e.people.to_string(),
                    e.purpose.clone(),
                ]
            }),
        ),
    })
}
