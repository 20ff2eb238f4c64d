//! `hallguard clusters`: groups of people linked by exposures in a hall.

use super::*;

/// `clusters` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ClustersArgs {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    #[command(flatten)]
    span: Span,
    /// Smallest cluster shown.
    #[arg(long, default_value_t = 2)]
    min_size: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn clusters(args: ClustersArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let mut client = ContactTracingClient::new(connection.channel(Service::ContactTracing).await?);
    let clusters = client
        .find_clusters(FindClustersRequest {
            site_id: args.site.clone(),
            window: Some(args.span.window(connection.utc_offset_minutes, 4)?),
            overrides: None,
            min_size: args.min_size,
        })
        .await
        .map_err(|status| connection.explain(Service::ContactTracing, status))?
        .into_inner()
        .clusters;
    Ok(match args.format {
        PlainFormat::Json => {
            let json: Vec<serde_json::Value> = clusters
                .iter()
                .map(|c| {
                    let members: Vec<&str> = c.members.iter().map(|m| m.person_id.as_str()).collect();
                    serde_json::json!({ "members": members, "edges": c.edges })
                })
                .collect();
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        PlainFormat::Table => tabular::grid(
            ["cluster", "people", "links", "members"],
            clusters.iter().enumerate().map(|(n, c)| {
                let members: Vec<&str> = c.members.iter().take(6).map(|m| m.person_id.as_str()).collect();
                let more = c.members.len().saturating_sub(6);
                vec![
                    (n + 1).to_string(),
                    c.members.len().to_string(),
                    c.edges.to_string(),
                    if more > 0 {
                        format!("{} and {more} more", members.join(", "))
                    } else {
                        members.join(", ")
                    },
                ]
            }),
        ),
    })
}
