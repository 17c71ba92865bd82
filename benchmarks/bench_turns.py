"""
Turn-aware routing against node-based routing on the same extract, in the same run.

    python benchmarks/bench_turns.py                      # Malta and Rhein-Neckar
    python benchmarks/bench_turns.py --extracts malta --repeats 5

Per extract: the expanded graph's size, preprocessing (nested dissection
order + contraction) of the node-based and the turn-aware hierarchy (three
orders: arc cuts of the network, the default; nested dissection of the
expanded graph; the network's node order lifted), the hierarchies' sizes,
customization, one route with its path per call (CCH and bidirectional A*)
and a 100x100 matrix (20 per timing), queries on one thread, each the median
of ``--repeats`` runs with node-based and turn-aware measured alternately. On Malta also: how many of 1,000 random routes change
when restrictions are obeyed, and what intersection costs do to eco-routes
against fastest routes per vehicle. Writes benchmarks/results/turns.json
and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, alternate, print_table, timed, write_results

import ecoroute
from ecoroute import turns as T

EXTRACTS = {"malta": "osm/malta.osm.pbf", "rhein-neckar": "osm/rhein-neckar.osm.pbf"}
VEHICLES = ("car_petrol", "truck_40t_diesel", "car_bev")
#: Table labels of the turn-aware hierarchies' orders (TurnGraph.prepare(order=...)).
ORDER_LABELS = {
    "turns": "arc cuts (default)",
    "turns_expanded_nd": "expanded ND",
    "turns_lifted": "lifted",
}
#: 100x100 matrices per timed call (one takes milliseconds: too short to time alone).
MATRICES = 20


def sizes(network: ecoroute.RoadNetwork, graph: T.TurnGraph) -> dict[str, Any]:
    out_degree = np.diff(network.first_out.astype(np.int64))
    return {
        "nodes": network.node_count,
        "arcs": network.arc_count,
        "expanded_nodes": graph.node_count,
        "expanded_arcs": graph.arc_count,
        "turns": graph.turn_count,
        "mean_out_degree": float(out_degree[network.head].mean()),
        "expanded_arcs_per_arc": graph.arc_count / network.arc_count,
    }


def bench_extract(name: str, repeats: int) -> dict[str, Any]:
    path = SHARED_DATA / EXTRACTS[name]
    # The node-based network (turns are read and passed explicitly below).
    load_s, network = timed(lambda: ecoroute.load_osm(path, turn_restrictions=False))
    read_s, turns = timed(lambda: T.read_turns(path, network, intersection_costs=False))
    expand_s, graph = timed(lambda: T.TurnGraph(network, turns))
    print(
        f"{name}: {network!r}, {turns.restriction_count} restrictions, "
        f"{len(turns.skipped)} skipped; load {load_s:.2f} s, read {read_s:.2f} s, "
        f"expand {expand_s:.2f} s",
        flush=True,
    )

    # Preprocessing: a fresh hierarchy each run (order + contraction), alternately.
    prep = alternate(
        {
            "node": lambda: ecoroute.hierarchy.Hierarchy.build(network),
            "turns": lambda: T.TurnGraph(network, turns).prepare(),
            "turns_expanded_nd": lambda: T.TurnGraph(network, turns).prepare(
                order="nested_dissection"
            ),
            "turns_lifted": lambda: T.TurnGraph(network, turns).prepare(order="lifted"),
        },
        repeats,
    )
    network.prepare()
    graph.prepare()
    graphs: dict[str, T.TurnGraph | None] = {"node": None, "turns": graph}
    hierarchy_size = {}
    for kind, order in (("turns_expanded_nd", "nested_dissection"), ("turns_lifted", "lifted")):
        other = T.TurnGraph(network, turns)
        other.prepare(order=order)  # type: ignore[arg-type]
        graphs[kind] = other
    assert network.hierarchy is not None
    for kind, g in graphs.items():
        h = network.hierarchy if g is None else g.prepare()
        arcs = h.edge_count if g is None else h.arc_count  # type: ignore[union-attr]
        hierarchy_size[kind] = {"arcs": int(arcs), "triangles": int(h.triangle_count)}
    custom = alternate(
        {
            kind: (
                lambda g=g: ecoroute.Router(network, "car_petrol", "time", algorithm="cch", turns=g)
            )
            for kind, g in graphs.items()
        },
        repeats,
    )
    routers = {
        (kind, algorithm): ecoroute.Router(
            network, "car_petrol", "time", algorithm=algorithm, turns=graphs[kind], num_threads=1
        )
        for kind in graphs
        for algorithm in ("cch", "bidirectional_astar")
        if kind in ("node", "turns") or algorithm == "cch"
    }
    rng = np.random.default_rng(7)
    ids = network.node_id
    pairs = rng.integers(network.node_count, size=(2, 200))
    rows_ids = ids[rng.integers(network.node_count, size=100)]
    cols_ids = ids[rng.integers(network.node_count, size=100)]

    def one_by_one(router: ecoroute.Router) -> Any:
        def run() -> None:
            for s, t in zip(pairs[0], pairs[1], strict=True):
                with contextlib.suppress(ecoroute.NoRouteError):
                    router.route(ids[s], ids[t])

        return run

    query = alternate({f"{k}/{a}": one_by_one(r) for (k, a), r in routers.items()}, repeats)
    matrix = alternate(
        {
            f"{k}/cch": (lambda r=r: [r.matrix(rows_ids, cols_ids) for _ in range(MATRICES)])
            for (k, a), r in routers.items()
            if a == "cch"
        },
        repeats,
    )
    return {
        "sizes": sizes(network, graph),
        "hierarchy": hierarchy_size,
        "read_s": read_s,
        "expand_s": expand_s,
        "preprocess_s": prep,
        "customize_s": custom,
        "query_us": {k: v / pairs.shape[1] * 1e6 for k, v in query.items()},
        "matrix_100_s": {k: v / MATRICES for k, v in matrix.items()},
        "network": network,
        "turns": turns,
        "graph": graph,
    }


def changed_routes(network: ecoroute.RoadNetwork, graph: T.TurnGraph, count: int) -> dict[str, Any]:
    """How many of ``count`` random routes (fastest, car) change when restrictions are obeyed."""
    rng = np.random.default_rng(1)
    s, t = rng.integers(network.node_count, size=(2, count))
    plain = ecoroute.Router(network, "car_petrol", "time", algorithm="cch")
    turned = ecoroute.Router(network, "car_petrol", "time", algorithm="cch", turns=graph)
    a = plain.route_indices(s, t, with_paths=True)
    b = turned.route_indices(s, t, with_paths=True)
    assert a.path_offsets is not None
    assert b.path_offsets is not None
    assert a.path_arcs is not None
    assert b.path_arcs is not None
    changed = 0
    for i in range(count):
        pa = a.path_arcs[a.path_offsets[i] : a.path_offsets[i + 1]]
        pb = b.path_arcs[b.path_offsets[i] : b.path_offsets[i + 1]]
        changed += not np.array_equal(pa, pb)
    both = np.isfinite(a.cost) & np.isfinite(b.cost)
    longer = b.cost[both] - a.cost[both]
    return {
        "routes": count,
        "changed": changed,
        "slower": int((longer > 1e-9).sum()),
        "mean_extra_s_when_slower": float(longer[longer > 1e-9].mean())
        if (longer > 1e-9).any()
        else 0.0,
        "unreachable_with_turns": int((~np.isfinite(b.cost) & np.isfinite(a.cost)).sum()),
    }


def eco_against_fastest(
    network: ecoroute.RoadNetwork, turns: T.TurnRestrictions, count: int, extract: str = "malta"
) -> list[dict[str, Any]]:
    """CO2 saved and time added by eco-routes against fastest routes, without and with intersection costs."""
    path = SHARED_DATA / EXTRACTS[extract]
    with_costs = T.read_turns(path, network, intersection_costs=True)
    rng = np.random.default_rng(2)
    s, t = rng.integers(network.node_count, size=(2, count))
    rows = []
    for label, tr in (("restrictions only", turns), ("with intersection costs", with_costs)):
        graph = tr.expanded(network)
        graph.prepare()
        for vehicle in VEHICLES:
            fast = ecoroute.Router(network, vehicle, "time", algorithm="cch", turns=graph)
            eco = ecoroute.Router(network, vehicle, "co2", algorithm="cch", turns=graph)
            f = fast.route_indices(s, t)
            e = eco.route_indices(s, t)
            ok = np.isfinite(f.cost) & np.isfinite(e.cost)
            co2_f, co2_e = f.quantities["co2_g"][ok].sum(), e.quantities["co2_g"][ok].sum()
            time_f, time_e = f.quantities["time_s"][ok].sum(), e.quantities["time_s"][ok].sum()
            rows.append(
                {
                    "costs": label,
                    "vehicle": vehicle,
                    "CO2 saved": f"{100 * (1 - co2_e / co2_f):.2f} %",
                    "time added": f"{100 * (time_e / time_f - 1):.2f} %",
                    "fastest g/route": f"{co2_f / ok.sum():.0f}",
                    "fastest s/route": f"{time_f / ok.sum():.0f}",
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extracts", nargs="+", default=list(EXTRACTS), choices=list(EXTRACTS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--routes", type=int, default=1000)
    args = parser.parse_args()

    rows = []
    results: dict[str, Any] = {}
    for name in args.extracts:
        r = bench_extract(name, args.repeats)
        sz = r["sizes"]
        prep, query, matrix = r["preprocess_s"], r["query_us"], r["matrix_100_s"]
        for kind in ("turns", "turns_expanded_nd", "turns_lifted"):
            h = r["hierarchy"][kind]
            rows.append(
                {
                    "extract": name,
                    "CCH order": ORDER_LABELS[kind],
                    "CCH arcs / triangles": f"{h['arcs'] / 1e6:.2f} M / {h['triangles'] / 1e6:.1f} M",
                    "arcs": f"{sz['arcs']:,}",
                    "expanded arcs": f"{sz['expanded_arcs']:,} ({sz['expanded_arcs_per_arc']:.2f}x)",
                    "preprocess node/turns": f"{prep['node']:.2f} / {prep[kind]:.2f} s "
                    f"({prep[kind] / prep['node']:.1f}x)",
                    "customize node/turns": f"{1e3 * r['customize_s']['node']:.0f} / "
                    f"{1e3 * r['customize_s'][kind]:.0f} ms",
                    "CCH route node/turns": f"{query['node/cch']:.0f} / {query[kind + '/cch']:.0f} us "
                    f"({query[kind + '/cch'] / query['node/cch']:.2f}x)",
                    "100x100 node/turns": f"{1e3 * matrix['node/cch']:.0f} / "
                    f"{1e3 * matrix[kind + '/cch']:.0f} ms "
                    f"({matrix[kind + '/cch'] / matrix['node/cch']:.2f}x)",
                    "bidir A* node/turns": f"{query['node/bidirectional_astar']:.0f} / "
                    f"{query['turns/bidirectional_astar']:.0f} us",
                }
            )
        if name == "malta":
            results["malta_changed_routes"] = changed_routes(r["network"], r["graph"], args.routes)
            results["malta_eco_vs_fastest"] = eco_against_fastest(
                r["network"], r["turns"], args.routes
            )
        results[name] = {k: v for k, v in r.items() if k not in ("network", "turns", "graph")}
    print_table(rows, list(rows[0]))
    if "malta_changed_routes" in results:
        print()
        print("Malta, fastest car routes:", results["malta_changed_routes"])
        print()
        eco = results["malta_eco_vs_fastest"]
        print_table(eco, list(eco[0]))
    print(write_results("turns", results))


if __name__ == "__main__":
    main()
