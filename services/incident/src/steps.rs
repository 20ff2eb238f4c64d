//! The seven steps, each one transaction with its audit entry, tasks and outbox
//! messages. Order is checked by [`crate::workflow`]; a step out of order is
//! FAILED_PRECONDITION naming the missing step.

use hallguard_domain::hall::Hall;
use hallguard_domain::plan::contact_window_start;
use hallguard_domain::time::now_millis;
use hallguard_platform::db::begin_write;
use hallguard_platform::error::{Result, ServiceError};
use hallguard_platform::outbound::{self, Outbound};
use hallguard_platform::sealing::Sealer;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::TimeWindow;
use hallguard_proto::contact_tracing::v1 as ct;
use hallguard_proto::incident::v1 as pb;
use hallguard_proto::staff_health::v1 as staff_health;
use serde_json::json;
use sqlx::AnyPool;

use crate::contacts::{self, NewContact};
use crate::model::ADDED_BY_HAND;
use crate::model::Incident;
use crate::peers::Tracing;
use crate::store::audit::Subject;
use crate::store::{self, audit, incidents};
use crate::workflow::Step;
use crate::{convert, upward};

/// Loads the incident and checks that `step` may be recorded now.
async fn ready(pool: &AnyPool, incident_id: &str, step: Step) -> Result<Incident> {
    let incident = incidents::load(pool, incident_id).await?;
    incident
        .progress
        .check(step)
        .map_err(|error| ServiceError::precondition(error.to_string()))?;
    Ok(incident)
}

/// Step 1: who reported to whom, when; the duty posts manned.
pub async fn report(
    pool: &AnyPool,
    hall: &Hall,
    incident_id: &str,
    by: &str,
    groups: &[String],
    at: i64,
    posts: &[(String, String)],
) -> Result<Incident> {
    for (index, group) in groups.iter().enumerate() {
        if !hall.groups.iter().any(|g| &g.id == group) {
            return Err(ServiceError::not_found(
                format!("reported_to_groups[{index}]"),
                format!("no group {group:?} in this hall's organisation"),
            ));
        }
    }
    let mut incident = ready(pool, incident_id, Step::Report).await?;
    let mut transaction = begin_write(pool).await?;
    let detail = json!({
        "reported_by": by,
        "reported_to_groups": groups,
        "reported_at_ms": at,
        "duty_posts": posts.iter().map(|(post, staff)| json!({"post": post, "staff_id": staff})).collect::<Vec<_>>(),
    });
    incidents::record_step(&mut transaction, &mut incident, Step::Report, detail, by, true).await?;
    transaction.commit().await?;
    Ok(incident)
}

/// Step 2: the person in an isolation room (one case per room until transfer); the
/// community and the epidemic-prevention center told.
pub async fn isolation(
    pool: &AnyPool,
    hall: &Hall,
    incident_id: &str,
    room_id: &str,
    times: (i64, Option<i64>, Option<i64>),
    by: &str,
) -> Result<Incident> {
    if !hall.isolation_rooms.iter().any(|room| room.id == room_id) {
        return Err(ServiceError::not_found(
            "isolation_room_id",
            format!("no isolation room {room_id:?} in this hall"),
        ));
    }
    let mut incident = ready(pool, incident_id, Step::Isolation).await?;
    let mut transaction = begin_write(pool).await?;
    for other in incidents::in_isolation_room(&mut transaction, room_id, incident_id).await? {
        if !other.progress.is_done(Step::Transfer) && other.progress.state() != 7 {
            return Err(ServiceError::precondition(format!(
                "isolation room {room_id} holds the case of {} until their transfer",
                other.incident_id
            )));
        }
    }
    incident.isolation_room_id = Some(room_id.to_string());
    let (isolated_at, community, center) = times;
    let detail = json!({
        "isolation_room_id": room_id,
        "isolated_at_ms": isolated_at,
        "community_notified_at_ms": community,
        "prevention_center_notified_at_ms": center,
        // The place where the person was held is disinfected on the spot: an order the
        // disinfection post closes (CompleteDisinfection), like step 6's.
        "spot_disinfection": incident.location_id.clone(),
    });
    if !incident.location_id.is_empty() {
        store::disinfection::order_spot(&mut transaction, incident_id, &incident.location_id, isolated_at)
            .await?;
    }
    incidents::record_step(&mut transaction, &mut incident, Step::Isolation, detail, by, true).await?;
    transaction.commit().await?;
    Ok(incident)
}

/// The transfer channels in escalation order.
fn channel_rank(channel: pb::TransferChannel) -> Option<usize> {
    match channel {
        pb::TransferChannel::Family => Some(0),
        pb::TransferChannel::Ambulance120 => Some(1),
        pb::TransferChannel::EpidemicCommand => Some(2),
        pb::TransferChannel::Unspecified => None,
    }
}

