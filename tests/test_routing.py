"""Routes against networkx's Dijkstra on the same weights, edge cases and threads."""

from __future__ import annotations

import threading

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute.objectives import ALGORITHMS

from .helpers import path_cost, random_network, to_networkx


def _reference_costs(network, weight, sources, targets):
    """networkx Dijkstra from each distinct source (dense indices), inf when unreachable."""
    graph = to_networkx(network, weight)
    out = np.empty(len(sources))
    cache: dict[int, dict[int, float]] = {}
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        if s not in cache:
            cache[s] = nx.single_source_dijkstra_path_length(graph, int(s), weight="weight")
        out[i] = cache[s].get(int(t), np.inf)
    return out


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("seed", range(4))
def test_costs_and_paths_match_networkx_on_random_multigraphs(algorithm, seed):
    """
    Tests that every algorithm returns networkx's Dijkstra cost for all pairs of
    a random multigraph with loops, parallel and zero-length arcs, isolated
    nodes and unreachable pairs, and that each path is connected and sums to
    its cost.
    """
    network = random_network(seed)
    router = ecoroute.Router(network, "car_petrol", "time", algorithm=algorithm, num_threads=2)
    n = network.node_count
    s, t = np.meshgrid(np.arange(n), np.arange(n))
    s, t = s.ravel(), t.ravel()
    expected = _reference_costs(network, router.weight, s, t)

    result = router.route_many(network.node_id[s], network.node_id[t], return_paths=True)
    assert_allclose(result["cost"], expected, rtol=1e-9)
    assert_array_equal(result["reachable"], np.isfinite(expected))
    assert (~result["reachable"]).any(), "the random graph should have unreachable pairs"

    for row in result[result["reachable"]].itertuples():
        nodes = network.node_index(row.nodes)
        assert nodes[0] == network.node_index([row.source])[0]
        assert nodes[-1] == network.node_index([row.target])[0]
    # Every chosen path is a connected walk whose weight equals its cost.
    for i in np.flatnonzero(np.isfinite(expected))[::7]:
        route = router.route(int(network.node_id[s[i]]), int(network.node_id[t[i]]))
        assert path_cost(network, router.weight, s[i], route.arcs) == pytest.approx(
            expected[i], rel=1e-9
        )
        assert route.cost == pytest.approx(expected[i], rel=1e-9)


@pytest.mark.parametrize("objective", ["time", "distance", "co2", "fuel"])
def test_each_objective_minimises_its_own_quantity(objective):
    """
    Tests that the cost of each objective equals networkx's Dijkstra on that
    quantity alone (seconds, metres, grams, litres), and that the route
    reports the quantity summed along its path.
    """
    network = random_network(11)
    router = ecoroute.Router(network, "car_petrol", objective)
    quantity = ecoroute.objectives.OBJECTIVE_QUANTITY[objective]
    rng = np.random.default_rng(0)
    s = rng.integers(0, network.node_count, 300)
    t = rng.integers(0, network.node_count, 300)
    expected = _reference_costs(network, router.arc_quantities[quantity], s, t)
    result = router.route_many(network.node_id[s], network.node_id[t])
    assert_allclose(result["cost"], expected, rtol=1e-9)
    assert_allclose(result[quantity], expected, rtol=1e-9)


def test_weighted_objective_is_the_weighted_sum():
    """Tests that {"co2": 1, "time": 0.5} minimises co2_g + 0.5 * time_s (networkx on that sum)."""
    network = random_network(12)
    router = ecoroute.Router(network, "car_petrol", {"co2": 1.0, "time": 0.5})
    combined = router.arc_quantities["co2_g"] + 0.5 * router.arc_quantities["time_s"]
    s = np.arange(network.node_count)
    t = s[::-1]
    expected = _reference_costs(network, combined, s, t)
    result = router.route_many(network.node_id[s], network.node_id[t])
    assert_allclose(result["cost"], expected, rtol=1e-9)
    reachable = result["reachable"].to_numpy()
    assert_allclose(
        result["co2_g"][reachable] + 0.5 * result["time_s"][reachable],
        expected[reachable],
        rtol=1e-9,
    )


def _line_network(**kwargs):
    """Nodes 10 -> 11 -> 12 and an isolated 13, 100 m apart, 36 km/h (10 s per arc)."""
    lat = [60.0, 60.0, 60.0, 60.0]
    lon = [24.0, 24.0018, 24.0036, 24.0054]
    defaults = {
        "tail": [0, 1],
        "head": [1, 2],
        "length_m": [100.0, 100.0],
        "speed_kph": [36.0, 36.0],
    }
    defaults.update(kwargs)
    return ecoroute.RoadNetwork.from_arrays(
        defaults["tail"],
        defaults["head"],
        defaults["length_m"],
        defaults["speed_kph"],
        lat,
        lon,
        node_id=[10, 11, 12, 13],
    )


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_source_equals_target(algorithm):
    """Tests that a route from a node to itself costs 0 and holds that node only."""
    router = ecoroute.Router(_line_network(), objective="time", algorithm=algorithm)
    route = router.route(11, 11)
    assert route.cost == 0.0
    assert route.time_s == 0.0
    assert_array_equal(route.nodes, [11])
    assert route.arcs.size == 0
    assert route.geometry.length == 0.0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_unreachable_target(algorithm):
    """Tests that route() raises NoRouteError and route_many() reports reachable=False, inf."""
    router = ecoroute.Router(_line_network(), objective="time", algorithm=algorithm)
    with pytest.raises(ecoroute.NoRouteError, match="No route from node 12 to node 10"):
        router.route(12, 10)
    with pytest.raises(ecoroute.NoRouteError):
        router.route(10, 13)  # isolated node
    frame = router.route_many([12, 10, 10], [10, 12, 13])
    assert frame["reachable"].tolist() == [False, True, False]
    assert (
        np.isinf(frame.loc[~frame["reachable"], ["cost", "co2_g", "time_s", "distance_m"]])
        .all()
        .all()
    )
    assert frame.loc[1, "time_s"] == pytest.approx(20.0)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_parallel_arcs_take_the_cheapest_and_loops_are_harmless(algorithm):
    """
    Tests that of three parallel arcs 10 -> 11 the search takes the fastest one
    (whichever its position), and that a zero-length loop at 11 changes nothing.
    """
    network = _line_network(
        tail=[0, 0, 0, 1, 1],
        head=[1, 1, 1, 1, 2],
        length_m=[100.0, 100.0, 100.0, 0.0, 100.0],
        speed_kph=[18.0, 72.0, 36.0, 30.0, 36.0],
    )
    router = ecoroute.Router(network, objective="time", algorithm=algorithm)
    route = router.route(10, 12)
    assert route.time_s == pytest.approx(5.0 + 10.0)
    assert network.speed_kph[route.arcs[0]] == 72.0
    assert_array_equal(route.nodes, [10, 11, 12])


