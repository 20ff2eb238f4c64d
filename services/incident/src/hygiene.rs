//! Routine hygiene (rule 5) and supplies (rule 6): disinfection rounds of the public
//! zones at the configured times, priority zones first, each zone's high-touch surfaces
//! a target of every round, with a compliance report of missed rounds and surfaces;
//! meeting rooms cleaned after each use (the uses known from who was in the room) and
//! the AC system as records; stock of masks, hand sanitiser, disinfectant and
//! thermometers with low-stock alerts; the entrance thermometers' working status, a
//! broken one being an alert and not used at the gates.

use hallguard_domain::hall::{Hall, Surface, ZoneKind};
use hallguard_domain::time::{DAY_MS, MINUTE_MS, local_day_start};
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Outbound};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as screening;
use sqlx::AnyPool;

use crate::store::audit::Subject;
use crate::store::hygiene::{Movement, NewRound, RoundDone};
use crate::store::{self, audit};

/// The supplies the plan names.
pub const SUPPLIES: [&str; 4] = ["mask", "hand_sanitiser", "disinfectant", "thermometer"];
/// The kinds of disinfection record.
pub const ROUND_KINDS: [&str; 3] = ["round", "after_use", "ac_system"];

/// A routine round due in a zone, and whether it was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundDue {
    /// The zone.
    pub zone_id: String,
    /// When it is due, epoch ms.
    pub due_at: i64,
    /// When the round matched to it was done, if one was.
    pub done_at: Option<i64>,
    /// Whether its time and tolerance have passed without a round.
    pub missed: bool,
    /// The zone's high-touch surfaces the round done left out.
    pub surfaces_missed: Vec<Surface>,
}

/// People in a meeting room without a break of more than [`USE_GAP_MS`]: one use, and
/// the cleaning that followed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomUse {
    /// The room's zone.
    pub zone_id: String,
    /// When the first person came in, epoch ms.
    pub started_at: i64,
    /// When the last person left (the query's time while someone is still in).
    pub ended_at: i64,
    /// Stays in the use.
    pub stays: u32,
    /// Someone is still in the room.
    pub in_use: bool,
    /// The after-use cleaning matched to it: done after it ended and before the next
    /// use began.
    pub cleaned_at: Option<i64>,
    /// Not cleaned, and the next use began or the tolerance after it passed.
    pub missed: bool,
}

/// Stays in a room closer than this are one use.
pub const USE_GAP_MS: i64 = 5 * MINUTE_MS;

/// A stay in a room: start, end, and whether the person is still in it.
pub type RoomStay = (i64, i64, bool);

/// A supply's level against its low-stock threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supply {
    /// The supply.
    pub supply: String,
    /// How many on hand.
    pub on_hand: i64,
    /// Below this, the stock is low.
    pub low_threshold: i64,
    /// Whether it is low.
    pub low: bool,
}

/// An entrance thermometer's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thermometer {
    /// The thermometer.
    pub thermometer_id: String,
    /// The gate it stands at.
    pub gate_id: String,
    /// Working until reported otherwise.
    pub working: bool,
    /// When last reported, if ever.
    pub updated_at: Option<i64>,
}

/// Records a disinfection round.
pub async fn record_round(pool: &AnyPool, round: &NewRound<'_>) -> Result<String> {
    let mut transaction = begin_write(pool).await?;
    let round_id = store::hygiene::insert_round(&mut transaction, round).await?;
    audit::append(
        &mut transaction,
        Subject::Hall(round.site_id),
        round.done_by,
        "disinfection round",
        &serde_json::json!({ "site_id": round.site_id, "zone_id": round.zone_id, "kind": round.kind, "agent": round.agent }),
    )
    .await?;
    transaction.commit().await?;
    Ok(round_id)
}