/// A transfer attempt in step 3. The plan escalates: family, else 120, else the
/// epidemic command's escort; a channel is tried only after the one before it failed.
/// A successful attempt completes the step and frees the isolation room.
pub async fn transfer_attempt(
    pool: &AnyPool,
    incident_id: &str,
    channel: pb::TransferChannel,
    requested_at: i64,
    departed_at: Option<i64>,
    note: &str,
    by: &str,
) -> Result<Incident> {
    let rank = channel_rank(channel).ok_or_else(|| ServiceError::invalid("channel", "is required"))?;
    let mut incident = ready(pool, incident_id, Step::Transfer).await?;
    if incident.progress.is_done(Step::Transfer) {
        return Err(ServiceError::precondition(
            "the person has already been transferred",
        ));
    }
    let failed: Vec<String> = incidents::steps_of(pool, incident_id)
        .await?
        .iter()
        .filter(|record| record.step == Step::Transfer)
        .filter_map(|record| serde_json::from_str::<serde_json::Value>(&record.detail_json).ok())
        .filter(|detail| detail["succeeded"] == json!(false))
        .filter_map(|detail| detail["channel"].as_str().map(str::to_string))
        .collect();
    let escalation = [
        pb::TransferChannel::Family,
        pb::TransferChannel::Ambulance120,
        pb::TransferChannel::EpidemicCommand,
    ];
    if let Some(previous) = rank.checked_sub(1).map(|i| escalation[i])
        && !failed.iter().any(|c| c == previous.as_str_name())
    {
        return Err(ServiceError::precondition(format!(
            "{} is tried only after {} failed",
            channel.as_str_name(),
            previous.as_str_name()
        )));
    }
    let succeeded = departed_at.is_some();
    let detail = json!({
        "channel": channel.as_str_name(),
        "requested_at_ms": requested_at,
        "succeeded": succeeded,
        "departed_at_ms": departed_at,
        "note": note,
        "escalated_from": rank.checked_sub(1).map(|i| escalation[i].as_str_name()),
    });
    let mut transaction = begin_write(pool).await?;
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::Transfer,
        detail,
        by,
        succeeded,
    )
    .await?;
    transaction.commit().await?;
    Ok(incident)
}

/// Asks contact tracing for the incident's contacts as of now (ring 1, and ring 2 if
/// asked) from 4 days before the event (the national protocol) until now: people who met
/// the person after the event, before isolation (the queue behind them), count too, and
/// so do people still inside with them.
pub async fn traced_contacts(
    tracer: &Tracing,
    incident: &Incident,
    rings: u32,
) -> Result<(ct::FindContactsResponse, Vec<NewContact>)> {
    let occurred = incident.occurred_at;
    let found = tracer
        .find_contacts(ct::FindContactsRequest {
            person: Some(crate::convert::person_ref(&incident.person)),
            window: Some(ct::find_contacts_request::Window::Span(TimeWindow {
                start: Some(millis_to_timestamp(contact_window_start(occurred))),
                end: Some(millis_to_timestamp(now_millis() + 60_000)),
            })),
            rings: rings.clamp(1, 2),
            ..Default::default()
        })
        .await?;
    let mut new_contacts = Vec::new();
    for c in &found.close_contacts {
        new_contacts.push(NewContact {
            person: convert::optional_person(c.person.as_ref(), "close_contacts.person")?,
            name: String::new(),
            phone: String::new(),
            ring: 1,
            evidence: c.exposures.iter().map(convert::exposure_evidence).collect(),
            category: c.category.clone(),
            note: String::new(),
        });
    }
    for c in &found.secondary_contacts {
        new_contacts.push(NewContact {
            person: convert::optional_person(c.person.as_ref(), "secondary_contacts.person")?,
            name: String::new(),
            phone: String::new(),
            ring: 2,
            evidence: c.exposures.iter().map(convert::exposure_evidence).collect(),
            category: c.category.clone(),
            note: format!(
                "via {}",
                c.via.as_ref().map(|v| v.person_id.as_str()).unwrap_or_default()
            ),
        });
    }
    Ok((found, new_contacts))
}

