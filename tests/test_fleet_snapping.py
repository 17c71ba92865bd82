"""
Fleet plans snap depots and stops given by coordinates part-way along the road (issue 11).

Oracles: distances worked by hand round a square of 100 m sides, independent
``Router.route`` calls between the same coordinates, and per-arc energies from
the vehicle model cut at fractions found here by plane geometry.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ecoroute
from ecoroute import snapping as S
from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet
from ecoroute.fleet.matrices import Profiles
from ecoroute.fleet.model import resolve_inputs

from .fleet_helpers import forbid_some_turns, grid_town
from .test_snapping import M_PER_DEG, stub_network

D = 100.0 / M_PER_DEG  # 100 m in degrees at the equator
OFF = 3.0 / M_PER_DEG  # 3 m beside a road

# Positions round the square 0 -> 1 -> 2 -> 3 -> 0 (perimeter 400 m), worked by hand:
# the depot, 20 m from the one-way stub 1 -> 4 but 50 m from side 0-1, snaps to that
# side at 80 m; the stops lie 3 m beside sides 1-2 (at 160 m), 2-3 (250 m), 3-0 (370 m).
SQUARE = {
    "D": ((-0.5 * D, 0.8 * D), 80.0, 50.0),
    "S2": ((0.6 * D, D + OFF), 160.0, 3.0),
    "S1": ((D + OFF, 0.5 * D), 250.0, 3.0),
    "S3": ((0.3 * D, -OFF), 370.0, 3.0),
}


def fleet_snap(network: ecoroute.RoadNetwork, point: tuple[float, float]) -> S.Endpoints:
    """A location snapped as fleet plans snap it: onto the largest strongly connected part."""
    return S.resolve_points(network, [point[0]], [point[1]])


def _around(a: float, b: float) -> float:
    """Road distance between two points on the two-way square (the shorter way round)."""
    gap = abs(a - b)
    return min(gap, 400.0 - gap)


def test_a_depot_beside_a_one_way_stub_is_served_part_way() -> None:
    """
    Tests a plan whose depot lies nearest a one-way stub: it snaps part-way onto the square
    (50 m), every stop is served, each leg's distance is the hand-worked distance round
    the square, and its time and CO2 equal an independent ``Router.route`` between the same
    coordinates at the same payload (no load, matrix payload 0).
    """
    network = stub_network()
    depot = Depot("D", lat=SQUARE["D"][0][0], lon=SQUARE["D"][0][1])
    stops = [
        Stop(name, lat=point[0], lon=point[1], demand_kg=0.0)
        for name, (point, _, _) in SQUARE.items()
        if name != "D"
    ]
    fleet = [VehicleType("van_diesel", count=1, capacity_kg=500.0, matrix_payload_kg=0.0)]
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=200, baselines=())
    assert not plan.unassigned
    (route,) = plan.routes
    router = ecoroute.Router(network, "van_diesel", "co2", payload_kg=0.0)
    for leg in route.legs:
        (a, at_a, _), (b, at_b, _) = SQUARE[leg.origin], SQUARE[leg.destination]
        assert leg.distance_m == pytest.approx(_around(at_a, at_b), rel=1e-6)
        # Fleet plans still snap every location onto the largest strongly connected part
        # (Router.route now snaps to the nearest road first, issue 24, which for the depot
        # is the stub): the legs equal the router's routes between those same snaps.
        expected = router.route_many(fleet_snap(network, a), fleet_snap(network, b)).iloc[0]
        assert leg.time_s == pytest.approx(expected.time_s, rel=1e-9)
        assert leg.co2_g == pytest.approx(expected.co2_g, rel=1e-9)
        assert leg.distance_m == pytest.approx(expected.distance_m, rel=1e-9)
    assert route.distance_m == pytest.approx(400.0, rel=1e-6)  # once round the square
    # The snapped points and distances are reported for depots and stops.
    report = plan.report()
    (reported,) = report["depots"]
    assert reported["lat"] == pytest.approx(0.0, abs=1e-9)
    assert reported["lon"] == pytest.approx(0.8 * D, rel=1e-6)
    assert reported["snap_m"] == pytest.approx(50.0, rel=1e-4)
    for visit in plan.visits:
        assert visit.snap_m == pytest.approx(SQUARE[visit.stop][2], rel=1e-3)
        np.testing.assert_allclose(
            (visit.snap_lon, visit.snap_lat), _snapped_lonlat(visit.stop), atol=1e-9
        )
    stops_table = plan.to_dataframe("stops").set_index("stop")
    assert stops_table.loc["S1", "snap_lat"] == pytest.approx(D, rel=1e-9)
    # Leg lines start and end at the snapped points (part-way along the first and last arc).
    lines = [
        f["geometry"]["coordinates"]
        for f in plan.to_geojson()["features"]
        if f["properties"]["kind"] == "leg"
    ]
    for leg, line in zip(route.legs, lines, strict=True):
        start, end = np.array(line[0]), np.array(line[-1])
        np.testing.assert_allclose(start, _snapped_lonlat(leg.origin), atol=1e-9)
        np.testing.assert_allclose(end, _snapped_lonlat(leg.destination), atol=1e-9)
        metres = sum(math.dist(p, q) * M_PER_DEG for p, q in itertools.pairwise(line))
        assert metres == pytest.approx(leg.distance_m, rel=1e-3)


def _snapped_lonlat(name: str) -> tuple[float, float]:
    """The point on the square nearest each place, by hand (lon, lat)."""
    (lat, lon), _, _ = SQUARE[name]
    return (min(max(lon, 0.0), D) if name != "S3" else 0.0, min(max(lat, 0.0), D))


def test_node_ids_stay_exact_nodes() -> None:
    """Tests that a depot given by node id is that node (snap 0), while coordinates snap."""
    network = stub_network()
    depot = Depot("D", node=int(network.node_id[1]))
    stops = [Stop("S1", lat=D + OFF, lon=0.5 * D, demand_kg=0.0)]
    inputs = resolve_inputs(network, depot, stops, [VehicleType("van_diesel")])
    assert inputs.depot_snap_m[0] == 0.0
    assert inputs.location_ends is not None
    assert inputs.location_ends.arc[0] == -1
    assert inputs.location_ends.arc[1] >= 0
    assert inputs.stop_snap_m[0] == pytest.approx(3.0, rel=1e-3)


def _grid_points(network: ecoroute.RoadNetwork, rng: np.random.Generator, count: int):
    """Points exactly on random arcs of the grid (straight arcs), at fractions 0.1-0.9."""
    arcs = rng.choice(network.arc_count, count, replace=False)
    f = rng.uniform(0.1, 0.9, count)
    tail, head = network.tail[arcs], network.head[arcs]
    lat = network.lat[tail] + f * (network.lat[head] - network.lat[tail])
    lon = network.lon[tail] + f * (network.lon[head] - network.lon[tail])
    return lat, lon


def _fraction_on(network: ecoroute.RoadNetwork, arc: int, lat: float, lon: float) -> float:
    """Where a point lies along a straight arc, by plane geometry (0 at its tail)."""
    u, v = int(network.tail[arc]), int(network.head[arc])
    k = math.cos(math.radians(float(network.lat[u])))
    ax, ay = float(network.lon[u]) * k, float(network.lat[u])
    bx, by = float(network.lon[v]) * k, float(network.lat[v])
    px, py = lon * k, lat
    return ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_an_electric_fleet_part_way_on_a_hilly_grid(seed: int) -> None:
    """
    Tests an EV fleet whose depot and stops lie part-way along hilly streets: the solver's
    reduced leg costs (with the potential interpolated along the snapped arcs) are
    non-negative, and every route's replayed charge equals one recomputed here from the
    vehicle model's per-arc energies at each leg's payload, the first arc counted from
    the origin's point on and the last up to the destination's (fractions by geometry).
    """
    network = grid_town(40 + seed, side=6)
    rng = np.random.default_rng(seed)
    lat, lon = _grid_points(network, rng, 9)
    depot = Depot("D", lat=float(lat[0]), lon=float(lon[0]))
    stops = [
        Stop(f"S{i}", lat=float(lat[i]), lon=float(lon[i]), demand_kg=float(rng.integers(20, 150)))
        for i in range(1, 9)
    ]
    battery = 40.0
    fleet = [VehicleType("van_bev", count=3, capacity_kg=600.0, battery_kwh=battery)]

    inputs = resolve_inputs(network, depot, stops, fleet)
    assert inputs.location_ends is not None
    assert inputs.location_ends.partway.all()
    profile = Profiles(network, inputs).profile(0, "co2")
    assert profile.potential is not None
    assert (profile.metric.router.weight < 0).any()  # downhill arcs regenerate
    phi = profile.potential
    reduced = profile.leg_cost + phi[:, None] - phi[None, :]
    scale = float(np.abs(profile.leg_cost[profile.reachable]).max())
    assert (reduced[profile.reachable] >= -1e-9 * scale).all()

    plan = plan_fleet(network, depot, stops, fleet, max_iterations=300, baselines=())
    assert not plan.unassigned
    points = {"D": (lat[0], lon[0])} | {f"S{i}": (lat[i], lon[i]) for i in range(1, 9)}
    vehicle = ecoroute.vehicle("van_bev")
    for route in plan.routes:
        soc = lowest = battery
        for leg in route.legs:
            arcs = leg.arcs.astype(int)
            energy = vehicle.arc_quantities(network, leg.payload_kg, arcs=leg.arcs)["energy_kwh"]
            share = np.ones(arcs.size)
            f = _fraction_on(network, arcs[0], *points[leg.origin])
            g = _fraction_on(network, arcs[-1], *points[leg.destination])
            assert -1e-9 <= f <= 1 + 1e-9  # the origin lies on the first arc
            assert -1e-9 <= g <= 1 + 1e-9  # the destination on the last
            share[0] -= f
            share[-1] -= 1.0 - g
            for e in np.asarray(energy) * share:
                soc = min(battery, soc - e)
                lowest = min(lowest, soc)
            assert leg.soc_end_kwh == pytest.approx(soc, abs=1e-9)
            distance = float((network.length_m[arcs] * share).sum())
            assert leg.distance_m == pytest.approx(distance, rel=1e-9)
        assert route.soc_end_kwh == pytest.approx(soc, abs=1e-9)
        assert route.soc_min_kwh == pytest.approx(lowest, abs=1e-9)


@pytest.mark.parametrize("turn_aware", [False, True])
def test_with_a_departure_legs_run_part_way_as_without(turn_aware: bool) -> None:
    """
    Tests a plan with ``departure=`` in traffic that never changes against the plan without.

    The speeds every hour are the static ones, so the departure-time plan
    (matrices of its start hour, legs replayed by the time-dependent search
    from their real starts) must be the static part-way plan: the same legs,
    starting and ending part-way along the snapped roads, with the same
    quantities and the snapped points' distances as ``snap_m``.
    """
    from ecoroute.traffic import HOURS_PER_WEEK, SpeedProfiles

    network = grid_town(5, side=6)
    turns = forbid_some_turns(network, np.random.default_rng(5))[0] if turn_aware else None
    rng = np.random.default_rng(5)
    lat, lon = _grid_points(network, rng, 5)
    depot = Depot("D", lat=float(lat[0]), lon=float(lon[0]))
    stops = [Stop(f"S{i}", lat=float(lat[i]), lon=float(lon[i])) for i in range(1, 5)]
    speed = np.repeat(network.speed_kph[:, None], HOURS_PER_WEEK, axis=1).astype(np.float32)
    steady = SpeedProfiles(
        arcs=np.arange(network.arc_count), speed_kph=speed, arc_count=network.arc_count,
        congestion=False,
    )  # fmt: skip
    options = {"max_iterations": 100, "baselines": (), "turns": turns}
    fleet = [VehicleType("van_diesel", count=2)]
    static = plan_fleet(network, depot, stops, fleet, **options)
    timed = plan_fleet(
        network.with_speeds(steady), depot, stops, fleet, departure="2024-03-05T00:00", **options
    )
    assert len(timed.routes) == len(static.routes)
    partway = 0
    for got, want in zip(timed.routes, static.routes, strict=True):
        assert len(got.legs) == len(want.legs)
        for a, b in zip(got.legs, want.legs, strict=True):
            assert (a.origin, a.destination) == (b.origin, b.destination)
            np.testing.assert_array_equal(a.arcs, b.arcs)
            for name in ("co2_g", "time_s", "distance_m"):
                assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-6, abs=1e-9)
            partway += a.arcs.size > 0 and a.distance_m < network.length_m[a.arcs].sum() - 1e-6
    assert partway > 0  # legs really start or end part-way along their arcs
    snap = {v.stop: v.snap_m for v in static.visits}
    for visit in timed.visits:
        assert visit.snap_m == pytest.approx(snap[visit.stop], rel=1e-9)


def test_replayed_part_way_legs_equal_independent_departures_in_changing_traffic() -> None:
    """
    Tests that each replayed leg between part-way locations is what ``Router.route`` from
    the same coordinates gives at the leg's start (path and time), in changing traffic.
    """
    from ecoroute import traffic

    network = grid_town(6, side=6)
    rng = np.random.default_rng(6)
    lat, lon = _grid_points(network, rng, 6)
    depot = Depot("D", lat=float(lat[0]), lon=float(lon[0]))
    stops = [Stop(f"S{i}", lat=float(lat[i]), lon=float(lon[i])) for i in range(1, 6)]
    timed = network.with_speeds(traffic.synthetic_profiles(network, fraction=0.6, seed=2))
    plan = plan_fleet(
        timed,
        depot,
        stops,
        [VehicleType("van_diesel", count=2, matrix_payload_kg=0.0)],
        departure="2024-03-05T07:40",  # a Tuesday, into the morning peak
        max_iterations=100,
        baselines=(),
    )
    router = ecoroute.Router(timed, "van_diesel", "co2", payload_kg=0.0)
    where = {"D": (float(lat[0]), float(lon[0]))}
    where.update({f"S{i}": (float(lat[i]), float(lon[i])) for i in range(1, 6)})
    checked = 0
    for route in plan.routes:
        for leg in route.legs:
            expected = router.route(
                where[leg.origin], where[leg.destination], departure=86400.0 + leg.depart_s
            )
            np.testing.assert_array_equal(leg.arcs, expected.arcs)
            assert leg.time_s == pytest.approx(expected.time_s, rel=1e-9)
            assert leg.distance_m == pytest.approx(expected.distance_m, rel=1e-9)
            checked += 1
    assert checked >= 6


def test_potential_at_part_way_points_keeps_a_downhill_leg_non_negative() -> None:
    """
    Tests the interpolated potential where the nearer node's would fail: two stops on the
    most regenerating arc, at 15 % and 40 % of it (both nearer its tail). The leg between
    them regenerates (the direct drive, 25 % of the arc's negative weight, by hand); with
    the potential of the nearer node at both ends its reduced cost would be that negative
    number, with the potential interpolated along the arc it is >= 0.
    """
    network = grid_town(41, side=6)
    router = ecoroute.Router(network, "van_bev", "co2", payload_kg=0.0)
    arc = int(np.argmin(router.weight))
    assert router.weight[arc] < 0
    tail, head = int(network.tail[arc]), int(network.head[arc])

    def on_arc(f: float) -> dict[str, float]:
        return {
            "lat": float(network.lat[tail] + f * (network.lat[head] - network.lat[tail])),
            "lon": float(network.lon[tail] + f * (network.lon[head] - network.lon[tail])),
        }

    depot = Depot("D", node=int(network.node_id[0]))
    stops = [Stop("A", **on_arc(0.15)), Stop("B", **on_arc(0.4))]
    fleet = [VehicleType("van_bev", battery_kwh=40.0, matrix_payload_kg=0.0)]
    inputs = resolve_inputs(network, depot, stops, fleet)
    profile = Profiles(network, inputs).profile(0, "co2")
    assert profile.potential is not None
    leg = profile.leg_cost[1, 2]
    assert leg == pytest.approx(0.25 * router.weight[arc], rel=1e-6)
    phi_node = np.asarray(router.node_potential)[inputs.location_node]
    assert leg + phi_node[1] - phi_node[2] < 0  # the nearer node's potential: negative
    phi = profile.potential
    reduced = profile.leg_cost + phi[:, None] - phi[None, :]
    scale = float(np.abs(profile.leg_cost[profile.reachable]).max())
    assert (reduced[profile.reachable] >= -1e-9 * scale).all()
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=100, baselines=())
    assert not plan.unassigned


def test_turn_aware_legs_from_part_way_points_equal_independent_routes() -> None:
    """
    Tests a turn-aware plan (forbidden turns, intersection costs) whose depot and stops lie
    part-way along streets: every leg's path, time and CO2 (the turns' seconds and pulling
    away included) equal an independent turn-aware ``Router.route`` between the same
    coordinates at the same payload (no load, matrix payload 0), and no leg takes a
    forbidden turn.
    """
    network = grid_town(7, side=7)
    rng = np.random.default_rng(7)
    turns, banned = forbid_some_turns(network, rng)
    lat, lon = _grid_points(network, rng, 9)
    points = {"D": (float(lat[0]), float(lon[0]))} | {
        f"S{i}": (float(lat[i]), float(lon[i])) for i in range(1, 9)
    }
    depot = Depot("D", lat=points["D"][0], lon=points["D"][1])
    stops = [Stop(k, lat=y, lon=x, demand_kg=0.0) for k, (y, x) in points.items() if k != "D"]
    fleet = [VehicleType("van_diesel", count=3, capacity_kg=900, matrix_payload_kg=0)]
    plan = plan_fleet(network, depot, stops, fleet, turns=turns, max_iterations=200, baselines=())
    assert not plan.unassigned
    router = ecoroute.Router(network, "van_diesel", "co2", payload_kg=0, turns=turns)
    checked = 0
    for route in plan.routes:
        for leg in route.legs:
            expected = router.route(points[leg.origin], points[leg.destination])
            np.testing.assert_array_equal(leg.arcs, expected.arcs)
            assert leg.time_s == pytest.approx(expected.time_s, rel=1e-9)
            assert leg.co2_g == pytest.approx(expected.co2_g, rel=1e-9)
            assert leg.distance_m == pytest.approx(expected.distance_m, rel=1e-9)
            assert not any((a, b) in banned for a, b in itertools.pairwise(leg.arcs.tolist()))
            checked += 1
    assert checked == len(stops) + len(plan.routes)  # every leg


def test_the_snapping_limit_applies_per_plan() -> None:
    """Tests a stop 50 m from the square: served by default, refused by name within 20 m."""
    network = stub_network()
    depot = Depot("D", lat=0.5 * D, lon=-OFF)  # 3 m beside side 3-0
    stop = Stop("far", lat=0.5 * D, lon=1.5 * D, demand_kg=0.0)  # 50 m beside side 1-2
    fleet = [VehicleType("van_diesel", count=1)]
    plan = plan_fleet(network, depot, [stop], fleet, max_iterations=50, baselines=())
    assert plan.visits[0].snap_m == pytest.approx(50.0, rel=1e-3)
    with pytest.raises(ecoroute.FleetInputError, match="far"):
        plan_fleet(network, depot, [stop], fleet, max_snap_m=20.0, baselines=())
    for bad in (-1.0, math.nan, "20"):
        with pytest.raises(ValueError, match="max_snap_m"):
            plan_fleet(network, depot, [stop], fleet, max_snap_m=bad, baselines=())  # type: ignore[arg-type]
