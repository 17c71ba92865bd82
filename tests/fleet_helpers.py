"""Helpers for the fleet tests: small hilly grid towns and the networkx oracle for matrices."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import networkx as nx
import numpy as np

import ecoroute
from ecoroute.fleet import Depot, Stop


def grid_town(seed: int, side: int = 6, *, spacing_m: float = 400.0) -> ecoroute.RoadNetwork:
    """
    Return a ``side`` x ``side`` grid of two-way streets with hills and mixed speeds.

    Node elevations come from a random smooth surface, so grades are
    consistent with heights (EV potentials are exact) and least-CO2 paths
    differ from shortest and fastest ones. Lengths are jittered so that no two
    paths tie.
    """
    rng = np.random.default_rng(seed)
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    lat = 60.0 + row * spacing_m / 111_195.0
    lon = 25.0 + col * spacing_m / (111_195.0 * math.cos(math.radians(60.0)))
    elevation = 30.0 * np.sin(row / 2.0 + rng.random()) + 25.0 * np.cos(col / 1.7 + rng.random())
    tail, head = [], []
    for x in range(n):
        if col[x] + 1 < side:
            tail += [x, x + 1]
            head += [x + 1, x]
        if row[x] + 1 < side:
            tail += [x, x + side]
            head += [x + side, x]
    tail_a, head_a = np.array(tail), np.array(head)
    length = spacing_m * (1.0 + 0.25 * rng.random(tail_a.size))
    speed = rng.choice([30.0, 50.0, 70.0, 90.0], tail_a.size)
    grade = (elevation[head_a] - elevation[tail_a]) / length
    return ecoroute.RoadNetwork.from_arrays(
        tail_a,
        head_a,
        length,
        speed,
        lat,
        lon,
        grade=grade,
        elevation_m=elevation,
        node_id=100 + np.arange(n),
    )


def node_point(network: ecoroute.RoadNetwork, index: int) -> dict[str, float]:
    """Coordinates of a node, for a Stop or Depot placed exactly on it."""
    return {"lat": float(network.lat[index]), "lon": float(network.lon[index])}


def random_stops(
    network: ecoroute.RoadNetwork,
    rng: np.random.Generator,
    count: int,
    *,
    avoid: int = 0,
    windows: bool = True,
) -> list[Stop]:
    """Stops on distinct random nodes (not ``avoid``), with demands, service and some windows."""
    nodes = rng.choice(np.setdiff1d(np.arange(network.node_count), [avoid]), count, replace=False)
    stops = []
    for i, x in enumerate(nodes):
        window = None
        if windows and i % 2 == 0:
            start = float(rng.integers(8, 11) * 3600)
            window = (start, start + float(rng.integers(1, 4) * 1800))
        stops.append(
            Stop(
                f"S{i}",
                **node_point(network, int(x)),
                demand_kg=float(rng.integers(50, 400)),
                service_s=float(rng.integers(2, 10) * 60),
                time_window=window,
            )
        )
    return stops


def depot_at(network: ecoroute.RoadNetwork, index: int, name: str = "D") -> Depot:
    """A depot on node ``index``."""
    return Depot(name, **node_point(network, index))


def on_node_ids(network: ecoroute.RoadNetwork, places: list) -> list:
    """
    The same depots or stops given by the node id they sit on instead of coordinates.

    For tests whose oracle routes node to node: coordinates snap part-way along a
    road (on a turn-aware network, a point at a node is on one of its arcs, so the
    turns from that arc apply), a node id stays that exact node.
    """
    out = []
    for place in places:
        index = int(np.argmin((network.lat - place.lat) ** 2 + (network.lon - place.lon) ** 2))
        node = int(network.node_id[index])
        out.append(dataclasses.replace(place, lat=None, lon=None, node=node))
    return out


def node_index(network: ecoroute.RoadNetwork, place) -> int:
    """Dense index of the node a depot or stop is given by (its node id, else nearest node)."""
    if place.node is not None:
        return int(network.node_index_of(int(place.node)))
    return int(network.nearest_nodes(place.lat, place.lon)[0][0])


def oracle_paths(
    network: ecoroute.RoadNetwork, weight: np.ndarray, nodes: list[int]
) -> tuple[np.ndarray, list[list[list[int]]]]:
    """
    Least-``weight`` path costs and arc lists between ``nodes``, by networkx Bellman-Ford.

    Bellman-Ford handles the negative arc weights of EVs recovering energy
    downhill; parallel arcs do not occur in the grid towns.
    """
    graph = nx.DiGraph()
    for a, (u, v) in enumerate(zip(network.tail.tolist(), network.head.tolist(), strict=True)):
        graph.add_edge(u, v, weight=float(weight[a]), arc=a)
    size = len(nodes)
    cost = np.zeros((size, size))
    arcs: list[list[list[int]]] = [[[] for _ in range(size)] for _ in range(size)]
    for i, s in enumerate(nodes):
        lengths, paths = nx.single_source_bellman_ford(graph, s)
        for j, t in enumerate(nodes):
            cost[i, j] = lengths[t]
            arcs[i][j] = [graph.edges[u, v]["arc"] for u, v in itertools.pairwise(paths[t])]
    return cost, arcs


def forbid_some_turns(
    network: ecoroute.RoadNetwork, rng: np.random.Generator, one_in: int = 5
) -> tuple[Any, set[tuple[int, int]]]:
    """
    Forbid one in ``one_in`` of the turns that are not U-turns, with intersection costs on.

    Returns the restrictions and the forbidden ``(from_arc, to_arc)`` pairs.
    """
    from ecoroute import turns as T

    pairs = [
        (a, b)
        for a in range(network.arc_count)
        for b in range(
            int(network.first_out[network.head[a]]), int(network.first_out[network.head[a] + 1])
        )
        if network.head[b] != network.tail[a]
    ]
    chosen = rng.choice(len(pairs), len(pairs) // one_in, replace=False)
    forbidden = [pairs[i] for i in chosen]
    turns = T.TurnRestrictions.from_arc_pairs(network, forbidden).with_options(
        intersection_costs=True
    )
    return turns, {(int(a), int(b)) for a, b in forbidden}
