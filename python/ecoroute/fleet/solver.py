"""
The VRP solver behind ``plan_fleet``: integer problem in, routes out; PyVRP 0.14 behind one adapter.

Everything PyVRP-specific lives in :func:`solve`. The rest of ecoroute sees
only :class:`VrpProblem` and :class:`VrpSolution`, plain integer data with
documented units, so a PyVRP release that moves its API (0.14 replaced
``Route.visits()`` by activities) touches this file alone, and the contract
tests in ``tests/test_fleet_solver.py`` fail loudly when it does.

Indices: locations ``0 .. D - 1`` are the depots, ``D .. D + C - 1`` the
clients (stops), in both the matrices and the results.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

#: The PyVRP releases this adapter is written and tested against.
PYVRP_REQUIREMENT = "pyvrp>=0.14,<0.15"

#: "No limit" for times: far beyond any day, far below int64 overflow when summed.
HORIZON_S = 2**40


@dataclass(frozen=True)
class VrpVehicleType:
    """
    One vehicle type in solver units (seconds, grams of load, solver cost units).

    ``max_distance`` caps the sum of a route's entries in its profile's
    distance matrix (an energy limit when that matrix holds energy), and
    ``unit_distance_cost`` is what the objective pays per entry unit.
    """

    count: int
    capacity: int
    start_depot: int
    end_depot: int
    profile: int
    fixed_cost: int = 0
    shift_start: int = 0
    shift_end: int = HORIZON_S
    max_duration: int = HORIZON_S
    unit_duration_cost: int = 0
    name: str = ""
    unit_distance_cost: int = 1
    max_distance: int | None = None


@dataclass(frozen=True)
class VrpProblem:
    """
    A heterogeneous VRP with time windows and optional stops, in integers.

    Attributes
    ----------
    depot_open, depot_close
        Opening hours of each depot, seconds.
    demand
        Load each client receives (integer units, e.g. grams).
    service, tw_start, tw_end
        Service time and the window for the start of service, seconds.
    required, prize
        Whether each client must be served; the prize for serving an optional one.
    vehicle_types
        The fleet.
    distance, duration
        One pair of square int64 matrices per routing profile over all
        locations (depots first). ``distance`` is what a vehicle of that
        profile pays per leg (the objective, scaled); ``duration`` is seconds.
    coordinates
        (x, y) per location, informative only.
    typical_leg_cost
        Mean cost of a leg (distance units plus priced duration): sets how
        hard the search penalises a unit of excess load or lateness.
    """

    depot_open: IntArray
    depot_close: IntArray
    demand: IntArray
    service: IntArray
    tw_start: IntArray
    tw_end: IntArray
    required: npt.NDArray[np.bool_]
    prize: IntArray
    vehicle_types: tuple[VrpVehicleType, ...]
    distance: tuple[IntArray, ...]
    duration: tuple[IntArray, ...]
    coordinates: npt.NDArray[np.float64]
    typical_leg_cost: float = 1.0

    @property
    def num_depots(self) -> int:
        """Number of depots (the first locations)."""
        return len(self.depot_open)

    @property
    def num_clients(self) -> int:
        """Number of clients (stops)."""
        return len(self.demand)


@dataclass(frozen=True)
class VrpRoute:
    """One vehicle's route: its type, the clients in visiting order and the solver's schedule."""

    vehicle_type: int
    clients: tuple[int, ...]
    start_time: int
    end_time: int
    distance: int
    duration: int


@dataclass(frozen=True)
class VrpSolution:
    """The solver's answer: routes, optional clients left out, and how the search went."""

    routes: tuple[VrpRoute, ...]
    unplanned: tuple[int, ...]
    feasible: bool
    cost: int
    iterations: int
    runtime_s: float
    backend: str


def solve(
    problem: VrpProblem,
    *,
    max_iterations: int | None = None,
    time_limit_s: float | None = None,
    seed: int = 0,
    strict: bool = False,
    initial_routes: list[tuple[int, list[int]]] | None = None,
) -> VrpSolution:
    """
    Solve ``problem`` with PyVRP's iterated local search.

    Parameters
    ----------
    problem
        The integer problem.
    max_iterations, time_limit_s
        Stop after this many iterations and/or this much time (whichever
        comes first); at least one must be given. Iterations make runs
        repeatable; time limits do not.
    seed
        Seed of the search's random numbers.
    strict
        Penalise every unit of excess load or lateness at least as much as a
        typical leg (see :func:`_strict_penalties`) instead of PyVRP's default
        penalty weights.
    initial_routes
        Optional warm start: ``(vehicle type, clients)`` per route.

    Raises
    ------
    ImportError
        If PyVRP is not installed, with the command that installs it.
    """
    pyvrp, stop = _import_pyvrp()
    if problem.num_clients == 0:
        return VrpSolution((), (), True, 0, 0, 0.0, _backend(pyvrp))
    data = _problem_data(pyvrp, problem)
    criteria: list[Any] = []
    if max_iterations is not None:
        criteria.append(stop.MaxIterations(int(max_iterations)))
    if time_limit_s is not None:
        criteria.append(stop.MaxRuntime(float(time_limit_s)))
    if not criteria:
        msg = "Give max_iterations or time_limit_s (or both) to stop the search."
        raise ValueError(msg)
    criterion = criteria[0] if len(criteria) == 1 else stop.MultipleCriteria(criteria)
    initial = None
    if initial_routes:
        initial = pyvrp.Solution(
            data, [pyvrp.Route(data, clients, vt) for vt, clients in initial_routes]
        )
    result = pyvrp.solve(
        data, criterion, seed=int(seed), collect_stats=False, display=False,
        params=pyvrp.SolveParams(penalty=_strict_penalties(pyvrp, problem) if strict
                                 else pyvrp.PenaltyParams()),
        initial_solution=initial,
    )  # fmt: skip
    best = result.best
    routes = []
    for route in best.routes():
        clients = tuple(int(activity.idx) for activity in route.schedule() if activity.is_client())
        routes.append(
            VrpRoute(
                vehicle_type=int(route.vehicle_type()),
                clients=clients,
                start_time=int(route.start_time()),
                end_time=int(route.end_time()),
                distance=int(route.distance()),
                duration=int(route.duration()),
            )
        )
    unplanned = tuple(sorted(int(a.idx) for a in best.unplanned() if a.is_client()))
    feasible = bool(best.is_feasible())
    cost = int(best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost())
    cost += int(best.uncollected_prizes())
    return VrpSolution(
        routes=tuple(routes),
        unplanned=unplanned,
        feasible=feasible,
        cost=cost,
        iterations=int(result.num_iterations),
        runtime_s=float(result.runtime),
        backend=_backend(pyvrp),
    )


