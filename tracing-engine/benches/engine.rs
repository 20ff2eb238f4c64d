//! Engine figures on generated halls: full build, incremental ingest, ring-1 and ring-2
//! query latency (p50/p99), clusters of people and of cases, chains. Prints one table; run with
//! `cargo bench -p hallguard-tracing-engine --bench engine -- 100000 1000000`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hallguard_tracing_engine::model::Presence;
use hallguard_tracing_engine::queries::days_before;
use hallguard_tracing_engine::rules::{Floors, Rules};
use hallguard_tracing_engine::synthetic::{self, FIRST_DAY, HallShape};
use hallguard_tracing_engine::{Cancel, EngineConfig};

// The hallguard binary's allocator, so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The process's peak resident memory so far (Linux), in MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib / 1024)
}

fn main() {
    // `cargo bench` passes `--bench`; sizes are the numeric arguments.
    let sizes: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000] } else { sizes };
    println!("threads: {}", rayon::current_num_threads());
    for size in sizes {
        let shape = HallShape::with_intervals(size, 42);
        println!(
            "\n== about {size} intervals ({} sites x {} days)",
            shape.sites, shape.days
        );

        // Streamed build: site by site, as the service loads its database page by page,
        // so the peak memory is the graph's own (plus one site's input).
        let mut graph = synthetic::empty_graph(&shape);
        let mut streamed = Duration::ZERO;
        for site in 0..shape.sites {
            let batch: Vec<Presence> = (0..shape.days)
                .flat_map(|day| synthetic::site_day(&shape, site, day))
                .collect();
            let started = Instant::now();
            graph.add(&batch).unwrap();
            streamed += started.elapsed();
        }
        let stats = graph.stats();
        println!(
            "streamed build: {:>8.1} ms  ({} intervals, {} people, {} pair-place-days, {} place-days, {:.0} MiB of evidence, peak RSS {} MiB)",
            streamed.as_secs_f64() * 1e3,
            stats.stays,
            stats.people,
            stats.pairs,
            stats.groups,
            stats.evidence_bytes as f64 / 1048576.0,
            peak_rss_mib()
        );

        let rules = Rules::default();
        let last_day = FIRST_DAY + i64::from(shape.days) * 86_400_000;
        let window = days_before(last_day, 4);
        let people = stats.people as u32;
        let mut ring1 = Vec::new();
        let mut ring2 = Vec::new();
        let mut contacts_found = 0usize;
        let mut secondary_found = 0usize;
        for sample in 0..1_000u32 {
            let person = sample.wrapping_mul(2_654_435_761) % people;
            let started = Instant::now();
            let close = graph.close_contacts(person, window, &rules);
            ring1.push(started.elapsed());
            contacts_found += close.len();
            let started = Instant::now();
            let secondary = graph.secondary_contacts(person, &close, window, &HashMap::new(), &rules);
            ring2.push(started.elapsed() + ring1[ring1.len() - 1]);
            secondary_found += secondary.len();
        }
        ring1.sort_unstable();
        ring2.sort_unstable();
        println!(
            "ring 1: p50 {:>7.1} us  p99 {:>7.1} us  (mean {:.1} contacts)",
            percentile(&ring1, 0.5).as_secs_f64() * 1e6,
            percentile(&ring1, 0.99).as_secs_f64() * 1e6,
            contacts_found as f64 / 1000.0
        );
        println!(
            "ring 2: p50 {:>7.1} us  p99 {:>7.1} us  (mean {:.1} secondary contacts)",
            percentile(&ring2, 0.5).as_secs_f64() * 1e6,
            percentile(&ring2, 0.99).as_secs_f64() * 1e6,
            secondary_found as f64 / 1000.0
        );
        let started = Instant::now();
        let clusters = graph.clusters((FIRST_DAY, last_day), &rules, 2);
        println!(
            "clusters: {:>8.1} ms  ({} clusters, largest {})",
            started.elapsed().as_secs_f64() * 1e3,
            clusters.len(),
            clusters.first().map_or(0, |c| c.members.len())
        );
        // The cumulative rule judges a pair's zones together, so it cannot read day
        // totals straight: its own figure.
        let cumulative = Rules {
            cumulative: Some(hallguard_tracing_engine::rules::Cumulative::default()),
            ..rules
        };
        let started = Instant::now();
        let clusters = graph.clusters((FIRST_DAY, last_day), &cumulative, 2);
        println!(
            "clusters, cumulative rule: {:>8.1} ms  ({} clusters, largest {})",
            started.elapsed().as_secs_f64() * 1e3,
            clusters.len(),
            clusters.first().map_or(0, |c| c.members.len())
        );
        // Clusters of cases and chains between them: 100 people taken as cases, each
        // infectious from the first day.
        let people = graph.stats().people as u32;
        let cases: Vec<(u32, i64)> = (0..100u32)
            .map(|n| (n * (people / 100).max(1) % people.max(1), FIRST_DAY))
            .collect();
        let started = Instant::now();
        let case_clusters = graph
            .case_clusters(&cases, (FIRST_DAY, last_day), &rules, 2, &Cancel::default())
            .unwrap();
        println!(
            "case clusters of 100 cases: {:>8.1} ms  ({} clusters, largest {})",
            started.elapsed().as_secs_f64() * 1e3,
            case_clusters.len(),
            case_clusters.first().map_or(0, |c| c.cases.len())
        );
        let started = Instant::now();
        let chains = graph
            .transmission_chains(&cases[..10], last_day, &rules, &Cancel::default())
            .unwrap();
        println!(
            "chains between 10 cases over every day: {:>8.1} ms  ({} chains, longest {} hops)",
            started.elapsed().as_secs_f64() * 1e3,
            chains.len(),
            chains.iter().map(|c| c.hops.len()).max().unwrap_or(0)
        );
        // As the duty desk asks: cases infectious from four days before the last day.
        let four_days = (last_day - 4 * 86_400_000, last_day);
        let recent: Vec<(u32, i64)> = (0..people)
            .step_by(97)
            .filter(|&person| !graph.trajectory(person, four_days).is_empty())
            .take(10)
            .map(|person| (person, four_days.0))
            .collect();
        let started = Instant::now();
        let chains = graph
            .transmission_chains(&recent, last_day, &rules, &Cancel::default())
            .unwrap();
        println!(
            "chains between 10 cases over the last 4 days: {:>8.1} ms  ({} chains)",
            started.elapsed().as_secs_f64() * 1e3,
            chains.len(),
        );
        drop(graph);

        // Full build: every interval in one call, as the comparison with DuckDB and
        // PostgreSQL times it.
        let presences: Vec<Presence> = synthetic::generate(&shape);
        let mut full = synthetic::empty_graph(&shape);
        let started = Instant::now();
        full.add(&presences).unwrap();
        println!(
            "full build: {:>8.1} ms  ({} intervals in one batch)",
            started.elapsed().as_secs_f64() * 1e3,
            presences.len()
        );
        drop(full);

        // The floor side by side, in turns: every overlap kept (exact thresholds, the
        // default) against the old one-minute floor.
        let floors = [
            ("every overlap (1 ms floor)", Floors::default()),
            (
                "one-minute floor (before)",
                Floors {
                    min_overlap_ms: 60_000,
                    ..Floors::default()
                },
            ),
        ];
        let mut builds: Vec<Vec<Duration>> = vec![Vec::new(); floors.len()];
        let mut evidence = vec![0usize; floors.len()];
        for _round in 0..5 {
            for (slot, (_, floor)) in floors.iter().enumerate() {
                let mut graph = synthetic::empty_graph_with(&shape, EngineConfig { floors: *floor });
                let started = Instant::now();
                graph.add(&presences).unwrap();
                builds[slot].push(started.elapsed());
                evidence[slot] = graph.stats().evidence_bytes;
            }
        }
        for (slot, (label, _)) in floors.iter().enumerate() {
            builds[slot].sort_unstable();
            println!(
                "floor {label}: full build median of 5 {:>8.1} ms, evidence {:.0} MiB",
                builds[slot][2].as_secs_f64() * 1e3,
                evidence[slot] as f64 / 1048576.0
            );
        }

        // Live ingest: the last tenth in batches, into a graph that already holds the rest.
        let mut live = synthetic::empty_graph(&shape);
        let (head, tail) = presences.split_at(presences.len() * 9 / 10);
        live.add(head).unwrap();
        let batch = 10_000;
        let started = Instant::now();
        for chunk in tail.chunks(batch) {
            live.add(chunk).unwrap();
        }
        let ingest = started.elapsed();
        println!(
            "live ingest: {:>8.0} intervals/s  ({} intervals in batches of {batch} into a graph of {})",
            tail.len() as f64 / ingest.as_secs_f64(),
            tail.len(),
            head.len()
        );
    }
}
