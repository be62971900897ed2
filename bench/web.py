"""Web benchmark: requests per second and p50/p95 latency under gunicorn on loopback.

Measures a resource page (a QR target), a search, a misspelt search (the "Vouliez-vous dire" suggestion
and its results), and a minimal Flask route served by the same
app and server (their ratio shows the app's own overhead), at a given number of concurrent
clients (closed loop, keep-alive connections). Prints the figures and the targets:
resource page p95 <= 20 ms at 20 clients, and at least half the minimal route's throughput.

    .venv/bin/python bench/web.py [--clients 20] [--seconds 5] [--workers 2] [--threads 4]

The server is `gunicorn 'bench.web:bench_app()'`: the real app (on a copy of its database in a
temporary folder) plus the route `/_bench/minimal`. The load generator is one asyncio process
speaking HTTP/1.1 over raw sockets, so that it costs little CPU next to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 20.0
RATIO_TARGET = 0.5


def bench_app() -> Any:
    """The app under test (gunicorn factory), with a minimal route beside the real ones."""
    sys.path.insert(0, str(ROOT))
    from app import create_app

    work = Path(os.environ["MALLETTE_BENCH_DIR"])
    config: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "BUILD_DIR": str(work / "builds"),
        "PREBUILD_DEFAULT_KIT": False,
        "SECRET_KEY": "bench",
    }
    if os.environ.get("MALLETTE_CONTENT_DIR"):
        config["CONTENT_DIR"] = os.environ["MALLETTE_CONTENT_DIR"]
    app = create_app(config)

    def minimal() -> str:
        return "ok"

    app.add_url_rule("/_bench/minimal", "bench_minimal", minimal)
    return app


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bool]:
    """Send one request, read the whole response; say whether the server keeps the connection."""
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    keep = True
    for line in head.split(b"\r\n"):
        lowered = line.lower()
        if lowered.startswith(b"content-length:"):
            length = int(line[15:])
        elif lowered.startswith(b"connection:") and b"close" in lowered:
            keep = False
    if length:
        await reader.readexactly(length)
    return status, keep


async def _client(port: int, raw: bytes, stop: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            start = time.perf_counter()
            if start >= stop:
                return
            try:
                status, keep = await _request(reader, writer, raw)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                errors.append(0)
                continue
            if not keep:  # e.g. gunicorn sync workers: one request per connection
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _load(port: int, path: str, clients: int, seconds: float) -> tuple[list[float], list[int], float]:
    raw = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: fr\r\n"
           "Connection: keep-alive\r\n\r\n").encode()
    latencies: list[float] = []
    errors: list[int] = []
    begin = time.perf_counter()
    stop = begin + seconds
    await asyncio.gather(*(_client(port, raw, stop, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - begin


def summarise(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    """Requests per second, p50/p95/p99 and mean latency (ms), errors."""
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    return {
        "requests": len(ordered),
        "rps": len(ordered) / elapsed if elapsed else 0.0,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "mean": statistics.fmean(ordered) * 1000 if ordered else 0.0,
        "errors": errors,
    }


def measure(port: int, paths: list[str], clients: int, seconds: float, rounds: int) -> list[dict[str, float]]:
    """Closed-loop load on each path, interleaved in rounds so that every path sees the same
    background noise; the figures of a path are over all its rounds."""
    for path in paths:  # warm-up (caches, connections, first-request work)
        asyncio.run(_load(port, path, clients, 0.5))
    latencies: dict[str, list[float]] = {path: [] for path in paths}
    errors = dict.fromkeys(paths, 0)
    elapsed = dict.fromkeys(paths, 0.0)
    for _ in range(rounds):
        for path in paths:
            lat, err, took = asyncio.run(_load(port, path, clients, seconds / rounds))
            latencies[path].extend(lat)
            errors[path] += len(err)
            elapsed[path] += took
    return [summarise(latencies[p], errors[p], elapsed[p]) for p in paths]


def wait_ready(port: int, timeout: float = 60) -> None:
    """Wait until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /_bench/minimal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(16).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def pick_resource() -> str:
    """A resource page of the loaded kit (an activity if any: the richest page)."""
    from app.kit import ItemType, load_kit

    content = os.environ.get("MALLETTE_CONTENT_DIR") or str(ROOT / "kit_content")
    kit = load_kit(content).kit
    for item_type in (ItemType.ACTIVITE, ItemType.FICHE, ItemType.POSTURE):
        items = kit.by_type(item_type)
        if items:
            return f"/r/{items[0].id}"
    first = next(iter(kit), None)
    if first is None:
        raise SystemExit("the kit has no valid item to benchmark")
    return f"/r/{first.id}"


def main() -> None:
    """Start gunicorn, measure, print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=6.0, help="per URL, over all rounds")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (noise fairness)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--search", default="cooperation territoire")
    parser.add_argument("--typo", default="cooperaton", help="a misspelt search: suggestion, then its results")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    resource = pick_resource()
    search = "/recherche?q=" + args.search.replace(" ", "+")
    typo = "/recherche?q=" + args.typo.replace(" ", "+")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mallette-bench-") as work:
        env = {**os.environ, "MALLETTE_BENCH_DIR": work}
        command = [
            sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers), "--worker-class", args.worker_class, "--threads", str(args.threads),
            "--keep-alive", "30", "--log-level", "warning", "bench.web:bench_app()",
        ]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            wait_ready(port)
            from bench.machine import cpu_ticks, tree_cpu_seconds, usage_line

            ticks, began, own_before = cpu_ticks(), time.perf_counter(), time.process_time()
            server_before = tree_cpu_seconds(server.pid)
            targets = [("minimal route", "/_bench/minimal"), ("resource page", resource), ("search", search),
                       ("typo search", typo)]
            results = measure(port, [path for _, path in targets], args.clients, args.seconds, args.rounds)
            rows = [(label, path, result) for (label, path), result in zip(targets, results, strict=True)]
            own = tree_cpu_seconds(server.pid) - server_before + time.process_time() - own_before
            machine = usage_line(ticks, time.perf_counter() - began, own)
        finally:
            server.terminate()
            server.wait(timeout=30)

    load = os.getloadavg()[0]
    print(f"gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads, loopback; "
          f"{args.clients} concurrent clients, {args.seconds:g} s per URL in {args.rounds} interleaved rounds, "
          f"keep-alive; "
          f"{os.cpu_count()} CPUs shared with the load generator; load average {load:.1f} at the end")
    print(f"{'':15} {'path':42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for label, path, r in rows:
        print(f"{label:15} {path[:42]:42} {r['rps']:8.0f} {r['p50']:8.2f} {r['p95']:8.2f} {r['p99']:8.2f} "
              f"{r['errors']:6d}")
    print(machine)
    minimal, page = rows[0][2], rows[1][2]
    ratio = page["rps"] / minimal["rps"] if minimal["rps"] else 0.0
    print(f"resource page p95 {page['p95']:.2f} ms (target <= {P95_TARGET_MS:g} ms): "
          f"{'OK' if page['p95'] <= P95_TARGET_MS else 'MISSED'}")
    print(f"resource page / minimal route throughput {ratio:.2f} (target >= {RATIO_TARGET:g}): "
          f"{'OK' if ratio >= RATIO_TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