/// The rounds due on local day `day` for every public zone, priority zones first, each
/// matched with a round done within the tolerance; a round is missed once its time and
/// tolerance have passed without one.
pub async fn compliance(pool: &AnyPool, hall: &Hall, day: i64, now: i64) -> Result<Vec<RoundDue>> {
    let midnight = local_day_start(day, hall.utc_offset_minutes);
    let tolerance = i64::from(hall.hygiene.round_tolerance_minutes) * MINUTE_MS;
    let done = store::hygiene::rounds_done(
        pool,
        &hall.site_id,
        "round",
        midnight - tolerance,
        midnight + DAY_MS + tolerance,
    )
    .await?;
    Ok(match_rounds(hall, midnight, tolerance, &done, now))
}

/// The hall's meeting rooms (zones to ask who was in on local day `day`).
pub fn meeting_rooms(hall: &Hall) -> Vec<&str> {
    hall.zones
        .iter()
        .filter(|zone| zone.kind == ZoneKind::MeetingRoom)
        .map(|zone| zone.id.as_str())
        .collect()
}

/// Each meeting room's uses on local day `day`, from the stays in it (`stays_by_room`,
/// as contact tracing has them), each matched with the after-use cleaning that followed.
pub async fn room_uses(
    pool: &AnyPool,
    hall: &Hall,
    day: i64,
    stays_by_room: &[(String, Vec<RoomStay>)],
    now: i64,
) -> Result<Vec<RoomUse>> {
    let midnight = local_day_start(day, hall.utc_offset_minutes);
    let tolerance = i64::from(hall.hygiene.round_tolerance_minutes) * MINUTE_MS;
    // A use late in the day may be cleaned the next morning.
    let cleanings = store::hygiene::rounds_done(
        pool,
        &hall.site_id,
        "after_use",
        midnight,
        midnight + DAY_MS + tolerance.max(DAY_MS / 2),
    )
    .await?;
    Ok(stays_by_room
        .iter()
        .flat_map(|(room, stays)| {
            let cleaned: Vec<i64> = cleanings
                .iter()
                .filter(|c| &c.zone_id == room)
                .map(|c| c.done_at)
                .collect();
            uses_of_room(room, stays, &cleaned, tolerance, now)
        })
        .collect())
}

/// A room's stays joined into uses, each matched with the first cleaning after it and
/// before the next use (each cleaning counting once). Pure.
pub fn uses_of_room(
    room: &str,
    stays: &[RoomStay],
    cleanings: &[i64],
    tolerance: i64,
    now: i64,
) -> Vec<RoomUse> {
    let mut stays = stays.to_vec();
    stays.sort_unstable();
    let mut uses: Vec<RoomUse> = Vec::new();
    for (start, end, open) in stays {
        match uses.last_mut() {
            Some(last) if start <= last.ended_at + USE_GAP_MS => {
                last.ended_at = last.ended_at.max(end);
                last.in_use |= open;
                last.stays += 1;
            }
            _ => uses.push(RoomUse {
                zone_id: room.to_string(),
                started_at: start,
                ended_at: end,
                stays: 1,
                in_use: open,
                cleaned_at: None,
                missed: false,
            }),
        }
    }
    let mut cleanings = cleanings.to_vec();
    cleanings.sort_unstable();
    let mut next_cleaning = 0;
    let starts: Vec<i64> = uses.iter().map(|u| u.started_at).collect();
    for (index, room_use) in uses.iter_mut().enumerate() {
        if room_use.in_use {
            continue;
        }
        let next_use = starts.get(index + 1).copied();
        while next_cleaning < cleanings.len() && cleanings[next_cleaning] < room_use.ended_at {
            next_cleaning += 1;
        }
        if let Some(&at) = cleanings.get(next_cleaning)
            && next_use.is_none_or(|next| at <= next)
        {
            room_use.cleaned_at = Some(at);
            next_cleaning += 1;
        } else {
            room_use.missed = next_use.is_some() || now > room_use.ended_at + tolerance;
        }
    }
    uses
}

