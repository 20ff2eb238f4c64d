//! The Incidents gRPC service: validate, run the step, answer with the incident as it
//! now stands; the duty desk hears of openings, steps, overdue tasks and alerts.

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::time::now_millis;
use hallguard_platform::access_log::{self, Reader};
use hallguard_platform::auth::{Role, current_caller};
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::feed::Feed;
use hallguard_platform::idempotency::{self, IdempotencyKey};
use hallguard_platform::jurisdiction::{self, Jurisdiction};
use hallguard_platform::people::person_ref;
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate;
use hallguard_proto::incident::v1 as pb;
use hallguard_proto::incident::v1::incidents_server::Incidents;
use sqlx::AnyPool;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use super::date;
use crate::duty_desk::{DutyDeskStream, event};
use crate::identities::Identities;
use crate::model::ADDED_BY_HAND;
use crate::model::Incident;
use crate::peers::{Directory, Tracing};
use crate::store::audit::Subject;
use crate::store::incidents::Opened;
use crate::store::{self, audit, incidents, tasks};
use crate::upward::{self, Language};
use crate::{chain, contacts, convert, legal_hold, merge, notices, organisation, steps, withdrawal};

/// The incident workflow state.
#[derive(Debug, Clone)]
pub struct IncidentService {
    pool: AnyPool,
    halls: Halls,
    sealer: Sealer,
    tracer: Tracing,
    directory: Directory,
    feed: Feed<pb::DutyDeskEvent>,
}

/// Why documents for any role but the duty desk's name nobody.
const IDENTIFY_ONLY_AT_THE_DESK: &str = "only the duty desk may identify people";

impl IncidentService {
    /// The service over its database, asking contact tracing through `tracer`, who
    /// people are through `directory`, and telling the duty desk through `feed`.
    pub fn new(
        pool: AnyPool,
        halls: Halls,
        sealer: Sealer,
        (tracer, directory): (Tracing, Directory),
        feed: Feed<pb::DutyDeskEvent>,
    ) -> Self {
        Self {
            pool,
            halls,
            sealer,
            tracer,
            directory,
            feed,
        }
    }

    /// The incident named by `incident_id`, if its hall is served here and within the
    /// caller's jurisdiction.
    async fn incident(&self, incident_id: &str) -> Result<Incident> {
        let incident = incidents::load(&self.pool, validate::required(incident_id, "incident_id")?).await?;
        self.hall_of(&incident)?;
        Ok(incident)
    }

    /// Refuses a name given "on behalf of" that is neither the caller's nor of the hall's
    /// organisation (a group, a duty post, a staff id of a group or roster).
    async fn on_behalf(&self, site_id: &str, by: &str, field: &str) -> Result<()> {
        let hall = validate::hall(&self.halls, site_id, field)?;
        organisation::acting_for(&self.pool, hall, current_caller().as_ref(), by, field).await?;
        Ok(())
    }

    fn hall_of(&self, incident: &Incident) -> Result<&Hall> {
        validate::hall(&self.halls, incident.site_id(), "incident_id")
    }

    /// The incident as the contracts show it, with its step records.
    async fn message(&self, incident: &Incident) -> Result<pb::Incident> {
        let steps = incidents::steps_of(&self.pool, &incident.incident_id).await?;
        Ok(convert::incident_message(incident, &steps))
    }

    async fn answer(
        &self,
        incident: &Incident,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        Ok(Response::new(pb::IncidentStepResponse {
            incident: Some(self.message(incident).await?),
        }))
    }
}

#[tonic::async_trait]
impl Incidents for IncidentService {
    async fn get_organisation(
        &self,
        request: Request<pb::GetOrganisationRequest>,
    ) -> std::result::Result<Response<pb::GetOrganisationResponse>, Status> {
        let hall = validate::hall(&self.halls, &request.get_ref().site_id, "site_id")?;
        Ok(Response::new(pb::GetOrganisationResponse {
            groups: organisation::groups(&self.pool, hall)
                .await?
                .into_iter()
                .map(convert::group_message)
                .collect(),
        }))
    }

