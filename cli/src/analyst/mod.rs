//! The analyst commands: contacts, trajectory, clusters, incidents and gate statistics
//! from a running deployment, as a table or in a format other tools read.
//!
//! - [`connect`]: addresses, token, and errors a person can act on.

pub mod connect;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use hallguard_platform::time::{millis_to_timestamp, now_millis, timestamp_to_millis};
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    DaysBefore, ExportSubgraphRequest, FindClustersRequest, FindContactsRequest, RuleOverrides, ZoneRule,
    find_contacts_request,
};
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::incident::v1::{GetIncidentRequest, ListContactsRequest, ListIncidentsRequest};
use hallguard_proto::screening::v1::GetGateStatisticsRequest;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;

pub use connect::{AnalystError, Connection, Service};

use crate::report::contacts::rows;
use crate::report::graph::{ContactGraph, dot, graphml};
use crate::report::svg::{contact_graph, trajectory_timeline};
use crate::report::{enum_words, local_time, tabular};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// The analyst commands on their own (tests parse them with this).
#[derive(Debug, Parser)]
#[command(name = "hallguard")]
pub struct AnalystCli {
    /// The command.
    #[command(subcommand)]
    pub command: AnalystCommand,
}

/// Queries against a running deployment.
#[derive(Debug, Subcommand)]
pub enum AnalystCommand {
    /// Close (and secondary) contacts of a person, with their evidence.
    Contacts(ContactsArgs),
    /// Where a person was, in order.
    Trajectory(TrajectoryArgs),
    /// Groups of people linked by exposures in a hall.
    Clusters(ClustersArgs),
    /// Incidents: list, show one, or its upward report.
    #[command(subcommand)]
    Incidents(IncidentsCommand),
    /// Entries, refusals by reason, fevers and suspected cases per gate and hour.
    GateStats(GateStatsArgs),
}

/// Output formats of the contact query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContactsFormat {
    /// A table for the terminal.
    Table,
    /// CSV, one row per contact.
    Csv,
    /// JSON, every field.
    Json,
    /// GraphML of the contact subgraph (Gephi, Cytoscape).
    Graphml,
    /// DOT of the contact subgraph (Graphviz).
    Dot,
}

/// Table or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlainFormat {
    /// A table for the terminal.
    Table,
    /// JSON.
    Json,
}

/// Who is asked about.
#[derive(Debug, Clone, clap::Args)]
pub struct Person {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    pub site: String,
    /// Person id: a visitor's pseudonym (as in incidents) or a staff id.
    #[arg(long)]
    pub person: String,
    /// The person is staff (a visitor otherwise).
    #[arg(long)]
    pub staff: bool,
}

impl Person {
    fn reference(&self) -> PersonRef {
        PersonRef {
            site_id: self.site.clone(),
            kind: if self.staff {
                PersonKind::Staff
            } else {
                PersonKind::Visitor
            } as i32,
            person_id: self.person.clone(),
        }
    }
}

/// A time span in the hall's local time.
#[derive(Debug, Clone, clap::Args)]
pub struct Span {
    /// From, local time `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`.
    #[arg(long)]
    pub from: Option<String>,
    /// Until, local time; now when unset.
    #[arg(long)]
    pub to: Option<String>,
}

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

/// `incidents` subcommands.
#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// The hall's incidents, newest first.
    List {
        /// The hall.
        #[arg(long, default_value = "riverside-hall")]
        site: String,
        /// Only open ones.
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// One incident with its steps.
    Show {
        /// Incident id.
        incident_id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The upward report (step 5) as Markdown, or JSON with --json.
    Report {
        /// Incident id.
        incident_id: String,
        /// The report's JSON as recorded.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: Connection,
    },
}

/// `gate-stats` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct GateStatsArgs {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// Local date, `YYYY-MM-DD`; today when unset.
    #[arg(long)]
    date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlainFormat::Table)]
    format: PlainFormat,
    #[command(flatten)]
    connection: Connection,
}

/// A local time `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` as UTC milliseconds.
pub fn parse_local(text: &str, utc_offset_minutes: i32, field: &str) -> Result<i64, AnalystError> {
    let bad = || {
        AnalystError::new(format!(
            "--{field}: {text:?} is not YYYY-MM-DD or YYYY-MM-DD HH:MM"
        ))
    };
    let (date, clock) = match text.trim().split_once([' ', 'T']) {
        Some((date, clock)) => (date, Some(clock)),
        None => (text.trim(), None),
    };
    let day = hallguard_platform::time::parse_date(date).ok_or_else(bad)?;
    let minutes = match clock {
        Some(clock) => {
            let (h, m) = clock.split_once(':').ok_or_else(bad)?;
            let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if !(0..24).contains(&h) || !(0..60).contains(&m) {
                return Err(bad());
            }
            h * 60 + m
        }
        None => 0,
    };
    Ok(day * DAY + minutes * MINUTE - i64::from(utc_offset_minutes) * MINUTE)
}

