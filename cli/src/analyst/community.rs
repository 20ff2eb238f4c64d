//! `hallguard community-reports`: the reports queued for the communities of visitors
//! without a code whose recent travel paused their entry; as a table, or with `--out`
//! as documents (Markdown and a printable page each) to send. Duty officers see names.

use hallguard_incident::documents::Language;
use hallguard_proto::screening::v1::ListCommunityReportsRequest;

use super::*;
use crate::report::community;

/// `community-reports` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct CommunityReportsArgs {
    /// The hall.
    #[arg(long, default_value = "riverside-hall")]
    site: String,
    /// Only reports not yet acknowledged.
    #[arg(long)]
    open: bool,
    /// Write each report as a document into this folder (created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The documents' language: en or zh.
    #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
    lang: String,
    #[command(flatten)]
    connection: Connection,
}

pub(super) async fn community_reports(args: CommunityReportsArgs) -> Result<String, AnalystError> {
    let connection = &args.connection;
    let offset = connection.utc_offset_minutes;
    let reports = ScreeningClient::new(connection.channel(Service::Screening).await?)
        .list_community_reports(ListCommunityReportsRequest {
            site_id: args.site.clone(),
            open_only: args.open,
            page: Some(hallguard_proto::common::v1::PageRequest {
                page_size: 500,
                page_token: String::new(),
            }),
        })
        .await
        .map_err(|status| connection.explain(Service::Screening, status))?
        .into_inner()
        .reports;
    if reports.is_empty() {
        return Ok(format!(
            "no {}community reports at {}",
            if args.open { "open " } else { "" },
            args.site
        ));
    }
    let Some(out) = &args.out else {
        return Ok(tabular::grid(
            ["report", "community", "reported", "risk areas", "acknowledged"],
            reports.iter().map(|r| {
                vec![
                    r.report_id.clone(),
                    r.community_region_code.clone(),
                    r.created_at
                        .as_ref()
                        .map(|t| local_time(timestamp_to_millis(t), offset))
                        .unwrap_or_default(),
                    r.risk_region_codes.join(", "),
                    r.acknowledged_at
                        .as_ref()
                        .map(|t| {
                            format!(
                                "{} by {}",
                                local_time(timestamp_to_millis(t), offset),
                                r.acknowledged_by
                            )
                        })
                        .unwrap_or_else(|| "open".into()),
                ]
            }),
        ));
    };
    let language = Language::named(&args.lang).unwrap_or_default();
    std::fs::create_dir_all(out)
        .map_err(|error| AnalystError::new(format!("cannot create {}: {error}", out.display())))?;
    let mut written = Vec::new();
    for report in &reports {
        for (extension, text) in [
            ("md", community::markdown(report, &args.site, language, offset)),
            ("html", community::html(report, &args.site, language, offset)),
        ] {
            let path = out.join(format!("community-report-{}.{extension}", report.report_id));
            std::fs::write(&path, text)
                .map_err(|error| AnalystError::new(format!("cannot write {}: {error}", path.display())))?;
            written.push(path.display().to_string());
        }
    }
    Ok(format!(
        "wrote {} community reports:\n{}",
        reports.len(),
        written.join("\n")
    ))
}
