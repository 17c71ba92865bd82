"""
The saving against a baseline split along a chain: baseline -> its assignment re-routed -> plan.

Each step is checked against plans scored independently with ``evaluate_routes``
(the routes given as stop sequences, not read from the split's own totals), so each
step is the difference of two plans anyone can score, and the two add up to the saving.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from ecoroute.fleet import VehicleType, evaluate_routes, plan_fleet

from .fleet_helpers import depot_at, grid_town, random_stops


def _scored(network, depot, stops, fleet, routes, paths):
    """Total CO2 and WTW CO2e of ``routes`` scored on ``paths`` by evaluate_routes."""
    plan = evaluate_routes(network, [depot], stops, fleet, list(routes), paths=paths)
    assert not plan.unassigned or len(plan.visits) == sum(len(s) for _, s in routes)
    return {q: plan.totals[q] for q in ("co2_g", "co2e_wtw_g")}


def _sequences(plan):
    return [(route.vehicle_type, tuple(route.stops)) for route in plan.routes]


@pytest.fixture(scope="module")
def mixed():
    network = grid_town(61, side=7)
    rng = np.random.default_rng(61)
    stops = random_stops(network, rng, 10, windows=False)
    depot = depot_at(network, 24)
    fleet = [
        VehicleType("van_diesel", count=2, capacity_kg=1500.0),
        VehicleType("van_bev", count=1, capacity_kg=900.0),
    ]
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=400, seed=1)
    return network, depot, stops, fleet, plan


def test_split_steps_are_differences_of_independently_scored_plans(mixed):
    """
    Tests that routing = B - R and assignment = R - P, with B the baseline's routes on
    its own paths, R the re-routed routes and P the plan's routes on least-CO2 paths,
    each scored by evaluate_routes, and that the two add up to the saving.
    """
    network, depot, stops, fleet, plan = mixed
    p = _scored(network, depot, stops, fleet, _sequences(plan), "co2")
    for name, saving in plan.savings.items():
        baseline = plan.baselines[name]
        b = _scored(network, depot, stops, fleet, _sequences(baseline), name)
        r = _scored(network, depot, stops, fleet, saving.rerouted_routes, "co2")
        for q in ("co2_g", "co2e_wtw_g"):
            assert saving.routing[q] == pytest.approx(b[q] - r[q], rel=1e-6, abs=1e-6)
            assert saving.assignment[q] == pytest.approx(r[q] - p[q], rel=1e-6, abs=1e-6)
            assert saving.rerouted[q] == pytest.approx(r[q], rel=1e-9)
            whole = baseline.totals[q] - plan.totals[q]
            assert saving.routing[q] + saving.assignment[q] == pytest.approx(whole, abs=1e-6)
        assert saving.co2e_wtw_saved_g == pytest.approx(
            saving.routing["co2e_wtw_g"] + saving.assignment["co2e_wtw_g"], abs=1e-6
        )


def test_rerouted_baseline_keeps_the_baselines_assignment(mixed):
    """
    Tests that the re-routed baseline gives every vehicle type the same sets of stops
    as the baseline (only the order and the paths may change), and counts the routes
    whose order changed.
    """
    *_, plan = mixed
    for name, saving in plan.savings.items():
        baseline = _sequences(plan.baselines[name])
        rerouted = list(saving.rerouted_routes)
        assert Counter((t, frozenset(s)) for t, s in rerouted) == Counter(
            (t, frozenset(s)) for t, s in baseline
        )
        changed = sum(
            1 for (_, old), (_, new) in zip(baseline, rerouted, strict=True) if old != new
        )
        assert saving.resequenced == changed


def test_one_vehicle_has_no_vehicle_choice():
    """
    Tests the hand-checkable case: with a single vehicle the baseline and the plan
    give it every stop, so nothing is assigned differently. The re-routed baseline is
    that vehicle's stops planned for CO2, which is the plan itself: the assignment
    part is exactly 0 and routing is the whole saving (which can be negative: the
    solver orders stops on matrices at a constant payload, the plan is scored with the
    real, falling load on board).
    """
    network = grid_town(62, side=6)
    rng = np.random.default_rng(62)
    stops = [replace(s, demand_kg=100.0) for s in random_stops(network, rng, 6, windows=False)]
    depot = depot_at(network, 14)
    fleet = [VehicleType("van_diesel", count=1, capacity_kg=1000.0)]
    plan = plan_fleet(
        network, depot, stops, fleet, max_iterations=300, baselines=("time", "distance")
    )
    assert len(plan.routes) == 1
    for saving in plan.savings.values():
        assert saving.rerouted_routes == (("van_diesel", tuple(plan.routes[0].stops)),)
        for q in ("co2_g", "co2e_wtw_g"):
            assert saving.assignment[q] == 0.0
            assert saving.rerouted[q] == plan.totals[q]
        assert saving.routing["co2_g"] == pytest.approx(saving.co2_saved_g, abs=1e-9)
        assert saving.routing["co2e_wtw_g"] == pytest.approx(saving.co2e_wtw_saved_g, abs=1e-9)


def test_split_is_in_the_json_report(mixed):
    *_, plan = mixed
    report = plan.report()
    for name, saving in plan.savings.items():
        entry = report["savings"][name]
        assert entry["routing"]["co2e_wtw_g"] == pytest.approx(saving.routing["co2e_wtw_g"])
        assert entry["assignment"]["co2e_wtw_g"] == pytest.approx(saving.assignment["co2e_wtw_g"])
        assert len(entry["rerouted_routes"]) == len(plan.baselines[name].routes)
