"""
Snapping as OSRM does it (issue 24): the nearest road first, the largest part's when that cannot reach.

One hand-made map near the equator (x east, y north, metres): a two-way square
1 (0, 0), 2 (200, 0), 3 (200, 200), 4 (0, 200); a one-way stub 2 -> 7 (300, 0)
whose end cannot be left; an island road 5 (-40, 50) - 6 (-40, 150), joined to
nothing. The points and where they snap, worked out by hand:

- P (-30, 100): 10 m from the island (its middle), 30 m from side 4-1 (y = 100);
- R (-30, 60): 10 m from the island (y = 60), 30 m from side 4-1 (y = 60);
- S (100, -5): 5 m from side 1-2 (x = 100), on the largest part already;
- Q (280, 5): 5 m from the stub (80 m along it), 80 m from side 2-3 (y = 5).

Every expected distance below is a sum of straight pieces along those roads
(at the equator a metre of latitude and of longitude are the same length). OSM
stores coordinates to 1e-7 degrees (1.1 cm), so hand metres and the loader's
lengths agree to :data:`HAND_M` (the 400 m square measures 399.991 m).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ecoroute
from ecoroute import batch

from .osm_helpers import write_osm
from .test_snapping import M_PER_DEG

#: How close hand-worked metres come to the loaded map's (coordinates rounded to 1e-7 degree).
HAND_M = 0.02

POINTS = {"P": (-30.0, 100.0), "R": (-30.0, 60.0), "S": (100.0, -5.0), "Q": (280.0, 5.0)}
NAMES = list(POINTS)

#: Road distance between the points by OSRM's rule, and which ends moved (bits:
#: 1 the source, 2 the target), by hand. P, R: the island (or, moved, side 4-1 at
#: the same y); Q: the stub at 80 m (or, moved, side 2-3 at 5 m above node 2).
EXPECTED = {
    ("P", "R"): (40.0, 0),  # along the island road
    ("P", "S"): (200.0, 1),  # P moved: 100 m down side 4-1, 100 m along 1-2
    ("P", "Q"): (380.0, 1),  # P moved: 100 + 200 + 80 m down the stub
    ("R", "P"): (40.0, 0),
    ("R", "S"): (160.0, 1),  # 60 + 100
    ("R", "Q"): (340.0, 1),  # 60 + 200 + 80
    ("S", "P"): (200.0, 2),  # P moved (as a target)
    ("S", "R"): (160.0, 2),
    ("S", "Q"): (180.0, 0),  # 100 m to node 2, 80 m down the stub: the stub is reached
    ("Q", "P"): (305.0, 3),  # neither move alone joins: 5 + 200 + 100
    ("Q", "R"): (265.0, 3),  # 5 + 200 + 60
    ("Q", "S"): (105.0, 1),  # Q moved: 5 m down side 2-3, 100 m along 1-2
}

#: Snap distances: nearest, and on the largest part (metres).
SNAP_M = {"P": (10.0, 30.0), "R": (10.0, 30.0), "S": (5.0, 5.0), "Q": (5.0, 80.0)}


def _lat_lon(x_m: float, y_m: float) -> tuple[float, float]:
    return (y_m / M_PER_DEG, x_m / M_PER_DEG)


@pytest.fixture(scope="module")
def island_map(tmp_path_factory: pytest.TempPathFactory) -> ecoroute.RoadNetwork:
    spots = {1: (0, 0), 2: (200, 0), 3: (200, 200), 4: (0, 200), 5: (-40, 50), 6: (-40, 150)}
    spots[7] = (300, 0)
    nodes = [(i, *_lat_lon(x, y)) for i, (x, y) in spots.items()]
    road = {"highway": "residential", "maxspeed": "30"}
    ways = {
        10: ([1, 2, 3, 4, 1], road),
        11: ([2, 7], {**road, "oneway": "yes"}),
        12: ([5, 6], road),
    }
    path = write_osm(tmp_path_factory.mktemp("island") / "island.osm", nodes, ways)
    return ecoroute.load_osm(path, simplify=False, largest_component=False, progress=False)


def point(name: str) -> tuple[float, float]:
    return _lat_lon(*POINTS[name])


def expected_kinds(code: int) -> tuple[str, str]:
    return (
        "largest_part" if code & 1 else "nearest",
        "largest_part" if code & 2 else "nearest",
    )


@pytest.mark.parametrize(("source", "target"), list(EXPECTED))
def test_route_uses_the_nearest_road_and_falls_back_only_when_it_cannot_reach(
    island_map: ecoroute.RoadNetwork, source: str, target: str
) -> None:
    """Tests every pair's distance, snap distances and snap kinds against the hand-worked map."""
    distance_m, code = EXPECTED[source, target]
    route = ecoroute.Router(island_map, "car_petrol", "distance").route(
        point(source), point(target)
    )
    assert route.distance_m == pytest.approx(distance_m, abs=HAND_M)
    assert (route.source_snap_kind, route.target_snap_kind) == expected_kinds(code)
    assert route.source_snap_m == pytest.approx(SNAP_M[source][code & 1], abs=HAND_M)
    assert route.target_snap_m == pytest.approx(SNAP_M[target][(code & 2) >> 1], abs=HAND_M)


