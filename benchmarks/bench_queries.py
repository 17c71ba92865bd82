"""
Point-to-point queries without preprocessing: ecoroute against networkx, igraph and scipy.

Same graph, same weights (travel time, parallel arcs collapsed to the cheapest
for the peers that cannot hold them), same query pairs, same run. Each timing
is the median of ``--repeats`` runs; ratios are peer time / ecoroute time.

    python benchmarks/bench_queries.py                 # DIMACS New York + Malta (OSM)
    python benchmarks/bench_queries.py --graphs ny --pairs 30 --repeats 5

Writes benchmarks/results/queries.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, median_time, print_table, write_results

import ecoroute
from ecoroute.objectives import ALGORITHMS


def load_graph(name: str) -> ecoroute.RoadNetwork:
    """Return a benchmark network by name, from ../shared/data."""
    if name == "ny":
        d = SHARED_DATA / "dimacs"
        return ecoroute.read_dimacs(
            d / "USA-road-d.NY.gr.gz", d / "USA-road-t.NY.gr.gz", d / "USA-road-d.NY.co.gz"
        )
    if name in {"malta", "rhein-neckar", "monaco", "andorra"}:
        # Strongly connected: random pairs are then all routable. Node-based, as the
        # peers are (turn-aware queries: bench_turns.py).
        return ecoroute.load_osm(
            SHARED_DATA / "osm" / f"{name}.osm.pbf",
            largest_component="strong",
            turn_restrictions=False,
        )
    msg = f"unknown graph {name!r}"
    raise SystemExit(msg)


def cheapest_simple_arcs(
    network: ecoroute.RoadNetwork, weight: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Collapse parallel arcs to the cheapest (networkx DiGraph / scipy csr need simple graphs)."""
    tail, head = network.tail.astype(np.int64), network.head.astype(np.int64)
    order = np.lexsort((weight, head, tail))
    tail, head, w = tail[order], head[order], weight[order]
    first = np.ones(tail.size, dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    return tail[first], head[first], w[first]


def bench_graph(
    name: str, pairs: int, repeats: int, batch_pairs: int, peers: bool
) -> dict[str, Any]:
    start = time.perf_counter()
    network = load_graph(name)
    load_s = time.perf_counter() - start
    print(
        f"\n## {name}: {network.node_count:,} nodes, {network.arc_count:,} arcs (loaded in {load_s:.1f} s)"
    )

    rng = np.random.default_rng(2026)
    s = rng.integers(0, network.node_count, pairs)
    t = rng.integers(0, network.node_count, pairs)
    s_id, t_id = network.node_id[s], network.node_id[t]

    routers = {
        a: ecoroute.Router(network, "car_petrol", "time", algorithm=a, num_threads=1)
        for a in ALGORITHMS
    }
    weight = routers["dijkstra"].weight
    reference = routers["dijkstra"].route_many(s_id, t_id)["cost"].to_numpy()

    timings: dict[str, float] = {}
    for algorithm, router in routers.items():
        router.route_many(s_id[:2], t_id[:2])  # warm the query pool
        cost = router.route_many(s_id, t_id)["cost"].to_numpy()
        np.testing.assert_allclose(cost, reference, rtol=1e-9)
        timings[f"ecoroute {algorithm}"] = (
            median_time(lambda r=router: r.route_many(s_id, t_id), repeats)[0] / pairs
        )

    # Explicitly the search without preprocessing: an "auto" router would prepare the
    # index itself for the batch below (2,000 pairs or more, ecoroute.routing.PREPARE_AT_PAIRS).
    auto = ecoroute.Router(network, "car_petrol", "time", algorithm="bidirectional_astar")

    def single_routes() -> None:
        for a, b in zip(s_id, t_id, strict=True):
            with contextlib.suppress(ecoroute.NoRouteError):
                auto.route(int(a), int(b))

    timings["ecoroute route() (auto, with path)"] = median_time(single_routes, repeats)[0] / pairs

    if peers:
        tail, head, w = cheapest_simple_arcs(network, weight)
        timings.update(bench_peers(network.node_count, tail, head, w, s, t, reference, repeats))

    # Threads: one batch of random pairs on 1 and on 2 threads.
    bs = rng.integers(0, network.node_count, batch_pairs)
    bt = rng.integers(0, network.node_count, batch_pairs)
    bs_id, bt_id = network.node_id[bs], network.node_id[bt]
    batch = {}
    for threads in (1, 2):
        batch[threads] = median_time(
            lambda k=threads: auto.route_many(bs_id, bt_id, num_threads=k), repeats
        )[0]

    # The graph and the metric's weights (one float64 per arc) a search reads.
    memory = (network._graph.memory_bytes + auto.weight.nbytes) / network.arc_count

    base = timings["ecoroute bidirectional_astar"]
    rows = [
        {
            "method": method,
            "ms/query": f"{seconds * 1e3:.2f}",
            "vs ecoroute bidir. A*": f"{seconds / base:.1f}x",
        }
        for method, seconds in sorted(timings.items(), key=lambda kv: kv[1])
    ]
    print(f"\nPer query, {pairs} random pairs, travel time, median of {repeats} runs:\n")
    print_table(rows, ["method", "ms/query", "vs ecoroute bidir. A*"])
    print(
        f"\nBatch of {batch_pairs:,} pairs (auto algorithm): 1 thread {batch[1]:.2f} s, "
        f"2 threads {batch[2]:.2f} s, speed-up {batch[1] / batch[2]:.2f}x"
    )
    print(f"Graph + one metric: {memory:.1f} bytes per arc")
    return {
        "graph": name,
        "nodes": network.node_count,
        "arcs": network.arc_count,
        "pairs": pairs,
        "repeats": repeats,
        "seconds_per_query": timings,
        "batch_pairs": batch_pairs,
        "batch_seconds": {str(k): v for k, v in batch.items()},
        "thread_speedup": batch[1] / batch[2],
        "bytes_per_arc_graph_and_metric": memory,
    }


def bench_peers(n, tail, head, w, s, t, reference, repeats) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Time networkx, igraph and scipy on the same simple graph and pairs; check their costs."""
    out: dict[str, float] = {}
    pairs = len(s)

    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(zip(tail.tolist(), head.tolist(), w.tolist(), strict=True))

    def nx_length(fn):  # type: ignore[no-untyped-def]
        def run() -> list[float]:
            costs = []
            for a, b in zip(s.tolist(), t.tolist(), strict=True):
                try:
                    costs.append(fn(a, b))
                except nx.NetworkXNoPath:
                    costs.append(np.inf)
            return costs

        return run

    dijkstra = nx_length(lambda a, b: nx.dijkstra_path_length(graph, a, b))
    np.testing.assert_allclose(dijkstra(), reference, rtol=1e-9)
    out["networkx dijkstra_path_length"] = median_time(dijkstra, repeats)[0] / pairs
    bidirectional = nx_length(lambda a, b: nx.bidirectional_dijkstra(graph, a, b)[0])
    out["networkx bidirectional_dijkstra"] = median_time(bidirectional, repeats)[0] / pairs

    import igraph as ig

    g = ig.Graph(n=n, edges=np.column_stack([tail, head]), directed=True)
    g.es["weight"] = w

    def igraph_path() -> None:
        for a, b in zip(s.tolist(), t.tolist(), strict=True):
            g.get_shortest_path(a, b, weights="weight", output="vpath")

    def igraph_distance() -> list[float]:
        return [
            g.distances(a, b, weights="weight")[0][0]
            for a, b in zip(s.tolist(), t.tolist(), strict=True)
        ]

    np.testing.assert_allclose(igraph_distance(), reference, rtol=1e-9)
    out["igraph get_shortest_path"] = median_time(igraph_path, repeats)[0] / pairs
    out["igraph distances"] = median_time(igraph_distance, repeats)[0] / pairs

    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

    matrix = csr_matrix((w, (tail, head)), shape=(n, n))

    def scipy_trees() -> list[float]:
        return [
            scipy_dijkstra(matrix, indices=a)[b]
            for a, b in zip(s.tolist(), t.tolist(), strict=True)
        ]

    np.testing.assert_allclose(scipy_trees(), reference, rtol=1e-9)
    out["scipy csgraph.dijkstra (full tree)"] = median_time(scipy_trees, repeats)[0] / pairs
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--graphs", default="ny,malta", help="comma-separated: ny, malta, rhein-neckar, ..."
    )
    parser.add_argument("--pairs", type=int, default=30, help="query pairs timed for every method")
    parser.add_argument(
        "--repeats", type=int, default=5, help="runs per timing (the median is kept)"
    )
    parser.add_argument(
        "--batch-pairs", type=int, default=10_000, help="pairs in the 1-vs-2-thread batch"
    )
    parser.add_argument("--no-peers", action="store_true", help="time ecoroute only")
    args = parser.parse_args(argv)

    results = [
        bench_graph(name.strip(), args.pairs, args.repeats, args.batch_pairs, not args.no_peers)
        for name in args.graphs.split(",")
    ]
    path = write_results("queries", {"graphs": results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
