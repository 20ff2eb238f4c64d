//! The screening gRPC handlers: validate, call the module that owns the change, publish
//! to the duty desk, wake the outbox. Errors map to `Status` in one place (`error.rs`).

use std::sync::Arc;

use hallguard_domain::hall::Halls;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::idempotency::{self, IdempotencyKey};
use hallguard_platform::jurisdiction;
use hallguard_platform::pseudonym::Pseudonymizer;
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{HealthCodeColour, PersonKind};
use hallguard_proto::screening::v1 as pb;
use hallguard_proto::screening::v1::screening_server::Screening;
use sqlx::AnyPool;
use tokio::sync::Notify;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use crate::decision::Outcome;
use crate::gate::{self, CheckIn, CheckOut};
use crate::model::{NewArea, Registration};
use crate::{convert, registrations, store};
use crate::{risk, statistics, thermometers, validate, zones};
use hallguard_platform::access_log::{self, Reader};
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::feed::Feed;

type DutyDeskStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = std::result::Result<pb::DutyDeskEvent, Status>> + Send + 'static>,
>;

/// The screening service state.
#[derive(Debug, Clone)]
pub struct ScreeningService {
    pool: AnyPool,
    halls: Halls,
    pseudonyms: Pseudonymizer,
    sealer: Sealer,
    feed: Feed<pb::DutyDeskEvent>,
    outbox: Arc<Notify>,
}

/// Who is at the gate, resolved.
struct Identity {
    person_id: String,
    display_name: String,
    registration_id: Option<String>,
}

impl ScreeningService {
    /// The service over its database; `outbox` wakes the outbox worker after a commit.
    pub fn new(
        pool: AnyPool,
        halls: Halls,
        pseudonyms: Pseudonymizer,
        sealer: Sealer,
        outbox: Arc<Notify>,
    ) -> Self {
        Self {
            pool,
            halls,
            pseudonyms,
            sealer,
            feed: Feed::default(),
            outbox,
        }
    }

    /// The duty-desk feed, to close at shutdown.
    pub fn feed(&self) -> Feed<pb::DutyDeskEvent> {
        self.feed.clone()
    }

    /// The person id every record uses: a keyed hash of the ID number (never the number
    /// itself), or the registration id of a person without a code.
    fn identity(&self, visitor: Option<&pb::VisitorIdentity>, need_name: bool) -> Result<Identity> {
        match visitor.and_then(|v| v.identity.as_ref()) {
            Some(pb::visitor_identity::Identity::HealthCode(code)) => {
                let id_number = validate::id_number(&code.id_number, "visitor.health_code.id_number")?;
                let display_name = if need_name {
                    validate::required(&code.display_name, "visitor.health_code.display_name")?.to_string()
                } else {
                    code.display_name.trim().to_string()
                };
                Ok(Identity {
                    person_id: format!("hc-{}", self.pseudonyms.pseudonym(&id_number)),
                    display_name,
                    registration_id: None,
                })
            }
            Some(pb::visitor_identity::Identity::RegistrationId(id)) => {
                let id = validate::required(id, "visitor.registration_id")?;
                Ok(Identity {
                    person_id: id.to_string(),
                    display_name: String::new(),
                    registration_id: Some(id.to_string()),
                })
            }
            None => Err(ServiceError::invalid("visitor", "is required")),
        }
    }

    fn publish(&self, site_id: &str, gate_id: &str, at: i64, event: pb::duty_desk_event::Event) {
        self.feed.publish(
            site_id,
            pb::DutyDeskEvent {
                occurred_at: Some(millis_to_timestamp(at)),
                event: Some(event),
                gate_id: gate_id.to_string(),
            },
        );
    }
}

