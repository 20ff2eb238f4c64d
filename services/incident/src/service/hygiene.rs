//! The Hygiene gRPC service: disinfection rounds and compliance, supplies, thermometers.

use hallguard_domain::hall::{Hall, Halls, Surface};
use hallguard_domain::time::{DAY_MS, local_day_start, now_millis};
use hallguard_platform::auth::current_caller;
use hallguard_platform::error::ServiceError;
use hallguard_platform::feed::Feed;
use hallguard_platform::validate;
use hallguard_proto::incident::v1 as pb;
use hallguard_proto::incident::v1::hygiene_server::Hygiene;
use sqlx::AnyPool;
use tonic::{Request, Response, Status};

use crate::convert;
use crate::duty_desk::event;
use crate::peers::Tracing;
use crate::store::hygiene::NewRound;
use crate::{hygiene, organisation};

/// Routine hygiene and supplies.
#[derive(Debug, Clone)]
pub struct HygieneService {
    pool: AnyPool,
    halls: Halls,
    tracer: Tracing,
    feed: Feed<pb::DutyDeskEvent>,
}

impl HygieneService {
    /// The service over its database; who was in the meeting rooms comes from contact
    /// tracing (`tracer`); alerts go to the duty desk through `feed`.
    pub fn new(pool: AnyPool, halls: Halls, tracer: Tracing, feed: Feed<pb::DutyDeskEvent>) -> Self {
        Self {
            pool,
            halls,
            tracer,
            feed,
        }
    }

    /// Each meeting room's uses on local day `day` with their cleanings; or why they
    /// could not be read (contact tracing unreachable).
    async fn room_uses(
        &self,
        hall: &Hall,
        day: i64,
        now: i64,
    ) -> Result<Result<Vec<pb::RoomUse>, String>, ServiceError> {
        let midnight = local_day_start(day, hall.utc_offset_minutes);
        let window = (midnight, (midnight + DAY_MS).min(now));
        let mut stays_by_room = Vec::new();
        if window.1 > window.0 {
            for room in hygiene::meeting_rooms(hall) {
                match self.tracer.who_was_there(&hall.site_id, room, window).await {
                    Ok(stays) => stays_by_room.push((room.to_string(), stays)),
                    Err(error) => return Ok(Err(error.to_string())),
                }
            }
        }
        let uses = hygiene::room_uses(&self.pool, hall, day, &stays_by_room, now).await?;
        Ok(Ok(uses.into_iter().map(convert::room_use_message).collect()))
    }
}

/// The surfaces a round names: each a surface the plan names and the hall file lists
/// for the zone.
fn round_surfaces(hall: &Hall, zone_id: &str, names: &[String]) -> Result<Vec<Surface>, ServiceError> {
    let listed = hall
        .zones
        .iter()
        .find(|zone| zone.id == zone_id)
        .map(|zone| zone.surfaces.as_slice())
        .unwrap_or_default();
    let mut surfaces = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let field = format!("surfaces[{index}]");
        let surface = Surface::named(name.trim()).ok_or_else(|| {
            ServiceError::invalid(
                &field,
                "must be self_service_machine, lift_button, door_handle, tap or stair_rail",
            )
        })?;
        if !listed.contains(&surface) {
            return Err(ServiceError::invalid(
                field,
                format!("{zone_id} has no {} in the hall file", surface.name()),
            ));
        }
        if !surfaces.contains(&surface) {
            surfaces.push(surface);
        }
    }
    Ok(surfaces)
}

#[tonic::async_trait]
impl Hygiene for HygieneService {
    async fn record_disinfection_round(
        &self,
        request: Request<pb::RecordDisinfectionRoundRequest>,
    ) -> std::result::Result<Response<pb::RecordDisinfectionRoundResponse>, Status> {
        let by = validate::actor(&request, &request.get_ref().done_by, "done_by")?;
        let request = request.into_inner();
        let (hall, zone_id) = validate::zone_ref(&self.halls, request.zone.as_ref(), "zone")?;
        organisation::acting_for(&self.pool, hall, current_caller().as_ref(), &by, "done_by").await?;
        let kind = if request.kind.trim().is_empty() {
            "round"
        } else {
            request.kind.trim()
        };
        if !hygiene::ROUND_KINDS.contains(&kind) {
            return Err(ServiceError::invalid("kind", "must be round, after_use or ac_system").into());
        }
        let agent = validate::required(&request.agent, "agent")?;
        let done_at = validate::time(request.done_at.as_ref(), now_millis(), "done_at")?;
        let surfaces = round_surfaces(hall, zone_id, &request.surfaces)?;
        let round = NewRound {
            site_id: &hall.site_id,
            zone_id,
            kind,
            done_by: &by,
            agent,
            done_at,
            surfaces: &surfaces,
        };
        let round_id = hygiene::record_round(&self.pool, &round).await?;
        Ok(Response::new(pb::RecordDisinfectionRoundResponse { round_id }))
    }

