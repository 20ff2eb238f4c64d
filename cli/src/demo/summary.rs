//! What the demo's day left in the services, read back over gRPC: gate decisions, staff
//! checks and lunch, each incident step by step, every index case's contacts with their
//! evidence, the upward reports; the pictures and exports written to the output folder.

use hallguard_domain::plan::contact_window_start;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hallguard_domain::hall::Hall;
use hallguard_domain::time::{DAY_MS, format_date, now_millis};
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1::{PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::{Case, FindClustersRequest};
use hallguard_proto::incident::v1::{
    GetIncidentDocumentsRequest, ListAuditLogRequest, ListContactsRequest, ListTasksRequest,
};
use hallguard_proto::screening::v1::{DecisionReason, GetGateStatisticsRequest, ListCommunityReportsRequest};
use hallguard_proto::staff_health::v1::{ListFocusManagementRequest, ListMissingMorningChecksRequest};

use super::day::DayPlan;
use super::play::Played;
use super::response::Handled;
use super::{Clients, DemoError};
use crate::report::contacts::ContactRow;
use crate::report::dossier;
use crate::report::graph::graphml;
use crate::report::svg::{EdgeLabels, contact_graph, trajectory_timeline};
use crate::report::{enum_words, kind_name, local_clock, local_time, tabular};

/// Contacts printed per ring and index case; the CSV next to the pictures has them all.
const PRINTED_CONTACTS: usize = 8;

/// One gate's day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GateDay {
    /// Gate id.
    pub gate_id: String,
    /// Admitted.
    pub entries: u32,
    /// Refused (suspected cases not included).
    pub refusals: u32,
    /// Fevers measured.
    pub fevers: u32,
    /// Suspected cases held.
    pub suspected_cases: u32,
    /// Suspected people measured again (not counted again as suspected cases).
    pub remeasurements: u32,
    /// Refusals by reason.
    pub reasons: BTreeMap<String, u32>,
}

/// One step as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StepLine {
    /// 1 to 7.
    pub step: u32,
    /// Who recorded it.
    pub recorded_by: String,
}

/// Files written for one incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Files {
    /// Contact graph picture.
    pub contact_graph_svg: PathBuf,
    /// Trajectory timeline picture.
    pub trajectory_svg: PathBuf,
    /// The contact subgraph for Gephi or Cytoscape.
    pub graphml: PathBuf,
    /// Every contact with evidence.
    pub contacts_csv: PathBuf,
    /// The upward report.
    pub upward_report: PathBuf,
    /// The incident as one page to explore offline.
    pub dossier: PathBuf,
    /// The upward report of the closed incident as printable pages, English and Chinese.
    pub upward_report_pages: [PathBuf; 2],
}

/// One incident, after the response.
#[derive(Debug, Clone)]
pub struct IncidentDay {
    /// Incident id.
    pub incident_id: String,
    /// Screening or staff-health.
    pub source: String,
    /// The index case.
    pub person: PersonRef,
    /// Where it happened.
    pub location_id: String,
    /// When.
    pub occurred_at: i64,
    /// Final state.
    pub state: String,
    /// Steps recorded, in order.
    pub steps: Vec<StepLine>,
    /// Audit entries.
    pub audit_entries: usize,
    /// Tasks still open.
    pub open_tasks: usize,
    /// Contacts under follow-up (step 4).
    pub followed_contacts: usize,
    /// Zones disinfected (step 6).
    pub disinfected_zones: Vec<String>,
    /// Close and secondary contacts from contact tracing.
    pub contacts: Vec<ContactRow>,
    /// The upward report (Markdown).
    pub upward_markdown: String,
    /// Pictures and exports.
    pub files: Files,
}

/// A suspected visitor measured again at the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Remeasured {
    /// The gate.
    pub gate_id: String,
    /// The visitor (pseudonymous id).
    pub person_id: String,
    /// The check the re-measurement joined.
    pub first_check_in_id: String,
    /// The readings the visitor's one incident holds.
    pub incident_readings: usize,
}

/// Cases linked by close contact.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseClusterLine {
    /// The cases, first infectious first.
    pub cases: Vec<String>,
    /// The places that link them.
    pub places: Vec<String>,
    /// Close contacts between them.
    pub links: usize,
}

