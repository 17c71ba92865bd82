"""
Trucks as they may drive (issue 23): how legal truck routes are, and what a mixed fleet costs.

    python benchmarks/bench_trucks.py                     # Rhein-Neckar, 299 pairs, 1000x1000
    python benchmarks/bench_trucks.py --pairs 99 --matrix 300 --repeats 5

Part 1, on Rhein-Neckar (default load: merged chains, turn restrictions),
``--pairs`` random coordinate pairs near well-connected road nodes (seed
fixed), routed one by one with :meth:`Router.route` for ``truck_40t_diesel``
(least CO2 and fastest) and ``car_petrol`` (fastest):

* routes that break a truck rule, as the independent oracle
  ``tests/oracles/truck_rules.py`` reads the OSM file (closed ways,
  destination-only ways driven through, barriers), with the tags counted;
* routes whose average speed is above 90 km/h (the EU limiter);
* the median ratio of the truck's fastest time to the car's on trips over 10 km;
* the share of car-routable pairs refused to the truck, with the tags the
  refusals name.

Part 2, timings on one prepared network (``network.prepared()``): building a
``Router`` (customization) per vehicle type (car_petrol, van_diesel,
truck_7_5t_diesel, truck_18t_diesel, truck_40t_diesel) and a ``--matrix`` x
``--matrix`` ``Router.matrix`` between node ids, each the median of
``--repeats`` runs, against the car's figure. Writes
benchmarks/results/trucks.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import SHARED_DATA, median_time, print_table, write_results

import ecoroute
from ecoroute import NoRouteError
from tests.oracles import truck_rules as R
from tests.oracles.sample import random_points, strong_nodes

EXTRACT = "osm/rhein-neckar.osm.pbf"
TRUCK = "truck_40t_diesel"
CAR = "car_petrol"
VEHICLES = ("car_petrol", "van_diesel", "truck_7_5t_diesel", "truck_18t_diesel", TRUCK)
#: ``key=value`` pieces of a refusal's message (which tag closed the way).
_TAG = re.compile(r"\b([a-z_]+(?::[a-z_]+)*)=([^\s,;)'\"]+)")


def _route(router: ecoroute.Router, source: Any, target: Any) -> ecoroute.Route | str:
    """The route, or the refusal's message."""
    try:
        return router.route(source, target)
    except NoRouteError as error:
        return str(error)


def legality(network: ecoroute.RoadNetwork, rules: R.TruckRules, pairs: int) -> dict[str, Any]:
    """Part 1: the truck's routes judged by the oracle, speeds, time ratios and refusals."""
    points = random_points(network, pairs, seed=23)
    routers = {
        "truck co2": ecoroute.Router(network, TRUCK, "co2"),
        "truck time": ecoroute.Router(network, TRUCK, "time"),
        "car time": ecoroute.Router(network, CAR, "time"),
    }
    found = {name: [_route(r, s, t) for s, t in points] for name, r in routers.items()}
    car = found["car time"]
    out: dict[str, Any] = {"pairs": pairs, "car_routable": sum(not isinstance(c, str) for c in car)}
    for name in ("truck co2", "truck time"):
        kinds: Counter[str] = Counter()
        tags: Counter[str] = Counter()
        broken = fast = refused = 0
        refusals: Counter[str] = Counter()
        for truck, by_car in zip(found[name], car, strict=True):
            if isinstance(truck, str):
                if not isinstance(by_car, str):
                    refused += 1
                    named = [f"{k}=" for k, _ in _TAG.findall(truck)]
                    refusals.update(set(named) or {"(no tag named)"})
                continue
            violations = rules.check_route(truck.coordinates)
            if violations:
                broken += 1
                kinds.update({v.kind for v in violations})
                tags.update({v.reason.split("=")[0] for v in violations})
            if truck.time_s > 0 and truck.distance_m / truck.time_s * 3.6 > 90.0:
                fast += 1
        routed = sum(not isinstance(x, str) for x in found[name])
        out[name] = {
            "routed": routed,
            "with_violations": broken,
            "violation_kinds": dict(kinds.most_common()),
            "violation_tags": dict(tags.most_common()),
            "above_90_kph": fast,
            "refused_car_routable": refused,
            "refused_share": refused / max(1, out["car_routable"]),
            "refusal_tags": dict(refusals.most_common()),
        }
    ratios = [
        t.time_s / c.time_s
        for t, c in zip(found["truck time"], car, strict=True)
        if not isinstance(t, str) and not isinstance(c, str) and c.distance_m > 10_000
    ]
    out["time_ratio_over_10km"] = {
        "trips": len(ratios),
        "median": statistics.median(ratios) if ratios else float("nan"),
    }
    return out


