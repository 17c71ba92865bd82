"""
``ecoroute serve`` under a bounded local load, against the same requests through the Python API.

    python benchmarks/bench_serve.py                        # Helsinki (shipped), 3 runs of 5 s
    python benchmarks/bench_serve.py --extract malta --seconds 10
    python benchmarks/bench_serve.py --network my.ecoroute --clients 32 --workers 2

The service runs as ``ecoroute serve`` in a process of its own (uvicorn on
127.0.0.1, ``--workers`` request threads); ``--clients`` concurrent aiohttp
clients in this process send, for ``--seconds`` each: ``/route`` between two
random points beside roads (OSRM's default options: simplified polyline) and
``/table`` of 10 x 10 random points (duration and distance). The same
requests then go to the Python API in this process (``Router.route`` with its
geometry, ``Router.matrix``): one thread, then ``--workers`` threads. Also one
client alone, so that the HTTP overhead (HTTP p50 minus API p50, one request
at a time) is not queueing. Medians over ``--runs``; writes
benchmarks/results/serve.json.

The load is bounded on purpose (a shared 2-core machine): clients and server
share the cores, so requests per second here are a floor, not a capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED_DATA, print_table, write_results

import ecoroute
from ecoroute.cli import _open_network, prepared_network

EXTRACTS = {"monaco": "osm/monaco.osm.pbf", "malta": "osm/malta.osm.pbf"}


def points_beside_roads(network: ecoroute.RoadNetwork, count: int, seed: int) -> np.ndarray:
    """(lon, lat) of random arc midpoints, moved up to ~20 m off the road."""
    rng = np.random.default_rng(seed)
    arcs = rng.integers(network.arc_count, size=count)
    tail, head = network.tail[arcs], network.head[arcs]
    lon = (network.lon[tail] + network.lon[head]) / 2 + rng.normal(0, 1e-4, count)
    lat = (network.lat[tail] + network.lat[head]) / 2 + rng.normal(0, 1e-4, count)
    return np.column_stack([lon, lat])


def _routable(router: ecoroute.Router, pair: np.ndarray) -> bool:
    try:
        router.route((pair[0, 1], pair[0, 0]), (pair[1, 1], pair[1, 0]))
    except ecoroute.NoRouteError:
        return False
    return True


def _where(points: np.ndarray) -> str:
    return ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in points)


def summary(latencies_s: list[float], seconds: float) -> dict[str, float]:
    """Requests per second, p50 and p99 latency in milliseconds."""
    ms = np.array(latencies_s) * 1000
    return {
        "rps": len(ms) / seconds,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


async def http_load(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, float]:
    """``clients`` concurrent loops over ``paths`` for ``seconds``; every answer must be Ok."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector) as session:
        stop = time.perf_counter() + seconds

        async def loop(k: int) -> None:
            i = k
            while time.perf_counter() < stop:
                started = time.perf_counter()
                async with session.get(paths[i % len(paths)]) as response:
                    body = await response.read()
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    msg = f"{response.status}: {body[:200]!r}"
                    raise RuntimeError(msg)
                i += clients

        began = time.perf_counter()
        await asyncio.gather(*(loop(k) for k in range(clients)))
        elapsed = time.perf_counter() - began
    return summary(latencies, elapsed)


