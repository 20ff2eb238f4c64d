//! The staff-health gRPC handlers: validate, call the module that owns the change, wake
//! the outbox. Errors map to `Status` once, in the platform's error type.

use std::sync::Arc;

use hallguard_domain::hall::{Hall, Halls};
use hallguard_domain::time::{MINUTE_MS, format_date, local_day_start, now_millis, parse_date};
use hallguard_platform::access_log::{self, Reader};
use hallguard_platform::auth::{self, Role};
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::idempotency::{self, IdempotencyKey};
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate;
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::staff_health::v1 as pb;
use hallguard_proto::staff_health::v1::staff_health_server::StaffHealth;
use sqlx::AnyPool;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::canteen::Layout;
use crate::checks::{self, Readings};
use crate::health::Symptom;
use crate::presence::{self, Kind};
use crate::{convert, duty_holds, meals, roster};

/// The roles shown staff phones by ListStaff.
const PHONE_ROLES: [Role; 2] = [Role::DutyOfficer, Role::Admin];

/// The staff-health service state.
#[derive(Debug, Clone)]
pub struct StaffHealthService {
    pool: AnyPool,
    halls: Halls,
    sealer: Sealer,
    outbox: Arc<Notify>,
}

impl StaffHealthService {
    /// The service over its database, sealing names and phones with `sealer`; `outbox`
    /// wakes the outbox worker after a commit.
    pub fn new(pool: AnyPool, halls: Halls, sealer: Sealer, outbox: Arc<Notify>) -> Self {
        Self {
            pool,
            halls,
            sealer,
            outbox,
        }
    }

    /// Refuses a name acted for that is neither the caller's nor a staff id on the
    /// hall's roster.
    async fn on_roster(&self, hall: &Hall, by: &str, field: &str) -> Result<()> {
        if auth::current_caller().is_some_and(|caller| caller.name == by) {
            return Ok(());
        }
        roster::is_on_roster(&self.pool, hall, by, field).await
    }

    /// Records in the access log that `reader` saw these staff members of a hall.
    async fn log_staff_read<'a>(
        &self,
        reader: &Reader,
        site_id: &str,
        staff_ids: impl Iterator<Item = &'a str>,
    ) -> Result<()> {
        let people = staff_ids
            .map(|staff_id| access_log::staff_key(site_id, staff_id))
            .collect();
        access_log::record(&self.pool, reader, site_id, people)
            .await
            .map_err(ServiceError::from)
    }

    fn hall(&self, site_id: &str, field: &str) -> Result<&Hall> {
        validate::hall(&self.halls, site_id, field)
    }
}

fn symptoms(values: &[i32], field: &str) -> Result<Vec<Symptom>> {
    let mut out = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let symptom = match pb::Symptom::try_from(*value) {
            Ok(pb::Symptom::Fever) => Symptom::Fever,
            Ok(pb::Symptom::Cough) => Symptom::Cough,
            Ok(pb::Symptom::SoreThroat) => Symptom::SoreThroat,
            Ok(pb::Symptom::Cold) => Symptom::Cold,
            Ok(pb::Symptom::Fatigue) => Symptom::Fatigue,
            Ok(pb::Symptom::Other) => Symptom::Other,
            _ => {
                return Err(ServiceError::invalid(
                    format!("{field}[{index}]"),
                    format!("{value} is not a symptom"),
                ));
            }
        };
        if !out.contains(&symptom) {
            out.push(symptom);
        }
    }
    Ok(out)
}

