"""From resolved inputs and matrices to the solver's integer problem, and back to routes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .evaluate import PlannedRoute
from .matrices import Profile, finite_max
from .model import FleetInputs
from .plan import Unassigned
from .scaling import ceil_seconds, choose_scale, to_units, window_end, window_start
from .solver import HORIZON_S, VrpProblem, VrpSolution, VrpVehicleType

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Finest integer resolution per objective: mg CO2, mm, whole seconds, micro money units.
BASE_SCALE = {"co2": 1000.0, "co2e_wtw": 1000.0, "distance": 1000.0, "time": 1.0, "cost": 1e6}

#: Solver unit per objective at the base scale (for the report).
UNIT = {"co2": "mg CO2", "co2e_wtw": "mg CO2e", "distance": "mm", "time": "s", "cost": "1e-6 money"}


@dataclass(frozen=True)
class Screened:
    """Stops each vehicle type could serve alone, and those no type can serve, with reasons."""

    keep: tuple[int, ...]
    unassigned: tuple[Unassigned, ...]


@dataclass(frozen=True)
class Built:
    """The integer problem for a set of stops, and what its numbers mean."""

    problem: VrpProblem
    stops: tuple[int, ...]
    scale: float
    reachable: tuple[npt.NDArray[np.bool_], ...]
    info: dict[str, Any] = field(default_factory=dict)


def solver_durations(profile: Profile) -> IntArray:
    """Leg durations as the solver sees them: whole seconds rounded up, 0 where unreachable."""
    return ceil_seconds(np.where(profile.reachable, profile.time_s, 0.0))


def screen(inputs: FleetInputs, profiles: Sequence[Profile], candidates: Sequence[int]) -> Screened:
    """
    Keep the stops that at least one vehicle type can serve on a route of its own.

    A type can serve stop ``i`` if a road leads from its start depot to the
    stop and on to its end depot, the demand fits its capacity, and leaving
    as early as its shift and depot allow it can start service before the
    window closes and still return before its shift ends and the depot closes,
    within its longest route duration. Times use the solver's whole seconds,
    so a stop kept here is one the solver can serve. Every other stop is
    returned with the reason that rules out the most promising type.
    """
    depots = len(inputs.depots)
    durations = [solver_durations(p) for p in profiles]
    keep: list[int] = []
    unassigned: list[Unassigned] = []
    for i in candidates:
        reached, carried, timed = [], [], []
        failure = ""
        for k, rtype in enumerate(inputs.types):
            p, t = profiles[k], durations[k]
            s, e, x = rtype.start_depot, rtype.end_depot, depots + i
            if not (p.reachable[s, x] and p.reachable[x, e]):
                continue
            reached.append(k)
            if _grams_up(inputs.demand_kg[i]) > _grams_down(rtype.capacity_kg):
                continue
            carried.append(k)
            ok, why = _fits_in_time(inputs, k, i, int(t[s, x]), int(t[x, e]))
            if ok:
                timed.append(k)
                break
            failure = failure or why
        stop = inputs.stops[i]
        if timed:
            keep.append(i)
        elif not reached:
            unassigned.append(
                Unassigned(
                    stop.id,
                    "unreachable",
                    f"no road leads from a vehicle's start depot to the stop and back to its end "
                    f"depot (the stop snaps to node {_node_label(inputs, i)}, "
                    f"{inputs.stop_snap_m[i]:.0f} m from its coordinates); check the location",
                )
            )
        elif not carried:
            largest = max(inputs.types[k].capacity_kg for k in reached)
            unassigned.append(
                Unassigned(
                    stop.id,
                    "over_capacity",
                    f"demand {inputs.demand_kg[i]:g} kg is more than any vehicle that reaches the "
                    f"stop can carry (largest capacity {largest:g} kg); split the delivery",
                )
            )
        else:
            unassigned.append(Unassigned(stop.id, "time_window", failure))
    return Screened(keep=tuple(keep), unassigned=tuple(unassigned))


def build(
    inputs: FleetInputs,
    profiles_by_type: Sequence[Profile],
    objective: str,
    stops: Sequence[int],
    *,
    respect_optional: bool,
    fallback: bool,
) -> Built:
    """
    Assemble the integer problem for ``stops`` (indices into the inputs' stops).

    Parameters
    ----------
    inputs, profiles_by_type
        Resolved inputs and each vehicle type's matrices for ``objective``.
    objective
        The plan objective (sets the integer resolution, :data:`BASE_SCALE`).
    stops
        Stops to plan, all served by some vehicle type on its own (see :func:`screen`).
    respect_optional
        Whether optional stops may be skipped for their prize (False: all required).
    fallback
        Make required stops skippable at a prize higher than any plan's cost,
        so that the solver serves as many as the fleet can and leaves out the
        rest instead of returning an infeasible plan.

    Scaling. Leg costs are in the objective's unit times ``scale`` (e.g. mg),
    rounded to the nearest integer; durations are seconds rounded up, time
    windows and shift ends rounded inwards, loads in grams (demand up,
    capacity down), so that what the solver accepts is feasible in real
    numbers. ``scale`` is the finest power of ten, at most the base, that keeps
    any plan (including a forbidden leg's penalty) below 2**52 units.
    """
    depots = len(inputs.depots)
    locations = np.concatenate([np.arange(depots), depots + np.asarray(stops, dtype=np.intp)])
    grid = np.ix_(locations, locations)
    n = len(stops)
    vehicles = sum(t.count for t in inputs.types)

    # One solver profile per distinct matrix set.
    unique: dict[int, int] = {}
    profile_of_type: list[int] = []
    for p in profiles_by_type:
        profile_of_type.append(unique.setdefault(id(p), len(unique)))
    distinct = [profiles_by_type[profile_of_type.index(j)] for j in range(len(unique))]

    legs: list[FloatArray] = []
    durations: list[IntArray] = []
    reachable: list[npt.NDArray[np.bool_]] = []
    shift = np.zeros(len(inputs.types))
    for p in distinct:
        reach = p.reachable[grid]
        leg = np.array(p.leg_cost[grid], dtype=np.float64)
        if p.potential is not None:
            # Reduced costs c(i, j) + phi(i) - phi(j) >= 0 for EV recuperation; they sum to the
            # true cost of a closed route (the potential telescopes); see fixed costs below.
            phi = p.potential[locations]
            leg = leg + phi[:, None] - phi[None, :]
            leg[reach & (leg < 0)] = 0.0  # rounding residue of the router's reduced costs
        leg[~reach] = np.nan
        np.fill_diagonal(leg, 0.0)
        legs.append(leg)
        durations.append(solver_durations(p)[grid])
        reachable.append(reach)

    per_vehicle = np.zeros(len(inputs.types))
    per_second = np.zeros(len(inputs.types))
    for k, rtype in enumerate(inputs.types):
        p = profiles_by_type[k]
        per_vehicle[k] = p.metric.per_vehicle
        per_second[k] = p.metric.per_second
        if p.potential is not None and rtype.start_depot != rtype.end_depot:
            shift[k] = p.potential[rtype.end_depot] - p.potential[rtype.start_depot]
    # A route's reduced cost is its true cost + phi(start) - phi(end): the per-vehicle cost takes
    # phi(end) - phi(start) back (negative for an EV ending downhill; PyVRP sums it as given).
    per_vehicle_shifted = per_vehicle + shift

    optional = inputs.optional[list(stops)] if respect_optional else np.zeros(n, dtype=bool)
    prizes = np.where(optional, inputs.prize[list(stops)], 0.0)

    # Bound on any plan without forbidden legs, in objective units.
    max_leg = max((finite_max(leg) for leg in legs), default=0.0)
    max_time = max((float(d.max()) if d.size else 0.0 for d in durations), default=0.0)
    finite_ends = inputs.tw_end_s[list(stops)]
    latest = float(finite_ends[np.isfinite(finite_ends)].max(initial=0.0))
    route_time = max_time * (n + 1) + float(inputs.service_s[list(stops)].sum()) + latest
    duration_cost = sum(
        t.count * per_second[k] * min(route_time, t.max_duration_s)
        for k, t in enumerate(inputs.types)
    )
    fixed = float(sum(t.count * abs(per_vehicle_shifted[k]) for k, t in enumerate(inputs.types)))
    plan_bound = max_leg * (n + vehicles) + fixed + duration_cost + float(prizes.sum()) + 1.0
    required_prize = plan_bound if fallback else 0.0
    with_prizes = plan_bound + required_prize * int((~optional).sum())
    forbidden = with_prizes
    scale = choose_scale(BASE_SCALE[objective], forbidden * (n + vehicles + 2))
    if objective == "time" and scale < 1.0:
        msg = "The plan's durations do not fit the solver's integers; is a time window absurd?"
        raise OverflowError(msg)

    forbidden_units = math.ceil(forbidden * scale)
    # Long enough to break any window; small enough that penalties times it stay far from int64.
    forbidden_seconds = 10 * max(86_400, int(max_time) * (n + vehicles + 1))
    distance = []
    for j, leg in enumerate(legs):
        units = to_units(np.where(np.isnan(leg), 0.0, leg), scale, "leg costs")
        units[~reachable[j]] = forbidden_units
        np.fill_diagonal(units, 0)
        distance.append(units)
        durations[j][~reachable[j]] = forbidden_seconds
    typical = _typical_leg_cost(distance, durations, reachable, profile_of_type, per_second, scale)

    stop_list = list(stops)
    required = ~optional
    prize_units = to_units(np.where(optional, prizes, required_prize), scale, "prizes")
    problem = VrpProblem(
        depot_open=np.array([window_start(d.open_s) for d in inputs.depots], dtype=np.int64),
        depot_close=np.array(
            [window_end(d.close_s, HORIZON_S) for d in inputs.depots], dtype=np.int64
        ),
        demand=np.array([_grams_up(inputs.demand_kg[i]) for i in stop_list], dtype=np.int64),
        service=ceil_seconds(inputs.service_s[stop_list]),
        tw_start=np.array([window_start(inputs.tw_start_s[i]) for i in stop_list], np.int64),
        tw_end=np.array([window_end(inputs.tw_end_s[i], HORIZON_S) for i in stop_list], np.int64),
        required=required & (not fallback),
        prize=np.where(required & (not fallback), 0, prize_units).astype(np.int64),
        vehicle_types=tuple(
            VrpVehicleType(
                count=t.count,
                capacity=_grams_down(t.capacity_kg),
                start_depot=t.start_depot,
                end_depot=t.end_depot,
                profile=profile_of_type[k],
                fixed_cost=int(np.rint(per_vehicle_shifted[k] * scale)),
                shift_start=window_start(t.shift_start_s),
                shift_end=window_end(t.shift_end_s, HORIZON_S),
                max_duration=window_end(t.max_duration_s, HORIZON_S),
                unit_duration_cost=int(np.rint(per_second[k] * scale)),
                name=t.name,
            )
            for k, t in enumerate(inputs.types)
        ),
        distance=tuple(distance),
        duration=tuple(durations),
        coordinates=_coordinates(inputs, locations),
        typical_leg_cost=typical,
    )
    info = {
        "scale": scale,
        "unit": _unit(objective, scale),
        "forbidden_leg_units": forbidden_units,
        "fallback": fallback,
        "unit_duration_cost_rounding": [
            abs(round(per_second[k] * scale) - per_second[k] * scale)
            for k in range(len(inputs.types))
        ],
    }
    return Built(problem, tuple(stop_list), scale, tuple(reachable), info)


def routes_from(built: Built, solution: VrpSolution) -> list[PlannedRoute]:
    """Turn solver routes into routes over the inputs' stop indices."""
    return [
        PlannedRoute(
            type_index=route.vehicle_type,
            stops=tuple(built.stops[c] for c in route.clients),
            start_s=float(route.start_time),
        )
        for route in solution.routes
    ]


def uses_forbidden_leg(built: Built, solution: VrpSolution) -> bool:
    """Whether any route drives a leg that has no road path (priced, not impossible, in the solver)."""
    problem = built.problem
    depots = problem.num_depots
    for route in solution.routes:
        vt = problem.vehicle_types[route.vehicle_type]
        reach = built.reachable[vt.profile]
        stops = [vt.start_depot, *(depots + c for c in route.clients), vt.end_depot]
        if not all(reach[a, b] for a, b in itertools.pairwise(stops)):
            return True
    return False


def _fits_in_time(inputs: FleetInputs, k: int, i: int, to_stop: int, back: int) -> tuple[bool, str]:
    """Whether type ``k`` alone can serve stop ``i`` in time, and if not a sentence saying why."""
    rtype = inputs.types[k]
    start_depot = inputs.depots[rtype.start_depot]
    end_depot = inputs.depots[rtype.end_depot]
    leave = max(window_start(rtype.shift_start_s), window_start(start_depot.open_s))
    latest_leave = min(
        window_end(rtype.shift_end_s, HORIZON_S), window_end(start_depot.close_s, HORIZON_S)
    )
    tw_start = window_start(inputs.tw_start_s[i])
    tw_end = window_end(inputs.tw_end_s[i], HORIZON_S)
    service = int(ceil_seconds(inputs.service_s[i]))
    arrive = leave + to_stop
    stop = inputs.stops[i]
    if arrive > tw_end:
        return False, (
            f"the earliest arrival, {_clock(arrive)} ({rtype.name} leaving "
            f"{start_depot.id} at {_clock(leave)}), is after the window closes at "
            f"{_clock(tw_end)}"
        )
    begin = max(arrive, tw_start)
    home = begin + service + back
    closes = min(window_end(rtype.shift_end_s, HORIZON_S), window_end(end_depot.close_s, HORIZON_S))
    if home > closes:
        return False, (
            f"serving {stop.id} at {_clock(begin)} at the earliest, {rtype.name} is back at "
            f"{end_depot.id} at {_clock(home)}, after its shift ends or the depot closes "
            f"({_clock(closes)})"
        )
    depart = min(latest_leave, max(leave, tw_start - to_stop))
    shortest = (max(depart + to_stop, tw_start) - depart) + service + back
    limit = window_end(rtype.max_duration_s, HORIZON_S)
    if shortest > limit:
        return False, (
            f"the shortest round trip serving it takes {shortest / 3600:.2f} h, longer than "
            f"{rtype.name}'s longest route of {limit / 3600:.2f} h"
        )
    return True, ""


def _typical_leg_cost(
    distance: list[IntArray],
    durations: list[IntArray],
    reachable: list[npt.NDArray[np.bool_]],
    profile_of_type: list[int],
    per_second: FloatArray,
    scale: float,
) -> float:
    """Mean cost of a leg between distinct locations, in solver units (at least 1)."""
    values = []
    for k, j in enumerate(profile_of_type):
        off = reachable[j] & ~np.eye(len(reachable[j]), dtype=bool)
        cost = distance[j][off] + round(per_second[k] * scale) * durations[j][off]
        if cost.size:
            values.append(float(cost.mean()))
    return max(1.0, float(np.mean(values))) if values else 1.0


def _grams_up(kg: float) -> int:
    return math.ceil(float(kg) * 1000.0 - 1e-6)


def _grams_down(kg: float) -> int:
    return math.floor(float(kg) * 1000.0 + 1e-6)


def _clock(seconds: float) -> str:
    if seconds >= HORIZON_S:
        return "never"
    day, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text if day == 0 else f"day {day + 1} {text}"


def _node_label(inputs: FleetInputs, i: int) -> str:
    return str(int(inputs.stop_node_id[i]))


def _coordinates(inputs: FleetInputs, locations: npt.NDArray[np.intp]) -> FloatArray:
    return np.asarray(inputs.location_lonlat[locations], dtype=np.float64)


def _unit(objective: str, scale: float) -> str:
    base = BASE_SCALE[objective]
    if scale == base:
        return UNIT[objective]
    return f"{base / scale:g} x {UNIT[objective]}"


__all__ = ["BASE_SCALE", "Built", "Screened", "build", "routes_from", "screen", "solver_durations"]
