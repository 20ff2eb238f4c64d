//! Routine hygiene (rule 5) and supplies (rule 6): disinfection rounds of the public
//! zones at the configured times, priority zones first, with a compliance report of
//! missed rounds; meeting rooms after each use and the AC system as records; stock of
//! masks, hand sanitiser, disinfectant and thermometers with low-stock alerts; the
//! entrance thermometers' working status, a broken one being an alert.

use hallguard_domain::hall::Hall;
use hallguard_domain::time::{DAY_MS, MINUTE_MS, local_day_start};
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Outbound};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as screening;
use sqlx::AnyPool;

use crate::store::audit::Subject;
use crate::store::hygiene::{Movement, NewRound};
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
}

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
        midnight - tolerance,
        midnight + DAY_MS + tolerance,
    )
    .await?;
    Ok(match_rounds(hall, midnight, tolerance, &done, now))
}

/// Matches rounds done to rounds due, each round done counting once. Pure.
fn match_rounds(
    hall: &Hall,
    midnight: i64,
    tolerance: i64,
    done: &[(String, i64)],
    now: i64,
) -> Vec<RoundDue> {
    let mut zones: Vec<_> = hall.zones.iter().filter(|z| z.kind.is_public_space()).collect();
    zones.sort_by_key(|z| (z.disinfection_priority, z.id.clone()));
    let mut out = Vec::new();
    for zone in zones {
        let mut used = vec![false; done.len()];
        for minute in hall.hygiene.round_minutes() {
            let due = midnight + i64::from(minute) * MINUTE_MS;
            let matched = done
                .iter()
                .enumerate()
                .find(|(i, (z, at))| !used[*i] && z == &zone.id && (at - due).abs() <= tolerance);
            let done_at = matched.map(|(i, (_, at))| {
                used[i] = true;
                *at
            });
            out.push(RoundDue {
                zone_id: zone.id.clone(),
                due_at: due,
                done_at,
                missed: done_at.is_none() && now > due + tolerance,
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
