"""The contraction hierarchy (network.prepared, Router 'cch', Router.matrix) against plain searches."""

from __future__ import annotations

import gzip
import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute import _core
from ecoroute.vehicles import Vehicle, resolve_vehicle

from .conftest import shared_file
from .helpers import path_cost, random_network, to_networkx
from .test_potentials import ToyEV


@dataclass(frozen=True, kw_only=True)
class RoadWorks(Vehicle):
    """
    A petrol car on a network with road works: ``closed`` arcs cost ``inf``
    (in every quantity, so no objective can use them) and ``free`` arcs cost
    nothing (zero weights and ties).
    """

    closed: tuple[int, ...] = ()
    free: tuple[int, ...] = ()
    quantities = ("co2_g", "fuel_l")

    def rates_per_km(self, speed_kph, grade, payload_kg):  # pragma: no cover - not used
        raise NotImplementedError

    def arc_quantities(self, network, payload_kg=None):
        out = {}
        for name, values in (
            resolve_vehicle("car_petrol").arc_quantities(network, payload_kg).items()
        ):
            values = np.array(values)  # a writable copy
            values[list(self.closed)] = np.inf
            values[list(self.free)] = 0.0
            out[name] = values
        return out


def _road_works(network: ecoroute.RoadNetwork, seed: int) -> RoadWorks:
    rng = np.random.default_rng(seed)
    arcs = rng.permutation(network.arc_count)
    k = max(1, network.arc_count // 20)
    return RoadWorks(
        name="road_works", closed=tuple(arcs[:k].tolist()), free=tuple(arcs[k : 2 * k].tolist())
    )


def _hilly(network: ecoroute.RoadNetwork, seed: int) -> ecoroute.RoadNetwork:
    """The same roads with synthetic elevations (smooth hills plus noise), for EV energy."""
    rng = np.random.default_rng(seed)
    lat, lon = np.radians(network.lat), np.radians(network.lon)
    hills = 80 * np.sin(lat * 3000) * np.cos(lon * 2000) + 40 * np.sin(lon * 7000)
    return ecoroute.RoadNetwork(
        first_out=network.first_out,
        head=network.head,
        node_id=network.node_id,
        lat=network.lat,
        lon=network.lon,
        length_m=network.length_m,
        speed_kph=network.speed_kph,
        travel_time_s=network.travel_time_s,
        grade=network.grade,
        elevation_m=200 + hills + rng.random(network.node_count) * 10,
    )


def _read_denver() -> ecoroute.RoadNetwork:
    """RouteE Compass's downtown Denver network: real roads with real elevations and grades."""
    with gzip.open(shared_file("routee-denver/vertices-complete.csv.gz")) as f:
        vertices = pd.read_csv(f).sort_values("vertex_id")
    with gzip.open(shared_file("routee-denver/edges-complete.csv.gz")) as f:
        edges = pd.read_csv(f)
    assert (vertices["vertex_id"].to_numpy() == np.arange(len(vertices))).all()
    return ecoroute.RoadNetwork.from_arrays(
        edges["src_vertex_id"].to_numpy(),
        edges["dst_vertex_id"].to_numpy(),
        edges["distance"].to_numpy(),
        edges["speed_kph"].to_numpy(),
        vertices["y"].to_numpy(),
        vertices["x"].to_numpy(),
        grade=edges["grade"].to_numpy(),
        elevation_m=vertices["elevation"].to_numpy(),
    )


@pytest.fixture(scope="module")
def denver() -> ecoroute.RoadNetwork:
    """Downtown Denver (482 nodes, 1,342 arcs), prepared."""
    network = _read_denver()
    return network.prepared()


@pytest.fixture(scope="module")
def new_york_prepared(new_york) -> ecoroute.RoadNetwork:
    """DIMACS New York with a hierarchy (the session fixture itself stays unprepared)."""
    network = _hilly(new_york, seed=5)  # a copy, with elevations for the EV
    return network.prepared()


# --------------------------------------------------------------------------- oracles


def _dijkstra_pairs(network, vehicle, objective, sources, targets_per_source):
    """Reference costs from plain Dijkstra (one full tree per source) for sources x targets."""
    reference = ecoroute.Router(network, vehicle, objective, algorithm="dijkstra")
    costs = np.empty((len(sources), targets_per_source.shape[1]))
    for i, s in enumerate(sources):
        tree = reference.costs_from(int(network.node_id[s])).to_numpy()
        costs[i] = tree[targets_per_source[i]]
    return costs


def _check_routes(network, router, s, t, expected, *, paths=200):
    """route_many must match the reference costs; its paths must be connected walks of that cost."""
    result = router.route_many(network.node_id[s], network.node_id[t], return_paths=True)
    cost = result["cost"].to_numpy()
    assert_allclose(cost, expected, rtol=1e-9, atol=1e-9)
    assert (np.isinf(cost) == np.isinf(expected)).all()
    truth = router.arc_quantities
    for i in np.flatnonzero(np.isfinite(expected))[:paths]:
        nodes = network.node_index(result["nodes"][i])
        arcs = _arcs_along(network, router.weight, nodes)
        assert nodes[0] == s[i]
        assert nodes[-1] == t[i]
        # router.weight is the true objective (negative EV energies included).
        assert path_cost(network, router.weight, s[i], arcs) == pytest.approx(
            expected[i], rel=1e-9, abs=1e-9
        )
        for name in ("time_s", "distance_m", "co2_g"):
            assert result[name].iloc[i] == pytest.approx(
                truth[name][arcs].sum(), rel=1e-9, abs=1e-9
            )
    return result


def _arcs_along(network, weight, nodes):
    """Cheapest arc between consecutive nodes (the path route_many returns as nodes)."""
    arcs = []
    for u, v in itertools.pairwise(nodes):
        out = np.arange(network.first_out[u], network.first_out[u + 1])
        out = out[network.head[out] == v]
        assert out.size, f"no arc {u} -> {v}: the path is not connected"
        arcs.append(out[np.argmin(weight[out])])
    return np.array(arcs, dtype=np.int64)


def _random_pairs(network, sources, targets_per_source, seed):
    rng = np.random.default_rng(seed)
    s = rng.choice(network.node_count, size=sources, replace=False)
    t = rng.integers(0, network.node_count, (sources, targets_per_source))
    return s, t


# --------------------------------------------------------------------------- small graphs


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", ["co2", "time", "distance"])
def test_random_networks_match_networkx(seed, objective):
    """
    Tests every pair of random networks with loops, parallel arcs, zero-length
    arcs and isolated nodes: CCH costs equal networkx's Dijkstra, paths are
    connected walks of that cost, and matrices equal the pairwise routes.
    """
    network = random_network(seed, node_count=50, edge_count=140)
    network = network.prepared()
    router = ecoroute.Router(network, "car_petrol", objective)
    assert router.algorithm == "cch"
    graph = to_networkx(network, router.weight)
    n = network.node_count
    s = np.repeat(np.arange(n), n)
    t = np.tile(np.arange(n), n)
    lengths = dict(nx.all_pairs_dijkstra_path_length(graph))
    expected = np.array([lengths[a].get(b, np.inf) for a, b in zip(s, t, strict=True)])
    assert np.isinf(expected).any(), "isolated nodes make some pairs unreachable"
    routes = _check_routes(network, router, s, t, expected, paths=400)

    matrix = router.matrix(network.node_id, network.node_id)
    assert_array_equal(matrix.cost.ravel(), routes["cost"].to_numpy())
    for name in matrix.quantities:
        assert_allclose(matrix[name].ravel(), routes[name].to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_closed_and_free_arcs_match_dijkstra(seed):
    """
    Tests infinite (closed) and zero (free) arc weights: the CCH agrees with
    plain Dijkstra on every pair, and never routes over a closed arc.
    """
    network = random_network(seed + 10, node_count=60, edge_count=200)
    network = network.prepared()
    vehicle = _road_works(network, seed)
    router = ecoroute.Router(network, vehicle, "co2")
    n = network.node_count
    s, t = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    expected = _dijkstra_pairs(network, vehicle, "co2", np.arange(n), t.reshape(n, n)).ravel()
    result = _check_routes(network, router, s, t, expected, paths=300)
    for nodes in result["nodes"][:600]:
        if len(nodes) > 1:
            arcs = _arcs_along(network, router.weight, network.node_index(nodes))
            assert np.isfinite(router.weight[arcs]).all()


@pytest.mark.parametrize("seed", range(3))
def test_ev_energy_with_potentials_matches_bellman_ford(seed):
    """
    Tests energy-optimal routes with recuperation (negative arc energies,
    searched as reduced costs with a height potential) against networkx's
    Bellman-Ford on the true energies, for routes and matrices.
    """
    network = _hilly(random_network(seed, node_count=70, edge_count=240), seed)
    network = network.prepared()
    router = ecoroute.Router(network, ToyEV(name="toy_ev"), "energy")
    assert router.algorithm == "cch"
    energy = router.arc_quantities["energy_kwh"]
    assert (energy < 0).sum() > 20
    graph = to_networkx(network, energy)
    n = network.node_count
    expected = np.array(
        [
            [nx.single_source_bellman_ford_path_length(graph, a).get(b, np.inf) for b in range(n)]
            for a in range(n)
        ]
    )
    assert (expected[np.isfinite(expected)] < 0).any(), "some optimal routes gain energy"
    matrix = router.matrix(network.node_id, network.node_id)
    assert_allclose(matrix.cost, expected, rtol=1e-9, atol=1e-12)
    reachable = np.isfinite(expected)
    assert_allclose(matrix["energy_kwh"][reachable], expected[reachable], rtol=1e-9, atol=1e-12)
    assert np.isinf(matrix["energy_kwh"][~reachable]).all()
    s, t = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    routes = router.route_many(network.node_id[s], network.node_id[t])
    assert_allclose(routes["cost"], expected.ravel(), rtol=1e-9, atol=1e-12)
    assert_array_equal(routes["cost"].to_numpy(), matrix.cost.ravel())
    costs = router.costs_from(int(network.node_id[3]))
    assert_allclose(costs.to_numpy(), expected[3], rtol=1e-9, atol=1e-12)


def test_route_uses_the_hierarchy_and_reports_like_the_searches():
    """Tests that Router.route on a prepared network returns the same Route as Dijkstra's."""
    network = random_network(3, node_count=60, edge_count=200, zero_lengths=False)
    network = network.prepared()
    cch = ecoroute.Router(network, "car_petrol", "co2")
    plain = ecoroute.Router(network, "car_petrol", "co2", algorithm="dijkstra")
    checked = 0
    for a, b in itertools.product(network.node_id[:15], network.node_id[20:35]):
        try:
            expected = plain.route(int(a), int(b))
        except ecoroute.NoRouteError:
            with pytest.raises(ecoroute.NoRouteError):
                cch.route(int(a), int(b))
            continue
        route = cch.route(int(a), int(b))
        checked += 1
        assert route.cost == pytest.approx(expected.cost, rel=1e-12)
        assert route.co2_g == pytest.approx(route.cost, rel=1e-12)
        assert route.nodes[0] == a
        assert route.nodes[-1] == b
        assert route.time_s == pytest.approx(cch.arc_quantities["time_s"][route.arcs].sum())
    assert checked > 100


def test_matrix_without_a_hierarchy_equals_pairwise_routes():
    """Tests the fallback: on an unprepared network, matrix() runs one search per pair."""
    network = random_network(4, node_count=40, edge_count=120)
    router = ecoroute.Router(network, "car_petrol", "time")
    assert router.algorithm == "bidirectional_astar"
    sources, targets = network.node_id[:7], network.node_id[5:30]
    matrix = router.matrix(sources, targets)
    assert matrix.shape == (7, 25)
    routes = router.route_many(np.repeat(sources, 25), np.tile(targets, 7))
    assert_array_equal(matrix.cost.ravel(), routes["cost"].to_numpy())
    for name in matrix.quantities:
        assert_array_equal(matrix[name].ravel(), routes[name].to_numpy())
    frame = matrix.to_frame()
    assert_array_equal(frame["cost"].to_numpy(), routes["cost"].to_numpy())
    assert_array_equal(frame["target"].to_numpy(), routes["target"].to_numpy())


def test_matrix_takes_coordinates_and_reports_snaps():
    """Tests (lat, lon) sources and targets: snapped like route_many, with snap distances."""
    network = random_network(5, node_count=50, edge_count=160)
    network = network.prepared()
    router = ecoroute.Router(network, "car_petrol", "co2")
    points = [(float(network.lat[i]) + 1e-4, float(network.lon[i])) for i in (0, 7, 9)]
    matrix = router.matrix(points, network.node_id[10:14])
    # Snapped onto the nearest road, part-way along it (issue 11), as route_many snaps.
    snap = ecoroute.snapping.snapper_for(network).snap(
        [p[0] for p in points], [p[1] for p in points]
    )
    assert_allclose(matrix.source_snap_m, snap.distance_m)
    assert_allclose(matrix.source_lat, snap.lat)
    assert (matrix.source_snap_m > 0).all()
    assert_array_equal(matrix.target_snap_m, 0.0)
    routes = router.route_many(np.repeat(points, 4, axis=0), np.tile(network.node_id[10:14], 3))
    assert_allclose(matrix.cost.ravel(), routes["cost"].to_numpy(), rtol=1e-12)
    assert_array_equal(matrix.sources, routes["source"].to_numpy()[::4])
    empty = router.matrix(network.node_id[:0], network.node_id[:3])
    assert empty.cost.shape == (0, 3)
    with pytest.raises(ecoroute.UnknownNodeError):
        router.matrix([123456789], network.node_id[:3])


def test_threads_do_not_change_answers():
    """Tests that customization, batches and matrices give identical results on 1 and 2 threads."""
    network = random_network(6, node_count=300, edge_count=900)
    network = network.prepared(num_threads=1)
    order_one = network.hierarchy.to_arrays()["order"]
    network = network.prepared(num_threads=2)
    assert_array_equal(network.hierarchy.to_arrays()["order"], order_one)
    one = ecoroute.Router(network, "car_petrol", "co2", num_threads=1)
    two = ecoroute.Router(network, "car_petrol", "co2", num_threads=2)
    ids = network.node_id
    a = one.route_many(ids, ids[::-1], return_paths=True)
    b = two.route_many(ids, ids[::-1], return_paths=True)
    assert_array_equal(a["cost"].to_numpy(), b["cost"].to_numpy())
    for x, y in zip(a["nodes"], b["nodes"], strict=True):
        assert_array_equal(x, y)
    assert_array_equal(one.matrix(ids[:50], ids).cost, two.matrix(ids[:50], ids).cost)


# --------------------------------------------------------------------------- preparing and saving


def test_prepare_keeps_one_hierarchy_and_auto_uses_it():
    """Tests prepared(): a new network carrying the hierarchy, reused, picked by 'auto'."""
    plain = random_network(7)
    with pytest.raises(ValueError, match=r"network.prepared\(\)"):
        ecoroute.Router(plain, algorithm="cch")
    assert ecoroute.Router(plain).algorithm == "bidirectional_astar"
    network = plain.prepared()
    hierarchy = network.hierarchy
    assert isinstance(hierarchy, ecoroute.Hierarchy)
    assert plain.hierarchy is None  # the network it came from is unchanged
    assert network.prepared() is network
    assert hierarchy.node_count == network.node_count
    assert hierarchy.edge_count > 0
    assert 0 < hierarchy.tree_height <= network.node_count
    assert hierarchy.memory_bytes > 0
    assert "Hierarchy(" in repr(hierarchy)
    assert ecoroute.Router(network).algorithm == "cch"
    assert ecoroute.Router(network, algorithm="dijkstra").algorithm == "dijkstra"
    with pytest.raises(ValueError, match="Unknown algorithm"):
        ecoroute.Router(network, algorithm="ch")


def test_arrays_round_trip_and_cheap_rebuild():
    """Tests to_arrays -> prepared(arrays=...) and prepared(order=...) rebuild the same hierarchy."""
    network = random_network(8, node_count=80, edge_count=240)
    arrays = network.prepared().hierarchy.to_arrays()
    assert set(arrays) == set(ecoroute.hierarchy.ARRAY_NAMES)
    assert all(a.dtype == np.uint32 for a in arrays.values())
    assert sorted(arrays["order"].tolist()) == list(range(network.node_count))

    copy = random_network(8, node_count=80, edge_count=240)  # same roads, new object
    loaded = copy.prepared(arrays=arrays).hierarchy
    for name, values in loaded.to_arrays().items():
        assert_array_equal(values, arrays[name])
    rebuilt = copy.prepared(order=arrays["order"]).hierarchy
    for name, values in rebuilt.to_arrays().items():
        assert_array_equal(values, arrays[name])
    # Any permutation works as an order (it is renumbered into a post-order).
    copy = copy.prepared(order=np.random.default_rng(1).permutation(copy.node_count))
    shuffled = copy.hierarchy
    router = ecoroute.Router(copy, "car_petrol", "time")
    plain = ecoroute.Router(copy, "car_petrol", "time", algorithm="dijkstra")
    ids = copy.node_id
    assert_allclose(router.matrix(ids, ids).cost, plain.matrix(ids, ids).cost, rtol=1e-9)
    assert shuffled.edge_count >= loaded.edge_count  # a random order fills in more


def test_invalid_hierarchy_arrays_are_refused():
    """Tests that damaged or foreign arrays raise NetworkError naming the problem."""
    network = random_network(9, node_count=80, edge_count=240)
    arrays = network.prepared().hierarchy.to_arrays()
    with pytest.raises(ecoroute.NetworkError, match="lack up_head"):
        network.prepared(arrays={k: v for k, v in arrays.items() if k != "up_head"})
    order = arrays["order"].copy()
    order[0] = order[1]
    with pytest.raises(ecoroute.NetworkError, match="permutation"):
        network.prepared(arrays={**arrays, "order": order})
    with pytest.raises(ecoroute.NetworkError, match="permutation"):
        network.prepared(order=order)
    with pytest.raises(ecoroute.NetworkError, match="order"):
        network.prepared(order=arrays["order"][:-1])
    with pytest.raises(ecoroute.NetworkError, match="integers"):
        network.prepared(order=arrays["order"].astype(float))
    head = arrays["up_head"].copy()
    head[-1] = head[-1] - 1 if head[-1] > 0 else 1
    with pytest.raises(ecoroute.NetworkError):
        network.prepared(arrays={**arrays, "up_head": head})
    first = arrays["up_first_out"].copy()
    first[-1] += 1
    with pytest.raises(ecoroute.NetworkError, match="up_first_out"):
        network.prepared(arrays={**arrays, "up_first_out": first})
    other = random_network(10, node_count=80, edge_count=240)
    with pytest.raises(ecoroute.NetworkError, match="do not fit"):
        other.prepared(arrays=arrays)
    with pytest.raises(ValueError, match="either order or arrays"):
        network.prepared(order=arrays["order"], arrays=arrays)
    with pytest.raises(ValueError, match="num_threads"):
        random_network(9).prepared(num_threads=-1)


def test_core_refuses_a_metric_on_another_graph():
    """Tests the C++ guard: a hierarchy customizes only metrics on its own graph object."""
    network = random_network(11)
    hierarchy = network.prepared().hierarchy
    other = random_network(11)  # equal roads, different CsrGraph object
    metric = _core.Metric(other.graph, np.ones(other.arc_count))
    with pytest.raises(ValueError, match="same graph"):
        _core.CchMetric(hierarchy._cch, metric)


# --------------------------------------------------------------------------- real graphs


def _check_real_graph(network, vehicle, objective, sources, targets_per_source, seed):
    """CCH routes vs plain Dijkstra, and a matrix vs the same pairs routed one by one."""
    router = ecoroute.Router(network, vehicle, objective)
    assert router.algorithm == "cch"
    s, t = _random_pairs(network, sources, targets_per_source, seed)
    expected = _dijkstra_pairs(network, vehicle, objective, s, t).ravel()
    pairs_s = np.repeat(s, targets_per_source)
    routes = _check_routes(network, router, pairs_s, t.ravel(), expected)

    ms, mt = s[:20], t[0, :30]
    matrix = router.matrix(network.node_id[ms], network.node_id[mt])
    one_by_one = router.route_many(
        network.node_id[np.repeat(ms, mt.size)], network.node_id[np.tile(mt, ms.size)]
    )
    assert_array_equal(matrix.cost.ravel(), one_by_one["cost"].to_numpy())
    for name in matrix.quantities:
        assert_allclose(matrix[name].ravel(), one_by_one[name].to_numpy(), rtol=1e-9, atol=1e-9)
    return len(routes)


@pytest.mark.parametrize("objective", ["time", "co2", "energy"])
def test_denver_matches_dijkstra(denver, objective):
    """Tests 60 sources x all 482 targets of downtown Denver (real elevations), EV included."""
    vehicle = ToyEV(name="toy_ev") if objective == "energy" else "car_petrol"
    n = denver.node_count
    count = _check_real_graph(denver, vehicle, objective, 60, n, seed=1)
    assert count == 60 * n


@pytest.mark.parametrize("objective", ["time", "co2", "energy"])
def test_aguascalientes_matches_dijkstra(aguascalientes_osmnx, objective):
    """Tests 40 x 400 random pairs on Aguascalientes (osmnx), EV on synthetic hills."""
    network = _hilly(ecoroute.RoadNetwork.from_osmnx(aguascalientes_osmnx), seed=2)
    network = network.prepared()
    vehicle = ToyEV(name="toy_ev") if objective == "energy" else "car_petrol"
    _check_real_graph(network, vehicle, objective, 40, 400, seed=2)


def test_aguascalientes_with_road_works(aguascalientes_osmnx):
    """Tests closed and free arcs on a real graph: many unreachable pairs, zero-cost detours."""
    network = ecoroute.RoadNetwork.from_osmnx(aguascalientes_osmnx)
    network = network.prepared()
    _check_real_graph(network, _road_works(network, 3), "co2", 40, 400, seed=3)


def test_west_oakland_matches_dijkstra(west_oakland_osmnx):
    """Tests every pair of the tiny West Oakland extract."""
    network = ecoroute.RoadNetwork.from_osmnx(west_oakland_osmnx)
    network = network.prepared()
    n = network.node_count
    _check_real_graph(network, "car_petrol", "distance", n, n, seed=4)


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["time", "co2", "energy"])
def test_new_york_matches_dijkstra(new_york_prepared, objective):
    """Tests 50 x 80 random pairs on DIMACS New York (264k nodes) per metric: 12,000 pairs."""
    vehicle = ToyEV(name="toy_ev") if objective == "energy" else "car_petrol"
    _check_real_graph(new_york_prepared, vehicle, objective, 50, 80, seed=6)


@pytest.mark.slow
def test_new_york_with_road_works(new_york_prepared):
    """Tests 5 % closed and 5 % free arcs on New York: 2,000 pairs against Dijkstra."""
    vehicle = _road_works(new_york_prepared, 7)
    _check_real_graph(new_york_prepared, vehicle, "co2", 25, 80, seed=7)


@pytest.mark.slow
def test_new_york_hierarchy_round_trip(new_york_prepared):
    """Tests saving and loading New York's hierarchy: identical arrays, identical answers."""
    arrays = new_york_prepared.hierarchy.to_arrays()
    copy = _hilly(new_york_prepared, seed=5).prepared(arrays=arrays)
    loaded = copy.hierarchy
    for name, values in loaded.to_arrays().items():
        assert_array_equal(values, arrays[name])
    ids = copy.node_id[::5000]
    a = ecoroute.Router(copy, "car_petrol", "co2").matrix(ids, ids)
    b = ecoroute.Router(new_york_prepared, "car_petrol", "co2").matrix(ids, ids)
    assert_array_equal(a.cost, b.cost)


@pytest.mark.parametrize("name", ["monaco", "andorra", "malta"])
def test_osm_extracts_match_dijkstra(name):
    """Tests PBF extracts through ecoroute.load_osm when the OSM loader is present (else skips)."""
    load_osm = getattr(ecoroute, "load_osm", None)
    if load_osm is None:
        pytest.skip("ecoroute.load_osm (the PBF loader) is not in this build")
    network = load_osm(shared_file(f"osm/{name}.osm.pbf"), turn_restrictions=False)
    network = network.prepared()
    _check_real_graph(network, "car_petrol", "co2", 20, 100, seed=8)


# --------------------------------------------------------------------------- the C++ boundary


def _tiny_core():
    graph = _core.CsrGraph([0, 1, 2, 3], [1, 2, 0])  # a directed triangle
    order = _core.nested_dissection_order(graph, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0])
    return graph, _core.Cch(graph, order)


