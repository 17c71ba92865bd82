"""The one query layer: every algorithm, every call shape, against networkx on the same weights."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from ecoroute import _core
from ecoroute._geo import unit_vectors
from tests.helpers import path_cost, random_network, to_networkx

ALGORITHMS = ["dijkstra", "bidirectional", "astar", "bidirectional_astar", "cch"]


def engine(network, weight, quantities, algorithm):
    """A QueryEngine of ``algorithm`` on ``weight``, reporting ``quantities``."""
    metric = _core.Metric(network._graph, weight)
    if algorithm == "cch":
        order = _core.nested_dissection_order(
            network._graph, *unit_vectors(network.lat, network.lon), num_threads=1
        )
        customized = _core.CchMetric(_core.Cch(network._graph, order), metric)
        return _core.QueryEngine(customized, quantities)
    points = _core.SpherePoints(*unit_vectors(network.lat, network.lon))
    return _core.QueryEngine(metric, _core.Algorithm.__members__[algorithm], quantities, points)


@pytest.mark.parametrize("seed", range(4))
def test_every_algorithm_answers_every_call_shape_like_networkx(seed):
    """Tests pairs, paths, matrices and one-to-all, for all five algorithms, against networkx."""
    network = random_network(seed)
    rng = np.random.default_rng(seed)
    weight = network.length_m / 10
    weight[rng.integers(0, weight.size, 3)] = np.inf  # closed arcs
    other = rng.random(weight.size)  # a second quantity summed along the same paths
    reference = dict(nx.all_pairs_dijkstra_path_length(to_networkx(network, weight)))
    n = network.node_count
    sources = rng.integers(0, n, 15).astype(np.uint32)
    targets = rng.integers(0, n, 15).astype(np.uint32)
    expected = np.array(
        [reference[int(s)].get(int(t), np.inf) for s in sources for t in targets]
    ).reshape(15, 15)

    answers = {}
    for algorithm in ALGORITHMS:
        e = engine(network, weight, [weight, other], algorithm)
        assert e.algorithm == _core.Algorithm.__members__[algorithm]
        pair_s, pair_t = np.repeat(sources, 15), np.tile(targets, 15)
        cost, sums, offsets, arcs = e.route_pairs(pair_s, pair_t, with_paths=True, num_threads=2)
        np.testing.assert_allclose(cost.reshape(15, 15), expected, rtol=1e-12)
        # Unreachable is inf in every output; sums follow the very path returned.
        unreachable = ~np.isfinite(cost)
        assert np.isinf(sums[unreachable]).all()
        for i in np.flatnonzero(~unreachable):
            path = arcs[offsets[i] : offsets[i + 1]]
            assert path_cost(network, weight, int(pair_s[i]), path) == pytest.approx(cost[i])
            assert sums[i, 1] == pytest.approx(other[path.astype(np.intp)].sum(), abs=1e-9)
        matrix, matrix_sums = e.matrix(sources, targets, num_threads=2)
        np.testing.assert_allclose(matrix, expected, rtol=1e-12)
        assert matrix_sums.shape == (2, 15, 15)
        np.testing.assert_allclose(matrix_sums[0], expected, rtol=1e-12)
        all_costs = e.costs_from(int(sources[0]))
        np.testing.assert_allclose(
            all_costs,
            [reference[int(sources[0])].get(v, np.inf) for v in range(n)],
            rtol=1e-12,
        )
        answers[algorithm] = cost
    # One pair loop: the same costs from every algorithm.
    for algorithm in ALGORITHMS[1:]:
        np.testing.assert_allclose(answers[algorithm], answers["dijkstra"], rtol=1e-12)


def test_engine_reports_no_quantities_when_given_none():
    network = random_network(0)
    e = engine(network, network.length_m, [], "bidirectional")
    _, sums, offsets, arcs = e.route_pairs(
        np.array([0], np.uint32), np.array([1], np.uint32), num_threads=1
    )
    assert sums.shape == (1, 0)
    assert offsets.size == 0
    assert arcs.size == 0
    assert e.quantity_count == 0
