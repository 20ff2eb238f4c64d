//! `hallguard clusters`: clusters of cases in a hall (the incidents of the span, each
//! infectious from the plan's look-back before it occurred, linked by close contact
//! with each other), or with `--people` every person linked by qualifying co-presence.

use hallguard_domain::plan::contact_window_start;
use hallguard_proto::common::v1::PageRequest;
use hallguard_proto::contact_tracing::v1::{Case, CaseCluster, Cluster};

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
    #[command(flatten)]
    rules: RuleFlags,
    /// Every person linked by qualifying co-presence instead of the cases (in a hall
    /// where staff share a zone all day, about the whole hall).
    #[arg(long)]
    people: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn clusters(args: ClustersArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let window = args.span.window(connection.utc_offset_minutes, 4)?;
    let cases = if args.people {
        Vec::new()
    } else {
        cases_of(&args, &window).await?
    };
    if !args.people && cases.is_empty() {
        return Ok("no incidents in the span: no cases to cluster".into());
    }
    let mut client = ContactTracingClient::new(connection.channel(Service::ContactTracing).await?);
    let found = client
        .find_clusters(FindClustersRequest {
            site_id: args.site.clone(),
            window: Some(window),
            overrides: Some(args.rules.overrides()),
            min_size: args.min_size,
            cases,
        })
        .await
        .map_err(|status| connection.explain(Service::ContactTracing, status))?
        .into_inner();
    Ok(if args.people {
        people_clusters(&found.clusters, args.format)
    } else {
        case_clusters(&found.case_clusters, args.format, connection.utc_offset_minutes)
    })
}

/// The hall's incidents that occurred in the window, withdrawn and merged ones left out,
/// as cases infectious from the plan's look-back before they occurred.
async fn cases_of(args: &ClustersArgs, window: &TimeWindow) -> Result<Vec<Case>, AnalystError> {
    let connection = &args.connection;
    let (start, end) = (
        window.start.as_ref().map(timestamp_to_millis).unwrap_or_default(),
        window.end.as_ref().map(timestamp_to_millis).unwrap_or_default(),
    );
    let mut client = IncidentsClient::new(connection.channel(Service::Incident).await?);
    let mut cases = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_incidents(ListIncidentsRequest {
                site_id: args.site.clone(),
                open_only: false,
                page: Some(PageRequest {
                    page_size: 500,
                    page_token,
                }),
            })
            .await
            .map_err(|status| connection.explain(Service::Incident, status))?
            .into_inner();
        for incident in page.incidents {
            let occurred = incident.occurred_at.as_ref().map(timestamp_to_millis);
            let counted = incident.withdrawn_at.is_none() && incident.merged_into_incident_id.is_empty();
            if let (true, Some(occurred)) = (counted, occurred)
                && occurred >= start
                && occurred < end
            {
                cases.push(Case {
                    person: incident.person,
                    infectious_from: Some(millis_to_timestamp(contact_window_start(occurred))),
                });
            }
        }
        page_token = page.page.map(|p| p.next_page_token).unwrap_or_default();
        if page_token.is_empty() {
            return Ok(cases);
        }
    }
}

fn case_clusters(clusters: &[CaseCluster], format: PlainFormat, offset: i32) -> String {
    let who = |case: &Option<Case>| {
        case.as_ref()
            .and_then(|c| c.person.as_ref())
            .map(|p| p.person_id.clone())
            .unwrap_or_default()
    };
    let since = |case: &Option<Case>| {
        case.as_ref()
            .and_then(|c| c.infectious_from.as_ref())
            .map(|t| local_time(timestamp_to_millis(t), offset))
            .unwrap_or_default()
    };
    let places = |cluster: &CaseCluster| -> Vec<String> {
        cluster.places.iter().map(|p| p.place_id.clone()).collect()
    };
    let members = |cluster: &CaseCluster| -> Vec<String> {
        cluster
            .cases
            .iter()
            .filter_map(|c| c.person.as_ref().map(|p| p.person_id.clone()))
            .collect()
    };
    match format {
        PlainFormat::Json => {
            let json: Vec<serde_json::Value> = clusters
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "cases": members(c), "first_case": who(&c.first_case),
                        "last_case": who(&c.last_case), "links": c.links.len(), "places": places(c),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        PlainFormat::Table => tabular::grid(
            [
                "cluster",
                "cases",
                "first case",
                "infectious from",
                "last case",
                "links",
                "places",
                "members",
            ],
            clusters.iter().enumerate().map(|(n, c)| {
                vec![
                    (n + 1).to_string(),
                    c.cases.len().to_string(),
                    who(&c.first_case),
                    since(&c.first_case),
                    who(&c.last_case),
                    c.links.len().to_string(),
                    places(c).join(", "),
                    members(c).join(", "),
                ]
            }),
        ),
    }
}

pub(crate) fn people_clusters(clusters: &[Cluster], format: PlainFormat) -> String {
    match format {
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
    }
}
