"""Negative arc weights shifted by a node potential: exact against Bellman-Ford."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.objectives import ALGORITHMS
from ecoroute.vehicles import Vehicle

from .helpers import random_network


@dataclass(frozen=True, kw_only=True)
class ToyEV(Vehicle):
    """
    A test EV: 0.15 kWh/km on the flat, plus the potential-energy change,
    recovering only ``recovery`` of it downhill. ``node_potentials`` is
    m g h in kWh, the bound any physical model satisfies.
    """

    mass_kg: float = 2000.0
    recovery: float = 0.7
    quantities = ("co2_g", "energy_kwh")

    def rates_per_km(self, speed_kph, grade, payload_kg):  # pragma: no cover - not used
        raise NotImplementedError

    def arc_quantities(self, network, payload_kg=None):
        h = network.elevation_m
        rise = h[network.head] - h[network.tail]
        potential_kwh = self.mass_kg * 9.81 * rise / 3.6e6
        energy = 0.15 * network.length_m / 1000 + np.where(
            rise > 0, potential_kwh, self.recovery * potential_kwh
        )
        return {
            "co2_g": energy * 100.0,
            "energy_kwh": energy,
            "time_s": np.asarray(network.travel_time_s, dtype=float),
            "distance_m": np.asarray(network.length_m, dtype=float),
        }

    def node_potentials(self, network, payload_kg=None):
        phi = self.mass_kg * 9.81 * network.elevation_m / 3.6e6
        return {"energy_kwh": phi, "co2_g": phi * 100.0}


def _hilly(seed):
    base = random_network(seed, node_count=80, edge_count=260)
    rng = np.random.default_rng(seed)
    return ecoroute.RoadNetwork.from_arrays(
        base.tail,
        base.head,
        base.length_m,
        base.speed_kph,
        base.lat,
        base.lon,
        node_id=base.node_id,
        elevation_m=rng.random(base.node_count) * 200.0,
    )


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("seed", range(3))
def test_negative_energies_match_bellman_ford(algorithm, seed):
    """
    Tests that energy-optimal routes with recuperation (many negative arcs)
    equal networkx's Bellman-Ford on the true energies, for every algorithm.
    """
    network = _hilly(seed)
    router = ecoroute.Router(network, ToyEV(name="toy_ev"), "energy", algorithm=algorithm)
    energy = router.arc_quantities["energy_kwh"]
    assert (energy < 0).sum() > 20
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(network.node_count))
    graph.add_weighted_edges_from(
        zip(network.tail.tolist(), network.head.tolist(), energy.tolist(), strict=True)
    )

    sources = np.repeat(np.arange(0, network.node_count, 8), network.node_count)
    targets = np.tile(np.arange(network.node_count), sources.size // network.node_count)
    expected = np.empty(sources.size)
    for s in np.unique(sources):
        tree = nx.single_source_bellman_ford_path_length(graph, int(s))
        rows = sources == s
        expected[rows] = [tree.get(int(t), np.inf) for t in targets[rows]]

    result = router.route_many(network.node_id[sources], network.node_id[targets])
    assert_allclose(result["cost"], expected, rtol=1e-9, atol=1e-12)
    reachable = np.isfinite(expected)
    assert_allclose(result["energy_kwh"][reachable], expected[reachable], rtol=1e-9, atol=1e-12)
    assert (expected[reachable] < 0).any(), "some optimal routes should gain energy"

    s, t = int(sources[5]), int(targets[5])
    if np.isfinite(expected[5]):
        route = router.route(int(network.node_id[s]), int(network.node_id[t]))
        assert route.cost == pytest.approx(expected[5], rel=1e-9, abs=1e-12)
    costs = router.costs_from(int(network.node_id[0]))
    tree = nx.single_source_bellman_ford_path_length(graph, 0)
    assert_allclose(
        costs.to_numpy(),
        [tree.get(i, np.inf) for i in range(network.node_count)],
        rtol=1e-9,
        atol=1e-12,
    )


def test_negative_weights_without_potential_are_refused():
    @dataclass(frozen=True, kw_only=True)
    class Broken(ToyEV):
        def node_potentials(self, network, payload_kg=None):
            return {}

    with pytest.raises(ValueError, match="negative weight"):
        ecoroute.Router(_hilly(0), Broken(name="broken"), "energy")


def test_a_model_breaking_its_bound_is_reported():
    @dataclass(frozen=True, kw_only=True)
    class Cheat(ToyEV):
        recovery: float = 1.5  # recovers more than the potential energy

    with pytest.raises(ValueError, match="recovers more on arc"):
        ecoroute.Router(_hilly(0), Cheat(name="cheat"), "energy")


def test_time_routing_needs_no_potential_even_where_energy_goes_negative():
    """
    Tests that an EV on a network with grades but no elevations (no potential
    possible) routes by time: time weights are never negative. Oracle: networkx
    on the travel times.
    """
    base = random_network(2)
    grade = np.where(np.arange(base.arc_count) % 2 == 0, -0.08, 0.08)
    network = ecoroute.RoadNetwork.from_arrays(
        base.tail, base.head, base.length_m, base.speed_kph, base.lat, base.lon, grade=grade
    )
    with pytest.raises(ValueError, match="no node elevations"):
        ecoroute.Router(network, "car_bev", "energy")
    router = ecoroute.Router(network, "car_bev", "time")
    assert router.node_potential is None
    graph = nx.MultiDiGraph()
    graph.add_weighted_edges_from(
        zip(
            network.tail.tolist(),
            network.head.tolist(),
            network.travel_time_s.tolist(),
            strict=True,
        )
    )
    lengths = nx.single_source_dijkstra_path_length(graph, 0)
    costs = router.costs_from(int(network.node_id[0]))
    for node, cost in lengths.items():
        assert costs.iloc[node] == pytest.approx(cost, rel=1e-9)