/// Step 4: contacts from contact tracing (ring 1, and ring 2 if asked) with their
/// evidence, contacts added by hand, every on-duty staff member's temperature (a sweep
/// at staff-health, through the outbox), tests ordered. Contact tracing is asked while
/// the duty officer waits; when it is down the step is not recorded (UNAVAILABLE).
#[allow(clippy::too_many_arguments)]
pub async fn tracing(
    pool: &AnyPool,
    sealer: &Sealer,
    tracer: &Tracing,
    incident_id: &str,
    rings: u32,
    manual: &[pb::ManualContact],
    order_tests: bool,
    transport: &str,
    by: &str,
) -> Result<(Incident, usize)> {
    let mut incident = ready(pool, incident_id, Step::Tracing).await?;
    let (found, mut new_contacts) = traced_contacts(tracer, &incident, rings).await?;
    for (index, m) in manual.iter().enumerate() {
        new_contacts.push(NewContact {
            person: convert::optional_person(m.person.as_ref(), &format!("manual_contacts[{index}].person"))?,
            name: m.name.clone(),
            phone: m.phone.clone(),
            ring: 1,
            evidence: Vec::new(),
            category: ADDED_BY_HAND.into(),
            note: m.note.clone(),
        });
    }
    let mut transaction = begin_write(pool).await?;
    for contact in &new_contacts {
        contacts::add(&mut transaction, sealer, &incident, contact).await?;
    }
    let sweep = staff_health::StartTemperatureSweepRequest {
        site_id: incident.site_id().to_string(),
        incident_id: incident.incident_id.clone(),
        idempotency_key: format!("incident/{}/sweep", incident.incident_id),
    };
    let key = sweep.idempotency_key.clone();
    outbound::queue(
        &mut transaction,
        incident.site_id(),
        key,
        &Outbound::StartTemperatureSweep(sweep),
    )
    .await?;
    let detail = json!({
        "rings": rings.clamp(1, 2),
        "close_contacts": found.close_contacts.len(),
        "secondary_contacts": found.secondary_contacts.len(),
        "added_by_hand": manual.len(),
        "transport": transport,
        "tests_ordered": order_tests,
        "staff_temperature_sweep": "requested",
        "index_seen_by_contact_tracing": found.index_seen,
    });
    incidents::record_step(&mut transaction, &mut incident, Step::Tracing, detail, by, true).await?;
    transaction.commit().await?;
    Ok((incident, new_contacts.len()))
}

/// Step 5: the structured report, marked sent to the leadership group, the city
/// epidemic command and the CDC with times. Returns it as JSON and Markdown.
pub async fn upward_report(
    pool: &AnyPool,
    incident_id: &str,
    confirmed: bool,
    sent: (i64, i64, i64),
    by: &str,
    utc_offset_minutes: i32,
) -> Result<(Incident, serde_json::Value, String)> {
    let mut incident = ready(pool, incident_id, Step::UpwardReport).await?;
    let message = convert::incident_message(
        &incident,
        &incidents::steps_of(pool, &incident.incident_id).await?,
    );
    let follow_up: Vec<pb::FollowUpContact> = store::contacts::list(pool, &incident.incident_id)
        .await?
        .iter()
        .map(convert::contact_message)
        .collect();
    let mut report = upward::json(&message, &follow_up, confirmed);
    report["sent"] = json!({
        "leadership_group_at_ms": sent.0,
        "city_epidemic_command_at_ms": sent.1,
        "cdc_at_ms": sent.2,
    });
    let markdown = upward::markdown(&message, &follow_up, confirmed, utc_offset_minutes);
    let mut transaction = begin_write(pool).await?;
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::UpwardReport,
        report.clone(),
        by,
        true,
    )
    .await?;
    transaction.commit().await?;
    Ok((incident, report, markdown))
}

/// Step 6, ordering: the isolation room's zone and every zone on the person's
/// trajectory over the tracing window, one order each for the disinfection post.
pub async fn order_disinfection(
    pool: &AnyPool,
    hall: &Hall,
    tracer: &Tracing,
    incident_id: &str,
    by: &str,
) -> Result<(Incident, Vec<String>)> {
    let mut incident = ready(pool, incident_id, Step::Disinfection).await?;
    let occurred = incident.occurred_at;
    let trajectory = tracer
        .trajectory(ct::GetTrajectoryRequest {
            person: Some(crate::convert::person_ref(&incident.person)),
            window: Some(TimeWindow {
                start: Some(millis_to_timestamp(contact_window_start(occurred))),
                end: Some(millis_to_timestamp(now_millis() + 60_000)),
            }),
        })
        .await?;
    let mut zones: Vec<String> = Vec::new();
    if let Some(room) = incident
        .isolation_room_id
        .as_ref()
        .and_then(|id| hall.isolation_rooms.iter().find(|r| &r.id == id))
    {
        zones.push(room.zone_id.clone());
    }
    if hall.zone(&incident.location_id).is_some() {
        zones.push(incident.location_id.clone());
    }
    for stop in trajectory.stops {
        if let Some(place) = stop.place.filter(|p| p.kind == ct::PlaceKind::Zone as i32) {
            zones.push(place.place_id);
        }
    }
    zones.sort();
    zones.dedup();
    let now = now_millis();
    let mut transaction = begin_write(pool).await?;
    store::disinfection::order(&mut transaction, incident_id, &zones, now).await?;
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::Disinfection,
        json!({ "ordered_zones": zones }),
        by,
        zones.is_empty(),
    )
    .await?;
    transaction.commit().await?;
    Ok((incident, zones))
}

