//! Routine hygiene (rule 5) and supplies (rule 6): disinfection rounds of the public
//! zones at the configured times, priority zones first, with a compliance report of
//! missed rounds; meeting rooms after each use and the AC system as records; stock of
//! masks, hand sanitiser, disinfectant and thermometers with low-stock alerts; the
//! entrance thermometers' working status, a broken one being an alert.

use hallguard_domain::hall::Hall;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate::new_id;
use hallguard_proto::incident::v1 as pb;
use sqlx::{AnyPool, Row};

use crate::store::audit;

/// The supplies the plan names.
pub const SUPPLIES: [&str; 4] = ["mask", "hand_sanitiser", "disinfectant", "thermometer"];
/// The kinds of disinfection record.
pub const ROUND_KINDS: [&str; 3] = ["round", "after_use", "ac_system"];

/// Records a disinfection round.
pub async fn record_round(
    pool: &AnyPool,
    site_id: &str,
    zone_id: &str,
    kind: &str,
    done_by: &str,
    agent: &str,
    done_at: i64,
) -> Result<String> {
    let round_id = new_id("round");
    let mut transaction = begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO disinfection_rounds (round_id, site_id, zone_id, kind, done_by, agent, done_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&round_id)
    .bind(site_id)
    .bind(zone_id)
    .bind(kind)
    .bind(done_by)
    .bind(agent)
    .bind(done_at)
    .execute(&mut *transaction)
    .await?;
    audit::append(
        &mut transaction,
        None,
        done_by,
        "disinfection round",
        &serde_json::json!({ "site_id": site_id, "zone_id": zone_id, "kind": kind, "agent": agent }),
    )
    .await?;
    transaction.commit().await?;
    Ok(round_id)
}

/// The rounds due on local day `day` for every public zone, priority zones first, each
/// matched with a round done within the tolerance; a round is missed once its time and
/// tolerance have passed without one.
pub async fn compliance(pool: &AnyPool, hall: &Hall, day: i64, now: i64) -> Result<Vec<pb::RoundDue>> {
    let midnight = day * 86_400_000 - i64::from(hall.utc_offset_minutes) * 60_000;
    let tolerance = i64::from(hall.hygiene.round_tolerance_minutes) * 60_000;
    let mut zones: Vec<_> = hall.zones.iter().filter(|z| z.kind.is_public_space()).collect();
    zones.sort_by_key(|z| (z.disinfection_priority, z.id.clone()));
    let done: Vec<(String, i64)> = sqlx::query(
        "SELECT zone_id, done_at FROM disinfection_rounds
         WHERE site_id = $1 AND kind = 'round' AND done_at >= $2 AND done_at < $3 ORDER BY done_at",
    )
    .bind(&hall.site_id)
    .bind(midnight - tolerance)
    .bind(midnight + 86_400_000 + tolerance)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("zone_id")?, row.try_get("done_at")?)))
    .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for zone in zones {
        let mut used = vec![false; done.len()];
        for minute in hall.hygiene.round_minutes() {
            let due = midnight + i64::from(minute) * 60_000;
            let matched = done
                .iter()
                .enumerate()
                .find(|(i, (z, at))| !used[*i] && z == &zone.id && (at - due).abs() <= tolerance);
            let done_at = matched.map(|(i, (_, at))| {
                used[i] = true;
                *at
            });
            out.push(pb::RoundDue {
                zone_id: zone.id.clone(),
                due_at: Some(millis_to_timestamp(due)),
                done_at: done_at.map(millis_to_timestamp),
                missed: done_at.is_none() && now > due + tolerance,
            });
        }
    }
    Ok(out)
}

