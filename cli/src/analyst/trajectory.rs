//! `hallguard trajectory`: where a person was, in order, as a table, JSON or an SVG
//! timeline.

use super::*;

/// `trajectory` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct TrajectoryArgs {
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    span: Span,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    /// Also draw the timeline as SVG into this file.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn trajectory(args: TrajectoryArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let offset = connection.utc_offset_minutes;
    let mut client = ContactTracingClient::new(connection.channel(Service::ContactTracing).await?);
    let explain = |status| connection.explain(Service::ContactTracing, status);
    let window = args.span.window(offset, 4)?;
    let person = args.person.reference();
    // Close contacts show who sat or queued next to the person, not only who shared a place.
    let close = client
        .find_contacts(FindContactsRequest {
            person: Some(person.clone()),
            window: Some(find_contacts_request::Window::Span(window)),
            rings: 1,
            ..Default::default()
        })
        .await
        .map_err(explain)?
        .into_inner();
    let stops = crate::lookup::timeline(&mut client, &args.person.site, &person, window, &rows(&close))
        .await
        .map_err(|status| connection.explain(Service::ContactTracing, status))?;
    if stops.is_empty() {
        return Err(AnalystError::new(format!(
            "no presence of {} at {} in that window: check the id, --staff and --site",
            args.person.person, args.person.site
        )));
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, trajectory_timeline(&args.person.person, &stops, offset))
            .map_err(|error| AnalystError::new(format!("cannot write {}: {error}", path.display())))?;
    }
    Ok(match args.format {
        PlainFormat::Json => {
            let json: Vec<serde_json::Value> = stops
                .iter()
                .map(|s| {
                    let others: Vec<&str> = s.others.iter().map(|o| o.0.as_str()).collect();
                    serde_json::json!({ "place": s.place, "start_ms": s.start, "end_ms": s.end, "others": others })
                })
                .collect();
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        PlainFormat::Table => tabular::grid(
            ["place", "from", "to", "others there"],
            stops.iter().map(|s| {
                vec![
                    s.place.clone(),
                    local_time(s.start, offset),
                    local_time(s.end, offset),
                    s.others.len().to_string(),
                ]
            }),
        ),
    })
}
