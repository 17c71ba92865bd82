"""Time budgets from coordinates: part-way routes at every price, then the budget rule by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ecoroute

from .conftest import shared_file
from .test_snapping_calls import random_points

QUANTITIES = ("co2_g", "time_s", "distance_m")


@pytest.fixture(scope="module", params=[True, False], ids=["turns", "no_turns"])
def malta(request: pytest.FixtureRequest) -> ecoroute.RoadNetwork:
    return ecoroute.load_osm(shared_file("osm/malta.osm.pbf"), turn_restrictions=request.param)


def price_routers(
    network: ecoroute.RoadNetwork, vehicle: str, prices: np.ndarray, quantity: str = "co2"
) -> list[ecoroute.Router]:
    """One plain static router per price of time: the quantity alone, plus price * time, time."""
    out = []
    for price in prices.tolist():
        if price == 0.0:
            objective: object = quantity
        elif np.isinf(price):
            objective = "time"
        else:
            objective = {quantity: 1.0, "time": price}
        out.append(ecoroute.Router(network, vehicle, objective))  # type: ignore[arg-type]
    return out


def budget_by_hand(frames: list[pd.DataFrame], extra: float, quantity: str = "co2_g") -> np.ndarray:
    """Per pair, the price whose route has the least objective within (1 + extra) x the fastest's."""
    co2 = np.stack([f[quantity].to_numpy() for f in frames])
    time_s = np.stack([f["time_s"].to_numpy() for f in frames])
    limit = (1.0 + extra) * time_s[-1]
    chosen = np.empty(co2.shape[1], dtype=int)
    for i in range(co2.shape[1]):
        best, pick = np.inf, len(frames) - 1
        for k in range(len(frames)):  # the highest price among equal CO2 (the faster)
            if time_s[k, i] <= limit[i] * (1 + 1e-9) and co2[k, i] <= best:
                best, pick = co2[k, i], k
        chosen[i] = pick
    return chosen


@pytest.mark.parametrize(("vehicle", "extra"), [("car_petrol", 0.05), ("car_bev", 0.1)])
def test_budget_routes_from_coordinates_match_static_routers(
    malta: ecoroute.RoadNetwork, vehicle: str, extra: float
) -> None:
    """Tests route_many, matrix and route under a budget against per-price static routers."""
    network = malta
    router = ecoroute.Router(network, vehicle, "co2", max_extra_time=extra)
    prices = router._tradeoff_engines().prices
    statics = price_routers(network, vehicle, prices)
    points = random_points(network, 24, seed=7)
    src, dst = points[:12], points[12:]
    frames = [r.route_many(src, dst, return_paths=True) for r in statics]
    chosen = budget_by_hand(frames, extra)
    assert len(set(chosen.tolist())) > 1  # the budget picks other routes than the fastest

    mine = router.route_many(src, dst, return_paths=True)
    for i, k in enumerate(chosen.tolist()):
        expected = frames[k].iloc[i]
        for name in QUANTITIES:
            assert mine[name].iloc[i] == pytest.approx(expected[name], rel=1e-9, abs=1e-9)
        assert mine["cost"].iloc[i] == pytest.approx(expected["co2_g"], rel=1e-9, abs=1e-9)
        np.testing.assert_array_equal(mine["nodes"].iloc[i], expected["nodes"])
    fastest = frames[-1]
    np.testing.assert_allclose(mine["fastest_time_s"], fastest["time_s"], rtol=1e-12)
    np.testing.assert_allclose(mine["fastest_co2_g"], fastest["co2_g"], rtol=1e-12)
    assert (mine["time_s"] <= (1 + extra) * fastest["time_s"] * (1 + 1e-9)).all()
    # the snapped points, as the static part-way queries report them
    for name in ("source_lat", "source_lon", "target_lat", "source_snap_m", "target_snap_m"):
        np.testing.assert_allclose(mine[name], frames[0][name], rtol=0, atol=1e-12)

    matrix = router.matrix(src, dst)
    diagonal = np.arange(len(src))
    for name in QUANTITIES:
        np.testing.assert_allclose(
            matrix.quantities[name][diagonal, diagonal], mine[name], rtol=1e-9, atol=1e-9
        )
    np.testing.assert_allclose(matrix.cost[diagonal, diagonal], mine["co2_g"], rtol=1e-9)
    np.testing.assert_allclose(matrix.source_lat, frames[0]["source_lat"], atol=1e-12)
    # off the diagonal too: one static matrix per price, the budget rule by hand
    matrices = [r.matrix(src, dst) for r in statics]
    co2 = np.stack([m.co2_g for m in matrices])
    time_s = np.stack([m.time_s for m in matrices])
    limit = (1 + extra) * time_s[-1] * (1 + 1e-9)
    expected_co2 = np.where(time_s <= limit, co2, np.inf).min(axis=0)
    np.testing.assert_allclose(matrix.co2_g, expected_co2, rtol=1e-9, atol=1e-9)

    for i in (0, 5):
        route = router.route(tuple(src[i]), tuple(dst[i]))
        k = int(chosen[i])
        expected_route = statics[k].route(tuple(src[i]), tuple(dst[i]))
        assert route.co2_g == pytest.approx(expected_route.co2_g, rel=1e-9)
        assert route.time_s == pytest.approx(expected_route.time_s, rel=1e-9)
        assert route.source_snap_m == pytest.approx(expected_route.source_snap_m)
        assert route.source_arc == expected_route.source_arc
        assert route.target_arc == expected_route.target_arc
        np.testing.assert_array_equal(route.arcs, expected_route.arcs)
        np.testing.assert_allclose(route.coordinates, expected_route.coordinates, atol=1e-12)
        assert route.fastest_time_s == pytest.approx(fastest["time_s"].iloc[i], rel=1e-12)
        assert route.objective_gap is not None
        assert route.objective_gap >= 0


