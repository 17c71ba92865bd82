"""
Property tests (hypothesis, fixed seed, a few seconds): RoadNetwork.from_arrays on random
small inputs, valid and broken, is either a network that routes as networkx does, or a
clear ValueError / TypeError / IndexError naming the argument. Never a crash.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import ecoroute

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings(derandomize=True, max_examples=120, deadline=None)

ARGUMENTS = ("tail", "head", "length_m", "speed_kph", "lat", "lon", "node_id")

DEFECTS = (
    "none", "none", "none", "none",  # most examples are valid networks
    "tail", "head", "float_head", "length", "speed", "lat", "lon", "size", "node_id",
)  # fmt: skip
BAD_LENGTHS = [-1.0, math.nan, math.inf, -1e-300]
BAD_SPEEDS = [0.0, -5.0, math.nan, math.inf, 300.000001, 1e300]
BAD_LATS = [90.5, -91.0, math.nan, math.inf]
BAD_LONS = [180.5, math.nan, -math.inf]


@st.composite
def csr_inputs(draw):
    """Valid small inputs (loops, parallel arcs, isolated nodes), or ones with a single defect."""
    n = draw(st.integers(1, 6))
    m = draw(st.integers(0, 10))
    node = st.integers(0, n - 1)
    tail = draw(st.lists(node, min_size=m, max_size=m))
    head = draw(st.lists(node, min_size=m, max_size=m))
    length = draw(st.lists(st.floats(0.0, 5000.0), min_size=m, max_size=m))
    speed = draw(st.lists(st.floats(1.0, 300.0), min_size=m, max_size=m))
    lat = draw(st.lists(st.floats(59.9, 60.1), min_size=n, max_size=n))
    lon = draw(st.lists(st.floats(24.0, 24.2), min_size=n, max_size=n))
    node_id = draw(
        st.one_of(
            st.none(),
            st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n, unique=True),
        )
    )
    defect = draw(st.sampled_from(DEFECTS))
    arc = draw(st.integers(0, max(m - 1, 0)))
    where = draw(st.integers(0, n - 1))
    if defect == "tail" and m:
        tail[arc] = draw(st.sampled_from([-1, n, n + 7]))
    elif defect == "head" and m:
        head[arc] = draw(st.sampled_from([-1, n]))
    elif defect == "float_head" and m:
        head = [h + 0.5 for h in head]
    elif defect == "length" and m:
        length[arc] = draw(st.sampled_from(BAD_LENGTHS))
    elif defect == "speed" and m:
        speed[arc] = draw(st.sampled_from(BAD_SPEEDS))
    elif defect == "lat":
        lat[where] = draw(st.sampled_from(BAD_LATS))
    elif defect == "lon":
        lon[where] = draw(st.sampled_from(BAD_LONS))
    elif defect == "size":
        length = [*length, 1.0]
    elif defect == "node_id" and n > 1:
        node_id = [7] * n
    return tail, head, length, speed, lat, lon, node_id


def _expected_valid(tail, head, length, speed, lat, lon, node_id) -> bool:
    """Whether the inputs are valid, by the documented rules (an oracle independent of the code)."""
    n, m = len(lat), len(tail)
    if len(head) != m or len(length) != m or len(speed) != m or len(lon) != n:
        return False
    if any(not isinstance(v, int) or not 0 <= v < n for v in (*tail, *head)):
        return False
    if any(not (math.isfinite(x) and x >= 0) for x in length):
        return False
    if any(not (math.isfinite(s) and 0 < s <= ecoroute.speeds.MAX_SPEED_KPH) for s in speed):
        return False
    if any(not (math.isfinite(a) and -90 <= a <= 90) for a in lat):
        return False
    if any(not (math.isfinite(o) and -180 <= o <= 180) for o in lon):
        return False
    return node_id is None or len(set(node_id)) == n


@FUZZ
@given(csr_inputs())
def test_from_arrays_is_a_correct_network_or_a_clear_error(inputs):
    tail, head, length, speed, lat, lon, node_id = inputs
    try:
        network = ecoroute.RoadNetwork.from_arrays(
            tail, head, length, speed, lat, lon, node_id=node_id
        )
    except (ValueError, TypeError, IndexError) as error:
        text = str(error)
        assert any(name in text for name in ARGUMENTS), text  # it names the argument
        assert not _expected_valid(*inputs), f"valid input refused: {text}"
        return
    assert _expected_valid(*inputs), "invalid input accepted"
    assert network.node_count == len(lat)
    assert network.arc_count == len(tail)
    if network.node_count == 0:
        return
    # Routes equal networkx's Dijkstra on the same travel times (parallel arcs: the cheapest).
    router = ecoroute.Router(network, "car_petrol", "time")
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.node_count))
    for t, h, w in zip(tail, head, np.asarray(length) / (np.asarray(speed) / 3.6), strict=True):
        if not graph.has_edge(t, h) or graph[t][h]["weight"] > w:
            graph.add_edge(t, h, weight=w)
    ids = network.node_id
    for s in range(network.node_count):
        reference = nx.single_source_dijkstra_path_length(graph, s)
        costs = router.costs_from(int(ids[s]))
        for t in range(network.node_count):
            expected = reference.get(t, math.inf)
            got = float(costs.loc[int(ids[t])])
            if math.isinf(expected):
                assert math.isinf(got)
            else:
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
