//! Property test of what the service does with presence, against the engine built in one
//! batch from the intervals as they finally are (itself tested against a brute-force
//! reference): stays sent open and then closed, the end arriving first or last, repeats
//! and batches in any order, stays across midnight and over days; stored, then rebuilt
//! page by page as at start, and followed batch by batch as a running replica does.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use hallguard_contact_tracing::store::Ingested;
use hallguard_contact_tracing::{add_skipping, admit, empty_graph, rebuild_in_pages, store};
use hallguard_domain::hall::{Hall, Halls};
use hallguard_platform::db::Database;
use hallguard_platform::testing::TestDatabase;
use hallguard_tracing_engine::rules::Rules;
use hallguard_tracing_engine::{CoPresenceGraph, PersonKey, PersonKind, PlaceKey, PlaceKind, Presence};
use proptest::prelude::*;

const SITE: &str = "riverside-hall";
const MINUTE: i64 = 60_000;
/// 2026-11-02 00:00 UTC.
const DAY0: i64 = 1_793_577_600_000;
const PLACES: [(PlaceKind, &str); 6] = [
    (PlaceKind::Zone, "tax-area"),
    (PlaceKind::Zone, "self-service-24h"),
    (PlaceKind::Zone, "lifts"),
    (PlaceKind::CanteenSeat, "t1-a1"),
    (PlaceKind::CanteenSeat, "t1-a2"),
    (PlaceKind::CanteenSeat, "t1-b1"),
];

/// One stay and how it is sent: closed, still open, or open and later closed.
#[derive(Debug, Clone)]
struct Sent {
    event: String,
    presence: Presence,
    how: u8,
}

fn stay_strategy() -> impl Strategy<Value = (u32, usize, i64, i64, u8)> {
    let length = prop_oneof![3 => 0..40i64, 1 => 40..600i64, 1 => 600..3_000i64];
    (0..7u32, 0..PLACES.len(), -120..(3 * 24 * 60i64), length, 0..3u8)
}

/// Stays, then the messages they make (an open stay and its end are two), shuffled, some
/// repeated, cut into batches.
fn traffic_strategy() -> impl Strategy<Value = (Vec<Sent>, Vec<Vec<Ingested>>)> {
    prop::collection::vec(stay_strategy(), 1..40)
        .prop_map(|stays| {
            stays
                .into_iter()
                .enumerate()
                .map(|(n, (who, place, start, length, how))| {
                    let (kind, place_id) = PLACES[place];
                    Sent {
                        event: format!("e{n}"),
                        presence: Presence {
                            person: PersonKey {
                                site_id: SITE.into(),
                                kind: PersonKind::Visitor,
                                person_id: format!("p{who}"),
                            },
                            place: PlaceKey {
                                site_id: SITE.into(),
                                kind,
                                place_id: place_id.into(),
                            },
                            start: DAY0 + start * MINUTE,
                            end: Some(DAY0 + (start + length) * MINUTE),
                            queue_position: 0,
                        },
                        how,
                    }
                })
                .collect::<Vec<Sent>>()
        })
        .prop_flat_map(|sent| {
            let mut messages: Vec<Ingested> = Vec::new();
            for stay in &sent {
                let open = Presence {
                    end: None,
                    ..stay.presence.clone()
                };
                let closed = stay.presence.clone();
                let as_message = |presence: Presence| Ingested {
                    source_event_id: stay.event.clone(),
                    presence,
                };
                match stay.how {
                    0 => messages.push(as_message(closed)),
                    1 => messages.push(as_message(open)),
                    _ => {
                        messages.push(as_message(open));
                        messages.push(as_message(closed));
                    }
                }
            }
            let repeats = prop::collection::vec(any::<prop::sample::Index>(), 0..4);
            (Just(sent), Just(messages), repeats)
        })
        .prop_flat_map(|(sent, mut messages, repeats)| {
            for index in repeats {
                let again = messages[index.index(messages.len())].clone();
                messages.push(again);
            }
            let count = messages.len();
            (
                Just(sent),
                Just(messages).prop_shuffle(),
                prop::collection::vec(1..8usize, count),
            )
        })
        .prop_map(|(sent, messages, sizes)| {
            let mut batches = Vec::new();
            let mut rest = messages.as_slice();
            for size in sizes {
                if rest.is_empty() {
                    break;
                }
                let (batch, after) = rest.split_at(size.min(rest.len()));
                batches.push(batch.to_vec());
                rest = after;
            }
            (sent, batches)
        })
}