def _strict_penalties(pyvrp: Any, problem: VrpProblem) -> Any:
    """
    Penalty weights per unit of excess load (g) and lateness (s), in the problem's cost units.

    PyVRP's defaults (0.1 .. 100,000 per unit, starting half-way) are absolute;
    our costs are milligrams or micro-money, a leg 10^5..10^7 units, so a gram
    over capacity costs next to nothing and a short search can end on an
    infeasible plan (two stops 2 g over a van's capacity share it). The
    defaults search well all the same (``benchmarks/bench_fleet.py
    --ablation``), so ecoroute tries them first and falls back to these:
    a unit of violation never costs less than a typical leg (and at most a
    hundred), bounded so that penalty times violation stays far below int64
    overflow.
    """
    typical = max(1.0, float(problem.typical_leg_cost))
    longest = max((float(d.max()) for d in problem.duration if d.size), default=0.0)
    violation = max(1.0, float(problem.demand.sum()), longest * (problem.num_clients + 1))
    highest = min(100.0 * typical, 1e17 / violation)
    return pyvrp.PenaltyParams(min_penalty=min(typical, highest), max_penalty=highest)


def _problem_data(pyvrp: Any, problem: VrpProblem) -> Any:
    depots = problem.num_depots
    locations = [
        pyvrp.Location(float(x), float(y), name=str(i))
        for i, (x, y) in enumerate(problem.coordinates)
    ]
    depot_list = [
        pyvrp.Depot(
            location=d, tw_early=int(problem.depot_open[d]), tw_late=int(problem.depot_close[d])
        )
        for d in range(depots)
    ]
    clients = [
        pyvrp.Client(
            location=depots + i,
            delivery=[int(problem.demand[i])],
            service_duration=int(problem.service[i]),
            tw_early=int(problem.tw_start[i]),
            tw_late=int(problem.tw_end[i]),
            prize=int(problem.prize[i]),
            required=bool(problem.required[i]),
        )
        for i in range(problem.num_clients)
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=vt.count,
            capacity=[vt.capacity],
            start_depot=vt.start_depot,
            end_depot=vt.end_depot,
            fixed_cost=vt.fixed_cost,
            tw_early=vt.shift_start,
            tw_late=vt.shift_end,
            shift_duration=vt.max_duration,
            unit_distance_cost=vt.unit_distance_cost,
            **({} if vt.max_distance is None else {"max_distance": vt.max_distance}),
            unit_duration_cost=vt.unit_duration_cost,
            profile=vt.profile,
            name=vt.name,
        )
        for vt in problem.vehicle_types
    ]
    for name, matrices in (("distance", problem.distance), ("duration", problem.duration)):
        for matrix in matrices:
            if matrix.dtype != np.int64 or matrix.shape != (len(locations), len(locations)):
                msg = f"Each {name} matrix must be int64 of shape {(len(locations),) * 2}."
                raise ValueError(msg)
    return pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depot_list,
        vehicle_types=vehicle_types,
        distance_matrices=list(problem.distance),
        duration_matrices=list(problem.duration),
    )


def _import_pyvrp() -> tuple[Any, Any]:
    try:
        import pyvrp
        import pyvrp.stop
    except ImportError as error:
        msg = f"Fleet planning needs PyVRP: pip install '{PYVRP_REQUIREMENT}'."
        raise ImportError(msg) from error
    return pyvrp, pyvrp.stop


def _backend(pyvrp: Any) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pyvrp {version('pyvrp')}"
    except PackageNotFoundError:  # pragma: no cover - an unusual install
        return f"pyvrp {getattr(pyvrp, '__version__', 'unknown')}"


def solution_units_check(problem: VrpProblem, solution: VrpSolution) -> None:
    """
    Check that the solver's reported route distances are the sums of our matrix entries.

    A cheap guard against a solver release that changes how it reads
    matrices (transposed, rescaled, truncated).

    Raises
    ------
    RuntimeError
        Naming the route whose numbers disagree.
    """
    depots = problem.num_depots
    for r, route in enumerate(solution.routes):
        vt = problem.vehicle_types[route.vehicle_type]
        matrix = problem.distance[vt.profile]
        stops = [vt.start_depot, *(depots + c for c in route.clients), vt.end_depot]
        expected = int(sum(int(matrix[a, b]) for a, b in itertools.pairwise(stops)))
        if expected != route.distance:
            msg = (
                f"The VRP solver reports route {r} at {route.distance} distance units, but its "
                f"legs sum to {expected}; the adapter no longer matches {solution.backend}."
            )
            raise RuntimeError(msg)