/// Matches rounds done to rounds due, each round done counting once. Pure.
fn match_rounds(hall: &Hall, midnight: i64, tolerance: i64, done: &[RoundDone], now: i64) -> Vec<RoundDue> {
    let mut zones: Vec<_> = hall.zones.iter().filter(|z| z.kind.is_public_space()).collect();
    zones.sort_by_key(|z| (z.disinfection_priority, z.id.clone()));
    let mut out = Vec::new();
    for zone in zones {
        let mut used = vec![false; done.len()];
        for minute in hall.hygiene.round_minutes() {
            let due = midnight + i64::from(minute) * MINUTE_MS;
            let matched = done.iter().enumerate().find(|(i, round)| {
                !used[*i] && round.zone_id == zone.id && (round.done_at - due).abs() <= tolerance
            });
            let (done_at, surfaces_missed) = match matched {
                Some((i, round)) => {
                    used[i] = true;
                    let left_out = zone
                        .surfaces
                        .iter()
                        .copied()
                        .filter(|surface| !round.surfaces.contains(surface))
                        .collect();
                    (Some(round.done_at), left_out)
                }
                None => (None, Vec::new()),
            };
            out.push(RoundDue {
                zone_id: zone.id.clone(),
                due_at: due,
                done_at,
                missed: done_at.is_none() && now > due + tolerance,
                surfaces_missed,
            });
        }
    }
    out
}

fn supply(hall: &Hall, supply: &str, on_hand: i64) -> Supply {
    let threshold = hall.hygiene.low_stock.get(supply).copied().unwrap_or(0);
    Supply {
        supply: supply.to_string(),
        on_hand,
        low_threshold: threshold,
        low: on_hand < threshold,
    }
}

/// Records a stock movement; stock never goes below zero.
pub async fn move_stock(
    pool: &AnyPool,
    hall: &Hall,
    supply_name: &str,
    delta: i64,
    note: &str,
    by: &str,
    at: i64,
) -> Result<Supply> {
    let mut transaction = begin_write(pool).await?;
    let on_hand = store::hygiene::on_hand(&mut transaction, &hall.site_id, supply_name).await?;
    let after = on_hand + delta;
    if after < 0 {
        return Err(ServiceError::precondition(format!(
            "only {on_hand} {supply_name} on hand: cannot take out {}",
            -delta
        )));
    }
    store::hygiene::record_movement(
        &mut transaction,
        &Movement {
            site_id: &hall.site_id,
            supply: supply_name,
            delta,
            on_hand_after: after,
            note,
            moved_by: by,
            moved_at: at,
        },
    )
    .await?;
    audit::append(
        &mut transaction,
        Subject::Hall(&hall.site_id),
        by,
        "stock movement",
        &serde_json::json!({ "site_id": hall.site_id, "supply": supply_name, "delta": delta, "on_hand": after, "note": note }),
    )
    .await?;
    transaction.commit().await?;
    Ok(supply(hall, supply_name, after))
}

/// Every supply the plan names, with its level.
pub async fn supplies(pool: &AnyPool, hall: &Hall) -> Result<Vec<Supply>> {
    let levels = store::hygiene::levels(pool, &hall.site_id).await?;
    Ok(SUPPLIES
        .iter()
        .map(|name| {
            let on_hand = levels
                .iter()
                .find(|(stocked, _)| stocked == name)
                .map_or(0, |(_, on_hand)| *on_hand);
            supply(hall, name, on_hand)
        })
        .collect())
}

/// The entrance thermometers from the hall file with their last status (working until
/// reported otherwise).
pub async fn thermometers(pool: &AnyPool, hall: &Hall) -> Result<Vec<Thermometer>> {
    let reported = store::hygiene::thermometers(pool, &hall.site_id).await?;
    Ok(hall
        .gates
        .iter()
        .filter_map(|gate| gate.thermometer_id.as_ref().map(|id| (gate, id)))
        .map(|(gate, id)| {
            let last = reported.iter().find(|row| &row.thermometer_id == id);
            Thermometer {
                thermometer_id: id.clone(),
                gate_id: gate.id.clone(),
                working: last.is_none_or(|row| row.working != 0),
                updated_at: last.map(|row| row.updated_at),
            }
        })
        .collect())
}

