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
    /// Instead of --from: this many days before --onset (symptom onset or sampling);
    /// 4 (the plan's look-back) when only --onset is given.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    days_before: Option<u32>,
    /// Symptom onset or sampling time, local `YYYY-MM-DD HH:MM`: contacts from
    /// --days-before (4) days before it until it; now when unset.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    onset: Option<String>,
    /// 1: close contacts; 2: also secondary contacts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    rings: u32,
    #[command(flatten)]
    rules: RuleFlags,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ContactsFormat::Table)]
    format: ContactsFormat,
    /// Also draw the contact graph as SVG into this file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// With --svg: write the rule, place and minutes on every edge of the picture (by
    /// default only rings small enough to stay readable get place and minutes).
    #[arg(long, requires = "svg")]
    edge_labels: bool,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn contacts(args: ContactsArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let offset = connection.utc_offset_minutes;
    // An onset alone means the plan's look-back before it.
    let days_before = args.days_before.or(args
        .onset
        .as_ref()
        .map(|_| hallguard_domain::plan::CONTACT_LOOK_BACK_DAYS));
    let window = match days_before {
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
        overrides: Some(args.rules.overrides()),
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
        let labels = if args.edge_labels {
            EdgeLabels::Every
        } else {
            EdgeLabels::WhereRoomy
        };
        std::fs::write(path, contact_graph(&graph, &title, labels))
            .map_err(|error| AnalystError::new(format!("cannot write {}: {error}", path.display())))?;
    }
    let rows = rows(&found);
    Ok(match args.format {
        ContactsFormat::Table if rows.is_empty() => format!(
            "no close contacts of {} {}: seen at {} in the window, but nobody met them long or near \
             enough under the rules in force (widen --from/--days-before, or ease the rule flags)",
            if args.person.staff {
                "staff member"
            } else {
                "visitor"
            },
            args.person.person,
            args.person.site
        ),
        ContactsFormat::Table => tabular::table(&rows, offset),
        ContactsFormat::Csv => {
            tabular::csv(&rows, offset).map_err(|error| AnalystError::new(error.to_string()))?
        }
        ContactsFormat::Json => tabular::json(&rows),
        ContactsFormat::Graphml => graphml(&graph),
        ContactsFormat::Dot => dot(&graph),
    })
}