/// The demo's account of the day.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The simulated date.
    pub date: String,
    /// The hall's offset from UTC, for printing local times.
    pub utc_offset_minutes: i32,
    /// Visitors who came to the gates.
    pub visitors: usize,
    /// Per gate.
    pub gates: Vec<GateDay>,
    /// Visitors without a code who registered by hand.
    pub registrations: usize,
    /// Registrations whose entry was paused (recent risk-area travel).
    pub paused_registrations: usize,
    /// Reports sent to communities.
    pub community_reports: usize,
    /// Staff on the roster.
    pub staff: usize,
    /// Sent home by the morning check.
    pub unfit_staff: Vec<String>,
    /// No morning check by the deadline.
    pub missing_morning_checks: Vec<String>,
    /// Under focus management at the end of the day.
    pub focus_management: Vec<String>,
    /// Lunch slots: local start, departments, diners, seats.
    pub meal_slots: Vec<(String, Vec<String>, u32, u32)>,
    /// The colleague who sat next to the scenario-2 case against the seat plan.
    pub off_plan_neighbour: Option<(String, String)>,
    /// The incidents, oldest first.
    pub incidents: Vec<IncidentDay>,
    /// Suspected visitors measured again at the gates.
    pub remeasured: Vec<Remeasured>,
    /// Clusters of the day's cases (incidents), largest first.
    pub case_clusters: Vec<CaseClusterLine>,
    /// The largest group co-presence alone links (the people-level view).
    pub largest_people_cluster: usize,
    /// gRPC calls made to play the day.
    pub calls: u64,
}

impl Summary {
    /// Admitted, refused, suspected over every gate.
    pub fn totals(&self) -> (u32, u32, u32) {
        self.gates.iter().fold((0, 0, 0), |(a, r, s), g| {
            (a + g.entries, r + g.refusals, s + g.suspected_cases)
        })
    }
}

fn reason_name(reason: DecisionReason) -> String {
    enum_words(reason.as_str_name(), "DECISION_REASON_")
}

/// Reads the day back from the services and writes pictures and exports to `out_dir`.
pub async fn collect(
    clients: &Clients,
    hall: &Hall,
    plan: &DayPlan,
    played: &Played,
    handled: &[Handled],
    out_dir: &Path,
) -> Result<Summary, DemoError> {
    let site = hall.site_id.clone();
    let day = Some(TimeWindow {
        start: Some(millis_to_timestamp(plan.midnight)),
        end: Some(millis_to_timestamp(plan.midnight + DAY_MS)),
    });
    let rows_by_hour = clients
        .screening_desk
        .clone()
        .get_gate_statistics(GetGateStatisticsRequest {
            site_id: site.clone(),
            window: day,
        })
        .await
        .map_err(DemoError::call("reading gate statistics"))?
        .into_inner()
        .rows;
    let mut gates: BTreeMap<String, GateDay> = BTreeMap::new();
    for row in rows_by_hour {
        let gate = gates.entry(row.gate_id.clone()).or_insert_with(|| GateDay {
            gate_id: row.gate_id.clone(),
            ..GateDay::default()
        });
        gate.entries += row.entries;
        gate.refusals += row.refusals;
        gate.fevers += row.fevers;
        gate.suspected_cases += row.suspected_cases;
        gate.remeasurements += row.remeasurements;
        for reason in &row.refusals_by_reason {
            *gate.reasons.entry(reason_name(reason.reason())).or_default() += reason.count;
        }
    }
    let community_reports = clients
        .screening_desk
        .clone()
        .list_community_reports(ListCommunityReportsRequest {
            site_id: site.clone(),
            open_only: false,
            page: None,
        })
        .await
        .map_err(DemoError::call("reading community reports"))?
        .into_inner()
        .reports
        .len();
    let mut staff_desk = clients.staff_desk.clone();
    let missing_morning_checks = staff_desk
        .list_missing_morning_checks(ListMissingMorningChecksRequest {
            site_id: site.clone(),
            work_date: format_date(plan.date),
        })
        .await
        .map_err(DemoError::call("reading missing morning checks"))?
        .into_inner()
        .missing
        .into_iter()
        .map(|member| member.staff_id)
        .collect();
    let focus_management = staff_desk
        .list_focus_management(ListFocusManagementRequest {
            site_id: site.clone(),
            include_released: false,
        })
        .await
        .map_err(DemoError::call("reading focus management"))?
        .into_inner()
        .entries
        .into_iter()
        .map(|entry| entry.staff_id)
        .collect();
    let meal_slots = played
        .meal_slots
        .iter()
        .map(|slot| {
            let starts = slot.starts_at.as_ref().map_or(0, timestamp_to_millis);
            (
                local_clock(starts, hall.utc_offset_minutes),
                slot.departments.clone(),
                slot.diners,
                slot.seats,
            )
        })
        .collect();

    let mut incidents = Vec::new();
    for (n, handled) in handled.iter().enumerate() {
        incidents.push(incident_day(clients, hall, n + 1, handled, out_dir).await?);
    }
    let remeasured = plan
        .visitors
        .iter()
        .zip(&played.gate_answers)
        .filter_map(|(visitor, answer)| {
            let again = answer.remeasurement.as_ref()?;
            let incident_readings = handled
                .iter()
                .find(|h| {
                    h.incident
                        .person
                        .as_ref()
                        .is_some_and(|p| p.person_id == again.person_id)
                })
                .map_or(0, |h| h.incident.readings.len());
            Some(Remeasured {
                gate_id: visitor.gate.clone(),
                person_id: again.person_id.clone(),
                first_check_in_id: again.remeasurement_of_check_in_id.clone(),
                incident_readings,
            })
        })
        .collect();
    let (case_clusters, largest_people_cluster) = clusters(clients, &site, plan, handled).await?;
    Ok(Summary {
        date: format_date(plan.date),
        utc_offset_minutes: hall.utc_offset_minutes,
        visitors: plan.visitors.len(),
        gates: gates.into_values().collect(),
        registrations: plan.visitors.iter().filter(|v| v.without_code.is_some()).count(),
        paused_registrations: played.paused_registrations,
        community_reports,
        staff: plan.staff.len(),
        unfit_staff: played.unfit_staff.clone(),
        missing_morning_checks,
        focus_management,
        meal_slots,
        off_plan_neighbour: played.off_plan_neighbour.clone(),
        incidents,
        remeasured,
        case_clusters,
        largest_people_cluster,
        calls: played.calls,
    })
}

