//! The analyst commands: contacts, trajectory, clusters, incidents and gate statistics
//! from a running deployment, as a table or in a format other tools read.
//!
//! - [`connect`]: addresses, token, and errors a person can act on.
//! - one module per command: `contacts`, `trajectory`, `clusters`, `exposures`, `incidents`,
//!   `gate_stats`, `deletions` and `access` (admins: what retention removed, who read
//!   whose data); this one holds what they share (the person, the span, the formats).

mod access;
pub mod clusters;
mod community;
pub mod connect;
mod contacts;
mod deletions;
mod exposures;
mod gate_stats;
mod identify;
mod incidents;
mod inside;
mod rules;
mod trajectory;

pub use access::AccessLogArgs;
pub use clusters::ClustersArgs;
pub use community::CommunityReportsArgs;
pub use contacts::ContactsArgs;
pub use deletions::DeletionsArgs;
pub use exposures::ExposuresArgs;
pub use gate_stats::GateStatsArgs;
pub use identify::IdentifyArgs;
pub use incidents::IncidentsCommand;
pub use inside::InsideArgs;
pub use trajectory::TrajectoryArgs;

pub use rules::RuleFlags;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use hallguard_domain::time::{DAY_MS, MINUTE_MS, now_millis};
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    DaysBefore, FindClustersRequest, FindContactsRequest, find_contacts_request,
};
use hallguard_proto::incident::v1::incidents_client::IncidentsClient;
use hallguard_proto::incident::v1::{GetIncidentRequest, ListIncidentsRequest};
use hallguard_proto::screening::v1::GetGateStatisticsRequest;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;

pub use connect::{AnalystError, Connection, Service};

use crate::report::contacts::rows;
use crate::report::graph::{ContactGraph, dot, graphml};
use crate::report::svg::{EdgeLabels, contact_graph, trajectory_timeline};
use crate::report::{enum_words, local_time, tabular};

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
    #[command(after_help = "Examples:\n  hallguard contacts --person s-001 --staff\n  \
        hallguard contacts --person hc-1c13... --rings 2 --onset \"2026-11-28 10:12\"\n  \
        hallguard contacts --person s-001 --staff --zone-rule cumulative --format csv")]
    Contacts(ContactsArgs),
    /// Where a person was, in order.
    #[command(after_help = "Example:\n  hallguard trajectory --person s-001 --staff --svg trajectory.svg")]
    Trajectory(TrajectoryArgs),
    /// Clusters of cases linked by close contact (or, with --people, of everyone).
    #[command(
        after_help = "Examples:\n  hallguard clusters --from 2026-11-25\n  hallguard clusters --people --zone-minutes 30"
    )]
    Clusters(ClustersArgs),
    /// The exposure line list: every close-contact pair of a hall in the span, with its
    /// cumulative time, category and evidence.
    #[command(
        after_help = "Examples:\n  hallguard exposures --from 2026-11-28 --to 2026-11-29 --format csv --out exposures.csv\n  \
        hallguard exposures --zone-rule cumulative --format json"
    )]
    Exposures(ExposuresArgs),
    /// Incidents: list, show one, its chain, its documents, its dossier, its upward report.
    #[command(subcommand)]
    Incidents(IncidentsCommand),
    /// Entries, refusals by reason, fevers and suspected cases per gate and hour.
    #[command(after_help = "Example:\n  hallguard gate-stats --date 2026-11-28 --format json")]
    GateStats(GateStatsArgs),
    /// What retention removed from every service, newest first (admins).
    #[command(after_help = "Example:\n  hallguard deletions --kind incident_contacts --site riverside-hall")]
    Deletions(DeletionsArgs),
    /// Who read whose personal data at every service, newest first (admins).
    #[command(after_help = "Example:\n  hallguard access-log --person hc-1c13...")]
    AccessLog(AccessLogArgs),
    /// The name behind a pseudonymous visitor, with a stated purpose (duty officers).
    #[command(
        after_help = "Example:\n  hallguard identify --person reg-01... --purpose \"notice to a close contact of inc-...\""
    )]
    Identify(IdentifyArgs),
    /// Who is in the hall now, by zone: visitors and staff on duty (duty officers).
    #[command(after_help = "Example:\n  hallguard inside --format json")]
    Inside(InsideArgs),
    /// Reports to communities about paused registrants: a table, or documents with --out.
    #[command(
        after_help = "Examples:\n  hallguard community-reports --open\n  hallguard community-reports --out reports/ --lang zh"
    )]
    CommunityReports(CommunityReportsArgs),
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
    let day = hallguard_domain::time::parse_date(date).ok_or_else(bad)?;
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
    Ok(day * DAY_MS + minutes * MINUTE_MS - i64::from(utc_offset_minutes) * MINUTE_MS)
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
            None => end - default_days * DAY_MS,
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
        AnalystCommand::Contacts(args) => contacts::contacts(args).await,
        AnalystCommand::Trajectory(args) => trajectory::trajectory(args).await,
        AnalystCommand::Clusters(args) => clusters::clusters(args).await,
        AnalystCommand::Exposures(args) => exposures::exposures(args).await,
        AnalystCommand::Incidents(command) => incidents::incidents(command).await,
        AnalystCommand::GateStats(args) => gate_stats::gate_stats(args).await,
        AnalystCommand::Deletions(args) => deletions::deletions(args).await,
        AnalystCommand::AccessLog(args) => access::access_log(args).await,
        AnalystCommand::Identify(args) => identify::identify(args).await,
        AnalystCommand::Inside(args) => inside::inside(args).await,
        AnalystCommand::CommunityReports(args) => community::community_reports(args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_parse_with_the_hall_offset_and_bad_ones_name_the_flag() {
        let utc = parse_local("2026-11-29 04:30", 480, "from").unwrap();
        assert_eq!(crate::report::local_time(utc, 480), "2026-11-29 04:30");
        assert_eq!(parse_local("2026-11-29", 0, "from").unwrap() % DAY_MS, 0);
        let error = parse_local("29/11/2026", 480, "onset").unwrap_err();
        assert!(error.to_string().starts_with("--onset:"), "{error}");
        assert!(parse_local("2026-11-29 25:00", 480, "to").is_err());
    }

    #[test]
    fn the_analyst_commands_and_their_flags_are_well_formed() {
        use clap::CommandFactory;
        AnalystCli::command().debug_assert();
    }
}