def api_load(calls: list[Callable[[], Any]], threads: int, seconds: float) -> dict[str, float]:
    """The same requests through the Python API, from ``threads`` threads."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    def loop(k: int) -> None:
        i = k
        while time.perf_counter() < stop:
            started = time.perf_counter()
            calls[i % len(calls)]()
            latencies.append(time.perf_counter() - started)
            i += threads

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(loop, range(threads)))
    return summary(latencies, time.perf_counter() - began)


def start_server(network_path: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``ecoroute serve`` in its own process; returns once /health answers."""
    command = [
        sys.executable,
        "-m",
        "ecoroute.cli",
        "--quiet",
        "serve",
        str(network_path),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--max-table-size",
        "100",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    msg = "ecoroute serve did not start"
    raise RuntimeError(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--extract", choices=sorted(EXTRACTS), help="an OSM file of ../shared/data")
    where.add_argument("--network", type=Path, help="a saved network or OSM file")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="the server's request threads")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=200, help="distinct routes to cycle over")
    args = parser.parse_args()

    if args.network:
        path = args.network
    elif args.extract:
        path = SHARED_DATA / EXTRACTS[args.extract]
    else:
        path = ecoroute.datasets.helsinki_path()
    network = prepared_network(_open_network(path))
    router = ecoroute.Router(network, "car_petrol", num_threads=1)  # what `driving` is
    rng_points = points_beside_roads(network, 2 * args.pairs + 10 * 20, seed=0)
    routes = rng_points[: 2 * args.pairs].reshape(args.pairs, 2, 2)
    routes = np.array([p for p in routes if _routable(router, p)])  # NoRoute is an answer too,
    # but a cheaper one: keep the timings to routes that exist
    tables = rng_points[2 * args.pairs :].reshape(20, 10, 2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = start_server(path, port, args.workers)

    def route_call(pair: np.ndarray) -> Callable[[], Any]:
        (a, b) = [(float(lat), float(lon)) for lon, lat in pair]
        return lambda: router.route(a, b).coordinates

    def table_call(points: np.ndarray) -> Callable[[], Any]:
        lat_lon = [(float(lat), float(lon)) for lon, lat in points]
        return lambda: router.matrix(lat_lon, lat_lon)

    requests = {
        "route": (
            [f"/route/v1/driving/{_where(p)}" for p in routes],
            [route_call(p) for p in routes],
        ),
        "table 10x10": (
            [f"/table/v1/driving/{_where(p)}?annotations=duration,distance" for p in tables],
            [table_call(p) for p in tables],
        ),
    }
    runs: list[dict[str, dict[str, float]]] = []
    try:
        for run in range(args.runs):
            measured: dict[str, dict[str, float]] = {}
            for name, (paths, calls) in requests.items():
                measured[f"{name}: http x{args.clients}"] = asyncio.run(
                    http_load(base, paths, args.clients, args.seconds)
                )
                measured[f"{name}: http x1"] = asyncio.run(http_load(base, paths, 1, args.seconds))
                measured[f"{name}: api x1"] = api_load(calls, 1, args.seconds)
                measured[f"{name}: api x{args.workers}"] = api_load(
                    calls, args.workers, args.seconds
                )
            runs.append(measured)
            print(f"run {run + 1} of {args.runs} done", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)

    rows = []
    for key in runs[0]:
        row: dict[str, Any] = {"requests": key}
        for field in ("rps", "p50_ms", "p99_ms"):
            row[field] = round(statistics.median(r[key][field] for r in runs), 2)
        rows.append(row)
    print(
        f"\n{path.name}: {network.node_count:,} nodes, {network.arc_count:,} arcs; "
        f"{args.clients} clients, {args.workers} server threads, {args.seconds:g} s each, "
        f"medians of {args.runs} runs\n"
    )
    print_table(rows, ["requests", "rps", "p50_ms", "p99_ms"])
    by_key = {row["requests"]: row for row in rows}
    overhead = {}
    for name in requests:
        http_ms, api_ms = by_key[f"{name}: http x1"]["p50_ms"], by_key[f"{name}: api x1"]["p50_ms"]
        overhead[name] = round(http_ms - api_ms, 2)
        print(
            f"\nHTTP overhead, {name}: {http_ms - api_ms:.2f} ms per request at p50 "
            f"({http_ms:.2f} ms over HTTP, one client, against {api_ms:.2f} ms in the API)"
        )
    write_results(
        "serve",
        {
            "network": path.name,
            "clients": args.clients,
            "workers": args.workers,
            "seconds": args.seconds,
            "runs": args.runs,
            "rows": rows,
            "overhead_p50_ms": overhead,
        },
    )


if __name__ == "__main__":
    main()