/// The day's cases (every incident, infectious from the plan's look-back before it
/// occurred) clustered by close contact, and the largest group co-presence alone joins.
async fn clusters(
    clients: &Clients,
    site: &str,
    plan: &DayPlan,
    handled: &[Handled],
) -> Result<(Vec<CaseClusterLine>, usize), DemoError> {
    let window = TimeWindow {
        start: Some(millis_to_timestamp(contact_window_start(plan.midnight))),
        end: Some(millis_to_timestamp(now_millis())),
    };
    let cases: Vec<Case> = handled
        .iter()
        .map(|h| Case {
            person: h.incident.person.clone(),
            infectious_from: h
                .incident
                .occurred_at
                .as_ref()
                .map(|t| millis_to_timestamp(contact_window_start(timestamp_to_millis(t)))),
        })
        .collect();
    let mut tracing = clients.tracing.clone();
    let request = FindClustersRequest {
        site_id: site.to_string(),
        window: Some(window),
        ..Default::default()
    };
    let people = tracing
        .find_clusters(request.clone())
        .await
        .map_err(DemoError::call("finding clusters of people"))?
        .into_inner()
        .clusters;
    let found = tracing
        .find_clusters(FindClustersRequest { cases, ..request })
        .await
        .map_err(DemoError::call("finding clusters of cases"))?
        .into_inner()
        .case_clusters;
    let lines = found
        .iter()
        .map(|cluster| CaseClusterLine {
            cases: cluster
                .cases
                .iter()
                .filter_map(|c| c.person.as_ref().map(|p| p.person_id.clone()))
                .collect(),
            places: cluster.places.iter().map(|p| p.place_id.clone()).collect(),
            links: cluster.links.len(),
        })
        .collect();
    Ok((lines, people.first().map_or(0, |c| c.members.len())))
}

