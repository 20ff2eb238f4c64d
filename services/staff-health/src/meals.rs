//! The canteen as stored: a day's meal slots with their diners, seat assignments per
//! slot checked against the spacing rules.

use hallguard_domain::hall::Hall;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::staff_health::v1 as pb;
use sqlx::{AnyPool, Row};

use crate::canteen::Layout;
use crate::roster;
use crate::schedule::{self, Department};

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
    let members = roster::all(pool, &hall.site_id).await?;
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
    let midnight = day * 86_400_000 - i64::from(hall.utc_offset_minutes) * 60_000;
    let mut transaction = begin_write(pool).await?;
    sqlx::query("DELETE FROM seat_assignments WHERE slot_id IN (SELECT slot_id FROM meal_slots WHERE site_id = $1 AND meal_date = $2)")
        .bind(&hall.site_id)
        .bind(date)
        .execute(&mut *transaction)
        .await?;
    sqlx::query("DELETE FROM meal_slots WHERE site_id = $1 AND meal_date = $2")
        .bind(&hall.site_id)
        .bind(date)
        .execute(&mut *transaction)
        .await?;
    let mut out = Vec::new();
    for slot in slots {
        let hh_mm = format!("{:02}:{:02}", slot.start_minute / 60, slot.start_minute % 60);
        let slot_id = format!("{}/{date}/{hh_mm}", hall.site_id);
        let starts_at = midnight + i64::from(slot.start_minute) * 60_000;
        let ends_at = midnight + i64::from(slot.end_minute) * 60_000;
        sqlx::query(
            "INSERT INTO meal_slots (slot_id, site_id, meal_date, starts_at, ends_at, departments, diners, seats)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&slot_id)
        .bind(&hall.site_id)
        .bind(date)
        .bind(starts_at)
        .bind(ends_at)
        .bind(slot.departments.join(";"))
        .bind(slot.diners.join(";"))
        .bind(i64::try_from(seats).unwrap_or(i64::MAX))
        .execute(&mut *transaction)
        .await?;
        out.push(pb::MealSlot {
            slot_id,
            starts_at: Some(millis_to_timestamp(starts_at)),
            ends_at: Some(millis_to_timestamp(ends_at)),
            departments: slot.departments,
            diners: u32::try_from(slot.diners.len()).unwrap_or(u32::MAX),
            seats: u32::try_from(seats).unwrap_or(u32::MAX),
        });
    }
    transaction.commit().await?;
    Ok(out)
}

/// Assigns seats for a slot: the given assignments, or every diner of the slot on the
/// usable seats. A plan that breaks a spacing rule is FAILED_PRECONDITION naming it.
pub async fn assign(
    pool: &AnyPool,
    hall: &Hall,
    slot_id: &str,
    requested: &[pb::SeatAssignment],
) -> Result<Vec<pb::SeatAssignment>> {
    let row = sqlx::query("SELECT diners FROM meal_slots WHERE slot_id = $1 AND site_id = $2")
        .bind(slot_id)
        .bind(&hall.site_id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| {
            ServiceError::not_found("slot_id", "no such meal slot: generate the day's schedule first")
        })?;
    let diners: String = row.try_get("diners")?;
    let layout = Layout::of(hall);
    let plan: Vec<(String, String)> = if requested.is_empty() {
        let diners: Vec<String> = diners
            .split(';')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect();
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
            roster::get(
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
    sqlx::query("DELETE FROM seat_assignments WHERE slot_id = $1")
        .bind(slot_id)
        .execute(&mut *transaction)
        .await?;
    for (staff_id, seat_id) in &plan {
        sqlx::query("INSERT INTO seat_assignments (slot_id, staff_id, seat_id) VALUES ($1, $2, $3)")
            .bind(slot_id)
            .bind(staff_id)
            .bind(seat_id)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(plan
        .into_iter()
        .map(|(staff_id, seat_id)| pb::SeatAssignment { staff_id, seat_id })
        .collect())
}
