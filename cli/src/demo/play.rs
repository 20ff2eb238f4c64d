//! Plays a planned day against the services, as the hall's devices would: gate checks in
//! time order at each gate (queue places depend on it), then the visits, staff shifts and
//! lunches, which are independent of each other and go in parallel.

use std::collections::HashMap;

use hallguard_domain::hall::Hall;
use hallguard_domain::time::{DAY_MS, MINUTE_MS, format_date};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::ZoneRef;
use hallguard_proto::screening::v1::{
    AddRiskAreaRequest, CheckInRequest, CheckInResponse, CheckOutRequest, CloseOpenVisitsRequest,
    EnterZoneRequest, HealthCodeIdentity, Itinerary, LeaveZoneRequest, PlaceVisit,
    RegisterWithoutCodeRequest, RiskArea, RiskLevel, VisitorIdentity, visitor_identity,
};
use hallguard_proto::staff_health::v1::{
    AssignSeatsRequest, ClockInRequest, ClockOutRequest, GenerateMealScheduleRequest, ImportRosterRequest,
    LeaveSeatRequest, ListStaffRequest, MealSlot, MorningCheck, RecordMorningCheckRequest, SitDownRequest,
    SubmitHealthReportRequest, SubmitHealthReportResponse, Symptom,
};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

use super::day::{DayPlan, RISK_REGION_PREFIX, SCENARIO_TWO_STAFF, StaffPlan, VisitorPlan};
use super::{Clients, DemoError};

/// Parallel streams of visits and of staff days.
const STREAMS: usize = 8;

/// What the gates answered, per visitor in the plan's order.
#[derive(Debug, Clone)]
pub struct GateAnswer {
    /// The gate's decision and reasons.
    pub response: CheckInResponse,
    /// The registration, for a visitor without a code.
    pub registration_id: Option<String>,
    /// The gate's answer to a re-measurement, if the visitor was measured again.
    pub remeasurement: Option<CheckInResponse>,
}

/// What the day left behind that the summary and the response need.
#[derive(Debug, Clone)]
pub struct Played {
    /// Gate answers, in the plan's visitor order.
    pub gate_answers: Vec<GateAnswer>,
    /// Registrations without a code whose entry was paused.
    pub paused_registrations: usize,
    /// Staff sent home by their morning check.
    pub unfit_staff: Vec<String>,
    /// Lunch slots.
    pub meal_slots: Vec<MealSlot>,
    /// Where each diner was seated: staff id to (slot id, seat).
    pub seats: HashMap<String, (String, String)>,
    /// The colleague who sat next to the scenario-2 staff member against the plan, and where.
    pub off_plan_neighbour: Option<(String, String)>,
    /// Scenario 2's health report.
    pub scenario_two: SubmitHealthReportResponse,
    /// gRPC calls made.
    pub calls: u64,
}