    async fn update_group(
        &self,
        request: Request<pb::UpdateGroupRequest>,
    ) -> std::result::Result<Response<pb::UpdateGroupResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let group = request
            .group
            .ok_or_else(|| ServiceError::invalid("group", "is required"))?;
        let group = organisation::update(&self.pool, hall, &convert::group(&group), &by).await?;
        Ok(Response::new(pb::UpdateGroupResponse {
            group: Some(convert::group_message(group)),
        }))
    }

    async fn set_duty_roster(
        &self,
        request: Request<pb::SetDutyRosterRequest>,
    ) -> std::result::Result<Response<pb::SetDutyRosterResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let date = date(&request.date)?;
        let assignments = convert::assignments(&request.assignments)?;
        let assignments =
            organisation::set_roster(&self.pool, &hall.site_id, &date, &assignments, &by).await?;
        Ok(Response::new(pb::SetDutyRosterResponse {
            assignments: assignments.into_iter().map(convert::assignment_message).collect(),
        }))
    }

    async fn get_duty_roster(
        &self,
        request: Request<pb::GetDutyRosterRequest>,
    ) -> std::result::Result<Response<pb::GetDutyRosterResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let date = date(&request.date)?;
        Ok(Response::new(pb::GetDutyRosterResponse {
            assignments: store::organisation::roster(&self.pool, &hall.site_id, &date)
                .await?
                .into_iter()
                .map(convert::assignment_message)
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn open_incident(
        &self,
        request: Request<pb::OpenIncidentRequest>,
    ) -> std::result::Result<Response<pb::OpenIncidentResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let caller = idempotency::caller_name(&request);
        let open = request.into_inner();
        let person = validate::person(&self.halls, open.person.as_ref(), "person")?;
        if pb::IncidentSource::try_from(open.source).unwrap_or_default() == pb::IncidentSource::Unspecified {
            return Err(ServiceError::invalid("source", "is required").into());
        }
        validate::required(&open.source_event_id, "source_event_id")?;
        validate::optional_time(open.occurred_at.as_ref(), now_millis(), "occurred_at")?;
        for (index, reading) in open.readings.iter().enumerate() {
            validate::optional_time(
                reading.taken_at.as_ref(),
                now_millis(),
                &format!("readings[{index}].taken_at"),
            )?;
        }
        let new = convert::new_incident(&open)?;
        if !open.parent_incident_id.is_empty() {
            let parent = incidents::load(&self.pool, &open.parent_incident_id)
                .await
                .map_err(|_| ServiceError::not_found("parent_incident_id", "no such incident"))?;
            jurisdiction::check(parent.site_id(), "parent_incident_id").map_err(ServiceError::from)?;
        }
        // One source event opens one incident: a second request naming the same event
        // with other content is refused, not answered with the first incident.
        let binding = IdempotencyKey::new(
            &caller,
            &person.site_id,
            &person.site_id,
            &open.source_event_id,
            &open,
            "source_event_id",
        )?;
        let opened = binding
            .answer(&self.pool, incidents::open(&self.pool, &new, &by))
            .await?;
        let incident_id = opened.incident_id().to_string();
        match &opened {
            Opened::Created(_) => {
                tracing::info!(%incident_id, source = open.source, "incident opened");
                self.feed.publish(
                    &person.site_id,
                    event(
                        "incident_opened",
                        &incident_id,
                        format!("incident opened: {}", open.summary),
                    ),
                );
            }
            Opened::Attached(_) => {
                tracing::info!(%incident_id, source = open.source, "reading attached to the person's open incident");
                self.feed.publish(
                    &person.site_id,
                    event(
                        "reading_attached",
                        &incident_id,
                        format!("another reading of the person of this incident: {}", open.summary),
                    ),
                );
            }
            Opened::Repeated(_) => {}
        }
        let incident = incidents::load(&self.pool, &incident_id).await?;
        Ok(Response::new(pb::OpenIncidentResponse {
            incident: Some(self.message(&incident).await?),
            created: matches!(opened, Opened::Created(_)),
            attached: matches!(opened, Opened::Attached(_)),
        }))
    }

    async fn get_incident(
        &self,
        request: Request<pb::GetIncidentRequest>,
    ) -> std::result::Result<Response<pb::GetIncidentResponse>, Status> {
        let incident = self.incident(&request.get_ref().incident_id).await?;
        Ok(Response::new(pb::GetIncidentResponse {
            incident: Some(self.message(&incident).await?),
        }))
    }

    async fn get_incident_chain(
        &self,
        request: Request<pb::GetIncidentChainRequest>,
    ) -> std::result::Result<Response<pb::GetIncidentChainResponse>, Status> {
        let incident = self.incident(&request.get_ref().incident_id).await?;
        let jurisdiction = jurisdiction::Jurisdiction::current();
        let links = chain::of(&self.pool, incident)
            .await?
            .into_iter()
            .filter(|link| jurisdiction.sees(link.incident.site_id()))
            .map(|link| convert::chain_link(&link))
            .collect();
        Ok(Response::new(pb::GetIncidentChainResponse { links }))
    }

    async fn get_incident_documents(
        &self,
        request: Request<pb::GetIncidentDocumentsRequest>,
    ) -> std::result::Result<Response<pb::GetIncidentDocumentsResponse>, Status> {
        let reader = Reader::of(&request);
        let authorization = request.metadata().get("authorization").cloned();
        let request = request.into_inner();
        let language = match request.language.trim() {
            "" => Language::English,
            name => {
                Language::named(name).ok_or_else(|| ServiceError::invalid("language", "must be en or zh"))?
            }
        };
        let incident = self.incident(&request.incident_id).await?;
        let hall = self.hall_of(&incident)?;
        let message = self.message(&incident).await?;
        let contacts: Vec<pb::FollowUpContact> = store::contacts::list(&self.pool, &incident.incident_id)
            .await?
            .iter()
            .map(convert::contact_message)
            .collect();
        let people: Vec<_> = std::iter::once(person_ref(&incident.person))
            .chain(contacts.iter().filter_map(|contact| contact.person.clone()))
            .collect();
        access_log::record(
            &self.pool,
            &reader,
            incident.site_id(),
            people.iter().map(access_log::person_key).collect(),
        )
        .await
        .map_err(ServiceError::from)?;
        // Names for the duty desk, looked up with its own credentials (so screening and
        // staff health check its role and log the lookup); ids for everyone else.
        let identities = match authorization {
            Some(authorization) if current_caller().is_some_and(|c| c.role == Role::DutyOfficer) => {
                let purpose = format!("documents of incident {}", incident.incident_id);
                self.directory.identify(&authorization, &purpose, &people).await
            }
            _ => Identities::withheld(IDENTIFY_ONLY_AT_THE_DESK),
        };
        let confirmed = upward::confirmed(&message);
        let notices = contacts
            .iter()
            .map(|contact| pb::ContactNotice {
                contact_id: contact.contact_id.clone(),
                person: contact.person.clone(),
                quarantine_until: Some(millis_to_timestamp(notices::quarantine_until(
                    hall, &message, contact,
                ))),
                markdown: notices::notice_markdown(hall, &message, contact, &identities, language),
                html: notices::notice_html(hall, &message, contact, &identities, language),
            })
            .collect();
        let report = upward::Report {
            incident: &message,
            contacts: &contacts,
            confirmed,
            identities: &identities,
            language,
            utc_offset_minutes: hall.utc_offset_minutes,
        };
        Ok(Response::new(pb::GetIncidentDocumentsResponse {
            upward_report_markdown: report.markdown(),
            upward_report_html: report.html(),
            notices,
            line_list_csv: notices::line_list_csv(hall, &message, &contacts, &identities),
            people_named: identities.len() as u32,
        }))
    }

    async fn list_incidents(
        &self,
        request: Request<pb::ListIncidentsRequest>,
    ) -> std::result::Result<Response<pb::ListIncidentsResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let (offset, limit) = validate::page(request.page.as_ref())?;
        // Two queries for the page: the incidents, then their step records.
        let page = incidents::list(&self.pool, &hall.site_id, request.open_only, offset, limit).await?;
        let ids: Vec<&str> = page
            .iter()
            .map(|incident| incident.incident_id.as_str())
            .collect();
        let mut steps = incidents::step_records(&self.pool, &ids).await?;
        let incidents: Vec<pb::Incident> = page
            .iter()
            .map(|incident| {
                let steps = steps.remove(&incident.incident_id).unwrap_or_default();
                convert::incident_message(incident, &steps)
            })
            .collect();
        Ok(Response::new(pb::ListIncidentsResponse {
            page: Some(validate::next_page(offset, limit, incidents.len())),
            incidents,
        }))
    }

    async fn record_report(
        &self,
        request: Request<pb::RecordReportRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().reported_by, "reported_by")?;
        let request = request.into_inner();
        let incident = self.incident(&request.incident_id).await?;
        self.on_behalf(incident.site_id(), &by, "reported_by").await?;
        let hall = self.hall_of(&incident)?;
        if request.reported_to_groups.is_empty() {
            return Err(ServiceError::invalid("reported_to_groups", "is empty").into());
        }
        let at = validate::time(request.reported_at.as_ref(), now_millis(), "reported_at")?;
        let posts: Vec<(String, String)> = request
            .duty_posts
            .iter()
            .map(|p| {
                (
                    pb::DutyPost::try_from(p.post)
                        .unwrap_or_default()
                        .as_str_name()
                        .to_string(),
                    p.staff_id.clone(),
                )
            })
            .collect();
        let incident = steps::report(
            &self.pool,
            hall,
            &incident.incident_id,
            &by,
            &request.reported_to_groups,
            at,
            &posts,
        )
        .await?;
        self.answer(&incident).await
    }

    async fn record_isolation(
        &self,
        request: Request<pb::RecordIsolationRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let request = request.into_inner();
        let incident = self.incident(&request.incident_id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        let hall = self.hall_of(&incident)?;
        let room = validate::required(&request.isolation_room_id, "isolation_room_id")?;
        let isolated_at = validate::time(request.isolated_at.as_ref(), now_millis(), "isolated_at")?;
        let times = (
            isolated_at,
            validate::optional_time(
                request.community_notified_at.as_ref(),
                now_millis(),
                "community_notified_at",
            )?,
            validate::optional_time(
                request.prevention_center_notified_at.as_ref(),
                now_millis(),
                "prevention_center_notified_at",
            )?,
        );
        let incident = steps::isolation(&self.pool, hall, &incident.incident_id, room, times, &by).await?;
        self.answer(&incident).await
    }

    async fn record_transfer_attempt(
        &self,
        request: Request<pb::RecordTransferAttemptRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let request = request.into_inner();
        let id = validate::required(&request.incident_id, "incident_id")?;
        let incident = self.incident(id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        let requested_at = validate::time(request.requested_at.as_ref(), now_millis(), "requested_at")?;
        let departed_at = if request.succeeded {
            Some(validate::time(
                request.departed_at.as_ref(),
                now_millis(),
                "departed_at",
            )?)
        } else {
            None
        };
        let channel = pb::TransferChannel::try_from(request.channel).unwrap_or_default();
        let incident = steps::transfer_attempt(
            &self.pool,
            id,
            channel,
            requested_at,
            departed_at,
            &request.note,
            &by,
        )
        .await?;
        self.answer(&incident).await
    }

    async fn record_tracing(
        &self,
        request: Request<pb::RecordTracingRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let request = request.into_inner();
        let id = validate::required(&request.incident_id, "incident_id")?;
        let incident = self.incident(id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        for (index, contact) in request.manual_contacts.iter().enumerate() {
            if contact.person.is_none() && contact.name.trim().is_empty() {
                return Err(
                    ServiceError::invalid(format!("manual_contacts[{index}].name"), "is empty").into(),
                );
            }
        }
        let (incident, _) = steps::tracing(
            &self.pool,
            &self.sealer,
            &self.tracer,
            id,
            request.rings,
            &request.manual_contacts,
            request.order_tests,
            &request.transport,
            &by,
        )
        .await?;
        self.answer(&incident).await
    }

    async fn submit_upward_report(
        &self,
        request: Request<pb::SubmitUpwardReportRequest>,
    ) -> std::result::Result<Response<pb::SubmitUpwardReportResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let id = validate::required(&request.incident_id, "incident_id")?;
        let incident = self.incident(id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        let offset = self.hall_of(&incident)?.utc_offset_minutes;
        let now = now_millis();
        let sent = (
            validate::time(
                request.sent_to_leadership_at.as_ref(),
                now,
                "sent_to_leadership_at",
            )?,
            validate::time(
                request.sent_to_epidemic_command_at.as_ref(),
                now,
                "sent_to_epidemic_command_at",
            )?,
            validate::time(request.sent_to_cdc_at.as_ref(), now, "sent_to_cdc_at")?,
        );
        let (incident, report, report_markdown) =
            steps::upward_report(&self.pool, id, request.confirmed, sent, &by, offset).await?;
        // The report names the case and every contact.
        let mut people = vec![access_log::person_key(&person_ref(&incident.person))];
        for contact in store::contacts::list(&self.pool, id).await? {
            if let Some(person) = convert::contact_message(&contact).person {
                people.push(access_log::person_key(&person));
            }
        }
        access_log::record(&self.pool, &reader, incident.site_id(), people)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(pb::SubmitUpwardReportResponse {
            incident: Some(self.message(&incident).await?),
            report: Some(hallguard_platform::structured::to_struct(&report)),
            report_markdown,
        }))
    }

    async fn order_disinfection(
        &self,
        request: Request<pb::OrderDisinfectionRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let id = validate::required(&request.get_ref().incident_id, "incident_id")?.to_string();
        let incident = self.incident(&id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        let hall = self.hall_of(&incident)?;
        let (incident, _) = steps::order_disinfection(&self.pool, hall, &self.tracer, &id, &by).await?;
        self.answer(&incident).await
    }

    async fn complete_disinfection(
        &self,
        request: Request<pb::CompleteDisinfectionRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().done_by, "done_by")?;
        let request = request.into_inner();
        let id = validate::required(&request.incident_id, "incident_id")?;
        let incident = self.incident(id).await?;
        self.on_behalf(incident.site_id(), &by, "done_by").await?;
        let zone = validate::required(&request.zone_id, "zone_id")?;
        let agent = validate::required(&request.agent, "agent")?;
        let done_at = validate::time(request.done_at.as_ref(), now_millis(), "done_at")?;
        let incident = steps::complete_disinfection(&self.pool, id, zone, &by, agent, done_at).await?;
        self.answer(&incident).await
    }

    async fn record_aftermath(
        &self,
        request: Request<pb::RecordAftermathRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let request = request.into_inner();
        let id = validate::required(&request.incident_id, "incident_id")?;
        let incident = self.incident(id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        let notes = validate::required(&request.notes, "notes")?;
        let incident = steps::aftermath(&self.pool, id, notes, &by).await?;
        self.answer(&incident).await
    }

    async fn approve_statement(
        &self,
        request: Request<pb::ApproveStatementRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let request = request.into_inner();
        let id = validate::required(&request.incident_id, "incident_id")?;
        let statement = validate::required(&request.statement, "statement")?;
        let incident = self.incident(id).await?;
        let hall = self.hall_of(&incident)?;
        // The approver is the caller, never a typed name.
        let approved_by = organisation::leadership_approver(
            &self.pool,
            hall,
            current_caller().as_ref(),
            &request.approved_by,
        )
        .await?;
        let incident = steps::approve_statement(&self.pool, id, statement, &approved_by).await?;
        self.answer(&incident).await
    }

    async fn close_incident(
        &self,
        request: Request<pb::CloseIncidentRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().closed_by, "closed_by")?;
        let id = validate::required(&request.get_ref().incident_id, "incident_id")?.to_string();
        let incident = self.incident(&id).await?;
        self.on_behalf(incident.site_id(), &by, "closed_by").await?;
        let incident = steps::close(&self.pool, &id, &by).await?;
        self.answer(&incident).await
    }

    async fn withdraw_incident(
        &self,
        request: Request<pb::WithdrawIncidentRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().withdrawn_by, "withdrawn_by")?;
        let request = request.into_inner();
        let reason = validate::required(&request.reason, "reason")?;
        let id = match (request.incident_id.trim(), request.source_event_id.trim()) {
            ("", "") => {
                return Err(
                    ServiceError::invalid("incident_id", "give incident_id or source_event_id").into(),
                );
            }
            ("", source_event_id) => incidents::of_source_event(&self.pool, source_event_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("source_event_id", "opened no incident"))?,
            (incident_id, _) => incident_id.to_string(),
        };
        let incident = self.incident(&id).await?;
        self.on_behalf(incident.site_id(), &by, "withdrawn_by").await?;
        let incident = withdrawal::withdraw(&self.pool, &id, reason, &by).await?;
        self.feed.publish(
            incident.site_id(),
            event("incident_withdrawn", &id, format!("incident withdrawn: {reason}")),
        );
        self.answer(&incident).await
    }

    async fn merge_incidents(
        &self,
        request: Request<pb::MergeIncidentsRequest>,
    ) -> std::result::Result<Response<pb::IncidentStepResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().merged_by, "merged_by")?;
        let request = request.into_inner();
        let reason = validate::required(&request.reason, "reason")?;
        let kept = self.incident(&request.incident_id).await?;
        let merged_id = validate::required(&request.merged_incident_id, "merged_incident_id")?;
        // The merged incident must be in the caller's halls too (and is checked for the
        // same person inside the merge).
        if let Ok(merged) = incidents::load(&self.pool, merged_id).await {
            validate::hall(&self.halls, merged.site_id(), "merged_incident_id")?;
        }
        self.on_behalf(kept.site_id(), &by, "merged_by").await?;
        let incident = merge::merge(
            &self.pool,
            merge::MergeRequest {
                kept_id: &kept.incident_id,
                merged_id,
                same_person: request.same_person,
                reason,
                by: &by,
            },
        )
        .await?;
        self.feed.publish(
            incident.site_id(),
            event(
                "incidents_merged",
                &incident.incident_id,
                format!("incident {merged_id} merged into this one: {reason}"),
            ),
        );
        self.answer(&incident).await
    }

    async fn place_legal_hold(
        &self,
        request: Request<pb::PlaceLegalHoldRequest>,
    ) -> std::result::Result<Response<pb::GetIncidentResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let id = validate::required(&request.get_ref().incident_id, "incident_id")?;
        let reason = validate::required(&request.get_ref().reason, "reason")?;
        self.incident(id).await?;
        let incident = legal_hold::place(&self.pool, id, reason, &by).await?;
        Ok(Response::new(pb::GetIncidentResponse {
            incident: Some(self.message(&incident).await?),
        }))
    }

    async fn release_legal_hold(
        &self,
        request: Request<pb::ReleaseLegalHoldRequest>,
    ) -> std::result::Result<Response<pb::GetIncidentResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let id = validate::required(&request.get_ref().incident_id, "incident_id")?;
        let reason = validate::required(&request.get_ref().reason, "reason")?;
        self.incident(id).await?;
        let incident = legal_hold::release(&self.pool, id, reason, &by).await?;
        Ok(Response::new(pb::GetIncidentResponse {
            incident: Some(self.message(&incident).await?),
        }))
    }

    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> std::result::Result<Response<pb::ListTasksResponse>, Status> {
        let request = request.into_inner();
        let incident_id = request.incident_id.trim();
        if !incident_id.is_empty() {
            self.incident(incident_id).await?;
        }
        let now = now_millis();
        let jurisdiction = Jurisdiction::current();
        let tasks = tasks::list(&self.pool, incident_id, request.open_only)
            .await?
            .iter()
            .filter(|(_, site_id)| jurisdiction.sees(site_id))
            .map(|(task, _)| convert::task_message(task, now))
            .collect();
        Ok(Response::new(pb::ListTasksResponse { tasks }))
    }

    async fn complete_task(
        &self,
        request: Request<pb::CompleteTaskRequest>,
    ) -> std::result::Result<Response<pb::CompleteTaskResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().done_by, "done_by")?;
        let id = validate::required(&request.get_ref().task_id, "task_id")?.to_string();
        let (_, site_id) = tasks::get(&self.pool, &id).await?;
        jurisdiction::check(&site_id, "task_id").map_err(ServiceError::from)?;
        self.on_behalf(&site_id, &by, "done_by").await?;
        let task = tasks::complete(&self.pool, &id, &by).await?;
        Ok(Response::new(pb::CompleteTaskResponse {
            task: Some(convert::task_message(&task, now_millis())),
        }))
    }

    async fn list_audit_log(
        &self,
        request: Request<pb::ListAuditLogRequest>,
    ) -> std::result::Result<Response<pb::ListAuditLogResponse>, Status> {
        let request = request.into_inner();
        let incident_id = request.incident_id.trim();
        if !incident_id.is_empty() {
            self.incident(incident_id).await?;
        }
        let (offset, limit) = validate::page(request.page.as_ref())?;
        let jurisdiction = Jurisdiction::current();
        let entries: Vec<pb::AuditEntry> =
            audit::page(&self.pool, incident_id, jurisdiction.halls(), offset, limit)
                .await?
                .into_iter()
                .map(convert::audit_message)
                .collect();
        Ok(Response::new(pb::ListAuditLogResponse {
            page: Some(validate::next_page(offset, limit, entries.len())),
            entries,
        }))
    }

    async fn add_contact(
        &self,
        request: Request<pb::AddContactRequest>,
    ) -> std::result::Result<Response<pb::ContactResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let request = request.into_inner();
        let incident = self.incident(&request.incident_id).await?;
        self.on_behalf(incident.site_id(), &by, "recorded_by").await?;
        let manual = request
            .contact
            .ok_or_else(|| ServiceError::invalid("contact", "is required"))?;
        let person = convert::optional_person(manual.person.as_ref(), "contact.person")?;
        if person.is_none() && manual.name.trim().is_empty() {
            return Err(ServiceError::invalid("contact.name", "is empty").into());
        }
        if incident.progress.state() == 7 {
            return Err(ServiceError::precondition("the incident is closed").into());
        }
        let mut transaction = hallguard_platform::db::begin_write(&self.pool)
            .await
            .map_err(ServiceError::from)?;
        let contact_id = contacts::add(
            &mut transaction,
            &self.sealer,
            &incident,
            &contacts::NewContact {
                person,
                name: manual.name.clone(),
                phone: manual.phone.clone(),
                ring: 1,
                evidence: Vec::new(),
                category: ADDED_BY_HAND.into(),
                note: manual.note.clone(),
            },
        )
        .await?;
        audit::append(
            &mut transaction,
            Subject::Incident(&incident.incident_id),
            &by,
            "contact added",
            &serde_json::json!({ "contact_id": contact_id, "note": manual.note }),
        )
        .await?;
        transaction.commit().await.map_err(ServiceError::from)?;
        let contact = store::contacts::load(&self.pool, &contact_id).await?;
        Ok(Response::new(pb::ContactResponse {
            contact: Some(convert::contact_message(&contact)),
        }))
    }

    async fn list_contacts(
        &self,
        request: Request<pb::ListContactsRequest>,
    ) -> std::result::Result<Response<pb::ListContactsResponse>, Status> {
        let reader = Reader::of(&request);
        let incident = self.incident(&request.get_ref().incident_id).await?;
        let contacts: Vec<pb::FollowUpContact> = store::contacts::list(&self.pool, &incident.incident_id)
            .await?
            .iter()
            .map(convert::contact_message)
            .collect();
        let people = contacts
            .iter()
            .filter_map(|contact| contact.person.as_ref())
            .map(access_log::person_key)
            .collect();
        access_log::record(&self.pool, &reader, incident.site_id(), people)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(pb::ListContactsResponse { contacts }))
    }

    async fn update_contact_status(
        &self,
        request: Request<pb::UpdateContactStatusRequest>,
    ) -> std::result::Result<Response<pb::ContactResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().recorded_by, "recorded_by")?;
        let request = request.into_inner();
        let id = validate::required(&request.contact_id, "contact_id")?;
        let incident_id = store::contacts::load(&self.pool, id).await?.incident_id;
        let site_id = incidents::load(&self.pool, &incident_id)
            .await?
            .site_id()
            .to_string();
        jurisdiction::check(&site_id, "contact_id").map_err(ServiceError::from)?;
        self.on_behalf(&site_id, &by, "recorded_by").await?;
        let status = convert::contact_status(request.status)?;
        let changed_at = validate::optional_time(request.changed_at.as_ref(), now_millis(), "changed_at")?;
        let contact = contacts::update(&self.pool, id, status, request.note.trim(), &by, changed_at).await?;
        Ok(Response::new(pb::ContactResponse {
            contact: Some(convert::contact_message(&contact)),
        }))
    }

    async fn watch_duty_desk(
        &self,
        request: Request<pb::WatchDutyDeskRequest>,
    ) -> std::result::Result<Response<DutyDeskStream>, Status> {
        let site_id = validate::hall(&self.halls, &request.get_ref().site_id, "site_id")?
            .site_id
            .clone();
        Ok(Response::new(Box::pin(self.feed.watch(site_id).map(Ok))))
    }
}
