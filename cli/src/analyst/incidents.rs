//! `hallguard incidents`: list incidents, show one with its contacts, or its upward
//! report.

use hallguard_proto::staff_health::v1::GetTemperatureSweepRequest;
use hallguard_proto::staff_health::v1::staff_health_client::StaffHealthClient;

use super::*;
use hallguard_incident::upward::{self, Language};
use hallguard_platform::structured;
use hallguard_proto::incident::v1::{GetIncidentChainRequest, GetIncidentDocumentsRequest, Incident};

/// `incidents` subcommands.
#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// The hall's incidents, newest first.
    #[command(after_help = "Example:\n  hallguard incidents list --open")]
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
    #[command(after_help = "Example:\n  hallguard incidents show inc-01...")]
    Show {
        /// Incident id.
        incident_id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes the documents people act on into a folder: the upward report (Markdown and
    /// a printable page), a notice to each contact and the CDC line list (CSV).
    ///
    /// Example: hallguard incidents documents inc-01… --out docs/ --lang zh
    Documents {
        /// Incident id.
        incident_id: String,
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// The labels' language: en or zh.
        #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
        lang: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// One self-contained page to explore an incident offline in a browser: its steps and
    /// owners, the trajectory, the contact graph (pan, zoom, search, filters by ring,
    /// category and place) and the sortable contact table.
    ///
    /// Example: hallguard incidents dossier inc-01… --out dossiers/
    Dossier {
        /// Incident id.
        incident_id: String,
        /// The folder to write `incident-<id>.html` into (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// The chain of incidents one belongs to (parent links), root first, indented.
    #[command(after_help = "Example:\n  hallguard incidents chain inc-01...")]
    Chain {
        /// Any incident of the chain.
        incident_id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// The upward report (step 5) as a document: Markdown, or a printable HTML page with
    /// --html, labels in English or Chinese (--lang zh); the recorded JSON with --json.
    #[command(
        after_help = "Examples:\n  hallguard incidents report inc-01... --html --lang zh > report.html\n  \
        hallguard incidents report inc-01... --json"
    )]
    Report {
        /// Incident id.
        incident_id: String,
        /// The report's JSON as recorded.
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// A self-contained, printable HTML page instead of Markdown.
        #[arg(long)]
        html: bool,
        /// The labels' language: en or zh.
        #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
        lang: String,
        #[command(flatten)]
        connection: Connection,
    },
}

/// One incident with its steps.
async fn incident_of(connection: &Connection, incident_id: String) -> Result<Incident, AnalystError> {
    IncidentsClient::new(connection.channel(Service::Incident).await?)
        .get_incident(GetIncidentRequest { incident_id })
        .await
        .map_err(|status| connection.explain(Service::Incident, status))?
        .into_inner()
        .incident
        .ok_or_else(|| AnalystError::new("the incident service answered no incident"))
}

pub(super) async fn incidents(command: IncidentsCommand) -> Result<String, AnalystError> {
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
        IncidentsCommand::Documents {
            incident_id,
            out,
            lang,
            connection,
        } => {
            let documents = documents_of(&connection, incident_id, lang).await?;
            let write = |name: String, text: &str| -> Result<String, AnalystError> {
                let path = out.join(name);
                std::fs::write(&path, text).map_err(|error| {
                    AnalystError::new(format!("cannot write {}: {error}", path.display()))
                })?;
                Ok(path.display().to_string())
            };
            std::fs::create_dir_all(&out)
                .map_err(|error| AnalystError::new(format!("cannot create {}: {error}", out.display())))?;
            let mut written = vec![
                write("upward-report.md".into(), &documents.upward_report_markdown)?,
                write("upward-report.html".into(), &documents.upward_report_html)?,
                write("line-list.csv".into(), &documents.line_list_csv)?,
            ];
            for notice in &documents.notices {
                // A file name from the person's id, or the contact's for one added by hand.
                let who: String = notice
                    .person
                    .as_ref()
                    .map_or(notice.contact_id.as_str(), |p| p.person_id.as_str())
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                written.push(write(format!("notice-{who}.md"), &notice.markdown)?);
                written.push(write(format!("notice-{who}.html"), &notice.html)?);
            }
            Ok(format!(
                "wrote {} files ({} contact notices, {} people named):\n{}",
                written.len(),
                documents.notices.len(),
                documents.people_named,
                written.join("\n")
            ))
        }
        IncidentsCommand::Dossier {
            incident_id,
            out,
            connection,
        } => {
            let incident = incident_of(&connection, incident_id).await?;
            let person = incident.person.clone().unwrap_or_default();
            let occurred = incident.occurred_at.as_ref().map_or(0, timestamp_to_millis);
            let mut tracing = ContactTracingClient::new(connection.channel(Service::ContactTracing).await?);
            let around = crate::lookup::around_case(&mut tracing, &person.site_id, &person, occurred)
                .await
                .map_err(|status| connection.explain(Service::ContactTracing, status))?;
            let offset = connection.utc_offset_minutes;
            let title = format!(
                "Contacts of {} {}",
                crate::report::kind_name(&person),
                person.person_id
            );
            let page = crate::report::dossier::html(&crate::report::dossier::Dossier {
                incident: &incident,
                contacts: &around.contacts,
                contact_graph_svg: &crate::report::svg::contact_graph(
                    &around.graph,
                    &title,
                    crate::report::svg::EdgeLabels::WhereRoomy,
                ),
                trajectory_svg: &crate::report::svg::trajectory_timeline(
                    &person.person_id,
                    &around.stops,
                    offset,
                ),
                utc_offset_minutes: offset,
            });
            std::fs::create_dir_all(&out)
                .map_err(|error| AnalystError::new(format!("cannot create {}: {error}", out.display())))?;
            let path = out.join(format!("incident-{}.html", incident.incident_id));
            std::fs::write(&path, page)
                .map_err(|error| AnalystError::new(format!("cannot write {}: {error}", path.display())))?;
            Ok(format!(
                "wrote {} ({} contacts): open it in a browser, no network needed",
                path.display(),
                around.contacts.len()
            ))
        }
        IncidentsCommand::Chain {
            incident_id,
            connection,
        } => {
            let mut client = IncidentsClient::new(connection.channel(Service::Incident).await?);
            let links = client
                .get_incident_chain(GetIncidentChainRequest { incident_id })
                .await
                .map_err(|status| connection.explain(Service::Incident, status))?
                .into_inner()
                .links;
            let offset = connection.utc_offset_minutes;
            Ok(links
                .iter()
                .map(|link| {
                    format!(
                        "{}{} {} {} ({}, {}): {}",
                        "  ".repeat(link.depth as usize),
                        link.incident_id,
                        link.occurred_at
                            .as_ref()
                            .map(|t| local_time(timestamp_to_millis(t), offset))
                            .unwrap_or_default(),
                        link.person.clone().unwrap_or_default().person_id,
                        enum_words(link.source().as_str_name(), "INCIDENT_SOURCE_"),
                        enum_words(link.state().as_str_name(), "INCIDENT_STATE_"),
                        link.summary
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        IncidentsCommand::Show {
            incident_id,
            connection,
        } => {
            let incident = incident_of(&connection, incident_id).await?;
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
            // Each step's own times are in its record (in the hall's time); "entered" is
            // when the desk typed it in.
            out.push_str(&tabular::grid(
                ["step", "recorded by", "what was recorded", "entered"],
                incident.steps.iter().map(|s| {
                    vec![
                        format!("{} {}", s.step, upward::step_name(s.step)),
                        s.recorded_by.clone(),
                        upward::step_words(s, Language::English, offset),
                        s.recorded_at
                            .as_ref()
                            .map(|t| local_time(timestamp_to_millis(t), offset))
                            .unwrap_or_default(),
                    ]
                }),
            ));
            // Step 4's temperature sweep of the staff on duty, from staff health.
            let sweep = StaffHealthClient::new(connection.channel(Service::StaffHealth).await?)
                .get_temperature_sweep(GetTemperatureSweepRequest {
                    sweep_id: String::new(),
                    incident_id: incident.incident_id.clone(),
                })
                .await;
            match sweep {
                Ok(sweep) => {
                    let sweep = sweep.into_inner();
                    out.push_str(&format!(
                        "\nstaff temperature sweep {}: measured {} ({}), not yet {} ({}), fever {} ({})\n",
                        sweep.sweep_id,
                        sweep.checked_staff_ids.len(),
                        sweep.checked_staff_ids.join(" "),
                        sweep.unchecked_staff_ids.len(),
                        sweep.unchecked_staff_ids.join(" "),
                        sweep.fever_staff_ids.len(),
                        sweep.fever_staff_ids.join(" "),
                    ));
                }
                Err(status) if status.code() == tonic::Code::NotFound => {
                    out.push_str("\nno staff temperature sweep yet\n");
                }
                Err(status) => return Err(connection.explain(Service::StaffHealth, status)),
            }
            Ok(out)
        }
        IncidentsCommand::Report {
            incident_id,
            json,
            html,
            lang,
            connection,
        } => {
            let incident = incident_of(&connection, incident_id.clone()).await?;
            let Some(report) = incident.steps.iter().rev().find(|s| s.step == 5) else {
                return Err(AnalystError::new(format!(
                    "incident {incident_id} has no upward report yet (step 5)"
                )));
            };
            if json {
                let value = report
                    .detail
                    .as_ref()
                    .map(structured::to_json)
                    .unwrap_or_default();
                return Ok(serde_json::to_string_pretty(&value).unwrap_or_default());
            }
            // Rendered by the incident service, which names people for the duty desk.
            let documents = documents_of(&connection, incident_id, lang).await?;
            Ok(if html {
                documents.upward_report_html
            } else {
                documents.upward_report_markdown
            })
        }
    }
}

/// An incident's documents as the incident service renders them for the caller (named
/// for the duty desk, pseudonymous for anyone else).
async fn documents_of(
    connection: &Connection,
    incident_id: String,
    language: String,
) -> Result<hallguard_proto::incident::v1::GetIncidentDocumentsResponse, AnalystError> {
    IncidentsClient::new(connection.channel(Service::Incident).await?)
        .get_incident_documents(GetIncidentDocumentsRequest {
            incident_id,
            language,
        })
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| connection.explain(Service::Incident, status))
}
