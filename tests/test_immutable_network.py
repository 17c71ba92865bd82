"""RoadNetwork is an immutable value: it copies its inputs, and changes make new networks."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import ecoroute
from ecoroute._geo import haversine_m

from .conftest import shared_file
from .helpers import random_network

NODE_FIELDS = ("node_id", "lat", "lon", "elevation_m")
ARC_FIELDS = ("length_m", "speed_kph", "travel_time_s", "grade", "osm_way_id")


def _caller_arrays() -> dict[str, np.ndarray]:
    """Arrays of a 5-node network, in the dtypes the network keeps (so nothing is cast)."""
    return {
        "tail": np.array([0, 1, 1, 2, 3], dtype=np.int64),
        "head": np.array([1, 0, 2, 3, 4], dtype=np.int64),
        "length_m": np.array([100.0, 100.0, 50.0, 70.0, 80.0]),
        "speed_kph": np.array([50.0, 50.0, 30.0, 30.0, 40.0]),
        "lat": np.array([60.0, 60.001, 60.002, 60.003, 60.004]),
        "lon": np.array([24.0, 24.0, 24.001, 24.002, 24.003]),
        "node_id": np.array([10, 11, 12, 13, 14], dtype=np.int64),
        "elevation_m": np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        "grade": np.array([0.01, -0.01, 0.0, 0.02, 0.0]),
        "travel_time_s": np.array([7.2, 7.2, 6.0, 8.4, 7.2]),
        "osm_way_id": np.array([1, 1, 2, 3, 4], dtype=np.int64),
    }


def _build(arrays: dict[str, np.ndarray]) -> ecoroute.RoadNetwork:
    a = dict(arrays)
    return ecoroute.RoadNetwork.from_arrays(
        a.pop("tail"),
        a.pop("head"),
        a.pop("length_m"),
        a.pop("speed_kph"),
        a.pop("lat"),
        a.pop("lon"),
        **a,
    )


def _snapshot(network: ecoroute.RoadNetwork) -> dict[str, np.ndarray]:
    return {f: np.array(getattr(network, f)) for f in (*NODE_FIELDS, *ARC_FIELDS)}


def test_from_arrays_leaves_the_callers_arrays_writable_and_unshared():
    """
    Tests that from_arrays copies: the caller's arrays stay writable, and writing
    to them afterwards changes nothing in the network.
    """
    arrays = _caller_arrays()
    network = _build(arrays)
    before = _snapshot(network)
    for name, array in arrays.items():
        assert array.flags.writeable, f"the caller's {name} was made read-only"
        array[...] = array[::-1].copy() if array.dtype.kind == "f" else array + 1000
    after = _snapshot(network)
    for name in before:
        assert_array_equal(after[name], before[name], err_msg=name)
        assert not np.shares_memory(getattr(network, name), arrays.get(name, np.empty(0)))


def test_constructor_copies_the_csr_arrays_too():
    """Tests RoadNetwork(...) itself: CSR inputs stay the caller's, in both directions."""
    first_out = np.array([0, 1, 3, 4, 5, 5], dtype=np.uint32)
    head = np.array([1, 0, 2, 3, 4], dtype=np.uint32)
    lat = np.linspace(60.0, 60.004, 5)
    network = ecoroute.RoadNetwork(
        first_out=first_out,
        head=head,
        node_id=np.arange(5),
        lat=lat,
        lon=np.full(5, 24.0),
        length_m=np.full(5, 100.0),
        speed_kph=np.full(5, 50.0),
    )
    head[:] = 0
    first_out[:] = 0
    lat[:] = 0.0
    assert lat.flags.writeable
    assert head.flags.writeable
    assert_array_equal(network.head, [1, 0, 2, 3, 4])
    assert_array_equal(network.first_out, [0, 1, 3, 4, 5, 5])
    assert_array_equal(network.lat, np.linspace(60.0, 60.004, 5))


def test_views_of_a_callers_base_array_cannot_change_the_network_or_its_node_index():
    """
    Tests the stale nearest-node index: the network was built from read-only
    views of writable base arrays, which the caller then changes.
    """
    arrays = _caller_arrays()
    base_lat = np.concatenate([arrays["lat"], np.zeros(5)])  # lat is a contiguous view of this
    base_lon = np.concatenate([arrays["lon"], np.zeros(5)])
    lat_view, lon_view = base_lat[:5], base_lon[:5]
    lat_view.flags.writeable = False  # read-only views, writable bases
    lon_view.flags.writeable = False
    network = _build({**arrays, "lat": lat_view, "lon": lon_view})
    # The point next to node 3 (dense index 3); ask once so the index is built.
    point = (60.00301, 24.00201)
    assert network.nearest_nodes(*point)[0][0] == 3

    base_lat[:5] = [10.0, 10.0, 10.0, 10.0, 60.00301]  # move node 4 onto the point
    base_lon[:5] = [10.0, 10.0, 10.0, 10.0, 24.00201]
    assert_array_equal(network.lat, arrays["lat"])
    nearest, distance = network.nearest_nodes(*point)
    brute = haversine_m(point[0], point[1], arrays["lat"], arrays["lon"])
    assert nearest[0] == np.argmin(brute) == 3
    assert distance[0] == pytest.approx(brute.min())


def test_network_arrays_are_read_only_and_attributes_cannot_be_set():
    network = random_network(1)
    for name in (*NODE_FIELDS[:3], *ARC_FIELDS, "first_out", "head", "tail", "geometry_lonlat"):
        array = getattr(network, name)
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    with pytest.raises(AttributeError, match="immutable"):
        network.length_m = np.zeros(network.arc_count)
    with pytest.raises(AttributeError, match="immutable"):
        network.hierarchy = None
    with pytest.raises(TypeError, match="does not support item assignment"):
        network.attachments["x"] = np.zeros(1)  # a read-only mapping


