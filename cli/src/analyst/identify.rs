//! `hallguard identify`: the name behind a pseudonymous visitor, for a notice or the
//! upward report. Duty officers only; the purpose is required and the access log keeps
//! it.

use hallguard_proto::screening::v1::IdentifyPersonRequest;

use super::*;

/// `identify` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct IdentifyArgs {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// The visitor's person id (a pseudonym from a check-in, or a registration id).
    #[arg(long)]
    person: String,
    /// Why: a notice to a close contact, the upward report of an incident.
    #[arg(long)]
    purpose: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn identify(args: IdentifyArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let mut client = ScreeningClient::new(connection.channel(Service::Screening).await?);
    let found = client
        .identify_person(IdentifyPersonRequest {
            person: Some(PersonRef {
                site_id: args.site.clone(),
                kind: PersonKind::Visitor as i32,
                person_id: args.person.clone(),
            }),
            purpose: args.purpose.clone(),
        })
        .await
        .map_err(|status| connection.explain(Service::Screening, status))?
        .into_inner();
    let given_at = found
        .given_at
        .as_ref()
        .map(|t| local_time(timestamp_to_millis(t), connection.utc_offset_minutes))
        .unwrap_or_default();
    Ok(match args.format {
        PlainFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
            "person_id": args.person, "name": found.name, "phone": found.phone,
            "residence": found.residence, "registered_by_hand": found.registered_by_hand, "given_at": given_at,
        }))
        .unwrap_or_default(),
        PlainFormat::Table => tabular::grid(
            ["person", "name", "phone", "residence", "given at"],
            vec![[args.person.clone(), found.name, found.phone, found.residence, given_at]],
        ),
    })
}
