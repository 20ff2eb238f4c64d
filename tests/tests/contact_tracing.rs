//! Contact tracing over gRPC against a real database: ingest (idempotent, validated),
//! close and secondary contacts with evidence, and the graph rebuilt after a restart.
#![allow(clippy::unwrap_used)]

use hallguard::ServiceRole;
use hallguard_domain::time::now_millis;
use hallguard_platform::auth::Role;
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::common::v1::{PersonKind, PersonRef, TimeWindow};
use hallguard_proto::contact_tracing::v1::contact_tracing_client::ContactTracingClient;
use hallguard_proto::contact_tracing::v1::{
    Case, ExportSubgraphRequest, FindClustersRequest, FindTransmissionChainsRequest, ListExposuresRequest,
    WhoWasThereRequest,
};
use hallguard_proto::contact_tracing::v1::{
    ExposureRule, FindContactsRequest, GetGraphStatsRequest, GetTrajectoryRequest,
    IngestPresenceBatchRequest, IngestPresenceRequest, Place, PlaceKind, PresenceInterval, RuleOverrides,
    find_contacts_request,
};
use hallguard_tests::TestHall;
use tonic::Code;
use tonic_types::StatusExt;

const SITE: &str = "riverside-hall";
const MINUTE: i64 = 60_000;

fn visitor(id: &str) -> PersonRef {
    PersonRef {
        site_id: SITE.into(),
        kind: PersonKind::Visitor as i32,
        person_id: id.into(),
    }
}

/// The latest 10:00 in the sample hall's local time that lies at least two hours back:
/// the tests' stays (up to 80 minutes long) then never cross the hall's midnight or lie
/// in the future, whatever time the suite runs.
fn hall_morning() -> i64 {
    const DAY: i64 = 24 * 60 * MINUTE;
    let offset = i64::from(hallguard_domain::hall::Hall::sample().utc_offset_minutes) * MINUTE;
    let local_now = now_millis() + offset;
    let mut morning = local_now.div_euclid(DAY) * DAY + 10 * 60 * MINUTE;
    if morning > local_now - 120 * MINUTE {
        morning -= DAY;
    }
    morning - offset
}

/// Minutes after a base at least two hours ago, so nothing is in the future.
fn interval(
    event: &str,
    who: &str,
    kind: PlaceKind,
    place: &str,
    from: i64,
    to: i64,
    base: i64,
) -> PresenceInterval {
    PresenceInterval {
        person: Some(visitor(who)),
        place: Some(Place {
            kind: kind as i32,
            place_id: place.into(),
        }),
        start: Some(millis_to_timestamp(base + from * MINUTE)),
        end: Some(millis_to_timestamp(base + to * MINUTE)),
        source_event_id: event.into(),
        queue_position: 0,
    }
}

fn day_window(base: i64) -> TimeWindow {
    TimeWindow {
        start: Some(millis_to_timestamp(base - 60 * MINUTE)),
        end: Some(millis_to_timestamp(now_millis())),
    }
}

fn find(who: &str, base: i64, rings: u32) -> FindContactsRequest {
    FindContactsRequest {
        person: Some(visitor(who)),
        window: Some(find_contacts_request::Window::Span(day_window(base))),
        rings,
        ..Default::default()
    }
}