def test_zero_weights():
    """Tests that zero-cost arcs are used and summed correctly (distance of zero-length arcs)."""
    network = _line_network(length_m=[0.0, 0.0])
    router = ecoroute.Router(network, objective="distance")
    route = router.route(10, 12)
    assert route.cost == 0.0
    assert_array_equal(route.nodes, [10, 11, 12])


def test_threads_give_the_serial_answers():
    """Tests that 4 Python threads x 1,000 queries on one router return the serial answers."""
    network = random_network(5, node_count=200, edge_count=600)
    router = ecoroute.Router(network, objective="co2")
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, network.node_count, (2, 1000)) for _ in range(4)]
    serial = [
        router.route_many(network.node_id[b[0]], network.node_id[b[1]], num_threads=1)[
            "cost"
        ].to_numpy()
        for b in batches
    ]
    results: dict[int, np.ndarray] = {}

    def work(k: int) -> None:
        b = batches[k]
        single = np.array(
            [
                router.route(int(network.node_id[s]), int(network.node_id[t])).cost
                if np.isfinite(serial[k][i])
                else np.inf
                for i, (s, t) in enumerate(zip(b[0][:200], b[1][:200], strict=True))
            ]
        )
        batch = router.route_many(network.node_id[b[0]], network.node_id[b[1]], num_threads=2)
        results[k] = np.concatenate([single, batch["cost"].to_numpy()])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(4):
        assert_array_equal(results[k][:200], serial[k][:200])
        assert_array_equal(results[k][200:], serial[k])


def test_astar_potential_degrades_to_dijkstra_on_zero_weights():
    """Tests that one free arc between distinct points makes the scale 0 (still exact)."""
    network = random_network(8)  # has zero-length arcs
    router = ecoroute.Router(network, objective="distance", algorithm="astar")
    assert router._engine.potential_scale == 0.0


def test_costs_from_matches_networkx():
    """Tests the one-to-all costs against networkx's single-source Dijkstra."""
    network = random_network(3)
    router = ecoroute.Router(network, objective="distance")
    costs = router.costs_from(int(network.node_id[0]))
    reference = nx.single_source_dijkstra_path_length(to_networkx(network, router.weight), 0)
    expected = np.array([reference.get(i, np.inf) for i in range(network.node_count)])
    assert_allclose(costs.to_numpy(), expected, rtol=1e-9)
    assert_array_equal(costs.index, network.node_id)


def test_astar_potential_is_admissible():
    """
    Tests the A* potential bound: scale * chord(x, t) never exceeds the true
    cost from x to t (networkx on the reversed graph), for every node x and
    several targets; and no arc's weight is below scale * chord(tail, head).
    """
    network = random_network(8, node_count=120, edge_count=400, zero_lengths=False)
    router = ecoroute.Router(network, objective="time", algorithm="astar")
    scale = router._engine.potential_scale
    assert scale > 0
    xyz = np.column_stack(ecoroute._geo.unit_vectors(network.lat, network.lon))
    chord = np.linalg.norm(xyz[network.tail] - xyz[network.head], axis=1)
    assert (router.weight >= scale * chord).all()
    reverse = to_networkx(network, router.weight).reverse()
    for t in range(0, network.node_count, 17):
        to_t = nx.single_source_dijkstra_path_length(reverse, t)
        for x, cost in to_t.items():
            assert scale * np.linalg.norm(xyz[x] - xyz[t]) <= cost * (1 + 1e-12)


def test_routers_of_one_vehicle_share_one_emission_evaluation():
    """
    Tests the per-network cache of per-arc quantities: the same vehicle and payload give the
    very same read-only arrays, equal to evaluating the model directly; another payload or
    another network gives its own.
    """
    network = random_network(3)
    van = ecoroute.vehicle("van_diesel")
    a = ecoroute.Router(network, van, "co2", payload_kg=500.0)
    b = ecoroute.Router(network, ecoroute.vehicle("van_diesel"), "time", payload_kg=500.0)
    c = ecoroute.Router(network, van, "co2", payload_kg=900.0)
    assert a.arc_quantities["co2_g"] is b.arc_quantities["co2_g"]
    assert not a.arc_quantities["co2_g"].flags.writeable
    assert c.arc_quantities["co2_g"] is not a.arc_quantities["co2_g"]
    direct = van.arc_quantities(network, 500.0)
    for name, values in direct.items():
        np.testing.assert_array_equal(a.arc_quantities[name], values)
    other = ecoroute.Router(random_network(3), van, "co2", payload_kg=500.0)
    assert other.arc_quantities["co2_g"] is not a.arc_quantities["co2_g"]
