//! Writes a generated city as a presence export in `hallguard analyze`'s CSV format
//! (site, person, person_kind, place, place_kind, start, end, queue_position; times in
//! epoch milliseconds), for `scripts/compare_engines.py --end-to-end` to time the
//! engine and its peers on the same file.
//! Usage: `cargo run --release -p hallguard-tracing-engine --example write_presence --
//! 1000000 bench-data/presence.csv [--dense] [--awkward] [--zones-only]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Write};

use hallguard_tracing_engine::model::{PersonKind, PlaceKind};
use hallguard_tracing_engine::synthetic::{self, HallShape};

fn main() {
    let mut args = std::env::args().skip(1);
    let intervals: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let path = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-data/presence.csv".into()));
    let flags: Vec<String> = args.collect();
    let flag = |name: &str| flags.iter().any(|f| f == name);
    let shape = if flag("--dense") {
        HallShape::dense(intervals, 42)
    } else if flag("--awkward") {
        HallShape::with_intervals(intervals, 42).with_awkward_cases()
    } else {
        HallShape::with_intervals(intervals, 42)
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    writeln!(
        out,
        "site,person,person_kind,place,place_kind,start,end,queue_position"
    )
    .unwrap();
    let mut rows = 0u64;
    for site in 0..shape.sites {
        for day in 0..shape.days {
            for p in synthetic::site_day(&shape, site, day) {
                if flag("--zones-only") && p.place.kind != PlaceKind::Zone {
                    continue;
                }
                let person_kind = match p.person.kind {
                    PersonKind::Staff => "staff",
                    PersonKind::Visitor => "visitor",
                };
                let place_kind = match p.place.kind {
                    PlaceKind::Zone => "zone",
                    PlaceKind::EntryQueue => "entry_queue",
                    PlaceKind::CanteenSeat => "canteen_seat",
                };
                let end = p.end.map(|end| end.to_string()).unwrap_or_default();
                writeln!(
                    out,
                    "{},{},{person_kind},{},{place_kind},{},{end},{}",
                    p.person.site_id, p.person.person_id, p.place.place_id, p.start, p.queue_position
                )
                .unwrap();
                rows += 1;
            }
        }
    }
    out.flush().unwrap();
    println!(
        "{{\"rows\": {rows}, \"sites\": {}, \"days\": {}}}",
        shape.sites, shape.days
    );
}
