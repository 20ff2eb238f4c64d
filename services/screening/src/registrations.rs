//! People without a health code (无码人员), registered by hand; and the reports for their
//! community when recent travel to a risk area pauses their entry.

use hallguard_domain::hall::Hall;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::Result;
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_platform::validate::new_id;
use hallguard_proto::screening::v1 as pb;
use sqlx::AnyPool;

use crate::model::{CommunityReport, Registered, Registration};
use crate::risk;
use crate::store;

/// Registers a person; risk-area travel in the look-back window pauses entry and queues
/// a report for their community. The same idempotency key answers the first outcome.
pub async fn register(
    pool: &AnyPool,
    sealer: &Sealer,
    hall: &Hall,
    registration: &Registration,
) -> Result<Registered> {
    if let Some((registration_id, entry_paused, report_id)) =
        store::registrations::by_key(pool, &registration.idempotency_key).await?
    {
        let community_report = match report_id {
            Some(id) => Some(store::registrations::report(pool, &id).await?),
            None => None,
        };
        return Ok(Registered {
            registration_id,
            entry_paused,
            community_report,
        });
    }
    let mut transaction = begin_write(pool).await?;
    let listings = store::risk_areas::listings(&mut *transaction).await?;
    let risk_regions = risk::risk_regions_visited(
        &listings,
        &registration.travel,
        registration.at,
        hall.screening.risk_lookback_days,
    );
    let registration_id = new_id("reg");
    let report = (!risk_regions.is_empty()).then(|| CommunityReport {
        report_id: new_id("rep"),
        site_id: hall.site_id.clone(),
        registration_id: registration_id.clone(),
        community_region_code: registration.residence_region_code.clone(),
        risk_region_codes: risk_regions,
        created_at: registration.at,
        acknowledged_at: None,
        acknowledged_by: None,
    });
    if let Some(report) = &report {
        store::registrations::insert_report(&mut transaction, report).await?;
    }
    store::registrations::insert_registration(
        &mut transaction,
        sealer,
        &registration_id,
        &hall.site_id,
        registration,
        report.as_ref().map(|r| r.report_id.as_str()),
    )
    .await?;
    transaction.commit().await?;
    Ok(Registered {
        registration_id,
        entry_paused: report.is_some(),
        community_report: report,
    })
}

/// Fills in a community report the registrant's name, phone, residence and travel, for
/// the community to act on.
pub async fn fill_identity(
    pool: &AnyPool,
    sealer: &Sealer,
    site_id: &str,
    report: &mut pb::CommunityReport,
) -> Result<()> {
    if let Some((name, phone, residence, _)) =
        store::registrations::identity(pool, sealer, site_id, &report.registration_id).await?
    {
        report.name = name;
        report.phone = phone;
        report.residence = residence;
    }
    if let Some((_, travel)) = store::registrations::for_gate(pool, site_id, &report.registration_id).await? {
        report.travel_history = travel
            .into_iter()
            .map(|visit| pb::PlaceVisit {
                region_code: visit.region_code,
                visited_at: Some(millis_to_timestamp(visit.at)),
            })
            .collect();
    }
    Ok(())
}
