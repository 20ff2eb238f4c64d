//! Gate statistics per gate and hour: admitted entries, refusals by reason, fevers and
//! suspected cases.

use hallguard_domain::time::HOUR_MS;
use std::collections::BTreeMap;

use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;
use sqlx::{AnyPool, Row};

use crate::decision::{Outcome, Reason};
use crate::gate::reason_message;
use hallguard_platform::error::Result;

#[derive(Debug, Default)]
struct Tally {
    entries: u32,
    refusals: u32,
    by_reason: BTreeMap<Reason, u32>,
    fevers: u32,
    suspected_cases: u32,
}

/// Counts the hall's checks in `[from, to)`, per gate and hour (UTC hours, which are
/// local hours too for whole-hour offsets).
pub async fn gate_hours(
    pool: &AnyPool,
    site_id: &str,
    from: i64,
    to: i64,
    fever_threshold: f64,
) -> Result<Vec<pb::GateHourStatistics>> {
    let rows = sqlx::query(
        "SELECT gate_id, checked_at, decision, reasons, temperature_celsius FROM check_ins
         WHERE site_id = $1 AND checked_at >= $2 AND checked_at < $3",
    )
    .bind(site_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut tallies: BTreeMap<(String, i64), Tally> = BTreeMap::new();
    for row in rows {
        let at: i64 = row.try_get("checked_at")?;
        let decision: String = row.try_get("decision")?;
        let reasons: String = row.try_get("reasons")?;
        let temperature: f64 = row.try_get("temperature_celsius")?;
        let tally = tallies
            .entry((row.try_get("gate_id")?, at.div_euclid(HOUR_MS) * HOUR_MS))
            .or_default();
        if temperature >= fever_threshold {
            tally.fevers += 1;
        }
        match Outcome::from_name(&decision) {
            Some(Outcome::Admitted) => tally.entries += 1,
            Some(Outcome::SuspectedCase) => tally.suspected_cases += 1,
            Some(Outcome::Refused) | None => {
                tally.refusals += 1;
                for reason in reasons.split(',').filter_map(Reason::from_name) {
                    *tally.by_reason.entry(reason).or_default() += 1;
                }
            }
        }
    }
    Ok(tallies
        .into_iter()
        .map(|((gate_id, hour), tally)| pb::GateHourStatistics {
            gate_id,
            hour_start: Some(millis_to_timestamp(hour)),
            entries: tally.entries,
            refusals: tally.refusals,
            refusals_by_reason: tally
                .by_reason
                .into_iter()
                .map(|(reason, count)| pb::ReasonCount {
                    reason: reason_message(reason) as i32,
                    count,
                })
                .collect(),
            fevers: tally.fevers,
            suspected_cases: tally.suspected_cases,
        })
        .collect())
}
