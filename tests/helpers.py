"""Test helpers: random networks and the networkx oracle."""

from __future__ import annotations

import networkx as nx
import numpy as np

import ecoroute


def random_network(
    seed: int, node_count: int = 60, edge_count: int = 160, *, zero_lengths: bool = True
) -> ecoroute.RoadNetwork:
    """
    Return a random road network with the awkward cases built in.

    Loops, parallel arcs, zero-length arcs, one-way arcs, two isolated nodes
    and nodes without out-arcs, on a 2 km patch around Helsinki.
    """
    rng = np.random.default_rng(seed)
    n = node_count
    lat = 60.17 + rng.random(n) * 0.02
    lon = 24.93 + rng.random(n) * 0.04
    tail = rng.integers(0, n - 2, edge_count)  # the last two nodes stay isolated
    head = rng.integers(0, n - 2, edge_count)
    head[::17] = tail[::17]  # loops
    tail = np.concatenate([tail, tail[::9]])  # parallel arcs
    head = np.concatenate([head, head[::9]])
    m = tail.size
    straight = ecoroute._geo.haversine_m(lat[tail], lon[tail], lat[head], lon[head])
    length = straight * (1 + rng.random(m) * 0.3)
    if zero_lengths:
        length[::13] = 0.0  # zero-length arcs between distinct points
    speed = rng.choice([20.0, 30.0, 50.0, 80.0], m)
    return ecoroute.RoadNetwork.from_arrays(
        tail, head, length, speed, lat, lon, node_id=1000 + np.arange(n)
    )


def to_networkx(network: ecoroute.RoadNetwork, weight: np.ndarray) -> nx.MultiDiGraph:
    """Return the network as a networkx MultiDiGraph keyed by dense index, one edge per arc."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(network.node_count))
    graph.add_weighted_edges_from(
        zip(network.tail.tolist(), network.head.tolist(), np.asarray(weight).tolist(), strict=True)
    )
    return graph


def legal_cost(
    network: ecoroute.RoadNetwork, weight: np.ndarray, destination: np.ndarray, s: int, t: int
) -> float:
    """
    The least cost from dense node ``s`` to ``t`` when ``destination`` arcs may be driven only at
    a route's ends (``D* O* D*``), by networkx on a three-phase state graph; inf if none.

    Phase 0: still on the start stretch (destination-only arcs), 1: on open roads, 2: on the
    end stretch. Open arcs go 0->1 and 1->1, destination-only arcs 0->0, 1->2 and 2->2.
    Infinite weights are left out.
    """
    if s == t:
        return 0.0
    graph = nx.DiGraph()
    w = np.asarray(weight, dtype=np.float64)
    dest = np.asarray(destination, dtype=bool)
    edges: dict[tuple[object, object], float] = {}
    for a, (u, v) in enumerate(zip(network.tail.tolist(), network.head.tolist(), strict=True)):
        if not np.isfinite(w[a]):
            continue
        moves = ((0, 0), (1, 2), (2, 2)) if dest[a] else ((0, 1), (1, 1))
        for p, q in moves:
            key = ((u, p), (v, q))
            edges[key] = min(edges.get(key, np.inf), float(w[a]))
    graph.add_weighted_edges_from((a, b, x) for (a, b), x in edges.items())
    for p in (0, 1, 2):
        graph.add_edge((t, p), "sink", weight=0.0)
    try:
        return float(nx.dijkstra_path_length(graph, (s, 0), "sink"))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return float("inf")


def path_cost(
    network: ecoroute.RoadNetwork, weight: np.ndarray, source: int, arcs: np.ndarray
) -> float:
    """Check that ``arcs`` is a connected walk from dense node ``source``; return its weight."""
    at = source
    for a in np.asarray(arcs, dtype=np.int64):
        assert network.tail[a] == at, f"arc {a} does not continue the path at node {at}"
        at = int(network.head[a])
    return float(np.asarray(weight)[np.asarray(arcs, dtype=np.int64)].sum())
