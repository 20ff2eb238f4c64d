//! A day's meal slots with their diners, and the seat assignments per slot.

use hallguard_platform::error::{Result, ServiceError};
use sqlx::{Any, AnyPool, Transaction};

use super::{texts, texts_json};
use crate::model::MealSlot;

/// Replaces a day's slots (and their seat assignments).
pub async fn replace_day(
    transaction: &mut Transaction<'_, Any>,
    site_id: &str,
    date: &str,
    slots: &[MealSlot],
) -> Result<()> {
    sqlx::query(
        "DELETE FROM seat_assignments WHERE slot_id IN (SELECT slot_id FROM meal_slots WHERE site_id = $1 AND meal_date = $2)",
    )
    .bind(site_id)
    .bind(date)
    .execute(&mut **transaction)
    .await?;
    sqlx::query("DELETE FROM meal_slots WHERE site_id = $1 AND meal_date = $2")
        .bind(site_id)
        .bind(date)
        .execute(&mut **transaction)
        .await?;
    for slot in slots {
        sqlx::query(
            "INSERT INTO meal_slots (slot_id, site_id, meal_date, starts_at, ends_at, departments_json, diners_json, seats)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&slot.slot_id)
        .bind(site_id)
        .bind(date)
        .bind(slot.starts_at)
        .bind(slot.ends_at)
        .bind(texts_json(&slot.departments))
        .bind(texts_json(&slot.diners))
        .bind(i64::from(slot.seats))
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

/// A slot's diners, or NOT_FOUND naming `slot_id`.
pub async fn diners(pool: &AnyPool, site_id: &str, slot_id: &str) -> Result<Vec<String>> {
    let stored: String =
        sqlx::query_scalar("SELECT diners_json FROM meal_slots WHERE slot_id = $1 AND site_id = $2")
            .bind(slot_id)
            .bind(site_id)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found("slot_id", "no such meal slot: generate the day's schedule first")
            })?;
    Ok(texts(&stored)?)
}

/// Replaces a slot's seat assignments: `(staff_id, seat_id)`.
pub async fn replace_assignments(
    transaction: &mut Transaction<'_, Any>,
    slot_id: &str,
    plan: &[(String, String)],
) -> Result<()> {
    sqlx::query("DELETE FROM seat_assignments WHERE slot_id = $1")
        .bind(slot_id)
        .execute(&mut **transaction)
        .await?;
    for (staff_id, seat_id) in plan {
        sqlx::query("INSERT INTO seat_assignments (slot_id, staff_id, seat_id) VALUES ($1, $2, $3)")
            .bind(slot_id)
            .bind(staff_id)
            .bind(seat_id)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}