/// The readings of a morning check, and its working day (given, or the check's local date).
fn morning_readings(hall: &Hall, check: &pb::MorningCheck, now: i64) -> Result<(String, Readings)> {
    let at = validate::time(check.checked_at.as_ref(), now, "check.checked_at")?;
    let work_date = if check.work_date.trim().is_empty() {
        format_date(hall.local_day(at))
    } else {
        let day = parse_date(&check.work_date)
            .ok_or_else(|| ServiceError::invalid("check.work_date", "must be a date YYYY-MM-DD"))?;
        format_date(day)
    };
    let colour = match HealthCodeColour::try_from(check.health_code_colour) {
        Ok(colour @ (HealthCodeColour::Green | HealthCodeColour::Yellow | HealthCodeColour::Red)) => colour,
        _ => {
            return Err(ServiceError::invalid(
                "check.health_code_colour",
                "must be GREEN, YELLOW or RED",
            ));
        }
    };
    Ok((
        work_date,
        Readings {
            temperature_celsius: Some(validate::temperature(
                check.temperature_celsius,
                "check.temperature_celsius",
            )?),
            colour: convert::colour(colour),
            itinerary_risk: check.itinerary_risk_flag,
            symptoms: symptoms(&check.symptoms, "check.symptoms")?,
            at,
            note: check.note.trim().to_string(),
        },
    ))
}

#[tonic::async_trait]
impl StaffHealth for StaffHealthService {
    async fn upsert_staff_member(
        &self,
        request: Request<pb::UpsertStaffMemberRequest>,
    ) -> std::result::Result<Response<pb::UpsertStaffMemberResponse>, Status> {
        let member = request
            .into_inner()
            .member
            .ok_or_else(|| ServiceError::invalid("member", "is required"))?;
        let hall = self.hall(&member.site_id, "member.site_id")?;
        let member = roster::upsert(&self.pool, &self.sealer, hall, &member).await?;
        Ok(Response::new(pb::UpsertStaffMemberResponse {
            member: Some(member),
        }))
    }

