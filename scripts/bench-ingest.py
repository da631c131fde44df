#!/usr/bin/env python3
"""Ingest benchmark: whole-process `tangkal ingest` of the 1M-item stream into a fresh store, side by side
with `sqlite-utils insert --nl --pk id` loading the same file: storing only (`--no-detect`, the same job as
the peer's), then with detection (each new item placed in its narrative as it is written, the default), then
a re-ingest of the same file. A last row times SQLite alone writing the rows of the storing run into a new
store (scripts/sqlite-floor.py): the floor under any SQLite import of them.

Usage: python3 scripts/bench-ingest.py [--items 1000000] [--repeat 3] [--skip-peer]
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
    ap.add_argument("--repeat", type=int, default=3, help="rounds; each row reports its median round")
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
    if not args.skip_peer and shutil.which("sqlite-utils") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "sqlite-utils"], check=True)
    binary = os.path.join(ROOT, "target/release/tangkal")
    env = dict(os.environ, RUST_LOG="warn")
    names = ["tangkal ingest --no-detect", "tangkal ingest (detecting)", "tangkal ingest (same file again)",
             "sqlite-utils insert --nl --pk id", "SQLite alone, the same rows"]
    # Rounds interleave the runs, so that a slower spell of the shared machine hits every row alike.
    runs = {name: [] for name in names}
    for round_ in range(args.repeat):
        work = tempfile.mkdtemp(prefix="tangkal-bench-")
        try:
            storing, detecting = os.path.join(work, "storing"), os.path.join(work, "detecting")
            for name, data, flags in [(names[0], storing, ["--no-detect"]), (names[1], detecting, []),
                                      (names[2], detecting, [])]:
                s, rss, cpu, out = measure([binary, "--data-dir", data, "ingest", "--json", *flags, stream], env=env)
                runs[name].append((s, rss, cpu, json.loads(out)))
            # The floor: SQLite storing the rows the storing run made, with nothing else to do.
            s, rss, cpu, _ = measure([sys.executable, os.path.join(ROOT, "scripts/sqlite-floor.py"),
                                      os.path.join(storing, "tangkal.sqlite3"), os.path.join(work, "floor.sqlite3")])
            runs[names[4]].append((s, rss, cpu, None))
            db_bytes = sum(os.path.getsize(os.path.join(detecting, f)) for f in os.listdir(detecting)
                           if f.startswith("tangkal.sqlite3"))
            if not args.skip_peer:
                s, rss, cpu, _ = measure(["sqlite-utils", "insert", os.path.join(work, "peer.db"), "items", stream,
                                          "--nl", "--pk", "id"])
                runs[names[3]].append((s, rss, cpu, None))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"round {round_ + 1}: " + ", ".join(f"{n.split(' (')[0] if n.startswith('sqlite') else n} "
                                                    f"{runs[n][-1][0]:.2f} s" for n in names if runs[n]), flush=True)
    median = {name: sorted(r, key=lambda run: run[0])[len(r) // 2] for name, r in runs.items() if r}
    print(f"\nstream: {stream} ({os.path.getsize(stream) / 1e6:.0f} MB, {args.items:,} items); "
          f"median of {args.repeat} rounds, peak RSS the largest of all rounds")
    print(f"{'run':36} {'seconds':>8} {'items/s':>10} {'CPU s':>7} {'peak RSS MiB':>13}  summary")
    for name, (s, _, cpu, summary) in median.items():
        rss = max(run[1] for run in runs[name])
        print(f"{name:36} {s:8.2f} {args.items / s:10,.0f} {cpu:7.1f} {rss:13.0f}  "
              f"{json.dumps(summary) if summary else ''}")
    if names[3] in median:
        print()
        for name in [*names[:2], names[4]]:
            print(f"ratio {name} / sqlite-utils (items/s): {median[names[3]][0] / median[name][0]:.1f}x")
    print(f"re-ingest speed relative to the detecting ingest: {median[names[1]][0] / median[names[2]][0]:.2f}x")
    print(f"store on disk: {db_bytes / 1e6:.0f} MB, {db_bytes / max(median[names[1]][3]['new'], 1):.0f} bytes per item")


if __name__ == "__main__":
    main()
