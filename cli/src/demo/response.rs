//! The duty desk's side of the demo: every incident the day opened is walked through the
//! seven steps of the plan, in the order they happened, with times minutes after the event.

use hallguard_domain::hall::Hall;
use hallguard_domain::time::MINUTE_MS;
use hallguard_platform::timestamps::{millis_to_timestamp, timestamp_to_millis};
use hallguard_proto::common::v1::PersonKind;
use hallguard_proto::incident::v1::{
    ApproveStatementRequest, CloseIncidentRequest, CompleteDisinfectionRequest, ContactStatus,
    DutyAssignment, DutyPost, FollowUpContact, Incident, IncidentSource, ListContactsRequest,
    ListIncidentsRequest, ManualContact, OrderDisinfectionRequest, RecordAftermathRequest,
    RecordIsolationRequest, RecordReportRequest, RecordTracingRequest, RecordTransferAttemptRequest,
    SubmitUpwardReportRequest, TransferChannel, UpdateContactStatusRequest,
};

use super::day::DayPlan;
use super::{Clients, DemoError};

/// One incident after the response.
#[derive(Debug, Clone)]
pub struct Handled {
    /// The incident as closed.
    pub incident: Incident,
    /// The upward report (step 5) in Markdown.
    pub upward_markdown: String,
    /// The upward report as JSON.
    pub upward_json: String,
    /// Zones disinfected in step 6.
    pub disinfected_zones: Vec<String>,
}

/// Walks every open incident of the hall through the seven steps, oldest first, until
/// none is left: the staff case's contact `positive` (when on its list; else its first
/// staff contact) tests positive during tracing, which opens a linked incident, handled
/// in turn.
pub async fn respond_to_all(
    clients: &Clients,
    hall: &Hall,
    plan: &DayPlan,
    positive: Option<&str>,
) -> Result<Vec<Handled>, DemoError> {
    let mut desk = clients.incidents.clone();
    let mut handled: Vec<Handled> = Vec::new();
    loop {
        let mut open = desk
            .list_incidents(ListIncidentsRequest {
                site_id: hall.site_id.clone(),
                open_only: true,
                page: None,
            })
            .await
            .map_err(DemoError::call("listing the open incidents"))?
            .into_inner()
            .incidents;
        open.retain(|incident| {
            !handled
                .iter()
                .any(|done| done.incident.incident_id == incident.incident_id)
        });
        if open.is_empty() {
            return Ok(handled);
        }
        open.sort_by_key(|incident| incident.occurred_at.as_ref().map(timestamp_to_millis));
        for incident in open {
            // Only the first staff case has a contact test positive.
            let first_staff_case = incident.source() == IncidentSource::StaffHealth
                && !handled
                    .iter()
                    .any(|done| done.incident.source() == IncidentSource::StaffHealth);
            let positive = if first_staff_case { positive } else { None };
            handled.push(respond(clients, hall, plan, incident, positive).await?);
        }
    }
}

/// The staff contact who tests positive among an incident's contacts: `preferred` when
/// on the list, else the first staff contact of ring 1. Moved on to positive (notified,
/// tested, positive) at `result_at`, which opens their linked incident.
async fn contact_tests_positive(
    clients: &Clients,
    incident_id: &str,
    preferred: &str,
    result_at: i64,
) -> Result<Option<String>, DemoError> {
    let mut desk = clients.incidents.clone();
    let contacts = desk
        .list_contacts(ListContactsRequest {
            incident_id: incident_id.to_string(),
        })
        .await
        .map_err(DemoError::call("listing the staff case's contacts"))?
        .into_inner()
        .contacts;
    let staff = |contact: &&FollowUpContact| {
        contact
            .person
            .as_ref()
            .is_some_and(|p| p.kind() == PersonKind::Staff)
            && contact.ring == 1
    };
    let chosen = contacts
        .iter()
        .filter(staff)
        .find(|c| c.person.as_ref().is_some_and(|p| p.person_id == preferred))
        .or_else(|| contacts.iter().find(staff));
    let Some(contact) = chosen else {
        return Ok(None);
    };
    for status in [
        ContactStatus::Notified,
        ContactStatus::Tested,
        ContactStatus::Positive,
    ] {
        desk.update_contact_status(UpdateContactStatusRequest {
            contact_id: contact.contact_id.clone(),
            status: status as i32,
            note: if status == ContactStatus::Positive {
                "nucleic acid test positive".into()
            } else {
                String::new()
            },
            recorded_by: "assessment and emergency handling group".into(),
            changed_at: Some(millis_to_timestamp(result_at)),
        })
        .await
        .map_err(DemoError::call("moving the staff case's contact on"))?;
    }
    Ok(contact.person.as_ref().map(|p| p.person_id.clone()))
}

