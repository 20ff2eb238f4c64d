//! The presence store on both databases: a rebuild reads every stored interval exactly
//! once, in time order, however the rows fall into pages.
#![allow(clippy::unwrap_used)]

use hallguard_contact_tracing::store;
use hallguard_contact_tracing::store::Ingested;
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

/// Midnight UTC of a day inside the engine's range.
const DAY: i64 = 1_793_577_600_000;

/// A fresh presence table, on SQLite or the test's PostgreSQL.
async fn fresh() -> (TestDatabase, Database) {
    let test = TestDatabase::new();
    let database = Database::open(
        &test.target("contact-tracing"),
        Some(sqlx::migrate!("./migrations")),
    )
    .await
    .unwrap();
    (test, database)
}

#[tokio::test]
async fn pages_return_every_interval_once_in_time_order() {
    let (test, database) = fresh().await;
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
            let page = store::load_page(&database.pool, after.as_ref(), page_rows, i64::MAX)
                .await
                .unwrap();
            assert!(page.presences.len() as i64 <= page_rows);
            assert_eq!(page.unreadable, 0);
            seen.extend(page.presences.into_iter().map(|(_, p)| p.person.person_id));
            match page.end {
                Some(end) => after = Some(end),
                None => break,
            }
        }
        assert_eq!(seen, ["p1", "p2", "p3", "p4", "p5"], "pages of {page_rows}");
    }
    test.cleanup().await;
}

#[tokio::test]
async fn a_rebuild_skips_and_counts_rows_the_engine_refuses() {
    let (test, database) = fresh().await;
    let good = vec![
        interval("good-1", "p1", DAY),
        interval("good-2", "p2", DAY + 1_000),
    ];
    store::insert(&database.pool, good).await.unwrap();
    // Rows as an older version, a hand edit or a device with a broken clock left them:
    // a time that saturated to i64::MIN, an end before its start, an unknown kind, a
    // queue place no u32 holds.
    for (event, kind, start, end, position) in [
        ("poison-min", "zone", i64::MIN, Some(i64::MIN + 1), 0),
        ("poison-max", "zone", DAY, Some(i64::MAX), 0),
        ("backwards", "zone", DAY, Some(DAY - 1), 0),
        ("odd-kind", "stairwell", DAY, Some(DAY + 60_000), 0),
        ("huge-place", "entry_queue", DAY, Some(DAY), i64::MAX),
    ] {
        sqlx::query(
            "INSERT INTO presence (source_event_id, site_id, person_kind, person_id, place_kind, place_id,
                                   start_ms, end_ms, queue_position, ingested_at)
             VALUES ($1, 'riverside-hall', 'visitor', 'p9', $2, 'tax-area', $3, $4, $5, 0)",
        )
        .bind(event)
        .bind(kind)
        .bind(start)
        .bind(end)
        .bind(position)
        .execute(&database.pool)
        .await
        .unwrap();
    }
    let halls = hallguard_domain::hall::Halls::new(vec![hallguard_domain::hall::Hall::sample()]).unwrap();
    let (graph, rebuilt) = hallguard_contact_tracing::rebuild(&database.pool, &halls)
        .await
        .unwrap();
    assert_eq!((rebuilt.intervals, rebuilt.skipped), (2, 5));
    assert_eq!(graph.stats().stays, 2);
    test.cleanup().await;
}

#[tokio::test]
async fn a_source_event_id_names_one_interval() {
    let (test, database) = fresh().await;
    let first = store::insert(&database.pool, vec![interval("e1", "p1", DAY)])
        .await
        .unwrap();
    assert_eq!(first.accepted, 1);
    // The same interval again (a retried delivery, or its end known later): a duplicate.
    let mut closed_later = interval("e1", "p1", DAY);
    closed_later.presence.end = Some(DAY + 120_000);
    let again = store::insert(&database.pool, vec![interval("e1", "p1", DAY), closed_later])
        .await
        .unwrap();
    assert_eq!(again.accepted, 0);
    // Another person under the same id refuses the batch, and stores nothing of it.
    let refused = store::insert(
        &database.pool,
        vec![interval("e2", "p2", DAY), interval("e1", "p9", DAY)],
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, store::InsertError::Conflict(1)), "{refused}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM presence")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    test.cleanup().await;
}

#[tokio::test]
async fn stored_intervals_are_numbered_in_order_and_read_after_a_number() {
    let (test, database) = fresh().await;
    assert_eq!(store::last_seq(&database.pool).await.unwrap(), 0);
    let first = store::insert(
        &database.pool,
        vec![interval("a", "p1", DAY), interval("b", "p2", DAY)],
    )
    .await
    .unwrap();
    assert_eq!(first.last_seq, 2);
    let second = store::insert(&database.pool, vec![interval("c", "p3", DAY)])
        .await
        .unwrap();
    assert_eq!(second.last_seq, 3);
    let (page, last) = store::load_after(&database.pool, first.last_seq, 100)
        .await
        .unwrap();
    assert_eq!(last, 3);
    let read: Vec<String> = page.presences.into_iter().map(|(event, _)| event).collect();
    assert_eq!(read, ["c"]);
    // A rebuild up to number 2 leaves the third row to the follower.
    let page = store::load_page(&database.pool, None, 100, first.last_seq)
        .await
        .unwrap();
    assert_eq!(page.presences.len(), 2);
    test.cleanup().await;
}