async fn incident_day(
    clients: &Clients,
    hall: &Hall,
    number: usize,
    handled: &Handled,
    out_dir: &Path,
) -> Result<IncidentDay, DemoError> {
    let incident = &handled.incident;
    let id = incident.incident_id.clone();
    let person = incident.person.clone().unwrap_or_default();
    let occurred_at = incident.occurred_at.as_ref().map_or(0, timestamp_to_millis);
    let mut desk = clients.incidents.clone();
    let audit_entries = desk
        .list_audit_log(ListAuditLogRequest {
            incident_id: id.clone(),
            page: Some(hallguard_proto::common::v1::PageRequest {
                page_size: 1000,
                page_token: String::new(),
            }),
        })
        .await
        .map_err(DemoError::call("reading the audit log"))?
        .into_inner()
        .entries
        .len();
    let open_tasks = desk
        .list_tasks(ListTasksRequest {
            incident_id: id.clone(),
            open_only: true,
        })
        .await
        .map_err(DemoError::call("reading tasks"))?
        .into_inner()
        .tasks
        .len();
    let followed = desk
        .list_contacts(ListContactsRequest {
            incident_id: id.clone(),
        })
        .await
        .map_err(DemoError::call("reading followed contacts"))?
        .into_inner()
        .contacts;
    let followed_contacts = followed.len();

    // The same queries as step 4: from four days before the event until now, two rings.
    let crate::lookup::AroundCase {
        contacts,
        graph,
        stops,
    } = crate::lookup::around_case(&mut clients.tracing.clone(), &hall.site_id, &person, occurred_at)
        .await
        .map_err(DemoError::call(
            "finding contacts, the subgraph and the trajectory",
        ))?;

    let files = Files {
        contact_graph_svg: out_dir.join(format!("incident-{number}-contacts.svg")),
        trajectory_svg: out_dir.join(format!("incident-{number}-trajectory.svg")),
        graphml: out_dir.join(format!("incident-{number}-contacts.graphml")),
        contacts_csv: out_dir.join(format!("incident-{number}-contacts.csv")),
        upward_report: out_dir.join(format!("incident-{number}-upward-report.md")),
        dossier: out_dir.join(format!("incident-{number}-dossier.html")),
        upward_report_pages: [
            out_dir.join(format!("incident-{number}-upward-report.html")),
            out_dir.join(format!("incident-{number}-upward-report.zh.html")),
        ],
    };
    let title = format!(
        "Incident {number}: contacts of {} {}",
        kind_name(&person),
        person.person_id
    );
    let contact_graph_svg = contact_graph(&graph, &title, EdgeLabels::WhereRoomy);
    let trajectory_svg = trajectory_timeline(&person.person_id, &stops, hall.utc_offset_minutes);
    std::fs::write(&files.contact_graph_svg, &contact_graph_svg)?;
    std::fs::write(&files.trajectory_svg, &trajectory_svg)?;
    std::fs::write(
        &files.dossier,
        dossier::html(&dossier::Dossier {
            incident,
            contacts: &contacts,
            contact_graph_svg: &contact_graph_svg,
            trajectory_svg: &trajectory_svg,
            utc_offset_minutes: hall.utc_offset_minutes,
        }),
    )?;
    std::fs::write(&files.graphml, graphml(&graph))?;
    let csv = tabular::csv(&contacts, hall.utc_offset_minutes)
        .map_err(|error| DemoError::Stalled(format!("writing CSV: {error}")))?;
    std::fs::write(&files.contacts_csv, csv)?;
    std::fs::write(&files.upward_report, &handled.upward_markdown)?;
    // The closed incident's whole record, as pages to print, in English and Chinese,
    // people named as the duty desk sees them.
    for (path, language) in files.upward_report_pages.iter().zip(["en", "zh"]) {
        let documents = desk
            .get_incident_documents(GetIncidentDocumentsRequest {
                incident_id: id.clone(),
                language: language.into(),
            })
            .await
            .map_err(DemoError::call("reading the incident's documents"))?
            .into_inner();
        std::fs::write(path, documents.upward_report_html)?;
    }

    Ok(IncidentDay {
        incident_id: id,
        source: enum_words(incident.source().as_str_name(), "INCIDENT_SOURCE_"),
        person,
        location_id: incident.location_id.clone(),
        occurred_at,
        state: enum_words(incident.state().as_str_name(), "INCIDENT_STATE_"),
        steps: incident
            .steps
            .iter()
            .map(|step| StepLine {
                step: step.step,
                recorded_by: step.recorded_by.clone(),
            })
            .collect(),
        audit_entries,
        open_tasks,
        followed_contacts,
        disinfected_zones: handled.disinfected_zones.clone(),
        contacts,
        upward_markdown: handled.upward_markdown.clone(),
        files,
    })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offset = self.utc_offset_minutes;
        let (admitted, refused, suspected) = self.totals();
        writeln!(
            f,
            "hallguard demo: Riverside Administrative Service Center, {}",
            self.date
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "== Gates ({} visitors, {} gRPC calls to play the day)",
            self.visitors, self.calls
        )?;
        writeln!(
            f,
            "admitted {admitted}, refused {refused}, held as suspected cases {suspected}"
        )?;
        for gate in &self.gates {
            let reasons: Vec<String> = gate.reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
            writeln!(
                f,
                "  {:<16} admitted {:>5}  refused {:>3}  fevers {:>2}  suspected {}  re-measured {}  ({})",
                gate.gate_id,
                gate.entries,
                gate.refusals,
                gate.fevers,
                gate.suspected_cases,
                gate.remeasurements,
                reasons.join(", ")
            )?;
        }
        for again in &self.remeasured {
            writeln!(
                f,
                "  visitor {} measured again at {}: a re-measurement of check {}, same queue place; \
                 their one incident holds {} readings",
                again.person_id, again.gate_id, again.first_check_in_id, again.incident_readings
            )?;
        }
        writeln!(
            f,
            "registered without a code: {} ({} paused for recent risk-area travel; {} community reports)",
            self.registrations, self.paused_registrations, self.community_reports
        )?;
        writeln!(f)?;
        writeln!(f, "== Staff ({} on the roster)", self.staff)?;
        writeln!(
            f,
            "no morning check by the deadline: {}",
            list(&self.missing_morning_checks)
        )?;
        writeln!(f, "sent home by the morning check: {}", list(&self.unfit_staff))?;
        writeln!(f, "under focus management: {}", list(&self.focus_management))?;
        for (starts, departments, diners, seats) in &self.meal_slots {
            writeln!(
                f,
                "  lunch {starts}: {diners} diners on {seats} spaced seats ({})",
                departments.join(", ")
            )?;
        }
        if let Some((who, seat)) = &self.off_plan_neighbour {
            writeln!(
                f,
                "  {who} sat at {seat}, next to the scenario-2 case, against the seat plan"
            )?;
        }
        for (n, incident) in self.incidents.iter().enumerate() {
            writeln!(f)?;
            writeln!(
                f,
                "== Incident {} ({}): {} {} at {}, {}",
                n + 1,
                incident.source,
                kind_name(&incident.person),
                incident.person.person_id,
                incident.location_id,
                local_time(incident.occurred_at, offset)
            )?;
            let steps: Vec<String> = incident
                .steps
                .iter()
                .map(|s| format!("{} ({})", s.step, s.recorded_by))
                .collect();
            writeln!(f, "steps: {}", steps.join(" -> "))?;
            writeln!(
                f,
                "state {}; {} audit entries; {} open tasks; {} contacts under follow-up; disinfected: {}",
                incident.state,
                incident.audit_entries,
                incident.open_tasks,
                incident.followed_contacts,
                incident.disinfected_zones.join(", ")
            )?;
            let close: Vec<&ContactRow> = incident.contacts.iter().filter(|c| c.ring == 1).collect();
            let secondary: Vec<&ContactRow> = incident.contacts.iter().filter(|c| c.ring == 2).collect();
            writeln!(
                f,
                "close contacts: {}, secondary contacts: {}",
                close.len(),
                secondary.len()
            )?;
            let printed = close
                .iter()
                .take(PRINTED_CONTACTS)
                .chain(secondary.iter().take(PRINTED_CONTACTS));
            for contact in printed {
                let via = contact
                    .via
                    .as_ref()
                    .map(|via| format!(" via {via}"))
                    .unwrap_or_default();
                writeln!(
                    f,
                    "  ring {} {} {} [{}]{}: {}",
                    contact.ring,
                    contact.kind,
                    contact.person_id,
                    contact.category,
                    via,
                    contact.evidence_line()
                )?;
            }
            if close.len().max(secondary.len()) > PRINTED_CONTACTS {
                writeln!(
                    f,
                    "  ... all of them in {}",
                    incident.files.contacts_csv.display()
                )?;
            }
            writeln!(
                f,
                "upward report ({}; to print: {}, {}):",
                incident.files.upward_report.display(),
                incident.files.upward_report_pages[0].display(),
                incident.files.upward_report_pages[1].display()
            )?;
            for line in incident.upward_markdown.lines().take(12) {
                writeln!(f, "  | {line}")?;
            }
            writeln!(
                f,
                "pictures: {} and {}; graph for Gephi/Cytoscape: {}; to explore in a browser: {}",
                incident.files.contact_graph_svg.display(),
                incident.files.trajectory_svg.display(),
                incident.files.graphml.display(),
                incident.files.dossier.display()
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "== Clusters of cases (linked by close contact; co-presence alone joins {} people)",
            self.largest_people_cluster
        )?;
        if self.case_clusters.is_empty() {
            writeln!(f, "no two cases were close contacts of each other")?;
        }
        for (n, cluster) in self.case_clusters.iter().enumerate() {
            writeln!(
                f,
                "  cluster {}: {} cases, first {}, last {}; {} close contact{} between them at {}: {}",
                n + 1,
                cluster.cases.len(),
                cluster.cases.first().map_or("", String::as_str),
                cluster.cases.last().map_or("", String::as_str),
                cluster.links,
                if cluster.links == 1 { "" } else { "s" },
                cluster.places.join(", "),
                cluster.cases.join(", ")
            )?;
        }
        Ok(())
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