def test_a_point_on_the_largest_part_is_not_moved(island_map: ecoroute.RoadNetwork) -> None:
    """Tests that where both snaps are the same road nothing changes: S to S is 0 m, nearest."""
    router = ecoroute.Router(island_map, "car_petrol", "distance")
    route = router.route(point("S"), point("S"))
    assert route.distance_m == 0.0
    assert (route.source_snap_kind, route.target_snap_kind) == ("nearest", "nearest")
    by_id = router.route(1, 3)  # node ids: nothing is snapped
    assert (by_id.source_snap_kind, by_id.target_snap_kind) == ("node", "node")
    assert by_id.distance_m == pytest.approx(400.0, abs=4 * HAND_M)


def test_no_fallback_joins_the_island_from_node_ids(island_map: ecoroute.RoadNetwork) -> None:
    """Tests that a node id is never moved: from node 5 (the island) to node 1 there is no route."""
    router = ecoroute.Router(island_map, "car_petrol", "distance")
    with pytest.raises(ecoroute.NoRouteError, match="No route from node 5 to node 1"):
        router.route(5, 1)
    with pytest.raises(ecoroute.NoRouteError):
        router.route(5, point("S"))  # the target on the largest part, the source kept


def test_matrix_and_route_many_equal_single_routes_cell_by_cell(
    island_map: ecoroute.RoadNetwork,
) -> None:
    """Tests the 4 x 4 matrix and route_many of all 16 pairs against the hand-worked table."""
    router = ecoroute.Router(island_map, "car_petrol", "distance")
    coordinates = [point(n) for n in NAMES]
    matrix = router.matrix(coordinates, coordinates)
    frame = router.route_many(
        [point(a) for a in NAMES for _ in NAMES], [point(b) for _ in NAMES for b in NAMES]
    )
    table = matrix.to_frame()
    for i, a in enumerate(NAMES):
        for j, b in enumerate(NAMES):
            distance_m, code = EXPECTED.get((a, b), (0.0, 0))
            assert matrix.distance_m[i, j] == pytest.approx(distance_m, abs=HAND_M)
            assert matrix.snap_fallback is not None
            assert matrix.snap_fallback[i, j] == code
            row = frame.iloc[4 * i + j]
            assert row.distance_m == pytest.approx(distance_m, abs=HAND_M)
            assert (row.source_snap_kind, row.target_snap_kind) == expected_kinds(code)
            single = router.route(point(a), point(b))
            assert (single.source_lat, single.source_lon) == pytest.approx(
                (row.source_lat, row.source_lon), abs=1e-12
            )
            assert (single.target_lat, single.target_lon) == pytest.approx(
                (row.target_lat, row.target_lon), abs=1e-12
            )
            cell = table.iloc[4 * i + j]
            for column in ("source_lat", "source_lon", "target_snap_m", "source_snap_m"):
                assert cell[column] == pytest.approx(row[column], abs=1e-9)
            assert (cell.source_snap_kind, cell.target_snap_kind) == expected_kinds(code)
    assert matrix.source_moved.tolist() == [True, True, False, True]
    assert matrix.target_moved.tolist() == [True, True, False, False]
    # The matrix reports the nearest snaps per point.
    np.testing.assert_allclose(matrix.source_snap_m, [SNAP_M[n][0] for n in NAMES], atol=HAND_M)


def test_time_budget_goes_through_the_same_fallback(island_map: ecoroute.RoadNetwork) -> None:
    """Tests a router with a time budget: its routes, pairs and matrix fall back alike."""
    router = ecoroute.Router(island_map, "car_petrol", "co2", max_extra_time=0.1)
    plain = ecoroute.Router(island_map, "car_petrol", "co2")
    coordinates = [point(n) for n in NAMES]
    matrix = router.matrix(coordinates, coordinates)
    expected = plain.matrix(coordinates, coordinates)
    # One road class everywhere: the least-CO2 route within the budget is the plain one.
    np.testing.assert_allclose(matrix.co2_g, expected.co2_g, rtol=1e-9)
    np.testing.assert_array_equal(matrix.snap_fallback, expected.snap_fallback)
    route = router.route(point("Q"), point("P"))
    assert (route.source_snap_kind, route.target_snap_kind) == ("largest_part", "largest_part")
    assert route.co2_g == pytest.approx(expected.co2_g[3, 0], rel=1e-9)
    assert route.distance_m == pytest.approx(305.0, abs=HAND_M)


