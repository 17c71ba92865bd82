"""
Which approaches pay for signals, stop and give-way signs, and what that does to routes.

    python benchmarks/bench_signs.py --label before   # on the code before the change
    python benchmarks/bench_signs.py --label after    # compares with the saved "before"

Per extract (Malta, Rhein-Neckar): how the file tags its control nodes (type,
direction tags, ``stop=all``/``minor``, on a junction node, on another network node
or on a shape point of an arc), how many expanded arcs (turns and route starts) pay a
control, and the time and CO2 of 1,000 random fastest and least-CO2 car routes
(turn-aware CCH, intersection costs on). The per-route values are written to
benchmarks/results/signs_<label>.json; with ``--compare`` (default ``before``) the
run prints the change route by route. The eco-vs-fastest table of docs/turns.md is
``python benchmarks/bench_turns.py --extracts malta``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, SHARED_DATA, print_table, write_results
from bench_turns import eco_against_fastest

import ecoroute
from ecoroute import turns as T

EXTRACTS = {"malta": "osm/malta.osm.pbf", "rhein-neckar": "osm/rhein-neckar.osm.pbf"}
CONTROLS = ("traffic_signals", "stop", "give_way")
DIRECTION_KEYS = {
    "traffic_signals": ("traffic_signals:direction", "direction"),
    "stop": ("stop:direction", "direction"),
    "give_way": ("give_way:direction", "direction"),
}


def tagging(path: Path, network: ecoroute.RoadNetwork) -> dict[str, int]:
    """Count control nodes by type, direction tag, stop=* and where they sit on the network."""
    import osmium

    rows: list[tuple[int, str, str, str, float, float]] = []
    for node in osmium.FileProcessor(str(path)).with_filter(osmium.filter.KeyFilter("highway")):
        kind = node.tags.get("highway")
        if kind not in CONTROLS or not node.location.valid():
            continue
        direction = next(
            (node.tags.get(k) for k in DIRECTION_KEYS[kind] if node.tags.get(k)), "none"
        )
        rows.append(
            (
                node.id,
                kind,
                direction if direction in ("forward", "backward", "none") else "other",
                node.tags.get("stop", "") if kind == "stop" else "",
                node.location.lon,
                node.location.lat,
            )
        )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    index, found = network.find_nodes(ids)
    n = np.int64(network.node_count)
    tail, head = network.tail.astype(np.int64), network.head.astype(np.int64)
    pairs = np.unique(np.concatenate([tail * n + head, head * n + tail]))
    roads = np.bincount(pairs // n, minlength=int(n))
    shape = set(
        T._point_keys(network.geometry_lonlat[:, 0], network.geometry_lonlat[:, 1]).tolist()
    )
    counts: Counter[str] = Counter()
    for i, (_, kind, direction, stop, lon, lat) in enumerate(rows):
        if found[i]:
            where = "junction" if roads[index[i]] > 2 else "other node"
        elif int(T._point_keys(lon, lat)) in shape:
            where = "shape point"
        else:
            where = "off the network"
        counts[f"{kind} | {where} | direction={direction}"] += 1
        if stop:
            counts[f"{kind} | {where} | stop={stop}"] += 1
    return dict(sorted(counts.items()))


def charged_arcs(network: ecoroute.RoadNetwork, turns: T.TurnRestrictions) -> dict[str, int]:
    """Expanded arcs (turns and route starts) that pay a control, with and without the controls."""
    graph = turns.expanded(network)
    empty = {
        name: np.empty((0, 2), np.int64)
        for name in ("arc_controls", "approach_controls")
        if hasattr(turns, name)
    }
    bare = replace(turns, node_control=None, _cache={}, **empty).expanded(network)  # type: ignore[arg-type]
    paid = np.flatnonzero(graph.time_s > bare.time_s + 1e-9)
    starts = graph.turn_from[paid] < 0
    out = {
        "expanded arcs paying a control": int(paid.size),
        "of them turns": int((~starts).sum()),
        "of them route starts (x_out -> b)": int(starts.sum()),
        "node_control nodes": int(np.count_nonzero(turns.node_control))
        if turns.node_control is not None
        else 0,
        "arc_controls rows": len(turns.arc_controls),
    }
    if hasattr(turns, "approach_controls"):
        out["approach_controls rows"] = len(turns.approach_controls)
    return out


def routes(network: ecoroute.RoadNetwork, turns: T.TurnRestrictions, count: int) -> dict[str, Any]:
    """Time and CO2 of ``count`` random car routes, fastest and least-CO2."""
    graph = turns.expanded(network)
    graph.prepare()
    rng = np.random.default_rng(2)
    s, t = rng.integers(network.node_count, size=(2, count))
    out: dict[str, Any] = {}
    for objective in ("time", "co2"):
        r = ecoroute.Router(network, "car_petrol", objective, algorithm="cch", turns=graph)
        got = r.route_indices(s, t)
        out[objective] = {
            "time_s": got.quantities["time_s"].tolist(),
            "co2_g": got.quantities["co2_g"].tolist(),
        }
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for objective in ("time", "co2"):
        for q in ("time_s", "co2_g"):
            b = np.asarray(before[objective][q], dtype=float)
            a = np.asarray(after[objective][q], dtype=float)
            ok = np.isfinite(a) & np.isfinite(b)
            diff = a[ok] - b[ok]
            changed = np.abs(diff) > 1e-6
            out[f"{objective} routes: {q}"] = {
                "total change %": round(100 * (a[ok].sum() / b[ok].sum() - 1), 2),
                "mean change per route": round(float(diff.mean()), 2),
                "mean change per changed route": round(float(diff[changed].mean()), 2)
                if changed.any()
                else 0.0,
                "mean change per changed route %": round(
                    float(100 * (diff[changed] / b[ok][changed]).mean()), 2
                )
                if changed.any()
                else 0.0,
                "routes cheaper / dearer / same": (
                    int((diff < -1e-6).sum()),
                    int((diff > 1e-6).sum()),
                    int((np.abs(diff) <= 1e-6).sum()),
                ),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extracts", nargs="+", default=list(EXTRACTS), choices=list(EXTRACTS))
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--label", default="after")
    parser.add_argument("--compare", default="before")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name in args.extracts:
        path = SHARED_DATA / EXTRACTS[name]
        network = ecoroute.load_osm(path, turn_restrictions=False)
        turns = T.read_turns(path, network)
        results[name] = {
            "tagging": tagging(path, network),
            "charges": charged_arcs(network, turns),
            "routes": routes(network, turns, args.routes),
            "eco_vs_fastest": eco_against_fastest(
                network, T.read_turns(path, network, intersection_costs=False), args.routes, name
            ),
        }
        print(f"\n## {name}")
        for key, value in results[name]["tagging"].items():
            print(f"  {key}: {value}")
        for key, value in results[name]["charges"].items():
            print(f"  {key}: {value:,}")
        print_table(results[name]["eco_vs_fastest"], list(results[name]["eco_vs_fastest"][0]))
    print(write_results(f"signs_{args.label}", results))
    previous = RESULTS / f"signs_{args.compare}.json"
    if args.label != args.compare and previous.exists():
        old = json.loads(previous.read_text())
        for name in args.extracts:
            if name in old:
                print(f"\n## {name}: {args.compare} -> {args.label}")
                print(" ", old[name]["charges"], "->", results[name]["charges"])
                for key, value in compare(old[name]["routes"], results[name]["routes"]).items():
                    print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
