#!/usr/bin/env python3
"""The distributed intake (NATS JetStream into PostgreSQL) against its floors, on this machine:

1. floors: `tangkal ingest --to` alone into an empty stream (NATS publish, no worker), and PostgreSQL's own
   `COPY ... FROM` of the rows the workers stored, into an empty copy of the items table.
2. throughput, with 1 and then 2 workers (and one placer): the whole stream published first, then the
   time until every message is acknowledged and every item placed. Items/s, CPU seconds per 1,000 items
   of each stage (publisher, workers, placer, nats-server, PostgreSQL's backends), peak memory per worker.
3. latency at a steady rate (default 5,000 items/s): a pacer feeds `tangkal ingest --to ... -` on standard
   input in 5 ms ticks; a sampler polls PostgreSQL every 20 ms (one session) for items that gained a
   narrative. From when an item was due to be published to stored and placed, p50 and p99 (the ticks and the
   sampler's 20 ms are included).

Usage: python3 scripts/bench-nats.py [--items 1000000] [--workers 1,2] [--rate 5000] [--latency-items 100000]
                                    [--skip publish,throughput,latency]
Needs ../shared (the stream generator), nats-server (Debian's package; a server of its own is started on a
free port with JetStream in a temporary directory) and PostgreSQL at TANGKAL_BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/test; works in schemas it creates and drops).
"""
import argparse
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("bench_postgres", os.path.join(ROOT, "scripts/bench-postgres.py"))
bench_postgres = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_postgres)
psql, fresh_schema, stream = bench_postgres.psql, bench_postgres.fresh_schema, bench_postgres.stream
BINARY = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release/tangkal")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User and system CPU of a process (and its reaped children), in seconds."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICKS


