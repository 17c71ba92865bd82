"""
Saved networks and immutable copies on DIMACS New York: what safety costs.

Times (medians) ``RoadNetwork.save``, ``RoadNetwork.load`` with and without
checksums, and the copies an immutable network makes (``from_arrays`` on the
network's own arrays, ``replace`` of the grades), next to NumPy's own
``np.savez``/``np.load`` of the same arrays as the peer::

    python benchmarks/bench_storage.py --repeats 7
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from _common import SHARED_DATA, median_time, print_table, write_results

import ecoroute


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7, help="runs per timing (median kept)")
    args = parser.parse_args(argv)

    dimacs = SHARED_DATA / "dimacs"
    network = ecoroute.read_dimacs(
        dimacs / "USA-road-d.NY.gr.gz",
        dimacs / "USA-road-t.NY.gr.gz",
        dimacs / "USA-road-d.NY.co.gz",
    )
    arrays = {
        "tail": np.asarray(network.tail),
        "head": np.asarray(network.head),
        "length_m": network.length_m,
        "speed_kph": network.speed_kph,
        "lat": network.lat,
        "lon": network.lon,
        "node_id": network.node_id,
        "travel_time_s": network.travel_time_s,
    }
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ny.ecoroute"
        npz = Path(folder) / "ny.npz"
        timings = {
            "RoadNetwork.save": lambda: network.save(path),
            "np.savez (peer)": lambda: np.savez(npz, **arrays),
        }
        for label, fn in timings.items():
            rows.append(_row(label, *median_time(fn, args.repeats)))
        timings = {
            "RoadNetwork.load(verify=True)": lambda: ecoroute.RoadNetwork.load(path),
            "RoadNetwork.load(verify=False)": lambda: ecoroute.RoadNetwork.load(path, verify=False),
            "np.load of the npz, all arrays (peer)": lambda: dict(np.load(npz, allow_pickle=False)),
            "RoadNetwork.from_arrays (copies every array)": lambda: (
                ecoroute.RoadNetwork.from_arrays(
                    arrays["tail"],
                    arrays["head"],
                    arrays["length_m"],
                    arrays["speed_kph"],
                    arrays["lat"],
                    arrays["lon"],
                    node_id=arrays["node_id"],
                    travel_time_s=arrays["travel_time_s"],
                )
            ),
            "network.replace(grade=...)": lambda: network.replace(
                grade=np.zeros(network.arc_count)
            ),
        }
        for label, fn in timings.items():
            rows.append(_row(label, *median_time(fn, args.repeats)))
        size_mb = path.stat().st_size / 1e6
    print(
        f"DIMACS New York: {network.node_count:,} nodes, {network.arc_count:,} arcs, "
        f"saved file {size_mb:.1f} MB, {args.repeats} runs"
    )
    print_table(rows, ["step", "median_ms", "min_ms", "max_ms"])
    write_results("storage", {"file_mb": size_mb, "rows": rows})
    return 0


def _row(label: str, median: float, runs: list[float]) -> dict[str, object]:
    return {
        "step": label,
        "median_ms": f"{median * 1e3:.1f}",
        "min_ms": f"{min(runs) * 1e3:.1f}",
        "max_ms": f"{max(runs) * 1e3:.1f}",
    }


if __name__ == "__main__":
    raise SystemExit(main())
