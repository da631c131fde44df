#!/usr/bin/env python3
"""Sign-in under attack, against a real `tangkal serve` on loopback: status counts and the server's memory.

1. burst: N concurrent wrong passwords for `admin` from one address, then the right one.
2. spread: N concurrent wrong passwords for N different usernames from N addresses (127.0.1.x), which no
   budget stops: only the hashing pool bounds the work and the memory.

Prints the statuses of each phase and the server's resident memory (VmRSS) before, and its peak (VmHWM).

Usage: scripts/bench-sign-in.py [--bin PATH] [--requests N]
The binary defaults to target/debug/tangkal (built if missing; the dev profile optimises argon2).
"""

import argparse
import collections
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def sign_in(port, source, username, password):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    body = json.dumps({"username": username, "password": password})
    conn.request("POST", "/api/v1/session", body, {"content-type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def concurrently(calls):
    statuses = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i, call):
        gate.wait()
        statuses[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return collections.Counter(statuses)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "tangkal"))
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    os.chdir(ROOT)
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "-p", "tangkal", "--bin", "tangkal"], check=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [args.bin, "--data-dir", data, "serve", "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            password = None
            for line in server.stdout:
                if line.strip() and not line.startswith("First start") and not line.startswith("It is shown"):
                    password = line.strip()
                    break
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            n = args.requests
            idle = memory_mib(server.pid, "VmRSS")
            burst = concurrently([lambda i=i: sign_in(port, "127.0.0.1", "admin", f"tebakan {i}") for i in range(n)])
            right = sign_in(port, "127.0.0.1", "admin", password)
            spread = concurrently(
                [lambda i=i: sign_in(port, f"127.0.1.{i % 250 + 1}", f"user{i}", "tebakan") for i in range(n)]
            )
            peak = memory_mib(server.pid, "VmHWM")
            print(f"burst:  {n} wrong passwords for one account from one address: {dict(sorted(burst.items()))}")
            print(f"        then the right password: {right}")
            print(f"spread: {n} wrong passwords for {n} accounts from {min(n, 250)} addresses: {dict(sorted(spread.items()))}")
            print(f"memory: {idle:.0f} MiB resident before, {peak:.0f} MiB peak")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