/// Prepares the hall: a published high-risk area and the sample roster. Returns the
/// staff (id, work zone).
pub async fn setup(clients: &Clients, hall: &Hall) -> Result<Vec<(String, String)>, DemoError> {
    let site = &hall.site_id;
    clients
        .screening_desk
        .clone()
        .add_risk_area(AddRiskAreaRequest {
            area: Some(RiskArea {
                region_code_prefix: RISK_REGION_PREFIX.into(),
                name: "Published high-risk area".into(),
                level: RiskLevel::High as i32,
                effective_from: Some(millis_to_timestamp(
                    hallguard_domain::time::now_millis() - 60 * DAY_MS,
                )),
                ..Default::default()
            }),
        })
        .await
        .map_err(DemoError::call("publishing the risk area"))?;
    let mut desk = clients.staff_desk.clone();
    desk.import_roster(ImportRosterRequest {
        site_id: site.clone(),
        csv: hallguard_staff_health::SAMPLE_ROSTER_CSV.into(),
    })
    .await
    .map_err(DemoError::call("importing the sample roster"))?;
    let staff = desk
        .list_staff(ListStaffRequest {
            site_id: site.clone(),
            page: Some(hallguard_proto::common::v1::PageRequest {
                page_size: 1000,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .map_err(DemoError::call("listing the staff"))?
        .into_inner()
        .members;
    Ok(staff
        .into_iter()
        .filter_map(|member| {
            let zone = member.work_zone_ids.first()?.clone();
            Some((member.staff_id, zone))
        })
        .collect())
}

fn progress_bar(plan: &DayPlan, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let visits: usize = plan
        .visitors
        .iter()
        .map(|v| 1 + 2 * v.stays.len() + usize::from(v.leaves_at.is_some()))
        .sum();
    let bar = ProgressBar::new((visits + plan.staff.len() * 8) as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>22} [{wide_bar}] {pos}/{len} calls ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Sends the day: morning checks, the meal plan, every gate check, then visits and staff
/// days in parallel, and the hall's closing.
pub async fn play_day(
    clients: &Clients,
    hall: &Hall,
    plan: &DayPlan,
    progress: bool,
) -> Result<Played, DemoError> {
    let bar = progress_bar(plan, progress);
    let site = hall.site_id.clone();
    bar.set_message("morning checks");
    let unfit_staff = morning_checks(clients, &site, plan, &bar).await?;
    let (meal_slots, seats) = seat_the_canteen(clients, &site, plan).await?;
    bar.set_message("gate checks");
    let (gate_answers, paused_registrations) = gate_checks(clients, &site, plan, &bar).await?;
    bar.set_message("visits, shifts, lunch");
    let off_plan_neighbour = off_plan_neighbour(&seats);
    let mut tasks = JoinSet::new();
    for stream in 0..STREAMS {
        let (clients, site, bar) = (clients.clone(), site.clone(), bar.clone());
        let visits: Vec<(VisitorPlan, GateAnswer)> = plan
            .visitors
            .iter()
            .zip(&gate_answers)
            .skip(stream)
            .step_by(STREAMS)
            .map(|(v, a)| (v.clone(), a.clone()))
            .collect();
        tasks.spawn(async move {
            for (visitor, answer) in visits {
                visit(&clients, &site, &visitor, &answer, &bar).await?;
            }
            Ok::<_, DemoError>(None)
        });
    }
    for stream in 0..STREAMS {
        let (clients, site, bar) = (clients.clone(), site.clone(), bar.clone());
        let days: Vec<StaffPlan> = plan
            .staff
            .iter()
            .filter(|s| !unfit_staff.contains(&s.staff_id))
            .skip(stream)
            .step_by(STREAMS)
            .cloned()
            .collect();
        let (seats, slots, neighbour) = (seats.clone(), meal_slots.clone(), off_plan_neighbour.clone());
        tasks.spawn(async move {
            let mut report = None;
            for staff in days {
                let lunch = lunch_of(&staff, &seats, &slots, neighbour.as_ref());
                if let Some(found) = staff_day(&clients, &site, &staff, lunch, &bar).await? {
                    report = Some(found);
                }
            }
            Ok(report)
        });
    }
    let mut scenario_two = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.map_err(|error| DemoError::Stalled(error.to_string()))??;
        if outcome.is_some() {
            scenario_two = outcome;
        }
    }
    clients
        .screening_desk
        .clone()
        .close_open_visits(CloseOpenVisitsRequest {
            site_id: site.clone(),
            closed_at: Some(millis_to_timestamp(plan.closes_at)),
        })
        .await
        .map_err(DemoError::call("closing the hall"))?;
    bar.finish_and_clear();
    let scenario_two = scenario_two
        .ok_or_else(|| DemoError::Stalled(format!("{SCENARIO_TWO_STAFF} never reported at lunch")))?;
    Ok(Played {
        gate_answers,
        paused_registrations,
        unfit_staff,
        meal_slots,
        seats,
        off_plan_neighbour,
        scenario_two,
        calls: bar.position(),
    })
}

async fn morning_checks(
    clients: &Clients,
    site: &str,
    plan: &DayPlan,
    bar: &ProgressBar,
) -> Result<Vec<String>, DemoError> {
    let mut kiosk = clients.kiosk.clone();
    let mut unfit = Vec::new();
    for staff in &plan.staff {
        let Some((at, temperature)) = staff.morning_check else {
            continue;
        };
        let answer = kiosk
            .record_morning_check(RecordMorningCheckRequest {
                check: Some(MorningCheck {
                    site_id: site.into(),
                    staff_id: staff.staff_id.clone(),
                    work_date: format_date(plan.date),
                    temperature_celsius: temperature,
                    health_code_colour: 1,
                    checked_at: Some(millis_to_timestamp(at)),
                    ..Default::default()
                }),
                idempotency_key: format!("demo/morning/{}/{}", plan.date, staff.staff_id),
            })
            .await
            .map_err(DemoError::call(format!("morning check of {}", staff.staff_id)))?
            .into_inner();
        bar.inc(1);
        if !answer.fit_for_duty {
            unfit.push(staff.staff_id.clone());
        }
    }
    Ok(unfit)
}

type Seats = HashMap<String, (String, String)>;

async fn seat_the_canteen(
    clients: &Clients,
    site: &str,
    plan: &DayPlan,
) -> Result<(Vec<MealSlot>, Seats), DemoError> {
    let mut desk = clients.staff_desk.clone();
    let slots = desk
        .generate_meal_schedule(GenerateMealScheduleRequest {
            site_id: site.into(),
            date: format_date(plan.date),
        })
        .await
        .map_err(DemoError::call("planning the meal slots"))?
        .into_inner()
        .slots;
    let mut seats = HashMap::new();
    for slot in &slots {
        let assigned = desk
            .assign_seats(AssignSeatsRequest {
                site_id: site.into(),
                slot_id: slot.slot_id.clone(),
                assignments: Vec::new(),
            })
            .await
            .map_err(DemoError::call(format!("seating slot {}", slot.slot_id)))?
            .into_inner()
            .assignments;
        for seat in assigned {
            seats.insert(seat.staff_id, (slot.slot_id.clone(), seat.seat_id));
        }
    }
    Ok((slots, seats))
}

/// Scenario 2 needs someone at the next seat: the first other diner of the same slot sits
/// there instead of at their assigned seat (what tracing sees is where people sat).
fn off_plan_neighbour(seats: &Seats) -> Option<(String, String)> {
    let (slot, seat) = seats.get(SCENARIO_TWO_STAFF)?;
    let (table, place) = seat.split_once('-')?;
    let side = place.chars().next()?;
    let position: u32 = place[1..].parse().ok()?;
    let next = if position > 1 { position - 1 } else { position + 1 };
    let mut others: Vec<&String> = seats
        .iter()
        .filter(|(staff, (other_slot, _))| *other_slot == *slot && staff.as_str() != SCENARIO_TWO_STAFF)
        .map(|(staff, _)| staff)
        .collect();
    others.sort();
    let neighbour = others.first()?;
    Some(((*neighbour).clone(), format!("{table}-{side}{next}")))
}

/// Where and when a staff member eats: slot start, seat.
fn lunch_of(
    staff: &StaffPlan,
    seats: &Seats,
    slots: &[MealSlot],
    neighbour: Option<&(String, String)>,
) -> Option<(i64, String)> {
    let (slot_id, seat) = seats.get(&staff.staff_id)?;
    let slot = slots.iter().find(|s| &s.slot_id == slot_id)?;
    let starts = hallguard_platform::timestamps::timestamp_to_millis(slot.starts_at.as_ref()?);
    let seat = match neighbour {
        Some((who, off_plan)) if *who == staff.staff_id => off_plan.clone(),
        _ => seat.clone(),
    };
    Some((starts, seat))
}

fn identity(visitor: &VisitorPlan, registration_id: Option<&String>) -> VisitorIdentity {
    let identity = match registration_id {
        Some(id) => visitor_identity::Identity::RegistrationId(id.clone()),
        None => visitor_identity::Identity::HealthCode(HealthCodeIdentity {
            id_number: visitor.id_number.clone(),
            display_name: visitor.name.clone(),
        }),
    };
    VisitorIdentity {
        identity: Some(identity),
    }
}

fn itinerary(visitor: &VisitorPlan) -> Vec<PlaceVisit> {
    visitor
        .travel
        .iter()
        .map(|(region, days)| PlaceVisit {
            region_code: region.clone(),
            visited_at: Some(millis_to_timestamp(visitor.checked_at - days * DAY_MS)),
        })
        .collect()
}

/// Every gate check, in time order per gate (each gate's queue numbers depend on it);
/// the gates run side by side.
async fn gate_checks(
    clients: &Clients,
    site: &str,
    plan: &DayPlan,
    bar: &ProgressBar,
) -> Result<(Vec<GateAnswer>, usize), DemoError> {
    let mut gates: Vec<String> = plan.visitors.iter().map(|v| v.gate.clone()).collect();
    gates.sort();
    gates.dedup();
    let mut tasks = JoinSet::new();
    for gate in gates {
        let queue: Vec<(usize, VisitorPlan)> = plan
            .visitors
            .iter()
            .enumerate()
            .filter(|(_, v)| v.gate == gate)
            .map(|(n, v)| (n, v.clone()))
            .collect();
        let (mut client, site, bar) = (clients.gate.clone(), site.to_string(), bar.clone());
        tasks.spawn(async move {
            let mut answers = Vec::new();
            for (n, visitor) in queue {
                let answer = check_in(&mut client, &site, &visitor).await?;
                bar.inc(1);
                answers.push((n, answer));
            }
            Ok::<_, DemoError>(answers)
        });
    }
    let mut answers = vec![None; plan.visitors.len()];
    while let Some(joined) = tasks.join_next().await {
        for (n, answer) in joined.map_err(|error| DemoError::Stalled(error.to_string()))?? {
            answers[n] = Some(answer);
        }
    }
    let answers: Vec<GateAnswer> = answers.into_iter().flatten().collect();
    let paused = plan
        .visitors
        .iter()
        .zip(&answers)
        .filter(|(v, a)| {
            v.without_code.is_some()
                && a.response.decision() != hallguard_proto::screening::v1::Decision::Admitted
        })
        .count();
    Ok((answers, paused))
}

async fn check_in(
    client: &mut hallguard_proto::screening::v1::screening_client::ScreeningClient<super::Authed>,
    site: &str,
    visitor: &VisitorPlan,
) -> Result<GateAnswer, DemoError> {
    let mut registration_id = None;
    if let Some(no_code) = &visitor.without_code {
        let registered = client
            .register_without_code(RegisterWithoutCodeRequest {
                site_id: site.into(),
                name: visitor.name.clone(),
                phone: no_code.phone.clone(),
                residence: "given at the gate".into(),
                residence_region_code: no_code.residence_region_code.clone(),
                travel_history: itinerary(visitor),
                registered_at: Some(millis_to_timestamp(visitor.checked_at - MINUTE_MS)),
                idempotency_key: format!("demo/register/{}", visitor.id_number),
            })
            .await
            .map_err(DemoError::call(format!("registering {}", visitor.name)))?
            .into_inner();
        registration_id = Some(registered.registration_id);
    }
    let request = CheckInRequest {
        site_id: site.into(),
        gate_id: visitor.gate.clone(),
        visitor: Some(identity(visitor, registration_id.as_ref())),
        temperature_celsius: visitor.temperature,
        health_code_colour: visitor.colour,
        itinerary: Some(Itinerary {
            places: if registration_id.is_some() {
                Vec::new()
            } else {
                itinerary(visitor)
            },
            risk_flag: false,
        }),
        mask_worn: visitor.mask,
        checked_at: Some(millis_to_timestamp(visitor.checked_at)),
        idempotency_key: format!("demo/check-in/{}", visitor.id_number),
        symptoms: Vec::new(),
        thermometer_id: String::new(),
    };
    let checking = || DemoError::call(format!("checking {} at {}", visitor.name, visitor.gate));
    let response = client
        .check_in(request.clone())
        .await
        .map_err(checking())?
        .into_inner();
    let mut remeasurement = None;
    if let Some((at, temperature_celsius)) = visitor.remeasured {
        let again = CheckInRequest {
            temperature_celsius,
            checked_at: Some(millis_to_timestamp(at)),
            idempotency_key: format!("demo/check-in/{}/again", visitor.id_number),
            ..request
        };
        remeasurement = Some(client.check_in(again).await.map_err(checking())?.into_inner());
    }
    Ok(GateAnswer {
        response,
        registration_id,
        remeasurement,
    })
}

/// One admitted visitor's zones and exit.
async fn visit(
    clients: &Clients,
    site: &str,
    visitor: &VisitorPlan,
    answer: &GateAnswer,
    bar: &ProgressBar,
) -> Result<(), DemoError> {
    if answer.response.decision() != hallguard_proto::screening::v1::Decision::Admitted {
        return Ok(());
    }
    let mut gate = clients.gate.clone();
    let person_id = &answer.response.person_id;
    for (n, (zone, from, to)) in visitor.stays.iter().enumerate() {
        let zone_ref = ZoneRef {
            site_id: site.into(),
            zone_id: zone.clone(),
        };
        gate.enter_zone(EnterZoneRequest {
            zone: Some(zone_ref.clone()),
            person_id: person_id.clone(),
            entered_at: Some(millis_to_timestamp(*from)),
            idempotency_key: format!("demo/zone/{}/{n}", visitor.id_number),
        })
        .await
        .map_err(DemoError::call(format!("{} entering {zone}", visitor.name)))?;
        gate.leave_zone(LeaveZoneRequest {
            zone: Some(zone_ref),
            person_id: person_id.clone(),
            left_at: Some(millis_to_timestamp(*to)),
        })
        .await
        .map_err(DemoError::call(format!("{} leaving {zone}", visitor.name)))?;
        bar.inc(2);
    }
    if let Some(leaves_at) = visitor.leaves_at {
        gate.check_out(CheckOutRequest {
            site_id: site.into(),
            gate_id: "gate-south-out".into(),
            visitor: Some(identity(visitor, answer.registration_id.as_ref())),
            checked_out_at: Some(millis_to_timestamp(leaves_at)),
            idempotency_key: format!("demo/check-out/{}", visitor.id_number),
        })
        .await
        .map_err(DemoError::call(format!("{} leaving the hall", visitor.name)))?;
        bar.inc(1);
    }
    Ok(())
}

/// A staff member's day: at their window, lunch at their seat, back to work, home. The
/// scenario-2 staff member reports fever, cough and sore throat at lunch and does not
/// go back to work. Returns that report.
async fn staff_day(
    clients: &Clients,
    site: &str,
    staff: &StaffPlan,
    lunch: Option<(i64, String)>,
    bar: &ProgressBar,
) -> Result<Option<SubmitHealthReportResponse>, DemoError> {
    let mut kiosk = clients.kiosk.clone();
    let who = &staff.staff_id;
    let clock_in = |at: i64, key: &str| ClockInRequest {
        site_id: site.into(),
        staff_id: who.clone(),
        zone_id: staff.zone.clone(),
        at: Some(millis_to_timestamp(at)),
        idempotency_key: format!("demo/{key}/{who}"),
    };
    let clock_out = |at: i64| ClockOutRequest {
        site_id: site.into(),
        staff_id: who.clone(),
        at: Some(millis_to_timestamp(at)),
    };
    let call = |what: &str| DemoError::call(format!("{who}: {what}"));
    kiosk
        .clock_in(clock_in(staff.arrives_at, "in"))
        .await
        .map_err(call("clocking in"))?;
    bar.inc(1);
    let mut report = None;
    if let Some((slot_starts, seat)) = lunch {
        let sits_at = slot_starts + staff.lunch.0 * MINUTE_MS;
        kiosk
            .clock_out(clock_out(sits_at - MINUTE_MS))
            .await
            .map_err(call("clocking out for lunch"))?;
        kiosk
            .sit_down(SitDownRequest {
                site_id: site.into(),
                staff_id: who.clone(),
                seat_id: seat.clone(),
                at: Some(millis_to_timestamp(sits_at)),
                idempotency_key: format!("demo/sit/{who}"),
            })
            .await
            .map_err(call("sitting down"))?;
        let mut eats_until = sits_at + staff.lunch.1 * MINUTE_MS;
        if who == SCENARIO_TWO_STAFF {
            let reported_at = sits_at + 10 * MINUTE_MS;
            let answer = kiosk
                .submit_health_report(SubmitHealthReportRequest {
                    site_id: site.into(),
                    staff_id: who.clone(),
                    temperature_celsius: 37.8,
                    symptoms: vec![Symptom::Cough as i32, Symptom::SoreThroat as i32],
                    reported_at: Some(millis_to_timestamp(reported_at)),
                    zone_id: "canteen".into(),
                    note: "coughing at lunch; the canteen manager reports".into(),
                    idempotency_key: format!("demo/report/{who}"),
                })
                .await
                .map_err(call("reporting symptoms"))?
                .into_inner();
            report = Some(answer);
            eats_until = reported_at + 2 * MINUTE_MS;
        }
        kiosk
            .leave_seat(LeaveSeatRequest {
                site_id: site.into(),
                staff_id: who.clone(),
                at: Some(millis_to_timestamp(eats_until)),
            })
            .await
            .map_err(call("leaving the seat"))?;
        bar.inc(3);
        if report.is_some() {
            // Taken to the isolation room: no afternoon at the window.
            return Ok(report);
        }
        kiosk
            .clock_in(clock_in(eats_until + 2 * MINUTE_MS, "back"))
            .await
            .map_err(call("clocking back in"))?;
        bar.inc(1);
    }
    kiosk
        .clock_out(clock_out(staff.leaves_at))
        .await
        .map_err(call("clocking out"))?;
    bar.inc(1);
    Ok(report)
}
