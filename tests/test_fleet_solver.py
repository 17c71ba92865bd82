"""
Contract tests of the PyVRP adapter: integer problems with hand-computed optima.

These pin down what ecoroute relies on from PyVRP 0.14 (profiles per vehicle
type, client and depot indices, schedules, prizes, capacities, time windows);
a PyVRP release that changes any of it fails here first.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ecoroute.fleet.solver import (
    VrpProblem,
    VrpRoute,
    VrpSolution,
    VrpVehicleType,
    solution_units_check,
    solve,
)

# Depot 0 and three clients on a line at 0, 10, 20, 30 (locations 0..3).
LINE = np.abs(np.subtract.outer(np.arange(4), np.arange(4))).astype(np.int64) * 10


def _problem(**changes):
    base = VrpProblem(
        depot_open=np.array([0]),
        depot_close=np.array([10_000]),
        demand=np.array([4, 4, 4]),
        service=np.array([0, 0, 0]),
        tw_start=np.array([0, 0, 0]),
        tw_end=np.array([10_000] * 3),
        required=np.array([True, True, True]),
        prize=np.array([0, 0, 0]),
        vehicle_types=(
            VrpVehicleType(count=3, capacity=12, start_depot=0, end_depot=0, profile=0),
        ),
        distance=(LINE.copy(),),
        duration=(LINE.copy(),),
        coordinates=np.zeros((4, 2)),
    )
    return dataclasses.replace(base, **changes)


def test_one_vehicle_serves_the_line_out_and_back():
    solution = solve(_problem(), max_iterations=200)
    assert solution.feasible
    assert len(solution.routes) == 1
    route = solution.routes[0]
    assert sorted(route.clients) == [0, 1, 2]
    assert route.distance == 60  # out to 30 and back
    assert solution.cost == 60
    assert solution.unplanned == ()
    solution_units_check(_problem(), solution)


def test_capacity_splits_the_line_into_two_routes():
    """Capacity 8 for three clients of 4: two routes; the cheapest pair is 0+60 vs 20+40."""
    problem = _problem(
        vehicle_types=(VrpVehicleType(count=3, capacity=8, start_depot=0, end_depot=0, profile=0),)
    )
    solution = solve(problem, max_iterations=300)
    assert solution.feasible
    assert sorted(sorted(r.clients) for r in solution.routes) == [[0], [1, 2]]
    assert solution.cost == 20 + 60


def test_each_vehicle_type_pays_its_own_profile():
    """
    Tests that a vehicle type is charged its own profile's matrix: a cheap type (half the
    cost, profile 1) with room for one client, and a dear one (profile 0) for the rest.
    """
    cheap = VrpVehicleType(count=1, capacity=4, start_depot=0, end_depot=0, profile=1)
    dear = VrpVehicleType(count=2, capacity=12, start_depot=0, end_depot=0, profile=0)
    problem = _problem(
        vehicle_types=(dear, cheap),
        distance=(LINE * 3, LINE.copy()),
        duration=(LINE.copy(), LINE.copy()),
    )
    solution = solve(problem, max_iterations=500)
    by_type = {r.vehicle_type: sorted(r.clients) for r in solution.routes}
    # Best: cheap serves the far client (cost 60), dear serves 10 and 20 (3 x 40 = 120).
    assert by_type == {1: [2], 0: [0, 1]}
    assert solution.cost == 60 + 120
    solution_units_check(problem, solution)


def test_optional_clients_are_served_only_for_a_big_enough_prize():
    def planned(prize: int) -> tuple[int, ...]:
        problem = _problem(required=np.array([True, True, False]), prize=np.array([0, 0, prize]))
        return solve(problem, max_iterations=200).unplanned

    # Serving client 2 (at 30) after client 1 (at 20) adds 20 of distance.
    assert planned(19) == (2,)
    assert planned(21) == ()


def test_time_windows_shape_the_schedule():
    """
    Tests that windows force the order and the schedule: the far client (at 30) must be served
    in [100, 110] and the near one (at 10) in [200, 210], so the route serves the far one
    before the near one and, after waiting for the near client's window, is back at 215.
    Replaying the schedule from the reported start keeps every window.
    """
    problem = _problem(
        tw_start=np.array([200, 0, 100]),
        tw_end=np.array([210, 10_000, 110]),
        service=np.array([5, 5, 5]),
    )
    solution = solve(problem, max_iterations=300)
    assert solution.feasible
    (route,) = solution.routes
    assert route.clients[-1] == 0
    assert route.end_time == 200 + 5 + 10
    assert route.distance == 60
    clock, at = route.start_time, 0
    for client in route.clients:
        clock = max(clock + LINE[at, client + 1], problem.tw_start[client])
        assert clock <= problem.tw_end[client]
        clock += problem.service[client]
        at = client + 1
    assert clock + LINE[at, 0] == route.end_time


def test_multi_depot_types_start_and_end_where_told():
    """Two depots (locations 0 and 3 on the line); a type based at each serves its half."""
    distance = np.abs(np.subtract.outer([0, 30, 10, 20], [0, 30, 10, 20])).astype(np.int64)
    problem = VrpProblem(
        depot_open=np.array([0, 0]),
        depot_close=np.array([10_000, 10_000]),
        demand=np.array([1, 1]),
        service=np.array([0, 0]),
        tw_start=np.array([0, 0]),
        tw_end=np.array([10_000, 10_000]),
        required=np.array([True, True]),
        prize=np.array([0, 0]),
        vehicle_types=(
            VrpVehicleType(count=1, capacity=1, start_depot=0, end_depot=0, profile=0),
            VrpVehicleType(count=1, capacity=1, start_depot=1, end_depot=1, profile=0),
        ),
        distance=(distance,),
        duration=(distance.copy(),),
        coordinates=np.zeros((4, 2)),
    )
    solution = solve(problem, max_iterations=300)
    assert {r.vehicle_type: r.clients for r in solution.routes} == {0: (0,), 1: (1,)}
    assert solution.cost == 20 + 20


def test_no_clients_means_no_routes_and_no_solver_call():
    problem = _problem(
        demand=np.zeros(0, np.int64),
        service=np.zeros(0, np.int64),
        tw_start=np.zeros(0, np.int64),
        tw_end=np.zeros(0, np.int64),
        required=np.zeros(0, bool),
        prize=np.zeros(0, np.int64),
        distance=(np.zeros((1, 1), np.int64),),
        duration=(np.zeros((1, 1), np.int64),),
        coordinates=np.zeros((1, 2)),
    )
    solution = solve(problem, max_iterations=10)
    assert solution.routes == ()
    assert solution.feasible


def test_a_stopping_rule_is_required():
    with pytest.raises(ValueError, match="max_iterations or time_limit_s"):
        solve(_problem())


def test_units_check_catches_a_solver_that_reads_matrices_differently():
    problem = _problem()
    solution = solve(problem, max_iterations=100)
    route = solution.routes[0]
    wrong = dataclasses.replace(
        solution, routes=(dataclasses.replace(route, distance=route.distance + 1),)
    )
    with pytest.raises(RuntimeError, match="no longer matches"):
        solution_units_check(problem, wrong)


def test_same_seed_same_plan():
    rng = np.random.default_rng(0)
    points = rng.integers(0, 1000, size=(16, 2))
    matrix = np.abs(points[:, None, :] - points[None, :, :]).sum(axis=2).astype(np.int64)
    problem = VrpProblem(
        depot_open=np.array([0]),
        depot_close=np.array([10**6]),
        demand=rng.integers(1, 5, 15),
        service=np.zeros(15, np.int64),
        tw_start=np.zeros(15, np.int64),
        tw_end=np.full(15, 10**6),
        required=np.ones(15, bool),
        prize=np.zeros(15, np.int64),
        vehicle_types=(
            VrpVehicleType(count=5, capacity=10, start_depot=0, end_depot=0, profile=0),
        ),
        distance=(matrix,),
        duration=(matrix.copy(),),
        coordinates=np.zeros((16, 2)),
    )
    first = solve(problem, max_iterations=300, seed=7)
    second = solve(problem, max_iterations=300, seed=7)
    assert [r.clients for r in first.routes] == [r.clients for r in second.routes]
    assert isinstance(first.routes[0], VrpRoute)
    assert isinstance(first, VrpSolution)
