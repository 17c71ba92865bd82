"""
Part-way snapping against node snapping, in the same run (issue 11, part 3).

    python benchmarks/bench_snapping.py                  # Malta, 5 repeats
    python benchmarks/bench_snapping.py --extract rhein-neckar --repeats 3
    python benchmarks/bench_snapping.py --departure      # the same calls with departure=
    python benchmarks/bench_snapping.py --budget         # the same calls with max_extra_time

Random coordinates beside the roads of an extract; a prepared network (CCH),
one thread. Per call: part-way routing from the coordinates (what every query
does now: up to 2 x 2 searches per pair, a min-plus combination, paths for the
winners) against node snapping (the same snaps moved to the road's nearer
node, then one node-to-node search), both timed from coordinates, snapping
included. Calls: one route with its path (``--routes`` of them per timing),
``route_many`` of 10,000 pairs, a 100 x 100 matrix. Medians of ``--repeats``,
the two measured alternately. Writes benchmarks/results/snapping.json.

``--departure``: the same calls with ``departure=`` (Monday 08:00, the
synthetic weekday profile on every major road, :func:`ecoroute.traffic.
synthetic_profiles`): single routes by the time-dependent search (up to four
searches per pair part-way, one node to node), ``route_many`` and the matrix
on the hour's metric, and ``route_many(..., time_dependent=True)`` on
``--timed-pairs`` pairs. Writes benchmarks/results/snapping_departure.json.

``--budget``: the same calls on a router with a time budget
(``max_extra_time=0.05``, 9 prices of time: one engine each, every price's
routes part-way, then the budget's choice) against node snapping on the
same router; plus how far the two answers' CO2 and start points differ.
Writes benchmarks/results/snapping_budget.json.
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


def departures(network: ecoroute.RoadNetwork, args: Any) -> None:
    """Part-way against node-snapped queries with ``departure=``, alternately, same points."""
    from ecoroute import traffic

    major = {"trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link"}
    profiles = traffic.synthetic_profiles(network, highways=major, seed=0)
    monday_08 = 8 * 3600.0
    sources = points_beside_roads(network, args.pairs, 1)
    targets = points_beside_roads(network, args.pairs, 2)
    grid = points_beside_roads(network, 100, 3)
    singles = list(
        zip(map(tuple, sources[: args.routes]), map(tuple, targets[: args.routes]), strict=True)
    )
    few_s, few_t = sources[: args.timed_pairs], targets[: args.timed_pairs]
    rows = []
    for objective in ("time", "co2"):
        router = ecoroute.Router(network, "car_petrol", objective, num_threads=1, speeds=profiles)
        router.route(singles[0][0], singles[0][1], departure=monday_08)  # build the kernel
        router.matrix(grid[:2], grid[:2], departure=monday_08)  # customize the hour

        def route_partway(r: ecoroute.Router = router) -> None:
            for a, b in singles:
                r.route(a, b, departure=monday_08)

        def route_node(r: ecoroute.Router = router) -> None:
            for a, b in singles:
                s, t = node_ids(r, np.array([a, b]))
                r.route(int(s), int(t), departure=monday_08)

        r = router
        calls: dict[str, dict[str, Any]] = {
            f"route x{args.routes}": {"part-way": route_partway, "node": route_node},
            f"route_many {args.pairs:,} (hour)": {
                "part-way": lambda r=r: r.route_many(sources, targets, departure=monday_08),
                "node": lambda r=r: r.route_many(
                    node_ids(r, sources), node_ids(r, targets), departure=monday_08
                ),
            },
            "matrix 100x100 (hour)": {
                "part-way": lambda r=r: r.matrix(grid, grid, departure=monday_08),
                "node": lambda r=r: r.matrix(
                    node_ids(r, grid), node_ids(r, grid), departure=monday_08
                ),
            },
            f"route_many {args.timed_pairs:,} (time-dependent)": {
                "part-way": lambda r=r: r.route_many(
                    few_s, few_t, departure=monday_08, time_dependent=True
                ),
                "node": lambda r=r: r.route_many(
                    node_ids(r, few_s), node_ids(r, few_t), departure=monday_08, time_dependent=True
                ),
            },
        }
        rows += [{"objective": objective} | row for row in timed_rows(calls, args.repeats)]
    print(
        f"{args.extract}: {network!r}, CCH, 1 thread, departure Monday 08:00 ({profiles.label}), "
        f"medians of {args.repeats}"
    )
    print_table(rows, ["objective", "call", "part-way s", "node s", "ratio"])
    write_results(
        "snapping_departure", {"extract": args.extract, "repeats": args.repeats, "rows": rows}
    )


def timed_rows(calls: dict[str, dict[str, Any]], repeats: int) -> list[dict[str, str]]:
    """One table row per call: medians of part-way and node-snapped timed alternately, their ratio."""
    rows = []
    for name, fns in calls.items():
        medians = alternate(fns, repeats)
        rows.append(
            {
                "call": name,
                "part-way s": f"{medians['part-way']:.4f}",
                "node s": f"{medians['node']:.4f}",
                "ratio": f"{medians['part-way'] / medians['node']:.2f}",
            }
        )
    return rows


def partway_against_node(
    router: ecoroute.Router, sources: Any, targets: Any, grid: Any, routes: int
) -> dict[str, dict[str, Any]]:
    """The timed calls, part-way from the points and node-snapped from the same points."""
    singles = list(zip(map(tuple, sources[:routes]), map(tuple, targets[:routes]), strict=True))

    def route_partway() -> None:
        for a, b in singles:
            router.route(a, b)

    def route_node() -> None:
        for a, b in singles:
            s, t = node_ids(router, np.array([a, b]))
            router.route(int(s), int(t))

    return {
        f"route x{routes}": {"part-way": route_partway, "node": route_node},
        f"route_many {len(sources):,}": {
            "part-way": lambda: router.route_many(sources, targets),
            "node": lambda: router.route_many(node_ids(router, sources), node_ids(router, targets)),
        },
        "matrix 100x100": {
            "part-way": lambda: router.matrix(grid, grid),
            "node": lambda: router.matrix(node_ids(router, grid), node_ids(router, grid)),
        },
    }


def budgets(network: ecoroute.RoadNetwork, args: Any) -> None:
    """Part-way against node-snapped queries under a time budget, alternately, same points."""
    router = ecoroute.Router(network, "car_petrol", "co2", num_threads=1, max_extra_time=0.05)
    sources = points_beside_roads(network, args.pairs, 1)
    targets = points_beside_roads(network, args.pairs, 2)
    grid = points_beside_roads(network, 100, 3)
    router.route_many(sources[:10], targets[:10])  # the snapper and the 9 engines, untimed
    calls = partway_against_node(router, sources, targets, grid, args.routes)
    rows = timed_rows(calls, args.repeats)
    part = router.route_many(sources, targets)
    node = router.route_many(node_ids(router, sources), node_ids(router, targets))
    plain = ecoroute.Router(network, "car_petrol", "co2", num_threads=1).route_many(
        sources, targets
    )
    both = part["reachable"].to_numpy() & node["reachable"].to_numpy()
    both &= node["co2_g"].to_numpy() > 0
    difference = part["co2_g"].to_numpy()[both] / node["co2_g"].to_numpy()[both] - 1
    lat = np.radians(part["source_lat"].to_numpy())
    moved = np.hypot(
        part["source_lat"].to_numpy() - node["source_lat"].to_numpy(),
        (part["source_lon"].to_numpy() - node["source_lon"].to_numpy()) * np.cos(lat),
    ) * (6_371_008.8 * np.pi / 180)
    reachable = part["reachable"].to_numpy()
    summary = {
        "mean_abs_co2_relative_difference": float(np.mean(np.abs(difference))),
        "median_start_moved_m": float(np.median(moved)),
        "same_start_as_unbudgeted": bool(
            np.array_equal(part["source_lat"], plain["source_lat"])
            and np.array_equal(part["source_lon"], plain["source_lon"])
        ),
        "mean_gap_g": float(part["co2_gap_g"].to_numpy()[reachable].mean()),
    }
    print(
        f"{args.extract}: {network!r}, CCH, 1 thread, max_extra_time=0.05 "
        f"({router.tradeoff_points} prices), medians of {args.repeats}"
    )
    print_table(rows, ["call", "part-way s", "node s", "ratio"])
    print(summary)
    write_results(
        "snapping_budget",
        {"extract": args.extract, "repeats": args.repeats, "rows": rows, **summary},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", default="malta", choices=sorted(EXTRACTS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=100)
    parser.add_argument("--departure", action="store_true", help="the calls with departure=")
    parser.add_argument("--timed-pairs", type=int, default=1_000)
    parser.add_argument("--budget", action="store_true", help="the calls with max_extra_time")
    args = parser.parse_args()
    network = ecoroute.load_osm(SHARED_DATA / EXTRACTS[args.extract]).prepared()
    if args.departure:
        departures(network, args)
        return
    if args.budget:
        budgets(network, args)
        return
    router = ecoroute.Router(network, "car_petrol", "co2", num_threads=1)
    sources = points_beside_roads(network, args.pairs, 1)
    targets = points_beside_roads(network, args.pairs, 2)
    router.route_many(sources[:10], targets[:10])  # build the snapper once, outside the timings
    grid = points_beside_roads(network, 100, 3)
    calls = partway_against_node(router, sources, targets, grid, args.routes)
    rows = []
    snap_s = alternate(
        {"snap": lambda: (node_ids(router, sources), node_ids(router, targets))}, args.repeats
    )
    rows.append(
        {"call": f"(snapping alone, {2 * args.pairs:,} points)", "node s": f"{snap_s['snap']:.4f}"}
    )
    rows += timed_rows(calls, args.repeats)
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