/// Step 6, closing one order; the step is done when every order is.
pub async fn complete_disinfection(
    pool: &AnyPool,
    incident_id: &str,
    zone_id: &str,
    done_by: &str,
    agent: &str,
    done_at: i64,
) -> Result<Incident> {
    if store::disinfection::open_step(pool, incident_id, zone_id).await? == Some(2) {
        return complete_spot_disinfection(pool, incident_id, zone_id, done_by, agent, done_at).await;
    }
    let mut incident = ready(pool, incident_id, Step::Disinfection).await?;
    let mut transaction = begin_write(pool).await?;
    if !store::disinfection::complete(&mut transaction, incident_id, zone_id, done_by, agent, done_at).await?
    {
        return Err(ServiceError::not_found(
            "zone_id",
            "no open disinfection order for this zone",
        ));
    }
    let open = store::disinfection::open_count(&mut transaction, incident_id).await?;
    let detail = json!({ "zone_id": zone_id, "done_by": done_by, "agent": agent, "done_at_ms": done_at, "orders_open": open });
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::Disinfection,
        detail,
        done_by,
        open == 0,
    )
    .await?;
    transaction.commit().await?;
    Ok(incident)
}

/// Closes step 2's spot disinfection order (any time after step 2), with an audit entry.
async fn complete_spot_disinfection(
    pool: &AnyPool,
    incident_id: &str,
    place_id: &str,
    done_by: &str,
    agent: &str,
    done_at: i64,
) -> Result<Incident> {
    let incident = incidents::load(pool, incident_id).await?;
    let mut transaction = begin_write(pool).await?;
    if !store::disinfection::complete(&mut transaction, incident_id, place_id, done_by, agent, done_at)
        .await?
    {
        return Err(ServiceError::not_found(
            "zone_id",
            "no open disinfection order for this place",
        ));
    }
    audit::append(
        &mut transaction,
        Subject::Incident(incident_id),
        done_by,
        "spot disinfection done",
        &json!({ "place_id": place_id, "agent": agent, "done_at_ms": done_at }),
    )
    .await?;
    transaction.commit().await?;
    Ok(incident)
}

/// Step 7: aftermath notes.
pub async fn aftermath(pool: &AnyPool, incident_id: &str, notes: &str, by: &str) -> Result<Incident> {
    let mut incident = ready(pool, incident_id, Step::Aftermath).await?;
    let mut transaction = begin_write(pool).await?;
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::Aftermath,
        json!({ "notes": notes }),
        by,
        true,
    )
    .await?;
    transaction.commit().await?;
    Ok(incident)
}

/// Information discipline: a statement is released only after the upward report, with
/// the approval of a leadership member ([`crate::organisation::leadership_approver`]).
pub async fn approve_statement(
    pool: &AnyPool,
    incident_id: &str,
    statement: &str,
    approved_by: &str,
) -> Result<Incident> {
    let mut incident = incidents::load(pool, incident_id).await?;
    if !incident.progress.is_done(Step::UpwardReport) {
        return Err(ServiceError::precondition(
            "step 5 (upward report) must be recorded before a statement is released",
        ));
    }
    let mut transaction = begin_write(pool).await?;
    incidents::record_step(
        &mut transaction,
        &mut incident,
        Step::Aftermath,
        json!({ "statement": statement, "approved_by": approved_by }),
        approved_by,
        false,
    )
    .await?;
    transaction.commit().await?;
    Ok(incident)
}

/// Closes the incident once the aftermath is recorded.
pub async fn close(pool: &AnyPool, incident_id: &str, by: &str) -> Result<Incident> {
    let mut incident = incidents::load(pool, incident_id).await?;
    incident
        .progress
        .check_close()
        .map_err(|error| ServiceError::precondition(error.to_string()))?;
    incident.progress.close();
    let mut transaction = begin_write(pool).await?;
    incidents::save(&mut transaction, &incident).await?;
    audit::append(
        &mut transaction,
        Subject::Incident(incident_id),
        by,
        "close",
        &json!({}),
    )
    .await?;
    transaction.commit().await?;
    Ok(incident)
}
