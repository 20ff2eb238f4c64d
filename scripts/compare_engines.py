#!/usr/bin/env python3
"""Same close-contact pairs, three ways: the tracing engine, DuckDB and PostgreSQL.

Generates a city with the engine's own generator (`examples/export_pairs.rs`; its
24-hour areas have people at night, many across midnight), then asks DuckDB and
PostgreSQL for every pair of people in the same zone with their total overlap over all
days (every overlap longer than zero, as the engine keeps), checks that all three agree
exactly, and prints the time ratios.

Each peer gets the query an expert would write: stays cut at midnight into pieces (a
stay across midnight is two), then an equality join on (site, zone, day) with the
overlap as a range predicate, summed per pair and zone. DuckDB runs it as a hash join
plus its inequality join; PostgreSQL gets a b-tree index on (site, place, day, start_ms)
and enough work_mem for a hash join.

With `--before REV` the script also builds the engine as it was at git revision REV (in
a worktree under bench-data/) and times its build beside this one's, in turns, on the
same city without the night (which REV's generator may not have): the change in build
time measured on one machine in one run.

Timing: this machine's speed drifts by tens of percent from minute to minute, so the
engine (a cold build in a fresh process each time) and DuckDB take turns for several
rounds and the medians are compared; PostgreSQL, at a minute a run, runs once.

Usage: python3 scripts/compare_engines.py [INTERVALS] [POSTGRES_URL] [ROUNDS] [--before REV]
       python3 scripts/compare_engines.py --end-to-end [ROUNDS] [CITIES] [POSTGRES_URL]
         (the whole question against DuckDB and PostgreSQL: scripts/compare_end_to_end.py)
Needs: `pip install duckdb` (the script makes .venv/ when duckdb is missing) and psql.
"""

import csv
import json
import os
import statistics
import subprocess
import sys
import time

import packages  # scripts/packages.py


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")
DAY_MS = 86_400_000

PAIRS_SQL = """
SELECT a.site, a.person AS person_a, b.person AS person_b, a.place,
       SUM(LEAST(a.end_ms, b.end_ms) - GREATEST(a.start_ms, b.start_ms)) AS total_ms
FROM pieces a
JOIN pieces b
  ON a.site = b.site AND a.place = b.place AND a.day = b.day
 AND a.person < b.person
 AND a.start_ms < b.end_ms AND b.start_ms < a.end_ms
GROUP BY a.site, a.person, b.person, a.place
"""


def ensure_duckdb():
    packages.ensure("duckdb", "duckdb")


def engine(intervals, *flags, root=ROOT):
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "hallguard-tracing-engine", "--example", "export_pairs", "--",
         str(intervals), DATA, *flags],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def before_checkout(rev):
    """A worktree of the engine as it was at `rev`, built."""
    path = os.path.join(DATA, "before")
    if os.path.exists(path):
        subprocess.run(["git", "worktree", "remove", "--force", path], cwd=ROOT, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", path, rev], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "hallguard-tracing-engine", "--example", "export_pairs"],
                   cwd=path, check=True)
    return path


def read_pairs(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return {(r[0], r[1], r[2], r[3], int(r[4])) for r in rows}


def duckdb_connection():
    import duckdb
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE iv AS SELECT site, person, place, start_ms, end_ms "
        "FROM read_csv('{path}', header = true, columns = {{'site': 'VARCHAR', 'person': 'VARCHAR', "
        "'place': 'VARCHAR', 'start_ms': 'BIGINT', 'end_ms': 'BIGINT'}})".format(
            path=os.path.join(DATA, "intervals.csv")))
    return con


# Stays cut at midnight: one piece per day a stay touches.
DUCKDB_PIECES = """
CREATE OR REPLACE TABLE pieces AS
SELECT site, person, place, day,
       GREATEST(start_ms, day * {day}) AS start_ms, LEAST(end_ms, (day + 1) * {day}) AS end_ms
FROM (SELECT *, unnest(range(start_ms // {day}, (end_ms - 1) // {day} + 1)) AS day FROM iv WHERE end_ms > start_ms)
""".format(day=DAY_MS)


def duckdb_run(con):
    # Timed without moving the result into Python, as the engine's time is without export.
    started = time.perf_counter()
    con.execute(DUCKDB_PIECES)
    con.execute("CREATE OR REPLACE TABLE pairs AS " + PAIRS_SQL)
    return time.perf_counter() - started


def duckdb_pairs(con):
    rows = con.execute("SELECT * FROM pairs").fetchall()
    return {(r[0], r[1], r[2], r[3], int(r[4])) for r in rows}


