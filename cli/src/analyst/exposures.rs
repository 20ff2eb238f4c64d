//! `hallguard exposures`: the exposure line list of a hall, every close-contact pair of
//! the span with its cumulative time, category and evidence, streamed from the service
//! and written while it arrives (to a file with `--out`).

use hallguard_proto::contact_tracing::v1::ListExposuresRequest;

use super::*;
use crate::report::exposures::{ExposureLine, LineFormat, LineWriter};

/// `exposures` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ExposuresArgs {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// The span (default: the plan's four days until now).
    #[command(flatten)]
    span: Span,
    #[command(flatten)]
    rules: RuleFlags,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LineFormat::Table)]
    format: LineFormat,
    /// Write the list into this file as it arrives (and print how many pairs).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn exposures(args: ExposuresArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let window = args.span.window(connection.utc_offset_minutes, 4)?;
    let mut client = ContactTracingClient::new(connection.channel(Service::ContactTracing).await?);
    let mut stream = client
        .list_exposures(ListExposuresRequest {
            site_id: args.site.clone(),
            window: Some(window),
            overrides: Some(args.rules.overrides()),
        })
        .await
        .map_err(|status| connection.explain(Service::ContactTracing, status))?
        .into_inner();
    let format = args.format;
    let offset = connection.utc_offset_minutes;
    let empty = || {
        format!(
            "no close contacts at {} in the span: nobody met long or near enough under the rules \
             in force (widen --from/--to, or ease the rule flags)",
            args.site
        )
    };
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|error| AnalystError::new(format!("cannot create {}: {error}", path.display())))?;
            let (_, written) = write_lines(
                &mut stream,
                connection,
                format,
                offset,
                std::io::BufWriter::new(file),
            )
            .await?;
            Ok(format!("wrote {written} exposure pairs to {}", path.display()))
        }
        None => {
            let (text, written) = write_lines(&mut stream, connection, format, offset, Vec::new()).await?;
            if written == 0 && format == LineFormat::Table {
                return Ok(empty());
            }
            Ok(String::from_utf8_lossy(&text).into_owned())
        }
    }
}

/// Writes the stream's pairs as they arrive; the writer and how many lines.
async fn write_lines<W: std::io::Write>(
    stream: &mut tonic::codec::Streaming<hallguard_proto::contact_tracing::v1::ListExposuresResponse>,
    connection: &Connection,
    format: LineFormat,
    utc_offset_minutes: i32,
    out: W,
) -> Result<(W, usize), AnalystError> {
    let cannot_write = |error: std::io::Error| AnalystError::new(format!("cannot write the list: {error}"));
    let mut writer = LineWriter::new(format, out, utc_offset_minutes).map_err(cannot_write)?;
    while let Some(chunk) = stream
        .message()
        .await
        .map_err(|status| connection.explain(Service::ContactTracing, status))?
    {
        for pair in &chunk.pairs {
            writer
                .write(&ExposureLine::from_pair(pair))
                .map_err(cannot_write)?;
        }
    }
    let written = writer.written();
    Ok((writer.finish().map_err(cannot_write)?, written))
}
