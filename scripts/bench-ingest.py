#!/usr/bin/env python3
"""Ingest benchmark: whole-process `tangkal ingest` of the 1M-item stream into a fresh store, side by side
with `sqlite-utils insert --nl --pk id` loading the same file: storing only (`--no-detect`, the same job as
the peer's), then with detection (each new item placed in its narrative as it is written, the default), then
a re-ingest of the same file.

Usage: python3 scripts/bench-ingest.py [--items 1000000] [--skip-peer]
Needs ../shared (the stream generator); installs sqlite-utils with pip if it is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


def measure(cmd, **kwargs):
    """Runs cmd, returns (seconds, peak RSS in MiB of that process, CPU seconds, stdout)."""
    # The previous run's writes are flushed first, so that no run pays for another's.
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, **kwargs)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, out.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--skip-peer", action="store_true")
    args = ap.parse_args()
    os.chdir(ROOT)
    size = "1m" if args.items == 1_000_000 else f"{args.items // 1000}k"
    stream = f"target/items-{size}.jsonl"
    if not os.path.exists(stream):
        print(f"generating {stream} ...", flush=True)
        subprocess.run([sys.executable, f"{SHARED}/tools/gen_stream.py", "--seeds", f"{SHARED}/data/stream/seeds.jsonl",
                        "--items", str(args.items), "--seed", "2", "--out", stream,
                        "--truth", stream.replace(".jsonl", ".truth.jsonl")], check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tangkal"], check=True)
    binary = os.path.join(ROOT, "target/release/tangkal")
    work = tempfile.mkdtemp(prefix="tangkal-bench-")
    env = dict(os.environ, RUST_LOG="warn")
    try:
        rows = []
        for name, flags in [("tangkal ingest --no-detect", ["--no-detect"]), ("tangkal ingest (detecting)", [])]:
            data = os.path.join(work, "data" + "".join(flags))
            s, rss, cpu, out = measure([binary, "--data-dir", data, "ingest", "--json", *flags, stream], env=env)
            rows.append((name, s, rss, cpu, json.loads(out)))
        db_bytes = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)
                       if f.startswith("tangkal.sqlite3"))
        s, rss, cpu, out = measure([binary, "--data-dir", data, "ingest", "--json", stream], env=env)
        rows.append(("tangkal ingest (same file again)", s, rss, cpu, json.loads(out)))
        peer = None
        if not args.skip_peer:
            if shutil.which("sqlite-utils") is None:
                subprocess.run([sys.executable, "-m", "pip", "install", "-q", "sqlite-utils"], check=True)
            peer_db = os.path.join(work, "peer.db")
            peer = measure(["sqlite-utils", "insert", peer_db, "items", stream, "--nl", "--pk", "id"])[:3]
        print(f"\nstream: {stream} ({os.path.getsize(stream) / 1e6:.0f} MB, {args.items:,} items)")
        print(f"{'run':36} {'seconds':>8} {'items/s':>10} {'CPU s':>7} {'peak RSS MiB':>13}  summary")
        for name, s, rss, cpu, summary in rows:
            print(f"{name:36} {s:8.2f} {args.items / s:10,.0f} {cpu:7.1f} {rss:13.0f}  {json.dumps(summary)}")
        if peer:
            print(f"{'sqlite-utils insert --nl --pk id':36} {peer[0]:8.2f} {args.items / peer[0]:10,.0f} "
                  f"{peer[2]:7.1f} {peer[1]:13.0f}")
            print()
            for name, s, *_ in rows[:2]:
                print(f"ratio {name} / sqlite-utils (items/s): {peer[0] / s:.1f}x")
        print(f"re-ingest speed relative to the detecting ingest: {rows[1][1] / rows[2][1]:.2f}x")
        print(f"store on disk: {db_bytes / 1e6:.0f} MB, {db_bytes / max(rows[1][4]['new'], 1):.0f} bytes per item")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
