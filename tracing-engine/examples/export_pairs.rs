//! Writes a generated city's intervals and the engine's zone pairs (each pair's total
//! overlap per zone, over all days, stays across midnight included) as CSV, for
//! `scripts/compare_engines.py` to check against DuckDB and PostgreSQL, and prints the
//! full build's time. With `--time-only` it writes nothing: the script runs it again in
//! fresh processes to take the median of several cold builds. `--no-night` leaves out
//! the 24-hour area's night (the city as generated before it had one, to compare builds
//! of two versions on the same data).
//! Usage: `cargo run --release -p hallguard-tracing-engine --example export_pairs -- 1000000 bench-data [--time-only] [--no-night]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::time::Instant;

use hallguard_tracing_engine::model::{PersonKind, PlaceKind};
use hallguard_tracing_engine::synthetic::{self, HallShape};

// The hallguard binary's allocator, so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let intervals: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-data".into()));
    let flags: Vec<String> = args.collect();
    let time_only = flags.iter().any(|f| f == "--time-only");
    let mut shape = HallShape::with_intervals(intervals, 42);
    if flags.iter().any(|f| f == "--no-night") {
        shape.night_visitors = 0;
    }
    let presences = synthetic::generate(&shape);
    if time_only {
        let mut graph = synthetic::empty_graph(&shape);
        let started = Instant::now();
        graph.add(&presences).unwrap();
        let build = started.elapsed();
        println!("{{\"engine_build_ms\": {:.1}}}", build.as_secs_f64() * 1e3);
        return;
    }
    std::fs::create_dir_all(&dir).unwrap();

    let mut out = BufWriter::new(std::fs::File::create(dir.join("intervals.csv")).unwrap());
    writeln!(out, "site,person,place,start_ms,end_ms").unwrap();
    for p in presences.iter().filter(|p| p.place.kind == PlaceKind::Zone) {
        let kind = if p.person.kind == PersonKind::Staff {
            "s"
        } else {
            "v"
        };
        writeln!(
            out,
            "{},{kind}:{},{},{},{}",
            p.person.site_id,
            p.person.person_id,
            p.place.place_id,
            p.start,
            p.end.unwrap()
        )
        .unwrap();
    }
    out.flush().unwrap();

    let mut graph = synthetic::empty_graph(&shape);
    let started = Instant::now();
    graph.add(&presences).unwrap();
    let build = started.elapsed();

    // Each pair's overlap per zone, summed over the days (and the pieces of stays cut at
    // midnight), as the analyst asks it.
    let mut totals: HashMap<(u32, u32, u32), i64> = HashMap::new();
    for (low, high, key, evidence) in graph.evidence() {
        if key.kind == PlaceKind::Zone {
            *totals.entry((low, high, evidence.place_low)).or_default() += evidence.total_ms;
        }
    }
    let name = |index| {
        let person = graph.person(index);
        let kind = if person.kind == PersonKind::Staff {
            "s"
        } else {
            "v"
        };
        format!("{kind}:{}", person.person_id)
    };
    let mut out = BufWriter::new(std::fs::File::create(dir.join("engine_pairs.csv")).unwrap());
    writeln!(out, "site,person_a,person_b,place,total_ms").unwrap();
    let pairs = totals.len();
    for ((low, high, place), total_ms) in totals {
        let place = graph.place(place);
        let (a, b) = (name(low), name(high));
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        writeln!(out, "{},{a},{b},{},{total_ms}", place.site_id, place.place_id).unwrap();
    }
    out.flush().unwrap();
    println!(
        "{{\"intervals\": {}, \"zone_pairs\": {pairs}, \"engine_build_ms\": {:.1}}}",
        presences.len(),
        build.as_secs_f64() * 1e3
    );
}