def postgres_pairs(url):
    path = os.path.join(DATA, "intervals.csv")
    out_path = os.path.join(DATA, "postgres_pairs.csv")
    script = f"""
\\set ON_ERROR_STOP on
DROP SCHEMA IF EXISTS hallguard_compare CASCADE;
CREATE SCHEMA hallguard_compare;
SET search_path TO hallguard_compare;
CREATE TABLE raw (site text, person text, place text, start_ms bigint, end_ms bigint);
\\copy raw FROM '{path}' WITH (FORMAT csv, HEADER true)
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 2;
\\timing on
CREATE TABLE pieces AS
SELECT site, person, place, day,
       GREATEST(start_ms, day * {DAY_MS}) AS start_ms, LEAST(end_ms, (day + 1) * {DAY_MS}) AS end_ms
FROM raw, generate_series(start_ms / {DAY_MS}, (end_ms - 1) / {DAY_MS}) AS day
WHERE end_ms > start_ms;
CREATE INDEX ON pieces (site, place, day, start_ms);
ANALYZE pieces;
CREATE TABLE pairs AS {PAIRS_SQL};
\\timing off
\\copy pairs TO '{out_path}' WITH (FORMAT csv, HEADER true)
DROP SCHEMA hallguard_compare CASCADE;
"""
    result = subprocess.run(["psql", url, "-q", "-X"], input=script, capture_output=True, text=True, check=True)
    millis = [float(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("Time:")]
    # Pieces, their index, the statistics and the join: all of the query's work.
    return read_pairs(out_path), sum(millis) / 1000


def main():
    ensure_duckdb()
    args = sys.argv[1:]
    if "--end-to-end" in args:
        import compare_end_to_end
        args.remove("--end-to-end")
        compare_end_to_end.main(args)
        return
    before = None
    if "--before" in args:
        at = args.index("--before")
        before = args[at + 1]
        del args[at:at + 2]
    intervals = int(args[0]) if len(args) > 0 else 1_000_000
    url = args[1] if len(args) > 1 else os.environ.get(
        "HALLGUARD_CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    rounds = int(args[2]) if len(args) > 2 else 5
    os.makedirs(DATA, exist_ok=True)
    if before:
        path = before_checkout(before)
        then, now = [], []
        for _ in range(rounds):
            then.append(engine(intervals, "--time-only", root=path)["engine_build_ms"] / 1000)
            now.append(engine(intervals, "--time-only", "--no-night")["engine_build_ms"] / 1000)
        print(f"build at {before}: {statistics.median(then):.2f} s ({min(then):.2f}-{max(then):.2f}); "
              f"now: {statistics.median(now):.2f} s ({min(now):.2f}-{max(now):.2f}); "
              f"change {100 * (statistics.median(now) / statistics.median(then) - 1):+.1f} %")
        subprocess.run(["git", "worktree", "remove", "--force", path], cwd=ROOT, check=True)
    figures = engine(intervals)
    engine_set = read_pairs(os.path.join(DATA, "engine_pairs.csv"))
    con = duckdb_connection()
    # Turns: a cold engine build, then DuckDB, so both see the machine at the same speed.
    engine_times, duck_times = [], []
    for _ in range(rounds):
        engine_times.append(engine(intervals, "--time-only")["engine_build_ms"] / 1000)
        duck_times.append(duckdb_run(con))
    duck_set = duckdb_pairs(con)
    con.close()
    pg_set, pg_s = postgres_pairs(url)
    agree = engine_set == duck_set == pg_set
    engine_s, duck_s = statistics.median(engine_times), statistics.median(duck_times)
    ratios = sorted(d / e for e, d in zip(engine_times, duck_times))

    def spread(times):
        return f"{min(times):.2f}-{max(times):.2f}"

    crossing = sum(1 for row in csv.reader(open(os.path.join(DATA, "intervals.csv"))) if row[0] != "site"
                   and int(row[3]) // DAY_MS != (int(row[4]) - 1) // DAY_MS and int(row[4]) > int(row[3]))
    print(f"intervals: {figures['intervals']} ({crossing} zone stays across midnight)  "
          f"zone pairs: engine {len(engine_set)}, "
          f"duckdb {len(duck_set)}, postgres {len(pg_set)}  agree exactly: {agree}")
    print(f"medians of {rounds} rounds (range in brackets):")
    print(f"engine full build (all rules, graph included): {engine_s:8.2f} s  ({spread(engine_times)})")
    print(f"duckdb zone pairs (hash + inequality join):    {duck_s:8.2f} s  ({spread(duck_times)})  "
          f"engine speed-up x{duck_s / engine_s:.2f} (per round: {', '.join(f'x{r:.1f}' for r in ratios)})")
    print(f"postgres zone pairs (indexed self-join):       {pg_s:8.2f} s  (one run)  engine speed-up x{pg_s / engine_s:.2f}")
    if not agree:
        for name, other in (("duckdb", duck_set), ("postgres", pg_set)):
            print(f"only in engine vs {name}: {list(engine_set - other)[:3]}; only in {name}: {list(other - engine_set)[:3]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
