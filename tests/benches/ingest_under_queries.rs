//! Ingest latency while long queries run, through the real contact-tracing service over
//! gRPC. The graph is shared by a read-write lock: an ingest waits for the reads in
//! flight (and no new read starts while it waits), so its latency is bounded by the
//! longest query, which the window limit (366 days), the case limit (100) and the query
//! budget (30 s) bound in turn. This prints both sides: ingest latency alone and beside
//! a client that runs the longest queries back to back, and how long those took.
//!
//! `cargo bench -p hallguard-tests --bench ingest_under_queries -- 200000 10`
//! (200,000 stored intervals first, then 10 s per phase).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hallguard::ServiceRole;
use hallguard_domain::hall::Hall;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    Case, FindClustersRequest, FindTransmissionChainsRequest, IngestPresenceBatchRequest, Place, PlaceKind,
    PresenceInterval,
};
use hallguard_tests::TestHall;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
const DAYS: i64 = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn person(number: u64) -> PersonRef {
    PersonRef {
        site_id: "riverside-hall".into(),
        kind: PersonKind::Visitor as i32,
        person_id: format!("v-{number}"),
    }
}

/// A visitor's stay in a zone: spread over the last `DAYS` days' opening hours.
fn stay(number: u64, zones: &[String], first_day: i64, prefix: &str) -> PresenceInterval {
    let mixed = number.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let day = (mixed % DAYS as u64) as i64;
    let start = first_day + day * DAY + (mixed >> 20) as i64 % (8 * 60 * MINUTE);
    PresenceInterval {
        source_event_id: format!("{prefix}-{number}"),
        person: Some(person(number % 40_000)),
        place: Some(Place {
            kind: PlaceKind::Zone as i32,
            place_id: zones[(mixed >> 40) as usize % zones.len()].clone(),
        }),
        start: Some(millis_to_timestamp(start)),
        end: Some(millis_to_timestamp(
            start + (5 + (mixed >> 50) as i64 % 40) * MINUTE,
        )),
        queue_position: 0,
    }
}

type Client = ContactTracingClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        hallguard_platform::auth::PeerInterceptor,
    >,
>;

struct Figures {
    latencies: Vec<Duration>,
}

impl Figures {
    fn print(&mut self, label: &str) {
        self.latencies.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{label}: {} batches of 200, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.latencies.len(),
            ms(percentile(&self.latencies, 0.5)),
            ms(percentile(&self.latencies, 0.99)),
            ms(*self.latencies.last().unwrap()),
        );
    }
}

#[tokio::main]
async fn main() {
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let stored = numbers.first().copied().unwrap_or(200_000);
    let seconds = numbers.get(1).copied().unwrap_or(10);
    let hall = TestHall::start().await;
    let zones: Vec<String> = Hall::sample().zones.iter().map(|zone| zone.id.clone()).collect();
    let today = now_millis().div_euclid(DAY) * DAY;
    let first_day = today - (DAYS - 1) * DAY;
    let mut client = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    let loading = Instant::now();
    for chunk in (0..stored).collect::<Vec<u64>>().chunks(5_000) {
        let intervals = chunk
            .iter()
            .map(|&n| stay(n, &zones, first_day, "load"))
            .collect();
        client
            .ingest_presence_batch(IngestPresenceBatchRequest { intervals })
            .await
            .unwrap();
    }
    println!(
        "loaded {stored} intervals in {:.1} s",
        loading.elapsed().as_secs_f64()
    );

    let ingest = |client: Client, zones: Vec<String>, prefix: &'static str| async move {
        let mut client = client;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut latencies = Vec::new();
        let mut batch = 0u64;
        while Instant::now() < deadline {
            let intervals = (0..200)
                .map(|n| stay(stored + batch * 200 + n, &zones, first_day, prefix))
                .collect();
            let started = Instant::now();
            client
                .ingest_presence_batch(IngestPresenceBatchRequest { intervals })
                .await
                .unwrap();
            latencies.push(started.elapsed());
            batch += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Figures { latencies }
    };

    let mut alone = ingest(client.clone(), zones.clone(), "alone").await;
    alone.print("ingest alone");

    let analyst = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await)
        .max_decoding_message_size(64 << 20);
    let stop = Arc::new(AtomicBool::new(false));
    let querying = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut analyst = analyst;
            let mut durations: Vec<(&'static str, Duration)> = Vec::new();
            let window = TimeWindow {
                start: Some(millis_to_timestamp(first_day)),
                end: Some(millis_to_timestamp(today + DAY)),
            };
            let cases: Vec<Case> = (0..100)
                .map(|n| Case {
                    person: Some(person(n * 397)),
                    infectious_from: Some(millis_to_timestamp(first_day)),
                })
                .collect();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                analyst
                    .find_clusters(FindClustersRequest {
                        window: Some(window),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                durations.push(("clusters over 20 days", started.elapsed()));
                let started = Instant::now();
                // Refused past the query budget rather than run for ever.
                let _ = analyst
                    .find_transmission_chains(FindTransmissionChainsRequest {
                        cases: cases.clone(),
                        ..Default::default()
                    })
                    .await;
                durations.push(("chains between 100 cases", started.elapsed()));
            }
            durations
        })
    };
    let mut beside = ingest(client.clone(), zones.clone(), "beside").await;
    stop.store(true, Ordering::Relaxed);
    let durations = querying.await.unwrap();
    beside.print("ingest beside long queries");
    for label in ["clusters over 20 days", "chains between 100 cases"] {
        let mut runs: Vec<Duration> = durations.iter().filter(|d| d.0 == label).map(|d| d.1).collect();
        runs.sort();
        if let Some(longest) = runs.last() {
            println!(
                "{label}: {} runs, median {:.0} ms, longest {:.0} ms",
                runs.len(),
                percentile(&runs, 0.5).as_secs_f64() * 1000.0,
                longest.as_secs_f64() * 1000.0
            );
        }
    }
    hall.stop().await;
}