    async fn get_hygiene_compliance(
        &self,
        request: Request<pb::GetHygieneComplianceRequest>,
    ) -> std::result::Result<Response<pb::GetHygieneComplianceResponse>, Status> {
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let day = hallguard_domain::time::parse_date(&request.date)
            .ok_or_else(|| ServiceError::invalid("date", "must be a date YYYY-MM-DD"))?;
        let now = now_millis();
        let rounds = hygiene::compliance(&self.pool, hall, day, now).await?;
        let (room_uses, room_uses_unknown) = match self.room_uses(hall, day, now).await? {
            Ok(uses) => (uses, String::new()),
            Err(why) => (Vec::new(), why),
        };
        Ok(Response::new(pb::GetHygieneComplianceResponse {
            rounds: rounds.into_iter().map(convert::round_due_message).collect(),
            room_uses,
            room_uses_unknown,
        }))
    }

    async fn record_stock_movement(
        &self,
        request: Request<pb::RecordStockMovementRequest>,
    ) -> std::result::Result<Response<pb::RecordStockMovementResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let supply = request.supply.trim();
        if !hygiene::SUPPLIES.contains(&supply) {
            return Err(ServiceError::invalid(
                "supply",
                "must be mask, hand_sanitiser, disinfectant or thermometer",
            )
            .into());
        }
        if request.delta == 0 {
            return Err(ServiceError::invalid("delta", "is zero").into());
        }
        let level = hygiene::move_stock(
            &self.pool,
            hall,
            supply,
            request.delta,
            request.note.trim(),
            &by,
            now_millis(),
        )
        .await?;
        if level.low {
            self.feed.publish(
                &hall.site_id,
                event(
                    "low_stock",
                    "",
                    format!(
                        "{} low: {} on hand, threshold {}",
                        level.supply, level.on_hand, level.low_threshold
                    ),
                ),
            );
        }
        Ok(Response::new(pb::RecordStockMovementResponse {
            supply: Some(convert::supply_message(level)),
        }))
    }

    async fn list_supplies(
        &self,
        request: Request<pb::ListSuppliesRequest>,
    ) -> std::result::Result<Response<pb::ListSuppliesResponse>, Status> {
        let hall = validate::hall(&self.halls, &request.get_ref().site_id, "site_id")?;
        Ok(Response::new(pb::ListSuppliesResponse {
            supplies: hygiene::supplies(&self.pool, hall)
                .await?
                .into_iter()
                .map(convert::supply_message)
                .collect(),
        }))
    }

    async fn set_thermometer_status(
        &self,
        request: Request<pb::SetThermometerStatusRequest>,
    ) -> std::result::Result<Response<pb::SetThermometerStatusResponse>, Status> {
        let by = validate::actor(&request, "", "caller")?;
        let request = request.into_inner();
        let hall = validate::hall(&self.halls, &request.site_id, "site_id")?;
        let id = validate::required(&request.thermometer_id, "thermometer_id")?;
        let thermometer = hygiene::set_thermometer(
            &self.pool,
            hall,
            id,
            request.working,
            request.note.trim(),
            &by,
            now_millis(),
        )
        .await?;
        if !thermometer.working {
            self.feed.publish(
                &hall.site_id,
                event(
                    "thermometer_broken",
                    "",
                    format!(
                        "thermometer {} at {} is not working: {}",
                        id,
                        thermometer.gate_id,
                        request.note.trim()
                    ),
                ),
            );
        }
        Ok(Response::new(pb::SetThermometerStatusResponse {
            thermometer: Some(convert::thermometer_message(thermometer)),
        }))
    }

    async fn list_thermometers(
        &self,
        request: Request<pb::ListThermometersRequest>,
    ) -> std::result::Result<Response<pb::ListThermometersResponse>, Status> {
        let hall = validate::hall(&self.halls, &request.get_ref().site_id, "site_id")?;
        Ok(Response::new(pb::ListThermometersResponse {
            thermometers: hygiene::thermometers(&self.pool, hall)
                .await?
                .into_iter()
                .map(convert::thermometer_message)
                .collect(),
        }))
    }
}
