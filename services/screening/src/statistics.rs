//! Gate statistics per gate and hour: admitted entries, refusals by reason, fevers and
//! suspected cases (people once: a re-measurement the same day is counted apart), and
//! readings refused because their thermometer was reported broken.

use hallguard_domain::time::HOUR_MS;
use std::collections::BTreeMap;

use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;
use sqlx::AnyPool;

use crate::convert::reason_message;
use crate::decision::{Outcome, Reason};
use crate::store;
use hallguard_platform::error::Result;

#[derive(Debug, Default)]
struct Tally {
    entries: u32,
    refusals: u32,
    by_reason: BTreeMap<Reason, u32>,
    fevers: u32,
    suspected_cases: u32,
    remeasurements: u32,
    untrusted_readings: u32,
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
    let mut tallies: BTreeMap<(String, i64), Tally> = BTreeMap::new();
    for check in store::check_ins::summaries(pool, site_id, from, to).await? {
        let hour = check.checked_at.div_euclid(HOUR_MS) * HOUR_MS;
        let tally = tallies.entry((check.gate_id, hour)).or_default();
        // A re-measurement is the same suspected person again, not another one.
        if check.remeasurement {
            tally.remeasurements += 1;
            continue;
        }
        if check.temperature_celsius >= fever_threshold {
            tally.fevers += 1;
        }
        match check.outcome {
            Outcome::Admitted => tally.entries += 1,
            Outcome::SuspectedCase => tally.suspected_cases += 1,
            Outcome::Refused => {
                tally.refusals += 1;
                for reason in check.reasons {
                    *tally.by_reason.entry(reason).or_default() += 1;
                }
            }
        }
    }
    for (gate_id, at) in store::thermometers::untrusted(pool, site_id, from, to).await? {
        let hour = at.div_euclid(HOUR_MS) * HOUR_MS;
        tallies.entry((gate_id, hour)).or_default().untrusted_readings += 1;
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
            remeasurements: tally.remeasurements,
            untrusted_readings: tally.untrusted_readings,
        })
        .collect())
}
