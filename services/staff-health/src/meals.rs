//! The canteen as stored: a day's meal slots with their diners, seat assignments per
//! slot checked against the spacing rules.

use hallguard_domain::hall::Hall;
use hallguard_domain::time::{MINUTE_MS, local_day_start};
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_proto::staff_health::v1 as pb;
use sqlx::AnyPool;

use crate::canteen::Layout;
use crate::model::MealSlot;
use crate::schedule::{self, Department};
use crate::{convert, store};

/// The layout as the contract shows it.
pub fn layout_message(layout: &Layout) -> pb::GetCanteenLayoutResponse {
    pb::GetCanteenLayoutResponse {
        seats: layout
            .seats()
            .iter()
            .map(|seat| pb::Seat {
                seat_id: seat.id.clone(),
                table_id: seat.table.clone(),
                side: seat.side,
                position: seat.position,
                adjacent_seat_ids: layout
                    .neighbours(&seat.id)
                    .iter()
                    .filter(|(_, facing)| !facing)
                    .map(|(other, _)| other.clone())
                    .collect(),
                facing_seat_ids: layout
                    .neighbours(&seat.id)
                    .iter()
                    .filter(|(_, facing)| *facing)
                    .map(|(other, _)| other.clone())
                    .collect(),
            })
            .collect(),
        usable_seats: u32::try_from(layout.usable_seats().len()).unwrap_or(u32::MAX),
    }
}

/// Generates (or regenerates) the day's schedule from the roster's departments and
/// stores it; `day` is the local day number of `date`.
pub async fn generate(pool: &AnyPool, hall: &Hall, date: &str, day: i64) -> Result<Vec<pb::MealSlot>> {
    let members = store::staff::all(pool, &hall.site_id).await?;
    let mut departments: Vec<Department> = Vec::new();
    for member in members {
        match departments.iter_mut().find(|d| d.name == member.department) {
            Some(department) => department.staff.push(member.staff_id),
            None => departments.push(Department {
                name: member.department,
                staff: vec![member.staff_id],
            }),
        }
    }
    let layout = Layout::of(hall);
    let seats = layout.usable_seats().len();
    let (first, end) = hall.canteen.slot_span_minutes();
    let times = schedule::slot_times(first, end, hall.canteen.slot_minutes);
    let slots = schedule::schedule(&times, seats, &departments, day)
        .map_err(|error| ServiceError::precondition(error.to_string()))?;
    let midnight = local_day_start(day, hall.utc_offset_minutes);
    let slots: Vec<MealSlot> = slots
        .into_iter()
        .map(|slot| {
            let hh_mm = format!("{:02}:{:02}", slot.start_minute / 60, slot.start_minute % 60);
            MealSlot {
                slot_id: format!("{}/{date}/{hh_mm}", hall.site_id),
                starts_at: midnight + i64::from(slot.start_minute) * MINUTE_MS,
                ends_at: midnight + i64::from(slot.end_minute) * MINUTE_MS,
                departments: slot.departments,
                diners: slot.diners,
                seats: u32::try_from(seats).unwrap_or(u32::MAX),
            }
        })
        .collect();
    let mut transaction = begin_write(pool).await?;
    store::meals::replace_day(&mut transaction, &hall.site_id, date, &slots).await?;
    transaction.commit().await?;
    Ok(slots.into_iter().map(convert::meal_slot_message).collect())
}

/// Assigns seats for a slot: the given assignments, or every diner of the slot on the
/// usable seats. A plan that breaks a spacing rule is FAILED_PRECONDITION naming it.
pub async fn assign(
    pool: &AnyPool,
    hall: &Hall,
    slot_id: &str,
    requested: &[pb::SeatAssignment],
) -> Result<Vec<pb::SeatAssignment>> {
    let diners = store::meals::diners(pool, &hall.site_id, slot_id).await?;
    let layout = Layout::of(hall);
    let plan: Vec<(String, String)> = if requested.is_empty() {
        layout
            .assign(&diners)
            .ok_or_else(|| ServiceError::precondition("more diners than usable seats in this slot"))?
            .into_iter()
            .map(|(staff, seat)| (staff, seat.to_string()))
            .collect()
    } else {
        let mut staff_seen = std::collections::HashSet::new();
        for (index, assignment) in requested.iter().enumerate() {
            if layout.seat(&assignment.seat_id).is_none() {
                return Err(ServiceError::not_found(
                    format!("assignments[{index}].seat_id"),
                    format!("no seat {:?} in the canteen", assignment.seat_id),
                ));
            }
            store::staff::get(
                pool,
                &hall.site_id,
                &assignment.staff_id,
                &format!("assignments[{index}].staff_id"),
            )
            .await?;
            if !staff_seen.insert(assignment.staff_id.as_str()) {
                return Err(ServiceError::invalid(
                    format!("assignments[{index}].staff_id"),
                    "is assigned twice",
                ));
            }
        }
        requested
            .iter()
            .map(|a| (a.staff_id.clone(), a.seat_id.clone()))
            .collect()
    };
    let seats: Vec<&str> = plan.iter().map(|(_, seat)| seat.as_str()).collect();
    layout
        .check(&seats)
        .map_err(|violation| ServiceError::precondition(violation.to_string()))?;
    let mut transaction = begin_write(pool).await?;
    store::meals::replace_assignments(&mut transaction, slot_id, &plan).await?;
    transaction.commit().await?;
    Ok(plan
        .into_iter()
        .map(|(staff_id, seat_id)| pb::SeatAssignment { staff_id, seat_id })
        .collect())
}
