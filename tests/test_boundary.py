"""
How data and errors cross the C++/Python boundary: dtypes, copies, read-only
views and exception types.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import ecoroute
from ecoroute import _core, _validate


def test_csr_graph_copies_its_input():
    first_out = np.array([0, 1, 1], dtype=np.uint32)
    head = np.array([1], dtype=np.uint32)
    graph = _core.CsrGraph(first_out, head)
    head[0] = 0  # mutating the input must not reach the graph
    assert_array_equal(graph.head, [1])


def test_csr_views_are_read_only_and_zero_copy():
    graph = _core.CsrGraph([0, 1, 1], [1])
    assert not graph.head.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        graph.head[0] = 0
    assert graph.head.base is not None  # a view, not a copy
    assert_array_equal(graph.tail, [0])


@pytest.mark.parametrize(
    ("first_out", "head", "error"),
    [
        ([1, 1], [0], ValueError),  # must start at 0
        ([0, 2], [0], ValueError),  # must end at len(head)
        ([0, 2, 1, 2], [0, 0], ValueError),  # must not decrease
        ([0, 1], [5], IndexError),  # head out of range
    ],
)
def test_invalid_csr_raises(first_out, head, error):
    with pytest.raises(error):
        _core.CsrGraph(first_out, head)


@pytest.mark.parametrize("weight", [[-1.0], [np.nan], [1.0, 2.0]])
def test_invalid_metric_raises(weight):
    graph = _core.CsrGraph([0, 1, 1], [1])
    with pytest.raises(ValueError, match="weight"):
        _core.Metric(graph, weight)


def test_metric_outlives_python_graph_reference():
    """Tests that the metric shares ownership: deleting the Python graph is safe."""
    graph = _core.CsrGraph([0, 1, 1], [1])
    metric = _core.Metric(graph, [2.0])
    router = _core.QueryEngine(metric, _core.Algorithm.dijkstra, [])
    del graph, metric
    cost, _, _, _ = router.route_pairs(np.array([0], np.uint32), np.array([1], np.uint32))
    assert cost.tolist() == [2.0]


def test_route_pairs_validates_before_running():
    graph = _core.CsrGraph([0, 1, 1], [1])
    router = _core.QueryEngine(_core.Metric(graph, [1.0]), _core.Algorithm.bidirectional, [])
    with pytest.raises(IndexError, match="targets\\[0\\] is node 9"):
        router.route_pairs(np.array([0], np.uint32), np.array([9], np.uint32))
    with pytest.raises(ValueError, match="same length"):
        router.route_pairs(np.array([0, 1], np.uint32), np.array([1], np.uint32))
    with pytest.raises(ValueError, match="one value per arc"):
        _core.QueryEngine(_core.Metric(graph, [1.0]), _core.Algorithm.dijkstra, [np.ones(3)])
    with pytest.raises(TypeError):  # algorithms are an enum, not strings
        _core.QueryEngine(_core.Metric(graph, [1.0]), "dijkstra", [])
    with pytest.raises(ValueError, match="needs node positions"):
        _core.QueryEngine(_core.Metric(graph, [1.0]), _core.Algorithm.astar, [])
    with pytest.raises(ValueError, match="customized hierarchy"):
        _core.QueryEngine(_core.Metric(graph, [1.0]), _core.Algorithm.cch, [])


def test_batch_outputs_are_numpy_arrays_owning_their_memory():
    graph = _core.CsrGraph([0, 1, 2, 2], [1, 2])
    quantity = np.array([10.0, 20.0])
    router = _core.QueryEngine(
        _core.Metric(graph, [1.0, 2.0]), _core.Algorithm.dijkstra, [quantity]
    )
    del quantity  # the engine keeps the arrays it reads alive
    cost, sums, offsets, arcs = router.route_pairs(
        np.array([0, 2], np.uint32), np.array([2, 0], np.uint32), with_paths=True
    )
    assert cost.dtype == np.float64
    assert cost.tolist() == [3.0, np.inf]
    assert sums.shape == (2, 1)
    assert sums[0, 0] == 30.0
    assert sums[1, 0] == np.inf  # unreachable is inf everywhere
    assert offsets.tolist() == [0, 2, 2]
    assert arcs.dtype == np.uint32
    assert arcs.tolist() == [0, 1]
    assert cost.flags.writeable  # owned by NumPy through a capsule, not a view


# ---------------------------------------------------------------------- issue 14: public edges


def _pair():
    return ecoroute.RoadNetwork.from_arrays(
        [0, 1],
        [1, 0],
        [100.0, 100.0],
        [36.0, 36.0],
        [60.0, 60.0],
        [24.0, 24.0018],
        node_id=[10, 11],
    )


@pytest.mark.parametrize("speed", [1e300, 301.0, np.inf])
def test_absurd_speeds_are_refused_so_no_arc_silently_closes(speed):
    """Tests the speed ceiling: 1e300 km/h used to make CO2 infinite and close the arc."""
    with pytest.raises(ValueError, match="speed_kph"):
        ecoroute.RoadNetwork.from_arrays([0], [1], [100.0], [speed], [60.0, 60.0], [24.0, 24.001])


def test_speed_at_the_ceiling_routes():
    network = ecoroute.RoadNetwork.from_arrays(
        [0], [1], [100.0], [ecoroute.speeds.MAX_SPEED_KPH], [60.0, 60.0], [24.0, 24.001]
    )
    route = ecoroute.Router(network, "car_petrol").route(0, 1)
    assert route.time_s == pytest.approx(100.0 / (300.0 / 3.6))
    assert np.isfinite(route.co2_g)


@pytest.mark.parametrize("value", [None, float("nan")])
def test_check_node_argument_says_what_a_node_is(value):
    with pytest.raises(TypeError, match=r"give a node id .*OSM node id.* or a \(lat, lon\) pair"):
        _validate.check_node_argument(value, "source")
    _validate.check_node_argument(10, "source")
    _validate.check_node_argument((60.0, 24.0), "source")


def test_route_from_none_says_what_a_node_is():
    with pytest.raises(TypeError, match="give a node id"):
        ecoroute.Router(_pair()).route(None, 11)


@pytest.mark.parametrize(
    ("threads", "error", "match"),
    [
        (2**40, ValueError, "num_threads=1099511627776 is not a thread count"),
        (-1, ValueError, "is not a thread count"),
        (True, TypeError, "whole number of threads"),
        (2.0, TypeError, "whole number of threads"),
        ("4", TypeError, "whole number of threads"),
    ],
)
def test_check_threads_refuses_absurd_counts(threads, error, match):
    with pytest.raises(error, match=match):
        _validate.check_threads(threads)


def test_check_threads_accepts_the_range():
    assert _validate.check_threads(0) == 0
    assert _validate.check_threads(np.int64(8)) == 8
    assert _validate.check_threads(_validate.MAX_THREADS) == _validate.MAX_THREADS


def test_router_refuses_two_to_the_forty_threads():
    """Tests Router(num_threads=2**40): today the binding's signature is printed at query time."""
    with pytest.raises(ValueError, match="is not a thread count"):
        ecoroute.Router(_pair(), num_threads=2**40)