def per_1k(cpu, items):
    """CPU milliseconds per 1,000 items."""
    return 1000 * cpu / (items / 1000)


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def postgres_cpu():
    """CPU seconds of every PostgreSQL process so far (the backends the benchmark opens among them)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if open(f"/proc/{pid}/comm").read().strip() == "postgres":
                    total += cpu_seconds(pid)
            except OSError:
                pass
    return total


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A nats-server of its own and a fresh schema; tangkal processes against both."""

    def __init__(self, work, name):
        self.work, self.port = work, free_port()
        store = os.path.join(work, f"nats-{name}")
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.nats = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", store],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                time.sleep(0.05)
        self.schema = f"bench_nats_{name}"
        self.url = fresh_schema(self.schema)
        self.env = dict(os.environ, RUST_LOG="warn", TANGKAL_DATABASE_URL=self.url,
                        TANGKAL_NATS_URL=f"nats://127.0.0.1:{self.port}")
        self.processes = []

    def spawn(self, *args, stdin=None):
        p = subprocess.Popen([BINARY, "--data-dir", self.work, *args], env=self.env, stdin=stdin,
                             stdout=subprocess.DEVNULL)
        self.processes.append(p)
        return p

    def status(self):
        out = subprocess.run([BINARY, "--data-dir", self.work, "status", "--json", "--sample-ms", "10"],
                             env=self.env, check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    def wait_done(self, items):
        """Until every message is acknowledged and every stored item placed (read from the database: the
        placer's heartbeat comes only every 5 s)."""
        while True:
            s = self.status()
            if s["pending"] == 0 and s["ack_pending"] == 0 and s["last_seq"] >= items:
                stored, placed = psql(f"SELECT count(*), count(narrative_id) FROM {self.schema}.items",
                                      capture=True).split("|")
                if int(stored) > 0 and stored == placed:
                    return
            time.sleep(0.05)

    def close(self):
        for p in self.processes:
            if p.poll() is None:
                p.terminate()
                p.wait()
        self.nats.terminate()
        self.nats.wait()
        psql(f"SET client_min_messages = warning; DROP SCHEMA IF EXISTS {self.schema} CASCADE")


def publish_floor(work, path, items):
    cluster = Cluster(work, "publish")
    try:
        start = time.perf_counter()
        p = cluster.spawn("ingest", "--to", cluster.env["TANGKAL_NATS_URL"], path)
        p.wait()
        seconds = time.perf_counter() - start
        return seconds, cpu_seconds(cluster.nats.pid)
    finally:
        cluster.close()


def throughput(work, path, items, workers):
    cluster = Cluster(work, f"w{workers}")
    try:
        start = time.perf_counter()
        publisher = cluster.spawn("ingest", "--to", cluster.env["TANGKAL_NATS_URL"], path)
        # The publisher's CPU, read before it is reaped.
        publisher_cpu = 0.0
        while publisher.poll() is None:
            publisher_cpu = cpu_seconds(publisher.pid) or publisher_cpu
            time.sleep(0.05)
        published = time.perf_counter() - start
        pg_before = postgres_cpu()
        start = time.perf_counter()
        procs = [cluster.spawn("worker", "--name", f"w{i}") for i in range(workers)]
        placer = cluster.spawn("placer", "--name", "placer")
        cluster.wait_done(items)
        seconds = time.perf_counter() - start
        worker_cpu = sum(cpu_seconds(p.pid) for p in procs)
        memory = max(peak_rss_mib(p.pid) for p in procs)
        stored = int(psql(f"SELECT count(*) FROM {cluster.schema}.items", capture=True))
        row = {
            "workers": workers,
            "stored": stored,
            "publish_s": published,
            "seconds": seconds,
            "items_per_s": stored / seconds,
            "cpu_ms_per_1k": {
                "publisher": per_1k(publisher_cpu, stored),
                "workers": per_1k(worker_cpu, stored),
                "placer": per_1k(cpu_seconds(placer.pid), stored),
                "nats-server": per_1k(cpu_seconds(cluster.nats.pid), stored),
                "postgres": per_1k(postgres_cpu() - pg_before, stored),
            },
            "worker_peak_rss_mib": memory,
        }
        if workers == 1:
            row["copy_floor_s"] = copy_floor(work, cluster.schema)
        return row
    finally:
        cluster.close()


def copy_floor(work, schema):
    rows = os.path.join(work, "items.copy")
    psql(f"\\copy {schema}.items TO '{rows}'")
    psql("DROP SCHEMA IF EXISTS bench_floor CASCADE; CREATE SCHEMA bench_floor; "
         f"CREATE TABLE bench_floor.items (LIKE {schema}.items INCLUDING ALL)")
    os.sync()
    start = time.perf_counter()
    psql(f"\\copy bench_floor.items FROM '{rows}'")
    seconds = time.perf_counter() - start
    psql("DROP SCHEMA bench_floor CASCADE")
    os.remove(rows)
    return seconds


class Session:
    """One psql session kept open: a query every 20 ms costs a query, not a process start (psql started 50
    times a second takes a good part of a core from the processes measured)."""

    def __init__(self):
        self.psql = subprocess.Popen(["psql", bench_postgres.ADMIN_URL, "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def rows(self, sql):
        self.psql.stdin.write(f"{sql};\n\\echo __end__\n")
        self.psql.stdin.flush()
        rows = []
        for line in self.psql.stdout:
            line = line.rstrip("\n")
            if line == "__end__":
                return rows
            if line:
                rows.append(line)
        raise RuntimeError("psql ended")

    def close(self):
        self.psql.stdin.close()
        self.psql.wait()


def latency(work, path, count, rate, workers):
    """Items are handed to the publisher in 5 ms ticks, each timed from when it was due (so a pacer running
    late counts against the pipeline, not for it); the sampler notes when each item is first seen placed."""
    cluster = Cluster(work, "latency")
    due = {}
    seen = {}
    try:
        procs = [cluster.spawn("worker", "--name", f"w{i}") for i in range(workers)]
        procs.append(cluster.spawn("placer", "--name", "placer"))
        time.sleep(2)
        publisher = cluster.spawn("ingest", "--to", cluster.env["TANGKAL_NATS_URL"], "-", stdin=subprocess.PIPE)
        done = threading.Event()
        done_at = [0.0]

        def poll():
            session = Session()
            last = 0
            while not done.is_set() or len(seen) < len(due):
                rows = session.rows(f"SELECT intake_seq, external_id FROM {cluster.schema}.items "
                                    f"WHERE intake_seq > {last} AND narrative_id IS NOT NULL ORDER BY intake_seq")
                now = time.perf_counter()
                for line in rows:
                    seq, external = line.split("|", 1)
                    last = max(last, int(seq))
                    seen.setdefault(external, now)
                if done.is_set() and time.perf_counter() - done_at[0] > 60:
                    break
                time.sleep(0.02)
            session.close()

        poller = threading.Thread(target=poll)
        poller.start()
        with open(path, "rb") as source:
            lines = [line for _, line in zip(range(count), source)]
        start = time.perf_counter()
        sent = 0
        while sent < len(lines):
            ready = min(len(lines), int((time.perf_counter() - start) * rate) + 1)
            chunk = lines[sent:ready]
            for i, line in enumerate(chunk, start=sent):
                due[json.loads(line)["id"]] = start + i / rate
            publisher.stdin.write(b"".join(chunk))
            publisher.stdin.flush()
            sent = ready
            time.sleep(0.005)
        publisher.stdin.close()
        publisher.wait()
        done_at[0] = time.perf_counter()
        done.set()
        poller.join()
        in_order = [seen[e] - t for e, t in sorted(due.items(), key=lambda kv: kv[1]) if e in seen]
        tenth = max(1, len(in_order) // 10)
        waits = sorted(in_order)
        achieved = len(due) / (done_at[0] - start)
        return {
            "rate": rate,
            "achieved_rate": achieved,
            "measured": len(waits),
            "p50_ms": 1000 * statistics.median(waits),
            "p99_ms": 1000 * waits[int(0.99 * (len(waits) - 1))],
            # A steady pipeline keeps these close; a backlog that grows shows as a later tenth much slower.
            "p50_first_tenth_ms": 1000 * statistics.median(in_order[:tenth]),
            "p50_last_tenth_ms": 1000 * statistics.median(in_order[-tenth:]),
        }
    finally:
        cluster.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--rate", type=int, default=5_000)
    ap.add_argument("--latency-items", type=int, default=100_000)
    ap.add_argument("--skip", default="", help="comma-separated parts to leave out: publish,throughput,latency")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    os.chdir(ROOT)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tangkal"], check=True)
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    path = stream(args.items)
    with tempfile.TemporaryDirectory() as work:
        if "publish" not in skip:
            seconds, nats_cpu = publish_floor(work, path, args.items)
            print(f"\nNATS publish alone: {args.items:,} items in {seconds:.1f} s, {args.items / seconds:,.0f} items/s "
                  f"(nats-server {per_1k(nats_cpu, args.items):.0f} CPU ms per 1,000 items)")
        for workers in [] if "throughput" in skip else map(int, args.workers.split(",")):
            row = throughput(work, path, args.items, workers)
            print(f"\n{workers} worker(s): {row['stored']:,} items stored and placed in {row['seconds']:.1f} s, "
                  f"{row['items_per_s']:,.0f} items/s (published before, in {row['publish_s']:.1f} s); "
                  f"peak memory per worker {row['worker_peak_rss_mib']:.0f} MiB")
            print("  CPU ms per 1,000 items: " + ", ".join(f"{k} {v:.0f}" for k, v in row["cpu_ms_per_1k"].items()))
            if "copy_floor_s" in row:
                floor = row["copy_floor_s"]
                print(f"  PostgreSQL COPY of the same rows alone: {floor:.1f} s, {row['stored'] / floor:,.0f} items/s")
        if "latency" in skip:
            return
        lat = latency(work, path, min(args.latency_items, args.items), args.rate, max(map(int, args.workers.split(","))))
        print(f"\nlatency at {lat['rate']:,} items/s (achieved {lat['achieved_rate']:,.0f}), {lat['measured']:,} items: "
              f"publish -> stored and placed p50 {lat['p50_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms "
              f"(p50 of the first tenth {lat['p50_first_tenth_ms']:.0f} ms, of the last {lat['p50_last_tenth_ms']:.0f} ms)")


if __name__ == "__main__":
    main()
