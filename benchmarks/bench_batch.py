"""
Batch jobs: random trips through ``ecoroute batch`` on DIMACS New York, time and peak memory.

Each run is a fresh ``ecoroute batch`` process (trips read from Parquet,
results written to Parquet); peak RSS comes from /proc. Costs only unless
``--geometry``.

    python benchmarks/bench_batch.py --trips 1000000
    python benchmarks/bench_batch.py --trips 1000000,10000000 --no-geometry-run

Writes benchmarks/results/batch.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, print_table, write_results

_RUN = r"""
import resource, sys, time
from ecoroute.cli import main
start = time.perf_counter()
code = main(sys.argv[1:])
print("SECONDS", time.perf_counter() - start)
print("PEAK_MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
sys.exit(code)
"""


def write_trips(network, count: int, path: Path, seed: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Random origin/destination node pairs, written in row groups (memory stays small)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema(
        [("trip_id", pa.int64()), ("origin_node", pa.int64()), ("destination_node", pa.int64())]
    )
    with pq.ParquetWriter(str(path), schema) as writer:
        for begin in range(0, count, 1_000_000):
            k = min(1_000_000, count - begin)
            writer.write_table(
                pa.table(
                    {
                        "trip_id": np.arange(begin, begin + k),
                        "origin_node": network.node_id[rng.integers(0, network.node_count, k)],
                        "destination_node": network.node_id[rng.integers(0, network.node_count, k)],
                    },
                    schema=schema,
                )
            )


def run_batch(network: Path, trips: Path, out: Path, *extra: str) -> dict[str, float]:
    command = [sys.executable, "-c", _RUN, "batch", "--network", str(network), "--trips", str(trips),
               "--out", str(out), "--overwrite", *extra]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    values = dict(
        line.split()
        for line in result.stdout.splitlines()
        if line.startswith(("SECONDS", "PEAK_MB"))
    )
    return {"wall_s": time.perf_counter() - started, "seconds": float(values["SECONDS"]),
            "peak_mb": float(values["PEAK_MB"])}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trips", default="1000000", help="comma-separated trip counts")
    parser.add_argument(
        "--geometry-trips", type=int, default=100_000, help="trips for the run with geometry"
    )
    parser.add_argument(
        "--chunk-rows", type=int, default=None, help="default: the batch module's own"
    )
    args = parser.parse_args(argv)

    import ecoroute

    dimacs = SHARED_DATA / "dimacs"
    network = ecoroute.read_dimacs(
        dimacs / "USA-road-d.NY.gr.gz",
        dimacs / "USA-road-t.NY.gr.gz",
        dimacs / "USA-road-d.NY.co.gz",
    )
    prepare = getattr(network, "prepare", None)
    if prepare is not None:
        prepare()
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "ny.ecoroute"
        network.save(saved)
        runs = [(int(k), []) for k in args.trips.split(",")]
        if args.geometry_trips:
            runs.append((args.geometry_trips, ["--geometry"]))
        for count, extra in runs:
            trips = Path(tmp) / f"trips-{count}.parquet"
            if not trips.exists():
                write_trips(network, count, trips)
            chunk = ["--chunk-rows", str(args.chunk_rows)] if args.chunk_rows else []
            measured = run_batch(saved, trips, Path(tmp) / "out.parquet", *chunk, *extra)
            label = "with geometry (WKB)" if extra else "costs only"
            rows.append({
                "trips": f"{count:,}", "output": label, "seconds": f"{measured['seconds']:.1f}",
                "trips/s": f"{count / measured['seconds']:,.0f}", "peak RSS MB": f"{measured['peak_mb']:.0f}",
            })  # fmt: skip
            results.append({"trips": count, "geometry": bool(extra), **measured})
            print(rows[-1], flush=True)

    print(
        "\nDIMACS New York (prepared), eco-route + fastest route per trip, default chunks "
        "(100,000 rows; 10,000 with geometry):\n"
    )
    print_table(rows, ["trips", "output", "seconds", "trips/s", "peak RSS MB"])
    path = write_results("batch", {"chunk_rows": args.chunk_rows, "runs": results})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