def timings(network: ecoroute.RoadNetwork, size: int, repeats: int) -> list[dict[str, Any]]:
    """Part 2: Router construction and a size x size matrix per vehicle type, medians."""
    rng = np.random.default_rng(5)
    nodes = strong_nodes(network)
    ids = network.node_id[nodes[rng.choice(nodes.size, size=size, replace=False)]]
    rows = []
    first_s = time.perf_counter()
    ecoroute.Router(network, CAR, "co2")  # the first one also builds what all share
    first_s = time.perf_counter() - first_s
    for name in VEHICLES:
        build_s, _ = median_time(lambda name=name: ecoroute.Router(network, name, "co2"), repeats)
        router = ecoroute.Router(network, name, "co2")
        matrix_s, _ = median_time(lambda router=router: router.matrix(ids, ids), repeats)
        reachable = float(np.isfinite(router.matrix(ids, ids).cost).mean())
        rows.append(
            {
                "vehicle": name,
                "build_s": build_s,
                "matrix_s": matrix_s,
                "reachable": reachable,
                "algorithm": router.algorithm,
            }
        )
    car = rows[0]
    for row in rows:
        row["build_vs_car"] = row["build_s"] / car["build_s"]
        row["matrix_vs_car"] = row["matrix_s"] / car["matrix_s"]
    rows[0]["first_router_s"] = first_s
    return rows


def rule_counts(network: ecoroute.RoadNetwork) -> list[dict[str, object]]:
    """How many arcs each vehicle's rules close and make destination-only (docs/trucks.md)."""
    counts = []
    for vehicle in ("truck_40t_diesel", "van_diesel", "car_petrol"):
        rules = ecoroute.Router(network, vehicle).rules
        counts.append(
            {
                "vehicle": vehicle,
                "closed arcs": int(rules.closed.sum()),
                "destination-only arcs": int(rules.destination.sum()),
            }
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=299)
    parser.add_argument("--matrix", type=int, default=1000, help="sources = targets per matrix")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    path = SHARED_DATA / EXTRACT
    started = time.perf_counter()
    with warnings.catch_warnings():  # a clipped extract: cut ways are reported
        warnings.simplefilter("ignore", UserWarning)
        network = ecoroute.load_osm(path).prepared()
    rules = R.TruckRules.read(path)
    load_s = time.perf_counter() - started

    timed = timings(network, args.matrix, args.repeats)  # first: its first Router is the first
    legal = legality(network, rules, args.pairs)
    counts = rule_counts(network)
    rows = []
    for name in ("truck co2", "truck time"):
        r = legal[name]
        rows.append(
            {
                "routes": name,
                "routed": f"{r['routed']} / {args.pairs}",
                "break a truck rule": f"{r['with_violations']} ({r['violation_kinds']})",
                "tags broken": ", ".join(f"{k} {n}" for k, n in r["violation_tags"].items()),
                "> 90 km/h": r["above_90_kph"],
                "car-routable refused": f"{r['refused_car_routable']} "
                f"({100 * r['refused_share']:.1f} %) {r['refusal_tags'] or ''}",
            }
        )
    print(
        f"Rhein-Neckar ({network.node_count:,} nodes, {network.arc_count:,} arcs), "
        f"{args.pairs} random pairs; loaded and read in {load_s:.1f} s"
    )
    print_table(rows, list(rows[0]))
    print()
    print_table(counts, list(counts[0]))
    ratio = legal["time_ratio_over_10km"]
    print(
        f"\nTruck / car fastest time, trips over 10 km: median {ratio['median']:.3f} "
        f"({ratio['trips']} trips)\n"
    )

    print_table(
        [
            {
                "vehicle": t["vehicle"],
                "Router build (customize)": f"{1e3 * t['build_s']:.0f} ms ({t['build_vs_car']:.2f}x)",
                f"{args.matrix}x{args.matrix} matrix": f"{1e3 * t['matrix_s']:.0f} ms "
                f"({t['matrix_vs_car']:.2f}x)",
                "reachable cells": f"{100 * t['reachable']:.1f} %",
                "algorithm": t["algorithm"],
            }
            for t in timed
        ],
        [
            "vehicle",
            "Router build (customize)",
            f"{args.matrix}x{args.matrix} matrix",
            "reachable cells",
            "algorithm",
        ],
    )
    print(
        f"\n(first Router on the network: {timed[0]['first_router_s']:.2f} s, shared set-up "
        f"included; medians of {args.repeats} runs after it)"
    )
    print(
        write_results(
            "trucks",
            {
                "args": vars(args),
                "legality": legal,
                "rule_counts": counts,
                "timings": timed,
                "load_s": load_s,
            },
        )
    )


if __name__ == "__main__":
    main()