    async fn import_roster(
        &self,
        request: Request<pb::ImportRosterRequest>,
    ) -> std::result::Result<Response<pb::ImportRosterResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let (imported, errors) = roster::import(&self.pool, &self.sealer, hall, &request.csv).await?;
        Ok(Response::new(pb::ImportRosterResponse { imported, errors }))
    }

    async fn list_staff(
        &self,
        request: Request<pb::ListStaffRequest>,
    ) -> std::result::Result<Response<pb::ListStaffResponse>, Status> {
        let reader = Reader::of(&request);
        // Phones are for those who call staff: duty officers and admins; analysts and
        // services get the roster without them (minimum necessary).
        let sees_phones = auth::caller(&request).is_none_or(|caller| PHONE_ROLES.contains(&caller.role));
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let (offset, limit) = validate::page(request.page.as_ref())?;
        let mut members = roster::search(
            &self.pool,
            &self.sealer,
            &hall.site_id,
            &request.query,
            &request.department,
            offset,
            limit,
        )
        .await?;
        if !sees_phones {
            for member in &mut members {
                member.phone.clear();
            }
        }
        // Names (and phones) of everyone listed.
        self.log_staff_read(
            &reader,
            &hall.site_id,
            members.iter().map(|m| m.staff_id.as_str()),
        )
        .await?;
        Ok(Response::new(pb::ListStaffResponse {
            page: Some(validate::next_page(offset, limit, members.len())),
            members,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn remove_staff_member(
        &self,
        request: Request<pb::RemoveStaffMemberRequest>,
    ) -> std::result::Result<Response<pb::RemoveStaffMemberResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let reason = validate::required(&request.reason, "reason")?;
        roster::remove(&self.pool, hall, staff_id, reason, now_millis()).await?;
        Ok(Response::new(pb::RemoveStaffMemberResponse {}))
    }

    async fn record_morning_check(
        &self,
        request: Request<pb::RecordMorningCheckRequest>,
    ) -> std::result::Result<Response<pb::RecordMorningCheckResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let check = request
            .check
            .as_ref()
            .ok_or_else(|| ServiceError::invalid("check", "is required"))?;
        let hall = self.hall(&check.site_id, "check.site_id")?;
        let staff_id = validate::required(&check.staff_id, "check.staff_id")?;
        let (work_date, readings) = morning_readings(hall, check, now_millis())?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            &hall.site_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let result = key
            .answer(
                &self.pool,
                checks::record_morning_check(&self.pool, hall, staff_id, &work_date, &readings, &key.scoped),
            )
            .await?;
        self.outbox.notify_one();
        Ok(Response::new(result))
    }

    async fn correct_morning_check(
        &self,
        request: Request<pb::CorrectMorningCheckRequest>,
    ) -> std::result::Result<Response<pb::CorrectMorningCheckResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().corrected_by, "corrected_by")?;
        let request = request.into_inner();
        let check_id = validate::required(&request.check_id, "check_id")?;
        let check = request
            .check
            .as_ref()
            .ok_or_else(|| ServiceError::invalid("check", "is required"))?;
        let hall = self.hall(&check.site_id, "check.site_id")?;
        self.on_roster(hall, &by, "corrected_by").await?;
        let (_, readings) = morning_readings(hall, check, now_millis())?;
        let reason = validate::required(&request.reason, "reason")?;
        let (result, history) =
            checks::correct_morning_check(&self.pool, hall, check_id, &readings, reason, &by).await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::CorrectMorningCheckResponse {
            result: Some(result),
            history,
        }))
    }

    async fn list_missing_morning_checks(
        &self,
        request: Request<pb::ListMissingMorningChecksRequest>,
    ) -> std::result::Result<Response<pb::ListMissingMorningChecksResponse>, Status> {
        let reader = Reader::of(&request);
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let day = parse_date(&request.work_date)
            .ok_or_else(|| ServiceError::invalid("work_date", "must be a date YYYY-MM-DD"))?;
        let missing = checks::missing(&self.pool, &self.sealer, &hall.site_id, &format_date(day)).await?;
        // Names and phones of everyone listed, to call them in.
        self.log_staff_read(
            &reader,
            &hall.site_id,
            missing.iter().map(|m| m.staff_id.as_str()),
        )
        .await?;
        let deadline = local_day_start(day, hall.utc_offset_minutes)
            + i64::from(hall.staff_health.deadline_minutes()) * MINUTE_MS;
        Ok(Response::new(pb::ListMissingMorningChecksResponse {
            missing,
            deadline: Some(millis_to_timestamp(deadline)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn submit_health_report(
        &self,
        request: Request<pb::SubmitHealthReportRequest>,
    ) -> std::result::Result<Response<pb::SubmitHealthReportResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let temperature = if request.temperature_celsius == 0.0 {
            None
        } else {
            Some(validate::temperature(
                request.temperature_celsius,
                "temperature_celsius",
            )?)
        };
        if !request.zone_id.trim().is_empty() {
            validate::zone(hall, request.zone_id.trim(), "zone_id")?;
        }
        let readings = Readings {
            temperature_celsius: temperature,
            colour: None,
            itinerary_risk: false,
            symptoms: symptoms(&request.symptoms, "symptoms")?,
            at: validate::time(request.reported_at.as_ref(), now_millis(), "reported_at")?,
            note: request.note.trim().to_string(),
        };
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            &hall.site_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let answer = key
            .answer(
                &self.pool,
                checks::report(
                    &self.pool,
                    hall,
                    staff_id,
                    request.zone_id.trim(),
                    &readings,
                    &key.scoped,
                ),
            )
            .await?;
        self.outbox.notify_one();
        Ok(Response::new(answer))
    }

    async fn list_focus_management(
        &self,
        request: Request<pb::ListFocusManagementRequest>,
    ) -> std::result::Result<Response<pb::ListFocusManagementResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let entries = checks::focus_list(&self.pool, hall, request.include_released).await?;
        Ok(Response::new(pb::ListFocusManagementResponse { entries }))
    }

    async fn release_from_focus_management(
        &self,
        request: Request<pb::ReleaseFromFocusManagementRequest>,
    ) -> std::result::Result<Response<pb::ReleaseFromFocusManagementResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().released_by, "released_by")?;
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        self.on_roster(hall, &by, "released_by").await?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let entry = checks::release(&self.pool, hall, staff_id, &by, now_millis()).await?;
        Ok(Response::new(pb::ReleaseFromFocusManagementResponse {
            entry: Some(entry),
        }))
    }

    async fn start_temperature_sweep(
        &self,
        request: Request<pb::StartTemperatureSweepRequest>,
    ) -> std::result::Result<Response<pb::StartTemperatureSweepResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let incident_id = validate::required(&request.incident_id, "incident_id")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            &hall.site_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let (sweep_id, staff_on_duty) = key
            .answer(
                &self.pool,
                checks::start_sweep(&self.pool, &hall.site_id, incident_id, &key.scoped, now_millis()),
            )
            .await?;
        Ok(Response::new(pb::StartTemperatureSweepResponse {
            sweep_id,
            staff_on_duty,
        }))
    }

    async fn get_temperature_sweep(
        &self,
        request: Request<pb::GetTemperatureSweepRequest>,
    ) -> std::result::Result<Response<pb::GetTemperatureSweepResponse>, Status> {
        let request = request.into_inner();
        let sweep_id = match (request.sweep_id.trim(), request.incident_id.trim()) {
            ("", "") => return Err(ServiceError::invalid("sweep_id", "give sweep_id or incident_id").into()),
            ("", incident_id) => checks::sweep_of_incident(&self.pool, incident_id).await?,
            (sweep_id, _) => sweep_id.to_string(),
        };
        Ok(Response::new(
            checks::sweep(&self.pool, &self.halls, &sweep_id).await?,
        ))
    }

    async fn clock_in(
        &self,
        request: Request<pb::ClockInRequest>,
    ) -> std::result::Result<Response<pb::ClockInResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        validate::zone(hall, request.zone_id.trim(), "zone_id")?;
        let at = validate::time(request.at.as_ref(), now_millis(), "at")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            request.zone_id.trim(),
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let shift_id = key
            .answer(
                &self.pool,
                presence::open(
                    &self.pool,
                    Kind::Shift,
                    &hall.site_id,
                    staff_id,
                    request.zone_id.trim(),
                    at,
                    &key.scoped,
                ),
            )
            .await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::ClockInResponse { shift_id }))
    }

    async fn clock_out(
        &self,
        request: Request<pb::ClockOutRequest>,
    ) -> std::result::Result<Response<pb::ClockOutResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let at = validate::time(request.at.as_ref(), now_millis(), "at")?;
        let closed = presence::close(&self.pool, Kind::Shift, &hall.site_id, staff_id, at).await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::ClockOutResponse {
            shift_id: closed.id,
            zone_id: closed.place_id,
        }))
    }

    async fn place_duty_hold(
        &self,
        request: Request<pb::PlaceDutyHoldRequest>,
    ) -> std::result::Result<Response<pb::PlaceDutyHoldResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let incident_id = validate::required(&request.incident_id, "incident_id")?;
        let reason = validate::required(&request.reason, "reason")?;
        let key = validate::idempotency_key(&request.idempotency_key, "idempotency_key")?;
        let now = now_millis();
        let last_exposure_at =
            validate::optional_time(request.last_exposure_at.as_ref(), now, "last_exposure_at")?;
        let hold = duty_holds::place(
            &self.pool,
            hall,
            staff_id,
            incident_id,
            reason,
            key,
            now,
            last_exposure_at,
        )
        .await?;
        Ok(Response::new(pb::PlaceDutyHoldResponse {
            hold: Some(duty_holds::message(hold)),
        }))
    }

    async fn lift_duty_hold(
        &self,
        request: Request<pb::LiftDutyHoldRequest>,
    ) -> std::result::Result<Response<pb::LiftDutyHoldResponse>, Status> {
        let request = request.into_inner();
        let key = validate::required(&request.idempotency_key, "idempotency_key")?;
        let reason = validate::required(&request.reason, "reason")?;
        let hold = duty_holds::lift(&self.pool, key, reason, now_millis()).await?;
        Ok(Response::new(pb::LiftDutyHoldResponse {
            hold: Some(duty_holds::message(hold)),
        }))
    }

    async fn list_staff_on_duty(
        &self,
        request: Request<pb::ListStaffOnDutyRequest>,
    ) -> std::result::Result<Response<pb::ListStaffOnDutyResponse>, Status> {
        let reader = Reader::of(&request);
        let hall = self.hall(&request.get_ref().site_id, "site_id")?;
        let staff = presence::on_duty(&self.pool, &hall.site_id).await?;
        self.log_staff_read(&reader, &hall.site_id, staff.iter().map(|m| m.staff_id.as_str()))
            .await?;
        Ok(Response::new(pb::ListStaffOnDutyResponse { staff }))
    }

    async fn get_canteen_layout(
        &self,
        request: Request<pb::GetCanteenLayoutRequest>,
    ) -> std::result::Result<Response<pb::GetCanteenLayoutResponse>, Status> {
        let hall = self.hall(&request.get_ref().site_id, "site_id")?;
        Ok(Response::new(meals::layout_message(&Layout::of(hall))))
    }

    async fn generate_meal_schedule(
        &self,
        request: Request<pb::GenerateMealScheduleRequest>,
    ) -> std::result::Result<Response<pb::GenerateMealScheduleResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let day = parse_date(&request.date)
            .ok_or_else(|| ServiceError::invalid("date", "must be a date YYYY-MM-DD"))?;
        let slots = meals::generate(&self.pool, hall, &format_date(day), day).await?;
        Ok(Response::new(pb::GenerateMealScheduleResponse { slots }))
    }

    async fn assign_seats(
        &self,
        request: Request<pb::AssignSeatsRequest>,
    ) -> std::result::Result<Response<pb::AssignSeatsResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let slot_id = validate::required(&request.slot_id, "slot_id")?;
        let assignments = meals::assign(&self.pool, hall, slot_id, &request.assignments).await?;
        Ok(Response::new(pb::AssignSeatsResponse { assignments }))
    }

    async fn sit_down(
        &self,
        request: Request<pb::SitDownRequest>,
    ) -> std::result::Result<Response<pb::SitDownResponse>, Status> {
        let caller = idempotency::caller_name(&request);
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let seat_id = validate::required(&request.seat_id, "seat_id")?;
        if Layout::of(hall).seat(seat_id).is_none() {
            return Err(
                ServiceError::not_found("seat_id", format!("no seat {seat_id:?} in the canteen")).into(),
            );
        }
        let at = validate::time(request.at.as_ref(), now_millis(), "at")?;
        let key = IdempotencyKey::new(
            &caller,
            &hall.site_id,
            seat_id,
            &request.idempotency_key,
            &request,
            "idempotency_key",
        )?;
        let seat_stay_id = key
            .answer(
                &self.pool,
                presence::open(
                    &self.pool,
                    Kind::Seat,
                    &hall.site_id,
                    staff_id,
                    seat_id,
                    at,
                    &key.scoped,
                ),
            )
            .await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::SitDownResponse { seat_stay_id }))
    }

    async fn leave_seat(
        &self,
        request: Request<pb::LeaveSeatRequest>,
    ) -> std::result::Result<Response<pb::LeaveSeatResponse>, Status> {
        let request = request.into_inner();
        let hall = self.hall(&request.site_id, "site_id")?;
        let staff_id = validate::required(&request.staff_id, "staff_id")?;
        let at = validate::time(request.at.as_ref(), now_millis(), "at")?;
        let closed = presence::close(&self.pool, Kind::Seat, &hall.site_id, staff_id, at).await?;
        self.outbox.notify_one();
        Ok(Response::new(pb::LeaveSeatResponse {
            seat_stay_id: closed.id,
            seat_id: closed.place_id,
        }))
    }
}