#[tokio::test]
async fn ingest_is_idempotent_and_contacts_come_with_their_evidence() {
    let hall = TestHall::start().await;
    let base = hall_morning();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let batch = IngestPresenceBatchRequest {
        intervals: vec![
            interval("e1", "index", PlaceKind::Zone, "tax-area", 0, 30, base),
            interval("e2", "close", PlaceKind::Zone, "tax-area", 10, 40, base),
            interval("e3", "close", PlaceKind::Zone, "rest-area", 50, 80, base),
            interval("e4", "second", PlaceKind::Zone, "rest-area", 50, 80, base),
            interval("e5", "brief", PlaceKind::Zone, "tax-area", 25, 30, base),
        ],
    };
    let first = ingest
        .ingest_presence_batch(batch.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.accepted, first.duplicates), (5, 0));
    let again = ingest.ingest_presence_batch(batch).await.unwrap().into_inner();
    assert_eq!((again.accepted, again.duplicates), (0, 5));

    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let found = analyst
        .find_contacts(find("index", base, 2))
        .await
        .unwrap()
        .into_inner();
    assert!(found.index_seen);
    assert_eq!(found.close_contacts.len(), 1);
    let close = &found.close_contacts[0];
    assert_eq!(close.person.as_ref().unwrap().person_id, "close");
    assert_eq!(close.total_seconds, 20 * 60);
    assert_eq!(close.category, "zone-masked");
    let exposure = &close.exposures[0];
    assert_eq!(exposure.rule(), ExposureRule::SameZone);
    assert_eq!(exposure.place.as_ref().unwrap().place_id, "tax-area");
    assert_eq!(exposure.seconds, 20 * 60);
    assert_eq!(found.secondary_contacts.len(), 1);
    let secondary = &found.secondary_contacts[0];
    assert_eq!(secondary.person.as_ref().unwrap().person_id, "second");
    assert_eq!(secondary.via.as_ref().unwrap().person_id, "close");

    // A threshold changed for this call only: the brief 5-minute contact now counts.
    let mut lax = find("index", base, 1);
    lax.overrides = Some(RuleOverrides {
        zone_min_overlap_seconds: Some(5 * 60),
        ..Default::default()
    });
    let found = analyst.find_contacts(lax).await.unwrap().into_inner();
    assert_eq!(found.close_contacts.len(), 2);
    // A queue rule wider than the graph keeps would miss pairs silently: refused.
    let mut too_wide = find("index", base, 1);
    too_wide.overrides = Some(RuleOverrides {
        queue_max_seconds: Some(600),
        ..Default::default()
    });
    let refused = analyst.find_contacts(too_wide).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        refused.get_details_bad_request().unwrap().field_violations[0].field,
        "overrides.queue_max_seconds"
    );

    let unknown = analyst
        .find_contacts(find("never-seen", base, 1))
        .await
        .unwrap()
        .into_inner();
    assert!(!unknown.index_seen && unknown.close_contacts.is_empty());
    hall.stop().await;
}