def _costs(router: ecoroute.Router, network: ecoroute.RoadNetwork) -> np.ndarray:
    ids = network.node_id
    return router.route_many(ids, ids[::-1])["cost"].to_numpy()


def test_replace_and_prepared_leave_the_network_and_its_routers_untouched():
    """
    Tests that a Router keeps seeing the network it was built on while new
    networks are derived from it (elevations and grades, a hierarchy).
    """
    network = random_network(5, node_count=80, edge_count=240)
    router = ecoroute.Router(network, "car_petrol", algorithm="dijkstra")
    before_costs = _costs(router, network)
    before = _snapshot(network)

    rng = np.random.default_rng(0)
    hilly = network.replace(
        elevation_m=rng.random(network.node_count) * 50,
        grade=rng.uniform(-0.06, 0.06, network.arc_count),
    )
    prepared = network.prepared()
    prepared_hilly = hilly.prepared()

    assert network.hierarchy is None
    assert network.elevation_m is None
    assert prepared.hierarchy is not None
    assert hilly.hierarchy is None
    after = _snapshot(network)
    for name in ARC_FIELDS:
        assert_array_equal(after[name], before[name], err_msg=name)
    assert_array_equal(_costs(router, network), before_costs)
    assert router.algorithm == "dijkstra"
    # A fresh Router on the old network agrees too; one on the hilly network does not.
    assert_array_equal(
        _costs(ecoroute.Router(network, "car_petrol", algorithm="dijkstra"), network), before_costs
    )
    hilly_costs = _costs(ecoroute.Router(hilly, "car_petrol", algorithm="dijkstra"), hilly)
    assert not np.array_equal(hilly_costs, before_costs)
    # The prepared copies route like their sources (CCH against plain Dijkstra).
    np.testing.assert_allclose(
        _costs(ecoroute.Router(prepared, "car_petrol"), prepared), before_costs, rtol=1e-9
    )
    np.testing.assert_allclose(
        _costs(ecoroute.Router(prepared_hilly, "car_petrol"), prepared_hilly),
        hilly_costs,
        rtol=1e-9,
    )


def test_replace_shares_unchanged_arrays_and_keeps_the_hierarchy():
    network = random_network(6).prepared()
    faster = network.replace(speed_kph=network.speed_kph * 2)
    assert faster.hierarchy is network.hierarchy  # the index depends on the topology only
    assert faster.lat is network.lat
    assert faster.length_m is network.length_m
    np.testing.assert_allclose(faster.travel_time_s, network.travel_time_s / 2)
    with pytest.raises(TypeError, match="cannot change lat"):
        network.replace(lat=network.lat)
    with pytest.raises(ValueError, match="speed_kph must be > 0"):
        network.replace(speed_kph=np.zeros(network.arc_count))


def test_deprecated_prepare_warns_and_keeps_old_routers():
    """Tests the old in-place prepare(): it warns, returns the hierarchy, and old Routers keep theirs."""
    network = random_network(7)
    router = ecoroute.Router(network, "car_petrol", algorithm="dijkstra")
    before = _costs(router, network)
    with pytest.warns(DeprecationWarning, match=r"prepared\(\)"):
        hierarchy = network.prepare()
    assert isinstance(hierarchy, ecoroute.Hierarchy)
    assert network.hierarchy is hierarchy
    assert router.algorithm == "dijkstra"
    assert_array_equal(_costs(router, network), before)


def test_with_elevation_from_a_dem_returns_a_new_network():
    """Tests with_elevation and the deprecated add_elevation on a real SRTM tile (Monaco)."""
    dem = shared_file("dem/N43E007.hgt.zip")
    network = ecoroute.RoadNetwork.from_arrays(
        [0, 1, 2, 1, 2, 3],
        [1, 2, 3, 0, 1, 2],
        [400.0, 500.0, 450.0, 400.0, 500.0, 450.0],
        [50.0] * 6,
        [43.735, 43.738, 43.741, 43.744],
        [7.415, 7.419, 7.423, 7.427],
    )
    router = ecoroute.Router(network, "car_petrol", algorithm="dijkstra")
    before = _costs(router, network)
    hilly = network.with_elevation(dem)
    assert network.elevation_m is None
    assert not network.grade.any()
    assert hilly.elevation_m is not None
    assert np.isfinite(hilly.elevation_m).all()
    assert hilly.grade.any()
    assert_array_equal(_costs(router, network), before)
    with pytest.warns(DeprecationWarning, match="with_elevation"):
        again = network.add_elevation(dem)
    assert network.elevation_m is None
    assert_array_equal(again.elevation_m, hilly.elevation_m)
    with pytest.warns(DeprecationWarning, match="with_elevation"):
        again = ecoroute.elevation.add_elevation(network, dem)
    assert network.elevation_m is None
    assert_array_equal(again.grade, hilly.grade)


def test_with_attachments_returns_a_new_network():
    network = random_network(8)
    extra = np.arange(4)
    attached = network.with_attachments(extra=extra)
    extra[:] = 9
    assert dict(network.attachments) == {}
    assert_array_equal(attached.attachments["extra"], [0, 1, 2, 3])
    with pytest.raises(ecoroute.NetworkError, match="attachment names"):
        network.with_attachments(**{"a/b": np.zeros(1)})