def test_huge_and_zero_budgets_from_coordinates(malta: ecoroute.RoadNetwork) -> None:
    """Tests that a huge budget gives the eco-route and a zero budget the fastest time."""
    network = malta
    points = random_points(network, 16, seed=11)
    src, dst = points[:8], points[8:]
    eco = ecoroute.Router(network, "car_petrol", "co2").route_many(src, dst)
    fastest = ecoroute.Router(network, "car_petrol", "time").route_many(src, dst)
    huge = ecoroute.Router(network, "car_petrol", max_extra_time=10.0).route_many(src, dst)
    zero = ecoroute.Router(network, "car_petrol", max_extra_time=0.0).route_many(src, dst)
    ok = eco["time_s"] <= 11 * fastest["time_s"]
    assert ok.all()
    np.testing.assert_allclose(huge["co2_g"], eco["co2_g"], rtol=1e-9)
    np.testing.assert_allclose(huge["time_s"], eco["time_s"], rtol=1e-9)
    np.testing.assert_allclose(zero["time_s"], fastest["time_s"], rtol=1e-9)
    assert (zero["co2_g"] <= fastest["co2_g"] * (1 + 1e-9)).all()
    # the same trip starts where it did without a budget
    np.testing.assert_allclose(huge["source_lat"], eco["source_lat"], atol=1e-12)
    np.testing.assert_allclose(huge["source_snap_m"], eco["source_snap_m"], atol=1e-12)


def test_pareto_and_tradeoff_from_coordinates(malta: ecoroute.RoadNetwork) -> None:
    """Tests pareto and tradeoff from coordinates against per-price static part-way routes."""
    network = malta
    router = ecoroute.Router(network, "car_petrol")
    prices = router._tradeoff_engines().prices
    statics = price_routers(network, "car_petrol", prices)
    points = random_points(network, 12, seed=3)
    src, dst = points[:6], points[6:]
    pareto = router.pareto(tuple(src[0]), tuple(dst[0]))
    routes = [r.route(tuple(src[0]), tuple(dst[0])) for r in statics]
    times = sorted({round(r.time_s, 6) for r in routes})
    assert pareto.routes[0].time_s == pytest.approx(routes[-1].time_s, rel=1e-9)
    assert pareto.routes[-1].co2_g == pytest.approx(min(r.co2_g for r in routes), rel=1e-9)
    for route in pareto.routes:
        assert round(route.time_s, 6) in times
        assert route.source_snap_m == pytest.approx(routes[0].source_snap_m)
        assert route.source_lat == pytest.approx(routes[0].source_lat)

    frames = [r.route_many(src, dst) for r in statics]
    table = router.tradeoff(src, dst, budgets=[0.0, 0.05])
    for row in table.itertuples():
        chosen = budget_by_hand(frames, row.max_extra_time)
        expected = sum(frames[k]["co2_g"].iloc[i] for i, k in enumerate(chosen.tolist()))
        assert row.co2_g == pytest.approx(expected, rel=1e-9)


def test_electric_vehicle_budget_with_negative_weights() -> None:
    """Tests an EV's energy budget (price views searched on a potential) against static routers."""
    from .test_ev_potentials import hilly_network

    network = hilly_network(5, node_count=120, edge_count=400)
    extra = 0.2
    router = ecoroute.Router(network, "car_bev", "energy", max_extra_time=extra)
    tradeoff = router._tradeoff_engines()
    assert any(view.node_potential is not None for view in tradeoff.views[1:-1])
    statics = price_routers(network, "car_bev", tradeoff.prices, "energy")
    points = random_points(network, 16, seed=4)
    src, dst = points[:8], points[8:]
    frames = [r.route_many(src, dst, return_paths=True) for r in statics]
    chosen = budget_by_hand(frames, extra, "energy_kwh")
    mine = router.route_many(src, dst, return_paths=True)
    matrix = router.matrix(src, dst)
    for i, k in enumerate(chosen.tolist()):
        expected = frames[k].iloc[i]
        for name in ("energy_kwh", "time_s", "distance_m"):
            assert mine[name].iloc[i] == pytest.approx(expected[name], rel=1e-9, abs=1e-12)
            assert matrix.quantities[name][i, i] == pytest.approx(
                expected[name], rel=1e-9, abs=1e-12
            )
        np.testing.assert_array_equal(mine["nodes"].iloc[i], expected["nodes"])


