#!/usr/bin/env python3
"""PostgreSQL benchmarks, each beside its reference on the same machine:

1. ingest: `tangkal ingest --no-detect` of the 1M-item stream into a fresh PostgreSQL schema, against the
   floor of PostgreSQL's own `COPY ... FROM` of the same rows into the same table (same columns, indexes and
   unique identity; the rows exported from the store tangkal wrote). Reported: items/s and the ratio.
2. same results: the 200k stream (`gen_stream.py --items 200000 --seed 2`) with the bundled fact-checks,
   ingested with detection into SQLite and into PostgreSQL; narratives, matches and cases compared.
3. server: scripts/bench-server.sh (case list and case detail with 10,000 cases) on SQLite and on
   PostgreSQL; the p99 ratio PostgreSQL / SQLite.

Usage: python3 scripts/bench-postgres.py [--items 1000000] [--skip ingest,same,server]
Needs ../shared (the stream generator) and PostgreSQL at TANGKAL_BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/test); works in schemas it creates and drops.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
ADMIN_URL = os.environ.get("TANGKAL_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
BINARY = os.path.join(ROOT, "target/release/tangkal")
ENV = dict(os.environ, RUST_LOG="warn")


def psql(sql, capture=False):
    out = subprocess.run(["psql", ADMIN_URL, "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=capture, text=True)
    return out.stdout.strip() if capture else None


def fresh_schema(name):
    psql(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")
    return f"{ADMIN_URL}?options=-csearch_path%3D{name}"


def stream(items):
    size = "1m" if items == 1_000_000 else f"{items // 1000}k"
    path = os.path.join(ROOT, f"target/items-{size}.jsonl")
    if not os.path.exists(path):
        print(f"generating {path} ...", flush=True)
        subprocess.run([sys.executable, f"{SHARED}/tools/gen_stream.py", "--seeds", f"{SHARED}/data/stream/seeds.jsonl",
                        "--items", str(items), "--seed", "2", "--out", path,
                        "--truth", path.replace(".jsonl", ".truth.jsonl")], check=True)
    return path


def timed(cmd, **kwargs):
    os.sync()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV, **kwargs)
    return time.perf_counter() - start


def bench_ingest(items):
    path = stream(items)
    with tempfile.TemporaryDirectory() as work:
        url = fresh_schema("bench_ingest")
        ours = timed([BINARY, "--data-dir", work, "--database-url", url, "ingest", "--no-detect", path])
        stored = int(psql("SELECT count(*) FROM bench_ingest.items", capture=True))
        # The floor: the same rows, exported, then streamed by psql's \copy (COPY FROM STDIN, as a client
        # sends them) into an empty copy of the table.
        rows = os.path.join(work, "items.copy")
        psql(f"\\copy bench_ingest.items TO '{rows}'")
        psql("DROP SCHEMA IF EXISTS bench_floor CASCADE; CREATE SCHEMA bench_floor; "
             "CREATE TABLE bench_floor.items (LIKE bench_ingest.items INCLUDING ALL)")
        os.sync()
        start = time.perf_counter()
        psql(f"\\copy bench_floor.items FROM '{rows}'")
        floor = time.perf_counter() - start
        psql("DROP SCHEMA bench_floor CASCADE; DROP SCHEMA bench_ingest CASCADE")
    print(f"\ningest of {stored:,} items into PostgreSQL ({os.cpu_count()} cores)")
    print(f"{'':44} {'seconds':>9} {'items/s':>10}")
    print(f"{'tangkal ingest --no-detect':44} {ours:9.1f} {stored / ours:10,.0f}")
    print(f"{'COPY of the same rows (the floor)':44} {floor:9.1f} {stored / floor:10,.0f}")
    print(f"ratio tangkal / floor (rate): {floor / ours:.2f}x")


def outcome(data_dir, url):
    """Narratives (with their matches) and cases as the commands show them, without this run's times."""
    base = [BINARY, "--data-dir", data_dir] + (["--database-url", url] if url else [])

    def run(*args):
        return subprocess.run(base + list(args), check=True, capture_output=True, text=True, env=ENV).stdout

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in ("updated_at", "matched_at", "first_seen_at", "factchecks_revision")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    narratives = [json.loads(line) for line in run("narratives", "list", "--json", "--sort", "size",
                                                   "--limit", "10000000").splitlines()]
    # Every narrative's claim is in the list; the matches' details for the 200 largest matched ones.
    matched = [strip(json.loads(run("narratives", "show", str(n["id"]), "--json")))
               for n in [n for n in narratives if n.get("claim")][:200]]
    return [strip(n) for n in narratives], matched


def bench_same_results():
    path = stream(200_000)
    factchecks = os.path.join(ROOT, "data/sample/factchecks.jsonl")
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for backend in ("sqlite", "postgres"):
            data = os.path.join(work, backend)
            url = fresh_schema("bench_same") if backend == "postgres" else None
            base = [BINARY, "--data-dir", data] + (["--database-url", url] if url else [])
            timed(base + ["factchecks", "import", factchecks])
            seconds = timed(base + ["ingest", path])
            results[backend] = (seconds, outcome(data, url))
        psql("DROP SCHEMA bench_same CASCADE")
    (s_secs, (s_narr, s_match)), (p_secs, (p_narr, p_match)) = results["sqlite"], results["postgres"]
    print(f"\n200k stream with detection: SQLite {s_secs:.1f} s, PostgreSQL {p_secs:.1f} s")
    print(f"narratives: {len(s_narr):,} vs {len(p_narr):,}, identical: {s_narr == p_narr}")
    print(f"matched narratives shown in full (the 200 largest): identical: {s_match == p_match}")
    claims = sum(1 for n in s_narr if n.get("claim"))
    print(f"narratives with a claim match: {claims:,}; cases opened: "
          f"{sum(1 for n in s_narr if (n.get('claim') or {}).get('case_id'))}")
    if s_narr != p_narr or s_match != p_match:
        sys.exit("the backends disagree")


def bench_server():
    figures = {}
    for backend in ("sqlite", "postgres"):
        env = dict(ENV)
        if backend == "postgres":
            env["TANGKAL_DATABASE_URL"] = fresh_schema("bench_server")
        out = subprocess.run(["bash", "scripts/bench-server.sh", "10", "32"], check=True, capture_output=True,
                             text=True, env=env).stdout
        print(out)
        rows = {line.split()[1]: float(line.split()[-2]) for line in out.splitlines() if line.startswith("GET /api")}
        figures[backend] = rows
    psql("DROP SCHEMA bench_server CASCADE")
    for route, p99 in figures["postgres"].items():
        print(f"p99 PostgreSQL / SQLite, GET {route}: {p99 / figures['sqlite'][route]:.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--skip", default="", help="comma-separated: ingest, same, server")
    args = ap.parse_args()
    os.chdir(ROOT)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tangkal"], check=True)
    skip = set(filter(None, args.skip.split(",")))
    if "ingest" not in skip:
        bench_ingest(args.items)
    if "same" not in skip:
        bench_same_results()
    if "server" not in skip:
        bench_server()


if __name__ == "__main__":
    main()
