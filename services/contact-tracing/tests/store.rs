//! The presence store on both databases: a rebuild reads every stored interval exactly
//! once, in time order, however the rows fall into pages.
#![allow(clippy::unwrap_used)]

use hallguard_contact_tracing::convert::Ingested;
use hallguard_contact_tracing::store;
use hallguard_platform::db::Database;
use hallguard_platform::testing::TestDatabase;
use hallguard_tracing_engine::{PersonKey, PersonKind, PlaceKey, PlaceKind, Presence};

fn interval(event: &str, person: &str, start: i64) -> Ingested {
    Ingested {
        source_event_id: event.into(),
        presence: Presence {
            person: PersonKey {
                site_id: "riverside-hall".into(),
                kind: PersonKind::Visitor,
                person_id: person.into(),
            },
            place: PlaceKey {
                site_id: "riverside-hall".into(),
                kind: PlaceKind::Zone,
                place_id: "tax-area".into(),
            },
            start,
            end: Some(start + 60_000),
            queue_position: 0,
        },
    }
}

#[tokio::test]
async fn pages_return_every_interval_once_in_time_order() {
    let test = TestDatabase::new();
    let database = Database::open(
        &test.target("contact-tracing"),
        Some(sqlx::migrate!("./migrations")),
    )
    .await
    .unwrap();
    // Two rows share a start time, so a page may end between them.
    let rows = vec![
        interval("e5", "p5", 5_000),
        interval("e1", "p1", 1_000),
        interval("e3b", "p3", 3_000),
        interval("e3a", "p2", 3_000),
        interval("e4", "p4", 4_000),
    ];
    store::insert(&database.pool, rows).await.unwrap();
    for page_rows in [1, 2, 3, 10] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let (page, end) = store::load_page(&database.pool, after.as_ref(), page_rows)
                .await
                .unwrap();
            assert!(page.len() as i64 <= page_rows);
            seen.extend(page.into_iter().map(|p| p.person.person_id));
            match end {
                Some(end) => after = Some(end),
                None => break,
            }
        }
        assert_eq!(seen, ["p1", "p2", "p3", "p4", "p5"], "pages of {page_rows}");
    }
    test.cleanup().await;
}
