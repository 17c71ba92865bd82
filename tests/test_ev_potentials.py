"""
Energy-optimal EV routes with recuperation are exact: the catalogue EVs' height potential
against networkx Bellman-Ford, on synthetic hilly networks and on real ones with elevation.
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.objectives import ALGORITHMS

from .conftest import shared_file
from .helpers import random_network


def hilly_network(
    seed: int, *, node_count: int = 80, edge_count: int = 260, noisy: bool = False
) -> ecoroute.RoadNetwork:
    """
    A random network on rolling terrain: heights from a smooth field over the
    nodes, grades = rise over run on each arc (clipped to ±25 %, so short steep
    arcs understate their climb). ``noisy`` adds SRTM-like grade noise that
    disagrees with the nodes' heights.
    """
    base = random_network(seed, node_count=node_count, edge_count=edge_count)
    rng = np.random.default_rng(seed)
    x = (base.lon - base.lon.min()) / np.ptp(base.lon)
    y = (base.lat - base.lat.min()) / np.ptp(base.lat)
    height = 120 * np.sin(3 * x + rng.random()) * np.cos(2 * y) + 40 * rng.random(base.node_count)
    rise = height[base.head] - height[base.tail]
    length = np.asarray(base.length_m)
    grade = np.divide(rise, length, out=np.zeros_like(rise), where=length > 0)
    if noisy:
        grade = grade + rng.normal(0.0, 0.05, grade.size)
    return ecoroute.RoadNetwork.from_arrays(
        base.tail, base.head, base.length_m, base.speed_kph, base.lat, base.lon,
        node_id=base.node_id, grade=np.clip(grade, -0.25, 0.25), elevation_m=height,
    )  # fmt: skip


def bellman_ford(
    network: ecoroute.RoadNetwork, weight: np.ndarray, sources: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Exact costs from networkx's Bellman-Ford (handles negative arcs), every parallel arc kept."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(network.node_count))
    graph.add_weighted_edges_from(
        zip(network.tail.tolist(), network.head.tolist(), np.asarray(weight).tolist(), strict=True)
    )
    out = np.empty(len(sources))
    for s in np.unique(sources):
        tree = nx.single_source_bellman_ford_path_length(graph, int(s))
        rows = np.flatnonzero(sources == s)
        out[rows] = [tree.get(int(targets[i]), np.inf) for i in rows]
    return out


def all_pairs_from(network: ecoroute.RoadNetwork, step: int) -> tuple[np.ndarray, np.ndarray]:
    n = network.node_count
    sources = np.repeat(np.arange(0, n, step), n)
    targets = np.tile(np.arange(n), sources.size // n)
    return sources, targets


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(
    ("name", "overrides", "objective"),
    [
        ("car_bev", {}, "energy"),
        ("car_bev", {}, "co2"),
        ("van_bev", {"payload_kg": 1000.0}, "energy"),
        ("car_bev", {"model": "hbefa4"}, "co2e_wtw"),
    ],
)
def test_ev_routes_equal_bellman_ford(algorithm, name, overrides, objective):
    """
    Tests that every search, run on the reduced costs of the height potential,
    returns the exact optimum of the true (partly negative) arc costs.
    """
    network = hilly_network(1)
    ev = ecoroute.vehicle(name, **overrides)
    router = ecoroute.Router(network, ev, objective, algorithm=algorithm)
    quantity = {"energy": "energy_kwh", "co2": "co2_g", "co2e_wtw": "co2e_wtw_g"}[objective]
    weight = router.arc_quantities[quantity]
    assert (weight < 0).sum() > 30, "the test needs many recuperating arcs"
    sources, targets = all_pairs_from(network, 9)
    expected = bellman_ford(network, weight, sources, targets)
    result = router.route_many(network.node_id[sources], network.node_id[targets])
    assert_allclose(result["cost"], expected, rtol=1e-9, atol=1e-9)
    reachable = np.isfinite(expected)
    assert (expected[reachable] < 0).any(), "some optimal routes should gain energy"
    assert_allclose(result[quantity][reachable], expected[reachable], rtol=1e-9, atol=1e-9)


def test_noisy_grades_are_raised_to_the_climb_between_nodes():
    """
    Tests data whose grades disagree with the node heights (clipped grades,
    DEM noise): arcs that climb more than their grade says are raised to
    m g dh, arcs that would recover more than eta_regen m g |dh| are capped
    there, so the potential stays valid, loops cost > 0, and routes stay exact.
    """
    network = hilly_network(2, noisy=True)
    ev = ecoroute.vehicle("car_bev")
    router = ecoroute.Router(network, ev, "energy")
    energy = router.arc_quantities["energy_kwh"]
    climb = network.elevation_m[network.head] - network.elevation_m[network.tail]
    bound = ev.mass_kg() * 9.81 * climb / 3.6e6
    bound = np.where(climb > 0, bound, ev.regeneration_efficiency * bound)
    assert (energy >= bound - 1e-12).all()
    assert (np.isclose(energy, bound) & (climb > 0)).sum() > 5, "climbs raised to m g dh"
    assert (np.isclose(energy, bound) & (climb < 0)).sum() > 5, "recovery capped at eta m g dh"
    sources, targets = all_pairs_from(network, 7)
    expected = bellman_ford(network, energy, sources, targets)
    got = router.route_many(network.node_id[sources], network.node_id[targets])["cost"]
    assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_potential_is_m_g_h_in_kwh_and_scaled_for_co2():
    network = hilly_network(3)
    ev = ecoroute.vehicle("van_bev", grid_g_per_kwh=400.0, charging_efficiency=0.8)
    phi = ev.node_potentials(network, payload_kg=200.0)
    expected = (2500.0 + 200.0) * 9.81 * network.elevation_m / 3.6e6
    assert_allclose(phi["energy_kwh"], expected, rtol=1e-12)
    assert_allclose(phi["co2_g"], expected * 400.0 / 0.8, rtol=1e-12)
    assert_allclose(phi["co2e_wtw_g"], expected * 400.0 / 0.8, rtol=1e-12)


def test_combustion_vehicles_need_no_potential():
    network = hilly_network(4)
    for name in ("car_petrol", "truck_40t_diesel", "bus_diesel"):
        v = ecoroute.vehicle(name)
        assert v.node_potentials(network) == {}
        quantities = v.arc_quantities(network)
        for key in ("co2_g", "co2e_wtw_g", "fuel_l"):
            assert (quantities[key] >= 0).all(), (name, key)


def test_grade_only_network_with_recuperation_is_refused_with_remedies():
    """
    Tests the decision for networks without node elevations: arcs that recover
    energy cannot be made exact (grades alone may even form a loop that gains
    energy), so the EV refuses and says how to fix it.
    """
    base = hilly_network(5)
    grade_only = ecoroute.RoadNetwork.from_arrays(
        base.tail, base.head, base.length_m, base.speed_kph, base.lat, base.lon, grade=base.grade
    )
    with pytest.raises(
        ValueError, match=r"no node elevations.*elevation_m=.*add_elevation"
    ) as info:
        ecoroute.Router(grade_only, "car_bev", "energy")
    assert "regeneration_efficiency=0.0" in str(info.value)
    # Without recuperation every arc costs >= 0 and no potential is needed.
    no_regen = ecoroute.vehicle("car_bev", regeneration_efficiency=0.0)
    router = ecoroute.Router(grade_only, no_regen, "energy")
    assert router.node_potential is None
    assert (router.weight >= 0).all()


def test_flat_network_without_elevations_routes_evs():
    """Tests that a flat network (no grades, no elevations, e.g. DIMACS) needs no potential."""
    network = random_network(6)
    router = ecoroute.Router(network, "car_bev", "energy")
    assert router.node_potential is None
    assert (router.weight >= 0).all()


# ------------------------------------------------------------------ real hilly networks

REAL_HILLY = [
    pytest.param(("osm/monaco.osm.pbf", "dem/N43E007.hgt.zip"), id="monaco"),
    pytest.param(("osm/andorra.osm.pbf", "dem/N42E001.hgt.zip"), id="andorra"),
]


@pytest.fixture(scope="module", params=REAL_HILLY)
def real_hilly(request: pytest.FixtureRequest) -> ecoroute.RoadNetwork:
    """A real OSM network with SRTM elevations (load_osm with a DEM: climbs kept as arcs)."""
    osm, dem = request.param
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Andorra has a node on an SRTM void
        # Node-based (no turns): the Bellman-Ford oracles here run on the node graph.
        return ecoroute.load_osm(shared_file(osm), dem=[shared_file(dem)], turn_restrictions=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["car_bev", "van_bev"])
def test_ev_energy_on_real_hilly_networks_equals_bellman_ford(real_hilly, name):
    """
    Tests >= 200 random pairs on Monaco / Andorra with SRTM elevations: the
    energy-optimal routes (bidirectional A* on reduced costs) equal networkx
    Bellman-Ford on the true energies, many of them with recuperation.
    """
    network = real_hilly
    assert network.elevation_m is not None
    router = ecoroute.Router(network, name, "energy")
    energy = router.arc_quantities["energy_kwh"]
    assert (energy < 0).any(), "hilly real networks must have recuperating arcs"
    rng = np.random.default_rng(2026)
    sources = np.repeat(rng.integers(0, network.node_count, 20), 20)  # 400 pairs
    targets = rng.integers(0, network.node_count, sources.size)
    # Destination-only roads (a van reads delivery/destination tags) are driven at a route's
    # ends only: between nodes that touch none, the legal routes are those without them.
    dest = router.rules.destination
    through = np.where(dest, np.inf, energy)
    touches = np.zeros(network.node_count, dtype=bool)
    touches[network.tail[dest]] = touches[network.head[dest]] = True
    clear = ~touches[sources] & ~touches[targets]
    expected = bellman_ford(network, through, sources, targets)
    result = router.route_many(network.node_id[sources], network.node_id[targets])
    reachable = np.isfinite(expected) & clear
    assert reachable.sum() >= 200
    assert_allclose(result["cost"][clear], expected[clear], rtol=1e-9, atol=1e-9)
    assert_allclose(result["energy_kwh"][reachable], expected[reachable], rtol=1e-9, atol=1e-9)
