"""
Customizable contraction hierarchies: ecoroute against RoutingKit (pyroutingkit), same run.

Same arcs, same weights, same queries. pyroutingkit takes uint32 weights, so
both get the network's travel time in milliseconds, rounded to integers
(ecoroute as float64 holding the same integers): the two must then agree on
every cost exactly, and the script checks that they do. Each timing is the
median of ``--repeats`` runs, the two libraries measured alternately.

    python benchmarks/bench_cch.py                       # DIMACS New York
    python benchmarks/bench_cch.py --repeats 3 --pairs 1000000

Measured: preprocessing (order + contraction), customization (1 and 2
threads), one query with its path per Python call, 100x100 and 1000x1000
matrices, ten vehicle customizations through ``Router``, a batch of random
pairs (costs only) on both cores, and memory per arc. Writes
benchmarks/results/cch.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import alternate, median_time, print_table, timed, write_results
from bench_queries import load_graph

import ecoroute
from ecoroute import _core
from ecoroute._geo import unit_vectors

MS_PER_S = 1000.0


def bench(name: str, repeats: int, pairs: int, query_pairs: int) -> dict[str, Any]:
    import pyroutingkit as rk

    network = load_graph(name)
    n, m = network.node_count, network.arc_count
    print(f"\n## {name}: {n:,} nodes, {m:,} arcs; {ecoroute._core.hardware_threads()} cores")
    tail = np.ascontiguousarray(network.tail, dtype=np.uint32)
    head = np.ascontiguousarray(network.head, dtype=np.uint32)
    lat32 = network.lat.astype(np.float32)
    lon32 = network.lon.astype(np.float32)
    weight_int = np.round(network.travel_time_s * MS_PER_S).astype(np.uint32)
    assert weight_int.max() < rk.INF_WEIGHT // 1000
    weight = weight_int.astype(np.float64)
    graph = network._graph
    x, y, z = unit_vectors(network.lat, network.lon)
    rows: list[dict[str, Any]] = []
    out: dict[str, Any] = {"graph": name, "nodes": n, "arcs": m, "repeats": repeats}

    def row(what: str, ours: float, theirs: float | None, unit: str, target: str) -> None:
        scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
        rows.append(
            {
                "measure": what,
                "ecoroute": f"{ours * scale:.3g} {unit}",
                "RoutingKit": "" if theirs is None else f"{theirs * scale:.3g} {unit}",
                "ratio (RK / ours)": "" if theirs is None else f"{theirs / ours:.2f}x",
                "target": target,
            }
        )
        out[what] = {"ecoroute_s": ours, "routingkit_s": theirs}

    # 1. Preprocessing: nested-dissection order + contraction.
    pre: dict[str, list[float]] = {"ours": [], "theirs": []}
    cch = topology = None
    for _ in range(max(1, min(repeats, 3))):
        seconds, cch = timed(
            lambda: _core.Cch(graph, _core.nested_dissection_order(graph, x, y, z, num_threads=0))
        )
        pre["ours"].append(seconds)
        topology = rk.CCHTopology()
        pre["theirs"].append(
            timed(lambda t=topology: t.build(tail, head, lat32, lon32, n))[0]  # type: ignore[misc]
        )
    assert cch is not None
    assert topology is not None
    row(
        "preprocessing (order + contraction)",
        statistics.median(pre["ours"]),
        statistics.median(pre["theirs"]),
        "s",
        "<= RK",
    )

    # 2. Customization of one metric.
    metric = _core.Metric(graph, weight)
    theirs_metric = rk.CCHMetric(topology)
    theirs_metric.customize(weight_int, 1)
    for threads in (1, 2):
        t = alternate(
            {
                "ours": lambda k=threads: _core.CchMetric(cch, metric, num_threads=k),
                "theirs": lambda k=threads: theirs_metric.customize(weight_int, k),
            },
            max(repeats, 7),
        )
        row(f"customization, {threads} thread(s)", t["ours"], t["theirs"], "ms", "<= RK")
    customized = _core.CchMetric(cch, metric, num_threads=0)
    router = _core.QueryEngine(customized, [])

    # Same costs: a matrix and pairs, exactly.
    rng = np.random.default_rng(2026)
    s = rng.integers(0, n, query_pairs).astype(np.uint32)
    t_ = rng.integers(0, n, query_pairs).astype(np.uint32)
    ours_cost = router.route_pairs(s, t_, num_threads=0)[0]
    theirs_cost = np.array(
        [theirs_metric.query(int(a), int(b))[0] for a, b in zip(s[:2000], t_[:2000], strict=True)],
        dtype=np.float64,
    )
    theirs_cost[theirs_cost >= rk.INF_WEIGHT] = np.inf
    np.testing.assert_array_equal(ours_cost[:2000], theirs_cost)

    # 3. One query with its path, one Python call each (what a user pays).
    one_s = [np.array([a], dtype=np.uint32) for a in s]
    one_t = [np.array([b], dtype=np.uint32) for b in t_]

    def ours_queries() -> None:
        for a, b in zip(one_s, one_t, strict=True):
            router.route_pairs(a, b, with_paths=True, num_threads=1)

    def theirs_queries() -> None:
        for a, b in zip(s.tolist(), t_.tolist(), strict=True):
            theirs_metric.query(a, b)

    t = alternate({"ours": ours_queries, "theirs": theirs_queries}, repeats)
    rk_query_s = t["theirs"] / query_pairs
    row("query with path, per Python call (core)", t["ours"] / query_pairs, rk_query_s, "us", "")
    batch_path = median_time(
        lambda: router.route_pairs(s, t_, with_paths=True, num_threads=1), repeats
    )[0]
    batch_cost = median_time(lambda: router.route_pairs(s, t_, num_threads=1), repeats)[0]
    row("query with path, in a batch (1 thread)", batch_path / query_pairs, None, "us", "")
    row("query cost only, in a batch (1 thread)", batch_cost / query_pairs, None, "us", "")

    # 4. Matrices (costs; ecoroute also with its five quantities, below).
    for k in (100, 1000):
        src = rng.integers(0, n, k).astype(np.uint32)
        dst = rng.integers(0, n, k).astype(np.uint32)
        ours_matrix = router.matrix(src, dst, num_threads=0)[0]
        theirs_matrix = theirs_metric.distances_many_to_many(src, dst).astype(np.float64)
        theirs_matrix[theirs_matrix >= rk.INF_WEIGHT] = np.inf
        np.testing.assert_array_equal(ours_matrix, theirs_matrix)
        t = alternate(
            {
                "ours": lambda a=src, b=dst: router.matrix(a, b, num_threads=0),
                "theirs": lambda a=src, b=dst: theirs_metric.distances_many_to_many(a, b),
            },
            repeats,
        )
        row(f"matrix {k}x{k}", t["ours"], t["theirs"], "ms", "<= RK")
        if k == 100:
            rk_matrix_100_s = t["theirs"]
            matrix_100 = (src, dst)

    # 5. The Python API on the same network: prepare(), ten vehicles, matrix() with quantities.
    network = network.with_hierarchy(ecoroute.Hierarchy(cch))
    objectives: list[Any] = [
        "co2",
        "time",
        "distance",
        "fuel",
        {"co2": 1.0, "time": 0.5},
        {"co2": 1.0, "time": 2.0},
        {"fuel": 1.0, "time": 0.001},
        {"co2": 1.0, "distance": 0.1},
        {"time": 1.0, "distance": 0.01},
        {"co2": 1.0, "time": 10.0},
    ]
    ten_core = median_time(
        lambda: [
            _core.CchMetric(cch, _core.Metric(graph, weight * (1 + i / 10)), num_threads=0)
            for i in range(10)
        ],
        repeats,
    )[0]
    row("ten customizations (core: Metric + CchMetric)", ten_core, None, "s", "< 1 s")
    ten = median_time(
        lambda: [ecoroute.Router(network, "car_petrol", o) for o in objectives], repeats
    )[0]
    row("ten vehicle Routers (emission model + customization)", ten, None, "s", "< 1 s")
    fresh = ten_routers_in_a_fresh_process(name, np.asarray(cch.order), objectives)
    row("ten vehicle Routers, first ten in a fresh process", fresh, None, "s", "< 1 s")
    # The public API against RoutingKit's calls above (same network, pairs, run).
    ids = network.node_id
    src_ids, dst_ids = ids[matrix_100[0]], ids[matrix_100[1]]
    first: list[float] = []
    for _ in range(repeats):
        fresh_router = ecoroute.Router(network, "car_petrol", "time")
        first.append(timed(lambda r=fresh_router: r.matrix(src_ids, dst_ids))[0])
        del fresh_router
    row(
        "first Router.matrix 100x100 of a fresh Router (5 quantities)",
        statistics.median(first),
        rk_matrix_100_s,
        "ms",
        "<= RK",
    )
    api = ecoroute.Router(network, "car_petrol", "co2")
    src_ids, dst_ids = ids[rng.integers(0, n, 1000)], ids[rng.integers(0, n, 1000)]
    full = median_time(lambda: api.matrix(src_ids, dst_ids), repeats)[0]
    row("Router.matrix 1000x1000 with 5 quantities", full, None, "ms", "")
    some = [(int(ids[a]), int(ids[b])) for a, b in zip(s[:1000], t_[:1000], strict=True)]

    def routes() -> None:
        for a, b in some:
            with contextlib.suppress(ecoroute.NoRouteError):
                api.route(a, b)

    routes()  # warm the query pool
    per_route = median_time(routes, repeats)[0] / len(some)
    row(
        "Router.route (path, Route object, 5 quantities)",
        per_route,
        rk_query_s,
        "us",
        "<= RK / 2",
    )
    many_s, many_t = ids[s], ids[t_]
    api.route_many(many_s, many_t, num_threads=0)  # warm
    per_pair = median_time(lambda: api.route_many(many_s, many_t, num_threads=0), repeats)[0]
    row(
        "Router.route_many per pair (5 quantities, all cores)",
        per_pair / query_pairs,
        rk_query_s,
        "us",
        "<= RK / 5",
    )

    # 6. Many random pairs, costs only, both cores, one call.
    big_s = rng.integers(0, n, pairs).astype(np.uint32)
    big_t = rng.integers(0, n, pairs).astype(np.uint32)
    batch = median_time(
        lambda: router.route_pairs(big_s, big_t, num_threads=0), max(1, min(repeats, 3))
    )[0]
    row(f"{pairs:,} random pairs, costs only, all cores", batch, None, "s", "<= 60 s (1M)")

    # 7. Memory.
    per_arc_topology = cch.memory_bytes / m
    per_arc_metric = customized.memory_bytes / m
    out["bytes_per_input_arc"] = {"hierarchy": per_arc_topology, "metric": per_arc_metric}
    out["cch_edges"] = cch.arc_count
    out["tree_height"] = cch.tree_height
    out["triangles"] = cch.triangle_count

    print(f"\nMedians of {repeats} runs (matrices and queries on random nodes):\n")
    print_table(rows, ["measure", "ecoroute", "RoutingKit", "ratio (RK / ours)", "target"])
    print(
        f"\nHierarchy: {cch.arc_count:,} CCH arcs ({cch.arc_count / m:.2f} per input arc), "
        f"elimination tree height {cch.tree_height}, {cch.triangle_count:,} triangles.\n"
        f"Memory per input arc: hierarchy {per_arc_topology:.1f} B, "
        f"each customized metric {per_arc_metric:.1f} B "
        f"({customized.memory_bytes / cch.arc_count:.0f} B per CCH arc)."
    )
    out["table"] = rows
    return out


def ten_routers_in_a_fresh_process(name: str, order: np.ndarray, objectives: list[Any]) -> float:
    """Seconds for the first ten Routers of a new process (all memory fresh, nothing recycled)."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        order_file = Path(folder) / "order.npy"
        np.save(order_file, order)
        script = f"""
import json, sys, time
import numpy as np
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from bench_queries import load_graph
import ecoroute
network = load_graph({name!r})
network = network.prepared(order=np.load({str(order_file)!r}))
objectives = json.loads({json.dumps(json.dumps(objectives))})
start = time.perf_counter()
routers = [ecoroute.Router(network, "car_petrol", o) for o in objectives]
print(time.perf_counter() - start)
"""
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
    return float(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--graphs", default="ny", help="comma-separated: ny, aguascalientes")
    parser.add_argument("--repeats", type=int, default=5, help="runs per timing (median kept)")
    parser.add_argument(
        "--pairs", type=int, default=1_000_000, help="random pairs in the batch timing"
    )
    parser.add_argument(
        "--query-pairs", type=int, default=5000, help="pairs in the per-query timings"
    )
    args = parser.parse_args(argv)
    results = [
        bench(name.strip(), args.repeats, args.pairs, args.query_pairs)
        for name in args.graphs.split(",")
    ]
    path = write_results("cch", {"graphs": results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
