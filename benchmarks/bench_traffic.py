"""
Traffic in time (issue 12): departure-time queries against static ones, same run.

    python benchmarks/bench_traffic.py                 # Malta parts only
    python benchmarks/bench_traffic.py --ny            # plus the New York matrix and memory
    python benchmarks/bench_traffic.py --turns         # plus the queries on turn-aware Malta

Malta (OSM extract, largest strongly connected component):

* one time-dependent query (``Router.route(..., departure=...)``, the C++
  time-dependent Dijkstra) against one static query of the same family
  (``algorithm="dijkstra"``), for ``objective="time"`` and ``"co2"``:
  median over ``--pairs`` random pairs of each pair's median of ``--repeats``;
* how far the hour-of-departure metric (what matrices and batches use)
  is from the exact time-dependent route, over the same pairs;
* eco-routes against fastest routes at Monday 08:00 and 03:00 for a diesel
  van and a 40 t truck, under the synthetic weekday profile on every
  primary/secondary/tertiary/trunk arc (:func:`ecoroute.traffic.synthetic_profiles`).

Turn-aware Malta (``--turns``: ``load_osm``'s default, restrictions and
intersection costs): the same single queries, static and time-dependent,
both on the turn-expanded graph.

Departures from coordinates (both graphs): one time-dependent query from
points beside random roads, part-way along the snapped roads (what
``Router.route(point, point, departure=...)`` does: up to four searches)
against the same snaps moved to their roads' nearer nodes (one search),
snapping included, measured alternately on the same ``--pairs // 4`` points.

New York (DIMACS, ``--ny``): a 100 x 100 matrix at a departure hour (after
that hour's customization) against the static matrix, both on the
hierarchy; profiles on 20 % of arcs and their memory against the network's.

Writes benchmarks/results/traffic.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, alternate, median_time, print_table, write_results
from bench_queries import load_graph

import ecoroute
from ecoroute import traffic

MONDAY_08 = 8 * 3600.0
MONDAY_03 = 3 * 3600.0
MAJOR = {"trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link"}


def random_pairs(network: ecoroute.RoadNetwork, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return network.node_id[rng.integers(network.node_count, size=(count, 2))]


def single_queries(
    network: ecoroute.RoadNetwork,
    profiles: traffic.SpeedProfiles,
    pairs: np.ndarray,
    repeats: int,
    objectives: tuple[str, ...] = ("time", "co2"),
) -> list[dict[str, Any]]:
    """Per family (Dijkstra, A*): static query against time-dependent query, same pairs."""
    rows = []
    for objective in objectives:
        for family in ("dijkstra", "astar"):
            static = ecoroute.Router(network, "van_diesel", objective, algorithm=family)
            timed = ecoroute.Router(
                network, "van_diesel", objective, algorithm=family, speeds=profiles
            )
            start = time.perf_counter()
            timed.route(*pairs[0].tolist(), departure=MONDAY_08)  # builds the kernel
            setup = time.perf_counter() - start
            ours, theirs = [], []
            for s, t in pairs.tolist():
                ours.append(
                    median_time(
                        lambda r=timed, s=s, t=t: r.route(s, t, departure=MONDAY_08), repeats
                    )[0]
                )
                theirs.append(median_time(lambda r=static, s=s, t=t: r.route(s, t), repeats)[0])
            td, st = statistics.median(ours), statistics.median(theirs)
            rows.append(
                {
                    "objective": objective,
                    "family": family,
                    "static_ms": round(st * 1e3, 3),
                    "time_dependent_ms": round(td * 1e3, 3),
                    "ratio": round(td / st, 2),
                    "first_call_setup_s": round(setup, 2),
                }
            )
    return rows


def partway_singles(
    network: ecoroute.RoadNetwork,
    profiles: traffic.SpeedProfiles,
    count: int,
    repeats: int,
) -> list[dict[str, Any]]:
    """Per objective and family: a part-way departure against a node-snapped one, same points."""
    from bench_snapping import node_ids, points_beside_roads

    sources = points_beside_roads(network, count, 1)
    targets = points_beside_roads(network, count, 2)
    trips = list(zip(map(tuple, sources), map(tuple, targets), strict=True))
    rows = []
    for objective in ("time", "co2"):
        for family in ("dijkstra", "astar"):
            router = ecoroute.Router(
                network, "van_diesel", objective, algorithm=family, speeds=profiles
            )
            router.route(*trips[0], departure=MONDAY_08)  # builds the kernel and the snapper

            def partway(r: ecoroute.Router = router) -> None:
                for a, b in trips:
                    r.route(a, b, departure=MONDAY_08)

            def node(r: ecoroute.Router = router) -> None:
                for a, b in trips:
                    s, t = node_ids(r, np.array([a, b]))
                    r.route(int(s), int(t), departure=MONDAY_08)

            medians = alternate({"part-way": partway, "node": node}, repeats)
            rows.append(
                {
                    "objective": objective,
                    "family": family,
                    "part_way_ms": round(medians["part-way"] / count * 1e3, 3),
                    "node_snapped_ms": round(medians["node"] / count * 1e3, 3),
                    "ratio": round(medians["part-way"] / medians["node"], 2),
                }
            )
    return rows


def hour_metric_error(
    network: ecoroute.RoadNetwork, profiles: traffic.SpeedProfiles, pairs: np.ndarray
) -> list[dict[str, Any]]:
    rows = []
    for objective in ("time", "co2"):
        router = ecoroute.Router(
            network, "van_diesel", objective, algorithm="dijkstra", speeds=profiles
        )
        # 06:50 and 08:50: most trips cross into an hour of another speed.
        for departure, label in (
            (6 * 3600 + 3000.0, "Mon 06:50"),
            (8 * 3600 + 3000.0, "Mon 08:50"),
        ):
            hour_s, _ = median_time(
                lambda r=router, d=departure: r.route_many(pairs[:, 0], pairs[:, 1], departure=d),
                3,
            )
            exact_s, _ = median_time(
                lambda r=router, d=departure: r.route_many(
                    pairs[:, 0], pairs[:, 1], departure=d, time_dependent=True
                ),
                3,
            )
            batch = router.route_many(pairs[:, 0], pairs[:, 1], departure=departure)
            exact = router.route_many(
                pairs[:, 0], pairs[:, 1], departure=departure, time_dependent=True
            )
            # The batch's quantities are the hour's static values; the exact route's
            # are driven in time. Compare the cost each reports for its own route.
            exact_cost = exact["cost"].to_numpy()
            exact_time = exact["time_s"].to_numpy()
            batch_cost = batch["cost"].to_numpy()
            rel = np.abs(batch_cost - exact_cost) / exact_cost
            rel_time = np.abs(batch["time_s"].to_numpy() - exact_time) / exact_time
            rows.append(
                {
                    "objective": objective,
                    "departure": label,
                    "median_rel_diff_%": round(100 * float(np.median(rel)), 2),
                    "p95_rel_diff_%": round(100 * float(np.percentile(rel, 95)), 2),
                    "max_rel_diff_%": round(100 * float(rel.max()), 2),
                    "median_time_diff_%": round(100 * float(np.median(rel_time)), 2),
                    "hour_metric_batch_ms": round(hour_s * 1e3, 1),
                    "time_dependent_batch_ms": round(exact_s * 1e3, 1),
                }
            )
    return rows


def eco_savings(
    network: ecoroute.RoadNetwork, profiles: traffic.SpeedProfiles, pairs: np.ndarray
) -> list[dict[str, Any]]:
    rows = []
    for vehicle in ("van_diesel", "truck_40t_diesel"):
        fastest = ecoroute.Router(network, vehicle, "time", algorithm="dijkstra", speeds=profiles)
        eco = ecoroute.Router(network, vehicle, "co2", algorithm="dijkstra", speeds=profiles)
        for departure, label in ((MONDAY_03, "Mon 03:00"), (MONDAY_08, "Mon 08:00")):
            fast = [fastest.route(s, t, departure=departure) for s, t in pairs.tolist()]
            green = [eco.route(s, t, departure=departure) for s, t in pairs.tolist()]
            co2_fast = sum(r.co2_g for r in fast)
            co2_eco = sum(r.co2_g for r in green)
            time_fast = sum(r.time_s for r in fast)
            time_eco = sum(r.time_s for r in green)
            rows.append(
                {
                    "vehicle": vehicle,
                    "departure": label,
                    "fastest_co2_kg": round(co2_fast / 1e3, 2),
                    "eco_co2_kg": round(co2_eco / 1e3, 2),
                    "co2_saved_%": round(100 * (1 - co2_eco / co2_fast), 2),
                    "extra_time_%": round(100 * (time_eco / time_fast - 1), 2),
                    "fastest_h": round(time_fast / 3600, 2),
                }
            )
    return rows


def co2_heuristic_gap(seeds: int) -> dict[str, Any]:
    """
    The least-CO2 time-dependent search against every simple path, on small random graphs
    whose arcs (half of them, 1-60 km/h, independent per hour) are driven across hours.
    """
    import networkx as nx

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.helpers import random_network
    from tests.test_traffic import drive_co2, slow_profiles

    gaps = []
    for seed in range(seeds):
        network = random_network(seed, node_count=9, edge_count=26, zero_lengths=False)
        profiles = slow_profiles(network, seed)
        router = ecoroute.Router(
            network, "truck_40t_diesel", "co2", algorithm="dijkstra", speeds=profiles
        )
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(range(network.node_count))
        for arc, (u, v) in enumerate(
            zip(network.tail.tolist(), network.head.tolist(), strict=True)
        ):
            graph.add_edge(u, v, key=arc)
        departure = 7 * 3600 + 3300.0
        for target in range(1, network.node_count):
            if not nx.has_path(graph, 0, target):
                continue
            ids = int(network.node_id[0]), int(network.node_id[target])
            route = router.route(*ids, departure=departure)
            best = min(
                drive_co2(router, profiles, [k for _, _, k in path], departure)[0]
                for path in nx.all_simple_edge_paths(graph, 0, target)
            )
            gaps.append(route.co2_g / best - 1)
    gap = np.array(gaps)
    return {
        "pairs": int(gap.size),
        "optimal": int((gap <= 1e-6).sum()),
        "mean_gap_%": round(100 * float(gap.mean()), 4),
        "max_gap_%": round(100 * float(gap.max()), 2),
    }


def new_york(repeats: int) -> dict[str, Any]:
    network = load_graph("ny")
    start = time.perf_counter()
    network.prepare()
    prepare_s = time.perf_counter() - start
    profiles = traffic.synthetic_profiles(network, fraction=0.2, seed=0)
    router = ecoroute.Router(network, "car_petrol", "co2", speeds=profiles)
    rng = np.random.default_rng(1)
    ids = network.node_id[rng.choice(network.node_count, 100, replace=False)]
    static_s, _ = median_time(lambda: router.matrix(ids, ids), repeats)
    start = time.perf_counter()
    router.matrix(ids, ids, departure=MONDAY_08)  # customizes the hour
    customize_s = time.perf_counter() - start
    hour_s, _ = median_time(lambda: router.matrix(ids, ids, departure=MONDAY_08), repeats)
    single = single_queries(network, profiles, random_pairs(network, 20, seed=2), 3, ("time",))
    return {
        "single": single,
        "prepare_s": round(prepare_s, 1),
        "matrix_static_ms": round(static_s * 1e3, 2),
        "matrix_departure_ms": round(hour_s * 1e3, 2),
        "ratio": round(hour_s / static_s, 2),
        "first_departure_call_s (customize the hour)": round(customize_s, 2),
        "arcs_with_profile": len(profiles),
        "profiles_mb": round(profiles.memory_bytes / 1e6, 1),
        "network_mb": round(network.memory_bytes / 1e6, 1),
        "profiles_over_network": round(profiles.memory_bytes / network.memory_bytes, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ny", action="store_true", help="also the New York matrix and memory")
    parser.add_argument("--gap-seeds", type=int, default=60, help="small graphs for the CO2 gap")
    parser.add_argument("--turns", action="store_true", help="also queries on turn-aware Malta")
    args = parser.parse_args()

    malta = load_graph("malta")
    major = traffic.synthetic_profiles(malta, highways=MAJOR, seed=0)
    print(f"Malta: {malta.node_count:,} nodes, {malta.arc_count:,} arcs; {major!r}")
    pairs = random_pairs(malta, args.pairs, seed=0)

    single = single_queries(malta, major, pairs, args.repeats)
    print("\nOne query, Monday 08:00 (median over pairs)\n")
    print_table(single, list(single[0]))

    partway = partway_singles(malta, major, max(4, args.pairs // 4), args.repeats)
    print("\nFrom coordinates: part-way against node-snapped departures (ms per query)\n")
    print_table(partway, list(partway[0]))

    error = hour_metric_error(malta, major, pairs)
    print("\nHour-of-departure metric against the exact time-dependent route\n")
    print_table(error, list(error[0]))

    savings = eco_savings(malta, major, pairs)
    print("\nEco-routes against fastest routes, synthetic weekday profile on major roads\n")
    print_table(savings, list(savings[0]))

    gap = co2_heuristic_gap(args.gap_seeds)
    print("\nLeast-CO2 time-dependent search against every simple path (small graphs)\n")
    print_table([gap], list(gap))

    results: dict[str, Any] = {
        "co2_heuristic_gap": gap,
        "malta": {
            "profiles": major.label,
            "arcs_with_profile": len(major),
            "single": single,
            "partway_departures": partway,
            "hour_metric_error": error,
            "eco_savings": savings,
        },
    }
    if args.turns:
        turned = ecoroute.load_osm(SHARED_DATA / "osm" / "malta.osm.pbf")  # turns: the default
        turned_profiles = traffic.synthetic_profiles(turned, highways=MAJOR, seed=0)
        turned_pairs = random_pairs(turned, args.pairs, seed=0)
        single_turns = single_queries(turned, turned_profiles, turned_pairs, args.repeats)
        print("\nTurn-aware Malta: one query, Monday 08:00 (median over pairs)\n")
        print_table(single_turns, list(single_turns[0]))
        partway_turns = partway_singles(
            turned, turned_profiles, max(4, args.pairs // 4), args.repeats
        )
        print("\nTurn-aware Malta from coordinates: part-way against node-snapped (ms)\n")
        print_table(partway_turns, list(partway_turns[0]))
        results["malta_turns"] = {"single": single_turns, "partway_departures": partway_turns}
    if args.ny:
        ny = new_york(args.repeats)
        single_ny = ny.pop("single")
        print("\nNew York: 100 x 100 matrix (hierarchy), 20 % of arcs with a profile\n")
        print_table([ny], list(ny))
        print("\nNew York: one query, Monday 08:00 (median over 20 pairs)\n")
        print_table(single_ny, list(single_ny[0]))
        ny["single"] = single_ny
        results["new_york"] = ny
    print(f"\nwrote {write_results('traffic', results)}")


if __name__ == "__main__":
    main()