#[tokio::test]
async fn bad_intervals_name_their_field_and_store_nothing() {
    let hall = TestHall::start().await;
    let base = hall_morning();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let good = interval("g1", "a", PlaceKind::Zone, "tax-area", 0, 30, base);
    // An hour past now, whatever the time of day (the base is 2 to 26 hours ago).
    let ahead = (now_millis() - base) / MINUTE + 60;
    let cases = [
        (
            "intervals[1].end",
            interval("b1", "b", PlaceKind::Zone, "tax-area", 30, 10, base),
        ),
        (
            "intervals[1].place.kind",
            interval("b2", "b", PlaceKind::Unspecified, "tax-area", 0, 10, base),
        ),
        (
            "intervals[1].start",
            interval("b3", "b", PlaceKind::Zone, "tax-area", ahead, ahead + 60, base),
        ),
        (
            "intervals[1].source_event_id",
            interval("", "b", PlaceKind::Zone, "tax-area", 0, 10, base),
        ),
        (
            "intervals[1].person.person_id",
            interval("b5", "", PlaceKind::Zone, "tax-area", 0, 10, base),
        ),
        (
            "intervals[1].queue_position",
            interval("b6", "b", PlaceKind::EntryQueue, "gate-east-in", 0, 0, base),
        ),
    ];
    for (field, bad) in cases {
        let status = ingest
            .ingest_presence_batch(IngestPresenceBatchRequest {
                intervals: vec![good.clone(), bad],
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, field);
    }
    let mut unknown_site = good.clone();
    unknown_site.person.as_mut().unwrap().site_id = "no-such-hall".into();
    let status = ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![unknown_site],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let stats = ingest
        .get_graph_stats(GetGraphStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.intervals, 0);
    hall.stop().await;
}

#[tokio::test]
async fn the_graph_is_rebuilt_from_the_database_after_a_restart() {
    let hall = TestHall::start().await;
    let base = hall_morning();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let stream = tokio_stream::iter([
        IngestPresenceRequest {
            intervals: vec![interval(
                "s1",
                "index",
                PlaceKind::CanteenSeat,
                "t1-a1",
                0,
                20,
                base,
            )],
        },
        IngestPresenceRequest {
            intervals: vec![interval(
                "s2",
                "beside",
                PlaceKind::CanteenSeat,
                "t1-a2",
                5,
                25,
                base,
            )],
        },
        IngestPresenceRequest {
            intervals: vec![interval(
                "s3",
                "across",
                PlaceKind::CanteenSeat,
                "t1-b1",
                10,
                30,
                base,
            )],
        },
        IngestPresenceRequest {
            intervals: vec![interval(
                "s4",
                "far",
                PlaceKind::CanteenSeat,
                "t1-a5",
                0,
                20,
                base,
            )],
        },
    ]);
    let outcome = ingest.ingest_presence(stream).await.unwrap().into_inner();
    assert_eq!(outcome.accepted, 4);

    let hall = hall.restart().await;
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let stats = analyst
        .get_graph_stats(GetGraphStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.intervals, stats.people), (4, 4));
    let found = analyst
        .find_contacts(find("index", base, 1))
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<(String, String)> = found
        .close_contacts
        .iter()
        .map(|c| (c.person.as_ref().unwrap().person_id.clone(), c.category.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            ("across".into(), "canteen-unmasked".into()),
            ("beside".into(), "canteen-unmasked".into())
        ]
    );
    let trajectory = analyst
        .get_trajectory(GetTrajectoryRequest {
            person: Some(visitor("index")),
            window: Some(day_window(base)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(trajectory.stops.len(), 1);
    assert_eq!(trajectory.stops[0].place.as_ref().unwrap().place_id, "t1-a1");
    hall.stop().await;
}

#[tokio::test]
async fn clusters_of_cases_link_cases_by_close_contact_not_the_whole_hall() {
    let hall = TestHall::start().await;
    let base = hall_morning();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    // The clerks are in the tax area all morning: cases 1 and 2 for its first twenty
    // minutes, case 3 for the next twenty. Co-presence joins all five.
    let intervals = vec![
        interval("tax/clerk-1", "clerk-1", PlaceKind::Zone, "tax-area", 0, 40, base),
        interval("tax/clerk-2", "clerk-2", PlaceKind::Zone, "tax-area", 0, 40, base),
        interval("tax/case-1", "case-1", PlaceKind::Zone, "tax-area", 0, 20, base),
        interval("tax/case-2", "case-2", PlaceKind::Zone, "tax-area", 0, 20, base),
        interval("tax/case-3", "case-3", PlaceKind::Zone, "tax-area", 20, 40, base),
    ];
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest { intervals })
        .await
        .unwrap();
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let people = analyst
        .find_clusters(FindClustersRequest {
            site_id: SITE.into(),
            window: Some(day_window(base)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(people.clusters[0].members.len(), 5, "co-presence joins the hall");
    assert!(people.case_clusters.is_empty());

    // Clusters of cases: only cases 1 and 2 met each other.
    let case = |who: &str, minutes: i64| Case {
        person: Some(visitor(who)),
        infectious_from: Some(millis_to_timestamp(base + minutes * MINUTE)),
    };
    let request = FindClustersRequest {
        site_id: SITE.into(),
        window: Some(day_window(base)),
        cases: vec![case("case-2", 5), case("case-1", 0), case("case-3", 0)],
        ..Default::default()
    };
    let found = analyst.find_clusters(request.clone()).await.unwrap().into_inner();
    assert!(found.clusters.is_empty());
    assert_eq!(found.case_clusters.len(), 1, "{found:?}");
    let cluster = &found.case_clusters[0];
    let ids = |cases: &[Case]| -> Vec<String> {
        cases
            .iter()
            .map(|c| c.person.as_ref().unwrap().person_id.clone())
            .collect()
    };
    assert_eq!(ids(&cluster.cases), ["case-1", "case-2"]);
    assert_eq!(
        ids(std::slice::from_ref(cluster.first_case.as_ref().unwrap())),
        ["case-1"]
    );
    assert_eq!(
        ids(std::slice::from_ref(cluster.last_case.as_ref().unwrap())),
        ["case-2"]
    );
    let places: Vec<&str> = cluster.places.iter().map(|p| p.place_id.as_str()).collect();
    assert_eq!(places, ["tax-area"]);
    assert_eq!(cluster.links.len(), 1);
    assert_eq!(cluster.links[0].exposures[0].rule(), ExposureRule::SameZone);
    // Time order: cases infectious only after they met link nobody.
    let later = FindClustersRequest {
        cases: vec![case("case-1", 25), case("case-2", 25), case("case-3", 25)],
        ..request.clone()
    };
    let none = analyst.find_clusters(later).await.unwrap().into_inner();
    assert!(none.case_clusters.is_empty(), "{none:?}");

    // A case of another hall than the one named is refused, naming it.
    let mut elsewhere = request.clone();
    elsewhere.cases[1].person.as_mut().unwrap().site_id = "another-hall".into();
    let refused = analyst.find_clusters(elsewhere).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().starts_with("cases[1].person.site_id"),
        "{}",
        refused.message()
    );
    hall.stop().await;
}

#[tokio::test]
async fn clusters_chains_who_was_there_and_export_over_grpc() {
    let hall = TestHall::start().await;
    let base = hall_morning();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let intervals = vec![
        interval("c1", "case-a", PlaceKind::Zone, "tax-area", 0, 30, base),
        interval("c2", "link", PlaceKind::Zone, "tax-area", 0, 30, base),
        interval("c3", "link", PlaceKind::Zone, "rest-area", 40, 70, base),
        interval("c4", "case-b", PlaceKind::Zone, "rest-area", 40, 70, base),
        interval("c5", "loner-1", PlaceKind::Zone, "lifts", 0, 30, base),
        interval("c6", "loner-2", PlaceKind::Zone, "lifts", 0, 30, base),
    ];
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest { intervals })
        .await
        .unwrap();
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);

    let clusters = analyst
        .find_clusters(FindClustersRequest {
            site_id: SITE.into(),
            window: Some(day_window(base)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .clusters;
    let sizes: Vec<usize> = clusters.iter().map(|c| c.members.len()).collect();
    assert_eq!(sizes, vec![3, 2]);

    let case = |who: &str| Case {
        person: Some(visitor(who)),
        infectious_from: Some(millis_to_timestamp(base)),
    };
    let chains = analyst
        .find_transmission_chains(FindTransmissionChainsRequest {
            cases: vec![case("case-a"), case("case-b")],
            overrides: None,
            max_hops: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .chains;
    let paths: Vec<Vec<String>> = chains
        .iter()
        .map(|c| c.path.iter().map(|p| p.person_id.clone()).collect())
        .collect();
    assert_eq!(
        paths,
        vec![vec!["case-a".to_string(), "link".into(), "case-b".into()]]
    );
    // A chain longer than the longest asked for is not one.
    let one_hop = analyst
        .find_transmission_chains(FindTransmissionChainsRequest {
            cases: vec![case("case-a"), case("case-b")],
            overrides: None,
            max_hops: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .chains;
    assert!(one_hop.is_empty(), "{one_hop:?}");
    let too_long = analyst
        .find_transmission_chains(FindTransmissionChainsRequest {
            cases: vec![case("case-a"), case("case-b")],
            overrides: None,
            max_hops: 33,
        })
        .await
        .unwrap_err();
    assert!(
        too_long.message().starts_with("max_hops"),
        "{}",
        too_long.message()
    );

    let mut there = analyst
        .who_was_there(WhoWasThereRequest {
            site_id: SITE.into(),
            place: Some(Place {
                kind: PlaceKind::Zone as i32,
                place_id: "rest-area".into(),
            }),
            window: Some(day_window(base)),
        })
        .await
        .unwrap()
        .into_inner();
    let mut people = Vec::new();
    while let Some(chunk) = there.message().await.unwrap() {
        people.extend(chunk.presences.into_iter().map(|p| p.person.unwrap().person_id));
    }
    people.sort();
    assert_eq!(people, vec!["case-b".to_string(), "link".into()]);

    let export = analyst
        .export_subgraph(ExportSubgraphRequest {
            query: Some(find("case-a", base, 2)),
        })
        .await
        .unwrap()
        .into_inner();
    let rings: Vec<(String, u32)> = export
        .nodes
        .iter()
        .map(|n| (n.person.as_ref().unwrap().person_id.clone(), n.ring))
        .collect();
    assert_eq!(
        rings,
        vec![("case-a".into(), 0), ("link".into(), 1), ("case-b".into(), 2)]
    );
    let edges: Vec<(u32, u32)> = export.edges.iter().map(|e| (e.from, e.to)).collect();
    assert_eq!(edges, vec![(0, 1), (1, 2)]);
    hall.stop().await;
}

#[tokio::test]
async fn presence_past_retention_is_deleted_at_restart() {
    let hall = TestHall::start().await;
    let now = now_millis();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let old = now - 40 * 24 * 60 * MINUTE;
    let recent = now - 120 * MINUTE;
    let intervals = vec![
        interval("old-1", "a", PlaceKind::Zone, "tax-area", 0, 30, old),
        interval("old-2", "b", PlaceKind::Zone, "tax-area", 0, 30, old),
        interval("new-1", "a", PlaceKind::Zone, "tax-area", 0, 30, recent),
    ];
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest { intervals })
        .await
        .unwrap();

    let hall = hall.restart().await;
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let stats = analyst
        .get_graph_stats(GetGraphStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.intervals, 1, "the sample hall keeps 28 days");
    hall.stop().await;
}

#[tokio::test]
async fn a_running_service_forgets_presence_past_retention_without_a_restart() {
    let hall = TestHall::start_adjusted(
        hallguard_platform::testing::TestDatabase::new(),
        vec![hallguard_domain::hall::Hall::sample()],
        None,
        |settings| settings.retention_interval = std::time::Duration::from_millis(300),
    )
    .await;
    let now = now_millis();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    let old = now - 29 * 24 * 60 * MINUTE;
    let recent = now - 120 * MINUTE;
    let accepted = ingest
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                interval("old-1", "a", PlaceKind::Zone, "tax-area", 0, 30, old),
                interval("old-2", "b", PlaceKind::Zone, "tax-area", 0, 30, old),
                interval("new-1", "a", PlaceKind::Zone, "tax-area", 0, 30, recent),
            ],
        })
        .await
        .unwrap()
        .into_inner()
        .accepted;
    assert_eq!(accepted, 3);
    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let probe = || {
        let mut analyst = analyst.clone();
        async move {
            analyst
                .get_graph_stats(GetGraphStatsRequest {})
                .await
                .unwrap()
                .into_inner()
                .intervals
        }
    };
    let intervals = hallguard_tests::eventually(50, probe, |&intervals| intervals == 1).await;
    assert_eq!(intervals, 1, "the 29-day-old stays left the running graph");
    // And the table: a restart finds nothing more to forget.
    let contacts = analyst
        .find_contacts(FindContactsRequest {
            person: Some(visitor("a")),
            window: Some(find_contacts_request::Window::Span(TimeWindow {
                start: Some(millis_to_timestamp(old - MINUTE)),
                end: Some(millis_to_timestamp(old + 60 * MINUTE)),
            })),
            rings: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(contacts.close_contacts.is_empty());
    let database = hallguard_platform::db::Database::open(
        &hall.database.target(ServiceRole::ContactTracing.name()),
        None,
    )
    .await
    .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM presence")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    database.pool.close().await;
    hall.stop().await;
}

#[tokio::test]
async fn replicas_follow_the_table_and_answer_alike_within_the_follow_delay() {
    let mut hall = TestHall::start().await;
    let base = hall_morning();
    let mut through_a =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    through_a
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![
                interval("r1", "index", PlaceKind::Zone, "tax-area", 0, 30, base),
                interval("r2", "close", PlaceKind::Zone, "tax-area", 10, 40, base),
            ],
        })
        .await
        .unwrap();
    // A second instance, as a rolling update starts it, then an ingest through it alone.
    let replica = hall.replica(ServiceRole::ContactTracing).await;
    let mut through_b = ContactTracingClient::new(hall.authed_at(replica, Role::Service).await);
    through_b
        .ingest_presence_batch(IngestPresenceBatchRequest {
            intervals: vec![interval("r3", "later", PlaceKind::Zone, "tax-area", 5, 35, base)],
        })
        .await
        .unwrap();
    let stored_at = std::time::Instant::now();
    let contacts = |client: ContactTracingClient<_>| async move {
        let mut client = client;
        let mut people: Vec<String> = client
            .find_contacts(find("index", base, 1))
            .await
            .unwrap()
            .into_inner()
            .close_contacts
            .into_iter()
            .map(|c| c.person.unwrap().person_id)
            .collect();
        people.sort();
        people
    };
    let analyst_a = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let analyst_b = ContactTracingClient::new(hall.authed_at(replica, Role::Analyst).await);
    // The replica has what A stored before it started, and what it stored itself.
    assert_eq!(contacts(analyst_b.clone()).await, ["close", "later"]);
    // A has what B stored, within the follow delay.
    let seen =
        hallguard_tests::eventually(50, || contacts(analyst_a.clone()), |people| people.len() == 2).await;
    assert_eq!(seen, ["close", "later"]);
    let delay = stored_at.elapsed();
    assert!(
        delay < hallguard_contact_tracing::follow::FOLLOW_INTERVAL * 4,
        "followed after {delay:?}"
    );
    // Both hold the same graph.
    let stats = |client: ContactTracingClient<_>| async move {
        let mut client = client;
        client
            .get_graph_stats(GetGraphStatsRequest {})
            .await
            .unwrap()
            .into_inner()
            .intervals
    };
    assert_eq!(stats(analyst_a).await, 3);
    assert_eq!(stats(analyst_b).await, 3);
    hall.stop().await;
}

#[tokio::test]
async fn the_exposure_line_list_streams_every_pair_once_as_contact_queries_find_them() {
    let hall = TestHall::start().await;
    let base = hall_morning();
    let mut ingest = ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Service).await);
    // Forty people together in the tax area (780 pairs: more than one message), two who
    // met too briefly, and one alone.
    let mut intervals: Vec<PresenceInterval> = (0..40)
        .map(|n| {
            interval(
                &format!("crowd-{n}"),
                &format!("v{n:02}"),
                PlaceKind::Zone,
                "tax-area",
                n % 5,
                40 + n % 7,
                base,
            )
        })
        .collect();
    intervals.push(interval(
        "b1",
        "brief-a",
        PlaceKind::Zone,
        "rest-area",
        0,
        10,
        base,
    ));
    intervals.push(interval(
        "b2",
        "brief-b",
        PlaceKind::Zone,
        "rest-area",
        5,
        12,
        base,
    ));
    intervals.push(interval(
        "alone",
        "alone",
        PlaceKind::Zone,
        "hall-lobby",
        0,
        50,
        base,
    ));
    ingest
        .ingest_presence_batch(IngestPresenceBatchRequest { intervals })
        .await
        .unwrap();

    let mut analyst =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::Analyst).await);
    let request = ListExposuresRequest {
        site_id: SITE.into(),
        window: Some(day_window(base)),
        overrides: None,
    };
    let mut stream = analyst
        .list_exposures(request.clone())
        .await
        .unwrap()
        .into_inner();
    let (mut messages, mut pairs) = (0, std::collections::BTreeMap::new());
    while let Some(message) = stream.message().await.unwrap() {
        messages += 1;
        assert!(
            message.pairs.len() <= 500,
            "{} pairs in a message",
            message.pairs.len()
        );
        for pair in message.pairs {
            let contact = pair.contact.unwrap();
            let mut two = [pair.person.unwrap().person_id, contact.person.unwrap().person_id];
            two.sort();
            assert!(
                pairs.insert(two.clone(), contact.total_seconds).is_none(),
                "{two:?} twice"
            );
        }
    }
    assert_eq!(pairs.len(), 40 * 39 / 2);
    assert!(messages >= 2, "streamed in chunks");
    // The same answer as asking person by person.
    for who in ["v00", "v17", "brief-a", "alone"] {
        let found = analyst
            .find_contacts(find(who, base, 1))
            .await
            .unwrap()
            .into_inner();
        let mut expected: Vec<(String, u64)> = found
            .close_contacts
            .iter()
            .map(|c| (c.person.clone().unwrap().person_id, c.total_seconds))
            .collect();
        expected.sort();
        let mut listed: Vec<(String, u64)> = pairs
            .iter()
            .filter(|(two, _)| two.contains(&who.to_string()))
            .map(|(two, seconds)| (two.iter().find(|p| *p != who).unwrap().clone(), *seconds))
            .collect();
        listed.sort();
        assert_eq!(listed, expected, "{who}");
    }
    // A laxer rule for this call lists the brief pair too.
    let mut lax = request.clone();
    lax.overrides = Some(RuleOverrides {
        zone_min_overlap_seconds: Some(5 * 60),
        ..Default::default()
    });
    let mut stream = analyst.list_exposures(lax).await.unwrap().into_inner();
    let mut lax_pairs = 0;
    while let Some(message) = stream.message().await.unwrap() {
        lax_pairs += message.pairs.len();
    }
    assert_eq!(lax_pairs, pairs.len() + 1);
    // Bad requests name their field before anything streams.
    for (bad, field) in [
        (
            ListExposuresRequest {
                site_id: String::new(),
                ..request.clone()
            },
            "site_id",
        ),
        (
            ListExposuresRequest {
                window: None,
                ..request.clone()
            },
            "window",
        ),
    ] {
        let refused = analyst.list_exposures(bad).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(refused.message().starts_with(field), "{}", refused.message());
    }
    // Gate devices may not read it.
    let mut gate =
        ContactTracingClient::new(hall.authed(ServiceRole::ContactTracing, Role::GateDevice).await);
    assert_eq!(
        gate.list_exposures(request).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    hall.stop().await;
}
