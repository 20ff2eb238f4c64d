//! Check-ins per second through the real screening service over gRPC, at a given
//! concurrency, with p50 and p99 latency. SQLite by default; PostgreSQL when
//! HALLGUARD_TEST_DATABASE_URL is set. Every call is a full check: decision, queue
//! position, visit, outbox entries, one transaction.
//!
//! `cargo bench -p hallguard-tests --bench check_in -- 16 10` (16 clients for 10 s).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use hallguard::ServiceRole;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::HealthCodeColour;
use hallguard_proto::screening::v1::screening_client::ScreeningClient;
use hallguard_proto::screening::v1::{
    CheckInRequest, HealthCodeIdentity, Itinerary, VisitorIdentity, visitor_identity,
};
use hallguard_tests::TestHall;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let concurrency = numbers.first().copied().unwrap_or(16) as usize;
    let seconds = numbers.get(1).copied().unwrap_or(10);
    let hall = TestHall::start().await;
    let database = if hall.database.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let gates = ["gate-east-in", "gate-west-in"];
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let channel = hall.authed(ServiceRole::Screening, Role::GateDevice).await;
        workers.push(tokio::spawn(async move {
            let mut client = ScreeningClient::new(channel);
            let mut latencies = Vec::new();
            let mut sequence = 0u64;
            while Instant::now() < deadline {
                sequence += 1;
                let id = format!("{worker}-{sequence}");
                let request = CheckInRequest {
                    site_id: "riverside-hall".into(),
                    gate_id: gates[worker % 2].into(),
                    visitor: Some(VisitorIdentity {
                        identity: Some(visitor_identity::Identity::HealthCode(HealthCodeIdentity {
                            id_number: hallguard_tests::resident_id(&id),
                            display_name: format!("Visitor {id}"),
                        })),
                    }),
                    // Every 50th visitor has a fever: refusals are part of the load.
                    temperature_celsius: if sequence.is_multiple_of(50) { 37.8 } else { 36.5 },
                    health_code_colour: HealthCodeColour::Green as i32,
                    itinerary: Some(Itinerary::default()),
                    mask_worn: true,
                    checked_at: Some(millis_to_timestamp(now_millis())),
                    idempotency_key: format!("bench-{id}"),
                    symptoms: Vec::new(),
                    thermometer_id: String::new(),
                };
                let started = Instant::now();
                client.check_in(request).await.expect("check-in succeeds");
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    println!(
        "{database}: {concurrency} clients, {} check-ins in {:.1} s = {:.0}/s; p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    hall.stop().await;
}
