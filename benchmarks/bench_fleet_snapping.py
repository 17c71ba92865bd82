"""
Fleet plans with depots and stops part-way along their roads against the same at the nearer nodes.

Malta (``osm/malta.osm.pbf``, turn restrictions as ``load_osm`` reads them by
default), the two depots and the fleet of ``bench_fleet.py``'s 200-stop day, and
``--stops`` stops at random points up to ~30 m beside random arcs (so that they
snap part-way). The same plan is made twice in turns: locations given by their
coordinates (legs start and end part-way, issue 11) and by the node ids of
their roads' nearer ends (what plans did before); medians over ``--repeats``.

    python benchmarks/bench_fleet_snapping.py
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_results
from bench_fleet import load_malta, malta_instance

import ecoroute
from ecoroute.fleet import Stop, plan_fleet
from ecoroute.snapping import resolve_points


def part_way_stops(network: ecoroute.RoadNetwork, count: int, seed: int) -> list[Stop]:
    """Stops at random points beside random arcs, with the 200-stop day's demands and windows."""
    _, template, _ = malta_instance(network, seed)
    rng = np.random.default_rng(seed + 100)
    arcs = rng.choice(network.arc_count, count, replace=False)
    f = rng.uniform(0.05, 0.95, count)
    tail, head = network.tail[arcs], network.head[arcs]
    lat = network.lat[tail] + f * (network.lat[head] - network.lat[tail])
    lon = network.lon[tail] + f * (network.lon[head] - network.lon[tail])
    lat = lat + rng.uniform(-2.5e-4, 2.5e-4, count)
    lon = lon + rng.uniform(-2.5e-4, 2.5e-4, count)
    return [
        dataclasses.replace(template[i], lat=float(lat[i]), lon=float(lon[i])) for i in range(count)
    ]


def at_nearer_nodes(network: ecoroute.RoadNetwork, places: list[Any]) -> list[Any]:
    """The same places given by the node id of their road's nearer end."""
    ends = resolve_points(network, [p.lat for p in places], [p.lon for p in places])
    return [
        dataclasses.replace(p, lat=None, lon=None, node=int(network.node_id[n]))
        for p, n in zip(places, ends.node, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stops", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    network = load_malta().prepared()
    depots, _, fleet = malta_instance(network)
    stops = part_way_stops(network, args.stops, 0)
    variants = {
        "part-way (coordinates)": (depots, stops),
        "nearer nodes (node ids)": (
            at_nearer_nodes(network, depots),
            at_nearer_nodes(network, stops),
        ),
    }
    # What node-snapped plans reported as a stop's snap distance: to the nearer node.
    to_node_m = float(
        resolve_points(
            network, [p.lat for p in stops], [p.lon for p in stops]
        ).node_distance_m.mean()
    )
    runs: dict[str, list[Any]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (d, s) in variants.items():
            runs[name].append(
                plan_fleet(
                    network, d, s, fleet, max_iterations=args.iterations, seed=0, baselines=()
                )
            )
    rows = []
    for name, plans in runs.items():
        plan = plans[0]
        rows.append(
            {
                "locations": name,
                "matrix s": f"{statistics.median(p.timings['matrix_s'] for p in plans):.2f}",
                "evaluate s": f"{statistics.median(p.timings['evaluate_s'] for p in plans):.2f}",
                "plan s": f"{statistics.median(p.timings['total_s'] for p in plans):.2f}",
                "kg CO2e WTW": f"{plan.totals['co2e_wtw_g'] / 1000:.2f}",
                "km": f"{plan.totals['distance_m'] / 1000:.1f}",
                "mean stop snap m": f"{statistics.mean(v.snap_m for v in plan.visits):.1f}"
                if plan.visits[0].snap_m > 0
                else f"({to_node_m:.1f} to the node)",
                "unassigned": len(plan.unassigned),
            }
        )
    columns = list(rows[0])
    print_table(rows, columns)
    write_results("fleet_snapping", {"args": vars(args), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
