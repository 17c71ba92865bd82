"""Building networks: from arrays, from osmnx and back, node lookups, snapping, bad input."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute._geo import haversine_m

from .helpers import random_network


def _arrays(**changes):
    base = {
        "tail": [0, 1, 1],
        "head": [1, 0, 2],
        "length_m": [100.0, 100.0, 50.0],
        "speed_kph": [50.0, 50.0, 30.0],
        "lat": [60.0, 60.001, 60.002],
        "lon": [24.0, 24.0, 24.0],
    }
    base.update(changes)
    return base


def test_from_arrays_sorts_arcs_by_tail_and_keeps_attributes():
    """Tests that arcs given out of order come back in CSR order with their own attributes."""
    network = ecoroute.RoadNetwork.from_arrays(
        [2, 0, 1],
        [0, 1, 2],
        [30.0, 10.0, 20.0],
        [30.0, 10.0, 20.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.001, 0.002],
        highway=["primary", None, "residential"],
        osm_way_id=[3, 1, 2],
    )
    assert_array_equal(network.first_out, [0, 1, 2, 3])
    assert_array_equal(network.tail, [0, 1, 2])
    assert_array_equal(network.head, [1, 2, 0])
    assert_array_equal(network.length_m, [10.0, 20.0, 30.0])
    assert_array_equal(network.osm_way_id, [1, 2, 3])
    assert network.highway.tolist() == [None, "residential", "primary"]
    assert_allclose(network.travel_time_s, [3.6, 3.6, 3.6])


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"length_m": [100.0, -1.0, 50.0]}, ValueError, "length_m must be >= 0"),
        ({"length_m": [100.0, math.nan, 50.0]}, ValueError, "length_m is NaN"),
        ({"speed_kph": [50.0, 0.0, 30.0]}, ValueError, "speed_kph must be > 0"),
        ({"speed_kph": [50.0, -5.0, 30.0]}, ValueError, "speed_kph must be > 0"),
        ({"lat": [60.0, math.nan, 60.0]}, ValueError, "lat is NaN or infinite at index 1"),
        ({"lat": [60.0, 91.0, 60.0]}, ValueError, "lat must be <= 90"),
        ({"head": [1, 0, 7]}, IndexError, "head holds index 7"),
        ({"tail": [0, 1, -1]}, IndexError, "negative"),
        ({"tail": [0.0, 1.0, 1.0]}, TypeError, "tail must hold integers"),
        ({"length_m": ["a", "b", "c"]}, TypeError, "length_m must be numeric"),
        ({"speed_kph": [50.0, 50.0]}, ValueError, "speed_kph must have 3 entries"),
    ],
)
def test_from_arrays_rejects_bad_input(changes, error, match):
    """Tests that bad arrays raise a clear error naming the array and the problem."""
    with pytest.raises(error, match=match):
        ecoroute.RoadNetwork.from_arrays(**_arrays(**changes))


def test_duplicate_node_ids_are_refused():
    with pytest.raises(ecoroute.NetworkError, match="appears twice"):
        ecoroute.RoadNetwork.from_arrays(**_arrays(), node_id=[5, 6, 5])


def test_node_index_and_unknown_nodes():
    """Tests the vectorised id lookup and that an unknown id is a KeyError naming it."""
    network = random_network(0)
    ids = network.node_id[[5, 0, 17]]
    assert_array_equal(network.node_index(ids), [5, 0, 17])
    with pytest.raises(
        ecoroute.UnknownNodeError, match="Node 999999 is not in the road network"
    ) as info:
        network.node_index([ids[0], 999999])
    assert isinstance(info.value, KeyError)
    with pytest.raises(TypeError, match="integers"):
        network.node_index([1.5])


def test_nearest_nodes_match_brute_force():
    """Tests snapping against a brute-force haversine search over all nodes."""
    network = random_network(1, node_count=300, edge_count=500)
    rng = np.random.default_rng(0)
    lat = 60.17 + rng.random(50) * 0.02
    lon = 24.93 + rng.random(50) * 0.04
    index, distance = network.nearest_nodes(lat, lon)
    for i in range(50):
        all_d = haversine_m(lat[i], lon[i], network.lat, network.lon)
        assert all_d[index[i]] == pytest.approx(all_d.min(), rel=1e-9)
        assert distance[i] == pytest.approx(all_d.min(), rel=1e-6)


def test_nearest_nodes_rejects_nan():
    network = random_network(1)
    with pytest.raises(ValueError, match="lat is NaN"):
        network.nearest_nodes([math.nan], [24.9])


def test_attribute_arrays_are_read_only():
    network = random_network(2)
    with pytest.raises(ValueError, match="read-only"):
        network.length_m[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        network.head[0] = 1


def test_from_osmnx_on_hand_written_xml(tiny_osmnx):
    """
    Tests the osmnx path offline on tests/data/tiny.osm: 6 nodes and 12 arcs
    (counted by hand in the file's comment), lengths and ids carried over.
    """
    with pytest.warns(UserWarning, match="no 'speed_kph'"):
        network = ecoroute.RoadNetwork.from_osmnx(tiny_osmnx)
    assert network.node_count == 6
    assert network.arc_count == 12
    assert set(network.node_id.tolist()) == {1, 2, 3, 4, 5, 6}
    # The one-way service road (oneway=-1) only runs 3 -> 5.
    service = np.flatnonzero(network.highway == "service")
    assert network.node_id[network.tail[service]].tolist() == [3]
    assert network.node_id[network.head[service]].tolist() == [5]
    # 1 -> 2 is 0.002 degrees of longitude at 60.17 N: ~110.6 m.
    arc = np.flatnonzero(
        (network.node_id[network.tail] == 1) & (network.node_id[network.head] == 2)
    )
    assert network.length_m[arc[0]] == pytest.approx(
        haversine_m(60.17, 24.94, 60.17, 24.942), rel=1e-3
    )


def test_from_osmnx_warns_and_imputes_missing_speeds(tiny_osmnx):
    """Tests that edges without speed_kph get the class mean, then the fallback table."""
    with pytest.warns(UserWarning, match="12 of 12 edges have no 'speed_kph'"):
        network = ecoroute.RoadNetwork.from_osmnx(tiny_osmnx)
    service = network.highway == "service"
    assert (network.speed_kph[service] == ecoroute.speeds.FALLBACK_SPEED_KPH["service"]).all()


def test_from_osmnx_keeps_every_parallel_edge():
    """
    Tests that parallel edges (keys 0 and 1) both become arcs and that the
    route takes the cheaper one even when it is not key 0.
    """
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=24.0, y=60.0)
    graph.add_node(2, x=24.001, y=60.0)
    graph.add_edge(1, 2, key=0, length=100.0, speed_kph=10.0, highway="residential", osmid=7)
    graph.add_edge(1, 2, key=1, length=120.0, speed_kph=100.0, highway="motorway", osmid=8)
    network = ecoroute.RoadNetwork.from_osmnx(graph)
    assert network.arc_count == 2
    route = ecoroute.Router(network, objective="time").route(1, 2)
    assert network.osm_way_id[route.arcs[0]] == 8
    assert route.time_s == pytest.approx(120.0 / (100.0 / 3.6))


def test_from_osmnx_undirected_graph_gives_two_arcs_per_edge():
    graph = nx.MultiGraph(crs="epsg:4326")
    graph.add_node(1, x=24.0, y=60.0)
    graph.add_node(2, x=24.001, y=60.0)
    graph.add_edge(1, 2, length=100.0, speed_kph=36.0, grade=0.02)
    network = ecoroute.RoadNetwork.from_osmnx(graph)
    assert network.arc_count == 2
    assert sorted(network.grade.tolist()) == [-0.02, 0.02]


def test_from_osmnx_refuses_projected_graphs():
    graph = nx.MultiDiGraph(crs="epsg:32633")
    graph.add_node(1, x=500000.0, y=6600000.0)
    with pytest.raises(ecoroute.NetworkError, match="to_latlong=True"):
        ecoroute.RoadNetwork.from_osmnx(graph)


def test_from_osmnx_refuses_empty_graph():
    with pytest.raises(ecoroute.NetworkError, match="no nodes"):
        ecoroute.RoadNetwork.from_osmnx(nx.MultiDiGraph())


def test_to_osmnx_round_trip(aguascalientes_osmnx):
    """
    Tests that to_osmnx gives back the graph's nodes, every edge (parallel ones
    included), lengths and geometry, and that routes agree with networkx on it.
    """
    network = ecoroute.RoadNetwork.from_osmnx(aguascalientes_osmnx)
    back = network.to_osmnx()
    assert back.number_of_nodes() == aguascalientes_osmnx.number_of_nodes()
    assert back.number_of_edges() == aguascalientes_osmnx.number_of_edges()
    lengths_in = sorted(d["length"] for _, _, d in aguascalientes_osmnx.edges(data=True))
    lengths_out = sorted(d["length"] for _, _, d in back.edges(data=True))
    assert_allclose(lengths_out, lengths_in)
    with_geometry_in = sum("geometry" in d for _, _, d in aguascalientes_osmnx.edges(data=True))
    with_geometry_out = sum("geometry" in d for _, _, d in back.edges(data=True))
    assert with_geometry_out == with_geometry_in

    router = ecoroute.Router(network, objective="time")
    rng = np.random.default_rng(4)
    ids = network.node_id
    for s, t in rng.choice(ids, (30, 2)):
        try:
            expected = nx.shortest_path_length(back, int(s), int(t), weight="travel_time")
        except nx.NetworkXNoPath:
            with pytest.raises(ecoroute.NoRouteError):
                router.route(int(s), int(t))
            continue
        assert router.route(int(s), int(t)).time_s == pytest.approx(expected, rel=1e-9)


def test_route_on_osmnx_graph_equals_networkx_on_same_graph(aguascalientes_osmnx):
    """Tests that a travel-time route equals networkx's on the osmnx graph we were given."""
    network = ecoroute.RoadNetwork.from_osmnx(aguascalientes_osmnx)
    router = ecoroute.Router(network, objective="time")
    rng = np.random.default_rng(9)
    nodes = list(aguascalientes_osmnx.nodes)
    checked = 0
    for _ in range(40):
        s, t = rng.choice(nodes, 2)
        try:
            expected = nx.dijkstra_path_length(aguascalientes_osmnx, s, t, weight="travel_time")
        except nx.NetworkXNoPath:
            continue
        assert router.route(int(s), int(t)).cost == pytest.approx(expected, rel=1e-9)
        checked += 1
    assert checked > 20


def test_node_index_of_one_id_agrees_with_node_index():
    """Tests the scalar lookup against node_index (and a brute-force search), and its errors."""
    network = random_network(4)
    for i in range(network.node_count):
        node_id = int(network.node_id[i])
        assert (
            network.node_index_of(node_id)
            == i
            == int(np.flatnonzero(network.node_id == node_id)[0])
        )
        assert network.node_index_of(node_id) == network.node_index([node_id])[0]
    for bad in (-1, 999_999, 2**70):
        with pytest.raises(ecoroute.UnknownNodeError):
            network.node_index_of(bad)
