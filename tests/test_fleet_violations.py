"""
evaluate_routes flags every limit a given plan breaks, with the route and the amount (issue 14).

The line town of ``test_fleet_evaluate``: D - A - B - C, 2, 3 and 4 km, every road
at 90 km/h (25 m/s), so times are hand-computed: D->A 80 s, A->B 120 s, B->C 160 s.
"""

from __future__ import annotations

import pytest

from ecoroute._errors import FleetInputError
from ecoroute.fleet import Depot, Stop, VehicleType, evaluate_routes

from .test_fleet_evaluate import DEMAND, _line, _stops

ROUND_TRIP_S = 2 * (80.0 + 120.0 + 160.0)


def _one(plan, constraint):
    found = [v for v in plan.violations if v.constraint == constraint]
    assert len(found) == 1, plan.violations
    return found[0]


def test_an_overloaded_route_is_flagged_with_the_excess():
    network = _line()
    fleet = VehicleType("van_diesel", capacity_kg=800.0)
    plan = evaluate_routes(network, Depot("D", lat=60.0, lon=25.0), _stops(), fleet,
                           [("van_diesel", ["A", "B", "C"])])  # fmt: skip
    violation = _one(plan, "capacity")
    assert violation.vehicle == "van_diesel#1"
    assert violation.amount == pytest.approx(sum(DEMAND.values()) - 800.0)
    assert violation.unit == "kg"
    assert not plan.routes[0].feasible
    assert not plan.totals["feasible"]
    assert plan.totals["violations"] == 1


def test_a_late_stop_is_flagged_with_the_lateness():
    network = _line()
    plan = evaluate_routes(network, Depot("D", lat=60.0, lon=25.0), _stops(windows=True),
                           VehicleType("van_diesel"), [("van_diesel", ["A", "B", "C"])],
                           start_s=[9 * 3600.0])  # fmt: skip
    late = {v.at: v.amount for v in plan.violations}
    # A closes at 8:30 and is reached at 9:00 + 80 s; B (closes 9:00) at 9:00 + 200 s; C is on time.
    assert late == pytest.approx({"A": 1800.0 + 80.0, "B": 200.0})
    assert {v.constraint for v in plan.violations} == {"time_window"}


def test_shift_duration_and_depot_hours_are_flagged():
    network = _line()
    depot = Depot("D", lat=60.0, lon=25.0, open_s=8 * 3600.0, close_s=8 * 3600.0 + 300.0)
    fleet = VehicleType("van_diesel", count=2, shift=(7 * 3600.0, 20 * 3600.0),
                        max_duration_s=100.0)  # fmt: skip
    plan = evaluate_routes(network, depot, _stops(), fleet,
                           [("van_diesel", ["A"]), ("van_diesel", ["B", "C"])],
                           start_s=[7.5 * 3600.0, 8 * 3600.0])  # fmt: skip
    found = {(v.vehicle, v.constraint, v.message.split()[0]): v.amount for v in plan.violations}
    assert found == pytest.approx(
        {
            ("van_diesel#1", "shift", "leaves"): 1800.0,  # leaves 7:30, the depot opens at 8:00
            ("van_diesel#1", "duration", "is"): 160.0 - 100.0,
            ("van_diesel#2", "shift", "is"): ROUND_TRIP_S - 300.0,  # back 8:12, closes 8:05
            ("van_diesel#2", "duration", "is"): ROUND_TRIP_S - 100.0,
        }
    )


def test_a_battery_run_below_its_reserve_is_flagged():
    network = _line()
    fleet = VehicleType("van_bev", battery_kwh=3.0, reserve_kwh=1.0)
    plan = evaluate_routes(network, Depot("D", lat=60.0, lon=25.0), _stops(), fleet,
                           [("van_bev", ["A", "B", "C"])])  # fmt: skip
    route = plan.routes[0]
    violation = _one(plan, "battery")
    assert violation.amount == pytest.approx(1.0 - route.soc_min_kwh)
    assert route.soc_min_kwh < 1.0
    table = plan.to_dataframe("violations")
    assert table.loc[0, "constraint"] == "battery"
    assert plan.report()["violations"][0]["vehicle"] == "van_bev#1"


def test_a_feasible_route_has_no_violations():
    network = _line()
    plan = evaluate_routes(network, Depot("D", lat=60.0, lon=25.0), _stops(),
                           VehicleType("van_diesel"), [("van_diesel", ["A", "B", "C"])])  # fmt: skip
    assert plan.violations == ()
    assert plan.totals["feasible"]


def test_an_over_maximum_payload_names_the_route():
    network = _line()
    stops = [Stop(s.id, lat=s.lat, lon=s.lon, demand_kg=1000.0) for s in _stops()]
    with pytest.raises(FleetInputError, match=r"routes\[1\] \(van_diesel\).*2000 kg.*1575"):
        evaluate_routes(network, Depot("D", lat=60.0, lon=25.0), stops,
                        VehicleType("van_diesel", count=2, capacity_kg=1500.0),
                        [("van_diesel", ["A"]), ("van_diesel", ["B", "C"])])  # fmt: skip