/// The seven steps for one incident.
async fn respond(
    clients: &Clients,
    hall: &Hall,
    plan: &DayPlan,
    incident: Incident,
    positive: Option<&str>,
) -> Result<Handled, DemoError> {
    let mut desk = clients.incidents.clone();
    let id = incident.incident_id.clone();
    let event = incident
        .occurred_at
        .as_ref()
        .map_or(plan.opens_at, timestamp_to_millis);
    let at = |minutes: i64| Some(millis_to_timestamp(event + minutes * MINUTE_MS));
    let step = |n: u32| DemoError::call(format!("incident {id}, step {n}"));
    let staff_case = incident
        .person
        .as_ref()
        .is_some_and(|person| person.kind() == PersonKind::Staff);
    let room = hall
        .isolation_rooms
        .first()
        .map(|room| room.id.clone())
        .unwrap_or_default();

    // 1. Report to the leadership and emergency groups; duty posts manned.
    desk.record_report(RecordReportRequest {
        incident_id: id.clone(),
        // The post that saw it: logistics runs the canteen, on-site handling the gates.
        reported_by: if staff_case {
            "logistics post"
        } else {
            "on-site handling post"
        }
        .into(),
        reported_to_groups: vec!["leadership".into(), "assessment-handling".into()],
        reported_at: at(2),
        duty_posts: vec![
            DutyAssignment {
                post: DutyPost::OnSiteHandling as i32,
                staff_id: "s-069".into(),
            },
            DutyAssignment {
                post: DutyPost::Disinfection as i32,
                staff_id: "s-070".into(),
            },
        ],
    })
    .await
    .map_err(step(1))?;
    // 2. Isolation; community and prevention center told.
    desk.record_isolation(RecordIsolationRequest {
        incident_id: id.clone(),
        isolation_room_id: room.clone(),
        isolated_at: at(5),
        community_notified_at: at(8),
        prevention_center_notified_at: at(8),
        recorded_by: "on-site handling post".into(),
    })
    .await
    .map_err(step(2))?;
    // 4 runs beside 3: contacts are traced while the transfer is arranged.
    desk.record_tracing(RecordTracingRequest {
        incident_id: id.clone(),
        rings: 2,
        manual_contacts: if staff_case {
            Vec::new()
        } else {
            vec![ManualContact {
                person: None,
                name: "Taxi driver (plate on file)".into(),
                phone: "13900000000".into(),
                note: "brought the visitor to the hall".into(),
            }]
        },
        order_tests: true,
        recorded_by: "assessment and emergency handling group".into(),
        transport: if staff_case { "staff shuttle" } else { "taxi" }.into(),
    })
    .await
    .map_err(step(4))?;
    if let Some(preferred) = positive {
        // The test result comes back half an hour after the event.
        contact_tests_positive(clients, &id, preferred, event + 30 * MINUTE_MS).await?;
    }
    // 3. Transfer: the family first; if they cannot come in time, 120.
    let family_comes = staff_case;
    desk.record_transfer_attempt(RecordTransferAttemptRequest {
        incident_id: id.clone(),
        channel: TransferChannel::Family as i32,
        requested_at: at(9),
        succeeded: family_comes,
        departed_at: if family_comes { at(50) } else { None },
        note: if family_comes {
            "spouse drove them to the fever clinic"
        } else {
            "family cannot come within the hour"
        }
        .into(),
        recorded_by: "general coordination group".into(),
    })
    .await
    .map_err(step(3))?;
    if !family_comes {
        desk.record_transfer_attempt(RecordTransferAttemptRequest {
            incident_id: id.clone(),
            channel: TransferChannel::Ambulance120 as i32,
            requested_at: at(12),
            succeeded: true,
            departed_at: at(40),
            note: "to the designated hospital's fever clinic".into(),
            recorded_by: "general coordination group".into(),
        })
        .await
        .map_err(step(3))?;
    }
    // 5. Upward report to the leadership, the city epidemic command and the CDC.
    let upward = desk
        .submit_upward_report(SubmitUpwardReportRequest {
            incident_id: id.clone(),
            confirmed: false,
            sent_to_leadership_at: at(55),
            sent_to_epidemic_command_at: at(60),
            sent_to_cdc_at: at(60),
            recorded_by: "general coordination group".into(),
        })
        .await
        .map_err(step(5))?
        .into_inner();
    // 6. Disinfection of the isolation room and every zone of the trajectory.
    let ordered = desk
        .order_disinfection(OrderDisinfectionRequest {
            incident_id: id.clone(),
            recorded_by: "general coordination group".into(),
        })
        .await
        .map_err(step(6))?
        .into_inner()
        .incident
        .unwrap_or_default();
    let zones = ordered_zones(&ordered);
    for (n, zone) in zones.iter().enumerate() {
        desk.complete_disinfection(CompleteDisinfectionRequest {
            incident_id: id.clone(),
            zone_id: zone.clone(),
            done_by: "disinfection post".into(),
            agent: "chlorine 500 mg/L".into(),
            done_at: at(70 + 10 * n as i64),
        })
        .await
        .map_err(step(6))?;
    }
    // 7. Aftermath, a statement the leadership approved, and the incident closed.
    desk.record_aftermath(RecordAftermathRequest {
        incident_id: id.clone(),
        notes: if staff_case {
            "canteen slots re-staggered; seating spacing re-checked"
        } else {
            "gate queue spacing re-marked; extra sanitiser at the entrance"
        }
        .into(),
        recorded_by: "general coordination group".into(),
    })
    .await
    .map_err(step(7))?;
    // The leader approves, signed in as themself: an approval is the caller's own.
    clients
        .leadership
        .clone()
        .approve_statement(ApproveStatementRequest {
            incident_id: id.clone(),
            statement: "A suspected case was handled under the emergency plan; only officially released information applies.".into(),
            approved_by: String::new(),
        })
        .await
        .map_err(step(7))?;
    let closed = desk
        .close_incident(CloseIncidentRequest {
            incident_id: id.clone(),
            closed_by: "leadership group".into(),
        })
        .await
        .map_err(step(7))?
        .into_inner()
        .incident
        .unwrap_or_default();
    Ok(Handled {
        incident: closed,
        upward_markdown: upward.report_markdown,
        upward_json: upward
            .report
            .as_ref()
            .map(|report| hallguard_platform::structured::to_json(report).to_string())
            .unwrap_or_default(),
        disinfected_zones: zones,
    })
}

/// The zones step 6 ordered disinfected, from the step's record.
fn ordered_zones(incident: &Incident) -> Vec<String> {
    let Some(record) = incident.steps.iter().rev().find(|s| s.step == 6) else {
        return Vec::new();
    };
    let detail = record
        .detail
        .as_ref()
        .map(hallguard_platform::structured::to_json)
        .unwrap_or_default();
    detail["ordered_zones"]
        .as_array()
        .map(|zones| {
            zones
                .iter()
                .filter_map(|z| z.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
