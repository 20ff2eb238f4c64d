//! `hallguard contacts`: close (and secondary) contacts of a person with their evidence,
//! as a table, CSV, JSON, GraphML, DOT or SVG.

use super::*;

/// `contacts` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ContactsArgs {
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    span: Span,
    /// Instead of --from: this many days before --onset (symptom onset or sampling).
    #[arg(long, conflicts_with = "from")]
    days_before: Option<u32>,
    /// Symptom onset or sampling time for --days-before, local; now when unset.
    #[arg(long)]
    onset: Option<String>,
    /// 1: close contacts; 2: also secondary contacts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    rings: u32,
    /// Rule override: minutes in the same zone.
    #[arg(long)]
    zone_minutes: Option<u32>,
    /// Rule: "cumulative" (minutes in all zones together within a period, the CDC's
    /// 15 minutes within 24 hours) or "per-place"; the hall's default when unset.
    #[arg(long, value_parser = ["per-place", "cumulative"])]
    zone_rule: Option<String>,
    /// Rule override for --zone-rule cumulative: total minutes.
    #[arg(long)]
    cumulative_minutes: Option<u32>,
    /// Rule override for --zone-rule cumulative: within this many hours.
    #[arg(long)]
    cumulative_hours: Option<u32>,
    /// Rule override: queue places apart.
    #[arg(long)]
    queue_places: Option<u32>,
    /// Rule override: seconds apart in the queue.
    #[arg(long)]
    queue_seconds: Option<u32>,
    /// Rule override: seconds at adjacent or facing canteen seats.
    #[arg(long)]
    canteen_seconds: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ContactsFormat::Table)]
    format: ContactsFormat,
    /// Also draw the contact graph as SVG into this file.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn contacts(args: ContactsArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let offset = connection.utc_offset_minutes;
    let window = match args.days_before {
        Some(days) => {
            let anchor = match &args.onset {
                Some(text) => parse_local(text, offset, "onset")?,
                None => now_millis(),
            };
            find_contacts_request::Window::DaysBefore(DaysBefore {
                anchor: Some(millis_to_timestamp(anchor)),
                days,
            })
        }
        None => find_contacts_request::Window::Span(args.span.window(offset, 4)?),
    };
    let query = FindContactsRequest {
        person: Some(args.person.reference()),
        window: Some(window),
        rings: args.rings,
        overrides: Some(RuleOverrides {
            zone_min_overlap_seconds: args.zone_minutes.map(|m| m * 60),
            queue_max_places: args.queue_places,
            queue_max_seconds: args.queue_seconds,
            canteen_min_overlap_seconds: args.canteen_seconds,
            zone_kind_min_overlap_seconds: Default::default(),
            zone_rule: match args.zone_rule.as_deref() {
                Some("cumulative") => ZoneRule::Cumulative,
                Some(_) => ZoneRule::PerPlace,
                None => ZoneRule::Unspecified,
            } as i32,
            cumulative_min_seconds: args.cumulative_minutes.map(|m| m * 60),
            cumulative_within_seconds: args.cumulative_hours.map(|h| h * 3600),
        }),
        isolated_at: Default::default(),
    };
    let mut client = ContactTracingClient::new(connection.channel(Service::ContactTracing).await?);
    let found = client
        .find_contacts(query)
        .await
        .map_err(|status| connection.explain(Service::ContactTracing, status))?
        .into_inner();
    if !found.index_seen {
        return Err(AnalystError::new(format!(
            "{} {} was never seen at {} in that window: check the id, --staff and --site",
            if args.person.staff {
                "staff member"
            } else {
                "visitor"
            },
            args.person.person,
            args.person.site
        )));
    }
    let needs_graph =
        args.svg.is_some() || matches!(args.format, ContactsFormat::Graphml | ContactsFormat::Dot);
    // The graph formats draw the contacts already found, as ExportSubgraph would.
    let graph = if needs_graph {
        let index = args.person.reference();
        ContactGraph::from_export(&hallguard_contact_tracing::convert::subgraph(&index, &found))
    } else {
        ContactGraph::default()
    };
    if let Some(path) = &args.svg {
        let title = format!("Contacts of {}", args.person.person);
        std::fs::write(path, contact_graph(&graph, &title))
            .map_err(|error| AnalystError::new(format!("cannot write {}: {error}", path.display())))?;
    }
    let rows = rows(&found);
    Ok(match args.format {
        ContactsFormat::Table => tabular::table(&rows, offset),
        ContactsFormat::Csv => {
            tabular::csv(&rows, offset).map_err(|error| AnalystError::new(error.to_string()))?
        }
        ContactsFormat::Json => tabular::json(&rows),
        ContactsFormat::Graphml => graphml(&graph),
        ContactsFormat::Dot => dot(&graph),
    })
}
