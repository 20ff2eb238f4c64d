//! Disinfection rounds, stock of supplies with every movement, and the entrance
//! thermometers' status.

use hallguard_domain::hall::Surface;
use hallguard_platform::error::Result;
use hallguard_platform::validate::new_id;
use sqlx::{Any, AnyPool, Transaction};

use super::corrupt;
use crate::model::UnknownValue;

/// A round, after-use or AC record as written.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    /// The hall.
    pub site_id: &'a str,
    /// The zone.
    pub zone_id: &'a str,
    /// `round`, `after_use` or `ac_system`.
    pub kind: &'a str,
    /// Who did it.
    pub done_by: &'a str,
    /// The disinfectant used.
    pub agent: &'a str,
    /// When, epoch ms.
    pub done_at: i64,
    /// The high-touch surfaces it reached.
    pub surfaces: &'a [Surface],
}

/// A routine round as done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundDone {
    /// The zone.
    pub zone_id: String,
    /// When, epoch ms.
    pub done_at: i64,
    /// The high-touch surfaces it reached.
    pub surfaces: Vec<Surface>,
}

fn surfaces_json(surfaces: &[Surface]) -> std::result::Result<String, sqlx::Error> {
    serde_json::to_string(&surfaces.iter().map(|s| s.name()).collect::<Vec<_>>()).map_err(corrupt)
}

fn surfaces(json: &str) -> std::result::Result<Vec<Surface>, sqlx::Error> {
    let names: Vec<String> = serde_json::from_str(json).map_err(corrupt)?;
    names
        .into_iter()
        .map(|name| {
            Surface::named(&name).ok_or_else(|| {
                corrupt(UnknownValue {
                    column: "surfaces_json",
                    value: name,
                })
            })
        })
        .collect()
}

/// Stores a round; returns its id.
pub async fn insert_round(transaction: &mut Transaction<'_, Any>, round: &NewRound<'_>) -> Result<String> {
    let round_id = new_id("round");
    sqlx::query(
        "INSERT INTO disinfection_rounds (round_id, site_id, zone_id, kind, done_by, agent, done_at, surfaces_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&round_id)
    .bind(round.site_id)
    .bind(round.zone_id)
    .bind(round.kind)
    .bind(round.done_by)
    .bind(round.agent)
    .bind(round.done_at)
    .bind(surfaces_json(round.surfaces)?)
    .execute(&mut **transaction)
    .await?;
    Ok(round_id)
}

/// The records of one kind (`round`, `after_use`) done at a hall in `[from, until)`,
/// by time.
pub async fn rounds_done(
    pool: &AnyPool,
    site_id: &str,
    kind: &str,
    from: i64,
    until: i64,
) -> Result<Vec<RoundDone>> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT zone_id, done_at, surfaces_json FROM disinfection_rounds
         WHERE site_id = $1 AND kind = $2 AND done_at >= $3 AND done_at < $4 ORDER BY done_at, round_id",
    )
    .bind(site_id)
    .bind(kind)
    .bind(from)
    .bind(until)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(zone_id, done_at, json)| {
            Ok(RoundDone {
                zone_id,
                done_at,
                surfaces: surfaces(&json)?,
            })
        })
        .collect()
}

/// How many of a supply a hall has (0 when never stocked).
pub async fn on_hand(transaction: &mut Transaction<'_, Any>, site_id: &str, supply: &str) -> Result<i64> {
    let on_hand: Option<i64> =
        sqlx::query_scalar("SELECT on_hand FROM supplies WHERE site_id = $1 AND supply = $2")
            .bind(site_id)
            .bind(supply)
            .fetch_optional(&mut **transaction)
            .await?;
    Ok(on_hand.unwrap_or(0))
}

/// A stock movement as written.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    /// The hall.
    pub site_id: &'a str,
    /// The supply.
    pub supply: &'a str,
    /// In (positive) or out (negative).
    pub delta: i64,
    /// The level after it.
    pub on_hand_after: i64,
    /// Why.
    pub note: &'a str,
    /// Who.
    pub moved_by: &'a str,
    /// When, epoch ms.
    pub moved_at: i64,
}

/// Stores a movement and the level it leaves.
pub async fn record_movement(transaction: &mut Transaction<'_, Any>, movement: &Movement<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO supplies (site_id, supply, on_hand) VALUES ($1, $2, $3)
         ON CONFLICT (site_id, supply) DO UPDATE SET on_hand = excluded.on_hand",
    )
    .bind(movement.site_id)
    .bind(movement.supply)
    .bind(movement.on_hand_after)
    .execute(&mut **transaction)
    .await?;
    sqlx::query(
        "INSERT INTO stock_movements (movement_id, site_id, supply, delta, note, moved_by, moved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id("stock"))
    .bind(movement.site_id)
    .bind(movement.supply)
    .bind(movement.delta)
    .bind(movement.note)
    .bind(movement.moved_by)
    .bind(movement.moved_at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Every stocked supply of a hall with its level: `(supply, on_hand)`.
pub async fn levels(pool: &AnyPool, site_id: &str) -> Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT supply, on_hand FROM supplies WHERE site_id = $1")
            .bind(site_id)
            .fetch_all(pool)
            .await?,
    )
}

/// A thermometer's last reported status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ThermometerRow {
    /// The thermometer.
    pub thermometer_id: String,
    /// 1 working, 0 broken.
    pub working: i64,
    /// When reported, epoch ms.
    pub updated_at: i64,
}

/// The reported status of a hall's thermometers.
pub async fn thermometers(pool: &AnyPool, site_id: &str) -> Result<Vec<ThermometerRow>> {
    Ok(
        sqlx::query_as("SELECT thermometer_id, working, updated_at FROM thermometers WHERE site_id = $1")
            .bind(site_id)
            .fetch_all(pool)
            .await?,
    )
}

/// Stores a thermometer's status.
pub async fn set_thermometer(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    thermometer_id: &str,
    working: bool,
    note: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO thermometers (site_id, thermometer_id, working, note, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site_id, thermometer_id) DO UPDATE SET working = excluded.working, note = excluded.note,
             updated_at = excluded.updated_at",
    )
    .bind(site_id)
    .bind(thermometer_id)
    .bind(i64::from(working))
    .bind(note)
    .bind(at)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
