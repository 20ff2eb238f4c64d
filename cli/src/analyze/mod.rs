//! `hallguard analyze FILE`: the tracing engine on anyone's presence export, without
//! services or a database. The file is loaded into the engine's compact columns
//! ([`load`]), the graph built, and the question answered with the same code and in the
//! same formats as the services and the analyst commands: the exposure line list, one
//! person's contacts, or clusters. Each phase's time goes to stderr.
//!
//! - [`load`]: CSV to columns, bad rows named by line and column.
//! - `parquet`: Parquet to the same columns, bad rows named by row and column.
//! - [`times`]: the time forms a file may use.
//! - [`lines`]: the line list's CSV written straight from the engine's pairs.

pub mod lines;
pub mod load;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod times;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use hallguard_domain::hall::{Hall, Halls};
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1 as pb;
use hallguard_tracing_engine::Cancel;
use hallguard_tracing_engine::rows::PresenceColumns;

use crate::analyst::{ContactsFormat, PlainFormat, RuleFlags};
use crate::report::exposures::{LineFormat, LineWriter};
use crate::report::tabular;
use load::TimeReading;
use times::EpochUnit;

/// What to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Question {
    /// Every close-contact pair (the exposure line list).
    #[default]
    Exposures,
    /// One person's close (and secondary) contacts: give --person.
    Contacts,
    /// Groups of people linked by close contact.
    Clusters,
}

/// `analyze` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyzeArgs {
    /// The presence export: CSV with a header naming the columns site, person,
    /// person_kind (visitor|staff), place, place_kind (zone|entry_queue|canteen_seat),
    /// start, end (empty: still there), queue_position (entry queues; optional column);
    /// or Parquet with columns of those names (times as timestamps or integers).
    pub file: PathBuf,
    /// What to answer.
    #[arg(long, value_enum, default_value_t = Question::Exposures)]
    pub question: Question,
    /// For --question contacts: whose (a person id as in the file).
    #[arg(long, required_if_eq("question", "contacts"))]
    pub person: Option<String>,
    /// For --question contacts: the person is staff (a visitor otherwise).
    #[arg(long)]
    pub staff: bool,
    /// For --question contacts: 2 adds secondary contacts.
    #[arg(long, default_value_t = 1)]
    pub rings: u32,
    /// Only this hall (needed for contacts when the file holds several).
    #[arg(long)]
    pub site: Option<String>,
    /// A hall file (TOML): its time zone, zones' kinds, canteen seats and rules. Without
    /// one, the engine's default rules and --utc-offset-minutes.
    #[arg(long)]
    pub hall: Option<PathBuf>,
    /// The hall's offset from UTC in minutes, for local times in the file and out.
    #[arg(long, default_value_t = 480)]
    pub utc_offset_minutes: i32,
    /// The unit of integer times in the file.
    #[arg(long, value_enum, default_value_t = EpochUnit::Ms)]
    pub epoch: EpochUnit,
    /// From (local `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`); default: the file's first time.
    #[arg(long)]
    pub from: Option<String>,
    /// Until; default: the file's last time.
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub rules: RuleFlags,
    /// Output format: table, csv or json (contacts also graphml and dot are not drawn here).
    #[arg(long, value_enum, default_value_t = LineFormat::Table)]
    pub format: LineFormat,
    /// For clusters: the smallest shown.
    #[arg(long, default_value_t = 2)]
    pub min_size: u32,
    /// Write the answer into this file (the line list as it is found).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Why `analyze` stopped.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The file could not be loaded.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// A flag is wrong.
    #[error("{0}")]
    Flag(String),
    /// The engine refused a row after loading (a stay longer than 31 days, a time out of
    /// range, a site mismatch).
    #[error("row {row} of the file's data: {problem}")]
    Engine {
        /// 1-based data row (the header not counted).
        row: usize,
        /// What is wrong.
        problem: String,
    },
    /// The output could not be written.
    #[error("cannot write the answer: {0}")]
    Write(#[from] std::io::Error),
}

