#!/usr/bin/env python3
"""Same close-contact pairs, three ways: the tracing engine, DuckDB and PostgreSQL.

Generates a city with the engine's own generator (`examples/export_pairs.rs`), then asks
DuckDB and PostgreSQL for every pair of people in the same zone on the same day with
their total overlap (kept at >= 60 s, the engine's floor), checks that all three agree
exactly, and prints the time ratios.

Each peer gets the query an expert would write: an equality join on (site, zone, day) -
the hall closes at night, so no overlap crosses a day - with the overlap as a range
predicate. DuckDB runs it as a hash join plus its inequality join; PostgreSQL gets a
b-tree index on (site, place, day, start_ms) and enough work_mem for a hash join.

Timing: this machine's speed drifts by tens of percent from minute to minute, so the
engine (a cold build in a fresh process each time) and DuckDB take turns for several
rounds and the medians are compared; PostgreSQL, at a minute a run, runs once.

Usage: python3 scripts/compare_engines.py [INTERVALS] [POSTGRES_URL] [ROUNDS]
Needs: `pip install duckdb` (the script makes .venv/ when duckdb is missing) and psql.
"""

import csv
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")
FLOOR_MS = 60_000
DAY_MS = 86_400_000

PAIRS_SQL = """
SELECT a.site, a.person AS person_a, b.person AS person_b, a.place, a.day,
       SUM(LEAST(a.end_ms, b.end_ms) - GREATEST(a.start_ms, b.start_ms)) AS total_ms
FROM iv a
JOIN iv b
  ON a.site = b.site AND a.place = b.place AND a.day = b.day
 AND a.person < b.person
 AND a.start_ms < b.end_ms AND b.start_ms < a.end_ms
GROUP BY a.site, a.person, b.person, a.place, a.day
HAVING SUM(LEAST(a.end_ms, b.end_ms) - GREATEST(a.start_ms, b.start_ms)) >= {floor}
""".format(floor=FLOOR_MS)


def ensure_duckdb():
    try:
        import duckdb  # noqa: F401
        return
    except ImportError:
        pass
    venv = os.path.join(ROOT, ".venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    # The venv may exist for other tools (scripts/check_deploy.sh) without DuckDB.
    if subprocess.run([python, "-c", "import duckdb"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "duckdb"], check=True)
    if os.path.abspath(sys.executable) != os.path.abspath(python):
        os.execv(python, [python] + sys.argv)


def engine(intervals, *flags):
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "hallguard-tracing-engine", "--example", "export_pairs", "--",
         str(intervals), DATA, *flags],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def read_pairs(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return {(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows}


def duckdb_connection():
    import duckdb
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE iv AS SELECT site, person, place, start_ms, end_ms, start_ms // {day} AS day "
        "FROM read_csv('{path}', header = true, columns = {{'site': 'VARCHAR', 'person': 'VARCHAR', "
        "'place': 'VARCHAR', 'start_ms': 'BIGINT', 'end_ms': 'BIGINT'}})".format(
            day=DAY_MS, path=os.path.join(DATA, "intervals.csv")))
    return con


def duckdb_run(con):
    # Timed without moving the result into Python, as the engine's time is without export.
    started = time.perf_counter()
    con.execute("CREATE OR REPLACE TABLE pairs AS " + PAIRS_SQL)
    return time.perf_counter() - started


def duckdb_pairs(con):
    rows = con.execute("SELECT * FROM pairs").fetchall()
    return {(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows}


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
CREATE TABLE iv AS SELECT *, start_ms / {DAY_MS} AS day FROM raw;
CREATE INDEX ON iv (site, place, day, start_ms);
ANALYZE iv;
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 2;
\\timing on
CREATE TABLE pairs AS {PAIRS_SQL};
\\timing off
\\copy pairs TO '{out_path}' WITH (FORMAT csv, HEADER true)
DROP SCHEMA hallguard_compare CASCADE;
"""
    result = subprocess.run(["psql", url, "-q", "-X"], input=script, capture_output=True, text=True, check=True)
    millis = [float(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("Time:")]
    return read_pairs(out_path), millis[-1] / 1000


def main():
    ensure_duckdb()
    intervals = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    url = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "HALLGUARD_CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
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

    print(f"intervals: {figures['intervals']}  zone pairs: engine {len(engine_set)}, "
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
