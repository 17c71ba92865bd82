"""
The plan evaluator: load-aware emissions of a 3-stop route checked by hand, ISO 14083 fields.

The hand calculation writes out the physics model's equations with the
catalogue's published parameters (van_diesel, van_bev), evaluated per arc at
the payload on board: everything still to be delivered.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.fleet import Depot, Stop, VehicleType, evaluate_routes, plan_fleet

from .fleet_helpers import grid_town

G = 9.81
RHO = 1.2041
SPEED = 90.0 / 3.6  # m/s on every arc; traffic adds no work at 90 km/h

# Line D - A - B - C: arc lengths (m) and node heights (m).
LENGTH = [2000.0, 3000.0, 4000.0]
HEIGHT = [0.0, 40.0, 70.0, 50.0]
DEMAND = {"A": 400.0, "B": 300.0, "C": 200.0}


def _line():
    tail = [0, 1, 1, 2, 2, 3]
    head = [1, 0, 2, 1, 3, 2]
    length = [LENGTH[min(t, h)] for t, h in zip(tail, head, strict=True)]
    grade = [
        (HEIGHT[h] - HEIGHT[t]) / length[i] for i, (t, h) in enumerate(zip(tail, head, strict=True))
    ]
    lat = [60.0, 60.02, 60.05, 60.09]
    return ecoroute.RoadNetwork.from_arrays(
        tail, head, length, [90.0] * 6, lat, [25.0] * 4, grade=grade, elevation_m=HEIGHT
    )


def _stops(windows: bool = False):
    hours = {"A": (8.0, 8.5), "B": (8.5, 9.0), "C": (9.0, 10.0)}
    out = []
    for i, name in enumerate("ABC", start=1):
        window = tuple(h * 3600 for h in hours[name]) if windows else None
        out.append(
            Stop(name, lat=[60.0, 60.02, 60.05, 60.09][i], lon=25.0, demand_kg=DEMAND[name],
                 time_window=window)
        )  # fmt: skip
    return out


def _wheel_work_j_per_m(mass, grade, drag_area, crr):
    """Wheel work per metre of map length: m g (Crr + grade) + drag on the sqrt(1 + g²) longer road."""
    return mass * G * (crr + grade) + 0.5 * RHO * drag_area * SPEED**2 * math.sqrt(
        1.0 + grade * grade
    )


def _diesel_mj(distance_m, mass, grade):
    """van_diesel: Willans line max(0, P0 + P_e / eta_m), parameters from the catalogue."""
    van = ecoroute.vehicle("van_diesel")
    s = math.sqrt(1.0 + grade * grade)  # road metres per map metre
    work = _wheel_work_j_per_m(mass, grade, van.drag_area_m2, van.rolling_resistance)
    eta_dt = van.driveline_efficiency
    engine_j_per_m = (
        work / eta_dt if work >= 0 else work * eta_dt
    ) + van.auxiliary_power_kw * 1e3 * s / SPEED
    fuel_j_per_m = (
        van.zero_load_fuel_power_kw * 1e3 * s / SPEED + engine_j_per_m / van.engine_efficiency
    )
    return max(fuel_j_per_m, 0.0) * distance_m / 1e6


def _bev_kwh(distance_m, mass, grade):
    """van_bev: battery W / eta_prop + P_aux (every arc here needs traction), catalogue parameters."""
    van = ecoroute.vehicle("van_bev")
    s = math.sqrt(1.0 + grade * grade)
    work = _wheel_work_j_per_m(mass, grade, van.drag_area_m2, van.rolling_resistance)
    assert work > 0
    battery_j_per_m = work / van.propulsion_efficiency + van.auxiliary_power_kw * 1e3 * s / SPEED
    return battery_j_per_m * distance_m / 3.6e6


def _hand_legs(per_arc):
    """Sum a per-arc function over the legs D-A, A-B, B-C and C-B-A-D at their payloads."""
    up = [(HEIGHT[i + 1] - HEIGHT[i]) / LENGTH[i] for i in range(3)]
    return [
        per_arc(LENGTH[0], 900.0, up[0]),
        per_arc(LENGTH[1], 500.0, up[1]),
        per_arc(LENGTH[2], 200.0, up[2]),
        sum(per_arc(LENGTH[i], 0.0, -up[i]) for i in (2, 1, 0)),
    ]


def test_three_stop_diesel_route_matches_the_hand_calculation():
    """
    Tests that each leg's fuel, CO2 (TTW), CO2e (WTW) and tonne-km are the hand-computed ones
    at that leg's payload (900, 500, 200 and 0 kg), and that the stops' allocated emissions
    follow their tonne-km on board.
    """
    network = _line()
    plan = evaluate_routes(
        network, Depot("D", lat=60.0, lon=25.0), _stops(), VehicleType("van_diesel"),
        [("van_diesel", ["A", "B", "C"])],
    )  # fmt: skip
    (route,) = plan.routes
    mj = _hand_legs(lambda d, p, g: _diesel_mj(d, 1925.0 + p, g))
    legs = route.legs
    assert [leg.payload_kg for leg in legs] == [900.0, 500.0, 200.0, 0.0]
    assert_allclose([leg.co2_g for leg in legs], np.array(mj) * 74.1, rtol=1e-12)
    assert_allclose([leg.co2_ttw_g for leg in legs], np.array(mj) * 74.1, rtol=1e-12)
    assert_allclose([leg.co2e_wtw_g for leg in legs], np.array(mj) * 95.1, rtol=1e-12)
    assert_allclose([leg.co2e_wtt_g for leg in legs], np.array(mj) * (95.1 - 74.1), rtol=1e-9)
    assert_allclose([leg.fuel_l for leg in legs], np.array(mj) / 43.1 / 0.832, rtol=1e-12)
    assert [leg.distance_m for leg in legs] == [2000.0, 3000.0, 4000.0, 9000.0]
    assert_allclose([leg.tkm for leg in legs], [1.8, 1.5, 0.8, 0.0])
    assert route.tkm == pytest.approx(4.1)
    assert route.co2e_wtw_g == pytest.approx(sum(mj) * 95.1, rel=1e-12)
    assert route.co2e_wtw_g_per_tkm == pytest.approx(sum(mj) * 95.1 / 4.1, rel=1e-12)
    assert route.empty_distance_m == 9000.0
    assert route.load_factor == pytest.approx(4.1 / (1.575 * 18.0))

    onboard = {"A": 0.4 * 2.0, "B": 0.3 * 5.0, "C": 0.2 * 9.0}
    for visit in plan.visits:
        assert visit.tkm == pytest.approx(onboard[visit.stop])
        assert visit.co2e_wtw_g == pytest.approx(route.co2e_wtw_g * onboard[visit.stop] / 4.1)
    assert sum(v.co2e_wtw_g for v in plan.visits) == pytest.approx(route.co2e_wtw_g)


def test_three_stop_electric_route_matches_the_hand_calculation():
    """Tests an EV's legs: battery energy by hand, no tank-to-wheel CO2, WTW from the grid."""
    network = _line()
    plan = evaluate_routes(
        network, Depot("D", lat=60.0, lon=25.0), _stops(), VehicleType("van_bev"),
        [("van_bev", ["A", "B", "C"])],
    )  # fmt: skip
    kwh = np.array(_hand_legs(lambda d, p, g: _bev_kwh(d, 2500.0 + p, g)))
    legs = plan.routes[0].legs
    assert_allclose([leg.energy_kwh for leg in legs], kwh, rtol=1e-12)
    assert [leg.co2_ttw_g for leg in legs] == [0.0] * 4
    assert_allclose([leg.co2e_wtw_g for leg in legs], kwh * 214.0 / 0.85, rtol=1e-12)
    assert [leg.fuel_l for leg in legs] == [None] * 4
    assert plan.routes[0].fuel_l is None