def test_snap_limit_keeps_the_nearest_when_the_largest_part_is_too_far(
    island_map: ecoroute.RoadNetwork,
) -> None:
    """
    Tests max_snap_m: between the two snaps' distances, the largest part's is not used, so P
    (10 m from the island, 30 m from the square) cannot reach S; below both it is a SnapError.
    """
    router = ecoroute.Router(island_map, "car_petrol", "distance")
    with pytest.raises(ecoroute.NoRouteError):
        router.route(point("P"), point("S"), max_snap_m=20.0)
    assert router.route(point("P"), point("S"), max_snap_m=40.0).distance_m == pytest.approx(
        200.0, abs=HAND_M
    )
    with pytest.raises(ecoroute.SnapError, match="source"):
        router.route(point("P"), point("S"), max_snap_m=5.0)
    frame = router.route_many([point("P")], [point("S")], max_snap_m=20.0)
    assert not frame["reachable"].iloc[0]
    assert frame["source_snap_kind"].iloc[0] == "nearest"


def test_batch_rows_equal_single_routes_with_the_fallback(
    island_map: ecoroute.RoadNetwork,
) -> None:
    """Tests a batch chunk of every pair: each row equals Router.route between its points."""
    pairs = list(EXPECTED)
    trips = pd.DataFrame(
        {
            "trip_id": [f"{a}{b}" for a, b in pairs],
            "origin_lat": [point(a)[0] for a, _ in pairs],
            "origin_lon": [point(a)[1] for a, _ in pairs],
            "destination_lat": [point(b)[0] for _, b in pairs],
            "destination_lon": [point(b)[1] for _, b in pairs],
        }
    )
    result = batch.process_chunk(island_map, trips, vehicle="car_petrol", objective="co2")
    router = ecoroute.Router(island_map, "car_petrol", "co2")
    for row, (a, b) in zip(result.itertuples(), pairs, strict=True):
        route = router.route(point(a), point(b))
        assert row.status == "ok"
        assert row.co2_g == pytest.approx(route.co2_g, rel=1e-9)
        assert row.distance_m == pytest.approx(EXPECTED[a, b][0], abs=HAND_M)
        assert row.origin_snap_m == pytest.approx(route.source_snap_m, rel=1e-9)
        assert (row.destination_snap_lat, row.destination_snap_lon) == pytest.approx(
            (route.target_lat, route.target_lon), abs=1e-12
        )
    assert np.isfinite(result["fastest_time_s"]).all()


def test_departures_go_through_the_same_fallback(island_map: ecoroute.RoadNetwork) -> None:
    """
    Tests routes, pairs (per-pair departures, on the hour's metric and time-dependent) and a
    matrix with departure=: steady speeds, so every time equals the static router's (to the
    float32 precision profiles store speeds in).
    """
    from .test_traffic_snapping import steady_profiles

    timed = ecoroute.Router(island_map, "car_petrol", "time", speeds=steady_profiles(island_map))
    static = ecoroute.Router(island_map, "car_petrol", "time")
    coordinates = [point(n) for n in NAMES]
    expected = static.matrix(coordinates, coordinates)
    matrix = timed.matrix(coordinates, coordinates, departure=8 * 3600.0)
    np.testing.assert_allclose(matrix.time_s, expected.time_s, rtol=1e-6)
    np.testing.assert_array_equal(matrix.snap_fallback, expected.snap_fallback)
    sources = [point(a) for a in NAMES for _ in NAMES]
    targets = [point(b) for _ in NAMES for b in NAMES]
    hours = 3600.0 * np.arange(16)  # one departure per pair, each in its own hour
    for exact in (False, True):
        frame = timed.route_many(sources, targets, departure=hours, time_dependent=exact)
        np.testing.assert_allclose(frame["time_s"], expected.time_s.ravel(), rtol=1e-6)
        np.testing.assert_array_equal(
            frame["source_snap_kind"], expected.to_frame()["source_snap_kind"]
        )
    route = timed.route(point("Q"), point("P"), departure=8 * 3600.0)
    assert (route.source_snap_kind, route.target_snap_kind) == ("largest_part", "largest_part")
    assert route.time_s == pytest.approx(expected.time_s[3, 0], rel=1e-6)