/// Loads, builds and answers; the answer goes to `out` (or `--out`), figures to stderr.
pub fn run(args: &AnalyzeArgs, out: &mut (dyn Write + Send)) -> Result<(), AnalyzeError> {
    let hall = match &args.hall {
        Some(path) => Some(Hall::load(path).map_err(|error| AnalyzeError::Flag(format!("--hall: {error}")))?),
        None => None,
    };
    let offset = hall
        .as_ref()
        .map_or(args.utc_offset_minutes, |h| h.utc_offset_minutes);
    let started = Instant::now();
    let reading = TimeReading {
        utc_offset_minutes: offset,
        epoch: args.epoch,
    };
    let columns = load_file(&args.file, reading)?;
    let loaded = started.elapsed();
    let halls = Halls::new(hall.into_iter().collect())
        .map_err(|error| AnalyzeError::Flag(format!("--hall: {error}")))?;
    let mut graph = hallguard_contact_tracing::empty_graph(&halls);
    let built_at = Instant::now();
    graph
        .add_rows(&columns)
        .map_err(|(row, error)| AnalyzeError::Engine {
            row: row + 1,
            problem: error.to_string(),
        })?;
    let built = built_at.elapsed();
    let input_bytes = columns.heap_bytes();
    let window = window(args, &columns, offset)?;
    let site = site_of(args, &columns)?;
    let rules = hallguard_contact_tracing::convert::rules(
        site.as_deref().and_then(|site| halls.get(site)),
        Some(&args.rules.overrides()),
    )
    .map_err(|error| AnalyzeError::Flag(error.to_string()))?;
    drop(columns);
    let answered_at = Instant::now();
    let mut file_out;
    let sink: &mut (dyn Write + Send) = match &args.out {
        Some(path) => {
            file_out = std::io::BufWriter::new(std::fs::File::create(path)?);
            &mut file_out
        }
        None => out,
    };
    let answered = match args.question {
        Question::Exposures => {
            let mut writer = LineWriter::new(args.format, &mut *sink, offset)?;
            let mut failed = None;
            // Each pair becomes text (lines, for the table) on the worker that judged it;
            // the sink writes the chunks in order.
            let encoder = lines::Encoder::new(&graph, args.format, offset);
            let _ = graph.exposures_with(
                site.as_deref(),
                window,
                &rules,
                &Cancel::default(),
                &encoder,
                |mut chunk: lines::Chunk| {
                    let written = match chunk.failed.take() {
                        Some(error) => Err(error),
                        None if args.format == LineFormat::Table => writer.write_lines(&chunk.lines),
                        None => writer.write_encoded(&chunk.text, chunk.count),
                    };
                    encoder.recycle(chunk);
                    written.map_err(|error| failed = Some(error))
                },
            );
            if let Some(error) = failed {
                return Err(error.into());
            }
            let count = writer.written();
            writer.finish()?.flush()?;
            format!("{count} exposure pairs")
        }
        Question::Contacts => {
            let site = site.ok_or_else(|| {
                AnalyzeError::Flag("--site: the file holds several halls; name the person's".into())
            })?;
            let request = pb::FindContactsRequest {
                person: Some(PersonRef {
                    site_id: site,
                    kind: if args.staff {
                        PersonKind::Staff
                    } else {
                        PersonKind::Visitor
                    } as i32,
                    person_id: args.person.clone().unwrap_or_default(),
                }),
                window: Some(pb::find_contacts_request::Window::Span(time_window(window))),
                rings: args.rings,
                overrides: Some(args.rules.overrides()),
                isolated_at: Default::default(),
            };
            let found = hallguard_contact_tracing::service::find_contacts(&graph, &halls, &request)
                .map_err(|error| AnalyzeError::Flag(error.to_string()))?;
            if !found.index_seen {
                return Err(AnalyzeError::Flag(format!(
                    "--person: {} is not in the file (check --staff and --site)",
                    args.person.as_deref().unwrap_or_default()
                )));
            }
            let rows = crate::report::contacts::rows(&found);
            let text = match contacts_format(args.format) {
                ContactsFormat::Csv => tabular::csv(&rows, offset).map_err(std::io::Error::other)?,
                ContactsFormat::Json => tabular::json(&rows),
                _ => tabular::table(&rows, offset),
            };
            writeln!(sink, "{}", text.trim_end())?;
            format!("{} contacts", rows.len())
        }
        Question::Clusters => {
            let min_size = args.min_size.max(2) as usize;
            let clusters: Vec<pb::Cluster> = graph
                .clusters(window, &rules, min_size)
                .into_iter()
                .filter(|cluster| {
                    cluster
                        .members
                        .first()
                        .is_some_and(|m| site.as_ref().is_none_or(|site| graph.person(*m).site_id == *site))
                })
                .map(|cluster| pb::Cluster {
                    members: cluster
                        .members
                        .iter()
                        .map(|m| hallguard_contact_tracing::convert::person_ref(graph.person(*m)))
                        .collect(),
                    edges: cluster.edges as u64,
                })
                .collect();
            let format = match args.format {
                LineFormat::Json => PlainFormat::Json,
                _ => PlainFormat::Table,
            };
            writeln!(
                sink,
                "{}",
                crate::analyst::clusters::people_clusters(&clusters, format)
            )?;
            format!("{} clusters", clusters.len())
        }
    };
    sink.flush()?;
    let stats = graph.stats();
    eprintln!(
        "loaded in {:.2} s ({} intervals, {} people, input {:.0} MiB), built in {:.2} s, \
         answered in {:.2} s: {answered}",
        loaded.as_secs_f64(),
        stats.stays,
        stats.people,
        input_bytes as f64 / (1024.0 * 1024.0),
        built.as_secs_f64(),
        answered_at.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// Loads a CSV, or a Parquet file (known by its first bytes).
fn load_file(path: &std::path::Path, reading: TimeReading) -> Result<PresenceColumns, load::LoadError> {
    #[cfg(feature = "parquet")]
    if parquet::is_parquet(path) {
        return parquet::load(path, reading);
    }
    load::load(path, reading)
}

fn contacts_format(format: LineFormat) -> ContactsFormat {
    match format {
        LineFormat::Table => ContactsFormat::Table,
        LineFormat::Csv => ContactsFormat::Csv,
        LineFormat::Json => ContactsFormat::Json,
    }
}

fn time_window((start, end): (i64, i64)) -> TimeWindow {
    TimeWindow {
        start: Some(hallguard_platform::timestamps::millis_to_timestamp(start)),
        end: Some(hallguard_platform::timestamps::millis_to_timestamp(end)),
    }
}

/// The window asked for, or the file's whole span.
fn window(args: &AnalyzeArgs, columns: &PresenceColumns, offset: i32) -> Result<(i64, i64), AnalyzeError> {
    let local = |text: &str, flag: &str| {
        crate::analyst::parse_local(text, offset, flag).map_err(|error| AnalyzeError::Flag(error.to_string()))
    };
    let first = columns.rows.iter().map(|r| r.start).min().unwrap_or(0);
    let last = columns
        .rows
        .iter()
        .map(|r| r.end.unwrap_or(r.start))
        .max()
        .unwrap_or(0);
    let start = args
        .from
        .as_deref()
        .map(|t| local(t, "from"))
        .transpose()?
        .unwrap_or(first);
    // A stay with no end lasts until the window's end: the file's last time, at least.
    let end = args
        .to
        .as_deref()
        .map(|t| local(t, "to"))
        .transpose()?
        .unwrap_or(last + 1);
    if end <= start {
        return Err(AnalyzeError::Flag("--to must be after --from".into()));
    }
    Ok((start, end))
}

/// The hall asked for, or the file's only one.
fn site_of(args: &AnalyzeArgs, columns: &PresenceColumns) -> Result<Option<String>, AnalyzeError> {
    if let Some(site) = &args.site {
        if !columns.people.iter().any(|p| p.site_id == *site) {
            return Err(AnalyzeError::Flag(format!(
                "--site: no row of the file is at {site:?}"
            )));
        }
        return Ok(Some(site.clone()));
    }
    let mut sites = columns.people.iter().map(|p| p.site_id.as_str());
    let first = sites.next();
    Ok(match first {
        Some(first) if sites.all(|s| s == first) => Some(first.to_string()),
        _ => None,
    })
}