def test_plan_fleet_reports_the_load_aware_numbers_not_the_solver_objective():
    """
    Tests the same route planned by plan_fleet (windows force the order A, B, C): its reported
    CO2 is the hand calculation at the real payloads, while the solver's objective (the
    matrix at half the capacity on every leg) is a different number.
    """
    network = _line()
    plan = plan_fleet(
        network, Depot("D", lat=60.0, lon=25.0), _stops(windows=True),
        VehicleType("van_diesel"), max_iterations=300, baselines=(),
    )  # fmt: skip
    (route,) = plan.routes
    assert route.stops == ("A", "B", "C")
    mj = _hand_legs(lambda d, p, g: _diesel_mj(d, 1925.0 + p, g))
    assert route.co2_g == pytest.approx(sum(mj) * 74.1, rel=1e-12)
    half = _hand_legs(lambda d, p, g: _diesel_mj(d, 1925.0 + 787.5, g))
    assert plan.solver["solver_cost_units"] == pytest.approx(sum(half) * 74.1 * 1000, abs=2)
    assert abs(plan.solver["solver_cost_units"] / 1000 - route.co2_g) > 1.0
    for visit in plan.visits:
        start, end = {s.id: s.time_window for s in _stops(windows=True)}[visit.stop]
        assert start <= visit.service_start_s <= end


@pytest.mark.parametrize("name", ["van_diesel", "van_bev", "bus_diesel", "truck_40t_diesel"])
def test_arc_quantities_of_some_arcs_equal_the_full_network_values(name):
    network = grid_town(7)
    vehicle = ecoroute.vehicle(name)
    arcs = np.array([5, 0, 17, 5, network.arc_count - 1])
    full = vehicle.arc_quantities(network, 123.0)
    part = vehicle.arc_quantities(network, 123.0, arcs=arcs)
    assert part.keys() == full.keys()
    for quantity, values in part.items():
        assert_allclose(values, full[quantity][arcs], rtol=0, atol=0)
    with pytest.raises(IndexError, match="outside"):
        vehicle.arc_quantities(network, arcs=[network.arc_count])
    with pytest.raises(TypeError, match="integer"):
        vehicle.arc_quantities(network, arcs=[1.5])