/// Sets a thermometer's status.
pub async fn set_thermometer(
    pool: &AnyPool,
    hall: &Hall,
    id: &str,
    working: bool,
    note: &str,
    by: &str,
    at: i64,
) -> Result<Thermometer> {
    if !hall.gates.iter().any(|g| g.thermometer_id.as_deref() == Some(id)) {
        return Err(ServiceError::not_found(
            "thermometer_id",
            format!("no thermometer {id:?} at this hall's gates"),
        ));
    }
    let mut transaction = begin_write(pool).await?;
    store::hygiene::set_thermometer(&mut transaction, &hall.site_id, id, working, note, at).await?;
    // The gates hear of it: a reading from a thermometer reported broken is not used.
    let status = screening::RecordThermometerStatusRequest {
        site_id: hall.site_id.clone(),
        thermometer_id: id.to_string(),
        working,
        note: note.to_string(),
        reported_at: Some(millis_to_timestamp(at)),
    };
    outbound::queue(
        &mut transaction,
        &hall.site_id,
        format!("thermometer/{}/{id}/{at}/{working}", hall.site_id),
        &Outbound::RecordThermometerStatus(status),
    )
    .await?;
    audit::append(
        &mut transaction,
        Subject::Hall(&hall.site_id),
        by,
        "thermometer status",
        &serde_json::json!({ "site_id": hall.site_id, "thermometer_id": id, "working": working, "note": note }),
    )
    .await?;
    transaction.commit().await?;
    thermometers(pool, hall)
        .await?
        .into_iter()
        .find(|t| t.thermometer_id == id)
        .ok_or_else(|| ServiceError::not_found("thermometer_id", "no such thermometer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 60 * MINUTE_MS;

    fn uses(stays: &[RoomStay], cleanings: &[i64], now: i64) -> Vec<(i64, i64, u32, Option<i64>, bool)> {
        uses_of_room("meeting-room-1", stays, cleanings, HOUR, now)
            .into_iter()
            .map(|u| (u.started_at, u.ended_at, u.stays, u.cleaned_at, u.missed))
            .collect()
    }

    #[test]
    fn a_use_is_the_stays_in_a_room_without_a_break_and_needs_its_own_cleaning() {
        let meeting = [
            (10 * HOUR, 11 * HOUR, false),
            (10 * HOUR + MINUTE_MS, 11 * HOUR + 2 * MINUTE_MS, false),
        ];
        // Never cleaned: missed once the tolerance after it passed, not before.
        assert!(!uses(&meeting, &[], 11 * HOUR + 30 * MINUTE_MS)[0].4);
        assert_eq!(
            uses(&meeting, &[], 13 * HOUR),
            [(10 * HOUR, 11 * HOUR + 2 * MINUTE_MS, 2, None, true)]
        );
        // Cleaned after it: matched.
        let cleaned = 11 * HOUR + 20 * MINUTE_MS;
        assert_eq!(uses(&meeting, &[cleaned], 13 * HOUR)[0].3, Some(cleaned));
        // A cleaning before the meeting ended does not count for it.
        assert!(uses(&meeting, &[10 * HOUR + 30 * MINUTE_MS], 13 * HOUR)[0].4);
    }

    #[test]
    fn one_cleaning_serves_one_use_and_the_next_use_must_not_start_before_it() {
        let day = [
            (9 * HOUR, 10 * HOUR, false),
            // Back to back (a 3-minute break is one use).
            (10 * HOUR + 3 * MINUTE_MS, 10 * HOUR + 30 * MINUTE_MS, false),
            (14 * HOUR, 15 * HOUR, false),
            (16 * HOUR, 17 * HOUR, false),
        ];
        // One cleaning at 15:10, between the second and third uses.
        let found = uses(&day, &[15 * HOUR + 10 * MINUTE_MS], 20 * HOUR);
        assert_eq!(found.len(), 3);
        assert_eq!(
            (found[0].2, found[0].3, found[0].4),
            (2, None, true),
            "the 14:00 use began first"
        );
        assert_eq!(found[1].3, Some(15 * HOUR + 10 * MINUTE_MS));
        assert!(found[2].4, "the cleaning counted once");
        // Someone still in the room: in use, neither cleaned nor missed.
        let open = uses_of_room(
            "meeting-room-1",
            &[(19 * HOUR, 20 * HOUR, true)],
            &[],
            HOUR,
            23 * HOUR,
        );
        assert!(open[0].in_use && !open[0].missed);
    }
}
