"""Bad input: unassigned stops with reasons, or errors that say what to fix; never a crash."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import ecoroute
from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet, stops_from_frame

from .fleet_helpers import depot_at, grid_town, node_point


@pytest.fixture(scope="module")
def town_with_island():
    """A 5 x 5 grid town plus two nodes joined only to each other (an island)."""
    town = grid_town(40, side=5)
    n = town.node_count
    tail = np.concatenate([town.tail, [n, n + 1]])
    head = np.concatenate([town.head, [n + 1, n]])
    length = np.concatenate([town.length_m, [300.0, 300.0]])
    speed = np.concatenate([town.speed_kph, [50.0, 50.0]])
    lat = np.concatenate([town.lat, [60.2, 60.2]])
    lon = np.concatenate([town.lon, [25.3, 25.301]])
    return ecoroute.RoadNetwork.from_arrays(tail, head, length, speed, lat, lon)


def _plan(network, stops, fleet=None, **options):
    fleet = fleet or [VehicleType("van_diesel", count=2, shift=(7 * 3600.0, 17 * 3600.0))]
    return plan_fleet(
        network, [depot_at(network, 0)], stops, fleet, max_iterations=200, baselines=(), **options
    )


def test_unreachable_stop_is_unassigned_with_its_reason(town_with_island):
    """Tests a stop given by the node id of an island: unassigned, with the reason."""
    island = int(town_with_island.node_id[town_with_island.node_count - 1])
    stops = [
        Stop("ok", **node_point(town_with_island, 12), demand_kg=100),
        Stop("island", node=island, demand_kg=100),
    ]
    plan = _plan(town_with_island, stops)
    assert [v.stop for v in plan.visits] == ["ok"]
    (item,) = plan.unassigned
    assert (item.stop, item.reason) == ("island", "unreachable")
    assert "no road" in item.message
    assert "snaps onto a road next to node" in item.message


def test_a_stop_far_from_every_usable_road_is_refused_by_name(town_with_island):
    """
    Tests snapping (issue 11): coordinates on the island, 19 km from the town, snap only to
    roads a van can leave and come back to, so they are an error naming the stop, not a stop
    silently moved or left unserved.
    """
    stops = [Stop("ok", **node_point(town_with_island, 12)), Stop("island", lat=60.2, lon=25.3005)]
    with pytest.raises(ecoroute.FleetInputError, match=r"stop 'island' .* m from the nearest road"):
        _plan(town_with_island, stops)


def test_demand_above_every_capacity_is_unassigned(town_with_island):
    stops = [
        Stop("ok", **node_point(town_with_island, 12), demand_kg=100),
        Stop("piano", **node_point(town_with_island, 13), demand_kg=2000),
    ]
    plan = _plan(town_with_island, stops)
    (item,) = plan.unassigned
    assert (item.stop, item.reason) == ("piano", "over_capacity")
    assert "2000 kg" in item.message
    assert "1575 kg" in item.message


def test_windows_that_cannot_be_met_are_unassigned(town_with_island):
    stops = [
        Stop("ok", **node_point(town_with_island, 12), demand_kg=100),
        Stop("dawn", **node_point(town_with_island, 24), time_window=(6 * 3600.0, 6.5 * 3600.0)),
        Stop("late", **node_point(town_with_island, 23), time_window=(16.99 * 3600, 17 * 3600.0)),
    ]
    plan = _plan(town_with_island, stops)
    reasons = {u.stop: u for u in plan.unassigned}
    assert set(reasons) == {"dawn", "late"}
    assert reasons["dawn"].reason == "time_window"
    assert "after the window closes at 06:30:00" in reasons["dawn"].message
    assert reasons["late"].reason == "time_window"
    assert "after its shift ends" in reasons["late"].message


def test_route_duration_limit_is_a_time_window_reason(town_with_island):
    far = Stop("far", **node_point(town_with_island, 24), service_s=3 * 3600.0)
    fleet = [VehicleType("van_diesel", max_duration_s=2 * 3600.0)]
    plan = _plan(town_with_island, [far], fleet)
    (item,) = plan.unassigned
    assert item.reason == "time_window"
    assert "longest route of 2.00 h" in item.message


def test_optional_stop_not_worth_its_prize(town_with_island):
    stops = [
        Stop("ok", **node_point(town_with_island, 1), demand_kg=10),
        Stop("maybe", **node_point(town_with_island, 24), optional=True, prize=1.0),
        Stop("worth", **node_point(town_with_island, 2), optional=True, prize=1e6),
    ]
    plan = _plan(town_with_island, stops)
    assert {v.stop for v in plan.visits} == {"ok", "worth"}
    (item,) = plan.unassigned
    assert (item.stop, item.reason) == ("maybe", "not_worth_prize")


def test_every_stop_unservable_gives_an_empty_plan_that_still_reports(town_with_island, tmp_path):
    island = int(town_with_island.node_id[town_with_island.node_count - 2])
    stops = [Stop("island", node=island, demand_kg=1), Stop("big", lat=60.0, lon=25.0,
             demand_kg=1e5)]  # fmt: skip
    plan = plan_fleet(
        town_with_island, [depot_at(town_with_island, 0)], stops, VehicleType("van_bev"),
        max_iterations=10,
    )  # fmt: skip
    assert plan.routes == ()
    assert plan.totals["co2e_wtw_g"] == 0.0
    assert plan.totals["stops_unassigned"] == 2
    assert plan.to_dataframe("vehicles").empty
    assert "unassigned" in plan.to_json()
    ecoroute.fleet.write_outputs(plan, tmp_path)
    assert (tmp_path / "map.png").stat().st_size > 0


def test_unknown_vehicle_type_is_a_clear_error(town_with_island):
    with pytest.raises(ecoroute.UnknownVehicleError, match=r"fleet\[1\].*Did you mean van_diesel"):
        _plan(town_with_island, [], [VehicleType("van_bev"), VehicleType("van_disel")])
    with pytest.raises(KeyError):  # it is a KeyError, for callers who catch those
        _plan(town_with_island, [], [VehicleType("rocket")])


@pytest.mark.parametrize(
    ("fleet", "stops", "message"),
    [
        ([VehicleType("van_bev", capacity_kg=5000)], [], "above the van_bev model's maximum"),
        ([VehicleType("van_bev", count=0)], [], "count must be >= 1"),
        ([VehicleType("van_bev", count=1.5)], [], "whole number"),
        ([VehicleType("van_bev"), VehicleType("van_bev")], [], "appears twice"),
        ([VehicleType("van_bev", start_depot="X")], [], "not a depot"),
        ([VehicleType("van_bev", shift=(10.0, 5.0))], [], "ends"),
        (
            [VehicleType("van_bev")],
            [Stop("a", lat=60, lon=25), Stop("a", lat=60, lon=25)],
            "used twice",
        ),
        ([VehicleType("van_bev")], [Stop("a", lat=60, lon=25, demand_kg=-1)], ">= 0"),
        ([VehicleType("van_bev")], [Stop("a", lat=60, lon=25, service_s=math.nan)], "finite"),
        ([VehicleType("van_bev")], [Stop("a", lat=60)], "both lat and lon"),
        ([VehicleType("van_bev")], [Stop("a", lat=60, lon=25, node=100)], "exactly one"),
        ([VehicleType("van_bev")], [Stop("a", node=-5)], "not in the road network"),
        ([VehicleType("van_bev")], [Stop("a", lat=95, lon=25)], "<= 90"),
        (
            [VehicleType("van_bev")],
            [Stop("a", lat=60, lon=25, time_window=(5.0,))],
            "start_s, end_s",
        ),
        ([VehicleType("van_bev", energy_price=-1)], [], "energy_price must be >= 0"),
        ([VehicleType("van_bev")], [Stop("a", lat=60, lon=25, time_window=(9.2, 9.7))], "no whole"),
        ([], [], "fleet is empty"),
        ([VehicleType("van_bev")], ["not a stop"], "expected a Stop"),
    ],
)
def test_bad_inputs_raise_fleet_input_errors(town_with_island, fleet, stops, message):
    with pytest.raises(ecoroute.FleetInputError, match=message):
        plan_fleet(town_with_island, [depot_at(town_with_island, 0)], stops, fleet)


def test_bad_plan_options_raise(town_with_island):
    depot = depot_at(town_with_island, 0)
    with pytest.raises(ecoroute.FleetInputError, match="Unknown objective 'greenest'"):
        plan_fleet(town_with_island, depot, [], VehicleType("van_bev"), objective="greenest")
    with pytest.raises(ecoroute.FleetInputError, match="Unknown baseline"):
        plan_fleet(town_with_island, depot, [], VehicleType("van_bev"), baselines=["fastest"])
    with pytest.raises(ecoroute.FleetInputError, match="depots is empty"):
        plan_fleet(town_with_island, [], [], VehicleType("van_bev"))
    with pytest.raises(ecoroute.FleetInputError, match="carbon_price_per_t"):
        plan_fleet(town_with_island, depot, [], VehicleType("van_bev"), carbon_price_per_t=-5)
    assert isinstance(ecoroute.FleetInputError("x"), ValueError)


def test_stops_from_a_table():
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "lat": [60.0, 60.1],
            "lon": [25.0, 25.1],
            "demand_kg": [10, None],
            "tw_start": ["08:30", None],
            "tw_end": [36000, None],
            "optional": ["yes", ""],
            "prize": [5.0, None],
        }
    )
    a, b = stops_from_frame(frame)
    assert a.time_window == (8.5 * 3600, 36000.0)
    assert a.optional
    assert a.prize == 5.0
    assert a.demand_kg == 10.0
    assert b.time_window is None
    assert not b.optional
    assert b.demand_kg == 0.0
    with pytest.raises(ecoroute.FleetInputError, match="unknown columns demand"):
        stops_from_frame(frame.rename(columns={"demand_kg": "demand"}))
    with pytest.raises(ecoroute.FleetInputError, match="both tw_start and tw_end"):
        stops_from_frame(frame.assign(tw_end=[None, None]))
    with pytest.raises(ecoroute.FleetInputError, match="needs 'lat' and 'lon'"):
        stops_from_frame(frame.drop(columns=["lon"]))


def test_depot_opening_hours_and_nodes(town_with_island):
    network = grid_town(41, side=4)
    depot = Depot("D", node=100, open_s=9 * 3600.0, close_s=10 * 3600.0)
    stop = Stop("s", node=105, demand_kg=10.0, service_s=60.0)
    plan = plan_fleet(network, depot, [stop], VehicleType("van_bev"), max_iterations=50)
    (route,) = plan.routes
    assert route.start_s >= 9 * 3600.0
    assert route.end_s <= 10 * 3600.0
    assert plan.visits[0].snap_m == 0.0
