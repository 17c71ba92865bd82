"""
Departure-time-aware fleet plans (issue 12): legs replayed at the hours they are driven in.

Oracles: the static plan (a profile that never changes must change nothing),
independent ``Router.route(departure=...)`` calls for every replayed leg, a
static network whose speeds are the profile's (uniform) speeds, and a
hand-computed leg that crosses into a slow hour.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute import traffic
from ecoroute._errors import FleetInputError, FleetPlanWarning
from ecoroute.fleet import Depot, Stop, VehicleType, evaluate_routes, plan_fleet, read_fleet
from ecoroute.traffic import HOURS_PER_WEEK, SpeedProfiles

from .fleet_helpers import (
    depot_at,
    forbid_some_turns,
    grid_town,
    node_point,
    on_node_ids,
    random_stops,
)

ITERATIONS = 400


def constant_profiles(network: ecoroute.RoadNetwork, factor: float = 1.0) -> SpeedProfiles:
    """Every arc at ``factor`` x its free-flow speed at every hour of the week."""
    speed = np.repeat(network.speed_kph[:, None] * factor, HOURS_PER_WEEK, axis=1)
    return SpeedProfiles(
        arcs=np.arange(network.arc_count, dtype=np.uint32),
        speed_kph=speed.astype(np.float32),
        arc_count=network.arc_count,
        congestion=False,
    )


def town_instance(seed: int) -> tuple[ecoroute.RoadNetwork, Depot, list[Stop]]:
    network = grid_town(seed, side=7)
    stops = random_stops(network, np.random.default_rng(seed), 10)
    return network, depot_at(network, 0), stops


@pytest.mark.parametrize("vehicle", ["van_diesel", "van_bev"])
def test_a_constant_profile_plans_exactly_as_without_traffic(vehicle: str) -> None:
    """
    Tests that a profile equal to the free-flow speeds at every hour gives the static plan:
    the same routes, times, CO2 and schedule (to the float32 precision of the
    time-dependent search's per-hour arc times).
    """
    network, depot, stops = town_instance(3)
    fleet = [VehicleType(vehicle, count=3, capacity_kg=900)]
    static = plan_fleet(network, depot, stops, fleet, max_iterations=ITERATIONS, baselines=())
    timed = plan_fleet(
        network.with_speeds(constant_profiles(network)),
        depot,
        stops,
        fleet,
        departure="2024-03-04T00:00",  # a Monday; no shift starts later than midnight
        max_iterations=ITERATIONS,
        baselines=(),
    )
    assert [r.stops for r in timed.routes] == [r.stops for r in static.routes]
    for a, b in zip(timed.routes, static.routes, strict=True):
        assert_allclose(a.start_s, b.start_s)
        assert_allclose(a.end_s, b.end_s, rtol=1e-6)
        for x, y in zip(a.legs, b.legs, strict=True):
            assert_array_equal(x.arcs, y.arcs)
            assert_allclose(x.time_s, y.time_s, rtol=1e-6)
            assert_allclose(x.arrive_s, y.arrive_s, rtol=1e-6)
            assert_allclose(x.co2_g, y.co2_g, rtol=1e-9)
    assert timed.solver["departure"]["basis"] == "start hour"
    assert "departure" not in static.solver
    # Profiles on the network but no departure: the static plan, untouched by traffic.
    carried = plan_fleet(
        network.with_speeds(traffic.synthetic_profiles(network, fraction=1.0)),
        depot,
        stops,
        fleet,
        max_iterations=ITERATIONS,
        baselines=(),
    )
    assert "departure" not in carried.solver
    assert [r.stops for r in carried.routes] == [r.stops for r in static.routes]
    assert carried.totals["co2_g"] == static.totals["co2_g"]
    assert carried.totals["time_s"] == static.totals["time_s"]


@pytest.mark.parametrize(
    ("departure", "bases"),
    [
        # into the morning peak: the start hour's plan is late, the slowest hours' is not
        ("2024-03-05T06:40", ["start hour", "slowest hours"]),
        # leaving in the peak: the mix plan is late, the mix with cautious times is kept
        (
            "2024-03-05T08:50",
            ["start hour", "driving-time mix of hours", "mix costs, start-hour times"],
        ),
    ],
)
def test_replayed_legs_equal_independent_time_dependent_routes(
    departure: str, bases: list[str]
) -> None:
    """
    Tests that every replayed leg is what ``Router.route(departure=leg start)`` gives for it:
    the same path and the same travel time, with each leg leaving when the previous ended;
    and that the plan kept is the best of the solves whose replay keeps its windows.
    """
    network, depot, stops = town_instance(5)
    profiles = traffic.synthetic_profiles(network, fraction=0.6, seed=1)
    network = network.with_speeds(profiles)
    fleet = [VehicleType("van_diesel", count=3, capacity_kg=900, matrix_payload_kg=300)]
    plan = plan_fleet(
        network,
        depot,
        stops,
        fleet,
        departure=departure,  # a Tuesday
        max_iterations=ITERATIONS,
        baselines=(),
    )
    day_s = 86400.0  # Tuesday 00:00
    router = ecoroute.Router(network.prepared(), "van_diesel", "co2", payload_kg=300)
    node_of = {s.id: s for s in stops}
    checked = 0
    earliest = float(departure[-5:-3]) * 3600 + float(departure[-2:]) * 60
    for route in plan.routes:
        assert route.start_s >= earliest
        for k, leg in enumerate(route.legs):
            source, target = (
                int(network.node_id[_nearest(network, depot if name == "D" else node_of[name])])
                for name in (leg.origin, leg.destination)
            )
            expected = router.route(source, target, departure=day_s + leg.depart_s)
            assert_array_equal(leg.arcs, expected.arcs)
            assert_allclose(leg.time_s, expected.time_s, rtol=1e-9)
            assert_allclose(leg.arrive_s, leg.depart_s + expected.time_s, rtol=1e-12)
            if k:
                before = route.legs[k - 1]
                assert leg.depart_s >= before.arrive_s - 1e-6
            checked += 1
    assert checked >= 10
    # The kept solve keeps its time limits in the replay and is the best of those that do.
    info = plan.solver["departure"]
    assert [r["basis"] for r in info["solves"]] == bases
    kept = info["solves"][info["chosen"]]
    assert kept["time_violations"] == 0
    assert_allclose(kept["objective"], sum(r.co2_g for r in plan.routes), rtol=1e-9)
    for other in info["solves"]:
        if other["time_violations"] == 0 and other["stops_served"] == kept["stops_served"]:
            assert kept["objective"] <= other["objective"] + 1e-9


def _nearest(network: ecoroute.RoadNetwork, place: Stop | Depot) -> int:
    assert place.lat is not None
    assert place.lon is not None
    return int(np.argmin((network.lat - place.lat) ** 2 + (network.lon - place.lon) ** 2))


def test_uniformly_slower_hours_score_like_a_slower_static_network() -> None:
    """
    Tests the replay's emissions: with every arc at 0.6 x its speed at every hour (no
    congestion scaling), the plan's routes score exactly as the same routes evaluated on a
    static network whose speeds are 0.6 x the free-flow speeds.
    """
    network, depot, stops = town_instance(7)
    fleet = [VehicleType("van_diesel", count=3, capacity_kg=900)]
    timed = plan_fleet(
        network.with_speeds(constant_profiles(network, 0.6)),
        depot,
        stops,
        fleet,
        departure=0,
        max_iterations=ITERATIONS,
        baselines=(),
    )
    slow = ecoroute.RoadNetwork.from_arrays(
        network.tail,
        network.head,
        network.length_m,
        network.speed_kph * 0.6,
        network.lat,
        network.lon,
        grade=network.grade,
        elevation_m=network.elevation_m,
        node_id=network.node_id,
    )
    given = [(r.vehicle_type, list(r.stops)) for r in timed.routes]
    static = evaluate_routes(
        slow, depot, stops, fleet, given, start_s=[r.start_s for r in timed.routes]
    )
    for a, b in zip(timed.routes, static.routes, strict=True):
        for x, y in zip(a.legs, b.legs, strict=True):
            assert_array_equal(x.arcs, y.arcs)
            assert_allclose(x.time_s, y.time_s, rtol=1e-6)
            assert_allclose(x.co2_g, y.co2_g, rtol=1e-6)
            assert_allclose(x.fuel_l, y.fuel_l, rtol=1e-6)


def slow_from_eight() -> tuple[ecoroute.RoadNetwork, Depot, Stop]:
    """
    Depot -> 10 km -> 10 km -> stop, two-way, 60 km/h until Monday 08:00, then 10 km/h.
    """
    tail = [0, 1, 1, 2]
    head = [1, 0, 2, 1]
    network = ecoroute.RoadNetwork.from_arrays(
        tail,
        head,
        [10_000.0] * 4,
        [60.0] * 4,
        lat=[60.0, 60.09, 60.18],
        lon=[24.0] * 3,
        node_id=[1, 2, 3],
    )
    speed = np.full((4, HOURS_PER_WEEK), 60.0, dtype=np.float32)
    speed[:, 8:24] = 10.0  # Monday 08:00-24:00
    profiles = SpeedProfiles(
        arcs=np.arange(4, dtype=np.uint32), speed_kph=speed, arc_count=4, congestion=False
    )
    depot = Depot("D", **node_point(network, 0))
    stop = Stop("S", **node_point(network, 2), demand_kg=100.0, time_window=(0.0, 8.25 * 3600))
    return network.with_speeds(profiles), depot, stop


def test_a_leg_crossing_into_a_slow_hour_arrives_later_by_hand() -> None:
    """
    Tests a hand-computed leg: leaving at 07:45, the first 10 km take 10 min; the second arc
    is entered at 07:55, 5 km at 60 km/h reach 08:00, the last 5 km at 10 km/h take 30 min:
    arrival 08:30, 15 min after the window closes at 08:15. The start hour's matrix (20 min)
    says 08:05.
    """
    network, depot, stop = slow_from_eight()
    fleet = [VehicleType("van_diesel", count=1)]
    plan = evaluate_routes(
        network, depot, [stop], fleet, [("van_diesel", ["S"])], departure="2024-03-04T07:45"
    )
    (route,) = plan.routes
    first = route.legs[0]
    assert_allclose(first.depart_s, 7.75 * 3600)
    assert_allclose(first.arrive_s, 8.5 * 3600, rtol=1e-9)
    assert_allclose(first.late_s, 15 * 60, rtol=1e-6)
    assert [v.constraint for v in plan.violations] == ["time_window"]
    # Back home from 08:30 on: 20 km at 10 km/h.
    assert_allclose(route.legs[1].time_s, 2 * 3600, rtol=1e-9)


def test_a_plan_that_the_replay_makes_late_is_solved_again_on_the_slowest_hours() -> None:
    """
    Tests the documented rescheduling: planned on the 07:00 matrix the stop fits its window;
    the replay arrives late; the second solve, on the slowest of the hours covered, sees
    that the window cannot be met and leaves the stop out, so no violation is reported.
    """
    network, depot, stop = slow_from_eight()
    fleet = [VehicleType("van_diesel", count=1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FleetPlanWarning)
        plan = plan_fleet(
            network,
            depot,
            [stop],
            fleet,
            departure="2024-03-04T07:45",
            max_iterations=100,
            baselines=(),
        )
    info = plan.solver["departure"]
    assert info["first_round"]["time_violations"] == 1
    assert info["rounds"] == 2
    assert info["start_hours"] == [7]
    assert info["slowest_of_hours"][0] >= 2
    assert plan.violations == ()
    assert [u.stop for u in plan.unassigned] == ["S"]
    # Leaving at 03:00 instead, the whole day is fast: one solve, the stop served on time.
    early = plan_fleet(network, depot, [stop], fleet, departure=3 * 3600, max_iterations=100)
    assert early.solver["departure"]["rounds"] == 1
    assert [r.stops for r in early.routes] == [("S",)]
    assert early.violations == ()
    # The baselines are planned and replayed in the same traffic.
    assert set(early.baselines) == {"distance", "time"}
    for baseline in early.baselines.values():
        assert_allclose(baseline.routes[0].legs[0].time_s, 20 * 60, rtol=1e-6)


def test_departure_inputs_are_checked() -> None:
    network, depot, stop = slow_from_eight()
    bare = ecoroute.RoadNetwork.from_arrays(
        network.tail,
        network.head,
        network.length_m,
        network.speed_kph,
        network.lat,
        network.lon,
        node_id=network.node_id,
    )
    fleet = [VehicleType("van_diesel")]
    with pytest.raises(FleetInputError, match="needs hour-of-week speeds"):
        plan_fleet(bare, depot, [stop], fleet, departure="2024-03-04T08:00")
    with pytest.raises(FleetInputError, match="departure"):
        plan_fleet(network, depot, [stop], fleet, departure="next monday")
    with pytest.raises(FleetInputError, match="max_extra_time"):
        plan_fleet(network, depot, [stop], fleet, departure=0, max_extra_time=0.1)
    late_shift = [VehicleType("van_diesel", shift=(6 * 3600.0, 7 * 3600.0))]
    with pytest.raises(FleetInputError, match=r"van_diesel.*before the plan's departure"):
        plan_fleet(network, depot, [stop], late_shift, departure="2024-03-04T08:00")
    # speeds= instead of profiles on the network
    profiles = traffic.attached_speeds(network)
    plan = evaluate_routes(
        bare,
        depot,
        [stop],
        fleet,
        [("van_diesel", ["S"])],
        departure="2024-03-04T07:45",
        speeds=profiles,
    )
    assert_allclose(plan.routes[0].legs[0].arrive_s, 8.5 * 3600, rtol=1e-9)


def test_a_fleet_file_takes_a_departure(tmp_path: Path) -> None:
    """Tests that ``departure`` in a fleet TOML (a TOML date-time) reaches plan_fleet."""
    network, depot, stop = slow_from_eight()
    path = tmp_path / "fleet.toml"
    path.write_text(
        f"departure = 2024-03-04T07:45:00\n"
        f'[[depots]]\nid = "D"\nlat = {depot.lat}\nlon = {depot.lon}\n'
        f'[[vehicles]]\nvehicle = "van_diesel"\n'
    )
    config = read_fleet(path)
    assert config.options["departure"] == dt.datetime(2024, 3, 4, 7, 45)
    plan = evaluate_routes(
        network,
        config.depots,
        [stop],
        config.fleet,
        [("van_diesel", ["S"])],
        departure=config.options["departure"],
    )
    assert_allclose(plan.routes[0].legs[0].arrive_s, 8.5 * 3600, rtol=1e-9)


def test_turn_aware_plans_in_traffic_obey_the_turns_and_score_them() -> None:
    """
    Tests a plan with ``departure=`` and turn restrictions with intersection costs:
    every replayed leg is the independent turn-aware ``Router.route(departure=)``
    (same path, time, CO2: the turns' seconds and pulling away included), and
    takes no forbidden turn; without a departure, each leg's time and CO2 are the
    turn-aware router's for that leg (the turns scored with it, as its matrix does).
    """
    network, depot, stops = town_instance(7)
    # No load: every leg runs at the routers' payload, so CO2 compares leg by leg too.
    # Node ids: the oracle routes node to node (coordinates would snap part-way, onto one
    # of a node's arcs, whose turns then apply).
    stops = [dataclasses.replace(s, demand_kg=0.0) for s in on_node_ids(network, stops)]
    (depot,) = on_node_ids(network, [depot])
    rng = np.random.default_rng(7)
    turns, banned = forbid_some_turns(network, rng)
    profiles = traffic.synthetic_profiles(network, fraction=0.6, seed=2)
    timed_network = network.with_speeds(profiles)
    fleet = [VehicleType("van_diesel", count=3, capacity_kg=900, matrix_payload_kg=0)]
    for departure in (None, "2024-03-05T07:30"):
        plan = plan_fleet(
            timed_network,
            depot,
            stops,
            fleet,
            turns=turns,
            departure=departure,
            max_iterations=ITERATIONS,
            baselines=(),
        )
        router = ecoroute.Router(timed_network, "van_diesel", "co2", payload_kg=0, turns=turns)
        node_of = {s.id: s for s in stops}
        checked = 0
        for route in plan.routes:
            for leg in route.legs:
                source, target = (
                    int((depot if n == "D" else node_of[n]).node)
                    for n in (leg.origin, leg.destination)
                )
                if departure is None:
                    expected = router.route(source, target)
                else:
                    expected = router.route(source, target, departure=86400.0 + leg.depart_s)
                assert_array_equal(leg.arcs, expected.arcs)
                assert_allclose(leg.time_s, expected.time_s, rtol=1e-6)
                arcs = leg.arcs.tolist()
                assert not any((a, b) in banned for a, b in itertools.pairwise(arcs))
                assert_allclose(leg.co2_g, expected.co2_g, rtol=1e-6)
                checked += 1
        assert checked >= 10
