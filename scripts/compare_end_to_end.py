#!/usr/bin/env python3
"""The analyst's whole question, three ways, on the same file: load a presence export,
find every close-contact pair (15 minutes in one zone, summed over the days, a person's
own overlapping records counted once), and write each pair with its cumulative time.

- the engine: `hallguard analyze FILE --format csv --out OUT` (load, build, the
  exposure line list with evidence, written as it is found);
- DuckDB: `read_csv`, a person's overlapping stays merged (gaps and islands), stays cut
  at midnight, an equality join on (site, zone, day) with the overlap as a range
  predicate, `HAVING` the threshold per zone, summed per pair, `COPY ... TO` a CSV;
- PostgreSQL (the 1M cities only, one run): the same SQL with `\\copy` in and out.

Each peer runs in a process of its own, in turns with the engine for several rounds
(this machine's speed drifts), timed from start to exit, with its peak resident memory
(from wait4). The answers must agree exactly (pair and whole seconds: the same count and
an order-free digest of the rows), or the script fails. Cities come from the engine's generator (`examples/write_presence.rs`): the
typical city with regulars and stays sent twice ("awkward"), a dense one (10,000
visitors a day), and 10M intervals.

Usage: python3 scripts/compare_engines.py --end-to-end [ROUNDS] [CITIES] [POSTGRES_URL]
  CITIES: comma-separated from 1m, 1m-dense, 10m (default: all three)
Needs: `pip install duckdb` (made in .venv/ when missing) and, for PostgreSQL, psql.
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
THRESHOLD_MS = 15 * 60_000

CITIES = {
    "1m": (1_000_000, "--awkward"),
    "1m-dense": (1_000_000, "--dense"),
    "10m": (10_000_000, "--awkward"),
}

# A person's overlapping stays in one place merged (gaps and islands). Frames by value
# (RANGE on the start), so stays with the same start are judged alike whatever order
# the database gives ties: one stay sent twice is one stay.
MERGED_SQL = """
CREATE TABLE merged AS
WITH ordered AS (
  SELECT site, person_kind || ':' || person AS who, place, start_ms, end_ms,
         MAX(end_ms) OVER (PARTITION BY site, person_kind, person, place ORDER BY start_ms
                           RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM iv WHERE end_ms > start_ms),
islands AS (
  SELECT *, SUM(CASE WHEN reach IS NULL OR start_ms > reach THEN 1 ELSE 0 END)
              OVER (PARTITION BY site, who, place ORDER BY start_ms
                    RANGE UNBOUNDED PRECEDING) AS island
  FROM ordered)
SELECT site, who, place, MIN(start_ms) AS start_ms, MAX(end_ms) AS end_ms
FROM islands GROUP BY site, who, place, island
"""

PAIRS_SQL = """
SELECT site, person_a, person_b, SUM(total_ms) AS total_ms FROM (
  SELECT a.site, a.who AS person_a, b.who AS person_b, a.place,
         SUM(LEAST(a.end_ms, b.end_ms) - GREATEST(a.start_ms, b.start_ms)) AS total_ms
  FROM pieces a JOIN pieces b
    ON a.site = b.site AND a.place = b.place AND a.day = b.day
   AND a.who < b.who AND a.start_ms < b.end_ms AND b.start_ms < a.end_ms
  GROUP BY a.site, a.who, b.who, a.place
  HAVING SUM(LEAST(a.end_ms, b.end_ms) - GREATEST(a.start_ms, b.start_ms)) >= {threshold}
) per_zone GROUP BY site, person_a, person_b
""".format(threshold=THRESHOLD_MS)

DUCKDB_SCRIPT = """
import duckdb, json, sys, time
source, target = sys.argv[1], sys.argv[2]
started = time.perf_counter()
con = duckdb.connect()
con.execute("CREATE TABLE iv AS SELECT * FROM read_csv(?, header = true, columns = {{"
            "'site': 'VARCHAR', 'person': 'VARCHAR', 'person_kind': 'VARCHAR', 'place': 'VARCHAR', "
            "'place_kind': 'VARCHAR', 'start_ms': 'BIGINT', 'end_ms': 'BIGINT', 'queue_position': 'INTEGER'}})",
            [source])
loaded = time.perf_counter() - started
con.execute('''{merged}''')
con.execute('''CREATE TABLE pieces AS
SELECT site, who, place, day,
       GREATEST(start_ms, day * {day}) AS start_ms, LEAST(end_ms, (day + 1) * {day}) AS end_ms
FROM (SELECT *, unnest(range(start_ms // {day}, (end_ms - 1) // {day} + 1)) AS day FROM merged)''')
con.execute("COPY (" + '''{pairs}''' + ") TO '" + target + "' (HEADER, DELIMITER ',')")
print(json.dumps({{"load_s": loaded}}))
""".format(merged=MERGED_SQL, day=DAY_MS, pairs=PAIRS_SQL)


def timed(argv):
    """Wall time and peak memory of one run, with its stdout and stderr."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv[:3])} failed:\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 1024, out, err


def engine_rows(path):
    """The engine's line list as (site, person, person, whole seconds), people sorted."""
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            a = f"{row['person_kind']}:{row['person_id']}"
            b = f"{row['contact_kind']}:{row['contact_id']}"
            yield (row["site"],) + tuple(sorted((a, b))) + (int(row["total_seconds"]),)


def peer_rows(path):
    """A peer's pairs as (site, person, person, whole seconds), people sorted."""
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            yield (row["site"],) + tuple(sorted((row["person_a"], row["person_b"]))) + (
                int(float(row["total_ms"])) // 1000,)


def digest(rows):
    """How many rows and an order-free digest of them (a sum of 64-bit hashes of each
    row and of each pair): tens of millions of pairs compared without holding them."""
    count, rows_sum, pairs_sum = 0, 0, 0
    for row in rows:
        count += 1
        rows_sum = (rows_sum + hash(row)) % 2**64
        pairs_sum = (pairs_sum + hash(row[:3])) % 2**64
    return count, rows_sum, pairs_sum


def differences(ours_path, theirs_path, limit=3):
    """A few rows that differ (holds both lists: for small cities)."""
    ours = {row[:3]: row[3] for row in engine_rows(ours_path)}
    theirs = {row[:3]: row[3] for row in peer_rows(theirs_path)}
    keys = [k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)]
    return [(k, ours.get(k), theirs.get(k)) for k in keys[:limit]]


def postgres_run(url, source, target):
    script = f"""
\\set ON_ERROR_STOP on
DROP SCHEMA IF EXISTS hallguard_e2e CASCADE;
CREATE SCHEMA hallguard_e2e;
SET search_path TO hallguard_e2e;
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 2;
CREATE TABLE iv (site text, person text, person_kind text, place text, place_kind text,
                 start_ms bigint, end_ms bigint, queue_position int);
\\copy iv FROM '{source}' WITH (FORMAT csv, HEADER true)
{MERGED_SQL};
CREATE TABLE pieces AS
SELECT site, who, place, day,
       GREATEST(start_ms, day * {DAY_MS}) AS start_ms, LEAST(end_ms, (day + 1) * {DAY_MS}) AS end_ms
FROM merged, generate_series(start_ms / {DAY_MS}, (end_ms - 1) / {DAY_MS}) AS day;
CREATE INDEX ON pieces (site, place, day, start_ms);
ANALYZE pieces;
\\copy ({" ".join(PAIRS_SQL.split())}) TO '{target}' WITH (FORMAT csv, HEADER true)
DROP SCHEMA hallguard_e2e CASCADE;
"""
    started = time.perf_counter()
    subprocess.run(["psql", url, "-q", "-X"], input=script, capture_output=True, text=True, check=True)
    return time.perf_counter() - started


def main(args):
    rounds = int(args[0]) if len(args) > 0 else 3
    cities = args[1].split(",") if len(args) > 1 else list(CITIES)
    url = args[2] if len(args) > 2 else os.environ.get(
        "HALLGUARD_CI_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    packages.ensure("duckdb", "duckdb")
    python = sys.executable
    os.makedirs(DATA, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "hallguard-tracing-engine",
                    "--example", "write_presence"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "hallguard"], cwd=ROOT, check=True)
    hallguard = os.path.join(ROOT, "target", "release", "hallguard")
    writer = os.path.join(ROOT, "target", "release", "examples", "write_presence")
    for city in cities:
        intervals, shape = CITIES[city]
        source = os.path.join(DATA, f"presence-{city}.csv")
        made = json.loads(subprocess.run([writer, str(intervals), source, shape, "--zones-only"],
                                         check=True, capture_output=True, text=True).stdout)
        engine_out = os.path.join(DATA, f"engine-{city}.csv")
        duck_out = os.path.join(DATA, f"duckdb-{city}.csv")
        engine_runs, duck_runs = [], []
        for _ in range(rounds):
            wall, peak, _, err = timed([hallguard, "analyze", source, "--format", "csv", "--out", engine_out])
            engine_runs.append((wall, peak, err.strip().splitlines()[-1]))
            wall, peak, out, _ = timed([python, "-c", DUCKDB_SCRIPT, source, duck_out])
            duck_runs.append((wall, peak, json.loads(out.strip().splitlines()[-1])["load_s"]))
        ours = digest(engine_rows(engine_out))
        agree = ours == digest(peer_rows(duck_out))
        pg = None
        if city != "10m" and url != "none":
            pg_out = os.path.join(DATA, f"postgres-{city}.csv")
            pg = postgres_run(url, source, pg_out)
            agree = agree and digest(peer_rows(pg_out)) == ours
        engine_s = statistics.median(r[0] for r in engine_runs)
        duck_s = statistics.median(r[0] for r in duck_runs)
        size_mib = os.path.getsize(source) / 2**20
        print(f"\n{city}: {made['rows']:,} zone intervals ({size_mib:.0f} MiB CSV), "
              f"{ours[0]:,} close-contact pairs; agree exactly: {agree}")
        print(f"  engine (hallguard analyze, end to end): {engine_s:6.2f} s median of {rounds} "
              f"({', '.join(f'{r[0]:.2f}' for r in engine_runs)}), "
              f"peak {max(r[1] for r in engine_runs):,.0f} MiB")
        print(f"    {engine_runs[len(engine_runs) // 2][2]}")
        print(f"  duckdb (read_csv + query + COPY):       {duck_s:6.2f} s median "
              f"({', '.join(f'{r[0]:.2f}' for r in duck_runs)}), "
              f"peak {max(r[1] for r in duck_runs):,.0f} MiB, read_csv {statistics.median(r[2] for r in duck_runs):.2f} s")
        print(f"  engine speed-up x{duck_s / engine_s:.1f} "
              f"(per round: {', '.join(f'x{d[0] / e[0]:.1f}' for e, d in zip(engine_runs, duck_runs))})")
        if pg is not None:
            print(f"  postgres (\\copy + query + \\copy out, one run): {pg:6.2f} s, x{pg / engine_s:.1f}")
        if not agree:
            print(f"  differ (engine, duckdb): {differences(engine_out, duck_out)}")
            sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
