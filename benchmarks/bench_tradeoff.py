"""
Bounded eco-routes and the time-CO2 trade-off: cost against plain queries, and what it saves.

    python benchmarks/bench_tradeoff.py                 # New York timings + three trade-off tables
    python benchmarks/bench_tradeoff.py --repeats 5 --pairs 1000

1. On prepared DIMACS New York (car_petrol): a bounded route (5 % extra time) against a plain
   least-CO2 route, both through Router.route with path and Route object, same pairs, same run;
   a 100x100 bounded matrix against the plain one; the one-off cost of the trade-off engines.
2. Per network (New York; Monaco and Andorra with SRTM grades) and vehicle: the CO2 saved
   against the fastest routes at 0, 2, 5, 10 and 20 % extra time, over random pairs, and the
   summed Lagrangian gap (how far the answers can be from the exact optimum). Monaco and
   Andorra are read as ``load_osm`` reads them by default (turn restrictions and intersection
   costs); ``--node-graph`` adds them as plain node graphs (``turn_restrictions=False``).
   DIMACS New York has no turn data: it is a node graph either way.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, median_time, print_table, write_results
from bench_queries import load_graph

import ecoroute

VEHICLES = ("car_petrol", "van_diesel", "truck_40t_diesel", "car_bev")
BUDGETS = (0.02, 0.05, 0.1, 0.2)


def hilly(name: str, tile: str, *, turn_restrictions: bool = True) -> ecoroute.RoadNetwork:
    """An OSM extract with SRTM heights, as ``load_osm`` reads it (turns unless told not to)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SRTM voids
        return ecoroute.load_osm(
            SHARED_DATA / "osm" / f"{name}.osm.pbf",
            dem=SHARED_DATA / "dem" / f"{tile}.hgt.zip",
            largest_component="strong",
            turn_restrictions=turn_restrictions,
        )


def timings(network: ecoroute.RoadNetwork, repeats: int, pairs: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(2026)
    ids = network.node_id
    some = [(int(ids[a]), int(ids[b])) for a, b in rng.integers(0, network.node_count, (pairs, 2))]
    plain = ecoroute.Router(network, "car_petrol", "co2")
    start = time.perf_counter()
    bounded = ecoroute.Router(network, "car_petrol", "co2", max_extra_time=0.05)
    bounded._tradeoff_engines()  # the one-off customizations
    setup = time.perf_counter() - start

    def run(router: ecoroute.Router) -> None:
        for s, t in some:
            with contextlib.suppress(ecoroute.NoRouteError):
                router.route(s, t)

    run(plain)
    run(bounded)  # warm both
    times: dict[str, list[float]] = {"plain": [], "bounded": []}
    for _ in range(repeats):  # alternate, so that machine noise hits both
        times["plain"].append(median_time(lambda: run(plain), 1)[0] / pairs)
        times["bounded"].append(median_time(lambda: run(bounded), 1)[0] / pairs)
    src = ids[rng.integers(0, network.node_count, 100)]
    dst = ids[rng.integers(0, network.node_count, 100)]
    plain_matrix = median_time(lambda: plain.matrix(src, dst), repeats)[0]
    bounded_matrix = median_time(lambda: bounded.matrix(src, dst), repeats)[0]
    route_plain = statistics.median(times["plain"])
    route_bounded = statistics.median(times["bounded"])
    return [
        {
            "measure": "Router.route with path (us)",
            "plain": f"{route_plain * 1e6:.0f}",
            "bounded (+5 %)": f"{route_bounded * 1e6:.0f}",
            "ratio": f"{route_bounded / route_plain:.1f}x",
            "target": "<= 10x",
        },
        {
            "measure": "Router.matrix 100x100 (ms)",
            "plain": f"{plain_matrix * 1e3:.1f}",
            "bounded (+5 %)": f"{bounded_matrix * 1e3:.1f}",
            "ratio": f"{bounded_matrix / plain_matrix:.1f}x",
            "target": "<= 20x",
        },
        {
            "measure": f"trade-off engines, once per Router ({bounded.tradeoff_points} prices, s)",
            "plain": "",
            "bounded (+5 %)": f"{setup:.2f}",
            "ratio": "",
            "target": "",
        },
    ]


def savings(name: str, network: ecoroute.RoadNetwork, pairs: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(7)
    ids = network.node_id
    src = ids[rng.integers(0, network.node_count, pairs)]
    dst = ids[rng.integers(0, network.node_count, pairs)]
    rows = []
    for vehicle in VEHICLES:
        flat = network.elevation_m is None or not np.isfinite(network.elevation_m).all()
        if vehicle == "car_bev" and flat:  # no heights: an EV's energy would ignore the hills
            continue
        router = ecoroute.Router(network, vehicle, "co2")
        table = router.tradeoff(src, dst, BUDGETS)
        row: dict[str, Any] = {"network": name, "vehicle": vehicle}
        for budget, saving, extra, gap, total in zip(
            table["max_extra_time"],
            table["saving"],
            table["extra_time"],
            table["gap"],
            table["co2_g"],
            strict=True,
        ):
            row[f"+{budget:.0%}"] = f"{saving:.1%} ({extra:+.1%} time, gap {gap / total:.1%})"
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=500, help="pairs per timing and table")
    parser.add_argument(
        "--node-graph",
        action="store_true",
        help="also Monaco and Andorra as node graphs (load_osm(turn_restrictions=False))",
    )
    args = parser.parse_args(argv)

    new_york = load_graph("ny").prepared()
    timing_rows = timings(new_york, args.repeats, args.pairs)
    print("\n## Bounded eco-routes on prepared New York (car_petrol, medians)\n")
    print_table(timing_rows, ["measure", "plain", "bounded (+5 %)", "ratio", "target"])

    rows = savings("new-york", new_york, args.pairs)
    graphs = (True, False) if args.node_graph else (True,)
    for turns in graphs:
        for name, tile in (("monaco", "N43E007"), ("andorra", "N42E001")):
            label = name if turns else f"{name} (node graph)"
            network = hilly(name, tile, turn_restrictions=turns).prepared()
            rows += savings(label, network, args.pairs)
    print("\n## CO2 saved against the fastest routes, at each extra-time budget\n")
    print_table(rows, ["network", "vehicle", "+2%", "+5%", "+10%", "+20%"])
    path = write_results("tradeoff", {"timings": timing_rows, "savings": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
