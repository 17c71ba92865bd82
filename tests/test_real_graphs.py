"""Every algorithm against networkx's Dijkstra on real road graphs from ../shared/data."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.objectives import ALGORITHMS

from .helpers import path_cost, to_networkx


def _check_against_networkx(network, objective, pairs, seed):
    rng = np.random.default_rng(seed)
    # Few distinct sources (one networkx tree each), many targets.
    sources = np.repeat(rng.integers(0, network.node_count, pairs // 50), 50)
    targets = rng.integers(0, network.node_count, sources.size)
    routers = {
        a: ecoroute.Router(network, "car_petrol", objective, algorithm=a) for a in ALGORITHMS
    }
    weight = routers["dijkstra"].weight

    graph = to_networkx(network, weight)
    expected = np.empty(sources.size)
    for s in np.unique(sources):
        tree = nx.single_source_dijkstra_path_length(graph, int(s))
        rows = sources == s
        expected[rows] = [tree.get(int(t), np.inf) for t in targets[rows]]

    for algorithm, router in routers.items():
        result = router.route_many(
            network.node_id[sources], network.node_id[targets], return_paths=True
        )
        assert_allclose(result["cost"], expected, rtol=1e-9, err_msg=algorithm)
        for i in np.flatnonzero(np.isfinite(expected))[:100]:
            nodes = network.node_index(result["nodes"][i])
            arcs = _arcs_of(network, weight, nodes)
            assert path_cost(network, weight, nodes[0], arcs) == pytest.approx(
                expected[i], rel=1e-9
            )


def _arcs_of(network, weight, nodes):
    """Cheapest arc between each consecutive pair of nodes (the path given as nodes)."""
    arcs = []
    for u, v in itertools.pairwise(nodes):
        out = np.arange(network.first_out[u], network.first_out[u + 1])
        out = out[network.head[out] == v]
        assert out.size, f"no arc {u} -> {v}: the path is not connected"
        arcs.append(out[np.argmin(weight[out])])
    return np.array(arcs, dtype=np.int64)


@pytest.mark.parametrize("objective", ["time", "co2"])
def test_aguascalientes_matches_networkx(aguascalientes_osmnx, objective):
    """Tests 600 random pairs on Aguascalientes (osmnx from XML), every algorithm."""
    network = ecoroute.RoadNetwork.from_osmnx(aguascalientes_osmnx)
    _check_against_networkx(network, objective, 600, seed=1)


def test_west_oakland_matches_networkx(west_oakland_osmnx):
    """Tests 500 random pairs on the small West Oakland extract."""
    network = ecoroute.RoadNetwork.from_osmnx(west_oakland_osmnx)
    _check_against_networkx(network, "distance", 500, seed=2)


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["time", "co2"])
def test_new_york_matches_networkx(new_york, objective):
    """Tests 500 random pairs on DIMACS New York (264k nodes), every algorithm."""
    _check_against_networkx(new_york, objective, 500, seed=3)


def test_new_york_speeds_are_plausible(new_york):
    """
    Tests the DIMACS unit conversions: lengths match the great-circle distance
    of the coordinates (decimetres -> metres) and speeds are road speeds.
    """
    t, h = new_york.tail, new_york.head
    straight = ecoroute._geo.haversine_m(
        new_york.lat[t], new_york.lon[t], new_york.lat[h], new_york.lon[h]
    )
    long_enough = straight > 50
    assert np.median(new_york.length_m[long_enough] / straight[long_enough]) == pytest.approx(
        1.0, abs=0.01
    )
    speeds = np.round(new_york.speed_kph[new_york.length_m > 100])
    values, counts = np.unique(speeds, return_counts=True)
    top = set(values[np.argsort(-counts)[:4]].tolist())
    assert top == {40.0, 60.0, 80.0, 100.0}