/// Per person: their contacts with total overlap and first exposure; and cluster sizes.
type Answers = (BTreeMap<String, Vec<(String, i64, i64)>>, Vec<usize>);

/// Everyone's close contacts (ring 1 and 2) and the clusters, comparably.
fn answers(graph: &CoPresenceGraph, rules: &Rules) -> Answers {
    let window = (DAY0 - 24 * 60 * MINUTE, DAY0 + 4 * 24 * 60 * MINUTE);
    let mut contacts = BTreeMap::new();
    for who in 0..7 {
        let key = PersonKey {
            site_id: SITE.into(),
            kind: PersonKind::Visitor,
            person_id: format!("p{who}"),
        };
        let Some(index) = graph.person_index(&key) else {
            continue;
        };
        let close = graph.close_contacts(index, window, rules);
        let mut found: Vec<(String, i64, i64)> = close
            .iter()
            .map(|c| {
                (
                    graph.person(c.person).person_id.clone(),
                    c.total_ms,
                    c.first_exposure,
                )
            })
            .collect();
        found.extend(
            graph
                .secondary_contacts(index, &close, window, &Default::default(), rules)
                .into_iter()
                .map(|s| {
                    (
                        format!("ring2:{}", graph.person(s.person).person_id),
                        0,
                        s.contact.first_exposure,
                    )
                }),
        );
        found.sort();
        contacts.insert(key.person_id, found);
    }
    let clusters = graph
        .clusters(window, rules, 2)
        .into_iter()
        .map(|c| c.members.len())
        .collect();
    (contacts, clusters)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn the_rebuilt_and_the_followed_graph_answer_like_one_build_of_the_final_stays(
        (sent, batches) in traffic_strategy(),
        page_rows in 1..9i64,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let halls = Halls::new(vec![Hall::sample()]).unwrap();
            let test = TestDatabase::new();
            let database = Database::open(&test.target("contact-tracing"), Some(sqlx::migrate!("./migrations")))
                .await
                .unwrap();
            // A replica following the table after each batch.
            let mut followed = empty_graph(&halls);
            let mut seq = 0;
            for batch in batches {
                store::insert(&database.pool, batch).await.unwrap();
                let (page, last) = store::load_after(&database.pool, seq, 10_000).await.unwrap();
                seq = last;
                let admitted = admit(page.presences, &halls);
                add_skipping(&mut followed, admitted.presences);
            }
            let (rebuilt, _) = rebuild_in_pages(&database.pool, &halls, page_rows).await.unwrap();
            // The stays as they finally are, in one batch.
            let mut whole = empty_graph(&halls);
            let finals: Vec<Presence> = sent
                .iter()
                .map(|s| Presence { end: if s.how == 1 { None } else { s.presence.end }, ..s.presence.clone() })
                .collect();
            whole.add(&finals).unwrap();
            let rules = hallguard_contact_tracing::hall_rules::default_rules(&Hall::sample());
            let expected = answers(&whole, &rules);
            test.cleanup().await;
            prop_assert_eq!(&answers(&rebuilt, &rules), &expected);
            prop_assert_eq!(&answers(&followed, &rules), &expected);
            prop_assert_eq!(rebuilt.open_stays(), whole.open_stays());
            prop_assert_eq!(followed.open_stays(), whole.open_stays());
            Ok(())
        })?;
    }
}