#[tonic::async_trait]
impl Screening for ScreeningService {
    #[tracing::instrument(skip_all)]
    async fn check_in(
        &self,
        request: Request<pb::CheckInRequest>,
    ) -> std::result::Result<Response<pb::CheckInResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let now = now_millis();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            &request.gate_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let identity = self.identity(request.visitor.as_ref(), true)?;
        let itinerary = request.itinerary.clone().unwrap_or_default();
        let check = CheckIn {
            site_id: hall.site_id.clone(),
            gate_id: request.gate_id.clone(),
            temperature_celsius: validate::temperature(request.temperature_celsius, "temperature_celsius")?,
            colour: validate::colour(
                request.health_code_colour,
                identity.registration_id.is_some(),
                "health_code_colour",
            )?,
            colour_value: HealthCodeColour::try_from(request.health_code_colour).unwrap_or_default(),
            itinerary: validate::visits(&itinerary.places, now, "itinerary.places")?,
            itinerary_risk_flag: itinerary.risk_flag,
            mask_worn: request.mask_worn,
            symptoms: validate::symptoms(&request.symptoms, "symptoms")?,
            at: validate::time(request.checked_at.as_ref(), now, "checked_at")?,
            idempotency_key: key.scoped.clone(),
            person_id: identity.person_id,
            display_name: identity.display_name,
            registration_id: identity.registration_id,
        };
        if let Some(thermometer_id) = thermometers::of_reading(hall, &check.gate_id, &request.thermometer_id)?
            && let Some(untrusted) = thermometers::untrusted(
                &self.pool,
                hall,
                thermometers::Reading {
                    idempotency_key: &check.idempotency_key,
                    gate_id: &check.gate_id,
                    thermometer_id: &thermometer_id,
                    temperature_celsius: check.temperature_celsius,
                    read_at: check.at,
                },
            )
            .await?
        {
            let refusal = thermometers::refusal(&untrusted);
            self.publish(
                &hall.site_id,
                &check.gate_id,
                check.at,
                pb::duty_desk_event::Event::UntrustedReading(untrusted),
            );
            return Err(refusal.into());
        }
        let (record, new) = key
            .answer(&self.pool, gate::check_in(&self.pool, &self.sealer, hall, &check))
            .await?;
        let response = convert::check_in_response(&record);
        if new {
            self.outbox.notify_one();
            tracing::info!(gate = %record.gate_id, decision = record.outcome.name(), "check-in");
            match record.outcome {
                Outcome::Admitted => {}
                Outcome::Refused => self.publish(
                    &hall.site_id,
                    &record.gate_id,
                    record.at,
                    pb::duty_desk_event::Event::Refusal(response.clone()),
                ),
                Outcome::SuspectedCase => self.publish(
                    &hall.site_id,
                    &record.gate_id,
                    record.at,
                    pb::duty_desk_event::Event::SuspectedCase(response.clone()),
                ),
            }
        }
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn record_thermometer_status(
        &self,
        request: Request<pb::RecordThermometerStatusRequest>,
    ) -> std::result::Result<Response<pb::RecordThermometerStatusResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let thermometer_id = validate::required(&request.thermometer_id, "thermometer_id")?;
        let reported_at = validate::time_or_now(request.reported_at.as_ref(), now_millis(), "reported_at")?;
        store::thermometers::record(
            &self.pool,
            &hall.site_id,
            thermometer_id,
            request.working,
            request.note.trim(),
            reported_at,
        )
        .await?;
        Ok(Response::new(pb::RecordThermometerStatusResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn check_out(
        &self,
        request: Request<pb::CheckOutRequest>,
    ) -> std::result::Result<Response<pb::CheckOutResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            &request.gate_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let identity = self.identity(request.visitor.as_ref(), false)?;
        let check = CheckOut {
            gate_id: request.gate_id.clone(),
            person_id: identity.person_id,
            at: validate::time(request.checked_out_at.as_ref(), now_millis(), "checked_out_at")?,
            idempotency_key: key.scoped.clone(),
        };
        let closed = key
            .answer(&self.pool, gate::check_out(&self.pool, hall, &check))
            .await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::CheckOutResponse {
            visit_id: closed.visit_id,
            checked_in_at: Some(millis_to_timestamp(closed.checked_in_at)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn enter_zone(
        &self,
        request: Request<pb::EnterZoneRequest>,
    ) -> std::result::Result<Response<pb::EnterZoneResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let (hall, zone_id) = validate::zone_ref(&self.halls, request.zone.as_ref(), "zone")?;
        let person_id = validate::required(&request.person_id, "person_id")?;
        let at = validate::time(request.entered_at.as_ref(), now_millis(), "entered_at")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            zone_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let stay_id = key
            .answer(
                &self.pool,
                zones::enter(&self.pool, &hall.site_id, zone_id, person_id, at, &key.scoped),
            )
            .await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::EnterZoneResponse { stay_id }))
    }

    #[tracing::instrument(skip_all)]
    async fn leave_zone(
        &self,
        request: Request<pb::LeaveZoneRequest>,
    ) -> std::result::Result<Response<pb::LeaveZoneResponse>, Status> {
        let request = request.into_inner();
        let (hall, zone_id) = validate::zone_ref(&self.halls, request.zone.as_ref(), "zone")?;
        let person_id = validate::required(&request.person_id, "person_id")?;
        let at = validate::time(request.left_at.as_ref(), now_millis(), "left_at")?;
        let stay_id = zones::leave(&self.pool, &hall.site_id, zone_id, person_id, at).await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::LeaveZoneResponse { stay_id }))
    }

    #[tracing::instrument(skip_all)]
    async fn register_without_code(
        &self,
        request: Request<pb::RegisterWithoutCodeRequest>,
    ) -> std::result::Result<Response<pb::RegisterWithoutCodeResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let now = now_millis();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            &hall.site_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let registration = Registration {
            name: validate::required(&request.name, "name")?.to_string(),
            phone: validate::phone(&request.phone, "phone")?,
            residence: validate::required(&request.residence, "residence")?.to_string(),
            residence_region_code: validate::region_code(
                &request.residence_region_code,
                "residence_region_code",
            )?,
            travel: validate::visits(&request.travel_history, now, "travel_history")?,
            at: validate::time(request.registered_at.as_ref(), now, "registered_at")?,
            idempotency_key: key.scoped.clone(),
        };
        let registered = key
            .answer(
                &self.pool,
                registrations::register(&self.pool, &self.sealer, hall, &registration),
            )
            .await?;
        if let Some(report) = &registered.community_report {
            self.publish(
                &hall.site_id,
                "",
                registration.at,
                pb::duty_desk_event::Event::CommunityReport(convert::report_message(report.clone())),
            );
        }
        Ok(Response::new(pb::RegisterWithoutCodeResponse {
            registration_id: registered.registration_id,
            entry_paused: registered.entry_paused,
            community_report_id: registered
                .community_report
                .map(|report| report.report_id)
                .unwrap_or_default(),
        }))
    }

    async fn list_community_reports(
        &self,
        request: Request<pb::ListCommunityReportsRequest>,
    ) -> std::result::Result<Response<pb::ListCommunityReportsResponse>, Status> {
        let reader = Reader::of(&request);
        // The community acts on who and where: shown to duty officers and admins only.
        let sees_identity = hallguard_platform::auth::caller(&request)
            .is_none_or(|caller| matches!(caller.role, Role::DutyOfficer | Role::Admin));
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let (offset, limit) = validate::page(request.page.as_ref())?;
        let mut reports: Vec<pb::CommunityReport> =
            store::registrations::reports(&self.pool, &hall.site_id, request.open_only, offset, limit)
                .await?
                .into_iter()
                .map(convert::report_message)
                .collect();
        if sees_identity {
            for report in &mut reports {
                registrations::fill_identity(&self.pool, &self.sealer, &hall.site_id, report).await?;
            }
        }
        let people = reports
            .iter()
            .map(|report| access_log::registrant_key(&hall.site_id, &report.registration_id))
            .collect();
        access_log::record(&self.pool, &reader, &hall.site_id, people)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(pb::ListCommunityReportsResponse {
            page: Some(validate::next_page(offset, limit, reports.len())),
            reports,
        }))
    }

    async fn acknowledge_community_report(
        &self,
        request: Request<pb::AcknowledgeCommunityReportRequest>,
    ) -> std::result::Result<Response<pb::AcknowledgeCommunityReportResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().acknowledged_by, "acknowledged_by")?;
        let request = request.into_inner();
        let report_id = validate::required(&request.report_id, "report_id")?;
        let site_id = store::registrations::report(&self.pool, report_id).await?.site_id;
        jurisdiction::check(&site_id, "report_id").map_err(ServiceError::from)?;
        store::registrations::acknowledge(&self.pool, report_id, &by, now_millis()).await?;
        let report = store::registrations::report(&self.pool, report_id).await?;
        Ok(Response::new(pb::AcknowledgeCommunityReportResponse {
            report: Some(convert::report_message(report)),
        }))
    }

    async fn add_risk_area(
        &self,
        request: Request<pb::AddRiskAreaRequest>,
    ) -> std::result::Result<Response<pb::AddRiskAreaResponse>, Status> {
        let area = request
            .into_inner()
            .area
            .ok_or_else(|| ServiceError::invalid("area", "is required"))?;
        if !risk::is_region_prefix(area.region_code_prefix.trim()) {
            return Err(ServiceError::invalid("area.region_code_prefix", "must be 2, 4 or 6 digits").into());
        }
        let level = convert::risk_level(area.level, "area.level")?;
        let from = validate::instant(area.effective_from.as_ref(), "area.effective_from")?;
        let until = validate::optional_instant(area.effective_until.as_ref(), "area.effective_until")?;
        if until.is_some_and(|until| until < from) {
            return Err(ServiceError::invalid("area.effective_until", "is before effective_from").into());
        }
        let stored = store::risk_areas::add(
            &self.pool,
            &NewArea {
                prefix: area.region_code_prefix.trim().to_string(),
                name: validate::required(&area.name, "area.name")?.to_string(),
                level,
                from,
                until,
            },
        )
        .await?;
        Ok(Response::new(pb::AddRiskAreaResponse {
            area: Some(convert::risk_area_message(stored)),
        }))
    }

    async fn expire_risk_area(
        &self,
        request: Request<pb::ExpireRiskAreaRequest>,
    ) -> std::result::Result<Response<pb::ExpireRiskAreaResponse>, Status> {
        let request = request.into_inner();
        let id = validate::required(&request.risk_area_id, "risk_area_id")?;
        let until = match request.effective_until.as_ref() {
            Some(until) => validate::instant(Some(until), "effective_until")?,
            None => now_millis(),
        };
        let area = store::risk_areas::get(&self.pool, id).await?;
        if until < area.area.from {
            return Err(
                ServiceError::invalid("effective_until", "is before the listing's effective_from").into(),
            );
        }
        store::risk_areas::set_until(&self.pool, id, until).await?;
        let area = store::risk_areas::get(&self.pool, id).await?;
        Ok(Response::new(pb::ExpireRiskAreaResponse {
            area: Some(convert::risk_area_message(area)),
        }))
    }

    async fn list_risk_areas(
        &self,
        request: Request<pb::ListRiskAreasRequest>,
    ) -> std::result::Result<Response<pb::ListRiskAreasResponse>, Status> {
        let request = request.into_inner();
        let as_of = match request.as_of.as_ref() {
            Some(as_of) => validate::instant(Some(as_of), "as_of")?,
            None => now_millis(),
        };
        let areas = store::risk_areas::list(&self.pool, as_of, request.include_all)
            .await?
            .into_iter()
            .map(convert::risk_area_message)
            .collect();
        Ok(Response::new(pb::ListRiskAreasResponse { areas }))
    }

    #[tracing::instrument(skip_all)]
    async fn place_quarantine_hold(
        &self,
        request: Request<pb::PlaceQuarantineHoldRequest>,
    ) -> std::result::Result<Response<pb::PlaceQuarantineHoldResponse>, Status> {
        let request = request.into_inner();
        let person = validate::person(&self.halls, request.person.as_ref(), "person")?;
        let incident_id = validate::required(&request.incident_id, "incident_id")?;
        let reason = validate::required(&request.reason, "reason")?;
        let key = validate::idempotency_key(&request.idempotency_key, "idempotency_key")?;
        let hall = validate::hall(&self.halls, &person.site_id, "person.site_id")?;
        let now = now_millis();
        let last_exposure_at =
            validate::optional_time(request.last_exposure_at.as_ref(), now, "last_exposure_at")?;
        let person = convert::person(person, "person")?;
        let ends_at = hall.quarantine_ends(now, last_exposure_at);
        let hold = store::holds::place(&self.pool, &person, incident_id, reason, key, now, ends_at).await?;
        Ok(Response::new(pb::PlaceQuarantineHoldResponse {
            hold: Some(convert::hold_message(hold)),
        }))
    }

    async fn lift_quarantine_hold(
        &self,
        request: Request<pb::LiftQuarantineHoldRequest>,
    ) -> std::result::Result<Response<pb::LiftQuarantineHoldResponse>, Status> {
        let request = request.into_inner();
        let hold_id = validate::required(&request.hold_id, "hold_id")?;
        let reason = validate::required(&request.reason, "reason")?;
        // Named by its id, or by the key it was placed with (a peer that placed it
        // through its outbox never saw the id); lifting twice keeps the first.
        let hold = store::holds::get(&self.pool, hold_id).await?;
        jurisdiction::check(&hold.person.site_id, "hold_id").map_err(ServiceError::from)?;
        store::holds::lift(&self.pool, &hold.hold_id, reason, now_millis()).await?;
        let hold = store::holds::get(&self.pool, &hold.hold_id).await?;
        Ok(Response::new(pb::LiftQuarantineHoldResponse {
            hold: Some(convert::hold_message(hold)),
        }))
    }

    async fn extend_quarantine_hold(
        &self,
        request: Request<pb::ExtendQuarantineHoldRequest>,
    ) -> std::result::Result<Response<pb::ExtendQuarantineHoldResponse>, Status> {
        let request = request.into_inner();
        let hold_id = validate::required(&request.hold_id, "hold_id")?;
        let reason = validate::required(&request.reason, "reason")?;
        let ends_at = validate::instant(request.ends_at.as_ref(), "ends_at")?;
        let hold = store::holds::get(&self.pool, hold_id).await?;
        jurisdiction::check(&hold.person.site_id, "hold_id").map_err(ServiceError::from)?;
        if hold.lifted_at.is_some() {
            return Err(ServiceError::precondition("the hold was lifted; place a new one").into());
        }
        if hold.ends_at.is_some_and(|current| ends_at <= current) {
            return Err(ServiceError::invalid("ends_at", "is not after the hold's current end").into());
        }
        store::holds::extend(&self.pool, &hold.hold_id, ends_at, reason).await?;
        let hold = store::holds::get(&self.pool, &hold.hold_id).await?;
        Ok(Response::new(pb::ExtendQuarantineHoldResponse {
            hold: Some(convert::hold_message(hold)),
        }))
    }

    async fn list_quarantine_holds(
        &self,
        request: Request<pb::ListQuarantineHoldsRequest>,
    ) -> std::result::Result<Response<pb::ListQuarantineHoldsResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let (offset, limit) = validate::page(request.page.as_ref())?;
        let holds: Vec<pb::QuarantineHold> = store::holds::list(
            &self.pool,
            &hall.site_id,
            request.active_only,
            now_millis(),
            offset,
            limit,
        )
        .await?
        .into_iter()
        .map(convert::hold_message)
        .collect();
        Ok(Response::new(pb::ListQuarantineHoldsResponse {
            page: Some(validate::next_page(offset, limit, holds.len())),
            holds,
        }))
    }

    async fn watch_duty_desk(
        &self,
        request: Request<pb::WatchDutyDeskRequest>,
    ) -> std::result::Result<Response<DutyDeskStream>, Status> {
        let site_id = validate::hall(&self.halls, &request.get_ref().site_id, "site_id")?
            .site_id
            .clone();
        let events = self.feed.watch(site_id).map(Ok);
        Ok(Response::new(Box::pin(events)))
    }

    async fn get_gate_statistics(
        &self,
        request: Request<pb::GetGateStatisticsRequest>,
    ) -> std::result::Result<Response<pb::GetGateStatisticsResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let window = request
            .window
            .as_ref()
            .ok_or_else(|| ServiceError::invalid("window", "is required"))?;
        let (from, to) = validate::window_bounds(
            validate::instant(window.start.as_ref(), "window.start")?,
            validate::instant(window.end.as_ref(), "window.end")?,
            "window",
        )?;
        let rows = statistics::gate_hours(
            &self.pool,
            &hall.site_id,
            from,
            to,
            hall.screening.fever_threshold_celsius,
        )
        .await?;
        Ok(Response::new(pb::GetGateStatisticsResponse { rows }))
    }

    #[tracing::instrument(skip_all)]
    async fn close_open_visits(
        &self,
        request: Request<pb::CloseOpenVisitsRequest>,
    ) -> std::result::Result<Response<pb::CloseOpenVisitsResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let closed_at = validate::time(request.closed_at.as_ref(), now_millis(), "closed_at")?;
        let (visits_closed, zone_stays_closed) = gate::close_open_visits(&self.pool, hall, closed_at).await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::CloseOpenVisitsResponse {
            visits_closed,
            zone_stays_closed,
        }))
    }

    async fn list_visitors_inside(
        &self,
        request: Request<pb::ListVisitorsInsideRequest>,
    ) -> std::result::Result<Response<pb::ListVisitorsInsideResponse>, Status> {
        let reader = Reader::of(&request);
        let hall = validate::hall(&self.halls, &request.get_ref().site_id, "site_id")?;
        let inside = store::visits::inside(&self.pool, &hall.site_id).await?;
        let people = inside
            .iter()
            .map(|visitor| access_log::person_key(&convert::person_ref(&visitor.person)))
            .collect();
        access_log::record(&self.pool, &reader, &hall.site_id, people)
            .await
            .map_err(ServiceError::from)?;
        Ok(Response::new(pb::ListVisitorsInsideResponse {
            visitors: inside.into_iter().map(convert::visitor_inside_message).collect(),
        }))
    }

    async fn identify_person(
        &self,
        request: Request<pb::IdentifyPersonRequest>,
    ) -> std::result::Result<Response<pb::IdentifyPersonResponse>, Status> {
        let mut reader = Reader::of(&request);
        let request = request.into_inner();
        let person = validate::person(&self.halls, request.person.as_ref(), "person")?;
        if person.kind != PersonKind::Visitor as i32 {
            return Err(ServiceError::invalid(
                "person.kind",
                "must be VISITOR (staff names are on the roster: ListStaff)",
            )
            .into());
        }
        // The purpose is the request's own; the header's is taken when the field is empty.
        let purpose = request.purpose.trim();
        if !purpose.is_empty() {
            reader.purpose = purpose.chars().take(access_log::MAX_PURPOSE_CHARS).collect();
        }
        if reader.purpose.is_empty() {
            return Err(ServiceError::invalid(
                "purpose",
                "is required: say why (a notice to a close contact, the upward report of an incident)",
            )
            .into());
        }
        let found = match store::registrations::identity(
            &self.pool,
            &self.sealer,
            &person.site_id,
            &person.person_id,
        )
        .await?
        {
            Some((name, phone, residence, at)) => pb::IdentifyPersonResponse {
                name,
                phone,
                residence,
                registered_by_hand: true,
                given_at: Some(millis_to_timestamp(at)),
            },
            None => {
                let (sealed, at) =
                    store::check_ins::latest_name(&self.pool, &person.site_id, &person.person_id)
                        .await?
                        .ok_or_else(|| {
                            ServiceError::not_found(
                                "person.person_id",
                                "no name was given for this person here",
                            )
                        })?;
                let name = self
                    .sealer
                    .open(&store::check_ins::SEALED.context("display_name"), &sealed)
                    .map_err(sqlx::Error::from)
                    .map_err(ServiceError::from)?;
                pb::IdentifyPersonResponse {
                    name,
                    given_at: Some(millis_to_timestamp(at)),
                    ..Default::default()
                }
            }
        };
        access_log::record(
            &self.pool,
            &reader,
            &person.site_id,
            vec![access_log::person_key(person)],
        )
        .await
        .map_err(ServiceError::from)?;
        Ok(Response::new(found))
    }
}