def test_core_views_are_read_only_and_objects_share_ownership():
    """Tests read-only zero-copy views, and that routers keep what they need alive."""
    graph, cch = _tiny_core()
    for name in ("order", "rank", "up_first_out", "up_head", "parent"):
        view = getattr(cch, name)
        assert not view.flags.writeable, name
        assert view.base is not None, name
    metric = _core.Metric(graph, [1.0, 2.0, 4.0])
    router = _core.QueryEngine(_core.CchMetric(cch, metric), [])
    del graph, cch, metric
    cost, _, offsets, arcs = router.route_pairs(
        np.array([0, 2], np.uint32), np.array([2, 1], np.uint32), with_paths=True
    )
    assert cost.tolist() == [3.0, 5.0]
    assert arcs.tolist() == [0, 1, 2, 0]
    assert offsets.tolist() == [0, 2, 4]
    matrix, sums = router.matrix(np.array([0, 1, 2], np.uint32), np.array([0, 1, 2], np.uint32))
    assert matrix.tolist() == [[0.0, 1.0, 3.0], [6.0, 0.0, 2.0], [4.0, 5.0, 0.0]]
    assert sums.shape == (0, 3, 3)
    assert router.costs_from(1).tolist() == [6.0, 0.0, 2.0]


def test_core_errors_cross_as_python_exceptions():
    """Tests the exception types of bad ids, bad lengths and quantities of another metric."""
    graph, cch = _tiny_core()
    customized = _core.CchMetric(cch, _core.Metric(graph, [1.0, 2.0, 4.0]))
    router = _core.QueryEngine(customized, [])
    ok, bad = np.array([0], np.uint32), np.array([3], np.uint32)
    with pytest.raises(IndexError, match="node_count is 3"):
        router.route_pairs(ok, bad)
    with pytest.raises(IndexError):
        router.matrix(bad, ok)
    with pytest.raises(IndexError):
        router.costs_from(3)
    with pytest.raises(ValueError, match="same length"):
        router.route_pairs(ok, np.array([0, 1], np.uint32))
    with pytest.raises(ValueError, match="one value per arc"):
        _core.QueryEngine(customized, [np.ones(2)])
    with pytest.raises(ValueError, match="permutation"):
        _core.Cch(graph, np.array([0, 0, 1], np.uint32))
    with pytest.raises(ValueError, match=r"not chordal|no arc"):
        _core.Cch.from_arrays(
            graph, cch.order, np.array([0, 1, 1, 1], np.uint32), np.array([2], np.uint32)
        )