impl Span {
    /// The window, by default the last `default_days` days until now.
    fn window(&self, offset: i32, default_days: i64) -> Result<TimeWindow, AnalystError> {
        let end = match &self.to {
            Some(text) => parse_local(text, offset, "to")?,
            None => now_millis(),
        };
        let start = match &self.from {
            Some(text) => parse_local(text, offset, "from")?,
            None => end - default_days * DAY,
        };
        if end <= start {
            return Err(AnalystError::new("--to must be after --from"));
        }
        Ok(TimeWindow {
            start: Some(millis_to_timestamp(start)),
            end: Some(millis_to_timestamp(end)),
        })
    }
}

/// Runs a command and returns what it prints.
pub async fn run(command: AnalystCommand) -> Result<String, AnalystError> {
    match command {
        AnalystCommand::Contacts(args) => contacts(args).await,
        AnalystCommand::Trajectory(args) => trajectory(args).await,
        AnalystCommand::Clusters(args) => clusters(args).await,
        AnalystCommand::Incidents(command) => incidents(command).await,
        AnalystCommand::GateStats(args) => gate_stats(args).await,
    }
}

async fn contacts(args: ContactsArgs) -> Result<String, AnalystError> {
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
        .find_contacts(query.clone())
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
    let graph = if needs_graph {
        let export = client
            .export_subgraph(ExportSubgraphRequest { query: Some(query) })
            .await
            .map_err(|status| connection.explain(Service::ContactTracing, status))?
            .into_inner();
        ContactGraph::from_export(&export)
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

async fn trajectory(args: TrajectoryArgs) -> Result<String, AnalystError> {
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

async fn clusters(args: ClustersArgs) -> Result<String, AnalystError> {
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

async fn incidents(command: IncidentsCommand) -> Result<String, AnalystError> {
    match command {
        IncidentsCommand::List {
            site,
            open,
            connection,
        } => {
            let mut client = IncidentsClient::new(connection.channel(Service::Incident).await?);
            let mut listed = client
                .list_incidents(ListIncidentsRequest {
                    site_id: site,
                    open_only: open,
                    page: Some(hallguard_proto::common::v1::PageRequest {
                        page_size: 500,
                        page_token: String::new(),
                    }),
                })
                .await
                .map_err(|status| connection.explain(Service::Incident, status))?
                .into_inner()
                .incidents;
            listed.sort_by_key(|i| std::cmp::Reverse(i.occurred_at.as_ref().map(timestamp_to_millis)));
            let offset = connection.utc_offset_minutes;
            Ok(tabular::grid(
                ["incident", "occurred", "source", "person", "where", "state"],
                listed.iter().map(|i| {
                    vec![
                        i.incident_id.clone(),
                        i.occurred_at
                            .as_ref()
                            .map(|t| local_time(timestamp_to_millis(t), offset))
                            .unwrap_or_default(),
                        enum_words(i.source().as_str_name(), "INCIDENT_SOURCE_"),
                        i.person.clone().unwrap_or_default().person_id,
                        i.location_id.clone(),
                        enum_words(i.state().as_str_name(), "INCIDENT_STATE_"),
                    ]
                }),
            ))
        }
        IncidentsCommand::Show {
            incident_id,
            connection,
        } => {
            let mut client = IncidentsClient::new(connection.channel(Service::Incident).await?);
            let incident = client
                .get_incident(GetIncidentRequest { incident_id })
                .await
                .map_err(|status| connection.explain(Service::Incident, status))?
                .into_inner()
                .incident
                .unwrap_or_default();
            let offset = connection.utc_offset_minutes;
            let person = incident.person.clone().unwrap_or_default();
            let mut out = format!(
                "incident {} ({}), {} {} at {}, {}; state {}\n",
                incident.incident_id,
                enum_words(incident.source().as_str_name(), "INCIDENT_SOURCE_"),
                crate::report::kind_name(&person),
                person.person_id,
                incident.location_id,
                incident
                    .occurred_at
                    .as_ref()
                    .map(|t| local_time(timestamp_to_millis(t), offset))
                    .unwrap_or_default(),
                enum_words(incident.state().as_str_name(), "INCIDENT_STATE_"),
            );
            out.push_str(&tabular::grid(
                ["step", "recorded by", "recorded at", "record"],
                incident.steps.iter().map(|s| {
                    vec![
                        s.step.to_string(),
                        s.recorded_by.clone(),
                        s.recorded_at
                            .as_ref()
                            .map(|t| local_time(timestamp_to_millis(t), offset))
                            .unwrap_or_default(),
                        s.detail_json.chars().take(100).collect(),
                    ]
                }),
            ));
            Ok(out)
        }
        IncidentsCommand::Report {
            incident_id,
            json,
            connection,
        } => {
            let mut client = IncidentsClient::new(connection.channel(Service::Incident).await?);
            let explain = |status| connection.explain(Service::Incident, status);
            let incident = client
                .get_incident(GetIncidentRequest {
                    incident_id: incident_id.clone(),
                })
                .await
                .map_err(explain)?
                .into_inner()
                .incident
                .unwrap_or_default();
            let Some(report) = incident.steps.iter().rev().find(|s| s.step == 5) else {
                return Err(AnalystError::new(format!(
                    "incident {incident_id} has no upward report yet (step 5)"
                )));
            };
            if json {
                let value: serde_json::Value = serde_json::from_str(&report.detail_json).unwrap_or_default();
                return Ok(serde_json::to_string_pretty(&value).unwrap_or_default());
            }
            let recorded: serde_json::Value = serde_json::from_str(&report.detail_json).unwrap_or_default();
            let confirmed = recorded["classification"] == "confirmed";
            let contacts = client
                .list_contacts(ListContactsRequest { incident_id })
                .await
                .map_err(|status| connection.explain(Service::Incident, status))?
                .into_inner()
                .contacts;
            Ok(hallguard_incident::upward::markdown(
                &incident,
                &contacts,
                confirmed,
                connection.utc_offset_minutes,
            ))
        }
    }
}

async fn gate_stats(args: GateStatsArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let offset = connection.utc_offset_minutes;
    let start = match &args.date {
        Some(date) => parse_local(date, offset, "date")?,
        None => {
            let local = now_millis() + i64::from(offset) * MINUTE;
            local - local.rem_euclid(DAY) - i64::from(offset) * MINUTE
        }
    };
    let mut client = ScreeningClient::new(connection.channel(Service::Screening).await?);
    let rows = client
        .get_gate_statistics(GetGateStatisticsRequest {
            site_id: args.site.clone(),
            window: Some(TimeWindow {
                start: Some(millis_to_timestamp(start)),
                end: Some(millis_to_timestamp(start + DAY)),
            }),
        })
        .await
        .map_err(|status| connection.explain(Service::Screening, status))?
        .into_inner()
        .rows;
    let hour = |row: &hallguard_proto::screening::v1::GateHourStatistics| {
        row.hour_start
            .as_ref()
            .map(|t| local_time(timestamp_to_millis(t), offset))
            .unwrap_or_default()
    };
    Ok(match args.format {
        PlainFormat::Json => {
            let json: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let reasons: serde_json::Map<String, serde_json::Value> = r
                        .refusals_by_reason
                        .iter()
                        .map(|c| {
                            (
                                enum_words(c.reason().as_str_name(), "DECISION_REASON_"),
                                c.count.into(),
                            )
                        })
                        .collect();
                    serde_json::json!({
                        "gate": r.gate_id, "hour": hour(r), "entries": r.entries,
                        "refusals": r.refusals, "refusals_by_reason": reasons,
                        "fevers": r.fevers, "suspected_cases": r.suspected_cases,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        PlainFormat::Table => tabular::grid(
            [
                "gate",
                "hour",
                "admitted",
                "refused",
                "fevers",
                "suspected",
                "refusals by reason",
            ],
            rows.iter().map(|r| {
                let reasons: Vec<String> = r
                    .refusals_by_reason
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}",
                            enum_words(c.reason().as_str_name(), "DECISION_REASON_"),
                            c.count
                        )
                    })
                    .collect();
                vec![
                    r.gate_id.clone(),
                    hour(r),
                    r.entries.to_string(),
                    r.refusals.to_string(),
                    r.fevers.to_string(),
                    r.suspected_cases.to_string(),
                    reasons.join(", "),
                ]
            }),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_parse_with_the_hall_offset_and_bad_ones_name_the_flag() {
        let utc = parse_local("2026-11-29 04:30", 480, "from").unwrap();
        assert_eq!(crate::report::local_time(utc, 480), "2026-11-29 04:30");
        assert_eq!(parse_local("2026-11-29", 0, "from").unwrap() % DAY, 0);
        let error = parse_local("29/11/2026", 480, "onset").unwrap_err();
        assert!(error.to_string().starts_with("--onset:"), "{error}");
        assert!(parse_local("2026-11-29 25:00", 480, "to").is_err());
    }
}
