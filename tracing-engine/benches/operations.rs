//! criterion benches of the engine's operations on a generated hall of about 100k
//! intervals: full build, incremental add of one hall-day, ring-1 and ring-2 queries,
//! clusters; and crowds at the gates (a burst in one second, a morning crowd).
//! `cargo bench -p hallguard-tracing-engine --bench operations`.
//! The city-scale figures (1M, 10M, memory, ingest rate) come from `--bench engine`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hallguard_tracing_engine::queries::days_before;
use hallguard_tracing_engine::rules::Rules;
use hallguard_tracing_engine::synthetic::{self, FIRST_DAY, HallShape};
use hallguard_tracing_engine::{
    CoPresenceGraph, EngineConfig, PersonKey, PersonKind, PlaceKey, PlaceKind, Presence,
};

// The hallguard binary's allocator, so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn operations(c: &mut Criterion) {
    let shape = HallShape::with_intervals(100_000, 42);
    let presences = synthetic::generate(&shape);
    let last_day = synthetic::site_day(&shape, 0, shape.days - 1);
    let earlier = &presences[..presences.len() - last_day.len()];

    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.bench_function("build 100k intervals", |b| {
        b.iter(|| {
            let mut graph = synthetic::empty_graph(&shape);
            graph.add(black_box(&presences)).unwrap();
            graph
        });
    });
    group.bench_function("add one hall-day to a built graph", |b| {
        b.iter_batched_ref(
            || {
                let mut graph = synthetic::empty_graph(&shape);
                graph.add(earlier).unwrap();
                graph
            },
            |graph| graph.add(black_box(&last_day)).unwrap(),
            BatchSize::LargeInput,
        );
    });
    group.finish();

    let mut graph = synthetic::empty_graph(&shape);
    graph.add(&presences).unwrap();
    let rules = Rules::default();
    let window = days_before(FIRST_DAY + i64::from(shape.days) * 86_400_000, 4);
    let people = graph.stats().people as u32;
    let mut queries = c.benchmark_group("queries");
    let mut next = 0u32;
    let mut person = move || {
        next = next.wrapping_add(1);
        next.wrapping_mul(2_654_435_761) % people
    };
    queries.bench_function("ring 1", |b| {
        b.iter(|| graph.close_contacts(person(), window, &rules));
    });
    queries.bench_function("ring 1 + ring 2", |b| {
        b.iter(|| {
            let index = person();
            let close = graph.close_contacts(index, window, &rules);
            graph.secondary_contacts(index, &close, window, &HashMap::new(), &rules)
        });
    });
    queries.sample_size(10);
    queries.bench_function("clusters over all days", |b| {
        b.iter(|| {
            graph.clusters(
                (FIRST_DAY, FIRST_DAY + i64::from(shape.days) * 86_400_000),
                &rules,
                2,
            )
        });
    });
    queries.finish();
}

/// A gate's entry queue: `count` people checked in from `first`, `per_second` a second.
fn queue_of(gate: &str, count: u32, first: i64, per_second: u32) -> Vec<Presence> {
    (0..count)
        .map(|n| {
            let at = first + i64::from(n / per_second.max(1)) * 1_000;
            Presence {
                person: PersonKey {
                    site_id: synthetic::site_id(0),
                    kind: PersonKind::Visitor,
                    person_id: format!("{gate}-{n}"),
                },
                place: PlaceKey {
                    site_id: synthetic::site_id(0),
                    kind: PlaceKind::EntryQueue,
                    place_id: gate.to_string(),
                },
                start: at,
                end: Some(at),
                queue_position: n + 1,
            }
        })
        .collect()
}

/// Crowds at the gates: thousands checked in within one second at one gate (a burst a
/// device or a busy Monday makes), and a morning crowd at every gate. Queue pairing is
/// linear: each check-in pairs with its neighbours within 10 places.
fn crowds(c: &mut Criterion) {
    let morning = FIRST_DAY + 9 * 3_600_000;
    let burst = queue_of("gate-east-in", 10_000, morning, 10_000);
    let crowd: Vec<Presence> = (0..8)
        .flat_map(|gate| queue_of(&format!("gate-{gate}"), 3_000, morning, 2))
        .collect();
    for (label, presences) in [("burst", &burst), ("morning crowd", &crowd)] {
        let mut graph = CoPresenceGraph::new(EngineConfig::default());
        graph.add(presences).unwrap();
        let stats = graph.stats();
        println!(
            "{label}: {} check-ins, {} pairs kept, evidence {} KiB",
            stats.stays,
            stats.pairs,
            stats.evidence_bytes / 1024
        );
    }
    let mut group = c.benchmark_group("crowds");
    group.sample_size(10);
    group.bench_function("build: 10,000 check-ins in one second at one gate", |b| {
        b.iter(|| {
            let mut graph = CoPresenceGraph::new(EngineConfig::default());
            graph.add(black_box(&burst)).unwrap();
            graph
        });
    });
    group.bench_function("build: a morning crowd, 8 gates x 3,000 in 25 min", |b| {
        b.iter(|| {
            let mut graph = CoPresenceGraph::new(EngineConfig::default());
            graph.add(black_box(&crowd)).unwrap();
            graph
        });
    });
    group.finish();
}

criterion_group!(benches, operations, crowds);
criterion_main!(benches);