def test_budget_with_a_departure_from_coordinates_is_refused(
    malta: ecoroute.RoadNetwork,
) -> None:
    """Tests the clear error for a budget with a departure (not combined yet), part-way too."""
    from ecoroute.traffic import HOURS_PER_WEEK, SpeedProfiles

    arcs = np.arange(0, malta.arc_count, 7)
    speed = np.full((arcs.size, HOURS_PER_WEEK), 30.0, dtype=np.float32)
    profiles = SpeedProfiles(arcs=arcs, speed_kph=speed, arc_count=malta.arc_count)
    router = ecoroute.Router(malta, "car_petrol", max_extra_time=0.05, speeds=profiles)
    points = random_points(malta, 2, seed=5)
    for call in (router.route_many, router.matrix):
        with pytest.raises(ValueError, match="cannot be combined"):
            call(points[:1], points[1:], departure=0.0)
    with pytest.raises(ValueError, match="cannot be combined"):
        router.route(tuple(points[0]), tuple(points[1]), departure=0.0)


def test_batch_rows_with_a_budget_start_where_the_point_snapped(
    malta: ecoroute.RoadNetwork,
) -> None:
    """Tests batch rows under a budget (figures and geometry) against Router.route from coordinates."""
    import json

    from ecoroute import batch

    points = random_points(malta, 12, seed=9)
    trips = pd.DataFrame(
        {
            "trip_id": [f"t{i}" for i in range(6)],
            "origin_lat": points[:6, 0],
            "origin_lon": points[:6, 1],
            "destination_lat": points[6:, 0],
            "destination_lon": points[6:, 1],
        }
    )
    result = batch.process_chunk(malta, trips, max_extra_time=0.05, geometry="geojson")
    router = ecoroute.Router(malta, "car_petrol", max_extra_time=0.05)
    for i, row in enumerate(result.itertuples()):
        assert row.status == "ok"
        route = router.route(tuple(points[i]), tuple(points[6 + i]))
        assert row.co2_g == pytest.approx(route.co2_g, rel=1e-12)
        assert row.objective_gap == pytest.approx(route.objective_gap, rel=1e-9, abs=1e-9)
        assert row.origin_snap_lon == pytest.approx(route.source_lon, abs=1e-12)
        line = np.array(json.loads(row.geometry)["coordinates"])
        np.testing.assert_allclose(line, route.coordinates, atol=1e-12)


def test_fleet_plan_with_a_budget_drives_legs_part_way() -> None:
    """
    Tests plan_fleet(max_extra_time=...) from coordinates: every leg equals an independent
    budgeted Router.route between the same coordinates (no load, matrix payload 0), and
    the stops' snap distances are those of the part-way points.
    """
    from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet

    from .fleet_helpers import grid_town
    from .test_fleet_snapping import _grid_points

    network = grid_town(7, side=6)
    rng = np.random.default_rng(7)
    lat, lon = _grid_points(network, rng, 7)
    points = {"D": (lat[0], lon[0])} | {f"S{i}": (lat[i], lon[i]) for i in range(1, 7)}
    depot = Depot("D", lat=float(lat[0]), lon=float(lon[0]))
    stops = [Stop(f"S{i}", lat=float(lat[i]), lon=float(lon[i])) for i in range(1, 7)]
    fleet = [VehicleType("van_diesel", count=2, capacity_kg=500.0, matrix_payload_kg=0.0)]
    plan = plan_fleet(
        network, depot, stops, fleet, max_iterations=100, baselines=(), max_extra_time=0.1
    )
    assert not plan.unassigned
    router = ecoroute.Router(network, "van_diesel", "co2", payload_kg=0.0, max_extra_time=0.1)
    partway = 0
    for route in plan.routes:
        for leg in route.legs:
            expected = router.route(points[leg.origin], points[leg.destination])
            np.testing.assert_array_equal(leg.arcs, expected.arcs)
            for name in ("co2_g", "time_s", "distance_m"):
                assert getattr(leg, name) == pytest.approx(getattr(expected, name), rel=1e-9)
            partway += leg.distance_m < network.length_m[leg.arcs].sum() - 1e-6
    assert partway > 0  # legs really start or end part-way along their arcs
    for visit in plan.visits:
        expected = router.route(points["D"], points[visit.stop])
        assert visit.snap_m == pytest.approx(expected.target_snap_m, rel=1e-9)
