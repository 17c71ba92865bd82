"""
Part-way snapping against node snapping, in the same run (issue 11, part 3).

    python benchmarks/bench_snapping.py                  # Malta, 5 repeats
    python benchmarks/bench_snapping.py --extract rhein-neckar --repeats 3

Random coordinates beside the roads of an extract; a prepared network (CCH),
one thread. Per call: part-way routing from the coordinates (what every query
does now: up to 2 x 2 searches per pair, a min-plus combination, paths for the
winners) against node snapping (the same snaps moved to the road's nearer
node, then one node-to-node search), both timed from coordinates, snapping
included. Calls: one route with its path (``--routes`` of them per timing),
``route_many`` of 10,000 pairs, a 100 x 100 matrix. Medians of ``--repeats``,
the two measured alternately. Writes benchmarks/results/snapping.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, alternate, print_table, write_results

import ecoroute

EXTRACTS = {"malta": "osm/malta.osm.pbf", "rhein-neckar": "osm/rhein-neckar.osm.pbf"}


def points_beside_roads(network: ecoroute.RoadNetwork, count: int, seed: int) -> np.ndarray:
    """(lat, lon) up to ~50 m beside random arcs."""
    rng = np.random.default_rng(seed)
    arcs = rng.integers(0, network.arc_count, count)
    f = rng.uniform(0, 1, count)
    tail, head = network.tail[arcs], network.head[arcs]
    lat = (
        network.lat[tail] + f * (network.lat[head] - network.lat[tail]) + rng.normal(0, 2e-4, count)
    )
    lon = (
        network.lon[tail] + f * (network.lon[head] - network.lon[tail]) + rng.normal(0, 2e-4, count)
    )
    return np.column_stack([lat, lon])


def node_ids(router: ecoroute.Router, points: np.ndarray) -> np.ndarray:
    """Node snapping: the same snap, moved to the road's nearer node (the former behaviour)."""
    ends = router._resolve(points, "points").as_nodes(router.network)
    return router.network.node_id[ends.node]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", default="malta", choices=sorted(EXTRACTS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=100)
    args = parser.parse_args()
    network = ecoroute.load_osm(SHARED_DATA / EXTRACTS[args.extract]).prepared()
    router = ecoroute.Router(network, "car_petrol", "co2", num_threads=1)
    sources = points_beside_roads(network, args.pairs, 1)
    targets = points_beside_roads(network, args.pairs, 2)
    router.route_many(sources[:10], targets[:10])  # build the snapper once, outside the timings
    grid = points_beside_roads(network, 100, 3)
    singles = list(
        zip(map(tuple, sources[: args.routes]), map(tuple, targets[: args.routes]), strict=True)
    )

    def route_partway() -> None:
        for a, b in singles:
            router.route(a, b)

    def route_node() -> None:
        for a, b in singles:
            s, t = node_ids(router, np.array([a, b]))
            router.route(int(s), int(t))

    calls: dict[str, dict[str, Any]] = {
        f"route x{args.routes}": {"part-way": route_partway, "node": route_node},
        f"route_many {args.pairs:,}": {
            "part-way": lambda: router.route_many(sources, targets),
            "node": lambda: router.route_many(node_ids(router, sources), node_ids(router, targets)),
        },
        "matrix 100x100": {
            "part-way": lambda: router.matrix(grid, grid),
            "node": lambda: router.matrix(node_ids(router, grid), node_ids(router, grid)),
        },
    }
    rows = []
    snap_s = alternate(
        {"snap": lambda: (node_ids(router, sources), node_ids(router, targets))}, args.repeats
    )
    rows.append(
        {"call": f"(snapping alone, {2 * args.pairs:,} points)", "node s": f"{snap_s['snap']:.4f}"}
    )
    for name, fns in calls.items():
        medians = alternate(fns, args.repeats)
        rows.append(
            {
                "call": name,
                "part-way s": f"{medians['part-way']:.4f}",
                "node s": f"{medians['node']:.4f}",
                "ratio": f"{medians['part-way'] / medians['node']:.2f}",
            }
        )
    # How much the answers differ: part-way against node routes on the route_many pairs.
    part = router.route_many(sources, targets)
    node = router.route_many(node_ids(router, sources), node_ids(router, targets))
    both = part["reachable"].to_numpy() & node["reachable"].to_numpy()
    both &= node["co2_g"].to_numpy() > 0  # a pair snapped to one node has nothing to compare
    saving = 1 - part["co2_g"].to_numpy()[both] / node["co2_g"].to_numpy()[both]
    summary = {
        "reachable_partway": int(part["reachable"].sum()),
        "reachable_node": int(node["reachable"].sum()),
        "median_co2_relative_difference": float(np.median(-saving)),
        "mean_abs_co2_relative_difference": float(np.mean(np.abs(saving))),
    }
    print(f"{args.extract}: {network!r}, CCH, 1 thread, medians of {args.repeats}")
    print_table(rows, ["call", "part-way s", "node s", "ratio"])
    print(summary)
    write_results(
        "snapping", {"extract": args.extract, "repeats": args.repeats, "rows": rows, **summary}
    )


if __name__ == "__main__":
    main()
