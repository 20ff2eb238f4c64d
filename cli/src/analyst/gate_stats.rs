//! `hallguard gate-stats`: entries, refusals by reason, fevers and suspected cases per
//! gate and hour.

use hallguard_domain::time::{local_day, local_day_start};

use super::*;

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

pub(super) async fn gate_stats(args: GateStatsArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let offset = connection.utc_offset_minutes;
    let start = match &args.date {
        Some(date) => {
            let day = hallguard_domain::time::parse_date(date.trim()).ok_or_else(|| {
                AnalystError::new(format!(
                    "--date: {date:?} is not a date YYYY-MM-DD (the statistics cover the whole day)"
                ))
            })?;
            local_day_start(day, offset)
        }
        None => local_day_start(local_day(now_millis(), offset), offset),
    };
    let mut client = ScreeningClient::new(connection.channel(Service::Screening).await?);
    let rows = client
        .get_gate_statistics(GetGateStatisticsRequest {
            site_id: args.site.clone(),
            window: Some(TimeWindow {
                start: Some(millis_to_timestamp(start)),
                end: Some(millis_to_timestamp(start + DAY_MS)),
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
                        "remeasurements": r.remeasurements,
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
                "re-measured",
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
                    r.remeasurements.to_string(),
                    reasons.join(", "),
                ]
            }),
        ),
    })
}
