//! criterion benches of the engine's operations on a generated hall of about 100k
//! intervals: full build, incremental add of one hall-day, ring-1 and ring-2 queries,
//! clusters. `cargo bench -p hallguard-tracing-engine --bench operations`.
//! The city-scale figures (1M, 10M, memory, ingest rate) come from `--bench engine`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hallguard_tracing_engine::queries::days_before;
use hallguard_tracing_engine::rules::Rules;
use hallguard_tracing_engine::synthetic::{self, FIRST_DAY, HallShape};

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

criterion_group!(benches, operations);
criterion_main!(benches);