fn supply_message(hall: &Hall, supply: &str, on_hand: i64) -> pb::Supply {
    let threshold = hall.hygiene.low_stock.get(supply).copied().unwrap_or(0);
    pb::Supply {
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
    supply: &str,
    delta: i64,
    note: &str,
    by: &str,
    at: i64,
) -> Result<pb::Supply> {
    let mut transaction = begin_write(pool).await?;
    let on_hand: i64 = sqlx::query("SELECT on_hand FROM supplies WHERE site_id = $1 AND supply = $2")
        .bind(&hall.site_id)
        .bind(supply)
        .fetch_optional(&mut *transaction)
        .await?
        .map(|row| row.try_get("on_hand"))
        .transpose()?
        .unwrap_or(0);
    let after = on_hand + delta;
    if after < 0 {
        return Err(ServiceError::precondition(format!(
            "only {on_hand} {supply} on hand: cannot take out {}",
            -delta
        )));
    }
    sqlx::query(
        "INSERT INTO supplies (site_id, supply, on_hand) VALUES ($1, $2, $3)
         ON CONFLICT (site_id, supply) DO UPDATE SET on_hand = excluded.on_hand",
    )
    .bind(&hall.site_id)
    .bind(supply)
    .bind(after)
    .execute(&mut *transaction)
    .await?;
    sqlx::query(
        "INSERT INTO stock_movements (movement_id, site_id, supply, delta, note, moved_by, moved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id("stock"))
    .bind(&hall.site_id)
    .bind(supply)
    .bind(delta)
    .bind(note)
    .bind(by)
    .bind(at)
    .execute(&mut *transaction)
    .await?;
    audit::append(
        &mut transaction,
        None,
        by,
        "stock movement",
        &serde_json::json!({ "site_id": hall.site_id, "supply": supply, "delta": delta, "on_hand": after, "note": note }),
    )
    .await?;
    transaction.commit().await?;
    Ok(supply_message(hall, supply, after))
}

/// Every supply the plan names, with its level.
pub async fn supplies(pool: &AnyPool, hall: &Hall) -> Result<Vec<pb::Supply>> {
    let rows = sqlx::query("SELECT supply, on_hand FROM supplies WHERE site_id = $1")
        .bind(&hall.site_id)
        .fetch_all(pool)
        .await?;
    SUPPLIES
        .iter()
        .map(|supply| {
            let on_hand = rows
                .iter()
                .find(|row| row.try_get::<String, _>("supply").is_ok_and(|s| s == *supply))
                .map(|row| row.try_get::<i64, _>("on_hand"))
                .transpose()?
                .unwrap_or(0);
            Ok(supply_message(hall, supply, on_hand))
        })
        .collect()
}

/// The entrance thermometers from the hall file with their last status (working until
/// reported otherwise).
pub async fn thermometers(pool: &AnyPool, hall: &Hall) -> Result<Vec<pb::Thermometer>> {
    let rows = sqlx::query("SELECT thermometer_id, working, updated_at FROM thermometers WHERE site_id = $1")
        .bind(&hall.site_id)
        .fetch_all(pool)
        .await?;
    hall.gates
        .iter()
        .filter_map(|gate| gate.thermometer_id.as_ref().map(|id| (gate, id)))
        .map(|(gate, id)| {
            let stored = rows
                .iter()
                .find(|row| row.try_get::<String, _>("thermometer_id").is_ok_and(|t| &t == id));
            let (working, updated_at) = match stored {
                Some(row) => (
                    row.try_get::<i64, _>("working")? != 0,
                    Some(row.try_get::<i64, _>("updated_at")?),
                ),
                None => (true, None),
            };
            Ok(pb::Thermometer {
                thermometer_id: id.clone(),
                gate_id: gate.id.clone(),
                working,
                updated_at: updated_at.map(millis_to_timestamp),
            })
        })
        .collect()
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
) -> Result<pb::Thermometer> {
    if !hall.gates.iter().any(|g| g.thermometer_id.as_deref() == Some(id)) {
        return Err(ServiceError::not_found(
            "thermometer_id",
            format!("no thermometer {id:?} at this hall's gates"),
        ));
    }
    let mut transaction = begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO thermometers (site_id, thermometer_id, working, note, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site_id, thermometer_id) DO UPDATE SET working = excluded.working, note = excluded.note,
             updated_at = excluded.updated_at",
    )
    .bind(&hall.site_id)
    .bind(id)
    .bind(i64::from(working))
    .bind(note)
    .bind(at)
    .execute(&mut *transaction)
    .await?;
    audit::append(
        &mut transaction,
        None,
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
