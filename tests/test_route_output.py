"""What a Route gives back: nodes, geometry, GeoJSON, GeoDataFrame, snapping."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute._geo import haversine_m


@pytest.fixture(scope="module")
def tiny(tiny_osmnx):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ecoroute.RoadNetwork.from_osmnx(tiny_osmnx)


def test_route_fields_on_tiny_network(tiny):
    """
    Tests a hand-checkable route: 1 -> 5 by distance must go 1-2-4-5
    (110.6 + 111.2 + 110.6 m), since 3 -> 5 is 111.2 m too but 1-2-3 is
    110.6 + 110.6 and 3->5 111.2: both 332.4 m; time breaks the tie.
    """
    router = ecoroute.Router(tiny, objective="distance")
    route = router.route(1, 5)
    expected = haversine_m(60.17, 24.94, 60.17, 24.942) * 2 + haversine_m(
        60.17, 24.942, 60.171, 24.942
    )
    assert route.distance_m == pytest.approx(expected, rel=2e-3)
    assert route.nodes[0] == 1
    assert route.nodes[-1] == 5
    assert route.co2_g > 0
    assert route.fuel_l is not None
    assert route.fuel_l > 0
    assert route.energy_kwh is None


def test_geometry_follows_shape_points_and_end_nodes(aguascalientes_osmnx):
    """Tests that the LineString starts and ends at the end nodes and its length matches distance_m."""
    network = ecoroute.RoadNetwork.from_osmnx(aguascalientes_osmnx)
    router = ecoroute.Router(network, objective="time")
    rng = np.random.default_rng(0)
    for s, t in rng.choice(network.node_id, (10, 2)):
        try:
            route = router.route(int(s), int(t))
        except ecoroute.NoRouteError:
            continue
        coords = np.asarray(route.geometry.coords)
        i, j = network.node_index([s, t])
        assert_allclose(coords[0], [network.lon[i], network.lat[i]])
        assert_allclose(coords[-1], [network.lon[j], network.lat[j]])
        along = haversine_m(coords[:-1, 1], coords[:-1, 0], coords[1:, 1], coords[1:, 0]).sum()
        assert along == pytest.approx(route.distance_m, rel=0.01)


def test_to_geojson_is_valid_json_with_properties(tiny):
    route = ecoroute.Router(tiny).route(1, 3)
    feature = json.loads(json.dumps(route.to_geojson()))
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"][0] == [24.94, 60.17]
    assert feature["properties"]["co2_g"] == pytest.approx(route.co2_g)
    assert feature["properties"]["nodes"][0] == 1


def test_to_gdf_rows_sum_to_route_totals(tiny):
    pytest.importorskip("geopandas")
    route = ecoroute.Router(tiny, objective="time").route(1, 5)
    frame = route.to_gdf()
    assert len(frame) == len(route.arcs)
    assert frame["co2_g"].sum() == pytest.approx(route.co2_g)
    assert frame["length_m"].sum() == pytest.approx(route.distance_m)
    assert frame.crs.to_epsg() == 4326
    assert frame["u"].iloc[0] == 1


def test_coordinates_are_snapped_with_distance(tiny):
    """
    Tests (lat, lon) endpoints: snapped to the nearest point of the nearest road (the route
    starts there, part-way along road 1-2), snap distance reported. Node 5 has no way out
    (one-way roads into it): routes to a point there end there, on the nearest road, but
    routes from it fall back to the nearest road a vehicle can leave and come back to
    (issue 24): the 2-4 road, 111 m to the west, at its end node 4.
    """
    router = ecoroute.Router(tiny, objective="time")
    route = router.route((60.17003, 24.9401), (60.1710, 24.9421))
    assert route.nodes[0] == 1
    # The target lies on the one-way primary 4 -> 5, 5 % of the way along: driven to there.
    assert route.nodes[-2:].tolist() == [4, 5]
    assert route.target_snap_m == pytest.approx(0.0, abs=1e-6)
    assert route.target_arc == int(route.arcs[-1])
    assert route.target_snap_kind == "nearest"
    stub = router.route((60.17003, 24.9401), (60.1710, 24.9440))
    assert stub.nodes[-1] == 5
    assert stub.target_snap_m == pytest.approx(0.0, abs=1e-6)
    away = router.route((60.1710, 24.9440), (60.17003, 24.9401))
    assert away.source_snap_kind == "largest_part"
    assert away.nodes[0] == 4
    assert away.source_snap_m == pytest.approx(
        haversine_m(60.171, 24.944, 60.171, 24.942), rel=1e-6
    )
    assert route.source_snap_m == pytest.approx(
        haversine_m(60.17003, 24.9401, 60.17, 24.9401), rel=1e-6
    )
    assert (route.source_lat, route.source_lon) == pytest.approx((60.17, 24.9401), abs=1e-9)
    assert route.coordinates[0].tolist() == pytest.approx([24.9401, 60.17], abs=1e-9)
    frame = router.route_many([(60.17003, 24.9401)], [(60.1710, 24.9441)])
    assert frame["source"].tolist() == [1]
    assert frame["source_snap_m"].iloc[0] == pytest.approx(route.source_snap_m)


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        (12345, ecoroute.UnknownNodeError, "Node 12345 is not in the road network"),
        ((math.nan, 24.9), ValueError, "lat is NaN"),
        ((60.1, 200.0), ValueError, "lon must be <= 180"),
        (1.5, TypeError, "integer node ids"),
        ("1", TypeError, "node ids"),
    ],
)
def test_bad_endpoints_raise_clear_errors(tiny, source, error, match):
    router = ecoroute.Router(tiny)
    with pytest.raises(error, match=match):
        router.route(source, 3)


def test_route_many_length_mismatch(tiny):
    with pytest.raises(ValueError, match="same length"):
        ecoroute.Router(tiny).route_many([1, 2], [3])


def test_far_off_coordinates_are_refused_with_the_distance(tiny):
    """
    Tests the snapping limit (issue 11): (0, 0) and swapped coordinates are errors that say
    how far they are and what the limit is; max_snap_m=inf lifts the limit.
    """
    router = ecoroute.Router(tiny, objective="time")
    with pytest.raises(ecoroute.SnapError, match=r"source 0 at \(lat 0\.0+, lon 0\.0+\) is .* m"):
        router.route((0.0, 0.0), (60.1710, 24.9421))
    with pytest.raises(ecoroute.SnapError, match="swapped"):
        router.route((24.9401, 60.17003), (60.1710, 24.9421))
    with pytest.raises(ecoroute.SnapError, match="targets"):
        router.route_many([(60.17003, 24.9401)], [(10.0, 10.0)])
    anywhere = ecoroute.Router(tiny, objective="time", max_snap_m=math.inf)
    route = anywhere.route((60.0, 24.9401), (60.1710, 24.9421))
    assert route.source_snap_m == pytest.approx(
        haversine_m(60.0, 24.9401, route.source_lat, route.source_lon), rel=1e-6
    )
    assert route.source_snap_m > 18_000
    with pytest.raises(ValueError, match="max_snap_m"):
        ecoroute.Router(tiny, max_snap_m=0)
