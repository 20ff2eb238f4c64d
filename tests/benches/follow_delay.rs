//! How long an interval stored through one contact-tracing instance takes to reach
//! another that follows the same table: the delay a rolling update or a read replica
//! lives with. Two instances over one database (PostgreSQL when
//! HALLGUARD_TEST_DATABASE_URL is set, else SQLite); each round ingests one interval
//! through A and asks B for the person's trajectory until it is there.
//!
//! `cargo bench -p hallguard-tests --bench follow_delay -- 200` (rounds)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use hallguard::ServiceRole;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    GetTrajectoryRequest, IngestPresenceBatchRequest, Place, PlaceKind, PresenceInterval,
};
use hallguard_tests::TestHall;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let mut hall = TestHall::start().await;
    let replica = hall.replica(ServiceRole::ContactTracing).await;
    let mut through_a =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let mut at_b = ContactTracingClient::new(hall.authed_at(replica, Role::Analyst).await);
    let mut delays = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let person = PersonRef {
            site_id: "riverside-hall".into(),
            kind: PersonKind::Visitor as i32,
            person_id: format!("follow-{round}"),
        };
        let start = now_millis() - 60_000;
        through_a
            .ingest_presence_batch(IngestPresenceBatchRequest {
                intervals: vec![PresenceInterval {
                    person: Some(person.clone()),
                    place: Some(Place {
                        kind: PlaceKind::Zone as i32,
                        place_id: "tax-area".into(),
                    }),
                    start: Some(millis_to_timestamp(start)),
                    end: Some(millis_to_timestamp(start + 30_000)),
                    source_event_id: format!("follow/{round}"),
                    queue_position: 0,
                }],
            })
            .await
            .unwrap();
        let stored = Instant::now();
        loop {
            let stops = at_b
                .get_trajectory(GetTrajectoryRequest {
                    person: Some(person.clone()),
                    window: Some(TimeWindow {
                        start: Some(millis_to_timestamp(start - 60_000)),
                        end: Some(millis_to_timestamp(now_millis())),
                    }),
                })
                .await
                .unwrap()
                .into_inner()
                .stops;
            if !stops.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        delays.push(stored.elapsed());
    }
    delays.sort_unstable();
    println!(
        "follow delay over {rounds} rounds ({}): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (follow interval {} ms)",
        if hall.database.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        percentile(&delays, 0.5).as_secs_f64() * 1e3,
        percentile(&delays, 0.99).as_secs_f64() * 1e3,
        delays.last().unwrap().as_secs_f64() * 1e3,
        hallguard_contact_tracing::follow::FOLLOW_INTERVAL.as_millis()
    );
    hall.stop().await;
}
